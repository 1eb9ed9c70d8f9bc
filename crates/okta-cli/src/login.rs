//! `okta login`: the Authorization Code flow with PKCE from a terminal, through a loopback
//! redirect (RFC 8252), ending with verified tokens on stdout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, UNIX_EPOCH};

use okta_config::{Audience, Role, Settings};
use okta_flow::loopback::{BindError, CallbackPage, LoopbackListener, WaitError};
use okta_flow::{
    AuthorizeOptions, OktaClient, PendingLogin, PreflightError, Prompt, SealingKey, SetupError,
    TokenError, TokenSet,
};
use okta_verify::{AccessTokenOptions, AccessTokenVerifier, Clock, VerifyError};
use serde_json::{Map, Value};
use url::Url;

use crate::cli::{GlobalArgs, LoginArgs, OutputFormat, PromptArg, TokenKindArg};
use crate::decode::{self, verified_claims};
use crate::error::{CliError, EXIT_OK, FailedContext as _};
use crate::output::{self, LoginReport, LoginSummary, Spinner, Terminal};
use crate::settings::{self, Overrides};
use crate::verify;

/// Runs `okta login`.
pub(crate) async fn run(
    global: &GlobalArgs,
    args: &LoginArgs,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    let mut overrides = overrides(global, args)?;
    let settings = settings::load(global, &overrides, Some(Role::Client))?;
    let redirect_uri = settings
        .client()
        .and_then(|client| client.redirect_uri())
        .ok_or_else(|| CliError::usage("no redirect_uri configured"))?;
    let listener = listen(redirect_uri.url()).await?;
    let settings = if listener.redirect_uri() == redirect_uri.url() {
        settings
    } else {
        // Port 0: the authorization server must accept any port on the loopback host (RFC 8252
        // §7.3).
        overrides.derived(
            "redirect_uri",
            listener.redirect_uri().as_str(),
            "the port okta login picked for the configured redirect URI",
        );
        settings::load(global, &overrides, Some(Role::Client))?
    };
    let redirect_uri = listener.redirect_uri().clone();

    // The pending login never leaves this process, so a throw-away sealing key is right (and
    // spares the "no cookie_secret" warning meant for web applications).
    let sealing_key = SealingKey::generate().failed("generating a random key")?;
    let client = OktaClient::builder(&settings)
        .sealing_key(sealing_key)
        .discover()
        .await
        .map_err(|err| setup_error(err, &settings))?;
    let (url, pending) =
        client.authorize(&authorize_options(args)).usage("building the authorization URL")?;

    // Everything that can fail before the browser opens fails now, not after the sign-in.
    if let Some(path) = &args.token_file {
        check_writable(path)?;
    }
    if !args.no_browser {
        // With --no-browser the URL may be opened much later (or the client registered only
        // once the port is known), so only a browser opened now is checked first.
        preflight(&client, &redirect_uri).await?;
    }

    if args.no_browser {
        output::out(url.as_str())?;
        if terminal.stderr_tty {
            output::err("Open the URL printed on stdout in a browser to sign in.");
        }
    } else {
        output::err(&format!(
            "Opening the browser to sign in at {}. If it does not open, visit:\n  {}",
            settings.issuer(),
            terminal.stderr.cyan(url.as_str())
        ));
        if let Err(err) = open::that_detached(url.as_str()) {
            tracing::debug!(error = %err, "opening the browser failed");
            output::err("Could not open a browser: open the URL above yourself.");
        }
    }

    let timeout = Duration::from_secs(args.timeout);
    let spinner = Spinner::start(
        terminal,
        "Waiting for the sign-in in the browser".to_owned(),
        Instant::now() + timeout,
    );
    // Requests without this sign-in's `state` (forged, or from an earlier sign-in) are
    // ignored and counted: the wait goes on for the real redirect.
    listener.expect(&pending);
    let callback = listener.next(timeout).await;
    spinner.stop().await;
    let ignored = listener.ignored_requests();
    if ignored > 0 {
        output::err(&format!(
            "Ignored {ignored} request(s) to {redirect_uri} that did not belong to this sign-in."
        ));
    }
    let callback = match callback {
        Ok(callback) => callback,
        Err(WaitError::Timeout { .. }) => {
            return Err(CliError::Failed(anyhow::anyhow!(
                "timed out after {} s waiting for the browser to come back to {redirect_uri}; \
                 run okta login again (--timeout SECS allows more time). Likely causes:\n{}",
                args.timeout,
                bullets(&timeout_causes(&redirect_uri))
            )));
        }
        Err(err) => return Err(CliError::Failed(err.into())),
    };

    match finish(&client, &settings, callback.query(), &pending).await {
        Ok(finished) => {
            callback.respond(signed_in_page());
            listener.shut_down().await;
            report(&finished, &settings, args, terminal)?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Err(failure) => {
            callback.respond(failed_page(&format!("{failure:#}")));
            listener.shut_down().await;
            Err(CliError::Failed(failure))
        }
    }
}

/// The settings flags of `okta login` (and `okta login --device`): `--issuer`, and `--scope`
/// added to the configured scopes (or replacing them with `--replace-scopes`).
pub(crate) fn overrides(global: &GlobalArgs, args: &LoginArgs) -> Result<Overrides, CliError> {
    let mut overrides = Overrides::default();
    overrides.text("issuer", "--issuer", args.issuer.as_deref());
    if args.scopes.is_empty() {
        return Ok(overrides);
    }
    let configured: Vec<String> = if args.replace_scopes {
        Vec::new()
    } else {
        let settings = settings::load(global, &overrides, None)?;
        settings.client().map_or_else(
            || DEFAULT_SCOPES.iter().map(|scope| (*scope).to_owned()).collect(),
            |client| client.scopes().iter().map(|scope| scope.as_str().to_owned()).collect(),
        )
    };
    let flag = if args.replace_scopes { "--scope (with --replace-scopes)" } else { "--scope" };
    overrides.list("scopes", flag, &requested_scopes(&configured, &args.scopes));
    Ok(overrides)
}

/// okta-config's default `scopes`, for settings without a client (which then fail to load
/// with the client's problems, not these scopes').
const DEFAULT_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// The scopes to request: `configured` and then each of `flags` not already there. With no
/// configured scopes (`--replace-scopes`) the flags alone, which must then include `openid`
/// like the `scopes` setting (okta-config says so, naming the flag).
fn requested_scopes(configured: &[String], flags: &[String]) -> Vec<String> {
    let mut scopes = configured.to_vec();
    for scope in flags {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}

/// Asks `/authorize` whether it accepts this client and redirect URI (okta-flow's preflight,
/// which the doctor runs too). A refusal ends the login with its likely causes; a probe that
/// gets no answer is only logged, since discovery already worked.
async fn preflight(client: &OktaClient, redirect_uri: &Url) -> Result<(), CliError> {
    match client.preflight().await {
        Ok(()) => Ok(()),
        Err(PreflightError::Transport(err)) => {
            tracing::warn!(error = &err as &dyn std::error::Error, "the preflight got no answer");
            Ok(())
        }
        Err(err) => {
            let causes = bullets(&err.likely_causes());
            let kind = err.kind();
            Err(CliError::Failed(anyhow::Error::new(err).context(format!(
                "Okta refuses this sign-in ({kind}) for redirect URI {redirect_uri}; nothing was \
                 opened. Likely causes:\n{causes}"
            ))))
        }
    }
}

/// What usually keeps the browser from coming back.
fn timeout_causes(redirect_uri: &Url) -> Vec<String> {
    vec![
        "the sign-in was not finished in the browser (or the tab was closed)".to_owned(),
        format!(
            "{redirect_uri} is not one of the app's Sign-in redirect URIs, or client_id is not \
             the app's (Okta then shows an error page instead of coming back)"
        ),
        "the browser runs on another machine (an SSH session), where 127.0.0.1 is not this \
         one: use okta login --device"
            .to_owned(),
    ]
}

/// `causes` as an indented list.
fn bullets(causes: &[String]) -> String {
    causes.iter().map(|cause| format!("  - {cause}")).collect::<Vec<_>>().join("\n")
}

/// Fails unless a file can be created beside `path` (where the tokens go), so a sign-in never
/// ends with tokens that cannot be written.
fn check_writable(path: &Path) -> Result<(), CliError> {
    if path.is_dir() {
        return Err(CliError::usage(format!(
            "--token-file {} is a directory; name a file",
            display(path)
        )));
    }
    let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty());
    let probe_name = format!(".okta-write-check.{}", std::process::id());
    let probe = directory.map_or_else(|| PathBuf::from(&probe_name), |dir| dir.join(&probe_name));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(file) => {
            drop(file);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(err) => Err(CliError::Usage(anyhow::Error::new(err).context(format!(
            "--token-file {}: the tokens could not be written there",
            display(path)
        )))),
    }
}

/// Listens at the redirect URI, which must be a plain-`http` loopback URI (a usage error
/// otherwise); `localhost` is served on 127.0.0.1, and port 0 picks a free port.
async fn listen(redirect_uri: &Url) -> Result<LoopbackListener, CliError> {
    let listener = LoopbackListener::builder(redirect_uri).application("okta login").bind().await;
    listener.map_err(|err| match err {
        BindError::Listen { .. } => CliError::Failed(err.into()),
        refused => CliError::usage(format!(
            "okta login receives the sign-in on this machine, so the redirect URI must be a \
             plain-http loopback URI such as http://127.0.0.1:8400/callback (RFC 8252 §7.3); \
             {refused}"
        )),
    })
}

/// The page the browser shows when the sign-in worked.
fn signed_in_page() -> CallbackPage {
    CallbackPage::success("You are signed in. You can close this tab and return to the terminal.")
}

/// The page the browser shows when the sign-in failed: why (never a token), and what to do.
fn failed_page(why: &str) -> CallbackPage {
    CallbackPage::failure(format!(
        "{}. The terminal says more; run okta login again to retry.",
        why.trim_end_matches('.')
    ))
}

fn authorize_options(args: &LoginArgs) -> AuthorizeOptions {
    let mut options = AuthorizeOptions::new();
    if let Some(prompt) = args.prompt {
        options = options.prompt(match prompt {
            PromptArg::Consent => Prompt::Consent,
            PromptArg::Login => Prompt::Login,
            PromptArg::LoginConsent => Prompt::LoginAndConsent,
            PromptArg::None => Prompt::None,
        });
    }
    if let Some(hint) = &args.login_hint {
        options = options.login_hint(hint.clone());
    }
    options
}

pub(crate) fn setup_error(err: SetupError, settings: &Settings) -> CliError {
    let context = format!("setting up the sign-in at {}", settings.issuer());
    match err {
        SetupError::Settings(_) | SetupError::Config(_) | SetupError::HttpClient(_) => {
            CliError::Usage(anyhow::Error::new(err).context(context))
        }
        _ => CliError::Failed(anyhow::Error::new(err).context(context)),
    }
}

/// A sign-in that went through: the tokens and their verified claims.
pub(crate) struct Finished {
    tokens: TokenSet,
    id_token_claims: Option<Map<String, Value>>,
    /// `None` for the org authorization server.
    access_token_claims: Option<Map<String, Value>>,
    /// The configured audiences, or `None` when none is configured and the token's were taken.
    audiences: Option<Vec<String>>,
}

/// Checks the callback, redeems the code (okta-flow verifies the ID token), then verifies the
/// access token. The error names the step and the stable kind, never a token.
async fn finish(
    client: &OktaClient,
    settings: &Settings,
    query: &str,
    pending: &PendingLogin,
) -> anyhow::Result<Finished> {
    let code = client.handle_callback(query, pending).map_err(|err| {
        anyhow::anyhow!("the redirect back from Okta was refused ({}): {err}", err.kind())
    })?;
    let tokens = client.exchange_code(code, pending).await.map_err(|err| match err {
        TokenError::IdToken(err) => {
            let context = format!("the ID token was refused ({})", err.kind());
            anyhow::Error::new(err).context(context)
        }
        err => {
            let context = format!("the code exchange failed ({})", err.kind());
            anyhow::Error::new(err).context(context)
        }
    })?;
    verified(client, settings, tokens).await
}

/// The tokens of a sign-in with their claims: the ID token's (already verified by okta-flow),
/// and the access token's once it is verified like a resource server of this issuer would.
pub(crate) async fn verified(
    client: &OktaClient,
    settings: &Settings,
    tokens: TokenSet,
) -> anyhow::Result<Finished> {
    let id_token_claims = match tokens.id_token() {
        Some(id_token) => Some(
            verified_claims(id_token.secret())
                .map_err(|err| anyhow::anyhow!("{:#}", err.error()))?,
        ),
        None => None,
    };
    let access_token = tokens.access_token().secret();
    let (access_token_claims, audiences) =
        verify_access_token(client, settings, access_token).await.map_err(|err| {
            let why =
                verify::explain(&err, access_token, settings, &client.keys(), TokenKindArg::Access);
            anyhow::anyhow!("the access token was refused ({}): {why}", err.kind())
        })?;
    Ok(Finished { tokens, id_token_claims, access_token_claims, audiences })
}

/// Verifies the access token like a resource server of this issuer would, with the key cache
/// discovery set up. Org-server access tokens are opaque to local validation: skipped.
async fn verify_access_token(
    client: &OktaClient,
    settings: &Settings,
    token: &str,
) -> Result<(Option<Map<String, Value>>, Option<Vec<String>>), VerifyError> {
    if settings.issuer().is_org() {
        tracing::info!("org authorization server: the access token is opaque to local validation");
        return Ok((None, None));
    }
    let mut options = AccessTokenOptions::from_settings(settings);
    // Scopes a resource server requires are not this sign-in's business; the token must have
    // been issued to this client.
    options.required_scopes.clear();
    options.client_ids = settings.client().map(|c| vec![c.id().clone()]).unwrap_or_default();
    let audiences = if options.audiences.is_empty() {
        // No audience configured: check everything else, and say which audience was taken.
        let claims = decode::decode(token)
            .ok()
            .and_then(|report| report.claims)
            .ok_or(VerifyError::Malformed { reason: "the access token is not a JWT" })?;
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        // A value that is no audience (empty, spaces) cannot match any: it is left out.
        options.audiences =
            audiences.into_iter().filter_map(|aud| Audience::parse(aud).ok()).collect();
        if options.audiences.is_empty() {
            return Err(VerifyError::MissingClaim { claim: "aud" });
        }
        None
    } else {
        Some(options.audiences.iter().map(|aud| aud.as_str().to_owned()).collect())
    };
    let verifier = AccessTokenVerifier::new(options, client.keys())
        .map_err(|_| VerifyError::Malformed { reason: "the access token cannot be checked" })?;
    verifier.verify(token).await?;
    let claims = verified_claims(token)
        .map_err(|_| VerifyError::Malformed { reason: "the payload cannot be decoded" })?;
    Ok((Some(claims), audiences))
}

/// Prints the result: the JSON object (`--output json`, `--token-file`), or the access token alone, and
/// the human summary on a terminal.
pub(crate) fn report(
    finished: &Finished,
    settings: &Settings,
    args: &LoginArgs,
    terminal: Terminal,
) -> Result<(), CliError> {
    let tokens = &finished.tokens;
    let scope = if tokens.scopes().is_empty() {
        // RFC 6749 §5.1: no `scope` in the response means the requested ones were granted.
        settings
            .client()
            .map(|client| {
                client.scopes().iter().map(okta_config::Scope::as_str).collect::<Vec<_>>().join(" ")
            })
            .unwrap_or_default()
    } else {
        tokens.scopes().join(" ")
    };
    let report = LoginReport {
        token_type: "Bearer",
        access_token: tokens.access_token().secret(),
        id_token: tokens.id_token().map(okta_flow::IdToken::secret),
        refresh_token: tokens.refresh_token().map(okta_flow::RefreshToken::secret),
        expires_at: tokens
            .expires_at()
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .and_then(|since| i64::try_from(since.as_secs()).ok()),
        scope,
        id_token_claims: finished.id_token_claims.clone(),
        access_token_claims: finished.access_token_claims.clone(),
    };
    if terminal.stderr_tty {
        let summary = LoginSummary {
            issuer: settings.issuer().as_str(),
            report: &report,
            now: Clock::system().unix_seconds(),
            audiences: finished.audiences.as_deref(),
        };
        output::err(output::login_summary(&summary, terminal.stderr).trim_end());
    }
    if let Some(path) = &args.token_file {
        let json = serde_json::to_vec(&report).failed("encoding JSON")?;
        output::write_private_file(path, &json)
            .failed(&format!("writing the tokens to {}", path.display()))?;
        if terminal.stderr_tty {
            output::err(&format!("Tokens written to {} (mode 0600).", display(path)));
        }
    }
    if args.cache {
        let path = crate::signed_in::write_cache(settings, &report)?;
        if terminal.stderr_tty {
            output::err(&format!("Tokens cached in {} (mode 0600).", display(&path)));
        }
    }
    // The token alone unless JSON is asked for: `$(okta login)` is what scripts write.
    if terminal.output == Some(OutputFormat::Json) {
        output::json(&report)?;
    } else if args.token_file.is_none() {
        output::out(report.access_token)?;
    }
    Ok(())
}

fn display(path: &Path) -> String {
    output::untrusted(&path.display().to_string(), 256)
}

#[cfg(test)]
mod tests;
