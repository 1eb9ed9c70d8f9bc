//! `okta token`: an access token for the configured service app (the `client_credentials`
//! grant through okta-service), printed for scripts.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use okta_config::Role;
use okta_http::{Clock, ReqwestHttpClient};
use okta_service::{TokenError, TokenSource};
use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat, TokenArgs};
use crate::error::{CliError, EXIT_OK, FailedContext as _};
use crate::output::{self, Terminal};
use crate::settings::{self, Overrides};

/// The `--output json` object.
#[derive(Serialize)]
struct TokenReport<'a> {
    access_token: &'a str,
    token_type: &'static str,
    /// Seconds since the epoch.
    expires_at: i64,
    /// RFC 3339, for people.
    expires_at_utc: String,
    scopes: &'a [String],
}

/// Runs `okta token`.
pub(crate) async fn run(
    global: &GlobalArgs,
    args: &TokenArgs,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    let mut overrides = Overrides::default();
    overrides.text("issuer", "--issuer", args.issuer.as_deref());
    // `--scope` is the `scopes` setting for this request: the file's `scopes` (which may be a
    // sign-in list shared with `okta login`) is neither used nor checked then, and the flag's
    // values get the service role's checks (no OIDC scope), naming the flag.
    overrides.list("scopes", "--scope", &args.scope);
    let settings = settings::load(global, &overrides, Some(Role::Service))?;
    // The `scopes` setting, from --scope or the settings (none by default: the server's default
    // scopes).
    let scopes = settings.client().map(|client| client.scopes().to_vec()).unwrap_or_default();
    let credentials = okta_http::ClientCredentials::from_settings(&settings)
        .usage("the client credentials in the settings")?;
    let http = ReqwestHttpClient::from_settings(&settings).usage("building the HTTP client")?;
    let source = TokenSource::builder(settings.issuer().clone(), credentials, Arc::new(http))
        .clock(Clock::system())
        .build();
    let token = source.token(&scopes).await.map_err(|err| match err {
        // The settings ask for something Okta's org server never gives: fix the settings.
        TokenError::OrgServer { .. } => CliError::Usage(anyhow::Error::new(err)),
        other => CliError::Failed(
            anyhow::Error::new(other)
                .context(format!("getting a token from {}", settings.issuer())),
        ),
    })?;
    // The token alone unless JSON is asked for: `$(okta token)` is what scripts write.
    if terminal.output == Some(OutputFormat::Json) {
        let expires_at = token
            .expires_at()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
        output::json(&TokenReport {
            access_token: token.secret(),
            token_type: "Bearer",
            expires_at,
            expires_at_utc: crate::time::rfc3339(expires_at),
            scopes: token.scopes(),
        })?;
    } else {
        output::out(token.secret())?;
    }
    Ok(ExitCode::from(EXIT_OK))
}
