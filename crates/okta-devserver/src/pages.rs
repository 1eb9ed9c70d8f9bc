//! The HTML pages: sign-in, consent, `form_post`, signed-out and error pages. No JavaScript.
//!
//! Element ids are a contract with browser tests: `username`, `password`, `submit` and `error`
//! on the sign-in page; `allow` and `deny` on the consent page; `error-code` and
//! `error-description` on the error page; `continue` on the `form_post` page; `user_code`,
//! `username`, `password`, `allow`, `deny` and `error` on the device activation page, and
//! `device-result` after it.

use std::fmt::Write as _;

use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::error::Refusal;

/// The sign-in form, posting to `/login/signin`, with an error message after a failed attempt.
pub(crate) fn sign_in(
    transaction: &str,
    login_hint: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let username = html_escape(login_hint.unwrap_or_default());
    let transaction = html_escape(transaction);
    let refusal = error.map(str::to_owned);
    let error = error.map_or_else(String::new, |message| {
        format!(r#"<p id="error" class="error" role="alert">{}</p>"#, html_escape(message))
    });
    let mut response = page(
        status,
        "Sign In",
        &format!(
            r#"<h1>Sign In</h1>
{error}
<form method="post" action="/login/signin">
  <input type="hidden" name="tx" value="{transaction}">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" value="{username}" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button id="submit" type="submit">Sign In</button>
</form>"#
        ),
    );
    if let Some(message) = refusal {
        Refusal::attach(&mut response, "sign_in_failed", &message);
    }
    response
}

/// The consent page, posting `decision=allow|deny` to `/login/consent`.
pub(crate) fn consent(transaction: &str, client_id: &str, scopes: &[String]) -> Response {
    let mut items = String::new();
    for scope in scopes {
        let _ = write!(items, r#"<li class="scope">{}</li>"#, html_escape(scope));
    }
    page(
        StatusCode::OK,
        "Allow access?",
        &format!(
            r#"<h1>Allow access?</h1>
<p><strong id="client">{client}</strong> would like to:</p>
<ul id="scopes">{items}</ul>
<form method="post" action="/login/consent">
  <input type="hidden" name="tx" value="{transaction}">
  <button id="allow" name="decision" value="allow" type="submit">Allow Access</button>
  <button id="deny" name="decision" value="deny" type="submit">Don't Allow</button>
</form>"#,
            client = html_escape(client_id),
            transaction = html_escape(transaction),
        ),
    )
}

/// The device activation page (RFC 8628 §3.3): the user code (pre-filled from
/// `verification_uri_complete`), the username and password when no session exists, and the
/// `allow` and `deny` buttons, posting to `/activate`.
pub(crate) fn device_activation(
    user_code: &str,
    signed_in_as: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let refusal = error.map(str::to_owned);
    let error = error.map_or_else(String::new, |message| {
        format!(r#"<p id="error" class="error" role="alert">{}</p>"#, html_escape(message))
    });
    let who = match signed_in_as {
        Some(username) => {
            format!(
                r#"<p>Signed in as <strong id="signed-in-as">{}</strong>.</p>"#,
                html_escape(username)
            )
        }
        None => r#"<label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">"#
            .to_owned(),
    };
    let mut response = page(
        status,
        "Activate your device",
        &format!(
            r#"<h1>Activate your device</h1>
{error}
<form method="post" action="/activate">
  <label for="user_code">Code shown on your device</label>
  <input id="user_code" name="user_code" type="text" autocomplete="off" value="{user_code}" autofocus>
  {who}
  <button id="allow" name="decision" value="allow" type="submit">Allow Access</button>
  <button id="deny" name="decision" value="deny" type="submit">Don't Allow</button>
</form>"#,
            user_code = html_escape(user_code),
        ),
    );
    if let Some(message) = refusal {
        Refusal::attach(&mut response, "device_activation_failed", &message);
    }
    response
}

/// The page after a decision on the activation page: `id="device-result"` says `approved` or
/// `denied`.
pub(crate) fn device_decided(approved: bool) -> Response {
    let (result, text) = if approved {
        ("approved", "Device activated. You can return to your device.")
    } else {
        ("denied", "Access denied. The device will not be signed in.")
    };
    page(
        StatusCode::OK,
        "Device activation",
        &format!(r#"<h1 id="device-result" data-result="{result}">{text}</h1>"#),
    )
}

/// `response_mode=form_post`: a form the user submits to the client (no script to auto-submit).
pub(crate) fn form_post(redirect_uri: &str, params: &[(&str, String)]) -> Response {
    let mut inputs = String::new();
    for (name, value) in params {
        let (name, value) = (html_escape(name), html_escape(value));
        let _ = write!(inputs, r#"<input type="hidden" name="{name}" value="{value}">"#);
    }
    page(
        StatusCode::OK,
        "Continue",
        &format!(
            r#"<h1>Continue to the application</h1>
<form method="post" action="{action}">{inputs}
  <button id="continue" type="submit">Continue</button>
</form>"#,
            action = html_escape(redirect_uri),
        ),
    )
}

/// The page shown after `/logout` without a `post_logout_redirect_uri`.
pub(crate) fn signed_out() -> Response {
    page(StatusCode::OK, "Signed out", r#"<h1 id="signed-out">You are signed out.</h1>"#)
}

/// An error that cannot go back to the client (unknown client, unregistered redirect URI...).
pub(crate) fn error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = page(
        status,
        "Error",
        &format!(
            r#"<h1>Something went wrong</h1>
<p>Error code: <code id="error-code">{}</code></p>
<p id="error-description">{}</p>"#,
            html_escape(code),
            html_escape(description)
        ),
    );
    Refusal::attach(&mut response, code, description);
    response
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title} - okta-devserver</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}label,input,button{{display:block;margin:.4rem 0}}.error{{color:#b00}}</style>
</head>
<body>
{body}
</body>
</html>
"#
    );
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Escapes text for HTML element content and attribute values (the server's only escaper).
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests;
