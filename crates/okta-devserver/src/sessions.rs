//! Browser sessions: the `sid` cookie, creating a session at sign-in, finding it again on
//! `/authorize`, and ending it at `/logout`.

use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};

use crate::crypto::random_token;
use crate::state::Shared;
use crate::store::Session;

/// The session cookie, named as Okta's.
const SESSION_COOKIE: &str = "sid";

/// Creates a session for `username` and returns its id.
pub(crate) fn create_session(shared: &Shared, username: &str) -> (String, Session) {
    let sid = random_token(32);
    let now = shared.now();
    let session = Session {
        username: username.to_owned(),
        auth_time: now,
        expires_at: now + shared.lifetimes.session().as_secs(),
    };
    shared.store.with(|store| {
        store.sweep(now);
        store.sessions.insert(sid.clone(), session.clone());
    });
    (sid, session)
}

/// The live session named by the request's `sid` cookie.
pub(crate) fn session_from_cookie(shared: &Shared, headers: &HeaderMap) -> Option<Session> {
    let sid = session_id(headers)?;
    let now = shared.now();
    shared
        .store
        .with(|store| store.sessions.get(&sid).filter(|session| now < session.expires_at).cloned())
}

/// Ends the session named by the request's `sid` cookie, if any.
pub(crate) fn end_session(shared: &Shared, headers: &HeaderMap) {
    if let Some(sid) = session_id(headers) {
        shared.store.with(|store| store.sessions.remove(&sid));
    }
}

/// Adds the `Set-Cookie` header that keeps session `sid` in the browser.
pub(crate) fn set_session_cookie(response: &mut Response, sid: &str) {
    append_cookie(response, &format!("{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"));
}

/// Adds the `Set-Cookie` header that removes the session cookie from the browser.
pub(crate) fn clear_session_cookie(response: &mut Response) {
    append_cookie(
        response,
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
}

/// The value of the `sid` cookie.
fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then(|| value.to_owned())
        })
}

fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
