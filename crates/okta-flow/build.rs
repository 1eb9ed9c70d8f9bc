//! Looks for `redis-server`, so that the two-replica test shows as `ignored` (with the reason
//! and the install command) when it cannot run, instead of passing with its note hidden.
//!
//! With `CI` set (not empty) the test is never ignored: CI must run it, and a missing
//! `redis-server` fails it (`docs/decisions.md`, "Tests that need Redis or Chromium").

#![allow(
    clippy::disallowed_methods,
    reason = "a build script reads PATH and CI to decide which tests can run; it is not library code"
)]
#![allow(clippy::print_stdout, reason = "cargo reads a build script's instructions on stdout")]

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_redis)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let path = env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = env::split_paths(&path).filter(|dir| dir.is_dir()).collect();
    // Installing a program changes its directory: look again then.
    for dir in &dirs {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
    let ci = env::var_os("CI").is_some_and(|value| !value.is_empty());
    if ci || dirs.iter().any(|dir| is_program(&dir.join("redis-server"))) {
        println!("cargo::rustc-cfg=has_redis");
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
