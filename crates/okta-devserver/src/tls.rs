//! TLS mode: a local certificate authority and a server certificate made with `rcgen` (on
//! aws-lc-rs), kept in a directory between runs, and the listener that serves HTTPS with them.
//!
//! Okta's own verifier libraries refuse an `http` issuer, so clients in other languages need
//! `https`. The CA is what a client trusts (`NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE`, `curl
//! --cacert`); the server certificate names `localhost`, `127.0.0.1`, `::1` and the address
//! the server is bound to.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::clock::{Clock, unix_secs};

/// The common name of the local CA, also how a user recognises it in a trust store.
const CA_NAME: &str = "okta-devserver local CA";
/// The CA lives ten years: it is trusted once and kept.
const CA_LIFETIME: Duration = Duration::from_hours(10 * 365 * 24);
/// The server certificate lives a year (and is issued again a month before it ends).
const SERVER_LIFETIME: Duration = Duration::from_hours(365 * 24);
const RENEW_BEFORE: Duration = Duration::from_hours(30 * 24);
/// A TLS handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The file names inside the TLS directory.
const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
const SERVER_CERT_FILE: &str = "server.pem";
const SERVER_KEY_FILE: &str = "server-key.pem";
/// What the server certificate was issued for: its names and end, one per line.
const SERVER_INFO_FILE: &str = "server.txt";

/// Serve HTTPS with a local CA: see [`DevServerBuilder::tls`](crate::DevServerBuilder::tls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    directory: Option<PathBuf>,
}

impl TlsConfig {
    /// Keeps the CA and the server certificate in `directory` (created if missing, mode 0700;
    /// private keys 0600): the first start generates them, later starts reuse them, so a client
    /// trusts `directory/ca.pem` once. The server certificate is issued again when the address
    /// changes or it nears its end.
    pub fn in_directory(directory: impl Into<PathBuf>) -> Self {
        Self { directory: Some(directory.into()) }
    }

    /// Generates a CA and a server certificate in memory at every start, for tests: read the CA
    /// from [`DevServer::ca_certificate_pem`](crate::DevServer::ca_certificate_pem).
    pub fn ephemeral() -> Self {
        Self { directory: None }
    }

    /// The directory the certificates are kept in (`None` when ephemeral).
    pub fn directory(&self) -> Option<&Path> {
        self.directory.as_deref()
    }
}

/// Why the TLS material could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file or the directory could not be read or written.
    #[error("cannot use {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A kept key or certificate is not what this server wrote (delete the directory to start
    /// again; clients then need the new CA).
    #[error("{} is not a PEM key or certificate written by okta-devserver", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
    },
    /// Generating or signing a certificate failed, or rustls refused it.
    #[error("cannot make the TLS certificates")]
    Certificate(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The CA and the server configuration of a TLS server.
pub(crate) struct TlsMaterial {
    pub(crate) ca_pem: String,
    /// Where the CA is, when kept in a directory.
    pub(crate) ca_path: Option<PathBuf>,
    pub(crate) server_config: Arc<rustls::ServerConfig>,
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial").field("ca_path", &self.ca_path).finish_non_exhaustive()
    }
}

impl TlsMaterial {
    /// Loads or creates the CA and a server certificate for `bound` (the listening address).
    ///
    /// Certificates are checked by clients against their real clocks, so validity comes from the
    /// system clock, not from the server's injectable one.
    pub(crate) fn load_or_create(config: &TlsConfig, bound: IpAddr) -> Result<Self, TlsError> {
        let now = Clock::system().now();
        let names = server_names(bound);
        let (ca_pem, ca_key, server_cert_pem, server_key) = match &config.directory {
            None => {
                let ca_key = new_key()?;
                let ca_pem = ca_params(now)?.self_signed(&ca_key).map_err(certificate)?.pem();
                let (cert, key) = issue_server(&ca_key, &names, now)?;
                (ca_pem, ca_key, cert, key)
            }
            Some(directory) => kept(directory, &names, now)?,
        };
        drop(ca_key);
        let chain = vec![pem_der(&server_cert_pem)?];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(certificate)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(certificate)?;
        server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let ca_path = config.directory.as_ref().map(|directory| directory.join(CA_CERT_FILE));
        Ok(Self { ca_pem, ca_path, server_config: Arc::new(server_config) })
    }
}

/// The names of the server certificate: the loopback names, and the bound address when it is a
/// specific one.
fn server_names(bound: IpAddr) -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        Ipv4Addr::LOCALHOST.to_string(),
        Ipv6Addr::LOCALHOST.to_string(),
    ];
    if !bound.is_unspecified() && !names.contains(&bound.to_string()) {
        names.push(bound.to_string());
    }
    names
}

/// The CA and server certificate kept in `directory`, created or renewed as needed.
fn kept(
    directory: &Path,
    names: &[String],
    now: SystemTime,
) -> Result<(String, KeyPair, String, KeyPair), TlsError> {
    create_private_directory(directory)?;
    let ca_cert_path = directory.join(CA_CERT_FILE);
    let ca_key_path = directory.join(CA_KEY_FILE);
    let (ca_pem, ca_key) = match (read_optional(&ca_cert_path)?, read_optional(&ca_key_path)?) {
        (Some(ca_pem), Some(key_pem)) => {
            let key = KeyPair::from_pem(&key_pem)
                .map_err(|_| TlsError::Unreadable { path: ca_key_path.clone() })?;
            pem_der(&ca_pem).map_err(|_| TlsError::Unreadable { path: ca_cert_path.clone() })?;
            (ca_pem, key)
        }
        _ => {
            let key = new_key()?;
            let ca_pem = ca_params(now)?.self_signed(&key).map_err(certificate)?.pem();
            write_private(&ca_key_path, &key.serialize_pem())?;
            write_public(&ca_cert_path, &ca_pem)?;
            tracing::info!(path = %ca_cert_path.display(), "created a local CA");
            (ca_pem, key)
        }
    };
    let server_cert_path = directory.join(SERVER_CERT_FILE);
    let server_key_path = directory.join(SERVER_KEY_FILE);
    let info_path = directory.join(SERVER_INFO_FILE);
    let wanted_names = names.join(" ");
    let reusable = match (
        read_optional(&server_cert_path)?,
        read_optional(&server_key_path)?,
        read_optional(&info_path)?,
    ) {
        (Some(cert), Some(key), Some(info)) => {
            let mut lines = info.lines();
            let same_names = lines.next() == Some(wanted_names.as_str());
            let not_after = lines.next().and_then(|line| line.trim().parse::<u64>().ok());
            let fresh = not_after.is_some_and(|end| end > unix_secs(now + RENEW_BEFORE));
            let key = KeyPair::from_pem(&key).ok();
            match key {
                Some(key) if same_names && fresh && pem_der(&cert).is_ok() => Some((cert, key)),
                _ => None,
            }
        }
        _ => None,
    };
    let (server_pem, server_key) = match reusable {
        Some(kept) => kept,
        None => {
            let (cert, key) = issue_server(&ca_key, names, now)?;
            write_private(&server_key_path, &key.serialize_pem())?;
            write_public(&server_cert_path, &cert)?;
            let not_after = unix_secs(now + SERVER_LIFETIME);
            write_public(&info_path, &format!("{wanted_names}\n{not_after}\n"))?;
            tracing::info!(names = %wanted_names, "issued a server certificate");
            (cert, key)
        }
    };
    Ok((ca_pem, ca_key, server_pem, server_key))
}

fn new_key() -> Result<KeyPair, TlsError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(certificate)
}

/// The CA's parameters. The same every time, so a kept CA key signs certificates that chain to
/// the kept CA certificate.
fn ca_params(now: SystemTime) -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(certificate)?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "okta-devserver");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = offset(now - Duration::from_hours(24))?;
    params.not_after = offset(now + CA_LIFETIME)?;
    Ok(params)
}

/// A server certificate for `names`, signed by the CA key.
fn issue_server(
    ca_key: &KeyPair,
    names: &[String],
    now: SystemTime,
) -> Result<(String, KeyPair), TlsError> {
    // The kept CA certificate and this one share subject and key, which is all signing needs.
    let issuer = ca_params(now)?.self_signed(ca_key).map_err(certificate)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(certificate)?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "okta-devserver");
    params.subject_alt_names = names
        .iter()
        .map(|name| match name.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => name.clone().try_into().map(SanType::DnsName).map_err(certificate),
        })
        .collect::<Result<_, _>>()?;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = offset(now - Duration::from_hours(24))?;
    params.not_after = offset(now + SERVER_LIFETIME)?;
    let key = new_key()?;
    let cert = params.signed_by(&key, &issuer, ca_key).map_err(certificate)?;
    Ok((cert.pem(), key))
}

fn offset(time: SystemTime) -> Result<time::OffsetDateTime, TlsError> {
    let seconds = i64::try_from(unix_secs(time)).map_err(certificate)?;
    time::OffsetDateTime::from_unix_timestamp(seconds).map_err(certificate)
}

/// The DER of the first certificate of a PEM text.
fn pem_der(pem_text: &str) -> Result<CertificateDer<'static>, TlsError> {
    CertificateDer::from_pem_slice(pem_text.as_bytes()).map_err(certificate)
}

fn certificate(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> TlsError {
    TlsError::Certificate(error.into())
}

fn read_optional(path: &Path) -> Result<Option<String>, TlsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(source) if source.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TlsError::Io { path: path.to_owned(), source }),
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> TlsError + '_ {
    move |source| TlsError::Io { path: path.to_owned(), source }
}

fn create_private_directory(directory: &Path) -> Result<(), TlsError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(directory).map_err(io_error(directory))
}

/// Writes a private key readable by its owner only (0600 from creation, never wider).
fn write_private(path: &Path, contents: &str) -> Result<(), TlsError> {
    write_file(path, contents, 0o600)
}

fn write_public(path: &Path, contents: &str) -> Result<(), TlsError> {
    write_file(path, contents, 0o644)
}

fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), TlsError> {
    use std::io::Write as _;
    // Replace, never append: a new file of the right mode, renamed over the old one.
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&temporary).map_err(io_error(&temporary))?;
    file.write_all(contents.as_bytes()).map_err(io_error(&temporary))?;
    file.sync_all().map_err(io_error(&temporary))?;
    std::fs::rename(&temporary, path).map_err(io_error(path))
}

/// The listener of a TLS server: TCP connections are accepted at once and their handshakes run
/// on their own tasks, so a slow or silent client never holds up the others.
pub(crate) struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    pub(crate) fn new(
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
    ) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let (sender, incoming) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let accepting = tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: wait before trying again, as
                        // axum's own listener does.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let (acceptor, sender) = (acceptor.clone(), sender.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = sender.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { incoming, local, accepting })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener").field("local", &self.local).finish_non_exhaustive()
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(accepted) => accepted,
            // The accepting task ended (only when aborted at shutdown): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests;
