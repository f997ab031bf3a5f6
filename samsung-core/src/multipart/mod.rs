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

    /// Bytes held back between calls (carry, part-head buffer capacity):
    /// bounded whatever the input; for tests and fuzzing.
    #[cfg(any(test, feature = "_fuzz"))]
    #[doc(hidden)]
    pub fn held_bytes(&self) -> (usize, usize) {
        (self.carry_len, self.head.capacity())
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
mod tests;
