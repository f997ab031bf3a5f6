//! The host harness: a "camera" embassy-net stack and the "board" stack
//! (the App's) joined by two `embassy-net-driver-channel` links, all in one
//! future tree on the test thread; forwarding goes over real TCP to a real
//! mastodon-mock ([`mock`]).

#![allow(dead_code)] // each test binary uses a different subset

pub mod mock;

use std::time::Duration;

use embassy_futures::join::{join, join3};
use embassy_futures::select::{Either, select};
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel as ch;
use samsung_bridge_embassy::host::{TcpUpstream, unix_millis_now};
use samsung_bridge_embassy::{App, BoardConfig, HTTP_WORKERS, run_http, run_poster};

pub const MTU: usize = 1500;
type Channel = ch::State<MTU, 8, 8>;

/// The board's address on the AP, and the camera's.
pub const BOARD_IP: [u8; 4] = [10, 42, 0, 1];
pub const CAMERA_IP: [u8; 4] = [10, 42, 0, 2];

/// Longest wait for one camera exchange.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(60);

fn leak<T>(v: T) -> &'static mut T {
    Box::leak(Box::new(v))
}

fn stack(
    device: ch::Device<'static, MTU>,
    ip: [u8; 4],
    seed: u64,
) -> (
    Stack<'static>,
    embassy_net::Runner<'static, ch::Device<'static, MTU>>,
) {
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(ip.into(), 24),
        gateway: None,
        dns_servers: Default::default(),
    });
    embassy_net::new(device, config, leak(StackResources::<16>::new()), seed)
}

/// Moves every frame one side sends into the other side's receive queue.
async fn pump(mut tx: ch::TxRunner<'static, MTU>, mut rx: ch::RxRunner<'static, MTU>) {
    loop {
        let frame = tx.tx_buf().await;
        let len = frame.len();
        let dst = rx.rx_buf().await;
        dst[..len].copy_from_slice(frame);
        rx.rx_done(len);
        tx.tx_done();
    }
}

/// A board configuration text for tests: the given top and `[MASTODON]`
/// parts plus a valid `[WIFI]`.
pub fn board_config(extra: &str) -> BoardConfig {
    let text = format!(
        "SENDERS = [\"x\", \"f\", \"Camera@samsungcamera.com\"]\nSECRET = \"xiev5kaMeehaimub\"\n{extra}\n\
         [WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nUPSTREAM_SSID = \"phone\"\n"
    );
    BoardConfig::parse(&text).unwrap_or_else(|e| panic!("test config: {e}\n{text}"))
}

/// A board App with the host's TCP upstream, its clock set.
pub fn app(config: BoardConfig) -> &'static App<TcpUpstream> {
    let app = leak(App::new(config, TcpUpstream::new(), [7; 32]));
    app.set_unix_time(unix_millis_now());
    app
}

/// Runs `test` as the camera against `app` served on the board stack (with
/// `workers` accept loops and the poster); returns what `test` returns.
pub fn run_with<T>(
    app: &'static App<TcpUpstream>,
    workers: usize,
    test: impl AsyncFnOnce(Stack<'static>) -> T,
) -> T {
    let _ = env_logger_init();
    let (cam_runner, cam_device) = ch::new(
        leak(Channel::new()),
        embassy_net_driver::HardwareAddress::Ip,
    );
    let (board_runner, board_device) = ch::new(
        leak(Channel::new()),
        embassy_net_driver::HardwareAddress::Ip,
    );
    let (cam_state, cam_rx, cam_tx) = cam_runner.split();
    let (board_state, board_rx, board_tx) = board_runner.split();
    cam_state.set_link_state(embassy_net_driver::LinkState::Up);
    board_state.set_link_state(embassy_net_driver::LinkState::Up);
    let (camera, mut cam_net) = stack(cam_device, CAMERA_IP, 1);
    let (board, mut board_net) = stack(board_device, BOARD_IP, 2);
    let background = async move {
        let nets = join(cam_net.run(), board_net.run());
        let pumps = join(pump(cam_tx, board_rx), pump(board_tx, cam_rx));
        let workers =
            embassy_futures::join::join_array(core::array::from_fn::<_, 8, _>(|i| async move {
                if i < workers {
                    run_http(app, board, i).await
                } else {
                    core::future::pending::<()>().await
                }
            }));
        join3(join(nets, pumps), workers, run_poster(app)).await;
    };
    futures_lite::future::block_on(async {
        camera.wait_config_up().await;
        match select(background, test(camera)).await {
            Either::First(()) => unreachable!("the board stopped"),
            Either::Second(t) => t,
        }
    })
}

/// [`run_with`] with [`HTTP_WORKERS`] workers.
pub fn run<T>(app: &'static App<TcpUpstream>, test: impl AsyncFnOnce(Stack<'static>) -> T) -> T {
    run_with(app, HTTP_WORKERS, test)
}

fn env_logger_init() -> Result<(), log::SetLoggerError> {
    static LOGGER: StderrLogger = StderrLogger;
    log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Info))
}

/// The board's log lines on stderr (shown by the test runner on failure),
/// and kept for tests that check what was logged.
struct StderrLogger;

static LINES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

impl log::Log for StderrLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}", record.level(), record.args());
        eprintln!("{line}");
        LINES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
    fn flush(&self) {}
}

/// Every log line so far (of every test of this binary).
pub fn log_lines() -> Vec<String> {
    LINES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The camera side of one exchange: connect to the board's port 80, send
/// `request`, read the answer to EOF.
pub async fn exchange(stack: Stack<'static>, request: &[u8]) -> Vec<u8> {
    let fut = async {
        let mut rx = vec![0u8; 8192];
        let mut tx = vec![0u8; 8192];
        let mut s = TcpSocket::new(stack, &mut rx, &mut tx);
        s.connect((embassy_net::Ipv4Address::from(BOARD_IP), 80))
            .await
            .unwrap_or_else(|e| panic!("the board refused the connection: {e:?}"));
        send_all(&mut s, request).await;
        read_to_end(&mut s).await
    };
    embassy_time::with_timeout(
        embassy_time::Duration::from_secs(EXCHANGE_TIMEOUT.as_secs()),
        fut,
    )
    .await
    .unwrap_or_else(|_| panic!("no answer within {EXCHANGE_TIMEOUT:?}"))
}

pub async fn send_all(s: &mut TcpSocket<'_>, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let n = s.write(bytes).await.expect("send to the board");
        bytes = &bytes[n..];
    }
}

pub async fn read_to_end(s: &mut TcpSocket<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// The status code of an answer.
pub fn status(answer: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(answer);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"))
}

/// The body of an answer, as text.
pub fn body(answer: &[u8]) -> String {
    let text = String::from_utf8_lossy(answer);
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// A camera login (V7's credentials): the session key.
pub async fn login(stack: Stack<'static>, site: &str) -> String {
    let body = samsung_core::testing::V7_BODY;
    let req = format!(
        "POST /{site}/auth HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(stack, req.as_bytes()).await;
    assert_eq!(status(&answer), 200, "login: {}", body_of(&answer));
    let b = body_of(&answer);
    let start = b.find("SessionKey=\"").expect("a session key") + 12;
    b[start..start + 32].to_string()
}

fn body_of(a: &[u8]) -> String {
    body(a)
}

/// A photo announce (`/<site>/photo`) with caption `content`.
pub async fn announce(
    stack: Stack<'static>,
    site: &str,
    key: &str,
    file: &str,
    content: &str,
) -> Vec<u8> {
    let body = samsung_core::testing::announce_body(key, file, content, "Photo");
    let req = format!(
        "POST /{site}/photo HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    exchange(stack, req.as_bytes()).await
}

/// The PUT of a file announced before.
pub fn put_request(key: &str, file: &str, data: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "PUT /upload/{key}/{file} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        data.len()
    )
    .into_bytes();
    req.extend_from_slice(data);
    req
}

/// An e-mail from the whitelisted camera to `to` with `files`.
pub fn email(to: &[&str], text: &str, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let body = samsung_core::testing::email_body(
        "Camera@samsungcamera.com",
        to,
        text,
        files,
        "\r\n",
        true,
    );
    samsung_core::testing::email_request(&body)
}

/// Waits (in async time, the board keeps running) until `f` holds.
pub async fn eventually<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < timeout, "{what}: not within {timeout:?}");
        embassy_time::Timer::after_millis(100).await;
    }
}

/// `cameras` cameras at once, each opening `each` connections back to back
/// (a hotspot check each, as the cameras do on joining): how many were
/// answered, and how many refused.
pub async fn back_to_back(stack: Stack<'static>, cameras: usize, each: usize) -> (usize, usize) {
    let req = b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\n\r\n";
    let one_camera = async |_: usize| {
        let (mut ok, mut refused) = (0, 0);
        for _ in 0..each {
            let mut rx = [0u8; 2048];
            let mut tx = [0u8; 1024];
            let mut s = TcpSocket::new(stack, &mut rx, &mut tx);
            if s.connect((embassy_net::Ipv4Address::from(BOARD_IP), 80))
                .await
                .is_err()
            {
                refused += 1;
                continue;
            }
            send_all(&mut s, req).await;
            let answer = read_to_end(&mut s).await;
            if answer.starts_with(b"HTTP/1.1 200") {
                ok += 1;
            } else {
                refused += 1;
            }
            s.close();
        }
        (ok, refused)
    };
    let all = embassy_futures::join::join_array(core::array::from_fn::<_, 8, _>(|i| async move {
        if i < cameras {
            one_camera(i).await
        } else {
            (0, 0)
        }
    }))
    .await;
    all.iter().fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
}
