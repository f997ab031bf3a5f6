//! A reference model of sessions, batches and uploads: what the camera
//! sees (statuses, batch positions) and what the frontend is told (batch
//! closures), written as plainly as possible.

use super::*;
use crate::sns::BatchRef;
use alloc::vec::Vec;

#[derive(Debug, Clone)]
pub(super) enum Op {
    Login,
    Announce {
        session: usize,
        file: u8,
        caption: u8,
    },
    Put {
        session: usize,
        file: u8,
        store_ok: bool,
    },
    Logout {
        session: usize,
    },
    Wait {
        secs: u64,
    },
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Login),
        4 => (0usize..3, 0u8..4, 0u8..4).prop_map(|(session, file, caption)| Op::Announce { session, file, caption }),
        4 => (0usize..3, 0u8..4, prop::bool::weighted(0.9)).prop_map(|(session, file, store_ok)| Op::Put { session, file, store_ok }),
        1 => (0usize..3).prop_map(|session| Op::Logout { session }),
        1 => prop_oneof![Just(5u64), Just(700), Just(4000)].prop_map(|secs| Op::Wait { secs }),
    ]
}

/// Expected batch position of an upload: index, expected, last, alt.
pub(super) type Position = (usize, Option<usize>, bool, Option<String>);

/// Captions: with and without the `~` convention.
pub(super) const CAPTIONS: [&str; 4] = ["A~a1~a2", "B~b1", "C", "A~a1~a2"];

#[derive(Debug, Clone)]
struct MBatch {
    content: &'static str,
    alts: usize,
    announced: usize,
    uploaded: usize,
    last_activity: u64,
    seq: usize,
}

#[derive(Debug, Clone)]
struct MSession {
    key: String,
    alive: bool,
    created: u64,
    last_used: u64,
    batch: Option<MBatch>,
    pending: Vec<(String, usize, usize)>,
}

#[derive(Debug, Default)]
pub(super) struct Model {
    sessions: Vec<MSession>,
    now: u64,
    next_seq: usize,
    pub closed: usize,
}

const IDLE: u64 = 3600;
const BATCH_IDLE: u64 = 600;

impl Model {
    fn close(&mut self, b: Option<MBatch>) {
        if b.is_some_and(|b| b.uploaded > 0) {
            self.closed += 1;
        }
    }

    fn expire(&mut self) {
        for i in 0..self.sessions.len() {
            let s = &self.sessions[i];
            if !s.alive {
                continue;
            }
            if self.now >= s.last_used + IDLE || self.now >= s.created + 24 * 3600 {
                let b = self.sessions[i].batch.take();
                self.sessions[i].alive = false;
                self.close(b);
                continue;
            }
            let idle = s
                .batch
                .as_ref()
                .is_some_and(|b| b.uploaded > 0 && self.now >= b.last_activity + BATCH_IDLE);
            if idle {
                let b = self.sessions[i].batch.take();
                self.close(b);
            }
        }
    }

    pub(super) fn login(&mut self, key: String) {
        self.expire();
        self.sessions.push(MSession {
            key,
            alive: true,
            created: self.now,
            last_used: self.now,
            batch: None,
            pending: Vec::new(),
        });
    }

    pub(super) fn key(&self, i: usize) -> Option<&str> {
        self.sessions.get(i).map(|s| s.key.as_str())
    }

    pub(super) fn announce(&mut self, i: usize, file: &str, caption: usize) -> u16 {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(i).filter(|s| s.alive) else {
            return 401;
        };
        s.last_used = now;
        let content = CAPTIONS[caption];
        let alts = content.split('~').count() - 1;
        let retry = s
            .batch
            .as_ref()
            .filter(|b| b.content == content)
            .and_then(|b| s.pending.iter().rposition(|p| p.0 == file && p.2 == b.seq));
        let (index, seq) = if let Some(pos) = retry {
            let p = s.pending.remove(pos);
            s.batch.as_mut().unwrap().last_activity = now;
            (p.1, p.2)
        } else {
            s.pending.retain(|p| p.0 != file);
            let new = match &s.batch {
                None => true,
                Some(b) => b.content != content || (b.alts > 0 && b.announced >= b.alts),
            };
            if new {
                let old = s.batch.take();
                let close = old.as_ref().is_some_and(|b| {
                    !(b.alts > 0 && b.announced >= b.alts) || b.uploaded < b.announced
                });
                self.next_seq += 1;
                let seq = self.next_seq;
                let s = &mut self.sessions[i];
                s.batch = Some(MBatch {
                    content,
                    alts,
                    announced: 0,
                    uploaded: 0,
                    last_activity: now,
                    seq,
                });
                if close {
                    self.close(old);
                }
            }
            let s = &mut self.sessions[i];
            let b = s.batch.as_mut().unwrap();
            b.last_activity = now;
            b.announced += 1;
            (b.announced - 1, b.seq)
        };
        let s = &mut self.sessions[i];
        if s.pending.len() >= crate::sns::MAX_PENDING_FILES {
            s.pending.remove(0);
        }
        s.pending.push((String::from(file), index, seq));
        200
    }

    /// Returns (status, expected batch position if an upload started).
    pub(super) fn put(&mut self, i: usize, file: &str, ok: bool) -> (u16, Option<Position>) {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(i).filter(|s| s.alive) else {
            return (401, None);
        };
        let Some(pos) = s.pending.iter().position(|p| p.0 == file) else {
            return (404, None);
        };
        let (_, index, seq) = s.pending.remove(pos);
        let Some(b) = s.batch.as_mut().filter(|b| b.seq == seq) else {
            return (409, None);
        };
        let alt = b.content.split('~').nth(index + 1).map(String::from);
        if alt.is_none() {
            // facebook → mastodon in this config
            return (400, None);
        }
        s.last_used = now;
        let expected = (b.alts > 0).then_some(b.alts);
        let pos = (index, expected, expected == Some(index + 1), alt);
        b.last_activity = now;
        if ok {
            b.uploaded += 1;
        }
        let full = b.alts > 0 && b.announced >= b.alts;
        if full && b.uploaded == b.announced {
            s.batch = None;
        }
        if !ok {
            // The slot stays reserved for the camera's retry.
            s.pending.push((String::from(file), index, seq));
        }
        (if ok { 200 } else { 500 }, Some(pos))
    }

    pub(super) fn logout(&mut self, i: usize) {
        if let Some(s) = self.sessions.get_mut(i).filter(|s| s.alive) {
            s.alive = false;
            let b = s.batch.take();
            self.close(b);
        }
    }

    pub(super) fn wait(&mut self, secs: u64) {
        self.now += secs * 1000 / 1000;
        self.expire();
    }
}

pub(super) fn check_batch(got: &BatchRef, want: &Position) -> bool {
    got.index == want.0 && got.expected == want.1 && got.last == want.2 && got.alt == want.3
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The engine and the reference model agree after every step.
    #[test]
    fn sessions_and_batches_follow_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut sim = Sim::new(mastodon_config());
        let mut m = Model::default();
        let mut closed = 0usize;
        for op in ops {
            match op {
                Op::Login => {
                    let key = sim.login(V7_BODY);
                    m.login(key);
                }
                Op::Announce { session, file, caption } => {
                    let Some(key) = m.key(session).map(String::from) else { continue };
                    let name = format!("SAM_{file:04}.JPG");
                    let out = sim.announce("facebook", &key, &name, CAPTIONS[caption as usize]);
                    prop_assert_eq!(out.status(), m.announce(session, &name, caption as usize));
                }
                Op::Put { session, file, store_ok } => {
                    let Some(key) = m.key(session).map(String::from) else { continue };
                    let name = format!("SAM_{file:04}.JPG");
                    sim.fail_store = !store_ok;
                    let out = sim.put(&key, &name, b"jpeg");
                    sim.fail_store = false;
                    let (status, pos) = m.put(session, &name, store_ok);
                    prop_assert_eq!(out.status(), status, "{}", out.body());
                    if let Some(pos) = pos {
                        if store_ok {
                            prop_assert!(check_batch(&out.uploads[0].0.batch, &pos), "{:?} vs {:?}", out.uploads[0].0.batch, pos);
                        }
                    } else {
                        prop_assert!(out.uploads.is_empty());
                    }
                }
                Op::Logout { session } => {
                    let Some(key) = m.key(session).map(String::from) else { continue };
                    let body = format!("<Request Method=\"logout\" SessionKey=\"{key}\"></Request>");
                    prop_assert_eq!(sim.post("/facebook/auth", &body).status(), 200);
                    m.logout(session);
                }
                Op::Wait { secs } => {
                    sim.now = sim.now + Duration::from_secs(secs);
                    sim.bridge.handle_timeout(sim.now);
                    // A deadline is always one `handle_timeout` acts on.
                    prop_assert!(sim.bridge.poll_timeout().is_none_or(|t| t > sim.now));
                    m.wait(secs);
                }
            }
            while let Some(ev) = sim.bridge.poll_event() {
                if matches!(ev, BridgeEvent::BatchClosed { .. }) {
                    closed += 1;
                }
            }
            prop_assert_eq!(closed, m.closed, "batch closures");
        }
    }
}
