//! `samsung-bridge-tap`: the pocket bridge with a Linux TAP device in place
//! of the camera's WiFi access point.
//!
//! The same wiring as the ESP32 firmware — DHCP, DNS and the SNS API on an
//! embassy-net stack, forwarding through the app — except that the AP is a
//! TAP interface and the upstream is the host's own TCP stack. It lets the
//! whole board run against real clients (a DHCP client, `dig`, cameras)
//! without the radio; `tests/tap_netns.rs` does that in a network namespace.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use embassy_executor::Spawner;
use embassy_net::{Ipv4Cidr, Runner, Stack, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use samsung_bridge_embassy::config::ApSubnet;
use samsung_bridge_embassy::dhcp::{self, DhcpServer};
use samsung_bridge_embassy::host::{TcpUpstream, load_config, unix_millis_now};
use samsung_bridge_embassy::{App, BoardConfig, HTTP_WORKERS, dns, run_http, run_poster};
use samsung_core::dns::DnsResponder;
use static_cell::StaticCell;

/// The app as every task sees it.
type HostApp = App<TcpUpstream>;

/// AP stack sockets: the HTTP workers, DHCP and DNS.
const AP_SOCKETS: usize = HTTP_WORKERS + 2;

static APP: StaticCell<HostApp> = StaticCell::new();
static RESOURCES: StaticCell<StackResources<AP_SOCKETS>> = StaticCell::new();
static RESPONDER: StaticCell<DnsResponder> = StaticCell::new();

/// The ESP32 pocket bridge on a TAP device (camera side) and the host's network (upstream).
///
/// Serves DHCP (the bridge is router and DNS server), DNS for the Samsung
/// host names and the cameras' SNS API on port 80 of the bridge's address, and forwards
/// uploads to Mastodon through the host's own network. Create the device
/// first, e.g. `ip tuntap add name tap0 mode tap && ip link set tap0 up`.
#[derive(Debug, Parser)]
#[command(name = "samsung-bridge-tap", version)]
struct Args {
    /// The board's config.toml ([WIFI] AP_SUBNET is the bridge's address and subnet).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The TAP interface to serve.
    #[arg(long, value_name = "IFNAME", default_value = "tap0")]
    tap: String,
    /// The bridge's address and prefix on the TAP link, instead of [WIFI] AP_SUBNET.
    #[arg(long, value_name = "ADDR/PREFIX", value_parser = ApSubnet::parse)]
    address: Option<ApSubnet>,
    /// Do not serve DHCP (clients configure themselves).
    #[arg(long)]
    no_dhcp: bool,
    /// Log level on stderr: error, warn, info, debug or trace.
    #[arg(long, value_name = "LEVEL", default_value = "info", value_parser = parse_level)]
    log: log::LevelFilter,
}

fn main() -> ExitCode {
    let args = Args::parse();
    log::set_max_level(args.log);
    if log::set_logger(&StderrLogger).is_err() {
        eprintln!("samsung-bridge-tap: a logger is already installed");
        return ExitCode::FAILURE;
    }
    // A missing or bad file is logged and the fallback runs, as on the board.
    let mut config = load_config(&args.config);
    if let Some(address) = args.address {
        config.wifi.ap_subnet = address;
    }
    let device = match TunTapDevice::new(&args.tap) {
        Ok(d) => d,
        Err(e) => {
            log::error!(
                "cannot open TAP device {}: {e} (it must exist, e.g. `ip tuntap add name {} mode tap`, and this needs CAP_NET_ADMIN)",
                args.tap,
                args.tap
            );
            return ExitCode::FAILURE;
        }
    };
    let seed = match os_seed() {
        Ok(s) => s,
        Err(e) => {
            log::error!("the OS random number generator failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let executor = Box::leak(Box::new(embassy_executor::Executor::new()));
    executor.run(move |spawner| start(spawner, device, config, seed, !args.no_dhcp, args.tap));
}

fn start(
    spawner: Spawner,
    device: TunTapDevice,
    config: BoardConfig,
    seed: [u8; 32],
    serve_dhcp: bool,
    tap: String,
) {
    let subnet = config.wifi.ap_subnet;
    let stack_seed = u64::from_le_bytes(seed[..8].try_into().unwrap_or_default());
    let (stack, runner) = embassy_net::new(
        device,
        embassy_net::Config::ipv4_static(StaticConfigV4 {
            address: Ipv4Cidr::new(subnet.address, subnet.prefix),
            gateway: None,
            dns_servers: Default::default(),
        }),
        RESOURCES.init(StackResources::new()),
        stack_seed,
    );
    let responder = RESPONDER.init(dns::responder(subnet.address, config.core.dns.as_ref()));
    let dhcp = if serve_dhcp {
        match DhcpServer::new(subnet.address, subnet.prefix) {
            Ok(d) => Some(d),
            Err(e) => {
                log::error!("DHCP: {e}; clients need a static address in {subnet}");
                None
            }
        }
    } else {
        None
    };
    let app = with_tls(App::new(config, TcpUpstream::new(), seed));
    let app: &'static HostApp = APP.init(app);
    app.set_unix_time(unix_millis_now());

    spawner.spawn(net_task(runner).expect("one network task"));
    if let Some(dhcp) = dhcp {
        spawner.spawn(dhcp_task(stack, dhcp).expect("one DHCP task"));
    }
    spawner.spawn(dns_task(stack, responder).expect("one DNS task"));
    for worker in 0..HTTP_WORKERS {
        spawner.spawn(http_task(app, stack, worker).expect("HTTP_WORKERS tasks"));
    }
    spawner.spawn(poster_task(app).expect("one poster task"));
    log::info!(
        "samsung-bridge-tap on {tap}: SNS API on http://{}:80 with {HTTP_WORKERS} accepting sockets",
        subnet.address
    );
}

/// With the `tls` feature, https:// base URLs work (the shipped roots plus
/// `[TLS] CA`); without it they get an error answer.
#[cfg(feature = "tls")]
fn with_tls(app: HostApp) -> HostApp {
    use samsung_bridge_embassy::host::OsRng;
    use samsung_bridge_embassy::tls::TlsClient;
    static RNG: StaticCell<OsRng> = StaticCell::new();
    match TlsClient::new(RNG.init(OsRng), app.config().extra_ca_pem.as_deref()) {
        Ok(tls) => app.with_tls(tls),
        Err(e) => {
            log::error!("TLS: {e}; uploads to https:// instances get an error");
            app
        }
    }
}

#[cfg(not(feature = "tls"))]
fn with_tls(app: HostApp) -> HostApp {
    log::info!("built without the `tls` feature: uploads to https:// instances get an error");
    app
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn dhcp_task(stack: Stack<'static>, mut server: DhcpServer) {
    let Err(e) = dhcp::run(stack, &mut server).await;
    log::error!("DHCP: cannot listen on port {}: {e:?}", dhcp::SERVER_PORT);
}

#[embassy_executor::task]
async fn dns_task(stack: Stack<'static>, responder: &'static DnsResponder) {
    let Err(e) = dns::run(stack, responder).await;
    log::error!("DNS: cannot listen on port {}: {e:?}", dns::PORT);
}

#[embassy_executor::task(pool_size = HTTP_WORKERS)]
async fn http_task(app: &'static HostApp, stack: Stack<'static>, worker: usize) -> ! {
    run_http(app, stack, worker).await
}

#[embassy_executor::task]
async fn poster_task(app: &'static HostApp) -> ! {
    run_poster(app).await
}

fn parse_level(s: &str) -> Result<log::LevelFilter, String> {
    s.parse()
        .map_err(|_| format!("{s:?} is not one of off, error, warn, info, debug, trace"))
}

/// Session keys and multipart boundaries come from this seed.
fn os_seed() -> Result<[u8; 32], getrandom::Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)?;
    Ok(seed)
}

/// `LEVEL target: message` lines on stderr.
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        // smoltcp and embassy-net are chatty at debug; the bridge's own lines are what matter.
        if self.enabled(record.metadata())
            && (record.level() <= log::Level::Info || record.target().starts_with("samsung"))
        {
            eprintln!(
                "{:<5} {}: {}",
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}
