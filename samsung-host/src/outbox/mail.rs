//! Mail jobs: the message a job sends — the camera's From/To/Subject/body,
//! every attachment with its name and type, a Message-ID stable across
//! retries — built here; the frontend sends it with its SMTP client
//! (STARTTLS / TLS / auth as configured) and reports the outcome.

use std::fs;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use samsung_core::config::MailConfig;
use tracing::warn;

use super::disk::{self, MailSpec};
use super::{Attempt, Failure};

/// A job's message, ready to send.
#[derive(Debug)]
pub struct Mail {
    /// The message (`message.envelope()` for SMTP's MAIL FROM / RCPT TO,
    /// `message.formatted()` for DATA).
    pub message: Message,
    /// How many recipients it has (invalid addresses are left out, logged).
    pub recipients: usize,
}

impl Mail {
    /// The job's summary once the smarthost took it.
    pub fn summary(&self) -> String {
        format!("mail sent to {}", disk::count(self.recipients, "recipient"))
    }
}

/// The message of mail job `a` (spec `spec`) under the `[MAIL]` settings
/// `cfg`. Attachments are read from the job's directory: lettre builds the
/// whole message in memory.
pub fn build(a: &Attempt, spec: &MailSpec, cfg: &MailConfig) -> Result<Mail, Failure> {
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
    Ok(Mail {
        message,
        recipients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{MailJob, MediaFile, Outbox, OutboxSettings, disk::JobSpec};
    use crate::testutil::scratch;

    #[test]
    fn the_message_has_every_attachment_and_a_stable_id() {
        let tmp = scratch("mail-build");
        std::fs::write(tmp.join("a.jpg"), b"\xff\xd8 jpeg bytes").unwrap();
        let outbox = Outbox::open(
            &tmp.join("outbox"),
            OutboxSettings::default(),
            Box::new(|| {}),
        )
        .unwrap();
        let id = outbox
            .enqueue_mail(MailJob {
                from: String::from("NX300 <cam@example.org>"),
                to: vec![
                    String::from("a@example.org"),
                    String::from("not an address"),
                ],
                subject: String::from("Holiday"),
                body: String::from("Greetings"),
                attachments: vec![MediaFile {
                    path: tmp.join("a.jpg"),
                    file_name: String::from("SAM_0001.JPG"),
                    content_type: None,
                    alt: None,
                }],
            })
            .unwrap();
        let attempt = outbox.begin(id.as_str()).unwrap();
        let JobSpec::Mail(spec) = &attempt.job.spec else {
            panic!("a mail job")
        };
        let cfg = MailConfig {
            server: String::from("smtp.example.org"),
            port: 587,
            username: None,
            password: None,
            security: samsung_core::config::MailSecurity::StartTls,
            from: Some(String::from("bridge@example.org")),
        };
        let mail = build(&attempt, spec, &cfg).unwrap();
        assert_eq!(mail.recipients, 1);
        assert_eq!(mail.summary(), "mail sent to 1 recipient");
        let text = String::from_utf8_lossy(&mail.message.formatted()).into_owned();
        for needle in [
            "From: bridge@example.org",
            "Reply-To: NX300 <cam@example.org>",
            "To: a@example.org",
            "Subject: Holiday",
            &format!("Message-ID: <{id}@samsung-bridge.local>"),
            "filename=\"SAM_0001.JPG\"",
            "Content-Type: image/jpeg",
        ] {
            assert!(text.contains(needle), "{needle:?} missing in\n{text}");
        }
        let envelope = mail.message.envelope();
        assert_eq!(envelope.to().len(), 1);

        let none = MailSpec {
            to: vec![String::from("nobody")],
            ..spec.clone()
        };
        let e = build(&attempt, &none, &cfg).unwrap_err();
        assert_eq!(e.reason, "no valid recipient address");
    }
}
