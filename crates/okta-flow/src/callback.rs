//! The redirect back from `/authorize`: a strict parse of its query, then the checks in the
//! order RFC 9700 and RFC 9207 ask for (`state` first, in constant time, then `iss`).

use std::fmt;

use subtle::ConstantTimeEq as _;

use crate::{AuthorizationCode, PendingLogin};

/// The largest callback query accepted; anything longer is an attack or a bug.
pub const MAX_QUERY_LEN: usize = 16 * 1024;
/// The largest authorization code accepted (Okta's are 43 characters).
pub const MAX_CODE_LEN: usize = 4096;
/// `error_description` is kept to this many characters, after escaping.
pub const MAX_DESCRIPTION_LEN: usize = 256;

/// What the authorization server said in an error redirect (RFC 6749 §4.1.2.1, OpenID Connect
/// Core §3.1.2.6, and the codes Okta documents).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorizationErrorCode {
    /// The user or the server denied the request (for example, consent refused).
    AccessDenied,
    /// Consent is needed but `prompt=none` was requested.
    ConsentRequired,
    /// The user is not assigned to the application, or the client is unknown.
    InvalidClient,
    /// The request is malformed.
    InvalidRequest,
    /// A requested scope is unknown or not allowed.
    InvalidScope,
    /// User interaction is needed but `prompt=none` was requested.
    InteractionRequired,
    /// The user must sign in but `prompt=none` was requested.
    LoginRequired,
    /// The server failed.
    ServerError,
    /// The server is overloaded or down for maintenance.
    TemporarilyUnavailable,
    /// The client may not use this grant.
    UnauthorizedClient,
    /// The `response_mode` is not supported.
    UnsupportedResponseMode,
    /// The `response_type` is not supported.
    UnsupportedResponseType,
    /// Any other code, kept as sent (sanitised).
    Other(String),
}

impl AuthorizationErrorCode {
    fn parse(code: &str) -> Self {
        match code {
            "access_denied" => Self::AccessDenied,
            "consent_required" => Self::ConsentRequired,
            "invalid_client" => Self::InvalidClient,
            "invalid_request" => Self::InvalidRequest,
            "invalid_scope" => Self::InvalidScope,
            "interaction_required" => Self::InteractionRequired,
            "login_required" => Self::LoginRequired,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_response_mode" => Self::UnsupportedResponseMode,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            other => Self::Other(crate::text::untrusted(other, 64)),
        }
    }

    /// The code as the server sent it, such as `access_denied`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::ConsentRequired => "consent_required",
            Self::InvalidClient => "invalid_client",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidScope => "invalid_scope",
            Self::InteractionRequired => "interaction_required",
            Self::LoginRequired => "login_required",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedResponseMode => "unsupported_response_mode",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for AuthorizationErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a callback was refused. No variant carries the code or the state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The authorization server redirected with an error, and the `state` matched, so it came
    /// from our own request. The description is escaped and truncated.
    #[error("Okta refused the sign-in: {code}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Authorization {
        /// The error code.
        code: AuthorizationErrorCode,
        /// `error_description`, escaped (controls, bidirectional and other format characters, `<`
        /// and `>`) and truncated.
        description: Option<String>,
        /// `error_uri`, escaped and truncated.
        uri: Option<String>,
    },
    /// The `iss` parameter names another issuer, or is missing although the server's metadata
    /// promises it (RFC 9207): a mix-up attack, or a misconfiguration.
    #[error("the callback's issuer does not match the configured issuer (RFC 9207)")]
    IssuerMismatch,
    /// The query is not a well-formed authorization response: a duplicated or conflicting
    /// parameter, a bad encoding, an oversized or empty value.
    #[error("malformed callback: {0}")]
    Malformed(&'static str),
    /// The `state` does not match the pending login: a forged or cross-session callback.
    #[error(
        "the callback's state does not match this login (forged, replayed or from another browser session)"
    )]
    StateMismatch,
    /// The callback has no `state`: refused before anything else is looked at.
    #[error("the callback has no state parameter")]
    StateMissing,
}

impl CallbackError {
    /// A stable `snake_case` name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Authorization { .. } => "authorization_error",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::Malformed(_) => "malformed_callback",
            Self::StateMismatch => "state_mismatch",
            Self::StateMissing => "state_missing",
        }
    }
}

/// The parameters of an authorization response, each present at most once.
#[derive(Default)]
struct Params {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    error_uri: Option<String>,
}

/// Checks a callback query against the login it must finish, and returns the authorization
/// code. `iss_required` is the metadata's `authorization_response_iss_parameter_supported`.
pub(crate) fn check(
    query: &str,
    pending: &PendingLogin,
    issuer: &str,
    iss_required: bool,
) -> Result<AuthorizationCode, CallbackError> {
    let params = parse(query)?;

    // The state first, in constant time: nothing else in a forged callback may be trusted,
    // not even its error description (RFC 9207 §2.4).
    let state = params.state.ok_or(CallbackError::StateMissing)?;
    let expected = pending.state.secret().as_bytes();
    if !bool::from(state.as_bytes().ct_eq(expected)) {
        return Err(CallbackError::StateMismatch);
    }

    match &params.iss {
        Some(iss) if iss != issuer => return Err(CallbackError::IssuerMismatch),
        None if iss_required => return Err(CallbackError::IssuerMismatch),
        _ => {}
    }

    match (params.code, params.error) {
        (Some(_), Some(_)) => Err(CallbackError::Malformed("both code and error are present")),
        (None, Some(error)) => Err(CallbackError::Authorization {
            code: AuthorizationErrorCode::parse(&error),
            description: params
                .error_description
                .map(|d| crate::text::untrusted(&d, MAX_DESCRIPTION_LEN)),
            uri: params.error_uri.map(|uri| crate::text::untrusted(&uri, MAX_DESCRIPTION_LEN)),
        }),
        (None, None) => Err(CallbackError::Malformed("neither code nor error is present")),
        (Some(code), None) => {
            if code.is_empty() {
                return Err(CallbackError::Malformed("the code is empty"));
            }
            if code.len() > MAX_CODE_LEN {
                return Err(CallbackError::Malformed("the code is too long"));
            }
            if !code.bytes().all(|b| (0x21..=0x7E).contains(&b)) {
                return Err(CallbackError::Malformed(
                    "the code has characters outside printable ASCII",
                ));
            }
            Ok(AuthorizationCode::new(code))
        }
    }
}

/// A strict `application/x-www-form-urlencoded` parse: every `%` escape must be valid, values
/// must be UTF-8, and each known parameter may appear once (RFC 6749 §3.1).
fn parse(query: &str) -> Result<Params, CallbackError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY_LEN {
        return Err(CallbackError::Malformed("the query is too long"));
    }
    let mut params = Params::default();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name)?;
        let slot = match name.as_str() {
            "code" => &mut params.code,
            "state" => &mut params.state,
            "iss" => &mut params.iss,
            "error" => &mut params.error,
            "error_description" => &mut params.error_description,
            "error_uri" => &mut params.error_uri,
            // Okta adds nothing else, but an authorization server may (`session_state`).
            _ => continue,
        };
        if slot.is_some() {
            return Err(CallbackError::Malformed("a parameter appears more than once"));
        }
        *slot = Some(decode(value)?);
    }
    Ok(params)
}

fn decode(text: &str) -> Result<String, CallbackError> {
    let bytes = crate::percent::decode(text.as_bytes(), crate::percent::Plus::Space)
        .ok_or(CallbackError::Malformed("an invalid % escape"))?;
    String::from_utf8(bytes).map_err(|_| CallbackError::Malformed("a value is not UTF-8"))
}

#[cfg(test)]
mod tests;
