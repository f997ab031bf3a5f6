//! One camera connection: request framing, endpoint dispatch, body
//! streaming, and the single response.
//!
//! A [`Connection`] handles exactly one request and one response, then the
//! frontend closes the socket (every answer carries `Connection: close`, as
//! the reference's; PROTOCOL.md §6.2). Bytes after the request are ignored.
//! See the crate documentation for the run loop.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ClientAddr;
use crate::http::{self, HttpError, Method, OwnedResponse, Version};
use crate::sns::{self, Bridge, Email, TransferId, Upload};
use crate::time::Instant;
use crate::xml::MediaKind;

mod body;
mod download;
mod email;
mod request;

use download::listing_html;
pub use download::{DownloadAnswer, ListingEntry};
use email::{EmailSink, PartKind};
pub use request::{RequestKind, RequestSummary, classify_request};

/// The smallest buffer [`Connection::poll_transmit`] is guaranteed to fit
/// every camera answer into; every one is built to stay below one TCP segment.
pub const MIN_TRANSMIT_BUF: usize = 2048;
/// The buffer a frontend that serves downloads needs: directory listings
/// are larger than camera answers.
pub const DOWNLOAD_TRANSMIT_BUF: usize = 64 * 1024;
/// Most entries shown in a download directory listing.
pub const MAX_LISTING_ENTRIES: usize = 256;

/// A binary part of an e-mail that is starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The e-mail this attachment belongs to.
    pub transfer: TransferId,
    /// 0-based position among the e-mail's attachments.
    pub index: usize,
    /// Sanitised file name (never a path).
    pub file_name: String,
    /// Normalised part content type (`image/jpeg`, `image/pjpeg`, …).
    pub content_type: Option<String>,
}

/// Why a transfer's data must be thrown away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbortReason {
    /// The connection closed before the body was complete.
    Truncated,
    /// The body stalled for longer than the body timeout.
    TimedOut,
    /// The request was refused after data had been delivered (sender not
    /// allowed, malformed multipart, missing alt texts, …).
    Refused,
}

/// What a connection asks of its frontend.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A social upload begins: open a temporary file for it.
    UploadStart(alloc::boxed::Box<Upload>),
    /// An e-mail attachment begins (attachments of one e-mail follow each other).
    AttachmentStart(Attachment),
    /// Bytes of the current upload or attachment, in order.
    Data {
        /// The upload or e-mail.
        transfer: TransferId,
        /// The bytes (borrowed from the input or the connection).
        data: &'a [u8],
    },
    /// The current attachment is complete.
    AttachmentEnd {
        /// The e-mail.
        transfer: TransferId,
    },
    /// The upload's body is complete: store it durably, then call
    /// [`Connection::handle_stored`]; only then is the camera answered.
    UploadComplete {
        /// The upload.
        transfer: TransferId,
    },
    /// The e-mail is complete and accepted: store and queue it, then call
    /// [`Connection::handle_stored`].
    EmailComplete(alloc::boxed::Box<Email>),
    /// A download was requested (`serve_downloads`): look up `path` under
    /// the upload folder and answer with [`Connection::handle_download`].
    Download {
        /// Relative path, percent-decoded, made of plain segments only (no
        /// `.`/`..`, no hidden names, no `\\`, no NUL); empty for the root;
        /// ends with `/` when a directory was asked for.
        path: String,
    },
    /// Discard everything received for this transfer: no file may remain.
    Aborted {
        /// The upload or e-mail.
        transfer: TransferId,
        /// Why.
        reason: AbortReason,
    },
}

impl<'a> Event<'a> {
    /// Separates the one borrowed event (`Data`) from the owned ones, so a
    /// frontend can keep an owned event while it calls the connection again
    /// (e.g. [`Connection::handle_stored`] after an `UploadComplete`).
    pub fn into_owned(self) -> Result<Event<'static>, (TransferId, &'a [u8])> {
        Ok(match self {
            Event::Data { transfer, data } => return Err((transfer, data)),
            Event::UploadStart(u) => Event::UploadStart(u),
            Event::AttachmentStart(a) => Event::AttachmentStart(a),
            Event::AttachmentEnd { transfer } => Event::AttachmentEnd { transfer },
            Event::UploadComplete { transfer } => Event::UploadComplete { transfer },
            Event::EmailComplete(e) => Event::EmailComplete(e),
            Event::Download { path } => Event::Download { path },
            Event::Aborted { transfer, reason } => Event::Aborted { transfer, reason },
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum XmlRequest {
    Auth,
    Announce(MediaKind),
    AllShare,
}

#[derive(Debug)]
enum Sink {
    /// Drain the body, then answer.
    Discard(OwnedResponse),
    Xml {
        buf: Vec<u8>,
        request: XmlRequest,
        site: String,
    },
    Upload(alloc::boxed::Box<Upload>),
    Email(alloc::boxed::Box<EmailSink>),
}

#[derive(Debug)]
enum Phase {
    Head,
    Body { remaining: u64, sink: Sink },
    Waiting(Waiting),
    Respond(OwnedResponse),
    Sent,
    Closed,
}

#[derive(Debug)]
enum Waiting {
    Upload(alloc::boxed::Box<Upload>),
    Email(TransferId),
    Download,
}

/// What one step decided to hand out; has no borrows, so the step can
/// mutate freely and the borrowed [`Event`] is built at the very end.
enum StepOutput {
    Nothing(usize),
    Owned(usize, Event<'static>),
    InputData(usize, TransferId, core::ops::Range<usize>),
    ChunkData(usize, TransferId),
}

/// The state of one camera connection. See the crate docs for the run loop.
#[derive(Debug)]
pub struct Connection {
    client: ClientAddr,
    started: Instant,
    last_input: Instant,
    received_any: bool,
    phase: Phase,
    head_buf: Vec<u8>,
    version: Version,
    head_only: bool,
    /// A file body of this length follows the rendered head (downloads).
    body_follows: Option<u64>,
    waiting_download: bool,
    events: VecDeque<Event<'static>>,
    summary: Option<RequestSummary>,
    /// This connection's calls changed the bridge's session table since the
    /// frontend last saved it for us.
    sessions_changed: bool,
}

impl Connection {
    /// A new connection from `client`, accepted at `now`.
    pub fn new(client: ClientAddr, now: Instant) -> Self {
        Self {
            client,
            started: now,
            last_input: now,
            received_any: false,
            phase: Phase::Head,
            head_buf: Vec::new(),
            version: Version::Http11,
            head_only: false,
            body_follows: None,
            waiting_download: false,
            events: VecDeque::new(),
            summary: None,
            sessions_changed: false,
        }
    }

    /// Feeds received bytes. Returns how many were consumed and at most one
    /// event. Call again with the unconsumed rest — and once more with an
    /// empty slice after any event — until it returns no event with
    /// everything consumed. Bytes after the request are consumed and ignored.
    pub fn handle_input<'a>(
        &'a mut self,
        bridge: &mut Bridge,
        now: Instant,
        input: &'a [u8],
    ) -> (usize, Option<Event<'a>>) {
        if !input.is_empty() {
            self.last_input = now;
            self.received_any = true;
        }
        let revision = bridge.sessions_revision();
        let output = self.step(bridge, now, input);
        self.note_sessions(bridge, revision);
        match output {
            StepOutput::Nothing(n) => (n, None),
            StepOutput::Owned(n, ev) => (n, Some(ev)),
            StepOutput::InputData(n, transfer, range) => (
                n,
                Some(Event::Data {
                    transfer,
                    data: input.get(range).unwrap_or(&[]),
                }),
            ),
            StepOutput::ChunkData(n, transfer) => {
                let data = match &self.phase {
                    Phase::Body {
                        sink: Sink::Email(e),
                        ..
                    } => e.chunk.as_slice(),
                    _ => &[],
                };
                (n, Some(Event::Data { transfer, data }))
            }
        }
    }

    /// The peer closed its sending side (or the connection broke).
    pub fn handle_eof(&mut self, bridge: &mut Bridge, now: Instant) {
        match core::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Body { sink, .. } => {
                let revision = bridge.sessions_revision();
                self.abort_sink(bridge, now, sink, AbortReason::Truncated);
                self.note_sessions(bridge, revision);
            }
            // The frontend is storing: let it finish; the answer goes nowhere.
            waiting @ Phase::Waiting(_) => self.phase = waiting,
            respond @ Phase::Respond(_) => self.phase = respond,
            _ => {}
        }
    }

    /// When [`Connection::handle_timeout`] must be called: the head deadline
    /// while the head is incomplete, the idle deadline while a body streams.
    #[must_use]
    pub fn poll_timeout(&self, bridge: &Bridge) -> Option<Instant> {
        let limits = &bridge.config().limits;
        match self.phase {
            Phase::Head => Some(self.started + limits.head_timeout),
            Phase::Body { .. } => Some(self.last_input + limits.body_idle_timeout),
            _ => None,
        }
    }

    /// Applies the deadline of [`Connection::poll_timeout`] if it has passed.
    pub fn handle_timeout(&mut self, bridge: &mut Bridge, now: Instant) {
        let Some(deadline) = self.poll_timeout(bridge) else {
            return;
        };
        if now < deadline {
            return;
        }
        match core::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Head if !self.received_any => {}
            Phase::Head => self.respond(OwnedResponse::error(408, "Request head timeout")),
            Phase::Body { sink, .. } => {
                let revision = bridge.sessions_revision();
                self.abort_sink(bridge, now, sink, AbortReason::TimedOut);
                self.note_sessions(bridge, revision);
                self.respond(OwnedResponse::error(408, "Request body timeout"));
            }
            other => self.phase = other,
        }
    }

    /// The frontend has durably stored (`stored == true`) or failed to store
    /// the transfer of an `UploadComplete` / `EmailComplete` event; the
    /// camera's answer becomes ready.
    pub fn handle_stored(
        &mut self,
        bridge: &mut Bridge,
        now: Instant,
        transfer: TransferId,
        stored: bool,
    ) {
        let matches = match &self.phase {
            Phase::Waiting(Waiting::Upload(u)) => u.transfer == transfer,
            Phase::Waiting(Waiting::Email(t)) => *t == transfer,
            _ => false,
        };
        if !matches {
            return;
        }
        if let Phase::Waiting(Waiting::Upload(u)) = &self.phase {
            let revision = bridge.sessions_revision();
            bridge.end_upload(u, stored, now);
            self.note_sessions(bridge, revision);
        }
        self.respond(if stored {
            sns::succ_reply()
        } else {
            OwnedResponse::error(500, "Could not store the upload")
        });
    }

    /// Whether the session table must be saved now
    /// ([`Bridge::export_sessions`]): this connection's request changed it (a
    /// login, logout, announce or upload) and its answer is ready, or will
    /// never come. Saving before [`Connection::poll_transmit`] means a crash
    /// right after the camera's answer loses nothing. Returns `true` once per
    /// change: call it before every `poll_transmit`, and once more after the
    /// connection closed.
    #[must_use]
    pub fn poll_save_sessions(&mut self) -> bool {
        let answered = matches!(self.phase, Phase::Respond(_) | Phase::Sent | Phase::Closed);
        answered && core::mem::take(&mut self.sessions_changed)
    }

    /// The next event not tied to input (aborts after EOF or timeout).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<'static>> {
        self.events.pop_front()
    }

    /// Renders the answer into `buf` (at least [`MIN_TRANSMIT_BUF`] bytes)
    /// once it is ready; write it with one write, then close. Returns `None`
    /// while there is nothing to send.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        if !matches!(self.phase, Phase::Respond(_)) {
            return None;
        }
        let Phase::Respond(mut reply) = core::mem::replace(&mut self.phase, Phase::Sent) else {
            return None;
        };
        if self.head_only {
            reply.body.clear();
        }
        match reply.render(self.version, buf) {
            Ok(n) => Some(n),
            Err(_) => OwnedResponse::error(500, "Response too large")
                .render(self.version, buf)
                .ok(),
        }
    }

    /// The frontend's answer to an [`Event::Download`].
    pub fn handle_download(&mut self, answer: DownloadAnswer) {
        if !core::mem::take(&mut self.waiting_download) {
            return;
        }
        let reply = match answer {
            DownloadAnswer::NotFound => OwnedResponse::error(404, "No such file"),
            DownloadAnswer::File { len, content_type } => {
                self.body_follows = (!self.head_only).then_some(len);
                let mut reply = OwnedResponse {
                    status: 200,
                    content_type: Some(content_type),
                    headers: Vec::new(),
                    body: Vec::new(),
                    content_length: None,
                };
                reply
                    .headers
                    .push(("X-Content-Type-Options", String::from("nosniff")));
                reply.content_length = Some(len);
                reply
            }
            DownloadAnswer::Listing(entries) => OwnedResponse::html(200, listing_html(&entries)),
        };
        self.respond(reply);
    }

    /// After [`Connection::poll_transmit`] of a download head: the number of
    /// file bytes the frontend must write after it.
    pub fn body_follows(&self) -> Option<u64> {
        self.body_follows
    }

    /// Whether the connection is finished: the answer was handed out (or
    /// none will be) and the frontend should close the socket.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Sent | Phase::Closed)
    }

    /// What the request was and how it was answered, for the log line.
    pub fn summary(&self) -> Option<&RequestSummary> {
        self.summary.as_ref()
    }

    /// The message part of the e-mail being received, once it has arrived
    /// (it comes before the attachments in every camera's e-mail), so a
    /// frontend that streams attachments on can route them at
    /// [`Event::AttachmentStart`] rather than at [`Event::EmailComplete`].
    pub fn email_message(&self) -> Option<&crate::xml::EmailMessage> {
        match &self.phase {
            Phase::Body {
                sink: Sink::Email(e),
                ..
            } => e.message.as_ref(),
            _ => None,
        }
    }

    /// The client this connection serves.
    pub fn client(&self) -> ClientAddr {
        self.client
    }

    /// Remembers whether the bridge calls since `revision` changed sessions.
    fn note_sessions(&mut self, bridge: &Bridge, revision: u64) {
        self.sessions_changed |= bridge.sessions_revision() != revision;
    }

    fn respond(&mut self, reply: OwnedResponse) {
        if let Some(s) = self.summary.as_mut() {
            s.status = Some(reply.status);
        }
        self.phase = Phase::Respond(reply);
    }

    fn abort_sink(&mut self, bridge: &mut Bridge, now: Instant, sink: Sink, reason: AbortReason) {
        match sink {
            Sink::Upload(u) => {
                bridge.end_upload(&u, false, now);
                self.events.push_back(Event::Aborted {
                    transfer: u.transfer,
                    reason,
                });
            }
            Sink::Email(e) if e.attachments > 0 || e.part == PartKind::Binary => {
                self.events.push_back(Event::Aborted {
                    transfer: e.transfer,
                    reason,
                });
            }
            _ => {}
        }
    }

    fn step(&mut self, bridge: &mut Bridge, now: Instant, input: &[u8]) -> StepOutput {
        match &mut self.phase {
            Phase::Head => self.step_head(bridge, now, input),
            Phase::Body { .. } => self.step_body(bridge, now, input),
            _ => StepOutput::Nothing(input.len()),
        }
    }

    fn step_head(&mut self, bridge: &mut Bridge, now: Instant, input: &[u8]) -> StepOutput {
        let (parsed, consumed) = if self.head_buf.is_empty() {
            match http::parse_head(input) {
                Ok(Some((head, n))) => (Ok(Some(head)), n),
                Ok(None) => {
                    self.head_buf.extend_from_slice(input);
                    (Ok(None), input.len())
                }
                Err(e) => (Err(e), input.len()),
            }
        } else {
            let before = self.head_buf.len();
            let room = http::MAX_HEAD_LEN.saturating_sub(before);
            let take = input.len().min(room.max(1));
            self.head_buf.extend_from_slice(&input[..take]);
            match http::parse_head(&self.head_buf) {
                Ok(Some((head, n))) => {
                    self.head_buf = Vec::new();
                    (Ok(Some(head)), n.saturating_sub(before))
                }
                Ok(None) => (Ok(None), take),
                Err(e) => (Err(e), input.len()),
            }
        };
        match parsed {
            Ok(None) => StepOutput::Nothing(consumed),
            Err(e) => {
                self.head_buf = Vec::new();
                self.summary = Some(RequestSummary {
                    kind: RequestKind::Unknown,
                    method: Method::Other,
                    host: None,
                    loggable_path: String::new(),
                    user_agent: None,
                    status: None,
                });
                self.respond(OwnedResponse::error(e.status(), bad_head_reason(e)));
                StepOutput::Nothing(input.len())
            }
            Ok(Some(head)) => match self.start_request(bridge, now, head) {
                Some(ev) => StepOutput::Owned(consumed, ev),
                None => StepOutput::Nothing(consumed),
            },
        }
    }
}

fn bad_head_reason(e: HttpError) -> &'static str {
    match e {
        HttpError::HeadTooLarge => "Request head too large",
        HttpError::Malformed => "Malformed request",
        HttpError::BadTarget => "Bad request target",
        HttpError::BadContentLength => "Bad Content-Length",
        HttpError::LengthRequired => "Content-Length required (chunked bodies are not supported)",
        HttpError::BufferTooSmall => "Response too large",
    }
}
