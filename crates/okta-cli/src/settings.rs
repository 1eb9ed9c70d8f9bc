//! Settings for every command: okta-config's sources (`okta.toml`, profiles, `OKTA_*`), with
//! command-line flags applied on top as code overrides.

use okta_config::{Origin, Role, Settings, SettingsLoader};

use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::output;

/// The settings flags of one command, applied with [`SettingsLoader::set_with_origin`] so they
/// win over the file and the environment, and problems name the flag.
#[derive(Debug, Default)]
pub(crate) struct Overrides {
    entries: Vec<(&'static str, okta_config::SettingValue, String)>,
}

impl Overrides {
    /// Sets `key` from `flag` when the flag was given.
    pub(crate) fn text(&mut self, key: &'static str, flag: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.entries.push((key, value.into(), format!("command-line flag {flag}")));
        }
        self
    }

    /// Sets the list `key` from `flag` when the flag was given at least once.
    pub(crate) fn list(&mut self, key: &'static str, flag: &str, values: &[String]) -> &mut Self {
        if !values.is_empty() {
            let value = okta_config::SettingValue::List(values.to_vec());
            self.entries.push((key, value, format!("command-line flag {flag}")));
        }
        self
    }

    /// Sets `key` to a value the command chose itself, described for problem reports.
    pub(crate) fn derived(
        &mut self,
        key: &'static str,
        value: &str,
        description: &str,
    ) -> &mut Self {
        self.entries.push((key, value.into(), description.to_owned()));
        self
    }
}

/// Loads the settings: the global flags choose the file and profile, `overrides` win over every
/// source, and `role` says what must be present. Problems are a usage error (exit 2) listing
/// every problem with its key and source.
pub(crate) fn load(
    global: &GlobalArgs,
    overrides: &Overrides,
    role: Option<Role>,
) -> Result<Settings, CliError> {
    let mut loader = SettingsLoader::new().user_file();
    if let Some(path) = &global.config {
        loader = loader.file_with_origin(path, "command-line flag --config");
    }
    if let Some(profile) = &global.profile {
        loader = loader.profile_with_origin(profile, "command-line flag --profile");
    }
    for (key, value, description) in &overrides.entries {
        loader = loader.set_with_origin(*key, value.clone(), description.as_str());
    }
    if let Some(role) = role {
        loader = loader.role(role);
    }
    let settings = loader.load().map_err(|err| CliError::Usage(anyhow::Error::new(err)))?;
    if !global.quiet {
        // A forgotten variable silently beats the file: say so, once per command.
        for shadowed in settings.environment_overrides() {
            output::err(&format!(
                "okta: note: {} overrides {} ({})",
                shadowed.variable(),
                shadowed.key(),
                describe(Some(shadowed.overridden()), shadowed.key())
            ));
        }
    }
    Ok(settings)
}

/// Where the value of `key` came from, as a person would name it: the flag (`--audience`), the
/// variable (`OKTA_AUDIENCE`), the file and key (`okta.toml: audience`), the profile
/// (`okta.toml [profiles.team]: audience`), or `default`.
pub(crate) fn source(settings: &Settings, key: &str) -> String {
    describe(settings.origin(key), key)
}

pub(crate) fn describe(origin: Option<&Origin>, key: &str) -> String {
    match origin {
        None => "not set".to_owned(),
        Some(Origin::Described { description }) => {
            description.strip_prefix("command-line flag ").unwrap_or(description).to_owned()
        }
        Some(Origin::Environment { variable }) => variable.clone(),
        Some(Origin::File { path }) => format!("{}: {key}", path.display()),
        Some(Origin::Profile { name, path }) => {
            format!("{} [profiles.{name}]: {key}", path.display())
        }
        Some(other) => other.to_string(),
    }
}
