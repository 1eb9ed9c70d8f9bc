//! How a command fails, and the exit code each failure maps to (part of the output contract).

use std::process::ExitCode;

/// Exit code of a command that did what was asked (`okta verify`: the token is valid).
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code of a command that ran but failed: the token was refused, the sign-in failed or
/// timed out, the issuer could not be reached.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Exit code of a usage or configuration error: bad flags, invalid settings, an unusable
/// redirect URI or key file. clap uses it for the errors it finds itself.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Why a command stopped; the message is printed on stderr and never contains a token.
#[derive(Debug)]
pub(crate) enum CliError {
    /// The command line or the settings are wrong (exit 2).
    Usage(anyhow::Error),
    /// The command ran and failed (exit 1).
    Failed(anyhow::Error),
}

impl CliError {
    /// A usage error with this message.
    pub(crate) fn usage(message: impl std::fmt::Display) -> Self {
        Self::Usage(anyhow::anyhow!("{message}"))
    }

    /// The exit code for this error.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Usage(_) => EXIT_USAGE,
            Self::Failed(_) => EXIT_FAILED,
        })
    }

    /// The error to print.
    pub(crate) fn error(&self) -> &anyhow::Error {
        match self {
            Self::Usage(err) | Self::Failed(err) => err,
        }
    }
}

/// Turns any error into a [`CliError::Failed`] with a context line.
pub(crate) trait FailedContext<T> {
    /// Maps the error to [`CliError::Failed`], with `context` in front.
    fn failed(self, context: &str) -> Result<T, CliError>;
    /// Maps the error to [`CliError::Usage`], with `context` in front.
    fn usage(self, context: &str) -> Result<T, CliError>;
}

impl<T, E> FailedContext<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn failed(self, context: &str) -> Result<T, CliError> {
        self.map_err(|err| CliError::Failed(anyhow::Error::new(err).context(context.to_owned())))
    }

    fn usage(self, context: &str) -> Result<T, CliError> {
        self.map_err(|err| CliError::Usage(anyhow::Error::new(err).context(context.to_owned())))
    }
}
