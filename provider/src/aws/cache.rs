//! A per-process, single-flight cache of AWS answers by key.
//!
//! Each key has its own `OnceCell`: the first caller of a key makes the AWS
//! call while later callers of the same key wait for its answer; callers of
//! other keys are not held up. The map lock is held only to find or insert a
//! key's cell, never across an AWS call. A failed lookup (including "not
//! found") is not kept, so the next caller asks AWS again: an object created
//! later in the same process is then found.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

use crate::error::Error;

/// Answers by key, each looked up at most once at a time.
#[derive(Debug)]
pub struct KeyedCache<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for KeyedCache<K, V> {
    fn default() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> KeyedCache<K, V> {
    /// The cached answer for `key`, or the answer of `lookup`, kept when it
    /// succeeds.
    pub async fn get_or_try_init<F, Fut>(&self, key: K, lookup: F) -> Result<V, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, Error>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(cells.entry(key).or_default())
        };
        cell.get_or_try_init(lookup).await.cloned()
    }

    /// Forgets the answers of every key `stale` selects (after this process
    /// changed what they describe); a lookup in flight finishes for its own
    /// callers, and the next caller asks AWS again.
    pub fn forget(&self, stale: impl Fn(&K) -> bool) {
        let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        cells.retain(|key, _| !stale(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn one_lookup_per_key_failures_are_not_kept() {
        let cache: KeyedCache<&str, u32> = KeyedCache::default();
        let calls = AtomicUsize::new(0);
        let slow = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(7)
        };
        let (a, b) = tokio::join!(
            cache.get_or_try_init("a", slow),
            cache.get_or_try_init("a", slow)
        );
        assert_eq!((a.unwrap(), b.unwrap()), (7, 7));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let missing = cache
            .get_or_try_init("b", || async { Err(Error::NotFound { what: "b".into() }) })
            .await;
        assert!(missing.unwrap_err().is_not_found());
        let found = cache.get_or_try_init("b", || async { Ok(9) }).await;
        assert_eq!(found.unwrap(), 9);
    }

    #[tokio::test]
    async fn forgotten_keys_are_looked_up_again() {
        let cache: KeyedCache<&str, u32> = KeyedCache::default();
        let calls = AtomicUsize::new(0);
        let lookup = || async { Ok(calls.fetch_add(1, Ordering::SeqCst) as u32) };
        assert_eq!(cache.get_or_try_init("a", lookup).await.unwrap(), 0);
        assert_eq!(cache.get_or_try_init("b", lookup).await.unwrap(), 1);
        cache.forget(|key| *key == "a");
        assert_eq!(cache.get_or_try_init("a", lookup).await.unwrap(), 2);
        assert_eq!(cache.get_or_try_init("b", lookup).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_slow_key_does_not_hold_up_another() {
        let cache: KeyedCache<&str, u32> = KeyedCache::default();
        let (gate, wait) = tokio::sync::oneshot::channel::<()>();
        let slow = cache.get_or_try_init("slow", || async {
            let _ = wait.await;
            Ok(1)
        });
        let fast = async {
            let value = cache.get_or_try_init("fast", || async { Ok(2) }).await;
            let _ = gate.send(());
            value
        };
        // `fast` completes while `slow` is still in its lookup; if the map
        // lock were held across the lookup this would never finish.
        let (slow, fast) =
            tokio::time::timeout(Duration::from_secs(5), async { tokio::join!(slow, fast) })
                .await
                .unwrap();
        assert_eq!((slow.unwrap(), fast.unwrap()), (1, 2));
    }
}
