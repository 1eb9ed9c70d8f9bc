//! Building verifiers from `okta-config` settings, the way every service is configured: the one
//! mapping from settings to each options type of this crate.

// Every enum of the settings is matched in full here, never through a fallback arm.
#![warn(clippy::wildcard_enum_match_arm)]

use std::sync::Arc;

use okta_config::Settings;
use okta_http::{ClientCredentials, HttpClient};

use crate::error::ConfigError;
use crate::{
    AccessTokenOptions, AccessTokenVerifier, Clock, IdTokenOptions, IdTokenVerifier,
    IntrospectionOptions, IntrospectionVerifier, JwksCache, JwksCacheOptions,
};

impl JwksCacheOptions {
    /// The `jwks` settings: TTL bounds, the refetch cooldown and the refresh interval.
    pub fn from_settings(settings: &Settings) -> Self {
        let jwks = settings.jwks();
        Self {
            min_ttl: jwks.min_ttl(),
            max_ttl: jwks.max_ttl(),
            refetch_cooldown: jwks.refetch_cooldown(),
            refresh_interval: jwks.refresh_interval(),
            ..Self::default()
        }
    }
}

impl JwksCache {
    /// The key set at the issuer's conventional `/keys` endpoint, fetched through `http`, with
    /// the `jwks` settings and the system clock.
    pub fn from_settings(
        settings: &Settings,
        http: Arc<dyn HttpClient>,
    ) -> Result<Self, ConfigError> {
        Self::remote(
            settings.issuer().keys_url(),
            http,
            JwksCacheOptions::from_settings(settings),
            Clock::system(),
        )
    }
}

impl AccessTokenOptions {
    /// The resource-server settings: issuer, audiences, accepted client ids, required scopes,
    /// leeway and maximum token age; every other option keeps its default.
    pub fn from_settings(settings: &Settings) -> Self {
        let mut options =
            Self::new(settings.issuer().clone(), settings.audiences().iter().cloned());
        options.client_ids = settings.client_ids().to_vec();
        options.any_client = settings.any_client();
        options.required_scopes = settings.required_scopes().to_vec();
        options.leeway = settings.leeway();
        options.max_age = settings.max_token_age();
        options
    }
}

impl AccessTokenVerifier {
    /// A verifier with [`AccessTokenOptions::from_settings`] and `keys` (usually
    /// [`JwksCache::from_settings`], shared with the service's other verifiers).
    ///
    /// For an org authorization server every token is refused with
    /// [`VerifyError::OrgServerToken`](crate::VerifyError::OrgServerToken): use
    /// [`IntrospectionVerifier::from_settings`].
    pub fn from_settings(settings: &Settings, keys: JwksCache) -> Result<Self, ConfigError> {
        Self::new(AccessTokenOptions::from_settings(settings), keys)
    }
}

impl IdTokenOptions {
    /// The sign-in settings: issuer, client id and leeway.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let client = settings.client().ok_or(ConfigError::MissingClient { what: "client_id" })?;
        let mut options = Self::new(settings.issuer().clone(), client.id().clone());
        options.leeway = settings.leeway();
        Ok(options)
    }
}

impl IdTokenVerifier {
    /// A verifier with [`IdTokenOptions::from_settings`] and `keys`.
    pub fn from_settings(settings: &Settings, keys: JwksCache) -> Result<Self, ConfigError> {
        Self::new(IdTokenOptions::from_settings(settings)?, keys)
    }
}

impl IntrospectionOptions {
    /// The issuer's conventional `/introspect` endpoint, with the issuer, audiences, accepted
    /// client ids, required scopes and leeway of the settings.
    pub fn from_settings(settings: &Settings) -> Self {
        let mut options = Self::new(settings.issuer().introspect_url());
        options.issuer = Some(settings.issuer().clone());
        options.audiences = settings.audiences().to_vec();
        options.client_ids = settings.client_ids().to_vec();
        options.any_client = settings.any_client();
        options.required_scopes = settings.required_scopes().to_vec();
        options.leeway = settings.leeway();
        options
    }
}

impl IntrospectionVerifier {
    /// A verifier with [`IntrospectionOptions::from_settings`] and okta-http's
    /// [`ClientCredentials::from_settings`], sending requests through `http`.
    pub fn from_settings(
        settings: &Settings,
        http: Arc<dyn HttpClient>,
    ) -> Result<Self, ConfigError> {
        let credentials =
            ClientCredentials::from_settings(settings).map_err(ConfigError::ClientCredentials)?;
        Self::new(IntrospectionOptions::from_settings(settings), credentials, http)
    }
}

#[cfg(test)]
mod tests;
