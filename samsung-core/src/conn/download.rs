//! Read-only downloads of stored files (the reference's `INSECURE_DOWNLOAD`):
//! path validation and directory listings.

use alloc::string::String;
use alloc::vec::Vec;

use super::MAX_LISTING_ENTRIES;
use crate::xml;

/// The frontend's answer to a download request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadAnswer {
    /// Nothing (readable) there.
    NotFound,
    /// A regular file of `len` bytes: the head is rendered, the frontend
    /// streams the bytes itself (see [`Connection::body_follows`](super::Connection::body_follows)).
    File {
        /// File length.
        len: u64,
        /// Its content type (e.g. from the extension).
        content_type: &'static str,
    },
    /// A directory: its entries (at most [`MAX_LISTING_ENTRIES`] are shown).
    Listing(Vec<ListingEntry>),
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingEntry {
    /// File or directory name (no path).
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Size in bytes (files).
    pub len: u64,
}

pub(super) fn listing_html(entries: &[ListingEntry]) -> String {
    use core::fmt::Write as _;
    let mut sorted: Vec<&ListingEntry> = entries
        .iter()
        .filter(|e| !e.name.starts_with('.'))
        .collect();
    sorted.sort_by(|a, b| (!a.is_dir, &a.name).cmp(&(!b.is_dir, &b.name)));
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>samsung-bridge uploads</title></head><body><h1>Uploads</h1><ul><li><a href=\"../\">../</a></li>",
    );
    for e in sorted.iter().take(MAX_LISTING_ENTRIES) {
        let name = xml::escape(&e.name);
        let href = crate::percent::encode(&e.name);
        let slash = if e.is_dir { "/" } else { "" };
        let _ = write!(html, "<li><a href=\"{href}{slash}\">{name}{slash}</a>");
        if !e.is_dir {
            let _ = write!(html, " ({} bytes)", e.len);
        }
        html.push_str("</li>");
    }
    if sorted.len() > MAX_LISTING_ENTRIES {
        let _ = write!(
            html,
            "<li>… {} more</li>",
            sorted.len() - MAX_LISTING_ENTRIES
        );
    }
    html.push_str("</ul></body></html>");
    html
}

/// A request path as a safe relative path under the upload folder, or
/// `None` when it tries to leave it or reach hidden files.
pub(super) fn download_path(path: &str) -> Option<String> {
    let decoded = crate::crypto::url_decode(path).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let rel = decoded.strip_prefix('/')?;
    let is_dir = rel.is_empty() || rel.ends_with('/');
    let mut out = String::new();
    for seg in rel.split('/').filter(|s| !s.is_empty()) {
        if seg.starts_with('.') || seg.contains(['\\', '\0']) || seg.chars().any(char::is_control) {
            return None;
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(seg);
    }
    if is_dir && !out.is_empty() {
        out.push('/');
    }
    Some(out)
}
