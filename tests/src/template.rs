//! Placeholders in fixture lines (`{{LEN}}`, `{{JPEG}}`, `{{JPEG:n}}`,
//! `{{NAME}}`), escapes, and the test JPEGs behind `{{JPEG}}`.

use std::fmt;

/// The small test JPEG behind `{{JPEG}}` (a valid 1×1 grey baseline JPEG
/// whose comment segment holds line breaks, dashes and a prefix of the
/// cameras' multipart delimiter).
pub const TINY_JPEG: &[u8] = include_bytes!("../fixtures/tiny.jpg");

/// What the filler of `{{JPEG:n}}` repeats inside comment segments.
const FILLER_HEAD: &[u8] = b"\r\n-----------------------------7d93b9550d\r\n";

/// Largest payload of one JPEG comment segment.
const MAX_COM_PAYLOAD: usize = 65533;

/// A `{{JPEG:n}}` test JPEG of exactly `n` bytes: SOI, comment segments of
/// filler, then [`TINY_JPEG`] without its SOI. `None` when `n` cannot be
/// reached (shorter than the tiny JPEG, or 1–3 bytes more).
pub fn jpeg_of_len(n: usize) -> Option<Vec<u8>> {
    let extra = n.checked_sub(TINY_JPEG.len())?;
    if (1..4).contains(&extra) {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    out.extend_from_slice(&TINY_JPEG[..2]);
    let mut filler = FILLER_HEAD.iter().copied().chain(0..=255u8).cycle();
    let mut left = extra;
    while left > 0 {
        // Each segment costs 4 bytes of marker and length; never leave 1–3
        // bytes that no segment can fill.
        let mut payload = (left - 4).min(MAX_COM_PAYLOAD);
        if (1..4).contains(&(left - 4 - payload)) {
            payload -= 4;
        }
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&u16::try_from(payload + 2).ok()?.to_be_bytes());
        out.extend(filler.by_ref().take(payload));
        left -= payload + 4;
    }
    out.extend_from_slice(&TINY_JPEG[2..]);
    (out.len() == n).then_some(out)
}

/// One piece of a line with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Bytes as written (after escapes, where escapes apply).
    Lit(Vec<u8>),
    /// `{{LEN}}`: the body length (head lines only).
    Len,
    /// `{{JPEG}}` / `{{JPEG:n}}`: the test JPEG, optionally of `n` bytes.
    Jpeg(Option<usize>),
    /// `{{NAME}}`: a value captured by an earlier `capture`.
    Var(String),
}

/// A line with placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template(pub Vec<Piece>);

impl Template {
    /// The variables this template uses.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(v.as_str()),
            _ => None,
        })
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            match p {
                Piece::Lit(b) => f.write_str(&String::from_utf8_lossy(b))?,
                Piece::Len => f.write_str("{{LEN}}")?,
                Piece::Jpeg(None) => f.write_str("{{JPEG}}")?,
                Piece::Jpeg(Some(n)) => write!(f, "{{{{JPEG:{n}}}}}")?,
                Piece::Var(v) => write!(f, "{{{{{v}}}}}")?,
            }
        }
        Ok(())
    }
}

pub(crate) fn is_var_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

pub(crate) fn builtin(s: &str) -> bool {
    s == "LEN" || s == "JPEG"
}

/// Splits `text` into literal pieces and `{{…}}` placeholders; with
/// `escapes`, `\r \n \t \\ \xHH` in literals become bytes.
pub fn parse_template(text: &str, escapes: bool) -> Result<Template, String> {
    let mut pieces = Vec::new();
    let mut lit = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{") {
            let Some(end) = after.find("}}") else {
                return Err("`{{` without `}}`".into());
            };
            let name = &after[..end];
            let piece = match name.split_once(':') {
                None if name == "LEN" => Piece::Len,
                None if name == "JPEG" => Piece::Jpeg(None),
                None if is_var_name(name) => Piece::Var(name.to_string()),
                Some(("JPEG", n)) => {
                    let n: usize = n.parse().map_err(|_| "{{JPEG:n}}: n is a number")?;
                    if jpeg_of_len(n).is_none() {
                        return Err(format!(
                            "{{{{JPEG:{n}}}}}: n must be ≥ {} and not 1–3 more",
                            TINY_JPEG.len()
                        ));
                    }
                    Piece::Jpeg(Some(n))
                }
                _ => return Err(format!("unknown placeholder `{{{{{name}}}}}`")),
            };
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            pieces.push(piece);
            rest = &after[end + 2..];
            continue;
        }
        let mut chars = rest.chars();
        let c = chars.next().unwrap_or_default();
        if escapes && c == '\\' {
            let esc = chars.next().ok_or("a line cannot end with `\\`")?;
            match esc {
                'r' => lit.push(b'\r'),
                'n' => lit.push(b'\n'),
                't' => lit.push(b'\t'),
                '\\' => lit.push(b'\\'),
                'x' => {
                    let hex: String = chars.by_ref().take(2).collect();
                    let b = u8::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|_| hex.len() == 2)
                        .ok_or("`\\x` needs two hex digits")?;
                    lit.push(b);
                }
                other => return Err(format!("unknown escape `\\{other}`")),
            }
        } else {
            let mut buf = [0u8; 4];
            lit.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        rest = chars.as_str();
    }
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    Ok(Template(pieces))
}
