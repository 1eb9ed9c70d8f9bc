//! Command-line parsing for `cargo xtask`, kept dependency-free.

/// What `cargo xtask` was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Print the usage text.
    Help,
    /// Check the repository's invariants (file docs, dependency graph, duplicate versions).
    Tidy,
}

pub(crate) const USAGE: &str = "\
cargo xtask <command>

Commands:
  tidy    check repository invariants: every file opens with //!, the dependency graph
          (okta-devserver and okta-verify never depend on each other, no OpenSSL), and one
          version of each direct dependency in the tree
  help    print this text";

pub(crate) fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Command> {
    let command = match args.next().as_deref() {
        None | Some("help" | "-h" | "--help") => Command::Help,
        Some("tidy") => Command::Tidy,
        Some(other) => anyhow::bail!("unknown command `{other}`\n\n{USAGE}"),
    };
    if let Some(extra) = args.next() {
        anyhow::bail!("unexpected argument `{extra}`\n\n{USAGE}");
    }
    Ok(command)
}
