//! `samsung-bridge`: the Linux daemon that gives Samsung WiFi cameras their
//! upload button back (a thin smol frontend of `samsung-core`).

mod config;
mod outbox;
mod tools;

fn main() {
    // Wired up in the next commits.
    let _ = std::env::args();
}
