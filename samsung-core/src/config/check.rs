//! Checks across sections: every action in use must be possible, and the
//! findings that are only worth a warning.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::walk::key_segment;
use super::{Config, ConfigError, is_forwarding};
use crate::route::{Action, ActionKind};

/// The `SECRET` of the reference's example config, which many installations kept.
const EXAMPLE_SECRET: &str = "xiev5kaMeehaimub";

/// An action in use: the action, the key to blame, and how it is used.
pub(super) struct Use {
    action: Action,
    key: String,
    why: String,
}

/// Every action in use: `[ACTIONS]` entries and the e-mail default.
pub(super) struct Uses(Vec<Use>);

impl Uses {
    /// `entries` are (target, action, key) of `[ACTIONS]`.
    pub(super) fn new(entries: &[(String, Action, String)], default_email: &Action) -> Self {
        let mut uses: Vec<Use> = entries
            .iter()
            .map(|(_, action, key)| Use {
                action: action.clone(),
                key: key.clone(),
                why: format!("{key} = \"{action}\""),
            })
            .collect();
        uses.push(Use {
            action: default_email.clone(),
            key: String::from("MAIL_SERVER"),
            why: String::from(
                "e-mail recipients without an [ACTIONS] entry are mailed because MAIL_SERVER is set",
            ),
        });
        Self(uses)
    }

    /// `needed by …` when an action uses the instance.
    pub(super) fn why(&self, kind: ActionKind, instance: &Option<String>) -> Option<String> {
        self.0
            .iter()
            .find(|u| u.action.kind == kind && &u.action.instance == instance)
            .map(|u| format!("needed by {}", u.why))
    }

    /// Forwarding needs a whitelist, `mail` a server; `mail` and `drop` have
    /// no instances.
    pub(super) fn check_possible(
        &self,
        c: &Config,
        w: &mut Vec<String>,
    ) -> Result<(), ConfigError> {
        for Use { action, key, why } in &self.0 {
            if is_forwarding(action.kind) && c.senders.as_ref().is_none_or(Vec::is_empty) {
                return Err(ConfigError::new(
                    "SENDERS",
                    format!(
                        "forwarding needs a SENDERS whitelist: anyone on your WiFi could use it ({why})"
                    ),
                ));
            }
            match action.kind {
                ActionKind::Mail if c.mail.is_none() => {
                    return Err(ConfigError::new(key.clone(), "mail needs MAIL_SERVER"));
                }
                ActionKind::Mail | ActionKind::Drop if action.instance.is_some() => {
                    w.push(format!(
                        "{key}: {}: the instance name is ignored",
                        action.kind.as_str()
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Every `mastodon.<name>` and `shell.<name>` has its section.
    pub(super) fn check_instances<M, S>(
        &self,
        mastodon: &BTreeMap<String, M>,
        shell: &BTreeMap<String, S>,
    ) -> Result<(), ConfigError> {
        for Use { action, key, .. } in &self.0 {
            let inst = &action.instance;
            let missing = match action.kind {
                ActionKind::Mastodon => inst.as_ref().filter(|i| !mastodon.contains_key(*i)),
                ActionKind::Shell => inst.as_ref().filter(|i| !shell.contains_key(*i)),
                _ => None,
            };
            if let Some(i) = missing {
                let section = action.kind.as_str().to_ascii_uppercase();
                return Err(ConfigError::new(
                    key.clone(),
                    format!("{action}: there is no [{section}.{i}] section"),
                ));
            }
        }
        Ok(())
    }
}

/// Whether `inner` is `outer` or below it, compared lexically (as
/// `std::path::Path::components` does, without `.`).
fn is_within(inner: &str, outer: &str) -> bool {
    fn parts(p: &str) -> Vec<&str> {
        let root = p.starts_with('/').then_some("/");
        root.into_iter()
            .chain(p.split('/').filter(|c| !c.is_empty() && *c != "."))
            .collect()
    }
    let (inner, outer) = (parts(inner), parts(outer));
    inner.len() >= outer.len() && inner.iter().zip(&outer).all(|(a, b)| a == b)
}

/// `SECRET`, `INSECURE_DOWNLOAD`, `SENDERS` and `[PASSWORDS]` together.
pub(super) fn findings(c: &Config, w: &mut Vec<String>) -> Result<(), ConfigError> {
    let secret = c.secret.expose();
    if secret.is_empty() {
        if c.insecure_download {
            return Err(ConfigError::new(
                "SECRET",
                "missing: INSECURE_DOWNLOAD serves UPLOAD_FOLDER, and without SECRET anyone who knows a user name can compute its folder name",
            ));
        }
        w.push(String::from(
            "SECRET is not set: folder names are derived from an empty key (set SECRET before sharing UPLOAD_FOLDER; changing it later moves every user to a new folder)",
        ));
    } else if secret == EXAMPLE_SECRET.as_bytes() {
        w.push(String::from(
            "SECRET is the example value of the reference's config.toml: anyone can compute your folder names; change it (this renames every user's folder)",
        ));
    }
    if c.insecure_download {
        w.push(format!(
            "INSECURE_DOWNLOAD is on: everything under {} can be downloaded without authentication",
            c.upload_folder
        ));
        for (name, folder) in [
            ("SESSION_FOLDER", &c.session_folder),
            ("OUTBOX_FOLDER", &c.outbox_folder),
        ] {
            if is_within(folder, &c.upload_folder) {
                w.push(format!(
                    "{name} {folder} is inside UPLOAD_FOLDER, which INSECURE_DOWNLOAD serves to anyone"
                ));
            }
        }
    }
    match &c.senders {
        Some(list) if list.is_empty() => w.push(String::from(
            "SENDERS is empty: no camera may log in or send e-mail",
        )),
        Some(list) => {
            for (user, _) in &c.passwords {
                if !list.iter().any(|s| s.eq_ignore_ascii_case(user)) {
                    w.push(format!(
                        "PASSWORDS.{}: {user} is not in SENDERS, so it cannot log in at all",
                        key_segment(user)
                    ));
                }
            }
        }
        None if !c.passwords.is_empty() => w.push(String::from(
            "PASSWORDS without SENDERS: users without a PASSWORDS entry log in with any password",
        )),
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_within;

    #[test]
    fn within_compares_components_like_std_path() {
        for (inner, outer, want) in [
            ("/tmp/sessions", "/tmp/", true),
            ("/tmp", "/tmp", true),
            ("/tmp//a/./b", "/tmp/a", true),
            ("./uploads/x", "uploads", true),
            ("/tmpx", "/tmp", false),
            ("tmp/a", "/tmp", false),
            ("/tmp/a", "tmp", false),
            ("/anything", ".", true),
            ("../a", "a", false),
        ] {
            assert_eq!(is_within(inner, outer), want, "{inner} in {outer}");
            assert_eq!(
                is_within(inner, outer),
                std_within(inner, outer),
                "{inner} in {outer}: std disagrees"
            );
        }
    }

    fn std_within(inner: &str, outer: &str) -> bool {
        use std::path::{Component, Path};
        fn parts(p: &Path) -> std::vec::Vec<Component<'_>> {
            p.components().filter(|c| *c != Component::CurDir).collect()
        }
        let (inner, outer) = (parts(Path::new(inner)), parts(Path::new(outer)));
        inner.len() >= outer.len() && inner.iter().zip(&outer).all(|(a, b)| a == b)
    }
}
