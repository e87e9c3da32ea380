//! `data "jit_identity_center_group"`: one existing Identity Center group,
//! by name (group names are unique, so a name matches at most one group).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::Value;

use crate::aws::identity_store::Group;
use crate::error::{attr, Error};
use crate::framework::{DataSourceType, Errors, Op};
use crate::inputs::identity_center::check_text;
use crate::schema::*;
use crate::values::opt_str;

/// Data source state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct GroupLookupState {
    /// Description, when set.
    pub description: Value<String>,
    /// Group id.
    pub group_id: Value<String>,
    /// Same as `group_id`.
    pub id: Value<String>,
    /// The identity store searched.
    pub identity_store_id: Value<String>,
    /// Group name to look up.
    pub name: Value<String>,
}

/// The data source.
#[derive(Debug, Default)]
pub struct IdentityCenterGroupLookup;

#[async_trait]
impl DataSourceType for IdentityCenterGroupLookup {
    type State = GroupLookupState;
    const NAME: &'static str = "identity_center_group";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "One existing IAM Identity Center group, found by its exact name. No match is an error. Use it to add people to a group that Terraform does not own.",
                [
                    ("description", computed_str("The group's description, when it has one.")),
                    ("group_id", computed_str("The group's id; reference it from `jit_identity_center_group_membership.group`.")),
                    ("id", computed_str("Same as `group_id`.")),
                    ("identity_store_id", computed_str("The identity store searched (`d-…`).")),
                    ("name", required_str("The group's exact name, e.g. `Kiro Pro`.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &GroupLookupState) -> Result<(), Errors> {
        if let Some(name) = config.name.as_ref_option() {
            if let Err(hint) = check_text("name", name) {
                return Err(Error::invalid(attr("name"), "Invalid group name", hint).into());
            }
        }
        Ok(())
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        config: GroupLookupState,
    ) -> Result<GroupLookupState, Errors> {
        let ctx = op.ctx()?;
        let store = ctx.identity_center().await?.identity_store_id.clone();
        let identity_store = ctx.aws.identity_store();
        let name = config.name.as_ref_option().cloned().unwrap_or_default();
        let group = match identity_store.find_group_id_by_name(&store, &name).await? {
            Some(group_id) => identity_store.find_group_by_id(&store, &group_id).await?,
            None => {
                return Err(Error::invalid(
                    attr("name"),
                    "No Identity Center group found",
                    format!("No group is named `{name}` in identity store `{store}`. Names match exactly, including case and spaces; create it with `jit_identity_center_group`."),
                )
                .into())
            }
        };
        Ok(flatten(config, &store, group))
    }
}

/// Fills the outputs; `name` keeps its configured text.
fn flatten(mut state: GroupLookupState, store: &str, group: Group) -> GroupLookupState {
    state.id = Value::Value(group.group_id.clone());
    state.group_id = Value::Value(group.group_id);
    state.identity_store_id = Value::Value(store.to_string());
    state.description = opt_str(group.description);
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_come_from_the_group_found() {
        let config = GroupLookupState {
            name: Value::Value("Kiro Pro".into()),
            ..Default::default()
        };
        let state = flatten(
            config,
            "d-1",
            Group {
                group_id: "g-1".into(),
                name: "Kiro Pro".into(),
                description: Some("Seats".into()),
                created_at: None,
            },
        );
        assert_eq!(state.group_id, Value::Value("g-1".into()));
        assert_eq!(state.id, state.group_id);
        assert_eq!(state.identity_store_id, Value::Value("d-1".into()));
        assert_eq!(state.description, Value::Value("Seats".into()));
        assert_eq!(state.name, Value::Value("Kiro Pro".into()));
    }
}
