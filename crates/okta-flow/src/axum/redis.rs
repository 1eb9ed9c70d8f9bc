//! A Redis session store, for services that run several replicas (feature `redis`).

use std::time::Duration;

use tower_sessions_redis_store::fred::prelude::{
    ClientLike as _, Config, ConnectionConfig, PerformanceConfig, Pool, ReconnectPolicy,
};

use tower_sessions_redis_store::RedisStore;

/// How long one Redis command may take before the request fails (and the user sees a 503
/// rather than a hung page).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

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
) -> Result<RedisStore<Pool>, RedisConnectError> {
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
    Ok(RedisStore::new(pool))
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
