//! The link photos leave by: TCP connections to the Mastodon server, which
//! the board opens over its station interface (DNS + embassy-net) and the
//! host over std sockets. TLS is layered on top by [`crate::tls`], the same
//! code on both.

use core::fmt;
use core::future::Future;

/// Why an upstream connection could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The upstream network is not joined (no station link, no address).
    LinkDown,
    /// The host name did not resolve.
    Dns,
    /// The TCP connection was refused or timed out.
    Connect,
    /// Every upstream socket is in use.
    Busy,
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LinkDown => "the upstream network is down",
            Self::Dns => "the server's name did not resolve",
            Self::Connect => "the server refused or did not answer the connection",
            Self::Busy => "every upstream connection is in use",
        })
    }
}

impl core::error::Error for UpstreamError {}

/// Opens TCP connections to the Mastodon server. The board implements it
/// with its station stack (DNS, a small socket pool); the host with std
/// sockets ([`crate::host::TcpUpstream`], feature `std`).
///
/// A connection carries one request and its answer (every request says
/// `Connection: close`); dropping it closes it.
pub trait Upstream {
    /// One open connection.
    type Conn<'a>: embedded_io_async::Read + embedded_io_async::Write
    where
        Self: 'a;

    /// Connects to `host` (a name or an address) at `port`.
    fn connect<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> impl Future<Output = Result<Self::Conn<'a>, UpstreamError>> + 'a;

    /// Whether the upstream link is up (joined, with an address): while it
    /// is not, uploads are answered with an error at once.
    fn is_up(&self) -> bool;
}
