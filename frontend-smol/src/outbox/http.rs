//! Sends one request of a Mastodon post job and reads its answer: a fresh
//! connection per request (TCP, or TLS with the webpki roots for
//! `https://`), the head and body bytes the core rendered with the media
//! file streamed from disk between them, the answer read with the core's
//! parsers and bounded by [`MAX_RESPONSE_BODY`].

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use samsung_core::mastodon::{
    BaseUrl, MAX_RESPONSE_BODY, Request, TransportErrorKind, decode_chunked, parse_response_head,
};
use samsung_host::outbox::mastodon::{Answer, TransportError as Error};

/// Longest response head read.
const MAX_HEAD: usize = 16 * 1024;
/// Longest chunked body read before decoding (the chunk framing adds to
/// the decoded length).
const MAX_CHUNKED: usize = 2 * MAX_RESPONSE_BODY + 4096;

/// An I/O error while talking to the server.
fn io_error(what: &str, e: &io::Error) -> Error {
    let kind = match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => TransportErrorKind::ClosedEarly,
        _ => TransportErrorKind::Other,
    };
    Error::new(kind, format!("{what}: {e}"))
}

/// Sends `req` to `server`; `file` is the media file its body streams, if
/// any. Every connect, read and write may stall for `timeout` at most.
pub(crate) fn exchange(
    server: &BaseUrl,
    req: &Request,
    file: Option<&Path>,
    timeout: Duration,
) -> Result<Answer, Error> {
    let file = match (req.body.file, file) {
        (Some((_, len)), Some(path)) => {
            let f = File::open(path).map_err(|e| {
                Error::new(TransportErrorKind::File, format!("{}: {e}", path.display()))
            })?;
            Some((f, len, path))
        }
        _ => None,
    };
    let mut stream = connect(server, timeout)?;
    if let Err(e) = send(&mut stream, req, file) {
        // A server refusing an upload (413, 401) may answer and close
        // before it has read everything: its answer says more than EPIPE.
        return read_answer(&mut stream).map_err(|_| e);
    }
    read_answer(&mut stream)
}

/// A connection, plain or TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

fn connect(server: &BaseUrl, timeout: Duration) -> Result<Stream, Error> {
    let where_ = format!("connecting to {}", server.authority);
    let addrs = (server.host.as_str(), server.port)
        .to_socket_addrs()
        .map_err(|e| Error::new(TransportErrorKind::Connect, format!("{where_}: {e}")))?;
    let mut last = None;
    let mut tcp = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = tcp.ok_or_else(|| {
        let e = last.unwrap_or_else(|| io::Error::other("no address"));
        let kind = if e.kind() == io::ErrorKind::TimedOut {
            TransportErrorKind::Timeout
        } else {
            TransportErrorKind::Connect
        };
        Error::new(kind, format!("{where_}: {e}"))
    })?;
    for r in [
        tcp.set_read_timeout(Some(timeout)),
        tcp.set_write_timeout(Some(timeout)),
        tcp.set_nodelay(true),
    ] {
        r.map_err(|e| io_error(&where_, &e))?;
    }
    if !server.tls {
        return Ok(Stream::Plain(tcp));
    }
    let name = ServerName::try_from(server.host.clone())
        .map_err(|e| Error::new(TransportErrorKind::BadUrl, format!("{where_}: {e}")))?;
    let config = tls_config().map_err(|e| Error::new(TransportErrorKind::Tls, e))?;
    let mut conn = ClientConnection::new(config, name)
        .map_err(|e| Error::new(TransportErrorKind::Tls, format!("{where_}: TLS: {e}")))?;
    let mut tcp = tcp;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(|e| {
            // Nothing of the request was sent: a handshake that did not
            // time out failed as TLS, whatever the socket said.
            let mut err = io_error(&format!("{where_}: TLS"), &e);
            if err.kind != TransportErrorKind::Timeout {
                err.kind = TransportErrorKind::Tls;
            }
            err
        })?;
    }
    Ok(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
}

/// One client configuration for the process: the webpki roots, ring.
fn tls_config() -> Result<Arc<ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
                .map_err(|e| format!("TLS set-up: {e}"))
        })
        .clone()
}

fn send(stream: &mut Stream, req: &Request, file: Option<(File, u64, &Path)>) -> Result<(), Error> {
    let sending = |e: io::Error| io_error("sending the request", &e);
    let mut w = BufWriter::with_capacity(64 * 1024, stream);
    w.write_all(&req.head).map_err(sending)?;
    w.write_all(&req.body.prefix).map_err(sending)?;
    if let Some((f, len, path)) = file {
        let copied = io::copy(&mut f.take(len), &mut w).map_err(|e| {
            // Reading our own file or writing to the server: io::copy
            // does not say which, the file's errors are rare.
            sending(e)
        })?;
        if copied != len {
            return Err(Error::new(
                TransportErrorKind::File,
                format!("{}: shorter than when the job started", path.display()),
            ));
        }
    }
    w.write_all(&req.body.suffix).map_err(sending)?;
    w.flush().map_err(sending)
}

fn read_answer(stream: &mut Stream) -> Result<Answer, Error> {
    let reading = |e: &io::Error| io_error("reading the answer", e);
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let mut eof = false;
    // The head; interim 1xx answers are skipped.
    let head = loop {
        let parsed = parse_response_head(&buf).map_err(|e| {
            Error::new(
                TransportErrorKind::BadResponse,
                format!("reading the answer: {e}"),
            )
        })?;
        match parsed {
            Some(h) if (100..200).contains(&h.status) && h.status != 101 => {
                buf.drain(..h.head_len);
                continue;
            }
            Some(h) => break h,
            None if eof => {
                return Err(Error::new(
                    TransportErrorKind::ClosedEarly,
                    "reading the answer: the connection closed before the answer",
                ));
            }
            None if buf.len() > MAX_HEAD => {
                return Err(Error::new(
                    TransportErrorKind::BadResponse,
                    "reading the answer: the answer's head is too long",
                ));
            }
            None => {}
        }
        match read_some(stream, &mut chunk) {
            Ok(0) => eof = true,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(reading(&e)),
        }
    };
    let mut body = buf.split_off(head.head_len);
    let too_long = || {
        Error::new(
            TransportErrorKind::BadResponse,
            format!("reading the answer: longer than {MAX_RESPONSE_BODY} bytes"),
        )
    };
    let limit = match (head.chunked, head.content_length) {
        (true, _) => MAX_CHUNKED,
        (false, Some(n)) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > MAX_RESPONSE_BODY {
                return Err(too_long());
            }
            n
        }
        (false, None) => MAX_RESPONSE_BODY,
    };
    loop {
        if head.chunked {
            match decode_chunked(&body) {
                Ok(Some(decoded)) => {
                    body = decoded;
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(Error::new(
                        TransportErrorKind::BadResponse,
                        format!("reading the answer: {e}"),
                    ));
                }
            }
        } else if head.content_length.is_some() && body.len() >= limit {
            body.truncate(limit);
            break;
        }
        if body.len() > limit {
            return Err(too_long());
        }
        match read_some(stream, &mut chunk) {
            Ok(0) if head.content_length.is_none() && !head.chunked => break,
            Ok(0) => {
                return Err(Error::new(
                    TransportErrorKind::ClosedEarly,
                    "reading the answer: the connection closed in the middle of it",
                ));
            }
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(reading(&e)),
        }
    }
    Ok(Answer {
        status: head.status,
        body,
        retry_after: head.retry_after,
    })
}

/// A read where a TLS peer closing without `close_notify` is an end, not
/// an error: the framing (length, chunks) tells whether the answer is whole.
fn read_some(stream: &mut Stream, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match stream.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use samsung_core::crypto::Secret;
    use samsung_core::mastodon::{RequestBody, instance_request};
    use std::net::TcpListener;

    /// A server that reads the request head, then answers `answer` and closes.
    fn serve(answer: &'static [u8]) -> (BaseUrl, std::thread::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut got = Vec::new();
            let mut b = [0u8; 1024];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut b).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&b[..n]);
            }
            s.write_all(answer).unwrap();
            got
        });
        (
            BaseUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
            t,
        )
    }

    fn get(server: &BaseUrl) -> Request {
        let t = Secret::new(String::new());
        Request {
            method: "GET",
            path: "/api/v2/instance".into(),
            head: instance_request(&server.endpoint(&t)),
            body: RequestBody::default(),
        }
    }

    /// The answer as (status, body), or how it failed.
    type Expected = Result<(u16, &'static [u8]), TransportErrorKind>;

    #[test]
    fn framings() {
        let cases: &[(&[u8], Expected)] = &[
            (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", Ok((200, b"{}"))),
            (
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nRetry-After: 3\r\nContent-Length: 2\r\n\r\n{}",
                Ok((202, b"{}")),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                Ok((200, b"{}")),
            ),
            (b"HTTP/1.0 503 Busy\r\n\r\nbusy", Ok((503, b"busy"))),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}",
                Err(TransportErrorKind::ClosedEarly),
            ),
            (b"HTTP/1.1 200 OK\r\nContent-Le", Err(TransportErrorKind::ClosedEarly)),
            (b"", Err(TransportErrorKind::ClosedEarly)),
            (b"SSH-2.0-x\r\n\r\n", Err(TransportErrorKind::BadResponse)),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n",
                Err(TransportErrorKind::BadResponse),
            ),
        ];
        for (answer, expect) in cases {
            let (server, t) = serve(answer);
            let got = exchange(&server, &get(&server), None, Duration::from_secs(5));
            let head = t.join().unwrap();
            assert!(head.starts_with(b"GET /api/v2/instance HTTP/1.1\r\nHost: 127.0.0.1:"));
            match (got, expect) {
                (Ok(a), Ok((status, body))) => {
                    assert_eq!((a.status, a.body.as_slice()), (*status, *body));
                }
                (Err(e), Err(kind)) => assert_eq!(e.kind, *kind, "{}", e.detail),
                (got, _) => panic!("{:?}: {got:?}", String::from_utf8_lossy(answer)),
            }
        }
    }

    #[test]
    fn https_to_a_server_without_tls_fails_as_tls() {
        // A plain HTTP server answers whatever arrives first.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = BaseUrl::parse(&format!("https://{}", l.local_addr().unwrap())).unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut b = [0u8; 1024];
            let n = s.read(&mut b).unwrap();
            s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            b[..n].to_vec()
        });
        let e = exchange(&server, &get(&server), None, Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Tls, "{}", e.detail);
        // It got a TLS handshake record, not the request.
        assert_eq!(t.join().unwrap().first(), Some(&0x16));
    }

    #[test]
    fn connection_refused_and_a_missing_file() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = BaseUrl::parse(&format!("http://{}", l.local_addr().unwrap())).unwrap();
        drop(l);
        let e = exchange(&server, &get(&server), None, Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Connect, "{}", e.detail);
        let mut req = get(&server);
        req.body.file = Some((0, 3));
        let e = exchange(
            &server,
            &req,
            Some(Path::new("/nonexistent/media-0")),
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::File);
        assert!(
            e.detail.starts_with("/nonexistent/media-0: "),
            "{}",
            e.detail
        );
    }
}
