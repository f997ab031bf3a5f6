//! TCP over wasi:sockets, on wstd's reactor: a listener whose accepted
//! connections carry their peer address (wstd's own only gives a debug
//! string), can be half-closed after the answer, as on the daemon, and read
//! without spinning under jco (see [`Stream::read`]).

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use wasip2::io::poll::Pollable;
use wasip2::io::streams::{InputStream, StreamError};
use wasip2::sockets::network::{ErrorCode, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress};
use wasip2::sockets::tcp::{IpAddressFamily, ShutdownType, TcpSocket};
use wstd::io::AsyncOutputStream;
use wstd::runtime::AsyncPollable;

/// Pending connections the runtime may queue while all tasks are busy.
const BACKLOG: u64 = 128;

/// A listening socket.
#[derive(Debug)]
pub struct Listener {
    // Field order matters: the pollable is a child of the socket and must
    // be dropped first.
    pollable: AsyncPollable,
    socket: TcpSocket,
}

/// One accepted connection.
#[derive(Debug)]
pub struct Stream {
    // The streams are children of the socket: dropped before it.
    input: Input,
    pub output: AsyncOutputStream,
    socket: TcpSocket,
}

/// An input stream (a socket's, an HTTP answer's body) read on the reactor.
#[derive(Debug)]
pub struct Input {
    // The pollables are children of the stream: dropped before it.
    readable: AsyncPollable,
    readable_now: Pollable,
    stream: InputStream,
}

impl Listener {
    /// Binds and listens on `addr`.
    pub async fn bind(addr: SocketAddr) -> io::Result<Self> {
        let family = match addr {
            SocketAddr::V4(_) => IpAddressFamily::Ipv4,
            SocketAddr::V6(_) => IpAddressFamily::Ipv6,
        };
        let socket =
            wasip2::sockets::tcp_create_socket::create_tcp_socket(family).map_err(error)?;
        let network = wasip2::sockets::instance_network::instance_network();
        socket.start_bind(&network, to_wasi(addr)).map_err(error)?;
        let pollable = AsyncPollable::new(socket.subscribe());
        pollable.wait_for().await;
        socket.finish_bind().map_err(error)?;
        // Not every runtime lets the size be changed; its default then holds.
        let _ = socket.set_listen_backlog_size(BACKLOG);
        socket.start_listen().map_err(error)?;
        pollable.wait_for().await;
        socket.finish_listen().map_err(error)?;
        Ok(Self { pollable, socket })
    }

    /// The bound address (the port, when 0 was asked for).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_address().map(from_wasi).map_err(error)
    }

    /// The next connection and its peer's address.
    pub async fn accept(&self) -> io::Result<(Stream, SocketAddr)> {
        loop {
            match self.socket.accept() {
                Ok((socket, input, output)) => {
                    let peer = socket.remote_address().map(from_wasi).map_err(error)?;
                    let stream = Stream {
                        input: Input::new(input),
                        output: AsyncOutputStream::new(output),
                        socket,
                    };
                    return Ok((stream, peer));
                }
                Err(ErrorCode::WouldBlock) => self.pollable.wait_for().await,
                Err(e) => return Err(error(e)),
            }
        }
    }
}

impl Stream {
    /// Connects to `addr` (a client connection: the SMTP smarthost).
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let family = match addr {
            SocketAddr::V4(_) => IpAddressFamily::Ipv4,
            SocketAddr::V6(_) => IpAddressFamily::Ipv6,
        };
        let socket =
            wasip2::sockets::tcp_create_socket::create_tcp_socket(family).map_err(error)?;
        let network = wasip2::sockets::instance_network::instance_network();
        socket
            .start_connect(&network, to_wasi(addr))
            .map_err(error)?;
        let (input, output) = {
            let pollable = AsyncPollable::new(socket.subscribe());
            loop {
                match socket.finish_connect() {
                    Err(ErrorCode::WouldBlock) => pollable.wait_for().await,
                    other => break other.map_err(error)?,
                }
            }
        };
        Ok(Self {
            input: Input::new(input),
            output: AsyncOutputStream::new(output),
            socket,
        })
    }

    /// Reads what has arrived (at least one byte); Ok(0) at the end.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf).await
    }

    /// Ends the sending side (the camera sees EOF after the answer).
    pub fn shutdown_write(&self) {
        let _ = self.socket.shutdown(ShutdownType::Send);
    }
}

impl Input {
    /// Wraps a WASI input stream.
    pub fn new(stream: InputStream) -> Self {
        Self {
            readable: AsyncPollable::new(stream.subscribe()),
            readable_now: stream.subscribe(),
            stream,
        }
    }

    /// Reads what has arrived (at least one byte), waiting without blocking
    /// other tasks; Ok(0) at the end of the stream.
    ///
    /// wstd's `AsyncInputStream::read` spins under jco: preview2-shim 0.26
    /// keeps a socket stream "ready" after it was drained until a
    /// `poll` list looks at it, and wstd asks `ready()` first, so the task
    /// loops on empty reads and starves every other connection. Here an
    /// empty read first lets a non-blocking `poll` re-check the stream
    /// (a no-op for wasmtime), then waits on the reactor.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf.len() as u64) {
                Ok(bytes) if !bytes.is_empty() => {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes[..n]);
                    return Ok(n);
                }
                Ok(_) => {
                    let now = wasip2::clocks::monotonic_clock::subscribe_duration(0);
                    let _ = wasip2::io::poll::poll(&[&self.readable_now, &now]);
                    self.readable.wait_for().await;
                }
                Err(StreamError::Closed) => return Ok(0),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(io::Error::other(e.to_debug_string()));
                }
            }
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(ShutdownType::Both);
    }
}

/// A wasi:sockets error as an `io::Error` of the matching kind, so messages
/// read like the daemon's (address in use, permission denied, …).
pub fn error(e: ErrorCode) -> io::Error {
    let kind = match e {
        ErrorCode::AccessDenied | ErrorCode::NotSupported => io::ErrorKind::PermissionDenied,
        ErrorCode::AddressInUse => io::ErrorKind::AddrInUse,
        ErrorCode::AddressNotBindable => io::ErrorKind::AddrNotAvailable,
        ErrorCode::ConnectionRefused => io::ErrorKind::ConnectionRefused,
        ErrorCode::ConnectionReset => io::ErrorKind::ConnectionReset,
        ErrorCode::ConnectionAborted => io::ErrorKind::ConnectionAborted,
        ErrorCode::Timeout => io::ErrorKind::TimedOut,
        ErrorCode::WouldBlock => io::ErrorKind::WouldBlock,
        ErrorCode::InvalidArgument => io::ErrorKind::InvalidInput,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, format!("{e:?}"))
}

fn to_wasi(addr: SocketAddr) -> IpSocketAddress {
    match addr {
        SocketAddr::V4(a) => {
            let ip = a.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                address: (ip[0], ip[1], ip[2], ip[3]),
                port: a.port(),
            })
        }
        SocketAddr::V6(a) => {
            let s = a.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                address: (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
                port: a.port(),
                flow_info: a.flowinfo(),
                scope_id: a.scope_id(),
            })
        }
    }
}

fn from_wasi(addr: IpSocketAddress) -> SocketAddr {
    match addr {
        IpSocketAddress::Ipv4(Ipv4SocketAddress { address: a, port }) => {
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a.0, a.1, a.2, a.3), port))
        }
        IpSocketAddress::Ipv6(Ipv6SocketAddress {
            address: a,
            port,
            flow_info,
            scope_id,
        }) => SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::new(a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7),
            port,
            flow_info,
            scope_id,
        )),
    }
}
