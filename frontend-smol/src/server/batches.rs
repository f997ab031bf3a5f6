//! Social batches on disk under the core's one batch-close rule: the daemon
//! offers the core every batch it holds, and posts a batch when the core
//! closes it (`BridgeEvent::BatchClosed`), whether a session closed it or it
//! was offered here.

use crate::outbox::OpenBatch;

use super::*;

/// How often the batches on disk are offered to the core again. At start a
/// batch can be left over from sessions a restart lost; while running, one
/// can lose its session (evicted while a file was being stored) or fail to
/// be queued when it closed.
pub(super) const BATCH_RESCAN: Duration = Duration::from_secs(60);

/// Offers the batches on disk to the core; it keeps the ones no session
/// holds and closes each after the batch idle time from its newest file.
pub(crate) fn adopt_batches(bridge: &mut Bridge, batches: &[OpenBatch]) {
    for b in batches {
        // Refused: a session holds it (and closes it), or too many are
        // tracked (offered again at the next look).
        bridge.adopt_batch(&b.id, b.files, instant(b.last_activity));
    }
}

/// Queues the post of a batch the core closed.
pub(crate) fn post_closed_batch(outbox: &Outbox, batch: &str, uploaded: usize) {
    match outbox.finish_batch(batch) {
        Ok(Some(job)) => tracing::info!(
            "batch {batch} closed with {uploaded} file(s): queued as outbox job {job}"
        ),
        Ok(None) => {}
        // The batch stays on disk: the next look offers it to the core again.
        Err(e) => tracing::error!("batch {batch}: cannot queue it: {e}"),
    }
}

/// Looks at the batches on disk (off the async threads) and offers them to
/// the core.
pub(super) async fn rescan_batches(shared: &Shared) {
    let outbox = shared.outbox.clone();
    match smol::unblock(move || outbox.open_batches()).await {
        Ok(batches) => adopt_batches(&mut shared.bridge(), &batches),
        Err(e) => tracing::warn!("cannot list the open batches: {e}"),
    }
}
