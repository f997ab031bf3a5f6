//! The durable outbox: Mastodon posts, e-mails and shell commands that run
//! after the camera has been answered, kept on disk until they are done.
//!
//! This module is the outbox's on-disk format and everything synchronous
//! about it; the frontend brings the waiting (threads or async tasks) and
//! the transports. It holds:
//!
//! - **Durable enqueueing.** Every enqueue call returns only when its job is
//!   on disk (temp directory, fsync, rename, fsync): a crash leaves no job
//!   or a whole one. Jobs survive restarts; [`Outbox::open`] schedules them.
//! - **Scheduling** ([`Schedule`]): which job is due when, at most one
//!   attempt per target at a time; pure, it takes `now`.
//! - **Attempts** ([`Outbox::begin`], [`Attempt::save`], [`Outbox::finish`]):
//!   progress recorded durably after each step; the core's retry policy
//!   decides what a failure leads to (transient failures back off
//!   exponentially from ~2 s to ~5 min with jitter, permanent ones keep the
//!   job with its reason until `outbox retry`).
//! - **Exactly once** for Mastodon: the core's post job saves its progress
//!   (uploaded media ids, posted statuses) after each step and sends an
//!   `Idempotency-Key` derived from the job id.
//!
//! The on-disk format is described in [`disk`].

mod batch;
pub mod disk;
mod jobs;
mod listing;
pub mod mail;
pub mod mastodon;
mod schedule;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use samsung_core::config::{MailConfig, MastodonConfig, ShellConfig};
use samsung_core::mastodon::InstanceLimits;
use serde::{Deserialize, Serialize};
use tracing::info;

use disk::{JobFile, JobSpec, MailSpec, MastodonSpec, ShellSpec, StoredFile};

pub use batch::{BATCH_RESCAN, OpenBatch, adopt_batches, post_closed_batch};
pub use jobs::{Attempt, Failure, Stop, save_progress};
pub use listing::{JobKind, JobState, JobSummary};
pub use schedule::{Claim, Schedule, Step};

/// What the outbox forwards to, and how patiently.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// Key None = `[MASTODON]`, Some(name) = `[MASTODON.<name>]`.
    pub mastodon: BTreeMap<Option<String>, MastodonConfig>,
    /// The SMTP smarthost (None: mail jobs fail permanently with that reason).
    pub mail: Option<MailConfig>,
    /// Key None = `[SHELL]`, Some(name) = `[SHELL.<name>]`.
    pub shell: BTreeMap<Option<String>, ShellConfig>,
    /// Most attachments per status; what the instance advertises
    /// (`configuration.statuses.max_media_attachments`, else 4) caps too.
    /// None: the instance's limit alone (GoToSocial allows 6).
    pub max_media_per_status: Option<usize>,
    /// First retry delay; doubled per attempt (with ±20 % jitter).
    pub backoff_base: Duration,
    /// Longest retry delay (`Retry-After` may ask for more, up to an hour).
    pub backoff_cap: Duration,
    /// Failed attempts of a shell command before it counts as a permanent failure.
    pub shell_max_attempts: u32,
    /// A shell command running longer is killed (and the attempt failed).
    pub shell_timeout: Duration,
    /// Stall timeout of HTTP requests (connect, each read/write, waiting for the answer).
    pub http_timeout: Duration,
    /// SMTP connection/command timeout.
    pub smtp_timeout: Duration,
    /// Per attempt, how long to poll a media upload Mastodon is still processing.
    pub media_processing_wait: Duration,
    /// How often the runner looks for `outbox retry`'s marker.
    pub rescan_interval: Duration,
    /// Finished jobs are listed for this long, then removed.
    pub done_retention: Duration,
    /// Worker threads (jobs for the same target never run in parallel).
    pub workers: usize,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            mastodon: BTreeMap::new(),
            mail: None,
            shell: BTreeMap::new(),
            max_media_per_status: None,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(300),
            shell_max_attempts: 5,
            shell_timeout: Duration::from_secs(300),
            http_timeout: Duration::from_secs(60),
            smtp_timeout: Duration::from_secs(60),
            media_processing_wait: Duration::from_secs(300),
            rescan_interval: Duration::from_secs(2),
            done_retention: Duration::from_secs(7 * 24 * 3600),
            workers: 2,
        }
    }
}

impl OutboxSettings {
    /// The core's retry policy for a job: shell commands are given up after
    /// `shell_max_attempts` failures in a row, the others only when a
    /// failure is permanent.
    pub fn retry_policy(&self, shell: bool) -> samsung_core::retry::RetryPolicy {
        samsung_core::retry::RetryPolicy {
            base: self.backoff_base.into(),
            cap: self.backoff_cap.into(),
            max_attempts: shell.then_some(self.shell_max_attempts.max(1)),
            ..samsung_core::retry::RetryPolicy::default()
        }
    }
}

/// A file to forward, with its camera-given name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// Where it is now (linked or copied into the job).
    pub path: PathBuf,
    /// The name the camera gave it.
    pub file_name: String,
    /// The camera's content type, if it sent one.
    pub content_type: Option<String>,
    /// Alt text (Mastodon only).
    pub alt: Option<String>,
}

/// One e-mail to the SMTP smarthost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailJob {
    /// The camera's sender (`Name <a@b>` or `a@b`), unless the config overrides it.
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// The subject line.
    pub subject: String,
    /// The text body.
    pub body: String,
    /// `alt` is unused.
    pub attachments: Vec<MediaFile>,
}

/// The placeholders of a shell action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellValues {
    /// The camera's sender.
    pub sender: String,
    /// The recipient (or site).
    pub recipient: String,
    /// The stored file's path.
    pub filename: String,
    /// The e-mail's subject.
    pub subject: String,
    /// The e-mail's body.
    pub body: String,
}

/// A job's id: its directory name, time-ordered (`20261127T085501.123Z-3fa9c2d1`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(String);

impl JobId {
    /// An id read back (from a listing, a log line): None unless it is a
    /// safe directory name, as every id the outbox makes is.
    pub fn parse(id: &str) -> Option<JobId> {
        disk::is_safe_name(id).then(|| JobId(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Called whenever a job becomes due earlier than the runner may expect
/// (enqueued, re-queued), so that a waiting runner looks at the
/// [`Schedule`] again.
pub type Notify = Box<dyn Fn() + Send + Sync>;

/// The outbox directory, opened and locked. `Send + Sync`; share it.
pub struct Outbox {
    root: PathBuf,
    settings: OutboxSettings,
    sched: Mutex<Schedule>,
    notify: Notify,
    batches: Mutex<()>,
    /// What each Mastodon instance (by base URL) allows, as it advertises it.
    instance_limits: Mutex<BTreeMap<String, InstanceLimits>>,
    /// Held for the outbox's lifetime: the lock against a second bridge
    /// (None where the platform has no file locks).
    _lock: Option<File>,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("root", &self.root)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// Opens (creates) the outbox directory and locks it against a second
    /// bridge; removes half-assembled jobs, finishes interrupted batch
    /// closes, schedules the jobs left by an earlier run and prunes
    /// finished ones past their retention. `notify` is called whenever
    /// a job was scheduled.
    pub fn open(dir: &Path, settings: OutboxSettings, notify: Notify) -> io::Result<Outbox> {
        for sub in [disk::JOBS, disk::DONE, disk::TMP, disk::BATCHES] {
            fs::create_dir_all(dir.join(sub))?;
        }
        let lock = lock_outbox(dir)?;
        // Jobs that were being assembled when we stopped never existed.
        for name in disk::list_names(&dir.join(disk::TMP))? {
            fs::remove_dir_all(dir.join(disk::TMP).join(&name))?;
        }
        let outbox = Outbox {
            root: dir.to_path_buf(),
            sched: Mutex::new(Schedule::new(settings.rescan_interval)),
            settings,
            notify,
            batches: Mutex::new(()),
            instance_limits: Mutex::new(BTreeMap::new()),
            _lock: lock,
        };
        outbox.recover_batches()?;
        outbox.load_jobs()?;
        outbox.prune_done();
        Ok(outbox)
    }

    /// The outbox directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What it forwards to, and how patiently.
    pub fn settings(&self) -> &OutboxSettings {
        &self.settings
    }

    /// The schedule of due jobs. A threaded frontend waits on a condition
    /// variable with this guard (and wakes it from [`Notify`]).
    pub fn sched(&self) -> MutexGuard<'_, Schedule> {
        lock(&self.sched)
    }

    /// Held while a batch directory changes.
    fn lock_batches(&self) -> MutexGuard<'_, ()> {
        lock(&self.batches)
    }

    /// What the Mastodon instance at `base_url` advertised, if known.
    pub fn instance_limits(&self, base_url: &str) -> Option<InstanceLimits> {
        lock(&self.instance_limits).get(base_url).copied()
    }

    /// Remembers what the instance at `base_url` advertised (asked once per run).
    pub fn set_instance_limits(&self, base_url: &str, limits: InstanceLimits) {
        lock(&self.instance_limits).insert(base_url.to_owned(), limits);
    }

    /// E-mail to a Mastodon recipient: one post with caption and one alt
    /// text per attachment. The files are linked (or copied) into the outbox.
    pub fn enqueue_mastodon(
        &self,
        instance: Option<&str>,
        caption: &str,
        album: Option<&str>,
        media: &[MediaFile],
    ) -> io::Result<JobId> {
        let id = disk::new_job_id(disk::now_ms());
        let (stored, files) = stored_files(media, true);
        let job = JobFile {
            version: disk::FORMAT_VERSION,
            id: id.clone(),
            created_ms: disk::now_ms(),
            spec: JobSpec::Mastodon(MastodonSpec {
                instance: instance.map(str::to_owned),
                caption: caption.to_owned(),
                album: album.map(str::to_owned),
                media: stored,
                source: String::from("e-mail"),
            }),
        };
        self.commit(&job, &files)?;
        Ok(JobId(id))
    }

    /// E-mail forwarding via SMTP: one mail to all recipients with all attachments.
    pub fn enqueue_mail(&self, mail: MailJob) -> io::Result<JobId> {
        let id = disk::new_job_id(disk::now_ms());
        let (stored, files) = stored_files(&mail.attachments, false);
        let job = JobFile {
            version: disk::FORMAT_VERSION,
            id: id.clone(),
            created_ms: disk::now_ms(),
            spec: JobSpec::Mail(MailSpec {
                from: mail.from,
                to: mail.to,
                subject: mail.subject,
                body: mail.body,
                attachments: stored,
            }),
        };
        self.commit(&job, &files)?;
        Ok(JobId(id))
    }

    /// Shell action for one stored file (the file stays where it is stored).
    pub fn enqueue_shell(&self, instance: Option<&str>, values: ShellValues) -> io::Result<JobId> {
        let id = disk::new_job_id(disk::now_ms());
        let job = JobFile {
            version: disk::FORMAT_VERSION,
            id: id.clone(),
            created_ms: disk::now_ms(),
            spec: JobSpec::Shell(ShellSpec {
                instance: instance.map(str::to_owned),
                values,
            }),
        };
        self.commit(&job, &[])?;
        Ok(JobId(id))
    }

    /// Writes the job and schedules it.
    fn commit(&self, job: &JobFile, files: &[(PathBuf, String)]) -> io::Result<()> {
        let files: Vec<(&Path, &str)> = files
            .iter()
            .map(|(p, n)| (p.as_path(), n.as_str()))
            .collect();
        disk::commit_job(&self.root, job, &files)?;
        info!(
            job = %job.id,
            kind = listing::job_kind(&job.spec).as_str(),
            target = %job.target(),
            "queued: {}",
            job.describe()
        );
        self.schedule(&job.id, &job.target(), 0);
        Ok(())
    }

    /// Makes a job due at `due_ms` (0: now) and notifies the runner.
    fn schedule(&self, id: &str, target: &str, due_ms: u64) {
        self.sched().insert(id, target, due_ms);
        (self.notify)();
    }
}

/// How long opening an outbox waits for a lock that another holder is
/// releasing: a daemon restarted while the old one is still exiting, or a
/// descriptor briefly duplicated into a child process between its fork and
/// its exec (the lock lives until every copy is closed).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Takes the outbox's lock file, waiting up to [`LOCK_WAIT`] for a holder
/// that is letting go. Where the platform has no file locks (WASI), the
/// outbox is used unlocked: one bridge per directory is then the user's
/// promise.
fn lock_outbox(dir: &Path) -> io::Result<Option<File>> {
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(disk::LOCK_FILE))?;
    let started = std::time::Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(Some(lock)),
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::ResourceBusy,
                    format!(
                        "outbox {} is in use by another samsung-bridge",
                        dir.display()
                    ),
                ));
            }
            Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {
                return Ok(None);
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

fn stored_files(media: &[MediaFile], keep_alt: bool) -> (Vec<StoredFile>, Vec<(PathBuf, String)>) {
    media
        .iter()
        .enumerate()
        .map(|(n, m)| {
            let file = format!("media-{n}");
            (
                StoredFile {
                    file: file.clone(),
                    file_name: m.file_name.clone(),
                    content_type: m.content_type.clone(),
                    alt: m.alt.clone().filter(|_| keep_alt),
                },
                (m.path.clone(), file),
            )
        })
        .unzip()
}

/// A poisoned lock only means another runner panicked; the data is still consistent on disk.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod lock_tests {
    use std::fs::File;

    use super::{LOCK_WAIT, disk, lock_outbox};
    use crate::testutil::scratch;

    fn held(dir: &std::path::Path) -> File {
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(disk::LOCK_FILE))
            .unwrap();
        f.try_lock().unwrap();
        f
    }

    #[test]
    fn a_lock_that_is_let_go_within_the_wait_is_taken() {
        let t = scratch("lock-let-go");
        let holder = held(&t.dir);
        let release = std::thread::spawn(move || {
            std::thread::sleep(LOCK_WAIT / 4);
            drop(holder);
        });
        assert!(lock_outbox(&t.dir).unwrap().is_some());
        release.join().unwrap();
    }

    #[test]
    fn a_lock_held_past_the_wait_is_refused_with_a_clear_reason() {
        let t = scratch("lock-held");
        let _holder = held(&t.dir);
        let err = lock_outbox(&t.dir).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ResourceBusy);
        assert!(
            err.to_string().contains("in use by another samsung-bridge"),
            "{err}"
        );
    }
}
