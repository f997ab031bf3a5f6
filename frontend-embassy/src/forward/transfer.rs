//! What one camera connection forwards: a social upload or an e-mail's
//! attachments, each streamed into a media upload while it arrives; at the
//! end, the core's delivery plan says which post the media join.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use samsung_core::conn::Attachment;
use samsung_core::deliver::{self, Delivery};
use samsung_core::mastodon::split_alt_texts;
use samsung_core::route::ActionKind;
use samsung_core::sns::{Email, Upload};
use samsung_core::xml::EmailMessage;

use super::posts::Uploaded;
use super::stream::{MediaFile, MediaStream};
use crate::app::App;
use crate::upstream::Upstream;

/// Where the bytes of the current file go.
pub(crate) enum Sink<'a, U: Upstream + 'a> {
    /// Into a media upload.
    Stream(MediaStream<'a, U>),
    /// Nowhere, by the configuration (`drop`).
    Drop,
    /// Nowhere, and the camera will be told: why.
    Failed(String),
}

/// The file being received.
pub(crate) struct Current<'a, U: Upstream + 'a> {
    file_name: String,
    content_type: String,
    alt: Option<String>,
    sink: Sink<'a, U>,
    received: u64,
}

impl<'a, U: Upstream + 'a> Current<'a, U> {
    async fn write(&mut self, data: &[u8]) {
        self.received += data.len() as u64;
        if let Sink::Stream(s) = &mut self.sink
            && let Err((_, reason)) = s.write(data).await
        {
            self.sink = Sink::Failed(reason);
        }
    }

    /// Ends the file: its media when it reached the server, None when the
    /// configuration drops it, the reason otherwise.
    async fn finish(self) -> Result<Option<Uploaded>, String> {
        match self.sink {
            Sink::Drop => Ok(None),
            Sink::Failed(reason) => Err(reason),
            Sink::Stream(s) => match s.finish().await {
                Ok((media, len)) => Ok(Some(Uploaded {
                    file_name: self.file_name,
                    content_type: self.content_type,
                    alt: self.alt,
                    len,
                    media,
                })),
                Err((_, reason)) => Err(reason),
            },
        }
    }
}

/// A social upload or an e-mail being received on one connection.
pub(crate) enum Transfer<'a, U: Upstream + 'a> {
    /// `PUT /upload/…`.
    Upload {
        upload: Box<Upload>,
        current: Current<'a, U>,
    },
    /// `POST /mail` with attachments.
    Email {
        /// The Mastodon account the attachments go to (None: `[MASTODON]`);
        /// `Err`: why they go nowhere.
        target: Result<Option<Option<String>>, String>,
        current: Option<Current<'a, U>>,
        done: Vec<Uploaded>,
        failed: Option<String>,
    },
}

/// Why the board cannot run an action (a default `store` route, or a
/// fallback configuration).
fn unsupported(kind: ActionKind, target: &str) -> String {
    format!(
        "action {} for {target}: the pocket bridge cannot {} (add an [ACTIONS] entry: mastodon or drop)",
        kind.as_str(),
        match kind {
            ActionKind::Store => "store (no SD card)",
            ActionKind::Mail => "send e-mail",
            _ => "run programs",
        }
    )
}

async fn open_sink<'a, U: Upstream + 'a>(
    app: &'a App<U>,
    instance: Option<&str>,
    file: &MediaFile<'_>,
) -> Sink<'a, U> {
    let Some(url) = app.server(instance) else {
        return Sink::Failed(format!(
            "no usable BASE_URL for Mastodon account {instance:?}"
        ));
    };
    let file = MediaFile { instance, ..*file };
    match MediaStream::open(app, url, &file).await {
        Ok(s) => Sink::Stream(s),
        Err((_, reason)) => Sink::Failed(reason),
    }
}

impl<'a, U: Upstream + 'a> Transfer<'a, U> {
    /// What is being received, for the log.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Upload { upload, .. } => {
                format!("upload {} from {}", upload.file_name, upload.user)
            }
            Self::Email { current, .. } => match current {
                Some(c) => format!("e-mail attachment {}", c.file_name),
                None => String::from("e-mail"),
            },
        }
    }

    /// A social upload starts: for a `mastodon` site, its media upload
    /// opens now.
    pub(crate) async fn upload(app: &'a App<U>, upload: Box<Upload>) -> Self {
        let content_type =
            samsung_core::media::content_type(upload.content_type.as_deref(), &upload.file_name)
                .into_owned();
        let sink = if app.config().is_fallback {
            Sink::Failed(String::from(
                "the board runs its fallback configuration: fix config.toml",
            ))
        } else {
            match upload.action.kind {
                ActionKind::Mastodon => {
                    let file = MediaFile {
                        instance: None,
                        file_name: &upload.file_name,
                        content_type: &content_type,
                        alt: upload.batch.alt.as_deref(),
                        len: Some(upload.length),
                    };
                    open_sink(app, upload.action.instance.as_deref(), &file).await
                }
                ActionKind::Drop => Sink::Drop,
                kind => Sink::Failed(unsupported(kind, &upload.site)),
            }
        };
        let current = Current {
            file_name: upload.file_name.clone(),
            content_type,
            alt: upload.batch.alt.clone(),
            sink,
            received: 0,
        };
        Self::Upload { upload, current }
    }

    /// An e-mail's first attachment: where its attachments go, from its
    /// message's recipients.
    pub(crate) fn email(app: &App<U>, message: Option<&EmailMessage>) -> Self {
        Self::Email {
            target: email_target(app, message),
            current: None,
            done: Vec::new(),
            failed: None,
        }
    }

    /// An e-mail attachment starts.
    pub(crate) async fn attachment_start(
        &mut self,
        app: &'a App<U>,
        message: Option<&EmailMessage>,
        att: &Attachment,
    ) {
        let Self::Email {
            target, current, ..
        } = self
        else {
            return;
        };
        let content_type =
            samsung_core::media::content_type(att.content_type.as_deref(), &att.file_name)
                .into_owned();
        let alt = message.and_then(|m| {
            split_alt_texts(&m.body)
                .1
                .get(att.index)
                .map(|a| String::from(*a))
        });
        let sink = match target {
            Err(reason) => Sink::Failed(reason.clone()),
            Ok(None) => Sink::Drop,
            Ok(Some(instance)) => {
                let file = MediaFile {
                    instance: None,
                    file_name: &att.file_name,
                    content_type: &content_type,
                    alt: alt.as_deref(),
                    len: None,
                };
                open_sink(app, instance.as_deref(), &file).await
            }
        };
        *current = Some(Current {
            file_name: att.file_name.clone(),
            content_type,
            alt,
            sink,
            received: 0,
        });
    }

    /// File bytes.
    pub(crate) async fn data(&mut self, data: &[u8]) {
        match self {
            Self::Upload { current, .. } => current.write(data).await,
            Self::Email {
                current: Some(c), ..
            } => c.write(data).await,
            Self::Email { .. } => {}
        }
    }

    /// An e-mail attachment ended: its upload is finished.
    pub(crate) async fn attachment_end(&mut self) {
        if let Self::Email {
            current,
            done,
            failed,
            ..
        } = self
            && let Some(c) = current.take()
        {
            let name = c.file_name.clone();
            match c.finish().await {
                Ok(Some(u)) => {
                    log::info!("attachment {name} ({} bytes) → media {}", u.len, u.media.id);
                    done.push(u);
                }
                Ok(None) => {}
                Err(reason) => {
                    failed.get_or_insert(format!("attachment {name}: {reason}"));
                }
            }
        }
    }

    /// The social upload is complete: whether the camera may be told `succ`.
    pub(crate) async fn finish_upload(self, app: &App<U>) -> bool {
        let Self::Upload { upload, current } = self else {
            return false;
        };
        let u = &upload;
        let media = match current.finish().await {
            Ok(m) => m,
            Err(reason) => {
                log::error!(
                    "upload {} from {} ({} bytes) not forwarded: {reason}",
                    u.file_name,
                    u.user,
                    u.length
                );
                return false;
            }
        };
        let mut done = Vec::new();
        for step in deliver::plan_upload(u) {
            match step {
                Delivery::Drop { .. } => done.push(String::from("dropped (action drop)")),
                Delivery::AddToBatch { instance, batch } => {
                    let Some(m) = media.clone() else {
                        log::error!("upload {}: no media to add to its batch", u.file_name);
                        return false;
                    };
                    let id = m.media.id.clone();
                    let added = app.posts.lock(|p| {
                        p.borrow_mut().add_media(
                            &batch.id,
                            instance.as_deref(),
                            &batch.caption,
                            batch.album.as_deref(),
                            batch.index,
                            m,
                            app.now(),
                        )
                    });
                    if let Err(e) = added {
                        log::error!(
                            "upload {}: media {id} reached the server, but the board holds too many posts ({e:?})",
                            u.file_name
                        );
                        return false;
                    }
                    done.push(format!(
                        "media {id} (batch {}, photo {}{})",
                        batch.id,
                        batch.index + 1,
                        batch
                            .expected
                            .map(|n| format!(" of {n}"))
                            .unwrap_or_default()
                    ));
                }
                Delivery::CloseBatch { batch } => {
                    if app.posts.lock(|p| p.borrow_mut().close(&batch)) {
                        app.post_ready.signal(());
                        done.push(String::from("batch complete, posting"));
                    }
                }
                Delivery::Warning(w) => log::warn!("{w}"),
                other => {
                    log::error!(
                        "upload {}: a step the board cannot run: {other:?}",
                        u.file_name
                    );
                    return false;
                }
            }
        }
        log::info!(
            "upload {} from {} to {} ({} bytes): {}",
            u.file_name,
            u.user,
            u.site,
            u.length,
            done.join("; ")
        );
        true
    }
}

/// The e-mail is complete and accepted: whether the camera may be told
/// `succ`. `transfer` is None for an e-mail without attachments.
pub(crate) async fn finish_email<U: Upstream>(
    app: &App<U>,
    transfer: Option<Transfer<'_, U>>,
    email: &Email,
) -> bool {
    let (done, failed) = match transfer {
        Some(Transfer::Email {
            mut current,
            mut done,
            failed,
            ..
        }) => {
            // An attachment the parser ended without a part end.
            let mut failed = failed;
            if let Some(c) = current.take() {
                match c.finish().await {
                    Ok(Some(u)) => done.push(u),
                    Ok(None) => {}
                    Err(r) => {
                        failed.get_or_insert(r);
                    }
                }
            }
            (done, failed)
        }
        _ => (Vec::new(), None),
    };
    let sender = &email.sender_address;
    if let Some(reason) = failed {
        log::error!("e-mail from {sender} not forwarded: {reason}");
        return false;
    }
    let mut posted: Vec<Option<String>> = Vec::new();
    let mut summary = Vec::new();
    for step in deliver::plan_email(email) {
        match step {
            Delivery::Drop { recipient } => {
                summary.push(format!("{}: dropped", recipient.unwrap_or_default()));
            }
            Delivery::MastodonPost {
                recipient,
                instance,
                caption,
                ..
            } => {
                if posted.contains(&instance) {
                    summary.push(format!("{recipient}: same account as before"));
                    continue;
                }
                let job_id = format!("mail-{:016x}", app.random());
                let n = done.len();
                let added = app.posts.lock(|p| {
                    p.borrow_mut().add_closed(
                        job_id.clone(),
                        instance.clone(),
                        caption,
                        done.clone(),
                        app.now(),
                    )
                });
                if let Err(e) = added {
                    log::error!("e-mail from {sender}: the board holds too many posts ({e:?})");
                    return false;
                }
                app.post_ready.signal(());
                summary.push(format!("{recipient}: {n} media, post {job_id}"));
                posted.push(instance);
            }
            Delivery::Warning(w) => log::warn!("{w}"),
            Delivery::Store { recipient, .. } => {
                log::error!(
                    "e-mail from {sender} not accepted: {}",
                    unsupported(ActionKind::Store, &recipient.unwrap_or_default())
                );
                return false;
            }
            Delivery::Mail(m) => {
                log::error!(
                    "e-mail from {sender} not accepted: {}",
                    unsupported(ActionKind::Mail, &m.to.join(", "))
                );
                return false;
            }
            other => {
                log::error!("e-mail from {sender}: a step the board cannot run: {other:?}");
                return false;
            }
        }
    }
    log::info!(
        "e-mail \"{}\" from {sender}: {}",
        email.message.title,
        summary.join("; ")
    );
    true
}

/// Where an e-mail's attachments go: the one Mastodon account its
/// recipients post to (`Ok(None)`: all dropped), or why they cannot be
/// forwarded.
fn email_target<U: Upstream>(
    app: &App<U>,
    message: Option<&EmailMessage>,
) -> Result<Option<Option<String>>, String> {
    if app.config().is_fallback {
        return Err(String::from(
            "the board runs its fallback configuration: fix config.toml",
        ));
    }
    let Some(m) = message else {
        return Err(String::from(
            "the photos came before the e-mail's message part: the board cannot route them",
        ));
    };
    let routes = &app.config().core.routes;
    let mut target: Option<Option<String>> = None;
    for r in &m.receivers {
        let addr = samsung_core::route::parse_address(r).unwrap_or(r.trim());
        let action = routes.for_recipient(addr);
        match action.kind {
            ActionKind::Drop => {}
            ActionKind::Mastodon => match &target {
                None => target = Some(action.instance.clone()),
                Some(t) if *t == action.instance => {}
                Some(_) => {
                    return Err(String::from(
                        "the recipients post to two Mastodon accounts; the board streams each photo to one",
                    ));
                }
            },
            kind => return Err(unsupported(kind, addr)),
        }
    }
    Ok(target)
}
