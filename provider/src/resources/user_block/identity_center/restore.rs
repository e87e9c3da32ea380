//! Restoring a block of an Identity Center user. Blocks left pending by a
//! killed apply ([`Run::orphans`]) do not keep the user blocked: the last
//! restore puts back what they recorded too and removes their entries; a
//! block another run is placing right now does.

use std::collections::BTreeSet;

use super::write::{provision, targets_of, write_entries};
use super::{from_state, has_lease, key_of, resolve, scan, Scan, Subject, ASSIGNMENT_WAIT};
use crate::aws::attempts::Attempts;
use crate::aws::retried_create::is_conflict;
use crate::context::Ctx;
use crate::policy::session_deny::{IcRecord, UserEntries};
use crate::resources::user_block::meter::Meter;
use crate::resources::user_block::record::{quoted, Record, Restored, Run};

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
    // Blocks of killed applies are not live: the last restore takes them
    // over. A block another run is placing right now is.
    let blocks = entries
        .records
        .iter()
        .map(|(m, r)| (m.as_str(), r.pending.as_ref()));
    let orphans = run.orphans(blocks, marker, None);
    let placing = entries
        .records
        .iter()
        .filter(|(m, r)| m.as_str() != marker && run.placing_elsewhere(r.pending.as_ref()))
        .map(|(m, _)| m);
    let others: BTreeSet<&String> = entries
        .markers
        .iter()
        .filter(|m| m.as_str() != marker && !orphans.contains(m))
        .chain(placing)
        .collect();
    restored.others = others.into_iter().cloned().collect();
    let mut failed = Vec::new();
    if !restored.others.is_empty() {
        // Another block is live: only this marker goes; its record stays
        // for the last restore.
        let mut mine = entries.clone();
        mine.markers.remove(marker);
        let record = mine.records.entry(marker.to_string()).or_default();
        record.merge(&from_state(own));
        record.pending = None;
        // A record kept without its marker is no block to take over.
        record.placed = None;
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
    if !orphans.is_empty() && failed.is_empty() {
        restored.done.push(format!(
            "took over {} of an apply that was cut off",
            quoted(&orphans)
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
