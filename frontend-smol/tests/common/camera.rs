//! A camera over raw TCP: answers checked for V21, request builders.

use super::*;

// ---------------------------------------------------------------------------
// The camera

/// A response as the camera read it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Every byte received until the daemon closed the connection.
    pub raw: Vec<u8>,
    /// Bytes of the first `read()`.
    pub first_read: usize,
    /// Status code (0: no parseable answer).
    pub status: u16,
    /// Header lines (name, value), in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Violations of V21 (single write, complete in the first read,
    /// Content-Length, Connection: close, closed after the answer, …).
    pub v21: Vec<String>,
    /// How long the answer took (from the end of our write).
    pub elapsed: Duration,
}

impl Answer {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the body is the camera's success XML.
    pub fn is_succ(&self) -> bool {
        self.status == 200 && self.body == SUCC
    }

    /// Panics unless V21 holds for this answer.
    pub fn assert_v21(&self) -> &Self {
        assert!(
            self.v21.is_empty(),
            "transport checks (V21) failed: {:?}\nanswer: {}",
            self.v21,
            show(&self.raw)
        );
        self
    }

    /// Panics unless the status is `want`.
    pub fn assert_status(&self, want: u16) -> &Self {
        assert_eq!(
            self.status,
            want,
            "expected status {want}, got answer {}",
            show(&self.raw)
        );
        self
    }

    /// Panics unless this is `<Response Status="succ" />` with 200.
    pub fn assert_succ(&self) -> &Self {
        assert!(
            self.is_succ(),
            "expected 200 + {:?}, got {}",
            String::from_utf8_lossy(SUCC),
            show(&self.raw)
        );
        self
    }

    /// The text between `before` and `after` in the body.
    pub fn capture(&self, before: &str, after: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(before)? + before.len();
        let end = text[start..].find(after)? + start;
        Some(text[start..end].to_string())
    }
}

/// The success body of uploads and e-mails.
pub const SUCC: &[u8] = b"<Response Status=\"succ\" />";

/// A printable excerpt of bytes.
pub fn show(bytes: &[u8]) -> String {
    const MAX: usize = 400;
    let mut s = format!(
        "{:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)])
    );
    if bytes.len() > MAX {
        let _ = write!(s, "… ({} bytes)", bytes.len());
    }
    s
}

/// Head (up to the empty line) of a request, for [`check_answer`].
fn head_of(request: &[u8]) -> &[u8] {
    match find(request, b"\r\n\r\n") {
        Some(i) => &request[..i + 4],
        None => request,
    }
}

/// Position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(super) struct ParsedHead {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) head_len: usize,
}

pub(super) fn parse_head(raw: &[u8]) -> Option<ParsedHead> {
    let end = find(raw, b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(ParsedHead {
        status,
        headers,
        head_len: end + 4,
    })
}

/// A camera on 127.0.0.`n`: every request on a fresh connection, written
/// with one `write`, the answer read as the camera's firmware would.
#[derive(Debug, Clone)]
pub struct Camera {
    /// The daemon.
    pub addr: SocketAddr,
    /// The camera's own address.
    pub source: Ipv4Addr,
}

impl Camera {
    /// A camera at 127.0.0.`n` talking to `addr`.
    pub fn new(addr: SocketAddr, n: u8) -> Camera {
        Camera {
            addr,
            source: Ipv4Addr::new(127, 0, 0, n),
        }
    }

    /// A connection from the camera's address (any port).
    pub fn connect(&self) -> TcpStream {
        use socket2::{Domain, Protocol, SockAddr, Socket, Type};
        let socket =
            Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("a TCP socket");
        socket
            .bind(&SockAddr::from(SocketAddrV4::new(self.source, 0)))
            .unwrap_or_else(|e| panic!("cannot bind to {}: {e}", self.source));
        socket
            .connect_timeout(&SockAddr::from(self.addr), Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("cannot connect to the daemon at {}: {e}", self.addr));
        let stream: TcpStream = socket.into();
        stream
            .set_read_timeout(Some(ANSWER_TIMEOUT))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(ANSWER_TIMEOUT))
            .expect("write timeout");
        stream
    }

    /// Sends `request` with one write and reads the answer.
    pub fn exchange(&self, request: &[u8]) -> Answer {
        let mut s = self.connect();
        let write_error = s.write_all(request).err();
        let sent = Instant::now();
        let mut a = read_answer(&mut s, head_of(request), sent);
        if let Some(e) = write_error {
            a.v21.push(format!("writing the request failed: {e}"));
        }
        a
    }

    /// Sends `request` in pieces of `chunk` bytes with `pause` between them.
    pub fn exchange_split(&self, request: &[u8], chunk: usize, pause: Duration) -> Answer {
        let cuts: Vec<usize> = (0..request.len())
            .step_by(chunk.max(1))
            .chain([request.len()])
            .collect();
        self.exchange_cuts(request, &cuts, pause)
    }

    /// Sends `request[cuts[i]..cuts[i + 1]]` one after another with `pause`
    /// between them (`cuts` ascending, from 0 to the length).
    pub fn exchange_cuts(&self, request: &[u8], cuts: &[usize], pause: Duration) -> Answer {
        let mut s = self.connect();
        s.set_nodelay(true).expect("nodelay");
        let mut write_error = None;
        for w in cuts.windows(2) {
            if let Err(e) = s.write_all(&request[w[0]..w[1]]) {
                write_error = Some(e);
                break;
            }
            thread::sleep(pause);
        }
        let sent = Instant::now();
        let mut a = read_answer(&mut s, head_of(request), sent);
        if let Some(e) = write_error {
            a.v21.push(format!("writing the request failed: {e}"));
        }
        a
    }

    /// [`Camera::exchange`], asserting V21.
    pub fn send(&self, request: &[u8]) -> Answer {
        let a = self.exchange(request);
        a.assert_v21();
        a
    }

    /// Logs in with `body` on `site`; returns the session key.
    pub fn login(&self, site: &str, body: &str) -> String {
        let a = self.send(&post(&format!("/{site}/auth"), body));
        a.assert_status(200);
        a.capture("SessionKey=\"", "\"")
            .unwrap_or_else(|| panic!("no SessionKey in {}", show(&a.raw)))
    }

    /// Announces a photo (V14 shape, album `NX300`); asserts V21 only.
    pub fn announce(&self, site: &str, key: &str, file: &str, content: &str) -> Answer {
        self.send(&post(
            &format!("/{site}/photo"),
            &announce_body(key, file, content, "NX300"),
        ))
    }

    /// Announces a photo and asserts 200 with the right ResourceID.
    pub fn announce_ok(&self, site: &str, key: &str, file: &str, content: &str) {
        let a = self.announce(site, key, file, content);
        a.assert_status(200);
        let want = format!("ResourceID=\"upload/{key}/{file}\"");
        assert!(
            a.text().contains(&want),
            "announce of {file}: expected {want} in {}",
            show(&a.raw)
        );
    }

    /// PUTs `data` as `file` of session `key`.
    pub fn put(&self, key: &str, file: &str, data: &[u8]) -> Answer {
        self.send(&put_request(key, file, "image/jpeg", data))
    }

    /// Login (plain V10 credentials of `user`/`password`), announce and PUT one photo; asserts succ.
    pub fn upload_one(&self, site: &str, file: &str, content: &str, data: &[u8]) -> String {
        let key = self.login(site, &login_plain(CAMERA_USER, "secret"));
        self.announce_ok(site, &key, file, content);
        self.put(&key, file, data).assert_succ();
        key
    }
}

/// Reads the daemon's answer: one read must hold all of it (V21), then the
/// connection must be closed.
pub fn read_answer(s: &mut TcpStream, request_head: &[u8], sent: Instant) -> Answer {
    let mut v21 = Vec::new();
    let mut buf = vec![0u8; 65536];
    let first = match s.read(&mut buf) {
        Ok(n) => n,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            v21.push(format!("no answer within {ANSWER_TIMEOUT:?}"));
            0
        }
        Err(e) => {
            v21.push(format!("reading the answer failed: {e}"));
            0
        }
    };
    let elapsed = sent.elapsed();
    let mut raw = buf[..first].to_vec();
    let complete_in_first = parse_head(&raw).and_then(|h| {
        let len: usize = h
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))?
            .1
            .parse()
            .ok()?;
        Some(raw.len() >= h.head_len + len)
    });
    // Whatever else comes, until EOF.
    let mut closed = first == 0;
    if first > 0 {
        let deadline = Instant::now() + Duration::from_secs(5);
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        loop {
            match s.read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                    closed = true;
                    break;
                }
                Err(_) => break,
            }
            if Instant::now() > deadline {
                break;
            }
        }
    }
    let parsed = parse_head(&raw);
    if first > 0 {
        match complete_in_first {
            Some(true) => {}
            Some(false) => v21.push(format!(
                "the first read held {first} of {} answer bytes (not one write/segment)",
                raw.len()
            )),
            None => v21.push(format!(
                "the first read ({first} bytes) holds no complete head with Content-Length: {}",
                show(&raw[..first])
            )),
        }
        v21.extend(check_answer(request_head, &raw));
        if !closed {
            v21.push("the daemon did not close the connection after the answer".into());
        }
    }
    let (status, headers, body) = match parsed {
        Some(h) => (h.status, h.headers, raw[h.head_len..].to_vec()),
        None => (0, Vec::new(), Vec::new()),
    };
    Answer {
        raw,
        first_read: first,
        status,
        headers,
        body,
        v21,
        elapsed,
    }
}

// ---------------------------------------------------------------------------
// Requests

/// The social API host.
pub const SNSGW: &str = "snsgw.samsungmobile.com";

/// A POST to the social gateway with a computed Content-Length.
pub fn post(path: &str, body: &str) -> Vec<u8> {
    post_bytes(path, body.as_bytes())
}

/// [`post`] with a binary body.
pub fn post_bytes(path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: {SNSGW}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A GET with `Host: host`.
pub fn get(host: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes()
}

/// The V7 login body (compact camera, encrypted `x` / `z`).
pub const LOGIN_V7: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"58a4c8161c8aa7b1287bc4934a2d89fa952da1cddc5b8f3d84d340123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789a\">\n<UserName Value=\"uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D\"/>\n<Password Value=\"ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n";

/// The V8 login body (NX300 with the garbage line, encrypted `f` / `p`).
#[allow(unused_imports)]
pub use samsung_core::testing::V8_BODY as LOGIN_V8;

/// The V7 CryptSessionKey (key‖IV in base64).
pub const V7_CSK: &str = "//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=";

/// A V10 (HMX-QF30) login body with plain, URL-encoded credentials.
pub fn login_plain(user: &str, password: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\">\n<UserName Value=\"{}\"/>\n<Password Value=\"{}\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n",
        url_encode(user),
        url_encode(password)
    )
}

/// A V7-style login body with `user`/`password` encrypted under the V7 key.
pub fn login_encrypted(user: &str, password: &str) -> String {
    let k = samsung_core::crypto::session_key_from_b64(V7_CSK).expect("the V7 key decodes");
    let u = samsung_core::crypto::encrypt_value(user, &k);
    let p = samsung_core::crypto::encrypt_value(password, &k);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"00\">\n<UserName Value=\"{u}\"/>\n<Password Value=\"{p}\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"{V7_CSK}\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n"
    )
}

/// Percent-encodes everything but unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A photo announce (V14 shape).
pub fn announce_body(key: &str, file: &str, content: &str, album: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"upload\" Timeout=\"3000\" SessionKey=\"{key}\">\n<Photo>\n<Album Name=\"{album}\"/>\n<File Name=\"{file}\"/>\n<Content>{content}</Content>\n</Photo>\n</Request>\n"
    )
}

/// The head of a PUT of `len` bytes (V15 shape).
pub fn put_head(key: &str, file: &str, content_type: &str, len: usize) -> Vec<u8> {
    format!(
        "PUT /upload/{key}/{file} HTTP/1.1\r\nHost: {SNSGW}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\r\n"
    )
    .into_bytes()
}

/// A whole PUT request.
pub fn put_request(key: &str, file: &str, content_type: &str, data: &[u8]) -> Vec<u8> {
    let mut r = put_head(key, file, content_type, data.len());
    r.extend_from_slice(data);
    r
}

/// The cameras' multipart boundary (27 dashes + 7d93b9550d4a).
#[allow(unused_imports)]
pub use samsung_core::testing::BOUNDARY;

/// One e-mail attachment.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    /// `fileName`.
    pub name: &'a str,
    /// The part's `content-Type` (written with the cameras' trailing `;`).
    pub content_type: &'a str,
    /// Its bytes.
    pub data: &'a [u8],
}

/// The body of a V6 e-mail (the cameras' quirks: `fileName`, lowercase part
/// headers, trailing `;` on types, no closing `--`), lines ending in `eol`.
pub fn email_body(
    sender: &str,
    recipients: &[&str],
    subject: &str,
    text: &str,
    parts: &[Part<'_>],
    eol: &str,
) -> Vec<u8> {
    let receivers: String = recipients
        .iter()
        .map(|r| format!("<receiver>{r}</receiver> "))
        .collect();
    let mut b = Vec::new();
    let line = |b: &mut Vec<u8>, s: &str| {
        b.extend_from_slice(s.as_bytes());
        b.extend_from_slice(eol.as_bytes());
    };
    line(&mut b, &format!("--{BOUNDARY}"));
    line(
        &mut b,
        "content-disposition: form-data; name=\"message\"; fileName=\"sample.txt\"",
    );
    line(&mut b, "content-Type: multipart/form-data;");
    line(&mut b, "");
    line(&mut b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    line(
        &mut b,
        &format!(
            "<email><sender>{sender}</sender><receiverList>{receivers}</receiverList><title><![CDATA[{subject}]]></title>"
        ),
    );
    line(
        &mut b,
        &format!("<body><![CDATA[{text}\\r\\nlanguage_sh100_utf8]]></body></email>"),
    );
    for p in parts {
        line(&mut b, &format!("--{BOUNDARY}"));
        line(
            &mut b,
            &format!(
                "content-disposition: form-data; name=\"binary\"; fileName=\"{}\"",
                p.name
            ),
        );
        line(&mut b, &format!("content-Type: {};", p.content_type));
        line(&mut b, "");
        b.extend_from_slice(p.data);
        b.extend_from_slice(eol.as_bytes());
    }
    line(&mut b, &format!("--{BOUNDARY}"));
    b
}

/// A V6 e-mail request (HTTP/1.0, the NX300 head) around `body`.
pub fn email_request(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST /social/columbus/email?DUID=123456789033 HTTP/1.0\r\n\
         Authorization:OAuth oauth_consumer_key=\"censored\",oauth_nonce=\"censored\",oauth_signature=\"censored=\",oauth_signature_method=\"HmacSHA1\",oauth_timestamp=\"9717886885\",oauth_version=\"1.0\"\r\n\
         x-osp-version:v1\r\n\
         User-Agent: sdeClient\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Pragma: no-cache\r\n\
         Accept-Language: ko\r\n\
         User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)\r\n\
         Host: www.ospserver.net\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Deterministic pseudo-random bytes (content checks of big uploads).
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}
