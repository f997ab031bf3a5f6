//! Replaying fixtures over a real socket: the request bytes of an exchange
//! and the expectations that need only the answer (status, headers, body,
//! captures, the server's clock). What a server stored or forwarded is the
//! replaying test's own business (the daemon looks at its disk, the board
//! at mastodon-mock); the in-process harness ([`crate::run`]) checks it all.

use std::collections::BTreeMap;

use crate::expect::show;
use crate::fixture::{Body, BodyMode, Check, Exchange, Expect};
use crate::template::{Piece, TINY_JPEG, Template, jpeg_of_len};

/// Values captured so far in a fixture (`capture VAR …`), used by `{{VAR}}`.
pub type Vars = BTreeMap<String, String>;

/// Expands a template; `len` is the body length for `{{LEN}}`. A `{{VAR}}`
/// that was not captured expands to nothing and is reported in `fails`.
pub fn expand(t: &Template, vars: &Vars, len: usize, fails: &mut Vec<String>) -> Vec<u8> {
    let mut out = Vec::new();
    for p in &t.0 {
        match p {
            Piece::Lit(b) => out.extend_from_slice(b),
            Piece::Len => out.extend_from_slice(len.to_string().as_bytes()),
            Piece::Jpeg(None) => out.extend_from_slice(TINY_JPEG),
            Piece::Jpeg(Some(n)) => out.extend(jpeg_of_len(*n).unwrap_or_default()),
            Piece::Var(v) => match vars.get(v) {
                Some(value) => out.extend_from_slice(value.as_bytes()),
                None => fails.push(format!("{{{{{v}}}}} was not captured")),
            },
        }
    }
    out
}

/// A template as text (lossy UTF-8), for comparisons with header values or
/// file names; an uncaptured `{{VAR}}` expands to nothing.
pub fn text(t: &Template, vars: &Vars) -> String {
    String::from_utf8_lossy(&expand(t, vars, 0, &mut Vec::new())).into_owned()
}

fn body_bytes(body: &Body, vars: &Vars, fails: &mut Vec<String>) -> Vec<u8> {
    let eol: &[u8] = match body.mode {
        BodyMode::Crlf => b"\r\n",
        BodyMode::Lf => b"\n",
        BodyMode::Raw => b"",
    };
    let mut out = Vec::new();
    for (i, line) in body.lines.iter().enumerate() {
        out.extend(expand(line, vars, 0, fails));
        if i + 1 < body.lines.len() || body.final_eol {
            out.extend_from_slice(eol);
        }
    }
    out
}

/// The bytes of one request: head lines joined with CRLF, a blank line,
/// the body. Uncaptured `{{VAR}}`s are reported in `fails`.
pub fn request_bytes(ex: &Exchange, vars: &Vars, fails: &mut Vec<String>) -> Vec<u8> {
    let body = ex
        .body
        .as_ref()
        .map(|b| body_bytes(b, vars, fails))
        .unwrap_or_default();
    let mut out = Vec::new();
    for line in &ex.head {
        out.extend(expand(line, vars, body.len(), fails));
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    out
}

/// Whether a check is about the answer alone (evaluated by [`check_answer_level`]).
pub fn is_answer_level(check: &Check) -> bool {
    matches!(
        check,
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
}

/// How far a real server's clock (`check VAR unix-ms-now`) may be from ours.
pub const CLOCK_SLACK_MS: u64 = 5 * 60 * 1000;

/// Evaluates one answer-level expectation against the raw bytes of an answer
/// (head and body); captures go into `vars`. `now_ms` is our wall clock,
/// which the server's `unix-ms-now` must be within [`CLOCK_SLACK_MS`] of.
/// `None` when the check is not answer-level (see [`is_answer_level`]);
/// `Some(Err(why))` when it does not hold.
pub fn check_answer_level(
    e: &Expect,
    raw: &[u8],
    vars: &mut Vars,
    now_ms: u64,
) -> Option<Result<(), String>> {
    let split = find(raw, b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = raw.get(split + 4..).unwrap_or_default();
    let status = head.split_whitespace().nth(1).unwrap_or("");
    let body_is = || Err(format!("body is {}", show(body)));
    let mut ignored = Vec::new();
    let mut x = |t: &Template, vars: &Vars| expand(t, vars, 0, &mut ignored);
    Some(match &e.check {
        Check::Status(pattern) => {
            let ok = status.len() == 3
                && pattern
                    .bytes()
                    .zip(status.bytes())
                    .all(|(p, g)| p == b'x' || p == g);
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "status line {:?}",
                    head.lines().next().unwrap_or("")
                ))
            }
        }
        Check::Header { name, test } => {
            let values: Vec<&str> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
                .collect();
            if test.holds(&values, |t| text(t, vars)) {
                Ok(())
            } else {
                Err(format!("{name} values: {values:?}"))
            }
        }
        Check::BodyExact(t) if body != x(t, vars).as_slice() => body_is(),
        Check::BodyEmpty if !body.is_empty() => body_is(),
        Check::BodyContains(t) if find(body, &x(t, vars)).is_none() => body_is(),
        Check::BodyLacks(t) if find(body, &x(t, vars)).is_some() => body_is(),
        Check::BodyStarts(t) if !body.starts_with(&x(t, vars)) => body_is(),
        Check::BodyEnds(t) if !body.ends_with(&x(t, vars)) => body_is(),
        Check::BodyExact(_)
        | Check::BodyEmpty
        | Check::BodyContains(_)
        | Check::BodyLacks(_)
        | Check::BodyStarts(_)
        | Check::BodyEnds(_) => Ok(()),
        Check::Capture { var, before, after } => {
            let (before, after) = (x(before, vars), x(after, vars));
            let value = find(body, &before).and_then(|i| {
                let rest = &body[i + before.len()..];
                find(rest, &after).map(|j| &rest[..j])
            });
            match value.map(std::str::from_utf8) {
                Some(Ok(v)) => {
                    vars.insert(var.clone(), v.to_string());
                    Ok(())
                }
                _ => Err(format!("nothing to capture in {}", show(body))),
            }
        }
        Check::VarUnixMsNow(var) => {
            let got = vars.get(var).cloned().unwrap_or_default();
            match got.parse::<u64>() {
                Ok(ms) if ms.abs_diff(now_ms) <= CLOCK_SLACK_MS => Ok(()),
                _ => Err(format!("{var} = {got:?}, our clock says {now_ms}")),
            }
        }
        _ => return None,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}
