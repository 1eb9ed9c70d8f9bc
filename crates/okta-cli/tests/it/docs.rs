//! docs/cli.md documents the output contract: its list of refusal kinds must be okta-verify's.

use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The names `VerifyError::kind()` returns, read from its source.
fn verify_kinds() -> BTreeSet<String> {
    let source = read("../okta-verify/src/error.rs");
    let body = source
        .split("pub fn kind(&self) -> &'static str {")
        .nth(1)
        .and_then(|rest| rest.split("\n    }\n").next())
        .expect("VerifyError::kind in okta-verify's error.rs");
    body.lines()
        .filter_map(|line| line.split("=> \"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The kinds listed in docs/cli.md's table under "## Refusal kinds".
fn documented_kinds() -> BTreeSet<String> {
    let docs = read("../../docs/cli.md");
    let section = docs
        .split("\n## Refusal kinds\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Refusal kinds section in docs/cli.md");
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_documented_kinds_are_exactly_okta_verifys() {
    let kinds = verify_kinds();
    assert!(kinds.len() >= 25, "the parser found the kinds: {kinds:?}");
    assert!(kinds.contains("expired") && kinds.contains("org_server_token"));
    let documented = documented_kinds();
    let undocumented: Vec<_> = kinds.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&kinds).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "docs/cli.md is out of date: undocumented {undocumented:?}, not okta-verify kinds {unknown:?}"
    );
}
