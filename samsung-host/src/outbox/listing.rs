//! `samsung-bridge outbox` and `outbox retry`: reading the outbox from
//! another process, and the marker a running daemon picks up.

use std::fmt;
use std::io;
use std::path::Path;

use super::disk::{self, JobSpec};
use super::{Outbox, batch};
use crate::durable;

/// What a listed entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A Mastodon post.
    Mastodon,
    /// An e-mail via the smarthost.
    Mail,
    /// A shell command.
    Shell,
    /// A social batch still collecting its files (not yet a job).
    Batch,
    /// A job whose files could not be read.
    Unknown,
}

impl JobKind {
    /// The listing's name for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobKind::Mastodon => "mastodon",
            JobKind::Mail => "mail",
            JobKind::Shell => "shell",
            JobKind::Batch => "batch",
            JobKind::Unknown => "?",
        }
    }
}

/// Where a listed entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// A batch waiting for more files.
    Collecting,
    /// Not tried yet.
    Queued,
    /// Failed transiently; tried again at `next_attempt_ms`.
    Retrying,
    /// Given up (reason in `last_error`) until `outbox retry`.
    Failed,
    /// Finished; kept for the listing until the retention time is over.
    Done,
    /// job.json / state.json could not be read (reason in `last_error`).
    Unreadable,
}

impl JobState {
    /// The listing's name for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobState::Collecting => "collecting",
            JobState::Queued => "queued",
            JobState::Retrying => "retrying",
            JobState::Failed => "failed",
            JobState::Done => "done",
            JobState::Unreadable => "unreadable",
        }
    }
}

/// One line of `samsung-bridge outbox`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSummary {
    /// Job id (or batch id for [`JobKind::Batch`]).
    pub id: String,
    /// What it is.
    pub kind: JobKind,
    /// `mastodon`, `mastodon.<instance>`, `mail to a@b`, `shell.<instance>`.
    pub target: String,
    /// What it carries: `batch 3fa9…, 2 files`, `"Subject", 1 attachment`, `file /path`.
    pub detail: String,
    /// Unix ms of the job's creation (batches: of their latest file).
    pub created_ms: u64,
    /// Attempts so far.
    pub attempts: u32,
    /// Unix ms of the next try (queued and retrying jobs).
    pub next_attempt_ms: Option<u64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Where it stands.
    pub state: JobState,
    /// Done jobs: status URLs, "mail sent to 2 recipients", "command exited 0".
    pub result: Option<String>,
}

impl Outbox {
    /// Every job (and open batch) in the outbox at `dir`, oldest first; works
    /// while a daemon runs (reads only).
    pub fn list(dir: &Path) -> io::Result<Vec<JobSummary>> {
        let mut out = batch::list_batches(dir)?;
        for (sub, done) in [(disk::JOBS, false), (disk::DONE, true)] {
            for name in disk::list_names(&dir.join(sub))? {
                out.push(summary(&dir.join(sub).join(&name), name, done));
            }
        }
        out.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Makes every waiting or failed job due now. Leaves a marker that a
    /// running daemon picks up within `rescan_interval` (or the next start
    /// does). Returns the number of jobs concerned.
    pub fn retry_now(dir: &Path) -> io::Result<usize> {
        if !dir.join(disk::JOBS).is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not an outbox", dir.display()),
            ));
        }
        let n = Outbox::list(dir)?
            .iter()
            .filter(|j| {
                matches!(
                    j.state,
                    JobState::Queued | JobState::Retrying | JobState::Failed
                )
            })
            .count();
        durable::replace(&dir.join(disk::RETRY_MARKER), b"")?;
        Ok(n)
    }

    /// The `samsung-bridge outbox` table.
    pub fn render_list(jobs: &[JobSummary], now_ms: u64) -> String {
        use fmt::Write as _;
        let mut out = String::new();
        if jobs.is_empty() {
            out.push_str("outbox is empty\n");
            return out;
        }
        for j in jobs {
            let _ = write!(
                out,
                "{}  {:<10}  {:<8}  {}  [{}]  created {}",
                j.id,
                j.state.as_str(),
                j.kind.as_str(),
                j.target,
                j.detail,
                disk::format_utc(j.created_ms)
            );
            if j.attempts > 0 {
                let _ = write!(out, ", {} attempts", j.attempts);
            }
            if let Some(next) = j.next_attempt_ms {
                let secs = next.saturating_sub(now_ms).div_ceil(1000);
                if secs == 0 {
                    out.push_str(", next attempt now");
                } else {
                    let _ = write!(out, ", next attempt in {secs} s");
                }
            }
            out.push('\n');
            if let Some(e) = &j.last_error {
                let _ = writeln!(out, "    error: {e}");
            }
            if let Some(r) = &j.result {
                let _ = writeln!(out, "    result: {r}");
            }
        }
        out
    }
}

pub(super) fn job_kind(spec: &JobSpec) -> JobKind {
    match spec {
        JobSpec::Mastodon(_) => JobKind::Mastodon,
        JobSpec::Mail(_) => JobKind::Mail,
        JobSpec::Shell(_) => JobKind::Shell,
    }
}

fn summary(dir: &Path, name: String, done: bool) -> JobSummary {
    match disk::load_job(dir) {
        Ok((job, st)) => JobSummary {
            id: name,
            kind: job_kind(&job.spec),
            target: job.target(),
            detail: job.describe(),
            created_ms: job.created_ms,
            attempts: st.retry.attempts,
            next_attempt_ms: (!done && st.retry.is_queued()).then_some(st.retry.next_attempt_ms),
            last_error: st.retry.last_error.clone(),
            state: if done || st.retry.is_done() {
                JobState::Done
            } else if st.retry.failed {
                JobState::Failed
            } else if st.retry.attempts == 0 {
                JobState::Queued
            } else {
                JobState::Retrying
            },
            result: st.retry.result.clone(),
        },
        Err(e) => JobSummary {
            id: name,
            kind: JobKind::Unknown,
            target: String::from("?"),
            detail: String::new(),
            created_ms: 0,
            attempts: 0,
            next_attempt_ms: None,
            last_error: Some(e.to_string()),
            state: JobState::Unreadable,
            result: None,
        },
    }
}
