//! `data "jit_identity_center_group"`: one existing Identity Center group,
//! by name (group names are unique, so a name matches at most one group).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostics};

use crate::context::Shared;
use crate::error::{attr, Error};
use crate::resources::identity_center::{
    check_text, find_group_by_id, find_group_id_by_name, identity_store_id, FoundGroup,
};
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
pub struct IdentityCenterGroupDataSource {
    shared: Shared,
}

impl IdentityCenterGroupDataSource {
    /// A data source using the provider's shared context.
    pub fn new(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
        }
    }
}

#[async_trait]
impl DataSource for IdentityCenterGroupDataSource {
    type State<'a> = GroupLookupState;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(
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
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        if let Some(name) = config.name.as_ref_option() {
            if let Err(hint) = check_text("name", name) {
                Error::invalid(attr("name"), "Invalid group name", hint).report(diags);
                return None;
            }
        }
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::State<'a>> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let store = identity_store_id(ctx)
            .await
            .map_err(|e| e.report(diags))
            .ok()?;
        let client = &ctx.aws.identity_store;
        let name = config.name.as_ref_option().cloned().unwrap_or_default();
        let found = match find_group_id_by_name(client, &store, &name).await {
            Ok(Some(group_id)) => find_group_by_id(client, &store, &group_id).await,
            Ok(None) => Err(Error::invalid(
                attr("name"),
                "No Identity Center group found",
                format!("No group is named `{name}` in identity store `{store}`. Names match exactly, including case and spaces; create it with `jit_identity_center_group`."),
            )),
            Err(error) => Err(error),
        };
        match found {
            Ok(group) => Some(flatten(config, &store, group)),
            Err(error) => {
                error.report(diags);
                None
            }
        }
    }
}

/// Fills the outputs; `name` keeps its configured text.
fn flatten(mut state: GroupLookupState, store: &str, group: FoundGroup) -> GroupLookupState {
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
            FoundGroup {
                group_id: "g-1".into(),
                name: "Kiro Pro".into(),
                description: Some("Seats".into()),
            },
        );
        assert_eq!(state.group_id, Value::Value("g-1".into()));
        assert_eq!(state.id, state.group_id);
        assert_eq!(state.identity_store_id, Value::Value("d-1".into()));
        assert_eq!(state.description, Value::Value("Seats".into()));
        assert_eq!(state.name, Value::Value("Kiro Pro".into()));
    }
}
