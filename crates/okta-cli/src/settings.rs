//! Settings for every command: okta-config's sources (`okta.toml`, profiles, `OKTA_*`), with
//! command-line flags applied on top as code overrides.

use okta_config::{Role, Settings, SettingsLoader};

use crate::cli::GlobalArgs;
use crate::error::CliError;

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

    /// Sets the number `key` from `flag` when the flag was given.
    pub(crate) fn integer(
        &mut self,
        key: &'static str,
        flag: &str,
        value: Option<i64>,
    ) -> &mut Self {
        if let Some(value) = value {
            self.entries.push((key, value.into(), format!("command-line flag {flag}")));
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
    let mut loader = SettingsLoader::new();
    if let Some(path) = &global.config {
        loader = loader.file(path);
    }
    if let Some(profile) = &global.profile {
        loader = loader.profile(profile);
    }
    for (key, value, description) in &overrides.entries {
        loader = loader.set_with_origin(*key, value.clone(), description.as_str());
    }
    if let Some(role) = role {
        loader = loader.role(role);
    }
    loader.load().map_err(|err| CliError::Usage(anyhow::Error::new(err)))
}
