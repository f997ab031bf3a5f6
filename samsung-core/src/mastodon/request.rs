//! The exact HTTP/1.1 request bytes of the API calls, so that every
//! frontend sends the same bytes, and a photo can be streamed into
//! `POST /api/v2/media` between a prefix and a suffix.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::{MAX_BOUNDARY_LEN, USER_AGENT, Visibility, media_type};
use crate::crypto::Secret;

/// Where and as whom to post.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    /// `mastodon.social` or `127.0.0.1:3000`; sent as `Host`.
    pub host: &'a str,
    /// `""` or `/prefix` when the API is not at the root.
    pub base_path: &'a str,
    /// The access token (scopes `write:media write:statuses`).
    pub token: &'a Secret<String>,
}

/// Why a base URL cannot be used.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseUrlError {
    /// Not `http://` or `https://`.
    #[error("expected an http:// or https:// URL")]
    Scheme,
    /// No host name or address.
    #[error("the URL has no host")]
    NoHost,
    /// A port that is not a number from 1 to 65535.
    #[error("the URL has a bad port")]
    BadPort,
    /// Spaces, controls, user info, a query or a fragment.
    #[error("the URL has characters or parts a base URL cannot have")]
    BadCharacters,
}

/// A Mastodon instance's base URL, split for connecting: `https://host`,
/// `http://127.0.0.1:3000`, `https://example.org/social`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    /// `https` (TLS) rather than `http`.
    pub tls: bool,
    /// The host name or address to connect to (IPv6 without brackets); the
    /// TLS server name.
    pub host: String,
    /// The port (80 or 443 unless the URL names one).
    pub port: u16,
    /// The `Host` header: the URL's authority as written.
    pub authority: String,
    /// `""`, or the path the API is under (`/social`), without a trailing `/`.
    pub base_path: String,
}

impl BaseUrl {
    /// Splits `http[s]://host[:port][/path]`; a trailing `/` is ignored.
    pub fn parse(url: &str) -> Result<Self, BaseUrlError> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").ok_or(BaseUrlError::Scheme)?;
        let tls = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return Err(BaseUrlError::Scheme);
        };
        let rest = rest.trim_end_matches('/');
        if rest
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '@'))
        {
            return Err(BaseUrlError::BadCharacters);
        }
        let (authority, base_path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (addr, after) = v6.split_once(']').ok_or(BaseUrlError::NoHost)?;
                (
                    addr,
                    after
                        .strip_prefix(':')
                        .or((!after.is_empty()).then_some("")),
                )
            }
            None => match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        if host.is_empty() {
            return Err(BaseUrlError::NoHost);
        }
        let port = match port {
            None => {
                if tls {
                    443
                } else {
                    80
                }
            }
            // A sign or leading zeros are refused: one authority, one server.
            Some(p) if p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0') => {
                p.parse::<u16>().map_err(|_| BaseUrlError::BadPort)?
            }
            Some(_) => return Err(BaseUrlError::BadPort),
        };
        Ok(Self {
            tls,
            host: String::from(host),
            port,
            authority: String::from(authority),
            base_path: String::from(base_path),
        })
    }

    /// The endpoint for requests as the owner of `token`.
    pub fn endpoint<'a>(&'a self, token: &'a Secret<String>) -> Endpoint<'a> {
        Endpoint {
            host: &self.authority,
            base_path: &self.base_path,
            token,
        }
    }
}

/// Appends a header value from configuration or a server answer with control
/// characters dropped, so that nothing can end the header line early.
fn push_header_value(out: &mut String, v: &str) {
    out.extend(v.trim().chars().filter(|c| !c.is_control()));
}

/// Request line and `Host`, without the final blank line.
fn request_line(method: &str, ep: &Endpoint<'_>, path: &str) -> String {
    let mut h = String::with_capacity(256);
    h.push_str(method);
    h.push(' ');
    let base = ep.base_path.trim().trim_end_matches('/');
    if !base.is_empty() && !base.starts_with('/') {
        h.push('/');
    }
    // Spaces would split the request line; controls would end it.
    h.extend(base.chars().filter(|c| !c.is_control() && *c != ' '));
    h.push_str(path);
    h.push_str(" HTTP/1.1\r\nHost: ");
    push_header_value(&mut h, ep.host);
    h.push_str("\r\n");
    h
}

/// Request line, `Host` and `Authorization`, without the final blank line.
fn request_head(method: &str, ep: &Endpoint<'_>, path: &str) -> String {
    let mut h = request_line(method, ep, path);
    h.push_str("Authorization: Bearer ");
    // A token read from a file usually ends in a newline.
    push_header_value(&mut h, ep.token.expose());
    h.push_str("\r\n");
    h
}

fn finish_head(mut h: String) -> Vec<u8> {
    h.push_str("User-Agent: ");
    h.push_str(USER_AGENT);
    h.push_str("\r\nConnection: close\r\n\r\n");
    h.into_bytes()
}

/// A media upload whose body can be streamed: head bytes, then a body prefix, then exactly `file_len` file bytes, then a body suffix. content_length() is known up front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUpload {
    boundary: String,
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    file_len: u64,
}

/// Keeps the boundary to characters that need no quoting in the
/// `Content-Type` header and cuts it to the RFC length.
fn clean_boundary(b: &str) -> String {
    let s: String = b
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(MAX_BOUNDARY_LEN)
        .collect();
    if s.is_empty() {
        String::from("samsung-bridge-boundary")
    } else {
        s
    }
}

/// The description starts a line, so `--boundary` in it would end its part
/// early; the boundary changes instead of the user's text. Terminates: each
/// candidate differs, and the text has finitely many substrings.
fn boundary_not_in(base: String, description: Option<&str>) -> String {
    let Some(d) = description else {
        return base;
    };
    let mut candidate = base.clone();
    let mut n = 0u32;
    while d.contains(candidate.as_str()) {
        n += 1;
        let stem = base
            .get(..base.len().min(MAX_BOUNDARY_LEN - 11))
            .unwrap_or_default();
        candidate = format!("{stem}-{n}");
    }
    candidate
}

/// File names go into a quoted parameter: escaped the way browsers do
/// (WHATWG), so a camera-supplied name cannot end the quote or the line.
/// Backslash is escaped too: Rack reads `a\b` as an IE path and keeps only `b`.
fn push_quoted_file_name(out: &mut String, name: &str) {
    let mut any = false;
    for c in name.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            '\\' => out.push_str("%5C"),
            c if c.is_control() => continue,
            c => out.push(c),
        }
        any = true;
    }
    if !any {
        out.push_str("file");
    }
}

/// A description is a part body: only a line starting with the delimiter
/// could end it, so line breaks become spaces (alt texts from cameras are
/// single-line anyway) and other controls are dropped.
fn push_description(out: &mut String, d: &str) {
    let mut prev_cr = false;
    for c in d.chars() {
        match c {
            '\n' if prev_cr => {}
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
        prev_cr = c == '\r';
    }
}

impl MediaUpload {
    /// Prepares the framing of one `POST /api/v2/media` (`boundary` random from the frontend).
    pub fn new(
        boundary: &str,
        file_name: &str,
        content_type: &str,
        description: Option<&str>,
        file_len: u64,
    ) -> Self {
        let description = description.map(|d| {
            let mut clean = String::with_capacity(d.len());
            push_description(&mut clean, d);
            clean
        });
        let boundary = boundary_not_in(clean_boundary(boundary), description.as_deref());
        let mut p = String::with_capacity(256);
        if let Some(d) = &description {
            let _ = write!(
                p,
                "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n{d}\r\n"
            );
        }
        let _ = write!(
            p,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
        );
        push_quoted_file_name(&mut p, file_name);
        let _ = write!(
            p,
            "\"\r\nContent-Type: {}\r\n\r\n",
            media_type(content_type)
        );
        let suffix = format!("\r\n--{boundary}--\r\n").into_bytes();
        Self {
            boundary,
            prefix: p.into_bytes(),
            suffix,
            file_len,
        }
    }

    /// The boundary actually used (the given one, cleaned).
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The body length: prefix + file + suffix.
    pub fn content_length(&self) -> u64 {
        // usize → u64 cannot truncate on any supported target.
        (self.prefix.len() as u64)
            .saturating_add(self.file_len)
            .saturating_add(self.suffix.len() as u64)
    }

    /// Request line and headers, ending with the blank line.
    pub fn head(&self, ep: &Endpoint<'_>) -> Vec<u8> {
        let mut h = request_head("POST", ep, "/api/v2/media");
        let _ = write!(
            h,
            "Content-Type: multipart/form-data; boundary={}\r\nContent-Length: {}\r\n",
            self.boundary,
            self.content_length()
        );
        finish_head(h)
    }

    /// Request line and headers for a body of unknown length (an e-mail
    /// attachment streamed on while it arrives): `Transfer-Encoding:
    /// chunked` instead of `Content-Length`; the caller frames the prefix,
    /// the file bytes and the suffix as chunks and ends with `0\r\n\r\n`.
    pub fn head_chunked(&self, ep: &Endpoint<'_>) -> Vec<u8> {
        let mut h = request_head("POST", ep, "/api/v2/media");
        let _ = write!(
            h,
            "Content-Type: multipart/form-data; boundary={}\r\nTransfer-Encoding: chunked\r\n",
            self.boundary
        );
        finish_head(h)
    }

    /// Body bytes before the file: the description part (if any), then the file part's headers.
    pub fn body_prefix(&self) -> Vec<u8> {
        self.prefix.clone()
    }

    /// Body bytes after the file: `\r\n--boundary--\r\n`.
    pub fn body_suffix(&self) -> Vec<u8> {
        self.suffix.clone()
    }

    /// The prefix and the suffix, without copying.
    pub(crate) fn into_parts(self) -> (Vec<u8>, Vec<u8>) {
        (self.prefix, self.suffix)
    }
}

/// `GET {base}/api/v1/media/{id}` request bytes (polling).
pub fn media_status_request(ep: &Endpoint<'_>, media_id: &str) -> Vec<u8> {
    let mut path = String::from("/api/v1/media/");
    crate::percent::push_encoded(&mut path, media_id);
    finish_head(request_head("GET", ep, &path))
}

/// `GET {base}/api/v2/instance` request bytes, without the token: the
/// instance's limits are public.
pub fn instance_request(ep: &Endpoint<'_>) -> Vec<u8> {
    finish_head(request_line("GET", ep, "/api/v2/instance"))
}

/// `GET {base}/api/v1/accounts/verify_credentials` request bytes: the
/// token's account.
pub fn verify_credentials_request(ep: &Endpoint<'_>) -> Vec<u8> {
    finish_head(request_head(
        "GET",
        ep,
        "/api/v1/accounts/verify_credentials",
    ))
}

/// `GET {base}/api/v1/accounts/{id}/statuses?limit={limit}` request bytes:
/// the account's newest statuses.
pub fn account_statuses_request(ep: &Endpoint<'_>, account_id: &str, limit: usize) -> Vec<u8> {
    let mut path = String::from("/api/v1/accounts/");
    crate::percent::push_encoded(&mut path, account_id);
    let _ = write!(path, "/statuses?limit={limit}");
    finish_head(request_head("GET", ep, &path))
}

/// A status to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPost {
    /// The text (see [`super::status_text`]).
    pub text: String,
    /// Ids from the media uploads, in display order.
    pub media_ids: Vec<String>,
    /// None: the account's default.
    pub visibility: Option<Visibility>,
    /// The status this one continues (threads, see [`super::thread_texts`]).
    pub in_reply_to_id: Option<String>,
}

/// `application/x-www-form-urlencoded` as the WHATWG URL standard serialises it.
fn push_form_component(out: &mut String, v: &str) {
    for b in v.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"*-._".contains(&b) => out.push(char::from(b)),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

fn push_form_field(out: &mut String, key: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    push_form_component(out, key);
    out.push('=');
    push_form_component(out, value);
}

/// The form-urlencoded body of a status post, for frontends that use an
/// HTTP client library rather than [`status_request`].
pub fn status_form(post: &StatusPost) -> String {
    let mut out = String::with_capacity(post.text.len() * 3 + 64);
    push_form_field(&mut out, "status", &post.text);
    for id in &post.media_ids {
        push_form_field(&mut out, "media_ids[]", id);
    }
    if let Some(v) = post.visibility {
        push_form_field(&mut out, "visibility", v.as_str());
    }
    if let Some(r) = &post.in_reply_to_id {
        push_form_field(&mut out, "in_reply_to_id", r);
    }
    out
}

/// The head of a status post whose form body is `body_len` bytes.
pub(crate) fn status_head(ep: &Endpoint<'_>, idempotency_key: &str, body_len: usize) -> Vec<u8> {
    let mut h = request_head("POST", ep, "/api/v1/statuses");
    h.push_str("Idempotency-Key: ");
    push_header_value(&mut h, idempotency_key);
    let _ = write!(
        h,
        "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {body_len}\r\n"
    );
    finish_head(h)
}

/// A complete `POST {base}/api/v1/statuses`: head and form body. The
/// `Idempotency-Key` makes a repeated post return the first one's status
/// (on servers that honour it).
pub fn status_request(ep: &Endpoint<'_>, idempotency_key: &str, post: &StatusPost) -> Vec<u8> {
    let body = status_form(post);
    let mut out = status_head(ep, idempotency_key, body.len());
    out.extend_from_slice(body.as_bytes());
    out
}
