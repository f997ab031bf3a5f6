//! Load benchmark of the real daemon over loopback: hotspot-check
//! requests per second with 32 connections, aggregate upload throughput of
//! 16 cameras × 20 MB, idle and peak RSS.
//!
//! `cargo bench -p samsung-bridge --bench load` (release build). Knobs:
//! `LOAD_SECONDS` (hotspot phase, default 5), `LOAD_CAMERAS` (16),
//! `LOAD_UPLOAD_MB` (20), `LOAD_CONNECTIONS` (32).
//! Prints figures; asserts nothing about speed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `VmRSS` / `VmHWM` of a process, in KiB.
fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

struct Daemon {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_daemon(dir: &Path) -> Daemon {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let child = Command::new(env!("CARGO_BIN_EXE_samsung-bridge"))
        .arg("--listen")
        .arg(addr.to_string())
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start samsung-bridge");
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "daemon did not start listening"
        );
        thread::sleep(Duration::from_millis(20));
    }
    Daemon { child, addr }
}

/// One request on a fresh connection; returns the status code.
fn exchange(
    addr: SocketAddr,
    request: &[u8],
    body: Option<&[u8]>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    s.write_all(request)?;
    if let Some(body) = body {
        for chunk in body.chunks(256 * 1024) {
            s.write_all(chunk)?;
        }
    }
    let mut resp = Vec::with_capacity(512);
    s.read_to_end(&mut resp)?;
    let status = std::str::from_utf8(resp.get(9..12).unwrap_or(b"000"))
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    Ok((status, resp))
}

/// Hotspot checks from `connections` concurrent clients, each a loop of
/// connect / request / read to close, all on one thread (an event loop: the
/// generator should cost less CPU than the server it measures).
fn hotspot_phase(addr: SocketAddr, connections: usize, seconds: u64) -> (u64, f64, f64) {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    let done = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let errors = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let request = b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\nUser-Agent: load\r\n\r\n";
    let until = Instant::now() + Duration::from_secs(seconds);
    let ex = smol::LocalExecutor::new();
    let t0 = Instant::now();
    let cpu0 = cpu_seconds(std::process::id());
    smol::block_on(ex.run(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let (done, errors) = (done.clone(), errors.clone());
                ex.spawn(async move {
                    let mut resp = Vec::with_capacity(256);
                    while Instant::now() < until {
                        resp.clear();
                        let ok = async {
                            let mut s = smol::net::TcpStream::connect(addr).await?;
                            s.write_all(request).await?;
                            s.read_to_end(&mut resp).await?;
                            Ok::<bool, std::io::Error>(resp.starts_with(b"HTTP/1.1 200"))
                        }
                        .await;
                        match ok {
                            Ok(true) => done.set(done.get() + 1),
                            _ => errors.set(errors.get() + 1),
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await;
        }
    }));
    let elapsed = t0.elapsed().as_secs_f64();
    let generator_cpu = (cpu_seconds(std::process::id()) - cpu0) / elapsed;
    (errors.get(), done.get() as f64 / elapsed, generator_cpu)
}

const LOGIN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Request Method=\"login\" Timeout=\"3000\">\n<UserName Value=\"Camera%40samsungcamera.com\"/>\n<Password Value=\"secret\"/>\n<PersistKey Use=\"true\"/>\n<SessionKey Type=\"APIF\"/>\n<CryptSessionKey Use=\"true\" Type=\"SHA1\"/>\n</Request>\n";

fn post(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One camera: login, announce, PUT `data`; returns whether it got `succ`.
fn camera(addr: SocketAddr, n: usize, data: &[u8]) -> bool {
    let Ok((200, resp)) = exchange(addr, &post("/facebook/auth", LOGIN), None) else {
        return false;
    };
    let text = String::from_utf8_lossy(&resp);
    let Some(start) = text.find("SessionKey=\"") else {
        return false;
    };
    let key = &text[start + 12..start + 44];
    let file = format!("SAM_{n:04}.JPG");
    let announce = format!(
        "<Request Method=\"upload\" SessionKey=\"{key}\"><Photo><Album Name=\"load\"/><File Name=\"{file}\"/><Content>load test</Content></Photo></Request>"
    );
    if !matches!(
        exchange(addr, &post("/facebook/photo", &announce), None),
        Ok((200, _))
    ) {
        return false;
    }
    let head = format!(
        "PUT /upload/{key}/{file} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        data.len()
    );
    matches!(exchange(addr, head.as_bytes(), Some(data)), Ok((200, r)) if r.ends_with(b"<Response Status=\"succ\" />"))
}

fn upload_phase(addr: SocketAddr, cameras: usize, mb: usize) -> (usize, f64, f64) {
    let data: Arc<Vec<u8>> = Arc::new(
        (0..mb * 1024 * 1024)
            .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
            .collect(),
    );
    let start = Arc::new(Barrier::new(cameras + 1));
    let workers: Vec<_> = (0..cameras)
        .map(|n| {
            let (data, start) = (data.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                camera(addr, n, &data)
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let ok = workers
        .into_iter()
        .filter(|_| true)
        .map(|w| w.join().unwrap_or(false))
        .filter(|&ok| ok)
        .count();
    let secs = t0.elapsed().as_secs_f64();
    let total_mb = (cameras * mb) as f64 * 1.048_576;
    (ok, total_mb / secs, secs)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass
    // nothing useful: only run the measurement for a bench invocation.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load: run with `cargo bench -p samsung-bridge --bench load`");
        return;
    }
    let seconds = env_num("LOAD_SECONDS", 5);
    let cameras = env_num("LOAD_CAMERAS", 16) as usize;
    let mb = env_num("LOAD_UPLOAD_MB", 20) as usize;
    let connections = env_num("LOAD_CONNECTIONS", 32) as usize;
    let dir = std::env::temp_dir().join(format!("samsung-bridge-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let daemon = start_daemon(&dir);
    let pid = daemon.child.id();
    thread::sleep(Duration::from_secs(1));
    let idle = rss_kib(pid, "VmRSS:");

    let cpu0 = cpu_seconds(pid);
    let (errors, rps, generator_cpu) = hotspot_phase(daemon.addr, connections, seconds);
    let hotspot_cpu = (cpu_seconds(pid) - cpu0) / seconds as f64;
    let after_hotspot = rss_kib(pid, "VmHWM:");
    let cpu1 = cpu_seconds(pid);
    let (ok, mbps, secs) = upload_phase(daemon.addr, cameras, mb);
    let upload_cpu = (cpu_seconds(pid) - cpu1) / secs;
    let peak = rss_kib(pid, "VmHWM:");
    let stored = std::fs::read_dir(dir.join("uploads"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name() != ".incoming")
                .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten())
                .count()
        })
        .unwrap_or(0);
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);

    println!("samsung-bridge load benchmark (loopback, generator on the same machine)");
    println!(
        "  hotspot checks (gld), {connections} connections, {seconds} s: {rps:.0} req/s ({errors} errors)"
    );
    println!(
        "    CPU: daemon {:.0}%, load generator {:.0}% of one core ({} cores here)",
        hotspot_cpu * 100.0,
        generator_cpu * 100.0,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "  uploads: {cameras} cameras x {mb} MB: {ok}/{cameras} got succ, {stored} files stored, {secs:.2} s, {mbps:.0} MB/s aggregate"
    );
    println!(
        "    daemon CPU during it: {:.0}% of one core",
        upload_cpu * 100.0
    );
    println!("  RSS idle: {:.1} MiB", idle as f64 / 1024.0);
    println!(
        "  RSS peak during hotspot load: {:.1} MiB",
        after_hotspot as f64 / 1024.0
    );
    println!(
        "  RSS peak overall (uploads included): {:.1} MiB",
        peak as f64 / 1024.0
    );
}
