//! Social batches: files collected under `batches/<id>/` until the batch is
//! complete or the core closes it, then one Mastodon job.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::disk::{self, JobFile, JobSpec, MastodonSpec, StoredFile};
use super::{JobId, JobKind, JobState, JobSummary, Outbox};
use crate::durable;

impl Outbox {
    /// Social Mastodon: takes over one file of a batch (`file`: fsynced, on
    /// the outbox's file system; renamed into the outbox). Durable on return.
    pub fn add_batch_media(
        &self,
        instance: Option<&str>,
        batch: &samsung_core::sns::BatchRef,
        file: &Path,
        file_name: &str,
        content_type: Option<&str>,
    ) -> io::Result<()> {
        let dir = self.batch_dir(&batch.id)?;
        let _guard = self.lock_batches();
        let fresh = !dir.exists();
        fs::create_dir_all(&dir)?;
        if fresh {
            durable::sync_dir(&self.root.join(disk::BATCHES))?;
        }
        let entry = BatchEntry {
            instance: instance.map(str::to_owned),
            index: batch.index,
            expected: batch.expected,
            caption: batch.caption.clone(),
            alt: batch.alt.clone(),
            album: batch.album.clone(),
            file_name: file_name.to_owned(),
            content_type: content_type.map(str::to_owned),
        };
        // The media first, then its entry: an entry always has its file.
        disk::move_file(file, &dir.join(format!("{:04}.media", batch.index)))?;
        durable::sync_dir(&dir)?;
        durable::replace(
            &dir.join(format!("{:04}.json", batch.index)),
            &disk::to_json(&entry)?,
        )?;
        info!(
            batch = %batch.id,
            index = batch.index,
            expected = ?batch.expected,
            target = %disk::with_instance("mastodon", instance),
            "stored {file_name} for the batch's post"
        );
        Ok(())
    }

    /// Turns a complete (or closed) batch into a Mastodon job, media ordered
    /// by index. Unknown or already finished batches: `Ok(None)`.
    pub fn finish_batch(&self, batch_id: &str) -> io::Result<Option<JobId>> {
        let dir = self.batch_dir(batch_id)?;
        let _guard = self.lock_batches();
        if !dir.exists() {
            return Ok(None);
        }
        // A marker from an interrupted finish names the job it was becoming.
        let marker = dir.join(disk::BATCH_JOB_MARKER);
        let id = match fs::read_to_string(&marker) {
            Ok(id) if disk::is_safe_name(id.trim()) => {
                let id = id.trim().to_owned();
                if self.job_exists(&id) {
                    self.remove_batch_dir(&dir)?;
                    return Ok(None);
                }
                id
            }
            _ => {
                let id = disk::new_job_id(disk::now_ms());
                durable::replace(&marker, id.as_bytes())?;
                id
            }
        };
        let entries = read_batch(&dir)?;
        let Some(first) = entries.first().map(|(e, _)| e.clone()) else {
            self.remove_batch_dir(&dir)?;
            return Ok(None);
        };
        let media: Vec<StoredFile> = entries
            .iter()
            .enumerate()
            .map(|(n, (e, _))| StoredFile {
                file: format!("media-{n}"),
                file_name: e.file_name.clone(),
                content_type: e.content_type.clone(),
                alt: e.alt.clone(),
            })
            .collect();
        let job = JobFile {
            version: disk::FORMAT_VERSION,
            id: id.clone(),
            created_ms: disk::now_ms(),
            spec: JobSpec::Mastodon(MastodonSpec {
                instance: first.instance.clone(),
                caption: first.caption.clone(),
                album: first.album.clone(),
                media,
                source: format!("batch {batch_id}"),
            }),
        };
        let files: Vec<(PathBuf, String)> = entries
            .iter()
            .enumerate()
            .map(|(n, (_, path))| (path.clone(), format!("media-{n}")))
            .collect();
        self.commit(&job, &files)?;
        if let Some(expected) = first.expected.filter(|&x| x != entries.len()) {
            warn!(batch = %batch_id, job = %id, "batch closed with {} of {expected} announced files", entries.len());
        }
        self.remove_batch_dir(&dir)?;
        Ok(Some(JobId(id)))
    }

    fn batch_dir(&self, batch_id: &str) -> io::Result<PathBuf> {
        if !disk::is_safe_name(batch_id) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "batch id is not a safe directory name",
            ));
        }
        Ok(self.root.join(disk::BATCHES).join(batch_id))
    }

    fn remove_batch_dir(&self, dir: &Path) -> io::Result<()> {
        fs::remove_dir_all(dir)?;
        durable::sync_dir(&self.root.join(disk::BATCHES))
    }

    /// After a crash in `finish_batch`: batches whose job was committed are removed.
    pub(super) fn recover_batches(&self) -> io::Result<()> {
        let bdir = self.root.join(disk::BATCHES);
        for name in disk::list_names(&bdir)? {
            let dir = bdir.join(&name);
            if let Ok(id) = fs::read_to_string(dir.join(disk::BATCH_JOB_MARKER))
                && self.job_exists(id.trim())
            {
                self.remove_batch_dir(&dir)?;
            }
        }
        Ok(())
    }

    /// The batches being collected on disk, for the core's batch-close
    /// rule (`samsung_core::sns::Bridge::adopt_batch`): the daemon hands
    /// them over and posts one when the core closes it.
    pub fn open_batches(&self) -> io::Result<Vec<OpenBatch>> {
        let bdir = self.root.join(disk::BATCHES);
        let mut out = Vec::new();
        for id in disk::list_names(&bdir)? {
            let dir = bdir.join(&id);
            let Some(last_activity) = newest_mtime(&dir) else {
                continue;
            };
            let files = complete_files(&dir);
            out.push(OpenBatch {
                id,
                files,
                last_activity,
            });
        }
        Ok(out)
    }
}

/// How often the batches on disk are offered to the core again. At start a
/// batch can be left over from sessions a restart lost; while running, one
/// can lose its session (evicted while a file was being stored) or fail to
/// be queued when it closed.
pub const BATCH_RESCAN: std::time::Duration = std::time::Duration::from_secs(60);

/// Offers the batches on disk to the core (at start and now and then: a
/// batch can be left over from sessions a restart lost, or lose its
/// session while running); it keeps the ones no session holds and closes
/// each after the batch idle time from its newest file, with a
/// `BridgeEvent::BatchClosed` that the frontend hands to
/// [`post_closed_batch`].
pub fn adopt_batches(bridge: &mut samsung_core::sns::Bridge, batches: &[OpenBatch]) {
    for b in batches {
        // Refused: a session holds it (and closes it), or too many are
        // tracked (offered again at the next look).
        bridge.adopt_batch(&b.id, b.files, crate::clock::instant(b.last_activity));
    }
}

/// Queues the post of a batch the core closed (`BridgeEvent::BatchClosed`).
pub fn post_closed_batch(outbox: &Outbox, batch: &str, uploaded: usize) {
    match outbox.finish_batch(batch) {
        Ok(Some(job)) => {
            info!("batch {batch} closed with {uploaded} file(s): queued as outbox job {job}")
        }
        Ok(None) => {}
        // The batch stays on disk: the next look offers it to the core again.
        Err(e) => tracing::error!("batch {batch}: cannot queue it: {e}"),
    }
}

/// A batch being collected on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBatch {
    /// The batch id (its directory name).
    pub id: String,
    /// Its complete files (media with their entry).
    pub files: usize,
    /// When it last changed: its newest file.
    pub last_activity: std::time::SystemTime,
}

/// The sidecar of one batch file (`<index>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BatchEntry {
    instance: Option<String>,
    index: usize,
    expected: Option<usize>,
    caption: String,
    alt: Option<String>,
    album: Option<String>,
    file_name: String,
    content_type: Option<String>,
}

/// The complete entries of a batch (sidecar and media both present), by index.
fn read_batch(dir: &Path) -> io::Result<Vec<(BatchEntry, PathBuf)>> {
    let mut out = Vec::new();
    for (entry, media) in complete_pairs(dir)? {
        match disk::read_json::<BatchEntry>(&entry) {
            Ok(e) => out.push((e, media)),
            Err(e) => warn!("skipping unreadable batch entry: {e}"),
        }
    }
    out.sort_by_key(|(e, _)| e.index);
    Ok(out)
}

/// How many files of a batch have both their media and their entry
/// (without reading the entries: this runs on every look at the batches).
fn complete_files(dir: &Path) -> usize {
    complete_pairs(dir).map_or(0, |pairs| pairs.len())
}

/// The `(<index>.json, <index>.media)` paths of a batch whose media and
/// entry are both present (a crash can leave one without the other).
fn complete_pairs(dir: &Path) -> io::Result<Vec<(PathBuf, PathBuf)>> {
    Ok(disk::list_names(dir)?
        .iter()
        .filter_map(|name| {
            let stem = name.strip_suffix(".json")?;
            let media = dir.join(format!("{stem}.media"));
            media.is_file().then(|| (dir.join(name), media))
        })
        .collect())
}

fn newest_mtime(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = fs::metadata(dir).and_then(|m| m.modified()).ok();
    for entry in fs::read_dir(dir).ok()?.flatten() {
        if let Ok(t) = entry.metadata().and_then(|m| m.modified()) {
            newest = newest.max(Some(t));
        }
    }
    newest
}

/// The open batches, as listing entries.
pub(super) fn list_batches(dir: &Path) -> io::Result<Vec<JobSummary>> {
    let mut out = Vec::new();
    for name in disk::list_names(&dir.join(disk::BATCHES))? {
        let bdir = dir.join(disk::BATCHES).join(&name);
        let entries = read_batch(&bdir).unwrap_or_default();
        let created_ms = fs::metadata(&bdir)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
        let first = entries.first().map(|(e, _)| e);
        out.push(JobSummary {
            id: name,
            kind: JobKind::Batch,
            target: disk::with_instance("mastodon", first.and_then(|e| e.instance.as_deref())),
            detail: match first.and_then(|e| e.expected) {
                Some(x) => format!("{} of {x} files", entries.len()),
                None => disk::count(entries.len(), "file"),
            },
            created_ms,
            attempts: 0,
            next_attempt_ms: None,
            last_error: None,
            state: JobState::Collecting,
            result: None,
        });
    }
    Ok(out)
}
