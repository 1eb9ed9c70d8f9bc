//! TLS for the transport: rustls with the aws-lc-rs provider and the Mozilla root certificates.
//!
//! The provider is passed explicitly instead of being looked up process-wide, so the client works
//! whatever else the program links: rustls panics at run time ("Could not automatically determine
//! the process-level `CryptoProvider`") when a program enables both of its providers and a
//! library builds a configuration without naming one. [`install_default_crypto_provider`] settles that
//! for the rest of a program.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

use crate::error::BuildError;

/// Installs aws-lc-rs as rustls's process-wide default crypto provider, unless one is installed
/// already; returns whether this call installed it.
///
/// okta-http never needs it: its client names its provider. Call it first thing in `main` when
/// the program also builds other rustls clients or servers that rely on the process default
/// (reqwest with a `*-no-provider` TLS feature, or any crate calling `ClientConfig::builder()`
/// in a program where a dependency also enables rustls's `ring` feature); without it, those
/// panic at their first connection.
pub fn install_default_crypto_provider() -> bool {
    CryptoProvider::get_default().is_none() && provider().install_default().is_ok()
}

/// The rustls client configuration of [`ReqwestHttpClient`](crate::ReqwestHttpClient): TLS 1.2
/// and 1.3 with aws-lc-rs, the bundled Mozilla roots (`webpki-roots`), HTTP/1.1 by ALPN.
pub(crate) fn client_config() -> Result<rustls::ClientConfig, BuildError> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    client_config_with_roots(roots)
}

/// [`client_config`] with the certificate authorities of `http.extra_ca_file` trusted next to
/// the Mozilla roots (okta-devserver's local CA, a company CA).
pub(crate) fn client_config_with_extra_roots(
    extra: &[okta_config::CaCertificate],
) -> Result<rustls::ClientConfig, BuildError> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for certificate in extra {
        let der = rustls::pki_types::CertificateDer::from(certificate.der().to_vec());
        roots.add(der).map_err(|err| BuildError::Tls { source: Arc::new(err) })?;
    }
    client_config_with_roots(roots)
}

/// [`client_config`] with other trust anchors (tests use a local certificate authority).
pub(crate) fn client_config_with_roots(
    roots: rustls::RootCertStore,
) -> Result<rustls::ClientConfig, BuildError> {
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| BuildError::Tls { source: Arc::new(err) })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}
