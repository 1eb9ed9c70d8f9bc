//! The service-to-service scenario `cargo xtask e2e` prints beside the login steps, through the
//! same library code: every step ends as it should (the two calls that must be refused are
//! refused, for the right reason), each client authenticates as its step says, tokens are
//! cached, and nothing secret is printed.

use std::time::Duration;

use http::Method;
use okta_devserver::{
    ClientAuthentication, DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET,
    DEMO_JWT_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET, GrantType,
};
use okta_e2e::{Outcome, ServiceStep, Target, report, run_service_scenario};

use crate::support::assert_no_secrets;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::print_stdout, reason = "the step table goes to the test log")]
async fn the_service_scenario_passes_step_by_step() {
    let target = Target::devserver().await.unwrap();
    let mut text = report::step_header();
    let service = run_service_scenario(&target, Duration::from_secs(30), &mut |step| {
        text.push('\n');
        text.push_str(&report::service_step_line(step));
    })
    .await;
    text.push_str("\n\n");
    text.push_str(&report::service_summary(&service));
    println!("{text}");
    assert!(service.is_success(), "{text}");
    let steps: Vec<ServiceStep> =
        service.steps().iter().map(okta_e2e::ServiceRecord::step).collect();
    assert_eq!(steps, ServiceStep::ALL);

    let detail = |step| match service.get(step).unwrap().outcome() {
        Outcome::Passed { detail } => detail.clone(),
        other => panic!("{step} did not pass: {other:?}"),
    };
    assert!(detail(ServiceStep::UserSignIn).starts_with("alice@example.com signed in"));
    assert!(
        detail(ServiceStep::UserCallsB)
            .contains("orders for sub alice@example.com (scp openid orders:read)"),
        "B saw the user and the scope"
    );
    let exchange = detail(ServiceStep::TokenExchange);
    assert!(exchange.contains("C saw the same user"), "{exchange}");
    assert!(exchange.contains("scp shipping:read, cid demo-exchange"), "{exchange}");
    assert!(
        detail(ServiceStep::ClientCredentials)
            .contains("B: orders for sub demo-service (scp orders:read)")
    );
    assert!(detail(ServiceStep::PrivateKeyJwt).contains("B: cancelled for demo-service-jwt"));
    assert!(detail(ServiceStep::ForeignToken).contains("401 Bearer error=\"invalid_token\""));
    assert!(detail(ServiceStep::WrongAudience).contains("error_description=\"audience_mismatch\""));
    assert!(
        detail(ServiceStep::MissingScope)
            .contains("403 Bearer error=\"insufficient_scope\", scope=\"orders:write\"")
    );

    let server = target.devserver_handle().unwrap();
    // One user sign-in, through the form at the orders server.
    assert_eq!(server.count(Method::POST, "/login/signin"), 1);
    assert_eq!(
        server.count_token_requests(GrantType::AuthorizationCode, okta_e2e::E2E_CLIENT_ID),
        1
    );
    // demo-service's token is fetched once and reused by its three steps.
    assert_eq!(
        server.count_token_requests(GrantType::ClientCredentials, DEMO_SERVICE_CLIENT_ID),
        1
    );
    assert_eq!(
        server.count_token_requests(GrantType::ClientCredentials, DEMO_JWT_SERVICE_CLIENT_ID),
        1
    );
    assert_eq!(server.count_token_requests(GrantType::TokenExchange, DEMO_EXCHANGE_CLIENT_ID), 1);
    // Each client authenticated as its step says.
    for request in server.requests().iter().filter(|r| r.path().ends_with("/v1/token")) {
        let ok = match request.client_id() {
            Some(DEMO_JWT_SERVICE_CLIENT_ID) => {
                matches!(request.client_auth(), ClientAuthentication::PrivateKeyJwt { .. })
            }
            Some(_) => {
                matches!(request.client_auth(), ClientAuthentication::ClientSecretBasic { .. })
            }
            None => false,
        };
        assert!(ok, "{:?} authenticated with {:?}", request.client_id(), request.client_auth());
    }
    assert_no_secrets(&text, &[DEMO_SERVICE_CLIENT_SECRET, DEMO_EXCHANGE_CLIENT_SECRET]);
}

#[tokio::test]
async fn the_service_scenario_needs_the_devserver() {
    let settings = okta_config::SettingsLoader::isolated()
        .set("issuer", "https://example.okta.com/oauth2/default")
        .set("client_id", "0oa-service-scenario")
        .set("client_secret", "a-secret-that-is-never-sent-0123456789")
        .set("redirect_uri", "https://app.example.com/callback")
        .role(okta_config::Role::Client)
        .load()
        .unwrap();
    let target = Target::okta_org(settings).await.unwrap();
    let service = run_service_scenario(&target, Duration::from_secs(5), &mut |_| {}).await;
    let failed = service.failure().expect("a failed first step");
    assert_eq!(failed.step(), ServiceStep::UserSignIn);
    assert!(failed.outcome().text().contains("needs the devserver"), "{:?}", failed.outcome());
    assert_eq!(service.steps().len(), 1);
}
