//! The life of a job on disk: loaded at open, attempted ([`Outbox::begin`]
//! … [`Outbox::finish`]), moved to `done/` when finished and pruned after
//! the retention time; `outbox retry`'s marker re-queues everything.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use samsung_core::retry::Decision;
use samsung_core::time::Instant as CoreInstant;
use tracing::{error, info, warn};

use super::Outbox;
use super::disk::{self, JobFile, JobProgress, JobSpec};
use crate::durable;

pub use samsung_core::retry::Failure;

/// Why an attempt ended without finishing its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
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

/// One attempt at a job: what it is and how far it got.
#[derive(Debug)]
pub struct Attempt {
    /// The job's directory (`jobs/<id>`: its files are `dir/<StoredFile::file>`).
    pub dir: PathBuf,
    /// What to do.
    pub job: JobFile,
    /// How far it got (the runner updates it, then [`Attempt::save`]s it).
    pub progress: JobProgress,
}

impl Attempt {
    /// Records the progress durably; failing to do so ends the attempt (transiently).
    pub fn save(&self) -> Result<(), Failure> {
        save_progress(&self.dir, &self.progress)
    }
}

/// Records a job's progress durably in its directory `dir`; failing to do
/// so ends the attempt (transiently).
pub fn save_progress(dir: &Path, progress: &JobProgress) -> Result<(), Failure> {
    disk::save_state(dir, progress)
        .map_err(|e| Failure::transient(format!("cannot record progress: {e}")))
}

impl Outbox {
    /// Whether job `id` exists (queued, failed or done).
    pub(super) fn job_exists(&self, id: &str) -> bool {
        disk::is_safe_name(id)
            && (self.root.join(disk::JOBS).join(id).is_dir()
                || self.root.join(disk::DONE).join(id).is_dir())
    }

    /// Schedules the jobs found on disk (at open).
    pub(super) fn load_jobs(&self) -> io::Result<()> {
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

    /// `outbox retry`: every job not finished and not running is due now,
    /// failed ones included; returns how many.
    pub fn requeue_all(&self) -> usize {
        let jobs = self.root.join(disk::JOBS);
        let mut s = self.sched();
        let mut n = 0;
        for id in disk::list_names(&jobs).unwrap_or_default() {
            if s.is_running(&id) {
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
            s.insert(&id, &job.target(), 0);
            n += 1;
        }
        drop(s);
        (self.notify)();
        n
    }

    /// What [`super::Step::Housekeeping`] asks for: picks up `outbox
    /// retry`'s marker and, now and then, prunes finished jobs.
    pub fn housekeeping(&self, now_ms: u64) {
        let marker = self.root.join(disk::RETRY_MARKER);
        if marker.exists() && fs::remove_file(&marker).is_ok() {
            let n = self.requeue_all();
            info!("outbox retry: {n} jobs due now");
        }
        let prune = self.sched().take_prune(now_ms);
        if prune {
            self.prune_done();
        }
    }

    /// Starts an attempt at job `id` (a [`super::Claim`]ed one): None when
    /// there is nothing to attempt (unreadable: logged; already done:
    /// moved to `done/`).
    pub fn begin(&self, id: &str) -> Option<Attempt> {
        let dir = self.root.join(disk::JOBS).join(id);
        let (job, mut progress) = match disk::load_job(&dir) {
            Ok(x) => x,
            Err(e) => {
                error!(job = %id, "unreadable job left in the outbox: {e}");
                return None;
            }
        };
        if progress.retry.is_done() {
            self.move_to_done(id);
            return None;
        }
        progress.retry.begin_attempt();
        Some(Attempt { dir, job, progress })
    }

    /// Ends an attempt with its runner's `result` (`Ok(summary)`: done) at
    /// `now_ms`: records and logs it, moves a finished job to `done/`, and
    /// returns when the job is due again (None: done or failed for good).
    pub fn finish(
        &self,
        attempt: Attempt,
        result: Result<String, Stop>,
        now_ms: u64,
    ) -> Option<u64> {
        let Attempt {
            dir,
            job,
            progress: mut st,
        } = attempt;
        let (id, target) = (&job.id, job.target());
        let due = match result {
            Ok(summary) => {
                st.retry
                    .succeed(CoreInstant::from_millis(now_ms), summary.clone());
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
                match st.retry.fail(
                    CoreInstant::from_millis(now_ms),
                    &f,
                    &policy,
                    disk::random_u32(),
                ) {
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
