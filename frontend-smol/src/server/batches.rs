//! Social batches on disk under the core's one batch-close rule: the daemon
//! offers the core every batch it holds (`samsung_host::outbox::adopt_batches`),
//! and posts a batch when the core closes it (`BridgeEvent::BatchClosed`),
//! whether a session closed it or it was offered here.

use samsung_host::outbox::adopt_batches;

use super::*;

pub(super) use samsung_host::outbox::BATCH_RESCAN;

/// Looks at the batches on disk (off the async threads) and offers them to
/// the core.
pub(super) async fn rescan_batches(shared: &Shared) {
    let outbox = shared.outbox.clone();
    match smol::unblock(move || outbox.open_batches()).await {
        Ok(batches) => adopt_batches(&mut shared.bridge(), &batches),
        Err(e) => tracing::warn!("cannot list the open batches: {e}"),
    }
}
