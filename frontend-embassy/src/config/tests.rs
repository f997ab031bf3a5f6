use alloc::string::ToString;

use super::*;

const WIFI: &str = "[WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nUPSTREAM_SSID = \"phone\"\nUPSTREAM_PASSPHRASE = \"phone-pass\"\n";

fn err(text: &str) -> ConfigError {
    BoardConfig::parse(text).expect_err("must be refused")
}

#[test]
fn a_board_configuration() {
    let text = alloc::format!(
        "SENDERS = [\"cam@example.org\"]\n{WIFI}AP_SSID = \"nx\"\nAP_SUBNET = \"10.9.0.1/16\"\n\
         [MASTODON]\nBASE_URL = \"https://m.example\"\nTOKEN = \"tok\"\n\
         [ACTIONS]\nfacebook = \"mastodon\"\n\"friend@example.org\" = \"mastodon\"\n\
         [TLS]\nCA = \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\"\n"
    );
    let c = BoardConfig::parse(&text).unwrap();
    assert_eq!(c.wifi.ap_ssid, "nx");
    assert_eq!(
        c.wifi.ap_passphrase.as_ref().unwrap().expose(),
        "camera-net-1"
    );
    assert_eq!(c.wifi.ap_subnet.to_string(), "10.9.0.1/16");
    assert_eq!(c.wifi.upstream_ssid.as_deref(), Some("phone"));
    assert!(c.extra_ca_pem.is_some());
    assert!(c.mastodon(None).is_some());
    assert!(!c.is_fallback);
    // WIFI and TLS are the board's: no unknown-key warning for them.
    assert!(
        !c.core
            .warnings
            .iter()
            .any(|w| w.contains("WIFI") || w.contains("TLS")),
        "{:?}",
        c.core.warnings
    );
    // Secrets stay out of Debug.
    let debug = alloc::format!("{c:?}");
    assert!(
        !debug.contains("camera-net-1")
            && !debug.contains("phone-pass")
            && !debug.contains("tok\"")
    );
}

#[test]
fn refusals_name_the_key() {
    let table: &[(&str, &str, &str)] = &[
        ("no wifi", "", "WIFI"),
        (
            "no passphrase",
            "[WIFI]\nUPSTREAM_SSID = \"p\"\n",
            "WIFI.AP_PASSPHRASE",
        ),
        (
            "short passphrase",
            "[WIFI]\nAP_PASSPHRASE = \"short\"\n",
            "WIFI.AP_PASSPHRASE",
        ),
        (
            "192.168",
            "[WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nAP_SUBNET = \"192.168.4.1/24\"\n",
            "WIFI.AP_SUBNET",
        ),
        (
            "172.16",
            "[WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nAP_SUBNET = \"172.16.0.1/24\"\n",
            "WIFI.AP_SUBNET",
        ),
        (
            "network address",
            "[WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nAP_SUBNET = \"10.42.0.0/24\"\n",
            "WIFI.AP_SUBNET",
        ),
        (
            "long ssid",
            "[WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nAP_SSID = \"123456789012345678901234567890123\"\n",
            "WIFI.AP_SSID",
        ),
        (
            "typo",
            "[WIFI]\nAP_PASSPHRASE = 12345678\n",
            "WIFI.AP_PASSPHRASE",
        ),
    ];
    for (name, text, key) in table {
        let e = err(text);
        assert_eq!(e.0.key.as_deref(), Some(*key), "{name}: {e}");
    }
    let e = err("[WIFI]\nAP_PASSPHRASE = \"camera-net-1\"\nAP_SUBNET = \"192.168.4.1/24\"\n");
    assert!(e.to_string().contains("reject 192.168"), "{e}");
    let e = err("[WIFI]\nAP_PASSPHRASE = \"short-üü\"\n");
    assert!(
        !e.to_string().contains("short-"),
        "the passphrase leaked: {e}"
    );
}

#[test]
fn what_the_board_cannot_do_is_refused_at_start() {
    let cases = [
        (
            "[ACTIONS]\nfacebook = \"store\"\n",
            "ACTIONS.facebook",
            "no SD card",
        ),
        (
            "MAIL_SERVER = \"smtp.example\"\n",
            "MAIL_SERVER",
            "cannot forward e-mail",
        ),
        (
            "[SHELL]\nCMD = [\"echo\", \"{filename}\"]\n[ACTIONS]\nfacebook = \"shell\"\n",
            "SHELL",
            "run shell commands",
        ),
        (
            "INSECURE_DOWNLOAD = true\nSECRET = \"s3cr3t-key\"\n",
            "INSECURE_DOWNLOAD",
            "serve downloads",
        ),
    ];
    for (extra, key, words) in cases {
        let e = err(&alloc::format!(
            "SENDERS = [\"cam@example.org\"]\n{extra}{WIFI}"
        ));
        assert_eq!(e.0.key.as_deref(), Some(key), "{extra}: {e}");
        assert!(e.to_string().contains(words), "{extra}: {e}");
    }
}

#[test]
fn the_extra_ca_comes_inline_or_from_a_file() {
    struct OneFile;
    impl Files for OneFile {
        fn read(&mut self, path: &str) -> Result<String, model::ReadError> {
            match path {
                "ca.pem" => Ok(String::from(
                    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                )),
                _ => Err(model::ReadError::NotFound),
            }
        }
        fn exists(&mut self, path: &str) -> bool {
            path == "ca.pem"
        }
    }
    let text = alloc::format!("{WIFI}[TLS]\nCA_FILE = \"ca.pem\"\n");
    let c = BoardConfig::parse_with_files(&text, &mut OneFile).unwrap();
    assert!(c.extra_ca_pem.unwrap().contains("BEGIN CERTIFICATE"));
    // On the board there is no file system.
    let e = err(&text);
    assert_eq!(e.0.key.as_deref(), Some("TLS.CA_FILE"));
    assert!(e.to_string().contains("put the PEM into CA"), "{e}");
    let e = err(&alloc::format!("{WIFI}[TLS]\nCA = \"not a pem\"\n"));
    assert_eq!(e.0.key.as_deref(), Some("TLS.CA"));
}

#[test]
fn the_fallback_opens_a_documented_ap_and_forwards_nothing() {
    let c = BoardConfig::fallback();
    assert_eq!(c.wifi.ap_ssid, FALLBACK_SSID);
    assert_eq!(c.wifi.ap_subnet, DEFAULT_AP_SUBNET);
    assert!(c.wifi.upstream_ssid.is_none());
    assert!(c.core.mastodon.is_empty());
    assert!(c.is_fallback);
}

#[test]
fn a_bad_or_missing_configuration_falls_back() {
    assert!(BoardConfig::parse_or_fallback(None).is_fallback);
    assert!(BoardConfig::parse_or_fallback(Some("[WIFI]\nAP_SUBNET = 1\n")).is_fallback);
    let ok = BoardConfig::parse_or_fallback(Some(&alloc::format!("{WIFI}AP_SSID = \"x\"\n")));
    assert!(!ok.is_fallback);
    assert_eq!(ok.wifi.ap_ssid, "x");
}
