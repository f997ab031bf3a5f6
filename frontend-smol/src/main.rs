//! `samsung-bridge`: the Linux daemon that gives Samsung WiFi cameras their
//! upload button back (a thin smol frontend of `samsung-core`).

mod config;
mod outbox;
mod server;
#[cfg(test)]
use samsung_host::testutil;
mod tools;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Samsung camera "Social Network Services" server: makes the Share and
/// Send e-mail buttons of Samsung WiFi cameras (2009–2015) store photos,
/// e-mail them or post them to Mastodon.
///
/// Without arguments it runs the embedded default: listen on 0.0.0.0:8080,
/// accept any camera, store every upload under ./uploads, forward nothing.
/// Point the cameras' DNS names (gld.samsungosp.com, www.ospserver.net,
/// snsgw.samsungmobile.com, www.samsungimaging.com, www.yahoo.co.kr,
/// www.msn.com) at this machine, on a 10.x address, port 80.
#[derive(Debug, Parser)]
#[command(
    name = "samsung-bridge",
    version,
    after_help = "Logging: RUST_LOG=debug|info|warn (default info)."
)]
struct Cli {
    /// Configuration file (the Python reference server's config.toml works unchanged).
    #[arg(long, short = 'c', env = "CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Address and port to listen on (overrides LISTEN in the config).
    #[arg(long, short = 'l', value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a configuration and print the effective routing table (exit 1 if invalid).
    CheckConfig {
        /// The file to check (default: --config / CONFIG, else the embedded default).
        file: Option<PathBuf>,
    },
    /// Register with a Mastodon instance and write a token file that TOKEN can point to.
    MastodonLogin {
        /// The instance, e.g. https://mastodon.social
        instance: String,
        /// Where to write the token.
        #[arg(long, short = 'o', default_value = config::DEFAULT_TOKEN_FILE)]
        out: PathBuf,
        /// Overwrite an existing token file.
        #[arg(long)]
        force: bool,
    },
    /// Print the user name (and, on request, the password) of a captured camera login request.
    Decrypt {
        /// A captured `/<site>/auth` request (with or without its HTTP head).
        file: PathBuf,
        /// Also print the decrypted password.
        #[arg(long)]
        show_password: bool,
    },
    /// List the forwarding jobs in the outbox (Mastodon posts, e-mails, shell commands).
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxCommand>,
    },
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// List queued, retrying and failed jobs (the default).
    List,
    /// Make every waiting or failed job due now (a running bridge picks them up within seconds).
    Retry,
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
}

fn load_config(path: Option<&std::path::Path>) -> Result<config::Config, String> {
    match path {
        None => Ok(config::Config::embedded_default()),
        Some(p) => config::Config::load(p).map_err(|e| e.to_string()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::CheckConfig { file }) => {
            tools::check_config(file.as_deref().or(cli.config.as_deref()))
        }
        Some(Command::MastodonLogin {
            instance,
            out,
            force,
        }) => {
            let stdin = std::io::stdin();
            match tools::mastodon_login(&instance, &out, force, &mut stdin.lock()) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("samsung-bridge: mastodon-login: {e}");
                    1
                }
            }
        }
        Some(Command::Decrypt {
            file,
            show_password,
        }) => tools::decrypt(&file, show_password, &mut std::io::stdout()),
        Some(Command::Outbox { action }) => match load_config(cli.config.as_deref()) {
            Err(e) => {
                eprintln!("samsung-bridge: {e}");
                1
            }
            Ok(config) => match action.unwrap_or(OutboxCommand::List) {
                OutboxCommand::List => match outbox::Outbox::list(config.outbox_folder()) {
                    Ok(jobs) => {
                        print!(
                            "{}",
                            outbox::Outbox::render_list(&jobs, server::now().as_millis())
                        );
                        0
                    }
                    Err(e) => {
                        eprintln!(
                            "samsung-bridge: outbox {}: {e}",
                            config.outbox_folder().display()
                        );
                        1
                    }
                },
                OutboxCommand::Retry => match outbox::Outbox::retry_now(config.outbox_folder()) {
                    Ok(n) => {
                        println!("{n} job(s) due now");
                        0
                    }
                    Err(e) => {
                        eprintln!(
                            "samsung-bridge: outbox {}: {e}",
                            config.outbox_folder().display()
                        );
                        1
                    }
                },
            },
        },
        None => {
            init_logging();
            let config = match load_config(cli.config.as_deref()) {
                Ok(mut c) => {
                    if let Some(listen) = cli.listen {
                        c.model.listen = listen;
                    }
                    c
                }
                Err(e) => {
                    eprintln!("samsung-bridge: {e}");
                    return ExitCode::from(1);
                }
            };
            match server::run(config) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("samsung-bridge: {e}");
                    1
                }
            }
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
