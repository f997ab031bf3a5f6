//! The daemon's configuration: `config.toml` read from a file and checked by
//! the core's model ([`samsung_core::config`]), which every frontend shares.
//! This module adds what only the daemon has: the file's name in errors,
//! token files and programs looked up in the file system (relative to the
//! working directory, like the reference), paths as [`PathBuf`] and
//! timeouts as [`std::time::Duration`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use samsung_core::config as model;
use samsung_core::crypto::Secret;
use samsung_core::mastodon::Visibility;
use samsung_core::route::Routes;
use samsung_core::sns::BridgeConfig;

pub use model::{
    DEFAULT_TOKEN_FILE, DnsConfig, MailConfig, MailSecurity, ShellConfig, TokenFile,
    normalize_base_url,
};

#[cfg(test)]
mod tests;

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
    pub visibility: Option<Visibility>,
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
        LimitsConfig::from(&model::LimitsConfig::default())
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

impl Config {
    /// The embedded default: listen 0.0.0.0:8080, UPLOAD_FOLDER ./uploads, SESSION_FOLDER ./state/sessions, OUTBOX ./state/outbox, accept any camera (senders None), store everything (social default store, e-mail default store), forward nothing, no DNS listener, default limits (max upload 4 GiB, 256 connections, header timeout 10 s, body idle timeout 60 s, session idle 1 h, shutdown grace 10 s).
    pub fn embedded_default() -> Config {
        Config::from_model(model::Config::embedded_default(), None)
    }

    /// Loads a reference-compatible config.toml. Errors name the file, the key and the reason.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            key: None,
            reason: format!("cannot read the configuration: {}", read_error(&e)),
        })?;
        Config::from_str(&text, Some(path))
    }

    /// Parses configuration text; `path` is where it came from (for messages
    /// and [`Config::source`]). Token files are read relative to the working
    /// directory, like the reference.
    pub fn from_str(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
        let parsed = model::Config::parse(text, &mut FileSystem).map_err(|e| ConfigError {
            file: path.map(Path::to_path_buf),
            key: e.key,
            reason: e.reason,
        })?;
        Ok(Config::from_model(
            parsed.finish(),
            path.map(Path::to_path_buf),
        ))
    }

    /// The samsung-core configuration derived from this one.
    pub fn bridge_config(&self) -> BridgeConfig {
        self.to_model().bridge_config()
    }

    /// Human-readable effective routing table for `check-config`. Never
    /// contains a password, token or key.
    pub fn describe(&self) -> String {
        let source = self.source.as_ref().map(|p| p.display().to_string());
        self.to_model().describe(source.as_deref())
    }

    fn from_model(m: model::Config, source: Option<PathBuf>) -> Config {
        Config {
            source,
            listen: m.listen,
            upload_folder: PathBuf::from(m.upload_folder),
            session_folder: PathBuf::from(m.session_folder),
            outbox_folder: PathBuf::from(m.outbox_folder),
            insecure_download: m.insecure_download,
            senders: m.senders,
            passwords: m.passwords,
            secret: m.secret,
            mail: m.mail,
            mastodon: m
                .mastodon
                .into_iter()
                .map(|(name, a)| (name, MastodonConfig::from(a)))
                .collect(),
            shell: m.shell,
            routes: m.routes,
            dns: m.dns,
            limits: LimitsConfig::from(&m.limits),
            warnings: m.warnings,
        }
    }

    /// The core's view of this configuration (after command-line overrides).
    fn to_model(&self) -> model::Config {
        let path = |p: &Path| p.display().to_string();
        model::Config {
            listen: self.listen,
            upload_folder: path(&self.upload_folder),
            session_folder: path(&self.session_folder),
            outbox_folder: path(&self.outbox_folder),
            insecure_download: self.insecure_download,
            senders: self.senders.clone(),
            passwords: self.passwords.clone(),
            secret: self.secret.clone(),
            mail: self.mail.clone(),
            mastodon: self
                .mastodon
                .iter()
                .map(|(name, a)| {
                    let account = model::MastodonConfig {
                        base_url: a.base_url.clone(),
                        token: a.token.clone(),
                        token_file: a.token_file.as_deref().map(path),
                        postscript: a.postscript.clone(),
                        visibility: a.visibility,
                    };
                    (name.clone(), account)
                })
                .collect(),
            shell: self.shell.clone(),
            routes: self.routes.clone(),
            dns: self.dns.clone(),
            limits: model::LimitsConfig {
                max_upload: self.limits.max_upload,
                max_connections: self.limits.max_connections,
                header_timeout: core_duration(self.limits.header_timeout),
                body_timeout: core_duration(self.limits.body_timeout),
                session_idle: core_duration(self.limits.session_idle),
                shutdown_grace: core_duration(self.limits.shutdown_grace),
            },
            warnings: self.warnings.clone(),
        }
    }
}

impl From<model::MastodonConfig> for MastodonConfig {
    fn from(a: model::MastodonConfig) -> Self {
        MastodonConfig {
            base_url: a.base_url,
            token: a.token,
            token_file: a.token_file.map(PathBuf::from),
            postscript: a.postscript,
            visibility: a.visibility,
        }
    }
}

impl From<&model::LimitsConfig> for LimitsConfig {
    fn from(l: &model::LimitsConfig) -> Self {
        let std = |d: samsung_core::time::Duration| Duration::from_millis(d.as_millis());
        LimitsConfig {
            max_upload: l.max_upload,
            max_connections: l.max_connections,
            header_timeout: std(l.header_timeout),
            body_timeout: std(l.body_timeout),
            session_idle: std(l.session_idle),
            shutdown_grace: std(l.shutdown_grace),
        }
    }
}

fn core_duration(d: Duration) -> samsung_core::time::Duration {
    samsung_core::time::Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Token files and programs, relative to the working directory.
struct FileSystem;

impl model::Files for FileSystem {
    fn read(&mut self, path: &str) -> Result<String, model::ReadError> {
        std::fs::read_to_string(path).map_err(|e| read_error(&e))
    }

    fn exists(&mut self, path: &str) -> bool {
        Path::new(path).exists()
    }
}

fn read_error(e: &std::io::Error) -> model::ReadError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => model::ReadError::NotFound,
        ErrorKind::PermissionDenied => model::ReadError::PermissionDenied,
        ErrorKind::IsADirectory => model::ReadError::IsADirectory,
        ErrorKind::InvalidData => model::ReadError::NotText,
        _ => model::ReadError::Other(e.to_string()),
    }
}
