//! The app's [`Upstream`] on the station stack: DNS through the upstream
//! network's resolver, TCP from a fixed pool of sockets.

use core::cell::Cell;
use core::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use embassy_net::Stack;
use embassy_net::dns::DnsQueryType;
use embassy_net::tcp::client::{TcpClient, TcpClientState, TcpConnection};
use embassy_time::Duration;
use embedded_nal_async::TcpConnect;
use samsung_bridge_embassy::{Upstream, UpstreamError};

/// Connections open at once: as many as the app ever opens.
pub const SOCKETS: usize = samsung_bridge_embassy::MAX_UPSTREAM_LINKS;
/// Send buffer: the upload streams through it, so it sets the throughput.
pub const TX_BUFFER: usize = 8 * 1024;
/// Receive buffer: answers are small JSON documents, TLS records up to 16 KiB are reassembled by TLS.
pub const RX_BUFFER: usize = 4 * 1024;
/// A connection that receives nothing this long is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The buffers of the pool, `static` in `main`.
pub type State = TcpClientState<SOCKETS, TX_BUFFER, RX_BUFFER>;

/// TCP to the Mastodon server over the upstream network.
pub struct StationUpstream {
    stack: Stack<'static>,
    client: TcpClient<'static, SOCKETS, TX_BUFFER, RX_BUFFER>,
    /// Connections out of the pool right now (one executor thread: a `Cell` is enough).
    open: Cell<usize>,
}

impl StationUpstream {
    /// The upstream over `stack` with socket buffers from `state`.
    pub fn new(stack: Stack<'static>, state: &'static State) -> Self {
        let mut client = TcpClient::new(stack, state);
        client.set_timeout(Some(IDLE_TIMEOUT));
        Self {
            stack,
            client,
            open: Cell::new(0),
        }
    }

    async fn resolve(&self, host: &str) -> Result<Ipv4Addr, UpstreamError> {
        if let Ok(address) = host.parse() {
            return Ok(address);
        }
        let found = self
            .stack
            .dns_query(host, DnsQueryType::A)
            .await
            .map_err(|_| UpstreamError::Dns)?;
        match found.first() {
            Some(embassy_net::IpAddress::Ipv4(a)) => Ok(*a),
            None => Err(UpstreamError::Dns),
        }
    }
}

/// One pooled connection; gives its slot back when dropped.
pub struct Conn<'a> {
    inner: TcpConnection<'a, SOCKETS, TX_BUFFER, RX_BUFFER>,
    open: &'a Cell<usize>,
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        self.open.set(self.open.get() - 1);
    }
}

impl embedded_io_async::ErrorType for Conn<'_> {
    type Error = embassy_net::tcp::Error;
}

impl embedded_io_async::Read for Conn<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        embedded_io_async::Read::read(&mut self.inner, buf).await
    }
}

impl embedded_io_async::Write for Conn<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        embedded_io_async::Write::write(&mut self.inner, buf).await
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        embedded_io_async::Write::flush(&mut self.inner).await
    }
}

impl Upstream for StationUpstream {
    type Conn<'a> = Conn<'a>;

    async fn connect<'a>(&'a self, host: &'a str, port: u16) -> Result<Conn<'a>, UpstreamError> {
        if !self.is_up() {
            return Err(UpstreamError::LinkDown);
        }
        if self.open.get() >= SOCKETS {
            return Err(UpstreamError::Busy);
        }
        let address = self.resolve(host).await?;
        // Another task may have taken the last socket while the name resolved.
        if self.open.get() >= SOCKETS {
            return Err(UpstreamError::Busy);
        }
        self.open.set(self.open.get() + 1);
        match self
            .client
            .connect(SocketAddr::V4(SocketAddrV4::new(address, port)))
            .await
        {
            Ok(inner) => Ok(Conn {
                inner,
                open: &self.open,
            }),
            Err(_) => {
                self.open.set(self.open.get() - 1);
                Err(UpstreamError::Connect)
            }
        }
    }

    fn is_up(&self) -> bool {
        self.stack.is_link_up() && self.stack.is_config_up()
    }
}
