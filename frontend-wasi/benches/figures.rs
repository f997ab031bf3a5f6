//! The component's figures next to the daemon's, in one run: component
//! size, start-up time to the first answer, and hotspot-check requests per
//! second over loopback, for the daemon and the component under each
//! runtime. Prints a table; asserts nothing about speed.
//!
//! `scripts/test-wasi` runs it after building everything:
//! `SAMSUNG_DAEMON=target/release/samsung-bridge
//!  SAMSUNG_WASI_COMPONENT=….wasm WASI_FIGURE_RUNTIMES="jco wasmtime"
//!  cargo bench -p samsung-bridge-wasi --bench figures`.
//! Knobs: `FIGURE_SECONDS` (hotspot phase per server, default 5),
//! `FIGURE_CLIENTS` (concurrent client threads, default 16), `FIGURE_STARTS`
//! (start-ups measured per server, median printed, default 3).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const HOTSPOT: &[u8] = b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\nUser-Agent: figures\r\n\r\n";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn env_path(name: &str) -> PathBuf {
    match std::env::var_os(name) {
        Some(p) => PathBuf::from(p),
        None => panic!("{name} is not set (scripts/test-wasi sets it)"),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A server process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One hotspot check on a fresh connection; whether it got a 200.
fn hotspot(addr: SocketAddr) -> bool {
    let answer = (|| {
        let mut s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(HOTSPOT)?;
        let mut resp = Vec::with_capacity(512);
        s.read_to_end(&mut resp)?;
        Ok::<_, std::io::Error>(resp)
    })();
    answer.is_ok_and(|r| r.starts_with(b"HTTP/1.1 200"))
}

/// Starts a server in `dir` and measures the time until its first 200.
fn start(cmd: &mut Command, addr: SocketAddr) -> (Server, Duration) {
    let t0 = Instant::now();
    let server = Server(cmd.spawn().expect("start the server"));
    while !hotspot(addr) {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no answer within 60 s"
        );
        thread::sleep(Duration::from_millis(5));
    }
    (server, t0.elapsed())
}

/// Hotspot checks from `clients` threads for `seconds`: (answers/s, errors).
fn hotspot_rate(addr: SocketAddr, clients: usize, seconds: u64) -> (f64, u64) {
    let done = AtomicU64::new(0);
    let errors = AtomicU64::new(0);
    let until = Instant::now() + Duration::from_secs(seconds);
    let t0 = Instant::now();
    thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                while Instant::now() < until {
                    let counter = if hotspot(addr) { &done } else { &errors };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let rate = done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64();
    (rate, errors.load(Ordering::Relaxed))
}

fn command(server: &str, dir: &Path, addr: SocketAddr) -> Command {
    let mut cmd = match server {
        "daemon" => Command::new(env_path("SAMSUNG_DAEMON")),
        runtime => {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/run-wasi");
            let mut c = Command::new(script);
            c.env("WASI_RUNTIME", runtime)
                .env("SAMSUNG_WASI_COMPONENT", env_path("SAMSUNG_WASI_COMPONENT"));
            c
        }
    };
    cmd.arg("--listen")
        .arg(addr.to_string())
        .current_dir(dir)
        .env_remove("CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let seconds = env_num("FIGURE_SECONDS", 5);
    let clients = usize::try_from(env_num("FIGURE_CLIENTS", 16)).unwrap_or(16);
    let starts = env_num("FIGURE_STARTS", 3).max(1);
    let component = env_path("SAMSUNG_WASI_COMPONENT");
    let size = std::fs::metadata(&component)
        .unwrap_or_else(|e| panic!("{}: {e}", component.display()))
        .len();
    println!(
        "component {}: {size} bytes ({:.2} MiB)",
        component.display(),
        size as f64 / 1_048_576.0
    );
    let runtimes = std::env::var("WASI_FIGURE_RUNTIMES").unwrap_or_else(|_| "jco wasmtime".into());
    let mut servers = vec!["daemon".to_string()];
    servers.extend(runtimes.split_whitespace().map(String::from));
    println!(
        "{:<10} {:>22} {:>20} {:>8}",
        "server", "start-up (median)", "hotspot checks/s", "errors"
    );
    for server in &servers {
        let dir =
            std::env::temp_dir().join(format!("samsung-figures-{server}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..starts {
            drop(last.take());
            let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
            let (s, t) = start(&mut command(server, &dir, addr), addr);
            times.push(t);
            last = Some((s, addr));
        }
        times.sort();
        let (_server, addr) = last.expect("started at least once");
        let (rate, errors) = hotspot_rate(addr, clients, seconds);
        println!(
            "{server:<10} {:>19.0} ms {rate:>20.0} {errors:>8}",
            times[times.len() / 2].as_secs_f64() * 1000.0
        );
        drop(_server);
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!(
        "({clients} client threads, {seconds} s per server, one connection per check; \
         start-up: process start to the first 200, median of {starts})"
    );
}
