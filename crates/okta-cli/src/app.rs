//! Dispatch: one runtime, one command, one exit code, and the error line on stderr.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::error::CliError;
use crate::output::{self, Terminal};
use crate::{config, decode, device, discover, generate, login, signed_in, token, verify};

/// Runs a parsed command line and returns the process's exit code: 0 success, 1 failure (a
/// refused token, a failed or timed-out sign-in, an unreachable issuer), 2 usage or
/// configuration error. Errors are printed on stderr; tokens never are.
pub fn run(cli: &Cli) -> ExitCode {
    let terminal = Terminal::detect(&cli.global);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            let err =
                CliError::Failed(anyhow::Error::new(err).context("starting the async runtime"));
            return report(&err, terminal);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Login(args) if args.device => device::run(&cli.global, args, terminal).await,
            Command::Login(args) => login::run(&cli.global, args, terminal).await,
            Command::Verify(args) => verify::run(&cli.global, args, terminal).await,
            Command::Decode(args) => decode::run(args, terminal),
            Command::Discover(args) => discover::run(&cli.global, args, terminal).await,
            Command::Token(args) if args.user => {
                signed_in::user_token(&cli.global, args.issuer.as_deref(), terminal).await
            }
            Command::Token(args) => token::run(&cli.global, args, terminal).await,
            Command::Userinfo(args) => signed_in::userinfo(&cli.global, args, terminal).await,
            Command::Introspect(args) => signed_in::introspect(&cli.global, args, terminal).await,
            Command::Refresh(args) => signed_in::refresh(&cli.global, args, terminal).await,
            Command::Revoke(args) => signed_in::revoke(&cli.global, args).await,
            Command::Config(_) => config::run(&cli.global, terminal),
            Command::Completion(args) => generate::completion(args.shell),
            Command::Man => generate::man(),
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => report(&err, terminal),
    }
}

fn report(err: &CliError, terminal: Terminal) -> ExitCode {
    output::err(&format!("{} {:#}", terminal.stderr.red("okta: error:"), err.error()));
    err.exit_code()
}
