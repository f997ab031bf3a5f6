//! A simulated frontend for tests and fuzz targets: drives [`Connection`]s
//! and a [`Bridge`] with a simulated clock and in-memory storage; no sockets.
//!
//! Not a stable API: compiled for this crate's tests and behind the private
//! `_fuzz` feature for the fuzz targets.
#![allow(missing_docs)]

pub mod multipart_events;
pub mod xml_oracle;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use crate::ClientAddr;
use crate::conn::{Attachment, Connection, Event, MIN_TRANSMIT_BUF, RequestKind, RequestSummary};
use crate::crypto::Secret;
use crate::route::{Action, ActionKind, Routes};
use crate::sns::{Bridge, BridgeConfig, Email, TransferId, Upload};
use crate::time::Instant;

pub const V7_BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"58a4c8161c8aa7b1287bc4934a2d89fa952da1cddc5b8f3d84d34\">\n<UserName Value=\"uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D\"/>\n<Password Value=\"ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n";

pub const V8_BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"844e7f0fadf4ba1cf5b6de9edb06ac9a448c0d3031b73db65a308cecb570428a44dea69bddd94403829e5c06efee9a4d555590f75a8c1313c3b935a0a03684d463733b30d3a34fe11b0da9d7f230366221ceec509419d89fd9b0cc36adc7258fbc904b497173d1f154202727c402b2a25d58dd0ecc6d576294880226cfb46151\">\n<UserName Value=\"7xKPwb19QdFKzsjsrQx62g%3D%3D\"/>\n<Password Value=\"U%2BK0X1QnWUv4tkvrrtQ0aQ%3D%3D\"/>\n<PersistKey Use=\"true\"/>\n4p4uaaq422af3\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y=\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n";

pub const BOUNDARY: &str = "---------------------------7d93b9550d4a";

/// What the simulated frontend saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub response: Vec<u8>,
    pub uploads: Vec<(alloc::boxed::Box<Upload>, Vec<u8>)>,
    pub attachments: Vec<(Attachment, Vec<u8>)>,
    pub emails: Vec<alloc::boxed::Box<Email>>,
    pub aborted: Vec<TransferId>,
    /// Bytes of a served download (streamed after the head).
    pub download: Option<Vec<u8>>,
    /// The connection asked for the sessions to be saved before its answer.
    pub save_sessions: bool,
    /// The connection's record of the request, for the log line.
    pub summary: Option<RequestSummary>,
}

impl Exchange {
    pub fn status(&self) -> u16 {
        let s = core::str::from_utf8(self.response.get(9..12).unwrap_or(b"")).unwrap_or("");
        s.parse().unwrap_or(0)
    }
    pub fn body(&self) -> &str {
        let text = core::str::from_utf8(&self.response).unwrap_or("");
        text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<String> {
        let text = core::str::from_utf8(&self.response).ok()?;
        let head = text.split_once("\r\n\r\n")?.0;
        head.lines()
            .filter_map(|l| l.split_once(": "))
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_string())
    }
}

#[derive(Debug)]
pub struct Sim {
    pub bridge: Bridge,
    pub now: Instant,
    pub client: ClientAddr,
    /// Refuse to store (simulates a full disk).
    pub fail_store: bool,
    /// Files served when downloads are enabled (relative path → bytes).
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Sim {
    pub fn new(config: BridgeConfig) -> Self {
        Self {
            bridge: Bridge::new(config, [42; 32]),
            now: Instant::from_millis(1_735_689_600_000),
            client: ClientAddr::from_ipv4([10, 42, 0, 2]),
            fail_store: false,
            files: BTreeMap::new(),
        }
    }

    /// Sends `bytes` split into pieces at the given cut points, then EOF
    /// only if `eof` (a camera normally waits for the answer).
    pub fn exchange_split(&mut self, bytes: &[u8], cuts: &[usize], eof: bool) -> Exchange {
        let mut conn = Connection::new(self.client, self.now);
        let revision = self.bridge.sessions_revision();
        let mut out = Exchange::default();
        let mut open: BTreeMap<TransferId, usize> = BTreeMap::new();
        let mut pieces = Vec::new();
        let mut last = 0;
        let mut sorted: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
        sorted.sort_unstable();
        for c in sorted {
            pieces.push(&bytes[last..c]);
            last = c;
        }
        pieces.push(&bytes[last..]);
        for piece in pieces {
            let mut off = 0;
            let mut guard = 0;
            loop {
                guard += 1;
                assert!(guard < 1_000_000, "handle_input makes no progress");
                let (n, ev) = conn.handle_input(&mut self.bridge, self.now, &piece[off..]);
                let ev = ev.map(OwnedEvent::from);
                off += n;
                assert!(off <= piece.len());
                let had = ev.is_some();
                if let Some(ev) = ev {
                    self.apply(&mut conn, ev, &mut out, &mut open);
                }
                if !had && off == piece.len() {
                    break;
                }
            }
            while let Some(ev) = conn.poll_event() {
                self.apply(&mut conn, OwnedEvent::Event(ev), &mut out, &mut open);
            }
        }
        if eof {
            conn.handle_eof(&mut self.bridge, self.now);
            while let Some(ev) = conn.poll_event() {
                self.apply(&mut conn, OwnedEvent::Event(ev), &mut out, &mut open);
            }
        }
        let mut buf = vec![0u8; crate::conn::DOWNLOAD_TRANSMIT_BUF];
        let limit = if self.bridge.config().serve_downloads {
            buf.len()
        } else {
            MIN_TRANSMIT_BUF
        };
        out.save_sessions = conn.poll_save_sessions();
        if let Some(n) = conn.poll_transmit(&mut buf[..limit]) {
            out.response = buf[..n].to_vec();
            assert!(conn.is_closed());
            if let Some(len) = conn.body_follows() {
                let data = out.download.clone().unwrap_or_default();
                assert_eq!(len, data.len() as u64);
                out.response.extend_from_slice(&data);
            }
        }
        if conn.is_closed() {
            // Every change of the session table is saved before the answer
            // (or, without one, when the connection ends), and only once.
            let changed = self.bridge.sessions_revision() != revision;
            assert_eq!(out.save_sessions, changed, "sessions changed: {changed}");
            assert!(!conn.poll_save_sessions(), "asked to save twice");
        }
        out.summary = conn.summary().cloned();
        out
    }

    pub fn exchange(&mut self, bytes: &[u8]) -> Exchange {
        self.exchange_split(bytes, &[], false)
    }

    fn apply(
        &mut self,
        conn: &mut Connection,
        ev: OwnedEvent,
        out: &mut Exchange,
        open: &mut BTreeMap<TransferId, usize>,
    ) {
        let ev = match ev {
            OwnedEvent::Data(transfer, data) => {
                let slot = *open.get(&transfer).expect("data for an open transfer");
                if slot > usize::MAX / 2 {
                    out.attachments[usize::MAX - slot]
                        .1
                        .extend_from_slice(&data);
                } else {
                    out.uploads[slot].1.extend_from_slice(&data);
                }
                return;
            }
            OwnedEvent::Event(ev) => ev,
        };
        match ev {
            Event::UploadStart(u) => {
                open.insert(u.transfer, out.uploads.len());
                out.uploads.push((u, Vec::new()));
            }
            Event::AttachmentStart(a) => {
                open.insert(a.transfer, usize::MAX - out.attachments.len());
                out.attachments.push((a, Vec::new()));
            }
            Event::Data { .. } => unreachable!("data is converted above"),
            Event::AttachmentEnd { .. } => {}
            Event::UploadComplete { transfer } => {
                conn.handle_stored(&mut self.bridge, self.now, transfer, !self.fail_store);
            }
            Event::EmailComplete(email) => {
                let t = email.transfer;
                out.emails.push(email);
                conn.handle_stored(&mut self.bridge, self.now, t, !self.fail_store);
            }
            Event::Download { path } => {
                let answer = if path.is_empty() || path.ends_with('/') {
                    let entries = self
                        .files
                        .iter()
                        .filter_map(|(name, data)| {
                            let rest = name.strip_prefix(path.as_str())?;
                            Some(crate::conn::ListingEntry {
                                name: rest.to_string(),
                                is_dir: false,
                                len: data.len() as u64,
                            })
                        })
                        .collect();
                    crate::conn::DownloadAnswer::Listing(entries)
                } else if let Some(data) = self.files.get(&path) {
                    out.download = Some(data.clone());
                    crate::conn::DownloadAnswer::File {
                        len: data.len() as u64,
                        content_type: "image/jpeg",
                    }
                } else {
                    crate::conn::DownloadAnswer::NotFound
                };
                conn.handle_download(answer);
            }
            Event::Aborted { transfer, .. } => {
                out.aborted.push(transfer);
                out.uploads.retain(|(u, _)| u.transfer != transfer);
                out.attachments.retain(|(a, _)| a.transfer != transfer);
            }
        }
    }

    pub fn post(&mut self, path: &str, body: &str) -> Exchange {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.exchange(req.as_bytes())
    }

    pub fn login(&mut self, body: &str) -> String {
        let out = self.post("/facebook/auth", body);
        assert_eq!(out.status(), 200, "{}", out.body());
        let body = out.body();
        let start = body.find("SessionKey=\"").expect("key") + 12;
        body[start..start + 32].to_string()
    }

    pub fn announce(&mut self, site: &str, key: &str, file: &str, content: &str) -> Exchange {
        let body = announce_body(key, file, content, "Photo");
        self.post(&format!("/{site}/photo"), &body)
    }

    pub fn put(&mut self, key: &str, file: &str, data: &[u8]) -> Exchange {
        let mut req = format!(
            "PUT /upload/{key}/{file} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
            data.len()
        )
        .into_bytes();
        req.extend_from_slice(data);
        self.exchange(&req)
    }
}

/// An [`Event`] with its data copied, so the simulated frontend can act on
/// it while calling back into the connection.
#[derive(Debug)]
pub enum OwnedEvent {
    Event(Event<'static>),
    Data(TransferId, Vec<u8>),
}

impl From<Event<'_>> for OwnedEvent {
    fn from(ev: Event<'_>) -> Self {
        match ev.into_owned() {
            Ok(ev) => Self::Event(ev),
            Err((transfer, data)) => Self::Data(transfer, data.to_vec()),
        }
    }
}

pub fn announce_body(key: &str, file: &str, content: &str, kind: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"upload\" Timeout=\"3000\" SessionKey=\"{key}\">\n<{kind}>\n<Album Name=\"NX300\"/>\n<File Name=\"{file}\"/>\n<Content>{content}</Content>\n</{kind}>\n</Request>\n"
    )
}

pub fn email_body(
    sender: &str,
    receivers: &[&str],
    body_text: &str,
    files: &[(&str, &str, &[u8])],
    eol: &str,
    terminated: bool,
) -> Vec<u8> {
    let mut b = Vec::new();
    let push = |b: &mut Vec<u8>, s: &str| b.extend_from_slice(s.as_bytes());
    push(&mut b, &format!("--{BOUNDARY}{eol}"));
    push(
        &mut b,
        &format!(
            "content-disposition: form-data; name=\"message\"; fileName=\"sample.txt\"{eol}content-Type: multipart/form-data;{eol}{eol}"
        ),
    );
    let receivers: String = receivers
        .iter()
        .map(|r| format!("<receiver>{r}</receiver> "))
        .collect();
    push(
        &mut b,
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{eol}<email><sender>{sender}</sender><receiverList>{receivers}</receiverList><title><![CDATA[[Samsung Smart Camera] sent you files.]]></title>{eol}<body><![CDATA[{body_text}\\r\\nlanguage_sh100_utf8]]></body></email>{eol}"
        ),
    );
    for (name, ct, data) in files {
        push(&mut b, &format!("--{BOUNDARY}{eol}"));
        push(
            &mut b,
            &format!(
                "content-disposition: form-data; name=\"binary\"; fileName=\"{name}\"{eol}content-Type: {ct};{eol}{eol}"
            ),
        );
        b.extend_from_slice(data);
        push(&mut b, eol);
    }
    push(&mut b, &format!("--{BOUNDARY}"));
    if terminated {
        push(&mut b, "--");
    }
    push(&mut b, eol);
    b
}

pub fn email_request(body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST /social/columbus/email?DUID=123456789033  HTTP/1.0\r\nAuthorization:OAuth oauth_consumer_key=\"censored\",oauth_version=\"1.0\"\r\nx-osp-version:v1\r\nUser-Agent: sdeClient\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 6.0)\r\nHost: www.ospserver.net\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// A 1×1 JPEG with bytes that look like line breaks and dashes inside.
pub fn jpeg() -> Vec<u8> {
    let mut j = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F', 0];
    j.extend_from_slice(b"\r\n--\r\n-----------------------------7d93b9550d\n");
    j.extend((0..=255u8).cycle().take(700));
    j.extend_from_slice(&[0xff, 0xd9]);
    j
}

pub fn whitelist_config() -> BridgeConfig {
    BridgeConfig {
        senders: Some(vec![
            "x".into(),
            "f".into(),
            "Camera@samsungcamera.com".into(),
        ]),
        secret: Secret::new(b"xiev5kaMeehaimub".to_vec()),
        ..BridgeConfig::default()
    }
}

pub fn mastodon_config() -> BridgeConfig {
    let mut c = whitelist_config();
    let mastodon = Action {
        kind: ActionKind::Mastodon,
        instance: None,
    };
    let mut routes = Routes::new(
        Action {
            kind: ActionKind::Store,
            instance: None,
        },
        Action {
            kind: ActionKind::Mail,
            instance: None,
        },
    );
    routes.insert("facebook", mastodon.clone());
    routes.insert("toot@example.org", mastodon);
    c.routes = routes;
    c
}

/// Placeholder in fuzz inputs that is replaced by a live session key (a
/// session that has announced `FUZZ.JPG`), so the fuzzer reaches uploads.
pub const KEY_PLACEHOLDER: &[u8] = b"@@KEY@@";

/// Fuzz entry point of the `connection` target: one camera connection fed
/// with arbitrary bytes, in one piece and split; checks the invariants.
pub fn fuzz_connection(data: &[u8]) {
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let run = |cuts: &[usize], eof: bool| {
        let mut sim = Sim::new(mastodon_config());
        let key = sim.login(crate::testing::V8_BODY);
        let _ = sim.announce("picasa", &key, "FUZZ.JPG", "fuzz~alt");
        let input = replace_all(rest, KEY_PLACEHOLDER, key.as_bytes());
        let out = sim.exchange_split(&input, cuts, eof);
        (out, input.len(), key)
    };
    let (whole, len, key) = run(&[], false);
    if let Some(s) = whole
        .summary
        .as_ref()
        .filter(|s| s.kind == RequestKind::Upload)
    {
        assert!(
            !s.loggable_path.contains(key.as_str()),
            "an upload's session key would be logged"
        );
    }
    let step = usize::from(seed % 61) + 1;
    let cuts: Vec<usize> = (step..len).step_by(step).collect();
    let (split, ..) = run(&cuts, false);
    assert_eq!(whole, split, "chunking changed the outcome");
    check_response(&whole);
    let (closed, ..) = run(&cuts, true);
    check_response(&closed);
    // Whatever was delivered as complete must also have been answered.
    if !closed.uploads.is_empty() || !closed.emails.is_empty() {
        assert_eq!(closed.status(), 200, "stored data without a succ answer");
    }
}

/// The answer is a complete HTTP response that fits one segment and is
/// never a 5xx (storage never fails in the simulation).
fn check_response(out: &Exchange) {
    if out.response.is_empty() {
        return;
    }
    assert!(out.response.len() <= 1460, "answer larger than one segment");
    assert!(
        (200..500).contains(&out.status()),
        "status {} for camera input",
        out.status()
    );
    let len: usize = out
        .header("Content-Length")
        .and_then(|l| l.parse().ok())
        .expect("Content-Length");
    assert_eq!(len, out.body().len());
    assert_eq!(out.header("Connection").as_deref(), Some("close"));
}

fn replace_all(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

/// Fuzz entry point of the `http_request` target: the head parser.
pub fn fuzz_http_request(data: &[u8]) {
    use crate::http::{MAX_HEAD_LEN, parse_head};
    match parse_head(data) {
        Ok(Some((head, n))) => {
            assert!(n <= data.len() && n <= MAX_HEAD_LEN);
            // The head is complete at exactly `n` bytes, whatever follows.
            assert_eq!(parse_head(&data[..n]), Ok(Some((head.clone(), n))));
            assert!(head.path.starts_with('/'));
            assert!(!head.path.contains('?'));
            if let Some(host) = &head.host {
                assert_eq!(host, &host.to_ascii_lowercase());
            }
            if matches!(
                head.method,
                crate::http::Method::Post | crate::http::Method::Put
            ) {
                assert!(head.content_length.is_some());
            }
            // Every shorter prefix is incomplete or an error, never a different head.
            for cut in [n / 2, n.saturating_sub(1)] {
                if let Ok(Some((other, m))) = parse_head(&data[..cut]) {
                    panic!("prefix {cut} parsed as complete ({m} bytes): {other:?}");
                }
            }
        }
        Ok(None) => assert!(data.len() < MAX_HEAD_LEN),
        Err(e) => assert!((400..500).contains(&e.status())),
    }
}
