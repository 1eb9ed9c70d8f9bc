//! `cargo xtask fixtures`: regenerates okta-verify's committed test fixtures, or checks them
//! (`--check`), through the fixture test itself (see `crates/okta-verify/tests/data/README.md`).

use anyhow::{Context as _, bail};

use crate::flags::Fixtures;
use crate::{cargo, report};

impl Fixtures {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let mut command = cargo();
        command.args(["test", "-p", "okta-verify", "--test", "it", "fixtures"]);
        if self.check {
            report("fixtures: checking crates/okta-verify/tests/data");
        } else {
            report("fixtures: regenerating crates/okta-verify/tests/data");
            command.env("UPDATE_FIXTURES", "1");
        }
        let status = command.status().context("running cargo test -p okta-verify")?;
        if !status.success() {
            bail!(if self.check {
                "the fixtures are out of date: run `cargo xtask fixtures` and commit the result"
            } else {
                "regenerating the fixtures failed"
            });
        }
        let changed = git_status();
        report(&if changed.is_empty() {
            "fixtures: up to date".to_owned()
        } else {
            format!("fixtures: changed (commit them):\n{changed}")
        });
        Ok(())
    }
}

/// `git status --short` of the fixture directory (empty outside a git checkout).
fn git_status() -> String {
    let output = std::process::Command::new("git")
        .current_dir(crate::project_root())
        .args(["status", "--short", "--", "crates/okta-verify/tests/data"])
        .output();
    output
        .map(|output| String::from_utf8_lossy(&output.stdout).trim_end().to_owned())
        .unwrap_or_default()
}
