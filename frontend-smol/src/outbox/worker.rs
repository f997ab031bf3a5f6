//! The worker threads: a schedule of due jobs, one attempt at a time per
//! target, back-off, housekeeping (`outbox retry` marker, pruning of
//! finished jobs).
//!
//! Mastodon's sockets and lettre block, so these are std threads, not smol tasks.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use samsung_core::mastodon::InstanceLimits;
use samsung_core::retry::Decision;
use samsung_core::time::Instant as CoreInstant;
use tracing::{error, info, warn};

use super::disk::{self, JobFile, JobProgress, JobSpec};
use super::{OutboxSettings, lock};
use crate::durable;

/// How often finished jobs past their retention are removed.
const PRUNE_INTERVAL_MS: u64 = 10 * 60 * 1000;

pub(crate) use samsung_core::retry::Failure;

/// Why an attempt ended without finishing its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// It failed; the core's retry policy decides what follows.
    Failed(Failure),
    /// Stopped by shutdown: due again at the next start, not counted.
    Interrupted,
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Stop {
        Stop::Failed(f)
    }
}

/// A uniform random `u32` for the back-off's jitter.
fn jitter() -> u32 {
    disk::random_u32()
}

#[derive(Debug)]
struct Pending {
    due_ms: u64,
    target: String,
}

#[derive(Debug, Default)]
struct Sched {
    pending: BTreeMap<String, Pending>,
    /// Job ids being attempted.
    running: BTreeSet<String>,
    /// Targets with a job being attempted: at most one attempt per target.
    busy: BTreeSet<String>,
    next_housekeeping_ms: u64,
    housekeeping: bool,
    next_prune_ms: u64,
}

impl Sched {
    /// The due job to run next: earliest due time, then oldest id, on a free target.
    fn pick(&self, now: u64) -> Option<(String, String)> {
        self.pending
            .iter()
            .filter(|(_, p)| p.due_ms <= now && !self.busy.contains(&p.target))
            .min_by(|a, b| a.1.due_ms.cmp(&b.1.due_ms).then(a.0.cmp(b.0)))
            .map(|(id, p)| (id.clone(), p.target.clone()))
    }

    /// How long a worker may sleep: until a job on a free target or housekeeping is due.
    fn wait(&self, now: u64) -> Duration {
        let next = self
            .pending
            .values()
            .filter(|p| !self.busy.contains(&p.target))
            .map(|p| p.due_ms)
            .chain([self.next_housekeeping_ms])
            .min()
            .unwrap_or(u64::MAX);
        Duration::from_millis(next.saturating_sub(now).clamp(1, 60_000))
    }
}

/// State shared by the [`Outbox`] handles and the workers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub root: PathBuf,
    pub settings: OutboxSettings,
    sched: Mutex<Sched>,
    wake: Condvar,
    batches: Mutex<()>,
    /// What each Mastodon instance (by base URL) allows, as it advertises it.
    pub instance_limits: Mutex<BTreeMap<String, InstanceLimits>>,
    /// Held for the outbox's lifetime: the flock against a second daemon.
    _lock: File,
}

impl Shared {
    pub fn new(root: PathBuf, settings: OutboxSettings, lock_file: File) -> Shared {
        Shared {
            root,
            settings,
            sched: Mutex::new(Sched::default()),
            wake: Condvar::new(),
            batches: Mutex::new(()),
            instance_limits: Mutex::new(BTreeMap::new()),
            _lock: lock_file,
        }
    }

    pub fn lock_batches(&self) -> MutexGuard<'_, ()> {
        lock(&self.batches)
    }

    pub fn job_exists(&self, id: &str) -> bool {
        disk::is_safe_name(id)
            && (self.root.join(disk::JOBS).join(id).is_dir()
                || self.root.join(disk::DONE).join(id).is_dir())
    }

    /// Makes a job due at `due_ms` (0: now) and wakes a worker.
    pub fn schedule(&self, id: &str, target: &str, due_ms: u64) {
        let mut s = lock(&self.sched);
        if !s.running.contains(id) {
            s.pending.insert(
                id.to_owned(),
                Pending {
                    due_ms,
                    target: target.to_owned(),
                },
            );
        }
        drop(s);
        self.wake.notify_all();
    }

    /// Schedules the jobs found on disk (at open).
    pub fn load_jobs(&self) -> io::Result<()> {
        let jobs = self.root.join(disk::JOBS);
        let (mut queued, mut failed) = (0usize, 0usize);
        for id in disk::list_names(&jobs)? {
            match disk::load_job(&jobs.join(&id)) {
                Ok((_, st)) if st.retry.is_done() => self.move_to_done(&id),
                Ok((_, st)) if st.retry.failed => failed += 1,
                Ok((job, st)) => {
                    self.schedule(&id, &job.target(), st.retry.next_attempt_ms);
                    queued += 1;
                }
                Err(e) => error!(job = %id, "unreadable job left in the outbox: {e}"),
            }
        }
        if queued + failed > 0 {
            info!(
                "outbox {}: {queued} jobs to resume, {failed} failed permanently (`samsung-bridge outbox retry` re-queues them)",
                self.root.display()
            );
        }
        Ok(())
    }

    /// `jobs/<id>` → `done/<id>`, files removed (the JSON stays for the listing).
    fn move_to_done(&self, id: &str) {
        let from = self.root.join(disk::JOBS).join(id);
        let to = self.root.join(disk::DONE).join(id);
        let result = (|| {
            if to.exists() {
                fs::remove_dir_all(&to)?;
            }
            fs::rename(&from, &to)?;
            durable::sync_dir(&self.root.join(disk::JOBS))?;
            durable::sync_dir(&self.root.join(disk::DONE))?;
            for name in disk::list_names(&to)? {
                if name.starts_with("media-") {
                    fs::remove_file(to.join(name))?;
                }
            }
            Ok::<(), io::Error>(())
        })();
        if let Err(e) = result {
            error!(job = %id, "could not move the finished job to done/: {e}");
        }
    }

    /// Removes finished jobs older than the retention time.
    pub fn prune_done(&self) {
        let done = self.root.join(disk::DONE);
        for id in disk::list_names(&done).unwrap_or_default() {
            let dir = done.join(&id);
            let age = fs::metadata(dir.join(disk::STATE_FILE))
                .or_else(|_| fs::metadata(&dir))
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok());
            if age.is_some_and(|a| a >= self.settings.done_retention)
                && let Err(e) = fs::remove_dir_all(&dir)
            {
                warn!(job = %id, "could not prune finished job: {e}");
            }
        }
    }

    /// `outbox retry`: every job not finished and not running is due now, failed ones included.
    fn requeue_all(&self) -> usize {
        let jobs = self.root.join(disk::JOBS);
        let mut s = lock(&self.sched);
        let mut n = 0;
        for id in disk::list_names(&jobs).unwrap_or_default() {
            if s.running.contains(&id) {
                continue;
            }
            let dir = jobs.join(&id);
            let Ok((job, mut st)) = disk::load_job(&dir) else {
                continue;
            };
            if st.retry.is_done() {
                continue;
            }
            st.requeue();
            if let Err(e) = disk::save_state(&dir, &st) {
                error!(job = %id, "could not re-queue: {e}");
                continue;
            }
            s.pending.insert(
                id,
                Pending {
                    due_ms: 0,
                    target: job.target(),
                },
            );
            n += 1;
        }
        drop(s);
        self.wake.notify_all();
        n
    }

    fn housekeeping(self: &Arc<Self>) {
        let marker = self.root.join(disk::RETRY_MARKER);
        if marker.exists() && fs::remove_file(&marker).is_ok() {
            let n = self.requeue_all();
            info!("outbox retry: {n} jobs due now");
        }
        let now = disk::now_ms();
        let prune = {
            let mut s = lock(&self.sched);
            let due = s.next_prune_ms <= now;
            if due {
                s.next_prune_ms = now + PRUNE_INTERVAL_MS;
            }
            due
        };
        if prune {
            self.prune_done();
        }
    }

    /// One attempt at job `id`; returns when it is due again (None: done, failed or unreadable).
    fn run_one(&self, id: &str, stop: &AtomicBool) -> Option<u64> {
        let dir = self.root.join(disk::JOBS).join(id);
        let (job, mut st) = match disk::load_job(&dir) {
            Ok(x) => x,
            Err(e) => {
                error!(job = %id, "unreadable job left in the outbox: {e}");
                return None;
            }
        };
        if st.retry.is_done() {
            self.move_to_done(id);
            return None;
        }
        st.retry.begin_attempt();
        let attempt = Attempt {
            shared: self,
            dir: &dir,
            job: &job,
            stop,
        };
        let result = match &job.spec {
            JobSpec::Mastodon(spec) => super::mastodon::run(&attempt, spec, &mut st),
            JobSpec::Mail(spec) => super::mail::run(&attempt, spec),
            JobSpec::Shell(spec) => super::shell::run(&attempt, spec),
        };
        let target = job.target();
        let now = disk::now_ms();
        let due = match result {
            Ok(summary) => {
                st.retry
                    .succeed(CoreInstant::from_millis(now), summary.clone());
                if let Err(e) = disk::save_state(&dir, &st) {
                    // Not marked done on disk: the next start tries again (a
                    // Mastodon job finds its statuses posted and stops there).
                    error!(job = %id, "done, but could not record it: {e}");
                }
                info!(job = %id, target = %target, attempts = st.retry.attempts, "done: {summary}");
                self.move_to_done(id);
                return None;
            }
            Err(Stop::Interrupted) => {
                st.retry.interrupt("interrupted by shutdown");
                Some(0)
            }
            Err(Stop::Failed(f)) => {
                let policy = self
                    .settings
                    .retry_policy(matches!(job.spec, JobSpec::Shell(_)));
                match st
                    .retry
                    .fail(CoreInstant::from_millis(now), &f, &policy, jitter())
                {
                    Decision::Retry { at, delay } => {
                        warn!(
                            job = %id,
                            target = %target,
                            attempt = st.retry.attempts,
                            "attempt failed: {}; next retry in {:.1} s",
                            f.reason,
                            Duration::from(delay).as_secs_f64()
                        );
                        Some(at.as_millis())
                    }
                    _ => {
                        error!(
                            job = %id,
                            target = %target,
                            attempts = st.retry.attempts,
                            "failed permanently: {} (kept; `samsung-bridge outbox retry` re-queues it)",
                            f.reason
                        );
                        None
                    }
                }
            }
        };
        if let Err(e) = disk::save_state(&dir, &st) {
            error!(job = %id, "could not record the failed attempt: {e}");
        }
        due
    }
}

/// What a job runner gets for one attempt.
#[derive(Debug)]
pub(crate) struct Attempt<'a> {
    pub shared: &'a Shared,
    pub dir: &'a Path,
    pub job: &'a JobFile,
    stop: &'a AtomicBool,
}

impl Attempt<'_> {
    /// Records progress durably; failing to do so ends the attempt (transiently).
    pub fn save(&self, st: &JobProgress) -> Result<(), Failure> {
        disk::save_state(self.dir, st)
            .map_err(|e| Failure::transient(format!("cannot record progress: {e}")))
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps `d`, or less when the workers are stopped; false then.
    pub fn sleep(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut s = lock(&self.shared.sched);
        loop {
            if self.stopping() {
                return false;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            s = self
                .shared
                .wake
                .wait_timeout(s, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}

/// The running workers. `shutdown()` stops them after their current attempt;
/// dropping the handle asks them to stop without waiting.
#[derive(Debug)]
pub struct WorkerHandle {
    shared: Arc<Shared>,
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

pub(crate) fn start(shared: &Arc<Shared>) -> WorkerHandle {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, exited) = mpsc::channel();
    let threads = (0..shared.settings.workers.max(1))
        .filter_map(|n| {
            let shared = Arc::clone(shared);
            let stop = Arc::clone(&stop);
            let guard = ExitGuard(tx.clone());
            thread::Builder::new()
                .name(format!("outbox-{n}"))
                .spawn(move || {
                    let _guard = guard;
                    worker_loop(&shared, &stop);
                })
                .inspect_err(|e| error!("cannot start an outbox worker: {e}"))
                .ok()
        })
        .collect();
    WorkerHandle {
        shared: Arc::clone(shared),
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
        let _s = lock(&self.shared.sched);
        self.shared.wake.notify_all();
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.signal();
    }
}

fn worker_loop(shared: &Arc<Shared>, stop: &AtomicBool) {
    let rescan = u64::try_from(shared.settings.rescan_interval.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    let mut s = lock(&shared.sched);
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let now = disk::now_ms();
        if s.next_housekeeping_ms <= now && !s.housekeeping {
            s.housekeeping = true;
            s.next_housekeeping_ms = now.saturating_add(rescan);
            drop(s);
            shared.housekeeping();
            s = lock(&shared.sched);
            s.housekeeping = false;
            continue;
        }
        if let Some((id, target)) = s.pick(now) {
            s.pending.remove(&id);
            s.running.insert(id.clone());
            s.busy.insert(target.clone());
            drop(s);
            let due = shared.run_one(&id, stop);
            s = lock(&shared.sched);
            s.running.remove(&id);
            s.busy.remove(&target);
            if let Some(due_ms) = due {
                s.pending.entry(id).or_insert(Pending { due_ms, target });
            }
            shared.wake.notify_all();
            continue;
        }
        let wait = s.wait(now);
        s = shared
            .wake
            .wait_timeout(s, wait)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_picks_earliest_on_free_targets() {
        let mut s = Sched::default();
        let add = |s: &mut Sched, id: &str, due: u64, target: &str| {
            s.pending.insert(
                id.into(),
                Pending {
                    due_ms: due,
                    target: target.into(),
                },
            );
        };
        add(&mut s, "b", 10, "mastodon");
        add(&mut s, "a", 10, "mastodon");
        add(&mut s, "c", 5, "mail to x");
        add(&mut s, "d", 500, "shell");
        assert_eq!(s.pick(4), None);
        assert_eq!(s.pick(100), Some(("c".into(), "mail to x".into())));
        s.busy.insert("mail to x".into());
        assert_eq!(s.pick(100), Some(("a".into(), "mastodon".into())));
        s.busy.insert("mastodon".into());
        assert_eq!(s.pick(100), None);
        s.next_housekeeping_ms = 10_000;
        assert_eq!(s.wait(100), Duration::from_millis(400));
    }
}
