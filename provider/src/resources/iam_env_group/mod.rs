//! `jit_iam_env_group`: the IAM group `<prefix>-<env>-<role>` with the
//! library's role policy inline (MFA and source-IP conditions included).

mod plan;
mod summary;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};

use crate::aws::iam::{Group, Iam};
use crate::aws::retried_create::{create_or_own, is_conflict, Found};
use crate::changed_fields;
use crate::config::ProviderConfig;
use crate::error::{attr, Error};
use crate::framework::{Change, Errors, Failure, Op, Planned, ResourceType};
use crate::policy::parse_group_name;
use crate::schema::*;
use crate::values::{str_list, text, StrList};

use plan::{check, flatten, plan_computed, POLICY_NAME};

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct EnvGroupState {
    /// CIDR ranges requests must come from.
    pub allowed_ip_ranges: StrList,
    /// VPC endpoints allowed without a source IP.
    pub allowed_vpc_endpoint_ids: StrList,
    /// Group ARN.
    pub arn: Value<String>,
    /// `dev` | `staging` | `prod`.
    pub environment: Value<String>,
    /// The group name.
    pub id: Value<String>,
    /// `<prefix>-<env>-<role>`.
    pub name: Value<String>,
    /// Name prefix, e.g. `hera`.
    pub name_prefix: Value<String>,
    /// The inline policy as applied.
    pub policy_json: Value<String>,
    /// Deny without MFA.
    pub require_mfa: Value<bool>,
    /// Role.
    pub role: Value<String>,
}

/// The resource.
#[derive(Debug, Default)]
pub struct IamEnvGroup;

#[async_trait]
impl ResourceType for IamEnvGroup {
    type State = EnvGroupState;
    type Private = ValueEmpty;
    const NAME: &'static str = "iam_env_group";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "An IAM group `<name_prefix>-<environment>-<role>` (e.g. `hera-prod-infra-manager`) whose one inline policy comes from the provider's policy library: the role's permissions, self-service for one's own password, keys and MFA device, mandatory MFA, and an optional source-IP restriction.",
                [
                    ("allowed_ip_ranges", optional_str_list("CIDR ranges requests must come from (network address only, e.g. `203.0.113.0/24`). Calls AWS services make on a member's behalf are not restricted.")),
                    ("allowed_vpc_endpoint_ids", optional_str_list("VPC endpoint ids (`vpce-…`) whose calls are allowed although they carry no source IP. Needs `allowed_ip_ranges`.")),
                    ("arn", computed_str("ARN of the group.")),
                    ("environment", forces_replacement(required_str("`dev`, `staging` or `prod`."))),
                    ("id", computed_str("The group name.")),
                    ("name", computed_str("`<name_prefix>-<environment>-<role>`.")),
                    ("name_prefix", forces_replacement(required_str("Prefix of the group name, e.g. the product `hera`. Letters, digits and `+=,.@_-`."))),
                    ("policy_json", computed_str("The inline policy `jit-env-access` as applied. A policy edited outside Terraform shows here as a change and is put back on the next apply.")),
                    ("require_mfa", optional_computed_bool("Deny everything but self-service MFA set-up while signed in without MFA. Default `true`; `false` is an error in `prod`.")),
                    ("role", forces_replacement(required_str("`infra-manager`, `infra-member`, `developer` or `security-engineer`. `developer` is refused in `prod`: use `jit_grant` for time-limited access."))),
                ],
                [],
            ),
        )
    }

    fn validate(config: &EnvGroupState) -> Result<(), Errors> {
        check(config).map(|_| ())
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        state: EnvGroupState,
    ) -> Result<Option<EnvGroupState>, Error> {
        match find(op, text(&state.id)).await {
            Ok(found) => Ok(Some(flatten(state, found))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn plan_create(
        &self,
        _op: &mut Op<'_>,
        mut planned: EnvGroupState,
        _config: &EnvGroupState,
    ) -> Result<(EnvGroupState, ValueEmpty), Errors> {
        let policy = check(&planned)?;
        plan_computed(&mut planned, policy.as_ref(), None);
        Ok((planned, ValueEmpty::default()))
    }

    async fn plan_update(
        &self,
        _op: &mut Op<'_>,
        prior: &EnvGroupState,
        mut planned: EnvGroupState,
        _config: &EnvGroupState,
        private: ValueEmpty,
    ) -> Result<Planned<EnvGroupState, ValueEmpty>, Errors> {
        let policy = check(&planned)?;
        let replace = changed_fields!(prior, planned; environment, name_prefix, role);
        let keep = replace.is_empty().then_some(prior);
        plan_computed(&mut planned, policy.as_ref(), keep);
        Ok(Planned {
            state: planned,
            private,
            replace,
        })
    }

    async fn create(
        &self,
        op: &mut Op<'_>,
        mut state: EnvGroupState,
        private: ValueEmpty,
    ) -> Result<(EnvGroupState, ValueEmpty), Failure<(EnvGroupState, ValueEmpty)>> {
        let iam = op.ctx()?.aws.iam();
        let Some(policy) = check(&state)? else {
            return Err(Error::invalid(
                attr("name_prefix"),
                "Group inputs unknown at apply",
                "Every input of `jit_iam_env_group` must be known when it is created.",
            )
            .into());
        };
        let name = text(&state.name).to_string();
        let arn = create_group(&iam, &name).await?;
        state.arn = Value::Value(arn);
        if let Err(error) = iam
            .put_group_policy(&name, POLICY_NAME, &policy.to_json())
            .await
        {
            // A group without its policy must not stay: tainted, it would be
            // replaced later, and the replacement strips its members. Delete
            // it again while nothing else refers to it.
            let kept = match roll_back(&iam, &name).await {
                Ok(None) => {
                    return Err(Error::incomplete(
                        "Group not created",
                        format!("`{name}` was created but its policy could not be attached: {error}. The group was deleted again, so nothing is left; run apply again."),
                    )
                    .at(attr("name_prefix"))
                    .into());
                }
                Ok(Some(reason)) => reason,
                Err(rollback) => format!("deleting it again failed too: {rollback}"),
            };
            state.policy_json = Value::Null;
            let error = Error::incomplete(
                "Group created without its policy",
                format!("`{name}` was created but its policy could not be attached: {error}. The group was kept ({kept}). Run apply again to attach the policy."),
            );
            return Err(Failure::saved((state, private), error));
        }
        Ok((state, private))
    }

    async fn update(
        &self,
        op: &mut Op<'_>,
        _prior: EnvGroupState,
        planned: EnvGroupState,
        private: ValueEmpty,
    ) -> Result<(EnvGroupState, ValueEmpty), Failure<(EnvGroupState, ValueEmpty)>> {
        let iam = op.ctx()?.aws.iam();
        if let Some(policy) = check(&planned)? {
            iam.put_group_policy(text(&planned.name), POLICY_NAME, &policy.to_json())
                .await?;
        }
        Ok((planned, private))
    }

    async fn destroy(
        &self,
        op: &mut Op<'_>,
        prior: EnvGroupState,
        _private: ValueEmpty,
    ) -> Result<(), Error> {
        delete_group(op, text(&prior.id)).await
    }

    fn summary(change: Change<'_, EnvGroupState>, _: Option<&ProviderConfig>) -> Option<String> {
        summary::summary(change)
    }

    async fn import(&self, op: &mut Op<'_>, id: &str) -> Result<EnvGroupState, Error> {
        let Some((prefix, environment, role)) = parse_group_name(id) else {
            return Err(Error::invalid(
                Default::default(),
                "Cannot import this group",
                format!("`{id}` is not a group name of the form `<name_prefix>-<environment>-<role>`, e.g. `hera-prod-infra-manager`."),
            ));
        };
        let found = find(op, id).await?;
        let conditions = plan::conditions_of(found.policy.as_deref());
        let optional_list = |items: Vec<String>| {
            if items.is_empty() {
                Value::Null
            } else {
                str_list(items)
            }
        };
        let state = EnvGroupState {
            allowed_ip_ranges: optional_list(conditions.allowed_ip_ranges),
            allowed_vpc_endpoint_ids: optional_list(conditions.allowed_vpc_endpoint_ids),
            environment: Value::Value(environment.to_string()),
            id: Value::Value(id.to_string()),
            name: Value::Value(id.to_string()),
            name_prefix: Value::Value(prefix),
            require_mfa: Value::Value(conditions.require_mfa),
            role: Value::Value(role.to_string()),
            ..Default::default()
        };
        Ok(flatten(state, found))
    }
}

/// What AWS has for one group.
#[derive(Debug)]
pub struct FoundGroup {
    group: Group,
    policy: Option<String>,
}

/// The group and its inline policy, or a not-found error.
async fn find(op: &Op<'_>, name: &str) -> Result<FoundGroup, Error> {
    let iam = op.ctx()?.aws.iam();
    let group = iam.find_group_by_name(name).await?;
    let policy = iam.find_group_policy(name, POLICY_NAME).await?;
    Ok(FoundGroup { group, policy })
}

/// Creates the group. When `CreateGroup` answers `EntityAlreadyExists` to
/// a retry after a lost answer, the group found is this create's own when
/// it was created while the call was under way and is untouched (path `/`,
/// empty); any other group of that name is refused.
async fn create_group(iam: &Iam, name: &str) -> Result<String, Error> {
    let created = create_or_own(
        "group",
        |attempts| async move { iam.create_group(name, &attempts).await },
        || async { Ok(iam.find_group_after_create(name).await?.map(Found::iam)) },
    )
    .await;
    created.map_err(|error| {
        if is_conflict(&error) {
            already_exists(name, &error)
        } else {
            error.at(attr("name_prefix"))
        }
    })
}

/// The error for a group of this name that this create did not make.
fn already_exists(name: &str, error: &Error) -> Error {
    Error::invalid(
        attr("name_prefix"),
        "Group already exists",
        format!("An IAM group `{name}` already exists in this account, and this create did not make it ({error}). Import it (`terraform import <address> {name}`) or choose another `name_prefix`."),
    )
}

/// Deletes a group this create just made, unless something else refers to
/// it: `Ok(None)` when deleted, `Ok(Some(why))` when kept.
async fn roll_back(iam: &Iam, name: &str) -> Result<Option<String>, Error> {
    let group = match iam.find_group_by_name(name).await {
        Ok(group) => group,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => return Err(error),
    };
    if !group.members.is_empty() {
        return Ok(Some(format!(
            "it already has members: {}",
            group.members.join(", ")
        )));
    }
    let others: Vec<String> = iam
        .list_group_policies(name)
        .await?
        .into_iter()
        .filter(|policy| policy != POLICY_NAME)
        .collect();
    let attached = iam.list_attached_group_policies(name).await?;
    if !others.is_empty() || !attached.is_empty() {
        return Ok(Some(
            "other policies were added to it meanwhile".to_string(),
        ));
    }
    iam.delete_group_policy(name, POLICY_NAME).await?;
    iam.delete_group(name).await?;
    Ok(None)
}

/// Deletes the group after what would block it: members, inline policies and
/// attached managed policies. Each step tolerates "already gone".
async fn delete_group(op: &Op<'_>, name: &str) -> Result<(), Error> {
    let iam = op.ctx()?.aws.iam();
    let group = match iam.find_group_by_name(name).await {
        Ok(group) => group,
        Err(error) if error.is_not_found() => return Ok(()),
        Err(error) => return Err(error),
    };
    for user in &group.members {
        iam.remove_user_from_group(name, user).await?;
    }
    for policy in iam.list_group_policies(name).await? {
        iam.delete_group_policy(name, &policy).await?;
    }
    for arn in iam.list_attached_group_policies(name).await? {
        iam.detach_group_policy(name, &arn).await?;
    }
    iam.delete_group(name).await
}
