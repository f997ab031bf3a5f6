//! Mastodon jobs on a worker thread: the shared driver
//! (`samsung_host::outbox::mastodon::run`) over this daemon's blocking
//! HTTP/1.1 + rustls client ([`super::http`]), with waits that a shutdown
//! interrupts.

use std::path::Path;
use std::time::Duration;

use samsung_core::mastodon::{BaseUrl, Request};
use samsung_host::outbox::mastodon::{self, Answer, MastodonTransport, TransportError};

use super::http;
use super::worker::{Runner, Stop};

/// One attempt at a Mastodon job; Ok(summary) when every status is posted.
pub(crate) fn run(
    r: &Runner<'_>,
    attempt: &mut samsung_host::outbox::Attempt,
) -> Result<String, Stop> {
    let mut transport = Blocking { runner: r };
    // Every await completes at once (the transport blocks this worker
    // thread), so the executor never parks.
    smol::block_on(mastodon::run(r.outbox, attempt, &mut transport))
}

/// Sends on the calling (worker) thread.
struct Blocking<'a> {
    runner: &'a Runner<'a>,
}

impl MastodonTransport for Blocking<'_> {
    async fn exchange(
        &mut self,
        server: &BaseUrl,
        req: &Request,
        file: Option<&Path>,
    ) -> Result<Answer, TransportError> {
        http::exchange(server, req, file, self.runner.settings().http_timeout)
    }

    async fn sleep(&mut self, d: Duration) -> bool {
        self.runner.sleep(d)
    }
}
