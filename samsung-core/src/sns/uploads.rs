//! Social uploads: the photo/video announce that places a file in its
//! session's batch, and the PUT of the file.

use alloc::string::String;
use core::fmt::Write as _;

use super::{
    Batch, Bridge, MAX_CONTENT_LEN, MAX_PENDING_FILES, PendingFile, TransferId, close_batch,
    split_caption,
};
use crate::http::OwnedResponse;
use crate::route::{self, Action, ActionKind};
use crate::time::Instant;
use crate::xml::{MediaAnnounce, MediaKind};

/// Position of an upload within its batch, for posting a batch as one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRef {
    /// Unique batch id (random, 16 hex digits): the outbox and the Mastodon
    /// `Idempotency-Key` are derived from it.
    pub id: String,
    /// 0-based position of this file in the batch.
    pub index: usize,
    /// Number of files the caption announced (`Text~alt1~alt2` → 2), if any.
    pub expected: Option<usize>,
    /// The caption without alt texts.
    pub caption: String,
    /// This file's alt text.
    pub alt: Option<String>,
    /// The camera's album name (usually its model).
    pub album: Option<String>,
    /// This is the last announced file of the batch: post now.
    pub last: bool,
}

/// A social upload (`PUT /upload/<key>/<file>`) that is starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The transfer this upload's events carry.
    pub transfer: TransferId,
    /// Logged-in user (decrypted user name).
    pub user: String,
    /// Social site the camera logged into.
    pub site: String,
    /// What to do with the file.
    pub action: Action,
    /// Folder under the upload root: HMAC of the user, or the store instance.
    pub folder: String,
    /// Sanitised file name (never a path).
    pub file_name: String,
    /// Photo or video.
    pub kind: MediaKind,
    /// The request's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Exact body length.
    pub length: u64,
    /// The batch this file belongs to.
    pub batch: BatchRef,
}

impl Bridge {
    /// A photo/video announce: remembers the file in the session's batch
    /// (starting a new batch when the caption changed or the previous one is
    /// full) and answers with where to PUT it.
    pub fn announce(&mut self, site: &str, ann: &MediaAnnounce, now: Instant) -> OwnedResponse {
        let Some(i) = self.find(&ann.session_key) else {
            return OwnedResponse::error(401, "Session expired");
        };
        let host_addr = self.config.host_addr.clone();
        let resource_name = route::sanitize_file_name(&ann.file_name).unwrap_or_else(|| {
            let mut n = String::from(match ann.kind {
                MediaKind::Photo => "photo",
                MediaKind::Video => "video",
            });
            n.push_str(".bin");
            n
        });
        let new_id = self.keys.hex(8);
        self.sessions_changed();
        let s = &mut self.sessions[i];
        if !s.site.eq_ignore_ascii_case(site) {
            // A camera announcing to another site than it logged into:
            // follow the announce (the action is the site's).
            s.site = String::from(site);
        }
        s.last_used = now;
        let content: String = ann.content.chars().take(MAX_CONTENT_LEN).collect();
        // A file announced again while its upload is still outstanding in
        // the current batch (the camera retrying after a failed or cut-off
        // PUT, or repeating the announce) keeps its place in the batch.
        let retry = s
            .batch
            .as_ref()
            .filter(|b| b.content == content)
            .and_then(|b| {
                s.pending
                    .iter()
                    .rposition(|p| p.resource_name == resource_name && p.batch_id == b.id)
            });
        let (index, batch_id) = if let Some(pos) = retry {
            let p = s.pending.remove(pos);
            if let Some(b) = s.batch.as_mut() {
                b.last_activity = now;
            }
            (p.index, p.batch_id)
        } else {
            // The latest announce of a name wins over older ones (e.g. under
            // an earlier caption): the PUT must land in the current batch.
            s.pending.retain(|p| p.resource_name != resource_name);
            let starts_new = match &s.batch {
                None => true,
                Some(b) => b.content != content || b.is_full(),
            };
            if starts_new {
                let old = s.batch.take();
                if old
                    .as_ref()
                    .is_some_and(|b| !b.is_full() || b.uploaded < b.announced)
                {
                    close_batch(&mut self.events, old);
                }
                let (caption, alts) = split_caption(&content);
                s.batch = Some(Batch {
                    id: new_id,
                    content,
                    caption,
                    alts,
                    album: ann.album.clone().filter(|a| !a.is_empty()),
                    announced: 0,
                    uploaded: 0,
                    in_flight: 0,
                    last_activity: now,
                });
            }
            let Some(batch) = s.batch.as_mut() else {
                return OwnedResponse::error(400, "No batch");
            };
            batch.last_activity = now;
            batch.announced += 1;
            (batch.announced - 1, batch.id.clone())
        };
        if s.pending.len() >= MAX_PENDING_FILES {
            s.pending.remove(0);
        }
        s.pending.push(PendingFile {
            resource_name: resource_name.clone(),
            original_name: ann.file_name.clone(),
            kind: ann.kind,
            index,
            batch_id,
        });
        let mut body = String::new();
        let _ = write!(
            body,
            "<Response HostAddr=\"{}\" ResourceID=\"upload/{}/{}\" />",
            crate::xml::escape(&host_addr),
            s.key,
            crate::xml::escape(&resource_name)
        );
        OwnedResponse::html(200, body)
    }

    /// Checks a `PUT /upload/<key>/<name>` and describes the upload, or
    /// returns the error answer (sent after the body has been drained).
    pub fn begin_upload(
        &mut self,
        key: &str,
        name: &str,
        content_type: Option<&str>,
        length: u64,
        now: Instant,
    ) -> Result<Upload, OwnedResponse> {
        if length > self.config.limits.max_upload {
            return Err(OwnedResponse::error(413, "Upload too large"));
        }
        let Some(i) = self.find(key) else {
            return Err(OwnedResponse::error(401, "Session expired"));
        };
        let transfer = self.next_transfer();
        let secret = self.config.secret.expose().clone();
        let s = &mut self.sessions[i];
        let action = self.config.routes.for_site(&s.site).clone();
        let pos = s.pending.iter().rposition(|p| p.resource_name == name);
        let Some(pos) = pos else {
            return Err(OwnedResponse::error(404, "Upload was not announced"));
        };
        let pending = s.pending.remove(pos);
        self.sessions_revision = self.sessions_revision.wrapping_add(1);
        let Some(batch) = s.batch.as_mut().filter(|b| b.id == pending.batch_id) else {
            return Err(OwnedResponse::error(409, "Batch already closed"));
        };
        let alt = batch.alts.get(pending.index).cloned();
        if action.kind == ActionKind::Mastodon && alt.is_none() {
            return Err(OwnedResponse::error(400, "No alt-text"));
        }
        s.last_used = now;
        batch.in_flight += 1;
        batch.last_activity = now;
        let expected = batch.expected();
        Ok(Upload {
            transfer,
            user: s.user.clone(),
            site: s.site.clone(),
            folder: route::store_folder(&action, &secret, &s.user),
            action,
            file_name: route::sanitize_file_name(&pending.original_name)
                .unwrap_or_else(|| pending.resource_name.clone()),
            kind: pending.kind,
            content_type: content_type.map(String::from),
            length,
            batch: BatchRef {
                id: batch.id.clone(),
                index: pending.index,
                expected,
                caption: batch.caption.clone(),
                alt,
                album: batch.album.clone(),
                last: expected.is_some_and(|n| pending.index + 1 == n),
            },
        })
    }

    /// The frontend finished (or failed, or lost) an upload begun with
    /// [`Bridge::begin_upload`].
    pub fn end_upload(&mut self, upload: &Upload, stored: bool, now: Instant) {
        let Some(s) = self
            .sessions
            .iter_mut()
            .find(|s| s.batch.as_ref().is_some_and(|b| b.id == upload.batch.id))
        else {
            return;
        };
        self.sessions_revision = self.sessions_revision.wrapping_add(1);
        if !stored && s.pending.len() < MAX_PENDING_FILES {
            // Keep the slot: the camera announces and uploads it again.
            s.pending.push(PendingFile {
                resource_name: upload.file_name.clone(),
                original_name: upload.file_name.clone(),
                kind: upload.kind,
                index: upload.batch.index,
                batch_id: upload.batch.id.clone(),
            });
        }
        let Some(b) = s.batch.as_mut() else { return };
        b.in_flight = b.in_flight.saturating_sub(1);
        b.last_activity = now;
        if stored {
            b.uploaded += 1;
        }
        if b.is_full() && b.in_flight == 0 && b.uploaded == b.announced {
            // Complete: the `last` upload already told the frontend to post.
            s.batch = None;
        }
    }
}
