//! The token handed out: a secret with its expiry and scopes.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// An access token for the service's own identity. `Debug` never shows the token; there is no
/// `Display` and no `PartialEq`.
#[derive(Clone)]
pub struct ServiceToken {
    secret: Arc<str>,
    expires_at: SystemTime,
    scopes: Arc<[String]>,
}

impl ServiceToken {
    pub(crate) fn new(secret: String, expires_at: SystemTime, scopes: Vec<String>) -> Self {
        Self { secret: secret.into(), expires_at, scopes: scopes.into() }
    }

    /// The token, for an `Authorization: Bearer` header. Call this only to send it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When the token expires (the time of the request plus Okta's `expires_in`).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The scopes Okta granted (its `scope` field; the requested ones when it sent none).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
}

impl fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceToken")
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}
