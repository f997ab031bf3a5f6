//! DNS on the access point: the Samsung host names resolve to the board.
//!
//! The answers come from the core's [`DnsResponder`]; this module picks its
//! configuration for the board and serves it on UDP port 53 of the AP stack.

use core::convert::Infallible;
use core::net::Ipv4Addr;

use embassy_net::Stack;
use embassy_net::udp::{BindError, PacketMetadata, UdpSocket};
use samsung_core::config::DnsConfig;
use samsung_core::dns::{DnsResponder, MAX_RESPONSE_LEN};

/// UDP port of the responder.
pub const PORT: u16 = 53;
/// Largest query read; stub resolvers send well under 512 bytes without EDNS
/// and the answer never needs more, so longer datagrams are dropped.
pub const MAX_QUERY_LEN: usize = 512;
/// Queries the socket buffers while one is being answered.
const QUEUED_QUERIES: usize = 4;

/// The responder for a board whose AP address is `ap`.
///
/// Without a `[DNS]` section: the Samsung host names, other names refused.
/// With one: its `NAMES` and `UNLISTED`, always answered with `ap` — the
/// cameras must reach the board, whatever `ADDRESS` says (a different one is
/// reported on the log).
pub fn responder(ap: Ipv4Addr, config: Option<&DnsConfig>) -> DnsResponder {
    let Some(config) = config else {
        return DnsResponder::samsung(ap.octets());
    };
    if config.address != ap {
        log::warn!(
            "DNS.ADDRESS {} is not used on the board: the names resolve to its AP address {ap}",
            config.address
        );
    }
    let mut config = config.clone();
    config.address = ap;
    config.responder()
}

/// Answers DNS queries on port 53 of the AP `stack` for ever; returns only if the port cannot be bound.
pub async fn run(stack: Stack<'_>, responder: &DnsResponder) -> Result<Infallible, BindError> {
    let mut rx_meta = [PacketMetadata::EMPTY; QUEUED_QUERIES];
    let mut rx_buffer = [0; QUEUED_QUERIES * MAX_QUERY_LEN];
    let mut tx_meta = [PacketMetadata::EMPTY; 2];
    let mut tx_buffer = [0; 2 * MAX_RESPONSE_LEN];
    let mut socket = UdpSocket::new(
        stack,
        &mut rx_meta,
        &mut rx_buffer,
        &mut tx_meta,
        &mut tx_buffer,
    );
    socket.bind(PORT)?;
    log::info!(
        "DNS on port {PORT} answers {} names with {}",
        responder.names().count(),
        Ipv4Addr::from(responder.address())
    );
    let mut query = [0; MAX_QUERY_LEN];
    let mut answer = [0; MAX_RESPONSE_LEN];
    loop {
        // A datagram longer than `query` is dropped by the socket (Truncated).
        let Ok((n, meta)) = socket.recv_from(&mut query).await else {
            continue;
        };
        match responder.handle_query(&query[..n], &mut answer) {
            Ok(Some(len)) => {
                if let Err(e) = socket.send_to(&answer[..len], meta.endpoint).await {
                    log::debug!("DNS: cannot answer {}: {e:?}", meta.endpoint);
                }
            }
            Ok(None) => {}
            Err(e) => log::debug!("DNS query from {}: {e}", meta.endpoint),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use samsung_core::dns::{Query, TYPE_A};
    use std::string::String;
    use std::vec;

    const AP: Ipv4Addr = Ipv4Addr::new(10, 42, 0, 1);

    /// Asks `responder` for an A record of `name`; returns (RCODE, answer address).
    fn ask(responder: &DnsResponder, name: &str) -> (u8, Option<[u8; 4]>) {
        let q = Query {
            id: 7,
            flags: 0x0100,
            name: String::from(name),
            qtype: TYPE_A,
            qclass: 1,
        };
        let mut packet = [0; MAX_QUERY_LEN];
        let n = q.emit(&mut packet).unwrap();
        let mut out = [0; MAX_RESPONSE_LEN];
        let len = responder
            .handle_query(&packet[..n], &mut out)
            .unwrap()
            .unwrap();
        let rcode = out[3] & 0x0f;
        let answers = u16::from_be_bytes([out[6], out[7]]);
        let address = (answers == 1).then(|| out[len - 4..len].try_into().unwrap());
        (rcode, address)
    }

    #[test]
    fn without_dns_section_samsung_names_resolve_to_the_ap() {
        let r = responder(AP, None);
        assert_eq!(ask(&r, "snsgw.samsungmobile.com"), (0, Some(AP.octets())));
        assert_eq!(ask(&r, "GLD.samsungosp.com"), (0, Some(AP.octets())));
        assert_eq!(ask(&r, "example.org"), (5, None));
    }

    #[test]
    fn dns_section_gives_names_and_unlisted_answer_but_not_the_address() {
        let config = DnsConfig {
            listen: "0.0.0.0:53".parse().unwrap(),
            address: Ipv4Addr::new(10, 0, 0, 9),
            names: vec![
                String::from("snsgw.samsungmobile.com"),
                String::from("camera.example"),
            ],
            nxdomain: true,
        };
        let r = responder(AP, Some(&config));
        assert_eq!(ask(&r, "camera.example"), (0, Some(AP.octets())));
        assert_eq!(ask(&r, "snsgw.samsungmobile.com"), (0, Some(AP.octets())));
        assert_eq!(ask(&r, "www.msn.com"), (3, None));
    }

    #[test]
    fn garbage_gets_no_answer_or_formerr_and_never_a_panic() {
        let r = responder(AP, None);
        let mut out = [0; MAX_RESPONSE_LEN];
        for packet in [
            &[][..],
            &[0xff; 11][..],
            &[0xff; MAX_QUERY_LEN][..],
            &[0; MAX_QUERY_LEN][..],
        ] {
            match r.handle_query(packet, &mut out) {
                Ok(None) => {}
                Ok(Some(_)) => assert_ne!(out[3] & 0x0f, 0, "{packet:?} answered"),
                Err(e) => panic!("{e}"),
            }
        }
    }
}
