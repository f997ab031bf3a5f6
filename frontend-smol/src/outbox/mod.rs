//! The durable outbox: Mastodon posts (the core's post job over our own
//! HTTP/1.1 client), e-mails (lettre) and shell commands run here, after
//! the camera has been answered.
//!
//! - **Durable.** Every enqueue call returns only when its job is on disk
//!   (temp directory, fsync, rename, fsync): a crash leaves no job or a whole
//!   one. Jobs survive restarts; [`Outbox::start`] resumes them.
//! - **Exactly once.** A Mastodon job saves its progress (uploaded media ids,
//!   posted statuses) after each step, sends an `Idempotency-Key` derived
//!   from the job id and thread part, and looks for a status whose post got
//!   no clear answer before posting it again, so neither a retry nor a
//!   crash between "posted" and "saved" posts twice.
//! - **Retries.** Transient failures (connection errors, timeouts, 408, 425,
//!   429, 5xx, SMTP 4xx, shell failures) back off exponentially from ~2 s to
//!   ~5 min with jitter; `Retry-After` is respected. Permanent failures (other
//!   4xx, SMTP 5xx, bad config) keep the job with the reason until
//!   `samsung-bridge outbox retry` ([`Outbox::retry_now`]).
//!
//! The on-disk format is described in `disk.rs`.

mod batch;
mod disk;
mod http;
mod listing;
mod mail;
mod mastodon;
mod shell;
mod worker;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::config::{MailConfig, MastodonConfig, ShellConfig};
use disk::{JobFile, JobSpec, MailSpec, MastodonSpec, ShellSpec, StoredFile};

pub use batch::OpenBatch;
pub use listing::{JobKind, JobState, JobSummary};
pub use worker::WorkerHandle;

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
    /// How often the workers look for `outbox retry`'s marker.
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
    pub(crate) fn retry_policy(&self, shell: bool) -> samsung_core::retry::RetryPolicy {
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
    pub path: PathBuf,
    pub file_name: String,
    pub content_type: Option<String>,
    /// Alt text (Mastodon only).
    pub alt: Option<String>,
}

/// One e-mail to the SMTP smarthost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailJob {
    /// The camera's sender (`Name <a@b>` or `a@b`), unless the config overrides it.
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    /// `alt` is unused.
    pub attachments: Vec<MediaFile>,
}

/// The placeholders of a shell action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellValues {
    pub sender: String,
    pub recipient: String,
    /// The stored file's path.
    pub filename: String,
    pub subject: String,
    pub body: String,
}

/// A job's id: its directory name, time-ordered (`20261127T085501.123Z-3fa9c2d1`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(String);

impl JobId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outbox. Cheap to clone (shared state); `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Outbox {
    shared: Arc<worker::Shared>,
}

impl Outbox {
    /// Opens (creates) the outbox directory and locks it against a second
    /// daemon; jobs from an earlier run are resumed by [`Outbox::start`].
    pub fn open(dir: &Path, settings: OutboxSettings) -> io::Result<Outbox> {
        for sub in [disk::JOBS, disk::DONE, disk::TMP, disk::BATCHES] {
            fs::create_dir_all(dir.join(sub))?;
        }
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(disk::LOCK_FILE))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::ResourceBusy,
                    format!(
                        "outbox {} is in use by another samsung-bridge",
                        dir.display()
                    ),
                ));
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
        // Jobs that were being assembled when we stopped never existed.
        for name in disk::list_names(&dir.join(disk::TMP))? {
            fs::remove_dir_all(dir.join(disk::TMP).join(&name))?;
        }
        let shared = Arc::new(worker::Shared::new(dir.to_path_buf(), settings, lock));
        let outbox = Outbox { shared };
        outbox.recover_batches()?;
        outbox.shared.load_jobs()?;
        outbox.shared.prune_done();
        Ok(outbox)
    }

    /// Starts the worker threads; the handle's `shutdown()` stops them.
    #[must_use = "dropping the handle stops the workers"]
    pub fn start(&self) -> WorkerHandle {
        worker::start(&self.shared)
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

    /// Writes the job and hands it to the workers.
    fn commit(&self, job: &JobFile, files: &[(PathBuf, String)]) -> io::Result<()> {
        let files: Vec<(&Path, &str)> = files
            .iter()
            .map(|(p, n)| (p.as_path(), n.as_str()))
            .collect();
        disk::commit_job(&self.shared.root, job, &files)?;
        info!(
            job = %job.id,
            kind = listing::job_kind(&job.spec).as_str(),
            target = %job.target(),
            "queued: {}",
            job.describe()
        );
        self.shared.schedule(&job.id, &job.target(), 0);
        Ok(())
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

/// A poisoned lock only means another worker panicked; the data is still consistent on disk.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
