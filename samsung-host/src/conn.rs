//! What a std frontend does with a camera connection's events, apart from
//! moving bytes: the uploads and e-mails being received in temporary files
//! ([`Transfers`]), what is then stored ([`Finish`]), download answers from
//! the upload folder, and the one log line per request.
//!
//! The frontend owns the socket and the `samsung_core::conn::Connection`;
//! per event from `Connection::handle_input` / `poll_event` it calls
//! [`Transfers::on_event`] and does what the returned [`Next`] says.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use samsung_core::ClientAddr;
use samsung_core::conn::{Attachment, DownloadAnswer, Event, ListingEntry, RequestSummary};
use samsung_core::sns::{Email, TransferId, Upload};

use crate::deliver::{finish_email, finish_upload};
use crate::outbox::Outbox;
use crate::store::{Store, TempFile};

/// The core's address of a TCP peer (IPv4-mapped IPv6 as IPv4).
pub fn client_addr(peer: SocketAddr) -> ClientAddr {
    match peer {
        SocketAddr::V4(v4) => ClientAddr::from_ipv4(v4.ip().octets()),
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => ClientAddr::from_ipv4(v4.octets()),
            None => ClientAddr::from_ipv6(v6.ip().octets()),
        },
    }
}

/// Logs the one line of a finished request (`Connection::summary`):
/// client, method, host and path (an upload's session key left out),
/// status, what it was, the camera's User-Agent.
pub fn log_request(peer: IpAddr, s: &RequestSummary) {
    let status = s
        .status
        .map_or_else(|| String::from("no answer"), |c| c.to_string());
    tracing::info!(
        "{} {} {}{} → {status} [{}] {}",
        peer,
        s.method.as_str(),
        s.host.as_deref().unwrap_or(""),
        s.loggable_path,
        s.kind.as_str(),
        s.user_agent.as_deref().unwrap_or("-")
    );
}

/// What a connection has received so far of one upload or e-mail.
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
            Transfer::Upload { temp, failed, .. } => (Some(temp), failed),
            Transfer::Email { files, failed } => (files.last_mut().map(|f| &mut f.1), failed),
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
            Transfer::Upload { temp, .. } => temp.discard(),
            Transfer::Email { files, .. } => files.into_iter().for_each(|(_, t)| t.discard()),
        }
    }
}

/// The uploads and e-mails one connection is receiving, each in temporary
/// files under the upload folder. Dropping it deletes what was not
/// finished (a connection that ends mid-upload leaves nothing).
#[derive(Debug, Default)]
pub struct Transfers {
    open: BTreeMap<TransferId, Transfer>,
}

/// What the frontend does after [`Transfers::on_event`].
#[derive(Debug)]
pub enum Next {
    /// Nothing more: the event is handled.
    Done,
    /// A transfer is complete: [`Finish::run`] it (blocking: fsync, links,
    /// job commits — off the event loop where there are threads), then
    /// `conn.handle_stored(bridge, now, finish.transfer(), stored)`.
    Store(Finish),
    /// A download: `conn.handle_download(answer)`; `file` is what to
    /// stream after the answer's head (`Connection::body_follows`).
    Download {
        /// The core's answer.
        answer: DownloadAnswer,
        /// The file to send, for a file (not a listing).
        file: Option<PathBuf>,
    },
    /// An event this crate does not know (a newer core): log it.
    Unknown(Event<'static>),
}

/// A complete transfer, ready to be stored and delivered.
#[derive(Debug)]
pub struct Finish {
    transfer: TransferId,
    what: Finishing,
}

#[derive(Debug)]
enum Finishing {
    Upload(Box<Upload>, TempFile),
    Email(Box<Email>, Vec<(Attachment, TempFile)>),
    /// Receiving it failed (logged already): the camera is told so.
    Failed,
}

impl Finish {
    /// The transfer to report to `Connection::handle_stored`.
    pub fn transfer(&self) -> TransferId {
        self.transfer
    }

    /// Stores and delivers it ([`finish_upload`] / [`finish_email`]);
    /// returns whether the camera may be told `succ`.
    pub fn run(self, store: &Store, outbox: &Outbox) -> bool {
        match self.what {
            Finishing::Upload(upload, temp) => finish_upload(store, outbox, &upload, temp),
            Finishing::Email(email, files) => finish_email(store, outbox, &email, files),
            Finishing::Failed => false,
        }
    }
}

impl Transfers {
    /// No transfers yet.
    pub fn new() -> Transfers {
        Transfers::default()
    }

    /// Body bytes of `transfer` (`Connection::handle_input`'s borrowed data).
    pub fn write(&mut self, transfer: TransferId, data: &[u8]) {
        if let Some(t) = self.open.get_mut(&transfer) {
            t.write(data);
        }
    }

    /// Acts on one event of the connection: temporary files for uploads
    /// and attachments, their data, aborts; completions and downloads are
    /// handed back to the frontend. `excluded`: folders the download
    /// server never shows (sessions, outbox).
    pub fn on_event(&mut self, store: &Store, excluded: &[PathBuf], ev: Event<'static>) -> Next {
        match ev {
            Event::UploadStart(upload) => {
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
                Next::Done
            }
            Event::AttachmentStart(att) => {
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
                Next::Done
            }
            Event::Data { transfer, data } => {
                self.write(transfer, data);
                Next::Done
            }
            Event::AttachmentEnd { .. } => Next::Done,
            Event::UploadComplete { transfer } => {
                let what = match self.open.remove(&transfer) {
                    Some(Transfer::Upload {
                        upload,
                        temp,
                        failed: None,
                    }) => Finishing::Upload(upload, temp),
                    Some(Transfer::Upload {
                        temp,
                        failed: Some(e),
                        ..
                    }) => {
                        temp.discard();
                        tracing::error!(
                            "upload not stored: writing the temporary file failed: {e}"
                        );
                        Finishing::Failed
                    }
                    _ => {
                        tracing::error!("upload not stored: no temporary file");
                        Finishing::Failed
                    }
                };
                Next::Store(Finish { transfer, what })
            }
            Event::EmailComplete(email) => {
                let transfer = email.transfer;
                let what = match self.open.remove(&transfer) {
                    Some(Transfer::Email {
                        files,
                        failed: None,
                    }) => Finishing::Email(email, files),
                    Some(t) => {
                        t.discard();
                        tracing::error!("e-mail not accepted: writing an attachment failed");
                        Finishing::Failed
                    }
                    // An e-mail without attachments.
                    None => Finishing::Email(email, Vec::new()),
                };
                Next::Store(Finish { transfer, what })
            }
            Event::Aborted { transfer, reason } => {
                if let Some(t) = self.open.remove(&transfer) {
                    t.discard();
                    tracing::info!("transfer {} discarded ({reason:?})", transfer.0);
                }
                Next::Done
            }
            Event::Download { path } => match store.resolve_download(&path, excluded) {
                None => Next::Download {
                    answer: DownloadAnswer::NotFound,
                    file: None,
                },
                Some(real) => {
                    let (answer, file) = download_answer(real);
                    Next::Download { answer, file }
                }
            },
            other => Next::Unknown(other),
        }
    }
}

impl Drop for Transfers {
    fn drop(&mut self) {
        for (_, t) in std::mem::take(&mut self.open) {
            t.discard();
        }
    }
}

/// The answer for an existing file or folder under the upload folder (and
/// the file to stream, for a file).
fn download_answer(real: PathBuf) -> (DownloadAnswer, Option<PathBuf>) {
    let Ok(meta) = std::fs::metadata(&real) else {
        return (DownloadAnswer::NotFound, None);
    };
    if meta.is_file() {
        let name = real
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let content_type = samsung_core::media::type_from_name(name);
        return (
            DownloadAnswer::File {
                len: meta.len(),
                content_type,
            },
            Some(real),
        );
    }
    (listing(&real), None)
}

fn listing(dir: &Path) -> DownloadAnswer {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return DownloadAnswer::NotFound;
    };
    let entries = entries
        .filter_map(Result::ok)
        .take(4 * samsung_core::conn::MAX_LISTING_ENTRIES)
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

#[cfg(test)]
mod tests {
    use samsung_core::conn::AbortReason;
    use samsung_core::route::{Action, ActionKind};
    use samsung_core::sns::BatchRef;
    use samsung_core::xml::MediaKind;

    use super::*;
    use crate::outbox::OutboxSettings;
    use crate::testutil::scratch;

    fn upload(transfer: u64, folder: &str) -> Box<Upload> {
        Box::new(Upload {
            transfer: TransferId(transfer),
            user: String::from("cam"),
            site: String::from("facebook"),
            action: Action {
                kind: ActionKind::Store,
                instance: None,
            },
            folder: String::from(folder),
            file_name: String::from("SAM_0001.JPG"),
            kind: MediaKind::Photo,
            content_type: Some(String::from("image/jpeg")),
            length: 9,
            batch: BatchRef {
                id: String::from("b1"),
                index: 0,
                expected: Some(1),
                caption: String::new(),
                alt: None,
                album: None,
                last: true,
            },
        })
    }

    fn incoming(store: &Store) -> usize {
        std::fs::read_dir(store.root().join(crate::store::INCOMING))
            .unwrap()
            .count()
    }

    #[test]
    fn an_upload_is_stored_an_abort_and_a_dropped_connection_leave_nothing() {
        let tmp = scratch("transfers");
        let store = Store::open(&tmp.join("uploads")).unwrap();
        let outbox = Outbox::open(
            &tmp.join("outbox"),
            OutboxSettings::default(),
            Box::new(|| {}),
        )
        .unwrap();
        let mut t = Transfers::new();
        assert!(matches!(
            t.on_event(&store, &[], Event::UploadStart(upload(1, "abc"))),
            Next::Done
        ));
        t.write(TransferId(1), b"jpeg ");
        let ev = Event::Data {
            transfer: TransferId(1),
            data: b"data",
        };
        assert!(matches!(t.on_event(&store, &[], ev), Next::Done));
        // Data for a transfer nobody started is ignored.
        t.write(TransferId(7), b"stray");
        let ev = Event::UploadComplete {
            transfer: TransferId(1),
        };
        let Next::Store(finish) = t.on_event(&store, &[], ev) else {
            panic!("a complete upload is to be stored")
        };
        assert_eq!(finish.transfer(), TransferId(1));
        assert!(finish.run(&store, &outbox));
        let stored = store.root().join("abc/SAM_0001.JPG");
        assert_eq!(std::fs::read(&stored).unwrap(), b"jpeg data");

        t.on_event(&store, &[], Event::UploadStart(upload(2, "abc")));
        t.write(TransferId(2), b"partial");
        assert_eq!(incoming(&store), 1);
        let ev = Event::Aborted {
            transfer: TransferId(2),
            reason: AbortReason::Truncated,
        };
        assert!(matches!(t.on_event(&store, &[], ev), Next::Done));
        assert_eq!(incoming(&store), 0);
        // A completion without a transfer is refused, not stored.
        let ev = Event::UploadComplete {
            transfer: TransferId(2),
        };
        let Next::Store(finish) = t.on_event(&store, &[], ev) else {
            panic!("the camera gets an answer")
        };
        assert!(!finish.run(&store, &outbox));

        t.on_event(&store, &[], Event::UploadStart(upload(3, "abc")));
        t.write(TransferId(3), b"partial");
        drop(t);
        assert_eq!(incoming(&store), 0);
        assert_eq!(
            std::fs::read_dir(store.root().join("abc")).unwrap().count(),
            1
        );
    }

    #[test]
    fn downloads_answer_files_listings_and_nothing_outside() {
        let tmp = scratch("downloads");
        let store = Store::open(&tmp.join("uploads")).unwrap();
        std::fs::create_dir_all(store.root().join("abc")).unwrap();
        std::fs::write(store.root().join("abc/SAM_0001.JPG"), b"jpeg").unwrap();
        std::fs::create_dir_all(store.root().join("private")).unwrap();
        let excluded = [store.root().join("private")];
        let mut t = Transfers::new();
        let mut download = |path: &str| match t.on_event(
            &store,
            &excluded,
            Event::Download {
                path: String::from(path),
            },
        ) {
            Next::Download { answer, file } => (answer, file),
            other => panic!("{other:?}"),
        };
        let (answer, file) = download("abc/SAM_0001.JPG");
        assert_eq!(
            answer,
            DownloadAnswer::File {
                len: 4,
                content_type: "image/jpeg"
            }
        );
        assert_eq!(file, Some(store.root().join("abc/SAM_0001.JPG")));
        let (answer, file) = download("abc");
        let DownloadAnswer::Listing(entries) = answer else {
            panic!("a folder is listed")
        };
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].name, "SAM_0001.JPG");
        assert_eq!(file, None);
        for hidden in ["private", "../outbox", ".incoming", "nothing"] {
            assert_eq!(
                download(hidden),
                (DownloadAnswer::NotFound, None),
                "{hidden}"
            );
        }
    }

    #[test]
    fn ipv4_mapped_peers_are_ipv4() {
        let v4: SocketAddr = "10.42.0.2:1234".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:10.42.0.2]:1234".parse().unwrap();
        assert_eq!(client_addr(v4), client_addr(mapped));
        let v6: SocketAddr = "[fe80::1]:1234".parse().unwrap();
        assert_ne!(client_addr(v6), client_addr(v4));
    }
}
