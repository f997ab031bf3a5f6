//! Tests of the configuration model, with files in memory. The daemon's own
//! tests read real files and paths.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use std::format;

use super::*;
use crate::dns as core_dns;
use crate::mastodon::Visibility;
use crate::route::Action;
use crate::time::Duration;

pub(super) const REFERENCE: &str =
    include_str!("../../../frontend-smol/tests/config/reference-example.toml");
const REFERENCE_2024: &str =
    include_str!("../../../frontend-smol/tests/config/reference-2024.toml");
const FULL: &str = include_str!("../../../frontend-smol/tests/config/full.toml");

pub(super) const GIB: u64 = 1024 * 1024 * 1024;

/// Files in memory; a directory is any path ending in `/`.
#[derive(Default)]
pub(super) struct MemFiles(BTreeMap<String, String>);

impl MemFiles {
    fn with(files: &[(&str, &str)]) -> Self {
        Self(
            files
                .iter()
                .map(|(p, t)| (String::from(*p), String::from(*t)))
                .collect(),
        )
    }
}

impl Files for MemFiles {
    fn read(&mut self, path: &str) -> Result<String, ReadError> {
        if self.0.contains_key(&format!("{path}/")) {
            return Err(ReadError::IsADirectory);
        }
        self.0.get(path).cloned().ok_or(ReadError::NotFound)
    }
    fn exists(&mut self, path: &str) -> bool {
        self.0.contains_key(path) || self.0.contains_key(&format!("{path}/"))
    }
}

pub(super) fn parse_with(text: &str, files: &mut MemFiles) -> Result<Config, ConfigError> {
    Config::parse(text, files).map(Parsed::finish)
}

pub(super) fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_with(text, &mut MemFiles::default())
}

pub(super) fn ok(text: &str) -> Config {
    parse(text).unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn ok_with(text: &str, files: &[(&str, &str)]) -> Config {
    parse_with(text, &mut MemFiles::with(files)).unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn has_warning(c: &Config, needle: &str) -> bool {
    c.warnings.iter().any(|w| w.contains(needle))
}

pub(super) fn action(s: &str) -> Action {
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
    assert_eq!(
        (
            c.upload_folder.as_str(),
            c.session_folder.as_str(),
            c.outbox_folder.as_str()
        ),
        ("./uploads", "./state/sessions", "./state/outbox")
    );
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
fn the_defaults_are_one() {
    let bridge = crate::sns::BridgeConfig::default();
    let config = Config::embedded_default();
    for routes in [
        &bridge.routes,
        &config.routes,
        &config.bridge_config().routes,
    ] {
        assert_eq!(routes.default_social(), Routes::default().default_social());
        assert_eq!(routes.default_email(), Routes::default().default_email());
    }
    assert_eq!(Routes::default().default_email(), &action("store"));
    assert_eq!(config.bridge_config().limits, bridge.limits);
    assert_eq!(bridge.limits.body_idle_timeout, Duration::from_secs(60));
    // Without MAIL_SERVER a file gets the same e-mail default.
    assert_eq!(
        ok("").routes.default_email(),
        Routes::default().default_email()
    );
}

#[test]
fn empty_file_is_the_embedded_default_with_a_mail_note() {
    let c = ok("");
    assert_eq!(c.routes.for_recipient("a@b.c"), &action("store"));
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(has_warning(&c, "MAIL_SERVER is not set"));
    assert!(has_warning(&c, "SECRET is not set"));
}

#[test]
fn reference_example_as_shipped_names_the_missing_token_file() {
    let e = parse(REFERENCE).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("MASTODON.TOKEN"), "{e}");
    assert!(e.reason.contains("mastodon.secret: does not exist"), "{e}");
    assert!(e.reason.contains("mastodon-login"), "{e}");
    assert!(e.reason.contains("ACTIONS"), "{e}");
    assert!(e.to_string().starts_with("MASTODON.TOKEN: token file "));
}

#[test]
fn reference_example_with_its_token_file() {
    let c = ok_with(
        REFERENCE,
        &[(
            "mastodon.secret",
            "tok-from-file\nhttps://mastodon.example/\nclient-id\nclient-secret\n",
        )],
    );
    assert_eq!(c.upload_folder, "/tmp/");
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
    assert_eq!(default.token_file.as_deref(), Some("mastodon.secret"));
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
    // A program that exists is not warned about.
    let c = ok_with(
        REFERENCE,
        &[
            ("mastodon.secret", "tok\nhttps://m.example\n"),
            ("./log.sh", "#!/bin/sh\n"),
        ],
    );
    assert!(!has_warning(&c, "log.sh"), "{:?}", c.warnings);
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
    let files = [
        // 1 line (Mastodon.py < 1.5): the URL must come from BASE_URL.
        ("one.secret", "tok1\n"),
        // 2 lines (1.5–1.7), without final newline, with CRLF.
        ("two.secret", "tok2\r\nhttps://two.example"),
        // 4 lines (1.8+ and `samsung-bridge mastodon-login`); a bare host gets https://.
        ("four.secret", "tok4\nfour.example\nid\nsecret\n"),
    ];
    let text = r#"SENDERS = ["a@b.c"]
SECRET = "s"
[MASTODON.one]
TOKEN = "one.secret"
BASE_URL = "https://one.example"
[MASTODON.two]
TOKEN = "two.secret"
[MASTODON.four]
TOKEN = "four.secret"
BASE_URL = "https://FOUR.example/"
[ACTIONS]
facebook = "mastodon.one"
youtube = "mastodon.two"
picasa = "mastodon.four"
"#;
    let c = ok_with(text, &files);
    let get = |n: &str| &c.mastodon[&Some(String::from(n))];
    let pair = |n: &str| (get(n).token.expose().as_str(), get(n).base_url.as_str());
    assert_eq!(pair("one"), ("tok1", "https://one.example"));
    assert_eq!(pair("two"), ("tok2", "https://two.example"));
    assert_eq!(pair("four"), ("tok4", "https://FOUR.example"));
    assert_eq!(get("four").token_file.as_deref(), Some("four.secret"));

    // A token-like TOKEN is a file when a file of that name exists (the
    // reference asks the file system first).
    let c = ok_with(
        &format!("{MASTODON_MIN}[ACTIONS]\nfacebook = \"mastodon\"\n"),
        &[("tok", "from-file\n")],
    );
    assert_eq!(c.mastodon[&None].token.expose(), "from-file");
    assert_eq!(c.mastodon[&None].token_file.as_deref(), Some("tok"));

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
    assert_eq!(TokenFile::parse("\n").unwrap_err(), TokenFileError::Empty);
    assert_eq!(
        TokenFile::parse("a b\n").unwrap_err(),
        TokenFileError::NotAToken
    );
}

#[test]
fn a_token_file_names_its_server_over_an_inherited_base_url() {
    let files = [("other.secret", "tok\nhttps://other.example\n")];
    let c = ok_with(
        &format!(
            "{MASTODON_MIN}[MASTODON.other]\nTOKEN = \"other.secret\"\n[ACTIONS]\nfacebook = \"mastodon.other\"\n"
        ),
        &files,
    );
    assert_eq!(
        c.mastodon[&Some(String::from("other"))].base_url,
        "https://other.example"
    );
    assert_eq!(c.mastodon[&None].base_url, "https://m.example");
    // Set in the same section, a different URL is a mistake.
    let e = parse_with(
        &format!(
            "{MASTODON_MIN}[MASTODON.other]\nTOKEN = \"other.secret\"\nBASE_URL = \"https://m.example\"\n[ACTIONS]\nfacebook = \"mastodon.other\"\n"
        ),
        &mut MemFiles::with(&files),
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("MASTODON.other.BASE_URL"), "{e}");
    assert!(
        e.reason
            .contains("differs from the server in token file other.secret"),
        "{e}"
    );
}

#[test]
fn token_file_errors() {
    let files = [
        ("empty.secret", "\n\n"),
        ("mismatch.secret", "tok\nhttps://other.example\n"),
        ("bad-url.secret", "tok\nftp://x\n"),
        ("state/", ""),
    ];
    let cases = [
        (
            "empty",
            "TOKEN = \"empty.secret\"\nBASE_URL = \"https://m.example\"",
            "is empty",
        ),
        (
            "missing",
            "TOKEN = \"/nonexistent/dir/mastodon.secret\"\nBASE_URL = \"https://m.example\"",
            "does not exist",
        ),
        (
            "relative missing",
            "TOKEN = \"no-such.secret\"\nBASE_URL = \"https://m.example\"",
            "no-such.secret: does not exist",
        ),
        (
            "directory",
            "TOKEN = \"state\"\nBASE_URL = \"https://m.example\"",
            "token file state: is a directory",
        ),
        (
            "bad url line",
            "TOKEN = \"bad-url.secret\"",
            "second line: expected an http:// or https:// URL",
        ),
        (
            "a token with a space is a file name",
            "TOKEN = \"a b\"\nBASE_URL = \"https://m.example\"",
            "token file a b: does not exist",
        ),
    ];
    for (name, mastodon, reason) in cases {
        let text = format!(
            "SENDERS = [\"a@b.c\"]\n[MASTODON]\n{mastodon}\n[ACTIONS]\nfacebook = \"mastodon\"\n"
        );
        let e = parse_with(&text, &mut MemFiles::with(&files)).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("MASTODON.TOKEN"), "{name}: {e}");
        assert!(e.reason.contains(reason), "{name}: {e}");
    }
    let text = "SENDERS = [\"a@b.c\"]\n[MASTODON]\nTOKEN = \"mismatch.secret\"\nBASE_URL = \"https://m.example\"\n[ACTIONS]\nfacebook = \"mastodon\"\n";
    let e = parse_with(text, &mut MemFiles::with(&files)).unwrap_err();
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
        assert_eq!(e.to_string(), format!("{key}: {}", e.reason), "{name}");
    }
    // The whole text at fault: no key.
    let e = parse("[a\nb = 1").unwrap_err();
    assert_eq!(e.key, None);
    assert!(
        e.reason.starts_with("invalid TOML at line 1, column "),
        "{e}"
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
    assert_eq!(c.upload_folder, "./uploads");
}

#[test]
fn warnings_keep_their_order() {
    // Within a section in key order, sections in reading order, unknown
    // top-level keys after [LIMITS] and before the checks across sections.
    let c = ok(r#"
ZZZ = 1
AAA = 2
[DNS]
ADDRESS = "10.0.0.1"
Y = 1
B = 2
[LIMITS]
X = 1
"#);
    assert_eq!(
        c.warnings,
        [
            "unknown key DNS.B ignored",
            "unknown key DNS.Y ignored",
            "unknown key LIMITS.X ignored",
            "unknown key AAA ignored",
            "unknown key ZZZ ignored",
            "MAIL_SERVER is not set: e-mails to recipients without an [ACTIONS] entry are stored, not mailed",
            "SECRET is not set: folder names are derived from an empty key (set SECRET before sharing UPLOAD_FOLDER; changing it later moves every user to a new folder)",
        ]
    );
}

#[test]
fn every_key_of_the_full_example() {
    let c = ok(FULL);
    assert_eq!(c.listen.to_string(), "0.0.0.0:80");
    assert_eq!(c.outbox_folder, "/var/lib/samsung-bridge/outbox");
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
    assert_eq!(dns.address, core::net::Ipv4Addr::new(10, 0, 0, 1));
    assert!(dns.nxdomain);
    assert_eq!(dns.names.len(), core_dns::SAMSUNG_HOSTNAMES.len());
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
fn dns_defaults_and_address_warnings() {
    let c = ok("[DNS]\nADDRESS = \"192.168.1.2\"\nNAMES = [\"WWW.MSN.COM.\", \"www.msn.com\"]");
    let dns = c.dns.as_ref().unwrap();
    assert_eq!(dns.listen.to_string(), "0.0.0.0:53");
    assert_eq!(dns.names, ["www.msn.com"]);
    assert!(!dns.nxdomain);
    assert!(has_warning(&c, "cameras reject this address"));
    let c = ok("[DNS]\nADDRESS = \"172.16.0.1\"\nNAMES = []");
    assert!(has_warning(&c, "this one is untested"));
    assert!(has_warning(&c, "DNS.NAMES is empty"));
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
    assert!(!has_warning(&c, "OUTBOX_FOLDER"));
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
fn the_example_of_the_docs_is_valid() {
    let docs = include_str!("../../../docs/CONFIG.md");
    let example = docs
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("docs/CONFIG.md has a TOML example");
    let c = ok_with(
        example,
        &[("mastodon.secret", "tok\nhttps://mastodon.example\n")],
    );
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    assert_eq!(
        c.routes.for_recipient("toot@example.org"),
        &action("mastodon.friends")
    );
    assert_eq!(c.routes.for_site("picasa"), &action("store.shared"));
}
