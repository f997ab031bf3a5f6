//! The wall clock as the core's [`Instant`] (Unix milliseconds), so that
//! persisted sessions, job times and batch times keep their meaning across
//! restarts and between frontends.

use std::time::{SystemTime, UNIX_EPOCH};

use samsung_core::time::Instant;

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The wall clock as the core's `Instant`.
pub fn now() -> Instant {
    Instant::from_millis(now_ms())
}

/// A wall-clock time (e.g. a file's) as the core's `Instant`.
pub fn instant(t: SystemTime) -> Instant {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Instant::from_millis(ms)
}
