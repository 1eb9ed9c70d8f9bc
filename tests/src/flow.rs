//! The flow driver: runs the whole Authorization Code flow against a [`Target`] as a user agent
//! and a web application would, one named, timed step at a time.

use std::error::Error as StdError;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use http::Method;
use okta_config::ClientAuthMethod;
use okta_devserver::ClientAuthentication as SeenAuthentication;
use okta_flow::{
    AuthorizationErrorCode, AuthorizeOptions, CallbackError, OktaClient, PendingLogin, Prompt,
    Revocable, TokenError, TokenErrorCode, TokenSet,
};
use okta_http::{ClientCredentials, HttpClient as _, ReqwestHttpClient, redacted_url};
use okta_verify::{
    AccessTokenOptions, AccessTokenVerifier, IdTokenChecks, IdTokenOptions, IdTokenVerifier,
    VerifyError,
};
use url::Url;

use crate::steps::{FlowReport, Halt, Recorder, Step, StepRecord, StepResult, Stopped};
use crate::target::{CALLBACK_PAGE_ID, Target};
use crate::user_agent::{Credentials, Page, UserAgent};
use crate::webdriver::Browser;

/// How the user signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInMethod {
    /// The HTML sign-in form (the devserver's; Okta's own page needs JavaScript).
    Form,
    /// Okta's Authentication API: `/api/v1/authn` gives a `sessionToken` for `/authorize`.
    SessionToken,
}

/// The answer given on the consent page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentDecision {
    /// Press `allow`.
    Allow,
    /// Press `deny`: the server sends `access_denied` back.
    Deny,
}

/// Who plays the browser.
#[derive(Clone, Copy, Debug)]
pub enum Agent<'a> {
    /// Headless Chromium through WebDriver.
    Browser(&'a Browser),
    /// A cookie-keeping HTTP client without JavaScript (a fresh one each run).
    Http,
}

/// What a run does besides the target's settings.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FlowOptions {
    /// Who signs in.
    pub credentials: Credentials,
    /// How. Defaults to [`SignInMethod::Form`] for the devserver and
    /// [`SignInMethod::SessionToken`] otherwise (Okta's page needs JavaScript).
    pub sign_in: SignInMethod,
    /// `Some` asks for `prompt=consent` and answers the consent page so. Defaults to `None`.
    pub consent: Option<ConsentDecision>,
    /// The longest any step may take. Defaults to 30 seconds.
    pub step_timeout: Duration,
    /// Where a browser run saves the screenshot of a failed step. Defaults to `target/e2e`.
    pub screenshot_dir: PathBuf,
}

impl FlowOptions {
    /// Options for signing in to `target` as `credentials`.
    pub fn new(target: &Target, credentials: Credentials) -> Self {
        Self {
            credentials,
            sign_in: if target.is_devserver() {
                SignInMethod::Form
            } else {
                SignInMethod::SessionToken
            },
            consent: None,
            step_timeout: Duration::from_secs(30),
            screenshot_dir: PathBuf::from("target/e2e"),
        }
    }
}

/// Runs the flow once; `observer` sees each step as it ends. The run stops at the first failed
/// step. Secrets, codes and tokens never appear in the report.
pub async fn run_flow(
    target: &Target,
    agent: Agent<'_>,
    options: &FlowOptions,
    observer: &mut (dyn FnMut(&StepRecord) + Send),
) -> FlowReport {
    let mut recorder = Recorder::new(options.step_timeout, observer);
    let run = match Run::new(target, agent, options) {
        Ok(run) => run,
        Err(error) => {
            let _ = recorder.run::<()>(Step::Discovery, async { Err(Halt::Fail(error)) }).await;
            return recorder.finish();
        }
    };
    if run.drive(&mut recorder).await.is_err()
        && let Agent::Browser(browser) = agent
    {
        let failed = recorder.last_step().unwrap_or(Step::Discovery);
        let path = options.screenshot_dir.join(format!("{}-{}.png", slug(failed), unix_millis()));
        if browser.screenshot(&path).await.is_ok() {
            recorder.attach_screenshot(path);
        }
    }
    recorder.finish()
}

/// Runs the flow `runs` times (stopping after the first failed run); `observer` gets the run
/// number (from 1) with each step.
pub async fn run_repeated(
    target: &Target,
    agent: Agent<'_>,
    options: &FlowOptions,
    runs: usize,
    observer: &mut (dyn FnMut(usize, &StepRecord) + Send),
) -> Vec<FlowReport> {
    let mut reports = Vec::with_capacity(runs);
    for number in 1..=runs {
        if let Agent::Browser(browser) = agent {
            let _ = browser.delete_cookies().await;
        }
        let mut per_run = |record: &StepRecord| observer(number, record);
        let report = run_flow(target, agent, options, &mut per_run).await;
        let failed = report.failure().is_some();
        reports.push(report);
        if failed {
            break;
        }
    }
    reports
}

/// One run's state.
struct Run<'a> {
    target: &'a Target,
    agent: Agent<'a>,
    options: &'a FlowOptions,
    /// The HTTP user agent (navigation for `Agent::Http`, `/api/v1/authn` for both).
    http: UserAgent,
    /// The redirect URI as configured, parsed.
    redirect_uri: Url,
    /// For raw introspection calls (refresh tokens, status codes).
    raw_http: Arc<ReqwestHttpClient>,
}

/// The tokens of the session as it goes on (a refresh replaces some).
struct Session {
    tokens: TokenSet,
    id_token: okta_flow::IdToken,
    subject: String,
}

impl<'a> Run<'a> {
    fn new(target: &'a Target, agent: Agent<'a>, options: &'a FlowOptions) -> Result<Self, String> {
        let client =
            target.settings().client().ok_or_else(|| "the settings have no client".to_owned())?;
        let redirect_uri = client
            .redirect_uri()
            .ok_or_else(|| "the settings have no redirect_uri".to_owned())?
            .url()
            .clone();
        let mut http = UserAgent::new().map_err(|err| err.to_string())?;
        let listener = target.listener();
        let mut unserved = vec![redirect_uri.clone()];
        unserved.extend(client.post_logout_redirect_uri().map(|uri| uri.url().clone()));
        for uri in unserved {
            if !listener.is_some_and(|listener| listener.serves(&uri)) {
                http = http.stopping_before(uri);
            }
        }
        let raw_http = Arc::new(
            ReqwestHttpClient::from_settings(target.settings()).map_err(|err| err.to_string())?,
        );
        Ok(Self { target, agent, options, http, redirect_uri, raw_http })
    }

    async fn drive(&self, rec: &mut Recorder<'_>) -> Result<(), Stopped> {
        let client = rec.run(Step::Discovery, self.discovery()).await?.ok_or(Stopped)?;
        let (url, pending, nonce) = rec
            .run(Step::AuthorizationUrl, async { self.authorization_url(&client) })
            .await?
            .ok_or(Stopped)?;
        let location = rec.run(Step::SignIn, self.sign_in(&url)).await?.ok_or(Stopped)?;
        let query = match rec.run(Step::Redirect, self.redirect(location.as_ref())).await? {
            Some(query) => query,
            // No listener: the query was read from the Location header.
            None => location.as_ref().and_then(Url::query).unwrap_or_default().to_owned(),
        };
        let code = rec
            .run(Step::StateCheck, async { Self::state_check(&client, &query, &pending) })
            .await?
            .ok_or(Stopped)?;
        let tokens = rec
            .run(Step::CodeExchange, self.code_exchange(&client, code, &pending))
            .await?
            .ok_or(Stopped)?;
        let mut session =
            rec.run(Step::IdToken, self.id_token(&client, tokens, &nonce)).await?.ok_or(Stopped)?;
        rec.run(Step::AccessToken, self.access_token(&client, &session)).await?;
        rec.run(Step::UserInfo, self.userinfo(&client, &session)).await?;
        if let Some(refreshed) = rec.run(Step::Refresh, self.refresh(&client, &session)).await? {
            session = refreshed;
        }
        let introspection = rec.run(Step::Introspect, self.introspect(&client, &session)).await?;
        rec.run(Step::Revoke, self.revoke(&client, &session, introspection.is_some())).await?;
        rec.run(Step::Logout, self.logout(&client, &session)).await?;
        Ok(())
    }

    async fn discovery(&self) -> StepResult<OktaClient> {
        let settings = self.target.settings();
        let client = OktaClient::builder(settings)
            .clock(self.target.clock().clone())
            .discover()
            .await
            .map_err(fail)?;
        let metadata = client.metadata();
        let method = self.auth_method();
        let methods = metadata.token_endpoint_auth_methods();
        if !methods.is_empty() && !methods.iter().any(|advertised| advertised == method.as_str()) {
            return Err(Halt::Fail(format!(
                "the configured client authentication {method} is not in \
                 token_endpoint_auth_methods_supported {methods:?}: set client_auth_method to one of them"
            )));
        }
        let detail = format!(
            "issuer {} matches; {method} advertised; PKCE {}",
            metadata.issuer(),
            metadata.code_challenge_methods().join(", ")
        );
        Ok((client, detail))
    }

    fn authorization_url(&self, client: &OktaClient) -> StepResult<(Url, PendingLogin, String)> {
        let mut options = AuthorizeOptions::new();
        if self.options.consent.is_some() {
            options = options.prompt(Prompt::Consent);
        }
        let (url, pending) = client.authorize(&options).map_err(fail)?;
        let endpoint = client.metadata().authorization_endpoint().clone();
        let param = |name: &str| {
            url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
        };
        let expect = |ok: bool, what: &str| {
            if ok { Ok(()) } else { Err(Halt::Fail(format!("the authorization URL {what}"))) }
        };
        expect(
            url.origin() == endpoint.origin() && url.path() == endpoint.path(),
            "does not point at the authorization_endpoint",
        )?;
        expect(param("response_type").as_deref() == Some("code"), "lacks response_type=code")?;
        let client_id = self.target.settings().client().map(|c| c.id().as_str().to_owned());
        expect(param("client_id") == client_id, "has another client_id")?;
        expect(
            param("redirect_uri").as_deref() == Some(pending.redirect_uri()),
            "has another redirect_uri than the configured one",
        )?;
        let state = param("state").unwrap_or_default();
        let nonce = param("nonce").unwrap_or_default();
        expect(state.len() >= 32, "has no state of 32 or more characters")?;
        expect(nonce.len() >= 32, "has no nonce of 32 or more characters")?;
        expect(
            param("code_challenge_method").as_deref() == Some("S256"),
            "does not use PKCE S256",
        )?;
        expect(
            param("code_challenge").is_some_and(|c| c.len() == 43),
            "has no S256 code_challenge",
        )?;
        let scope = param("scope").unwrap_or_default();
        expect(scope.split(' ').any(|s| s == "openid"), "does not ask for openid")?;
        let prompt = param("prompt").map(|p| format!(", prompt={p}")).unwrap_or_default();
        let detail = format!(
            "{} with state ({} chars), nonce ({} chars), PKCE S256, scope \"{scope}\"{prompt}",
            redacted_url(&url),
            state.len(),
            nonce.len()
        );
        Ok(((url, pending, nonce), detail))
    }

    /// Signs in; returns where the navigation stopped when nobody listens at the redirect URI.
    async fn sign_in(&self, url: &Url) -> StepResult<Option<Url>> {
        self.forget_earlier_redirects().await;
        let credentials = &self.options.credentials;
        let mut url = url.clone();
        let mut how = String::new();
        if self.options.sign_in == SignInMethod::SessionToken {
            let token = self.http.authn(&self.target.origin(), credentials).await.map_err(fail)?;
            url.query_pairs_mut().append_pair("sessionToken", token.secret());
            how.push_str("/api/v1/authn gave a sessionToken; ");
        }
        match self.agent {
            Agent::Http => {
                let mut page = self.http.open(&url).await.map_err(fail)?;
                if self.options.sign_in == SignInMethod::Form {
                    if !page.has_element("username") {
                        return Err(Halt::Fail(no_form(&page)));
                    }
                    let fields = [
                        ("username", credentials.username()),
                        ("password", credentials.password()),
                    ];
                    page = self.http.submit(&page, Some("submit"), &fields).await.map_err(fail)?;
                    how.push_str("sign-in form posted without JavaScript");
                } else {
                    how.push_str("/authorize opened with it");
                }
                if page.has_element("error") {
                    return Err(Halt::Fail(refused(credentials, page.text_of("error"))));
                }
                let mut consent = String::new();
                if page.has_element("allow") {
                    let decision = self.options.consent.unwrap_or(ConsentDecision::Allow);
                    page =
                        self.http.submit(&page, Some(button(decision)), &[]).await.map_err(fail)?;
                    consent = format!(", consent: {}", button(decision));
                }
                Self::expect_back(&page)?;
                let cookies =
                    self.http.cookie_names(self.target.origin().host_str().unwrap_or_default());
                let detail = format!(
                    "{how} as {}{consent}; {} redirect(s); session cookie(s) {cookies:?}",
                    credentials.username(),
                    page.redirects()
                );
                Ok((page.stopped_before().cloned(), detail))
            }
            Agent::Browser(browser) => {
                browser.goto(&url).await.map_err(fail)?;
                if self.options.sign_in == SignInMethod::Form {
                    let found =
                        browser.wait_for_any(&["username", "error-code"]).await.map_err(fail)?;
                    if found != "username" {
                        let error = browser.text_of("error-description").await.ok().flatten();
                        return Err(Halt::Fail(format!(
                            "no sign-in form: the server shows an error page ({})",
                            error.unwrap_or_default()
                        )));
                    }
                    browser.type_into("username", credentials.username()).await.map_err(fail)?;
                    browser.type_into("password", credentials.password()).await.map_err(fail)?;
                    browser.click("submit").await.map_err(fail)?;
                    how.push_str(
                        "headless Chromium filled #username and #password and clicked #submit",
                    );
                } else {
                    how.push_str("headless Chromium opened /authorize with it");
                }
                let mut consent = String::new();
                let mut location = self.browser_back(browser, &["error", "allow"]).await?;
                if location.is_none() && browser.has_element("error").await.map_err(fail)? {
                    let text = browser.text_of("error").await.ok().flatten();
                    return Err(Halt::Fail(refused(credentials, text)));
                }
                if location.is_none() && browser.has_element("allow").await.map_err(fail)? {
                    let decision = self.options.consent.unwrap_or(ConsentDecision::Allow);
                    browser.click(button(decision)).await.map_err(fail)?;
                    consent = format!(", consent: {}", button(decision));
                    location = self.browser_back(browser, &[]).await?;
                }
                let detail = format!("{how} as {}{consent}", credentials.username());
                Ok((location, detail))
            }
        }
    }

    /// Waits until the browser is back at the application (the listener's page, or a URL nobody
    /// serves) or shows one of `stop_ids`. Returns the URL when nobody listens.
    async fn browser_back(
        &self,
        browser: &Browser,
        stop_ids: &[&str],
    ) -> Result<Option<Url>, Halt> {
        let deadline = tokio::time::Instant::now() + self.options.step_timeout / 2;
        loop {
            if browser.has_element(CALLBACK_PAGE_ID).await.map_err(fail)? {
                return Ok(None);
            }
            for id in stop_ids {
                if browser.has_element(id).await.map_err(fail)? {
                    return Ok(None);
                }
            }
            let current = browser.current_url().await.map_err(fail)?;
            if self.target.listener().is_none_or(|listener| !listener.serves(&current))
                && same_endpoint(&current, &self.redirect_uri)
            {
                return Ok(Some(current));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Halt::Fail(format!(
                    "the browser did not come back to the application; it shows {}",
                    redacted_url(&current)
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn expect_back(page: &Page) -> Result<(), Halt> {
        if page.has_element(CALLBACK_PAGE_ID) || page.stopped_before().is_some() {
            return Ok(());
        }
        let error =
            page.text_of("error-description").map(|text| format!(": {text}")).unwrap_or_default();
        Err(Halt::Fail(format!(
            "the browser did not come back to the application: it ended at {} (HTTP {}){error}",
            redacted_url(page.url()),
            page.status()
        )))
    }

    async fn redirect(&self, location: Option<&Url>) -> StepResult<String> {
        let path = self.redirect_uri.path();
        match self.target.listener() {
            Some(listener) => {
                let caught =
                    listener.next_at(path, self.options.step_timeout / 2).await.map_err(fail)?;
                let detail = format!(
                    "GET {path} on {} with {}",
                    listener.local_addr(),
                    caught.parameter_names().join(", ")
                );
                Ok((caught.query().to_owned(), detail))
            }
            None if location.is_some() => Err(Halt::Skip(format!(
                "the redirect URI {} is not a loopback address, so no listener can catch it: the \
                 code was read from the Location header instead",
                redacted_url(&self.redirect_uri)
            ))),
            None => Err(Halt::Fail("the sign-in did not redirect to the redirect URI".to_owned())),
        }
    }

    fn state_check(
        client: &OktaClient,
        query: &str,
        pending: &PendingLogin,
    ) -> StepResult<okta_flow::AuthorizationCode> {
        let code = client.handle_callback(query, pending).map_err(fail)?;
        let iss = if url::form_urlencoded::parse(query.as_bytes()).any(|(key, _)| key == "iss") {
            "RFC 9207 iss matches"
        } else {
            "no iss parameter (RFC 9207 not advertised)"
        };
        let detail = format!(
            "state matches (constant-time comparison); {iss}; code ({} chars)",
            code.secret().len()
        );
        Ok((code, detail))
    }

    async fn code_exchange(
        &self,
        client: &OktaClient,
        code: okta_flow::AuthorizationCode,
        pending: &PendingLogin,
    ) -> StepResult<TokenSet> {
        let tokens = client.exchange_code(code, pending).await.map_err(fail)?;
        let method = self.auth_method();
        let mut seen = "";
        if let Some(server) = self.target.devserver_handle() {
            let token_path = client.metadata().token_endpoint().path().to_owned();
            let presented = server
                .requests()
                .iter()
                .rev()
                .find(|request| request.method() == Method::POST && request.path() == token_path)
                .map(|request| request.client_auth().clone());
            let matches = matches!(
                (method, &presented),
                (
                    ClientAuthMethod::ClientSecretBasic,
                    Some(SeenAuthentication::ClientSecretBasic { .. })
                ) | (
                    ClientAuthMethod::ClientSecretPost,
                    Some(SeenAuthentication::ClientSecretPost { .. })
                )
            );
            if !matches {
                return Err(Halt::Fail(format!(
                    "the token request did not use {method}: the server saw {presented:?}"
                )));
            }
            seen = " (the server saw it)";
        }
        let expires = tokens
            .expires_at()
            .and_then(|at| at.duration_since(self.target.clock().now()).ok())
            .map_or_else(
                || "no expires_in".to_owned(),
                |left| format!("expires in {} s", left.as_secs().saturating_add(1)),
            );
        let detail = format!(
            "{method}{seen}, PKCE verifier sent; access token ({} bytes), ID token ({} bytes), \
             refresh token {}, scope \"{}\", {expires}",
            tokens.access_token().secret().len(),
            tokens.id_token().map_or(0, |token| token.secret().len()),
            if tokens.refresh_token().is_some() { "granted" } else { "not granted" },
            tokens.scopes().join(" ")
        );
        Ok((tokens, detail))
    }

    async fn id_token(
        &self,
        client: &OktaClient,
        tokens: TokenSet,
        nonce: &str,
    ) -> StepResult<Session> {
        let mut options = IdTokenOptions::from_settings(self.target.settings()).map_err(fail)?;
        options.clock = self.target.clock().clone();
        let verifier = IdTokenVerifier::new(options, client.keys()).map_err(fail)?;
        let id_token = tokens
            .id_token()
            .cloned()
            .ok_or_else(|| Halt::Fail("the token response has no ID token".to_owned()))?;
        let checks = IdTokenChecks::new(nonce).with_access_token(tokens.access_token().secret());
        let verified = verifier.verify(id_token.secret(), &checks).await.map_err(fail)?;
        let claims = verified.claims();
        let detail = format!(
            "{} signature (kid {}), iss, aud {}, exp/iat, nonce of the URL, at_hash; sub {}",
            verified.algorithm(),
            short(verified.kid().unwrap_or("none")),
            claims.aud.join(" "),
            claims.sub
        );
        let subject = claims.sub.clone();
        Ok((Session { tokens, id_token, subject }, detail))
    }

    async fn access_token(&self, client: &OktaClient, session: &Session) -> StepResult<()> {
        let settings = self.target.settings();
        if settings.issuer().is_org() {
            return Err(Halt::Skip(
                "the org authorization server's access tokens cannot be verified locally (Okta \
                 does not publish their keys): introspection checks them below"
                    .to_owned(),
            ));
        }
        if settings.audiences().is_empty() {
            return Err(self.unavailable(
                "no audience configured for this custom authorization server: set audience \
                 (OKTA_AUDIENCE) to its Audience (Security > API > Authorization Servers)",
            ));
        }
        let mut options = AccessTokenOptions::from_settings(settings);
        if options.client_ids.is_empty() && !options.any_client {
            // The sign-in's own client: the access token was issued to it.
            options.client_ids =
                settings.client().map(|client| vec![client.id().clone()]).unwrap_or_default();
        }
        options.clock = self.target.clock().clone();
        let keys = client.keys();
        let verifier = AccessTokenVerifier::new(options, keys.clone()).map_err(fail)?;
        let verified =
            verifier.verify(session.tokens.access_token().secret()).await.map_err(fail)?;
        let fetches = keys.fetch_count();
        if self.target.is_devserver() && fetches != 1 {
            return Err(Halt::Fail(format!(
                "the access-token verifier did not share the client's key cache: {fetches} /keys fetches"
            )));
        }
        let claims = verified.claims();
        let detail = format!(
            "signature from the client's key cache ({fetches} /keys fetch in all), aud {}, cid {}, scp {}",
            claims.aud.join(" "),
            claims.cid.as_deref().unwrap_or("none"),
            claims.scp.join(" ")
        );
        Ok(((), detail))
    }

    async fn userinfo(&self, client: &OktaClient, session: &Session) -> StepResult<()> {
        let user =
            client.userinfo(session.tokens.access_token(), &session.subject).await.map_err(fail)?;
        let detail = format!(
            "sub matches the ID token; email {}, name {}",
            user.email().unwrap_or("(none)"),
            user.name().unwrap_or("(none)")
        );
        Ok(((), detail))
    }

    async fn refresh(&self, client: &OktaClient, session: &Session) -> StepResult<Session> {
        let Some(refresh_token) = session.tokens.refresh_token() else {
            return Err(self.unavailable(
                "no refresh token was granted: ask for the offline_access scope (scopes / \
                 OKTA_SCOPES) and allow the Refresh Token grant for the app",
            ));
        };
        let tokens = client.refresh(refresh_token, &session.subject).await.map_err(fail)?;
        let rotated =
            tokens.refresh_token().is_some_and(|new| new.secret() != refresh_token.secret());
        let id_token = tokens.id_token().cloned();
        let detail = format!(
            "new access token ({} bytes){}; refresh token {}",
            tokens.access_token().secret().len(),
            if id_token.is_some() { ", new ID token verified with the same sub" } else { "" },
            if rotated { "rotated" } else { "kept" }
        );
        let session = Session {
            id_token: id_token.unwrap_or_else(|| session.id_token.clone()),
            tokens,
            subject: session.subject.clone(),
        };
        Ok((session, detail))
    }

    async fn introspect(&self, client: &OktaClient, session: &Session) -> StepResult<()> {
        let access = session.tokens.access_token().secret();
        let introspected = match client.introspect(access).await {
            Ok(introspected) => introspected,
            Err(err @ VerifyError::IntrospectionFailed { .. }) => {
                // Learn the status: an org may not let this client introspect.
                let (status, body) = self.raw_introspect(access, "access_token").await?;
                if !self.target.is_devserver() && matches!(status, 401 | 403) {
                    return Err(Halt::Skip(format!(
                        "the org refused introspection for this client (HTTP {status}, {}): \
                         allow it for the app, or check client_id and client_secret",
                        body.get("error")
                            .and_then(serde_json::Value::as_str)
                            .unwrap_or("no error code")
                    )));
                }
                return Err(fail(err));
            }
            Err(err) => return Err(fail(err)),
        };
        let claims = introspected.claims();
        let mut detail = format!(
            "access token active; client_id {}, sub {}, scope \"{}\", token_type {}",
            claims.client_id.as_deref().unwrap_or("none"),
            claims.sub.as_deref().unwrap_or("none"),
            claims.scope.join(" "),
            claims.token_type.as_deref().unwrap_or("none")
        );
        if let Some(refresh_token) = session.tokens.refresh_token() {
            let (status, body) =
                self.raw_introspect(refresh_token.secret(), "refresh_token").await?;
            if status != 200 || body.get("active") != Some(&serde_json::Value::Bool(true)) {
                return Err(Halt::Fail(format!(
                    "the refresh token is not active (HTTP {status}, active {:?})",
                    body.get("active")
                )));
            }
            detail.push_str("; refresh token active");
        }
        Ok(((), detail))
    }

    async fn revoke(
        &self,
        client: &OktaClient,
        session: &Session,
        introspection_works: bool,
    ) -> StepResult<()> {
        let access = session.tokens.access_token();
        let refresh = session.tokens.refresh_token();
        if let Some(refresh_token) = refresh {
            client.revoke(Revocable::RefreshToken(refresh_token)).await.map_err(fail)?;
        }
        client.revoke(Revocable::AccessToken(access)).await.map_err(fail)?;
        let mut checks = Vec::new();
        if introspection_works {
            match client.introspect(access.secret()).await {
                Err(VerifyError::IntrospectionInactive) => checks.push("access token inactive"),
                Ok(_) => {
                    return Err(Halt::Fail(
                        "introspection still says the access token is active".to_owned(),
                    ));
                }
                Err(err) => return Err(fail(err)),
            }
            if let Some(refresh_token) = refresh {
                let (status, body) =
                    self.raw_introspect(refresh_token.secret(), "refresh_token").await?;
                if status != 200 || body.get("active") != Some(&serde_json::Value::Bool(false)) {
                    return Err(Halt::Fail(format!(
                        "introspection does not say the refresh token is inactive (HTTP {status}, active {:?})",
                        body.get("active")
                    )));
                }
                checks.push("refresh token inactive");
            }
        } else {
            checks.push("inactive not confirmed: introspection is not allowed for this client");
        }
        if let Some(refresh_token) = refresh {
            match client.refresh(refresh_token, &session.subject).await {
                Err(TokenError::Rejected { code: TokenErrorCode::InvalidGrant, .. }) => {
                    checks.push("refreshing with it now gives invalid_grant");
                }
                Ok(_) => {
                    return Err(Halt::Fail("the revoked refresh token still works".to_owned()));
                }
                Err(err) => return Err(fail(err)),
            }
        }
        let revoked = if refresh.is_some() { "refresh and access tokens" } else { "access token" };
        Ok(((), format!("{revoked} revoked; {}", checks.join("; "))))
    }

    async fn logout(&self, client: &OktaClient, session: &Session) -> StepResult<()> {
        let state = OktaClient::new_logout_state();
        let url = client.logout_url(&session.id_token, None, Some(&state)).map_err(fail)?;
        let post_logout = self
            .target
            .settings()
            .client()
            .and_then(|client| client.post_logout_redirect_uri())
            .map(|uri| uri.url().clone());
        let landing = self.navigate(&url).await?;
        let came_back = match &post_logout {
            Some(expected) => {
                let query = self.query_back_at(expected, landing.as_ref()).await?;
                let echoed = url::form_urlencoded::parse(query.as_bytes())
                    .find(|(key, _)| key == "state")
                    .is_some_and(|(_, value)| value == state.as_str());
                if !echoed {
                    return Err(Halt::Fail(
                        "the post-logout redirect did not carry our state back".to_owned(),
                    ));
                }
                format!("back at {} with our state", redacted_url(expected))
            }
            None => "no post_logout_redirect_uri configured: Okta showed its own page".to_owned(),
        };
        // The session at the authorization server is gone: prompt=none must now fail.
        let (url, pending) =
            client.authorize(&AuthorizeOptions::new().prompt(Prompt::None)).map_err(fail)?;
        let landing = self.navigate(&url).await?;
        let query = self.query_back_at(&self.redirect_uri, landing.as_ref()).await?;
        match client.handle_callback(&query, &pending) {
            Err(CallbackError::Authorization {
                code: AuthorizationErrorCode::LoginRequired,
                ..
            }) => {}
            Ok(_) => {
                return Err(Halt::Fail(
                    "the session survived the logout: prompt=none still signs the user in"
                        .to_owned(),
                ));
            }
            Err(err) => return Err(fail(err)),
        }
        Ok((
            (),
            format!("{came_back}; the session has ended (prompt=none now gives login_required)"),
        ))
    }

    /// Opens `url` with the agent; returns where it stopped when it reached a URI nobody serves.
    async fn navigate(&self, url: &Url) -> Result<Option<Url>, Halt> {
        self.forget_earlier_redirects().await;
        match self.agent {
            Agent::Http => {
                let page = self.http.open(url).await.map_err(fail)?;
                Ok(page.stopped_before().cloned())
            }
            Agent::Browser(browser) => {
                browser.goto(url).await.map_err(fail)?;
                Ok(None)
            }
        }
    }

    /// Drops whatever the listener caught before this navigation (a browser may request a page
    /// twice), so the next redirect waited for is the one this navigation causes.
    async fn forget_earlier_redirects(&self) {
        if let Some(listener) = self.target.listener() {
            listener.clear().await;
        }
    }

    /// The query of the redirect to `expected`: caught by the listener when it serves that URI,
    /// else read from where the navigation stopped.
    async fn query_back_at(&self, expected: &Url, stopped: Option<&Url>) -> Result<String, Halt> {
        let wait = self.options.step_timeout / 2;
        match self.target.listener() {
            Some(listener) if listener.serves(expected) => {
                Ok(listener.next_at(expected.path(), wait).await.map_err(fail)?.query().to_owned())
            }
            _ => {
                let at = match (self.agent, stopped) {
                    (_, Some(url)) => url.clone(),
                    (Agent::Browser(browser), None) => browser.current_url().await.map_err(fail)?,
                    (Agent::Http, None) => {
                        return Err(Halt::Fail(format!(
                            "the browser was not sent to {}",
                            redacted_url(expected)
                        )));
                    }
                };
                if !same_endpoint(&at, expected) {
                    return Err(Halt::Fail(format!(
                        "the browser went to {} instead of {}",
                        redacted_url(&at),
                        redacted_url(expected)
                    )));
                }
                Ok(at.query().unwrap_or_default().to_owned())
            }
        }
    }

    /// Introspects with a raw request, for what the library does not expose: refresh tokens and
    /// the HTTP status.
    async fn raw_introspect(
        &self,
        token: &str,
        hint: &str,
    ) -> Result<(u16, serde_json::Value), Halt> {
        let settings = self.target.settings();
        let credentials = ClientCredentials::from_settings(settings).map_err(fail)?;
        let request = credentials
            .form_request(
                &settings.issuer().introspect_url(),
                &[("token", token), ("token_type_hint", hint)],
            )
            .map_err(fail)?;
        let response = self.raw_http.execute(request).await.map_err(fail)?;
        let body = serde_json::from_slice(response.body()).unwrap_or_default();
        Ok((response.status().as_u16(), body))
    }

    fn auth_method(&self) -> ClientAuthMethod {
        self.target
            .settings()
            .client()
            .map_or(ClientAuthMethod::ClientSecretBasic, okta_config::ClientSettings::auth_method)
    }

    /// A step the server does not allow: skipped against an org, failed against the devserver
    /// (which allows everything).
    fn unavailable(&self, reason: &str) -> Halt {
        if self.target.is_devserver() {
            Halt::Fail(format!("{reason} (the local server should allow it)"))
        } else {
            Halt::Skip(reason.to_owned())
        }
    }
}

/// A failed step, with the error's causes that its message does not already say.
pub(crate) fn fail(err: impl StdError) -> Halt {
    Halt::Fail(describe(&err))
}

/// An error and the causes its message does not already include.
pub(crate) fn describe(err: &dyn StdError) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    message
}

fn no_form(page: &Page) -> String {
    let error =
        page.text_of("error-description").map(|text| format!(": {text}")).unwrap_or_default();
    format!("no sign-in form at {} (HTTP {}){error}", redacted_url(page.url()), page.status())
}

fn refused(credentials: &Credentials, text: Option<String>) -> String {
    format!(
        "the sign-in page refused the credentials of {} (#error: {})",
        credentials.username(),
        text.unwrap_or_default()
    )
}

fn button(decision: ConsentDecision) -> &'static str {
    match decision {
        ConsentDecision::Allow => "allow",
        ConsentDecision::Deny => "deny",
    }
}

/// The first 8 characters of a long public identifier (a `kid`), so reports stay narrow.
fn short(id: &str) -> String {
    match id.char_indices().nth(8) {
        Some((at, _)) => format!("{}...", &id[..at]),
        None => id.to_owned(),
    }
}

fn same_endpoint(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin() && a.path() == b.path()
}

fn slug(step: Step) -> String {
    step.name().replace(' ', "-").to_ascii_lowercase()
}

fn unix_millis() -> u128 {
    okta_verify::Clock::system().now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()
}
