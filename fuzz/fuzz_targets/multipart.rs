#![no_main]
//! The multipart parser against arbitrary bodies.
//!
//! First byte: bit 7 picks the boundary (the camera's or `x`), bit 6 picks the
//! mode, bits 0-5 the chunk size (1-64). Parse mode: the rest is a body, fed
//! whole, in chunks and byte by byte; all three must give the same events and
//! outcome. Round-trip mode: the rest, split at 0xFE, is the data of the parts
//! of a body built here; the parser must give them back exactly.

use libfuzzer_sys::fuzz_target;
use samsung_core::multipart::MAX_PARTS;
use samsung_core::testing::multipart_events::{Ev, Run, run};

use samsung_core::testing::BOUNDARY as CAMERA_BOUNDARY;
const SHORT_BOUNDARY: &str = "x";

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
        let whole = run(boundary, rest, &[usize::MAX]);
        assert_eq!(run(boundary, rest, &[chunk]), whole);
        if rest.len() <= 4096 {
            assert_eq!(run(boundary, rest, &[1]), whole);
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
    let Run { events, result } = run(boundary, &body, &[chunk]);
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
