//! ESP32 pocket bridge (embassy + embassy-net) driving `samsung-core`.
//!
//! Not written yet: it is its own issue. The firmware builds for
//! `riscv32imc-unknown-none-elf` (ESP32-C3) and `riscv32imac-unknown-none-elf`
//! (ESP32-C6) and stays outside the host workspace (see the root Cargo.toml).
#![no_std]
