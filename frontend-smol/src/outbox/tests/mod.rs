//! End-to-end tests of the outbox against real servers run as child
//! processes: mastodon-mock (a stateful Mastodon API with fault injection)
//! and aiosmtpd (an SMTP server writing a Maildir), from the Python venv at
//! `$SAMSUNG_TEST_VENV` (default `<workspace>/.venv`).

use std::collections::BTreeMap;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use samsung_core::crypto::Secret;
use samsung_core::mastodon::Visibility;
use serde_json::Value;

use super::*;
use crate::config::{MailConfig, MailSecurity, MastodonConfig};

/// The venv with the test servers; fails (never skips) when it is missing.
fn venv() -> PathBuf {
    let dir = std::env::var_os("SAMSUNG_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv"));
    assert!(
        dir.join("bin/mastodon_mock").exists() && dir.join("bin/aiosmtpd").exists(),
        "the outbox tests need mastodon-mock and aiosmtpd in a Python venv at {}: \
         run `python3 -m venv {0} && {0}/bin/pip install mastodon-mock aiosmtpd` \
         (or point SAMSUNG_TEST_VENV at one)",
        dir.display()
    );
    dir
}

/// Everything logged (by any test) while this test binary runs.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        lock(&LOG).extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a global subscriber writing into [`LOG`]; returns a reader of it.
fn capture_logs() -> impl Fn() -> String {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        tracing_subscriber::fmt()
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .try_init()
            .expect("another global tracing subscriber is installed in this test binary");
    });
    || String::from_utf8_lossy(&lock(&LOG)).into_owned()
}

/// A directory removed at drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "sb-outbox-{tag}-{}-{}-{:08x}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            disk::random_u32()
        ));
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A child process killed at drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

fn read_json(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut resp = resp.unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Starts mastodon-mock with the given accounts (token `<name>_token`) in
/// `work`. It also exits (removing `work`) when the returned stdin closes:
/// when this test binary ends, however it ends.
fn spawn_mastodon(work: &Path, accounts: &[String]) -> (String, Child, ChildStdin) {
    let config = work.join("mock.toml");
    let mut toml = format!(
        "media_storage_path = \"{}\"\n",
        work.join("media").display()
    );
    for a in accounts {
        toml.push_str(&format!(
            "[[seed.accounts]]\nusername = \"{a}\"\naccess_token = \"{a}_token\"\n"
        ));
    }
    fs::write(&config, toml).unwrap();
    let port = free_port();
    let log = fs::File::create(work.join("server.log")).unwrap();
    let script = r#"
import os, shutil, sys, threading
def watch():
    try:
        sys.stdin.buffer.read()
    finally:
        shutil.rmtree(sys.argv[1], ignore_errors=True)
        os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from mastodon_mock.cli import main
main(sys.argv[2:])
"#;
    let mut child = Command::new(venv().join("bin/python"))
        .args(["-c", script])
        .arg(work)
        .args([
            "serve",
            "--in-memory",
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
        ])
        .arg("--port")
        .arg(port.to_string())
        .arg("--config")
        .arg(&config)
        .current_dir(work)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("cannot start mastodon_mock");
    let stdin = child.stdin.take().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let agent = http();
    let t0 = Instant::now();
    while !agent
        .get(format!("{base}/api/v1/instance"))
        .call()
        .is_ok_and(|r| r.status() == 200)
    {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "mastodon_mock exited ({status}): {}",
                fs::read_to_string(work.join("server.log")).unwrap_or_default()
            );
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "mastodon_mock did not answer"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    (base, child, stdin)
}

/// Accounts of the shared server (one per test that uses it).
const SHARED_ACCOUNTS: usize = 16;

/// The mastodon-mock that tests without fault injection share.
struct SharedMastodon {
    base: String,
    next: AtomicU32,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

/// A mastodon-mock account to post as: on a server of its own (faults
/// are server-wide) or on the shared one.
struct Mastodon {
    base: String,
    /// This account's token.
    token: String,
    agent: ureq::Agent,
    _own: Option<(Server, ChildStdin, TempDir)>,
}

impl Mastodon {
    /// A server of its own, account `alice`.
    fn start() -> Mastodon {
        let dir = TempDir::new("mastodon");
        let (base, child, stdin) = spawn_mastodon(dir.path(), &[String::from("alice")]);
        Mastodon {
            base,
            token: String::from("alice_token"),
            agent: http(),
            _own: Some((Server(child), stdin, dir)),
        }
    }

    /// A fresh account on the shared server (no faults there!).
    fn shared() -> Mastodon {
        static SHARED: OnceLock<SharedMastodon> = OnceLock::new();
        let s = SHARED.get_or_init(|| {
            let work = std::env::temp_dir().join(format!(
                "sb-outbox-shared-mastodon-{}-{:08x}",
                std::process::id(),
                disk::random_u32()
            ));
            fs::create_dir_all(&work).unwrap();
            let accounts: Vec<String> = (0..SHARED_ACCOUNTS).map(|i| format!("user{i}")).collect();
            let (base, child, stdin) = spawn_mastodon(&work, &accounts);
            SharedMastodon {
                base,
                next: AtomicU32::new(0),
                _child: Mutex::new(child),
                _stdin: Mutex::new(stdin),
            }
        });
        let n = s.next.fetch_add(1, Ordering::Relaxed) as usize;
        assert!(n < SHARED_ACCOUNTS, "raise SHARED_ACCOUNTS");
        Mastodon {
            base: s.base.clone(),
            token: format!("user{n}_token"),
            agent: http(),
            _own: None,
        }
    }

    fn config(&self, token: &str) -> MastodonConfig {
        MastodonConfig {
            base_url: format!("{}/", self.base),
            token: Secret::new(format!("{token}\n")),
            token_file: None,
            postscript: Some(String::from("#samsung #nx300")),
            visibility: Some(Visibility::Unlisted),
        }
    }

    fn fault(&self, rule: Value) {
        let (status, body) = read_json(
            self.agent
                .post(format!("{}/api/v1/_mock/faults", self.base))
                .header("Content-Type", "application/json")
                .send(rule.to_string()),
        );
        assert_eq!(status, 200, "fault rule rejected: {body}");
    }

    fn faults_left(&self) -> usize {
        let (_, v) = read_json(
            self.agent
                .get(format!("{}/api/v1/_mock/faults", self.base))
                .call(),
        );
        v.as_array()
            .or_else(|| v.get("rules").and_then(Value::as_array))
            .map_or(0, Vec::len)
    }

    fn clear_faults(&self) {
        let r = self
            .agent
            .delete(format!("{}/api/v1/_mock/faults", self.base))
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    fn get(&self, path: &str) -> Value {
        let (status, v) = read_json(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {}", self.token))
                .call(),
        );
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    /// Alice's statuses, oldest first.
    fn statuses(&self) -> Vec<Value> {
        let me = self.get("/api/v1/accounts/verify_credentials");
        let id = me["id"].as_str().unwrap();
        let mut v = self.get(&format!("/api/v1/accounts/{id}/statuses?limit=40"));
        let mut list = v.as_array_mut().map(std::mem::take).unwrap_or_default();
        list.reverse();
        list
    }

    fn source_text(&self, status: &Value) -> String {
        let id = status["id"].as_str().unwrap();
        self.get(&format!("/api/v1/statuses/{id}/source"))["text"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn fetch(&self, url: &str) -> Vec<u8> {
        let mut r = self.agent.get(url).call().unwrap();
        assert_eq!(r.status(), 200, "{url}");
        r.body_mut().read_to_vec().unwrap()
    }

    fn upload_directly(&self, data: &[u8]) -> String {
        self.upload_as("v.mp4", "video/mp4", data)
    }

    /// A media uploaded (and ready) outside any job; its id.
    fn upload_as(&self, file_name: &str, content_type: &str, data: &[u8]) -> String {
        let boundary = "testboundary1234";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let (status, v) = read_json(
            self.agent
                .post(format!("{}/api/v2/media", self.base))
                .header("Authorization", format!("Bearer {}", self.token))
                .header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .send(&body[..]),
        );
        assert_eq!(status, 200, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }
}

/// A TCP proxy in front of a server that forwards everything, except the
/// answer to the first request starting with `needle`: that one reaches
/// the server (and is carried out), then the client's connection drops.
struct LoseFirstAnswer {
    /// `http://127.0.0.1:<port>` of the proxy.
    base: String,
}

impl LoseFirstAnswer {
    fn start(upstream: &str, needle: &'static [u8]) -> LoseFirstAnswer {
        use std::io::{Read, Write};
        use std::net::{Shutdown, TcpStream};
        use std::sync::Arc;
        use std::sync::atomic::AtomicBool;

        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let used = Arc::new(AtomicBool::new(false));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let lose = Arc::new(AtomicBool::new(false));
                let (mut from_client, mut to_server) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (this, first) = (Arc::clone(&lose), Arc::clone(&used));
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut start = true;
                    while let Ok(n) = from_client.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if start
                            && buf[..n].starts_with(needle)
                            && !first.swap(true, Ordering::SeqCst)
                        {
                            this.store(true, Ordering::SeqCst);
                        }
                        start = false;
                        if to_server.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to_server.shutdown(Shutdown::Write);
                });
                let (mut from_server, mut to_client) = (server, client);
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = from_server.read(&mut buf) {
                        if n == 0 || lose.load(Ordering::SeqCst) {
                            break;
                        }
                        if to_client.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to_client.shutdown(Shutdown::Both);
                });
            }
        });
        LoseFirstAnswer { base }
    }
}

/// aiosmtpd writing every message into a Maildir.
struct Smtp {
    port: u16,
    maildir: PathBuf,
    _server: Server,
}

impl Smtp {
    fn start(port: u16, dir: &Path) -> Smtp {
        let venv = venv();
        let maildir = dir.join("maildir");
        let log = fs::File::create(dir.join(format!("smtp-{port}.log"))).unwrap();
        let child = Command::new(venv.join("bin/python"))
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot start aiosmtpd");
        let server = Server(child);
        wait_until("aiosmtpd to listen", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Smtp {
            port,
            maildir,
            _server: server,
        }
    }

    /// The received messages, parsed by Python's `email` package.
    fn messages(maildir: &Path) -> Vec<Value> {
        if !maildir.join("new").is_dir() {
            return Vec::new();
        }
        let script = r#"
import sys, json, mailbox, email, email.policy
box = mailbox.Maildir(sys.argv[1], create=False)
out = []
for key in sorted(box.keys()):
    m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    body, atts = None, []
    for part in m.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name:
            atts.append({"name": name, "type": part.get_content_type(),
                         "hex": part.get_payload(decode=True).hex()})
        elif part.get_content_type() == "text/plain" and body is None:
            body = part.get_content()
    out.append({"from": str(m["From"]), "to": str(m["To"]), "subject": str(m["Subject"]),
                "reply_to": str(m["Reply-To"]), "message_id": str(m["Message-ID"]),
                "rcpt": str(m["X-RcptTo"]), "multipart": m.is_multipart(),
                "body": body, "attachments": atts})
print(json.dumps(out))
"#;
        let out = Command::new(venv().join("bin/python"))
            .args(["-c", script])
            .arg(maildir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .cloned()
            .unwrap()
    }

    fn config(port: u16) -> MailConfig {
        MailConfig {
            server: String::from("127.0.0.1"),
            port,
            username: None,
            password: None,
            security: MailSecurity::None,
            from: None,
        }
    }
}

/// Short delays so that retries take milliseconds.
fn fast() -> OutboxSettings {
    OutboxSettings {
        backoff_base: Duration::from_millis(50),
        backoff_cap: Duration::from_millis(400),
        rescan_interval: Duration::from_millis(50),
        http_timeout: Duration::from_secs(10),
        smtp_timeout: Duration::from_secs(10),
        media_processing_wait: Duration::from_secs(20),
        shell_timeout: Duration::from_secs(20),
        ..OutboxSettings::default()
    }
}

fn with_mastodon(m: &Mastodon, token: &str) -> OutboxSettings {
    OutboxSettings {
        mastodon: BTreeMap::from([(None, m.config(token))]),
        ..fast()
    }
}

fn job(dir: &Path, id: &JobId) -> JobSummary {
    Outbox::list(dir)
        .unwrap()
        .into_iter()
        .find(|j| j.id == id.as_str())
        .unwrap_or_else(|| panic!("job {id} not listed"))
}

fn wait_state(dir: &Path, id: &JobId, state: JobState) -> JobSummary {
    let t0 = Instant::now();
    loop {
        let j = job(dir, id);
        if j.state == state {
            return j;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "job {id} never became {state:?}: {j:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Test files: distinct bytes per name, written to `dir`.
fn media(dir: &Path, n: usize, alts: bool) -> Vec<MediaFile> {
    (0..n)
        .map(|i| {
            let path = dir.join(format!("upload-{i}.tmp"));
            fs::write(&path, photo(i)).unwrap();
            MediaFile {
                path,
                file_name: format!("SAM_{:04}.JPG", i + 1),
                content_type: Some(String::from(if i == 0 {
                    "image/pjpeg"
                } else {
                    "image/jpeg"
                })),
                alt: alts.then(|| format!("alt text {}", i + 1)),
            }
        })
        .collect()
}

fn photo(i: usize) -> Vec<u8> {
    let mut d = vec![0xFF, 0xD8, 0xFF, 0xE0];
    d.extend(
        format!("photo {i} ")
            .as_bytes()
            .iter()
            .cycle()
            .take(3000 + i),
    );
    d.extend([0x0D, 0x0A, b'-', b'-', 0xFF, 0xD9]);
    d
}

fn media_of(status: &Value) -> Vec<Value> {
    status["media_attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

mod mail_shell;
mod mastodon_jobs;
