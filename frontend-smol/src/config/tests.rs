//! Tests of [`super`]: what the daemon adds to the core's model — real files
//! (the configuration, token files, programs), the file's name in errors and
//! in `check-config`, the folders as paths, and changes made after loading.
//! The model itself is tested in samsung-core (`config/tests.rs`).

use std::io::{self, ErrorKind};
use std::time::Duration;

use samsung_core::config::ReadError;

use super::*;
use crate::testutil::Temp;

const REFERENCE: &str = include_str!("../../tests/config/reference-example.toml");

fn scratch() -> Temp {
    crate::testutil::scratch("config")
}

fn token_file(content: &str) -> Temp {
    crate::testutil::file("config", "mastodon.secret", content)
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_str(text, Some(Path::new("config.toml")))
}

fn ok(text: &str) -> Config {
    parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// A forwarding configuration whose `[MASTODON] TOKEN` is `token`.
fn with_token(token: &str) -> String {
    format!(
        "SENDERS = [\"a@b.c\"]\nSECRET = \"s\"\n[MASTODON]\nTOKEN = \"{token}\"\nBASE_URL = \"https://m.example\"\n[ACTIONS]\nfacebook = \"mastodon\"\n"
    )
}

#[test]
fn the_embedded_default_as_the_daemon_starts_it() {
    let c = Config::embedded_default();
    assert_eq!(c.source, None);
    assert_eq!(
        (c.upload_folder(), c.session_folder(), c.outbox_folder()),
        (
            Path::new("./uploads"),
            Path::new("./state/sessions"),
            Path::new("./state/outbox")
        )
    );
    assert_eq!(
        Duration::from(c.model.limits.shutdown_grace),
        Duration::from_secs(10)
    );
    let d = c.describe();
    assert!(d.starts_with("configuration: embedded default\n"), "{d}");
}

#[test]
fn a_loaded_file_is_the_source_and_gives_the_folders() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/full.toml");
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.source.as_deref(), Some(&*path));
    assert_eq!(c.upload_folder(), Path::new("/srv/samsung/uploads"));
    assert_eq!(
        c.session_folder(),
        Path::new("/var/lib/samsung-bridge/sessions")
    );
    assert_eq!(
        c.outbox_folder(),
        Path::new("/var/lib/samsung-bridge/outbox")
    );
    assert_eq!(
        Duration::from(c.model.limits.shutdown_grace),
        Duration::from_secs(3)
    );
    let d = c.describe();
    assert!(
        d.starts_with(&format!("configuration: {}\n", path.display())),
        "{d}"
    );
}

#[test]
fn the_reference_example_reads_its_token_file_and_program_from_disk() {
    // As shipped, it names `mastodon.secret`, which the test's working
    // directory does not have.
    let e = parse(REFERENCE).unwrap_err();
    assert_eq!(e.file.as_deref(), Some(Path::new("config.toml")));
    assert!(
        e.to_string()
            .starts_with("config.toml: MASTODON.TOKEN: token file mastodon.secret: does not exist"),
        "{e}"
    );

    let file = token_file("tok-from-file\nhttps://mastodon.example/\nclient-id\nclient-secret\n");
    let c = ok(&REFERENCE.replace("'mastodon.secret'", &format!("'{}'", file.display())));
    let default = &c.model.mastodon[&None];
    assert_eq!(default.token.expose(), "tok-from-file");
    assert_eq!(default.base_url, "https://mastodon.example");
    assert_eq!(default.token_file.as_deref().map(Path::new), Some(&*file));
    // [MASTODON.pub] inherits the token file.
    let public = &c.model.mastodon[&Some(String::from("pub"))];
    assert_eq!(public.token.expose(), "tok-from-file");
    assert_eq!(c.upload_folder(), Path::new("/tmp/"));
    // CMD ./log.sh is looked up in the working directory, which has none.
    assert!(
        c.model
            .warnings
            .iter()
            .any(|w| w.contains("./log.sh does not exist")),
        "{:#?}",
        c.model.warnings
    );
    let d = c.describe();
    assert!(
        d.contains(&format!("token: set (from {})", file.display())),
        "{d}"
    );
}

#[test]
fn token_files_that_cannot_be_read() {
    let dir = scratch();
    let not_text = dir.join("latin1.secret");
    std::fs::write(&not_text, b"tok\xe9\n").unwrap();
    let cases = [
        (
            String::from("/nonexistent/dir/mastodon.secret"),
            String::from("token file /nonexistent/dir/mastodon.secret: does not exist"),
        ),
        (
            String::from("no-such.secret"),
            String::from("token file no-such.secret: does not exist"),
        ),
        (
            dir.display().to_string(),
            format!("token file {}: is a directory", dir.display()),
        ),
        (
            not_text.display().to_string(),
            format!("token file {}: is not UTF-8 text", not_text.display()),
        ),
    ];
    for (token, reason) in cases {
        let e = parse(&with_token(&token)).unwrap_err();
        assert_eq!(e.error.key.as_deref(), Some("MASTODON.TOKEN"), "{e}");
        assert!(e.error.reason.starts_with(&reason), "{reason}: {e}");
    }
}

#[test]
fn io_errors_in_the_words_of_the_core() {
    for (kind, expected) in [
        (ErrorKind::NotFound, ReadError::NotFound),
        (ErrorKind::PermissionDenied, ReadError::PermissionDenied),
        (ErrorKind::IsADirectory, ReadError::IsADirectory),
        (ErrorKind::InvalidData, ReadError::NotText),
    ] {
        assert_eq!(read_error(&io::Error::from(kind)), expected, "{kind:?}");
    }
    assert_eq!(
        read_error(&io::Error::other("disk on fire")),
        ReadError::Other(String::from("disk on fire"))
    );
}

#[test]
fn errors_name_the_file_then_the_key() {
    let e = parse("MAIL_SERVER = \"x\"\nMAIL_PORT = \"abc\"").unwrap_err();
    assert_eq!(
        e.to_string(),
        "config.toml: MAIL_PORT: expected an integer 1-65535, got \"abc\""
    );
    // The whole text at fault: the file, no key.
    let e = parse("[a\nb = 1").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("config.toml: invalid TOML at line 1, column "),
        "{e}"
    );
    // Text from nowhere: the key alone.
    let e = Config::from_str("MAIL_PORT = 70000", None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "MAIL_PORT: expected an integer 1-65535, got 70000"
    );
    let e = Config::load(Path::new("/nonexistent/samsung.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/nonexistent/samsung.toml: cannot read the configuration: does not exist"
    );
    let dir = scratch();
    let e = Config::load(&dir).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read the configuration: is a directory",
            dir.display()
        )
    );
}

#[test]
fn a_token_file_on_disk_stays_out_of_describe_and_debug() {
    let file = token_file("SECRET-filetoken-3\nhttps://f.example\nid\nSECRET-client-7\n");
    let text =
        with_token(&file.display().to_string()).replace("BASE_URL = \"https://m.example\"\n", "");
    let c = ok(&text);
    let d = c.describe();
    assert!(
        d.contains(&format!("token: set (from {})", file.display())),
        "{d}"
    );
    let shown = format!("{d}\n{c:?}");
    for s in ["SECRET-filetoken-3", "SECRET-client-7"] {
        assert!(!shown.contains(s), "{s} leaked:\n{shown}");
    }
}

#[test]
fn changes_after_loading_show_in_describe_the_folders_and_the_core_config() {
    // What main.rs does with --listen, and what any later override must do.
    let mut c = ok("SECRET = \"s\"\n[LIMITS]\nBODY_TIMEOUT = 30\n");
    c.model.listen = "127.0.0.1:9000".parse().unwrap();
    c.model.upload_folder = String::from("/srv/up");
    let d = c.describe();
    assert!(d.contains("listen:         127.0.0.1:9000"), "{d}");
    assert!(
        d.contains("other social sites → store → /srv/up/<HMAC of user>/"),
        "{d}"
    );
    assert!(d.contains("body idle timeout 30 s"), "{d}");
    assert_eq!(c.upload_folder(), Path::new("/srv/up"));
    assert_eq!(
        c.bridge_config().limits.body_idle_timeout.as_millis(),
        30_000
    );
}
