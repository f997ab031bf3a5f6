//! What a job posts and how it behaves: the frontend's input.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::FIRST_POLL_MAX;
use crate::mastodon::Visibility;
use crate::time::{Duration, Instant};

/// The `Idempotency-Key` of thread part `part` (0-based) of job `job_id`:
/// stable across attempts, restarts and releases, unique per status.
pub fn idempotency_key(job_id: &str, part: usize) -> String {
    format!("samsung-bridge-{job_id}-{part}")
}

/// What to post (immutable for the life of a job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostSpec {
    /// The outbox job's id: the `Idempotency-Key`s are derived from it.
    pub job_id: String,
    /// The text of the first status.
    pub caption: String,
    /// The camera model, shown after the caption (the reference's album).
    pub album: Option<String>,
    /// Appended to the first status (hashtags).
    pub postscript: Option<String>,
    /// None: the account's default.
    pub visibility: Option<Visibility>,
    /// The files, in display order.
    pub media: Vec<MediaSpec>,
    /// When the job was created, on the Unix epoch; None if the frontend's
    /// clock is not one. Tells a text-only status from an older one with
    /// the same text.
    pub created: Option<Instant>,
}

/// One file of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSpec {
    /// The camera's name for it.
    pub file_name: String,
    /// Its type (`image/jpeg`, `video/mp4`).
    pub content_type: String,
    /// Its alt text, as the user wrote it.
    pub alt: Option<String>,
    /// Its length in bytes.
    pub len: u64,
}

/// How a job behaves (the frontend's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostOptions {
    /// The user's limit of attachments per status; the instance's limit
    /// applies too. None: the instance's.
    pub max_media_per_status: Option<usize>,
    /// The first wait before polling a media still processing (at most
    /// 1 s is used); doubled per poll up to 10 s.
    pub poll_interval: Duration,
    /// How long one attempt polls a media still processing before it
    /// fails (transiently).
    pub processing_wait: Duration,
}

impl Default for PostOptions {
    fn default() -> Self {
        Self {
            max_media_per_status: None,
            poll_interval: FIRST_POLL_MAX,
            processing_wait: Duration::from_secs(300),
        }
    }
}
