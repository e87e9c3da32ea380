//! `jit_identity_center_group`: one IAM Identity Center group. Creating a
//! group whose name is taken is an error naming the existing group and the
//! import command that adopts it.

mod plan;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::AttributePath;

use crate::aws::retried_create::{create_or_own, is_conflict, Found};
use crate::error::{attr, Error};
use crate::framework::{Errors, Failure, Op, Planned, ResourceType};
use crate::resources::audit_change;
use crate::schema::*;
use crate::values::{known_str, text};
use crate::{copy_fields, unknown_fields};

use plan::{check, describe_conflict, expand_update, flatten};

/// The resource type, for messages and audit events.
pub const TYPE_NAME: &str = "jit_identity_center_group";

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct GroupState {
    /// Free text.
    pub description: Value<String>,
    /// Group id.
    pub group_id: Value<String>,
    /// Same as `group_id`.
    pub id: Value<String>,
    /// The identity store holding the group.
    pub identity_store_id: Value<String>,
    /// Unique display name.
    pub name: Value<String>,
}

/// The resource.
#[derive(Debug, Default)]
pub struct IdentityCenterGroup;

type Applied = (GroupState, ValueEmpty);

#[async_trait]
impl ResourceType for IdentityCenterGroup {
    type State = GroupState;
    type Private = ValueEmpty;
    const NAME: &'static str = "identity_center_group";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "A group in IAM Identity Center's identity store, e.g. `Kiro Pro`. The provider refuses to create a second group with a name that is taken: it names the existing group and the `terraform import` command that adopts it instead.",
                [
                    ("description", optional_str("Free text shown in the console. Updated in place.")),
                    ("group_id", computed_str("The group's id in the identity store; reference it from `jit_identity_center_group_membership.group` or `jit_grant.principal`.")),
                    ("id", computed_str("Same as `group_id`.")),
                    ("identity_store_id", computed_str("The identity store holding the group (`d-…`): the provider's `identity_store_id`, or the one discovered.")),
                    ("name", required_str("Unique display name, at most 1,024 characters. Renamed in place (the group id, memberships and assignments stay). `Administrator` and `AWSAdministrators` are reserved.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &GroupState) -> Result<(), Errors> {
        check(config)
    }

    async fn read(&self, op: &mut Op<'_>, state: GroupState) -> Result<Option<GroupState>, Error> {
        let ctx = op.ctx()?;
        let store = match known_str(&state.identity_store_id) {
            Some(store) => store.to_string(),
            None => ctx.identity_center().await?.identity_store_id.clone(),
        };
        let found = ctx
            .aws
            .identity_store()
            .find_group_by_id(&store, text(&state.group_id))
            .await;
        match found {
            Ok(group) => Ok(Some(flatten(state, &store, group))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn plan_create(
        &self,
        op: &mut Op<'_>,
        mut planned: GroupState,
        _config: &GroupState,
    ) -> Result<Applied, Errors> {
        check(&planned)?;
        unknown_fields!(planned; id, group_id, identity_store_id);
        // A warning here, an error at apply: a plan that replaces the group
        // would otherwise trip over the very group it deletes first.
        if let (Ok(_), Some(name)) = (op.ctx(), known_str(&planned.name)) {
            match find_existing(op, name).await {
                Ok(Some(group_id)) => {
                    let (summary, detail, path) = describe_conflict(name, &group_id);
                    op.warn(
                        summary,
                        format!("{detail} This apply will fail unless the plan replaces that very group."),
                        path,
                    );
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "duplicate check skipped at plan"),
            }
        }
        Ok((planned, ValueEmpty::default()))
    }

    async fn plan_update(
        &self,
        _op: &mut Op<'_>,
        prior: &GroupState,
        mut planned: GroupState,
        _config: &GroupState,
        private: ValueEmpty,
    ) -> Result<Planned<GroupState, ValueEmpty>, Errors> {
        check(&planned)?;
        copy_fields!(prior => planned; id, group_id, identity_store_id);
        Ok(Planned {
            state: planned,
            private,
            replace: Vec::new(),
        })
    }

    async fn create(
        &self,
        op: &mut Op<'_>,
        mut state: GroupState,
        private: ValueEmpty,
    ) -> Result<Applied, Failure<Applied>> {
        check(&state)?;
        let ctx = op.ctx()?;
        let store = ctx.identity_center().await?.identity_store_id.clone();
        let name = text(&state.name).to_string();
        if let Some(group_id) = find_existing(op, &name).await? {
            let (summary, detail, path) = describe_conflict(&name, &group_id);
            return Err(Error::invalid(path, summary, detail).into());
        }
        let description = known_str(&state.description);
        let identity_store = ctx.aws.identity_store();
        let created = create_or_own(
            "group",
            |attempts| {
                let (store, name) = (&store, &name);
                async move {
                    identity_store
                        .create_group(store, name, description, &attempts)
                        .await
                }
            },
            || async {
                let Some(id) = identity_store.find_group_id_by_name(&store, &name).await? else {
                    return Ok(None);
                };
                let group = identity_store.find_group_by_id(&store, &id).await?;
                let members = identity_store.list_member_ids(&store, &id).await?;
                Ok(Some(Found {
                    as_configured: group.description.as_deref()
                        == description.filter(|d| !d.is_empty())
                        && members.is_empty(),
                    created_at: group.created_at,
                    id,
                }))
            },
        )
        .await;
        let group_id = match created {
            Ok(group_id) => group_id,
            Err(error) => {
                audit_change(
                    op,
                    "identity_center_group.create",
                    TYPE_NAME,
                    &name,
                    &[],
                    Some(&error),
                )
                .await;
                if is_conflict(&error) {
                    if let Some(group_id) = find_existing(op, &name).await? {
                        let (summary, detail, path) = describe_conflict(&name, &group_id);
                        return Err(Error::invalid(path, summary, detail).into());
                    }
                }
                return Err(error.at(attr("name")).into());
            }
        };
        let details = [
            ("group_id", group_id.as_str()),
            ("identity_store_id", store.as_str()),
        ];
        audit_change(
            op,
            "identity_center_group.create",
            TYPE_NAME,
            &name,
            &details,
            None,
        )
        .await;
        state.id = Value::Value(group_id.clone());
        state.group_id = Value::Value(group_id);
        state.identity_store_id = Value::Value(store);
        Ok((state, private))
    }

    async fn update(
        &self,
        op: &mut Op<'_>,
        prior: GroupState,
        planned: GroupState,
        private: ValueEmpty,
    ) -> Result<Applied, Failure<Applied>> {
        check(&planned)?;
        let updates = expand_update(&prior, &planned);
        if updates.is_empty() {
            return Ok((planned, private));
        }
        let group_id = text(&prior.group_id).to_string();
        let changed: Vec<&str> = updates.iter().map(|update| update.path).collect();
        let updated = op
            .ctx()?
            .aws
            .identity_store()
            .update_group(text(&prior.identity_store_id), &group_id, &updates)
            .await;
        let details = [
            ("group_id", group_id.as_str()),
            ("changed", &changed.join(",")),
        ];
        audit_change(
            op,
            "identity_center_group.update",
            TYPE_NAME,
            text(&planned.name),
            &details,
            updated.as_ref().err(),
        )
        .await;
        // On failure nothing changed in AWS: the next plan shows the same update.
        updated.map_err(|error| error.at(attr("name")))?;
        Ok((planned, private))
    }

    async fn destroy(
        &self,
        op: &mut Op<'_>,
        prior: GroupState,
        _private: ValueEmpty,
    ) -> Result<(), Error> {
        let group_id = text(&prior.group_id);
        let deleted = op
            .ctx()?
            .aws
            .identity_store()
            .delete_group(text(&prior.identity_store_id), group_id)
            .await;
        audit_change(
            op,
            "identity_center_group.delete",
            TYPE_NAME,
            text(&prior.name),
            &[("group_id", group_id)],
            deleted.as_ref().err(),
        )
        .await;
        deleted
    }

    /// Import by group id, else by name.
    async fn import(&self, op: &mut Op<'_>, id: &str) -> Result<GroupState, Error> {
        let id = id.trim();
        let ctx = op.ctx()?;
        let store = ctx.identity_center().await?.identity_store_id.clone();
        match ctx.aws.identity_store().find_group(&store, id).await? {
            Some(group) => Ok(flatten(GroupState::default(), &store, group)),
            None => Err(Error::invalid(
                AttributePath::default(),
                "Cannot import this Identity Center group",
                format!("No group has the id or name `{id}` in identity store `{store}`. Import by group id or by the exact group name."),
            )),
        }
    }
}

/// The id of an existing group with this name.
async fn find_existing(op: &Op<'_>, name: &str) -> Result<Option<String>, Error> {
    let ctx = op.ctx()?;
    let store = &ctx.identity_center().await?.identity_store_id;
    ctx.aws
        .identity_store()
        .find_group_id_by_name(store, name)
        .await
}
