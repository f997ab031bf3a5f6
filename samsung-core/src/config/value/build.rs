//! `toml_parser` events → [`Table`].
//!
//! The rules for redefinitions (a `[table]` twice, a dotted key into a
//! `[table]`, a header through an inline table, …) follow the `toml` crate's
//! document builder step by step, so that both accept and refuse the same
//! documents and report the same first error.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use toml_parser::decoder::ScalarKind;
use toml_parser::parser::{Event, EventKind, RecursionGuard, ValidateWhitespace};
use toml_parser::{Expected, ParseError, Raw, Source, Span};

use super::{Table, TomlError, Value};

/// Deepest nesting of arrays and inline tables, and longest key path: the
/// `toml` crate's limits, which keep the recursion bounded.
const MAX_DEPTH: u32 = 80;

type Result<T> = core::result::Result<T, ParseError>;

pub(super) fn document(text: &str) -> core::result::Result<Table, TomlError> {
    build(text).map_err(|e| {
        let offset = e.unexpected().map_or(0, |s| s.start());
        TomlError::new(text, offset, message(&e).trim().replace('\n', "; "))
    })
}

fn build(text: &str) -> Result<Table> {
    let source = Source::new(text);
    let tokens = source.lex().into_vec();
    let mut events: Vec<Event> = Vec::with_capacity(tokens.len());
    let mut first_error: Option<ParseError> = None;
    {
        let mut whitespace = ValidateWhitespace::new(&mut events, source);
        let mut guard = RecursionGuard::new(&mut whitespace, MAX_DEPTH);
        toml_parser::parser::parse_document(&tokens, &mut guard, &mut first_error);
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let mut events = Events {
        source,
        events: &events,
        pos: 0,
        overflow: None,
    };
    let mut doc = Doc::default();
    while let Some(ev) = events.next() {
        match ev.kind() {
            EventKind::StdTableOpen | EventKind::ArrayTableOpen => {
                doc.finish_table()?;
                let header = events.header(ev)?;
                doc.start_table(header)?;
            }
            EventKind::SimpleKey => {
                let (path, key, value) = events.key_value(ev)?;
                doc.key_value(path, key, value)?;
            }
            EventKind::Whitespace | EventKind::Comment | EventKind::Newline => {}
            _ => return Err(unexpected(ev)),
        }
    }
    doc.finish_table()?;
    match events.overflow {
        Some(e) => Err(e),
        None => Ok(doc.root.freeze()),
    }
}

/// The `toml` crate's wording of a parse error.
fn message(e: &ParseError) -> String {
    let mut m = String::from(e.description());
    if let Some(expected) = e.expected() {
        m.push_str(", expected ");
        if expected.is_empty() {
            m.push_str("nothing");
        }
        for (i, x) in expected.iter().enumerate() {
            if i != 0 {
                m.push_str(", ");
            }
            match x {
                Expected::Literal(l) => m.push_str(&literal(l)),
                Expected::Description(d) => m.push_str(d),
                _ => m.push_str("etc"),
            }
        }
    }
    m
}

fn literal(l: &str) -> String {
    match l {
        "\n" => String::from("newline"),
        "`" => String::from("'`'"),
        s if s.chars().all(|c| c.is_ascii_control()) => format!("`{}`", s.escape_debug()),
        s => format!("`{s}`"),
    }
}

/// Only reachable if `toml_parser` let a malformed document through without
/// reporting it.
fn unexpected(ev: Event) -> ParseError {
    ParseError::new(format!("unexpected {}", ev.kind().description())).with_unexpected(ev.span())
}

fn end_of_input() -> ParseError {
    ParseError::new("unexpected end of input")
}

fn duplicate(key: &Key, first: Option<Span>) -> ParseError {
    let e = ParseError::new("duplicate key").with_unexpected(key.span);
    match first {
        Some(span) => e.with_context(span),
        None => e,
    }
}

fn cannot_extend(key: &Key, what: &str, first: Span) -> ParseError {
    ParseError::new(format!(
        "cannot extend value of type {what} with a dotted key"
    ))
    .with_unexpected(key.span)
    .with_context(first)
}

/// The `toml` crate's name of a value's type in its errors.
fn type_str(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Integer(_) => "integer",
        Value::Float(_) => "float",
        Value::Boolean(_) => "boolean",
        Value::Datetime(_) => "datetime",
        Value::Array(_) => "array",
        Value::Table(_) => "inline table",
    }
}

#[derive(Clone)]
struct Key {
    name: String,
    span: Span,
}

struct Header {
    path: Vec<Key>,
    key: Key,
    is_array: bool,
}

/// The events of a document that `toml_parser` found well-formed.
struct Events<'i, 'e> {
    source: Source<'i>,
    events: &'e [Event],
    pos: usize,
    /// The first number too large for its type. The `toml` crate notices
    /// these only after the whole document, so any other error comes first.
    overflow: Option<ParseError>,
}

impl Events<'_, '_> {
    fn next(&mut self) -> Option<Event> {
        let ev = self.events.get(self.pos).copied()?;
        self.pos += 1;
        Some(ev)
    }

    fn peek(&self, n: usize) -> Option<EventKind> {
        self.events.get(self.pos + n).map(Event::kind)
    }

    fn skip_whitespace(&mut self) {
        while self.peek(0) == Some(EventKind::Whitespace) {
            self.pos += 1;
        }
    }

    /// Whitespace, comments and newlines (the latter two only occur inside
    /// inline tables here, where TOML 1.1 allows them).
    fn skip_blank(&mut self) {
        while matches!(
            self.peek(0),
            Some(EventKind::Whitespace | EventKind::Comment | EventKind::Newline)
        ) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, kind: EventKind) -> Result<Event> {
        let ev = self.next().ok_or_else(end_of_input)?;
        if ev.kind() == kind {
            Ok(ev)
        } else {
            Err(unexpected(ev))
        }
    }

    fn raw(&self, ev: Event) -> Result<Raw<'_>> {
        self.source.get(ev).ok_or_else(|| unexpected(ev))
    }

    /// `[a.b]` or `[[a.b]]` after its opening bracket.
    fn header(&mut self, open: Event) -> Result<Header> {
        self.skip_whitespace();
        let first = self.expect(EventKind::SimpleKey)?;
        let (path, key) = self.key(first)?;
        self.skip_whitespace();
        let is_array = open.kind() == EventKind::ArrayTableOpen;
        self.expect(if is_array {
            EventKind::ArrayTableClose
        } else {
            EventKind::StdTableClose
        })?;
        Ok(Header {
            path,
            key,
            is_array,
        })
    }

    /// `a.b = value` from its first key on.
    fn key_value(&mut self, first: Event) -> Result<(Vec<Key>, Key, Value)> {
        let (path, key) = self.key(first)?;
        self.skip_blank();
        self.expect(EventKind::KeyValSep)?;
        self.skip_blank();
        let value = self.value()?;
        Ok((path, key, value))
    }

    /// A dotted key: the tables on the way, and the last key.
    fn key(&mut self, first: Event) -> Result<(Vec<Key>, Key)> {
        let mut path = Vec::new();
        let mut last = self.decode_key(first)?;
        loop {
            let skip = match (self.peek(0), self.peek(1)) {
                (Some(EventKind::KeySep), _) => 1,
                (Some(EventKind::Whitespace), Some(EventKind::KeySep)) => 2,
                _ => break,
            };
            self.pos += skip;
            self.skip_whitespace();
            let ev = self.expect(EventKind::SimpleKey)?;
            let next = self.decode_key(ev)?;
            path.push(core::mem::replace(&mut last, next));
        }
        if path.len() >= MAX_DEPTH as usize {
            return Err(ParseError::new("recursion limit"));
        }
        Ok((path, last))
    }

    fn decode_key(&self, ev: Event) -> Result<Key> {
        let raw = self.raw(ev)?;
        let mut name = Cow::Borrowed("");
        let mut error = None;
        raw.decode_key(&mut name, &mut error);
        match error {
            Some(e) => Err(e),
            None => Ok(Key {
                name: name.into_owned(),
                span: ev.span(),
            }),
        }
    }

    fn value(&mut self) -> Result<Value> {
        let ev = self.next().ok_or_else(end_of_input)?;
        match ev.kind() {
            EventKind::Scalar => self.scalar(ev),
            EventKind::ArrayOpen => self.array(),
            EventKind::InlineTableOpen => self.inline_table(),
            _ => Err(unexpected(ev)),
        }
    }

    fn scalar(&mut self, ev: Event) -> Result<Value> {
        let raw = self.raw(ev)?;
        let mut text = Cow::Borrowed("");
        let mut error = None;
        let kind = raw.decode_scalar(&mut text, &mut error);
        if let Some(e) = error {
            return Err(e);
        }
        let bad = |why: String| ParseError::new(why).with_unexpected(ev.span());
        Ok(match kind {
            ScalarKind::String => Value::String(text.into_owned()),
            ScalarKind::Boolean(b) => Value::Boolean(b),
            ScalarKind::DateTime => {
                text.parse::<toml_datetime::Datetime>()
                    .map_err(|e| bad(e.to_string()))?;
                Value::Datetime(text.into_owned())
            }
            ScalarKind::Float => {
                let x: f64 = text
                    .parse()
                    .map_err(|_| bad(String::from("invalid float")))?;
                // An overflowing literal parses as infinity.
                if x.is_infinite() && !text.contains("inf") {
                    self.overflow.get_or_insert_with(|| {
                        bad(String::from("floating-point number overflowed"))
                    });
                }
                Value::Float(x)
            }
            ScalarKind::Integer(radix) => {
                let n = i64::from_str_radix(&text, radix.value());
                if n.is_err() {
                    self.overflow
                        .get_or_insert_with(|| bad(String::from("integer number overflowed")));
                }
                Value::Integer(n.unwrap_or_default())
            }
        })
    }

    fn array(&mut self) -> Result<Value> {
        let mut items = Vec::new();
        loop {
            let ev = self.next().ok_or_else(end_of_input)?;
            match ev.kind() {
                EventKind::Scalar => items.push(self.scalar(ev)?),
                EventKind::ArrayOpen => items.push(self.array()?),
                EventKind::InlineTableOpen => items.push(self.inline_table()?),
                EventKind::ValueSep
                | EventKind::Whitespace
                | EventKind::Comment
                | EventKind::Newline => {}
                EventKind::ArrayClose => return Ok(Value::Array(items)),
                _ => return Err(unexpected(ev)),
            }
        }
    }

    fn inline_table(&mut self) -> Result<Value> {
        let mut table = Open::default();
        loop {
            let ev = self.next().ok_or_else(end_of_input)?;
            match ev.kind() {
                EventKind::SimpleKey => {
                    let (path, key, value) = self.key_value(ev)?;
                    let parent = descend_inline(&mut table, &path)?;
                    parent.insert(key, value)?;
                }
                EventKind::ValueSep
                | EventKind::Whitespace
                | EventKind::Comment
                | EventKind::Newline => {}
                EventKind::InlineTableClose => return Ok(Value::Table(table.freeze())),
                _ => return Err(unexpected(ev)),
            }
        }
    }
}

/// A table still being filled.
#[derive(Default)]
struct Open {
    entries: Vec<Entry>,
    /// Created on the way to a header or dotted key, not defined itself yet.
    implicit: bool,
    /// Created by a dotted key (such a table cannot get a `[header]` later).
    dotted: bool,
}

struct Entry {
    key: Key,
    slot: Slot,
}

enum Slot {
    /// A value written in place: scalar, array or inline table (closed).
    Value(Value),
    Table(Open),
    /// `[[array of tables]]`; never empty.
    Tables(Vec<Open>),
}

impl Open {
    fn implicit(dotted: bool) -> Self {
        Self {
            entries: Vec::new(),
            implicit: true,
            dotted,
        }
    }

    fn find(&mut self, name: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.key.name == name)
    }

    /// The entry of `key`, created as an implicit table when missing.
    fn entry_or_table(&mut self, key: &Key, dotted: bool) -> &mut Entry {
        let i = match self.entries.iter().position(|e| e.key.name == key.name) {
            Some(i) => i,
            None => {
                self.entries.push(Entry {
                    key: key.clone(),
                    slot: Slot::Table(Self::implicit(dotted)),
                });
                self.entries.len() - 1
            }
        };
        &mut self.entries[i]
    }

    fn insert(&mut self, key: Key, value: Value) -> Result<()> {
        if let Some(first) = self.find(&key.name) {
            return Err(duplicate(&key, Some(first.key.span)));
        }
        self.entries.push(Entry {
            key,
            slot: Slot::Value(value),
        });
        Ok(())
    }

    fn freeze(self) -> Table {
        self.entries
            .into_iter()
            .map(|e| {
                let value = match e.slot {
                    Slot::Value(v) => v,
                    Slot::Table(t) => Value::Table(t.freeze()),
                    Slot::Tables(list) => {
                        Value::Array(list.into_iter().map(|t| Value::Table(t.freeze())).collect())
                    }
                };
                (e.key.name, value)
            })
            .collect()
    }
}

/// Walks `path` down from `table` for a header (`dotted` false) or a dotted
/// key of the document (`dotted` true).
fn descend<'t>(mut table: &'t mut Open, path: &[Key], dotted: bool) -> Result<&'t mut Open> {
    for key in path {
        let Entry { key: first, slot } = table.entry_or_table(key, dotted);
        table = match slot {
            // Headers and keys below `[[a]]` go into its last table.
            Slot::Tables(list) => list.last_mut().ok_or_else(|| duplicate(key, None))?,
            Slot::Table(t) => {
                if dotted && t.implicit {
                    t.dotted = true;
                }
                // A dotted key must not reach into a table defined by a header.
                if dotted && !t.implicit {
                    return Err(duplicate(key, None));
                }
                t
            }
            Slot::Value(v) => return Err(cannot_extend(key, type_str(v), first.span)),
        };
    }
    Ok(table)
}

/// Walks a dotted key's `path` inside an inline table.
fn descend_inline<'t>(mut table: &'t mut Open, path: &[Key]) -> Result<&'t mut Open> {
    for key in path {
        let Entry { key: first, slot } = table.entry_or_table(key, true);
        table = match slot {
            Slot::Table(t) => t,
            // An inline table written out is closed.
            Slot::Value(Value::Table(_)) => return Err(duplicate(key, None)),
            Slot::Value(v) => {
                let what = type_str(v);
                return Err(cannot_extend(key, what, first.span));
            }
            Slot::Tables(_) => return Err(cannot_extend(key, "array", first.span)),
        };
    }
    Ok(table)
}

/// The document: the tables attached so far, and the one being filled.
#[derive(Default)]
struct Doc {
    root: Open,
    current: Open,
    /// The header of `current`; None while the root's own keys are read.
    header: Option<Header>,
}

impl Doc {
    fn key_value(&mut self, path: Vec<Key>, key: Key, value: Value) -> Result<()> {
        let dotted = !path.is_empty();
        let parent = descend(&mut self.current, &path, dotted)?;
        if dotted && !parent.implicit {
            return Err(duplicate(&key, None));
        }
        parent.insert(key, value)
    }

    /// Attaches the table that the last header opened.
    fn finish_table(&mut self) -> Result<()> {
        let table = core::mem::take(&mut self.current);
        let Some(header) = self.header.take() else {
            self.root = table;
            return Ok(());
        };
        let parent = descend(&mut self.root, &header.path, false)?;
        match parent.find(&header.key.name) {
            None => {
                let slot = if header.is_array {
                    Slot::Tables(vec![table])
                } else {
                    Slot::Table(table)
                };
                parent.entries.push(Entry {
                    key: header.key,
                    slot,
                });
            }
            Some(Entry {
                slot: Slot::Tables(list),
                ..
            }) if header.is_array => list.push(table),
            // The implicit table `start_table` took the keys of, in its place.
            Some(entry) if !header.is_array => entry.slot = Slot::Table(table),
            Some(first) => return Err(duplicate(&header.key, Some(first.key.span))),
        }
        Ok(())
    }

    fn start_table(&mut self, header: Header) -> Result<()> {
        if !header.is_array {
            let parent = descend(&mut self.root, &header.path, false)?;
            if let Some(first) = parent.find(&header.key.name) {
                match &mut first.slot {
                    // `[a]` after `[a.b]`: a was implicit so far and keeps b.
                    Slot::Table(t) if t.implicit && !t.dotted => {
                        self.current = core::mem::take(t);
                    }
                    _ => return Err(duplicate(&header.key, Some(first.key.span))),
                }
            }
        }
        self.current.implicit = false;
        self.current.dotted = false;
        self.header = Some(header);
        Ok(())
    }
}
