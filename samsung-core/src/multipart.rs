//! Streaming `multipart/form-data` parser for the e-mail upload (PROTOCOL.md §2.2).
//!
//! A push parser: the frontend hands it whatever bytes of the body it has, in
//! any split, and gets events back one at a time. Part bodies (JPEGs of several
//! MB) are never buffered: [`MultipartEvent::Data`] borrows the input, except
//! for the few bytes held back at a chunk end because they could be the start
//! of a delimiter. Memory is bounded by [`MAX_PART_HEAD_LEN`] plus a carry of
//! at most [`MAX_BOUNDARY_LEN`] + 4 bytes.
//!
//! Camera quirks accepted (see PROTOCOL.md §2.2 "Malformations"):
//! the body ends with a plain delimiter and EOF instead of `--boundary--`;
//! `fileName=` and lower-case header names; `content-Type` values with a
//! trailing `;`; CRLF or LF line breaks anywhere; a preamble; parts in any order.
//!
//! The feed loop:
//!
//! ```
//! use samsung_core::multipart::{MultipartEvent, MultipartParser};
//!
//! let body = b"--XyZ\r\ncontent-disposition: form-data; name=\"binary\"; fileName=\"A.JPG\"\r\n\
//!              content-Type: image/jpeg;\r\n\r\n\xff\xd8\xff\xd9\r\n--XyZ";
//! let mut parser = MultipartParser::new("XyZ").unwrap();
//! let mut jpeg = Vec::new();
//! for chunk in body.chunks(7) {
//!     let mut rest = &chunk[..];
//!     loop {
//!         let (used, event) = parser.feed(rest).unwrap();
//!         rest = &rest[used..];
//!         match event {
//!             Some(MultipartEvent::Data(d)) => jpeg.extend_from_slice(d),
//!             Some(_) => {}
//!             None => break, // `rest` is empty: read more input
//!         }
//!     }
//! }
//! // Content-Length reached: drain the remaining events.
//! let mut ended = false;
//! while let Some(event) = parser.finish().unwrap() {
//!     ended |= event == MultipartEvent::End;
//! }
//! assert!(ended);
//! assert_eq!(jpeg, b"\xff\xd8\xff\xd9");
//! ```

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use memchr::memmem::Finder;

/// Longest boundary accepted, in bytes (RFC 2046 §5.1.1).
pub const MAX_BOUNDARY_LEN: usize = 70;
/// Longest header section of one part (all header lines and the blank line), in bytes.
pub const MAX_PART_HEAD_LEN: usize = 4096;
/// Most parts accepted in one body; the camera sends one message part plus one part per photo.
pub const MAX_PARTS: usize = 64;
/// Longest preamble skipped before the first delimiter, in bytes; beyond it the body is not multipart.
pub const MAX_PREAMBLE_LEN: usize = 8192;

/// Room for `\r\n--` + boundary: the longest byte run that can still turn out to be a delimiter.
const CARRY_CAP: usize = MAX_BOUNDARY_LEN + 4;

/// Errors of multipart parsing. After one, the parser keeps returning it.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum MultipartError {
    /// The boundary is empty, longer than [`MAX_BOUNDARY_LEN`], or has bytes outside printable ASCII.
    #[error("invalid multipart boundary")]
    BadBoundary,
    /// No delimiter within [`MAX_PREAMBLE_LEN`] bytes, or none before the body ended.
    #[error("no multipart boundary at the start of the body")]
    NoLeadingBoundary,
    /// A part's header section is longer than [`MAX_PART_HEAD_LEN`].
    #[error("multipart part header too long")]
    PartHeadTooLong,
    /// A part header line has no `:`, or a continuation line has nothing to continue.
    #[error("malformed multipart part header")]
    BadPartHead,
    /// More than [`MAX_PARTS`] parts.
    #[error("too many multipart parts")]
    TooManyParts,
    /// The body ended inside a part's headers or data.
    #[error("multipart body truncated")]
    Truncated,
    /// A delimiter is followed by something other than `--`, padding and a line break.
    #[error("garbage after a multipart delimiter")]
    BadDelimiter,
}

/// The headers of one part that the e-mail handler needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartHead {
    /// `name` parameter of `Content-Disposition` (`message`, `binary`), quotes removed.
    pub name: Option<String>,
    /// `filename` / `fileName` parameter of `Content-Disposition`, quotes removed, path kept as sent.
    pub file_name: Option<String>,
    /// `Content-Type` without parameters, trimmed and lower-cased (`image/jpeg;` → `image/jpeg`).
    pub content_type: Option<String>,
}

/// One step of the parse, in body order.
#[derive(Debug, PartialEq, Eq)]
pub enum MultipartEvent<'a> {
    /// A part begins; its body follows as `Data` events.
    PartStart(PartHead),
    /// A non-empty piece of the current part's body, borrowing the input or the parser's carry.
    Data(&'a [u8]),
    /// The current part's body is complete.
    PartEnd,
    /// The body is complete (close delimiter, or a delimiter followed by the end of the body).
    End,
}

/// Push parser of one `multipart/form-data` body.
#[derive(Debug, Clone)]
pub struct MultipartParser {
    /// `\r\n--boundary`; the finder searches `pattern[1..]` and a preceding `\r` is stripped.
    pattern: Vec<u8>,
    finder: Finder<'static>,
    /// A body tail that is a prefix of `pattern` or `pattern[1..]`, held until the next bytes decide.
    carry: [u8; CARRY_CAP],
    carry_len: usize,
    /// The carry starts with a `\n` the body never contained: the start of the body and the start
    /// of a part's data count as line starts, so `--boundary` there is a delimiter.
    carry_virtual: bool,
    state: State,
    head: Vec<u8>,
    head_line_start: usize,
    parts: usize,
    preamble_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter; bytes are discarded.
    Preamble,
    /// Inside a part's data.
    Body,
    /// Right after `--boundary`; the rest of the delimiter line decides what follows.
    AfterDelim(Tail),
    /// Collecting a part's header lines.
    Head,
    /// After the close delimiter; bytes are ignored.
    Epilogue,
    /// `End` was yielded by `finish`, or `finish` had nothing left to yield.
    Done,
    Failed(MultipartError),
}

/// What has been seen of the delimiter line after `--boundary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    Start,
    Dash,
    Padding,
    Cr,
}

/// Result of one internal step; owns nothing borrowed so `feed` can loop over steps.
enum Step {
    Consumed(usize),
    Event(usize, Pending),
}

/// An event whose `Data` is still a range, into the step's input or into the carry.
enum Pending {
    Input(usize, usize),
    Carry(usize, usize),
    PartStart(PartHead),
    PartEnd,
    End,
}

/// Bytes that may follow `--boundary` in a delimiter. Any other byte means the
/// `\n--boundary` was part of the data (as in Werkzeug, the reference's parser).
fn is_delim_follow(b: u8) -> bool {
    matches!(b, b'-' | b' ' | b'\t' | b'\r' | b'\n')
}

impl MultipartParser {
    /// A parser for a body whose delimiter is `--` + `boundary`.
    pub fn new(boundary: &str) -> Result<Self, MultipartError> {
        let b = boundary.as_bytes();
        // Printable ASCII is wider than RFC 2046's bchars, but enough for the
        // scanner: a CR or LF inside the boundary would break the carry logic.
        let valid = !b.is_empty()
            && b.len() <= MAX_BOUNDARY_LEN
            && b.iter().all(|&c| (b' '..=b'~').contains(&c))
            && b.last() != Some(&b' ');
        if !valid {
            return Err(MultipartError::BadBoundary);
        }
        let mut pattern = Vec::with_capacity(b.len() + 4);
        pattern.extend_from_slice(b"\r\n--");
        pattern.extend_from_slice(b);
        let finder = Finder::new(pattern.get(1..).unwrap_or_default()).into_owned();
        let mut carry = [0; CARRY_CAP];
        carry[0] = b'\n';
        Ok(Self {
            pattern,
            finder,
            carry,
            carry_len: 1,
            carry_virtual: true,
            state: State::Preamble,
            head: Vec::new(),
            head_line_start: 0,
            parts: 0,
            preamble_len: 0,
        })
    }

    /// Feeds input; returns (bytes consumed, at most one event).
    ///
    /// Call again with the unconsumed rest until it returns `(n, None)`, which
    /// happens only with `n == input.len()` (all consumed, more input needed).
    /// After the close delimiter everything is consumed and ignored.
    pub fn feed<'a>(
        &'a mut self,
        input: &'a [u8],
    ) -> Result<(usize, Option<MultipartEvent<'a>>), MultipartError> {
        let mut pos = 0;
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            if rest.is_empty() {
                return Ok((input.len(), None));
            }
            let step = match self.step(rest) {
                Ok(step) => step,
                Err(e) => {
                    self.state = State::Failed(e);
                    return Err(e);
                }
            };
            match step {
                Step::Consumed(n) => pos += n,
                Step::Event(n, pending) => {
                    let event = match pending {
                        Pending::Input(a, b) => {
                            MultipartEvent::Data(rest.get(a..b).unwrap_or_default())
                        }
                        Pending::Carry(a, b) => {
                            MultipartEvent::Data(self.carry.get(a..b).unwrap_or_default())
                        }
                        Pending::PartStart(head) => MultipartEvent::PartStart(head),
                        Pending::PartEnd => MultipartEvent::PartEnd,
                        Pending::End => MultipartEvent::End,
                    };
                    return Ok((pos + n, Some(event)));
                }
            }
        }
    }

    /// Called when the body has ended (Content-Length reached or connection
    /// closed); yields the remaining events one by one, call until `Ok(None)`.
    ///
    /// A delimiter followed by the end of the body ends it (the cameras never
    /// send `--boundary--`). A body that ends inside a part's headers or data is
    /// [`MultipartError::Truncated`]: a camera closing mid-upload must not
    /// produce a complete part.
    pub fn finish(&mut self) -> Result<Option<MultipartEvent<'_>>, MultipartError> {
        let (next, result) = match self.state {
            State::Preamble if self.carry_is_delimiter() => {
                (State::Done, Ok(Some(MultipartEvent::End)))
            }
            State::Preamble => (
                State::Failed(MultipartError::NoLeadingBoundary),
                Err(MultipartError::NoLeadingBoundary),
            ),
            State::Body if self.carry_is_delimiter() => {
                self.carry_len = 0;
                (
                    State::AfterDelim(Tail::Start),
                    Ok(Some(MultipartEvent::PartEnd)),
                )
            }
            State::Body => (
                State::Failed(MultipartError::Truncated),
                Err(MultipartError::Truncated),
            ),
            State::AfterDelim(_) => (State::Done, Ok(Some(MultipartEvent::End))),
            // Only padding of the line after the last delimiter arrived: no part began.
            State::Head if self.head.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) => {
                (State::Done, Ok(Some(MultipartEvent::End)))
            }
            State::Head => (
                State::Failed(MultipartError::Truncated),
                Err(MultipartError::Truncated),
            ),
            State::Epilogue | State::Done => (State::Done, Ok(None)),
            State::Failed(e) => (State::Failed(e), Err(e)),
        };
        self.state = next;
        result
    }

    /// Number of parts started so far.
    pub fn parts(&self) -> usize {
        self.parts
    }

    fn step(&mut self, input: &[u8]) -> Result<Step, MultipartError> {
        match self.state {
            State::Preamble | State::Body => self.step_scan(input),
            State::AfterDelim(tail) => self.step_after_delim(tail, input),
            State::Head => self.step_head(input),
            State::Epilogue | State::Done => Ok(Step::Consumed(input.len())),
            State::Failed(e) => Err(e),
        }
    }

    /// The delimiter pattern the carry is a prefix of: with or without the leading `\r`.
    fn carry_pattern(&self) -> &[u8] {
        if self.carry.first() == Some(&b'\r') {
            &self.pattern
        } else {
            self.pattern.get(1..).unwrap_or_default()
        }
    }

    fn carry_is_delimiter(&self) -> bool {
        self.carry_len > 0 && self.carry_len == self.carry_pattern().len()
    }

    fn set_carry(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(CARRY_CAP);
        self.carry[..n].copy_from_slice(&bytes[..n]);
        self.carry_len = n;
        self.carry_virtual = false;
    }

    /// Scans data (or preamble) for the next delimiter.
    fn step_scan(&mut self, input: &[u8]) -> Result<Step, MultipartError> {
        if self.carry_len > 0 {
            return self.resolve_carry(input);
        }
        let delim_len = self.pattern.len() - 1;
        let mut from = 0;
        // (end of the data that is certain, whether the rest is held in the carry)
        let (data_end, hold) = loop {
            let Some(rel) = input.get(from..).and_then(|h| self.finder.find(h)) else {
                let held = held_tail(input, &self.pattern);
                break (input.len() - held, true);
            };
            let at = from + rel;
            let start = if at > 0 && input.get(at - 1) == Some(&b'\r') {
                at - 1
            } else {
                at
            };
            match input.get(at + delim_len) {
                Some(&b) if is_delim_follow(b) => {
                    if start == 0 {
                        return Ok(self.commit(at + delim_len));
                    }
                    break (start, false);
                }
                Some(_) => from = at + 1,
                None => break (start, true),
            }
        };
        let consumed = if hold {
            self.set_carry(input.get(data_end..).unwrap_or_default());
            input.len()
        } else {
            data_end
        };
        self.data(consumed, Pending::Input(0, data_end), data_end)
    }

    /// Decides whether the carry plus the next input bytes form a delimiter.
    fn resolve_carry(&mut self, input: &[u8]) -> Result<Step, MultipartError> {
        let m = self.carry_len;
        let pattern = if self.carry.first() == Some(&b'\r') {
            &self.pattern[..]
        } else {
            self.pattern.get(1..).unwrap_or_default()
        };
        let want = pattern.get(m..).unwrap_or_default();
        let take = want.len().min(input.len());
        let (Some(next), Some(expected)) = (input.get(..take), want.get(..take)) else {
            return self.flush_carry(0);
        };
        if next != expected {
            // Neither `\r` nor `\n` occurs in the pattern after its start, so no
            // delimiter can begin inside the carry: all of it is data.
            return self.flush_carry(0);
        }
        self.carry[m..m + take].copy_from_slice(next);
        self.carry_len += take;
        if take < want.len() {
            return Ok(Step::Consumed(take));
        }
        match input.get(take) {
            None => Ok(Step::Consumed(take)),
            Some(&b) if is_delim_follow(b) => Ok(self.commit(take)),
            Some(_) => self.flush_carry(take),
        }
    }

    /// Releases the carry as data (minus a virtual `\n`).
    fn flush_carry(&mut self, consumed: usize) -> Result<Step, MultipartError> {
        let start = usize::from(self.carry_virtual);
        let end = self.carry_len;
        self.carry_len = 0;
        self.carry_virtual = false;
        self.data(
            consumed,
            Pending::Carry(start, end),
            end.saturating_sub(start),
        )
    }

    /// Emits `len` bytes of data in a part, or discards them in the preamble.
    fn data(&mut self, consumed: usize, data: Pending, len: usize) -> Result<Step, MultipartError> {
        if self.state == State::Body {
            if len == 0 {
                return Ok(Step::Consumed(consumed));
            }
            return Ok(Step::Event(consumed, data));
        }
        self.preamble_len += len;
        if self.preamble_len > MAX_PREAMBLE_LEN {
            return Err(MultipartError::NoLeadingBoundary);
        }
        Ok(Step::Consumed(consumed))
    }

    /// A delimiter ends after `consumed` bytes of the input.
    fn commit(&mut self, consumed: usize) -> Step {
        self.carry_len = 0;
        self.carry_virtual = false;
        let in_part = self.state == State::Body;
        self.state = State::AfterDelim(Tail::Start);
        if in_part {
            Step::Event(consumed, Pending::PartEnd)
        } else {
            Step::Consumed(consumed)
        }
    }

    /// The rest of a delimiter line: `--` (close), or transport padding and a line break.
    fn step_after_delim(&mut self, mut tail: Tail, input: &[u8]) -> Result<Step, MultipartError> {
        for (i, &b) in input.iter().enumerate() {
            tail = match (tail, b) {
                (Tail::Start, b'-') => Tail::Dash,
                (Tail::Dash, b'-') => {
                    self.state = State::Epilogue;
                    return Ok(Step::Event(i + 1, Pending::End));
                }
                (Tail::Start | Tail::Padding, b' ' | b'\t') => Tail::Padding,
                (Tail::Start | Tail::Padding, b'\r') => Tail::Cr,
                (Tail::Start | Tail::Padding | Tail::Cr, b'\n') => {
                    self.state = State::Head;
                    self.head.clear();
                    self.head_line_start = 0;
                    return Ok(Step::Consumed(i + 1));
                }
                _ => return Err(MultipartError::BadDelimiter),
            };
        }
        self.state = State::AfterDelim(tail);
        Ok(Step::Consumed(input.len()))
    }

    /// Collects header lines up to the blank line, then starts the part.
    fn step_head(&mut self, input: &[u8]) -> Result<Step, MultipartError> {
        let (piece, line_done) = match memchr::memchr(b'\n', input) {
            Some(i) => (input.get(..=i).unwrap_or_default(), true),
            None => (input, false),
        };
        if self.head.len() + piece.len() > MAX_PART_HEAD_LEN {
            return Err(MultipartError::PartHeadTooLong);
        }
        if self.head.capacity() == 0 {
            // One allocation for the parser's lifetime; growth by doubling would overshoot the limit.
            self.head.reserve_exact(MAX_PART_HEAD_LEN);
        }
        self.head.extend_from_slice(piece);
        if !line_done {
            return Ok(Step::Consumed(piece.len()));
        }
        let line = self.head.get(self.head_line_start..).unwrap_or_default();
        if line != b"\n" && line != b"\r\n" {
            self.head_line_start = self.head.len();
            return Ok(Step::Consumed(piece.len()));
        }
        if self.parts >= MAX_PARTS {
            return Err(MultipartError::TooManyParts);
        }
        let head = parse_head(&self.head)?;
        self.parts += 1;
        self.state = State::Body;
        self.carry[0] = b'\n';
        self.carry_len = 1;
        self.carry_virtual = true;
        Ok(Step::Event(piece.len(), Pending::PartStart(head)))
    }
}

/// Length of the longest suffix of `buf` that may grow into a delimiter
/// (`pattern` is `\r\n--boundary`), given that no full one is at its end.
fn held_tail(buf: &[u8], pattern: &[u8]) -> usize {
    let lf_pattern = pattern.get(1..).unwrap_or_default();
    let window = buf.len().saturating_sub(lf_pattern.len().saturating_sub(1));
    // Only the last `\n` can start a prefix: the pattern has no `\n` after its first byte.
    if let Some(rel) = buf.get(window..).and_then(|w| memchr::memrchr(b'\n', w)) {
        let at = window + rel;
        if lf_pattern.starts_with(buf.get(at..).unwrap_or_default()) {
            let cr = at > 0 && buf.get(at - 1) == Some(&b'\r');
            return buf.len() - at + usize::from(cr);
        }
    }
    usize::from(buf.last() == Some(&b'\r'))
}

/// Parses a complete header section (lines ending in LF or CRLF, blank line included).
fn parse_head(raw: &[u8]) -> Result<PartHead, MultipartError> {
    let mut head = PartHead::default();
    let mut seen_disposition = false;
    let mut seen_type = false;
    let mut apply = |name: &[u8], value: &[u8]| {
        if name.eq_ignore_ascii_case(b"content-disposition") && !seen_disposition {
            seen_disposition = true;
            for (key, value) in Params::new(value) {
                let slot = if key.eq_ignore_ascii_case(b"name") {
                    &mut head.name
                } else if key.eq_ignore_ascii_case(b"filename") {
                    &mut head.file_name
                } else {
                    continue;
                };
                if slot.is_none() {
                    *slot = Some(value.unescape());
                }
            }
        } else if name.eq_ignore_ascii_case(b"content-type") && !seen_type {
            seen_type = true;
            let media = value.split(|&b| b == b';').next().unwrap_or_default();
            let media = String::from_utf8_lossy(trim(media)).to_ascii_lowercase();
            head.content_type = (!media.is_empty()).then_some(media);
        }
    };
    let mut current: Option<(&[u8], Cow<'_, [u8]>)> = None;
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match line.first() {
            None => continue,
            // Obsolete line folding: the line continues the previous header's value.
            Some(b' ' | b'\t') => {
                let (_, value) = current.as_mut().ok_or(MultipartError::BadPartHead)?;
                let value = value.to_mut();
                value.push(b' ');
                value.extend_from_slice(trim(line));
            }
            Some(_) => {
                let colon = memchr::memchr(b':', line).ok_or(MultipartError::BadPartHead)?;
                let name = trim(line.get(..colon).unwrap_or_default());
                if name.is_empty() {
                    return Err(MultipartError::BadPartHead);
                }
                if let Some((name, value)) = current.take() {
                    apply(name, &value);
                }
                let value = trim(line.get(colon + 1..).unwrap_or_default());
                current = Some((name, Cow::Borrowed(value)));
            }
        }
    }
    if let Some((name, value)) = current {
        apply(name, &value);
    }
    Ok(head)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// A header parameter value: the bytes between the quotes (still escaped) or the bare token.
#[derive(Debug, Clone, Copy)]
struct ParamValue<'a> {
    raw: &'a [u8],
    quoted: bool,
}

impl ParamValue<'_> {
    /// The value with `\"` and `\\` unescaped. Other backslashes stay: IE-era
    /// clients send Windows paths (`C:\DCIM\SAM_0001.JPG`) unescaped.
    fn unescape(self) -> String {
        if !self.quoted || !self.raw.contains(&b'\\') {
            return String::from_utf8_lossy(self.raw).into_owned();
        }
        let mut out = Vec::with_capacity(self.raw.len());
        let mut bytes = self.raw.iter().copied().peekable();
        while let Some(b) = bytes.next() {
            match (b, bytes.peek()) {
                (b'\\', Some(&next @ (b'"' | b'\\'))) => {
                    out.push(next);
                    bytes.next();
                }
                _ => out.push(b),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The `key=value` parameters of a header value such as `form-data; name="x"`.
struct Params<'a> {
    rest: &'a [u8],
}

impl<'a> Params<'a> {
    fn new(value: &'a [u8]) -> Self {
        // Skip the leading type/token unless a sloppy client left it out.
        let first_end = memchr::memchr(b';', value).unwrap_or(value.len());
        let first = value.get(..first_end).unwrap_or_default();
        let rest = if first.contains(&b'=') {
            value
        } else {
            value.get(first_end..).unwrap_or_default()
        };
        Params { rest }
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = (&'a [u8], ParamValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            while let [b';' | b' ' | b'\t', rest @ ..] = self.rest {
                self.rest = rest;
            }
            if self.rest.is_empty() {
                return None;
            }
            let key_end = self
                .rest
                .iter()
                .position(|&b| b == b'=' || b == b';')
                .unwrap_or(self.rest.len());
            let key = trim(self.rest.get(..key_end).unwrap_or_default());
            let after_key = self.rest.get(key_end..).unwrap_or_default();
            let Some(after_eq) = after_key.strip_prefix(b"=") else {
                // A bare token without value: nothing we look for.
                self.rest = after_key;
                continue;
            };
            let value_start = trim_start(after_eq);
            let (value, rest) = match value_start.strip_prefix(b"\"") {
                Some(quoted) => {
                    let end = closing_quote(quoted);
                    let rest = quoted.get(end + 1..).unwrap_or_default();
                    // Skip anything between the closing quote and the next `;`.
                    let next = memchr::memchr(b';', rest).unwrap_or(rest.len());
                    let value = ParamValue {
                        raw: quoted.get(..end).unwrap_or(quoted),
                        quoted: true,
                    };
                    (value, rest.get(next..).unwrap_or_default())
                }
                None => {
                    let end = memchr::memchr(b';', value_start).unwrap_or(value_start.len());
                    let value = ParamValue {
                        raw: trim(value_start.get(..end).unwrap_or_default()),
                        quoted: false,
                    };
                    (value, value_start.get(end..).unwrap_or_default())
                }
            };
            self.rest = rest;
            return Some((key, value));
        }
    }
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

/// Index of the quote closing a quoted string (`s` starts after the opening
/// quote), or `s.len()` if unterminated. `\"` and `\\` are escapes.
fn closing_quote(s: &[u8]) -> usize {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'"' => return i,
            b'\\' if matches!(s.get(i + 1), Some(b'"' | b'\\')) => i += 2,
            _ => i += 1,
        }
    }
    s.len()
}

/// Extracts the boundary from a Content-Type header value like
/// `multipart/form-data; boundary=---------------------------7d93b9550d4a`
/// (parameter name case-insensitive, optional quotes, trailing `;`/spaces tolerated).
///
/// The media type itself is not checked. A quoted boundary is returned without
/// unescaping (boundary characters never need escapes).
pub fn boundary_from_content_type(content_type: &str) -> Option<&str> {
    let (_, value) = Params::new(content_type.as_bytes())
        .find(|(key, _)| key.eq_ignore_ascii_case(b"boundary"))?;
    let boundary = core::str::from_utf8(value.raw).ok()?;
    (!boundary.is_empty()).then_some(boundary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;
    use proptest::prelude::*;

    const B: &str = "---------------------------7d93b9550d4a";

    /// A tiny JPEG-like payload with the bytes that trip naive scanners.
    const JPEG: &[u8] =
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\r\n--\r\n-\n\r\xff\xc0\x00\x11--7d93\xff\xd9";

    const MESSAGE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<email><sender>Camera@samsungcamera.com</sender><receiverList><receiver>friend@example.org</receiver> </receiverList><title><![CDATA[[Samsung Smart Camera] sent you files.]]></title>\n<body><![CDATA[Sent from Samsung Camera.\\r\\nlanguage_sh100_utf8]]></body></email>";

    /// Owned event; consecutive `Data` are merged so that any split compares equal.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Ev {
        Start(PartHead),
        Data(Vec<u8>),
        PartEnd,
        End,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Run {
        events: Vec<Ev>,
        result: Result<(), MultipartError>,
    }

    fn record(events: &mut Vec<Ev>, ev: MultipartEvent<'_>) {
        match ev {
            MultipartEvent::Data(d) => {
                assert!(!d.is_empty(), "empty Data event");
                match events.last_mut() {
                    Some(Ev::Data(acc)) => acc.extend_from_slice(d),
                    _ => events.push(Ev::Data(d.to_vec())),
                }
            }
            MultipartEvent::PartStart(h) => events.push(Ev::Start(h)),
            MultipartEvent::PartEnd => events.push(Ev::PartEnd),
            MultipartEvent::End => events.push(Ev::End),
        }
    }

    /// Start (Data) PartEnd, repeated, then at most one End, nothing after it.
    fn assert_well_formed(events: &[Ev]) {
        let mut in_part = false;
        let mut parts = 0;
        for (i, ev) in events.iter().enumerate() {
            match ev {
                Ev::Start(_) => {
                    assert!(!in_part, "nested PartStart in {events:?}");
                    in_part = true;
                    parts += 1;
                }
                Ev::Data(_) => assert!(in_part, "Data outside a part in {events:?}"),
                Ev::PartEnd => {
                    assert!(in_part, "PartEnd outside a part in {events:?}");
                    in_part = false;
                }
                Ev::End => {
                    assert!(
                        !in_part && i + 1 == events.len(),
                        "misplaced End in {events:?}"
                    )
                }
            }
        }
        assert!(parts <= MAX_PARTS);
    }

    /// Feeds `body` in chunks of the sizes in `sizes` (cycled), then finishes.
    fn run(boundary: &str, body: &[u8], sizes: &[usize]) -> Run {
        let mut parser = MultipartParser::new(boundary).unwrap();
        let mut events = Vec::new();
        let mut go = || -> Result<(), MultipartError> {
            let mut off = 0;
            for &size in sizes.iter().cycle() {
                if off >= body.len() {
                    break;
                }
                let n = size.clamp(1, body.len() - off);
                let mut rest = &body[off..off + n];
                off += n;
                loop {
                    let (used, ev) = parser.feed(rest)?;
                    assert!(used <= rest.len());
                    rest = &rest[used..];
                    match ev {
                        Some(ev) => record(&mut events, ev),
                        None => {
                            assert!(rest.is_empty(), "None before all input was consumed");
                            break;
                        }
                    }
                }
                assert!(parser.carry_len <= CARRY_CAP);
                assert!(parser.head.capacity() <= MAX_PART_HEAD_LEN);
            }
            while let Some(ev) = parser.finish()? {
                record(&mut events, ev);
            }
            // Done stays done.
            assert_eq!(parser.finish(), Ok(None));
            Ok(())
        };
        let result = go();
        if let Err(e) = result {
            // Errors are sticky.
            assert_eq!(parser.feed(b"x").map(|_| ()), Err(e));
            assert_eq!(parser.finish().map(|_| ()), Err(e));
        }
        assert_well_formed(&events);
        Run { events, result }
    }

    fn whole(boundary: &str, body: &[u8]) -> Run {
        run(boundary, body, &[usize::MAX])
    }

    /// (name, file name, content type, data) per completed part, if the body ended properly.
    type Parts = Vec<(Option<String>, Option<String>, Option<String>, Vec<u8>)>;

    fn parts_of(r: &Run) -> Result<Parts, MultipartError> {
        r.result?;
        assert_eq!(r.events.last(), Some(&Ev::End), "no End in {:?}", r.events);
        let mut out = Vec::new();
        let mut cur: Option<(PartHead, Vec<u8>)> = None;
        for ev in &r.events {
            match ev {
                Ev::Start(h) => cur = Some((h.clone(), Vec::new())),
                Ev::Data(d) => cur.as_mut().unwrap().1.extend_from_slice(d),
                Ev::PartEnd => {
                    let (h, d) = cur.take().unwrap();
                    out.push((h.name, h.file_name, h.content_type, d));
                }
                Ev::End => {}
            }
        }
        Ok(out)
    }

    fn part(
        name: &str,
        file: &str,
        ct: &str,
        data: &[u8],
    ) -> (Option<String>, Option<String>, Option<String>, Vec<u8>) {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        (opt(name), opt(file), opt(ct), data.to_vec())
    }

    struct Body {
        eol: &'static str,
        boundary: &'static str,
        out: Vec<u8>,
    }

    impl Body {
        fn new(eol: &'static str) -> Self {
            Body {
                eol,
                boundary: B,
                out: Vec::new(),
            }
        }
        fn raw(mut self, bytes: &[u8]) -> Self {
            self.out.extend_from_slice(bytes);
            self
        }
        /// Delimiter line, headers, blank line, data (the line break before the next delimiter is added by it).
        fn part(mut self, headers: &[&str], data: &[u8]) -> Self {
            let eol = self.eol;
            if !self.out.is_empty() {
                self.out.extend_from_slice(eol.as_bytes());
            }
            self.out
                .extend_from_slice(format!("--{}{eol}", self.boundary).as_bytes());
            for h in headers {
                self.out.extend_from_slice(format!("{h}{eol}").as_bytes());
            }
            self.out.extend_from_slice(eol.as_bytes());
            self.out.extend_from_slice(data);
            self
        }
        /// The camera's ending: a plain delimiter, then `tail` (nothing or a line break).
        fn end_plain(mut self, tail: &str) -> Vec<u8> {
            self.out
                .extend_from_slice(format!("{}--{}{tail}", self.eol, self.boundary).as_bytes());
            self.out
        }
        fn end_close(mut self, epilogue: &str) -> Vec<u8> {
            self.out.extend_from_slice(
                format!("{}--{}--{epilogue}", self.eol, self.boundary).as_bytes(),
            );
            self.out
        }
    }

    fn msg_headers() -> [&'static str; 2] {
        [
            "content-disposition: form-data; name=\"message\"; fileName=\"sample.txt\"",
            "content-Type: multipart/form-data;",
        ]
    }

    fn v6(eol: &'static str) -> Body {
        let message = MESSAGE.replace('\n', eol);
        Body::new(eol)
            .part(&msg_headers(), message.as_bytes())
            .part(
                &[
                    "content-disposition: form-data; name=\"binary\"; fileName=\"SAM_4371.JPG\"",
                    "content-Type: image/jpeg;",
                ],
                JPEG,
            )
    }

    fn v6_parts(eol: &str) -> Parts {
        vec![
            part(
                "message",
                "sample.txt",
                "multipart/form-data",
                MESSAGE.replace('\n', eol).as_bytes(),
            ),
            part("binary", "SAM_4371.JPG", "image/jpeg", JPEG),
        ]
    }

    /// (name, boundary, body, expected parts or error)
    type Case = (
        &'static str,
        &'static str,
        Vec<u8>,
        Result<Parts, MultipartError>,
    );
    /// (name, raw header section, name, file name, content type)
    type HeadCase = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    const SPLITS: &[&[usize]] = &[
        &[usize::MAX],
        &[1],
        &[2],
        &[3],
        &[5, 1, 40],
        &[7],
        &[41],
        &[64],
    ];

    fn check(name: &str, boundary: &str, body: &[u8], expected: &Result<Parts, MultipartError>) {
        for sizes in SPLITS {
            let r = run(boundary, body, sizes);
            assert_eq!(&parts_of(&r), expected, "case {name}, chunks {sizes:?}");
        }
    }

    #[test]
    fn table() {
        let lit = |s: &str| s.as_bytes().to_vec();
        let data = b"a\r\n--\r\n---------------------------7d93\r\n--x\n-----------------------------7d93b9550d4aX\r--".to_vec();
        let cases: Vec<Case> = vec![
            ("v6 crlf, no trailer", B, v6("\r\n").end_plain(""), Ok(v6_parts("\r\n"))),
            ("v6 crlf, crlf trailer", B, v6("\r\n").end_plain("\r\n"), Ok(v6_parts("\r\n"))),
            ("v6 lf, no trailer", B, v6("\n").end_plain(""), Ok(v6_parts("\n"))),
            ("v6 lf, lf trailer", B, v6("\n").end_plain("\n"), Ok(v6_parts("\n"))),
            ("v6 crlf, cr-only trailer", B, v6("\r\n").end_plain("\r"), Ok(v6_parts("\r\n"))),
            ("v6 crlf, padding trailer", B, v6("\r\n").end_plain(" \t"), Ok(v6_parts("\r\n"))),
            ("v6f close delimiter", B, v6("\r\n").end_close("\r\n"), Ok(v6_parts("\r\n"))),
            (
                "v6f close delimiter with epilogue",
                B,
                v6("\n").end_close("\nepilogue\n-----------------------------7d93b9550d4a\n\nx"),
                Ok(v6_parts("\n")),
            ),
            (
                "v6f lowercase filename",
                B,
                Body::new("\r\n")
                    .part(
                        &["Content-Disposition: form-data; name=\"binary\"; filename=\"SAM_4371.JPG\"", "Content-Type: image/jpeg"],
                        JPEG,
                    )
                    .end_close(""),
                Ok(vec![part("binary", "SAM_4371.JPG", "image/jpeg", JPEG)]),
            ),
            (
                "v6b two binary parts",
                B,
                Body::new("\r\n")
                    .part(&msg_headers(), b"<email/>")
                    .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"SAM_0001.JPG\"", "content-Type: image/jpeg;"], JPEG)
                    .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"SAM_0002.JPG\"", "content-Type: image/jpeg;"], b"\xff\xd8second\xff\xd9")
                    .end_plain("\r\n"),
                Ok(vec![
                    part("message", "sample.txt", "multipart/form-data", b"<email/>"),
                    part("binary", "SAM_0001.JPG", "image/jpeg", JPEG),
                    part("binary", "SAM_0002.JPG", "image/jpeg", b"\xff\xd8second\xff\xd9"),
                ]),
            ),
            (
                "v6c pjpeg",
                B,
                Body::new("\r\n")
                    .part(&msg_headers(), b"<email/>")
                    .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"SAM_0001.JPG\"", "content-Type: image/pjpeg;"], JPEG)
                    .end_plain(""),
                Ok(vec![
                    part("message", "sample.txt", "multipart/form-data", b"<email/>"),
                    part("binary", "SAM_0001.JPG", "image/pjpeg", JPEG),
                ]),
            ),
            (
                "v6e no message part",
                B,
                Body::new("\r\n")
                    .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"A.JPG\"", "content-Type: image/jpeg;"], JPEG)
                    .end_plain(""),
                Ok(vec![part("binary", "A.JPG", "image/jpeg", JPEG)]),
            ),
            (
                "binary before message",
                B,
                Body::new("\n")
                    .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"A.JPG\"", "content-Type: IMAGE/JPEG; x=1"], JPEG)
                    .part(&msg_headers(), b"<email/>")
                    .end_plain(""),
                Ok(vec![
                    part("binary", "A.JPG", "image/jpeg", JPEG),
                    part("message", "sample.txt", "multipart/form-data", b"<email/>"),
                ]),
            ),
            (
                "data with line breaks, dashes, partial and non-line-start boundaries",
                B,
                Body::new("\r\n").part(&["content-disposition: form-data; name=\"binary\""], &data).end_plain(""),
                Ok(vec![part("binary", "", "", &data)]),
            ),
            (
                "data ending in CR before the delimiter's CRLF",
                B,
                Body::new("\r\n").part(&["content-disposition: form-data; name=\"binary\""], b"abc\r").end_plain(""),
                Ok(vec![part("binary", "", "", b"abc\r")]),
            ),
            (
                "data ending in LF before an LF delimiter",
                B,
                Body::new("\n").part(&["content-disposition: form-data; name=\"binary\""], b"abc\n").end_plain(""),
                Ok(vec![part("binary", "", "", b"abc\n")]),
            ),
            (
                "empty part data, crlf and lf",
                "x",
                lit("--x\r\nh: v\r\n\r\n\r\n--x\nh: w\n\n\n--x--"),
                Ok(vec![part("", "", "", b""), part("", "", "", b"")]),
            ),
            (
                "empty data with delimiter right after the blank line",
                "x",
                lit("--x\r\nh: v\r\n\r\n--x\r\n\r\nabc\r\n--x"),
                Ok(vec![part("", "", "", b""), part("", "", "", b"abc")]),
            ),
            (
                "data starting with a non-delimiter boundary line",
                "x",
                lit("--x\n\n--xy\n--x\n"),
                Ok(vec![part("", "", "", b"--xy")]),
            ),
            (
                "preamble",
                B,
                Body::new("\r\n")
                    .raw(b"This is a multi-part message in MIME format.\r\n--\r\n-----------------------------7d93b9550d4aX")
                    .part(&msg_headers(), b"<email/>")
                    .end_plain(""),
                Ok(vec![part("message", "sample.txt", "multipart/form-data", b"<email/>")]),
            ),
            (
                "leading CRLF",
                "x",
                lit("\r\n--x\r\ncontent-disposition: form-data; name=m\r\n\r\nhi\r\n--x"),
                Ok(vec![part("m", "", "", b"hi")]),
            ),
            (
                "mixed line endings and delimiter padding",
                "x",
                lit("--x \t\nContent-Disposition: form-data;name=m\r\n\nhi\r\n--x\t\r\n\r\n\n--x--"),
                Ok(vec![part("m", "", "", b"hi"), part("", "", "", b"")]),
            ),
            (
                "folded header, quoted semicolon, windows path",
                "x",
                lit("--x\r\nContent-Disposition: form-data;\r\n name=\"a;b\"; FILENAME=\"C:\\DCIM\\SAM_0001.JPG\"\r\n\r\nz\r\n--x"),
                Ok(vec![part("a;b", "C:\\DCIM\\SAM_0001.JPG", "", b"z")]),
            ),
            ("close delimiter only", "x", lit("--x--\r\n"), Ok(vec![])),
            ("delimiter only", "x", lit("--x"), Ok(vec![])),
            ("delimiter and line break only", "x", lit("--x\r\n"), Ok(vec![])),
            ("delimiter, padding line", "x", lit("--x\r\n \r"), Ok(vec![])),
            ("empty body", B, lit(""), Err(MultipartError::NoLeadingBoundary)),
            ("no boundary at all", B, lit("hello world\r\n"), Err(MultipartError::NoLeadingBoundary)),
            ("boundary not at a line start", "x", lit("a--x\r\n\r\nb\r\n-x"), Err(MultipartError::NoLeadingBoundary)),
            ("preamble, then delimiter at the end", "x", lit("a--x\r\n\r\nb\r\n--x"), Ok(vec![])),
            (
                "preamble too long",
                "x",
                vec![b'a'; MAX_PREAMBLE_LEN + 1].into_iter().chain(*b"\n--x\n\n\n--x--").collect(),
                Err(MultipartError::NoLeadingBoundary),
            ),
            (
                "over-long part header",
                "x",
                format!("--x\r\nx-pad: {}\r\n\r\ndata\r\n--x", "a".repeat(MAX_PART_HEAD_LEN)).into_bytes(),
                Err(MultipartError::PartHeadTooLong),
            ),
            ("truncated inside part data", B, v6("\r\n").out, Err(MultipartError::Truncated)),
            (
                "truncated inside a delimiter",
                B,
                v6("\r\n").raw(b"\r\n-----------------------------7d93").out,
                Err(MultipartError::Truncated),
            ),
            (
                "truncated inside part headers",
                B,
                Body::new("\r\n").part(&msg_headers(), b"<email/>").raw(b"\r\n-----------------------------7d93b9550d4a\r\ncontent-disp").out,
                Err(MultipartError::Truncated),
            ),
            (
                "truncated after a complete part header",
                "x",
                lit("--x\r\ncontent-type: image/jpeg\r\n\r\n"),
                Err(MultipartError::Truncated),
            ),
            ("header line without colon", "x", lit("--x\r\nnonsense\r\n\r\nz\r\n--x"), Err(MultipartError::BadPartHead)),
            ("continuation without a header", "x", lit("--x\r\n folded\r\n\r\nz\r\n--x"), Err(MultipartError::BadPartHead)),
            ("garbage after close dash", "x", lit("--x-y\r\n"), Err(MultipartError::BadDelimiter)),
            ("garbage after padding", "x", lit("--x\r\n\r\nz\r\n--x y\r\n"), Err(MultipartError::BadDelimiter)),
            ("garbage after CR", "x", lit("--x\rz"), Err(MultipartError::BadDelimiter)),
        ];
        for (name, boundary, body, expected) in &cases {
            check(name, boundary, body, expected);
        }
    }

    #[test]
    fn part_limit() {
        let body = |n: usize| {
            let mut b = Body::new("\r\n");
            b.boundary = "x";
            for _ in 0..n {
                b = b.part(&["content-disposition: form-data; name=\"binary\""], b"d");
            }
            b.end_plain("")
        };
        let ok = whole("x", &body(MAX_PARTS));
        assert_eq!(parts_of(&ok).map(|p| p.len()), Ok(MAX_PARTS));
        assert_eq!(
            whole("x", &body(MAX_PARTS + 1)).result,
            Err(MultipartError::TooManyParts)
        );
        assert_eq!(
            run("x", &body(MAX_PARTS + 1), &[3]).result,
            Err(MultipartError::TooManyParts)
        );
    }

    #[test]
    fn part_head_at_the_limit_is_accepted() {
        let prefix = "--x\r\nx-pad: ";
        let pad = MAX_PART_HEAD_LEN - "x-pad: \r\n\r\n".len();
        let body = format!("{prefix}{}\r\n\r\nd\r\n--x", "a".repeat(pad));
        assert_eq!(
            parts_of(&whole("x", body.as_bytes())),
            Ok(vec![part("", "", "", b"d")])
        );
        let body = format!("{prefix}{}\r\n\r\nd\r\n--x", "a".repeat(pad + 1));
        assert_eq!(
            whole("x", body.as_bytes()).result,
            Err(MultipartError::PartHeadTooLong)
        );
    }

    #[test]
    fn data_borrows_the_input() {
        let big: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1)
            .collect();
        let body = Body::new("\r\n")
            .part(&["content-disposition: form-data; name=\"binary\""], &big)
            .end_plain("");
        let mut parser = MultipartParser::new(B).unwrap();
        let mut rest = &body[..];
        let mut data_events = 0;
        loop {
            let (used, ev) = parser.feed(rest).unwrap();
            if let Some(MultipartEvent::Data(d)) = &ev {
                data_events += 1;
                assert_eq!(*d, &big[..]);
                let range = body.as_ptr_range();
                assert!(range.contains(&d.as_ptr()), "Data was copied");
            }
            rest = &rest[used..];
            if ev.is_none() {
                break;
            }
        }
        assert_eq!(data_events, 1);
        assert_eq!(parser.finish(), Ok(Some(MultipartEvent::PartEnd)));
        assert_eq!(parser.finish(), Ok(Some(MultipartEvent::End)));
        assert_eq!(parser.finish(), Ok(None));
        assert_eq!(parser.parts(), 1);
    }

    #[test]
    fn close_delimiter_yields_end_from_feed_and_ignores_the_epilogue() {
        let mut parser = MultipartParser::new("x").unwrap();
        let body = b"--x\r\n\r\nd\r\n--x--\r\n--x\r\n\r\nignored";
        let mut rest = &body[..];
        let mut events = Vec::new();
        loop {
            let (used, ev) = parser.feed(rest).unwrap();
            rest = &rest[used..];
            match ev {
                Some(ev) => record(&mut events, ev),
                None => break,
            }
        }
        assert_eq!(
            events,
            vec![
                Ev::Start(PartHead::default()),
                Ev::Data(b"d".to_vec()),
                Ev::PartEnd,
                Ev::End
            ]
        );
        assert_eq!(parser.finish(), Ok(None));
    }

    #[test]
    fn head_parsing() {
        let cases: &[HeadCase] = &[
            (
                "camera message",
                "content-disposition: form-data; name=\"message\"; fileName=\"sample.txt\"\r\ncontent-Type: multipart/form-data;\r\n\r\n",
                Some("message"),
                Some("sample.txt"),
                Some("multipart/form-data"),
            ),
            (
                "pjpeg with semicolon",
                "content-Type: image/pjpeg;\n\n",
                None,
                None,
                Some("image/pjpeg"),
            ),
            (
                "upper-case names, spaces",
                "CONTENT-DISPOSITION :  form-data ; NAME = binary ; FileName = \"a b.jpg\" \r\nContent-Type:  Image/JPEG ; charset=x \r\n\r\n",
                Some("binary"),
                Some("a b.jpg"),
                Some("image/jpeg"),
            ),
            (
                "escaped quote",
                "content-disposition: form-data; name=\"a\\\"b\"; filename=\"c\\\\d\"\r\n\r\n",
                Some("a\"b"),
                Some("c\\d"),
                None,
            ),
            (
                "unterminated quote",
                "content-disposition: form-data; name=\"abc\r\n\r\n",
                Some("abc"),
                None,
                None,
            ),
            (
                "first disposition wins",
                "content-disposition: form-data; name=a\r\ncontent-disposition: form-data; name=b\r\n\r\n",
                Some("a"),
                None,
                None,
            ),
            (
                "first param wins",
                "content-disposition: form-data; name=a; name=b\r\n\r\n",
                Some("a"),
                None,
                None,
            ),
            (
                "filename* ignored",
                "content-disposition: form-data; name=a; filename*=UTF-8''x.jpg\r\n\r\n",
                Some("a"),
                None,
                None,
            ),
            (
                "missing disposition type",
                "content-disposition: name=\"m\"\r\n\r\n",
                Some("m"),
                None,
                None,
            ),
            (
                "empty content type",
                "content-type: ;\r\n\r\n",
                None,
                None,
                None,
            ),
            (
                "other headers ignored",
                "x-thing: name=\"no\"\r\n\r\n",
                None,
                None,
                None,
            ),
            (
                "folded content type",
                "content-type:\r\n\timage/jpeg\r\n\r\n",
                None,
                None,
                Some("image/jpeg"),
            ),
            ("no headers", "\r\n", None, None, None),
        ];
        for (name, raw, n, f, ct) in cases {
            let head = parse_head(raw.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let expected = PartHead {
                name: n.map(str::to_string),
                file_name: f.map(str::to_string),
                content_type: ct.map(str::to_string),
            };
            assert_eq!(head, expected, "{name}");
        }
    }

    #[test]
    fn boundary_extraction() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "camera",
                "multipart/form-data; boundary=---------------------------7d93b9550d4a",
                Some(B),
            ),
            (
                "quoted, upper-case name",
                "multipart/form-data; BOUNDARY=\"abc def\"",
                Some("abc def"),
            ),
            (
                "trailing semicolon",
                "multipart/form-data;boundary=abc;",
                Some("abc"),
            ),
            (
                "trailing spaces",
                "multipart/form-data; boundary=abc  ",
                Some("abc"),
            ),
            (
                "later parameter",
                "multipart/form-data; charset=utf-8; boundary = abc ; x=y",
                Some("abc"),
            ),
            (
                "quoted semicolon",
                "multipart/form-data; boundary=\"a;b\"",
                Some("a;b"),
            ),
            ("missing", "multipart/form-data", None),
            ("empty", "multipart/form-data; boundary=", None),
            ("empty quoted", "multipart/form-data; boundary=\"\"", None),
            ("similar name", "multipart/form-data; xboundary=abc", None),
            (
                "inside another value",
                "multipart/form-data; name=\"boundary=abc\"",
                None,
            ),
        ];
        for (name, ct, expected) in cases {
            assert_eq!(boundary_from_content_type(ct), *expected, "{name}");
        }
    }

    #[test]
    fn boundary_validation() {
        let long = "a".repeat(MAX_BOUNDARY_LEN);
        let too_long = "a".repeat(MAX_BOUNDARY_LEN + 1);
        let cases: &[(&str, bool)] = &[
            (B, true),
            ("x", true),
            ("a b", true),
            (&long, true),
            ("", false),
            (&too_long, false),
            ("a\r\nb", false),
            ("a\nb", false),
            ("ab ", false),
            ("é", false),
        ];
        for (boundary, ok) in cases {
            assert_eq!(MultipartParser::new(boundary).is_ok(), *ok, "{boundary:?}");
            if !ok {
                assert_eq!(
                    MultipartParser::new(boundary).err(),
                    Some(MultipartError::BadBoundary)
                );
            }
        }
    }

    /// Part content biased towards the bytes around delimiters.
    fn content(boundary: &'static str) -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..40),
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"--".to_vec()),
            Just(b"\r\n--".to_vec()),
            (0..=boundary.len()).prop_map(move |n| format!("\n--{}", &boundary[..n]).into_bytes()),
            Just(format!("\n--{boundary}X").into_bytes()),
            Just(format!("--{boundary}").into_bytes()),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    /// Whether `content` can be a part's data: no line in it may start a delimiter.
    fn is_valid_content(boundary: &str, content: &[u8]) -> bool {
        let mut hay = vec![b'\n'];
        hay.extend_from_slice(content);
        let needle = format!("\n--{boundary}");
        memchr::memmem::find_iter(&hay, needle.as_bytes()).all(|i| {
            hay.get(i + needle.len())
                .is_some_and(|&b| !is_delim_follow(b))
        })
    }

    #[derive(Debug, Clone)]
    struct GenPart {
        name: String,
        file: Option<String>,
        ct: Option<&'static str>,
        upper: bool,
        data: Vec<u8>,
    }

    fn gen_body(
        boundary: &'static str,
    ) -> impl Strategy<Value = (Vec<GenPart>, &'static str, u8, Vec<u8>)> {
        let part = (
            "[a-zA-Z0-9_.]{0,10}",
            proptest::option::of("[a-zA-Z0-9_. ;-]{1,12}"),
            proptest::option::of(prop_oneof![
                Just("image/jpeg;"),
                Just("image/pjpeg"),
                Just("multipart/form-data;"),
                Just("Text/Plain; charset=x")
            ]),
            any::<bool>(),
            content(boundary),
        )
            .prop_map(|(name, file, ct, upper, data)| GenPart {
                name,
                file,
                ct,
                upper,
                data,
            });
        (
            proptest::collection::vec(part, 0..5),
            prop_oneof![Just("\r\n"), Just("\n")],
            0u8..4,
            proptest::collection::vec(any::<u8>(), 0..30),
        )
    }

    fn build(boundary: &str, parts: &[GenPart], eol: &str, ending: u8, extra: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // `extra` is a preamble for endings 0 and 1, an epilogue for the close delimiter.
        if ending < 2 && !extra.is_empty() {
            out.extend_from_slice(extra);
            out.extend_from_slice(eol.as_bytes());
        }
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(eol.as_bytes());
            }
            let (cd, fname, ctn) = if p.upper {
                ("Content-Disposition", "filename", "Content-Type")
            } else {
                ("content-disposition", "fileName", "content-Type")
            };
            out.extend_from_slice(
                format!("--{boundary}{eol}{cd}: form-data; name=\"{}\"", p.name).as_bytes(),
            );
            if let Some(f) = &p.file {
                out.extend_from_slice(format!("; {fname}=\"{f}\"").as_bytes());
            }
            out.extend_from_slice(eol.as_bytes());
            if let Some(ct) = p.ct {
                out.extend_from_slice(format!("{ctn}: {ct}{eol}").as_bytes());
            }
            out.extend_from_slice(eol.as_bytes());
            out.extend_from_slice(&p.data);
        }
        if !parts.is_empty() {
            out.extend_from_slice(eol.as_bytes());
        }
        out.extend_from_slice(format!("--{boundary}").as_bytes());
        match ending {
            0 => {}
            1 => out.extend_from_slice(eol.as_bytes()),
            _ => {
                out.extend_from_slice(b"--");
                out.extend_from_slice(extra);
            }
        }
        out
    }

    fn expected(parts: &[GenPart]) -> Parts {
        parts
            .iter()
            .map(|p| {
                let ct =
                    p.ct.map(|c| c.split(';').next().unwrap().trim().to_ascii_lowercase());
                (Some(p.name.clone()), p.file.clone(), ct, p.data.clone())
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_split_gives_the_same_parts(
            (boundary, (parts, eol, ending, extra)) in prop_oneof![Just(B), Just("x"), Just("AaB03x")]
                .prop_flat_map(|b| (Just(b), gen_body(b))),
            sizes in proptest::collection::vec(1usize..50, 1..8),
        ) {
            // With LF line breaks a data `\r` before the delimiter reads as a CRLF: inherently ambiguous.
            let parts: Vec<GenPart> = parts
                .into_iter()
                .filter(|p| is_valid_content(boundary, &p.data) && !(eol == "\n" && p.data.ends_with(b"\r")))
                .collect();
            prop_assume!(ending >= 2 || is_valid_content(boundary, &extra));
            let body = build(boundary, &parts, eol, ending, &extra);
            let one = whole(boundary, &body);
            prop_assert_eq!(parts_of(&one), Ok(expected(&parts)));
            let split = run(boundary, &body, &sizes);
            prop_assert_eq!(&split, &one);
            let bytewise = run(boundary, &body, &[1]);
            prop_assert_eq!(&bytewise, &one);
        }

        #[test]
        fn arbitrary_bytes_split_invariant(
            prefix in prop_oneof![Just(&b""[..]), Just(&b"--x\r\n"[..]), Just(&b"--x\n\n"[..])],
            rest in proptest::collection::vec(prop_oneof![any::<u8>(), Just(b'\n'), Just(b'\r'), Just(b'-'), Just(b'x'), Just(b':')], 0..300),
            sizes in proptest::collection::vec(1usize..20, 1..6),
        ) {
            let body = [prefix, &rest[..]].concat();
            let one = whole("x", &body);
            prop_assert_eq!(run("x", &body, &sizes), one.clone());
            prop_assert_eq!(run("x", &body, &[1]), one);
        }
    }
}
