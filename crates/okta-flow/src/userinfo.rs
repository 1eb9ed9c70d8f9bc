//! `/userinfo`: the user's claims, accepted only for the subject of the ID token.

use std::collections::HashMap;

use okta_http::TransportError;
use openidconnect::core::CoreGenderClaim;
use openidconnect::{AdditionalClaims, UserInfoError as OidcUserInfoError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every claim beyond the standard ones (`groups`, custom profile attributes), kept by
/// `openidconnect`'s parser.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct ExtraClaims(HashMap<String, Value>);

impl AdditionalClaims for ExtraClaims {}

/// `openidconnect`'s user info claims with every extra claim kept.
pub(crate) type UserInfoClaims = openidconnect::UserInfoClaims<ExtraClaims, CoreGenderClaim>;

/// The user's claims from `/userinfo`, whose `sub` matched the ID token's.
///
/// The standard claims a sign-in uses have accessors; every claim, standard or custom (such as
/// `groups`), is in [`to_json`](Self::to_json) and [`claim`](Self::claim).
#[derive(Clone, Debug)]
pub struct UserInfo {
    claims: UserInfoClaims,
    json: serde_json::Map<String, Value>,
}

impl UserInfo {
    pub(crate) fn new(claims: UserInfoClaims) -> Self {
        let json = match serde_json::to_value(&claims) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        Self { claims, json }
    }

    /// `sub`.
    pub fn subject(&self) -> &str {
        self.claims.subject().as_str()
    }

    /// `email`, with the `email` scope.
    pub fn email(&self) -> Option<&str> {
        self.claims.email().map(|email| email.as_str())
    }

    /// `name` (default language), with the `profile` scope.
    pub fn name(&self) -> Option<&str> {
        self.claims.name().and_then(|name| name.get(None)).map(|name| name.as_str())
    }

    /// `preferred_username` (the Okta login), with the `profile` scope.
    pub fn preferred_username(&self) -> Option<&str> {
        self.claims.preferred_username().map(|name| name.as_str())
    }

    /// `given_name` (default language), with the `profile` scope.
    pub fn given_name(&self) -> Option<&str> {
        self.claims.given_name().and_then(|name| name.get(None)).map(|name| name.as_str())
    }

    /// `family_name` (default language), with the `profile` scope.
    pub fn family_name(&self) -> Option<&str> {
        self.claims.family_name().and_then(|name| name.get(None)).map(|name| name.as_str())
    }

    /// `email_verified`, with the `email` scope.
    pub fn email_verified(&self) -> Option<bool> {
        self.claims.email_verified()
    }

    /// `locale`, with the `profile` scope.
    pub fn locale(&self) -> Option<&str> {
        self.claims.locale().map(|locale| locale.as_str())
    }

    /// `zoneinfo` (a time zone such as `America/Los_Angeles`), with the `profile` scope.
    pub fn zoneinfo(&self) -> Option<&str> {
        self.claims.zoneinfo().map(|zone| zone.as_str())
    }

    /// Any claim by name, as JSON: a custom profile attribute, or `groups` with the `groups`
    /// scope.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.json.get(name)
    }

    /// Every claim as JSON.
    pub fn to_json(&self) -> &serde_json::Map<String, Value> {
        &self.json
    }
}

/// Why `/userinfo` was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserInfoError {
    /// The answer is not JSON user info.
    #[error("the userinfo response is malformed")]
    MalformedResponse,
    /// The metadata advertises no `userinfo_endpoint`.
    #[error("the authorization server advertises no userinfo_endpoint")]
    NotSupported,
    /// The server refused the access token (401 `invalid_token`, 403 `insufficient_scope`).
    #[error("Okta refused the userinfo request (HTTP {status})")]
    Rejected {
        /// The HTTP status.
        status: u16,
    },
    /// The answer's `sub` is not the ID token's: its values were dropped (OpenID Connect Core
    /// §5.3.2).
    #[error("the userinfo sub does not match the ID token's sub")]
    SubjectMismatch,
    /// The request never got a usable response.
    #[error("the userinfo request failed")]
    Transport(#[source] TransportError),
}

impl UserInfoError {
    /// A stable `snake_case` name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MalformedResponse => "malformed_response",
            Self::NotSupported => "not_supported",
            Self::Rejected { .. } => "rejected",
            Self::SubjectMismatch => "subject_mismatch",
            Self::Transport(_) => "transport",
        }
    }

    pub(crate) fn from_request(
        err: OidcUserInfoError<TransportError>,
        status: Option<u16>,
    ) -> Self {
        match err {
            OidcUserInfoError::ClaimsVerification(_) => Self::SubjectMismatch,
            OidcUserInfoError::Request(err) => Self::Transport(err),
            OidcUserInfoError::Response(status, _, _) => Self::Rejected { status: status.as_u16() },
            OidcUserInfoError::Parse(_) | OidcUserInfoError::Other(_) => match status {
                Some(status) if status != 200 => Self::Rejected { status },
                _ => Self::MalformedResponse,
            },
            _ => Self::MalformedResponse,
        }
    }
}

#[cfg(test)]
mod tests;
