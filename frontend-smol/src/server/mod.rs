//! The daemon's run loop: TCP connections driven through `samsung-core`,
//! uploads stored durably, forwarding queued in the outbox, sessions
//! persisted, optional DNS listener, clean shutdown on SIGTERM/SIGINT.
//!
//! Everything protocol is in the core; this file only moves bytes between
//! sockets, files and the core (see the core's crate docs for the run loop).
//! Connections run on `ACCEPT_THREADS` accepting threads (each a smol
//! `LocalExecutor`), sharing the core's `Bridge` behind a mutex that is held
//! only for the duration of one core call; the blocking parts that can take
//! long — fsync, placing files, queueing jobs — run on smol's blocking pool.

use std::cell::RefCell;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use samsung_core::conn::{Connection, DOWNLOAD_TRANSMIT_BUF, Event, MIN_TRANSMIT_BUF};
use samsung_core::sns::{Bridge, BridgeEvent};
use samsung_core::time::Instant;
use smol::future::FutureExt;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::{Async, LocalExecutor, Timer};

use samsung_host::conn::{Next, Transfers, client_addr, log_request};
use samsung_host::sessions::SessionFile;
use samsung_host::startup::announce_config;
use samsung_host::store::Store;

use crate::config::Config;
use crate::outbox::{Outbox, OutboxSettings};

mod batches;
mod conn;

use conn::serve;
#[cfg(test)]
pub(crate) use samsung_host::clock::instant;
pub use samsung_host::clock::now;
#[cfg(test)]
pub(crate) use samsung_host::outbox::{adopt_batches, post_closed_batch};

/// First read buffer of a connection: request heads and XML bodies fit.
const HEAD_BUF: usize = 8 * 1024;
/// Read buffer once a connection streams a body (uploads): fewer, larger
/// reads and file writes.
const BODY_BUF: usize = 256 * 1024;
/// How long writing an answer (or a download chunk) may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Threads accepting and serving connections. One is faster here: on a
/// 2-core machine a second one only adds wake-ups on the shared listener
/// (load benchmark: 17k vs 14k hotspot checks/s, 1.0-1.3 vs ~1.0 GB/s of
/// uploads); fsync and file placement run on the blocking pool anyway.
const ACCEPT_THREADS: usize = 1;
/// State shared by all connection tasks and threads.
struct Shared {
    bridge: Mutex<Bridge>,
    store: Arc<Store>,
    outbox: Arc<Outbox>,
    config: Config,
    /// Folders the download server must never show.
    excluded: Vec<PathBuf>,
    /// `SESSION_FOLDER/sessions.v1`.
    sessions: SessionFile,
    /// Wakes the timer task before its deadline (one pending wake-up is
    /// enough: the timer then looks at the bridge afresh).
    timer_wake: (smol::channel::Sender<()>, smol::channel::Receiver<()>),
    active: AtomicUsize,
}

impl Shared {
    /// The core's shared state; held for one core call at a time, never
    /// across an `.await`.
    fn bridge(&self) -> MutexGuard<'_, Bridge> {
        // A panic while holding it cannot leave the core half-updated in a
        // way that matters more than stopping the daemon would.
        self.bridge.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }

    /// A connection changed the sessions: the timer's deadline may be earlier now.
    fn wake_timer(&self) {
        let _ = self.timer_wake.0.try_send(());
    }
}

thread_local! {
    /// Read buffers of finished connections, reused (no allocation and no
    /// zeroing per connection): small ones for heads, large ones for bodies.
    static HEAD_BUFFERS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    static BODY_BUFFERS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A read buffer of `len` (`HEAD_BUF` or `BODY_BUF`) bytes from the pool.
fn take_buffer(len: usize) -> Vec<u8> {
    let pool = if len == BODY_BUF {
        &BODY_BUFFERS
    } else {
        &HEAD_BUFFERS
    };
    pool.with(|b| b.borrow_mut().pop())
        .unwrap_or_else(|| vec![0u8; len])
}

/// Returns a buffer to its pool (bounded, so idle memory stays small).
fn give_buffer(buf: Vec<u8>) {
    let (pool, keep) = if buf.len() == BODY_BUF {
        (&BODY_BUFFERS, 4)
    } else {
        (&HEAD_BUFFERS, 64)
    };
    pool.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() < keep {
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
    // The DNS socket is bound before the camera port listens: once a
    // connection to the camera port succeeds, DNS answers too.
    let dns = match config.model.dns.clone() {
        Some(dns) => {
            let socket = UdpSocket::bind(dns.listen)
                .and_then(Async::new)
                .map_err(|e| format!("cannot listen for DNS on {}: {e}", dns.listen))?;
            tracing::info!(
                "DNS on {} answers {} Samsung host names with {}",
                dns.listen,
                dns.names.len(),
                dns.address
            );
            Some((socket, dns.responder()))
        }
        None => None,
    };
    let listener = bind(config.model.listen)?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let store = Store::open(config.upload_folder()).map_err(|e| {
        format!(
            "cannot use UPLOAD_FOLDER {}: {e}",
            config.upload_folder().display()
        )
    })?;
    let sessions = SessionFile::open(config.session_folder()).map_err(|e| {
        format!(
            "cannot use SESSION_FOLDER {}: {e}",
            config.session_folder().display()
        )
    })?;
    let outbox = Outbox::open(
        config.outbox_folder(),
        OutboxSettings {
            mastodon: config.model.mastodon.clone(),
            mail: config.model.mail.clone(),
            shell: config.model.shell.clone(),
            ..OutboxSettings::default()
        },
    )
    .map_err(|e| {
        format!(
            "cannot use the outbox folder {}: {e}",
            config.outbox_folder().display()
        )
    })?;
    let excluded: Vec<PathBuf> = [config.session_folder(), config.outbox_folder()]
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();

    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no OS random numbers: {e}"))?;
    let mut bridge = Bridge::new(config.bridge_config(), seed);
    sessions.restore(&mut bridge, now());

    tracing::info!(
        "samsung-bridge {} listening on {local} (cameras connect to port 80: forward it here)",
        env!("CARGO_PKG_VERSION")
    );
    announce_config(config.source.as_deref(), &config.model, store.root());

    let shared = Arc::new(Shared {
        bridge: Mutex::new(bridge),
        store: Arc::new(store),
        outbox: Arc::new(outbox),
        config,
        excluded,
        sessions,
        timer_wake: smol::channel::bounded(1),
        active: AtomicUsize::new(0),
    });
    let worker = shared.outbox.start();
    let result = serve_until_signal(shared.clone(), listener, dns, signals);
    save_sessions(&shared);
    worker.shutdown();
    tracing::info!("stopped");
    result
}

/// Accepting threads plus, on this thread, signals, timers
/// and the DNS listener; returns after SIGTERM/SIGINT once connections in
/// flight have finished (or the grace period is over).
fn serve_until_signal(
    shared: Arc<Shared>,
    listener: TcpListener,
    dns: Option<(Async<UdpSocket>, samsung_core::dns::DnsResponder)>,
    signals: async_signal::Signals,
) -> Result<(), String> {
    let (stop_tx, stop_rx) = smol::channel::bounded::<()>(1);
    let mut workers = Vec::new();
    for i in 0..ACCEPT_THREADS {
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
    smol::block_on(ex.run(async {
        ex.spawn(timers(shared.clone())).detach();
        if let Some((socket, responder)) = dns {
            ex.spawn(dns_loop(socket, responder)).detach();
        }
        wait_for_signal(signals).await;
    }));
    // Closing the channel tells every accepting thread to stop at once.
    drop(stop_tx);
    let grace: Duration = shared.config.model.limits.shutdown_grace.into();
    tracing::info!(
        active = shared.active(),
        "shutting down: no new connections, finishing requests in flight (up to {}s)",
        grace.as_secs()
    );
    for w in workers {
        let _ = w.join();
    }
    if shared.active() > 0 {
        tracing::warn!(
            active = shared.active(),
            "shutdown grace over; dropped connections"
        );
    }
    Ok(())
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
    let max = shared.config.model.limits.max_connections.max(1);
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
        // The stop signal wins over a connection that is ready at the same
        // time, and one accepted in the same instant is closed unserved.
        let accepted = stopped
            .as_mut()
            .or(async { Some(listener.accept().await) })
            .await;
        let Some(accepted) = accepted else { break };
        if stop.is_closed() {
            break;
        }
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
    let deadline =
        std::time::Instant::now() + Duration::from(shared.config.model.limits.shutdown_grace);
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

/// Session expiry, batch idle timeouts and their persistence. Sleeps until
/// the core's next deadline (or the next look at the batches on disk), and
/// is woken early by a connection that changed the sessions — and with them,
/// maybe, the next deadline.
async fn timers(shared: Arc<Shared>) {
    let mut next_rescan = std::time::Instant::now();
    loop {
        if std::time::Instant::now() >= next_rescan {
            batches::rescan_batches(&shared).await;
            next_rescan = std::time::Instant::now() + batches::BATCH_RESCAN;
        }
        shared.bridge().handle_timeout(now());
        drain_bridge(&shared).await;
        if !shared
            .sessions
            .is_saved(shared.bridge().sessions_revision())
        {
            let shared = shared.clone();
            smol::unblock(move || save_sessions(&shared)).await;
        }
        let rescan = next_rescan.saturating_duration_since(std::time::Instant::now());
        let wait = match shared.bridge().poll_timeout() {
            // Never in the past: `handle_timeout` just acted on those.
            Some(t) => Duration::from(t.saturating_since(now())).min(rescan),
            None => rescan,
        };
        let woken = async {
            let _ = shared.timer_wake.1.recv().await;
        };
        async {
            Timer::after(wait).await;
        }
        .or(woken)
        .await;
    }
}

/// A connection changed the sessions: they are on disk before its answer
/// (a crash right after it loses nothing), and the timer looks at its
/// deadline again.
async fn sessions_changed(shared: &Arc<Shared>) {
    let saver = shared.clone();
    smol::unblock(move || save_sessions(&saver)).await;
    shared.wake_timer();
}

fn save_sessions(shared: &Shared) {
    // The export is taken under the file's writer lock, so an older table
    // never overwrites a newer one.
    shared.sessions.save(|| {
        let bridge = shared.bridge();
        (bridge.export_sessions(), bridge.sessions_revision())
    });
}

/// Acts on events of the shared state (batches closed early, expiries).
async fn drain_bridge(shared: &Shared) {
    loop {
        let ev = shared.bridge().poll_event();
        match ev {
            None => break,
            Some(BridgeEvent::BatchClosed { batch, uploaded }) => {
                let outbox = shared.outbox.clone();
                smol::unblock(move || {
                    samsung_host::outbox::post_closed_batch(&outbox, &batch, uploaded)
                })
                .await;
            }
            Some(BridgeEvent::SessionExpired { user }) => {
                tracing::debug!("session of {user} expired");
            }
            Some(other) => tracing::debug!("ignoring a bridge event: {other:?}"),
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
