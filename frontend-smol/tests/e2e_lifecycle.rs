//! The daemon's life: Mastodon or SMTP down while cameras upload, queued
//! jobs across SIGKILL and SIGTERM (posted exactly once, nothing lost, also
//! when an answer was lost on the way), SIGTERM with an upload in flight or
//! right after start, sessions and batches across restarts and broken
//! uploads, temp files swept after a crash, `outbox list|retry`, and the
//! `CONFIG` environment variable.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

fn mastodon_daemon(label: &str, m: &MastodonServer, limits: &str) -> Daemon {
    let config = format!(
        "{}\n[LIMITS]\nSHUTDOWN_GRACE = 5\n{limits}",
        mastodon_config(&m.base_url(), free_port())
    );
    Daemon::start(label, Some(&config))
}

fn fail_with_503(m: &MastodonServer, path: &str) {
    m.add_fault(&json!({
        "match": {"methods": ["POST"], "path": path},
        "effect": {"type": "status", "status": 503}
    }));
}

/// Uploads a one-photo batch `caption~alt` from camera 2; asserts a quick succ.
fn upload_single(d: &Daemon, caption: &str, file: &str) {
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    cam.announce_ok(
        "facebook",
        &key,
        file,
        &format!("{caption}~alt of {caption}"),
    );
    let a = cam.put(&key, file, TINY_JPEG);
    a.assert_succ();
    assert!(
        a.elapsed < Duration::from_secs(3),
        "the camera waited {:?} for its succ while Mastodon is down",
        a.elapsed
    );
}

fn wait_requests(m: &MastodonServer, method: &str, path: &str, status: u16, n: usize) {
    wait_for(Duration::from_secs(20), || {
        (m.count_requests(method, path, status) >= n).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "the daemon did not try {method} {path} (expected {n} × {status}); mock log:\n{}",
            m.log()
        )
    });
}

/// Exactly `n` statuses, also a few seconds later.
fn assert_exactly(m: &MastodonServer, n: usize) -> Vec<Toot> {
    let toots = m.wait_statuses(n, FORWARD_TIMEOUT);
    std::thread::sleep(Duration::from_secs(3));
    let later = m.statuses();
    assert_eq!(
        later.len(),
        n,
        "expected exactly {n} status(es), got {}: {later:#?}",
        later.len()
    );
    assert_eq!(toots.len(), n, "{toots:#?}");
    later
}

#[test]
fn mastodon_down_the_camera_still_gets_succ_and_the_post_appears_once_it_is_back() {
    let m = MastodonServer::start();
    fail_with_503(&m, "/api/v2/media");
    fail_with_503(&m, "/api/v1/statuses");
    let d = mastodon_daemon("mastodon-down", &m, "");
    upload_single(&d, "Down", "SAM_0001.JPG");
    wait_requests(&m, "POST", "/api/v2/media", 503, 1);
    assert!(m.statuses().is_empty());

    // The job is visible in the outbox while it waits.
    let out = d.run_cli(&["--config", "config.toml", "outbox", "list"]);
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success() && listing.to_lowercase().contains("mastodon"),
        "`outbox list` while Mastodon is down: {}\nstdout: {listing}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    m.clear_faults();
    let toots = assert_exactly(&m, 1);
    assert!(toots[0].text().starts_with("Down"), "{toots:#?}");
    assert_eq!(toots[0].media.len(), 1, "{toots:#?}");
    assert_eq!(toots[0].media[0].1.as_deref(), Some("alt of Down"));
}

#[test]
fn a_queued_post_survives_sigkill_and_is_posted_exactly_once() {
    let m = MastodonServer::start();
    fail_with_503(&m, "/api/v1/statuses");
    let mut d = mastodon_daemon("queued-sigkill", &m, "");
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    for f in ["SAM_0001.JPG", "SAM_0002.JPG"] {
        cam.announce_ok("facebook", &key, f, "Killed~k1~k2");
        cam.put(&key, f, TINY_JPEG).assert_succ();
    }
    wait_requests(&m, "POST", "/api/v1/statuses", 503, 1);
    d.kill9();
    m.clear_faults();
    d.spawn();
    let toots = assert_exactly(&m, 1);
    let alts: Vec<Option<&str>> = toots[0].media.iter().map(|(_, a)| a.as_deref()).collect();
    assert_eq!(alts, [Some("k1"), Some("k2")], "{toots:#?}");
    eprintln!(
        "media uploads accepted by the mock: {} (2 = progress was kept across the kill)",
        m.count_requests("POST", "/api/v2/media", 200)
    );
}

#[test]
fn a_queued_post_survives_sigterm_and_is_posted_exactly_once() {
    let m = MastodonServer::start();
    fail_with_503(&m, "/api/v2/media");
    let mut d = mastodon_daemon("queued-sigterm", &m, "");
    upload_single(&d, "Stopped", "SAM_0001.JPG");
    wait_requests(&m, "POST", "/api/v2/media", 503, 1);
    // A job waiting for its retry must not hold up the shutdown.
    let t = Instant::now();
    d.stop(Duration::from_secs(10));
    eprintln!("stopped in {:?} with a job waiting", t.elapsed());
    m.clear_faults();
    d.spawn();
    let toots = assert_exactly(&m, 1);
    assert!(toots[0].text().starts_with("Stopped"), "{toots:#?}");
}

#[test]
fn killed_while_the_status_is_being_posted_it_is_still_posted_exactly_once() {
    let m = MastodonServer::start();
    // The status request takes 2 s; the daemon dies in the middle of it.
    m.add_fault(&json!({
        "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
        "effect": {"type": "latency", "delay_ms": 2000},
        "count": 1
    }));
    let mut d = mastodon_daemon("kill-in-flight", &m, "");
    upload_single(&d, "Inflight", "SAM_0001.JPG");
    wait_requests(&m, "POST", "/api/v2/media", 200, 1);
    std::thread::sleep(Duration::from_millis(700));
    d.kill9();
    // The mock finishes that request on its own; the restarted daemon must
    // not post a second status (same Idempotency-Key).
    std::thread::sleep(Duration::from_secs(2));
    d.spawn();
    let toots = assert_exactly(&m, 1);
    assert!(toots[0].text().starts_with("Inflight"), "{toots:#?}");
    eprintln!(
        "status requests answered 200: {} (2 = the restarted daemon re-sent it and the Idempotency-Key deduplicated it)",
        m.count_requests("POST", "/api/v1/statuses", 200)
    );
}

/// A TCP proxy in front of mastodon-mock that forwards everything, except
/// that the answer to the first `POST /api/v1/statuses` never reaches the
/// daemon: the status is created, but the daemon sees its connection drop.
struct LoseFirstStatusAnswer {
    port: u16,
    dropped: Arc<AtomicBool>,
}

impl LoseFirstStatusAnswer {
    fn start(upstream: u16) -> LoseFirstStatusAnswer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy listener");
        let port = listener.local_addr().expect("proxy address").port();
        let dropped = Arc::new(AtomicBool::new(false));
        let triggered = dropped.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let this_conn = Arc::new(AtomicBool::new(false));
                let (mut c_in, mut s_out) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                let (flag, global) = (this_conn.clone(), triggered.clone());
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = c_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if find(&buf[..n], b"POST /api/v1/statuses").is_some()
                            && !global.swap(true, Ordering::SeqCst)
                        {
                            flag.store(true, Ordering::SeqCst);
                        }
                        if s_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s_out.shutdown(Shutdown::Write);
                });
                let (mut s_in, mut c_out) = (server, client);
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = s_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if this_conn.load(Ordering::SeqCst) {
                            // The status exists now; the daemon never hears of it.
                            let _ = c_out.shutdown(Shutdown::Both);
                            break;
                        }
                        if c_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = c_out.shutdown(Shutdown::Both);
                });
            }
        });
        LoseFirstStatusAnswer { port, dropped }
    }
}

#[test]
fn a_status_whose_answer_was_lost_is_not_posted_twice() {
    let m = MastodonServer::start();
    let proxy = LoseFirstStatusAnswer::start(m.port);
    let config = mastodon_config(&format!("http://127.0.0.1:{}", proxy.port), free_port());
    let d = Daemon::start("lost-answer", Some(&config));
    upload_single(&d, "Lost", "SAM_0001.JPG");
    // The first status request reaches the mock (and is answered 200 there)…
    wait_requests(&m, "POST", "/api/v1/statuses", 200, 1);
    assert!(proxy.dropped.load(Ordering::SeqCst));
    // …the daemon's next attempt looks for it among alice's statuses (a
    // repeated Idempotency-Key is not safe on every server), finds it,
    // and does not post again.
    let me = m.get("/api/v1/accounts/verify_credentials").json();
    let account = me["id"].as_str().expect("account id");
    let lookup = format!("/api/v1/accounts/{account}/statuses?limit=5");
    wait_requests(&m, "GET", &lookup, 200, 1);
    let toots = assert_exactly(&m, 1);
    assert!(toots[0].text().starts_with("Lost"), "{toots:#?}");
    assert_eq!(
        m.count_requests("POST", "/api/v1/statuses", 200),
        1,
        "posted once; mock log:\n{}",
        m.log()
    );
}

#[test]
fn sigterm_lets_an_upload_in_flight_finish_and_exits_zero() {
    let config = format!("{}\n[LIMITS]\nSHUTDOWN_GRACE = 15\n", whitelist_config());
    let mut d = Daemon::start("sigterm-inflight", Some(&config));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    cam.announce_ok("youtube", &key, "SAM_0300.JPG", "in flight");
    let data = pattern(4 * 1024 * 1024, 300);
    let mut s = cam.connect();
    s.write_all(&put_head(&key, "SAM_0300.JPG", "image/jpeg", data.len()))
        .expect("head");
    let (first, rest) = data.split_at(1024 * 1024);
    s.write_all(first).expect("first MB");
    std::thread::sleep(Duration::from_millis(200));
    d.sigterm();
    let sent_term = Instant::now();
    // Once the daemon says it is shutting down, a new camera is not served
    // (refused, or never answered). A connection that raced the signal into
    // the listen backlog may legitimately still be served, hence the wait.
    let shutting = wait_for(Duration::from_secs(3), || {
        d.current_log().contains("shutting down").then_some(())
    });
    if shutting.is_none() {
        std::thread::sleep(Duration::from_millis(500));
    }
    let addr = d.addr;
    let probe = std::thread::spawn(move || {
        let Ok(mut p) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
            return None;
        };
        p.set_read_timeout(Some(Duration::from_secs(20))).ok();
        let _ = p.write_all(&get("gld.samsungosp.com", "/"));
        let a = read_answer(&mut p, b"GET / HTTP/1.1\r\n\r\n", Instant::now());
        Some(a.status)
    });
    for chunk in rest.chunks(256 * 1024) {
        s.write_all(chunk)
            .expect("the rest of the body after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let a = read_answer(
        &mut s,
        &put_head(&key, "SAM_0300.JPG", "image/jpeg", 0),
        Instant::now(),
    );
    a.assert_v21().assert_succ();
    let status = d.wait_exit(Duration::from_secs(20));
    match status {
        Some(s) if s.success() => {}
        other => panic!(
            "after SIGTERM and the upload the daemon should exit 0, got {other:?} after {:?}; log:\n{}",
            sent_term.elapsed(),
            d.log()
        ),
    }
    let stored = std::fs::read(d.uploads().join(CAMERA_FOLDER).join("SAM_0300.JPG"))
        .expect("the upload that was in flight");
    assert!(stored == data, "the upload in flight was stored wrong");
    let probe = probe.join().expect("probe thread");
    assert!(
        probe.is_none_or(|status| status != 200),
        "a new connection after SIGTERM was served (status {probe:?})"
    );
}

#[test]
fn sigterm_right_after_start_exits_zero_promptly() {
    // systemd may stop the bridge at any moment, also right after it said
    // `listening on`: the signal must already be handled then (30 tries,
    // each as soon as the line is there).
    let mut d = Daemon::prepare("sigterm-idle", Some(&whitelist_config()));
    for round in 0..30 {
        d.spawn_nowait();
        let started = Instant::now();
        while !d.current_log().contains("listening on") {
            assert!(
                started.elapsed() < Duration::from_secs(20) && d.is_running(),
                "no `listening on`:\n{}",
                d.current_log()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let t = Instant::now();
        d.sigterm();
        match d.wait_exit(Duration::from_secs(5)) {
            Some(s) if s.success() => {}
            other => panic!(
                "round {round}: SIGTERM right after `listening on` should exit 0 promptly, got {other:?} after {:?}; log:\n{}",
                t.elapsed(),
                d.current_log()
            ),
        }
    }
}

#[test]
fn sessions_survive_a_restart() {
    let mut d = Daemon::start("sessions-restart", Some(&whitelist_config()));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    d.stop(Duration::from_secs(10));
    d.spawn();
    cam.announce_ok("youtube", &key, "SAM_0400.JPG", "after restart");
    cam.put(&key, "SAM_0400.JPG", TINY_JPEG).assert_succ();
    assert_eq!(
        std::fs::read(d.uploads().join(CAMERA_FOLDER).join("SAM_0400.JPG")).ok(),
        Some(TINY_JPEG.to_vec())
    );
    // Announced before the restart, uploaded after it.
    cam.announce_ok("youtube", &key, "SAM_0401.JPG", "across");
    d.stop(Duration::from_secs(10));
    d.spawn();
    cam.put(&key, "SAM_0401.JPG", TINY_JPEG).assert_succ();
    assert!(
        d.uploads()
            .join(CAMERA_FOLDER)
            .join("SAM_0401.JPG")
            .exists(),
        "{:?}",
        d.stored_files()
    );
}

/// Sessions are saved by a timer (at most a second after a change), so a
/// SIGKILL right after a login loses that session; after the save it must
/// survive.
const SESSION_SAVE_DELAY: Duration = Duration::from_millis(1500);

#[test]
fn sessions_survive_sigkill() {
    let mut d = Daemon::start("sessions-sigkill", Some(&whitelist_config()));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    std::thread::sleep(SESSION_SAVE_DELAY);
    d.restart_after_kill();
    let a = cam.announce("youtube", &key, "SAM_0500.JPG", "after kill");
    assert_eq!(
        a.status,
        200,
        "a session answered to the camera was lost by SIGKILL: {}",
        show(&a.raw)
    );
    cam.put(&key, "SAM_0500.JPG", TINY_JPEG).assert_succ();
}

#[test]
fn a_mastodon_batch_spanning_a_restart_is_one_status() {
    let m = MastodonServer::start();
    let mut d = mastodon_daemon("batch-restart", &m, "");
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", "Across~r1~r2");
    cam.put(&key, "SAM_0001.JPG", TINY_JPEG).assert_succ();
    d.stop(Duration::from_secs(10));
    d.spawn();
    cam.announce_ok("facebook", &key, "SAM_0002.JPG", "Across~r1~r2");
    cam.put(&key, "SAM_0002.JPG", TINY_JPEG).assert_succ();
    let toots = assert_exactly(&m, 1);
    let alts: Vec<Option<&str>> = toots[0].media.iter().map(|(_, a)| a.as_deref()).collect();
    assert_eq!(alts, [Some("r1"), Some("r2")], "{toots:#?}");
}

#[test]
fn the_config_env_var_is_used_without_config() {
    let mut d = Daemon::prepare("config-env", Some(&whitelist_config()));
    d.use_config_env();
    d.spawn();
    let cam = d.camera(2);
    // Whitelisted → 200; anyone else → 401 (the embedded default accepts all).
    cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    let a = cam.send(&post(
        "/youtube/auth",
        &login_plain("stranger@example.org", "pw"),
    ));
    a.assert_status(401);
    assert!(
        d.current_log()
            .contains(&format!("listening on {}", d.addr)),
        "the first lines should say `listening on {}`:\n{}",
        d.addr,
        d.current_log()
    );
}

#[test]
fn a_truncated_upload_to_mastodon_queues_and_posts_nothing() {
    let m = MastodonServer::start();
    let d = mastodon_daemon("mastodon-truncated", &m, "");
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", "Cut~alt");
    let data = pattern(500_000, 9);
    let mut s = cam.connect();
    s.write_all(&put_head(&key, "SAM_0001.JPG", "image/jpeg", data.len()))
        .expect("head");
    s.write_all(&data[..200_000]).expect("part");
    std::thread::sleep(Duration::from_millis(300));
    s.shutdown(Shutdown::Both).ok();
    drop(s);
    std::thread::sleep(Duration::from_secs(3));
    assert!(m.statuses().is_empty(), "{:#?}", m.statuses());
    assert_eq!(
        m.count_requests("POST", "/api/v2/media", 200),
        0,
        "{}",
        m.log()
    );
    let out = d.run_cli(&["--config", "config.toml", "outbox", "list"]);
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !listing.contains("SAM_0001") && !listing.to_lowercase().contains("queued"),
        "a truncated upload left an outbox job:\n{listing}"
    );
    assert!(d.incoming_files().is_empty(), "{:?}", d.incoming_files());
    assert!(d.stored_files().is_empty(), "{:?}", d.stored_files());
}

#[test]
fn a_permanently_failed_post_waits_for_outbox_retry_then_posts_once() {
    let m = MastodonServer::start();
    m.add_fault(&json!({
        "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
        "effect": {"type": "status", "status": 422, "body": {"error": "Validation failed"}}
    }));
    let d = mastodon_daemon("outbox-retry", &m, "");
    upload_single(&d, "Retried", "SAM_0001.JPG");
    wait_requests(&m, "POST", "/api/v1/statuses", 422, 1);
    m.clear_faults();
    // A permanent failure is not retried on its own…
    std::thread::sleep(Duration::from_secs(5));
    assert!(m.statuses().is_empty(), "{:#?}", m.statuses());
    let out = d.run_cli(&["--config", "config.toml", "outbox", "list"]);
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listing.contains("422") || listing.to_lowercase().contains("fail"),
        "`outbox list` should show the failed job and why:\n{listing}"
    );
    // …until the user says so.
    let out = d.run_cli(&["--config", "config.toml", "outbox", "retry"]);
    assert!(
        out.status.success(),
        "outbox retry: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toots = assert_exactly(&m, 1);
    assert!(toots[0].text().starts_with("Retried"), "{toots:#?}");
}

#[test]
fn a_mastodon_batch_spanning_a_sigkill_right_after_a_put_is_one_status() {
    let m = MastodonServer::start();
    let mut d = mastodon_daemon("batch-sigkill", &m, "");
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    std::thread::sleep(SESSION_SAVE_DELAY);
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", "Crash~c1~c2");
    cam.put(&key, "SAM_0001.JPG", TINY_JPEG).assert_succ();
    // Killed right after the camera got its succ (before the session timer).
    d.restart_after_kill();
    cam.announce_ok("facebook", &key, "SAM_0002.JPG", "Crash~c1~c2");
    cam.put(&key, "SAM_0002.JPG", TINY_JPEG).assert_succ();
    let toots = assert_exactly(&m, 1);
    let alts: Vec<Option<&str>> = toots[0].media.iter().map(|(_, a)| a.as_deref()).collect();
    assert_eq!(alts, [Some("c1"), Some("c2")], "{toots:#?}");
}

fn mail_to_friend(d: &Daemon, text: &str) {
    let a = d.camera(2).send(&email_request(&email_body(
        CAMERA_USER,
        &["friend@example.org"],
        "[Samsung Smart Camera] sent you files.",
        text,
        &[Part {
            name: "SAM_4371.JPG",
            content_type: "image/jpeg",
            data: TINY_JPEG,
        }],
        "\r\n",
    )));
    a.assert_succ();
    assert!(
        a.elapsed < Duration::from_secs(3),
        "the camera waited {:?} while SMTP is down",
        a.elapsed
    );
}

#[test]
fn smtp_down_the_mail_is_delivered_once_it_is_up_even_across_sigkill() {
    let port = free_port();
    let config = format!(
        "{}MAIL_SERVER = \"127.0.0.1\"\nMAIL_PORT = {port}\n",
        whitelist_config()
    );
    let mut d = Daemon::start("smtp-down", Some(&config));
    mail_to_friend(&d, "first, while SMTP is down");
    // Let it fail at least once, then crash with the job queued.
    std::thread::sleep(Duration::from_secs(1));
    d.kill9();
    d.spawn();
    mail_to_friend(&d, "second, still down");
    std::thread::sleep(Duration::from_secs(1));
    let smtp = SmtpServer::start_on(port);
    let mails = smtp.wait_messages(2, FORWARD_TIMEOUT);
    std::thread::sleep(Duration::from_secs(3));
    let mails = if smtp.messages().len() > mails.len() {
        smtp.messages()
    } else {
        mails
    };
    let texts: Vec<&str> = mails.iter().map(|m| m.text.trim_end()).collect();
    assert_eq!(
        counts(&texts),
        [("first, while SMTP is down", 1), ("second, still down", 1)]
            .into_iter()
            .collect(),
        "each e-mail exactly once: {mails:#?}"
    );
}

#[test]
fn temp_files_of_an_upload_cut_by_sigkill_are_swept_at_the_next_start() {
    let mut d = Daemon::start("sigkill-upload", Some(&whitelist_config()));
    let cam = d.camera(2);
    let key = cam.login("youtube", &login_plain(CAMERA_USER, "secret"));
    cam.announce_ok("youtube", &key, "SAM_0110.JPG", "cut by a crash");
    std::thread::sleep(SESSION_SAVE_DELAY);
    let data = pattern(3 * 1024 * 1024, 110);
    let mut s = cam.connect();
    s.write_all(&put_head(&key, "SAM_0110.JPG", "image/jpeg", data.len()))
        .expect("head");
    s.write_all(&data[..1024 * 1024])
        .expect("a third of the body");
    // The temp file exists while the body streams in.
    let seen = wait_for(Duration::from_secs(5), || {
        (!d.incoming_files().is_empty()).then_some(())
    });
    assert!(
        seen.is_some(),
        "no temp file in UPLOAD_FOLDER/.incoming during an upload (all files: {:?})",
        d.all_files()
    );
    d.kill9();
    drop(s);
    d.spawn();
    let swept = wait_for(Duration::from_secs(5), || {
        d.incoming_files().is_empty().then_some(())
    });
    assert!(
        swept.is_some(),
        "temp files of the killed upload were not swept: {:?}",
        d.incoming_files()
    );
    assert!(d.stored_files().is_empty(), "{:?}", d.stored_files());
    // The camera retries: the name is free.
    cam.announce_ok("youtube", &key, "SAM_0110.JPG", "cut by a crash");
    cam.put(&key, "SAM_0110.JPG", &data).assert_succ();
    assert_eq!(
        d.stored_files(),
        [std::path::PathBuf::from(CAMERA_FOLDER).join("SAM_0110.JPG")]
    );
}

#[test]
fn a_retried_photo_of_a_mastodon_batch_still_makes_one_status() {
    // The first PUT of a two-photo batch breaks off (WiFi gone); the camera
    // announces and uploads that photo again, then the second one.
    let m = MastodonServer::start();
    let d = mastodon_daemon("batch-retry", &m, "");
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    let caption = "Retry~t1~t2";
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", caption);
    let data = pattern(300_000, 12);
    let mut s = cam.connect();
    s.write_all(&put_head(&key, "SAM_0001.JPG", "image/jpeg", data.len()))
        .expect("head");
    s.write_all(&data[..100_000]).expect("part");
    std::thread::sleep(Duration::from_millis(300));
    s.shutdown(Shutdown::Both).ok();
    drop(s);
    std::thread::sleep(Duration::from_millis(300));
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", caption);
    cam.put(&key, "SAM_0001.JPG", TINY_JPEG).assert_succ();
    cam.announce_ok("facebook", &key, "SAM_0002.JPG", caption);
    cam.put(&key, "SAM_0002.JPG", TINY_JPEG).assert_succ();
    let toots = assert_exactly(&m, 1);
    let alts: Vec<Option<&str>> = toots[0].media.iter().map(|(_, a)| a.as_deref()).collect();
    assert_eq!(alts, [Some("t1"), Some("t2")], "{toots:#?}");
}

#[test]
fn a_photo_announced_twice_still_makes_one_status_with_both_photos() {
    // The camera repeats an announce (its answer was lost): the batch still
    // holds two photos, not "two announces".
    let m = MastodonServer::start();
    let d = mastodon_daemon("batch-double-announce", &m, "");
    let cam = d.camera(2);
    let key = cam.login("facebook", LOGIN_V7);
    let caption = "Twice~d1~d2";
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", caption);
    cam.announce_ok("facebook", &key, "SAM_0001.JPG", caption);
    cam.put(&key, "SAM_0001.JPG", TINY_JPEG).assert_succ();
    cam.announce_ok("facebook", &key, "SAM_0002.JPG", caption);
    cam.put(&key, "SAM_0002.JPG", TINY_JPEG).assert_succ();
    let toots = assert_exactly(&m, 1);
    let alts: Vec<Option<&str>> = toots[0].media.iter().map(|(_, a)| a.as_deref()).collect();
    assert_eq!(alts, [Some("d1"), Some("d2")], "{toots:#?}");
}
