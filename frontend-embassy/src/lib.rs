//! The ESP32 pocket bridge's logic on embassy-net, driving `samsung-core`.
//!
//! Target-independent: the firmware (`frontend-embassy/firmware`, outside
//! the host workspace) runs it on the ESP32-C3/C6 radio; the host build runs
//! it on an in-process channel driver (tests) or a TAP device.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod dhcp;
pub mod dns;
