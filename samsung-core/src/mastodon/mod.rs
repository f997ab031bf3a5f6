//! Mastodon posts: text composition like the reference (PROTOCOL.md §9.2) and
//! the exact HTTP/1.1 request bytes of the API calls, so that a frontend can
//! stream a photo straight from the camera's PUT into `POST /api/v2/media`.
//!
//! The calls, in order:
//! 1. [`MediaUpload`]: `POST {base}/api/v2/media` per photo, with its alt text.
//!    200 → the id; 202 → poll with [`media_status_request`] until 200 (206 = still processing).
//! 2. [`status_request`]: `POST {base}/api/v1/statuses` with all media ids; an
//!    `Idempotency-Key` makes a retried post safe.
//!
//! [`parse_response_head`], [`json_string_field`] and [`classify`] read the answers.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::crypto::Secret;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = "samsung-bridge";
/// Most response header lines [`parse_response_head`] accepts.
pub const MAX_RESPONSE_HEADERS: usize = 64;
/// Longest decoded chunked response body [`decode_chunked`] builds, in bytes.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;
/// Longest multipart boundary used (RFC 2046 §5.1.1).
pub const MAX_BOUNDARY_LEN: usize = 70;
/// Mastodon's default limit of attachments per status.
pub const DEFAULT_MAX_MEDIA_PER_STATUS: usize = 4;

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

/// "Text~alt1~alt2" → caption "Text", alts ["alt1","alt2"]; no '~' → alts empty. Trims nothing except what the reference trims (check §9.2: it splits on '~').
///
/// The reference trims nothing: `"A~"` has one empty alt text, and its
/// "exactly N alt texts for N photos" rule counts it.
pub fn split_alt_texts(content: &str) -> (&str, Vec<&str>) {
    let mut parts = content.split('~');
    let caption = parts.next().unwrap_or_default();
    (caption, parts.collect())
}

/// Status text exactly like the reference: text + "\n\n📷️ " + album + "\n\n" + postscript, omitting the album part when album is None/empty and the postscript part when None/empty. (Verify the exact emoji bytes: U+1F4F7 U+FE0F.)
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
    pub fn parse(s: &str) -> Option<Visibility> {
        [
            Visibility::Public,
            Visibility::Unlisted,
            Visibility::Private,
            Visibility::Direct,
        ]
        .into_iter()
        .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The API spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

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

/// Appends a header value from configuration or a server answer with control
/// characters dropped, so that nothing can end the header line early.
fn push_header_value(out: &mut String, v: &str) {
    out.extend(v.trim().chars().filter(|c| !c.is_control()));
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for path segments).
fn push_path_segment(out: &mut String, v: &str) {
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Request line and the headers common to all calls, without the final blank line.
fn request_head(method: &str, ep: &Endpoint<'_>, path: &str) -> String {
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
    h.push_str("\r\nAuthorization: Bearer ");
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
        candidate = alloc::format!("{stem}-{n}");
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
        let suffix = alloc::format!("\r\n--{boundary}--\r\n").into_bytes();
        MediaUpload {
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

    /// Body bytes before the file: the description part (if any), then the file part's headers.
    pub fn body_prefix(&self) -> Vec<u8> {
        self.prefix.clone()
    }

    /// Body bytes after the file: `\r\n--boundary--\r\n`.
    pub fn body_suffix(&self) -> Vec<u8> {
        self.suffix.clone()
    }
}

/// GET {base}/api/v1/media/{id} request bytes (polling).
pub fn media_status_request(ep: &Endpoint<'_>, media_id: &str) -> Vec<u8> {
    let mut path = String::from("/api/v1/media/");
    push_path_segment(&mut path, media_id);
    finish_head(request_head("GET", ep, &path))
}

/// A status to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPost {
    /// The text (see [`status_text`]).
    pub text: String,
    /// Ids from the media uploads, in display order.
    pub media_ids: Vec<String>,
    /// None: the account's default.
    pub visibility: Option<Visibility>,
    /// The status this one continues (threads, see [`thread_texts`]).
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

/// Form-urlencoding of a status (the body alone), so a frontend using an HTTP client library can send the same fields.
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

/// Complete POST {base}/api/v1/statuses request (head + form-urlencoded body, properly percent-encoded — emoji/UTF-8, '&', '=', '+', newlines), with Idempotency-Key header.
pub fn status_request(ep: &Endpoint<'_>, idempotency_key: &str, post: &StatusPost) -> Vec<u8> {
    let body = status_form(post);
    let mut h = request_head("POST", ep, "/api/v1/statuses");
    h.push_str("Idempotency-Key: ");
    push_header_value(&mut h, idempotency_key);
    let _ = write!(
        h,
        "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
        body.len()
    );
    let mut out = finish_head(h);
    out.extend_from_slice(body.as_bytes());
    out
}

/// Cursor over a JSON text; tolerant: it checks only what it needs to find a field.
struct Json<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Json<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.i += 1)
    }

    /// At an opening quote: the raw text between the quotes and whether it has escapes.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                }
                _ => self.i += 1,
            }
        }
        // Both ends are at ASCII bytes, hence char boundaries.
        let raw = self.s.get(start..self.i)?;
        self.i += 1;
        Some((raw, escaped))
    }

    /// Skips one value of any kind; containers are skipped by counting
    /// brackets outside strings, so depth costs no stack.
    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => self.scalar().map(drop),
        }
    }

    /// A number or literal: everything up to the next delimiter.
    fn scalar(&mut self) -> Option<&'a str> {
        let start = self.i;
        while !matches!(
            self.peek(),
            None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
        ) {
            self.i += 1;
        }
        self.s.get(start..self.i).filter(|s| !s.is_empty())
    }
}

fn hex4(s: &[u8]) -> Option<u32> {
    let s = s.get(..4)?;
    let t = core::str::from_utf8(s).ok()?;
    u32::from_str_radix(t, 16)
        .ok()
        .filter(|_| t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Decodes the escapes of a JSON string body; broken ones become U+FFFD.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find('\\') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let after = rest.get(pos + 1..).unwrap_or_default();
        let mut chars = after.chars();
        let consumed = match chars.next() {
            Some('u') => {
                let b = after.as_bytes();
                match hex4(b.get(1..).unwrap_or_default()) {
                    Some(hi @ 0xD800..=0xDBFF) => {
                        let lo = (b.get(5) == Some(&b'\\') && b.get(6) == Some(&b'u'))
                            .then(|| hex4(b.get(7..).unwrap_or_default()))
                            .flatten()
                            .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                        match lo {
                            Some(lo) => {
                                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                12
                            }
                            None => {
                                out.push('\u{FFFD}');
                                6
                            }
                        }
                    }
                    Some(c) => {
                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                        6
                    }
                    None => {
                        out.push('\u{FFFD}');
                        2
                    }
                }
            }
            Some(c) => {
                out.push(match c {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'b' => '\u{8}',
                    'f' => '\u{C}',
                    '"' | '\\' | '/' => c,
                    _ => '\u{FFFD}',
                });
                1 + c.len_utf8()
            }
            None => 1,
        };
        rest = rest.get(pos + consumed..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Minimal, tolerant JSON scan for the top-level string field "id" (Mastodon ids are strings), and for "url"; handles escapes and whitespace; None if absent.
///
/// A number value is returned as its literal text (some servers send numeric
/// ids); `null`, booleans, objects and arrays give None. Keys inside nested
/// objects (`"account": {"id": …}`) are never matched.
pub fn json_string_field<'a>(json: &'a str, field: &str) -> Option<Cow<'a, str>> {
    let mut p = Json { s: json, i: 0 };
    p.eat(b'{')?;
    p.ws();
    if p.peek()? == b'}' {
        return None;
    }
    loop {
        let (key, escaped) = p.string()?;
        p.eat(b':')?;
        let matches = if escaped {
            unescape(key) == field
        } else {
            key == field
        };
        if matches {
            p.ws();
            return match p.peek()? {
                b'"' => {
                    let (raw, escaped) = p.string()?;
                    Some(if escaped {
                        Cow::Owned(unescape(raw))
                    } else {
                        Cow::Borrowed(raw)
                    })
                }
                b'-' | b'0'..=b'9' => p.scalar().map(Cow::Borrowed),
                _ => None,
            };
        }
        p.skip_value()?;
        p.ws();
        match p.peek()? {
            b',' => p.i += 1,
            _ => return None,
        }
    }
}

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
}

/// Parses an HTTP response head (httparse::Response): status code, Content-Length, header end offset; Partial when incomplete.
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
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = core::str::from_utf8(h.value)
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(MastodonError::BadContentLength)?;
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
        }
    }
    Ok(Some(ResponseHead {
        status,
        // RFC 9112 §6.3: with chunked framing, Content-Length is ignored.
        content_length: if chunked { None } else { content_length },
        head_len,
        chunked,
    }))
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

/// How a response to a media upload / status post is to be treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; the media or status id.
    Done(String),
    /// Media accepted but still processing (202 on upload, 206 on poll): poll this id.
    Processing(String),
    /// Transient (408, 425, 429, 5xx): try again later with the same request.
    Retry,
    /// Will not succeed as is (bad token, validation, a 2xx without id, redirects): give up and report.
    Permanent(u16),
}

/// How a response to a media upload / status post is to be treated: Done(id), Processing(id) (202/206), Retry (408/425/429/5xx, connection errors are the caller's), Permanent(status) (other 4xx: bad token, validation) — the outbox retry logic depends on this split.
///
/// A success without an id is Permanent: the server will not change its
/// mind, and retrying a status post could duplicate it once the
/// idempotency key has expired.
pub fn classify(status: u16, body: &str) -> Outcome {
    let id = || json_string_field(body, "id").map(Cow::into_owned);
    match status {
        202 | 206 => id().map_or(Outcome::Permanent(status), Outcome::Processing),
        200..=299 => id().map_or(Outcome::Permanent(status), Outcome::Done),
        408 | 425 | 429 | 500..=599 => Outcome::Retry,
        _ => Outcome::Permanent(status),
    }
}

/// Max attachments per status (Mastodon default 4); a batch with more media is split into a thread: chunks of `max` media, first status carries the text, replies carry "(2/3)"-style continuation marker; returns the text for each part.
///
/// `max_per_status` 0 is treated as 1.
pub fn thread_texts(text: &str, media_count: usize, max_per_status: usize) -> Vec<String> {
    let parts = media_count.div_ceil(max_per_status.max(1)).max(1);
    let mut out = Vec::with_capacity(parts);
    out.push(String::from(text));
    for n in 2..=parts {
        out.push(alloc::format!("({n}/{parts})"));
    }
    out
}

#[cfg(test)]
mod tests;
