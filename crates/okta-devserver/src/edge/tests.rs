//! Tests of the endpoint faults, the rate-limit headers and the request record.

use std::time::Duration;

use http::{Method, StatusCode};

use crate::testing::Harness;
use crate::{ClientAuthentication, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Endpoint, Fault};

const DEMO: Option<(&str, &str)> = Some((DEMO_CLIENT_ID, DEMO_CLIENT_SECRET));
const TOKEN: &str = "/oauth2/default/v1/token";
const KEYS: &str = "/oauth2/default/v1/keys";

#[tokio::test]
async fn rate_limited_answers_429_with_the_three_headers_once() {
    let harness = Harness::new().await;
    harness.server.faults().arm(Fault::RateLimited(Endpoint::Token));
    let limited = harness.post_form(TOKEN, "grant_type=refresh_token&refresh_token=x", DEMO).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json()["errorCode"], "E0000047");
    assert_eq!(limited.header("x-rate-limit-limit"), Some("600"));
    assert_eq!(limited.header("x-rate-limit-remaining"), Some("0"));
    assert_eq!(limited.header("x-rate-limit-reset"), Some("1800000060"));
    let next = harness.post_form(TOKEN, "grant_type=refresh_token&refresh_token=x", DEMO).await;
    assert_eq!(next.status, StatusCode::BAD_REQUEST, "back to normal: an invalid_grant");
}

#[tokio::test]
async fn okta_endpoints_send_rate_limit_headers_that_count_down() {
    let harness = Harness::new().await;
    let first = harness.post_form(TOKEN, "", DEMO).await;
    let second = harness.post_form(TOKEN, "", DEMO).await;
    assert_eq!(first.header("x-rate-limit-remaining"), Some("599"));
    assert_eq!(second.header("x-rate-limit-remaining"), Some("598"));
    harness.clock.advance(Duration::from_mins(1));
    let next_window = harness.post_form(TOKEN, "", DEMO).await;
    assert_eq!(next_window.header("x-rate-limit-remaining"), Some("599"));
    assert_eq!(next_window.header("x-rate-limit-reset"), Some("1800000120"));
    let discovery = harness.get("/oauth2/default/.well-known/openid-configuration").await;
    assert!(discovery.header("x-rate-limit-limit").is_none());
}

#[tokio::test]
async fn server_errors_target_one_endpoint() {
    let harness = Harness::new().await;
    harness
        .server
        .faults()
        .arm_times(Fault::ServerError { endpoint: Endpoint::Keys, status: 503 }, 2);
    for _ in 0..2 {
        let reply = harness.get(KEYS).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(reply.json()["errorCode"], "E0000009");
    }
    assert_eq!(harness.get(KEYS).await.status, StatusCode::OK);
    harness.server.faults().arm(Fault::ServerError { endpoint: Endpoint::Userinfo, status: 500 });
    assert_eq!(harness.get(KEYS).await.status, StatusCode::OK, "other endpoints are untouched");
    assert_eq!(
        harness.get("/oauth2/default/v1/userinfo").await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[tokio::test]
async fn delays_postpone_a_normal_answer() {
    let harness = Harness::new().await;
    harness
        .server
        .faults()
        .arm(Fault::Delay { endpoint: Endpoint::Discovery, duration: Duration::from_millis(300) });
    let started = std::time::Instant::now();
    let reply = harness.get("/.well-known/openid-configuration").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn redirects_point_at_a_recorded_trap() {
    let harness = Harness::new().await;
    harness.server.faults().arm(Fault::Redirect { endpoint: Endpoint::Token, status: 307 });
    let reply = harness.post_form(TOKEN, "grant_type=authorization_code&code=x", DEMO).await;
    assert_eq!(reply.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        reply.header("location"),
        Some(format!("{}/devserver/redirected", harness.server.base_url()).as_str())
    );
    assert_eq!(harness.server.count(Method::POST, "/devserver/redirected"), 0);
    harness.post_form("/devserver/redirected", "code=x", None).await;
    assert_eq!(
        harness.server.count(Method::POST, "/devserver/redirected"),
        1,
        "a client that follows is caught"
    );
    harness.server.faults().arm(Fault::Redirect { endpoint: Endpoint::Keys, status: 200 });
    assert_eq!(
        harness.get(KEYS).await.status,
        StatusCode::FOUND,
        "a non-redirect status falls back to 302"
    );
}

#[tokio::test]
async fn html_and_oversized_bodies() {
    let harness = Harness::new().await;
    harness.server.faults().arm(Fault::HtmlBody(Endpoint::Token));
    let html = harness.post_form(TOKEN, "", DEMO).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.header("content-type").unwrap().starts_with("text/html"));
    assert!(html.text().starts_with("<!DOCTYPE html>"));

    let ten_mib = 10 * 1024 * 1024;
    harness.server.faults().arm(Fault::OversizedBody { endpoint: Endpoint::Token, bytes: ten_mib });
    let huge = harness.post_form(TOKEN, "", DEMO).await;
    assert_eq!(huge.status, StatusCode::OK);
    assert_eq!(huge.header("content-type"), Some("application/json"));
    assert_eq!(huge.body.len(), ten_mib);
    assert!(huge.body.starts_with(br#"{"access_token":""#) && huge.body.ends_with(br#""}"#));
}

#[tokio::test]
async fn every_request_is_recorded_without_secrets_in_debug_output() {
    let harness = Harness::new().await;
    let tokens = harness.tokens("default", &[]).await;
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    harness.get_with("/oauth2/default/v1/userinfo", &[("authorization", &bearer)]).await;
    harness.get("/devserver/faults").await;

    let requests = harness.server.requests();
    let paths: Vec<(&Method, &str)> =
        requests.iter().map(|request| (request.method(), request.path())).collect();
    assert_eq!(
        paths,
        [
            (&Method::POST, "/api/v1/authn"),
            (&Method::GET, "/oauth2/default/v1/authorize"),
            (&Method::POST, TOKEN),
            (&Method::GET, "/oauth2/default/v1/userinfo"),
        ],
        "admin routes are not recorded"
    );
    let authorize = &requests[1];
    assert_eq!(authorize.query("client_id"), Some(DEMO_CLIENT_ID));
    assert_eq!(authorize.query("state"), Some("state-123"));
    let token = &requests[2];
    assert_eq!(token.form("grant_type"), Some("authorization_code"));
    assert_eq!(
        token.client_auth(),
        &ClientAuthentication::ClientSecretBasic { client_id: DEMO_CLIENT_ID.to_owned() }
    );
    assert!(!token.has_bearer_token());
    assert!(requests[3].has_bearer_token());
    assert_eq!(requests[3].client_auth(), &ClientAuthentication::None);
    assert_eq!(token.time(), harness.clock.now());

    let debug = format!("{requests:?}");
    let code = token.form("code").unwrap();
    for secret in [code, tokens["access_token"].as_str().unwrap(), crate::DEMO_PASSWORD] {
        assert!(!debug.contains(secret), "a secret leaked into Debug output");
    }
    assert_eq!(harness.server.count(Method::GET, "/oauth2/default/v1/userinfo"), 1);
    assert_eq!(harness.server.count(Method::POST, "/oauth2/default/v1/userinfo"), 0);
    harness.server.clear_requests();
    assert!(harness.server.requests().is_empty());
}

#[tokio::test]
async fn oversized_requests_are_refused() {
    let harness = Harness::new().await;
    let body = "a".repeat(2 * 1024 * 1024);
    let reply = harness.post_form(TOKEN, &body, DEMO).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_rate_limit_fault_sets_reset_retry_after_and_a_second_reset_by_the_server_clock() {
    let harness = Harness::new().await;
    harness.server.faults().arm_times(
        Fault::RateLimitedWith(
            crate::RateLimitFault::new(Endpoint::Token)
                .reset_in(Duration::from_secs(7))
                .duplicate_reset_in(Duration::from_secs(30))
                .retry_after(Duration::from_secs(5)),
        ),
        2,
    );
    let body = "grant_type=client_credentials&scope=orders:read";
    let service = Some((crate::DEMO_SERVICE_CLIENT_ID, crate::DEMO_SERVICE_CLIENT_SECRET));
    for _ in 0..2 {
        let limited = harness.post_form("/oauth2/orders/v1/token", body, service).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        let error = limited.json();
        assert_eq!(error["errorCode"], "E0000047");
        assert_eq!(error["errorSummary"], "API call exceeded rate limit due to too many requests.");
        assert!(error.get("error").is_none(), "an Okta API error, not an OAuth one");
        let resets: Vec<&str> = limited
            .headers
            .get_all("x-rate-limit-reset")
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect();
        assert_eq!(resets, ["1800000007", "1800000030"], "Okta SDKs take the earliest");
        assert_eq!(limited.header("x-rate-limit-remaining"), Some("0"));
        assert_eq!(limited.header("x-rate-limit-limit"), Some("600"));
        assert_eq!(limited.header("retry-after"), Some("5"));
        assert_eq!(
            limited.header("date"),
            Some("Fri, 15 Jan 2027 08:00:00 GMT"),
            "the manual clock"
        );
    }
    let normal = harness.post_form("/oauth2/orders/v1/token", body, service).await;
    assert_eq!(normal.status, StatusCode::OK, "two times, then normal");
    assert_eq!(normal.header("date"), Some("Fri, 15 Jan 2027 08:00:00 GMT"));
    assert_eq!(
        harness.server.count_token_requests(
            crate::GrantType::ClientCredentials,
            crate::DEMO_SERVICE_CLIENT_ID
        ),
        3,
        "the refused requests were recorded"
    );

    harness.clock.advance(Duration::from_secs(15));
    harness
        .server
        .faults()
        .arm(Fault::RateLimitedWith(crate::RateLimitFault::new(Endpoint::Token)));
    let plain = harness.post_form("/oauth2/orders/v1/token", body, service).await;
    assert_eq!(
        plain.header("x-rate-limit-reset"),
        Some("1800000060"),
        "the next minute by default"
    );
    assert!(plain.header("retry-after").is_none(), "Okta documents no Retry-After");
    assert_eq!(plain.headers.get_all("x-rate-limit-reset").iter().count(), 1);
}

#[tokio::test]
async fn a_503_then_normal_answers() {
    let harness = Harness::new().await;
    harness
        .server
        .faults()
        .arm_times(Fault::ServerError { endpoint: Endpoint::Token, status: 503 }, 3);
    let service = Some((crate::DEMO_SERVICE_CLIENT_ID, crate::DEMO_SERVICE_CLIENT_SECRET));
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let reply = harness
                .post_form("/oauth2/orders/v1/token", "grant_type=client_credentials", service)
                .await;
            statuses.push(reply.status.as_u16());
        }
        statuses
    };
    assert_eq!(statuses, [503, 503, 503, 200]);
}
