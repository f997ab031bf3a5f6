//! Tests of [`super`].

use super::*;

const REFERENCE: &str = include_str!("../../tests/config/reference-example.toml");
const REFERENCE_2024: &str = include_str!("../../tests/config/reference-2024.toml");
const FULL: &str = include_str!("../../tests/config/full.toml");

use crate::testutil::Temp;

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

/// The smallest config that forwards: a whitelist and a Mastodon token.
const MASTODON_MIN: &str = r#"
SENDERS = ["cam@example.org"]
SECRET = "s"
[MASTODON]
BASE_URL = "https://m.example"
TOKEN = "tok"
"#;

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
fn empty_file_is_the_embedded_default_with_a_mail_note() {
    let c = ok("");
    assert_eq!(c.routes.for_recipient("a@b.c"), &action("store"));
    assert_eq!(c.source.as_deref(), Some(Path::new("config.toml")));
    assert!(has_warning(&c, "MAIL_SERVER is not set"));
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
fn instances_inherit_without_leaking() {
    let c = ok(&format!(
        r##"{MASTODON_MIN}
VISIBILITY = "unlisted"
POSTSCRIPT = "#default"
[MASTODON.a]
VISIBILITY = "public"
[MASTODON.b]
POSTSCRIPT = "#b"
BASE_URL = "http://127.0.0.1:3000/"
[MASTODON.c]
VISIBILITY = ""
[ACTIONS]
facebook = "mastodon.a"
youtube = "mastodon.b"
picasa = "mastodon"
"##
    ));
    let get = |n: Option<&str>| &c.mastodon[&n.map(String::from)];
    assert_eq!(get(None).visibility, Some(Visibility::Unlisted));
    assert_eq!(get(None).postscript.as_deref(), Some("#default"));
    assert_eq!(get(None).base_url, "https://m.example");
    assert_eq!(get(Some("a")).visibility, Some(Visibility::Public));
    assert_eq!(get(Some("a")).postscript.as_deref(), Some("#default"));
    // b is read after a: a's visibility must not have leaked into the defaults.
    assert_eq!(get(Some("b")).visibility, Some(Visibility::Unlisted));
    assert_eq!(get(Some("b")).postscript.as_deref(), Some("#b"));
    assert_eq!(get(Some("b")).base_url, "http://127.0.0.1:3000");
    assert_eq!(get(Some("c")).visibility, None);
    assert!(has_warning(&c, "unencrypted over http://"));
}

#[test]
fn old_mastodon_keys_are_the_defaults() {
    let c = ok(REFERENCE_2024);
    let m = &c.mastodon[&None];
    assert_eq!(m.base_url, "https://mastodon.social");
    assert_eq!(m.token.expose(), "YOUR_ACCESS_TOKEN");
    assert_eq!(m.token_file, None);
    assert_eq!(m.visibility, Some(Visibility::Unlisted));
    assert_eq!(
        c.routes.for_recipient("example@mastodon.social"),
        &action("mastodon")
    );
    let deprecated = c
        .warnings
        .iter()
        .filter(|w| w.contains("deprecated"))
        .count();
    assert_eq!(deprecated, 4, "{:?}", c.warnings);

    // [MASTODON] wins over the old key, with a warning; the rest still fills in.
    let c = ok(r#"
SENDERS = ["a@b.c"]
SECRET = "s"
MASTODON_TOKEN = "old"
MASTODON_VISIBILITY = "direct"
[MASTODON]
BASE_URL = "https://m.example"
TOKEN = "new"
[ACTIONS]
facebook = "mastodon"
"#);
    assert_eq!(c.mastodon[&None].token.expose(), "new");
    assert_eq!(c.mastodon[&None].visibility, Some(Visibility::Direct));
    assert!(has_warning(
        &c,
        "MASTODON_TOKEN ignored: [MASTODON] sets TOKEN"
    ));
}

#[test]
fn token_files_of_every_mastodon_py_generation() {
    // 1 line (Mastodon.py < 1.5): the URL must come from BASE_URL.
    let one = token_file("tok1\n");
    // 2 lines (1.5–1.7), without final newline, with CRLF.
    let two = token_file("tok2\r\nhttps://two.example");
    // 4 lines (1.8+ and `samsung-bridge mastodon-login`); a bare host gets https://.
    let four = token_file("tok4\nfour.example\nid\nsecret\n");
    let text = format!(
        r#"SENDERS = ["a@b.c"]
SECRET = "s"
[MASTODON.one]
TOKEN = "{}"
BASE_URL = "https://one.example"
[MASTODON.two]
TOKEN = "{}"
[MASTODON.four]
TOKEN = "{}"
BASE_URL = "https://FOUR.example/"
[ACTIONS]
facebook = "mastodon.one"
youtube = "mastodon.two"
picasa = "mastodon.four"
"#,
        one.display(),
        two.display(),
        four.display()
    );
    let c = ok(&text);
    let get = |n: &str| &c.mastodon[&Some(String::from(n))];
    assert_eq!(
        (
            get("one").token.expose().as_str(),
            get("one").base_url.as_str()
        ),
        ("tok1", "https://one.example")
    );
    assert_eq!(
        (
            get("two").token.expose().as_str(),
            get("two").base_url.as_str()
        ),
        ("tok2", "https://two.example")
    );
    assert_eq!(get("four").token.expose(), "tok4");
    assert_eq!(get("four").base_url, "https://FOUR.example");

    // What mastodon-login writes reads back.
    let written = TokenFile {
        token: Secret::new(String::from("T")),
        base_url: Some(String::from("http://127.0.0.1:3000")),
        client_id: Some(String::from("C")),
        client_secret: Some(Secret::new(String::from("S"))),
    };
    assert_eq!(written.render(), "T\nhttp://127.0.0.1:3000\nC\nS\n");
    let back = TokenFile::parse(&written.render()).unwrap();
    assert_eq!(back.token.expose(), "T");
    assert_eq!(back.base_url.as_deref(), Some("http://127.0.0.1:3000"));
    assert_eq!(back.client_id.as_deref(), Some("C"));
    assert_eq!(back.client_secret.unwrap().expose(), "S");
    let short = TokenFile {
        token: Secret::new(String::from("T")),
        base_url: None,
        client_id: None,
        client_secret: None,
    };
    assert_eq!(short.render(), "T\n");
}

#[test]
fn a_token_file_names_its_server_over_an_inherited_base_url() {
    let other = token_file("tok\nhttps://other.example\n");
    let c = ok(&format!(
        "{MASTODON_MIN}[MASTODON.other]\nTOKEN = \"{}\"\n[ACTIONS]\nfacebook = \"mastodon.other\"\n",
        other.display()
    ));
    assert_eq!(
        c.mastodon[&Some(String::from("other"))].base_url,
        "https://other.example"
    );
    assert_eq!(c.mastodon[&None].base_url, "https://m.example");
    // Set in the same section, a different URL is a mistake.
    let e = parse(&format!(
        "{MASTODON_MIN}[MASTODON.other]\nTOKEN = \"{}\"\nBASE_URL = \"https://m.example\"\n[ACTIONS]\nfacebook = \"mastodon.other\"\n",
        other.display()
    ))
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("MASTODON.other.BASE_URL"), "{e}");
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
fn fatal_errors_name_their_key() {
    let m = MASTODON_MIN;
    let cases: &[(&str, String, &str, &str)] = &[
        ("mail port text", "MAIL_SERVER = \"x\"\nMAIL_PORT = \"abc\"".into(), "MAIL_PORT", "expected an integer 1-65535, got \"abc\""),
        ("mail port range", "MAIL_PORT = 70000".into(), "MAIL_PORT", "expected an integer 1-65535, got 70000"),
        ("listen", "LISTEN = \"localhost\"".into(), "LISTEN", "address:port"),
        ("upload folder type", "UPLOAD_FOLDER = 3".into(), "UPLOAD_FOLDER", "expected a string, got 3"),
        ("upload folder empty", "UPLOAD_FOLDER = \"\"".into(), "UPLOAD_FOLDER", "must not be empty"),
        ("insecure type", "INSECURE_DOWNLOAD = \"yes\"".into(), "INSECURE_DOWNLOAD", "true or false"),
        ("senders string", "SENDERS = \"a@b.c\"".into(), "SENDERS", "a list of strings"),
        ("senders item", "SENDERS = [\"a@b.c\", 5]".into(), "SENDERS[1]", "expected a string"),
        ("ssl and tls", "SENDERS=[\"a@b\"]\nMAIL_SERVER = \"x\"\nMAIL_USE_TLS = true\nMAIL_USE_SSL = true".into(), "MAIL_USE_SSL", "exclude each other"),
        ("bad action", "[ACTIONS]\nfacebook = \"post\"".into(), "ACTIONS.facebook", "unknown action"),
        ("two dots", "[ACTIONS]\n\"a@b.c\" = \"store.a.b\"".into(), "ACTIONS.\"a@b.c\"", "more than one"),
        ("action type", "[ACTIONS]\nfacebook = 1".into(), "ACTIONS.facebook", "expected a string"),
        ("mastodon without section", "SENDERS=[\"a@b\"]\n[ACTIONS]\nfacebook = \"mastodon\"".into(), "MASTODON.TOKEN", "missing"),
        ("mastodon without base url", "SENDERS=[\"a@b\"]\n[MASTODON]\nTOKEN = \"t\"\n[ACTIONS]\nfacebook = \"mastodon\"".into(), "MASTODON.BASE_URL", "missing"),
        ("mastodon unknown instance", format!("{m}[ACTIONS]\nfacebook = \"mastodon.nope\""), "ACTIONS.facebook", "no [MASTODON.nope]"),
        ("instance incomplete", "SENDERS=[\"a@b\"]\n[MASTODON.x]\nTOKEN = \"t\"\n[ACTIONS]\nfacebook = \"mastodon.x\"".into(), "MASTODON.x.BASE_URL", "needed by ACTIONS.facebook"),
        ("base url scheme", "[MASTODON]\nBASE_URL = \"mastodon.social\"".into(), "MASTODON.BASE_URL", "http:// or https://"),
        ("base url no host", "[MASTODON]\nBASE_URL = \"https://\"".into(), "MASTODON.BASE_URL", "no host"),
        ("visibility", "[MASTODON]\nVISIBILITY = \"friends\"".into(), "MASTODON.VISIBILITY", "public, unlisted"),
        ("shell without cmd", "SENDERS=[\"a@b\"]\n[ACTIONS]\nfacebook = \"shell\"".into(), "SHELL.CMD", "missing"),
        ("shell cmd type", "[SHELL]\nCMD = \"echo hi\"".into(), "SHELL.CMD", "a list of strings"),
        ("shell unknown instance", "SENDERS=[\"a@b\"]\n[SHELL]\nCMD=[\"true\"]\n[ACTIONS]\nfacebook = \"shell.x\"".into(), "ACTIONS.facebook", "no [SHELL.x]"),
        ("mail without server", "SENDERS=[\"a@b\"]\n[ACTIONS]\n\"a@b.c\" = \"mail\"".into(), "ACTIONS.\"a@b.c\"", "mail needs MAIL_SERVER"),
        ("forwarding without senders", "SECRET=\"s\"\n[MASTODON]\nBASE_URL=\"https://m.example\"\nTOKEN=\"t\"\n[ACTIONS]\nfacebook = \"mastodon\"".into(), "SENDERS", "forwarding needs a SENDERS whitelist"),
        ("forwarding with empty senders", "SENDERS = []\n[SHELL]\nCMD=[\"true\"]\n[ACTIONS]\nx@y.z = \"shell\"".replace("x@y.z", "\"x@y.z\""), "SENDERS", "forwarding needs a SENDERS whitelist"),
        ("mail default without senders", "MAIL_SERVER = \"smtp.example\"".into(), "SENDERS", "because MAIL_SERVER is set"),
        ("insecure download without secret", "INSECURE_DOWNLOAD = true".into(), "SECRET", "compute its folder name"),
        ("dns without address", "[DNS]\nLISTEN = \"0.0.0.0:53\"".into(), "DNS.ADDRESS", "missing"),
        ("dns address", "[DNS]\nADDRESS = \"10.0.0\"".into(), "DNS.ADDRESS", "IPv4"),
        ("dns names", "[DNS]\nADDRESS = \"10.0.0.1\"\nNAMES = [\"a..b\"]".into(), "DNS.NAMES", "bad DNS label"),
        ("dns unlisted", "[DNS]\nADDRESS = \"10.0.0.1\"\nUNLISTED = \"drop\"".into(), "DNS.UNLISTED", "nxdomain"),
        ("max upload unit", "[LIMITS]\nMAX_UPLOAD = \"2 GB x\"".into(), "LIMITS.MAX_UPLOAD", "a size"),
        ("max upload zero", "[LIMITS]\nMAX_UPLOAD = 0".into(), "LIMITS.MAX_UPLOAD", "a size"),
        ("timeout", "[LIMITS]\nHEADER_TIMEOUT = 0".into(), "LIMITS.HEADER_TIMEOUT", "an integer >= 1"),
        ("timeout float", "[LIMITS]\nBODY_TIMEOUT = 1.5".into(), "LIMITS.BODY_TIMEOUT", "got a float"),
        ("connections", "[LIMITS]\nMAX_CONNECTIONS = -1".into(), "LIMITS.MAX_CONNECTIONS", "1-1000000"),
        ("limits type", "LIMITS = 5".into(), "LIMITS", "a table"),
        ("syntax", "SECRET = \"s\"\nMAIL_PORT = abc\n".into(), "MAIL_PORT", "invalid TOML at line 2"),
        ("syntax in section", "[ACTIONS]\n\"a@b.c\" = store\n".into(), "ACTIONS.\"a@b.c\"", "invalid TOML at line 2"),
        ("duplicate key", "[MASTODON]\nTOKEN = \"a\"\nTOKEN = \"b\"\n".into(), "MASTODON.TOKEN", "line 3"),
    ];
    for (name, text, key, reason) in cases {
        let e = match parse(text) {
            Ok(_) => panic!("{name}: accepted"),
            Err(e) => e,
        };
        assert_eq!(e.key.as_deref(), Some(*key), "{name}: {e}");
        assert!(e.reason.contains(reason), "{name}: {e}");
        assert_eq!(e.file.as_deref(), Some(Path::new("config.toml")), "{name}");
    }
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
fn unknown_keys_are_warnings() {
    let c = ok(r#"
DEBUG = true
SECRET_KEY = "flask"
MAIL_DEBUG = 1
MAX_CONTENT_LENGTH = 100
upload_folder = "/x"
WHATEVER = 1
MAIL_SERVER = "localhost"
MAIL_DEFAULT_SENDER = "cam@example.org"
SENDERS = ["a@b.c"]
[MASTODON]
FOO = 1
[MASTODON.x]
BAR = 2
[LIMITS]
MAX_UPLOADS = 5
[ACTIONS]
myspace = "store"
flickr = "store"
"#);
    for needle in [
        "unknown key DEBUG ignored (a Flask setting",
        "unknown key SECRET_KEY ignored (a Flask setting",
        "unknown key MAIL_DEBUG ignored (a Flask setting",
        "[LIMITS] MAX_UPLOAD",
        "unknown key upload_folder ignored (did you mean UPLOAD_FOLDER?",
        "unknown key WHATEVER ignored",
        "unknown key MASTODON.FOO ignored",
        "unknown key MASTODON.x.BAR ignored",
        "unknown key LIMITS.MAX_UPLOADS ignored",
        "ACTIONS.myspace: myspace is neither a site",
        "ACTIONS.flickr: cameras log in to flickr through OAuth",
    ] {
        assert!(has_warning(&c, needle), "{needle}: {:#?}", c.warnings);
    }
    assert!(!has_warning(&c, "MAIL_DEFAULT_SENDER"), "{:#?}", c.warnings);
    assert_eq!(c.mail.unwrap().from.as_deref(), Some("cam@example.org"));
    assert_eq!(c.upload_folder, Path::new("./uploads"));
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
    assert_eq!(dns.names.len(), dns::SAMSUNG_HOSTNAMES.len());
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
fn sizes() {
    for (text, want) in [
        ("4096", Some(4096)),
        ("500MB", Some(500_000_000)),
        ("2 GiB", Some(2 * GIB)),
        ("2gib", Some(2 * GIB)),
        ("10 KiB", Some(10 * KIB)),
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
        ("https://[::1", Err("IPv6")),
        ("ftp://m.example", Err("http:// or https://")),
        ("m.example", Err("http:// or https://")),
        ("https://user:pw@m.example", Err("user name")),
        ("https://m.example/?a=b", Err("query")),
        ("https://m example", Err("spaces")),
        ("https:///path", Err("no host")),
    ] {
        match (normalize_base_url(url), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{url}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "{url}: {got}"),
            (got, want) => panic!("{url}: {got:?} != {want:?}"),
        }
    }
}

#[test]
fn dns_defaults_and_address_warnings() {
    let c = ok("[DNS]\nADDRESS = \"192.168.1.2\"\nNAMES = [\"WWW.MSN.COM.\", \"www.msn.com\"]");
    let dns = c.dns.as_ref().unwrap();
    assert_eq!(dns.listen.to_string(), "0.0.0.0:53");
    assert_eq!(dns.names, ["www.msn.com"]);
    assert!(!dns.nxdomain);
    assert!(has_warning(&c, "cameras reject this address"));
}

#[test]
fn whitelist_and_password_findings() {
    let c = ok(r#"
SECRET = "s"
SENDERS = ["a@b.c", " A@B.C ", ""]
[PASSWORDS]
"a@b.c" = "x"
"z@b.c" = "y"
"#);
    assert_eq!(c.senders.as_deref(), Some(&[String::from("a@b.c")][..]));
    assert!(has_warning(&c, "SENDERS: empty entry ignored"));
    assert!(has_warning(
        &c,
        "PASSWORDS.\"z@b.c\": z@b.c is not in SENDERS"
    ));
    assert!(!has_warning(&c, "a@b.c is not in SENDERS"));
    let c = ok("SECRET = \"s\"\n[PASSWORDS]\nu = \"p\"");
    assert!(has_warning(&c, "PASSWORDS without SENDERS"));
    let c = ok("SENDERS = []");
    assert!(has_warning(&c, "SENDERS is empty"));
    assert!(has_warning(&c, "SECRET is not set"));
    let c = ok(
        "SECRET = \"s\"\nINSECURE_DOWNLOAD = true\nUPLOAD_FOLDER = \"/tmp/\"\nSESSION_FOLDER = \"/tmp/sessions\"",
    );
    assert!(has_warning(
        &c,
        "SESSION_FOLDER /tmp/sessions is inside UPLOAD_FOLDER"
    ));
    assert!(c.bridge_config().serve_downloads);
}

#[test]
fn unused_broken_sections_warn() {
    let c = ok(r#"
[MASTODON]
TOKEN = "missing-file.secret"
BASE_URL = "https://m.example"
[MASTODON."bad name"]
TOKEN = "t"
[SHELL.x]
STDIN = "no command"
"#);
    assert!(c.mastodon.is_empty());
    assert!(has_warning(
        &c,
        "[MASTODON] is not usable, but no action uses it: MASTODON.TOKEN"
    ));
    assert!(has_warning(&c, "[MASTODON.\"bad name\"] can never be used"));
    assert!(has_warning(&c, "[SHELL.x] is not usable"));
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
