//! Throughput of the streaming multipart parser on a camera-shaped 20 MB upload.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use samsung_core::multipart::{MultipartEvent, MultipartParser};
use std::hint::black_box;

const BOUNDARY: &str = "---------------------------7d93b9550d4a";
const JPEG_LEN: usize = 20 * 1024 * 1024;
/// A frontend's read buffer.
const CHUNK: usize = 64 * 1024;
/// One TCP segment's payload, as an embedded frontend without reassembly sees it.
const MSS: usize = 1460;

/// The V6 body shape: a message part and one large binary part, no close delimiter.
fn body() -> Vec<u8> {
    let mut out = Vec::with_capacity(JPEG_LEN + 1024);
    out.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"message\"; fileName=\"sample.txt\"\r\n\
             content-Type: multipart/form-data;\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
             <email><sender>Camera@samsungcamera.com</sender></email>\r\n\
             --{BOUNDARY}\r\ncontent-disposition: form-data; name=\"binary\"; fileName=\"SAM_4371.JPG\"\r\n\
             content-Type: image/jpeg;\r\n\r\n"
        )
        .as_bytes(),
    );
    // xorshift64: pseudo-random bytes, so CR, LF and '-' occur as often as in compressed data.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while out.len() < JPEG_LEN {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(format!("\r\n--{BOUNDARY}").as_bytes());
    out
}

/// Feeds `body` in `chunk`-sized pieces; returns the bytes of part data seen.
fn parse(body: &[u8], chunk: usize) -> usize {
    let mut parser = MultipartParser::new(BOUNDARY).expect("valid boundary");
    let mut data = 0;
    for chunk in body.chunks(chunk) {
        let mut rest = chunk;
        loop {
            let (used, event) = parser.feed(rest).expect("valid body");
            rest = &rest[used..];
            match event {
                Some(MultipartEvent::Data(d)) => data += black_box(d).len(),
                Some(_) => {}
                None => break,
            }
        }
    }
    while parser.finish().expect("complete body").is_some() {}
    data
}

fn bench(c: &mut Criterion) {
    let body = body();
    assert!(parse(&body, CHUNK) > JPEG_LEN - 1024);
    assert_eq!(parse(&body, MSS), parse(&body, CHUNK));
    let mut group = c.benchmark_group("multipart");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sample_size(20);
    group.bench_function("20MB_upload_64KiB_chunks", |b| {
        b.iter(|| parse(black_box(&body), CHUNK))
    });
    group.bench_function("20MB_upload_1460B_chunks", |b| {
        b.iter(|| parse(black_box(&body), MSS))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
