//! A real mastodon-mock (from the test venv), plain HTTP or HTTPS with a
//! certificate the test made, seeded with `alice` (token `alice_token`).
//! Nothing here skips: a missing venv fails the test with what to do.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "alice_token";

/// The venv with mastodon-mock: `SAMSUNG_TEST_VENV`, else `<workspace>/.venv`
/// (`frontend-embassy/scripts/test.sh` creates it).
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("SAMSUNG_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv"));
    let bin = venv.join("bin/mastodon_mock");
    assert!(
        bin.exists(),
        "{} is missing: run frontend-embassy/scripts/test.sh (it installs scripts/test-requirements.txt into .venv), or set SAMSUNG_TEST_VENV",
        bin.display()
    );
    venv
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A scratch directory, removed on drop.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("sb-embassy-{}-{n}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("scratch dir");
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate authority and a server certificate it signed, made with
/// the `openssl` command.
#[derive(Debug)]
pub struct Pki {
    pub ca_pem: PathBuf,
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("the openssl command is needed (apt-get install openssl): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Pki {
    /// A new CA (`name`) and a certificate for `localhost` signed by it.
    pub fn new(dir: &Path, name: &str) -> Pki {
        let p = |f: &str| format!("{name}-{f}");
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-subj",
                &format!("/CN=test CA {name}"),
                "-keyout",
                &p("ca.key"),
                "-out",
                &p("ca.pem"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                &p("key.pem"),
                "-out",
                &p("csr.pem"),
            ],
        );
        std::fs::write(dir.join(p("ext.cnf")), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n").expect("ext");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &p("csr.pem"),
                "-CA",
                &p("ca.pem"),
                "-CAkey",
                &p("ca.key"),
                "-CAcreateserial",
                "-days",
                "30",
                "-extfile",
                &p("ext.cnf"),
                "-out",
                &p("cert.pem"),
            ],
        );
        Pki {
            ca_pem: dir.join(p("ca.pem")),
            cert_pem: dir.join(p("cert.pem")),
            key_pem: dir.join(p("key.pem")),
        }
    }
}

/// A running mastodon-mock, killed on drop.
#[derive(Debug)]
pub struct Mock {
    pub port: u16,
    /// The CA its certificate chains to (HTTPS only).
    pub ca: Option<PathBuf>,
    child: Child,
    log: PathBuf,
    dir: Scratch,
}

/// A status as the mock shows it.
#[derive(Debug, Clone)]
pub struct Toot {
    pub id: String,
    pub text: String,
    pub in_reply_to: Option<String>,
    /// (description, url) per attachment.
    pub media: Vec<(Option<String>, String)>,
}

impl Mock {
    /// mastodon-mock on plain HTTP.
    pub fn start() -> Mock {
        Self::spawn(None)
    }

    /// mastodon-mock on HTTPS with `pki`'s certificate.
    pub fn start_tls(pki: &Pki) -> Mock {
        Self::spawn(Some(pki))
    }

    fn spawn(pki: Option<&Pki>) -> Mock {
        let venv = venv();
        let dir = Scratch::new("mock");
        let config = dir.0.join("mastodon_mock.toml");
        std::fs::write(
            &config,
            "[[seed.accounts]]\nusername = \"alice\"\ndisplay_name = \"Alice\"\naccess_token = \"alice_token\"\n",
        )
        .expect("mock config");
        let port = free_port();
        let log = dir.0.join("mock.log");
        let out = std::fs::File::create(&log).expect("mock log");
        let mut cmd = Command::new(venv.join("bin/mastodon_mock"));
        cmd.arg("serve")
            .arg("--config")
            .arg(&config)
            .args([
                "--in-memory",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .current_dir(&dir.0)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out);
        if let Some(p) = pki {
            cmd.arg("--ssl-certfile")
                .arg(&p.cert_pem)
                .arg("--ssl-keyfile")
                .arg(&p.key_pem);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start mastodon-mock: {e}"));
        let mut m = Mock {
            port,
            ca: pki.map(|p| p.ca_pem.clone()),
            child,
            log,
            dir,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(s)) = m.child.try_wait() {
                panic!("mastodon-mock exited with {s}: {}", m.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "mastodon-mock did not start: {}",
                m.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let me = m.get("/api/v1/accounts/verify_credentials");
        assert!(
            me.contains("\"id\""),
            "mastodon-mock does not know alice: {me}"
        );
        m
    }

    /// The base URL as the board's config names it.
    pub fn base_url(&self) -> String {
        match self.ca {
            None => format!("http://127.0.0.1:{}", self.port),
            Some(_) => format!("https://localhost:{}", self.port),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A GET as alice; the body. Over HTTPS through Python's TLS client
    /// (trusting the test CA).
    pub fn get(&self, path: &str) -> String {
        String::from_utf8_lossy(&self.get_bytes(path)).into_owned()
    }

    pub fn get_bytes(&self, path_or_url: &str) -> Vec<u8> {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base_url())
        };
        match &self.ca {
            None => http_get(&url),
            Some(ca) => {
                let py = "import ssl,sys,urllib.request as u\nctx=ssl.create_default_context(cafile=sys.argv[1])\nr=u.urlopen(u.Request(sys.argv[2],headers={'Authorization':'Bearer alice_token'}),context=ctx)\nsys.stdout.buffer.write(r.read())";
                let out = Command::new(venv().join("bin/python"))
                    .args(["-c", py])
                    .arg(ca)
                    .arg(&url)
                    .output()
                    .expect("python");
                assert!(
                    out.status.success(),
                    "GET {url}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                out.stdout
            }
        }
    }

    /// alice's statuses, oldest first.
    pub fn statuses(&self) -> Vec<Toot> {
        let me: serde_json::Value =
            serde_json::from_str(&self.get("/api/v1/accounts/verify_credentials")).expect("json");
        let id = me["id"].as_str().expect("id").to_string();
        let list: serde_json::Value =
            serde_json::from_str(&self.get(&format!("/api/v1/accounts/{id}/statuses?limit=40")))
                .expect("json");
        let mut toots: Vec<Toot> = list
            .as_array()
            .expect("a list")
            .iter()
            .map(|s| Toot {
                id: s["id"].as_str().unwrap_or_default().to_string(),
                text: strip_tags(s["content"].as_str().unwrap_or_default()),
                in_reply_to: s["in_reply_to_id"].as_str().map(str::to_string),
                media: s["media_attachments"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|m| {
                                (
                                    m["description"].as_str().map(str::to_string),
                                    m["url"].as_str().unwrap_or_default().to_string(),
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

    /// Adds a fault rule (`/api/v1/_mock/faults`).
    pub fn add_fault(&self, rule: &str) {
        let r = http(self.port, "POST", "/api/v1/_mock/faults", rule.as_bytes());
        assert!(r.contains("\"id\""), "add fault {rule}: {r}");
    }

    /// How many `METHOD path` requests the mock answered with `status`.
    pub fn count_requests(&self, method: &str, path: &str, status: u16) -> usize {
        self.log()
            .matches(&format!("\"{method} {path} HTTP/1.1\" {status}"))
            .count()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("----- mastodon-mock log -----\n{}", self.log());
        }
        let _ = &self.dir;
    }
}

fn strip_tags(html: &str) -> String {
    let html = html
        .replace("<br>", "\n")
        .replace("<br />", "\n")
        .replace("</p><p>", "\n\n");
    let mut out = String::new();
    let mut tag = false;
    for c in html.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

fn http_get(url: &str) -> Vec<u8> {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let port: u16 = authority
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the mock");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer")
        + 4;
    raw[at..].to_vec()
}

fn http(port: u16, method: &str, path: &str, body: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the mock");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .expect("send");
    s.write_all(body).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    String::from_utf8_lossy(&raw).into_owned()
}
