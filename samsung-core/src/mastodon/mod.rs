//! Mastodon posts: the text as the reference composes it, the exact HTTP/1.1
//! bytes of the API calls, and [`PostJob`], the state machine that turns a
//! batch into a status or a thread.
//!
//! The calls of a post job, in order:
//! 1. `GET {base}/api/v2/instance` ([`instance_request`]) for the
//!    [`InstanceLimits`] (attachments per status, alt text length), unless
//!    the frontend knows them already.
//! 2. [`MediaUpload`]: `POST {base}/api/v2/media` per file, with its alt
//!    text. 200 → the id; 202 → poll with [`media_status_request`] until 200
//!    (206: still processing; 404: gone, upload again).
//! 3. [`status_request`]: `POST {base}/api/v1/statuses` per status of the
//!    thread, each replying to the one before; an `Idempotency-Key` makes a
//!    repeated post return the first one's status.
//! 4. Only after a post whose outcome is unknown: [`verify_credentials_request`]
//!    and [`account_statuses_request`] to find it before posting again.
//!
//! [`parse_response_head`], [`decode_chunked`] and [`read_answer`] read the
//! answers; a small tolerant JSON reader finds the fields.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

mod job;
mod json;
mod layout;
mod request;
mod response;

pub use job::{
    MediaProgress, MediaSpec, PostEvent, PostJob, PostOptions, PostProgress, PostSpec,
    PostedStatus, Request, RequestBody, TransportErrorKind, idempotency_key,
};
pub use json::json_string_field;
pub use layout::{
    DEFAULT_DESCRIPTION_LIMIT, DEFAULT_MAX_MEDIA_PER_STATUS, InstanceLimits, alt_text,
    needs_own_status, thread_layout, thread_texts,
};
pub use request::{
    BaseUrl, BaseUrlError, Endpoint, MediaUpload, StatusPost, account_statuses_request,
    instance_request, media_status_request, status_form, status_request,
    verify_credentials_request,
};
pub use response::{ApiAnswer, ResponseHead, decode_chunked, parse_response_head, read_answer};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = "samsung-bridge";
/// Most response header lines [`parse_response_head`] accepts.
pub const MAX_RESPONSE_HEADERS: usize = 64;
/// Longest decoded chunked response body [`decode_chunked`] builds, in bytes.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;
/// Longest multipart boundary used (RFC 2046 §5.1.1).
pub const MAX_BOUNDARY_LEN: usize = 70;

/// `📷️` as the reference writes it: U+1F4F7 CAMERA followed by U+FE0F (emoji presentation).
const CAMERA: &str = "\u{1F4F7}\u{FE0F}";

/// Errors of reading a Mastodon HTTP response.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum MastodonError {
    /// The response head is not HTTP.
    #[error("malformed HTTP response head")]
    BadResponse,
    /// More than [`MAX_RESPONSE_HEADERS`] header lines.
    #[error("too many response headers")]
    TooManyHeaders,
    /// A `Content-Length` that is not a number, or two that disagree.
    #[error("invalid Content-Length")]
    BadContentLength,
    /// A malformed chunk in a chunked body.
    #[error("malformed chunked body")]
    BadChunk,
    /// The decoded body would exceed [`MAX_RESPONSE_BODY`].
    #[error("response body too long")]
    BodyTooLong,
}

/// "Text~alt1~alt2" → caption "Text", alts ["alt1","alt2"]; no '~' → alts empty.
///
/// The reference splits on `~` and trims nothing: `"A~"` has one empty alt
/// text, and its "exactly N alt texts for N photos" rule counts it.
pub fn split_alt_texts(content: &str) -> (&str, Vec<&str>) {
    let mut parts = content.split('~');
    let caption = parts.next().unwrap_or_default();
    (caption, parts.collect())
}

/// Status text exactly like the reference: text + "\n\n📷️ " + album +
/// "\n\n" + postscript, omitting the album part when album is None/empty
/// and the postscript part when None/empty.
///
/// The e-mail path of the reference has no album (`text + "\n\n" + POSTSCRIPT`),
/// which is this with `album = None`. The postscript is kept verbatim: the
/// reference's example starts it with a space.
pub fn status_text(caption: &str, album: Option<&str>, postscript: Option<&str>) -> String {
    let album = album.filter(|a| !a.is_empty());
    let postscript = postscript.filter(|p| !p.is_empty());
    let mut out = String::with_capacity(
        caption.len() + album.map_or(0, |a| a.len() + 12) + postscript.map_or(0, |p| p.len() + 2),
    );
    out.push_str(caption);
    if let Some(a) = album {
        out.push_str("\n\n");
        out.push_str(CAMERA);
        out.push(' ');
        out.push_str(a);
    }
    if let Some(p) = postscript {
        out.push_str("\n\n");
        out.push_str(p);
    }
    out
}

/// image/pjpeg → image/jpeg; others unchanged (lowercased, params stripped).
///
/// An empty or non-token type becomes `application/octet-stream`: it is
/// written into a part header, where CR/LF or quotes would break the framing.
pub fn media_type(content_type: &str) -> Cow<'_, str> {
    let t = content_type.split(';').next().unwrap_or_default().trim();
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$&^_.+-/".contains(&b);
    if t.is_empty() || !t.bytes().all(token) {
        return Cow::Borrowed("application/octet-stream");
    }
    if t.eq_ignore_ascii_case("image/pjpeg") {
        return Cow::Borrowed("image/jpeg");
    }
    if t.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(t.to_ascii_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// Who may see a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Everyone, on public timelines.
    Public,
    /// Everyone, but not on public timelines.
    Unlisted,
    /// Followers only.
    Private,
    /// Mentioned users only.
    Direct,
}

impl Visibility {
    /// Parses the API/config spelling (`public`, `unlisted`, `private`, `direct`), ignoring ASCII case.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Public, Self::Unlisted, Self::Private, Self::Direct]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The API spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::Private => "private",
            Self::Direct => "direct",
        }
    }
}

#[cfg(test)]
mod tests;
