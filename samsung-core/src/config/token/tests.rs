//! Tests of [`super`].

use alloc::string::ToString;

use super::normalize_base_url;

#[test]
fn base_urls() {
    for (url, want) in [
        ("https://mastodon.social/", Ok("https://mastodon.social")),
        ("HTTP://127.0.0.1:3000//", Ok("http://127.0.0.1:3000")),
        (
            "https://example.com/mastodon/",
            Ok("https://example.com/mastodon"),
        ),
        ("http://[::1]:3000", Ok("http://[::1]:3000")),
        ("https://m.example:0", Err("bad port")),
        ("https://m.example:x", Err("bad port")),
        ("http://[::1]x", Err("bad port")),
        ("https://[::1", Err("IPv6")),
        ("https://[::g]", Err("IPv6")),
        ("ftp://m.example", Err("http:// or https://")),
        ("m.example", Err("http:// or https://")),
        ("https://user:pw@m.example", Err("user name")),
        ("https://m.example/?a=b", Err("query")),
        ("https://m example", Err("spaces")),
        ("https:///path", Err("no host")),
    ] {
        match (normalize_base_url(url), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{url}"),
            (Err(got), Err(want)) => assert!(got.to_string().contains(want), "{url}: {got}"),
            (got, want) => panic!("{url}: {got:?} != {want:?}"),
        }
    }
}
