//! The validated settings every okta-oidc crate takes: built once by the loader, immutable after.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::proxy::Proxy;
use crate::session::SessionSettings;
use crate::{
    Audience, CaCertificate, ClientAuthMethod, ClientId, ClientSecret, ClientSigningKey,
    CookieSecret, Issuer, Origin, RedirectUri, Scope,
};

/// What the settings will be used for, which decides the settings that must be present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Signs users in (a web application or the `okta` command): requires `client_id`,
    /// `client_secret`, `redirect_uri`, and `openid` among the scopes.
    Client,
    /// Validates access tokens (an API): requires `audience` for a custom authorization server,
    /// and `client_id` + `client_secret` for the org server (whose tokens need introspection).
    ResourceServer,
    /// Calls other services with its own identity (client credentials, token exchange, as
    /// `okta-service` does): requires `client_id` and the credentials `client_auth_method` needs
    /// (a client secret or a private key; `none` cannot get client-credentials tokens).
    /// Without [`Role::Client`], `scopes` are the default scopes of its client-credentials
    /// requests (none unless set) and may not hold `openid` or another OpenID Connect scope. Needs no
    /// `redirect_uri`, `audience` or `client_ids`: combine it with [`Role::ResourceServer`] for
    /// a service that also accepts calls.
    Service,
}

/// Validated Okta settings. Build them with [`SettingsLoader`](crate::SettingsLoader) or
/// [`Settings::load`].
#[derive(Clone, Debug)]
pub struct Settings {
    pub(crate) issuer: Issuer,
    pub(crate) client: Option<ClientSettings>,
    pub(crate) audiences: Vec<Audience>,
    pub(crate) client_ids: Vec<ClientId>,
    pub(crate) any_client: bool,
    pub(crate) required_scopes: Vec<Scope>,
    pub(crate) leeway: Duration,
    pub(crate) max_token_age: Duration,
    pub(crate) cookie_secret: Option<CookieSecret>,
    pub(crate) session: SessionSettings,
    pub(crate) http: HttpSettings,
    pub(crate) jwks: JwksSettings,
    pub(crate) profile: Option<String>,
    pub(crate) origins: BTreeMap<String, Origin>,
    pub(crate) environment_overrides: Vec<EnvironmentOverride>,
}

impl Settings {
    /// The authorization server's issuer.
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The OAuth client, when `client_id` is set.
    pub fn client(&self) -> Option<&ClientSettings> {
        self.client.as_ref()
    }

    /// Accepted access-token audiences (`aud`). Defaults to `api://default` for the `default`
    /// authorization server, to the org URL (what Okta puts in `aud`) for the org authorization
    /// server, and to none otherwise.
    pub fn audiences(&self) -> &[Audience] {
        &self.audiences
    }

    /// Accepted client ids (`cid` of access tokens, `client_id` of introspection answers).
    /// Empty means any client of the issuer, which a resource server must choose explicitly with
    /// [`any_client`](Self::any_client). Defaults to empty.
    pub fn client_ids(&self) -> &[ClientId] {
        &self.client_ids
    }

    /// `true` when the settings accept any client's access tokens (`any_client = true`,
    /// `OKTA_ANY_CLIENT`): the explicit alternative to listing [`client_ids`](Self::client_ids),
    /// one of which a [`Role::ResourceServer`] must choose. Defaults to `false`.
    pub fn any_client(&self) -> bool {
        self.any_client
    }

    /// Scopes every access token must carry in `scp`. Defaults to none.
    pub fn required_scopes(&self) -> &[Scope] {
        &self.required_scopes
    }

    /// Clock leeway for `exp`, `nbf` and `iat`. Defaults to 120 s, as Okta's own verifiers.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// The oldest `iat` accepted. Defaults to 24 h, the longest access-token lifetime Okta allows.
    pub fn max_token_age(&self) -> Duration {
        self.max_token_age
    }

    /// The key sealing pending logins and session cookies, when configured (`cookie_secret`).
    /// Services with several replicas must set it so every replica shares it.
    pub fn cookie_secret(&self) -> Option<&CookieSecret> {
        self.cookie_secret.as_ref()
    }

    /// The keys and the store of server-side sessions (`[session]`).
    pub fn session(&self) -> &SessionSettings {
        &self.session
    }

    /// HTTP client bounds for every call to Okta.
    pub fn http(&self) -> &HttpSettings {
        &self.http
    }

    /// JWKS cache bounds.
    pub fn jwks(&self) -> &JwksSettings {
        &self.jwks
    }

    /// The profile that was applied, if any.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// Every setting with its effective value (secrets shown as `[redacted]`) and origin, in the
    /// order `docs/configuration.md` lists them: for diagnostics such as `cargo xtask doctor`.
    pub fn entries(&self) -> Vec<SettingEntry> {
        let join = |items: Vec<String>| items.join(" ");
        let secs = |duration: Duration| format!("{}", duration.as_secs_f64());
        let client = self.client.as_ref();
        crate::raw::KEYS
            .iter()
            .filter_map(|key| {
                let value = match key.name {
                    "issuer" => Some(self.issuer.to_string()),
                    "domain" => self.issuer.url().host_str().map(str::to_owned),
                    "authorization_server" => Some(match self.issuer.authorization_server() {
                        crate::AuthorizationServer::Custom(id) => id.clone(),
                        crate::AuthorizationServer::Org => "org".to_owned(),
                    }),
                    "client_id" => client.map(|c| c.id.to_string()),
                    "client_secret" => {
                        client.and_then(|c| c.secret.as_ref()).map(|_| REDACTED.to_owned())
                    }
                    "client_auth_method" => client.map(|c| c.auth_method.to_string()),
                    "client_private_key" => client
                        .filter(|c| c.signing_key.is_some() && c.signing_key_file.is_none())
                        .map(|_| REDACTED.to_owned()),
                    "client_private_key_file" => client.and_then(|c| c.signing_key_file.clone()),
                    "client_key_id" => client
                        .and_then(|c| c.signing_key.as_ref())
                        .and_then(|key| key.key_id())
                        .map(str::to_owned),
                    "client_signing_alg" => client
                        .and_then(|c| c.signing_key.as_ref())
                        .map(|key| key.algorithm().to_string()),
                    "redirect_uri" => {
                        client.and_then(|c| c.redirect_uri.as_ref()).map(ToString::to_string)
                    }
                    "post_logout_redirect_uri" => client
                        .and_then(|c| c.post_logout_redirect_uri.as_ref())
                        .map(ToString::to_string),
                    "scopes" => client
                        .map(|c| join(c.scopes.iter().map(ToString::to_string).collect()))
                        .filter(|list| !list.is_empty()),
                    "audience" => {
                        Some(join(self.audiences.iter().map(ToString::to_string).collect()))
                    }
                    "client_ids" => {
                        Some(join(self.client_ids.iter().map(ToString::to_string).collect()))
                    }
                    "any_client" => Some(self.any_client.to_string()),
                    "required_scopes" => {
                        Some(join(self.required_scopes.iter().map(ToString::to_string).collect()))
                    }
                    "leeway_secs" => Some(secs(self.leeway)),
                    "max_token_age_secs" => Some(secs(self.max_token_age)),
                    "cookie_secret" => self.cookie_secret.as_ref().map(|_| REDACTED.to_owned()),
                    "session.key" => self.session.key.as_ref().map(|_| REDACTED.to_owned()),
                    "session.previous_keys" => {
                        Some(vec![REDACTED; self.session.previous_keys.len()].join(" "))
                            .filter(|list| !list.is_empty())
                    }
                    "session.redis_url" => self.session.redis_url.as_ref().map(ToString::to_string),
                    "session.redis_ca_file" => {
                        self.session.redis_ca_file.as_ref().map(|path| path.display().to_string())
                    }
                    "http.connect_timeout_secs" => Some(secs(self.http.connect_timeout)),
                    "http.timeout_secs" => Some(secs(self.http.timeout)),
                    "http.max_response_bytes" => Some(self.http.max_response_bytes.to_string()),
                    "http.proxy" => Some(self.http.proxy.to_string()),
                    "http.no_proxy" => {
                        Some(self.http.no_proxy.join(" ")).filter(|list| !list.is_empty())
                    }
                    "http.extra_ca_file" => {
                        self.http.extra_ca_file.as_ref().map(|path| path.display().to_string())
                    }
                    "jwks.min_ttl_secs" => Some(secs(self.jwks.min_ttl)),
                    "jwks.max_ttl_secs" => Some(secs(self.jwks.max_ttl)),
                    "jwks.refetch_cooldown_secs" => Some(secs(self.jwks.refetch_cooldown)),
                    "jwks.refresh_interval_secs" => Some(secs(self.jwks.refresh_interval)),
                    _ => None,
                }?;
                Some(SettingEntry {
                    key: key.name,
                    value,
                    origin: self.origins.get(key.name).cloned(),
                })
            })
            .collect()
    }

    /// The `OKTA_*` variables that override a different value of the settings file (or of its
    /// profile), sorted by key: for a tool to say so once, since a forgotten variable silently
    /// beats the file.
    pub fn environment_overrides(&self) -> &[EnvironmentOverride] {
        &self.environment_overrides
    }

    /// Where the effective value of `key` (as written in `okta.toml`, for example `client_id` or
    /// `http.timeout_secs`) came from; `None` when the key was not set at all.
    pub fn origin(&self, key: &str) -> Option<&Origin> {
        self.origins.get(key)
    }
}

const REDACTED: &str = "[redacted]";

/// An `OKTA_*` variable whose value replaced a different one of the settings file, from
/// [`Settings::environment_overrides`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentOverride {
    pub(crate) key: String,
    pub(crate) variable: String,
    pub(crate) overridden: Origin,
}

impl EnvironmentOverride {
    /// The key, as written in `okta.toml` (`audience`, `http.timeout_secs`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The variable that won (`OKTA_AUDIENCE`).
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// Where the value it replaced came from: the file, or a profile of it.
    pub fn overridden(&self) -> &Origin {
        &self.overridden
    }
}

/// One setting's effective value and origin, from [`Settings::entries`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingEntry {
    key: &'static str,
    value: String,
    origin: Option<Origin>,
}

impl SettingEntry {
    /// The key, as written in `okta.toml`.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The effective value as text; `[redacted]` for secrets.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Where the value came from; `None` when it was derived (such as `domain` from `issuer`).
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }
}

/// The OAuth client's registration at Okta.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    pub(crate) id: ClientId,
    pub(crate) secret: Option<ClientSecret>,
    pub(crate) auth_method: ClientAuthMethod,
    pub(crate) signing_key: Option<ClientSigningKey>,
    /// The file the key was read from, for [`Settings::entries`].
    pub(crate) signing_key_file: Option<String>,
    pub(crate) redirect_uri: Option<RedirectUri>,
    pub(crate) post_logout_redirect_uri: Option<RedirectUri>,
    pub(crate) scopes: Vec<Scope>,
}

impl ClientSettings {
    /// The client id.
    pub fn id(&self) -> &ClientId {
        &self.id
    }

    /// The client secret; always present when loaded for [`Role::Client`] with a method that
    /// uses one (`client_secret_basic`, `client_secret_post`, `client_secret_jwt`).
    pub fn secret(&self) -> Option<&ClientSecret> {
        self.secret.as_ref()
    }

    /// How the client authenticates. Defaults to `client_secret_basic`.
    pub fn auth_method(&self) -> ClientAuthMethod {
        self.auth_method
    }

    /// The private key of a `private_key_jwt` client (from `client_private_key` or
    /// `client_private_key_file`), read and checked when the settings loaded; present exactly
    /// when the method is `private_key_jwt`.
    pub fn signing_key(&self) -> Option<&ClientSigningKey> {
        self.signing_key.as_ref()
    }

    /// The sign-in redirect URI; always present when loaded for [`Role::Client`].
    pub fn redirect_uri(&self) -> Option<&RedirectUri> {
        self.redirect_uri.as_ref()
    }

    /// Where Okta sends the browser after logout, if configured.
    pub fn post_logout_redirect_uri(&self) -> Option<&RedirectUri> {
        self.post_logout_redirect_uri.as_ref()
    }

    /// Scopes requested at `/authorize`; always include `openid`. Defaults to
    /// `openid profile email`.
    ///
    /// Loaded for [`Role::Service`] alone (without [`Role::Client`]): the scopes of the
    /// service's client-credentials requests when it names none, never an OpenID Connect scope
    /// or `offline_access` (Okta refuses them for that grant); none by default, which asks for
    /// the authorization server's default scopes.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }
}

/// Bounds on every HTTP call to Okta, and the proxy it goes through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) proxy: Proxy,
    pub(crate) no_proxy: Vec<String>,
    pub(crate) extra_ca_file: Option<PathBuf>,
    pub(crate) extra_ca_certificates: Vec<CaCertificate>,
}

impl HttpSettings {
    /// Time allowed to open a connection. Defaults to 5 s.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Time allowed for a whole request, from connecting to the last byte. Defaults to 10 s.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The largest response body read. Defaults to 1 MiB.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// The proxy every call goes through (`http.proxy`). Defaults to [`Proxy::Direct`]: the
    /// proxy environment variables are used only with `http.proxy = "environment"`.
    pub fn proxy(&self) -> &Proxy {
        &self.proxy
    }

    /// Hosts reached without the proxy (`http.no_proxy`; with `http.proxy = "environment"`,
    /// `NO_PROXY` or `no_proxy` when `http.no_proxy` is not set): host names, domains (a leading
    /// dot is optional and subdomains match too), IP addresses, CIDR ranges, or `*`. Loopback
    /// hosts are not bypassed unless listed. Defaults to none.
    pub fn no_proxy(&self) -> &[String] {
        &self.no_proxy
    }

    /// The file named by `http.extra_ca_file`, if any: PEM certificates of a certificate
    /// authority trusted next to the public roots, such as the local CA of okta-devserver's
    /// TLS mode or a company CA. Defaults to none.
    pub fn extra_ca_file(&self) -> Option<&Path> {
        self.extra_ca_file.as_deref()
    }

    /// The certificates of [`HttpSettings::extra_ca_file`], read and checked when the settings
    /// load. Empty when no file is set.
    pub fn extra_ca_certificates(&self) -> &[CaCertificate] {
        &self.extra_ca_certificates
    }
}

/// Bounds of the JWKS cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwksSettings {
    pub(crate) min_ttl: Duration,
    pub(crate) max_ttl: Duration,
    pub(crate) refetch_cooldown: Duration,
    pub(crate) refresh_interval: Duration,
}

impl JwksSettings {
    /// The shortest time keys are cached, whatever `Cache-Control` says. Defaults to 5 min.
    pub fn min_ttl(&self) -> Duration {
        self.min_ttl
    }

    /// The longest time keys are cached, whatever `Cache-Control` says. Defaults to 24 h.
    pub fn max_ttl(&self) -> Duration {
        self.max_ttl
    }

    /// The least time between two fetches caused by unknown key ids. Defaults to 30 s.
    pub fn refetch_cooldown(&self) -> Duration {
        self.refetch_cooldown
    }

    /// The longest time keys are trusted without asking the key endpoint again, whatever their
    /// lifetime: a key Okta removes stops being trusted within about this long. Defaults to
    /// 5 min.
    pub fn refresh_interval(&self) -> Duration {
        self.refresh_interval
    }
}
