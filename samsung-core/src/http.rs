//! HTTP/1.x request framing and response rendering.
//!
//! The head is parsed with `httparse`, configured for the cameras' quirks
//! (PROTOCOL.md §6): two spaces before `HTTP/1.0`, headers without a space
//! after the colon, duplicate headers, bare-LF line ends, absolute-form
//! request targets. Bodies are never buffered here: [`RequestHead`] only says
//! how long the body is, and the connection engine counts it down.
//!
//! Every response is rendered completely (status line, headers, body) into
//! one caller-provided buffer, so a frontend writes it with a single write and
//! head and body share one TCP segment (PROTOCOL.md §6.1).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

/// Largest request head (request line and all header lines) accepted.
pub const MAX_HEAD_LEN: usize = 8 * 1024;
/// Most header lines accepted in one request head.
pub const MAX_HEADERS: usize = 48;
/// Longest request target (path and query) accepted.
pub const MAX_TARGET_LEN: usize = 2048;
/// Longest header value kept for `Host`, `Content-Type` and `User-Agent`.
pub const MAX_KEPT_VALUE_LEN: usize = 512;

/// The request method, reduced to what the SNS API distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// Any other method token.
    Other,
}

impl Method {
    /// The method token (`OTHER` for unrecognised ones).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Other => "OTHER",
        }
    }
}

/// The request's HTTP version; responses are sent in the same version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0 (the e-mail API).
    Http10,
    /// HTTP/1.1 (the social API, hotspot checks).
    Http11,
}

impl Version {
    /// The version token as sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http10 => "HTTP/1.0",
            Self::Http11 => "HTTP/1.1",
        }
    }
}

/// A validated request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// Request method.
    pub method: Method,
    /// HTTP version of the request.
    pub version: Version,
    /// Path of the target, starting with `/`, without the query; an
    /// absolute-form target (`http://host/path`) is reduced to its path.
    pub path: String,
    /// The query string without `?` (empty if none).
    pub query: String,
    /// Host name, lowercased, without port: from the `Host` header, or from
    /// an absolute-form target when that is given (RFC 9112 §3.2.2).
    pub host: Option<String>,
    /// Declared body length; `None` when no `Content-Length` was sent.
    pub content_length: Option<u64>,
    /// `Content-Type` header value as sent.
    pub content_type: Option<String>,
    /// First `User-Agent` header (the e-mail request carries two).
    pub user_agent: Option<String>,
    /// The request announced `Transfer-Encoding` (cameras never do).
    pub transfer_encoding: bool,
}

/// Why a request head was rejected; each maps to a 4xx status.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// The head is larger than [`MAX_HEAD_LEN`] or has too many header lines.
    #[error("request head too large")]
    HeadTooLarge,
    /// The request line or a header line is not HTTP/1.x syntax.
    #[error("malformed request head")]
    Malformed,
    /// The request target is not origin-form or absolute-form, or too long.
    #[error("bad request target")]
    BadTarget,
    /// `Content-Length` is not a number, or given twice with different values.
    #[error("bad Content-Length")]
    BadContentLength,
    /// A POST or PUT came without `Content-Length`, or with a transfer coding.
    #[error("Content-Length required")]
    LengthRequired,
    /// The response does not fit the caller's buffer.
    #[error("response buffer too small")]
    BufferTooSmall,
}

impl HttpError {
    /// The status code to answer with.
    pub const fn status(self) -> u16 {
        match self {
            Self::HeadTooLarge => 431,
            Self::Malformed | Self::BadTarget | Self::BadContentLength => 400,
            Self::LengthRequired => 411,
            Self::BufferTooSmall => 500,
        }
    }
}

fn parser_config() -> httparse::ParserConfig {
    let mut config = httparse::ParserConfig::default();
    // The NX300 e-mail capture shows `…?DUID=123456789033  HTTP/1.0`.
    config.allow_multiple_spaces_in_request_line_delimiters(true);
    config
}

/// Parses a request head from the start of `buf`.
///
/// Returns `Ok(None)` while the head is incomplete (feed more bytes, up to
/// [`MAX_HEAD_LEN`]), or the head and the number of bytes it occupies; the
/// body starts right after them.
pub fn parse_head(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let status = parser_config().parse_request(&mut req, buf);
    let consumed = match status {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return if buf.len() >= MAX_HEAD_LEN {
                Err(HttpError::HeadTooLarge)
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::HeadTooLarge),
        Err(_) => return Err(HttpError::Malformed),
    };
    if consumed > MAX_HEAD_LEN {
        return Err(HttpError::HeadTooLarge);
    }
    let method = match req.method.unwrap_or("") {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        _ => Method::Other,
    };
    let version = match req.version {
        Some(0) => Version::Http10,
        _ => Version::Http11,
    };
    let target = req.path.unwrap_or("");
    if target.len() > MAX_TARGET_LEN {
        return Err(HttpError::BadTarget);
    }
    let (uri_host, path_and_query) = split_target(target)?;
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, q),
        None => (path_and_query, ""),
    };

    let mut head = RequestHead {
        method,
        version,
        path: path.to_string(),
        query: query.to_string(),
        host: uri_host.map(normalize_host),
        content_length: None,
        content_type: None,
        user_agent: None,
        transfer_encoding: false,
    };
    for h in req.headers.iter() {
        let value = trim_ascii(h.value);
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = parse_decimal(value).ok_or(HttpError::BadContentLength)?;
            if head.content_length.is_some_and(|old| old != n) {
                return Err(HttpError::BadContentLength);
            }
            head.content_length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            head.transfer_encoding = true;
        } else if h.name.eq_ignore_ascii_case("host") {
            if head.host.is_none() || uri_host.is_none() {
                head.host = Some(normalize_host(&lossy_bounded(value)));
            }
        } else if h.name.eq_ignore_ascii_case("content-type") {
            head.content_type
                .get_or_insert_with(|| lossy_bounded(value));
        } else if h.name.eq_ignore_ascii_case("user-agent") {
            head.user_agent.get_or_insert_with(|| lossy_bounded(value));
        }
    }
    if matches!(method, Method::Post | Method::Put)
        && (head.transfer_encoding || head.content_length.is_none())
    {
        return Err(HttpError::LengthRequired);
    }
    if head.transfer_encoding {
        // A GET with a body in a transfer coding: framing we do not speak.
        return Err(HttpError::LengthRequired);
    }
    Ok(Some((head, consumed)))
}

/// Splits an origin-form or absolute-form target into (authority, path+query).
fn split_target(target: &str) -> Result<(Option<&str>, &str), HttpError> {
    if target.starts_with('/') {
        return Ok((None, target));
    }
    let rest = strip_prefix_ignore_case(target, "http://")
        .or_else(|| strip_prefix_ignore_case(target, "https://"))
        .ok_or(HttpError::BadTarget)?;
    match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => Ok((Some(&rest[..i]), &rest[i..])),
        // `http://host?x` has an empty path, which means `/`.
        Some(_) | None => {
            let host = rest.split('?').next().unwrap_or(rest);
            Ok((Some(host), "/"))
        }
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Lowercases a host and strips the port and any userinfo.
fn normalize_host(authority: &str) -> String {
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    let host = host.trim_end_matches('.');
    host.to_ascii_lowercase()
}

fn trim_ascii(v: &[u8]) -> &[u8] {
    v.trim_ascii()
}

fn lossy_bounded(v: &[u8]) -> String {
    let v = &v[..v.len().min(MAX_KEPT_VALUE_LEN)];
    String::from_utf8_lossy(v).into_owned()
}

/// Parses a non-empty run of ASCII digits without overflow.
fn parse_decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

/// The reason phrase sent with a status code.
pub const fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        // Werkzeug's spelling, as in the reference's Yahoo/MSN redirect.
        302 => "FOUND",
        400 => "BAD REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT FOUND",
        405 => "METHOD NOT ALLOWED",
        408 => "REQUEST TIMEOUT",
        409 => "CONFLICT",
        411 => "LENGTH REQUIRED",
        413 => "PAYLOAD TOO LARGE",
        415 => "UNSUPPORTED MEDIA TYPE",
        431 => "REQUEST HEADER FIELDS TOO LARGE",
        500 => "INTERNAL SERVER ERROR",
        501 => "NOT IMPLEMENTED",
        503 => "SERVICE UNAVAILABLE",
        507 => "INSUFFICIENT STORAGE",
        _ => "UNKNOWN",
    }
}

/// A response to render: status, optional content type, extra header lines
/// (emitted first, byte-exact) and a body.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// Status code.
    pub status: u16,
    /// `Content-Type` value, if any.
    pub content_type: Option<&'a str>,
    /// Extra headers, written before the standard ones, exactly as given.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body (also written for `HEAD` unless the caller passes an empty one).
    pub body: &'a [u8],
}

/// An owned response, built by the endpoint logic and rendered when the
/// frontend asks for bytes ([`OwnedResponse::render`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedResponse {
    /// Status code.
    pub status: u16,
    /// `Content-Type` value, if any.
    pub content_type: Option<&'static str>,
    /// Extra headers, written first and byte-exact.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// `Content-Length` to announce when the body is streamed separately
    /// (downloads); `None`: the length of `body`.
    pub content_length: Option<u64>,
}

/// The content type the reference sends on every XML or text answer.
pub const TEXT_HTML: &str = "text/html; charset=utf-8";

impl OwnedResponse {
    /// A `text/html` reply (the reference's content type for its XML answers).
    pub fn html(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type: Some(TEXT_HTML),
            headers: Vec::new(),
            body: body.into(),
            content_length: None,
        }
    }

    /// The error document the cameras know:
    /// `<Response ErrCode="…" ErrSubCode="0" /><!-- reason -->`.
    pub fn error(status: u16, reason: &str) -> Self {
        let mut body = String::new();
        // `--` would end the comment early; the reasons are ours, but be safe.
        let reason = reason.replace("--", "- -");
        let _ = write!(
            body,
            "<Response ErrCode=\"{status}\" ErrSubCode=\"0\" /><!-- {reason} -->"
        );
        Self::html(status, body)
    }

    /// Renders the reply for a request of `version` into `out`.
    pub fn render(&self, version: Version, out: &mut [u8]) -> Result<usize, HttpError> {
        let mut headers: [(&str, &str); 8] = [("", ""); 8];
        let n = self.headers.len().min(headers.len());
        for (slot, (name, value)) in headers.iter_mut().zip(self.headers.iter()) {
            *slot = (name, value.as_str());
        }
        render_with_length(
            version,
            &Response {
                status: self.status,
                content_type: self.content_type,
                headers: &headers[..n],
                body: &self.body,
            },
            self.content_length.unwrap_or(self.body.len() as u64),
            out,
        )
    }
}

/// A `core::fmt::Write` over a byte slice that fails instead of growing.
struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl SliceWriter<'_> {
    fn put(&mut self, bytes: &[u8]) -> core::fmt::Result {
        let end = self.len.checked_add(bytes.len()).ok_or(core::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

impl core::fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.put(s.as_bytes())
    }
}

/// Renders a complete response (always `Connection: close`, always a
/// `Content-Length`) into `out`, returning its length.
pub fn render(version: Version, resp: &Response<'_>, out: &mut [u8]) -> Result<usize, HttpError> {
    render_with_length(version, resp, resp.body.len() as u64, out)
}

/// Like [`render`], but announces `content_length` (the body, if any, is
/// still written): for heads whose body the frontend streams itself.
pub fn render_with_length(
    version: Version,
    resp: &Response<'_>,
    content_length: u64,
    out: &mut [u8],
) -> Result<usize, HttpError> {
    let mut w = SliceWriter { buf: out, len: 0 };
    let result = (|| -> core::fmt::Result {
        write!(
            w,
            "{} {} {}\r\n",
            version.as_str(),
            resp.status,
            reason(resp.status)
        )?;
        for (name, value) in resp.headers {
            write!(w, "{name}: {value}\r\n")?;
        }
        if let Some(ct) = resp.content_type {
            write!(w, "Content-Type: {ct}\r\n")?;
        }
        write!(
            w,
            "Content-Length: {content_length}\r\nConnection: close\r\n\r\n"
        )?;
        w.put(resp.body)
    })();
    result.map_err(|_| HttpError::BufferTooSmall)?;
    Ok(w.len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const V6_HEAD: &str = "POST /social/columbus/email?DUID=123456789033  HTTP/1.0\r\n\
Authorization:OAuth oauth_consumer_key=\"censored\",oauth_nonce=\"censored\",oauth_signature=\"censored=\",oauth_signature_method=\"HmacSHA1\",oauth_timestamp=\"9717886885\",oauth_version=\"1.0\"\r\n\
x-osp-version:v1\r\n\
User-Agent: sdeClient\r\n\
Content-Type: multipart/form-data; boundary=---------------------------7d93b9550d4a\r\n\
Accept: image/gif, image/x-xbitmap, image/jpeg, image/pjpeg, */*\r\n\
Pragma: no-cache\r\n\
Accept-Language: ko\r\n\
User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)\r\n\
Host: www.ospserver.net\r\n\
Content-Length: 1321295\r\n\r\n";

    fn parse(s: &str) -> Result<Option<(RequestHead, usize)>, HttpError> {
        parse_head(s.as_bytes())
    }

    #[test]
    fn email_capture_head() {
        let (head, n) = parse(V6_HEAD).unwrap().unwrap();
        assert_eq!(n, V6_HEAD.len());
        assert_eq!(head.method, Method::Post);
        assert_eq!(head.version, Version::Http10);
        assert_eq!(head.path, "/social/columbus/email");
        assert_eq!(head.query, "DUID=123456789033");
        assert_eq!(head.host.as_deref(), Some("www.ospserver.net"));
        assert_eq!(head.content_length, Some(1_321_295));
        assert_eq!(head.user_agent.as_deref(), Some("sdeClient"));
        assert_eq!(
            head.content_type.as_deref(),
            Some("multipart/form-data; boundary=---------------------------7d93b9550d4a")
        );
    }

    #[test]
    fn table() {
        struct Case {
            name: &'static str,
            input: &'static str,
            expect: Result<Option<(&'static str, Option<&'static str>)>, HttpError>,
        }
        let cases = [
            Case {
                name: "gld check",
                input: "GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\n\r\n",
                expect: Ok(Some(("/", Some("gld.samsungosp.com")))),
            },
            Case {
                name: "bare LF line ends",
                input: "GET / HTTP/1.1\nHost: www.yahoo.co.kr\n\n",
                expect: Ok(Some(("/", Some("www.yahoo.co.kr")))),
            },
            Case {
                name: "absolute form wins over Host",
                input: "POST http://snsgw.samsungmobile.com/facebook/auth HTTP/1.1\r\nHost: other\r\nContent-Length: 0\r\n\r\n",
                expect: Ok(Some(("/facebook/auth", Some("snsgw.samsungmobile.com")))),
            },
            Case {
                name: "absolute form without path",
                input: "GET http://gld.samsungosp.com HTTP/1.1\r\n\r\n",
                expect: Ok(Some(("/", Some("gld.samsungosp.com")))),
            },
            Case {
                name: "host with port and upper case",
                input: "GET / HTTP/1.1\r\nHost: GLD.SamsungOSP.com:80\r\n\r\n",
                expect: Ok(Some(("/", Some("gld.samsungosp.com")))),
            },
            Case {
                name: "no space after colon",
                input: "GET / HTTP/1.1\r\nHost:www.msn.com\r\n\r\n",
                expect: Ok(Some(("/", Some("www.msn.com")))),
            },
            Case {
                name: "partial",
                input: "GET / HTTP/1.1\r\nHost: gld",
                expect: Ok(None),
            },
            Case {
                name: "post without length",
                input: "POST /facebook/auth HTTP/1.1\r\nHost: x\r\n\r\n",
                expect: Err(HttpError::LengthRequired),
            },
            Case {
                name: "chunked put",
                input: "PUT /upload/a/b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                expect: Err(HttpError::LengthRequired),
            },
            Case {
                name: "chunked put with length",
                input: "PUT /upload/a/b HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                expect: Err(HttpError::LengthRequired),
            },
            Case {
                name: "bad length",
                input: "PUT /x HTTP/1.1\r\nContent-Length: 12a\r\n\r\n",
                expect: Err(HttpError::BadContentLength),
            },
            Case {
                name: "negative length",
                input: "PUT /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                expect: Err(HttpError::BadContentLength),
            },
            Case {
                name: "huge length",
                input: "PUT /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                expect: Err(HttpError::BadContentLength),
            },
            Case {
                name: "conflicting lengths",
                input: "PUT /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                expect: Err(HttpError::BadContentLength),
            },
            Case {
                name: "repeated equal lengths",
                input: "PUT /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n",
                expect: Ok(Some(("/x", None))),
            },
            Case {
                name: "garbage",
                input: "\x16\x03\x01\x02\x00\x01\x00\x01\x7f\x03\x03\r\n\r\n",
                expect: Err(HttpError::Malformed),
            },
            Case {
                name: "asterisk target",
                input: "OPTIONS * HTTP/1.1\r\n\r\n",
                expect: Err(HttpError::BadTarget),
            },
            Case {
                name: "HTTP/2 preface",
                input: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                expect: Err(HttpError::Malformed),
            },
        ];
        for c in cases {
            let got = parse(c.input).map(|o| o.map(|(h, _)| (h.path, h.host)));
            let want = c
                .expect
                .map(|o| o.map(|(p, h)| (String::from(p), h.map(String::from))));
            assert_eq!(got, want, "case {}", c.name);
        }
    }

    #[test]
    fn oversize_head_is_rejected() {
        let mut s = String::from("GET / HTTP/1.1\r\n");
        while s.len() < MAX_HEAD_LEN + 10 {
            s.push_str("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(parse(&s), Err(HttpError::HeadTooLarge));
        let mut many = String::from("GET / HTTP/1.1\r\n");
        for _ in 0..=MAX_HEADERS {
            many.push_str("A: b\r\n");
        }
        many.push_str("\r\n");
        assert_eq!(parse(&many), Err(HttpError::HeadTooLarge));
    }

    #[test]
    fn render_gld_answer_exactly() {
        let mut buf = [0u8; 256];
        let n = render(
            Version::Http11,
            &Response {
                status: 200,
                content_type: None,
                headers: &[("Server", "nginx/notreally"), ("ETag", "\"deadbeef\"")],
                body: b"",
            },
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            &buf[..n],
            b"HTTP/1.1 200 OK\r\nServer: nginx/notreally\r\nETag: \"deadbeef\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn render_into_small_buffer_fails_cleanly() {
        let resp = Response {
            status: 200,
            content_type: Some("text/html; charset=utf-8"),
            headers: &[],
            body: b"<Response Status=\"succ\" />",
        };
        let mut big = [0u8; 512];
        let n = render(Version::Http10, &resp, &mut big).unwrap();
        for len in 0..n {
            let mut small: Vec<u8> = alloc::vec![0; len];
            assert_eq!(
                render(Version::Http10, &resp, &mut small),
                Err(HttpError::BufferTooSmall)
            );
        }
        assert!(big[..n].starts_with(b"HTTP/1.0 200 OK\r\n"));
        assert!(big[..n].ends_with(b"\r\n\r\n<Response Status=\"succ\" />"));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_head(&bytes);
        }

        #[test]
        fn prefixes_of_a_head_are_partial(cut in 0usize..V6_HEAD.len()) {
            prop_assert_eq!(parse_head(&V6_HEAD.as_bytes()[..cut]), Ok(None));
        }

        #[test]
        fn render_then_parse_status(status in prop::sample::select(&[200u16, 302, 400, 401, 404, 411, 500][..]),
                                    body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut buf = [0u8; 1024];
            let n = render(Version::Http11, &Response { status, content_type: Some("text/plain"), headers: &[], body: &body }, &mut buf).unwrap();
            let mut headers = [httparse::EMPTY_HEADER; 8];
            let mut resp = httparse::Response::new(&mut headers);
            let head_len = match resp.parse(&buf[..n]).unwrap() { httparse::Status::Complete(h) => h, httparse::Status::Partial => panic!("partial") };
            prop_assert_eq!(resp.code, Some(status));
            prop_assert_eq!(&buf[head_len..n], &body[..]);
        }
    }
}
