//! Layering with the `config` crate: defaults, a TOML file, a profile, `OKTA_*` variables, code.
//!
//! Every source keeps each value's origin so that [`crate::Problem`]s can say where to fix them.
//! This module is the only place in the workspace that reads the environment or a settings file.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use config::{Config, FileFormat, Map, Source, Value, ValueKind};

use crate::origin::tag;
use crate::proxy::PROXY_VARIABLES;
use crate::raw::{self, KEYS};
use crate::settings::EnvironmentOverride;
use crate::validate::validate;
use crate::{LoadError, Origin, Problem, Role, Settings};

/// The file read when neither [`SettingsLoader::file`] nor `$OKTA_CONFIG` names one.
pub const DEFAULT_FILE: &str = "okta.toml";

/// Builds [`Settings`] from layered sources, lowest precedence first: built-in defaults, a TOML
/// file, a `[profiles.<name>]` table of that file, `OKTA_*` environment variables, and values set
/// from code.
///
/// ```
/// use okta_config::{Role, SettingsLoader};
///
/// let settings = SettingsLoader::isolated() // no file, no environment: code only
///     .set("issuer", "https://dev-123456.okta.com/oauth2/default")
///     .set("client_id", "0oa1b2c3d4e5f6g7h8i9")
///     .set("client_secret", "a-secret-from-somewhere-safe")
///     .set("redirect_uri", "https://app.example.com/authorization-code/callback")
///     .role(Role::Client)
///     .load()?;
/// assert_eq!(settings.audiences()[0].as_str(), "api://default");
/// # Ok::<(), okta_config::LoadError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SettingsLoader {
    file: FileChoice,
    env: EnvChoice,
    profile: Option<(String, Option<String>)>,
    overrides: Vec<Override>,
    roles: BTreeSet<Role>,
    /// Whether the user's config directory is searched after the working directory.
    user_file: bool,
}

/// A value set from code, and how problems should name its source.
#[derive(Clone, Debug)]
struct Override {
    key: String,
    value: SettingValue,
    /// `None`: "set from code".
    description: Option<String>,
}

#[derive(Clone, Debug)]
enum FileChoice {
    /// `$OKTA_CONFIG` (must exist) or `okta.toml` in the working directory (optional).
    Default,
    /// No file.
    Disabled,
    /// This file, which must exist, and who named it (for the error when it does not).
    Path(PathBuf, Option<String>),
}

#[derive(Clone)]
enum EnvChoice {
    Disabled,
    Process,
    Vars(Vec<(String, String)>),
}

impl std::fmt::Debug for EnvChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The variables may hold a client secret: show their names only.
        match self {
            Self::Disabled => f.write_str("Disabled"),
            Self::Process => f.write_str("Process"),
            Self::Vars(vars) => f
                .debug_tuple("Vars")
                .field(&vars.iter().map(|(k, _)| k).collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// A value set from code with [`SettingsLoader::set`].
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum SettingValue {
    /// `true` or `false`.
    Bool(bool),
    /// A number, such as a timeout in seconds.
    Float(f64),
    /// A whole number.
    Integer(i64),
    /// A list, such as scopes.
    List(Vec<String>),
    /// Text, such as a URL or an id.
    Text(String),
}

impl std::fmt::Debug for SettingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A value may be a secret (`client_secret`); the key says which, so never print values.
        f.write_str("SettingValue(..)")
    }
}

impl From<&str> for SettingValue {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for SettingValue {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<bool> for SettingValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<i64> for SettingValue {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<u64> for SettingValue {
    fn from(value: u64) -> Self {
        // Beyond i64, keep the digits: the reader parses text, and reports the range problem.
        i64::try_from(value).map_or_else(|_| Self::Text(value.to_string()), Self::Integer)
    }
}

impl From<f64> for SettingValue {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<Vec<String>> for SettingValue {
    fn from(value: Vec<String>) -> Self {
        Self::List(value)
    }
}

impl From<&[&str]> for SettingValue {
    fn from(value: &[&str]) -> Self {
        Self::List(value.iter().map(|item| (*item).to_owned()).collect())
    }
}

impl<const N: usize> From<[&str; N]> for SettingValue {
    fn from(value: [&str; N]) -> Self {
        Self::List(value.iter().map(|item| (*item).to_owned()).collect())
    }
}

impl Default for SettingsLoader {
    fn default() -> Self {
        Self::new()
    }
}

// Here rather than in settings.rs, so that the settings sit below their loader (files import
// downward only).
impl Settings {
    /// Loads settings from `okta.toml` (or `$OKTA_CONFIG`), the profile named by `$OKTA_PROFILE`
    /// and the `OKTA_*` environment, requiring what `role` needs.
    ///
    /// The same as `SettingsLoader::new().role(role).load()`.
    pub fn load(role: Role) -> Result<Self, LoadError> {
        SettingsLoader::new().role(role).load()
    }
}

impl SettingsLoader {
    /// Reads `$OKTA_CONFIG` (which must exist) or else `okta.toml` in the working directory if it
    /// exists, the profile named by `$OKTA_PROFILE`, and the process's `OKTA_*` variables (and its
    /// proxy variables, used only when `http.proxy = "environment"`).
    pub fn new() -> Self {
        Self {
            file: FileChoice::Default,
            env: EnvChoice::Process,
            profile: None,
            overrides: Vec::new(),
            roles: BTreeSet::new(),
            user_file: false,
        }
    }

    /// Reads nothing but defaults and what is set from code: for tests and for services that
    /// take their settings from elsewhere.
    pub fn isolated() -> Self {
        Self { file: FileChoice::Disabled, env: EnvChoice::Disabled, ..Self::new() }
    }

    /// Reads this TOML file, which must exist, instead of `$OKTA_CONFIG` or `okta.toml`.
    #[must_use]
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = FileChoice::Path(path.into(), None);
        self
    }

    /// Like [`file`](Self::file), with a description of who named the file (such as
    /// `"command-line flag --config"`) for the error when it does not exist.
    #[must_use]
    pub fn file_with_origin(
        mut self,
        path: impl Into<PathBuf>,
        description: impl Into<String>,
    ) -> Self {
        self.file = FileChoice::Path(path.into(), Some(description.into()));
        self
    }

    /// Without a settings file named by `$OKTA_CONFIG` or [`file`](Self::file) and without
    /// `okta.toml` in the working directory, reads `okta/okta.toml` in the user's config
    /// directory if it exists: `$XDG_CONFIG_HOME/okta/okta.toml`, else
    /// `$HOME/.config/okta/okta.toml` (on Windows `%APPDATA%\okta\okta.toml`). For command-line
    /// tools such as `okta`; a service keeps its settings beside it.
    #[must_use]
    pub fn user_file(mut self) -> Self {
        self.user_file = true;
        self
    }

    /// Reads no settings file.
    #[must_use]
    pub fn no_file(mut self) -> Self {
        self.file = FileChoice::Disabled;
        self
    }

    /// Uses these variables instead of the process environment: the `OKTA_*` ones, and the
    /// standard proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, lower-case
    /// too), which only `http.proxy = "environment"` reads.
    #[must_use]
    pub fn env_vars<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.env = EnvChoice::Vars(vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect());
        self
    }

    /// Reads no environment variables.
    #[must_use]
    pub fn no_env(mut self) -> Self {
        self.env = EnvChoice::Disabled;
        self
    }

    /// Applies `[profiles.<name>]` of the settings file over its base table (wins over
    /// `$OKTA_PROFILE`).
    #[must_use]
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some((name.into(), None));
        self
    }

    /// Like [`profile`](Self::profile), with a description of who chose it (such as
    /// `"command-line flag --profile"`) that problems report instead of "set from code".
    #[must_use]
    pub fn profile_with_origin(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.profile = Some((name.into(), Some(description.into())));
        self
    }

    /// Sets `key` (as written in `okta.toml`, such as `client_id` or `http.timeout_secs`) from
    /// code; this wins over every other source.
    #[must_use]
    pub fn set(mut self, key: impl Into<String>, value: impl Into<SettingValue>) -> Self {
        self.overrides.push(Override { key: key.into(), value: value.into(), description: None });
        self
    }

    /// Like [`set`](Self::set), with a description of where the value came from that problems
    /// and [`Settings::origin`] report instead of "set from code", such as
    /// `"command-line flag --issuer"`.
    #[must_use]
    pub fn set_with_origin(
        mut self,
        key: impl Into<String>,
        value: impl Into<SettingValue>,
        description: impl Into<String>,
    ) -> Self {
        self.overrides.push(Override {
            key: key.into(),
            value: value.into(),
            description: Some(description.into()),
        });
        self
    }

    /// Requires what `role` needs; call it once per role the service plays.
    #[must_use]
    pub fn role(mut self, role: Role) -> Self {
        self.roles.insert(role);
        self
    }

    /// Reads every source, then validates everything, reporting every problem at once.
    pub fn load(self) -> Result<Settings, LoadError> {
        let mut problems = Vec::new();
        let env = self.read_env(&mut problems);
        let proxy_env = self.read_proxy_env();

        let file = self.file_to_read(&env);
        let mut file_table = match &file {
            Some((path, named_by)) => read_file(path, named_by.as_deref())?,
            None => Map::new(),
        };
        let profiles = file_table.remove("profiles");
        let file_path = file.as_ref().map(|(path, _)| path.display().to_string());
        check_unknown_keys(&file_table, "", &mut problems);

        let profile = match self.profile.clone() {
            Some((name, None)) => Some((name, Origin::Code)),
            Some((name, Some(description))) => Some((name, Origin::Described { description })),
            None => env.iter().find(|(name, _)| name == "OKTA_PROFILE").map(|(_, value)| {
                (value.clone(), Origin::Environment { variable: "OKTA_PROFILE".to_owned() })
            }),
        };
        let profile_table = match &profile {
            Some((name, origin)) => select_profile(
                profiles,
                name,
                origin,
                file_path.as_deref().unwrap_or(""),
                &mut problems,
            ),
            None => Map::new(),
        };
        let profile_name = profile.map(|(name, _)| name);
        let environment_overrides = environment_overrides(&env, &file_table, &profile_table);

        let config = Config::builder()
            .add_source(Layer(raw::defaults()))
            .add_source(Layer(file_table))
            .add_source(Layer(profile_table))
            .add_source(Layer(env_layer(&env)))
            .add_source(Layer(code_layer(self.overrides, &mut problems)))
            .build()
            .and_then(|config| config.collect())
            .map_err(|err| LoadError::File {
                path: file.map(|(path, _)| path).unwrap_or_default(),
                reason: err.to_string(),
            })?;

        let raw = raw::RawSettings::read(&config, proxy_env, &mut problems);
        match validate(raw, &self.roles, profile_name, problems) {
            Ok(mut settings) => {
                settings.environment_overrides = environment_overrides;
                tracing::debug!(issuer = %settings.issuer(), profile = ?settings.profile(), "okta settings loaded");
                Ok(settings)
            }
            Err(problems) => Err(LoadError::Invalid(problems)),
        }
    }

    /// The `OKTA_*` variables, as UTF-8 pairs; a non-UTF-8 one is a problem, not a panic.
    fn read_env(&self, problems: &mut Vec<Problem>) -> Vec<(String, String)> {
        let vars: Vec<(OsString, OsString)> = match &self.env {
            EnvChoice::Disabled => return Vec::new(),
            EnvChoice::Vars(vars) => {
                return vars.iter().filter(|(k, _)| k.starts_with("OKTA_")).cloned().collect();
            }
            EnvChoice::Process => process_env(),
        };
        let mut out = Vec::new();
        for (name, value) in vars {
            let Some(name) = name.to_str().filter(|name| name.starts_with("OKTA_")) else {
                continue;
            };
            match value.into_string() {
                Ok(value) => out.push((name.to_owned(), value)),
                Err(_) => problems.push(Problem::new(
                    env_key(name).unwrap_or_else(|| name.to_lowercase()),
                    Some(Origin::Environment { variable: name.to_owned() }),
                    "is not valid UTF-8".to_owned(),
                )),
            }
        }
        out
    }

    /// The standard proxy variables (`HTTPS_PROXY`, `NO_PROXY`, ...) that are set, as UTF-8
    /// pairs; only `http.proxy = "environment"` uses them. A non-UTF-8 value counts as unset.
    fn read_proxy_env(&self) -> Vec<(String, String)> {
        let is_proxy_variable = |name: &str| PROXY_VARIABLES.contains(&name);
        match &self.env {
            EnvChoice::Disabled => Vec::new(),
            EnvChoice::Vars(vars) => {
                vars.iter().filter(|(name, _)| is_proxy_variable(name)).cloned().collect()
            }
            EnvChoice::Process => process_env()
                .into_iter()
                .filter_map(|(name, value)| {
                    Some((name.into_string().ok()?, value.into_string().ok()?))
                })
                .filter(|(name, _)| is_proxy_variable(name))
                .collect(),
        }
    }

    /// The file to read, and who named it (`None`: `okta.toml`, which may be absent).
    fn file_to_read(&self, env: &[(String, String)]) -> Option<(PathBuf, Option<String>)> {
        match &self.file {
            FileChoice::Disabled => None,
            FileChoice::Path(path, description) => Some((
                path.clone(),
                Some(description.clone().unwrap_or_else(|| "SettingsLoader::file".to_owned())),
            )),
            FileChoice::Default => match env.iter().find(|(name, _)| name == "OKTA_CONFIG") {
                Some((_, path)) => Some((PathBuf::from(path), Some("OKTA_CONFIG".to_owned()))),
                None if !Path::new(DEFAULT_FILE).is_file() && self.user_file => {
                    let user = self.user_config_file().filter(|path| path.is_file());
                    Some((user.unwrap_or_else(|| PathBuf::from(DEFAULT_FILE)), None))
                }
                None => Some((PathBuf::from(DEFAULT_FILE), None)),
            },
        }
    }

    /// `okta/okta.toml` in the user's config directory (XDG Base Directory on Unix), if the
    /// variables name one; relative `XDG_CONFIG_HOME` values are ignored, as the specification
    /// says.
    fn user_config_file(&self) -> Option<PathBuf> {
        let var = |name: &str| -> Option<PathBuf> {
            let value = match &self.env {
                EnvChoice::Disabled => None,
                EnvChoice::Vars(vars) => {
                    vars.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone())
                }
                EnvChoice::Process => process_env()
                    .into_iter()
                    .find(|(key, _)| key == name)
                    .and_then(|(_, value)| value.into_string().ok()),
            }?;
            let path = PathBuf::from(value);
            path.is_absolute().then_some(path)
        };
        if cfg!(windows) {
            return var("APPDATA").map(|dir| dir.join("okta").join(DEFAULT_FILE));
        }
        var("XDG_CONFIG_HOME")
            .or_else(|| var("HOME").map(|home| home.join(".config")))
            .map(|dir| dir.join("okta").join(DEFAULT_FILE))
    }
}

#[allow(clippy::disallowed_methods, reason = "okta-config is the crate that reads the environment")]
fn process_env() -> Vec<(OsString, OsString)> {
    std::env::vars_os().collect()
}

/// A layer of already-collected values; `config` deep-merges it over the layers below.
#[derive(Clone, Debug)]
struct Layer(Map<String, Value>);

impl Source for Layer {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, config::ConfigError> {
        Ok(self.0.clone())
    }
}

/// Reads the settings file; `named_by` says who named it (then it must exist).
fn read_file(path: &Path, named_by: Option<&str>) -> Result<Map<String, Value>, LoadError> {
    let required = named_by.is_some();
    if let Some(named_by) = named_by
        && !path.is_file()
    {
        return Err(LoadError::File {
            path: path.to_owned(),
            reason: format!("no such file (named by {named_by})"),
        });
    }
    let table = config::File::from(path)
        .format(FileFormat::Toml)
        .required(required)
        .collect()
        .map_err(|err| LoadError::File { path: path.to_owned(), reason: err.to_string() })?;
    // `config` records the path relative to the working directory; report it as it was given.
    let origin = path.display().to_string();
    Ok(table.into_iter().map(|(key, value)| (key, retag(value, &origin))).collect())
}

fn select_profile(
    profiles: Option<Value>,
    name: &str,
    selected_by: &Origin,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Map<String, Value> {
    let origin = Some(selected_by.clone());
    let available = |table: &Map<String, Value>| {
        let mut names: Vec<_> = table.keys().map(String::as_str).collect();
        names.sort_unstable();
        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
    };
    let Some(profiles) = profiles else {
        problems.push(Problem::new(
            "profile",
            origin,
            format!("profile {name:?} is selected but the settings file has no [profiles] table"),
        ));
        return Map::new();
    };
    let Ok(mut table) = profiles.into_table() else {
        problems.push(Problem::new(
            "profiles",
            Some(Origin::File { path: path.into() }),
            "must be a table of profiles, such as [profiles.payments]".to_owned(),
        ));
        return Map::new();
    };
    let Some(profile) = table.remove(name) else {
        problems.push(Problem::new(
            "profile",
            origin,
            format!(
                "profile {name:?} is not in the settings file (available: {})",
                available(&table)
            ),
        ));
        return Map::new();
    };
    let Ok(profile) = profile.into_table() else {
        problems.push(Problem::new(
            format!("profiles.{name}"),
            Some(Origin::File { path: path.into() }),
            "must be a table of settings".to_owned(),
        ));
        return Map::new();
    };
    let origin = tag::profile(name, path);
    let profile = profile.into_iter().map(|(key, value)| (key, retag(value, &origin))).collect();
    check_unknown_keys(&profile, &format!("profiles.{name}."), problems);
    profile
}

/// Gives a value (and everything inside it) a new origin.
fn retag(value: Value, origin: &String) -> Value {
    let kind = match value.kind {
        ValueKind::Table(table) => {
            ValueKind::Table(table.into_iter().map(|(k, v)| (k, retag(v, origin))).collect())
        }
        ValueKind::Array(items) => {
            ValueKind::Array(items.into_iter().map(|v| retag(v, origin)).collect())
        }
        kind => kind,
    };
    Value::new(Some(origin), kind)
}

/// `OKTA_CLIENT_ID` → `client_id`, `OKTA_HTTP__TIMEOUT_SECS` → `http.timeout_secs`; `None` for
/// the variables that steer the loader itself and for names that are no setting.
fn env_key(variable: &str) -> Option<String> {
    let rest = variable.strip_prefix("OKTA_")?;
    if matches!(rest, "CONFIG" | "PROFILE") {
        return None;
    }
    let key = rest.to_ascii_lowercase().replace("__", ".");
    raw::is_known(&key).then_some(key)
}

/// The `OKTA_*` variables that override a different value of the settings file (its profile
/// first), sorted by key.
fn environment_overrides(
    env: &[(String, String)],
    file: &Map<String, Value>,
    profile: &Map<String, Value>,
) -> Vec<EnvironmentOverride> {
    let lookup = |table: &Map<String, Value>, key: &str| -> Option<Value> {
        let mut parts = key.split('.');
        let mut value = table.get(parts.next()?)?.clone();
        for part in parts {
            value = value.into_table().ok()?.remove(part)?;
        }
        Some(value)
    };
    let mut overrides: Vec<EnvironmentOverride> = env
        .iter()
        .filter_map(|(variable, text)| {
            let key = env_key(variable)?;
            let value = lookup(profile, &key).or_else(|| lookup(file, &key))?;
            let origin = tag::parse(value.origin());
            let same = value.into_string().is_ok_and(|file_text| file_text == *text);
            (!same).then(|| EnvironmentOverride {
                key,
                variable: variable.clone(),
                overridden: origin,
            })
        })
        .collect();
    overrides.sort_by(|a, b| a.key.cmp(&b.key));
    overrides
}

fn env_layer(env: &[(String, String)]) -> Map<String, Value> {
    let mut layer = Map::new();
    for (variable, value) in env {
        // Other tools use OKTA_* too (Okta's SDKs, our e2e credentials): not ours to judge.
        if let Some(key) = env_key(variable) {
            let origin = tag::environment(variable);
            layer.insert(key, Value::new(Some(&origin), value.clone()));
        }
    }
    layer
}

fn code_layer(overrides: Vec<Override>, problems: &mut Vec<Problem>) -> Map<String, Value> {
    let mut layer = Map::new();
    for Override { key, value, description } in overrides {
        let origin = description.as_deref().map_or_else(tag::code, tag::described);
        if !raw::is_known(&key) {
            problems.push(Problem::new(
                key.clone(),
                Some(tag::parse(Some(&origin))),
                format!("is not a setting{}", raw::suggestion(&key)),
            ));
            continue;
        }
        let kind = match value {
            SettingValue::Bool(value) => ValueKind::Boolean(value),
            SettingValue::Float(value) => ValueKind::Float(value),
            SettingValue::Integer(value) => ValueKind::I64(value),
            SettingValue::List(items) => ValueKind::Array(
                items.into_iter().map(|item| Value::new(Some(&origin), item)).collect(),
            ),
            SettingValue::Text(value) => ValueKind::String(value),
        };
        layer.insert(key, Value::new(Some(&origin), kind));
    }
    layer
}

/// A key in a file that is no setting is almost always a typo: say so, with the likely fix.
fn check_unknown_keys(table: &Map<String, Value>, shown_prefix: &str, problems: &mut Vec<Problem>) {
    let mut unknown = |name: String, value: &Value, message: String| {
        problems.push(Problem::new(
            format!("{shown_prefix}{name}"),
            Some(tag::parse(value.origin())),
            message,
        ));
    };
    for (key, value) in sorted(table) {
        let is_section = KEYS.iter().any(|known| known.name.starts_with(&format!("{key}.")));
        match &value.kind {
            ValueKind::Table(inner) if is_section => {
                for (sub, value) in sorted(inner) {
                    let name = format!("{key}.{sub}");
                    if !raw::is_known(&name) {
                        let message = format!("is not a setting{}", raw::suggestion(&name));
                        unknown(name, value, message);
                    }
                }
            }
            _ if is_section => {
                let message = format!("is a section: write [{key}] and its keys below it");
                unknown(key.clone(), value, message);
            }
            _ if raw::is_known(key) => {}
            ValueKind::Table(_) => {
                let message = format!("is not a section{}", raw::section_suggestion(key));
                unknown(key.clone(), value, message);
            }
            _ => unknown(key.clone(), value, format!("is not a setting{}", raw::suggestion(key))),
        }
    }
}

fn sorted(table: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

#[cfg(test)]
mod tests;
