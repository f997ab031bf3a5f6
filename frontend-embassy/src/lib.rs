//! The ESP32 pocket bridge's logic on embassy-net, driving `samsung-core`.
//!
//! Target-independent: the firmware (`frontend-embassy/firmware`, outside
//! the host workspace) runs it on the ESP32-C3/C6 radio; the host build runs
//! it on an in-process channel driver (tests) or a TAP device.
//!
//! # What a board runs
//!
//! 1. [`BoardConfig::parse_or_fallback`] the configuration text (from the
//!    data partition, or a build-time default): a bad one is logged and the
//!    board runs [`BoardConfig::fallback`] (AP [`config::FALLBACK_SSID`]).
//! 2. [`App::new`] with the [`Upstream`] link (the station stack: DNS and a
//!    small socket pool) and 32 bytes from the hardware RNG; with feature
//!    `tls`, `App::with_tls` with a `tls::TlsClient` made from the
//!    RNG and `config.extra_ca_pem`. Keep it in a `static`.
//! 3. Spawn [`HTTP_WORKERS`] tasks of [`run_http`] on the AP stack (one
//!    listening socket each: smoltcp has no backlog) and one [`run_poster`].
//! 4. Once SNTP knows the time, [`App::set_unix_time`]. While
//!    [`App::camera_transfer_running`], do not rescan or reconnect the
//!    station link (the AP would change channel under the camera).
//!
//! DHCP and DNS on the AP, the radio, SNTP and the station's reconnects are
//! the firmware's. A photo is never stored: it streams into Mastodon's
//! media API while it arrives, and the camera hears `succ` only when the
//! server accepted it; complete batches and e-mails are posted by
//! [`run_poster`] (see `forward`).
#![no_std]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

mod app;
pub mod config;
pub mod dhcp;
pub mod dns;
mod forward;
#[cfg(feature = "std")]
pub mod host;
mod server;
#[cfg(feature = "tls")]
pub mod tls;
mod upstream;

pub use app::App;
pub use config::{BoardConfig, ConfigError, WifiConfig};
pub use forward::{MAX_MEDIA_PER_POST, MAX_POSTS, MAX_UPSTREAM_LINKS, run_poster};
pub use server::{
    HTTP_PORT, HTTP_READ_BUF, HTTP_RX_BUF, HTTP_TX_BUF, HTTP_WORKER_RAM, HTTP_WORKERS, run_http,
};
pub use upstream::{Upstream, UpstreamError};
