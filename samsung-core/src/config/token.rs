//! Mastodon token files and server URLs.

use alloc::format;
use alloc::string::String;
use alloc::vec;

use super::walk::truncate;
use crate::crypto::Secret;

#[cfg(test)]
mod tests;

/// A token file: the reference's `mastodon.secret` as Mastodon.py's
/// `log_in(to_file=…)` writes it, which is also what `mastodon-login` writes.
///
/// One value per line: the access token; since Mastodon.py 1.5 the API base
/// URL; since 1.8 the client id and the client secret. Older files have only
/// the first line (or the first two).
#[derive(Debug, Clone)]
pub struct TokenFile {
    /// The access token.
    pub token: Secret<String>,
    /// The server, normalized by [`normalize_base_url`].
    pub base_url: Option<String>,
    /// The OAuth client id of the app that got the token.
    pub client_id: Option<String>,
    /// The OAuth client secret of that app.
    pub client_secret: Option<Secret<String>>,
}

/// Why a token file is unusable; never quotes the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenFileError {
    /// No first line.
    #[error("is empty (its first line must be the access token)")]
    Empty,
    /// The first line cannot be a token.
    #[error("first line is not an access token (it has spaces or control characters)")]
    NotAToken,
    /// The second line is not a server URL.
    #[error("second line: {0}")]
    BadUrl(UrlError),
}

/// Why a server URL is refused (the URL is quoted, cut to 80 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not `http://` or `https://`.
    #[error("expected an http:// or https:// URL, got {0:?}")]
    NotHttp(String),
    /// Spaces or control characters.
    #[error("URL contains spaces: {0:?}")]
    Spaces(String),
    /// `?…` or `#…`.
    #[error("URL must not have a query or fragment: {0:?}")]
    QueryOrFragment(String),
    /// `user:password@`: a credential in the config file would end up in logs.
    #[error("URL must not contain user name or password")]
    UserInfo,
    /// `[…]` that is not an IPv6 address.
    #[error("bad IPv6 address in URL {0:?}")]
    BadIpv6(String),
    /// A port that is not 1-65535.
    #[error("bad port in URL {0:?}")]
    BadPort(String),
    /// `https://` and nothing, or only a port.
    #[error("URL has no host: {0:?}")]
    NoHost(String),
}

impl TokenFile {
    /// Parses a token file.
    pub fn parse(text: &str) -> Result<Self, TokenFileError> {
        let mut lines = text.lines().map(str::trim);
        let token = lines.next().unwrap_or_default();
        if token.is_empty() {
            return Err(TokenFileError::Empty);
        }
        if !valid_token(token) {
            return Err(TokenFileError::NotAToken);
        }
        let base_url = match lines.next().filter(|l| !l.is_empty()) {
            None => None,
            Some(url) => {
                // Mastodon.py adds `https://` to a bare host name.
                let url = if url.contains("://") {
                    String::from(url)
                } else {
                    format!("https://{url}")
                };
                Some(normalize_base_url(&url).map_err(TokenFileError::BadUrl)?)
            }
        };
        let client_id = lines.next().filter(|l| !l.is_empty()).map(String::from);
        let client_secret = lines
            .next()
            .filter(|l| !l.is_empty())
            .map(|l| Secret::new(String::from(l)));
        Ok(Self {
            token: Secret::new(String::from(token)),
            base_url,
            client_id,
            client_secret,
        })
    }

    /// The file's text; lines are left out only from the end.
    pub fn render(&self) -> String {
        let mut lines = vec![
            self.token.expose().as_str(),
            self.base_url.as_deref().unwrap_or(""),
            self.client_id.as_deref().unwrap_or(""),
            self.client_secret
                .as_ref()
                .map_or("", |s| s.expose().as_str()),
        ];
        while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }
}

/// Whether `t` can be an access token: no spaces, no control characters.
pub(super) fn valid_token(t: &str) -> bool {
    !t.is_empty() && !t.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Mastodon's tokens are URL-safe base64; anything else in `TOKEN` (a `.`, a
/// `/`) means it names a file. The reference (Mastodon.py) only asks whether a
/// file of that name exists, so a typo there becomes a token that the server
/// rejects at the first post; we say so at start-up instead.
pub(super) fn looks_like_path(t: &str) -> bool {
    !t.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks an `http://` or `https://` URL with a host and returns it with a
/// lowercase scheme and without trailing `/`.
pub fn normalize_base_url(url: &str) -> Result<String, UrlError> {
    let url = url.trim();
    let shown = || truncate(url, 80);
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(UrlError::NotHttp(shown()));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(UrlError::NotHttp(shown()));
    }
    let rest = rest.trim_end_matches('/');
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::Spaces(shown()));
    }
    if rest.contains(['?', '#']) {
        return Err(UrlError::QueryOrFragment(shown()));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(UrlError::UserInfo);
    }
    let (host, port_ok) = match authority.strip_prefix('[') {
        Some(v6) => {
            let Some((addr, after)) = v6
                .split_once(']')
                .filter(|(addr, _)| addr.parse::<core::net::Ipv6Addr>().is_ok())
            else {
                return Err(UrlError::BadIpv6(shown()));
            };
            (addr, valid_port(after.strip_prefix(':'), after.is_empty()))
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, valid_port(Some(port), false)),
            None => (authority, true),
        },
    };
    if !port_ok {
        return Err(UrlError::BadPort(shown()));
    }
    if host.is_empty() {
        return Err(UrlError::NoHost(shown()));
    }
    Ok(format!("{scheme}://{rest}"))
}

/// `:port` is 1-65535; no port is fine only where `none_ok`.
fn valid_port(port: Option<&str>, none_ok: bool) -> bool {
    match port {
        None => none_ok,
        Some(p) => p.parse::<u16>().is_ok_and(|p| p > 0),
    }
}
