//! The outbox runner: the shared crate's schedule says what is due, its
//! Mastodon driver runs a post job over the wasi:http transport, and this
//! task waits in between (on the reactor, woken when a job is queued).
//! Mail jobs go out over plain SMTP (`smtp.rs`); shell jobs (only in an
//! outbox a daemon wrote: the component refuses `shell`) are left for the
//! daemon.

use samsung_core::mastodon::RequestBody;
use samsung_core::mastodon::{BaseUrl, Endpoint, Request, instance_request};
use samsung_host::clock::now_ms;
use samsung_host::outbox::disk::JobSpec;
use samsung_host::outbox::mastodon::MastodonTransport;
use samsung_host::outbox::{Failure, Step, Stop, mail, mastodon};
use wstd::future::FutureExt;

use super::Shared;
use crate::http::WasiHttp;
use crate::smtp;

/// Runs due jobs, one at a time, for as long as the component runs.
pub(super) async fn run(shared: std::rc::Rc<Shared>) {
    let outbox = &shared.outbox;
    let mut transport = WasiHttp::new(outbox.settings().http_timeout);
    check_outbound(&shared, &mut transport).await;
    loop {
        let step = outbox.sched().next_step(now_ms());
        match step {
            Step::Housekeeping => {
                outbox.housekeeping(now_ms());
                outbox.sched().housekeeping_done();
            }
            Step::Run(claim) => {
                let Some(mut attempt) = outbox.begin(&claim.id) else {
                    outbox.sched().release(claim, None);
                    continue;
                };
                let settings = outbox.settings();
                let result = match &attempt.job.spec {
                    JobSpec::Mastodon(_) => {
                        mastodon::run(outbox, &mut attempt, &mut transport).await
                    }
                    JobSpec::Mail(spec) => match &settings.mail {
                        Some(cfg) => match mail::build(&attempt, spec, cfg) {
                            Ok(m) => smtp::send(&m, cfg, settings.smtp_timeout)
                                .await
                                .map_err(Stop::Failed),
                            Err(f) => Err(Stop::Failed(f)),
                        },
                        None => Err(Stop::Failed(Failure::permanent(
                            "no MAIL_SERVER in the configuration",
                        ))),
                    },
                    JobSpec::Shell(_) => Err(Stop::Failed(Failure::permanent(
                        "the WASI component runs no programs: \
                         `samsung-bridge outbox retry` lets the daemon take it",
                    ))),
                };
                let due = outbox.finish(attempt, result, now_ms());
                outbox.sched().release(claim, due);
            }
            Step::Wait(d) => {
                // Either ending is all this task needs.
                let _ = shared
                    .outbox_wake
                    .wait()
                    .timeout(wstd::task::sleep(d.into()))
                    .await;
            }
        }
    }
}

/// Says at start-up whether the runtime lets Mastodon posts out: one
/// unauthenticated `GET /api/v2/instance` per configured instance. Whatever
/// the answer, jobs stay queued until they can be sent.
async fn check_outbound(shared: &Shared, transport: &mut WasiHttp) {
    for cfg in shared.config.model.mastodon.values() {
        let Ok(server) = BaseUrl::parse(&cfg.base_url) else {
            continue;
        };
        let ep = Endpoint {
            host: &server.authority,
            base_path: &server.base_path,
            token: &cfg.token,
        };
        let req = Request {
            method: "GET",
            path: String::from("/api/v2/instance"),
            head: instance_request(&ep),
            body: RequestBody::default(),
        };
        match transport.exchange(&server, &req, None).await {
            Ok(answer) => tracing::info!(
                "Mastodon at {}: reachable over wasi:http (HTTP {})",
                cfg.base_url,
                answer.status
            ),
            Err(e) => tracing::warn!(
                "Mastodon at {}: not reachable now ({}); posts stay queued and are retried",
                cfg.base_url,
                e.detail
            ),
        }
    }
}
