//! When a forwarding job (a Mastodon post, an e-mail, a shell command) that
//! failed is tried again, and when it is given up.
//!
//! Every frontend runs its jobs from a durable outbox; what a failure means
//! and how long to wait is decided here, once:
//!
//! - a [`Failure`] is [`FailureKind::Transient`] (connection errors,
//!   timeouts, 408, 425, 429, 5xx, SMTP 4xx, a failing shell command) or
//!   [`FailureKind::Permanent`] (a bad token, a validation error, bad
//!   configuration): retrying a permanent one cannot help;
//! - transient failures back off exponentially from [`RetryPolicy::base`]
//!   to [`RetryPolicy::cap`] with ±20 % jitter, so that jobs failing together
//!   do not retry together; a server's `Retry-After` may ask for more, up to
//!   [`RetryPolicy::max_retry_after`];
//! - [`RetryState`] is the part of a job's durable progress that counts
//!   attempts and says when the job is due; a frontend stores it (it is
//!   `serde`-serialisable with the `serde` feature) and acts on it.
//!
//! Randomness (the jitter) and time are arguments.

use alloc::string::String;

use crate::time::{Duration, Instant};

/// First retry delay of the default policy.
pub const DEFAULT_BASE: Duration = Duration::from_secs(2);
/// Longest back-off delay of the default policy.
pub const DEFAULT_CAP: Duration = Duration::from_secs(300);
/// The longest `Retry-After` honoured by the default policy.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The same attempt may succeed later (network, server overload).
    Transient,
    /// It will not succeed as it is: the job waits for the user (a new
    /// token, a fixed configuration) and an explicit retry.
    Permanent,
}

/// Why an attempt did not finish its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Whether retrying can help.
    pub kind: FailureKind,
    /// What went wrong, for the log and the outbox listing (never a secret).
    pub reason: String,
    /// The server's `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
}

impl Failure {
    /// A failure that may go away by itself.
    pub fn transient(reason: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Transient,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A failure of the given kind.
    pub fn new(kind: FailureKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            kind: FailureKind::Permanent,
            ..Self::transient(reason)
        }
    }

    /// The same failure with the server's `Retry-After`.
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Whether retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        self.kind == FailureKind::Permanent
    }
}

/// Whether an HTTP answer with this status is worth retrying: 408, 425,
/// 429 and 5xx are transient, other 4xx permanent, 3xx permanent too (a
/// redirected POST would lose its body). None for a success (2xx) and for
/// 1xx, which are no final answer.
pub fn http_status_kind(status: u16) -> Option<FailureKind> {
    match status {
        100..=299 => None,
        408 | 425 | 429 | 500..=599 => Some(FailureKind::Transient),
        _ => Some(FailureKind::Permanent),
    }
}

/// Whether an SMTP reply code is worth retrying: 4xx ("try again later") is
/// transient, 5xx (and anything else that is not a positive reply) is
/// permanent (RFC 5321 §4.2.1).
pub const fn smtp_reply_kind(code: u16) -> FailureKind {
    match code {
        400..=499 => FailureKind::Transient,
        _ => FailureKind::Permanent,
    }
}

/// Whether a failed SMTP delivery is worth retrying: `reply` is the
/// server's reply code when it refused with one; `local` is an error on our
/// side (an address or message the client cannot send, a TLS setup that
/// cannot work), which does not go away by itself. Without either it was the
/// connection (refused, dropped, timed out): transient.
pub const fn smtp_failure_kind(reply: Option<u16>, local: bool) -> FailureKind {
    match (local, reply) {
        (true, _) => FailureKind::Permanent,
        (false, Some(code)) => smtp_reply_kind(code),
        (false, None) => FailureKind::Transient,
    }
}

/// How patiently failed jobs are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubled per further failure.
    pub base: Duration,
    /// Longest back-off delay.
    pub cap: Duration,
    /// The longest `Retry-After` honoured (a server asking for a day is
    /// asked again after this).
    pub max_retry_after: Duration,
    /// Transient failures in a row (since the job was queued or re-queued)
    /// after which the job is given up as if permanent; None: never.
    pub max_attempts: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: DEFAULT_BASE,
            cap: DEFAULT_CAP,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            max_attempts: None,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Try again at `at` (`delay` after the failure).
    Retry {
        /// When the job is due again.
        at: Instant,
        /// How long that is from the failure.
        delay: Duration,
    },
    /// Keep the job, failed, until the user re-queues it.
    GiveUp,
}

impl RetryPolicy {
    /// Delay before retry `attempt` (1-based): `base · 2^(attempt-1)`, capped,
    /// times a jitter factor in [0.8, 1.2] (`jitter` is a uniform random
    /// `u32`: 0 → 0.8, `u32::MAX` → 1.2).
    pub fn backoff(&self, attempt: u32, jitter: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let ms = self
            .base
            .as_millis()
            .saturating_mul(1u64 << exp)
            .min(self.cap.as_millis());
        let max = u128::from(u32::MAX);
        // Rounded to the nearest millionth so that the middle of the range is exactly 1.0.
        let ppm = 800_000 + (400_000 * u128::from(jitter) + max / 2) / max;
        let jittered = u128::from(ms) * ppm / 1_000_000;
        // A retry is always later than the failure, however small the base.
        let at_least = u128::from(ms > 0);
        Duration::from_millis(u64::try_from(jittered.max(at_least)).unwrap_or(u64::MAX))
    }

    /// What follows failure `failure` at `now`, the `round_attempts`-th
    /// attempt since the job was queued or re-queued.
    pub fn decide(
        &self,
        now: Instant,
        round_attempts: u32,
        failure: &Failure,
        jitter: u32,
    ) -> Decision {
        let exhausted = self
            .max_attempts
            .is_some_and(|max| round_attempts >= max.max(1));
        if failure.is_permanent() || exhausted {
            return Decision::GiveUp;
        }
        let asked = failure
            .retry_after
            .map_or(Duration::ZERO, |d| d.min(self.max_retry_after));
        let delay = self.backoff(round_attempts, jitter).max(asked);
        Decision::Retry {
            at: now + delay,
            delay,
        }
    }
}

/// The durable bookkeeping of one job: attempts, when it is due, how it
/// ended. Field names are the outbox's on-disk names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetryState {
    /// Attempts made in total.
    pub attempts: u32,
    /// Attempts since the job was queued or last re-queued: drives the
    /// back-off and [`RetryPolicy::max_attempts`].
    pub round_attempts: u32,
    /// When the job is due (ms of [`Instant`]); 0 = now.
    pub next_attempt_ms: u64,
    /// The reason of the last failure.
    pub last_error: Option<String>,
    /// Given up (the reason is `last_error`) until re-queued.
    pub failed: bool,
    /// When the job finished (ms of [`Instant`]).
    pub done_ms: Option<u64>,
    /// What came of it: status URLs, "mail sent to 2 recipients", …
    pub result: Option<String>,
}

impl RetryState {
    /// Whether the job has finished.
    pub fn is_done(&self) -> bool {
        self.done_ms.is_some()
    }

    /// Whether the job waits to be run (neither finished nor given up).
    pub fn is_queued(&self) -> bool {
        !self.is_done() && !self.failed
    }

    /// When the job is due.
    pub fn due(&self) -> Instant {
        Instant::from_millis(self.next_attempt_ms)
    }

    /// Counts an attempt about to start.
    pub fn begin_attempt(&mut self) {
        self.attempts = self.attempts.saturating_add(1);
        self.round_attempts = self.round_attempts.saturating_add(1);
    }

    /// Records the job as finished with `result`.
    pub fn succeed(&mut self, now: Instant, result: impl Into<String>) {
        self.done_ms = Some(now.as_millis());
        self.result = Some(result.into());
        self.last_error = None;
        self.next_attempt_ms = 0;
    }

    /// Records a failed attempt and decides, with `policy`, whether and when
    /// to try again; `jitter` is a uniform random `u32`.
    pub fn fail(
        &mut self,
        now: Instant,
        failure: &Failure,
        policy: &RetryPolicy,
        jitter: u32,
    ) -> Decision {
        self.last_error = Some(failure.reason.clone());
        let decision = policy.decide(now, self.round_attempts, failure, jitter);
        match decision {
            Decision::Retry { at, .. } => self.next_attempt_ms = at.as_millis(),
            Decision::GiveUp => self.failed = true,
        }
        decision
    }

    /// An attempt stopped from outside (shutdown): not counted, due again at once.
    pub fn interrupt(&mut self, reason: impl Into<String>) {
        self.attempts = self.attempts.saturating_sub(1);
        self.round_attempts = self.round_attempts.saturating_sub(1);
        self.last_error = Some(reason.into());
        self.next_attempt_ms = 0;
    }

    /// Due now with a fresh back-off, a given-up job included (the user's
    /// explicit retry).
    pub fn requeue(&mut self) {
        self.failed = false;
        self.round_attempts = 0;
        self.next_attempt_ms = 0;
    }
}

#[cfg(test)]
mod tests;
