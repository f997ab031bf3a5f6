//! `[MASTODON]` and `[MASTODON.<name>]`: accounts to post to, with the
//! token in the file or in a token file.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::instances::{Instance, Instances};
use super::token::{TokenFile, looks_like_path, normalize_base_url, valid_token};
use super::walk::Section;
use super::{ConfigError, Files, ReadError};
use crate::crypto::Secret;
use crate::mastodon::Visibility;
use crate::route::ActionKind;

/// One Mastodon account (`[MASTODON]` or `[MASTODON.<name>]`, after inheritance).
#[derive(Debug, Clone)]
pub struct MastodonConfig {
    /// e.g. `https://mastodon.social` or `http://127.0.0.1:3000` (no trailing `/`).
    pub base_url: String,
    /// The access token (read from the token file when `TOKEN` names a file).
    pub token: Secret<String>,
    /// The token file `TOKEN` named, as written; None when `TOKEN` is the token itself.
    pub token_file: Option<String>,
    /// `POSTSCRIPT`: text added to every status.
    pub postscript: Option<String>,
    /// `public`, `unlisted`, `private`, `direct` (None: the account default).
    pub visibility: Option<Visibility>,
}

/// A `[MASTODON]`/`[MASTODON.<name>]` table before inheritance: each field
/// with the key it came from.
#[derive(Debug, Clone, Default)]
pub(super) struct MastodonRaw {
    base_url: Option<(String, String)>,
    token: Option<(Secret<String>, String)>,
    postscript: Option<String>,
    visibility: Option<Option<Visibility>>,
}

/// The token `TOKEN` gives, and the file it came from.
struct Token {
    token: Secret<String>,
    /// The token file, as `TOKEN` names it.
    file: Option<String>,
    /// The server the token file names.
    file_url: Option<String>,
}

/// The keys, as `[MASTODON]` spells them.
const KEYS: [&str; 4] = ["BASE_URL", "TOKEN", "POSTSCRIPT", "VISIBILITY"];

impl MastodonRaw {
    /// Reads `BASE_URL`, `TOKEN`, … (`prefix` is `MASTODON_` for the old top-level keys).
    fn read_prefixed(sec: &mut Section<'_>, prefix: &str) -> Result<Self, ConfigError> {
        let [url_key, token_key, postscript_key, visibility_key] =
            KEYS.map(|k| format!("{prefix}{k}"));
        let base_url = match sec.nonempty(&url_key)? {
            None => None,
            Some(url) => Some((
                normalize_base_url(&url)
                    .map_err(|e| ConfigError::new(sec.key(&url_key), e.to_string()))?,
                sec.key(&url_key),
            )),
        };
        let token = match sec.secret(&token_key)? {
            Some(t) if t.trim().is_empty() => {
                return Err(ConfigError::new(sec.key(&token_key), "must not be empty"));
            }
            Some(t) => Some((Secret::new(String::from(t.trim())), sec.key(&token_key))),
            None => None,
        };
        let postscript = sec.string(&postscript_key)?;
        let visibility = match sec.string(&visibility_key)? {
            None => None,
            Some(v) if v.trim().is_empty() => Some(None),
            Some(v) => Some(Some(Visibility::parse(&v).ok_or_else(|| {
                ConfigError::new(
                    sec.key(&visibility_key),
                    format!("expected public, unlisted, private or direct, got {v:?}"),
                )
            })?)),
        };
        Ok(Self {
            base_url,
            token,
            postscript,
            visibility,
        })
    }

    /// Which keys both have, by their `[MASTODON]` names.
    fn both_set(&self, other: &Self) -> [(&'static str, bool); 4] {
        [
            (KEYS[0], self.base_url.is_some() && other.base_url.is_some()),
            (KEYS[1], self.token.is_some() && other.token.is_some()),
            (
                KEYS[2],
                self.postscript.is_some() && other.postscript.is_some(),
            ),
            (
                KEYS[3],
                self.visibility.is_some() && other.visibility.is_some(),
            ),
        ]
    }

    /// The token, read from the file `TOKEN` names when it names one.
    fn token(
        token_value: &Secret<String>,
        token_key: &str,
        files: &mut dyn Files,
    ) -> Result<Token, ConfigError> {
        let raw = token_value.expose();
        if !files.exists(raw) && !looks_like_path(raw) {
            if !valid_token(raw) {
                return Err(ConfigError::new(
                    token_key,
                    "the token has spaces or control characters",
                ));
            }
            return Ok(Token {
                token: token_value.clone(),
                file: None,
                file_url: None,
            });
        }
        let text = files.read(raw).map_err(|e| {
            let hint = if e == ReadError::NotFound {
                " (`samsung-bridge mastodon-login https://your.server --out FILE` writes one)"
            } else {
                ""
            };
            ConfigError::new(token_key, format!("token file {raw}: {e}{hint}"))
        })?;
        let file = TokenFile::parse(&text)
            .map_err(|e| ConfigError::new(token_key, format!("token file {raw} {e}")))?;
        Ok(Token {
            token: file.token,
            file: Some(String::from(raw)),
            file_url: file.base_url,
        })
    }
}

impl Instance for MastodonRaw {
    type Resolved = MastodonConfig;
    const SECTION: &'static str = "MASTODON";
    const KIND: ActionKind = ActionKind::Mastodon;

    fn read(sec: &mut Section<'_>) -> Result<Self, ConfigError> {
        Self::read_prefixed(sec, "")
    }

    fn over(&self, defaults: &Self) -> Self {
        Self {
            base_url: self.base_url.clone().or_else(|| defaults.base_url.clone()),
            token: self.token.clone().or_else(|| defaults.token.clone()),
            postscript: self
                .postscript
                .clone()
                .or_else(|| defaults.postscript.clone()),
            visibility: self.visibility.or(defaults.visibility),
        }
    }

    fn is_empty(&self) -> bool {
        self.base_url.is_none()
            && self.token.is_none()
            && self.postscript.is_none()
            && self.visibility.is_none()
    }

    fn resolve(&self, section: &str, files: &mut dyn Files) -> Result<MastodonConfig, ConfigError> {
        let Some((token_value, token_key)) = &self.token else {
            return Err(ConfigError::new(
                format!("{section}.TOKEN"),
                "missing (the access token, or the token file written by `samsung-bridge mastodon-login`)",
            ));
        };
        let Token {
            token,
            file: token_file,
            file_url,
        } = Self::token(token_value, token_key, files)?;
        // A token file names its server. A BASE_URL set where the TOKEN is
        // (or closer to the instance) must agree with it; one inherited from
        // a less specific place gives way to the file.
        let specificity = |key: &str| key.matches('.').count();
        let base_url = match (&self.base_url, file_url) {
            (Some((_, url_key)), Some(from_file))
                if specificity(url_key) < specificity(token_key) =>
            {
                from_file
            }
            (Some((url, key)), Some(from_file)) if !url.eq_ignore_ascii_case(&from_file) => {
                return Err(ConfigError::new(
                    key.clone(),
                    format!(
                        "{url} differs from the server in token file {} ({from_file})",
                        token_file.as_deref().unwrap_or(token_value.expose())
                    ),
                ));
            }
            (Some((url, _)), _) => url.clone(),
            (None, Some(from_file)) => from_file,
            (None, None) => {
                return Err(ConfigError::new(
                    format!("{section}.BASE_URL"),
                    "missing (needed unless TOKEN names a token file that contains the server's URL)",
                ));
            }
        };
        Ok(MastodonConfig {
            base_url,
            token,
            token_file,
            postscript: self.postscript.clone().filter(|p| !p.is_empty()),
            visibility: self.visibility.flatten(),
        })
    }

    fn check(
        m: &MastodonConfig,
        _own: &Self,
        section: &str,
        _files: &mut dyn Files,
        w: &mut Vec<String>,
    ) {
        if m.base_url.starts_with("http://") {
            w.push(format!(
                "[{section}] {}: the token is sent unencrypted over http://",
                m.base_url
            ));
        }
    }
}

/// `[MASTODON]` with its instances; the pre-July-2025 top-level
/// `MASTODON_*` keys are defaults under it.
pub(super) fn read(
    top: &mut Section<'_>,
    w: &mut Vec<String>,
) -> Result<Instances<MastodonRaw>, ConfigError> {
    let old = MastodonRaw::read_prefixed(top, "MASTODON_")?;
    for k in KEYS {
        if top.table().contains_key(&format!("MASTODON_{k}")) {
            w.push(format!(
                "MASTODON_{k} is deprecated: write it as {k} under [MASTODON]"
            ));
        }
    }
    let mut sections = match top.subtable("MASTODON")? {
        Some(t) => Instances::read(t, w)?,
        None => Instances::default(),
    };
    for (k, both) in old.both_set(&sections.defaults) {
        if both {
            w.push(format!("MASTODON_{k} ignored: [MASTODON] sets {k}"));
        }
    }
    sections.defaults = sections.defaults.over(&old);
    Ok(sections)
}
