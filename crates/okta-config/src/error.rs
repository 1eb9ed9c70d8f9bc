//! The error of loading settings: a file that cannot be read, or a report of every problem.

use std::fmt;
use std::path::PathBuf;

use crate::Origin;

/// Why [`SettingsLoader::load`](crate::SettingsLoader::load) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A settings file was named but could not be read or parsed.
    #[error("cannot read Okta settings file {}: {reason}", path.display())]
    File {
        /// The file, as it was named.
        path: PathBuf,
        /// What went wrong, from the TOML parser or the file system.
        reason: String,
    },
    /// The settings were read, and at least one of them is wrong. Every problem is listed.
    #[error(transparent)]
    Invalid(#[from] Problems),
}

impl LoadError {
    /// The problems found, when the settings were readable but invalid.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Invalid(problems) => problems.as_slice(),
            Self::File { .. } => &[],
        }
    }
}

/// One thing wrong with one setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    key: String,
    origin: Option<Origin>,
    message: String,
}

impl Problem {
    pub(crate) fn new(key: impl Into<String>, origin: Option<Origin>, message: String) -> Self {
        Self { key: key.into(), origin, message }
    }

    /// The setting's key as written in `okta.toml`, for example `client_id` or `http.timeout_secs`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Where the offending value came from; `None` when the problem is that no value was given.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// What is wrong and how to fix it. Never contains a secret's value.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Some(origin) => write!(f, "{} (from {origin}): {}", self.key, self.message),
            None => write!(f, "{}: {}", self.key, self.message),
        }
    }
}

/// Every problem found in one load, in the order of the keys in `docs/configuration.md`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Problems(Vec<Problem>);

impl Problems {
    pub(crate) fn new(problems: Vec<Problem>) -> Self {
        Self(problems)
    }

    /// The problems, as a slice.
    pub fn as_slice(&self) -> &[Problem] {
        &self.0
    }

    /// Iterates over the problems.
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.0.iter()
    }

    /// Number of problems found.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false` for a report returned by the loader; present for completeness.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            1 => write!(f, "1 problem in the Okta settings:")?,
            n => write!(f, "{n} problems in the Okta settings:")?,
        }
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests;
