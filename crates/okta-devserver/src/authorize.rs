//! `/v1/authorize` with its sign-in form and consent page, sessions (`sid` cookie) and
//! `sessionToken`s, ending in a redirect to the client with a code or an error.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::authorization_servers::ServerInfo;
use crate::config::{GrantType, User, UserStatus};
use crate::crypto::{random_token, secrets_equal};
use crate::error::Refusal;
use crate::extract::Server;
use crate::faults::Fault;
use crate::form::Params;
use crate::pages;
use crate::sessions::{create_session, session_from_cookie, set_session_cookie};
use crate::state::{AppState, Shared};
use crate::store::{AuthRequest, CodeGrant, ResponseMode, Session, SignedIn, Transaction};

/// Sign-in transactions expire after this many seconds.
const TRANSACTION_LIFETIME: u64 = 600;

/// What the sign-in form says after a wrong username or password.
const WRONG: &str = "Unable to sign in: the username or password is incorrect.";

/// `GET /v1/authorize`.
pub(crate) async fn authorize(
    State(shared): State<AppState>,
    Server(server): Server,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let (request, back) = match validate(&shared, &server, &params) {
        Ok(valid) => valid,
        Err(Rejection::Page(response)) => return *response,
        Err(Rejection::Back(back, error, description)) => {
            return back.error(&shared, &server, error, description);
        }
    };
    let prompt = Prompt::parse(params.get("prompt")).unwrap_or_default();
    let max_age = params.get("max_age").and_then(|value| value.parse::<u64>().ok());
    let now = shared.now();

    let mut new_session = None;
    let mut fresh = false;
    let mut session = session_from_cookie(&shared, &headers);
    if session.is_none() {
        // Classic Okta ignores `sessionToken` when a session cookie exists; so do we.
        if let Some(token) = params.get("sessionToken").filter(|token| !token.is_empty())
            && let Some(username) = redeem_session_token(&shared, token)
        {
            let (sid, created) = create_session(&shared, &username);
            new_session = Some(sid);
            session = Some(created);
            fresh = true;
        }
    }
    let too_old = |session: &Session| {
        max_age.is_some_and(|max_age| now >= session.auth_time.saturating_add(max_age))
    };
    let signed_in = session
        .filter(|session| fresh || (!prompt.login && !too_old(session)))
        .map(|session| SignedIn { username: session.username, auth_time: session.auth_time });

    let mut response = match signed_in {
        None if prompt.none => back.error(
            &shared,
            &server,
            "login_required",
            "The client specified not to prompt, but the user is not logged in.",
        ),
        None => {
            let login_hint = request.login_hint.clone();
            let transaction = start_transaction(&shared, request, None);
            pages::sign_in(&transaction, login_hint.as_deref(), None, StatusCode::OK)
        }
        Some(signed_in) if request.consent => {
            let (client_id, scopes) = (request.client_id.clone(), request.scopes.clone());
            let transaction = start_transaction(&shared, request, Some(signed_in));
            pages::consent(&transaction, &client_id, &scopes)
        }
        Some(signed_in) => {
            let code = issue_code(&shared, request, signed_in);
            back.respond(&shared, &server, vec![("code", code)])
        }
    };
    if let Some(sid) = new_session {
        set_session_cookie(&mut response, &sid);
    }
    response
}

/// `POST /login/signin`: the sign-in form.
pub(crate) async fn sign_in(State(shared): State<AppState>, body: Bytes) -> Response {
    let form = Params::parse(&body);
    let Some((transaction_id, transaction)) = transaction(&shared, &form) else {
        return expired_transaction();
    };
    let username = form.get("username").unwrap_or_default();
    let password = form.get("password").unwrap_or_default();
    let user = match check_password(&shared, username, password) {
        Ok(user) => user,
        Err(message) => {
            tracing::info!(username, "sign-in failed");
            let hint = Some(username).filter(|name| !name.is_empty());
            return pages::sign_in(&transaction_id, hint, Some(message), StatusCode::UNAUTHORIZED);
        }
    };
    let (sid, session) = create_session(&shared, user.username());
    let signed_in = SignedIn { username: session.username, auth_time: session.auth_time };
    let mut response = if transaction.request.consent {
        shared.store.with(|store| {
            if let Some(pending) = store.transactions.get_mut(&transaction_id) {
                pending.signed_in = Some(signed_in);
            }
        });
        pages::consent(&transaction_id, &transaction.request.client_id, &transaction.request.scopes)
    } else {
        // Removing is the single-use check: of two concurrent posts, one finds nothing.
        match shared.store.with(|store| store.transactions.remove(&transaction_id)) {
            Some(transaction) => finish(&shared, transaction.request, signed_in),
            None => expired_transaction(),
        }
    };
    set_session_cookie(&mut response, &sid);
    response
}

/// The user whose username and password these are, or what the sign-in form says instead.
pub(crate) fn check_password(
    shared: &Shared,
    username: &str,
    password: &str,
) -> Result<User, &'static str> {
    match shared.user(username) {
        None => Err(WRONG),
        // A locked-out account is refused whatever the password.
        Some(user) if user.status() == UserStatus::LockedOut => {
            Err("Your account is locked. Contact your administrator.")
        }
        Some(user) if !secrets_equal(user.password(), password) => Err(WRONG),
        Some(user) => match user.status() {
            UserStatus::MfaRequired => Err("This user must verify with a second factor, which \
                 okta-devserver does not offer (status MFA_REQUIRED)."),
            UserStatus::PasswordExpired => Err("This user's password has expired and \
                 okta-devserver cannot change it (status PASSWORD_EXPIRED)."),
            _ => Ok(user),
        },
    }
}

/// `POST /login/consent`: the consent page's buttons.
pub(crate) async fn consent(State(shared): State<AppState>, body: Bytes) -> Response {
    let form = Params::parse(&body);
    let now = shared.now();
    let transaction = form.get("tx").and_then(|id| {
        shared.store.with(|store| {
            // Only a signed-in transaction is taken (single use); any other is left alone.
            let signed_in =
                store.transactions.get(id).is_some_and(|pending| pending.signed_in.is_some());
            if signed_in { store.transactions.remove(id) } else { None }
        })
    });
    let Some(transaction) = transaction.filter(|transaction| now < transaction.expires_at) else {
        return expired_transaction();
    };
    let Some(signed_in) = transaction.signed_in else {
        return expired_transaction();
    };
    if form.get("decision") == Some("allow") {
        return finish(&shared, transaction.request, signed_in);
    }
    let Some(server) = shared.server(&transaction.request.server) else {
        return expired_transaction();
    };
    Back::of(&transaction.request).error(
        &shared,
        &server,
        "access_denied",
        "The resource owner or authorization server denied the request.",
    )
}

/// Issues the code of a completed transaction and redirects.
fn finish(shared: &Shared, request: AuthRequest, signed_in: SignedIn) -> Response {
    let Some(server) = shared.server(&request.server) else {
        return expired_transaction();
    };
    let back = Back::of(&request);
    let code = issue_code(shared, request, signed_in);
    back.respond(shared, &server, vec![("code", code)])
}

/// Why an `/authorize` request was refused.
enum Rejection {
    /// Not safe to redirect: show a page.
    Page(Box<Response>),
    /// Redirect back with `error` and `error_description`.
    Back(Back, &'static str, String),
}

fn validate(
    shared: &Shared,
    server: &ServerInfo,
    params: &Params,
) -> Result<(AuthRequest, Back), Rejection> {
    let page = |code: &str, description: &str| {
        Rejection::Page(Box::new(pages::error(StatusCode::BAD_REQUEST, code, description)))
    };
    let client_id = match params.single("client_id") {
        Ok(Some(id)) => id,
        Ok(None) => return Err(page("invalid_request", "The 'client_id' parameter is required.")),
        Err(_) => {
            return Err(page(
                "invalid_request",
                "The 'client_id' parameter was provided more than once.",
            ));
        }
    };
    let Some(client) = shared.client(client_id) else {
        return Err(page("invalid_client", "Invalid value for 'client_id' parameter."));
    };
    let redirect_uri = match params.single("redirect_uri") {
        Ok(Some(uri)) if client.redirect_uris().iter().any(|known| known == uri) => uri,
        _ => {
            return Err(page(
                "invalid_request",
                "The 'redirect_uri' parameter must be a Login redirect URI in the client app \
                 settings.",
            ));
        }
    };
    let state = params
        .single("state")
        .ok()
        .flatten()
        .filter(|state| valid_state(state, shared.strict_state));
    let mut back = Back {
        redirect_uri: redirect_uri.to_owned(),
        mode: ResponseMode::Query,
        state: state.map(str::to_owned),
    };
    let reject = |back: &Back, error: &'static str, description: &str| {
        Err(Rejection::Back(back.clone(), error, description.to_owned()))
    };
    back.mode = match params.single("response_mode") {
        Ok(None | Some("query")) => ResponseMode::Query,
        Ok(Some("fragment")) => ResponseMode::Fragment,
        Ok(Some("form_post")) => ResponseMode::FormPost,
        _ => {
            return reject(
                &back,
                "unsupported_response_mode",
                "The response mode is not supported by the authorization server. Supported response modes: [query, fragment, form_post].",
            );
        }
    };
    if let Some(name) = params.first_duplicate() {
        return reject(
            &back,
            "invalid_request",
            &format!("The '{name}' parameter was provided more than once."),
        );
    }
    match params.get("response_type").filter(|value| !value.is_empty()) {
        None => {
            return reject(&back, "invalid_request", "The 'response_type' parameter is required.");
        }
        Some("code") => {}
        Some(_) => {
            return reject(
                &back,
                "unsupported_response_type",
                "The response type is not supported by the authorization server. Configured response types: [code].",
            );
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        let configured = client.grant_type_names();
        return reject(
            &back,
            "unauthorized_client",
            &format!(
                "The client is not authorized to use the provided grant type. Configured grant types: [{configured}]."
            ),
        );
    }
    let Some(state) = state else {
        return reject(
            &back,
            "invalid_request",
            "The authentication request has an invalid 'state' parameter.",
        );
    };
    let scopes = parse_scopes(params.get("scope"));
    if scopes.is_empty() {
        return reject(
            &back,
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
        );
    }
    if scopes.iter().any(|scope| !server.accepts_scope(scope)) {
        return reject(
            &back,
            "invalid_scope",
            "One or more scopes are not configured for the authorization server resource.",
        );
    }
    let challenge = params.get("code_challenge").filter(|value| !value.is_empty());
    let method = params.get("code_challenge_method").filter(|value| !value.is_empty());
    match (challenge, method) {
        (None, None) if client.requires_pkce() => {
            return reject(
                &back,
                "invalid_request",
                "PKCE code challenge is required by this client.",
            );
        }
        (None, Some(_)) => {
            return reject(
                &back,
                "invalid_request",
                "The 'code_challenge' parameter is required when 'code_challenge_method' is sent.",
            );
        }
        (Some(_), method) if method != Some("S256") => {
            return reject(&back, "invalid_request", "PKCE code challenge method must be 'S256'.");
        }
        (Some(challenge), _) if !valid_challenge(challenge) => {
            return reject(
                &back,
                "invalid_request",
                "PKCE code challenge contains illegal characters or has the wrong length.",
            );
        }
        (None | Some(_), _) => {}
    }
    if Prompt::parse(params.get("prompt")).is_none() {
        return reject(
            &back,
            "invalid_request",
            "The 'prompt' parameter must be 'none', or any of 'login' and 'consent'.",
        );
    }
    if params.get("max_age").is_some_and(|value| value.parse::<u64>().is_err()) {
        return reject(
            &back,
            "invalid_request",
            "The 'max_age' parameter must be a non-negative integer.",
        );
    }
    let prompt = Prompt::parse(params.get("prompt")).unwrap_or_default();
    let request = AuthRequest {
        server: server.id.clone(),
        client_id: client.id().to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        response_mode: back.mode,
        scopes,
        state: state.to_owned(),
        nonce: params.get("nonce").filter(|nonce| !nonce.is_empty()).map(str::to_owned),
        code_challenge: challenge.map(str::to_owned),
        consent: prompt.consent,
        login_hint: params.get("login_hint").map(str::to_owned),
    };
    Ok((request, back))
}

/// Whether `state` is accepted.
///
/// Strict: Okta's documented characters (letters, digits, `,`, `.`, `_`, `-`), at most 2048.
/// Otherwise as Okta behaves: any non-empty value without control characters, so Spring
/// Security's padded base64url (`...=`), `/`, `:` and spaces pass (`docs/devserver.md`).
fn valid_state(state: &str, strict: bool) -> bool {
    if strict {
        return !state.is_empty()
            && state.len() <= 2048
            && state.bytes().all(|byte| byte.is_ascii_alphanumeric() || b",._-".contains(&byte));
    }
    !state.is_empty() && !state.chars().any(char::is_control)
}

/// RFC 7636 §4.2: 43 to 128 unreserved characters.
fn valid_challenge(challenge: &str) -> bool {
    (43..=128).contains(&challenge.len())
        && challenge.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte))
}

pub(crate) fn parse_scopes(scope: Option<&str>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in scope.unwrap_or_default().split(' ').filter(|scope| !scope.is_empty()) {
        if !scopes.iter().any(|known| known == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

/// The `prompt` values this server understands.
#[derive(Clone, Copy, Debug, Default)]
struct Prompt {
    none: bool,
    login: bool,
    consent: bool,
}

impl Prompt {
    /// `None` for an unsupported value or `none` combined with another.
    fn parse(prompt: Option<&str>) -> Option<Self> {
        let mut parsed = Self::default();
        for value in prompt.unwrap_or_default().split(' ').filter(|value| !value.is_empty()) {
            match value {
                "none" => parsed.none = true,
                "login" => parsed.login = true,
                "consent" => parsed.consent = true,
                _ => return None,
            }
        }
        (!parsed.none || !(parsed.login || parsed.consent)).then_some(parsed)
    }
}

/// Where and how to answer the client.
#[derive(Clone, Debug)]
struct Back {
    redirect_uri: String,
    mode: ResponseMode,
    state: Option<String>,
}

impl Back {
    fn of(request: &AuthRequest) -> Self {
        Self {
            redirect_uri: request.redirect_uri.clone(),
            mode: request.response_mode,
            state: Some(request.state.clone()),
        }
    }

    fn error(
        &self,
        shared: &Shared,
        server: &ServerInfo,
        error: &str,
        description: impl Into<String>,
    ) -> Response {
        self.respond(
            shared,
            server,
            vec![("error", error.to_owned()), ("error_description", description.into())],
        )
    }

    /// Redirects (or form-posts) `params` plus `state` and, per RFC 9207 and the faults, `iss`.
    fn respond(
        &self,
        shared: &Shared,
        server: &ServerInfo,
        mut params: Vec<(&str, String)>,
    ) -> Response {
        if let Some(state) = &self.state {
            params.push(("state", state.clone()));
        }
        let iss_fault = shared.faults.take(|fault| match fault {
            Fault::AuthorizationResponseWrongIss => Some(true),
            Fault::AuthorizationResponseMissingIss => Some(false),
            _ => None,
        });
        let iss = match iss_fault {
            Some(true) => Some(format!("{}1", server.issuer)),
            Some(false) => None,
            None => shared.iss_parameter.then(|| server.issuer.clone()),
        };
        if let Some(iss) = iss {
            params.push(("iss", iss));
        }
        let refusal = params.iter().find(|(name, _)| *name == "error").map(|(_, error)| {
            let description = params.iter().find(|(name, _)| *name == "error_description");
            (error.clone(), description.map(|(_, text)| text.clone()).unwrap_or_default())
        });
        let mut response = self.redirect(&params);
        if let Some((error, description)) = refusal {
            Refusal::attach(&mut response, &error, &description);
        }
        response
    }

    /// The redirect (or `form_post` page) carrying `params`.
    fn redirect(&self, params: &[(&str, String)]) -> Response {
        if self.mode == ResponseMode::FormPost {
            return pages::form_post(&self.redirect_uri, params);
        }
        let location = redirect_location(&self.redirect_uri, self.mode, params);
        let Ok(location) = HeaderValue::from_str(&location) else {
            return pages::error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The redirect URI cannot be sent in a Location header.",
            );
        };
        // Okta answers 302.
        let mut response = StatusCode::FOUND.into_response();
        response.headers_mut().insert(header::LOCATION, location);
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// The redirect URI exactly as registered, plus the parameters in its query or fragment.
///
/// No URL library rewrites it: `http://localhost:8080` (the value in Okta's guide) stays
/// without the `/` that `url::Url` would add, so a client comparing the callback URL with its
/// configured redirect URI finds the same bytes.
fn redirect_location(redirect_uri: &str, mode: ResponseMode, params: &[(&str, String)]) -> String {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(name, value)| (*name, value.as_str())))
        .finish();
    // A redirect URI has no fragment (RFC 6749 §3.1.2); if one was registered, it is dropped.
    let base = redirect_uri.split_once('#').map_or(redirect_uri, |(base, _)| base);
    match mode {
        ResponseMode::Fragment => format!("{base}#{encoded}"),
        ResponseMode::Query | ResponseMode::FormPost => {
            let separator = match base.split_once('?') {
                None => "?",
                Some((_, "")) => "",
                Some((_, query)) if query.ends_with('&') => "",
                Some(_) => "&",
            };
            format!("{base}{separator}{encoded}")
        }
    }
}

fn issue_code(shared: &Shared, request: AuthRequest, signed_in: SignedIn) -> String {
    let code = random_token(32);
    let now = shared.now();
    let grant = CodeGrant {
        request,
        signed_in,
        expires_at: now + shared.lifetimes.authorization_code().as_secs(),
        redeemed: false,
        family: random_token(16),
    };
    shared.store.with(|store| {
        store.sweep(now);
        store.codes.insert(code.clone(), grant);
    });
    code
}

fn start_transaction(shared: &Shared, request: AuthRequest, signed_in: Option<SignedIn>) -> String {
    let id = random_token(24);
    let now = shared.now();
    let transaction = Transaction { request, signed_in, expires_at: now + TRANSACTION_LIFETIME };
    shared.store.with(|store| {
        store.sweep(now);
        store.transactions.insert(id.clone(), transaction);
    });
    id
}

fn transaction(shared: &Shared, form: &Params) -> Option<(String, Transaction)> {
    let id = form.get("tx")?;
    let now = shared.now();
    let transaction = shared.store.with(|store| store.transactions.get(id).cloned())?;
    (now < transaction.expires_at).then(|| (id.to_owned(), transaction))
}

fn expired_transaction() -> Response {
    pages::error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "The sign-in request expired or does not exist. Start again from the application.",
    )
}

/// Consumes a `sessionToken`; the username if it was valid.
fn redeem_session_token(shared: &Shared, token: &str) -> Option<String> {
    let now = shared.now();
    let grant = shared.store.with(|store| store.session_tokens.remove(token))?;
    (now < grant.expires_at).then_some(grant.username)
}

#[cfg(test)]
mod tests;
