//! `cargo xtask guides`: builds, outside the workspace, the crate a team would write from each
//! guide's dependency lines and its first code block, so the lines the guides show are the
//! lines that work.
//!
//! The crates are not published: a team depends on a tag of the repository
//! (`okta-flow = { git = "<repository>", tag = "vX.Y.Z" }`, docs/versioning.md). For each guide
//! in `docs/guides` with a TOML code block holding `[dependencies]`, this writes a crate in a
//! temporary directory whose `Cargo.toml` takes those lines as they are, with the git source
//! replaced by `path = "<this checkout>/crates/<name>"`, and whose `src/lib.rs` is the guide's
//! first Rust block (hidden `# ` lines included). It copies the workspace's `Cargo.lock` in and
//! runs `cargo check` with its own target directory (`target/external`): re-runs are
//! incremental and never wait for the workspace's build.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::{cargo, project_root, report};

/// What a guide gives a team: its dependency lines and its first code block.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Guide {
    /// The lines under `[dependencies]`, as written.
    pub(crate) dependencies: Vec<String>,
    /// The first Rust block after them, hidden lines included.
    pub(crate) code: String,
}

/// Checks every guide that has dependency lines.
pub(crate) fn run() -> anyhow::Result<()> {
    let root = project_root();
    let (repository, version) = workspace_package(&root)?;
    let mut checked = 0;
    let mut guides: Vec<PathBuf> = fs::read_dir(root.join("docs/guides"))
        .context("listing docs/guides")?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    guides.sort();
    for path in guides.iter().filter(|path| path.extension().is_some_and(|ext| ext == "md")) {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or("guide");
        let Some(guide) = parse(&text).with_context(|| format!("docs/guides/{name}.md"))? else {
            continue;
        };
        let manifest = manifest(name, &guide.dependencies, &repository, &version, &root)
            .with_context(|| format!("the dependency lines of docs/guides/{name}.md"))?;
        check(name, &manifest, &guide.code, &root)?;
        report(&format!("guides: docs/guides/{name}.md builds outside the workspace"));
        checked += 1;
    }
    if checked == 0 {
        bail!("no guide in docs/guides has a ```toml block with [dependencies]");
    }
    Ok(())
}

/// The dependency lines and first code block of a guide; `None` when it has no dependency
/// block.
pub(crate) fn parse(markdown: &str) -> anyhow::Result<Option<Guide>> {
    let mut lines = markdown.lines();
    let mut dependencies = None;
    while let Some(line) = lines.next() {
        if line.trim() != "```toml" {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|line| line.trim() != "```").collect();
        if let Some(start) = block.iter().position(|line| line.trim() == "[dependencies]") {
            dependencies = Some(
                block[start + 1..]
                    .iter()
                    .take_while(|line| !line.trim_start().starts_with('['))
                    .filter(|line| !line.trim().is_empty())
                    .map(|line| (*line).to_owned())
                    .collect::<Vec<_>>(),
            );
            break;
        }
    }
    let Some(dependencies) = dependencies else {
        return Ok(None);
    };
    let Some(_) = lines.by_ref().find(|line| {
        let fence = line.trim();
        fence == "```rust" || (fence.starts_with("```rust,") && !fence.contains("ignore"))
    }) else {
        bail!("a dependency block without a Rust block after it");
    };
    let mut code = String::new();
    for line in lines.take_while(|line| line.trim() != "```") {
        // rustdoc's hidden lines (`# ...`) are part of the code.
        let line = match line.trim_start().strip_prefix('#') {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => {
                rest.strip_prefix(' ').unwrap_or(rest)
            }
            _ => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    Ok(Some(Guide { dependencies, code }))
}

/// The external crate's manifest: the guide's lines, each git source of this repository at the
/// current version's tag replaced by the path of the crate in this checkout.
pub(crate) fn manifest(
    name: &str,
    dependencies: &[String],
    repository: &str,
    version: &str,
    root: &Path,
) -> anyhow::Result<String> {
    let source = format!("git = \"{repository}\", tag = \"v{version}\"");
    let mut out = format!(
        "[package]\nname = \"guide-{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
         publish = false\n\n# Not part of any workspace.\n[workspace]\n\n[lib]\npath = \"lib.rs\"\n\n\
         [dependencies]\n"
    );
    for line in dependencies {
        let line = if line.contains("git = ") {
            if !line.contains(&source) {
                bail!(
                    "`{line}` must read {source}: the repository of the root Cargo.toml and \
                     the tag of the workspace version"
                );
            }
            let krate = line.split('=').next().unwrap_or_default().trim();
            let path = root.join("crates").join(krate);
            if !path.join("Cargo.toml").is_file() {
                bail!("`{line}` names {krate}, which is not a crate of this repository");
            }
            line.replace(&source, &format!("path = {:?}", path.display().to_string()))
        } else {
            line.clone()
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Writes the crate in a temporary directory and runs `cargo check` on it.
fn check(name: &str, manifest: &str, code: &str, root: &Path) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("okta-oidc-guide-{name}-{}", std::process::id()));
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = (|| {
        fs::write(dir.join("Cargo.toml"), manifest)?;
        fs::write(
            dir.join("lib.rs"),
            format!(
                "//! docs/guides/{name}.md, as a team writes it.\n#![allow(dead_code)]\n\n{code}"
            ),
        )?;
        fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))?;
        let output = cargo()
            .args(["check", "--quiet", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(root.join("target").join("external"))
            .output()
            .context("running cargo check")?;
        if !output.status.success() {
            bail!(
                "docs/guides/{name}.md: its dependency lines and first code block do not build \
                 outside the workspace:\n{manifest}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        anyhow::Ok(())
    })();
    let _ = fs::remove_dir_all(&dir);
    result
}

/// `workspace.package.repository` and `.version` of the root manifest.
fn workspace_package(root: &Path) -> anyhow::Result<(String, String)> {
    let text = fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    let mut in_package = false;
    let (mut repository, mut version) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
            continue;
        }
        let value =
            || line.split_once('=').map(|(_, value)| value.trim().trim_matches('"').to_owned());
        if in_package && line.starts_with("repository") {
            repository = value();
        } else if in_package && line.starts_with("version") {
            version = value();
        }
    }
    match (repository, version) {
        (Some(repository), Some(version)) => Ok((repository, version)),
        _ => bail!("[workspace.package] of Cargo.toml has no repository or version"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test --workspace` builds every guide's lines outside the workspace.
    #[test]
    fn the_guides_build_outside_the_workspace() {
        if let Err(err) = run() {
            panic!("{err:#}");
        }
    }

    const GUIDE: &str = "# A guide\n\n```toml\n[dependencies]\n\
        okta-flow = { git = \"https://example.invalid/okta-oidc\", tag = \"v0.1.0\", features = [\"axum\"] }  # note\n\
        axum = \"0.8\"\n```\n\n```sh\nexport X=1\n```\n\n```rust,no_run\nuse a::b;\n# fn hidden() {}\n#[derive(Debug)]\nstruct S;\n```\n\n```rust\nsecond();\n```\n";

    #[test]
    fn the_lines_and_the_first_block_are_taken_as_written() {
        let guide = parse(GUIDE).unwrap().unwrap();
        assert_eq!(guide.dependencies.len(), 2);
        assert!(guide.dependencies[0].ends_with("features = [\"axum\"] }  # note"));
        assert_eq!(guide.code, "use a::b;\nfn hidden() {}\n#[derive(Debug)]\nstruct S;\n");
        assert_eq!(parse("no blocks\n").unwrap(), None);
    }

    #[test]
    fn git_sources_become_paths_and_must_name_this_repository_and_version() {
        let root = project_root();
        let guide = parse(GUIDE).unwrap().unwrap();
        let written = manifest(
            "demo",
            &guide.dependencies,
            "https://example.invalid/okta-oidc",
            "0.1.0",
            &root,
        )
        .unwrap();
        let path = root.join("crates/okta-flow").display().to_string();
        assert!(
            written.contains(&format!("okta-flow = {{ path = {path:?}, features = [\"axum\"] }}")),
            "{written}"
        );
        assert!(written.contains("\naxum = \"0.8\"\n"), "{written}");
        let err = manifest(
            "demo",
            &guide.dependencies,
            "https://example.invalid/okta-oidc",
            "0.2.0",
            &root,
        )
        .unwrap_err();
        assert!(err.to_string().contains("tag = \"v0.2.0\""), "{err}");
    }
}
