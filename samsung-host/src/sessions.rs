//! The persisted camera sessions: `SESSION_FOLDER/sessions.v1`, the core's
//! export ([`Bridge::export_sessions`]) written atomically whenever the
//! sessions changed, and read back at start-up, so a camera that logged in
//! before a restart can still upload after it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use samsung_core::sns::Bridge;
use samsung_core::time::Instant;

use crate::durable;

/// File name of the persisted sessions in `SESSION_FOLDER`.
pub const SESSIONS_FILE: &str = "sessions.v1";

/// `SESSION_FOLDER/sessions.v1` and which revision of the sessions it holds.
#[derive(Debug)]
pub struct SessionFile {
    path: PathBuf,
    /// The bridge's sessions revision last written to disk.
    saved_revision: AtomicU64,
    /// One writer at a time, so an older table never overwrites a newer one.
    writer: Mutex<()>,
}

impl SessionFile {
    /// Creates `folder` if needed; the file itself is written by [`SessionFile::save`].
    pub fn open(folder: &Path) -> io::Result<SessionFile> {
        std::fs::create_dir_all(folder)?;
        Ok(SessionFile {
            path: folder.join(SESSIONS_FILE),
            saved_revision: AtomicU64::new(0),
            writer: Mutex::new(()),
        })
    }

    /// Where the sessions are kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Restores the sessions saved by an earlier run into `bridge` (a new
    /// one, before it serves); a missing file is a first start, an
    /// unreadable one is logged and ignored.
    pub fn restore(&self, bridge: &mut Bridge, now: Instant) {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => match bridge.import_sessions(&text, now) {
                Ok(n) => tracing::info!(
                    restored = n,
                    "sessions restored from {}",
                    self.path.display()
                ),
                Err(e) => tracing::warn!("ignoring {}: {e}", self.path.display()),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("cannot read {}: {e}", self.path.display()),
        }
    }

    /// Whether the sessions at `revision` ([`Bridge::sessions_revision`])
    /// are what the file holds.
    pub fn is_saved(&self, revision: u64) -> bool {
        self.saved_revision.load(Ordering::Relaxed) == revision
    }

    /// Writes the sessions durably. `snapshot` returns the export and its
    /// revision (`bridge.export_sessions()`, `bridge.sessions_revision()`);
    /// it is called under the writer lock, so concurrent saves write in
    /// order. A failure is logged (the sessions stay in memory and the next
    /// change tries again).
    pub fn save(&self, snapshot: impl FnOnce() -> (String, u64)) {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let (text, revision) = snapshot();
        match durable::replace(&self.path, text.as_bytes()) {
            Ok(()) => self.saved_revision.store(revision, Ordering::Relaxed),
            Err(e) => tracing::error!("cannot save sessions to {}: {e}", self.path.display()),
        }
    }

    /// [`SessionFile::save`] for a bridge the caller holds.
    pub fn save_bridge(&self, bridge: &Bridge) {
        self.save(|| (bridge.export_sessions(), bridge.sessions_revision()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::scratch;
    use samsung_core::sns::BridgeConfig;

    #[test]
    fn save_writes_the_export_and_records_its_revision() {
        let tmp = scratch("sessions");
        let file = SessionFile::open(&tmp.join("sessions")).unwrap();
        let bridge = Bridge::new(BridgeConfig::default(), [7; 32]);
        assert!(file.is_saved(bridge.sessions_revision()));
        file.save(|| (bridge.export_sessions(), 3));
        assert!(file.is_saved(3) && !file.is_saved(0));
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert_eq!(text, bridge.export_sessions());
        // No temporary file is left next to it.
        let names: Vec<_> = std::fs::read_dir(tmp.join("sessions"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [SESSIONS_FILE]);
    }
}
