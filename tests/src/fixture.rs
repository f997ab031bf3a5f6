//! The `.vector` fixture format (see `tests/fixtures/README.md`): parsing
//! only. A malformed fixture is a bug in the test suite, not in the code
//! under test, so the loader panics with `file:line: what is wrong`.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use samsung_core::conn::AbortReason;

use crate::template::{Piece, Template, builtin, is_var_name, parse_template};

/// The directory holding the fixtures of this crate.
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The `.vector` files of `dir`, sorted by name (listed without parsing, so
/// the suite can check that the loader skipped none).
pub fn vector_files(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list fixtures in {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "vector"))
        .collect();
    files.sort();
    files
}

/// Loads every `.vector` file of `dir`.
pub fn load_dir(dir: &Path) -> Vec<Fixture> {
    vector_files(dir).iter().map(|p| load_file(p)).collect()
}

/// Loads one fixture file.
pub fn load_file(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse(&name, &path.display().to_string(), &text)
}

/// Which [`samsung_core::sns::BridgeConfig`] a fixture runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigName {
    /// `BridgeConfig::default()`: everybody allowed, everything stored.
    Default,
    /// Senders `x`, `f`, `Camera@samsungcamera.com`; SECRET `xiev5kaMeehaimub`.
    Whitelist,
    /// `Whitelist` plus routes `facebook` → mastodon, `toot@example.org` → mastodon.
    Mastodon,
}

/// How body lines become bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    /// Each line ends with CRLF (the last one only if `final_eol`).
    Crlf,
    /// Each line ends with LF (the last one only if `final_eol`).
    Lf,
    /// Lines are concatenated; escapes give the bytes.
    Raw,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// Line of the `>>> body` marker.
    pub line: usize,
    /// How lines are joined.
    pub mode: BodyMode,
    /// Whether the last line gets a line ending too (`Crlf`/`Lf`).
    pub final_eol: bool,
    /// The lines.
    pub lines: Vec<Template>,
}

/// A header test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderTest {
    /// Some value equals.
    Equals(Template),
    /// Some value starts with.
    Starts(Template),
    /// Some value contains.
    Contains(Template),
    /// The header is present.
    Present,
    /// The header is absent.
    Absent,
    /// Some value contains the needle at a character index ≤ the bound.
    FindAtMost(Template, usize),
}

impl HeaderTest {
    /// Whether a header whose values are `values` passes this test; `text`
    /// expands a template (captured names, placeholders).
    pub fn holds(&self, values: &[&str], mut text: impl FnMut(&Template) -> String) -> bool {
        match self {
            HeaderTest::Present => !values.is_empty(),
            HeaderTest::Absent => values.is_empty(),
            HeaderTest::Equals(t) => {
                let want = text(t);
                values.iter().any(|v| *v == want)
            }
            HeaderTest::Starts(t) => {
                let want = text(t);
                values.iter().any(|v| v.starts_with(&want))
            }
            HeaderTest::Contains(t) => {
                let want = text(t);
                values.iter().any(|v| v.contains(&want))
            }
            HeaderTest::FindAtMost(t, bound) => {
                let want = text(t);
                values.iter().any(|v| {
                    v.find(&want)
                        .is_some_and(|i| v[..i].chars().count() <= *bound)
                })
            }
        }
    }
}

/// One checked fact about an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Status code; `x` matches any digit (`3xx`).
    Status(String),
    /// A response header.
    Header {
        /// Header name (case-insensitive).
        name: String,
        /// What must hold.
        test: HeaderTest,
    },
    /// The body is exactly this.
    BodyExact(Template),
    /// The body is empty.
    BodyEmpty,
    /// The body contains this.
    BodyContains(Template),
    /// The body does not contain this.
    BodyLacks(Template),
    /// The body starts with this.
    BodyStarts(Template),
    /// The body ends with this.
    BodyEnds(Template),
    /// Binds a variable to the body text between two markers.
    Capture {
        /// Variable name.
        var: String,
        /// Text before the value.
        before: Template,
        /// Text after the value.
        after: Template,
    },
    /// The variable holds the current Unix time in milliseconds.
    VarUnixMsNow(String),
    /// The exchange stored exactly one upload with these fields.
    Upload(Vec<(String, Template)>),
    /// The stored upload's batch reference has these fields.
    Batch(Vec<(String, Template)>),
    /// A file of this name was stored in this folder.
    Stored {
        /// File name.
        file: Template,
        /// Folder.
        folder: Template,
    },
    /// One stored e-mail attachment with these fields.
    Attachment(Vec<(String, Template)>),
    /// The exchange accepted exactly one e-mail with these fields.
    Email(Vec<(String, Template)>),
    /// A transfer was aborted (its files discarded), for this reason if given.
    Aborted(Option<AbortReason>),
    /// The bridge closed an unfinished batch with this many uploads.
    BatchClosed(usize),
}

/// A check with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// 1-based line in the fixture.
    pub line: usize,
    /// The line as written (for failure messages).
    pub text: String,
    /// What it checks.
    pub check: Check,
}

/// One request on a fresh connection and what its outcome must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Line of the `>>> request` marker.
    pub line: usize,
    /// Head lines (sent with CRLF; the harness adds the empty line).
    pub head: Vec<Template>,
    /// The body, if any.
    pub body: Option<Body>,
    /// The expectations.
    pub expects: Vec<Expect>,
}

/// A parsed `.vector` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// File stem.
    pub name: String,
    /// Path as shown in messages.
    pub path: String,
    /// Configuration to run against.
    pub config: ConfigName,
    /// The server clock, Unix milliseconds.
    pub now: u64,
    /// Why the fixture is expected to fail today (reported, not fatal).
    pub known_gap: Option<String>,
    /// Requests in order, all from one client against one server state.
    pub exchanges: Vec<Exchange>,
}

/// The default server clock: 2025-01-01T00:00:00Z.
pub const DEFAULT_NOW_MS: u64 = 1_735_689_600_000;

const UPLOAD_KEYS: &[&str] = &[
    "file", "folder", "user", "site", "action", "kind", "type", "length", "data",
];
const BATCH_KEYS: &[&str] = &["index", "expected", "last", "caption", "alt", "album", "id"];
const ATTACHMENT_KEYS: &[&str] = &["index", "name", "type", "mastodon-type", "length", "data"];
const EMAIL_KEYS: &[&str] = &[
    "sender",
    "recipients",
    "actions",
    "subject",
    "body",
    "caption",
    "alts",
    "folder",
    "attachments",
];

enum State {
    Preamble,
    Head,
    Body,
    Expect,
}

struct Parser<'a> {
    path: &'a str,
    line: usize,
    /// Variables captured so far, in file order.
    vars: BTreeSet<String>,
}

impl Parser<'_> {
    fn fail(&self, msg: impl fmt::Display) -> ! {
        panic!("{}:{}: {msg}", self.path, self.line)
    }

    fn template(&self, text: &str, escapes: bool, allow: &[&str]) -> Template {
        let t = parse_template(text, escapes).unwrap_or_else(|e| self.fail(e));
        for p in &t.0 {
            let kind = match p {
                Piece::Lit(_) => continue,
                Piece::Len => "LEN",
                Piece::Jpeg(_) => "JPEG",
                Piece::Var(v) => {
                    if !self.vars.contains(v) {
                        self.fail(format_args!(
                            "{{{{{v}}}}} is used before any `capture {v} …`"
                        ));
                    }
                    continue;
                }
            };
            if !allow.contains(&kind) {
                self.fail(format_args!("{{{{{kind}}}}} is not allowed here"));
            }
        }
        t
    }
}

/// Parses fixture text; `path` is only used in panic messages.
pub fn parse(name: &str, path: &str, text: &str) -> Fixture {
    let mut p = Parser {
        path,
        line: 0,
        vars: BTreeSet::new(),
    };
    let mut fixture = Fixture {
        name: name.to_string(),
        path: path.to_string(),
        config: ConfigName::Default,
        now: DEFAULT_NOW_MS,
        known_gap: None,
        exchanges: Vec::new(),
    };
    let mut config_seen = false;
    let mut state = State::Preamble;
    for (i, raw) in text.lines().enumerate() {
        p.line = i + 1;
        // Fixture files may be checked out with CRLF; body bytes come from
        // the body mode, never from the file's own line endings.
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let skippable = line.trim().is_empty() || line.starts_with('#');
        if line.starts_with(">>> request") {
            if line.trim_end() != ">>> request" {
                p.fail("expected `>>> request`");
            }
            match state {
                State::Head | State::Body => p.fail("the previous request has no `<<< expect`"),
                State::Preamble | State::Expect => {}
            }
            finish_exchange(&p, fixture.exchanges.last());
            fixture.exchanges.push(Exchange {
                line: p.line,
                head: Vec::new(),
                body: None,
                expects: Vec::new(),
            });
            state = State::Head;
            continue;
        }
        if let Some(rest) = line.strip_prefix(">>> body") {
            if !matches!(state, State::Head) {
                p.fail("`>>> body` must follow the head of a `>>> request`");
            }
            let body = parse_body_marker(&p, rest);
            if let Some(ex) = fixture.exchanges.last_mut() {
                ex.body = Some(body);
            }
            state = State::Body;
            continue;
        }
        if line.starts_with("<<<") {
            if line.trim_end() != "<<< expect" {
                p.fail("expected `<<< expect`");
            }
            if !matches!(state, State::Head | State::Body) {
                p.fail("`<<< expect` must follow a `>>> request`");
            }
            if let Some(body) = fixture.exchanges.last_mut().and_then(|e| e.body.as_mut()) {
                while body.lines.last().is_some_and(|l| l.0.is_empty()) {
                    body.lines.pop();
                }
            }
            state = State::Expect;
            continue;
        }
        if line.starts_with(">>>") {
            p.fail("unknown section marker (`>>> request`, `>>> body …`, `<<< expect`)");
        }
        match state {
            State::Preamble => {
                if skippable {
                    continue;
                }
                let Some((key, value)) = line.split_once(':') else {
                    p.fail("expected `key: value` (config, now, known-gap) or `>>> request`");
                };
                let value = value.trim();
                match key.trim() {
                    "config" => {
                        config_seen = true;
                        fixture.config = match value {
                            "default" => ConfigName::Default,
                            "whitelist" => ConfigName::Whitelist,
                            "mastodon" => ConfigName::Mastodon,
                            _ => p.fail("config must be default, whitelist or mastodon"),
                        }
                    }
                    "now" => {
                        fixture.now = value
                            .parse()
                            .unwrap_or_else(|_| p.fail("now: Unix milliseconds expected"))
                    }
                    "known-gap" if !value.is_empty() => fixture.known_gap = Some(value.to_string()),
                    other => p.fail(format_args!("unknown header `{other}`")),
                }
            }
            State::Head => {
                if skippable {
                    continue;
                }
                let t = p.template(line, false, &["LEN"]);
                if let Some(ex) = fixture.exchanges.last_mut() {
                    ex.head.push(t);
                }
            }
            State::Body => {
                let Some(body) = fixture.exchanges.last_mut().and_then(|e| e.body.as_mut()) else {
                    p.fail("body without request");
                };
                let escapes = body.mode == BodyMode::Raw;
                let t = p.template(line, escapes, &["JPEG"]);
                body.lines.push(t);
            }
            State::Expect => {
                if skippable {
                    continue;
                }
                let check = parse_check(&mut p, line.trim_end());
                if let Some(ex) = fixture.exchanges.last_mut() {
                    ex.expects.push(Expect {
                        line: p.line,
                        text: line.trim_end().to_string(),
                        check,
                    });
                }
            }
        }
    }
    p.line = text.lines().count();
    match state {
        State::Preamble => p.fail("no `>>> request` in the fixture"),
        State::Head | State::Body => p.fail("the last request has no `<<< expect`"),
        State::Expect => finish_exchange(&p, fixture.exchanges.last()),
    }
    if !config_seen {
        p.line = 1;
        p.fail("missing `config: default|whitelist|mastodon`");
    }
    fixture
}

/// Every exchange states its outcome: a status and a head line at least.
fn finish_exchange(p: &Parser<'_>, ex: Option<&Exchange>) {
    let Some(ex) = ex else { return };
    let here = |msg: &str| -> ! { panic!("{}:{}: {msg}", p.path, ex.line) };
    if ex.head.is_empty() {
        here("request without a request line");
    }
    if !ex
        .expects
        .iter()
        .any(|e| matches!(e.check, Check::Status(_)))
    {
        here("every `<<< expect` needs a `status` line");
    }
}

fn parse_body_marker(p: &Parser<'_>, rest: &str) -> Body {
    let mut words = rest.split_whitespace();
    let mode = match words.next() {
        Some("crlf") => BodyMode::Crlf,
        Some("lf") => BodyMode::Lf,
        Some("raw") => BodyMode::Raw,
        _ => p.fail("expected `>>> body crlf|lf|raw [no-final-eol]`"),
    };
    let mut final_eol = true;
    for w in words {
        match w {
            "no-final-eol" if mode != BodyMode::Raw => final_eol = false,
            _ => p.fail(format_args!("unknown body option `{w}`")),
        }
    }
    Body {
        line: p.line,
        mode,
        final_eol,
        lines: Vec::new(),
    }
}

fn parse_check(p: &mut Parser<'_>, line: &str) -> Check {
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let text = |p: &Parser<'_>, s: &str| p.template(s, true, &["JPEG"]);
    let need = |p: &Parser<'_>, s: &str| {
        if s.is_empty() {
            p.fail(format_args!("`{word}` needs an argument"));
        }
    };
    match word {
        "status" => {
            let ok = rest.len() == 3
                && rest.bytes().all(|b| b.is_ascii_digit() || b == b'x')
                && rest.as_bytes()[0].is_ascii_digit();
            if !ok {
                p.fail("status: three digits, `x` for any digit (`3xx`)");
            }
            Check::Status(rest.to_string())
        }
        "header" => {
            let (name, test) = rest.split_once(' ').unwrap_or((rest, ""));
            need(p, name);
            let (op, arg) = test.split_once(' ').unwrap_or((test, ""));
            let test = match op {
                "equals" => HeaderTest::Equals(text(p, arg)),
                "starts" => {
                    need(p, arg);
                    HeaderTest::Starts(text(p, arg))
                }
                "contains" => {
                    need(p, arg);
                    HeaderTest::Contains(text(p, arg))
                }
                "present" if arg.is_empty() => HeaderTest::Present,
                "absent" if arg.is_empty() => HeaderTest::Absent,
                "find" => {
                    let Some((needle, bound)) = arg.rsplit_once(" at-most ") else {
                        p.fail("expected `header NAME find NEEDLE at-most N`");
                    };
                    let bound = bound
                        .trim()
                        .parse()
                        .unwrap_or_else(|_| p.fail("at-most: a number expected"));
                    HeaderTest::FindAtMost(text(p, needle), bound)
                }
                _ => p.fail("header tests: equals, starts, contains, present, absent, find"),
            };
            Check::Header {
                name: name.to_string(),
                test,
            }
        }
        "body-exact" => Check::BodyExact(text(p, rest)),
        "body-empty" if rest.is_empty() => Check::BodyEmpty,
        "body-contains" | "body-lacks" | "body-starts" | "body-ends" => {
            need(p, rest);
            let t = text(p, rest);
            match word {
                "body-contains" => Check::BodyContains(t),
                "body-lacks" => Check::BodyLacks(t),
                "body-starts" => Check::BodyStarts(t),
                _ => Check::BodyEnds(t),
            }
        }
        "capture" => {
            let parsed = rest.split_once(" between ").and_then(|(var, markers)| {
                let (before, after) = markers.split_once(" and ")?;
                Some((var.trim(), before, after))
            });
            let Some((var, before, after)) = parsed else {
                p.fail("expected `capture NAME between BEFORE and AFTER`");
            };
            if !is_var_name(var) || builtin(var) {
                p.fail(format_args!("`{var}` is not a variable name (A-Z, 0-9, _)"));
            }
            let (before, after) = (text(p, before), text(p, after));
            if before.0.is_empty() || after.0.is_empty() {
                p.fail("capture markers must not be empty");
            }
            p.vars.insert(var.to_string());
            Check::Capture {
                var: var.to_string(),
                before,
                after,
            }
        }
        "check" => match rest.split_once(' ') {
            Some((var, "unix-ms-now")) if p.vars.contains(var) => {
                Check::VarUnixMsNow(var.to_string())
            }
            _ => p.fail("expected `check CAPTURED_NAME unix-ms-now`"),
        },
        "upload" => Check::Upload(fields(p, rest, UPLOAD_KEYS)),
        "batch" => Check::Batch(fields(p, rest, BATCH_KEYS)),
        "attachment" => Check::Attachment(fields(p, rest, ATTACHMENT_KEYS)),
        "email" => Check::Email(fields(p, rest, EMAIL_KEYS)),
        "stored" => {
            let Some((file, folder)) = rest.split_once(' ') else {
                p.fail("expected `stored FILE FOLDER`");
            };
            Check::Stored {
                file: text(p, file),
                folder: text(p, folder),
            }
        }
        "aborted" => Check::Aborted(match rest {
            "" => None,
            "truncated" => Some(AbortReason::Truncated),
            "timed-out" => Some(AbortReason::TimedOut),
            "refused" => Some(AbortReason::Refused),
            _ => p.fail("aborted: truncated, timed-out or refused"),
        }),
        "batch-closed" => match rest.strip_prefix("uploaded=").map(str::parse) {
            Some(Ok(n)) => Check::BatchClosed(n),
            _ => p.fail("expected `batch-closed uploaded=N`"),
        },
        _ => p.fail(format_args!("unknown expectation `{word}`")),
    }
}

/// `key=value key=value …` where a value runs until the next ` key=` of a
/// known key, so values may contain spaces.
fn fields(p: &Parser<'_>, rest: &str, keys: &[&str]) -> Vec<(String, Template)> {
    let mut starts: Vec<(usize, &str)> = Vec::new();
    for (pos, _) in rest.match_indices('=') {
        let before = &rest[..pos];
        let key_start = before.rfind(' ').map_or(0, |i| i + 1);
        let key = &before[key_start..];
        if keys.contains(&key) {
            starts.push((key_start, key));
        }
    }
    if starts.first().is_none_or(|&(s, _)| s != 0) {
        p.fail(format_args!(
            "expected `key=value …` with keys from: {}",
            keys.join(", ")
        ));
    }
    let mut out: Vec<(String, Template)> = Vec::new();
    for (i, &(start, key)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(rest.len(), |&(s, _)| s);
        let value = rest[start + key.len() + 1..end].trim_end();
        if out.iter().any(|(k, _)| k == key) {
            p.fail(format_args!("`{key}=` given twice"));
        }
        let t = if key == "id" {
            // Batch labels: `@name`, bound on first use.
            if !value.starts_with('@') || value.len() < 2 {
                p.fail("id= takes a label like `@a` (same label, same batch)");
            }
            Template(vec![Piece::Lit(value.as_bytes().to_vec())])
        } else {
            p.template(value, true, &["JPEG"])
        };
        out.push((key.to_string(), t));
    }
    out
}
