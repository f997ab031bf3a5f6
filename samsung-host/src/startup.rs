//! What every bridge says at start-up about its configuration, so the
//! daemon's and the component's logs read the same.

use std::path::Path;

use samsung_core::config::Config;

/// Logs where the configuration came from (`source`; None: the embedded
/// default), who may upload, whether downloads are open, and the
/// configuration's warnings. `root`: the upload folder.
pub fn announce_config(source: Option<&Path>, model: &Config, root: &Path) {
    match source {
        None => tracing::info!(
            "no --config given: embedded default — accepting any camera, storing every upload \
             under {}, forwarding nothing",
            root.display()
        ),
        Some(path) => tracing::info!("configuration from {}", path.display()),
    }
    match &model.senders {
        None => tracing::info!("accepting every camera (no SENDERS whitelist)"),
        Some(list) => tracing::info!(users = list.len(), "SENDERS whitelist active"),
    }
    if model.insecure_download {
        tracing::warn!(
            "INSECURE_DOWNLOAD: stored files are readable by anyone who can reach this port"
        );
    }
    for w in &model.warnings {
        tracing::warn!("config: {w}");
    }
}
