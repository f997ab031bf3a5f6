//! What passes between a job and its frontend: the requests to send, how
//! one failed, the events to act on.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::PostedStatus;
use crate::mastodon::layout::InstanceLimits;
use crate::retry::{Failure, FailureKind};

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Name resolution or the TCP connection failed.
    Connect,
    /// The TLS handshake failed (or a certificate was refused).
    Tls,
    /// The server did not answer in time.
    Timeout,
    /// The connection closed before the answer was complete.
    ClosedEarly,
    /// An answer that is not HTTP, or longer than
    /// [`MAX_RESPONSE_BODY`](crate::mastodon::MAX_RESPONSE_BODY).
    BadResponse,
    /// The base URL cannot be connected to: nothing will change that.
    BadUrl,
    /// The media file cannot be opened: the job has lost it.
    File,
    /// Any other failure of the connection.
    Other,
}

impl TransportErrorKind {
    pub(super) fn failure_kind(self) -> FailureKind {
        match self {
            Self::BadUrl | Self::File => FailureKind::Permanent,
            _ => FailureKind::Transient,
        }
    }
}

/// The body of a [`Request`]: `prefix`, then the media file's bytes if
/// `file` names one, then `suffix`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestBody {
    /// Bytes before the file.
    pub prefix: Vec<u8>,
    /// The media file to stream (`(index into the spec's media, length)`).
    pub file: Option<(usize, u64)>,
    /// Bytes after the file.
    pub suffix: Vec<u8>,
}

impl RequestBody {
    /// The body's length: the `Content-Length` the head announced.
    pub fn len(&self) -> u64 {
        let file = self.file.map_or(0, |(_, len)| len);
        (self.prefix.len() as u64)
            .saturating_add(file)
            .saturating_add(self.suffix.len() as u64)
    }

    /// Whether there is no body at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One HTTP request to send to the job's server ([`PostJob::server`](super::PostJob::server)),
/// over a fresh connection (the head says `Connection: close`).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path (for logs; it is in the head too).
    pub path: String,
    /// Request line and headers up to the blank line. Holds the token:
    /// never log it.
    pub head: Vec<u8>,
    /// The body.
    pub body: RequestBody,
}

/// Leaves out the head: it carries the token.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("head", &format_args!("[{} bytes]", self.head.len()))
            .field("body", &self.body)
            .finish()
    }
}

/// What happened, for the frontend to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PostEvent {
    /// [`PostJob::progress`](super::PostJob::progress) changed: store it durably now.
    ProgressChanged,
    /// The instance's limits, for the frontend to pass to the next jobs
    /// for the same base URL.
    InstanceLimits(InstanceLimits),
    /// Media `media` was uploaded as `id`; `processing`: the server is
    /// still converting it.
    MediaUploaded {
        /// Its index in the spec.
        media: usize,
        /// The server's id.
        id: String,
        /// Not ready yet: it will be polled.
        processing: bool,
    },
    /// The search for a post without a clear answer was refused (a token
    /// without read scopes, a server without the API); the post is sent
    /// again, protected by its `Idempotency-Key` only.
    LookupUnavailable {
        /// Why, for the log.
        reason: String,
    },
    /// Part `part` (0-based) of `parts` is posted.
    StatusPosted {
        /// Its index in the thread.
        part: usize,
        /// The thread's length.
        parts: usize,
        /// The status.
        status: PostedStatus,
        /// Found among the account's statuses after a post that got no
        /// clear answer, rather than answered.
        found: bool,
    },
    /// Every status is posted: `status URL` or `thread URL URL …`. The
    /// attempt is over.
    Finished {
        /// For the log and the outbox listing.
        summary: String,
    },
    /// The attempt failed; the retry policy decides what follows. The
    /// attempt is over.
    Failed(Failure),
}

/// A `GET` without a body.
pub(super) fn get(path: &str, head: Vec<u8>) -> Request {
    Request {
        method: "GET",
        path: String::from(path),
        head,
        body: RequestBody::default(),
    }
}
