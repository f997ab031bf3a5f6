//! Which job is due when: pure bookkeeping over `now` (Unix ms), no clock,
//! no waiting. The frontend asks [`Schedule::next_step`] and either runs
//! what it gets or waits (a condition variable, an async timer) for the
//! returned time or for the outbox's [`super::Notify`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// How often finished jobs past their retention are removed.
const PRUNE_INTERVAL_MS: u64 = 10 * 60 * 1000;

/// What the runner should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Call [`super::Outbox::housekeeping`], then [`Schedule::housekeeping_done`].
    Housekeeping,
    /// Attempt this job ([`super::Outbox::begin`] … [`super::Outbox::finish`]),
    /// then [`Schedule::release`] it.
    Run(Claim),
    /// Nothing is due: wait this long, or until notified.
    Wait(Duration),
}

/// A job taken for one attempt; no other attempt runs on its target until
/// it is released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The job id.
    pub id: String,
    /// Its target (`mastodon.friends`, `mail to a@b`, …).
    pub target: String,
}

#[derive(Debug)]
struct Pending {
    due_ms: u64,
    target: String,
}

/// The jobs waiting for an attempt, the ones being attempted, and when
/// housekeeping is due.
#[derive(Debug)]
pub struct Schedule {
    pending: BTreeMap<String, Pending>,
    /// Job ids being attempted.
    running: BTreeSet<String>,
    /// Targets with a job being attempted: at most one attempt per target.
    busy: BTreeSet<String>,
    rescan_ms: u64,
    next_housekeeping_ms: u64,
    housekeeping: bool,
    next_prune_ms: u64,
}

impl Schedule {
    /// An empty schedule; housekeeping every `rescan` (and at once).
    pub fn new(rescan: Duration) -> Schedule {
        Schedule {
            pending: BTreeMap::new(),
            running: BTreeSet::new(),
            busy: BTreeSet::new(),
            rescan_ms: u64::try_from(rescan.as_millis()).unwrap_or(u64::MAX).max(1),
            next_housekeeping_ms: 0,
            housekeeping: false,
            next_prune_ms: 0,
        }
    }

    /// Makes job `id` due at `due_ms` (0: now), unless it is being attempted.
    pub fn insert(&mut self, id: &str, target: &str, due_ms: u64) {
        if !self.running.contains(id) {
            self.pending.insert(
                id.to_owned(),
                Pending {
                    due_ms,
                    target: target.to_owned(),
                },
            );
        }
    }

    /// Whether job `id` is being attempted.
    pub fn is_running(&self, id: &str) -> bool {
        self.running.contains(id)
    }

    /// The next thing to do at `now`: housekeeping when due (and no other
    /// runner does it), else the due job on a free target with the earliest
    /// due time (then the oldest id) — claimed —, else how long to wait.
    pub fn next_step(&mut self, now: u64) -> Step {
        if self.next_housekeeping_ms <= now && !self.housekeeping {
            self.housekeeping = true;
            self.next_housekeeping_ms = now.saturating_add(self.rescan_ms);
            return Step::Housekeeping;
        }
        if let Some((id, target)) = self.pick(now) {
            self.pending.remove(&id);
            self.running.insert(id.clone());
            self.busy.insert(target.clone());
            return Step::Run(Claim { id, target });
        }
        Step::Wait(self.wait(now))
    }

    /// Housekeeping is over.
    pub fn housekeeping_done(&mut self) {
        self.housekeeping = false;
    }

    /// The attempt at `claim` is over; `due_ms` is when the job is due
    /// again (None: done, failed for good or unreadable).
    pub fn release(&mut self, claim: Claim, due_ms: Option<u64>) {
        self.running.remove(&claim.id);
        self.busy.remove(&claim.target);
        if let Some(due_ms) = due_ms {
            self.pending.entry(claim.id).or_insert(Pending {
                due_ms,
                target: claim.target,
            });
        }
    }

    /// Whether pruning finished jobs is due at `now` (then not again for a while).
    pub fn take_prune(&mut self, now: u64) -> bool {
        let due = self.next_prune_ms <= now;
        if due {
            self.next_prune_ms = now + PRUNE_INTERVAL_MS;
        }
        due
    }

    /// The due job to run next: earliest due time, then oldest id, on a free target.
    fn pick(&self, now: u64) -> Option<(String, String)> {
        self.pending
            .iter()
            .filter(|(_, p)| p.due_ms <= now && !self.busy.contains(&p.target))
            .min_by(|a, b| a.1.due_ms.cmp(&b.1.due_ms).then(a.0.cmp(b.0)))
            .map(|(id, p)| (id.clone(), p.target.clone()))
    }

    /// How long a runner may wait: until a job on a free target or housekeeping is due.
    fn wait(&self, now: u64) -> Duration {
        let next = self
            .pending
            .values()
            .filter(|p| !self.busy.contains(&p.target))
            .map(|p| p.due_ms)
            .chain([self.next_housekeeping_ms])
            .min()
            .unwrap_or(u64::MAX);
        Duration::from_millis(next.saturating_sub(now).clamp(1, 60_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_picks_earliest_on_free_targets() {
        let mut s = Schedule::new(Duration::from_secs(2));
        s.insert("b", "mastodon", 10);
        s.insert("a", "mastodon", 10);
        s.insert("c", "mail to x", 5);
        s.insert("d", "shell", 500);
        assert_eq!(s.pick(4), None);
        assert_eq!(s.pick(100), Some(("c".into(), "mail to x".into())));
        s.busy.insert("mail to x".into());
        assert_eq!(s.pick(100), Some(("a".into(), "mastodon".into())));
        s.busy.insert("mastodon".into());
        assert_eq!(s.pick(100), None);
        s.next_housekeeping_ms = 10_000;
        assert_eq!(s.wait(100), Duration::from_millis(400));
    }

    #[test]
    fn steps_claim_release_and_housekeeping() {
        let mut s = Schedule::new(Duration::from_secs(2));
        s.insert("j1", "mastodon", 0);
        s.insert("j2", "mastodon", 0);
        // Housekeeping comes first, once, until done.
        assert_eq!(s.next_step(1_000), Step::Housekeeping);
        let Step::Run(claim) = s.next_step(1_000) else {
            panic!("j1 is due")
        };
        assert_eq!(claim.id, "j1");
        assert!(s.is_running("j1"));
        // Same target: j2 waits; the next housekeeping is at 3 000.
        assert_eq!(s.next_step(1_000), Step::Wait(Duration::from_millis(2_000)));
        s.insert("j1", "mastodon", 0); // a re-queue while running is ignored
        s.housekeeping_done();
        s.release(claim, Some(5_000));
        let Step::Run(next) = s.next_step(1_500) else {
            panic!("j2 is due")
        };
        assert_eq!(next.id, "j2");
        s.release(next, None);
        // Next housekeeping at 3 000, j1 at 5 000.
        assert_eq!(s.next_step(2_000), Step::Wait(Duration::from_millis(1_000)));
        assert_eq!(s.next_step(3_000), Step::Housekeeping);
        s.housekeeping_done();
        assert_eq!(s.next_step(4_000), Step::Wait(Duration::from_millis(1_000)));
        // While one runner does housekeeping, another takes the due job.
        assert_eq!(s.next_step(5_000), Step::Housekeeping);
        assert!(matches!(s.next_step(5_000), Step::Run(Claim { id, .. }) if id == "j1"));
        assert!(s.take_prune(0) && !s.take_prune(1) && s.take_prune(PRUNE_INTERVAL_MS));
    }
}
