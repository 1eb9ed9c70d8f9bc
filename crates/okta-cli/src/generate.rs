//! `okta completion SHELL` and `okta man`: generated from the clap definitions, so they list
//! exactly the flags the binary takes.

use std::io::Write as _;
use std::process::ExitCode;

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionShell};
use crate::error::{CliError, EXIT_OK};

/// Writes the completion script for `shell` to stdout.
pub(crate) fn completion(shell: CompletionShell) -> Result<ExitCode, CliError> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "okta", &mut script);
    write(&script)
}

/// Writes the man page (roff) to stdout.
pub(crate) fn man() -> Result<ExitCode, CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page).map_err(|err| {
        CliError::Failed(anyhow::Error::new(err).context("rendering the man page"))
    })?;
    write(&page)
}

fn write(bytes: &[u8]) -> Result<ExitCode, CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|err| CliError::Failed(anyhow::Error::new(err).context("writing to stdout")))?;
    Ok(ExitCode::from(EXIT_OK))
}
