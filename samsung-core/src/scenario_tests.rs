//! Deterministic whole-protocol scenarios: a simulated frontend drives
//! [`Connection`]s and a [`Bridge`] with a simulated clock; no sockets.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use crate::ClientAddr;
use crate::conn::{Attachment, Connection, Event, MIN_TRANSMIT_BUF};
use crate::crypto::Secret;
use crate::route::{Action, ActionKind, Routes};
use crate::sns::{Bridge, BridgeConfig, BridgeEvent, Email, TransferId, Upload};
use crate::time::{Duration, Instant};

pub(crate) const V7_BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"58a4c8161c8aa7b1287bc4934a2d89fa952da1cddc5b8f3d84d34\">\n<UserName Value=\"uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D\"/>\n<Password Value=\"ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n";

pub(crate) const V8_BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"844e7f0fadf4ba1cf5b6de9edb06ac9a448c0d3031b73db65a308cecb570428a44dea69bddd94403829e5c06efee9a4d555590f75a8c1313c3b935a0a03684d463733b30d3a34fe11b0da9d7f230366221ceec509419d89fd9b0cc36adc7258fbc904b497173d1f154202727c402b2a25d58dd0ecc6d576294880226cfb46151\">\n<UserName Value=\"7xKPwb19QdFKzsjsrQx62g%3D%3D\"/>\n<Password Value=\"U%2BK0X1QnWUv4tkvrrtQ0aQ%3D%3D\"/>\n<PersistKey Use=\"true\"/>\n4p4uaaq422af3\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y=\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n";

const BOUNDARY: &str = "---------------------------7d93b9550d4a";

/// What the simulated frontend saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub response: Vec<u8>,
    pub uploads: Vec<(Upload, Vec<u8>)>,
    pub attachments: Vec<(Attachment, Vec<u8>)>,
    pub emails: Vec<Email>,
    pub aborted: Vec<TransferId>,
}

impl Outcome {
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

pub(crate) struct Sim {
    pub bridge: Bridge,
    pub now: Instant,
    pub client: ClientAddr,
    /// Refuse to store (simulates a full disk).
    pub fail_store: bool,
}

impl Sim {
    pub fn new(config: BridgeConfig) -> Self {
        Sim {
            bridge: Bridge::new(config, [42; 32]),
            now: Instant::from_millis(1_735_689_600_000),
            client: ClientAddr::from_ipv4([10, 42, 0, 2]),
            fail_store: false,
        }
    }

    /// Sends `bytes` split into pieces at the given cut points, then EOF
    /// only if `eof` (a camera normally waits for the answer).
    pub fn exchange_split(&mut self, bytes: &[u8], cuts: &[usize], eof: bool) -> Outcome {
        let mut conn = Connection::new(self.client, self.now);
        let mut out = Outcome::default();
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
                let ev = ev.map(Event::into_owned_for_test);
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
                self.apply(&mut conn, ev, &mut out, &mut open);
            }
        }
        if eof {
            conn.handle_eof(&mut self.bridge, self.now);
            while let Some(ev) = conn.poll_event() {
                self.apply(&mut conn, ev, &mut out, &mut open);
            }
        }
        let mut buf = [0u8; MIN_TRANSMIT_BUF];
        if let Some(n) = conn.poll_transmit(&mut buf) {
            out.response = buf[..n].to_vec();
            assert!(conn.is_closed());
        }
        out
    }

    pub fn exchange(&mut self, bytes: &[u8]) -> Outcome {
        self.exchange_split(bytes, &[], false)
    }

    fn apply(
        &mut self,
        conn: &mut Connection,
        ev: Event<'static>,
        out: &mut Outcome,
        open: &mut BTreeMap<TransferId, usize>,
    ) {
        match ev {
            Event::UploadStart(u) => {
                open.insert(u.transfer, out.uploads.len());
                out.uploads.push((u, Vec::new()));
            }
            Event::AttachmentStart(a) => {
                open.insert(a.transfer, usize::MAX - out.attachments.len());
                out.attachments.push((a, Vec::new()));
            }
            Event::Data { transfer, data } => {
                let slot = *open.get(&transfer).expect("data for an open transfer");
                if slot > usize::MAX / 2 {
                    out.attachments[usize::MAX - slot].1.extend_from_slice(data);
                } else {
                    out.uploads[slot].1.extend_from_slice(data);
                }
            }
            Event::AttachmentEnd { .. } => {}
            Event::UploadComplete { transfer } => {
                conn.handle_stored(&mut self.bridge, self.now, transfer, !self.fail_store);
            }
            Event::EmailComplete(email) => {
                let t = email.transfer;
                out.emails.push(email);
                conn.handle_stored(&mut self.bridge, self.now, t, !self.fail_store);
            }
            Event::Aborted { transfer, .. } => {
                out.aborted.push(transfer);
                out.uploads.retain(|(u, _)| u.transfer != transfer);
                out.attachments.retain(|(a, _)| a.transfer != transfer);
            }
        }
    }

    pub fn post(&mut self, path: &str, body: &str) -> Outcome {
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

    pub fn announce(&mut self, site: &str, key: &str, file: &str, content: &str) -> Outcome {
        let body = announce_body(key, file, content, "Photo");
        self.post(&format!("/{site}/photo"), &body)
    }

    pub fn put(&mut self, key: &str, file: &str, data: &[u8]) -> Outcome {
        let mut req = format!(
            "PUT /upload/{key}/{file} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
            data.len()
        )
        .into_bytes();
        req.extend_from_slice(data);
        self.exchange(&req)
    }
}

impl<'a> Event<'a> {
    /// Test helper: copies borrowed data so events can be queued.
    fn into_owned_for_test(self) -> Event<'static> {
        match self {
            Event::Data { transfer, data } => Event::Data {
                transfer,
                data: alloc::boxed::Box::leak(data.to_vec().into_boxed_slice()),
            },
            Event::UploadStart(u) => Event::UploadStart(u),
            Event::AttachmentStart(a) => Event::AttachmentStart(a),
            Event::AttachmentEnd { transfer } => Event::AttachmentEnd { transfer },
            Event::UploadComplete { transfer } => Event::UploadComplete { transfer },
            Event::EmailComplete(e) => Event::EmailComplete(e),
            Event::Aborted { transfer, reason } => Event::Aborted { transfer, reason },
        }
    }
}

pub(crate) fn announce_body(key: &str, file: &str, content: &str, kind: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"upload\" Timeout=\"3000\" SessionKey=\"{key}\">\n<{kind}>\n<Album Name=\"NX300\"/>\n<File Name=\"{file}\"/>\n<Content>{content}</Content>\n</{kind}>\n</Request>\n"
    )
}

pub(crate) fn email_body(
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

pub(crate) fn email_request(body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST /social/columbus/email?DUID=123456789033  HTTP/1.0\r\nAuthorization:OAuth oauth_consumer_key=\"censored\",oauth_version=\"1.0\"\r\nx-osp-version:v1\r\nUser-Agent: sdeClient\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 6.0)\r\nHost: www.ospserver.net\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

/// A 1×1 JPEG with bytes that look like line breaks and dashes inside.
pub(crate) fn jpeg() -> Vec<u8> {
    let mut j = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F', 0];
    j.extend_from_slice(b"\r\n--\r\n-----------------------------7d93b9550d\n");
    j.extend((0..=255u8).cycle().take(700));
    j.extend_from_slice(&[0xff, 0xd9]);
    j
}

pub(crate) fn whitelist_config() -> BridgeConfig {
    let mut c = BridgeConfig::default();
    c.senders = Some(vec![
        "x".into(),
        "f".into(),
        "Camera@samsungcamera.com".into(),
    ]);
    c.secret = Secret::new(b"xiev5kaMeehaimub".to_vec());
    c
}

fn mastodon_config() -> BridgeConfig {
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

#[test]
fn hotspot_checks_over_the_engine() {
    let mut sim = Sim::new(BridgeConfig::default());
    let gld = sim.exchange(b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\n\r\n");
    assert_eq!(gld.status(), 200);
    assert!(gld.header("Server").unwrap().starts_with("nginx"));
    assert!(gld.header("ETag").is_some());
    assert_eq!(gld.body(), "");
    let a = sim.exchange(b"GET / HTTP/1.1\r\nHost: www.yahoo.co.kr\r\n\r\n");
    let b = sim.exchange(b"GET / HTTP/1.1\r\nHost: www.yahoo.co.kr\r\n\r\n");
    assert_eq!(a.status(), 302);
    assert_eq!(a.header("Location").as_deref(), Some("http://yahoo.com"));
    assert_eq!(b.status(), 200);
    assert!(
        b.header("Set-Cookie")
            .unwrap()
            .contains("Domain=.yahoo.co.kr;")
    );
    let landing = sim
        .exchange(b"GET / HTTP/1.1\r\nHost: www.samsungimaging.com\r\nUser-Agent: NX300\r\n\r\n");
    assert_eq!(landing.status(), 200);
    assert!(landing.body().contains("samsung-bridge is running"));
    assert!(landing.body().contains("NX300"));
}

#[test]
fn st1000_time_and_unsupported_endpoints() {
    let mut sim = Sim::new(BridgeConfig::default());
    let t = sim
        .exchange(b"GET /security/sso/initialize/time HTTP/1.1\r\nHost: www.ospserver.net\r\n\r\n");
    assert_eq!(t.status(), 200);
    assert_eq!(
        t.body(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><initializeResult><currentServerTime>1735689600000</currentServerTime></initializeResult>"
    );
    let list = sim.exchange(b"GET /social/columbus/serviceproviders/list?DUID=1 HTTP/1.1\r\nHost: www.ospserver.net\r\n\r\n");
    assert_eq!(list.status(), 501);
    assert!(list.body().contains("ErrCode=\"501\""));
    let unknown = sim.exchange(b"GET /nothing/here HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(unknown.status(), 404);
    let allshare_body = "<userAuthRequest><loginID>Camera@samsungcamera.com</loginID><password>secret</password><duid></duid><mobileCountryCode></mobileCountryCode><tncAccepted>Y</tncAccepted></userAuthRequest>";
    let mut wl = Sim::new(whitelist_config());
    assert_eq!(
        wl.post(
            "/security/sso/userprofiles/authentication/emailid",
            allshare_body
        )
        .status(),
        501
    );
    let stranger = allshare_body.replace("Camera@samsungcamera.com", "evil@example.org");
    assert_eq!(
        wl.post(
            "/security/sso/userprofiles/authentication/emailid",
            &stranger
        )
        .status(),
        401
    );
}

#[test]
fn social_login_announce_upload_store() {
    let mut sim = Sim::new(whitelist_config());
    for body in [V7_BODY, V8_BODY] {
        let out = sim.post("/facebook/auth", body);
        assert_eq!(out.status(), 200);
        assert!(out.body().contains("LoginPeopleID=\"Samsung NX Lover\""));
    }
    let key = sim.login(V7_BODY);
    let ann = sim.announce("facebook", &key, "SAM_1234.JPG", "Holiday shot!");
    assert_eq!(ann.status(), 200);
    assert_eq!(
        ann.body(),
        format!(
            "<Response HostAddr=\"snsgw.samsungmobile.com:80\" ResourceID=\"upload/{key}/SAM_1234.JPG\" />"
        )
    );
    let data = jpeg();
    let put = sim.put(&key, "SAM_1234.JPG", &data);
    assert_eq!(put.status(), 200);
    assert_eq!(put.body(), "<Response Status=\"succ\" />");
    assert_eq!(put.uploads.len(), 1);
    let (u, bytes) = &put.uploads[0];
    assert_eq!(bytes, &data);
    assert_eq!(u.user, "x");
    assert_eq!(u.file_name, "SAM_1234.JPG");
    assert_eq!(u.action.kind, ActionKind::Store);
    assert_eq!(u.folder.len(), 20);
    // A second PUT of the same announce is refused (nothing pending).
    assert_eq!(sim.put(&key, "SAM_1234.JPG", &data).status(), 404);
}

#[test]
fn login_refusals() {
    let mut sim = Sim::new(whitelist_config());
    let empty = sim.post("/facebook/auth", "");
    assert_eq!(empty.status(), 400);
    let oauth = sim.post("/flickr/auth", V7_BODY);
    assert_eq!(oauth.status(), 401);
    assert!(oauth.body().contains("OAuth not supported"));
    let mut closed = whitelist_config();
    closed.senders = Some(vec!["somebody-else".into()]);
    let mut sim = Sim::new(closed);
    let out = sim.post("/facebook/auth", V7_BODY);
    assert_eq!(out.status(), 401);
    assert_eq!(
        out.body(),
        "<Response ErrCode=\"401\" ErrSubCode=\"0\" /><!-- Login failed -->"
    );
    let mut pw = whitelist_config();
    pw.passwords = vec![("x".into(), Secret::new("not-z".into()))];
    let mut sim = Sim::new(pw);
    assert_eq!(sim.post("/facebook/auth", V7_BODY).status(), 401);
    let mut pw = whitelist_config();
    pw.passwords = vec![("x".into(), Secret::new("z".into()))];
    let mut sim = Sim::new(pw);
    assert_eq!(sim.post("/facebook/auth", V7_BODY).status(), 200);
}

#[test]
fn unknown_session_and_logout() {
    let mut sim = Sim::new(whitelist_config());
    let out = sim.announce("facebook", "0123456789abcdef0123456789abcdef", "a.jpg", "x");
    assert_eq!(out.status(), 401);
    assert!(out.body().contains("Session expired"));
    let put = sim.put("0123456789abcdef0123456789abcdef", "a.jpg", b"abc");
    assert_eq!(put.status(), 401);
    assert!(put.uploads.is_empty());
    let key = sim.login(V7_BODY);
    let logout = format!(
        "<?xml version=\"1.0\"?>\n<Request Method=\"logout\" Timeout=\"3000\" SessionKey=\"{key}\">\n</Request>\n"
    );
    let out = sim.post("/facebook/auth", &logout);
    assert_eq!(out.status(), 200);
    assert_eq!(sim.announce("facebook", &key, "a.jpg", "x").status(), 401);
}

#[test]
fn video_announce_works() {
    let mut sim = Sim::new(whitelist_config());
    let key = sim.login(V7_BODY);
    let body = announce_body(&key, "SAM_0005.MP4", "my clip", "Video");
    let out = sim.post("/youtube/video", &body);
    assert_eq!(out.status(), 200);
    assert!(out.body().contains("SAM_0005.MP4"));
    let put = sim.put(&key, "SAM_0005.MP4", b"\x00\x00\x00\x18ftypmp42");
    assert_eq!(put.status(), 200);
    assert_eq!(put.uploads[0].0.kind, crate::xml::MediaKind::Video);
}

#[test]
fn truncated_upload_is_aborted_and_unanswered() {
    let mut sim = Sim::new(whitelist_config());
    let key = sim.login(V7_BODY);
    sim.announce("facebook", &key, "SAM_1.JPG", "t");
    let mut req = format!(
        "PUT /upload/{key}/SAM_1.JPG HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: 1000\r\n\r\n"
    )
    .into_bytes();
    req.extend_from_slice(&[7u8; 400]);
    let out = sim.exchange_split(&req, &[], true);
    assert!(out.response.is_empty());
    assert!(out.uploads.is_empty());
    assert_eq!(out.aborted.len(), 1);
}

#[test]
fn storage_failure_is_reported_not_succ() {
    let mut sim = Sim::new(whitelist_config());
    let key = sim.login(V7_BODY);
    sim.announce("facebook", &key, "SAM_1.JPG", "t");
    sim.fail_store = true;
    let out = sim.put(&key, "SAM_1.JPG", b"abc");
    assert_eq!(out.status(), 500);
    assert!(!out.body().contains("succ"));
}

#[test]
fn mastodon_batches_follow_the_tilde_convention() {
    let mut sim = Sim::new(mastodon_config());
    let key = sim.login(V7_BODY);
    // V16: two photos with two alt texts, then a new caption.
    for (i, f) in ["SAM_0001.JPG", "SAM_0002.JPG"].iter().enumerate() {
        assert_eq!(
            sim.announce("facebook", &key, f, "A~alt1~alt2").status(),
            200
        );
        let put = sim.put(&key, f, b"jpeg");
        assert_eq!(put.status(), 200);
        let b = &put.uploads[0].0.batch;
        assert_eq!(b.index, i);
        assert_eq!(b.expected, Some(2));
        assert_eq!(b.caption, "A");
        assert_eq!(b.alt.as_deref(), Some(["alt1", "alt2"][i]));
        assert_eq!(b.last, i == 1);
        assert_eq!(b.album.as_deref(), Some("NX300"));
    }
    assert_eq!(
        sim.announce("facebook", &key, "SAM_0003.JPG", "B~alt3")
            .status(),
        200
    );
    let put = sim.put(&key, "SAM_0003.JPG", b"jpeg");
    let b = &put.uploads[0].0.batch;
    assert_eq!((b.index, b.last, b.caption.as_str()), (0, true, "B"));
    // Same caption again after a complete batch: a new batch, not an overflow.
    sim.announce("facebook", &key, "SAM_0004.JPG", "B~alt3");
    let again = sim.put(&key, "SAM_0004.JPG", b"jpeg");
    assert_ne!(again.uploads[0].0.batch.id, b.id);
    assert!(again.uploads[0].0.batch.last);
    // No alt text with a Mastodon action: refused at the PUT, like the reference.
    sim.announce("facebook", &key, "SAM_0005.JPG", "C");
    let refused = sim.put(&key, "SAM_0005.JPG", b"jpeg");
    assert_eq!(refused.status(), 400);
    assert!(refused.body().contains("No alt-text"));
    assert!(refused.uploads.is_empty());
    assert_eq!(sim.bridge.poll_event(), None);
}

#[test]
fn unfinished_batches_are_closed_by_idle_timeout() {
    let mut sim = Sim::new(mastodon_config());
    let key = sim.login(V7_BODY);
    sim.announce("facebook", &key, "SAM_1.JPG", "A~a~b~c");
    assert_eq!(sim.put(&key, "SAM_1.JPG", b"1").status(), 200);
    let deadline = sim.bridge.poll_timeout().unwrap();
    assert!(deadline <= sim.now + sim.bridge.config().limits.batch_idle);
    sim.bridge.handle_timeout(deadline);
    match sim.bridge.poll_event() {
        Some(BridgeEvent::BatchClosed { uploaded, .. }) => assert_eq!(uploaded, 1),
        other => panic!("expected BatchClosed, got {other:?}"),
    }
    // The session expires later.
    let later = sim.now + Duration::from_secs(48 * 3600);
    sim.bridge.handle_timeout(later);
    assert!(matches!(
        sim.bridge.poll_event(),
        Some(BridgeEvent::SessionExpired { .. })
    ));
    assert_eq!(sim.bridge.session_count(), 0);
}

#[test]
fn email_v6_in_both_line_ending_styles() {
    for eol in ["\r\n", "\n"] {
        for terminated in [false, true] {
            let mut sim = Sim::new(whitelist_config());
            let data = jpeg();
            let body = email_body(
                "Camera@samsungcamera.com",
                &["friend@example.org"],
                "Sent from Samsung Camera.",
                &[("SAM_4371.JPG", "image/jpeg", &data)],
                eol,
                terminated,
            );
            let out = sim.exchange(&email_request(&body));
            assert_eq!(
                out.status(),
                200,
                "eol {eol:?} terminated {terminated}: {}",
                out.body()
            );
            assert!(out.response.starts_with(b"HTTP/1.0 200 OK\r\n"));
            assert_eq!(out.body(), "<Response Status=\"succ\" />");
            let email = &out.emails[0];
            assert_eq!(email.sender_address, "Camera@samsungcamera.com");
            assert_eq!(
                email.message.title,
                "[Samsung Smart Camera] sent you files."
            );
            assert_eq!(email.message.body, "Sent from Samsung Camera.");
            assert_eq!(email.routes.len(), 1);
            assert_eq!(email.routes[0].recipient, "friend@example.org");
            assert_eq!(email.folder, "yZXbyiz-pZX2DqmBjoRl");
            assert_eq!(out.attachments.len(), 1);
            assert_eq!(out.attachments[0].0.file_name, "SAM_4371.JPG");
            assert_eq!(
                out.attachments[0].0.content_type.as_deref(),
                Some("image/jpeg")
            );
            assert_eq!(out.attachments[0].1, data);
        }
    }
}

#[test]
fn email_refusals() {
    let data = jpeg();
    let stranger = email_body(
        "evil@example.org",
        &["a@b.c"],
        "x",
        &[("a.jpg", "image/jpeg", &data)],
        "\r\n",
        false,
    );
    let mut sim = Sim::new(whitelist_config());
    let out = sim.exchange(&email_request(&stranger));
    assert_eq!(out.status(), 401);
    assert!(out.body().contains("Sender not in whitelist"));
    assert!(out.attachments.is_empty());
    assert!(out.emails.is_empty());

    let no_message = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"binary\"; fileName=\"a.jpg\"\r\ncontent-Type: image/jpeg;\r\n\r\nJPEG\r\n--{BOUNDARY}\r\n"
    );
    let out = sim.exchange(&email_request(no_message.as_bytes()));
    assert_eq!(out.status(), 400);
    assert!(out.body().contains("message"));
    assert!(
        out.attachments.is_empty(),
        "attachments of a refused e-mail are aborted"
    );

    // V6g: Mastodon recipient, one alt text per attachment required.
    let mut sim = Sim::new(mastodon_config());
    let ok = email_body(
        "Camera@samsungcamera.com",
        &["toot@example.org"],
        "Holiday shot!~fancy flower bed",
        &[("a.jpg", "image/jpeg", &data)],
        "\r\n",
        false,
    );
    let out = sim.exchange(&email_request(&ok));
    assert_eq!(out.status(), 200, "{}", out.body());
    assert_eq!(out.emails[0].caption, "Holiday shot!");
    assert_eq!(out.emails[0].alts, vec![String::from("fancy flower bed")]);
    let two = email_body(
        "Camera@samsungcamera.com",
        &["toot@example.org"],
        "Holiday shot!~fancy flower bed",
        &[
            ("a.jpg", "image/jpeg", &data),
            ("b.jpg", "image/pjpeg", &data),
        ],
        "\r\n",
        false,
    );
    let out = sim.exchange(&email_request(&two));
    assert_eq!(out.status(), 400);
    assert!(out.body().contains("No alt-text"));
    assert!(out.attachments.is_empty());
}

#[test]
fn garbage_and_limits_get_4xx() {
    let mut sim = Sim::new(BridgeConfig::default());
    for req in [
        &b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n"[..],
        b"POST /facebook/auth HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"PUT /upload/a/b HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"DELETE /facebook/auth HTTP/1.1\r\n\r\n",
        b"POST /nosuchsite/auth HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
        b"POST /social/columbus/email HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc",
    ] {
        let out = sim.exchange(req);
        assert!((400..500).contains(&out.status()), "{:?} → {}", core::str::from_utf8(req), out.status());
    }
    let mut big = format!("GET / HTTP/1.1\r\nHost: x\r\n");
    while big.len() < crate::http::MAX_HEAD_LEN * 2 {
        big.push_str("X-Junk: 0123456789012345678901234567890123456789\r\n");
    }
    assert_eq!(sim.exchange(big.as_bytes()).status(), 431);
    let mut small = BridgeConfig::default();
    small.limits.max_upload = 10;
    let mut sim = Sim::new(small);
    let out = sim.exchange(b"PUT /upload/a/b HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
    assert_eq!(out.status(), 413);
}

#[test]
fn head_timeout_and_body_timeout() {
    let mut sim = Sim::new(whitelist_config());
    let mut conn = Connection::new(sim.client, sim.now);
    let (n, ev) = conn.handle_input(&mut sim.bridge, sim.now, b"GET / HTTP/1.1\r\n");
    assert_eq!((n, ev.is_none()), (16, true));
    let deadline = conn.poll_timeout(&sim.bridge).unwrap();
    conn.handle_timeout(&mut sim.bridge, deadline);
    let mut buf = [0u8; MIN_TRANSMIT_BUF];
    let n = conn.poll_transmit(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 408"));
    // A connection that never sent anything is closed silently.
    let mut idle = Connection::new(sim.client, sim.now);
    idle.handle_timeout(&mut sim.bridge, sim.now + Duration::from_secs(3600));
    assert!(idle.is_closed());
    assert_eq!(idle.poll_transmit(&mut buf), None);
}

#[test]
fn session_export_import_round_trip() {
    let mut sim = Sim::new(mastodon_config());
    let key = sim.login(V7_BODY);
    sim.announce("facebook", &key, "SAM_1.JPG", "tab\there~alt\none~two");
    let exported = sim.bridge.export_sessions();
    let mut fresh = Sim::new(mastodon_config());
    fresh.now = sim.now;
    assert_eq!(fresh.bridge.import_sessions(&exported, sim.now), Ok(1));
    assert_eq!(fresh.bridge.export_sessions(), exported);
    let put = fresh.put(&key, "SAM_1.JPG", b"data");
    assert_eq!(put.status(), 200);
    assert_eq!(put.uploads[0].0.batch.alt.as_deref(), Some("alt\none"));
    assert_eq!(
        fresh.bridge.import_sessions("garbage", sim.now),
        Err(crate::sns::ImportError::UnknownFormat)
    );
    let expired = sim.now + Duration::from_secs(7 * 24 * 3600);
    let mut late = Sim::new(mastodon_config());
    assert_eq!(late.bridge.import_sessions(&exported, expired), Ok(0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any split of a camera's byte stream gives the same outcome as one piece.
    #[test]
    fn email_split_invariance(cuts in proptest::collection::vec(0usize..3000, 0..12), lf in any::<bool>()) {
        let data = jpeg();
        let eol = if lf { "\n" } else { "\r\n" };
        let body = email_body("Camera@samsungcamera.com", &["a@example.org", "b@example.org"], "hi", &[("a.jpg", "image/jpeg", &data), ("b.jpg", "image/pjpeg", &data)], eol, false);
        let req = email_request(&body);
        let whole = Sim::new(whitelist_config()).exchange(&req);
        let split = Sim::new(whitelist_config()).exchange_split(&req, &cuts, false);
        prop_assert_eq!(whole.status(), 200);
        prop_assert_eq!(whole.attachments.len(), 2);
        prop_assert_eq!(&whole, &split);
    }

    #[test]
    fn upload_split_invariance(cuts in proptest::collection::vec(0usize..1200, 0..8)) {
        let data = jpeg();
        let mut a = Sim::new(whitelist_config());
        let mut b = Sim::new(whitelist_config());
        let ka = a.login(V8_BODY);
        let kb = b.login(V8_BODY);
        prop_assert_eq!(&ka, &kb, "same seed, same keys");
        a.announce("picasa", &ka, "P.JPG", "x");
        b.announce("picasa", &kb, "P.JPG", "x");
        let mut req = format!("PUT /upload/{ka}/P.JPG HTTP/1.1\r\nContent-Length: {}\r\n\r\n", data.len()).into_bytes();
        req.extend_from_slice(&data);
        let whole = a.exchange(&req);
        let split = b.exchange_split(&req, &cuts, false);
        prop_assert_eq!(whole.status(), 200);
        prop_assert_eq!(&whole.uploads[0].1, &data);
        prop_assert_eq!(whole, split);
    }

    /// Arbitrary bytes never panic the engine, never produce a 5xx, and the
    /// engine always ends up answering or closing.
    #[test]
    fn garbage_never_5xx(bytes in proptest::collection::vec(any::<u8>(), 0..400), cuts in proptest::collection::vec(0usize..400, 0..4)) {
        let mut sim = Sim::new(whitelist_config());
        let out = sim.exchange_split(&bytes, &cuts, true);
        if !out.response.is_empty() {
            prop_assert!(out.status() < 500, "status {}", out.status());
        }
    }
}
