//! The end-to-end machinery of okta-oidc: the whole Authorization Code flow driven as a user agent
//! and a web application would, step by named step, against the in-process `okta-devserver` or a
//! real Okta org.
//!
//! `cargo xtask e2e` is a thin command line over this library, and the integration tests of this
//! package (`tests/it`) use the same code, so the run a newcomer sees is the run CI tests.
//!
//! # Contents
//!
//! - [`Target`]: what to sign in to. [`Target::devserver`] starts the devserver on a free
//!   loopback port and registers a client whose redirect URIs point at okta-flow's
//!   `LoopbackListener` ([`Target::listener`]);
//!   [`Target::okta_org`] takes okta-config settings.
//! - [`run_flow`] and [`run_repeated`]: the driver. Each [`Step`] is timed and ends
//!   [`Outcome::Passed`], [`Outcome::Skipped`] (the org does not allow it; never counted as
//!   passed) or [`Outcome::Failed`], which stops the run.
//! - [`Agent`]: who plays the browser: a cookie-keeping [`UserAgent`] without JavaScript, or
//!   headless Chromium ([`Browser`], through ChromeDriver).
//! - [`run_service_scenario`]: the service-to-service scenario (a user's token to API B, token
//!   exchange to API C, a background service with client credentials and `private_key_jwt`),
//!   each [`ServiceStep`] timed like the login steps.
//! - [`report`]: the step table, the summary, p50/p95/p99 per step.
//! - [`doctor`](doctor()): a preflight of a team's settings against its authorization server.
//!
//! # A run against the devserver
//!
//! ```no_run
//! use okta_e2e::{Agent, Credentials, FlowOptions, Target, report, run_flow};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let target = Target::devserver().await?;
//! let options = FlowOptions::new(&target, Credentials::demo());
//! let report = run_flow(&target, Agent::Http, &options, &mut |step| {
//!     eprintln!("{}", report::step_line(step));
//! })
//! .await;
//! eprintln!("{}", report::summary(&report));
//! assert!(report.is_success());
//! # Ok(())
//! # }
//! ```
//!
//! Reports and errors never contain a client secret, a password, a code, a verifier or a token:
//! they give sizes instead.

mod cookies;
mod doctor;
mod flow;
mod html;
pub mod report;
mod service;
mod steps;
mod target;
mod user_agent;
mod webdriver;

// The public interface.
pub use crate::doctor::{
    Check, DoctorReport, Finding, RoleCheck, RoleReport, Verdict, doctor, doctor_resource_server,
    doctor_service,
};
pub use crate::flow::{Agent, ConsentDecision, FlowOptions, SignInMethod, run_flow, run_repeated};
pub use crate::service::{ServiceRecord, ServiceReport, ServiceStep, run_service_scenario};
pub use crate::steps::{FlowReport, Outcome, Step, StepRecord};
pub use crate::target::{
    CALLBACK_PAGE_ID, CALLBACK_PATH, E2E_CLIENT_ID, E2E_SCOPES, SIGNED_OUT_PATH, Target,
    TargetError,
};
pub use crate::user_agent::{Credentials, Page, SessionToken, UserAgent, UserAgentError};
pub use crate::webdriver::{Browser, BrowserError, BrowserOptions, INSTALL_HINT};
