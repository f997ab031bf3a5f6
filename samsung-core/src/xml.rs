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
fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
}

fn is_name_char(c: u8) -> bool {
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
mod tests {
    use super::*;
    use alloc::{format, string::ToString, vec};
    use proptest::prelude::*;
    use std::println;

    // --- VECTORS.md request bodies -------------------------------------

    const V6_MESSAGE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<email><sender>Camera@samsungcamera.com</sender><receiverList><receiver>friend@example.org</receiver> </receiverList><title><![CDATA[[Samsung Smart Camera] sent you files.]]></title>\r\n\
<body><![CDATA[Sent from Samsung Camera.\\r\\nlanguage_sh100_utf8]]></body></email>\r\n";

    const V7: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="login" Timeout="3000" CameraCryptKey="58a4c8161c8aa7b1287bc4934a2d89fa952da1cddc5b8f3d84d340000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000">
<UserName Value="uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D"/>
<Password Value="ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D"/>
<PersistKey Use="true"/>
<SessionKey Type="APIF"/>
<CryptSessionKey Use="true" Type="SHA1" Value="//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY="/>
<ApplicationKey Value="6a563c3967f147d3adfa454ef913535d0d109ba4b4584914"/>
</Request>
"#;

    const V8: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="login" Timeout="3000" CameraCryptKey="844e7f0fadf4ba1cf5b6de9edb06ac9a448c0d3031b73db65a308cecb570428a44dea69bddd94403829e5c06efee9a4d555590f75a8c1313c3b935a0a03684d463733b30d3a34fe11b0da9d7f230366221ceec509419d89fd9b0cc36adc7258fbc904b497173d1f154202727c402b2a25d58dd0ecc6d576294880226cfb46151">
<UserName Value="7xKPwb19QdFKzsjsrQx62g%3D%3D"/>
<Password Value="U%2BK0X1QnWUv4tkvrrtQ0aQ%3D%3D"/>
<PersistKey Use="true"/>
4p4uaaq422af3"/>
<SessionKey Type="APIF"/>
<CryptSessionKey Use="true" Type="SHA1" Value="/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y="/>
<ApplicationKey Value="6a563c3967f147d3adfa454ef913535d0d109ba4b4584914"/>
</Request>
"#;

    const V10: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="login" Timeout="3000">
<UserName Value="Camera%40samsungcamera.com"/>
<Password Value="secret"/>
<PersistKey Use="true"/>
<SessionKey Type="APIF"/>
<CryptSessionKey Use="true" Type="SHA1"/>
<ApplicationKey Value="6a563c3967f147d3adfa454ef913535d0d109ba4b4584914"/>
</Request>
"#;

    const V11: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="logout" Timeout="3000" SessionKey="0123456789abcdef0123456789abcdef">
</Request>
"#;

    const V14: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="upload" Timeout="3000" SessionKey="0123456789abcdef0123456789abcdef">
<Photo>
<Album Name="NX300"/>
<File Name="SAM_1234.JPG"/>
<Content>Holiday shot!~fancy flower bed~traffic sign</Content>
</Photo>
</Request>
"#;

    const V17: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Request Method="upload" Timeout="3000" SessionKey="0123456789abcdef0123456789abcdef">
<Video>
<Category Name="People" OwnerID="owner"/>
<File Name="SAM_0005.MP4"/>
<Content>my clip</Content>
</Video>
</Request>
"#;

    const V20: &str = "<userAuthRequest><loginID>Camera@samsungcamera.com</loginID><password>secret</password><duid></duid><mobileCountryCode></mobileCountryCode><tncAccepted>Y</tncAccepted></userAuthRequest>";

    /// The login response template (PROTOCOL.md §2.3), malformed on purpose.
    const LOGIN_RESPONSE: &str = r#"<Response SessionKey="0123456789abcdef0123456789abcdef">
<PersistKey Value=""/>
<CryptSessionKey Value="0123456789abcdef0123456789abcdef"/>
<LoginPeopleID="Samsung NX Lover"/>
<OAuth URL="http://snsgw.samsungmobile.com/oauth"/>
</Response>"#;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn login(user: &str, password: &str, csk: Option<&str>) -> AuthRequest {
        AuthRequest {
            method: AuthMethod::Login,
            user: s(user),
            password: s(password),
            crypt_session_key: csk.map(String::from),
            oauth: false,
            session_key: None,
        }
    }

    #[test]
    fn auth_vectors() {
        let v9 = V8
            .replace(
                "7xKPwb19QdFKzsjsrQx62g%3D%3D",
                "7SWeVZO1ja%2FtUg7RXw4uUgYmQ0yN2DENOlei0k0q2Ys%3D",
            )
            .replace(
                "U%2BK0X1QnWUv4tkvrrtQ0aQ%3D%3D",
                "ROLCnrin5ZEQjiFaLz3E7g%3D%3D",
            );
        let v8_crlf = V8.replace('\n', "\r\n");
        let v8_bom = format!("\u{feff}{V8}");
        let oauth = "<Request Method='LOGIN'><OAuth Version=\"1.0\"/></Request>";
        let table: &[(&str, &str, Result<AuthRequest, XmlError>)] = &[
            (
                "V7 compact",
                V7,
                Ok(login(
                    "uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D",
                    "ob7Ue7q%2BkUSZFffy3%2BVfiQ%3D%3D",
                    Some("//////S3mbZSAQAA/LOitv////9IIgS2UgEAAAAQBLY="),
                )),
            ),
            (
                "V8 NX300 with garbage line",
                V8,
                Ok(login(
                    "7xKPwb19QdFKzsjsrQx62g%3D%3D",
                    "U%2BK0X1QnWUv4tkvrrtQ0aQ%3D%3D",
                    Some("/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y="),
                )),
            ),
            (
                "V8 with CRLF",
                &v8_crlf,
                Ok(login(
                    "7xKPwb19QdFKzsjsrQx62g%3D%3D",
                    "U%2BK0X1QnWUv4tkvrrtQ0aQ%3D%3D",
                    Some("/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y="),
                )),
            ),
            (
                "V8 with BOM",
                &v8_bom,
                Ok(login(
                    "7xKPwb19QdFKzsjsrQx62g%3D%3D",
                    "U%2BK0X1QnWUv4tkvrrtQ0aQ%3D%3D",
                    Some("/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y="),
                )),
            ),
            (
                "V9",
                &v9,
                Ok(login(
                    "7SWeVZO1ja%2FtUg7RXw4uUgYmQ0yN2DENOlei0k0q2Ys%3D",
                    "ROLCnrin5ZEQjiFaLz3E7g%3D%3D",
                    Some("/////xAAwKRSAQAAAPAHtv////8QAMCkUgEAAADwB7Y="),
                )),
            ),
            (
                "V10 QF30 plain",
                V10,
                Ok(login("Camera%40samsungcamera.com", "secret", None)),
            ),
            (
                "V11 logout",
                V11,
                Ok(AuthRequest {
                    method: AuthMethod::Logout,
                    user: None,
                    password: None,
                    crypt_session_key: None,
                    oauth: false,
                    session_key: s("0123456789abcdef0123456789abcdef"),
                }),
            ),
            ("V12 empty body", "", Err(XmlError::NotARequest)),
            (
                "not a request",
                "<Response Status=\"succ\" />",
                Err(XmlError::NotARequest),
            ),
            (
                "OAuth, method in upper case",
                oauth,
                Ok(AuthRequest {
                    method: AuthMethod::Login,
                    user: None,
                    password: None,
                    crypt_session_key: None,
                    oauth: true,
                    session_key: None,
                }),
            ),
            (
                "unknown method, empty CSK value",
                "<Request Method=\"resolve\"><CryptSessionKey Value=\"\"/><OAuth URL=\"x\"/></Request>",
                Ok(AuthRequest {
                    method: AuthMethod::Other,
                    user: None,
                    password: None,
                    crypt_session_key: None,
                    oauth: false,
                    session_key: None,
                }),
            ),
        ];
        for (name, doc, want) in table {
            assert_eq!(&parse_auth(doc), want, "{name}");
        }
    }

    #[test]
    fn auth_too_large() {
        let doc = format!("{V7}{}", " ".repeat(MAX_XML_LEN));
        assert_eq!(parse_auth(&doc), Err(XmlError::TooLarge));
        assert_eq!(
            attr(&doc, "UserName", "Value").as_deref(),
            Some("uFK%2Fz%2BkEchpulalnJr1rBw%3D%3D")
        );
    }

    #[test]
    fn auth_debug_redacts_secrets() {
        let dbg = format!("{:?}", parse_auth(V10).unwrap());
        assert!(dbg.contains("Camera%40samsungcamera.com"), "{dbg}");
        assert!(!dbg.contains("secret"), "{dbg}");
        let dbg = format!("{:?}", parse_auth(V8).unwrap());
        assert!(!dbg.contains("xAAwKRSAQAAAPAHtv"), "{dbg}");
        let dbg = format!("{:?}", parse_user_auth(V20).unwrap());
        assert!(!dbg.contains("secret"), "{dbg}");
    }

    #[test]
    fn announce_vectors() {
        let photo = |file: &str, content: &str| MediaAnnounce {
            kind: MediaKind::Photo,
            session_key: "0123456789abcdef0123456789abcdef".into(),
            album: s("NX300"),
            file_name: file.into(),
            content: content.into(),
            category_name: None,
            category_owner: None,
        };
        let v14_unknown_root = V14.replace("Request", "Upload");
        let v14_escaped = V14.replace("Holiday shot!", "Fish &amp; chips &#x1F4F7;");
        let table: &[(&str, &str, MediaKind, Result<MediaAnnounce, XmlError>)] = &[
            (
                "V14 photo",
                V14,
                MediaKind::Photo,
                Ok(photo(
                    "SAM_1234.JPG",
                    "Holiday shot!~fancy flower bed~traffic sign",
                )),
            ),
            (
                "V14 with another root name",
                &v14_unknown_root,
                MediaKind::Photo,
                Ok(photo(
                    "SAM_1234.JPG",
                    "Holiday shot!~fancy flower bed~traffic sign",
                )),
            ),
            (
                "V14 with entities in the content",
                &v14_escaped,
                MediaKind::Photo,
                Ok(photo(
                    "SAM_1234.JPG",
                    "Fish & chips 📷~fancy flower bed~traffic sign",
                )),
            ),
            (
                "V17 video",
                V17,
                MediaKind::Video,
                Ok(MediaAnnounce {
                    kind: MediaKind::Video,
                    session_key: "0123456789abcdef0123456789abcdef".into(),
                    album: None,
                    file_name: "SAM_0005.MP4".into(),
                    content: "my clip".into(),
                    category_name: s("People"),
                    category_owner: s("owner"),
                }),
            ),
            (
                "no content element",
                "<Request SessionKey='k'><File Name='a.jpg'/></Request>",
                MediaKind::Photo,
                Ok(MediaAnnounce {
                    kind: MediaKind::Photo,
                    session_key: "k".into(),
                    album: None,
                    file_name: "a.jpg".into(),
                    content: String::new(),
                    category_name: None,
                    category_owner: None,
                }),
            ),
            (
                "FileName is not File",
                "<Request SessionKey='k'><FileName Name='x.jpg'/></Request>",
                MediaKind::Photo,
                Err(XmlError::MissingFileName),
            ),
            (
                "no session key",
                "<Request><File Name='a.jpg'/></Request>",
                MediaKind::Photo,
                Err(XmlError::MissingSessionKey),
            ),
            (
                "SessionKey element is not the attribute",
                "<Request><SessionKey Type='APIF'/><File Name='a.jpg'/></Request>",
                MediaKind::Photo,
                Err(XmlError::MissingSessionKey),
            ),
            (
                "empty body",
                "",
                MediaKind::Video,
                Err(XmlError::MissingSessionKey),
            ),
        ];
        for (name, doc, kind, want) in table {
            assert_eq!(&parse_announce(doc, *kind), want, "{name}");
        }
    }

    #[test]
    fn email_vectors() {
        let v6 = EmailMessage {
            sender: "Camera@samsungcamera.com".into(),
            receivers: vec!["friend@example.org".into()],
            title: "[Samsung Smart Camera] sent you files.".into(),
            body: "Sent from Samsung Camera.".into(),
        };
        let v6_lf = V6_MESSAGE.replace("\r\n", "\n");
        let v6_real_newline = V6_MESSAGE.replace("\\r\\n", "\n");
        let many = "<email><sender> Joe <joe@example.org> </sender><receiverList>\n\
            <receiver> a@example.org </receiver>\n  <receiver></receiver>\n\
            <receiver>\tb@example.org\n</receiver>\n<receiver>c@example.org</receiver>\n\
            </receiverList><title>Fish &amp; chips</title><body>line 1\nline 2\n</body></email>";
        let too_many = format!(
            "<sender>a</sender>{}",
            "<receiver>r@example.org</receiver>".repeat(MAX_RECEIVERS + 1)
        );
        let table: &[(&str, &str, Result<EmailMessage, XmlError>)] = &[
            ("V6 message", V6_MESSAGE, Ok(v6.clone())),
            ("V6 with LF", &v6_lf, Ok(v6.clone())),
            (
                "V6 with a real newline before the marker",
                &v6_real_newline,
                Ok(v6),
            ),
            (
                "several receivers, whitespace, Name <addr> sender",
                many,
                Ok(EmailMessage {
                    sender: "Joe <joe@example.org>".into(),
                    receivers: vec![
                        "a@example.org".into(),
                        "b@example.org".into(),
                        "c@example.org".into(),
                    ],
                    title: "Fish & chips".into(),
                    body: "line 1\nline 2".into(),
                }),
            ),
            (
                "no sender",
                "<email><receiver>a@b</receiver></email>",
                Err(XmlError::MissingSender),
            ),
            (
                "blank sender",
                "<email><sender> </sender><receiver>a@b</receiver></email>",
                Err(XmlError::MissingSender),
            ),
            (
                "only blank receivers",
                "<email><sender>s@x</sender><receiverList><receiver> </receiver></receiverList></email>",
                Err(XmlError::NoReceiver),
            ),
            (
                "too many receivers",
                &too_many,
                Err(XmlError::TooManyReceivers),
            ),
        ];
        for (name, doc, want) in table {
            assert_eq!(&parse_email(doc), want, "{name}");
        }
    }

    #[test]
    fn body_marker_spellings() {
        let table = [
            (
                "literal \\r\\n",
                "Sent from Samsung Camera.\\r\\nlanguage_sh100_utf8",
                "Sent from Samsung Camera.",
            ),
            (
                "literal \\n",
                "Sent from Samsung Camera.\\nlanguage_sh100_utf8",
                "Sent from Samsung Camera.",
            ),
            (
                "real CRLF",
                "Sent from Samsung Camera.\r\nlanguage_sh100_utf8",
                "Sent from Samsung Camera.",
            ),
            (
                "real LF",
                "Sent from Samsung Camera.\nlanguage_sh100_utf8",
                "Sent from Samsung Camera.",
            ),
            ("trailing whitespace", "Hi\nlanguage_sh100_utf8 \r\n", "Hi"),
            ("marker only", "language_sh100_utf8", ""),
            ("break and marker only", "\\r\\nlanguage_sh100_utf8", ""),
            ("no marker", "Hi there", "Hi there"),
            (
                "marker in the middle stays",
                "a\nlanguage_sh100_utf8\nb",
                "a\nlanguage_sh100_utf8\nb",
            ),
            (
                "glued to text stays",
                "my language_sh100_utf8",
                "my language_sh100_utf8",
            ),
            (
                "tilde convention untouched",
                "Holiday!~alt\nlanguage_sh100_utf8",
                "Holiday!~alt",
            ),
        ];
        for (name, body, want) in table {
            assert_eq!(strip_body_marker(body), want, "{name}");
            let doc =
                format!("<sender>s</sender><receiver>r</receiver><body><![CDATA[{body}]]></body>");
            assert_eq!(
                parse_email(&doc).map(|m| m.body).as_deref(),
                Ok(want),
                "{name} via parse_email"
            );
        }
    }

    #[test]
    fn user_auth_vectors() {
        let table: &[(&str, &str, Result<UserAuthRequest, XmlError>)] = &[
            (
                "V20",
                V20,
                Ok(UserAuthRequest {
                    login_id: "Camera@samsungcamera.com".into(),
                    password: "secret".into(),
                }),
            ),
            (
                "password kept as sent",
                "<userAuthRequest><loginID> a@b </loginID><password> p&amp;w </password></userAuthRequest>",
                Ok(UserAuthRequest {
                    login_id: "a@b".into(),
                    password: " p&w ".into(),
                }),
            ),
            (
                "no login id",
                "<userAuthRequest><password>x</password></userAuthRequest>",
                Err(XmlError::MissingLoginId),
            ),
            (
                "no password",
                "<userAuthRequest><loginID>a</loginID></userAuthRequest>",
                Err(XmlError::MissingPassword),
            ),
            ("empty", "", Err(XmlError::MissingLoginId)),
        ];
        for (name, doc, want) in table {
            assert_eq!(&parse_user_auth(doc), want, "{name}");
        }
    }

    // --- scanner -------------------------------------------------------

    #[test]
    fn attr_table() {
        let table: &[(&str, &str, &str, &str, Option<&str>)] = &[
            (
                "double quotes",
                r#"<File Name="a.jpg"/>"#,
                "File",
                "Name",
                Some("a.jpg"),
            ),
            (
                "single quotes",
                "<File Name='a.jpg'/>",
                "File",
                "Name",
                Some("a.jpg"),
            ),
            (
                "quotes inside the other quote",
                r#"<A v='say "hi"' w="it's"/>"#,
                "A",
                "w",
                Some("it's"),
            ),
            (
                "whitespace around =",
                "<File\n\tName \r\n=\t 'a.jpg' />",
                "File",
                "Name",
                Some("a.jpg"),
            ),
            (
                "unquoted",
                "<File Name=a.jpg/>",
                "File",
                "Name",
                Some("a.jpg"),
            ),
            (
                "valueless",
                "<PersistKey Use>",
                "PersistKey",
                "Use",
                Some(""),
            ),
            (
                "missing attribute",
                "<File Size='1'/>",
                "File",
                "Name",
                None,
            ),
            ("missing element", "<Files Name='x'/>", "File", "Name", None),
            (
                "prefix of element name",
                "<FileX Name='x'/><File Name='y'/>",
                "File",
                "Name",
                Some("y"),
            ),
            (
                "FileName vs File",
                "<FileName Name='x'/>\n<File Name='y'/>",
                "File",
                "Name",
                Some("y"),
            ),
            (
                "prefix of attribute name",
                "<File NameX='x' Name='y'/>",
                "File",
                "Name",
                Some("y"),
            ),
            (
                "case-sensitive",
                "<file Name='x'/><File name='y'/>",
                "File",
                "Name",
                None,
            ),
            ("first element only", "<A/><A v='2'/>", "A", "v", None),
            (
                "first attribute wins",
                "<A v='1' v='2'/>",
                "A",
                "v",
                Some("1"),
            ),
            (
                "entities",
                "<A v='&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#x1f4f7;'/>",
                "A",
                "v",
                Some("&<>\"'AB📷"),
            ),
            (
                "unknown entities stay",
                "<A v='&nbsp; &#0; &#xD800; &#; & &amp'/>",
                "A",
                "v",
                Some("&nbsp; &#0; &#xD800; &#; & &amp"),
            ),
            ("> inside a value", "<A v='a>b'/>", "A", "v", Some("a>b")),
            ("missing />", "<A v='1'\n<B w='2'/>", "B", "w", Some("2")),
            (
                "missing /> keeps the value",
                "<A v='1'\n<B w='2'/>",
                "A",
                "v",
                Some("1"),
            ),
            (
                "unclosed document",
                "<?xml version='1.0'?><Request SessionKey='k'",
                "Request",
                "SessionKey",
                Some("k"),
            ),
            (
                "unterminated value",
                "<A v='abc/>\n<B w='2'/>",
                "A",
                "v",
                Some("abc"),
            ),
            (
                "unterminated value, next element intact",
                "<A v='abc/>\n<B w='2'/>",
                "B",
                "w",
                Some("2"),
            ),
            (
                "unterminated value at the end",
                "<A v='abc",
                "A",
                "v",
                Some("abc"),
            ),
            (
                "garbage line before",
                "<R>\n4p4uaaq422af3\"/>\n<S Type=\"APIF\"/>",
                "S",
                "Type",
                Some("APIF"),
            ),
            ("stray quote in a tag", "<A \" v='1'/>", "A", "v", Some("1")),
            (
                "in a comment",
                "<!-- <File Name='no'/> --><File Name='yes'/>",
                "File",
                "Name",
                Some("yes"),
            ),
            (
                "in CDATA",
                "<![CDATA[<File Name='no'/>]]><File Name='yes'/>",
                "File",
                "Name",
                Some("yes"),
            ),
            (
                "in a PI",
                "<?pi <File Name='no'/> ?><File Name='yes'/>",
                "File",
                "Name",
                Some("yes"),
            ),
            (
                "in a DOCTYPE",
                "<!DOCTYPE x [<!ENTITY a '<File Name=\"no\"/>'>]><File Name='yes'/>",
                "File",
                "Name",
                Some("yes"),
            ),
            (
                "unclosed comment hides the rest",
                "<!-- <File Name='no'/>",
                "File",
                "Name",
                None,
            ),
            (
                "not a tag: address",
                "<joe@example.org Name='no'><File Name='yes'/>",
                "File",
                "Name",
                Some("yes"),
            ),
            (
                "LoginPeopleID form",
                LOGIN_RESPONSE,
                "LoginPeopleID",
                "",
                Some("Samsung NX Lover"),
            ),
            (
                "response session key",
                LOGIN_RESPONSE,
                "Response",
                "SessionKey",
                Some("0123456789abcdef0123456789abcdef"),
            ),
            (
                "empty value",
                LOGIN_RESPONSE,
                "PersistKey",
                "Value",
                Some(""),
            ),
            ("non-ASCII names", "<Ä ö='ü'/>", "Ä", "ö", Some("ü")),
            ("empty doc", "", "A", "v", None),
        ];
        for (name, doc, el, at, want) in table {
            assert_eq!(attr(doc, el, at).as_deref(), *want, "{name}");
        }
    }

    #[test]
    fn attr_borrows_unless_decoded() {
        assert!(matches!(
            attr(V8, "UserName", "Value"),
            Some(Cow::Borrowed(_))
        ));
        assert!(matches!(
            attr("<A v='&amp;'/>", "A", "v"),
            Some(Cow::Owned(_))
        ));
        assert!(matches!(text(V14, "Content"), Some(Cow::Borrowed(_))));
    }

    #[test]
    fn text_table() {
        let table: &[(&str, &str, &str, Option<&str>)] = &[
            ("plain", "<a>hi</a>", "a", Some("hi")),
            (
                "entities",
                "<a>&lt;b&gt; &amp; &#x41;&#66;</a>",
                "a",
                Some("<b> & AB"),
            ),
            (
                "CDATA unwrapped, not decoded",
                "<a><![CDATA[&amp; <b>]]></a>",
                "a",
                Some("&amp; <b>"),
            ),
            (
                "mixed CDATA and text",
                "<a>x<![CDATA[<y>]]>&amp;<![CDATA[z]]></a>",
                "a",
                Some("x<y>&z"),
            ),
            (
                "]] inside CDATA and text",
                "<a>p]]q<![CDATA[x]]y]]]></a>",
                "a",
                Some("p]]qx]]y]"),
            ),
            (
                "close tag inside CDATA",
                "<a><![CDATA[</a>]]></a>",
                "a",
                Some("</a>"),
            ),
            (
                "children's text, tags dropped",
                "<a>1<b>2</b><c/>3</a>",
                "a",
                Some("123"),
            ),
            ("nested same name", "<a>1<a>2</a>3</a>", "a", Some("123")),
            ("self-closing", "<a/><a>x</a>", "a", Some("")),
            ("empty", "<a></a>", "a", Some("")),
            ("comment dropped", "<a>x<!-- </a> -->y</a>", "a", Some("xy")),
            (
                "tag name in a comment",
                "<!-- <a>no</a> --><a>yes</a>",
                "a",
                Some("yes"),
            ),
            (
                "prefix collision",
                "<ab>no</ab><a>yes</a>",
                "a",
                Some("yes"),
            ),
            ("missing close", "<a>x", "a", None),
            ("missing close, other closes", "<a>x</b>", "a", None),
            ("close with whitespace", "<a>x</a \n>", "a", Some("x")),
            ("lone < is text", "<a>1 < 2 <3</a>", "a", Some("1 < 2 <3")),
            (
                "address is text",
                "<a>Joe <joe@example.org></a>",
                "a",
                Some("Joe <joe@example.org>"),
            ),
            (
                "stray quote line",
                "<a>\nx\"/>\n</a>",
                "a",
                Some("\nx\"/>\n"),
            ),
            ("CRLF kept", "<a>1\r\n2</a>", "a", Some("1\r\n2")),
            ("attributes with >", "<a t='>'>x</a>", "a", Some("x")),
            ("unclosed CDATA", "<a><![CDATA[x</a>", "a", None),
            ("not found", "<b>x</b>", "a", None),
        ];
        for (name, doc, el, want) in table {
            assert_eq!(text(doc, el).as_deref(), *want, "{name}");
        }
    }

    #[test]
    fn texts_table() {
        let table: &[(&str, &str, &[&str])] = &[
            (
                "in order",
                "<r>a</r> <x/> <r>b</r><r/><r>c</r>",
                &["a", "b", "", "c"],
            ),
            (
                "nested counted once",
                "<r>a<r>b</r></r><r>c</r>",
                &["ab", "c"],
            ),
            ("stops at an unclosed one", "<r>a</r><r>b<r>c</r>", &["a"]),
            ("none", "<x>a</x>", &[]),
        ];
        for (name, doc, want) in table {
            let got: Vec<_> = texts(doc, "r");
            assert_eq!(
                got,
                want.iter().map(|w| Cow::Borrowed(*w)).collect::<Vec<_>>(),
                "{name}"
            );
        }
        let many = "<r>x</r>".repeat(MAX_TEXTS + 5);
        assert_eq!(texts(&many, "r").len(), MAX_TEXTS);
        assert_eq!(texts_iter(&many, "r").count(), MAX_TEXTS + 5);
    }

    #[test]
    fn escape_table() {
        let table = [
            ("nothing to do", "SAM_1234.JPG", "SAM_1234.JPG"),
            (
                "all five",
                "a&b<c>d\"e'f",
                "a&amp;b&lt;c&gt;d&quot;e&apos;f",
            ),
            ("non-ASCII", "Zoë & 📷", "Zoë &amp; 📷"),
        ];
        for (name, raw, want) in table {
            assert_eq!(escape(raw), want, "{name}");
            let doc = format!(
                "<A v=\"{}\" w='{}'>{}</A>",
                escape(raw),
                escape(raw),
                escape(raw)
            );
            assert_eq!(attr(&doc, "A", "v").as_deref(), Some(raw), "{name}");
            assert_eq!(attr(&doc, "A", "w").as_deref(), Some(raw), "{name}");
            assert_eq!(text(&doc, "A").as_deref(), Some(raw), "{name}");
        }
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_nesting_is_linear() {
        let depth = 20_000;
        let doc = format!("{}x{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(text(&doc, "a").as_deref(), Some("x"));
        let open = "<a><a></a>".repeat(depth);
        assert_eq!(texts(&open, "a"), Vec::<Cow<'_, str>>::new());
    }

    // --- quick-xml as the strict oracle ----------------------------------

    mod oracle {
        use super::super::*;
        use alloc::{string::ToString, vec::Vec};
        use quick_xml::events::Event;

        fn valid_name(n: &str) -> bool {
            n.as_bytes().first().is_some_and(|&c| is_name_start(c)) && n.bytes().all(is_name_char)
        }

        /// Every event of `doc` if quick-xml reads it without error and it
        /// is within what XML allows but quick-xml does not check (names, `<`
        /// in attribute values); `None` otherwise. DTDs are out of scope.
        pub fn events(doc: &str) -> Option<Vec<Event<'_>>> {
            let mut reader = quick_xml::Reader::from_str(doc);
            let mut out = Vec::new();
            loop {
                let ev = reader.read_event().ok()?;
                match &ev {
                    Event::Eof => return Some(out),
                    Event::Start(e) | Event::Empty(e) => {
                        if !valid_name(e.name().as_ref()) {
                            return None;
                        }
                        for a in e.attributes().with_checks(true) {
                            let a = a.ok()?;
                            if !valid_name(a.key.as_ref()) || a.value.contains('<') {
                                return None;
                            }
                        }
                    }
                    Event::End(e) if !valid_name(e.name().as_ref()) => return None,
                    Event::PI(p) if !p.as_bytes().first().is_some_and(|&c| is_name_start(c)) => {
                        return None;
                    }
                    Event::DocType(_) => return None,
                    _ => {}
                }
                out.push(ev);
            }
        }

        /// Attribute of the first `element`: `Some(None)` if absent, `None`
        /// if quick-xml cannot decode it.
        pub fn attr(events: &[Event<'_>], element: &str, attr: &str) -> Option<Option<String>> {
            for ev in events {
                if let Event::Start(e) | Event::Empty(e) = ev {
                    if e.name().as_ref() != element {
                        continue;
                    }
                    for a in e.attributes() {
                        let a = a.ok()?;
                        if a.key.as_ref() == attr {
                            // Entity decoding only: our scanner keeps
                            // whitespace as sent (see the module docs).
                            return Some(Some(
                                quick_xml::escape::unescape(&a.value).ok()?.into_owned(),
                            ));
                        }
                    }
                    return Some(None);
                }
            }
            Some(None)
        }

        /// Text of every outermost `element`, stopping at an unclosed one;
        /// `None` if a reference cannot be resolved.
        pub fn texts(events: &[Event<'_>], element: &str) -> Option<Vec<String>> {
            let mut out = Vec::new();
            let mut cur: Option<(usize, String)> = None;
            for ev in events {
                match (&mut cur, ev) {
                    (None, Event::Start(e)) if e.name().as_ref() == element => {
                        cur = Some((1, String::new()))
                    }
                    (None, Event::Empty(e)) if e.name().as_ref() == element => {
                        out.push(String::new())
                    }
                    (Some((d, _)), Event::Start(e)) if e.name().as_ref() == element => *d += 1,
                    (Some((d, t)), Event::End(e)) if e.name().as_ref() == element => {
                        *d -= 1;
                        if *d == 0 {
                            out.push(core::mem::take(t));
                            cur = None;
                        }
                    }
                    (Some((_, t)), Event::Text(x)) => t.push_str(x),
                    (Some((_, t)), Event::CData(x)) => t.push_str(x),
                    (Some((_, t)), Event::GeneralRef(r)) => match r.resolve_char_ref().ok()? {
                        Some(c) => t.push(c),
                        None => t.push_str(quick_xml::escape::resolve_predefined_entity(r)?),
                    },
                    _ => {}
                }
            }
            Some(out)
        }

        pub const ELEMENTS: [&str; 8] = [
            "a", "b", "File", "FileName", "Content", "Request", "receiver", "body",
        ];
        pub const ATTRS: [&str; 5] = ["Name", "NameX", "Value", "SessionKey", "v"];

        /// The fuzz target's invariants; returns how many values were
        /// compared with quick-xml.
        pub fn check(doc: &str) -> usize {
            let parsed = events(doc);
            let mut compared = 0;
            for el in ELEMENTS {
                let all = texts_iter(doc, el).collect::<Vec<_>>();
                assert_eq!(
                    text(doc, el),
                    all.first().cloned(),
                    "text vs texts for {el}"
                );
                for t in &all {
                    assert!(t.len() <= doc.len());
                    if let Cow::Borrowed(b) = t {
                        assert!(
                            doc.as_bytes().as_ptr_range().contains(&b.as_ptr()) || b.is_empty()
                        );
                    }
                }
                if let Some(want) = parsed.as_ref().and_then(|evs| texts(evs, el)) {
                    let got: Vec<String> = all.iter().map(|t| t.to_string()).collect();
                    assert_eq!(got, want, "texts({el}) of {doc:?}");
                    compared += 1;
                }
                for at in ATTRS {
                    let got = super::super::attr(doc, el, at);
                    if let Some(v) = &got {
                        assert!(v.len() <= doc.len());
                    }
                    if let Some(want) = parsed.as_ref().and_then(|evs| attr(evs, el, at)) {
                        assert_eq!(got.map(String::from), want, "attr({el}, {at}) of {doc:?}");
                        compared += 1;
                    }
                }
            }
            let _ = parse_auth(doc);
            let _ = parse_announce(doc, MediaKind::Photo);
            let _ = parse_user_auth(doc);
            if let Ok(m) = parse_email(doc) {
                assert!(!m.sender.is_empty() && m.sender.trim() == m.sender);
                assert!(
                    !m.receivers.is_empty()
                        && m.receivers.iter().all(|r| !r.is_empty() && r.trim() == r)
                );
            }
            compared
        }
    }

    /// A generated well-formed document and the values it holds.
    #[derive(Debug, Clone)]
    enum Piece {
        Lit(String),
        /// A character written as a reference: decimal, hex or named.
        Ref(char, u8),
    }

    #[derive(Debug, Clone)]
    enum Node {
        Text(Vec<Piece>),
        CData(String),
        Comment(String),
        Pi,
        Elem(Elem),
    }

    #[derive(Debug, Clone)]
    struct Elem {
        name: &'static str,
        attrs: Vec<(&'static str, Vec<Piece>, char, &'static str)>,
        children: Vec<Node>,
    }

    fn pieces_value(p: &[Piece]) -> String {
        p.iter()
            .map(|p| match p {
                Piece::Lit(s) => s.clone(),
                Piece::Ref(c, _) => c.to_string(),
            })
            .collect()
    }

    fn pieces_xml(p: &[Piece], out: &mut String) {
        for p in p {
            match p {
                Piece::Lit(s) => out.push_str(&quick_xml::escape::escape(s.as_str())),
                Piece::Ref(c, 0) => out.push_str(&format!("&#{};", *c as u32)),
                Piece::Ref(c, 1) => out.push_str(&format!("&#x{:x};", *c as u32)),
                Piece::Ref(c, _) => out.push_str(&format!("&#x{:04X};", *c as u32)),
            }
        }
    }

    impl Elem {
        fn write(&self, out: &mut String) {
            out.push('<');
            out.push_str(self.name);
            for (name, value, quote, ws) in &self.attrs {
                out.push_str(&format!("{ws}{name}{ws}={ws}{quote}"));
                pieces_xml(value, out);
                out.push(*quote);
            }
            if self.children.is_empty() {
                out.push_str("/>");
                return;
            }
            out.push('>');
            for c in &self.children {
                match c {
                    Node::Text(p) => pieces_xml(p, out),
                    Node::CData(s) => out.push_str(&format!("<![CDATA[{s}]]>")),
                    Node::Comment(s) => out.push_str(&format!("<!--{s}-->")),
                    Node::Pi => out.push_str("<?pi <a>x</a> ?>"),
                    Node::Elem(e) => e.write(out),
                }
            }
            out.push_str(&format!("</{}>", self.name));
        }

        /// Every element in document order.
        fn preorder<'s>(&'s self, out: &mut Vec<&'s Elem>) {
            out.push(self);
            for c in &self.children {
                if let Node::Elem(e) = c {
                    e.preorder(out);
                }
            }
        }

        fn text(&self) -> String {
            let mut t = String::new();
            for c in &self.children {
                match c {
                    Node::Text(p) => t.push_str(&pieces_value(p)),
                    Node::CData(s) => t.push_str(s),
                    Node::Elem(e) => t.push_str(&e.text()),
                    Node::Comment(_) | Node::Pi => {}
                }
            }
            t
        }

        fn outermost(&self, name: &str, out: &mut Vec<String>) {
            if self.name == name {
                out.push(self.text());
                return;
            }
            for c in &self.children {
                if let Node::Elem(e) = c {
                    e.outermost(name, out);
                }
            }
        }
    }

    const CHARS: &[char] = &[
        'a', 'Z', '0', ' ', '\t', '\n', '\r', '&', '<', '>', '"', '\'', ';', '#', '=', '/', ']',
        '[', '-', '!', '?', 'é', '📷', '\u{feff}',
    ];

    fn lit() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(CHARS), 0..10).prop_map(String::from_iter)
    }

    fn pieces() -> impl Strategy<Value = Vec<Piece>> {
        let piece = prop_oneof![
            3 => lit().prop_map(Piece::Lit),
            1 => (prop::sample::select(CHARS), 0u8..3).prop_map(|(c, s)| Piece::Ref(c, s)),
            1 => (any::<char>().prop_filter("XML char", |c| *c != '\0'), 0u8..3).prop_map(|(c, s)| Piece::Ref(c, s)),
        ];
        prop::collection::vec(piece, 0..4)
    }

    fn cdata() -> impl Strategy<Value = String> {
        lit().prop_map(|mut s| {
            while s.contains("]]>") {
                s = s.replace("]]>", "]>");
            }
            s
        })
    }

    fn comment() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(
                &[
                    " ",
                    "x",
                    "<File Name='c'/>",
                    "<Content>c</Content>",
                    "<a>",
                    "&amp;",
                    "]]>",
                ][..],
            ),
            0..4,
        )
        .prop_map(|v| v.concat())
    }

    fn elem(children: impl Strategy<Value = Vec<Node>>) -> impl Strategy<Value = Elem> {
        (
            prop::sample::select(&oracle::ELEMENTS[..]),
            prop::sample::subsequence(&oracle::ATTRS[..], 0..=3),
            prop::collection::vec(
                (
                    pieces(),
                    prop::sample::select(&['"', '\''][..]),
                    prop::sample::select(&[" ", "\n\t", "  "][..]),
                ),
                3,
            ),
            children,
        )
            .prop_map(|(name, names, values, children)| Elem {
                name,
                attrs: names
                    .into_iter()
                    .zip(values)
                    .map(|(n, (v, q, ws))| (n, v, q, ws))
                    .collect(),
                children,
            })
    }

    fn document() -> impl Strategy<Value = Elem> {
        let leaf = prop_oneof![
            pieces().prop_map(Node::Text),
            cdata().prop_map(Node::CData),
            comment().prop_map(Node::Comment),
            Just(Node::Pi),
            elem(Just(Vec::new())).prop_map(Node::Elem),
        ];
        let node = leaf.prop_recursive(4, 40, 5, |inner| {
            elem(prop::collection::vec(inner, 0..5)).prop_map(Node::Elem)
        });
        elem(prop::collection::vec(node, 0..6))
    }

    fn serialize(root: &Elem, prolog: bool, comment: &str) -> String {
        let mut doc = String::new();
        if prolog {
            doc.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        }
        doc.push_str(&format!("<!--{comment}-->"));
        root.write(&mut doc);
        doc.push('\n');
        doc
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// On well-formed documents the scanner reads what the model holds
        /// and what quick-xml reads.
        #[test]
        fn agrees_with_quick_xml(root in document(), prolog in any::<bool>(), c in comment()) {
            let doc = serialize(&root, prolog, &c);
            let evs = oracle::events(&doc);
            prop_assert!(evs.is_some(), "quick-xml rejected {doc:?}");
            let mut all = Vec::new();
            root.preorder(&mut all);
            for el in oracle::ELEMENTS {
                let first = all.iter().find(|e| e.name == el);
                for at in oracle::ATTRS {
                    let want = first.and_then(|e| e.attrs.iter().find(|a| a.0 == at)).map(|a| pieces_value(&a.1));
                    prop_assert_eq!(attr(&doc, el, at).map(String::from), want.clone(), "attr {} {}", el, at);
                }
                prop_assert_eq!(text(&doc, el).map(String::from), first.map(|e| e.text()), "text {}", el);
                let mut want = Vec::new();
                root.outermost(el, &mut want);
                let got: Vec<String> = texts(&doc, el).into_iter().map(String::from).collect();
                prop_assert_eq!(&got, &want, "texts {}", el);
            }
            // The oracle itself agrees with the model, and the fuzz
            // invariants hold and actually compare.
            prop_assert!(oracle::check(&doc) > 0);
        }

        /// Damaged documents: whatever quick-xml still reads, we read the same.
        #[test]
        fn mutated_documents_keep_invariants(
            root in document(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, prop::sample::select(&["<", ">", "/", "\"", "'", "=", "&", ";", "<!--", "-->", "<![CDATA[", "]]>", "</a>", "<a ", "<File Name='m'>", "", "\n"][..])), 1..4),
        ) {
            let mut doc = serialize(&root, true, "");
            for (at, del, ins) in edits {
                let pos = at.index(doc.len() + 1);
                let pos = (0..=pos).rev().find(|&p| doc.is_char_boundary(p)).unwrap_or(0);
                let mut end = (pos + del).min(doc.len());
                while !doc.is_char_boundary(end) {
                    end += 1;
                }
                doc.replace_range(pos..end, ins);
            }
            oracle::check(&doc);
        }

        /// `escape()` output reads back as the original, in attributes and
        /// text, for quick-xml and for us.
        #[test]
        fn escape_round_trips(raw in any::<String>()) {
            let e = escape(&raw);
            for doc in [format!("<A v=\"{e}\" w='{e}'>{e}</A>"), format!("<A v='{e}'/>")] {
                let evs = oracle::events(&doc);
                prop_assert!(evs.is_some(), "quick-xml rejected {doc:?}");
                let evs = evs.unwrap_or_default();
                prop_assert_eq!(oracle::attr(&evs, "A", "v"), Some(Some(raw.clone())));
                prop_assert_eq!(attr(&doc, "A", "v").map(String::from), Some(raw.clone()));
            }
            let doc = format!("<A>{e}</A>");
            let evs = oracle::events(&doc).unwrap_or_default();
            prop_assert_eq!(oracle::texts(&evs, "A"), Some(vec![raw.clone()]));
            prop_assert_eq!(text(&doc, "A").map(String::from), Some(raw.clone()));
        }

        /// Arbitrary text never panics and keeps the invariants.
        #[test]
        fn arbitrary_text_keeps_invariants(doc in "(<|>|/|\"|'|=|&|;|#|x|a|File|Name|Content|!|--|\\[|\\]|CDATA|\\?| |\n|é){0,60}") {
            oracle::check(&doc);
        }
    }

    #[test]
    fn vectors_keep_invariants() {
        for doc in [V6_MESSAGE, V7, V8, V10, V11, V14, V17, V20, LOGIN_RESPONSE] {
            let n = oracle::check(doc);
            println!("{n} values compared with quick-xml");
        }
        // quick-xml rejects the V8 garbage line? No: it is text. It reads V8.
        assert!(oracle::events(V8).is_some());
    }
}
