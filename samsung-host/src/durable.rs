//! What "on disk" means for the bridge, in one place: a file is fsynced
//! before it counts, a replaced file is never seen half-written, and a
//! directory is fsynced after an entry in it was created, renamed or removed
//! (otherwise a crash can lose the entry even though the data was synced).
//! The upload store, the session file and the outbox all write through these.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Makes a directory's entries (creations, renames, removals) durable.
/// A runtime that cannot sync a directory (some WASI hosts) gives what it
/// offers: the entries are then as durable as that runtime makes them.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir)?.sync_all() {
        Err(e) if e.kind() == io::ErrorKind::Unsupported => Ok(()),
        other => other,
    }
}

/// Writes a new file and fsyncs it (not its directory: the caller syncs
/// that once after all its entries are in place).
pub fn write_synced(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Replaces `path` atomically: `<path>.tmp`, fsync, rename over `path`,
/// fsync of the directory. A crash leaves the old or the new content.
pub fn replace(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    write_synced(&tmp, data)?;
    fs::rename(&tmp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::scratch;

    #[test]
    fn replace_writes_and_overwrites_without_leaving_the_temp_file() {
        let tmp = scratch("durable");
        let path = tmp.join("sessions.v1");
        replace(&path, b"one").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one");
        replace(&path, b"two, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two, longer");
        let names: Vec<_> = fs::read_dir(&*tmp)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["sessions.v1"]);
    }

    #[test]
    fn a_failed_replace_leaves_no_target() {
        let tmp = scratch("durable-missing");
        let path = tmp.join("no-such-folder").join("state.json");
        assert!(replace(&path, b"x").is_err());
        assert!(!path.exists());
    }
}
