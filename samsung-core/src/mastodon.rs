//! mastodon (in progress)
