//! The optional verified-token caches: a busy service pays the signature check (or the
//! introspection call) once per token.
//!
//! [`VerifiedCache`] (access tokens verified locally) is keyed by the token itself: a hit costs one
//! keyed fast hash and one comparison, no cryptographic hash. [`TokenCache`] (introspection) is
//! keyed by the SHA-256 of the token, because it also remembers refused strings, which anyone can
//! send: 32 bytes each whatever their length. Entries never outlive their `exp`, and are dropped
//! when the key set changes.

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

/// The verified-token cache of [`AccessTokenVerifier`](crate::AccessTokenVerifier): keyed by the
/// token itself, hashed once per lookup with a keyed fast hasher (foldhash, seeded at random per
/// process) and compared in full, so a hit costs no cryptographic hash and a hash collision can
/// never return another token's claims.
///
/// Only tokens that verified are inserted, so the memory held is at most `capacity` real tokens
/// (about 1.2 KB each for an Okta access token) and their claims.
pub(crate) struct VerifiedCache<T> {
    entries: quick_cache::sync::Cache<Box<str>, Entry<T>>,
}

impl<T: Clone> VerifiedCache<T> {
    pub(crate) fn new(options: &TokenCacheOptions) -> Self {
        Self { entries: quick_cache::sync::Cache::new(options.capacity.max(1)) }
    }

    /// The cached value, if `token` is cached, not expired and verified with the current keys.
    /// The cached value and its `exp`, if `token` is cached, not expired and verified with the
    /// current keys.
    pub(crate) fn get_entry(&self, token: &str, now: i64, generation: u64) -> Option<(T, i64)> {
        let entry = self.entries.get(token)?;
        if now < entry.exp && entry.generation == generation {
            Some((entry.value, entry.exp))
        } else {
            self.entries.remove(token);
            None
        }
    }

    pub(crate) fn insert(&self, token: &str, value: T, exp: i64, generation: u64) {
        self.entries.insert(token.into(), Entry { value, exp, generation });
    }
}

impl<T: Clone> std::fmt::Debug for VerifiedCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCache").field("len", &self.entries.len()).finish_non_exhaustive()
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

/// Slots of a thread's [`NearCache`].
const NEAR_SLOTS: usize = 32;

/// A small per-thread cache in front of a [`VerifiedCache`], so that cache hits on several
/// threads share no memory that they write: the shared cache's shard lock and the reference
/// count of the shared value are written by every hit, and on two cores that cache-line traffic,
/// not the lookup, bounded the speed-up of a second thread.
///
/// Direct-mapped: the slot is chosen by a few characters of the signature (which only spreads
/// tokens; the token is compared in full), and a new token overwrites the slot. Each entry holds
/// the thread's own copy of the verified value, made once per token and thread. Entries carry
/// the verifier they belong to (an id never reused) and obey the same `exp` and key-generation
/// rules as the shared cache.
pub(crate) struct NearCache<T> {
    slots: Vec<Option<NearEntry<T>>>,
}

struct NearEntry<T> {
    verifier: u64,
    token: Box<str>,
    entry: Entry<T>,
}

impl<T: Clone> NearCache<T> {
    pub(crate) fn new() -> Self {
        Self { slots: (0..NEAR_SLOTS).map(|_| None).collect() }
    }

    fn slot(token: &str) -> usize {
        // The last characters are the signature's: spread evenly for any real token.
        let bytes = token.as_bytes();
        let at = |back: usize| bytes.len().checked_sub(back).map_or(0, |index| bytes[index]);
        (usize::from(at(3)) * 31 + usize::from(at(7)) * 7 + usize::from(at(11))) % NEAR_SLOTS
    }

    /// The value for `token` of verifier `verifier`, under the rules of [`VerifiedCache::get_entry`].
    pub(crate) fn get(&self, verifier: u64, token: &str, now: i64, generation: u64) -> Option<T> {
        let near = self.slots[Self::slot(token)].as_ref()?;
        (near.verifier == verifier
            && *near.token == *token
            && now < near.entry.exp
            && near.entry.generation == generation)
            .then(|| near.entry.value.clone())
    }

    /// Remembers `value` (the thread's own copy) for `token`, replacing the slot's entry.
    pub(crate) fn insert(
        &mut self,
        verifier: u64,
        token: &str,
        value: T,
        exp: i64,
        generation: u64,
    ) {
        let slot = Self::slot(token);
        self.slots[slot] = Some(NearEntry {
            verifier,
            token: token.into(),
            entry: Entry { value, exp, generation },
        });
    }
}
