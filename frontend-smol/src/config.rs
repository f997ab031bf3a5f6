//! The daemon's configuration: the reference's `config.toml`, unchanged,
//! plus our additions (LISTEN, [PASSWORDS], outbox, DNS, limits).
//!
//! [`Config::load`] reads a file, [`Config::from_str`] the text; both walk the
//! TOML tree by hand (rather than deriving `Deserialize`) so that every error
//! names its file and key and every key nobody reads becomes a warning.
//! Secrets (passwords, tokens, `SECRET`) live in [`Secret`] and are never part
//! of an error, a warning or [`Config::describe`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use samsung_core::crypto::Secret;
use samsung_core::dns::{self, AddressFit, DnsResponder, Unlisted};
use samsung_core::mastodon::Visibility;
use samsung_core::route::{Action, ActionKind, Routes};
use samsung_core::sns::{self, BridgeConfig, Limits};
use toml::{Table, Value};

/// Where the daemon listens without `LISTEN`.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 8080));
/// `UPLOAD_FOLDER` default (relative to the working directory, like the reference).
pub const DEFAULT_UPLOAD_FOLDER: &str = "./uploads";
/// `SESSION_FOLDER` default.
pub const DEFAULT_SESSION_FOLDER: &str = "./state/sessions";
/// `OUTBOX_FOLDER` default.
pub const DEFAULT_OUTBOX_FOLDER: &str = "./state/outbox";
/// `MAIL_PORT` default with STARTTLS or plain SMTP (the reference's example value).
pub const DEFAULT_MAIL_PORT: u16 = 587;
/// `MAIL_PORT` default with `MAIL_USE_SSL`.
pub const DEFAULT_MAIL_SSL_PORT: u16 = 465;
/// `[DNS] LISTEN` default.
pub const DEFAULT_DNS_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 53));
/// The token file `mastodon-login` writes by default (the reference's name).
pub const DEFAULT_TOKEN_FILE: &str = "mastodon.secret";

/// The `SECRET` of the reference's example config, which many installations kept.
const EXAMPLE_SECRET: &str = "xiev5kaMeehaimub";

/// How to reach the SMTP smarthost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailSecurity {
    /// Plain SMTP (local relays, tests).
    None,
    /// STARTTLS after connecting (`MAIL_USE_TLS = true`).
    StartTls,
    /// TLS from the first byte (`MAIL_USE_SSL = true`, port 465).
    Tls,
}

/// `MAIL_*` keys.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub server: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret<String>>,
    pub security: MailSecurity,
    /// Envelope/From override (`MAIL_FROM`/`MAIL_DEFAULT_SENDER`); None: the camera's sender.
    pub from: Option<String>,
}

/// One Mastodon instance (`[MASTODON]` or `[MASTODON.<name>]`, after inheritance).
#[derive(Debug, Clone)]
pub struct MastodonConfig {
    /// e.g. `https://mastodon.social` or `http://127.0.0.1:3000` (no trailing `/`).
    pub base_url: String,
    /// The access token (read from the token file when `TOKEN` names a file).
    pub token: Secret<String>,
    /// The token file `TOKEN` named; None when `TOKEN` is the token itself.
    pub token_file: Option<PathBuf>,
    pub postscript: Option<String>,
    /// `public`, `unlisted`, `private`, `direct` (None: the account default).
    pub visibility: Option<samsung_core::mastodon::Visibility>,
}

/// One shell action (`[SHELL]` or `[SHELL.<name>]`, after inheritance).
#[derive(Clone, PartialEq, Eq)]
pub struct ShellConfig {
    /// argv with `{sender}`, `{recipient}`, `{filename}`, `{subject}`, `{body}` placeholders.
    pub cmd: Vec<String>,
    /// Optional stdin template with the same placeholders.
    pub stdin: Option<String>,
}

/// Shows the program only: arguments and the stdin template may carry credentials.
impl fmt::Debug for ShellConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShellConfig")
            .field("program", &self.cmd.first())
            .field("args", &self.cmd.len().saturating_sub(1))
            .field("stdin", &self.stdin.as_ref().map(|_| "[template]"))
            .finish()
    }
}

/// The optional DNS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    pub listen: SocketAddr,
    /// The address the Samsung names resolve to.
    pub address: Ipv4Addr,
    /// Lowercase, without trailing dot, validated by [`DnsResponder::new`].
    pub names: Vec<String>,
    /// NXDOMAIN instead of REFUSED for other names.
    pub nxdomain: bool,
}

impl DnsConfig {
    /// The core responder for this configuration.
    pub fn responder(&self) -> DnsResponder {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let unlisted = if self.nxdomain {
            Unlisted::NxDomain
        } else {
            Unlisted::Refused
        };
        // The names were checked with the same call when the config was loaded.
        DnsResponder::new(&names, self.address.octets(), dns::DEFAULT_TTL, unlisted)
            .unwrap_or_else(|_| DnsResponder::samsung(self.address.octets()))
    }
}

/// Limits against abuse and slow clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsConfig {
    pub max_upload: u64,
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub session_idle: Duration,
    pub shutdown_grace: Duration,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_upload: 4 * GIB,
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            session_idle: Duration::from_secs(3600),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (None: embedded default).
    pub source: Option<PathBuf>,
    pub listen: SocketAddr,
    pub upload_folder: PathBuf,
    pub session_folder: PathBuf,
    pub outbox_folder: PathBuf,
    pub insecure_download: bool,
    /// None: accept everybody (embedded default).
    pub senders: Option<Vec<String>>,
    pub passwords: Vec<(String, Secret<String>)>,
    pub secret: Secret<Vec<u8>>,
    pub mail: Option<MailConfig>,
    /// Key None = `[MASTODON]` defaults, Some(name) = `[MASTODON.<name>]`.
    pub mastodon: BTreeMap<Option<String>, MastodonConfig>,
    pub shell: BTreeMap<Option<String>, ShellConfig>,
    pub routes: Routes,
    pub dns: Option<DnsConfig>,
    pub limits: LimitsConfig,
    /// Unknown keys and other non-fatal findings, logged at start-up.
    pub warnings: Vec<String>,
}

/// A fatal configuration problem: which file, which key, why.
#[derive(Debug)]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    /// Dotted path of the key (`MASTODON.friends.TOKEN`, `ACTIONS."a@b.c"`).
    pub key: Option<String>,
    pub reason: String,
}

impl ConfigError {
    fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            file: None,
            key: Some(key.into()),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ConfigError {}

type Result<T, E = ConfigError> = std::result::Result<T, E>;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

// ---------------------------------------------------------------------------
// Token files

/// A token file: the reference's `mastodon.secret` as Mastodon.py's
/// `log_in(to_file=…)` writes it, which is also what `mastodon-login` writes.
///
/// One value per line: the access token; since Mastodon.py 1.5 the API base
/// URL; since 1.8 the client id and the client secret. Older files have only
/// the first line (or the first two).
#[derive(Debug, Clone)]
pub struct TokenFile {
    pub token: Secret<String>,
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret<String>>,
}

impl TokenFile {
    /// Parses a token file; errors never contain the file's content.
    pub fn parse(text: &str) -> Result<TokenFile, String> {
        let mut lines = text.lines().map(str::trim);
        let token = lines.next().unwrap_or_default();
        if token.is_empty() {
            return Err(String::from(
                "is empty (its first line must be the access token)",
            ));
        }
        if !valid_token(token) {
            return Err(String::from(
                "first line is not an access token (it has spaces or control characters)",
            ));
        }
        let base_url = match lines.next().filter(|l| !l.is_empty()) {
            None => None,
            Some(url) => {
                // Mastodon.py adds `https://` to a bare host name.
                let url = if url.contains("://") {
                    url.to_owned()
                } else {
                    format!("https://{url}")
                };
                Some(normalize_base_url(&url).map_err(|e| format!("second line: {e}"))?)
            }
        };
        let client_id = lines.next().filter(|l| !l.is_empty()).map(String::from);
        let client_secret = lines
            .next()
            .filter(|l| !l.is_empty())
            .map(|l| Secret::new(l.to_owned()));
        Ok(TokenFile {
            token: Secret::new(token.to_owned()),
            base_url,
            client_id,
            client_secret,
        })
    }

    /// The file's text; lines are left out only from the end.
    pub fn render(&self) -> String {
        let mut lines = vec![
            self.token.expose().as_str(),
            self.base_url.as_deref().unwrap_or(""),
            self.client_id.as_deref().unwrap_or(""),
            self.client_secret
                .as_ref()
                .map_or("", |s| s.expose().as_str()),
        ];
        while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }
}

fn valid_token(t: &str) -> bool {
    !t.is_empty() && !t.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Mastodon's tokens are URL-safe base64; anything else in `TOKEN` (a `.`, a
/// `/`) means it names a file. The reference (Mastodon.py) only asks whether a
/// file of that name exists, so a typo there becomes a token that the server
/// rejects at the first post; we say so at start-up instead.
fn looks_like_path(t: &str) -> bool {
    !t.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks an `http://` or `https://` URL with a host and returns it with a
/// lowercase scheme and without trailing `/`.
pub fn normalize_base_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let shown = truncate(url, 80);
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "expected an http:// or https:// URL, got {shown:?}"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "expected an http:// or https:// URL, got {shown:?}"
        ));
    }
    let rest = rest.trim_end_matches('/');
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("URL contains spaces: {shown:?}"));
    }
    if rest.contains(['?', '#']) {
        return Err(format!("URL must not have a query or fragment: {shown:?}"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(String::from("URL must not contain user name or password"));
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => {
            let Some((addr, after)) = v6.split_once(']') else {
                return Err(format!("bad IPv6 address in URL {shown:?}"));
            };
            if addr.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("bad IPv6 address in URL {shown:?}"));
            }
            check_port(after.strip_prefix(':'), after.is_empty(), &shown)?;
            addr
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            check_port(port, port.is_none(), &shown)?;
            host
        }
    };
    if host.is_empty() {
        return Err(format!("URL has no host: {shown:?}"));
    }
    Ok(format!("{scheme}://{rest}"))
}

fn check_port(port: Option<&str>, none_ok: bool, shown: &str) -> Result<(), String> {
    match port {
        None if none_ok => Ok(()),
        Some(p) if p.parse::<u16>().is_ok_and(|p| p > 0) => Ok(()),
        _ => Err(format!("bad port in URL {shown:?}")),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

// ---------------------------------------------------------------------------
// Walking the TOML tree

/// A key as written in TOML: bare when it can be, quoted otherwise.
fn key_segment(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_owned()
    } else {
        format!("{k:?}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// `got …` for messages; secret keys get only the type.
fn got(v: &Value, secret: bool) -> String {
    match v {
        _ if secret => format!("got {}", type_name(v)),
        Value::String(s) => format!("got {:?}", truncate(s, 60)),
        Value::Integer(i) => format!("got {i}"),
        Value::Boolean(b) => format!("got {b}"),
        other => format!("got {}", type_name(other)),
    }
}

/// One TOML table being read: remembers which keys were used, so that the
/// rest can be reported.
struct Section<'a> {
    path: String,
    table: &'a Table,
    used: BTreeSet<String>,
}

impl<'a> Section<'a> {
    fn new(path: String, table: &'a Table) -> Self {
        Section {
            path,
            table,
            used: BTreeSet::new(),
        }
    }

    /// The full dotted key for messages.
    fn key(&self, k: &str) -> String {
        if self.path.is_empty() {
            key_segment(k)
        } else {
            format!("{}.{}", self.path, key_segment(k))
        }
    }

    fn get(&mut self, k: &str) -> Option<&'a Value> {
        let v = self.table.get(k)?;
        self.used.insert(k.to_owned());
        Some(v)
    }

    fn type_error(&self, k: &str, expected: &str, v: &Value, secret: bool) -> ConfigError {
        ConfigError::new(
            self.key(k),
            format!("expected {expected}, {}", got(v, secret)),
        )
    }

    fn string_impl(&mut self, k: &str, secret: bool) -> Result<Option<String>> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.type_error(k, "a string", v, secret)),
        }
    }

    fn string(&mut self, k: &str) -> Result<Option<String>> {
        self.string_impl(k, false)
    }

    fn secret(&mut self, k: &str) -> Result<Option<String>> {
        self.string_impl(k, true)
    }

    /// A string that must not be empty or blank when present.
    fn nonempty(&mut self, k: &str) -> Result<Option<String>> {
        match self.string(k)? {
            Some(s) if s.trim().is_empty() => {
                Err(ConfigError::new(self.key(k), "must not be empty"))
            }
            other => Ok(other.map(|s| s.trim().to_owned())),
        }
    }

    fn boolean(&mut self, k: &str) -> Result<Option<bool>> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(v) => Err(self.type_error(k, "true or false", v, false)),
        }
    }

    /// An integer in `min..=max`; a string of digits is accepted too.
    fn integer(&mut self, k: &str, min: u64, max: u64) -> Result<Option<u64>> {
        let expected = if max == u64::MAX {
            format!("an integer >= {min}")
        } else {
            format!("an integer {min}-{max}")
        };
        let Some(v) = self.get(k) else {
            return Ok(None);
        };
        let n = match v {
            Value::Integer(i) => u64::try_from(*i).ok(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(self.type_error(k, &expected, v, false)),
        }
    }

    fn seconds(&mut self, k: &str, min: u64) -> Result<Option<Duration>> {
        Ok(self.integer(k, min, u64::MAX)?.map(Duration::from_secs))
    }

    fn socket_addr(&mut self, k: &str) -> Result<Option<SocketAddr>> {
        let Some(s) = self.string(k)? else {
            return Ok(None);
        };
        s.trim().parse().map(Some).map_err(|_| {
            ConfigError::new(
                self.key(k),
                format!("expected an address:port like \"0.0.0.0:8080\", got {s:?}"),
            )
        })
    }

    fn path(&mut self, k: &str) -> Result<Option<PathBuf>> {
        Ok(self.nonempty(k)?.map(PathBuf::from))
    }

    fn string_list(&mut self, k: &str) -> Result<Option<Vec<String>>> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(ConfigError::new(
                        format!("{}[{i}]", self.key(k)),
                        format!("expected a string, {}", got(other, false)),
                    )),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(v) => Err(self.type_error(k, "a list of strings", v, false)),
        }
    }

    fn table(&mut self, k: &str) -> Result<Option<&'a Table>> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(t)),
            Some(v) => Err(self.type_error(k, "a table", v, false)),
        }
    }

    /// Warns about every key that was not read.
    fn finish(self, warnings: &mut Vec<String>) {
        for k in self.table.keys().filter(|k| !self.used.contains(*k)) {
            warnings.push(unknown_key_warning(
                &self.key(k),
                self.path.is_empty().then_some(k),
            ));
        }
    }
}

/// Top-level keys the reference passed to Flask / Flask-Mail that mean nothing here.
const FLASK_KEYS: &[&str] = &[
    "DEBUG",
    "TESTING",
    "SECRET_KEY",
    "SERVER_NAME",
    "APPLICATION_ROOT",
    "PREFERRED_URL_SCHEME",
    "MAX_CONTENT_LENGTH",
    "PROPAGATE_EXCEPTIONS",
    "TRAP_HTTP_EXCEPTIONS",
    "TRAP_BAD_REQUEST_ERRORS",
    "USE_X_SENDFILE",
    "SEND_FILE_MAX_AGE_DEFAULT",
    "TEMPLATES_AUTO_RELOAD",
    "EXPLAIN_TEMPLATE_LOADING",
    "PERMANENT_SESSION_LIFETIME",
    "MAIL_DEBUG",
    "MAIL_MAX_EMAILS",
    "MAIL_SUPPRESS_SEND",
    "MAIL_ASCII_ATTACHMENTS",
];

const TOP_KEYS: &[&str] = &[
    "LISTEN",
    "UPLOAD_FOLDER",
    "SESSION_FOLDER",
    "OUTBOX_FOLDER",
    "INSECURE_DOWNLOAD",
    "SENDERS",
    "PASSWORDS",
    "SECRET",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_DEFAULT_SENDER",
    "MAIL_FROM",
    "MASTODON",
    "SHELL",
    "ACTIONS",
    "DNS",
    "LIMITS",
];

fn unknown_key_warning(key: &str, top_level: Option<&str>) -> String {
    let Some(name) = top_level else {
        return format!("unknown key {key} ignored");
    };
    if FLASK_KEYS.contains(&name)
        || name.starts_with("SESSION_COOKIE_")
        || name.starts_with("JSON_")
    {
        let hint = if name == "MAX_CONTENT_LENGTH" {
            "; the upload limit is [LIMITS] MAX_UPLOAD"
        } else {
            ""
        };
        return format!(
            "unknown key {key} ignored (a Flask setting of the reference server; samsung-bridge does not use it{hint})"
        );
    }
    let upper = name.to_ascii_uppercase();
    if upper != name && TOP_KEYS.contains(&upper.as_str()) {
        return format!("unknown key {key} ignored (did you mean {upper}? keys are upper case)");
    }
    format!("unknown key {key} ignored")
}

/// Line and column (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The key a syntax error is on, when its line is a `KEY = …` line, with
/// the `[SECTION]` it is in.
fn key_of_line(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let plain = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.\"@".contains(&b))
    };
    let key = key.trim();
    if !plain(key) {
        return None;
    }
    let section = before[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .and_then(|l| l.strip_prefix('[')?.split(']').next())
        .map(str::trim)
        .filter(|s| plain(s));
    Some(match section {
        Some(s) => format!("{s}.{key}"),
        None => key.to_owned(),
    })
}

// ---------------------------------------------------------------------------
// Sections with inheritance

/// A `[MASTODON]`/`[MASTODON.<name>]` table before inheritance: each field with
/// the key it came from.
#[derive(Debug, Clone, Default)]
struct MastodonRaw {
    base_url: Option<(String, String)>,
    token: Option<(Secret<String>, String)>,
    postscript: Option<String>,
    visibility: Option<Option<Visibility>>,
}

impl MastodonRaw {
    /// Reads `BASE_URL`, `TOKEN`, … (`prefix` is `MASTODON_` for the old top-level keys).
    fn read(sec: &mut Section<'_>, prefix: &str) -> Result<MastodonRaw> {
        let [url_key, token_key, postscript_key, visibility_key] =
            ["BASE_URL", "TOKEN", "POSTSCRIPT", "VISIBILITY"].map(|k| format!("{prefix}{k}"));
        let base_url = match sec.nonempty(&url_key)? {
            None => None,
            Some(url) => Some((
                normalize_base_url(&url).map_err(|e| ConfigError::new(sec.key(&url_key), e))?,
                sec.key(&url_key),
            )),
        };
        let token = match sec.secret(&token_key)? {
            Some(t) if t.trim().is_empty() => {
                return Err(ConfigError::new(sec.key(&token_key), "must not be empty"));
            }
            Some(t) => Some((Secret::new(t.trim().to_owned()), sec.key(&token_key))),
            None => None,
        };
        let postscript = sec.string(&postscript_key)?;
        let visibility = match sec.string(&visibility_key)? {
            None => None,
            Some(v) if v.trim().is_empty() => Some(None),
            Some(v) => Some(Some(Visibility::parse(&v).ok_or_else(|| {
                ConfigError::new(
                    sec.key(&visibility_key),
                    format!("expected public, unlisted, private or direct, got {v:?}"),
                )
            })?)),
        };
        Ok(MastodonRaw {
            base_url,
            token,
            postscript,
            visibility,
        })
    }

    fn is_empty(&self) -> bool {
        self.base_url.is_none()
            && self.token.is_none()
            && self.postscript.is_none()
            && self.visibility.is_none()
    }

    /// `self` over `defaults`; neither is changed (unlike the reference, §9.3 #4).
    fn over(&self, defaults: &MastodonRaw) -> MastodonRaw {
        MastodonRaw {
            base_url: self.base_url.clone().or_else(|| defaults.base_url.clone()),
            token: self.token.clone().or_else(|| defaults.token.clone()),
            postscript: self
                .postscript
                .clone()
                .or_else(|| defaults.postscript.clone()),
            visibility: self.visibility.or(defaults.visibility),
        }
    }

    /// The usable instance, or why not (with the key at fault).
    fn resolve(&self, section: &str) -> Result<MastodonConfig> {
        let Some((token_value, token_key)) = &self.token else {
            return Err(ConfigError::new(
                format!("{section}.TOKEN"),
                "missing (the access token, or the token file written by `samsung-bridge mastodon-login`)",
            ));
        };
        let raw = token_value.expose();
        let path = Path::new(raw);
        let (token, token_file, file_url) = if path.exists() || looks_like_path(raw) {
            let text = std::fs::read_to_string(path).map_err(|e| {
                let hint = if e.kind() == std::io::ErrorKind::NotFound {
                    " (`samsung-bridge mastodon-login https://your.server --out FILE` writes one)"
                } else {
                    ""
                };
                ConfigError::new(
                    token_key.clone(),
                    format!("token file {}: {}{hint}", path.display(), io_reason(&e)),
                )
            })?;
            let file = TokenFile::parse(&text).map_err(|e| {
                ConfigError::new(
                    token_key.clone(),
                    format!("token file {} {e}", path.display()),
                )
            })?;
            (file.token, Some(path.to_path_buf()), file.base_url)
        } else {
            if !valid_token(raw) {
                return Err(ConfigError::new(
                    token_key.clone(),
                    "the token has spaces or control characters",
                ));
            }
            (token_value.clone(), None, None)
        };
        // A token file names its server. A BASE_URL set where the TOKEN is
        // (or closer to the instance) must agree with it; one inherited from
        // a less specific place gives way to the file.
        let specificity = |key: &str| key.matches('.').count();
        let base_url = match (&self.base_url, file_url) {
            (Some((_, url_key)), Some(from_file))
                if specificity(url_key) < specificity(token_key) =>
            {
                from_file
            }
            (Some((url, key)), Some(from_file)) if !url.eq_ignore_ascii_case(&from_file) => {
                return Err(ConfigError::new(
                    key.clone(),
                    format!(
                        "{url} differs from the server in token file {} ({from_file})",
                        token_file.as_deref().unwrap_or(path).display()
                    ),
                ));
            }
            (Some((url, _)), _) => url.clone(),
            (None, Some(from_file)) => from_file,
            (None, None) => {
                return Err(ConfigError::new(
                    format!("{section}.BASE_URL"),
                    "missing (needed unless TOKEN names a token file that contains the server's URL)",
                ));
            }
        };
        Ok(MastodonConfig {
            base_url,
            token,
            token_file,
            postscript: self.postscript.clone().filter(|p| !p.is_empty()),
            visibility: self.visibility.flatten(),
        })
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => String::from("does not exist"),
        std::io::ErrorKind::PermissionDenied => String::from("permission denied"),
        std::io::ErrorKind::IsADirectory => String::from("is a directory"),
        std::io::ErrorKind::InvalidData => String::from("is not UTF-8 text"),
        _ => e.to_string(),
    }
}

/// A `[SHELL]`/`[SHELL.<name>]` table before inheritance.
#[derive(Debug, Clone, Default)]
struct ShellRaw {
    cmd: Option<Vec<String>>,
    stdin: Option<String>,
}

impl ShellRaw {
    fn read(sec: &mut Section<'_>) -> Result<ShellRaw> {
        Ok(ShellRaw {
            cmd: sec.string_list("CMD")?,
            stdin: sec.string("STDIN")?,
        })
    }

    fn over(&self, defaults: &ShellRaw) -> ShellRaw {
        ShellRaw {
            cmd: self.cmd.clone().or_else(|| defaults.cmd.clone()),
            stdin: self.stdin.clone().or_else(|| defaults.stdin.clone()),
        }
    }

    fn resolve(&self, section: &str) -> Result<ShellConfig> {
        match &self.cmd {
            Some(cmd) if cmd.first().is_some_and(|c| !c.trim().is_empty()) => Ok(ShellConfig {
                cmd: cmd.clone(),
                stdin: self.stdin.clone(),
            }),
            Some(_) => Err(ConfigError::new(
                format!("{section}.CMD"),
                "must name a program",
            )),
            None => Err(ConfigError::new(
                format!("{section}.CMD"),
                "missing (the command as a list: [\"program\", \"{filename}\", …])",
            )),
        }
    }
}

/// Reads `[MASTODON]`-like tables: the default keys, and sub-tables as instances.
fn read_instances<'a, R>(
    table: &'a Table,
    name: &str,
    warnings: &mut Vec<String>,
    read: impl Fn(&mut Section<'a>) -> Result<R>,
) -> Result<(R, BTreeMap<String, R>)> {
    let mut sec = Section::new(name.to_owned(), table);
    let defaults = read(&mut sec)?;
    let mut instances = BTreeMap::new();
    for (k, v) in table {
        let Value::Table(t) = v else { continue };
        sec.used.insert(k.clone());
        let path = sec.key(k);
        if Action::parse(&format!("store.{k}")).is_err() {
            warnings.push(format!(
                "[{path}] can never be used: instance names are letters, digits, '_' and '-' (at most 64)"
            ));
            continue;
        }
        let mut inner = Section::new(path, t);
        instances.insert(k.clone(), read(&mut inner)?);
        inner.finish(warnings);
    }
    sec.finish(warnings);
    Ok((defaults, instances))
}

// ---------------------------------------------------------------------------
// Sizes

/// `4096`, `"500MB"`, `"2 GiB"`, `"1.5G"` is not accepted (integers only).
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: u64 = num.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => KIB,
        "m" | "mb" => 1000 * 1000,
        "mib" => MIB,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => GIB,
        "t" | "tb" => 1000 * 1000 * 1000 * 1000,
        "tib" => 1024 * GIB,
        _ => return None,
    };
    num.checked_mul(factor)
}

/// `4 GiB`, `500 MB`, `1234 bytes`.
fn format_size(n: u64) -> String {
    for (unit, f) in [
        ("TiB", 1024 * GIB),
        ("GiB", GIB),
        ("MiB", MIB),
        ("KiB", KIB),
    ] {
        if n >= f && n.is_multiple_of(f) {
            return format!("{} {unit}", n / f);
        }
    }
    for (unit, f) in [
        ("TB", 1_000_000_000_000),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("kB", 1000),
    ] {
        if n >= f && n.is_multiple_of(f) {
            return format!("{} {unit}", n / f);
        }
    }
    format!("{n} bytes")
}

/// Whether `inner` is `outer` or below it, compared lexically (no file system access).
fn is_within(inner: &Path, outer: &Path) -> bool {
    fn parts(p: &Path) -> Vec<Component<'_>> {
        p.components().filter(|c| *c != Component::CurDir).collect()
    }
    let (inner, outer) = (parts(inner), parts(outer));
    inner.len() >= outer.len() && inner.iter().zip(&outer).all(|(a, b)| a == b)
}

fn is_forwarding(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::Mail | ActionKind::Mastodon | ActionKind::Shell
    )
}

// ---------------------------------------------------------------------------
// Config

impl Config {
    /// The embedded default: listen 0.0.0.0:8080, UPLOAD_FOLDER ./uploads, SESSION_FOLDER ./state/sessions, OUTBOX ./state/outbox, accept any camera (senders None), store everything (social default store, e-mail default store), forward nothing, no DNS listener, default limits (max upload 4 GiB, 256 connections, header timeout 10 s, body idle timeout 60 s, session idle 1 h, shutdown grace 10 s).
    pub fn embedded_default() -> Config {
        let store = Action::new(ActionKind::Store);
        Config {
            source: None,
            listen: DEFAULT_LISTEN,
            upload_folder: PathBuf::from(DEFAULT_UPLOAD_FOLDER),
            session_folder: PathBuf::from(DEFAULT_SESSION_FOLDER),
            outbox_folder: PathBuf::from(DEFAULT_OUTBOX_FOLDER),
            insecure_download: false,
            senders: None,
            passwords: Vec::new(),
            secret: Secret::new(Vec::new()),
            mail: None,
            mastodon: BTreeMap::new(),
            shell: BTreeMap::new(),
            routes: Routes::new(store.clone(), store),
            dns: None,
            limits: LimitsConfig::default(),
            warnings: Vec::new(),
        }
    }

    /// Loads a reference-compatible config.toml. Errors name the file, the key and the reason.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            key: None,
            reason: format!("cannot read the configuration: {}", io_reason(&e)),
        })?;
        Config::from_str(&text, Some(path))
    }

    /// Parses configuration text; `path` is where it came from (for messages
    /// and [`Config::source`]). Token files are read relative to the working
    /// directory, like the reference.
    pub fn from_str(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
        Config::parse(text)
            .map_err(|mut e| {
                e.file = path.map(Path::to_path_buf);
                e
            })
            .map(|mut c| {
                c.source = path.map(Path::to_path_buf);
                c
            })
    }

    fn parse(text: &str) -> Result<Config> {
        let root: Table = text.parse().map_err(|e: toml::de::Error| {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, col) = line_col(text, offset);
            // Only the message and the position: the offending line may hold a password.
            ConfigError {
                file: None,
                key: key_of_line(text, offset),
                reason: format!(
                    "invalid TOML at line {line}, column {col}: {}",
                    e.message().trim().replace('\n', "; ")
                ),
            }
        })?;
        let mut w = Vec::new();
        let mut top = Section::new(String::new(), &root);
        let mut c = Config::embedded_default();

        if let Some(listen) = top.socket_addr("LISTEN")? {
            c.listen = listen;
        }
        if let Some(p) = top.path("UPLOAD_FOLDER")? {
            c.upload_folder = p;
        }
        if let Some(p) = top.path("SESSION_FOLDER")? {
            c.session_folder = p;
        }
        if let Some(p) = top.path("OUTBOX_FOLDER")? {
            c.outbox_folder = p;
        }
        c.insecure_download = top.boolean("INSECURE_DOWNLOAD")?.unwrap_or(false);
        c.senders = top.string_list("SENDERS")?.map(|list| {
            let mut out: Vec<String> = Vec::new();
            for s in list {
                let s = s.trim();
                if s.is_empty() {
                    w.push(String::from("SENDERS: empty entry ignored"));
                } else if !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
                    out.push(s.to_owned());
                }
            }
            out
        });
        if let Some(table) = top.table("PASSWORDS")? {
            let mut sec = Section::new(String::from("PASSWORDS"), table);
            for user in table.keys() {
                let password = sec.secret(user)?.unwrap_or_default();
                c.passwords
                    .push((user.trim().to_owned(), Secret::new(password)));
            }
            sec.finish(&mut w);
        }
        let secret = top.secret("SECRET")?.unwrap_or_default();
        c.secret = Secret::new(secret.clone().into_bytes());

        c.mail = read_mail(&mut top, &mut w)?;

        // Mastodon: the pre-July-2025 top-level keys are defaults under [MASTODON].
        let old = MastodonRaw::read(&mut top, "MASTODON_")?;
        for k in ["BASE_URL", "TOKEN", "POSTSCRIPT", "VISIBILITY"] {
            if root.contains_key(&format!("MASTODON_{k}")) {
                w.push(format!(
                    "MASTODON_{k} is deprecated: write it as {k} under [MASTODON]"
                ));
            }
        }
        let (mastodon_defaults, mastodon_instances) = match top.table("MASTODON")? {
            Some(t) => read_instances(t, "MASTODON", &mut w, |s| MastodonRaw::read(s, ""))?,
            None => (MastodonRaw::default(), BTreeMap::new()),
        };
        for (k, both) in [
            (
                "BASE_URL",
                old.base_url.is_some() && mastodon_defaults.base_url.is_some(),
            ),
            (
                "TOKEN",
                old.token.is_some() && mastodon_defaults.token.is_some(),
            ),
            (
                "POSTSCRIPT",
                old.postscript.is_some() && mastodon_defaults.postscript.is_some(),
            ),
            (
                "VISIBILITY",
                old.visibility.is_some() && mastodon_defaults.visibility.is_some(),
            ),
        ] {
            if both {
                w.push(format!("MASTODON_{k} ignored: [MASTODON] sets {k}"));
            }
        }
        let mastodon_defaults = mastodon_defaults.over(&old);

        let (shell_defaults, shell_instances) = match top.table("SHELL")? {
            Some(t) => read_instances(t, "SHELL", &mut w, ShellRaw::read)?,
            None => (ShellRaw::default(), BTreeMap::new()),
        };

        // [ACTIONS]: target → action.
        let mut entries: Vec<(String, Action, String)> = Vec::new();
        if let Some(table) = top.table("ACTIONS")? {
            let mut sec = Section::new(String::from("ACTIONS"), table);
            for target in table.keys() {
                let key = sec.key(target);
                let value = sec.string(target)?.unwrap_or_default();
                let action = Action::parse(value.trim()).map_err(|e| {
                    ConfigError::new(
                        key.clone(),
                        format!(
                            "{e} in {value:?} (expected store, mail, mastodon, shell or drop, optionally with .instance)"
                        ),
                    )
                })?;
                if target.trim().is_empty() {
                    return Err(ConfigError::new(key, "empty target"));
                }
                check_target(target.trim(), &key, &mut w);
                entries.push((target.trim().to_owned(), action, key));
            }
            sec.finish(&mut w);
        }

        if let Some(table) = top.table("DNS")? {
            c.dns = Some(read_dns(table, &mut w)?);
        }
        if let Some(table) = top.table("LIMITS")? {
            c.limits = read_limits(table, &mut w)?;
        }
        top.finish(&mut w);

        // Defaults for unlisted targets.
        let default_email = if c.mail.is_some() {
            Action::new(ActionKind::Mail)
        } else {
            w.push(String::from(
                "MAIL_SERVER is not set: e-mails to recipients without an [ACTIONS] entry are stored, not mailed",
            ));
            Action::new(ActionKind::Store)
        };
        c.routes = Routes::new(Action::new(ActionKind::Store), default_email.clone());
        for (target, action, _) in &entries {
            c.routes.insert(target, action.clone());
        }

        // Every action in use: (action, key to blame, how it is used).
        let mut uses: Vec<(Action, String, String)> = entries
            .iter()
            .map(|(_, a, key)| (a.clone(), key.clone(), format!("{key} = \"{a}\"")))
            .collect();
        uses.push((
            default_email,
            String::from("MAIL_SERVER"),
            String::from("e-mail recipients without an [ACTIONS] entry are mailed because MAIL_SERVER is set"),
        ));

        for (action, key, why) in &uses {
            if is_forwarding(action.kind) && c.senders.as_ref().is_none_or(Vec::is_empty) {
                return Err(ConfigError::new(
                    "SENDERS",
                    format!(
                        "forwarding needs a SENDERS whitelist: anyone on your WiFi could use it ({why})"
                    ),
                ));
            }
            match action.kind {
                ActionKind::Mail if c.mail.is_none() => {
                    return Err(ConfigError::new(key.clone(), "mail needs MAIL_SERVER"));
                }
                ActionKind::Mail | ActionKind::Drop if action.instance.is_some() => {
                    w.push(format!(
                        "{key}: {}: the instance name is ignored",
                        action.kind.as_str()
                    ));
                }
                _ => {}
            }
        }

        // Sections: errors are fatal where an action uses the section, warnings elsewhere.
        let used = |kind: ActionKind, inst: &Option<String>| {
            uses.iter()
                .find(|(a, _, _)| a.kind == kind && &a.instance == inst)
                .map(|(_, _, why)| format!("needed by {why}"))
        };
        for (action, key, _) in &uses {
            let inst = &action.instance;
            let missing_instance = match action.kind {
                ActionKind::Mastodon => inst
                    .as_ref()
                    .filter(|i| !mastodon_instances.contains_key(*i)),
                ActionKind::Shell => inst.as_ref().filter(|i| !shell_instances.contains_key(*i)),
                _ => None,
            };
            if let Some(i) = missing_instance {
                let section = action.kind.as_str().to_ascii_uppercase();
                return Err(ConfigError::new(
                    key.clone(),
                    format!("{action}: there is no [{section}.{i}] section"),
                ));
            }
        }
        let mut mastodon_all = vec![(None, mastodon_defaults.clone())];
        mastodon_all.extend(
            mastodon_instances
                .iter()
                .map(|(n, raw)| (Some(n.clone()), raw.over(&mastodon_defaults))),
        );
        for (name, raw) in mastodon_all {
            let section = name.as_ref().map_or_else(
                || String::from("MASTODON"),
                |n| format!("MASTODON.{}", key_segment(n)),
            );
            match (raw.resolve(&section), used(ActionKind::Mastodon, &name)) {
                (Ok(m), _) => {
                    if m.base_url.starts_with("http://") {
                        w.push(format!(
                            "[{section}] {}: the token is sent unencrypted over http://",
                            m.base_url
                        ));
                    }
                    c.mastodon.insert(name, m);
                }
                (Err(mut e), Some(why)) => {
                    e.reason = format!("{} ({why})", e.reason);
                    return Err(e);
                }
                (Err(_), None) if name.is_none() && raw.is_empty() => {}
                (Err(e), None) => w.push(format!(
                    "[{section}] is not usable, but no action uses it: {}: {}",
                    e.key.unwrap_or_default(),
                    e.reason
                )),
            }
        }
        let mut shell_all = vec![(None, shell_defaults.clone())];
        shell_all.extend(
            shell_instances
                .iter()
                .map(|(n, raw)| (Some(n.clone()), raw.over(&shell_defaults))),
        );
        for (name, raw) in shell_all {
            let section = name.as_ref().map_or_else(
                || String::from("SHELL"),
                |n| format!("SHELL.{}", key_segment(n)),
            );
            match (raw.resolve(&section), used(ActionKind::Shell, &name)) {
                (Ok(s), _) => {
                    // Checked where CMD is written, not again in every instance inheriting it.
                    let own_cmd = name
                        .as_ref()
                        .is_none_or(|n| shell_instances.get(n).is_some_and(|r| r.cmd.is_some()));
                    if let Some(prog) = s
                        .cmd
                        .first()
                        .filter(|p| own_cmd && p.contains('/') && !p.contains('{'))
                        && !Path::new(prog).exists()
                    {
                        w.push(format!("{section}.CMD: {prog} does not exist"));
                    }
                    c.shell.insert(name, s);
                }
                (Err(mut e), Some(why)) => {
                    e.reason = format!("{} ({why})", e.reason);
                    return Err(e);
                }
                (Err(_), None) if name.is_none() && raw.cmd.is_none() && raw.stdin.is_none() => {}
                (Err(e), None) => w.push(format!(
                    "[{section}] is not usable, but no action uses it: {}: {}",
                    e.key.unwrap_or_default(),
                    e.reason
                )),
            }
        }

        // Non-fatal findings.
        if secret.is_empty() {
            if c.insecure_download {
                return Err(ConfigError::new(
                    "SECRET",
                    "missing: INSECURE_DOWNLOAD serves UPLOAD_FOLDER, and without SECRET anyone who knows a user name can compute its folder name",
                ));
            }
            w.push(String::from(
                "SECRET is not set: folder names are derived from an empty key (set SECRET before sharing UPLOAD_FOLDER; changing it later moves every user to a new folder)",
            ));
        } else if secret == EXAMPLE_SECRET {
            w.push(String::from(
                "SECRET is the example value of the reference's config.toml: anyone can compute your folder names; change it (this renames every user's folder)",
            ));
        }
        if c.insecure_download {
            w.push(format!(
                "INSECURE_DOWNLOAD is on: everything under {} can be downloaded without authentication",
                c.upload_folder.display()
            ));
            for (name, folder) in [
                ("SESSION_FOLDER", &c.session_folder),
                ("OUTBOX_FOLDER", &c.outbox_folder),
            ] {
                if is_within(folder, &c.upload_folder) {
                    w.push(format!(
                        "{name} {} is inside UPLOAD_FOLDER, which INSECURE_DOWNLOAD serves to anyone",
                        folder.display()
                    ));
                }
            }
        }
        match &c.senders {
            Some(list) if list.is_empty() => w.push(String::from(
                "SENDERS is empty: no camera may log in or send e-mail",
            )),
            Some(list) => {
                for (user, _) in &c.passwords {
                    if !list.iter().any(|s| s.eq_ignore_ascii_case(user)) {
                        w.push(format!(
                            "PASSWORDS.{}: {user} is not in SENDERS, so it cannot log in at all",
                            key_segment(user)
                        ));
                    }
                }
            }
            None if !c.passwords.is_empty() => w.push(String::from(
                "PASSWORDS without SENDERS: users without a PASSWORDS entry log in with any password",
            )),
            None => {}
        }
        c.warnings = w;
        Ok(c)
    }

    /// The samsung-core configuration derived from this one.
    pub fn bridge_config(&self) -> BridgeConfig {
        let core = |d: Duration| {
            samsung_core::time::Duration::from_millis(
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            )
        };
        let defaults = Limits::default();
        BridgeConfig {
            senders: self.senders.clone(),
            passwords: self.passwords.clone(),
            secret: self.secret.clone(),
            routes: self.routes.clone(),
            host_addr: String::from(sns::DEFAULT_HOST_ADDR),
            screen_name: String::from(sns::DEFAULT_SCREEN_NAME),
            limits: Limits {
                max_upload: self.limits.max_upload,
                session_idle: core(self.limits.session_idle),
                session_max_age: defaults.session_max_age.max(core(self.limits.session_idle)),
                head_timeout: core(self.limits.header_timeout),
                body_idle_timeout: core(self.limits.body_timeout),
                ..defaults
            },
            serve_downloads: self.insecure_download,
        }
    }

    /// Human-readable effective routing table for `check-config`. Never
    /// contains a password, token or key.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = self.write_description(&mut out);
        out
    }

    fn write_description(&self, o: &mut String) -> fmt::Result {
        match &self.source {
            Some(p) => writeln!(o, "configuration: {}", p.display())?,
            None => writeln!(o, "configuration: embedded default")?,
        }
        writeln!(o, "listen:         {}", self.listen)?;
        writeln!(o, "upload folder:  {}", self.upload_folder.display())?;
        writeln!(o, "session folder: {}", self.session_folder.display())?;
        writeln!(o, "outbox folder:  {}", self.outbox_folder.display())?;
        if self.insecure_download {
            writeln!(
                o,
                "downloads:      UPLOAD_FOLDER is served without authentication (INSECURE_DOWNLOAD)"
            )?;
        }
        match &self.senders {
            None => writeln!(o, "who may use it: any camera (no SENDERS whitelist)")?,
            Some(list) if list.is_empty() => {
                writeln!(o, "who may use it: nobody (SENDERS is empty)")?
            }
            Some(list) => {
                writeln!(o, "who may use it: the SENDERS whitelist:")?;
                for s in list {
                    let pw = self
                        .passwords
                        .iter()
                        .any(|(u, _)| u.eq_ignore_ascii_case(s));
                    let pw = if pw { " (password: set)" } else { "" };
                    writeln!(o, "  {s}{pw}")?;
                }
            }
        }
        let secret = if self.secret.expose().is_empty() {
            "not set (empty key)"
        } else {
            "set"
        };
        writeln!(o, "folder key:     SECRET {secret}")?;

        writeln!(o, "routes:")?;
        for (target, action) in self.routes.iter() {
            writeln!(o, "  {target} → {}", self.describe_action(action))?;
        }
        writeln!(
            o,
            "  other social sites → {}",
            self.describe_action(self.routes.default_social())
        )?;
        writeln!(
            o,
            "  other e-mail recipients → {}",
            self.describe_action(self.routes.default_email())
        )?;

        match &self.dns {
            None => writeln!(o, "DNS:            off")?,
            Some(d) => {
                let other = if d.nxdomain { "NXDOMAIN" } else { "REFUSED" };
                writeln!(
                    o,
                    "DNS:            {} answers {} for {}; other names {other}",
                    d.listen,
                    d.address,
                    d.names.join(", ")
                )?;
            }
        }
        let l = &self.limits;
        writeln!(
            o,
            "limits:         max upload {}, {} connections, header timeout {} s, body idle timeout {} s, session idle {} s, shutdown grace {} s",
            format_size(l.max_upload),
            l.max_connections,
            l.header_timeout.as_secs(),
            l.body_timeout.as_secs(),
            l.session_idle.as_secs(),
            l.shutdown_grace.as_secs()
        )
    }

    fn describe_action(&self, a: &Action) -> String {
        let name = a.to_string();
        let how = match a.kind {
            ActionKind::Store => {
                let folder = match &a.instance {
                    Some(i) => self.upload_folder.join(i),
                    None => self.upload_folder.join("<HMAC of user>"),
                };
                format!("{}/", folder.display())
            }
            ActionKind::Drop => String::from("discarded"),
            ActionKind::Mail => match &self.mail {
                None => String::from("(no MAIL_SERVER)"),
                Some(m) => {
                    let sec = match m.security {
                        MailSecurity::None => "plain SMTP",
                        MailSecurity::StartTls => "STARTTLS",
                        MailSecurity::Tls => "TLS",
                    };
                    let mut s = format!("SMTP {}:{} {sec}", m.server, m.port);
                    if let Some(u) = &m.username {
                        let _ = write!(s, " as {u}");
                        if m.password.is_some() {
                            s.push_str(" (password: set)");
                        }
                    }
                    match &m.from {
                        Some(f) => {
                            let _ = write!(s, ", From {f}");
                        }
                        None => s.push_str(", From the camera's sender"),
                    }
                    s
                }
            },
            ActionKind::Mastodon => match self.mastodon.get(&a.instance) {
                None => String::from("(not configured)"),
                Some(m) => {
                    let token = match &m.token_file {
                        Some(f) => format!("token: set (from {})", f.display()),
                        None => String::from("token: set (in the config file)"),
                    };
                    let vis = m.visibility.map_or("account default", Visibility::as_str);
                    let mut s = format!("{}, {token}, visibility {vis}", m.base_url);
                    if let Some(p) = &m.postscript {
                        let _ = write!(s, ", postscript {:?}", p);
                    }
                    s
                }
            },
            ActionKind::Shell => match self.shell.get(&a.instance) {
                None => String::from("(not configured)"),
                Some(sh) => {
                    // Only the program: arguments may carry credentials.
                    let prog = sh.cmd.first().map_or("", String::as_str);
                    let mut s = format!(
                        "runs {prog} per file ({} arguments)",
                        sh.cmd.len().saturating_sub(1)
                    );
                    if sh.stdin.is_some() {
                        s.push_str(" with a STDIN template");
                    }
                    s
                }
            },
        };
        format!("{name} → {how}")
    }
}

/// `MAIL_*`: None without `MAIL_SERVER`.
fn read_mail(top: &mut Section<'_>, w: &mut Vec<String>) -> Result<Option<MailConfig>> {
    let server = top.nonempty("MAIL_SERVER")?;
    let port = top.integer("MAIL_PORT", 1, 65535)?;
    let username = top.string("MAIL_USERNAME")?.filter(|u| !u.is_empty());
    let password = top.secret("MAIL_PASSWORD")?.filter(|p| !p.is_empty());
    let tls = top.boolean("MAIL_USE_TLS")?.unwrap_or(false);
    let ssl = top.boolean("MAIL_USE_SSL")?.unwrap_or(false);
    let from = match top.get("MAIL_DEFAULT_SENDER") {
        None => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        // Flask-Mail also takes a (name, address) pair.
        Some(Value::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
            (Value::String(name), Value::String(addr)) => {
                Some(format!("{} <{}>", name.trim(), addr.trim()))
            }
            _ => {
                return Err(top.type_error(
                    "MAIL_DEFAULT_SENDER",
                    "a string or [name, address]",
                    &a[0],
                    false,
                ));
            }
        },
        Some(v) => {
            return Err(top.type_error(
                "MAIL_DEFAULT_SENDER",
                "a string or [name, address]",
                v,
                false,
            ));
        }
    };
    let from = top
        .nonempty("MAIL_FROM")?
        .or(from)
        .filter(|f| !f.is_empty());
    let Some(server) = server else {
        let set: Vec<&str> = [
            "MAIL_PORT",
            "MAIL_USERNAME",
            "MAIL_PASSWORD",
            "MAIL_USE_TLS",
            "MAIL_USE_SSL",
        ]
        .into_iter()
        .filter(|k| top.table.contains_key(*k))
        .collect();
        if !set.is_empty() {
            w.push(format!(
                "{} ignored: MAIL_SERVER is not set",
                set.join(", ")
            ));
        }
        return Ok(None);
    };
    if tls && ssl {
        return Err(ConfigError::new(
            "MAIL_USE_SSL",
            "MAIL_USE_SSL (TLS from the start, port 465) and MAIL_USE_TLS (STARTTLS, port 587) exclude each other",
        ));
    }
    let security = match (tls, ssl) {
        (_, true) => MailSecurity::Tls,
        (true, false) => MailSecurity::StartTls,
        (false, false) => MailSecurity::None,
    };
    if server.eq_ignore_ascii_case("CHANGEME") {
        w.push(String::from(
            "MAIL_SERVER is \"CHANGEME\", the placeholder of the reference's example config",
        ));
    }
    let local = ["localhost", "127.0.0.1", "::1"].contains(&server.as_str());
    if security == MailSecurity::None && password.is_some() && !local {
        w.push(format!(
            "MAIL_PASSWORD is sent unencrypted to {server}: set MAIL_USE_TLS = true (STARTTLS) or MAIL_USE_SSL = true"
        ));
    }
    if password.is_some() && username.is_none() {
        w.push(String::from(
            "MAIL_PASSWORD ignored: MAIL_USERNAME is not set",
        ));
    }
    let port = match port {
        Some(p) => u16::try_from(p).unwrap_or(DEFAULT_MAIL_PORT),
        None if security == MailSecurity::Tls => DEFAULT_MAIL_SSL_PORT,
        None => DEFAULT_MAIL_PORT,
    };
    Ok(Some(MailConfig {
        server,
        port,
        password: password.filter(|_| username.is_some()).map(Secret::new),
        username,
        security,
        from,
    }))
}

/// Warnings about an `[ACTIONS]` target that no camera will ever send.
fn check_target(target: &str, key: &str, w: &mut Vec<String>) {
    if target.contains('@') {
        return;
    }
    let site = target.to_ascii_lowercase();
    if sns::OAUTH_SITES.contains(&site.as_str()) {
        w.push(format!(
            "{key}: cameras log in to {target} through OAuth, which samsung-bridge cannot do; this entry is never used"
        ));
    } else if !sns::SITES.contains(&site.as_str()) {
        w.push(format!(
            "{key}: {target} is neither a site the cameras know ({}) nor an e-mail address",
            sns::SITES.join(", ")
        ));
    }
}

fn read_dns(table: &Table, w: &mut Vec<String>) -> Result<DnsConfig> {
    let mut sec = Section::new(String::from("DNS"), table);
    let listen = match sec.socket_addr("LISTEN")? {
        Some(a) => a,
        None => DEFAULT_DNS_LISTEN,
    };
    let Some(address) = sec.string("ADDRESS")? else {
        return Err(ConfigError::new(
            "DNS.ADDRESS",
            "missing: the IPv4 address the Samsung host names resolve to (this machine's, e.g. \"10.0.0.1\")",
        ));
    };
    let address: Ipv4Addr = address.trim().parse().map_err(|_| {
        ConfigError::new(
            "DNS.ADDRESS",
            format!("expected an IPv4 address like \"10.0.0.1\", got {address:?}"),
        )
    })?;
    match dns::address_fit(address.octets()) {
        AddressFit::Recommended => {}
        AddressFit::Untested => w.push(format!(
            "DNS.ADDRESS {address}: cameras are known to work with 10.x.x.x addresses; this one is untested"
        )),
        AddressFit::Rejected => w.push(format!(
            "DNS.ADDRESS {address}: cameras reject this address (192.168.x.x looks like a hotspot to them; loopback and multicast are unreachable); use a 10.x.x.x address"
        )),
    }
    let names = sec.string_list("NAMES")?.unwrap_or_else(|| {
        dns::SAMSUNG_HOSTNAMES
            .iter()
            .map(|n| String::from(*n))
            .collect()
    });
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let responder = DnsResponder::new(&refs, address.octets(), dns::DEFAULT_TTL, Unlisted::Refused)
        .map_err(|e| {
            ConfigError::new(
                "DNS.NAMES",
                format!(
                    "{e} (at most {} names of at most {} bytes)",
                    dns::MAX_NAMES,
                    dns::MAX_NAME_LEN
                ),
            )
        })?;
    let names: Vec<String> = responder.names().map(String::from).collect();
    if names.is_empty() {
        w.push(String::from(
            "DNS.NAMES is empty: the DNS listener answers nothing",
        ));
    }
    let nxdomain = match sec
        .string("UNLISTED")?
        .map(|s| s.trim().to_ascii_lowercase())
    {
        None => false,
        Some(s) if s == "refused" => false,
        Some(s) if s == "nxdomain" => true,
        Some(s) => {
            return Err(ConfigError::new(
                "DNS.UNLISTED",
                format!("expected \"refused\" or \"nxdomain\", got {s:?}"),
            ));
        }
    };
    sec.finish(w);
    Ok(DnsConfig {
        listen,
        address,
        names,
        nxdomain,
    })
}

fn read_limits(table: &Table, w: &mut Vec<String>) -> Result<LimitsConfig> {
    let mut sec = Section::new(String::from("LIMITS"), table);
    let mut l = LimitsConfig::default();
    match sec.get("MAX_UPLOAD") {
        None => {}
        Some(v) => {
            let n = match v {
                Value::Integer(i) => u64::try_from(*i).ok(),
                Value::String(s) => parse_size(s),
                _ => None,
            };
            l.max_upload = n.filter(|n| *n > 0).ok_or_else(|| {
                sec.type_error(
                    "MAX_UPLOAD",
                    "a size in bytes (4294967296) or with a unit (\"4 GiB\", \"500MB\")",
                    v,
                    false,
                )
            })?;
        }
    }
    if let Some(n) = sec.integer("MAX_CONNECTIONS", 1, 1_000_000)? {
        l.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(d) = sec.seconds("HEADER_TIMEOUT", 1)? {
        l.header_timeout = d;
    }
    if let Some(d) = sec.seconds("BODY_TIMEOUT", 1)? {
        l.body_timeout = d;
    }
    if let Some(d) = sec.seconds("SESSION_IDLE", 1)? {
        l.session_idle = d;
    }
    if let Some(d) = sec.seconds("SHUTDOWN_GRACE", 0)? {
        l.shutdown_grace = d;
    }
    sec.finish(w);
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const REFERENCE: &str = include_str!("../tests/config/reference-example.toml");
    const REFERENCE_2024: &str = include_str!("../tests/config/reference-2024.toml");
    const FULL: &str = include_str!("../tests/config/full.toml");

    /// A file or directory under a fresh temp directory, removed on drop.
    struct Temp {
        dir: PathBuf,
        path: PathBuf,
    }

    impl std::ops::Deref for Temp {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.path
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn scratch() -> Temp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "samsung-bridge-config-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Temp {
            path: dir.clone(),
            dir,
        }
    }

    fn token_file(content: &str) -> Temp {
        let mut t = scratch();
        t.path = t.dir.join("mastodon.secret");
        std::fs::write(&t.path, content).unwrap();
        t
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
        let file =
            token_file("tok-from-file\nhttps://mastodon.example/\nclient-id\nclient-secret\n");
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
}
