//! The worker threads: each loops over the outbox's schedule
//! (`samsung_host::outbox::Schedule`), runs one attempt at a time and
//! sleeps on a condition variable until the next job is due or one is
//! enqueued.
//!
//! Mastodon's sockets and lettre block, so these are std threads, not smol tasks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use samsung_host::outbox::disk::{self, JobSpec};
use samsung_host::outbox::{Claim, OutboxSettings, Step};
use tracing::{error, warn};

use super::Outbox;

pub(crate) use samsung_host::outbox::{Failure, Stop};

/// What a job runner gets besides its attempt: the outbox's settings and
/// the worker's stop flag.
#[derive(Debug)]
pub(crate) struct Runner<'a> {
    pub outbox: &'a Outbox,
    stop: &'a AtomicBool,
}

impl Runner<'_> {
    pub fn settings(&self) -> &OutboxSettings {
        self.outbox.settings()
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps `d`, or less when the workers are stopped; false then.
    pub fn sleep(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut s = self.outbox.sched();
        loop {
            if self.stopping() {
                return false;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            s = self
                .outbox
                .wake
                .wait_timeout(s, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// The running workers. `shutdown()` stops them after their current attempt;
/// dropping the handle asks them to stop without waiting.
#[derive(Debug)]
pub struct WorkerHandle {
    outbox: Outbox,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    exited: mpsc::Receiver<()>,
}

/// Reports a worker's end, also when it panicked.
struct ExitGuard(mpsc::Sender<()>);

impl Drop for ExitGuard {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

pub(crate) fn start(outbox: &Outbox) -> WorkerHandle {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, exited) = mpsc::channel();
    let threads = (0..outbox.settings().workers.max(1))
        .filter_map(|n| {
            let outbox = outbox.clone();
            let stop = Arc::clone(&stop);
            let guard = ExitGuard(tx.clone());
            thread::Builder::new()
                .name(format!("outbox-{n}"))
                .spawn(move || {
                    let _guard = guard;
                    worker_loop(&outbox, &stop);
                })
                .inspect_err(|e| error!("cannot start an outbox worker: {e}"))
                .ok()
        })
        .collect();
    WorkerHandle {
        outbox: outbox.clone(),
        stop,
        threads,
        exited,
    }
}

impl WorkerHandle {
    /// Stops the workers, waiting at most 10 s for their current attempts.
    pub fn shutdown(self) -> bool {
        self.shutdown_within(Duration::from_secs(10))
    }

    /// Stops the workers, waiting at most `grace`; false if some were still
    /// busy (their jobs' progress is on disk; the next start resumes them).
    pub fn shutdown_within(mut self, grace: Duration) -> bool {
        self.signal();
        let deadline = Instant::now() + grace;
        let mut left = self.threads.len();
        while left > 0 {
            let wait = deadline.saturating_duration_since(Instant::now());
            if self.exited.recv_timeout(wait).is_err() {
                break;
            }
            left -= 1;
        }
        let threads = std::mem::take(&mut self.threads);
        if left == 0 {
            for t in threads {
                let _ = t.join();
            }
            true
        } else {
            warn!(
                "{left} outbox workers still busy at shutdown; their jobs resume at the next start"
            );
            false
        }
    }

    fn signal(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _s = self.outbox.sched();
        self.outbox.wake.notify_all();
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.signal();
    }
}

fn worker_loop(outbox: &Outbox, stop: &AtomicBool) {
    let mut s = outbox.sched();
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let now = disk::now_ms();
        match s.next_step(now) {
            Step::Housekeeping => {
                drop(s);
                outbox.housekeeping(now);
                s = outbox.sched();
                s.housekeeping_done();
            }
            Step::Run(claim) => {
                drop(s);
                let due = run_one(outbox, &claim, stop);
                s = outbox.sched();
                s.release(claim, due);
                outbox.wake.notify_all();
            }
            Step::Wait(wait) => {
                s = outbox
                    .wake
                    .wait_timeout(s, wait)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
    }
}

/// One attempt at a claimed job; returns when it is due again (None: done,
/// failed or unreadable).
fn run_one(outbox: &Outbox, claim: &Claim, stop: &AtomicBool) -> Option<u64> {
    let mut attempt = outbox.begin(&claim.id)?;
    let r = Runner { outbox, stop };
    let result = match &attempt.job.spec {
        JobSpec::Mastodon(_) => super::mastodon::run(&r, &mut attempt),
        JobSpec::Mail(spec) => super::mail::run(&r, &attempt, spec),
        JobSpec::Shell(spec) => super::shell::run(&r, &attempt, spec),
    };
    outbox.finish(attempt, result, disk::now_ms())
}
