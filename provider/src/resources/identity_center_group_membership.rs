//! `jit_identity_center_group_membership`: one user in one Identity Center
//! group. The group and the user may be given by name or by id; a
//! membership whose group or user vanished is planned for creation again.

use async_trait::async_trait;
use aws_sdk_identitystore::types::MemberId;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::audit::result;
use crate::context::{Ctx, Shared};
use crate::error::{attr, gone_ok, report_all, Error};
use crate::resources::identity_center::{
    audit_event, audit_result, check_text, find_group_by_id, find_membership_id, find_user_by_id,
    identity_store_id, import_hint, is_identity_id, resolve_group, resolve_user, store_error,
};
use crate::schema::*;
use crate::values::{known_str, text};

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

/// What a membership is found to be in AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FoundMembership {
    membership_id: String,
    group_id: String,
    user_id: String,
}

/// The resource.
#[derive(Debug, Default)]
pub struct IdentityCenterGroupMembershipResource {
    shared: Shared,
}

impl IdentityCenterGroupMembershipResource {
    /// A resource using the provider's shared context.
    pub fn new(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
        }
    }
}

#[async_trait]
impl Resource for IdentityCenterGroupMembershipResource {
    type State<'a> = MembershipState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(
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
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        report_all(check(&config), diags)
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = match self.shared.get() {
            Ok(ctx) => ctx,
            Err(error) => {
                error.report(diags);
                return Some((state, private_state));
            }
        };
        let found = match store_of(ctx, &state).await {
            Ok(store) => find_live_membership(ctx, &store, text(&state.membership_id))
                .await
                .map(|found| (store, found)),
            Err(error) => Err(error),
        };
        match found {
            Ok((store, found)) => Some((flatten(state, &store, found), private_state)),
            Err(error) if error.is_not_found() => None,
            Err(error) => {
                error.report(diags);
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        report_all(check(&proposed_state), diags)?;
        let mut planned = proposed_state;
        // Names are resolved at apply: the group or user may be created by
        // the same apply.
        set_computed_unknown(&mut planned);
        Some((planned, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        report_all(check(&proposed_state), diags)?;
        let mut planned = proposed_state;
        let changed = changed_inputs(&prior_state, &planned);
        let same_membership = changed.is_empty()
            || match self.shared.get() {
                // Only a changed input costs lookups, e.g. after an import
                // (ids in state) into a configuration that uses names.
                Ok(ctx) => resolves_to_prior(ctx, &prior_state, &planned).await,
                Err(_) => false,
            };
        if same_membership {
            planned.group_id = prior_state.group_id;
            planned.user_id = prior_state.user_id;
            planned.membership_id = prior_state.membership_id;
            planned.id = prior_state.id;
            planned.identity_store_id = prior_state.identity_store_id;
            return Some((planned, prior_private_state, Vec::new()));
        }
        set_computed_unknown(&mut planned);
        let replace = changed.into_iter().map(attr).collect();
        Some((planned, prior_private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        report_all(check(&planned_state), diags)?;
        let client = &ctx.aws.identity_store;
        let store = identity_store_id(ctx)
            .await
            .map_err(|e| e.report(diags))
            .ok()?;
        let group = text(&planned_state.group);
        let user = text(&planned_state.user);
        let (group_id, user_id) = match (
            resolve_group(client, &store, group, attr("group")).await,
            resolve_user(client, &store, user, attr("user")).await,
        ) {
            (Ok(group_id), Ok(user_id)) => (group_id, user_id),
            (group_result, user_result) => {
                for error in [group_result.err(), user_result.err()]
                    .into_iter()
                    .flatten()
                {
                    error.report(diags);
                }
                return None;
            }
        };
        // AWS refuses a second membership with a conflict, moto stores it:
        // look first, and name the existing one.
        match find_membership_id(client, &store, &group_id, &user_id).await {
            Ok(Some(membership_id)) => {
                diags.error(
                    format!("`{user}` is already a member of Identity Center group `{group}`"),
                    format!(
                        "The membership exists already (membership id `{membership_id}`), made outside this resource. {}",
                        import_hint(TYPE_NAME, &membership_id)
                    ),
                    attr("user"),
                );
                return None;
            }
            Ok(None) => {}
            Err(error) => {
                error.report(diags);
                return None;
            }
        }
        let target = format!("{user} in {group}");
        let details = [
            ("group_id", group_id.as_str()),
            ("user_id", user_id.as_str()),
            ("identity_store_id", store.as_str()),
        ];
        // Joining a group grants whatever the group is assigned, so like a
        // grant this fails closed: no audit record, no membership.
        let mut intent = audit_event(
            "identity_center_group_membership.create",
            TYPE_NAME,
            &target,
            &details,
        );
        intent.result = result::INTENT.to_string();
        if let Err(error) = ctx.audit.write(intent).await {
            error.report(diags);
            return None;
        }
        let created = client
            .create_group_membership()
            .identity_store_id(&store)
            .group_id(&group_id)
            .member_id(MemberId::UserId(user_id.clone()))
            .send()
            .await
            .map_err(|e| store_error("CreateGroupMembership", e));
        let event = audit_event(
            "identity_center_group_membership.create",
            TYPE_NAME,
            &target,
            &details,
        );
        audit_result(ctx, diags, event, created.as_ref().err()).await;
        let membership_id = match created {
            Ok(output) => output.membership_id,
            Err(error) => {
                error.report_at(attr("group"), diags);
                return None;
            }
        };
        let state = flatten(
            planned_state,
            &store,
            FoundMembership {
                membership_id,
                group_id,
                user_id,
            },
        );
        Some((state, planned_private_state))
    }

    async fn update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        // Only the written form of `group` or `user` changed (name ↔ id of
        // the same object): nothing to do in AWS.
        Some((planned_state, planned_private_state))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let membership_id = text(&prior_state.membership_id);
        let deleted = gone_ok(
            ctx.aws
                .identity_store
                .delete_group_membership()
                .identity_store_id(text(&prior_state.identity_store_id))
                .membership_id(membership_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("DeleteGroupMembership", e)),
        );
        let event = audit_event(
            "identity_center_group_membership.delete",
            TYPE_NAME,
            format!(
                "{} in {}",
                text(&prior_state.user),
                text(&prior_state.group)
            ),
            &[
                ("membership_id", membership_id),
                ("group_id", text(&prior_state.group_id)),
                ("user_id", text(&prior_state.user_id)),
            ],
        );
        audit_result(ctx, diags, event, deleted.as_ref().err()).await;
        deleted.map_err(|error| error.report(diags)).ok()
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let id = id.trim();
        if !is_identity_id(id) {
            diags.root_error(
                "Cannot import this group membership",
                format!("`{id}` is not a membership id. Find it with `aws identitystore get-group-membership-id --identity-store-id <d-…> --group-id <group id> --member-id UserId=<user id>`."),
            );
            return None;
        }
        let store = identity_store_id(ctx)
            .await
            .map_err(|e| e.report(diags))
            .ok()?;
        match find_live_membership(ctx, &store, id).await {
            Ok(found) => {
                // The ids are the only forms AWS knows; a configuration using
                // names plans an in-place update that changes nothing in AWS.
                let state = MembershipState {
                    group: Value::Value(found.group_id.clone()),
                    user: Value::Value(found.user_id.clone()),
                    ..Default::default()
                };
                Some((flatten(state, &store, found), ValueEmpty::default()))
            }
            Err(error) if error.is_not_found() => {
                diags.root_error(
                    "Cannot import this group membership",
                    format!("No membership `{id}` exists in identity store `{store}` (or its group or user is gone)."),
                );
                None
            }
            Err(error) => {
                error.report(diags);
                None
            }
        }
    }
}

/// Validates every known input.
fn check(state: &MembershipState) -> Vec<Error> {
    let mut errors = Vec::new();
    for (name, value) in [("group", &state.group), ("user", &state.user)] {
        if let Some(value) = value.as_ref_option() {
            if let Err(hint) = check_text(name, value) {
                errors.push(Error::invalid(
                    attr(name),
                    format!("Invalid `{name}`"),
                    hint,
                ));
            }
        }
    }
    errors
}

/// Inputs whose written form changed.
fn changed_inputs(prior: &MembershipState, planned: &MembershipState) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if planned.group != prior.group {
        changed.push("group");
    }
    if planned.user != prior.user {
        changed.push("user");
    }
    changed
}

fn set_computed_unknown(planned: &mut MembershipState) {
    planned.group_id = Value::Unknown;
    planned.user_id = Value::Unknown;
    planned.membership_id = Value::Unknown;
    planned.id = Value::Unknown;
    planned.identity_store_id = Value::Unknown;
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
    let client = &ctx.aws.identity_store;
    let group_id = resolve_group(client, store, group, attr("group")).await;
    let user_id = resolve_user(client, store, user, attr("user")).await;
    matches!(
        (group_id, user_id),
        (Ok(g), Ok(u)) if Some(g.as_str()) == known_str(&prior.group_id) && Some(u.as_str()) == known_str(&prior.user_id)
    )
}

/// The identity store of an existing membership: from state, else the
/// provider's.
async fn store_of(ctx: &Ctx, state: &MembershipState) -> Result<String, Error> {
    match known_str(&state.identity_store_id) {
        Some(store) => Ok(store.to_string()),
        None => identity_store_id(ctx).await,
    }
}

/// The membership, or `Error::NotFound` when it, its group or its user is
/// gone. (AWS removes the memberships of a deleted user or group; moto
/// keeps them, so the group and the user are checked too.)
async fn find_live_membership(
    ctx: &Ctx,
    store: &str,
    membership_id: &str,
) -> Result<FoundMembership, Error> {
    let client = &ctx.aws.identity_store;
    let membership = client
        .describe_group_membership()
        .identity_store_id(store)
        .membership_id(membership_id)
        .send()
        .await
        .map_err(|e| store_error("DescribeGroupMembership", e))?;
    let found = FoundMembership {
        membership_id: membership.membership_id().to_string(),
        group_id: membership.group_id().to_string(),
        user_id: membership
            .member_id()
            .and_then(|member| member.as_user_id().ok())
            .cloned()
            .unwrap_or_default(),
    };
    find_group_by_id(client, store, &found.group_id).await?;
    find_user_by_id(client, store, &found.user_id).await?;
    Ok(found)
}

/// Refreshes the computed attributes; `group` and `user` keep the form the
/// configuration uses.
fn flatten(mut state: MembershipState, store: &str, found: FoundMembership) -> MembershipState {
    state.id = Value::Value(found.membership_id.clone());
    state.membership_id = Value::Value(found.membership_id);
    state.group_id = Value::Value(found.group_id);
    state.user_id = Value::Value(found.user_id);
    state.identity_store_id = Value::Value(store.to_string());
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value<String> {
        Value::Value(text.into())
    }

    fn membership() -> MembershipState {
        MembershipState {
            group: s("Kiro Pro"),
            group_id: s("g-1"),
            id: s("m-1"),
            identity_store_id: s("d-1"),
            membership_id: s("m-1"),
            user: s("ada"),
            user_id: s("u-1"),
        }
    }

    #[test]
    fn only_changed_inputs_are_candidates_for_replacement() {
        let prior = membership();
        assert!(changed_inputs(&prior, &prior).is_empty());
        let mut planned = membership();
        planned.group = s("g-1");
        assert_eq!(changed_inputs(&prior, &planned), ["group"]);
        planned.user = Value::Unknown;
        assert_eq!(changed_inputs(&prior, &planned), ["group", "user"]);
    }

    #[test]
    fn blank_references_are_reported_on_their_attribute() {
        let mut state = membership();
        state.group = s(" ");
        let errors = check(&state);
        assert_eq!(errors.len(), 1);
        let (summary, _, path) = errors
            .into_iter()
            .next()
            .unwrap()
            .into_parts(AttributePath::default());
        assert_eq!(summary, "Invalid `group`");
        assert_eq!(path, attr("group"));
        let mut unknown = membership();
        unknown.user = Value::Unknown;
        assert!(check(&unknown).is_empty());
    }

    #[test]
    fn flatten_keeps_the_written_form_and_fills_ids() {
        let mut state = membership();
        set_computed_unknown(&mut state);
        assert_eq!(state.membership_id, Value::Unknown);
        let state = flatten(
            state,
            "d-2",
            FoundMembership {
                membership_id: "m-2".into(),
                group_id: "g-2".into(),
                user_id: "u-2".into(),
            },
        );
        assert_eq!(state.group, s("Kiro Pro"));
        assert_eq!(state.user, s("ada"));
        assert_eq!(state.id, s("m-2"));
        assert_eq!(state.membership_id, s("m-2"));
        assert_eq!(state.group_id, s("g-2"));
        assert_eq!(state.user_id, s("u-2"));
        assert_eq!(state.identity_store_id, s("d-2"));
    }
}
