//! Session keys and batch ids: a deterministic random bit generator seeded
//! by the frontend.

use alloc::string::String;
use core::fmt::Write as _;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256 in counter mode: unguessable output as long as the seed is.
#[derive(Clone)]
pub(super) struct KeyGen {
    key: [u8; 32],
    counter: u64,
}

impl core::fmt::Debug for KeyGen {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KeyGen([redacted])")
    }
}

impl KeyGen {
    /// A generator seeded with 32 bytes from the OS or hardware RNG.
    pub(super) fn new(seed: [u8; 32]) -> Self {
        Self {
            key: seed,
            counter: 0,
        }
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(32) {
            self.counter = self.counter.wrapping_add(1);
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
                .unwrap_or_else(|_| unreachable_hmac());
            mac.update(b"samsung-bridge keygen");
            mac.update(&self.counter.to_be_bytes());
            let block = mac.finalize().into_bytes();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
    pub(super) fn hex(&mut self, bytes: usize) -> String {
        let mut raw = [0u8; 32];
        let raw = &mut raw[..bytes.min(32)];
        self.fill(raw);
        hex(raw)
    }
}

#[cold]
fn unreachable_hmac() -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this path cannot run.
    <Hmac<Sha256> as KeyInit>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| unreachable_hmac())
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
