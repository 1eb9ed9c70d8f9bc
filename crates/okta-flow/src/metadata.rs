//! OpenID Connect discovery: the issuer's metadata, fetched through the hardened transport,
//! parsed with `openidconnect`'s types, and checked before any authorization URL exists.

use std::fmt;
use std::time::Instant;

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, StatusCode};
use okta_config::Issuer;
use okta_http::{HttpClient, TransportError};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, ProviderMetadata};
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;
use url::Url;

/// The metadata fields Okta publishes beyond OpenID Connect Discovery 1.0.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct OktaMetadataFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) introspection_endpoint: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) revocation_endpoint: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end_session_endpoint: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) code_challenge_methods_supported: Option<Vec<String>>,
    /// RFC 8628 §4: where a device starts the device authorization grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) device_authorization_endpoint: Option<Url>,
    /// RFC 9207: the server puts `iss` in every authorization response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorization_response_iss_parameter_supported: Option<bool>,
}

impl AdditionalProviderMetadata for OktaMetadataFields {}

/// `openidconnect`'s provider metadata with Okta's extra fields.
pub(crate) type OktaProviderMetadata = ProviderMetadata<
    OktaMetadataFields,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// An issuer's checked metadata (`/.well-known/openid-configuration`).
///
/// Holding one means: the document's `issuer` equals the configured issuer byte for byte; the
/// authorization, token, keys, introspection and revocation endpoints exist, use `https` (or
/// `http` on loopback) and live on the issuer's host; and PKCE S256 is supported.
#[derive(Clone)]
pub struct Metadata {
    pub(crate) inner: OktaProviderMetadata,
    token_endpoint: Url,
    introspection_endpoint: Url,
    revocation_endpoint: Url,
}

impl Metadata {
    /// The issuer, exactly as the document states it.
    pub fn issuer(&self) -> &str {
        self.inner.issuer().as_str()
    }

    /// The `/authorize` endpoint.
    pub fn authorization_endpoint(&self) -> &Url {
        self.inner.authorization_endpoint().url()
    }

    /// The `/token` endpoint.
    pub fn token_endpoint(&self) -> &Url {
        &self.token_endpoint
    }

    /// The `/keys` endpoint (`jwks_uri`).
    pub fn jwks_uri(&self) -> &Url {
        self.inner.jwks_uri().url()
    }

    /// The `/userinfo` endpoint, if advertised.
    pub fn userinfo_endpoint(&self) -> Option<&Url> {
        self.inner.userinfo_endpoint().map(openidconnect::UserInfoUrl::url)
    }

    /// The `/introspect` endpoint.
    pub fn introspection_endpoint(&self) -> &Url {
        &self.introspection_endpoint
    }

    /// The `/revoke` endpoint.
    pub fn revocation_endpoint(&self) -> &Url {
        &self.revocation_endpoint
    }

    /// The `/logout` endpoint (`end_session_endpoint`), if advertised.
    pub fn end_session_endpoint(&self) -> Option<&Url> {
        self.fields().end_session_endpoint.as_ref()
    }

    /// The `/device/authorize` endpoint (`device_authorization_endpoint`, RFC 8628), if
    /// advertised.
    pub fn device_authorization_endpoint(&self) -> Option<&Url> {
        self.fields().device_authorization_endpoint.as_ref()
    }

    /// `token_endpoint_auth_methods_supported`, as advertised (empty if absent).
    pub fn token_endpoint_auth_methods(&self) -> Vec<String> {
        self.inner
            .token_endpoint_auth_methods_supported()
            .map(|methods| methods.iter().map(|method| method.as_ref().to_owned()).collect())
            .unwrap_or_default()
    }

    /// `scopes_supported`, as advertised (empty if absent).
    pub fn scopes_supported(&self) -> Vec<String> {
        self.inner
            .scopes_supported()
            .map(|scopes| scopes.iter().map(|scope| scope.as_str().to_owned()).collect())
            .unwrap_or_default()
    }

    /// `id_token_signing_alg_values_supported`, as advertised. Informational only: the
    /// verifier's allow-list never widens to what metadata says.
    pub fn id_token_signing_algs(&self) -> Vec<String> {
        self.inner
            .id_token_signing_alg_values_supported()
            .iter()
            .map(|alg| {
                serde_json::to_value(alg)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect()
    }

    /// `code_challenge_methods_supported`, as advertised (empty if absent).
    pub fn code_challenge_methods(&self) -> &[String] {
        self.fields().code_challenge_methods_supported.as_deref().unwrap_or_default()
    }

    /// Whether the server promises the RFC 9207 `iss` parameter in authorization responses.
    pub fn authorization_response_iss_parameter_supported(&self) -> bool {
        self.fields().authorization_response_iss_parameter_supported.unwrap_or(false)
    }

    pub(crate) fn fields(&self) -> &OktaMetadataFields {
        self.inner.additional_metadata()
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata")
            .field("issuer", &self.issuer())
            .field("authorization_endpoint", &self.authorization_endpoint().as_str())
            .field("token_endpoint", &self.token_endpoint().as_str())
            .field("jwks_uri", &self.jwks_uri().as_str())
            .finish_non_exhaustive()
    }
}

/// Why discovery failed. Until it succeeds, no authorization URL is ever produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The request failed on the way (connection, timeout, redirect, size cap, insecure URL).
    #[error("fetching the discovery document failed")]
    Transport(#[source] TransportError),
    /// The server answered with a status other than 200.
    #[error("the discovery document answered with status {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The document is not JSON metadata, or lacks a required member.
    #[error("the discovery document is invalid: {reason}")]
    Malformed {
        /// What was wrong (a content type, or the path of the offending member).
        reason: String,
    },
    /// The document's `issuer` is not the configured issuer (OpenID Connect Discovery §4.3): a
    /// misconfiguration or an impersonation attempt.
    #[error("the discovery document's issuer {found:?} is not the configured issuer {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// What the document says (escaped and truncated).
        found: String,
    },
    /// A required endpoint is missing from the metadata.
    #[error("the metadata has no {name}")]
    MissingEndpoint {
        /// The metadata member, such as `token_endpoint`.
        name: &'static str,
    },
    /// An endpoint uses plain `http` on a host that is not loopback, or lives on another host
    /// than the issuer (which could point our client at internal services).
    #[error("the metadata's {name} ({url}) must use https on the issuer's host")]
    UntrustedEndpoint {
        /// The metadata member.
        name: &'static str,
        /// The endpoint, without its query string.
        url: String,
    },
    /// The server supports neither the `code` response type nor PKCE with S256.
    #[error("the authorization server does not support {0}")]
    Unsupported(&'static str),
}

impl DiscoveryError {
    /// A stable `snake_case` name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Transport(_) => "transport",
            Self::Status { .. } => "status",
            Self::Malformed { .. } => "malformed_metadata",
            Self::IssuerMismatch { .. } => "discovery_issuer_mismatch",
            Self::MissingEndpoint { .. } => "missing_endpoint",
            Self::UntrustedEndpoint { .. } => "untrusted_endpoint",
            Self::Unsupported(_) => "unsupported",
        }
    }
}

/// Fetches and checks `{issuer}/.well-known/openid-configuration`.
pub async fn discover(issuer: &Issuer, http: &dyn HttpClient) -> Result<Metadata, DiscoveryError> {
    let started = Instant::now();
    let result = async {
        let request = Request::builder()
            .method(Method::GET)
            .uri(issuer.discovery_url().as_str())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .body(Vec::new())
            .map_err(|err| DiscoveryError::Malformed {
                reason: format!("cannot build the request: {err}"),
            })?;
        let response = http.execute(request).await.map_err(DiscoveryError::Transport)?;
        check(issuer, &response)
    }
    .instrument(tracing::info_span!("okta.discover", issuer = %issuer))
    .await;
    let elapsed_ms = started.elapsed().as_millis();
    match &result {
        Ok(_) => tracing::info!(issuer = %issuer, elapsed_ms, "discovery succeeded"),
        Err(err) => {
            tracing::warn!(issuer = %issuer, elapsed_ms, kind = err.kind(), error = err as &dyn std::error::Error, "discovery refused");
        }
    }
    result
}

pub(crate) fn check(
    issuer: &Issuer,
    response: &http::Response<Vec<u8>>,
) -> Result<Metadata, DiscoveryError> {
    if response.status() != StatusCode::OK {
        return Err(DiscoveryError::Status { status: response.status().as_u16() });
    }
    let content_type =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(DiscoveryError::Malformed {
            reason: format!("content type {:?}, expected application/json", truncate(content_type)),
        });
    }
    let inner: OktaProviderMetadata = serde_path_to_error::deserialize(
        &mut serde_json::Deserializer::from_slice(response.body()),
    )
    .map_err(|err| DiscoveryError::Malformed { reason: describe_json_error(&err) })?;

    if inner.issuer().as_str() != issuer.as_str() {
        return Err(DiscoveryError::IssuerMismatch {
            expected: issuer.as_str().to_owned(),
            found: truncate(inner.issuer().as_str()),
        });
    }
    let fields = inner.additional_metadata();
    let required = |name: &'static str, url: Option<&Url>| -> Result<Url, DiscoveryError> {
        let url = url.ok_or(DiscoveryError::MissingEndpoint { name })?;
        check_endpoint(issuer, name, url)?;
        Ok(url.clone())
    };
    required("authorization_endpoint", Some(inner.authorization_endpoint().url()))?;
    let token_endpoint =
        required("token_endpoint", inner.token_endpoint().map(openidconnect::TokenUrl::url))?;
    required("jwks_uri", Some(inner.jwks_uri().url()))?;
    let introspection_endpoint =
        required("introspection_endpoint", fields.introspection_endpoint.as_ref())?;
    let revocation_endpoint = required("revocation_endpoint", fields.revocation_endpoint.as_ref())?;
    let optional = [
        ("userinfo_endpoint", inner.userinfo_endpoint().map(openidconnect::UserInfoUrl::url)),
        ("end_session_endpoint", fields.end_session_endpoint.as_ref()),
        ("device_authorization_endpoint", fields.device_authorization_endpoint.as_ref()),
    ];
    for (name, url) in optional {
        if let Some(url) = url {
            check_endpoint(issuer, name, url)?;
        }
    }
    let metadata = Metadata { inner, token_endpoint, introspection_endpoint, revocation_endpoint };
    let fields = metadata.fields();
    let supports_code = metadata
        .inner
        .response_types_supported()
        .iter()
        .any(|types| types.len() == 1 && types.contains(&CoreResponseType::Code));
    if !supports_code {
        return Err(DiscoveryError::Unsupported("the `code` response type"));
    }
    if let Some(methods) = &fields.code_challenge_methods_supported
        && !methods.iter().any(|method| method == "S256")
    {
        return Err(DiscoveryError::Unsupported("PKCE with S256 (RFC 7636)"));
    }
    Ok(metadata)
}

/// An endpoint must be `https` (or `http` on loopback) on the issuer's own origin.
fn check_endpoint(issuer: &Issuer, name: &'static str, url: &Url) -> Result<(), DiscoveryError> {
    let trusted =
        okta_http::check_url(url, true).is_ok() && okta_http::same_origin(url, issuer.url());
    if trusted {
        Ok(())
    } else {
        Err(DiscoveryError::UntrustedEndpoint { name, url: okta_http::redacted_url(url) })
    }
}

/// The path and category of a JSON error, never serde's message (which can quote values).
pub(crate) fn describe_json_error(err: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let category = match err.inner().classify() {
        serde_json::error::Category::Io => "could not be read",
        serde_json::error::Category::Syntax => "is not valid JSON",
        serde_json::error::Category::Data => "has a member of the wrong type or is missing one",
        serde_json::error::Category::Eof => "ends too early",
    };
    let path = err.path().to_string();
    if path == "." {
        format!("the document {category}")
    } else {
        format!("the document {category} (at `{path}`)")
    }
}

/// At most 200 characters, escaped: for values echoed from a server.
pub(crate) fn truncate(text: &str) -> String {
    crate::text::untrusted(text, 200)
}

#[cfg(test)]
mod tests;
