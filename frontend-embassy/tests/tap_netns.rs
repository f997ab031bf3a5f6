//! `samsung-bridge-tap` on a TAP device in a network namespace of its own,
//! against real clients: busybox `udhcpc` gets an address from the bridge,
//! `dig` resolves the Samsung names through it, cameras talk to it over
//! real TCP (the conformance vectors that fit a board, 10 connections back
//! to back) and a 20 MB video is streamed through it into mastodon-mock.
//!
//! Needs root (network namespaces, TAP devices) and `udhcpc`, `dig`, `ip`:
//! `scripts/test-embassy` installs them and runs
//! `cargo test -p samsung-bridge-embassy --features tap --test tap_netns`.
//! Without root the test fails and says so. Every process and the
//! namespace are removed at the end, also when the test fails; all traffic
//! stays on the namespace's TAP link and loopback.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use samsung_core::testing::{V7_BODY, announce_body};

#[path = "common/mock.rs"]
#[allow(dead_code)] // the channel-driver tests use the rest
mod mock;
#[path = "tap_netns/replay.rs"]
mod replay;

use mock::{Mock, Scratch};

const BIN: &str = env!("CARGO_BIN_EXE_samsung-bridge-tap");
/// The bridge's address on the TAP link ([WIFI] AP_SUBNET of the test config).
const BRIDGE: Ipv4Addr = Ipv4Addr::new(10, 42, 0, 1);
const TAP: &str = "tap0";
const SECRET: &str = "xiev5kaMeehaimub";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// The big upload of the issue: more than any buffer of the board.
const BIG_VIDEO: usize = 20 * 1024 * 1024;

#[test]
fn bridge_on_a_tap_device_serves_dhcp_dns_cameras_and_streams_20_mb_to_mastodon() {
    require_root();
    let scratch = Scratch::new("tap-netns");
    let ns = Namespace::create();
    let dir = scratch.0.clone();
    ns.run(move || scenario(&dir));
}

fn scenario(dir: &Path) {
    run(&["ip", "link", "set", "lo", "up"]);
    run(&["ip", "tuntap", "add", "name", TAP, "mode", "tap"]);
    run(&["ip", "link", "set", TAP, "up"]);

    // On the namespace's own loopback: everything started from this thread lives there.
    let mastodon = Mock::start();
    let config = dir.join("config.toml");
    fs::write(
        &config,
        format!(
            "SENDERS = [\"x\", \"f\", \"Camera@samsungcamera.com\"]\n\
             SECRET = \"{SECRET}\"\n\
             [WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nAP_SUBNET = \"{BRIDGE}/24\"\n\
             [MASTODON]\nBASE_URL = \"{}\"\nTOKEN = \"{}\"\n\
             [ACTIONS]\nfacebook = \"mastodon\"\n",
            mastodon.base_url(),
            mock::TOKEN
        ),
    )
    .expect("write config.toml");
    let mut bridge = Process::spawn(
        "samsung-bridge-tap",
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(["--tap", TAP]),
        dir.join("bridge.log"),
    );
    bridge.wait_log("SNS API on", START_TIMEOUT);

    // DHCP: a real client on the kernel side of the TAP link.
    let lease = dhcp_lease(dir);
    let client: Ipv4Addr = lease.get("ip").parse().expect("udhcpc ip");
    let first = u32::from(BRIDGE) + 1;
    assert!(
        (first..first + 16).contains(&u32::from(client)),
        "leased {client}, outside the pool after {BRIDGE}"
    );
    assert_eq!(lease.get("subnet"), "255.255.255.0", "{lease:?}");
    assert_eq!(lease.get("router"), BRIDGE.to_string(), "{lease:?}");
    assert_eq!(lease.get("dns"), BRIDGE.to_string(), "{lease:?}");
    assert!(
        bridge.log().contains(&format!("DHCP: {client} leased to")),
        "no lease line in the bridge log:\n{}",
        bridge.log()
    );

    // DNS: the Samsung names are the bridge, other names are refused.
    for name in [
        "snsgw.samsungmobile.com",
        "gld.samsungosp.com",
        "www.ospserver.net",
    ] {
        let answer = dig(&[name, "A", "+short"]);
        assert_eq!(answer.trim(), BRIDGE.to_string(), "dig {name}");
    }
    let other = dig(&["example.org", "A"]);
    assert!(
        other.contains("status: REFUSED"),
        "dig example.org: {other}"
    );

    let camera = SocketAddr::from((BRIDGE, 80));

    // Hotspot check (V1), then 10 connections back to back: each finds a listening socket.
    for i in 0..10 {
        let a = exchange(
            camera,
            b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\n\r\n",
        );
        assert_eq!(a.status, 200, "hotspot check {i}: {}", show(&a.raw));
        assert!(
            a.header("ETag").is_some(),
            "hotspot check {i}: {}",
            show(&a.raw)
        );
    }

    // The conformance vectors that fit a board, each request on its own connection.
    let replayed = replay::replay_fixtures(camera);
    eprintln!(
        "{} conformance fixtures replayed over TCP through the TAP link: {}",
        replayed.len(),
        replayed.join(" ")
    );

    // Login (V7: user `x`), announce, and a 20 MB video streamed to Mastodon.
    let login = exchange(camera, &post("/facebook/auth", V7_BODY.as_bytes()));
    assert_eq!(login.status, 200, "login: {}", show(&login.raw));
    let key = login
        .capture("SessionKey=\"", "\"")
        .unwrap_or_else(|| panic!("no SessionKey: {}", show(&login.raw)));
    let file = "SAM_0001.MP4";
    let announce = exchange(
        camera,
        &post(
            "/facebook/video",
            announce_body(
                &key,
                file,
                "Through the pocket bridge~A 20 MB test video",
                "Video",
            )
            .as_bytes(),
        ),
    );
    assert_eq!(announce.status, 200, "announce: {}", show(&announce.raw));
    let video = pattern(BIG_VIDEO, 7);
    let started = Instant::now();
    let put = exchange(camera, &put_request(&key, file, "video/mp4", &video));
    let took = started.elapsed();
    assert_eq!(
        put.status,
        200,
        "PUT of 20 MB: {}\nbridge log:\n{}",
        show(&put.raw),
        bridge.log()
    );
    assert_eq!(
        put.body,
        b"<Response Status=\"succ\" />",
        "PUT: {}",
        show(&put.raw)
    );
    eprintln!(
        "20 MB through the TAP bridge into mastodon-mock: {:.1} s, {:.2} MB/s",
        took.as_secs_f64(),
        BIG_VIDEO as f64 / 1e6 / took.as_secs_f64()
    );
    // The batch of one is complete: its status carries the video, byte for byte.
    let toot = wait_for_status(&mastodon);
    assert!(
        toot.text.starts_with("Through the pocket bridge"),
        "{toot:?}"
    );
    assert_eq!(toot.media.len(), 1, "{toot:?}");
    assert_eq!(
        toot.media[0].0.as_deref(),
        Some("A 20 MB test video"),
        "{toot:?}"
    );
    let arrived = mastodon.get_bytes(&toot.media[0].1);
    assert!(
        arrived == video,
        "mastodon-mock holds {} bytes that differ from the 20 MB sent",
        arrived.len()
    );
    assert!(
        bridge.log().contains(file),
        "no line about {file} in the bridge log:\n{}",
        bridge.log()
    );
}

// ---------------------------------------------------------------------------
// Namespace, processes, clients

fn require_root() {
    let uid = fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().nth(1).map(str::to_owned))
        })
        .unwrap_or_default();
    assert_eq!(
        uid, "0",
        "this test creates a network namespace and a TAP device: run it as root (scripts/test-embassy does)"
    );
}

/// A named network namespace, deleted on drop.
struct Namespace(String);

impl Namespace {
    fn create() -> Self {
        let name = format!("sbtap-{}", std::process::id());
        run(&["ip", "netns", "add", &name]);
        Self(name)
    }

    /// Runs `f` on a thread inside the namespace; everything it starts
    /// (processes, sockets) lives there. A panic in `f` is raised here
    /// after `f`'s own cleanup ran.
    fn run(&self, f: impl FnOnce() + Send + 'static) {
        let path = format!("/var/run/netns/{}", self.0);
        let handle = thread::spawn(move || {
            let ns = fs::File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&ns),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .unwrap_or_else(|e| panic!("setns into {path}: {e}"));
            f();
        });
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let status = Command::new("ip").args(["netns", "del", &self.0]).status();
        if !status.as_ref().is_ok_and(|s| s.success()) {
            eprintln!("could not delete network namespace {}: {status:?}", self.0);
        }
    }
}

/// Runs a command to completion; panics with its output unless it succeeds.
fn run(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?} ({e}); scripts/test-embassy installs it"));
    assert!(
        out.status.success(),
        "{args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A child process killed on drop; its output goes to a log file, shown when the test fails.
struct Process {
    child: Child,
    log: PathBuf,
    what: &'static str,
}

impl Process {
    fn spawn(what: &'static str, cmd: &mut Command, log: PathBuf) -> Self {
        let out = fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} ({cmd:?}): {e}"));
        Self { child, log, what }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_log(&mut self, needle: &str, timeout: Duration) {
        let started = Instant::now();
        while !self.log().contains(needle) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited with {status}; its log:\n{}",
                    self.what,
                    self.log()
                );
            }
            assert!(
                started.elapsed() < timeout,
                "{} did not log {needle:?} within {timeout:?}; its log:\n{}",
                self.what,
                self.log()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("----- {} log -----\n{}", self.what, self.log());
        }
    }
}

/// The status the upload's batch posts (the poster runs after the camera's `succ`).
fn wait_for_status(mastodon: &Mock) -> mock::Toot {
    let started = Instant::now();
    loop {
        if let Some(t) = mastodon.statuses().pop() {
            return t;
        }
        assert!(
            started.elapsed() < START_TIMEOUT,
            "no status on mastodon-mock within {START_TIMEOUT:?}; its log:\n{}",
            mastodon.log()
        );
        thread::sleep(Duration::from_millis(200));
    }
}

/// The variables udhcpc handed its script at `bound`.
#[derive(Debug)]
struct Lease(Vec<(String, String)>);

impl Lease {
    fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| panic!("udhcpc reported no {key}: {self:?}"))
    }
}

/// Runs busybox udhcpc on the TAP link; its script records the lease and configures the address.
fn dhcp_lease(dir: &Path) -> Lease {
    let script = dir.join("udhcpc.sh");
    let record = dir.join("lease.env");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n  bound|renew)\n    ip addr add \"$ip/$mask\" dev \"$interface\"\n    \
             printf 'ip=%s\\nsubnet=%s\\nrouter=%s\\ndns=%s\\n' \"$ip\" \"$subnet\" \"$router\" \"$dns\" > {}\n    ;;\nesac\nexit 0\n",
            record.display()
        ),
    )
    .expect("write the udhcpc script");
    run(&["chmod", "755", &script.to_string_lossy()]);
    run(&[
        "udhcpc",
        "-i",
        TAP,
        "-f",
        "-q",
        "-n",
        "-t",
        "5",
        "-T",
        "2",
        "-s",
        &script.to_string_lossy(),
    ]);
    let text = fs::read_to_string(&record).expect("udhcpc ran its script with a lease");
    Lease(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

fn dig(args: &[&str]) -> String {
    let server = format!("@{BRIDGE}");
    let mut all = vec!["dig", server.as_str(), "+time=2", "+tries=3"];
    all.extend_from_slice(args);
    run(&all)
}

/// An answer as the camera reads it.
struct Answer {
    raw: Vec<u8>,
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn capture(&self, before: &str, after: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.body);
        let start = text.find(before)? + before.len();
        let end = text[start..].find(after)? + start;
        Some(text[start..end].to_owned())
    }
}

/// One request on a fresh connection; reads until the bridge closes it.
fn exchange(to: SocketAddr, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect_timeout(&to, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connect to the bridge at {to}: {e}"));
    s.set_read_timeout(Some(ANSWER_TIMEOUT))
        .expect("read timeout");
    s.set_write_timeout(Some(ANSWER_TIMEOUT))
        .expect("write timeout");
    s.write_all(request)
        .unwrap_or_else(|e| panic!("send to {to}: {e}"));
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("read the answer from {to}: {e}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer from {to}: {}", show(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw[split + 4..].to_vec();
    Answer {
        raw,
        status,
        head,
        body,
    }
}

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn put_request(key: &str, file: &str, content_type: &str, data: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "PUT /upload/{key}/{file} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        data.len()
    )
    .into_bytes();
    r.extend_from_slice(data);
    r
}

/// Deterministic bytes, so the copy on mastodon-mock can be compared.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
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

fn show(bytes: &[u8]) -> String {
    let max = bytes.len().min(400);
    format!(
        "{:?} ({} bytes)",
        String::from_utf8_lossy(&bytes[..max]),
        bytes.len()
    )
}
