//! Mail jobs over lettre: the camera's From/To/Subject/body, every attachment
//! with its name and type, STARTTLS / TLS / auth as configured.

use std::fs;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport as _};
use samsung_core::retry::smtp_failure_kind;
use tracing::warn;

use super::worker::{Attempt, Failure, Stop};
use crate::config::{MailConfig, MailSecurity};
use samsung_host::outbox::disk::{self, MailSpec};

/// One attempt at a mail job; Ok(summary) when the smarthost took it.
pub(crate) fn run(a: &Attempt<'_>, spec: &MailSpec) -> Result<String, Stop> {
    let cfg = a
        .settings()
        .mail
        .as_ref()
        .ok_or_else(|| Failure::permanent("no MAIL_SERVER in the configuration"))?;
    let (message, recipients) = build_message(a, spec, cfg)?;
    let transport = transport(cfg, a.settings().smtp_timeout)?;
    transport.send(&message).map_err(|e| {
        let kind = smtp_failure_kind(e.status().map(u16::from), e.is_client());
        Failure::new(kind, format!("SMTP {}:{}: {e}", cfg.server, cfg.port))
    })?;
    Ok(format!(
        "mail sent to {}",
        disk::count(recipients, "recipient")
    ))
}

fn build_message(
    a: &Attempt<'_>,
    spec: &MailSpec,
    cfg: &MailConfig,
) -> Result<(Message, usize), Failure> {
    let from_text = cfg.from.as_deref().unwrap_or(&spec.from);
    let from: Mailbox = from_text.trim().parse().map_err(|e| {
        Failure::permanent(format!("sender {from_text:?} is not a mail address: {e}"))
    })?;
    let mut b = Message::builder()
        .from(from)
        .subject(spec.subject.as_str())
        // Stable across retries: a receiver can drop the duplicate of a
        // mail whose delivery was not recorded before a crash.
        .message_id(Some(format!("<{}@samsung-bridge.local>", a.job.id)));
    if cfg.from.is_some()
        && let Ok(camera) = spec.from.trim().parse::<Mailbox>()
    {
        b = b.reply_to(camera);
    }
    let mut recipients = 0;
    for to in &spec.to {
        match to.trim().parse::<Mailbox>() {
            Ok(m) => {
                b = b.to(m);
                recipients += 1;
            }
            Err(e) => warn!(job = %a.job.id, "skipping recipient {to:?}: {e}"),
        }
    }
    if recipients == 0 {
        return Err(Failure::permanent("no valid recipient address"));
    }
    let text = SinglePart::plain(spec.body.clone());
    let built = if spec.attachments.is_empty() {
        b.singlepart(text)
    } else {
        let mut parts = MultiPart::mixed().singlepart(text);
        for att in &spec.attachments {
            // lettre builds the whole message in memory (base64: 4/3 of the file).
            let path = a.dir.join(&att.file);
            let data = fs::read(&path)
                .map_err(|e| Failure::permanent(format!("attachment {}: {e}", path.display())))?;
            let ct = samsung_core::media::content_type(att.content_type.as_deref(), &att.file_name);
            let ct = ContentType::parse(&ct).map_err(|e| {
                Failure::permanent(format!("attachment {}: type {ct:?}: {e}", att.file_name))
            })?;
            parts = parts.singlepart(Attachment::new(att.file_name.clone()).body(data, ct));
        }
        b.multipart(parts)
    };
    let message =
        built.map_err(|e| Failure::permanent(format!("cannot build the message: {e}")))?;
    Ok((message, recipients))
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
