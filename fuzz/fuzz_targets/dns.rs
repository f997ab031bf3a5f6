//! Arbitrary UDP payload → `DnsResponder::handle_query`, checked against `parse_query`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use samsung_core::dns::{
    DnsError, DnsResponder, MAX_RESPONSE_LEN, SAMSUNG_HOSTNAMES, Unlisted, parse_query,
};

const ADDR: [u8; 4] = [10, 42, 0, 1];

fuzz_target!(|data: &[u8]| {
    for unlisted in [Unlisted::Refused, Unlisted::NxDomain] {
        let responder = DnsResponder::new(SAMSUNG_HOSTNAMES, ADDR, 60, unlisted).unwrap();
        check(&responder, data);
    }
});

fn check(responder: &DnsResponder, data: &[u8]) {
    let mut out = [0u8; 512];
    let result = responder.handle_query(data, &mut out);
    let ignored = data.len() < 12 || data[2] & 0x80 != 0;
    // 512 bytes always suffice, so the only outcomes are an answer or silence.
    let n = match result.expect("512-byte buffer is always enough") {
        None => {
            assert!(ignored, "dropped a query");
            return;
        }
        Some(n) => n,
    };
    assert!(!ignored, "answered a response or a fragment");
    assert!(n <= MAX_RESPONSE_LEN && n <= 512 && n <= out.len());
    let resp = &out[..n];
    assert!(n >= 12);
    assert_eq!(resp[..2], data[..2], "ID not copied");
    assert_ne!(resp[2] & 0x80, 0, "QR not set");
    assert_eq!(resp[2] & 0x78, data[2] & 0x78, "opcode not copied");
    assert_eq!(resp[2] & 0x01, data[2] & 0x01, "RD not copied");
    let rcode = resp[3] & 0x0F;
    let qdcount = u16::from_be_bytes([resp[4], resp[5]]);
    let ancount = u16::from_be_bytes([resp[6], resp[7]]);
    assert_eq!(
        resp[8..12],
        [0, 0, 0, 0],
        "no authority or additional records"
    );

    match parse_query(data) {
        Ok(q) => {
            let listed = responder.is_listed(&q.name);
            let expected = match (listed, responder.unlisted()) {
                (true, _) => 0,
                (false, Unlisted::Refused) => 5,
                (false, Unlisted::NxDomain) => 3,
            };
            assert_eq!(rcode, expected);
            assert_eq!(qdcount, 1);
            if rcode == 0 && ancount == 1 {
                assert!(listed, "answered an unlisted name");
                assert_eq!(resp[n - 4..], ADDR);
            }
            let wants_a = listed && q.qclass == 1 && (q.qtype == 1 || q.qtype == 255);
            assert_eq!(ancount, u16::from(wants_a));
            // The question is echoed byte for byte.
            let qlen = n - 12 - if wants_a { 16 } else { 0 };
            assert_eq!(resp[12..12 + qlen], data[12..12 + qlen]);
            // parse/emit round trip.
            let mut buf = [0u8; 512];
            let len = q.emit(&mut buf).expect("a parsed query re-emits");
            assert_eq!(len, q.buffer_len());
            assert_eq!(parse_query(&buf[..len]).as_ref(), Ok(&q));
        }
        Err(e) => {
            assert_eq!(rcode, if e == DnsError::BadOpcode { 4 } else { 1 });
            assert_eq!((qdcount, ancount, n), (0, 0, 12));
        }
    }

    // A smaller buffer yields the same bytes, or BufferTooSmall exactly when it cannot fit them.
    let small_len = usize::from(data[0]).min(n + 1);
    let mut small = [0u8; 512];
    match responder.handle_query(data, &mut small[..small_len]) {
        Ok(Some(m)) => {
            assert!(small_len >= n);
            assert_eq!(&small[..m], resp);
        }
        Err(DnsError::BufferTooSmall) => assert!(small_len < n),
        other => panic!("unexpected {other:?} with a {small_len}-byte buffer"),
    }
}
