//! `cargo xtask e2e`: the whole Authorization Code flow, step by step, against the in-process
//! devserver or a real Okta org (`--issuer`), signed in by an HTTP client or headless Chromium
//! (`--browser`), once or `--repeat N` times with percentiles. The driver is `okta_e2e`.

use anyhow::{Context as _, bail};
use okta_config::{Role, SettingsLoader};
use okta_e2e::{
    Agent, Browser, BrowserOptions, Credentials, FlowOptions, FlowReport, SignInMethod, Target,
    report as table, run_flow, run_repeated, run_service_scenario,
};

use crate::flags::E2e;
use crate::{report, target_dir};

impl E2e {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        crate::runtime()?.block_on(self.run_async())
    }

    async fn run_async(self) -> anyhow::Result<()> {
        let (target, credentials) = match &self.issuer {
            None => (
                Target::devserver().await.context("starting okta-devserver in-process")?,
                Credentials::demo(),
            ),
            Some(issuer) => {
                let settings = SettingsLoader::new()
                    .set("issuer", issuer.as_str())
                    .role(Role::Client)
                    .load()
                    .context("loading the client settings (okta.toml, OKTA_*)")?;
                let credentials = org_credentials()?;
                let target = Target::okta_org(settings).await.context("preparing the run")?;
                (target, credentials)
            }
        };
        let browser = if self.browser {
            Some(
                Browser::start(&BrowserOptions::default())
                    .await
                    .context("starting headless Chromium")?,
            )
        } else {
            None
        };
        let agent = browser.as_ref().map_or(Agent::Http, Agent::Browser);
        let mut options = FlowOptions::new(&target, credentials);
        options.screenshot_dir = target_dir().join("e2e");
        let sign_in = match (options.sign_in, &browser) {
            (SignInMethod::Form, None) => {
                "the sign-in form, posted by an HTTP client without JavaScript"
            }
            (SignInMethod::Form, Some(_)) => "the sign-in form, filled by headless Chromium",
            (SignInMethod::SessionToken, None) => "/api/v1/authn + sessionToken, HTTP client",
            (SignInMethod::SessionToken, Some(_)) => {
                "/api/v1/authn + sessionToken, headless Chromium"
            }
        };
        report(&format!("e2e: {}", target.describe()));
        report(&format!(
            "e2e: signing in as {} through {sign_in}\n",
            options.credentials.username()
        ));

        let reports = if self.repeat == 1 {
            report(&table::step_header());
            let single =
                run_flow(&target, agent, &options, &mut |step| report(&table::step_line(step)))
                    .await;
            report(&format!("\n{}", table::summary(&single)));
            vec![single]
        } else {
            repeated(&target, agent, &options, self.repeat).await
        };
        if let Some(browser) = browser {
            browser.close().await.context("closing the browser")?;
        }
        if let Some(failed) = reports.last().and_then(FlowReport::failure) {
            bail!("the flow failed at step \"{}\"", failed.step());
        }
        service_scenario(&target, options.step_timeout).await
    }
}

/// The service-to-service scenario beside the login steps (devserver only: it uses the demo
/// service apps and APIs).
async fn service_scenario(target: &Target, timeout: std::time::Duration) -> anyhow::Result<()> {
    if !target.is_devserver() {
        report("\nservice scenario: skipped (it needs the devserver's demo service apps)");
        return Ok(());
    }
    report(
        "\nservice scenario: web app -> API B (orders) -> token exchange -> API C (shipping); \
         service D -> B with client credentials\n",
    );
    report(&table::step_header());
    let service =
        run_service_scenario(target, timeout, &mut |step| report(&table::service_step_line(step)))
            .await;
    report(&format!("\n{}", table::service_summary(&service)));
    match service.failure() {
        Some(failed) => bail!("the service scenario failed at step \"{}\"", failed.step()),
        None => Ok(()),
    }
}

/// `--repeat N`: one line per run (the whole table of a failed run), then the percentiles.
async fn repeated(
    target: &Target,
    agent: Agent<'_>,
    options: &FlowOptions,
    runs: usize,
) -> Vec<FlowReport> {
    let mut observer = |_run: usize, _step: &okta_e2e::StepRecord| {};
    let reports = run_repeated(target, agent, options, runs, &mut observer).await;
    for (number, run) in reports.iter().enumerate() {
        if run.failure().is_some() {
            report(&format!("run {}/{runs}:\n{}", number + 1, table::render_report(run)));
        } else {
            report(&format!("run {}/{runs}: {}", number + 1, table::summary(run)));
        }
    }
    report(&format!(
        "\np50/p95/p99 per step over {} run(s):\n{}",
        reports.len(),
        table::render_statistics(&table::statistics(&reports))
    ));
    reports
}

/// The test user of a real-org run, from `OKTA_E2E_USERNAME` and `OKTA_E2E_PASSWORD`.
#[allow(
    clippy::disallowed_methods,
    reason = "the test user is not an application setting: only this run signs in with it"
)]
fn org_credentials() -> anyhow::Result<Credentials> {
    let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    match (read("OKTA_E2E_USERNAME"), read("OKTA_E2E_PASSWORD")) {
        (Some(username), Some(password)) => Ok(Credentials::new(username, password)),
        _ => bail!(
            "set OKTA_E2E_USERNAME and OKTA_E2E_PASSWORD to a test user of the org who can sign in \
             with a password alone (no MFA) and is assigned to the app"
        ),
    }
}
