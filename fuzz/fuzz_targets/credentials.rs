//! Credential decoding: `user \n password \n crypt-session-key` (a missing third
//! line means the HMX-QF30 plain mode).
#![no_main]

use samsung_core::crypto::{
    CryptoError, MAX_CREDENTIAL_LEN, decrypt_credentials, decrypt_value, encrypt_value,
    session_key_from_b64, url_decode,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let user = lines.next().unwrap_or_default();
    let password = lines.next().unwrap_or_default();
    let csk = lines.next();

    match decrypt_credentials(user, password, csk) {
        Ok(creds) => {
            if csk.is_some() {
                // Zero padding is stripped, so a decrypted value never ends in NUL.
                assert!(!creds.user.ends_with('\0'));
                assert!(!creds.password.expose().ends_with('\0'));
            } else {
                // Plain mode is exactly URL-decoding.
                assert_eq!(url_decode(user).ok(), Some(creds.user.clone().into_bytes()));
            }
            assert!(format!("{creds:?}").ends_with("password: [redacted] }"));
        }
        Err(_) => {}
    }

    for s in [user, password] {
        if let Ok(decoded) = url_decode(s) {
            assert!(decoded.len() <= s.len());
        }
    }

    if let Some(Ok(key)) = csk.map(session_key_from_b64) {
        for s in [user, password] {
            let plain: String = s.chars().filter(|&c| c != '\0').collect();
            let enc = encrypt_value(&plain, &key);
            if enc.len() <= MAX_CREDENTIAL_LEN {
                assert_eq!(decrypt_value(&enc, &key).as_deref(), Ok(plain.as_str()));
            } else {
                // Longer than any camera sends: refused, never truncated.
                assert_eq!(decrypt_value(&enc, &key), Err(CryptoError::TooLong));
            }
        }
    }
});
