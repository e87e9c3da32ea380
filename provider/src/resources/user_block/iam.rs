//! Blocking an IAM user: the record of what will change goes on the user's
//! tags first, then an inline deny-all policy named for the block (the
//! marker), its active access keys deactivated and its group memberships
//! removed, all attempted even when one fails. The console login profile is
//! kept, so a restore needs no new password.
//!
//! Several blocks coexist, each with its own policy and record tags (see
//! `policy::block`). Restore removes only its own policy while another block
//! is live (its record stays on the user for the last one); the last
//! restore puts back every recorded key and group whose identity still
//! matches (key id and creation time, group id), removes every record, and
//! its own policy last.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use tokio::task::JoinSet;

use super::meter::Meter;
use super::plan::iam_path;
use super::record::{
    done_unless_gone, quoted, Observed, Progress, Record, Restored, Run, TAKEN_OVER_OR_REMOVED,
};
use crate::aws::iam::{AccessKey, GroupRef, Iam};
use crate::error::Error;
use crate::policy::block::{
    is_marker, record_tag_keys, record_tag_marker, GroupFact, IamRecord, KeyFact, Pending, Placed,
    USER_TAG_LIMIT,
};
use crate::policy::normalize_policy_json;

/// The block's inline policy: it denies every action, console and API
/// (including `GetSessionToken` credentials), at once.
pub(crate) const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"JitUserBlock","Effect":"Deny","Action":"*","Resource":"*"}]}"#;

/// An IAM user as the block needs it.
#[derive(Debug, Clone, Default)]
pub(crate) struct User {
    /// The immutable user id (`AIDA…`).
    pub user_id: String,
    /// Inline policy names.
    pub policies: Vec<String>,
    /// Access keys.
    pub keys: Vec<AccessKey>,
    /// Groups, with ids.
    pub groups: Vec<GroupRef>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
    /// The document of the block's own policy, when asked for and present.
    pub marker_document: Option<String>,
}

impl User {
    /// The active access keys.
    pub fn active_keys(&self) -> Vec<&AccessKey> {
        self.keys.iter().filter(|key| key.is_active()).collect()
    }

    /// Markers of the block policies on the user.
    fn marker_policies(&self) -> Vec<String> {
        self.policies
            .iter()
            .filter(|p| is_marker(p))
            .cloned()
            .collect()
    }
}

/// The user with its policies, keys, groups and tags (and the marker
/// policy's document when `marker` is given); `None` when the user is gone.
pub(crate) async fn find_user(
    iam: &Iam,
    meter: &Meter,
    user_name: &str,
    marker: Option<&str>,
) -> Result<Option<User>, Error> {
    let marker_document = async {
        match marker {
            Some(marker) => {
                meter
                    .call(
                        "iam",
                        "GetUserPolicy",
                        iam.find_user_policy(user_name, marker),
                    )
                    .await
            }
            None => Ok(None),
        }
    };
    let (user, policies, keys, groups, tags, document) = tokio::join!(
        meter.call("iam", "GetUser", iam.find_user_by_name(user_name)),
        meter.call("iam", "ListUserPolicies", iam.list_user_policies(user_name)),
        meter.call("iam", "ListAccessKeys", iam.list_access_keys(user_name)),
        meter.call("iam", "ListGroupsForUser", iam.list_user_groups(user_name)),
        meter.call("iam", "ListUserTags", iam.list_user_tags(user_name)),
        marker_document
    );
    let user_id = match user {
        Ok(user) => user.id,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(Some(User {
        user_id,
        policies: policies?,
        keys: keys?,
        groups: groups?,
        tags: tags?,
        marker_document: document?,
    }))
}

/// The records on the user's tags, by marker.
fn records(user: &User) -> BTreeMap<String, IamRecord> {
    IamRecord::from_tags(&user.tags)
}

/// Each record's marker with its pending and placed marks, for
/// [`Run::block_orphans`].
fn marked(
    records: &BTreeMap<String, IamRecord>,
) -> impl Iterator<Item = (&str, Option<&Pending>, Option<&Placed>)> {
    records
        .iter()
        .map(|(m, r)| (m.as_str(), r.pending.as_ref(), r.placed.as_ref()))
}

/// The state's own record as an AWS record (ids only where state has them).
fn from_state(own: &Record) -> IamRecord {
    let mut record = IamRecord::default();
    for key in &own.keys_deactivated {
        record.add_key(KeyFact {
            id: key.clone(),
            created: 0,
        });
    }
    for group in &own.groups_removed {
        record.add_group(GroupFact {
            name: group.clone(),
            id: String::new(),
        });
    }
    record
}

/// Places (or finishes) the block `marker` of `user_name`. `own` is the
/// record this block already has (an earlier apply, or the block it
/// replaces); `pending` marks a new block until its last step. Every
/// tightening step is attempted even when another fails.
pub(crate) async fn block(
    iam: &Iam,
    run: &Run,
    user_name: &str,
    marker: &str,
    own: &Record,
    pending: bool,
    take_over: Option<&str>,
) -> Progress {
    let mut progress = Progress::default();
    let user = match find_user(iam, &run.meter, user_name, Some(marker)).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            progress.errors.push(Error::invalid(
                iam_path("user_name"),
                "User not found",
                format!("There is no IAM user `{user_name}` in this account; check `user_name`."),
            ));
            return progress;
        }
        Err(error) => {
            progress.errors.push(error);
            return progress;
        }
    };
    let same_user = progress.of_user(own, &user.user_id);

    // What is on the user now: other blocks, orphans of killed applies,
    // and stale records of blocks that are all gone.
    let records = records(&user);
    let orphans = run.block_orphans(marked(&records), marker, take_over);
    let policies = user.marker_policies();
    let others: Vec<String> = policies
        .iter()
        .filter(|m| m.as_str() != marker && !orphans.contains(m))
        .cloned()
        .collect();
    let stale: Vec<String> = if others.is_empty() {
        records
            .iter()
            .filter(|(m, r)| m.as_str() != marker && !orphans.contains(m) && r.pending.is_none())
            .map(|(m, _)| m.clone())
            .collect()
    } else {
        Vec::new()
    };
    progress.others = others;

    let mut record = IamRecord::default();
    if same_user {
        record.merge(&from_state(own));
        if let Some(existing) = records.get(marker) {
            record.merge(existing);
        }
    }
    for orphan in &orphans {
        if let Some(theirs) = records.get(orphan) {
            record.merge(theirs);
        }
    }
    let active: Vec<&AccessKey> = user.active_keys();
    let mut intended = record.clone();
    for key in &active {
        intended.add_key(KeyFact {
            id: key.id.clone(),
            created: key.created,
        });
    }
    for group in &user.groups {
        intended.add_group(GroupFact {
            name: group.name.clone(),
            id: group.id.clone(),
        });
    }
    intended.pending = pending.then(|| run.pending());

    // 1. The record first: whatever happens next, what may change is known.
    let recorded = match write_record(iam, run, user_name, marker, &intended, &user.tags).await {
        Ok(true) => {
            progress.changed = true;
            progress.done.push(format!(
                "recorded the user's keys and groups in tag `{marker}`"
            ));
            Recorded::Written
        }
        Ok(false) => {
            progress.warnings.push(no_room(user_name, marker));
            Recorded::NoRoom
        }
        Err(error) => {
            // Maybe written (a lost answer): re-read below.
            progress.failed(
                format!("record the user's keys and groups in tag `{marker}`"),
                error,
            );
            Recorded::Failed
        }
    };

    // 2. Deny policy, keys and groups at once.
    let policy_in_place = user.marker_document.as_deref().is_some_and(denies_all);
    let put_policy = async {
        if policy_in_place {
            return Ok(false);
        }
        let call = iam.put_user_policy(user_name, marker, DENY_ALL);
        run.meter
            .call("iam", "PutUserPolicy", call)
            .await
            .map(|()| true)
    };
    let key_ids: Vec<String> = active.iter().map(|k| k.id.clone()).collect();
    let deactivate = for_each(key_ids, |key| {
        let (iam, meter, user_name) = (iam.clone(), run.meter.clone(), user_name.to_string());
        async move {
            let call = iam.set_access_key_active(&user_name, &key, false);
            done_unless_gone(meter.call("iam", "UpdateAccessKey", call).await)
        }
    });
    let group_names: Vec<String> = user.groups.iter().map(|g| g.name.clone()).collect();
    let leave = for_each(group_names, |group| {
        let (iam, meter, user_name) = (iam.clone(), run.meter.clone(), user_name.to_string());
        async move {
            let call = iam.remove_user_from_group(&group, &user_name);
            meter.call("iam", "RemoveUserFromGroup", call).await
        }
    });
    let (put, keys, groups) = tokio::join!(put_policy, deactivate, leave);

    // Anything but a clean answer is ambiguous: re-read below.
    let mut ambiguous = recorded == Recorded::Failed;
    match put {
        Ok(placed) => {
            progress.marker_placed = true;
            progress.changed = true;
            if placed {
                progress
                    .done
                    .push(format!("attached deny-all policy `{marker}`"));
            }
        }
        Err(error) => {
            ambiguous = true;
            progress.failed(format!("attach deny-all policy `{marker}`"), error);
        }
    }
    for (key, outcome) in keys {
        match outcome {
            Ok(true) => {
                progress.changed = true;
                progress
                    .done
                    .push(format!("deactivated access key `{key}`"));
            }
            // Deleted meanwhile: nothing to deactivate, nothing to restore.
            Ok(false) => ambiguous = true,
            Err(error) => {
                ambiguous = true;
                progress.failed(format!("deactivate access key `{key}`"), error);
            }
        }
    }
    for (group, outcome) in groups {
        match outcome {
            Ok(true) => {
                progress.changed = true;
                progress.done.push(format!("removed from group `{group}`"));
            }
            // `NoSuchEntity`: not a member (maybe removed by an earlier
            // attempt whose answer was lost) or the group is gone: re-read.
            Ok(false) => ambiguous = true,
            Err(error) => {
                ambiguous = true;
                progress.failed(format!("remove from group `{group}`"), error);
            }
        }
    }

    // 3. After anything ambiguous, record what is true, not what the calls
    // answered.
    let placed = pending.then(|| run.placed());
    let mut done_record = IamRecord {
        pending: None,
        placed: placed.clone(),
        ..intended.clone()
    };
    if ambiguous {
        match find_user(iam, &run.meter, user_name, Some(marker)).await {
            Ok(Some(now)) => {
                done_record = IamRecord {
                    placed: placed.clone(),
                    ..record.clone()
                };
                for key in &active {
                    if now.keys.iter().any(|k| k.id == key.id && !k.is_active()) {
                        done_record.add_key(KeyFact {
                            id: key.id.clone(),
                            created: key.created,
                        });
                    }
                }
                for group in &user.groups {
                    if !now.groups.iter().any(|g| g.id == group.id) {
                        done_record.add_group(GroupFact {
                            name: group.name.clone(),
                            id: group.id.clone(),
                        });
                    }
                }
                progress.marker_placed = now.marker_document.as_deref().is_some_and(denies_all);
                let tagged = IamRecord::from_tags(&now.tags).contains_key(marker);
                progress.changed = progress.marker_placed
                    || tagged
                    || done_record.keys.len() > record.keys.len()
                    || done_record.groups.len() > record.groups.len()
                    || own_state_exists(own);
            }
            Ok(None) => progress.warnings.push((
                "Blocked user no longer exists".to_string(),
                format!("IAM user `{user_name}` was deleted during the block"),
            )),
            Err(error) => {
                progress.changed = true;
                progress.warnings.push((
                    "Block state not re-read".to_string(),
                    format!("after a failed step the user could not be read again ({error}); the record keeps every key and group that may have changed"),
                ));
            }
        }
    }

    // 4. Orphans of killed applies (and a block this one replaces) are taken
    // over once this block's policy is in place; stale records go.
    let releasable: &[String] = if progress.marker_placed {
        &orphans
    } else {
        &[]
    };
    for orphan in releasable {
        let mut released = true;
        if policies.contains(orphan) {
            let call = iam.delete_user_policy(user_name, orphan);
            if let Err(error) = run.meter.call("iam", "DeleteUserPolicy", call).await {
                released = false;
                progress.failed(
                    format!("remove the policy of cut-off block `{orphan}`"),
                    error,
                );
            }
        }
        if released {
            progress.adopted.push(orphan.clone());
        }
    }
    let mut obsolete: Vec<String> = Vec::new();
    for marker in progress.adopted.iter().chain(&stale) {
        obsolete.extend(record_tag_keys(user.tags.keys(), marker));
    }
    if !obsolete.is_empty() {
        let call = iam.untag_user(user_name, &obsolete);
        match run.meter.call("iam", "UntagUser", call).await {
            Ok(()) if !stale.is_empty() => progress
                .done
                .push(format!("removed stale block records {}", quoted(&stale))),
            Ok(()) => {}
            Err(error) => progress.warnings.push((
                "Old block records left".to_string(),
                format!(
                    "the records {} could not be removed ({error}); the last restore merges them",
                    quoted(&obsolete)
                ),
            )),
        }
    }
    if !progress.adopted.is_empty() {
        progress.done.push(format!(
            "took over {} of an apply that was cut off",
            quoted(&progress.adopted)
        ));
    }

    // 5. The final record, no longer pending.
    if recorded != Recorded::NoRoom && progress.changed {
        let written = intended.to_tags(marker);
        if recorded == Recorded::Failed || done_record.to_tags(marker) != written {
            let mut tags = user.tags.clone();
            if recorded == Recorded::Written {
                tags.extend(written);
            }
            if let Err(error) = write_record(iam, run, user_name, marker, &done_record, &tags).await
            {
                progress.failed(format!("finish the record in tag `{marker}`"), error);
            }
        }
    }
    progress.record.keys_deactivated = done_record.keys.iter().map(|k| k.id.clone()).collect();
    progress.record.groups_removed = done_record.groups.iter().map(|g| g.name.clone()).collect();
    progress
}

/// How the record of a block was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recorded {
    Written,
    NoRoom,
    Failed,
}

/// True when the block already had a record in state (a re-block): its
/// state is kept whatever this run did.
fn own_state_exists(own: &Record) -> bool {
    !own.user_id.is_empty()
}

fn no_room(user_name: &str, marker: &str) -> (String, String) {
    (
        "Block record not stored on the user".to_string(),
        format!("IAM user `{user_name}` has no room for the record tags of block `{marker}` (at most {USER_TAG_LIMIT} tags per user): the record is kept in this state only, so another block of the user restored last cannot put back what this block changed"),
    )
}

/// Writes `record` as the tags of `marker`, removing parts it no longer
/// needs. `Ok(false)` when the user has no room for them.
async fn write_record(
    iam: &Iam,
    run: &Run,
    user_name: &str,
    marker: &str,
    record: &IamRecord,
    current: &BTreeMap<String, String>,
) -> Result<bool, Error> {
    let tags = record.to_tags(marker);
    let own_keys = record_tag_keys(current.keys(), marker);
    let others = current.len() - own_keys.len();
    if others + tags.len() > USER_TAG_LIMIT {
        return Ok(false);
    }
    let changed: BTreeMap<String, String> = tags
        .iter()
        .filter(|(key, value)| current.get(key) != Some(value))
        .cloned()
        .collect();
    if !changed.is_empty() {
        let call = iam.tag_user(user_name, &changed);
        run.meter.call("iam", "TagUser", call).await?;
    }
    let extra: Vec<String> = own_keys
        .into_iter()
        .filter(|key| !tags.iter().any(|(k, _)| k == key))
        .collect();
    if !extra.is_empty() {
        let call = iam.untag_user(user_name, &extra);
        run.meter.call("iam", "UntagUser", call).await?;
    }
    Ok(true)
}

/// Lifts the block `marker`. While another block of the user is live, only
/// this block's policy goes (its record stays for the last restore);
/// otherwise every recorded key and group is put back, every record removed,
/// and the policy last, so a restore that fails part-way leaves the user
/// blocked and can be run again.
pub(crate) async fn restore(
    iam: &Iam,
    run: &Run,
    user_name: &str,
    marker: &str,
    own: &Record,
    incomplete: bool,
) -> Restored {
    let mut restored = Restored::default();
    let user = match find_user(iam, &run.meter, user_name, Some(marker)).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            restored.warnings.push((
                "Blocked user no longer exists".to_string(),
                format!("IAM user `{user_name}` no longer exists: nothing to restore"),
            ));
            return restored;
        }
        Err(error) => {
            restored.errors.push(error);
            return restored;
        }
    };
    if !own.user_id.is_empty() && own.user_id != user.user_id {
        restored.warnings.push((
            "User recreated since the block".to_string(),
            format!("IAM user `{user_name}` now has id `{}`, not `{}` as when it was blocked: it is another user, so nothing was restored", user.user_id, own.user_id),
        ));
        return restored;
    }
    let records = records(&user);
    let policies = user.marker_policies();
    let own_policy = policies.iter().any(|p| p == marker);
    let own_tag = records.contains_key(marker);
    // Restore acts only while the block's marker is in place; a block
    // whose policy never got there (`INCOMPLETE`) is known by its record.
    if !(own_policy || (incomplete && own_tag)) {
        let mut left = Vec::new();
        if !own.keys_deactivated.is_empty() {
            left.push(format!("access keys {}", quoted(&own.keys_deactivated)));
        }
        if !own.groups_removed.is_empty() {
            left.push(format!("groups {}", quoted(&own.groups_removed)));
        }
        let alone = !policies.iter().any(|p| p != marker);
        if own_tag && alone {
            // Unblocked outside Terraform: the record is stale now.
            let keys = record_tag_keys(user.tags.keys(), marker);
            let call = iam.untag_user(user_name, &keys);
            match run.meter.call("iam", "UntagUser", call).await {
                Ok(()) => restored.done.push(format!(
                    "removed the stale record of `{marker}` from the tags"
                )),
                Err(error) => restored.failed(format!("remove the record of `{marker}`"), error),
            }
        }
        let still = if alone {
            String::new()
        } else {
            let others: Vec<String> = policies.iter().filter(|p| *p != marker).cloned().collect();
            format!("; the user is still blocked by {}", quoted(&others))
        };
        restored.warnings.push((
            "Block marker not in place".to_string(),
            format!(
                "policy `{marker}` is no longer attached ({TAKEN_OVER_OR_REMOVED}): nothing was restored{}{still}",
                if left.is_empty() {
                    String::new()
                } else {
                    format!("; {} stay as they are", left.join(" and "))
                }
            ),
        ));
        return restored;
    }
    let orphans = run.orphans(marked(&records).map(|(m, p, _)| (m, p)), marker, None);
    // Live: a policy, or a block still being placed by another run.
    let mut others: BTreeSet<String> = policies
        .iter()
        .filter(|m| m.as_str() != marker && !orphans.contains(m))
        .cloned()
        .collect();
    others.extend(
        records
            .iter()
            .filter(|(m, r)| m.as_str() != marker && run.placing_elsewhere(r.pending.as_ref()))
            .map(|(m, _)| m.clone()),
    );
    let mut mine = from_state(own);
    if let Some(tagged) = records.get(marker) {
        mine.merge(tagged);
    }
    mine.pending = None;

    if !others.is_empty() {
        restored.others = others.into_iter().collect();
        // Hand the record over: it stays on the user for the last restore.
        if let Err(error) = write_record(iam, run, user_name, marker, &mine, &user.tags).await {
            restored.failed(format!("keep the record in tag `{marker}`"), error);
            return restored;
        }
        if own_policy {
            let call = iam.delete_user_policy(user_name, marker);
            match run.meter.call("iam", "DeleteUserPolicy", call).await {
                Ok(_) => restored
                    .done
                    .push(format!("removed deny-all policy `{marker}`")),
                Err(error) => {
                    restored.failed(format!("remove deny-all policy `{marker}`"), error);
                    return restored;
                }
            }
        }
        // Another workspace may have restored the others meanwhile: then
        // this is the last block after all.
        match find_user(iam, &run.meter, user_name, None).await {
            Ok(Some(now)) if !live_others(run, &now, marker) => {
                restored.others.clear();
                restore_last(iam, run, user_name, marker, &now, mine, &mut restored).await;
                return restored;
            }
            Ok(_) => {}
            Err(error) => tracing::debug!(%error, "re-check of the other blocks skipped"),
        }
        restored.warnings.push((
            "User stays blocked by other blocks".to_string(),
            format!(
                "IAM user `{user_name}` is still blocked by {}: its keys and groups come back when the last of them is restored",
                quoted(&restored.others)
            ),
        ));
        return restored;
    }

    restore_last(iam, run, user_name, marker, &user, mine, &mut restored).await;
    restored
}

/// The last block of the user: puts back everything any block recorded,
/// then removes the records, the policies of cut-off blocks, and the
/// block's own policy last.
async fn restore_last(
    iam: &Iam,
    run: &Run,
    user_name: &str,
    marker: &str,
    user: &User,
    mine: IamRecord,
    restored: &mut Restored,
) {
    let records = records(user);
    let policies = user.marker_policies();
    let adoptable = |m: &str| {
        records
            .get(m)
            .is_some_and(|r| run.may_adopt(r.pending.as_ref()))
    };
    let mut all = mine;
    for (other, record) in &records {
        if record.pending.is_none() || adoptable(other) || other == marker {
            all.merge(record);
        }
    }
    put_back_keys(iam, run, user_name, user, &all, restored).await;
    put_back_groups(iam, run, user_name, user, &all, restored).await;
    if !restored.errors.is_empty() {
        return;
    }
    for orphan in policies
        .iter()
        .filter(|m| m.as_str() != marker && adoptable(m))
    {
        let call = iam.delete_user_policy(user_name, orphan);
        if let Err(error) = run.meter.call("iam", "DeleteUserPolicy", call).await {
            restored.failed(
                format!("remove the policy of cut-off block `{orphan}`"),
                error,
            );
            return;
        }
        restored.done.push(format!(
            "removed the policy of cut-off block `{orphan}` (an apply that was cut off)"
        ));
    }
    // Every record but those of blocks another run is placing right now.
    let placing = |m: &str| {
        m != marker
            && records
                .get(m)
                .is_some_and(|r| run.placing_elsewhere(r.pending.as_ref()))
    };
    let tag_keys: Vec<String> = user
        .tags
        .keys()
        .filter(|key| record_tag_marker(key).is_some_and(|(m, _)| !placing(m)))
        .cloned()
        .collect();
    if !tag_keys.is_empty() {
        let call = iam.untag_user(user_name, &tag_keys);
        if let Err(error) = run.meter.call("iam", "UntagUser", call).await {
            restored.failed("remove the block records from the tags".to_string(), error);
            return;
        }
        restored
            .done
            .push("removed the block records from the tags".to_string());
    }
    if policies.iter().any(|p| p == marker) {
        let call = iam.delete_user_policy(user_name, marker);
        match run.meter.call("iam", "DeleteUserPolicy", call).await {
            Ok(true) => restored
                .done
                .push(format!("removed deny-all policy `{marker}`")),
            Ok(false) => {}
            Err(error) => restored.failed(format!("remove deny-all policy `{marker}`"), error),
        }
    }
}

/// True while a block of the user other than `marker` is live: its policy
/// is there, or it is still being placed by another run.
fn live_others(run: &Run, user: &User, marker: &str) -> bool {
    let records = records(user);
    let adoptable = |m: &str| {
        records
            .get(m)
            .is_some_and(|r| run.may_adopt(r.pending.as_ref()))
    };
    let policy = user
        .marker_policies()
        .iter()
        .any(|m| m != marker && !adoptable(m));
    let placing = records
        .iter()
        .any(|(m, r)| m != marker && run.placing_elsewhere(r.pending.as_ref()));
    policy || placing
}

/// Reactivates every recorded key that is still the same key.
async fn put_back_keys(
    iam: &Iam,
    run: &Run,
    user_name: &str,
    user: &User,
    record: &IamRecord,
    restored: &mut Restored,
) {
    let mut wanted = Vec::new();
    for fact in &record.keys {
        match user.keys.iter().find(|k| k.id == fact.id) {
            None => restored.warnings.push((
                "Access key deleted since the block".to_string(),
                format!("access key `{}` no longer exists, so it was not reactivated", fact.id),
            )),
            Some(key) if fact.created != 0 && key.created != fact.created => {
                restored.warnings.push((
                    "Access key changed since the block".to_string(),
                    format!("access key `{}` was created at {} but the block recorded {}: it is not the key the block deactivated, so it was left as it is", fact.id, key.created, fact.created),
                ))
            }
            Some(key) if key.is_active() => {}
            Some(_) => wanted.push(fact.id.clone()),
        }
    }
    let outcomes = for_each(wanted, |key| {
        let (iam, meter, user_name) = (iam.clone(), run.meter.clone(), user_name.to_string());
        async move {
            let call = iam.set_access_key_active(&user_name, &key, true);
            done_unless_gone(meter.call("iam", "UpdateAccessKey", call).await)
        }
    })
    .await;
    for (key, outcome) in outcomes {
        match outcome {
            Ok(true) => restored
                .done
                .push(format!("reactivated access key `{key}`")),
            Ok(false) => restored.warnings.push((
                "Access key deleted since the block".to_string(),
                format!(
                    "access key `{key}` was deleted during the restore, so it was not reactivated"
                ),
            )),
            Err(error) => restored.failed(format!("reactivate access key `{key}`"), error),
        }
    }
}

/// Re-adds the user to every recorded group that is still the same group.
async fn put_back_groups(
    iam: &Iam,
    run: &Run,
    user_name: &str,
    user: &User,
    record: &IamRecord,
    restored: &mut Restored,
) {
    let missing: Vec<GroupFact> = record
        .groups
        .iter()
        .filter(|fact| {
            !user
                .groups
                .iter()
                .any(|g| g.name == fact.name && (fact.id.is_empty() || g.id == fact.id))
        })
        .cloned()
        .collect();
    let names: Vec<String> = missing.iter().map(|g| g.name.clone()).collect();
    let ids = for_each(names, |group| {
        let (iam, meter) = (iam.clone(), run.meter.clone());
        async move {
            meter
                .call("iam", "GetGroup", iam.find_group_id(&group))
                .await
        }
    })
    .await;
    let mut wanted = Vec::new();
    for ((group, found), fact) in ids.into_iter().zip(&missing) {
        match found {
            Ok(None) => restored.warnings.push((
                "Group deleted since the block".to_string(),
                format!("group `{group}` no longer exists, so the user was not re-added to it"),
            )),
            Ok(Some(id)) if !fact.id.is_empty() && id != fact.id => {
                restored.warnings.push((
                    "Group recreated since the block".to_string(),
                    format!("group `{group}` was deleted and created again (id `{}` when blocked, `{id}` now): it is not the group the user left, so the user was not re-added", fact.id),
                ))
            }
            Ok(Some(_)) => wanted.push(group),
            Err(error) => restored.failed(format!("check group `{group}`"), error),
        }
    }
    let outcomes = for_each(wanted, |group| {
        let (iam, meter, user_name) = (iam.clone(), run.meter.clone(), user_name.to_string());
        async move {
            let call = iam.add_user_to_group(&group, &user_name);
            done_unless_gone(meter.call("iam", "AddUserToGroup", call).await)
        }
    })
    .await;
    for (group, outcome) in outcomes {
        match outcome {
            Ok(true) => restored.done.push(format!("re-added to group `{group}`")),
            Ok(false) => restored.warnings.push((
                "Group deleted since the block".to_string(),
                format!("group `{group}` was deleted during the restore, so the user was not re-added to it"),
            )),
            Err(error) => restored.failed(format!("re-add to group `{group}`"), error),
        }
    }
}

/// What AWS shows of the block now.
pub(crate) async fn observe(
    iam: &Iam,
    meter: &Meter,
    user_name: &str,
    marker: &str,
    record: &Record,
) -> Result<Observed, Error> {
    let Some(user) = find_user(iam, meter, user_name, Some(marker)).await? else {
        return Ok(Observed::UserGone);
    };
    Ok(observed(&user, marker, record))
}

/// [`observe`] on a user already read (with its marker document). Something
/// of the block is left while its policy is attached, a key it deactivated
/// is still inactive, or a group it removed still lacks the user.
pub(crate) fn observed(user: &User, marker: &str, record: &Record) -> Observed {
    let mut undone = Vec::new();
    match &user.marker_document {
        None => undone.push(format!("policy `{marker}` was removed")),
        Some(document) if !denies_all(document) => {
            undone.push(format!("policy `{marker}` no longer denies everything"))
        }
        Some(_) => {}
    }
    let active = user.active_keys();
    undone.extend(
        active
            .iter()
            .map(|key| format!("access key `{}` is active", key.id)),
    );
    undone.extend(
        user.groups
            .iter()
            .map(|group| format!("the user is in group `{}`", group.name)),
    );
    let key_still_off = record
        .keys_deactivated
        .iter()
        .any(|key| user.keys.iter().any(|k| k.id == *key && !k.is_active()));
    let group_still_left = record
        .groups_removed
        .iter()
        .any(|group| !user.groups.iter().any(|g| g.name == *group));
    Observed::User {
        user_id: user.user_id.clone(),
        undone,
        left: user.marker_document.is_some() || key_still_off || group_still_left,
    }
}

/// True when `document` is the block's deny-all policy (in any encoding).
pub(crate) fn denies_all(document: &str) -> bool {
    matches!(
        (normalize_policy_json(document), normalize_policy_json(DENY_ALL)),
        (Ok(actual), Ok(expected)) if actual == expected
    )
}

/// For import: the block's marker policy, the user, and the record stored
/// on the user for that marker (empty when there is none).
pub(crate) async fn discover(
    iam: &Iam,
    meter: &Meter,
    user_name: &str,
    wanted: Option<&str>,
) -> Result<(String, User, Record), Error> {
    let Some(user) = find_user(iam, meter, user_name, None).await? else {
        return Err(Error::NotFound {
            what: format!("IAM user `{user_name}`"),
        });
    };
    let markers: Vec<String> = user
        .marker_policies()
        .into_iter()
        .filter(|m| wanted.is_none_or(|w| w == m))
        .collect();
    match markers.as_slice() {
        [marker] => {
            let stored = records(&user).remove(marker).unwrap_or_default();
            let record = Record {
                user_id: user.user_id.clone(),
                keys_deactivated: stored.keys.iter().map(|k| k.id.clone()).collect(),
                groups_removed: stored.groups.iter().map(|g| g.name.clone()).collect(),
                ..Record::default()
            };
            let document = iam.find_user_policy(user_name, marker).await?;
            let user = User {
                marker_document: document,
                ..user
            };
            Ok((marker.clone(), user, record))
        }
        [] => Err(Error::NotFound {
            what: format!("a jit block policy on IAM user `{user_name}`"),
        }),
        _ => Err(Error::invalid(
            Default::default(),
            "Several block policies",
            format!(
                "User `{user_name}` carries several block policies ({}), one per block. Name the one to import: `iam:{user_name}/<marker>`.",
                quoted(&markers)
            ),
        )),
    }
}

/// Runs `op` for every item concurrently; returns each item with its
/// outcome, in input order.
async fn for_each<F, Fut, T>(items: Vec<String>, op: F) -> Vec<(String, Result<T, Error>)>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
    T: Send + 'static,
{
    let mut tasks = JoinSet::new();
    for (index, item) in items.iter().enumerate() {
        let call = op(item.clone());
        tasks.spawn(async move { (index, call.await) });
    }
    let mut outcomes: Vec<Option<Result<T, Error>>> = items.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, outcome)) => {
                if let Some(slot) = outcomes.get_mut(index) {
                    *slot = Some(outcome);
                }
            }
            Err(error) => tracing::debug!(%error, "an IAM request task failed"),
        }
    }
    items
        .into_iter()
        .zip(outcomes)
        .map(|(item, outcome)| {
            let outcome = outcome.unwrap_or_else(|| {
                Err(Error::Aws {
                    service: "iam",
                    operation: "task",
                    code: None,
                    message: "the request task failed".to_string(),
                    request_id: None,
                })
            });
            (item, outcome)
        })
        .collect()
}
