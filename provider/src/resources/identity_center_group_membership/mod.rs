//! `jit_identity_center_group_membership`: one user in one Identity Center
//! group. The group and the user may be given by name or by id; a
//! membership whose group or user vanished is planned for creation again.

mod plan;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::AttributePath;

use crate::audit::{result, AuditSink};
use crate::aws::identity_store::{is_identity_id, Membership};
use crate::aws::retried_create::{create_or_own, is_conflict, Found};
use crate::context::Ctx;
use crate::error::{attr, Error};
use crate::framework::{Errors, Failure, Op, Planned, ResourceType};
use crate::inputs::identity_center::import_hint;
use crate::resources::audit_change;
use crate::schema::*;
use crate::values::{known_str, text};
use crate::{changed_fields, copy_fields, unknown_fields};

use plan::{check, flatten, group_not_found, user_not_found};

/// The resource type, for messages and audit events.
pub const TYPE_NAME: &str = "jit_identity_center_group_membership";

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct MembershipState {
    /// Group name or id, as configured.
    pub group: Value<String>,
    /// The group's id.
    pub group_id: Value<String>,
    /// Same as `membership_id`.
    pub id: Value<String>,
    /// The identity store holding the membership.
    pub identity_store_id: Value<String>,
    /// Membership id.
    pub membership_id: Value<String>,
    /// User name or id, as configured.
    pub user: Value<String>,
    /// The user's id.
    pub user_id: Value<String>,
}

/// The resource.
#[derive(Debug, Default)]
pub struct IdentityCenterGroupMembership;

type Applied = (MembershipState, ValueEmpty);

#[async_trait]
impl ResourceType for IdentityCenterGroupMembership {
    type State = MembershipState;
    type Private = ValueEmpty;
    const NAME: &'static str = "identity_center_group_membership";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "One user's membership in one IAM Identity Center group. The provider checks that the membership does not exist before creating it, and a membership whose group or user was deleted outside Terraform is planned for creation again.",
                [
                    ("group", forces_replacement(required_str("The group: its id (e.g. `jit_identity_center_group.g.group_id`, which also orders the apply) or its exact name. A value shaped like an id is used as an id. Switching between the name and the id of the same group changes nothing in AWS."))),
                    ("group_id", computed_str("The group's id.")),
                    ("id", computed_str("Same as `membership_id`.")),
                    ("identity_store_id", computed_str("The identity store holding the membership (`d-…`).")),
                    ("membership_id", computed_str("The membership's id; `terraform import` takes it.")),
                    ("user", forces_replacement(required_str("The user: its id (e.g. `jit_identity_center_user.u.user_id`) or its user name. A value shaped like an id is used as an id. Switching between the user name and the id of the same user changes nothing in AWS."))),
                    ("user_id", computed_str("The user's id.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &MembershipState) -> Result<(), Errors> {
        check(config)
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        state: MembershipState,
    ) -> Result<Option<MembershipState>, Error> {
        let ctx = op.ctx()?;
        let store = match known_str(&state.identity_store_id) {
            Some(store) => store.to_string(),
            None => store_id(ctx).await?,
        };
        match find_live_membership(ctx, &store, text(&state.membership_id)).await {
            Ok(found) => Ok(Some(flatten(state, &store, found))),
            Err(error) if error.is_not_found() => {
                // A `jit_user_block` of the user removed it and puts it back
                // on restore: leave it alone meanwhile.
                let user_id = text(&state.user_id).to_string();
                let blocks = user_blocks(ctx, &user_id).await?;
                if blocks.is_empty() {
                    return Ok(None);
                }
                op.warn(
                    format!("Membership held by a user block: `{}`", text(&state.user)),
                    format!("The user is blocked by `jit_user_block` (marker {}), which removed this membership and re-adds it on restore; it is left alone until then.", quoted_list(&blocks)),
                    AttributePath::default(),
                );
                Ok(Some(state))
            }
            Err(error) => Err(error),
        }
    }

    async fn plan_create(
        &self,
        _op: &mut Op<'_>,
        mut planned: MembershipState,
        _config: &MembershipState,
    ) -> Result<Applied, Errors> {
        check(&planned)?;
        // Names are resolved at apply: the group or user may be created by
        // the same apply.
        unknown_fields!(planned; group_id, user_id, membership_id, id, identity_store_id);
        Ok((planned, ValueEmpty::default()))
    }

    async fn plan_update(
        &self,
        op: &mut Op<'_>,
        prior: &MembershipState,
        mut planned: MembershipState,
        _config: &MembershipState,
        private: ValueEmpty,
    ) -> Result<Planned<MembershipState, ValueEmpty>, Errors> {
        check(&planned)?;
        let changed = changed_fields!(prior, planned; group, user);
        let same_membership = changed.is_empty()
            || match op.ctx() {
                // Only a changed input costs lookups, e.g. after an import
                // (ids in state) into a configuration that uses names.
                Ok(ctx) => resolves_to_prior(ctx, prior, &planned).await,
                Err(_) => false,
            };
        let replace = if same_membership {
            copy_fields!(prior => planned; group_id, user_id, membership_id, id, identity_store_id);
            Vec::new()
        } else {
            unknown_fields!(planned; group_id, user_id, membership_id, id, identity_store_id);
            changed
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
        planned: MembershipState,
        private: ValueEmpty,
    ) -> Result<Applied, Failure<Applied>> {
        check(&planned)?;
        let ctx = op.ctx()?;
        let identity_store = ctx.aws.identity_store();
        let store = store_id(ctx).await?;
        let group = text(&planned.group);
        let user = text(&planned.user);
        let (group_id, user_id) = match (
            identity_store.find_group(&store, group).await,
            identity_store.find_user(&store, user).await,
        ) {
            (Ok(Some(group)), Ok(Some(user))) => (group.group_id, user.user_id),
            (group_found, user_found) => {
                let mut errors = Errors::default();
                match group_found {
                    Ok(Some(_)) => {}
                    Ok(None) => errors.push(group_not_found(group, &store)),
                    Err(error) => errors.push(error),
                }
                match user_found {
                    Ok(Some(_)) => {}
                    Ok(None) => errors.push(user_not_found(user, &store)),
                    Err(error) => errors.push(error),
                }
                return Err(errors.into());
            }
        };
        let blocks = user_blocks(ctx, &user_id).await?;
        if !blocks.is_empty() {
            return Err(Error::invalid(
                attr("user"),
                "User is blocked",
                format!("`{user}` is blocked by `jit_user_block` (marker {}): its group memberships are held by the block and come back on restore. Restore the block before adding the user to a group.", quoted_list(&blocks)),
            )
            .into());
        }
        // AWS refuses a second membership with a conflict, moto stores it:
        // look first, and name the existing one.
        if let Some(membership_id) = identity_store
            .find_membership_id(&store, &group_id, &user_id)
            .await?
        {
            return Err(already_member(user, group, &membership_id).into());
        }
        let target = format!("{user} in {group}");
        let details = [
            ("group_id", group_id.as_str()),
            ("user_id", user_id.as_str()),
            ("identity_store_id", store.as_str()),
        ];
        // Joining a group grants whatever the group is assigned, so like a
        // grant this fails closed: no audit record, no membership.
        let mut intent = AuditSink::event(
            "identity_center_group_membership.create",
            TYPE_NAME,
            &target,
        );
        intent.details = details
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        intent.result = result::INTENT.to_string();
        op.audit_required(intent).await?;
        let created = create_or_own(
            "membership",
            |attempts| {
                let (store, group_id, user_id) = (&store, &group_id, &user_id);
                async move {
                    identity_store
                        .create_group_membership(store, group_id, user_id, &attempts)
                        .await
                }
            },
            || async {
                let Some(id) = identity_store
                    .find_membership_id(&store, &group_id, &user_id)
                    .await?
                else {
                    return Ok(None);
                };
                let membership = identity_store.find_membership_by_id(&store, &id).await?;
                Ok(Some(Found {
                    as_configured: true,
                    created_at: membership.created_at,
                    id,
                }))
            },
        )
        .await;
        audit_change(
            op,
            "identity_center_group_membership.create",
            TYPE_NAME,
            &target,
            &details,
            created.as_ref().err(),
        )
        .await;
        let membership_id = match created {
            Ok(membership_id) => membership_id,
            Err(error) if is_conflict(&error) => {
                return Err(match identity_store
                    .find_membership_id(&store, &group_id, &user_id)
                    .await?
                {
                    Some(rival) => already_member(user, group, &rival),
                    None => error.at(attr("group")),
                }
                .into())
            }
            Err(error) => return Err(error.at(attr("group")).into()),
        };
        let found = Membership {
            membership_id,
            group_id,
            user_id,
            created_at: None,
        };
        Ok((flatten(planned, &store, found), private))
    }

    async fn update(
        &self,
        _op: &mut Op<'_>,
        _prior: MembershipState,
        planned: MembershipState,
        private: ValueEmpty,
    ) -> Result<Applied, Failure<Applied>> {
        // Only the written form of `group` or `user` changed (name ↔ id of
        // the same object): nothing to do in AWS.
        Ok((planned, private))
    }

    async fn destroy(
        &self,
        op: &mut Op<'_>,
        prior: MembershipState,
        _private: ValueEmpty,
    ) -> Result<(), Error> {
        let membership_id = text(&prior.membership_id);
        let deleted = op
            .ctx()?
            .aws
            .identity_store()
            .delete_group_membership(text(&prior.identity_store_id), membership_id)
            .await;
        let target = format!("{} in {}", text(&prior.user), text(&prior.group));
        let details = [
            ("membership_id", membership_id),
            ("group_id", text(&prior.group_id)),
            ("user_id", text(&prior.user_id)),
        ];
        audit_change(
            op,
            "identity_center_group_membership.delete",
            TYPE_NAME,
            &target,
            &details,
            deleted.as_ref().err(),
        )
        .await;
        deleted
    }

    async fn import(&self, op: &mut Op<'_>, id: &str) -> Result<MembershipState, Error> {
        let id = id.trim();
        let cannot = |detail: String| {
            Error::invalid(
                AttributePath::default(),
                "Cannot import this group membership",
                detail,
            )
        };
        if !is_identity_id(id) {
            return Err(cannot(format!("`{id}` is not a membership id. Find it with `aws identitystore get-group-membership-id --identity-store-id <d-…> --group-id <group id> --member-id UserId=<user id>`.")));
        }
        let ctx = op.ctx()?;
        let store = store_id(ctx).await?;
        match find_live_membership(ctx, &store, id).await {
            Ok(found) => {
                // The ids are the only forms AWS knows; a configuration using
                // names plans an in-place update that changes nothing in AWS.
                let state = MembershipState {
                    group: Value::Value(found.group_id.clone()),
                    user: Value::Value(found.user_id.clone()),
                    ..Default::default()
                };
                Ok(flatten(state, &store, found))
            }
            Err(error) if error.is_not_found() => Err(cannot(format!("No membership `{id}` exists in identity store `{store}` (or its group or user is gone)."))),
            Err(error) => Err(error),
        }
    }
}

/// The markers of the `jit_user_block`s of a user (none for an unknown id).
async fn user_blocks(ctx: &Ctx, user_id: &str) -> Result<Vec<String>, Error> {
    if user_id.is_empty() {
        return Ok(Vec::new());
    }
    let instance = ctx.identity_center().await?.instance_arn.clone();
    ctx.aws
        .sso_admin()
        .find_user_blocks(&instance, user_id)
        .await
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The provider's identity store.
async fn store_id(ctx: &Ctx) -> Result<String, Error> {
    Ok(ctx.identity_center().await?.identity_store_id.clone())
}

/// True when the new `group` and `user` name the same group and user as
/// before, so only their written form changed. Any doubt (unknown values,
/// a failed lookup) means "different", which plans a replacement.
async fn resolves_to_prior(ctx: &Ctx, prior: &MembershipState, planned: &MembershipState) -> bool {
    let (Some(group), Some(user), Some(store)) = (
        known_str(&planned.group),
        known_str(&planned.user),
        known_str(&prior.identity_store_id),
    ) else {
        return false;
    };
    let identity_store = ctx.aws.identity_store();
    let group = identity_store.find_group(store, group).await;
    let user = identity_store.find_user(store, user).await;
    matches!(
        (group, user),
        (Ok(Some(g)), Ok(Some(u))) if Some(g.group_id.as_str()) == known_str(&prior.group_id) && Some(u.user_id.as_str()) == known_str(&prior.user_id)
    )
}

/// The membership, or a not-found error when it, its group or its user is
/// gone. (AWS removes the memberships of a deleted user or group; moto
/// keeps them, so the group and the user are checked too.)
async fn find_live_membership(
    ctx: &Ctx,
    store: &str,
    membership_id: &str,
) -> Result<Membership, Error> {
    let identity_store = ctx.aws.identity_store();
    let found = identity_store
        .find_membership_by_id(store, membership_id)
        .await?;
    identity_store
        .find_group_by_id(store, &found.group_id)
        .await?;
    identity_store
        .find_user_by_id(store, &found.user_id)
        .await?;
    Ok(found)
}

/// The error for a membership that exists already and is not this
/// resource's.
fn already_member(user: &str, group: &str, membership_id: &str) -> Error {
    Error::invalid(
        attr("user"),
        format!("`{user}` is already a member of Identity Center group `{group}`"),
        format!(
            "The membership exists already (membership id `{membership_id}`), made outside this resource. {}",
            import_hint(TYPE_NAME, membership_id)
        ),
    )
}
