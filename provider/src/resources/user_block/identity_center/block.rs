//! Placing (or finishing) a block of an Identity Center user: the deny
//! statement with the block's marker and record, marked pending (process
//! nonce, deadline, input fingerprint: `policy::block::Pending`) while a
//! new block is being placed; provisioning; memberships and assignments
//! removed; then the pending mark removed, the last step. A pending block
//! left by a killed apply is taken over by the next block or restore of the
//! user from another process when the inputs are the same or its deadline
//! has passed ([`Run::orphans`]).

use std::collections::BTreeSet;

use super::write::{provision, targets_of, write_entries};
use super::{
    from_state, futures_join_all, has_lease, key_of, resolve, scan, to_record, Scan, SetView,
    Subject, ASSIGNMENT_WAIT,
};
use crate::context::Ctx;
use crate::error::Error;
use crate::policy::session_deny::{permission_set_id, AssignmentFact, IcRecord};
use crate::resources::user_block::plan::identity_center_path;
use crate::resources::user_block::record::{quoted, Progress, Record, Run};

/// Places (or finishes) the block `marker` of the user named `user`.
pub(crate) async fn block(
    ctx: &Ctx,
    run: &Run,
    user: &str,
    marker: &str,
    own: &Record,
    pending: bool,
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
    let same_user = progress.of_user(own, &subject.user_id);
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
    record.pending = pending.then(|| run.pending());

    // Blocks of killed applies (and the block this one replaces) are taken
    // over in the same write that places this block: their records merge
    // into this one, their markers and records leave the statement.
    let blocks = existing
        .records
        .iter()
        .map(|(m, r)| (m.as_str(), r.pending.as_ref(), r.placed.as_ref()));
    let orphans = run.block_orphans(blocks, marker, take_over);
    let mut entries = existing.clone();
    entries.denied = true;
    entries.markers.insert(marker.to_string());
    for orphan in &orphans {
        entries.markers.remove(orphan);
        if let Some(theirs) = entries.records.remove(orphan) {
            record.merge(&theirs);
        }
    }
    entries.records.insert(marker.to_string(), record.clone());
    progress.others = existing
        .markers
        .iter()
        .filter(|m| m.as_str() != marker && !orphans.contains(m))
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
    if placed {
        progress.adopted = orphans;
    }
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
    if !progress.adopted.is_empty() {
        progress.done.push(format!(
            "took over {} of an apply that was cut off",
            quoted(&progress.adopted)
        ));
    }

    // 3. The last step: the block is no longer pending.
    if record.pending.is_some() && placed {
        if let Err(error) = finish(&subject, run, marker, &mut failed).await {
            failed.push((
                format!("clear the pending mark of `{marker}` (read the permission sets)"),
                error,
            ));
        }
    }
    for (step, error) in failed {
        progress.failed(step, error);
    }
    record.pending = None;
    progress.record = to_record(&subject.user_id, &record, &scan);
    progress
}

/// Removes the pending mark of block `marker` from every permission set
/// that has it, read again (the first write may have failed in some, and
/// another block of the user may have changed the statement since). The
/// values it removes match no session, so nothing is provisioned for it:
/// the accounts' copies keep the mark until the next provisioning of the
/// permission set (a restore provisions every set it writes).
async fn finish(
    subject: &Subject<'_>,
    run: &Run,
    marker: &str,
    failed: &mut Vec<(String, Error)>,
) -> Result<(), Error> {
    let now = scan(subject, &run.meter, false).await?;
    let pending_in = |set: &SetView| {
        set.policy.as_ref().is_ok_and(|p| {
            p.user(&subject.user_id)
                .records
                .get(marker)
                .is_some_and(|r| r.pending.is_some())
        })
    };
    let marked = Scan {
        sets: now.sets.into_iter().filter(pending_in).collect(),
        ..Scan::default()
    };
    let mut entries = marked.entries(&subject.user_id);
    let Some(mine) = entries.records.get_mut(marker) else {
        return Ok(());
    };
    mine.pending = None;
    mine.placed = Some(run.placed());
    let mut clearing = Vec::new();
    write_entries(subject, run, &marked, &entries, &mut clearing).await;
    failed.extend(clearing.into_iter().map(|(step, error)| {
        (
            format!("{step}: clear the pending mark of `{marker}`"),
            error,
        )
    }));
    Ok(())
}
