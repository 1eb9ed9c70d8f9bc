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

/// docs/cli.md's sections: heading → text.
fn sections() -> Vec<(String, String)> {
    read("../../docs/cli.md")
        .split("\n## ")
        .skip(1)
        .map(|section| {
            let (heading, body) = section.split_once('\n').unwrap_or((section, ""));
            (heading.to_owned(), body.to_owned())
        })
        .collect()
}

/// The flags written in a usage block (```text ... ```) of a section.
fn usage_flags(body: &str) -> BTreeSet<String> {
    body.split("```text\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .flat_map(|usage| {
            usage
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|word| word.starts_with("--") && word.len() > 2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// docs/cli.md is the reference of `--help`: every subcommand has a section, every flag of
/// `okta <command> --help` is documented in it (global flags under Settings), with its short
/// form, and the usage lines name no flag the binary lacks.
#[test]
fn docs_cli_md_documents_every_flag_of_help_and_no_other() {
    use clap::CommandFactory as _;
    let cli = okta_cli::Cli::command();
    let sections = sections();
    let section = |name: &str| -> &str {
        sections
            .iter()
            .find(|(heading, _)| heading.split(" and ").any(|part| part == name))
            .map_or_else(|| panic!("docs/cli.md has no section for {name}"), |(_, body)| body)
    };
    // A flag is documented when the text names it in backticks or a usage line shows it; a
    // short form the same way (`-i`, or `[-i URL]` in a usage line).
    let documented = |text: &str, arg: &clap::Arg| {
        let usage = usage_flags(text);
        let long = arg.get_long().map(|long| format!("--{long}"));
        let short = arg.get_short();
        long.is_none_or(|long| text.contains(&format!("`{long}")) || usage.contains(&long))
            && short.is_none_or(|short| {
                text.contains(&format!("`-{short}`")) || text.contains(&format!("[-{short} "))
            })
    };
    let settings = section("Settings");
    assert!(usage_flags(section("okta verify")).contains("--nonce"), "the usage parser works");
    let mut checked = 0;
    let mut missing = Vec::new();
    for arg in cli.get_arguments().filter(|arg| !arg.is_hide_set()) {
        if arg.get_long().is_some_and(|long| long != "help" && long != "version")
            && !documented(settings, arg)
        {
            missing.push(format!("global {}", arg.get_id()));
        }
    }
    for command in cli.get_subcommands() {
        let name = format!("okta {}", command.get_name());
        let body = section(&name);
        let text = format!("{body}\n{settings}");
        let own: BTreeSet<String> = command
            .get_arguments()
            .filter(|arg| !arg.is_global_set())
            .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
            .collect();
        for arg in command.get_arguments().filter(|arg| !arg.is_global_set() && !arg.is_hide_set())
        {
            checked += 1;
            if arg.get_long().is_some_and(|long| long != "help") && !documented(&text, arg) {
                missing.push(format!("{name} {}", arg.get_id()));
            }
        }
        let globals: BTreeSet<String> = cli
            .get_arguments()
            .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
            .collect();
        for flag in usage_flags(body) {
            assert!(
                own.contains(&flag) || globals.contains(&flag),
                "docs/cli.md's usage of {name} names {flag}, which it does not take"
            );
        }
    }
    assert!(checked >= 20, "every subcommand's flags were checked: {checked}");
    assert!(missing.is_empty(), "not documented in docs/cli.md: {missing:?}");
}
