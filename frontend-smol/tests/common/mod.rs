//! Shared infrastructure of the end-to-end tests: the real `samsung-bridge`
//! binary in a scratch directory, a camera that speaks raw TCP from a chosen
//! 127.0.0.N address, and the real test servers (aiosmtpd, mastodon-mock)
//! from the Python venv of `scripts/test-requirements.txt`.
//!
//! Every helper fails the test with a message that says what was expected
//! and what happened (with the daemon's log); nothing here skips a test.

#![allow(dead_code)] // each e2e_*.rs binary uses a different subset

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

pub use samsung_conformance::expect::check_answer;
#[allow(unused_imports)] // not every e2e binary uses both
pub use samsung_conformance::template::{TINY_JPEG, jpeg_of_len};

/// The daemon binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_samsung-bridge");

/// How long a daemon may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a test server (Python) may take to start.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the camera waits for an answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// The SECRET of the fixtures and of V22.
pub const SECRET: &str = "xiev5kaMeehaimub";
/// V22: the folder of `Camera@samsungcamera.com` under [`SECRET`].
pub const CAMERA_FOLDER: &str = "yZXbyiz-pZX2DqmBjoRl";
/// The user of the V9/V10 logins.
pub const CAMERA_USER: &str = "Camera@samsungcamera.com";
/// The folder of user `x` (V7) under [`SECRET`] (fixture v15).
pub const X_FOLDER: &str = "1kBxkGqwxA-yWFNVZL5I";

/// The workspace root (parent of this package).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the package lives in the workspace")
        .to_path_buf()
}

/// A TCP port nobody listens on right now, never handed out twice in this
/// process, and below the kernel's ephemeral range where possible (so that
/// an outgoing connection cannot take it before the server binds it).
pub fn free_port() -> u16 {
    static USED: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<usize>().ok())
        .unwrap_or(32768);
    // Spread processes (test binaries) apart; walk the range below `low`.
    let (start, span) = (10_000usize, low.saturating_sub(10_000));
    if span >= 1000 {
        let base = (std::process::id() as usize).wrapping_mul(7919) % span;
        for _ in 0..span {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let port = u16::try_from(start + (base + n * 13) % span).unwrap_or(0);
            if port == 0 || used.contains(&port) {
                continue;
            }
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                used.push(port);
                return port;
            }
        }
    }
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port on 127.0.0.1");
        if !used.contains(&port) {
            used.push(port);
            return port;
        }
    }
}

/// Polls `f` every 25 ms until it returns Some or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() >= timeout {
            return None;
        }
        thread::sleep(Duration::from_millis(25));
    }
}

// ---------------------------------------------------------------------------
// Scratch directories

/// A fresh directory under the system temp dir; removed on drop unless the
/// test is failing (then its path is printed so logs can be read).
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A new empty directory whose name contains `label`.
    pub fn new(label: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let clean: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let path =
            std::env::temp_dir().join(format!("samsung-e2e-{}-{n}-{clean}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("(kept for inspection: {})", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Every regular file below `dir` (recursively), as paths relative to it,
/// sorted. A missing directory has no files.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => walk(root, &p, out),
                Ok(_) => {
                    if let Ok(rel) = p.strip_prefix(root) {
                        out.push(rel.to_path_buf());
                    }
                }
                Err(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------
// The daemon

/// A running `samsung-bridge` in its own scratch directory (its working
/// directory, so the embedded defaults `./uploads`, `./state/...` land
/// there). Killed on drop; can be stopped with SIGTERM or SIGKILL and
/// restarted on the same directory and port.
#[derive(Debug)]
pub struct Daemon {
    /// The daemon's working directory.
    pub dir: PathBuf,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Whether it runs with `--config config.toml` (false: embedded default).
    has_config: bool,
    child: Option<Child>,
    /// Runs so far (each has its own log file).
    runs: usize,
    extra_env: Vec<(String, String)>,
    _temp: TempDir,
}

impl Daemon {
    /// Starts the daemon with `config` written to `config.toml` in a fresh
    /// scratch directory (`None`: no config file, the embedded default).
    pub fn start(label: &str, config: Option<&str>) -> Daemon {
        Daemon::start_with_env(label, config, &[])
    }

    /// [`Daemon::start`] with extra environment variables.
    pub fn start_with_env(label: &str, config: Option<&str>, env: &[(&str, &str)]) -> Daemon {
        let mut d = Daemon::prepare(label, config);
        d.extra_env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        d.spawn();
        d
    }

    /// A daemon that is not started yet (write files into `dir`, then [`Daemon::spawn`]).
    pub fn prepare(label: &str, config: Option<&str>) -> Daemon {
        let temp = TempDir::new(label);
        let dir = temp.path().to_path_buf();
        if let Some(text) = config {
            std::fs::write(dir.join("config.toml"), text).expect("write config.toml");
        }
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        Daemon {
            dir,
            addr,
            has_config: config.is_some(),
            child: None,
            runs: 0,
            extra_env: Vec::new(),
            _temp: temp,
        }
    }

    fn log_path(&self, run: usize) -> PathBuf {
        self.dir.join(format!("daemon-{run}.log"))
    }

    /// Starts (or restarts) the process and waits until it listens.
    pub fn spawn(&mut self) {
        self.spawn_nowait();
        self.wait_listening();
    }

    /// Starts (or restarts) the process without waiting for anything.
    pub fn spawn_nowait(&mut self) {
        assert!(self.child.is_none(), "the daemon is already running");
        self.runs += 1;
        let log = std::fs::File::create(self.log_path(self.runs)).expect("daemon log file");
        let log2 = log.try_clone().expect("daemon log file");
        let mut cmd = Command::new(BIN);
        if self.has_config {
            cmd.arg("--config").arg("config.toml");
        }
        cmd.arg("--listen")
            .arg(self.addr.to_string())
            .current_dir(&self.dir)
            .env_remove("CONFIG")
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(log2)
            .stderr(log);
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"));
        self.child = Some(child);
    }

    fn wait_listening(&mut self) {
        let started = Instant::now();
        let needle = "listening on";
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                panic!(
                    "samsung-bridge exited with {status} before listening on {}; its log:\n{}",
                    self.addr,
                    self.log()
                );
            }
            let log = self.current_log();
            if log.contains(needle) {
                // The line may be written just before the socket is bound.
                if wait_for(Duration::from_secs(5), || {
                    TcpStream::connect_timeout(&self.addr, Duration::from_secs(1))
                        .ok()
                        .map(drop)
                })
                .is_some()
                {
                    return;
                }
            }
            if started.elapsed() > START_TIMEOUT {
                panic!(
                    "samsung-bridge did not say `{needle}` within {START_TIMEOUT:?} (address {}); its log:\n{log}",
                    self.addr
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The log of the current (or last) run.
    pub fn current_log(&self) -> String {
        std::fs::read_to_string(self.log_path(self.runs)).unwrap_or_default()
    }

    /// The logs of every run, separated by a marker line.
    pub fn log(&self) -> String {
        let mut out = String::new();
        for run in 1..=self.runs {
            let _ = writeln!(out, "----- samsung-bridge run {run} -----");
            out.push_str(&std::fs::read_to_string(self.log_path(run)).unwrap_or_default());
        }
        out
    }

    /// Passes the config file through the `CONFIG` environment variable
    /// instead of `--config` (call before [`Daemon::spawn`]).
    pub fn use_config_env(&mut self) {
        assert!(self.has_config, "no config file to pass");
        self.has_config = false;
        self.extra_env
            .push(("CONFIG".to_string(), "config.toml".to_string()));
    }

    /// Rewrites `config.toml` (takes effect at the next start).
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.dir.join("config.toml"), text).expect("write config.toml");
    }

    /// The process id of the running daemon.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the daemon is running").id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends SIGTERM (with `kill -TERM`, no unsafe code).
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed: {status}");
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let status = wait_for(timeout, || child.try_wait().ok().flatten());
        if status.is_some() {
            self.child = None;
        }
        status
    }

    /// SIGTERM and wait for exit; panics (with the log) unless it exits 0
    /// within `timeout`.
    pub fn stop(&mut self, timeout: Duration) {
        self.sigterm();
        match self.wait_exit(timeout) {
            Some(s) if s.success() => {}
            Some(s) => panic!(
                "after SIGTERM the daemon exited with {s}; log:\n{}",
                self.log()
            ),
            None => panic!(
                "the daemon did not exit within {timeout:?} of SIGTERM; log:\n{}",
                self.log()
            ),
        }
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kill (SIGKILL) and start again on the same directory and port.
    pub fn restart_after_kill(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// The upload folder (the embedded default or `UPLOAD_FOLDER = "uploads"`).
    pub fn uploads(&self) -> PathBuf {
        self.dir.join("uploads")
    }

    /// Files below the upload folder, without the temp folder `.incoming`.
    pub fn stored_files(&self) -> Vec<PathBuf> {
        files_under(&self.uploads())
            .into_iter()
            .filter(|p| !p.starts_with(".incoming"))
            .collect()
    }

    /// Files in `UPLOAD_FOLDER/.incoming` (temp files of uploads in flight).
    pub fn incoming_files(&self) -> Vec<PathBuf> {
        files_under(&self.uploads().join(".incoming"))
    }

    /// Every file anywhere in the scratch directory except logs and the config.
    pub fn all_files(&self) -> Vec<PathBuf> {
        files_under(&self.dir)
            .into_iter()
            .filter(|p| {
                let s = p.to_string_lossy();
                !(s.starts_with("daemon-") && s.ends_with(".log")) && s != "config.toml"
            })
            .collect()
    }

    /// A camera connecting from 127.0.0.`n`.
    pub fn camera(&self, n: u8) -> Camera {
        Camera::new(self.addr, n)
    }

    /// Runs `samsung-bridge ARGS` in the daemon's directory and returns its output.
    pub fn run_cli(&self, args: &[&str]) -> Output {
        run_cli_in(&self.dir, args)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
        if thread::panicking() {
            eprintln!("{}", self.log());
        }
    }
}

/// Waits (up to 5 s) until UPLOAD_FOLDER holds neither stored nor temp
/// files; panics with what is left.
pub fn assert_nothing_stored(d: &Daemon, what: &str) {
    let gone = wait_for(Duration::from_secs(5), || {
        (d.incoming_files().is_empty() && d.stored_files().is_empty()).then_some(())
    });
    assert!(
        gone.is_some(),
        "{what}: files left: stored {:?}, temp {:?}",
        d.stored_files(),
        d.incoming_files()
    );
}

/// Runs `samsung-bridge ARGS` in `dir` (no `CONFIG` in its environment).
pub fn run_cli_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN} {args:?}: {e}"))
}

// ---------------------------------------------------------------------------
// Configurations

/// The fixtures' `whitelist` configuration as a config file (senders `x`,
/// `f`, `Camera@samsungcamera.com`; SECRET of V22; no MAIL_SERVER, so
/// e-mails are stored).
pub fn whitelist_config() -> String {
    format!(
        "SECRET = \"{SECRET}\"\nSENDERS = [\"x\", \"f\", \"{CAMERA_USER}\"]\nUPLOAD_FOLDER = \"uploads\"\n"
    )
}

/// [`whitelist_config`] plus Mastodon at `mastodon_url` (token
/// `alice_token`) for the site `facebook` and the recipient
/// `toot@example.org`, and SMTP at `smtp_port` for every other recipient.
pub fn mastodon_config(mastodon_url: &str, smtp_port: u16) -> String {
    format!(
        "{}MAIL_SERVER = \"127.0.0.1\"\nMAIL_PORT = {smtp_port}\n\n[MASTODON]\nBASE_URL = \"{mastodon_url}\"\nTOKEN = \"{MASTODON_TOKEN}\"\n\n[ACTIONS]\nfacebook = \"mastodon\"\n\"toot@example.org\" = \"mastodon\"\n",
        whitelist_config()
    )
}

// ---------------------------------------------------------------------------
// The camera

/// A response as the camera read it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Every byte received until the daemon closed the connection.
    pub raw: Vec<u8>,
    /// Bytes of the first `read()`.
    pub first_read: usize,
    /// Status code (0: no parseable answer).
    pub status: u16,
    /// Header lines (name, value), in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Violations of V21 (single write, complete in the first read,
    /// Content-Length, Connection: close, closed after the answer, …).
    pub v21: Vec<String>,
    /// How long the answer took (from the end of our write).
    pub elapsed: Duration,
}

impl Answer {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the body is the camera's success XML.
    pub fn is_succ(&self) -> bool {
        self.status == 200 && self.body == SUCC
    }

    /// Panics unless V21 holds for this answer.
    pub fn assert_v21(&self) -> &Self {
        assert!(
            self.v21.is_empty(),
            "transport checks (V21) failed: {:?}\nanswer: {}",
            self.v21,
            show(&self.raw)
        );
        self
    }

    /// Panics unless the status is `want`.
    pub fn assert_status(&self, want: u16) -> &Self {
        assert_eq!(
            self.status,
            want,
            "expected status {want}, got answer {}",
            show(&self.raw)
        );
        self
    }

    /// Panics unless this is `<Response Status="succ" />` with 200.
    pub fn assert_succ(&self) -> &Self {
        assert!(
            self.is_succ(),
            "expected 200 + {:?}, got {}",
            String::from_utf8_lossy(SUCC),
            show(&self.raw)
        );
        self
    }

    /// The text between `before` and `after` in the body.
    pub fn capture(&self, before: &str, after: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(before)? + before.len();
        let end = text[start..].find(after)? + start;
        Some(text[start..end].to_string())
    }
}

/// The success body of uploads and e-mails.
pub const SUCC: &[u8] = b"<Response Status=\"succ\" />";

/// A printable excerpt of bytes.
pub fn show(bytes: &[u8]) -> String {
    const MAX: usize = 400;
    let mut s = format!(
        "{:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)])
    );
    if bytes.len() > MAX {
        let _ = write!(s, "… ({} bytes)", bytes.len());
    }
    s
}

/// Head (up to the empty line) of a request, for [`check_answer`].
fn head_of(request: &[u8]) -> &[u8] {
    match find(request, b"\r\n\r\n") {
        Some(i) => &request[..i + 4],
        None => request,
    }
}

/// Position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

struct ParsedHead {
    status: u16,
    headers: Vec<(String, String)>,
    head_len: usize,
}

fn parse_head(raw: &[u8]) -> Option<ParsedHead> {
    let end = find(raw, b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(ParsedHead {
        status,
        headers,
        head_len: end + 4,
    })
}

/// A camera on 127.0.0.`n`: every request on a fresh connection, written
/// with one `write`, the answer read as the camera's firmware would.
#[derive(Debug, Clone)]
pub struct Camera {
    /// The daemon.
    pub addr: SocketAddr,
    /// The camera's own address.
    pub source: Ipv4Addr,
}

impl Camera {
    /// A camera at 127.0.0.`n` talking to `addr`.
    pub fn new(addr: SocketAddr, n: u8) -> Camera {
        Camera {
            addr,
            source: Ipv4Addr::new(127, 0, 0, n),
        }
    }

    /// A connection from the camera's address (any port).
    pub fn connect(&self) -> TcpStream {
        use socket2::{Domain, Protocol, SockAddr, Socket, Type};
        let socket =
            Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("a TCP socket");
        socket
            .bind(&SockAddr::from(SocketAddrV4::new(self.source, 0)))
            .unwrap_or_else(|e| panic!("cannot bind to {}: {e}", self.source));
        socket
            .connect_timeout(&SockAddr::from(self.addr), Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("cannot connect to the daemon at {}: {e}", self.addr));
        let stream: TcpStream = socket.into();
        stream
            .set_read_timeout(Some(ANSWER_TIMEOUT))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(ANSWER_TIMEOUT))
            .expect("write timeout");
        stream
    }

    /// Sends `request` with one write and reads the answer.
    pub fn exchange(&self, request: &[u8]) -> Answer {
        let mut s = self.connect();
        let write_error = s.write_all(request).err();
        let sent = Instant::now();
        let mut a = read_answer(&mut s, head_of(request), sent);
        if let Some(e) = write_error {
            a.v21.push(format!("writing the request failed: {e}"));
        }
        a
    }

    /// Sends `request` in pieces of `chunk` bytes with `pause` between them.
    pub fn exchange_split(&self, request: &[u8], chunk: usize, pause: Duration) -> Answer {
        let cuts: Vec<usize> = (0..request.len())
            .step_by(chunk.max(1))
            .chain([request.len()])
            .collect();
        self.exchange_cuts(request, &cuts, pause)
    }

    /// Sends `request[cuts[i]..cuts[i + 1]]` one after another with `pause`
    /// between them (`cuts` ascending, from 0 to the length).
    pub fn exchange_cuts(&self, request: &[u8], cuts: &[usize], pause: Duration) -> Answer {
        let mut s = self.connect();
        s.set_nodelay(true).expect("nodelay");
        let mut write_error = None;
        for w in cuts.windows(2) {
            if let Err(e) = s.write_all(&request[w[0]..w[1]]) {
                write_error = Some(e);
                break;
            }
            thread::sleep(pause);
        }
        let sent = Instant::now();
        let mut a = read_answer(&mut s, head_of(request), sent);
        if let Some(e) = write_error {
            a.v21.push(format!("writing the request failed: {e}"));
        }
        a
    }

    /// [`Camera::exchange`], asserting V21.
    pub fn send(&self, request: &[u8]) -> Answer {
        let a = self.exchange(request);
        a.assert_v21();
        a
    }

    /// Logs in with `body` on `site`; returns the session key.
    pub fn login(&self, site: &str, body: &str) -> String {
        let a = self.send(&post(&format!("/{site}/auth"), body));
        a.assert_status(200);
        a.capture("SessionKey=\"", "\"")
            .unwrap_or_else(|| panic!("no SessionKey in {}", show(&a.raw)))
    }

    /// Announces a photo (V14 shape, album `NX300`); asserts V21 only.
    pub fn announce(&self, site: &str, key: &str, file: &str, content: &str) -> Answer {
        self.send(&post(
            &format!("/{site}/photo"),
            &announce_body(key, file, content, "NX300"),
        ))
    }

    /// Announces a photo and asserts 200 with the right ResourceID.
    pub fn announce_ok(&self, site: &str, key: &str, file: &str, content: &str) {
        let a = self.announce(site, key, file, content);
        a.assert_status(200);
        let want = format!("ResourceID=\"upload/{key}/{file}\"");
        assert!(
            a.text().contains(&want),
            "announce of {file}: expected {want} in {}",
            show(&a.raw)
        );
    }

    /// PUTs `data` as `file` of session `key`.
    pub fn put(&self, key: &str, file: &str, data: &[u8]) -> Answer {
        self.send(&put_request(key, file, "image/jpeg", data))
    }

    /// Login (plain V10 credentials of `user`/`password`), announce and PUT one photo; asserts succ.
    pub fn upload_one(&self, site: &str, file: &str, content: &str, data: &[u8]) -> String {
        let key = self.login(site, &login_plain(CAMERA_USER, "secret"));
        self.announce_ok(site, &key, file, content);
        self.put(&key, file, data).assert_succ();
        key
    }
}

/// Reads the daemon's answer: one read must hold all of it (V21), then the
/// connection must be closed.
pub fn read_answer(s: &mut TcpStream, request_head: &[u8], sent: Instant) -> Answer {
    let mut v21 = Vec::new();
    let mut buf = vec![0u8; 65536];
    let first = match s.read(&mut buf) {
        Ok(n) => n,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            v21.push(format!("no answer within {ANSWER_TIMEOUT:?}"));
            0
        }
        Err(e) => {
            v21.push(format!("reading the answer failed: {e}"));
            0
        }
    };
    let elapsed = sent.elapsed();
    let mut raw = buf[..first].to_vec();
    let complete_in_first = parse_head(&raw).and_then(|h| {
        let len: usize = h
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))?
            .1
            .parse()
            .ok()?;
        Some(raw.len() >= h.head_len + len)
    });
    // Whatever else comes, until EOF.
    let mut closed = first == 0;
    if first > 0 {
        let deadline = Instant::now() + Duration::from_secs(5);
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        loop {
            match s.read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                    closed = true;
                    break;
                }
                Err(_) => break,
            }
            if Instant::now() > deadline {
                break;
            }
        }
    }
    let parsed = parse_head(&raw);
    if first > 0 {
        match complete_in_first {
            Some(true) => {}
            Some(false) => v21.push(format!(
                "the first read held {first} of {} answer bytes (not one write/segment)",
                raw.len()
            )),
            None => v21.push(format!(
                "the first read ({first} bytes) holds no complete head with Content-Length: {}",
                show(&raw[..first])
            )),
        }
        v21.extend(check_answer(request_head, &raw));
        if !closed {
            v21.push("the daemon did not close the connection after the answer".into());
        }
    }
    let (status, headers, body) = match parsed {
        Some(h) => (h.status, h.headers, raw[h.head_len..].to_vec()),
        None => (0, Vec::new(), Vec::new()),
    };
    Answer {
        raw,
        first_read: first,
        status,
        headers,
        body,
        v21,
        elapsed,
    }
}

// ---------------------------------------------------------------------------
// Requests

/// The social API host.
pub const SNSGW: &str = "snsgw.samsungmobile.com";

/// A POST to the social gateway with a computed Content-Length.
pub fn post(path: &str, body: &str) -> Vec<u8> {
    post_bytes(path, body.as_bytes())
}

/// [`post`] with a binary body.
pub fn post_bytes(path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: {SNSGW}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A GET with `Host: host`.
pub fn get(host: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes()
}

/// The V7 login body (compact camera, encrypted `x` / `z`).
pub const LOGIN_V7: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"58a4c8161c8aa7b1287bc4934a2d89fa952da1cddc5b8f3d84d340123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789a\">\n<UserName Value=\"uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D\"/>\n<Password Value=\"ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n";

/// The V8 login body (NX300 with the garbage line, encrypted `f` / `p`).
#[allow(unused_imports)]
pub use samsung_core::testing::V8_BODY as LOGIN_V8;

/// The V7 CryptSessionKey (key‖IV in base64).
pub const V7_CSK: &str = "//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY=";

/// A V10 (HMX-QF30) login body with plain, URL-encoded credentials.
pub fn login_plain(user: &str, password: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\">\n<UserName Value=\"{}\"/>\n<Password Value=\"{}\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n",
        url_encode(user),
        url_encode(password)
    )
}

/// A V7-style login body with `user`/`password` encrypted under the V7 key.
pub fn login_encrypted(user: &str, password: &str) -> String {
    let k = samsung_core::crypto::session_key_from_b64(V7_CSK).expect("the V7 key decodes");
    let u = samsung_core::crypto::encrypt_value(user, &k);
    let p = samsung_core::crypto::encrypt_value(password, &k);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\" CameraCryptKey=\"00\">\n<UserName Value=\"{u}\"/>\n<Password Value=\"{p}\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\" Value=\"{V7_CSK}\"/>\n<ApplicationKey Value=\"6a563c3967f147d3adfa454ef913535d0d109ba4b4584914\"/>\n</Request>\n"
    )
}

/// Percent-encodes everything but unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A photo announce (V14 shape).
pub fn announce_body(key: &str, file: &str, content: &str, album: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"upload\" Timeout=\"3000\" SessionKey=\"{key}\">\n<Photo>\n<Album Name=\"{album}\"/>\n<File Name=\"{file}\"/>\n<Content>{content}</Content>\n</Photo>\n</Request>\n"
    )
}

/// The head of a PUT of `len` bytes (V15 shape).
pub fn put_head(key: &str, file: &str, content_type: &str, len: usize) -> Vec<u8> {
    format!(
        "PUT /upload/{key}/{file} HTTP/1.1\r\nHost: {SNSGW}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\r\n"
    )
    .into_bytes()
}

/// A whole PUT request.
pub fn put_request(key: &str, file: &str, content_type: &str, data: &[u8]) -> Vec<u8> {
    let mut r = put_head(key, file, content_type, data.len());
    r.extend_from_slice(data);
    r
}

/// The cameras' multipart boundary (27 dashes + 7d93b9550d4a).
#[allow(unused_imports)]
pub use samsung_core::testing::BOUNDARY;

/// One e-mail attachment.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    /// `fileName`.
    pub name: &'a str,
    /// The part's `content-Type` (written with the cameras' trailing `;`).
    pub content_type: &'a str,
    /// Its bytes.
    pub data: &'a [u8],
}

/// The body of a V6 e-mail (the cameras' quirks: `fileName`, lowercase part
/// headers, trailing `;` on types, no closing `--`), lines ending in `eol`.
pub fn email_body(
    sender: &str,
    recipients: &[&str],
    subject: &str,
    text: &str,
    parts: &[Part<'_>],
    eol: &str,
) -> Vec<u8> {
    let receivers: String = recipients
        .iter()
        .map(|r| format!("<receiver>{r}</receiver> "))
        .collect();
    let mut b = Vec::new();
    let line = |b: &mut Vec<u8>, s: &str| {
        b.extend_from_slice(s.as_bytes());
        b.extend_from_slice(eol.as_bytes());
    };
    line(&mut b, &format!("--{BOUNDARY}"));
    line(
        &mut b,
        "content-disposition: form-data; name=\"message\"; fileName=\"sample.txt\"",
    );
    line(&mut b, "content-Type: multipart/form-data;");
    line(&mut b, "");
    line(&mut b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    line(
        &mut b,
        &format!(
            "<email><sender>{sender}</sender><receiverList>{receivers}</receiverList><title><![CDATA[{subject}]]></title>"
        ),
    );
    line(
        &mut b,
        &format!("<body><![CDATA[{text}\\r\\nlanguage_sh100_utf8]]></body></email>"),
    );
    for p in parts {
        line(&mut b, &format!("--{BOUNDARY}"));
        line(
            &mut b,
            &format!(
                "content-disposition: form-data; name=\"binary\"; fileName=\"{}\"",
                p.name
            ),
        );
        line(&mut b, &format!("content-Type: {};", p.content_type));
        line(&mut b, "");
        b.extend_from_slice(p.data);
        b.extend_from_slice(eol.as_bytes());
    }
    line(&mut b, &format!("--{BOUNDARY}"));
    b
}

/// A V6 e-mail request (HTTP/1.0, the NX300 head) around `body`.
pub fn email_request(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST /social/columbus/email?DUID=123456789033 HTTP/1.0\r\n\
         Authorization:OAuth oauth_consumer_key=\"censored\",oauth_nonce=\"censored\",oauth_signature=\"censored=\",oauth_signature_method=\"HmacSHA1\",oauth_timestamp=\"9717886885\",oauth_version=\"1.0\"\r\n\
         x-osp-version:v1\r\n\
         User-Agent: sdeClient\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Pragma: no-cache\r\n\
         Accept-Language: ko\r\n\
         User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)\r\n\
         Host: www.ospserver.net\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Deterministic pseudo-random bytes (content checks of big uploads).
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

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

// ---------------------------------------------------------------------------
// Misc

/// Runs `f` on `n` threads at once and collects the results in order.
pub fn parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let f = &f;
    thread::scope(|s| {
        let handles: Vec<_> = (0..n).map(|i| s.spawn(move || f(i))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// A process-wide lock for tests that must not overlap (e.g. heavy uploads
/// on this 2-core machine).
pub fn heavy_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts how often each value occurs.
pub fn counts<T: Ord + Clone>(items: &[T]) -> BTreeMap<T, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i.clone()).or_insert(0) += 1;
    }
    m
}
