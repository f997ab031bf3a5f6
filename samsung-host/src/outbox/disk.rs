//! The outbox on disk: job ids, the two JSON files of a job, durable writes.
//!
//! ```text
//! <outbox>/lock                 held (flock) by the daemon that owns the outbox
//! <outbox>/retry-now            marker left by `samsung-bridge outbox retry`
//! <outbox>/tmp/<id>/            a job being assembled (removed at open: never half a job)
//! <outbox>/jobs/<id>/job.json   what to do (written once)
//! <outbox>/jobs/<id>/state.json progress: attempts, next attempt, error, uploaded media, posted statuses
//! <outbox>/jobs/<id>/media-<n>  the files, named by position (camera names stay in job.json)
//! <outbox>/done/<id>/           finished jobs, JSON only, pruned after a retention time
//! <outbox>/batches/<batch>/     social uploads of a batch that is still open:
//!                               <index>.media + <index>.json per file, `job` once it is being turned into a job
//! ```

use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use samsung_core::mastodon::PostProgress;
use samsung_core::retry::RetryState;
use samsung_core::time::CivilTime;
use serde::{Deserialize, Serialize};

use super::ShellValues;

/// Format version of `job.json` / `state.json`.
pub const FORMAT_VERSION: u32 = 1;
/// A job's immutable description.
pub const JOB_FILE: &str = "job.json";
/// A job's progress, rewritten after every step.
pub const STATE_FILE: &str = "state.json";
/// Left by `outbox retry` (another process); the running bridge re-queues every job when it sees it.
pub const RETRY_MARKER: &str = "retry-now";
/// The lock file held by the bridge that owns the outbox.
pub const LOCK_FILE: &str = "lock";
/// Jobs not finished yet (queued, retrying, failed).
pub const JOBS: &str = "jobs";
/// Finished jobs, kept for the listing.
pub const DONE: &str = "done";
/// Jobs being assembled (removed at open).
pub const TMP: &str = "tmp";
/// Social batches still collecting files.
pub const BATCHES: &str = "batches";
/// In a batch directory: the id of the job it is being turned into.
pub const BATCH_JOB_MARKER: &str = "job";

pub use crate::clock::now_ms;

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a Unix time in milliseconds.
pub fn format_utc(ms: u64) -> String {
    let t = CivilTime::from_unix_millis(ms);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// A fresh job id: UTC time (sortable) and 32 random bits, e.g. `20261127T085501.123Z-3fa9c2d1`.
pub fn new_job_id(now: u64) -> String {
    let t = CivilTime::from_unix_millis(now);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z-{:08x}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.millis,
        random_u32()
    )
}

/// A random `u32` (job ids, the back-off's jitter); never fails.
pub fn random_u32() -> u32 {
    // The id only has to differ from the other ids of the same millisecond;
    // if the OS RNG fails, a counter and the clock's nanoseconds do.
    static FALLBACK: AtomicU32 = AtomicU32::new(0);
    getrandom::u32().unwrap_or_else(|_| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        nanos ^ FALLBACK.fetch_add(0x9E37_79B9, Ordering::Relaxed)
    })
}

/// Names that are safe as a single path component and that we created: ids, batch ids.
pub fn is_safe_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 96
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// One file of a job, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Name inside the job directory (`media-0`, …).
    pub file: String,
    /// The name the camera gave it (for the multipart / MIME headers only).
    pub file_name: String,
    /// The camera's content type, if it sent one.
    pub content_type: Option<String>,
    /// Alt text (Mastodon only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

/// A Mastodon post (or thread).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MastodonSpec {
    /// `None`: `[MASTODON]`, `Some(name)`: `[MASTODON.<name>]`.
    pub instance: Option<String>,
    /// The post's text (before the configured postscript).
    pub caption: String,
    /// The album (batch title), if the camera gave one.
    pub album: Option<String>,
    /// The files, in posting order.
    pub media: Vec<StoredFile>,
    /// What it came from, for logs and the listing: `batch <id>` or `e-mail`.
    pub source: String,
}

/// An e-mail via the smarthost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSpec {
    /// The camera's sender (unless the config overrides it).
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// The subject line.
    pub subject: String,
    /// The text body.
    pub body: String,
    /// The attachments.
    pub attachments: Vec<StoredFile>,
}

/// A shell command for one stored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellSpec {
    /// `None`: `[SHELL]`, `Some(name)`: `[SHELL.<name>]`.
    pub instance: Option<String>,
    /// The command's placeholders.
    pub values: ShellValues,
}

/// What a job does (immutable after creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum JobSpec {
    /// A Mastodon post (or thread).
    Mastodon(MastodonSpec),
    /// An e-mail via the smarthost.
    Mail(MailSpec),
    /// A shell command for one stored file.
    Shell(ShellSpec),
}

/// `job.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFile {
    /// [`FORMAT_VERSION`] when written.
    pub version: u32,
    /// The job id (its directory name).
    pub id: String,
    /// When it was queued (Unix ms).
    pub created_ms: u64,
    /// What to do (its fields are top-level keys, with `kind`).
    #[serde(flatten)]
    pub spec: JobSpec,
}

impl JobFile {
    /// `mastodon`, `mastodon.<instance>`, `mail to a, b`, `shell.<instance>`.
    pub fn target(&self) -> String {
        match &self.spec {
            JobSpec::Mastodon(m) => with_instance("mastodon", m.instance.as_deref()),
            JobSpec::Mail(m) => format!("mail to {}", m.to.join(", ")),
            JobSpec::Shell(s) => with_instance("shell", s.instance.as_deref()),
        }
    }

    /// One line about the content, for logs and the listing.
    pub fn describe(&self) -> String {
        match &self.spec {
            JobSpec::Mastodon(m) => format!("{}, {}", m.source, count(m.media.len(), "file")),
            JobSpec::Mail(m) => format!(
                "\"{}\", {}",
                excerpt(&m.subject, 40),
                count(m.attachments.len(), "attachment")
            ),
            JobSpec::Shell(s) => format!("file {}", s.values.filename),
        }
    }
}

/// A target's name: `action` or `action.<instance>`.
pub fn with_instance(action: &str, instance: Option<&str>) -> String {
    match instance {
        Some(i) => format!("{action}.{i}"),
        None => action.to_owned(),
    }
}

/// `1 file`, `2 files`.
pub fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// At most `max` characters, control characters replaced, `…` when cut.
pub fn excerpt(s: &str, max: usize) -> String {
    let mut out: String = s
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.trim().chars().count() > max {
        out.push('…');
    }
    out
}

/// `state.json`: rewritten (durably) after every step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgress {
    /// Attempts, when due, how it ended (the core's retry bookkeeping; its
    /// fields are the top-level keys of `state.json`).
    #[serde(flatten)]
    pub retry: RetryState,
    /// Mastodon: uploaded media, posted statuses, the thread layout (the
    /// core's post progress; its fields are top-level keys too).
    #[serde(flatten)]
    pub mastodon: PostProgress,
}

impl JobProgress {
    /// `outbox retry`: due now, with a fresh back-off; a Mastodon job
    /// uploads again what may have expired on the server.
    pub fn requeue(&mut self) {
        self.retry.requeue();
        self.mastodon.requeue();
    }
}

/// The JSON of `job.json` / `state.json` (never fails for these types).
pub fn to_json<T: Serialize>(v: &T) -> io::Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(v).map_err(io::Error::other)?;
    out.push(b'\n');
    Ok(out)
}

/// Reads a JSON file; a parse error names the file.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> io::Result<T> {
    let bytes = fs::read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

use crate::durable::{self, sync_dir, write_synced};

/// Puts `src` at `dst` (same file system: a hard link; otherwise a copy) and fsyncs it.
pub fn link_or_copy(src: &Path, dst: &Path) -> io::Result<()> {
    if fs::hard_link(src, dst).is_err() {
        fs::copy(src, dst)?;
    }
    // The caller may not have synced its data; a no-op when it has.
    File::open(dst)?.sync_all()
}

/// Moves `src` to `dst` (rename; across file systems: copy, fsync, remove).
pub fn move_file(src: &Path, dst: &Path) -> io::Result<()> {
    match fs::rename(src, dst) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            fs::copy(src, dst)?;
            File::open(dst)?.sync_all()?;
            fs::remove_file(src)
        }
        Err(e) => Err(e),
    }
}

/// Names of the entries of `dir` that are safe names, sorted (missing dir: none).
pub fn list_names(dir: &Path) -> io::Result<Vec<String>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in rd {
        let name = entry?.file_name();
        if let Some(n) = name.to_str().filter(|n| is_safe_name(n)) {
            out.push(n.to_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a job's `job.json` and `state.json` from its directory.
pub fn load_job(dir: &Path) -> io::Result<(JobFile, JobProgress)> {
    let job: JobFile = read_json(&dir.join(JOB_FILE))?;
    let state = read_json(&dir.join(STATE_FILE))?;
    Ok((job, state))
}

/// Rewrites a job's `state.json` atomically.
pub fn save_state(dir: &Path, state: &JobProgress) -> io::Result<()> {
    durable::replace(&dir.join(STATE_FILE), &to_json(state)?)
}

/// Assembles a job under `tmp/<id>` and renames it into `jobs/<id>`: after a
/// crash there is either no job or a complete one (plus debris in `tmp/`
/// that `open` removes). `files` (source, name in the job) are hard-linked
/// or copied: their owner keeps (and later deletes) them.
pub fn commit_job(root: &Path, job: &JobFile, files: &[(&Path, &str)]) -> io::Result<()> {
    let staging = root.join(TMP).join(&job.id);
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir(&staging)?;
    let result = (|| {
        for (src, name) in files {
            link_or_copy(src, &staging.join(name))?;
        }
        write_synced(&staging.join(JOB_FILE), &to_json(job)?)?;
        write_synced(
            &staging.join(STATE_FILE),
            &to_json(&JobProgress::default())?,
        )?;
        sync_dir(&staging)?;
        let jobs = root.join(JOBS);
        fs::rename(&staging, jobs.join(&job.id))?;
        sync_dir(&jobs)?;
        sync_dir(&root.join(TMP))
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use samsung_core::mastodon::{MediaProgress, PostedStatus};

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00");
        // 2026-11-27 08:55:01.123 UTC
        assert_eq!(format_utc(1_795_769_701_123), "2026-11-27 08:55:01");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00:00");
        let id = new_job_id(1_795_769_701_123);
        assert!(id.starts_with("20261127T085501.123Z-"), "{id}");
        assert_eq!(id.len(), "20261127T085501.123Z-".len() + 8);
        assert!(is_safe_name(&id));
        assert_ne!(new_job_id(0), new_job_id(0));
    }

    #[test]
    fn safe_names() {
        for ok in ["a", "0123456789abcdef", "x-y_z.1"] {
            assert!(is_safe_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "ä",
            "a b",
            &"x".repeat(97),
        ] {
            assert!(!is_safe_name(bad), "{bad}");
        }
    }

    #[test]
    fn excerpts() {
        assert_eq!(excerpt(" a\nb ", 10), "a b");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("äöü", 3), "äöü");
    }

    #[test]
    fn requeue_keeps_only_attached_media() {
        let done = |id: &str| MediaProgress::Done(id.into());
        let posted = PostedStatus {
            id: "s1".into(),
            url: None,
        };
        let mut st = JobProgress {
            retry: RetryState {
                failed: true,
                round_attempts: 3,
                next_attempt_ms: 99,
                ..RetryState::default()
            },
            mastodon: PostProgress {
                per_status: Some(2),
                media: vec![
                    done("1"),
                    done("2"),
                    done("3"),
                    MediaProgress::Processing("4".into()),
                ],
                statuses: vec![posted.clone()],
                ..PostProgress::default()
            },
        };
        st.requeue();
        assert!(st.retry.is_queued() && st.retry.round_attempts == 0);
        assert_eq!(st.retry.due().as_millis(), 0);
        assert_eq!(
            st.mastodon.media,
            [
                done("1"),
                done("2"),
                MediaProgress::Pending,
                MediaProgress::Pending
            ]
        );
        assert_eq!(st.mastodon.statuses, [posted]);
        let mut fresh = JobProgress {
            mastodon: PostProgress {
                media: vec![done("1")],
                ..PostProgress::default()
            },
            ..JobProgress::default()
        };
        fresh.requeue();
        assert_eq!(fresh.mastodon.media, [MediaProgress::Pending]);
    }

    /// A `state.json` as the previous release (c6691ad) wrote it reads into
    /// the same values, and is written back with the same keys.
    #[test]
    fn state_json_of_the_previous_release_reads_unchanged() {
        let old = r#"{
  "attempts": 3,
  "round_attempts": 1,
  "next_attempt_ms": 1764233701123,
  "last_error": "posting the status: HTTP 503",
  "failed": false,
  "done_ms": null,
  "result": null,
  "per_status": 4,
  "media": [
    {
      "state": "done",
      "id": "109"
    },
    {
      "state": "pending"
    }
  ]
}
"#;
        let st: JobProgress = serde_json::from_str(old).unwrap();
        assert_eq!(st.retry.attempts, 3);
        assert_eq!(st.retry.round_attempts, 1);
        assert_eq!(st.retry.next_attempt_ms, 1_764_233_701_123);
        assert_eq!(
            st.retry.last_error.as_deref(),
            Some("posting the status: HTTP 503")
        );
        assert!(st.retry.is_queued());
        assert_eq!(st.mastodon.per_status, Some(4));
        assert_eq!(
            st.mastodon.media,
            [MediaProgress::Done("109".into()), MediaProgress::Pending]
        );
        assert_eq!(String::from_utf8(to_json(&st).unwrap()).unwrap(), old);

        // Mid-thread, with a numeric-looking id and a status without URL.
        let old = r#"{
  "attempts": 2,
  "round_attempts": 2,
  "next_attempt_ms": 0,
  "last_error": null,
  "failed": false,
  "done_ms": null,
  "result": null,
  "per_status": 2,
  "media": [
    {
      "state": "done",
      "id": "340282366920938463463374607431768211455"
    },
    {
      "state": "done",
      "id": "2"
    },
    {
      "state": "processing",
      "id": "3"
    }
  ],
  "statuses": [
    {
      "id": "110912345678901234",
      "url": "https://m.example/@a/110912345678901234"
    },
    {
      "id": "7",
      "url": null
    }
  ]
}
"#;
        let st: JobProgress = serde_json::from_str(old).unwrap();
        assert_eq!(
            st.mastodon.media[0],
            MediaProgress::Done("340282366920938463463374607431768211455".into())
        );
        assert_eq!(
            st.mastodon.statuses,
            [
                PostedStatus {
                    id: "110912345678901234".into(),
                    url: Some("https://m.example/@a/110912345678901234".into()),
                },
                PostedStatus {
                    id: "7".into(),
                    url: None,
                },
            ]
        );
        assert!(st.mastodon.parts.is_empty() && !st.mastodon.maybe_posted);
        assert_eq!(String::from_utf8(to_json(&st).unwrap()).unwrap(), old);
    }

    #[test]
    fn state_json_round_trip() {
        let s = JobProgress {
            retry: RetryState {
                attempts: 2,
                ..RetryState::default()
            },
            mastodon: PostProgress {
                per_status: Some(4),
                media: vec![
                    MediaProgress::Done("1".into()),
                    MediaProgress::Processing("2".into()),
                    MediaProgress::Pending,
                ],
                statuses: vec![PostedStatus {
                    id: "9".into(),
                    url: None,
                }],
                parts: vec![4],
                maybe_posted: true,
            },
        };
        let json = String::from_utf8(to_json(&s).unwrap()).unwrap();
        assert!(json.contains(r#""state": "processing""#), "{json}");
        assert_eq!(serde_json::from_str::<JobProgress>(&json).unwrap(), s);
        // Older/minimal files without the Mastodon fields still load.
        let minimal = r#"{"attempts":0,"round_attempts":0,"next_attempt_ms":0,"last_error":null,"failed":false,"done_ms":null,"result":null}"#;
        assert_eq!(
            serde_json::from_str::<JobProgress>(minimal).unwrap(),
            JobProgress::default()
        );
    }
}
