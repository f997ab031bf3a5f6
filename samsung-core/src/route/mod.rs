//! Where an upload goes: the reference's `[ACTIONS]` table (PROTOCOL.md §9.1/§9.2),
//! per-user folder names, and file-name sanitising.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};

/// Longest instance name accepted after `action.` (it becomes a directory name).
pub const MAX_INSTANCE_LEN: usize = 64;
/// Longest file name [`sanitize_file_name`] returns, in bytes.
pub const MAX_FILE_NAME_LEN: usize = 128;
/// Longest extension (including the dot) [`sanitize_file_name`] keeps when it has to shorten a name.
pub const MAX_EXTENSION_LEN: usize = 16;

/// Errors of parsing an action from the configuration.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    /// The part before the first `.` is not one of store, mail/email, mastodon, shell, drop.
    #[error("unknown action")]
    UnknownAction,
    /// More than one `.`; the reference crashes on this (§9.3 #5), we refuse it up front.
    #[error("action has more than one '.'")]
    TooManyDots,
    /// Empty, too long, or with characters outside `[A-Za-z0-9_-]`.
    #[error("invalid instance name")]
    BadInstance,
}

/// What to do with the files for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Write the files into a folder.
    Store,
    /// Forward as an e-mail through the smarthost.
    Mail,
    /// Post to Mastodon.
    Mastodon,
    /// Run a configured command per file.
    Shell,
    /// Accept and discard.
    Drop,
}

impl ActionKind {
    /// The configuration spelling (`mail`, not `email`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Store => "store",
            Self::Mail => "mail",
            Self::Mastodon => "mastodon",
            Self::Shell => "shell",
            Self::Drop => "drop",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        const KINDS: [(&str, ActionKind); 6] = [
            ("store", ActionKind::Store),
            ("mail", ActionKind::Mail),
            ("email", ActionKind::Mail),
            ("mastodon", ActionKind::Mastodon),
            ("shell", ActionKind::Shell),
            ("drop", ActionKind::Drop),
        ];
        KINDS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, k)| k)
    }
}

/// An action with its optional named instance (`mastodon.friends`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Action {
    /// What to do.
    pub kind: ActionKind,
    /// Which `[MASTODON.<name>]`/`[SHELL.<name>]` section, or folder for `store`.
    pub instance: Option<String>,
}

impl Action {
    /// An action without instance.
    pub const fn new(kind: ActionKind) -> Self {
        Self {
            kind,
            instance: None,
        }
    }

    /// Parses a configuration value: `store`, `mail`, `mastodon.friends`, …
    pub fn parse(s: &str) -> Result<Self, RouteError> {
        let mut parts = s.splitn(3, '.');
        let kind = parts.next().unwrap_or_default();
        let instance = parts.next();
        if parts.next().is_some() {
            return Err(RouteError::TooManyDots);
        }
        let kind = ActionKind::parse(kind).ok_or(RouteError::UnknownAction)?;
        let instance = match instance {
            None => None,
            Some(i) if valid_instance(i) => Some(String::from(i)),
            Some(_) => return Err(RouteError::BadInstance),
        };
        Ok(Self { kind, instance })
    }
}

/// Instance names become directory names (`store.<instance>`), so only a
/// charset that cannot express a path, a dot file or a device name is allowed.
fn valid_instance(i: &str) -> bool {
    !i.is_empty()
        && i.len() <= MAX_INSTANCE_LEN
        && i.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if let Some(i) = &self.instance {
            write!(f, ".{i}")?;
        }
        Ok(())
    }
}

/// The `[ACTIONS]` table: target (site name or e-mail recipient) → action, with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    // A handful of entries in practice: a linear scan beats a map and keeps
    // the configured spelling for `iter`.
    entries: Vec<(String, Action)>,
    default_social: Action,
    default_email: Action,
}

impl Default for Routes {
    /// Everything `store`: the embedded default, and e-mail without a
    /// `MAIL_SERVER` (with one, the configuration makes e-mail `mail`).
    fn default() -> Self {
        Self::new(
            Action::new(ActionKind::Store),
            Action::new(ActionKind::Store),
        )
    }
}

impl Routes {
    /// An empty table with the given defaults (reference: social `store`, e-mail `mail`).
    pub fn new(default_social: Action, default_email: Action) -> Self {
        Self {
            entries: Vec::new(),
            default_social,
            default_email,
        }
    }

    /// Sets the action for a site name or recipient address; replaces an entry that differs only in ASCII case.
    pub fn insert(&mut self, target: &str, action: Action) {
        let target = target.trim();
        match self
            .entries
            .iter_mut()
            .find(|(t, _)| t.eq_ignore_ascii_case(target))
        {
            Some(entry) => entry.1 = action,
            None => self.entries.push((String::from(target), action)),
        }
    }

    fn lookup(&self, target: &str) -> Option<&Action> {
        self.entries
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(target))
            .map(|(_, a)| a)
    }

    /// The action for uploads to a social site (`facebook`), else the social default.
    pub fn for_site(&self, site: &str) -> &Action {
        self.lookup(site.trim()).unwrap_or(&self.default_social)
    }

    /// The action for an e-mail recipient, else the e-mail default.
    ///
    /// `Name <addr>` is matched by its address: the reference looks the raw
    /// text up and would miss it, silently mailing what was meant to be posted.
    pub fn for_recipient(&self, recipient: &str) -> &Action {
        let addr = parse_address(recipient).unwrap_or(recipient.trim());
        self.lookup(addr).unwrap_or(&self.default_email)
    }

    /// The configured entries in insertion order, as (target, action).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Action)> {
        self.entries.iter().map(|(t, a)| (t.as_str(), a))
    }

    /// The action for sites without an entry.
    pub fn default_social(&self) -> &Action {
        &self.default_social
    }

    /// The action for recipients without an entry.
    pub fn default_email(&self) -> &Action {
        &self.default_email
    }
}

/// urlsafe_b64(HMAC-SHA256(secret, user)\[:15\]) → 20 chars (V22: "xiev5kaMeehaimub" + "Camera@samsungcamera.com" → "yZXbyiz-pZX2DqmBjoRl").
///
/// 15 bytes make a base64 string without padding, and the HMAC keeps the
/// folder unguessable for anyone without the secret.
pub fn user_folder(secret: &[u8], user: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret)
        .expect("HMAC accepts keys of any length");
    mac.update(user.as_bytes());
    let tag = mac.finalize().into_bytes();
    let prefix = tag.get(..15).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE.encode(prefix)
}

/// The folder a `store` action writes into: the instance name for `store.<instance>`, else user_folder(...).
pub fn store_folder(action: &Action, secret: &[u8], user: &str) -> String {
    match instance_folder(action) {
        Some(i) => String::from(i),
        None => user_folder(secret, user),
    }
}

/// The folder an action's instance names (`store.<instance>` writes into
/// `<instance>`), if it has a valid one; [`store_folder`] falls back to the
/// user's folder without.
pub fn instance_folder(action: &Action) -> Option<&str> {
    // Re-checked because `Action`'s fields are public and may not come from `parse`.
    action.instance.as_deref().filter(|i| valid_instance(i))
}

/// Windows device names, which are special in any directory there (Werkzeug guards them too).
const DEVICE_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Like Werkzeug's secure_filename: keep ASCII [A-Za-z0-9._-], path separators and whitespace become '_', collapse, strip leading/trailing '.' and '_' ; never returns "", ".", "..", or anything with '/' or '\\' or NUL; returns None when nothing is left (caller substitutes a name). Limit length to MAX_FILE_NAME_LEN=128 bytes, keeping the extension.
///
/// Unlike Werkzeug there is no NFKD step (no Unicode tables in the core):
/// non-ASCII characters are dropped rather than transliterated.
pub fn sanitize_file_name(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len().min(4 * MAX_FILE_NAME_LEN));
    // Werkzeug turns separators into spaces, then joins whitespace-separated
    // words with one '_', then drops disallowed characters.
    let mut pending_sep = false;
    for c in name.chars() {
        if c == '/' || c == '\\' || c.is_whitespace() {
            pending_sep = !out.is_empty();
            continue;
        }
        if pending_sep {
            out.push('_');
            pending_sep = false;
        }
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
            out.push(c);
        }
    }
    let mut name = strip_dots_underscores(&out);
    if name.is_empty() {
        return None;
    }
    let stem = name.split('.').next().unwrap_or_default();
    let device = DEVICE_NAMES.iter().any(|d| d.eq_ignore_ascii_case(stem));
    let owned;
    if device {
        owned = alloc::format!("_{name}");
        name = &owned;
    }
    Some(shorten(name))
}

fn strip_dots_underscores(s: &str) -> &str {
    s.trim_matches(|c| c == '.' || c == '_')
}

/// Cuts an ASCII name to [`MAX_FILE_NAME_LEN`], keeping a short extension so
/// the file still opens as what it is.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_FILE_NAME_LEN {
        return String::from(name);
    }
    let ext = match name.rfind('.') {
        Some(dot) if name.len() - dot <= MAX_EXTENSION_LEN => name.get(dot..).unwrap_or_default(),
        _ => "",
    };
    let stem_len = MAX_FILE_NAME_LEN - ext.len();
    // All bytes are ASCII here, so any index is a char boundary.
    let stem = name.get(..stem_len).unwrap_or_default();
    // Only the end: the start is already clean, and re-stripping it would
    // remove the '_' that guards a device name.
    let stem = stem.trim_end_matches(['.', '_']);
    let mut out = String::with_capacity(MAX_FILE_NAME_LEN);
    out.push_str(stem);
    if !stem.is_empty() {
        out.push_str(ext);
    }
    out
}

/// Most names a frontend tries for one stored file before giving up
/// (`name`, then `name-1` … `name-9999`).
pub const MAX_NAME_CANDIDATES: u32 = 10_000;

/// The names to store `name` under, in the order to try them, so that no
/// stored file is ever overwritten: `SAM_0001.JPG`, `SAM_0001-1.JPG`,
/// `SAM_0001-2.JPG`, … ([`MAX_NAME_CANDIDATES`] in all). The number goes
/// before the extension so the file still opens as what it is; a leading dot
/// is not an extension.
pub fn name_candidates(name: &str) -> impl Iterator<Item = String> + '_ {
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    (0..MAX_NAME_CANDIDATES).map(move |n| match n {
        0 => String::from(name),
        n => alloc::format!("{stem}-{n}{ext}"),
    })
}

/// `Name <addr@x>` → `addr@x`; bare address → trimmed itself; like Python's email.utils.parseaddr for the common cases; returns None when there is no '@'.
pub fn parse_address(s: &str) -> Option<&str> {
    let s = s.trim();
    // The address is inside the last <…>; a display name may itself contain '<'.
    let addr = match s.rfind('<') {
        Some(open) => {
            let rest = s.get(open + 1..)?;
            let close = rest.find('>')?;
            rest.get(..close)?.trim()
        }
        None => s,
    };
    let at = addr.find('@')?;
    let (local, domain) = (addr.get(..at)?, addr.get(at + 1..)?);
    let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';');
    if local.is_empty() || domain.is_empty() || addr.chars().any(bad) {
        return None;
    }
    Some(addr)
}

#[cfg(test)]
mod tests;
