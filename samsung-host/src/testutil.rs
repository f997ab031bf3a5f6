//! Helpers shared by the unit tests of this crate and of the daemon
//! (feature `testutil`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file or directory under a fresh temp directory, removed on drop.
#[derive(Debug)]
pub struct Temp {
    /// The fresh directory (removed on drop).
    pub dir: PathBuf,
    /// The file or directory the test works with, inside `dir`.
    pub path: PathBuf,
}

impl std::ops::Deref for Temp {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh, empty directory named after `label`.
pub fn scratch(label: &str) -> Temp {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "samsung-bridge-{label}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Temp {
        path: dir.clone(),
        dir,
    }
}

/// A file `name` with `content` in a fresh directory.
pub fn file(label: &str, name: &str, content: &str) -> Temp {
    let mut t = scratch(label);
    t.path = t.dir.join(name);
    std::fs::write(&t.path, content).unwrap();
    t
}
