//! The preflight of a team's settings: okta-config's rules, then live checks against the
//! authorization server, every problem listed at once with its fix.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use okta_config::{ClientAuthMethod, LoadError, Proxy, Role, Settings, SettingsLoader};
use okta_http::{
    ClientCredentials, HttpClient, ReqwestHttpClient, TransportError, redacted_url, same_origin,
};
use okta_verify::{Clock, JwksCache, JwksCacheOptions};
use serde_json::Value;
use url::Url;

use crate::flow::describe;

/// Below this clock difference, nothing is said.
const SKEW_OK: Duration = Duration::from_secs(10);

/// What the doctor checks, in the order it reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// okta-config's rules (`docs/configuration.md`).
    Settings,
    /// The proxy in effect (`http.proxy`, `http.no_proxy`) and where it came from.
    Proxy,
    /// Whose access tokens an API accepts: the listed `client_ids`, or any client
    /// (`any_client = true`), and where the choice came from.
    AcceptedClients,
    /// The discovery document answers.
    Discovery,
    /// Its `issuer` is the configured one, byte for byte.
    Issuer,
    /// okta-flow accepts the metadata (endpoints on the issuer's origin, code flow, S256).
    Metadata,
    /// The configured client authentication is in `token_endpoint_auth_methods_supported`.
    AuthMethod,
    /// `jwks_uri` serves at least one usable key.
    Keys,
    /// The local clock agrees with the server's `Date` header within the leeway.
    ClockSkew,
    /// The redirect URI is accepted by `/authorize` (registered for the client).
    RedirectUri,
    /// The client id and secret are accepted (a probe at `/introspect`).
    ClientCredentials,
}

impl Check {
    /// The check's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Settings => "settings",
            Self::Proxy => "proxy",
            Self::AcceptedClients => "accepted clients",
            Self::Discovery => "discovery reachable",
            Self::Issuer => "issuer matches",
            Self::Metadata => "metadata trusted",
            Self::AuthMethod => "client auth advertised",
            Self::Keys => "keys usable",
            Self::ClockSkew => "clock skew",
            Self::RedirectUri => "redirect URI",
            Self::ClientCredentials => "client credentials",
        }
    }
}

/// What a check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// All good.
    Ok {
        /// What was seen.
        detail: String,
    },
    /// Something that will break sign-in or token checks.
    Problem {
        /// What is wrong.
        message: String,
        /// How to fix it, when the message does not say.
        fix: Option<String>,
    },
    /// The check could not run (an earlier one failed, or the settings lack what it needs).
    Skipped {
        /// Why.
        reason: String,
    },
    /// Works, but is worth a look before going live.
    Warning {
        /// What was seen.
        message: String,
        /// What to do about it.
        fix: Option<String>,
    },
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The check.
    pub check: Check,
    /// What it found.
    pub verdict: Verdict,
}

/// Everything the doctor found.
#[derive(Clone, Debug, Default)]
pub struct DoctorReport {
    findings: Vec<Finding>,
}

impl DoctorReport {
    /// Every finding, in check order (settings problems first, one finding each).
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The findings of one check.
    pub fn of(&self, check: Check) -> Vec<&Verdict> {
        self.findings.iter().filter(|f| f.check == check).map(|f| &f.verdict).collect()
    }

    /// How many problems.
    pub fn problems(&self) -> usize {
        self.findings.iter().filter(|f| matches!(f.verdict, Verdict::Problem { .. })).count()
    }

    /// How many warnings.
    pub fn warnings(&self) -> usize {
        self.findings.iter().filter(|f| matches!(f.verdict, Verdict::Warning { .. })).count()
    }

    /// The report as a table, then a summary line.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for finding in &self.findings {
            let (label, message, fix) = match &finding.verdict {
                Verdict::Ok { detail } => ("ok", detail, None),
                Verdict::Problem { message, fix } => ("PROBLEM", message, fix.as_ref()),
                Verdict::Skipped { reason } => ("skipped", reason, None),
                Verdict::Warning { message, fix } => ("warning", message, fix.as_ref()),
            };
            let _ = writeln!(text, "  {:<24} {:<8} {message}", finding.check.name(), label);
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

    fn push(&mut self, check: Check, verdict: Verdict) {
        self.findings.push(Finding { check, verdict });
    }
}

/// Runs every check on the settings `loader` gives (`SettingsLoader::new` for the usual
/// `okta.toml` and `OKTA_*` sources): loaded for a client, then checked live against the issuer.
/// When the client settings have problems, the issuer is still checked, with the client
/// settings replaced by placeholders and the checks that need them skipped.
pub async fn doctor(loader: impl Fn() -> SettingsLoader, clock: Clock) -> DoctorReport {
    let mut report = DoctorReport::default();
    let (settings, client_usable) = match loader().role(Role::Client).load() {
        Ok(settings) => {
            let detail = format!("valid for a client (issuer {})", settings.issuer());
            report.push(Check::Settings, Verdict::Ok { detail });
            (Some(settings), true)
        }
        Err(err) => {
            settings_problems(&mut report, &err);
            (issuer_only(loader()).ok(), false)
        }
    };
    let Some(settings) = settings else {
        for check in [Check::Proxy, Check::AcceptedClients] {
            report.push(
                check,
                Verdict::Skipped {
                    reason: "no usable settings (see the settings problems)".to_owned(),
                },
            );
        }
        skip_live_checks(&mut report, "no usable issuer in the settings");
        return report;
    };
    report.push(Check::Proxy, proxy_verdict(&settings));
    report.push(Check::AcceptedClients, accepted_clients_verdict(&settings));
    live_checks(&mut report, &settings, client_usable, &clock).await;
    report
}

/// The settings with every client key replaced by a valid placeholder, to reach the issuer.
fn issuer_only(loader: SettingsLoader) -> Result<Settings, LoadError> {
    loader
        .set("client_id", "okta-doctor-placeholder")
        .set("client_secret", "okta-doctor-placeholder")
        .set("client_auth_method", "client_secret_basic")
        .set("redirect_uri", "http://127.0.0.1/okta-doctor-placeholder")
        .set("post_logout_redirect_uri", "http://127.0.0.1/")
        .set("scopes", ["openid"])
        .set("cookie_secret", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        .load()
}

fn settings_problems(report: &mut DoctorReport, err: &LoadError) {
    if err.problems().is_empty() {
        report.push(
            Check::Settings,
            Verdict::Problem {
                message: err.to_string(),
                fix: Some("fix or remove the settings file".to_owned()),
            },
        );
    }
    for problem in err.problems() {
        report.push(Check::Settings, Verdict::Problem { message: problem.to_string(), fix: None });
    }
}

fn skip_live_checks(report: &mut DoctorReport, reason: &str) {
    for check in [
        Check::Discovery,
        Check::Issuer,
        Check::Metadata,
        Check::AuthMethod,
        Check::Keys,
        Check::ClockSkew,
        Check::RedirectUri,
        Check::ClientCredentials,
    ] {
        report.push(check, Verdict::Skipped { reason: reason.to_owned() });
    }
}

async fn live_checks(
    report: &mut DoctorReport,
    settings: &Settings,
    client_usable: bool,
    clock: &Clock,
) {
    let client = if client_usable { settings.client() } else { None };
    let http: Arc<dyn HttpClient> = match ReqwestHttpClient::from_settings(settings) {
        Ok(http) => Arc::new(http),
        Err(err) => {
            skip_live_checks(report, &format!("no HTTP client: {err}"));
            return;
        }
    };
    let issuer = settings.issuer();
    let url = issuer.discovery_url();
    let before = clock.now();
    let started = Instant::now();
    let request = http::Request::get(url.as_str())
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new());
    let response = match request {
        Ok(request) => http.execute(request).await,
        Err(err) => Err(TransportError::other(err.to_string())),
    };
    let elapsed = started.elapsed();
    let metadata = match discovery_verdict(&url, response) {
        Ok((metadata, date)) => {
            report.push(
                Check::Discovery,
                Verdict::Ok {
                    detail: format!(
                        "{} answered in {} ms",
                        redacted_url(&url),
                        elapsed.as_millis()
                    ),
                },
            );
            (metadata, date)
        }
        Err(verdict) => {
            report.push(Check::Discovery, verdict);
            skip_live_checks_after_discovery(report);
            return;
        }
    };
    let (metadata, date) = metadata;

    let found = metadata.get("issuer").and_then(Value::as_str).unwrap_or_default();
    let issuer_ok = found == issuer.as_str();
    report.push(Check::Issuer, if issuer_ok {
        Verdict::Ok { detail: found.to_owned() }
    } else {
        Verdict::Problem {
            message: format!(
                "the server says its issuer is {found:?}, the settings say {:?}",
                issuer.as_str()
            ),
            fix: Some(format!(
                "set issuer to exactly {found} (tokens carry it byte for byte; okta-flow refuses \
                 any difference)"
            )),
        }
    });
    report.push(
        Check::Metadata,
        if issuer_ok {
            match okta_flow::discover(issuer, &*http).await {
                Ok(_) => Verdict::Ok {
                    detail:
                        "okta-flow accepts it: endpoints on the issuer's origin, code flow, S256"
                            .to_owned(),
                },
                Err(err) => Verdict::Problem {
                    message: format!("okta-flow refuses the metadata: {}", describe(&err)),
                    fix: Some(
                        "point issuer at the authorization server your Okta org serves (not a \
                    proxy that rewrites its metadata)"
                            .to_owned(),
                    ),
                },
            }
        } else {
            Verdict::Skipped { reason: "the issuer does not match".to_owned() }
        },
    );

    report.push(
        Check::AuthMethod,
        match client {
            Some(client) => auth_method_verdict(client.auth_method(), &metadata),
            None => Verdict::Skipped {
                reason: "no client settings (see the settings problems)".to_owned(),
            },
        },
    );

    report.push(
        Check::Keys,
        if issuer_ok {
            keys_verdict(settings, &metadata, http.clone(), clock).await
        } else {
            Verdict::Skipped { reason: "the issuer does not match".to_owned() }
        },
    );
    report.push(
        Check::ClockSkew,
        match date {
            Some(server) => {
                let local = before + elapsed / 2;
                skew_verdict(server, local, settings.leeway())
            }
            None => {
                Verdict::Skipped { reason: "the discovery response has no Date header".to_owned() }
            }
        },
    );

    let endpoint =
        |name: &str| metadata.get(name).and_then(Value::as_str).and_then(|u| Url::parse(u).ok());
    report.push(
        Check::RedirectUri,
        match (client, endpoint("authorization_endpoint")) {
            (Some(client), Some(_)) => match client.redirect_uri() {
                Some(redirect) => redirect_verdict(settings, redirect).await,
                None => Verdict::Skipped { reason: "no redirect_uri".to_owned() },
            },
            (None, _) => Verdict::Skipped {
                reason: "no client settings (see the settings problems)".to_owned(),
            },
            (_, None) => Verdict::Problem {
                message: "the metadata has no authorization_endpoint".to_owned(),
                fix: None,
            },
        },
    );
    report.push(
        Check::ClientCredentials,
        match client {
            Some(client) => {
                let introspect =
                    endpoint("introspection_endpoint").unwrap_or_else(|| issuer.introspect_url());
                credentials_verdict(settings, client.auth_method(), &introspect, &*http).await
            }
            None => Verdict::Skipped {
                reason: "no client settings (see the settings problems)".to_owned(),
            },
        },
    );
}

fn skip_live_checks_after_discovery(report: &mut DoctorReport) {
    let mut rest = DoctorReport::default();
    skip_live_checks(&mut rest, "discovery failed");
    report.findings.extend(rest.findings.into_iter().filter(|f| f.check != Check::Discovery));
}

/// The proxy in effect, where `http.proxy` and `http.no_proxy` came from, and a warning when
/// `environment` finds no proxy variable. Credentials in a proxy URL are shown as `[redacted]`.
pub(crate) fn proxy_verdict(settings: &Settings) -> Verdict {
    let http = settings.http();
    let from =
        |key: &str| settings.origin(key).map_or_else(|| "default".to_owned(), ToString::to_string);
    let mut detail = match http.proxy() {
        Proxy::Direct => {
            format!("none: direct connections (http.proxy from {})", from("http.proxy"))
        }
        Proxy::Environment { http: None, https: None } => {
            return Verdict::Warning {
                message: format!(
                    "http.proxy = \"environment\" (from {}) but no proxy variable is set \
                     (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, lower-case too): connections are direct",
                    from("http.proxy")
                ),
                fix: Some(
                    "set HTTPS_PROXY where the service runs, or http.proxy = \"none\" if it \
                     needs no proxy"
                        .to_owned(),
                ),
            };
        }
        proxy @ (Proxy::Environment { .. } | Proxy::Url(_)) => {
            format!("{proxy} (http.proxy from {})", from("http.proxy"))
        }
    };
    if !http.no_proxy().is_empty() {
        let _ = write!(
            detail,
            "; direct to {} (http.no_proxy from {})",
            http.no_proxy().join(", "),
            from("http.no_proxy")
        );
    }
    Verdict::Ok { detail }
}

/// Which clients' access tokens the settings accept, as okta-config's explicit choice.
pub(crate) fn accepted_clients_verdict(settings: &Settings) -> Verdict {
    let from =
        |key: &str| settings.origin(key).map_or_else(|| "default".to_owned(), ToString::to_string);
    if settings.any_client() {
        return Verdict::Ok {
            detail: format!(
                "any client of the issuer (any_client = true from {})",
                from("any_client")
            ),
        };
    }
    if settings.client_ids().is_empty() {
        return Verdict::Ok {
            detail: "none chosen: fine for signing users in; an API (resource-server role) \
                     must set client_ids or any_client = true"
                .to_owned(),
        };
    }
    let ids: Vec<&str> = settings.client_ids().iter().map(okta_config::ClientId::as_str).collect();
    Verdict::Ok {
        detail: format!("only {} (client_ids from {})", ids.join(", "), from("client_ids")),
    }
}

/// The metadata and the server's `Date`, or the problem.
fn discovery_verdict(
    url: &Url,
    response: Result<http::Response<Vec<u8>>, TransportError>,
) -> Result<(serde_json::Map<String, Value>, Option<std::time::SystemTime>), Verdict> {
    let shown = redacted_url(url);
    let check_issuer = "check issuer: https://{yourOktaDomain} for the org authorization server, or \
        https://{yourOktaDomain}/oauth2/{authorizationServerId} (for example /oauth2/default) for a \
        custom one";
    let response = response.map_err(|err| {
        let fix = match &err {
            TransportError::Connect { .. } | TransportError::Timeout { .. } => {
                "check that the issuer's host and port are right and reachable from here (DNS, \
                 firewall); if this machine reaches Okta through a proxy, set http.proxy (see the \
                 proxy finding)"
            }
            TransportError::Redirect { .. } => {
                "the discovery URL redirects: the issuer is probably not the authorization server's \
                 (http instead of https, a custom domain, a trailing slash)"
            }
            _ => check_issuer,
        };
        Verdict::Problem { message: describe(&err), fix: Some(fix.to_owned()) }
    })?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(Verdict::Problem {
            message: format!("{shown} answered HTTP {status}"),
            fix: Some(if status == 404 {
                format!("{check_issuer}; the authorization server must exist and be active")
            } else {
                "try again later; if it persists, check the org's status page".to_owned()
            }),
        });
    }
    let metadata: serde_json::Map<String, Value> = serde_json::from_slice(response.body())
        .map_err(|_| Verdict::Problem {
            message: format!("{shown} is not a JSON object"),
            fix: Some(check_issuer.to_owned()),
        })?;
    let date = response
        .headers()
        .get(http::header::DATE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok());
    Ok((metadata, date))
}

/// Whether the configured client authentication is advertised.
pub(crate) fn auth_method_verdict(
    method: ClientAuthMethod,
    metadata: &serde_json::Map<String, Value>,
) -> Verdict {
    let advertised: Vec<&str> = metadata
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
        .map(|methods| methods.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if advertised.is_empty() {
        return Verdict::Warning {
            message: "the metadata does not list token_endpoint_auth_methods_supported (RFC 8414 \
                      then means client_secret_basic)"
                .to_owned(),
            fix: (method != ClientAuthMethod::ClientSecretBasic)
                .then(|| "use client_auth_method = client_secret_basic".to_owned()),
        };
    }
    if advertised.contains(&method.as_str()) {
        return Verdict::Ok { detail: format!("{method} is in {advertised:?}") };
    }
    let usable: Vec<&str> =
        advertised.iter().copied().filter(|name| ClientAuthMethod::parse(name).is_ok()).collect();
    Verdict::Problem {
        message: format!("{method} is not in token_endpoint_auth_methods_supported {advertised:?}"),
        fix: Some(if usable.is_empty() {
            "the server offers no method okta-oidc supports (client_secret_basic, client_secret_post, \
             client_secret_jwt, private_key_jwt, none)"
                .to_owned()
        } else {
            format!(
                "set client_auth_method to {} and the app's Client authentication in Okta to the same",
                usable.join(" or ")
            )
        }),
    }
}

async fn keys_verdict(
    settings: &Settings,
    metadata: &serde_json::Map<String, Value>,
    http: Arc<dyn HttpClient>,
    clock: &Clock,
) -> Verdict {
    let Some(uri) =
        metadata.get("jwks_uri").and_then(Value::as_str).and_then(|u| Url::parse(u).ok())
    else {
        return Verdict::Problem {
            message: "the metadata has no valid jwks_uri".to_owned(),
            fix: None,
        };
    };
    if !same_origin(&uri, settings.issuer().url()) {
        return Verdict::Problem {
            message: format!("jwks_uri {} is not on the issuer's origin", redacted_url(&uri)),
            fix: Some("keys must come from the issuer itself: check the issuer".to_owned()),
        };
    }
    let keys = match JwksCache::remote(
        uri.clone(),
        http,
        JwksCacheOptions::from_settings(settings),
        clock.clone(),
    ) {
        Ok(keys) => keys,
        Err(err) => return Verdict::Problem { message: describe(&err), fix: None },
    };
    if let Err(err) = keys.refresh().await {
        return Verdict::Problem {
            message: format!("cannot load {}: {}", redacted_url(&uri), describe(&err)),
            fix: Some(
                "the key set must be reachable from every service that checks tokens".to_owned(),
            ),
        };
    }
    let kids: Vec<String> =
        keys.kids().into_iter().map(|kid| kid.unwrap_or_else(|| "(no kid)".into())).collect();
    if kids.is_empty() {
        return Verdict::Problem {
            message: format!(
                "{} has no usable signing key (RSA of 2048 bits or more)",
                redacted_url(&uri)
            ),
            fix: None,
        };
    }
    Verdict::Ok {
        detail: format!(
            "{} usable key(s) at {}: {}",
            kids.len(),
            redacted_url(&uri),
            kids.join(", ")
        ),
    }
}

/// Compares the server's `Date` with the local clock at the middle of the request.
pub(crate) fn skew_verdict(
    server: std::time::SystemTime,
    local: std::time::SystemTime,
    leeway: Duration,
) -> Verdict {
    let seconds = |time: std::time::SystemTime| {
        time.duration_since(UNIX_EPOCH).map_or(0.0, |since| since.as_secs_f64())
    };
    // `Date` has whole seconds: half a second of the difference is its rounding.
    let skew = seconds(local) - (seconds(server) + 0.5);
    let size = Duration::from_secs_f64(skew.abs());
    let direction = if skew > 0.0 { "ahead of" } else { "behind" };
    let fix = Some(
        "synchronise the clock with NTP (for example `timedatectl set-ntp true`, or chrony)"
            .to_owned(),
    );
    if size <= SKEW_OK {
        Verdict::Ok {
            detail: format!(
                "the local clock is within {} s of the server's",
                size.as_secs().max(1)
            ),
        }
    } else if size <= leeway {
        Verdict::Warning {
            message: format!(
                "the local clock is {} s {direction} the server's (within the leeway of {} s)",
                size.as_secs(),
                leeway.as_secs()
            ),
            fix,
        }
    } else {
        let effect = if skew > 0.0 {
            "tokens will look expired too early"
        } else {
            "fresh tokens will be refused as issued in the future"
        };
        Verdict::Problem {
            message: format!(
                "the local clock is {} s {direction} the server's, more than the leeway of {} s: {effect}",
                size.as_secs(),
                leeway.as_secs()
            ),
            fix,
        }
    }
}

/// Asks `/authorize` whether it accepts the client id and redirect URI, as the first request of
/// a sign-in would (no user signs in).
async fn redirect_verdict(settings: &Settings, redirect: &okta_config::RedirectUri) -> Verdict {
    // The probe is okta-flow's preflight, the one `okta login` runs before opening a browser.
    let sealing_key = match okta_flow::SealingKey::generate() {
        Ok(key) => key,
        Err(err) => return Verdict::Skipped { reason: err.to_string() },
    };
    let client = okta_flow::OktaClient::builder(settings).sealing_key(sealing_key).discover().await;
    let client = match client {
        Ok(client) => client,
        Err(err) => return Verdict::Skipped { reason: format!("okta-flow cannot set up: {err}") },
    };
    let fix_registered = format!(
        "add {} exactly (scheme, host, port and path) to the app's Sign-in redirect URIs, and check \
         client_id",
        redirect.as_str()
    );
    match client.preflight().await {
        Ok(()) => {}
        Err(err @ okta_flow::PreflightError::Refused { .. }) => {
            return Verdict::Problem { message: err.to_string(), fix: Some(fix_registered) };
        }
        Err(err) => {
            let fix = err.likely_causes().join("; ");
            return Verdict::Problem { message: err.to_string(), fix: Some(fix) };
        }
    }
    let loopback_in_production = redirect.is_loopback() && !settings.issuer().is_loopback();
    if loopback_in_production {
        return Verdict::Warning {
            message: format!("{} is accepted, and is a loopback address", redirect.as_str()),
            fix: Some(
                "fine for development; in production register an https redirect URI on the \
                       application's own host"
                    .to_owned(),
            ),
        };
    }
    let logout = settings
        .client()
        .and_then(okta_config::ClientSettings::post_logout_redirect_uri)
        .map_or_else(
            || "no post_logout_redirect_uri (logout ends on Okta's page)".to_owned(),
            |uri| format!("post-logout {}", uri.as_str()),
        );
    Verdict::Ok { detail: format!("{} accepted by /authorize; {logout}", redirect.as_str()) }
}

/// Presents the client credentials at `/introspect` with a dummy token: a valid client gets
/// `active: false`, a wrong one `invalid_client`.
async fn credentials_verdict(
    settings: &Settings,
    method: ClientAuthMethod,
    introspect: &Url,
    http: &dyn HttpClient,
) -> Verdict {
    let credentials = match ClientCredentials::from_settings(settings) {
        Ok(credentials) => credentials,
        Err(err) => return Verdict::Skipped { reason: err.to_string() },
    };
    let request = match credentials.form_request(
        introspect,
        &[("token", "okta-doctor-probe"), ("token_type_hint", "access_token")],
    ) {
        Ok(request) => request,
        Err(err) => return Verdict::Problem { message: describe(&err), fix: None },
    };
    let response = match http.execute(request).await {
        Ok(response) => response,
        Err(err) => return Verdict::Problem { message: describe(&err), fix: None },
    };
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(response.body()).unwrap_or_default();
    match status {
        200 => Verdict::Ok {
            detail: format!(
                "{} accepted with {method} (probe at /introspect)",
                credentials.client_id()
            ),
        },
        400 | 401 => Verdict::Problem {
            message: format!(
                "/introspect refused the client credentials (HTTP {status}, {})",
                body.get("error").and_then(Value::as_str).unwrap_or("no error code")
            ),
            fix: Some(format!(
                "check client_id and client_secret (the app's General tab), and that the app's \
                 Client authentication is {method} (client_auth_method)"
            )),
        },
        _ => Verdict::Warning {
            message: format!(
                "/introspect answered HTTP {status} to a probe with the client credentials"
            ),
            fix: None,
        },
    }
}

mod roles;

pub use roles::{RoleCheck, RoleReport, doctor_resource_server, doctor_service};

#[cfg(test)]
mod tests;
