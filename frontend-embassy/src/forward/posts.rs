//! The posts waiting to be sent: social batches filling up with the media
//! their photos became, and e-mails ready at once. Kept in RAM (the board
//! has nothing durable): a reboot loses posts not sent yet, never a photo
//! the camera was told is safe — its media is on the server.

use alloc::string::String;
use alloc::vec::Vec;

use samsung_core::mastodon::{InstanceLimits, MediaProgress, PostProgress};
use samsung_core::retry::RetryState;
use samsung_core::time::Instant;

use super::stream::MediaId;

/// Most posts held at once (each a few hundred bytes plus its texts).
pub const MAX_POSTS: usize = 8;
/// Most media in one post (a camera batch is at most this long anyway:
/// the core's pending-file limit).
pub const MAX_MEDIA_PER_POST: usize = samsung_core::sns::MAX_PENDING_FILES;

/// One uploaded media of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Uploaded {
    pub(crate) file_name: String,
    pub(crate) content_type: String,
    pub(crate) alt: Option<String>,
    pub(crate) len: u64,
    pub(crate) media: MediaId,
}

/// One post: what it says, its media, how far it got.
#[derive(Debug, Clone)]
pub(crate) struct Post {
    /// The batch id (social) or a random id (e-mail): the `Idempotency-Key`s
    /// derive from it.
    pub(crate) job_id: String,
    pub(crate) instance: Option<String>,
    pub(crate) caption: String,
    pub(crate) album: Option<String>,
    /// By position in the batch; a photo whose upload failed stays None.
    pub(crate) media: Vec<Option<Uploaded>>,
    /// Complete: post it.
    pub(crate) closed: bool,
    pub(crate) created: Instant,
    pub(crate) progress: PostProgress,
    pub(crate) retry: RetryState,
    /// Being sent by the poster now.
    pub(crate) running: bool,
}

impl Post {
    /// The media that arrived, in order.
    pub(crate) fn uploaded(&self) -> impl Iterator<Item = &Uploaded> {
        self.media.iter().flatten()
    }

    /// The progress a first attempt starts from: every media uploaded.
    pub(crate) fn initial_progress(&self) -> PostProgress {
        PostProgress {
            media: self
                .uploaded()
                .map(|u| match u.media.processing {
                    true => MediaProgress::Processing(u.media.id.clone()),
                    false => MediaProgress::Done(u.media.id.clone()),
                })
                .collect(),
            ..PostProgress::default()
        }
    }
}

/// Why a media could not be added to a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostsFull {
    /// [`MAX_POSTS`] posts are waiting.
    Posts,
    /// The batch is longer than [`MAX_MEDIA_PER_POST`].
    Media,
}

/// The posts and what was learnt about the servers.
#[derive(Debug, Default)]
pub(crate) struct Posts {
    pub(crate) list: Vec<Post>,
    /// Per base URL.
    pub(crate) limits: Vec<(String, InstanceLimits)>,
}

impl Posts {
    /// Puts `media` at `index` of the batch `job_id`'s post, creating it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_media(
        &mut self,
        job_id: &str,
        instance: Option<&str>,
        caption: &str,
        album: Option<&str>,
        index: usize,
        media: Uploaded,
        now: Instant,
    ) -> Result<(), PostsFull> {
        if index >= MAX_MEDIA_PER_POST {
            return Err(PostsFull::Media);
        }
        let post = match self.list.iter().position(|p| p.job_id == job_id) {
            Some(i) => &mut self.list[i],
            None => {
                if self.list.len() >= MAX_POSTS {
                    return Err(PostsFull::Posts);
                }
                self.list.push(Post {
                    job_id: String::from(job_id),
                    instance: instance.map(String::from),
                    caption: String::from(caption),
                    album: album.map(String::from),
                    media: Vec::new(),
                    closed: false,
                    created: now,
                    progress: PostProgress::default(),
                    retry: RetryState::default(),
                    running: false,
                });
                let last = self.list.len() - 1;
                &mut self.list[last]
            }
        };
        if post.media.len() <= index {
            post.media.resize(index + 1, None);
        }
        post.media[index] = Some(media);
        Ok(())
    }

    /// Adds a complete post (an e-mail's).
    pub(crate) fn add_closed(
        &mut self,
        job_id: String,
        instance: Option<String>,
        caption: String,
        media: Vec<Uploaded>,
        now: Instant,
    ) -> Result<(), PostsFull> {
        if self.list.len() >= MAX_POSTS {
            return Err(PostsFull::Posts);
        }
        self.list.push(Post {
            job_id,
            instance,
            caption,
            album: None,
            media: media.into_iter().map(Some).collect(),
            closed: true,
            created: now,
            progress: PostProgress::default(),
            retry: RetryState::default(),
            running: false,
        });
        Ok(())
    }

    /// Marks batch `job_id` complete; whether a post holds it.
    pub(crate) fn close(&mut self, job_id: &str) -> bool {
        match self.list.iter_mut().find(|p| p.job_id == job_id) {
            Some(p) => {
                p.closed = true;
                true
            }
            None => false,
        }
    }

    /// A post due at `now`, marked running.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<Post> {
        let p = self
            .list
            .iter_mut()
            .find(|p| p.closed && !p.running && p.retry.is_queued() && p.retry.due() <= now)?;
        p.running = true;
        Some(p.clone())
    }

    /// When the next closed post is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.list
            .iter()
            .filter(|p| p.closed && !p.running && p.retry.is_queued())
            .map(|p| p.retry.due())
            .min()
    }

    /// Stores what an attempt changed.
    pub(crate) fn update(&mut self, job_id: &str, f: impl FnOnce(&mut Post)) {
        if let Some(p) = self.list.iter_mut().find(|p| p.job_id == job_id) {
            f(p);
        }
    }

    /// Forgets a post (sent, or given up).
    pub(crate) fn remove(&mut self, job_id: &str) {
        self.list.retain(|p| p.job_id != job_id);
    }

    pub(crate) fn limits_for(&self, base_url: &str) -> Option<InstanceLimits> {
        self.limits
            .iter()
            .find(|(u, _)| u == base_url)
            .map(|(_, l)| *l)
    }

    pub(crate) fn set_limits(&mut self, base_url: &str, limits: InstanceLimits) {
        match self.limits.iter_mut().find(|(u, _)| u == base_url) {
            Some((_, l)) => *l = limits,
            None => self.limits.push((String::from(base_url), limits)),
        }
    }
}
