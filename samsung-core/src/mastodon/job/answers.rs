//! What the server's answers mean for the job: progress, events, failures.

use alloc::format;
use alloc::string::String;

use super::{MAX_POLL_INTERVAL, MediaProgress, PostEvent, PostJob, PostedStatus, lookup};
use crate::mastodon::json;
use crate::mastodon::layout::InstanceLimits;
use crate::mastodon::response::{self, ApiAnswer};
use crate::retry::{Failure, FailureKind, http_status_kind};
use crate::time::{Duration, Instant};

pub(super) const ASKING_LIMITS: &str = "asking for the instance's limits";
pub(super) const POSTING: &str = "posting the status";
pub(super) const LOOKING: &str = "looking for the status posted without an answer";

impl PostJob {
    /// The status that part `k` is, if the server created it.
    pub(super) fn find_posted(&self, k: usize, statuses: &str) -> Option<PostedStatus> {
        let text = self.part_text(k);
        let expected = lookup::Expected {
            media_ids: self.part_media(k),
            in_reply_to: self.progress.statuses.last().map(|s| s.id.as_str()),
            text: &text,
            not_before: self.spec.created,
        };
        lookup::find(statuses, &expected)
    }

    pub(super) fn instance_answer(
        &mut self,
        status: u16,
        body: &str,
        retry_after: Option<Duration>,
    ) {
        self.asked_instance = true;
        if status == 200
            && let Some(limits) = InstanceLimits::parse(body)
        {
            self.limits = Some(limits);
            self.events.push_back(PostEvent::InstanceLimits(limits));
        } else if http_status_kind(status) == Some(FailureKind::Transient) {
            // A layout fixed now would be fixed for good: ask again later.
            let f = response::answer_failure(ASKING_LIMITS, status, body, retry_after);
            self.fail(f);
        }
    }

    pub(super) fn upload_answer(
        &mut self,
        i: usize,
        status: u16,
        body: &str,
        retry_after: Option<Duration>,
    ) {
        let (id, processing) = match response::read_answer(status, body) {
            ApiAnswer::Done(id) => (id, false),
            ApiAnswer::Processing(id) => (id, true),
            _ => {
                let f = response::answer_failure(&self.uploading(i), status, body, retry_after);
                return self.fail(f);
            }
        };
        if let Some(m) = self.progress.media.get_mut(i) {
            *m = if processing {
                MediaProgress::Processing(id.clone())
            } else {
                MediaProgress::Done(id.clone())
            };
        }
        self.changed();
        self.events.push_back(PostEvent::MediaUploaded {
            media: i,
            id,
            processing,
        });
    }

    pub(super) fn poll_answer(
        &mut self,
        now: Instant,
        i: usize,
        status: u16,
        body: &str,
        retry_after: Option<Duration>,
    ) {
        let Some(id) = self.processing_id(i).map(String::from) else {
            return;
        };
        if status == 404 {
            // Mastodon dropped it (a failed conversion): upload it again.
            if let Some(m) = self.progress.media.get_mut(i) {
                *m = MediaProgress::Pending;
            }
            self.changed();
            return self.fail(Failure::transient(format!(
                "media {id} disappeared while processing; uploading it again"
            )));
        }
        match response::read_answer(status, body) {
            ApiAnswer::Done(_) if status == 200 => {
                if let Some(m) = self.progress.media.get_mut(i) {
                    *m = MediaProgress::Done(id);
                }
                self.poll = None;
                self.changed();
            }
            ApiAnswer::Done(_) | ApiAnswer::Processing(_) => {
                let limit = self.options.processing_wait;
                let Some(p) = &mut self.poll else { return };
                if now + p.delay >= p.deadline {
                    return self.fail(Failure::transient(format!(
                        "media {id} still processing after {} s",
                        limit.as_millis() / 1000
                    )));
                }
                p.delay = Duration::from_millis(p.delay.as_millis().saturating_mul(2))
                    .min(MAX_POLL_INTERVAL);
                p.due = now + p.delay;
                p.ready = false;
            }
            _ => {
                let f = response::answer_failure(&self.waiting(i), status, body, retry_after);
                self.fail(f);
            }
        }
    }

    pub(super) fn status_answer(&mut self, status: u16, body: &str, retry_after: Option<Duration>) {
        match response::read_answer(status, body) {
            ApiAnswer::Done(id) | ApiAnswer::Processing(id) => {
                let url = json::text_field(body, "url").map(Into::into);
                self.record(PostedStatus { id, url }, false);
            }
            _ => {
                if http_status_kind(status) == Some(FailureKind::Permanent) {
                    // Refused: this post created nothing.
                    self.progress.maybe_posted = false;
                    self.changed();
                }
                self.fail(response::answer_failure(POSTING, status, body, retry_after));
            }
        }
    }

    /// The account or its statuses could not be read: a transient answer
    /// ends the attempt, a refusal (no read scope, no such API) means
    /// posting again with only the `Idempotency-Key` to protect it.
    pub(super) fn lookup_refused(
        &mut self,
        status: u16,
        body: &str,
        retry_after: Option<Duration>,
    ) {
        if http_status_kind(status) == Some(FailureKind::Transient) {
            return self.fail(response::answer_failure(LOOKING, status, body, retry_after));
        }
        self.checked = true;
        self.events.push_back(PostEvent::LookupUnavailable {
            reason: response::describe(status, body),
        });
    }

    pub(super) fn record(&mut self, status: PostedStatus, found: bool) {
        let part = self.progress.statuses.len();
        self.progress.statuses.push(status.clone());
        self.progress.maybe_posted = false;
        self.checked = false;
        self.changed();
        self.events.push_back(PostEvent::StatusPosted {
            part,
            parts: self.progress.parts.len(),
            status,
            found,
        });
    }
}
