//! The `okta` binary: parses the command line, sets up logging, and hands over to
//! [`okta_cli::run`].

use std::process::ExitCode;

use clap::Parser as _;
use okta_cli::{Cli, ColorChoice};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if cli.global.color == ColorChoice::Auto && no_color() {
        cli.global.color = ColorChoice::Never;
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter(cli.global.verbose, cli.global.quiet))
        .with_writer(std::io::stderr)
        .with_ansi(cli.global.color != ColorChoice::Never)
        .init();
    okta_cli::run(&cli)
}

/// What tracing logs (to stderr): `-q` nothing, `-v` our crates' progress (info), `-vv` their
/// debug events, `-vvv` everything; without either, `RUST_LOG`, and by default only errors,
/// since every command reports its own outcome.
fn filter(verbose: u8, quiet: bool) -> EnvFilter {
    const OURS: [&str; 6] =
        ["okta_cli", "okta_config", "okta_flow", "okta_http", "okta_service", "okta_verify"];
    let ours = |level: &str| {
        std::iter::once("warn".to_owned())
            .chain(OURS.iter().map(|krate| format!("{krate}={level}")))
            .collect::<Vec<_>>()
            .join(",")
    };
    match (quiet, verbose) {
        (true, _) => EnvFilter::new("off"),
        (false, 0) => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("error")),
        (false, 1) => EnvFilter::new(ours("info")),
        (false, 2) => EnvFilter::new(ours("debug")),
        (false, _) => EnvFilter::new("trace"),
    }
}

/// <https://no-color.org>: a non-empty `NO_COLOR` turns colours off.
#[allow(
    clippy::disallowed_methods,
    reason = "a terminal convention read by the binary, not a setting: okta-config reads every setting"
)]
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}
