//! [`App`]: the state one board shares between its tasks: the core's
//! [`Bridge`], the configuration, the clock, the upstream link and the
//! posts waiting to be sent.

use core::cell::{Cell, RefCell};

use alloc::string::String;
use alloc::vec::Vec;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::semaphore::GreedySemaphore;
use embassy_sync::signal::Signal;
use samsung_core::mastodon::BaseUrl;
use samsung_core::sns::Bridge;
use samsung_core::time::Instant;

use crate::config::BoardConfig;
use crate::forward::posts::Posts;
use crate::upstream::Upstream;

/// Shared by every task of one board (`&'static`, one executor): the
/// blocking mutex is only ever held for one synchronous core call.
pub struct App<U: Upstream> {
    bridge: Mutex<CriticalSectionRawMutex, RefCell<Bridge>>,
    config: BoardConfig,
    /// Unix milliseconds at uptime 0; 0 until a clock source set it.
    unix_offset: Mutex<CriticalSectionRawMutex, Cell<u64>>,
    random: Mutex<CriticalSectionRawMutex, Cell<u64>>,
    /// Camera connections receiving a photo or an e-mail now.
    transfers: Mutex<CriticalSectionRawMutex, Cell<usize>>,
    pub(crate) upstream: U,
    /// The `[MASTODON]` accounts' servers, parsed once.
    servers: Vec<(Option<String>, BaseUrl)>,
    pub(crate) posts: Mutex<CriticalSectionRawMutex, RefCell<Posts>>,
    /// The upstream connection slots ([`crate::MAX_UPSTREAM_LINKS`]).
    pub(crate) links: GreedySemaphore<CriticalSectionRawMutex>,
    /// Wakes the poster: a batch or an e-mail is ready to post.
    pub(crate) post_ready: Signal<CriticalSectionRawMutex, ()>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::TlsClient>,
}

impl<U: Upstream> core::fmt::Debug for App<U> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("App")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<U: Upstream> App<U> {
    /// The board's state: `config`, the upstream link, and 32 bytes from
    /// the hardware (or OS) RNG for session keys and multipart boundaries.
    pub fn new(config: BoardConfig, upstream: U, seed: [u8; 32]) -> Self {
        let bridge = Bridge::new(config.core.bridge_config(), seed);
        let servers = config
            .core
            .mastodon
            .iter()
            .filter_map(|(name, m)| match BaseUrl::parse(&m.base_url) {
                Ok(url) => Some((name.clone(), url)),
                Err(e) => {
                    log::error!("Mastodon account {name:?}: BASE_URL {}: {e}", m.base_url);
                    None
                }
            })
            .collect();
        let mut r = [0u8; 8];
        r.copy_from_slice(&seed[24..]);
        Self {
            bridge: Mutex::new(RefCell::new(bridge)),
            config,
            unix_offset: Mutex::new(Cell::new(0)),
            // xorshift must not start at 0.
            random: Mutex::new(Cell::new(u64::from_le_bytes(r) | 1)),
            transfers: Mutex::new(Cell::new(0)),
            upstream,
            servers,
            posts: Mutex::new(RefCell::new(Posts::default())),
            links: GreedySemaphore::new(crate::MAX_UPSTREAM_LINKS),
            post_ready: Signal::new(),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Adds the TLS client that `https://` base URLs need (without it they
    /// are answered with an error).
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, tls: crate::tls::TlsClient) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &BoardConfig {
        &self.config
    }

    /// The server of Mastodon account `instance` (None: `[MASTODON]`).
    pub(crate) fn server(&self, instance: Option<&str>) -> Option<&BaseUrl> {
        self.servers
            .iter()
            .find(|(n, _)| n.as_deref() == instance)
            .map(|(_, u)| u)
    }

    /// The upstream link.
    pub fn upstream(&self) -> &U {
        &self.upstream
    }

    /// Sets the wall clock: `unix_millis` is the Unix time now (from SNTP on
    /// the board, the system clock on the host). Until then [`App::now`]
    /// counts from the Unix epoch (ST1000 answers and status dates are then
    /// wrong, nothing else).
    pub fn set_unix_time(&self, unix_millis: u64) {
        let uptime = embassy_time::Instant::now().as_millis();
        self.unix_offset
            .lock(|o| o.set(unix_millis.saturating_sub(uptime)));
    }

    /// Whether [`App::set_unix_time`] was called.
    pub fn clock_is_set(&self) -> bool {
        self.unix_offset.lock(|o| o.get() != 0)
    }

    /// Now, in Unix milliseconds once the clock is set.
    pub fn now(&self) -> Instant {
        let uptime = embassy_time::Instant::now().as_millis();
        Instant::from_millis(uptime.saturating_add(self.unix_offset.lock(Cell::get)))
    }

    /// The embassy-time instant of a core instant (for timers).
    pub(crate) fn to_embassy(&self, at: Instant) -> embassy_time::Instant {
        let offset = self.unix_offset.lock(Cell::get);
        embassy_time::Instant::from_millis(at.as_millis().saturating_sub(offset))
    }

    /// Whether a camera is sending a photo or an e-mail right now: the
    /// board must not rescan or reconnect its station link meanwhile (one
    /// radio: the AP would change channel and drop the camera).
    pub fn camera_transfer_running(&self) -> bool {
        self.transfers.lock(|t| t.get() > 0)
    }

    /// Counts a camera transfer until the guard is dropped.
    pub(crate) fn transfer_guard(&self) -> TransferGuard<'_, U> {
        self.transfers.lock(|t| t.set(t.get() + 1));
        TransferGuard(self)
    }

    /// Runs `f` on the core's bridge (never across an `.await`).
    pub fn with_bridge<R>(&self, f: impl FnOnce(&mut Bridge) -> R) -> R {
        self.bridge.lock(|b| f(&mut b.borrow_mut()))
    }

    /// A random number for multipart boundaries and back-off jitter (not
    /// for secrets).
    pub(crate) fn random(&self) -> u64 {
        self.random.lock(|s| {
            let mut x = s.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.set(x);
            x
        })
    }
}

/// A camera transfer in progress ([`App::camera_transfer_running`]).
pub(crate) struct TransferGuard<'a, U: Upstream>(&'a App<U>);

impl<U: Upstream> Drop for TransferGuard<'_, U> {
    fn drop(&mut self) {
        self.0.transfers.lock(|t| t.set(t.get().saturating_sub(1)));
    }
}
