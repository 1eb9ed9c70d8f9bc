//! The markdown check of `cargo xtask tidy`: the documentation stands alone, so no markdown file
//! links or points outside the repository.

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::Context;

/// Every markdown file of the repository (build output aside) against three rules:
///
/// - a link is a web address (`https:`, `http:`, `mailto:`), an anchor, or a relative path to a
///   file or directory of the repository that exists;
/// - a path in a link or a code span never climbs out of the repository (`../shared/...`), read
///   from the file's directory or, in a code span, from the repository root;
/// - the text never names this checkout's absolute path or the directory that holds it.
pub(crate) fn check_markdown_links(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    collect_markdown(root, &mut files)?;
    files.sort();
    // The directory that holds the checkout, unless it is a temporary directory every machine
    // has (a checkout in `/tmp/x` must not forbid `/tmp/` in an example).
    let temporary = [std::env::temp_dir(), PathBuf::from("/tmp"), PathBuf::from("/var/tmp")];
    let holder = root.parent().filter(|parent| !temporary.iter().any(|dir| dir == parent));
    let machine_paths: Vec<String> = [Some(root), holder]
        .into_iter()
        .flatten()
        .filter(|path| path.components().count() > 1)
        .map(|path| format!("{}/", path.display()))
        .collect();
    let mut problems = Vec::new();
    for file in files {
        let text =
            fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let relative = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        let dir = file.parent().unwrap_or(root);
        let mut in_fence = false;
        for (index, line) in text.lines().enumerate() {
            let at = format!("{}:{}", relative.display(), index + 1);
            if let Some(path) = machine_paths.iter().find(|path| line.contains(path.as_str())) {
                problems.push(format!("{at}: names a path of this machine ({path})"));
            }
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                continue;
            }
            for target in link_targets(line) {
                if let Some(problem) = check_link(root, dir, &target) {
                    problems.push(format!("{at}: link `{target}` {problem}"));
                }
            }
            for span in code_spans(line).into_iter().filter(|span| names_a_file(span)) {
                // A path in prose may be meant from the file or from the repository root.
                if escapes(root, dir, span) || escapes(root, root, span) {
                    problems.push(format!("{at}: `{span}` points outside the repository"));
                }
            }
        }
    }
    Ok(problems)
}

/// What is wrong with a link target, if anything.
fn check_link(root: &Path, dir: &Path, target: &str) -> Option<&'static str> {
    let lower = target.to_ascii_lowercase();
    if ["https://", "http://", "mailto:"].iter().any(|scheme| lower.starts_with(scheme))
        || target.starts_with('#')
    {
        return None;
    }
    if lower.starts_with("file:") || target.starts_with('/') || target.starts_with('\\') {
        return Some("is an absolute path: link inside the repository, or to a public web page");
    }
    if lower.contains("://") {
        return Some("is not a web address or a path of the repository");
    }
    let path = target.split(['#', '?']).next().unwrap_or("");
    if path.is_empty() {
        return None;
    }
    if escapes(root, dir, path) {
        return Some("points outside the repository: write what the reader needs into docs/");
    }
    if !dir.join(path).exists() {
        return Some("names a file that does not exist");
    }
    None
}

/// Whether `path`, relative to `dir`, leaves `root` (resolved without touching the disk).
fn escapes(root: &Path, dir: &Path, path: &str) -> bool {
    let mut resolved = PathBuf::new();
    for component in dir.join(path).components() {
        match component {
            Component::ParentDir => {
                if !resolved.pop() {
                    return true;
                }
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    !resolved.starts_with(root)
}

/// The targets of the inline links (`[text](target "title")`, `![alt](target)`) and reference
/// definitions (`[id]: target`) of one line.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.starts_with('[')
        && let Some((label, rest)) = trimmed.split_once("]:")
        && !label.contains(']')
        && let Some(target) = rest.split_whitespace().next()
    {
        targets.push(target.trim_matches(['<', '>']).to_owned());
    }
    let mut rest = line;
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let inner = rest[..end].trim();
        let target = if let Some(angled) = inner.strip_prefix('<') {
            angled.split('>').next().unwrap_or("")
        } else {
            inner.split_whitespace().next().unwrap_or("")
        };
        if !target.is_empty() {
            targets.push(target.to_owned());
        }
        rest = &rest[end..];
    }
    targets
}

/// Whether a code span reads as a relative path to a file or directory outside its own
/// directory: no spaces, a `../`, and a last part with an extension or a final `/`
/// (`../shared/STYLE.md`, `../shared/`), unlike a hostile value quoted in prose (`../../dev/null`).
fn names_a_file(span: &str) -> bool {
    let last = span.rsplit('/').next().unwrap_or("");
    span.contains("../")
        && !span.contains(char::is_whitespace)
        && (span.ends_with('/') || last.trim_start_matches('.').contains('.'))
}

/// The inline code spans of one line (single backticks).
fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
        if path.is_dir() {
            // Build output, fuzzer corpora and tool directories are not documentation.
            if !matches!(name, "target" | "corpus" | "artifacts" | "node_modules")
                && !name.starts_with('.')
            {
                collect_markdown(&path, out)?;
            }
        } else if path.extension().is_some_and(|extension| extension == "md") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
