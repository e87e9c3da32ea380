//! Blocking an IAM Identity Center user: the user's id goes into the
//! provider's deny statement (`policy::session_deny`) in the inline policy
//! of every permission set of the instance, together with the block's
//! marker and its record (marked pending until the block's last step:
//! `block.rs`); then the permission sets are provisioned to the
//! accounts they are provisioned to or assigned in (one provisioning per
//! account at a time), which stops the user's live role sessions within
//! AWS's propagation time; the user's group memberships and account
//! assignments are removed, every step attempted even when one fails.
//!
//! Restore: while another block of the user is live, only this block's
//! marker leaves the statement (its record stays for the last one). The
//! last restore re-adds every recorded membership whose group still exists
//! (group id) and re-creates every recorded assignment whose permission set
//! still exists (permission set id), except a JIT grant's assignment whose
//! lease no longer guards it (that would be standing access: skipped with a
//! warning); then the user's entries leave the statement (the statement
//! goes when no user is left, the inline policy when no statement is), and
//! the changed permission sets are provisioned again.

use std::collections::BTreeSet;
use std::time::Duration;

use super::meter::Meter;
use super::record::Record;
use crate::aws::identity_store::Membership;
use crate::aws::sso_admin::SsoAdmin;
use crate::context::Ctx;
use crate::error::Error;
use crate::policy::lease::{parse_at_expression, AssignmentKey, DELETE_ASSIGNMENT_TARGET};
use crate::policy::session_deny::{
    permission_set_id, AssignmentFact, IcRecord, InlinePolicy, UserEntries,
};

mod block;
mod observe;
mod restore;
mod write;

pub(crate) use block::block;
pub(crate) use observe::{discover, observe};
pub(crate) use restore::restore;

/// Longest a block or restore waits for one account assignment to be
/// removed or created (the 60 s budget of a block).
const ASSIGNMENT_WAIT: Duration = Duration::from_secs(45);
/// How long a provisioning refused with `ConflictException` (another
/// provisioning of the account still running) is retried.
const PROVISION_RETRY_FOR: Duration = Duration::from_secs(20);
/// Suffix of a JIT grant's assignment in `assignments_removed`.
pub(crate) const JIT_SUFFIX: &str = "/jit";

/// A removed assignment as state lists it: `<account>/<permission set
/// ARN>`, with [`JIT_SUFFIX`] for a JIT grant's.
pub(crate) fn assignment_item(account: &str, arn: &str, jit: bool) -> String {
    let suffix = if jit { JIT_SUFFIX } else { "" };
    format!("{account}/{arn}{suffix}")
}

/// Parses [`assignment_item`]: `(account, permission set ARN, jit)`.
pub(crate) fn parse_assignment_item(item: &str) -> Option<(String, String, bool)> {
    let (rest, jit) = match item.strip_suffix(JIT_SUFFIX) {
        Some(rest) => (rest, true),
        None => (item, false),
    };
    let (account, arn) = rest.split_once('/')?;
    Some((account.to_string(), arn.to_string(), jit))
}

/// The state's record in the form the statement stores.
fn from_state(own: &Record) -> IcRecord {
    let mut record = IcRecord::default();
    for item in &own.assignments_removed {
        if let Some((account, arn, jit)) = parse_assignment_item(item) {
            record.assignments.insert(AssignmentFact {
                account,
                permission_set_id: permission_set_id(&arn).to_string(),
                jit,
            });
        }
    }
    record.groups.extend(own.groups_removed.iter().cloned());
    record
}

/// One permission set as a block sees it.
#[derive(Debug)]
struct SetView {
    arn: String,
    /// Accounts it is provisioned to.
    accounts: BTreeSet<String>,
    /// Its inline policy (or why it cannot be changed).
    policy: Result<InlinePolicy, String>,
}

impl SetView {
    fn id(&self) -> &str {
        permission_set_id(&self.arn)
    }
}

/// What AWS shows of the user and the instance.
#[derive(Debug, Default)]
struct Scan {
    /// `(account, permission set ARN)` of the user's own assignments.
    assignments: Vec<(String, String)>,
    /// The user's group memberships.
    memberships: Vec<Membership>,
    /// Every permission set of the instance.
    sets: Vec<SetView>,
}

impl Scan {
    /// The user's entries across every permission set.
    fn entries(&self, user_id: &str) -> UserEntries {
        let mut all = UserEntries::default();
        for set in &self.sets {
            if let Ok(policy) = &set.policy {
                all.merge(&policy.user(user_id));
            }
        }
        all
    }

    fn arn_of(&self, set_id: &str) -> Option<&str> {
        self.sets
            .iter()
            .find(|set| set.id() == set_id)
            .map(|set| set.arn.as_str())
    }
}

/// The instance and the resolved user.
struct Subject<'a> {
    ctx: &'a Ctx,
    instance: String,
    store: String,
    user_id: String,
}

impl Subject<'_> {
    fn sso(&self) -> SsoAdmin<'_> {
        self.ctx.aws.sso_admin()
    }
}

/// Resolves the user as `jit_grant` resolves a principal: an id, a user
/// name, or the one user with that email. `Ok(None)`: no such user.
async fn resolve<'a>(
    ctx: &'a Ctx,
    meter: &Meter,
    user: &str,
) -> Result<Option<Subject<'a>>, Error> {
    let center = meter
        .call("sso-admin", "ListInstances", ctx.identity_center())
        .await?;
    let store = center.identity_store_id.clone();
    let found = meter
        .call(
            "identitystore",
            "GetUserId",
            ctx.directory
                .user_id(ctx.aws.identity_store(), &store, user),
        )
        .await?;
    Ok(found.map(|user_id| Subject {
        ctx,
        instance: center.instance_arn.clone(),
        store,
        user_id,
    }))
}

/// Reads the permission sets (with their policies and accounts) and, when
/// `principal` is set, the user's assignments and memberships.
async fn scan(subject: &Subject<'_>, meter: &Meter, principal: bool) -> Result<Scan, Error> {
    let sso = subject.sso();
    let store = subject.ctx.aws.identity_store();
    let (arns, assignments, memberships) = tokio::join!(
        meter.call(
            "sso-admin",
            "ListPermissionSets",
            sso.list_permission_sets(&subject.instance)
        ),
        async {
            if !principal {
                return Ok(Vec::new());
            }
            meter
                .call(
                    "sso-admin",
                    "ListAccountAssignmentsForPrincipal",
                    sso.list_account_assignments_for_principal(
                        &subject.instance,
                        "USER",
                        &subject.user_id,
                    ),
                )
                .await
        },
        async {
            if !principal {
                return Ok(Vec::new());
            }
            meter
                .call(
                    "identitystore",
                    "ListGroupMembershipsForMember",
                    store.list_memberships_of_user(&subject.store, &subject.user_id),
                )
                .await
        },
    );
    let arns = arns?;
    let reads = arns.iter().map(|arn| async move {
        let (accounts, policy) = tokio::join!(
            meter.call(
                "sso-admin",
                "ListAccountsForProvisionedPermissionSet",
                sso.list_accounts_for_provisioned_permission_set(&subject.instance, arn)
            ),
            meter.call(
                "sso-admin",
                "GetInlinePolicyForPermissionSet",
                sso.find_inline_policy(&subject.instance, arn)
            ),
        );
        let policy = policy?;
        Ok::<_, Error>(SetView {
            arn: arn.clone(),
            accounts: accounts?.into_iter().collect(),
            policy: InlinePolicy::parse(policy.as_deref()).map_err(|p| p.to_string()),
        })
    });
    let mut sets = Vec::new();
    for set in futures_join_all(reads).await {
        sets.push(set?);
    }
    Ok(Scan {
        assignments: assignments?,
        memberships: memberships?,
        sets,
    })
}

/// Runs the futures concurrently in this task (a small fan-out: the
/// permission sets of one instance, one user's memberships); the outputs
/// come back in input order.
async fn futures_join_all<I, F>(futures: I) -> Vec<F::Output>
where
    I: IntoIterator<Item = F>,
    F: std::future::Future,
{
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Whether a lease of ours governs the assignment; with `guarding`, only
/// a lease that is enabled and not yet expired counts.
async fn has_lease(
    subject: &Subject<'_>,
    meter: &Meter,
    key: &AssignmentKey,
    guarding: bool,
) -> Result<bool, Error> {
    let scheduler = subject.ctx.aws.scheduler();
    let group = &subject.ctx.config.schedule_group;
    let names = meter
        .call(
            "scheduler",
            "ListSchedules",
            scheduler.list_schedule_names(group, &key.lease_prefix()),
        )
        .await?;
    let now = time::OffsetDateTime::now_utc();
    for name in names {
        let Some(schedule) = meter
            .call(
                "scheduler",
                "GetSchedule",
                scheduler.find_schedule(group, &name),
            )
            .await?
        else {
            continue;
        };
        let ours = schedule.target.arn == DELETE_ASSIGNMENT_TARGET
            && schedule
                .target
                .input
                .as_deref()
                .and_then(AssignmentKey::from_input)
                .is_some_and(|k| k == *key);
        if !ours {
            continue;
        }
        if !guarding {
            return Ok(true);
        }
        let expires = parse_at_expression(&schedule.expression);
        if schedule.enabled && expires.is_some_and(|at| at > now) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn key_of(subject: &Subject<'_>, account: &str, arn: &str) -> AssignmentKey {
    AssignmentKey::new(&subject.instance, account, arn, "USER", &subject.user_id)
}

/// The record in the form state keeps.
fn to_record(user_id: &str, record: &IcRecord, scan: &Scan) -> Record {
    Record {
        user_id: user_id.to_string(),
        assignments_removed: record
            .assignments
            .iter()
            .map(|fact| {
                let arn = scan
                    .arn_of(&fact.permission_set_id)
                    .unwrap_or(&fact.permission_set_id);
                assignment_item(&fact.account, arn, fact.jit)
            })
            .collect(),
        groups_removed: record.groups.iter().cloned().collect(),
        ..Record::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_items_round_trip() {
        let arn = "arn:aws:sso:::permissionSet/ssoins-1/ps-2";
        for jit in [false, true] {
            let item = assignment_item("123456789012", arn, jit);
            assert_eq!(
                parse_assignment_item(&item),
                Some(("123456789012".to_string(), arn.to_string(), jit))
            );
        }
        assert_eq!(parse_assignment_item("no-slash"), None);
    }

    #[test]
    fn state_records_become_statement_records() {
        let own = Record {
            user_id: "u-1".into(),
            assignments_removed: vec![assignment_item(
                "123456789012",
                "arn:aws:sso:::permissionSet/ssoins-1/ps-2",
                true,
            )],
            groups_removed: vec!["g-1".into()],
            ..Record::default()
        };
        let record = from_state(&own);
        assert_eq!(
            record.assignments.iter().next(),
            Some(&AssignmentFact {
                account: "123456789012".into(),
                permission_set_id: "ps-2".into(),
                jit: true,
            })
        );
        assert!(record.groups.contains("g-1"));
    }

    #[tokio::test]
    async fn join_all_keeps_input_order() {
        let outputs = futures_join_all((0..5u64).map(|i| async move {
            tokio::time::sleep(Duration::from_millis(20 - 4 * i)).await;
            i
        }))
        .await;
        assert_eq!(outputs, vec![0, 1, 2, 3, 4]);
    }
}
