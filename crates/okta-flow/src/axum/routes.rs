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
    TokenErrorCode, UnsealError, UserInfoError,
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

/// The page for a callback that Okta or the checks refused: it says what happened and what to
/// try, and the log says what the operator should check (which setting). A page offers a new
/// sign-in only where one can succeed: after a configuration error it would only lead back to
/// this page, so it offers none (the page is the end of the chain, never a redirect).
fn login_failed(err: &LoginError, sign_in_again: Option<(&str, &str)>) -> Response {
    let retry = Some((sign_in_again.map_or("/", |(path, _)| path), "Try again"));
    match err {
        LoginError::Callback(CallbackError::Authorization { code, description, .. }) => {
            authorization_failed(code, description.as_deref(), retry)
        }
        LoginError::Token(
            err @ (TokenError::Transport(_)
            | TokenError::RateLimited { .. }
            | TokenError::ServerFailure { .. }),
        ) => {
            tracing::warn!(
                kind = err.kind(),
                operator_fix = "none if it passes; if it persists, check that this service reaches the issuer (network, firewall, the http.proxy setting) and Okta's status page",
                "the code exchange could not reach Okta"
            );
            okta_unavailable(retry)
        }
        LoginError::Token(TokenError::Rejected { code: TokenErrorCode::InvalidGrant, .. }) => {
            tracing::warn!(
                kind = "invalid_grant",
                operator_fix = "none for a single failure (a code used twice or too late); if every sign-in fails, check that redirect_uri (OKTA_REDIRECT_URI) is exactly a sign-in redirect URI of the Okta application and that this server's clock is right",
                "Okta refused the authorization code"
            );
            pages::page(
                StatusCode::BAD_REQUEST,
                "Sign-in expired",
                "The sign-in could not be completed: it took too long, or its link was already used. Sign in again.",
                retry,
            )
        }
        LoginError::Token(TokenError::Rejected { code, .. }) => {
            let operator_fix = match code {
                TokenErrorCode::InvalidClient => {
                    "Okta refused this application's credentials: check client_id (OKTA_CLIENT_ID) and client_secret (OKTA_CLIENT_SECRET) against the Okta application, and that its client authentication method is the one configured"
                }
                TokenErrorCode::UnauthorizedClient | TokenErrorCode::UnsupportedGrantType => {
                    "the Okta application does not allow the Authorization Code grant: enable it in the application's General settings (Grant type)"
                }
                TokenErrorCode::InvalidScope => {
                    "a requested scope is not allowed: check the scopes setting (OKTA_SCOPES) against the authorization server's scopes and access policies"
                }
                _ => {
                    "check the client settings (client_id, client_secret, redirect_uri, scopes) against the Okta application"
                }
            };
            tracing::error!(code = code.as_str(), operator_fix, "Okta refused the code exchange");
            sign_in_broken()
        }
        LoginError::Token(TokenError::Configuration(reason)) => {
            tracing::error!(
                reason = reason.as_str(),
                operator_fix = "check the client settings: a confidential client needs client_secret (OKTA_CLIENT_SECRET)",
                "the client is not configured for the code exchange"
            );
            sign_in_broken()
        }
        LoginError::Callback(err) => {
            tracing::warn!(kind = err.kind(), "a callback was refused");
            pages::page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "This sign-in response is not valid or was already used. Please sign in again.",
                sign_in_again,
            )
        }
        LoginError::Token(err) => {
            tracing::error!(
                kind = err.kind(),
                operator_fix = "check that the issuer setting (OKTA_ISSUER) names the authorization server the Okta application uses; a repeated failure is worth reporting with this log",
                "Okta's token response was refused"
            );
            okta_answer_refused(sign_in_again)
        }
    }
}

/// Okta redirected back with an error (RFC 6749 §4.1.2.1).
fn authorization_failed(
    code: &AuthorizationErrorCode,
    description: Option<&str>,
    retry: Option<(&str, &str)>,
) -> Response {
    let not_assigned =
        description.is_some_and(|text| text.to_ascii_lowercase().contains("not assigned"));
    match code {
        AuthorizationErrorCode::AccessDenied if not_assigned => {
            tracing::info!(
                operator_fix = "assign the user (or one of their groups) to the Okta application (Applications > the app > Assignments)",
                "Okta: the user is not assigned to the application"
            );
            pages::page(
                StatusCode::FORBIDDEN,
                "No access to this application",
                "Your Okta account is not assigned to this application. Ask your administrator for access, then try again.",
                retry,
            )
        }
        AuthorizationErrorCode::AccessDenied => {
            tracing::info!("Okta: access denied (consent declined or a policy refused the user)");
            pages::page(
                StatusCode::FORBIDDEN,
                "Access denied",
                "The sign-in was declined, or this account may not use this application. Try again, or ask your administrator for access.",
                retry,
            )
        }
        AuthorizationErrorCode::LoginRequired
        | AuthorizationErrorCode::InteractionRequired
        | AuthorizationErrorCode::ConsentRequired => {
            tracing::info!(
                code = %code,
                operator_fix = "expected with prompt=none when the user has no Okta session; start an interactive sign-in",
                "Okta needs the user to sign in"
            );
            pages::page(
                StatusCode::UNAUTHORIZED,
                "Please sign in",
                "You are not signed in at Okta, or Okta needs you to confirm something. Sign in to continue.",
                Some((retry.map_or("/", |(path, _)| path), "Sign in")),
            )
        }
        AuthorizationErrorCode::ServerError | AuthorizationErrorCode::TemporarilyUnavailable => {
            tracing::warn!(code = %code, "Okta could not process the sign-in");
            okta_unavailable(retry)
        }
        _ => {
            tracing::error!(
                code = %code,
                operator_fix = "check the client settings (client_id, redirect_uri, scopes) against the Okta application's sign-in redirect URIs, grant types and the authorization server's scopes",
                "Okta refused the authorization request"
            );
            sign_in_broken()
        }
    }
}

/// `503` with `Retry-After`: Okta is unreachable or failing.
fn okta_unavailable(retry: Option<(&str, &str)>) -> Response {
    let mut response = pages::page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Okta is unavailable",
        "Okta could not complete the sign-in right now. Wait a moment and try again.",
        retry,
    );
    pages::retry_after(response.headers_mut(), pages::OKTA_RETRY_AFTER_SECS);
    response
}

/// A sign-in that cannot succeed until the operator changes a setting: no link to sign in again
/// (it would lead back here).
fn sign_in_broken() -> Response {
    pages::page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Sign-in is not working",
        "This application cannot sign anyone in right now because of a problem in its own set-up, not with your account. Please tell the application's support team; trying again will not help until they fix it.",
        None,
    )
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
    let mut response = pages::page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sessions unavailable",
        "Sessions are unavailable right now. Try again shortly.",
        None,
    );
    pages::retry_after(response.headers_mut(), pages::STORE_RETRY_AFTER_SECS);
    response
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
