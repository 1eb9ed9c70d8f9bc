//! `okta config`: the effective settings, each with its source, secrets redacted: what every
//! other command would run with.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::error::{CliError, EXIT_OK};
use crate::output::{self, Terminal};
use crate::settings::{self, Overrides};

/// `okta config -o json`'s object.
#[derive(Serialize)]
struct ConfigReport {
    /// The profile applied, if any.
    profile: Option<String>,
    /// Every setting with a value, in `docs/configuration.md`'s order.
    settings: Vec<EntryReport>,
}

/// One setting.
#[derive(Serialize)]
struct EntryReport {
    key: &'static str,
    /// The effective value as text; `[redacted]` for secrets.
    value: String,
    /// Where it came from: `--issuer`, `OKTA_ISSUER`, `okta.toml: issuer`, `default`, or
    /// `derived` (from another setting, such as `domain` from `issuer`).
    source: String,
}

/// Runs `okta config`.
pub(crate) fn run(global: &GlobalArgs, terminal: Terminal) -> Result<ExitCode, CliError> {
    let settings = settings::load(global, &Overrides::default(), None)?;
    let report = ConfigReport {
        profile: settings.profile().map(str::to_owned),
        settings: settings
            .entries()
            .into_iter()
            .map(|entry| EntryReport {
                key: entry.key(),
                value: entry.value().to_owned(),
                source: match entry.origin() {
                    None => "derived".to_owned(),
                    origin => settings::describe(origin, entry.key()),
                },
            })
            .collect(),
    };
    if terminal.format() == OutputFormat::Json {
        output::json(&report)?;
    } else {
        let style = terminal.stdout;
        let mut text = String::new();
        if let Some(profile) = &report.profile {
            let _ = writeln!(text, "profile {}\n", output::untrusted(profile, 64));
        }
        let width = report.settings.iter().map(|entry| entry.key.len()).max().unwrap_or(0);
        for entry in &report.settings {
            let _ = writeln!(
                text,
                "{:<width$}  {}  {}",
                entry.key,
                output::untrusted(&entry.value, 256),
                style.dim(&format!("({})", output::untrusted(&entry.source, 256)))
            );
        }
        output::out(text.trim_end())?;
    }
    Ok(ExitCode::from(EXIT_OK))
}
