//! The component's run loop: one wstd reactor on the one thread; every
//! camera connection is a task (`conn.rs`), next to the timer task
//! (sessions, batches) and the outbox worker (`forward.rs`). The core's
//! `Bridge` is shared through a `RefCell` borrowed for one core call at a
//! time, never across an `.await`.
//!
//! File I/O (std::fs over wasi:filesystem) is synchronous in WASI 0.2: a
//! long fsync holds every task for its duration, as a blocking-pool thread
//! would hold one on the daemon. Sockets and timers never block.

use std::cell::{Cell, RefCell, RefMut};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use samsung_core::sns::{Bridge, BridgeEvent};
use samsung_host::clock::now;
use samsung_host::outbox::{
    BATCH_RESCAN, Outbox, OutboxSettings, adopt_batches, post_closed_batch,
};
use samsung_host::sessions::SessionFile;
use samsung_host::startup::announce_config;
use samsung_host::store::Store;
use wstd::future::FutureExt;

use crate::config::Config;
use crate::net::Listener;
use crate::notify::Notify;

mod conn;
mod forward;

/// State shared by all tasks.
pub(crate) struct Shared {
    bridge: RefCell<Bridge>,
    store: Store,
    outbox: Outbox,
    sessions: SessionFile,
    config: Config,
    /// Folders the download server must never show.
    excluded: Vec<PathBuf>,
    /// Wakes the timer task before its deadline (sessions changed).
    timer_wake: Notify,
    /// Wakes the outbox runner (a job was scheduled; the outbox calls it).
    outbox_wake: Notify,
    active: Cell<usize>,
}

impl Shared {
    /// The core's shared state, for one core call.
    fn bridge(&self) -> RefMut<'_, Bridge> {
        self.bridge.borrow_mut()
    }

    /// Writes the sessions if they changed since the last write; they are
    /// on disk before the answer that depends on them.
    fn save_sessions(&self) {
        let bridge = self.bridge.borrow();
        if !self.sessions.is_saved(bridge.sessions_revision()) {
            self.sessions.save_bridge(&bridge);
        }
    }
}

/// Binds the listener, explaining the failures a sandbox adds.
async fn bind(addr: SocketAddr) -> Result<Listener, String> {
    Listener::bind(addr).await.map_err(|e| match e.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "cannot listen on {addr}: the runtime grants no network (wasmtime: \
             `-S inherit-network`; jco: `--sandbox-net-inherit`; scripts/run-wasi does both), \
             or the port is below 1024 and the runtime may not bind it"
        ),
        io::ErrorKind::AddrInUse => format!(
            "cannot listen on {addr}: the address is already in use (another server running?)"
        ),
        io::ErrorKind::AddrNotAvailable => {
            format!("cannot listen on {addr}: this machine has no such address")
        }
        _ => format!("cannot listen on {addr}: {e}"),
    })
}

/// Serves until the runtime stops the component. WASI 0.2 delivers no
/// signals: everything a camera was told `succ` for is already durable, so
/// being stopped at any moment loses nothing but the requests in flight.
pub async fn run(config: Config) -> Result<(), String> {
    let listener = bind(config.model.listen).await?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let store = Store::open(config.upload_folder()).map_err(|e| {
        format!(
            "cannot use UPLOAD_FOLDER {}: {e} (is it inside a pre-opened directory?)",
            config.upload_folder().display()
        )
    })?;
    let sessions = SessionFile::open(config.session_folder()).map_err(|e| {
        format!(
            "cannot use SESSION_FOLDER {}: {e} (is it inside a pre-opened directory?)",
            config.session_folder().display()
        )
    })?;
    // Wakes the outbox runner when a job was scheduled.
    let outbox_wake = Notify::default();
    let waker = outbox_wake.clone();
    let outbox = Outbox::open(
        config.outbox_folder(),
        OutboxSettings {
            mastodon: config.model.mastodon.clone(),
            mail: config.model.mail.clone(),
            shell: config.model.shell.clone(),
            ..OutboxSettings::default()
        },
        Box::new(move || waker.notify()),
    )
    .map_err(|e| {
        format!(
            "cannot use the outbox folder {}: {e} (is it inside a pre-opened directory?)",
            config.outbox_folder().display()
        )
    })?;
    let excluded: Vec<PathBuf> = [config.session_folder(), config.outbox_folder()]
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();

    let mut seed = [0u8; 32];
    wstd::rand::get_random_bytes(&mut seed);
    let mut bridge = Bridge::new(config.model.bridge_config(), seed);
    sessions.restore(&mut bridge, now());

    tracing::info!(
        "samsung-bridge-wasi {} listening on {local} (cameras connect to port 80: forward it here)",
        env!("CARGO_PKG_VERSION")
    );
    announce_config(config.source.as_deref(), &config.model, store.root());

    let shared = Rc::new(Shared {
        bridge: RefCell::new(bridge),
        store,
        outbox,
        sessions,
        config,
        excluded,
        timer_wake: Notify::default(),
        outbox_wake,
        active: Cell::new(0),
    });
    wstd::runtime::spawn(timers(shared.clone())).detach();
    wstd::runtime::spawn(forward::run(shared.clone())).detach();

    accept_loop(shared, listener).await;
    Ok(())
}

async fn accept_loop(shared: Rc<Shared>, listener: Listener) {
    let max = shared.config.model.limits.max_connections.max(1);
    loop {
        // At the connection limit, stop accepting (the runtime's backlog
        // holds newcomers) until a connection ends.
        while shared.active.get() >= max {
            wstd::task::sleep(wstd::time::Duration::from_millis(5)).await;
        }
        match listener.accept().await {
            Ok((stream, peer)) => {
                let shared = shared.clone();
                shared.active.set(shared.active.get() + 1);
                wstd::runtime::spawn(async move {
                    conn::serve(&shared, stream, peer).await;
                    shared.active.set(shared.active.get() - 1);
                })
                .detach();
            }
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                wstd::task::sleep(wstd::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Session expiry, batch idle timeouts and their persistence: sleeps until
/// the core's next deadline (or the next look at the batches on disk), and
/// is woken early by a connection that changed the sessions.
async fn timers(shared: Rc<Shared>) {
    let mut next_rescan = std::time::Instant::now();
    loop {
        if std::time::Instant::now() >= next_rescan {
            // Batches a restart or an evicted session left on disk: the
            // core closes them after the idle time like any other.
            match shared.outbox.open_batches() {
                Ok(batches) => adopt_batches(&mut shared.bridge(), &batches),
                Err(e) => tracing::warn!("cannot list the open batches: {e}"),
            }
            next_rescan = std::time::Instant::now() + BATCH_RESCAN;
        }
        shared.bridge().handle_timeout(now());
        drain_bridge(&shared);
        shared.save_sessions();
        let rescan = next_rescan.saturating_duration_since(std::time::Instant::now());
        let wait = match shared.bridge().poll_timeout() {
            Some(t) => Duration::from(t.saturating_since(now())).min(rescan),
            None => rescan,
        };
        // `timeout` races the wake-up against the sleep; either one ending
        // is all this task needs.
        let _ = shared
            .timer_wake
            .wait()
            .timeout(wstd::task::sleep(wait.into()))
            .await;
    }
}

/// Acts on events of the shared state (batches closed, expiries).
fn drain_bridge(shared: &Shared) {
    loop {
        let ev = shared.bridge().poll_event();
        match ev {
            None => break,
            Some(BridgeEvent::BatchClosed { batch, uploaded }) => {
                post_closed_batch(&shared.outbox, &batch, uploaded);
            }
            Some(BridgeEvent::SessionExpired { user }) => {
                tracing::debug!("session of {user} expired");
            }
            Some(other) => tracing::debug!("ignoring a bridge event: {other:?}"),
        }
    }
}
