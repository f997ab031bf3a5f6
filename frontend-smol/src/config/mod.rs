//! The daemon's configuration: `config.toml` loaded by
//! [`samsung_host::config`] (one copy with the WASI component) over the
//! core's model ([`samsung_core::config`]), which every frontend shares.
//! The daemon runs everything the model offers, so it refuses nothing.

pub use samsung_core::config::{
    DEFAULT_TOKEN_FILE, MailConfig, MailSecurity, TokenFile, normalize_base_url,
};
#[cfg(test)]
pub use samsung_core::config::{MastodonConfig, ShellConfig};
pub use samsung_host::config::Config;
#[cfg(test)]
use samsung_host::config::{ConfigError, read_error};
#[cfg(test)]
use std::path::Path;

#[cfg(test)]
mod tests;
