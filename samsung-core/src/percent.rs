//! Percent-encoding (RFC 3986 §2.1) of everything but the unreserved
//! characters: path segments of Mastodon requests and download links, and
//! the daemon's OAuth query values. One encoder, so that a name that is safe
//! in one place is encoded the same way in the others.

use alloc::string::String;
use core::fmt::Write as _;

/// Whether `b` is an RFC 3986 unreserved character (never encoded).
pub const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `s` to `out`, every byte but the unreserved ones as `%XX`.
pub fn push_encoded(out: &mut String, s: &str) {
    for b in s.bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            // Writing into a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// `s` with every byte but the unreserved ones as `%XX`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_encoded(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_unreserved() {
        for (input, expected) in [
            ("", ""),
            ("AZaz09-._~", "AZaz09-._~"),
            ("a/b c", "a%2Fb%20c"),
            ("109+1?x=&#%", "109%2B1%3Fx%3D%26%23%25"),
            ("Ünïcode ✓", "%C3%9Cn%C3%AFcode%20%E2%9C%93"),
            (
                "urn:ietf:wg:oauth:2.0:oob",
                "urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob",
            ),
        ] {
            assert_eq!(encode(input), expected, "{input:?}");
        }
    }

    #[test]
    fn decoding_gives_back_the_input() {
        for s in ["a/b c", "Ünïcode ✓ %41", "~-._", "\u{0}\u{7f}"] {
            assert_eq!(crate::crypto::url_decode(&encode(s)).unwrap(), s.as_bytes());
        }
    }
}
