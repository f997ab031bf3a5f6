//! Tests of [`super`].

use super::*;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use proptest::prelude::*;

const B: &str = "---------------------------7d93b9550d4a";

/// A tiny JPEG-like payload with the bytes that trip naive scanners.
const JPEG: &[u8] =
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\r\n--\r\n-\n\r\xff\xc0\x00\x11--7d93\xff\xd9";

const MESSAGE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<email><sender>Camera@samsungcamera.com</sender><receiverList><receiver>friend@example.org</receiver> </receiverList><title><![CDATA[[Samsung Smart Camera] sent you files.]]></title>\n<body><![CDATA[Sent from Samsung Camera.\\r\\nlanguage_sh100_utf8]]></body></email>";

use crate::testing::multipart_events::{Ev, Run, record, run};

fn whole(boundary: &str, body: &[u8]) -> Run {
    run(boundary, body, &[usize::MAX])
}

/// (name, file name, content type, data) per completed part, if the body ended properly.
type Parts = Vec<(Option<String>, Option<String>, Option<String>, Vec<u8>)>;

fn parts_of(r: &Run) -> Result<Parts, MultipartError> {
    r.result?;
    assert_eq!(r.events.last(), Some(&Ev::End), "no End in {:?}", r.events);
    let mut out = Vec::new();
    let mut cur: Option<(PartHead, Vec<u8>)> = None;
    for ev in &r.events {
        match ev {
            Ev::Start(h) => cur = Some((h.clone(), Vec::new())),
            Ev::Data(d) => cur.as_mut().unwrap().1.extend_from_slice(d),
            Ev::PartEnd => {
                let (h, d) = cur.take().unwrap();
                out.push((h.name, h.file_name, h.content_type, d));
            }
            Ev::End => {}
        }
    }
    Ok(out)
}

fn part(
    name: &str,
    file: &str,
    ct: &str,
    data: &[u8],
) -> (Option<String>, Option<String>, Option<String>, Vec<u8>) {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    (opt(name), opt(file), opt(ct), data.to_vec())
}

struct Body {
    eol: &'static str,
    boundary: &'static str,
    out: Vec<u8>,
}

impl Body {
    fn new(eol: &'static str) -> Self {
        Self {
            eol,
            boundary: B,
            out: Vec::new(),
        }
    }
    fn raw(mut self, bytes: &[u8]) -> Self {
        self.out.extend_from_slice(bytes);
        self
    }
    /// Delimiter line, headers, blank line, data (the line break before the next delimiter is added by it).
    fn part(mut self, headers: &[&str], data: &[u8]) -> Self {
        let eol = self.eol;
        if !self.out.is_empty() {
            self.out.extend_from_slice(eol.as_bytes());
        }
        self.out
            .extend_from_slice(format!("--{}{eol}", self.boundary).as_bytes());
        for h in headers {
            self.out.extend_from_slice(format!("{h}{eol}").as_bytes());
        }
        self.out.extend_from_slice(eol.as_bytes());
        self.out.extend_from_slice(data);
        self
    }
    /// The camera's ending: a plain delimiter, then `tail` (nothing or a line break).
    fn end_plain(mut self, tail: &str) -> Vec<u8> {
        self.out
            .extend_from_slice(format!("{}--{}{tail}", self.eol, self.boundary).as_bytes());
        self.out
    }
    fn end_close(mut self, epilogue: &str) -> Vec<u8> {
        self.out
            .extend_from_slice(format!("{}--{}--{epilogue}", self.eol, self.boundary).as_bytes());
        self.out
    }
}

fn msg_headers() -> [&'static str; 2] {
    [
        "content-disposition: form-data; name=\"message\"; fileName=\"sample.txt\"",
        "content-Type: multipart/form-data;",
    ]
}

fn v6(eol: &'static str) -> Body {
    let message = MESSAGE.replace('\n', eol);
    Body::new(eol)
        .part(&msg_headers(), message.as_bytes())
        .part(
            &[
                "content-disposition: form-data; name=\"binary\"; fileName=\"SAM_4371.JPG\"",
                "content-Type: image/jpeg;",
            ],
            JPEG,
        )
}

fn v6_parts(eol: &str) -> Parts {
    vec![
        part(
            "message",
            "sample.txt",
            "multipart/form-data",
            MESSAGE.replace('\n', eol).as_bytes(),
        ),
        part("binary", "SAM_4371.JPG", "image/jpeg", JPEG),
    ]
}

/// (name, boundary, body, expected parts or error)
type Case = (
    &'static str,
    &'static str,
    Vec<u8>,
    Result<Parts, MultipartError>,
);
/// (name, raw header section, name, file name, content type)
type HeadCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const SPLITS: &[&[usize]] = &[
    &[usize::MAX],
    &[1],
    &[2],
    &[3],
    &[5, 1, 40],
    &[7],
    &[41],
    &[64],
];

fn check(name: &str, boundary: &str, body: &[u8], expected: &Result<Parts, MultipartError>) {
    for sizes in SPLITS {
        let r = run(boundary, body, sizes);
        assert_eq!(&parts_of(&r), expected, "case {name}, chunks {sizes:?}");
    }
}

#[test]
fn table() {
    let lit = |s: &str| s.as_bytes().to_vec();
    let data = b"a\r\n--\r\n---------------------------7d93\r\n--x\n-----------------------------7d93b9550d4aX\r--".to_vec();
    let cases: Vec<Case> = vec![
        ("v6 crlf, no trailer", B, v6("\r\n").end_plain(""), Ok(v6_parts("\r\n"))),
        ("v6 crlf, crlf trailer", B, v6("\r\n").end_plain("\r\n"), Ok(v6_parts("\r\n"))),
        ("v6 lf, no trailer", B, v6("\n").end_plain(""), Ok(v6_parts("\n"))),
        ("v6 lf, lf trailer", B, v6("\n").end_plain("\n"), Ok(v6_parts("\n"))),
        ("v6 crlf, cr-only trailer", B, v6("\r\n").end_plain("\r"), Ok(v6_parts("\r\n"))),
        ("v6 crlf, padding trailer", B, v6("\r\n").end_plain(" \t"), Ok(v6_parts("\r\n"))),
        ("v6f close delimiter", B, v6("\r\n").end_close("\r\n"), Ok(v6_parts("\r\n"))),
        (
            "v6f close delimiter with epilogue",
            B,
            v6("\n").end_close("\nepilogue\n-----------------------------7d93b9550d4a\n\nx"),
            Ok(v6_parts("\n")),
        ),
        (
            "v6f lowercase filename",
            B,
            Body::new("\r\n")
                .part(
                    &["Content-Disposition: form-data; name=\"binary\"; filename=\"SAM_4371.JPG\"", "Content-Type: image/jpeg"],
                    JPEG,
                )
                .end_close(""),
            Ok(vec![part("binary", "SAM_4371.JPG", "image/jpeg", JPEG)]),
        ),
        (
            "v6b two binary parts",
            B,
            Body::new("\r\n")
                .part(&msg_headers(), b"<email/>")
                .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"SAM_0001.JPG\"", "content-Type: image/jpeg;"], JPEG)
                .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"SAM_0002.JPG\"", "content-Type: image/jpeg;"], b"\xff\xd8second\xff\xd9")
                .end_plain("\r\n"),
            Ok(vec![
                part("message", "sample.txt", "multipart/form-data", b"<email/>"),
                part("binary", "SAM_0001.JPG", "image/jpeg", JPEG),
                part("binary", "SAM_0002.JPG", "image/jpeg", b"\xff\xd8second\xff\xd9"),
            ]),
        ),
        (
            "v6c pjpeg",
            B,
            Body::new("\r\n")
                .part(&msg_headers(), b"<email/>")
                .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"SAM_0001.JPG\"", "content-Type: image/pjpeg;"], JPEG)
                .end_plain(""),
            Ok(vec![
                part("message", "sample.txt", "multipart/form-data", b"<email/>"),
                part("binary", "SAM_0001.JPG", "image/pjpeg", JPEG),
            ]),
        ),
        (
            "v6e no message part",
            B,
            Body::new("\r\n")
                .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"A.JPG\"", "content-Type: image/jpeg;"], JPEG)
                .end_plain(""),
            Ok(vec![part("binary", "A.JPG", "image/jpeg", JPEG)]),
        ),
        (
            "binary before message",
            B,
            Body::new("\n")
                .part(&["content-disposition: form-data; name=\"binary\"; fileName=\"A.JPG\"", "content-Type: IMAGE/JPEG; x=1"], JPEG)
                .part(&msg_headers(), b"<email/>")
                .end_plain(""),
            Ok(vec![
                part("binary", "A.JPG", "image/jpeg", JPEG),
                part("message", "sample.txt", "multipart/form-data", b"<email/>"),
            ]),
        ),
        (
            "data with line breaks, dashes, partial and non-line-start boundaries",
            B,
            Body::new("\r\n").part(&["content-disposition: form-data; name=\"binary\""], &data).end_plain(""),
            Ok(vec![part("binary", "", "", &data)]),
        ),
        (
            "data ending in CR before the delimiter's CRLF",
            B,
            Body::new("\r\n").part(&["content-disposition: form-data; name=\"binary\""], b"abc\r").end_plain(""),
            Ok(vec![part("binary", "", "", b"abc\r")]),
        ),
        (
            "data ending in LF before an LF delimiter",
            B,
            Body::new("\n").part(&["content-disposition: form-data; name=\"binary\""], b"abc\n").end_plain(""),
            Ok(vec![part("binary", "", "", b"abc\n")]),
        ),
        (
            "empty part data, crlf and lf",
            "x",
            lit("--x\r\nh: v\r\n\r\n\r\n--x\nh: w\n\n\n--x--"),
            Ok(vec![part("", "", "", b""), part("", "", "", b"")]),
        ),
        (
            "empty data with delimiter right after the blank line",
            "x",
            lit("--x\r\nh: v\r\n\r\n--x\r\n\r\nabc\r\n--x"),
            Ok(vec![part("", "", "", b""), part("", "", "", b"abc")]),
        ),
        (
            "data starting with a non-delimiter boundary line",
            "x",
            lit("--x\n\n--xy\n--x\n"),
            Ok(vec![part("", "", "", b"--xy")]),
        ),
        (
            "preamble",
            B,
            Body::new("\r\n")
                .raw(b"This is a multi-part message in MIME format.\r\n--\r\n-----------------------------7d93b9550d4aX")
                .part(&msg_headers(), b"<email/>")
                .end_plain(""),
            Ok(vec![part("message", "sample.txt", "multipart/form-data", b"<email/>")]),
        ),
        (
            "leading CRLF",
            "x",
            lit("\r\n--x\r\ncontent-disposition: form-data; name=m\r\n\r\nhi\r\n--x"),
            Ok(vec![part("m", "", "", b"hi")]),
        ),
        (
            "mixed line endings and delimiter padding",
            "x",
            lit("--x \t\nContent-Disposition: form-data;name=m\r\n\nhi\r\n--x\t\r\n\r\n\n--x--"),
            Ok(vec![part("m", "", "", b"hi"), part("", "", "", b"")]),
        ),
        (
            "folded header, quoted semicolon, windows path",
            "x",
            lit("--x\r\nContent-Disposition: form-data;\r\n name=\"a;b\"; FILENAME=\"C:\\DCIM\\SAM_0001.JPG\"\r\n\r\nz\r\n--x"),
            Ok(vec![part("a;b", "C:\\DCIM\\SAM_0001.JPG", "", b"z")]),
        ),
        ("close delimiter only", "x", lit("--x--\r\n"), Ok(vec![])),
        ("delimiter only", "x", lit("--x"), Ok(vec![])),
        ("delimiter and line break only", "x", lit("--x\r\n"), Ok(vec![])),
        ("delimiter, padding line", "x", lit("--x\r\n \r"), Ok(vec![])),
        ("empty body", B, lit(""), Err(MultipartError::NoLeadingBoundary)),
        ("no boundary at all", B, lit("hello world\r\n"), Err(MultipartError::NoLeadingBoundary)),
        ("boundary not at a line start", "x", lit("a--x\r\n\r\nb\r\n-x"), Err(MultipartError::NoLeadingBoundary)),
        ("preamble, then delimiter at the end", "x", lit("a--x\r\n\r\nb\r\n--x"), Ok(vec![])),
        (
            "preamble too long",
            "x",
            vec![b'a'; MAX_PREAMBLE_LEN + 1].into_iter().chain(*b"\n--x\n\n\n--x--").collect(),
            Err(MultipartError::NoLeadingBoundary),
        ),
        (
            "over-long part header",
            "x",
            format!("--x\r\nx-pad: {}\r\n\r\ndata\r\n--x", "a".repeat(MAX_PART_HEAD_LEN)).into_bytes(),
            Err(MultipartError::PartHeadTooLong),
        ),
        ("truncated inside part data", B, v6("\r\n").out, Err(MultipartError::Truncated)),
        (
            "truncated inside a delimiter",
            B,
            v6("\r\n").raw(b"\r\n-----------------------------7d93").out,
            Err(MultipartError::Truncated),
        ),
        (
            "truncated inside part headers",
            B,
            Body::new("\r\n").part(&msg_headers(), b"<email/>").raw(b"\r\n-----------------------------7d93b9550d4a\r\ncontent-disp").out,
            Err(MultipartError::Truncated),
        ),
        (
            "truncated after a complete part header",
            "x",
            lit("--x\r\ncontent-type: image/jpeg\r\n\r\n"),
            Err(MultipartError::Truncated),
        ),
        ("header line without colon", "x", lit("--x\r\nnonsense\r\n\r\nz\r\n--x"), Err(MultipartError::BadPartHead)),
        ("continuation without a header", "x", lit("--x\r\n folded\r\n\r\nz\r\n--x"), Err(MultipartError::BadPartHead)),
        ("garbage after close dash", "x", lit("--x-y\r\n"), Err(MultipartError::BadDelimiter)),
        ("garbage after padding", "x", lit("--x\r\n\r\nz\r\n--x y\r\n"), Err(MultipartError::BadDelimiter)),
        ("garbage after CR", "x", lit("--x\rz"), Err(MultipartError::BadDelimiter)),
    ];
    for (name, boundary, body, expected) in &cases {
        check(name, boundary, body, expected);
    }
}

#[test]
fn part_limit() {
    let body = |n: usize| {
        let mut b = Body::new("\r\n");
        b.boundary = "x";
        for _ in 0..n {
            b = b.part(&["content-disposition: form-data; name=\"binary\""], b"d");
        }
        b.end_plain("")
    };
    let ok = whole("x", &body(MAX_PARTS));
    assert_eq!(parts_of(&ok).map(|p| p.len()), Ok(MAX_PARTS));
    assert_eq!(
        whole("x", &body(MAX_PARTS + 1)).result,
        Err(MultipartError::TooManyParts)
    );
    assert_eq!(
        run("x", &body(MAX_PARTS + 1), &[3]).result,
        Err(MultipartError::TooManyParts)
    );
}

#[test]
fn part_head_at_the_limit_is_accepted() {
    let prefix = "--x\r\nx-pad: ";
    let pad = MAX_PART_HEAD_LEN - "x-pad: \r\n\r\n".len();
    let body = format!("{prefix}{}\r\n\r\nd\r\n--x", "a".repeat(pad));
    assert_eq!(
        parts_of(&whole("x", body.as_bytes())),
        Ok(vec![part("", "", "", b"d")])
    );
    let body = format!("{prefix}{}\r\n\r\nd\r\n--x", "a".repeat(pad + 1));
    assert_eq!(
        whole("x", body.as_bytes()).result,
        Err(MultipartError::PartHeadTooLong)
    );
}

#[test]
fn data_borrows_the_input() {
    let big: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1)
        .collect();
    let body = Body::new("\r\n")
        .part(&["content-disposition: form-data; name=\"binary\""], &big)
        .end_plain("");
    let mut parser = MultipartParser::new(B).unwrap();
    let mut rest = &body[..];
    let mut data_events = 0;
    loop {
        let (used, ev) = parser.feed(rest).unwrap();
        if let Some(MultipartEvent::Data(d)) = &ev {
            data_events += 1;
            assert_eq!(*d, &big[..]);
            let range = body.as_ptr_range();
            assert!(range.contains(&d.as_ptr()), "Data was copied");
        }
        rest = &rest[used..];
        if ev.is_none() {
            break;
        }
    }
    assert_eq!(data_events, 1);
    assert_eq!(parser.finish(), Ok(Some(MultipartEvent::PartEnd)));
    assert_eq!(parser.finish(), Ok(Some(MultipartEvent::End)));
    assert_eq!(parser.finish(), Ok(None));
    assert_eq!(parser.parts(), 1);
}

#[test]
fn close_delimiter_yields_end_from_feed_and_ignores_the_epilogue() {
    let mut parser = MultipartParser::new("x").unwrap();
    let body = b"--x\r\n\r\nd\r\n--x--\r\n--x\r\n\r\nignored";
    let mut rest = &body[..];
    let mut events = Vec::new();
    loop {
        let (used, ev) = parser.feed(rest).unwrap();
        rest = &rest[used..];
        match ev {
            Some(ev) => record(&mut events, ev),
            None => break,
        }
    }
    assert_eq!(
        events,
        vec![
            Ev::Start(PartHead::default()),
            Ev::Data(b"d".to_vec()),
            Ev::PartEnd,
            Ev::End
        ]
    );
    assert_eq!(parser.finish(), Ok(None));
}

#[test]
fn head_parsing() {
    let cases: &[HeadCase] = &[
        (
            "camera message",
            "content-disposition: form-data; name=\"message\"; fileName=\"sample.txt\"\r\ncontent-Type: multipart/form-data;\r\n\r\n",
            Some("message"),
            Some("sample.txt"),
            Some("multipart/form-data"),
        ),
        (
            "pjpeg with semicolon",
            "content-Type: image/pjpeg;\n\n",
            None,
            None,
            Some("image/pjpeg"),
        ),
        (
            "upper-case names, spaces",
            "CONTENT-DISPOSITION :  form-data ; NAME = binary ; FileName = \"a b.jpg\" \r\nContent-Type:  Image/JPEG ; charset=x \r\n\r\n",
            Some("binary"),
            Some("a b.jpg"),
            Some("image/jpeg"),
        ),
        (
            "escaped quote",
            "content-disposition: form-data; name=\"a\\\"b\"; filename=\"c\\\\d\"\r\n\r\n",
            Some("a\"b"),
            Some("c\\d"),
            None,
        ),
        (
            "unterminated quote",
            "content-disposition: form-data; name=\"abc\r\n\r\n",
            Some("abc"),
            None,
            None,
        ),
        (
            "first disposition wins",
            "content-disposition: form-data; name=a\r\ncontent-disposition: form-data; name=b\r\n\r\n",
            Some("a"),
            None,
            None,
        ),
        (
            "first param wins",
            "content-disposition: form-data; name=a; name=b\r\n\r\n",
            Some("a"),
            None,
            None,
        ),
        (
            "filename* ignored",
            "content-disposition: form-data; name=a; filename*=UTF-8''x.jpg\r\n\r\n",
            Some("a"),
            None,
            None,
        ),
        (
            "missing disposition type",
            "content-disposition: name=\"m\"\r\n\r\n",
            Some("m"),
            None,
            None,
        ),
        (
            "empty content type",
            "content-type: ;\r\n\r\n",
            None,
            None,
            None,
        ),
        (
            "other headers ignored",
            "x-thing: name=\"no\"\r\n\r\n",
            None,
            None,
            None,
        ),
        (
            "folded content type",
            "content-type:\r\n\timage/jpeg\r\n\r\n",
            None,
            None,
            Some("image/jpeg"),
        ),
        ("no headers", "\r\n", None, None, None),
    ];
    for (name, raw, n, f, ct) in cases {
        let head = parse_head(raw.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = PartHead {
            name: n.map(str::to_string),
            file_name: f.map(str::to_string),
            content_type: ct.map(str::to_string),
        };
        assert_eq!(head, expected, "{name}");
    }
}

#[test]
fn boundary_extraction() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "camera",
            "multipart/form-data; boundary=---------------------------7d93b9550d4a",
            Some(B),
        ),
        (
            "quoted, upper-case name",
            "multipart/form-data; BOUNDARY=\"abc def\"",
            Some("abc def"),
        ),
        (
            "trailing semicolon",
            "multipart/form-data;boundary=abc;",
            Some("abc"),
        ),
        (
            "trailing spaces",
            "multipart/form-data; boundary=abc  ",
            Some("abc"),
        ),
        (
            "later parameter",
            "multipart/form-data; charset=utf-8; boundary = abc ; x=y",
            Some("abc"),
        ),
        (
            "quoted semicolon",
            "multipart/form-data; boundary=\"a;b\"",
            Some("a;b"),
        ),
        ("missing", "multipart/form-data", None),
        ("empty", "multipart/form-data; boundary=", None),
        ("empty quoted", "multipart/form-data; boundary=\"\"", None),
        ("similar name", "multipart/form-data; xboundary=abc", None),
        (
            "inside another value",
            "multipart/form-data; name=\"boundary=abc\"",
            None,
        ),
    ];
    for (name, ct, expected) in cases {
        assert_eq!(boundary_from_content_type(ct), *expected, "{name}");
    }
}

#[test]
fn boundary_validation() {
    let long = "a".repeat(MAX_BOUNDARY_LEN);
    let too_long = "a".repeat(MAX_BOUNDARY_LEN + 1);
    let cases: &[(&str, bool)] = &[
        (B, true),
        ("x", true),
        ("a b", true),
        (&long, true),
        ("", false),
        (&too_long, false),
        ("a\r\nb", false),
        ("a\nb", false),
        ("ab ", false),
        ("é", false),
    ];
    for (boundary, ok) in cases {
        assert_eq!(MultipartParser::new(boundary).is_ok(), *ok, "{boundary:?}");
        if !ok {
            assert_eq!(
                MultipartParser::new(boundary).err(),
                Some(MultipartError::BadBoundary)
            );
        }
    }
}

/// Part content biased towards the bytes around delimiters.
fn content(boundary: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"--".to_vec()),
        Just(b"\r\n--".to_vec()),
        (0..=boundary.len()).prop_map(move |n| format!("\n--{}", &boundary[..n]).into_bytes()),
        Just(format!("\n--{boundary}X").into_bytes()),
        Just(format!("--{boundary}").into_bytes()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Whether `content` can be a part's data: no line in it may start a delimiter.
fn is_valid_content(boundary: &str, content: &[u8]) -> bool {
    let mut hay = vec![b'\n'];
    hay.extend_from_slice(content);
    let needle = format!("\n--{boundary}");
    memchr::memmem::find_iter(&hay, needle.as_bytes()).all(|i| {
        hay.get(i + needle.len())
            .is_some_and(|&b| !is_delim_follow(b))
    })
}

#[derive(Debug, Clone)]
struct GenPart {
    name: String,
    file: Option<String>,
    ct: Option<&'static str>,
    upper: bool,
    data: Vec<u8>,
}

fn gen_body(
    boundary: &'static str,
) -> impl Strategy<Value = (Vec<GenPart>, &'static str, u8, Vec<u8>)> {
    let part = (
        "[a-zA-Z0-9_.]{0,10}",
        proptest::option::of("[a-zA-Z0-9_. ;-]{1,12}"),
        proptest::option::of(prop_oneof![
            Just("image/jpeg;"),
            Just("image/pjpeg"),
            Just("multipart/form-data;"),
            Just("Text/Plain; charset=x")
        ]),
        any::<bool>(),
        content(boundary),
    )
        .prop_map(|(name, file, ct, upper, data)| GenPart {
            name,
            file,
            ct,
            upper,
            data,
        });
    (
        proptest::collection::vec(part, 0..5),
        prop_oneof![Just("\r\n"), Just("\n")],
        0u8..4,
        proptest::collection::vec(any::<u8>(), 0..30),
    )
}

fn build(boundary: &str, parts: &[GenPart], eol: &str, ending: u8, extra: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // `extra` is a preamble for endings 0 and 1, an epilogue for the close delimiter.
    if ending < 2 && !extra.is_empty() {
        out.extend_from_slice(extra);
        out.extend_from_slice(eol.as_bytes());
    }
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(eol.as_bytes());
        }
        let (cd, fname, ctn) = if p.upper {
            ("Content-Disposition", "filename", "Content-Type")
        } else {
            ("content-disposition", "fileName", "content-Type")
        };
        out.extend_from_slice(
            format!("--{boundary}{eol}{cd}: form-data; name=\"{}\"", p.name).as_bytes(),
        );
        if let Some(f) = &p.file {
            out.extend_from_slice(format!("; {fname}=\"{f}\"").as_bytes());
        }
        out.extend_from_slice(eol.as_bytes());
        if let Some(ct) = p.ct {
            out.extend_from_slice(format!("{ctn}: {ct}{eol}").as_bytes());
        }
        out.extend_from_slice(eol.as_bytes());
        out.extend_from_slice(&p.data);
    }
    if !parts.is_empty() {
        out.extend_from_slice(eol.as_bytes());
    }
    out.extend_from_slice(format!("--{boundary}").as_bytes());
    match ending {
        0 => {}
        1 => out.extend_from_slice(eol.as_bytes()),
        _ => {
            out.extend_from_slice(b"--");
            out.extend_from_slice(extra);
        }
    }
    out
}

fn expected(parts: &[GenPart]) -> Parts {
    parts
        .iter()
        .map(|p| {
            let ct =
                p.ct.map(|c| c.split(';').next().unwrap().trim().to_ascii_lowercase());
            (Some(p.name.clone()), p.file.clone(), ct, p.data.clone())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_split_gives_the_same_parts(
        (boundary, (parts, eol, ending, extra)) in prop_oneof![Just(B), Just("x"), Just("AaB03x")]
            .prop_flat_map(|b| (Just(b), gen_body(b))),
        sizes in proptest::collection::vec(1usize..50, 1..8),
    ) {
        // With LF line breaks a data `\r` before the delimiter reads as a CRLF: inherently ambiguous.
        let parts: Vec<GenPart> = parts
            .into_iter()
            .filter(|p| is_valid_content(boundary, &p.data) && !(eol == "\n" && p.data.ends_with(b"\r")))
            .collect();
        prop_assume!(ending >= 2 || is_valid_content(boundary, &extra));
        let body = build(boundary, &parts, eol, ending, &extra);
        let one = whole(boundary, &body);
        prop_assert_eq!(parts_of(&one), Ok(expected(&parts)));
        let split = run(boundary, &body, &sizes);
        prop_assert_eq!(&split, &one);
        let bytewise = run(boundary, &body, &[1]);
        prop_assert_eq!(&bytewise, &one);
    }

    #[test]
    fn arbitrary_bytes_split_invariant(
        prefix in prop_oneof![Just(&b""[..]), Just(&b"--x\r\n"[..]), Just(&b"--x\n\n"[..])],
        rest in proptest::collection::vec(prop_oneof![any::<u8>(), Just(b'\n'), Just(b'\r'), Just(b'-'), Just(b'x'), Just(b':')], 0..300),
        sizes in proptest::collection::vec(1usize..20, 1..6),
    ) {
        let body = [prefix, &rest[..]].concat();
        let one = whole("x", &body);
        prop_assert_eq!(run("x", &body, &sizes), one.clone());
        prop_assert_eq!(run("x", &body, &[1]), one);
    }
}
