//! The test harness: a devserver, a client discovered against it, and a headless sign-in.

use std::time::SystemTime;

use http::Method;
use okta_config::{Role, Settings, SettingsLoader};
use okta_devserver::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_REDIRECT_URI, DEMO_USERNAME, DevServer,
    ManualClock,
};
use okta_flow::{AuthorizeOptions, OktaClient, PendingLogin, TokenSet};
use okta_verify::Clock;

pub(crate) struct Harness {
    pub(crate) server: DevServer,
    pub(crate) client: OktaClient,
    pub(crate) clock: ManualClock,
    pub(crate) issuer: String,
}

pub(crate) fn settings_for(issuer: &str) -> SettingsLoader {
    SettingsLoader::isolated()
        .set("issuer", issuer)
        .set("client_id", DEMO_CLIENT_ID)
        .set("client_secret", DEMO_CLIENT_SECRET)
        .set("redirect_uri", DEMO_REDIRECT_URI)
        .set("post_logout_redirect_uri", "http://127.0.0.1:8080/")
        .set("scopes", ["openid", "profile", "email", "offline_access"])
        .set("cookie_secret", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=")
        .role(Role::Client)
}

impl Harness {
    /// A devserver with the demo client and users, and a client of its `default` server.
    pub(crate) async fn start() -> Self {
        Self::with(|builder| builder, |settings| settings).await
    }

    pub(crate) async fn with(
        server: impl FnOnce(okta_devserver::DevServerBuilder) -> okta_devserver::DevServerBuilder,
        settings: impl FnOnce(SettingsLoader) -> SettingsLoader,
    ) -> Self {
        Self::with_settings(server, |issuer| settings(settings_for(issuer))).await
    }

    /// Like [`Harness::with`], with settings built from the issuer alone (no demo client).
    pub(crate) async fn with_settings(
        server: impl FnOnce(okta_devserver::DevServerBuilder) -> okta_devserver::DevServerBuilder,
        settings: impl FnOnce(&str) -> SettingsLoader,
    ) -> Self {
        let clock = ManualClock::starting_now();
        let server = server(DevServer::builder().clock(clock.clone()))
            .start()
            .await
            .expect("devserver starts");
        let issuer = server.issuer("default");
        let settings: Settings = settings(&issuer).load().expect("valid settings");
        let client = Self::client_for(&settings, &clock).await.expect("discovery succeeds");
        Self { server, client, clock, issuer }
    }

    pub(crate) async fn client_for(
        settings: &Settings,
        clock: &ManualClock,
    ) -> Result<OktaClient, okta_flow::SetupError> {
        let clock = clock.clone();
        OktaClient::builder(settings).clock(Clock::from_fn(move || clock.now())).discover().await
    }

    /// Signs the demo user in headlessly (`/api/v1/authn`, then `/authorize` with the
    /// `sessionToken`) and returns the callback's query and the pending login.
    pub(crate) async fn sign_in(&self, options: AuthorizeOptions) -> (String, PendingLogin) {
        let session_token = session_token(&self.server, DEMO_USERNAME, DEMO_PASSWORD).await;
        let (url, pending) = self
            .client
            .authorize(&options.session_token(session_token))
            .expect("authorization URL");
        let location = follow_authorize(url.as_str()).await;
        let query = location.split_once('?').map(|(_, query)| query.to_owned()).unwrap_or_default();
        (query, pending)
    }

    /// A whole login: sign-in, callback, code exchange.
    pub(crate) async fn login(&self) -> Result<TokenSet, okta_flow::LoginError> {
        let (query, pending) = self.sign_in(AuthorizeOptions::new()).await;
        self.client.finish_login(&query, &pending).await
    }

    pub(crate) fn count(&self, method: &Method, suffix: &str) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.method() == method && r.path().ends_with(suffix))
            .count()
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }
}

pub(crate) async fn session_token(server: &DevServer, username: &str, password: &str) -> String {
    let response = http_client()
        .post(format!("{}/api/v1/authn", server.base_url()))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .expect("authn answers");
    let body: serde_json::Value = response.json().await.expect("authn JSON");
    body["sessionToken"].as_str().expect("a session token").to_owned()
}

/// GETs an authorization URL like a browser would, without following the redirect: returns
/// the `Location` of the 302 back to the redirect URI.
pub(crate) async fn follow_authorize(url: &str) -> String {
    let response = http_client().get(url).send().await.expect("authorize answers");
    assert_eq!(response.status(), 302, "authorize redirects back");
    response.headers()["location"].to_str().expect("ASCII location").to_owned()
}

pub(crate) fn http_client() -> reqwest::Client {
    // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
    okta_http::install_default_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}
