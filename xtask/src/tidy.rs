//! `cargo xtask tidy`: repository invariants that no compiler checks, also run as a `#[test]`.

mod crate_graph;
mod layers;
mod metadata;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::tidy::metadata::Workspace;
use crate::{cargo, project_root, report};

mod links;

/// Runs every check and fails listing all problems found.
pub(crate) fn run() -> anyhow::Result<()> {
    let workspace = Workspace::load()?;
    let mut problems = Vec::new();
    problems.extend(check_file_docs(&project_root())?);
    problems.extend(crate_graph::check(&workspace));
    problems.extend(layers::check(&layer_targets(&workspace))?);
    problems.extend(check_dependency_graph()?);
    problems.extend(links::check_markdown_links(&project_root())?);
    problems.extend(check_one_crypto_backend()?);
    if problems.is_empty() {
        report("tidy: ok");
        return Ok(());
    }
    for problem in &problems {
        report(&format!("tidy: {problem}"));
    }
    bail!("{} tidy problem(s)", problems.len())
}

/// Every Rust file opens with a `//!` sentence saying why it exists.
fn check_file_docs(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for dir in ["crates", "xtask", "tests", "fuzz"] {
        let mut files = Vec::new();
        collect_rust_files(&root.join(dir), &mut files)?;
        for file in files {
            let text =
                fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let first = text.lines().find(|line| !line.trim().is_empty()).unwrap_or("");
            if !first.starts_with("//!") {
                let relative = file.strip_prefix(root).unwrap_or(&file);
                problems
                    .push(format!("{} does not open with a `//!` doc comment", relative.display()));
            }
        }
    }
    Ok(problems)
}

fn collect_rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
        if path.is_dir() {
            // Build output and fuzzer corpora are not source.
            if !matches!(name, "target" | "corpus" | "artifacts") && !name.starts_with('.') {
                collect_rust_files(&path, out)?;
            }
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every target of every workspace member, for the layering check.
fn layer_targets(workspace: &Workspace) -> Vec<layers::Target> {
    let mut targets = Vec::new();
    for member in &workspace.members {
        for target in &member.targets {
            let label = if target.kind == "lib" {
                format!("{} (lib)", member.name)
            } else {
                format!("{} ({} {})", member.name, target.kind, target.name)
            };
            targets.push(layers::Target {
                label,
                root: target.root.clone(),
                package_dir: member.dir.clone(),
            });
        }
    }
    targets
}

/// The dependency tree as shipped: no OpenSSL, one version of each crate we use directly. The
/// invariants between our own crates are in `crate_graph`.
fn check_dependency_graph() -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();

    // No OpenSSL anywhere: TLS is rustls, so a fresh machine needs no C TLS library.
    let everything = cargo_tree(&["--workspace", "--edges", "normal,build,dev"])?;
    for banned in ["openssl-sys", "native-tls"] {
        if everything.iter().any(|(name, _)| name == banned) {
            problems.push(format!("{banned} is in the dependency tree: use rustls features"));
        }
    }

    // One version of each crate we depend on directly (shipped graph: normal and build edges).
    let direct: BTreeSet<String> =
        cargo_tree(&["--workspace", "--edges", "normal,build", "--depth", "1"])?
            .into_iter()
            .map(|(name, _)| name)
            .collect();
    let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, version) in cargo_tree(&["--workspace", "--edges", "normal,build"])? {
        versions.entry(name).or_default().insert(version);
    }
    for (name, found) in versions {
        if found.len() < 2 || !direct.contains(&name) {
            continue;
        }
        // A version only our own crates ask for is one we added: the tree would be smaller
        // without it. Versions other crates need too are forced on us by upstream.
        for version in &found {
            if requested_only_by_workspace(&name, version)? {
                let found: Vec<_> = found.iter().map(String::as_str).collect();
                problems.push(format!(
                    "{name} appears in {} versions ({}) and only our crates ask for {version}: \
                     align our requirement with the one our dependencies use \
                     (`cargo tree -i {name}`)",
                    found.len(),
                    found.join(", ")
                ));
            }
        }
    }
    Ok(problems)
}

/// One crypto backend: aws-lc-rs. `ring` (reqwest's and rustls's other provider) must not be
/// built for any target or kind of edge (docs/dependencies.md says why and how).
fn check_one_crypto_backend() -> anyhow::Result<Vec<String>> {
    let everything =
        cargo_tree(&["--workspace", "--edges", "normal,build,dev", "--target", "all"])?;
    Ok(second_crypto_backend(&everything))
}

/// The problems of a package list (`cargo tree` pairs) that holds `ring`.
fn second_crypto_backend(packages: &[(String, String)]) -> Vec<String> {
    packages
        .iter()
        .filter(|(name, _)| name == "ring")
        .map(|(_, version)| {
            format!(
                "ring {version} is in the dependency tree (`cargo tree -i ring --target all -e \
                 normal,build,dev`): the workspace runs on aws-lc-rs only; use the \
                 `*-no-provider` TLS features and okta-http's rustls configuration"
            )
        })
        .collect()
}

/// Whether every package that depends on `name@version` (shipped edges) is a workspace member.
fn requested_only_by_workspace(name: &str, version: &str) -> anyhow::Result<bool> {
    let spec = format!("{name}@{version}");
    let output = cargo()
        .args(["tree", "--locked", "--workspace", "--edges", "normal,build", "--depth", "1"])
        .args(["--prefix", "none", "--format", "{p}", "--invert", &spec])
        .output()
        .context("running cargo tree --invert")?;
    if !output.status.success() {
        bail!("cargo tree -i {spec} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let root = project_root();
    let root = root.to_string_lossy();
    let stdout = String::from_utf8(output.stdout).context("cargo tree printed non-UTF-8")?;
    // The first line is the package itself; the others are its dependents.
    Ok(stdout
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .all(|line| line.contains(&*root)))
}

/// `cargo tree` as (name, version) pairs, one per distinct package.
fn cargo_tree(args: &[&str]) -> anyhow::Result<Vec<(String, String)>> {
    let output = cargo()
        .args(["tree", "--locked", "--prefix", "none", "--format", "{p}"])
        .args(args)
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!("cargo tree {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
    }
    let stdout = String::from_utf8(output.stdout).context("cargo tree printed non-UTF-8")?;
    let mut packages: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next()?.trim_start_matches('v');
            Some((name.to_owned(), version.to_owned()))
        })
        .collect();
    packages.sort();
    packages.dedup();
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test --workspace` enforces tidy, so it cannot silently rot.
    #[test]
    fn tidy() {
        if let Err(err) = run() {
            panic!("{err:#}\nrun `cargo xtask tidy` for the list");
        }
    }

    #[test]
    fn ring_in_the_tree_is_reported() {
        let packages = |names: &[&str]| -> Vec<(String, String)> {
            names.iter().map(|name| ((*name).to_owned(), "0.17.14".to_owned())).collect()
        };
        assert!(
            second_crypto_backend(&packages(&["aws-lc-rs", "rustls", "ring-buffer"])).is_empty()
        );
        let problems = second_crypto_backend(&packages(&["aws-lc-rs", "ring", "rustls"]));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("ring 0.17.14 is in the dependency tree"), "{problems:?}");
    }

    #[test]
    fn a_file_without_a_module_doc_is_reported() {
        let dir = std::env::temp_dir().join(format!("xtask-tidy-{}", std::process::id()));
        let src = dir.join("crates/demo/src");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("good.rs"), "\n//! Why this file exists.\nfn f() {}\n").unwrap();
        fs::write(src.join("bad.rs"), "// a plain comment\nfn f() {}\n").unwrap();
        let problems = check_file_docs(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problems, ["crates/demo/src/bad.rs does not open with a `//!` doc comment"]);
    }
}
