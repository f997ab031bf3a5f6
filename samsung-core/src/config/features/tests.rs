//! Tests of frontends' own sections and of what they refuse.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::super::tests::{has_warning, ok};
use super::super::*;

#[test]
fn a_frontend_claims_its_own_section_before_unknown_keys_are_warned() {
    let text = "SECRET = \"s\"\nOTHER = 1\n[WIFI]\nSSID = \"phone\"\nPASSWORD = \"wifi-pw\"\nCHANNEL = 6\n";
    let mut parsed = Config::parse(text, &mut NoFiles).unwrap();
    assert_eq!(parsed.unclaimed().collect::<Vec<_>>(), ["OTHER", "WIFI"]);
    let Some(value::Value::Table(wifi)) = parsed.claim("WIFI") else {
        panic!("no [WIFI]");
    };
    assert!(parsed.claim("WIFI").is_none());
    let mut config = parsed.finish();
    let mut sec = Section::new(String::from("WIFI"), &wifi);
    assert_eq!(sec.string("SSID").unwrap().as_deref(), Some("phone"));
    assert_eq!(sec.secret("PASSWORD").unwrap().as_deref(), Some("wifi-pw"));
    sec.finish(&mut config.warnings);
    assert_eq!(
        config.warnings,
        [
            "unknown key OTHER ignored",
            "MAIL_SERVER is not set: e-mails to recipients without an [ACTIONS] entry are stored, not mailed",
            "unknown key WIFI.CHANNEL ignored",
        ]
    );
    // A frontend that does not know [WIFI] warns about it like any other key.
    let c = ok(text);
    assert!(
        has_warning(&c, "unknown key WIFI ignored"),
        "{:?}",
        c.warnings
    );
    // Its errors have the same shape as the core's.
    let mut sec = Section::new(String::from("WIFI"), &wifi);
    let e = sec.integer("SSID", 1, 13).unwrap_err();
    assert_eq!(
        e.to_string(),
        "WIFI.SSID: expected an integer 1-13, got \"phone\""
    );
}

#[test]
fn a_frontend_refuses_what_it_cannot_do_by_key() {
    let text = r#"
SENDERS = ["a@b.c"]
SECRET = "s"
MAIL_SERVER = "smtp.example"
[SHELL]
CMD = ["true"]
[SHELL.log]
STDIN = "x"
[ACTIONS]
facebook = "shell.log"
"a@b.c" = "store"
"#;
    let c = ok(text);
    let uses = c.features();
    let keys = |f: Feature| {
        uses.iter()
            .find(|u| u.feature == f)
            .map(|u| u.keys.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(Feature::Shell),
        ["[SHELL]", "[SHELL.log]", "ACTIONS.facebook"]
    );
    assert_eq!(keys(Feature::Mail), ["MAIL_SERVER"]);
    assert!(keys(Feature::Mastodon).is_empty() && keys(Feature::Dns).is_empty());

    let e = c
        .refuse(&[Feature::Shell, Feature::Dns], "the WASI component")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "SHELL: the WASI component cannot run shell commands; remove or change [SHELL], [SHELL.log], ACTIONS.facebook"
    );
    assert!(
        c.refuse(&[Feature::Mastodon, Feature::Dns], "the WASI component")
            .is_ok()
    );
    assert!(Config::embedded_default().features().is_empty());
}
