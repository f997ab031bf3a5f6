//! Tests of [`super`].

use super::super::tests::{GIB, ok};
use super::{format_size, parse_size};

#[test]
fn sizes() {
    for (text, want) in [
        ("4096", Some(4096)),
        ("500MB", Some(500_000_000)),
        ("2 GiB", Some(2 * GIB)),
        ("2gib", Some(2 * GIB)),
        ("10 KiB", Some(10 * 1024)),
        ("1.5 GiB", None),
        ("GiB", None),
        ("2 GiBs", None),
        ("99999999999 TiB", None),
    ] {
        assert_eq!(parse_size(text), want, "{text}");
    }
    assert_eq!(format_size(4 * GIB), "4 GiB");
    assert_eq!(format_size(500_000_000), "500 MB");
    assert_eq!(format_size(1234), "1234 bytes");
    let c = ok("[LIMITS]\nMAX_UPLOAD = 123456789");
    assert_eq!(c.limits.max_upload, 123_456_789);
}
