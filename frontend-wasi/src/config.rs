//! The configuration: the same `config.toml` as the daemon, parsed and
//! checked by the core's model, then refused by name where it asks for
//! something the sandbox cannot do.

use std::fmt;
use std::path::{Path, PathBuf};

use samsung_core::config::{self as model, Feature, MailSecurity};

/// What the component cannot do, whatever the runtime grants: it runs no
/// programs and has no UDP DNS listener.
pub const UNSUPPORTED: &[Feature] = &[Feature::Shell, Feature::Dns];

/// The effective configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (None: the embedded default).
    pub source: Option<PathBuf>,
    /// What the file says, with `--listen` written in.
    pub model: model::Config,
}

impl Config {
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
}

/// A configuration the component does not start with: which file, which
/// key, why.
#[derive(Debug)]
pub struct ConfigError {
    file: Option<String>,
    error: model::ConfigError,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        fmt::Display::fmt(&self.error, f)
    }
}

/// Reads `path` (None: the embedded default), checks it with the core's
/// model and refuses the features in [`UNSUPPORTED`], naming their keys.
pub fn load(path: Option<&str>) -> Result<Config, ConfigError> {
    let Some(path) = path else {
        return Ok(Config {
            source: None,
            model: model::Config::embedded_default(),
        });
    };
    let fail = |error| ConfigError {
        file: Some(path.to_string()),
        error,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(model::ConfigError {
            key: None,
            reason: format!(
                "cannot read the configuration: {} (is its folder pre-opened? \
                 scripts/run-wasi grants it)",
                read_error(&e)
            ),
        })
    })?;
    parse(&text, Some(path))
}

/// Parses configuration text from `path` and refuses what the sandbox
/// cannot do.
pub fn parse(text: &str, path: Option<&str>) -> Result<Config, ConfigError> {
    let fail = |error| ConfigError {
        file: path.map(String::from),
        error,
    };
    let model = model::Config::parse(text, &mut FileSystem)
        .map_err(fail)?
        .finish();
    model
        .refuse(UNSUPPORTED, "the WASI component")
        .map_err(fail)?;
    if let Some(mail) = &model.mail {
        let key = match mail.security {
            MailSecurity::None => None,
            MailSecurity::StartTls => Some("MAIL_USE_TLS"),
            MailSecurity::Tls => Some("MAIL_USE_SSL"),
        };
        if let Some(key) = key {
            return Err(fail(model::ConfigError::new(
                key,
                "the WASI component speaks plain SMTP only (no TLS stack in the sandbox): \
                 use a local relay without TLS, or the daemon",
            )));
        }
    }
    Ok(Config {
        source: path.map(PathBuf::from),
        model,
    })
}

/// Token files, relative to the working directory (inside a pre-opened
/// directory), like the daemon.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_the_sandbox_cannot_serve_are_refused_by_name() {
        let cases = [
            ("[SHELL]\nCMD = [\"/bin/true\"]\n", "[SHELL]"),
            ("[DNS]\nADDRESS = \"10.42.0.1\"\n", "[DNS]"),
            (
                "MAIL_SERVER = \"127.0.0.1\"\nMAIL_USE_TLS = true\n",
                "MAIL_USE_TLS",
            ),
            (
                "MAIL_SERVER = \"127.0.0.1\"\nMAIL_USE_SSL = true\n",
                "MAIL_USE_SSL",
            ),
        ];
        for (text, key) in cases {
            let text = format!("SENDERS = [\"x\"]\n{text}");
            let err = parse(&text, Some("c.toml")).expect_err(&text).to_string();
            assert!(err.starts_with("c.toml: "), "{err}");
            assert!(err.contains(key), "{text}: {err}");
            assert!(err.contains("WASI component"), "{text}: {err}");
        }
        let plain = "SENDERS = [\"x\"]\nMAIL_SERVER = \"127.0.0.1\"\nMAIL_PORT = 2525\n";
        assert!(parse(plain, None).is_ok(), "plain SMTP is served");
    }

    #[test]
    fn store_and_mastodon_configurations_are_accepted() {
        let text = "SECRET = \"xiev5kaMeehaimub\"\nSENDERS = [\"x\"]\nUPLOAD_FOLDER = \"up\"\n\
                    [MASTODON]\nBASE_URL = \"http://127.0.0.1:9\"\nTOKEN = \"t\"\n\
                    [ACTIONS]\nfacebook = \"mastodon\"\n";
        let c = parse(text, None).expect("accepted");
        assert_eq!(c.upload_folder(), Path::new("up"));
        assert!(c.source.is_none());
    }
}
