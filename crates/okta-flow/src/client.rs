//! [`OktaClient`]: one configured, discovered client for the whole Authorization Code flow.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use okta_config::{Issuer, RedirectUri, Scope, Settings};
use okta_http::{ClientCredentials, HttpClient, ReqwestHttpClient};
use okta_verify::{
    Clock, IdTokenChecks, IdTokenOptions, IdTokenVerifier, IntrospectedToken, IntrospectionOptions,
    IntrospectionPurpose, IntrospectionVerifier, JwksCache, JwksCacheOptions, VerifyError,
};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse,
};
use openidconnect::{
    AuthType, AuthenticationContextClass, Client, ClientId, CsrfToken, EmptyAdditionalClaims,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, LoginHint, OAuth2TokenResponse as _,
    RedirectUrl, StandardErrorResponse, SubjectIdentifier,
};
use tracing::Instrument as _;
use url::Url;

use crate::authorize::{AuthorizeError, AuthorizeOptions, Prompt, RESERVED_PARAMETERS};
use crate::http::Recorder;
use crate::metadata::{Metadata, discover};
use crate::token::{
    AccessToken, AuthorizationCode, IdToken, OktaTokenResponse, RefreshToken, TokenError, TokenSet,
};
use crate::userinfo::{UserInfo, UserInfoClaims, UserInfoError};
use crate::{CallbackError, DiscoveryError, PendingLogin, SealingKey, SessionKeys, callback};

/// `openidconnect`'s client with Okta's endpoints set and our token response type.
type OidcClient = Client<
    EmptyAdditionalClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    OktaTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointMaybeSet,
>;

/// How long discovered metadata is used before it is fetched again (keys have their own cache).
const METADATA_TTL: Duration = Duration::from_hours(24);

/// The Authorization Code flow against one Okta authorization server, for one client.
///
/// Cheap to clone (an `Arc`); build one per service at start-up with [`OktaClient::discover`]
/// and share it. See the [crate documentation](crate) for a complete login.
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    discovered: ArcSwap<Discovered>,
    /// Set while a stale-metadata refresh runs; only a [`RefreshFlight`] sets and clears it.
    refreshing_metadata: AtomicBool,
}

/// What the settings say, fixed for the client's life. Each options type comes from its one
/// mapping (`from_settings` in okta-verify and okta-http); only what discovery and the builder
/// add is set here.
struct ClientConfig {
    issuer: Issuer,
    credentials: ClientCredentials,
    redirect_uri: RedirectUri,
    post_logout_redirect_uri: Option<RedirectUri>,
    scopes: Vec<Scope>,
    leeway: Duration,
    jwks_options: JwksCacheOptions,
    id_token_options: IdTokenOptions,
    introspection_options: IntrospectionOptions,
    http: Arc<dyn HttpClient>,
    clock: Clock,
    sealing_key: SealingKey,
    session_keys: SessionKeys,
}

/// Everything that depends on the metadata, replaced together when it is refreshed.
struct Discovered {
    metadata: Metadata,
    oidc: OidcClient,
    keys: JwksCache,
    id_tokens: IdTokenVerifier,
    introspection: IntrospectionVerifier,
    fetched_at: SystemTime,
}

/// Why an [`OktaClient`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The settings lack what a client needs; load them with `Role::Client`.
    #[error("the settings cannot drive a sign-in: {0}")]
    Settings(&'static str),
    /// A verifier could not be built from the settings.
    #[error("invalid client configuration")]
    Config(#[source] okta_verify::ConfigError),
    /// The client's credentials cannot be built from the settings (no `client_secret` for a
    /// method that needs one, for example).
    #[error("cannot authenticate the client")]
    ClientCredentials(#[source] okta_http::ClientAuthError),
    /// The HTTP client could not be built from the settings' `[http]` section.
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] okta_http::BuildError),
    /// Discovery failed: no authorization URL can be produced.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// No random key could be generated to seal pending logins.
    #[error("cannot generate a sealing key")]
    Seal(#[source] crate::SealError),
}

/// Builds an [`OktaClient`] with injected parts (tests, or an HTTP client shared with other code).
#[must_use]
pub struct OktaClientBuilder<'a> {
    settings: &'a Settings,
    http: Option<Arc<dyn HttpClient>>,
    clock: Option<Clock>,
    sealing_key: Option<SealingKey>,
    session_keys: Option<SessionKeys>,
}

impl fmt::Debug for OktaClientBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaClientBuilder")
            .field("issuer", self.settings.issuer())
            .finish_non_exhaustive()
    }
}

impl OktaClientBuilder<'_> {
    /// Sends every request through `http` instead of a [`ReqwestHttpClient`] built from the
    /// settings' `[http]` section (timeouts, size cap, proxy).
    pub fn http_client(mut self, http: Arc<dyn HttpClient>) -> Self {
        self.http = Some(http);
        self
    }

    /// Uses this clock for every time check (tests). Defaults to [`Clock::system`].
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Seals pending logins with this key. Defaults to the key derived from the settings'
    /// `cookie_secret`, or a random one (logged) when there is none.
    pub fn sealing_key(mut self, key: SealingKey) -> Self {
        self.sealing_key = Some(key);
        self
    }

    /// Encrypts server-side sessions with these keys. Defaults to
    /// [`SessionKeys::from_settings`], or a random key (one process only) when the settings have
    /// neither `session.key` nor `cookie_secret`.
    pub fn session_keys(mut self, keys: SessionKeys) -> Self {
        self.session_keys = Some(keys);
        self
    }

    /// Runs discovery and returns the client. Fails if the issuer's metadata cannot be fetched
    /// or is not trustworthy: no authorization URL is produced before that succeeds.
    pub async fn discover(self) -> Result<OktaClient, SetupError> {
        let settings = self.settings;
        let client = settings.client().ok_or(SetupError::Settings("no client_id"))?;
        let credentials =
            ClientCredentials::from_settings(settings).map_err(SetupError::ClientCredentials)?;
        let redirect_uri =
            client.redirect_uri().cloned().ok_or(SetupError::Settings("no redirect_uri"))?;
        let http = match self.http {
            Some(http) => http,
            None => Arc::new(
                ReqwestHttpClient::from_settings(settings).map_err(SetupError::HttpClient)?,
            ),
        };
        let sealing_key = match (self.sealing_key, settings.cookie_secret()) {
            (Some(key), _) => key,
            (None, Some(secret)) => SealingKey::from_cookie_secret(secret),
            (None, None) => {
                tracing::warn!(
                    "no cookie_secret configured: pending logins are sealed with a random key, so \
                     a login started on another replica or before a restart cannot finish"
                );
                SealingKey::generate().map_err(SetupError::Seal)?
            }
        };
        let session_keys = match self.session_keys.or_else(|| SessionKeys::from_settings(settings))
        {
            Some(keys) => keys,
            None => SessionKeys::generate().map_err(SetupError::Seal)?,
        };
        let clock = self.clock.unwrap_or_else(Clock::system);
        let mut id_token_options =
            IdTokenOptions::from_settings(settings).map_err(SetupError::Config)?;
        id_token_options.clock = clock.clone();
        // The client asks whether any of its tokens (access, ID, refresh) is active: the
        // resource-server requirements of the settings (audiences, client ids, scopes) are not
        // its to apply, and every answer is fresh.
        let mut introspection_options = IntrospectionOptions::from_settings(settings);
        introspection_options.audiences.clear();
        introspection_options.client_ids.clear();
        introspection_options.required_scopes.clear();
        introspection_options.token_cache = None;
        introspection_options.refused_cache = None;
        introspection_options.purpose = IntrospectionPurpose::TokenStatus;
        introspection_options.clock = clock.clone();

        let config = ClientConfig {
            issuer: settings.issuer().clone(),
            credentials,
            redirect_uri,
            post_logout_redirect_uri: client.post_logout_redirect_uri().cloned(),
            scopes: client.scopes().to_vec(),
            leeway: settings.leeway(),
            jwks_options: JwksCacheOptions::from_settings(settings),
            id_token_options,
            introspection_options,
            http,
            clock,
            sealing_key,
            session_keys,
        };
        let discovered = config.discover(None).await?;
        let methods = discovered.metadata.token_endpoint_auth_methods();
        let method = config.credentials.method();
        if !methods.is_empty() && !methods.iter().any(|advertised| advertised == method.as_str()) {
            tracing::warn!(
                configured = method.as_str(),
                advertised = ?methods,
                "the configured client authentication is not in token_endpoint_auth_methods_supported"
            );
        }
        Ok(OktaClient {
            inner: Arc::new(Inner {
                config,
                discovered: ArcSwap::from_pointee(discovered),
                refreshing_metadata: AtomicBool::new(false),
            }),
        })
    }
}

impl OktaClient {
    /// Discovers the issuer of `settings` (loaded with `Role::Client`) and builds the client,
    /// with a [`ReqwestHttpClient`] bounded by the settings' `[http]` section.
    pub async fn discover(settings: &Settings) -> Result<Self, SetupError> {
        Self::builder(settings).discover().await
    }

    /// A builder, to inject the HTTP client, the clock or the sealing key.
    pub fn builder(settings: &Settings) -> OktaClientBuilder<'_> {
        OktaClientBuilder {
            settings,
            http: None,
            clock: None,
            sealing_key: None,
            session_keys: None,
        }
    }

    /// The issuer's checked metadata.
    pub fn metadata(&self) -> Metadata {
        self.inner.discovered.load().metadata.clone()
    }

    /// The key cache used for ID tokens; share it with an access-token verifier of the same
    /// issuer so a service fetches `/keys` once.
    pub fn keys(&self) -> JwksCache {
        self.inner.discovered.load().keys.clone()
    }

    /// The key that seals this client's pending logins.
    pub fn sealing_key(&self) -> &SealingKey {
        &self.inner.config.sealing_key
    }

    /// The keys that encrypt the server-side sessions of `okta_flow::axum`.
    pub fn session_keys(&self) -> &SessionKeys {
        &self.inner.config.session_keys
    }

    /// The clock this client checks times with.
    pub fn clock(&self) -> &Clock {
        &self.inner.config.clock
    }

    /// The configured clock leeway.
    pub fn leeway(&self) -> Duration {
        self.inner.config.leeway
    }

    /// The configured redirect URI: where Okta sends the browser back, and so the path a web
    /// application serves its callback at.
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.inner.config.redirect_uri
    }

    /// The configured post-logout redirect URI, if any.
    pub fn post_logout_redirect_uri(&self) -> Option<&RedirectUri> {
        self.inner.config.post_logout_redirect_uri.as_ref()
    }

    /// Fetches the metadata again now (it is also refreshed on use once a day). On failure the
    /// current metadata stays in use.
    pub async fn refresh_metadata(&self) -> Result<(), DiscoveryError> {
        let current = self.inner.discovered.load_full();
        let discovered =
            self.inner.config.discover(Some(&current)).await.map_err(|err| match err {
                SetupError::Discovery(err) => err,
                // The new metadata cannot be used (a `jwks_uri` the key cache refuses, say).
                SetupError::Config(err) => DiscoveryError::Malformed {
                    reason: format!("the metadata cannot be used: {err}"),
                },
                other => DiscoveryError::Malformed { reason: other.to_string() },
            })?;
        self.inner.discovered.store(Arc::new(discovered));
        Ok(())
    }

    /// Starts a sign-in: the URL to send the browser to, and the [`PendingLogin`] to keep (in the
    /// session, or [sealed](PendingLogin::seal) in a cookie) until the callback.
    ///
    /// The URL carries `client_id`, `response_type=code`, the scopes, the configured
    /// `redirect_uri`, a fresh 256-bit `state` and `nonce`, a PKCE S256 challenge, and the
    /// options, each encoded as one value.
    pub fn authorize(
        &self,
        options: &AuthorizeOptions,
    ) -> Result<(Url, PendingLogin), AuthorizeError> {
        for (name, _) in options.extra_params() {
            if RESERVED_PARAMETERS.contains(&name.as_str()) {
                return Err(AuthorizeError::ReservedParameter(name.clone()));
            }
        }
        let discovered = self.inner.discovered.load();
        let (pending, challenge) = PendingLogin::start(
            self.inner.config.redirect_uri.as_str(),
            self.inner.config.clock.now(),
            options.max_age_value(),
        );
        let state = pending.state.clone();
        let nonce = pending.nonce.clone();
        let redirect = RedirectUrl::new(self.inner.config.redirect_uri.as_str().to_owned())
            .map_err(|_| AuthorizeError::InvalidRedirectUri)?;
        let mut request = discovered
            .oidc
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, move || state, move || nonce)
            .set_redirect_uri(Cow::Owned(redirect))
            .set_pkce_challenge(challenge);
        let scopes = options.scopes_value().unwrap_or(&self.inner.config.scopes);
        for scope in scopes.iter().filter(|scope| scope.as_str() != "openid") {
            request = request.add_scope(openidconnect::Scope::new(scope.as_str().to_owned()));
        }
        if let Some(prompt) = options.prompt_value() {
            for prompt in prompt.values() {
                request = request.add_prompt(prompt);
            }
        }
        if let Some(hint) = options.login_hint_value() {
            request = request.set_login_hint(LoginHint::new(hint.to_owned()));
        }
        if let Some(max_age) = options.max_age_value() {
            request = request.set_max_age(max_age);
        }
        for acr in options.acr_values_value() {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
        }
        if let Some(idp) = options.idp_value() {
            request = request.add_extra_param("idp", idp.to_owned());
        }
        if let Some(token) = options.session_token_value() {
            request = request.add_extra_param("sessionToken", token.to_owned());
        }
        for (name, value) in options.extra_params() {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let (url, _, _) = request.url();
        tracing::info!(issuer = %self.inner.config.issuer, prompt = ?options.prompt_value(), "authorization URL built");
        Ok((url, pending))
    }

    /// Checks the redirect back from `/authorize` (its query string, with or without `?`) against
    /// the login it must finish, and returns the authorization code.
    ///
    /// In order: a strict parse (duplicated or conflicting parameters, bad encodings and oversized
    /// values are refused); `state`, compared in constant time; the RFC 9207 `iss` parameter, when
    /// present or when the metadata promises it; then the code, or the server's error.
    pub fn handle_callback(
        &self,
        query: &str,
        pending: &PendingLogin,
    ) -> Result<AuthorizationCode, CallbackError> {
        let iss_required =
            self.inner.discovered.load().metadata.authorization_response_iss_parameter_supported();
        let result =
            callback::check(query, pending, self.inner.config.issuer.as_str(), iss_required);
        match &result {
            Ok(_) => tracing::info!("callback accepted"),
            Err(err) => tracing::warn!(kind = err.kind(), error = %err, "callback refused"),
        }
        result
    }

    /// Redeems the code at `/token` (with the configured client authentication, the same
    /// `redirect_uri` and the PKCE verifier), then verifies the ID token (signature from the live
    /// key cache, `iss`, `aud`, `azp`, times with leeway, `nonce`, `at_hash`, `auth_time` against
    /// `max_age`). Never retried: a code is single-use. If any check fails, every token of the
    /// response is dropped.
    pub async fn exchange_code(
        &self,
        code: AuthorizationCode,
        pending: &PendingLogin,
    ) -> Result<TokenSet, TokenError> {
        self.refresh_stale_metadata().await;
        let discovered = self.inner.discovered.load_full();
        async {
            let redirect = RedirectUrl::new(pending.redirect_uri.clone()).map_err(|_| {
                TokenError::Configuration("the pending login's redirect URI is invalid".into())
            })?;
            let verifier =
                openidconnect::PkceCodeVerifier::new(pending.pkce_verifier.secret().clone());
            let recorder =
                Recorder::token_endpoint(&*self.inner.config.http, &self.inner.config.credentials);
            let response = discovered
                .oidc
                .exchange_code(openidconnect::AuthorizationCode::new(code.into_secret()))
                .set_pkce_verifier(verifier)
                .set_redirect_uri(Cow::Owned(redirect))
                .request_async(&recorder)
                .await
                .map_err(|err| TokenError::from_request(err, recorder.last()))?;
            let checks = IdTokenChecks::new(pending.nonce.secret());
            let checks = match pending.max_age() {
                Some(max_age) => checks.with_max_age(max_age),
                None => checks,
            };
            self.token_set(&discovered, &response, checks, true).await
        }
        .instrument(tracing::info_span!("okta.exchange_code", issuer = %self.inner.config.issuer))
        .await
        .inspect(|_| tracing::info!("code exchanged, ID token verified"))
        .inspect_err(|err: &TokenError| {
            tracing::warn!(
                kind = err.kind(),
                error = err as &dyn std::error::Error,
                "code exchange refused"
            );
        })
    }

    /// [`handle_callback`](Self::handle_callback) then [`exchange_code`](Self::exchange_code).
    pub async fn finish_login(
        &self,
        query: &str,
        pending: &PendingLogin,
    ) -> Result<TokenSet, LoginError> {
        let code = self.handle_callback(query, pending)?;
        Ok(self.exchange_code(code, pending).await?)
    }

    /// Uses a refresh token. A new ID token in the response is verified like the first one,
    /// without a nonce, and must name `subject`, the `sub` of the session's ID token (OpenID
    /// Connect Core §12.2). Without rotation, the returned set keeps the refresh token that was
    /// used.
    pub async fn refresh(
        &self,
        refresh_token: &RefreshToken,
        subject: &str,
    ) -> Result<TokenSet, TokenError> {
        self.refresh_stale_metadata().await;
        let discovered = self.inner.discovered.load_full();
        async {
            let recorder =
                Recorder::token_endpoint(&*self.inner.config.http, &self.inner.config.credentials);
            let refresh = openidconnect::RefreshToken::new(refresh_token.secret().to_owned());
            let response = discovered
                .oidc
                .exchange_refresh_token(&refresh)
                .request_async(&recorder)
                .await
                .map_err(|err| TokenError::from_request(err, recorder.last()))?;
            let checks = IdTokenChecks::for_refresh(subject);
            let mut tokens = self.token_set(&discovered, &response, checks, false).await?;
            if tokens.refresh_token.is_none() {
                tokens.refresh_token = Some(refresh_token.clone());
            }
            Ok(tokens)
        }
        .instrument(tracing::info_span!("okta.refresh", issuer = %self.inner.config.issuer))
        .await
        .inspect(|_| tracing::info!("tokens refreshed"))
        .inspect_err(|err: &TokenError| {
            tracing::warn!(
                kind = err.kind(),
                error = err as &dyn std::error::Error,
                "refresh refused"
            );
        })
    }

    /// Revokes an access or refresh token at `/revoke` (RFC 7009) with the client's
    /// authentication. Okta answers 200 even for unknown tokens, so success means "not usable
    /// any more".
    pub async fn revoke(&self, token: Revocable<'_>) -> Result<(), RevokeError> {
        let discovered = self.inner.discovered.load_full();
        let (token, hint) = match token {
            Revocable::AccessToken(token) => (token.secret(), "access_token"),
            Revocable::RefreshToken(token) => (token.secret(), "refresh_token"),
        };
        async {
            // `openidconnect` refuses a revocation endpoint without https, even on loopback (the
            // local server), so this request is built here with okta-http's client authentication.
            let params = [("token", token), ("token_type_hint", hint)];
            let request = self
                .inner
                .config
                .credentials
                .form_request(discovered.metadata.revocation_endpoint(), &params)
                .map_err(|err| RevokeError::Configuration(err.to_string()))?;
            let response =
                self.inner.config.http.execute(request).await.map_err(RevokeError::Transport)?;
            if response.status() == http::StatusCode::OK {
                return Ok(());
            }
            let code = serde_json::from_slice::<serde_json::Value>(response.body())
                .ok()
                .and_then(|body| body.get("error")?.as_str().map(crate::metadata::truncate));
            Err(RevokeError::Rejected { status: response.status().as_u16(), code })
        }
        .instrument(tracing::info_span!("okta.revoke", issuer = %self.inner.config.issuer))
        .await
        .inspect(|()| tracing::info!("token revoked"))
        .inspect_err(|err: &RevokeError| {
            tracing::warn!(error = err as &dyn std::error::Error, "revocation failed");
        })
    }

    /// Asks `/introspect` whether `token` (access, ID or refresh) is active. Fails closed:
    /// inactive, malformed or failed answers are errors ([`VerifyError::IntrospectionInactive`]
    /// or [`VerifyError::IntrospectionFailed`]).
    pub async fn introspect(&self, token: &str) -> Result<IntrospectedToken, VerifyError> {
        let discovered = self.inner.discovered.load_full();
        discovered
            .introspection
            .verify(token)
            .instrument(tracing::info_span!("okta.introspect", issuer = %self.inner.config.issuer))
            .await
    }

    /// Calls `/userinfo` with the access token as a Bearer header. Its `sub` must equal
    /// `subject` (the ID token's), or the answer is refused and its values dropped (OpenID
    /// Connect Core §5.3.2).
    pub async fn userinfo(
        &self,
        access_token: &AccessToken,
        subject: &str,
    ) -> Result<UserInfo, UserInfoError> {
        let discovered = self.inner.discovered.load_full();
        async {
            let recorder = Recorder::new(&*self.inner.config.http);
            let claims: UserInfoClaims = discovered
                .oidc
                .user_info(
                    openidconnect::AccessToken::new(access_token.secret().to_owned()),
                    Some(SubjectIdentifier::new(subject.to_owned())),
                )
                .map_err(|_| UserInfoError::NotSupported)?
                .request_async(&recorder)
                .await
                .map_err(|err| {
                    UserInfoError::from_request(err, recorder.last().map(|meta| meta.status))
                })?;
            Ok(UserInfo::new(claims))
        }
        .instrument(tracing::info_span!("okta.userinfo", issuer = %self.inner.config.issuer))
        .await
        .inspect(|_| tracing::info!("userinfo fetched"))
        .inspect_err(|err: &UserInfoError| {
            tracing::warn!(
                kind = err.kind(),
                error = err as &dyn std::error::Error,
                "userinfo refused"
            );
        })
    }

    /// The RP-initiated logout URL (`/v1/logout`): `id_token_hint` (required by Okta), the
    /// post-logout redirect URI (this one, or else the configured one; it must be registered at
    /// Okta) and `state`, echoed back. Send the browser there with a redirect.
    pub fn logout_url(
        &self,
        id_token_hint: &IdToken,
        post_logout_redirect_uri: Option<&RedirectUri>,
        state: Option<&str>,
    ) -> Result<Url, LogoutError> {
        let discovered = self.inner.discovered.load();
        let mut url =
            discovered.metadata.end_session_endpoint().cloned().ok_or(LogoutError::NotSupported)?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("id_token_hint", id_token_hint.secret());
            if let Some(uri) =
                post_logout_redirect_uri.or(self.inner.config.post_logout_redirect_uri.as_ref())
            {
                query.append_pair("post_logout_redirect_uri", uri.as_str());
            }
            if let Some(state) = state {
                query.append_pair("state", state);
            }
        }
        Ok(url)
    }

    /// A new random `state` for [`logout_url`](Self::logout_url).
    pub fn new_logout_state() -> String {
        CsrfToken::new_random_len(32).into_secret()
    }

    async fn token_set(
        &self,
        discovered: &Discovered,
        response: &OktaTokenResponse,
        checks: IdTokenChecks<'_>,
        id_token_required: bool,
    ) -> Result<TokenSet, TokenError> {
        let token_type = serde_json::to_value(response.token_type())
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(TokenError::UnsupportedTokenType(crate::metadata::truncate(&token_type)));
        }
        let access_token = response.access_token();
        let (id_token, id_token_claims) = match response.raw_id_token() {
            Some(raw) => {
                let checks = checks.with_access_token(access_token.secret());
                let verified =
                    discovered.id_tokens.verify(raw, &checks).await.map_err(TokenError::IdToken)?;
                (Some(IdToken(raw.to_owned())), Some(verified.into_claims()))
            }
            None if id_token_required => {
                return Err(TokenError::MalformedResponse(
                    "no id_token although the openid scope was requested".into(),
                ));
            }
            None => (None, None),
        };
        let now = self.inner.config.clock.now();
        Ok(TokenSet {
            access_token: AccessToken::new(access_token.secret().clone()),
            token_type,
            expires_at: response.expires_in().and_then(|expires_in| now.checked_add(expires_in)),
            scopes: response
                .scopes()
                .map(|scopes| scopes.iter().map(|scope| scope.as_str().to_owned()).collect())
                .unwrap_or_default(),
            refresh_token: response
                .refresh_token()
                .map(|token| RefreshToken::new(token.secret().clone())),
            id_token,
            id_token_claims,
        })
    }

    /// Refreshes metadata older than a day, once at a time; failures keep the current metadata.
    ///
    /// Drop-safe: the flight is held by a guard that lives in this future, so a caller whose
    /// future is dropped mid-refresh (a cancelled request) ends the flight, and a later call
    /// refreshes.
    async fn refresh_stale_metadata(&self) {
        let fetched_at = self.inner.discovered.load().fetched_at;
        let age = self.inner.config.clock.now().duration_since(fetched_at).unwrap_or_default();
        if age < METADATA_TTL {
            return;
        }
        let Some(_flight) = RefreshFlight::start(&self.inner.refreshing_metadata) else {
            return;
        };
        if let Err(err) = self.refresh_metadata().await {
            tracing::warn!(
                error = &err as &dyn std::error::Error,
                "refreshing the metadata failed; keeping the current one"
            );
        }
    }
}

/// The one metadata refresh in flight: sets the flag when it starts and clears it when dropped,
/// whether the refresh finished or its future was dropped.
struct RefreshFlight<'a>(&'a AtomicBool);

impl<'a> RefreshFlight<'a> {
    /// Starts the flight, or `None` when one is already in flight.
    fn start(flag: &'a AtomicBool) -> Option<Self> {
        (!flag.swap(true, Ordering::AcqRel)).then_some(Self(flag))
    }
}

impl Drop for RefreshFlight<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaClient")
            .field("issuer", &self.inner.config.issuer)
            .field("client_id", self.inner.config.credentials.client_id())
            .field("redirect_uri", &self.inner.config.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Runs discovery and builds everything that depends on the metadata. The key cache is kept
    /// when `jwks_uri` did not change, so a metadata refresh does not refetch keys.
    async fn discover(&self, current: Option<&Discovered>) -> Result<Discovered, SetupError> {
        let metadata = discover(&self.issuer, &*self.http).await?;
        let keys = match current {
            Some(current) if current.metadata.jwks_uri() == metadata.jwks_uri() => {
                current.keys.clone()
            }
            _ => JwksCache::remote(
                metadata.jwks_uri().clone(),
                self.http.clone(),
                self.jwks_options.clone(),
                self.clock.clone(),
            )
            .map_err(SetupError::Config)?,
        };
        let id_tokens = IdTokenVerifier::new(self.id_token_options.clone(), keys.clone())
            .map_err(SetupError::Config)?;
        let mut introspection_options = self.introspection_options.clone();
        introspection_options.introspect_url = metadata.introspection_endpoint().clone();
        let introspection = IntrospectionVerifier::new(
            introspection_options,
            self.credentials.clone(),
            self.http.clone(),
        )
        .map_err(SetupError::Config)?;

        // `/token` requests are built by openidconnect without the secret (so with `client_id`
        // in the body) and authenticated by okta-http's `ClientCredentials` on the way out
        // (`Recorder::token_endpoint`): one implementation of every client authentication
        // method, for the token, introspection and revocation endpoints alike.
        let oidc = Client::from_provider_metadata(
            metadata.inner.clone(),
            ClientId::new(self.credentials.client_id().as_str().to_owned()),
            None,
        )
        .set_token_uri(openidconnect::TokenUrl::from_url(metadata.token_endpoint().clone()))
        .set_auth_type(AuthType::RequestBody);
        Ok(Discovered {
            metadata,
            oidc,
            keys,
            id_tokens,
            introspection,
            fetched_at: self.clock.now(),
        })
    }
}

/// A token [`OktaClient::revoke`] can revoke.
#[derive(Clone, Copy, Debug)]
pub enum Revocable<'a> {
    /// An access token (`token_type_hint=access_token`).
    AccessToken(&'a AccessToken),
    /// A refresh token (`token_type_hint=refresh_token`).
    RefreshToken(&'a RefreshToken),
}

/// Why [`OktaClient::finish_login`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The callback was refused before any call to Okta.
    #[error(transparent)]
    Callback(#[from] CallbackError),
    /// The code exchange or the ID token failed.
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// Why a revocation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevokeError {
    /// The client is not set up for revocation.
    #[error("the client cannot revoke tokens: {0}")]
    Configuration(String),
    /// The server refused (for example `invalid_client`), or failed.
    #[error("Okta refused the revocation (HTTP {status}){}", code.as_ref().map(|c| format!(": {c}")).unwrap_or_default())]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error`, when the body had one.
        code: Option<String>,
    },
    /// The request never got a usable response.
    #[error("the revocation request failed")]
    Transport(#[source] okta_http::TransportError),
}

/// Why a logout URL could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogoutError {
    /// The metadata has no `end_session_endpoint`.
    #[error("the authorization server advertises no end_session_endpoint")]
    NotSupported,
}

impl Prompt {
    fn values(self) -> Vec<CoreAuthPrompt> {
        match self {
            Self::Consent => vec![CoreAuthPrompt::Consent],
            Self::Login => vec![CoreAuthPrompt::Login],
            Self::LoginAndConsent => vec![CoreAuthPrompt::Login, CoreAuthPrompt::Consent],
            Self::None => vec![CoreAuthPrompt::None],
        }
    }
}

pub(crate) mod device;
pub(crate) mod preflight;
#[cfg(test)]
mod tests;
