//! The preflight of a sign-in: asks `/authorize` whether it accepts this client and redirect
//! URI before a browser is sent there, so a wrong client id or an unregistered redirect URI is
//! reported at once instead of after a silent wait. Shared by `okta login` and the doctor.

use http::header::ACCEPT;
use http::{Method, Request};
use okta_http::TransportError;
use tracing::Instrument as _;

use crate::client::OktaClient;
use crate::metadata::truncate;

/// A valid PKCE challenge for the probe (RFC 7636 appendix B); no code is ever redeemed.
const PROBE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// What the preflight found wrong; each variant names its likely causes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreflightError {
    /// `/authorize` answered with an error page before any sign-in (Okta's 400 for an unknown
    /// client id or a redirect URI that is not one of the app's sign-in redirect URIs).
    #[error("/authorize refused the request before any sign-in (HTTP {status}){}", description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The page's error description, when it has one Okta's way (escaped, truncated).
        description: Option<String>,
    },
    /// `/authorize` sent the browser straight back with an OAuth error (`unauthorized_client`
    /// when the app lacks the Authorization Code grant, `invalid_scope`, `access_denied`).
    #[error("/authorize sent the sign-in back with error={code}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    SentBack {
        /// The `error` parameter (escaped, truncated).
        code: String,
        /// `error_description` (escaped, truncated).
        description: Option<String>,
    },
    /// The probe never got an answer.
    #[error("the preflight request to /authorize failed")]
    Transport(#[source] TransportError),
}

impl PreflightError {
    /// A stable `snake_case` name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Refused { .. } => "authorize_refused",
            Self::SentBack { .. } => "authorize_error",
            Self::Transport(_) => "transport",
        }
    }

    /// The likely causes, most likely first, as sentences for people.
    pub fn likely_causes(&self) -> Vec<String> {
        match self {
            Self::Refused { .. } => vec![
                "the client id is not the application's (check client_id against the app's \
                 General tab)"
                    .to_owned(),
                "the redirect URI is not one of the application's Sign-in redirect URIs (it must \
                 match exactly: scheme, host, port and path)"
                    .to_owned(),
            ],
            Self::SentBack { code, .. } => vec![match code.as_str() {
                "unauthorized_client" => {
                    "the application does not allow the Authorization Code grant".to_owned()
                }
                "invalid_scope" => {
                    "a requested scope is not allowed by the authorization server".to_owned()
                }
                "access_denied" => {
                    "no access policy rule lets this application sign users in".to_owned()
                }
                _ => "see the error description".to_owned(),
            }],
            Self::Transport(_) => {
                vec!["the authorization server cannot be reached from here".to_owned()]
            }
        }
    }
}

impl OktaClient {
    /// Asks `/authorize` whether it accepts this client and its redirect URI, with the
    /// request a sign-in would send (fresh values, no user involved, nothing redeemed), and
    /// without following redirects, with `response_mode=form_post` so that an error sent back
    /// arrives as a page: an error page (HTTP 4xx) or a form carrying `error` is a problem;
    /// anything else (the sign-in page, a redirect to it) means the request is accepted.
    pub async fn preflight(&self) -> Result<(), PreflightError> {
        let discovered = self.inner.discovered.load_full();
        let redirect_uri = &self.inner.config.redirect_uri;
        let mut url = discovered.metadata.authorization_endpoint().clone();
        url.query_pairs_mut()
            .append_pair("client_id", self.inner.config.credentials.client_id().as_str())
            .append_pair("response_type", "code")
            .append_pair("scope", "openid")
            .append_pair("redirect_uri", redirect_uri.as_str())
            .append_pair("state", "okta-preflight")
            .append_pair("nonce", "okta-preflight")
            .append_pair("code_challenge", PROBE_CHALLENGE)
            .append_pair("code_challenge_method", "S256")
            // An error sent back then comes as a form page to read, not a redirect, which the
            // hardened transport refuses to follow or show.
            .append_pair("response_mode", "form_post");
        async {
            let request = Request::builder()
                .method(Method::GET)
                .uri(url.as_str())
                .header(ACCEPT, "text/html")
                .body(Vec::new())
                .map_err(|err| PreflightError::Transport(TransportError::other(err.to_string())))?;
            let response = match self.inner.config.http.execute(request).await {
                Ok(response) => response,
                // Okta redirects an accepted request to its sign-in page.
                Err(TransportError::Redirect { .. }) => return Ok(()),
                Err(err) => return Err(PreflightError::Transport(err)),
            };
            let status = response.status().as_u16();
            if status >= 400 {
                return Err(PreflightError::Refused {
                    status,
                    description: element_text(response.body(), r#"id="error-description""#),
                });
            }
            if let Some(code) = hidden_value(response.body(), "error") {
                return Err(PreflightError::SentBack {
                    code,
                    description: hidden_value(response.body(), "error_description"),
                });
            }
            Ok(())
        }
        .instrument(tracing::info_span!("okta.preflight", issuer = %self.inner.config.issuer))
        .await
        .inspect(|()| tracing::info!("the authorization request is accepted"))
        .inspect_err(|err: &PreflightError| {
            tracing::warn!(
                kind = err.kind(),
                error = err as &dyn std::error::Error,
                "preflight found a problem"
            );
        })
    }
}

/// The text of the element whose opening tag contains `marker` (Okta's and the devserver's
/// error pages say the description in `id="error-description"`), if any.
fn element_text(body: &[u8], marker: &str) -> Option<String> {
    let page = std::str::from_utf8(body).ok()?;
    let rest = &page[page.find(marker)?..];
    let text = &rest[rest.find('>')? + 1..];
    let text = text[..text.find('<')?].trim();
    (!text.is_empty()).then(|| truncate(&unescape(text)))
}

/// The value of the form page's hidden input `name` (`response_mode=form_post`), if any.
fn hidden_value(body: &[u8], name: &str) -> Option<String> {
    let page = std::str::from_utf8(body).ok()?;
    let rest = &page[page.find(&format!(r#"name="{name}""#))?..];
    let rest = &rest[rest.find(r#"value=""#)? + 7..];
    let value = &rest[..rest.find('"')?];
    Some(truncate(&unescape(value)))
}

/// Undoes HTML's five escapes.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}
