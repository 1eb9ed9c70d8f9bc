//! What the server serves: clients, users, authorization servers and token lifetimes.
//!
//! The same types come from the builder and, through [`DevServerConfig`], from a TOML file that
//! the binary reads (the library itself never touches files or the environment).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::client_keys::{ClientKey, parse_key_set};
use crate::crypto::{b64url, sha256};

/// The demo client's id, registered unless demo data is turned off.
pub const DEMO_CLIENT_ID: &str = "demo-client";
/// The demo client's secret (`client_secret_basic`).
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret-0123456789abcdefghij";
/// The demo client's main redirect URI (more are registered, see [`Client::demo`]).
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:8080/authorization-code/callback";
/// The demo client's post-logout redirect URI.
pub const DEMO_POST_LOGOUT_REDIRECT_URI: &str = "http://127.0.0.1:8080/";
/// The demo user's username, registered unless demo data is turned off.
pub const DEMO_USERNAME: &str = "alice@example.com";
/// The demo user's password.
pub const DEMO_PASSWORD: &str = "correct-horse-battery-staple";
/// A second demo user, in fewer groups than the first.
pub const DEMO_SECOND_USERNAME: &str = "bob@example.com";
/// The second demo user's password.
pub const DEMO_SECOND_PASSWORD: &str = "bob-the-builder-2024";

/// The scopes that are about a user (OpenID Connect's, `offline_access` and Okta's `groups`):
/// a service app never gets them.
pub(crate) const USER_SCOPES: [&str; 7] =
    ["openid", "profile", "email", "address", "phone", "offline_access", "groups"];

/// The authorization server that always exists next to the org server.
pub const DEFAULT_SERVER_ID: &str = "default";

/// Everything a TOML file can say about the server, handed to
/// [`DevServerBuilder::config`](crate::DevServerBuilder::config).
///
/// ```toml
/// admin_routes = true
///
/// [[clients]]
/// id = "web-app"
/// secret = "s3cr3t+/=:%"
/// redirect_uris = ["http://127.0.0.1:3000/callback"]
///
/// [[users]]
/// username = "carol@example.com"
/// password = "carol-password"
/// groups = ["Everyone"]
///
/// [[authorization_servers]]
/// id = "payments"
/// audience = "api://payments"
/// scopes = ["payments:read"]
///
/// [lifetimes]
/// access_token = 300
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DevServerConfig {
    /// Clients to register, next to the demo client.
    #[serde(default)]
    pub clients: Vec<Client>,
    /// Users to register, next to the demo users.
    #[serde(default)]
    pub users: Vec<User>,
    /// Custom authorization servers; one named `default` replaces the built-in one.
    #[serde(default)]
    pub authorization_servers: Vec<AuthorizationServer>,
    /// Token, code and session lifetimes. Defaults to Okta's.
    #[serde(default)]
    pub lifetimes: Option<TokenLifetimes>,
    /// Whether the demo client, service apps, APIs and users exist. Defaults to `true`.
    #[serde(default)]
    pub demo_data: Option<bool>,
    /// Whether the fault-injection and inspection routes under `/devserver/` exist.
    /// Defaults to `false`.
    #[serde(default)]
    pub admin_routes: Option<bool>,
    /// Whether to advertise `authorization_response_iss_parameter_supported` and send `iss` on
    /// the redirect back to the client (RFC 9207). Defaults to `false`, as Okta does not.
    #[serde(default)]
    pub authorization_response_iss: Option<bool>,
    /// `max-age` of the `Cache-Control` header on `/keys`, in seconds. Defaults to 86 400.
    #[serde(default)]
    pub keys_max_age: Option<u64>,
    /// Whether `/authorize` accepts only Okta's documented `state` characters. Defaults to
    /// `false` (any non-empty `state` without control characters, as Okta's endpoint does).
    #[serde(default)]
    pub strict_state: Option<bool>,
    /// Whether the console exists at `/devserver/console` (development only). Defaults to
    /// `false`.
    #[serde(default)]
    pub console: Option<bool>,
    /// Whether the console may run on an address other than loopback. Defaults to `false`.
    #[serde(default)]
    pub console_allow_remote: Option<bool>,
}

/// How a client authenticates at `/token`, `/introspect` and `/revoke`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1). Okta's default.
    #[default]
    ClientSecretBasic,
    /// A JWT signed with the client secret (HS256, HS384 or HS512) in `client_assertion`; the
    /// secret must be at least 32 characters.
    ClientSecretJwt,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client: `client_id` only, and PKCE is required.
    None,
    /// A JWT signed with a private key (RS256/384/512, ES256/384/512) in `client_assertion`,
    /// verified with the client's registered public keys ([`Client::with_jwk`]).
    PrivateKeyJwt,
}

impl ClientAuthMethod {
    /// The name used in discovery documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::ClientSecretPost => "client_secret_post",
            Self::None => "none",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// What kind of application a client is, as Okta's "Sign-in method" and "Application type"
/// make it. It decides which authentication methods and grants the client may have.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ApplicationType {
    /// A single-page app: a public client (`none`), code flow with PKCE.
    Browser,
    /// A native app or command-line tool: usually a public client (`none`) with PKCE.
    Native,
    /// An API Services app: a confidential client that calls APIs as itself, with
    /// `client_credentials` and token exchange only.
    Service,
    /// A web app: a confidential client with a secret or a key.
    Web,
}

impl ApplicationType {
    /// The name Okta's Apps API uses (`application_type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::Native => "native",
            Self::Service => "service",
            Self::Web => "web",
        }
    }
}

/// A grant type a client may use at `/token`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GrantType {
    /// `authorization_code`.
    AuthorizationCode,
    /// `client_credentials` (custom authorization servers only).
    ClientCredentials,
    /// `refresh_token` (needs the `offline_access` scope).
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693, on behalf of a user; service
    /// apps only). `token_exchange` in configuration files; the URN is accepted too.
    #[serde(alias = "urn:ietf:params:oauth:grant-type:token-exchange")]
    TokenExchange,
    /// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628, device authorization; Okta
    /// offers it to native apps). `device_code` in configuration files; the URN is accepted too.
    #[serde(alias = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
}

impl GrantType {
    /// Every grant type, in the order Okta's admin console lists them.
    pub const ALL: [Self; 5] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::TokenExchange,
        Self::DeviceCode,
    ];

    /// The wire name (`grant_type` at `/token`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::RefreshToken => "refresh_token",
            Self::TokenExchange => TOKEN_EXCHANGE_GRANT,
            Self::DeviceCode => DEVICE_CODE_GRANT,
        }
    }

    pub(crate) fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|grant| grant.as_str() == value)
    }
}

/// The wire name of the token-exchange grant.
const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The wire name of the device authorization grant (RFC 8628 §3.4).
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// An OAuth client (an Okta "app integration").
///
/// Redirect URIs are matched exactly, byte for byte, as Okta does.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    id: String,
    #[serde(default)]
    application_type: Option<ApplicationType>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    auth_method: Option<ClientAuthMethod>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    grant_types: Option<Vec<GrantType>>,
    #[serde(default)]
    rotate_refresh_tokens: bool,
    #[serde(default)]
    require_pkce: bool,
    /// The public keys of `private_key_jwt`, as JWKs (`jwks = { keys = [...] }` in a file).
    #[serde(default, deserialize_with = "key_set")]
    jwks: Vec<serde_json::Value>,
    /// Okta API scopes granted to the app (its "Okta API Scopes" tab), for
    /// `client_credentials` at the org server.
    #[serde(default)]
    okta_api_scopes: Vec<String>,
}

/// The grants of a client that does not list its own: Okta's defaults for a web app, and
/// `client_credentials` for a service app.
const DEFAULT_GRANT_TYPES: [GrantType; 2] = [GrantType::AuthorizationCode, GrantType::RefreshToken];
const DEFAULT_SERVICE_GRANT_TYPES: [GrantType; 1] = [GrantType::ClientCredentials];

impl Client {
    /// A confidential client using `client_secret_basic`, allowed the `authorization_code` and
    /// `refresh_token` grants.
    pub fn confidential(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            application_type: None,
            secret: Some(secret.into()),
            auth_method: Some(ClientAuthMethod::ClientSecretBasic),
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: None,
            rotate_refresh_tokens: false,
            require_pkce: false,
            jwks: Vec::new(),
            okta_api_scopes: Vec::new(),
        }
    }

    /// A public client (no secret, token endpoint authentication `none`), which must use PKCE.
    pub fn public(id: impl Into<String>) -> Self {
        Self {
            secret: None,
            auth_method: Some(ClientAuthMethod::None),
            require_pkce: true,
            ..Self::confidential(id, "")
        }
    }

    /// A service app (Okta's "API Services" app) authenticating with `client_secret_basic`,
    /// allowed `client_credentials`. Change the method with [`Client::with_auth_method`] (for
    /// example to `client_secret_jwt`) and the grants with [`Client::with_grant_types`].
    pub fn service(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            application_type: Some(ApplicationType::Service),
            grant_types: Some(DEFAULT_SERVICE_GRANT_TYPES.to_vec()),
            ..Self::confidential(id, secret)
        }
    }

    /// A service app authenticating with `private_key_jwt`, verified with `jwk` (a public JWK;
    /// add more with [`Client::with_jwk`], or build one with [`crate::public_jwk`]), allowed
    /// `client_credentials`.
    pub fn service_with_key(id: impl Into<String>, jwk: serde_json::Value) -> Self {
        Self {
            secret: None,
            auth_method: Some(ClientAuthMethod::PrivateKeyJwt),
            jwks: vec![jwk],
            ..Self::service(id, "")
        }
    }

    /// The demo client: [`DEMO_CLIENT_ID`], [`DEMO_CLIENT_SECRET`], redirect URIs
    /// [`DEMO_REDIRECT_URI`], `http://localhost:8080/authorization-code/callback` and
    /// `http://localhost:8080` (the one Okta's guide uses), the `authorization_code`,
    /// `refresh_token`, `client_credentials` and device authorization grants (Okta offers the
    /// last to native apps only; the demo client has it so `okta login --device` works against
    /// the demo settings).
    pub fn demo() -> Self {
        Self::confidential(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
            .with_redirect_uri(DEMO_REDIRECT_URI)
            .with_redirect_uri("http://localhost:8080/authorization-code/callback")
            .with_redirect_uri("http://localhost:8080")
            .with_post_logout_redirect_uri(DEMO_POST_LOGOUT_REDIRECT_URI)
            .with_post_logout_redirect_uri("http://localhost:8080/")
            .with_grant_types([
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::ClientCredentials,
                GrantType::DeviceCode,
            ])
    }

    /// Adds a redirect URI.
    #[must_use]
    pub fn with_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Adds a post-logout redirect URI.
    #[must_use]
    pub fn with_post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uris.push(uri.into());
        self
    }

    /// Replaces the allowed grant types.
    #[must_use]
    pub fn with_grant_types(mut self, grant_types: impl IntoIterator<Item = GrantType>) -> Self {
        self.grant_types = Some(grant_types.into_iter().collect());
        self
    }

    /// Sets the token endpoint authentication method.
    #[must_use]
    pub fn with_auth_method(mut self, method: ClientAuthMethod) -> Self {
        self.auth_method = Some(method);
        self
    }

    /// Sets the application type (otherwise `native` for a public client, `web` for the
    /// others).
    #[must_use]
    pub fn with_application_type(mut self, application_type: ApplicationType) -> Self {
        self.application_type = Some(application_type);
        self
    }

    /// Registers a public key for `private_key_jwt`, as a JWK (`kty` `RSA` of at least 2048
    /// bits, or `EC` on P-256, P-384 or P-521; a `kid` on every key when there are several).
    #[must_use]
    pub fn with_jwk(mut self, jwk: serde_json::Value) -> Self {
        self.jwks.push(jwk);
        self
    }

    /// Grants Okta API scopes (`okta.users.read`, ...) that the client may request with
    /// `client_credentials` at the org authorization server.
    #[must_use]
    pub fn with_okta_api_scopes<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.okta_api_scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Issues a new refresh token on every refresh (the previous one stays valid for the
    /// rotation grace period of [`TokenLifetimes`]).
    #[must_use]
    pub fn with_refresh_token_rotation(mut self, rotate: bool) -> Self {
        self.rotate_refresh_tokens = rotate;
        self
    }

    /// Requires PKCE on `/authorize` (always on for public clients).
    #[must_use]
    pub fn with_pkce_required(mut self, required: bool) -> Self {
        self.require_pkce = required;
        self
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The application type: as set, otherwise `native` for a public client and `web` for the
    /// others.
    pub fn application_type(&self) -> ApplicationType {
        self.application_type.unwrap_or(if self.auth_method() == ClientAuthMethod::None {
            ApplicationType::Native
        } else {
            ApplicationType::Web
        })
    }

    /// The client secret, if the client has one.
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_deref()
    }

    /// The token endpoint authentication method.
    pub fn auth_method(&self) -> ClientAuthMethod {
        self.auth_method.unwrap_or(if self.secret.is_some() {
            ClientAuthMethod::ClientSecretBasic
        } else {
            ClientAuthMethod::None
        })
    }

    /// The registered redirect URIs.
    pub fn redirect_uris(&self) -> &[String] {
        &self.redirect_uris
    }

    /// The registered post-logout redirect URIs.
    pub fn post_logout_redirect_uris(&self) -> &[String] {
        &self.post_logout_redirect_uris
    }

    /// The allowed grant types.
    pub fn grant_types(&self) -> &[GrantType] {
        match (&self.grant_types, self.application_type()) {
            (Some(grant_types), _) => grant_types,
            (None, ApplicationType::Service) => &DEFAULT_SERVICE_GRANT_TYPES,
            (None, _) => &DEFAULT_GRANT_TYPES,
        }
    }

    /// The registered public keys (JWKs) of `private_key_jwt`.
    pub fn jwks(&self) -> &[serde_json::Value] {
        &self.jwks
    }

    /// The Okta API scopes granted for `client_credentials` at the org server.
    pub fn okta_api_scopes(&self) -> &[String] {
        &self.okta_api_scopes
    }

    /// Whether refresh tokens rotate.
    pub fn rotates_refresh_tokens(&self) -> bool {
        self.rotate_refresh_tokens
    }

    /// Whether `/authorize` requires PKCE from this client.
    pub fn requires_pkce(&self) -> bool {
        self.require_pkce || self.auth_method() == ClientAuthMethod::None
    }

    pub(crate) fn allows(&self, grant: GrantType) -> bool {
        self.grant_types().contains(&grant)
    }

    /// The allowed grant types as Okta lists them in error descriptions (`a, b`).
    pub(crate) fn grant_type_names(&self) -> String {
        self.grant_types().iter().map(|grant| grant.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The registered keys, read (the configuration check made sure they read).
    pub(crate) fn keys(&self) -> Vec<ClientKey> {
        parse_key_set(&self.jwks).unwrap_or_default()
    }

    /// Adds a key at run time, if the key set stays valid.
    pub(crate) fn add_jwk(&mut self, jwk: serde_json::Value) -> Result<(), Vec<String>> {
        let mut jwks = self.jwks.clone();
        jwks.push(jwk);
        parse_key_set(&jwks)
            .map_err(|problems| self.prefixed(problems, "jwks"))
            .map(|_| self.jwks = jwks)
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let id = &self.id;
        if id.is_empty() {
            problems.push("a client has an empty id".to_owned());
        }
        let method = self.auth_method();
        match (method, self.secret.as_deref()) {
            (ClientAuthMethod::None, Some(_)) => {
                problems
                    .push(format!("client {id}: a public client (auth_method none) has no secret"));
            }
            (ClientAuthMethod::None | ClientAuthMethod::PrivateKeyJwt, _) => {}
            (_, None | Some("")) => {
                problems
                    .push(format!("client {id}: a confidential client needs a non-empty secret"));
            }
            (_, Some(_)) => {}
        }
        for uri in self.redirect_uris.iter().chain(&self.post_logout_redirect_uris) {
            if url::Url::parse(uri).is_err() {
                problems.push(format!("client {id}: {uri:?} is not an absolute URL"));
            }
        }
        if let Err(key_problems) = parse_key_set(&self.jwks) {
            problems.extend(self.prefixed(key_problems, "jwks"));
        }
        if method == ClientAuthMethod::PrivateKeyJwt && self.jwks.is_empty() {
            problems.push(format!(
                "client {id}: private_key_jwt needs at least one public key in jwks"
            ));
        }
        problems.extend(self.application_problems());
        for scope in self.okta_api_scopes.iter().filter(|scope| !scope.starts_with("okta.")) {
            problems.push(format!(
                "client {id}: okta_api_scopes lists {scope:?}, which is not an Okta API scope \
                 (okta.*)"
            ));
        }
        problems
    }

    /// What Okta's application types allow: service apps are confidential and only call APIs,
    /// public clients cannot use the grants without a user, token exchange is for service apps.
    fn application_problems(&self) -> Vec<String> {
        let id = &self.id;
        let kind = self.application_type();
        let public = self.auth_method() == ClientAuthMethod::None;
        let mut problems = Vec::new();
        match kind {
            ApplicationType::Service => {
                if public {
                    problems.push(format!(
                        "client {id}: a service app cannot be public (auth_method none)"
                    ));
                }
                let user_grants: Vec<&str> = self
                    .grant_types()
                    .iter()
                    .filter(|grant| {
                        !matches!(grant, GrantType::ClientCredentials | GrantType::TokenExchange)
                    })
                    .map(|grant| grant.as_str())
                    .collect();
                if !user_grants.is_empty() {
                    problems.push(format!(
                        "client {id}: a service app has only client_credentials and token \
                         exchange, not {}",
                        user_grants.join(", ")
                    ));
                }
                if !self.redirect_uris.is_empty() {
                    problems.push(format!("client {id}: a service app has no redirect URIs"));
                }
            }
            ApplicationType::Browser if !public => {
                problems.push(format!(
                    "client {id}: a browser app is a public client (auth_method none)"
                ));
            }
            ApplicationType::Web if public => {
                problems.push(format!(
                    "client {id}: a web app is confidential (auth_method none is for native and \
                     browser apps)"
                ));
            }
            _ => {}
        }
        if public && self.allows(GrantType::ClientCredentials) {
            problems.push(format!("client {id}: a public client cannot use client_credentials"));
        }
        if kind != ApplicationType::Service && self.allows(GrantType::TokenExchange) {
            problems.push(format!("client {id}: only service apps may use token exchange"));
        }
        problems
    }

    fn prefixed(&self, problems: Vec<String>, field: &str) -> Vec<String> {
        problems
            .into_iter()
            .map(|problem| format!("client {}: {field} {problem}", self.id))
            .collect()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<Option<&str>> = self
            .jwks
            .iter()
            .map(|jwk| jwk.get("kid").and_then(serde_json::Value::as_str))
            .collect();
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("application_type", &self.application_type())
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("auth_method", &self.auth_method())
            .field("redirect_uris", &self.redirect_uris)
            .field("post_logout_redirect_uris", &self.post_logout_redirect_uris)
            .field("grant_types", &self.grant_types())
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .field("require_pkce", &self.requires_pkce())
            .field("jwks_kids", &kids)
            .field("okta_api_scopes", &self.okta_api_scopes)
            .finish()
    }
}

/// `jwks = { keys = [...] }`: a JWKS document, of which only the keys are kept.
fn key_set<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<serde_json::Value>, D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct KeySet {
        keys: Vec<serde_json::Value>,
    }
    KeySet::deserialize(deserializer).map(|set| set.keys)
}

/// A user who can sign in.
///
/// Okta puts the user id (`00u…`) in ID tokens and `/userinfo` as `sub`, and the username in
/// access tokens as `sub` (with the id as `uid`); this server does the same.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    username: String,
    password: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    zoneinfo: Option<String>,
    #[serde(default)]
    status: UserStatus,
}

/// What happens when a user signs in, as Okta's Authentication API reports it.
///
/// The sign-in form refuses every status but [`UserStatus::Active`] with a message, and
/// `/api/v1/authn` answers as Okta does, so that a client's error paths can be tested.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserStatus {
    /// Signs in: `/api/v1/authn` answers `SUCCESS` with a `sessionToken`.
    #[default]
    Active,
    /// Locked out: `/api/v1/authn` answers `LOCKED_OUT` whatever the password (Okta with a
    /// password policy that shows lockout failures; with the default, hidden failures, Okta
    /// answers `401 E0000004` as for a wrong password).
    LockedOut,
    /// Enrolled in a factor the sign-on policy requires: the right password gives
    /// `MFA_REQUIRED` with a `stateToken` and the user's factors, never a `sessionToken`.
    MfaRequired,
    /// The password has expired: the right password gives `PASSWORD_EXPIRED` with a
    /// `stateToken` and a `changePassword` link, never a `sessionToken`.
    PasswordExpired,
}

impl User {
    /// A user with a username (Okta's `login`) and a password.
    ///
    /// The id defaults to a stable `00u…` value derived from the username, the email to the
    /// username when it looks like one.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            id: None,
            given_name: None,
            family_name: None,
            email: None,
            groups: Vec::new(),
            locale: None,
            zoneinfo: None,
            status: UserStatus::Active,
        }
    }

    /// The first demo user, [`DEMO_USERNAME`], in the groups `Everyone`, `Engineering` and
    /// `Admins`.
    pub fn demo() -> Self {
        Self::new(DEMO_USERNAME, DEMO_PASSWORD).with_name("Alice", "Liddell").with_groups([
            "Everyone",
            "Engineering",
            "Admins",
        ])
    }

    /// The second demo user, [`DEMO_SECOND_USERNAME`], in the group `Everyone` only.
    pub fn demo_second() -> Self {
        Self::new(DEMO_SECOND_USERNAME, DEMO_SECOND_PASSWORD)
            .with_name("Bob", "Builder")
            .with_groups(["Everyone"])
    }

    /// Sets the user id (`uid`, and `sub` of ID tokens).
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the given and family names (`name` is both, separated by a space).
    #[must_use]
    pub fn with_name(mut self, given: impl Into<String>, family: impl Into<String>) -> Self {
        self.given_name = Some(given.into());
        self.family_name = Some(family.into());
        self
    }

    /// Sets the email address.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets what signing in does (`/api/v1/authn` statuses). Defaults to
    /// [`UserStatus::Active`].
    #[must_use]
    pub fn with_status(mut self, status: UserStatus) -> Self {
        self.status = status;
        self
    }

    /// What signing in does.
    pub fn status(&self) -> UserStatus {
        self.status
    }

    /// Replaces the groups.
    #[must_use]
    pub fn with_groups<S: Into<String>>(mut self, groups: impl IntoIterator<Item = S>) -> Self {
        self.groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// The username (Okta's `login`).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The user id, `00u` followed by 17 characters.
    pub fn id(&self) -> String {
        self.id.clone().unwrap_or_else(|| {
            let digest = b64url(&sha256(self.username.to_lowercase().as_bytes()));
            let letters: String =
                digest.chars().filter(char::is_ascii_alphanumeric).take(17).collect();
            format!("00u{letters}")
        })
    }

    /// The full name, if the user has one.
    pub fn name(&self) -> Option<String> {
        match (&self.given_name, &self.family_name) {
            (Some(given), Some(family)) => Some(format!("{given} {family}")),
            (Some(only), None) | (None, Some(only)) => Some(only.clone()),
            (None, None) => None,
        }
    }

    /// The given name.
    pub fn given_name(&self) -> Option<&str> {
        self.given_name.as_deref()
    }

    /// The family name.
    pub fn family_name(&self) -> Option<&str> {
        self.family_name.as_deref()
    }

    /// The email address (the username when none was set and the username contains `@`).
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref().or_else(|| self.username.contains('@').then_some(&*self.username))
    }

    /// The groups the user is in.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The locale, `en_US` unless set.
    pub fn locale(&self) -> &str {
        self.locale.as_deref().unwrap_or("en_US")
    }

    /// The time zone, `America/Los_Angeles` unless set (Okta's default).
    pub fn zoneinfo(&self) -> &str {
        self.zoneinfo.as_deref().unwrap_or("America/Los_Angeles")
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.username.is_empty() {
            problems.push("a user has an empty username".to_owned());
        }
        if self.password.is_empty() {
            problems.push(format!("user {}: the password is empty", self.username));
        }
        problems
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("email", &self.email())
            .field("groups", &self.groups)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A custom authorization server (issuer `…/oauth2/{id}`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationServer {
    id: String,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    /// Custom scopes marked "default": granted when a client asks for none.
    #[serde(default)]
    default_scopes: Vec<String>,
    #[serde(default)]
    claims: Vec<CustomClaim>,
    /// Access policies, highest priority first; none means Okta's default policy.
    #[serde(default)]
    policies: Vec<AccessPolicy>,
    /// Servers whose access tokens this one accepts as token-exchange subject tokens.
    #[serde(default)]
    trusted_servers: Vec<String>,
}

impl AuthorizationServer {
    /// A server with audience `api://{id}`, the reserved OpenID scopes, no custom claims, and
    /// Okta's default access policy (every client, every grant, every scope).
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            audience: None,
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            claims: Vec::new(),
            policies: Vec::new(),
            trusted_servers: Vec::new(),
        }
    }

    /// Sets the audience (`aud` of access tokens).
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Adds a custom scope (the reserved OpenID scopes are always there).
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Adds a custom scope marked "default": a `client_credentials` or token-exchange request
    /// without `scope` gets the default scopes its policy rule allows.
    #[must_use]
    pub fn with_default_scope(mut self, scope: impl Into<String>) -> Self {
        let scope = scope.into();
        self.scopes.push(scope.clone());
        self.default_scopes.push(scope);
        self
    }

    /// Adds a custom claim.
    #[must_use]
    pub fn with_claim(mut self, claim: CustomClaim) -> Self {
        self.claims.push(claim);
        self
    }

    /// Adds an access policy, after (below in priority) the ones already added. A server with
    /// policies no longer has Okta's default policy.
    #[must_use]
    pub fn with_policy(mut self, policy: AccessPolicy) -> Self {
        self.policies.push(policy);
        self
    }

    /// Trusts another custom server: its access tokens may be exchanged here (Okta's "Trusted
    /// servers").
    #[must_use]
    pub fn with_trusted_server(mut self, server_id: impl Into<String>) -> Self {
        self.trusted_servers.push(server_id.into());
        self
    }

    /// The server id (the path segment after `/oauth2/`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The audience of its access tokens.
    pub fn audience(&self) -> String {
        self.audience.clone().unwrap_or_else(|| format!("api://{}", self.id))
    }

    /// Its custom scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Its custom scopes marked "default".
    pub fn default_scopes(&self) -> &[String] {
        &self.default_scopes
    }

    /// Its custom claims.
    pub fn claims(&self) -> &[CustomClaim] {
        &self.claims
    }

    /// Its access policies, highest priority first (empty: Okta's default policy).
    pub fn policies(&self) -> &[AccessPolicy] {
        &self.policies
    }

    /// The ids of the servers it trusts for token exchange.
    pub fn trusted_servers(&self) -> &[String] {
        &self.trusted_servers
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        let id = &self.id;
        let mut problems = Vec::new();
        let valid_id = !id.is_empty()
            && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if !valid_id || id == "v1" {
            problems.push(format!(
                "authorization server id {id:?} must be non-empty ASCII letters, digits, `-` or \
                 `_`, and not `v1`"
            ));
        }
        for scope in self.default_scopes.iter().filter(|scope| !self.scopes.contains(scope)) {
            problems.push(format!(
                "authorization server {id}: default scope {scope:?} is not one of its scopes"
            ));
        }
        for policy in &self.policies {
            problems.extend(policy.problems(self));
        }
        problems
    }

    /// Trusted servers that do not exist (or are this one, or the org server, which Okta's
    /// "Trusted servers" never lists).
    pub(crate) fn trust_problems(&self, exists: impl Fn(&str) -> bool) -> Vec<String> {
        self.trusted_servers
            .iter()
            .filter(|trusted| !exists(trusted) || **trusted == self.id)
            .map(|trusted| {
                format!(
                    "authorization server {}: trusted server {trusted:?} is not another custom \
                     authorization server",
                    self.id
                )
            })
            .collect()
    }
}

/// An access policy of a custom authorization server (Okta's "Access Policies"): the clients it
/// applies to and its rules, highest priority first.
///
/// For `client_credentials` and token exchange the server picks the first policy that names
/// the client, then the first rule of it that allows the grant and every requested scope: no
/// policy or no rule for the grant is `access_denied`, a scope no rule allows `invalid_scope`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicy {
    name: String,
    /// The client ids it applies to; absent means every client.
    #[serde(default)]
    clients: Option<Vec<String>>,
    #[serde(default)]
    rules: Vec<PolicyRule>,
}

impl AccessPolicy {
    /// A policy for every client, without rules yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), clients: None, rules: Vec::new() }
    }

    /// Restricts the policy to these clients.
    #[must_use]
    pub fn for_clients<S: Into<String>>(mut self, client_ids: impl IntoIterator<Item = S>) -> Self {
        self.clients = Some(client_ids.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a rule, after (below in priority) the ones already added.
    #[must_use]
    pub fn with_rule(mut self, rule: PolicyRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// The policy name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client ids it applies to; `None` for every client.
    pub fn clients(&self) -> Option<&[String]> {
        self.clients.as_deref()
    }

    /// Its rules, highest priority first.
    pub fn rules(&self) -> &[PolicyRule] {
        &self.rules
    }

    pub(crate) fn applies_to(&self, client_id: &str) -> bool {
        self.clients.as_ref().is_none_or(|clients| clients.iter().any(|id| id == client_id))
    }

    fn problems(&self, server: &AuthorizationServer) -> Vec<String> {
        let mut problems = Vec::new();
        for rule in &self.rules {
            let place = format!(
                "authorization server {}: policy {:?}, rule {:?}",
                server.id, self.name, rule.name
            );
            for scope in rule.scopes.iter().flatten() {
                let known = server.scopes.contains(scope) || USER_SCOPES.contains(&scope.as_str());
                if !known {
                    problems.push(format!("{place}: scope {scope:?} is not a scope of the server"));
                }
            }
            if let Some(lifetime) = rule.access_token_lifetime {
                let minutes = lifetime.as_secs();
                if !(5 * 60..=24 * 60 * 60).contains(&minutes) {
                    problems.push(format!(
                        "{place}: access_token_lifetime is {minutes} s; Okta allows 5 min to 1 day"
                    ));
                }
            }
        }
        problems
    }
}

/// A rule of an [`AccessPolicy`] (Okta's "Add Rule"): which grants, which scopes, and the
/// access-token lifetime it gives.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    name: String,
    #[serde(default = "all_grant_types")]
    grant_types: Vec<GrantType>,
    /// The scopes it allows; absent means any scope ("Any scopes").
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default, deserialize_with = "optional_seconds")]
    access_token_lifetime: Option<Duration>,
}

fn all_grant_types() -> Vec<GrantType> {
    GrantType::ALL.to_vec()
}

impl PolicyRule {
    /// A rule for every grant type and any scope, with the server's access-token lifetime.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            grant_types: all_grant_types(),
            scopes: None,
            access_token_lifetime: None,
        }
    }

    /// Restricts the rule to these grant types.
    #[must_use]
    pub fn with_grant_types(mut self, grant_types: impl IntoIterator<Item = GrantType>) -> Self {
        self.grant_types = grant_types.into_iter().collect();
        self
    }

    /// Restricts the rule to these scopes ("The following scopes").
    #[must_use]
    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// The lifetime of the access tokens it grants (Okta allows 5 min to 1 day). Defaults to
    /// the server's [`TokenLifetimes::access_token`].
    #[must_use]
    pub fn with_access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_token_lifetime = Some(lifetime);
        self
    }

    /// The rule name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The grant types it applies to.
    pub fn grant_types(&self) -> &[GrantType] {
        &self.grant_types
    }

    /// The scopes it allows; `None` for any scope.
    pub fn scopes(&self) -> Option<&[String]> {
        self.scopes.as_deref()
    }

    /// The access-token lifetime it gives, if it sets one.
    pub fn access_token_lifetime(&self) -> Option<Duration> {
        self.access_token_lifetime
    }

    pub(crate) fn allows_scope(&self, scope: &str) -> bool {
        self.scopes.as_ref().is_none_or(|scopes| scopes.iter().any(|allowed| allowed == scope))
    }
}

/// A claim added to tokens issued by a custom authorization server.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CustomClaim {
    name: String,
    value: ClaimValue,
    #[serde(default)]
    include_in: ClaimTarget,
    #[serde(default)]
    scopes: Vec<String>,
}

impl CustomClaim {
    /// A claim named `name` with `value`, in access tokens, whatever the scopes.
    pub fn new(name: impl Into<String>, value: ClaimValue) -> Self {
        Self { name: name.into(), value, include_in: ClaimTarget::AccessToken, scopes: Vec::new() }
    }

    /// The usual Okta `groups` claim: the user's groups, in access and ID tokens.
    pub fn groups() -> Self {
        Self::new("groups", ClaimValue::Groups).include_in(ClaimTarget::Both)
    }

    /// Chooses which tokens carry the claim.
    #[must_use]
    pub fn include_in(mut self, target: ClaimTarget) -> Self {
        self.include_in = target;
        self
    }

    /// Adds the claim only when one of these scopes was granted.
    #[must_use]
    pub fn only_with_scopes<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The claim name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn value(&self) -> &ClaimValue {
        &self.value
    }

    pub(crate) fn target(&self) -> ClaimTarget {
        self.include_in
    }

    pub(crate) fn applies_to(&self, granted: &[String]) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|scope| granted.contains(scope))
    }
}

/// Where a [`CustomClaim`]'s value comes from.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClaimValue {
    /// The user's groups (an empty array for `client_credentials` tokens).
    Groups,
    /// A fixed JSON value.
    Static(serde_json::Value),
}

/// Which tokens carry a [`CustomClaim`].
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClaimTarget {
    /// Access tokens only.
    #[default]
    AccessToken,
    /// Both access and ID tokens.
    Both,
    /// ID tokens only.
    IdToken,
}

/// Lifetimes of everything the server hands out. Defaults follow Okta.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TokenLifetimes {
    #[serde(deserialize_with = "seconds")]
    authorization_code: Duration,
    #[serde(deserialize_with = "seconds")]
    access_token: Duration,
    #[serde(deserialize_with = "seconds")]
    id_token: Duration,
    #[serde(deserialize_with = "seconds")]
    refresh_token: Duration,
    #[serde(deserialize_with = "seconds")]
    refresh_rotation_grace: Duration,
    #[serde(deserialize_with = "seconds")]
    session_token: Duration,
    #[serde(deserialize_with = "seconds")]
    session: Duration,
    #[serde(deserialize_with = "seconds")]
    device_code: Duration,
    #[serde(deserialize_with = "seconds")]
    device_poll_interval: Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            authorization_code: Duration::from_mins(5),
            access_token: Duration::from_hours(1),
            id_token: Duration::from_hours(1),
            refresh_token: Duration::from_hours(90 * 24),
            refresh_rotation_grace: Duration::from_secs(30),
            session_token: Duration::from_mins(5),
            session: Duration::from_hours(2),
            device_code: Duration::from_mins(10),
            device_poll_interval: Duration::from_secs(5),
        }
    }
}

impl TokenLifetimes {
    /// Authorization codes. Defaults to 300 s.
    #[must_use]
    pub fn with_authorization_code(mut self, lifetime: Duration) -> Self {
        self.authorization_code = lifetime;
        self
    }

    /// Access tokens. Defaults to 1 h.
    #[must_use]
    pub fn with_access_token(mut self, lifetime: Duration) -> Self {
        self.access_token = lifetime;
        self
    }

    /// ID tokens. Defaults to 1 h.
    #[must_use]
    pub fn with_id_token(mut self, lifetime: Duration) -> Self {
        self.id_token = lifetime;
        self
    }

    /// Refresh tokens. Defaults to 90 days.
    #[must_use]
    pub fn with_refresh_token(mut self, lifetime: Duration) -> Self {
        self.refresh_token = lifetime;
        self
    }

    /// How long a rotated-out refresh token still works. Defaults to 30 s.
    #[must_use]
    pub fn with_refresh_rotation_grace(mut self, grace: Duration) -> Self {
        self.refresh_rotation_grace = grace;
        self
    }

    /// `sessionToken`s from `/api/v1/authn`. Defaults to 5 min.
    #[must_use]
    pub fn with_session_token(mut self, lifetime: Duration) -> Self {
        self.session_token = lifetime;
        self
    }

    /// Browser sessions (the `sid` cookie). Defaults to 2 h.
    #[must_use]
    pub fn with_session(mut self, lifetime: Duration) -> Self {
        self.session = lifetime;
        self
    }

    /// Device codes of the device authorization grant (`expires_in` of
    /// `/v1/device/authorize`). Defaults to 600 s, as in Okta's example.
    #[must_use]
    pub fn with_device_code(mut self, lifetime: Duration) -> Self {
        self.device_code = lifetime;
        self
    }

    /// The polling interval `/v1/device/authorize` asks for (`interval`, whole seconds); a
    /// device polling sooner gets `slow_down` and 5 s more. Defaults to 5 s (RFC 8628 §3.2).
    #[must_use]
    pub fn with_device_poll_interval(mut self, interval: Duration) -> Self {
        self.device_poll_interval = interval;
        self
    }

    /// Device codes.
    pub fn device_code(&self) -> Duration {
        self.device_code
    }

    /// The device polling interval.
    pub fn device_poll_interval(&self) -> Duration {
        self.device_poll_interval
    }

    /// Authorization codes.
    pub fn authorization_code(&self) -> Duration {
        self.authorization_code
    }

    /// Access tokens.
    pub fn access_token(&self) -> Duration {
        self.access_token
    }

    /// ID tokens.
    pub fn id_token(&self) -> Duration {
        self.id_token
    }

    /// Refresh tokens.
    pub fn refresh_token(&self) -> Duration {
        self.refresh_token
    }

    /// The refresh-token rotation grace period.
    pub fn refresh_rotation_grace(&self) -> Duration {
        self.refresh_rotation_grace
    }

    /// `sessionToken`s.
    pub fn session_token(&self) -> Duration {
        self.session_token
    }

    /// Browser sessions.
    pub fn session(&self) -> Duration {
        self.session
    }

    /// Where these lifetimes leave Okta's limits: an authorization code lives 300 s and an ID
    /// token 60 min (both fixed), an access token 5 min to 1 day, a refresh token 10 min to 5
    /// years (the idle window of a custom server's access policy), and the rotation grace period
    /// 0 to 60 s. A devserver more lenient than Okta would let a bug reach production, so
    /// [`DevServerBuilder::start`](crate::DevServerBuilder::start) refuses them.
    pub(crate) fn problems(&self) -> Vec<String> {
        const MINUTE: u64 = 60;
        const DAY: u64 = 24 * 60 * MINUTE;
        let limits: [(&str, Duration, u64, u64, &str); 5] = [
            ("authorization_code", self.authorization_code, 300, 300, "fixed at 300 s"),
            ("id_token", self.id_token, 60 * MINUTE, 60 * MINUTE, "fixed at 60 min"),
            ("access_token", self.access_token, 5 * MINUTE, DAY, "5 min to 1 day"),
            ("refresh_token", self.refresh_token, 10 * MINUTE, 5 * 365 * DAY, "10 min to 5 years"),
            ("refresh_rotation_grace", self.refresh_rotation_grace, 0, 60, "0 to 60 s"),
        ];
        limits
            .into_iter()
            .filter(|(_, value, min, max, _)| !(*min..=*max).contains(&value.as_secs()))
            .map(|(name, value, _, _, rule)| {
                format!("lifetimes.{name} is {} s; Okta allows {rule}", value.as_secs())
            })
            .collect()
    }
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_secs)
}

fn optional_seconds<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    Option::<u64>::deserialize(deserializer).map(|seconds| seconds.map(Duration::from_secs))
}

#[cfg(test)]
mod tests;
