//! One camera connection, start to close, as on the daemon: read, feed the
//! core, act on its events (temporary files, storing, downloads), write the
//! single answer (the core's drain contract, `samsung_core` crate docs).

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::path::PathBuf;

use samsung_core::conn::{
    Attachment, Connection, DOWNLOAD_TRANSMIT_BUF, DownloadAnswer, Event, ListingEntry,
    MIN_TRANSMIT_BUF,
};
use samsung_core::sns::{TransferId, Upload};
use samsung_core::time::Instant;
use samsung_host::clock::now;
use samsung_host::deliver::{finish_email, finish_upload};
use samsung_host::store::TempFile;
use wstd::future::FutureExt;

use super::{Shared, client_addr, drain_bridge};
use crate::net::Stream;

/// First read buffer of a connection: request heads and XML bodies fit.
const HEAD_BUF: usize = 8 * 1024;
/// Read buffer once a body streams in (uploads): fewer, larger reads.
const BODY_BUF: usize = 256 * 1024;
/// How long writing an answer (or a download chunk) may take.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What a connection has received so far of an upload or an e-mail.
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

enum Wake {
    Read(io::Result<usize>),
    Deadline,
}

/// A connection's transfers in flight and a pending download.
#[derive(Default)]
struct Pending {
    transfers: BTreeMap<TransferId, Transfer>,
    download: Option<PathBuf>,
}

/// One camera connection, start to close.
pub(super) async fn serve(shared: &Shared, stream: Stream, peer: SocketAddr) {
    let mut conn = Connection::new(client_addr(peer), now());
    let mut buf = vec![0u8; HEAD_BUF];
    let mut pending = Pending::default();
    let out_len = if shared.config.model.insecure_download {
        DOWNLOAD_TRANSMIT_BUF
    } else {
        MIN_TRANSMIT_BUF
    };
    let mut out = vec![0u8; out_len];
    loop {
        if conn.poll_save_sessions() {
            sessions_changed(shared);
        }
        if let Some(n) = conn.poll_transmit(&mut out) {
            let written = write_timeout(&stream, &out[..n]).await;
            if written.is_ok()
                && let (Some(len), Some(path)) = (conn.body_follows(), pending.download.take())
                && let Err(e) = send_file(&stream, &path, len).await
            {
                tracing::info!("download of {} to {peer} stopped: {e}", path.display());
            }
            let _ = stream.output.flush().await;
            stream.shutdown_write();
            break;
        }
        if conn.is_closed() {
            break;
        }
        let deadline = conn.poll_timeout(&shared.bridge());
        let wake = read_or_deadline(&stream, &mut buf, deadline).await;
        let now = now();
        let gone = matches!(wake, Wake::Read(Ok(0)) | Wake::Read(Err(_)));
        match wake {
            Wake::Read(Ok(0)) | Wake::Read(Err(_)) => conn.handle_eof(&mut shared.bridge(), now),
            Wake::Read(Ok(n)) => {
                feed(shared, &mut conn, &buf[..n], &mut pending);
                if n == buf.len() && buf.len() < BODY_BUF {
                    // A full small buffer: a body is streaming in.
                    buf = vec![0u8; BODY_BUF];
                }
            }
            Wake::Deadline => conn.handle_timeout(&mut shared.bridge(), now),
        }
        while let Some(ev) = conn.poll_event() {
            on_event(shared, &mut conn, ev, &mut pending);
        }
        drain_bridge(shared);
        if gone && !conn.is_closed() {
            // The camera is gone; nothing more will arrive. Let a pending
            // answer be rendered (it goes nowhere) and stop.
            let _ = conn.poll_transmit(&mut out);
            break;
        }
    }
    for (_, t) in std::mem::take(&mut pending.transfers) {
        t.discard();
    }
    if conn.poll_save_sessions() {
        sessions_changed(shared);
    }
    if let Some(s) = conn.summary() {
        let status = s
            .status
            .map_or_else(|| String::from("no answer"), |c| c.to_string());
        tracing::info!(
            "{} {} {}{} → {status} [{}] {}",
            peer.ip(),
            s.method.as_str(),
            s.host.as_deref().unwrap_or(""),
            s.loggable_path,
            s.kind.as_str(),
            s.user_agent.as_deref().unwrap_or("-")
        );
    }
}

/// The sessions changed: on disk before the answer (a crash right after it
/// loses nothing), and the timer looks at its deadline again.
fn sessions_changed(shared: &Shared) {
    shared.save_sessions();
    shared.timer_wake.notify();
}

async fn read_or_deadline(stream: &Stream, buf: &mut [u8], deadline: Option<Instant>) -> Wake {
    let read = async { Wake::Read(stream.read(buf).await) };
    match deadline {
        None => read.await,
        Some(d) => {
            let wait = d.as_millis().saturating_sub(now().as_millis());
            let sleep = wstd::task::sleep(wstd::time::Duration::from_millis(wait));
            read.timeout(sleep).await.unwrap_or(Wake::Deadline)
        }
    }
}

async fn write_timeout(stream: &Stream, bytes: &[u8]) -> io::Result<()> {
    stream
        .output
        .write_all(bytes)
        .timeout(wstd::task::sleep(WRITE_TIMEOUT.into()))
        .await
        .and_then(|r| r)
}

async fn send_file(stream: &Stream, path: &PathBuf, len: u64) -> io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let mut left = len;
    let mut chunk = vec![0u8; BODY_BUF];
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
        let n = file.read(&mut chunk[..want])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank"));
        }
        write_timeout(stream, &chunk[..n]).await?;
        left -= n as u64;
    }
    Ok(())
}

/// Feeds received bytes through the connection (the core's drain loop).
fn feed(shared: &Shared, conn: &mut Connection, input: &[u8], pending: &mut Pending) {
    let mut off = 0;
    loop {
        let owned = {
            let mut bridge = shared.bridge();
            let (used, ev) = conn.handle_input(&mut bridge, now(), &input[off..]);
            off += used;
            match ev.map(Event::into_owned) {
                None if off >= input.len() => return,
                None => continue,
                Some(Err((transfer, data))) => {
                    if let Some(t) = pending.transfers.get_mut(&transfer) {
                        t.write(data);
                    }
                    continue;
                }
                Some(Ok(ev)) => ev,
            }
        };
        on_event(shared, conn, owned, pending);
    }
}

fn on_event(shared: &Shared, conn: &mut Connection, ev: Event<'static>, pending: &mut Pending) {
    let transfers = &mut pending.transfers;
    match ev {
        Event::UploadStart(upload) => match shared.store.temp_file(&upload.file_name) {
            Ok(temp) => {
                transfers.insert(
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
                shared.store.root().display()
            ),
        },
        Event::AttachmentStart(att) => {
            let entry = transfers
                .entry(att.transfer)
                .or_insert_with(|| Transfer::Email {
                    files: Vec::new(),
                    failed: None,
                });
            if let Transfer::Email { files, failed } = entry {
                match shared.store.temp_file(&att.file_name) {
                    Ok(temp) => files.push((att, temp)),
                    Err(e) => *failed = Some(e),
                }
            }
        }
        Event::Data { transfer, data } => {
            if let Some(t) = transfers.get_mut(&transfer) {
                t.write(data);
            }
        }
        Event::AttachmentEnd { .. } => {}
        Event::UploadComplete { transfer } => {
            let stored = match transfers.remove(&transfer) {
                Some(Transfer::Upload {
                    upload,
                    temp,
                    failed: None,
                }) => finish_upload(&shared.store, &shared.outbox, &upload, temp),
                Some(t) => {
                    t.discard();
                    tracing::error!("upload not stored: writing the temporary file failed");
                    false
                }
                None => {
                    tracing::error!("upload not stored: no temporary file");
                    false
                }
            };
            conn.handle_stored(&mut shared.bridge(), now(), transfer, stored);
        }
        Event::EmailComplete(email) => {
            let transfer = email.transfer;
            let stored = match transfers.remove(&transfer) {
                Some(Transfer::Email {
                    files,
                    failed: None,
                }) => finish_email(&shared.store, &shared.outbox, &email, files),
                Some(t) => {
                    t.discard();
                    tracing::error!("e-mail not accepted: writing an attachment failed");
                    false
                }
                // An e-mail without attachments.
                None => finish_email(&shared.store, &shared.outbox, &email, Vec::new()),
            };
            conn.handle_stored(&mut shared.bridge(), now(), transfer, stored);
        }
        Event::Aborted { transfer, reason } => {
            if let Some(t) = transfers.remove(&transfer) {
                t.discard();
                tracing::info!("transfer {} discarded ({reason:?})", transfer.0);
            }
        }
        Event::Download { path } => {
            let answer = match shared.store.resolve_download(&path, &shared.excluded) {
                None => DownloadAnswer::NotFound,
                Some(real) => download_answer(real, &mut pending.download),
            };
            conn.handle_download(answer);
        }
        other => tracing::warn!("ignoring a core event this component does not know: {other:?}"),
    }
}

fn download_answer(real: PathBuf, download: &mut Option<PathBuf>) -> DownloadAnswer {
    let Ok(meta) = std::fs::metadata(&real) else {
        return DownloadAnswer::NotFound;
    };
    if meta.is_file() {
        let name = real
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let content_type = samsung_core::media::type_from_name(name);
        *download = Some(real);
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
