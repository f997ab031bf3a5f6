//! Batches whose files the frontend holds but that no session knows — its
//! sessions were lost in a restart, or the session was evicted while a file
//! was being stored. They are closed by the same rule as a session's batch
//! ([`Limits::batch_idle`](super::Limits::batch_idle) after their last
//! activity, announced as [`BridgeEvent::BatchClosed`]), so a frontend has
//! one way to learn that a batch must be posted.

use alloc::string::String;

use super::{Bridge, BridgeEvent};
use crate::time::Instant;

/// Most orphaned batches tracked at once; beyond, [`Bridge::adopt_batch`]
/// refuses and the frontend offers the batch again later.
pub const MAX_ORPHAN_BATCHES: usize = 256;

/// A batch handed over by the frontend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OrphanBatch {
    id: String,
    files: usize,
    last_activity: Instant,
}

impl Bridge {
    /// Hands over a batch whose files the frontend holds (`files` of them,
    /// the newest stored at `last_activity`), e.g. found on disk at start-up
    /// or by a periodic look. Unless a session still holds it — then that
    /// session closes it — the bridge closes it like a session's batch:
    /// [`BridgeEvent::BatchClosed`] from [`Bridge::handle_timeout`] once it
    /// has been idle for the batch idle time. Offering a batch again updates
    /// it (the later activity wins). Returns whether the bridge now tracks it;
    /// `false` also when [`MAX_ORPHAN_BATCHES`] are tracked already (offer it
    /// again later).
    pub fn adopt_batch(&mut self, batch: &str, files: usize, last_activity: Instant) -> bool {
        let held = self
            .sessions
            .iter()
            .any(|s| s.batch.as_ref().is_some_and(|b| b.id == batch));
        if held {
            return false;
        }
        if let Some(o) = self.orphans.iter_mut().find(|o| o.id == batch) {
            o.files = files;
            o.last_activity = o.last_activity.max(last_activity);
            return true;
        }
        if self.orphans.len() >= MAX_ORPHAN_BATCHES {
            return false;
        }
        self.orphans.push(OrphanBatch {
            id: String::from(batch),
            files,
            last_activity,
        });
        true
    }

    /// When the first orphaned batch becomes idle.
    pub(super) fn orphan_deadline(&self) -> Option<Instant> {
        let idle = self.config.limits.batch_idle;
        self.orphans.iter().map(|o| o.last_activity + idle).min()
    }

    /// Closes the orphaned batches idle at `now`.
    pub(super) fn close_idle_orphans(&mut self, now: Instant) {
        let idle = self.config.limits.batch_idle;
        let events = &mut self.events;
        self.orphans.retain(|o| {
            let due = now >= o.last_activity + idle;
            if due {
                events.push_back(BridgeEvent::BatchClosed {
                    batch: o.id.clone(),
                    uploaded: o.files,
                });
            }
            !due
        });
    }
}
