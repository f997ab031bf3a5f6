#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| samsung_core::testing::fuzz_connection(data));
