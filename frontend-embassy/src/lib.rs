//! The ESP32 pocket bridge's logic on embassy-net, driving `samsung-core`.
//!
//! Target-independent: the firmware (`frontend-embassy/firmware`, outside
//! the host workspace) runs it on the ESP32-C3/C6 radio; the host build runs
//! it on an in-process channel driver (tests) or a TAP device.
//!
//! # What a board runs
//!
//! 1. [`BoardConfig::parse`] the configuration (or [`BoardConfig::fallback`]
//!    after logging its error), then [`App::new`] with the [`Upstream`]
//!    link, in a `static`; set the clock with [`App::set_unix_time`] once
//!    SNTP (or the host clock) knows it.
//! 2. Spawn [`HTTP_WORKERS`] tasks of [`run_http`] on the AP stack, and one
//!    [`run_poster`] (batches, posts, retries).
//! 3. DHCP and DNS on the AP, the station link and TLS set-up are the
//!    board's (`dhcp`, `dns`, [`tls`]).
#![no_std]

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
pub use forward::{MAX_MEDIA_PER_POST, MAX_POSTS, run_poster};
pub use server::{
    HTTP_PORT, HTTP_READ_BUF, HTTP_RX_BUF, HTTP_TX_BUF, HTTP_WORKER_RAM, HTTP_WORKERS, run_http,
};
pub use upstream::{Upstream, UpstreamError};
