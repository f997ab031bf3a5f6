//! `MAIL_*`: the SMTP smarthost of the `mail` action (Flask-Mail's keys).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::value::Value;
use super::walk::Section;
use super::{ConfigError, DEFAULT_MAIL_PORT, DEFAULT_MAIL_SSL_PORT};
use crate::crypto::Secret;

/// How to reach the SMTP smarthost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// `MAIL_SERVER`.
    pub server: String,
    /// `MAIL_PORT`, else 587 (465 with `MAIL_USE_SSL`).
    pub port: u16,
    /// `MAIL_USERNAME`.
    pub username: Option<String>,
    /// `MAIL_PASSWORD`, kept only with a user name.
    pub password: Option<Secret<String>>,
    /// `MAIL_USE_TLS` / `MAIL_USE_SSL`.
    pub security: MailSecurity,
    /// Envelope/From override (`MAIL_FROM`/`MAIL_DEFAULT_SENDER`); None: the camera's sender.
    pub from: Option<String>,
}

/// `MAIL_DEFAULT_SENDER`: an address, or Flask-Mail's (name, address) pair.
fn default_sender(top: &mut Section<'_>) -> Result<Option<String>, ConfigError> {
    const EXPECTED: &str = "a string or [name, address]";
    match top.get("MAIL_DEFAULT_SENDER") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(String::from(s.trim()))),
        Some(Value::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
            (Value::String(name), Value::String(addr)) => {
                Ok(Some(format!("{} <{}>", name.trim(), addr.trim())))
            }
            _ => Err(top.type_error("MAIL_DEFAULT_SENDER", EXPECTED, &a[0], false)),
        },
        Some(v) => Err(top.type_error("MAIL_DEFAULT_SENDER", EXPECTED, v, false)),
    }
}

/// `MAIL_*`: None without `MAIL_SERVER`.
pub(super) fn read(
    top: &mut Section<'_>,
    w: &mut Vec<String>,
) -> Result<Option<MailConfig>, ConfigError> {
    let server = top.nonempty("MAIL_SERVER")?;
    let port = top.integer("MAIL_PORT", 1, 65535)?;
    let username = top.string("MAIL_USERNAME")?.filter(|u| !u.is_empty());
    let password = top.secret("MAIL_PASSWORD")?.filter(|p| !p.is_empty());
    let tls = top.boolean("MAIL_USE_TLS")?.unwrap_or(false);
    let ssl = top.boolean("MAIL_USE_SSL")?.unwrap_or(false);
    let from = default_sender(top)?;
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
        .filter(|k| top.table().contains_key(k))
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
