//! [`SealedStore`]: every session record encrypted (AES-256-GCM) and stored under a keyed digest
//! of its id, whatever store holds it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::SessionKeys;

/// The one field of a stored record: the sealed session data.
const SEALED_FIELD: &str = "okta.sealed";

/// A session store that encrypts what it writes to the store it wraps: the record's data is
/// sealed with AES-256-GCM under the current [`SessionKeys`] key (bound to its slot, so it
/// cannot be moved to another session), and the record is stored under HMAC-SHA256 of the
/// session id, so a copy of the store (a Redis dump, a backup) yields neither a session id that
/// a browser could present nor a token.
///
/// [`OktaAuth::layer`](crate::axum::OktaAuth::layer) wraps every store in it, with the keys of
/// the [`OktaClient`](crate::OktaClient). Sessions written under a previous key are read and
/// updated in place (their data re-encrypted with the current key) until they end; a session
/// whose key was removed from the settings has ended.
pub struct SealedStore<Store> {
    store: Arc<Store>,
    keys: SessionKeys,
}

impl<Store> SealedStore<Store> {
    /// Wraps `store`, encrypting with `keys`.
    pub fn new(store: Store, keys: SessionKeys) -> Self {
        Self { store: Arc::new(store), keys }
    }

    /// The store that holds the sealed records.
    pub fn inner(&self) -> &Store {
        &self.store
    }
}

impl<Store> Clone for SealedStore<Store> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), keys: self.keys.clone() }
    }
}

impl<Store: fmt::Debug> fmt::Debug for SealedStore<Store> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedStore").field("store", &self.store).field("keys", &self.keys).finish()
    }
}

/// The low byte of an id: the tag of the key the session was created under.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "the low byte")]
fn tag_of(id: Id) -> u8 {
    (id.0 & 0xff) as u8
}

impl<Store: SessionStore> SealedStore<Store> {
    /// The id the record of session `id` is stored under with key `index`.
    fn slot(&self, index: usize, id: Id) -> Id {
        Id(i128::from_le_bytes(self.keys.digest(index, &id.0.to_le_bytes())))
    }

    /// The stored form of `record` under `slot`.
    fn seal(&self, record: &Record, slot: Id) -> session_store::Result<Record> {
        let plaintext = serde_json::to_vec(&record.data)
            .map_err(|err| session_store::Error::Encode(err.to_string()))?;
        let sealed = self
            .keys
            .seal(&plaintext, &slot.0.to_le_bytes())
            .map_err(|err| session_store::Error::Encode(err.to_string()))?;
        Ok(Record {
            id: slot,
            data: HashMap::from([(SEALED_FIELD.to_owned(), Value::String(sealed))]),
            expiry_date: record.expiry_date,
        })
    }

    /// The data of a stored record, if a key opens it.
    fn open(&self, stored: &Record) -> Option<HashMap<String, Value>> {
        let sealed = stored.data.get(SEALED_FIELD)?.as_str()?;
        let plaintext = self.keys.open(sealed, &stored.id.0.to_le_bytes())?;
        serde_json::from_slice(&plaintext).ok()
    }

    /// A fresh session id that carries the current key's tag.
    fn new_id(&self) -> Id {
        let random = Id::default().0;
        Id((random & !0xff) | i128::from(self.keys.current_tag()))
    }
}

/// Records single-use markers in the shared store (see [`SealedStore::mark_used`]).
#[async_trait]
pub(crate) trait MarkUsed: Send + Sync {
    /// `true` the first time `marker` is marked, `false` after that, until `expiry`.
    async fn mark_used(
        &self,
        marker: &[u8],
        expiry: tower_sessions::cookie::time::OffsetDateTime,
    ) -> session_store::Result<bool>;

    /// Removes the marker, so that `mark_used` succeeds again.
    async fn unmark(&self, marker: &[u8]) -> session_store::Result<()>;
}

#[async_trait]
impl<Store: SessionStore> MarkUsed for SealedStore<Store> {
    /// Records `marker` as used until `expiry`: `true` the first time, `false` when the store
    /// already holds it (on any replica sharing the store). The store's `create`, which never
    /// overwrites a record, makes the check and the write one step.
    async fn mark_used(
        &self,
        marker: &[u8],
        expiry: tower_sessions::cookie::time::OffsetDateTime,
    ) -> session_store::Result<bool> {
        let mut message = b"used:".to_vec();
        message.extend_from_slice(marker);
        let slot = Id(i128::from_le_bytes(self.keys.digest(0, &message)));
        let mut record = Record {
            id: slot,
            data: HashMap::from([(SEALED_FIELD.to_owned(), Value::Bool(true))]),
            expiry_date: expiry,
        };
        self.store.create(&mut record).await?;
        if record.id == slot {
            return Ok(true);
        }
        // The store moved the record to a fresh id: the marker was there already.
        self.store.delete(&record.id).await?;
        Ok(false)
    }

    async fn unmark(&self, marker: &[u8]) -> session_store::Result<()> {
        let mut message = b"used:".to_vec();
        message.extend_from_slice(marker);
        self.store.delete(&Id(i128::from_le_bytes(self.keys.digest(0, &message)))).await
    }
}

#[async_trait]
impl<Store: SessionStore> SessionStore for SealedStore<Store> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        for _ in 0..4 {
            record.id = self.new_id();
            let slot = self.slot(0, record.id);
            let mut stored = self.seal(record, slot)?;
            self.store.create(&mut stored).await?;
            if stored.id == slot {
                return Ok(());
            }
            // A slot in use (not expected with 120 random bits): free the stray record, retry.
            self.store.delete(&stored.id).await?;
        }
        Err(session_store::Error::Backend("no free session id after 4 attempts".to_owned()))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let candidates: Vec<usize> = self.keys.with_tag(tag_of(record.id)).collect();
        let index = match candidates.as_slice() {
            [] => return Ok(()), // its key was removed: the session has ended
            [only] => *only,
            // Two keys with one tag (1 in 256 after a rotation): the one holding the record.
            several => {
                let mut found = None;
                for &index in several {
                    if self.store.load(&self.slot(index, record.id)).await?.is_some() {
                        found = Some(index);
                        break;
                    }
                }
                let Some(index) = found else { return Ok(()) };
                index
            }
        };
        let slot = self.slot(index, record.id);
        // Re-encrypted with the current key, in the place the session already has.
        self.store.save(&self.seal(record, slot)?).await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        for index in self.keys.with_tag(tag_of(*session_id)) {
            let Some(stored) = self.store.load(&self.slot(index, *session_id)).await? else {
                continue;
            };
            let Some(data) = self.open(&stored) else {
                tracing::warn!("a stored session cannot be decrypted with the session keys");
                return Ok(None);
            };
            return Ok(Some(Record { id: *session_id, data, expiry_date: stored.expiry_date }));
        }
        Ok(None)
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        for index in self.keys.with_tag(tag_of(*session_id)).collect::<Vec<_>>() {
            self.store.delete(&self.slot(index, *session_id)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tower_sessions::cookie::time::{Duration, OffsetDateTime};
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::SessionStore as _;

    use super::SealedStore;
    use crate::SessionKeys;
    use crate::axum::MemoryStore;

    const A: &[u8] = b"key A: at least thirty-two bytes of secret";
    const B: &[u8] = b"key B: at least thirty-two bytes of secret";

    fn record() -> Record {
        Record {
            id: Id::default(),
            data: HashMap::from([("token".to_owned(), serde_json::json!("secret-token-value"))]),
            expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn a_rotation_keeps_sessions_until_the_old_key_is_removed() {
        let inner = MemoryStore::new();
        let before = SealedStore::new(inner.clone(), SessionKeys::from_secrets(A, &[]));
        let mut session = record();
        before.create(&mut session).await.expect("create");

        let rotated = SealedStore::new(inner.clone(), SessionKeys::from_secrets(B, &[A]));
        let loaded = rotated.load(&session.id).await.expect("load").expect("still signed in");
        assert_eq!(loaded.data, session.data);
        session.data.insert("n".to_owned(), serde_json::json!(2));
        rotated.save(&session).await.expect("save");
        assert_eq!(inner.len(), 1, "updated in place, not copied");
        let loaded = rotated.load(&session.id).await.expect("load").expect("signed in");
        assert_eq!(loaded.data["n"], 2);
        // Re-encrypted with the new key: a replica with the old key alone cannot read it.
        assert!(before.load(&session.id).await.expect("load").is_none());

        let removed = SealedStore::new(inner.clone(), SessionKeys::from_secrets(B, &[]));
        assert!(removed.load(&session.id).await.expect("load").is_none(), "the old key is gone");
        removed.save(&session).await.expect("a save of an ended session is not an error");
        rotated.delete(&session.id).await.expect("delete");
        assert!(inner.is_empty());
    }

    #[tokio::test]
    async fn a_record_moved_to_another_slot_does_not_open() {
        let inner = MemoryStore::new();
        let store = SealedStore::new(inner.clone(), SessionKeys::from_secrets(A, &[]));
        let (mut first, mut second) = (record(), record());
        store.create(&mut first).await.expect("create");
        store.create(&mut second).await.expect("create");
        // An attacker with write access to the store copies one sealed record over the other.
        let raw = inner.raw_records();
        let mut moved = raw[0].clone();
        moved.id = raw[1].id;
        inner.save(&moved).await.expect("save");
        let opened = [
            store.load(&first.id).await.expect("load"),
            store.load(&second.id).await.expect("load"),
        ];
        assert_eq!(opened.iter().filter(|record| record.is_some()).count(), 1);
    }
}
