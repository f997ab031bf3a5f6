//! The durable progress of a post job: what a restarted or retried job
//! must not do again. Its serialised form is the Mastodon part of the
//! outbox's `state.json`, compatible with what earlier releases wrote.

use alloc::string::String;
use alloc::vec::Vec;

/// Where one media file of a post job is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "state", content = "id", rename_all = "lowercase")
)]
pub enum MediaProgress {
    /// Not uploaded (or to be uploaded again).
    #[default]
    Pending,
    /// Uploaded, the server still processing it (202 / 206): poll this id.
    Processing(String),
    /// Uploaded and ready: this id.
    Done(String),
}

/// A status the job has posted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PostedStatus {
    /// Its id, as the server wrote it.
    pub id: String,
    /// Its public URL, if the server gave one.
    #[cfg_attr(feature = "serde", serde(default))]
    pub url: Option<String>,
}

/// A post job's progress. Every change is announced by
/// [`super::PostEvent::ProgressChanged`]; the frontend stores it durably
/// before the job's next request, and passes the last stored value to the
/// next attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PostProgress {
    /// Attachments per status, fixed before the first upload (a retry
    /// after the instance's limit changed cannot re-split the thread).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub per_status: Option<usize>,
    /// One entry per media file of the job, in order.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub media: Vec<MediaProgress>,
    /// The statuses posted so far, one per thread part, in order.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub statuses: Vec<PostedStatus>,
    /// The media count of each thread part, fixed with `per_status`. Empty
    /// in jobs of releases that split into runs of `per_status` only.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub parts: Vec<usize>,
    /// The next part's post was sent without an answer that says whether
    /// it was created (set before sending, so that a crash counts too): look
    /// for it before posting again.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub maybe_posted: bool,
}

impl PostProgress {
    /// The media count of part `k`; parts beyond the layout are empty.
    pub(crate) fn part_len(&self, k: usize) -> usize {
        match self.parts.get(k) {
            Some(&n) => n,
            None if self.parts.is_empty() => self.per_status.unwrap_or(usize::MAX),
            None => 0,
        }
    }

    /// The index of part `k`'s first media.
    pub(crate) fn part_start(&self, k: usize) -> usize {
        (0..k)
            .map(|p| self.part_len(p))
            .fold(0usize, usize::saturating_add)
            .min(self.media.len())
    }

    /// For a job the user queues again (after a permanent failure, or
    /// much later): media not attached to a posted status are uploaded
    /// again, since Mastodon deletes unattached media after about a day.
    /// The media of a post that may have been created are kept: they are
    /// how the job recognises it.
    pub fn requeue(&mut self) {
        let mut keep = self.statuses.len();
        if self.maybe_posted {
            keep += 1;
        }
        let attached = self.part_start(keep);
        for m in self.media.iter_mut().skip(attached) {
            *m = MediaProgress::Pending;
        }
    }
}
