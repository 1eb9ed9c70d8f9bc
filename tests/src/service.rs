//! The service-to-service scenario, against the in-process devserver's demo service apps and
//! APIs: a signed-in user's web app calls API B (`orders`) with the user's token; B exchanges it
//! (okta-service [`TokenExchanger`]) to call API C (`shipping`) as the user; a background service
//! D calls B with `client_credentials`, authenticated by a client secret and by
//! `private_key_jwt` (okta-service [`TokenSource`]); B and C check audience and scope with
//! okta-verify, and refuse a token for another audience and one without the scope a route needs.
//!
//! B and C are small axum servers on `127.0.0.1:0`, started by [`run_service_scenario`] and
//! stopped when it returns. Every step is named, timed and ends with an [`Outcome`]; the run
//! stops at the first failed step. Details give sizes and claims, never a token or a secret.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use okta_config::{Audience, ClientId, ClientSecret, ClientSigningKey, Issuer, Role, Scope};
use okta_devserver::{
    DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET, DEMO_JWT_SERVICE_CLIENT_ID,
    DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_JWT_SERVICE_RSA_KID, DEMO_ORDERS_SERVER_ID,
    DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET, DEMO_SHIPPING_SERVER_ID, DevServer,
};
use okta_flow::{AuthorizeOptions, OktaClient};
use okta_http::{ClientCredentials, HttpClient, HttpClientOptions, ReqwestHttpClient};
use okta_service::{TokenExchanger, TokenSource};
use okta_verify::axum::{BearerAuthLayer, bearer_token};
use okta_verify::{
    AccessTokenOptions, AccessTokenVerifier, JwksCache, JwksCacheOptions, VerifiedAccessToken,
};
use url::Url;

use crate::flow::describe;
use crate::steps::Outcome;
use crate::target::{E2E_CLIENT_ID, Target};
use crate::user_agent::{Credentials, UserAgent};

/// One step of the service scenario, in the order a run takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceStep {
    /// The web app signs the user in at the `orders` server (Authorization Code + PKCE): a
    /// token for B (`api://orders`, `orders:read`).
    UserSignIn,
    /// The web app calls B with the user's token; B checks audience and `orders:read`.
    UserCallsB,
    /// B exchanges the user's token (RFC 8693) for a `shipping:read` token at `shipping` and
    /// calls C with it as the user; C checks audience, scope and that the user is the same.
    TokenExchange,
    /// Service D calls B with a `client_credentials` token, authenticated with a client secret.
    ClientCredentials,
    /// Service D calls B with a `client_credentials` token, authenticated with
    /// `private_key_jwt` (an RS256 client assertion), for `orders:read orders:write`.
    PrivateKeyJwt,
    /// D's token for B, sent to C: refused, signed by another server than C trusts (401
    /// `invalid_token`).
    ForeignToken,
    /// A token of C's own server whose audience is B's (`api://orders`), sent to C: refused
    /// for its audience (401 `invalid_token`). Signed with the devserver's `Keys::sign`, as no
    /// endpoint issues such a token.
    WrongAudience,
    /// D's `orders:read` token on B's write route: refused (403 `insufficient_scope`).
    MissingScope,
}

impl ServiceStep {
    /// Every step, in order.
    pub const ALL: [Self; 8] = [
        Self::UserSignIn,
        Self::UserCallsB,
        Self::TokenExchange,
        Self::ClientCredentials,
        Self::PrivateKeyJwt,
        Self::ForeignToken,
        Self::WrongAudience,
        Self::MissingScope,
    ];

    /// The step's name as printed in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::UserSignIn => "user sign-in (orders)",
            Self::UserCallsB => "user token to B",
            Self::TokenExchange => "token exchange B to C",
            Self::ClientCredentials => "client credentials",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::ForeignToken => "B's token at C",
            Self::WrongAudience => "wrong audience (C)",
            Self::MissingScope => "missing scope (B)",
        }
    }
}

impl fmt::Display for ServiceStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One service step as it ran.
#[derive(Clone, Debug)]
pub struct ServiceRecord {
    step: ServiceStep,
    duration: Duration,
    outcome: Outcome,
}

impl ServiceRecord {
    /// Which step.
    pub fn step(&self) -> ServiceStep {
        self.step
    }

    /// How long it took.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// How it ended.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

/// The record of one run of the service scenario, up to the first failure.
#[derive(Clone, Debug, Default)]
pub struct ServiceReport {
    records: Vec<ServiceRecord>,
    total: Duration,
}

impl ServiceReport {
    /// The steps that ran, in order.
    pub fn steps(&self) -> &[ServiceRecord] {
        &self.records
    }

    /// The record of `step`, if it ran.
    pub fn get(&self, step: ServiceStep) -> Option<&ServiceRecord> {
        self.records.iter().find(|record| record.step == step)
    }

    /// The failed step, if the run failed.
    pub fn failure(&self) -> Option<&ServiceRecord> {
        self.records.iter().find(|record| matches!(record.outcome, Outcome::Failed { .. }))
    }

    /// `true` when every step ran and passed.
    pub fn is_success(&self) -> bool {
        self.records.len() == ServiceStep::ALL.len()
            && self.records.iter().all(|r| matches!(r.outcome, Outcome::Passed { .. }))
    }

    /// The wall-clock time of the whole run.
    pub fn total(&self) -> Duration {
        self.total
    }
}

/// Runs the service scenario against `target`'s devserver; `observer` sees each step as it
/// ends. Against a target without a devserver the first step fails saying so (the demo service
/// apps exist only there). `timeout` bounds each step.
pub async fn run_service_scenario(
    target: &Target,
    timeout: Duration,
    observer: &mut (dyn FnMut(&ServiceRecord) + Send),
) -> ServiceReport {
    let started = Instant::now();
    let mut records = Vec::new();
    let mut record = |step, duration, outcome| {
        let record = ServiceRecord { step, duration, outcome };
        observer(&record);
        records.push(record);
    };
    match Scenario::start(target).await {
        Ok(scenario) => {
            for step in ServiceStep::ALL {
                let begun = Instant::now();
                let result = match tokio::time::timeout(timeout, scenario.step(step)).await {
                    Ok(result) => result,
                    Err(_) => Err(format!("timed out after {} s", timeout.as_secs())),
                };
                let failed = result.is_err();
                let outcome = match result {
                    Ok(detail) => Outcome::Passed { detail },
                    Err(error) => Outcome::Failed { error },
                };
                record(step, begun.elapsed(), outcome);
                if failed {
                    break;
                }
            }
            scenario.stop();
        }
        Err(error) => record(ServiceStep::UserSignIn, started.elapsed(), Outcome::Failed { error }),
    }
    ServiceReport { records, total: started.elapsed() }
}

/// What B needs: its exchanger for C, an HTTP client, and C's address.
#[derive(Clone)]
struct OrdersApi {
    exchanger: TokenExchanger,
    http: reqwest::Client,
    shipping: Url,
}

/// The running scenario: B and C, the user's token once signed in, D's token sources.
struct Scenario<'a> {
    target: &'a Target,
    server: &'a DevServer,
    http: reqwest::Client,
    orders_url: Url,
    shipping_url: Url,
    secret_source: TokenSource,
    key_source: TokenSource,
    user_token: tokio::sync::OnceCell<String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl<'a> Scenario<'a> {
    async fn start(target: &'a Target) -> Result<Self, String> {
        let server = target.devserver_handle().ok_or_else(|| {
            "the service scenario needs the devserver's demo service apps (run without --issuer)"
                .to_owned()
        })?;
        okta_http::install_default_crypto_provider();
        // Generate the two servers' signing keys now, so that no step's time includes RSA key
        // generation.
        let keys = server.keys();
        tokio::task::spawn_blocking(move || {
            keys.warm_up(DEMO_ORDERS_SERVER_ID)?;
            keys.warm_up(DEMO_SHIPPING_SERVER_ID)
        })
        .await
        .map_err(|e| describe(&e))?
        .map_err(|e| describe(&e))?;
        let transport: Arc<dyn HttpClient> = Arc::new(
            ReqwestHttpClient::new(HttpClientOptions::default()).map_err(|e| describe(&e))?,
        );
        let orders = issuer(server, DEMO_ORDERS_SERVER_ID)?;
        let shipping = issuer(server, DEMO_SHIPPING_SERVER_ID)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| describe(&e))?;

        // C: shipping, audience api://shipping, shipping:read.
        let c_verifier =
            verifier(target, &shipping, "api://shipping", "shipping:read", &transport)?;
        let c = Router::new()
            .route("/shipments", get(shipments))
            .layer(BearerAuthLayer::new(c_verifier));
        let (shipping_url, c_task) = serve(c).await?;

        // B: orders, audience api://orders; reads need orders:read, writes orders:write.
        let exchanger = TokenExchanger::builder(
            shipping.clone(),
            basic(DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET)?,
            Arc::clone(&transport),
        )
        .clock(target.clock().clone())
        .build();
        let state = OrdersApi { exchanger, http: http.clone(), shipping: shipping_url.clone() };
        let read = verifier(target, &orders, "api://orders", "orders:read", &transport)?;
        let write = verifier(target, &orders, "api://orders", "orders:write", &transport)?;
        let reads = Router::new()
            .route("/orders", get(list_orders))
            .route("/orders/shipping", get(order_shipping))
            .route_layer(BearerAuthLayer::new(read));
        let writes = Router::new()
            .route("/orders/cancel", post(cancel_order))
            .route_layer(BearerAuthLayer::new(write));
        let b = reads.merge(writes).with_state(state);
        let (orders_url, b_task) = serve(b).await?;

        let secret_source = TokenSource::builder(
            orders.clone(),
            basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET)?,
            Arc::clone(&transport),
        )
        .clock(target.clock().clone())
        .build();
        let key = ClientSigningKey::parse(
            DEMO_JWT_SERVICE_RSA_KEY_PEM,
            None,
            Some(DEMO_JWT_SERVICE_RSA_KID.to_owned()),
        )
        .map_err(|e| describe(&e))?;
        let key_credentials = ClientCredentials::private_key_jwt(
            ClientId::parse(DEMO_JWT_SERVICE_CLIENT_ID).map_err(|e| describe(&e))?,
            &key,
        )
        .map_err(|e| describe(&e))?;
        let key_source = TokenSource::builder(orders, key_credentials, transport)
            .clock(target.clock().clone())
            .build();
        Ok(Self {
            target,
            server,
            http,
            orders_url,
            shipping_url,
            secret_source,
            key_source,
            user_token: tokio::sync::OnceCell::new(),
            tasks: vec![c_task, b_task],
        })
    }

    fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }

    async fn step(&self, step: ServiceStep) -> Result<String, String> {
        match step {
            ServiceStep::UserSignIn => self.user_sign_in().await,
            ServiceStep::UserCallsB => {
                let token = self.user()?;
                let body = self.call(&self.orders_url, "/orders", token, 200).await?;
                Ok(format!("B accepted the user's token (aud api://orders, orders:read): {body}"))
            }
            ServiceStep::TokenExchange => {
                let token = self.user()?;
                let body = self.call(&self.orders_url, "/orders/shipping", token, 200).await?;
                Ok(format!(
                    "B exchanged the user's token at shipping as {DEMO_EXCHANGE_CLIENT_ID}; {body}"
                ))
            }
            ServiceStep::ClientCredentials => {
                let token = self.secret_source.token(&[]).await.map_err(|e| describe(&e))?;
                let body = self.call(&self.orders_url, "/orders", token.secret(), 200).await?;
                Ok(format!(
                    "{DEMO_SERVICE_CLIENT_ID} (client_secret_basic) got {:?} ({} chars); B: {body}",
                    token.scopes(),
                    token.secret().len()
                ))
            }
            ServiceStep::PrivateKeyJwt => {
                let scopes = [scope("orders:read")?, scope("orders:write")?];
                let token = self.key_source.token(&scopes).await.map_err(|e| describe(&e))?;
                let body =
                    self.call(&self.orders_url, "/orders/cancel", token.secret(), 200).await?;
                Ok(format!(
                    "{DEMO_JWT_SERVICE_CLIENT_ID} (RS256 assertion, kid {DEMO_JWT_SERVICE_RSA_KID}) got {:?}; B: {body}",
                    token.scopes()
                ))
            }
            ServiceStep::ForeignToken => {
                let token = self.secret_source.token(&[]).await.map_err(|e| describe(&e))?;
                let challenge =
                    self.refused(&self.shipping_url, "/shipments", token.secret(), 401).await?;
                Ok(format!("C refused a token of the orders server: 401 {challenge}"))
            }
            ServiceStep::WrongAudience => {
                let token = self.shipping_token_for("api://orders")?;
                let challenge = self.refused(&self.shipping_url, "/shipments", &token, 401).await?;
                if !challenge.contains("aud") {
                    return Err(format!("refused, but not for its audience: {challenge}"));
                }
                Ok(format!(
                    "C refused a shipping-server token with aud api://orders: 401 {challenge}"
                ))
            }
            ServiceStep::MissingScope => {
                let token = self.secret_source.token(&[]).await.map_err(|e| describe(&e))?;
                let challenge =
                    self.refused(&self.orders_url, "/orders/cancel", token.secret(), 403).await?;
                Ok(format!("B refused an orders:read token on its write route: 403 {challenge}"))
            }
        }
    }

    /// A token signed by the shipping server with every claim right for C except `aud`.
    fn shipping_token_for(&self, audience: &str) -> Result<String, String> {
        let now = self
            .target
            .clock()
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| describe(&e))?
            .as_secs();
        let claims = serde_json::json!({
            "ver": 1,
            "jti": "AT.wrong-audience",
            "iss": self.server.issuer(DEMO_SHIPPING_SERVER_ID),
            "aud": audience,
            "sub": DEMO_SERVICE_CLIENT_ID,
            "cid": DEMO_SERVICE_CLIENT_ID,
            "scp": ["shipping:read"],
            "iat": now,
            "exp": now + 300,
        });
        self.server.keys().sign(DEMO_SHIPPING_SERVER_ID, &claims).map_err(|e| describe(&e))
    }

    fn user(&self) -> Result<&str, String> {
        self.user_token.get().map(String::as_str).ok_or_else(|| "no user token".to_owned())
    }

    /// The web app (the e2e client, at the `orders` server) signs the demo user in with the
    /// sign-in form and redeems the code.
    async fn user_sign_in(&self) -> Result<String, String> {
        let mut loader = okta_config::SettingsLoader::isolated();
        for (key, value) in self
            .server
            .okta_settings(DEMO_ORDERS_SERVER_ID, E2E_CLIENT_ID)
            .ok_or("the e2e client is not registered")?
        {
            loader = loader.set(key, value);
        }
        let settings = loader
            .set("scopes", ["openid", "orders:read"])
            .role(Role::Client)
            .load()
            .map_err(|e| describe(&e))?;
        let client = OktaClient::builder(&settings)
            .clock(self.target.clock().clone())
            .discover()
            .await
            .map_err(|e| describe(&e))?;
        let (url, pending) =
            client.authorize(&AuthorizeOptions::new()).map_err(|e| describe(&e))?;
        let redirect_uri = Url::parse(pending.redirect_uri()).map_err(|e| describe(&e))?;
        let agent = UserAgent::new().map_err(|e| describe(&e))?.stopping_before(redirect_uri);
        let credentials = Credentials::demo();
        let page = agent.open(&url).await.map_err(|e| describe(&e))?;
        if !page.has_element("username") {
            return Err("no sign-in form at the orders server".to_owned());
        }
        let fields = [("username", credentials.username()), ("password", credentials.password())];
        let mut page =
            agent.submit(&page, Some("submit"), &fields).await.map_err(|e| describe(&e))?;
        if page.has_element("allow") {
            page = agent.submit(&page, Some("allow"), &[]).await.map_err(|e| describe(&e))?;
        }
        let back = page.stopped_before().ok_or("the sign-in did not come back to the web app")?;
        let code = client
            .handle_callback(back.query().unwrap_or_default(), &pending)
            .map_err(|e| describe(&e))?;
        let tokens = client.exchange_code(code, &pending).await.map_err(|e| describe(&e))?;
        let token = tokens.access_token().secret().to_owned();
        let size = token.len();
        self.user_token.set(token).map_err(|_| "signed in twice".to_owned())?;
        Ok(format!(
            "{} signed in at the orders server through {E2E_CLIENT_ID}; access token ({size} chars)",
            credentials.username()
        ))
    }

    /// GET (or POST for `/cancel`) `path` on `api` with `token`; the body when the status is
    /// `expected`.
    async fn call(
        &self,
        api: &Url,
        path: &str,
        token: &str,
        expected: u16,
    ) -> Result<String, String> {
        let response = self.send(api, path, token).await?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| describe(&e))?;
        if status != expected {
            return Err(format!("{path} answered {status}, not {expected}: {body}"));
        }
        Ok(body)
    }

    /// Sends `token` where it must be refused with `expected`; the `WWW-Authenticate` challenge.
    async fn refused(
        &self,
        api: &Url,
        path: &str,
        token: &str,
        expected: u16,
    ) -> Result<String, String> {
        let response = self.send(api, path, token).await?;
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if status != expected {
            return Err(format!("{path} answered {status} ({challenge}), not {expected}"));
        }
        Ok(challenge)
    }

    async fn send(&self, api: &Url, path: &str, token: &str) -> Result<reqwest::Response, String> {
        let url = api.join(path).map_err(|e| describe(&e))?;
        let request =
            if path.ends_with("/cancel") { self.http.post(url) } else { self.http.get(url) };
        request.bearer_auth(token).send().await.map_err(|e| describe(&e))
    }
}

/// B: `GET /orders`.
async fn list_orders(token: VerifiedAccessToken) -> String {
    format!("orders for sub {} (scp {})", token.claims().sub, scopes_of(&token))
}

/// B: `POST /orders/cancel` (needs `orders:write`).
async fn cancel_order(token: VerifiedAccessToken) -> String {
    format!("cancelled for {} (scp {})", token.claims().sub, scopes_of(&token))
}

/// B: `GET /orders/shipping`: exchanges the caller's token for C and calls C as the user.
async fn order_shipping(
    State(api): State<OrdersApi>,
    caller: VerifiedAccessToken,
    headers: HeaderMap,
    uri: Uri,
) -> (StatusCode, String) {
    let Ok(user_token) = bearer_token(&headers, &uri) else {
        return (StatusCode::BAD_REQUEST, "no bearer token".to_owned());
    };
    let (Ok(audience), Ok(read)) =
        (Audience::parse("api://shipping"), Scope::parse("shipping:read"))
    else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "bad constants".to_owned());
    };
    let token = match api.exchanger.exchange(user_token, &audience, &[read]).await {
        Ok(token) => token,
        Err(err) => return (StatusCode::BAD_GATEWAY, format!("exchange: {}", describe(&err))),
    };
    let Ok(url) = api.shipping.join("/shipments") else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "C's URL".to_owned());
    };
    let response = match api.http.get(url).bearer_auth(token.secret()).send().await {
        Ok(response) => response,
        Err(err) => return (StatusCode::BAD_GATEWAY, format!("C: {}", describe(&err))),
    };
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if status != 200 {
        return (StatusCode::BAD_GATEWAY, format!("C answered {status}: {body}"));
    }
    // C must have seen the user who called B, not B's own identity.
    if !body.contains(&format!("sub {} ", caller.claims().sub)) {
        return (StatusCode::BAD_GATEWAY, format!("C saw another subject: {body}"));
    }
    (StatusCode::OK, format!("C saw the same user: {body}"))
}

/// C: `GET /shipments`.
async fn shipments(token: VerifiedAccessToken) -> String {
    let claims = token.claims();
    format!(
        "shipments for sub {} (scp {}, cid {})",
        claims.sub,
        scopes_of(&token),
        claims.cid.as_deref().unwrap_or("-")
    )
}

fn scopes_of(token: &VerifiedAccessToken) -> String {
    token.claims().scp.join(" ")
}

/// Serves `router` on `127.0.0.1:0`; its base URL and task.
async fn serve(router: Router) -> Result<(Url, tokio::task::JoinHandle<()>), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| describe(&e))?;
    let address = listener.local_addr().map_err(|e| describe(&e))?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let url = Url::parse(&format!("http://{address}/")).map_err(|e| describe(&e))?;
    Ok((url, task))
}

fn issuer(server: &DevServer, id: &str) -> Result<Issuer, String> {
    Issuer::parse(&server.issuer(id)).map_err(|e| describe(&e))
}

fn scope(name: &str) -> Result<Scope, String> {
    Scope::parse(name).map_err(|e| describe(&e))
}

fn basic(id: &str, secret: &str) -> Result<ClientCredentials, String> {
    Ok(ClientCredentials::client_secret_basic(
        ClientId::parse(id).map_err(|e| describe(&e))?,
        ClientSecret::parse(secret.to_owned()).map_err(|e| describe(&e))?,
    ))
}

/// A verifier for tokens of `issuer` with `audience` and `required` scope.
fn verifier(
    target: &Target,
    issuer: &Issuer,
    audience: &str,
    required: &str,
    http: &Arc<dyn HttpClient>,
) -> Result<AccessTokenVerifier, String> {
    let mut options = AccessTokenOptions::new(
        issuer.clone(),
        [Audience::parse(audience).map_err(|e| describe(&e))?],
    );
    options.required_scopes = vec![scope(required)?];
    // Any client of the issuer that was granted the scope (the test's service clients).
    options.any_client = true;
    options.clock = target.clock().clone();
    let keys = JwksCache::for_issuer(
        issuer,
        Arc::clone(http),
        JwksCacheOptions::default(),
        target.clock().clone(),
    )
    .map_err(|e| describe(&e))?;
    AccessTokenVerifier::new(options, keys).map_err(|e| describe(&e))
}
