//! Building the transport from `okta-config` settings, the way every service is configured.

// Every enum of the settings is matched in full here, never through a fallback arm.
#![warn(clippy::wildcard_enum_match_arm)]

use okta_config::Settings;

use crate::error::BuildError;
use crate::tls::client_config_with_extra_roots;
use crate::transport::{HttpClientOptions, ReqwestHttpClient};

impl HttpClientOptions {
    /// The `[http]` settings: connect and total timeouts, the response size cap, the proxy and
    /// the hosts that bypass it. `allow_loopback_http` keeps its default (`true`).
    pub fn from_settings(settings: &Settings) -> Self {
        let http = settings.http();
        Self {
            connect_timeout: http.connect_timeout(),
            timeout: http.timeout(),
            max_response_bytes: http.max_response_bytes(),
            proxy: http.proxy().clone(),
            no_proxy: http.no_proxy().to_vec(),
            ..Self::default()
        }
    }
}

impl ReqwestHttpClient {
    /// The production client with the `[http]` settings, trusting the certificate authorities
    /// of `http.extra_ca_file` next to the Mozilla roots.
    pub fn from_settings(settings: &Settings) -> Result<Self, BuildError> {
        let tls = client_config_with_extra_roots(settings.http().extra_ca_certificates())?;
        Self::with_tls(HttpClientOptions::from_settings(settings), tls)
    }
}
