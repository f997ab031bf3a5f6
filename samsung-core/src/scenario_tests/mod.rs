//! Deterministic whole-protocol scenarios over the simulated frontend of
//! [`crate::testing`]; no sockets, simulated clock.

use alloc::format;
use alloc::string::String;
use alloc::vec;

use proptest::prelude::*;

use crate::conn::{Connection, MIN_TRANSMIT_BUF};
use crate::crypto::Secret;
use crate::route::ActionKind;
use crate::sns::{BridgeConfig, BridgeEvent};
use crate::testing::*;
use crate::time::Duration;

mod model;

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
fn requests_that_change_sessions_ask_for_a_save_before_their_answer() {
    let mut sim = Sim::new(whitelist_config());
    let saves = |out: &Exchange| (out.status(), out.save_sessions);
    let hotspot = sim.exchange(b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\n\r\n");
    assert_eq!(saves(&hotspot), (200, false));
    let mut closed = whitelist_config();
    closed.senders = Some(vec!["somebody-else".into()]);
    assert_eq!(
        saves(&Sim::new(closed).post("/facebook/auth", V7_BODY)),
        (401, false)
    );
    let login = sim.post("/facebook/auth", V7_BODY);
    assert_eq!(saves(&login), (200, true));
    let key = sim.login(V7_BODY);
    assert_eq!(
        saves(&sim.announce("facebook", &key, "a.jpg", "x")),
        (200, true)
    );
    assert_eq!(saves(&sim.put(&key, "a.jpg", b"abc")), (200, true));
    // Nothing was announced under that name: the table is unchanged.
    assert_eq!(saves(&sim.put(&key, "b.jpg", b"abc")), (404, false));
    let stranger = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        saves(&sim.announce("facebook", stranger, "a.jpg", "x")),
        (401, false)
    );
    let email = email_request(&email_body("x", &["a@b.c"], "hi", &[], "\r\n", true));
    assert_eq!(saves(&sim.exchange(&email)), (200, false));
    // A failed store puts the file back among the announced ones: saved too.
    sim.announce("facebook", &key, "c.jpg", "x");
    sim.fail_store = true;
    assert_eq!(saves(&sim.put(&key, "c.jpg", b"abc")), (500, true));
    let logout =
        format!("<Request Method=\"logout\" Timeout=\"3000\" SessionKey=\"{key}\"></Request>");
    assert_eq!(saves(&sim.post("/facebook/auth", &logout)), (200, true));
}

#[test]
fn the_log_line_never_carries_an_upload_session_key() {
    let mut sim = Sim::new(whitelist_config());
    let key = sim.login(V7_BODY);
    sim.announce("facebook", &key, "SAM_1.JPG", "x");
    let logged = |out: &Exchange| out.summary.as_ref().unwrap().loggable_path.clone();
    assert_eq!(
        logged(&sim.put(&key, "SAM_1.JPG", b"abc")),
        "/upload/[session]/SAM_1.JPG"
    );
    assert_eq!(
        logged(&sim.put(&key, &key, b"abc")),
        "/upload/[session]/[session]"
    );
    let no_name = format!("PUT /upload/{key} HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(logged(&sim.exchange(no_name.as_bytes())), "/upload/[…]");
    assert_eq!(
        logged(&sim.announce("facebook", &key, "a.jpg", "x")),
        "/facebook/photo"
    );
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
fn retried_and_repeated_announces_keep_their_batch_slot() {
    let mut sim = Sim::new(mastodon_config());
    let key = sim.login(V7_BODY);
    // A PUT cut off mid-body, then the camera announces and sends it again.
    sim.announce("facebook", &key, "SAM_0001.JPG", "Retry~t1~t2");
    let mut req = format!("PUT /upload/{key}/SAM_0001.JPG HTTP/1.1\r\nContent-Length: 100\r\n\r\n")
        .into_bytes();
    req.extend_from_slice(&[1; 10]);
    let cut = sim.exchange_split(&req, &[], true);
    assert_eq!(cut.aborted.len(), 1);
    sim.announce("facebook", &key, "SAM_0001.JPG", "Retry~t1~t2");
    // The same announce repeated changes nothing either.
    sim.announce("facebook", &key, "SAM_0001.JPG", "Retry~t1~t2");
    let first = sim.put(&key, "SAM_0001.JPG", b"one");
    assert_eq!(first.status(), 200);
    let b1 = first.uploads[0].0.batch.clone();
    assert_eq!(
        (b1.index, b1.alt.as_deref(), b1.last),
        (0, Some("t1"), false)
    );
    sim.announce("facebook", &key, "SAM_0002.JPG", "Retry~t1~t2");
    let second = sim.put(&key, "SAM_0002.JPG", b"two");
    let b2 = &second.uploads[0].0.batch;
    assert_eq!(
        (b2.index, b2.alt.as_deref(), b2.last),
        (1, Some("t2"), true)
    );
    assert_eq!(b2.id, b1.id);
    assert_eq!(sim.bridge.poll_event(), None, "no early batch closure");
}

#[test]
fn a_new_caption_supersedes_an_earlier_announce_of_the_same_file() {
    let mut sim = Sim::new(mastodon_config());
    let key = sim.login(V7_BODY);
    sim.announce("facebook", &key, "SAM_0001.JPG", "A~a");
    sim.announce("facebook", &key, "SAM_0001.JPG", "B~b");
    let put = sim.put(&key, "SAM_0001.JPG", b"x");
    assert_eq!(put.status(), 200, "{}", put.body());
    let b = &put.uploads[0].0.batch;
    assert_eq!(
        (b.caption.as_str(), b.alt.as_deref(), b.last),
        ("B", Some("b"), true)
    );
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
    let mut big = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
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

#[test]
fn downloads_are_served_only_when_enabled_and_never_escape() {
    let mut closed = Sim::new(BridgeConfig::default());
    closed
        .files
        .insert("abc/SAM_1.JPG".into(), b"jpeg".to_vec());
    assert_eq!(
        closed
            .exchange(b"GET /abc/SAM_1.JPG HTTP/1.1\r\n\r\n")
            .status(),
        404
    );
    let mut sim = Sim::new(BridgeConfig {
        serve_downloads: true,
        ..BridgeConfig::default()
    });
    sim.files.insert("abc/SAM_1.JPG".into(), b"jpeg!".to_vec());
    sim.files.insert("abc/<b>.JPG".into(), b"x".to_vec());
    let out = sim.exchange(b"GET /abc/SAM_1.JPG HTTP/1.1\r\n\r\n");
    assert_eq!(out.status(), 200);
    assert_eq!(out.header("Content-Length").as_deref(), Some("5"));
    assert!(out.response.ends_with(b"\r\n\r\njpeg!"));
    let listing = sim.exchange(b"GET /abc/ HTTP/1.1\r\n\r\n");
    assert_eq!(listing.status(), 200);
    assert!(listing.body().contains("href=\"SAM_1.JPG\""));
    assert!(
        listing.body().contains("&lt;b&gt;.JPG"),
        "names are escaped"
    );
    for evil in [
        &b"GET /../etc/passwd HTTP/1.1\r\n\r\n"[..],
        b"GET /abc/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n\r\n",
        b"GET /.sessions/x.json HTTP/1.1\r\n\r\n",
        b"GET /abc/..%5c..%5cwin.ini HTTP/1.1\r\n\r\n",
        b"GET /abc/%00 HTTP/1.1\r\n\r\n",
    ] {
        let out = sim.exchange(evil);
        assert_eq!(out.status(), 404, "{:?}", core::str::from_utf8(evil));
    }
    // Camera endpoints still win over downloads.
    let gld = sim.exchange(b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\n\r\n");
    assert!(gld.header("ETag").is_some());
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

#[test]
fn the_email_message_is_known_when_its_attachments_start() {
    let mut bridge = crate::sns::Bridge::new(whitelist_config(), [3; 32]);
    let now = crate::time::Instant::from_millis(1_000);
    let data = jpeg();
    let body = email_body(
        "Camera@samsungcamera.com",
        &["friend@example.org"],
        "Sent from Samsung Camera.",
        &[("SAM_4371.JPG", "image/jpeg", &data)],
        "\r\n",
        true,
    );
    let request = email_request(&body);
    let mut conn = Connection::new(crate::ClientAddr::from_ipv4([10, 42, 0, 2]), now);
    assert!(conn.email_message().is_none());
    let mut off = 0;
    let mut seen = None;
    loop {
        let (used, ev) = conn.handle_input(&mut bridge, now, &request[off..]);
        off += used;
        match ev {
            Some(crate::conn::Event::AttachmentStart(_)) => {
                seen = Some(false);
            }
            None if off == request.len() => break,
            _ => {}
        }
        if seen == Some(false) {
            let m = conn.email_message().expect("message before the attachment");
            assert_eq!(m.receivers, vec![String::from("friend@example.org")]);
            seen = Some(true);
        }
    }
    assert_eq!(seen, Some(true));
}
