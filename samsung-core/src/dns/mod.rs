//! DNS responder for the Samsung hostnames (PROTOCOL.md §1).
//!
//! Camera firmware has the SNS hostnames baked in, so on the bridge's private
//! WiFi (the ESP32 pocket bridge, or the daemon's optional listener) those
//! names must resolve to us. Everything else is refused, so the bridge never
//! becomes an open resolver.
//!
//! This is a deliberately small, strict RFC 1035 parser/emitter: one question
//! per message, no compression pointers in the question, no recursion, no
//! EDNS (an OPT record is ignored and the answer carries none). Responses are
//! at most [`MAX_RESPONSE_LEN`] bytes, well under the classic 512-byte UDP
//! limit. [`DnsResponder::handle_query`] does not allocate.
//!
//! Answer with a 10.x.x.x address: some cameras treat a 192.168.x.x answer as
//! a captive portal (PROTOCOL.md §3.6, see [`address_fit`]).

use alloc::{string::String, vec::Vec};

/// The hostnames the cameras need (PROTOCOL.md §1): gld.samsungosp.com, www.samsungimaging.com, www.ospserver.net, snsgw.samsungmobile.com, www.yahoo.co.kr, www.msn.com.
pub const SAMSUNG_HOSTNAMES: &[&str] = &[
    "gld.samsungosp.com",
    "www.samsungimaging.com",
    "www.ospserver.net",
    "snsgw.samsungmobile.com",
    "www.yahoo.co.kr",
    "www.msn.com",
];

/// Most names one responder answers for.
pub const MAX_NAMES: usize = 64;
/// Longest name in dotted form without the trailing dot (255 bytes on the wire).
pub const MAX_NAME_LEN: usize = 253;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Length of the fixed DNS header.
pub const HEADER_LEN: usize = 12;
/// Largest response [`DnsResponder::handle_query`] writes: header, the longest question, one A record.
pub const MAX_RESPONSE_LEN: usize = HEADER_LEN + MAX_WIRE_NAME_LEN + 4 + ANSWER_LEN;
/// Largest TTL accepted: RFC 2181 §8 makes TTLs 31-bit and resolvers read larger values as 0.
pub const MAX_TTL: u32 = 0x7FFF_FFFF;
/// TTL of [`DnsResponder::samsung`] answers, in seconds.
pub const DEFAULT_TTL: u32 = 60;

/// QTYPE/TYPE of an IPv4 address record.
pub const TYPE_A: u16 = 1;
/// QTYPE/TYPE of an IPv6 address record.
pub const TYPE_AAAA: u16 = 28;
/// QTYPE asking for all records.
pub const TYPE_ANY: u16 = 255;
/// QCLASS/CLASS Internet.
pub const CLASS_IN: u16 = 1;

const MAX_WIRE_NAME_LEN: usize = MAX_NAME_LEN + 2;
// Responses must fit the classic 512-byte UDP payload: we never send EDNS or TC.
const _: () = assert!(MAX_RESPONSE_LEN <= 512);
/// Pointer to offset 12 (the question name), TYPE, CLASS, TTL, RDLENGTH, IPv4 address.
const ANSWER_LEN: usize = 2 + 2 + 2 + 4 + 2 + 4;

const FLAG_QR: u16 = 0x8000;
const FLAG_OPCODE: u16 = 0x7800;
const FLAG_AA: u16 = 0x0400;
const FLAG_RD: u16 = 0x0100;

/// Errors from parsing a query, configuring a responder or writing a response.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum DnsError {
    /// The message ends before the header or the question does.
    #[error("DNS message truncated")]
    Truncated,
    /// The QR bit is set: the message is a response.
    #[error("DNS message is a response, not a query")]
    NotAQuery,
    /// The opcode is not QUERY (0).
    #[error("DNS opcode is not QUERY")]
    BadOpcode,
    /// QDCOUNT is not 1.
    #[error("DNS query must carry exactly one question")]
    QuestionCount,
    /// ANCOUNT or NSCOUNT is not 0, which no standard query has.
    #[error("DNS query carries answer or authority records")]
    UnexpectedRecords,
    /// A label is empty, longer than 63 bytes, of a reserved type, or holds a byte other than printable ASCII without `.`.
    #[error("bad DNS label")]
    BadLabel,
    /// The name is longer than 253 bytes (255 on the wire).
    #[error("DNS name too long")]
    NameTooLong,
    /// The question name uses a compression pointer.
    #[error("compression pointer in DNS question")]
    CompressionInQuestion,
    /// The output buffer cannot hold the response.
    #[error("output buffer too small for DNS message")]
    BufferTooSmall,
    /// More than [`MAX_NAMES`] names were configured.
    #[error("too many DNS names")]
    TooManyNames,
    /// The TTL exceeds [`MAX_TTL`].
    #[error("DNS TTL too large")]
    TtlTooLarge,
}

/// How names outside the list are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unlisted {
    /// RCODE 5: "not my business"; resolvers then try another server.
    #[default]
    Refused,
    /// RCODE 3: "this name does not exist", stated with authority.
    NxDomain,
}

/// Response codes this responder emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rcode {
    /// 0: success (with or without an answer).
    NoError,
    /// 1: the query was malformed.
    FormErr,
    /// 3: the name does not exist.
    NxDomain,
    /// 4: the opcode is not supported.
    NotImp,
    /// 5: the server refuses to answer.
    Refused,
}

impl Rcode {
    /// The 4-bit wire value.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::NoError => 0,
            Self::FormErr => 1,
            Self::NxDomain => 3,
            Self::NotImp => 4,
            Self::Refused => 5,
        }
    }
}

/// How well an answer address suits the cameras (PROTOCOL.md §3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressFit {
    /// 10.0.0.0/8: the deployment the sources recommend.
    Recommended,
    /// Neither recommended nor known to fail (e.g. 172.16/12 or a public VPS address).
    Untested,
    /// 192.168.0.0/16 (cameras report a hotspot) or not a unicast address a camera can reach.
    Rejected,
}

/// Classifies an answer address by PROTOCOL.md §3.6, so a frontend can warn at startup.
pub const fn address_fit(address: [u8; 4]) -> AddressFit {
    match address {
        [10, ..] => AddressFit::Recommended,
        [192, 168, ..] | [0, ..] | [127, ..] => AddressFit::Rejected,
        [first, ..] if first >= 224 => AddressFit::Rejected,
        _ => AddressFit::Untested,
    }
}

/// A parsed standard query (the parse/emit pair of this module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Transaction ID, copied into the response.
    pub id: u16,
    /// The header's flag word as received (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE).
    pub flags: u16,
    /// The question name, lowercase, without trailing dot; "" is the root.
    pub name: String,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

impl Query {
    /// Bytes [`Query::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + wire_name_len(&self.name) + 4
    }

    /// Writes the query as a message with one question and no other records; returns its length.
    ///
    /// `parse_query(emit(q)) == q` for every query `parse_query` accepts.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, DnsError> {
        let mut w = Writer::new(out);
        w.u16(self.id)?;
        w.u16(self.flags)?;
        w.put(&[0, 1, 0, 0, 0, 0, 0, 0])?;
        name_to_wire(&self.name, &mut w)?;
        w.u16(self.qtype)?;
        w.u16(self.qclass)?;
        Ok(w.pos)
    }
}

/// Parses a standard query with exactly one question; additional records (EDNS OPT) are ignored.
pub fn parse_query(packet: &[u8]) -> Result<Query, DnsError> {
    let raw = parse_raw(packet)?;
    let mut name = String::with_capacity(raw.name.len());
    for (i, label) in Labels(raw.name).enumerate() {
        if i > 0 {
            name.push('.');
        }
        // Labels were checked to be printable ASCII, so each byte is one char.
        name.extend(label.iter().map(|b| char::from(b.to_ascii_lowercase())));
    }
    Ok(Query {
        id: raw.id,
        flags: raw.flags,
        name,
        qtype: raw.qtype,
        qclass: raw.qclass,
    })
}

/// Answers A queries for a fixed list of names with one IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsResponder {
    /// Lowercase, no trailing dot, no duplicates, validated.
    names: Vec<String>,
    address: [u8; 4],
    ttl: u32,
    unlisted: Unlisted,
}

impl DnsResponder {
    /// A responder for `names`, matched case-insensitively with the trailing dot optional (no wildcards).
    pub fn new(
        names: &[&str],
        address: [u8; 4],
        ttl: u32,
        unlisted: Unlisted,
    ) -> Result<Self, DnsError> {
        if names.len() > MAX_NAMES {
            return Err(DnsError::TooManyNames);
        }
        if ttl > MAX_TTL {
            return Err(DnsError::TtlTooLarge);
        }
        let mut list: Vec<String> = Vec::with_capacity(names.len());
        for name in names {
            let name = normalize_name(name)?;
            if !list.contains(&name) {
                list.push(name);
            }
        }
        Ok(Self {
            names: list,
            address,
            ttl,
            unlisted,
        })
    }

    /// [`SAMSUNG_HOSTNAMES`] → `address`, TTL [`DEFAULT_TTL`], other names refused.
    pub fn samsung(address: [u8; 4]) -> Self {
        // The constant list is already normalized; a test checks it against `new`.
        Self {
            names: SAMSUNG_HOSTNAMES.iter().map(|n| String::from(*n)).collect(),
            address,
            ttl: DEFAULT_TTL,
            unlisted: Unlisted::Refused,
        }
    }

    /// The names answered, lowercase, without trailing dot.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// The address in every answer.
    pub fn address(&self) -> [u8; 4] {
        self.address
    }

    /// The TTL of every answer, in seconds.
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// How unlisted names are answered.
    pub fn unlisted(&self) -> Unlisted {
        self.unlisted
    }

    /// Whether `name` is answered (case-insensitive, trailing dot optional).
    pub fn is_listed(&self, name: &str) -> bool {
        normalize_name(name).is_ok_and(|n| self.names.contains(&n))
    }

    /// Parses one UDP query and writes the response into `out`; returns the response length, or Ok(None) when the packet must be ignored (it is a response QR=1, or too short to carry a header). Err only for `out` too small.
    ///
    /// Listed name, class IN, QTYPE A or ANY: one A record. Listed name, other
    /// type or class: NOERROR without answer, so the camera falls back to A.
    /// Unlisted name: REFUSED or NXDOMAIN per [`Unlisted`]. Opcode other than
    /// QUERY: NOTIMP. Any other malformed query: FORMERR. Error responses
    /// carry no question; the others echo it byte for byte, keeping the
    /// query's letter case (resolvers using 0x20 randomization check it).
    pub fn handle_query(&self, query: &[u8], out: &mut [u8]) -> Result<Option<usize>, DnsError> {
        // A packet shorter than a header is noise: answering it could only
        // echo two bytes of ID, and servers commonly drop such packets.
        let Some(&[id0, id1, f0, f1, ..]) = query.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let id = u16::from_be_bytes([id0, id1]);
        let flags = u16::from_be_bytes([f0, f1]);
        // Answering responses would let two responders ping-pong forever.
        if flags & FLAG_QR != 0 {
            return Ok(None);
        }
        let raw = match parse_raw(query) {
            Ok(raw) => raw,
            Err(e) => {
                let rcode = if e == DnsError::BadOpcode {
                    Rcode::NotImp
                } else {
                    Rcode::FormErr
                };
                let mut w = Writer::new(out);
                w.u16(id)?;
                w.u16(response_flags(flags, rcode))?;
                w.put(&[0; 8])?;
                return Ok(Some(w.pos));
            }
        };
        let listed = self.names.iter().any(|n| wire_name_eq(raw.name, n));
        let (rcode, answer) = if listed {
            let wants_a = raw.qtype == TYPE_A || raw.qtype == TYPE_ANY;
            (Rcode::NoError, wants_a && raw.qclass == CLASS_IN)
        } else {
            let rcode = match self.unlisted {
                Unlisted::Refused => Rcode::Refused,
                Unlisted::NxDomain => Rcode::NxDomain,
            };
            (rcode, false)
        };
        let len = HEADER_LEN + raw.question.len() + if answer { ANSWER_LEN } else { 0 };
        // Check up front so a too-small buffer never holds half a response.
        if out.len() < len {
            return Err(DnsError::BufferTooSmall);
        }
        let mut w = Writer::new(out);
        w.u16(raw.id)?;
        w.u16(response_flags(raw.flags, rcode))?;
        w.put(&[0, 1, 0, u8::from(answer), 0, 0, 0, 0])?;
        w.put(raw.question)?;
        if answer {
            // 0xC00C points at the question name right after the header.
            w.put(&[0xC0, HEADER_LEN as u8])?;
            w.u16(TYPE_A)?;
            w.u16(CLASS_IN)?;
            w.put(&self.ttl.to_be_bytes())?;
            w.u16(4)?;
            w.put(&self.address)?;
        }
        Ok(Some(w.pos))
    }
}

/// QR set, opcode and RD copied, AA only where we speak with authority about the name.
fn response_flags(query_flags: u16, rcode: Rcode) -> u16 {
    let aa = match rcode {
        Rcode::NoError | Rcode::NxDomain => FLAG_AA,
        Rcode::FormErr | Rcode::NotImp | Rcode::Refused => 0,
    };
    FLAG_QR | (query_flags & (FLAG_OPCODE | FLAG_RD)) | aa | u16::from(rcode.to_u8())
}

/// A validated query borrowing from the packet.
struct RawQuery<'a> {
    id: u16,
    flags: u16,
    /// The question name in wire form, including the terminating zero.
    name: &'a [u8],
    /// Name, QTYPE and QCLASS exactly as received.
    question: &'a [u8],
    qtype: u16,
    qclass: u16,
}

fn parse_raw(packet: &[u8]) -> Result<RawQuery<'_>, DnsError> {
    let (header, rest) = packet
        .split_at_checked(HEADER_LEN)
        .ok_or(DnsError::Truncated)?;
    let &[id0, id1, f0, f1, qd0, qd1, an0, an1, ns0, ns1, _, _] = header else {
        return Err(DnsError::Truncated);
    };
    let flags = u16::from_be_bytes([f0, f1]);
    if flags & FLAG_QR != 0 {
        return Err(DnsError::NotAQuery);
    }
    if flags & FLAG_OPCODE != 0 {
        return Err(DnsError::BadOpcode);
    }
    if u16::from_be_bytes([qd0, qd1]) != 1 {
        return Err(DnsError::QuestionCount);
    }
    if [an0, an1, ns0, ns1] != [0; 4] {
        return Err(DnsError::UnexpectedRecords);
    }
    let name_len = scan_name(rest)?;
    let question = rest.get(..name_len + 4).ok_or(DnsError::Truncated)?;
    let (name, types) = question.split_at(name_len);
    let &[t0, t1, c0, c1] = types else {
        return Err(DnsError::Truncated);
    };
    Ok(RawQuery {
        id: u16::from_be_bytes([id0, id1]),
        flags,
        name,
        question,
        qtype: u16::from_be_bytes([t0, t1]),
        qclass: u16::from_be_bytes([c0, c1]),
    })
}

/// Validates an uncompressed wire name at the start of `wire`; returns its length.
///
/// Each step moves forward and the total is capped at 255 bytes, so there is
/// no way to loop.
fn scan_name(wire: &[u8]) -> Result<usize, DnsError> {
    let mut pos = 0;
    loop {
        let len = *wire.get(pos).ok_or(DnsError::Truncated)?;
        match len & 0xC0 {
            0x00 => {}
            0xC0 => return Err(DnsError::CompressionInQuestion),
            // 0x40 / 0x80: extended and reserved label types (RFC 6891 §5).
            _ => return Err(DnsError::BadLabel),
        }
        if len == 0 {
            return Ok(pos + 1);
        }
        let end = pos + 1 + usize::from(len);
        // Leave room for the terminating zero.
        if end >= MAX_WIRE_NAME_LEN {
            return Err(DnsError::NameTooLong);
        }
        let label = wire.get(pos + 1..end).ok_or(DnsError::Truncated)?;
        if !label.iter().copied().all(label_byte_ok) {
            return Err(DnsError::BadLabel);
        }
        pos = end;
    }
}

/// Printable ASCII without `.`, so a name's dotted form is unambiguous and
/// one `char` per byte.
fn label_byte_ok(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'.'
}

/// The labels of a wire name checked by [`scan_name`].
struct Labels<'a>(&'a [u8]);

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, rest) = self.0.split_first()?;
        if len == 0 {
            self.0 = &[];
            return None;
        }
        let (label, rest) = rest.split_at_checked(usize::from(len))?;
        self.0 = rest;
        Some(label)
    }
}

/// Case-insensitive comparison of a wire name with a normalized dotted name.
fn wire_name_eq(wire: &[u8], dotted: &str) -> bool {
    let mut rest = dotted.as_bytes();
    for (i, label) in Labels(wire).enumerate() {
        if i > 0 {
            match rest.split_first() {
                Some((b'.', tail)) => rest = tail,
                _ => return false,
            }
        }
        match rest.split_at_checked(label.len()) {
            Some((head, tail)) if head.eq_ignore_ascii_case(label) => rest = tail,
            _ => return false,
        }
    }
    rest.is_empty()
}

/// Validates a configured name and returns it lowercase without trailing dot.
fn normalize_name(name: &str) -> Result<String, DnsError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err(DnsError::BadLabel);
    }
    check_dotted(name)?;
    Ok(name.to_ascii_lowercase())
}

/// Checks a non-empty dotted name without trailing dot.
fn check_dotted(name: &str) -> Result<(), DnsError> {
    for label in name.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL_LEN || !label.bytes().all(label_byte_ok) {
            return Err(DnsError::BadLabel);
        }
    }
    if name.len() > MAX_NAME_LEN {
        return Err(DnsError::NameTooLong);
    }
    Ok(())
}

fn wire_name_len(name: &str) -> usize {
    if name.is_empty() { 1 } else { name.len() + 2 }
}

/// Writes a dotted name ("" = root) in uncompressed wire form.
fn name_to_wire(name: &str, w: &mut Writer<'_>) -> Result<(), DnsError> {
    if !name.is_empty() {
        check_dotted(name)?;
        for label in name.split('.') {
            // check_dotted bounded every label to 63 bytes.
            w.put(&[label.len() as u8])?;
            w.put(label.as_bytes())?;
        }
    }
    w.put(&[0])
}

/// Bounds-checked cursor over an output buffer.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), DnsError> {
        let end = self.pos + bytes.len();
        self.buf
            .get_mut(self.pos..end)
            .ok_or(DnsError::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    fn u16(&mut self, v: u16) -> Result<(), DnsError> {
        self.put(&v.to_be_bytes())
    }
}

#[cfg(test)]
mod tests;
