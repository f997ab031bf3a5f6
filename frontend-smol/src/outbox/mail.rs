//! Mail jobs over lettre's SMTP client: the message built by
//! `samsung_host::outbox::mail`, sent with STARTTLS / TLS / auth as
//! configured.

use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport as _};
use samsung_core::retry::smtp_failure_kind;
use samsung_host::outbox::Attempt;
use samsung_host::outbox::disk::MailSpec;
use samsung_host::outbox::mail;

use super::worker::{Failure, Runner, Stop};
use crate::config::{MailConfig, MailSecurity};

/// One attempt at a mail job; Ok(summary) when the smarthost took it.
pub(crate) fn run(a: &Runner<'_>, attempt: &Attempt, spec: &MailSpec) -> Result<String, Stop> {
    let cfg = a
        .settings()
        .mail
        .as_ref()
        .ok_or_else(|| Failure::permanent("no MAIL_SERVER in the configuration"))?;
    let mail = mail::build(attempt, spec, cfg)?;
    let transport = transport(cfg, a.settings().smtp_timeout)?;
    transport.send(&mail.message).map_err(|e| {
        let kind = smtp_failure_kind(e.status().map(u16::from), e.is_client());
        Failure::new(kind, format!("SMTP {}:{}: {e}", cfg.server, cfg.port))
    })?;
    Ok(mail.summary())
}

fn transport(cfg: &MailConfig, timeout: std::time::Duration) -> Result<SmtpTransport, Failure> {
    let tls_error = |e: lettre::transport::smtp::Error| {
        Failure::permanent(format!("SMTP TLS setup for {}: {e}", cfg.server))
    };
    let mut builder = match cfg.security {
        MailSecurity::None => SmtpTransport::builder_dangerous(cfg.server.as_str()),
        MailSecurity::StartTls => SmtpTransport::starttls_relay(&cfg.server).map_err(tls_error)?,
        MailSecurity::Tls => SmtpTransport::relay(&cfg.server).map_err(tls_error)?,
    }
    .port(cfg.port)
    .timeout(Some(timeout));
    if let Some(user) = &cfg.username {
        let password = cfg
            .password
            .as_ref()
            .map(|p| p.expose().clone())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}
