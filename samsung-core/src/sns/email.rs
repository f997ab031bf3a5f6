//! An e-mail from a camera: its sender checked, its recipients routed.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{Bridge, TransferId, split_caption};
use crate::http::OwnedResponse;
use crate::route::{self, Action, ActionKind};
use crate::xml::EmailMessage;

/// Where one recipient of an e-mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRoute {
    /// Recipient address as the camera sent it.
    pub recipient: String,
    /// Its action (default: the configured e-mail default).
    pub action: Action,
}

/// A complete, accepted e-mail from a camera.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The transfer whose attachments belong to this e-mail.
    pub transfer: TransferId,
    /// Sender, subject, body, recipients as sent (marker stripped).
    pub message: EmailMessage,
    /// Bare sender address (`Name <a@b>` → `a@b`).
    pub sender_address: String,
    /// HMAC folder of the sender, for `store` recipients.
    pub folder: String,
    /// Recipients, sorted and de-duplicated, each with its action.
    pub routes: Vec<RecipientRoute>,
    /// The body split on `~` (caption, then one alt text per attachment)
    /// when a recipient posts to Mastodon.
    pub caption: String,
    /// Alt texts (`~` convention), one per attachment, in order.
    pub alts: Vec<String>,
    /// Number of attachments.
    pub attachments: usize,
}

impl Bridge {
    /// Checks an e-mail's sender and plans its recipients.
    pub fn accept_email(
        &self,
        transfer: TransferId,
        message: EmailMessage,
        attachments: usize,
    ) -> Result<Email, OwnedResponse> {
        let sender_address = route::parse_address(&message.sender)
            .unwrap_or(message.sender.trim())
            .to_string();
        if !self.config.is_allowed(&sender_address) {
            return Err(OwnedResponse::error(401, "Sender not in whitelist"));
        }
        let mut recipients: Vec<String> = message
            .receivers
            .iter()
            .map(|r| route::parse_address(r).unwrap_or(r.trim()).to_string())
            .filter(|r| !r.is_empty())
            .collect();
        recipients.sort_by_key(|r| r.to_ascii_lowercase());
        recipients.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        if recipients.is_empty() {
            return Err(OwnedResponse::error(400, "No recipient"));
        }
        let routes: Vec<RecipientRoute> = recipients
            .into_iter()
            .map(|r| RecipientRoute {
                action: self.config.routes.for_recipient(&r).clone(),
                recipient: r,
            })
            .collect();
        let (caption, alts) = split_caption(&message.body);
        if routes.iter().any(|r| r.action.kind == ActionKind::Mastodon) && alts.len() != attachments
        {
            return Err(OwnedResponse::error(400, "No alt-text"));
        }
        let folder = route::user_folder(self.config.secret.expose(), &sender_address);
        Ok(Email {
            transfer,
            message,
            sender_address,
            folder,
            routes,
            caption,
            alts,
            attachments,
        })
    }
}
