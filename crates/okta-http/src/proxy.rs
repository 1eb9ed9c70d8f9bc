//! The proxy setting of okta-config, mapped onto reqwest: the client never reads the environment.

// Every enum of the settings is matched in full here, never through a fallback arm.
#![warn(clippy::wildcard_enum_match_arm)]

use std::sync::Arc;

use okta_config::{Proxy, ProxyUrl};

use crate::error::BuildError;

/// Configures `builder` for `proxy`. Every variant first turns reqwest's own environment lookup
/// off (`HTTP_PROXY` and friends): only okta-config decides, from the settings.
pub(crate) fn apply_proxy(
    builder: reqwest::ClientBuilder,
    proxy: &Proxy,
    no_proxy: &[String],
) -> Result<reqwest::ClientBuilder, BuildError> {
    let builder = builder.no_proxy();
    let bypass = || {
        if no_proxy.is_empty() { None } else { reqwest::NoProxy::from_string(&no_proxy.join(",")) }
    };
    let proxy_for = |url: &ProxyUrl, make: fn(&str) -> reqwest::Result<reqwest::Proxy>| {
        make(url.url_with_credentials().as_str()).map(|proxy| proxy.no_proxy(bypass())).map_err(
            |err| BuildError::Proxy { url: url.to_string(), source: Arc::new(err.without_url()) },
        )
    };
    Ok(match proxy {
        Proxy::Direct => builder,
        Proxy::Environment { http, https } => {
            let mut builder = builder;
            if let Some(http) = http {
                builder = builder.proxy(proxy_for(http.url(), |url| reqwest::Proxy::http(url))?);
            }
            if let Some(https) = https {
                builder = builder.proxy(proxy_for(https.url(), |url| reqwest::Proxy::https(url))?);
            }
            builder
        }
        Proxy::Url(url) => builder.proxy(proxy_for(url, |url| reqwest::Proxy::all(url))?),
    })
}
