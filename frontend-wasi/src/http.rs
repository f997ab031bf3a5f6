//! The Mastodon job driver's transport over wasi:http outgoing requests:
//! the runtime makes the connection (and the TLS for `https://`), so the
//! component carries no TLS stack. The core renders each request as raw
//! HTTP/1.1 bytes; here they become a wasi:http request (method, URL,
//! headers), the media file is streamed from disk, and the answer is read
//! up to the core's response bound.
//!
//! Straight on the wasi:http types rather than wstd's `Client`: that one
//! fails a request whose body stream the runtime closed once the answer
//! had come (a GET's empty body, a server that answers early), even though
//! the answer is there.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use samsung_core::mastodon::{BaseUrl, MAX_RESPONSE_BODY, Request, TransportErrorKind};
use samsung_core::time::Duration as CoreDuration;
use samsung_host::outbox::mastodon::{Answer, MastodonTransport, TransportError};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wstd::io::AsyncOutputStream;
use wstd::runtime::AsyncPollable;

use crate::net::Input;

/// Headers wasi:http refuses from the guest (the runtime sets them).
const FORBIDDEN: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// Size of the pieces a media file is sent in.
const CHUNK: usize = 64 * 1024;

/// wasi:http with the outbox's timeout for connecting and for each wait on
/// the answer.
#[derive(Debug)]
pub struct WasiHttp {
    timeout: Duration,
}

impl WasiHttp {
    /// A transport whose connect and read waits end after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }

    fn options(&self) -> RequestOptions {
        let options = RequestOptions::new();
        let ns = u64::try_from(self.timeout.as_nanos()).unwrap_or(u64::MAX);
        // A runtime that does not support one keeps its own default.
        let _ = options.set_connect_timeout(Some(ns));
        let _ = options.set_first_byte_timeout(Some(ns));
        let _ = options.set_between_bytes_timeout(Some(ns));
        options
    }
}

impl MastodonTransport for WasiHttp {
    async fn exchange(
        &mut self,
        server: &BaseUrl,
        req: &Request,
        file: Option<&Path>,
    ) -> Result<Answer, TransportError> {
        let media = match (req.body.file, file) {
            (None, _) => None,
            (Some((_, len)), Some(path)) => Some((open(path)?, len)),
            (Some(_), None) => {
                return Err(TransportError::new(
                    TransportErrorKind::File,
                    "the request names no media file",
                ));
            }
        };
        let (request, body) = build(server, req)?;
        let answer = outgoing_handler::handle(request, Some(self.options())).map_err(error)?;
        // The body first (the server reads it before it answers). A write
        // that fails because the runtime closed the stream is not the
        // outcome: the answer (or the error) says what happened.
        let sent = send_body(body, req, media).await;
        AsyncPollable::new(answer.subscribe()).wait_for().await;
        let response = match answer.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(error(code)),
            _ => {
                return Err(sent.err().unwrap_or_else(|| {
                    TransportError::new(TransportErrorKind::Other, "wasi:http gave no answer")
                }));
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .first()
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(CoreDuration::from_secs);
        let body = response.consume().map_err(|()| closed_early())?;
        let bytes = read_bounded(&body).await;
        // A child resource before its parent.
        drop(body);
        drop(response);
        Ok(Answer {
            status,
            body: bytes?,
            retry_after,
        })
    }

    async fn sleep(&mut self, d: Duration) -> bool {
        wstd::task::sleep(d.into()).await;
        // WASI 0.2 delivers no shutdown signal: a wait is never cut short.
        true
    }
}

fn open(path: &Path) -> Result<File, TransportError> {
    File::open(path).map_err(|e| {
        TransportError::new(
            TransportErrorKind::File,
            format!("media {}: {e}", path.display()),
        )
    })
}

/// The core's raw request head as a wasi:http request.
fn build(
    server: &BaseUrl,
    req: &Request,
) -> Result<(OutgoingRequest, OutgoingBody), TransportError> {
    // Messages say nothing about header values: the head holds the token.
    let bad = |what: &str| TransportError::new(TransportErrorKind::Other, what.to_string());
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut head = httparse::Request::new(&mut headers);
    match head.parse(&req.head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(bad("the core rendered a request head httparse cannot read")),
    }
    let (Some(method), Some(path)) = (head.method, head.path) else {
        return Err(bad("request line without method or path"));
    };
    let fields = Fields::new();
    for h in head.headers.iter() {
        if !FORBIDDEN.iter().any(|f| h.name.eq_ignore_ascii_case(f)) {
            fields
                .append(h.name, h.value)
                .map_err(|_| bad(&format!("wasi:http refuses the header {}", h.name)))?;
        }
    }
    let request = OutgoingRequest::new(fields);
    let method = match method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        other => Method::Other(other.to_string()),
    };
    let scheme = if server.tls {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let set = request.set_method(&method).is_ok()
        && request.set_scheme(Some(&scheme)).is_ok()
        && request.set_authority(Some(&server.authority)).is_ok()
        && request.set_path_with_query(Some(path)).is_ok();
    if !set {
        return Err(TransportError::new(
            TransportErrorKind::BadUrl,
            format!(
                "wasi:http refuses {}://{}",
                if server.tls { "https" } else { "http" },
                server.authority
            ),
        ));
    }
    let body = request
        .body()
        .map_err(|()| bad("wasi:http gave no request body"))?;
    Ok((request, body))
}

/// `prefix`, the media file's first `len` bytes (read in chunks: memory
/// stays at one chunk whatever the file's size), `suffix`; then finishes
/// the body.
async fn send_body(
    body: OutgoingBody,
    req: &Request,
    media: Option<(File, u64)>,
) -> Result<(), TransportError> {
    let stream = body.write().map_err(|()| closed_early())?;
    let out = AsyncOutputStream::new(stream);
    let written = async {
        write(&out, &req.body.prefix).await?;
        if let Some((mut file, mut left)) = media {
            let mut chunk = vec![0u8; CHUNK];
            while left > 0 {
                let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                let n = file.read(&mut chunk[..want]).map_err(|e| {
                    TransportError::new(TransportErrorKind::File, format!("media file: {e}"))
                })?;
                if n == 0 {
                    return Err(TransportError::new(
                        TransportErrorKind::File,
                        "the media file is shorter than when it was queued",
                    ));
                }
                write(&out, &chunk[..n]).await?;
                left -= n as u64;
            }
        }
        write(&out, &req.body.suffix).await
    }
    .await;
    drop(out);
    written?;
    OutgoingBody::finish(body, None).map_err(error)
}

async fn write(out: &AsyncOutputStream, bytes: &[u8]) -> Result<(), TransportError> {
    if bytes.is_empty() {
        return Ok(());
    }
    out.write_all(bytes).await.map_err(|_| closed_early())
}

/// The answer's body, at most the core's bound.
async fn read_bounded(body: &IncomingBody) -> Result<Vec<u8>, TransportError> {
    let stream = body.stream().map_err(|()| closed_early())?;
    let input = Input::new(stream);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = input.read(&mut buf).await.map_err(|e| {
            TransportError::new(
                TransportErrorKind::ClosedEarly,
                format!("reading the answer: {e}"),
            )
        })?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > MAX_RESPONSE_BODY {
            return Err(TransportError::new(
                TransportErrorKind::BadResponse,
                format!("an answer longer than {MAX_RESPONSE_BODY} bytes"),
            ));
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn closed_early() -> TransportError {
    TransportError::new(
        TransportErrorKind::ClosedEarly,
        "the connection closed before the exchange was complete",
    )
}

/// A failed exchange, classified for the core's retry policy.
fn error(code: ErrorCode) -> TransportError {
    let kind = match code {
        ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::HttpRequestDenied => TransportErrorKind::Connect,
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout => TransportErrorKind::Timeout,
        ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => TransportErrorKind::Tls,
        ErrorCode::ConnectionTerminated | ErrorCode::HttpResponseIncomplete => {
            TransportErrorKind::ClosedEarly
        }
        ErrorCode::HttpRequestUriInvalid => TransportErrorKind::BadUrl,
        ErrorCode::HttpProtocolError
        | ErrorCode::HttpResponseHeaderSectionSize(_)
        | ErrorCode::HttpResponseHeaderSize(_)
        | ErrorCode::HttpResponseBodySize(_)
        | ErrorCode::HttpResponseContentCoding(_) => TransportErrorKind::BadResponse,
        _ => TransportErrorKind::Other,
    };
    let detail = if matches!(code, ErrorCode::HttpRequestDenied) {
        String::from("the runtime denies outbound HTTP (wasi:http); the job stays queued")
    } else {
        format!("wasi:http: {code:?}")
    };
    TransportError::new(kind, detail)
}
