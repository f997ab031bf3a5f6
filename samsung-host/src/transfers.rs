//! What one camera connection has received so far, between the core's
//! events: the temporary file of an upload, the attachments of an e-mail,
//! and the file a download answer will stream. The frontends' connection
//! loops (the daemon's, the WASI component's) differ only in how they wait
//! and how they run the blocking [`crate::deliver`] step; the bookkeeping
//! between `UploadStart` and `UploadComplete` is this one copy.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use samsung_core::conn::{
    AbortReason, Attachment, DownloadAnswer, ListingEntry, MAX_LISTING_ENTRIES,
};
use samsung_core::sns::{TransferId, Upload};

use crate::store::{Store, TempFile};

/// One transfer in flight.
#[derive(Debug)]
enum Transfer {
    Upload {
        upload: Box<Upload>,
        temp: TempFile,
        failed: Option<io::Error>,
    },
    Email {
        files: Vec<(Attachment, TempFile)>,
        failed: Option<io::Error>,
    },
}

impl Transfer {
    fn write(&mut self, data: &[u8]) {
        let (temp, failed) = match self {
            Self::Upload { temp, failed, .. } => (Some(temp), failed),
            Self::Email { files, failed } => (files.last_mut().map(|f| &mut f.1), failed),
        };
        if failed.is_some() {
            return;
        }
        if let Some(temp) = temp
            && let Err(e) = temp.write(data)
        {
            *failed = Some(e);
        }
    }

    fn discard(self) {
        match self {
            Self::Upload { temp, .. } => temp.discard(),
            Self::Email { files, .. } => files.into_iter().for_each(|(_, t)| t.discard()),
        }
    }
}

/// The transfers of one connection and its pending download. Dropping it
/// deletes every temporary file still held (a connection that ended
/// mid-transfer leaves nothing).
#[derive(Debug, Default)]
pub struct Transfers {
    open: BTreeMap<TransferId, Transfer>,
    download: Option<PathBuf>,
}

/// A complete upload, ready for [`crate::deliver::finish_upload`].
pub type ReceivedUpload = (Box<Upload>, TempFile);
/// A complete e-mail's attachments, ready for [`crate::deliver::finish_email`].
pub type ReceivedAttachments = Vec<(Attachment, TempFile)>;

impl Transfers {
    /// `Event::UploadStart`: a temporary file for it (a failure is logged;
    /// the upload then completes unstored).
    pub fn start_upload(&mut self, store: &Store, upload: Box<Upload>) {
        match store.temp_file(&upload.file_name) {
            Ok(temp) => {
                self.open.insert(
                    upload.transfer,
                    Transfer::Upload {
                        upload,
                        temp,
                        failed: None,
                    },
                );
            }
            Err(e) => tracing::error!(
                "cannot create a temporary file in {}: {e}",
                store.root().display()
            ),
        }
    }

    /// `Event::AttachmentStart`: a temporary file for the attachment.
    pub fn start_attachment(&mut self, store: &Store, att: Attachment) {
        let entry = self
            .open
            .entry(att.transfer)
            .or_insert_with(|| Transfer::Email {
                files: Vec::new(),
                failed: None,
            });
        if let Transfer::Email { files, failed } = entry {
            match store.temp_file(&att.file_name) {
                Ok(temp) => files.push((att, temp)),
                Err(e) => *failed = Some(e),
            }
        }
    }

    /// `Event::Data`: appends to the transfer's current file (a write
    /// error is remembered and fails the transfer at its end).
    pub fn write(&mut self, transfer: TransferId, data: &[u8]) {
        if let Some(t) = self.open.get_mut(&transfer) {
            t.write(data);
        }
    }

    /// `Event::UploadComplete`: the upload and its file, or None (logged)
    /// when it cannot be stored — then answer `handle_stored(.., false)`.
    pub fn take_upload(&mut self, transfer: TransferId) -> Option<ReceivedUpload> {
        match self.open.remove(&transfer) {
            Some(Transfer::Upload {
                upload,
                temp,
                failed: None,
            }) => Some((upload, temp)),
            Some(t) => {
                t.discard();
                tracing::error!("upload not stored: writing the temporary file failed");
                None
            }
            None => {
                tracing::error!("upload not stored: no temporary file");
                None
            }
        }
    }

    /// `Event::EmailComplete`: the attachments (none for an e-mail without
    /// any), or None (logged) when one could not be written.
    pub fn take_email(&mut self, transfer: TransferId) -> Option<ReceivedAttachments> {
        match self.open.remove(&transfer) {
            Some(Transfer::Email {
                files,
                failed: None,
            }) => Some(files),
            Some(t) => {
                t.discard();
                tracing::error!("e-mail not accepted: writing an attachment failed");
                None
            }
            None => Some(Vec::new()),
        }
    }

    /// `Event::Aborted`: deletes what the transfer had written.
    pub fn abort(&mut self, transfer: TransferId, reason: AbortReason) {
        if let Some(t) = self.open.remove(&transfer) {
            t.discard();
            tracing::info!("transfer {} discarded ({reason:?})", transfer.0);
        }
    }

    /// `Event::Download`: the answer for `path` (a download path the core
    /// validated) under `store`; a file to stream is kept for
    /// [`Transfers::take_download`].
    pub fn download(&mut self, store: &Store, path: &str, excluded: &[PathBuf]) -> DownloadAnswer {
        match store.resolve_download(path, excluded) {
            None => DownloadAnswer::NotFound,
            Some(real) => self.download_answer(real),
        }
    }

    /// The file whose bytes follow the answer's head, once.
    pub fn take_download(&mut self) -> Option<PathBuf> {
        self.download.take()
    }

    fn download_answer(&mut self, real: PathBuf) -> DownloadAnswer {
        let Ok(meta) = std::fs::metadata(&real) else {
            return DownloadAnswer::NotFound;
        };
        if meta.is_file() {
            let name = real
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let content_type = samsung_core::media::type_from_name(name);
            self.download = Some(real);
            return DownloadAnswer::File {
                len: meta.len(),
                content_type,
            };
        }
        let Ok(dir) = std::fs::read_dir(&real) else {
            return DownloadAnswer::NotFound;
        };
        let entries = dir
            .filter_map(Result::ok)
            .take(4 * MAX_LISTING_ENTRIES)
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some(ListingEntry {
                    name: e.file_name().to_str()?.to_string(),
                    is_dir: meta.is_dir(),
                    len: meta.len(),
                })
            })
            .collect();
        DownloadAnswer::Listing(entries)
    }
}

impl Drop for Transfers {
    fn drop(&mut self) {
        for (_, t) in std::mem::take(&mut self.open) {
            t.discard();
        }
    }
}
