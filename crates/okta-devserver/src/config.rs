//! What the server serves: clients, users, authorization servers and token lifetimes.
//!
//! The same types come from the builder and, through [`DevServerConfig`], from a TOML file that
//! the binary reads (the library itself never touches files or the environment).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

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
    /// Whether the demo client and users exist. Defaults to `true`.
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
}

/// How a client authenticates at `/token`, `/introspect` and `/revoke`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1). Okta's default.
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client: `client_id` only, and PKCE is required.
    None,
}

impl ClientAuthMethod {
    /// The name used in discovery documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::None => "none",
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
}

impl GrantType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::RefreshToken => "refresh_token",
        }
    }

    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "authorization_code" => Some(Self::AuthorizationCode),
            "client_credentials" => Some(Self::ClientCredentials),
            "refresh_token" => Some(Self::RefreshToken),
            _ => None,
        }
    }
}

/// An OAuth client (an Okta "app integration").
///
/// Redirect URIs are matched exactly, byte for byte, as Okta does.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    id: String,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    auth_method: Option<ClientAuthMethod>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default = "default_grant_types")]
    grant_types: Vec<GrantType>,
    #[serde(default)]
    rotate_refresh_tokens: bool,
    #[serde(default)]
    require_pkce: bool,
}

fn default_grant_types() -> Vec<GrantType> {
    vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
}

impl Client {
    /// A confidential client using `client_secret_basic`, allowed the `authorization_code` and
    /// `refresh_token` grants.
    pub fn confidential(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: Some(secret.into()),
            auth_method: Some(ClientAuthMethod::ClientSecretBasic),
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: default_grant_types(),
            rotate_refresh_tokens: false,
            require_pkce: false,
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

    /// The demo client: [`DEMO_CLIENT_ID`], [`DEMO_CLIENT_SECRET`], redirect URIs
    /// [`DEMO_REDIRECT_URI`], `http://localhost:8080/authorization-code/callback` and
    /// `http://localhost:8080` (the one Okta's guide uses), all three grant types.
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
        self.grant_types = grant_types.into_iter().collect();
        self
    }

    /// Sets the token endpoint authentication method.
    #[must_use]
    pub fn with_auth_method(mut self, method: ClientAuthMethod) -> Self {
        self.auth_method = Some(method);
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

    /// The client secret, if the client is confidential.
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
        &self.grant_types
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
        self.grant_types.contains(&grant)
    }

    /// The allowed grant types as Okta lists them in error descriptions (`a, b`).
    pub(crate) fn grant_type_names(&self) -> String {
        self.grant_types.iter().map(|grant| grant.as_str()).collect::<Vec<_>>().join(", ")
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let id = &self.id;
        if id.is_empty() {
            problems.push("a client has an empty id".to_owned());
        }
        match (self.auth_method(), self.secret.as_deref()) {
            (ClientAuthMethod::None, Some(_)) => {
                problems
                    .push(format!("client {id}: a public client (auth_method none) has no secret"));
            }
            (ClientAuthMethod::None, None) => {}
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
        problems
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("auth_method", &self.auth_method())
            .field("redirect_uris", &self.redirect_uris)
            .field("post_logout_redirect_uris", &self.post_logout_redirect_uris)
            .field("grant_types", &self.grant_types)
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .field("require_pkce", &self.requires_pkce())
            .finish()
    }
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
    #[serde(default)]
    claims: Vec<CustomClaim>,
}

impl AuthorizationServer {
    /// A server with audience `api://{id}`, the reserved OpenID scopes and no custom claims.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), audience: None, scopes: Vec::new(), claims: Vec::new() }
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

    /// Adds a custom claim.
    #[must_use]
    pub fn with_claim(mut self, claim: CustomClaim) -> Self {
        self.claims.push(claim);
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

    /// Its custom claims.
    pub fn claims(&self) -> &[CustomClaim] {
        &self.claims
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
        problems
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
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_secs)
}

#[cfg(test)]
mod tests;
