//! The one batch-close rule for batches no session knows.

use alloc::string::String;
use alloc::vec::Vec;

use super::*;
use crate::testing::{Sim, V7_BODY, jpeg, mastodon_config};

const IDLE: Duration = Duration::from_secs(600);

fn closed(bridge: &mut Bridge) -> Vec<(String, usize)> {
    core::iter::from_fn(|| bridge.poll_event())
        .filter_map(|ev| match ev {
            BridgeEvent::BatchClosed { batch, uploaded } => Some((batch, uploaded)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_adopted_batch_closes_after_the_same_idle_time_as_a_sessions_batch() {
    let mut bridge = Bridge::new(BridgeConfig::default(), [3; 32]);
    assert_eq!(bridge.config().limits.batch_idle, IDLE);
    let stored = Instant::from_millis(1_000_000);
    assert!(bridge.adopt_batch("aaaa0000aaaa0000", 2, stored));
    assert_eq!(bridge.poll_timeout(), Some(stored + IDLE));
    bridge.handle_timeout(Instant::from_millis((stored + IDLE).as_millis() - 1));
    assert_eq!(closed(&mut bridge), []);
    bridge.handle_timeout(stored + IDLE);
    assert_eq!(closed(&mut bridge), [(String::from("aaaa0000aaaa0000"), 2)]);
    assert_eq!(bridge.poll_timeout(), None);
    // Closed once: nothing more comes of it.
    bridge.handle_timeout(stored + IDLE + IDLE);
    assert_eq!(closed(&mut bridge), []);
}

#[test]
fn offering_a_batch_again_keeps_the_latest_activity() {
    let mut bridge = Bridge::new(BridgeConfig::default(), [3; 32]);
    let first = Instant::from_millis(1_000_000);
    let later = first + Duration::from_secs(120);
    assert!(bridge.adopt_batch("b", 1, first));
    assert!(bridge.adopt_batch("b", 2, later));
    assert!(bridge.adopt_batch("b", 2, first));
    assert_eq!(bridge.poll_timeout(), Some(later + IDLE));
    bridge.handle_timeout(first + IDLE);
    assert_eq!(closed(&mut bridge), []);
    bridge.handle_timeout(later + IDLE);
    assert_eq!(closed(&mut bridge), [(String::from("b"), 2)]);
}

#[test]
fn a_batch_a_session_holds_is_left_to_the_session() {
    let mut sim = Sim::new(mastodon_config());
    let key = sim.login(V7_BODY);
    sim.announce("facebook", &key, "SAM_1.JPG", "Two~a~b");
    let put = sim.put(&key, "SAM_1.JPG", &jpeg());
    let batch = put.uploads[0].0.batch.id.clone();
    // Offered as idle since long ago (say, by an old file time), it is not
    // closed early: the session's own activity counts.
    let long_ago = Instant::from_millis(sim.now.as_millis() - IDLE.as_millis());
    assert!(!sim.bridge.adopt_batch(&batch, 1, long_ago));
    sim.bridge.handle_timeout(sim.now);
    assert_eq!(closed(&mut sim.bridge), []);
    sim.bridge.handle_timeout(sim.now + IDLE);
    assert_eq!(closed(&mut sim.bridge), [(batch, 1)]);
}

#[test]
fn adoption_is_bounded() {
    let mut bridge = Bridge::new(BridgeConfig::default(), [3; 32]);
    let at = Instant::from_millis(5);
    for n in 0..MAX_ORPHAN_BATCHES {
        assert!(bridge.adopt_batch(&alloc::format!("{n:016x}"), 1, at));
    }
    assert!(!bridge.adopt_batch("one-too-many", 1, at));
    // A known one can still be updated.
    assert!(bridge.adopt_batch(&alloc::format!("{:016x}", 0), 3, at));
    bridge.handle_timeout(at + IDLE);
    assert_eq!(closed(&mut bridge).len(), MAX_ORPHAN_BATCHES);
    assert!(bridge.adopt_batch("one-too-many", 1, at));
}

#[test]
fn no_deadline_is_given_that_handle_timeout_cannot_act_on() {
    use crate::conn::{Connection, Event};

    let mut sim = Sim::new(mastodon_config());
    let key = sim.login(V7_BODY);
    sim.announce("facebook", &key, "SAM_1.JPG", "Slow~a");
    let head = alloc::format!(
        "PUT /upload/{key}/SAM_1.JPG HTTP/1.1\r\nContent-Length: 1000\r\n\r\nfirst bytes"
    );
    let mut conn = Connection::new(sim.client, sim.now);
    let mut input = head.as_bytes();
    while !input.is_empty() {
        let (used, ev) = conn.handle_input(&mut sim.bridge, sim.now, input);
        assert!(!matches!(ev, Some(Event::UploadComplete { .. })));
        input = &input[used..];
    }
    // Long past its expiry, but a file is still coming in: the session
    // stays, and no deadline says otherwise.
    let late = sim.now + Duration::from_secs(48 * 3600);
    sim.bridge.handle_timeout(late);
    assert_eq!(sim.bridge.session_count(), 1);
    assert_eq!(sim.bridge.poll_timeout(), None);
    // The upload breaks off: now the expiry is due, and acted on.
    conn.handle_eof(&mut sim.bridge, late);
    let due = sim.bridge.poll_timeout().unwrap();
    assert!(due <= late);
    sim.bridge.handle_timeout(late);
    assert_eq!(sim.bridge.session_count(), 0);
    assert_eq!(sim.bridge.poll_timeout(), None);
}
