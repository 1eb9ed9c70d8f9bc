//! Named, timed steps with an outcome: the vocabulary of an end-to-end run and its report.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One step of the Authorization Code flow, in the order a run takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Fetch and check the issuer's metadata (`/.well-known/openid-configuration`).
    Discovery,
    /// Build the authorization URL (`state`, `nonce`, PKCE S256) and check what it carries.
    AuthorizationUrl,
    /// The user signs in: the HTML form, headless Chromium, or `/api/v1/authn` + `sessionToken`.
    SignIn,
    /// The redirect back to the redirect URI, caught by a real loopback listener.
    Redirect,
    /// The callback's `state` (and RFC 9207 `iss`) checked; the code taken.
    StateCheck,
    /// The code redeemed at `/token` with the configured client authentication.
    CodeExchange,
    /// The ID token verified again, independently, with `okta-verify` (nonce of the URL,
    /// `at_hash`).
    IdToken,
    /// The access token verified with `okta-verify`, sharing the client's key cache.
    AccessToken,
    /// `/userinfo` called with the access token; its `sub` must be the ID token's.
    UserInfo,
    /// The refresh token used; the new ID token must name the same `sub`.
    Refresh,
    /// `/introspect` says the access token is active.
    Introspect,
    /// The tokens revoked at `/revoke`; introspection then says inactive.
    Revoke,
    /// The logout URL followed: the post-logout redirect comes back and the session has ended.
    Logout,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Self; 13] = [
        Self::Discovery,
        Self::AuthorizationUrl,
        Self::SignIn,
        Self::Redirect,
        Self::StateCheck,
        Self::CodeExchange,
        Self::IdToken,
        Self::AccessToken,
        Self::UserInfo,
        Self::Refresh,
        Self::Introspect,
        Self::Revoke,
        Self::Logout,
    ];

    /// The step's name as printed in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Discovery => "discovery",
            Self::AuthorizationUrl => "authorization URL",
            Self::SignIn => "sign-in",
            Self::Redirect => "redirect caught",
            Self::StateCheck => "state check",
            Self::CodeExchange => "code exchange",
            Self::IdToken => "ID token verified",
            Self::AccessToken => "access token verified",
            Self::UserInfo => "userinfo",
            Self::Refresh => "refresh",
            Self::Introspect => "introspect",
            Self::Revoke => "revoke",
            Self::Logout => "logout",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a step ended. Texts never contain a secret, a code or a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The step failed; the run stopped here.
    Failed {
        /// What went wrong.
        error: String,
    },
    /// The step did what it should.
    Passed {
        /// What was checked, with sizes instead of secrets.
        detail: String,
    },
    /// The step could not run against this authorization server (for example no refresh token
    /// was granted). Never counted as passed.
    Skipped {
        /// Why, and how to enable it.
        reason: String,
    },
}

impl Outcome {
    /// `passed`, `skipped` or `FAILED`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Failed { .. } => "FAILED",
            Self::Passed { .. } => "passed",
            Self::Skipped { .. } => "skipped",
        }
    }

    /// The detail, reason or error text.
    pub fn text(&self) -> &str {
        match self {
            Self::Failed { error } => error,
            Self::Passed { detail } => detail,
            Self::Skipped { reason } => reason,
        }
    }
}

/// One step as it ran.
#[derive(Clone, Debug)]
pub struct StepRecord {
    step: Step,
    duration: Duration,
    outcome: Outcome,
    screenshot: Option<PathBuf>,
}

impl StepRecord {
    /// Which step.
    pub fn step(&self) -> Step {
        self.step
    }

    /// How long it took.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// How it ended.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The browser screenshot taken when the step failed during a browser run.
    pub fn screenshot(&self) -> Option<&Path> {
        self.screenshot.as_deref()
    }
}

/// The record of one run of the flow: the steps taken, in order, up to the first failure.
#[derive(Clone, Debug, Default)]
pub struct FlowReport {
    records: Vec<StepRecord>,
    total: Duration,
}

impl FlowReport {
    /// The steps that ran, in order.
    pub fn steps(&self) -> &[StepRecord] {
        &self.records
    }

    /// The record of `step`, if it ran.
    pub fn get(&self, step: Step) -> Option<&StepRecord> {
        self.records.iter().find(|record| record.step == step)
    }

    /// The failed step, if the run failed.
    pub fn failure(&self) -> Option<&StepRecord> {
        self.records.iter().find(|record| matches!(record.outcome, Outcome::Failed { .. }))
    }

    /// `true` when no step failed and every step ran.
    pub fn is_success(&self) -> bool {
        self.failure().is_none() && self.records.len() == Step::ALL.len()
    }

    /// How many steps passed, were skipped, and failed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |label| self.records.iter().filter(|r| r.outcome.label() == label).count();
        (count("passed"), count("skipped"), count("FAILED"))
    }

    /// The wall-clock time of the whole run.
    pub fn total(&self) -> Duration {
        self.total
    }
}

/// Why a step did not pass, as a step returns it.
#[derive(Debug)]
pub(crate) enum Halt {
    /// Not available against this server: recorded as skipped, the run goes on.
    Skip(String),
    /// Recorded as failed; the run stops.
    Fail(String),
}

/// What a step returns: its value and the detail line, or why it did not pass.
pub(crate) type StepResult<T> = Result<(T, String), Halt>;

/// The run stopped at a failed step.
#[derive(Debug)]
pub(crate) struct Stopped;

/// Runs steps in order, timing each, bounding each by a timeout, and telling an observer.
pub(crate) struct Recorder<'a> {
    report: FlowReport,
    started: Instant,
    timeout: Duration,
    observer: &'a mut (dyn FnMut(&StepRecord) + Send),
}

impl<'a> Recorder<'a> {
    pub(crate) fn new(
        timeout: Duration,
        observer: &'a mut (dyn FnMut(&StepRecord) + Send),
    ) -> Self {
        Self { report: FlowReport::default(), started: Instant::now(), timeout, observer }
    }

    /// Runs one step: `Ok(Some(value))` when it passed, `Ok(None)` when it was skipped, and
    /// `Err(Stopped)` when it failed or timed out.
    pub(crate) async fn run<T>(
        &mut self,
        step: Step,
        body: impl Future<Output = StepResult<T>>,
    ) -> Result<Option<T>, Stopped> {
        let started = Instant::now();
        let result = match tokio::time::timeout(self.timeout, body).await {
            Ok(result) => result,
            Err(_) => Err(Halt::Fail(format!("timed out after {} s", self.timeout.as_secs()))),
        };
        let duration = started.elapsed();
        let (value, outcome) = match result {
            Ok((value, detail)) => (Some(value), Outcome::Passed { detail }),
            Err(Halt::Skip(reason)) => (None, Outcome::Skipped { reason }),
            Err(Halt::Fail(error)) => (None, Outcome::Failed { error }),
        };
        let failed = matches!(outcome, Outcome::Failed { .. });
        let record = StepRecord { step, duration, outcome, screenshot: None };
        (self.observer)(&record);
        self.report.records.push(record);
        if failed { Err(Stopped) } else { Ok(value) }
    }

    /// The step recorded last.
    pub(crate) fn last_step(&self) -> Option<Step> {
        self.report.records.last().map(|record| record.step)
    }

    /// Attaches a screenshot to the failed step.
    pub(crate) fn attach_screenshot(&mut self, path: PathBuf) {
        if let Some(record) = self.report.records.last_mut() {
            record.screenshot = Some(path);
        }
    }

    pub(crate) fn finish(mut self) -> FlowReport {
        self.report.total = self.started.elapsed();
        self.report
    }
}
