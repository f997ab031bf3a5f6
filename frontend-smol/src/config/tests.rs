//! Tests of [`super`]: real files and paths. The model itself is tested in
//! samsung-core (`config/tests.rs`), with the same inputs.

use std::net::Ipv4Addr;

use samsung_core::route::Action;

use super::*;
use crate::testutil::Temp;

const REFERENCE: &str = include_str!("../../tests/config/reference-example.toml");
const FULL: &str = include_str!("../../tests/config/full.toml");

const GIB: u64 = 1024 * 1024 * 1024;

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

fn has_warning(c: &Config, needle: &str) -> bool {
    c.warnings.iter().any(|w| w.contains(needle))
}

fn action(s: &str) -> Action {
    Action::parse(s).unwrap()
}

#[test]
fn embedded_default_stores_everything_for_anybody() {
    let c = Config::embedded_default();
    assert_eq!(c.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(c.upload_folder, Path::new("./uploads"));
    assert_eq!(c.session_folder, Path::new("./state/sessions"));
    assert_eq!(c.outbox_folder, Path::new("./state/outbox"));
    assert!(c.senders.is_none() && c.mail.is_none() && c.dns.is_none());
    assert_eq!(c.routes.for_site("facebook"), &action("store"));
    assert_eq!(c.routes.for_recipient("a@b.c"), &action("store"));
    assert_eq!(c.limits.max_upload, 4 * GIB);
    assert_eq!(c.limits.max_connections, 256);
    assert_eq!(c.limits.body_timeout, Duration::from_secs(60));
    assert!(c.warnings.is_empty());
    let b = c.bridge_config();
    assert!(b.is_allowed("anybody"));
    assert_eq!(b.limits.max_upload, 4 * GIB);
    assert_eq!(b.limits.body_idle_timeout.as_millis(), 60_000);
    assert_eq!(b.limits.head_timeout.as_millis(), 10_000);
    assert!(!b.serve_downloads);
}

#[test]
fn reference_example_as_shipped_names_the_missing_token_file() {
    // `mastodon.secret` does not exist in the test's working directory.
    let e = parse(REFERENCE).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("MASTODON.TOKEN"), "{e}");
    assert!(e.reason.contains("mastodon.secret: does not exist"), "{e}");
    assert!(e.reason.contains("ACTIONS"), "{e}");
    assert!(e.to_string().starts_with("config.toml: MASTODON.TOKEN: "));
}

#[test]
fn reference_example_with_its_token_file() {
    let file = token_file("tok-from-file\nhttps://mastodon.example/\nclient-id\nclient-secret\n");
    let text = REFERENCE.replace("'mastodon.secret'", &format!("'{}'", file.display()));
    let c = ok(&text);
    assert_eq!(c.upload_folder, Path::new("/tmp/"));
    assert_eq!(
        c.senders.as_deref(),
        Some(&[String::from("Camera@samsungcamera.com")][..])
    );
    assert_eq!(c.secret.expose(), b"xiev5kaMeehaimub");
    let mail = c.mail.as_ref().unwrap();
    assert_eq!((mail.server.as_str(), mail.port), ("CHANGEME", 587));
    assert_eq!(mail.security, MailSecurity::StartTls);
    assert_eq!(mail.username.as_deref(), Some("username"));
    assert_eq!(mail.password.as_ref().unwrap().expose(), "password");

    let r = &c.routes;
    assert_eq!(r.for_site("facebook"), &action("mastodon"));
    assert_eq!(r.for_site("picasa"), &action("store"));
    assert_eq!(r.for_site("youtube"), &action("store"));
    assert_eq!(r.for_recipient("masto@mydomain.com"), &action("mastodon"));
    assert_eq!(
        r.for_recipient("masto-public@mydomain.com"),
        &action("mastodon.pub")
    );
    assert_eq!(
        r.for_recipient("store@mydomain.com"),
        &action("store.mailfolder")
    );
    assert_eq!(r.for_recipient("drop@mydomain.com"), &action("drop"));
    assert_eq!(r.for_recipient("friend@example.org"), &action("mail"));

    // [MASTODON.pub] inherits the token file and postscript, overrides only the visibility.
    let default = &c.mastodon[&None];
    let public = &c.mastodon[&Some(String::from("pub"))];
    assert_eq!(default.base_url, "https://mastodon.example");
    assert_eq!(default.token.expose(), "tok-from-file");
    assert_eq!(default.token_file.as_deref(), Some(&*file));
    assert_eq!(default.visibility, Some(Visibility::Unlisted));
    assert_eq!(public.visibility, Some(Visibility::Public));
    assert_eq!(public.token.expose(), "tok-from-file");
    assert_eq!(
        public.postscript.as_deref(),
        Some(" #photography #SamsungNX")
    );

    // [SHELL.log] inherits CMD and adds STDIN; [SHELL] keeps no STDIN.
    let log = &c.shell[&Some(String::from("log"))];
    assert_eq!(log.cmd, c.shell[&None].cmd);
    assert!(
        log.stdin
            .as_deref()
            .unwrap()
            .starts_with("From: {sender}\nTo:")
    );
    assert_eq!(c.shell[&None].stdin, None);

    assert!(has_warning(&c, "CHANGEME"));
    assert!(has_warning(&c, "SECRET is the example value"));
    assert!(has_warning(&c, "./log.sh does not exist"));
}

#[test]
fn token_file_errors() {
    let empty = token_file("\n\n");
    let mismatch = token_file("tok\nhttps://other.example\n");
    let bad_url = token_file("tok\nftp://x\n");
    let dir = scratch();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "empty",
            format!(
                "TOKEN = \"{}\"\nBASE_URL = \"https://m.example\"",
                empty.display()
            ),
            "is empty",
        ),
        (
            "missing",
            String::from(
                "TOKEN = \"/nonexistent/dir/mastodon.secret\"\nBASE_URL = \"https://m.example\"",
            ),
            "does not exist",
        ),
        (
            "relative missing",
            String::from("TOKEN = \"no-such.secret\"\nBASE_URL = \"https://m.example\""),
            "no-such.secret: does not exist",
        ),
        (
            "directory",
            format!(
                "TOKEN = \"{}\"\nBASE_URL = \"https://m.example\"",
                dir.display()
            ),
            "is a directory",
        ),
        (
            "bad url line",
            format!("TOKEN = \"{}\"", bad_url.display()),
            "second line",
        ),
    ];
    for (name, mastodon, reason) in cases {
        let text = format!(
            "SENDERS = [\"a@b.c\"]\n[MASTODON]\n{mastodon}\n[ACTIONS]\nfacebook = \"mastodon\"\n"
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("MASTODON.TOKEN"), "{name}: {e}");
        assert!(e.reason.contains(reason), "{name}: {e}");
    }
    let text = format!(
        "SENDERS = [\"a@b.c\"]\n[MASTODON]\nTOKEN = \"{}\"\nBASE_URL = \"https://m.example\"\n[ACTIONS]\nfacebook = \"mastodon\"\n",
        mismatch.display()
    );
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("MASTODON.BASE_URL"), "{e}");
    assert!(e.reason.contains("https://other.example"), "{e}");
}

#[test]
fn the_error_display_has_file_key_reason() {
    let e = parse("MAIL_SERVER = \"x\"\nMAIL_PORT = \"abc\"").unwrap_err();
    assert_eq!(
        e.to_string(),
        "config.toml: MAIL_PORT: expected an integer 1-65535, got \"abc\""
    );
    let e = Config::load(Path::new("/nonexistent/samsung.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/nonexistent/samsung.toml: cannot read the configuration: does not exist"
    );
}

#[test]
fn every_key_of_the_full_example() {
    let c = ok(FULL);
    assert_eq!(c.listen.to_string(), "0.0.0.0:80");
    assert_eq!(c.outbox_folder, Path::new("/var/lib/samsung-bridge/outbox"));
    let mail = c.mail.as_ref().unwrap();
    assert_eq!((mail.port, &mail.security), (465, &MailSecurity::Tls));
    assert_eq!(
        mail.from.as_deref(),
        Some("Samsung camera <camera@example.org>")
    );
    assert_eq!(c.passwords.len(), 1);
    assert_eq!(c.passwords[0].1.expose(), "camera password");
    assert_eq!(c.mastodon[&None].base_url, "https://mastodon.example");
    assert_eq!(
        c.mastodon[&Some("friends".into())].visibility,
        Some(Visibility::Private)
    );
    assert_eq!(c.routes.for_site("youtube"), &action("mastodon.friends"));
    assert_eq!(
        c.routes.for_recipient("Archive <archive@example.org>"),
        &action("store")
    );
    let dns = c.dns.as_ref().unwrap();
    assert_eq!(dns.address, Ipv4Addr::new(10, 0, 0, 1));
    assert!(dns.nxdomain);
    assert_eq!(dns.names.len(), samsung_core::dns::SAMSUNG_HOSTNAMES.len());
    assert_eq!(dns.responder().address(), [10, 0, 0, 1]);
    assert_eq!(c.limits.max_upload, 2 * GIB);
    assert_eq!(c.limits.max_connections, 64);
    assert_eq!(c.limits.header_timeout, Duration::from_secs(5));
    assert_eq!(c.limits.shutdown_grace, Duration::from_secs(3));
    let b = c.bridge_config();
    assert!(b.is_allowed("nx300@EXAMPLE.org") && !b.is_allowed("other@example.org"));
    assert_eq!(b.limits.session_idle.as_millis(), 7_200_000);
    assert_eq!(b.limits.max_upload, 2 * GIB);
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
}

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
    let file = token_file("SECRET-filetoken-3\nhttps://f.example\nid\nSECRET-client-7\n");
    let text = format!(
        r#"
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
TOKEN = "{}"
BASE_URL = ""
[SHELL]
CMD = ["curl", "-H", "Authorization: SECRET-cmdarg-6", "{{filename}}"]
[ACTIONS]
facebook = "mastodon"
youtube = "mastodon.file"
"x@y.z" = "shell"
"#,
        file.display()
    )
    .replace("BASE_URL = \"\"\n", "");
    let c = ok(&text);
    let shown = format!("{}\n{:?}\n{:?}", c.describe(), c, c.warnings);
    for s in SECRETS {
        assert!(!shown.contains(s), "{s} leaked:\n{shown}");
    }
    assert!(
        c.describe().contains("token: set (from "),
        "{}",
        c.describe()
    );
    assert!(c.describe().contains("token: set (in the config file)"));
    assert!(c.describe().contains("(password: set)"));

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
    let file = token_file("tok\nhttps://mastodon.example\n");
    let text = REFERENCE.replace("'mastodon.secret'", &format!("'{}'", file.display()));
    let d = ok(&text).describe();
    for needle in [
        "configuration: config.toml",
        "listen:         0.0.0.0:8080",
        "  Camera@samsungcamera.com",
        "facebook → mastodon → https://mastodon.example, token: set (from ",
        "visibility unlisted",
        "masto-public@mydomain.com → mastodon.pub → https://mastodon.example",
        "visibility public",
        "picasa → store → /tmp/<HMAC of user>/",
        "store@mydomain.com → store.mailfolder → /tmp/mailfolder/",
        "drop@mydomain.com → drop → discarded",
        "other social sites → store → /tmp/<HMAC of user>/",
        "other e-mail recipients → mail → SMTP CHANGEME:587 STARTTLS as username (password: set)",
        "DNS:            off",
        "max upload 4 GiB, 256 connections",
    ] {
        assert!(d.contains(needle), "{needle}:\n{d}");
    }
    let d = Config::embedded_default().describe();
    assert!(d.contains("configuration: embedded default"), "{d}");
    assert!(d.contains("any camera (no SENDERS whitelist)"), "{d}");
    assert!(
        d.contains("other e-mail recipients → store → ./uploads/<HMAC of user>/"),
        "{d}"
    );
}

#[test]
fn errors_name_the_file_and_the_key() {
    for (text, key) in [
        (
            "MAIL_SERVER = \"x\"\nMAIL_PORT = \"abc\"",
            Some("MAIL_PORT"),
        ),
        ("SECRET = \"s\"\nMAIL_PORT = abc\n", Some("MAIL_PORT")),
        (
            "SENDERS=[\"a@b\"]\n[ACTIONS]\n\"a@b.c\" = \"mail\"",
            Some("ACTIONS.\"a@b.c\""),
        ),
        ("[a\nb = 1", None),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.file.as_deref(), Some(Path::new("config.toml")), "{text}");
        assert_eq!(e.key.as_deref(), key, "{text}");
        assert!(e.to_string().starts_with("config.toml: "), "{e}");
    }
}

#[test]
fn changes_after_loading_show_in_describe_and_the_core_config() {
    let mut c = ok("SECRET = \"s\"\n[LIMITS]\nBODY_TIMEOUT = 30\n");
    c.listen = "127.0.0.1:9000".parse().unwrap();
    c.upload_folder = PathBuf::from("/srv/up");
    let d = c.describe();
    assert!(d.contains("listen:         127.0.0.1:9000"), "{d}");
    assert!(
        d.contains("other social sites → store → /srv/up/<HMAC of user>/"),
        "{d}"
    );
    assert!(d.contains("body idle timeout 30 s"), "{d}");
    assert_eq!(
        c.bridge_config().limits.body_idle_timeout.as_millis(),
        30_000
    );
}
