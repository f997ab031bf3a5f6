//! The real test servers from the venv: aiosmtpd and mastodon-mock.

use super::*;

// ---------------------------------------------------------------------------
// The Python test servers

/// The venv with aiosmtpd and mastodon-mock: `SAMSUNG_TEST_VENV`, default
/// `<workspace>/.venv`; created from `scripts/test-requirements.txt` when
/// it lacks them. Panics (never skips) when that is impossible.
pub fn venv() -> PathBuf {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    VENV.get_or_init(find_or_create_venv)
        .clone()
        .unwrap_or_else(|e| panic!("the test servers are not available: {e}"))
}

fn venv_ok(venv: &Path) -> bool {
    Command::new(venv.join("bin/python"))
        .args(["-c", "import aiosmtpd, mastodon_mock"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find_or_create_venv() -> Result<PathBuf, String> {
    let venv = std::env::var_os("SAMSUNG_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_dir().join(".venv"));
    if venv_ok(&venv) {
        return Ok(venv);
    }
    let reqs = workspace_dir().join("scripts/test-requirements.txt");
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{cmd:?} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    if !venv.join("bin/python").exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv)).map_err(|e| {
            format!(
                "{} has no venv and creating one failed (install python3-venv, or set SAMSUNG_TEST_VENV): {e}",
                venv.display()
            )
        })?;
    }
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&reqs))
    .map_err(|e| {
        format!(
            "installing {} into {} failed (run scripts/test-all, or set SAMSUNG_TEST_VENV): {e}",
            reqs.display(),
            venv.display()
        )
    })?;
    if venv_ok(&venv) {
        Ok(venv)
    } else {
        Err(format!(
            "{} still cannot import aiosmtpd and mastodon_mock",
            venv.display()
        ))
    }
}

/// A child process killed on drop, with its output in a log file.
#[derive(Debug)]
struct ServerProcess {
    child: Child,
    log: PathBuf,
    what: &'static str,
}

impl ServerProcess {
    fn spawn(what: &'static str, mut cmd: Command, log: PathBuf) -> ServerProcess {
        let out = std::fs::File::create(&log).expect("server log");
        let err = out.try_clone().expect("server log");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} ({cmd:?}): {e}"));
        ServerProcess { child, log, what }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_port(&mut self, port: u16) {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited with {status}; its log:\n{}",
                    self.what,
                    self.log()
                );
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
                // Ours, not someone else's on the same port?
                thread::sleep(Duration::from_millis(100));
                if let Ok(Some(status)) = self.child.try_wait() {
                    panic!(
                        "{} exited with {status}; its log:\n{}",
                        self.what,
                        self.log()
                    );
                }
                return;
            }
            if started.elapsed() > SERVER_START_TIMEOUT {
                panic!(
                    "{} did not listen on {addr} within {SERVER_START_TIMEOUT:?}; its log:\n{}",
                    self.what,
                    self.log()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("----- {} log -----\n{}", self.what, self.log());
        }
    }
}

/// aiosmtpd with the Maildir handler: every accepted message is a file
/// in `maildir/new`.
#[derive(Debug)]
pub struct SmtpServer {
    /// The SMTP port on 127.0.0.1.
    pub port: u16,
    maildir: PathBuf,
    process: ServerProcess,
    _temp: TempDir,
}

/// One message as aiosmtpd received it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    /// `From:`.
    pub from: String,
    /// `To:`.
    pub to: String,
    /// `Subject:`.
    pub subject: String,
    /// The envelope recipients (aiosmtpd's `X-RcptTo`).
    pub rcpt_to: String,
    /// The text/plain body (decoded).
    pub text: String,
    /// The attachments.
    pub attachments: Vec<MailAttachment>,
}

/// One attachment of a [`Mail`].
#[derive(Debug, Clone, serde::Deserialize)]
pub struct MailAttachment {
    /// Its file name.
    pub filename: String,
    /// Its content type (without parameters).
    pub content_type: String,
    /// Its bytes, hex.
    pub hex: String,
}

impl MailAttachment {
    /// The decoded bytes.
    pub fn data(&self) -> Vec<u8> {
        (0..self.hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&self.hex[i..i + 2], 16).expect("hex from the parser"))
            .collect()
    }
}

const MAILDIR_DUMP: &str = r#"
import email, email.policy, json, mailbox, sys
out = []
for key, msg in sorted(mailbox.Maildir(sys.argv[1], create=False).items()):
    m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    text, atts = "", []
    for part in m.walk():
        if part.is_multipart():
            continue
        fn = part.get_filename()
        if fn is not None or part.get_content_disposition() == "attachment":
            atts.append({"filename": fn or "", "content_type": part.get_content_type(),
                         "hex": (part.get_payload(decode=True) or b"").hex()})
        elif part.get_content_type() == "text/plain" and not text:
            text = part.get_content()
    out.append({"from": str(m.get("From", "")), "to": str(m.get("To", "")),
                "subject": str(m.get("Subject", "")), "rcpt_to": str(m.get("X-RcptTo", "")),
                "text": text, "attachments": atts})
print(json.dumps(out))
"#;

impl SmtpServer {
    /// Starts aiosmtpd on a free port.
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(free_port())
    }

    /// Starts aiosmtpd on `port` (from [`free_port`]).
    pub fn start_on(port: u16) -> SmtpServer {
        let venv = venv();
        let temp = TempDir::new("smtp");
        let maildir = temp.path().join("maildir");
        let mut cmd = Command::new(venv.join("bin/python"));
        cmd.args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir);
        let mut process = ServerProcess::spawn("aiosmtpd", cmd, temp.path().join("smtp.log"));
        process.wait_port(port);
        SmtpServer {
            port,
            maildir,
            process,
            _temp: temp,
        }
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<Mail> {
        if !self.maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new(venv().join("bin/python"))
            .args(["-c", MAILDIR_DUMP])
            .arg(&self.maildir)
            .output()
            .expect("run the maildir parser");
        assert!(
            out.status.success(),
            "the maildir parser failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "maildir parser output is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Waits until at least `n` messages arrived; returns them.
    pub fn wait_messages(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        let mut last = Vec::new();
        let got = wait_for(timeout, || {
            last = self.messages();
            (last.len() >= n).then(|| last.clone())
        });
        got.unwrap_or_else(|| {
            panic!(
                "expected {n} e-mail(s) at aiosmtpd within {timeout:?}, got {}: {last:?}\naiosmtpd log:\n{}",
                last.len(),
                self.process.log()
            )
        })
    }
}

/// The token of the seeded mastodon-mock account `alice`.
pub const MASTODON_TOKEN: &str = "alice_token";

/// mastodon-mock, in memory, with `alice` (token [`MASTODON_TOKEN`]).
#[derive(Debug)]
pub struct MastodonServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    process: ServerProcess,
    _temp: TempDir,
}

/// A minimal HTTP/1.0 response.
#[derive(Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                show(&self.body)
            )
        })
    }
}

/// One HTTP/1.0 request to 127.0.0.1:`port` (no keep-alive, no chunking).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        let _ = write!(req, "{k}: {v}\r\n");
    }
    let _ = write!(req, "Content-Length: {}\r\n\r\n", body.len());
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes).expect("send the HTTP request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the HTTP response");
    let head = parse_head(&raw)
        .unwrap_or_else(|| panic!("bad HTTP response from {method} {path}: {}", show(&raw)));
    HttpResponse {
        status: head.status,
        body: raw[head.head_len..].to_vec(),
    }
}

/// A status as mastodon-mock stores it.
#[derive(Debug, Clone)]
pub struct Toot {
    /// Its id.
    pub id: String,
    /// Its HTML content.
    pub content: String,
    /// The id of the status it replies to.
    pub in_reply_to: Option<String>,
    /// Visibility.
    pub visibility: String,
    /// (type, description) of each attachment, in order.
    pub media: Vec<(String, Option<String>)>,
}

impl Toot {
    /// The content without tags and with the usual entities decoded.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        let html = self
            .content
            .replace("<br>", "\n")
            .replace("<br/>", "\n")
            .replace("<br />", "\n")
            .replace("</p><p>", "\n\n");
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
    }
}

impl MastodonServer {
    /// Starts mastodon-mock on a free port.
    pub fn start() -> MastodonServer {
        let venv = venv();
        let temp = TempDir::new("mastodon");
        let config = temp.path().join("mastodon_mock.toml");
        std::fs::write(
            &config,
            "[[seed.accounts]]\nusername = \"alice\"\ndisplay_name = \"Alice\"\naccess_token = \"alice_token\"\n",
        )
        .expect("write the mastodon-mock config");
        let port = free_port();
        let mut cmd = Command::new(venv.join("bin/mastodon_mock"));
        cmd.arg("serve")
            .arg("--config")
            .arg(&config)
            .args(["--in-memory", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .current_dir(temp.path());
        let mut process =
            ServerProcess::spawn("mastodon-mock", cmd, temp.path().join("mastodon.log"));
        process.wait_port(port);
        let m = MastodonServer {
            port,
            process,
            _temp: temp,
        };
        let me = m.get("/api/v1/accounts/verify_credentials");
        assert_eq!(
            me.status,
            200,
            "mastodon-mock does not accept {MASTODON_TOKEN}: {}",
            show(&me.body)
        );
        m
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// GET with alice's token.
    pub fn get(&self, path: &str) -> HttpResponse {
        let auth = format!("Bearer {MASTODON_TOKEN}");
        http(self.port, "GET", path, &[("Authorization", &auth)], b"")
    }

    /// alice's statuses, oldest first.
    pub fn statuses(&self) -> Vec<Toot> {
        let me = self.get("/api/v1/accounts/verify_credentials").json();
        let id = me["id"].as_str().expect("account id").to_string();
        let r = self.get(&format!("/api/v1/accounts/{id}/statuses?limit=40"));
        assert_eq!(r.status, 200, "list statuses: {}", show(&r.body));
        let list = r.json();
        let mut toots: Vec<Toot> = list
            .as_array()
            .expect("a list of statuses")
            .iter()
            .map(|s| Toot {
                id: s["id"].as_str().unwrap_or_default().to_string(),
                content: s["content"].as_str().unwrap_or_default().to_string(),
                in_reply_to: s["in_reply_to_id"].as_str().map(str::to_string),
                visibility: s["visibility"].as_str().unwrap_or_default().to_string(),
                media: s["media_attachments"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|m| {
                                (
                                    m["type"].as_str().unwrap_or_default().to_string(),
                                    m["description"].as_str().map(str::to_string),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        toots.reverse();
        toots
    }

    /// Waits until alice has at least `n` statuses; returns them.
    pub fn wait_statuses(&self, n: usize, timeout: Duration) -> Vec<Toot> {
        let mut last = Vec::new();
        wait_for(timeout, || {
            last = self.statuses();
            (last.len() >= n).then(|| last.clone())
        })
        .unwrap_or_else(|| {
            panic!(
                "expected {n} status(es) on mastodon-mock within {timeout:?}, got {}: {last:#?}",
                last.len()
            )
        })
    }

    /// Adds a fault rule (`/api/v1/_mock/faults`); returns its id.
    pub fn add_fault(&self, rule: &serde_json::Value) -> String {
        let body = rule.to_string();
        let r = http(
            self.port,
            "POST",
            "/api/v1/_mock/faults",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "add fault {rule}: {}", show(&r.body));
        r.json()["id"].as_str().expect("rule id").to_string()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        let r = http(self.port, "DELETE", "/api/v1/_mock/faults", &[], b"");
        assert_eq!(r.status, 200, "clear faults: {}", show(&r.body));
    }

    /// How many requests `METHOD path` the mock logged with status `status`.
    pub fn count_requests(&self, method: &str, path: &str, status: u16) -> usize {
        let needle = format!("\"{method} {path} HTTP/1.1\" {status}");
        self.process.log().matches(&needle).count()
    }

    /// The mock's access log.
    pub fn log(&self) -> String {
        self.process.log()
    }
}
