//! What happens to a received upload or e-mail: a plan of typed steps that
//! the frontend executes (durably) before the camera is told `succ`.
//!
//! The routing table has decided an [`Action`] per social site and per
//! e-mail recipient ([`crate::sns::Bridge::begin_upload`],
//! [`crate::sns::Bridge::accept_email`]); this module turns those actions into
//! steps: which folder to store into, which shell values, one merged mail
//! for all `mail` recipients, a Mastodon post with its alt texts, a social
//! file handed to its batch. A frontend runs the steps in order, stops at
//! the first one that fails (the camera is then told the upload failed and
//! sends it again), and logs what each did.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::route::{self, Action, ActionKind};
use crate::sns::{BatchRef, Email, Upload};

#[cfg(test)]
mod tests;

/// One step of a delivery plan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// Accept the files and keep nothing.
    Drop {
        /// The e-mail recipient this is for (`None` for a social upload).
        recipient: Option<String>,
    },
    /// Place every file into `folder` (one safe path segment under the
    /// upload root) under its own name, never overwriting an earlier file.
    Store {
        /// The e-mail recipient this is for (`None` for a social upload).
        recipient: Option<String>,
        /// The folder under the upload root.
        folder: String,
    },
    /// Place every file into `folder` like [`Delivery::Store`], and queue
    /// the shell command of `instance` once per placed file, with the placed
    /// file's path as `{filename}`.
    Shell {
        /// The `[SHELL.<instance>]` section (`None`: `[SHELL]`).
        instance: Option<String>,
        /// The folder under the upload root.
        folder: String,
        /// The command's placeholders but `{filename}`.
        values: ShellValues,
    },
    /// Queue one e-mail through the smarthost to every `mail` recipient of
    /// an e-mail, with all its files attached.
    Mail(MailDelivery),
    /// Queue one Mastodon post of all the e-mail's files.
    MastodonPost {
        /// The e-mail recipient that routes to Mastodon.
        recipient: String,
        /// The `[MASTODON.<instance>]` section (`None`: `[MASTODON]`).
        instance: Option<String>,
        /// The status text (the body before the first `~`).
        caption: String,
        /// One alt text per file, in order.
        alts: Vec<String>,
    },
    /// Keep the social upload for its batch's post (one status per batch).
    AddToBatch {
        /// The `[MASTODON.<instance>]` section (`None`: `[MASTODON]`).
        instance: Option<String>,
        /// Where the file stands in its batch.
        batch: BatchRef,
    },
    /// The batch is complete with this file: queue its post now.
    CloseBatch {
        /// The batch id.
        batch: String,
    },
    /// Something the user should know about this delivery: log it as a
    /// warning. It does not stop the plan.
    Warning(DeliveryWarning),
}

/// The placeholders of a shell command, but the stored file's path, which
/// only the frontend knows once the file is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellValues {
    /// `{sender}`: the camera's user or the e-mail's sender address.
    pub sender: String,
    /// `{recipient}`: the social site or the e-mail recipient.
    pub recipient: String,
    /// `{subject}`: the camera's album (social) or the e-mail's title.
    pub subject: String,
    /// `{body}`: the caption (social) or the e-mail's body.
    pub body: String,
}

/// One e-mail to the smarthost; the attachments are all files of the
/// received e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDelivery {
    /// The camera's sender as it wrote it (`Name <a@b>` or `a@b`).
    pub from: String,
    /// Every recipient whose action is `mail`, in order.
    pub to: Vec<String>,
    /// The e-mail's title.
    pub subject: String,
    /// The e-mail's body.
    pub body: String,
}

/// A warning about a delivery that still goes ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryWarning {
    /// A social site is routed to `mail`, but a social upload names no
    /// recipient: the file is stored instead.
    MailOnSocialSite {
        /// The social site.
        site: String,
    },
}

impl fmt::Display for DeliveryWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MailOnSocialSite { site } => write!(
                f,
                "action mail for site {site}: the social API has no recipient; stored only"
            ),
        }
    }
}

/// The plan for a social upload whose bytes are complete, by its site's
/// action.
pub fn plan_upload(upload: &Upload) -> Vec<Delivery> {
    let store = || Delivery::Store {
        recipient: None,
        folder: upload.folder.clone(),
    };
    match upload.action.kind {
        ActionKind::Drop => alloc::vec![Delivery::Drop { recipient: None }],
        ActionKind::Store => alloc::vec![store()],
        ActionKind::Mail => alloc::vec![
            store(),
            Delivery::Warning(DeliveryWarning::MailOnSocialSite {
                site: upload.site.clone(),
            }),
        ],
        ActionKind::Shell => alloc::vec![Delivery::Shell {
            instance: upload.action.instance.clone(),
            folder: upload.folder.clone(),
            values: ShellValues {
                sender: upload.user.clone(),
                recipient: upload.site.clone(),
                subject: upload.batch.album.clone().unwrap_or_default(),
                body: upload.batch.caption.clone(),
            },
        }],
        ActionKind::Mastodon => {
            let mut plan = alloc::vec![Delivery::AddToBatch {
                instance: upload.action.instance.clone(),
                batch: upload.batch.clone(),
            }];
            if upload.batch.last {
                plan.push(Delivery::CloseBatch {
                    batch: upload.batch.id.clone(),
                });
            }
            plan
        }
    }
}

/// The plan for an accepted e-mail: one step per recipient in the e-mail's
/// (sorted) order, and one mail to all `mail` recipients at the end.
pub fn plan_email(email: &Email) -> Vec<Delivery> {
    let mut plan = Vec::new();
    let mut mail_to = Vec::new();
    for route in &email.routes {
        let Action { kind, instance } = &route.action;
        let recipient = route.recipient.clone();
        match kind {
            ActionKind::Drop => plan.push(Delivery::Drop {
                recipient: Some(recipient),
            }),
            ActionKind::Mail => mail_to.push(recipient),
            ActionKind::Store => plan.push(Delivery::Store {
                recipient: Some(recipient),
                folder: route::instance_folder(&route.action)
                    .map_or_else(|| email.folder.clone(), String::from),
            }),
            // The instance names the command, not a folder: the files go
            // to the sender's folder.
            ActionKind::Shell => plan.push(Delivery::Shell {
                instance: instance.clone(),
                folder: email.folder.clone(),
                values: ShellValues {
                    sender: email.sender_address.clone(),
                    recipient,
                    subject: email.message.title.clone(),
                    body: email.message.body.clone(),
                },
            }),
            ActionKind::Mastodon => plan.push(Delivery::MastodonPost {
                recipient,
                instance: instance.clone(),
                caption: email.caption.clone(),
                alts: email.alts.clone(),
            }),
        }
    }
    if !mail_to.is_empty() {
        plan.push(Delivery::Mail(MailDelivery {
            from: email.message.sender.clone(),
            to: mail_to,
            subject: email.message.title.clone(),
            body: email.message.body.clone(),
        }));
    }
    plan
}
