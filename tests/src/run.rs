//! Replays fixtures through the simulated frontend: builds the requests,
//! cuts them into socket reads, runs every fixture in three split modes and
//! compares the transcripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::expect::{Ctx, evaluate, show};
use crate::fixture::Fixture;
use crate::harness::{Observed, Sim, config};
use crate::wire::request_bytes;

/// How the request bytes are cut into socket reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The whole request in one read.
    Whole,
    /// One byte per read.
    Bytes,
    /// A few cuts at pseudo-random points derived from this seed, the
    /// fixture name and the request's position.
    Random(u64),
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Split::Whole => f.write_str("whole"),
            Split::Bytes => f.write_str("1-byte reads"),
            Split::Random(seed) => write!(f, "random cuts (seed {seed:#x})"),
        }
    }
}

/// The outcome of one fixture in one split mode.
#[derive(Debug, Clone, Default)]
pub struct FixtureRun {
    /// What each exchange produced (compared across split modes).
    pub transcript: Vec<Observed>,
    /// Failed expectations and contract violations, each naming file and line.
    pub failures: Vec<String>,
}

/// The outcome of replaying many fixtures.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Names of the fixtures that were run, in order.
    pub executed: Vec<String>,
    /// Failures of fixtures without `known-gap` (fatal).
    pub failures: Vec<String>,
    /// Failures of `known-gap` fixtures (reported, not fatal).
    pub known_gaps: Vec<String>,
}

/// The seed of [`Split::Random`] in [`replay_all`].
pub const RANDOM_SPLIT_SEED: u64 = 0x5a17_5eed_c0ff_ee01;

/// Runs every fixture whole, in 1-byte reads and with random cuts; the three
/// transcripts of a fixture must be identical.
pub fn replay_all(fixtures: &[Fixture]) -> Report {
    let results: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = fixtures
            .iter()
            .map(|f| s.spawn(move || replay_one(f)))
            .collect();
        handles
            .into_iter()
            .zip(fixtures)
            .map(|(h, f)| {
                h.join()
                    .unwrap_or_else(|_| vec![format!("{}: the harness panicked", f.path)])
            })
            .collect()
    });
    let mut report = Report::default();
    for (f, failures) in fixtures.iter().zip(results) {
        report.executed.push(f.name.clone());
        match &f.known_gap {
            None => report.failures.extend(failures),
            Some(_) if failures.is_empty() => report.failures.push(format!(
                "{}: marked `known-gap` but passes: remove the marker",
                f.path
            )),
            Some(reason) => {
                let mut msg = format!("{} (known gap: {reason})", f.path);
                for fail in failures {
                    let _ = write!(msg, "\n    {fail}");
                }
                report.known_gaps.push(msg);
            }
        }
    }
    report
}

/// All failures of one fixture across the three split modes.
pub fn replay_one(f: &Fixture) -> Vec<String> {
    let modes = [Split::Whole, Split::Bytes, Split::Random(RANDOM_SPLIT_SEED)];
    let runs: Vec<(Split, FixtureRun)> = modes.iter().map(|&m| (m, run_fixture(f, m))).collect();
    let mut failures = Vec::new();
    let whole = &runs[0].1;
    for (mode, run) in &runs {
        // A failure that every mode shares is reported once.
        for fail in &run.failures {
            if *mode == Split::Whole || !whole.failures.contains(fail) {
                failures.push(format!("[{mode}] {fail}"));
            }
        }
        if *mode != Split::Whole
            && let Some(diff) = transcript_diff(&whole.transcript, &run.transcript)
        {
            failures.push(format!("{}: [{mode}] differs from whole: {diff}", f.path));
        }
    }
    failures
}

/// Replays one fixture on a fresh server.
pub fn run_fixture(f: &Fixture, split: Split) -> FixtureRun {
    let mut sim = Sim::new(config(f.config), f.now);
    let mut run = FixtureRun::default();
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for (i, ex) in f.exchanges.iter().enumerate() {
        let mut fails = Vec::new();
        let request = request_bytes(ex, &vars, &mut fails);
        let pieces = split_points(&request, split, &f.name, i);
        let pieces: Vec<&[u8]> = pieces.windows(2).map(|w| &request[w[0]..w[1]]).collect();
        let (obs, errors) = sim.exchange(&pieces);
        fails.extend(errors);
        let mut ctx = Ctx {
            obs: &obs,
            vars: &mut vars,
            labels: &mut labels,
            now: f.now,
            fails: Vec::new(),
        };
        evaluate(ex, &request, &mut ctx);
        fails.append(&mut ctx.fails);
        run.failures.extend(
            fails
                .into_iter()
                .map(|m| format!("{}:{}: {m}", f.path, ex.line)),
        );
        run.transcript.push(obs);
    }
    run
}

/// Byte offsets `0 = c0 < c1 < … < len` where the reads of request
/// number `index` of fixture `name` end.
pub fn split_points(request: &[u8], split: Split, name: &str, index: usize) -> Vec<usize> {
    let len = request.len();
    let mut cuts = match split {
        Split::Whole => vec![0, len],
        Split::Bytes => (0..=len).collect(),
        Split::Random(seed) => {
            let mut state = seed ^ fnv1a(name.as_bytes()) ^ (index as u64).wrapping_mul(0x9e37);
            let count = 1 + splitmix64(&mut state) % 4;
            let mut cuts = vec![0, len];
            for _ in 0..count {
                if len > 1 {
                    cuts.push(1 + (splitmix64(&mut state) % (len as u64 - 1)) as usize);
                }
            }
            cuts
        }
    };
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A short description of the first difference of two transcripts.
fn transcript_diff(a: &[Observed], b: &[Observed]) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{} exchanges vs {}", a.len(), b.len()));
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x == y {
            continue;
        }
        let what = if x.response != y.response {
            format!(
                "answer {} vs {}",
                show(x.response.as_deref().unwrap_or_default()),
                show(y.response.as_deref().unwrap_or_default())
            )
        } else if x.uploads != y.uploads {
            "stored uploads differ".to_string()
        } else if x.attachments != y.attachments {
            let sizes = |o: &Observed| {
                o.attachments
                    .iter()
                    .map(|a| a.data.len())
                    .collect::<Vec<_>>()
            };
            format!(
                "attachments differ (sizes {:?} vs {:?})",
                sizes(x),
                sizes(y)
            )
        } else if x.emails != y.emails {
            format!("e-mails {:?} vs {:?}", x.emails, y.emails)
        } else if x.aborts != y.aborts {
            format!("aborts {:?} vs {:?}", x.aborts, y.aborts)
        } else {
            format!(
                "bridge events {:?} vs {:?}",
                x.bridge_events, y.bridge_events
            )
        };
        return Some(format!("request {}: {what}", i + 1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_differences_are_named() {
        let a = Observed {
            response: Some(b"HTTP/1.1 200 OK\r\n\r\n".to_vec()),
            ..Observed::default()
        };
        let b = Observed {
            response: Some(b"HTTP/1.1 400 BAD REQUEST\r\n\r\n".to_vec()),
            ..Observed::default()
        };
        let same = vec![a.clone(), a.clone()];
        assert_eq!(transcript_diff(&same, &same), None);
        let diff = transcript_diff(&same, &[a.clone(), b]).expect("differs");
        assert!(diff.starts_with("request 2: answer"), "{diff}");
        assert!(diff.contains("400"), "{diff}");
        let diff = transcript_diff(&same, &[a]).expect("differs");
        assert_eq!(diff, "2 exchanges vs 1");
    }
}
