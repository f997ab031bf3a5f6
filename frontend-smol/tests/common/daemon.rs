//! The real daemon in a scratch directory: start, signals, restart, CLI.
//! The same scenarios run against the WASI component when `SAMSUNG_SERVER`
//! says so (see [`Server`]).

use super::*;

// ---------------------------------------------------------------------------
// Which server

/// The server the scenarios run against, from `SAMSUNG_SERVER`:
/// `daemon` (the default), `wasi-jco` or `wasi-wasmtime` (the WASI
/// component, started by `scripts/run-wasi` under that runtime with the
/// same arguments, in the same directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// The `samsung-bridge` binary.
    Daemon,
    /// The component under `WASI_RUNTIME=<runtime>`.
    Wasi(&'static str),
}

/// Things only the daemon has; a scenario that needs one fails (never
/// skips) against the component, so a scenario list that selects it by
/// mistake cannot pass silently.
#[derive(Debug, Clone, Copy)]
pub enum DaemonOnly {
    /// Subcommands (check-config, decrypt, outbox, mastodon-login).
    Cli,
    /// SIGTERM handling: finishing requests in flight, exit status 0. WASI
    /// 0.2 delivers no signals; the runtime just ends.
    GracefulShutdown,
}

impl Server {
    /// The server selected by `SAMSUNG_SERVER`.
    pub fn current() -> Server {
        match std::env::var("SAMSUNG_SERVER").as_deref() {
            Err(_) | Ok("") | Ok("daemon") => Server::Daemon,
            Ok("wasi-jco") => Server::Wasi("jco"),
            Ok("wasi-wasmtime") => Server::Wasi("wasmtime"),
            Ok(other) => {
                panic!("SAMSUNG_SERVER={other:?}: use daemon, wasi-jco or wasi-wasmtime")
            }
        }
    }

    /// Fails the test unless the server under test has `what`.
    pub fn require(what: DaemonOnly) {
        if let Server::Wasi(runtime) = Server::current() {
            panic!(
                "this scenario needs the daemon ({what:?}); it cannot run against the WASI \
                 component under {runtime}: take it out of the component's scenario list"
            );
        }
    }

    /// The command that starts it (arguments and directory are the caller's).
    fn command(self) -> Command {
        match self {
            Server::Daemon => Command::new(BIN),
            Server::Wasi(runtime) => {
                let mut cmd = Command::new(workspace_dir().join("scripts/run-wasi"));
                cmd.env("WASI_RUNTIME", runtime);
                cmd
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The daemon

/// A running `samsung-bridge` (or the WASI component, see [`Server`]) in
/// its own scratch directory (its working directory, so the embedded
/// defaults `./uploads`, `./state/...` land there). Killed on drop; can be stopped with SIGTERM or SIGKILL and
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
        let mut cmd = Server::current().command();
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
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", Server::current()));
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
        Server::require(DaemonOnly::GracefulShutdown);
        self.send_sigterm();
    }

    fn send_sigterm(&self) {
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
    /// within `timeout`. The WASI component has no signal handling (WASI
    /// 0.2 delivers none): SIGTERM ends its runtime at once, with the
    /// runtime's status; everything it answered `succ` for is on disk by then.
    pub fn stop(&mut self, timeout: Duration) {
        self.send_sigterm();
        if let Server::Wasi(_) = Server::current() {
            assert!(
                self.wait_exit(timeout).is_some(),
                "the runtime did not end within {timeout:?} of SIGTERM; log:\n{}",
                self.log()
            );
            return;
        }
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
        Server::require(DaemonOnly::Cli);
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
    Server::require(DaemonOnly::Cli);
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
