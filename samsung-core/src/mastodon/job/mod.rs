//! [`PostJob`]: one attempt at posting a batch to Mastodon, as a sans-IO
//! state machine over its durable [`PostProgress`].
//!
//! The job decides everything: the thread layout (fixed before the first
//! upload), the order of the calls, polling media the server is still
//! processing, reply chaining, the `Idempotency-Key` of each status,
//! looking for a status whose post got no clear answer, and what a failure
//! means. A frontend moves bytes: it sends each [`Request`], feeds the
//! answer back, sleeps until [`PostJob::poll_timeout`], and stores the
//! progress whenever [`PostEvent::ProgressChanged`] says so.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::layout::{self, InstanceLimits};
use super::request::{self, BaseUrl, Endpoint, MediaUpload, StatusPost};
use super::{json, status_text};
use crate::crypto::Secret;
use crate::retry::{Failure, FailureKind};
use crate::time::{Duration, Instant};

mod answers;
#[cfg(test)]
mod harness;
mod lookup;
mod messages;
#[cfg(test)]
mod model;
mod progress;
#[cfg(test)]
mod proptests;
mod spec;
#[cfg(test)]
mod tests;

pub use messages::{PostEvent, Request, RequestBody, TransportErrorKind};
pub use progress::{MediaProgress, PostProgress, PostedStatus};
pub use spec::{MediaSpec, PostOptions, PostSpec, idempotency_key};

use answers::{ASKING_LIMITS, LOOKING, POSTING};
use messages::get;

/// The first wait for a media still processing is at most this long.
const FIRST_POLL_MAX: Duration = Duration::from_secs(1);
/// Longest wait between two polls of a media still processing.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// The request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InFlight {
    Instance,
    Upload(usize),
    Poll(usize),
    Account,
    Lookup,
    Status(usize),
}

/// Waiting for a media the server is processing.
#[derive(Debug, Clone, Copy)]
struct Poll {
    media: usize,
    delay: Duration,
    deadline: Instant,
    due: Instant,
    ready: bool,
}

/// What the job does next, as the progress says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// Ended, or a request is in flight.
    Nothing,
    AskInstance,
    FixLayout,
    Upload(usize),
    Poll(usize),
    Finish,
    FindAccount,
    Lookup,
    /// Record that part k is about to be posted.
    MarkPosting,
    Post(usize),
}

/// One attempt at posting a batch to Mastodon: it decides, the frontend
/// moves bytes.
///
/// # Driving it
///
/// 1. [`PostJob::new`] with the spec, the last stored progress, the
///    instance's base URL and token, and its [`InstanceLimits`] if known.
/// 2. Drain [`PostJob::poll_event`] until `None`, acting on each event
///    (store the progress *before* going on; log; cache the limits).
///    [`PostEvent::Finished`] and [`PostEvent::Failed`] end the attempt.
/// 3. [`PostJob::poll_request`]: send it (head, body prefix, the media
///    file's bytes, body suffix), then feed the outcome to
///    [`PostJob::handle_response`] or [`PostJob::handle_transport_error`];
///    back to 2.
/// 4. Otherwise sleep until [`PostJob::poll_timeout`], call
///    [`PostJob::handle_timeout`]; back to 2.
///
/// One of the three always has something until the attempt has ended.
pub struct PostJob {
    spec: PostSpec,
    options: PostOptions,
    progress: PostProgress,
    server: Option<BaseUrl>,
    token: Secret<String>,
    limits: Option<InstanceLimits>,
    asked_instance: bool,
    in_flight: Option<InFlight>,
    poll: Option<Poll>,
    /// This attempt knows the next part is not posted yet (it marked it,
    /// or looked and did not find it), so it may post it.
    checked: bool,
    account: Option<String>,
    events: VecDeque<PostEvent>,
    ended: bool,
}

/// Leaves out the token.
impl fmt::Debug for PostJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostJob")
            .field("job_id", &self.spec.job_id)
            .field("progress", &self.progress)
            .field("in_flight", &self.in_flight)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl PostJob {
    /// Starts an attempt at `now`: `progress` is the last stored one
    /// (default for a new job), `base_url` the instance (`https://host`),
    /// `limits` what the frontend learnt from earlier jobs there.
    pub fn new(
        now: Instant,
        spec: PostSpec,
        progress: PostProgress,
        base_url: &str,
        token: Secret<String>,
        limits: Option<InstanceLimits>,
        options: PostOptions,
    ) -> Self {
        let mut job = Self {
            spec,
            options,
            progress,
            server: None,
            token,
            limits,
            asked_instance: false,
            in_flight: None,
            poll: None,
            checked: false,
            account: None,
            events: VecDeque::new(),
            ended: false,
        };
        match BaseUrl::parse(base_url) {
            Ok(url) => job.server = Some(url),
            Err(e) => {
                job.fail(Failure::permanent(format!("base URL: {e}")));
                return job;
            }
        }
        let n = job.spec.media.len();
        let mut changed = false;
        if job.progress.media.len() != n {
            job.progress.media.resize(n, MediaProgress::Pending);
            changed = true;
        }
        if job.progress.parts.is_empty() && !job.progress.statuses.is_empty() {
            // Posted by a release that split into runs of `per_status`:
            // the rest of the thread must follow the same layout.
            let per = job
                .progress
                .per_status
                .unwrap_or(layout::DEFAULT_MAX_MEDIA_PER_STATUS)
                .max(1);
            job.progress.parts = layout::thread_layout(&alloc::vec![false; n], per);
            changed = true;
        }
        if changed {
            job.changed();
        }
        job.advance(now);
        job
    }

    /// The server to connect to for every request; None once a bad base
    /// URL has failed the attempt.
    pub fn server(&self) -> Option<&BaseUrl> {
        self.server.as_ref()
    }

    /// The progress to store (after [`PostEvent::ProgressChanged`]).
    pub fn progress(&self) -> &PostProgress {
        &self.progress
    }

    /// The next event. Call until `None` after [`PostJob::new`] and after
    /// every `handle_*` call, before [`PostJob::poll_request`].
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PostEvent> {
        self.events.pop_front()
    }

    /// The next request to send, with `random` for its multipart boundary.
    /// None while events are pending (drain [`PostJob::poll_event`] first),
    /// while a request is in flight, while waiting for
    /// [`PostJob::poll_timeout`], and after the attempt ended. Call again
    /// after each `handle_*` call and after draining the events.
    #[must_use]
    pub fn poll_request(&mut self, random: u64) -> Option<Request> {
        if !self.events.is_empty() {
            return None;
        }
        let server = self.server.as_ref()?;
        let ep = server.endpoint(&self.token);
        let (flight, request) = match self.next() {
            Next::AskInstance => (
                InFlight::Instance,
                get("/api/v2/instance", request::instance_request(&ep)),
            ),
            Next::Upload(i) => (InFlight::Upload(i), self.upload(&ep, i, random)?),
            Next::Poll(i) if self.poll.is_some_and(|p| p.ready) => {
                let id = self.processing_id(i)?;
                let path = format!("/api/v1/media/{id}");
                (
                    InFlight::Poll(i),
                    get(&path, request::media_status_request(&ep, id)),
                )
            }
            Next::FindAccount => (
                InFlight::Account,
                get(
                    "/api/v1/accounts/verify_credentials",
                    request::verify_credentials_request(&ep),
                ),
            ),
            Next::Lookup => {
                let account = self.account.as_deref()?;
                let head = request::account_statuses_request(&ep, account, lookup::LOOKUP_PAGE);
                let path = format!("/api/v1/accounts/{account}/statuses");
                (InFlight::Lookup, get(&path, head))
            }
            Next::Post(k) => (InFlight::Status(k), self.status_post(&ep, k)),
            _ => return None,
        };
        self.in_flight = Some(flight);
        Some(request)
    }

    /// When [`PostJob::handle_timeout`] is due: while a media the server
    /// is processing waits for its next poll. Call again after each
    /// `handle_*` call.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.ended || self.in_flight.is_some() {
            return None;
        }
        self.poll.filter(|p| !p.ready).map(|p| p.due)
    }

    /// The time of [`PostJob::poll_timeout`] has come (earlier calls are
    /// ignored).
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(p) = &mut self.poll
            && now >= p.due
        {
            p.ready = true;
        }
        self.advance(now);
    }

    /// The answer to the request in flight: its status, its body (at most
    /// [`super::MAX_RESPONSE_BODY`] bytes, de-chunked) and its
    /// `Retry-After`.
    pub fn handle_response(
        &mut self,
        now: Instant,
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
    ) {
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        let body = String::from_utf8_lossy(body);
        match flight {
            InFlight::Instance => self.instance_answer(status, &body, retry_after),
            InFlight::Upload(i) => self.upload_answer(i, status, &body, retry_after),
            InFlight::Poll(i) => self.poll_answer(now, i, status, &body, retry_after),
            InFlight::Account => match json::text_field(&body, "id") {
                Some(id) if status == 200 => self.account = Some(id.into_owned()),
                _ => self.lookup_refused(status, &body, retry_after),
            },
            InFlight::Lookup if status == 200 => {
                let k = self.progress.statuses.len();
                match self.find_posted(k, &body) {
                    Some(found) => self.record(found, true),
                    None => self.checked = true,
                }
            }
            InFlight::Lookup => self.lookup_refused(status, &body, retry_after),
            InFlight::Status(_) => self.status_answer(status, &body, retry_after),
        }
        self.advance(now);
    }

    /// The request in flight got no answer: `detail` says why, for the
    /// failure's reason (never the token).
    pub fn handle_transport_error(&mut self, now: Instant, kind: TransportErrorKind, detail: &str) {
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        let what = match flight {
            InFlight::Account | InFlight::Lookup if kind == TransportErrorKind::BadResponse => {
                // An answer too long or garbled to search: post again.
                self.checked = true;
                self.events.push_back(PostEvent::LookupUnavailable {
                    reason: String::from(detail),
                });
                self.advance(now);
                return;
            }
            InFlight::Instance => String::from(ASKING_LIMITS),
            InFlight::Upload(i) => self.uploading(i),
            InFlight::Poll(i) => self.waiting(i),
            InFlight::Account | InFlight::Lookup => String::from(LOOKING),
            InFlight::Status(_) => String::from(POSTING),
        };
        let reason = format!("{what}: {detail}");
        self.fail(match kind.failure_kind() {
            FailureKind::Permanent => Failure::permanent(reason),
            _ => Failure::transient(reason),
        });
    }

    /// What happens next, as the progress says.
    fn next(&self) -> Next {
        if self.ended || self.in_flight.is_some() {
            return Next::Nothing;
        }
        let p = &self.progress;
        let first = p.part_start(p.statuses.len());
        let needs_limits = p.parts.is_empty()
            || (first..p.media.len()).any(|i| {
                p.media.get(i) == Some(&MediaProgress::Pending)
                    && self.spec.media.get(i).is_some_and(|m| m.alt.is_some())
            });
        if self.limits.is_none() && !self.asked_instance && needs_limits {
            return Next::AskInstance;
        }
        if p.parts.is_empty() {
            return Next::FixLayout;
        }
        for (i, m) in p.media.iter().enumerate().skip(first) {
            match m {
                MediaProgress::Pending => return Next::Upload(i),
                MediaProgress::Processing(_) => return Next::Poll(i),
                MediaProgress::Done(_) => {}
            }
        }
        let k = p.statuses.len();
        if k >= p.parts.len() {
            Next::Finish
        } else if !p.maybe_posted {
            Next::MarkPosting
        } else if self.checked {
            Next::Post(k)
        } else if self.account.is_none() {
            Next::FindAccount
        } else {
            Next::Lookup
        }
    }

    /// Takes the steps that need no request, queueing their events.
    fn advance(&mut self, now: Instant) {
        loop {
            match self.next() {
                Next::FixLayout => {
                    let limits = self.limits.unwrap_or_default();
                    let per = *self.progress.per_status.get_or_insert_with(|| {
                        let cap = self.options.max_media_per_status.unwrap_or(usize::MAX);
                        cap.min(limits.max_media_attachments).max(1)
                    });
                    let own: Vec<bool> = self
                        .spec
                        .media
                        .iter()
                        .map(|m| layout::needs_own_status(&m.content_type))
                        .collect();
                    self.progress.parts = layout::thread_layout(&own, per);
                    self.changed();
                }
                Next::Poll(i) => {
                    if self.poll.is_none_or(|p| p.media != i) {
                        let first = self.options.poll_interval.min(FIRST_POLL_MAX);
                        self.poll = Some(Poll {
                            media: i,
                            delay: first,
                            deadline: now + self.options.processing_wait,
                            due: now + first,
                            ready: false,
                        });
                    }
                    return;
                }
                Next::MarkPosting => {
                    self.progress.maybe_posted = true;
                    self.checked = true;
                    self.changed();
                }
                Next::Finish => {
                    let links: Vec<&str> = self
                        .progress
                        .statuses
                        .iter()
                        .map(|s| s.url.as_deref().unwrap_or(&s.id))
                        .collect();
                    let kind = if links.len() == 1 { "status" } else { "thread" };
                    let summary = format!("{kind} {}", links.join(" "));
                    self.events.push_back(PostEvent::Finished { summary });
                    self.ended = true;
                    return;
                }
                _ => return,
            }
        }
    }

    fn changed(&mut self) {
        // One save covers changes made in a row.
        if self.events.back() != Some(&PostEvent::ProgressChanged) {
            self.events.push_back(PostEvent::ProgressChanged);
        }
    }

    fn fail(&mut self, failure: Failure) {
        self.events.push_back(PostEvent::Failed(failure));
        self.ended = true;
        self.in_flight = None;
        self.poll = None;
    }

    fn uploading(&self, i: usize) -> String {
        let name = self.spec.media.get(i).map_or("", |m| m.file_name.as_str());
        format!("uploading {name}")
    }

    fn waiting(&self, i: usize) -> String {
        format!("waiting for media {}", self.processing_id(i).unwrap_or(""))
    }

    fn processing_id(&self, i: usize) -> Option<&str> {
        match self.progress.media.get(i)? {
            MediaProgress::Processing(id) => Some(id),
            _ => None,
        }
    }

    fn upload(&self, ep: &Endpoint<'_>, i: usize, random: u64) -> Option<Request> {
        let m = self.spec.media.get(i)?;
        let limit = self.limits.unwrap_or_default().description_limit;
        let alt = layout::alt_text(m.alt.as_deref(), limit);
        let boundary = format!("samsung-bridge-{random:016x}");
        let up = MediaUpload::new(
            &boundary,
            &m.file_name,
            &m.content_type,
            alt.as_deref(),
            m.len,
        );
        let head = up.head(ep);
        let (prefix, suffix) = up.into_parts();
        Some(Request {
            method: "POST",
            path: String::from("/api/v2/media"),
            head,
            body: RequestBody {
                prefix,
                file: Some((i, m.len)),
                suffix,
            },
        })
    }

    fn part_text(&self, k: usize) -> String {
        let text = status_text(
            &self.spec.caption,
            self.spec.album.as_deref(),
            self.spec.postscript.as_deref(),
        );
        let mut texts = layout::thread_texts(&text, self.progress.parts.len());
        if k < texts.len() {
            texts.swap_remove(k)
        } else {
            String::new()
        }
    }

    fn part_media(&self, k: usize) -> Vec<&str> {
        let start = self.progress.part_start(k);
        let len = self.progress.part_len(k);
        self.progress
            .media
            .iter()
            .skip(start)
            .take(len)
            .filter_map(|m| match m {
                MediaProgress::Done(id) => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }

    fn status_post(&self, ep: &Endpoint<'_>, k: usize) -> Request {
        let post = StatusPost {
            text: self.part_text(k),
            media_ids: self.part_media(k).into_iter().map(String::from).collect(),
            visibility: self.spec.visibility,
            in_reply_to_id: self.progress.statuses.last().map(|s| s.id.clone()),
        };
        let form = request::status_form(&post).into_bytes();
        let key = idempotency_key(&self.spec.job_id, k);
        let head = request::status_head(ep, &key, form.len());
        Request {
            method: "POST",
            path: String::from("/api/v1/statuses"),
            head,
            body: RequestBody {
                prefix: form,
                file: None,
                suffix: Vec::new(),
            },
        }
    }
}
