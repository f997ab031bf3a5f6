//! One request to the Mastodon server: open the connection (plain TCP, or
//! TLS over it), write, and read the answer with a bounded buffer.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use embassy_time::{Duration, with_timeout};
use embedded_io_async::{ErrorType, Read, Write};
use samsung_core::mastodon::{
    BaseUrl, MAX_RESPONSE_BODY, ResponseHead, TransportErrorKind, decode_chunked,
    parse_response_head,
};

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::semaphore::{GreedySemaphore, Semaphore, SemaphoreReleaser};

use crate::app::App;
use crate::upstream::{Upstream, UpstreamError};

/// Longest wait for one write to the server or for its answer to arrive.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for the connection (and TLS handshake).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Most bytes of a response head.
const MAX_HEAD: usize = 8 * 1024;

/// A failed exchange: what kind, and a reason for the log (never a token).
pub(crate) type LinkError = (TransportErrorKind, String);

/// Upstream connections open at once (camera uploads and the poster
/// together): each may hold a TLS session's ~33 KiB, so the board's RAM
/// bounds them; a further one waits up to [`CONNECT_TIMEOUT`] for a slot.
pub const MAX_UPSTREAM_LINKS: usize = 2;

/// An open connection to the server, holding one of the
/// [`MAX_UPSTREAM_LINKS`] slots.
pub(crate) struct Link<'a, U: Upstream + 'a> {
    stream: Stream<'a, U>,
    _slot: SemaphoreReleaser<'a, GreedySemaphore<CriticalSectionRawMutex>>,
}

enum Stream<'a, U: Upstream + 'a> {
    /// `http://`.
    Plain(U::Conn<'a>),
    /// `https://`.
    #[cfg(feature = "tls")]
    Tls(crate::tls::TlsStream<'a, U::Conn<'a>>),
}

impl<'a, U: Upstream + 'a> Link<'a, U> {
    /// Connects to the server of `url`, through TLS for `https://`.
    pub(crate) async fn open(app: &'a App<U>, url: &'a BaseUrl) -> Result<Self, LinkError> {
        if !app.upstream.is_up() {
            return Err((
                TransportErrorKind::Connect,
                UpstreamError::LinkDown.to_string(),
            ));
        }
        let Ok(Ok(slot)) = with_timeout(CONNECT_TIMEOUT, app.links.acquire(1)).await else {
            return Err((TransportErrorKind::Connect, UpstreamError::Busy.to_string()));
        };
        let conn =
            match with_timeout(CONNECT_TIMEOUT, app.upstream.connect(&url.host, url.port)).await {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    return Err((
                        TransportErrorKind::Connect,
                        format!("{}:{}: {e}", url.host, url.port),
                    ));
                }
                Err(_) => {
                    return Err((
                        TransportErrorKind::Timeout,
                        format!("{}:{}: no connection in time", url.host, url.port),
                    ));
                }
            };
        if !url.tls {
            return Ok(Self {
                stream: Stream::Plain(conn),
                _slot: slot,
            });
        }
        #[cfg(feature = "tls")]
        {
            let Some(tls) = &app.tls else {
                return Err(no_tls());
            };
            match with_timeout(CONNECT_TIMEOUT, tls.connect(conn, &url.host)).await {
                Ok(Ok(s)) => Ok(Self {
                    stream: Stream::Tls(s),
                    _slot: slot,
                }),
                Ok(Err(e)) => Err((TransportErrorKind::Tls, format!("{}: {e}", url.host))),
                Err(_) => Err((
                    TransportErrorKind::Timeout,
                    format!("{}: TLS handshake timed out", url.host),
                )),
            }
        }
        #[cfg(not(feature = "tls"))]
        {
            drop((conn, slot));
            Err(no_tls())
        }
    }

    /// Writes all of `bytes` (bounded by [`IO_TIMEOUT`]).
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let r = match &mut self.stream {
            Stream::Plain(c) => with_timeout(IO_TIMEOUT, write_all(c, bytes)).await,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => with_timeout(IO_TIMEOUT, write_all(s, bytes)).await,
        };
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err((TransportErrorKind::Other, format!("sending: {e}"))),
            Err(_) => Err((
                TransportErrorKind::Timeout,
                String::from("sending timed out"),
            )),
        }
    }

    /// Reads the answer: status, de-chunked body (at most
    /// [`MAX_RESPONSE_BODY`] bytes), `Retry-After`.
    pub(crate) async fn receive(&mut self) -> Result<Answer, LinkError> {
        let r = match &mut self.stream {
            Stream::Plain(c) => with_timeout(IO_TIMEOUT, read_answer(c)).await,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => with_timeout(IO_TIMEOUT, read_answer(s)).await,
        };
        r.unwrap_or_else(|_| {
            Err((
                TransportErrorKind::Timeout,
                String::from("no answer in time"),
            ))
        })
    }
}

#[cfg(not(feature = "tls"))]
fn no_tls() -> LinkError {
    (
        TransportErrorKind::BadUrl,
        String::from("https:// needs TLS, and this build has none (feature tls)"),
    )
}

#[cfg(feature = "tls")]
fn no_tls() -> LinkError {
    (
        TransportErrorKind::BadUrl,
        String::from("https:// needs TLS, and no TLS client was set up (App::with_tls)"),
    )
}

/// A server's answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) retry_after: Option<samsung_core::time::Duration>,
}

async fn write_all<W: Write>(w: &mut W, mut bytes: &[u8]) -> Result<(), String> {
    while !bytes.is_empty() {
        match w.write(bytes).await {
            Ok(0) => return Err(String::from("connection closed")),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(e) => return Err(format!("{:?}", embedded_io_async::Error::kind(&e))),
        }
    }
    w.flush()
        .await
        .map_err(|e| format!("{:?}", embedded_io_async::Error::kind(&e)))
}

async fn read_answer<R: Read + ErrorType>(r: &mut R) -> Result<Answer, LinkError> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 512];
    let mut head: Option<ResponseHead> = None;
    loop {
        if head.is_none() {
            match parse_response_head(&buf) {
                Ok(Some(h)) => head = Some(h),
                Ok(None) if buf.len() > MAX_HEAD => {
                    return Err((
                        TransportErrorKind::BadResponse,
                        String::from("response head too long"),
                    ));
                }
                Ok(None) => {}
                Err(e) => return Err((TransportErrorKind::BadResponse, e.to_string())),
            }
        }
        if let Some(h) = head {
            let body = buf.get(h.head_len..).unwrap_or_default();
            if let Some(len) = h.content_length
                && body.len() as u64 >= len
            {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                return Ok(answer(&h, body.get(..len).unwrap_or(body).to_vec()));
            }
            if h.chunked {
                match decode_chunked(body) {
                    Ok(Some(b)) => return Ok(answer(&h, b)),
                    Ok(None) => {}
                    Err(e) => return Err((TransportErrorKind::BadResponse, e.to_string())),
                }
            }
            if body.len() > MAX_RESPONSE_BODY + 64 * 8 {
                return Err((
                    TransportErrorKind::BadResponse,
                    String::from("response body too long"),
                ));
            }
        }
        let n = match r.read(&mut chunk).await {
            Ok(n) => n,
            Err(e) => {
                return Err((
                    TransportErrorKind::ClosedEarly,
                    format!(
                        "reading the answer: {:?}",
                        embedded_io_async::Error::kind(&e)
                    ),
                ));
            }
        };
        if n == 0 {
            return match head {
                // No length: the body runs to the close.
                Some(h) if h.content_length.is_none() && !h.chunked => Ok(answer(
                    &h,
                    buf.get(h.head_len..).unwrap_or_default().to_vec(),
                )),
                _ => Err((
                    TransportErrorKind::ClosedEarly,
                    String::from("the server closed before its answer was complete"),
                )),
            };
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

fn answer(h: &ResponseHead, body: Vec<u8>) -> Answer {
    Answer {
        status: h.status,
        body,
        retry_after: h.retry_after,
    }
}
