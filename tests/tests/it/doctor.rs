//! `cargo xtask doctor` against the devserver: a good configuration passes every check, and each
//! usual mistake gives its finding with a fix, all at once.

use std::time::Duration;

use okta_config::SettingsLoader;
use okta_e2e::{Check, DoctorReport, E2E_CLIENT_ID, Target, Verdict, doctor};
use okta_verify::Clock;

/// The doctor over settings made of `pairs`, with `changes` applied on top.
async fn diagnose(
    pairs: &[(&'static str, String)],
    changes: &[(&'static str, &str)],
    clock: Clock,
) -> DoctorReport {
    let loader = || {
        let mut loader = SettingsLoader::isolated();
        for (key, value) in pairs {
            loader = loader.set(*key, value.clone());
        }
        for (key, value) in changes {
            loader = loader.set(*key, *value);
        }
        loader
    };
    let report = doctor(loader, clock).await;
    #[allow(clippy::print_stdout, reason = "the findings go to the test log")]
    {
        println!("{}", report.render());
    }
    report
}

async fn devserver_settings() -> (Target, Vec<(&'static str, String)>) {
    let target = Target::devserver().await.expect("devserver starts");
    let server = target.devserver_handle().expect("a devserver target");
    let pairs = server.okta_settings("default", E2E_CLIENT_ID).expect("the e2e client exists");
    (target, pairs)
}

fn problem(report: &DoctorReport, check: Check) -> (String, String) {
    let found = report.of(check);
    match found.as_slice() {
        [Verdict::Problem { message, fix }] => (message.clone(), fix.clone().unwrap_or_default()),
        other => panic!("expected one problem for {check:?}, found {other:?}\n{}", report.render()),
    }
}

fn is_ok(report: &DoctorReport, check: Check) -> bool {
    matches!(report.of(check).as_slice(), [Verdict::Ok { .. }])
}

#[tokio::test]
async fn a_good_configuration_passes_every_check() {
    let (_target, pairs) = devserver_settings().await;
    let report = diagnose(&pairs, &[], Clock::system()).await;
    assert_eq!((report.problems(), report.warnings()), (0, 0), "{}", report.render());
    assert_eq!(report.findings().len(), 11);
    assert!(report.findings().iter().all(|finding| matches!(finding.verdict, Verdict::Ok { .. })));
    let text = report.render();
    assert!(text.contains(" usable key(s) at http://127.0.0.1:"), "{text}");
    assert!(text.contains("accepted with client_secret_basic"), "{text}");
    assert!(
        text.contains(
            "proxy                    ok       none: direct connections (http.proxy from default)"
        ),
        "{text}"
    );
    let secret = &pairs.iter().find(|(key, _)| *key == "client_secret").unwrap().1;
    assert!(!text.contains(secret.as_str()), "the client secret is never printed");
}

#[tokio::test]
async fn a_wrong_issuer_names_the_one_the_server_uses() {
    let (target, pairs) = devserver_settings().await;
    let port = target.devserver_handle().unwrap().addr().port();
    let localhost = format!("http://localhost:{port}/oauth2/default");
    let report = diagnose(&pairs, &[("issuer", &localhost)], Clock::system()).await;
    assert!(is_ok(&report, Check::Discovery), "localhost reaches the same server");
    let (message, fix) = problem(&report, Check::Issuer);
    let real = format!("http://127.0.0.1:{port}/oauth2/default");
    assert_eq!(
        message,
        format!("the server says its issuer is {real:?}, the settings say {localhost:?}")
    );
    assert!(fix.starts_with(&format!("set issuer to exactly {real} ")), "{fix}");
    assert!(matches!(report.of(Check::Keys).as_slice(), [Verdict::Skipped { .. }]));
}

#[tokio::test]
async fn an_authorization_server_that_does_not_exist_is_a_discovery_problem() {
    let (target, pairs) = devserver_settings().await;
    let missing = format!("{}/oauth2/nope", target.devserver_handle().unwrap().base_url());
    let report = diagnose(&pairs, &[("issuer", &missing)], Clock::system()).await;
    let (message, fix) = problem(&report, Check::Discovery);
    assert!(
        message.ends_with("/oauth2/nope/.well-known/openid-configuration answered HTTP 404"),
        "{message}"
    );
    assert!(fix.contains("/oauth2/{authorizationServerId}"), "{fix}");
    assert_eq!(report.problems(), 1, "the checks after discovery are skipped, not failed");
    let skipped =
        report.findings().iter().filter(|f| matches!(f.verdict, Verdict::Skipped { .. })).count();
    assert_eq!(skipped, 7);
}

#[tokio::test]
async fn an_unreachable_port_says_it_cannot_connect() {
    let (_target, pairs) = devserver_settings().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let issuer = format!("http://127.0.0.1:{closed}/oauth2/default");
    let report = diagnose(&pairs, &[("issuer", &issuer)], Clock::system()).await;
    let (message, fix) = problem(&report, Check::Discovery);
    assert!(
        message.starts_with(&format!("cannot connect to http://127.0.0.1:{closed}/")),
        "{message}"
    );
    assert!(fix.contains("reachable"), "{fix}");
}

#[tokio::test]
async fn a_client_authentication_the_app_does_not_use_is_refused_with_the_fix() {
    let (target, pairs) = devserver_settings().await;
    let report =
        diagnose(&pairs, &[("client_auth_method", "client_secret_post")], Clock::system()).await;
    assert!(
        is_ok(&report, Check::ClientCredentials),
        "Okta, and the devserver, take the secret of a client_secret_basic app in the body too"
    );

    let secret = "an-hmac-secret-of-at-least-32-characters";
    let server = target.devserver_handle().expect("a devserver target");
    server
        .clients()
        .add(
            okta_devserver::Client::confidential("e2e-hmac-app", secret)
                .with_auth_method(okta_devserver::ClientAuthMethod::ClientSecretJwt),
        )
        .expect("the client registers");
    let changes = [
        ("client_id", "e2e-hmac-app"),
        ("client_secret", secret),
        ("client_auth_method", "client_secret_post"),
    ];
    let report = diagnose(&pairs, &changes, Clock::system()).await;
    assert!(is_ok(&report, Check::AuthMethod), "the server advertises client_secret_post");
    let (message, fix) = problem(&report, Check::ClientCredentials);
    assert_eq!(message, "/introspect refused the client credentials (HTTP 401, invalid_client)");
    assert!(fix.contains("Client authentication is client_secret_post"), "{fix}");

    let report =
        diagnose(&pairs, &[("client_secret", "a-wrong-secret-of-some-length")], Clock::system())
            .await;
    let (message, _) = problem(&report, Check::ClientCredentials);
    assert!(message.contains("invalid_client"), "{message}");
    assert!(!report.render().contains("a-wrong-secret-of-some-length"));
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_refused_by_authorize() {
    let (_target, pairs) = devserver_settings().await;
    let report =
        diagnose(&pairs, &[("redirect_uri", "http://127.0.0.1:1/elsewhere")], Clock::system())
            .await;
    let (message, fix) = problem(&report, Check::RedirectUri);
    assert!(
        message.starts_with("/authorize refused the request before any sign-in (HTTP 400)"),
        "{message}"
    );
    assert!(fix.starts_with("add http://127.0.0.1:1/elsewhere exactly"), "{fix}");
    assert_eq!(report.problems(), 1);
}

#[tokio::test]
async fn a_clock_ten_minutes_ahead_is_a_problem() {
    let (_target, pairs) = devserver_settings().await;
    let ahead = Clock::system().now() + Duration::from_secs(600);
    let report = diagnose(&pairs, &[], Clock::fixed(ahead)).await;
    let (message, fix) = problem(&report, Check::ClockSkew);
    let seconds: u64 = message
        .strip_prefix("the local clock is ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("{message}"));
    assert!((598..=602).contains(&seconds), "{message}");
    assert!(
        message.contains(" s ahead of the server's, more than the leeway of 120 s"),
        "{message}"
    );
    assert!(fix.contains("NTP"));
}

#[tokio::test]
async fn settings_problems_and_live_checks_are_reported_together() {
    let (_target, pairs) = devserver_settings().await;
    let report = diagnose(&pairs, &[("client_id", "{clientId}")], Clock::system()).await;
    let settings = report.of(Check::Settings);
    assert_eq!(settings.len(), 1, "{}", report.render());
    let Verdict::Problem { message, .. } = settings[0] else { panic!() };
    assert!(message.starts_with("client_id (from set from code)"), "{message}");
    // The issuer is fine, so the server is still checked.
    assert!(is_ok(&report, Check::Discovery));
    assert!(is_ok(&report, Check::Keys));
    assert!(matches!(report.of(Check::ClientCredentials).as_slice(), [Verdict::Skipped { .. }]));
}

#[tokio::test]
async fn no_issuer_at_all_skips_the_live_checks() {
    let report = diagnose(&[], &[], Clock::system()).await;
    assert!(report.problems() >= 1);
    assert!(matches!(report.of(Check::Discovery).as_slice(), [Verdict::Skipped { .. }]));
}

#[tokio::test]
async fn the_proxy_in_effect_is_shown_with_its_origin_and_without_credentials() {
    let (_target, pairs) = devserver_settings().await;
    // The devserver is on 127.0.0.1, listed in no_proxy: the live checks still reach it.
    let changes = [
        ("http.proxy", "http://svc:pa55word@127.0.0.1:9"),
        ("http.no_proxy", "localhost 127.0.0.1"),
    ];
    let report = diagnose(&pairs, &changes, Clock::system()).await;
    assert_eq!((report.problems(), report.warnings()), (0, 0), "{}", report.render());
    let [Verdict::Ok { detail }] = report.of(Check::Proxy).as_slice() else {
        panic!("{}", report.render())
    };
    assert_eq!(
        detail,
        "http://[redacted]@127.0.0.1:9 (http.proxy from set from code); direct to localhost, \
         127.0.0.1 (http.no_proxy from set from code)"
    );
    assert!(!report.render().contains("pa55word"), "{}", report.render());
}

#[tokio::test]
async fn proxy_environment_without_variables_is_a_warning() {
    let (_target, pairs) = devserver_settings().await;
    // `SettingsLoader::isolated` reads no environment: no proxy variable at all.
    let report = diagnose(&pairs, &[("http.proxy", "environment")], Clock::system()).await;
    let [Verdict::Warning { message, fix }] = report.of(Check::Proxy).as_slice() else {
        panic!("{}", report.render())
    };
    assert!(message.contains("no proxy variable is set"), "{message}");
    assert!(fix.as_deref().is_some_and(|fix| fix.contains("HTTPS_PROXY")), "{fix:?}");
    assert_eq!(report.problems(), 0, "the live checks reach the devserver directly");
}

#[tokio::test]
async fn the_accepted_clients_are_shown_with_their_origin() {
    let (_target, pairs) = devserver_settings().await;
    let mut seen = Vec::new();
    for changes in [&[("client_ids", "0oa1 0oa2")][..], &[("any_client", "true")][..], &[][..]] {
        let report = diagnose(&pairs, changes, Clock::system()).await;
        assert_eq!((report.problems(), report.warnings()), (0, 0), "{}", report.render());
        let verdicts = report.of(Check::AcceptedClients);
        let [verdict] = verdicts.as_slice() else { panic!("{}", report.render()) };
        seen.push(format!("{verdict:?}"));
    }
    assert_eq!(
        seen,
        [
            r#"Ok { detail: "only 0oa1, 0oa2 (client_ids from set from code)" }"#,
            r#"Ok { detail: "any client of the issuer (any_client = true from set from code)" }"#,
            r#"Ok { detail: "none chosen: fine for signing users in; an API (resource-server role) must set client_ids or any_client = true" }"#,
        ]
    );
}
