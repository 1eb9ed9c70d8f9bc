//! [`AuthenticatedUser`]: the extractor that gives handlers the signed-in user, or sends the
//! browser to sign in (and API clients a 401).

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, OptionalFromRequestParts, OriginalUri};
use axum::response::{IntoResponse, Response};
use http::header::{ACCEPT, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use okta_verify::OktaIdTokenClaims;
use openidconnect::SubjectIdentifier;
use tower_sessions::Session;

use crate::axum::session::{self, Loaded, UserRecord};
use crate::axum::{CSRF_FIELD, OktaAuth, pages};
use crate::userinfo::UserInfoClaims;
use crate::{AccessToken, UserInfo, html};

/// The signed-in user of a request: verified ID-token claims, `/userinfo` claims, and the
/// access token to call APIs with on the user's behalf.
///
/// As an extractor it needs [`OktaAuth::layer`](crate::axum::OktaAuth::layer) on the route. Without a
/// signed-in user, a browser (a request whose `Accept` lists `text/html` and not
/// `application/json`) is redirected to the login route with the current path as `return_to`;
/// any other client gets `401` with a JSON body. Take `Option<AuthenticatedUser>` for pages that
/// also serve anonymous visitors.
///
/// Cheap to clone; `Debug` shows the subject only.
#[derive(Clone)]
pub struct AuthenticatedUser {
    inner: Arc<UserParts>,
}

struct UserParts {
    claims: OktaIdTokenClaims,
    userinfo: Option<UserInfo>,
    access_token: AccessToken,
    expires_at: Option<SystemTime>,
    scopes: Vec<String>,
    csrf: String,
    logout_path: String,
}

impl AuthenticatedUser {
    fn from_record(record: UserRecord, auth: &OktaAuth) -> Self {
        let userinfo = record.userinfo.as_ref().and_then(|json| {
            let bytes = serde_json::to_vec(json).ok()?;
            let subject = SubjectIdentifier::new(record.claims.sub.clone());
            UserInfoClaims::from_json::<Infallible>(&bytes, Some(&subject)).ok().map(UserInfo::new)
        });
        Self {
            inner: Arc::new(UserParts {
                access_token: session::access_token(&record),
                expires_at: record.expires_at.map(|secs| UNIX_EPOCH + Duration::from_secs(secs)),
                claims: record.claims,
                userinfo,
                scopes: record.scopes,
                csrf: record.csrf,
                logout_path: auth.logout_path().to_owned(),
            }),
        }
    }

    /// The user's id at Okta (`sub`).
    pub fn subject(&self) -> &str {
        &self.inner.claims.sub
    }

    /// The claims of the ID token verified at sign-in (or at the last refresh that brought a new
    /// one).
    pub fn claims(&self) -> &OktaIdTokenClaims {
        &self.inner.claims
    }

    /// The `/userinfo` claims fetched at sign-in (profile and email claims), when the call
    /// succeeded and [`fetch_userinfo`](crate::axum::OktaAuthBuilder::fetch_userinfo) is on.
    pub fn userinfo(&self) -> Option<&UserInfo> {
        self.inner.userinfo.as_ref()
    }

    /// The user's access token, refreshed if it was about to expire: send it as
    /// `Authorization: Bearer` to APIs. Never hand it to the browser.
    pub fn access_token(&self) -> &AccessToken {
        &self.inner.access_token
    }

    /// When the access token expires, if Okta said.
    pub fn access_token_expires_at(&self) -> Option<SystemTime> {
        self.inner.expires_at
    }

    /// The scopes granted to the access token.
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// The session's CSRF token, which `POST /logout` requires (field [`CSRF_FIELD`]). It is not
    /// a credential on its own, but keep it out of URLs.
    pub fn csrf_token(&self) -> &str {
        &self.inner.csrf
    }

    /// A sign-out form (`id="logout-form"`, button `id="logout"`) that posts the CSRF token to
    /// the logout route.
    pub fn logout_form(&self) -> String {
        format!(
            r#"<form id="logout-form" method="post" action="{action}"><input type="hidden" name="{CSRF_FIELD}" value="{token}"><button id="logout" type="submit">Sign out</button></form>"#,
            action = html::escape(&self.inner.logout_path),
            token = html::escape(&self.inner.csrf),
        )
    }
}

impl fmt::Debug for AuthenticatedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticatedUser")
            .field("subject", &self.inner.claims.sub)
            .field("scopes", &self.inner.scopes)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthenticatedUser {
    type Rejection = UserRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match extract(parts).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(UserRejection::new(Reason::LoginRequired, parts)),
            Err(reason) => Err(UserRejection::new(reason, parts)),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthenticatedUser {
    type Rejection = UserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        extract(parts).await.map_err(|reason| UserRejection::new(reason, parts))
    }
}

/// The user of the request, loaded once per request (a second extraction reuses the first).
async fn extract(parts: &mut Parts) -> Result<Option<AuthenticatedUser>, Reason> {
    if let Some(user) = parts.extensions.get::<AuthenticatedUser>() {
        return Ok(Some(user.clone()));
    }
    let (Some(auth), Some(session)) =
        (parts.extensions.get::<OktaAuth>().cloned(), parts.extensions.get::<Session>().cloned())
    else {
        tracing::error!("AuthenticatedUser extracted on a route without OktaAuth::layer");
        return Err(Reason::LayerMissing);
    };
    match session::load(&auth, &session).await {
        Ok(Loaded::User(record)) => {
            let user = AuthenticatedUser::from_record(*record, &auth);
            parts.extensions.insert(user.clone());
            Ok(Some(user))
        }
        Ok(Loaded::SignedOut) => Ok(None),
        Ok(Loaded::OktaUnavailable) => Err(Reason::OktaUnavailable),
        Err(err) => {
            tracing::error!(error = &err.0 as &dyn std::error::Error, "the session store failed");
            Err(Reason::SessionStore)
        }
    }
}

/// Why [`AuthenticatedUser`] could not be extracted. As a response: a redirect to the login
/// route (browsers) or `401` (API clients) when nobody is signed in, `503` with `Retry-After`
/// (5 s for the session store, 30 s for Okta) when the session store or Okta is unavailable,
/// `500` when the route lacks the layer.
#[derive(Debug)]
pub struct UserRejection {
    reason: Reason,
    browser: bool,
    login_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    LayerMissing,
    LoginRequired,
    OktaUnavailable,
    SessionStore,
}

impl UserRejection {
    fn new(reason: Reason, parts: &Parts) -> Self {
        let login_url = match parts.extensions.get::<OktaAuth>() {
            Some(auth) if matches!(parts.method, Method::GET | Method::HEAD) => {
                let uri = parts
                    .extensions
                    .get::<OriginalUri>()
                    .map_or(&parts.uri, |original| &original.0);
                let here = uri.path_and_query().map_or("/", |path| path.as_str());
                auth.login_url(here)
            }
            Some(auth) => auth.login_path().to_owned(),
            None => "/login".to_owned(),
        };
        Self { reason, browser: is_browser(&parts.headers), login_url }
    }

    /// A stable name: `login_required`, `okta_unavailable`, `session_store_unavailable` or
    /// `layer_missing`.
    pub fn kind(&self) -> &'static str {
        match self.reason {
            Reason::LayerMissing => "layer_missing",
            Reason::LoginRequired => "login_required",
            Reason::OktaUnavailable => "okta_unavailable",
            Reason::SessionStore => "session_store_unavailable",
        }
    }

    /// The status of the response: `303` (browser, not signed in), `401`, `503` or `500`.
    pub fn status(&self) -> StatusCode {
        match self.reason {
            Reason::LoginRequired if self.browser => StatusCode::SEE_OTHER,
            Reason::LoginRequired => StatusCode::UNAUTHORIZED,
            Reason::OktaUnavailable | Reason::SessionStore => StatusCode::SERVICE_UNAVAILABLE,
            Reason::LayerMissing => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Where the user signs in, with the current page as `return_to` when it is safe.
    pub fn login_url(&self) -> &str {
        &self.login_url
    }
}

impl IntoResponse for UserRejection {
    fn into_response(self) -> Response {
        let retry_after = match self.reason {
            Reason::SessionStore => Some(pages::STORE_RETRY_AFTER_SECS),
            Reason::OktaUnavailable => Some(pages::OKTA_RETRY_AFTER_SECS),
            Reason::LoginRequired | Reason::LayerMissing => None,
        };
        let mut response = self.response();
        if let Some(seconds) = retry_after {
            pages::retry_after(response.headers_mut(), seconds);
        }
        response
    }
}

impl UserRejection {
    fn response(self) -> Response {
        let status = self.status();
        if status == StatusCode::SEE_OTHER {
            return pages::see_other(&self.login_url);
        }
        if self.browser {
            let message = match self.reason {
                Reason::LoginRequired => "Please sign in.", // (browsers are redirected above)
                Reason::OktaUnavailable => {
                    "Your session needs to be renewed, but Okta cannot be reached. Try again shortly."
                }
                Reason::SessionStore => "Sessions are unavailable right now. Try again shortly.",
                Reason::LayerMissing => "This page is misconfigured.",
            };
            return pages::page(
                status,
                "Sign-in unavailable",
                message,
                Some((&self.login_url, "Sign in")),
            );
        }
        let body = serde_json::json!({ "error": self.kind(), "login_url": self.login_url });
        let mut response = (status, body.to_string()).into_response();
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        pages::no_store(response.headers_mut());
        response
    }
}

/// A browser navigation: `Accept` lists `text/html` and not `application/json` (a `q=0` entry
/// does not count). `fetch` sends `*/*` and is treated as an API client.
pub(crate) fn is_browser(headers: &HeaderMap) -> bool {
    let (mut html, mut json) = (false, false);
    let ranges = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for range in ranges {
        let mut params = range.split(';');
        let media = params.next().unwrap_or_default().trim();
        let refused = params.any(|param| {
            param.trim().split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("q")
                    && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
            })
        });
        if refused {
            continue;
        }
        if media.eq_ignore_ascii_case("text/html") {
            html = true;
        } else if media.eq_ignore_ascii_case("application/json") {
            json = true;
        }
    }
    html && !json
}

#[cfg(test)]
mod tests;
