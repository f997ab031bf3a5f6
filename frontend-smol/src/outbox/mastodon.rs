//! Mastodon jobs over ureq: media uploads (streamed from disk, polled while
//! processing), then the status or thread, each step recorded before the next.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::Path;
use std::time::{Duration, Instant};

use samsung_core::mastodon::{
    ApiAnswer as Outcome, MediaUpload, StatusPost, json_string_field, read_answer as classify,
    status_form, status_text, thread_texts,
};
use tracing::{debug, info};
use ureq::SendBody;

use super::lock;
use super::store::{self, JobProgress, MastodonSpec, MediaProgress, PostedStatus, StoredFile};
use super::worker::{Attempt, Failure, Stop};
use crate::config::MastodonConfig;

/// Longest answer body read (Mastodon's JSON is a few KiB).
const MAX_BODY: u64 = 64 * 1024;
/// Longest pause between two polls of a media still processing.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// The `Idempotency-Key` of thread part `part` (0-based) of job `job_id`:
/// stable across attempts and restarts, unique per status.
pub(crate) fn idempotency_key(job_id: &str, part: usize) -> String {
    format!("samsung-bridge-{job_id}-{part}")
}

/// One attempt at a Mastodon job; Ok(summary) when every status is posted.
pub(crate) fn run(
    a: &Attempt<'_>,
    spec: &MastodonSpec,
    st: &mut JobProgress,
) -> Result<String, Stop> {
    let cfg = a
        .shared
        .settings
        .mastodon
        .get(&spec.instance)
        .ok_or_else(|| {
            Failure::permanent(format!(
                "no [{}] section in the configuration",
                store::with_instance("MASTODON", spec.instance.as_deref())
            ))
        })?;
    let api = Api::new(&a.shared.agent, cfg);

    if st.media.len() != spec.media.len() {
        st.media.resize(spec.media.len(), MediaProgress::Pending);
    }
    // The thread layout is fixed before anything is posted, so a retry
    // after a change of the instance's limit cannot re-split it.
    let per_status = match st.per_status {
        Some(n) => n,
        None => {
            let n = media_limit(a, &api);
            st.per_status = Some(n);
            a.save(st)?;
            n
        }
    };

    for (i, m) in spec.media.iter().enumerate() {
        if !st.statuses.is_empty() {
            // Posted already (the media are attached): nothing to upload.
            break;
        }
        if matches!(st.media[i], MediaProgress::Pending) {
            st.media[i] = api.upload(&a.dir.join(&m.file), m)?;
            a.save(st)?;
        }
        if let MediaProgress::Processing(id) = st.media[i].clone() {
            match api.wait_processed(a, &id)? {
                Processed::Ready => st.media[i] = MediaProgress::Done(id),
                Processed::Gone => {
                    st.media[i] = MediaProgress::Pending;
                    a.save(st)?;
                    return Err(Failure::transient(format!(
                        "media {id} disappeared while processing; uploading it again"
                    ))
                    .into());
                }
            }
            a.save(st)?;
        }
    }

    let ids: Vec<String> = st
        .media
        .iter()
        .filter_map(|m| match m {
            MediaProgress::Done(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let text = status_text(
        &spec.caption,
        spec.album.as_deref(),
        cfg.postscript.as_deref(),
    );
    let texts = thread_texts(&text, ids.len().div_ceil(per_status.max(1)));
    let chunks: Vec<&[String]> = if ids.is_empty() {
        vec![&[]]
    } else {
        ids.chunks(per_status.max(1)).collect()
    };
    let parts = texts.len();
    for (k, (text, media_ids)) in texts.into_iter().zip(chunks).enumerate() {
        if k < st.statuses.len() {
            continue;
        }
        let post = StatusPost {
            text,
            media_ids: media_ids.to_vec(),
            visibility: cfg.visibility,
            in_reply_to_id: st.statuses.last().map(|s| s.id.clone()),
        };
        let posted = api.post_status(&idempotency_key(&a.job.id, k), &post)?;
        let part = if parts > 1 {
            format!(" (part {}/{parts})", k + 1)
        } else {
            String::new()
        };
        info!(
            job = %a.job.id,
            target = %a.job.target(),
            "posted {}{part} as status {} ({})",
            spec.source,
            posted.id,
            posted.url.as_deref().unwrap_or("no url")
        );
        st.statuses.push(posted);
        a.save(st)?;
    }
    let links: Vec<&str> = st
        .statuses
        .iter()
        .map(|s| s.url.as_deref().unwrap_or(&s.id))
        .collect();
    Ok(format!(
        "{} {}",
        if links.len() == 1 { "status" } else { "thread" },
        links.join(" ")
    ))
}

/// Attachments per status: the configured maximum, lowered to what the
/// instance advertises (asked once per base URL; not asked again if it answered).
fn media_limit(a: &Attempt<'_>, api: &Api<'_>) -> usize {
    let setting = a.shared.settings.max_media_per_status.max(1);
    if let Some(&n) = lock(&a.shared.instance_limits).get(api.base) {
        return setting.min(n);
    }
    match api.instance_media_limit() {
        Some(n) => {
            lock(&a.shared.instance_limits).insert(api.base.to_owned(), n);
            setting.min(n)
        }
        None => setting,
    }
}

/// The outcome of waiting for Mastodon's processing of a media upload.
#[derive(Debug, PartialEq, Eq)]
enum Processed {
    Ready,
    /// 404: Mastodon dropped it; upload again.
    Gone,
}

/// An answer, read.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
    retry_after: Option<Duration>,
}

impl Reply {
    /// `HTTP 503: Service temporarily unavailable`.
    fn describe(&self) -> String {
        let detail = json_string_field(&self.body, "error")
            .map(|e| store::excerpt(&e, 200))
            .unwrap_or_else(|| store::excerpt(&self.body, 200));
        if detail.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            format!("HTTP {}: {detail}", self.status)
        }
    }

    fn failure(&self, what: &str, outcome: &Outcome) -> Failure {
        let reason = format!("{what}: {}", self.describe());
        match outcome {
            Outcome::Retry => {
                Failure::transient(reason).with_retry_after(self.retry_after.map(Into::into))
            }
            _ => Failure::permanent(reason),
        }
    }
}

/// One instance's API, as one account. Not `Debug`: it holds the token.
struct Api<'a> {
    agent: &'a ureq::Agent,
    base: &'a str,
    bearer: String,
}

impl<'a> Api<'a> {
    fn new(agent: &'a ureq::Agent, cfg: &'a MastodonConfig) -> Api<'a> {
        // The token file is read again per attempt: after `samsung-bridge
        // mastodon-login` wrote a new token, `outbox retry` needs no restart.
        // Its first line is the token (Mastodon.py's format, any generation).
        let fresh = cfg
            .token_file
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| t.lines().next().map(|l| l.trim().to_owned()))
            .filter(|t| !t.is_empty());
        let token = fresh.as_deref().unwrap_or(cfg.token.expose());
        Api {
            agent,
            base: cfg.base_url.trim().trim_end_matches('/'),
            // A token read from a file usually ends in a newline.
            bearer: format!("Bearer {}", token.trim()),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn read(
        &self,
        what: &str,
        r: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply, Failure> {
        let mut resp = r.map_err(|e| transport_failure(what, &e))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| Failure::transient(format!("{what}: reading the answer: {e}")))?;
        Ok(Reply {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            retry_after,
        })
    }

    /// `POST /api/v2/media`, the file streamed from disk.
    fn upload(&self, path: &Path, m: &StoredFile) -> Result<MediaProgress, Stop> {
        let what = format!("uploading {}", m.file_name);
        let file = File::open(path)
            .map_err(|e| Failure::permanent(format!("{what}: {}: {e}", path.display())))?;
        let len = file
            .metadata()
            .map_err(|e| Failure::transient(format!("{what}: {e}")))?
            .len();
        let content_type = super::content_type(m.content_type.as_deref(), &m.file_name);
        let boundary = format!(
            "samsung-bridge-{:08x}{:08x}",
            store::random_u32(),
            store::random_u32()
        );
        let alt = m.alt.as_deref().filter(|a| !a.trim().is_empty());
        let up = MediaUpload::new(&boundary, &m.file_name, &content_type, alt, len);
        let body = io::Cursor::new(up.body_prefix())
            .chain(file.take(len))
            .chain(io::Cursor::new(up.body_suffix()));
        let r = self
            .agent
            .post(self.url("/api/v2/media"))
            .header("Authorization", &self.bearer)
            .header("Accept", "application/json")
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={}", up.boundary()),
            )
            .header("Content-Length", up.content_length().to_string())
            .send(SendBody::from_owned_reader(body));
        let reply = self.read(&what, r)?;
        match classify(reply.status, &reply.body) {
            Outcome::Done(id) => {
                debug!("uploaded {} as media {id}", m.file_name);
                Ok(MediaProgress::Done(id))
            }
            Outcome::Processing(id) => {
                debug!("uploaded {} as media {id}, processing", m.file_name);
                Ok(MediaProgress::Processing(id))
            }
            o => Err(reply.failure(&what, &o).into()),
        }
    }

    /// Polls `GET /api/v1/media/:id` until 200, for at most `media_processing_wait`.
    fn wait_processed(&self, a: &Attempt<'_>, id: &str) -> Result<Processed, Stop> {
        let what = format!("waiting for media {id}");
        let limit = a.shared.settings.media_processing_wait;
        let deadline = Instant::now() + limit;
        let mut delay = a.shared.settings.backoff_base.min(Duration::from_secs(1));
        loop {
            if !a.sleep(delay) {
                return Err(Stop::Interrupted);
            }
            let r = self
                .agent
                .get(self.url(&format!("/api/v1/media/{}", path_segment(id))))
                .header("Authorization", &self.bearer)
                .header("Accept", "application/json")
                .call();
            let reply = self.read(&what, r)?;
            if reply.status == 404 {
                return Ok(Processed::Gone);
            }
            match classify(reply.status, &reply.body) {
                Outcome::Done(_) if reply.status == 200 => return Ok(Processed::Ready),
                Outcome::Done(_) | Outcome::Processing(_) => {}
                o => return Err(reply.failure(&what, &o).into()),
            }
            if Instant::now() + delay >= deadline {
                return Err(Failure::transient(format!(
                    "media {id} still processing after {} s",
                    limit.as_secs()
                ))
                .into());
            }
            delay = (delay * 2).min(MAX_POLL_INTERVAL);
        }
    }

    /// `POST /api/v1/statuses` with an `Idempotency-Key`.
    fn post_status(&self, key: &str, post: &StatusPost) -> Result<PostedStatus, Stop> {
        let what = "posting the status";
        let r = self
            .agent
            .post(self.url("/api/v1/statuses"))
            .header("Authorization", &self.bearer)
            .header("Accept", "application/json")
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(status_form(post));
        let reply = self.read(what, r)?;
        match classify(reply.status, &reply.body) {
            Outcome::Done(id) | Outcome::Processing(id) => Ok(PostedStatus {
                id,
                url: json_string_field(&reply.body, "url").map(|u| u.into_owned()),
            }),
            o => Err(reply.failure(what, &o).into()),
        }
    }

    /// `configuration.statuses.max_media_attachments` of `GET /api/v2/instance`; None if unknown.
    fn instance_media_limit(&self) -> Option<usize> {
        let r = self
            .agent
            .get(self.url("/api/v2/instance"))
            .header("Accept", "application/json")
            .call();
        let reply = self.read("asking the instance's limits", r).ok()?;
        if reply.status != 200 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&reply.body).ok()?;
        let n = v
            .pointer("/configuration/statuses/max_media_attachments")?
            .as_u64()?;
        usize::try_from(n).ok().filter(|&n| n > 0)
    }
}

/// Connection-level errors are transient, except a URL that can never work.
fn transport_failure(what: &str, e: &ureq::Error) -> Failure {
    let reason = format!("{what}: {e}");
    match e {
        ureq::Error::BadUri(_)
        | ureq::Error::Http(_)
        | ureq::Error::InvalidProxyUrl
        | ureq::Error::RequireHttpsOnly(_) => Failure::permanent(reason),
        _ => Failure::transient(reason),
    }
}

/// Percent-encodes all but RFC 3986 unreserved characters.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_segments() {
        assert_eq!(
            idempotency_key("20261127T085501.123Z-3fa9c2d1", 1),
            "samsung-bridge-20261127T085501.123Z-3fa9c2d1-1"
        );
        assert_eq!(path_segment("123"), "123");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn reply_description() {
        let r = Reply {
            status: 401,
            body: r#"{"error":"The access token is invalid"}"#.into(),
            retry_after: None,
        };
        assert_eq!(r.describe(), "HTTP 401: The access token is invalid");
        let f = r.failure("posting", &Outcome::Permanent(401));
        assert!(f.is_permanent());
        let r = Reply {
            status: 503,
            body: String::new(),
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(r.describe(), "HTTP 503");
        let f = r.failure("posting", &Outcome::Retry);
        assert!(!f.is_permanent());
        assert_eq!(f.retry_after, Some(Duration::from_secs(7).into()));
    }
}
