//! The daemon's side of the durable outbox (`samsung_host::outbox`, which
//! holds the on-disk format, enqueueing, scheduling and job bookkeeping):
//! worker threads that run the jobs — Mastodon posts (the core's post job
//! over our own HTTP/1.1 client), e-mails (lettre) and shell commands —
//! after the camera has been answered.
//!
//! - **Retries.** Transient failures (connection errors, timeouts, 408, 425,
//!   429, 5xx, SMTP 4xx, shell failures) back off exponentially from ~2 s to
//!   ~5 min with jitter; `Retry-After` is respected. Permanent failures (other
//!   4xx, SMTP 5xx, bad config) keep the job with the reason until
//!   `samsung-bridge outbox retry` ([`Outbox::retry_now`]).
//! - **Exactly once.** A Mastodon job saves its progress (uploaded media ids,
//!   posted statuses) after each step, sends an `Idempotency-Key` derived
//!   from the job id and thread part, and looks for a status whose post got
//!   no clear answer before posting it again, so neither a retry nor a
//!   crash between "posted" and "saved" posts twice.

mod http;
mod mail;
mod mastodon;
mod shell;
mod worker;

#[cfg(test)]
mod tests;

use std::io;
use std::ops::Deref;
use std::path::Path;
use std::sync::{Arc, Condvar};
#[cfg(test)]
use std::sync::{Mutex, PoisonError};

use samsung_host::outbox as host;
#[cfg(test)]
use samsung_host::outbox::disk;

#[cfg(test)]
use host::{JobId, JobKind, JobState, MailJob, MediaFile, ShellValues};
pub use host::{JobSummary, OutboxSettings};
pub use worker::WorkerHandle;

/// The outbox and the condition variable its workers wait on. Cheap to
/// clone (shared state); `Send + Sync`. Derefs to the shared outbox for
/// enqueueing and batches.
#[derive(Debug, Clone)]
pub struct Outbox {
    host: Arc<host::Outbox>,
    /// Notified when a job was scheduled and at shutdown; waited on with
    /// the schedule's lock.
    wake: Arc<Condvar>,
}

impl Deref for Outbox {
    type Target = host::Outbox;

    fn deref(&self) -> &host::Outbox {
        &self.host
    }
}

impl Outbox {
    /// Opens (creates) the outbox directory and locks it against a second
    /// daemon; jobs from an earlier run are resumed by [`Outbox::start`].
    pub fn open(dir: &Path, settings: OutboxSettings) -> io::Result<Outbox> {
        let wake = Arc::new(Condvar::new());
        let notify = {
            let wake = Arc::clone(&wake);
            Box::new(move || wake.notify_all())
        };
        Ok(Outbox {
            host: Arc::new(host::Outbox::open(dir, settings, notify)?),
            wake,
        })
    }

    /// Starts the worker threads; the handle's `shutdown()` stops them.
    #[must_use = "dropping the handle stops the workers"]
    pub fn start(&self) -> WorkerHandle {
        worker::start(self)
    }

    /// Every job (and open batch) in the outbox at `dir`, oldest first.
    pub fn list(dir: &Path) -> io::Result<Vec<JobSummary>> {
        host::Outbox::list(dir)
    }

    /// `samsung-bridge outbox retry`: see [`host::Outbox::retry_now`].
    pub fn retry_now(dir: &Path) -> io::Result<usize> {
        host::Outbox::retry_now(dir)
    }

    /// The `samsung-bridge outbox` table.
    pub fn render_list(jobs: &[JobSummary], now_ms: u64) -> String {
        host::Outbox::render_list(jobs, now_ms)
    }
}

/// A poisoned lock only means another thread panicked (the tests' log).
#[cfg(test)]
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
