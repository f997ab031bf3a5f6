//! Test support: a frontend that drives [`PostJob`]s against the server
//! [`Model`] with a simulated clock, injected faults and crashes.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::model::Model;
use super::*;
use crate::mastodon::{InstanceLimits, Visibility};

pub(super) use super::model::{BASE, Keys, START, TOKEN};

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// Answered normally.
    None,
    /// Answered with this status without processing (a proxy's 502, a 503).
    Refuse(u16),
    /// 429 with `Retry-After` seconds, not processed.
    RateLimited(u64),
    /// Processed, then answered with this status (Mastodon's 500 after
    /// creating the status).
    Late(u16),
    /// Processed; the answer is lost (the connection drops).
    Lost,
    /// Never reached the server.
    Connect,
    /// Not processed; no answer in time.
    Timeout,
    /// Processed; the frontend dies before reading the answer.
    Crash,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum End {
    Finished(String),
    Failed(Failure),
    Crashed,
}

/// A frontend: stores progress, caches limits, keeps a simulated clock.
#[derive(Debug)]
pub(super) struct Harness {
    pub model: Model,
    pub spec: PostSpec,
    pub options: PostOptions,
    pub stored: PostProgress,
    pub limits: Option<InstanceLimits>,
    pub now: u64,
    /// The events of every attempt, in order (ProgressChanged left out).
    pub events: Vec<PostEvent>,
    /// Every request the job asked for, as `METHOD path`.
    pub sent: Vec<String>,
    /// The timeouts slept through, as durations in ms.
    pub waits: Vec<u64>,
    random: u64,
}

pub(super) fn media(name: &str, content_type: &str, alt: Option<&str>) -> MediaSpec {
    MediaSpec {
        file_name: String::from(name),
        content_type: String::from(content_type),
        alt: alt.map(String::from),
        len: 3000,
    }
}

pub(super) fn spec(media: Vec<MediaSpec>) -> PostSpec {
    PostSpec {
        job_id: String::from("20261127T085501.123Z-3fa9c2d1"),
        caption: String::from("Holiday & friends"),
        album: Some(String::from("NX300")),
        postscript: Some(String::from("#samsung #nx300")),
        visibility: Some(Visibility::Unlisted),
        media,
        created: Some(Instant::from_millis(START)),
    }
}

impl Harness {
    pub(super) fn new(spec: PostSpec) -> Self {
        let types = spec.media.iter().map(|m| m.content_type.clone()).collect();
        Self {
            model: Model::new(types),
            spec,
            options: PostOptions {
                max_media_per_status: None,
                poll_interval: Duration::from_secs(2),
                processing_wait: Duration::from_secs(60),
            },
            stored: PostProgress::default(),
            limits: None,
            now: START,
            events: Vec::new(),
            sent: Vec::new(),
            waits: Vec::new(),
            random: 0x5eed,
        }
    }

    /// One attempt; `fault` decides each request's fate, `crash_at_save`
    /// whether the frontend dies instead of storing a progress.
    pub(super) fn attempt(
        &mut self,
        fault: &mut dyn FnMut(&Request) -> Fault,
        crash_at_save: &mut dyn FnMut() -> bool,
    ) -> End {
        let mut job = PostJob::new(
            Instant::from_millis(self.now),
            self.spec.clone(),
            self.stored.clone(),
            BASE,
            Secret::new(String::from(TOKEN)),
            self.limits,
            self.options,
        );
        assert!(
            !alloc::format!("{job:?}").contains(TOKEN),
            "the token is not in Debug"
        );
        loop {
            while let Some(ev) = job.poll_event() {
                match ev {
                    PostEvent::ProgressChanged => {
                        if crash_at_save() {
                            return End::Crashed;
                        }
                        self.stored = job.progress().clone();
                    }
                    PostEvent::InstanceLimits(l) => {
                        self.limits = Some(l);
                        self.events.push(ev);
                    }
                    PostEvent::Finished { summary } => return End::Finished(summary),
                    PostEvent::Failed(f) => return End::Failed(f),
                    other => self.events.push(other),
                }
            }
            self.random = self
                .random
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            if let Some(req) = job.poll_request(self.random) {
                assert!(!alloc::format!("{req:?}").contains(TOKEN));
                self.sent.push(format!("{} {}", req.method, req.path));
                self.now += 10;
                let now = Instant::from_millis(self.now);
                let f = fault(&req);
                match f {
                    Fault::None | Fault::Late(_) | Fault::Lost | Fault::Crash => {
                        let (status, body) = self.model.handle(self.now, &req);
                        match f {
                            Fault::None => job.handle_response(now, status, body.as_bytes(), None),
                            Fault::Late(s) => job.handle_response(now, s, b"", None),
                            Fault::Lost => job.handle_transport_error(
                                now,
                                TransportErrorKind::ClosedEarly,
                                "connection closed before the answer",
                            ),
                            _ => return End::Crashed,
                        }
                    }
                    Fault::Refuse(s) => job.handle_response(now, s, b"", None),
                    Fault::RateLimited(secs) => job.handle_response(
                        now,
                        429,
                        b"{\"error\":\"Too many requests\"}",
                        Some(Duration::from_secs(secs)),
                    ),
                    Fault::Connect => job.handle_transport_error(
                        now,
                        TransportErrorKind::Connect,
                        "connection refused",
                    ),
                    Fault::Timeout => {
                        job.handle_transport_error(now, TransportErrorKind::Timeout, "timed out")
                    }
                }
                continue;
            }
            match job.poll_timeout() {
                Some(t) => {
                    assert!(t.as_millis() > self.now, "a timeout in the future");
                    self.waits.push(t.as_millis() - self.now);
                    // Waking early changes nothing.
                    job.handle_timeout(Instant::from_millis(self.now));
                    assert_eq!(job.poll_timeout(), Some(t));
                    self.now = t.as_millis();
                    job.handle_timeout(t);
                }
                None => panic!("the job stalled: {job:?}"),
            }
        }
    }

    /// Attempts until the job finishes or fails permanently (at most
    /// `max` attempts), with faults and crashes as given.
    pub(super) fn run_with(
        &mut self,
        max: usize,
        fault: &mut dyn FnMut(&Request) -> Fault,
        crash_at_save: &mut dyn FnMut() -> bool,
    ) -> End {
        for _ in 0..max {
            match self.attempt(fault, crash_at_save) {
                End::Finished(s) => return End::Finished(s),
                End::Failed(f) if f.is_permanent() => return End::Failed(f),
                End::Failed(_) | End::Crashed => self.now += 60_000,
            }
        }
        panic!("not finished after {max} attempts: {:?}", self.stored);
    }

    /// Attempts without faults until done.
    pub(super) fn run(&mut self) -> End {
        self.run_with(10, &mut |_| Fault::None, &mut || false)
    }

    /// The model's statuses as (text, files, replies to the previous one).
    pub(super) fn thread(&self) -> Vec<(String, Vec<usize>, bool)> {
        let files = self.model.status_files();
        self.model
            .statuses
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let chained = match i {
                    0 => s.in_reply_to.is_none(),
                    _ => s.in_reply_to.as_deref() == Some(self.model.statuses[i - 1].id.as_str()),
                };
                (s.text.clone(), files[i].clone(), chained)
            })
            .collect()
    }
}

/// Shorthand: a fault for the `n`-th request matching `what` (0-based),
/// none for the others.
pub(super) fn nth(what: &'static str, n: usize, f: Fault) -> impl FnMut(&Request) -> Fault {
    let mut seen = 0;
    move |r: &Request| {
        if format!("{} {}", r.method, r.path) == what {
            seen += 1;
            if seen == n + 1 {
                return f;
            }
        }
        Fault::None
    }
}

pub(super) fn photos(n: usize) -> Vec<MediaSpec> {
    (0..n)
        .map(|i| {
            media(
                &format!("SAM_{:04}.JPG", i + 1),
                "image/jpeg",
                Some(&format!("alt {}", i + 1)),
            )
        })
        .collect()
}

/// The first status's text of [`spec`].
pub(super) fn first_text() -> String {
    crate::mastodon::status_text("Holiday & friends", Some("NX300"), Some("#samsung #nx300"))
}

pub(super) fn no_crash() -> impl FnMut() -> bool {
    || false
}

pub(super) fn ok() -> impl FnMut(&Request) -> Fault {
    |_| Fault::None
}
