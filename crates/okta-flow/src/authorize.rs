//! What a sign-in may ask of `/authorize` beyond the settings: prompt, hints, `max_age`, Okta's
//! `idp` and `sessionToken`, and extra parameters.

use std::fmt;
use std::time::Duration;

use okta_config::Scope;

/// Parameters the flow sets itself; extra parameters may not override them.
pub(crate) const RESERVED_PARAMETERS: &[&str] = &[
    "client_id",
    "code_challenge",
    "code_challenge_method",
    "idp",
    "login_hint",
    "max_age",
    "nonce",
    "prompt",
    "redirect_uri",
    "response_mode",
    "response_type",
    "scope",
    "sessionToken",
    "state",
    "acr_values",
    "request",
    "request_uri",
];

/// `prompt` (OpenID Connect Core §3.1.2.1, the values Okta accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// `consent`: ask for consent even if given before.
    Consent,
    /// `login`: sign in again even with a session.
    Login,
    /// `login consent`.
    LoginAndConsent,
    /// `none`: no page at all; `login_required` or `consent_required` if one is needed.
    None,
}

/// Options of one [`OktaClient::authorize`](crate::OktaClient::authorize) call. The defaults
/// ask for nothing beyond the settings.
///
/// ```
/// use std::time::Duration;
///
/// use okta_flow::{AuthorizeOptions, Prompt};
///
/// let options = AuthorizeOptions::new()
///     .prompt(Prompt::Login)
///     .login_hint("alice@example.com")
///     .max_age(Duration::from_secs(300))
///     .extra_param("ui_locales", "fr");
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct AuthorizeOptions {
    prompt: Option<Prompt>,
    login_hint: Option<String>,
    idp: Option<String>,
    max_age: Option<Duration>,
    acr_values: Vec<String>,
    session_token: Option<String>,
    scopes: Option<Vec<Scope>>,
    extra_params: Vec<(String, String)>,
}

impl AuthorizeOptions {
    /// No options: the settings' scopes and nothing else.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `prompt`.
    #[must_use]
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// Sets `login_hint` (pre-fills the username).
    #[must_use]
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// Sets Okta's `idp`: the id of an identity provider to sign in with.
    #[must_use]
    pub fn idp(mut self, idp: impl Into<String>) -> Self {
        self.idp = Some(idp.into());
        self
    }

    /// Sets `max_age`: the sign-in must be at most this old, which the ID token's `auth_time`
    /// then proves (checked at the code exchange).
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Adds an `acr_values` entry.
    #[must_use]
    pub fn acr_value(mut self, acr: impl Into<String>) -> Self {
        self.acr_values.push(acr.into());
        self
    }

    /// Sets Okta's `sessionToken` (from `/api/v1/authn`), for headless sign-in. It is a
    /// credential: never logged, redacted in `Debug`.
    #[must_use]
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// Requests these scopes instead of the settings' (`openid` is always requested).
    #[must_use]
    pub fn scopes(mut self, scopes: Vec<Scope>) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Adds a parameter the flow does not know (such as `ui_locales`), encoded as one value. A
    /// parameter the flow sets itself is refused by `authorize`.
    #[must_use]
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    pub(crate) fn prompt_value(&self) -> Option<Prompt> {
        self.prompt
    }

    pub(crate) fn login_hint_value(&self) -> Option<&str> {
        self.login_hint.as_deref()
    }

    pub(crate) fn idp_value(&self) -> Option<&str> {
        self.idp.as_deref()
    }

    pub(crate) fn max_age_value(&self) -> Option<Duration> {
        self.max_age
    }

    pub(crate) fn acr_values_value(&self) -> &[String] {
        &self.acr_values
    }

    pub(crate) fn session_token_value(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    pub(crate) fn scopes_value(&self) -> Option<&[Scope]> {
        self.scopes.as_deref()
    }

    pub(crate) fn extra_params(&self) -> &[(String, String)] {
        &self.extra_params
    }
}

impl fmt::Debug for AuthorizeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeOptions")
            .field("prompt", &self.prompt)
            .field("login_hint", &self.login_hint)
            .field("idp", &self.idp)
            .field("max_age", &self.max_age)
            .field("acr_values", &self.acr_values)
            .field("session_token", &self.session_token.as_ref().map(|_| "[redacted]"))
            .field("scopes", &self.scopes)
            .field("extra_params", &self.extra_params)
            .finish()
    }
}

/// Why no authorization URL was built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeError {
    /// The configured redirect URI is not a URL `openidconnect` accepts.
    #[error("the configured redirect URI is invalid")]
    InvalidRedirectUri,
    /// An extra parameter would override one the flow sets itself.
    #[error("the extra parameter {0:?} is set by the flow itself")]
    ReservedParameter(String),
}
