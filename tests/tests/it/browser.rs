//! The `--browser` sign-in: headless Chromium through ChromeDriver fills the devserver's form.
//!
//! Without Chromium these tests print why and pass, so plain `cargo test` works anywhere; with
//! `CI` set (as `.ci/run` has it) a missing browser fails them with the install command.

use http::Method;
use okta_e2e::{
    Agent, Browser, BrowserOptions, Credentials, FlowOptions, Outcome, Step, Target, report,
    run_flow,
};

/// Whether the browser tests can run here; fails under CI when they cannot.
#[allow(clippy::print_stdout, reason = "the reason for skipping goes to the test log")]
pub(crate) fn browser_installed() -> bool {
    match Browser::check_installed(&BrowserOptions::default()) {
        Ok(_) => true,
        Err(err) if on_ci() => panic!("CI must run the browser tests: {err}"),
        Err(err) => {
            println!("skipping the browser test: {err}");
            false
        }
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "CI=true turns a missing browser from a skip into a failure (the style's opt-in rule)"
)]
fn on_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| !value.is_empty())
}

#[tokio::test]
async fn headless_chromium_signs_in_and_every_step_passes() {
    if !browser_installed() {
        return;
    }
    let target = Target::devserver().await.unwrap();
    let browser = Browser::start(&BrowserOptions::default()).await.unwrap();
    let options = FlowOptions::new(&target, Credentials::demo());
    let report = run_flow(&target, Agent::Browser(&browser), &options, &mut |_| {}).await;
    browser.close().await.unwrap();
    let text = report::render_report(&report);
    assert!(report.is_success(), "{text}");
    let sign_in = report.get(Step::SignIn).unwrap().outcome().text().to_owned();
    assert!(sign_in.starts_with("headless Chromium filled #username and #password"), "{sign_in}");
    let server = target.devserver_handle().unwrap();
    assert_eq!(server.count(Method::POST, "/login/signin"), 1);
    // The browser, not the HTTP client, followed the logout redirect and kept the session cookie.
    assert_eq!(server.count(Method::GET, "/oauth2/default/v1/logout"), 1);
}

#[tokio::test]
async fn a_failed_browser_step_leaves_a_screenshot() {
    if !browser_installed() {
        return;
    }
    let target = Target::devserver().await.unwrap();
    let browser = Browser::start(&BrowserOptions::default()).await.unwrap();
    let shots = tempfile::tempdir().unwrap();
    let mut options =
        FlowOptions::new(&target, Credentials::new(okta_devserver::DEMO_USERNAME, "wrong"));
    options.screenshot_dir = shots.path().to_owned();
    let report = run_flow(&target, Agent::Browser(&browser), &options, &mut |_| {}).await;
    browser.close().await.unwrap();
    let failure = report.failure().expect("a wrong password fails");
    assert_eq!(failure.step(), Step::SignIn);
    assert!(
        matches!(failure.outcome(), Outcome::Failed { error } if error.contains("Unable to sign in"))
    );
    let path = failure.screenshot().expect("a screenshot of the failed step");
    assert!(path.starts_with(shots.path()), "{}", path.display());
    assert!(path.file_name().unwrap().to_string_lossy().starts_with("sign-in-"));
    let png = std::fs::read(path).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
    assert!(report::summary(&report).contains("screenshot: "));
}

#[tokio::test]
async fn dropping_the_browser_without_closing_it_leaves_no_browser_running() {
    if !browser_installed() {
        return;
    }
    let browser = Browser::start(&BrowserOptions::default()).await.unwrap();
    let profile = browser.profile_dir().to_string_lossy().into_owned();
    assert!(!processes_using(&profile).is_empty(), "the browser runs with its own profile");
    drop(browser);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !processes_using(&profile).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "browser processes left: {:?}",
            processes_using(&profile)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The ids of the processes whose command line mentions `needle` (Linux `/proc`).
pub(crate) fn processes_using(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(needle))
        })
        .collect()
}
