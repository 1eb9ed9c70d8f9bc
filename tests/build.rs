//! Looks for Chromium and ChromeDriver, so that the browser tests show as `ignored` (with the
//! reason and the install command) when they cannot run, instead of passing with their note
//! hidden.
//!
//! With `CI` set (not empty) they are never ignored: CI must run them, and a missing browser
//! fails them (`docs/decisions.md`, "Tests that need Redis or Chromium"). The places looked at
//! are those of `okta_e2e::Browser::check_installed`: Chromium at one of its fixed paths,
//! ChromeDriver on `PATH`.

#![allow(
    clippy::disallowed_methods,
    reason = "a build script reads PATH and CI to decide which tests can run; it is not library code"
)]
#![allow(clippy::print_stdout, reason = "cargo reads a build script's instructions on stdout")]

use std::env;
use std::path::{Path, PathBuf};

/// `okta_e2e::webdriver`'s `CHROMIUM_CANDIDATES`.
const CHROMIUM_CANDIDATES: [&str; 4] = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_browser)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let path = env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = env::split_paths(&path).filter(|dir| dir.is_dir()).collect();
    dirs.extend(
        CHROMIUM_CANDIDATES
            .iter()
            .filter_map(|file| Path::new(file).parent())
            .map(Path::to_path_buf),
    );
    dirs.sort();
    dirs.dedup();
    // Installing a program changes its directory: look again then.
    for dir in &dirs {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
    let ci = env::var_os("CI").is_some_and(|value| !value.is_empty());
    let chromium = CHROMIUM_CANDIDATES.iter().any(|file| is_program(Path::new(file)));
    let chromedriver = env::split_paths(&path).any(|dir| is_program(&dir.join("chromedriver")));
    if ci || (chromium && chromedriver) {
        println!("cargo::rustc-cfg=has_browser");
    }
}

/// Whether `path` is a file that can be run.
fn is_program(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        path.metadata().is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.with_extension("exe").is_file() || path.is_file()
    }
}
