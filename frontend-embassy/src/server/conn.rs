//! One camera connection, start to close, driven exactly by the core's
//! drain contract (`samsung-core`'s crate docs): wait for bytes or the
//! deadline, feed them, act on each event, answer with one write.

use alloc::string::String;

use embassy_futures::select::{Either, select};
use embassy_net::tcp::TcpSocket;
use embassy_time::{Duration, Timer, with_timeout};
use embedded_io_async::Write as _;
use samsung_core::ClientAddr;
use samsung_core::conn::{Connection, DownloadAnswer, Event};
use samsung_core::time::Instant;

use crate::app::App;
use crate::forward::poster::drain_bridge;
use crate::forward::transfer::{Transfer, finish_email};
use crate::upstream::Upstream;

/// Longest time the answer may take to leave.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

enum Wake {
    Read(usize),
    Eof,
    Deadline,
}

/// Serves one accepted connection.
pub(super) async fn serve<U: Upstream>(
    app: &App<U>,
    socket: &mut TcpSocket<'_>,
    buf: &mut [u8],
    out: &mut [u8],
) {
    let peer = socket
        .remote_endpoint()
        .map(|e| e.addr)
        .map_or([0; 4], |a| match a {
            embassy_net::IpAddress::Ipv4(v4) => v4.octets(),
        });
    let mut conn = Connection::new(ClientAddr::from_ipv4(peer), app.now());
    let mut transfer: Option<Transfer<'_, U>> = None;
    let mut busy: Option<crate::app::TransferGuard<'_, U>> = None;
    loop {
        // The board keeps no session file: the save request is dropped.
        let _ = conn.poll_save_sessions();
        if let Some(n) = conn.poll_transmit(out) {
            let bytes = out.get(..n).unwrap_or_default();
            let written = with_timeout(WRITE_TIMEOUT, async {
                socket.write_all(bytes).await?;
                socket.flush().await
            })
            .await;
            if !matches!(written, Ok(Ok(()))) {
                log::info!("answer to {} not delivered", ip(peer));
            }
            break;
        }
        if conn.is_closed() {
            break;
        }
        let deadline = app.with_bridge(|b| conn.poll_timeout(b));
        let wake = read_or_deadline(app, socket, buf, deadline).await;
        let now = app.now();
        match wake {
            Wake::Eof => app.with_bridge(|b| conn.handle_eof(b, now)),
            Wake::Read(n) => {
                feed(
                    app,
                    &mut conn,
                    buf.get(..n).unwrap_or_default(),
                    &mut transfer,
                )
                .await;
                if transfer.is_some() && busy.is_none() {
                    busy = Some(app.transfer_guard());
                }
            }
            Wake::Deadline => app.with_bridge(|b| conn.handle_timeout(b, now)),
        }
        while let Some(ev) = conn.poll_event() {
            on_event(app, &mut conn, ev, &mut transfer).await;
        }
        drain_bridge(app);
        if matches!(wake, Wake::Eof) && !conn.is_closed() {
            // The camera is gone: render what is pending (it goes nowhere).
            let _ = conn.poll_transmit(out);
            break;
        }
    }
    // An upload cut off: dropping its link closes it, and the server drops
    // the half-sent media.
    drop(transfer);
    drop(busy);
    if let Some(s) = conn.summary() {
        let status = s
            .status
            .map_or_else(|| String::from("no answer"), |c| alloc::format!("{c}"));
        log::info!(
            "{} {} {}{} → {status} [{}] {}",
            ip(peer),
            s.method.as_str(),
            s.host.as_deref().unwrap_or(""),
            s.loggable_path,
            s.kind.as_str(),
            s.user_agent.as_deref().unwrap_or("-")
        );
    }
}

fn ip(a: [u8; 4]) -> core::net::Ipv4Addr {
    core::net::Ipv4Addr::from(a)
}

async fn read_or_deadline<U: Upstream>(
    app: &App<U>,
    socket: &mut TcpSocket<'_>,
    buf: &mut [u8],
    deadline: Option<Instant>,
) -> Wake {
    let read = async {
        match socket.read(buf).await {
            Ok(0) | Err(_) => Wake::Eof,
            Ok(n) => Wake::Read(n),
        }
    };
    match deadline {
        None => read.await,
        Some(d) => match select(read, Timer::at(app.to_embassy(d))).await {
            Either::First(w) => w,
            Either::Second(()) => Wake::Deadline,
        },
    }
}

/// Feeds received bytes through the connection (steps 2 of the contract).
async fn feed<'a, U: Upstream>(
    app: &'a App<U>,
    conn: &mut Connection,
    input: &[u8],
    transfer: &mut Option<Transfer<'a, U>>,
) {
    let mut off = 0;
    loop {
        let now = app.now();
        let owned = {
            let (used, ev) = app
                .with_bridge(|b| conn.handle_input(b, now, input.get(off..).unwrap_or_default()));
            off += used;
            match ev.map(Event::into_owned) {
                None if off >= input.len() => return,
                None => continue,
                Some(Err((_, data))) => {
                    if let Some(t) = transfer.as_mut() {
                        t.data(data).await;
                    }
                    continue;
                }
                Some(Ok(ev)) => ev,
            }
        };
        on_event(app, conn, owned, transfer).await;
    }
}

async fn on_event<'a, U: Upstream>(
    app: &'a App<U>,
    conn: &mut Connection,
    ev: Event<'static>,
    transfer: &mut Option<Transfer<'a, U>>,
) {
    match ev {
        Event::UploadStart(upload) => {
            *transfer = Some(Transfer::upload(app, upload).await);
        }
        Event::AttachmentStart(att) => {
            let message = conn.email_message();
            let t = transfer.get_or_insert_with(|| Transfer::email(app, message));
            t.attachment_start(app, message, &att).await;
        }
        Event::Data { data, .. } => {
            if let Some(t) = transfer.as_mut() {
                t.data(data).await;
            }
        }
        Event::AttachmentEnd { .. } => {
            if let Some(t) = transfer.as_mut() {
                t.attachment_end().await;
            }
        }
        Event::UploadComplete { transfer: id } => {
            let ok = match transfer.take() {
                Some(t) => t.finish_upload(app).await,
                None => false,
            };
            app.with_bridge(|b| conn.handle_stored(b, app.now(), id, ok));
        }
        Event::EmailComplete(email) => {
            let id = email.transfer;
            let ok = finish_email(app, transfer.take(), &email).await;
            app.with_bridge(|b| conn.handle_stored(b, app.now(), id, ok));
        }
        Event::Aborted { reason, .. } => {
            if let Some(t) = transfer.take() {
                log::info!(
                    "{} discarded ({reason:?}): its media upload is dropped unfinished",
                    t.describe()
                );
            }
        }
        // Refused at start-up (INSECURE_DOWNLOAD); answered all the same.
        Event::Download { .. } => conn.handle_download(DownloadAnswer::NotFound),
        other => log::warn!("ignoring a core event the board does not know: {other:?}"),
    }
}
