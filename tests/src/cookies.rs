//! A small cookie jar, as a browser keeps one: `Set-Cookie` in, `Cookie` out, by domain, path and
//! `Secure`, with deletion by `Max-Age=0` or a past `Expires`.

use std::time::SystemTime;

use url::Url;

/// The cookies of one user agent. Values are secrets (session ids): the jar has no `Debug`
/// output of them.
#[derive(Default)]
pub(crate) struct CookieJar {
    cookies: Vec<Cookie>,
}

struct Cookie {
    name: String,
    value: String,
    /// Lower-case host, or the `Domain` attribute without its leading dot.
    domain: String,
    /// `true` without a `Domain` attribute: only the exact host gets it.
    host_only: bool,
    path: String,
    secure: bool,
}

impl std::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.cookies.iter().map(|cookie| cookie.name.as_str()).collect();
        f.debug_struct("CookieJar").field("names", &names).finish()
    }
}

impl CookieJar {
    /// Stores (or deletes) the cookie of one `Set-Cookie` header received from `url`.
    pub(crate) fn store(&mut self, url: &Url, header: &str, now: SystemTime) {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else { return };
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim().to_owned(), value.trim().trim_matches('"').to_owned());
        if name.is_empty() {
            return;
        }
        let mut cookie = Cookie {
            name,
            value,
            domain: host.clone(),
            host_only: true,
            path: default_path(url),
            secure: false,
        };
        let mut expired = false;
        for attribute in parts {
            let (key, attribute_value) = attribute.split_once('=').unwrap_or((attribute, ""));
            let attribute_value = attribute_value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "domain" => {
                    let domain = attribute_value.trim_start_matches('.').to_ascii_lowercase();
                    if !domain_matches(&host, &domain) {
                        return; // a server may not set cookies for another site
                    }
                    cookie.domain = domain;
                    cookie.host_only = false;
                }
                "path" if attribute_value.starts_with('/') => {
                    attribute_value.clone_into(&mut cookie.path);
                }
                "secure" => cookie.secure = true,
                "max-age" => expired |= attribute_value.parse::<i64>().is_ok_and(|age| age <= 0),
                "expires" => {
                    expired |=
                        httpdate::parse_http_date(attribute_value).is_ok_and(|date| date <= now);
                }
                _ => {}
            }
        }
        self.cookies.retain(|old| {
            !(old.name == cookie.name && old.domain == cookie.domain && old.path == cookie.path)
        });
        if !expired {
            self.cookies.push(cookie);
        }
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies.
    pub(crate) fn header_for(&self, url: &Url) -> Option<String> {
        let host = url.host_str()?.to_ascii_lowercase();
        let path = url.path();
        let secure = url.scheme() == "https";
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|cookie| {
                let domain_ok = if cookie.host_only {
                    cookie.domain == host
                } else {
                    domain_matches(&host, &cookie.domain)
                };
                domain_ok && path_matches(path, &cookie.path) && (secure || !cookie.secure)
            })
            .map(|cookie| format!("{}={}", cookie.name, cookie.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// The names of the cookies held for `host`.
    pub(crate) fn names_for(&self, host: &str) -> Vec<&str> {
        self.cookies
            .iter()
            .filter(|cookie| domain_matches(host, &cookie.domain))
            .map(|cookie| cookie.name.as_str())
            .collect()
    }

    /// Forgets every cookie.
    pub(crate) fn clear(&mut self) {
        self.cookies.clear();
    }
}

/// RFC 6265 5.1.3: the host is the domain or a subdomain of it (never for IP addresses).
fn domain_matches(host: &str, domain: &str) -> bool {
    if domain.is_empty() {
        return false;
    }
    host == domain
        || (host.ends_with(domain)
            && host.as_bytes().get(host.len() - domain.len() - 1) == Some(&b'.')
            && host.parse::<std::net::IpAddr>().is_err())
}

/// RFC 6265 5.1.4.
fn path_matches(request: &str, cookie: &str) -> bool {
    request == cookie
        || (request.starts_with(cookie)
            && (cookie.ends_with('/') || request.as_bytes().get(cookie.len()) == Some(&b'/')))
}

/// RFC 6265 5.1.4: the directory of the request path.
fn default_path(url: &Url) -> String {
    let path = url.path();
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(at) => path[..at].to_owned(),
    }
}

#[cfg(test)]
mod tests;
