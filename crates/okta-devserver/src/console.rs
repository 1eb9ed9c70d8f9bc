//! The console (development only, off by default): a page listing recent requests with their
//! parameters (secrets masked), the tokens they carried decoded, and the reason for each
//! refusal, plus switches for the fault injections.
//!
//! Everything shown is escaped; the switches are form posts that carry a per-server token
//! (compared in constant time) and are refused from another origin. The page has no script.

use std::fmt::Write as _;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::clock::{rfc3339, unix_secs};
use crate::crypto::secrets_equal;
use crate::faults::{Endpoint, Fault, TokenFault};
use crate::form::Params;
use crate::pages::html_escape;
use crate::recorder::{JWT_PARAMETERS, RecordedRequest};
use crate::state::{AppState, Shared};

/// Where the console lives.
pub(crate) const CONSOLE_PATH: &str = "/devserver/console";
const SWITCH_PATH: &str = "/devserver/console/faults";

/// How many requests the page lists, newest first.
const SHOWN: usize = 100;

/// Parameters whose values are credentials: shown masked, never in full.
const MASKED: [&str; 11] = [
    "password",
    "client_secret",
    "client_assertion",
    "code",
    "code_verifier",
    "refresh_token",
    "sessionToken",
    "token",
    "id_token_hint",
    "subject_token",
    "actor_token",
];

/// The console's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(CONSOLE_PATH, get(page)).route(SWITCH_PATH, post(switch))
}

/// The faults the switches arm: a label and the fault.
fn presets() -> Vec<(&'static str, Fault)> {
    vec![
        ("/token answers invalid_grant", Fault::InvalidGrant),
        ("/token answers 429 (rate limited)", Fault::RateLimited(Endpoint::Token)),
        ("/token answers 503", Fault::ServerError { endpoint: Endpoint::Token, status: 503 }),
        (
            "/token answers after 3 s",
            Fault::Delay { endpoint: Endpoint::Token, duration: Duration::from_secs(3) },
        ),
        ("/token redirects (307)", Fault::Redirect { endpoint: Endpoint::Token, status: 307 }),
        ("/token answers an HTML page", Fault::HtmlBody(Endpoint::Token)),
        ("/keys answers 503", Fault::ServerError { endpoint: Endpoint::Keys, status: 503 }),
        ("/userinfo answers 503", Fault::ServerError { endpoint: Endpoint::Userinfo, status: 503 }),
        ("/userinfo sub differs from the ID token's", Fault::UserinfoSubMismatch),
        ("discovery issuer differs", Fault::DiscoveryIssuerMismatch),
        ("ID token: wrong nonce", Fault::IdToken(TokenFault::WrongNonce)),
        ("ID token: wrong audience", Fault::IdToken(TokenFault::WrongAudience)),
        ("ID token: wrong issuer", Fault::IdToken(TokenFault::WrongIssuer)),
        ("ID token: expired", Fault::IdToken(TokenFault::Expired)),
        ("ID token: bad signature", Fault::IdToken(TokenFault::BadSignature)),
        ("ID token: signed by an unpublished key", Fault::IdToken(TokenFault::UnpublishedKey)),
        ("access token: expired", Fault::AccessToken(TokenFault::Expired)),
        ("access token: bad signature", Fault::AccessToken(TokenFault::BadSignature)),
    ]
}

/// `GET /devserver/console`.
async fn page(State(shared): State<AppState>) -> Response {
    let Some(console) = &shared.console else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let csrf = html_escape(&console.csrf_token);
    let mut body = String::new();
    body.push_str(r#"<h1>okta-devserver console</h1><p class="note">Development only: this page shows request parameters and decoded tokens.</p>"#);

    // The switches.
    let _ = write!(
        body,
        r#"<section id="faults"><h2>Faults</h2><form method="post" action="{SWITCH_PATH}"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="action" value="arm"><label for="preset">Next event</label> <select id="preset" name="preset">"#
    );
    for (index, (label, _)) in presets().iter().enumerate() {
        let _ = write!(body, r#"<option value="{index}">{}</option>"#, html_escape(label));
    }
    let _ = write!(
        body,
        r#"</select> <button id="arm" type="submit">Arm</button></form><form method="post" action="{SWITCH_PATH}"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="action" value="clear"><button id="clear" type="submit">Clear all faults</button></form>"#
    );
    let armed = shared.faults.armed();
    body.push_str(r#"<h3>Armed</h3><ul id="armed">"#);
    for armed in &armed {
        let times =
            armed.remaining().map_or_else(|| "until cleared".to_owned(), |n| format!("{n} more"));
        let _ = write!(
            body,
            "<li><code>{}</code> ({times})</li>",
            html_escape(&fault_text(armed.fault()))
        );
    }
    body.push_str(r#"</ul><h3>Fired</h3><ul id="fired">"#);
    for fired in shared.faults.fired().iter().rev().take(20) {
        let _ = write!(body, "<li><code>{}</code></li>", html_escape(&fault_text(fired)));
    }
    body.push_str("</ul></section>");

    // The requests.
    body.push_str(r#"<section><h2>Recent requests</h2><table id="requests"><tr><th>Time</th><th>Request</th><th>Status</th><th>Client</th><th>Parameters</th><th>Refusal</th><th>Tokens</th></tr>"#);
    for request in shared.recorder.latest(SHOWN) {
        row(&mut body, &request);
    }
    body.push_str("</table></section>");
    html(StatusCode::OK, &body)
}

fn row(body: &mut String, request: &RecordedRequest) {
    let status = request.status.map_or_else(|| "…".to_owned(), |status| status.to_string());
    let refused = request.refusal.is_some() || request.status.is_some_and(|status| status >= 400);
    let class = if refused { r#" class="refused""# } else { "" };
    let client = serde_json::to_string(&request.client_auth).unwrap_or_default();
    let mut parameters = String::new();
    for (name, value) in request.query.iter().chain(&request.form) {
        let _ = write!(
            parameters,
            "<div><code>{}</code> = <code>{}</code></div>",
            html_escape(name),
            html_escape(&masked(name, value))
        );
    }
    let mut tokens = String::new();
    for token in &request.tokens {
        let _ = write!(
            tokens,
            "<details><summary>{}</summary><pre>{}</pre><pre>{}</pre></details>",
            html_escape(&token.name),
            html_escape(&token.header),
            html_escape(&token.claims)
        );
    }
    let _ = write!(
        body,
        "<tr{class}><td>{}</td><td><code>{} {}</code></td><td>{status}</td><td><code>{}</code></td><td>{parameters}</td><td>{}</td><td>{tokens}</td></tr>",
        html_escape(&rfc3339(unix_secs(request.time))),
        html_escape(request.method.as_str()),
        html_escape(&request.path),
        html_escape(&client),
        html_escape(request.refusal.as_deref().unwrap_or_default()),
    );
}

/// A parameter's value as the console shows it: credentials masked (their length only), JWTs
/// named (decoded in the Tokens column), everything else as sent.
fn masked(name: &str, value: &str) -> String {
    if MASKED.contains(&name) {
        let jwt = JWT_PARAMETERS.contains(&name) && value.matches('.').count() == 2;
        let what = if jwt { "a JWT, decoded under Tokens" } else { "masked" };
        return format!("[{what}, {} characters]", value.chars().count());
    }
    value.to_owned()
}

fn fault_text(fault: &Fault) -> String {
    serde_json::to_string(fault).unwrap_or_else(|_| format!("{fault:?}"))
}

/// `POST /devserver/console/faults`: arms a preset or clears every fault.
async fn switch(State(shared): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(console) = &shared.console else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let form = Params::parse(&body);
    let token_ok = form.get("csrf").is_some_and(|token| secrets_equal(token, &console.csrf_token));
    if !token_ok || !same_origin(&shared, &headers) {
        tracing::warn!("console switch refused: missing or wrong CSRF token, or another origin");
        return html(
            StatusCode::FORBIDDEN,
            r#"<h1 id="forbidden">Refused</h1><p>The form did not come from this console. Reload the console and try again.</p>"#,
        );
    }
    match form.get("action") {
        Some("clear") => shared.faults.clear(),
        Some("arm") => {
            let preset = form.get("preset").and_then(|index| index.parse::<usize>().ok());
            let Some((_, fault)) = preset.and_then(|index| presets().into_iter().nth(index)) else {
                return html(StatusCode::BAD_REQUEST, r#"<h1 id="unknown">No such fault</h1>"#);
            };
            shared.faults.arm(fault);
        }
        _ => return html(StatusCode::BAD_REQUEST, r#"<h1 id="unknown">No such action</h1>"#),
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static(CONSOLE_PATH));
    response
}

/// A browser's cross-site post carries another `Origin` (or `Sec-Fetch-Site: cross-site`).
fn same_origin(shared: &Shared, headers: &HeaderMap) -> bool {
    let header_text = |name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok());
    let origin_ok = header_text(header::ORIGIN).is_none_or(|origin| origin == shared.base_url);
    let site_ok = header_text(http::HeaderName::from_static("sec-fetch-site"))
        .is_none_or(|site| matches!(site, "same-origin" | "none"));
    origin_ok && site_ok
}

fn html(status: StatusCode, body: &str) -> Response {
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Console - okta-devserver</title>
<style>body{{font-family:sans-serif;margin:1.5rem}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:.3rem;vertical-align:top;text-align:left}}tr.refused{{background:#fee}}pre{{margin:.2rem 0;white-space:pre-wrap}}.note{{color:#555}}form{{display:inline-block;margin-right:1rem}}</style>
</head>
<body>
{body}
</body>
</html>
"#
    );
    let mut response = (status, Html(page)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

#[cfg(test)]
mod tests;
