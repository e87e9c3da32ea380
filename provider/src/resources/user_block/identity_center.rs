//! Blocking an IAM Identity Center user: the user's id goes into the
//! provider's deny statement (`policy::session_deny`) in the inline policy
//! of every permission set of the instance, together with the block's
//! marker and its record; then the permission sets are provisioned to the
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

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::task::JoinSet;

use super::meter::Meter;
use super::plan::identity_center_path;
use super::record::{quoted, Observed, Progress, Record, Restored, Run};
use crate::aws::attempts::Attempts;
use crate::aws::identity_store::Membership;
use crate::aws::sso_admin::SsoAdmin;
use crate::aws::wait::retry_when;
use crate::context::Ctx;
use crate::error::Error;
use crate::policy::lease::{parse_at_expression, AssignmentKey, DELETE_ASSIGNMENT_TARGET};
use crate::policy::session_deny::{
    check_limits, permission_set_id, AssignmentFact, IcRecord, InlinePolicy, UserEntries,
};
use crate::resources::retried_create::is_conflict;

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

/// Writes `entries` as the user's entries into every permission set whose
/// document changes; returns the ARNs written. Failures are noted.
async fn write_entries(
    subject: &Subject<'_>,
    run: &Run,
    scan: &Scan,
    entries: &UserEntries,
    failed: &mut Vec<(String, Error)>,
) -> Vec<String> {
    let mut writes = Vec::new();
    for set in &scan.sets {
        let policy = match &set.policy {
            Ok(policy) => policy,
            Err(problem) => {
                failed.push((
                    format!("update the inline policy of permission set `{}`", set.id()),
                    Error::incomplete("Inline policy not changed", problem.clone()),
                ));
                continue;
            }
        };
        let mut changed = policy.clone();
        changed.set_user(&subject.user_id, entries);
        if changed == *policy && policy.intact() {
            continue;
        }
        let document = changed.render();
        if let Some(document) = &document {
            if let Err(problem) = check_limits(document) {
                failed.push((
                    format!("update the inline policy of permission set `{}`", set.id()),
                    Error::incomplete("Inline policy too large", problem.to_string()),
                ));
                continue;
            }
        }
        writes.push((set.arn.clone(), document));
    }
    let sso = subject.sso();
    let calls = writes.iter().map(|(arn, document)| async move {
        let result = match document {
            Some(document) => {
                run.meter
                    .call(
                        "sso-admin",
                        "PutInlinePolicyToPermissionSet",
                        sso.put_inline_policy(&subject.instance, arn, document),
                    )
                    .await
            }
            None => {
                run.meter
                    .call(
                        "sso-admin",
                        "DeleteInlinePolicyFromPermissionSet",
                        sso.delete_inline_policy(&subject.instance, arn),
                    )
                    .await
            }
        };
        (arn.clone(), result)
    });
    let mut written = Vec::new();
    for (arn, result) in futures_join_all(calls).await {
        match result {
            Ok(()) => written.push(arn),
            Err(error) => failed.push((
                format!(
                    "update the inline policy of permission set `{}`",
                    permission_set_id(&arn)
                ),
                error,
            )),
        }
    }
    written
}

/// Provisions each permission set to its accounts: the accounts run
/// concurrently, the permission sets of one account one after the other
/// (AWS runs one provisioning per account at a time). Returns the
/// `(account, permission set ARN)` pairs started.
async fn provision(
    subject: &Subject<'_>,
    run: &Run,
    targets: &BTreeMap<String, BTreeSet<String>>,
    failed: &mut Vec<(String, Error)>,
) -> Vec<(String, String)> {
    let mut by_account: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (arn, accounts) in targets {
        for account in accounts {
            by_account.entry(account).or_default().push(arn);
        }
    }
    let mut tasks = JoinSet::new();
    for (account, arns) in by_account {
        let sso_client = subject.ctx.aws.clone();
        let meter = run.meter.clone();
        let instance = subject.instance.clone();
        let account = account.to_string();
        let arns: Vec<String> = arns.into_iter().map(str::to_string).collect();
        tasks.spawn(async move {
            let sso = sso_client.sso_admin();
            let mut outcomes = Vec::new();
            for arn in arns {
                let result = retry_when(
                    PROVISION_RETRY_FOR,
                    |error| error.aws_code() == Some("ConflictException"),
                    || {
                        meter.call(
                            "sso-admin",
                            "ProvisionPermissionSet",
                            sso.provision_permission_set(&instance, &arn, &account),
                        )
                    },
                )
                .await;
                outcomes.push((account.clone(), arn, result));
            }
            outcomes
        });
    }
    let mut started = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok(outcomes) = joined else {
            failed.push((
                "provision the permission sets".to_string(),
                Error::incomplete("Provisioning task failed", "The provisioning task stopped."),
            ));
            continue;
        };
        for (account, arn, result) in outcomes {
            match result {
                Ok(_) => started.push((account, arn)),
                Err(error) => failed.push((
                    format!(
                        "provision permission set `{}` to account `{account}`",
                        permission_set_id(&arn)
                    ),
                    error,
                )),
            }
        }
    }
    started.sort();
    started
}

/// Where the written permission sets must be provisioned: the accounts
/// they are provisioned to, and those of the given assignments.
fn targets_of(
    scan: &Scan,
    written: &[String],
    assignments: &[(String, String)],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut targets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for set in scan.sets.iter().filter(|s| written.contains(&s.arn)) {
        let accounts = targets.entry(set.arn.clone()).or_default();
        accounts.extend(set.accounts.iter().cloned());
        for (account, arn) in assignments {
            if *arn == set.arn {
                accounts.insert(account.clone());
            }
        }
    }
    targets.retain(|_, accounts| !accounts.is_empty());
    targets
}

/// Places (or finishes) the block `marker` of the user named `user`.
pub(crate) async fn block(
    ctx: &Ctx,
    run: &Run,
    user: &str,
    marker: &str,
    own: &Record,
    take_over: Option<&str>,
) -> Progress {
    let mut progress = Progress::default();
    let subject = match resolve(ctx, &run.meter, user).await {
        Ok(Some(subject)) => subject,
        Ok(None) => {
            progress.errors.push(Error::invalid(
                identity_center_path("user"),
                "User not found",
                format!("No Identity Center user name, email or id `{user}` in the identity store; check `user`."),
            ));
            return progress;
        }
        Err(error) => {
            progress.errors.push(error);
            return progress;
        }
    };
    progress.record.user_id = subject.user_id.clone();
    let same_user = own.user_id.is_empty() || own.user_id == subject.user_id;
    if !same_user {
        progress.warnings.push((
            "Earlier block record dropped".to_string(),
            "the earlier block was of a user that no longer exists under this name; its record was dropped".to_string(),
        ));
    }
    let scan = match scan(&subject, &run.meter, true).await {
        Ok(scan) => scan,
        Err(error) => {
            progress.errors.push(error);
            return progress;
        }
    };
    if scan.sets.is_empty() {
        progress.errors.push(Error::invalid(
            identity_center_path("user"),
            "No permission set to hold the block",
            "The Identity Center instance has no permission set, so the user has no AWS account access to stop and the block has nowhere to be recorded.",
        ));
        return progress;
    }

    // Which of the user's assignments are JIT grants' (a lease governs them).
    let mut facts = BTreeSet::new();
    for (account, arn) in &scan.assignments {
        let key = key_of(&subject, account, arn);
        let jit = match has_lease(&subject, &run.meter, &key, false).await {
            Ok(jit) => jit,
            Err(error) => {
                progress.warnings.push((
                    "Leases not read".to_string(),
                    format!("the leases of permission set `{}` in account `{account}` could not be read ({error}); the assignment is recorded as a JIT grant's, so restore re-creates it only while a lease guards it", permission_set_id(arn)),
                ));
                true
            }
        };
        facts.insert(AssignmentFact {
            account: account.clone(),
            permission_set_id: permission_set_id(arn).to_string(),
            jit,
        });
    }
    let mut record = if same_user {
        from_state(own)
    } else {
        IcRecord::default()
    };
    let existing = scan.entries(&subject.user_id);
    if let Some(already) = existing.records.get(marker) {
        record.merge(already);
    }
    record.assignments.extend(facts);
    record
        .groups
        .extend(scan.memberships.iter().map(|m| m.group_id.clone()));

    let mut entries = existing.clone();
    entries.denied = true;
    entries.markers.insert(marker.to_string());
    if let Some(old) = take_over {
        entries.markers.remove(old);
        progress.adopted.push(old.to_string());
    }
    entries.records.insert(marker.to_string(), record.clone());
    progress.others = existing
        .markers
        .iter()
        .filter(|m| m.as_str() != marker && take_over != Some(m.as_str()))
        .cloned()
        .collect();

    // 1. The deny statement with the record, in every permission set.
    let mut failed = Vec::new();
    let written = write_entries(&subject, run, &scan, &entries, &mut failed).await;
    let placed = scan.sets.iter().any(|set| {
        written.contains(&set.arn)
            || set
                .policy
                .as_ref()
                .is_ok_and(|p| p.user(&subject.user_id).markers.contains(marker))
    });
    progress.marker_placed = placed;
    if !written.is_empty() {
        progress.changed = true;
        progress.done.push(format!(
            "denied the user's sessions in the inline policy of {} permission set(s) (statement `JitBlockedUsers`, marker `{marker}`)",
            written.len()
        ));
    }

    // 2. Provision (live sessions) and remove memberships at once, then
    //    the assignments (new sign-ins).
    let targets = targets_of(&scan, &written, &scan.assignments);
    let memberships = scan.memberships.iter().map(|membership| {
        let store = ctx.aws.identity_store();
        let subject = &subject;
        async move {
            let result = run
                .meter
                .call(
                    "identitystore",
                    "DeleteGroupMembership",
                    store.delete_group_membership(&subject.store, &membership.membership_id),
                )
                .await;
            (membership.group_id.clone(), result)
        }
    });
    let mut provision_failed = Vec::new();
    let (started, left) = tokio::join!(
        provision(&subject, run, &targets, &mut provision_failed),
        futures_join_all(memberships)
    );
    failed.extend(provision_failed);
    if !started.is_empty() {
        progress.done.push(format!(
            "provisioned {} permission set(s) to their accounts ({} provisioning(s))",
            targets.len(),
            started.len()
        ));
    }
    for (group, result) in left {
        match result {
            Ok(()) => {
                progress.changed = true;
                progress
                    .done
                    .push(format!("removed the user from group `{group}`"));
            }
            Err(error) => failed.push((format!("remove the user from group `{group}`"), error)),
        }
    }
    let removals = scan.assignments.iter().map(|(account, arn)| {
        let key = key_of(&subject, account, arn);
        let sso = subject.sso();
        async move {
            let result = run
                .meter
                .call("sso-admin", "DeleteAccountAssignment", async {
                    sso.delete_account_assignment(&key, ASSIGNMENT_WAIT)
                        .await
                        .map_err(|failure| failure.into_error())
                })
                .await;
            (account.clone(), arn.clone(), result)
        }
    });
    for (account, arn, result) in futures_join_all(removals).await {
        let what = format!(
            "permission set `{}` in account `{account}`",
            permission_set_id(&arn)
        );
        match result {
            Ok(()) => {
                progress.changed = true;
                progress
                    .done
                    .push(format!("removed the assignment of {what}"));
            }
            Err(error) => failed.push((format!("remove the assignment of {what}"), error)),
        }
    }
    for (step, error) in failed {
        progress.failed(step, error);
    }
    progress.record = to_record(&subject.user_id, &record, &scan);
    progress
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

/// Restores the block `marker` of the user named `user`.
pub(crate) async fn restore(
    ctx: &Ctx,
    run: &Run,
    user: &str,
    marker: &str,
    own: &Record,
) -> Restored {
    let mut restored = Restored::default();
    let subject = match resolve(ctx, &run.meter, user).await {
        Ok(Some(subject)) if own.user_id.is_empty() || subject.user_id == own.user_id => subject,
        Ok(_) if !own.user_id.is_empty() => {
            // The user is gone (or another user has the name now): only
            // the block's entries of the recorded id are left to remove.
            match ctx.identity_center().await {
                Ok(center) => Subject {
                    ctx,
                    instance: center.instance_arn.clone(),
                    store: center.identity_store_id.clone(),
                    user_id: own.user_id.clone(),
                },
                Err(error) => {
                    restored.failed("read the Identity Center instance".to_string(), error);
                    return restored;
                }
            }
        }
        Ok(_) => return restored,
        Err(error) => {
            restored.failed(format!("find Identity Center user `{user}`"), error);
            return restored;
        }
    };
    let scan = match scan(&subject, &run.meter, true).await {
        Ok(scan) => scan,
        Err(error) => {
            restored.failed("read the permission sets".to_string(), error);
            return restored;
        }
    };
    let entries = scan.entries(&subject.user_id);
    restored.others = entries
        .markers
        .iter()
        .filter(|m| m.as_str() != marker)
        .cloned()
        .collect();
    let mut failed = Vec::new();
    if !restored.others.is_empty() {
        // Another block is live: only this marker goes; its record stays
        // for the last restore.
        let mut mine = entries.clone();
        mine.markers.remove(marker);
        mine.records
            .entry(marker.to_string())
            .or_default()
            .merge(&from_state(own));
        let written = write_entries(&subject, run, &scan, &mine, &mut failed).await;
        if !written.is_empty() {
            restored
                .done
                .push(format!("removed marker `{marker}` from the deny statement"));
        }
        for (step, error) in failed {
            restored.failed(step, error);
        }
        restored.warnings.push((
            "User stays blocked by other blocks".to_string(),
            format!(
                "Identity Center user `{user}` is still blocked by {}: its memberships and assignments come back when the last of them is restored",
                quoted(&restored.others)
            ),
        ));
        return restored;
    }

    // The last block: put back everything any block recorded.
    let mut all = entries.all_records();
    all.merge(&from_state(own));
    let user_exists = own.user_id.is_empty()
        || subject.user_id == own.user_id && user_present(&subject, &run.meter).await;
    if user_exists {
        put_back(&subject, run, &scan, &all, &mut restored).await;
    }
    if !restored.errors.is_empty() {
        return restored;
    }
    let written = write_entries(&subject, run, &scan, &UserEntries::default(), &mut failed).await;
    if !written.is_empty() {
        restored.done.push(format!(
            "removed the user from the deny statement of {} permission set(s)",
            written.len()
        ));
    }
    let assignments: Vec<(String, String)> = all
        .assignments
        .iter()
        .filter_map(|fact| {
            scan.arn_of(&fact.permission_set_id)
                .map(|arn| (fact.account.clone(), arn.to_string()))
        })
        .collect();
    let targets = targets_of(&scan, &written, &assignments);
    let started = provision(&subject, run, &targets, &mut failed).await;
    if !started.is_empty() {
        restored.done.push(format!(
            "provisioned {} permission set(s) to their accounts ({} provisioning(s))",
            targets.len(),
            started.len()
        ));
    }
    for (step, error) in failed {
        restored.failed(step, error);
    }
    restored
}

/// True when the subject's user still exists.
async fn user_present(subject: &Subject<'_>, meter: &Meter) -> bool {
    let store = subject.ctx.aws.identity_store();
    meter
        .call(
            "identitystore",
            "DescribeUser",
            store.find_user_by_id(&subject.store, &subject.user_id),
        )
        .await
        .is_ok()
}

/// Re-adds recorded memberships and re-creates recorded assignments whose
/// group and permission set are still the same (ids), skipping JIT
/// assignments no lease guards any more.
async fn put_back(
    subject: &Subject<'_>,
    run: &Run,
    scan: &Scan,
    record: &IcRecord,
    restored: &mut Restored,
) {
    let store = subject.ctx.aws.identity_store();
    for group in &record.groups {
        if scan.memberships.iter().any(|m| m.group_id == *group) {
            continue;
        }
        let exists = run
            .meter
            .call(
                "identitystore",
                "DescribeGroup",
                store.find_group_by_id(&subject.store, group),
            )
            .await;
        match exists {
            Err(error) if error.is_not_found() => restored.warnings.push((
                "Group deleted since the block".to_string(),
                format!("group `{group}` no longer exists, so the user was not re-added to it"),
            )),
            Err(error) => restored.failed(format!("check group `{group}`"), error),
            Ok(_) => {
                let attempts = Attempts::default();
                let call = store.create_group_membership(
                    &subject.store,
                    group,
                    &subject.user_id,
                    &attempts,
                );
                match run
                    .meter
                    .call("identitystore", "CreateGroupMembership", call)
                    .await
                {
                    Ok(_) => restored.done.push(format!("re-added to group `{group}`")),
                    // A retry after a lost answer, or someone re-added the
                    // user meanwhile: a member either way.
                    Err(error) if is_conflict(&error) => restored
                        .done
                        .push(format!("re-added to group `{group}` (already a member)")),
                    Err(error) => restored.failed(format!("re-add to group `{group}`"), error),
                }
            }
        }
    }
    let sso = subject.sso();
    for fact in &record.assignments {
        let set = &fact.permission_set_id;
        let what = format!("permission set `{set}` in account `{}`", fact.account);
        let Some(arn) = scan.arn_of(set) else {
            restored.warnings.push((
                "Permission set deleted since the block".to_string(),
                format!("{what} no longer exists, so the assignment was not re-created"),
            ));
            continue;
        };
        if scan
            .assignments
            .iter()
            .any(|(account, a)| *account == fact.account && a == arn)
        {
            continue;
        }
        let key = key_of(subject, &fact.account, arn);
        if fact.jit {
            match has_lease(subject, &run.meter, &key, true).await {
                Ok(true) => {}
                Ok(false) => {
                    restored.warnings.push((
                        "JIT assignment not restored".to_string(),
                        format!("the assignment of {what} belonged to a JIT grant whose lease has expired or been disabled since the block; re-creating it would be standing access, so it was skipped (request a new grant)"),
                    ));
                    continue;
                }
                Err(error) => {
                    restored.failed(format!("check the lease of {what}"), error);
                    continue;
                }
            }
        }
        let call = async {
            sso.create_account_assignment(&key, ASSIGNMENT_WAIT)
                .await
                .map_err(|failure| failure.into_error())
        };
        match run
            .meter
            .call("sso-admin", "CreateAccountAssignment", call)
            .await
        {
            Ok(()) => restored
                .done
                .push(format!("re-created the assignment of {what}")),
            Err(error) => restored.failed(format!("re-create the assignment of {what}"), error),
        }
    }
}

/// What AWS shows of the block now.
pub(crate) async fn observe(
    ctx: &Ctx,
    meter: &Meter,
    user: &str,
    marker: &str,
    record: &Record,
) -> Result<Observed, Error> {
    let Some(subject) = resolve(ctx, meter, user).await? else {
        return Ok(Observed::UserGone);
    };
    if !record.user_id.is_empty() && record.user_id != subject.user_id {
        return Ok(Observed::UserGone);
    }
    let scan = scan(&subject, meter, true).await?;
    Ok(observed(&subject.user_id, &scan, marker, record))
}

fn observed(user_id: &str, scan: &Scan, marker: &str, record: &Record) -> Observed {
    let mut undone = Vec::new();
    let mut marker_left = false;
    for set in &scan.sets {
        match &set.policy {
            Ok(policy) => {
                let entries = policy.user(user_id);
                marker_left |= entries.markers.contains(marker);
                if !entries.denied || !policy.intact() {
                    undone.push(format!(
                        "permission set `{}` no longer denies the user's sessions",
                        set.id()
                    ));
                }
            }
            Err(problem) => undone.push(format!(
                "the inline policy of permission set `{}` is unreadable: {problem}",
                set.id()
            )),
        }
    }
    undone.extend(scan.assignments.iter().map(|(account, arn)| {
        format!(
            "the user is assigned permission set `{}` in account `{account}`",
            permission_set_id(arn)
        )
    }));
    undone.extend(
        scan.memberships
            .iter()
            .map(|m| format!("the user is in group `{}`", m.group_id)),
    );
    let group_still_left = record
        .groups_removed
        .iter()
        .any(|g| !scan.memberships.iter().any(|m| m.group_id == *g));
    let assignment_still_left = record.assignments_removed.iter().any(|item| {
        parse_assignment_item(item).is_some_and(|(account, arn, _)| {
            !scan
                .assignments
                .iter()
                .any(|(a, p)| *a == account && *p == arn)
        })
    });
    Observed::User {
        user_id: user_id.to_string(),
        undone,
        left: marker_left || group_still_left || assignment_still_left,
    }
}

/// For import: the block's marker and its record in the statement.
pub(crate) async fn discover(
    ctx: &Ctx,
    meter: &Meter,
    user: &str,
    wanted: Option<&str>,
) -> Result<(String, Record, bool), Error> {
    let Some(subject) = resolve(ctx, meter, user).await? else {
        return Err(Error::NotFound {
            what: format!("Identity Center user `{user}`"),
        });
    };
    let scan = scan(&subject, meter, true).await?;
    let entries = scan.entries(&subject.user_id);
    let markers: Vec<String> = entries
        .markers
        .iter()
        .filter(|m| wanted.is_none_or(|w| w == m.as_str()))
        .cloned()
        .collect();
    match markers.as_slice() {
        [marker] => {
            let stored = entries.records.get(marker).cloned().unwrap_or_default();
            let record = to_record(&subject.user_id, &stored, &scan);
            let blocked = matches!(
                observed(&subject.user_id, &scan, marker, &record),
                Observed::User { ref undone, .. } if undone.is_empty()
            );
            Ok((marker.clone(), record, blocked))
        }
        [] => Err(Error::NotFound {
            what: format!("a jit block of Identity Center user `{user}` in the permission sets' deny statement"),
        }),
        _ => Err(Error::invalid(
            Default::default(),
            "Several blocks",
            format!(
                "Identity Center user `{user}` has several blocks ({}). Name the one to import: `identity_center:{user}/<marker>`.",
                quoted(&markers)
            ),
        )),
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
