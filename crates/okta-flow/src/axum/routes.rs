//! The sign-in routes: `GET /login`, the callback at the redirect URI's path, `POST /logout`.

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use http::header::HeaderName;
use http::request::Parts;
use http::{StatusCode, Uri};
use subtle::ConstantTimeEq as _;
use tower_sessions::Session;

use crate::axum::session::{USER_KEY, UserRecord, unix};
use crate::axum::{CSRF_FIELD, CSRF_HEADER, OktaAuth, cookies, pages};
use crate::{
    AuthorizationErrorCode, CallbackError, LoginError, PendingLogin, Revocable, TokenError,
    UnsealError, UserInfoError,
};

/// The largest `POST /logout` body read (a form with one token).
const MAX_LOGOUT_BODY: usize = 8 * 1024;

impl OktaAuth {
    /// The sign-in routes, at absolute paths: merge them into the service's router (not
    /// `nest`, which would move the callback away from the redirect URI).
    pub fn routes<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        Router::new()
            .route(self.login_path(), get(login))
            .route(self.callback_path(), get(callback))
            .route(self.logout_path(), post(logout))
            .with_state(self.clone())
    }
}

/// `GET /login?return_to=/path`: a fresh authorization request, its pending login sealed into a
/// short-lived cookie.
async fn login(State(auth): State<OktaAuth>, uri: Uri) -> Response {
    let return_to = single_param(uri.query().unwrap_or_default(), "return_to");
    let target = auth.target_or_default(return_to.as_deref());
    let client = auth.client();
    let (url, pending) = match client.authorize(&auth.inner.authorize_options) {
        Ok(started) => started,
        Err(err) => {
            tracing::error!(error = %err, "cannot build the authorization request");
            return misconfigured();
        }
    };
    let sealed = match pending.with_return_to(target).seal(client.sealing_key()) {
        Ok(sealed) => sealed,
        Err(err) => {
            tracing::error!(error = %err, "cannot seal the pending login");
            return misconfigured();
        }
    };
    let mut response = pages::see_other(url.as_str());
    cookies::append(
        response.headers_mut(),
        cookies::pending_login(auth.login_cookie_name(), sealed, auth.secure_cookies()),
    );
    response
}

/// The callback: whatever the outcome, the pending-login cookie is cleared and nothing is
/// cached or leaks through `Referer`.
async fn callback(State(auth): State<OktaAuth>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let mut response = finish_callback(&auth, &parts).await;
    let headers = response.headers_mut();
    cookies::append(
        headers,
        cookies::clear_pending_login(auth.login_cookie_name(), auth.secure_cookies()),
    );
    pages::no_store(headers);
    pages::no_referrer(headers);
    response
}

async fn finish_callback(auth: &OktaAuth, request: &Parts) -> Response {
    let Some(session) = request.extensions.get::<Session>().cloned() else {
        return layer_missing();
    };
    let client = auth.client();
    let sign_in_again = Some((auth.login_path(), "Sign in again"));
    let now = client.clock().now();

    let mut unsealed = Err(UnsealError::Malformed);
    for sealed in cookies::values(&request.headers, auth.login_cookie_name()) {
        unsealed = PendingLogin::unseal(client.sealing_key(), sealed, now, client.leeway());
        if unsealed.is_ok() {
            break;
        }
    }
    let pending = match unsealed {
        Ok(pending) => pending,
        Err(err) => {
            tracing::warn!(error = %err, "callback without a usable pending login");
            let message = if err == UnsealError::Expired {
                "The sign-in took more than five minutes. Please sign in again."
            } else {
                "This sign-in did not start in this browser, or it has already been used. Please sign in again."
            };
            return pages::page(StatusCode::BAD_REQUEST, "Sign-in expired", message, sign_in_again);
        }
    };

    // Single use on every replica: the shared store records the pending login's state before
    // the code is redeemed, so the cookie cannot finish a second sign-in with a new code.
    let Some(marks) = auth.login_marks() else {
        return layer_missing();
    };
    let expiry = tower_sessions::cookie::time::OffsetDateTime::now_utc()
        + crate::PENDING_LOGIN_LIFETIME
        + client.leeway();
    match marks.mark_used(pending.state.secret().as_bytes(), expiry).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("callback with a pending login that was already used");
            return pages::page(
                StatusCode::BAD_REQUEST,
                "Sign-in expired",
                "This sign-in did not start in this browser, or it has already been used. Please sign in again.",
                sign_in_again,
            );
        }
        Err(err) => return store_failed(&tower_sessions::session::Error::Store(err)),
    }

    let query = request.uri.query().unwrap_or_default();
    let tokens = match client.finish_login(query, &pending).await {
        Ok(tokens) => tokens,
        Err(err) => return login_failed(&err, sign_in_again),
    };
    let Some(claims) = tokens.id_token_claims().cloned() else {
        tracing::error!("a code exchange returned no verified ID token");
        return okta_answer_refused(sign_in_again);
    };
    let userinfo = if auth.inner.fetch_userinfo {
        match client.userinfo(tokens.access_token(), &claims.sub).await {
            Ok(userinfo) => Some(userinfo),
            Err(UserInfoError::SubjectMismatch) => return okta_answer_refused(sign_in_again),
            // Sign-in still succeeds; the profile claims are missing (logged by `userinfo`).
            Err(_) => None,
        }
    } else {
        None
    };
    let record = UserRecord::new(tokens, claims, userinfo.as_ref(), now);

    // A new session id (session fixation); another user's data in the session goes first.
    match session.get::<UserRecord>(USER_KEY).await {
        Ok(Some(previous)) if previous.claims.sub == record.claims.sub => {}
        Ok(None) => {}
        Ok(Some(_)) | Err(tower_sessions::session::Error::SerdeJson(_)) => session.clear().await,
        Err(err) => return store_failed(&err),
    }
    if let Err(err) = session.cycle_id().await {
        return store_failed(&err);
    }
    if let Err(err) = session.insert(USER_KEY, &record).await {
        return store_failed(&err);
    }
    tracing::info!(signed_in_at = record.signed_in_at, "user signed in");
    pages::see_other(&auth.target_or_default(pending.return_to()))
}

/// `POST /logout`: with the session's CSRF token, ends the session, revokes the refresh token
/// and sends the browser to Okta's logout (or to the default page).
async fn logout(State(auth): State<OktaAuth>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some(session) = parts.extensions.get::<Session>().cloned() else {
        return layer_missing();
    };
    let record = match session.get::<UserRecord>(USER_KEY).await {
        Ok(record) => record,
        Err(tower_sessions::session::Error::SerdeJson(_)) => None,
        Err(err) => return store_failed(&err),
    };
    let Some(record) = record else {
        // Nobody is signed in: nothing to end, and nothing to forge.
        return pages::see_other(&auth.inner.default_return_to);
    };

    let header = HeaderName::from_static(CSRF_HEADER);
    let presented = match parts.headers.get(&header) {
        Some(value) => value.as_bytes().to_vec(),
        None => match axum::body::to_bytes(body, MAX_LOGOUT_BODY).await {
            Ok(body) => url::form_urlencoded::parse(&body)
                .find(|(name, _)| name == CSRF_FIELD)
                .map(|(_, value)| value.into_owned().into_bytes())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        },
    };
    if presented.is_empty() || !bool::from(presented.ct_eq(record.csrf.as_bytes())) {
        tracing::warn!("sign-out refused: missing or wrong CSRF token");
        return pages::page(
            StatusCode::FORBIDDEN,
            "Sign-out refused",
            "The sign-out request did not come from this application's page. Reload the page and sign out again.",
            None,
        );
    }

    if let Err(err) = session.flush().await {
        return store_failed(&err);
    }
    let client = auth.client();
    let revoked = match &record.refresh_token {
        Some(token) => {
            let token = crate::RefreshToken::new(token.clone());
            client.revoke(Revocable::RefreshToken(&token)).await
        }
        None => {
            let token = crate::axum::session::access_token(&record);
            client.revoke(Revocable::AccessToken(&token)).await
        }
    };
    // The session has ended either way; a failed revocation is logged by `revoke`.
    let _ = revoked;
    let now = unix(client.clock().now());
    tracing::info!(session_secs = now.saturating_sub(record.signed_in_at), "user signed out");
    if client.post_logout_redirect_uri().is_some()
        && let Ok(url) = client.logout_url(&record.id_token(), None, None)
    {
        return pages::see_other(url.as_str());
    }
    pages::see_other(&auth.inner.default_return_to)
}

/// The page for a callback that Okta or the checks refused.
fn login_failed(err: &LoginError, sign_in_again: Option<(&str, &str)>) -> Response {
    match err {
        LoginError::Callback(CallbackError::Authorization {
            code: AuthorizationErrorCode::AccessDenied,
            ..
        }) => pages::page(
            StatusCode::FORBIDDEN,
            "Access denied",
            "The sign-in was declined, or this account may not use this application.",
            Some((sign_in_again.map_or("/", |(path, _)| path), "Try again")),
        ),
        LoginError::Callback(CallbackError::Authorization {
            code:
                AuthorizationErrorCode::ServerError | AuthorizationErrorCode::TemporarilyUnavailable,
            ..
        })
        | LoginError::Token(
            TokenError::Transport(_)
            | TokenError::RateLimited { .. }
            | TokenError::ServerFailure { .. },
        ) => pages::page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Okta is unavailable",
            "Okta could not complete the sign-in right now. Try again in a moment.",
            sign_in_again,
        ),
        LoginError::Callback(CallbackError::Authorization { code, .. }) => pages::page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            &format!("Okta did not sign you in ({code})."),
            sign_in_again,
        ),
        LoginError::Callback(_) | LoginError::Token(TokenError::Rejected { .. }) => pages::page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "This sign-in response is not valid or was already used. Please sign in again.",
            sign_in_again,
        ),
        LoginError::Token(_) => okta_answer_refused(sign_in_again),
    }
}

fn okta_answer_refused(sign_in_again: Option<(&str, &str)>) -> Response {
    pages::page(
        StatusCode::BAD_GATEWAY,
        "Sign-in failed",
        "Okta's answer could not be verified. Please sign in again.",
        sign_in_again,
    )
}

fn store_failed(err: &tower_sessions::session::Error) -> Response {
    tracing::error!(error = err as &dyn std::error::Error, "the session store failed");
    pages::page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sessions unavailable",
        "Sessions are unavailable right now. Try again shortly.",
        None,
    )
}

fn layer_missing() -> Response {
    tracing::error!("the sign-in routes are not under OktaAuth::layer");
    misconfigured()
}

fn misconfigured() -> Response {
    pages::page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Sign-in unavailable",
        "Sign-in is misconfigured on this service.",
        None,
    )
}

/// The value of a query parameter that appears exactly once; `None` if absent or repeated.
fn single_param(query: &str, name: &str) -> Option<String> {
    let mut values = url::form_urlencoded::parse(query.as_bytes()).filter(|(key, _)| key == name);
    let first = values.next()?;
    values.next().is_none().then(|| first.1.into_owned())
}
