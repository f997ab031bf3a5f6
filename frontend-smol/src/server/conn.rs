//! One camera connection, start to close: read, feed the core, act on its
//! events (temporary files, storing, downloads), write the single answer.

use super::*;

/// What a connection has received so far of an upload or an e-mail.
pub(super) enum Transfer {
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

pub(super) enum Wake {
    Read(io::Result<usize>),
    Deadline,
}

/// One camera connection, start to close.
pub(super) async fn serve(shared: &Arc<Shared>, mut stream: Async<TcpStream>, peer: SocketAddr) {
    let _ = stream.get_ref().set_nodelay(true);
    let mut conn = Connection::new(client_addr(peer), now());
    let mut buf = take_buffer(HEAD_BUF);
    let mut transfers: BTreeMap<TransferId, Transfer> = BTreeMap::new();
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
    for (_, t) in std::mem::take(&mut transfers) {
        t.discard();
    }
    if conn.poll_save_sessions() {
        sessions_changed(shared).await;
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
    transfers: &mut BTreeMap<TransferId, Transfer>,
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
                    if let Some(t) = transfers.get_mut(&transfer) {
                        t.write(data);
                    }
                    continue;
                }
                Some(Ok(ev)) => ev,
            }
        };
        on_event(shared, conn, owned, transfers, download).await;
    }
}

pub(super) async fn on_event(
    shared: &Shared,
    conn: &mut Connection,
    ev: Event<'static>,
    transfers: &mut BTreeMap<TransferId, Transfer>,
    download: &mut Option<PathBuf>,
) {
    match ev {
        Event::UploadStart(upload) => {
            let (temp, failed) = match shared.store.temp_file(&upload.file_name) {
                Ok(t) => (Some(t), None),
                Err(e) => (None, Some(e)),
            };
            match temp {
                Some(temp) => {
                    transfers.insert(
                        upload.transfer,
                        Transfer::Upload {
                            upload,
                            temp,
                            failed,
                        },
                    );
                }
                None => tracing::error!(
                    "cannot create a temporary file in {}: {}",
                    shared.store.root().display(),
                    failed.map(|e| e.to_string()).unwrap_or_default()
                ),
            }
        }
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
                }) => {
                    let (store, outbox) = (shared.store.clone(), shared.outbox.clone());
                    smol::unblock(move || finish_upload(&store, &outbox, &upload, temp)).await
                }
                Some(Transfer::Upload {
                    temp,
                    failed: Some(e),
                    ..
                }) => {
                    temp.discard();
                    tracing::error!("upload not stored: writing the temporary file failed: {e}");
                    false
                }
                _ => {
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
                }) => {
                    let (store, outbox) = (shared.store.clone(), shared.outbox.clone());
                    smol::unblock(move || finish_email(&store, &outbox, &email, files)).await
                }
                Some(t) => {
                    t.discard();
                    tracing::error!("e-mail not accepted: writing an attachment failed");
                    false
                }
                // An e-mail without attachments.
                None => {
                    let (store, outbox) = (shared.store.clone(), shared.outbox.clone());
                    smol::unblock(move || finish_email(&store, &outbox, &email, Vec::new())).await
                }
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
                Some(real) => download_answer(real, download),
            };
            conn.handle_download(answer);
        }
        other => tracing::warn!("ignoring a core event this daemon does not know: {other:?}"),
    }
}

pub(super) fn download_answer(real: PathBuf, download: &mut Option<PathBuf>) -> DownloadAnswer {
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
