//! One camera connection, start to close: read, feed the core, act on its
//! events (temporary files, storing, downloads), write the single answer.

use super::*;

pub(super) enum Wake {
    Read(io::Result<usize>),
    Deadline,
}

/// One camera connection, start to close.
pub(super) async fn serve(shared: &Arc<Shared>, mut stream: Async<TcpStream>, peer: SocketAddr) {
    let _ = stream.get_ref().set_nodelay(true);
    let mut conn = Connection::new(client_addr(peer), now());
    let mut buf = take_buffer(HEAD_BUF);
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
            sessions_changed(shared).await;
        }
        if let Some(n) = conn.poll_transmit(&mut out) {
            let written = write_timeout(&mut stream, &out[..n]).await;
            if written.is_ok()
                && let (Some(len), Some(path)) = (conn.body_follows(), download.take())
                && let Err(e) = send_file(&mut stream, &path, len).await
            {
                tracing::info!("download of {} to {peer} stopped: {e}", path.display());
            }
            let _ = stream.flush().await;
            let _ = stream.get_ref().shutdown(std::net::Shutdown::Write);
            break;
        }
        if conn.is_closed() {
            break;
        }
        let deadline = conn.poll_timeout(&shared.bridge());
        let wake = read_or_deadline(&mut stream, &mut buf, deadline).await;
        let now = now();
        match wake {
            Wake::Read(Ok(0)) | Wake::Read(Err(_)) => {
                conn.handle_eof(&mut shared.bridge(), now);
            }
            Wake::Read(Ok(n)) => {
                feed(shared, &mut conn, &buf[..n], &mut transfers, &mut download).await;
                if n == buf.len() && buf.len() < BODY_BUF {
                    // A full small buffer: a body is streaming in.
                    give_buffer(std::mem::replace(&mut buf, take_buffer(BODY_BUF)));
                }
            }
            Wake::Deadline => conn.handle_timeout(&mut shared.bridge(), now),
        }
        while let Some(ev) = conn.poll_event() {
            on_event(shared, &mut conn, ev, &mut transfers, &mut download).await;
        }
        drain_bridge(shared).await;
        if matches!(wake, Wake::Read(Ok(0)) | Wake::Read(Err(_))) && !conn.is_closed() {
            // The camera is gone; nothing more will arrive. Let a pending
            // answer be rendered (it goes nowhere) and stop.
            let _ = conn.poll_transmit(&mut out);
            break;
        }
    }
    give_buffer(buf);
    drop(transfers);
    if conn.poll_save_sessions() {
        sessions_changed(shared).await;
    }
    if let Some(s) = conn.summary() {
        log_request(peer.ip(), s);
    }
}

pub(super) async fn read_or_deadline(
    stream: &mut Async<TcpStream>,
    buf: &mut [u8],
    deadline: Option<Instant>,
) -> Wake {
    let read = async { Wake::Read(stream.read(buf).await) };
    match deadline {
        None => read.await,
        Some(d) => {
            let wait = d.as_millis().saturating_sub(now().as_millis());
            read.or(async {
                Timer::after(Duration::from_millis(wait)).await;
                Wake::Deadline
            })
            .await
        }
    }
}

pub(super) async fn write_timeout(stream: &mut Async<TcpStream>, bytes: &[u8]) -> io::Result<()> {
    async { stream.write_all(bytes).await }
        .or(async {
            Timer::after(WRITE_TIMEOUT).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
        })
        .await
}

pub(super) async fn send_file(
    stream: &mut Async<TcpStream>,
    path: &Path,
    len: u64,
) -> io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let mut left = len;
    let mut chunk = take_buffer(BODY_BUF);
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
        let n = file.read(&mut chunk[..want])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank"));
        }
        write_timeout(stream, &chunk[..n]).await?;
        left -= n as u64;
    }
    give_buffer(chunk);
    Ok(())
}

/// Feeds received bytes through the connection (the core's drain loop).
pub(super) async fn feed(
    shared: &Shared,
    conn: &mut Connection,
    input: &[u8],
    transfers: &mut Transfers,
    download: &mut Option<PathBuf>,
) {
    let mut off = 0;
    loop {
        let now = now();
        let owned = {
            let mut bridge = shared.bridge();
            let (used, ev) = conn.handle_input(&mut bridge, now, &input[off..]);
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
        on_event(shared, conn, owned, transfers, download).await;
    }
}

/// Acts on one event: the transfers keep the files; completions are
/// stored off the event loop before the camera is answered.
pub(super) async fn on_event(
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
            let (store, outbox) = (shared.store.clone(), shared.outbox.clone());
            let stored = smol::unblock(move || finish.run(&store, &outbox)).await;
            conn.handle_stored(&mut shared.bridge(), now(), transfer, stored);
        }
        Next::Download { answer, file } => {
            if file.is_some() {
                *download = file;
            }
            conn.handle_download(answer);
        }
        Next::Unknown(other) => {
            tracing::warn!("ignoring a core event this daemon does not know: {other:?}");
        }
    }
}
