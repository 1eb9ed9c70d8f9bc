//! `okta discover`: an issuer's checked metadata (okta-flow's discovery) and the keys it
//! publishes, for people and scripts.

use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::ACCEPT;
use http::{HeaderValue, Method, Request};
use okta_config::{AuthorizationServer, Settings};
use okta_http::{HttpClient, ReqwestHttpClient};
use okta_verify::JwksCache;
use serde_json::{Value, json};
use url::Url;

use crate::cli::{DiscoverArgs, GlobalArgs, OutputFormat};
use crate::error::{CliError, EXIT_OK, FailedContext as _};
use crate::output::{self, DiscoverReport, EndpointsReport, KeyReport, ServerReport, Terminal};
use crate::settings::{self, Overrides};

/// Runs `okta discover`.
pub(crate) async fn run(
    global: &GlobalArgs,
    args: &DiscoverArgs,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    let mut overrides = Overrides::default();
    overrides.text("issuer", "--issuer", args.issuer.as_deref());
    let settings = settings::load(global, &overrides, None)?;
    let report = discover(&settings).await?;
    if terminal.format() == OutputFormat::Json {
        output::json(&report)?;
    } else {
        output::out(output::discover_text(&report, terminal.stdout).trim_end())?;
    }
    Ok(ExitCode::from(EXIT_OK))
}

async fn discover(settings: &Settings) -> Result<DiscoverReport, CliError> {
    let http = ReqwestHttpClient::from_settings(settings).usage("building the HTTP client")?;
    let issuer = settings.issuer();
    let metadata =
        okta_flow::discover(issuer, &http).await.failed(&format!("discovering {issuer}"))?;
    let keys = fetch_keys(&http, metadata.jwks_uri()).await?;
    Ok(DiscoverReport {
        issuer: metadata.issuer().to_owned(),
        authorization_server: match issuer.authorization_server() {
            AuthorizationServer::Custom(id) => {
                ServerReport { kind: "custom", id: Some(id.clone()) }
            }
            AuthorizationServer::Org => ServerReport { kind: "org", id: None },
        },
        endpoints: EndpointsReport {
            authorization: metadata.authorization_endpoint().to_string(),
            token: metadata.token_endpoint().to_string(),
            userinfo: metadata.userinfo_endpoint().map(Url::to_string),
            jwks: metadata.jwks_uri().to_string(),
            introspection: metadata.introspection_endpoint().to_string(),
            revocation: metadata.revocation_endpoint().to_string(),
            end_session: metadata.end_session_endpoint().map(Url::to_string),
        },
        token_endpoint_auth_methods: metadata.token_endpoint_auth_methods(),
        code_challenge_methods: metadata.code_challenge_methods().to_vec(),
        id_token_signing_algs: metadata.id_token_signing_algs(),
        scopes_supported: metadata.scopes_supported(),
        authorization_response_iss_parameter_supported: metadata
            .authorization_response_iss_parameter_supported(),
        keys,
    })
}

/// Fetches the JWK Set and describes each key, marking those okta-verify would use.
async fn fetch_keys(http: &dyn HttpClient, jwks_uri: &Url) -> Result<Vec<KeyReport>, CliError> {
    let mut request = Request::new(Vec::new());
    *request.method_mut() = Method::GET;
    *request.uri_mut() = jwks_uri.as_str().parse().map_err(|_| {
        CliError::Failed(anyhow::anyhow!("the jwks_uri {jwks_uri} is not a valid URI"))
    })?;
    request.headers_mut().insert(ACCEPT, HeaderValue::from_static("application/json"));
    let response =
        http.execute(request).await.failed(&format!("fetching the keys at {jwks_uri}"))?;
    if !response.status().is_success() {
        return Err(CliError::Failed(anyhow::anyhow!(
            "fetching the keys at {jwks_uri}: HTTP {}",
            response.status()
        )));
    }
    if let Some(problem) = crate::verify::jwk_set_problem(response.body()) {
        return Err(CliError::Failed(anyhow::anyhow!(
            "the keys at {jwks_uri} are not a usable JWK Set: {problem}"
        )));
    }
    let set: Value = serde_json::from_slice(response.body())
        .failed(&format!("the keys at {jwks_uri} are not JSON"))?;
    let Some(keys) = set.get("keys").and_then(Value::as_array) else {
        return Err(CliError::Failed(anyhow::anyhow!(
            "the keys at {jwks_uri} are not a JWK Set (no `keys` array)"
        )));
    };
    Ok(keys.iter().map(describe_key).collect())
}

fn describe_key(key: &Value) -> KeyReport {
    let text = |name: &str| key.get(name).and_then(Value::as_str).map(str::to_owned);
    let bits =
        key.get("n").and_then(Value::as_str).and_then(|n| URL_SAFE_NO_PAD.decode(n).ok()).map(
            |modulus| {
                let significant = modulus.iter().skip_while(|byte| **byte == 0).collect::<Vec<_>>();
                significant.first().map_or(0, |first| {
                    significant.len() * 8 - usize::try_from(first.leading_zeros()).unwrap_or(0)
                })
            },
        );
    // Parsed alone, so a bad key next to it cannot change the verdict.
    let usable = serde_json::to_vec(&json!({ "keys": [key] }))
        .ok()
        .and_then(|alone| JwksCache::from_json(&alone).ok())
        .is_some_and(|cache| !cache.kids().is_empty());
    KeyReport {
        kid: text("kid"),
        kty: text("kty"),
        alg: text("alg"),
        key_use: text("use"),
        bits,
        crv: text("crv"),
        usable,
    }
}
