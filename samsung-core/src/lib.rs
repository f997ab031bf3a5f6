//! Sans-IO implementation of Samsung's camera "Social Network Services" API.
//!
//! Samsung WiFi cameras (2009–2015) upload photos through an HTTP API that
//! Samsung switched off in 2021. This crate speaks that API — hotspot checks,
//! the e-mail API, social login / announce / upload, the ST1000 time call,
//! and a DNS responder for the Samsung host names — as pure state machines
//! over byte buffers. It performs no I/O, reads no clock and owns no RNG:
//! time, randomness and bytes are arguments (`#![no_std]` + `alloc`). The
//! Linux daemon, the ESP32 firmware and the WASI build are thin drivers of
//! it.
//!
//! # The pieces
//!
//! * [`sns::Bridge`] — the state shared by all connections: configuration,
//!   login sessions, batches, hotspot alternation. One per process.
//! * [`conn::Connection`] — one camera TCP connection: one request, one
//!   response, then close.
//! * [`deliver`] — what happens to a received upload or e-mail: a plan of
//!   steps (store, queue a post, a mail, a shell command) the frontend runs.
//! * [`mastodon::PostJob`] — one Mastodon post (or thread) as a state
//!   machine over its stored progress: which request to send next, what each
//!   answer means; the frontend moves the bytes and stores the progress.
//! * [`retry`] — when a failed forwarding job (Mastodon post, e-mail, shell
//!   command) is tried again, and when it is given up.
//! * [`dns::DnsResponder`] — answers the cameras' DNS queries.
//! * Building blocks with their own tests and fuzz targets: [`http`],
//!   [`multipart`], [`xml`], [`crypto`], [`route`], [`mastodon`], [`media`],
//!   [`hotspot`].
//! * `config` (feature `config`) — `config.toml` parsed and validated the
//!   same way for every frontend; the frontend reads the files.
//!
//! # Time
//!
//! [`time::Instant`] counts milliseconds since an epoch the frontend picks.
//! Use the Unix epoch (wall clock) if sessions are persisted with
//! [`sns::Bridge::export_sessions`] or if ST1000 time answers matter (the
//! ST1000 endpoint answers with `now` as Unix milliseconds).
//!
//! # The run loop (drain contract)
//!
//! For each accepted TCP connection the frontend creates a
//! [`conn::Connection`] and then:
//!
//! 1. **Wait** until the socket is readable or the earliest deadline of
//!    [`conn::Connection::poll_timeout`] / [`sns::Bridge::poll_timeout`]
//!    passes.
//! 2. **Feed** what was read: call [`conn::Connection::handle_input`] with
//!    the unconsumed rest of the bytes until it returns no event *and* has
//!    consumed everything — after an event, call it again even if nothing is
//!    left (an empty slice): the end of a body is noticed there. Act on each
//!    event before the next call (`Data` borrows the input):
//!    `UploadStart` / `AttachmentStart` open a temporary file, `Data` appends,
//!    `AttachmentEnd` closes one, `UploadComplete` / `EmailComplete` mean
//!    "store durably now", `Aborted` means "delete everything of this
//!    transfer". On EOF call [`conn::Connection::handle_eof`]; at a deadline
//!    [`conn::Connection::handle_timeout`].
//! 3. **Report** durability: after the file is fsynced and renamed (or the
//!    e-mail queued), call [`conn::Connection::handle_stored`]. The camera's
//!    `succ` answer exists only after that.
//! 4. **Drain** [`conn::Connection::poll_event`] until `None` (aborts caused
//!    by EOF or timeouts), and [`sns::Bridge::poll_event`] until `None`
//!    (batches closed, sessions expired).
//! 5. **Persist** (frontends that keep sessions across restarts): when
//!    [`conn::Connection::poll_save_sessions`] says so, write
//!    [`sns::Bridge::export_sessions`] durably before transmitting — the
//!    answer the camera gets depends on it.
//! 6. **Transmit**: [`conn::Connection::poll_transmit`] renders the complete
//!    answer into a buffer of at least [`conn::MIN_TRANSMIT_BUF`] bytes;
//!    write it with *one* write (one TCP segment: the cameras need it), then
//!    close once [`conn::Connection::is_closed`] says so.
//!
//! Every `poll_*` is `#[must_use]`; calling one when nothing is pending is
//! cheap and returns `None`.
//!
//! # Example
//!
//! ```
//! use samsung_core::{ClientAddr, conn::{Connection, Event}, sns::{Bridge, BridgeConfig}, time::Instant};
//!
//! let mut bridge = Bridge::new(BridgeConfig::default(), [7; 32]);
//! let now = Instant::from_millis(1_735_689_600_000);
//! let mut conn = Connection::new(ClientAddr::from_ipv4([10, 42, 0, 2]), now);
//! let request = b"GET / HTTP/1.1\r\nHost: gld.samsungosp.com\r\n\r\n";
//! let mut offset = 0;
//! loop {
//!     let (used, event) = conn.handle_input(&mut bridge, now, &request[offset..]);
//!     offset += used;
//!     match event {
//!         Some(Event::Data { .. }) => { /* append to the open file */ }
//!         Some(_) => { /* open / store / discard */ }
//!         None if offset == request.len() => break,
//!         None => {}
//!     }
//! }
//! let mut out = [0u8; samsung_core::conn::MIN_TRANSMIT_BUF];
//! let n = conn.poll_transmit(&mut out).expect("answer ready");
//! assert!(out[..n].starts_with(b"HTTP/1.1 200 OK\r\nServer: nginx"));
//! assert!(conn.is_closed());
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// quinn-proto's choices: the public API is what `lib.rs` exports, nothing
// leaks from a private module by accident; `Self` where the type repeats.
#![warn(unreachable_pub, clippy::use_self)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

#[cfg(feature = "config")]
pub mod config;
pub mod conn;
pub mod crypto;
pub mod deliver;
pub mod dns;
pub mod hotspot;
pub mod http;
pub mod mastodon;
pub mod media;
pub mod multipart;
pub mod percent;
pub mod retry;
pub mod route;
#[cfg(test)]
mod scenario_tests;
pub mod sns;
#[cfg(any(test, feature = "_fuzz"))]
#[doc(hidden)]
pub mod testing;
pub mod time;
pub mod xml;

/// A camera's network address (IPv4 addresses are stored IPv4-mapped), used
/// to keep per-client state such as the hotspot-check alternation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ClientAddr(pub [u8; 16]);

impl ClientAddr {
    /// The IPv4-mapped form of `ip`.
    pub const fn from_ipv4(ip: [u8; 4]) -> Self {
        Self([
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ip[0], ip[1], ip[2], ip[3],
        ])
    }
    /// An IPv6 address.
    pub const fn from_ipv6(ip: [u8; 16]) -> Self {
        Self(ip)
    }
}
