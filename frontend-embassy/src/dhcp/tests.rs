use super::*;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

const BOARD: Ipv4Addr = Ipv4Addr::new(10, 42, 0, 1);
const CAMERA: [u8; 6] = [0x00, 0x16, 0x6c, 0x01, 0x02, 0x03];
const PARAMS: &[u8] = &[
    DhcpOption::CODE_SUBNET,
    DhcpOption::CODE_ROUTER,
    DhcpOption::CODE_DNS,
];

fn discover(mac: [u8; 6], xid: u32, out: &mut [u8]) -> usize {
    let opts = [
        DhcpOption::MessageType(MessageType::Discover),
        DhcpOption::ParameterRequestList(PARAMS),
    ];
    let p = Packet::new_request(mac, xid, 0, None, true, Options::new(&opts));
    p.encode(out).unwrap().len()
}

fn request(mac: [u8; 6], xid: u32, ip: Ipv4Addr, server: Ipv4Addr, out: &mut [u8]) -> usize {
    let opts = [
        DhcpOption::MessageType(MessageType::Request),
        DhcpOption::RequestedIpAddress(ip),
        DhcpOption::ServerIdentifier(server),
        DhcpOption::ParameterRequestList(PARAMS),
    ];
    let p = Packet::new_request(mac, xid, 0, None, true, Options::new(&opts));
    p.encode(out).unwrap().len()
}

fn release(mac: [u8; 6], ip: Ipv4Addr, out: &mut [u8]) -> usize {
    let opts = [
        DhcpOption::MessageType(MessageType::Release),
        DhcpOption::ServerIdentifier(BOARD),
    ];
    let mut p = Packet::new_request(mac, 9, 0, Some(ip), false, Options::new(&opts));
    p.yiaddr = ip;
    p.encode(out).unwrap().len()
}

/// DISCOVER → OFFER → REQUEST → ACK for one client; returns the leased address.
fn lease(server: &mut DhcpServer, now: u64, mac: [u8; 6]) -> Ipv4Addr {
    let (mut msg, mut out) = ([0; 600], [0; REPLY_BUFFER_LEN]);
    let n = discover(mac, 1, &mut msg);
    let offer = server.handle(now, &msg[..n], &mut out).unwrap().unwrap();
    assert_eq!(offer.kind, ReplyKind::Offer);
    let n = request(mac, 2, offer.address, BOARD, &mut msg);
    let ack = server.handle(now, &msg[..n], &mut out).unwrap().unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
    assert_eq!(ack.address, offer.address);
    ack.address
}

#[test]
fn discover_offer_request_ack_with_router_dns_and_mask() {
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let (mut msg, mut out) = ([0; 600], [0; REPLY_BUFFER_LEN]);

    let n = discover(CAMERA, 0x1234, &mut msg);
    let offer = server.handle(100, &msg[..n], &mut out).unwrap().unwrap();
    assert_eq!(offer.kind, ReplyKind::Offer);
    assert_eq!(offer.address, Ipv4Addr::new(10, 42, 0, 2));
    assert_eq!(offer.client, Mac(CAMERA));
    assert_eq!(
        offer.to,
        SocketAddrV4::new(Ipv4Addr::BROADCAST, CLIENT_PORT)
    );
    let packet = Packet::decode(&out[..offer.len]).unwrap();
    assert!(packet.reply);
    assert_eq!(packet.xid, 0x1234);
    assert_eq!(packet.yiaddr, offer.address);
    assert_eq!(&packet.chaddr[..6], &CAMERA);

    let n = request(CAMERA, 0x1235, offer.address, BOARD, &mut msg);
    let ack = server.handle(101, &msg[..n], &mut out).unwrap().unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
    assert_eq!(ack.address, offer.address);
    let packet = Packet::decode(&out[..ack.len]).unwrap();
    assert_eq!(packet.yiaddr, Ipv4Addr::new(10, 42, 0, 2));
    let opts: Vec<DhcpOption<'_>> = packet.options.iter().collect();
    assert!(opts.contains(&DhcpOption::MessageType(MessageType::Ack)));
    assert!(opts.contains(&DhcpOption::ServerIdentifier(BOARD)));
    assert!(opts.contains(&DhcpOption::IpAddressLeaseTime(LEASE_SECS)));
    assert!(opts.contains(&DhcpOption::SubnetMask(Ipv4Addr::new(255, 255, 255, 0))));
    let router = opts.iter().find_map(|o| match o {
        DhcpOption::Router(a) => Some(a.iter().collect::<Vec<_>>()),
        _ => None,
    });
    assert_eq!(router, Some(vec![BOARD]));
    let dns = opts.iter().find_map(|o| match o {
        DhcpOption::DomainNameServer(a) => Some(a.iter().collect::<Vec<_>>()),
        _ => None,
    });
    assert_eq!(dns, Some(vec![BOARD]));
}

#[test]
fn several_cameras_get_distinct_addresses_and_keep_them_on_renewal() {
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let macs: Vec<[u8; 6]> = (0..5).map(|i| [2, 0, 0, 0, 0, i]).collect();
    let leased: Vec<Ipv4Addr> = macs.iter().map(|m| lease(&mut server, 0, *m)).collect();
    let mut unique = leased.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "{leased:?}");
    // A camera that comes back (DISCOVER again) is offered the address it has.
    assert_eq!(lease(&mut server, 10, macs[3]), leased[3]);
}

#[test]
fn renewal_from_a_configured_client_is_unicast() {
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let ip = lease(&mut server, 0, CAMERA);
    let (mut msg, mut out) = ([0; 600], [0; REPLY_BUFFER_LEN]);
    let opts = [
        DhcpOption::MessageType(MessageType::Request),
        DhcpOption::ParameterRequestList(PARAMS),
    ];
    let p = Packet::new_request(CAMERA, 7, 0, Some(ip), false, Options::new(&opts));
    let n = p.encode(&mut msg).unwrap().len();
    let ack = server.handle(3600, &msg[..n], &mut out).unwrap().unwrap();
    assert_eq!(ack.kind, ReplyKind::Ack);
    assert_eq!(ack.address, ip);
    assert_eq!(ack.to, SocketAddrV4::new(ip, CLIENT_PORT));
}

#[test]
fn address_from_another_network_is_refused_with_nak() {
    // A camera that remembers its address from the home network asks for it first.
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let (mut msg, mut out) = ([0; 600], [0; REPLY_BUFFER_LEN]);
    let n = request(CAMERA, 1, Ipv4Addr::new(192, 168, 1, 20), BOARD, &mut msg);
    let nak = server.handle(0, &msg[..n], &mut out).unwrap().unwrap();
    assert_eq!(nak.kind, ReplyKind::Nak);
    let packet = Packet::decode(&out[..nak.len]).unwrap();
    assert!(
        packet
            .options
            .iter()
            .any(|o| o == DhcpOption::MessageType(MessageType::Nak))
    );
    // The board's own address is never handed out.
    let n = request(CAMERA, 2, BOARD, BOARD, &mut msg);
    let nak = server.handle(0, &msg[..n], &mut out).unwrap().unwrap();
    assert_eq!(nak.kind, ReplyKind::Nak);
}

#[test]
fn address_leased_to_one_camera_is_refused_to_another() {
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let ip = lease(&mut server, 0, CAMERA);
    let (mut msg, mut out) = ([0; 600], [0; REPLY_BUFFER_LEN]);
    let n = request([2, 0, 0, 0, 0, 9], 1, ip, BOARD, &mut msg);
    let reply = server.handle(1, &msg[..n], &mut out).unwrap().unwrap();
    assert_eq!(reply.kind, ReplyKind::Nak);
}

#[test]
fn request_for_another_server_is_ignored() {
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let (mut msg, mut out) = ([0; 600], [0; REPLY_BUFFER_LEN]);
    let n = request(
        CAMERA,
        1,
        Ipv4Addr::new(10, 42, 0, 2),
        Ipv4Addr::new(10, 42, 0, 254),
        &mut msg,
    );
    assert_eq!(server.handle(0, &msg[..n], &mut out), Ok(None));
    // ... and left the address free.
    assert_eq!(lease(&mut server, 0, CAMERA), Ipv4Addr::new(10, 42, 0, 2));
}

#[test]
fn full_pool_offers_nothing_until_a_lease_expires_or_is_released() {
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let leased: Vec<Ipv4Addr> = (0..MAX_LEASES as u8)
        .map(|i| lease(&mut server, 0, [2, 0, 0, 0, 1, i]))
        .collect();
    let (mut msg, mut out) = ([0; 600], [0; REPLY_BUFFER_LEN]);
    let late = [2, 0, 0, 0, 2, 0];
    let n = discover(late, 1, &mut msg);
    assert_eq!(server.handle(1, &msg[..n], &mut out), Ok(None));

    let n = release([2, 0, 0, 0, 1, 4], leased[4], &mut msg);
    assert_eq!(server.handle(2, &msg[..n], &mut out), Ok(None));
    assert_eq!(lease(&mut server, 3, late), leased[4]);

    let later = [2, 0, 0, 0, 2, 1];
    let n = discover(later, 1, &mut msg);
    assert_eq!(server.handle(4, &msg[..n], &mut out), Ok(None));
    let expired = u64::from(LEASE_SECS) + 1;
    let ip = lease(&mut server, expired, later);
    assert!(leased.contains(&ip));
}

#[test]
fn garbage_is_an_error_and_leaves_the_leases_alone() {
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let ip = lease(&mut server, 0, CAMERA);
    let mut out = [0; REPLY_BUFFER_LEN];
    let mut valid = [0; 600];
    let n = discover([2, 0, 0, 0, 0, 1], 1, &mut valid);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("short", vec![1, 1, 6, 0]),
        ("bad hlen", {
            let mut v = valid[..n].to_vec();
            v[2] = 16;
            v
        }),
        ("no cookie", valid[..236].to_vec()),
        ("option runs past the end", {
            let mut v = valid[..240].to_vec();
            v.extend_from_slice(&[53, 200, 1]);
            v
        }),
        ("unknown message type", {
            let mut v = valid[..240].to_vec();
            v.extend_from_slice(&[53, 1, 99, 255]);
            v
        }),
        ("all 0xff", vec![0xff; 400]),
    ];
    for (name, bytes) in cases {
        let r = server.handle(1, &bytes, &mut out);
        assert!(
            matches!(r, Err(DhcpError::Malformed) | Ok(None)),
            "{name}: {r:?}"
        );
    }
    // The lease survived: the camera's DISCOVER still gets its address.
    assert_eq!(lease(&mut server, 2, CAMERA), ip);
}

#[test]
fn reply_that_does_not_fit_is_an_error() {
    let mut server = DhcpServer::new(BOARD, 24).unwrap();
    let mut msg = [0; 600];
    let n = discover(CAMERA, 1, &mut msg);
    let mut out = [0; 100];
    assert_eq!(
        server.handle(0, &msg[..n], &mut out),
        Err(DhcpError::BufferTooSmall)
    );
}

#[test]
fn pool_follows_the_subnet() {
    let cases = [
        (
            "/24 board at .1",
            BOARD,
            24,
            Ok(("10.42.0.2", "10.42.0.17")),
        ),
        (
            "/16 board at .0.1",
            Ipv4Addr::new(10, 9, 0, 1),
            16,
            Ok(("10.9.0.2", "10.9.0.17")),
        ),
        (
            "/24 board at the top",
            Ipv4Addr::new(10, 0, 0, 254),
            24,
            Ok(("10.0.0.238", "10.0.0.253")),
        ),
        (
            "/29 small",
            Ipv4Addr::new(10, 0, 0, 1),
            29,
            Ok(("10.0.0.2", "10.0.0.6")),
        ),
        (
            "/30 one client",
            Ipv4Addr::new(10, 0, 0, 1),
            30,
            Ok(("10.0.0.2", "10.0.0.2")),
        ),
        (
            "/31",
            Ipv4Addr::new(10, 0, 0, 1),
            31,
            Err(DhcpError::SubnetTooSmall),
        ),
        (
            "network address",
            Ipv4Addr::new(10, 0, 0, 0),
            24,
            Err(DhcpError::NotAHostAddress),
        ),
        (
            "broadcast address",
            Ipv4Addr::new(10, 0, 0, 255),
            24,
            Err(DhcpError::NotAHostAddress),
        ),
    ];
    for (name, address, prefix, expected) in cases {
        let got = DhcpServer::new(address, prefix).map(|s| s.range());
        let expected =
            expected.map(|(a, b): (&str, &str)| (a.parse().unwrap(), b.parse().unwrap()));
        assert_eq!(got, expected, "{name}");
    }
    let mask = DhcpServer::new(Ipv4Addr::new(10, 9, 0, 1), 16)
        .unwrap()
        .mask;
    assert_eq!(mask, Ipv4Addr::new(255, 255, 0, 0));
}

#[test]
fn mac_is_shown_in_colon_notation() {
    assert_eq!(Mac(CAMERA).to_string(), "00:16:6c:01:02:03");
}
