//! [`MemoryStore`]: the session store of a single process, bounded, and safe against a request
//! that writes a session after it ended.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The number of sessions a [`MemoryStore`] holds by default.
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;

/// Sessions in the memory of one process: for a single replica and for development.
///
/// Unlike `tower_sessions::MemoryStore`:
/// - a write never brings back a session that was deleted or has expired (`save` only updates a
///   live record), so a request that was in flight when the user signed out cannot undo the
///   sign-out;
/// - expired records are purged (each new session first removes the expired ones), and the
///   store holds at most [`capacity`](Self::with_capacity) sessions: when it is full, the
///   session closest to its expiry is dropped (that user signs in again) and a warning is
///   logged.
///
/// Cheap to clone: clones share the sessions.
#[derive(Clone)]
pub struct MemoryStore {
    records: Arc<Mutex<Records>>,
    capacity: usize,
}

#[derive(Default)]
struct Records {
    by_id: HashMap<i128, Record>,
    /// Every record's expiry, soonest first, to purge and evict without a scan.
    by_expiry: BTreeSet<(OffsetDateTime, i128)>,
}

impl Records {
    fn insert(&mut self, record: Record) {
        let (id, expiry) = (record.id.0, record.expiry_date);
        if let Some(previous) = self.by_id.insert(id, record) {
            self.by_expiry.remove(&(previous.expiry_date, id));
        }
        self.by_expiry.insert((expiry, id));
    }

    fn remove(&mut self, id: i128) {
        if let Some(previous) = self.by_id.remove(&id) {
            self.by_expiry.remove(&(previous.expiry_date, id));
        }
    }

    /// Removes the records that expired at or before `now`.
    fn purge(&mut self, now: OffsetDateTime) -> usize {
        let mut purged = 0;
        while let Some(&(expiry, id)) = self.by_expiry.first() {
            if expiry > now {
                break;
            }
            self.by_expiry.pop_first();
            self.by_id.remove(&id);
            purged += 1;
        }
        purged
    }
}

impl MemoryStore {
    /// A store of at most [`DEFAULT_MEMORY_CAPACITY`] sessions.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_MEMORY_CAPACITY)
    }

    /// A store of at most `capacity` sessions (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self { records: Arc::default(), capacity: capacity.max(1) }
    }

    /// The most sessions the store holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many records the store holds now, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every record as stored (tests read what a copy of the store would hold).
    #[cfg(test)]
    pub(crate) fn raw_records(&self) -> Vec<Record> {
        self.lock().by_id.values().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // No code panics while holding the lock; if one did, the map is still consistent.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = OffsetDateTime::now_utc();
        let mut records = self.lock();
        let purged = records.purge(now);
        if purged > 0 {
            tracing::debug!(purged, "expired sessions purged from memory");
        }
        while records.by_id.contains_key(&record.id.0) {
            record.id = Id::default();
        }
        while records.by_id.len() >= self.capacity {
            let Some(&(_, oldest)) = records.by_expiry.first() else { break };
            records.remove(oldest);
            tracing::warn!(
                capacity = self.capacity,
                "the memory session store is full: the session closest to its expiry was dropped"
            );
        }
        records.insert(record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let now = OffsetDateTime::now_utc();
        let mut records = self.lock();
        let live = records.by_id.get(&record.id.0).is_some_and(|stored| stored.expiry_date > now);
        if live {
            records.insert(record.clone());
        } else {
            // Deleted (a sign-out) or expired while the request ran: it stays ended.
            records.remove(record.id.0);
            tracing::debug!("a write to a session that has ended was dropped");
        }
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        let mut records = self.lock();
        match records.by_id.get(&session_id.0) {
            Some(record) if record.expiry_date > now => Ok(Some(record.clone())),
            Some(_) => {
                records.remove(session_id.0);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.lock().remove(session_id.0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tower_sessions::cookie::time::{Duration, OffsetDateTime};
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::SessionStore as _;

    use super::MemoryStore;

    fn record(expires_in: Duration) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::from([("k".to_owned(), serde_json::json!(1))]),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn a_save_after_a_delete_does_not_bring_the_record_back() {
        let store = MemoryStore::new();
        let mut created = record(Duration::hours(1));
        store.create(&mut created).await.expect("create");
        store.delete(&created.id).await.expect("delete");
        store.save(&created).await.expect("a save of an ended session is not an error");
        assert!(store.load(&created.id).await.expect("load").is_none());
        assert!(store.is_empty());
    }

    #[tokio::test]
    async fn a_save_updates_a_live_record() {
        let store = MemoryStore::new();
        let mut created = record(Duration::hours(1));
        store.create(&mut created).await.expect("create");
        created.data.insert("k".to_owned(), serde_json::json!(2));
        store.save(&created).await.expect("save");
        let loaded = store.load(&created.id).await.expect("load").expect("live");
        assert_eq!(loaded.data["k"], 2);
    }

    #[tokio::test]
    async fn expired_records_are_purged_and_the_store_is_bounded() {
        let store = MemoryStore::with_capacity(3);
        // Records that expired while the store held them (a create purges first).
        for _ in 0..3 {
            store.lock().insert(record(Duration::seconds(-1)));
        }
        assert_eq!(store.len(), 3);
        let mut live = record(Duration::hours(1));
        store.create(&mut live).await.expect("create");
        assert_eq!(store.len(), 1, "the expired records were purged");

        let mut soonest = record(Duration::minutes(5));
        store.create(&mut soonest).await.expect("create");
        store.create(&mut record(Duration::hours(2))).await.expect("create");
        assert_eq!(store.len(), 3);
        let mut newest = record(Duration::hours(3));
        store.create(&mut newest).await.expect("create");
        assert_eq!(store.len(), 3, "never more than the capacity");
        assert!(store.load(&soonest.id).await.expect("load").is_none(), "the soonest was dropped");
        assert!(store.load(&live.id).await.expect("load").is_some());
        assert!(store.load(&newest.id).await.expect("load").is_some());
    }

    #[tokio::test]
    async fn an_expired_record_is_not_loaded_nor_saved() {
        let store = MemoryStore::new();
        let mut expired = record(Duration::seconds(-1));
        store.create(&mut expired).await.expect("create");
        assert!(store.load(&expired.id).await.expect("load").is_none());
        store.save(&expired).await.expect("save");
        assert!(store.is_empty());
    }
}
