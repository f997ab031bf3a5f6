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

mod input;
mod sections;
#[cfg(test)]
mod tests;

use input::*;
use sections::*;

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
