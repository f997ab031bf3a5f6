//! One camera connection, start to close, as on the daemon: read, feed the
//! core, act on its events (temporary files, storing, downloads), write the
//! single answer (the core's drain contract, `samsung_core` crate docs).

use std::io::{self, Read};
use std::net::SocketAddr;
use std::path::PathBuf;

use samsung_core::conn::{Connection, DOWNLOAD_TRANSMIT_BUF, Event, MIN_TRANSMIT_BUF};
use samsung_core::time::Instant;
use samsung_host::clock::now;
use samsung_host::conn::{Next, Transfers, client_addr, log_request};
use wstd::future::FutureExt;

use super::{Shared, drain_bridge};
use crate::net::Stream;

/// First read buffer of a connection: request heads and XML bodies fit.
const HEAD_BUF: usize = 8 * 1024;
/// Read buffer once a body streams in (uploads): fewer, larger reads.
const BODY_BUF: usize = 256 * 1024;
/// How long writing an answer (or a download chunk) may take.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

enum Wake {
    Read(io::Result<usize>),
    Deadline,
}

/// One camera connection, start to close.
pub(super) async fn serve(shared: &Shared, stream: Stream, peer: SocketAddr) {
    let mut conn = Connection::new(client_addr(peer), now());
    let mut buf = vec![0u8; HEAD_BUF];
    let mut transfers = Transfers::new();
    let mut download: Option<PathBuf> = None;
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
                && let (Some(len), Some(path)) = (conn.body_follows(), download.take())
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
                feed(shared, &mut conn, &buf[..n], &mut transfers, &mut download);
                if n == buf.len() && buf.len() < BODY_BUF {
                    // A full small buffer: a body is streaming in.
                    buf = vec![0u8; BODY_BUF];
                }
            }
            Wake::Deadline => conn.handle_timeout(&mut shared.bridge(), now),
        }
        while let Some(ev) = conn.poll_event() {
            on_event(shared, &mut conn, ev, &mut transfers, &mut download);
        }
        drain_bridge(shared);
        if gone && !conn.is_closed() {
            // The camera is gone; nothing more will arrive. Let a pending
            // answer be rendered (it goes nowhere) and stop.
            let _ = conn.poll_transmit(&mut out);
            break;
        }
    }
    // What the camera did not finish is deleted now.
    drop(transfers);
    if conn.poll_save_sessions() {
        sessions_changed(shared);
    }
    if let Some(s) = conn.summary() {
        log_request(peer.ip(), s);
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
fn feed(
    shared: &Shared,
    conn: &mut Connection,
    input: &[u8],
    transfers: &mut Transfers,
    download: &mut Option<PathBuf>,
) {
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
                    transfers.write(transfer, data);
                    continue;
                }
                Some(Ok(ev)) => ev,
            }
        };
        on_event(shared, conn, owned, transfers, download);
    }
}

/// One event: the shared bookkeeping, then what it hands back. Storing is
/// synchronous file I/O here (one thread: it holds the other connections
/// for its duration, like a blocking-pool thread would hold one).
fn on_event(
    shared: &Shared,
    conn: &mut Connection,
    ev: Event<'static>,
    transfers: &mut Transfers,
    download: &mut Option<PathBuf>,
) {
    match transfers.on_event(&shared.store, &shared.excluded, ev) {
        Next::Done => {}
        Next::Store(finish) => {
            let transfer = finish.transfer();
            let stored = finish.run(&shared.store, &shared.outbox);
            conn.handle_stored(&mut shared.bridge(), now(), transfer, stored);
        }
        Next::Download { answer, file } => {
            *download = file;
            conn.handle_download(answer);
        }
        Next::Unknown(ev) => {
            tracing::warn!("ignoring a core event this component does not know: {ev:?}");
        }
    }
}
