//! The doctor's resource-server role (an API that checks access tokens) and service role (a
//! service that calls APIs with its own client-credentials tokens). Each role has its own checks
//! and report; the live checks reuse the client role's (discovery, issuer, keys, clock skew).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_config::{ClientSettings, Role, Scope, Settings, SettingsLoader};
use okta_http::{HttpClient, ReqwestHttpClient, TransportError, redacted_url, same_origin};
use okta_service::{TokenError, TokenSourceBuilder};
use okta_verify::Clock;
use serde_json::Value;
use url::Url;

use super::{
    Verdict, accepted_clients_verdict, discovery_verdict, keys_verdict, proxy_verdict, skew_verdict,
};
use crate::flow::describe;

/// The algorithm okta-verify accepts by default, and the only one Okta signs with.
const ALLOWED_ALG: &str = "RS256";
/// The smallest RSA modulus okta-verify accepts, in bits.
const MIN_RSA_BITS: usize = 2048;

/// What the resource-server and service roles check, in the order they report them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RoleCheck {
    /// okta-config's rules for the role.
    Settings,
    /// The proxy in effect.
    Proxy,
    /// Whose access tokens the API accepts (`client_ids` or `any_client`).
    AcceptedClients,
    /// The configured audience is not a client id (`0oa...`): access tokens of a custom
    /// authorization server carry the server's audience, ID tokens the client id.
    Audience,
    /// The issuer's metadata answers.
    Discovery,
    /// Its `issuer` is the configured one, byte for byte.
    Issuer,
    /// `jwks_uri` answers with at least one key okta-verify can use.
    Keys,
    /// Keys for the algorithm allow-list (RS256) with at least 2048-bit moduli.
    KeyAlgorithms,
    /// The local clock agrees with the server's `Date` header.
    ClockSkew,
    /// A client-credentials token for the scopes the service asks for can be had (okta-service's
    /// `TokenSource`).
    ServiceToken,
    /// That token's `aud` is the audience of the API it will call (the `audience` setting).
    TokenAudience,
}

impl RoleCheck {
    /// The check's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Settings => "settings",
            Self::Proxy => "proxy",
            Self::AcceptedClients => "accepted clients",
            Self::Audience => "audience",
            Self::Discovery => "discovery reachable",
            Self::Issuer => "issuer matches",
            Self::Keys => "keys usable",
            Self::KeyAlgorithms => "key algorithms",
            Self::ClockSkew => "clock skew",
            Self::ServiceToken => "service token",
            Self::TokenAudience => "token audience",
        }
    }
}

/// Everything the doctor found for one role.
#[derive(Clone, Debug, Default)]
pub struct RoleReport {
    findings: Vec<(RoleCheck, Verdict)>,
}

impl RoleReport {
    /// Every finding, in check order.
    pub fn findings(&self) -> &[(RoleCheck, Verdict)] {
        &self.findings
    }

    /// The findings of one check.
    pub fn of(&self, check: RoleCheck) -> Vec<&Verdict> {
        self.findings.iter().filter(|(c, _)| *c == check).map(|(_, v)| v).collect()
    }

    /// How many problems.
    pub fn problems(&self) -> usize {
        self.findings.iter().filter(|(_, v)| matches!(v, Verdict::Problem { .. })).count()
    }

    /// How many warnings.
    pub fn warnings(&self) -> usize {
        self.findings.iter().filter(|(_, v)| matches!(v, Verdict::Warning { .. })).count()
    }

    /// The report as a table, then a summary line.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for (check, verdict) in &self.findings {
            let (label, message, fix) = match verdict {
                Verdict::Ok { detail } => ("ok", detail, None),
                Verdict::Problem { message, fix } => ("PROBLEM", message, fix.as_ref()),
                Verdict::Skipped { reason } => ("skipped", reason, None),
                Verdict::Warning { message, fix } => ("warning", message, fix.as_ref()),
            };
            let _ = writeln!(text, "  {:<24} {:<8} {message}", check.name(), label);
            if let Some(fix) = fix {
                let _ = writeln!(text, "  {:<24} {:<8} fix: {fix}", "", "");
            }
        }
        let _ = write!(
            text,
            "\n{} problem(s), {} warning(s) in {} finding(s)",
            self.problems(),
            self.warnings(),
            self.findings.len()
        );
        text
    }

    fn push(&mut self, check: RoleCheck, verdict: Verdict) {
        self.findings.push((check, verdict));
    }

    fn skip(&mut self, checks: &[RoleCheck], reason: &str) {
        for check in checks {
            self.push(*check, Verdict::Skipped { reason: reason.to_owned() });
        }
    }
}

/// The resource-server role: the settings an API loads, then its issuer's metadata, keys and
/// clock, as okta-verify will meet them.
pub async fn doctor_resource_server(
    loader: impl Fn() -> SettingsLoader,
    clock: Clock,
) -> RoleReport {
    let mut report = RoleReport::default();
    let live = [
        RoleCheck::Discovery,
        RoleCheck::Issuer,
        RoleCheck::Keys,
        RoleCheck::KeyAlgorithms,
        RoleCheck::ClockSkew,
    ];
    let Some(settings) = load(&mut report, loader(), Role::ResourceServer) else {
        report.skip(
            &[RoleCheck::Proxy, RoleCheck::AcceptedClients, RoleCheck::Audience],
            "no usable settings (see the settings problems)",
        );
        report.skip(&live, "no usable settings (see the settings problems)");
        return report;
    };
    report.push(RoleCheck::Proxy, proxy_verdict(&settings));
    report.push(RoleCheck::AcceptedClients, accepted_clients_verdict(&settings));
    report.push(RoleCheck::Audience, audience_verdict(&settings));

    let Some((http, metadata, date, elapsed_mid)) =
        discover(&mut report, &settings, &clock, &live[1..]).await
    else {
        return report;
    };
    let issuer_ok = issuer_verdict(&mut report, &settings, &metadata);
    if issuer_ok {
        report
            .push(RoleCheck::Keys, keys_verdict(&settings, &metadata, http.clone(), &clock).await);
        report.push(
            RoleCheck::KeyAlgorithms,
            key_algorithms_verdict(&settings, &metadata, &*http).await,
        );
    } else {
        report.skip(&[RoleCheck::Keys, RoleCheck::KeyAlgorithms], "the issuer does not match");
    }
    report.push(
        RoleCheck::ClockSkew,
        match date {
            Some(server) => skew_verdict(server, elapsed_mid, settings.leeway()),
            None => {
                Verdict::Skipped { reason: "the discovery response has no Date header".to_owned() }
            }
        },
    );
    report
}

/// The service role: the settings a calling service loads, then a client-credentials token
/// from okta-service's `TokenSource` for `scopes` (what the service passes to
/// `TokenSource::token`; none means the settings' `scopes`, and when those are empty too, the
/// server's default scopes), whose `aud` must be the
/// audience of the API it calls (the `audience` setting).
pub async fn doctor_service(
    loader: impl Fn() -> SettingsLoader,
    scopes: &[Scope],
    clock: Clock,
) -> RoleReport {
    let mut report = RoleReport::default();
    let live = [
        RoleCheck::Discovery,
        RoleCheck::Issuer,
        RoleCheck::ServiceToken,
        RoleCheck::TokenAudience,
    ];
    let Some(settings) = load(&mut report, loader(), Role::Service) else {
        report.skip(&[RoleCheck::Proxy], "no usable settings (see the settings problems)");
        report.skip(&live, "no usable settings (see the settings problems)");
        return report;
    };
    report.push(RoleCheck::Proxy, proxy_verdict(&settings));
    let Some((_, metadata, _, _)) = discover(&mut report, &settings, &clock, &live[1..]).await
    else {
        return report;
    };
    if !issuer_verdict(&mut report, &settings, &metadata) {
        report.skip(&live[2..], "the issuer does not match");
        return report;
    }
    let source = match TokenSourceBuilder::from_settings(&settings) {
        Ok(builder) => builder.clock(clock).build(),
        Err(err) => {
            report.push(
                RoleCheck::ServiceToken,
                Verdict::Problem { message: describe(&err), fix: None },
            );
            report.skip(&live[3..], "no token");
            return report;
        }
    };
    let (scopes, from_setting) = match settings.client().map(ClientSettings::scopes) {
        Some(configured) if scopes.is_empty() && !configured.is_empty() => (configured, true),
        _ => (scopes, false),
    };
    let names: Vec<&str> = scopes.iter().map(Scope::as_str).collect();
    let asked = if names.is_empty() {
        "the server's default scopes".to_owned()
    } else if from_setting {
        format!("scopes [{}] (the scopes setting)", names.join(" "))
    } else {
        format!("scopes [{}]", names.join(" "))
    };
    let token = match source.token(scopes).await {
        Ok(token) => token,
        Err(err) => {
            let fix = match &err {
                TokenError::Transport(_) | TokenError::Unavailable { .. } => {
                    Some("check that the issuer's token endpoint is reachable from here".to_owned())
                }
                // The other errors name their fix in their message.
                _ => None,
            };
            report.push(
                RoleCheck::ServiceToken,
                Verdict::Problem {
                    message: format!("no client-credentials token for {asked}: {}", describe(&err)),
                    fix,
                },
            );
            report.skip(&live[3..], "no token");
            return report;
        }
    };
    report.push(
        RoleCheck::ServiceToken,
        Verdict::Ok {
            detail: format!(
                "a client-credentials token for {asked} (granted: {})",
                token.scopes().join(" ")
            ),
        },
    );
    report.push(RoleCheck::TokenAudience, token_audience_verdict(&settings, token.secret()));
    report
}

/// Loads the settings for `role`, reporting okta-config's problems.
fn load(report: &mut RoleReport, loader: SettingsLoader, role: Role) -> Option<Settings> {
    let name = match role {
        Role::ResourceServer => "an API (resource server)",
        Role::Service => "a service calling APIs",
        Role::Client => "a client",
    };
    match loader.role(role).load() {
        Ok(settings) => {
            let detail = format!("valid for {name} (issuer {})", settings.issuer());
            report.push(RoleCheck::Settings, Verdict::Ok { detail });
            Some(settings)
        }
        Err(err) => {
            if err.problems().is_empty() {
                report.push(
                    RoleCheck::Settings,
                    Verdict::Problem {
                        message: err.to_string(),
                        fix: Some("fix or remove the settings file".to_owned()),
                    },
                );
            }
            for problem in err.problems() {
                report.push(
                    RoleCheck::Settings,
                    Verdict::Problem { message: problem.to_string(), fix: None },
                );
            }
            None
        }
    }
}

/// The metadata, the server's `Date` and the local time at the middle of the request; on
/// failure the discovery problem is reported and `after` skipped.
async fn discover(
    report: &mut RoleReport,
    settings: &Settings,
    clock: &Clock,
    after: &[RoleCheck],
) -> Option<(
    Arc<dyn HttpClient>,
    serde_json::Map<String, Value>,
    Option<std::time::SystemTime>,
    std::time::SystemTime,
)> {
    let http: Arc<dyn HttpClient> = match ReqwestHttpClient::from_settings(settings) {
        Ok(http) => Arc::new(http),
        Err(err) => {
            report.skip(&[RoleCheck::Discovery], &format!("no HTTP client: {err}"));
            report.skip(after, "no HTTP client");
            return None;
        }
    };
    let url = settings.issuer().discovery_url();
    let before = clock.now();
    let started = Instant::now();
    let response = match http::Request::get(url.as_str())
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
    {
        Ok(request) => http.execute(request).await,
        Err(err) => Err(TransportError::other(err.to_string())),
    };
    let elapsed = started.elapsed();
    match discovery_verdict(&url, response) {
        Ok((metadata, date)) => {
            report.push(
                RoleCheck::Discovery,
                Verdict::Ok {
                    detail: format!(
                        "{} answered in {} ms",
                        redacted_url(&url),
                        elapsed.as_millis()
                    ),
                },
            );
            Some((http, metadata, date, before + elapsed / 2))
        }
        Err(verdict) => {
            report.push(RoleCheck::Discovery, verdict);
            report.skip(after, "discovery failed");
            None
        }
    }
}

/// Whether the metadata's `issuer` is the configured one, reported.
fn issuer_verdict(
    report: &mut RoleReport,
    settings: &Settings,
    metadata: &serde_json::Map<String, Value>,
) -> bool {
    let issuer = settings.issuer();
    let found = metadata.get("issuer").and_then(Value::as_str).unwrap_or_default();
    let ok = found == issuer.as_str();
    report.push(
        RoleCheck::Issuer,
        if ok {
            Verdict::Ok { detail: found.to_owned() }
        } else {
            Verdict::Problem {
                message: format!(
                    "the server says its issuer is {found:?}, the settings say {:?}",
                    issuer.as_str()
                ),
                fix: Some(format!(
                    "set issuer to exactly {found} (tokens carry it byte for byte; okta-verify \
                     refuses any difference)"
                )),
            }
        },
    );
    ok
}

/// Whether `value` has the shape of an Okta client id: `0oa` and 17 more letters or digits.
fn looks_like_client_id(value: &str) -> bool {
    value.len() == 20
        && value.starts_with("0oa")
        && value.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// The audience of an API must be its authorization server's, not an application's client id.
fn audience_verdict(settings: &Settings) -> Verdict {
    let audiences: Vec<&str> =
        settings.audiences().iter().map(okta_config::Audience::as_str).collect();
    if audiences.is_empty() {
        return Verdict::Ok {
            detail: "none set: the org authorization server's tokens are checked by \
                     introspection"
                .to_owned(),
        };
    }
    let client_ids: Vec<&str> =
        settings.client_ids().iter().map(okta_config::ClientId::as_str).collect();
    let own_client = settings.client().map(|client| client.id().as_str());
    let suspicious: Vec<&str> = audiences
        .iter()
        .copied()
        .filter(|aud| {
            looks_like_client_id(aud) || client_ids.contains(aud) || own_client == Some(*aud)
        })
        .collect();
    if suspicious.is_empty() {
        return Verdict::Ok {
            detail: format!("access tokens must name {}", audiences.join(" or ")),
        };
    }
    Verdict::Problem {
        message: format!(
            "audience {} looks like a client id: access tokens of a custom authorization server \
             carry the server's audience (for example api://default), not the client id (that is \
             the aud of ID tokens), so every access token would be refused with audience_mismatch",
            suspicious.join(", ")
        ),
        fix: Some(
            "set audience to the authorization server's Audience (Security > API > \
             Authorization Servers, the server's Settings tab); put client ids in client_ids"
                .to_owned(),
        ),
    }
}

/// The keys of `jwks_uri` against the algorithm allow-list and the RSA size okta-verify needs:
/// Okta signs with RS256, so at least one RSA key of 2048 bits or more without another `alg`.
async fn key_algorithms_verdict(
    settings: &Settings,
    metadata: &serde_json::Map<String, Value>,
    http: &dyn HttpClient,
) -> Verdict {
    let Some(uri) =
        metadata.get("jwks_uri").and_then(Value::as_str).and_then(|u| Url::parse(u).ok())
    else {
        return Verdict::Skipped { reason: "the metadata has no valid jwks_uri".to_owned() };
    };
    if !same_origin(&uri, settings.issuer().url()) {
        return Verdict::Skipped { reason: "jwks_uri is not on the issuer's origin".to_owned() };
    }
    let response = match http::Request::get(uri.as_str()).body(Vec::new()) {
        Ok(request) => http.execute(request).await,
        Err(err) => Err(TransportError::other(err.to_string())),
    };
    let keys = match response {
        Ok(response) if response.status() == http::StatusCode::OK => {
            serde_json::from_slice::<Value>(response.body())
                .ok()
                .and_then(|body| body.get("keys").and_then(Value::as_array).cloned())
        }
        Ok(_) | Err(_) => None,
    };
    let Some(keys) = keys else {
        return Verdict::Skipped {
            reason: "the key set did not load (see keys usable)".to_owned(),
        };
    };
    let mut usable = Vec::new();
    let mut other = Vec::new();
    for key in &keys {
        let text = |name: &str| key.get(name).and_then(Value::as_str);
        let kid = text("kid").unwrap_or("(no kid)");
        let bits = text("n")
            .and_then(|n| URL_SAFE_NO_PAD.decode(n).ok())
            .map(|n| n.iter().skip_while(|byte| **byte == 0).count() * 8);
        let reason = match (text("kty"), text("alg"), text("use"), bits) {
            (Some("RSA"), _, Some(usage), _) if usage != "sig" => format!("use {usage}"),
            (Some("RSA"), Some(alg), _, _) if alg != ALLOWED_ALG => {
                format!("alg {alg} is not in the allow-list ({ALLOWED_ALG})")
            }
            (Some("RSA"), _, _, Some(bits)) if bits < MIN_RSA_BITS => {
                format!("RSA key of {bits} bits (at least {MIN_RSA_BITS})")
            }
            (Some("RSA"), _, _, Some(_)) => {
                usable.push(kid.to_owned());
                continue;
            }
            (Some("RSA"), _, _, None) => "no readable modulus".to_owned(),
            (kty, alg, _, _) => format!(
                "kty {}{} cannot sign {ALLOWED_ALG}",
                kty.unwrap_or("(none)"),
                alg.map(|alg| format!(" alg {alg}")).unwrap_or_default()
            ),
        };
        other.push(format!("{kid}: {reason}"));
    }
    let shown = redacted_url(&uri);
    if usable.is_empty() {
        return Verdict::Problem {
            message: format!(
                "{shown} has no key for {ALLOWED_ALG} of {MIN_RSA_BITS} bits or more ({})",
                if other.is_empty() { "no keys".to_owned() } else { other.join("; ") }
            ),
            fix: Some(
                "Okta's authorization servers sign with RS256 keys of 2048 bits: check that the \
                 issuer is an Okta authorization server"
                    .to_owned(),
            ),
        };
    }
    if other.is_empty() {
        Verdict::Ok {
            detail: format!(
                "{} key(s) for {ALLOWED_ALG}, {MIN_RSA_BITS} bits or more: {}",
                usable.len(),
                usable.join(", ")
            ),
        }
    } else {
        Verdict::Warning {
            message: format!(
                "{} key(s) for {ALLOWED_ALG} ({}); tokens signed with the others are refused: {}",
                usable.len(),
                usable.join(", "),
                other.join("; ")
            ),
            fix: None,
        }
    }
}

/// The service token's `aud` against the `audience` setting (the API the service calls). The
/// token is only decoded here, not verified: it came from the token endpoint over the
/// connection just checked, and the API verifies it.
fn token_audience_verdict(settings: &Settings, token: &str) -> Verdict {
    let expected: Vec<&str> =
        settings.audiences().iter().map(okta_config::Audience::as_str).collect();
    if expected.is_empty() {
        return Verdict::Skipped {
            reason: "no audience setting: set audience to the API's audience to check it"
                .to_owned(),
        };
    }
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|payload| serde_json::from_slice::<Value>(&payload).ok());
    let Some(claims) = claims else {
        return Verdict::Warning {
            message: "the token is not a JWT (an opaque token): its audience cannot be read"
                .to_owned(),
            fix: None,
        };
    };
    let found: Vec<String> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(auds)) => {
            auds.iter().filter_map(Value::as_str).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    };
    if found.iter().any(|aud| expected.contains(&aud.as_str())) {
        Verdict::Ok { detail: format!("aud {} is the API's audience", found.join(", ")) }
    } else {
        Verdict::Problem {
            message: format!(
                "the token's aud is {}, the API expects {}: it would refuse the token \
                 (audience_mismatch)",
                if found.is_empty() { "missing".to_owned() } else { found.join(", ") },
                expected.join(" or ")
            ),
            fix: Some(
                "point issuer at the authorization server whose Audience is the API's (each \
                 custom authorization server has one audience), or correct audience"
                    .to_owned(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_client_id;

    #[test]
    fn client_ids_are_told_from_audiences() {
        assert!(looks_like_client_id("0oa1b2c3d4e5f6g7h8i9"));
        assert!(!looks_like_client_id("api://default"));
        assert!(!looks_like_client_id("0oa1b2c3d4e5f6g7h8i"), "19 characters");
        assert!(!looks_like_client_id("https://0oa1b2c3d4e5f6g7h8"));
    }
}
