//! Compiles in a development config.toml: `BRIDGE_CONFIG=path/to/config.toml
//! cargo build`. The `config` partition, when written, takes precedence.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=BRIDGE_CONFIG");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let text = match std::env::var_os("BRIDGE_CONFIG") {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", PathBuf::from(&path).display());
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("BRIDGE_CONFIG={}: {e}", PathBuf::from(&path).display()))
        }
        None => String::new(),
    };
    std::fs::write(out.join("default_config.toml"), text).expect("write to OUT_DIR");
}
