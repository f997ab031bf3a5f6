//! A simulated frontend: drives [`Connection`]s and one [`Bridge`] through
//! the documented run loop (samsung-core crate docs), keeps "files" in
//! memory, and records everything the camera and the storage would see.

use std::collections::BTreeMap;

use samsung_core::ClientAddr;
use samsung_core::conn::{
    AbortReason, Attachment, Connection, DownloadAnswer, Event, MIN_TRANSMIT_BUF,
};
use samsung_core::crypto::Secret;
use samsung_core::route::{Action, ActionKind, Routes};
use samsung_core::sns::{Bridge, BridgeConfig, BridgeEvent, Email, TransferId, Upload};
use samsung_core::time::Instant;

use crate::fixture::ConfigName;

/// The seed of the bridge's key generator: fixed, so session keys repeat
/// across runs and split modes.
pub const BRIDGE_SEED: [u8; 32] = [42; 32];

/// The camera's address in every fixture.
pub const CLIENT: [u8; 4] = [10, 42, 0, 2];

/// The named configurations of the fixture format.
pub fn config(name: ConfigName) -> BridgeConfig {
    match name {
        ConfigName::Default => BridgeConfig::default(),
        ConfigName::Whitelist => whitelist_config(),
        ConfigName::Mastodon => mastodon_config(),
    }
}

/// Senders `x`, `f`, `Camera@samsungcamera.com`; SECRET `xiev5kaMeehaimub` (V22).
pub fn whitelist_config() -> BridgeConfig {
    BridgeConfig {
        senders: Some(vec![
            "x".into(),
            "f".into(),
            "Camera@samsungcamera.com".into(),
        ]),
        secret: Secret::new(b"xiev5kaMeehaimub".to_vec()),
        ..BridgeConfig::default()
    }
}

/// The whitelist plus Mastodon for the `facebook` site and for the
/// recipient `toot@example.org`; other sites store, other recipients mail.
pub fn mastodon_config() -> BridgeConfig {
    let mastodon = Action::new(ActionKind::Mastodon);
    let mut routes = Routes::new(
        Action::new(ActionKind::Store),
        Action::new(ActionKind::Mail),
    );
    routes.insert("facebook", mastodon.clone());
    routes.insert("toot@example.org", mastodon);
    BridgeConfig {
        routes,
        ..whitelist_config()
    }
}

/// A stored social upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpload {
    /// What the core said about it.
    pub upload: Upload,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// A stored e-mail attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// What the core said about it.
    pub attachment: Attachment,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Everything one exchange produced; equal across split modes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    /// The bytes of the single response write, if there was one.
    pub response: Option<Vec<u8>>,
    /// Uploads stored (and reported stored) in this exchange.
    pub uploads: Vec<StoredUpload>,
    /// E-mail attachments stored in this exchange.
    pub attachments: Vec<StoredAttachment>,
    /// E-mails accepted in this exchange.
    pub emails: Vec<Email>,
    /// Transfers whose files were discarded.
    pub aborts: Vec<(TransferId, AbortReason)>,
    /// Events of the shared state seen during this exchange.
    pub bridge_events: Vec<BridgeEvent>,
    /// Paths of download requests (answered "not found": nothing is served).
    pub downloads: Vec<String>,
}

/// A file the simulated frontend has open.
#[derive(Debug)]
enum OpenFiles {
    Upload(Box<Upload>, Vec<u8>),
    /// One e-mail's attachments; the last one is still being written unless
    /// its flag says it ended.
    Email(Vec<(Attachment, Vec<u8>, bool)>),
}

/// The simulated frontend: one bridge, a fixed clock, in-memory storage.
#[derive(Debug)]
pub struct Sim {
    /// The shared state.
    pub bridge: Bridge,
    /// The clock handed to the core.
    pub now: Instant,
    client: ClientAddr,
    open: BTreeMap<TransferId, OpenFiles>,
}

/// What has to happen once an event's borrow of the connection has ended.
enum FollowUp {
    Stored(TransferId),
    Download,
}

impl Sim {
    /// A fresh server with `config` and the clock at `now_ms` (Unix ms).
    pub fn new(config: BridgeConfig, now_ms: u64) -> Self {
        Sim {
            bridge: Bridge::new(config, BRIDGE_SEED),
            now: Instant::from_millis(now_ms),
            client: ClientAddr::from_ipv4(CLIENT),
            open: BTreeMap::new(),
        }
    }

    /// One request on a new connection, delivered in `pieces` (each one
    /// "readable" event of the socket). Returns what happened and the
    /// violations of the drain contract the frontend noticed.
    pub fn exchange(&mut self, pieces: &[&[u8]]) -> (Observed, Vec<String>) {
        let mut conn = Connection::new(self.client, self.now);
        let mut obs = Observed::default();
        let mut errors = Vec::new();
        let mut buf = [0u8; MIN_TRANSMIT_BUF];
        'pieces: for piece in pieces {
            let mut off = 0;
            let mut idle_calls = 0;
            loop {
                let (used, ev) = conn.handle_input(&mut self.bridge, self.now, &piece[off..]);
                if used > piece.len() - off {
                    errors.push(format!(
                        "handle_input consumed {used} of {} bytes",
                        piece.len() - off
                    ));
                    break 'pieces;
                }
                off += used;
                let had_event = ev.is_some();
                let follow = ev.and_then(|ev| self.absorb(ev, &mut obs, &mut errors));
                self.follow_up(&mut conn, follow);
                self.drain_bridge(&mut obs);
                if !had_event && off == piece.len() {
                    break;
                }
                idle_calls = if used == 0 && !had_event {
                    idle_calls + 1
                } else {
                    0
                };
                if idle_calls > 2 {
                    errors.push("handle_input makes no progress".into());
                    break 'pieces;
                }
            }
            while let Some(ev) = conn.poll_event() {
                let follow = self.absorb(ev, &mut obs, &mut errors);
                self.follow_up(&mut conn, follow);
            }
            self.drain_bridge(&mut obs);
            // A real frontend writes as soon as an answer is ready and
            // closes; the rest of the request is never read.
            if let Some(n) = conn.poll_transmit(&mut buf) {
                obs.response = Some(buf[..n].to_vec());
                if !conn.is_closed() {
                    errors.push("the connection is not closed after the answer".into());
                }
                if conn.poll_transmit(&mut buf).is_some() {
                    errors.push("a second answer on one connection".into());
                }
                break;
            }
        }
        if obs.response.is_none() {
            errors.push("no answer after the whole request was sent".into());
        }
        for (t, _) in std::mem::take(&mut self.open) {
            errors.push(format!(
                "transfer {} left temporary files (neither stored nor aborted)",
                t.0
            ));
        }
        (obs, errors)
    }

    fn follow_up(&mut self, conn: &mut Connection, follow: Option<FollowUp>) {
        match follow {
            Some(FollowUp::Stored(t)) => conn.handle_stored(&mut self.bridge, self.now, t, true),
            Some(FollowUp::Download) => conn.handle_download(DownloadAnswer::NotFound),
            None => {}
        }
    }

    fn drain_bridge(&mut self, obs: &mut Observed) {
        while let Some(ev) = self.bridge.poll_event() {
            obs.bridge_events.push(ev);
        }
    }

    /// Acts on one event like a frontend with a file system would.
    fn absorb(
        &mut self,
        ev: Event<'_>,
        obs: &mut Observed,
        errors: &mut Vec<String>,
    ) -> Option<FollowUp> {
        match ev {
            Event::UploadStart(u) => {
                let t = u.transfer;
                if self
                    .open
                    .insert(t, OpenFiles::Upload(u, Vec::new()))
                    .is_some()
                {
                    errors.push(format!("UploadStart for open transfer {}", t.0));
                }
            }
            Event::AttachmentStart(a) => {
                let t = a.transfer;
                let files = self
                    .open
                    .entry(t)
                    .or_insert_with(|| OpenFiles::Email(Vec::new()));
                match files {
                    OpenFiles::Email(list) => {
                        if list.last().is_some_and(|(_, _, ended)| !ended) {
                            errors.push(format!("AttachmentStart before AttachmentEnd ({})", t.0));
                        }
                        if a.index != list.len() {
                            errors.push(format!(
                                "attachment index {} where {} was next",
                                a.index,
                                list.len()
                            ));
                        }
                        list.push((a, Vec::new(), false));
                    }
                    OpenFiles::Upload(..) => {
                        errors.push(format!("AttachmentStart for upload transfer {}", t.0))
                    }
                }
            }
            Event::Data { transfer, data } => match self.open.get_mut(&transfer) {
                Some(OpenFiles::Upload(_, buf)) => buf.extend_from_slice(data),
                Some(OpenFiles::Email(list)) => match list.last_mut() {
                    Some((_, buf, false)) => buf.extend_from_slice(data),
                    _ => errors.push(format!("Data outside an attachment ({})", transfer.0)),
                },
                None => errors.push(format!(
                    "Data for transfer {} with no open file",
                    transfer.0
                )),
            },
            Event::AttachmentEnd { transfer } => match self.open.get_mut(&transfer) {
                Some(OpenFiles::Email(list)) => match list.last_mut() {
                    Some((_, _, ended @ false)) => *ended = true,
                    _ => errors.push(format!(
                        "AttachmentEnd without an open attachment ({})",
                        transfer.0
                    )),
                },
                _ => errors.push(format!(
                    "AttachmentEnd for transfer {} with no e-mail",
                    transfer.0
                )),
            },
            Event::UploadComplete { transfer } => match self.open.remove(&transfer) {
                Some(OpenFiles::Upload(upload, data)) => {
                    if data.len() as u64 != upload.length {
                        errors.push(format!(
                            "upload {} has {} bytes, announced {}",
                            transfer.0,
                            data.len(),
                            upload.length
                        ));
                    }
                    obs.uploads.push(StoredUpload {
                        upload: *upload,
                        data,
                    });
                    return Some(FollowUp::Stored(transfer));
                }
                _ => errors.push(format!(
                    "UploadComplete for transfer {} with no upload",
                    transfer.0
                )),
            },
            Event::EmailComplete(email) => {
                let t = email.transfer;
                let list = match self.open.remove(&t) {
                    Some(OpenFiles::Email(list)) => list,
                    None => Vec::new(),
                    Some(OpenFiles::Upload(..)) => {
                        errors.push(format!("EmailComplete for upload transfer {}", t.0));
                        Vec::new()
                    }
                };
                if list.iter().any(|(_, _, ended)| !ended) {
                    errors.push(format!(
                        "EmailComplete with an unfinished attachment ({})",
                        t.0
                    ));
                }
                if list.len() != email.attachments {
                    errors.push(format!(
                        "EmailComplete counts {} attachments, {} were delivered",
                        email.attachments,
                        list.len()
                    ));
                }
                obs.attachments.extend(
                    list.into_iter()
                        .map(|(attachment, data, _)| StoredAttachment { attachment, data }),
                );
                obs.emails.push(*email);
                return Some(FollowUp::Stored(t));
            }
            Event::Download { path } => {
                obs.downloads.push(path);
                return Some(FollowUp::Download);
            }
            Event::Aborted { transfer, reason } => {
                let stored = obs.uploads.iter().any(|u| u.upload.transfer == transfer)
                    || obs.emails.iter().any(|e| e.transfer == transfer);
                if stored {
                    errors.push(format!("Aborted after transfer {} was stored", transfer.0));
                }
                self.open.remove(&transfer);
                obs.aborts.push((transfer, reason));
            }
            other => errors.push(format!("an event this harness does not know: {other:?}")),
        }
        None
    }
}
