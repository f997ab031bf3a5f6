//! `[LIMITS]`: sizes, connection count and timeouts.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::ConfigError;
use super::value::{Table, Value};
use super::walk::Section;
use crate::sns::Limits;
use crate::time::Duration;

#[cfg(test)]
mod tests;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// `MAX_CONNECTIONS` default.
const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// `SHUTDOWN_GRACE` default.
const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Limits against abuse and slow clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsConfig {
    /// `MAX_UPLOAD`: the largest upload, in bytes.
    pub max_upload: u64,
    /// `MAX_CONNECTIONS`: simultaneous connections.
    pub max_connections: usize,
    /// `HEADER_TIMEOUT`: time for a request head.
    pub header_timeout: Duration,
    /// `BODY_TIMEOUT`: longest pause between two pieces of a body.
    pub body_timeout: Duration,
    /// `SESSION_IDLE`: an unused login expires after this.
    pub session_idle: Duration,
    /// `SHUTDOWN_GRACE`: how long a stop waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for LimitsConfig {
    /// The core's [`Limits::default`] (4 GiB, header 10 s, body 60 s, session
    /// 1 h), 256 connections, 10 s grace.
    fn default() -> Self {
        let core = Limits::default();
        Self {
            max_upload: core.max_upload,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: core.head_timeout,
            body_timeout: core.body_idle_timeout,
            session_idle: core.session_idle,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

pub(super) fn read(table: &Table, w: &mut Vec<String>) -> Result<LimitsConfig, ConfigError> {
    let mut sec = Section::new(String::from("LIMITS"), table);
    let mut l = LimitsConfig::default();
    if let Some(v) = sec.get("MAX_UPLOAD") {
        let n = match v {
            Value::Integer(i) => u64::try_from(*i).ok(),
            Value::String(s) => parse_size(s),
            _ => None,
        };
        l.max_upload = n.filter(|n| *n > 0).ok_or_else(|| {
            sec.type_error(
                "MAX_UPLOAD",
                "a size in bytes (4294967296) or with a unit (\"4 GiB\", \"500MB\")",
                v,
                false,
            )
        })?;
    }
    if let Some(n) = sec.integer("MAX_CONNECTIONS", 1, 1_000_000)? {
        l.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(d) = sec.seconds("HEADER_TIMEOUT", 1)? {
        l.header_timeout = d;
    }
    if let Some(d) = sec.seconds("BODY_TIMEOUT", 1)? {
        l.body_timeout = d;
    }
    if let Some(d) = sec.seconds("SESSION_IDLE", 1)? {
        l.session_idle = d;
    }
    if let Some(d) = sec.seconds("SHUTDOWN_GRACE", 0)? {
        l.shutdown_grace = d;
    }
    sec.finish(w);
    Ok(l)
}

/// `4096`, `"500MB"`, `"2 GiB"`; `"1.5G"` is not accepted (integers only).
pub(super) fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: u64 = num.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => KIB,
        "m" | "mb" => 1000 * 1000,
        "mib" => MIB,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => GIB,
        "t" | "tb" => 1000 * 1000 * 1000 * 1000,
        "tib" => 1024 * GIB,
        _ => return None,
    };
    num.checked_mul(factor)
}

/// `4 GiB`, `500 MB`, `1234 bytes`.
pub(super) fn format_size(n: u64) -> String {
    for (unit, f) in [
        ("TiB", 1024 * GIB),
        ("GiB", GIB),
        ("MiB", MIB),
        ("KiB", KIB),
    ] {
        if n >= f && n.is_multiple_of(f) {
            return format!("{} {unit}", n / f);
        }
    }
    for (unit, f) in [
        ("TB", 1_000_000_000_000),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("kB", 1000),
    ] {
        if n >= f && n.is_multiple_of(f) {
            return format!("{} {unit}", n / f);
        }
    }
    format!("{n} bytes")
}
