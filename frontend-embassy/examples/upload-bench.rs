//! Figures of the pocket bridge's host build: a 20 MB photo upload from the
//! "camera" embassy-net stack through the channel driver into the App and
//! on to a real mastodon-mock (plain HTTP; with `--features tls` also over
//! HTTPS with verification), with throughput and peak heap (counting
//! global allocator); the static RAM of the board's buffers from the
//! crate's constants; and how many accept loops five cameras need.
//!
//! `cargo run -p samsung-bridge-embassy --example upload-bench --release [--features tls]`
//! (mastodon-mock from `SAMSUNG_TEST_VENV` or `.venv`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::mock::Mock;
use common::*;
use embassy_net::tcp::TcpSocket;
use peak_alloc::PeakAlloc;
use samsung_bridge_embassy::host::TcpUpstream;
use samsung_bridge_embassy::{App, HTTP_WORKER_RAM, HTTP_WORKERS, MAX_POSTS, MAX_UPSTREAM_LINKS};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const SIZE: usize = 20 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;

/// The uploaded bytes: a pattern, so the camera side holds no 20 MB copy.
fn pattern(offset: usize, out: &mut [u8]) {
    for (i, b) in out.iter_mut().enumerate() {
        let n = offset + i;
        *b = (n as u8) ^ ((n >> 8) as u8).wrapping_mul(31) ^ ((n >> 16) as u8);
    }
}

struct Figures {
    secs: f64,
    idle_heap: usize,
    peak_heap: usize,
}

fn upload(app: &'static App<TcpUpstream>, mock: &Mock) -> Figures {
    // async-io sets up its reactor at the first connection: not the board's.
    let warm = async_io::Async::<std::net::TcpStream>::connect(([127, 0, 0, 1], mock.port));
    drop(futures_lite::future::block_on(warm).expect("reach the mock"));
    let figures = run(app, async |cam| {
        let key = login(cam, "facebook").await;
        assert_eq!(
            status(&announce(cam, "facebook", &key, "BIG.JPG", "Bench~b").await),
            200
        );
        let mut rx = vec![0u8; 4096];
        let mut tx = vec![0u8; 16 * 1024];
        let mut chunk = vec![0u8; CHUNK];
        // Let the workers settle (their buffers are the board's static RAM).
        embassy_time::Timer::after_millis(50).await;
        let idle_heap = HEAP.current_usage();
        HEAP.reset_peak_usage();
        let started = Instant::now();
        let mut s = TcpSocket::new(cam, &mut rx, &mut tx);
        s.connect((embassy_net::Ipv4Address::from(BOARD_IP), 80))
            .await
            .expect("connect");
        let head = format!(
            "PUT /upload/{key}/BIG.JPG HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Type: image/jpeg\r\nContent-Length: {SIZE}\r\n\r\n"
        );
        send_all(&mut s, head.as_bytes()).await;
        let mut sent = 0;
        while sent < SIZE {
            let n = CHUNK.min(SIZE - sent);
            pattern(sent, &mut chunk[..n]);
            send_all(&mut s, &chunk[..n]).await;
            sent += n;
        }
        let answer = read_to_end(&mut s).await;
        let secs = started.elapsed().as_secs_f64();
        let peak_heap = HEAP.peak_usage();
        assert_eq!(
            body(&answer),
            "<Response Status=\"succ\" />",
            "{}",
            String::from_utf8_lossy(&answer)
        );
        eventually("the status", std::time::Duration::from_secs(120), || {
            (!mock.statuses().is_empty()).then_some(())
        })
        .await;
        Figures {
            secs,
            idle_heap,
            peak_heap,
        }
    });
    let toots = mock.statuses();
    let on_server = mock.get_bytes(&toots[0].media[0].1);
    let mut want = vec![0u8; SIZE];
    pattern(0, &mut want);
    assert!(
        on_server == want,
        "the server holds other bytes ({} bytes)",
        on_server.len()
    );
    figures
}

fn print(label: &str, f: &Figures) {
    println!(
        "{label}: 20 MiB in {:.2} s = {:.1} MB/s; Rust heap during the upload: peak {:.1} KiB above the idle {:.1} KiB (whole process: board, camera stack, test logger)",
        f.secs,
        SIZE as f64 / 1e6 / f.secs,
        f.peak_heap.saturating_sub(f.idle_heap) as f64 / 1024.0,
        f.idle_heap as f64 / 1024.0
    );
}

fn config(extra: &str, url: &str) -> samsung_bridge_embassy::BoardConfig {
    board_config(&format!(
        "[MASTODON]\nBASE_URL = \"{url}\"\nTOKEN = \"alice_token\"\n[ACTIONS]\nfacebook = \"mastodon\"\n{extra}"
    ))
}

fn main() {
    // Five cameras back to back, by number of accept loops.
    let mut table = Vec::new();
    for workers in 1..=HTTP_WORKERS {
        let app = app(board_config(""));
        let (ok, refused) = run_with(app, workers, async |cam| back_to_back(cam, 5, 10).await);
        table.push(format!("{workers}: {ok} answered, {refused} refused"));
    }
    println!(
        "five cameras x 10 connections back to back, by accept loops: {}",
        table.join("; ")
    );

    let mock = Mock::start();
    let config = config("", &mock.base_url());
    let before = HEAP.current_usage();
    let app = app(config);
    let app_heap = HEAP.current_usage().saturating_sub(before);
    println!("App::new (bridge, configuration, servers): {app_heap} B on the heap");
    let f = upload(app, &mock);
    print("plain HTTP", &f);
    #[cfg(feature = "tls")]
    let tls_ram = tls_upload();
    #[cfg(not(feature = "tls"))]
    let tls_ram = {
        println!("(TLS figures: run with --features tls)");
        0
    };

    let workers = HTTP_WORKERS * HTTP_WORKER_RAM;
    println!(
        "static RAM of the board's buffers: {HTTP_WORKERS} accept loops x {HTTP_WORKER_RAM} B = {workers} B; \
         TLS: {MAX_UPSTREAM_LINKS} sessions' record buffers + parsed roots {tls_ram} B; posts held <= {MAX_POSTS}; total {:.1} KiB",
        (workers + tls_ram) as f64 / 1024.0
    );
}

#[cfg(feature = "tls")]
fn tls_upload() -> usize {
    use common::mock::{Pki, Scratch};
    use samsung_bridge_embassy::host::{OsRng, unix_millis_now};
    use samsung_bridge_embassy::tls::{SESSION_BUFFERS, TlsClient};
    let dir = Scratch::new("bench-pki");
    let pki = Pki::new(&dir.0, "bench");
    let mock = Mock::start_tls(&pki);
    let ca = std::fs::read_to_string(&pki.ca_pem).expect("CA");
    let config = config(&format!("[TLS]\nCA = '''\n{ca}'''\n"), &mock.base_url());
    let before = HEAP.current_usage();
    let tls =
        TlsClient::new(Box::leak(Box::new(OsRng)), config.extra_ca_pem.as_deref()).expect("TLS");
    let roots = HEAP.current_usage().saturating_sub(before);
    let app: &'static App<TcpUpstream> = Box::leak(Box::new(
        App::new(config, TcpUpstream::new(), [5; 32]).with_tls(tls),
    ));
    app.set_unix_time(unix_millis_now());
    let f = upload(app, &mock);
    print("HTTPS (mbedtls, verified)", &f);
    // On the host mbedtls allocates from libc, which the counting
    // allocator does not see: a 0 here means "not measured".
    println!(
        "parsed trust roots: {roots} B on the Rust heap (mbedtls uses libc calloc on the host)"
    );
    roots + samsung_bridge_embassy::MAX_UPSTREAM_LINKS * SESSION_BUFFERS
}
