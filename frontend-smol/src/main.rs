//! `samsung-bridge`: the Linux daemon that gives Samsung WiFi cameras their
//! upload button back (a thin smol frontend of `samsung-core`).

mod config;
mod outbox;
mod store;
mod tools;

fn main() {
    // Wired up once config, outbox and tools land (see the next commits).
    let _ = std::env::args();
}
