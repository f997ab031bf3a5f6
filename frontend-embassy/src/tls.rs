//! TLS to the Mastodon server with certificate verification (mbedtls-rs,
//! the same code on the board and on the host): the server's chain must
//! lead to a shipped root ([`ROOTS_PEM`]: ISRG Root X1/X2 for Let's
//! Encrypt, DigiCert Global Root G2, GTS Root R1, USERTrust RSA/ECC — not
//! a full bundle) or to the configuration's `[TLS] CA`, and name the host.
//!
//! Certificate dates are checked only when the firmware builds mbedtls-rs
//! with `hook-wall-clock` and installs a wall clock (SNTP-set); chain,
//! signature and host name are always checked.

use alloc::ffi::CString;
use alloc::string::String;
use core::fmt;

use embedded_io_async::{Read, Write};
use mbedtls_rs::{
    AuthMode, Certificate, ClientSessionConfig, Session, SessionConfig, SessionError, Tls,
    TlsVersion, X509,
};

/// The shipped trust anchors (PEM). Together ~9 KB of flash; parsed, about
/// as much RAM, once.
pub const ROOTS_PEM: &str = concat!(
    include_str!("../roots/ISRG_Root_X1.pem"),
    include_str!("../roots/ISRG_Root_X2.pem"),
    include_str!("../roots/DigiCert_Global_Root_G2.pem"),
    include_str!("../roots/GTS_Root_R1.pem"),
    include_str!("../roots/USERTrust_RSA_Certification_Authority.pem"),
    include_str!("../roots/USERTrust_ECC_Certification_Authority.pem"),
);

/// mbedtls-rs's record buffers: one incoming and one outgoing record of up
/// to 16 KiB each, per session (its prebuilt libraries fix the size).
pub const SESSION_BUFFERS: usize = 2 * 16 * 1024 + 2 * 512;

/// An open TLS connection.
pub type TlsStream<'a, T> = Session<'a, T>;

/// Why TLS could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// Another `Tls` instance is alive (mbedtls has one per program).
    AlreadyCreated,
    /// The trusted certificates did not parse (the configuration's
    /// `[TLS] CA`, most likely): mbedtls's words.
    BadCertificates(String),
}

impl fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyCreated => f.write_str("TLS is already set up"),
            Self::BadCertificates(e) => write!(f, "the trusted certificates do not parse: {e}"),
        }
    }
}

impl core::error::Error for TlsSetupError {}

/// Why a TLS connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsError(SessionError, u32);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // mbedtls's verification flags (x509.h), the ones a user can act on.
        const FLAGS: [(u32, &str); 5] = [
            (0x01, "certificate expired"),
            (0x04, "certificate not for this host name"),
            (
                0x08,
                "certificate not trusted (unknown CA; add it as [TLS] CA)",
            ),
            (0x200, "certificate not valid yet"),
            (0x10000, "certificate chain uses a weak key or hash"),
        ];
        let mut any = false;
        for (bit, what) in FLAGS {
            if self.1 & bit != 0 {
                if any {
                    f.write_str(", ")?;
                }
                f.write_str(what)?;
                any = true;
            }
        }
        if any {
            write!(f, " (TLS handshake refused: {})", self.0)
        } else {
            write!(f, "TLS handshake failed: {}", self.0)
        }
    }
}

/// The board's TLS client: one mbedtls instance and the trusted roots.
pub struct TlsClient {
    tls: Tls<'static>,
    roots: Certificate<'static>,
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient").finish_non_exhaustive()
    }
}

impl TlsClient {
    /// Sets up TLS with the hardware (or OS) RNG, trusting [`ROOTS_PEM`]
    /// and `extra_ca_pem` (the configuration's `[TLS] CA`).
    pub fn new(
        rng: &'static mut (dyn rand_core::CryptoRng + Send),
        extra_ca_pem: Option<&str>,
    ) -> Result<Self, TlsSetupError> {
        let tls = Tls::new(rng).map_err(|_| TlsSetupError::AlreadyCreated)?;
        let mut pem = String::from(ROOTS_PEM);
        if let Some(extra) = extra_ca_pem {
            pem.push('\n');
            pem.push_str(extra);
        }
        let pem = CString::new(pem).map_err(|_| {
            TlsSetupError::BadCertificates(String::from("a NUL byte in the PEM text"))
        })?;
        let roots = Certificate::new(X509::PEM(&pem))
            .map_err(|e| TlsSetupError::BadCertificates(alloc::format!("{e}")))?;
        Ok(Self { tls, roots })
    }

    /// Opens TLS over `conn` to `host`: the handshake, with the server's
    /// certificate verified against the trusted roots and `host`.
    pub async fn connect<T: Read + Write>(
        &self,
        conn: T,
        host: &str,
    ) -> Result<TlsStream<'_, T>, TlsError> {
        let config = SessionConfig::Client(ClientSessionConfig {
            ca_chain: Some(self.roots.clone()),
            auth_mode: AuthMode::Required,
            min_version: TlsVersion::Tls1_2,
            ..ClientSessionConfig::new()
        });
        let mut session =
            Session::new(self.tls.reference(), conn, &config).map_err(|e| TlsError(e, 0))?;
        let name = CString::new(host).map_err(|_| {
            TlsError(
                SessionError::Io(embedded_io_async::ErrorKind::InvalidInput),
                0,
            )
        })?;
        session.set_server_name(&name).map_err(|e| TlsError(e, 0))?;
        match session.connect().await {
            Ok(()) => Ok(session),
            Err(e) => Err(TlsError(e, session.tls_verification_details())),
        }
    }
}
