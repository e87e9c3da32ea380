//! `jit_identity_center_user`: one IAM Identity Center user, never a
//! duplicate: creating a user whose user name or email already exists is an
//! error naming the existing user and the import command that adopts it.

mod plan;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::AttributePath;

use crate::aws::identity_store::NewUser;
use crate::aws::retried_create::{create_or_own, is_conflict, Found};
use crate::error::{attr, Error};
use crate::framework::{Errors, Failure, Op, Planned, ResourceType};
use crate::resources::audit_change;
use crate::schema::*;
use crate::values::{known_str, text};
use crate::{copy_fields, unknown_fields};

use plan::{check, expand_update, flatten, is_as_created, plan_display_name, Conflict};

/// The resource type, for messages and audit events.
pub const TYPE_NAME: &str = "jit_identity_center_user";

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct UserState {
    /// Display name; `<given_name> <family_name>` when not set.
    pub display_name: Value<String>,
    /// Primary email.
    pub email: Value<String>,
    /// Family name.
    pub family_name: Value<String>,
    /// Given name.
    pub given_name: Value<String>,
    /// Same as `user_id`.
    pub id: Value<String>,
    /// The identity store holding the user.
    pub identity_store_id: Value<String>,
    /// User id.
    pub user_id: Value<String>,
    /// Unique sign-in name.
    pub user_name: Value<String>,
}

/// The resource. It serialises the duplicate check and the create (or the
/// email change) per identity store inside one provider process: two users
/// with one email in one parallel apply cannot both pass the check.
#[derive(Debug, Default)]
pub struct IdentityCenterUser {
    stores: StoreLocks,
}

/// One lock per identity store, held from the duplicate check to the end
/// of the create or update it guards (one small critical section per user,
/// so a parallel apply of many users waits only on the few calls of each).
#[derive(Debug, Default)]
struct StoreLocks(std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl StoreLocks {
    async fn lock(&self, store: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(locks.entry(store.to_string()).or_default())
        };
        lock.lock_owned().await
    }
}

type Applied = (UserState, ValueEmpty);

#[async_trait]
impl ResourceType for IdentityCenterUser {
    type State = UserState;
    type Private = ValueEmpty;
    const NAME: &'static str = "identity_center_user";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "A user in IAM Identity Center's identity store. The provider refuses to create a second user with the same user name or email: it names the existing user and the `terraform import` command that adopts it instead.",
                [
                    ("display_name", optional_computed_str("Name shown in the AWS access portal and console. Default `<given_name> <family_name>`. Updated in place.")),
                    ("email", required_str("Primary (work) email address, checked for typos. No other user may have it. Updated in place.")),
                    ("family_name", required_str("Family name. Updated in place.")),
                    ("given_name", required_str("Given name. Updated in place.")),
                    ("id", computed_str("Same as `user_id`.")),
                    ("identity_store_id", computed_str("The identity store holding the user (`d-…`): the provider's `identity_store_id`, or the one discovered.")),
                    ("user_id", computed_str("The user's id in the identity store; reference it from `jit_identity_center_group_membership.user`.")),
                    ("user_name", forces_replacement(required_str("Unique sign-in name, e.g. `alice@example.com`: at most 128 characters, no spaces. `Administrator` and `AWSAdministrators` are reserved."))),
                ],
                [],
            ),
        )
    }

    fn validate(config: &UserState) -> Result<(), Errors> {
        check(config)
    }

    async fn read(&self, op: &mut Op<'_>, state: UserState) -> Result<Option<UserState>, Error> {
        let store = store_of(op, &state).await?;
        let found = op
            .ctx()?
            .aws
            .identity_store()
            .find_user_by_id(&store, text(&state.user_id))
            .await;
        match found {
            Ok(user) => Ok(Some(flatten(state, &store, user))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn plan_create(
        &self,
        op: &mut Op<'_>,
        mut planned: UserState,
        config: &UserState,
    ) -> Result<Applied, Errors> {
        check(&planned)?;
        plan_display_name(&mut planned, config);
        unknown_fields!(planned; id, user_id, identity_store_id);
        // Tell the reviewer now; the same check is an error at apply. It
        // stays a warning here because a plan that replaces a user finds
        // that very user, which is deleted before the new one is created.
        if op.ctx().is_ok() {
            match find_existing(op, &planned, None).await {
                Ok(existing) => {
                    for conflict in existing {
                        let (summary, detail, path) = conflict.describe();
                        op.warn(
                            summary,
                            format!("{detail} This apply will fail unless the plan replaces that very user."),
                            path,
                        );
                    }
                }
                Err(error) => tracing::debug!(%error, "duplicate check skipped at plan"),
            }
        }
        Ok((planned, ValueEmpty::default()))
    }

    async fn plan_update(
        &self,
        _op: &mut Op<'_>,
        prior: &UserState,
        mut planned: UserState,
        config: &UserState,
        private: ValueEmpty,
    ) -> Result<Planned<UserState, ValueEmpty>, Errors> {
        check(&planned)?;
        plan_display_name(&mut planned, config);
        let replace = if planned.user_name != prior.user_name {
            unknown_fields!(planned; id, user_id, identity_store_id);
            vec![attr("user_name")]
        } else {
            copy_fields!(prior => planned; id, user_id, identity_store_id);
            Vec::new()
        };
        Ok(Planned {
            state: planned,
            private,
            replace,
        })
    }

    async fn create(
        &self,
        op: &mut Op<'_>,
        mut state: UserState,
        private: ValueEmpty,
    ) -> Result<Applied, Failure<Applied>> {
        check(&state)?;
        let ctx = op.ctx()?;
        let store = ctx.identity_center().await?.identity_store_id.clone();
        let _serialised = self.stores.lock(&store).await;
        let existing = find_existing(op, &state, None).await?;
        if !existing.is_empty() {
            return Err(conflict_errors(existing).into());
        }
        let user_name = text(&state.user_name).to_string();
        let new_user = NewUser {
            user_name: &user_name,
            display_name: text(&state.display_name),
            given_name: text(&state.given_name),
            family_name: text(&state.family_name),
            email: text(&state.email),
        };
        let identity_store = ctx.aws.identity_store();
        let created = create_or_own(
            "user",
            |attempts| {
                let (store, new_user) = (&store, &new_user);
                async move { identity_store.create_user(store, new_user, &attempts).await }
            },
            || async {
                let Some(id) = identity_store
                    .find_user_id_by(&store, "userName", &user_name)
                    .await?
                else {
                    return Ok(None);
                };
                let user = identity_store.find_user_by_id(&store, &id).await?;
                Ok(Some(Found {
                    as_configured: is_as_created(&user, &new_user),
                    created_at: user.created_at,
                    id,
                }))
            },
        )
        .await;
        let user_id = match created {
            Ok(user_id) => user_id,
            Err(error) => {
                audit_change(
                    op,
                    "identity_center_user.create",
                    TYPE_NAME,
                    &user_name,
                    &[],
                    Some(&error),
                )
                .await;
                if is_conflict(&error) {
                    let existing = find_existing(op, &state, None).await?;
                    if !existing.is_empty() {
                        return Err(conflict_errors(existing).into());
                    }
                }
                return Err(error.at(attr("user_name")).into());
            }
        };
        let details = [
            ("user_id", user_id.as_str()),
            ("identity_store_id", store.as_str()),
        ];
        audit_change(
            op,
            "identity_center_user.create",
            TYPE_NAME,
            &user_name,
            &details,
            None,
        )
        .await;
        state.id = Value::Value(user_id.clone());
        state.user_id = Value::Value(user_id);
        state.identity_store_id = Value::Value(store);
        Ok((state, private))
    }

    async fn update(
        &self,
        op: &mut Op<'_>,
        prior: UserState,
        planned: UserState,
        private: ValueEmpty,
    ) -> Result<Applied, Failure<Applied>> {
        check(&planned)?;
        let updates = expand_update(&prior, &planned);
        if updates.is_empty() {
            return Ok((planned, private));
        }
        let user_id = text(&prior.user_id).to_string();
        let _serialised = if planned.email != prior.email {
            Some(self.stores.lock(text(&prior.identity_store_id)).await)
        } else {
            None
        };
        if planned.email != prior.email {
            let existing = find_existing(op, &planned, Some(&user_id)).await?;
            if !existing.is_empty() {
                return Err(conflict_errors(existing).into());
            }
        }
        let changed: Vec<&str> = updates.iter().map(|update| update.path).collect();
        let updated = op
            .ctx()?
            .aws
            .identity_store()
            .update_user(text(&prior.identity_store_id), &user_id, &updates)
            .await;
        let details = [
            ("user_id", user_id.as_str()),
            ("changed", &changed.join(",")),
        ];
        audit_change(
            op,
            "identity_center_user.update",
            TYPE_NAME,
            text(&prior.user_name),
            &details,
            updated.as_ref().err(),
        )
        .await;
        // On failure nothing changed in AWS: the prior state stays, so the
        // next plan shows the same update again.
        updated?;
        Ok((planned, private))
    }

    async fn destroy(
        &self,
        op: &mut Op<'_>,
        prior: UserState,
        _private: ValueEmpty,
    ) -> Result<(), Error> {
        let user_id = text(&prior.user_id);
        let deleted = op
            .ctx()?
            .aws
            .identity_store()
            .delete_user(text(&prior.identity_store_id), user_id)
            .await;
        audit_change(
            op,
            "identity_center_user.delete",
            TYPE_NAME,
            text(&prior.user_name),
            &[("user_id", user_id)],
            deleted.as_ref().err(),
        )
        .await;
        deleted
    }

    async fn import(&self, op: &mut Op<'_>, id: &str) -> Result<UserState, Error> {
        let id = id.trim();
        let ctx = op.ctx()?;
        let store = ctx.identity_center().await?.identity_store_id.clone();
        match ctx.aws.identity_store().find_user(&store, id).await? {
            Some(user) => Ok(flatten(UserState::default(), &store, user)),
            None => Err(Error::invalid(
                AttributePath::default(),
                "Cannot import this Identity Center user",
                format!("No user has the id or user name `{id}` in identity store `{store}`. Import by user id (`aws identitystore list-users --identity-store-id {store}`) or by user name."),
            )),
        }
    }
}

/// The identity store of an existing user: from state, else the provider's.
async fn store_of(op: &Op<'_>, state: &UserState) -> Result<String, Error> {
    match known_str(&state.identity_store_id) {
        Some(store) => Ok(store.to_string()),
        None => Ok(op.ctx()?.identity_center().await?.identity_store_id.clone()),
    }
}

fn conflict_errors(conflicts: Vec<Conflict>) -> Errors {
    Errors(
        conflicts
            .into_iter()
            .map(|conflict| {
                let (summary, detail, path) = conflict.describe();
                Error::invalid(path, summary, detail)
            })
            .collect(),
    )
}

/// Users other than `own_id` that already have the planned user name or
/// email. Emails are looked up as written and in lower case, since mail
/// systems treat them case-insensitively.
async fn find_existing(
    op: &Op<'_>,
    planned: &UserState,
    own_id: Option<&str>,
) -> Result<Vec<Conflict>, Error> {
    let ctx = op.ctx()?;
    let identity_store = ctx.aws.identity_store();
    let store = ctx.identity_center().await?.identity_store_id.clone();
    let mut conflicts = Vec::new();
    let is_other = |id: &String| Some(id.as_str()) != own_id;
    if let (Some(user_name), None) = (known_str(&planned.user_name), own_id) {
        if let Some(user_id) = identity_store
            .find_user_id_by(&store, "userName", user_name)
            .await?
            .filter(is_other)
        {
            conflicts.push(Conflict::UserName {
                user_name: user_name.to_string(),
                user_id,
            });
        }
    }
    if let Some(email) = known_str(&planned.email) {
        let mut variants = vec![email.to_string()];
        if email.to_lowercase() != email {
            variants.push(email.to_lowercase());
        }
        for variant in variants {
            let Some(user_id) = identity_store
                .find_user_id_by(&store, "emails.value", &variant)
                .await?
                .filter(is_other)
            else {
                continue;
            };
            let user_name = match identity_store.find_user_by_id(&store, &user_id).await {
                Ok(user) => user.user_name,
                Err(error) if error.is_not_found() => continue,
                Err(error) => return Err(error),
            };
            conflicts.push(Conflict::Email {
                email: variant,
                user_name,
                user_id,
            });
            break;
        }
    }
    Ok(conflicts)
}
