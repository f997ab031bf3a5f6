//! Recognising a status among the account's newest ones, after a post whose
//! outcome is unknown (a 5xx, a lost answer, a crash): Mastodon answers a
//! repeated `Idempotency-Key` with 500 in some versions, and Pixelfed
//! ignores the key, so posting again is not safe.

use alloc::string::String;
use alloc::vec::Vec;

use super::PostedStatus;
use crate::mastodon::json;
use crate::time::{Duration, Instant};

/// How many of the account's newest statuses are searched: the status
/// looked for is the newest one of the job, and a page of this size stays
/// well within the answer size limit.
pub(crate) const LOOKUP_PAGE: usize = 5;

/// A text-only status is recognised by its text and reply target, so one
/// older than the job cannot be it; this much clock difference between
/// us and the server is tolerated.
const CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// What the status looked for has.
#[derive(Debug)]
pub(crate) struct Expected<'a> {
    /// Its media ids (any order); empty for a text-only status.
    pub media_ids: Vec<&'a str>,
    /// The status it replies to.
    pub in_reply_to: Option<&'a str>,
    /// Its text, as posted.
    pub text: &'a str,
    /// The job's creation (Unix epoch), when known.
    pub not_before: Option<Instant>,
}

/// The status of `statuses` (an answer of `GET /api/v1/accounts/:id/statuses`)
/// that is the one expected.
pub(crate) fn find(statuses: &str, expected: &Expected<'_>) -> Option<PostedStatus> {
    json::items(statuses)
        .find(|s| matches(s, expected))
        .and_then(|s| {
            Some(PostedStatus {
                id: json::text_field(s, "id")?.into_owned(),
                url: json::text_field(s, "url").map(Into::into),
            })
        })
}

fn matches(status: &str, expected: &Expected<'_>) -> bool {
    let mut media: Vec<String> = json::field(status, "media_attachments")
        .map(|list| {
            json::items(list)
                .filter_map(|m| json::text_field(m, "id").map(Into::into))
                .collect()
        })
        .unwrap_or_default();
    if !expected.media_ids.is_empty() {
        // A media id belongs to one status only: nothing else to compare.
        let mut want: Vec<&str> = expected.media_ids.clone();
        media.sort_unstable();
        want.sort_unstable();
        return media == want;
    }
    if !media.is_empty() {
        return false;
    }
    let reply = json::text_field(status, "in_reply_to_id");
    if reply.as_deref() != expected.in_reply_to {
        return false;
    }
    let old = expected.not_before.is_some_and(|t| {
        json::text_field(status, "created_at")
            .and_then(|c| unix_millis(&c))
            .is_some_and(|c| c.saturating_add(CLOCK_SKEW.as_millis()) < t.as_millis())
    });
    if old {
        return false;
    }
    let want = words(expected.text);
    // `text` is the source some servers include; `content` is HTML.
    json::text_field(status, "text").is_some_and(|t| words(&t) == want)
        || json::text_field(status, "content").is_some_and(|c| words(&visible_text(&c)) == want)
}

/// The text with every run of whitespace made one space: HTML rendering
/// turns line breaks into paragraphs.
fn words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// What a reader sees of a status's HTML: tags dropped (line and paragraph
/// breaks become spaces), entities decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(rest.get(..i).unwrap_or_default());
        let tail = rest.get(i..).unwrap_or_default();
        if tail.starts_with('<') {
            let end = tail.find('>').map_or(tail.len(), |e| e + 1);
            let name = tail
                .get(1..end)
                .unwrap_or_default()
                .trim_start_matches('/')
                .split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .unwrap_or_default();
            if name.eq_ignore_ascii_case("br") || name.eq_ignore_ascii_case("p") {
                out.push(' ');
            }
            rest = tail.get(end..).unwrap_or_default();
        } else {
            let (c, used) = entity(tail);
            out.push(c);
            rest = tail.get(used..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    out
}

/// The character an entity at the start of `s` stands for, and its length
/// (a lone `&` stands for itself).
fn entity(s: &str) -> (char, usize) {
    let end = s.get(..12).unwrap_or(s).find(';');
    let Some(end) = end else {
        return ('&', 1);
    };
    let name = s.get(1..end).unwrap_or_default();
    let c = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => name
            .strip_prefix('#')
            .and_then(|n| match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => n.parse().ok(),
            })
            .and_then(char::from_u32),
    };
    match c {
        Some(c) => (c, end + 1),
        None => ('&', 1),
    }
}

/// Unix milliseconds of an RFC 3339 time (`2026-11-27T08:55:01.123Z`,
/// offsets allowed); None if it is not one.
pub(crate) fn unix_millis(t: &str) -> Option<u64> {
    let b = t.as_bytes();
    let num = |r: core::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut ms = 0i64;
    if b.get(i) == Some(&b'.') {
        let digits = b
            .get(i + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let frac = t.get(i + 1..i + 1 + digits.min(3))?;
        ms = frac.parse::<i64>().ok()? * 10i64.pow(3 - u32::try_from(frac.len()).ok()?);
        i += 1 + digits;
    }
    let offset_min = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b.get(i + 3) == Some(&b':') => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'+' { m } else { -m }
        }
        _ => return None,
    };
    // Fields out of range (month 13, hour 24) are refused by `to_unix_millis`.
    let utc = crate::time::CivilTime {
        year: y,
        month: u32::try_from(mo).ok()?,
        day: u32::try_from(d).ok()?,
        hour: u32::try_from(h).ok()?,
        minute: u32::try_from(mi).ok()?,
        second: u32::try_from(s).ok()?,
        millis: u32::try_from(ms).ok()?,
    }
    .to_unix_millis()?;
    // The local time minus its offset is UTC.
    let offset_ms = offset_min * 60_000;
    u64::try_from(i64::try_from(utc).ok()?.checked_sub(offset_ms)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let cases = [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2026-11-27T08:55:01.123Z", Some(1_795_769_701_123)),
            ("2026-11-27T08:55:01.1Z", Some(1_795_769_701_100)),
            ("2026-11-27T08:55:01.123456Z", Some(1_795_769_701_123)),
            ("2026-11-27T09:55:01+01:00", Some(1_795_769_701_000)),
            ("2000-02-29T00:00:00Z", Some(951_782_400_000)),
            ("2026-11-27", None),
            ("2026-13-27T08:55:01Z", None),
            ("2026-11-27T08:55:01", None),
            ("2026-11-27T08:55:01Zjunk", None),
            ("+026-11-27T08:55:01Z", None),
            ("1969-12-31T23:59:59Z", None),
            ("2026-11-27T08:55:01.Z", None),
        ];
        for (t, expect) in cases {
            assert_eq!(unix_millis(t), expect, "{t}");
        }
    }

    #[test]
    fn html_as_text() {
        let content = "<p>Tom &amp; Jerry &lt;3</p><p><a href=\"https://m.example/tags/samsung\" class=\"mention hashtag\" rel=\"tag\">#<span>samsung</span></a><br />line&#39;s &#x1F4F7; &bogus; &</p>";
        assert_eq!(
            words(&visible_text(content)),
            "Tom & Jerry <3 #samsung line's \u{1F4F7} &bogus; &"
        );
        assert_eq!(visible_text("a<b"), "a");
    }

    #[test]
    fn finds_by_media_or_by_text_and_reply() {
        let list = r#"[
          {"id":"9","url":"https://m/9","in_reply_to_id":null,"content":"<p>Hello</p><p>world</p>","created_at":"2026-11-27T09:00:00.000Z","media_attachments":[]},
          {"id":"8","url":"https://m/8","in_reply_to_id":"7","content":"<p>(2/2)</p>","media_attachments":[{"id":"m3"},{"id":"m2"}]},
          {"id":"6","url":null,"in_reply_to_id":null,"content":"<p>Old</p>","created_at":"2020-01-01T00:00:00Z","media_attachments":[]}
        ]"#;
        let found =
            |media_ids: &[&'static str], reply: Option<&'static str>, text: &'static str| {
                find(
                    list,
                    &Expected {
                        media_ids: media_ids.to_vec(),
                        in_reply_to: reply,
                        text,
                        not_before: Some(Instant::from_millis(1_795_769_701_123)),
                    },
                )
                .map(|s| s.id)
            };
        assert_eq!(
            found(&["m2", "m3"], Some("7"), "(2/2)").as_deref(),
            Some("8")
        );
        assert_eq!(found(&["m2"], Some("7"), "(2/2)"), None);
        assert_eq!(found(&[], None, "Hello\n\nworld").as_deref(), Some("9"));
        assert_eq!(found(&[], Some("1"), "Hello\n\nworld"), None);
        assert_eq!(found(&[], None, "Hello"), None);
        assert_eq!(found(&[], None, "Old"), None, "older than the job");
        assert_eq!(
            find(
                list,
                &Expected {
                    media_ids: Vec::new(),
                    in_reply_to: None,
                    text: "Old",
                    not_before: None
                }
            )
            .map(|s| s.url),
            Some(None)
        );
    }
}
