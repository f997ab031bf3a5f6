//! quick-xml as the strict oracle of the tolerant XML scanner: wherever it
//! reads a document, the scanner must extract the same values. Used by
//! the xml tests and the `xml` fuzz target.

use crate::xml::*;
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::{string::ToString, vec::Vec};
use quick_xml::events::Event;

fn valid_name(n: &str) -> bool {
    n.as_bytes().first().is_some_and(|&c| is_name_start(c)) && n.bytes().all(is_name_char)
}

/// Every event of `doc` if quick-xml reads it without error and it
/// is within what XML allows but quick-xml does not check (names, `<`
/// in attribute values); `None` otherwise. DTDs are out of scope.
pub fn events(doc: &str) -> Option<Vec<Event<'_>>> {
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
            Event::PI(p) if !p.as_bytes().first().is_some_and(|&c| is_name_start(c)) => {
                return None;
            }
            Event::DocType(_) => return None,
            _ => {}
        }
        out.push(ev);
    }
}

/// Attribute of the first `element`: `Some(None)` if absent, `None`
/// if quick-xml cannot decode it.
pub fn attr(events: &[Event<'_>], element: &str, attr: &str) -> Option<Option<String>> {
    for ev in events {
        if let Event::Start(e) | Event::Empty(e) = ev {
            if e.name().as_ref() != element {
                continue;
            }
            for a in e.attributes() {
                let a = a.ok()?;
                if a.key.as_ref() == attr {
                    // Entity decoding only: our scanner keeps
                    // whitespace as sent (see the module docs).
                    return Some(Some(
                        quick_xml::escape::unescape(&a.value).ok()?.into_owned(),
                    ));
                }
            }
            return Some(None);
        }
    }
    Some(None)
}

/// Text of every outermost `element`, stopping at an unclosed one;
/// `None` if a reference cannot be resolved.
pub fn texts(events: &[Event<'_>], element: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for ev in events {
        match (&mut cur, ev) {
            (None, Event::Start(e)) if e.name().as_ref() == element => {
                cur = Some((1, String::new()))
            }
            (None, Event::Empty(e)) if e.name().as_ref() == element => out.push(String::new()),
            (Some((d, _)), Event::Start(e)) if e.name().as_ref() == element => *d += 1,
            (Some((d, t)), Event::End(e)) if e.name().as_ref() == element => {
                *d -= 1;
                if *d == 0 {
                    out.push(core::mem::take(t));
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

pub const ELEMENTS: [&str; 14] = [
    "a",
    "b",
    "File",
    "FileName",
    "Content",
    "Request",
    "receiver",
    "body",
    "UserName",
    "CryptSessionKey",
    "Album",
    "sender",
    "title",
    "Photo",
];
pub const ATTRS: [&str; 7] = [
    "Name",
    "NameX",
    "Value",
    "SessionKey",
    "Method",
    "Version",
    "v",
];

/// A scanned value is never longer than the input, and a borrowed one is a
/// slice of it.
#[allow(clippy::ptr_arg)] // it checks which variant the value is
fn within(doc: &str, v: &Cow<'_, str>) {
    assert!(v.len() <= doc.len(), "decoded value longer than the input");
    if let Cow::Borrowed(b) = v {
        assert!(b.is_empty() || doc.as_bytes().as_ptr_range().contains(&b.as_ptr()));
    }
}

/// The scanner's invariants on any document (the `xml` fuzz target and the
/// property tests): agreement with quick-xml wherever it reads the
/// document, consistent typed parsers, `escape` round trips. Returns how
/// many values were compared with quick-xml.
pub fn check(doc: &str) -> usize {
    let parsed = events(doc);
    let mut compared = 0;
    for el in ELEMENTS {
        let all = texts_iter(doc, el).collect::<Vec<_>>();
        assert_eq!(
            text(doc, el),
            all.first().cloned(),
            "text vs texts for {el}"
        );
        all.iter().for_each(|t| within(doc, t));
        if let Some(want) = parsed.as_ref().and_then(|evs| texts(evs, el)) {
            let got: Vec<String> = all.iter().map(|t| t.to_string()).collect();
            assert_eq!(got, want, "texts({el}) of {doc:?}");
            compared += 1;
        }
        for at in ATTRS {
            let got = crate::xml::attr(doc, el, at);
            if let Some(v) = &got {
                within(doc, v);
            }
            if let Some(want) = parsed.as_ref().and_then(|evs| attr(evs, el, at)) {
                assert_eq!(got.map(String::from), want, "attr({el}, {at}) of {doc:?}");
                compared += 1;
            }
        }
    }
    let within_len = doc.len() <= MAX_XML_LEN;
    match parse_auth(doc) {
        Ok(a) => {
            assert_eq!(
                a.user,
                crate::xml::attr(doc, "UserName", "Value").map(String::from)
            );
            assert!(
                a.crypt_session_key
                    .as_ref()
                    .is_none_or(|k| !k.trim().is_empty())
            );
        }
        Err(e) => assert!(matches!(e, XmlError::NotARequest | XmlError::TooLarge)),
    }
    if let Ok(m) = parse_announce(doc, MediaKind::Video) {
        assert!(within_len && !m.session_key.is_empty() && !m.file_name.is_empty());
        assert_eq!(m.kind, MediaKind::Video);
    }
    if let Ok(m) = parse_email(doc) {
        assert!(within_len && !m.sender.is_empty() && m.sender.trim() == m.sender);
        assert!(!m.receivers.is_empty() && m.receivers.len() <= MAX_RECEIVERS);
        assert!(m.receivers.iter().all(|r| !r.is_empty() && r.trim() == r));
        assert!(m.body.trim() == m.body && m.title.trim() == m.title);
    }
    if let Ok(u) = parse_user_auth(doc) {
        assert!(within_len && !u.login_id.is_empty());
    }
    // escape() output reads back as the input, for us and for quick-xml.
    let e = escape(doc);
    let wrapped = alloc::format!("<a v=\"{e}\">{e}</a>");
    assert_eq!(crate::xml::attr(&wrapped, "a", "v").as_deref(), Some(doc));
    assert_eq!(text(&wrapped, "a").as_deref(), Some(doc));
    if let Some(evs) = events(&wrapped) {
        assert_eq!(attr(&evs, "a", "v"), Some(Some(String::from(doc))));
    }
    compared
}
