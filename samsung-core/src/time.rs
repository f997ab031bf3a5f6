//! Time as an input: the core never reads a clock.
//!
//! An [`Instant`] is a count of milliseconds since an epoch the frontend
//! chooses (boot, process start, or the Unix epoch). Only differences between
//! instants matter to the core, except for the ST1000 time endpoint, which is
//! given the wall clock separately.

use core::ops::{Add, Sub};

/// A point in time, in milliseconds since a frontend-chosen epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

/// A span of time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Instant {
    /// The instant `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }
    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Self) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Self = Self(0);
    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }
    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Self(s.saturating_mul(1000))
    }
    /// The duration in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl From<core::time::Duration> for Duration {
    /// Whole milliseconds, saturating.
    fn from(d: core::time::Duration) -> Self {
        Self(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> Self {
        Self::from_millis(d.0)
    }
}

impl Add<Duration> for Instant {
    type Output = Self;
    fn add(self, rhs: Duration) -> Self {
        Self(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Self> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Self) -> Duration {
        self.saturating_since(rhs)
    }
}

/// A UTC calendar date and time of day, to the millisecond: how a Unix
/// time is shown (job ids, listings, Mastodon's `created_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CivilTime {
    /// The year (proleptic Gregorian).
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    /// 0 to 23.
    pub hour: u32,
    /// 0 to 59.
    pub minute: u32,
    /// 0 to 60 (60 only when parsed from a leap second).
    pub second: u32,
    /// 0 to 999.
    pub millis: u32,
}

impl CivilTime {
    /// The UTC date and time `ms` milliseconds after 1970-01-01T00:00:00Z
    /// (Howard Hinnant's `civil_from_days`).
    pub fn from_unix_millis(ms: u64) -> Self {
        let secs = ms / 1000;
        // u64 seconds / 86,400 always fits an i64.
        let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let of_day = secs % 86_400;
        let small = |v: i64| u32::try_from(v).unwrap_or(0);
        let small_u = |v: u64| u32::try_from(v).unwrap_or(0);
        Self {
            year: yoe + era * 400 + i64::from(month <= 2),
            month: small(month),
            day: small(day),
            hour: small_u(of_day / 3600),
            minute: small_u(of_day / 60 % 60),
            second: small_u(of_day % 60),
            millis: small_u(ms % 1000),
        }
    }

    /// Milliseconds since 1970-01-01T00:00:00Z (Howard Hinnant's
    /// `days_from_civil`); None before 1970 or for a field out of range.
    pub fn to_unix_millis(&self) -> Option<u64> {
        let in_range = (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && self.millis < 1000;
        if !in_range {
            return None;
        }
        let (mo, d) = (i64::from(self.month), i64::from(self.day));
        let yy = if mo <= 2 { self.year - 1 } else { self.year };
        let era = yy.div_euclid(400);
        let yoe = yy - era * 400;
        let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era.checked_mul(146_097)? + doe - 719_468;
        let secs = days.checked_mul(86_400)?
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        u64::try_from(secs.checked_mul(1000)? + i64::from(self.millis)).ok()
    }
}

impl core::fmt::Display for CivilTime {
    /// RFC 3339 in UTC with milliseconds: `2026-11-27T08:55:01.123Z`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millis
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString as _;
    use proptest::prelude::*;

    #[test]
    fn civil_times() {
        for (ms, shown) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_795_769_701_123, "2026-11-27T08:55:01.123Z"),
            (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
        ] {
            let c = CivilTime::from_unix_millis(ms);
            assert_eq!(c.to_string(), shown);
            assert_eq!(c.to_unix_millis(), Some(ms));
        }
        let bad = CivilTime {
            month: 13,
            ..CivilTime::from_unix_millis(0)
        };
        assert_eq!(bad.to_unix_millis(), None);
        let before_1970 = CivilTime {
            year: 1969,
            ..CivilTime::from_unix_millis(0)
        };
        assert_eq!(before_1970.to_unix_millis(), None);
    }

    proptest! {
        #[test]
        fn civil_time_round_trips(ms in 0u64..253_402_300_800_000) {
            prop_assert_eq!(CivilTime::from_unix_millis(ms).to_unix_millis(), Some(ms));
        }
    }

    #[test]
    fn arithmetic_saturates() {
        let a = Instant::from_millis(5);
        assert_eq!((a + Duration::from_secs(1)).as_millis(), 1005);
        assert_eq!((a - Instant::from_millis(10)).as_millis(), 0);
        assert_eq!(
            Instant::from_millis(u64::MAX) + Duration::from_millis(1),
            Instant::from_millis(u64::MAX)
        );
    }
}
