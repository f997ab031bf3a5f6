//! What a configuration asks of its frontend, so that a frontend can refuse
//! what it cannot do (the WASI component runs no programs) by name, at
//! start-up, instead of failing at the first upload.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::walk::key_segment;
use super::{Config, ConfigError, section_name};
use crate::route::ActionKind;

#[cfg(test)]
mod tests;

/// Something a frontend may not be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feature {
    /// Forward by e-mail (`mail` actions, `MAIL_SERVER`).
    Mail,
    /// Post to Mastodon (`mastodon` actions, `[MASTODON]`).
    Mastodon,
    /// Run programs (`shell` actions, `[SHELL]`).
    Shell,
    /// Answer DNS queries (`[DNS]`).
    Dns,
    /// Serve stored files (`INSECURE_DOWNLOAD`).
    Downloads,
}

impl Feature {
    /// What it is, for messages.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Mail => "forward e-mail",
            Self::Mastodon => "post to Mastodon",
            Self::Shell => "run shell commands",
            Self::Dns => "answer DNS queries",
            Self::Downloads => "serve downloads",
        }
    }

    fn of(kind: ActionKind) -> Option<Self> {
        match kind {
            ActionKind::Mail => Some(Self::Mail),
            ActionKind::Mastodon => Some(Self::Mastodon),
            ActionKind::Shell => Some(Self::Shell),
            ActionKind::Store | ActionKind::Drop => None,
        }
    }
}

/// A feature a configuration uses, and the keys that ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureUse {
    /// The feature.
    pub feature: Feature,
    /// Dotted keys and `[SECTIONS]`, in the order of the file's sections.
    pub keys: Vec<String>,
}

impl Config {
    /// Every feature this configuration uses, with the keys that ask for it.
    pub fn features(&self) -> Vec<FeatureUse> {
        let mut uses: Vec<FeatureUse> = Vec::new();
        let mut add =
            |feature: Feature, key: String| match uses.iter_mut().find(|u| u.feature == feature) {
                Some(u) if u.keys.contains(&key) => {}
                Some(u) => u.keys.push(key),
                None => uses.push(FeatureUse {
                    feature,
                    keys: alloc::vec![key],
                }),
            };
        if self.insecure_download {
            add(Feature::Downloads, String::from("INSECURE_DOWNLOAD"));
        }
        if self.mail.is_some() {
            add(Feature::Mail, String::from("MAIL_SERVER"));
        }
        for name in self.mastodon.keys() {
            add(
                Feature::Mastodon,
                format!("[{}]", section_name("MASTODON", name.as_deref())),
            );
        }
        for name in self.shell.keys() {
            add(
                Feature::Shell,
                format!("[{}]", section_name("SHELL", name.as_deref())),
            );
        }
        for (target, action) in self.routes.iter() {
            if let Some(f) = Feature::of(action.kind) {
                add(f, format!("ACTIONS.{}", key_segment(target)));
            }
        }
        for action in [self.routes.default_social(), self.routes.default_email()] {
            if let Some(f) = Feature::of(action.kind) {
                add(f, String::from("MAIL_SERVER"));
            }
        }
        if self.dns.is_some() {
            add(Feature::Dns, String::from("[DNS]"));
        }
        uses
    }

    /// An error naming the keys that use a feature in `unsupported`, for
    /// `frontend` (its name in the message) to stop with at start-up.
    pub fn refuse(&self, unsupported: &[Feature], frontend: &str) -> Result<(), ConfigError> {
        match self
            .features()
            .into_iter()
            .find(|u| unsupported.contains(&u.feature))
        {
            None => Ok(()),
            Some(FeatureUse { feature, keys }) => Err(ConfigError::new(
                keys.first()
                    .map_or("", |k| k.trim_start_matches('[').trim_end_matches(']')),
                format!(
                    "{frontend} cannot {}; remove or change {}",
                    feature.description(),
                    keys.join(", ")
                ),
            )),
        }
    }
}
