//! Reading Mastodon's answers: the response head, a chunked body, and what
//! an answer to an upload, a poll or a status post means.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::json;
use super::{MAX_RESPONSE_BODY, MAX_RESPONSE_HEADERS, MastodonError};
use crate::retry::{Failure, FailureKind, http_status_kind};
use crate::time::Duration;

/// Characters of a server's error text kept in a failure reason.
const ERROR_EXCERPT: usize = 200;

/// Status line and framing of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Length`, when present.
    pub content_length: Option<u64>,
    /// Bytes of the head including the blank line; the body starts here.
    pub head_len: usize,
    /// `Transfer-Encoding: chunked`: the body needs [`decode_chunked`] (nginx in front of Mastodon does this).
    pub chunked: bool,
    /// `Retry-After` in seconds (the HTTP-date form is not used by Mastodon).
    pub retry_after: Option<Duration>,
}

/// Parses an HTTP response head; `Ok(None)` while it is incomplete.
pub fn parse_response_head(buf: &[u8]) -> Result<Option<ResponseHead>, MastodonError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_RESPONSE_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let head_len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(MastodonError::TooManyHeaders),
        Err(_) => return Err(MastodonError::BadResponse),
    };
    let status = resp.code.ok_or(MastodonError::BadResponse)?;
    let mut content_length = None;
    let mut chunked = false;
    let mut retry_after = None;
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = digits(h.value).ok_or(MastodonError::BadContentLength)?;
            if content_length.is_some_and(|old| old != v) {
                return Err(MastodonError::BadContentLength);
            }
            content_length = Some(v);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = h
                .value
                .split(|&b| b == b',')
                .next_back()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if h.name.eq_ignore_ascii_case("retry-after") {
            retry_after = digits(h.value).map(Duration::from_secs);
        }
    }
    Ok(Some(ResponseHead {
        status,
        // RFC 9112 §6.3: with chunked framing, Content-Length is ignored.
        content_length: if chunked { None } else { content_length },
        head_len,
        chunked,
        retry_after,
    }))
}

/// A header value that is a plain decimal number.
fn digits(v: &[u8]) -> Option<u64> {
    core::str::from_utf8(v)
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
}

/// Decodes a complete chunked body (as read up to the connection's close); None while the final chunk has not arrived.
pub fn decode_chunked(buf: &[u8]) -> Result<Option<Vec<u8>>, MastodonError> {
    let mut out = Vec::new();
    let mut rest = buf;
    loop {
        let Some(eol) = memchr::memchr(b'\n', rest) else {
            return Ok(None);
        };
        let line = rest.get(..eol).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // Chunk extensions after ';' carry nothing we need.
        let size = line
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        if size.is_empty() || size.len() > 8 || !size.iter().all(u8::is_ascii_hexdigit) {
            return Err(MastodonError::BadChunk);
        }
        let size = core::str::from_utf8(size)
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or(MastodonError::BadChunk)?;
        rest = rest.get(eol + 1..).unwrap_or_default();
        if size == 0 {
            // Trailers are ignored; the connection closes after them.
            return Ok(Some(out));
        }
        if out.len().saturating_add(size) > MAX_RESPONSE_BODY {
            return Err(MastodonError::BodyTooLong);
        }
        let Some(data) = rest.get(..size) else {
            return Ok(None);
        };
        out.extend_from_slice(data);
        rest = rest.get(size..).unwrap_or_default();
        rest = match rest {
            [b'\r', b'\n', tail @ ..] | [b'\n', tail @ ..] => tail,
            [] | [b'\r'] => return Ok(None),
            _ => return Err(MastodonError::BadChunk),
        };
    }
}

/// What an answer to a media upload, a media poll or a status post says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiAnswer {
    /// Accepted; the media or status id.
    Done(String),
    /// Media accepted but still processing (202 on upload, 206 on poll): poll this id.
    Processing(String),
    /// Transient (408, 425, 429, 5xx): the same request may succeed later.
    Retry,
    /// Will not succeed as is (bad token, validation, a 2xx without id, redirects).
    Permanent(u16),
}

/// Reads an answer to a media upload, a media poll or a status post.
///
/// A success without an id is permanent: the server will not change its
/// mind, and retrying a status post could duplicate it once the
/// idempotency key has expired. Transport errors are the caller's.
pub fn read_answer(status: u16, body: &str) -> ApiAnswer {
    let id = || json::text_field(body, "id").map(Cow::into_owned);
    match http_status_kind(status) {
        None if matches!(status, 202 | 206) => {
            id().map_or(ApiAnswer::Permanent(status), ApiAnswer::Processing)
        }
        None if status >= 200 => id().map_or(ApiAnswer::Permanent(status), ApiAnswer::Done),
        Some(FailureKind::Transient) => ApiAnswer::Retry,
        _ => ApiAnswer::Permanent(status),
    }
}

/// `HTTP 503`, or `HTTP 401: The access token is invalid` with the server's
/// `error` text (or the start of its body) when it sent one.
pub(crate) fn describe(status: u16, body: &str) -> String {
    let detail = match json::text_field(body, "error") {
        Some(e) => excerpt(&e, ERROR_EXCERPT),
        None => excerpt(body, ERROR_EXCERPT),
    };
    if detail.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {detail}")
    }
}

/// The failure an unsuccessful answer to `what` means (the caller has
/// ruled out success).
pub(crate) fn answer_failure(
    what: &str,
    status: u16,
    body: &str,
    retry_after: Option<Duration>,
) -> Failure {
    let reason = format!("{what}: {}", describe(status, body));
    match http_status_kind(status) {
        Some(FailureKind::Transient) => Failure::transient(reason).with_retry_after(retry_after),
        _ => Failure::permanent(reason),
    }
}

/// At most `max` characters of `s`, trimmed, control characters replaced
/// by spaces, `…` when cut: a server's text fit for one log line.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    let s = s.trim();
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}
