//! Tests of [`super`]: what check-config prints, and what it never prints.

use alloc::string::ToString;
use alloc::vec::Vec;
use std::format;

use super::super::tests::{REFERENCE, ok_with, parse};
use super::super::*;

#[test]
fn secrets_stay_out_of_describe_debug_warnings_and_errors() {
    const SECRETS: [&str; 7] = [
        "SECRET-mailpw-1",
        "SECRET-token-2",
        "SECRET-filetoken-3",
        "SECRET-userpw-4",
        "SECRET-hmac-5",
        "SECRET-cmdarg-6",
        "SECRET-client-7",
    ];
    let text = r#"
SENDERS = ["a@b.c"]
SECRET = "SECRET-hmac-5"
MAIL_SERVER = "mail.example"
MAIL_USERNAME = "user"
MAIL_PASSWORD = "SECRET-mailpw-1"
[PASSWORDS]
"a@b.c" = "SECRET-userpw-4"
[MASTODON]
BASE_URL = "https://m.example"
TOKEN = "SECRET-token-2"
[MASTODON.file]
TOKEN = "file.secret"
[SHELL]
CMD = ["curl", "-H", "Authorization: SECRET-cmdarg-6", "{filename}"]
[ACTIONS]
facebook = "mastodon"
youtube = "mastodon.file"
"x@y.z" = "shell"
"#;
    let c = ok_with(
        text,
        &[(
            "file.secret",
            "SECRET-filetoken-3\nhttps://f.example\nid\nSECRET-client-7\n",
        )],
    );
    let shown = format!(
        "{}\n{:?}\n{:?}\n{:?}",
        c.describe(Some("config.toml")),
        c,
        c.warnings,
        value::Table::parse(text).unwrap()
    );
    for s in SECRETS {
        assert!(!shown.contains(s), "{s} leaked:\n{shown}");
    }
    let d = c.describe(None);
    assert!(d.contains("token: set (from file.secret)"), "{d}");
    assert!(d.contains("token: set (in the config file)"), "{d}");
    assert!(d.contains("(password: set)"), "{d}");

    // Type errors and syntax errors on secret keys do not echo the value.
    for bad in [
        "MAIL_PASSWORD = [\"SECRET-mailpw-1\"]",
        "[PASSWORDS]\nu = [\"SECRET-userpw-4\"]",
        "SECRET = [\"SECRET-hmac-5\"]",
        "[MASTODON]\nTOKEN = [\"SECRET-token-2\"]",
        "MAIL_PASSWORD = \"SECRET-mailpw-1",
        "[MASTODON]\nTOKEN = \"SECRET-token-2\" x",
    ] {
        let e = parse(bad).unwrap_err().to_string();
        assert!(!e.contains("SECRET-"), "{bad}: {e}");
    }
}

#[test]
fn describe_lists_routes_and_defaults() {
    let c = ok_with(
        REFERENCE,
        &[("mastodon.secret", "tok\nhttps://mastodon.example\n")],
    );
    let d = c.describe(Some("config.toml"));
    for needle in [
        "configuration: config.toml",
        "listen:         0.0.0.0:8080",
        "  Camera@samsungcamera.com",
        "facebook → mastodon → https://mastodon.example, token: set (from mastodon.secret), visibility unlisted, postscript \" #photography #SamsungNX\"",
        "masto-public@mydomain.com → mastodon.pub → https://mastodon.example",
        "visibility public",
        "picasa → store → /tmp/<HMAC of user>/",
        "store@mydomain.com → store.mailfolder → /tmp/mailfolder/",
        "drop@mydomain.com → drop → discarded",
        "other social sites → store → /tmp/<HMAC of user>/",
        "other e-mail recipients → mail → SMTP CHANGEME:587 STARTTLS as username (password: set)",
        "DNS:            off",
        "max upload 4 GiB, 256 connections, header timeout 10 s, body idle timeout 60 s, session idle 3600 s, shutdown grace 10 s",
    ] {
        assert!(d.contains(needle), "{needle}:\n{d}");
    }
    // [ACTIONS] in key order, as check-config has always listed them.
    let routes: Vec<&str> = d
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(" → "))
        .map(|l| l.trim().split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        routes,
        [
            "drop@mydomain.com",
            "facebook",
            "masto-public@mydomain.com",
            "masto@mydomain.com",
            "picasa",
            "store@mydomain.com",
            "other",
            "other",
        ]
    );
    let d = Config::embedded_default().describe(None);
    assert!(d.contains("configuration: embedded default"), "{d}");
    assert!(d.contains("any camera (no SENDERS whitelist)"), "{d}");
    assert!(
        d.contains("other e-mail recipients → store → ./uploads/<HMAC of user>/"),
        "{d}"
    );
}
