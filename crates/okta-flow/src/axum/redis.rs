//! A Redis session store, for services that run several replicas (feature `redis`).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_redis_store::fred::prelude::{
    ClientLike as _, Config, ConnectionConfig, KeysInterface as _, PerformanceConfig, Pool,
    ReconnectPolicy,
};
use tower_sessions_redis_store::fred::types::{Expiration, SetOptions, Value};

/// How long one Redis command may take before the request fails (and the user sees a 503
/// rather than a hung page).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The prefix of every session key in Redis.
const KEY_PREFIX: &str = "okta-session:";

/// Connects a pool of `pool_size` connections to the Redis server at `url`
/// (`redis://[:password@]host:port[/db]`) and returns a session store on it.
///
/// Fails if the first connection fails. Afterwards, lost connections are re-established with
/// exponential backoff (100 ms to 10 s, forever), and each command gives up after two seconds.
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
    let config = Config::from_url(url).map_err(|err| RedisConnectError::Url(err.to_string()))?;
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
            .map_err(|err| RedisConnectError::Connect(err.to_string()))?;
    pool.init().await.map_err(|err| RedisConnectError::Connect(err.to_string()))?;
    Ok(RedisSessionStore::new(pool))
}

/// Why [`redis_store`] failed. The messages never include the URL (it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedisConnectError {
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL: {0}")]
    Url(String),
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
    /// A store on a connected `fred` pool (`okta_flow::upstream::fred`): for TLS, cluster or
    /// sentinel settings of your own.
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
fn backend(err: tower_sessions_redis_store::fred::error::Error) -> session_store::Error {
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
