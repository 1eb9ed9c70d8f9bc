//! Tests of what needs no browser: the install check and its message, and the capabilities.

use std::path::PathBuf;

use super::*;

#[test]
fn a_missing_browser_or_driver_says_what_to_install() {
    let mut options = BrowserOptions {
        chromium: Some(PathBuf::from("/nonexistent/chromium")),
        ..BrowserOptions::default()
    };
    let err = Browser::check_installed(&options).unwrap_err();
    assert!(matches!(err, BrowserError::NotInstalled { what: "chromium" }));
    assert_eq!(
        err.to_string(),
        "chromium is not installed: install Chromium and ChromeDriver with `apt-get install -y \
         chromium chromium-driver` (as root)"
    );

    // Any existing file stands in for the browser; the driver is what is missing.
    options.chromium = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    options.chromedriver = PathBuf::from("/nonexistent/chromedriver");
    let err = Browser::check_installed(&options).unwrap_err();
    assert!(matches!(err, BrowserError::NotInstalled { what: "chromedriver" }), "{err}");
}

#[test]
fn the_browser_runs_headless_without_sandbox_with_its_own_profile_and_no_network_chatter() {
    let capabilities = capabilities(Path::new("/usr/bin/chromium"), Path::new("/tmp/profile-1"));
    let options = &capabilities["goog:chromeOptions"];
    assert_eq!(options["binary"], "/usr/bin/chromium");
    let args: Vec<&str> =
        options["args"].as_array().unwrap().iter().filter_map(serde_json::Value::as_str).collect();
    for required in [
        "--headless=new",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--user-data-dir=/tmp/profile-1",
    ] {
        assert!(args.contains(&required), "{required} missing from {args:?}");
    }
}
