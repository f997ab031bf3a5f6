//! The daemon's run loop: TCP connections driven through `samsung-core`,
//! uploads stored durably, forwarding queued in the outbox, sessions
//! persisted, optional DNS listener, clean shutdown on SIGTERM/SIGINT.
//!
//! Everything protocol is in the core; this file only moves bytes between
//! sockets, files and the core (see the core's crate docs for the run loop).
//! Connections run on one accepting thread per core (each a smol
//! `LocalExecutor`), sharing the core's `Bridge` behind a mutex that is held
//! only for the duration of one core call; the blocking parts that can take
//! long — fsync, placing files, queueing jobs — run on smol's blocking pool.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use samsung_core::ClientAddr;
use samsung_core::conn::{
    Attachment, Connection, DOWNLOAD_TRANSMIT_BUF, DownloadAnswer, Event, ListingEntry,
    MIN_TRANSMIT_BUF,
};
use samsung_core::route::{Action, ActionKind};
use samsung_core::sns::{Bridge, BridgeEvent, Email, TransferId, Upload};
use samsung_core::time::Instant;
use smol::future::FutureExt;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::{Async, LocalExecutor, Timer};

use crate::config::Config;
use crate::outbox::{MailJob, MediaFile, Outbox, OutboxSettings, ShellValues};
use crate::store::{self, Store, TempFile};

/// Bytes read from a socket at a time.
const READ_BUF: usize = 64 * 1024;
/// How long writing an answer (or a download chunk) may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// File name of the persisted sessions in `SESSION_FOLDER`.
const SESSIONS_FILE: &str = "sessions.v1";

/// The wall clock as the core's `Instant` (Unix milliseconds), so persisted
/// sessions keep their meaning across restarts.
pub fn now() -> Instant {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Instant::from_millis(ms)
}

fn client_addr(peer: SocketAddr) -> ClientAddr {
    match peer {
        SocketAddr::V4(v4) => ClientAddr::from_ipv4(v4.ip().octets()),
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => ClientAddr::from_ipv4(v4.octets()),
            None => ClientAddr::from_ipv6(v6.ip().octets()),
        },
    }
}

/// State shared by all connection tasks and threads.
struct Shared {
    bridge: Mutex<Bridge>,
    store: Arc<Store>,
    outbox: Arc<Outbox>,
    config: Config,
    /// Folders the download server must never show.
    excluded: Vec<PathBuf>,
    sessions_dirty: AtomicBool,
    active: AtomicUsize,
    save_lock: Mutex<()>,
}

impl Shared {
    /// The core's shared state; held for one core call at a time, never
    /// across an `.await`.
    fn bridge(&self) -> MutexGuard<'_, Bridge> {
        // A panic while holding it cannot leave the core half-updated in a
        // way that matters more than stopping the daemon would.
        self.bridge.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn dirty(&self) {
        self.sessions_dirty.store(true, Ordering::Relaxed);
    }

    fn active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }
}

thread_local! {
    /// Read buffers of finished connections, reused (no allocation and no
    /// zeroing per connection).
    static BUFFERS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

fn take_buffer() -> Vec<u8> {
    BUFFERS
        .with(|b| b.borrow_mut().pop())
        .unwrap_or_else(|| vec![0u8; READ_BUF])
}

fn give_buffer(buf: Vec<u8>) {
    BUFFERS.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() < 64 {
            b.push(buf);
        }
    });
}

/// Binds the listener with a clear explanation of the usual failures.
fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr).map_err(|e| match e.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "cannot listen on {addr}: permission denied. Ports below 1024 need root or the \
             CAP_NET_BIND_SERVICE capability: run `sudo setcap cap_net_bind_service=+ep \
             $(command -v samsung-bridge)`, or listen on 8080 and redirect port 80 to it \
             (`iptables -t nat -A PREROUTING -p tcp --dport 80 -j REDIRECT --to-port 8080`)"
        ),
        io::ErrorKind::AddrInUse => {
            format!(
                "cannot listen on {addr}: the address is already in use (another server running?)"
            )
        }
        io::ErrorKind::AddrNotAvailable => {
            format!("cannot listen on {addr}: this machine has no such address")
        }
        _ => format!("cannot listen on {addr}: {e}"),
    })
}

/// Runs the daemon until SIGTERM/SIGINT.
pub fn run(config: Config) -> Result<(), String> {
    // Before anything else, so a SIGTERM at any time stops the daemon cleanly.
    let signals =
        async_signal::Signals::new([async_signal::Signal::Term, async_signal::Signal::Int])
            .map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let listener = bind(config.listen)?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let store = Store::open(&config.upload_folder).map_err(|e| {
        format!(
            "cannot use UPLOAD_FOLDER {}: {e}",
            config.upload_folder.display()
        )
    })?;
    std::fs::create_dir_all(&config.session_folder).map_err(|e| {
        format!(
            "cannot use SESSION_FOLDER {}: {e}",
            config.session_folder.display()
        )
    })?;
    let outbox = Outbox::open(
        &config.outbox_folder,
        OutboxSettings {
            mastodon: config.mastodon.clone(),
            mail: config.mail.clone(),
            shell: config.shell.clone(),
            ..OutboxSettings::default()
        },
    )
    .map_err(|e| {
        format!(
            "cannot use the outbox folder {}: {e}",
            config.outbox_folder.display()
        )
    })?;
    let excluded: Vec<PathBuf> = [&config.session_folder, &config.outbox_folder]
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();

    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no OS random numbers: {e}"))?;
    let mut bridge = Bridge::new(config.bridge_config(), seed);
    let sessions_path = config.session_folder.join(SESSIONS_FILE);
    match std::fs::read_to_string(&sessions_path) {
        Ok(text) => match bridge.import_sessions(&text, now()) {
            Ok(n) => tracing::info!(
                restored = n,
                "sessions restored from {}",
                sessions_path.display()
            ),
            Err(e) => tracing::warn!("ignoring {}: {e}", sessions_path.display()),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!("cannot read {}: {e}", sessions_path.display()),
    }

    tracing::info!(
        "samsung-bridge {} listening on {local} (cameras connect to port 80: forward it here)",
        env!("CARGO_PKG_VERSION")
    );
    announce_config(&config, store.root());

    let shared = Arc::new(Shared {
        bridge: Mutex::new(bridge),
        store: Arc::new(store),
        outbox: Arc::new(outbox),
        config,
        excluded,
        sessions_dirty: AtomicBool::new(false),
        active: AtomicUsize::new(0),
        save_lock: Mutex::new(()),
    });
    let worker = shared.outbox.start();
    let result = serve_until_signal(shared.clone(), listener, signals);
    save_sessions(&shared);
    worker.shutdown();
    tracing::info!("stopped");
    result
}

/// Accepting threads (one per core) plus, on this thread, signals, timers
/// and the DNS listener; returns after SIGTERM/SIGINT once connections in
/// flight have finished (or the grace period is over).
fn serve_until_signal(
    shared: Arc<Shared>,
    listener: TcpListener,
    signals: async_signal::Signals,
) -> Result<(), String> {
    let (stop_tx, stop_rx) = smol::channel::bounded::<()>(1);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let mut workers = Vec::new();
    for i in 0..threads {
        let listener = listener.try_clone().map_err(|e| e.to_string())?;
        let (shared, stop_rx) = (shared.clone(), stop_rx.clone());
        let handle = std::thread::Builder::new()
            .name(format!("conn-{i}"))
            .spawn(move || {
                let ex = LocalExecutor::new();
                smol::block_on(ex.run(accept_loop(&ex, shared, listener, stop_rx)))
            })
            .map_err(|e| e.to_string())?;
        workers.push(handle);
    }
    drop(stop_rx);
    let ex = LocalExecutor::new();
    let result = smol::block_on(ex.run(async {
        ex.spawn(timers(shared.clone())).detach();
        if let Some(dns) = shared.config.dns.clone() {
            let socket = UdpSocket::bind(dns.listen)
                .map_err(|e| format!("cannot listen for DNS on {}: {e}", dns.listen))?;
            tracing::info!(
                "DNS on {} answers {} Samsung host names with {}",
                dns.listen,
                dns.names.len(),
                dns.address
            );
            let socket = Async::new(socket).map_err(|e| e.to_string())?;
            ex.spawn(dns_loop(socket, dns.responder())).detach();
        }
        wait_for_signal(signals).await;
        Ok::<(), String>(())
    }));
    let grace = shared.config.limits.shutdown_grace;
    tracing::info!(
        active = shared.active(),
        "shutting down: no new connections, finishing requests in flight (up to {}s)",
        grace.as_secs()
    );
    // Closing the channel tells every accepting thread to stop.
    drop(stop_tx);
    for w in workers {
        let _ = w.join();
    }
    if shared.active() > 0 {
        tracing::warn!(
            active = shared.active(),
            "shutdown grace over; dropped connections"
        );
    }
    result
}

fn announce_config(config: &Config, root: &Path) {
    match &config.source {
        None => tracing::info!(
            "no --config given: embedded default — accepting any camera, storing every upload \
             under {}, forwarding nothing",
            root.display()
        ),
        Some(path) => tracing::info!("configuration from {}", path.display()),
    }
    match &config.senders {
        None => tracing::info!("accepting every camera (no SENDERS whitelist)"),
        Some(list) => tracing::info!(users = list.len(), "SENDERS whitelist active"),
    }
    if config.insecure_download {
        tracing::warn!(
            "INSECURE_DOWNLOAD: stored files are readable by anyone who can reach this port"
        );
    }
    for w in &config.warnings {
        tracing::warn!("config: {w}");
    }
}

async fn accept_loop(
    ex: &LocalExecutor<'_>,
    shared: Arc<Shared>,
    listener: TcpListener,
    stop: smol::channel::Receiver<()>,
) {
    let Ok(listener) = Async::new(listener) else {
        tracing::error!("cannot register the listening socket");
        return;
    };
    let max = shared.config.limits.max_connections.max(1);
    let stopped = async {
        let _ = stop.recv().await;
        None
    };
    let mut stopped = std::pin::pin!(stopped);
    let local_active = std::rc::Rc::new(std::cell::Cell::new(0usize));
    loop {
        // At the connection limit, stop accepting (the kernel's backlog
        // holds newcomers) until a connection ends.
        while shared.active() >= max && !stop.is_closed() {
            Timer::after(Duration::from_millis(5)).await;
        }
        let accepted = async { Some(listener.accept().await) }
            .or(stopped.as_mut())
            .await;
        let Some(accepted) = accepted else { break };
        match accepted {
            Ok((stream, peer)) => {
                let shared = shared.clone();
                let local = local_active.clone();
                shared.active.fetch_add(1, Ordering::Relaxed);
                local.set(local.get() + 1);
                ex.spawn(async move {
                    serve(&shared, stream, peer).await;
                    shared.active.fetch_sub(1, Ordering::Relaxed);
                    local.set(local.get() - 1);
                })
                .detach();
            }
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                Timer::after(Duration::from_millis(100)).await;
            }
        }
    }
    drop(listener);
    let deadline = std::time::Instant::now() + shared.config.limits.shutdown_grace;
    while local_active.get() > 0 && std::time::Instant::now() < deadline {
        Timer::after(Duration::from_millis(20)).await;
    }
}

async fn wait_for_signal(mut signals: async_signal::Signals) {
    use smol::stream::StreamExt;
    if let Some(Ok(sig)) = signals.next().await {
        tracing::info!("received {sig:?}");
    }
}

/// Session expiry, batch idle timeouts and session persistence.
async fn timers(shared: Arc<Shared>) {
    loop {
        let next = shared.bridge().poll_timeout();
        let now_ms = now().as_millis();
        let wait_ms = next
            .map(|t| t.as_millis().saturating_sub(now_ms))
            .unwrap_or(1000)
            .clamp(10, 1000);
        Timer::after(Duration::from_millis(wait_ms)).await;
        shared.bridge().handle_timeout(now());
        drain_bridge(&shared).await;
        if shared.sessions_dirty.swap(false, Ordering::Relaxed) {
            save_sessions(&shared);
        }
    }
}

fn save_sessions(shared: &Shared) {
    // One writer at a time, and the export taken under the same lock, so an
    // older table never overwrites a newer one.
    let _writer = shared.save_lock.lock().unwrap_or_else(|e| e.into_inner());
    shared.sessions_dirty.store(false, Ordering::Relaxed);
    let text = shared.bridge().export_sessions();
    let path = shared.config.session_folder.join(SESSIONS_FILE);
    if let Err(e) = store::write_atomic(&path, text.as_bytes()) {
        tracing::error!("cannot save sessions to {}: {e}", path.display());
    }
}

/// Acts on events of the shared state (batches closed early, expiries).
async fn drain_bridge(shared: &Shared) {
    loop {
        let ev = shared.bridge().poll_event();
        match ev {
            None => break,
            Some(BridgeEvent::BatchClosed { batch, uploaded }) => {
                shared.dirty();
                let outbox = shared.outbox.clone();
                let id = batch.clone();
                match smol::unblock(move || outbox.finish_batch(&id)).await {
                    Ok(Some(job)) => tracing::info!(
                        "batch {batch} closed with {uploaded} file(s): queued as outbox job {job}"
                    ),
                    Ok(None) => {}
                    Err(e) => tracing::error!("batch {batch}: cannot queue it: {e}"),
                }
            }
            Some(BridgeEvent::SessionExpired { user }) => {
                shared.dirty();
                tracing::debug!("session of {user} expired");
            }
        }
    }
}

async fn dns_loop(socket: Async<UdpSocket>, responder: samsung_core::dns::DnsResponder) {
    let mut query = [0u8; 1500];
    let mut answer = [0u8; 512];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut query).await else {
            continue;
        };
        match responder.handle_query(&query[..n], &mut answer) {
            Ok(Some(len)) => {
                let _ = socket.send_to(&answer[..len], peer).await;
            }
            Ok(None) => {}
            Err(e) => tracing::debug!("DNS query from {peer}: {e}"),
        }
    }
}

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

enum Wake {
    Read(io::Result<usize>),
    Deadline,
}

/// One camera connection, start to close.
async fn serve(shared: &Arc<Shared>, mut stream: Async<TcpStream>, peer: SocketAddr) {
    let _ = stream.get_ref().set_nodelay(true);
    let mut conn = Connection::new(client_addr(peer), now());
    let mut buf = take_buffer();
    let mut transfers: BTreeMap<TransferId, Transfer> = BTreeMap::new();
    let mut download: Option<PathBuf> = None;
    let out_len = if shared.config.insecure_download {
        DOWNLOAD_TRANSMIT_BUF
    } else {
        MIN_TRANSMIT_BUF
    };
    let mut out = vec![0u8; out_len];
    let mut saved = false;
    loop {
        if !saved && changes_sessions(&conn) {
            // Logins, announces and uploads change the session table: it is
            // on disk before the camera hears back, so a crash right after
            // the answer loses nothing.
            saved = true;
            let shared = shared.clone();
            smol::unblock(move || save_sessions(&shared)).await;
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
    if let Some(s) = conn.summary() {
        let status = s
            .status
            .map_or_else(|| String::from("no answer"), |c| c.to_string());
        tracing::info!(
            "{} {} {}{} → {status} [{}] {}",
            peer.ip(),
            s.method.as_str(),
            s.host.as_deref().unwrap_or(""),
            loggable_path(s.endpoint, &s.path),
            s.endpoint.as_str(),
            s.user_agent.as_deref().unwrap_or("-")
        );
        if !matches!(
            s.endpoint,
            samsung_core::conn::Endpoint::Hotspot(_) | samsung_core::conn::Endpoint::Landing
        ) {
            shared.dirty();
        }
    }
}

/// Whether the answer is ready for a request that changed login sessions
/// or batches.
fn changes_sessions(conn: &Connection) -> bool {
    use samsung_core::conn::Endpoint;
    conn.summary().is_some_and(|s| {
        s.status == Some(200)
            && matches!(
                s.endpoint,
                Endpoint::Auth | Endpoint::Photo | Endpoint::Video | Endpoint::Upload
            )
    })
}

/// The request path for the log: upload paths carry the session key, which
/// authorises uploads and stays out of logs.
fn loggable_path(endpoint: samsung_core::conn::Endpoint, path: &str) -> std::borrow::Cow<'_, str> {
    match (endpoint, path.rsplit_once('/')) {
        (samsung_core::conn::Endpoint::Upload, Some((_, file))) => {
            format!("/upload/[session]/{file}").into()
        }
        _ => path.into(),
    }
}

async fn read_or_deadline(
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

async fn write_timeout(stream: &mut Async<TcpStream>, bytes: &[u8]) -> io::Result<()> {
    async { stream.write_all(bytes).await }
        .or(async {
            Timer::after(WRITE_TIMEOUT).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"))
        })
        .await
}

async fn send_file(stream: &mut Async<TcpStream>, path: &Path, len: u64) -> io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let mut left = len;
    let mut chunk = vec![0u8; READ_BUF];
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
async fn feed(
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

async fn on_event(
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
    }
}

fn download_answer(real: PathBuf, download: &mut Option<PathBuf>) -> DownloadAnswer {
    let Ok(meta) = std::fs::metadata(&real) else {
        return DownloadAnswer::NotFound;
    };
    if meta.is_file() {
        let content_type = store::content_type(&real);
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

fn instance(action: &Action) -> Option<&str> {
    action.instance.as_deref()
}

/// Makes a received social upload durable and applies its action; returns
/// whether the camera may be told `succ`.
fn finish_upload(store: &Store, outbox: &Outbox, u: &Upload, mut temp: TempFile) -> bool {
    if let Err(e) = temp.sync() {
        tracing::error!("upload {} not stored: fsync failed: {e}", u.file_name);
        temp.discard();
        return false;
    }
    let result: io::Result<String> = (|| match u.action.kind {
        ActionKind::Drop => Ok(String::from("dropped (action drop)")),
        ActionKind::Store | ActionKind::Mail => {
            let path = store.place(&temp.path, &u.folder, &u.file_name)?;
            if u.action.kind == ActionKind::Mail {
                tracing::warn!(
                    "action mail for site {}: the social API has no recipient; stored only",
                    u.site
                );
            }
            Ok(format!("stored {}", path.display()))
        }
        ActionKind::Shell => {
            let path = store.place(&temp.path, &u.folder, &u.file_name)?;
            let job = outbox.enqueue_shell(
                instance(&u.action),
                ShellValues {
                    sender: u.user.clone(),
                    recipient: u.site.clone(),
                    filename: path.display().to_string(),
                    subject: u.batch.album.clone().unwrap_or_default(),
                    body: u.batch.caption.clone(),
                },
            )?;
            Ok(format!("stored {}, queued shell job {job}", path.display()))
        }
        ActionKind::Mastodon => {
            outbox.add_batch_media(
                instance(&u.action),
                &u.batch,
                &temp.path,
                &u.file_name,
                u.content_type.as_deref(),
            )?;
            let mut what = format!(
                "queued for {} (batch {}, photo {}{})",
                u.action,
                u.batch.id,
                u.batch.index + 1,
                u.batch
                    .expected
                    .map(|n| format!(" of {n}"))
                    .unwrap_or_default()
            );
            if u.batch.last
                && let Some(job) = outbox.finish_batch(&u.batch.id)?
            {
                what.push_str(&format!("; batch complete, outbox job {job}"));
            }
            Ok(what)
        }
    })();
    temp.discard();
    match result {
        Ok(what) => {
            tracing::info!(
                user = %u.user,
                site = %u.site,
                bytes = u.length,
                "upload {}: {what}",
                u.file_name
            );
            true
        }
        Err(e) => {
            tracing::error!("upload {} not stored: {e}", u.file_name);
            false
        }
    }
}

/// Makes a received e-mail durable and applies every recipient's action.
fn finish_email(
    store: &Store,
    outbox: &Outbox,
    email: &Email,
    mut files: Vec<(Attachment, TempFile)>,
) -> bool {
    for (a, t) in &mut files {
        if let Err(e) = t.sync() {
            tracing::error!("e-mail attachment {} not stored: {e}", a.file_name);
            files.into_iter().for_each(|(_, t)| t.discard());
            return false;
        }
    }
    let result = apply_email(store, outbox, email, &files);
    files.into_iter().for_each(|(_, t)| t.discard());
    match result {
        Ok(done) => {
            tracing::info!(
                sender = %email.sender_address,
                attachments = email.attachments,
                "e-mail \"{}\": {}",
                email.message.title,
                done.join("; ")
            );
            true
        }
        Err(e) => {
            tracing::error!("e-mail from {} not accepted: {e}", email.sender_address);
            false
        }
    }
}

fn apply_email(
    store: &Store,
    outbox: &Outbox,
    email: &Email,
    files: &[(Attachment, TempFile)],
) -> io::Result<Vec<String>> {
    let mut done = Vec::new();
    let mut mail_to = Vec::new();
    for route in &email.routes {
        let action = &route.action;
        match action.kind {
            ActionKind::Drop => done.push(format!("{}: dropped", route.recipient)),
            ActionKind::Mail => mail_to.push(route.recipient.clone()),
            ActionKind::Store | ActionKind::Shell => {
                let folder = action
                    .instance
                    .clone()
                    .filter(|_| action.kind == ActionKind::Store)
                    .unwrap_or_else(|| email.folder.clone());
                for (a, t) in files {
                    let path = store.place(&t.path, &folder, &a.file_name)?;
                    if action.kind == ActionKind::Shell {
                        let job = outbox.enqueue_shell(
                            instance(action),
                            ShellValues {
                                sender: email.sender_address.clone(),
                                recipient: route.recipient.clone(),
                                filename: path.display().to_string(),
                                subject: email.message.title.clone(),
                                body: email.message.body.clone(),
                            },
                        )?;
                        done.push(format!("{}: shell job {job}", route.recipient));
                    } else {
                        done.push(format!("{}: stored {}", route.recipient, path.display()));
                    }
                }
            }
            ActionKind::Mastodon => {
                let media: Vec<MediaFile> = files
                    .iter()
                    .enumerate()
                    .map(|(i, (a, t))| MediaFile {
                        path: t.path.clone(),
                        file_name: a.file_name.clone(),
                        content_type: a.content_type.clone(),
                        alt: email.alts.get(i).cloned(),
                    })
                    .collect();
                let job =
                    outbox.enqueue_mastodon(instance(action), &email.caption, None, &media)?;
                done.push(format!(
                    "{}: queued as {} job {job}",
                    route.recipient, action
                ));
            }
        }
    }
    if !mail_to.is_empty() {
        let job = outbox.enqueue_mail(MailJob {
            from: email.message.sender.clone(),
            to: mail_to.clone(),
            subject: email.message.title.clone(),
            body: email.message.body.clone(),
            attachments: files
                .iter()
                .map(|(a, t)| MediaFile {
                    path: t.path.clone(),
                    file_name: a.file_name.clone(),
                    content_type: a.content_type.clone(),
                    alt: None,
                })
                .collect(),
        })?;
        done.push(format!(
            "mail to {} queued as job {job}",
            mail_to.join(", ")
        ));
    }
    Ok(done)
}
