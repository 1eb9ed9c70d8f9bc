//! Authorization servers: their ids, issuers and endpoint URLs, resolved once at start.

use std::fmt;

use crate::config::{AccessPolicy, AuthorizationServer, CustomClaim};
use crate::crypto::random_letters;

/// Which authorization server: the org server or a custom one.
///
/// `&str` and `String` convert into [`AuthServerId::Custom`], so `server.rotate_keys("default")`
/// reads naturally; use [`AuthServerId::Org`] for the org server.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthServerId {
    /// A custom authorization server, issuer `{base}/oauth2/{id}`.
    Custom(String),
    /// The org authorization server, issuer `{base}`.
    Org,
}

impl From<&str> for AuthServerId {
    fn from(id: &str) -> Self {
        Self::Custom(id.to_owned())
    }
}

impl From<String> for AuthServerId {
    fn from(id: String) -> Self {
        Self::Custom(id)
    }
}

impl fmt::Display for AuthServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Custom(id) => f.write_str(id),
            Self::Org => f.write_str("org"),
        }
    }
}

/// The scopes every authorization server accepts (Okta's reserved scopes).
pub(crate) const RESERVED_SCOPES: [&str; 6] =
    ["openid", "profile", "email", "address", "phone", "offline_access"];

/// The scope only the org server has: on a custom server (`default` included) `groups` is
/// refused unless an administrator adds a scope of that name, as in Okta.
pub(crate) const ORG_GROUPS_SCOPE: &str = "groups";

/// An authorization server as the endpoints see it.
#[derive(Debug)]
pub(crate) struct ServerInfo {
    pub(crate) id: AuthServerId,
    /// The issuer, `{base}` or `{base}/oauth2/{id}`.
    pub(crate) issuer: String,
    /// Where the `/v1/...` endpoints live: `{base}/oauth2` or `{base}/oauth2/{id}`.
    pub(crate) endpoint_base: String,
    /// `aud` of access tokens: the org URL for the org server.
    pub(crate) audience: String,
    /// Custom scopes (the reserved ones are always accepted).
    pub(crate) custom_scopes: Vec<String>,
    pub(crate) claims: Vec<CustomClaim>,
    /// Custom scopes marked "default".
    pub(crate) default_scopes: Vec<String>,
    /// Access policies, highest priority first (empty: Okta's default policy).
    pub(crate) policies: Vec<AccessPolicy>,
    /// Servers whose access tokens may be exchanged here.
    pub(crate) trusted_servers: Vec<AuthServerId>,
    /// The configuration it came from (`None` for the org server).
    pub(crate) configured: Option<AuthorizationServer>,
    /// The path (no host) of the JWKS when [`crate::Fault::JwksUriRandomPath`] is armed.
    pub(crate) random_jwks_path: String,
}

impl ServerInfo {
    pub(crate) fn org(base_url: &str) -> Self {
        let endpoint_base = format!("{base_url}/oauth2");
        Self {
            id: AuthServerId::Org,
            issuer: base_url.to_owned(),
            random_jwks_path: format!("/oauth2/v1/jwks{}", random_letters(10)),
            endpoint_base,
            audience: base_url.to_owned(),
            custom_scopes: Vec::new(),
            claims: Vec::new(),
            default_scopes: Vec::new(),
            policies: Vec::new(),
            trusted_servers: Vec::new(),
            configured: None,
        }
    }

    pub(crate) fn custom(base_url: &str, server: &AuthorizationServer) -> Self {
        let id = server.id();
        let issuer = format!("{base_url}/oauth2/{id}");
        Self {
            id: AuthServerId::Custom(id.to_owned()),
            endpoint_base: issuer.clone(),
            issuer,
            random_jwks_path: format!("/oauth2/{id}/v1/jwks{}", random_letters(10)),
            audience: server.audience(),
            custom_scopes: server.scopes().to_vec(),
            claims: server.claims().to_vec(),
            default_scopes: server.default_scopes().to_vec(),
            policies: server.policies().to_vec(),
            trusted_servers: server
                .trusted_servers()
                .iter()
                .cloned()
                .map(AuthServerId::Custom)
                .collect(),
            configured: Some(server.clone()),
        }
    }

    pub(crate) fn is_org(&self) -> bool {
        self.id == AuthServerId::Org
    }

    /// `{endpoint_base}/v1/{name}`.
    pub(crate) fn endpoint(&self, name: &str) -> String {
        format!("{}/v1/{name}", self.endpoint_base)
    }

    pub(crate) fn accepts_scope(&self, scope: &str) -> bool {
        self.all_scopes().iter().any(|known| known == scope)
    }

    /// Every scope, reserved first, for discovery.
    pub(crate) fn all_scopes(&self) -> Vec<String> {
        let org_only = self.is_org().then_some(ORG_GROUPS_SCOPE);
        let mut scopes: Vec<String> =
            RESERVED_SCOPES.iter().chain(&org_only).map(|scope| (*scope).to_owned()).collect();
        for scope in &self.custom_scopes {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        scopes
    }
}
