//! Walking the value tree: typed reads whose errors name the key, and
//! warnings for the keys nobody read.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;

use super::ConfigError;
use super::value::{Table, Value};
use crate::time::Duration;

/// A key as written in TOML: bare when it can be, quoted otherwise.
pub fn key_segment(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        String::from(k)
    } else {
        format!("{k:?}")
    }
}

/// `s`, cut to `max` characters with an ellipsis.
pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        String::from(s)
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// `got …` for messages; secret keys get only the type.
fn got(v: &Value, secret: bool) -> String {
    match v {
        _ if secret => format!("got {}", type_name(v)),
        Value::String(s) => format!("got {:?}", truncate(s, 60)),
        Value::Integer(i) => format!("got {i}"),
        Value::Boolean(b) => format!("got {b}"),
        other => format!("got {}", type_name(other)),
    }
}

/// The keys of `table` sorted by name: the order in which the daemon has
/// always reported them (the `toml` crate's map is sorted), so warnings, the
/// first of several errors and `check-config`'s routes stay where they were.
pub(super) fn in_key_order(table: &Table) -> Vec<(&str, &Value)> {
    let mut entries: Vec<(&str, &Value)> = table.iter().collect();
    entries.sort_by_key(|(k, _)| *k);
    entries
}

/// One table being read: remembers which keys were read, so that the rest
/// can be reported. Frontends read their own sections with it too.
#[derive(Debug)]
pub struct Section<'a> {
    path: String,
    table: &'a Table,
    used: BTreeSet<String>,
}

impl<'a> Section<'a> {
    /// Reads `table`, found at the dotted key `path` (`""` for the top level).
    pub fn new(path: String, table: &'a Table) -> Self {
        Section {
            path,
            table,
            used: BTreeSet::new(),
        }
    }

    /// The table being read.
    pub fn table(&self) -> &'a Table {
        self.table
    }

    /// The full dotted key of `k` for messages (`MASTODON.friends.TOKEN`).
    pub fn key(&self, k: &str) -> String {
        if self.path.is_empty() {
            key_segment(k)
        } else {
            format!("{}.{}", self.path, key_segment(k))
        }
    }

    /// The value of `k`, marked as read.
    pub fn get(&mut self, k: &str) -> Option<&'a Value> {
        let v = self.table.get(k)?;
        self.used.insert(String::from(k));
        Some(v)
    }

    /// `expected …, got …` for `k` (only the type of `v` when it is secret).
    pub fn type_error(&self, k: &str, expected: &str, v: &Value, secret: bool) -> ConfigError {
        ConfigError::new(
            self.key(k),
            format!("expected {expected}, {}", got(v, secret)),
        )
    }

    fn string_impl(&mut self, k: &str, secret: bool) -> Result<Option<String>, ConfigError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.type_error(k, "a string", v, secret)),
        }
    }

    /// A string.
    pub fn string(&mut self, k: &str) -> Result<Option<String>, ConfigError> {
        self.string_impl(k, false)
    }

    /// A string whose value never appears in an error.
    pub fn secret(&mut self, k: &str) -> Result<Option<String>, ConfigError> {
        self.string_impl(k, true)
    }

    /// A string that must not be empty or blank when present, trimmed.
    pub fn nonempty(&mut self, k: &str) -> Result<Option<String>, ConfigError> {
        match self.string(k)? {
            Some(s) if s.trim().is_empty() => {
                Err(ConfigError::new(self.key(k), "must not be empty"))
            }
            other => Ok(other.map(|s| String::from(s.trim()))),
        }
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, k: &str) -> Result<Option<bool>, ConfigError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(v) => Err(self.type_error(k, "true or false", v, false)),
        }
    }

    /// An integer in `min..=max`; a string of digits is accepted too.
    pub fn integer(&mut self, k: &str, min: u64, max: u64) -> Result<Option<u64>, ConfigError> {
        let expected = if max == u64::MAX {
            format!("an integer >= {min}")
        } else {
            format!("an integer {min}-{max}")
        };
        let Some(v) = self.get(k) else {
            return Ok(None);
        };
        let n = match v {
            Value::Integer(i) => u64::try_from(*i).ok(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(self.type_error(k, &expected, v, false)),
        }
    }

    /// Whole seconds, at least `min`.
    pub fn seconds(&mut self, k: &str, min: u64) -> Result<Option<Duration>, ConfigError> {
        Ok(self.integer(k, min, u64::MAX)?.map(Duration::from_secs))
    }

    /// `"address:port"`.
    pub fn socket_addr(&mut self, k: &str) -> Result<Option<SocketAddr>, ConfigError> {
        let Some(s) = self.string(k)? else {
            return Ok(None);
        };
        s.trim().parse().map(Some).map_err(|_| {
            ConfigError::new(
                self.key(k),
                format!("expected an address:port like \"0.0.0.0:8080\", got {s:?}"),
            )
        })
    }

    /// A list of strings.
    pub fn string_list(&mut self, k: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(ConfigError::new(
                        format!("{}[{i}]", self.key(k)),
                        format!("expected a string, {}", got(other, false)),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(self.type_error(k, "a list of strings", v, false)),
        }
    }

    /// A table (`[K]` or an inline table).
    pub fn subtable(&mut self, k: &str) -> Result<Option<&'a Table>, ConfigError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(t)),
            Some(v) => Err(self.type_error(k, "a table", v, false)),
        }
    }

    /// Marks `k` as read without reading it (a sub-table read separately).
    pub fn mark_used(&mut self, k: &str) {
        self.used.insert(String::from(k));
    }

    /// The keys not read so far, sorted.
    pub fn unused(&self) -> Vec<&'a str> {
        in_key_order(self.table)
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !self.used.contains(*k))
            .collect()
    }

    /// Warns about every key that was not read.
    pub fn finish(self, warnings: &mut Vec<String>) {
        for k in self.unused() {
            warnings.push(unknown_key_warning(
                &self.key(k),
                self.path.is_empty().then_some(k),
            ));
        }
    }
}

/// Top-level keys the reference passed to Flask / Flask-Mail that mean nothing here.
const FLASK_KEYS: &[&str] = &[
    "DEBUG",
    "TESTING",
    "SECRET_KEY",
    "SERVER_NAME",
    "APPLICATION_ROOT",
    "PREFERRED_URL_SCHEME",
    "MAX_CONTENT_LENGTH",
    "PROPAGATE_EXCEPTIONS",
    "TRAP_HTTP_EXCEPTIONS",
    "TRAP_BAD_REQUEST_ERRORS",
    "USE_X_SENDFILE",
    "SEND_FILE_MAX_AGE_DEFAULT",
    "TEMPLATES_AUTO_RELOAD",
    "EXPLAIN_TEMPLATE_LOADING",
    "PERMANENT_SESSION_LIFETIME",
    "MAIL_DEBUG",
    "MAIL_MAX_EMAILS",
    "MAIL_SUPPRESS_SEND",
    "MAIL_ASCII_ATTACHMENTS",
];

/// The top-level keys the core reads.
pub(super) const TOP_KEYS: &[&str] = &[
    "LISTEN",
    "UPLOAD_FOLDER",
    "SESSION_FOLDER",
    "OUTBOX_FOLDER",
    "INSECURE_DOWNLOAD",
    "SENDERS",
    "PASSWORDS",
    "SECRET",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_DEFAULT_SENDER",
    "MAIL_FROM",
    "MASTODON",
    "SHELL",
    "ACTIONS",
    "DNS",
    "LIMITS",
];

/// The warning for a key nobody reads; `top_level` is its name when it is
/// not inside a section (hints for Flask settings and lowercase spellings).
pub(super) fn unknown_key_warning(key: &str, top_level: Option<&str>) -> String {
    let Some(name) = top_level else {
        return format!("unknown key {key} ignored");
    };
    if FLASK_KEYS.contains(&name)
        || name.starts_with("SESSION_COOKIE_")
        || name.starts_with("JSON_")
    {
        let hint = if name == "MAX_CONTENT_LENGTH" {
            "; the upload limit is [LIMITS] MAX_UPLOAD"
        } else {
            ""
        };
        return format!(
            "unknown key {key} ignored (a Flask setting of the reference server; samsung-bridge does not use it{hint})"
        );
    }
    let upper = name.to_ascii_uppercase();
    if upper != name && TOP_KEYS.contains(&upper.as_str()) {
        return format!("unknown key {key} ignored (did you mean {upper}? keys are upper case)");
    }
    format!("unknown key {key} ignored")
}

/// The key a syntax error is on, when its line is a `KEY = …` line, with
/// the `[SECTION]` it is in.
pub(super) fn key_of_line(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let plain = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.\"@".contains(&b))
    };
    let key = key.trim();
    if !plain(key) {
        return None;
    }
    let section = before[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .and_then(|l| l.strip_prefix('[')?.split(']').next())
        .map(str::trim)
        .filter(|s| plain(s));
    Some(match section {
        Some(s) => format!("{s}.{key}"),
        None => String::from(key),
    })
}
