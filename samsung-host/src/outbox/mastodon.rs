//! Mastodon jobs: the core's [`PostJob`] decides, this drives it: one
//! request at a time over the frontend's [`MastodonTransport`], progress
//! stored durably when the job says so, the instance's limits cached per
//! base URL, waits that the frontend may cut short (shutdown).
//!
//! The transport is the only thing a frontend brings: the daemon sends
//! over its own HTTP/1.1 + rustls client on a worker thread, the WASI
//! component over `wasi:http`. Both run this same driver.

use std::path::{Path, PathBuf};
use std::time::Duration;

use samsung_core::config::{MastodonConfig, TokenFile};
use samsung_core::crypto::Secret;
use samsung_core::mastodon::{
    BaseUrl, MediaSpec, PostEvent, PostJob, PostOptions, PostSpec, Request, TransportErrorKind,
};
use samsung_core::media;
use samsung_core::time::{Duration as CoreDuration, Instant};
use tracing::{debug, info, warn};

use super::disk::{self, JobSpec, MastodonSpec};
use super::{Attempt, Failure, Outbox, OutboxSettings, Stop};
use crate::clock;

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, de-chunked, at most `samsung_core::mastodon::MAX_RESPONSE_BODY` bytes.
    pub body: Vec<u8>,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<CoreDuration>,
}

/// Why a request got no answer; `detail` is for the failure's reason (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What kind of failure (the core's retry policy depends on it).
    pub kind: TransportErrorKind,
    /// What happened, for the job's `last_error`.
    pub detail: String,
}

impl TransportError {
    /// A failure of `kind`, explained by `detail`.
    pub fn new(kind: TransportErrorKind, detail: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            detail: detail.into(),
        }
    }
}

/// How a frontend sends a post job's requests and waits between them.
///
/// Both frontends run a job on one thread (a worker thread blocking on it,
/// or a single-threaded WASI executor), so the futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait MastodonTransport {
    /// Sends `req` to `server` and reads the answer: `req.head`, then
    /// `req.body.prefix`, then — when `req.body.file` is `Some((_, len))` —
    /// the first `len` bytes of `file` streamed from disk, then
    /// `req.body.suffix`. `req.head` carries the token: never log it.
    async fn exchange(
        &mut self,
        server: &BaseUrl,
        req: &Request,
        file: Option<&Path>,
    ) -> Result<Answer, TransportError>;

    /// Waits `d` (a media upload still processing); false when the frontend
    /// is stopping, which interrupts the attempt (it resumes at the next
    /// start, not counted as a failure).
    async fn sleep(&mut self, d: Duration) -> bool;
}

/// One attempt at a Mastodon job; Ok(summary) when every status is posted.
/// Progress is saved in `attempt` (and on disk) as it is made.
pub async fn run<T: MastodonTransport>(
    outbox: &Outbox,
    attempt: &mut Attempt,
    transport: &mut T,
) -> Result<String, Stop> {
    let JobSpec::Mastodon(spec) = &attempt.job.spec else {
        return Err(Failure::permanent("not a Mastodon job").into());
    };
    let settings = outbox.settings();
    let cfg = settings.mastodon.get(&spec.instance).ok_or_else(|| {
        Failure::permanent(format!(
            "no [{}] section in the configuration",
            disk::with_instance("MASTODON", spec.instance.as_deref())
        ))
    })?;
    let mut job = PostJob::new(
        clock::now(),
        post_spec(
            &attempt.dir,
            &attempt.job.id,
            attempt.job.created_ms,
            spec,
            cfg,
        ),
        attempt.progress.mastodon.clone(),
        &cfg.base_url,
        token(cfg),
        outbox.instance_limits(&cfg.base_url),
        options(settings),
    );
    let (id, target) = (&attempt.job.id, attempt.job.target());
    loop {
        while let Some(event) = job.poll_event() {
            match event {
                PostEvent::ProgressChanged => {
                    attempt.progress.mastodon = job.progress().clone();
                    super::save_progress(&attempt.dir, &attempt.progress)?;
                }
                PostEvent::InstanceLimits(l) => outbox.set_instance_limits(&cfg.base_url, l),
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
                .map(|m| attempt.dir.join(&m.file));
            match transport.exchange(&server, &req, file.as_deref()).await {
                Ok(answer) => job.handle_response(
                    clock::now(),
                    answer.status,
                    &answer.body,
                    answer.retry_after,
                ),
                Err(e) => job.handle_transport_error(clock::now(), e.kind, &e.detail),
            }
            continue;
        }
        let Some(due) = job.poll_timeout() else {
            return Err(Failure::transient("the post job stopped without an outcome").into());
        };
        if !transport
            .sleep(due.saturating_since(clock::now()).into())
            .await
        {
            return Err(Stop::Interrupted);
        }
        job.handle_timeout(clock::now());
    }
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

fn post_spec(
    dir: &Path,
    job_id: &str,
    created_ms: u64,
    spec: &MastodonSpec,
    cfg: &MastodonConfig,
) -> PostSpec {
    let media = spec
        .media
        .iter()
        .map(|m| {
            let path: PathBuf = dir.join(&m.file);
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
        job_id: job_id.to_owned(),
        caption: spec.caption.clone(),
        album: spec.album.clone(),
        postscript: cfg.postscript.clone(),
        visibility: cfg.visibility,
        media,
        created: Some(Instant::from_millis(created_ms)),
    }
}

/// The token file is read again per attempt: after `samsung-bridge
/// mastodon-login` wrote a new token, `outbox retry` needs no restart.
fn token(cfg: &MastodonConfig) -> Secret<String> {
    cfg.token_file
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| TokenFile::parse(&text).ok())
        .map_or_else(|| cfg.token.clone(), |f| f.token)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use samsung_core::mastodon::MediaProgress;

    use super::*;
    use crate::outbox::{MediaFile, Step};
    use crate::testutil::scratch;

    /// A Mastodon instance in a few lines: answers by method and path,
    /// refuses the first status post with a 503, and records what it got.
    #[derive(Default)]
    struct Scripted {
        sent: Vec<String>,
        keys: Vec<String>,
        streamed: Vec<Vec<u8>>,
        statuses_refused: usize,
        sleeps: Vec<Duration>,
        /// Media uploads answer 202 (still processing).
        processing: bool,
        /// What `sleep` returns (false: the frontend is stopping).
        keep_running: bool,
    }

    impl MastodonTransport for Scripted {
        async fn exchange(
            &mut self,
            server: &BaseUrl,
            req: &Request,
            file: Option<&Path>,
        ) -> Result<Answer, TransportError> {
            assert_eq!(server.host, "m.example");
            let head = String::from_utf8_lossy(&req.head).into_owned();
            if let Some(key) = head
                .lines()
                .find_map(|l| l.strip_prefix("Idempotency-Key: "))
            {
                self.keys.push(key.to_owned());
            }
            if let (Some((_, len)), Some(path)) = (req.body.file, file) {
                let mut data = std::fs::read(path).expect("the job's media file");
                data.truncate(usize::try_from(len).unwrap());
                self.streamed.push(data);
            }
            let path = req.path.split('?').next().unwrap_or("").to_owned();
            self.sent.push(format!("{} {path}", req.method));
            let (status, body) = match (req.method, path.as_str()) {
                ("GET", "/api/v2/instance") => (
                    200,
                    r#"{"configuration":{"statuses":{"max_media_attachments":4},"media_attachments":{"description_limit":1500}}}"#,
                ),
                ("POST", "/api/v2/media") if self.processing => {
                    (202, r#"{"id":"m1","type":"image","url":null}"#)
                }
                ("POST", "/api/v2/media") => (200, r#"{"id":"m1","type":"image"}"#),
                ("POST", "/api/v1/statuses") if self.statuses_refused == 0 => {
                    self.statuses_refused += 1;
                    (503, r#"{"error":"busy"}"#)
                }
                ("POST", "/api/v1/statuses") => {
                    (200, r#"{"id":"s1","url":"https://m.example/@a/s1"}"#)
                }
                ("GET", "/api/v1/media/m1") => (206, r#"{"id":"m1","url":null}"#),
                _ => (404, r#"{"error":"Record not found"}"#),
            };
            Ok(Answer {
                status,
                body: body.as_bytes().to_vec(),
                retry_after: None,
            })
        }

        async fn sleep(&mut self, d: Duration) -> bool {
            self.sleeps.push(d);
            self.keep_running
        }
    }

    fn settings() -> OutboxSettings {
        let cfg = MastodonConfig {
            base_url: String::from("https://m.example/"),
            token: Secret::new(String::from("alice_token")),
            token_file: None,
            postscript: None,
            visibility: None,
        };
        OutboxSettings {
            mastodon: BTreeMap::from([(None, cfg)]),
            backoff_base: Duration::from_millis(1),
            ..OutboxSettings::default()
        }
    }

    /// An outbox with one queued Mastodon job of one photo, claimed.
    fn queued(label: &str) -> (crate::testutil::Temp, Outbox, String, Vec<u8>) {
        let tmp = scratch(label);
        let photo: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(tmp.join("photo"), &photo).unwrap();
        let outbox = Outbox::open(&tmp.join("outbox"), settings(), Box::new(|| {})).unwrap();
        let media = [MediaFile {
            path: tmp.join("photo"),
            file_name: String::from("SAM_0001.JPG"),
            content_type: Some(String::from("image/jpeg")),
            alt: Some(String::from("a tree")),
        }];
        let id = outbox
            .enqueue_mastodon(None, "Hello", None, &media)
            .unwrap();
        (tmp, outbox, id.as_str().to_owned(), photo)
    }

    fn claim(outbox: &Outbox, now: u64) -> crate::outbox::Claim {
        loop {
            let step = outbox.sched().next_step(now);
            match step {
                Step::Housekeeping => outbox.sched().housekeeping_done(),
                Step::Run(claim) => return claim,
                Step::Wait(d) => panic!("nothing due, wait {d:?}"),
            }
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The scripted transport never pends.
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("the scripted transport never waits"),
        }
    }

    #[test]
    fn a_post_runs_over_the_transport_and_resumes_from_its_saved_progress() {
        let (_tmp, outbox, id, photo) = queued("mastodon-driver");
        let mut server = Scripted {
            keep_running: true,
            ..Scripted::default()
        };

        let c = claim(&outbox, clock::now_ms());
        assert_eq!(
            (c.id.as_str(), c.target.as_str()),
            (id.as_str(), "mastodon")
        );
        let mut attempt = outbox.begin(&c.id).unwrap();
        let result = block_on(run(&outbox, &mut attempt, &mut server));
        let Err(Stop::Failed(f)) = &result else {
            panic!("the 503 ends the attempt: {result:?}")
        };
        assert!(f.reason.contains("503"), "{}", f.reason);
        // The upload is on disk before the attempt ends.
        let (_, st) = disk::load_job(&attempt.dir).unwrap();
        assert_eq!(st.mastodon.media, [MediaProgress::Done("m1".into())]);
        let due = outbox.finish(attempt, result, clock::now_ms());
        assert!(due.is_some(), "a 503 is retried");
        outbox.sched().release(c, due);

        let c = claim(&outbox, due.unwrap());
        let mut attempt = outbox.begin(&c.id).unwrap();
        let result = block_on(run(&outbox, &mut attempt, &mut server));
        assert!(
            matches!(&result, Ok(s) if s.contains("https://m.example/@a/s1")),
            "{result:?}"
        );
        assert_eq!(outbox.finish(attempt, result, clock::now_ms()), None);
        outbox.sched().release(c, None);

        // The instance was asked once (its limits are cached), the photo
        // uploaded once with its bytes streamed from the job's copy, and the
        // status posted again under the same key after an unanswered lookup.
        assert_eq!(
            server.sent,
            [
                "GET /api/v2/instance",
                "POST /api/v2/media",
                "POST /api/v1/statuses",
                "GET /api/v1/accounts/verify_credentials",
                "POST /api/v1/statuses",
            ]
        );
        assert_eq!(server.streamed, [photo]);
        assert_eq!(server.keys.len(), 2);
        assert_eq!(server.keys[0], server.keys[1]);
        assert!(server.sleeps.is_empty());
        let done = outbox.root().join(disk::DONE).join(&id);
        assert!(done.join(disk::STATE_FILE).is_file());
        assert!(!outbox.root().join(disk::JOBS).join(&id).exists());
    }

    #[test]
    fn a_stopping_frontend_interrupts_the_wait_for_processing_media() {
        let (_tmp, outbox, _id, _) = queued("mastodon-stop");
        let mut server = Scripted {
            processing: true,
            keep_running: false,
            ..Scripted::default()
        };
        let c = claim(&outbox, clock::now_ms());
        let mut attempt = outbox.begin(&c.id).unwrap();
        let result = block_on(run(&outbox, &mut attempt, &mut server));
        assert_eq!(result, Err(Stop::Interrupted));
        assert_eq!(server.sleeps.len(), 1);
        // Interrupted: due again at once, not counted as a failure.
        assert_eq!(outbox.finish(attempt, result, clock::now_ms()), Some(0));
    }
}
