//! The proxy setting (`http.proxy`, `http.no_proxy`): none, the standard environment variables,
//! or one proxy URL, with any credentials in a proxy URL kept out of every output.

use std::fmt;
use std::net::IpAddr;

use url::Url;

use crate::types::InvalidValue;

/// The variables read for `http.proxy = "environment"`, in the order they are looked up.
///
/// `REQUEST_METHOD` is read only to detect a CGI process, where `HTTP_PROXY` may come from a
/// request's `Proxy` header ("httpoxy", CVE-2016-5385) and is therefore ignored.
pub(crate) const PROXY_VARIABLES: [&str; 9] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// The proxy in effect for every HTTP call to Okta, from `http.proxy`.
///
/// Deliberately not `#[non_exhaustive]`: okta-http maps every variant onto its transport with an
/// exhaustive `match`, so a new kind of proxy cannot be forgotten there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proxy {
    /// `http.proxy = "none"`, the default: every connection is direct, and the proxy environment
    /// variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) are ignored.
    Direct,
    /// `http.proxy = "environment"`: the standard proxy variables, as they were when the settings
    /// were loaded. Neither set means direct connections.
    Environment {
        /// The proxy for `http` URLs: `HTTP_PROXY` (ignored in a CGI process), `http_proxy`, else
        /// `ALL_PROXY`, `all_proxy`.
        http: Option<EnvironmentProxy>,
        /// The proxy for `https` URLs: `HTTPS_PROXY`, `https_proxy`, else `ALL_PROXY`,
        /// `all_proxy`.
        https: Option<EnvironmentProxy>,
    },
    /// `http.proxy = "http://proxy.example.com:3128"`: this proxy for every request.
    Url(ProxyUrl),
}

impl Proxy {
    /// Parses the value of `http.proxy`; `environment` reads the proxy variables from
    /// `variables` (name, value pairs; the loader passes the process environment or
    /// [`SettingsLoader::env_vars`](crate::SettingsLoader::env_vars)).
    ///
    /// A problem about a variable names it as the second element of the error.
    pub(crate) fn parse(
        text: &str,
        variables: &[(String, String)],
    ) -> Result<Self, (InvalidValue, Option<&'static str>)> {
        match text {
            "none" => Ok(Self::Direct),
            "environment" => {
                let lookup = |names: &[&'static str]| {
                    names.iter().find_map(|name| {
                        variables
                            .iter()
                            .find(|(variable, value)| variable == name && !value.trim().is_empty())
                            .map(|(_, value)| (*name, value.trim()))
                    })
                };
                let is_cgi = lookup(&["REQUEST_METHOD"]).is_some();
                let http_names: &[&'static str] =
                    if is_cgi { &["http_proxy"] } else { &["HTTP_PROXY", "http_proxy"] };
                let all = ["ALL_PROXY", "all_proxy"];
                let read = |names: &[&'static str]| -> Result<_, (InvalidValue, _)> {
                    match lookup(names).or_else(|| lookup(&all)) {
                        Some((variable, value)) => ProxyUrl::parse_environment(value)
                            .map(|url| Some(EnvironmentProxy { url, variable }))
                            .map_err(|err| (err, Some(variable))),
                        None => Ok(None),
                    }
                };
                Ok(Self::Environment {
                    http: read(http_names)?,
                    https: read(&["HTTPS_PROXY", "https_proxy"])?,
                })
            }
            _ if text.contains("://") => {
                ProxyUrl::parse(text).map(Self::Url).map_err(|e| (e, None))
            }
            _ => Err((
                InvalidValue::new(format!(
                    "{:?} is not a proxy setting: use \"none\" (the default: direct connections), \
                     \"environment\" (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY) or a proxy URL \
                     such as \"http://proxy.example.com:3128\"",
                    redact_text(text)
                )),
                None,
            )),
        }
    }
}

impl fmt::Display for Proxy {
    /// `none`, the proxy URL (credentials redacted), or `environment (https: ..., http: ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |proxy: Option<&EnvironmentProxy>| {
            proxy.map_or_else(
                || "none".to_owned(),
                |proxy| format!("{} from {}", proxy.url, proxy.variable),
            )
        };
        match self {
            Self::Direct => f.write_str("none"),
            Self::Environment { http, https } => write!(
                f,
                "environment (https: {}, http: {})",
                side(https.as_ref()),
                side(http.as_ref())
            ),
            Self::Url(url) => write!(f, "{url}"),
        }
    }
}

/// A proxy read from one of the standard environment variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentProxy {
    url: ProxyUrl,
    variable: &'static str,
}

impl EnvironmentProxy {
    /// The proxy.
    pub fn url(&self) -> &ProxyUrl {
        &self.url
    }

    /// The variable it came from, such as `HTTPS_PROXY`.
    pub fn variable(&self) -> &'static str {
        self.variable
    }
}

/// The URL of an HTTP proxy (`http://` or `https://`, host and port only), possibly with
/// credentials (`http://user:password@proxy:3128`).
///
/// `Debug` and `Display` show the credentials as `[redacted]`; only
/// [`ProxyUrl::url_with_credentials`] gives them, for the HTTP client that sends them to the
/// proxy.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(Url);

impl ProxyUrl {
    /// Parses a proxy URL such as `http://proxy.example.com:3128`: scheme `http` or `https`, a
    /// host, an optional port and credentials, and nothing after them.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let shown = redact_text(text);
        if text.trim() != text || text.is_empty() {
            return Err(InvalidValue::new(format!(
                "{shown:?} is not a proxy URL: remove the surrounding spaces"
            )));
        }
        if let Some(start) = text.find('{')
            && text[start..].contains('}')
        {
            return Err(InvalidValue::new(format!(
                "{shown:?} still contains a placeholder: write the proxy's URL, such as \
                 http://proxy.example.com:3128"
            )));
        }
        let url = Url::parse(text)
            .map_err(|err| InvalidValue::new(format!("{shown:?} is not a proxy URL ({err})")))?;
        match url.scheme() {
            "http" | "https" => {}
            scheme if scheme.starts_with("socks") => {
                return Err(InvalidValue::new(format!(
                    "{shown:?} is a SOCKS proxy, which okta-oidc does not support: use an HTTP \
                     proxy (http:// or https://)"
                )));
            }
            scheme => {
                return Err(InvalidValue::new(format!(
                    "{shown:?} uses the scheme {scheme:?}: a proxy URL starts with http:// or \
                     https://"
                )));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(InvalidValue::new(format!("{shown:?} has no host")));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(InvalidValue::new(format!(
                "{shown:?} has a path, query or fragment: a proxy URL is scheme, host and port, \
                 such as http://proxy.example.com:3128"
            )));
        }
        Ok(Self(url))
    }

    /// Like [`ProxyUrl::parse`], with `http://` assumed when the scheme is missing, as curl and
    /// most tools read `HTTPS_PROXY=proxy.example.com:3128`.
    pub(crate) fn parse_environment(text: &str) -> Result<Self, InvalidValue> {
        if text.contains("://") {
            Self::parse(text)
        } else {
            Self::parse(&format!("http://{text}"))
        }
    }

    /// The full URL, credentials included: hand it to the HTTP client, never to a log line (use
    /// `Display` for that).
    pub fn url_with_credentials(&self) -> &Url {
        &self.0
    }

    /// Whether the URL carries a user name or password.
    pub fn has_credentials(&self) -> bool {
        !self.0.username().is_empty() || self.0.password().is_some()
    }
}

impl fmt::Display for ProxyUrl {
    /// `scheme://[redacted]@host:port` (the part before `@` only when there are credentials).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.0;
        write!(f, "{}://", url.scheme())?;
        if self.has_credentials() {
            f.write_str("[redacted]@")?;
        }
        f.write_str(url.host_str().unwrap_or_default())?;
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl(\"{self}\")")
    }
}

/// Checks one `http.no_proxy` (or `NO_PROXY`) entry: a host name, a domain with or without a
/// leading dot (matching its subdomains too), an IP address, a CIDR range, or `*` for every host.
pub(crate) fn parse_no_proxy_entry(entry: &str) -> Result<String, InvalidValue> {
    let hint = "write a host name, a domain (.example.com matches it and its subdomains), an IP \
                address, a CIDR range such as 10.0.0.0/8, or * for every host";
    if entry == "*" || entry.parse::<IpAddr>().is_ok() {
        return Ok(entry.to_owned());
    }
    if entry.contains("://") || entry.contains('@') {
        return Err(InvalidValue::new(format!(
            "{:?} is a URL, not a host: {hint}",
            redact_text(entry)
        )));
    }
    if let Some(domain) = entry.strip_prefix("*.") {
        return Err(InvalidValue::new(format!(
            "{entry:?}: write .{domain} instead (a leading dot matches the domain and its \
             subdomains; * is a wildcard only on its own)"
        )));
    }
    if entry.contains('*') {
        return Err(InvalidValue::new(format!(
            "{entry:?}: * is a wildcard only on its own (every host); {hint}"
        )));
    }
    if let Some((address, prefix)) = entry.split_once('/') {
        let max = match address.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => 32,
            Ok(IpAddr::V6(_)) => 128,
            Err(_) => {
                return Err(InvalidValue::new(format!("{entry:?} is not a CIDR range: {hint}")));
            }
        };
        return match prefix.parse::<u8>() {
            Ok(bits) if bits <= max => Ok(entry.to_owned()),
            _ => Err(InvalidValue::new(format!(
                "{entry:?} is not a CIDR range (the prefix length must be 0 to {max})"
            ))),
        };
    }
    if entry.starts_with('[') || entry.contains(':') {
        return Err(InvalidValue::new(format!(
            "{entry:?}: ports and brackets are not supported (an entry bypasses the proxy on every \
             port); {hint}"
        )));
    }
    let domain = entry.strip_prefix('.').unwrap_or(entry);
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if domain.split('.').all(valid_label) {
        Ok(entry.to_owned())
    } else {
        Err(InvalidValue::new(format!("{entry:?} is not a host name: {hint}")))
    }
}

/// The text of a would-be proxy URL with anything before an `@` in its authority replaced by
/// `[redacted]`, for problems about a value that could not be parsed.
fn redact_text(text: &str) -> String {
    let (scheme, rest) = text.split_once("://").map_or(("", text), |(s, r)| (s, r));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some(at) = authority.rfind('@') else { return text.to_owned() };
    let host = &authority[at + 1..];
    let scheme = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
    format!("{scheme}[redacted]@{host}{tail}")
}

#[cfg(test)]
mod tests;
