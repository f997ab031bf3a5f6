//! The daemon's configuration: the reference's `config.toml`, unchanged,
//! plus our additions (LISTEN, [PASSWORDS], outbox, DNS, limits).
//!
//! (types fixed here; loading/validation being written)

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use samsung_core::crypto::Secret;
use samsung_core::route::Routes;

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
    /// e.g. `https://mastodon.social` or `http://127.0.0.1:3000`.
    pub base_url: String,
    /// The access token (read from the token file when `TOKEN` names a file).
    pub token: Secret<String>,
    pub postscript: Option<String>,
    /// `public`, `unlisted`, `private`, `direct` (None: the account default).
    pub visibility: Option<samsung_core::mastodon::Visibility>,
}

/// One shell action (`[SHELL]` or `[SHELL.<name>]`, after inheritance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellConfig {
    /// argv with `{sender}`, `{recipient}`, `{filename}`, `{subject}`, `{body}` placeholders.
    pub cmd: Vec<String>,
    /// Optional stdin template with the same placeholders.
    pub stdin: Option<String>,
}

/// The optional DNS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    pub listen: SocketAddr,
    /// The address the Samsung names resolve to.
    pub address: Ipv4Addr,
    pub names: Vec<String>,
    /// NXDOMAIN instead of REFUSED for other names.
    pub nxdomain: bool,
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
