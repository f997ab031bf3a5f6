//! Test support: a model of a Mastodon server that answers the bytes a
//! [`PostJob`] sends, with Mastodon's rules (media limit, one video per
//! status, `Idempotency-Key`) and its variants.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::*;
use crate::mastodon::{InstanceLimits, MAX_RESPONSE_BODY};

pub(super) const BASE: &str = "https://m.example";
pub(super) const TOKEN: &str = "alice_token";
/// The simulated clock's start: Unix milliseconds (2026-11-27).
pub(super) const START: u64 = 1_795_769_701_000;

/// How the server treats `Idempotency-Key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keys {
    /// A repeated key returns the first post's status.
    Honoured,
    /// A repeated key gets 500 (the known Mastodon bug).
    Error500,
    /// Ignored (Pixelfed).
    Ignored,
}

#[derive(Debug, Clone)]
pub(super) struct Media {
    pub id: String,
    /// Index of the job's file it came from.
    pub file: usize,
    pub description: Option<String>,
    pub polls_left: u32,
    pub attached: bool,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Status {
    pub id: String,
    pub text: String,
    pub media: Vec<String>,
    pub in_reply_to: Option<String>,
    pub visibility: Option<String>,
    pub created_ms: u64,
}

/// The server.
#[derive(Debug, Clone)]
pub(super) struct Model {
    pub keys: Keys,
    /// None: `/api/v2/instance` answers 404.
    pub limits: Option<InstanceLimits>,
    /// Ids as JSON numbers beyond 64 bits (Akkoma's are 128-bit).
    pub numeric_ids: bool,
    /// Polls a fresh upload stays processing (0: ready at once, 200).
    pub processing_polls: u32,
    /// Answer of verify_credentials / the account's statuses, if not 200.
    pub lookup_status: Option<u16>,
    /// Media of this type cannot share a status (Mastodon's video rule).
    pub enforce_video_rule: bool,
    pub next_id: u128,
    pub media: Vec<Media>,
    pub statuses: Vec<Status>,
    pub idempotency: BTreeMap<String, String>,
    /// `METHOD path` of every request received.
    pub log: Vec<String>,
    /// The content type of each file of the job (for the video rule).
    pub file_types: Vec<String>,
}

impl Model {
    pub(super) fn new(file_types: Vec<String>) -> Self {
        Self {
            keys: Keys::Honoured,
            limits: Some(InstanceLimits::default()),
            numeric_ids: false,
            processing_polls: 0,
            lookup_status: None,
            enforce_video_rule: true,
            next_id: 110_000_000_000_000_000,
            media: Vec::new(),
            statuses: Vec::new(),
            idempotency: BTreeMap::new(),
            log: Vec::new(),
            file_types,
        }
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        if self.numeric_ids {
            // Beyond u64: an id that went through an integer would change.
            format!("{}", self.next_id + u128::from(u64::MAX) * 1_000_000)
        } else {
            format!("{}", self.next_id)
        }
    }

    fn id_json(&self, id: &str) -> String {
        if self.numeric_ids {
            String::from(id)
        } else {
            format!("\"{id}\"")
        }
    }

    fn status_json(&self, s: &Status) -> String {
        let media: Vec<String> = s
            .media
            .iter()
            .map(|m| format!("{{\"id\":{},\"type\":\"image\"}}", self.id_json(m)))
            .collect();
        let reply = s
            .in_reply_to
            .as_deref()
            .map_or(String::from("null"), |r| self.id_json(r));
        let html = html(&s.text);
        format!(
            "{{\"id\":{},\"created_at\":\"{}\",\"in_reply_to_id\":{reply},\"account\":{{\"id\":\"1\"}},\"content\":\"{}\",\"url\":\"{BASE}/@alice/{}\",\"media_attachments\":[{}]}}",
            self.id_json(&s.id),
            crate::time::CivilTime::from_unix_millis(s.created_ms),
            json_escape(&html),
            s.id,
            media.join(",")
        )
    }

    /// Answers a request at `now`: status, body, `Retry-After`.
    pub(super) fn handle(&mut self, now: u64, req: &Request) -> (u16, String) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Request::new(&mut headers);
        let complete = parsed.parse(&req.head).expect("the head parses");
        assert!(complete.is_complete(), "a complete head");
        assert_eq!(complete.unwrap(), req.head.len(), "nothing after the head");
        let method = parsed.method.unwrap().to_string();
        let path = parsed.path.unwrap().to_string();
        let header = |name: &str| {
            parsed
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8(h.value.to_vec()).unwrap())
        };
        assert_eq!(header("host").as_deref(), Some("m.example"));
        assert_eq!(method, req.method);
        assert!(path.starts_with(&req.path), "{path} / {}", req.path);
        self.log
            .push(format!("{method} {}", path.split('?').next().unwrap()));
        if method == "POST" {
            let len: u64 = header("content-length").unwrap().parse().unwrap();
            assert_eq!(len, req.body.len(), "Content-Length matches the body");
        }
        let authorized = header("authorization").as_deref() == Some("Bearer alice_token");
        if path == "/api/v2/instance" {
            assert!(
                header("authorization").is_none(),
                "no token for public data"
            );
            return match self.limits {
                Some(l) => (
                    200,
                    format!(
                        "{{\"uri\":\"m.example\",\"configuration\":{{\"statuses\":{{\"max_characters\":500,\"max_media_attachments\":{}}},\"media_attachments\":{{\"description_limit\":{}}}}}}}",
                        l.max_media_attachments, l.description_limit
                    ),
                ),
                None => (404, String::from("{\"error\":\"Record not found\"}")),
            };
        }
        if !authorized {
            return (
                401,
                String::from("{\"error\":\"The access token is invalid\"}"),
            );
        }
        match (method.as_str(), path.as_str()) {
            ("POST", "/api/v2/media") => self.upload(req),
            ("POST", "/api/v1/statuses") => self.post_status(now, req, header("idempotency-key")),
            ("GET", "/api/v1/accounts/verify_credentials") => match self.lookup_status {
                Some(s) => (
                    s,
                    String::from("{\"error\":\"This action is outside the authorized scopes\"}"),
                ),
                None => (200, String::from("{\"id\":\"1\",\"username\":\"alice\"}")),
            },
            ("GET", p) if p.starts_with("/api/v1/accounts/1/statuses?limit=") => {
                if let Some(s) = self.lookup_status {
                    return (
                        s,
                        String::from(
                            "{\"error\":\"This action is outside the authorized scopes\"}",
                        ),
                    );
                }
                let limit: usize = p.rsplit('=').next().unwrap().parse().unwrap();
                let list: Vec<String> = self
                    .statuses
                    .iter()
                    .rev()
                    .take(limit)
                    .map(|s| self.status_json(s))
                    .collect();
                let body = format!("[{}]", list.join(","));
                assert!(body.len() <= MAX_RESPONSE_BODY);
                (200, body)
            }
            ("GET", p) if p.starts_with("/api/v1/media/") => {
                let id = &p["/api/v1/media/".len()..];
                let Some(m) = self
                    .media
                    .iter_mut()
                    .find(|m| m.id == id && !m.attached && !m.deleted)
                else {
                    return (404, String::from("{\"error\":\"Record not found\"}"));
                };
                let body = format!(
                    "{{\"id\":{},\"type\":\"image\"}}",
                    quote_id(self.numeric_ids, id)
                );
                if m.polls_left > 0 {
                    m.polls_left -= 1;
                    (206, body)
                } else {
                    (200, body)
                }
            }
            _ => (404, String::from("{\"error\":\"Record not found\"}")),
        }
    }

    fn upload(&mut self, req: &Request) -> (u16, String) {
        let (file, _) = req.body.file.expect("an upload streams a file");
        let prefix = core::str::from_utf8(&req.body.prefix).unwrap();
        let description = prefix
            .split_once("name=\"description\"\r\n\r\n")
            .map(|(_, rest)| rest.split_once("\r\n--").unwrap().0.to_string());
        assert!(prefix.contains("name=\"file\""));
        assert!(req.body.suffix.starts_with(b"\r\n--"));
        let id = self.new_id();
        self.media.push(Media {
            id: id.clone(),
            file,
            description,
            polls_left: self.processing_polls,
            attached: false,
            deleted: false,
        });
        let body = format!(
            "{{\"id\":{},\"type\":\"image\",\"url\":null}}",
            self.id_json(&id)
        );
        if self.processing_polls > 0 {
            (202, body)
        } else {
            (200, body)
        }
    }

    fn post_status(&mut self, now: u64, req: &Request, key: Option<String>) -> (u16, String) {
        let form = core::str::from_utf8(&req.body.prefix).unwrap();
        let fields = form_decode(form);
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let media: Vec<String> = fields
            .iter()
            .filter(|(n, _)| n == "media_ids[]")
            .map(|(_, v)| v.clone())
            .collect();
        if let Some(key) = &key
            && let Some(id) = self.idempotency.get(key).cloned()
        {
            match self.keys {
                Keys::Honoured => {
                    let s = self.statuses.iter().find(|s| s.id == id).unwrap().clone();
                    return (200, self.status_json(&s));
                }
                Keys::Error500 => {
                    return (
                        500,
                        String::from("{\"error\":\"An unexpected error occurred\"}"),
                    );
                }
                Keys::Ignored => {}
            }
        }
        let text = get("status").unwrap_or_default();
        let mut files = Vec::new();
        for id in &media {
            match self
                .media
                .iter()
                .find(|m| &m.id == id && !m.attached && !m.deleted)
            {
                Some(m) => files.push(m.file),
                None => {
                    return (
                        422,
                        String::from("{\"error\":\"Validation failed: media not found\"}"),
                    );
                }
            }
        }
        let max = self.limits.unwrap_or_default().max_media_attachments;
        if media.len() > max {
            return (
                422,
                String::from("{\"error\":\"Validation failed: too many media\"}"),
            );
        }
        let video = files.iter().any(|&f| {
            self.file_types
                .get(f)
                .is_some_and(|t| t.starts_with("video/"))
        });
        if self.enforce_video_rule && video && media.len() > 1 {
            return (
                422,
                String::from("{\"error\":\"Validation failed: a video goes alone\"}"),
            );
        }
        if text.trim().is_empty() && media.is_empty() {
            return (
                422,
                String::from("{\"error\":\"Validation failed: Text can't be blank\"}"),
            );
        }
        for m in self.media.iter_mut().filter(|m| media.contains(&m.id)) {
            m.attached = true;
        }
        let id = self.new_id();
        let status = Status {
            id: id.clone(),
            text,
            media,
            in_reply_to: get("in_reply_to_id"),
            visibility: get("visibility"),
            created_ms: now,
        };
        if let Some(key) = key {
            self.idempotency.insert(key, id);
        }
        let body = self.status_json(&status);
        self.statuses.push(status);
        (200, body)
    }

    /// A status posted outside the job; its id.
    pub(super) fn seed_status(&mut self, created_ms: u64, text: &str) -> String {
        let id = self.new_id();
        self.statuses.push(Status {
            id: id.clone(),
            text: String::from(text),
            media: Vec::new(),
            in_reply_to: None,
            visibility: None,
            created_ms,
        });
        id
    }

    /// File `file` uploaded (and ready) outside the job; its id.
    pub(super) fn upload_for_test(&mut self, file: usize) -> String {
        let id = self.new_id();
        self.media.push(Media {
            id: id.clone(),
            file,
            description: None,
            polls_left: 0,
            attached: false,
            deleted: false,
        });
        id
    }

    /// The files of each status, in order.
    pub(super) fn status_files(&self) -> Vec<Vec<usize>> {
        self.statuses
            .iter()
            .map(|s| {
                s.media
                    .iter()
                    .map(|id| self.media.iter().find(|m| &m.id == id).unwrap().file)
                    .collect()
            })
            .collect()
    }

    /// How many requests `METHOD path` the server received.
    pub(super) fn count(&self, what: &str) -> usize {
        self.log.iter().filter(|l| l.as_str() == what).count()
    }
}

fn quote_id(numeric: bool, id: &str) -> String {
    if numeric {
        String::from(id)
    } else {
        format!("\"{id}\"")
    }
}

/// Mastodon's rendering: paragraphs, line breaks, escaped text.
fn html(text: &str) -> String {
    let esc = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let paras: Vec<String> = esc
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", p.replace('\n', "<br />")))
        .collect();
    paras.concat()
}

fn json_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Form decoding as a server does it.
pub(super) fn form_decode(body: &str) -> Vec<(String, String)> {
    let dec = |s: &str| {
        String::from_utf8(crate::crypto::url_decode(&s.replace('+', " ")).unwrap()).unwrap()
    };
    body.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (dec(k), dec(v))
        })
        .collect()
}
