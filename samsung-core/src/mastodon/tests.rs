//! Tests of [`super`].

use super::*;
use crate::crypto::Secret;
use alloc::string::ToString;
use alloc::vec;
use proptest::prelude::*;

/// (name, file name, content type, data) of one parsed multipart part.
type Part = (Option<String>, Option<String>, Option<String>, Vec<u8>);
type HeadResult = Result<Option<ResponseHead>, MastodonError>;
type ChunkResult<'a> = Result<Option<&'a [u8]>, MastodonError>;

fn token() -> Secret<String> {
    Secret::new(String::from("alice_token"))
}

#[test]
fn split_alt_texts_table() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "Holiday shot!~fancy flower bed",
            "Holiday shot!",
            &["fancy flower bed"],
        ),
        ("A~alt1~alt2", "A", &["alt1", "alt2"]),
        ("C", "C", &[]),
        ("", "", &[]),
        ("A~", "A", &[""]),
        ("~only alt", "", &["only alt"]),
        (" spaced ~ alt ", " spaced ", &[" alt "]),
        ("a~~b", "a", &["", "b"]),
    ];
    for (content, caption, alts) in cases {
        let (c, a) = split_alt_texts(content);
        assert_eq!(c, *caption, "{content:?}");
        assert_eq!(a, *alts, "{content:?}");
    }
}

#[test]
fn status_text_table() {
    let ps = " #photography #SamsungNX";
    let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
        // V16 social path: caption, album (camera model), postscript.
        (
            "A",
            Some("NX300"),
            Some(ps),
            "A\n\n\u{1F4F7}\u{FE0F} NX300\n\n #photography #SamsungNX",
        ),
        // V6g e-mail path: no album.
        (
            "Holiday shot!",
            None,
            Some(ps),
            "Holiday shot!\n\n #photography #SamsungNX",
        ),
        ("A", Some(""), Some(ps), "A\n\n #photography #SamsungNX"),
        ("A", Some("NX mini"), None, "A\n\n\u{1F4F7}\u{FE0F} NX mini"),
        (
            "A",
            Some("NX mini"),
            Some(""),
            "A\n\n\u{1F4F7}\u{FE0F} NX mini",
        ),
        ("A", None, None, "A"),
        ("", None, None, ""),
    ];
    for (caption, album, postscript, expect) in cases {
        assert_eq!(
            status_text(caption, *album, *postscript),
            *expect,
            "{caption:?} {album:?} {postscript:?}"
        );
    }
    // The exact bytes of the reference's "\n\n📷️ ".
    let t = status_text("", Some("x"), None);
    assert_eq!(
        t.as_bytes(),
        b"\n\n\xF0\x9F\x93\xB7\xEF\xB8\x8F x".as_slice()
    );
}

#[test]
fn media_type_table() {
    let cases = [
        ("image/pjpeg", "image/jpeg"),
        ("image/pjpeg;", "image/jpeg"),
        ("IMAGE/PJPEG", "image/jpeg"),
        ("image/jpeg;", "image/jpeg"),
        ("Image/JPEG; charset=binary", "image/jpeg"),
        (" video/mp4 ", "video/mp4"),
        ("image/png", "image/png"),
        ("", "application/octet-stream"),
        ("image/jpeg\r\nX-Evil: 1", "application/octet-stream"),
        ("image/\"jpeg\"", "application/octet-stream"),
    ];
    for (input, expect) in cases {
        assert_eq!(media_type(input), expect, "{input:?}");
    }
    assert!(matches!(media_type("image/png"), Cow::Borrowed(_)));
}

#[test]
fn visibility_parse() {
    for v in [
        Visibility::Public,
        Visibility::Unlisted,
        Visibility::Private,
        Visibility::Direct,
    ] {
        assert_eq!(Visibility::parse(v.as_str()), Some(v));
    }
    assert_eq!(Visibility::parse("Unlisted"), Some(Visibility::Unlisted));
    assert_eq!(Visibility::parse("unlisted "), Some(Visibility::Unlisted));
    assert_eq!(Visibility::parse("followers"), None);
    assert_eq!(Visibility::parse(""), None);
}

#[test]
fn media_upload_chunked_head() {
    let t = token();
    let ep = Endpoint {
        host: "mastodon.example",
        base_path: "",
        token: &t,
    };
    let up = MediaUpload::new("XyZ123", "a.jpg", "image/jpeg", None, 0);
    assert_eq!(
        String::from_utf8(up.head_chunked(&ep)).unwrap(),
        "POST /api/v2/media HTTP/1.1\r\n\
Host: mastodon.example\r\n\
Authorization: Bearer alice_token\r\n\
Content-Type: multipart/form-data; boundary=XyZ123\r\n\
Transfer-Encoding: chunked\r\n\
User-Agent: samsung-bridge\r\n\
Connection: close\r\n\r\n"
    );
}

#[test]
fn media_upload_exact_bytes() {
    let t = token();
    let ep = Endpoint {
        host: "mastodon.example",
        base_path: "",
        token: &t,
    };
    let up = MediaUpload::new(
        "XyZ123",
        "SAM_0001.JPG",
        "image/pjpeg;",
        Some("fancy flower bed"),
        4,
    );
    let prefix = b"--XyZ123\r\n\
Content-Disposition: form-data; name=\"description\"\r\n\
\r\n\
fancy flower bed\r\n\
--XyZ123\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"SAM_0001.JPG\"\r\n\
Content-Type: image/jpeg\r\n\
\r\n";
    assert_eq!(
        String::from_utf8(up.body_prefix()).unwrap(),
        core::str::from_utf8(prefix).unwrap()
    );
    assert_eq!(up.body_suffix(), b"\r\n--XyZ123--\r\n");
    let len = (prefix.len() + 4 + 14) as u64;
    assert_eq!(up.content_length(), len);
    let head = alloc::format!(
        "POST /api/v2/media HTTP/1.1\r\n\
Host: mastodon.example\r\n\
Authorization: Bearer alice_token\r\n\
Content-Type: multipart/form-data; boundary=XyZ123\r\n\
Content-Length: {len}\r\n\
User-Agent: samsung-bridge\r\n\
Connection: close\r\n\r\n"
    );
    assert_eq!(String::from_utf8(up.head(&ep)).unwrap(), head);

    // Without description, under a base path, token with a trailing newline.
    let t = Secret::new(String::from("tok\n"));
    let ep = Endpoint {
        host: "127.0.0.1:3000",
        base_path: "/social/",
        token: &t,
    };
    let up = MediaUpload::new("b", "a.png", "image/png", None, 0);
    assert_eq!(
        up.body_prefix(),
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    );
    let head = String::from_utf8(up.head(&ep)).unwrap();
    assert!(head.starts_with("POST /social/api/v2/media HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nAuthorization: Bearer tok\r\n"), "{head}");
}

#[test]
fn hostile_names_and_descriptions_are_neutralised() {
    let up = MediaUpload::new(
        "bd",
        "a\"b\r\nc\\d\0.jpg",
        "image/jpeg",
        Some("line1\r\n--bd--\r\nline2\nx\"y"),
        0,
    );
    let p = String::from_utf8(up.body_prefix()).unwrap();
    assert!(p.contains("filename=\"a%22b%0D%0Ac%5Cd.jpg\"\r\n"), "{p}");
    // The description contains the boundary, so the boundary changes, not the text.
    assert_eq!(up.boundary(), "bd-1");
    assert!(
        p.contains("\r\n\r\nline1 --bd-- line2 x\"y\r\n--bd-1\r\n"),
        "{p}"
    );
    assert_eq!(up.body_suffix(), b"\r\n--bd-1--\r\n");
    let up = MediaUpload::new("bd", "f", "", Some("bd bd-1 bd-2"), 0);
    assert_eq!(up.boundary(), "bd-3");
    // Boundary characters outside the unquoted-safe set are removed; empty gets a default.
    assert_eq!(
        MediaUpload::new("a b\"c;d", "f", "", None, 0).boundary(),
        "abcd"
    );
    assert_eq!(
        MediaUpload::new("\r\n", "f", "", None, 0).boundary(),
        "samsung-bridge-boundary"
    );
    assert_eq!(
        MediaUpload::new(&"x".repeat(100), "f", "", None, 0)
            .boundary()
            .len(),
        MAX_BOUNDARY_LEN
    );
    // Empty file name still gives a filename parameter, so the part is a file.
    let p = String::from_utf8(MediaUpload::new("b", "", "", None, 0).body_prefix()).unwrap();
    assert!(p.contains("filename=\"file\""), "{p}");
}

/// Feeds a body through our own multipart parser; returns (name, file name, type, data) per part.
fn parse_multipart(boundary: &str, body: &[u8]) -> Vec<Part> {
    use crate::multipart::{MultipartEvent, MultipartParser};
    let mut parser = MultipartParser::new(boundary).unwrap();
    let mut parts = Vec::new();
    let mut ended = false;
    let mut handle = |ev: MultipartEvent<'_>, parts: &mut Vec<_>| match ev {
        MultipartEvent::PartStart(h) => {
            parts.push((h.name, h.file_name, h.content_type, Vec::new()))
        }
        MultipartEvent::Data(d) => parts.last_mut().unwrap().3.extend_from_slice(d),
        MultipartEvent::PartEnd => {}
        MultipartEvent::End => ended = true,
    };
    let mut rest = body;
    loop {
        let (used, ev) = parser.feed(rest).unwrap();
        rest = &rest[used..];
        match ev {
            Some(ev) => handle(ev, &mut parts),
            None => break,
        }
    }
    while let Some(ev) = parser.finish().unwrap() {
        handle(ev, &mut parts);
    }
    assert!(ended);
    parts
}

fn assemble(up: &MediaUpload, file: &[u8]) -> Vec<u8> {
    let mut body = up.body_prefix();
    body.extend_from_slice(file);
    body.extend_from_slice(&up.body_suffix());
    body
}

#[test]
fn upload_body_parses_with_our_multipart_parser() {
    let file = b"\xff\xd8\xff\xe0 jpeg --XyZ mid-line is data\r\n-XyZ \xff\xd9";
    let up = MediaUpload::new(
        "XyZ",
        "SAM_0001.JPG",
        "image/jpeg",
        Some("alt"),
        file.len() as u64,
    );
    let parts = parse_multipart(up.boundary(), &assemble(&up, file));
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0.as_deref(), Some("description"));
    assert_eq!(parts[0].3, b"alt");
    assert_eq!(parts[1].0.as_deref(), Some("file"));
    assert_eq!(parts[1].1.as_deref(), Some("SAM_0001.JPG"));
    assert_eq!(parts[1].2.as_deref(), Some("image/jpeg"));
    assert_eq!(parts[1].3, file);
}

#[test]
fn media_status_request_bytes() {
    let t = token();
    let ep = Endpoint {
        host: "m.example",
        base_path: "",
        token: &t,
    };
    assert_eq!(
        String::from_utf8(media_status_request(&ep, "110912345678")).unwrap(),
        "GET /api/v1/media/110912345678 HTTP/1.1\r\nHost: m.example\r\nAuthorization: Bearer alice_token\r\nUser-Agent: samsung-bridge\r\nConnection: close\r\n\r\n"
    );
    let evil = String::from_utf8(media_status_request(&ep, "1 HTTP/1.1\r\nX: y/../")).unwrap();
    assert!(
        evil.starts_with("GET /api/v1/media/1%20HTTP%2F1.1%0D%0AX%3A%20y%2F..%2F HTTP/1.1\r\n"),
        "{evil}"
    );
}

/// Form decoding as a server does it: split on '&' and '=', '+' is space, %XX bytes.
fn form_decode(body: &str) -> Vec<(String, String)> {
    fn dec(s: &str) -> String {
        let s = s.replace('+', " ");
        String::from_utf8(crate::crypto::url_decode(&s).unwrap()).unwrap()
    }
    body.split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (dec(k), dec(v))
        })
        .collect()
}

#[test]
fn status_request_bytes_and_round_trip() {
    let t = token();
    let ep = Endpoint {
        host: "m.example",
        base_path: "",
        token: &t,
    };
    let post = StatusPost {
        text: status_text("Tom & Jerry = 1+1 100%", Some("NX300"), Some("#a #b")),
        media_ids: vec![String::from("111"), String::from("222")],
        visibility: Some(Visibility::Unlisted),
        in_reply_to_id: Some(String::from("999")),
    };
    let form = status_form(&post);
    assert_eq!(
        form,
        "status=Tom+%26+Jerry+%3D+1%2B1+100%25%0A%0A%F0%9F%93%B7%EF%B8%8F+NX300%0A%0A%23a+%23b\
&media_ids%5B%5D=111&media_ids%5B%5D=222&visibility=unlisted&in_reply_to_id=999"
    );
    let fields = form_decode(&form);
    assert_eq!(
        fields,
        vec![
            ("status".to_string(), post.text.clone()),
            ("media_ids[]".to_string(), "111".to_string()),
            ("media_ids[]".to_string(), "222".to_string()),
            ("visibility".to_string(), "unlisted".to_string()),
            ("in_reply_to_id".to_string(), "999".to_string()),
        ]
    );
    let req = String::from_utf8(status_request(&ep, "key-1\r\n", &post)).unwrap();
    let expect_head = alloc::format!(
        "POST /api/v1/statuses HTTP/1.1\r\nHost: m.example\r\nAuthorization: Bearer alice_token\r\n\
Idempotency-Key: key-1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
User-Agent: samsung-bridge\r\nConnection: close\r\n\r\n",
        form.len()
    );
    assert_eq!(req, alloc::format!("{expect_head}{form}"));

    let minimal = StatusPost {
        text: String::new(),
        media_ids: vec![],
        visibility: None,
        in_reply_to_id: None,
    };
    assert_eq!(status_form(&minimal), "status=");
}

#[test]
fn json_string_field_table() {
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        (
            "media 200",
            r#"{"id":"22348641","type":"image","url":"https://files.example/a.jpg"}"#,
            "id",
            Some("22348641"),
        ),
        (
            "url",
            r#"{"id":"1","url":"https://files.example/a.jpg"}"#,
            "url",
            Some("https://files.example/a.jpg"),
        ),
        ("whitespace", " {\n \"id\" :\t\"7\" \n}", "id", Some("7")),
        (
            "nested id first",
            r#"{"account":{"id":"1","x":[{"id":"2"}]},"id":"3"}"#,
            "id",
            Some("3"),
        ),
        ("only nested", r#"{"account":{"id":"1"}}"#, "id", None),
        (
            "escaped quote",
            r#"{"text":"say \"id\":\"no\"","id":"ok"}"#,
            "id",
            Some("ok"),
        ),
        (
            "escapes in value",
            r#"{"url":"https:\/\/x\/a\"b\\c\u00e9\ud83d\udcf7"}"#,
            "url",
            Some("https://x/a\"b\\cé📷"),
        ),
        (
            "lone surrogate",
            r#"{"id":"a\ud800b"}"#,
            "id",
            Some("a\u{FFFD}b"),
        ),
        ("escaped key", r#"{"\u0069d":"k"}"#, "id", Some("k")),
        ("number", r#"{"id":12345,"x":1}"#, "id", Some("12345")),
        ("number last", r#"{"id":-1.5e3}"#, "id", Some("-1.5e3")),
        ("null", r#"{"id":null}"#, "id", None),
        ("object", r#"{"id":{"a":"b"}}"#, "id", None),
        ("absent", r#"{"type":"image"}"#, "id", None),
        ("empty object", "{}", "id", None),
        ("array top", r#"[{"id":"1"}]"#, "id", None),
        ("not json", "<html>502 Bad Gateway</html>", "id", None),
        ("truncated", r#"{"type":"image","id":"12"#, "id", None),
        (
            "brackets in strings",
            r#"{"a":"}]{[","b":["]",{"c":"}"}],"id":"9"}"#,
            "id",
            Some("9"),
        ),
        ("first wins", r#"{"id":"1","id":"2"}"#, "id", Some("1")),
        (
            "error body",
            r#"{"error":"The access token is invalid"}"#,
            "error",
            Some("The access token is invalid"),
        ),
    ];
    for (name, json, field, expect) in cases {
        assert_eq!(json_string_field(json, field).as_deref(), *expect, "{name}");
    }
    assert!(matches!(
        json_string_field(r#"{"id":"5"}"#, "id"),
        Some(Cow::Borrowed("5"))
    ));
}

#[test]
fn response_head_table() {
    let cases: &[(&str, &[u8], HeadResult)] = &[
        (
            "200 with length",
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"id\":\"1\"}",
            Ok(Some(ResponseHead { status: 200, content_length: Some(12), head_len: 71, chunked: false, retry_after: None })),
        ),
        (
            "202 chunked",
            b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            Ok(Some(ResponseHead { status: 202, content_length: None, head_len: 72, chunked: true, retry_after: None })),
        ),
        ("partial", b"HTTP/1.1 401 Unauth", Ok(None)),
        ("partial headers", b"HTTP/1.1 401 Unauthorized\r\nContent-Le", Ok(None)),
        ("no length", b"HTTP/1.0 500 Oops\r\n\r\n", Ok(Some(ResponseHead { status: 500, content_length: None, head_len: 21, chunked: false, retry_after: None }))),
        ("bad length", b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", Err(MastodonError::BadContentLength)),
        ("negative length", b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", Err(MastodonError::BadContentLength)),
        ("conflicting lengths", b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", Err(MastodonError::BadContentLength)),
        ("not http", b"SSH-2.0-OpenSSH\r\n\r\n", Err(MastodonError::BadResponse)),
    ];
    for (name, bytes, expect) in cases {
        assert_eq!(&parse_response_head(bytes), expect, "{name}");
    }
    let mut many = String::from("HTTP/1.1 200 OK\r\n");
    for i in 0..=MAX_RESPONSE_HEADERS {
        many.push_str(&alloc::format!("X-{i}: y\r\n"));
    }
    many.push_str("\r\n");
    assert_eq!(
        parse_response_head(many.as_bytes()),
        Err(MastodonError::TooManyHeaders)
    );
}

#[test]
fn chunked_table() {
    let cases: &[(&[u8], ChunkResult<'_>)] = &[
        (
            b"5\r\n{\"id\"\r\n6\r\n:\"12\"}\r\n0\r\n\r\n",
            Ok(Some(b"{\"id\":\"12\"}")),
        ),
        (b"a;ext=1\r\n0123456789\r\n0\r\n", Ok(Some(b"0123456789"))),
        (b"3\nabc\n0\n", Ok(Some(b"abc"))),
        (b"5\r\n{\"id\"\r\n", Ok(None)),
        (b"5\r\n{\"i", Ok(None)),
        (b"5\r\n{\"id\"\r", Ok(None)),
        (b"", Ok(None)),
        (b"zz\r\n", Err(MastodonError::BadChunk)),
        (b"\r\n", Err(MastodonError::BadChunk)),
        (b"3\r\nabcX\r\n", Err(MastodonError::BadChunk)),
        (b"fffffffff\r\n", Err(MastodonError::BadChunk)),
        (b"10001\r\n", Err(MastodonError::BodyTooLong)),
    ];
    for (bytes, expect) in cases {
        let got = decode_chunked(bytes);
        assert_eq!(
            got.as_ref().map(|o| o.as_deref()),
            expect.as_ref().map(|o| *o),
            "{bytes:?}"
        );
    }
}

#[test]
fn read_answer_table() {
    let media = r#"{"id":"22348641","type":"image","url":null}"#;
    let cases: &[(u16, &str, ApiAnswer)] = &[
        (200, media, ApiAnswer::Done(String::from("22348641"))),
        (202, media, ApiAnswer::Processing(String::from("22348641"))),
        (206, media, ApiAnswer::Processing(String::from("22348641"))),
        (
            200,
            r#"{"id":110912345678901234567890}"#,
            ApiAnswer::Done(String::from("110912345678901234567890")),
        ),
        (200, "", ApiAnswer::Permanent(200)),
        (202, "<html>", ApiAnswer::Permanent(202)),
        (100, media, ApiAnswer::Permanent(100)),
        (
            401,
            r#"{"error":"The access token is invalid"}"#,
            ApiAnswer::Permanent(401),
        ),
        (403, "", ApiAnswer::Permanent(403)),
        (404, "", ApiAnswer::Permanent(404)),
        (
            422,
            r#"{"error":"Validation failed"}"#,
            ApiAnswer::Permanent(422),
        ),
        (302, "", ApiAnswer::Permanent(302)),
        (408, "", ApiAnswer::Retry),
        (425, "", ApiAnswer::Retry),
        (429, r#"{"error":"Too many requests"}"#, ApiAnswer::Retry),
        (500, media, ApiAnswer::Retry),
        (502, "<html>", ApiAnswer::Retry),
        (503, "", ApiAnswer::Retry),
        (599, "", ApiAnswer::Retry),
    ];
    for (status, body, expect) in cases {
        assert_eq!(&read_answer(*status, body), expect, "{status} {body}");
    }
}

#[test]
fn failure_reasons_name_the_step_and_the_server_text() {
    let f = response::answer_failure(
        "uploading SAM_0001.JPG",
        401,
        r#"{"error":"The access token is invalid"}"#,
        None,
    );
    assert_eq!(
        f.reason,
        "uploading SAM_0001.JPG: HTTP 401: The access token is invalid"
    );
    assert!(f.is_permanent());
    let f = response::answer_failure(
        "posting the status",
        503,
        "",
        Some(crate::time::Duration::from_secs(7)),
    );
    assert_eq!(f.reason, "posting the status: HTTP 503");
    assert!(!f.is_permanent());
    assert_eq!(f.retry_after, Some(crate::time::Duration::from_secs(7)));
    let long = "x".repeat(300);
    let f = response::answer_failure("w", 502, &alloc::format!("<html>\n{long}"), None);
    assert_eq!(f.reason.chars().count(), "w: HTTP 502: ".len() + 200 + 1);
    assert!(f.reason.starts_with("w: HTTP 502: <html> xxx") && f.reason.ends_with("x…"));
}

#[test]
fn base_urls() {
    let ok = |url: &str, tls: bool, host: &str, port: u16, authority: &str, path: &str| {
        let b = BaseUrl::parse(url).unwrap();
        assert_eq!(
            (
                b.tls,
                b.host.as_str(),
                b.port,
                b.authority.as_str(),
                b.base_path.as_str()
            ),
            (tls, host, port, authority, path),
            "{url}"
        );
    };
    ok(
        "https://mastodon.social",
        true,
        "mastodon.social",
        443,
        "mastodon.social",
        "",
    );
    ok(
        "HTTP://127.0.0.1:3000/",
        false,
        "127.0.0.1",
        3000,
        "127.0.0.1:3000",
        "",
    );
    ok(
        "https://example.org/social/",
        true,
        "example.org",
        443,
        "example.org",
        "/social",
    );
    ok(
        "http://[::1]:8080/a/b",
        false,
        "::1",
        8080,
        "[::1]:8080",
        "/a/b",
    );
    ok(
        "https://[2001:db8::1]",
        true,
        "2001:db8::1",
        443,
        "[2001:db8::1]",
        "",
    );
    let bad: &[(&str, BaseUrlError)] = &[
        ("mastodon.social", BaseUrlError::Scheme),
        ("ftp://x", BaseUrlError::Scheme),
        ("https://", BaseUrlError::NoHost),
        ("https://:443", BaseUrlError::NoHost),
        ("https://x:0", BaseUrlError::BadPort),
        ("https://x:08", BaseUrlError::BadPort),
        ("https://x:+8", BaseUrlError::BadPort),
        ("https://x:70000", BaseUrlError::BadPort),
        ("https://x:", BaseUrlError::BadPort),
        ("https://[::1]x", BaseUrlError::BadPort),
        ("https://[::1", BaseUrlError::NoHost),
        ("https://u:p@x", BaseUrlError::BadCharacters),
        ("https://x/?q", BaseUrlError::BadCharacters),
        ("https://x y", BaseUrlError::BadCharacters),
    ];
    for (url, err) in bad {
        assert_eq!(BaseUrl::parse(url), Err(*err), "{url}");
    }
    let t = token();
    let b = BaseUrl::parse("http://127.0.0.1:3000/social").unwrap();
    let head = String::from_utf8(media_status_request(&b.endpoint(&t), "7")).unwrap();
    assert!(
        head.starts_with("GET /social/api/v1/media/7 HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n"),
        "{head}"
    );
}

#[test]
fn lookup_and_instance_requests() {
    let t = token();
    let ep = Endpoint {
        host: "m.example",
        base_path: "",
        token: &t,
    };
    assert_eq!(
        String::from_utf8(instance_request(&ep)).unwrap(),
        "GET /api/v2/instance HTTP/1.1\r\nHost: m.example\r\nUser-Agent: samsung-bridge\r\nConnection: close\r\n\r\n",
        "the instance is asked without the token"
    );
    assert_eq!(
        String::from_utf8(verify_credentials_request(&ep)).unwrap(),
        "GET /api/v1/accounts/verify_credentials HTTP/1.1\r\nHost: m.example\r\nAuthorization: Bearer alice_token\r\nUser-Agent: samsung-bridge\r\nConnection: close\r\n\r\n"
    );
    assert!(
        String::from_utf8(account_statuses_request(&ep, "1 0", 5))
            .unwrap()
            .starts_with("GET /api/v1/accounts/1%200/statuses?limit=5 HTTP/1.1\r\n")
    );
}

proptest! {
    #[test]
    fn upload_lengths_and_framing(
        file_name in "\\PC{0,40}|[\"\\\\\r\n a-z.]{0,20}",
        description in proptest::option::of("\\PC{0,80}|[\"\r\n -]{0,30}"),
        boundary in "[A-Za-z0-9]{8,30}",
        content_type in "[a-z/;\" \r\n]{0,20}",
        file in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let t = token();
        let ep = Endpoint { host: "h", base_path: "", token: &t };
        let up = MediaUpload::new(&boundary, &file_name, &content_type, description.as_deref(), file.len() as u64);
        let body = assemble(&up, &file);
        prop_assert_eq!(up.content_length(), body.len() as u64);
        let head = String::from_utf8(up.head(&ep)).unwrap();
        let declared = alloc::format!("\r\nContent-Length: {}\r\n", body.len());
        prop_assert!(head.contains(&declared));
        // The prefix has exactly the delimiter lines we wrote: nothing a
        // name or description contains can start a line with "--boundary".
        let prefix = String::from_utf8(up.body_prefix()).unwrap();
        let delim = alloc::format!("--{}", up.boundary());
        let delim_lines = prefix.split(['\r', '\n']).filter(|l| l.starts_with(&delim)).count();
        prop_assert_eq!(delim_lines, 1 + usize::from(description.is_some()));
        prop_assert_eq!(prefix.matches('\n').count(), if description.is_some() { 8 } else { 4 });
        // A file without the delimiter in it comes back exactly.
        let needle = alloc::format!("\r\n--{}", up.boundary());
        if !file.windows(needle.len()).any(|w| w == needle.as_bytes()) && !file.starts_with(&needle.as_bytes()[2..]) {
            let parts = parse_multipart(up.boundary(), &body);
            let file_part = parts.last().unwrap();
            prop_assert_eq!(file_part.0.as_deref(), Some("file"));
            prop_assert_eq!(&file_part.3, &file);
            if let Some(d) = &description {
                prop_assert_eq!(parts.len(), 2);
                let got = String::from_utf8(parts[0].3.clone()).unwrap();
                let expect: String = d.chars().filter(|c| !c.is_control()).collect();
                let got_no_space: String = got.chars().filter(|c| *c != ' ').collect();
                let expect_no_space: String = expect.chars().filter(|c| *c != ' ').collect();
                prop_assert_eq!(got_no_space, expect_no_space);
            }
        }
    }

    #[test]
    fn status_form_round_trip(text in "\\PC{0,100}|[&=+%\n\r ~]{0,20}",
                              ids in proptest::collection::vec("[0-9]{1,18}", 0..5)) {
        let post = StatusPost { text: text.clone(), media_ids: ids.clone(), visibility: Some(Visibility::Public), in_reply_to_id: None };
        let form = status_form(&post);
        prop_assert!(form.bytes().all(|b| b.is_ascii_graphic()));
        let fields = form_decode(&form);
        prop_assert_eq!(&fields[0], &(String::from("status"), text));
        let got_ids: Vec<String> = fields.iter().filter(|(k, _)| k == "media_ids[]").map(|(_, v)| v.clone()).collect();
        prop_assert_eq!(got_ids, ids);
    }

    #[test]
    fn json_finds_serialised_id(id in "\\PC{0,30}", filler in "[a-z]{0,10}") {
        // A JSON serialiser's escaping of `id`, behind a nested decoy.
        let mut esc = String::new();
        for c in id.chars() {
            match c {
                '"' => esc.push_str("\\\""),
                '\\' => esc.push_str("\\\\"),
                c if (c as u32) < 0x20 => esc.push_str(&alloc::format!("\\u{:04x}", c as u32)),
                c => esc.push(c),
            }
        }
        let json = alloc::format!(r#"{{"account":{{"id":"decoy","{filler}":[1,2]}},"id":"{esc}"}}"#);
        let got = json_string_field(&json, "id");
        prop_assert_eq!(got.as_deref(), Some(id.as_str()));
    }

    #[test]
    fn json_never_panics(s in "\\PC{0,200}|[{}\\[\\]\",:\\\\ idu0-9]{0,60}") {
        let _ = json_string_field(&s, "id");
        let _ = read_answer(200, &s);
    }

    #[test]
    fn chunked_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300), sizes in proptest::collection::vec(1usize..50, 1..10)) {
        let mut enc = Vec::new();
        let mut rest = &data[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            enc.extend_from_slice(alloc::format!("{n:x}\r\n").as_bytes());
            enc.extend_from_slice(&rest[..n]);
            enc.extend_from_slice(b"\r\n");
            rest = &rest[n..];
            i += 1;
        }
        enc.extend_from_slice(b"0\r\n\r\n");
        prop_assert_eq!(decode_chunked(&enc), Ok(Some(data)));
        // Every strict prefix is incomplete, never an error or a wrong body.
        for cut in 0..enc.len().saturating_sub(4) {
            prop_assert_eq!(decode_chunked(&enc[..cut]), Ok(None));
        }
    }
}
