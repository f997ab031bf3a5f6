//! The pocket bridge firmware for ESP32-C3 / ESP32-C6: the camera's WiFi
//! access point (DHCP, DNS, the SNS API on port 80) and a station link to
//! the upstream network that photos leave by, over HTTPS to Mastodon.
//!
//! Everything that is not radio or flash lives in `samsung-bridge-embassy`
//! and is tested on the host; this binary wires it to the chip.
#![no_std]
#![no_main]

extern crate alloc;

mod clock;
mod flash_config;
mod rng;
mod sntp;
mod upstream;
mod wifi;

use embassy_executor::Spawner;
use embassy_net::{Ipv4Cidr, Runner, Stack, StackResources, StaticConfigV4};
use esp_backtrace as _;
use esp_hal::clock::CpuClock;
use esp_hal::rng::Rng;
use esp_hal::timer::timg::TimerGroup;
use esp_radio::wifi::{ControllerConfig, Interface, WifiController};
use samsung_bridge_embassy::config::FALLBACK_SSID;
use samsung_bridge_embassy::dhcp::{self, DhcpServer};
use samsung_bridge_embassy::tls::TlsClient;
use samsung_bridge_embassy::{App, HTTP_WORKERS, dns, run_http, run_poster};
use samsung_core::dns::DnsResponder;
use static_cell::StaticCell;
#[cfg(feature = "esp32c6")]
use tinyrlibc as _;

use crate::upstream::StationUpstream;

esp_bootloader_esp_idf::esp_app_desc!();

/// The app as every task sees it.
pub type BoardApp = App<StationUpstream>;

/// Heap in the RAM the second-stage bootloader used (free once it handed over).
const HEAP_RECLAIMED: usize = 64 * 1024;
/// Heap in main RAM: the HTTP workers' buffers, the core's sessions and
/// uploads, one TLS session (~32 KiB of records plus the handshake).
const HEAP_MAIN: usize = 120 * 1024;
/// AP stack sockets: the HTTP workers, DHCP and DNS.
const AP_SOCKETS: usize = HTTP_WORKERS + 2;
/// Station stack sockets: the upstream pool, SNTP, DHCP client and DNS client.
const STA_SOCKETS: usize = upstream::SOCKETS + 3;

static APP: StaticCell<BoardApp> = StaticCell::new();
static UPSTREAM_STATE: StaticCell<upstream::State> = StaticCell::new();
static AP_RESOURCES: StaticCell<StackResources<AP_SOCKETS>> = StaticCell::new();
static STA_RESOURCES: StaticCell<StackResources<STA_SOCKETS>> = StaticCell::new();
static DNS_RESPONDER: StaticCell<DnsResponder> = StaticCell::new();
static RNG: StaticCell<rng::HardwareRng> = StaticCell::new();

#[esp_rtos::main]
async fn main(spawner: Spawner) -> ! {
    esp_println::logger::init_logger_from_env();
    let peripherals = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    esp_alloc::heap_allocator!(#[esp_hal::ram(reclaimed)] size: HEAP_RECLAIMED);
    esp_alloc::heap_allocator!(size: HEAP_MAIN);
    let timg0 = TimerGroup::new(peripherals.TIMG0);
    esp_rtos::start(timg0.timer0, peripherals.FROM_CPU_INTR0);
    log::info!(
        "samsung-bridge-esp32 {} starting; heap {} KiB",
        env!("CARGO_PKG_VERSION"),
        (HEAP_RECLAIMED + HEAP_MAIN) / 1024
    );

    let (config, source) = flash_config::load(peripherals.FLASH);
    log::info!("config: {source:?}");

    let radio = match wifi::Radio::new(&config.wifi) {
        Ok(r) => r,
        Err(e) => {
            log::error!("config: {e}; the AP comes up open as `{FALLBACK_SSID}`");
            wifi::Radio::fallback(FALLBACK_SSID)
        }
    };
    let controller = match WifiController::new(peripherals.WIFI, ControllerConfig::default()) {
        Ok(c) => c,
        Err(e) => halt(format_args!("the WiFi driver did not start: {e:?}")).await,
    };
    let ap_device = Interface::access_point();
    let sta_device = Interface::station();

    // The radio runs now, so the hardware RNG is a true random source.
    let rng = Rng::new();
    let mut seed = [0u8; 32];
    rng.read(&mut seed);
    let stack_seed = u64::from(rng.random()) << 32 | u64::from(rng.random());

    let subnet = config.wifi.ap_subnet;
    let ap_address = subnet.address;
    let (ap_stack, ap_runner) = embassy_net::new(
        ap_device,
        embassy_net::Config::ipv4_static(StaticConfigV4 {
            address: Ipv4Cidr::new(ap_address, subnet.prefix),
            gateway: None,
            dns_servers: Default::default(),
        }),
        AP_RESOURCES.init(StackResources::new()),
        stack_seed,
    );
    let (sta_stack, sta_runner) = embassy_net::new(
        sta_device,
        embassy_net::Config::dhcpv4(Default::default()),
        STA_RESOURCES.init(StackResources::new()),
        stack_seed ^ 0x9e37_79b9_7f4a_7c15,
    );

    let dhcp = match DhcpServer::new(ap_address, subnet.prefix) {
        Ok(d) => Some(d),
        Err(e) => {
            log::error!("DHCP: {e}; cameras need a static address in {subnet}");
            None
        }
    };
    let responder = DNS_RESPONDER.init(dns::responder(ap_address, config.core.dns.as_ref()));

    let upstream = StationUpstream::new(sta_stack, UPSTREAM_STATE.init(upstream::State::new()));
    clock::install();
    let tls = TlsClient::new(
        RNG.init(rng::HardwareRng(rng)),
        config.extra_ca_pem.as_deref(),
    );
    let mut app = App::new(config, upstream, seed);
    match tls {
        Ok(tls) => app = app.with_tls(tls),
        Err(e) => log::error!("TLS: {e}; uploads to Mastodon get an error"),
    }
    let app: &'static BoardApp = APP.init(app);

    spawner.spawn(net_task(ap_runner).unwrap());
    spawner.spawn(net_task(sta_runner).unwrap());
    spawner.spawn(wifi::control(controller, radio, app).unwrap());
    if let Some(dhcp) = dhcp {
        spawner.spawn(dhcp_task(ap_stack, dhcp).unwrap());
    }
    spawner.spawn(dns_task(ap_stack, responder).unwrap());
    spawner.spawn(sntp::run(sta_stack, app).unwrap());
    for worker in 0..HTTP_WORKERS {
        spawner.spawn(http_task(app, ap_stack, worker).unwrap());
    }
    spawner.spawn(poster_task(app).unwrap());
    log::info!(
        "SNS API on http://{ap_address}:80 with {HTTP_WORKERS} accepting sockets; cameras join `{}`",
        app.config().wifi.ap_ssid
    );
    report_memory().await
}

/// Logs the heap in use now and then, so a field report carries the figure.
async fn report_memory() -> ! {
    let mut peak = 0;
    loop {
        let used = esp_alloc::HEAP.used();
        if used > peak {
            peak = used;
            log::info!("heap: {} KiB in use (peak so far)", used / 1024);
        }
        embassy_time::Timer::after_secs(10).await;
    }
}

/// Stops here with a reason on the serial log (nothing can run without the radio).
async fn halt(reason: core::fmt::Arguments<'_>) -> ! {
    log::error!("{reason}");
    loop {
        embassy_time::Timer::after_secs(3600).await;
    }
}

#[embassy_executor::task(pool_size = 2)]
async fn net_task(mut runner: Runner<'static, Interface>) -> ! {
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
async fn http_task(app: &'static BoardApp, stack: Stack<'static>, worker: usize) -> ! {
    run_http(app, stack, worker).await
}

#[embassy_executor::task]
async fn poster_task(app: &'static BoardApp) -> ! {
    run_poster(app).await
}
