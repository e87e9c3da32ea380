//! Replacement without a gap.
//!
//! When Terraform replaces a block of the same user in the default order
//! (destroy, then create: after a taint, `-replace`, or a failed block), a
//! restore followed by a new block would leave the user unblocked for a
//! moment. The destroy half of a replacement receives the private state
//! `plan_create` produced, which names the planned user; when that is the
//! block's own user, destroy parks the block here instead of restoring it,
//! and the create half (same provider process, same apply) takes it over:
//! it inherits the record and removes the old marker once its own is in
//! place, so the final restore is still exact.
//!
//! With `create_before_destroy` the create comes first; the two blocks
//! coexist for a moment, and the destroy that follows restores as usual:
//! another block is live, so it removes only its own marker. The create is
//! noted here so that this destroy does not park.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Blocks parked by a destroy, and users blocked by a create, in this process.
#[derive(Debug, Default)]
pub(crate) struct Handoff<T> {
    inner: Mutex<Inner<T>>,
}

#[derive(Debug)]
struct Inner<T> {
    parked: HashMap<String, T>,
    created: HashSet<String>,
}

impl<T> Default for Inner<T> {
    fn default() -> Self {
        Self {
            parked: HashMap::new(),
            created: HashSet::new(),
        }
    }
}

impl<T> Handoff<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Parks a block of `user` for the create that follows.
    pub fn park(&self, user: &str, block: T) {
        self.lock().parked.insert(user.to_string(), block);
    }

    /// Takes the block parked for `user`, and notes that `user` was blocked
    /// by a create in this process.
    pub fn take_for_create(&self, user: &str) -> Option<T> {
        let mut inner = self.lock();
        inner.created.insert(user.to_string());
        inner.parked.remove(user)
    }

    /// True when a create in this process already blocked `user`
    /// (`create_before_destroy` order).
    pub fn created(&self, user: &str) -> bool {
        self.lock().created.contains(user)
    }
}

/// One lock per user: the blocks and restores of one user in this process
/// run one at a time, so two blocks of one apply never rewrite the Cognito
/// flag over each other, and two restores never both see the other's
/// marker and leave the user without any. (Between processes, the steps
/// re-read AWS instead; see the module docs of `jit_user_block`.)
#[derive(Debug, Default)]
pub(crate) struct UserLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl UserLocks {
    /// Waits for the lock of `user` (a `Target::user_key`).
    pub async fn lock(&self, user: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(locks.entry(user.to_string()).or_default())
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_order_parks_then_hands_over_once() {
        let handoff = Handoff::default();
        assert!(!handoff.created("iam:mallory"));
        handoff.park("iam:mallory", 7);
        assert_eq!(handoff.take_for_create("iam:mallory"), Some(7));
        assert_eq!(handoff.take_for_create("iam:mallory"), None);
    }

    #[tokio::test]
    async fn blocks_of_one_user_take_turns() {
        let locks = UserLocks::default();
        let first = locks.lock("iam:mallory").await;
        // Another user is not held up.
        let other = locks.lock("iam:eve").await;
        drop(other);
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            locks.lock("iam:mallory"),
        )
        .await;
        assert!(waiting.is_err(), "the second block must wait");
        drop(first);
        let _second = locks.lock("iam:mallory").await;
    }

    #[test]
    fn create_first_is_remembered_for_the_destroy() {
        let handoff: Handoff<u8> = Handoff::default();
        assert_eq!(handoff.take_for_create("iam:mallory"), None);
        assert!(handoff.created("iam:mallory"));
        assert!(!handoff.created("iam:eve"));
    }
}
