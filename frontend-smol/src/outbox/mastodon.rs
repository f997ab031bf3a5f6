//! Mastodon jobs: the core's [`PostJob`] decides, this drives it: one
//! request at a time over [`super::http`], progress stored durably when
//! the job says so, the instance's limits cached per base URL, waits that
//! a shutdown interrupts.

use std::path::PathBuf;

use samsung_core::mastodon::{MediaSpec, PostEvent, PostJob, PostOptions, PostSpec};
use samsung_core::media;
use samsung_core::time::Instant;
use tracing::{debug, info, warn};

use samsung_host::outbox::disk::{self, JobProgress, MastodonSpec};
use samsung_host::outbox::save_progress;

use super::worker::{Attempt, Failure, Stop};
use super::{OutboxSettings, http};
use crate::config::{MastodonConfig, TokenFile};

/// One attempt at a Mastodon job; Ok(summary) when every status is posted.
pub(crate) fn run(
    a: &Attempt<'_>,
    spec: &MastodonSpec,
    st: &mut JobProgress,
) -> Result<String, Stop> {
    let settings = a.settings();
    let cfg = settings.mastodon.get(&spec.instance).ok_or_else(|| {
        Failure::permanent(format!(
            "no [{}] section in the configuration",
            disk::with_instance("MASTODON", spec.instance.as_deref())
        ))
    })?;
    let limits = a.outbox.instance_limits(&cfg.base_url);
    let mut job = PostJob::new(
        now(),
        post_spec(a, spec, cfg),
        st.mastodon.clone(),
        &cfg.base_url,
        token(cfg),
        limits,
        options(settings),
    );
    let (id, target) = (&a.job.id, a.job.target());
    loop {
        while let Some(event) = job.poll_event() {
            match event {
                PostEvent::ProgressChanged => {
                    st.mastodon = job.progress().clone();
                    save_progress(a.dir, st)?;
                }
                PostEvent::InstanceLimits(l) => {
                    a.outbox.set_instance_limits(&cfg.base_url, l);
                }
                PostEvent::MediaUploaded {
                    media,
                    id: media_id,
                    processing,
                } => {
                    let name = spec.media.get(media).map_or("", |m| m.file_name.as_str());
                    let more = if processing { ", processing" } else { "" };
                    debug!(job = %id, "uploaded {name} as media {media_id}{more}");
                }
                PostEvent::LookupUnavailable { reason } => warn!(
                    job = %id,
                    target = %target,
                    "cannot look for the status posted without an answer ({reason}); \
                     posting it again under the same Idempotency-Key"
                ),
                PostEvent::StatusPosted {
                    part,
                    parts,
                    status,
                    found,
                } => {
                    let part = if parts > 1 {
                        format!(" (part {}/{parts})", part + 1)
                    } else {
                        String::new()
                    };
                    let found = if found {
                        ", found after a post without an answer"
                    } else {
                        ""
                    };
                    info!(
                        job = %id,
                        target = %target,
                        "posted {}{part} as status {} ({}){found}",
                        spec.source,
                        status.id,
                        status.url.as_deref().unwrap_or("no url")
                    );
                }
                PostEvent::Finished { summary } => return Ok(summary),
                PostEvent::Failed(f) => return Err(f.into()),
                _ => {}
            }
        }
        if let Some(req) = job.poll_request(random_u64()) {
            let Some(server) = job.server().cloned() else {
                continue;
            };
            let file = req
                .body
                .file
                .and_then(|(i, _)| spec.media.get(i))
                .map(|m| a.dir.join(&m.file));
            match http::exchange(&server, &req, file.as_deref(), settings.http_timeout) {
                Ok(answer) => {
                    job.handle_response(now(), answer.status, &answer.body, answer.retry_after)
                }
                Err(e) => job.handle_transport_error(now(), e.kind, &e.detail),
            }
            continue;
        }
        let Some(due) = job.poll_timeout() else {
            return Err(Failure::transient("the post job stopped without an outcome").into());
        };
        if !a.sleep(due.saturating_since(now()).into()) {
            return Err(Stop::Interrupted);
        }
        job.handle_timeout(now());
    }
}

/// The job's clock: Unix milliseconds, like `created_ms`.
fn now() -> Instant {
    Instant::from_millis(disk::now_ms())
}

fn random_u64() -> u64 {
    u64::from(disk::random_u32()) << 32 | u64::from(disk::random_u32())
}

fn options(s: &OutboxSettings) -> PostOptions {
    PostOptions {
        max_media_per_status: s.max_media_per_status,
        poll_interval: s.backoff_base.into(),
        processing_wait: s.media_processing_wait.into(),
    }
}

fn post_spec(a: &Attempt<'_>, spec: &MastodonSpec, cfg: &MastodonConfig) -> PostSpec {
    let media = spec
        .media
        .iter()
        .map(|m| {
            let path: PathBuf = a.dir.join(&m.file);
            MediaSpec {
                file_name: m.file_name.clone(),
                content_type: media::content_type(m.content_type.as_deref(), &m.file_name)
                    .into_owned(),
                alt: m.alt.clone(),
                // Unreadable: the upload's open fails and says why.
                len: std::fs::metadata(&path).map_or(0, |md| md.len()),
            }
        })
        .collect();
    PostSpec {
        job_id: a.job.id.clone(),
        caption: spec.caption.clone(),
        album: spec.album.clone(),
        postscript: cfg.postscript.clone(),
        visibility: cfg.visibility,
        media,
        created: Some(Instant::from_millis(a.job.created_ms)),
    }
}

/// The token file is read again per attempt: after `samsung-bridge
/// mastodon-login` wrote a new token, `outbox retry` needs no restart.
fn token(cfg: &MastodonConfig) -> samsung_core::crypto::Secret<String> {
    cfg.token_file
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| TokenFile::parse(&text).ok())
        .map_or_else(|| cfg.token.clone(), |f| f.token)
}
