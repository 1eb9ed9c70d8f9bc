//! The one conversion from raw values to [`Settings`], collecting every problem on the way.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::proxy::{self, Proxy};
use crate::raw::{RawSettings, Sourced};
use crate::session::{RedisUrl, SessionKey, SessionSettings};
use crate::{
    Audience, AuthorizationServer, CaCertificate, ClientAuthMethod, ClientId, ClientSecret,
    ClientSettings, ClientSigningKey, CookieSecret, HttpSettings, InvalidValue, Issuer,
    JwksSettings, Origin, Problem, Problems, RedirectUri, Role, Scope, Settings, SigningAlgorithm,
};

/// The shortest secret `client_secret_jwt` signs with (HS256 needs a key of 256 bits; Okta
/// requires 32 characters).
const MIN_JWT_SECRET_CHARS: usize = 32;

/// The OpenID Connect scopes (OIDC Core §5.4, §11), which need a user: Okta refuses them in a
/// client-credentials request (okta-facts-2 §1.1, §1.3).
const SIGN_IN_SCOPES: [&str; 6] =
    ["openid", "profile", "email", "address", "phone", "offline_access"];

/// Reads a key file, bounded; the message of a problem names the file, never its content.
fn read_key_file(path: &str) -> Result<String, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|err| format!("cannot open {path:?}: {err}"))?;
    let mut text = String::new();
    let limit = u64::try_from(crate::signing_key::MAX_KEY_BYTES).unwrap_or(u64::MAX) + 1;
    file.take(limit)
        .read_to_string(&mut text)
        .map_err(|err| format!("cannot read {path:?} as text: {err}"))?;
    Ok(text)
}

/// The largest clock leeway accepted: more would accept tokens minutes after they expired.
const MAX_LEEWAY: Duration = Duration::from_mins(5);

pub(crate) fn validate(
    raw: RawSettings,
    roles: &BTreeSet<Role>,
    profile: Option<String>,
    problems: Vec<Problem>,
) -> Result<Settings, Problems> {
    let mut check = Checker { problems };
    let issuer = check.issuer(&raw);
    let client = check.client(&raw, roles, issuer.as_ref());
    let audiences = check.audiences(&raw, roles, issuer.as_ref());
    let client_ids = check.list(raw.client_ids.as_ref(), "client_ids", ClientId::parse);
    let any_client = check.accepted_clients(&raw, roles, &client_ids);
    let required_scopes = check.list(raw.required_scopes.as_ref(), "required_scopes", Scope::parse);
    let leeway = check.duration(raw.leeway.as_ref(), "leeway_secs", Duration::ZERO, MAX_LEEWAY);
    let max_token_age =
        check.duration(raw.max_token_age.as_ref(), "max_token_age_secs", MINUTE, 366 * DAY);
    let cookie_secret = raw.cookie_secret.as_ref().and_then(|secret| {
        let origin = secret.origin.clone();
        check.parsed("cookie_secret", origin, CookieSecret::from_base64(&secret.value))
    });
    let session = check.session(&raw, cookie_secret.is_some());
    let http = check.http(&raw);
    let jwks = check.jwks(&raw);
    let mut origins: BTreeMap<String, Origin> =
        raw.origins.into_iter().map(|(key, origin)| (key.to_owned(), origin)).collect();
    let http = http.map(|(http, no_proxy_origin)| {
        if let Some(origin) = no_proxy_origin {
            origins.insert("http.no_proxy".to_owned(), origin);
        }
        http
    });

    // A field is `None` only when a problem about it was recorded.
    let (Some(issuer), Some(leeway), Some(max_token_age), Some(http), Some(jwks), true) =
        (issuer, leeway, max_token_age, http, jwks, check.problems.is_empty())
    else {
        return Err(Problems::new(check.problems));
    };
    Ok(Settings {
        issuer,
        client,
        audiences,
        client_ids,
        any_client,
        required_scopes,
        leeway,
        max_token_age,
        cookie_secret,
        session,
        http,
        jwks,
        profile,
        origins,
        environment_overrides: Vec::new(),
    })
}

const MINUTE: Duration = Duration::from_mins(1);
const DAY: Duration = Duration::from_hours(24);

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, key: &str, origin: Option<Origin>, message: impl Into<String>) {
        self.problems.push(Problem::new(key, origin, message.into()));
    }

    fn parsed<T>(
        &mut self,
        key: &str,
        origin: Origin,
        result: Result<T, InvalidValue>,
    ) -> Option<T> {
        result.map_err(|err| self.problem(key, Some(origin), err.message())).ok()
    }

    fn issuer(&mut self, raw: &RawSettings) -> Option<Issuer> {
        let from_issuer = raw.issuer.as_ref().and_then(|issuer| {
            self.parsed("issuer", issuer.origin.clone(), Issuer::parse(&issuer.value))
        });
        let server = raw.authorization_server.as_ref().and_then(|server| {
            self.parsed(
                "authorization_server",
                server.origin.clone(),
                AuthorizationServer::parse(&server.value),
            )
        });
        let from_domain = raw.domain.as_ref().and_then(|domain| {
            let server = server.clone().unwrap_or(AuthorizationServer::Custom("default".into()));
            self.parsed(
                "domain",
                domain.origin.clone(),
                Issuer::from_domain(&domain.value, &server),
            )
        });
        match (&raw.issuer, &raw.domain) {
            (None, None) => {
                self.problem(
                    "issuer",
                    None,
                    "missing: set `issuer` (such as https://dev-123456.okta.com/oauth2/default) or \
                     `domain` in okta.toml, or OKTA_ISSUER",
                );
                None
            }
            (Some(_), Some(domain)) => {
                if let (Some(issuer), Some(derived)) = (&from_issuer, &from_domain)
                    && issuer != derived
                {
                    self.problem(
                        "domain",
                        Some(domain.origin.clone()),
                        format!(
                            "gives the issuer {derived}, which conflicts with issuer {issuer}: set \
                             one of `issuer` or `domain` (+ `authorization_server`)"
                        ),
                    );
                }
                from_issuer
            }
            (Some(_), None) => {
                if let (Some(issuer), Some(server), Some(raw_server)) =
                    (&from_issuer, &server, &raw.authorization_server)
                    && issuer.authorization_server() != server
                {
                    self.problem(
                        "authorization_server",
                        Some(raw_server.origin.clone()),
                        format!(
                            "says {:?} but the issuer {issuer} names another authorization server: \
                             drop one of them",
                            raw_server.value
                        ),
                    );
                }
                from_issuer
            }
            (None, Some(_)) => from_domain,
        }
    }

    fn client(
        &mut self,
        raw: &RawSettings,
        roles: &BTreeSet<Role>,
        issuer: Option<&Issuer>,
    ) -> Option<ClientSettings> {
        let is_client = roles.contains(&Role::Client);
        // An org-server resource server introspects tokens, which needs client credentials.
        let introspects =
            roles.contains(&Role::ResourceServer) && issuer.is_some_and(Issuer::is_org);
        let calls_services = roles.contains(&Role::Service);
        let needs_credentials = is_client || introspects || calls_services;
        let why = if is_client {
            "signing users in needs it"
        } else if calls_services {
            "a service calling others gets its tokens with client credentials"
        } else {
            "the org authorization server's access tokens can only be checked by introspection, \
             which needs client credentials"
        };

        let id = match &raw.client_id {
            Some(id) => self.parsed("client_id", id.origin.clone(), ClientId::parse(&id.value)),
            None => {
                if needs_credentials || raw.client_secret.is_some() {
                    let why = if needs_credentials { why } else { "client_secret is set" };
                    self.problem(
                        "client_id",
                        None,
                        format!(
                            "missing ({why}): set client_id in okta.toml or OKTA_CLIENT_ID, from \
                             your Okta application's General tab"
                        ),
                    );
                }
                None
            }
        };
        let auth_method = raw.client_auth_method.as_ref().map_or(
            Some(ClientAuthMethod::ClientSecretBasic),
            |method| {
                self.parsed(
                    "client_auth_method",
                    method.origin.clone(),
                    ClientAuthMethod::parse(&method.value),
                )
            },
        );
        let uses_secret = auth_method.is_none_or(ClientAuthMethod::uses_secret);
        let secret = match &raw.client_secret {
            Some(secret) => {
                let parsed = self.parsed(
                    "client_secret",
                    secret.origin.clone(),
                    ClientSecret::parse(secret.value.clone()),
                );
                match (auth_method, &parsed) {
                    (Some(ClientAuthMethod::ClientSecretJwt), Some(value))
                        if value.secret().chars().count() < MIN_JWT_SECRET_CHARS =>
                    {
                        self.problem(
                            "client_secret",
                            Some(secret.origin.clone()),
                            format!(
                                "is shorter than {MIN_JWT_SECRET_CHARS} characters, too short to \
                                 sign client_secret_jwt assertions (HS256): generate a new secret \
                                 in your Okta application's General tab"
                            ),
                        );
                    }
                    (Some(ClientAuthMethod::None), _) => self.problem(
                        "client_secret",
                        Some(secret.origin.clone()),
                        "is set, but client_auth_method is none (a public client, which has no \
                         secret): drop client_secret, or set the method your Okta app uses",
                    ),
                    _ => {}
                }
                parsed
            }
            None => {
                if needs_credentials && uses_secret {
                    self.problem(
                        "client_secret",
                        None,
                        format!(
                            "missing ({why}): set OKTA_CLIENT_SECRET (keep secrets out of files), \
                             from your Okta application's General tab"
                        ),
                    );
                }
                None
            }
        };
        let signing_key = self.signing_key(raw, auth_method);
        if introspects && auth_method == Some(ClientAuthMethod::None) {
            self.problem(
                "client_auth_method",
                raw.client_auth_method.as_ref().map(|method| method.origin.clone()),
                "is none, but introspecting the org authorization server's tokens needs an \
                 authenticated client: use the method of a confidential Okta app",
            );
        }
        if calls_services && auth_method == Some(ClientAuthMethod::None) {
            self.problem(
                "client_auth_method",
                raw.client_auth_method.as_ref().map(|method| method.origin.clone()),
                "is none, but a service calling others gets its tokens with client credentials, \
                 which Okta gives only to an authenticated client: use an API Services app's \
                 method (private_key_jwt or a client secret)",
            );
        }
        let redirect_uri = self.redirect(raw.redirect_uri.as_ref(), "redirect_uri");
        if raw.redirect_uri.is_none() && is_client {
            self.problem(
                "redirect_uri",
                None,
                "missing (signing users in needs it): set redirect_uri in okta.toml or \
                 OKTA_REDIRECT_URI to one of your Okta application's sign-in redirect URIs",
            );
        }
        let post_logout_redirect_uri =
            self.redirect(raw.post_logout_redirect_uri.as_ref(), "post_logout_redirect_uri");
        let scopes = if is_client || !calls_services {
            let scopes = self.list(raw.scopes.as_ref(), "scopes", Scope::parse);
            if let Some(scopes_value) = &raw.scopes
                && !scopes_value.value.iter().any(|scope| scope == "openid")
            {
                self.problem(
                    "scopes",
                    Some(scopes_value.origin.clone()),
                    "must include `openid`, or Okta returns no ID token and no user is signed in",
                );
            }
            scopes
        } else {
            self.service_scopes(raw.scopes.as_ref())
        };
        let (signing_key, signing_key_file) = signing_key?;
        Some(ClientSettings {
            id: id?,
            secret,
            auth_method: auth_method?,
            signing_key,
            signing_key_file,
            redirect_uri,
            post_logout_redirect_uri,
            scopes,
        })
    }

    /// The scopes of a service's client-credentials requests (only for [`Role::Service`]
    /// without [`Role::Client`]): none unless set (the sign-in default does not apply; the
    /// server then grants its default scopes), and never an OIDC scope or `offline_access`,
    /// which Okta refuses for that grant (okta-facts-2 §1.1, §1.3: no user, no ID token, no
    /// refresh token).
    fn service_scopes(&mut self, raw: Option<&Sourced<Vec<String>>>) -> Vec<Scope> {
        let Some(raw) = raw.filter(|raw| raw.origin != Origin::Default) else {
            return Vec::new();
        };
        for refused in raw.value.iter().filter(|scope| SIGN_IN_SCOPES.contains(&scope.as_str())) {
            self.problem(
                "scopes",
                Some(raw.origin.clone()),
                format!(
                    "holds `{refused}`, which Okta refuses in a client-credentials request (there \
                     is no user: OIDC scopes and offline_access are for sign-ins): list only the \
                     API's custom scopes, such as orders:read"
                ),
            );
        }
        self.list(Some(raw), "scopes", Scope::parse)
    }

    /// The key of a `private_key_jwt` client, read from `client_private_key` or the file of
    /// `client_private_key_file` and checked; with the file's name. `None` when a problem was
    /// recorded.
    fn signing_key(
        &mut self,
        raw: &RawSettings,
        method: Option<ClientAuthMethod>,
    ) -> Option<(Option<ClientSigningKey>, Option<String>)> {
        let algorithm = match &raw.client_signing_alg {
            Some(alg) => Some(self.parsed(
                "client_signing_alg",
                alg.origin.clone(),
                SigningAlgorithm::parse(&alg.value),
            )?),
            None => None,
        };
        let key_id = match &raw.client_key_id {
            Some(kid) if kid.value.is_empty() || kid.value.chars().any(char::is_control) => {
                self.problem(
                    "client_key_id",
                    Some(kid.origin.clone()),
                    "is empty or has control characters: copy the key's KID from your Okta \
                     application's General tab (Public keys)",
                );
                return None;
            }
            Some(kid) => Some(kid.value.clone()),
            None => None,
        };
        let wants_key = method == Some(ClientAuthMethod::PrivateKeyJwt);
        let (text, key_name, origin, file) =
            match (&raw.client_private_key, &raw.client_private_key_file) {
                (Some(_), Some(file)) => {
                    self.problem(
                        "client_private_key_file",
                        Some(file.origin.clone()),
                        "is set and so is client_private_key: give the key one way only",
                    );
                    return None;
                }
                (Some(key), None) => {
                    (key.value.clone(), "client_private_key", key.origin.clone(), None)
                }
                (None, Some(file)) => {
                    let text = match read_key_file(&file.value) {
                        Ok(text) => text,
                        Err(message) => {
                            self.problem(
                                "client_private_key_file",
                                Some(file.origin.clone()),
                                message,
                            );
                            return None;
                        }
                    };
                    (text, "client_private_key_file", file.origin.clone(), Some(file.value.clone()))
                }
                (None, None) => {
                    if wants_key {
                        self.problem(
                            "client_private_key",
                            None,
                            "missing (client_auth_method is private_key_jwt): set \
                             OKTA_CLIENT_PRIVATE_KEY to the PEM or JWK of the private key whose \
                             public half is in your Okta application's JWKS, or \
                             client_private_key_file to a file holding it",
                        );
                        return None;
                    }
                    for (key, set) in [
                        ("client_key_id", raw.client_key_id.as_ref()),
                        ("client_signing_alg", raw.client_signing_alg.as_ref()),
                    ] {
                        if let (Some(set), true) = (set, method.is_some()) {
                            self.problem(
                                key,
                                Some(set.origin.clone()),
                                "is set, but client_auth_method is not private_key_jwt",
                            );
                        }
                    }
                    return Some((None, None));
                }
            };
        if !wants_key {
            if let Some(method) = method {
                self.problem(
                    key_name,
                    Some(origin),
                    format!(
                        "is set, but client_auth_method is {method}: set client_auth_method = \
                         \"private_key_jwt\" to authenticate with the key"
                    ),
                );
            }
            return None;
        }
        let key =
            self.parsed(key_name, origin, ClientSigningKey::parse(&text, algorithm, key_id))?;
        Some((Some(key), file))
    }

    fn redirect(&mut self, raw: Option<&Sourced<String>>, key: &str) -> Option<RedirectUri> {
        let raw = raw?;
        self.parsed(key, raw.origin.clone(), RedirectUri::parse(&raw.value))
    }

    /// Whose access tokens an API accepts is an explicit choice: `client_ids`, or
    /// `any_client = true`; a resource server with neither, or both, is a problem.
    fn accepted_clients(
        &mut self,
        raw: &RawSettings,
        roles: &BTreeSet<Role>,
        client_ids: &[ClientId],
    ) -> bool {
        let any_client = raw.any_client.as_ref();
        match any_client {
            Some(flag) if flag.value && !client_ids.is_empty() => {
                self.problem(
                    "any_client",
                    Some(flag.origin.clone()),
                    "is true while client_ids lists clients: drop one of them",
                );
            }
            Some(flag) if flag.value => {}
            _ if client_ids.is_empty() && roles.contains(&Role::ResourceServer) => {
                self.problem(
                    "client_ids",
                    None,
                    "missing (an API must say whose tokens it accepts): list the client ids (cid) \
                     of the applications allowed to call it in client_ids (OKTA_CLIENT_IDS), or \
                     set any_client = true (OKTA_ANY_CLIENT) to accept every client of the issuer",
                );
            }
            _ => {}
        }
        any_client.is_some_and(|flag| flag.value)
    }

    fn audiences(
        &mut self,
        raw: &RawSettings,
        roles: &BTreeSet<Role>,
        issuer: Option<&Issuer>,
    ) -> Vec<Audience> {
        if raw.audience.is_some() {
            return self.list(raw.audience.as_ref(), "audience", Audience::parse);
        }
        match issuer.map(Issuer::authorization_server) {
            // Okta's own libraries and guides default the `default` server's audience to this.
            Some(AuthorizationServer::Custom(id)) if id == "default" => {
                vec![Audience::parse("api://default").expect("a valid audience literal")]
            }
            // Org-server access tokens carry the org URL in `aud` (Okta's /introspect example and
            // its service-app tokens): introspection checks it like any other audience.
            Some(AuthorizationServer::Org) => {
                match issuer.map(|issuer| Audience::parse(issuer.as_str())) {
                    Some(Ok(audience)) => vec![audience],
                    _ => Vec::new(),
                }
            }
            Some(AuthorizationServer::Custom(id)) if roles.contains(&Role::ResourceServer) => {
                self.problem(
                    "audience",
                    None,
                    format!(
                        "missing (validating access tokens needs it): set audience in okta.toml or \
                         OKTA_AUDIENCE to the Audience of authorization server {id:?} (Okta admin \
                         console: Security > API), such as api://{id}"
                    ),
                );
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Parses every item of a list, reporting each bad one; duplicates are dropped, order kept.
    fn list<T: PartialEq>(
        &mut self,
        raw: Option<&Sourced<Vec<String>>>,
        key: &str,
        parse: impl Fn(&str) -> Result<T, InvalidValue>,
    ) -> Vec<T> {
        let Some(raw) = raw else { return Vec::new() };
        let mut out = Vec::new();
        for item in &raw.value {
            if let Some(parsed) = self.parsed(key, raw.origin.clone(), parse(item))
                && !out.contains(&parsed)
            {
                out.push(parsed);
            }
        }
        out
    }

    fn duration(
        &mut self,
        raw: Option<&Sourced<Duration>>,
        key: &str,
        min: Duration,
        max: Duration,
    ) -> Option<Duration> {
        // Absent only when the reader already reported a wrong type: every key has a default.
        let raw = raw?;
        if raw.value < min || raw.value > max {
            self.problem(
                key,
                Some(raw.origin.clone()),
                format!(
                    "is {} s; it must be between {} and {} s",
                    raw.value.as_secs_f64(),
                    min.as_secs(),
                    max.as_secs()
                ),
            );
            return None;
        }
        Some(raw.value)
    }

    /// The `[http]` settings, and the origin of `http.no_proxy` when it was read from `NO_PROXY`.
    fn http(&mut self, raw: &RawSettings) -> Option<(HttpSettings, Option<Origin>)> {
        let connect_timeout = self.duration(
            raw.connect_timeout.as_ref(),
            "http.connect_timeout_secs",
            Duration::from_millis(1),
            Duration::from_mins(5),
        );
        let timeout = self.duration(
            raw.timeout.as_ref(),
            "http.timeout_secs",
            Duration::from_millis(1),
            Duration::from_mins(10),
        );
        let max_response_bytes = match &raw.max_response_bytes {
            Some(bytes) if (1024..=64 * 1024 * 1024).contains(&bytes.value) => {
                usize::try_from(bytes.value).ok()
            }
            Some(bytes) => {
                self.problem(
                    "http.max_response_bytes",
                    Some(bytes.origin.clone()),
                    format!("is {}; it must be between 1024 and 67108864 (64 MiB)", bytes.value),
                );
                None
            }
            None => None,
        };
        let proxy = self.proxy(raw);
        let no_proxy = self.no_proxy(raw);
        let extra_ca = self.ca_file("http.extra_ca_file", raw.extra_ca_file.as_ref());
        let (mut connect_timeout, timeout, max_response_bytes, proxy, (no_proxy, no_proxy_origin)) =
            (connect_timeout?, timeout?, max_response_bytes?, proxy?, no_proxy?);
        let (extra_ca_file, extra_ca_certificates) = extra_ca?;
        let connect_is_default =
            raw.connect_timeout.as_ref().is_none_or(|raw| raw.origin == Origin::Default);
        if connect_timeout > timeout && connect_is_default {
            // Lowering only the total timeout lowers the default connect timeout with it.
            connect_timeout = timeout;
        } else if connect_timeout > timeout {
            self.problem(
                "http.connect_timeout_secs",
                raw.connect_timeout.as_ref().map(|raw| raw.origin.clone()),
                "is longer than http.timeout_secs, which bounds the whole request",
            );
            return None;
        }
        Some((
            HttpSettings {
                connect_timeout,
                timeout,
                max_response_bytes,
                proxy,
                no_proxy,
                extra_ca_file,
                extra_ca_certificates,
            },
            no_proxy_origin,
        ))
    }

    /// `http.extra_ca_file` or `session.redis_ca_file` (`key`): a readable file of PEM
    /// certificates (a path relative to the working directory, or absolute). `Some((None, []))`
    /// when not set; `None` after a problem.
    fn ca_file(
        &mut self,
        key: &'static str,
        file: Option<&Sourced<String>>,
    ) -> Option<(Option<std::path::PathBuf>, Vec<CaCertificate>)> {
        let Some(file) = file else { return Some((None, Vec::new())) };
        let origin = Some(file.origin.clone());
        if file.value.trim().is_empty() {
            self.problem(key, origin, "is empty: name a PEM file or remove the key");
            return None;
        }
        let path = std::path::PathBuf::from(&file.value);
        let pem = match std::fs::read(&path) {
            Ok(pem) => pem,
            Err(err) => {
                self.problem(key, origin, format!("cannot read {}: {err}", path.display()));
                return None;
            }
        };
        match CaCertificate::parse_pem(&pem) {
            Ok(certificates) => Some((Some(path), certificates)),
            Err(err) => {
                self.problem(key, origin, format!("{} {}", path.display(), err.message()));
                None
            }
        }
    }

    /// `http.proxy`: `none` (the default), `environment`, or a proxy URL.
    fn proxy(&mut self, raw: &RawSettings) -> Option<Proxy> {
        // Absent only when the reader already reported a wrong type: the key has a default.
        let setting = raw.proxy.as_ref()?;
        match Proxy::parse(&setting.value, &raw.proxy_variables) {
            Ok(proxy) => Some(proxy),
            Err((err, variable)) => {
                let origin = match variable {
                    Some(variable) => Origin::Environment { variable: variable.to_owned() },
                    None => setting.origin.clone(),
                };
                let message = match variable {
                    Some(_) => {
                        format!("{} (read because http.proxy = \"environment\")", err.message())
                    }
                    None => err.message().to_owned(),
                };
                self.problem("http.proxy", Some(origin), message);
                None
            }
        }
    }

    /// `http.no_proxy`, or with `http.proxy = "environment"` and no `http.no_proxy`, the first of
    /// `NO_PROXY` and `no_proxy` that is set (then with its origin).
    fn no_proxy(&mut self, raw: &RawSettings) -> Option<(Vec<String>, Option<Origin>)> {
        let environment = raw.proxy.as_ref().is_some_and(|proxy| proxy.value == "environment");
        let from_environment = || {
            ["NO_PROXY", "no_proxy"].into_iter().find_map(|name| {
                raw.proxy_variables
                    .iter()
                    .find(|(variable, value)| variable == name && !value.trim().is_empty())
            })
        };
        let (entries, origin, from_variable): (Vec<String>, Origin, bool) = match &raw.no_proxy {
            Some(list) => (list.value.clone(), list.origin.clone(), false),
            None if environment => match from_environment() {
                Some((variable, value)) => (
                    value
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|entry| !entry.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    Origin::Environment { variable: variable.clone() },
                    true,
                ),
                None => return Some((Vec::new(), None)),
            },
            None => return Some((Vec::new(), None)),
        };
        let mut valid = Vec::new();
        let mut ok = true;
        for entry in &entries {
            match proxy::parse_no_proxy_entry(entry) {
                Ok(entry) if !valid.contains(&entry) => valid.push(entry),
                Ok(_) => {}
                Err(err) => {
                    ok = false;
                    self.problem("http.no_proxy", Some(origin.clone()), err.message());
                }
            }
        }
        ok.then_some((valid, from_variable.then_some(origin)))
    }

    /// The `[session]` settings: keys (duplicates dropped) and the Redis URL.
    fn session(&mut self, raw: &RawSettings, has_cookie_secret: bool) -> SessionSettings {
        let key = raw.session_key.as_ref().and_then(|key| {
            self.parsed("session.key", key.origin.clone(), SessionKey::from_base64(&key.value))
        });
        let mut previous_keys: Vec<SessionKey> = Vec::new();
        if let Some(previous) = &raw.session_previous_keys {
            for encoded in &previous.value {
                let parsed = self.parsed(
                    "session.previous_keys",
                    previous.origin.clone(),
                    SessionKey::from_base64(encoded),
                );
                // The current key, or one listed twice, adds nothing.
                if let Some(parsed) = parsed
                    && key.as_ref().is_none_or(|key| key.secret() != parsed.secret())
                    && previous_keys.iter().all(|kept| kept.secret() != parsed.secret())
                {
                    previous_keys.push(parsed);
                }
            }
        }
        if let Some(previous) = &raw.session_previous_keys
            && !previous.value.is_empty()
            && raw.session_key.is_none()
            && !has_cookie_secret
        {
            self.problem(
                "session.previous_keys",
                Some(previous.origin.clone()),
                "is set without a current key: set session.key (OKTA_SESSION__KEY) to the new key, \
                 or cookie_secret, from which the session keys are derived otherwise",
            );
        }
        let redis_url = raw.session_redis_url.as_ref().and_then(|url| {
            self.parsed("session.redis_url", url.origin.clone(), RedisUrl::parse(&url.value))
        });
        let (redis_ca_file, redis_ca_certificates) = self
            .ca_file("session.redis_ca_file", raw.session_redis_ca_file.as_ref())
            .unwrap_or_default();
        SessionSettings { key, previous_keys, redis_url, redis_ca_file, redis_ca_certificates }
    }

    fn jwks(&mut self, raw: &RawSettings) -> Option<JwksSettings> {
        let min_ttl =
            self.duration(raw.jwks_min_ttl.as_ref(), "jwks.min_ttl_secs", Duration::ZERO, 7 * DAY);
        let max_ttl =
            self.duration(raw.jwks_max_ttl.as_ref(), "jwks.max_ttl_secs", MINUTE, 7 * DAY);
        let refetch_cooldown = self.duration(
            raw.jwks_refetch_cooldown.as_ref(),
            "jwks.refetch_cooldown_secs",
            Duration::from_secs(1),
            Duration::from_hours(1),
        );
        let refresh_interval = self.duration(
            raw.jwks_refresh_interval.as_ref(),
            "jwks.refresh_interval_secs",
            Duration::from_secs(1),
            DAY,
        );
        let (min_ttl, max_ttl, refetch_cooldown, refresh_interval) =
            (min_ttl?, max_ttl?, refetch_cooldown?, refresh_interval?);
        if min_ttl > max_ttl {
            self.problem(
                "jwks.min_ttl_secs",
                raw.jwks_min_ttl.as_ref().map(|raw| raw.origin.clone()),
                "is longer than jwks.max_ttl_secs",
            );
            return None;
        }
        Some(JwksSettings { min_ttl, max_ttl, refetch_cooldown, refresh_interval })
    }
}
