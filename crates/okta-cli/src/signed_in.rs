//! Commands on the tokens a login produced (`okta userinfo`, `okta introspect`, `okta refresh`,
//! `okta revoke`, `okta token --user`), and the opt-in token cache `okta login --cache` writes.
//!
//! The tokens come from a token argument (or `-` for stdin), a file written by `okta login`, or
//! the cache: one file per issuer and client in the user's cache directory, created with mode
//! 0600, in the format of `okta login --json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use okta_config::{Role, Settings};
use okta_flow::{AccessToken, OktaClient, RefreshToken, Revocable, SealingKey, TokenSet};
use okta_verify::Clock;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cli::{
    GlobalArgs, IntrospectArgs, OutputFormat, RefreshArgs, RevokeArgs, TokenSourceArgs,
    UserinfoArgs, WhichToken,
};
use crate::error::{CliError, EXIT_OK, FailedContext as _};
use crate::output::{self, LoginReport, Terminal};
use crate::settings::{self, Overrides};

/// What `redirect_uri` is set to when none is configured: these commands never send one, but
/// the client settings require one.
pub(crate) const UNUSED_REDIRECT_URI: &str = "http://127.0.0.1/okta-sends-no-redirect-uri";

/// A cached access token this close to its expiry is refreshed first (`okta token --user`).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Tokens as `okta login --json` prints them (and `--output`, `--cache` write them).
#[derive(Debug, Deserialize)]
pub(crate) struct StoredTokens {
    access_token: String,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    id_token_claims: Option<Map<String, Value>>,
}

impl StoredTokens {
    /// The ID token's `sub`: the subject `/userinfo` and refreshed ID tokens must name.
    fn subject(&self) -> Option<&str> {
        self.id_token_claims.as_ref()?.get("sub")?.as_str()
    }
}

/// Where the tokens were read from, so a refresh writes them back there.
#[derive(Debug)]
enum Origin {
    Cache(PathBuf),
    File(PathBuf),
}

impl Origin {
    fn path(&self) -> &Path {
        match self {
            Self::Cache(path) | Self::File(path) => path,
        }
    }
}

/// Loads the client settings of these commands: `redirect_uri` may be absent.
pub(crate) fn client_settings(
    global: &GlobalArgs,
    mut overrides: Overrides,
) -> Result<Settings, CliError> {
    let configured = settings::load(global, &overrides, None)?;
    if configured.client().and_then(|client| client.redirect_uri()).is_none() {
        overrides.derived(
            "redirect_uri",
            UNUSED_REDIRECT_URI,
            "okta (this command sends no redirect URI)",
        );
    }
    settings::load(global, &overrides, Some(Role::Client))
}

/// Discovers the issuer and builds the client.
pub(crate) async fn client(settings: &Settings) -> Result<OktaClient, CliError> {
    // Nothing is sealed here; a random key spares the warning meant for web apps.
    let sealing_key = SealingKey::generate().failed("generating a random key")?;
    OktaClient::builder(settings).sealing_key(sealing_key).discover().await.map_err(|err| {
        CliError::Failed(
            anyhow::Error::new(err).context(format!("discovering {}", settings.issuer())),
        )
    })
}

/// The cache file of `settings`' issuer and client, in the user's cache directory.
pub(crate) fn cache_path(settings: &Settings) -> Result<PathBuf, CliError> {
    let client_id = settings.client().map(|client| client.id().as_str()).unwrap_or_default();
    let key: String = format!("{}#{client_id}", settings.issuer().as_str())
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || "-.".contains(character) {
                character
            } else {
                '_'
            }
        })
        .collect();
    let directory = cache_dir().ok_or_else(|| {
        CliError::usage("no cache directory: set XDG_CACHE_HOME or HOME (LOCALAPPDATA on Windows)")
    })?;
    Ok(directory.join("okta").join(format!("tokens-{key}.json")))
}

/// Writes the tokens of a login to the cache (mode 0600 from creation).
pub(crate) fn write_cache(
    settings: &Settings,
    report: &LoginReport<'_>,
) -> Result<PathBuf, CliError> {
    let path = cache_path(settings)?;
    if let Some(parent) = path.parent() {
        create_private_dir(parent)
            .failed(&format!("creating the cache directory {}", parent.display()))?;
    }
    let json = serde_json::to_vec(report).failed("encoding JSON")?;
    output::write_private_file(&path, &json)
        .failed(&format!("writing the token cache {}", path.display()))?;
    Ok(path)
}

/// Runs `okta userinfo`.
pub(crate) async fn userinfo(
    global: &GlobalArgs,
    args: &UserinfoArgs,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    let settings = client_settings(global, overrides(&args.source))?;
    let (access_token, subject) = match &args.token {
        Some(token) => {
            let token = read_token(token)?;
            // A bare access token: Okta's `uid` claim is the user id the ID token's `sub` names.
            let subject = crate::decode::decode(&token)
                .ok()
                .and_then(|report| report.claims)
                .and_then(|claims| claims.get("uid").and_then(Value::as_str).map(str::to_owned))
                .ok_or_else(|| {
                    CliError::usage(
                        "the access token has no uid claim to check /userinfo's sub against; pass \
                         the tokens of a login (--token-file FILE or the cache) instead",
                    )
                })?;
            (token, subject)
        }
        None => {
            let (stored, _) = stored(&settings, &args.source)?;
            let subject = stored.subject().map(str::to_owned).ok_or_else(|| {
                CliError::usage("the stored tokens have no ID token claims (sub)")
            })?;
            (stored.access_token, subject)
        }
    };
    let client = client(&settings).await?;
    let user = client.userinfo(&AccessToken::new(access_token), &subject).await.map_err(|err| {
        let kind = err.kind();
        CliError::Failed(anyhow::Error::new(err).context(format!("/userinfo refused ({kind})")))
    })?;
    print_object(user.to_json(), terminal)?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Runs `okta introspect`: `/introspect`'s answer as JSON; exit 1 when the token is inactive.
pub(crate) async fn introspect(
    global: &GlobalArgs,
    args: &IntrospectArgs,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    let settings = client_settings(global, overrides(&args.source))?;
    let token = chosen_token(&settings, args.token.as_deref(), &args.source, args.kind)?;
    let client = client(&settings).await?;
    let introspected = client.introspect(&token).await.map_err(|err| {
        let kind = err.kind();
        CliError::Failed(
            anyhow::Error::new(err).context(format!("the token is not active ({kind})")),
        )
    })?;
    let claims = serde_json::to_value(introspected.claims()).failed("encoding JSON")?;
    let claims = match claims {
        Value::Object(claims) => claims,
        _ => Map::new(),
    };
    print_object(&claims, terminal)?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Runs `okta revoke`.
pub(crate) async fn revoke(global: &GlobalArgs, args: &RevokeArgs) -> Result<ExitCode, CliError> {
    let settings = client_settings(global, overrides(&args.source))?;
    let token = chosen_token(&settings, args.token.as_deref(), &args.source, args.kind)?;
    let client = client(&settings).await?;
    let revoked = match args.kind {
        WhichToken::Access => client.revoke(Revocable::AccessToken(&AccessToken::new(token))).await,
        WhichToken::Refresh => {
            client.revoke(Revocable::RefreshToken(&RefreshToken::new(token))).await
        }
    };
    revoked.failed("revoking the token")?;
    output::err("Revoked.");
    Ok(ExitCode::from(EXIT_OK))
}

/// Runs `okta refresh`: new tokens from the stored refresh token, written back where they came
/// from; prints the new access token.
pub(crate) async fn refresh(
    global: &GlobalArgs,
    args: &RefreshArgs,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    let settings = client_settings(global, overrides(&args.source))?;
    let (stored, origin) = stored(&settings, &args.source)?;
    let client = client(&settings).await?;
    let tokens = refresh_stored(&client, &stored, &origin).await?;
    print_token(tokens.access_token().secret(), expires_at(&tokens), terminal)?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Runs `okta token --user`: the cached access token, refreshed first when it expires within a
/// minute (like `gh auth token`).
pub(crate) async fn user_token(
    global: &GlobalArgs,
    issuer: Option<&str>,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    let source = TokenSourceArgs { issuer: issuer.map(str::to_owned), token_file: None };
    let settings = client_settings(global, overrides(&source))?;
    let (stored, origin) = stored(&settings, &source)?;
    let now = Clock::system().unix_seconds();
    let fresh = stored.expires_at.is_some_and(|expires_at| {
        expires_at.saturating_sub(now) > i64::try_from(REFRESH_MARGIN.as_secs()).unwrap_or(i64::MAX)
    });
    if fresh {
        print_token(&stored.access_token, stored.expires_at, terminal)?;
        return Ok(ExitCode::from(EXIT_OK));
    }
    let client = client(&settings).await?;
    let tokens = refresh_stored(&client, &stored, &origin).await?;
    print_token(tokens.access_token().secret(), expires_at(&tokens), terminal)?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Refreshes `stored` and writes the new tokens over `origin` (mode 0600).
async fn refresh_stored(
    client: &OktaClient,
    stored: &StoredTokens,
    origin: &Origin,
) -> Result<TokenSet, CliError> {
    let refresh_token = stored.refresh_token.clone().ok_or_else(|| {
        CliError::Failed(anyhow::anyhow!(
            "the access token in {} expired and there is no refresh token: run okta login again \
             (with --scope offline_access for a refresh token)",
            origin.path().display()
        ))
    })?;
    let subject = stored
        .subject()
        .ok_or_else(|| CliError::usage("the stored tokens have no ID token claims (sub)"))?;
    let tokens =
        client.refresh(&RefreshToken::new(refresh_token), subject).await.map_err(|err| {
            let kind = err.kind();
            CliError::Failed(
                anyhow::Error::new(err).context(format!(
                    "refreshing the tokens failed ({kind}); run okta login again"
                )),
            )
        })?;
    let id_token_claims = match tokens.id_token() {
        Some(id_token) => Some(
            crate::decode::verified_claims(id_token.secret())
                .map_err(|err| CliError::Failed(anyhow::anyhow!("{:#}", err.error())))?,
        ),
        None => stored.id_token_claims.clone(),
    };
    let scope =
        if tokens.scopes().is_empty() { stored.scope.clone() } else { tokens.scopes().join(" ") };
    let report = LoginReport {
        token_type: "Bearer",
        access_token: tokens.access_token().secret(),
        id_token: tokens.id_token().map(okta_flow::IdToken::secret).or(stored.id_token.as_deref()),
        refresh_token: tokens.refresh_token().map(RefreshToken::secret),
        expires_at: expires_at(&tokens),
        scope,
        id_token_claims,
        // The new access token is not verified here; its claims are not reported.
        access_token_claims: None,
    };
    let json = serde_json::to_vec(&report).failed("encoding JSON")?;
    output::write_private_file(origin.path(), &json)
        .failed(&format!("writing the tokens to {}", origin.path().display()))?;
    Ok(tokens)
}

/// The token alone, or with `-o json` one object (`access_token`, `token_type`, `expires_at`
/// and `expires_at_utc`), as `okta token` prints.
fn print_token(token: &str, expires_at: Option<i64>, terminal: Terminal) -> Result<(), CliError> {
    if terminal.output == Some(OutputFormat::Json) {
        output::json(&serde_json::json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_at": expires_at,
            "expires_at_utc": expires_at.map(crate::time::rfc3339),
        }))
    } else {
        output::out(token)
    }
}

/// One JSON object (`-o json`, and off a terminal), or one `name: value` line per member.
fn print_object(object: &Map<String, Value>, terminal: Terminal) -> Result<(), CliError> {
    if terminal.format() == OutputFormat::Json {
        return output::json(object);
    }
    for (name, value) in object {
        let value = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        output::out(&format!("{name}: {}", output::untrusted(&value, 2048)))?;
    }
    Ok(())
}

/// When the access token of `tokens` expires, in seconds since the epoch.
fn expires_at(tokens: &TokenSet) -> Option<i64> {
    tokens
        .expires_at()
        .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|since| i64::try_from(since.as_secs()).ok())
}

fn overrides(source: &TokenSourceArgs) -> Overrides {
    let mut overrides = Overrides::default();
    overrides.text("issuer", "--issuer", source.issuer.as_deref());
    overrides
}

/// The stored tokens: `--token-file`, else the cache.
fn stored(
    settings: &Settings,
    source: &TokenSourceArgs,
) -> Result<(StoredTokens, Origin), CliError> {
    let origin = match &source.token_file {
        Some(path) => Origin::File(path.clone()),
        None => Origin::Cache(cache_path(settings)?),
    };
    let bytes = match std::fs::read(origin.path()) {
        Ok(bytes) => bytes,
        Err(err)
            if err.kind() == std::io::ErrorKind::NotFound && matches!(origin, Origin::Cache(_)) =>
        {
            return Err(CliError::Failed(anyhow::anyhow!(
                "no cached sign-in for {} and client {}: run okta login --cache",
                settings.issuer(),
                settings.client().map(|client| client.id().as_str()).unwrap_or_default()
            )));
        }
        Err(err) => {
            return Err(CliError::Failed(
                anyhow::Error::new(err).context(format!("reading {}", origin.path().display())),
            ));
        }
    };
    let stored = serde_json::from_slice(&bytes).map_err(|err| {
        CliError::Failed(anyhow::anyhow!(
            "{} does not hold the tokens of okta login (line {}, column {})",
            origin.path().display(),
            err.line(),
            err.column()
        ))
    })?;
    Ok((stored, origin))
}

/// The token `okta introspect` and `okta revoke` work on: the argument (`-` reads stdin), else
/// the access or refresh token of the stored login.
fn chosen_token(
    settings: &Settings,
    argument: Option<&str>,
    source: &TokenSourceArgs,
    kind: WhichToken,
) -> Result<String, CliError> {
    if let Some(token) = argument {
        return read_token(token);
    }
    let (stored, _) = stored(settings, source)?;
    match kind {
        WhichToken::Access => Ok(stored.access_token),
        WhichToken::Refresh => stored
            .refresh_token
            .ok_or_else(|| CliError::usage("the stored tokens have no refresh token")),
    }
}

/// A token argument, or stdin for `-`.
fn read_token(value: &str) -> Result<String, CliError> {
    let token = if value == "-" {
        let mut input = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut input)
            .failed("reading the token from stdin")?;
        input
    } else {
        value.to_owned()
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(CliError::usage("the token is empty"));
    }
    Ok(token)
}

/// Creates `path` and its parents; the last one readable by its owner only (0700 on unix).
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// The user's cache directory: `$XDG_CACHE_HOME`, else `~/Library/Caches` (macOS) or
/// `~/.cache`; `%LOCALAPPDATA%` on Windows.
#[allow(
    clippy::disallowed_methods,
    reason = "a platform convention for where caches live, read by the binary, not a setting: okta-config reads every setting"
)]
fn cache_dir() -> Option<PathBuf> {
    let non_empty =
        |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
    if cfg!(windows) {
        return non_empty("LOCALAPPDATA");
    }
    if let Some(dir) = non_empty("XDG_CACHE_HOME").filter(|dir| dir.is_absolute()) {
        return Some(dir);
    }
    let home = non_empty("HOME")?;
    Some(if cfg!(target_os = "macos") {
        home.join("Library").join("Caches")
    } else {
        home.join(".cache")
    })
}
