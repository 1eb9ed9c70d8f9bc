//! Unit tests of the login's option handling, its redirect URI checks and its pages.

use url::Url;

use crate::error::CliError;
use crate::login::{failed_page, listen, requested_scopes, signed_in_page};

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|scope| (*scope).to_owned()).collect()
}

#[test]
fn flag_scopes_are_added_after_the_configured_ones_once_each() {
    let configured = scopes(&["openid", "profile", "email"]);
    assert_eq!(
        requested_scopes(&configured, &scopes(&["offline_access", "profile"])),
        scopes(&["openid", "profile", "email", "offline_access"])
    );
    // --replace-scopes: nothing configured counts, and openid is not slipped in (the setting's
    // rule applies to the flag: okta-config refuses a list without it).
    assert_eq!(requested_scopes(&[], &scopes(&["groups", "groups"])), scopes(&["groups"]));
}

async fn usage_error(redirect_uri: &str) -> String {
    match listen(&Url::parse(redirect_uri).expect("URL")).await {
        Err(CliError::Usage(err)) => err.to_string(),
        Err(CliError::Failed(err)) => panic!("not a usage error: {err}"),
        Ok(listener) => panic!("{redirect_uri} accepted: {listener:?}"),
    }
}

#[tokio::test]
async fn other_redirect_uris_are_usage_errors_that_say_why() {
    let https = usage_error("https://127.0.0.1:8400/cb").await;
    assert!(https.contains("the redirect URI must be a plain-http loopback URI"), "{https}");
    assert!(https.contains("RFC 8252"), "{https}");
    assert!(https.ends_with("; https://127.0.0.1:8400/cb does not use http"), "{https}");
    let remote = usage_error("http://app.example.com/cb").await;
    assert!(remote.contains("is not on a loopback host"), "{remote}");
    usage_error("http://10.0.0.1:8400/cb").await;
}

#[tokio::test]
async fn port_zero_picks_a_free_port_and_a_taken_port_is_a_failure() {
    let configured = Url::parse("http://127.0.0.1:0/callback").expect("URL");
    let listener = listen(&configured).await.expect("binds");
    let port = listener.local_addr().port();
    assert_ne!(port, 0);
    assert_eq!(listener.redirect_uri().as_str(), format!("http://127.0.0.1:{port}/callback"));
    match listen(listener.redirect_uri()).await {
        Err(CliError::Failed(err)) => {
            assert!(err.to_string().starts_with("cannot listen on 127.0.0.1:"), "{err}");
        }
        other => panic!("a taken port is a failure (exit 1): {other:?}"),
    }
}

#[test]
fn the_pages_say_what_happened_and_where_to_look() {
    let done = signed_in_page();
    assert_eq!(done.status(), 200);
    assert!(done.message().contains("You can close this tab"), "{done:?}");
    let failed = failed_page("the ID token was refused (nonce_mismatch): nonce mismatch.");
    assert_eq!(failed.status(), 400);
    assert_eq!(failed.title(), "Sign-in failed");
    assert_eq!(
        failed.message(),
        "the ID token was refused (nonce_mismatch): nonce mismatch. The terminal says more; run \
         okta login again to retry."
    );
}
