//! Validated newtypes for the words of the OAuth and Okta specs: issuers, client ids, secrets, URIs.
//!
//! Each type can only be built through a parser that enforces its rules, so holding one is proof
//! that the value is usable. The same parsers back the settings loader and are public for code
//! that takes such values from elsewhere (a command line, a test).

use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;
use url::{Host, Url};

/// A value that failed its type's rules; the message says why and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(String);

impl InvalidValue {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// The explanation, without the offending value when that value is secret.
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// Which kind of Okta authorization server an issuer names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthorizationServer {
    /// A custom authorization server, such as `default`: issuer `https://{domain}/oauth2/{id}`,
    /// endpoints under `/oauth2/{id}/v1/`. Its access tokens can be validated locally.
    Custom(String),
    /// The org authorization server: issuer `https://{domain}`, endpoints under `/oauth2/v1/`.
    /// Its access tokens are for Okta only; validate them through introspection.
    Org,
}

impl AuthorizationServer {
    /// Parses the `authorization_server` setting: `org`, `default` or a custom server id.
    pub fn parse(id: &str) -> Result<Self, InvalidValue> {
        match id {
            "org" => Ok(Self::Org),
            id if is_server_id(id) => Ok(Self::Custom(id.to_owned())),
            _ => Err(InvalidValue::new(format!(
                "{id:?} is not an authorization server id: use `org`, `default` or the id of a \
                 custom authorization server (letters and digits, such as `aus1a2b3c4d5e6f7g8h9`)"
            ))),
        }
    }

    /// The custom server's id, or `None` for the org server.
    pub fn custom_id(&self) -> Option<&str> {
        match self {
            Self::Custom(id) => Some(id),
            Self::Org => None,
        }
    }
}

/// An Okta issuer URL, exactly as Okta writes it in tokens and metadata, and the endpoint layout
/// it implies.
///
/// The text is kept byte for byte: tokens' `iss` and the discovery document's `issuer` must
/// equal it exactly, so a trailing slash is refused rather than silently removed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Issuer {
    text: String,
    url: Url,
    server: AuthorizationServer,
}

impl Issuer {
    /// Parses and checks an issuer URL with the rules Okta's own libraries apply, plus:
    /// `http` only for loopback hosts, no query, fragment or credentials, and a path that is
    /// either empty (the org server) or `/oauth2/{id}` (a custom server).
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let url = parse_endpoint_url(text, "issuer")?;
        if let Some(host) = url.host_str() {
            check_okta_host(host)?;
        }
        if text.ends_with('/') {
            return Err(InvalidValue::new(format!(
                "{text:?} ends with `/`; Okta issuers have no trailing slash and tokens must match \
                 exactly: use {:?}",
                text.trim_end_matches('/')
            )));
        }
        let server = match url.path() {
            "/" | "" => AuthorizationServer::Org,
            path => match path.strip_prefix("/oauth2/") {
                Some(id) if is_server_id(id) && id != "v1" => {
                    AuthorizationServer::Custom(id.to_owned())
                }
                _ => {
                    return Err(InvalidValue::new(format!(
                        "{text:?} is not an Okta issuer: use https://{{domain}} for the org \
                         authorization server or https://{{domain}}/oauth2/{{id}} for a custom one \
                         (such as /oauth2/default), not an endpoint URL"
                    )));
                }
            },
        };
        Ok(Self { text: text.to_owned(), url, server })
    }

    /// Builds the issuer of `server` on an Okta `domain` (`dev-123456.okta.com`, or a full
    /// `https://` origin; `http://` only for loopback hosts).
    pub fn from_domain(domain: &str, server: &AuthorizationServer) -> Result<Self, InvalidValue> {
        let domain = domain.trim_end_matches('/');
        if domain.contains('/') && !domain.contains("://") {
            return Err(InvalidValue::new(format!(
                "{domain:?} is not a domain: give the host name only, such as dev-123456.okta.com"
            )));
        }
        let origin =
            if domain.contains("://") { domain.to_owned() } else { format!("https://{domain}") };
        let text = match server {
            AuthorizationServer::Org => origin,
            AuthorizationServer::Custom(id) => format!("{origin}/oauth2/{id}"),
        };
        Self::parse(&text)
    }

    /// The issuer exactly as configured, for comparison with `iss` and metadata `issuer`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The issuer as a parsed URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The kind of authorization server this issuer names.
    pub fn authorization_server(&self) -> &AuthorizationServer {
        &self.server
    }

    /// `true` for the org authorization server, whose access tokens cannot be validated locally.
    pub fn is_org(&self) -> bool {
        self.server == AuthorizationServer::Org
    }

    /// `true` when the host is a loopback address (the local development server).
    pub fn is_loopback(&self) -> bool {
        is_loopback_url(&self.url)
    }

    /// `{issuer}/.well-known/openid-configuration`, for both kinds of server.
    pub fn discovery_url(&self) -> Url {
        self.join(".well-known/openid-configuration")
    }

    /// The OAuth 2.0 metadata document (RFC 8414) in the path order Okta documents:
    /// `{domain}/.well-known/oauth-authorization-server[/oauth2/{id}]`.
    pub fn oauth_metadata_url(&self) -> Url {
        let mut url = self.url.clone();
        let path = match &self.server {
            AuthorizationServer::Org => "/.well-known/oauth-authorization-server".to_owned(),
            AuthorizationServer::Custom(id) => {
                format!("/.well-known/oauth-authorization-server/oauth2/{id}")
            }
        };
        url.set_path(&path);
        url
    }

    /// The conventional `/authorize` endpoint of this issuer (discovery is authoritative).
    pub fn authorize_url(&self) -> Url {
        self.endpoint("authorize")
    }

    /// The conventional `/token` endpoint of this issuer (discovery is authoritative).
    pub fn token_url(&self) -> Url {
        self.endpoint("token")
    }

    /// The conventional `/keys` (JWKS) endpoint of this issuer (discovery is authoritative).
    pub fn keys_url(&self) -> Url {
        self.endpoint("keys")
    }

    /// The conventional `/introspect` endpoint of this issuer (discovery is authoritative).
    pub fn introspect_url(&self) -> Url {
        self.endpoint("introspect")
    }

    /// The conventional `/revoke` endpoint of this issuer (discovery is authoritative).
    pub fn revoke_url(&self) -> Url {
        self.endpoint("revoke")
    }

    /// The conventional `/userinfo` endpoint of this issuer (discovery is authoritative).
    pub fn userinfo_url(&self) -> Url {
        self.endpoint("userinfo")
    }

    /// The conventional `/logout` endpoint of this issuer (discovery is authoritative).
    pub fn logout_url(&self) -> Url {
        self.endpoint("logout")
    }

    fn endpoint(&self, name: &str) -> Url {
        match self.server {
            AuthorizationServer::Org => self.join(&format!("oauth2/v1/{name}")),
            AuthorizationServer::Custom(_) => self.join(&format!("v1/{name}")),
        }
    }

    fn join(&self, relative: &str) -> Url {
        let mut url = self.url.clone();
        let base = self.url.path().trim_end_matches('/');
        url.set_path(&format!("{base}/{relative}"));
        url
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Issuer").field(&self.text).finish()
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An OAuth client id, as shown on the Okta application's General tab.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// Checks a client id: not empty, no placeholder such as `{clientId}`, no spaces or controls.
    pub fn parse(id: &str) -> Result<Self, InvalidValue> {
        check_placeholder(id, "{clientId}", "the client id from your Okta application")?;
        check_token_text(id, "client id")?;
        Ok(Self(id.to_owned()))
    }

    /// The client id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An OAuth client secret. Its `Debug` output is redacted, it has no `Display` and no
/// `PartialEq`, so it cannot leak into logs or be compared in variable time by accident.
#[derive(Clone)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Checks a client secret: not empty, not the placeholder `{clientSecret}`, no control
    /// characters. Error messages never contain the secret.
    pub fn parse(secret: String) -> Result<Self, InvalidValue> {
        if secret.is_empty() {
            return Err(InvalidValue::new("is empty"));
        }
        if secret.contains("{clientSecret}") {
            return Err(InvalidValue::new(
                "is still the placeholder {clientSecret}: copy the secret from your Okta \
                 application's General tab",
            ));
        }
        if secret.chars().any(char::is_control) {
            return Err(InvalidValue::new("contains control characters (a stray newline?)"));
        }
        Ok(Self(secret))
    }

    /// The secret itself. Call this only to send it to Okta.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// The key that seals pending logins (and session cookies) so any replica of a service can
/// finish a login. At least 32 random bytes, given in base64.
#[derive(Clone)]
pub struct CookieSecret(Vec<u8>);

impl CookieSecret {
    /// The minimum number of decoded bytes.
    pub const MIN_BYTES: usize = 32;

    /// Decodes a base64 (standard or URL-safe, padded or not) key of at least 32 bytes.
    pub fn from_base64(encoded: &str) -> Result<Self, InvalidValue> {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        let encoded = encoded.trim();
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(encoded).ok())
            .ok_or_else(|| {
                InvalidValue::new(
                    "is not base64: generate one with `head -c 32 /dev/urandom | base64`",
                )
            })?;
        Self::from_bytes(bytes)
    }

    /// Wraps raw key bytes (at least 32 of them).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, InvalidValue> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(InvalidValue::new(format!(
                "is {} bytes long once decoded; it needs at least {}: generate one with \
                 `head -c 32 /dev/urandom | base64`",
                bytes.len(),
                Self::MIN_BYTES
            )));
        }
        Ok(Self(bytes))
    }

    /// The key bytes. Call this only to derive encryption keys.
    pub fn secret(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CookieSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CookieSecret([redacted])")
    }
}

/// A redirect URI, kept byte for byte as configured: `/authorize` and `/token` must send exactly
/// the string registered at Okta.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri {
    text: String,
    url: Url,
}

impl RedirectUri {
    /// Checks a redirect URI: absolute `https` (or `http` on a loopback host), no fragment, no
    /// credentials, no placeholder.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        check_placeholder(text, "{redirectUri}", "your application's sign-in redirect URI")?;
        let url = parse_endpoint_url(text, "redirect URI")?;
        if url.fragment().is_some() {
            return Err(InvalidValue::new(format!(
                "{text:?} has a fragment (`#...`), which a redirect URI must not have"
            )));
        }
        Ok(Self { text: text.to_owned(), url })
    }

    /// The URI exactly as configured.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The URI parsed.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `true` when the host is a loopback address, where a local listener can receive it.
    pub fn is_loopback(&self) -> bool {
        is_loopback_url(&self.url)
    }
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedirectUri").field(&self.text).finish()
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An OAuth scope (RFC 6749 §3.3 `scope-token`), such as `openid` or `offline_access`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    /// Checks a scope token: printable ASCII without space, `"` or `\`.
    pub fn parse(scope: &str) -> Result<Self, InvalidValue> {
        let valid = !scope.is_empty()
            && scope.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        if !valid {
            return Err(InvalidValue::new(format!(
                "{scope:?} is not a scope: scopes are printable ASCII without spaces, quotes or \
                 backslashes"
            )));
        }
        Ok(Self(scope.to_owned()))
    }

    /// The scope.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An accepted access-token audience (`aud`), such as `api://default`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Audience(String);

impl Audience {
    /// Checks an audience: not empty, no spaces or control characters.
    pub fn parse(audience: &str) -> Result<Self, InvalidValue> {
        check_token_text(audience, "audience")?;
        Ok(Self(audience.to_owned()))
    }

    /// The audience.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the client authenticates at `/token`, `/introspect` and `/revoke`: the one
/// client-authentication enum of okta-oidc, produced by the settings and used by every crate
/// (`okta_http::ClientCredentials` applies it).
///
/// Deliberately not `#[non_exhaustive]`: a `match` on it lists every method, so a method added
/// later (`client_secret_jwt`, `private_key_jwt`, `none`) fails to compile wherever it is not
/// handled instead of falling into a default. Adding one is a minor (0.x) release, listed in
/// `CHANGELOG.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAuthMethod {
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1). Okta's default.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl ClientAuthMethod {
    /// Parses the name Okta and RFC 8414 use, such as `client_secret_basic`.
    pub fn parse(name: &str) -> Result<Self, InvalidValue> {
        match name {
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "private_key_jwt" | "client_secret_jwt" | "none" => Err(InvalidValue::new(format!(
                "{name:?} is an Okta client authentication method okta-oidc does not support yet: \
                 use client_secret_basic or client_secret_post"
            ))),
            _ => Err(InvalidValue::new(format!(
                "{name:?} is not a client authentication method: use client_secret_basic \
                 (the default) or client_secret_post"
            ))),
        }
    }

    /// The method's name in metadata, such as `client_secret_basic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
        }
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Comparisons with text, for the values copied out of tokens (`iss`, `aud`, `cid`, `scp`) and
/// for tests: a validated value equals the text it was parsed from, byte for byte.
macro_rules! eq_text {
    ($($name:ident),*) => {$(
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.as_str() == other
            }
        }
    )*};
}

eq_text!(Audience, ClientId, Issuer, Scope);

/// `true` for `127.0.0.0/8`, `::1` and `localhost`: the only hosts where plain `http` is allowed.
pub fn is_loopback_url(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The domains of Okta's clouds, whose `-admin.` variants are the admin console, not the issuer.
const OKTA_DOMAINS: [&str; 7] = [
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
    "okta-miltest.com",
    "trex-govcloud.com",
];

fn check_okta_host(host: &str) -> Result<(), InvalidValue> {
    let host = host.to_ascii_lowercase();
    if host.contains("-admin.") && OKTA_DOMAINS.iter().any(|domain| host.ends_with(domain)) {
        return Err(InvalidValue::new(format!(
            "{host:?} is the admin console's domain: remove `-admin` (use {:?})",
            host.replacen("-admin.", ".", 1)
        )));
    }
    if host.contains(".com.com") {
        return Err(InvalidValue::new(format!("{host:?} contains `.com.com`: check the domain")));
    }
    Ok(())
}

/// Shared rules for issuer and redirect URLs: no placeholders, one `://`, absolute, https
/// except on loopback, no credentials or query in the way.
fn parse_endpoint_url(text: &str, what: &str) -> Result<Url, InvalidValue> {
    check_placeholder(text, "{yourOktaDomain}", "your Okta domain, such as dev-123456.okta.com")?;
    if text.trim() != text || text.is_empty() {
        return Err(InvalidValue::new(format!(
            "{text:?} is not a URL: remove the surrounding spaces"
        )));
    }
    if text.matches("://").count() > 1 {
        return Err(InvalidValue::new(format!("{text:?} contains `://` more than once")));
    }
    let url = Url::parse(text)
        .map_err(|err| InvalidValue::new(format!("{text:?} is not an absolute URL ({err})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_url(&url) => {}
        "http" => {
            return Err(InvalidValue::new(format!(
                "{text:?} uses http: the {what} must use https (http is allowed only for \
                 loopback hosts such as 127.0.0.1, for the local development server)"
            )));
        }
        scheme => {
            return Err(InvalidValue::new(format!(
                "{text:?} uses the scheme {scheme:?}: the {what} must use https"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(InvalidValue::new(format!("{text:?} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidValue::new(format!(
            "the {what} must not carry credentials (`user:password@`)"
        )));
    }
    if what == "issuer" && (url.query().is_some() || url.fragment().is_some()) {
        return Err(InvalidValue::new(format!(
            "{text:?} has a query or fragment, which an issuer must not have"
        )));
    }
    Ok(url)
}

/// A certificate authority's certificate (DER), trusted next to the public roots; read from
/// `http.extra_ca_file` by the settings loader.
#[derive(Clone, PartialEq, Eq)]
pub struct CaCertificate(Vec<u8>);

impl CaCertificate {
    /// Every certificate of a PEM text (`-----BEGIN CERTIFICATE-----` blocks). Refuses a text
    /// without any, with a block that does not decode, or with a private key in it (a CA file is
    /// public; a key there is a mistake to catch before the file is shared).
    pub fn parse_pem(pem: &[u8]) -> Result<Vec<Self>, InvalidValue> {
        use rustls_pki_types::pem::PemObject as _;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};

        if PrivateKeyDer::from_pem_slice(pem).is_ok() {
            return Err(InvalidValue::new(
                "contains a private key: give the CA's certificate only (-----BEGIN CERTIFICATE-----)",
            ));
        }
        let mut certificates = Vec::new();
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let der = certificate.map_err(|err| {
                InvalidValue::new(format!("is not a valid PEM certificate file ({err})"))
            })?;
            // Every X.509 certificate is a DER SEQUENCE.
            if der.first() != Some(&0x30) || der.len() < 64 {
                return Err(InvalidValue::new(
                    "holds a CERTIFICATE block that is not a certificate",
                ));
            }
            certificates.push(Self(der.to_vec()));
        }
        if certificates.is_empty() {
            return Err(InvalidValue::new(
                "contains no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
            ));
        }
        Ok(certificates)
    }

    /// The certificate in DER.
    pub fn der(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CaCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaCertificate({} bytes)", self.0.len())
    }
}

fn check_placeholder(text: &str, placeholder: &str, what: &str) -> Result<(), InvalidValue> {
    if text.contains(placeholder) {
        return Err(InvalidValue::new(format!(
            "{text:?} still contains the placeholder {placeholder}: replace it with {what}"
        )));
    }
    if let Some(start) = text.find('{')
        && let Some(len) = text[start..].find('}')
    {
        let placeholder = &text[start..=start + len];
        return Err(InvalidValue::new(format!(
            "{text:?} still contains the placeholder {placeholder}: replace it with {what}"
        )));
    }
    Ok(())
}

fn check_token_text(text: &str, what: &str) -> Result<(), InvalidValue> {
    if text.is_empty() {
        return Err(InvalidValue::new(format!("the {what} is empty")));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidValue::new(format!(
            "{text:?} contains spaces or control characters, which a {what} cannot have"
        )));
    }
    Ok(())
}

fn is_server_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests;
