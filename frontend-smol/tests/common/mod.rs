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

mod camera;
mod daemon;
mod servers;

pub use camera::*;
pub use daemon::*;
pub use servers::*;

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
