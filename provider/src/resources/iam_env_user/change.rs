//! Create and update of a `jit_iam_env_user`: the AWS steps in order, each
//! recorded, so that a failure part-way saves what was done and says so.
//!
//! Everything that can fail without AWS (missing role groups, an unusable
//! key) is checked before the first change.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tf_provider::value::{Value, ValueEmpty};
use tf_provider::AttributePath;

use super::password::{generate_password, Password, RecipientKey, DEFAULT_PASSWORD_LENGTH};
use super::plan::{
    check, clear_password, console_url, known_map, password_change, PasswordChange, Target,
};
use super::{EnvUserState, StrMap};
use crate::audit::{result, AuditSink};
use crate::aws::iam::Iam;
use crate::aws::retried_create::{create_or_own, is_conflict, Found};
use crate::aws::wait::retry_when;
use crate::error::{attr, Error};
use crate::framework::{Errors, Failure, Op};
use crate::policy::{group_name, Role};
use crate::values::{known_str_list, str_list, text};

/// How long a just-created user may be invisible to other IAM calls.
const USER_PROPAGATION: Duration = Duration::from_secs(60);

/// State and private state after an apply.
type Applied = (EnvUserState, ValueEmpty);

/// Creates the user, adds it to its role groups, and gives it a console
/// password when asked.
pub(crate) async fn create(
    op: &mut Op<'_>,
    planned: EnvUserState,
) -> Result<Applied, Failure<Applied>> {
    let iam = op.ctx()?.aws.iam();
    let checked = check(&planned).map_err(Errors::from)?;
    let target = known_target(checked.target.clone(), "created")?;
    let name = text(&planned.name).to_string();
    require_groups(&iam, &target, &target.groups).await?;
    // Encrypt before anything exists, so a bad key changes nothing.
    let secret = match checked.console_key() {
        Some(key) => Some(new_password(&iam, key).await?),
        None => None,
    };
    // A retry after a lost answer takes the user its first attempt made
    // (created during the call, with only the tags sent, nothing else on it).
    let tags = known_map(&planned.tags_all);
    let created = create_or_own(
        "user",
        |attempts| {
            let (iam, name, tags) = (&iam, &name, &tags);
            async move { iam.create_user(name, tags, &attempts).await }
        },
        || async {
            Ok(iam
                .find_user_after_create(&name, &tags)
                .await?
                .map(Found::iam))
        },
    )
    .await;
    let arn = match created {
        Ok(arn) => arn,
        Err(error) if is_conflict(&error) => {
            return Err(Error::invalid(
                attr("name"),
                "User already exists",
                format!("An IAM user `{name}` already exists in this account, and this create did not make it. Import it (`terraform import <address> {name}`) or choose another `name`."),
            )
            .into());
        }
        Err(error) => return Err(error.at(attr("name")).into()),
    };
    let mut state = planned;
    state.arn = Value::Value(arn);
    state.console_login_url = console_url(&state);
    // From here on the user exists: every failure saves what was done.
    let mut done = vec![format!("created user `{name}`")];
    let mut added = Vec::new();
    let mut failed = None;
    for group in &target.groups {
        match add_to_group(&iam, &name, group).await {
            Ok(()) => {
                added.push(group.clone());
                done.push(format!("added it to `{group}`"));
            }
            Err(error) => {
                state.groups = str_list(added.clone());
                failed = Some(error);
                break;
            }
        }
    }
    if let (None, Some((password, encrypted, fingerprint))) = (&failed, secret) {
        match create_login_profile(&iam, &name, &password).await {
            Ok(()) => {
                done.push("set an initial console password".to_string());
                state.encrypted_password = Value::Value(encrypted);
                state.key_fingerprint = Value::Value(fingerprint);
            }
            Err(error) => failed = Some(error),
        }
    }
    if let Some(error) = failed {
        state.console_access = Value::Value(false);
        clear_password(&mut state);
        audit(op, "create", &name, result::FAILURE, &done).await;
        return Err(Failure::saved(
            (state, ValueEmpty::default()),
            partial(&done, error),
        ));
    }
    audit(op, "create", &name, result::SUCCESS, &done).await;
    Ok((state, ValueEmpty::default()))
}

/// Applies tags, memberships and the console password of an update. Other
/// inputs are recorded as planned; they need no AWS call.
pub(crate) async fn update(
    op: &mut Op<'_>,
    prior: EnvUserState,
    planned: EnvUserState,
) -> Result<Applied, Failure<Applied>> {
    let iam = op.ctx()?.aws.iam();
    let checked = check(&planned).map_err(Errors::from)?;
    let target = known_target(checked.target.clone(), "updated")?;
    let name = text(&planned.id).to_string();
    let prior_groups: BTreeSet<String> = known_str_list(&prior.groups)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let wanted: BTreeSet<String> = target.groups.iter().cloned().collect();
    // While a `jit_user_block` is on the user, its memberships are the
    // block's: left alone, and recorded as planned (the block's restore
    // puts the old ones back, and the next apply then moves them).
    let blocked = !super::blocks_on(&iam, &name).await?.is_empty();
    let to_add: Vec<String> = if blocked {
        Vec::new()
    } else {
        wanted.difference(&prior_groups).cloned().collect()
    };
    require_groups(&iam, &target, &to_add).await?;
    let console = password_change(&prior, &checked);
    // Encrypt before changing anything, so a bad key changes nothing.
    let secret = match &console {
        PasswordChange::Set { key, .. } => Some(new_password(&iam, key).await?),
        PasswordChange::Keep | PasswordChange::Remove | PasswordChange::Undecided => None,
    };

    let mut state = prior.clone();
    let mut done: Vec<String> = Vec::new();
    let steps = async {
        update_tags(&iam, &name, &prior.tags_all, &planned.tags_all).await?;
        state.tags = planned.tags.clone();
        state.tags_all = planned.tags_all.clone();
        if prior.tags_all != planned.tags_all {
            done.push("updated the tags".to_string());
        }
        state.environment = planned.environment.clone();
        state.name_prefix = planned.name_prefix.clone();
        state.roles = planned.roles.clone();
        state.force_destroy = planned.force_destroy;
        state.pgp_key = planned.pgp_key.clone();

        let mut groups = if blocked {
            wanted.clone()
        } else {
            prior_groups.clone()
        };
        let to_remove: Vec<String> = if blocked {
            Vec::new()
        } else {
            prior_groups.difference(&wanted).cloned().collect()
        };
        let mut moved = Ok(());
        for group in &to_add {
            moved = add_to_group(&iam, &name, group).await;
            if moved.is_err() {
                break;
            }
            groups.insert(group.clone());
            done.push(format!("added it to `{group}`"));
        }
        if moved.is_ok() {
            for group in &to_remove {
                moved = iam.remove_user_from_group(group, &name).await.map(|_| ());
                if moved.is_err() {
                    break;
                }
                groups.remove(group);
                done.push(format!("removed it from `{group}`"));
            }
        }
        state.groups = str_list(groups.iter().cloned());
        moved?;

        let console_result = match (&console, secret) {
            (PasswordChange::Set { exists, .. }, Some((password, encrypted, fingerprint))) => {
                let call = if *exists {
                    reset_login_profile(&iam, &name, &password).await
                } else {
                    create_login_profile(&iam, &name, &password).await
                };
                call.map(|()| {
                    done.push(if *exists {
                        "set a new console password".to_string()
                    } else {
                        "gave it a console password".to_string()
                    });
                    state.console_access = Value::Value(true);
                    state.encrypted_password = Value::Value(encrypted);
                    state.key_fingerprint = Value::Value(fingerprint);
                })
            }
            (PasswordChange::Remove, _) => iam.delete_login_profile(&name).await.map(|()| {
                done.push("removed its console password".to_string());
                state.console_access = Value::Value(false);
                clear_password(&mut state);
            }),
            _ => {
                state.console_access = planned.console_access;
                state.encrypted_password = planned.encrypted_password.clone();
                state.key_fingerprint = planned.key_fingerprint.clone();
                Ok(())
            }
        };
        state.console_login_url = console_url(&state);
        console_result
    }
    .await;
    match steps {
        Ok(()) => {
            if !done.is_empty() {
                audit(op, "update", &name, result::SUCCESS, &done).await;
            }
            Ok((state, ValueEmpty::default()))
        }
        Err(error) => {
            audit(op, "update", &name, result::FAILURE, &done).await;
            Err(Failure::saved(
                (state, ValueEmpty::default()),
                partial(&done, error),
            ))
        }
    }
}

/// The target at apply, where the inputs must be known.
fn known_target(target: Option<Target>, when: &str) -> Result<Target, Error> {
    target.ok_or_else(|| {
        Error::incomplete(
            "Inputs unknown at apply",
            format!(
                "`name_prefix`, `environment` and `roles` must be known when the user is {when}."
            ),
        )
    })
}

/// Fails with an error naming the missing `jit_iam_env_group` when a group
/// the user should join does not exist.
async fn require_groups(iam: &Iam, target: &Target, groups: &[String]) -> Result<(), Error> {
    for group in groups {
        if iam.group_exists(group).await? {
            continue;
        }
        let role = Role::ALL
            .into_iter()
            .find(|role| *group == group_name(&target.prefix, target.environment, *role))
            .map_or_else(String::new, |role| role.to_string());
        return Err(Error::invalid(
            attr("roles"),
            format!("Role group `{group}` does not exist"),
            format!(
                "Add `resource \"jit_iam_env_group\"` with `name_prefix = \"{}\"`, `environment = \"{}\"` and `role = \"{role}\"`, and let this user depend on it (`depends_on`), then apply again. Nothing was changed.",
                target.prefix, target.environment
            ),
        ));
    }
    Ok(())
}

/// A new password for `key`: the password, its encryption and the key's
/// fingerprint. Its length follows the account password policy when that
/// asks for more than the default.
async fn new_password(iam: &Iam, key: &RecipientKey) -> Result<(Password, String, String), Error> {
    let minimum = iam.find_minimum_password_length().await?;
    let password = generate_password(minimum.max(DEFAULT_PASSWORD_LENGTH));
    let encrypted = key
        .encrypt(&password)
        .map_err(|problem| Error::invalid(attr("pgp_key"), "Unusable PGP key", problem.hint()))?;
    Ok((password, encrypted, key.fingerprint.clone()))
}

/// Creates the login profile, retrying while a just-created user is not yet
/// visible.
async fn create_login_profile(iam: &Iam, name: &str, password: &Password) -> Result<(), Error> {
    tracing::debug!(user = name, "creating console login profile");
    retry_when(USER_PROPAGATION, Error::is_not_found, || {
        iam.create_login_profile(name, password)
    })
    .await
}

/// Sets a new password on an existing login profile.
async fn reset_login_profile(iam: &Iam, name: &str, password: &Password) -> Result<(), Error> {
    tracing::debug!(user = name, "resetting console password");
    iam.update_login_profile(name, password).await
}

/// Adds the user to a group, retrying while a just-created user is not yet
/// visible.
async fn add_to_group(iam: &Iam, name: &str, group: &str) -> Result<(), Error> {
    retry_when(USER_PROPAGATION, Error::is_not_found, || {
        iam.add_user_to_group(group, name)
    })
    .await
}

/// Applies the difference between two `tags_all` maps.
async fn update_tags(iam: &Iam, name: &str, prior: &StrMap, planned: &StrMap) -> Result<(), Error> {
    let prior = known_map(prior);
    let planned = known_map(planned);
    let removed: Vec<String> = prior
        .keys()
        .filter(|key| !planned.contains_key(*key))
        .cloned()
        .collect();
    let changed: BTreeMap<String, String> = planned
        .into_iter()
        .filter(|(key, value)| prior.get(key) != Some(value))
        .collect();
    if !removed.is_empty() {
        iam.untag_user(name, &removed).await?;
    }
    if !changed.is_empty() {
        iam.tag_user(name, &changed).await?;
    }
    Ok(())
}

/// An error after some steps succeeded: the error, with what was done.
pub(crate) fn partial(done: &[String], error: Error) -> Error {
    let (summary, detail, path) = error.into_parts(AttributePath::default());
    let done = if done.is_empty() {
        "Nothing was changed.".to_string()
    } else {
        format!(
            "Already done: {}. Run apply again to finish.",
            done.join("; ")
        )
    };
    Error::incomplete(summary, format!("{detail}\n\n{done}")).at(path)
}

/// Writes the audit event of a change; a failed write is a warning (the IAM
/// change itself is already made and reviewed in the pull request).
pub(crate) async fn audit(
    op: &mut Op<'_>,
    action: &str,
    name: &str,
    outcome: &str,
    done: &[String],
) {
    let mut event = AuditSink::event(&format!("iam_env_user.{action}"), "jit_iam_env_user", name);
    event.result = outcome.to_string();
    event.details.insert("steps".to_string(), done.join("; "));
    op.audit_or_warn(event, action).await;
}
