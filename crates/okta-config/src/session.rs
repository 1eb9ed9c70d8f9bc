//! The `[session]` settings of a web application: the keys that encrypt its sessions (and their
//! rotation) and the Redis server that shares them between replicas.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use crate::{CaCertificate, InvalidValue};

/// The settings of server-side sessions (`[session]` in `okta.toml`, `OKTA_SESSION__*`).
#[derive(Clone, Debug, Default)]
pub struct SessionSettings {
    pub(crate) key: Option<SessionKey>,
    pub(crate) previous_keys: Vec<SessionKey>,
    pub(crate) redis_url: Option<RedisUrl>,
    pub(crate) redis_ca_file: Option<PathBuf>,
    pub(crate) redis_ca_certificates: Vec<CaCertificate>,
}

impl SessionSettings {
    /// The key that encrypts session data and keys the digests sessions are stored under
    /// (`session.key`). Defaults to none: okta-flow then derives its keys from `cookie_secret`.
    pub fn key(&self) -> Option<&SessionKey> {
        self.key.as_ref()
    }

    /// Keys that encrypted sessions before the current one (`session.previous_keys`): sessions
    /// stored under them are still read until they end. Defaults to none.
    pub fn previous_keys(&self) -> &[SessionKey] {
        &self.previous_keys
    }

    /// Where sessions are shared between replicas (`session.redis_url`). Defaults to none: each
    /// process keeps its sessions in memory.
    pub fn redis_url(&self) -> Option<&RedisUrl> {
        self.redis_url.as_ref()
    }

    /// The file named by `session.redis_ca_file`, if any: PEM certificates of the certificate
    /// authorities that sign the Redis server's certificate (a managed service's own CA). With
    /// it, a `rediss` connection trusts these authorities only; without it, the system's roots.
    pub fn redis_ca_file(&self) -> Option<&Path> {
        self.redis_ca_file.as_deref()
    }

    /// The certificates of [`SessionSettings::redis_ca_file`], read and checked when the
    /// settings load. Empty when the setting is absent.
    pub fn redis_ca_certificates(&self) -> &[CaCertificate] {
        &self.redis_ca_certificates
    }
}

/// A key for server-side sessions: at least 32 random bytes, given in base64. Its `Debug` output
/// is redacted, and it has no `PartialEq`.
#[derive(Clone)]
pub struct SessionKey(Vec<u8>);

impl SessionKey {
    /// The minimum number of decoded bytes.
    pub const MIN_BYTES: usize = 32;

    /// Decodes a base64 (standard or URL-safe, padded or not) key of at least 32 bytes.
    pub fn from_base64(encoded: &str) -> Result<Self, InvalidValue> {
        crate::types::decode_key(encoded).and_then(Self::from_bytes)
    }

    /// Wraps raw key bytes (at least 32 of them).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, InvalidValue> {
        crate::types::check_key_len(&bytes, Self::MIN_BYTES)?;
        Ok(Self(bytes))
    }

    /// The key bytes. Call this only to derive encryption keys.
    pub fn secret(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey([redacted])")
    }
}

/// How a [`RedisUrl`] reaches Redis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RedisTopology {
    /// A Redis Cluster (`redis-cluster://`, `rediss-cluster://`): the URL's host and every
    /// `node` parameter are seed nodes.
    Cluster,
    /// A primary found through Redis Sentinel (`redis-sentinel://`, `rediss-sentinel://`): the
    /// URL's host and every `node` parameter are sentinels, `sentinelServiceName` names the
    /// primary.
    Sentinel,
    /// One server (`redis://`, `rediss://`).
    Single,
}

/// The URL of the Redis server (or cluster, or sentinels) that keeps sessions:
/// `redis[s]://[[user:]password@]host[:port][/db]`, `redis[s]-cluster://...?node=host:port`
/// or `redis[s]-sentinel://...?sentinelServiceName=name&node=host:port`. The `s` schemes use
/// TLS.
///
/// `Debug` and `Display` show the credentials (and a `sentinelPassword`) as `[redacted]`; only
/// [`RedisUrl::url_with_credentials`] gives them, for the client that connects.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(Url);

impl RedisUrl {
    /// Parses a Redis URL (see the type's documentation for the forms).
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let shown = redact(text);
        if text.trim() != text || text.is_empty() {
            return Err(InvalidValue::new(format!(
                "{shown:?} is not a Redis URL: remove the surrounding spaces"
            )));
        }
        let url = Url::parse(text).map_err(|err| {
            InvalidValue::new(format!(
                "{shown:?} is not a Redis URL ({err}): write redis://host:6379, rediss://host:6380, \
                 redis-cluster://host:7000 or redis-sentinel://host:26379?sentinelServiceName=name"
            ))
        })?;
        if !matches!(
            url.scheme(),
            "redis"
                | "rediss"
                | "redis-cluster"
                | "rediss-cluster"
                | "redis-sentinel"
                | "rediss-sentinel"
        ) {
            return Err(InvalidValue::new(format!(
                "{shown:?} uses the scheme {:?}: a Redis URL starts with redis://, rediss:// (TLS), \
                 redis-cluster://, rediss-cluster://, redis-sentinel:// or rediss-sentinel://",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(InvalidValue::new(format!("{shown:?} has no host")));
        }
        if url.fragment().is_some() {
            return Err(InvalidValue::new(format!("{shown:?} has a fragment (#...)")));
        }
        let parsed = Self(url);
        if parsed.topology() == RedisTopology::Sentinel
            && !parsed
                .0
                .query_pairs()
                .any(|(name, value)| name == "sentinelServiceName" && !value.is_empty())
        {
            return Err(InvalidValue::new(format!(
                "{shown:?} names no primary: add ?sentinelServiceName=<the name the sentinels \
                 monitor>"
            )));
        }
        Ok(parsed)
    }

    /// The full URL, credentials included: hand it to the Redis client, never to a log line (use
    /// `Display` for that).
    pub fn url_with_credentials(&self) -> &Url {
        &self.0
    }

    /// Whether connections use TLS (`rediss`).
    pub fn uses_tls(&self) -> bool {
        self.0.scheme().starts_with("rediss")
    }

    /// One server, a cluster or a primary behind sentinels.
    pub fn topology(&self) -> RedisTopology {
        let scheme = self.0.scheme();
        if scheme.ends_with("-cluster") {
            RedisTopology::Cluster
        } else if scheme.ends_with("-sentinel") {
            RedisTopology::Sentinel
        } else {
            RedisTopology::Single
        }
    }

    /// The password in the URL (`redis://:password@host`), if any: for the client that
    /// connects, and for scrubbing it from a third-party error message.
    pub fn password(&self) -> Option<&str> {
        self.0.password()
    }

    /// Whether the URL carries a user name or password.
    pub fn has_credentials(&self) -> bool {
        !self.0.username().is_empty() || self.0.password().is_some()
    }
}

impl fmt::Display for RedisUrl {
    /// `scheme://[redacted]@host:port/db?...`, with `sentinelPassword` redacted too.
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
        if url.path() != "/" && !url.path().is_empty() {
            f.write_str(url.path())?;
        }
        let mut first = true;
        for (name, value) in url.query_pairs() {
            f.write_str(if first { "?" } else { "&" })?;
            first = false;
            if name.to_ascii_lowercase().contains("password") {
                write!(f, "{name}=[redacted]")?;
            } else {
                write!(f, "{name}={value}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

/// `text` with what sits between `://` and `@` replaced, and every query value whose name says
/// password, for problems about a URL that did not parse.
fn redact(text: &str) -> String {
    let (scheme, rest) = text.split_once("://").map_or(("", text), |(s, r)| (s, r));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("[redacted]@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                        format!("{name}=[redacted]")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    let scheme = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
    format!("{scheme}{authority}{tail}")
}

#[cfg(test)]
mod tests;
