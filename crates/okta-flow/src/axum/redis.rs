//! A Redis session store, for services that run several replicas (feature `redis`).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{
    ClientLike as _, Config, ConnectionConfig, ErrorKind, KeysInterface as _, PerformanceConfig,
    Pool, ReconnectPolicy, TlsConfig, TlsConnector,
};
use fred::types::config::TlsHostMapping;
use fred::types::{Expiration, SetOptions, Value};
use okta_config::{CaCertificate, RedisUrl, SessionSettings};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tracing::Instrument as _;

/// How long one Redis command may take before the request fails (and the user sees a 503
/// rather than a hung page).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The prefix of every session key in Redis.
const KEY_PREFIX: &str = "okta-session:";

/// Connects a pool of `pool_size` connections to the Redis at `url` and returns a session store
/// on it. Every form of `session.redis_url` works ([`RedisUrl`]): one server
/// (`redis://[[user:]password@]host[:port][/db]`), a cluster
/// (`redis-cluster://host:port?node=host2:port2`) or a primary behind sentinels
/// (`redis-sentinel://sentinel:26379?sentinelServiceName=name&node=sentinel2:26379`); the
/// `rediss` forms use TLS (rustls on aws-lc-rs) and verify the server's certificate against
/// the system's root certificates. Use [`redis_store_from_settings`] to trust the CA of
/// `session.redis_ca_file` instead.
///
/// Fails if the first connection fails. Afterwards, lost connections are re-established with
/// exponential backoff (100 ms to 10 s, forever), and each command gives up after two seconds.
/// The URL's credentials never appear in an error, a log line or `Debug` output.
///
/// ```no_run
/// use okta_flow::axum::{OktaAuth, redis_store};
///
/// # async fn run(okta: OktaAuth) -> Result<(), Box<dyn std::error::Error>> {
/// let store = redis_store("redis://127.0.0.1:6379", 4).await?;
/// let app: axum::Router = axum::Router::new().merge(okta.routes()).layer(okta.layer(store));
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
pub async fn redis_store(
    url: &str,
    pool_size: usize,
) -> Result<RedisSessionStore, RedisConnectError> {
    let url =
        RedisUrl::parse(url).map_err(|err| RedisConnectError::Url(err.message().to_owned()))?;
    connect(&url, &[], pool_size).await
}

/// Connects to the Redis of the settings: `session.redis_url`, with the certificate
/// authorities of `session.redis_ca_file` (when set, the only ones trusted for a `rediss`
/// connection; else the system's roots). See [`redis_store`] for the URL forms and the
/// behaviour; [`RedisConnectError::NotConfigured`] when `session.redis_url` is not set.
///
/// ```no_run
/// use okta_config::{Role, Settings};
/// use okta_flow::axum::redis_store_from_settings;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let settings = Settings::load(Role::Client)?;
/// let store = redis_store_from_settings(settings.session(), 4).await?;
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
pub async fn redis_store_from_settings(
    settings: &SessionSettings,
    pool_size: usize,
) -> Result<RedisSessionStore, RedisConnectError> {
    let url = settings.redis_url().ok_or(RedisConnectError::NotConfigured)?;
    connect(url, settings.redis_ca_certificates(), pool_size).await
}

async fn connect(
    url: &RedisUrl,
    ca: &[CaCertificate],
    pool_size: usize,
) -> Result<RedisSessionStore, RedisConnectError> {
    let span = tracing::info_span!(
        "okta.redis_connect",
        redis = %url, // credentials redacted
        topology = ?url.topology(),
        tls = url.uses_tls(),
    );
    let result = connect_pool(url, ca, pool_size).instrument(span.clone()).await;
    if let Err(err) = &result {
        span.in_scope(|| tracing::warn!(error = %err, "cannot use Redis for sessions"));
    }
    result
}

async fn connect_pool(
    url: &RedisUrl,
    ca: &[CaCertificate],
    pool_size: usize,
) -> Result<RedisSessionStore, RedisConnectError> {
    let scrub = Scrub::new(url);
    // fred would build its own TLS configuration for `rediss` (system roots, the process-wide
    // crypto provider): parse the plain form and set ours.
    let mut plain = url.url_with_credentials().clone();
    let tls = url.uses_tls();
    if tls {
        let scheme = plain.scheme().replacen("rediss", "redis", 1);
        plain
            .set_scheme(&scheme)
            .map_err(|()| RedisConnectError::Url(format!("{url}: cannot use the scheme")))?;
    }
    let mut config = Config::from_url(plain.as_str())
        .map_err(|err| RedisConnectError::Url(scrub.text(&err.to_string())))?;
    let verdict = Arc::new(Mutex::new(None));
    if tls {
        let connector = TlsConnector::from(client_config(ca, &verdict)?);
        config.tls = Some(TlsConfig { connector, hostnames: TlsHostMapping::None });
    }
    let performance =
        PerformanceConfig { default_command_timeout: COMMAND_TIMEOUT, ..Default::default() };
    let connection = ConnectionConfig {
        connection_timeout: COMMAND_TIMEOUT,
        internal_command_timeout: COMMAND_TIMEOUT,
        ..Default::default()
    };
    let policy = ReconnectPolicy::new_exponential(0, 100, 10_000, 2);
    let pool =
        Pool::new(config, Some(performance), Some(connection), Some(policy), pool_size.max(1))
            .map_err(|err| RedisConnectError::Connect(scrub.text(&err.to_string())))?;
    tracing::debug!("connecting to Redis");
    if let Err(err) = pool.init().await {
        // No reconnection in the background for a store that is not returned.
        let _ = pool.quit().await;
        let rejected = verdict.lock().map(|mut verdict| verdict.take()).unwrap_or_default();
        let message = scrub.text(&err.to_string());
        return Err(match (rejected, err.kind()) {
            (Some(reason), _) => RedisConnectError::UntrustedCertificate(scrub.text(&reason)),
            (None, ErrorKind::Auth) => RedisConnectError::Auth(message),
            (None, _) => RedisConnectError::Connect(message),
        });
    }
    Ok(RedisSessionStore::new(pool))
}

/// The rustls configuration of `rediss` connections: aws-lc-rs, TLS 1.2 and 1.3, trusting `ca`
/// when given and the system's roots otherwise; a refused server certificate is recorded in
/// `verdict`, so that the error says so.
fn client_config(
    ca: &[CaCertificate],
    verdict: &Arc<Mutex<Option<String>>>,
) -> Result<rustls::ClientConfig, RedisConnectError> {
    let tls_error = |err: &dyn fmt::Display| RedisConnectError::Tls(err.to_string());
    let mut roots = rustls::RootCertStore::empty();
    if ca.is_empty() {
        let native = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            return Err(RedisConnectError::Tls(
                "no system root certificates to verify the Redis server with: install the \
                 ca-certificates package or name the CA in session.redis_ca_file"
                    .to_owned(),
            ));
        }
    } else {
        for certificate in ca {
            roots
                .add(CertificateDer::from(certificate.der().to_vec()))
                .map_err(|err| tls_error(&err))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|err| tls_error(&err))?;
    let verifier = Arc::new(RecordingVerifier { inner: webpki, verdict: verdict.clone() });
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| tls_error(&err))?
        .dangerous() // only to wrap the standard verifier: every check is its own
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// rustls's standard verifier, remembering why it refused a server certificate (fred reports
/// a failed handshake as an I/O error).
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Arc<Mutex<Option<String>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Err(err) = &result {
            tracing::warn!(error = %err, "the Redis server's certificate is not trusted");
            if let Ok(mut verdict) = self.verdict.lock() {
                *verdict = Some(err.to_string());
            }
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Removes the URL's secrets from a third-party message (fred's errors are not expected to
/// repeat them; this makes sure).
struct Scrub(Vec<String>);

impl Scrub {
    fn new(url: &RedisUrl) -> Self {
        let full = url.url_with_credentials();
        let mut secrets: Vec<String> = full.password().map(str::to_owned).into_iter().collect();
        secrets.extend(
            full.query_pairs()
                .filter(|(name, _)| name.to_ascii_lowercase().contains("password"))
                .map(|(_, value)| value.into_owned()),
        );
        let decoded: Vec<String> = secrets
            .iter()
            .filter_map(|secret| percent_encoding::percent_decode_str(secret).decode_utf8().ok())
            .map(std::borrow::Cow::into_owned)
            .collect();
        secrets.extend(decoded);
        secrets.retain(|secret| !secret.is_empty());
        Self(secrets)
    }

    fn text(&self, message: &str) -> String {
        self.0.iter().fold(message.to_owned(), |text, secret| text.replace(secret, "[redacted]"))
    }
}

/// Why [`redis_store`] or [`redis_store_from_settings`] failed. The messages never include
/// the URL's credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedisConnectError {
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL: {0}")]
    Url(String),
    /// The settings name no Redis (`session.redis_url` is not set).
    #[error("session.redis_url is not set: name the Redis that keeps the sessions")]
    NotConfigured,
    /// The TLS configuration could not be built (no root certificates, a CA that rustls
    /// refuses).
    #[error("cannot set up TLS for Redis: {0}")]
    Tls(String),
    /// The server's TLS certificate is not signed by a trusted certificate authority, or does
    /// not name the host.
    #[error(
        "the Redis server's certificate is not trusted ({0}): name the CA that signs it in \
         session.redis_ca_file, and connect with the host name the certificate names"
    )]
    UntrustedCertificate(String),
    /// The server refused the user name or password of the URL.
    #[error("Redis refused the credentials of session.redis_url: {0}")]
    Auth(String),
    /// The first connection failed.
    #[error("cannot connect to Redis: {0}")]
    Connect(String),
}

/// Sessions in Redis, shared by every replica (made by [`redis_store`], or
/// [`new`](Self::new) on a `fred` pool of your own).
///
/// Each session is one key, `okta-session:<id>`, that Redis expires with the session. A write
/// never brings back a session that was deleted or has expired: `save` is `SET ... XX`, and a
/// write that finds no key is dropped, not an error. So a request in flight when the user signs
/// out on any replica cannot undo the sign-out.
#[derive(Clone)]
pub struct RedisSessionStore {
    pool: Pool,
}

impl RedisSessionStore {
    /// A store on a connected `fred` pool (`okta_flow::upstream::fred`), for client settings
    /// [`redis_store`] does not offer.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// The pool the store uses.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    async fn set(&self, record: &Record, option: SetOptions) -> session_store::Result<bool> {
        let value = serde_json::to_vec(record)
            .map_err(|err| session_store::Error::Encode(err.to_string()))?;
        let expire = Expiration::EXAT(record.expiry_date.unix_timestamp());
        let reply: Value = self
            .pool
            .set(key(&record.id), value.as_slice(), Some(expire), Some(option), false)
            .await
            .map_err(backend)?;
        Ok(!reply.is_null())
    }
}

impl fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's configuration holds the password: never shown.
        f.debug_struct("RedisSessionStore").finish_non_exhaustive()
    }
}

fn key(id: &Id) -> String {
    format!("{KEY_PREFIX}{id}")
}

#[allow(clippy::needless_pass_by_value, reason = "called as `map_err(backend)`")]
fn backend(err: fred::error::Error) -> session_store::Error {
    // fred's errors name the command and the server, never the URL's password.
    session_store::Error::Backend(format!("Redis: {err}"))
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // 128 random bits: a collision is not expected, but a few attempts cost nothing.
        for _ in 0..4 {
            if self.set(record, SetOptions::NX).await? {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(session_store::Error::Backend("no free session id after 4 attempts".to_owned()))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if !self.set(record, SetOptions::XX).await? {
            // Deleted (a sign-out) or expired while the request ran: it stays ended.
            tracing::debug!("a write to a session that has ended was dropped");
        }
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let data: Option<Vec<u8>> = self.pool.get(key(session_id)).await.map_err(backend)?;
        data.map(|data| {
            serde_json::from_slice(&data)
                .map_err(|err| session_store::Error::Decode(err.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        let _: Value = self.pool.del(key(session_id)).await.map_err(backend)?;
        Ok(())
    }
}
