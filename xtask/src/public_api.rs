//! `cargo xtask public-api`: the committed listing of each library crate's public API
//! (`crates/<crate>/public-api.txt`), regenerated from rustdoc JSON, and the upstream-type rule.
//!
//! Every change to a public item shows up as a reviewed diff of a listing. The listing is made
//! by the `public-api` crate from the JSON that rustdoc writes with `--output-format json`, an
//! unstable rustdoc flag: `RUSTC_BOOTSTRAP=1` is set on that one command only, and it builds
//! into its own directory (`target/public-api`), so the workspace's build is never invalidated
//! and never waits for it.
//!
//! The upstream-type rule: no item outside a crate's `upstream` module names a type of
//! `openidconnect`, `oauth2` or `reqwest`, so an upstream major version is not a breaking change
//! for the teams (docs/architecture.md).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::flags::PublicApi;
use crate::{cargo, project_root, report};

/// The library crates whose public API is listed, and the package each is.
pub(crate) const CRATES: [&str; 6] =
    ["okta-config", "okta-http", "okta-verify", "okta-flow", "okta-service", "okta-devserver"];

/// Upstream crates whose types may appear in a public signature only inside the crate's
/// `upstream` module.
const UPSTREAM: [&str; 3] = ["openidconnect::", "oauth2::", "reqwest::"];

impl PublicApi {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let mut stale = Vec::new();
        let mut problems = Vec::new();
        for package in CRATES {
            let listing = listing(package)?;
            problems.extend(upstream_problems(package, &listing));
            let path = listing_path(package);
            let committed = fs::read_to_string(&path).unwrap_or_default();
            if committed == listing {
                continue;
            }
            if self.check {
                report(&format!("public-api: {} differs from the code:", relative(&path)));
                report(&diff(&committed, &listing));
                stale.push(relative(&path));
            } else {
                fs::write(&path, &listing)
                    .with_context(|| format!("writing {}", path.display()))?;
                report(&format!("public-api: wrote {}", relative(&path)));
            }
        }
        for problem in &problems {
            report(&format!("public-api: {problem}"));
        }
        if !stale.is_empty() {
            bail!(
                "the public API changed ({}): run `cargo xtask public-api`, review the diff, \
                 commit the listing and say what a team must change in CHANGELOG.md",
                stale.join(", ")
            );
        }
        if !problems.is_empty() {
            bail!("{} upstream type(s) outside an `upstream` module", problems.len());
        }
        report("public-api: ok");
        Ok(())
    }
}

/// Where the listing of `package` is committed.
pub(crate) fn listing_path(package: &str) -> PathBuf {
    project_root().join("crates").join(package).join("public-api.txt")
}

/// The public API of `package` with every feature on, one item per line, sorted.
fn listing(package: &str) -> anyhow::Result<String> {
    let json = rustdoc_json(package)?;
    let api = public_api::Builder::from_rustdoc_json(&json)
        .omit_blanket_impls(true)
        .build()
        .with_context(|| format!("reading {}", json.display()))?;
    let mut text = String::new();
    for item in api.items() {
        text.push_str(&item.to_string());
        text.push('\n');
    }
    Ok(text)
}

/// Runs rustdoc's JSON output on `package` and returns the file it wrote.
fn rustdoc_json(package: &str) -> anyhow::Result<PathBuf> {
    let target = project_root().join("target").join("public-api");
    let output = cargo()
        .args(["rustdoc", "--locked", "--quiet", "--lib", "--all-features", "--package", package])
        .arg("--target-dir")
        .arg(&target)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        // The JSON output is unstable in rustdoc: allowed on this command only (set globally it
        // would rebuild the workspace and let unstable features into the real crates).
        .env("RUSTC_BOOTSTRAP", "1")
        .output()
        .with_context(|| format!("running cargo rustdoc -p {package}"))?;
    if !output.status.success() {
        bail!(
            "cargo rustdoc -p {package} --output-format json failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(target.join("doc").join(format!("{}.json", package.replace('-', "_"))))
}

/// The items of `listing` that name an upstream type outside `<crate>::upstream`.
fn upstream_problems(package: &str, listing: &str) -> Vec<String> {
    let krate = package.replace('-', "_");
    let allowed = format!("{krate}::upstream");
    listing
        .lines()
        .filter(|line| UPSTREAM.iter().any(|upstream| names_crate(line, upstream)))
        .filter(|line| {
            let path = item_path(line, &krate).unwrap_or_default();
            path != allowed && !path.starts_with(&format!("{allowed}::"))
        })
        .map(|line| format!("{package}: `{line}` names an upstream type outside `{allowed}`"))
        .collect()
}

/// Whether `line` names a path of the crate `prefix` (`reqwest::`), not one that merely ends
/// the same way (`my_reqwest::`).
fn names_crate(line: &str, prefix: &str) -> bool {
    line.match_indices(prefix).any(|(at, _)| {
        line[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// The path of the item a listing line describes: its first path that starts in the crate.
fn item_path<'a>(line: &'a str, krate: &str) -> Option<&'a str> {
    let prefix = format!("{krate}::");
    let start = line.match_indices(&prefix).map(|(at, _)| at).find(|&at| {
        line[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })?;
    let rest = &line[start..];
    let end =
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The lines only in `old` (`-`) and only in `new` (`+`); listings are sorted sets of lines.
fn diff(old: &str, new: &str) -> String {
    let old_lines: BTreeSet<&str> = old.lines().collect();
    let new_lines: BTreeSet<&str> = new.lines().collect();
    let mut out = Vec::new();
    out.extend(old_lines.difference(&new_lines).map(|line| format!("-{line}")));
    out.extend(new_lines.difference(&old_lines).map(|line| format!("+{line}")));
    if out.is_empty() {
        out.push("(the same lines in another order or with other line endings)".to_owned());
    }
    out.join("\n")
}

fn relative(path: &Path) -> String {
    path.strip_prefix(project_root()).unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test --workspace` enforces the committed listings and the upstream-type rule.
    #[test]
    fn public_api_listings_are_current() {
        if let Err(err) = (PublicApi { check: true }).run() {
            panic!("{err:#}");
        }
    }

    #[test]
    fn upstream_types_are_reported_outside_the_upstream_module_only() {
        let listing = "\
pub fn okta_flow::TokenSet::access_token(&self) -> &openidconnect::AccessToken
pub use okta_flow::upstream::openidconnect
pub fn okta_flow::upstream::thing() -> reqwest::Client
pub fn okta_flow::upstreamish::thing() -> reqwest::Client
pub fn okta_flow::my_reqwest::Client::new() -> okta_flow::my_reqwest::Client
pub fn okta_flow::UserInfo::email(&self) -> core::option::Option<&str>
";
        let problems = upstream_problems("okta-flow", listing);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("okta_flow::TokenSet::access_token"), "{problems:#?}");
        assert!(problems[1].contains("okta_flow::upstreamish::thing"), "{problems:#?}");
    }

    #[test]
    fn the_diff_names_removed_and_added_items() {
        let old = "pub fn a::f()\npub fn a::g()\n";
        let new = "pub fn a::g()\npub fn a::h()\n";
        assert_eq!(diff(old, new), "-pub fn a::f()\n+pub fn a::h()");
    }
}
