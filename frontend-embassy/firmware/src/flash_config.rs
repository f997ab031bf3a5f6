//! `config.toml` from the `config` data partition (partitions.csv), so a
//! board is configured with `espflash write-bin` instead of a rebuild.

use alloc::string::String;
use alloc::vec::Vec;

use esp_bootloader_esp_idf::partitions::{self, FlashStorage, PARTITION_TABLE_MAX_LEN};
use esp_hal::peripherals::FLASH;
use samsung_bridge_embassy::config::BoardConfig;

/// Label of the partition in partitions.csv.
const PARTITION_LABEL: &str = "config";
/// Longest config.toml read; a longer one is refused rather than cut.
pub const MAX_CONFIG_LEN: usize = 32 * 1024;
/// Flash is read in pieces of this size, so only the text itself is allocated.
const CHUNK: usize = 512;

/// Built in with `BRIDGE_CONFIG=path cargo build` (see build.rs); empty when not set.
const BUILD_TIME_CONFIG: &str = include_str!(concat!(env!("OUT_DIR"), "/default_config.toml"));

/// Where the configuration came from, for the start-up log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `config` partition.
    Partition,
    /// Compiled in (development builds).
    BuildTime,
    /// Nothing usable: [`BoardConfig::fallback`].
    Fallback,
}

/// Reads and parses the configuration; every problem is logged and ends in
/// [`BoardConfig::fallback`], so the AP always comes up.
pub fn load(flash: FLASH<'static>) -> (BoardConfig, Source) {
    let text = match read_partition(flash) {
        Ok(Some(text)) => Some((text, Source::Partition)),
        Ok(None) if !BUILD_TIME_CONFIG.is_empty() => {
            log::info!(
                "config: the `{PARTITION_LABEL}` partition is empty; using the build-time config.toml"
            );
            Some((String::from(BUILD_TIME_CONFIG), Source::BuildTime))
        }
        Ok(None) => {
            log::error!(
                "config: the `{PARTITION_LABEL}` partition is empty; write one with `espflash write-bin <offset of {PARTITION_LABEL} in partitions.csv> config.toml`"
            );
            None
        }
        Err(e) => {
            log::error!("config: {e}");
            None
        }
    };
    let Some((text, source)) = text else {
        return fallback();
    };
    match BoardConfig::parse(&text) {
        Ok(config) => {
            for warning in &config.core.warnings {
                log::warn!("config: {warning}");
            }
            (config, source)
        }
        Err(e) => {
            // ConfigError names the key and the reason, never a value.
            log::error!("config.toml ({source:?}): {e}");
            fallback()
        }
    }
}

fn fallback() -> (BoardConfig, Source) {
    let config = BoardConfig::fallback();
    log::error!(
        "config: running the fallback configuration: open AP `{}` on {}, nothing is forwarded",
        config.wifi.ap_ssid,
        config.wifi.ap_subnet
    );
    (config, Source::Fallback)
}

/// The partition's text up to the first 0xFF (erased flash) or NUL;
/// `Ok(None)` when it starts erased.
fn read_partition(flash: FLASH<'static>) -> Result<Option<String>, &'static str> {
    let mut flash = FlashStorage::new(flash);
    let mut table = [0u8; PARTITION_TABLE_MAX_LEN];
    let table = partitions::read_partition_table(&mut flash, &mut table).map_err(
        |_| "cannot read the partition table (flash with --partition-table partitions.csv)",
    )?;
    let entry = table
        .iter()
        .find(|p| p.label_as_str() == PARTITION_LABEL)
        .ok_or("no `config` partition (flash with --partition-table partitions.csv)")?;
    let mut region = entry.as_flash_region(&mut flash);
    let size = region.partition_size();
    let mut text = Vec::new();
    let mut chunk = [0u8; CHUNK];
    let mut offset = 0;
    while offset < size {
        let n = CHUNK.min(size - offset);
        region
            .read(offset as u32, &mut chunk[..n])
            .map_err(|_| "cannot read the `config` partition")?;
        let end = chunk[..n].iter().position(|b| *b == 0xFF || *b == 0);
        let take = end.unwrap_or(n);
        if text.len() + take > MAX_CONFIG_LEN {
            return Err("config.toml is longer than 32 KiB");
        }
        text.extend_from_slice(&chunk[..take]);
        if end.is_some() {
            break;
        }
        offset += n;
    }
    if text.is_empty() {
        return Ok(None);
    }
    String::from_utf8(text)
        .map(Some)
        .map_err(|_| "config.toml in the `config` partition is not UTF-8 text")
}
