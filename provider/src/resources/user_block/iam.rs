//! Blocking an IAM user: an inline deny-all policy named for the block (the
//! marker), then its active access keys deactivated, then its group
//! memberships removed. The console login profile is kept, so a restore
//! needs no new password.

use std::future::Future;

use tokio::task::JoinSet;

use super::meter::Meter;
use super::plan::{iam_path, is_marker};
use super::record::{Inherited, Observed, Progress, Record, Restored};
use crate::aws::iam::Iam;
use crate::error::Error;
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
    /// Access keys: id and whether active.
    pub keys: Vec<(String, bool)>,
    /// Group names.
    pub groups: Vec<String>,
    /// The document of the block's own policy, when asked for and present.
    pub marker_document: Option<String>,
}

impl User {
    /// Ids of the active access keys.
    pub fn active_keys(&self) -> Vec<String> {
        self.keys
            .iter()
            .filter(|(_, active)| *active)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// The user with its policies, active keys and groups (and the marker
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
    let (user, policies, keys, groups, document) = tokio::join!(
        meter.call("iam", "GetUser", iam.find_user_by_name(user_name)),
        meter.call("iam", "ListUserPolicies", iam.list_user_policies(user_name)),
        meter.call("iam", "ListAccessKeys", iam.list_access_keys(user_name)),
        meter.call(
            "iam",
            "ListGroupsForUser",
            iam.list_groups_for_user(user_name)
        ),
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
        keys: keys?
            .into_iter()
            .map(|key| {
                let active = key.is_active();
                (key.id, active)
            })
            .collect(),
        groups: groups?,
        marker_document: document?,
    }))
}

/// The document of the block's policy (`Some(None)`: not attached), or
/// `None` when the user is gone. Two calls, made together.
async fn marker_document(
    iam: &Iam,
    meter: &Meter,
    user_name: &str,
    marker: &str,
) -> Result<Option<Option<String>>, Error> {
    let (user, policy) = tokio::join!(
        meter.call("iam", "GetUser", iam.find_user_by_name(user_name)),
        meter.call(
            "iam",
            "GetUserPolicy",
            iam.find_user_policy(user_name, marker)
        )
    );
    match user {
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
        Ok(_) => policy.map(Some),
    }
}

/// Deny policy first, then keys, then groups. Policies of earlier blocks of
/// the user are removed once this block's policy is in place.
pub(crate) async fn block(
    iam: &Iam,
    meter: &Meter,
    user_name: &str,
    marker: &str,
    inherited: Option<&Inherited>,
) -> Progress {
    let mut progress = Progress::default();
    let user = match find_user(iam, meter, user_name, None).await {
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
    progress.record.user_id = user.user_id.clone();
    match inherited.filter(|i| i.record.user_id.is_empty() || i.record.user_id == user.user_id) {
        Some(inherited) => {
            progress.record.keys_deactivated = inherited.record.keys_deactivated.clone();
            progress.record.groups_removed = inherited.record.groups_removed.clone();
        }
        None if inherited.is_some() => progress.warnings.push((
            "Earlier block record dropped".to_string(),
            "the earlier block was of a user that no longer exists under this name; its record was dropped".to_string(),
        )),
        None => {}
    }

    let put = meter
        .call(
            "iam",
            "PutUserPolicy",
            iam.put_user_policy(user_name, marker, DENY_ALL),
        )
        .await;
    if let Err(error) = put {
        // A re-block whose policy is still there remains blocked by it.
        progress.marker_placed = user.policies.iter().any(|p| p == marker);
        progress.errors.push(error);
        return progress;
    }
    progress.marker_placed = true;
    if !user.policies.iter().any(|p| p == marker) {
        progress
            .done
            .push(format!("attached deny-all policy `{marker}`"));
    }

    let earlier: Vec<String> = user
        .policies
        .iter()
        .filter(|p| is_marker(p) && *p != marker)
        .cloned()
        .collect();
    for policy in earlier {
        let deleted = meter
            .call(
                "iam",
                "DeleteUserPolicy",
                iam.delete_user_policy(user_name, &policy),
            )
            .await;
        if let Err(error) = deleted {
            progress.errors.push(error);
            return progress;
        }
        if inherited.is_none_or(|i| i.marker != policy) {
            progress.warnings.push(("Earlier block taken over".to_string(), format!("the user was already blocked by policy `{policy}`, which is not in this state; this block took it over. What that block changed (keys, groups) is not in this block's record: see its `user_block.block` audit event")));
        }
        progress
            .done
            .push(format!("removed earlier block policy `{policy}`"));
        progress.took_over.push(policy);
    }

    let (keys, failed) = for_each(user.active_keys(), |key| {
        let (iam, meter, user_name) = (iam.clone(), meter.clone(), user_name.to_string());
        async move {
            let call = iam.set_access_key_active(&user_name, &key, false);
            meter
                .call("iam", "UpdateAccessKey", call)
                .await
                .map(|()| true)
        }
    })
    .await;
    for key in keys {
        progress
            .done
            .push(format!("deactivated access key `{key}`"));
        push_unique(&mut progress.record.keys_deactivated, key);
    }
    if !failed.is_empty() {
        progress.errors.extend(failed);
        return progress;
    }

    let (groups, failed) = for_each(user.groups, |group| {
        let (iam, meter, user_name) = (iam.clone(), meter.clone(), user_name.to_string());
        // `false`: not a member any more, or the group is gone: nothing to record.
        async move {
            let call = iam.remove_user_from_group(&group, &user_name);
            meter.call("iam", "RemoveUserFromGroup", call).await
        }
    })
    .await;
    for group in groups {
        progress.done.push(format!("removed from group `{group}`"));
        push_unique(&mut progress.record.groups_removed, group);
    }
    progress.errors.extend(failed);
    progress
}

/// Reactivates the recorded keys, re-adds the recorded groups, and removes
/// the deny policy last, so a restore that fails part-way leaves the user
/// blocked and can be run again.
pub(crate) async fn restore(
    iam: &Iam,
    meter: &Meter,
    user_name: &str,
    marker: &str,
    keys: &[String],
    groups: &[String],
) -> Restored {
    let mut restored = Restored::default();
    let document = match marker_document(iam, meter, user_name, marker).await {
        Ok(Some(document)) => document,
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
    if document.is_none() {
        let mut left = Vec::new();
        if !keys.is_empty() {
            left.push(format!("access keys {}", quoted(keys)));
        }
        if !groups.is_empty() {
            left.push(format!("groups {}", quoted(groups)));
        }
        restored.warnings.push((
            "Block marker not in place".to_string(),
            format!(
                "policy `{marker}` is no longer attached (removed, or taken over by a newer block): nothing was restored{}",
                if left.is_empty() {
                    String::new()
                } else {
                    format!("; {} stay as they are", left.join(" and "))
                }
            ),
        ));
        return restored;
    }

    let reactivated = put_back(
        &mut restored,
        keys,
        |key| {
            let (iam, meter, user_name) = (iam.clone(), meter.clone(), user_name.to_string());
            async move {
                let call = iam.set_access_key_active(&user_name, &key, true);
                meter.call("iam", "UpdateAccessKey", call).await
            }
        },
        |key| format!("reactivated access key `{key}`"),
        ("Access key deleted meanwhile", |key| {
            format!("access key `{key}` was deleted after the block, so it was not reactivated")
        }),
    )
    .await;
    if !reactivated {
        return restored;
    }
    let re_added = put_back(
        &mut restored,
        groups,
        |group| {
            let (iam, meter, user_name) = (iam.clone(), meter.clone(), user_name.to_string());
            async move {
                let call = iam.add_user_to_group(&group, &user_name);
                meter.call("iam", "AddUserToGroup", call).await
            }
        },
        |group| format!("re-added to group `{group}`"),
        ("Group deleted meanwhile", |group| {
            format!("group `{group}` was deleted after the block, so the user was not re-added")
        }),
    )
    .await;
    if !re_added {
        return restored;
    }

    let deleted = meter
        .call(
            "iam",
            "DeleteUserPolicy",
            iam.delete_user_policy(user_name, marker),
        )
        .await;
    match deleted {
        Ok(true) => restored
            .done
            .push(format!("removed deny-all policy `{marker}`")),
        Ok(false) => {}
        Err(error) => restored.errors.push(error),
    }
    restored
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
            .map(|key| format!("access key `{key}` is active")),
    );
    undone.extend(
        user.groups
            .iter()
            .map(|group| format!("the user is in group `{group}`")),
    );
    let key_still_off = record
        .keys_deactivated
        .iter()
        .any(|key| user.keys.iter().any(|(id, on)| id == key && !on));
    let group_still_left = record
        .groups_removed
        .iter()
        .any(|group| !user.groups.contains(group));
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

/// For import: the block's marker policy and the user.
pub(crate) async fn discover(
    iam: &Iam,
    meter: &Meter,
    user_name: &str,
) -> Result<(String, User), Error> {
    let Some(user) = find_user(iam, meter, user_name, None).await? else {
        return Err(Error::NotFound {
            what: format!("IAM user `{user_name}`"),
        });
    };
    let markers: Vec<&String> = user.policies.iter().filter(|p| is_marker(p)).collect();
    match markers.as_slice() {
        [marker] => Ok(((*marker).clone(), user.clone())),
        [] => Err(Error::NotFound {
            what: format!("a jit block policy on IAM user `{user_name}`"),
        }),
        _ => Err(Error::invalid(
            Default::default(),
            "Several block policies",
            format!(
                "User `{user_name}` carries several block policies ({}); remove the extra ones by hand, then import again.",
                quoted(&markers.iter().map(|m| m.to_string()).collect::<Vec<_>>())
            ),
        )),
    }
}

/// Runs `op` for every item concurrently; returns the items whose `op`
/// answered `true` (in input order) and the errors.
async fn for_each<F, Fut>(items: Vec<String>, op: F) -> (Vec<String>, Vec<Error>)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<bool, Error>> + Send + 'static,
{
    let mut tasks = JoinSet::new();
    for (index, item) in items.iter().enumerate() {
        let call = op(item.clone());
        tasks.spawn(async move { (index, call.await) });
    }
    let mut done = Vec::new();
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, Ok(true))) => done.push(index),
            Ok((_, Ok(false))) => {}
            Ok((_, Err(error))) => errors.push(error),
            Err(error) => errors.push(Error::Aws {
                service: "iam",
                operation: "task",
                code: None,
                message: format!("the request task failed: {error}"),
                request_id: None,
            }),
        }
    }
    done.sort_unstable();
    (
        done.into_iter()
            .filter_map(|i| items.get(i).cloned())
            .collect(),
        errors,
    )
}

/// Puts back each recorded item (concurrently) with `call`, noting `done`
/// for each; an item AWS no longer has gets the `gone` warning. `false`
/// when a call failed (its error is recorded, the user stays blocked).
async fn put_back<F, Fut>(
    restored: &mut Restored,
    items: &[String],
    call: F,
    done: impl Fn(&str) -> String,
    gone: (&str, impl Fn(&str) -> String),
) -> bool
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    let (put, failed) = for_each(items.to_vec(), |item| {
        let call = call(item);
        async move { done_unless_gone(call.await) }
    })
    .await;
    if failed.is_empty() {
        for item in items.iter().filter(|item| !put.contains(item)) {
            restored.warnings.push((gone.0.to_string(), (gone.1)(item)));
        }
    }
    restored.done.extend(put.iter().map(|item| done(item)));
    let ok = failed.is_empty();
    restored.errors.extend(failed);
    ok
}

/// `Ok(false)` when AWS says the object is gone.
fn done_unless_gone(result: Result<(), Error>) -> Result<bool, Error> {
    match result {
        Ok(()) => Ok(true),
        Err(error) if error.is_not_found() => Ok(false),
        Err(error) => Err(error),
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
