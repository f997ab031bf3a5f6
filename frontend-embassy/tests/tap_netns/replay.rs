//! The conformance fixtures (`tests/fixtures/*.vector`) replayed over real
//! TCP against the bridge on the TAP link: every fixture whose
//! configuration the board's test config matches (`default`, `whitelist`)
//! and whose checks are about the answer (status, headers, body, captured
//! values). Fixtures that check what was stored on disk or e-mailed are the
//! daemon's (`frontend-smol/tests/e2e_vectors.rs`): the board has neither.
//! Every answer also passes the V21 transport checks.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use samsung_conformance::expect::check_answer;
use samsung_conformance::fixture::{ConfigName, Exchange, Fixture};
use samsung_conformance::wire::{Vars, check_answer_level, is_answer_level, request_bytes, text};
use samsung_conformance::{fixture_dir, load_dir};

use super::{exchange, show};

/// A broken loader or filter must not pass by replaying nothing.
const MIN_REPLAYED: usize = 15;

/// Replays the fitting fixtures against `bridge`; returns their names.
pub fn replay_fixtures(bridge: SocketAddr) -> Vec<String> {
    let fixtures = load_dir(&fixture_dir());
    let mut replayed = Vec::new();
    let mut failures = Vec::new();
    for f in fixtures.iter().filter(|f| fits(f)) {
        let mut vars = Vars::new();
        for (i, ex) in f.exchanges.iter().enumerate() {
            let mut fails = Vec::new();
            let request = request_bytes(ex, &vars, &mut fails);
            let answer = exchange(bridge, &request);
            fails.extend(check_answer(&request, &answer.raw));
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
        && f.exchanges
            .iter()
            .all(|ex| ex.expects.iter().all(|e| is_answer_level(&e.check)) && !puts_a_file(ex))
}

/// An upload's answer depends on where it goes (the board forwards, the fixtures store).
fn puts_a_file(ex: &Exchange) -> bool {
    ex.head
        .first()
        .is_some_and(|line| text(line, &Vars::new()).starts_with("PUT "))
}

/// The answer-level checks of one exchange; captures go into `vars`.
fn evaluate(ex: &Exchange, raw: &[u8], vars: &mut Vars) -> Vec<String> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    ex.expects
        .iter()
        .filter_map(|e| match check_answer_level(e, raw, vars, now_ms)? {
            Ok(()) => None,
            Err(why) => Some(format!(
                "`{}` does not hold ({why}) for {}",
                e.text,
                show(raw)
            )),
        })
        .collect()
}
