//! The doctor's resource-server and service roles against the devserver: a good configuration
//! passes, and each usual mistake (an audience that is a client id, a skewed clock, a token for
//! another API, a scope the server does not grant) is a problem that says how to fix it.

use std::time::Duration;

use okta_config::SettingsLoader;
use okta_devserver::{DEFAULT_SERVER_ID, DEMO_ORDERS_SERVER_ID, DEMO_SERVICE_CLIENT_ID};
use okta_e2e::{
    E2E_CLIENT_ID, RoleCheck, RoleReport, Target, Verdict, doctor_resource_server, doctor_service,
};
use okta_verify::Clock;

/// The devserver's settings for `client` at `server`, with `changes` on top.
async fn settings(server: &str, client: &str) -> (Target, Vec<(&'static str, String)>) {
    let target = Target::devserver().await.expect("devserver starts");
    let handle = target.devserver_handle().expect("a devserver target");
    let pairs = handle.okta_settings(server, client).expect("the client exists");
    (target, pairs)
}

fn loader<'a>(
    pairs: &'a [(&'static str, String)],
    changes: &'a [(&'static str, &'a str)],
) -> impl Fn() -> SettingsLoader + 'a {
    move || {
        let mut loader = SettingsLoader::isolated();
        for (key, value) in pairs {
            loader = loader.set(*key, value.clone());
        }
        for (key, value) in changes {
            loader = loader.set(*key, *value);
        }
        loader
    }
}

fn scope(name: &str) -> okta_config::Scope {
    okta_config::Scope::parse(name).expect("a valid scope")
}

fn printed(report: RoleReport) -> RoleReport {
    #[allow(clippy::print_stdout, reason = "the findings go to the test log")]
    {
        println!("{}", report.render());
    }
    report
}

fn problem(report: &RoleReport, check: RoleCheck) -> (String, String) {
    match report.of(check).as_slice() {
        [Verdict::Problem { message, fix }] => (message.clone(), fix.clone().unwrap_or_default()),
        other => panic!("expected one problem for {check:?}, found {other:?}\n{}", report.render()),
    }
}

fn is_ok(report: &RoleReport, check: RoleCheck) -> bool {
    matches!(report.of(check).as_slice(), [Verdict::Ok { .. }])
}

#[tokio::test]
async fn a_good_api_configuration_passes_every_resource_server_check() {
    let (_target, pairs) = settings(DEFAULT_SERVER_ID, E2E_CLIENT_ID).await;
    let report = printed(
        doctor_resource_server(loader(&pairs, &[("client_ids", E2E_CLIENT_ID)]), Clock::system())
            .await,
    );
    assert_eq!((report.problems(), report.warnings()), (0, 0), "{}", report.render());
    assert_eq!(report.findings().len(), 9, "{}", report.render());
    for check in [
        RoleCheck::Settings,
        RoleCheck::AcceptedClients,
        RoleCheck::Audience,
        RoleCheck::Discovery,
        RoleCheck::Issuer,
        RoleCheck::Keys,
        RoleCheck::KeyAlgorithms,
        RoleCheck::ClockSkew,
    ] {
        assert!(is_ok(&report, check), "{check:?}\n{}", report.render());
    }
    let text = report.render();
    assert!(text.contains("valid for an API (resource server)"), "{text}");
    assert!(text.contains("key(s) for RS256, 2048 bits or more"), "{text}");
    assert!(text.contains(&format!("only {E2E_CLIENT_ID} (client_ids")), "{text}");
}

#[tokio::test]
async fn an_api_without_a_choice_of_clients_is_a_settings_problem() {
    let (_target, pairs) = settings(DEFAULT_SERVER_ID, E2E_CLIENT_ID).await;
    let report = printed(doctor_resource_server(loader(&pairs, &[]), Clock::system()).await);
    assert!(report.problems() >= 1, "{}", report.render());
    let settings = report.of(RoleCheck::Settings);
    assert!(
        settings.iter().any(|verdict| matches!(verdict, Verdict::Problem { message, .. }
            if message.contains("client_ids") && message.contains("any_client"))),
        "{}",
        report.render()
    );
    assert!(matches!(report.of(RoleCheck::Keys).as_slice(), [Verdict::Skipped { .. }]));
}

#[tokio::test]
async fn an_audience_that_is_a_client_id_is_a_problem_with_the_fix() {
    let (_target, pairs) = settings(DEFAULT_SERVER_ID, E2E_CLIENT_ID).await;
    let changes = [("audience", "0oa1b2c3d4e5f6g7h8i9"), ("any_client", "true")];
    let report = printed(doctor_resource_server(loader(&pairs, &changes), Clock::system()).await);
    let (message, fix) = problem(&report, RoleCheck::Audience);
    assert!(
        message.starts_with("audience 0oa1b2c3d4e5f6g7h8i9 looks like a client id"),
        "{message}"
    );
    assert!(message.contains("audience_mismatch"), "{message}");
    assert!(fix.contains("Authorization Servers"), "{fix}");
    assert_eq!(report.problems(), 1, "{}", report.render());
    assert!(is_ok(&report, RoleCheck::Keys), "the other checks still run");
}

#[tokio::test]
async fn an_api_clock_ten_minutes_behind_is_a_problem() {
    let (_target, pairs) = settings(DEFAULT_SERVER_ID, E2E_CLIENT_ID).await;
    let behind = Clock::system().now() - Duration::from_secs(600);
    let report = printed(
        doctor_resource_server(loader(&pairs, &[("any_client", "true")]), Clock::fixed(behind))
            .await,
    );
    let (message, fix) = problem(&report, RoleCheck::ClockSkew);
    assert!(message.contains("behind the server's"), "{message}");
    assert!(message.contains("refused as issued in the future"), "{message}");
    assert!(fix.contains("NTP"), "{fix}");
}

#[tokio::test]
async fn a_service_gets_a_token_for_the_api_it_calls() {
    let (_target, pairs) = settings(DEMO_ORDERS_SERVER_ID, DEMO_SERVICE_CLIENT_ID).await;
    let report = printed(
        doctor_service(loader(&pairs, &[]), &[scope("orders:read")], Clock::system()).await,
    );
    assert_eq!((report.problems(), report.warnings()), (0, 0), "{}", report.render());
    assert!(is_ok(&report, RoleCheck::ServiceToken), "{}", report.render());
    assert!(is_ok(&report, RoleCheck::TokenAudience), "{}", report.render());
    let text = report.render();
    assert!(text.contains("a client-credentials token for scopes [orders:read]"), "{text}");
    assert!(text.contains("aud api://orders is the API's audience"), "{text}");
    let secret = &pairs.iter().find(|(key, _)| *key == "client_secret").unwrap().1;
    assert!(!text.contains(secret.as_str()), "the client secret is never printed");
}

#[tokio::test]
async fn a_service_token_for_another_api_is_a_problem() {
    let (_target, pairs) = settings(DEMO_ORDERS_SERVER_ID, DEMO_SERVICE_CLIENT_ID).await;
    let changes = [("audience", "api://shipping")];
    let report = printed(
        doctor_service(loader(&pairs, &changes), &[scope("orders:read")], Clock::system()).await,
    );
    assert!(is_ok(&report, RoleCheck::ServiceToken), "{}", report.render());
    let (message, fix) = problem(&report, RoleCheck::TokenAudience);
    assert_eq!(
        message,
        "the token's aud is api://orders, the API expects api://shipping: it would refuse the \
         token (audience_mismatch)"
    );
    assert!(fix.contains("authorization server whose Audience is the API's"), "{fix}");
}

#[tokio::test]
async fn a_scope_the_server_does_not_grant_is_a_problem_naming_the_scope() {
    let (_target, pairs) = settings(DEMO_ORDERS_SERVER_ID, DEMO_SERVICE_CLIENT_ID).await;
    let report = printed(
        doctor_service(loader(&pairs, &[]), &[scope("shipping:read")], Clock::system()).await,
    );
    let (message, _) = problem(&report, RoleCheck::ServiceToken);
    assert!(
        message.starts_with("no client-credentials token for scopes [shipping:read]"),
        "{message}"
    );
    assert!(message.contains("invalid_scope"), "{message}");
    assert!(matches!(report.of(RoleCheck::TokenAudience).as_slice(), [Verdict::Skipped { .. }]));
}

#[tokio::test]
async fn keys_outside_the_allow_list_are_named_in_a_warning() {
    let (target, pairs) = settings(DEFAULT_SERVER_ID, E2E_CLIENT_ID).await;
    let server = target.devserver_handle().expect("a devserver target");
    server.faults().arm_always(okta_devserver::Fault::JwksUnusableKeys);
    let report = printed(
        doctor_resource_server(loader(&pairs, &[("any_client", "true")]), Clock::system()).await,
    );
    assert!(is_ok(&report, RoleCheck::Keys), "the usable keys still verify tokens");
    let verdicts = report.of(RoleCheck::KeyAlgorithms);
    let [Verdict::Warning { message, .. }] = verdicts.as_slice() else {
        panic!("expected a warning\n{}", report.render())
    };
    assert!(message.starts_with("2 key(s) for RS256 ("), "{message}");
    assert!(message.contains("kty AKP"), "{message}");
    assert!(message.contains("cannot sign RS256"), "{message}");
    assert_eq!((report.problems(), report.warnings()), (0, 1), "{}", report.render());
}

#[tokio::test]
async fn without_scopes_a_service_asks_for_its_scopes_setting() {
    let (_target, pairs) = settings(DEMO_ORDERS_SERVER_ID, DEMO_SERVICE_CLIENT_ID).await;
    let report = printed(
        doctor_service(loader(&pairs, &[("scopes", "orders:read")]), &[], Clock::system()).await,
    );
    assert_eq!((report.problems(), report.warnings()), (0, 0), "{}", report.render());
    let text = report.render();
    assert!(
        text.contains("a client-credentials token for scopes [orders:read] (the scopes setting)"),
        "{text}"
    );
    // The setting is what is asked for: a scope the server does not grant is refused.
    let report = printed(
        doctor_service(loader(&pairs, &[("scopes", "shipping:read")]), &[], Clock::system()).await,
    );
    let (message, _) = problem(&report, RoleCheck::ServiceToken);
    assert!(
        message.starts_with(
            "no client-credentials token for scopes [shipping:read] (the scopes setting)"
        ),
        "{message}"
    );
    assert!(message.contains("invalid_scope"), "{message}");
}
