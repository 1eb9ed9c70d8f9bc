//! Where a setting's value came from, so every problem can point at the line to fix.

use std::fmt;
use std::path::PathBuf;

/// The source a setting's effective value came from.
///
/// Sources are layered, lowest precedence first: [`Origin::Default`], [`Origin::File`],
/// [`Origin::Profile`], [`Origin::Environment`], [`Origin::Code`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Set from code with [`SettingsLoader::set`](crate::SettingsLoader::set).
    Code,
    /// A built-in default.
    Default,
    /// Set from code with [`SettingsLoader::set_with_origin`](crate::SettingsLoader::set_with_origin),
    /// which said where the value came from (for example "command-line flag --issuer").
    Described {
        /// The caller's description.
        description: String,
    },
    /// An environment variable.
    Environment {
        /// The variable's name, for example `OKTA_CLIENT_ID`.
        variable: String,
    },
    /// The base table of a settings file.
    File {
        /// The file's path, as given.
        path: PathBuf,
    },
    /// A `[profiles.<name>]` table of a settings file.
    Profile {
        /// The profile's name.
        name: String,
        /// The file's path, as given.
        path: PathBuf,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code => f.write_str("set from code"),
            Self::Default => f.write_str("default"),
            Self::Described { description } => f.write_str(description),
            Self::Environment { variable } => write!(f, "environment variable {variable}"),
            Self::File { path } => write!(f, "{}", path.display()),
            Self::Profile { name, path } => write!(f, "{} [profiles.{name}]", path.display()),
        }
    }
}

/// The `config` crate keeps a value's origin as a string; ours are tagged so they parse back.
///
/// File values keep the path `config` gave them; every other source is ours and tagged here.
pub(crate) mod tag {
    use std::path::PathBuf;

    use super::Origin;

    const PREFIX: &str = "\u{0}okta-config:";

    pub(crate) fn environment(variable: &str) -> String {
        format!("{PREFIX}env:{variable}")
    }

    pub(crate) fn code() -> String {
        format!("{PREFIX}code")
    }

    pub(crate) fn described(description: &str) -> String {
        format!("{PREFIX}described:{description}")
    }

    pub(crate) fn profile(name: &str, path: &str) -> String {
        // A profile name is a TOML key and may hold anything but a NUL, which separates the parts.
        format!("{PREFIX}profile:{name}\u{0}{path}")
    }

    pub(crate) fn parse(origin: Option<&str>) -> Origin {
        let Some(origin) = origin else { return Origin::Default };
        let Some(rest) = origin.strip_prefix(PREFIX) else {
            return Origin::File { path: PathBuf::from(origin) };
        };
        if let Some(variable) = rest.strip_prefix("env:") {
            Origin::Environment { variable: variable.to_owned() }
        } else if let Some(description) = rest.strip_prefix("described:") {
            Origin::Described { description: description.to_owned() }
        } else if let Some(profile) = rest.strip_prefix("profile:") {
            let (name, path) = profile.split_once('\u{0}').unwrap_or((profile, ""));
            Origin::Profile { name: name.to_owned(), path: PathBuf::from(path) }
        } else {
            Origin::Code
        }
    }
}
