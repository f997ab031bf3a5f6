//! Forwarding without storage: each photo streams from the camera into the
//! Mastodon server's media API while it arrives ([`stream`]); the camera
//! hears `succ` only once the server accepted it. Complete batches and
//! e-mails are then posted by the poster task ([`poster`]) with the core's
//! post job.

pub(crate) mod link;
pub(crate) mod poster;
pub(crate) mod posts;
pub(crate) mod stream;
pub(crate) mod transfer;

pub use link::MAX_UPSTREAM_LINKS;
pub use poster::run_poster;
pub use posts::{MAX_MEDIA_PER_POST, MAX_POSTS};
