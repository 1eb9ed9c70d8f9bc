//! The `--browser` sign-in: headless Chromium through ChromeDriver fills the devserver's form.
//!
//! Without Chromium and ChromeDriver these tests are `ignored` with the install command (the
//! package's build script looks for them), so plain `cargo test` works anywhere and says what it
//! did not run; with `CI` set (as `.ci/run` has it) they run, and a missing browser fails them.

use http::Method;
use okta_e2e::{
    Agent, Browser, BrowserOptions, Credentials, FlowOptions, Outcome, Step, Target, report,
    run_flow,
};

/// Fails, with the install command, when the browser cannot run (the test is ignored before
/// that unless the build script found it, or `CI` is set).
pub(crate) fn require_browser() {
    if let Err(err) = Browser::check_installed(&BrowserOptions::default()) {
        panic!("the browser tests need Chromium and ChromeDriver: {err}");
    }
}

#[tokio::test]
#[cfg_attr(
    not(has_browser),
    ignore = "Chromium or ChromeDriver not found: apt-get install -y chromium chromium-driver"
)]
async fn headless_chromium_signs_in_and_every_step_passes() {
    require_browser();
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
#[cfg_attr(
    not(has_browser),
    ignore = "Chromium or ChromeDriver not found: apt-get install -y chromium chromium-driver"
)]
async fn a_failed_browser_step_leaves_a_screenshot() {
    require_browser();
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
#[cfg_attr(
    not(has_browser),
    ignore = "Chromium or ChromeDriver not found: apt-get install -y chromium chromium-driver"
)]
async fn dropping_the_browser_without_closing_it_leaves_no_browser_running() {
    require_browser();
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
