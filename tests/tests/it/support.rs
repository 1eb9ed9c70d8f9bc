//! Shared helpers: runs of the driver with their output kept, and checks that reports hold no
//! secret.

use okta_e2e::{Agent, FlowOptions, FlowReport, Target, report, run_flow};

/// Runs the flow once with the HTTP agent and returns the report and the rendered table.
pub(crate) async fn run(target: &Target, options: &FlowOptions) -> (FlowReport, String) {
    let report = run_flow(target, Agent::Http, options, &mut |_| {}).await;
    let text = report::render_report(&report);
    println!("{text}");
    (report, text)
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
