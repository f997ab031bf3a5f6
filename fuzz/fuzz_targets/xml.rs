//! The tolerant XML scanner against arbitrary input, with quick-xml as the
//! strict oracle: wherever quick-xml reads a document (and it is within what
//! XML allows but quick-xml does not check), our values must be the same.
#![no_main]

use quick_xml::events::Event;
use samsung_core::xml::{self, MediaKind, XmlError};
use std::borrow::Cow;

const ELEMENTS: [&str; 12] = [
    "Request", "UserName", "CryptSessionKey", "File", "FileName", "Album", "Content", "sender",
    "receiver", "body", "a", "b",
];
const ATTRS: [&str; 6] = ["Name", "Value", "SessionKey", "Method", "Version", "v"];

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
}

fn valid_name(n: &str) -> bool {
    n.as_bytes().first().is_some_and(|&c| is_name_start(c))
        && n.bytes().all(|c| is_name_start(c) || c.is_ascii_digit() || c == b'-' || c == b'.')
}

/// All events, or `None` if quick-xml fails or the document holds what XML
/// forbids but quick-xml lets through (odd names, `<` in attribute values,
/// PIs without a target). DTDs are out of scope.
fn events(doc: &str) -> Option<Vec<Event<'_>>> {
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut out = Vec::new();
    loop {
        let ev = reader.read_event().ok()?;
        match &ev {
            Event::Eof => return Some(out),
            Event::Start(e) | Event::Empty(e) => {
                if !valid_name(e.name().as_ref()) {
                    return None;
                }
                for a in e.attributes().with_checks(true) {
                    let a = a.ok()?;
                    if !valid_name(a.key.as_ref()) || a.value.contains('<') {
                        return None;
                    }
                }
            }
            Event::End(e) if !valid_name(e.name().as_ref()) => return None,
            Event::PI(p) if !p.as_bytes().first().is_some_and(|&c| is_name_start(c)) => return None,
            Event::DocType(_) => return None,
            _ => {}
        }
        out.push(ev);
    }
}

/// Attribute of the first `element` (entity-decoded, no whitespace
/// normalisation, like the scanner); `None` if quick-xml cannot decode it.
fn qx_attr(events: &[Event<'_>], element: &str, attr: &str) -> Option<Option<String>> {
    for ev in events {
        if let Event::Start(e) | Event::Empty(e) = ev {
            if e.name().as_ref() != element {
                continue;
            }
            for a in e.attributes() {
                let a = a.ok()?;
                if a.key.as_ref() == attr {
                    return Some(Some(quick_xml::escape::unescape(&a.value).ok()?.into_owned()));
                }
            }
            return Some(None);
        }
    }
    Some(None)
}

/// Text of every outermost `element`, stopping at an unclosed one.
fn qx_texts(events: &[Event<'_>], element: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for ev in events {
        match (&mut cur, ev) {
            (None, Event::Start(e)) if e.name().as_ref() == element => cur = Some((1, String::new())),
            (None, Event::Empty(e)) if e.name().as_ref() == element => out.push(String::new()),
            (Some((d, _)), Event::Start(e)) if e.name().as_ref() == element => *d += 1,
            (Some((d, t)), Event::End(e)) if e.name().as_ref() == element => {
                *d -= 1;
                if *d == 0 {
                    out.push(std::mem::take(t));
                    cur = None;
                }
            }
            (Some((_, t)), Event::Text(x)) => t.push_str(x),
            (Some((_, t)), Event::CData(x)) => t.push_str(x),
            (Some((_, t)), Event::GeneralRef(r)) => match r.resolve_char_ref().ok()? {
                Some(c) => t.push(c),
                None => t.push_str(quick_xml::escape::resolve_predefined_entity(r)?),
            },
            _ => {}
        }
    }
    Some(out)
}

fn within(doc: &str, v: &Cow<'_, str>) {
    assert!(v.len() <= doc.len(), "decoded value longer than the input");
    if let Cow::Borrowed(b) = v {
        // Borrowed values are slices of the input.
        assert!(b.is_empty() || doc.as_bytes().as_ptr_range().contains(&b.as_ptr()));
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let doc = String::from_utf8_lossy(data);
    let doc: &str = &doc;
    let parsed = events(doc);

    for el in ELEMENTS {
        let all: Vec<Cow<'_, str>> = xml::texts_iter(doc, el).collect();
        assert_eq!(xml::text(doc, el), all.first().cloned(), "text() is the first of texts()");
        all.iter().for_each(|t| within(doc, t));
        if let Some(want) = parsed.as_ref().and_then(|evs| qx_texts(evs, el)) {
            let got: Vec<String> = all.iter().map(|t| t.to_string()).collect();
            assert_eq!(got, want, "texts({el})");
        }
        for at in ATTRS {
            let got = xml::attr(doc, el, at);
            if let Some(v) = &got {
                within(doc, v);
            }
            if let Some(want) = parsed.as_ref().and_then(|evs| qx_attr(evs, el, at)) {
                assert_eq!(got.map(String::from), want, "attr({el}, {at})");
            }
        }
    }

    let within_len = doc.len() <= xml::MAX_XML_LEN;
    match xml::parse_auth(doc) {
        Ok(a) => {
            assert_eq!(a.user, xml::attr(doc, "UserName", "Value").map(String::from));
            assert!(a.crypt_session_key.as_ref().is_none_or(|k| !k.trim().is_empty()));
        }
        Err(e) => assert!(matches!(e, XmlError::NotARequest | XmlError::TooLarge)),
    }
    if let Ok(m) = xml::parse_announce(doc, MediaKind::Video) {
        assert!(within_len && !m.session_key.is_empty() && !m.file_name.is_empty());
        assert_eq!(m.kind, MediaKind::Video);
    }
    if let Ok(m) = xml::parse_email(doc) {
        assert!(within_len && !m.sender.is_empty() && m.sender.trim() == m.sender);
        assert!(!m.receivers.is_empty() && m.receivers.len() <= xml::MAX_RECEIVERS);
        assert!(m.receivers.iter().all(|r| !r.is_empty() && r.trim() == r));
        assert!(m.body.trim() == m.body && m.title.trim() == m.title);
    }
    if let Ok(u) = xml::parse_user_auth(doc) {
        assert!(within_len && !u.login_id.is_empty());
    }

    // escape() output reads back as the input, for us and for quick-xml.
    let e = xml::escape(doc);
    let wrapped = format!("<a v=\"{e}\">{e}</a>");
    assert_eq!(xml::attr(&wrapped, "a", "v").as_deref(), Some(doc));
    assert_eq!(xml::text(&wrapped, "a").as_deref(), Some(doc));
    if let Some(evs) = events(&wrapped) {
        assert_eq!(qx_attr(&evs, "a", "v"), Some(Some(doc.to_string())));
    }
});
