//! `config.toml`, read the same way by every frontend: the Python reference
//! server's keys, unchanged, plus ours (LISTEN, `[PASSWORDS]`, OUTBOX_FOLDER,
//! `[DNS]`, `[LIMITS]`, …), parsed and validated into typed values.
//!
//! Every error names the key and the reason ([`ConfigError`]); every key
//! nobody reads becomes a warning; secrets (passwords, tokens, `SECRET`) live
//! in [`Secret`] and are never part of an error, a warning or
//! [`Config::describe`]. The core reads no file: the files a configuration
//! names (Mastodon token files) and the programs it runs are looked up
//! through the frontend's [`Files`].
//!
//! # Use
//!
//! ```
//! use samsung_core::config::{Config, Feature, NoFiles, Section, value::Value};
//!
//! let text = "SENDERS = [\"cam@example.org\"]\n[WIFI]\nSSID = \"phone\"\n";
//! let mut parsed = Config::parse(text, &mut NoFiles)?;
//! // A frontend takes its own sections before the rest is warned about.
//! let wifi = parsed.claim("WIFI");
//! let mut config = parsed.finish();
//! if let Some(Value::Table(table)) = &wifi {
//!     let mut section = Section::new(String::from("WIFI"), table);
//!     assert_eq!(section.string("SSID")?.as_deref(), Some("phone"));
//!     section.finish(&mut config.warnings);
//! }
//! assert!(!config.warnings.iter().any(|w| w.contains("WIFI")));
//! // And refuses what it cannot do, naming the keys that ask for it.
//! config.refuse(&[Feature::Shell], "this firmware")?;
//! # Ok::<(), samsung_core::config::ConfigError>(())
//! ```

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use crate::crypto::Secret;
use crate::route::{ActionKind, Routes};
use crate::sns::{self, BridgeConfig, Limits};

mod check;
mod describe;
mod dns;
mod features;
mod instances;
mod limits;
mod mail;
mod mastodon;
mod parse;
mod shell;
#[cfg(test)]
mod tests;
mod token;
pub mod value;
mod walk;

pub use dns::DnsConfig;
pub use features::{Feature, FeatureUse};
pub use limits::LimitsConfig;
pub use mail::{MailConfig, MailSecurity};
pub use mastodon::MastodonConfig;
pub use parse::Parsed;
pub use shell::ShellConfig;
pub use token::{TokenFile, TokenFileError, UrlError, normalize_base_url};
pub use walk::{Section, key_segment};

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

/// A fatal configuration problem: which key, why. The frontend adds the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted path of the key (`MASTODON.friends.TOKEN`, `ACTIONS."a@b.c"`);
    /// None when the whole text is at fault.
    pub key: Option<String>,
    /// What is wrong, for a person.
    pub reason: String,
}

impl ConfigError {
    /// An error of `key`.
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.reason)
    }
}

impl core::error::Error for ConfigError {}

/// Why a file could not be read, in the words the errors use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Nothing at that path.
    #[error("does not exist")]
    NotFound,
    /// Not readable for this process.
    #[error("permission denied")]
    PermissionDenied,
    /// A directory, not a file.
    #[error("is a directory")]
    IsADirectory,
    /// Not UTF-8.
    #[error("is not UTF-8 text")]
    NotText,
    /// Anything else, as the platform says it.
    #[error("{0}")]
    Other(String),
}

/// The frontend's file system, as far as the configuration needs it: token
/// files named by `TOKEN`, and programs named by `CMD` (only for a warning).
/// Relative paths are resolved as the frontend chooses (the daemon: against
/// its working directory, like the reference).
pub trait Files {
    /// The text of the file at `path`.
    fn read(&mut self, path: &str) -> Result<String, ReadError>;
    /// Whether anything exists at `path`.
    fn exists(&mut self, path: &str) -> bool;
}

/// No file system: nothing exists, so `TOKEN` must be the token itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFiles;

impl Files for NoFiles {
    fn read(&mut self, _path: &str) -> Result<String, ReadError> {
        Err(ReadError::NotFound)
    }
    fn exists(&mut self, _path: &str) -> bool {
        false
    }
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `LISTEN`.
    pub listen: SocketAddr,
    /// `UPLOAD_FOLDER`, as written.
    pub upload_folder: String,
    /// `SESSION_FOLDER`, as written.
    pub session_folder: String,
    /// `OUTBOX_FOLDER`, as written.
    pub outbox_folder: String,
    /// `INSECURE_DOWNLOAD`.
    pub insecure_download: bool,
    /// `SENDERS`, trimmed, without duplicates; None: accept everybody
    /// (embedded default).
    pub senders: Option<Vec<String>>,
    /// `[PASSWORDS]`: user → password.
    pub passwords: Vec<(String, Secret<String>)>,
    /// `SECRET`, the key of the folder names.
    pub secret: Secret<Vec<u8>>,
    /// `MAIL_*`; None without `MAIL_SERVER`.
    pub mail: Option<MailConfig>,
    /// Key None = `[MASTODON]` defaults, Some(name) = `[MASTODON.<name>]`.
    pub mastodon: BTreeMap<Option<String>, MastodonConfig>,
    /// Key None = `[SHELL]`, Some(name) = `[SHELL.<name>]`.
    pub shell: BTreeMap<Option<String>, ShellConfig>,
    /// `[ACTIONS]` and the defaults for targets without an entry.
    pub routes: Routes,
    /// `[DNS]`; None: no DNS listener.
    pub dns: Option<DnsConfig>,
    /// `[LIMITS]`.
    pub limits: LimitsConfig,
    /// Unknown keys and other non-fatal findings, for the log at start-up.
    pub warnings: Vec<String>,
}

impl Config {
    /// The embedded default: listen 0.0.0.0:8080, UPLOAD_FOLDER ./uploads,
    /// SESSION_FOLDER ./state/sessions, OUTBOX ./state/outbox, accept any
    /// camera, store everything ([`Routes::default`]), forward nothing, no
    /// DNS listener, [`LimitsConfig::default`].
    pub fn embedded_default() -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            upload_folder: String::from(DEFAULT_UPLOAD_FOLDER),
            session_folder: String::from(DEFAULT_SESSION_FOLDER),
            outbox_folder: String::from(DEFAULT_OUTBOX_FOLDER),
            insecure_download: false,
            senders: None,
            passwords: Vec::new(),
            secret: Secret::new(Vec::new()),
            mail: None,
            mastodon: BTreeMap::new(),
            shell: BTreeMap::new(),
            routes: Routes::default(),
            dns: None,
            limits: LimitsConfig::default(),
            warnings: Vec::new(),
        }
    }

    /// The [`sns::Bridge`] configuration derived from this one.
    pub fn bridge_config(&self) -> BridgeConfig {
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
                session_idle: self.limits.session_idle,
                session_max_age: defaults.session_max_age.max(self.limits.session_idle),
                head_timeout: self.limits.header_timeout,
                body_idle_timeout: self.limits.body_timeout,
                ..defaults
            },
            serve_downloads: self.insecure_download,
        }
    }
}

/// Whether an action sends files off this machine.
fn is_forwarding(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::Mail | ActionKind::Mastodon | ActionKind::Shell
    )
}

/// The section name of an instance: `MASTODON`, `MASTODON.friends`, `SHELL."a b"`.
fn section_name(kind: &str, instance: Option<&str>) -> String {
    match instance {
        None => String::from(kind),
        Some(i) => alloc::format!("{kind}.{}", key_segment(i)),
    }
}
