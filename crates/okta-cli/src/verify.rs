//! `okta verify`: validates a token with okta-verify and reports the verdict as JSON on stdout,
//! with a one-line explanation on stderr when it is refused.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use okta_config::{Audience, Settings};
use okta_http::ReqwestHttpClient;
use okta_verify::{
    AccessTokenOptions, AccessTokenVerifier, Clock, IdTokenChecks, IdTokenOptions, IdTokenVerifier,
    JwksCache, JwksCacheOptions, VerifyError,
};
use serde_json::{Map, Value};

use crate::cli::{GlobalArgs, OutputFormat, TokenKindArg, VerifyArgs};
use crate::decode::{self, read_token, verified_claims};
use crate::error::{CliError, EXIT_FAILED, EXIT_OK, FailedContext as _};
use crate::output::{self, Check, Checks, ErrorReport, Terminal, VerifyReport};
use crate::settings::{self, Overrides};
use crate::time;

/// Runs `okta verify`.
pub(crate) async fn run(
    global: &GlobalArgs,
    args: &VerifyArgs,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    check_flags(args)?;
    let token = read_token(&args.token)?;
    let access_token = args.access_token.as_deref().map(read_token).transpose()?;

    let mut overrides = Overrides::default();
    // The leeway goes to okta-config as text, so it parses (and is refused) exactly as
    // `leeway_secs` in the file and `OKTA_LEEWAY_SECS` are.
    overrides.text("issuer", "--issuer", args.issuer.as_deref()).text(
        "leeway_secs",
        "--leeway",
        args.leeway.as_deref(),
    );
    match args.kind {
        TokenKindArg::Access => {
            overrides
                .list("audience", "--audience", &args.audiences)
                .list("client_ids", "--client-id", &args.client_ids)
                .list("required_scopes", "--scope", &args.scopes);
        }
        TokenKindArg::Id => {
            overrides.text("client_id", "--client-id", args.client_ids.first().map(String::as_str));
        }
    }
    let settings = settings::load(global, &overrides, None)?;
    let keys = keys(&settings, args)?;
    if args.kind == TokenKindArg::Id && args.no_nonce {
        output::err(&format!(
            "{} the nonce is not checked (--no-nonce): this token could come from another sign-in",
            terminal.stderr.yellow("okta verify: warning:")
        ));
    }

    let result = match args.kind {
        TokenKindArg::Access => verify_access(&settings, keys.clone(), &token).await?,
        TokenKindArg::Id => {
            verify_id(&settings, keys.clone(), &token, args, access_token.as_deref()).await?
        }
    };
    let json = terminal.format() == OutputFormat::Json;
    let unverified =
        decode::decode(&token).ok().and_then(|report| report.claims).unwrap_or_default();
    let checks = checks(&unverified, &settings, args);
    let times = output::verify_times(
        &unverified,
        Clock::system().unix_seconds(),
        settings.leeway().as_secs(),
    );
    match result {
        Ok(()) => {
            let claims = verified_claims(&token)?;
            if json {
                output::json(&VerifyReport {
                    valid: true,
                    claims: Some(claims),
                    error: None,
                    checks,
                    times,
                })?;
            } else {
                output::out(output::verified_text(&claims, terminal.stdout).trim_end())?;
            }
            Ok(ExitCode::from(EXIT_OK))
        }
        Err(err) => {
            let explanation = explain(&err, &token, &settings, &keys, args.kind);
            let hint = hint(&err, &unverified, args.kind);
            let why = match &hint {
                Some(hint) => format!("{explanation}; {hint}"),
                None => explanation.clone(),
            };
            if json {
                output::json(&VerifyReport {
                    valid: false,
                    claims: None,
                    error: Some(ErrorReport {
                        kind: err.kind(),
                        message: with_sources(&err),
                        explanation,
                        hint,
                    }),
                    checks,
                    times,
                })?;
                let style = terminal.stderr;
                output::err(&format!(
                    "{} token refused ({}): {why}",
                    style.red("okta verify:"),
                    style.bold(err.kind()),
                ));
            } else {
                let style = terminal.stdout;
                output::out(&format!(
                    "{} token refused ({}): {why}",
                    style.red("✗"),
                    style.bold(err.kind()),
                ))?;
            }
            Ok(ExitCode::from(EXIT_FAILED))
        }
    }
}

/// Flags that only make sense for the other kind of token are usage errors, not silently
/// ignored checks.
fn check_flags(args: &VerifyArgs) -> Result<(), CliError> {
    match args.kind {
        TokenKindArg::Access => {
            if args.nonce.is_some() {
                return Err(CliError::usage("--nonce applies to ID tokens (--kind id)"));
            }
            if args.no_nonce {
                return Err(CliError::usage("--no-nonce applies to ID tokens (--kind id)"));
            }
            if args.access_token.is_some() {
                return Err(CliError::usage("--access-token applies to ID tokens (--kind id)"));
            }
        }
        TokenKindArg::Id => {
            if !args.scopes.is_empty() {
                return Err(CliError::usage(
                    "--scope applies to access tokens: ID tokens carry no scopes",
                ));
            }
            if args.client_ids.len() > 1 {
                return Err(CliError::usage(
                    "an ID token is issued to one client: give --client-id once",
                ));
            }
            if args.nonce.is_none() && !args.no_nonce {
                return Err(CliError::usage(
                    "an ID token is checked against the nonce sent to /authorize: pass \
                     --nonce NONCE, or --no-nonce to verify it without that check",
                ));
            }
        }
    }
    if args.token == "-" && args.access_token.as_deref() == Some("-") {
        return Err(CliError::usage("only one of TOKEN and --access-token can be read from stdin"));
    }
    Ok(())
}

/// The key set: the file given (offline), or the issuer's `/keys` endpoint, fetched when the
/// token is verified.
fn keys(settings: &Settings, args: &VerifyArgs) -> Result<JwksCache, CliError> {
    if let Some(path) = &args.jwks_file {
        let json =
            std::fs::read(path).usage(&format!("reading the key set file {}", path.display()))?;
        if let Some(problem) = jwk_set_problem(&json) {
            return Err(CliError::usage(format!(
                "the key set file {} is not a usable JWK Set: {problem}",
                path.display()
            )));
        }
        return JwksCache::from_json(&json)
            .usage(&format!("the key set file {} is not a usable JWK Set", path.display()));
    }
    let http = ReqwestHttpClient::from_settings(settings).usage("building the HTTP client")?;
    JwksCache::for_issuer(
        settings.issuer(),
        Arc::new(http),
        JwksCacheOptions::from_settings(settings),
        Clock::system(),
    )
    .usage("the issuer's key set URL")
}

/// What is wrong with the shape of something that should be a JWK Set, in the words a person
/// looks for: a truncated document, one JWK, a bare array of keys. `None` when it has the shape
/// (okta-verify then judges the keys).
pub(crate) fn jwk_set_problem(json: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(json) {
        Err(err) if err.is_eof() => Some(format!(
            "the JWK Set is truncated: the JSON ends early ({} bytes; line {}, column {})",
            json.len(),
            err.line(),
            err.column()
        )),
        Ok(Value::Object(object)) if !object.contains_key("keys") && object.contains_key("kty") => {
            Some(
                "this is a JWK (one key), not a JWK Set: wrap it as {\"keys\": [ <the JWK> ]}"
                    .to_owned(),
            )
        }
        Ok(Value::Array(items))
            if items.iter().all(|item| item.get("kty").is_some()) && !items.is_empty() =>
        {
            Some(format!(
                "this is an array of {} JWKs, not a JWK Set: wrap it as {{\"keys\": [ ... ]}}",
                items.len()
            ))
        }
        _ => None,
    }
}

async fn verify_access(
    settings: &Settings,
    keys: JwksCache,
    token: &str,
) -> Result<Result<(), VerifyError>, CliError> {
    if settings.issuer().is_org() {
        // What AccessTokenVerifier answers for an org issuer, without asking for an audience
        // that such tokens cannot be checked against anyway.
        return Ok(Err(foreign_issuer(token, settings).unwrap_or(VerifyError::OrgServerToken)));
    }
    let mut options = AccessTokenOptions::from_settings(settings);
    // Without `--client-id` (or `client_ids`) the CLI checks no `cid`, as docs/cli.md says and
    // its report shows (`cid.accepted` empty); a list, when given, always applies.
    options.any_client = true;
    if options.audiences.is_empty() {
        // A token of another issuer (or a mistyped issuer, whose custom server then has no
        // default audience) is refused for its issuer, not for a missing audience.
        if let Some(err) = foreign_issuer(token, settings) {
            return Ok(Err(err));
        }
        return Err(CliError::usage(
            "no audience to check access tokens against: pass --audience or set `audience`",
        ));
    }
    let verifier = AccessTokenVerifier::new(options, keys).usage("invalid verification options")?;
    Ok(verifier.verify(token).await.map(|_| ()))
}

async fn verify_id(
    settings: &Settings,
    keys: JwksCache,
    token: &str,
    args: &VerifyArgs,
    access_token: Option<&str>,
) -> Result<Result<(), VerifyError>, CliError> {
    let mut options = IdTokenOptions::from_settings(settings).map_err(|_| {
        CliError::usage(
            "ID tokens are checked against a client id: pass --client-id or set `client_id`",
        )
    })?;
    for audience in &args.audiences {
        options.trusted_audiences.push(Audience::parse(audience).usage("--audience")?);
    }
    let verifier = IdTokenVerifier::new(options, keys).usage("invalid verification options")?;
    let checks = match &args.nonce {
        Some(nonce) => IdTokenChecks::new(nonce),
        // `check_flags` let this through only with --no-nonce.
        None => IdTokenChecks::dangerous_without_nonce(),
    };
    let checks = match access_token {
        Some(access_token) => checks.with_access_token(access_token),
        None => checks,
    };
    Ok(verifier.verify(token, &checks).await.map(|_| ()))
}

/// The claim checks: the token's values next to the accepted ones.
fn checks(claims: &Map<String, Value>, settings: &Settings, args: &VerifyArgs) -> Checks {
    let token = |name: &str| claims.get(name).cloned().unwrap_or(Value::Null);
    let strings = |values: Vec<&str>| values.into_iter().map(str::to_owned).collect::<Vec<_>>();
    let issuer = Check { token: token("iss"), accepted: vec![settings.issuer().to_string()] };
    match args.kind {
        TokenKindArg::Access => Checks {
            iss: issuer,
            aud: Check {
                token: token("aud"),
                accepted: strings(settings.audiences().iter().map(Audience::as_str).collect()),
            },
            cid: Some(Check {
                token: token("cid"),
                accepted: strings(
                    settings.client_ids().iter().map(okta_config::ClientId::as_str).collect(),
                ),
            }),
            scp: Some(Check {
                token: token("scp"),
                accepted: strings(
                    settings.required_scopes().iter().map(okta_config::Scope::as_str).collect(),
                ),
            }),
        },
        TokenKindArg::Id => Checks {
            iss: issuer,
            aud: Check {
                token: token("aud"),
                accepted: settings
                    .client()
                    .map(|client| client.id().as_str().to_owned())
                    .into_iter()
                    .chain(args.audiences.iter().cloned())
                    .collect(),
            },
            cid: None,
            scp: None,
        },
    }
}

/// What to do about a refusal, when there is something specific to do.
fn hint(err: &VerifyError, claims: &Map<String, Value>, kind: TokenKindArg) -> Option<String> {
    let id_like = ["nonce", "at_hash", "c_hash"].iter().any(|name| claims.contains_key(*name))
        || !(claims.contains_key("cid") || claims.contains_key("scp"));
    match err {
        VerifyError::WrongTokenKind { .. } if kind == TokenKindArg::Access && id_like => Some(
            "it looks like an ID token: verify it with --kind id (with --client-id and --nonce \
             or --no-nonce)"
                .to_owned(),
        ),
        VerifyError::WrongTokenKind { .. } if kind == TokenKindArg::Id && !id_like => {
            Some("it looks like an access token: verify it with --kind access".to_owned())
        }
        VerifyError::OrgServerToken => {
            Some("ask Okta whether it is active with `okta introspect <token>`".to_owned())
        }
        _ => None,
    }
}

/// `wrong_issuer` when the token's unverified `iss` is a string other than the configured
/// issuer (as okta-verify answers before any key lookup).
fn foreign_issuer(token: &str, settings: &Settings) -> Option<VerifyError> {
    let claims = decode::decode(token).ok()?.claims?;
    let iss = claims.get("iss")?.as_str()?;
    let expected = settings.issuer().as_str();
    (iss != expected).then(|| VerifyError::WrongIssuer {
        expected: expected.to_owned(),
        found: output::untrusted(iss, 256),
    })
}

/// One line saying why the token was refused, with what a person needs to fix it: dates
/// instead of epoch seconds, the accepted values next to the token's. Values copied from the
/// token are escaped and cut; the token itself never appears.
pub(crate) fn explain(
    err: &VerifyError,
    token: &str,
    settings: &Settings,
    keys: &JwksCache,
    kind: TokenKindArg,
) -> String {
    let claims = decode::decode(token).ok().and_then(|report| report.claims).unwrap_or_default();
    let claim = |name: &str| output::audience_text(claims.get(name));
    match err {
        VerifyError::Expired { exp, now, leeway } => format!(
            "the token expired at {} ({} ago; leeway {leeway} s)",
            time::rfc3339(*exp),
            time::duration(now - exp)
        ),
        VerifyError::NotYetValid { nbf, now, leeway } => format!(
            "the token is not valid before {} (in {}; leeway {leeway} s)",
            time::rfc3339(*nbf),
            time::duration(nbf - now)
        ),
        VerifyError::IssuedInFuture { iat, now, leeway } => format!(
            "the token says it was issued at {}, {} in the future (leeway {leeway} s): check the clocks",
            time::rfc3339(*iat),
            time::duration(iat - now)
        ),
        VerifyError::AudienceMismatch if kind == TokenKindArg::Access => format!(
            "audience mismatch: the token's aud is {}, accepted: {} ({})",
            output::untrusted(&claim("aud"), 128),
            join(settings.audiences().iter().map(Audience::as_str)),
            settings::source(settings, "audience")
        ),
        VerifyError::AudienceMismatch => format!(
            "audience mismatch: the token's aud is {}, expected the client id {} ({}) \
             and no other audience than those trusted (--audience)",
            output::untrusted(&claim("aud"), 128),
            settings.client().map_or("(none)", |client| client.id().as_str()),
            settings::source(settings, "client_id")
        ),
        VerifyError::ClientIdNotAllowed { .. } => format!(
            "{err}; accepted: {} ({})",
            join(settings.client_ids().iter().map(okta_config::ClientId::as_str)),
            settings::source(settings, "client_ids")
        ),
        VerifyError::KeyNotFound { .. } => {
            let kids: Vec<String> = keys
                .kids()
                .into_iter()
                .map(|kid| {
                    kid.map_or_else(|| "(no kid)".to_owned(), |kid| output::untrusted(&kid, 64))
                })
                .collect();
            format!(
                "{err}; the key set has {}",
                if kids.is_empty() { "no usable key".to_owned() } else { kids.join(", ") }
            )
        }
        VerifyError::WrongIssuer { expected, found } => format!(
            "the token was issued by {found}, not by the configured issuer {expected} ({}); \
             if you trust that issuer, pass --issuer {found}",
            settings::source(settings, "issuer")
        ),
        VerifyError::OrgServerToken => format!(
            "{} is the org authorization server: its access tokens are meant for Okta only and \
             cannot be validated locally",
            settings.issuer()
        ),
        _ => with_sources(err),
    }
}

/// The error's text followed by each of its sources (each error states its own cause only).
fn with_sources(err: &VerifyError) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

fn join<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let values: Vec<&str> = values.collect();
    if values.is_empty() { "(none)".to_owned() } else { values.join(", ") }
}
