//! Runs the multipart parser over a body in chosen pieces and records its
//! events (consecutive data merged, so any split compares equal), checking
//! the parser's invariants on the way. Used by the multipart tests and the
//! `multipart` fuzz target.

use alloc::vec::Vec;

use crate::multipart::{
    MAX_BOUNDARY_LEN, MAX_PART_HEAD_LEN, MAX_PARTS, MultipartError, MultipartEvent,
    MultipartParser, PartHead,
};

/// Owned event; consecutive `Data` are merged so that any split compares equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Start(PartHead),
    Data(Vec<u8>),
    PartEnd,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub events: Vec<Ev>,
    pub result: Result<(), MultipartError>,
}

pub fn record(events: &mut Vec<Ev>, ev: MultipartEvent<'_>) {
    match ev {
        MultipartEvent::Data(d) => {
            assert!(!d.is_empty(), "empty Data event");
            match events.last_mut() {
                Some(Ev::Data(acc)) => acc.extend_from_slice(d),
                _ => events.push(Ev::Data(d.to_vec())),
            }
        }
        MultipartEvent::PartStart(h) => events.push(Ev::Start(h)),
        MultipartEvent::PartEnd => events.push(Ev::PartEnd),
        MultipartEvent::End => events.push(Ev::End),
    }
}

/// Start (Data) PartEnd, repeated, then at most one End, nothing after it.
pub fn assert_well_formed(events: &[Ev]) {
    let mut in_part = false;
    let mut parts = 0;
    for (i, ev) in events.iter().enumerate() {
        match ev {
            Ev::Start(_) => {
                assert!(!in_part, "nested PartStart in {events:?}");
                in_part = true;
                parts += 1;
            }
            Ev::Data(_) => assert!(in_part, "Data outside a part in {events:?}"),
            Ev::PartEnd => {
                assert!(in_part, "PartEnd outside a part in {events:?}");
                in_part = false;
            }
            Ev::End => {
                assert!(
                    !in_part && i + 1 == events.len(),
                    "misplaced End in {events:?}"
                )
            }
        }
    }
    assert!(parts <= MAX_PARTS);
}

/// Feeds `body` in chunks of the sizes in `sizes` (cycled), then finishes.
pub fn run(boundary: &str, body: &[u8], sizes: &[usize]) -> Run {
    let mut parser = MultipartParser::new(boundary).unwrap();
    let mut events = Vec::new();
    let mut go = || -> Result<(), MultipartError> {
        let mut off = 0;
        for &size in sizes.iter().cycle() {
            if off >= body.len() {
                break;
            }
            let n = size.clamp(1, body.len() - off);
            let mut rest = &body[off..off + n];
            off += n;
            loop {
                let (used, ev) = parser.feed(rest)?;
                assert!(used <= rest.len());
                rest = &rest[used..];
                match ev {
                    Some(ev) => record(&mut events, ev),
                    None => {
                        assert!(rest.is_empty(), "None before all input was consumed");
                        break;
                    }
                }
            }
            let (carry, head) = parser.held_bytes();
            assert!(carry <= MAX_BOUNDARY_LEN + 4 && head <= MAX_PART_HEAD_LEN);
        }
        while let Some(ev) = parser.finish()? {
            record(&mut events, ev);
        }
        // Done stays done.
        assert_eq!(parser.finish(), Ok(None));
        Ok(())
    };
    let result = go();
    if let Err(e) = result {
        // Errors are sticky.
        assert_eq!(parser.feed(b"x").map(|_| ()), Err(e));
        assert_eq!(parser.finish().map(|_| ()), Err(e));
    }
    assert_well_formed(&events);
    assert_eq!(
        events.iter().filter(|e| matches!(e, Ev::Start(_))).count(),
        parser.parts()
    );
    if result.is_ok() {
        assert_eq!(events.last(), Some(&Ev::End), "Ok without End");
    }
    Run { events, result }
}
