//! Client authentication at `/token`, `/introspect` and `/revoke`: exactly one method per
//! request (Basic credentials, a secret in the body, a JWT client assertion, or a public
//! client's bare `client_id`), a method the client may use, failures mapped to fixed bodies.
//!
//! Okta's leniencies, each in its arm of [`Presented::authenticate`] (sources in
//! `docs/devserver.md`, "Fidelity"): a client registered for either secret method may use the
//! other; Basic credentials count whether they were form-encoded first (RFC 6749 §2.3.1) or
//! sent raw; a public client may name itself in `Authorization: Basic base64(client_id)` at
//! `/introspect` and `/revoke`.

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
    /// `Authorization: Basic base64(client_id)`, without a colon or secret: how Okta's
    /// JavaScript SDK names a public client at `/introspect` and `/revoke`.
    ClientIdBasic {
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
            | Self::ClientIdBasic { client_id }
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
/// endpoint called (the `aud` of assertions), whether a public client may name itself in a
/// Basic header there, the time and the used assertion `jti`s.
pub(crate) struct AuthContext<'a> {
    pub(crate) clients: &'a dyn ClientDirectory,
    pub(crate) endpoint_url: String,
    /// Whether [`ClientAuthentication::ClientIdBasic`] authenticates a public client here
    /// (`/introspect` and `/revoke`, where Okta's JavaScript SDK sends it; not `/token`).
    pub(crate) client_id_basic: bool,
    pub(crate) now: u64,
    pub(crate) jtis: &'a JtiCache,
}

/// Credentials as presented: the secret-free [`ClientAuthentication`] that the request record
/// keeps, plus what checking them needs (the secret never leaves this module's callers).
pub(crate) struct Presented {
    method: ClientAuthentication,
    /// The secret of [`ClientAuthentication::ClientSecretBasic`] and
    /// [`ClientAuthentication::ClientSecretPost`]; `None` for the other methods.
    secret: Option<PresentedSecret>,
    /// With Basic: the client id as sent, when it differs from its form-decoded reading (a
    /// raw `+` or `%`); tried when no client has the decoded id.
    raw_client_id: Option<String>,
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
        let without_secret = |method| Self {
            method,
            secret: None,
            raw_client_id: None,
            body_client_id: None,
            assertion: None,
        };
        if n_methods > 1 {
            return without_secret(ClientAuthentication::Several);
        }
        match (basic, secret) {
            (BasicHeader::Credentials(credentials), _) => {
                let BasicCredentials { id, raw_id, secret } = credentials;
                let method = match secret {
                    Some(_) => ClientAuthentication::ClientSecretBasic { client_id: id },
                    None => ClientAuthentication::ClientIdBasic { client_id: id },
                };
                Self {
                    method,
                    secret,
                    raw_client_id: raw_id,
                    body_client_id: client_id,
                    assertion: None,
                }
            }
            (BasicHeader::Malformed, _) => without_secret(ClientAuthentication::MalformedBasic),
            (BasicHeader::Absent, Some(secret)) => match client_id {
                Some(id) => Self {
                    method: ClientAuthentication::ClientSecretPost { client_id: id },
                    secret: Some(PresentedSecret { raw: secret.to_owned(), decoded: None }),
                    ..without_secret(ClientAuthentication::None)
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
        match &self.method {
            ClientAuthentication::None => Err(AuthFailure::NoCredentials),
            ClientAuthentication::MalformedBasic => Err(AuthFailure::MalformedBasic),
            ClientAuthentication::Several => Err(AuthFailure::SeveralMethods),
            ClientAuthentication::ClientAssertion
            | ClientAuthentication::ClientSecretJwt { .. }
            | ClientAuthentication::PrivateKeyJwt { .. } => {
                Err(AuthFailure::Assertion(AssertionFailure::Malformed))
            }
            ClientAuthentication::ClientSecretBasic { client_id } => {
                let client = self.basic_client(client_id, context)?;
                self.check_secret(client, true)
            }
            ClientAuthentication::ClientSecretPost { client_id } => {
                let client = context
                    .clients
                    .client(client_id)
                    .ok_or(AuthFailure::UnknownClient { basic: false })?;
                self.check_secret(client, false)
            }
            ClientAuthentication::ClientIdBasic { client_id } => {
                if !context.client_id_basic {
                    return Err(AuthFailure::MalformedBasic);
                }
                let client = self.basic_client(client_id, context)?;
                match client.auth_method() {
                    ClientAuthMethod::None => Ok(client),
                    _ => Err(AuthFailure::NoSecret),
                }
            }
            ClientAuthentication::ClientIdOnly { client_id } => {
                let client = context
                    .clients
                    .client(client_id)
                    .ok_or(AuthFailure::UnknownClient { basic: false })?;
                match client.auth_method() {
                    ClientAuthMethod::None => Ok(client),
                    _ => Err(AuthFailure::NoCredentials),
                }
            }
        }
    }

    /// The client a Basic header names: by its form-decoded id, else by the id as sent; a
    /// `client_id` in the body must name the same client.
    fn basic_client(&self, id: &str, context: &AuthContext<'_>) -> Result<Client, AuthFailure> {
        let client = context
            .clients
            .client(id)
            .or_else(|| self.raw_client_id.as_deref().and_then(|raw| context.clients.client(raw)))
            .ok_or(AuthFailure::UnknownClient { basic: true })?;
        if self.body_client_id.as_ref().is_some_and(|body_id| body_id != client.id()) {
            return Err(AuthFailure::ClientIdMismatch);
        }
        Ok(client)
    }

    /// A secret sent by Basic or in the body authenticates a client registered for either
    /// secret method (Okta's JavaScript SDK exchanges with one and revokes with the other); a
    /// public client or one registered for a JWT method is refused.
    fn check_secret(&self, client: Client, basic: bool) -> Result<Client, AuthFailure> {
        match client.auth_method() {
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost => {}
            registered => {
                tracing::info!(
                    client_id = client.id(),
                    registered = registered.as_str(),
                    "client secret from a client registered for another method"
                );
                return Err(AuthFailure::MethodNotAllowed { basic });
            }
        }
        match (&self.secret, client.secret()) {
            (Some(given), Some(expected)) if given.matches(expected) => Ok(client),
            _ => Err(AuthFailure::WrongSecret { basic }),
        }
    }
}

/// A client secret as presented. From a Basic header it has two readings: form-decoded (RFC
/// 6749 §2.3.1, what `openid-client`, Authlib and okta-flow send) and as sent (`curl -u`, most
/// HTTP libraries, Okta's JavaScript SDK). Either may match.
struct PresentedSecret {
    /// The secret as sent.
    raw: String,
    /// The form-decoded reading, when it decodes and differs from `raw`.
    decoded: Option<String>,
}

impl PresentedSecret {
    /// Compares both readings with `expected`, each in constant time, and both always: how
    /// long it takes does not say which one matched.
    fn matches(&self, expected: &str) -> bool {
        let raw = secrets_equal(&self.raw, expected);
        let decoded = match &self.decoded {
            Some(decoded) => secrets_equal(decoded, expected),
            None => false,
        };
        raw | decoded
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
    /// `Authorization: Basic base64(client_id)` from a confidential client.
    NoSecret,
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
            AuthFailure::NoSecret => {
                (OAuthError::invalid_client("No client credentials found."), true)
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
    /// The client id and, after a colon, the secret.
    Credentials(BasicCredentials),
}

/// What a Basic header holds.
struct BasicCredentials {
    /// The client id, form-decoded (as sent when it does not decode).
    id: String,
    /// The client id as sent, when it differs from `id`.
    raw_id: Option<String>,
    /// The secret; `None` for `base64(client_id)` without a colon.
    secret: Option<PresentedSecret>,
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
    decode_basic(credentials.trim()).map_or(BasicHeader::Malformed, BasicHeader::Credentials)
}

/// Reads `base64(id:secret)` or `base64(id)`. Each part is kept as sent and, where it
/// form-decodes to something else, also decoded: RFC 6749 §2.3.1 asks clients to form-encode
/// first, and many do not.
fn decode_basic(credentials: &str) -> Option<BasicCredentials> {
    let decoded = STANDARD.decode(credentials).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = match decoded.split_once(':') {
        Some((id, secret)) => (id, Some(secret)),
        None => (decoded.as_str(), None),
    };
    let readings = |raw: &str| {
        let decoded = form_decode(raw).filter(|decoded| decoded != raw);
        (raw.to_owned(), decoded)
    };
    let (raw_id, decoded_id) = readings(id);
    let (id, raw_id) = match decoded_id {
        Some(decoded) => (decoded, Some(raw_id)),
        None => (raw_id, None),
    };
    if id.is_empty() {
        return None;
    }
    let secret = secret.map(|secret| {
        let (raw, decoded) = readings(secret);
        PresentedSecret { raw, decoded }
    });
    Some(BasicCredentials { id, raw_id, secret })
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
