//! Every fixture of `tests/fixtures/` replayed against samsung-core: whole,
//! in 1-byte reads and with pseudo-random cuts, with identical results.

use std::collections::BTreeSet;

use samsung_conformance::{fixture_dir, load_dir, replay_all, vector_files};

/// A broken loader must not pass by finding nothing: VECTORS.md yields more
/// fixtures than this.
const MIN_FIXTURES: usize = 40;

#[test]
fn every_fixture_passes_in_every_split_mode() {
    let fixtures = load_dir(&fixture_dir());
    let report = replay_all(&fixtures);

    for gap in &report.known_gaps {
        eprintln!("KNOWN GAP {gap}");
    }
    let on_disk: BTreeSet<String> = vector_files(&fixture_dir())
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let executed: BTreeSet<String> = report.executed.iter().cloned().collect();
    assert_eq!(
        executed, on_disk,
        "every .vector file must be executed exactly once"
    );
    assert_eq!(executed.len(), report.executed.len(), "a fixture ran twice");
    assert!(
        report.failures.is_empty(),
        "{} failure(s) in {} fixtures:\n{}",
        report.failures.len(),
        fixtures.len(),
        report.failures.join("\n")
    );
    eprintln!(
        "{} fixtures passed in 3 split modes ({} known gaps)",
        fixtures.len(),
        report.known_gaps.len()
    );
}

#[test]
fn fixture_directory_is_complete() {
    let files = vector_files(&fixture_dir());
    assert!(
        files.len() >= MIN_FIXTURES,
        "only {} .vector files in {}",
        files.len(),
        fixture_dir().display()
    );
    let fixtures = load_dir(&fixture_dir());
    assert_eq!(fixtures.len(), files.len());
    for f in &fixtures {
        assert!(!f.exchanges.is_empty(), "{} has no request", f.path);
        for ex in &f.exchanges {
            assert!(
                !ex.expects.is_empty(),
                "{}:{} expects nothing",
                f.path,
                ex.line
            );
        }
    }
    // Every numbered vector of VECTORS.md that is a request has a fixture
    // (V1b is no request; V2/V3 share one).
    let names: Vec<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
    for v in [
        "v01", "v02", "v04", "v05", "v06-", "v06b", "v06c", "v06d", "v06e", "v06f", "v06g", "v07",
        "v08-", "v08b", "v09", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18",
        "v19", "v20", "v21", "v22",
    ] {
        assert!(names.iter().any(|n| n.starts_with(v)), "no fixture for {v}");
    }
}
