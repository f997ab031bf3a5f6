//! DHCP server for the access point: the board is the cameras' router and DNS server.
//!
//! [`DhcpServer`] is transport-free (packet in, packet out, time as an
//! argument) over edge-dhcp's lease table; [`run`] drives it with an
//! embassy-net UDP socket on port 67 of the AP stack.

use core::convert::Infallible;
use core::fmt;
use core::net::{Ipv4Addr, SocketAddrV4};

use edge_dhcp::server::{Server, ServerOptions};
use edge_dhcp::{DhcpOption, MessageType, Options, Packet};
use embassy_net::Stack;
use embassy_net::udp::{BindError, PacketMetadata, UdpSocket};

/// Leases the board hands out at most: a few cameras and the phone that configures them.
pub const MAX_LEASES: usize = 16;
/// How long a lease lasts, in seconds; cameras renew at half of it.
pub const LEASE_SECS: u32 = 2 * 60 * 60;
/// UDP port the server listens on.
pub const SERVER_PORT: u16 = 67;
/// UDP port the clients listen on.
pub const CLIENT_PORT: u16 = 68;
/// Largest DHCP message accepted (an Ethernet MTU of payload); larger ones are dropped by the socket.
pub const MAX_MESSAGE_LEN: usize = 1472;
/// Bytes a reply needs: the fixed BOOTP part (236), the cookie, and the few options we send.
pub const REPLY_BUFFER_LEN: usize = 576;

/// Why the server cannot start or a packet was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DhcpError {
    /// The AP subnet is too small to hold the board and one client (prefix longer than /30).
    SubnetTooSmall,
    /// The AP address is the subnet's network or broadcast address.
    NotAHostAddress,
    /// The packet is not a well-formed BOOTP/DHCP message.
    Malformed,
    /// The reply does not fit the output buffer.
    BufferTooSmall,
}

impl fmt::Display for DhcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SubnetTooSmall => "the AP subnet must be /30 or larger",
            Self::NotAHostAddress => {
                "the AP address must not be the subnet's network or broadcast address"
            }
            Self::Malformed => "malformed DHCP message",
            Self::BufferTooSmall => "DHCP reply does not fit the buffer",
        })
    }
}

/// What a reply tells the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// An address is offered (answer to DISCOVER).
    Offer,
    /// The lease is granted (answer to REQUEST).
    Ack,
    /// The requested address is refused; the client starts over with DISCOVER.
    Nak,
}

/// A reply written into the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// Length of the reply in the output buffer.
    pub len: usize,
    /// Where to send it (RFC 2131 §4.1: relay, client's current address, or broadcast).
    pub to: SocketAddrV4,
    /// Offer, ACK or NAK.
    pub kind: ReplyKind,
    /// The address offered or leased (unspecified for a NAK).
    pub address: Ipv4Addr,
    /// The client's hardware address.
    pub client: Mac,
}

/// An Ethernet hardware address, shown as `aa:bb:cc:dd:ee:ff`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The lease table and addressing of the AP subnet; no I/O, time is an argument.
#[derive(Debug, Clone)]
pub struct DhcpServer {
    address: Ipv4Addr,
    mask: Ipv4Addr,
    range_start: Ipv4Addr,
    range_end: Ipv4Addr,
    leases: heapless::LinearMap<Ipv4Addr, edge_dhcp::server::Lease, MAX_LEASES>,
}

impl DhcpServer {
    /// A server for the board at `address` on a subnet of `prefix_len` bits; it is gateway and DNS server.
    ///
    /// The pool is up to [`MAX_LEASES`] addresses right after the board's
    /// (or right before it when the board holds the top of the subnet).
    pub fn new(address: Ipv4Addr, prefix_len: u8) -> Result<Self, DhcpError> {
        if prefix_len > 30 {
            return Err(DhcpError::SubnetTooSmall);
        }
        let host_bits = 32 - u32::from(prefix_len);
        let mask = u32::MAX.checked_shl(host_bits).unwrap_or(0);
        let own = u32::from(address);
        let network = own & mask;
        let broadcast = network | !mask;
        if own == network || own == broadcast {
            return Err(DhcpError::NotAHostAddress);
        }
        let pool = MAX_LEASES as u32;
        let (start, end) = if own < broadcast - 1 {
            (own + 1, (own + pool).min(broadcast - 1))
        } else {
            ((own - pool).max(network + 1), own - 1)
        };
        Ok(Self {
            address,
            mask: Ipv4Addr::from(mask),
            range_start: Ipv4Addr::from(start),
            range_end: Ipv4Addr::from(end),
            leases: heapless::LinearMap::new(),
        })
    }

    /// The board's own address: server identifier, router and DNS server in every reply.
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// First and last address of the pool.
    pub fn range(&self) -> (Ipv4Addr, Ipv4Addr) {
        (self.range_start, self.range_end)
    }

    /// Handles one message received on port 67 at `now_secs` (any monotonic clock in seconds).
    ///
    /// `Ok(None)`: nothing to send (a reply, a message for another server,
    /// RELEASE/DECLINE, or the pool is exhausted). `Err(Malformed)` for bytes
    /// that are not DHCP; the lease table is untouched by them.
    pub fn handle(
        &mut self,
        now_secs: u64,
        request: &[u8],
        out: &mut [u8],
    ) -> Result<Option<Reply>, DhcpError> {
        let packet = Packet::decode(request).map_err(|_| DhcpError::Malformed)?;
        if packet.reply {
            return Ok(None);
        }
        let mut gateways = [Ipv4Addr::UNSPECIFIED];
        let mut options = ServerOptions::new(self.address, Some(&mut gateways));
        let dns = [self.address];
        options.dns = &dns;
        options.subnet = Some(self.mask);
        options.lease_duration_secs = LEASE_SECS;
        // edge-dhcp's server reads the clock through a closure; a fresh one per
        // message keeps time an argument while the lease table lives here.
        let mut server: Server<_, MAX_LEASES> = Server {
            now: || now_secs,
            range_start: self.range_start,
            range_end: self.range_end,
            leases: core::mem::take(&mut self.leases),
        };
        let mut opt_buf = Options::buf();
        let reply = server.handle_request(&mut opt_buf, &options, &packet);
        let encoded = reply
            .as_ref()
            .map(|r| (r.yiaddr, kind_of(r), r.encode(out)));
        self.leases = server.leases;
        let Some((address, kind, encoded)) = encoded else {
            return Ok(None);
        };
        let len = encoded.map_err(|_| DhcpError::BufferTooSmall)?.len();
        let mut client = [0; 6];
        client.copy_from_slice(&packet.chaddr[..6]);
        Ok(Some(Reply {
            len,
            to: destination(&packet),
            kind,
            address,
            client: Mac(client),
        }))
    }
}

fn kind_of(reply: &Packet<'_>) -> ReplyKind {
    let message_type = reply.options.iter().find_map(|o| match o {
        DhcpOption::MessageType(t) => Some(t),
        _ => None,
    });
    match message_type {
        Some(MessageType::Offer) => ReplyKind::Offer,
        Some(MessageType::Ack) => ReplyKind::Ack,
        _ => ReplyKind::Nak,
    }
}

/// RFC 2131 §4.1: to the relay, else unicast to a client that already has
/// its address and did not ask for broadcast, else broadcast (a client
/// without an address cannot receive unicast before it is configured).
fn destination(request: &Packet<'_>) -> SocketAddrV4 {
    if !request.giaddr.is_unspecified() {
        SocketAddrV4::new(request.giaddr, SERVER_PORT)
    } else if !request.ciaddr.is_unspecified() && !request.broadcast {
        SocketAddrV4::new(request.ciaddr, CLIENT_PORT)
    } else {
        SocketAddrV4::new(Ipv4Addr::BROADCAST, CLIENT_PORT)
    }
}

/// Serves DHCP on port 67 of the AP `stack` for ever; returns only if the port cannot be bound.
pub async fn run(stack: Stack<'_>, server: &mut DhcpServer) -> Result<Infallible, BindError> {
    let mut rx_meta = [PacketMetadata::EMPTY; 4];
    let mut rx_buffer = [0; 2 * MAX_MESSAGE_LEN];
    let mut tx_meta = [PacketMetadata::EMPTY; 2];
    let mut tx_buffer = [0; 2 * REPLY_BUFFER_LEN];
    let mut socket = UdpSocket::new(
        stack,
        &mut rx_meta,
        &mut rx_buffer,
        &mut tx_meta,
        &mut tx_buffer,
    );
    socket.bind(SERVER_PORT)?;
    let (first, last) = server.range();
    log::info!(
        "DHCP on {}:{SERVER_PORT} leases {first}-{last} (router and DNS {})",
        server.address(),
        server.address()
    );
    let mut request = [0; MAX_MESSAGE_LEN];
    let mut reply = [0; REPLY_BUFFER_LEN];
    loop {
        // A datagram larger than `request` is dropped by the socket (Truncated).
        let Ok((n, meta)) = socket.recv_from(&mut request).await else {
            continue;
        };
        let now = embassy_time::Instant::now().as_secs();
        match server.handle(now, &request[..n], &mut reply) {
            Ok(Some(r)) => {
                match r.kind {
                    ReplyKind::Offer => log::debug!("DHCP: offer {} to {}", r.address, r.client),
                    ReplyKind::Ack => log::info!("DHCP: {} leased to {}", r.address, r.client),
                    ReplyKind::Nak => {
                        log::info!(
                            "DHCP: NAK to {} (address outside the pool or taken)",
                            r.client
                        );
                    }
                }
                if let Err(e) = socket.send_to(&reply[..r.len], r.to).await {
                    log::warn!("DHCP: cannot send to {}: {e:?}", r.to);
                }
            }
            Ok(None) => {}
            Err(e) => log::debug!("DHCP: {e} from {}", meta.endpoint),
        }
    }
}

#[cfg(test)]
mod tests;
