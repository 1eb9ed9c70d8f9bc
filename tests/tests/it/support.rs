//! Shared helpers: runs of the driver with their output kept, a form sign-in up to the callback
//! with the library's pieces, and a check that output holds no secret.

use std::time::Duration;

use okta_e2e::{
    Agent, CALLBACK_PATH, Credentials, FlowOptions, FlowReport, Page, Target, UserAgent, report,
    run_flow,
};
use okta_flow::loopback::Callback;
use okta_flow::{AuthorizeOptions, OktaClient, PendingLogin};

/// Runs the flow once with the HTTP agent and returns the report and the rendered table.
#[allow(clippy::print_stdout, reason = "the step table goes to the test log")]
pub(crate) async fn run(target: &Target, options: &FlowOptions) -> (FlowReport, String) {
    let report = run_flow(target, Agent::Http, options, &mut |_| {}).await;
    let text = report::render_report(&report);
    println!("{text}");
    (report, text)
}

/// A client of the target, discovered with the target's clock.
pub(crate) async fn client(target: &Target) -> OktaClient {
    OktaClient::builder(target.settings())
        .clock(target.clock().clone())
        .discover()
        .await
        .expect("discovery against the devserver")
}

/// Starts a login and signs in through the HTML form; returns the page the browser ended on,
/// the redirect the listener caught (if any), and the pending login.
pub(crate) async fn sign_in(
    target: &Target,
    client: &OktaClient,
    options: &AuthorizeOptions,
    credentials: &Credentials,
) -> (Page, Option<Callback>, PendingLogin) {
    let (url, pending) = client.authorize(options).expect("authorization URL");
    let agent = UserAgent::new().expect("user agent");
    let form = agent.open(&url).await.expect("the sign-in page");
    assert!(form.has_element("username"), "a sign-in form: {form:?}");
    let fields = [("username", credentials.username()), ("password", credentials.password())];
    let page = agent.submit(&form, Some("submit"), &fields).await.expect("the form posts");
    let listener = target.listener().expect("a listener");
    let caught = listener.next_at(CALLBACK_PATH, Duration::from_millis(500)).await.ok();
    (page, caught, pending)
}

/// Fails if `text` holds something shaped like a secret: a JWT, or a long unbroken run of
/// base64url characters (codes, tokens and the client secret are 40 characters or more).
pub(crate) fn assert_no_secrets(text: &str, secrets: &[&str]) {
    assert!(!text.contains("eyJ"), "a JWT in the output:\n{text}");
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        assert!(
            word.len() < 40,
            "a secret-looking word ({} chars) in the output:\n{text}",
            word.len()
        );
    }
    for secret in secrets {
        assert!(!text.contains(secret), "a secret in the output:\n{text}");
    }
}
