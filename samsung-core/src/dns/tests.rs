//! Tests of [`super`].

use super::*;
use alloc::{format, string::ToString, vec};
use proptest::prelude::*;

const ADDR: [u8; 4] = [10, 42, 0, 1];

// ---- test-only message builder, independent of `Query::emit` ----

fn header(id: u16, flags: u16, qd: u16, an: u16, ns: u16, ar: u16) -> Vec<u8> {
    [id, flags, qd, an, ns, ar]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect()
}

/// A question from a dotted name, letter case kept ("" = root).
fn question(name: &str, qtype: u16, qclass: u16) -> Vec<u8> {
    let mut q = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&qclass.to_be_bytes());
    q
}

fn query_with(id: u16, flags: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut p = header(id, flags, 1, 0, 0, 0);
    p.extend(question(name, qtype, CLASS_IN));
    p
}

/// A query the way a stub resolver sends it: RD set.
fn query(name: &str, qtype: u16) -> Vec<u8> {
    query_with(0xBEEF, FLAG_RD, name, qtype)
}

/// An EDNS(0) OPT pseudo-record advertising a 1232-byte UDP payload.
const OPT: [u8; 11] = [0, 0x00, 0x29, 0x04, 0xD0, 0, 0, 0, 0, 0, 0];

fn with_opt(mut packet: Vec<u8>) -> Vec<u8> {
    packet[11] = 1;
    packet.extend_from_slice(&OPT);
    packet
}

// ---- independent response decoder ----

#[derive(Debug)]
struct Decoded {
    id: u16,
    flags: u16,
    questions: Vec<(String, u16, u16)>,
    answers: Vec<Record>,
}

#[derive(Debug)]
struct Record {
    name: String,
    rtype: u16,
    class: u16,
    ttl: u32,
    rdata: Vec<u8>,
}

fn be16(msg: &[u8], at: usize) -> Result<u16, &'static str> {
    let b = msg.get(at..at + 2).ok_or("short u16")?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

/// Reads a possibly compressed name (as case-folded text); returns it and the offset after it.
fn read_name(msg: &[u8], mut at: usize) -> Result<(String, usize), &'static str> {
    let mut labels: Vec<String> = Vec::new();
    let mut after = None;
    for _hop in 0..32 {
        let len = *msg.get(at).ok_or("short name")?;
        if len & 0xC0 == 0xC0 {
            let target = usize::from(be16(msg, at)? & 0x3FFF);
            after.get_or_insert(at + 2);
            if target >= at {
                return Err("forward pointer");
            }
            at = target;
        } else if len == 0 {
            return Ok((labels.join("."), after.unwrap_or(at + 1)));
        } else {
            let l = msg
                .get(at + 1..at + 1 + usize::from(len))
                .ok_or("short label")?;
            labels.push(String::from_utf8(l.to_vec()).map_err(|_| "non-utf8 label")?);
            at += 1 + usize::from(len);
        }
    }
    Err("pointer loop")
}

fn decode(msg: &[u8]) -> Result<Decoded, &'static str> {
    let id = be16(msg, 0)?;
    let flags = be16(msg, 2)?;
    let counts: Vec<u16> = (0..4)
        .map(|i| be16(msg, 4 + 2 * i))
        .collect::<Result<_, _>>()?;
    let mut at = 12;
    let mut questions = Vec::new();
    for _ in 0..counts[0] {
        let (name, next) = read_name(msg, at)?;
        questions.push((name, be16(msg, next)?, be16(msg, next + 2)?));
        at = next + 4;
    }
    let mut answers = Vec::new();
    for _ in 0..u32::from(counts[1]) + u32::from(counts[2]) + u32::from(counts[3]) {
        let (name, next) = read_name(msg, at)?;
        let ttl_bytes = msg.get(next + 4..next + 8).ok_or("short ttl")?;
        let rdlen = usize::from(be16(msg, next + 8)?);
        let rdata = msg.get(next + 10..next + 10 + rdlen).ok_or("short rdata")?;
        answers.push(Record {
            name,
            rtype: be16(msg, next)?,
            class: be16(msg, next + 2)?,
            ttl: u32::from_be_bytes(ttl_bytes.try_into().unwrap()),
            rdata: rdata.to_vec(),
        });
        at = next + 10 + rdlen;
    }
    if at != msg.len() {
        return Err("trailing bytes");
    }
    Ok(Decoded {
        id,
        flags,
        questions,
        answers,
    })
}

fn run(responder: &DnsResponder, packet: &[u8]) -> Option<Vec<u8>> {
    let mut out = [0u8; 512];
    let n = responder.handle_query(packet, &mut out).unwrap()?;
    Some(out[..n].to_vec())
}

// ---- exact bytes ----

#[test]
fn a_query_exact_response_bytes() {
    #[rustfmt::skip]
    let query: &[u8] = &[
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        3, b'g', b'l', b'd',
        10, b's', b'a', b'm', b's', b'u', b'n', b'g', b'o', b's', b'p',
        3, b'c', b'o', b'm', 0,
        0x00, 0x01, 0x00, 0x01,
    ];
    #[rustfmt::skip]
    let expected: &[u8] = &[
        // ID, QR|AA|RD, NOERROR, QD=1, AN=1, NS=0, AR=0
        0x12, 0x34, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        3, b'g', b'l', b'd',
        10, b's', b'a', b'm', b's', b'u', b'n', b'g', b'o', b's', b'p',
        3, b'c', b'o', b'm', 0,
        0x00, 0x01, 0x00, 0x01,
        // name -> offset 12, A, IN, TTL 60, RDLENGTH 4, 10.42.0.1
        0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x04,
        10, 42, 0, 1,
    ];
    let r = DnsResponder::samsung(ADDR);
    let mut out = [0u8; 512];
    let n = r.handle_query(query, &mut out).unwrap().unwrap();
    assert_eq!(&out[..n], expected);
}

#[test]
fn every_samsung_host_gets_an_a_record() {
    let r = DnsResponder::samsung(ADDR);
    for host in SAMSUNG_HOSTNAMES {
        let resp = run(&r, &query(host, TYPE_A)).unwrap();
        let d = decode(&resp).unwrap();
        assert_eq!(d.flags & 0x000F, 0, "{host}");
        assert_eq!(d.questions, vec![(host.to_string(), TYPE_A, CLASS_IN)]);
        assert_eq!(d.answers.len(), 1, "{host}");
        let a = &d.answers[0];
        assert_eq!(
            (a.name.as_str(), a.rtype, a.class, a.ttl),
            (*host, TYPE_A, CLASS_IN, 60)
        );
        assert_eq!(a.rdata, ADDR);
    }
}

// ---- table of behaviours ----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Ignored,
    /// rcode, AA, question echoed, A answer present
    Resp(u8, bool, bool, bool),
}
use Expect::*;

const ANSWER: Expect = Resp(0, true, true, true);
const NODATA: Expect = Resp(0, true, true, false);
const REFUSED: Expect = Resp(5, false, true, false);
const NXDOMAIN: Expect = Resp(3, true, true, false);
const FORMERR: Expect = Resp(1, false, false, false);
const NOTIMP: Expect = Resp(4, false, false, false);

/// A packet: header (id 1, RD) then raw bytes.
fn raw(qd: u16, rest: &[u8]) -> Vec<u8> {
    let mut p = header(1, FLAG_RD, qd, 0, 0, 0);
    p.extend_from_slice(rest);
    p
}

fn edit(mut packet: Vec<u8>, at: usize, byte: u8) -> Vec<u8> {
    packet[at] = byte;
    packet
}

fn behaviour_table() -> Vec<(&'static str, Unlisted, Vec<u8>, Expect)> {
    let (re, nx) = (Unlisted::Refused, Unlisted::NxDomain);
    let gld = "gld.samsungosp.com";
    let long_ok = [
        "a".repeat(63),
        "a".repeat(63),
        "a".repeat(63),
        "a".repeat(61),
    ]
    .join(".");
    assert_eq!(long_ok.len(), MAX_NAME_LEN);
    let too_long = format!("{long_ok}b");
    let full = query(gld, TYPE_A);
    let mut qd2 = header(1, FLAG_RD, 2, 0, 0, 0);
    qd2.extend(question(gld, TYPE_A, CLASS_IN));
    qd2.extend(question("www.msn.com", TYPE_A, CLASS_IN));
    let mut class_ch = header(7, 0, 1, 0, 0, 0);
    class_ch.extend(question(gld, TYPE_A, 3));
    // A 14-byte label "gld.samsungosp" then "com": dotted, it would read as a listed name.
    let mut dotted_label = vec![14];
    dotted_label.extend_from_slice(b"gld.samsungosp");
    dotted_label.extend_from_slice(&[3, b'c', b'o', b'm', 0, 0, 1, 0, 1]);
    // "café" as UTF-8: the label holds the bytes 0xC3 0xA9.
    let non_ascii = query("caf\u{e9}.com", TYPE_A);
    assert_eq!(non_ascii[12], 5);
    #[rustfmt::skip]
    let table = vec![
        ("A listed", re, query(gld, TYPE_A), ANSWER),
        ("A mixed case", re, query("GLD.SamsungOSP.com", TYPE_A), ANSWER),
        ("A trailing-dot form", re, query("www.msn.com.", TYPE_A), ANSWER),
        ("ANY listed", re, query("www.yahoo.co.kr", TYPE_ANY), ANSWER),
        ("AAAA listed -> NODATA", re, query("www.msn.com", TYPE_AAAA), NODATA),
        ("MX listed -> NODATA", re, query(gld, 15), NODATA),
        ("HTTPS listed -> NODATA", re, query(gld, 65), NODATA),
        ("A class CH -> NODATA", re, class_ch, NODATA),
        ("RD clear", re, query_with(9, 0, gld, TYPE_A), ANSWER),
        ("EDNS OPT additional", re, with_opt(query(gld, TYPE_A)), ANSWER),
        ("EDNS OPT, unlisted", re, with_opt(query("example.com", TYPE_A)), REFUSED),
        ("unlisted REFUSED", re, query("example.com", TYPE_A), REFUSED),
        ("unlisted NXDOMAIN", nx, query("example.com", TYPE_A), NXDOMAIN),
        ("unlisted AAAA NXDOMAIN", nx, query("example.com", TYPE_AAAA), NXDOMAIN),
        ("parent of listed", re, query("samsungosp.com", TYPE_A), REFUSED),
        ("child of listed", re, query("x.gld.samsungosp.com", TYPE_A), REFUSED),
        ("listed as prefix", re, query("gld.samsungosp.com.evil", TYPE_A), REFUSED),
        ("listed plus letter", re, query("gld.samsungosp.comx", TYPE_A), REFUSED),
        ("listed minus last label", re, query("gld.samsungosp", TYPE_A), REFUSED),
        ("root", re, query("", TYPE_A), REFUSED),
        ("253-byte name", re, query(&long_ok, TYPE_A), REFUSED),
        ("254-byte name", re, query(&too_long, TYPE_A), FORMERR),
        ("response packet", re, edit(full.clone(), 2, 0x81), Ignored),
        ("empty", re, vec![], Ignored),
        ("one byte", re, vec![0x12], Ignored),
        ("ID only", re, vec![0x12, 0x34], Ignored),
        ("11 bytes", re, full[..11].to_vec(), Ignored),
        ("header only", re, full[..12].to_vec(), FORMERR),
        ("cut inside label", re, full[..16].to_vec(), FORMERR),
        ("cut before root byte", re, full[..31].to_vec(), FORMERR),
        ("cut inside QTYPE", re, full[..33].to_vec(), FORMERR),
        ("cut inside QCLASS", re, full[..full.len() - 1].to_vec(), FORMERR),
        ("qdcount 0", re, header(1, FLAG_RD, 0, 0, 0, 0), FORMERR),
        ("qdcount 2", re, qd2, FORMERR),
        ("ancount 1", re, edit(full.clone(), 7, 1), FORMERR),
        ("nscount 1", re, edit(full.clone(), 9, 1), FORMERR),
        ("opcode IQUERY", re, query_with(3, 1 << 11, gld, TYPE_A), NOTIMP),
        ("opcode STATUS", re, query_with(3, 2 << 11 | FLAG_RD, gld, TYPE_A), NOTIMP),
        ("opcode NOTIFY", re, query_with(3, 4 << 11, gld, 6), NOTIMP),
        ("opcode UPDATE, no question", re, header(3, 5 << 11, 0, 0, 0, 0), NOTIMP),
        ("pointer in question", re, raw(1, &[3, b'g', b'l', b'd', 0xC0, 0x0C, 0, 1, 0, 1]), FORMERR),
        ("pointer as whole name", re, raw(1, &[0xC0, 0x0C, 0, 1, 0, 1]), FORMERR),
        ("extended label type", re, raw(1, &[0x41, 0, 0, 1, 0, 1]), FORMERR),
        ("dot inside a label", re, raw(1, &dotted_label), FORMERR),
        ("non-ASCII label byte", re, non_ascii, FORMERR),
    ];
    table
}

#[test]
fn behaviour_table_cases() {
    for (name, unlisted, packet, expect) in behaviour_table() {
        let r = DnsResponder::new(SAMSUNG_HOSTNAMES, ADDR, 300, unlisted).unwrap();
        let resp = run(&r, &packet);
        let got = resp.as_ref().map_or(Ignored, |resp| {
            let d = decode(resp).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(d.id.to_be_bytes(), packet[..2], "{name}: id");
            assert_eq!(d.flags & 0x8000, 0x8000, "{name}: QR");
            assert_eq!(
                d.flags & 0x7800,
                u16::from_be_bytes([packet[2], packet[3]]) & 0x7800,
                "{name}: opcode"
            );
            assert_eq!(
                d.flags & 0x0100,
                u16::from(packet[2] & 1) << 8,
                "{name}: RD"
            );
            assert_eq!(d.flags & 0x02F0, 0, "{name}: TC/RA/Z/AD/CD");
            let echoed = d.questions.len() == 1;
            if echoed {
                let qlen = resp.len() - 12 - if d.answers.is_empty() { 0 } else { 16 };
                assert_eq!(resp[12..12 + qlen], packet[12..12 + qlen], "{name}: echo");
            } else {
                assert_eq!(resp.len(), 12, "{name}: error response is a bare header");
            }
            if let Some(a) = d.answers.first() {
                assert_eq!(d.answers.len(), 1, "{name}");
                assert_eq!((a.rtype, a.class, a.ttl), (TYPE_A, CLASS_IN, 300), "{name}");
                assert_eq!(a.rdata, ADDR, "{name}");
                assert!(a.name.eq_ignore_ascii_case(&d.questions[0].0), "{name}");
            }
            Resp(
                (d.flags & 0xF) as u8,
                d.flags & 0x0400 != 0,
                echoed,
                !d.answers.is_empty(),
            )
        });
        assert_eq!(got, expect, "{name}");
    }
}

#[test]
fn mixed_case_question_is_echoed_verbatim() {
    let r = DnsResponder::samsung(ADDR);
    let resp = run(&r, &query("GLD.SamsungOSP.com", TYPE_A)).unwrap();
    let d = decode(&resp).unwrap();
    assert_eq!(d.questions[0].0, "GLD.SamsungOSP.com");
    assert_eq!(d.answers[0].name, "GLD.SamsungOSP.com");
}

#[test]
fn out_buffer_too_small() {
    let r = DnsResponder::samsung(ADDR);
    let cases: [(&str, Vec<u8>, usize); 4] = [
        ("A answer", query("www.ospserver.net", TYPE_A), 12 + 23 + 16),
        ("NODATA", query("www.ospserver.net", TYPE_AAAA), 12 + 23),
        ("REFUSED", query("example.org", TYPE_A), 12 + 17),
        ("FORMERR", header(5, 0, 2, 0, 0, 0), 12),
    ];
    for (name, packet, len) in cases {
        for size in 0..len {
            let mut out = vec![0xAA; size];
            assert_eq!(
                r.handle_query(&packet, &mut out),
                Err(DnsError::BufferTooSmall),
                "{name} {size}"
            );
        }
        let mut out = vec![0; len];
        assert_eq!(r.handle_query(&packet, &mut out), Ok(Some(len)), "{name}");
    }
    // An ignored packet needs no room at all.
    let mut response = query("www.ospserver.net", TYPE_A);
    response[2] |= 0x80;
    assert_eq!(r.handle_query(&response, &mut []), Ok(None));
    assert_eq!(r.handle_query(&[1, 2, 3], &mut []), Ok(None));
}

#[test]
fn longest_response_fits_classic_udp() {
    let label63 = "a".repeat(63);
    let r = DnsResponder::new(&[&label63], ADDR, 0, Unlisted::Refused).unwrap();
    // The longest possible question with an answer: a listed 253-byte name.
    let long = [
        &"a".repeat(63)[..],
        &"b".repeat(63),
        &"c".repeat(63),
        &"d".repeat(61),
    ]
    .join(".");
    let r2 = DnsResponder::new(&[&long], ADDR, 0, Unlisted::Refused).unwrap();
    let mut out = [0u8; MAX_RESPONSE_LEN];
    assert_eq!(
        r2.handle_query(&query(&long, TYPE_A), &mut out),
        Ok(Some(MAX_RESPONSE_LEN))
    );
    assert_eq!(
        run(&r, &query(&label63, TYPE_A)).unwrap().len(),
        12 + 65 + 4 + 16
    );
}

// ---- parse_query ----

#[test]
fn parse_query_table() {
    let q = |name: &str, qtype, flags| Query {
        id: 0xBEEF,
        flags,
        name: name.to_string(),
        qtype,
        qclass: CLASS_IN,
    };
    let mut pointer = header(1, 0, 1, 0, 0, 0);
    pointer.extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1]);
    let mut big_label = header(1, 0, 1, 0, 0, 0);
    big_label.push(0x80);
    let mut response = query("a.b", TYPE_A);
    response[2] |= 0x80;
    use DnsError::*;
    let mut junk = query("a", TYPE_A);
    junk.extend_from_slice(b"junk");
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<u8>, Result<Query, DnsError>)> = vec![
        ("A", query("gld.samsungosp.com", TYPE_A), Ok(q("gld.samsungosp.com", TYPE_A, FLAG_RD))),
        ("lowercased", query("WWW.MSN.COM", TYPE_AAAA), Ok(q("www.msn.com", TYPE_AAAA, FLAG_RD))),
        ("root", query("", TYPE_ANY), Ok(q("", TYPE_ANY, FLAG_RD))),
        ("underscore and digits", query("_srv._tcp.x-1", 33), Ok(q("_srv._tcp.x-1", 33, FLAG_RD))),
        ("flags kept", query_with(0xBEEF, 0x0130, "a", TYPE_A), Ok(q("a", TYPE_A, 0x0130))),
        ("EDNS ignored", with_opt(query("a", TYPE_A)), Ok(q("a", TYPE_A, FLAG_RD))),
        ("trailing garbage ignored", junk, Ok(q("a", TYPE_A, FLAG_RD))),
        ("short header", vec![0; 11], Err(Truncated)),
        ("response", response, Err(NotAQuery)),
        ("opcode", query_with(1, 2 << 11, "a", TYPE_A), Err(BadOpcode)),
        ("qdcount 0", header(1, 0, 0, 0, 0, 0), Err(QuestionCount)),
        ("qdcount 65535", header(1, 0, 0xFFFF, 0, 0, 0), Err(QuestionCount)),
        ("ancount", header(1, 0, 1, 1, 0, 0), Err(UnexpectedRecords)),
        ("no question", header(1, 0, 1, 0, 0, 0), Err(Truncated)),
        ("pointer", pointer, Err(CompressionInQuestion)),
        ("label type 0x80", big_label, Err(BadLabel)),
        ("space in label", query("a b", TYPE_A), Err(BadLabel)),
        ("name too long", query(&["a"; 128].join("."), TYPE_A), Err(NameTooLong)),
    ];
    for (name, bytes, expected) in cases {
        assert_eq!(parse_query(&bytes), expected, "{name}");
    }
}

#[test]
fn query_emit_matches_hand_built_bytes() {
    let q = Query {
        id: 0xBEEF,
        flags: FLAG_RD,
        name: "www.yahoo.co.kr".to_string(),
        qtype: TYPE_A,
        qclass: CLASS_IN,
    };
    let mut out = [0u8; 64];
    let n = q.emit(&mut out).unwrap();
    assert_eq!(n, q.buffer_len());
    assert_eq!(&out[..n], &query("www.yahoo.co.kr", TYPE_A)[..]);
    assert_eq!(q.emit(&mut out[..n - 1]), Err(DnsError::BufferTooSmall));
    let bad = Query {
        name: "a..b".to_string(),
        ..q.clone()
    };
    assert_eq!(bad.emit(&mut out), Err(DnsError::BadLabel));
    let root = Query {
        name: String::new(),
        ..q
    };
    assert_eq!(root.emit(&mut out), Ok(17));
    assert_eq!(parse_query(&out[..17]), Ok(root));
}

// ---- configuration ----

#[test]
fn config_names() {
    let r = DnsResponder::new(
        &["Camera.Example.", "camera.example", "x"],
        ADDR,
        5,
        Unlisted::NxDomain,
    )
    .unwrap();
    assert_eq!(r.names().collect::<Vec<_>>(), ["camera.example", "x"]);
    assert!(r.is_listed("CAMERA.example."));
    assert!(r.is_listed("x"));
    assert!(!r.is_listed("example"));
    assert!(!r.is_listed(""));
    assert_eq!(
        (r.address(), r.ttl(), r.unlisted()),
        (ADDR, 5, Unlisted::NxDomain)
    );
    let resp = run(&r, &query("camera.EXAMPLE", TYPE_A)).unwrap();
    assert_eq!(decode(&resp).unwrap().answers[0].ttl, 5);

    use DnsError::*;
    #[rustfmt::skip]
    let bad: [(&str, Vec<String>, u32, DnsError); 9] = [
        ("empty", vec![String::new()], 1, BadLabel),
        ("only a dot", vec![".".into()], 1, BadLabel),
        ("two trailing dots", vec!["a..".into()], 1, BadLabel),
        ("leading dot", vec![".a".into()], 1, BadLabel),
        ("64-byte label", vec!["b".repeat(64)], 1, BadLabel),
        ("space", vec!["a b".into()], 1, BadLabel),
        ("254 bytes", vec![["a"; 127].join(".") + "a"], 1, NameTooLong),
        ("65 names", (0..65).map(|i| format!("h{i}")).collect(), 1, TooManyNames),
        ("TTL over 31 bits", vec!["a".into()], MAX_TTL + 1, TtlTooLarge),
    ];
    for (name, names, ttl, err) in bad {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(
            DnsResponder::new(&names, ADDR, ttl, Unlisted::Refused),
            Err(err),
            "{name}"
        );
    }
    let max: Vec<String> = (0..MAX_NAMES).map(|i| format!("h{i}")).collect();
    let max: Vec<&str> = max.iter().map(String::as_str).collect();
    assert!(DnsResponder::new(&max, ADDR, MAX_TTL, Unlisted::Refused).is_ok());
}

#[test]
fn samsung_preset_equals_new() {
    let r = DnsResponder::samsung(ADDR);
    assert_eq!(
        Ok(r.clone()),
        DnsResponder::new(SAMSUNG_HOSTNAMES, ADDR, 60, Unlisted::Refused)
    );
    assert_eq!(r.names().count(), 6);
    assert!(SAMSUNG_HOSTNAMES.iter().all(|h| r.is_listed(h)));
}

#[test]
fn address_fit_table() {
    let cases = [
        ([10, 42, 0, 1], AddressFit::Recommended),
        ([10, 0, 0, 0], AddressFit::Recommended),
        ([192, 168, 1, 10], AddressFit::Rejected),
        ([127, 0, 0, 1], AddressFit::Rejected),
        ([0, 0, 0, 0], AddressFit::Rejected),
        ([224, 0, 0, 251], AddressFit::Rejected),
        ([255, 255, 255, 255], AddressFit::Rejected),
        ([172, 16, 0, 1], AddressFit::Untested),
        ([192, 167, 0, 1], AddressFit::Untested),
        ([203, 0, 113, 7], AddressFit::Untested),
    ];
    for (addr, fit) in cases {
        assert_eq!(address_fit(addr), fit, "{addr:?}");
    }
}

// ---- properties ----

/// Checks one `handle_query` outcome against a model built on `parse_query`.
fn check_response(r: &DnsResponder, packet: &[u8], out_len: usize) -> Result<(), TestCaseError> {
    let mut out = vec![0u8; out_len];
    let result = r.handle_query(packet, &mut out);
    let ignored = packet.len() < HEADER_LEN || packet[2] & 0x80 != 0;
    let n = match result {
        Ok(None) => {
            prop_assert!(ignored);
            return Ok(());
        }
        Ok(Some(n)) => n,
        Err(e) => {
            prop_assert_eq!(e, DnsError::BufferTooSmall);
            prop_assert!(!ignored);
            // The same packet must fit a full-size buffer, and need more than we gave.
            let mut big = [0u8; 512];
            let n = r.handle_query(packet, &mut big).unwrap().unwrap();
            prop_assert!(n > out_len);
            return Ok(());
        }
    };
    prop_assert!(!ignored);
    prop_assert!(n <= out_len && n <= MAX_RESPONSE_LEN);
    let resp = &out[..n];
    prop_assert_eq!(&resp[..2], &packet[..2]);
    prop_assert!(resp[2] & 0x80 != 0);
    let d = decode(resp).map_err(TestCaseError::fail)?;
    let rcode = d.flags & 0xF;
    match parse_query(packet) {
        Ok(q) => {
            let listed = r.is_listed(&q.name);
            prop_assert_eq!(d.questions.len(), 1);
            prop_assert!(d.questions[0].0.eq_ignore_ascii_case(&q.name));
            let want = if listed {
                0
            } else if r.unlisted() == Unlisted::Refused {
                5
            } else {
                3
            };
            prop_assert_eq!(rcode, want);
            let wants_a =
                listed && q.qclass == CLASS_IN && (q.qtype == TYPE_A || q.qtype == TYPE_ANY);
            prop_assert_eq!(d.answers.len(), usize::from(wants_a));
            if let Some(a) = d.answers.first() {
                prop_assert_eq!(&a.rdata[..], &r.address()[..]);
                prop_assert_eq!(a.ttl, r.ttl());
            }
        }
        Err(e) => {
            prop_assert_eq!(rcode, if e == DnsError::BadOpcode { 4 } else { 1 });
            prop_assert_eq!(n, HEADER_LEN);
        }
    }
    Ok(())
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9-]{1,12}",
        "[a-zA-Z0-9_-]{1,63}",
        "[!-~&&[^.]]{1,20}",
    ]
}

fn valid_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(label(), 0..6).prop_map(|l| l.join(".")),
        1 => prop::sample::select(SAMSUNG_HOSTNAMES).prop_map(|h| {
            // Random case via a stable function of the name length.
            h.chars().enumerate().map(|(i, c)| if (i + h.len()) % 3 == 0 { c.to_ascii_uppercase() } else { c }).collect()
        }),
    ]
    .prop_filter("name fits 253 bytes", |n| n.len() <= MAX_NAME_LEN)
}

fn query_flags() -> impl Strategy<Value = u16> {
    any::<u16>().prop_map(|f| f & !(FLAG_QR | FLAG_OPCODE))
}

fn valid_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u16>(),
        query_flags(),
        valid_name(),
        prop::sample::select(vec![1u16, 28, 255, 15, 65]),
        prop::sample::select(vec![1u16, 3, 255]),
        any::<bool>(),
    )
        .prop_map(|(id, flags, name, qtype, qclass, opt)| {
            let mut p = header(id, flags, 1, 0, 0, 0);
            p.extend(question(&name, qtype, qclass));
            if opt { with_opt(p) } else { p }
        })
}

fn responder() -> impl Strategy<Value = DnsResponder> {
    (any::<bool>(), any::<[u8; 4]>(), 0..=MAX_TTL).prop_map(|(nx, addr, ttl)| {
        let unlisted = if nx {
            Unlisted::NxDomain
        } else {
            Unlisted::Refused
        };
        DnsResponder::new(SAMSUNG_HOSTNAMES, addr, ttl, unlisted).unwrap()
    })
}

proptest! {
    #[test]
    fn parse_round_trips_builder(id in any::<u16>(), flags in query_flags(), name in valid_name(), qtype in any::<u16>(), qclass in any::<u16>()) {
        let mut p = header(id, flags, 1, 0, 0, 0);
        p.extend(question(&name, qtype, qclass));
        let q = parse_query(&p).unwrap();
        prop_assert_eq!(&q, &Query { id, flags, name: name.to_ascii_lowercase(), qtype, qclass });
        let mut out = [0u8; 300];
        let n = q.emit(&mut out).unwrap();
        prop_assert_eq!(n, q.buffer_len());
        prop_assert_eq!(parse_query(&out[..n]), Ok(q));
    }

    #[test]
    fn handle_arbitrary_bytes(r in responder(), packet in prop::collection::vec(any::<u8>(), 0..300), out_len in 0usize..=512) {
        check_response(&r, &packet, out_len)?;
        check_response(&r, &packet, 512)?;
    }

    #[test]
    fn handle_valid_queries(r in responder(), packet in valid_packet()) {
        check_response(&r, &packet, 512)?;
    }

    #[test]
    fn handle_mutated_queries(
        r in responder(),
        packet in valid_packet(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
        out_len in 0usize..=320,
    ) {
        let mut packet = packet;
        for (at, byte) in edits {
            let i = at.index(packet.len());
            packet[i] = byte;
        }
        if do_cut {
            packet.truncate(cut.index(packet.len() + 1));
        }
        check_response(&r, &packet, out_len)?;
        check_response(&r, &packet, 512)?;
    }
}

/// The checked-in fuzz seeds are exactly the queries built here; after
/// changing them, run with `SAMSUNG_WRITE_DNS_SEEDS=1` to rewrite the files.
#[test]
fn fuzz_corpus_matches_the_builders() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/dns");
    let write = std::env::var_os("SAMSUNG_WRITE_DNS_SEEDS").is_some();
    let mut pointer = header(0x0101, FLAG_RD, 1, 0, 0, 0);
    pointer.extend_from_slice(&[3, b'g', b'l', b'd', 0xC0, 0x0C, 0, 1, 0, 1]);
    let mut response = query("snsgw.samsungmobile.com", TYPE_A);
    response[2] |= 0x80;
    let seeds: [(&str, Vec<u8>); 8] = [
        ("a_gld", query("gld.samsungosp.com", TYPE_A)),
        (
            "a_mixed_case_snsgw_edns",
            with_opt(query_with(
                0x2222,
                FLAG_RD,
                "SnsGW.SamsungMobile.Com",
                TYPE_A,
            )),
        ),
        ("aaaa_msn", query("www.msn.com", TYPE_AAAA)),
        (
            "any_yahoo",
            query_with(0x3333, 0, "www.yahoo.co.kr", TYPE_ANY),
        ),
        ("unlisted_ntp", query("pool.ntp.org", TYPE_A)),
        ("pointer_in_question", pointer),
        ("response_packet", response),
        (
            "opcode_status",
            query_with(0x4444, 2 << 11, "www.ospserver.net", TYPE_A),
        ),
    ];
    for (name, bytes) in seeds {
        let path = dir.join(name);
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else {
            let on_disk = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("seed {} missing: {e}", path.display()));
            assert_eq!(
                on_disk,
                bytes,
                "seed {} differs from its builder",
                path.display()
            );
        }
    }
}
