//! What the reads of one refresh (and the plan after it) share in a
//! provider process: the assignments of each account and permission set,
//! the lease names of the schedule group, and each lease, each looked up
//! once (single-flight per key; no lock held across an AWS call).
//!
//! A refresh of N grants over A accounts × P permission sets then costs
//! `ListAccountAssignments` × (A × P), `ListSchedules` × (pages of the
//! group), and `GetSchedule` once per lease of an assigned access, instead
//! of one `ListAccountAssignments` and one `GetSchedule` per grant.
//!
//! Terraform starts a new provider process for each plan and each apply,
//! so these answers live for one plan. Creates and revokes read afresh under
//! their key's lock and then [`ReadCache::forget`] what they changed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use super::lease::{find_lease, Lease};
use super::resolve::is_assigned;
use crate::aws::cache::KeyedCache;
use crate::context::Ctx;
use crate::error::Error;
use crate::policy::lease::{parse_lease_name, AssignmentKey};

/// Prefix shared by every lease name (and notice name) of this provider.
const LEASE_NAME_PREFIX: &str = "jit-";

/// `(instance, account, permission set)`.
type Scope = (String, String, String);

/// The per-process read cache of `jit_grant`.
#[derive(Debug, Default)]
pub struct ReadCache {
    assignments: KeyedCache<Scope, Arc<Vec<(String, String)>>>,
    names: KeyedCache<String, Arc<Vec<String>>>,
    leases: KeyedCache<String, Option<Lease>>,
    /// Leases named by a grant in state that this process refreshed or
    /// planned: never taken over by a create as a dead run's (the create
    /// half of a replacement sees its predecessor's lease).
    held: Mutex<HashSet<String>>,
}

fn scope(key: &AssignmentKey) -> Scope {
    (
        key.instance_arn.clone(),
        key.target_id.clone(),
        key.permission_set_arn.clone(),
    )
}

impl ReadCache {
    /// Notes that a grant in state names the lease `name`.
    pub fn hold(&self, name: &str) {
        if !name.is_empty() {
            self.held
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(name.to_string());
        }
    }

    /// Whether a grant in state this process has seen names `name`.
    pub fn is_held(&self, name: &str) -> bool {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(name)
    }

    /// `(principal type, principal id)` of every assignment of the key's
    /// permission set in the key's account.
    pub async fn assigned_principals(
        &self,
        ctx: &Ctx,
        key: &AssignmentKey,
    ) -> Result<Arc<Vec<(String, String)>>, Error> {
        self.assignments
            .get_or_try_init(scope(key), || async {
                Ok(Arc::new(
                    ctx.aws.sso_admin().list_account_assignments(key).await?,
                ))
            })
            .await
    }

    /// Whether the key's principal holds the key's assignment.
    pub async fn is_assigned(&self, ctx: &Ctx, key: &AssignmentKey) -> Result<bool, Error> {
        Ok(is_assigned(&self.assigned_principals(ctx, key).await?, key))
    }

    /// The lease names of the schedule group (one listing per process).
    async fn lease_names(&self, ctx: &Ctx) -> Result<Arc<Vec<String>>, Error> {
        let group = ctx.config.schedule_group.clone();
        self.names
            .get_or_try_init(group.clone(), || async move {
                let names = ctx
                    .aws
                    .scheduler()
                    .list_schedule_names(&group, LEASE_NAME_PREFIX)
                    .await?;
                Ok(Arc::new(
                    names
                        .into_iter()
                        .filter(|name| parse_lease_name(name).is_some())
                        .collect(),
                ))
            })
            .await
    }

    /// The lease of this name; `None` when there is no such schedule or it
    /// is not a lease.
    pub async fn lease(&self, ctx: &Ctx, name: &str) -> Result<Option<Lease>, Error> {
        self.leases
            .get_or_try_init(name.to_string(), || find_lease(ctx, name))
            .await
    }

    /// Every lease of an assignment key (found by name prefix in the group
    /// listing, confirmed by the target's input).
    pub async fn leases_of(&self, ctx: &Ctx, key: &AssignmentKey) -> Result<Vec<Lease>, Error> {
        let prefix = key.lease_prefix();
        let names = self.lease_names(ctx).await?;
        let mut leases = Vec::new();
        for name in names.iter().filter(|name| name.starts_with(&prefix)) {
            if let Some(lease) = self.lease(ctx, name).await?.filter(|l| l.key == *key) {
                leases.push(lease);
            }
        }
        Ok(leases)
    }

    /// Forgets what this process changed for `key`: its account and
    /// permission set's assignments, the group listing and its leases.
    pub fn forget(&self, key: &AssignmentKey) {
        let changed = scope(key);
        self.assignments.forget(|scope| *scope == changed);
        self.names.forget(|_| true);
        let prefix = key.lease_prefix();
        self.leases.forget(|name| name.starts_with(&prefix));
    }
}
