//! Session persistence: a line-based text export of the session table
//! that a frontend writes to disk and reads back after a restart.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::{Batch, Bridge, MAX_PENDING_FILES, PendingFile, Session, split_caption};
use crate::crypto;
use crate::time::Instant;
use crate::xml::MediaKind;

impl Bridge {
    /// Serialises the sessions (for a frontend to persist them): one line
    /// per session, fields tab-separated and percent-escaped. Instants are
    /// written as they are, so a persisting frontend should use a wall-clock
    /// epoch for its [`Instant`]s.
    pub fn export_sessions(&self) -> String {
        let mut out = String::from("samsung-bridge-sessions v1\n");
        for s in &self.sessions {
            let fields = [s.key.as_str(), s.user.as_str(), s.site.as_str()];
            for f in fields {
                push_escaped(&mut out, f);
                out.push('\t');
            }
            let _ = write!(
                out,
                "{}\t{}",
                s.created.as_millis(),
                s.last_used.as_millis()
            );
            if let Some(b) = &s.batch {
                out.push('\t');
                push_escaped(&mut out, &b.id);
                out.push('\t');
                push_escaped(&mut out, &b.content);
                out.push('\t');
                push_escaped(&mut out, b.album.as_deref().unwrap_or(""));
                let _ = write!(
                    out,
                    "\t{}\t{}\t{}",
                    b.announced,
                    b.uploaded,
                    b.last_activity.as_millis()
                );
                for p in &s.pending {
                    out.push('\t');
                    push_escaped(&mut out, &p.resource_name);
                    out.push('\t');
                    push_escaped(&mut out, &p.original_name);
                    let kind = match p.kind {
                        MediaKind::Photo => 'p',
                        MediaKind::Video => 'v',
                    };
                    let _ = write!(out, "\t{kind}\t{}", p.index);
                    out.push('\t');
                    push_escaped(&mut out, &p.batch_id);
                }
            }
            out.push('\n');
        }
        out
    }

    /// Restores sessions written by [`Bridge::export_sessions`]; sessions
    /// already expired at `now` are dropped. Returns how many were restored.
    pub fn import_sessions(&mut self, data: &str, now: Instant) -> Result<usize, ImportError> {
        let mut lines = data.lines();
        if lines.next() != Some("samsung-bridge-sessions v1") {
            return Err(ImportError::UnknownFormat);
        }
        let mut restored = 0;
        for line in lines.filter(|l| !l.is_empty()) {
            let s = parse_session_line(line)?;
            let limits = &self.config.limits;
            if now >= s.last_used + limits.session_idle || now >= s.created + limits.session_max_age
            {
                continue;
            }
            if self.sessions.len() >= limits.max_sessions || self.find(&s.key).is_some() {
                continue;
            }
            self.sessions.push(s);
            restored += 1;
        }
        Ok(restored)
    }
}

/// Why persisted sessions could not be read.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum ImportError {
    /// The first line is not the format marker.
    #[error("not a session file")]
    UnknownFormat,
    /// A line has missing or malformed fields.
    #[error("malformed session line")]
    Malformed,
}

fn parse_session_line(line: &str) -> Result<Session, ImportError> {
    let mut f = line.split('\t');
    let mut next = || f.next().ok_or(ImportError::Malformed);
    let key = unescape(next()?)?;
    let user = unescape(next()?)?;
    let site = unescape(next()?)?;
    let num = |s: &str| s.parse::<u64>().map_err(|_| ImportError::Malformed);
    let created = Instant::from_millis(num(next()?)?);
    let last_used = Instant::from_millis(num(next()?)?);
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ImportError::Malformed);
    }
    let mut session = Session {
        key,
        user,
        site,
        created,
        last_used,
        batch: None,
        pending: Vec::new(),
    };
    let Ok(id) = next() else {
        return Ok(session);
    };
    let id = unescape(id)?;
    let content = unescape(next()?)?;
    let album = unescape(next()?)?;
    let announced = num(next()?)? as usize;
    let uploaded = num(next()?)? as usize;
    let last_activity = Instant::from_millis(num(next()?)?);
    let (caption, alts) = split_caption(&content);
    session.batch = Some(Batch {
        id,
        content,
        caption,
        alts,
        album: (!album.is_empty()).then_some(album),
        announced,
        uploaded,
        in_flight: 0,
        last_activity,
    });
    while let Ok(resource_name) = next() {
        let resource_name = unescape(resource_name)?;
        let original_name = unescape(next()?)?;
        let kind = match next()? {
            "p" => MediaKind::Photo,
            "v" => MediaKind::Video,
            _ => return Err(ImportError::Malformed),
        };
        let index = num(next()?)? as usize;
        let batch_id = unescape(next()?)?;
        if session.pending.len() < MAX_PENDING_FILES {
            session.pending.push(PendingFile {
                resource_name,
                original_name,
                kind,
                index,
                batch_id,
            });
        }
    }
    Ok(session)
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '%' | '\t' | '\n' | '\r' => {
                let mut b = [0u8; 4];
                for byte in c.encode_utf8(&mut b).bytes() {
                    let _ = write!(out, "%{byte:02X}");
                }
            }
            _ => out.push(c),
        }
    }
}

fn unescape(s: &str) -> Result<String, ImportError> {
    let bytes = crypto::url_decode(s).map_err(|_| ImportError::Malformed)?;
    String::from_utf8(bytes).map_err(|_| ImportError::Malformed)
}
