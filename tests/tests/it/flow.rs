//! The run `cargo xtask e2e` makes, through the same library driver: every step passes against
//! the devserver, each doing what its name says, and nothing secret is printed.

use http::Method;
use okta_config::{Role, SettingsLoader};
use okta_devserver::{DEMO_PASSWORD, DEMO_USERNAME, DevServer};
use okta_e2e::{
    Credentials, E2E_CLIENT_ID, FlowOptions, Outcome, SignInMethod, Step, Target, report,
    run_repeated,
};

use crate::support::{assert_no_secrets, run};

#[tokio::test]
async fn every_step_passes_against_the_devserver() {
    let target = Target::devserver().await.unwrap();
    let options = FlowOptions::new(&target, Credentials::demo());
    let (report, text) = run(&target, &options).await;
    assert!(report.is_success(), "{text}");
    let steps: Vec<Step> = report.steps().iter().map(okta_e2e::StepRecord::step).collect();
    assert_eq!(steps, Step::ALL);
    assert_eq!(report.counts(), (13, 0, 0));

    let server = target.devserver_handle().unwrap();
    // The sign-in went through the HTML form, not the Authentication API.
    assert_eq!(server.count(Method::POST, "/login/signin"), 1);
    assert_eq!(server.count(Method::POST, "/api/v1/authn"), 0);
    // One key fetch serves the ID token and the access token (a shared cache).
    assert_eq!(server.count(Method::GET, "/oauth2/default/v1/keys"), 1);
    // Code exchange and refresh, then the refresh attempt with the revoked token.
    assert_eq!(server.count(Method::POST, "/oauth2/default/v1/token"), 3);
    assert_eq!(server.count(Method::POST, "/oauth2/default/v1/revoke"), 2);
    assert_eq!(server.count(Method::GET, "/oauth2/default/v1/logout"), 1);
    let token_requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.path() == "/oauth2/default/v1/token")
        .collect();
    assert!(token_requests.iter().all(|request| matches!(
        request.client_auth(),
        okta_devserver::ClientAuthentication::ClientSecretBasic { client_id } if client_id == E2E_CLIENT_ID
    )));

    let detail = |step| match report.get(step).unwrap().outcome() {
        Outcome::Passed { detail } => detail.clone(),
        other => panic!("{step} did not pass: {other:?}"),
    };
    assert!(
        detail(Step::SignIn)
            .contains("sign-in form posted without JavaScript as alice@example.com")
    );
    assert!(detail(Step::Redirect).starts_with("GET /authorization-code/callback on 127.0.0.1:"));
    assert!(detail(Step::CodeExchange).starts_with("client_secret_basic (the server saw it)"));
    assert!(detail(Step::IdToken).contains("nonce of the URL, at_hash"));
    assert!(detail(Step::AccessToken).contains("aud api://default, cid okta-e2e"));
    assert!(detail(Step::UserInfo).contains("email alice@example.com"));
    assert!(detail(Step::Revoke).contains("access token inactive; refresh token inactive"));
    assert!(detail(Step::Logout).contains("login_required"));

    let secret = target.settings().client().unwrap().secret().unwrap().secret().to_owned();
    assert_no_secrets(&text, &[&secret, DEMO_PASSWORD]);
    assert_no_secrets(&format!("{report:?}"), &[&secret, DEMO_PASSWORD]);
}

#[tokio::test]
async fn the_authn_and_session_token_sign_in_of_real_orgs_works_offline() {
    let target = Target::devserver().await.unwrap();
    let mut options = FlowOptions::new(&target, Credentials::demo());
    options.sign_in = SignInMethod::SessionToken;
    let (report, text) = run(&target, &options).await;
    assert!(report.is_success(), "{text}");
    let server = target.devserver_handle().unwrap();
    assert_eq!(server.count(Method::POST, "/api/v1/authn"), 1);
    assert_eq!(server.count(Method::POST, "/login/signin"), 0);
}

#[tokio::test]
async fn repeated_runs_give_percentiles_for_every_step() {
    let target = Target::devserver().await.unwrap();
    let options = FlowOptions::new(&target, Credentials::demo());
    let mut seen = Vec::new();
    let reports = run_repeated(&target, okta_e2e::Agent::Http, &options, 3, &mut |run, record| {
        seen.push((run, record.step()));
    })
    .await;
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(okta_e2e::FlowReport::is_success));
    assert_eq!(seen.len(), 39);
    assert_eq!(seen[13], (2, Step::Discovery));
    let rows = report::statistics(&reports);
    assert_eq!(rows.len(), 14, "13 steps and the whole flow");
    assert!(rows.iter().all(|row| row.samples == 3 && row.p50 <= row.p95 && row.p95 <= row.p99));
    let table = report::render_statistics(&rows);
    assert!(table.contains("code exchange") && table.contains("whole flow"), "{table}");
    // Every run signed in again through the form: the logout really ended each session.
    let server = target.devserver_handle().unwrap();
    assert_eq!(server.count(Method::POST, "/login/signin"), 3);
}

#[tokio::test]
async fn a_run_as_someone_else_signs_in_that_user() {
    let target = Target::devserver().await.unwrap();
    let options = FlowOptions::new(
        &target,
        Credentials::new(
            okta_devserver::DEMO_SECOND_USERNAME,
            okta_devserver::DEMO_SECOND_PASSWORD,
        ),
    );
    let (report, text) = run(&target, &options).await;
    assert!(report.is_success(), "{text}");
    assert!(text.contains("bob@example.com"), "{text}");
    assert!(!text.contains(DEMO_USERNAME), "{text}");
}

/// A devserver client registered like a team's app in a real org, and the settings a team would
/// write for it (no `offline_access`: the org grants no refresh token).
async fn org_like(
    redirect_uri: &str,
    post_logout: Option<&str>,
) -> (DevServer, okta_config::Settings) {
    let server = DevServer::builder().start().await.expect("devserver starts");
    let mut client =
        okta_devserver::Client::confidential("team-app", "team-app-secret-0123456789abcdef")
            .with_redirect_uri(redirect_uri);
    if let Some(uri) = post_logout {
        client = client.with_post_logout_redirect_uri(uri);
    }
    server.clients().add(client).expect("a new client");
    let mut loader = SettingsLoader::isolated();
    for (key, value) in server.okta_settings("default", "team-app").expect("the client exists") {
        loader = loader.set(key, value);
    }
    let settings = loader
        .set("scopes", ["openid", "profile", "email"])
        .role(Role::Client)
        .load()
        .expect("valid");
    (server, settings)
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

#[tokio::test]
async fn against_an_org_what_it_does_not_allow_is_skipped_with_the_reason_never_passed() {
    let port = free_port();
    let (server, settings) = org_like(
        &format!("http://localhost:{port}/authorization-code/callback"),
        Some(&format!("http://localhost:{port}/")),
    )
    .await;
    let target = Target::okta_org(settings).await.unwrap();
    assert!(!target.is_devserver());
    let options = FlowOptions::new(&target, Credentials::demo());
    assert_eq!(options.sign_in, SignInMethod::SessionToken, "Okta's own page needs JavaScript");
    let (report, text) = run(&target, &options).await;
    assert!(report.failure().is_none(), "{text}");
    assert_eq!(report.counts(), (12, 1, 0), "{text}");
    let Outcome::Skipped { reason } = report.get(Step::Refresh).unwrap().outcome() else {
        panic!("refresh must be skipped: {text}");
    };
    assert!(reason.starts_with("no refresh token was granted: ask for the offline_access scope"));
    assert!(text.contains("1 skipped"), "{text}");
    assert_eq!(
        report.get(Step::Revoke).unwrap().outcome().text(),
        "access token revoked; access token inactive"
    );
    assert_eq!(server.count(Method::POST, "/api/v1/authn"), 1);
}

#[tokio::test]
async fn without_a_loopback_redirect_uri_the_code_is_read_from_the_location_header() {
    let (_server, settings) =
        org_like("https://app.example.com/authorization-code/callback", None).await;
    let target = Target::okta_org(settings).await.unwrap();
    assert!(target.listener().is_none());
    let options = FlowOptions::new(&target, Credentials::demo());
    let (report, text) = run(&target, &options).await;
    assert!(report.failure().is_none(), "{text}");
    let Outcome::Skipped { reason } = report.get(Step::Redirect).unwrap().outcome() else {
        panic!("the listener step must be skipped: {text}");
    };
    assert!(reason.contains("is not a loopback address"), "{reason}");
    assert!(matches!(report.get(Step::CodeExchange).unwrap().outcome(), Outcome::Passed { .. }));
    assert!(
        report
            .get(Step::Logout)
            .unwrap()
            .outcome()
            .text()
            .starts_with("no post_logout_redirect_uri")
    );
}
