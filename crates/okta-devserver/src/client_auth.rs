//! Client authentication at `/token`, `/introspect` and `/revoke`: exactly one method per
//! request (Basic credentials form-decoded per RFC 6749 §2.3.1, a secret in the body, a JWT
//! client assertion, or a public client's bare `client_id`), the method the client is
//! registered for, failures mapped to fixed bodies.
//!
//! Each method is one arm of [`Presented::authenticate`]; a leniency Okta shows for one method
//! belongs in that arm.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, header};
use serde::Serialize;

use crate::client_assertion::{
    self, Assertion, AssertionFailure, Expectations, JWT_BEARER, JtiCache,
};
use crate::config::{Client, ClientAuthMethod};
use crate::crypto::secrets_equal;
use crate::error::OAuthError;
use crate::form::{Params, form_decode, require_form};

/// The client authentication a request presented, as recorded in
/// [`RecordedRequest::client_auth`](crate::RecordedRequest::client_auth). Secrets are never
/// kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientAuthentication {
    /// No credentials and no `client_id`.
    None,
    /// Only `client_id` in the body (a public client).
    ClientIdOnly {
        /// The `client_id` parameter.
        client_id: String,
    },
    /// `Authorization: Basic`, with the id after form-decoding.
    ClientSecretBasic {
        /// The decoded client id.
        client_id: String,
    },
    /// `client_id` and `client_secret` in the body.
    ClientSecretPost {
        /// The `client_id` parameter.
        client_id: String,
    },
    /// A `client_assertion` that does not read as a JWT with a usable `alg` (the request is
    /// refused).
    ClientAssertion,
    /// A `client_assertion` signed with an HMAC (`client_secret_jwt`), with the `iss` it
    /// claims (not yet verified when recorded).
    ClientSecretJwt {
        /// The assertion's `iss`.
        client_id: String,
    },
    /// A `client_assertion` signed with a private key (`private_key_jwt`), with the `iss` it
    /// claims (not yet verified when recorded).
    PrivateKeyJwt {
        /// The assertion's `iss`.
        client_id: String,
    },
    /// An `Authorization: Basic` header that does not decode.
    MalformedBasic,
    /// More than one method at once (for example Basic and `client_secret`).
    Several,
}

impl ClientAuthentication {
    /// The client the request names (for an assertion, the `iss` it claims), if any.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::ClientIdOnly { client_id }
            | Self::ClientSecretBasic { client_id }
            | Self::ClientSecretPost { client_id }
            | Self::ClientSecretJwt { client_id }
            | Self::PrivateKeyJwt { client_id } => Some(client_id),
            Self::None | Self::ClientAssertion | Self::MalformedBasic | Self::Several => None,
        }
    }
}

/// Where client authentication looks up clients.
pub(crate) trait ClientDirectory {
    /// The registered client with this id.
    fn client(&self, id: &str) -> Option<Client>;
}

impl<F: Fn(&str) -> Option<Client>> ClientDirectory for F {
    fn client(&self, id: &str) -> Option<Client> {
        self(id)
    }
}

/// What authenticating a request needs besides the request: the clients, the exact URL of the
/// endpoint called (the `aud` of assertions), the time and the used assertion `jti`s.
pub(crate) struct AuthContext<'a> {
    pub(crate) clients: &'a dyn ClientDirectory,
    pub(crate) endpoint_url: String,
    pub(crate) now: u64,
    pub(crate) jtis: &'a JtiCache,
}

/// Credentials as presented: the secret-free [`ClientAuthentication`] that the request record
/// keeps, plus what checking them needs (the secret never leaves this module's callers).
pub(crate) struct Presented {
    method: ClientAuthentication,
    /// The secret of [`ClientAuthentication::ClientSecretBasic`] and
    /// [`ClientAuthentication::ClientSecretPost`]; `None` for the other methods.
    secret: Option<String>,
    /// With Basic: the `client_id` of the body, which must then name the same client.
    body_client_id: Option<String>,
    /// With an assertion: `client_assertion_type` and `client_assertion` as sent.
    assertion: Option<(Option<String>, Option<String>)>,
}

impl Presented {
    /// Reads the credentials of a request.
    pub(crate) fn from_request(headers: &HeaderMap, form: &Params) -> Self {
        let basic = basic_header(headers);
        let secret = form.get("client_secret").filter(|secret| !secret.is_empty());
        let assertion_type = form.get("client_assertion_type").filter(|value| !value.is_empty());
        let assertion_jwt = form.get("client_assertion").filter(|value| !value.is_empty());
        let assertion = assertion_type.is_some() || assertion_jwt.is_some();
        let client_id = form.get("client_id").filter(|id| !id.is_empty()).map(str::to_owned);
        let has_basic = !matches!(basic, BasicHeader::Absent);
        // Okta refuses a `client_id` next to an assertion as a second credential (Spring
        // Security issue 11298), while it takes one that repeats the Basic client id.
        let n_methods = usize::from(has_basic)
            + usize::from(secret.is_some())
            + usize::from(assertion)
            + usize::from(assertion && client_id.is_some());
        let without_secret =
            |method| Self { method, secret: None, body_client_id: None, assertion: None };
        if n_methods > 1 {
            return without_secret(ClientAuthentication::Several);
        }
        match (basic, secret) {
            (BasicHeader::Credentials(id, secret), _) => Self {
                method: ClientAuthentication::ClientSecretBasic { client_id: id },
                secret: Some(secret),
                body_client_id: client_id,
                assertion: None,
            },
            (BasicHeader::Malformed, _) => without_secret(ClientAuthentication::MalformedBasic),
            (BasicHeader::Absent, Some(secret)) => match client_id {
                Some(id) => Self {
                    method: ClientAuthentication::ClientSecretPost { client_id: id },
                    secret: Some(secret.to_owned()),
                    body_client_id: None,
                    assertion: None,
                },
                None => without_secret(ClientAuthentication::None),
            },
            (BasicHeader::Absent, None) if assertion => Self {
                method: assertion_summary(assertion_jwt),
                assertion: Some((
                    assertion_type.map(str::to_owned),
                    assertion_jwt.map(str::to_owned),
                )),
                ..without_secret(ClientAuthentication::ClientAssertion)
            },
            (BasicHeader::Absent, None) => {
                without_secret(client_id.map_or(ClientAuthentication::None, |id| {
                    ClientAuthentication::ClientIdOnly { client_id: id }
                }))
            }
        }
    }

    /// The secret-free summary for the request record.
    pub(crate) fn summary(&self) -> ClientAuthentication {
        self.method.clone()
    }

    /// Checks the credentials against the registered client.
    pub(crate) fn authenticate(&self, context: &AuthContext<'_>) -> Result<Client, AuthFailure> {
        if let Some((assertion_type, jwt)) = &self.assertion {
            return authenticate_assertion(assertion_type.as_deref(), jwt.as_deref(), context);
        }
        let lookup = |id: &str| context.clients.client(id);
        let (id, used) = match &self.method {
            ClientAuthentication::None => return Err(AuthFailure::NoCredentials),
            ClientAuthentication::MalformedBasic => return Err(AuthFailure::MalformedBasic),
            ClientAuthentication::Several => return Err(AuthFailure::SeveralMethods),
            ClientAuthentication::ClientAssertion
            | ClientAuthentication::ClientSecretJwt { .. }
            | ClientAuthentication::PrivateKeyJwt { .. } => {
                return Err(AuthFailure::Assertion(AssertionFailure::Malformed));
            }
            ClientAuthentication::ClientSecretBasic { client_id } => {
                if self.body_client_id.as_ref().is_some_and(|body_id| body_id != client_id) {
                    return Err(AuthFailure::ClientIdMismatch);
                }
                (client_id, ClientAuthMethod::ClientSecretBasic)
            }
            ClientAuthentication::ClientSecretPost { client_id } => {
                (client_id, ClientAuthMethod::ClientSecretPost)
            }
            ClientAuthentication::ClientIdOnly { client_id } => (client_id, ClientAuthMethod::None),
        };
        let basic = used == ClientAuthMethod::ClientSecretBasic;
        let client = lookup(id).ok_or(AuthFailure::UnknownClient { basic })?;
        if client.auth_method() != used {
            return Err(match used {
                ClientAuthMethod::None => AuthFailure::NoCredentials,
                _ => AuthFailure::MethodNotAllowed { basic },
            });
        }
        if used == ClientAuthMethod::None {
            return Ok(client);
        }
        match (self.secret.as_deref(), client.secret()) {
            (Some(given), Some(expected)) if secrets_equal(given, expected) => Ok(client),
            _ => Err(AuthFailure::WrongSecret { basic }),
        }
    }
}

/// Checks a client assertion: its type, that it reads, the client it names, that the client
/// is registered for the method its algorithm implies, then the assertion itself.
fn authenticate_assertion(
    assertion_type: Option<&str>,
    jwt: Option<&str>,
    context: &AuthContext<'_>,
) -> Result<Client, AuthFailure> {
    if assertion_type != Some(JWT_BEARER) {
        return Err(AuthFailure::AssertionType);
    }
    let jwt = jwt.ok_or(AuthFailure::AssertionMissing)?;
    let assertion =
        Assertion::read(jwt).ok_or(AuthFailure::Assertion(AssertionFailure::Malformed))?;
    let method = assertion.method().ok_or(AuthFailure::Assertion(AssertionFailure::Algorithm))?;
    let client_id = assertion.client_id().map_err(AuthFailure::Assertion)?;
    let client = context
        .clients
        .client(client_id)
        .ok_or(AuthFailure::Assertion(AssertionFailure::Client))?;
    if client.auth_method() != method {
        tracing::info!(
            client_id,
            registered = client.auth_method().as_str(),
            presented = method.as_str(),
            "client assertion of a method the client is not registered for"
        );
        return Err(AuthFailure::Assertion(AssertionFailure::Client));
    }
    let expect =
        Expectations { endpoint_url: &context.endpoint_url, now: context.now, jtis: context.jtis };
    client_assertion::verify(&assertion, &client, &expect).map_err(AuthFailure::Assertion)?;
    Ok(client)
}

/// The record's summary of an assertion, read without verifying it.
fn assertion_summary(jwt: Option<&str>) -> ClientAuthentication {
    let Some(assertion) = jwt.and_then(Assertion::read) else {
        return ClientAuthentication::ClientAssertion;
    };
    let client_id = assertion.issuer().unwrap_or_default().to_owned();
    match assertion.method() {
        Some(ClientAuthMethod::ClientSecretJwt) => {
            ClientAuthentication::ClientSecretJwt { client_id }
        }
        Some(_) => ClientAuthentication::PrivateKeyJwt { client_id },
        None => ClientAuthentication::ClientAssertion,
    }
}

/// Why client authentication failed; each maps to one fixed Okta-shaped response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// A client assertion that Okta's checks refuse.
    Assertion(AssertionFailure),
    /// `client_assertion_type` without `client_assertion`.
    AssertionMissing,
    /// A `client_assertion_type` other than `jwt-bearer` (or none with an assertion).
    AssertionType,
    /// Basic and body disagree on the client id.
    ClientIdMismatch,
    /// The `Authorization: Basic` header does not decode.
    MalformedBasic,
    /// The client is registered with another method.
    MethodNotAllowed { basic: bool },
    /// No credentials at all (or only a client id for a confidential client).
    NoCredentials,
    /// More than one method in one request.
    SeveralMethods,
    /// No such client.
    UnknownClient { basic: bool },
    /// The secret does not match.
    WrongSecret { basic: bool },
}

impl From<AuthFailure> for OAuthError {
    fn from(failure: AuthFailure) -> Self {
        const GENERIC: &str = "Client authentication failed. Either the client or the client credentials are invalid.";
        let (error, basic) = match failure {
            AuthFailure::MalformedBasic => {
                return OAuthError::invalid_request(
                    "The client authentication header is malformed.",
                );
            }
            AuthFailure::SeveralMethods => {
                return OAuthError::invalid_request(
                    "Cannot supply multiple client credentials. Use one of the following: \
                     credentials in the Authorization header, credentials in the post body, or a \
                     client_assertion in the post body.",
                );
            }
            AuthFailure::AssertionType => {
                return OAuthError::invalid_request("The client_assertion_type is invalid.");
            }
            AuthFailure::AssertionMissing => {
                return OAuthError::invalid_request(
                    "The 'client_assertion' parameter is required with 'client_assertion_type'.",
                );
            }
            AuthFailure::NoCredentials => {
                (OAuthError::invalid_client("No client credentials found."), false)
            }
            // Okta sends `WWW-Authenticate` with every invalid_client since 2017.
            AuthFailure::Assertion(failure) => {
                (OAuthError::invalid_client(failure.description()), true)
            }
            AuthFailure::ClientIdMismatch => (OAuthError::invalid_client(GENERIC), true),
            AuthFailure::UnknownClient { basic } | AuthFailure::MethodNotAllowed { basic } => {
                (OAuthError::invalid_client(GENERIC), basic)
            }
            AuthFailure::WrongSecret { basic } => (
                OAuthError::invalid_client(
                    "The client secret supplied for a confidential client is invalid.",
                ),
                basic,
            ),
        };
        if basic { error.with_basic_challenge() } else { error }
    }
}

/// What the `Authorization` header says about Basic credentials.
enum BasicHeader {
    /// No Basic header (none at all, or another scheme).
    Absent,
    /// A Basic header that does not decode, or several `Authorization` headers.
    Malformed,
    /// The decoded client id and secret.
    Credentials(String, String),
}

fn basic_header(headers: &HeaderMap) -> BasicHeader {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next().and_then(|value| value.to_str().ok()) else {
        return BasicHeader::Absent;
    };
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return BasicHeader::Absent;
    }
    if values.next().is_some() {
        return BasicHeader::Malformed;
    }
    match decode_basic(credentials.trim()) {
        Some((id, secret)) => BasicHeader::Credentials(id, secret),
        None => BasicHeader::Malformed,
    }
}

fn decode_basic(credentials: &str) -> Option<(String, String)> {
    let decoded = STANDARD.decode(credentials).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = form_decode(id)?;
    let secret = form_decode(secret)?;
    (!id.is_empty()).then_some((id, secret))
}

/// Reads a client-authenticated form POST (`/token`, `/introspect`, `/revoke`): a form body, no
/// parameter given twice, then exactly one client authentication method that succeeds.
pub(crate) fn authenticated_form(
    headers: &HeaderMap,
    body: &[u8],
    context: &AuthContext<'_>,
) -> Result<(Client, Params), OAuthError> {
    require_form(headers)?;
    let form = Params::parse(body);
    if let Some(name) = form.first_duplicate() {
        return Err(OAuthError::invalid_request(format!(
            "The '{name}' parameter was provided more than once."
        )));
    }
    let presented = Presented::from_request(headers, &form);
    let client = presented.authenticate(context).map_err(|failure| {
        tracing::info!(?failure, endpoint = %context.endpoint_url, "client authentication failed");
        OAuthError::from(failure)
    })?;
    Ok((client, form))
}

#[cfg(test)]
mod tests;
