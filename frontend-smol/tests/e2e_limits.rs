//! Who may use the bridge and how much: passwords and the whitelist, secrets
//! kept out of the log, the [LIMITS] (upload size, idle sessions, idle
//! connections), per-client hotspot state, and the DNS listener.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn wrong_passwords_and_unknown_senders_get_401() {
    const GOOD: &str = "Good-pw-e2e-4711";
    const BAD: &str = "Wrong-pw-e2e-0815";
    let config = format!(
        "{}\n[PASSWORDS]\n\"{CAMERA_USER}\" = \"{GOOD}\"\nx = \"z\"\n",
        whitelist_config()
    );
    let d = Daemon::start("passwords", Some(&config));
    let cam = d.camera(2);
    let expect_401 = |what: &str, a: Answer| {
        a.assert_v21();
        assert_eq!(a.status, 401, "{what}: {}", show(&a.raw));
        assert!(
            a.text().starts_with("<Response ErrCode=\"401\""),
            "{what}: {}",
            show(&a.raw)
        );
    };
    // Plain (V10) and encrypted (V7) credentials, right and wrong.
    expect_401(
        "plain, wrong password",
        cam.exchange(&post("/youtube/auth", &login_plain(CAMERA_USER, BAD))),
    );
    expect_401(
        "plain, empty password",
        cam.exchange(&post("/youtube/auth", &login_plain(CAMERA_USER, ""))),
    );
    cam.login("youtube", &login_plain(CAMERA_USER, GOOD));
    expect_401(
        "encrypted, wrong password",
        cam.exchange(&post("/facebook/auth", &login_encrypted("x", BAD))),
    );
    cam.login("facebook", LOGIN_V7);
    cam.login("facebook", &login_encrypted("x", "z"));
    // `f` is whitelisted without a password: any password.
    cam.login("facebook", LOGIN_V8);
    // Not on the whitelist.
    expect_401(
        "user not in SENDERS",
        cam.exchange(&post("/facebook/auth", &login_encrypted("mallory", "z"))),
    );
    expect_401(
        "plain user not in SENDERS",
        cam.exchange(&post(
            "/facebook/auth",
            &login_plain("evil@example.org", GOOD),
        )),
    );
    // E-mail from a sender not in SENDERS (V6d).
    let mail = email_request(&email_body(
        "evil@example.org",
        &["friend@example.org"],
        "[Samsung Smart Camera] sent you files.",
        "spam",
        &[Part {
            name: "SAM_0666.JPG",
            content_type: "image/jpeg",
            data: TINY_JPEG,
        }],
        "\r\n",
    ));
    let a = cam.exchange(&mail);
    expect_401("e-mail from an unknown sender", a.clone());
    assert!(
        a.text().contains("Sender not in whitelist"),
        "{}",
        show(&a.raw)
    );
    // A session key that was never issued.
    expect_401(
        "announce with a made-up session",
        cam.exchange(&post(
            "/youtube/photo",
            &announce_body(
                "0123456789abcdef0123456789abcdef",
                "SAM_1.JPG",
                "x",
                "NX300",
            ),
        )),
    );
    assert!(d.stored_files().is_empty(), "{:?}", d.stored_files());
    let log = d.log();
    for pw in [GOOD, BAD] {
        assert!(
            !log.contains(pw),
            "the log contains the password {pw}:\n{log}"
        );
    }
}

#[test]
fn passwords_tokens_and_crypto_keys_never_reach_the_log() {
    const TOKEN: &str = "tok-e2e-never-logged";
    const MAIL_PW: &str = "mailpw-e2e-never-logged";
    let config = format!(
        "SECRET = \"folder-key-e2e-never-logged\"\nSENDERS = [\"x\", \"{CAMERA_USER}\"]\nUPLOAD_FOLDER = \"uploads\"\nMAIL_SERVER = \"127.0.0.1\"\nMAIL_PORT = {}\nMAIL_USERNAME = \"bridge\"\nMAIL_PASSWORD = \"{MAIL_PW}\"\n\n[PASSWORDS]\n\"{CAMERA_USER}\" = \"pw-e2e-never-logged\"\n\n[MASTODON]\nBASE_URL = \"http://127.0.0.1:{}\"\nTOKEN = \"{TOKEN}\"\n\n[ACTIONS]\nfacebook = \"mastodon\"\n",
        free_port(),
        free_port()
    );
    let d = Daemon::start("secrets-log", Some(&config));
    let cam = d.camera(2);
    // V7: CryptSessionKey in clear, password `z` encrypted.
    let key = cam.login("facebook", LOGIN_V7);
    cam.announce_ok("facebook", &key, "SAM_0800.JPG", "Secret~alt");
    cam.put(&key, "SAM_0800.JPG", TINY_JPEG).assert_succ();
    cam.login("youtube", &login_plain(CAMERA_USER, "pw-e2e-never-logged"));
    let a = cam.exchange(&post(
        "/youtube/auth",
        &login_plain(CAMERA_USER, "wrong-e2e-never-logged"),
    ));
    assert_eq!(a.status, 401);
    cam.send(&email_request(&email_body(
        CAMERA_USER,
        &["friend@example.org"],
        "[Samsung Smart Camera] sent you files.",
        "mail",
        &[Part {
            name: "SAM_0801.JPG",
            content_type: "image/jpeg",
            data: TINY_JPEG,
        }],
        "\r\n",
    )))
    .assert_succ();
    // Let the outbox try (and fail) to forward, logging what it does.
    std::thread::sleep(Duration::from_secs(3));
    let log = d.log();
    for secret in [
        TOKEN,
        MAIL_PW,
        "folder-key-e2e-never-logged",
        "pw-e2e-never-logged",
        "wrong-e2e-never-logged",
        V7_CSK,
        "ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D",
    ] {
        assert!(
            !log.contains(secret),
            "the log (RUST_LOG=debug) contains {secret:?}:\n{log}"
        );
    }
    eprintln!(
        "note: the session key appears in {} log line(s)",
        log.lines().filter(|l| l.contains(&key)).count()
    );
}

#[test]
fn limits_max_upload_and_session_idle_are_enforced() {
    let config = format!(
        "{}\n[LIMITS]\nMAX_UPLOAD = 100000\nSESSION_IDLE = 1\n",
        whitelist_config()
    );
    let d = Daemon::start("limits", Some(&config));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    cam.announce_ok("youtube", &key, "SAM_0700.JPG", "too big");
    let a = cam.put(&key, "SAM_0700.JPG", &pattern(150_000, 7));
    assert!(
        (400..500).contains(&a.status),
        "an upload over MAX_UPLOAD: {}",
        show(&a.raw)
    );
    assert_nothing_stored(&d, "upload over MAX_UPLOAD");
    // Just under the limit works (same session, still fresh).
    cam.announce_ok("youtube", &key, "SAM_0701.JPG", "fits");
    cam.put(&key, "SAM_0701.JPG", &pattern(99_000, 8))
        .assert_succ();
    // An idle session expires.
    std::thread::sleep(Duration::from_millis(2500));
    let a = cam.announce("youtube", &key, "SAM_0702.JPG", "too late");
    assert_eq!(
        a.status,
        401,
        "announce after SESSION_IDLE: {}",
        show(&a.raw)
    );
    assert!(a.text().contains("Session expired"), "{}", show(&a.raw));
}

#[test]
fn hotspot_answers_alternate_per_client_address() {
    let d = Daemon::start("hotspot-per-client", None);
    let a = d.camera(20);
    let b = d.camera(21);
    let yahoo = get("www.yahoo.co.kr", "/");
    // Client A gets the redirect first; client B's first answer must be the
    // redirect too, even though A's next one is the cookie.
    let a1 = a.send(&yahoo);
    let b1 = b.send(&yahoo);
    let a2 = a.send(&yahoo);
    let b2 = b.send(&yahoo);
    for (who, first, second) in [("A", &a1, &a2), ("B", &b1, &b2)] {
        assert!(
            (300..400).contains(&first.status),
            "client {who}'s first Yahoo check: {}",
            show(&first.raw)
        );
        assert_eq!(
            second.status,
            200,
            "client {who}'s second Yahoo check: {}",
            show(&second.raw)
        );
        assert_eq!(
            second.header("Set-Cookie"),
            Some("samsung=hotspot; Domain=.yahoo.co.kr; Path=/")
        );
    }
}

/// A DNS query for `name` (type A, class IN) with id `id`.
fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

#[test]
fn the_dns_listener_answers_the_samsung_names_with_the_configured_address() {
    let port = free_port();
    let config = format!(
        "{}\n[DNS]\nLISTEN = \"127.0.0.1:{port}\"\nADDRESS = \"10.11.12.13\"\n",
        whitelist_config()
    );
    let _d = Daemon::start("dns", Some(&config));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    sock.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let ask = |id: u16, name: &str| -> Vec<u8> {
        sock.send_to(&dns_query(id, name), ("127.0.0.1", port))
            .expect("send the query");
        let mut buf = [0u8; 512];
        let (n, _) = sock
            .recv_from(&mut buf)
            .unwrap_or_else(|e| panic!("no DNS answer for {name}: {e}"));
        buf[..n].to_vec()
    };
    for (i, name) in [
        "gld.samsungosp.com",
        "snsgw.samsungmobile.com",
        "www.ospserver.net",
        "www.samsungimaging.com",
        "www.yahoo.co.kr",
        "WWW.MSN.COM",
    ]
    .iter()
    .enumerate()
    {
        let id = 0x4000 + i as u16;
        let r = ask(id, name);
        assert!(r.len() > 12, "{name}: short answer {r:?}");
        assert_eq!(u16::from_be_bytes([r[0], r[1]]), id, "{name}: id");
        assert!(r[2] & 0x80 != 0, "{name}: not a response");
        assert_eq!(r[3] & 0x0f, 0, "{name}: rcode {}", r[3] & 0x0f);
        assert!(
            u16::from_be_bytes([r[6], r[7]]) >= 1,
            "{name}: no answer record"
        );
        assert!(
            r.ends_with(&[0, 4, 10, 11, 12, 13]),
            "{name}: the A record is not 10.11.12.13: {r:?}"
        );
    }
    // Names we do not serve are refused (we are no open resolver).
    let r = ask(0x5000, "example.org");
    assert_eq!(u16::from_be_bytes([r[0], r[1]]), 0x5000);
    assert_eq!(r[3] & 0x0f, 5, "example.org should be REFUSED: {r:?}");
    assert_eq!(
        u16::from_be_bytes([r[6], r[7]]),
        0,
        "example.org got an answer"
    );
    // Garbage gets nothing or a short error, and the listener keeps working.
    sock.send_to(&pattern(100, 1), ("127.0.0.1", port)).ok();
    let mut buf = [0u8; 512];
    if let Ok((n, _)) = sock.recv_from(&mut buf) {
        assert!(n <= 100, "a 100-byte garbage datagram got {n} bytes back");
        assert!(n < 3 || buf[2] & 0x80 != 0, "{:?}", &buf[..n]);
        assert!(
            n < 4 || buf[3] & 0x0f != 0,
            "garbage got a NOERROR answer: {:?}",
            &buf[..n]
        );
    }
    let r = ask(0x6000, "gld.samsungosp.com");
    assert!(r.ends_with(&[0, 4, 10, 11, 12, 13]), "{r:?}");
}

#[test]
fn idle_connections_cannot_lock_cameras_out() {
    let config = format!(
        "{}\n[LIMITS]\nMAX_CONNECTIONS = 2\nHEADER_TIMEOUT = 2\n",
        whitelist_config()
    );
    let d = Daemon::start("max-connections", Some(&config));
    // Three connections that never finish their head.
    let idle: Vec<TcpStream> = (0..3)
        .map(|i| {
            let mut s = d.camera(60 + i).connect();
            let _ = s.write_all(b"GET / HTTP/1.1\r\n");
            s
        })
        .collect();
    let t = Instant::now();
    let a = d.camera(70).exchange(&get("gld.samsungosp.com", "/"));
    eprintln!(
        "with 3 idle connections and MAX_CONNECTIONS = 2 a camera was answered {} after {:?}",
        a.status,
        t.elapsed()
    );
    // Served at the latest when the idle ones hit HEADER_TIMEOUT, or refused at once.
    assert!(
        (a.status == 200 && t.elapsed() < Duration::from_secs(5))
            || (a.status == 503 && t.elapsed() < Duration::from_secs(1)),
        "a camera behind idle connections: {} after {:?}",
        show(&a.raw),
        t.elapsed()
    );
    if a.status != 200 {
        // Refused quickly while full; served once the idle ones time out.
        std::thread::sleep(Duration::from_secs(3));
        d.camera(71)
            .send(&get("gld.samsungosp.com", "/"))
            .assert_status(200);
    }
    drop(idle);
}
