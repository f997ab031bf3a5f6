//! Durable storage of uploads: temporary files under the upload folder,
//! fsync, then a no-overwrite link into place.
//!
//! Uploads are written to `UPLOAD_FOLDER/.incoming/` (a hidden folder: the
//! download server never shows dot-names, and it is on the same filesystem as
//! the targets, so placing a file is a link, not a copy). A file only appears
//! under its real name after its bytes are fsynced; a connection that dies
//! mid-upload leaves nothing but a temporary file, which is deleted at once
//! (and any left over by a crash are swept at start-up).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use samsung_core::route;

use crate::durable;

/// Name of the temporary folder under the upload folder.
pub const INCOMING: &str = ".incoming";

/// The upload folder and its temporary area.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    incoming: PathBuf,
    counter: AtomicU64,
}

/// A file being received.
#[derive(Debug)]
pub struct TempFile {
    /// Where it is (under `.incoming/`).
    pub path: PathBuf,
    file: Option<File>,
    /// Bytes written so far.
    pub written: u64,
}

impl TempFile {
    /// Appends bytes.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => {
                f.write_all(data)?;
                self.written += data.len() as u64;
                Ok(())
            }
            None => Err(io::Error::other("temporary file already closed")),
        }
    }

    /// Flushes the bytes to stable storage and closes the handle.
    pub fn sync(&mut self) -> io::Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_all()?;
        }
        Ok(())
    }

    /// Deletes the temporary file (best effort).
    pub fn discard(mut self) {
        self.file.take();
        let _ = fs::remove_file(&self.path);
    }
}

impl Store {
    /// Opens (creates) the upload folder and sweeps leftovers of a crash.
    pub fn open(root: &Path) -> io::Result<Store> {
        fs::create_dir_all(root)?;
        let root = canonical(root)?;
        let incoming = root.join(INCOMING);
        fs::create_dir_all(&incoming)?;
        let mut swept = 0;
        for entry in fs::read_dir(&incoming)? {
            let entry = entry?;
            if entry.file_type()?.is_file() && fs::remove_file(entry.path()).is_ok() {
                swept += 1;
            }
        }
        if swept > 0 {
            tracing::warn!(swept, "deleted partial uploads left by an earlier crash");
        }
        Ok(Store {
            root,
            incoming,
            counter: AtomicU64::new(0),
        })
    }

    /// The (canonical) upload folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A new temporary file.
    pub fn temp_file(&self, hint: &str) -> io::Result<TempFile> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut rnd = [0u8; 6];
        getrandom::fill(&mut rnd).map_err(|e| io::Error::other(e.to_string()))?;
        let rnd: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let safe_hint: String = hint
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-' || *c == '_')
            .take(40)
            .collect();
        let path = self
            .incoming
            .join(format!("{}-{n}-{rnd}-{safe_hint}.part", process_tag()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(TempFile {
            path,
            file: Some(file),
            written: 0,
        })
    }

    /// Places a synced temporary file as `folder/name` under the upload
    /// folder, never overwriting: a taken name gets the core's next
    /// candidate (`-1`, `-2`, … before the extension). `folder` and `name`
    /// must be single safe path segments (the core sanitises them; checked
    /// again here). The temporary file stays (the caller may place it
    /// several times) until `discard`ed.
    pub fn place(&self, temp: &Path, folder: &str, name: &str) -> io::Result<PathBuf> {
        let dir = self.folder(folder)?;
        check_segment(name)?;
        for candidate in route::name_candidates(name) {
            let candidate = dir.join(candidate);
            match link_new(temp, &candidate) {
                Ok(()) => {
                    durable::sync_dir(&dir)?;
                    return Ok(candidate);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(format!(
            "more than {} files named {name} in {folder}",
            route::MAX_NAME_CANDIDATES
        )))
    }

    /// `root/folder`, created; `folder` must be one safe segment.
    fn folder(&self, folder: &str) -> io::Result<PathBuf> {
        check_segment(folder)?;
        let dir = self.root.join(folder);
        if !dir.exists() {
            fs::create_dir_all(&dir)?;
            durable::sync_dir(&self.root)?;
        }
        Ok(dir)
    }

    /// Resolves a download path (already validated by the core) to an
    /// existing file or folder under the upload folder, refusing anything
    /// that resolves outside it (symlinks) or into `excluded` folders.
    pub fn resolve_download(&self, rel: &str, excluded: &[PathBuf]) -> Option<PathBuf> {
        let mut path = self.root.clone();
        for seg in rel.split('/').filter(|s| !s.is_empty()) {
            check_segment(seg).ok()?;
            path.push(seg);
        }
        let real = match path.canonicalize() {
            Ok(real) => real,
            // No realpath (WASI): the runtime confines paths to the
            // pre-opened directory; refusing symlinks keeps the excluded
            // folders out of reach.
            Err(e) if no_realpath(&e, &path) => {
                no_symlinks(&self.root, &path)?;
                path
            }
            Err(_) => return None,
        };
        if !real.starts_with(&self.root) || real.starts_with(&self.incoming) {
            return None;
        }
        if excluded.iter().any(|x| real.starts_with(x)) {
            return None;
        }
        Some(real)
    }
}

/// `path` made absolute with symlinks resolved; where the platform has no
/// realpath (WASI), the path as given.
fn canonical(path: &Path) -> io::Result<PathBuf> {
    match path.canonicalize() {
        Err(e) if no_realpath(&e, path) => Ok(path.to_path_buf()),
        other => other,
    }
}

/// Whether `canonicalize` failed because the platform cannot do it for
/// `path`: unsupported, or on WASI an absolute path (wasi-libc resolves
/// only relative ones and answers NotFound even for an existing file).
fn no_realpath(e: &io::Error, path: &Path) -> bool {
    e.kind() == io::ErrorKind::Unsupported
        || (cfg!(target_os = "wasi") && path.is_absolute() && e.kind() == io::ErrorKind::NotFound)
}

/// Some(()) when no entry of `path` below `root` is a symlink and it exists.
fn no_symlinks(root: &Path, path: &Path) -> Option<()> {
    let rel = path.strip_prefix(root).ok()?;
    let mut at = root.to_path_buf();
    for c in rel.components() {
        at.push(c);
        if fs::symlink_metadata(&at).ok()?.file_type().is_symlink() {
            return None;
        }
    }
    Some(())
}

/// Creates `dst` with the content of `src`, failing with `AlreadyExists`
/// if `dst` exists: a hard link, or where the file system has none (some
/// WASI hosts) a synced copy into a file created exclusively.
fn link_new(src: &Path, dst: &Path) -> io::Result<()> {
    match fs::hard_link(src, dst) {
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            let mut out = OpenOptions::new().write(true).create_new(true).open(dst)?;
            let copied = io::copy(&mut File::open(src)?, &mut out).and_then(|_| out.sync_all());
            if copied.is_err() {
                let _ = fs::remove_file(dst);
            }
            copied
        }
        other => other,
    }
}

/// Part of a temporary file's name: the process id where there is one, so
/// two processes sharing a folder never pick the same name.
fn process_tag() -> u32 {
    #[cfg(not(target_os = "wasi"))]
    return std::process::id();
    // WASI has no process ids (`std::process::id` panics there).
    #[cfg(target_os = "wasi")]
    0
}

/// A file or folder name that cannot leave its folder.
fn check_segment(s: &str) -> io::Result<()> {
    let mut comps = Path::new(s).components();
    let ok = !s.is_empty()
        && !s.starts_with('.')
        && !s.contains(['/', '\\', '\0'])
        && matches!(comps.next(), Some(Component::Normal(_)))
        && comps.next().is_none();
    if ok {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unsafe path segment {s:?}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "samsung-bridge-store-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn places_without_overwriting() {
        let root = scratch("place");
        let store = Store::open(&root).unwrap();
        let mut names = Vec::new();
        for content in [&b"one"[..], b"two", b"three"] {
            let mut t = store.temp_file("SAM_0001.JPG").unwrap();
            t.write(content).unwrap();
            t.sync().unwrap();
            let placed = store.place(&t.path, "abc", "SAM_0001.JPG").unwrap();
            t.discard();
            names.push(placed.file_name().unwrap().to_string_lossy().into_owned());
        }
        assert_eq!(names, ["SAM_0001.JPG", "SAM_0001-1.JPG", "SAM_0001-2.JPG"]);
        let root = store.root().to_path_buf();
        assert_eq!(fs::read(root.join("abc/SAM_0001.JPG")).unwrap(), b"one");
        assert_eq!(fs::read(root.join("abc/SAM_0001-2.JPG")).unwrap(), b"three");
        assert_eq!(fs::read_dir(root.join(INCOMING)).unwrap().count(), 0);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn refuses_unsafe_segments() {
        let root = scratch("unsafe");
        let store = Store::open(&root).unwrap();
        let t = store.temp_file("x").unwrap();
        for (folder, name) in [
            ("..", "a"),
            ("a/b", "c"),
            ("abc", "../x"),
            ("abc", ".hidden"),
            ("", "x"),
            ("abc", "a\0b"),
        ] {
            assert!(
                store.place(&t.path, folder, name).is_err(),
                "{folder}/{name}"
            );
        }
        t.discard();
        assert!(store.resolve_download("../etc", &[]).is_none());
        fs::remove_dir_all(store.root()).unwrap();
    }

    #[test]
    fn sweeps_leftovers() {
        let root = scratch("sweep");
        let store = Store::open(&root).unwrap();
        let mut t = store.temp_file("x").unwrap();
        t.write(b"partial").unwrap();
        drop(store);
        let store = Store::open(&root).unwrap();
        assert_eq!(
            fs::read_dir(store.root().join(INCOMING)).unwrap().count(),
            0
        );
        fs::remove_dir_all(store.root()).unwrap();
    }
}
