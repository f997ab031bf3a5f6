//! `[DNS]`: the optional responder for the Samsung host names.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddr};

use super::value::Table;
use super::walk::Section;
use super::{ConfigError, DEFAULT_DNS_LISTEN};
use crate::dns::{self, AddressFit, DnsResponder, Unlisted};

/// The DNS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    /// `LISTEN`, default 0.0.0.0:53.
    pub listen: SocketAddr,
    /// The address the Samsung names resolve to.
    pub address: Ipv4Addr,
    /// Lowercase, without trailing dot, validated by [`DnsResponder::new`].
    pub names: Vec<String>,
    /// NXDOMAIN instead of REFUSED for other names.
    pub nxdomain: bool,
}

impl DnsConfig {
    /// The core responder for this configuration.
    pub fn responder(&self) -> DnsResponder {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let unlisted = if self.nxdomain {
            Unlisted::NxDomain
        } else {
            Unlisted::Refused
        };
        // The names were checked with the same call when the config was read.
        DnsResponder::new(&names, self.address.octets(), dns::DEFAULT_TTL, unlisted)
            .unwrap_or_else(|_| DnsResponder::samsung(self.address.octets()))
    }
}

pub(super) fn read(table: &Table, w: &mut Vec<String>) -> Result<DnsConfig, ConfigError> {
    let mut sec = Section::new(String::from("DNS"), table);
    let listen = sec.socket_addr("LISTEN")?.unwrap_or(DEFAULT_DNS_LISTEN);
    let Some(address) = sec.string("ADDRESS")? else {
        return Err(ConfigError::new(
            "DNS.ADDRESS",
            "missing: the IPv4 address the Samsung host names resolve to (this machine's, e.g. \"10.0.0.1\")",
        ));
    };
    let address: Ipv4Addr = address.trim().parse().map_err(|_| {
        ConfigError::new(
            "DNS.ADDRESS",
            format!("expected an IPv4 address like \"10.0.0.1\", got {address:?}"),
        )
    })?;
    match dns::address_fit(address.octets()) {
        AddressFit::Recommended => {}
        AddressFit::Untested => w.push(format!(
            "DNS.ADDRESS {address}: cameras are known to work with 10.x.x.x addresses; this one is untested"
        )),
        AddressFit::Rejected => w.push(format!(
            "DNS.ADDRESS {address}: cameras reject this address (192.168.x.x looks like a hotspot to them; loopback and multicast are unreachable); use a 10.x.x.x address"
        )),
    }
    let names = sec.string_list("NAMES")?.unwrap_or_else(|| {
        dns::SAMSUNG_HOSTNAMES
            .iter()
            .map(|n| String::from(*n))
            .collect()
    });
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let responder = DnsResponder::new(&refs, address.octets(), dns::DEFAULT_TTL, Unlisted::Refused)
        .map_err(|e| {
            ConfigError::new(
                "DNS.NAMES",
                format!(
                    "{e} (at most {} names of at most {} bytes)",
                    dns::MAX_NAMES,
                    dns::MAX_NAME_LEN
                ),
            )
        })?;
    let names: Vec<String> = responder.names().map(String::from).collect();
    if names.is_empty() {
        w.push(String::from(
            "DNS.NAMES is empty: the DNS listener answers nothing",
        ));
    }
    let nxdomain = match sec
        .string("UNLISTED")?
        .map(|s| s.trim().to_ascii_lowercase())
    {
        None => false,
        Some(s) if s == "refused" => false,
        Some(s) if s == "nxdomain" => true,
        Some(s) => {
            return Err(ConfigError::new(
                "DNS.UNLISTED",
                format!("expected \"refused\" or \"nxdomain\", got {s:?}"),
            ));
        }
    };
    sec.finish(w);
    Ok(DnsConfig {
        listen,
        address,
        names,
        nxdomain,
    })
}
