//! Project automation, following the cargo-xtask convention (<https://github.com/matklad/cargo-xtask>).
//!
//! Run `cargo xtask help` for the list of commands. Every command is a thin script over the
//! workspace crates (the flow driver lives in the `okta-e2e` library, so the integration tests
//! run the same code) and plain `cargo`; it needs nothing but a Rust toolchain, Chromium for
//! `e2e --browser`, and `redis-server` for `chaos`.

mod bench;
mod chaos;
mod doctor;
mod e2e;
mod fixtures;
mod flags;
mod fuzz;
mod guides;
mod public_api;
mod third_party;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&format!("error: {err:#}"));
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    match flags::parse(std::env::args().skip(1))? {
        flags::Command::Bench(bench) => bench.run(),
        flags::Command::Chaos(chaos) => chaos.run(),
        flags::Command::Doctor(doctor) => doctor.run(),
        flags::Command::E2e(e2e) => e2e.run(),
        flags::Command::Fixtures(fixtures) => fixtures.run(),
        flags::Command::Fuzz(fuzz) => fuzz.run(),
        flags::Command::Guides => guides::run(),
        flags::Command::Help => {
            report(flags::USAGE);
            Ok(())
        }
        flags::Command::PublicApi(public_api) => public_api.run(),
        flags::Command::ThirdParty(third_party) => third_party.run(),
        flags::Command::Tidy => tidy::run(),
    }
}

/// The workspace root, derived from this crate's manifest directory.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Where cargo puts build output: `$CARGO_TARGET_DIR`, or `target/` at the root.
#[allow(
    clippy::disallowed_methods,
    reason = "cargo's own variable for the build directory, not an Okta setting"
)]
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => project_root().join(dir),
        None => project_root().join("target"),
    }
}

/// A `cargo` command rooted at the workspace, using the cargo that invoked us (`$CARGO`).
#[allow(
    clippy::disallowed_methods,
    reason = "cargo tells its subcommands where it lives in $CARGO"
)]
pub(crate) fn cargo() -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(project_root());
    command
}

/// A runtime for the async workspace crates: two worker threads, like the CI machine's cores.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Human-facing output of xtask goes to stderr, so stdout stays free for machine output.
#[allow(clippy::print_stderr, reason = "xtask reports to the terminal")]
pub(crate) fn report(line: &str) {
    eprintln!("{line}");
}
