//! The TOML front end: `config.toml` text → an owned value tree.
//!
//! Lexing and the grammar are `toml_parser`'s (the parser under the `toml`
//! crate); `build` only turns its events into tables, following TOML's rules
//! for headers, dotted keys and arrays of tables, and stops at the first
//! error, which it reports with line and column. The tree keeps the order of
//! the file. Datetimes stay text: no configuration key takes one.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

mod build;
#[cfg(test)]
mod tests;

/// A TOML value.
///
/// `Debug` shows the structure but not the text of strings: a tree may hold
/// passwords and tokens.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// A string (basic, literal or multi-line), decoded.
    String(String),
    /// An integer (64-bit signed, as TOML requires).
    Integer(i64),
    /// A float.
    Float(f64),
    /// `true` or `false`.
    Boolean(bool),
    /// An offset or local date-time, date or time, as written.
    Datetime(String),
    /// An array.
    Array(Vec<Self>),
    /// A table: a `[header]` section, a dotted key's parent or an inline table.
    Table(Table),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => write!(f, "String(<{} chars>)", s.chars().count()),
            Self::Integer(i) => write!(f, "Integer({i})"),
            Self::Float(x) => write!(f, "Float({x:?})"),
            Self::Boolean(b) => write!(f, "Boolean({b})"),
            Self::Datetime(d) => write!(f, "Datetime({d})"),
            Self::Array(a) => f.debug_list().entries(a).finish(),
            Self::Table(t) => t.fmt(f),
        }
    }
}

/// A TOML table: keys in the order the file first mentions them.
#[derive(Clone, PartialEq, Default)]
pub struct Table {
    entries: Vec<(String, Value)>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl Table {
    /// Parses a TOML document.
    pub fn parse(text: &str) -> Result<Self, TomlError> {
        build::document(text)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Keys and values in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Keys in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes `key` out of the table.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// Sets `key`, replacing an earlier value in place.
    pub fn insert(&mut self, key: String, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.entries.push((key, value)),
        }
    }
}

impl FromIterator<(String, Value)> for Table {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut t = Self::default();
        for (k, v) in iter {
            t.insert(k, v);
        }
        t
    }
}

/// Invalid TOML: where and why. The message never quotes the text, which may
/// hold a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid TOML at line {line}, column {column}: {reason}")]
pub struct TomlError {
    /// Byte offset of the error in the text (0 when it has no position).
    pub offset: usize,
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// What is wrong, in the words of the `toml` crate.
    pub reason: String,
}

impl TomlError {
    fn new(text: &str, offset: usize, reason: String) -> Self {
        let (line, column) = line_col(text, offset);
        Self {
            offset,
            line,
            column,
            reason,
        }
    }
}

/// Line and column (1-based, columns in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
