//! The command line (`check-config`, `decrypt`) and INSECURE_DOWNLOAD,
//! which serves stored files but never session or outbox files.

mod common;

use std::path::Path;

use common::*;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write a test file");
}

#[test]
fn check_config_exit_codes_and_routing_table() {
    let tmp = TempDir::new("check-config");
    let dir = tmp.path();
    let good = format!(
        "SECRET = \"s3cr3t-folder-key\"\nSENDERS = [\"{CAMERA_USER}\", \"x\"]\nMAIL_SERVER = \"127.0.0.1\"\nMAIL_PORT = 2525\nMAIL_USERNAME = \"bridge\"\nMAIL_PASSWORD = \"mail-pw-e2e\"\n\n[PASSWORDS]\nx = \"login-pw-e2e\"\n\n[MASTODON]\nBASE_URL = \"http://127.0.0.1:3000\"\nTOKEN = \"token-e2e-123\"\n\n[MASTODON.other]\nBASE_URL = \"http://127.0.0.1:3001\"\nTOKEN = \"token-e2e-456\"\n\n[ACTIONS]\nfacebook = \"mastodon\"\npicasa = \"store.album\"\nyoutube = \"mastodon.other\"\n\"toot@example.org\" = \"mastodon\"\n\"drop@example.org\" = \"drop\"\n"
    );
    write(dir, "good.toml", &good);
    let out = run_cli_in(dir, &["check-config", "good.toml"]);
    let table = stdout(&out) + &stderr(&out);
    assert!(
        out.status.success(),
        "check-config of a valid file: {}\n{table}",
        out.status
    );
    for needle in [
        "facebook",
        "picasa",
        "youtube",
        "toot@example.org",
        "drop@example.org",
        "mastodon",
        "album",
        "127.0.0.1:3001",
        "drop",
        "mail",
    ] {
        assert!(
            table.contains(needle),
            "routing table lacks {needle:?}:\n{table}"
        );
    }
    for secret in [
        "s3cr3t-folder-key",
        "mail-pw-e2e",
        "login-pw-e2e",
        "token-e2e-123",
        "token-e2e-456",
    ] {
        assert!(
            !table.contains(secret),
            "check-config printed a secret ({secret}):\n{table}"
        );
    }

    // Errors: exit 1 and a message naming the key.
    let bad_cases = [
        (
            "forwarding without SENDERS",
            "MAIL_SERVER = \"127.0.0.1\"\n[ACTIONS]\n\"a@b.c\" = \"mail\"\n".to_string(),
            "SENDERS",
        ),
        (
            "invalid TOML",
            "SENDERS = [\"x\"\nSECRET = 1\n".to_string(),
            "line",
        ),
        (
            "unknown action",
            "SENDERS = [\"x\"]\n[ACTIONS]\nfacebook = \"teleport\"\n".to_string(),
            "facebook",
        ),
        (
            "mastodon instance without a section",
            "SENDERS = [\"x\"]\n[MASTODON]\nBASE_URL = \"http://127.0.0.1:3000\"\nTOKEN = \"t\"\n[ACTIONS]\nfacebook = \"mastodon.nowhere\"\n".to_string(),
            "nowhere",
        ),
        (
            "mail action without MAIL_SERVER",
            "SENDERS = [\"x\"]\n[ACTIONS]\n\"a@b.c\" = \"mail\"\n".to_string(),
            "MAIL_SERVER",
        ),
        (
            "wrong type",
            "SENDERS = \"x\"\n".to_string(),
            "SENDERS",
        ),
    ];
    for (what, text, needle) in bad_cases {
        write(dir, "bad.toml", &text);
        let out = run_cli_in(dir, &["check-config", "bad.toml"]);
        let all = stdout(&out) + &stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "check-config with {what} must exit 1; output:\n{all}"
        );
        assert!(
            all.contains(needle),
            "{what}: the message should name {needle:?}:\n{all}"
        );
        assert!(
            all.contains("bad.toml"),
            "{what}: the message should name the file:\n{all}"
        );
    }
    let out = run_cli_in(dir, &["check-config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(1), "missing file: {}", stderr(&out));

    // Without a file: the embedded default (or CONFIG).
    let out = run_cli_in(dir, &["check-config"]);
    assert!(
        out.status.success(),
        "check-config without a file (embedded default): {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let out = std::process::Command::new(BIN)
        .arg("check-config")
        .current_dir(dir)
        .env("CONFIG", "bad.toml")
        .output()
        .expect("run check-config");
    assert_eq!(
        out.status.code(),
        Some(1),
        "check-config with CONFIG=bad.toml must check that file: {}",
        stdout(&out) + &stderr(&out)
    );
}

/// Whether some line that mentions `label` has the word `value`.
fn line_has(text: &str, label: &str, value: &str) -> bool {
    text.lines()
        .filter(|l| l.to_lowercase().contains(label))
        .any(|l| {
            l.split(|c: char| c.is_whitespace() || "\"'=:,`".contains(c))
                .any(|w| w == value)
        })
}

#[test]
fn decrypt_prints_the_user_and_the_password_only_when_asked() {
    let tmp = TempDir::new("decrypt");
    let dir = tmp.path();
    // A captured V7 request, head and body.
    std::fs::write(dir.join("v7.req"), post("/facebook/auth", LOGIN_V7)).expect("write");
    std::fs::write(dir.join("v7.xml"), LOGIN_V7).expect("write");
    for file in ["v7.req", "v7.xml"] {
        let out = run_cli_in(dir, &["decrypt", file]);
        let text = stdout(&out);
        assert!(
            out.status.success(),
            "decrypt {file}: {}\n{text}{}",
            out.status,
            stderr(&out)
        );
        assert!(
            line_has(&text, "user", "x"),
            "decrypt {file} should show user x:\n{text}"
        );
        assert!(
            !line_has(&text, "password", "z"),
            "decrypt {file} without --show-password shows the password:\n{text}"
        );
        assert!(!stderr(&out).contains(" z\n"), "{}", stderr(&out));
        let out = run_cli_in(dir, &["decrypt", file, "--show-password"]);
        let text = stdout(&out);
        assert!(
            out.status.success(),
            "decrypt --show-password: {}",
            stderr(&out)
        );
        assert!(line_has(&text, "user", "x"), "{text}");
        assert!(
            line_has(&text, "password", "z"),
            "decrypt {file} --show-password should show password z:\n{text}"
        );
    }
    // V8 (garbage line) → f / p.
    std::fs::write(dir.join("v8.req"), post("/facebook/auth", LOGIN_V8)).expect("write");
    let out = run_cli_in(dir, &["decrypt", "v8.req", "--show-password"]);
    let text = stdout(&out);
    assert!(
        line_has(&text, "user", "f") && line_has(&text, "password", "p"),
        "{text}"
    );
    // Not a login: exit 1.
    std::fs::write(dir.join("junk.req"), "hello").expect("write");
    let out = run_cli_in(dir, &["decrypt", "junk.req"]);
    assert!(
        !out.status.success(),
        "decrypt of junk succeeded: {}",
        stdout(&out)
    );
}

fn download(cam: &Camera, path: &str) -> Answer {
    cam.exchange(&get("www.samsungimaging.com", path))
}

#[test]
fn insecure_download_serves_stored_files_but_never_sessions_or_the_outbox() {
    // Sessions and the outbox inside UPLOAD_FOLDER: the worst layout.
    // Mastodon is unreachable, so a queued job with its photo stays in the outbox.
    let config = format!(
        "SECRET = \"{SECRET}\"\nSENDERS = [\"{CAMERA_USER}\", \"x\"]\nUPLOAD_FOLDER = \"uploads\"\nSESSION_FOLDER = \"uploads/sessions\"\nOUTBOX_FOLDER = \"uploads/outbox\"\nINSECURE_DOWNLOAD = true\n\n[MASTODON]\nBASE_URL = \"http://127.0.0.1:{}\"\nTOKEN = \"token-e2e\"\n\n[ACTIONS]\nfacebook = \"mastodon\"\n",
        free_port()
    );
    let d = Daemon::start("download", Some(&config));
    let cam = d.camera(2);
    let data = pattern(50_000, 5);
    let key = cam.upload_one("youtube", "SAM_0600.JPG", "download me", &data);
    let fb = cam.login("facebook", LOGIN_V7);
    cam.announce_ok("facebook", &fb, "SAM_0700.JPG", "Queued~alt");
    cam.put(&fb, "SAM_0700.JPG", TINY_JPEG).assert_succ();
    // The session timer saves sessions within a second.
    std::thread::sleep(std::time::Duration::from_millis(1500));

    let a = download(&cam, &format!("/{CAMERA_FOLDER}/SAM_0600.JPG"));
    assert_eq!(a.status, 200, "{}", show(&a.raw));
    assert!(
        a.body == data,
        "the download differs from the upload ({} bytes)",
        a.body.len()
    );
    assert_eq!(
        a.header("Content-Length"),
        Some(data.len().to_string().as_str())
    );
    let a = download(&cam, &format!("/{CAMERA_FOLDER}/"));
    assert_eq!(a.status, 200, "{}", show(&a.raw));
    assert!(a.text().contains("SAM_0600.JPG"), "listing: {}", a.text());

    // Every session or outbox file, under any spelling: never served.
    let state: Vec<String> = files_under(&d.uploads())
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.starts_with("sessions") || p.starts_with("outbox"))
        .collect();
    let mut paths = vec![
        "/sessions/".to_string(),
        "/outbox/".to_string(),
        "/.incoming/".to_string(),
        format!("/sessions/{key}.json"),
        format!("/sessions/{key}"),
        "/../config.toml".to_string(),
        "/%2e%2e/config.toml".to_string(),
        "/..%2fconfig.toml".to_string(),
        format!("/{CAMERA_FOLDER}/../sessions/"),
        format!("/{CAMERA_FOLDER}/%2e%2e/sessions/"),
    ];
    paths.extend(state.iter().map(|p| format!("/{p}")));
    let mut report = Vec::new();
    for p in &paths {
        let a = download(&cam, p);
        report.push(format!("{p} → {}", a.status));
        assert!(
            (400..500).contains(&a.status) || a.status == 0,
            "GET {p} must not be served (session/outbox/outside): {}",
            show(&a.raw)
        );
        assert!(
            !a.text().contains(&key) && !a.text().contains(&fb),
            "GET {p} revealed a session key"
        );
    }
    let listing = download(&cam, "/");
    assert!(
        !listing.text().contains("sessions") && !listing.text().contains("outbox"),
        "the root listing shows the state folders: {}",
        listing.text()
    );
    assert!(
        state.iter().any(|p| p.starts_with("sessions"))
            && state.iter().filter(|p| p.starts_with("outbox")).count() > 1,
        "expected session and outbox files inside UPLOAD_FOLDER to probe, found {state:?}"
    );
    eprintln!("state files found: {state:?}\n{}", report.join("\n"));

    // Without INSECURE_DOWNLOAD nothing is served.
    let d2 = Daemon::start("no-download", Some(&whitelist_config()));
    let cam2 = d2.camera(2);
    cam2.upload_one("youtube", "SAM_0601.JPG", "private", TINY_JPEG);
    let a = download(&cam2, &format!("/{CAMERA_FOLDER}/SAM_0601.JPG"));
    assert_ne!(
        a.status,
        200,
        "served without INSECURE_DOWNLOAD: {}",
        show(&a.raw)
    );
    assert!(a.body != TINY_JPEG);
}
