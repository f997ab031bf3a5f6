//! The hardware RNG as mbedtls wants it: esp-hal's `Rng` implements
//! rand_core 0.10's `TryRng` but not the `TryCryptoRng` marker.

use core::convert::Infallible;

use esp_hal::rng::Rng;

/// esp-hal's RNG, declared cryptographic: it is, while the radio runs
/// (its noise feeds the generator), and TLS is only used with the radio on.
pub struct HardwareRng(pub Rng);

impl rand_core::TryRng for HardwareRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.random())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.0.random()) << 32 | u64::from(self.0.random()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.read(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for HardwareRng {}
