//! The host binaries' configuration file: read with its token and CA files,
//! and a missing or bad one brings the fallback up, as on the board.

use samsung_bridge_embassy::host::load_config;

#[test]
fn a_config_file_with_a_ca_file_and_the_fallbacks() {
    let dir = std::env::temp_dir().join(format!("sb-embassy-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        format!(
            "[WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nAP_SSID = \"host\"\n[TLS]\nCA_FILE = \"{}\"\n",
            ca.display()
        ),
    )
    .unwrap();
    let c = load_config(&good);
    assert!(!c.is_fallback);
    assert_eq!(c.wifi.ap_ssid, "host");
    assert!(c.extra_ca_pem.unwrap().contains("MIIB"));

    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nAP_SUBNET = \"192.168.1.1/24\"\n",
    )
    .unwrap();
    assert!(load_config(&bad).is_fallback);
    assert!(load_config(&dir.join("missing.toml")).is_fallback);
    let _ = std::fs::remove_dir_all(&dir);
}
