//! The component's command line: the daemon's serving arguments, no more
//! (`--config FILE`, `--listen ADDR:PORT`, `CONFIG` from the environment),
//! so `scripts/run-wasi` and the tests start it exactly like the daemon.
//! The daemon's subcommands (check-config, mastodon-login, decrypt, outbox)
//! stay with the daemon: they are tools for a shell, not for a sandbox.

use std::net::SocketAddr;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cli {
    /// Serve with this configuration file (None: the embedded default) and
    /// listening address (None: the configuration's `LISTEN`).
    Serve {
        config: Option<String>,
        listen: Option<SocketAddr>,
    },
    /// `--help`.
    Help,
    /// `--version`.
    Version,
}

/// `--help` text.
pub const USAGE: &str = "\
samsung-bridge-wasi: the Samsung camera SNS bridge as a WASI 0.2 component

Usage: samsung-bridge-wasi [--config FILE] [--listen ADDR:PORT]

  -c, --config FILE       configuration file (also: CONFIG in the environment)
  -l, --listen ADDR:PORT  address and port to listen on (overrides LISTEN)
  -h, --help              this text
  -V, --version           the version

Run it with scripts/run-wasi, which grants the folders and the network it
needs. Logging: RUST_LOG=debug|info|warn|error (default info).
";

/// Parses the arguments after the program name; `config_env` is `CONFIG`
/// from the environment (used when `--config` is absent, as on the daemon).
pub fn parse(args: &[String], config_env: Option<String>) -> Result<Cli, String> {
    let mut config = None;
    let mut listen = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            match inline.clone().or_else(|| it.next().cloned()) {
                Some(v) => Ok(v),
                None => Err(format!("{name} needs a value ({what})")),
            }
        };
        match name {
            "-c" | "--config" => config = Some(value("FILE")?),
            "-l" | "--listen" => {
                let text = value("ADDR:PORT")?;
                let addr = text.parse::<SocketAddr>().map_err(|_| {
                    format!("--listen {text:?}: not an ADDR:PORT such as 0.0.0.0:8080")
                })?;
                listen = Some(addr);
            }
            "-h" | "--help" => return Ok(Cli::Help),
            "-V" | "--version" => return Ok(Cli::Version),
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other} (see --help)"));
            }
            other => {
                return Err(format!(
                    "unexpected argument {other:?}: the component only serves; the daemon's \
                     subcommands (check-config, mastodon-login, decrypt, outbox) are in \
                     `samsung-bridge`"
                ));
            }
        }
    }
    Ok(Cli::Serve {
        config: config.or(config_env.filter(|c| !c.is_empty())),
        listen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// Arguments, `CONFIG`, and the result or a part of the error.
    type Case<'a> = (&'a [&'a str], Option<&'a str>, Result<Cli, &'a str>);

    #[test]
    fn serving_arguments_as_on_the_daemon() {
        let cases: &[Case<'_>] = &[
            (
                &[],
                None,
                Ok(Cli::Serve {
                    config: None,
                    listen: None,
                }),
            ),
            (
                &["--config", "c.toml", "--listen", "127.0.0.1:8080"],
                None,
                Ok(Cli::Serve {
                    config: Some("c.toml".into()),
                    listen: Some("127.0.0.1:8080".parse().unwrap()),
                }),
            ),
            (
                &["-c", "a.toml", "-l", "[::1]:80"],
                Some("env.toml"),
                Ok(Cli::Serve {
                    config: Some("a.toml".into()),
                    listen: Some("[::1]:80".parse().unwrap()),
                }),
            ),
            (
                &["--config=x.toml", "--listen=0.0.0.0:1"],
                None,
                Ok(Cli::Serve {
                    config: Some("x.toml".into()),
                    listen: Some("0.0.0.0:1".parse().unwrap()),
                }),
            ),
            (
                &[],
                Some("env.toml"),
                Ok(Cli::Serve {
                    config: Some("env.toml".into()),
                    listen: None,
                }),
            ),
            (&["--help"], None, Ok(Cli::Help)),
            (&["-V"], None, Ok(Cli::Version)),
            (&["--listen"], None, Err("--listen needs a value")),
            (&["--listen", "localhost"], None, Err("not an ADDR:PORT")),
            (&["--verbose"], None, Err("unknown option --verbose")),
            (&["check-config"], None, Err("daemon's subcommands")),
        ];
        for (argv, env, want) in cases {
            let got = parse(&args(argv), env.map(String::from));
            match (want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(w, g, "{argv:?}"),
                (Err(w), Err(g)) => assert!(g.contains(w), "{argv:?}: {g}"),
                _ => panic!("{argv:?}: want {want:?}, got {got:?}"),
            }
        }
    }
}
