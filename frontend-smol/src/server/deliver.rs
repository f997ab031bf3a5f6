//! What happens to a received upload or e-mail once its bytes are complete:
//! fsync, then store, queue in the outbox or drop — before the camera is
//! told `succ`.

use super::*;

pub(super) fn instance(action: &Action) -> Option<&str> {
    action.instance.as_deref()
}

/// Makes a received social upload durable and applies its action; returns
/// whether the camera may be told `succ`.
pub(super) fn finish_upload(
    store: &Store,
    outbox: &Outbox,
    u: &Upload,
    mut temp: TempFile,
) -> bool {
    if let Err(e) = temp.sync() {
        tracing::error!("upload {} not stored: fsync failed: {e}", u.file_name);
        temp.discard();
        return false;
    }
    let result: io::Result<String> = (|| match u.action.kind {
        ActionKind::Drop => Ok(String::from("dropped (action drop)")),
        ActionKind::Store | ActionKind::Mail => {
            let path = store.place(&temp.path, &u.folder, &u.file_name)?;
            if u.action.kind == ActionKind::Mail {
                tracing::warn!(
                    "action mail for site {}: the social API has no recipient; stored only",
                    u.site
                );
            }
            Ok(format!("stored {}", path.display()))
        }
        ActionKind::Shell => {
            let path = store.place(&temp.path, &u.folder, &u.file_name)?;
            let job = outbox.enqueue_shell(
                instance(&u.action),
                ShellValues {
                    sender: u.user.clone(),
                    recipient: u.site.clone(),
                    filename: path.display().to_string(),
                    subject: u.batch.album.clone().unwrap_or_default(),
                    body: u.batch.caption.clone(),
                },
            )?;
            Ok(format!("stored {}, queued shell job {job}", path.display()))
        }
        ActionKind::Mastodon => {
            outbox.add_batch_media(
                instance(&u.action),
                &u.batch,
                &temp.path,
                &u.file_name,
                u.content_type.as_deref(),
            )?;
            let mut what = format!(
                "queued for {} (batch {}, photo {}{})",
                u.action,
                u.batch.id,
                u.batch.index + 1,
                u.batch
                    .expected
                    .map(|n| format!(" of {n}"))
                    .unwrap_or_default()
            );
            if u.batch.last
                && let Some(job) = outbox.finish_batch(&u.batch.id)?
            {
                what.push_str(&format!("; batch complete, outbox job {job}"));
            }
            Ok(what)
        }
    })();
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

/// Makes a received e-mail durable and applies every recipient's action.
pub(super) fn finish_email(
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
    let result = apply_email(store, outbox, email, &files);
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

pub(super) fn apply_email(
    store: &Store,
    outbox: &Outbox,
    email: &Email,
    files: &[(Attachment, TempFile)],
) -> io::Result<Vec<String>> {
    let mut done = Vec::new();
    let mut mail_to = Vec::new();
    for route in &email.routes {
        let action = &route.action;
        match action.kind {
            ActionKind::Drop => done.push(format!("{}: dropped", route.recipient)),
            ActionKind::Mail => mail_to.push(route.recipient.clone()),
            ActionKind::Store | ActionKind::Shell => {
                let folder = action
                    .instance
                    .clone()
                    .filter(|_| action.kind == ActionKind::Store)
                    .unwrap_or_else(|| email.folder.clone());
                for (a, t) in files {
                    let path = store.place(&t.path, &folder, &a.file_name)?;
                    if action.kind == ActionKind::Shell {
                        let job = outbox.enqueue_shell(
                            instance(action),
                            ShellValues {
                                sender: email.sender_address.clone(),
                                recipient: route.recipient.clone(),
                                filename: path.display().to_string(),
                                subject: email.message.title.clone(),
                                body: email.message.body.clone(),
                            },
                        )?;
                        done.push(format!("{}: shell job {job}", route.recipient));
                    } else {
                        done.push(format!("{}: stored {}", route.recipient, path.display()));
                    }
                }
            }
            ActionKind::Mastodon => {
                let media: Vec<MediaFile> = files
                    .iter()
                    .enumerate()
                    .map(|(i, (a, t))| MediaFile {
                        path: t.path.clone(),
                        file_name: a.file_name.clone(),
                        content_type: a.content_type.clone(),
                        alt: email.alts.get(i).cloned(),
                    })
                    .collect();
                let job =
                    outbox.enqueue_mastodon(instance(action), &email.caption, None, &media)?;
                done.push(format!(
                    "{}: queued as {} job {job}",
                    route.recipient, action
                ));
            }
        }
    }
    if !mail_to.is_empty() {
        let job = outbox.enqueue_mail(MailJob {
            from: email.message.sender.clone(),
            to: mail_to.clone(),
            subject: email.message.title.clone(),
            body: email.message.body.clone(),
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
        done.push(format!(
            "mail to {} queued as job {job}",
            mail_to.join(", ")
        ));
    }
    Ok(done)
}
