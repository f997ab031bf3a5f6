//! Tolerant scanner for the cameras' XML dialect, and the typed request
//! parsers built on it.
//!
//! The cameras parse with `strstr` and send XML that is not always
//! well-formed (PROTOCOL.md §0, §2.3): a stray `4p4uaaq422af3"/>` line between
//! elements, unescaped text in CDATA, `<LoginPeopleID="…"/>`. A strict parser
//! rejects such documents, so this module scans tokens instead of building a
//! tree, and every query is one forward pass (O(n), no recursion, no
//! allocation unless entities are decoded or text is pieced together).
//!
//! What the scanner treats as markup, so that garbage stays contained:
//! * `<` starts a tag only when an XML name follows and the name ends at
//!   whitespace, `/`, `>`, `=`, `<` or the end of input. Any other `<`
//!   (`a < b`, `<joe@example.org>`) is text.
//! * `<!--`, `<![CDATA[`, `<!` + letter (DOCTYPE) and `<?` + letter are
//!   comments, CDATA, declarations and processing instructions; unterminated,
//!   they run to the end of the input.
//! * A tag or close tag without its `>` ends at the next `<` (illegal inside
//!   tags anyway); a quoted attribute value without its closing quote ends at
//!   the tag's `>` or `/>`, else at that `<`. One broken element cannot
//!   swallow the ones after it.
//! * A quote that does not follow `=` inside a tag is ignored.
//!
//! Values are returned as written except for entity decoding (`&amp;` `&lt;`
//! `&gt;` `&quot;` `&apos;` `&#NN;` `&#xNN;`); unknown or malformed entities
//! stay literal. There is no whitespace or end-of-line normalisation: the
//! values are opaque tokens (URL-encoded base64, session keys, file names) or
//! user text that is forwarded as typed.

use alloc::{borrow::Cow, string::String, vec::Vec};
use core::fmt;

/// Largest request body the caller hands to this module; the `parse_*`
/// functions reject longer documents with [`XmlError::TooLarge`].
pub const MAX_XML_LEN: usize = 64 * 1024;
/// Most values [`texts`] returns; later elements are ignored.
pub const MAX_TEXTS: usize = 256;
/// Most `<receiver>` addresses [`parse_email`] accepts.
pub const MAX_RECEIVERS: usize = 64;
/// The firmware localisation token some cameras append to the e-mail body.
pub const BODY_MARKER: &str = "language_sh100_utf8";

/// Why a camera request could not be turned into a typed value.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum XmlError {
    /// The document is longer than [`MAX_XML_LEN`].
    #[error("XML document longer than {MAX_XML_LEN} bytes")]
    TooLarge,
    /// No `<Request` element at all (e.g. the NX300's empty auth body).
    #[error("no <Request> element")]
    NotARequest,
    /// The request carries no (or an empty) `SessionKey` attribute.
    #[error("missing SessionKey")]
    MissingSessionKey,
    /// No `File` element with a non-empty `Name`.
    #[error("missing File Name")]
    MissingFileName,
    /// No non-empty `<sender>`.
    #[error("missing e-mail sender")]
    MissingSender,
    /// No non-empty `<receiver>`.
    #[error("no e-mail receiver")]
    NoReceiver,
    /// More than [`MAX_RECEIVERS`] receivers.
    #[error("more than {MAX_RECEIVERS} e-mail receivers")]
    TooManyReceivers,
    /// No non-empty `<loginID>`.
    #[error("missing loginID")]
    MissingLoginId,
    /// No `<password>` element.
    #[error("missing password")]
    MissingPassword,
}

// ---------------------------------------------------------------------------
// Tokenizer

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Non-ASCII bytes count as name bytes, so names never end inside a UTF-8
/// sequence and every position the scanner cuts at is a char boundary.
pub(crate) fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
}

pub(crate) fn is_name_char(c: u8) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == b'-' || c == b'.'
}

fn is_attr_delim(c: u8) -> bool {
    is_ws(c) || matches!(c, b'=' | b'>' | b'/' | b'<' | b'"' | b'\'')
}

/// `doc[a..b]`, or "" if the range is not valid (never happens for the
/// ASCII-delimited positions the scanner produces; avoids a panic path).
fn sub(doc: &str, a: usize, b: usize) -> &str {
    doc.get(a..b).unwrap_or("")
}

fn find_from(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = hay.get(from..)?;
    memchr::memmem::find(rest, needle).map(|k| from + k)
}

/// End of a name starting at `i` (which must be a name start).
fn name_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_name_char(c)) {
        i += 1;
    }
    i
}

#[derive(Debug, Clone, Copy)]
struct Tag<'a> {
    name: &'a str,
    /// Where the attribute list starts, for re-scanning with [`scan_attrs`].
    attrs_at: usize,
    self_closing: bool,
}

#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    /// Character data, entities not yet decoded.
    Text(&'a str),
    /// Content of a CDATA section.
    CData(&'a str),
    Start(Tag<'a>),
    End(&'a str),
    /// Comment, processing instruction, XML or DOCTYPE declaration.
    Skip,
}

struct TagEnd {
    next: usize,
    self_closing: bool,
}

/// Walks the attribute list of a tag from `i`, calling `visit(name, raw
/// value)` for each attribute (a valueless attribute has the value ""), and
/// returns where the tag ends.
fn scan_attrs<'a>(doc: &'a str, mut i: usize, mut visit: impl FnMut(&'a str, &'a str)) -> TagEnd {
    let b = doc.as_bytes();
    let len = b.len();
    loop {
        while b.get(i).is_some_and(|&c| is_ws(c)) {
            i += 1;
        }
        match b.get(i) {
            None | Some(b'<') => {
                return TagEnd {
                    next: i,
                    self_closing: false,
                };
            }
            Some(b'>') => {
                return TagEnd {
                    next: i + 1,
                    self_closing: false,
                };
            }
            Some(b'/') => {
                if b.get(i + 1) == Some(&b'>') {
                    return TagEnd {
                        next: i + 2,
                        self_closing: true,
                    };
                }
                i += 1;
                continue;
            }
            // A quote that does not follow `=` is garbage; it must not start
            // a "value" that would swallow the following elements.
            Some(b'"' | b'\'') => {
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        let name_start = i;
        while b.get(i).is_some_and(|&c| !is_attr_delim(c)) {
            i += 1;
        }
        let name = sub(doc, name_start, i);
        let mut j = i;
        while b.get(j).is_some_and(|&c| is_ws(c)) {
            j += 1;
        }
        if b.get(j) != Some(&b'=') {
            // `name` is non-empty here: an empty name means `=` follows.
            visit(name, "");
            continue;
        }
        j += 1;
        while b.get(j).is_some_and(|&c| is_ws(c)) {
            j += 1;
        }
        let value;
        match b.get(j) {
            Some(&q @ (b'"' | b'\'')) => {
                let vstart = j + 1;
                let rest = b.get(vstart..).unwrap_or(&[]);
                match memchr::memchr2(q, b'<', rest) {
                    Some(k) if rest.get(k) == Some(&q) => {
                        value = sub(doc, vstart, vstart + k);
                        i = vstart + k + 1;
                    }
                    stop => {
                        // Unterminated: the value ends where the tag visibly
                        // ends (`>` or `/>`), else at the next `<`.
                        let limit = stop.map_or(len, |k| vstart + k);
                        let region = b.get(vstart..limit).unwrap_or(&[]);
                        let mut vend = memchr::memchr(b'>', region).map_or(limit, |k| vstart + k);
                        if vend > vstart
                            && b.get(vend) == Some(&b'>')
                            && b.get(vend - 1) == Some(&b'/')
                        {
                            vend -= 1;
                        }
                        value = sub(doc, vstart, vend);
                        i = vend;
                    }
                }
            }
            _ => {
                let vstart = j;
                let mut vend = j;
                while b
                    .get(vend)
                    .is_some_and(|&c| !(is_ws(c) || c == b'>' || c == b'<'))
                {
                    vend += 1;
                }
                if vend > vstart && b.get(vend) == Some(&b'>') && b.get(vend - 1) == Some(&b'/') {
                    vend -= 1;
                }
                value = sub(doc, vstart, vend);
                i = vend;
            }
        }
        visit(name, value);
    }
}

/// A forward-only tokenizer over a document; never fails, always progresses.
struct Scanner<'a> {
    doc: &'a str,
    pos: usize,
}

impl fmt::Debug for Scanner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl<'a> Scanner<'a> {
    fn new(doc: &'a str) -> Self {
        Self { doc, pos: 0 }
    }

    /// Whether the `<` at `at` starts markup (see the module docs).
    fn is_markup(&self, at: usize) -> bool {
        let b = self.doc.as_bytes();
        match b.get(at + 1) {
            Some(b'!') => {
                b.get(at + 2..)
                    .is_some_and(|r| r.starts_with(b"--") || r.starts_with(b"[CDATA["))
                    || b.get(at + 2).is_some_and(|c| c.is_ascii_alphabetic())
            }
            Some(b'?') => b.get(at + 2).is_some_and(|&c| is_name_start(c)),
            Some(b'/') => {
                b.get(at + 2).is_some_and(|&c| is_name_start(c))
                    && b.get(name_end(b, at + 2))
                        .is_none_or(|&c| is_ws(c) || c == b'>' || c == b'<')
            }
            Some(&c) if is_name_start(c) => b
                .get(name_end(b, at + 1))
                .is_none_or(|&c| is_ws(c) || matches!(c, b'/' | b'>' | b'=' | b'<')),
            _ => false,
        }
    }

    /// Reads the markup at `at`, which [`Self::is_markup`] accepted.
    fn markup(&self, at: usize) -> (Token<'a>, usize) {
        let doc = self.doc;
        let b = doc.as_bytes();
        let len = b.len();
        let rest = b.get(at..).unwrap_or(&[]);
        if rest.starts_with(b"<!--") {
            let next = find_from(b, at + 4, b"-->").map_or(len, |k| k + 3);
            (Token::Skip, next)
        } else if rest.starts_with(b"<![CDATA[") {
            let start = at + 9;
            match find_from(b, start, b"]]>") {
                Some(k) => (Token::CData(sub(doc, start, k)), k + 3),
                None => (Token::CData(sub(doc, start, len)), len),
            }
        } else if rest.starts_with(b"<!") {
            // DOCTYPE: an internal subset `[...]` may contain `>`.
            // Look for `[` only before the first `>`, or a document full of
            // `<!x>` would be scanned to the end once per declaration.
            let gt = find_from(b, at, b">").unwrap_or(len);
            let open = b.get(at..gt).and_then(|r| memchr::memchr(b'[', r));
            let next = match open {
                Some(k) => find_from(b, at + k, b"]")
                    .and_then(|close| find_from(b, close, b">"))
                    .map_or(len, |k| k + 1),
                None => (gt + 1).min(len),
            };
            (Token::Skip, next)
        } else if rest.starts_with(b"<?") {
            let next = find_from(b, at + 2, b"?>").map_or(len, |k| k + 2);
            (Token::Skip, next)
        } else if rest.starts_with(b"</") {
            let end = name_end(b, at + 2);
            let name = sub(doc, at + 2, end);
            let stop = b.get(end..).and_then(|r| memchr::memchr2(b'>', b'<', r));
            let next = match stop {
                Some(k) if b.get(end + k) == Some(&b'>') => end + k + 1,
                Some(k) => end + k,
                None => len,
            };
            (Token::End(name), next)
        } else {
            let end = name_end(b, at + 1);
            let name = sub(doc, at + 1, end);
            let tag_end = scan_attrs(doc, end, |_, _| {});
            let tag = Tag {
                name,
                attrs_at: end,
                self_closing: tag_end.self_closing,
            };
            (Token::Start(tag), tag_end.next)
        }
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let b = self.doc.as_bytes();
        let start = self.pos;
        if start >= b.len() {
            return None;
        }
        if b.get(start) == Some(&b'<') && self.is_markup(start) {
            let (token, next) = self.markup(start);
            // Every markup token is at least two bytes; max() is belt and braces.
            self.pos = next.max(start + 1);
            return Some(token);
        }
        let mut i = start + 1;
        loop {
            match b.get(i..).and_then(|r| memchr::memchr(b'<', r)) {
                Some(k) if self.is_markup(i + k) => {
                    self.pos = i + k;
                    return Some(Token::Text(sub(self.doc, start, i + k)));
                }
                Some(k) => i += k + 1,
                None => {
                    self.pos = b.len();
                    return Some(Token::Text(sub(self.doc, start, b.len())));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Values

/// Decodes the entity at `b[i] == b'&'`: the character and the entity length.
fn entity_at(b: &[u8], i: usize) -> Option<(char, usize)> {
    let rest = b.get(i + 1..)?;
    if let Some(num) = rest.strip_prefix(b"#") {
        let (radix, digits_at) = match num.first() {
            Some(b'x' | b'X') => (16, 1),
            _ => (10, 0),
        };
        let mut code: u32 = 0;
        let mut n = 0;
        for &c in num.get(digits_at..)? {
            let Some(d) = (c as char).to_digit(radix) else {
                break;
            };
            code = code.checked_mul(radix)?.checked_add(d)?;
            n += 1;
        }
        let semi = digits_at + n;
        if n == 0 || num.get(semi) != Some(&b';') || code == 0 {
            return None;
        }
        // `&#` + digits + `;`
        return Some((char::from_u32(code)?, 2 + semi + 1));
    }
    const NAMED: [(&[u8], char); 5] = [
        (b"amp;", '&'),
        (b"lt;", '<'),
        (b"gt;", '>'),
        (b"quot;", '"'),
        (b"apos;", '\''),
    ];
    NAMED
        .iter()
        .find(|(name, _)| rest.starts_with(name))
        .map(|&(name, ch)| (ch, 1 + name.len()))
}

/// Decodes the predefined and numeric entities; anything else stays as is.
fn decode(raw: &str) -> Cow<'_, str> {
    let b = raw.as_bytes();
    let Some(mut i) = memchr::memchr(b'&', b) else {
        return Cow::Borrowed(raw);
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    loop {
        if let Some((ch, len)) = entity_at(b, i) {
            let s = out.get_or_insert_with(|| String::with_capacity(raw.len()));
            s.push_str(sub(raw, copied, i));
            s.push(ch);
            i += len;
            copied = i;
        } else {
            i += 1;
        }
        match b.get(i..).and_then(|r| memchr::memchr(b'&', r)) {
            Some(k) => i += k,
            None => break,
        }
    }
    match out {
        Some(mut s) => {
            s.push_str(sub(raw, copied, raw.len()));
            Cow::Owned(s)
        }
        None => Cow::Borrowed(raw),
    }
}

/// Escapes `&` `<` `>` `"` `'` for use in attribute values and text of our
/// responses.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s
        .bytes()
        .any(|c| matches!(c, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(ch),
        }
    }
    Cow::Owned(out)
}

/// Text pieces of one element, borrowed while there is only one piece.
struct Collect<'a>(Option<Cow<'a, str>>);

impl<'a> Collect<'a> {
    fn push(&mut self, piece: Cow<'a, str>) {
        if piece.is_empty() {
            return;
        }
        match &mut self.0 {
            None => self.0 = Some(piece),
            Some(acc) => acc.to_mut().push_str(&piece),
        }
    }
}

/// Character data of the element whose start tag was just read: text and
/// CDATA of it and its descendants, up to the close tag at the same depth of
/// `element`. `None` if that close tag never comes.
fn collect_text<'a>(scanner: &mut Scanner<'a>, element: &str) -> Option<Cow<'a, str>> {
    let mut depth: usize = 1;
    let mut acc = Collect(None);
    for token in scanner {
        match token {
            Token::Text(t) => acc.push(decode(t)),
            Token::CData(c) => acc.push(Cow::Borrowed(c)),
            Token::Start(tag) if tag.name == element && !tag.self_closing => depth += 1,
            Token::End(name) if name == element => {
                depth -= 1;
                if depth == 0 {
                    return Some(acc.0.unwrap_or(Cow::Borrowed("")));
                }
            }
            _ => {}
        }
    }
    None
}

fn tag_attr<'a>(doc: &'a str, tag: &Tag<'a>, attr: &str) -> Option<Cow<'a, str>> {
    let mut found = None;
    scan_attrs(doc, tag.attrs_at, |name, value| {
        if found.is_none() && name == attr {
            found = Some(value);
        }
    });
    found.map(decode)
}

/// First start tag of each of `names`, and the first start tag of all (the
/// root), in one pass.
fn first_tags<'a, const N: usize>(
    doc: &'a str,
    names: [&str; N],
) -> (Option<Tag<'a>>, [Option<Tag<'a>>; N]) {
    let mut root = None;
    let mut found = [None; N];
    let mut missing = N;
    for token in Scanner::new(doc) {
        if let Token::Start(tag) = token {
            root.get_or_insert(tag);
            for (slot, name) in found.iter_mut().zip(names) {
                if slot.is_none() && tag.name == name {
                    *slot = Some(tag);
                    missing -= 1;
                }
            }
            if missing == 0 {
                break;
            }
        }
    }
    (root, found)
}

/// First element named `element` (exact, case-sensitive tag name match —
/// `<File ` does not match `<FileX`), attribute `attr` value with entities
/// decoded.
///
/// Tolerates single or double quotes, whitespace around `=`, unquoted values,
/// garbage between elements, missing `/>` and unclosed documents. A valueless
/// attribute (`<A B>`) has the value "". `attr == ""` reads the malformed
/// `<LoginPeopleID="…"/>` form.
pub fn attr<'a>(doc: &'a str, element: &str, attr: &str) -> Option<Cow<'a, str>> {
    let (_, [tag]) = first_tags(doc, [element]);
    tag_attr(doc, &tag?, attr)
}

/// Text content of the first `element` (between `<element ...>` and its
/// `</element>`): text and CDATA of the element and its children, CDATA
/// unwrapped, entities decoded outside CDATA, comments and tags dropped.
/// `<element/>` has the text "". Missing close tag → `None`.
pub fn text<'a>(doc: &'a str, element: &str) -> Option<Cow<'a, str>> {
    texts_iter(doc, element).next()
}

/// Iterator over the text contents of every `element` in document order
/// (see [`texts_iter`]).
#[derive(Debug)]
pub struct Texts<'a, 'e> {
    scanner: Scanner<'a>,
    element: &'e str,
}

impl<'a> Iterator for Texts<'a, '_> {
    type Item = Cow<'a, str>;

    fn next(&mut self) -> Option<Cow<'a, str>> {
        loop {
            match self.scanner.next()? {
                Token::Start(tag) if tag.name == self.element => {
                    if tag.self_closing {
                        return Some(Cow::Borrowed(""));
                    }
                    // Unclosed: the scan reached the end, so iteration stops.
                    return collect_text(&mut self.scanner, self.element);
                }
                _ => {}
            }
        }
    }
}

/// Text contents of every `element`, lazily, in document order. An element
/// nested in another one of the same name is part of the outer one's text,
/// not a separate item. Iteration stops at the first element without a close
/// tag.
pub fn texts_iter<'a, 'e>(doc: &'a str, element: &'e str) -> Texts<'a, 'e> {
    Texts {
        scanner: Scanner::new(doc),
        element,
    }
}

/// All text contents of every `element` (e.g. several `<receiver>`), in
/// order; at most [`MAX_TEXTS`].
pub fn texts<'a>(doc: &'a str, element: &str) -> Vec<Cow<'a, str>> {
    texts_iter(doc, element).take(MAX_TEXTS).collect()
}

// ---------------------------------------------------------------------------
// Typed requests

fn check_len(doc: &str) -> Result<(), XmlError> {
    if doc.len() > MAX_XML_LEN {
        Err(XmlError::TooLarge)
    } else {
        Ok(())
    }
}

/// Trimmed, non-empty, owned.
fn token(value: Option<Cow<'_, str>>) -> Option<String> {
    value
        .map(|v| String::from(v.trim()))
        .filter(|v| !v.is_empty())
}

/// `Request@Method` of a `/<site>/auth` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `Method="login"` (any case).
    Login,
    /// `Method="logout"` (any case).
    Logout,
    /// Anything else, or no `Method`.
    Other,
}

/// A parsed `POST /<site>/auth` body (PROTOCOL.md §2.3).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// `Request@Method`.
    pub method: AuthMethod,
    /// Raw `UserName@Value`: URL-encoded, usually encrypted (see `crypto`).
    pub user: Option<String>,
    /// Raw `Password@Value`: URL-encoded, usually encrypted.
    pub password: Option<String>,
    /// `CryptSessionKey@Value`; `None` when it is missing or empty, which
    /// means plain credentials (HMX-QF30).
    pub crypt_session_key: Option<String>,
    /// An `OAuth` element with a `Version` attribute is present.
    pub oauth: bool,
    /// The `SessionKey` attribute of the `Request` element (logout carries
    /// it), not the `<SessionKey Type="APIF"/>` element.
    pub session_key: Option<String>,
}

/// The password and the key that decrypts it stay out of logs.
impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("method", &self.method)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field(
                "crypt_session_key",
                &self.crypt_session_key.as_ref().map(|_| "<redacted>"),
            )
            .field("oauth", &self.oauth)
            .field("session_key", &self.session_key)
            .finish()
    }
}

/// Parses a `/<site>/auth` body; `NotARequest` if there is no `<Request`.
pub fn parse_auth(doc: &str) -> Result<AuthRequest, XmlError> {
    check_len(doc)?;
    let (_, [request, user, password, csk, oauth]) = first_tags(
        doc,
        [
            "Request",
            "UserName",
            "Password",
            "CryptSessionKey",
            "OAuth",
        ],
    );
    let request = request.ok_or(XmlError::NotARequest)?;
    let method = match tag_attr(doc, &request, "Method") {
        Some(m) if m.trim().eq_ignore_ascii_case("login") => AuthMethod::Login,
        Some(m) if m.trim().eq_ignore_ascii_case("logout") => AuthMethod::Logout,
        _ => AuthMethod::Other,
    };
    let value = |tag: Option<Tag<'_>>| {
        tag.and_then(|t| tag_attr(doc, &t, "Value"))
            .map(String::from)
    };
    Ok(AuthRequest {
        method,
        user: value(user),
        password: value(password),
        crypt_session_key: value(csk).filter(|v| !v.trim().is_empty()),
        oauth: oauth.is_some_and(|t| tag_attr(doc, &t, "Version").is_some()),
        session_key: token(tag_attr(doc, &request, "SessionKey")),
    })
}

/// Which announce endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// `/<site>/photo`.
    Photo,
    /// `/<site>/video`.
    Video,
}

/// A parsed `/<site>/photo` or `/<site>/video` body (PROTOCOL.md §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaAnnounce {
    /// The endpoint the request came to.
    pub kind: MediaKind,
    /// `Request@SessionKey`, trimmed.
    pub session_key: String,
    /// `Album@Name`, trimmed.
    pub album: Option<String>,
    /// `File@Name`, trimmed.
    pub file_name: String,
    /// Text of `Content` as typed (the batch key; `~` separates alt texts).
    pub content: String,
    /// `Category@Name` (video).
    pub category_name: Option<String>,
    /// `Category@OwnerID` (video).
    pub category_owner: Option<String>,
}

/// Parses an announce body; `kind` comes from the endpoint.
pub fn parse_announce(doc: &str, kind: MediaKind) -> Result<MediaAnnounce, XmlError> {
    check_len(doc)?;
    let (root, [request, album, file, category]) =
        first_tags(doc, ["Request", "Album", "File", "Category"]);
    // Only the attribute names are known for sure (PROTOCOL.md §2.4), not the
    // root element's name; the reference reads the root's attribute.
    let session_key = token(
        request
            .or(root)
            .and_then(|t| tag_attr(doc, &t, "SessionKey")),
    )
    .ok_or(XmlError::MissingSessionKey)?;
    let file_name =
        token(file.and_then(|t| tag_attr(doc, &t, "Name"))).ok_or(XmlError::MissingFileName)?;
    let category_attr = |name| token(category.and_then(|t| tag_attr(doc, &t, name)));
    Ok(MediaAnnounce {
        kind,
        session_key,
        album: token(album.and_then(|t| tag_attr(doc, &t, "Name"))),
        file_name,
        content: text(doc, "Content").map(String::from).unwrap_or_default(),
        category_name: category_attr("Name"),
        category_owner: category_attr("OwnerID"),
    })
}

/// The `message` part of a `/social/columbus/email` request (PROTOCOL.md §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// `<sender>`, trimmed; may be in `Name <addr>` form.
    pub sender: String,
    /// Every non-empty trimmed `<receiver>`, in order.
    pub receivers: Vec<String>,
    /// `<title>`, trimmed ("" if missing).
    pub title: String,
    /// `<body>`, trimmed, without the firmware's [`BODY_MARKER`] line.
    pub body: String,
}

/// Removes a trailing [`BODY_MARKER`] and the line break before it, written
/// as a real `\r\n`/`\n` or as the literal characters `\r\n`/`\n`.
pub fn strip_body_marker(body: &str) -> &str {
    let trimmed = body.trim_end();
    let Some(rest) = trimmed.strip_suffix(BODY_MARKER) else {
        return trimmed;
    };
    // Longest spellings first: `\r\n` ends with `\n`.
    for brk in ["\\r\\n", "\\n", "\r\n", "\n"] {
        if let Some(text) = rest.strip_suffix(brk) {
            return text.trim_end();
        }
    }
    // The marker alone is an empty body; glued to other text it may be the
    // user's own words, so it stays.
    if rest.trim().is_empty() { "" } else { trimmed }
}

/// Parses the e-mail `message` part.
pub fn parse_email(doc: &str) -> Result<EmailMessage, XmlError> {
    check_len(doc)?;
    let sender = token(text(doc, "sender")).ok_or(XmlError::MissingSender)?;
    let mut receivers = Vec::new();
    for r in texts_iter(doc, "receiver") {
        let r = r.trim();
        if r.is_empty() {
            continue;
        }
        if receivers.len() == MAX_RECEIVERS {
            return Err(XmlError::TooManyReceivers);
        }
        receivers.push(String::from(r));
    }
    if receivers.is_empty() {
        return Err(XmlError::NoReceiver);
    }
    Ok(EmailMessage {
        sender,
        receivers,
        title: text(doc, "title")
            .map(|t| String::from(t.trim()))
            .unwrap_or_default(),
        body: text(doc, "body")
            .map(|b| String::from(strip_body_marker(&b).trim()))
            .unwrap_or_default(),
    })
}

/// The NX300 AllShare `userAuthRequest` body (PROTOCOL.md §2.6, V20): plain
/// text credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct UserAuthRequest {
    /// `<loginID>`, trimmed.
    pub login_id: String,
    /// `<password>` as sent.
    pub password: String,
}

impl fmt::Debug for UserAuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAuthRequest")
            .field("login_id", &self.login_id)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Parses a `userAuthRequest` body.
pub fn parse_user_auth(doc: &str) -> Result<UserAuthRequest, XmlError> {
    check_len(doc)?;
    let login_id = token(text(doc, "loginID")).ok_or(XmlError::MissingLoginId)?;
    let password = text(doc, "password").ok_or(XmlError::MissingPassword)?;
    Ok(UserAuthRequest {
        login_id,
        password: String::from(password),
    })
}

#[cfg(test)]
mod tests;
