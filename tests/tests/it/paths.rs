//! The paths a user can hit, each ending where it should: consent denied, a wrong password, an
//! expired or replayed code, a forged `state`, keys rotated between logins, a revoked refresh
//! token, and a server fault. Each either runs the driver (which must name the failed step) or
//! the library pieces a web application uses (which must give the typed error).

use std::time::Duration;

use http::Method;
use okta_devserver::{DEMO_USERNAME, DevServer, Endpoint, Fault, ManualClock, TokenFault};
use okta_e2e::{
    CALLBACK_PAGE_ID, ConsentDecision, Credentials, FlowOptions, Outcome, Step, Target,
};
use okta_flow::{
    AuthorizationErrorCode, AuthorizeOptions, CallbackError, Revocable, TokenError, TokenErrorCode,
};
use okta_verify::{AccessTokenOptions, AccessTokenVerifier, Clock, VerifyError};

use crate::support::{client, run, sign_in};

const TOKEN: &str = "/oauth2/default/v1/token";

fn failed_at(report: &okta_e2e::FlowReport) -> (Step, String) {
    let failure = report.failure().expect("the run failed");
    (failure.step(), failure.outcome().text().to_owned())
}

#[tokio::test]
async fn consent_denied_ends_at_the_state_check_with_access_denied_and_no_token_request() {
    let target = Target::devserver().await.unwrap();
    let mut options = FlowOptions::new(&target, Credentials::demo());
    options.consent = Some(ConsentDecision::Deny);
    let (report, text) = run(&target, &options).await;
    let (step, error) = failed_at(&report);
    assert_eq!(step, Step::StateCheck, "{text}");
    assert!(error.contains("access_denied"), "{error}");
    assert_eq!(report.steps().len(), 5, "nothing runs after the failed step");
    let server = target.devserver_handle().unwrap();
    assert_eq!(server.count(Method::POST, "/login/consent"), 1);
    assert_eq!(server.count(Method::POST, TOKEN), 0);

    // The typed error a web application sees.
    let client = client(&target).await;
    let consent = AuthorizeOptions::new().prompt(okta_flow::Prompt::Consent);
    let (url, pending) = client.authorize(&consent).unwrap();
    let agent = okta_e2e::UserAgent::new().unwrap();
    let form = agent.open(&url).await.unwrap();
    let credentials = Credentials::demo();
    let fields = [("username", credentials.username()), ("password", credentials.password())];
    let consent_page = agent.submit(&form, Some("submit"), &fields).await.unwrap();
    assert!(consent_page.has_element("allow") && consent_page.has_element("deny"));
    let back = agent.submit(&consent_page, Some("deny"), &[]).await.unwrap();
    assert!(back.has_element(CALLBACK_PAGE_ID));
    let caught = target
        .listener()
        .unwrap()
        .next_at(okta_e2e::CALLBACK_PATH, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(caught.parameter("code"), None);
    assert!(matches!(
        client.handle_callback(caught.query(), &pending),
        Err(CallbackError::Authorization { code: AuthorizationErrorCode::AccessDenied, .. })
    ));
}

#[tokio::test]
async fn consent_allowed_goes_on() {
    let target = Target::devserver().await.unwrap();
    let mut options = FlowOptions::new(&target, Credentials::demo());
    options.consent = Some(ConsentDecision::Allow);
    let (report, text) = run(&target, &options).await;
    assert!(report.is_success(), "{text}");
    assert!(report.get(Step::SignIn).unwrap().outcome().text().contains("consent: allow"));
}

#[tokio::test]
async fn a_wrong_password_shows_the_error_on_the_form_and_no_code() {
    let target = Target::devserver().await.unwrap();
    let wrong = Credentials::new(DEMO_USERNAME, "not-the-password");
    let options = FlowOptions::new(&target, wrong.clone());
    let (report, text) = run(&target, &options).await;
    let (step, error) = failed_at(&report);
    assert_eq!(step, Step::SignIn, "{text}");
    assert_eq!(
        error,
        "the sign-in page refused the credentials of alice@example.com (#error: Unable to sign \
         in: the username or password is incorrect.)"
    );
    assert!(!text.contains("not-the-password"));

    let client = client(&target).await;
    let (page, caught, _) = sign_in(&target, &client, &AuthorizeOptions::new(), &wrong).await;
    assert_eq!(page.status(), 401);
    assert!(page.has_element("error") && page.has_element("username"), "the form again");
    assert!(caught.is_none(), "no redirect back, so no code: {caught:?}");
    assert_eq!(target.devserver_handle().unwrap().count(Method::POST, TOKEN), 0);
}

#[tokio::test]
async fn an_expired_code_is_refused_with_invalid_grant() {
    let clock = ManualClock::starting_now();
    let builder = DevServer::builder().clock(clock.clone());
    let verify_clock = {
        let clock = clock.clone();
        Clock::from_fn(move || clock.now())
    };
    let target = Target::devserver_with(builder, verify_clock).await.unwrap();
    let client = client(&target).await;
    let (_, caught, pending) =
        sign_in(&target, &client, &AuthorizeOptions::new(), &Credentials::demo()).await;
    let code = client.handle_callback(caught.unwrap().query(), &pending).unwrap();
    clock.advance(Duration::from_secs(301));
    let err = client.exchange_code(code, &pending).await.unwrap_err();
    assert!(
        matches!(
            &err,
            TokenError::Rejected { code: TokenErrorCode::InvalidGrant, status: 400, .. }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), "token_endpoint_error");
}

#[tokio::test]
async fn a_code_within_its_lifetime_is_accepted() {
    let clock = ManualClock::starting_now();
    let builder = DevServer::builder().clock(clock.clone());
    let verify_clock = {
        let clock = clock.clone();
        Clock::from_fn(move || clock.now())
    };
    let target = Target::devserver_with(builder, verify_clock).await.unwrap();
    let client = client(&target).await;
    let (_, caught, pending) =
        sign_in(&target, &client, &AuthorizeOptions::new(), &Credentials::demo()).await;
    let code = client.handle_callback(caught.unwrap().query(), &pending).unwrap();
    clock.advance(Duration::from_secs(299));
    assert!(client.exchange_code(code, &pending).await.is_ok());
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let target = Target::devserver().await.unwrap();
    let client = client(&target).await;
    let (_, caught, pending) =
        sign_in(&target, &client, &AuthorizeOptions::new(), &Credentials::demo()).await;
    let code = client.handle_callback(caught.unwrap().query(), &pending).unwrap();
    let tokens = client.exchange_code(code.clone(), &pending).await.unwrap();
    assert!(client.introspect(tokens.access_token().secret()).await.is_ok());

    let err = client.exchange_code(code, &pending).await.unwrap_err();
    assert!(
        matches!(err, TokenError::Rejected { code: TokenErrorCode::InvalidGrant, .. }),
        "{err:?}"
    );
    // RFC 6749 4.1.2: the server revokes the tokens the code issued.
    assert!(matches!(
        client.introspect(tokens.access_token().secret()).await,
        Err(VerifyError::IntrospectionInactive)
    ));
}

#[tokio::test]
async fn a_callback_with_another_logins_state_is_refused_before_any_token_request() {
    let target = Target::devserver().await.unwrap();
    let client = client(&target).await;
    let (_, caught, _mine) =
        sign_in(&target, &client, &AuthorizeOptions::new(), &Credentials::demo()).await;
    let caught = caught.unwrap();
    // Another login of the same browser (or an attacker's) has its own state.
    let (_, other) = client.authorize(&AuthorizeOptions::new()).unwrap();
    assert_eq!(
        client.handle_callback(caught.query(), &other).err(),
        Some(CallbackError::StateMismatch)
    );
    // A callback whose state was tampered with, or removed.
    let (_, pending) = client.authorize(&AuthorizeOptions::new()).unwrap();
    let code = caught.parameter("code").unwrap();
    let forged = format!("code={code}&state=forged-state-value");
    assert_eq!(client.handle_callback(&forged, &pending).err(), Some(CallbackError::StateMismatch));
    let no_state = format!("code={code}");
    assert_eq!(
        client.handle_callback(&no_state, &pending).err(),
        Some(CallbackError::StateMissing)
    );
    assert_eq!(target.devserver_handle().unwrap().count(Method::POST, TOKEN), 0);
}

#[tokio::test]
async fn keys_rotated_between_two_logins_are_fetched_once_more_and_verify() {
    let target = Target::devserver().await.unwrap();
    let server = target.devserver_handle().unwrap();
    let client = client(&target).await;
    let login = |target, client| async move {
        let (_, caught, pending) =
            sign_in(target, client, &AuthorizeOptions::new(), &Credentials::demo()).await;
        let client: &okta_flow::OktaClient = client;
        client.finish_login(caught.unwrap().query(), &pending).await
    };
    let first = login(&target, &client).await.unwrap();
    let keys = client.keys();
    assert_eq!(keys.fetch_count(), 1);
    let old_kid = server.keys().signing_kid("default").unwrap();

    let new_kid = server.rotate_keys("default").unwrap();
    assert_ne!(new_kid, old_kid);
    let second = login(&target, &client).await.expect("the ID token of the new key verifies");
    assert_eq!(keys.fetch_count(), 2, "one refetch for the unknown kid");
    assert_eq!(server.count(Method::GET, "/oauth2/default/v1/keys"), 2);
    assert!(keys.kids().contains(&Some(new_kid)));

    // An API sharing the key cache accepts access tokens of both keys without another fetch.
    let mut options = AccessTokenOptions::from_settings(target.settings());
    options.client_ids = vec![target.settings().client().unwrap().id().clone()];
    let verifier = AccessTokenVerifier::new(options, keys.clone()).unwrap();
    assert!(verifier.verify(second.access_token().secret()).await.is_ok());
    assert!(
        verifier.verify(first.access_token().secret()).await.is_ok(),
        "the old key stays published"
    );
    assert_eq!(keys.fetch_count(), 2);
}

#[tokio::test]
async fn a_revoked_refresh_token_cannot_refresh_and_its_access_tokens_are_inactive() {
    let target = Target::devserver().await.unwrap();
    let client = client(&target).await;
    let (_, caught, pending) =
        sign_in(&target, &client, &AuthorizeOptions::new(), &Credentials::demo()).await;
    let tokens = client.finish_login(caught.unwrap().query(), &pending).await.unwrap();
    let refresh_token = tokens.refresh_token().expect("offline_access gives a refresh token");
    let subject = &tokens.id_token_claims().unwrap().sub;
    let refreshed = client.refresh(refresh_token, subject).await.unwrap();

    client.revoke(Revocable::RefreshToken(refresh_token)).await.unwrap();
    let err = client.refresh(refresh_token, subject).await.unwrap_err();
    assert!(
        matches!(err, TokenError::Rejected { code: TokenErrorCode::InvalidGrant, .. }),
        "{err:?}"
    );
    for access in [tokens.access_token(), refreshed.access_token()] {
        assert!(matches!(
            client.introspect(access.secret()).await,
            Err(VerifyError::IntrospectionInactive)
        ));
    }
}

#[tokio::test]
async fn a_server_fault_stops_the_run_at_the_step_it_hits() {
    let target = Target::devserver().await.unwrap();
    let server = target.devserver_handle().unwrap();
    let options = FlowOptions::new(&target, Credentials::demo());

    server.faults().arm(Fault::IdToken(TokenFault::WrongNonce));
    let (report, text) = run(&target, &options).await;
    let (step, error) = failed_at(&report);
    assert_eq!(step, Step::CodeExchange, "{text}");
    assert!(error.contains("nonce"), "{error}");

    server.faults().arm(Fault::ServerError { endpoint: Endpoint::Userinfo, status: 503 });
    let (report, text) = run(&target, &options).await;
    assert_eq!(failed_at(&report).0, Step::UserInfo, "{text}");
    assert!(text.contains("FAILED at step \"userinfo\""), "{text}");
    assert!(report.get(Step::Refresh).is_none(), "no step after the failure");
    assert!(matches!(report.get(Step::AccessToken).unwrap().outcome(), Outcome::Passed { .. }));
}
