//! The wait rules and the response checks, on canned responses.

use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, Response};
use okta_config::ClientAuthMethod;

use super::{Attempt, Context, announced_wait, classify};
use crate::TokenError;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

#[test]
fn the_wait_is_retry_after_else_the_earliest_reset_minus_date() {
    let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
    // 1,000,000 s after the epoch is Mon, 12 Jan 1970 13:46:40 GMT.
    let date = "Mon, 12 Jan 1970 13:46:40 GMT";
    let wait = |pairs: &[(&'static str, &str)]| announced_wait(&headers(pairs), now);
    assert_eq!(
        wait(&[("retry-after", "7"), ("x-rate-limit-reset", "1000030")]),
        Some(Duration::from_secs(7))
    );
    assert_eq!(
        wait(&[
            ("date", date),
            ("x-rate-limit-reset", "1000045"),
            ("x-rate-limit-reset", "1000030")
        ]),
        Some(Duration::from_secs(30)),
        "the earlier of two reset headers"
    );
    // Reset minus the server's Date, not the local clock (here 100 s ahead of the server).
    let skewed = announced_wait(
        &headers(&[("date", date), ("x-rate-limit-reset", "1000030")]),
        now + Duration::from_secs(100),
    );
    assert_eq!(skewed, Some(Duration::from_secs(30)));
    assert_eq!(
        wait(&[("x-rate-limit-reset", "1000010")]),
        Some(Duration::from_secs(10)),
        "no Date: now"
    );
    assert_eq!(
        wait(&[("x-rate-limit-reset", "999990")]),
        Some(Duration::ZERO),
        "a reset in the past"
    );
    assert_eq!(wait(&[("x-rate-limit-reset", "soon")]), None);
    assert_eq!(wait(&[]), None);
}

fn context(requested: &BTreeSet<String>) -> Context<'_> {
    Context {
        sent_at: UNIX_EPOCH + Duration::from_secs(100),
        now: UNIX_EPOCH + Duration::from_secs(101),
        requested,
        client_id: "0oa1svc",
        method: ClientAuthMethod::PrivateKeyJwt,
        grant: "client_credentials",
    }
}

fn response(status: u16, body: &str) -> Response<Vec<u8>> {
    Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
}

#[test]
fn malformed_token_responses_are_refused_with_the_reason() {
    let requested = BTreeSet::from(["orders:read".to_owned()]);
    for (body, reason) in [
        ("<html>", "not a JSON token response"),
        (r#"{"token_type":"Bearer","expires_in":3600}"#, "no access_token"),
        (r#"{"access_token":"","token_type":"Bearer","expires_in":3600}"#, "no access_token"),
        (r#"{"access_token":"t","token_type":"N_A","expires_in":3600}"#, "not Bearer"),
        (r#"{"access_token":"t","expires_in":3600}"#, "not Bearer"),
        (r#"{"access_token":"t","token_type":"Bearer"}"#, "no expires_in"),
        (r#"{"access_token":"t","token_type":"Bearer","expires_in":"3600"}"#, "not a positive"),
        (r#"{"access_token":"t","token_type":"Bearer","expires_in":0}"#, "not a positive"),
    ] {
        match classify(Ok(response(200, body)), &context(&requested)) {
            Attempt::Fatal { error: TokenError::MalformedResponse { reason: got }, .. } => {
                assert!(got.contains(reason), "{body}: {got}");
            }
            _ => panic!("{body}: expected a malformed response"),
        }
    }
    let Attempt::Token(token) = classify(
        Ok(response(200, r#"{"access_token":"t0k","token_type":"bearer","expires_in":3600}"#)),
        &context(&requested),
    ) else {
        panic!("expected a token");
    };
    assert_eq!(token.secret(), "t0k");
    assert_eq!(token.expires_at(), UNIX_EPOCH + Duration::from_secs(3700), "from the time sent");
    assert_eq!(token.scopes(), ["orders:read"], "the requested scopes when Okta names none");
    assert!(!format!("{token:?}").contains("t0k"));
}

#[test]
fn okta_errors_map_to_typed_errors_and_only_transient_ones_retry() {
    let requested = BTreeSet::from(["orders:write".to_owned()]);
    let fatal = |status: u16, body: &str| match classify(
        Ok(response(status, body)),
        &context(&requested),
    ) {
        Attempt::Fatal { error, .. } => error.to_string(),
        _ => panic!("{body}: expected no retry"),
    };
    assert!(
        fatal(401, r#"{"error":"invalid_client"}"#).contains("client 0oa1svc (invalid_client)")
    );
    assert!(fatal(400, r#"{"error":"invalid_scope"}"#).contains("[orders:write] (invalid_scope)"));
    assert!(fatal(400, r#"{"error":"unauthorized_client"}"#).contains("client_credentials grant"));
    assert_eq!(
        fatal(400, r#"{"error":"invalid_request"}"#),
        "Okta refused the token request (HTTP 400, invalid_request)"
    );
    assert_eq!(fatal(400, "nonsense"), "Okta refused the token request (HTTP 400)");
    for status in [429, 500, 503] {
        assert!(matches!(
            classify(Ok(response(status, "{}")), &context(&requested)),
            Attempt::Retry { .. }
        ));
    }
    let transport = classify(Err(okta_http::TransportError::other("reset")), &context(&requested));
    assert!(matches!(transport, Attempt::Retry { error: TokenError::Transport(_), .. }));
}
