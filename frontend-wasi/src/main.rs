//! `samsung-bridge-wasi`: the samsung-bridge server as a `wasm32-wasip2`
//! component, for WASI 0.2 runtimes (wasmtime, jco) on a router, a NAS or a
//! plugin host. Same `config.toml`, same camera behaviour and on-disk layout
//! as the daemon, inside the directories and network the runtime grants.
//!
//! One thread: wstd's reactor serves every connection as its own task over
//! wasi:io/poll, so a slow camera never stalls another. Camera HTTP goes
//! through samsung-core's own codec (the cameras' HTTP is not conformant
//! enough for a wasi:http incoming handler); Mastodon posts go out through
//! wasi:http, so HTTPS is the runtime's job.

mod cli;
mod config;
mod http;
mod net;
mod notify;
mod server;
mod smtp;

use std::process::ExitCode;

fn init_logging() {
    let level = match std::env::var("RUST_LOG").as_deref().map(str::trim) {
        Ok("trace") => tracing::Level::TRACE,
        Ok("debug") => tracing::Level::DEBUG,
        Ok("warn") => tracing::Level::WARN,
        Ok("error") => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = cli::parse(&args, std::env::var("CONFIG").ok());
    let (config_path, listen) = match parsed {
        Ok(cli::Cli::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(cli::Cli::Version) => {
            println!("samsung-bridge-wasi {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(cli::Cli::Serve { config, listen }) => (config, listen),
        Err(e) => {
            eprintln!("samsung-bridge-wasi: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging();
    // WASI starts in `/`; scripts/run-wasi pre-opens the working directory
    // at its host path and passes it as PWD, so relative paths in the
    // configuration mean what they mean for the daemon.
    if let Ok(pwd) = std::env::var("PWD")
        && let Err(e) = std::env::set_current_dir(&pwd)
    {
        eprintln!("samsung-bridge-wasi: cannot enter the working directory {pwd}: {e}");
        return ExitCode::from(1);
    }
    let config = match config::load(config_path.as_deref()) {
        Ok(mut c) => {
            if let Some(listen) = listen {
                c.model.listen = listen;
            }
            c
        }
        Err(e) => {
            eprintln!("samsung-bridge-wasi: {e}");
            return ExitCode::from(1);
        }
    };
    match wstd::runtime::block_on(server::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("samsung-bridge-wasi: {e}");
            ExitCode::from(1)
        }
    }
}
