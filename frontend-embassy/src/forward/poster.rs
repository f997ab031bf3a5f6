//! The poster task: closes batches when the core says so (its timers run
//! here), and posts every complete batch or e-mail as a status or thread
//! with the core's [`PostJob`], retrying with the core's back-off. Each
//! status carries its `Idempotency-Key`, so a retry never posts twice.

use alloc::string::String;
use alloc::vec::Vec;

use embassy_futures::select::select;
use embassy_time::{Duration, Timer};
use samsung_core::mastodon::{
    MediaSpec, PostEvent, PostJob, PostOptions, PostSpec, TransportErrorKind,
};
use samsung_core::retry::{Decision, RetryPolicy};
use samsung_core::sns::BridgeEvent;

use super::link::Link;
use super::posts::Post;
use crate::app::App;
use crate::upstream::Upstream;

/// Longest sleep while nothing is due: the core's timers are looked at
/// again after it anyway.
const IDLE_WAKE: Duration = Duration::from_secs(60);

/// Runs the poster: one task per board, next to the [`crate::run_http`]
/// workers. Never returns.
pub async fn run_poster<U: Upstream>(app: &'static App<U>) -> ! {
    loop {
        let now = app.now();
        let due = app.with_bridge(|b| b.poll_timeout().is_some_and(|t| t <= now));
        if due {
            app.with_bridge(|b| b.handle_timeout(now));
        }
        drain_bridge(app);
        let post = app.posts.lock(|p| p.borrow_mut().take_due(now));
        if let Some(post) = post {
            attempt(app, post).await;
            continue;
        }
        let wake = [
            app.with_bridge(|b| b.poll_timeout()),
            app.posts.lock(|p| p.borrow().next_due()),
        ]
        .into_iter()
        .flatten()
        .min()
        .map(|t| app.to_embassy(t))
        .unwrap_or_else(|| embassy_time::Instant::now() + IDLE_WAKE)
        .min(embassy_time::Instant::now() + IDLE_WAKE);
        select(app.post_ready.wait(), Timer::at(wake)).await;
    }
}

/// Acts on the core's own events: a closed batch is posted.
pub(crate) fn drain_bridge<U: Upstream>(app: &App<U>) {
    while let Some(ev) = app.with_bridge(|b| b.poll_event()) {
        match ev {
            // A batch no post holds had none of its photos forwarded.
            BridgeEvent::BatchClosed { batch, uploaded }
                if app.posts.lock(|p| p.borrow_mut().close(&batch)) =>
            {
                log::info!("batch {batch} closed with {uploaded} file(s): posting");
                app.post_ready.signal(());
            }
            BridgeEvent::SessionExpired { user } => {
                log::info!("session of {user} expired");
            }
            _ => {}
        }
    }
}

/// One attempt at sending `post`.
async fn attempt<U: Upstream>(app: &App<U>, mut post: Post) {
    let job_id = post.job_id.clone();
    let Some(account) = app.config().mastodon(post.instance.as_deref()) else {
        log::error!(
            "post {job_id}: no [MASTODON] section for {:?}; dropped",
            post.instance
        );
        app.posts.lock(|p| p.borrow_mut().remove(&job_id));
        return;
    };
    let media: Vec<MediaSpec> = post
        .uploaded()
        .map(|u| MediaSpec {
            file_name: u.file_name.clone(),
            content_type: u.content_type.clone(),
            alt: u.alt.clone(),
            len: u.len,
        })
        .collect();
    // A batch post holds at least one media; an e-mail without photos
    // posts its text alone.
    if post.progress.media.is_empty() {
        post.progress = post.initial_progress();
    }
    let spec = PostSpec {
        job_id: job_id.clone(),
        caption: post.caption.clone(),
        album: post.album.clone(),
        postscript: account.postscript.clone(),
        visibility: account.visibility,
        media,
        created: app.clock_is_set().then_some(post.created),
    };
    let base = account.base_url.clone();
    let limits = app.posts.lock(|p| p.borrow().limits_for(&base));
    post.retry.begin_attempt();
    let mut job = PostJob::new(
        app.now(),
        spec,
        post.progress.clone(),
        &base,
        account.token.clone(),
        limits,
        PostOptions::default(),
    );
    let url = job.server().cloned();
    let outcome = loop {
        if let Some(end) = drain_job(app, &mut job, &job_id, &base) {
            break end;
        }
        if let Some(request) = job.poll_request(app.random()) {
            let Some(url) = &url else {
                job.handle_transport_error(app.now(), TransportErrorKind::BadUrl, "no server");
                continue;
            };
            if request.body.file.is_some() {
                // Media the server lost (404 while processing): the board
                // kept no copy to send again.
                job.handle_transport_error(
                    app.now(),
                    TransportErrorKind::File,
                    "the server lost a media and the board keeps no copy",
                );
                continue;
            }
            let result = async {
                let mut link = Link::open(app, url).await?;
                link.send(&request.head).await?;
                link.send(&request.body.prefix).await?;
                link.send(&request.body.suffix).await?;
                link.receive().await
            }
            .await;
            match result {
                Ok(a) => job.handle_response(app.now(), a.status, &a.body, a.retry_after),
                Err((kind, detail)) => job.handle_transport_error(app.now(), kind, &detail),
            }
            continue;
        }
        match job.poll_timeout() {
            Some(t) => {
                Timer::at(app.to_embassy(t)).await;
                job.handle_timeout(app.now());
            }
            None => {
                break Err(samsung_core::retry::Failure::transient(
                    "the post job stalled",
                ));
            }
        }
    };
    let now = app.now();
    match outcome {
        Ok(summary) => {
            log::info!("post {job_id} to {base}: {summary}");
            app.posts.lock(|p| p.borrow_mut().remove(&job_id));
        }
        Err(failure) => {
            let jitter = app.random() as u32;
            let decision = post
                .retry
                .fail(now, &failure, &RetryPolicy::default(), jitter);
            match decision {
                Decision::Retry { delay, .. } => {
                    log::warn!(
                        "post {job_id} to {base} failed ({}); trying again in {} s",
                        failure.reason,
                        delay.as_millis() / 1000
                    );
                    let progress = job.progress().clone();
                    let retry = post.retry.clone();
                    app.posts.lock(|p| {
                        p.borrow_mut().update(&job_id, |p| {
                            p.progress = progress;
                            p.retry = retry;
                            p.running = false;
                        });
                    });
                }
                _ => {
                    log::error!(
                        "post {job_id} to {base} given up: {} (its media stay on the server, unattached)",
                        failure.reason
                    );
                    app.posts.lock(|p| p.borrow_mut().remove(&job_id));
                }
            }
        }
    }
}

/// Acts on the job's events; the attempt's end when it ended.
fn drain_job<U: Upstream>(
    app: &App<U>,
    job: &mut PostJob,
    job_id: &str,
    base: &str,
) -> Option<Result<String, samsung_core::retry::Failure>> {
    while let Some(ev) = job.poll_event() {
        match ev {
            PostEvent::ProgressChanged => {
                let progress = job.progress().clone();
                app.posts
                    .lock(|p| p.borrow_mut().update(job_id, |p| p.progress = progress));
            }
            PostEvent::InstanceLimits(l) => {
                app.posts.lock(|p| p.borrow_mut().set_limits(base, l));
            }
            PostEvent::StatusPosted {
                part,
                parts,
                status,
                found,
            } => log::info!(
                "post {job_id}: status {}/{parts} {}{}",
                part + 1,
                status.url.as_deref().unwrap_or(&status.id),
                if found { " (found, posted before)" } else { "" }
            ),
            PostEvent::LookupUnavailable { reason } => {
                log::warn!("post {job_id}: cannot look for an earlier post ({reason})");
            }
            PostEvent::Finished { summary } => return Some(Ok(summary)),
            PostEvent::Failed(f) => return Some(Err(f)),
            PostEvent::MediaUploaded { .. } => {}
            other => log::debug!("post {job_id}: {other:?}"),
        }
    }
    None
}
