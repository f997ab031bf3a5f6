//! The board's configuration: the daemon's `config.toml` read by the core's
//! model ([`samsung_core::config`]), plus the board's own `[WIFI]` and
//! `[TLS]` sections, and a refusal, at start-up, of what a board without an
//! SD card cannot do.
//!
//! ```toml
//! [WIFI]
//! AP_SSID = "samsung-bridge"          # the camera joins this network
//! AP_PASSPHRASE = "at least 8 chars"  # WPA2, 8-63 characters
//! AP_SUBNET = "10.42.0.1/24"          # the board's address; 10.x only
//! UPSTREAM_SSID = "my phone"          # the phone hotspot photos leave by
//! UPSTREAM_PASSPHRASE = "…"           # empty or absent: an open network
//!
//! [TLS]
//! # One more trusted root (or intermediate) for the Mastodon server, next
//! # to the shipped ones (ISRG Root X1/X2, …): inline PEM on the board …
//! CA = """-----BEGIN CERTIFICATE-----
//! …
//! -----END CERTIFICATE-----"""
//! # … or a PEM file on a host build (the TAP binary).
//! CA_FILE = "/etc/samsung-bridge/ca.pem"
//! ```
//!
//! What the board cannot do is refused with one message naming the key:
//! `store` actions (no SD card), `mail` and `MAIL_SERVER` (no SMTP client),
//! `shell` (no programs), `INSECURE_DOWNLOAD` (nothing stored to serve).
//! Sites and recipients without an `[ACTIONS]` entry keep the core's
//! default (`store`); their uploads are answered with an error and a log
//! line, since refusing them would refuse every configuration.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::Ipv4Addr;

use samsung_core::config::value::Value;
use samsung_core::config::{self as model, Feature, Files, NoFiles, Section};
use samsung_core::crypto::Secret;
use samsung_core::route::ActionKind;

/// The SSID of [`BoardConfig::fallback`]: the AP a board with a bad or
/// missing configuration opens, so the user can join it and read the error
/// on the serial log.
pub const FALLBACK_SSID: &str = "samsung-bridge-setup";
/// The AP address and prefix without `AP_SUBNET`.
pub const DEFAULT_AP_SUBNET: ApSubnet = ApSubnet {
    address: Ipv4Addr::new(10, 42, 0, 1),
    prefix: 24,
};
/// The AP SSID without `AP_SSID`.
pub const DEFAULT_AP_SSID: &str = "samsung-bridge";
/// Most bytes of the extra CA (`[TLS] CA` / `CA_FILE`): a few certificates.
pub const MAX_CA_PEM: usize = 16 * 1024;

/// A fatal configuration problem: which key, why (never a secret's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub model::ConfigError);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration: {}", self.0)
    }
}

impl core::error::Error for ConfigError {}

impl From<model::ConfigError> for ConfigError {
    fn from(e: model::ConfigError) -> Self {
        Self(e)
    }
}

/// The access point's own address and prefix (`10.42.0.1/24`): the board
/// is router and DNS server there; the DHCP pool is the rest of the subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApSubnet {
    /// The board's address on the AP.
    pub address: Ipv4Addr,
    /// The prefix length (8-30).
    pub prefix: u8,
}

impl ApSubnet {
    /// Parses `10.x.y.z/prefix`; cameras refuse 192.168.x networks, so only
    /// 10.x is accepted.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (addr, prefix) = s.trim().split_once('/').ok_or_else(|| {
            format!("expected an address/prefix like \"10.42.0.1/24\", got {s:?}")
        })?;
        let address: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| (8..=30).contains(p))
            .ok_or_else(|| format!("prefix {prefix:?} must be 8-30"))?;
        let [a, b, ..] = address.octets();
        if a == 192 && b == 168 {
            return Err(format!(
                "{address}: the Samsung cameras reject 192.168.x networks; use a 10.x subnet such as 10.42.0.1/24"
            ));
        }
        if a != 10 {
            return Err(format!(
                "{address}: use a 10.x subnet such as 10.42.0.1/24 (the cameras work on 10.x)"
            ));
        }
        let host_bits = u32::from(address) & (u32::MAX >> prefix);
        if host_bits == 0 || host_bits == u32::MAX >> prefix {
            return Err(format!(
                "{address} is the network or broadcast address of a /{prefix}; give the board's own address"
            ));
        }
        Ok(Self { address, prefix })
    }
}

impl fmt::Display for ApSubnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// The `[WIFI]` section.
#[derive(Debug, Clone)]
pub struct WifiConfig {
    /// `AP_SSID`: the network the camera joins.
    pub ap_ssid: String,
    /// `AP_PASSPHRASE`: WPA2, 8-63 characters; None: an open AP (only the
    /// fallback configuration opens one).
    pub ap_passphrase: Option<Secret<String>>,
    /// `AP_SUBNET`.
    pub ap_subnet: ApSubnet,
    /// `UPSTREAM_SSID`: the network photos leave by (a phone hotspot);
    /// None: no upstream, uploads to Mastodon are answered with an error.
    pub upstream_ssid: Option<String>,
    /// `UPSTREAM_PASSPHRASE`; None: an open network.
    pub upstream_passphrase: Option<Secret<String>>,
}

/// The effective board configuration.
#[derive(Debug, Clone)]
pub struct BoardConfig {
    /// The core's model: senders, passwords, routes, Mastodon accounts, limits.
    pub core: model::Config,
    /// `[WIFI]`.
    pub wifi: WifiConfig,
    /// `[TLS] CA` / `CA_FILE`: extra trusted certificates (PEM), trusted
    /// next to the shipped roots.
    pub extra_ca_pem: Option<String>,
    /// Whether this is [`BoardConfig::fallback`]: the AP is up so the user
    /// can read the error; nothing is forwarded.
    pub is_fallback: bool,
}

impl BoardConfig {
    /// Parses `config.toml` as the board reads it (no file system: `TOKEN`
    /// must be the token itself, `CA_FILE` is refused). Errors name the key.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        Self::parse_with_files(text, &mut NoFiles)
    }

    /// Parses `config.toml` with token files and `CA_FILE` read through
    /// `files` (host builds).
    pub fn parse_with_files(text: &str, files: &mut dyn Files) -> Result<Self, ConfigError> {
        let mut parsed = model::Config::parse(text, files)?;
        let wifi = parsed.claim("WIFI");
        let tls = parsed.claim("TLS");
        let mut core = parsed.finish();
        let wifi = match &wifi {
            Some(Value::Table(t)) => read_wifi(t, &mut core.warnings)?,
            Some(_) => {
                return Err(model::ConfigError::new("WIFI", "expected a [WIFI] section").into());
            }
            None => {
                return Err(model::ConfigError::new(
                    "WIFI",
                    "missing: the board needs [WIFI] with AP_PASSPHRASE (and UPSTREAM_SSID to forward)",
                )
                .into());
            }
        };
        let extra_ca_pem = match &tls {
            Some(Value::Table(t)) => read_tls(t, files, &mut core.warnings)?,
            Some(_) => {
                return Err(model::ConfigError::new("TLS", "expected a [TLS] section").into());
            }
            None => None,
        };
        refuse_unsupported(&core)?;
        Ok(Self {
            core,
            wifi,
            extra_ca_pem,
            is_fallback: false,
        })
    }

    /// What a board starts with: `text` parsed, its warnings logged; when
    /// it is missing (`None`) or bad, the error is logged and the board
    /// runs [`BoardConfig::fallback`], so its AP comes up and the serial
    /// log says what to fix.
    pub fn parse_or_fallback(text: Option<&str>) -> Self {
        Self::parse_or_fallback_with(text, &mut NoFiles)
    }

    /// [`BoardConfig::parse_or_fallback`] with token files and `CA_FILE`
    /// read through `files` (host builds).
    pub fn parse_or_fallback_with(text: Option<&str>, files: &mut dyn Files) -> Self {
        let result = match text {
            Some(t) => Self::parse_with_files(t, files),
            None => Err(ConfigError(model::ConfigError {
                key: None,
                reason: String::from("no configuration was written to the board"),
            })),
        };
        match result {
            Ok(c) => {
                for w in &c.core.warnings {
                    log::warn!("configuration: {w}");
                }
                c
            }
            Err(e) => {
                log::error!(
                    "{e}; the board opens the open network {FALLBACK_SSID:?} on {DEFAULT_AP_SUBNET} and forwards nothing until this is fixed"
                );
                Self::fallback()
            }
        }
    }

    /// The configuration of a board whose configuration is missing or bad:
    /// an open AP named [`FALLBACK_SSID`] on [`DEFAULT_AP_SUBNET`], no
    /// upstream, nothing forwarded (uploads are answered with an error).
    pub fn fallback() -> Self {
        Self {
            core: model::Config::embedded_default(),
            wifi: WifiConfig {
                ap_ssid: String::from(FALLBACK_SSID),
                ap_passphrase: None,
                ap_subnet: DEFAULT_AP_SUBNET,
                upstream_ssid: None,
                upstream_passphrase: None,
            },
            extra_ca_pem: None,
            is_fallback: true,
        }
    }

    /// The Mastodon account of `instance` (`None`: `[MASTODON]`).
    pub fn mastodon(&self, instance: Option<&str>) -> Option<&model::MastodonConfig> {
        self.core.mastodon.get(&instance.map(ToOwned::to_owned))
    }
}

fn read_wifi(
    table: &samsung_core::config::value::Table,
    warnings: &mut Vec<String>,
) -> Result<WifiConfig, ConfigError> {
    let mut s = Section::new(String::from("WIFI"), table);
    let ap_ssid = match s.nonempty("AP_SSID")? {
        Some(ssid) => ssid_checked(&s, "AP_SSID", ssid)?,
        None => String::from(DEFAULT_AP_SSID),
    };
    let ap_passphrase = match s.secret("AP_PASSPHRASE")? {
        Some(p) => wpa2_checked(&s, "AP_PASSPHRASE", p)?,
        None => {
            return Err(model::ConfigError::new(
                s.key("AP_PASSPHRASE"),
                "missing: the camera's network needs a WPA2 passphrase of 8-63 characters",
            )
            .into());
        }
    };
    let ap_subnet = match s.string("AP_SUBNET")? {
        Some(v) => {
            ApSubnet::parse(&v).map_err(|e| model::ConfigError::new(s.key("AP_SUBNET"), e))?
        }
        None => DEFAULT_AP_SUBNET,
    };
    let upstream_ssid = match s.nonempty("UPSTREAM_SSID")? {
        Some(ssid) => Some(ssid_checked(&s, "UPSTREAM_SSID", ssid)?),
        None => None,
    };
    let upstream_passphrase = match s.secret("UPSTREAM_PASSPHRASE")? {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(wpa2_checked(&s, "UPSTREAM_PASSPHRASE", p)?),
        None => None,
    };
    if upstream_ssid.is_none() {
        warnings.push(String::from(
            "WIFI.UPSTREAM_SSID is not set: nothing can be forwarded; uploads are answered with an error",
        ));
        if upstream_passphrase.is_some() {
            return Err(model::ConfigError::new(
                s.key("UPSTREAM_PASSPHRASE"),
                "set without UPSTREAM_SSID",
            )
            .into());
        }
    }
    s.finish(warnings);
    Ok(WifiConfig {
        ap_ssid,
        ap_passphrase: Some(ap_passphrase),
        ap_subnet,
        upstream_ssid,
        upstream_passphrase,
    })
}

/// An SSID is at most 32 bytes (IEEE 802.11).
fn ssid_checked(s: &Section<'_>, key: &str, ssid: String) -> Result<String, ConfigError> {
    if ssid.len() > 32 {
        return Err(model::ConfigError::new(
            s.key(key),
            format!("an SSID is at most 32 bytes, {ssid:?} has {}", ssid.len()),
        )
        .into());
    }
    Ok(ssid)
}

/// A WPA2 passphrase: 8-63 printable ASCII characters. The message gives
/// the length only.
fn wpa2_checked(s: &Section<'_>, key: &str, p: String) -> Result<Secret<String>, ConfigError> {
    let ok_chars = p.bytes().all(|b| (0x20..0x7f).contains(&b));
    if !(8..=63).contains(&p.len()) || !ok_chars {
        return Err(model::ConfigError::new(
            s.key(key),
            format!(
                "a WPA2 passphrase is 8-63 printable ASCII characters (this one has {} characters{})",
                p.chars().count(),
                if ok_chars { "" } else { ", some not printable ASCII" }
            ),
        )
        .into());
    }
    Ok(Secret::new(p))
}

fn read_tls(
    table: &samsung_core::config::value::Table,
    files: &mut dyn Files,
    warnings: &mut Vec<String>,
) -> Result<Option<String>, ConfigError> {
    let mut s = Section::new(String::from("TLS"), table);
    let inline = s.nonempty("CA")?;
    let file = s.nonempty("CA_FILE")?;
    let (pem, key) = match (inline, file) {
        (Some(_), Some(_)) => {
            return Err(
                model::ConfigError::new(s.key("CA_FILE"), "give CA or CA_FILE, not both").into(),
            );
        }
        (Some(pem), None) => (pem, s.key("CA")),
        (None, Some(path)) => {
            let pem = files.read(&path).map_err(|e| {
                model::ConfigError::new(
                    s.key("CA_FILE"),
                    format!("{path}: {e} (on the board, put the PEM into CA instead)"),
                )
            })?;
            (pem, s.key("CA_FILE"))
        }
        (None, None) => {
            s.finish(warnings);
            return Ok(None);
        }
    };
    if pem.len() > MAX_CA_PEM {
        return Err(model::ConfigError::new(
            key,
            format!(
                "{} bytes; at most {MAX_CA_PEM} (a few certificates)",
                pem.len()
            ),
        )
        .into());
    }
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(model::ConfigError::new(
            key,
            "expected PEM: no -----BEGIN CERTIFICATE----- line",
        )
        .into());
    }
    s.finish(warnings);
    Ok(Some(pem))
}

/// Refuses, by key, what a board without an SD card, SMTP or programs
/// cannot do.
fn refuse_unsupported(core: &model::Config) -> Result<(), ConfigError> {
    core.refuse(
        &[Feature::Mail, Feature::Shell, Feature::Downloads],
        "the pocket bridge (no SMTP client, no programs, no SD card)",
    )?;
    if let Some((target, _)) = core
        .routes
        .iter()
        .find(|(_, a)| a.kind == ActionKind::Store)
    {
        return Err(model::ConfigError::new(
            format!("ACTIONS.{}", model::key_segment(target)),
            "the pocket bridge cannot store: it has no SD card; use mastodon or drop",
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
