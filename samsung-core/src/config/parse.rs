//! [`Config::parse`]: the sections in turn, then the checks across them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::check::{self, Uses};
use super::value::{Table, Value};
use super::walk::{Section, in_key_order, key_of_line, key_segment, unknown_key_warning};
use super::{Config, ConfigError, Files, dns, limits, mail, mastodon, shell};
use crate::crypto::Secret;
use crate::route::{Action, ActionKind, Routes};
use crate::sns;

/// A configuration parsed and validated, whose top-level keys unknown to
/// the core are not judged yet: a frontend [claims](Parsed::claim) its own
/// sections, then [`Parsed::finish`] warns about the rest.
#[derive(Debug)]
#[must_use = "finish() gives the configuration"]
pub struct Parsed {
    config: Config,
    /// Top-level keys the core did not read, sorted.
    unclaimed: Vec<(String, Value)>,
    /// Where their warnings go among the others.
    unknown_at: usize,
}

impl Parsed {
    /// Takes the top-level key or section `key` (e.g. the firmware's
    /// `[WIFI]`) out of the unknown keys; None when the file has none.
    pub fn claim(&mut self, key: &str) -> Option<Value> {
        let i = self.unclaimed.iter().position(|(k, _)| k == key)?;
        Some(self.unclaimed.remove(i).1)
    }

    /// The top-level keys nobody has read so far.
    pub fn unclaimed(&self) -> impl Iterator<Item = &str> {
        self.unclaimed.iter().map(|(k, _)| k.as_str())
    }

    /// The configuration, with a warning for every key nobody claimed.
    pub fn finish(self) -> Config {
        let Self {
            mut config,
            unclaimed,
            unknown_at,
        } = self;
        let unknown = unclaimed
            .iter()
            .map(|(k, _)| unknown_key_warning(&key_segment(k), Some(k)));
        let at = unknown_at.min(config.warnings.len());
        config.warnings.splice(at..at, unknown);
        config
    }
}

impl Config {
    /// Parses and validates `config.toml`; token files and programs are
    /// looked up through `files`. Errors name the key and the reason.
    pub fn parse(text: &str, files: &mut dyn Files) -> Result<Parsed, ConfigError> {
        let mut root = Table::parse(text).map_err(|e| ConfigError {
            // Only the position and the words: the line may hold a password.
            key: key_of_line(text, e.offset),
            reason: e.to_string(),
        })?;
        let mut w = Vec::new();
        let mut c = Self::embedded_default();
        let mut top = Section::new(String::new(), &root);
        read_top(&mut top, &mut c, &mut w)?;
        c.mail = mail::read(&mut top, &mut w)?;
        let mastodon = mastodon::read(&mut top, &mut w)?;
        let shell = shell::read(&mut top, &mut w)?;
        let entries = read_actions(&mut top, &mut w)?;
        if let Some(table) = top.subtable("DNS")? {
            c.dns = Some(dns::read(table, &mut w)?);
        }
        if let Some(table) = top.subtable("LIMITS")? {
            c.limits = limits::read(table, &mut w)?;
        }
        let unused: Vec<String> = top.unused().into_iter().map(String::from).collect();
        drop(top);
        let unknown_at = w.len();

        let default_email = if c.mail.is_some() {
            Action::new(ActionKind::Mail)
        } else {
            w.push(String::from(
                "MAIL_SERVER is not set: e-mails to recipients without an [ACTIONS] entry are stored, not mailed",
            ));
            Routes::default().default_email().clone()
        };
        c.routes = Routes::new(
            Routes::default().default_social().clone(),
            default_email.clone(),
        );
        for (target, action, _) in &entries {
            c.routes.insert(target, action.clone());
        }
        let uses = Uses::new(&entries, &default_email);
        uses.check_possible(&c, &mut w)?;
        uses.check_instances(&mastodon.named, &shell.named)?;
        c.mastodon = mastodon.resolve(&uses, files, &mut w)?;
        c.shell = shell.resolve(&uses, files, &mut w)?;
        check::findings(&c, &mut w)?;
        c.warnings = w;

        let unclaimed = unused
            .into_iter()
            .filter_map(|k| {
                let v = root.remove(&k)?;
                Some((k, v))
            })
            .collect();
        Ok(Parsed {
            config: c,
            unclaimed,
            unknown_at,
        })
    }
}

/// The top-level keys of the bridge itself: where it listens and stores,
/// and who may use it.
fn read_top(top: &mut Section<'_>, c: &mut Config, w: &mut Vec<String>) -> Result<(), ConfigError> {
    if let Some(listen) = top.socket_addr("LISTEN")? {
        c.listen = listen;
    }
    for (key, folder) in [
        ("UPLOAD_FOLDER", &mut c.upload_folder),
        ("SESSION_FOLDER", &mut c.session_folder),
        ("OUTBOX_FOLDER", &mut c.outbox_folder),
    ] {
        if let Some(p) = top.nonempty(key)? {
            *folder = p;
        }
    }
    c.insecure_download = top.boolean("INSECURE_DOWNLOAD")?.unwrap_or(false);
    c.senders = top.string_list("SENDERS")?.map(|list| {
        let mut out: Vec<String> = Vec::new();
        for s in list {
            let s = s.trim();
            if s.is_empty() {
                w.push(String::from("SENDERS: empty entry ignored"));
            } else if !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
                out.push(String::from(s));
            }
        }
        out
    });
    if let Some(table) = top.subtable("PASSWORDS")? {
        let mut sec = Section::new(String::from("PASSWORDS"), table);
        for (user, _) in in_key_order(table) {
            let password = sec.secret(user)?.unwrap_or_default();
            c.passwords
                .push((String::from(user.trim()), Secret::new(password)));
        }
        sec.finish(w);
    }
    let secret = top.secret("SECRET")?.unwrap_or_default();
    c.secret = Secret::new(secret.into_bytes());
    Ok(())
}

/// `[ACTIONS]`: (target, action, key) in key order.
fn read_actions(
    top: &mut Section<'_>,
    w: &mut Vec<String>,
) -> Result<Vec<(String, Action, String)>, ConfigError> {
    let mut entries = Vec::new();
    let Some(table) = top.subtable("ACTIONS")? else {
        return Ok(entries);
    };
    let mut sec = Section::new(String::from("ACTIONS"), table);
    for (target, _) in in_key_order(table) {
        let key = sec.key(target);
        let value = sec.string(target)?.unwrap_or_default();
        let action = Action::parse(value.trim()).map_err(|e| {
            ConfigError::new(
                key.clone(),
                format!(
                    "{e} in {value:?} (expected store, mail, mastodon, shell or drop, optionally with .instance)"
                ),
            )
        })?;
        if target.trim().is_empty() {
            return Err(ConfigError::new(key, "empty target"));
        }
        check_target(target.trim(), &key, w);
        entries.push((String::from(target.trim()), action, key));
    }
    sec.finish(w);
    Ok(entries)
}

/// Warnings about an `[ACTIONS]` target that no camera will ever send.
fn check_target(target: &str, key: &str, w: &mut Vec<String>) {
    if target.contains('@') {
        return;
    }
    let site = target.to_ascii_lowercase();
    if sns::OAUTH_SITES.contains(&site.as_str()) {
        w.push(format!(
            "{key}: cameras log in to {target} through OAuth, which samsung-bridge cannot do; this entry is never used"
        ));
    } else if !sns::SITES.contains(&site.as_str()) {
        w.push(format!(
            "{key}: {target} is neither a site the cameras know ({}) nor an e-mail address",
            sns::SITES.join(", ")
        ));
    }
}
