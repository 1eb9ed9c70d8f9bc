//! The optional verified-token cache: a busy service pays the signature check once per token.
//!
//! Entries are keyed by the SHA-256 of the whole token (SHA-NI makes this a fraction of a
//! microsecond), never outlive the token's `exp`, and are dropped when the key set changes.

use aws_lc_rs::digest::{self, SHA256};

/// Options of the verified-token cache.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenCacheOptions {
    /// Most tokens kept. Defaults to 10,000.
    pub capacity: usize,
}

impl Default for TokenCacheOptions {
    fn default() -> Self {
        Self { capacity: 10_000 }
    }
}

/// A bounded map from token digest to a verified value.
pub(crate) struct TokenCache<T> {
    entries: quick_cache::sync::Cache<[u8; 32], Entry<T>>,
}

#[derive(Clone)]
struct Entry<T> {
    value: T,
    /// The token's `exp`: the entry is not used at or after it.
    exp: i64,
    /// The key-set generation the token verified with.
    generation: u64,
}

impl<T: Clone> TokenCache<T> {
    pub(crate) fn new(options: &TokenCacheOptions) -> Self {
        Self { entries: quick_cache::sync::Cache::new(options.capacity.max(1)) }
    }

    /// The digest a token is cached under.
    pub(crate) fn key(token: &str) -> [u8; 32] {
        let mut key = [0_u8; 32];
        key.copy_from_slice(digest::digest(&SHA256, token.as_bytes()).as_ref());
        key
    }

    /// The cached value, if the token is cached, not expired and verified with the current keys.
    pub(crate) fn get(&self, key: &[u8; 32], now: i64, generation: u64) -> Option<T> {
        let entry = self.entries.get(key)?;
        if now < entry.exp && entry.generation == generation {
            Some(entry.value)
        } else {
            self.entries.remove(key);
            None
        }
    }

    /// The number of entries (for tests of the bounds).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn insert(&self, key: [u8; 32], value: T, exp: i64, generation: u64) {
        self.entries.insert(key, Entry { value, exp, generation });
    }
}

impl<T: Clone> std::fmt::Debug for TokenCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache").field("len", &self.entries.len()).finish_non_exhaustive()
    }
}
