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
    // RUST_LOG steers tracing (to stderr); by default only errors are logged, since every
    // command reports its own outcome.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(cli.global.color != ColorChoice::Never)
        .init();
    okta_cli::run(&cli)
}

/// <https://no-color.org>: a non-empty `NO_COLOR` turns colours off.
#[allow(
    clippy::disallowed_methods,
    reason = "a terminal convention read by the binary, not a setting: okta-config reads every setting"
)]
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}
