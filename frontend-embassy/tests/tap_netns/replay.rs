//! The conformance fixtures (`tests/fixtures/*.vector`) replayed over real
//! TCP against the bridge on the TAP link: every fixture whose
//! configuration the board's test config matches (`default`, `whitelist`)
//! and whose checks are about the answer (status, headers, body, captured
//! values). Fixtures that check what was stored on disk or e-mailed are the
//! daemon's (`frontend-smol/tests/e2e_vectors.rs`): the board has neither.
//! Every answer also passes the V21 transport checks.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use samsung_conformance::expect::check_answer;
use samsung_conformance::fixture::{Body, BodyMode, Check, ConfigName, Exchange, Fixture};
use samsung_conformance::template::{Piece, TINY_JPEG, Template, jpeg_of_len};
use samsung_conformance::{fixture_dir, load_dir};

use super::{exchange, show};

/// A broken loader or filter must not pass by replaying nothing.
const MIN_REPLAYED: usize = 15;
/// `check … unix-ms-now`: the bridge's clock is the host's.
const CLOCK_SLACK_MS: u64 = 5 * 60 * 1000;

/// Replays the fitting fixtures against `bridge`; returns their names.
pub fn replay_fixtures(bridge: SocketAddr) -> Vec<String> {
    let fixtures = load_dir(&fixture_dir());
    let mut replayed = Vec::new();
    let mut failures = Vec::new();
    for f in fixtures.iter().filter(|f| fits(f)) {
        let mut vars = BTreeMap::new();
        for (i, ex) in f.exchanges.iter().enumerate() {
            let request = build_request(ex, &vars);
            let answer = exchange(bridge, &request);
            let mut fails = check_answer(&request, &answer.raw);
            fails.extend(evaluate(ex, &answer.raw, &mut vars));
            for fail in fails {
                failures.push(format!(
                    "{} request {} (line {}): {fail}",
                    f.name,
                    i + 1,
                    ex.line
                ));
            }
        }
        replayed.push(f.name.clone());
    }
    assert!(
        failures.is_empty(),
        "{} fixture check(s) failed over TCP:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        replayed.len() >= MIN_REPLAYED,
        "only {} fixtures fit the board's replay (expected at least {MIN_REPLAYED}): {replayed:?}",
        replayed.len()
    );
    replayed
}

/// The board's test config is the fixtures' `whitelist`; `default` answers the same for these.
fn fits(f: &Fixture) -> bool {
    matches!(f.config, ConfigName::Default | ConfigName::Whitelist)
        && f.known_gap.is_none()
        && f.exchanges.iter().all(|ex| {
            ex.expects.iter().all(|e| {
                matches!(
                    e.check,
                    Check::Status(_)
                        | Check::Header { .. }
                        | Check::BodyExact(_)
                        | Check::BodyEmpty
                        | Check::BodyContains(_)
                        | Check::BodyLacks(_)
                        | Check::BodyStarts(_)
                        | Check::BodyEnds(_)
                        | Check::Capture { .. }
                        | Check::VarUnixMsNow(_)
                )
            }) && !puts_a_file(ex)
        })
}

/// An upload's answer depends on where it goes (the board forwards, the fixtures store).
fn puts_a_file(ex: &Exchange) -> bool {
    ex.head
        .first()
        .is_some_and(|line| expand(line, &BTreeMap::new(), 0).starts_with(b"PUT "))
}

fn expand(t: &Template, vars: &BTreeMap<String, String>, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for p in &t.0 {
        match p {
            Piece::Lit(b) => out.extend_from_slice(b),
            Piece::Len => out.extend_from_slice(len.to_string().as_bytes()),
            Piece::Jpeg(None) => out.extend_from_slice(TINY_JPEG),
            Piece::Jpeg(Some(n)) => out.extend(jpeg_of_len(*n).expect("valid {{JPEG:n}}")),
            Piece::Var(v) => out.extend_from_slice(vars.get(v).map_or(&b""[..], |s| s.as_bytes())),
        }
    }
    out
}

fn build_body(body: &Body, vars: &BTreeMap<String, String>) -> Vec<u8> {
    let eol: &[u8] = match body.mode {
        BodyMode::Crlf => b"\r\n",
        BodyMode::Lf => b"\n",
        BodyMode::Raw => b"",
    };
    let mut out = Vec::new();
    for (i, line) in body.lines.iter().enumerate() {
        out.extend(expand(line, vars, 0));
        if i + 1 < body.lines.len() || body.final_eol {
            out.extend_from_slice(eol);
        }
    }
    out
}

fn build_request(ex: &Exchange, vars: &BTreeMap<String, String>) -> Vec<u8> {
    let body = ex
        .body
        .as_ref()
        .map(|b| build_body(b, vars))
        .unwrap_or_default();
    let mut out = Vec::new();
    for line in &ex.head {
        out.extend(expand(line, vars, body.len()));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend(body);
    out
}

/// The answer-level checks of one exchange; captures go into `vars`.
fn evaluate(ex: &Exchange, raw: &[u8], vars: &mut BTreeMap<String, String>) -> Vec<String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw.get(split + 4..).unwrap_or_default();
    let status = head.split_whitespace().nth(1).unwrap_or("");
    let mut fails = Vec::new();
    for e in &ex.expects {
        let ok = match &e.check {
            Check::Status(pattern) => {
                status.len() == 3
                    && pattern
                        .bytes()
                        .zip(status.bytes())
                        .all(|(p, g)| p == b'x' || p == g)
            }
            Check::Header { name, test } => {
                let values: Vec<&str> = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim())
                    .collect();
                test.holds(&values, |t| {
                    String::from_utf8_lossy(&expand(t, vars, 0)).into_owned()
                })
            }
            Check::BodyExact(t) => body == expand(t, vars, 0).as_slice(),
            Check::BodyEmpty => body.is_empty(),
            Check::BodyContains(t) => contains(body, &expand(t, vars, 0)),
            Check::BodyLacks(t) => !contains(body, &expand(t, vars, 0)),
            Check::BodyStarts(t) => body.starts_with(&expand(t, vars, 0)),
            Check::BodyEnds(t) => body.ends_with(&expand(t, vars, 0)),
            Check::Capture { var, before, after } => {
                let (before, after) = (expand(before, vars, 0), expand(after, vars, 0));
                let value = position(body, &before).and_then(|i| {
                    let rest = &body[i + before.len()..];
                    position(rest, &after).map(|j| String::from_utf8_lossy(&rest[..j]).into_owned())
                });
                value.map(|v| vars.insert(var.clone(), v)).is_some()
            }
            Check::VarUnixMsNow(var) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64);
                vars.get(var)
                    .and_then(|v| v.parse::<u64>().ok())
                    .is_some_and(|t| t.abs_diff(now) <= CLOCK_SLACK_MS)
            }
            _ => unreachable!("`fits` keeps answer-level checks only"),
        };
        if !ok {
            fails.push(format!("`{}` does not hold for {}", e.text, show(raw)));
        }
    }
    fails
}

fn position(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    position(hay, needle).is_some()
}
