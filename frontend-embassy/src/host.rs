//! Host (std) pieces: the [`Upstream`] over std sockets, for the tests, the
//! TAP binary and the benchmark. Works under embassy's `platform-std`
//! executor and any other (async-io drives the sockets on its own thread).

use alloc::string::{String, ToString};
use core::sync::atomic::{AtomicBool, Ordering};
use std::net::{TcpStream, ToSocketAddrs};

use async_io::Async;
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use futures_lite::{AsyncReadExt as _, AsyncWriteExt as _};

use samsung_core::config::{Files, ReadError};

use crate::config::BoardConfig;
use crate::upstream::{Upstream, UpstreamError};

/// Real TCP to the Mastodon server through the host's network.
#[derive(Debug)]
pub struct TcpUpstream {
    up: AtomicBool,
}

impl Default for TcpUpstream {
    fn default() -> Self {
        Self::new()
    }
}

impl TcpUpstream {
    /// A link that is up.
    pub fn new() -> Self {
        Self {
            up: AtomicBool::new(true),
        }
    }

    /// Marks the link up or down (a station link that dropped, in tests).
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::Relaxed);
    }
}

/// One std TCP connection as embedded-io-async.
#[derive(Debug)]
pub struct HostConn(Async<TcpStream>);

impl ErrorType for HostConn {
    type Error = ErrorKind;
}

fn kind(e: &std::io::Error) -> ErrorKind {
    match e.kind() {
        std::io::ErrorKind::ConnectionReset => ErrorKind::ConnectionReset,
        std::io::ErrorKind::BrokenPipe => ErrorKind::BrokenPipe,
        std::io::ErrorKind::TimedOut => ErrorKind::TimedOut,
        _ => ErrorKind::Other,
    }
}

impl Read for HostConn {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        self.0.read(buf).await.map_err(|e| kind(&e))
    }
}

impl Write for HostConn {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.0.write(buf).await.map_err(|e| kind(&e))
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        self.0.flush().await.map_err(|e| kind(&e))
    }
}

impl Upstream for TcpUpstream {
    type Conn<'a> = HostConn;

    async fn connect<'a>(&'a self, host: &'a str, port: u16) -> Result<HostConn, UpstreamError> {
        if !self.is_up() {
            return Err(UpstreamError::LinkDown);
        }
        // Names in tests are addresses or localhost: resolving them does
        // not block for long.
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|_| UpstreamError::Dns)?
            .next()
            .ok_or(UpstreamError::Dns)?;
        let stream = Async::<TcpStream>::connect(addr)
            .await
            .map_err(|_| UpstreamError::Connect)?;
        let _ = stream.get_ref().set_nodelay(true);
        Ok(HostConn(stream))
    }

    fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }
}

/// The host's files for the configuration: token files and `CA_FILE`,
/// relative to the working directory (as on the daemon).
#[derive(Debug, Default, Clone, Copy)]
pub struct HostFiles;

impl Files for HostFiles {
    fn read(&mut self, path: &str) -> Result<String, ReadError> {
        std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            std::io::ErrorKind::PermissionDenied => ReadError::PermissionDenied,
            std::io::ErrorKind::IsADirectory => ReadError::IsADirectory,
            std::io::ErrorKind::InvalidData => ReadError::NotText,
            _ => ReadError::Other(e.to_string()),
        })
    }

    fn exists(&mut self, path: &str) -> bool {
        std::path::Path::new(path).exists()
    }
}

/// The configuration file at `path` as a host binary starts with it: a
/// missing or bad file is logged (with its name) and the fallback runs,
/// as on the board.
pub fn load_config(path: &std::path::Path) -> BoardConfig {
    match HostFiles.read(&path.to_string_lossy()) {
        Ok(text) => BoardConfig::parse_or_fallback_with(Some(&text), &mut HostFiles),
        Err(e) => {
            log::error!("{}: {e}", path.display());
            BoardConfig::parse_or_fallback(None)
        }
    }
}

/// The system clock in Unix milliseconds, for [`crate::App::set_unix_time`].
pub fn unix_millis_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The OS random number generator, for [`crate::tls::TlsClient::new`] on
/// the host.
#[cfg(feature = "tls")]
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

#[cfg(feature = "tls")]
impl rand_core::TryRng for OsRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        // Keys from a failing OS RNG would be guessable: stop instead.
        #[allow(clippy::expect_used)]
        getrandom::fill(dst).expect("the OS random number generator failed");
        Ok(())
    }
}

#[cfg(feature = "tls")]
impl rand_core::TryCryptoRng for OsRng {}
