//! WiFi control: the camera's access point and the station link to the
//! upstream network (a phone hotspot), on one radio.
//!
//! One radio means one channel: the AP always follows the station's. So the
//! station looks for the upstream's channel *before* the AP starts, and it
//! never scans or reconnects while a camera transfer runs (that would move
//! the radio off the AP channel and the camera would drop). While the
//! upstream is absent the AP keeps running and the station retries with
//! back-off; uploads that need it get an error answer meanwhile.

use alloc::string::String;

use embassy_time::{Duration, Instant, Timer};
use esp_radio::wifi::ap::AccessPointConfig;
use esp_radio::wifi::scan::ScanConfig;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{AuthenticationMethodConfig, Config, WifiController};
use samsung_bridge_embassy::config::WifiConfig;

use crate::BoardApp;

/// The AP's channel when no upstream is configured or found (1, 6 and 11 do not overlap).
const DEFAULT_CHANNEL: u8 = 6;
/// Cameras and the phone that set them up; more would only share the airtime.
const MAX_AP_CLIENTS: u16 = 6;
/// First and longest wait between attempts to join the upstream.
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(60);
/// How often a pending reconnect checks whether the camera transfer is over.
const TRANSFER_POLL: Duration = Duration::from_secs(1);
/// How long no transfer must run before the radio may move: a camera
/// announces its next file within a second or two of the last PUT.
const QUIET: Duration = Duration::from_secs(10);

/// The AP and station settings, checked against the radio driver's limits.
pub struct Radio {
    ap: AccessPointConfig,
    /// The upstream's SSID (for the log) and station settings.
    sta: Option<(String, StationConfig)>,
}

impl Radio {
    /// Builds the radio settings from `[WIFI]`; Err names the key that the driver refuses.
    pub fn new(wifi: &WifiConfig) -> Result<Self, &'static str> {
        let ssid = wifi
            .ap_ssid
            .as_str()
            .try_into()
            .map_err(|_| "WIFI.AP_SSID is longer than 32 bytes")?;
        let auth = match &wifi.ap_passphrase {
            Some(p) => AuthenticationMethodConfig::Wpa2Personal(
                p.expose()
                    .as_str()
                    .try_into()
                    .map_err(|_| "WIFI.AP_PASSPHRASE is longer than 64 bytes")?,
            ),
            None => AuthenticationMethodConfig::Open,
        };
        let ap = AccessPointConfig::default()
            .with_ssid(ssid)
            .with_authentication(auth)
            .with_channel(DEFAULT_CHANNEL)
            .with_max_connections(MAX_AP_CLIENTS);
        let sta = match &wifi.upstream_ssid {
            None => None,
            Some(name) => {
                let ssid = name
                    .as_str()
                    .try_into()
                    .map_err(|_| "WIFI.UPSTREAM_SSID is longer than 32 bytes")?;
                let auth = match &wifi.upstream_passphrase {
                    Some(p) => AuthenticationMethodConfig::WpaWpa2Personal(
                        p.expose()
                            .as_str()
                            .try_into()
                            .map_err(|_| "WIFI.UPSTREAM_PASSPHRASE is longer than 64 bytes")?,
                    ),
                    None => AuthenticationMethodConfig::Open,
                };
                Some((
                    name.clone(),
                    StationConfig::default()
                        .with_ssid(ssid)
                        .with_authentication(auth),
                ))
            }
        };
        Ok(Self { ap, sta })
    }

    /// An open AP with the fallback SSID, for a configuration the radio refuses.
    pub fn fallback(ssid: &str) -> Self {
        let ap = AccessPointConfig::default()
            .with_ssid(ssid.try_into().unwrap_or_default())
            .with_authentication(AuthenticationMethodConfig::Open)
            .with_channel(DEFAULT_CHANNEL)
            .with_max_connections(MAX_AP_CLIENTS);
        Self { ap, sta: None }
    }
}

/// Brings the AP up (after finding the upstream's channel) and keeps the station joined.
#[embassy_executor::task]
pub async fn control(
    mut controller: WifiController<'static>,
    radio: Radio,
    app: &'static BoardApp,
) {
    let Some((name, sta)) = radio.sta else {
        start_ap_only(&mut controller, &radio.ap);
        // Nothing to reconnect: the AP runs on its own from here.
        return core::future::pending().await;
    };
    let channel = find_channel(&mut controller, &sta, &name).await;
    let ap = radio.ap.with_channel(channel.unwrap_or(DEFAULT_CHANNEL));
    let sta = match channel {
        Some(c) => sta.with_channel(c),
        None => sta,
    };
    if let Err(e) = controller.set_config(&Config::AccessPointStation(sta, ap.clone())) {
        log::error!("WiFi: cannot start the access point and station: {e:?}; AP only");
        start_ap_only(&mut controller, &ap);
        return core::future::pending().await;
    }
    log::info!(
        "WiFi: access point up on channel {}",
        channel.unwrap_or(DEFAULT_CHANNEL)
    );
    let mut ap_channel = channel.unwrap_or(DEFAULT_CHANNEL);
    let mut wait = RETRY_FIRST;
    loop {
        // Joining scans: the radio leaves the AP channel, so never during a transfer.
        wait_for_quiet(app).await;
        match controller.connect_async().await {
            Ok(info) => {
                wait = RETRY_FIRST;
                if info.channel != ap_channel {
                    log::warn!(
                        "WiFi: upstream `{name}` is on channel {}; the AP moved there with it (cameras reconnect)",
                        info.channel
                    );
                    ap_channel = info.channel;
                }
                log::info!("WiFi: joined upstream `{name}` on channel {}", info.channel);
                match controller.wait_for_disconnect_async().await {
                    Ok(d) => log::warn!("WiFi: upstream `{name}` lost ({:?})", d.reason),
                    Err(e) => log::warn!("WiFi: upstream `{name}` lost ({e:?})"),
                }
            }
            Err(e) => {
                log::warn!(
                    "WiFi: cannot join upstream `{name}` ({e:?}); retrying in {} s, uploads get an error meanwhile",
                    wait.as_secs()
                );
                Timer::after(wait).await;
                wait = (wait * 2).min(RETRY_MAX);
            }
        }
    }
}

/// Returns at once when no camera transfer runs, else once none has run for [`QUIET`].
async fn wait_for_quiet(app: &BoardApp) {
    let mut quiet_since = Instant::now();
    let mut waited = false;
    loop {
        if app.camera_transfer_running() {
            if !waited {
                log::info!("WiFi: a camera transfer is running; joining the upstream waits for it");
                waited = true;
            }
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= QUIET || !waited {
            return;
        }
        Timer::after(TRANSFER_POLL).await;
    }
}

fn start_ap_only(controller: &mut WifiController<'static>, ap: &AccessPointConfig) {
    match controller.set_config(&Config::AccessPoint(ap.clone())) {
        Ok(()) => {
            log::info!("WiFi: access point up, no upstream: uploads to Mastodon get an error")
        }
        Err(e) => log::error!("WiFi: cannot start the access point: {e:?}"),
    }
}

/// Starts the station alone and scans for the upstream, so the AP can start on its channel.
async fn find_channel(
    controller: &mut WifiController<'static>,
    sta: &StationConfig,
    name: &str,
) -> Option<u8> {
    if let Err(e) = controller.set_config(&Config::Station(sta.clone())) {
        log::warn!("WiFi: cannot start the station to look for `{name}`: {e:?}");
        return None;
    }
    let Ok(ssid) = name.try_into() else {
        return None;
    };
    let scan = ScanConfig::default().with_ssid(ssid);
    match controller.scan_async(&scan).await {
        Ok(found) => match found.iter().max_by_key(|ap| ap.signal_strength) {
            Some(ap) => {
                log::info!(
                    "WiFi: upstream `{name}` found on channel {} ({} dBm)",
                    ap.channel,
                    ap.signal_strength
                );
                Some(ap.channel)
            }
            None => {
                log::warn!(
                    "WiFi: upstream `{name}` not in range; the AP starts on channel {DEFAULT_CHANNEL} and moves when it appears"
                );
                None
            }
        },
        Err(e) => {
            log::warn!("WiFi: scan for `{name}` failed: {e:?}");
            None
        }
    }
}
