//! How a batch becomes statuses: the instance's limits, which media share a
//! status, the texts of a thread, alt texts that fit.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{json, media_type};

/// Mastodon's default limit of attachments per status, assumed when the
/// instance does not say.
pub const DEFAULT_MAX_MEDIA_PER_STATUS: usize = 4;
/// Mastodon's limit of alt text characters, assumed when the instance does
/// not say.
pub const DEFAULT_DESCRIPTION_LIMIT: usize = 1500;

/// What an instance allows, from `GET /api/v2/instance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceLimits {
    /// `configuration.statuses.max_media_attachments` (GoToSocial: 6).
    pub max_media_attachments: usize,
    /// `configuration.media_attachments.description_limit`, in characters.
    pub description_limit: usize,
}

impl Default for InstanceLimits {
    fn default() -> Self {
        Self {
            max_media_attachments: DEFAULT_MAX_MEDIA_PER_STATUS,
            description_limit: DEFAULT_DESCRIPTION_LIMIT,
        }
    }
}

impl InstanceLimits {
    /// Reads the limits from an instance answer; a missing (or zero) value
    /// is the default. None if the answer has neither.
    pub fn parse(body: &str) -> Option<Self> {
        let read = |path: &[&str]| {
            json::path(body, path)
                .and_then(json::number)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n > 0)
        };
        let media = read(&["configuration", "statuses", "max_media_attachments"]);
        let description = read(&["configuration", "media_attachments", "description_limit"]);
        if media.is_none() && description.is_none() {
            return None;
        }
        let default = Self::default();
        Some(Self {
            max_media_attachments: media.unwrap_or(default.max_media_attachments),
            description_limit: description.unwrap_or(default.description_limit),
        })
    }
}

/// Whether a media of this type needs a status of its own: Mastodon refuses
/// a status with two videos, and a video (or audio) together with images.
pub fn needs_own_status(content_type: &str) -> bool {
    let t = media_type(content_type);
    t.starts_with("video/") || t.starts_with("audio/")
}

/// The media count of each status of a thread, in display order: runs of
/// up to `max_per_status` (0 counts as 1) consecutive media, a media that
/// [`needs_own_status`] alone. No media: one status without any.
pub fn thread_layout(own_status: &[bool], max_per_status: usize) -> Vec<usize> {
    let max = max_per_status.max(1);
    let mut parts: Vec<usize> = Vec::new();
    let mut open = false;
    for &alone in own_status {
        match parts.last_mut() {
            Some(n) if open && !alone && *n < max => *n += 1,
            _ => {
                parts.push(1);
                open = !alone;
            }
        }
    }
    if parts.is_empty() {
        parts.push(0);
    }
    parts
}

/// The text of each status of a thread: the first carries `text`, the
/// others say where they are (`(2/3)`), as the reference's posts do.
pub fn thread_texts(text: &str, parts: usize) -> Vec<String> {
    let parts = parts.max(1);
    let mut out = Vec::with_capacity(parts);
    out.push(String::from(text));
    for n in 2..=parts {
        out.push(format!("({n}/{parts})"));
    }
    out
}

/// The alt text to send: None for none or whitespace only (Mastodon would
/// store it as a description nobody can read), else cut to `limit`
/// characters on a character boundary, ending in `…` when cut.
pub fn alt_text(alt: Option<&str>, limit: usize) -> Option<Cow<'_, str>> {
    let alt = alt.filter(|a| !a.trim().is_empty())?;
    let Some((cut, _)) = alt.char_indices().nth(limit) else {
        return Some(Cow::Borrowed(alt));
    };
    if limit == 0 {
        return None;
    }
    // Room for the ellipsis: the character before the cut goes.
    let keep = alt
        .get(..cut)
        .and_then(|s| s.char_indices().next_back())
        .map_or(0, |(i, _)| i);
    let mut out = String::with_capacity(keep + 3);
    out.push_str(alt.get(..keep).unwrap_or_default());
    out.push('…');
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_table() {
        let (i, v) = (false, true);
        let cases: &[(&[bool], usize, &[usize])] = &[
            (&[], 4, &[0]),
            (&[i], 4, &[1]),
            (&[i, i, i, i], 4, &[4]),
            (&[i, i, i, i, i], 4, &[4, 1]),
            (&[i; 9], 4, &[4, 4, 1]),
            (&[i, i, i], 1, &[1, 1, 1]),
            (&[i, i], 0, &[1, 1]),
            (&[i; 6], 6, &[6]),
            (&[v, v], 4, &[1, 1]),
            (&[i, v, i], 4, &[1, 1, 1]),
            (&[i, i, v, i, i], 4, &[2, 1, 2]),
            (&[v], 4, &[1]),
        ];
        for (kinds, max, expect) in cases {
            assert_eq!(thread_layout(kinds, *max), *expect, "{kinds:?} max {max}");
        }
    }

    #[test]
    fn thread_texts_table() {
        assert_eq!(thread_texts("T", 0), ["T"]);
        assert_eq!(thread_texts("T", 1), ["T"]);
        assert_eq!(thread_texts("T", 3), ["T", "(2/3)", "(3/3)"]);
    }

    #[test]
    fn own_status_types() {
        for t in ["video/mp4", "Video/QuickTime; x=1", "audio/wav"] {
            assert!(needs_own_status(t), "{t}");
        }
        for t in ["image/jpeg", "image/gif", "", "application/octet-stream"] {
            assert!(!needs_own_status(t), "{t}");
        }
    }

    #[test]
    fn alt_texts_fit_the_limit() {
        let cases: &[(Option<&str>, usize, Option<&str>)] = &[
            (None, 10, None),
            (Some(""), 10, None),
            (Some(" \t\n"), 10, None),
            (Some("flower bed"), 10, Some("flower bed")),
            (Some("flower beds"), 10, Some("flower be…")),
            // Multi-byte characters at the cut: counted as characters, cut whole.
            (Some("äöüäöüäöüäöü"), 5, Some("äöüä…")),
            (Some("📷📷📷"), 2, Some("📷…")),
            (Some("ab"), 1, Some("…")),
            (Some("ab"), 0, None),
        ];
        for (alt, limit, expect) in cases {
            assert_eq!(
                alt_text(*alt, *limit).as_deref(),
                *expect,
                "{alt:?} {limit}"
            );
        }
    }

    #[test]
    fn instance_limits() {
        let body = r#"{"configuration":{"statuses":{"max_media_attachments":6},"media_attachments":{"description_limit":5000}}}"#;
        assert_eq!(
            InstanceLimits::parse(body),
            Some(InstanceLimits {
                max_media_attachments: 6,
                description_limit: 5000
            })
        );
        let only_media = r#"{"configuration":{"statuses":{"max_media_attachments":"2"}}}"#;
        assert_eq!(
            InstanceLimits::parse(only_media),
            Some(InstanceLimits {
                max_media_attachments: 2,
                description_limit: DEFAULT_DESCRIPTION_LIMIT
            })
        );
        for none in [
            "",
            "<html>",
            r#"{"configuration":{}}"#,
            r#"{"configuration":{"statuses":{"max_media_attachments":0}}}"#,
        ] {
            assert_eq!(InstanceLimits::parse(none), None, "{none}");
        }
    }
}
