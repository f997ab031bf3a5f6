//! The configuration: the same `config.toml` as the daemon, loaded by the
//! shared [`samsung_host::config`], then refused by name where it asks for
//! something the sandbox cannot do.

use samsung_core::config::{self as model, Feature, MailSecurity};
pub use samsung_host::config::{Config, ConfigError};

/// What the component cannot do, whatever the runtime grants: it runs no
/// programs and has no UDP DNS listener.
pub const UNSUPPORTED: &[Feature] = &[Feature::Shell, Feature::Dns];

/// Reads `path` (None: the embedded default) and refuses what the sandbox
/// cannot do, naming the keys.
pub fn load(path: Option<&str>) -> Result<Config, ConfigError> {
    let config = match path {
        None => Config::embedded_default(),
        Some(p) => Config::load(std::path::Path::new(p)).map_err(|mut e| {
            if e.error.key.is_none() {
                e.error.reason.push_str(
                    " (is its folder pre-opened? scripts/run-wasi grants the config file's folder)",
                );
            }
            e
        })?,
    };
    refuse(config)
}

/// `config` unless it uses a feature in [`UNSUPPORTED`] or SMTP over TLS.
fn refuse(config: Config) -> Result<Config, ConfigError> {
    let fail = |error| ConfigError {
        file: config.source.clone(),
        error,
    };
    config
        .model
        .refuse(UNSUPPORTED, "the WASI component")
        .map_err(fail)?;
    if let Some(mail) = &config.model.mail {
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
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_str(text, Some(Path::new("c.toml"))).and_then(refuse)
    }

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
            let err = parse(&text).expect_err(&text).to_string();
            assert!(err.starts_with("c.toml: "), "{err}");
            assert!(err.contains(key), "{text}: {err}");
            assert!(err.contains("WASI component"), "{text}: {err}");
        }
        let plain = "SENDERS = [\"x\"]\nMAIL_SERVER = \"127.0.0.1\"\nMAIL_PORT = 2525\n";
        assert!(parse(plain).is_ok(), "plain SMTP is served");
    }

    #[test]
    fn store_and_mastodon_configurations_are_accepted() {
        let text = "SECRET = \"xiev5kaMeehaimub\"\nSENDERS = [\"x\"]\nUPLOAD_FOLDER = \"up\"\n\
                    [MASTODON]\nBASE_URL = \"http://127.0.0.1:9\"\nTOKEN = \"t\"\n\
                    [ACTIONS]\nfacebook = \"mastodon\"\n";
        let c = parse(text).expect("accepted");
        assert_eq!(c.upload_folder(), Path::new("up"));
    }

    #[test]
    fn an_unreadable_file_says_what_to_grant() {
        let err = load(Some("/no/such/dir/config.toml")).expect_err("missing");
        assert!(err.to_string().contains("pre-opened"), "{err}");
    }
}
