//! Conformance suite: the camera requests of `VECTORS.md`, written as
//! fixture files under `tests/fixtures/` (format: `tests/fixtures/README.md`),
//! replayed against samsung-core through its public API.
//!
//! * [`fixture`] parses `.vector` files; a malformed fixture panics with
//!   `file:line: what is wrong`. [`template`] holds the placeholders and the
//!   test JPEGs.
//! * [`harness`] is a simulated frontend: it drives a [`samsung_core::conn::Connection`]
//!   per request and one [`samsung_core::sns::Bridge`] through the run loop of
//!   the crate docs, keeps files in memory and reports durability with
//!   `handle_stored`, and notes every violation of the drain contract it sees.
//! * [`run`] builds the requests, cuts them into socket reads (whole, 1-byte,
//!   pseudo-random) and compares the three transcripts; [`expect`] evaluates
//!   the expectations and the checks every answer must pass (V21).
//!
//! * [`wire`] builds the request bytes and checks answers for replays over a
//!   real socket (the daemon's and the ESP32 TAP binary's end-to-end tests).
//!
//! The fixtures do not depend on this harness: the same files are replayed
//! over TCP against the Linux daemon and the ESP32 host build.

pub mod expect;
pub mod fixture;
pub mod harness;
pub mod run;
pub mod template;
pub mod wire;

pub use fixture::{Fixture, fixture_dir, load_dir, load_file, parse, vector_files};
pub use run::{Report, Split, replay_all, replay_one, run_fixture};
