//! The tolerant XML scanner against quick-xml as the strict oracle, plus the
//! typed parsers' invariants (see `samsung_core::testing::xml_oracle::check`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    samsung_core::testing::xml_oracle::check(&String::from_utf8_lossy(data));
});
