//! Camera flows through the embassy-net stack against the App, forwarding
//! over real TCP to a real mastodon-mock: hotspot checks, login, announce,
//! PUT, a batch posted as a thread (once, despite a failed post), e-mail to
//! a Mastodon recipient, upstream down or refusing, garbage.

mod common;

use std::time::Duration;

use common::mock::Mock;
use common::*;
use samsung_conformance::fixture::{Check, fixture_dir, load_file};
use samsung_conformance::template::{Piece, jpeg_of_len};

const WAIT: Duration = Duration::from_secs(60);

fn config_for(mock_url: &str) -> samsung_bridge_embassy::BoardConfig {
    board_config(&format!(
        "[MASTODON]\nBASE_URL = \"{mock_url}\"\nTOKEN = \"alice_token\"\n\
         [ACTIONS]\nfacebook = \"mastodon\"\nyoutube = \"drop\"\n\"toot@example.org\" = \"mastodon\"\n\"bin@example.org\" = \"drop\"\n"
    ))
}

/// The head-only requests of a fixture, as bytes, with its status lines.
fn head_requests(name: &str) -> Vec<(Vec<u8>, String)> {
    let f = load_file(&fixture_dir().join(format!("{name}.vector")));
    f.exchanges
        .iter()
        .map(|x| {
            assert!(
                x.body.is_none(),
                "{name}: only head-only vectors are replayed here"
            );
            let mut req = Vec::new();
            for line in &x.head {
                for p in &line.0 {
                    match p {
                        Piece::Lit(b) => req.extend_from_slice(b),
                        other => panic!("{name}: placeholder {other:?} in a head-only vector"),
                    }
                }
                req.extend_from_slice(b"\r\n");
            }
            req.extend_from_slice(b"\r\n");
            let status = x
                .expects
                .iter()
                .find_map(|e| match &e.check {
                    Check::Status(s) => Some(s.clone()),
                    _ => None,
                })
                .expect("a status line");
            (req, status)
        })
        .collect()
}

fn status_matches(want: &str, got: u16) -> bool {
    let got = got.to_string();
    want.len() == 3
        && want
            .chars()
            .zip(got.chars())
            .all(|(w, g)| w == 'x' || w == g)
}

#[test]
fn hotspot_checks_time_login_announce_and_garbage() {
    // No forwarding in this test: the account's server is a closed port.
    let app = app(config_for(&format!(
        "http://127.0.0.1:{}",
        common::mock::free_port()
    )));
    run(app, async |cam| {
        for vector in [
            "v01-hotspot-gld",
            "v02-v03-hotspot-yahoo-pair",
            "v04-hotspot-msn-pair",
            "v05-landing-page",
            "v18-st1000-time",
        ] {
            for (req, want) in head_requests(vector) {
                let answer = exchange(cam, &req).await;
                let got = status(&answer);
                assert!(
                    status_matches(&want, got),
                    "{vector}: status {got}, expected {want}: {}",
                    String::from_utf8_lossy(&answer)
                );
                let fails = samsung_conformance::expect::check_answer(&req, &answer);
                assert!(fails.is_empty(), "{vector}: {fails:?}");
            }
        }
        let key = login(cam, "facebook").await;
        let a = announce(cam, "facebook", &key, "SAM_0001.JPG", "Hello~alt").await;
        assert_eq!(status(&a), 200);
        assert!(
            body(&a).contains(&format!("upload/{key}/SAM_0001.JPG")),
            "{}",
            body(&a)
        );
        // The account's server is down: the camera hears an error, not succ.
        let a = exchange(
            cam,
            &put_request(&key, "SAM_0001.JPG", &jpeg_of_len(2000).unwrap()),
        )
        .await;
        assert_eq!(status(&a), 500, "{}", body(&a));
        assert!(!body(&a).contains("succ"));
        // A drop site: accepted and dropped.
        let key2 = login(cam, "youtube").await;
        assert_eq!(
            status(&announce(cam, "youtube", &key2, "D.JPG", "x").await),
            200
        );
        let a = exchange(
            cam,
            &put_request(&key2, "D.JPG", &jpeg_of_len(300).unwrap()),
        )
        .await;
        assert_eq!(body(&a), "<Response Status=\"succ\" />");
        // A site without an [ACTIONS] entry defaults to store: the board
        // cannot, and says so.
        let key3 = login(cam, "picasa").await;
        assert_eq!(
            status(&announce(cam, "picasa", &key3, "S.JPG", "x").await),
            200
        );
        let a = exchange(
            cam,
            &put_request(&key3, "S.JPG", &jpeg_of_len(300).unwrap()),
        )
        .await;
        assert_eq!(status(&a), 500);
        assert!(
            log_lines()
                .iter()
                .any(|l| l.contains("cannot store (no SD card)")),
            "no log line says why"
        );
        // Garbage: an error answer, not a hang.
        for garbage in [
            &b"\x00\x01\x02 garbage \xff\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: \x01\r\nContent-Length: -3\r\n\r\n",
            b"PUT /upload/nokey/x.jpg HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        ] {
            let a = exchange(cam, garbage).await;
            let s = status(&a);
            assert!((400..500).contains(&s), "garbage {garbage:?} got {s}");
        }
        // The log names requests but never the session key or a password.
        let lines = log_lines();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("PUT snsgw.samsungmobile.com/upload/[session]/SAM_0001.JPG")),
            "{lines:#?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains(&key)
                || l.contains("alice_token")
                || l.contains("camera-net-1"))
        );
    });
}

#[test]
fn a_batch_is_posted_once_as_a_thread_even_when_a_post_fails() {
    let mock = Mock::start();
    // The first status post fails: the poster retries with the same
    // Idempotency-Key, and the thread exists once.
    mock.add_fault(r#"{"match":{"methods":["POST"],"path":"/api/v1/statuses"},"effect":{"type":"status","status":503},"count":1}"#);
    let app = app(config_for(&mock.base_url()));
    let photos: Vec<Vec<u8>> = (0..5)
        .map(|i| jpeg_of_len(3000 + i * 1000).unwrap())
        .collect();
    let toots = run(app, async |cam| {
        let key = login(cam, "facebook").await;
        for (i, data) in photos.iter().enumerate() {
            let name = format!("SAM_{i:04}.JPG");
            let a = announce(cam, "facebook", &key, &name, "Trip~a0~a1~a2~a3~a4").await;
            assert_eq!(status(&a), 200, "{}", body(&a));
            let a = exchange(cam, &put_request(&key, &name, data)).await;
            assert_eq!(body(&a), "<Response Status=\"succ\" />", "photo {i}");
        }
        eventually("the thread on mastodon-mock", WAIT, || {
            let t = mock.statuses();
            (t.len() >= 2).then_some(t)
        })
        .await
    });
    assert_eq!(toots.len(), 2, "{toots:#?}");
    assert_eq!(
        toots[1].in_reply_to.as_deref(),
        Some(toots[0].id.as_str()),
        "a thread"
    );
    assert!(toots[0].text.starts_with("Trip"), "{:?}", toots[0].text);
    let media: Vec<_> = toots.iter().flat_map(|t| t.media.clone()).collect();
    assert_eq!(toots[0].media.len(), 4);
    assert_eq!(media.len(), 5);
    for (i, (alt, url)) in media.iter().enumerate() {
        assert_eq!(alt.as_deref(), Some(format!("a{i}").as_str()));
        assert_eq!(
            mock.get_bytes(url),
            photos[i],
            "photo {i}'s bytes on the server"
        );
    }
    assert_eq!(mock.count_requests("POST", "/api/v1/statuses", 503), 1);
    assert_eq!(
        mock.count_requests("POST", "/api/v2/media", 200),
        5,
        "each photo uploaded once"
    );
}

#[test]
fn an_email_to_a_mastodon_recipient_becomes_one_status() {
    let mock = Mock::start();
    let app = app(config_for(&mock.base_url()));
    let (a, b) = (jpeg_of_len(5000).unwrap(), jpeg_of_len(70_000).unwrap());
    let toots = run(app, async |cam| {
        let req = email(
            &["toot@example.org", "bin@example.org"],
            "Hi from the camera~first~second",
            &[
                ("SAM_1.JPG", "image/jpeg", &a),
                ("SAM_2.JPG", "image/pjpeg", &b),
            ],
        );
        let answer = exchange(cam, &req).await;
        assert_eq!(
            body(&answer),
            "<Response Status=\"succ\" />",
            "{}",
            String::from_utf8_lossy(&answer)
        );
        let first = eventually("the status", WAIT, || {
            let t = mock.statuses();
            (!t.is_empty()).then_some(t)
        })
        .await;
        // Without photos: the text alone.
        let answer = exchange(cam, &email(&["toot@example.org"], "Just words", &[])).await;
        assert_eq!(body(&answer), "<Response Status=\"succ\" />");
        let all = eventually("the text status", WAIT, || {
            let t = mock.statuses();
            (t.len() >= 2).then_some(t)
        })
        .await;
        assert!(
            all[1].text.starts_with("Just words") && all[1].media.is_empty(),
            "{:?}",
            all[1]
        );
        first
    });
    assert_eq!(toots.len(), 1);
    assert!(
        toots[0].text.starts_with("Hi from the camera"),
        "{:?}",
        toots[0].text
    );
    assert_eq!(toots[0].media.len(), 2);
    assert_eq!(toots[0].media[0].0.as_deref(), Some("first"));
    assert_eq!(toots[0].media[1].0.as_deref(), Some("second"));
    assert_eq!(mock.get_bytes(&toots[0].media[0].1), a);
    assert_eq!(mock.get_bytes(&toots[0].media[1].1), b);
}

#[test]
fn upstream_down_or_refusing_gets_an_error_and_the_retry_works() {
    let mock = Mock::start();
    let app = app(config_for(&mock.base_url()));
    let photo = jpeg_of_len(4000).unwrap();
    let toots = run(app, async |cam| {
        let key = login(cam, "facebook").await;
        // The station link is down: error, nothing reaches the server.
        app.upstream().set_up(false);
        assert_eq!(
            status(&announce(cam, "facebook", &key, "P.JPG", "Down~d").await),
            200
        );
        let a = exchange(cam, &put_request(&key, "P.JPG", &photo)).await;
        assert_eq!(status(&a), 500, "{}", body(&a));
        app.upstream().set_up(true);
        // The server refuses the media once: error; the camera's retry
        // of the same photo succeeds and is posted once.
        mock.add_fault(r#"{"match":{"methods":["POST"],"path":"/api/v2/media"},"effect":{"type":"status","status":503},"count":1}"#);
        let a = exchange(cam, &put_request(&key, "P.JPG", &photo)).await;
        assert_eq!(status(&a), 500, "{}", body(&a));
        assert_eq!(
            status(&announce(cam, "facebook", &key, "P.JPG", "Down~d").await),
            200
        );
        let a = exchange(cam, &put_request(&key, "P.JPG", &photo)).await;
        assert_eq!(body(&a), "<Response Status=\"succ\" />");
        // An e-mail while the link is down: error too.
        app.upstream().set_up(false);
        let req = email(
            &["toot@example.org"],
            "x~y",
            &[("E.JPG", "image/jpeg", &photo)],
        );
        let a = exchange(cam, &req).await;
        assert_eq!(status(&a), 500, "{}", body(&a));
        app.upstream().set_up(true);
        // The batch closes when the caption changes (the core's rule).
        assert_eq!(
            status(&announce(cam, "facebook", &key, "Q.JPG", "Next~n").await),
            200
        );
        eventually("the status", WAIT, || {
            let t = mock.statuses();
            (!t.is_empty()).then_some(t)
        })
        .await
    });
    assert_eq!(toots.len(), 1, "{toots:#?}");
    assert_eq!(toots[0].media.len(), 1);
    assert_eq!(mock.get_bytes(&toots[0].media[0].1), photo);
    assert_eq!(mock.count_requests("POST", "/api/v2/media", 200), 1);
}

#[test]
fn stalled_and_cut_off_cameras_get_no_succ_and_nothing_is_posted() {
    let mock = Mock::start();
    let app = app(board_config(&format!(
        "[LIMITS]\nHEADER_TIMEOUT = 1\nBODY_TIMEOUT = 1\n\
         [MASTODON]\nBASE_URL = \"{}\"\nTOKEN = \"alice_token\"\n[ACTIONS]\nfacebook = \"mastodon\"\n",
        mock.base_url()
    )));
    let photo = jpeg_of_len(30_000).unwrap();
    let toots = run(app, async |cam| {
        let connect = async || {
            let s = embassy_net::tcp::TcpSocket::new(
                cam,
                Box::leak(vec![0u8; 4096].into_boxed_slice()),
                Box::leak(vec![0u8; 4096].into_boxed_slice()),
            );
            let mut s = s;
            s.connect((embassy_net::Ipv4Address::from(BOARD_IP), 80))
                .await
                .expect("connect");
            s
        };
        // A head that never ends: an error answer after HEADER_TIMEOUT.
        let mut s = connect().await;
        send_all(&mut s, b"GET / HTTP/1.1\r\nHost: gld.sam").await;
        let a = read_to_end(&mut s).await;
        assert!(
            (400..500).contains(&status(&a)),
            "{}",
            String::from_utf8_lossy(&a)
        );
        let key = login(cam, "facebook").await;
        assert_eq!(
            status(&announce(cam, "facebook", &key, "S.JPG", "Stall~s").await),
            200
        );
        let put = put_request(&key, "S.JPG", &photo);
        // A body that stalls halfway: no succ.
        let mut s = connect().await;
        send_all(&mut s, &put[..put.len() / 2]).await;
        let a = read_to_end(&mut s).await;
        assert!(
            a.is_empty() || status(&a) >= 400,
            "{}",
            String::from_utf8_lossy(&a)
        );
        // A camera that disconnects halfway.
        let mut s = connect().await;
        send_all(&mut s, &put[..put.len() / 3]).await;
        s.close();
        drop(s);
        embassy_time::Timer::after_millis(300).await;
        // Its retry arrives whole and is posted.
        let a = exchange(cam, &put).await;
        assert_eq!(body(&a), "<Response Status=\"succ\" />");
        eventually("the status", WAIT, || {
            let t = mock.statuses();
            (!t.is_empty()).then_some(t)
        })
        .await
    });
    assert_eq!(toots.len(), 1);
    assert_eq!(toots[0].media.len(), 1);
    assert_eq!(mock.get_bytes(&toots[0].media[0].1), photo);
    assert_eq!(
        mock.count_requests("POST", "/api/v2/media", 200),
        1,
        "a cut-off photo reached the server"
    );
}

#[test]
fn three_photos_at_once_share_the_upstream_slots() {
    // More uploads than MAX_UPSTREAM_LINKS at once: the extra one waits for
    // a slot, and all three reach the server.
    const { assert!(samsung_bridge_embassy::MAX_UPSTREAM_LINKS < 3) };
    let mock = Mock::start();
    let app = app(config_for(&mock.base_url()));
    let photos: Vec<Vec<u8>> = (0..3)
        .map(|i| jpeg_of_len(200_000 + i * 7).unwrap())
        .collect();
    let toots = run(app, async |cam| {
        let key = login(cam, "facebook").await;
        for i in 0..3 {
            let a = announce(cam, "facebook", &key, &format!("M{i}.JPG"), "Three~a~b~c").await;
            assert_eq!(status(&a), 200);
        }
        let puts: Vec<Vec<u8>> = (0..3)
            .map(|i| put_request(&key, &format!("M{i}.JPG"), &photos[i]))
            .collect();
        let (a, b, c) = embassy_futures::join::join3(
            exchange(cam, &puts[0]),
            exchange(cam, &puts[1]),
            exchange(cam, &puts[2]),
        )
        .await;
        for answer in [a, b, c] {
            assert_eq!(body(&answer), "<Response Status=\"succ\" />");
        }
        eventually("the status", WAIT, || {
            let t = mock.statuses();
            (!t.is_empty()).then_some(t)
        })
        .await
    });
    assert_eq!(toots.len(), 1);
    let mut got: Vec<Vec<u8>> = toots[0]
        .media
        .iter()
        .map(|m| mock.get_bytes(&m.1))
        .collect();
    got.sort();
    let mut want = photos.clone();
    want.sort();
    assert!(got == want, "the three photos on the server");
}
