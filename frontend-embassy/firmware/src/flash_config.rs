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
    let (text, source) = match read_partition(flash) {
        Ok((Some(text), _)) => (Some(text), Source::Partition),
        Ok((None, _)) if !BUILD_TIME_CONFIG.is_empty() => {
            log::info!(
                "config: the `{PARTITION_LABEL}` partition is empty; using the build-time config.toml"
            );
            (Some(String::from(BUILD_TIME_CONFIG)), Source::BuildTime)
        }
        Ok((None, offset)) => {
            log::error!(
                "config: the `{PARTITION_LABEL}` partition is empty; write config.toml with `espflash write-bin {offset:#x} config.toml`"
            );
            (None, Source::Fallback)
        }
        Err(e) => {
            log::error!("config: {e}");
            (None, Source::Fallback)
        }
    };
    let config = BoardConfig::parse_or_fallback(text.as_deref());
    let source = if config.is_fallback {
        Source::Fallback
    } else {
        source
    };
    (config, source)
}

/// The partition's text up to the first 0xFF (erased flash) or NUL
/// (`None` when it starts erased), and the partition's flash offset.
fn read_partition(flash: FLASH<'static>) -> Result<(Option<String>, u32), &'static str> {
    let mut flash = FlashStorage::new(flash);
    let mut table = [0u8; PARTITION_TABLE_MAX_LEN];
    let table = partitions::read_partition_table(&mut flash, &mut table).map_err(
        |_| "cannot read the partition table (flash with --partition-table partitions.csv)",
    )?;
    let entry = table
        .iter()
        .find(|p| p.label_as_str() == PARTITION_LABEL)
        .ok_or("no `config` partition (flash with --partition-table partitions.csv)")?;
    let partition_offset = entry.offset();
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
        return Ok((None, partition_offset));
    }
    String::from_utf8(text)
        .map(|t| (Some(t), partition_offset))
        .map_err(|_| "config.toml in the `config` partition is not UTF-8 text")
}
