//! Authenticated requests to Okta's OAuth endpoints: the client's credentials, and the one place
//! that puts them on a request to `/token`, `/introspect` or `/revoke`.
//!
//! Client authentication is not verification, so it lives here, below okta-verify: okta-verify
//! (introspection), okta-flow (revocation) and service-to-service code share it. The method is
//! okta-config's [`ClientAuthMethod`], the one the settings produce.

// Every client authentication method must be handled here, never by a fallback arm.
#![warn(clippy::wildcard_enum_match_arm)]

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{Method, Request, header};
use okta_config::{ClientAuthMethod, ClientId, ClientSecret, Settings};
use url::Url;
use url::form_urlencoded;

/// A client's id and what proves it to Okta's OAuth endpoints, for one
/// [authentication method](ClientAuthMethod).
///
/// Build it with [`ClientCredentials::from_settings`], or with the constructor of a method.
/// `Debug` never shows the secret, and there is no `PartialEq`: secrets are not compared.
#[derive(Clone)]
pub struct ClientCredentials {
    client_id: ClientId,
    proof: Proof,
}

/// What authenticates the client, per method. Private, so that methods that prove the client
/// otherwise (a signed assertion, or nothing for a public client) can be added with their own
/// constructors without changing this type's API.
#[derive(Clone)]
enum Proof {
    /// `client_secret_basic`.
    BasicSecret(ClientSecret),
    /// `client_secret_post`.
    PostSecret(ClientSecret),
}

/// Why client credentials could not be built, or applied to a request.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientAuthError {
    /// The settings describe no OAuth client (`client_id` is not set).
    #[error("no client_id is configured")]
    MissingClientId,
    /// The settings' authentication method needs a client secret and none is configured.
    #[error("client_auth_method {method} needs a client_secret, and none is configured")]
    MissingClientSecret {
        /// The configured method.
        method: ClientAuthMethod,
    },
    /// The endpoint URL cannot be the target of an HTTP request.
    #[error("cannot build the request to the endpoint")]
    Request(#[source] Arc<http::Error>),
}

impl ClientCredentials {
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1), Okta's default.
    pub fn client_secret_basic(client_id: ClientId, secret: ClientSecret) -> Self {
        Self { client_id, proof: Proof::BasicSecret(secret) }
    }

    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    pub fn client_secret_post(client_id: ClientId, secret: ClientSecret) -> Self {
        Self { client_id, proof: Proof::PostSecret(secret) }
    }

    /// The client of the settings: `client_id`, `client_auth_method` and what that method needs
    /// (`client_secret` for the secret methods).
    pub fn from_settings(settings: &Settings) -> Result<Self, ClientAuthError> {
        let client = settings.client().ok_or(ClientAuthError::MissingClientId)?;
        let method = client.auth_method();
        let secret =
            || client.secret().cloned().ok_or(ClientAuthError::MissingClientSecret { method });
        let id = client.id().clone();
        Ok(match method {
            ClientAuthMethod::ClientSecretBasic => Self::client_secret_basic(id, secret()?),
            ClientAuthMethod::ClientSecretPost => Self::client_secret_post(id, secret()?),
        })
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The authentication method.
    pub fn method(&self) -> ClientAuthMethod {
        match self.proof {
            Proof::BasicSecret(_) => ClientAuthMethod::ClientSecretBasic,
            Proof::PostSecret(_) => ClientAuthMethod::ClientSecretPost,
        }
    }

    /// The client secret, for the methods that send one; `None` for the others.
    pub fn client_secret(&self) -> Option<&ClientSecret> {
        match &self.proof {
            Proof::BasicSecret(secret) | Proof::PostSecret(secret) => Some(secret),
        }
    }

    /// A form `POST` of `params` to `url`, authenticated with these credentials: for
    /// `client_secret_basic`, an `Authorization: Basic` header with the form-urlencoded id and
    /// secret; for `client_secret_post`, `client_id` and `client_secret` appended to the body.
    /// Never both. `Accept: application/json`, as Okta's endpoints answer.
    pub fn form_request(
        &self,
        url: &Url,
        params: &[(&str, &str)],
    ) -> Result<Request<Vec<u8>>, ClientAuthError> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(params);
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(url.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        match &self.proof {
            Proof::BasicSecret(secret) => {
                let encode = |value: &str| {
                    form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
                };
                let pair =
                    format!("{}:{}", encode(self.client_id.as_str()), encode(secret.secret()));
                builder = builder
                    .header(header::AUTHORIZATION, format!("Basic {}", STANDARD.encode(pair)));
            }
            Proof::PostSecret(secret) => {
                form.append_pair("client_id", self.client_id.as_str())
                    .append_pair("client_secret", secret.secret());
            }
        }
        builder
            .body(form.finish().into_bytes())
            .map_err(|err| ClientAuthError::Request(Arc::new(err)))
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("method", &self.method())
            .field("secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
