//! The SNS state machine shared by all connections: configuration, login
//! sessions, batches, and the answers of the social and e-mail endpoints.
//!
//! A [`Bridge`] is the one piece of state that outlives a connection. The
//! frontend owns it and passes it to every [`crate::conn::Connection`] call;
//! it holds no I/O and reads no clock. Session keys come from a
//! deterministic random bit generator (HMAC-SHA256 in counter mode) seeded by
//! the frontend from its OS or hardware RNG.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use crate::crypto::{self, Secret};
use crate::route::Routes;
use crate::time::{Duration, Instant};
use crate::xml::{AuthRequest, MediaKind};

mod email;
mod keys;
mod orphans;
mod persist;
mod replies;
#[cfg(test)]
mod tests;
mod uploads;

pub use email::{Email, RecipientRoute};
pub use orphans::MAX_ORPHAN_BATCHES;
pub use persist::ImportError;
pub use replies::{login_reply, logout_reply, succ_reply, time_reply};
pub use uploads::{BatchRef, Upload};

use keys::KeyGen;

/// Social sites the cameras offer (PROTOCOL.md §2.1).
pub const SITES: &[&str] = &[
    "facebook",
    "picasa",
    "youtube",
    "photobucket",
    "samsungimaging",
    "cyworld",
    "me2day",
    "poco",
    "weibo",
    "renren",
    "vkontakte",
    "odnoklassniki",
    "kakaostory",
    "evernote",
    "skydrive",
    "flickr",
    "dropbox",
];
/// Sites that log in through OAuth in a browser, which nobody has reverse
/// engineered; their logins are refused.
pub const OAUTH_SITES: &[&str] = &["skydrive", "flickr", "dropbox"];
/// `HostAddr` of announce answers: the cameras reach it through the same DNS redirect.
pub const DEFAULT_HOST_ADDR: &str = "snsgw.samsungmobile.com:80";
/// The name the camera shows as the logged-in user.
pub const DEFAULT_SCREEN_NAME: &str = "Samsung NX Lover";
/// Files announced but not yet uploaded that one session remembers.
pub const MAX_PENDING_FILES: usize = 64;
/// Longest caption kept from a camera's `Content`.
pub const MAX_CONTENT_LEN: usize = 4096;
/// Most alt texts taken from one caption (`Text~alt1~alt2…`).
pub const MAX_ALT_TEXTS: usize = 64;

/// Limits and timeouts; every one of them bounds memory or time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest upload (PUT body or e-mail body) accepted, in bytes.
    pub max_upload: u64,
    /// Largest XML request body (login, announce, e-mail message part).
    pub max_xml: usize,
    /// Most live sessions; the least recently used is evicted beyond it.
    pub max_sessions: usize,
    /// A session unused this long expires.
    pub session_idle: Duration,
    /// A session expires this long after login, used or not.
    pub session_max_age: Duration,
    /// Time allowed from connection start to a complete request head.
    pub head_timeout: Duration,
    /// Longest pause allowed between two pieces of a body.
    pub body_idle_timeout: Duration,
    /// A batch whose announced count was not reached is closed after this
    /// long without a new photo.
    pub batch_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_upload: 4 * 1024 * 1024 * 1024,
            max_xml: 64 * 1024,
            max_sessions: 1024,
            session_idle: Duration::from_secs(3600),
            session_max_age: Duration::from_secs(24 * 3600),
            head_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(60),
            batch_idle: Duration::from_secs(600),
        }
    }
}

/// Who may use the bridge and where their files go.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// Whitelisted e-mail senders and social user names (ASCII
    /// case-insensitive); `None` accepts everybody (the embedded default,
    /// which only stores).
    pub senders: Option<Vec<String>>,
    /// Per-user passwords: a logging-in user with an entry must match it.
    pub passwords: Vec<(String, Secret<String>)>,
    /// HMAC key of the per-user folder names (`SECRET`).
    pub secret: Secret<Vec<u8>>,
    /// Site / recipient → action.
    pub routes: Routes,
    /// `HostAddr` sent in announce answers.
    pub host_addr: String,
    /// Name the camera shows after a login.
    pub screen_name: String,
    /// Limits and timeouts.
    pub limits: Limits,
    /// Serve stored files read-only on unknown `GET` paths (the reference's
    /// `INSECURE_DOWNLOAD`): the connection asks the frontend with
    /// [`crate::conn::Event::Download`].
    pub serve_downloads: bool,
}

impl Default for BridgeConfig {
    /// The embedded default: accept any camera, store everything.
    fn default() -> Self {
        Self {
            senders: None,
            passwords: Vec::new(),
            secret: Secret::new(Vec::new()),
            routes: Routes::default(),
            host_addr: String::from(DEFAULT_HOST_ADDR),
            screen_name: String::from(DEFAULT_SCREEN_NAME),
            limits: Limits::default(),
            serve_downloads: false,
        }
    }
}

impl BridgeConfig {
    /// Whether `user` (a social user name or an e-mail sender address) is
    /// allowed.
    pub fn is_allowed(&self, user: &str) -> bool {
        match &self.senders {
            None => true,
            Some(list) => list
                .iter()
                .any(|s| s.trim().eq_ignore_ascii_case(user.trim())),
        }
    }
}

/// Where one batch of a session stands (one share action on the camera).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Batch {
    id: String,
    content: String,
    caption: String,
    alts: Vec<String>,
    album: Option<String>,
    announced: usize,
    uploaded: usize,
    in_flight: usize,
    last_activity: Instant,
}

impl Batch {
    fn expected(&self) -> Option<usize> {
        (!self.alts.is_empty()).then_some(self.alts.len())
    }
    fn is_full(&self) -> bool {
        self.expected().is_some_and(|n| self.announced >= n)
    }
}

/// A file announced by `/<site>/photo|video` and not uploaded yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingFile {
    resource_name: String,
    original_name: String,
    kind: MediaKind,
    index: usize,
    batch_id: String,
}

/// One login.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Session {
    key: String,
    user: String,
    site: String,
    created: Instant,
    last_used: Instant,
    batch: Option<Batch>,
    pending: Vec<PendingFile>,
}

/// Identifies one transfer (a social upload or a whole e-mail) across events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransferId(pub u64);

/// Events of the shared state that no connection carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BridgeEvent {
    /// A batch ended before its last announced file arrived (new caption,
    /// logout, expiry or idle timeout — also a batch handed over with
    /// [`Bridge::adopt_batch`] once idle): post what arrived.
    BatchClosed {
        /// The batch id of its uploads' [`BatchRef`]s.
        batch: String,
        /// Files uploaded in it.
        uploaded: usize,
    },
    /// A session expired and was removed.
    SessionExpired {
        /// The user of the session.
        user: String,
    },
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    /// Credentials could not be decoded or decrypted.
    #[error("credentials could not be decrypted")]
    BadCredentials,
    /// The user is not on the whitelist.
    #[error("user not allowed")]
    NotAllowed,
    /// A password is configured for the user and did not match.
    #[error("wrong password")]
    WrongPassword,
}

/// The state shared by all connections.
#[derive(Debug)]
pub struct Bridge {
    config: BridgeConfig,
    sessions: Vec<Session>,
    hotspot: crate::hotspot::HotspotState,
    keys: KeyGen,
    next_transfer: u64,
    events: VecDeque<BridgeEvent>,
    sessions_revision: u64,
    orphans: Vec<orphans::OrphanBatch>,
}

impl Bridge {
    /// A bridge with `config`, its random keys derived from `seed` (32 bytes
    /// from the OS or hardware RNG).
    pub fn new(config: BridgeConfig, seed: [u8; 32]) -> Self {
        Self {
            config,
            sessions: Vec::new(),
            hotspot: crate::hotspot::HotspotState::new(),
            keys: KeyGen::new(seed),
            next_transfer: 1,
            events: VecDeque::new(),
            sessions_revision: 0,
            orphans: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &BridgeConfig {
        &self.config
    }

    /// Replaces the configuration (sessions stay).
    pub fn set_config(&mut self, config: BridgeConfig) {
        self.config = config;
    }

    /// Number of live sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// A number that changes whenever the session table changes, i.e.
    /// whenever [`Bridge::export_sessions`] would write something new. A
    /// frontend that persists sessions compares it with the revision it saved
    /// last; [`crate::conn::Connection::poll_save_sessions`] tells it when an
    /// answer must wait for the save.
    pub fn sessions_revision(&self) -> u64 {
        self.sessions_revision
    }

    fn sessions_changed(&mut self) {
        self.sessions_revision = self.sessions_revision.wrapping_add(1);
    }

    pub(crate) fn hotspot(&mut self) -> &mut crate::hotspot::HotspotState {
        &mut self.hotspot
    }

    pub(crate) fn next_transfer(&mut self) -> TransferId {
        let id = TransferId(self.next_transfer);
        self.next_transfer += 1;
        id
    }

    /// Next event of the shared state. Call after [`Bridge::handle_timeout`]
    /// and after every connection call, until `None`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<BridgeEvent> {
        self.events.pop_front()
    }

    /// When [`Bridge::handle_timeout`] must be called next (session expiry,
    /// batch idle timeout, also of batches handed over with
    /// [`Bridge::adopt_batch`]); `None` when nothing is pending. Ask again
    /// after every connection call and [`Bridge::adopt_batch`]: they can move
    /// it earlier.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let limits = &self.config.limits;
        self.sessions
            .iter()
            .flat_map(|s| {
                // While a file is being received the session neither expires
                // nor closes its batch (`handle_timeout` waits for the end of
                // the upload, a connection call); a deadline here would only
                // be one it cannot act on.
                let idle = s.batch.as_ref().is_none_or(|b| b.in_flight == 0);
                let expiry = core::cmp::min(
                    s.last_used + limits.session_idle,
                    s.created + limits.session_max_age,
                );
                let batch = s
                    .batch
                    .as_ref()
                    .filter(|b| b.uploaded > 0)
                    .map(|b| b.last_activity + limits.batch_idle);
                [Some(expiry), batch].map(|t| t.filter(|_| idle))
            })
            .flatten()
            .chain(self.orphan_deadline())
            .min()
    }

    /// Expires sessions and closes idle batches whose time has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.close_idle_orphans(now);
        let limits = self.config.limits.clone();
        let mut i = 0;
        while i < self.sessions.len() {
            let s = &mut self.sessions[i];
            let expired = now >= s.last_used + limits.session_idle
                || now >= s.created + limits.session_max_age;
            if expired && s.batch.as_ref().is_none_or(|b| b.in_flight == 0) {
                self.sessions_revision = self.sessions_revision.wrapping_add(1);
                let s = self.sessions.swap_remove(i);
                close_batch(&mut self.events, s.batch);
                self.events
                    .push_back(BridgeEvent::SessionExpired { user: s.user });
                continue;
            }
            let idle = s.batch.as_ref().is_some_and(|b| {
                b.uploaded > 0 && b.in_flight == 0 && now >= b.last_activity + limits.batch_idle
            });
            if idle {
                self.sessions_revision = self.sessions_revision.wrapping_add(1);
                let batch = s.batch.take();
                close_batch(&mut self.events, batch);
            }
            i += 1;
        }
    }

    /// A login (`Method="login"`): decrypts and checks the credentials and
    /// opens a session; returns its key.
    pub fn login(
        &mut self,
        site: &str,
        req: &AuthRequest,
        now: Instant,
    ) -> Result<String, LoginError> {
        let creds = crypto::decrypt_credentials(
            req.user.as_deref().unwrap_or(""),
            req.password.as_deref().unwrap_or(""),
            req.crypt_session_key.as_deref(),
        )
        .map_err(|_| LoginError::BadCredentials)?;
        if !self.config.is_allowed(&creds.user) {
            return Err(LoginError::NotAllowed);
        }
        if let Some((_, want)) = self
            .config
            .passwords
            .iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(&creds.user))
            && !crypto::ct_eq(want.expose().as_bytes(), creds.password.expose().as_bytes())
        {
            return Err(LoginError::WrongPassword);
        }
        self.handle_timeout(now);
        if self.sessions.len() >= self.config.limits.max_sessions.max(1)
            && let Some(lru) = (0..self.sessions.len()).min_by_key(|&i| self.sessions[i].last_used)
        {
            let s = self.sessions.swap_remove(lru);
            close_batch(&mut self.events, s.batch);
        }
        let key = self.keys.hex(16);
        self.sessions.push(Session {
            key: key.clone(),
            user: creds.user,
            site: String::from(site),
            created: now,
            last_used: now,
            batch: None,
            pending: Vec::new(),
        });
        self.sessions_changed();
        Ok(key)
    }

    /// A logout: ends the session whose key the request carries (a logout
    /// for an unknown key changes nothing). Returns whether one ended.
    pub fn logout(&mut self, session_key: Option<&str>) -> bool {
        let Some(key) = session_key else { return false };
        let Some(i) = self.find(key) else {
            return false;
        };
        if self.sessions[i]
            .batch
            .as_ref()
            .is_some_and(|b| b.in_flight > 0)
        {
            return false;
        }
        let s = self.sessions.swap_remove(i);
        close_batch(&mut self.events, s.batch);
        self.sessions_changed();
        true
    }

    fn find(&self, key: &str) -> Option<usize> {
        // Keys are 32 hex digits; compare in constant time anyway.
        self.sessions
            .iter()
            .position(|s| crypto::ct_eq(s.key.as_bytes(), key.as_bytes()))
    }
}

fn close_batch(events: &mut VecDeque<BridgeEvent>, batch: Option<Batch>) {
    if let Some(b) = batch.filter(|b| b.uploaded > 0) {
        events.push_back(BridgeEvent::BatchClosed {
            batch: b.id,
            uploaded: b.uploaded,
        });
    }
}

/// `Text~alt1~alt2` → ("Text", ["alt1", "alt2"]), bounded.
fn split_caption(content: &str) -> (String, Vec<String>) {
    let (caption, alts) = crate::mastodon::split_alt_texts(content);
    (
        String::from(caption),
        alts.into_iter()
            .take(MAX_ALT_TEXTS)
            .map(String::from)
            .collect(),
    )
}
