//! The harness itself: it must fail when an expectation is wrong, reject
//! malformed fixtures with file and line, and build requests exactly.

use std::panic::{AssertUnwindSafe, catch_unwind};

use samsung_conformance::expect::check_answer;
use samsung_conformance::fixture;
use samsung_conformance::run::{self, Split, split_points};
use samsung_conformance::template::{Piece, TINY_JPEG, jpeg_of_len, parse_template};
use samsung_conformance::{fixture_dir, parse, replay_all, replay_one};

/// A fixture file with `from` replaced by `to` (exactly once).
fn mutated(file: &str, from: &str, to: &str) -> fixture::Fixture {
    let path = fixture_dir().join(file);
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    assert_eq!(
        text.matches(from).count(),
        1,
        "{file}: `{from}` must occur once"
    );
    parse("mutant", "mutant.vector", &text.replacen(from, to, 1))
}

#[test]
fn wrong_expectations_are_reported_with_file_and_line() {
    // (fixture, replace, with, a substring of the expected failure)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "v01-hotspot-gld.vector",
            "status 200",
            "status 404",
            "got `HTTP/1.1 200 OK`",
        ),
        (
            "v01-hotspot-gld.vector",
            "status 200",
            "status 2x1",
            "got `HTTP/1.1 200 OK`",
        ),
        (
            "v01-hotspot-gld.vector",
            "header ETag present",
            "header ETag absent",
            "ETag values",
        ),
        (
            "v01-hotspot-gld.vector",
            "starts nginx",
            "starts apache",
            "Server values",
        ),
        (
            "v01-hotspot-gld.vector",
            "body-empty",
            "body-exact x",
            "body is \"\"",
        ),
        (
            "v02-v03-hotspot-yahoo-pair.vector",
            "find yahoo. at-most 11",
            "find yahoo. at-most 6",
            "Location values: [\"http://yahoo.com\"]",
        ),
        (
            "v02-v03-hotspot-yahoo-pair.vector",
            "Domain=.yahoo.co.kr; Path=/",
            "Domain=yahoo.co.kr; Path=/",
            "Set-Cookie values",
        ),
        (
            "v04-hotspot-msn-pair.vector",
            "body-exact MSN",
            "body-contains YAHOO",
            "body is \"MSN\"",
        ),
        (
            "v19-st1000-service-list.vector",
            "body-lacks succ",
            "body-lacks ErrCode",
            "body is",
        ),
        (
            "v18-st1000-time.vector",
            "body-ends </currentServerTime>",
            "body-ends </x>",
            "body is",
        ),
        (
            "v18-st1000-time.vector",
            "and </currentServerTime>",
            "and </initializeResult>",
            "TIME = \"1735689600000</currentServerTime>\"",
        ),
        (
            "v14-photo-announce.vector",
            "capture SESSION between SessionKey=\" and \"",
            "capture SESSION between NoSuchKey=\" and \"",
            "{{SESSION}} was not captured",
        ),
        (
            "v15-upload.vector",
            "length=232",
            "length=233",
            "upload length is \"232\", not \"233\"",
        ),
        (
            "v15-upload.vector",
            "user=x",
            "user=f",
            "upload user is \"x\", not \"f\"",
        ),
        (
            "v15-upload.vector",
            "data={{JPEG}}",
            "data={{JPEG:300}}",
            "upload data has 232 bytes, expected 300; first difference at offset 3",
        ),
        (
            "v15-upload.vector",
            "stored SAM_1234.JPG 1kB",
            "stored SAM_9.JPG 1kB",
            "no stored file",
        ),
        (
            "v15-upload.vector",
            "alt=fancy flower bed",
            "alt=none",
            "batch alt",
        ),
        (
            "v16-batch-store-no-alt.vector",
            "upload file=SAM_0004.JPG site=picasa action=store\nbatch index=0 expected=none last=false caption=C alt=none",
            "",
            "unexpected stored uploads [\"SAM_0004.JPG\"]",
        ),
        (
            "v16-batch-mastodon.vector",
            "batch id=@b",
            "batch id=@a",
            "is not batch @a",
        ),
        (
            "v16-batch-mastodon.vector",
            "batch id=@a index=1",
            "batch id=@c index=1",
            "batch @c is the same batch as @a",
        ),
        (
            "v16-batch-mastodon.vector",
            "status 400",
            "status 400\nbatch-closed uploaded=1",
            "bridge events: []",
        ),
        (
            "v06-email-crlf-double-space.vector",
            "email sender=Camera@samsungcamera.com",
            "email sender=someone@example.org",
            "e-mail sender is \"Camera@samsungcamera.com\"",
        ),
        (
            "v06-email-crlf-double-space.vector",
            "attachment index=0 name=SAM_4371.JPG type=image/jpeg data={{JPEG}}",
            "",
            "0 `attachment` lines but stored attachments are [\"SAM_4371.JPG\"]",
        ),
        (
            "v06-email-crlf-double-space.vector",
            "body=Sent from Samsung Camera.",
            "body=Sent from Samsung Camera.\\r\\nlanguage_sh100_utf8",
            "e-mail body",
        ),
        (
            "v06-email-crlf-double-space.vector",
            "status 200",
            "status 200\naborted",
            "aborts: []",
        ),
        (
            "v06-email-crlf-double-space.vector",
            "email sender=Camera@samsungcamera.com recipients=friend@example.org subject=[Samsung Smart Camera] sent you files. body=Sent from Samsung Camera. attachments=1 actions=store",
            "",
            "unexpected accepted e-mail",
        ),
        (
            "v06c-email-pjpeg.vector",
            "mastodon-type=image/jpeg",
            "mastodon-type=image/pjpeg",
            "attachment mastodon-type",
        ),
        (
            "v06e-email-no-message-part.vector",
            "aborted refused",
            "",
            "unexpected aborts",
        ),
        (
            "v06e-email-no-message-part.vector",
            "aborted refused",
            "aborted truncated",
            "aborts: [",
        ),
    ];
    for (file, from, to, want) in cases {
        let f = mutated(file, from, to);
        let failures = replay_one(&f);
        let joined = failures.join("\n");
        assert!(
            failures
                .iter()
                .any(|m| m.contains("mutant.vector:") && m.contains(want)),
            "{file}: `{from}` → `{to}` should fail with `{want}`, got:\n{joined}"
        );
    }
}

#[test]
fn unchanged_fixtures_pass() {
    // The mutation table above is only meaningful if the originals pass.
    for file in [
        "v01-hotspot-gld.vector",
        "v15-upload.vector",
        "v16-batch-mastodon.vector",
    ] {
        let f = mutated(file, "config:", "config:");
        assert_eq!(replay_one(&f), Vec::<String>::new(), "{file}");
    }
    // `now:` sets the server clock, and the ST1000 answer follows it.
    let f = mutated(
        "v18-st1000-time.vector",
        "config: default",
        "config: default\nnow: 42",
    );
    assert_eq!(f.now, 42);
    assert_eq!(replay_one(&f), Vec::<String>::new());
    let f = mutated(
        "v18-st1000-time.vector",
        "check TIME",
        "body-contains >42<\ncheck TIME",
    );
    assert!(replay_one(&f).iter().any(|m| m.contains(">42<")));
}

#[test]
fn known_gaps_are_reported_not_fatal_and_must_stay_gaps() {
    let failing = mutated(
        "v01-hotspot-gld.vector",
        "status 200",
        "status 204\n# known-gap below",
    );
    let failing = fixture::Fixture {
        known_gap: Some("waiting for the lead".into()),
        ..failing
    };
    let report = replay_all(std::slice::from_ref(&failing));
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.known_gaps.len(), 1);
    assert!(report.known_gaps[0].contains("waiting for the lead"));
    assert!(report.known_gaps[0].contains("status 204"));

    let passing = fixture::Fixture {
        known_gap: Some("fixed meanwhile".into()),
        ..mutated("v01-hotspot-gld.vector", "config:", "config:")
    };
    let report = replay_all(&[passing]);
    assert!(
        report.failures[0].contains("remove the marker"),
        "{report:?}"
    );
}

#[test]
fn answers_must_pass_the_v21_checks() {
    let get11 = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".as_slice();
    let post10 = b"POST /social/columbus/email  HTTP/1.0\r\n\r\n".as_slice();
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".as_slice();
    let big = {
        let mut r =
            b"HTTP/1.1 200 OK\r\nContent-Length: 1400\r\nConnection: close\r\n\r\n".to_vec();
        r.resize(r.len() + 1400, b'a');
        r
    };
    // (name, request, answer, a substring of the expected failure)
    type Case<'a> = (&'a str, &'a [u8], &'a [u8], Option<&'a str>);
    let cases: &[Case<'_>] = &[
        ("good", get11, ok, None),
        (
            "HTTP/1.0 request answered in 1.1",
            post10,
            ok,
            Some("not in the request's HTTP/1.0"),
        ),
        (
            "length mismatch",
            get11,
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok",
            Some("Content-Length [\"3\"] but the body has 2 bytes"),
        ),
        (
            "no length",
            get11,
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok",
            Some("Content-Length []"),
        ),
        (
            "keep-alive",
            get11,
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Some("no `Connection: close`"),
        ),
        (
            "chunked",
            get11,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            Some("Transfer-Encoding"),
        ),
        ("two segments", get11, &big, Some("not under 1460")),
        (
            "no reason phrase",
            get11,
            b"HTTP/1.1 200\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            Some("malformed status line"),
        ),
        ("no head end", get11, b"HTTP/1.1 200 OK\r\n", Some("malformed answer")),
    ];
    for (name, request, response, want) in cases {
        let fails = check_answer(request, response);
        match want {
            None => assert!(fails.is_empty(), "{name}: {fails:?}"),
            Some(w) => assert!(fails.iter().any(|f| f.contains(w)), "{name}: {fails:?}"),
        }
    }
}

#[test]
fn malformed_fixtures_panic_with_file_and_line() {
    let req = ">>> request\nGET / HTTP/1.1\n<<< expect\nstatus 200\n";
    let cases: &[(&str, String, &str)] = &[
        (
            "no config",
            req.to_string(),
            "bad.vector:1: missing `config",
        ),
        (
            "unknown config",
            format!("config: open\n{req}"),
            "bad.vector:1: config must be",
        ),
        (
            "unknown header",
            format!("config: default\nfoo: 1\n{req}"),
            "bad.vector:2: unknown header",
        ),
        ("no request", "config: default\n".into(), "no `>>> request`"),
        (
            "no status",
            "config: default\n>>> request\nGET / HTTP/1.1\n<<< expect\nbody-empty\n".into(),
            "bad.vector:2: every `<<< expect` needs a `status` line",
        ),
        (
            "no expect",
            "config: default\n>>> request\nGET / HTTP/1.1\n>>> request\n".into(),
            "bad.vector:4: the previous request has no `<<< expect`",
        ),
        (
            "unknown expectation",
            format!("config: default\n{req}bogus 1\n"),
            "bad.vector:6: unknown expectation `bogus`",
        ),
        (
            "variable before capture",
            "config: default\n>>> request\nGET /{{KEY}} HTTP/1.1\n<<< expect\nstatus 200\n".into(),
            "bad.vector:3: {{KEY}} is used before any `capture KEY",
        ),
        (
            "JPEG in the head",
            "config: default\n>>> request\nGET /{{JPEG}} HTTP/1.1\n<<< expect\nstatus 200\n".into(),
            "bad.vector:3: {{JPEG}} is not allowed here",
        ),
        (
            "bad body mode",
            "config: default\n>>> request\nPOST / HTTP/1.1\n>>> body cr\n".into(),
            "bad.vector:4: expected `>>> body crlf|lf|raw",
        ),
        (
            "bad escape",
            format!("config: default\n{req}body-exact \\q\n"),
            "bad.vector:6: unknown escape",
        ),
        (
            "bad status",
            "config: default\n>>> request\nGET / HTTP/1.1\n<<< expect\nstatus 20\n".into(),
            "bad.vector:5: status: three digits",
        ),
        (
            "unknown field",
            format!("config: default\n{req}upload colour=red\n"),
            "bad.vector:6: expected `key=value …`",
        ),
        (
            "JPEG too small",
            format!("config: default\n{req}upload data={{{{JPEG:10}}}}\n"),
            "bad.vector:6: {{JPEG:10}}: n must be",
        ),
        (
            "batch id without label",
            format!("config: default\n{req}batch id=abc\n"),
            "bad.vector:6: id= takes a label",
        ),
    ];
    for (name, text, want) in cases {
        let result = catch_unwind(AssertUnwindSafe(|| parse("bad", "bad.vector", text)));
        let msg = match result {
            Ok(_) => panic!("{name}: parsed without complaint"),
            Err(e) => e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        };
        assert!(msg.contains(want), "{name}: panic `{msg}` lacks `{want}`");
    }
}

#[test]
fn templates_expand_escapes_and_placeholders() {
    let t = parse_template("a\\r\\n\\x00\\\\{{JPEG:300}}{{LEN}}{{SESSION}}", true).unwrap();
    assert_eq!(
        t.0,
        vec![
            Piece::Lit(b"a\r\n\x00\\".to_vec()),
            Piece::Jpeg(Some(300)),
            Piece::Len,
            Piece::Var("SESSION".into()),
        ]
    );
    // Head and multipart lines keep backslashes (the V6 body has a literal `\r\n`).
    let t = parse_template("x\\r\\ny", false).unwrap();
    assert_eq!(t.0, vec![Piece::Lit(b"x\\r\\ny".to_vec())]);
    assert!(parse_template("{{nope}}", false).is_err());
    assert!(parse_template("{{JPEG", false).is_err());
    assert!(parse_template("\\x4", true).is_err());
}

#[test]
fn request_bodies_are_built_exactly() {
    let text = "config: default\n>>> request\nPOST /facebook/auth HTTP/1.1\nContent-Length: {{LEN}}\n>>> body lf no-final-eol\na\n\nb\n\n\n<<< expect\nstatus 400\n";
    let f = parse("t", "t.vector", text);
    let body = f.exchanges[0].body.as_ref().unwrap();
    // Trailing empty lines before the marker are layout, not body.
    assert_eq!(body.lines.len(), 3);
    let run = run::run_fixture(&f, Split::Whole);
    // "a\n\nb" is 4 bytes; not XML, so the core refuses it.
    assert_eq!(run.failures, Vec::<String>::new());
    let text = text.replace("status 400", "status 200");
    let run = run::run_fixture(&parse("t", "t.vector", &text), Split::Whole);
    assert!(run.failures[0].contains("400"), "{:?}", run.failures);
}

#[test]
fn test_jpegs_have_the_requested_length_and_valid_segments() {
    assert_eq!(&TINY_JPEG[..2], &[0xFF, 0xD8]);
    for n in [
        TINY_JPEG.len(),
        TINY_JPEG.len() + 4,
        1000,
        65_537 + 232,
        200_000,
        1_320_000,
    ] {
        let j = jpeg_of_len(n).unwrap_or_else(|| panic!("no JPEG of {n} bytes"));
        assert_eq!(j.len(), n);
        assert_eq!(&j[..2], &[0xFF, 0xD8]);
        assert_eq!(&j[n - 2..], &[0xFF, 0xD9]);
        // Walk the marker segments up to the scan: lengths must chain.
        let mut at = 2;
        loop {
            assert_eq!(j[at], 0xFF, "{n}: marker expected at {at}");
            let marker = j[at + 1];
            let len = usize::from(u16::from_be_bytes([j[at + 2], j[at + 3]]));
            at += 2 + len;
            if marker == 0xDA {
                break;
            }
        }
        assert_eq!(n - at, 3, "{n}: one byte of scan data, then EOI");
    }
    for n in [
        0,
        TINY_JPEG.len() - 1,
        TINY_JPEG.len() + 1,
        TINY_JPEG.len() + 3,
    ] {
        assert_eq!(jpeg_of_len(n), None, "{n}");
    }
}

#[test]
fn split_points_cover_the_request() {
    let req = vec![7u8; 300];
    assert_eq!(split_points(&req, Split::Whole, "f", 0), vec![0, 300]);
    assert_eq!(
        split_points(&req, Split::Bytes, "f", 0),
        (0..=300).collect::<Vec<_>>()
    );
    let a = split_points(&req, Split::Random(1), "f", 0);
    assert_eq!(
        a,
        split_points(&req, Split::Random(1), "f", 0),
        "deterministic"
    );
    assert!((3..=6).contains(&a.len()), "{a:?}");
    assert_eq!((a[0], *a.last().unwrap()), (0, 300));
    assert!(a.windows(2).all(|w| w[0] < w[1]));
    let others: Vec<Vec<usize>> = (0..8)
        .map(|i| split_points(&req, Split::Random(1), "f", i))
        .collect();
    assert!(others.iter().any(|o| *o != a), "cuts vary by request");
}

#[test]
fn the_simulated_frontend_reports_contract_violations() {
    use samsung_conformance::harness::{Sim, whitelist_config};
    let mut sim = Sim::new(whitelist_config(), fixture::DEFAULT_NOW_MS);
    // A head that never ends: the camera waits, nothing is answered.
    let (obs, errors) = sim.exchange(&[b"GET / HTTP/1.1\r\nHost: x\r\n"]);
    assert_eq!(obs.response, None);
    assert!(errors.iter().any(|e| e.contains("no answer")), "{errors:?}");

    // An upload whose body stops half-way (no EOF yet): the open file is
    // neither stored nor discarded, which the harness reports.
    let post = |path: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: snsgw.samsungmobile.com\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let login = post(
        "/youtube/auth",
        "<Request Method=\"login\"><UserName Value=\"x\"/><Password Value=\"z\"/><CryptSessionKey Use=\"true\"/></Request>",
    );
    let (obs, errors) = sim.exchange(&[login.as_bytes()]);
    assert!(errors.is_empty(), "{errors:?}");
    let answer = String::from_utf8(obs.response.unwrap()).unwrap();
    let key = answer.split("SessionKey=\"").nth(1).unwrap()[..32].to_string();
    let announce = post(
        "/youtube/photo",
        &format!("<Request SessionKey=\"{key}\"><Photo><File Name=\"a.jpg\"/></Photo></Request>"),
    );
    let (obs, errors) = sim.exchange(&[announce.as_bytes()]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(obs.response.unwrap().starts_with(b"HTTP/1.1 200"));
    let put = format!("PUT /upload/{key}/a.jpg HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345");
    let (obs, errors) = sim.exchange(&[put.as_bytes()]);
    assert_eq!(obs.response, None);
    assert!(obs.uploads.is_empty());
    assert!(errors.iter().any(|e| e.contains("no answer")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("left temporary files")),
        "{errors:?}"
    );
}
