//! Runs the core's delivery plan for a received upload or e-mail: fsync,
//! then place files, queue outbox jobs or drop — before the camera is told
//! `succ`. What happens is decided by `samsung_core::deliver`; this file
//! only executes the steps and logs what each did.

use std::io;
use std::path::Path;

use samsung_core::conn::Attachment;
use samsung_core::deliver::{self, Delivery};
use samsung_core::route::{Action, ActionKind};
use samsung_core::sns::{Email, Upload};

use crate::outbox::{MailJob, MediaFile, Outbox, ShellValues};
use crate::store::{Store, TempFile};

/// Makes a received social upload durable and runs its plan; returns
/// whether the camera may be told `succ` (`Connection::handle_stored`).
/// Blocking (fsync, links, job commits): an async frontend runs it off its
/// event loop.
pub fn finish_upload(store: &Store, outbox: &Outbox, u: &Upload, mut temp: TempFile) -> bool {
    if let Err(e) = temp.sync() {
        tracing::error!("upload {} not stored: fsync failed: {e}", u.file_name);
        temp.discard();
        return false;
    }
    let result = run_upload_plan(store, outbox, u, &temp);
    temp.discard();
    match result {
        Ok(what) => {
            tracing::info!(
                user = %u.user,
                site = %u.site,
                bytes = u.length,
                "upload {}: {what}",
                u.file_name
            );
            true
        }
        Err(e) => {
            tracing::error!("upload {} not stored: {e}", u.file_name);
            false
        }
    }
}

fn run_upload_plan(
    store: &Store,
    outbox: &Outbox,
    u: &Upload,
    temp: &TempFile,
) -> io::Result<String> {
    let mut done = Vec::new();
    for step in deliver::plan_upload(u) {
        match step {
            Delivery::Drop { .. } => done.push(String::from("dropped (action drop)")),
            Delivery::Store { folder, .. } => {
                let path = store.place(&temp.path, &folder, &u.file_name)?;
                done.push(format!("stored {}", path.display()));
            }
            Delivery::Shell {
                instance,
                folder,
                values,
            } => {
                let path = store.place(&temp.path, &folder, &u.file_name)?;
                let job = outbox.enqueue_shell(instance.as_deref(), shell_values(values, &path))?;
                done.push(format!("stored {}, queued shell job {job}", path.display()));
            }
            Delivery::AddToBatch { instance, batch } => {
                outbox.add_batch_media(
                    instance.as_deref(),
                    &batch,
                    &temp.path,
                    &u.file_name,
                    u.content_type.as_deref(),
                )?;
                done.push(format!(
                    "queued for {} (batch {}, photo {}{})",
                    mastodon(instance),
                    batch.id,
                    batch.index + 1,
                    batch
                        .expected
                        .map(|n| format!(" of {n}"))
                        .unwrap_or_default()
                ));
            }
            Delivery::CloseBatch { batch } => {
                if let Some(job) = outbox.finish_batch(&batch)? {
                    done.push(format!("batch complete, outbox job {job}"));
                }
            }
            Delivery::Warning(w) => tracing::warn!("{w}"),
            other => return Err(unknown_step(&other)),
        }
    }
    Ok(done.join("; "))
}

/// Makes a received e-mail durable and runs its plan (every recipient's
/// action); returns whether the camera may be told `succ`.
pub fn finish_email(
    store: &Store,
    outbox: &Outbox,
    email: &Email,
    mut files: Vec<(Attachment, TempFile)>,
) -> bool {
    for (a, t) in &mut files {
        if let Err(e) = t.sync() {
            tracing::error!("e-mail attachment {} not stored: {e}", a.file_name);
            files.into_iter().for_each(|(_, t)| t.discard());
            return false;
        }
    }
    let result = run_email_plan(store, outbox, email, &files);
    files.into_iter().for_each(|(_, t)| t.discard());
    match result {
        Ok(done) => {
            tracing::info!(
                sender = %email.sender_address,
                attachments = email.attachments,
                "e-mail \"{}\": {}",
                email.message.title,
                done.join("; ")
            );
            true
        }
        Err(e) => {
            tracing::error!("e-mail from {} not accepted: {e}", email.sender_address);
            false
        }
    }
}

fn run_email_plan(
    store: &Store,
    outbox: &Outbox,
    email: &Email,
    files: &[(Attachment, TempFile)],
) -> io::Result<Vec<String>> {
    let mut done = Vec::new();
    for step in deliver::plan_email(email) {
        match step {
            Delivery::Drop { recipient } => {
                done.push(format!("{}: dropped", recipient.unwrap_or_default()));
            }
            Delivery::Store { recipient, folder } => {
                let recipient = recipient.unwrap_or_default();
                for (a, t) in files {
                    let path = store.place(&t.path, &folder, &a.file_name)?;
                    done.push(format!("{recipient}: stored {}", path.display()));
                }
            }
            Delivery::Shell {
                instance,
                folder,
                values,
            } => {
                for (a, t) in files {
                    let path = store.place(&t.path, &folder, &a.file_name)?;
                    let job = outbox
                        .enqueue_shell(instance.as_deref(), shell_values(values.clone(), &path))?;
                    done.push(format!("{}: shell job {job}", values.recipient));
                }
            }
            Delivery::MastodonPost {
                recipient,
                instance,
                caption,
                alts,
            } => {
                let media: Vec<MediaFile> = files
                    .iter()
                    .enumerate()
                    .map(|(i, (a, t))| MediaFile {
                        path: t.path.clone(),
                        file_name: a.file_name.clone(),
                        content_type: a.content_type.clone(),
                        alt: alts.get(i).cloned(),
                    })
                    .collect();
                let job = outbox.enqueue_mastodon(instance.as_deref(), &caption, None, &media)?;
                done.push(format!(
                    "{recipient}: queued as {} job {job}",
                    mastodon(instance)
                ));
            }
            Delivery::Mail(mail) => {
                let to = mail.to.join(", ");
                let job = outbox.enqueue_mail(MailJob {
                    from: mail.from,
                    to: mail.to,
                    subject: mail.subject,
                    body: mail.body,
                    attachments: files
                        .iter()
                        .map(|(a, t)| MediaFile {
                            path: t.path.clone(),
                            file_name: a.file_name.clone(),
                            content_type: a.content_type.clone(),
                            alt: None,
                        })
                        .collect(),
                })?;
                done.push(format!("mail to {to} queued as job {job}"));
            }
            Delivery::Warning(w) => tracing::warn!("{w}"),
            other => return Err(unknown_step(&other)),
        }
    }
    Ok(done)
}

/// The outbox's shell values for a file placed at `path`.
fn shell_values(values: deliver::ShellValues, path: &Path) -> ShellValues {
    ShellValues {
        sender: values.sender,
        recipient: values.recipient,
        filename: path.display().to_string(),
        subject: values.subject,
        body: values.body,
    }
}

/// How the log names a Mastodon target (`mastodon`, `mastodon.friends`).
fn mastodon(instance: Option<String>) -> Action {
    Action {
        kind: ActionKind::Mastodon,
        instance,
    }
}

fn unknown_step(step: &Delivery) -> io::Error {
    io::Error::other(format!("a delivery step this bridge cannot run: {step:?}"))
}
