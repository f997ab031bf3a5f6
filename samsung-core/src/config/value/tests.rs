//! The TOML front end against the `toml` crate as the oracle: what one
//! accepts the other accepts with the same values; what one refuses the other
//! refuses at the same place with the same words.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::format;

use proptest::prelude::*;

use super::*;

/// Our tree in the oracle's types (tables sorted, datetimes parsed).
fn to_oracle(v: &Value) -> toml::Value {
    match v {
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Integer(i) => toml::Value::Integer(*i),
        Value::Float(x) => toml::Value::Float(*x),
        Value::Boolean(b) => toml::Value::Boolean(*b),
        Value::Datetime(d) => toml::Value::Datetime(d.parse().expect("checked when parsed")),
        Value::Array(a) => toml::Value::Array(a.iter().map(to_oracle).collect()),
        Value::Table(t) => toml::Value::Table(table_to_oracle(t)),
    }
}

fn table_to_oracle(t: &Table) -> toml::Table {
    t.iter()
        .map(|(k, v)| (k.to_string(), to_oracle(v)))
        .collect()
}

/// Equality where NaN equals NaN.
fn same(a: &toml::Value, b: &toml::Value) -> bool {
    use toml::Value as V;
    match (a, b) {
        (V::Float(x), V::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (V::Table(x), V::Table(y)) => same_table(x, y),
        _ => a == b,
    }
}

fn same_table(x: &toml::Table, y: &toml::Table) -> bool {
    x.len() == y.len()
        && x.iter()
            .zip(y)
            .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
}

/// What the oracle says about `text`: the table, or (offset, message) as
/// the daemon showed it before this module existed.
fn oracle(text: &str) -> Result<toml::Table, (usize, String)> {
    text.parse::<toml::Table>().map_err(|e| {
        (
            e.span().map_or(0, |s| s.start),
            e.message().trim().replace('\n', "; "),
        )
    })
}

/// Panics unless our parse and the oracle's agree on `text`.
fn agree(text: &str) {
    match (Table::parse(text), oracle(text)) {
        (Ok(ours), Ok(theirs)) => assert!(
            same_table(&table_to_oracle(&ours), &theirs),
            "{text:?}:\nours   {:?}\ntheirs {theirs:?}",
            table_to_oracle(&ours)
        ),
        (Err(ours), Err((offset, reason))) => {
            assert_eq!((ours.offset, &ours.reason), (offset, &reason), "{text:?}");
            assert_eq!((ours.line, ours.column), line_col(text, offset), "{text:?}");
        }
        (ours, theirs) => panic!("{text:?}: ours {ours:?}, oracle {theirs:?}"),
    }
}

const REFERENCE: &str =
    include_str!("../../../../frontend-smol/tests/config/reference-example.toml");
const REFERENCE_2024: &str =
    include_str!("../../../../frontend-smol/tests/config/reference-2024.toml");
const FULL: &str = include_str!("../../../../frontend-smol/tests/config/full.toml");
const CONFIG_MD: &str = include_str!("../../../../docs/CONFIG.md");

#[test]
fn the_example_files_read_as_the_oracle_reads_them() {
    let example = CONFIG_MD
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("docs/CONFIG.md has a TOML example");
    for text in [REFERENCE, REFERENCE_2024, FULL, example] {
        agree(text);
    }
    let t = Table::parse(REFERENCE).unwrap();
    let Some(Value::Table(mastodon)) = t.get("MASTODON") else {
        panic!("no [MASTODON]: {t:?}");
    };
    assert_eq!(
        mastodon.keys().collect::<Vec<_>>(),
        ["TOKEN", "POSTSCRIPT", "VISIBILITY", "pub"]
    );
    let Some(Value::Table(shell)) = t.get("SHELL") else {
        panic!("no [SHELL]: {t:?}");
    };
    let Some(Value::Table(log)) = shell.get("log") else {
        panic!("no [SHELL.log]: {t:?}");
    };
    assert_eq!(
        log.get("STDIN"),
        Some(&Value::String(String::from(
            "From: {sender}\nTo: {recipient}\nSubject: {subject}\n\n{filename}\n\n{body}\n."
        )))
    );
}

#[test]
fn documents_the_config_uses() {
    let cases: &[(&str, &str)] = &[
        ("empty", ""),
        ("comments only", "# a\n  # b\n"),
        (
            "bare and quoted keys",
            "A = 1\n\"a@b.c\" = 2\n'lit key' = 3\n\"\" = 4\n",
        ),
        (
            "dotted section",
            "[MASTODON]\nTOKEN = 't'\n[MASTODON.work]\nVISIBILITY = 'public'\n",
        ),
        ("quoted section", "[MASTODON.\"bad name\"]\nTOKEN = \"t\"\n"),
        ("spaces in header", "[ a . b ]\nc = 1\n"),
        ("dotted keys", "a.b.c = 1\na.b.d = 2\na.e = 3\n"),
        (
            "dotted then header below",
            "[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n",
        ),
        ("implicit then explicit", "[a.b]\nc = 1\n[a]\nd = 2\n"),
        ("inline tables", "p = { x = 1, y.z = 2, s = { t = [] } }\n"),
        (
            "inline table over lines (TOML 1.1)",
            "p = {\n  x = 1, # one\n  y = 2,\n}\n",
        ),
        (
            "newline before = in an inline table",
            "p = { n \n= \"&\" }\n",
        ),
        (
            "arrays",
            "a = [1, 'two', [3.0, true], { four = 4 }, ]\nb = [\n  1, # c\n  2,\n]\n",
        ),
        (
            "array of tables",
            "[[a]]\nx = 1\n[[a]]\nx = 2\n[a.sub]\ny = 3\n[[a.list]]\nz = 4\n",
        ),
        (
            "strings",
            "s = \"tab\\t quote\\\" \\u00e9 \\U0001F600 \\e\"\nl = 'C:\\path'\nm = \"\"\"\nline\\\n   joined\"\"\"\nn = '''\nraw\\n'''\nq = \"\"\"two \"\"quotes\"\"\"\n",
        ),
        (
            "numbers",
            "i = +1_000\nh = 0xdead_beef\no = 0o755\nb = 0b101\nf = -3.5e-2\ng = 6.02E23\ninf1 = inf\ninf2 = -inf\nn = nan\nz = -0.0\n",
        ),
        (
            "extremes",
            "max = 9223372036854775807\nmin = -9223372036854775808\n",
        ),
        (
            "datetimes",
            "a = 1979-05-27T07:32:00Z\nb = 1979-05-27 07:32:00.999-07:00\nc = 1979-05-27\nd = 07:32:00\ne = 1979-05-27T07:32:00\n",
        ),
        ("crlf", "a = 1\r\n[b]\r\nc = 'x'\r\n"),
        ("unicode", "\"ключ\" = \"значение\"\nemoji = \"📷\"\n"),
        ("no final newline", "a = 1"),
    ];
    for (name, text) in cases {
        assert!(
            Table::parse(text).is_ok(),
            "{name}: {:?}",
            Table::parse(text)
        );
        agree(text);
    }
}

#[test]
fn invalid_documents_fail_where_the_oracle_fails() {
    let cases: &[(&str, &str, usize)] = &[
        (
            "duplicate key",
            "[MASTODON]\nTOKEN = \"a\"\nTOKEN = \"b\"\n",
            3,
        ),
        ("table twice", "[a]\nx = 1\n[a]\ny = 2\n", 3),
        (
            "dotted into a header table",
            "[a.b]\nc = 1\n[a]\nb.d = 2\n",
            4,
        ),
        ("header over dotted keys", "[a]\nb.c = 1\n[a.b]\n", 3),
        (
            "header through an inline table",
            "a = { b = 1 }\n[a.c]\n",
            2,
        ),
        ("dotted key into an inline table", "a = {}\na.b = 1\n", 2),
        ("header through an array", "a = [1]\n[a.b]\n", 2),
        ("header through a string", "a = 'x'\n[a.b]\n", 2),
        ("array of tables over a value", "a = 1\n[[a]]\n", 2),
        ("array of tables over a table", "[a]\n[[a]]\n", 2),
        ("table over an array of tables", "[[a]]\n[a]\n", 2),
        ("inline duplicate", "p = { x = 1, x = 2 }\n", 1),
        ("inline dotted over value", "p = { x = 1, x.y = 2 }\n", 1),
        ("inline dotted over inline", "p = { x = {}, x.y = 2 }\n", 1),
        ("unquoted value", "MAIL_PORT = abc\n", 1),
        ("missing value", "a =\n", 1),
        ("unterminated string", "a = \"abc\nb = 1\n", 1),
        ("unterminated array", "a = [1, 2\nb = 3\n", 2),
        ("bad escape", "a = \"\\q\"\n", 1),
        ("integer overflow", "a = 9223372036854775808\n", 1),
        ("i128 integer overflow", "a = -30705468519724676621\n", 1),
        ("float overflow", "a = 1e400\n", 1),
        ("leading zero", "a = 012\n", 1),
        ("bad date", "a = 1979-13-27\n", 1),
        ("bad time", "a = 25:00:00\n", 1),
        ("control character in comment", "a = 1 # \u{7}\n", 1),
        ("key without value", "[ACTIONS]\n\"a@b.c\" = store\n", 2),
        ("text after value", "[MASTODON]\nTOKEN = \"t\" x\n", 2),
        ("empty header", "[]\n", 1),
        ("unclosed header", "[a\nb = 1\n", 1),
        ("deep nesting", &"a = [".repeat(100), 1),
    ];
    for (name, text, line) in cases {
        let e = match Table::parse(text) {
            Ok(t) => panic!("{name}: accepted as {t:?}"),
            Err(e) => e,
        };
        assert_eq!(e.line, *line, "{name}: {e}");
        assert!(
            e.to_string()
                .starts_with(&format!("invalid TOML at line {line}, column ")),
            "{name}: {e}"
        );
        if name.ends_with("overflow") {
            assert!(oracle(text).is_err(), "{name}");
            continue;
        }
        agree(text);
    }
}

#[test]
fn errors_do_not_quote_the_text() {
    for text in [
        "MAIL_PASSWORD = \"hunter2",
        "[MASTODON]\nTOKEN = \"hunter2\" x",
        "hunter2 = hunter2",
        "a = [\"hunter2\" \"hunter2\"]",
    ] {
        let e = Table::parse(text).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{text:?}: {e}");
    }
    let t = Table::parse("PASSWORD = \"hunter2\"\nn = [1]").unwrap();
    let shown = format!("{t:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("PASSWORD") && shown.contains("Integer(1)"),
        "{shown}"
    );
}

#[test]
fn table_edits_keep_the_order() {
    let mut t = Table::parse("b = 1\na = 2\nc = 3").unwrap();
    assert_eq!(t.keys().collect::<Vec<_>>(), ["b", "a", "c"]);
    assert_eq!(t.remove("a"), Some(Value::Integer(2)));
    assert_eq!(t.remove("a"), None);
    t.insert(String::from("b"), Value::Boolean(true));
    t.insert(String::from("d"), Value::Integer(4));
    assert_eq!(
        t.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        ["b", "c", "d"]
    );
    assert_eq!(t.get("b"), Some(&Value::Boolean(true)));
    assert!(t.contains_key("d") && !t.contains_key("a"));
    assert_eq!((t.len(), t.is_empty()), (3, false));
}

// ---------------------------------------------------------------------------
// Properties

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{1,8}",
        "[a-z@. \"'\\\\#=\\[\\]{}]{0,6}",
        any::<String>().prop_map(|s| s.chars().take(6).collect()),
    ]
}

fn scalar() -> impl Strategy<Value = toml::Value> {
    prop_oneof![
        any::<String>().prop_map(toml::Value::String),
        "[ -~\n\t]{0,20}".prop_map(toml::Value::String),
        any::<i64>().prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
        prop_oneof![
            Just("1979-05-27T07:32:00Z"),
            Just("1979-05-27T00:32:00.999999-07:00"),
            Just("1979-05-27"),
            Just("07:32:00"),
        ]
        .prop_map(|d| toml::Value::Datetime(d.parse().unwrap())),
    ]
}

fn value() -> impl Strategy<Value = toml::Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(toml::Value::Array),
            prop::collection::btree_map(key(), inner.clone(), 0..5)
                .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
            // Arrays of tables become [[headers]].
            prop::collection::vec(
                prop::collection::btree_map(key(), inner, 0..4)
                    .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
                1..4
            )
            .prop_map(toml::Value::Array),
        ]
    })
}

fn document() -> impl Strategy<Value = toml::Table> {
    prop::collection::btree_map(key(), value(), 0..8).prop_map(|m| m.into_iter().collect())
}

/// One random edit of a document: deletes, duplicates or inserts a little.
fn edit() -> impl Strategy<Value = (usize, usize, String)> {
    (
        any::<usize>(),
        0usize..4,
        prop_oneof![Just(String::new()), "[\\[\\]{}=,.\"'#\n a1_-]{1,3}",],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// parse(toml::to_string(x)) == x, for documents the oracle writes.
    #[test]
    fn what_the_oracle_writes_reads_back(doc in document()) {
        let text = toml::to_string(&doc).unwrap();
        let ours = Table::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert!(same_table(&table_to_oracle(&ours), &doc), "{}", text);
    }

    /// Near-valid text: both accept with the same values or both refuse at
    /// the same place with the same words.
    #[test]
    fn damaged_documents_agree_with_the_oracle(doc in document(), (at, cut, insert) in edit()) {
        let text = toml::to_string(&doc).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let at = if chars.is_empty() { 0 } else { at % chars.len() };
        let end = (at + cut).min(chars.len());
        let damaged: String = chars[..at].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(&chars[end..]).collect();
        // The oracle finds numbers too large for their type while building its
        // own value type, in key order and in its own words: only the verdict
        // is compared.
        match oracle(&damaged) {
            Err((_, m)) if ["too large", "overflowed", "invalid type: integer"].iter().any(|o| m.contains(o)) => {
                prop_assert!(Table::parse(&damaged).is_err(), "{:?}", damaged);
            }
            _ => agree(&damaged),
        }
    }
}
