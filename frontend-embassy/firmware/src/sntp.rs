//! SNTP over the station link: the wall clock that certificate dates, ST1000
//! time answers and status dates need (the board has no battery clock).

use embassy_net::Stack;
use embassy_net::dns::DnsQueryType;
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_time::{Duration, Timer, with_timeout};

use crate::BoardApp;

/// The NTP pool; answers over any upstream with DNS.
const SERVER: &str = "pool.ntp.org";
const NTP_PORT: u16 = 123;
const PACKET_LEN: usize = 48;
/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const UNIX_EPOCH_IN_NTP: u64 = 2_208_988_800;
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// Wait after a failure, and between corrections once set.
const RETRY: Duration = Duration::from_secs(15);
const RESYNC: Duration = Duration::from_secs(60 * 60);

/// Why one exchange gave no time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SntpError {
    Dns,
    Socket,
    Timeout,
    /// Not a server answer to our request (wrong mode, version, origin, or a kiss-of-death).
    BadAnswer,
}

/// Keeps the app's clock set from SNTP while the station link is up.
#[embassy_executor::task]
pub async fn run(stack: Stack<'static>, app: &'static BoardApp) {
    let mut rx_meta = [PacketMetadata::EMPTY; 2];
    let mut rx_buffer = [0; 2 * PACKET_LEN];
    let mut tx_meta = [PacketMetadata::EMPTY; 2];
    let mut tx_buffer = [0; 2 * PACKET_LEN];
    let mut socket = UdpSocket::new(
        stack,
        &mut rx_meta,
        &mut rx_buffer,
        &mut tx_meta,
        &mut tx_buffer,
    );
    if socket.bind(0).is_err() {
        log::error!("SNTP: cannot open a UDP socket; the clock stays unset");
        return;
    }
    let mut nonce = 0x5eed_u64;
    loop {
        stack.wait_config_up().await;
        nonce = nonce
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(app.now().as_millis() | 1);
        match exchange(stack, &socket, nonce).await {
            Ok(unix_millis) => {
                let first = !app.clock_is_set();
                app.set_unix_time(unix_millis);
                crate::clock::set(unix_millis);
                if first {
                    log::info!(
                        "SNTP: clock set from {SERVER} (Unix time {} s)",
                        unix_millis / 1000
                    );
                }
                Timer::after(RESYNC).await;
            }
            Err(e) => {
                log::warn!(
                    "SNTP: no time from {SERVER} ({e:?}); retrying in {} s",
                    RETRY.as_secs()
                );
                Timer::after(RETRY).await;
            }
        }
    }
}

async fn exchange(
    stack: Stack<'static>,
    socket: &UdpSocket<'_>,
    nonce: u64,
) -> Result<u64, SntpError> {
    let addresses = stack
        .dns_query(SERVER, DnsQueryType::A)
        .await
        .map_err(|_| SntpError::Dns)?;
    let server = addresses.first().copied().ok_or(SntpError::Dns)?;
    let request = request(nonce);
    socket
        .send_to(&request, (server, NTP_PORT))
        .await
        .map_err(|_| SntpError::Socket)?;
    let mut answer = [0u8; PACKET_LEN];
    loop {
        let (n, meta) = with_timeout(ANSWER_TIMEOUT, socket.recv_from(&mut answer))
            .await
            .map_err(|_| SntpError::Timeout)?
            .map_err(|_| SntpError::BadAnswer)?;
        // Anything else on this port (a late answer to an earlier try) is skipped.
        if meta.endpoint.addr != server || n != PACKET_LEN {
            continue;
        }
        return parse(&answer, nonce);
    }
}

/// A client request (version 4, mode 3); the transmit timestamp carries a
/// nonce the server echoes as the origin, so forged answers are refused.
fn request(nonce: u64) -> [u8; PACKET_LEN] {
    let mut p = [0u8; PACKET_LEN];
    p[0] = (4 << 3) | 3;
    p[40..48].copy_from_slice(&nonce.to_be_bytes());
    p
}

/// Unix milliseconds from a server answer (RFC 4330 §5).
fn parse(p: &[u8; PACKET_LEN], nonce: u64) -> Result<u64, SntpError> {
    let mode = p[0] & 0x7;
    let version = (p[0] >> 3) & 0x7;
    let stratum = p[1];
    if mode != 4 || !(3..=4).contains(&version) || !(1..=15).contains(&stratum) {
        return Err(SntpError::BadAnswer);
    }
    if p[24..32] != nonce.to_be_bytes() {
        return Err(SntpError::BadAnswer);
    }
    let seconds = u64::from(u32::from_be_bytes([p[40], p[41], p[42], p[43]]));
    let fraction = u64::from(u32::from_be_bytes([p[44], p[45], p[46], p[47]]));
    // Era 0 ends in 2036; a server value below 1970 belongs to era 1.
    let seconds = if seconds < UNIX_EPOCH_IN_NTP {
        seconds + (1 << 32)
    } else {
        seconds
    };
    Ok((seconds - UNIX_EPOCH_IN_NTP) * 1000 + ((fraction * 1000) >> 32))
}
