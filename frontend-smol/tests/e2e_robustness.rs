//! The daemon under hostile or unusual traffic: requests in tiny pieces,
//! many cameras at once, a large upload, truncated and stalled uploads,
//! path traversal, garbage and odd but valid requests. Nothing may escape
//! UPLOAD_FOLDER, nothing half-written may stay, and nothing gets a 5xx.

mod common;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::path::PathBuf;
use std::time::Duration;

use common::*;

const SMALL_PIECE: usize = 7;
const PAUSE: Duration = Duration::from_millis(2);

#[test]
fn requests_split_into_many_small_writes_work() {
    let d = Daemon::start("split-writes", Some(&whitelist_config()));
    let cam = d.camera(2);
    let a = cam.exchange_split(&post("/facebook/auth", LOGIN_V8), SMALL_PIECE, PAUSE);
    a.assert_v21().assert_status(200);
    let key = a.capture("SessionKey=\"", "\"").expect("a session key");
    let body = announce_body(&key, "SAM_0001.JPG", "split", "NX300");
    cam.exchange_split(&post("/facebook/photo", &body), SMALL_PIECE, PAUSE)
        .assert_v21()
        .assert_status(200);
    cam.exchange_split(
        &put_request(&key, "SAM_0001.JPG", "image/jpeg", TINY_JPEG),
        SMALL_PIECE,
        PAUSE,
    )
    .assert_v21()
    .assert_succ();
    // User `f` (V8) → its HMAC folder.
    let folder = samsung_core::route::user_folder(SECRET.as_bytes(), "f");
    assert_eq!(
        std::fs::read(d.uploads().join(&folder).join("SAM_0001.JPG")).ok(),
        Some(TINY_JPEG.to_vec()),
        "stored files: {:?}",
        d.stored_files()
    );

    // An e-mail (LF) in pieces, cut inside the boundary lines too.
    let mail = email_request(&email_body(
        CAMERA_USER,
        &["friend@example.org"],
        "[Samsung Smart Camera] sent you files.",
        "split",
        &[Part {
            name: "SAM_4371.JPG",
            content_type: "image/jpeg",
            data: TINY_JPEG,
        }],
        "\n",
    ));
    cam.exchange_split(&mail, 13, Duration::from_millis(1))
        .assert_v21()
        .assert_succ();
    assert_eq!(
        std::fs::read(d.uploads().join(CAMERA_FOLDER).join("SAM_4371.JPG")).ok(),
        Some(TINY_JPEG.to_vec())
    );
    // The hotspot check byte by byte.
    cam.exchange_split(&get("gld.samsungosp.com", "/"), 1, Duration::from_millis(1))
        .assert_v21()
        .assert_status(200);
}

#[test]
fn sixteen_cameras_in_parallel_all_get_succ_and_every_file_is_stored() {
    let d = Daemon::start("parallel", None);
    const N: usize = 16;
    let results = parallel(N, |i| {
        let cam = d.camera(10 + i as u8);
        let user = format!("cam{i}@example.org");
        let key = cam.login("facebook", &login_plain(&user, "pw"));
        let file = format!("SAM_{i:04}.JPG");
        cam.announce_ok("facebook", &key, &file, "parallel");
        let a = cam.put(&key, &file, &pattern(200_000 + i, i as u32));
        (user, file, a.is_succ(), show(&a.raw))
    });
    for (user, file, ok, raw) in &results {
        assert!(ok, "{user} uploading {file} got {raw}");
    }
    let stored = d.stored_files();
    assert_eq!(stored.len(), N, "{stored:?}");
    for (i, (user, file, _, _)) in results.iter().enumerate() {
        let folder = samsung_core::route::user_folder(b"", user);
        let data = std::fs::read(d.uploads().join(folder).join(file)).unwrap_or_default();
        assert!(
            data == pattern(200_000 + i, i as u32),
            "{user}'s {file} has {} bytes / wrong content",
            data.len()
        );
    }
    assert!(d.incoming_files().is_empty(), "{:?}", d.incoming_files());
}

#[test]
fn a_thirty_megabyte_upload_is_stored_byte_for_byte() {
    let _heavy = heavy_lock();
    let d = Daemon::start("30mb", Some(&whitelist_config()));
    let cam = d.camera(2);
    let data = pattern(30 * 1024 * 1024, 30);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    cam.announce_ok("youtube", &key, "SAM_0030.JPG", "big");
    cam.put(&key, "SAM_0030.JPG", &data).assert_succ();
    let stored = std::fs::read(d.uploads().join(CAMERA_FOLDER).join("SAM_0030.JPG"))
        .expect("the stored upload");
    assert_eq!(stored.len(), data.len());
    assert!(stored == data, "the stored 30 MB differ from what was sent");
    assert!(d.incoming_files().is_empty(), "{:?}", d.incoming_files());
}

#[test]
fn a_truncated_upload_leaves_no_file_anywhere() {
    let d = Daemon::start("truncated", Some(&whitelist_config()));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    let data = pattern(2 * 1024 * 1024, 7);

    // PUT: 2 MB announced, 600 kB sent, then the camera goes away.
    cam.announce_ok("youtube", &key, "SAM_0100.JPG", "truncated");
    let mut s = cam.connect();
    s.write_all(&put_head(&key, "SAM_0100.JPG", "image/jpeg", data.len()))
        .expect("head");
    s.write_all(&data[..600 * 1024]).expect("part of the body");
    // Make sure the daemon has started writing before the connection drops.
    std::thread::sleep(Duration::from_millis(300));
    s.shutdown(Shutdown::Both).ok();
    drop(s);
    assert_nothing_stored(&d, "PUT closed mid-body");

    // The same for an e-mail.
    let mail = email_request(&email_body(
        CAMERA_USER,
        &["friend@example.org"],
        "[Samsung Smart Camera] sent you files.",
        "truncated",
        &[Part {
            name: "SAM_0101.JPG",
            content_type: "image/jpeg",
            data: &data,
        }],
        "\r\n",
    ));
    let mut s = cam.connect();
    s.write_all(&mail[..mail.len() / 2])
        .expect("half an e-mail");
    std::thread::sleep(Duration::from_millis(300));
    s.shutdown(Shutdown::Both).ok();
    drop(s);
    assert_nothing_stored(&d, "e-mail closed mid-body");

    // The daemon is fine, and the name was never taken (no `-1`).
    cam.announce_ok("youtube", &key, "SAM_0100.JPG", "complete");
    cam.put(&key, "SAM_0100.JPG", &data).assert_succ();
    assert_eq!(
        d.stored_files(),
        [PathBuf::from(CAMERA_FOLDER).join("SAM_0100.JPG")]
    );
}

#[test]
fn a_stalled_upload_times_out_and_leaves_no_file() {
    let config = format!(
        "{}\n[LIMITS]\nBODY_TIMEOUT = 1\nHEADER_TIMEOUT = 1\n",
        whitelist_config()
    );
    let d = Daemon::start("stalled", Some(&config));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    cam.announce_ok("youtube", &key, "SAM_0200.JPG", "stalled");
    let mut s = cam.connect();
    s.write_all(&put_head(&key, "SAM_0200.JPG", "image/jpeg", 100_000))
        .expect("head");
    s.write_all(&[0xAB; 10_000]).expect("some body");
    // Silence: the daemon must give up on its own and close.
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut buf = Vec::new();
    let r = s.read_to_end(&mut buf);
    assert!(
        r.is_ok() || buf.is_empty(),
        "the daemon did not close a stalled upload within 10 s: {r:?}"
    );
    if !buf.is_empty() {
        let status = String::from_utf8_lossy(&buf[..buf.len().min(12)]).into_owned();
        assert!(
            !status.contains(" 200") && !status.contains(" 5"),
            "a stalled upload got {}",
            show(&buf)
        );
    }
    assert_nothing_stored(&d, "stalled PUT");

    // A head that never ends is dropped as well.
    let mut s = cam.connect();
    s.write_all(b"GET / HTTP/1.1\r\nHost: gld.samsu")
        .expect("half a head");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut buf = Vec::new();
    assert!(
        s.read_to_end(&mut buf).is_ok(),
        "an unfinished head was not closed within 10 s"
    );
    assert!(
        buf.is_empty() || !String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 5"),
        "{}",
        show(&buf)
    );
}

#[test]
fn traversal_attempts_never_escape_the_upload_folder() {
    let d = Daemon::start("traversal", Some(&whitelist_config()));
    let cam = d.camera(2);
    let marker = format!("escape{}", std::process::id());
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    let names = [
        format!("../../{marker}"),
        format!("..%2f..%2f{marker}"),
        format!("..%2F..%2F..%2F{marker}"),
        format!("/tmp/{marker}"),
        format!("..\\..\\{marker}"),
        format!("a/../../../{marker}"),
        "..".to_string(),
        ".".to_string(),
        "...".to_string(),
        ".incoming".to_string(),
        format!("{marker}\u{0}.JPG"),
    ];
    let mut report = Vec::new();
    for name in &names {
        // Announce with the hostile name, then PUT to the raw path too.
        let a = cam.exchange(&post(
            "/youtube/photo",
            &announce_body(&key, name, "traversal", "NX300"),
        ));
        assert!(a.status < 500, "announce of {name:?} got {}", show(&a.raw));
        let resource = a.capture("ResourceID=\"", "\"");
        let put = cam.exchange(&put_request(&key, name, "image/jpeg", TINY_JPEG));
        assert!(put.status < 500, "PUT of {name:?} got {}", show(&put.raw));
        let mut put2_status = None;
        if let Some(r) = &resource {
            // The camera is told a sanitized name: one plain segment.
            let sanitized = r
                .strip_prefix(&format!("upload/{key}/"))
                .unwrap_or_else(|| panic!("ResourceID {r:?} for {name:?}"));
            assert!(
                !sanitized.is_empty()
                    && !sanitized.starts_with('.')
                    && !sanitized.contains(['/', '\\', '\0', '%']),
                "announce of {name:?} handed out ResourceID {r:?}"
            );
            let target = format!("/{r}");
            let mut req = format!(
                "PUT {target} HTTP/1.1\r\nHost: {SNSGW}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                TINY_JPEG.len()
            )
            .into_bytes();
            req.extend_from_slice(TINY_JPEG);
            let put2 = cam.exchange(&req);
            assert!(put2.status < 500, "PUT {target:?} got {}", show(&put2.raw));
            put2_status = Some(put2.status);
        }
        report.push((name.clone(), resource, a.status, put.status, put2_status));
    }
    // Session keys with `/` and `..`: unknown sessions, 4xx.
    for bad_key in [
        format!("../../{marker}"),
        format!("{key}/../{key}"),
        format!("..%2f{key}"),
        "..".to_string(),
        format!("{key}/x"),
    ] {
        let a = cam.exchange(&post(
            "/youtube/photo",
            &announce_body(&bad_key, "SAM_0001.JPG", "bad key", "NX300"),
        ));
        assert!(
            (400..500).contains(&a.status),
            "announce with session key {bad_key:?}: {}",
            show(&a.raw)
        );
        let put = cam.exchange(&put_request(&bad_key, &marker, "image/jpeg", TINY_JPEG));
        assert!(
            (400..500).contains(&put.status),
            "PUT with session key {bad_key:?}: {}",
            show(&put.raw)
        );
    }
    // Nothing outside UPLOAD_FOLDER and the state folders.
    let outside: Vec<PathBuf> = d
        .all_files()
        .into_iter()
        .filter(|p| !p.starts_with("uploads") && !p.starts_with("state"))
        .collect();
    assert!(
        outside.is_empty(),
        "files outside UPLOAD_FOLDER: {outside:?}"
    );
    let tmp = std::env::temp_dir();
    for dir in [tmp.clone(), d.dir.clone(), d.dir.join("uploads")] {
        assert!(
            !dir.join(&marker).exists(),
            "{} exists: a traversal escaped",
            dir.join(&marker).display()
        );
    }
    // Whatever was stored is inside one user folder with a plain name.
    for p in d.stored_files() {
        let parts: Vec<_> = p.components().collect();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            parts.len() == 2 && !name.starts_with('.') && !name.contains(['/', '\\', '\0']),
            "stored as {} (answers: {report:?})",
            p.display()
        );
    }
    eprintln!(
        "traversal (name, ResourceID, announce, PUT name, PUT ResourceID): {report:?}\nstored: {:?}",
        d.stored_files()
    );
}

#[test]
fn garbage_gets_a_4xx_or_a_closed_connection_never_a_5xx() {
    let config = format!("{}\n[LIMITS]\nHEADER_TIMEOUT = 2\n", whitelist_config());
    let d = Daemon::start("garbage", Some(&config));
    let cam = d.camera(2);
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("random bytes".into(), pattern(3000, 99)),
        ("NULs".into(), vec![0; 512]),
        ("no version".into(), b"GET /\r\n\r\n".to_vec()),
        ("empty line".into(), b"\r\n\r\n".to_vec()),
        ("HTTP/2 preface".into(), b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()),
        ("TLS hello".into(), {
            let mut v = vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
            v.extend(pattern(500, 5));
            v
        }),
        (
            "negative Content-Length".into(),
            b"POST /facebook/auth HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: -1\r\n\r\n"
                .to_vec(),
        ),
        (
            "non-numeric Content-Length".into(),
            b"POST /facebook/auth HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: abc\r\n\r\n"
                .to_vec(),
        ),
        (
            "conflicting Content-Lengths".into(),
            b"POST /facebook/auth HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello12"
                .to_vec(),
        ),
        (
            "huge Content-Length".into(),
            b"POST /facebook/auth HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: 99999999999999999999999\r\n\r\n"
                .to_vec(),
        ),
        (
            "chunked request".into(),
            b"POST /facebook/auth HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                .to_vec(),
        ),
        (
            "XML garbage login".into(),
            post("/facebook/auth", "<Request Method=\"login\"><UserName Value=\"%zz%\"/><Password Value=\"\x01\"/><CryptSessionKey Value=\"!!!\"/>"),
        ),
        (
            "login with a bad key length".into(),
            post(
                "/facebook/auth",
                "<Request Method=\"login\"><UserName Value=\"uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D\"/><Password Value=\"ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D\"/><CryptSessionKey Use=\"true\" Value=\"AAAA\"/></Request>",
            ),
        ),
        (
            "binary login body".into(),
            post_bytes("/facebook/auth", &pattern(2000, 3)),
        ),
        (
            "unknown method".into(),
            b"BREW /coffee HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\n\r\n".to_vec(),
        ),
        (
            "e-mail without boundary".into(),
            b"POST /social/columbus/email HTTP/1.0\r\nHost: www.ospserver.net\r\nContent-Type: multipart/form-data\r\nContent-Length: 10\r\n\r\n0123456789"
                .to_vec(),
        ),
        (
            "e-mail with garbage multipart".into(),
            {
                let body = pattern(4000, 11);
                let mut r = format!(
                    "POST /social/columbus/email HTTP/1.0\r\nHost: www.ospserver.net\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                r.extend(body);
                r
            },
        ),
        ("a 100 kB header line".into(), {
            let mut r = b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\nX-Long: ".to_vec();
            r.extend(std::iter::repeat_n(b'a', 100_000));
            r.extend_from_slice(b"\r\n\r\n");
            r
        }),
        ("2000 headers".into(), {
            let mut r = b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\n".to_vec();
            for i in 0..2000 {
                r.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
            }
            r.extend_from_slice(b"\r\n");
            r
        }),
        ("a 20 kB path".into(), {
            let mut r = b"GET /".to_vec();
            r.extend(std::iter::repeat_n(b'a', 20_000));
            r.extend_from_slice(b" HTTP/1.1\r\nHost: www.ospserver.net\r\n\r\n");
            r
        }),
        (
            "NUL in the path".into(),
            b"GET /a\0b HTTP/1.1\r\nHost: www.ospserver.net\r\n\r\n".to_vec(),
        ),
        (
            "PUT without Content-Length".into(),
            b"PUT /upload/0123456789abcdef0123456789abcdef/x.JPG HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\n\r\n"
                .to_vec(),
        ),
    ];
    // Requests that stop early (the header timeout closes them).
    cases.push((
        "unfinished head".into(),
        b"POST /facebook/auth HTTP/1.1\r\nHost: snsgw".to_vec(),
    ));
    let mut report = Vec::new();
    for (what, bytes) in &cases {
        let a = cam.exchange(bytes);
        if a.first_read == 0 || a.status == 0 {
            report.push(format!("{what}: closed without an answer"));
        } else {
            assert!(
                (400..500).contains(&a.status),
                "{what}: expected a 4xx or a closed connection, got {}",
                show(&a.raw)
            );
            // A garbage request may have no HTTP version to answer in, and
            // the daemon may stop reading before our write ends.
            let v21: Vec<&String> = a
                .v21
                .iter()
                .filter(|v| !v.contains("request's HTTP") && !v.starts_with("writing the request"))
                .collect();
            assert!(
                v21.is_empty(),
                "{what}: the error answer breaks V21: {v21:?}"
            );
            report.push(format!("{what}: {}", a.status));
        }
        assert!(
            d.stored_files().is_empty(),
            "{what} stored {:?}",
            d.stored_files()
        );
    }
    // Still alive and well.
    cam.send(&get("gld.samsungosp.com", "/")).assert_status(200);
    cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    let log = d.log();
    assert!(
        !log.contains("panicked"),
        "the daemon panicked on garbage:\n{log}"
    );
    eprintln!("garbage answers:\n  {}", report.join("\n  "));
}

#[test]
fn odd_but_well_formed_requests_never_get_a_5xx() {
    let d = Daemon::start("odd", Some(&whitelist_config()));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    let mut report = Vec::new();
    let mut check = |what: &str, a: Answer| {
        assert!(
            a.status != 0 && a.status < 500,
            "{what}: expected an answer below 500, got {}",
            show(&a.raw)
        );
        let v21: Vec<&String> = a
            .v21
            .iter()
            .filter(|v| !v.starts_with("writing the request"))
            .collect();
        assert!(v21.is_empty(), "{what}: {v21:?}");
        report.push(format!("{what}: {}", a.status));
        a
    };
    // An empty file.
    cam.announce_ok("youtube", &key, "SAM_0900.JPG", "empty");
    check("PUT of 0 bytes", cam.put(&key, "SAM_0900.JPG", b""));
    // A PUT of a name that was never announced, and a second PUT of one.
    check(
        "PUT of an unannounced name",
        cam.put(&key, "NEVER_ANNOUNCED.JPG", TINY_JPEG),
    );
    cam.announce_ok("youtube", &key, "SAM_0901.JPG", "twice");
    check("first PUT", cam.put(&key, "SAM_0901.JPG", TINY_JPEG));
    check(
        "second PUT of one announce",
        cam.put(&key, "SAM_0901.JPG", TINY_JPEG),
    );
    // A 300-character name and a Latin-1 one.
    let long = format!("{}.JPG", "A".repeat(300));
    let a = check(
        "announce of a 300-character name",
        cam.send(&post(
            "/youtube/photo",
            &announce_body(&key, &long, "long", "NX300"),
        )),
    );
    if let Some(r) = a.capture("ResourceID=\"", "\"") {
        let name = r.rsplit('/').next().unwrap_or_default().to_string();
        check("PUT of the long name", cam.put(&key, &name, TINY_JPEG));
    }
    // `é` as the single byte E9, in the name and the caption.
    let body: Vec<u8> = announce_body(&key, "SAM_\u{1}.JPG", "caf\u{1}", "NX300")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 1 { 0xE9 } else { b })
        .collect();
    let a = check(
        "Latin-1 name and caption",
        cam.exchange(&post_bytes("/youtube/photo", &body)),
    );
    if let Some(r) = a.capture("ResourceID=\"", "\"") {
        let mut req = format!(
            "PUT /{r} HTTP/1.1\r\nHost: {SNSGW}\r\nContent-Length: {}\r\n\r\n",
            TINY_JPEG.len()
        )
        .into_bytes();
        req.extend_from_slice(TINY_JPEG);
        check("PUT of the Latin-1 name", cam.exchange(&req));
    }
    // An e-mail without attachments, and one with 60 of them.
    let mail = |parts: &[Part<'_>]| {
        email_request(&email_body(
            CAMERA_USER,
            &["friend@example.org"],
            "[Samsung Smart Camera] sent you files.",
            "odd",
            parts,
            "\r\n",
        ))
    };
    check("e-mail without attachments", cam.exchange(&mail(&[])));
    let names: Vec<String> = (0..60).map(|i| format!("M_{i:03}.JPG")).collect();
    let parts: Vec<Part<'_>> = names
        .iter()
        .map(|n| Part {
            name: n,
            content_type: "image/jpeg",
            data: TINY_JPEG,
        })
        .collect();
    check("e-mail with 60 attachments", cam.exchange(&mail(&parts)));
    // 300 logins in a row (sessions are bounded, not a crash).
    for i in 0..300 {
        let a = cam.exchange(&post("/youtube/auth", &login_plain(CAMERA_USER, "secret")));
        assert!(a.status < 500, "login {i}: {}", show(&a.raw));
    }
    // Still serving.
    cam.upload_one("youtube", "SAM_0999.JPG", "after all that", TINY_JPEG);
    for p in d.stored_files() {
        let name = p.file_name().map(|n| n.len()).unwrap_or(0);
        assert!(name <= 255, "{} is too long for a file system", p.display());
    }
    assert!(!d.log().contains("panicked"), "{}", d.log());
    eprintln!(
        "{}\n{} files stored",
        report.join("\n"),
        d.stored_files().len()
    );
}
