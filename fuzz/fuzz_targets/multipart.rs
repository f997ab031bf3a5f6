#![no_main]
//! The multipart parser against arbitrary bodies.
//!
//! First byte: bit 7 picks the boundary (the camera's or `x`), bit 6 picks the
//! mode, bits 0-5 the chunk size (1-64). Parse mode: the rest is a body, fed
//! whole, in chunks and byte by byte; all three must give the same events and
//! outcome. Round-trip mode: the rest, split at 0xFE, is the data of the parts
//! of a body built here; the parser must give them back exactly.

use libfuzzer_sys::fuzz_target;
use samsung_core::multipart::{
    MAX_PARTS, MultipartError, MultipartEvent, MultipartParser, PartHead,
};

const CAMERA_BOUNDARY: &str = "---------------------------7d93b9550d4a";
const SHORT_BOUNDARY: &str = "x";

/// Owned events, consecutive `Data` merged so that any split compares equal.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Start(PartHead),
    Data(Vec<u8>),
    PartEnd,
    End,
}

fn record(events: &mut Vec<Ev>, ev: MultipartEvent<'_>) {
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

fn run(boundary: &str, body: &[u8], chunk: usize) -> (Vec<Ev>, Result<(), MultipartError>) {
    let mut parser = MultipartParser::new(boundary).expect("valid boundary");
    let mut events = Vec::new();
    let mut go = || -> Result<(), MultipartError> {
        for piece in body.chunks(chunk) {
            let mut rest = piece;
            loop {
                let (used, ev) = parser.feed(rest)?;
                assert!(used <= rest.len(), "consumed more than the input");
                rest = &rest[used..];
                match ev {
                    Some(ev) => record(&mut events, ev),
                    None => {
                        assert!(rest.is_empty(), "None before all input was consumed");
                        break;
                    }
                }
            }
        }
        while let Some(ev) = parser.finish()? {
            record(&mut events, ev);
        }
        Ok(())
    };
    let result = go();
    if let Err(e) = result {
        assert_eq!(parser.finish().map(|_| ()), Err(e), "errors are sticky");
    }
    // Start (Data) PartEnd, repeated, then at most one End, last.
    let mut in_part = false;
    let mut parts = 0;
    for (i, ev) in events.iter().enumerate() {
        match ev {
            Ev::Start(_) => {
                assert!(!in_part);
                in_part = true;
                parts += 1;
            }
            Ev::Data(_) => assert!(in_part),
            Ev::PartEnd => {
                assert!(in_part);
                in_part = false;
            }
            Ev::End => assert!(!in_part && i + 1 == events.len()),
        }
    }
    assert!(parts <= MAX_PARTS);
    assert_eq!(parts, parser.parts());
    if result.is_ok() {
        assert_eq!(events.last(), Some(&Ev::End), "Ok without End");
    }
    (events, result)
}

/// Whether `data` can be a part's data: no line in it may start a delimiter.
fn valid_data(boundary: &str, data: &[u8]) -> bool {
    let mut hay = vec![b'\n'];
    hay.extend_from_slice(data);
    let needle = format!("\n--{boundary}");
    let n = needle.len();
    (0..hay.len()).all(|i| {
        !hay[i..].starts_with(needle.as_bytes())
            || hay.get(i + n).is_some_and(|b| !b" \t\r\n-".contains(b))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let boundary = if ctl & 0x80 == 0 {
        CAMERA_BOUNDARY
    } else {
        SHORT_BOUNDARY
    };
    let chunk = usize::from(ctl & 0x3f) + 1;
    if ctl & 0x40 == 0 {
        let whole = run(boundary, rest, rest.len().max(1));
        assert_eq!(run(boundary, rest, chunk), whole);
        if rest.len() <= 4096 {
            assert_eq!(run(boundary, rest, 1), whole);
        }
        return;
    }
    let contents: Vec<&[u8]> = rest.split(|&b| b == 0xFE).take(MAX_PARTS).collect();
    if !contents.iter().all(|c| valid_data(boundary, c)) {
        return;
    }
    let mut body = Vec::new();
    for (i, c) in contents.iter().enumerate() {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"p{i}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(c);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}").as_bytes());
    let (events, result) = run(boundary, &body, chunk);
    assert_eq!(result, Ok(()));
    let mut got: Vec<Vec<u8>> = Vec::new();
    for ev in events {
        match ev {
            Ev::Start(h) => {
                assert_eq!(h.name, Some(format!("p{}", got.len())));
                got.push(Vec::new());
            }
            Ev::Data(d) => got.last_mut().expect("inside a part").extend_from_slice(&d),
            Ev::PartEnd | Ev::End => {}
        }
    }
    assert_eq!(got, contents);
});
