//! `config.toml` from a file, as the std frontends read it: the core's
//! model ([`samsung_core::config`]) plus what a file system adds — the
//! file's name (in errors and `check-config`), token files and programs
//! looked up relative to the working directory (like the reference), and
//! the folders as [`Path`]s. The daemon and the WASI component load their
//! configuration with this one copy; each then refuses what it cannot do.

use std::fmt;
use std::path::{Path, PathBuf};

use samsung_core::config as model;
use samsung_core::sns::BridgeConfig;

/// The effective configuration: the core's model and where it came from.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (None: embedded default).
    pub source: Option<PathBuf>,
    /// What the file says; command-line overrides are written here too, so
    /// that `check-config`, the log and the core see the same values.
    pub model: model::Config,
}

/// A fatal configuration problem: which file, which key, why.
#[derive(Debug)]
pub struct ConfigError {
    /// None: the text did not come from a file.
    pub file: Option<PathBuf>,
    /// The key and the reason, as the core found them.
    pub error: model::ConfigError,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The core's embedded default ([`model::Config::embedded_default`]):
    /// accept any camera, store everything, forward nothing.
    pub fn embedded_default() -> Self {
        Self {
            source: None,
            model: model::Config::embedded_default(),
        }
    }

    /// Loads a reference-compatible config.toml. Errors name the file, the key and the reason.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            error: model::ConfigError {
                key: None,
                reason: format!("cannot read the configuration: {}", read_error(&e)),
            },
        })?;
        Self::from_str(&text, Some(path))
    }

    /// Parses configuration text; `path` is where it came from (for messages
    /// and [`Config::source`]). Token files are read relative to the working
    /// directory, like the reference.
    pub fn from_str(text: &str, path: Option<&Path>) -> Result<Self, ConfigError> {
        let parsed = model::Config::parse(text, &mut FileSystem).map_err(|error| ConfigError {
            file: path.map(Path::to_path_buf),
            error,
        })?;
        Ok(Self {
            source: path.map(Path::to_path_buf),
            model: parsed.finish(),
        })
    }

    /// `UPLOAD_FOLDER`.
    pub fn upload_folder(&self) -> &Path {
        Path::new(&self.model.upload_folder)
    }

    /// `SESSION_FOLDER`.
    pub fn session_folder(&self) -> &Path {
        Path::new(&self.model.session_folder)
    }

    /// `OUTBOX_FOLDER`.
    pub fn outbox_folder(&self) -> &Path {
        Path::new(&self.model.outbox_folder)
    }

    /// The samsung-core configuration derived from this one.
    pub fn bridge_config(&self) -> BridgeConfig {
        self.model.bridge_config()
    }

    /// Human-readable effective routing table for `check-config`. Never
    /// contains a password, token or key.
    pub fn describe(&self) -> String {
        let source = self.source.as_ref().map(|p| p.display().to_string());
        self.model.describe(source.as_deref())
    }
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

/// An I/O error as the core's [`model::ReadError`].
pub fn read_error(e: &std::io::Error) -> model::ReadError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => model::ReadError::NotFound,
        ErrorKind::PermissionDenied => model::ReadError::PermissionDenied,
        ErrorKind::IsADirectory => model::ReadError::IsADirectory,
        ErrorKind::InvalidData => model::ReadError::NotText,
        _ => model::ReadError::Other(e.to_string()),
    }
}
