//! A tolerant JSON reader for Mastodon's answers.
//!
//! Values are located, not parsed into a tree: [`field`] and [`items`] give
//! the raw text of a value, [`text`] and [`number`] read a scalar from it.
//! Containers are skipped by counting brackets outside strings, so nesting
//! costs no stack, and every step is a bounds-checked scan of the input:
//! malformed or truncated JSON gives `None` (or ends an iteration), never a
//! panic. Only what a lookup passes through is checked.

use alloc::borrow::Cow;
use alloc::string::String;

/// Cursor over a JSON text.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, i: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.i += 1)
    }

    /// At an opening quote: the raw text between the quotes and whether it has escapes.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                }
                _ => self.i += 1,
            }
        }
        // Both ends are at ASCII bytes, hence char boundaries.
        let raw = self.s.get(start..self.i)?;
        self.i += 1;
        Some((raw, escaped))
    }

    /// Skips one value of any kind and returns its raw text.
    fn value(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
                ) {
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
            }
        }
        self.s.get(start..self.i)
    }
}

/// The raw value of member `key` of the object `json` (the first one if
/// the key repeats); None if `json` is not an object or has no such member.
pub(crate) fn field<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let mut p = Cursor::new(json);
    p.eat(b'{')?;
    p.ws();
    if p.peek()? == b'}' {
        return None;
    }
    loop {
        let (k, escaped) = p.string()?;
        p.eat(b':')?;
        let value = p.value()?;
        let matches = if escaped {
            unescape(k) == key
        } else {
            k == key
        };
        if matches {
            return Some(value);
        }
        p.ws();
        match p.peek()? {
            b',' => p.i += 1,
            _ => return None,
        }
    }
}

/// The raw value at `path` (member names from the outside in).
pub(crate) fn path<'a>(json: &'a str, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(json, |v, key| field(v, key))
}

/// The elements of the array `json`, as raw values. A truncated or
/// malformed element ends the iteration; an input that is not an array
/// has none.
pub(crate) fn items(json: &str) -> Items<'_> {
    let mut p = Cursor::new(json);
    let open = p.eat(b'[').is_some();
    Items { p, done: !open }
}

/// Iterator of [`items`].
pub(crate) struct Items<'a> {
    p: Cursor<'a>,
    done: bool,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.done {
            return None;
        }
        self.p.ws();
        if self.p.peek() == Some(b']') {
            self.done = true;
            return None;
        }
        let Some(item) = self.p.value() else {
            self.done = true;
            return None;
        };
        self.p.ws();
        match self.p.peek() {
            Some(b',') => self.p.i += 1,
            _ => self.done = true,
        }
        Some(item)
    }
}

/// A string value, unescaped, or a number as its literal text (servers
/// send ids both ways, and a 128-bit id must not pass through an integer).
/// None for `null`, booleans, objects and arrays.
pub(crate) fn text(raw: &str) -> Option<Cow<'_, str>> {
    let mut p = Cursor::new(raw);
    p.ws();
    match p.peek()? {
        b'"' => {
            let (s, escaped) = p.string()?;
            Some(if escaped {
                Cow::Owned(unescape(s))
            } else {
                Cow::Borrowed(s)
            })
        }
        b'-' | b'0'..=b'9' => p.value().map(Cow::Borrowed),
        _ => None,
    }
}

/// A non-negative integer value (a number or a numeric string).
pub(crate) fn number(raw: &str) -> Option<u64> {
    text(raw)?.parse().ok()
}

/// Member `key` of the object `json` as [`text`].
pub(crate) fn text_field<'a>(json: &'a str, key: &str) -> Option<Cow<'a, str>> {
    field(json, key).and_then(text)
}

fn hex4(s: &[u8]) -> Option<u32> {
    let s = s.get(..4)?;
    let t = core::str::from_utf8(s).ok()?;
    u32::from_str_radix(t, 16)
        .ok()
        .filter(|_| t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Decodes the escapes of a JSON string body; broken ones become U+FFFD.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find('\\') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let after = rest.get(pos + 1..).unwrap_or_default();
        let mut chars = after.chars();
        let consumed = match chars.next() {
            Some('u') => {
                let b = after.as_bytes();
                match hex4(b.get(1..).unwrap_or_default()) {
                    Some(hi @ 0xD800..=0xDBFF) => {
                        let lo = (b.get(5) == Some(&b'\\') && b.get(6) == Some(&b'u'))
                            .then(|| hex4(b.get(7..).unwrap_or_default()))
                            .flatten()
                            .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                        match lo {
                            Some(lo) => {
                                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                12
                            }
                            None => {
                                out.push('\u{FFFD}');
                                6
                            }
                        }
                    }
                    Some(c) => {
                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                        6
                    }
                    None => {
                        out.push('\u{FFFD}');
                        2
                    }
                }
            }
            Some(c) => {
                out.push(match c {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'b' => '\u{8}',
                    'f' => '\u{C}',
                    '"' | '\\' | '/' => c,
                    _ => '\u{FFFD}',
                });
                1 + c.len_utf8()
            }
            None => 1,
        };
        rest = rest.get(pos + consumed..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Top-level member `field` of the object `json` as a string: a string
/// value unescaped, a number as its literal text; None if absent or of
/// another type. Members of nested objects (`"account": {"id": …}`) are
/// never matched.
pub fn json_string_field<'a>(json: &'a str, field: &str) -> Option<Cow<'a, str>> {
    text_field(json, field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn paths_and_items() {
        let instance = r#"{"uri":"x","configuration":{"urls":{},"statuses":{"max_characters":500,
            "max_media_attachments":6},"media_attachments":{"description_limit":"1500"}}}"#;
        let limit = path(
            instance,
            &["configuration", "statuses", "max_media_attachments"],
        );
        assert_eq!(limit.and_then(number), Some(6));
        let desc = path(
            instance,
            &["configuration", "media_attachments", "description_limit"],
        );
        assert_eq!(desc.and_then(number), Some(1500));
        assert_eq!(path(instance, &["configuration", "nope"]), None);
        assert_eq!(path(instance, &[]), Some(instance));

        let list = r#" [ {"id":"1","media_attachments":[{"id":"a"},{"id":2}]}, {"id":340282366920938463463374607431768211455} , "x", null ]"#;
        let got: Vec<&str> = items(list).collect();
        assert_eq!(got.len(), 4);
        assert_eq!(text_field(got[0], "id").as_deref(), Some("1"));
        let media: Vec<_> = items(field(got[0], "media_attachments").unwrap())
            .filter_map(|m| text_field(m, "id"))
            .collect();
        assert_eq!(media, ["a", "2"]);
        assert_eq!(
            text_field(got[1], "id").as_deref(),
            Some("340282366920938463463374607431768211455")
        );
        assert_eq!(text(got[2]).as_deref(), Some("x"));
        assert_eq!(text(got[3]), None);
        assert_eq!(number("-1"), None);
        assert_eq!(number("1.5e3"), None);
    }

    #[test]
    fn truncated_and_hostile_input_end_quietly() {
        let got: Vec<&str> = items(r#"[{"id":"1"},{"id":"2"#).collect();
        assert_eq!(got, [r#"{"id":"1"}"#]);
        assert_eq!(items("[").count(), 0);
        assert_eq!(items("[]").count(), 0);
        assert_eq!(items(r#"{"a":1}"#).count(), 0);
        assert_eq!(items("[1 2]").collect::<Vec<_>>(), ["1"]);
        assert_eq!(items("[,]").count(), 0);
        // A closing bracket first cannot underflow the depth count.
        assert_eq!(field(r#"{"a":]}"#, "a"), None);
        assert_eq!(field(r#"{"a":"\"#, "a"), None);
        assert_eq!(path("", &["a"]), None);
    }
}
