//! The bridge's on-disk formats and durable file operations, for the std
//! frontends of `samsung-core`: the Linux daemon (`frontend-smol`) and the
//! WASI component (`frontend-wasi`). One copy of the upload store, the
//! session file and the outbox, so both frontends keep the same folder
//! layout, file names and job format, and a folder written by one can be
//! served or resumed by the other.
//!
//! Everything here is synchronous std I/O (files, no sockets, no async
//! runtime) and builds for `wasm32-wasip2`. Blocking calls (fsync, links,
//! job commits) take milliseconds: an async frontend runs them off its
//! event loop where it has threads, or simply inline where it has one.
//!
//! # What a frontend calls, in order
//!
//! **Start-up**
//! 1. [`store::Store::open`]`(UPLOAD_FOLDER)` — creates the folder, sweeps
//!    partial uploads a crash left in `.incoming/`.
//! 2. [`sessions::SessionFile::open`]`(SESSION_FOLDER)`, then
//!    [`sessions::SessionFile::restore`]`(&mut bridge, clock::now())` into
//!    the fresh `samsung_core::sns::Bridge`.
//! 3. [`outbox::Outbox::open`]`(OUTBOX_FOLDER, settings, notify)` — locks
//!    it, drops half-written jobs, schedules the jobs of an earlier run;
//!    `notify` is called whenever a job was scheduled (wake your runner).
//!    Then [`startup::announce_config`] logs what the configuration does.
//!
//! **Per connection** (`Connection::new(`[`conn::client_addr`]`(peer), now)`)
//! 4. A [`conn::Transfers`] per connection. Data borrowed from the input
//!    (`Event::into_owned` gives `Err((transfer, data))`):
//!    [`conn::Transfers::write`]; every other event:
//!    [`conn::Transfers::on_event`]`(&store, &excluded, ev)`, which keeps
//!    uploads and attachments in temporary files and returns a
//!    [`conn::Next`]:
//! 5. `Next::Store(finish)`: [`conn::Finish::run`]`(&store, &outbox)` —
//!    fsync, the core's delivery plan (place files under their folder with
//!    no overwrite, queue Mastodon/mail/shell jobs, add to a social batch;
//!    [`deliver`]), one log line — then `conn.handle_stored(bridge, now,
//!    finish.transfer(), stored)`; `Next::Download { answer, file }`:
//!    `conn.handle_download(answer)` and stream `file` after the head.
//!    At the end: [`conn::log_request`]`(peer.ip(), conn.summary())`.
//! 6. After a core call changed the sessions
//!    (`bridge.sessions_revision()` differs:
//!    [`sessions::SessionFile::is_saved`] is false):
//!    [`sessions::SessionFile::save_bridge`] (or `save` with a snapshot
//!    closure when the bridge is behind a lock) before answering.
//!
//! **Timers** (with the core's `handle_timeout` / `poll_timeout`)
//! 7. Every [`outbox::BATCH_RESCAN`]: [`outbox::adopt_batches`]`(&mut
//!    bridge, &outbox.open_batches()?)`; on `BridgeEvent::BatchClosed`:
//!    [`outbox::post_closed_batch`]`(&outbox, &batch, uploaded)`.
//!
//! **The outbox runner** (one or more; a thread or an async task)
//! 8. Loop: `let step = outbox.sched().next_step(clock::now_ms());` gives
//!    an [`outbox::Step`] (take it out of the guard first: `sched()` is a
//!    mutex, and a `match outbox.sched()…` would hold it through the arms):
//!    - `Housekeeping`: [`outbox::Outbox::housekeeping`]`(now_ms)`, then
//!      `sched().housekeeping_done()`;
//!    - `Run(claim)`: [`outbox::Outbox::begin`]`(&claim.id)` gives an
//!      [`outbox::Attempt`] (job, directory, progress); run it by its
//!      `job.spec` — Mastodon: [`outbox::mastodon::run`]`(&outbox, &mut
//!      attempt, &mut transport).await` with your
//!      [`outbox::mastodon::MastodonTransport`] (send a request, streaming
//!      the media file; sleep); mail: [`outbox::mail::build`] gives the
//!      envelope and the message bytes for your SMTP client —, then
//!      [`outbox::Outbox::finish`]`(attempt, result, now_ms)` returns when
//!      it is due again, and `sched().release(claim, due)`;
//!    - `Wait(d)`: sleep `d` or until `notify` fires.
//!
//! **Tools**: [`outbox::Outbox::list`] / [`outbox::Outbox::render_list`]
//! (`samsung-bridge outbox`), [`outbox::Outbox::retry_now`] (`outbox
//! retry`), [`clock`] for the wall clock as the core's `Instant`.

#![warn(missing_docs)]

pub mod clock;
pub mod config;
pub mod conn;
pub mod deliver;
pub mod durable;
pub mod outbox;
pub mod sessions;
pub mod startup;
pub mod store;
#[cfg(any(test, feature = "testutil"))]
#[doc(hidden)]
pub mod testutil;
