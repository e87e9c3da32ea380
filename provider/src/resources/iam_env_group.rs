//! `jit_iam_env_group`: the IAM group `<prefix>-<env>-<role>` with the
//! library's role policy inline (MFA and source-IP conditions included).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::aws::{aws_error, wait::retry_when};
use crate::context::{Ctx, Shared};
use crate::error::{attr, gone_ok, report_all, Error};
use crate::policy::{
    group_name, infer_conditions, normalize_policy_json, parse_group_name, validate_name_prefix,
    PolicyDocument,
};
use crate::resources::env_access::{parse_environment, parse_role, EnvAccessInputs};
use crate::schema::*;
use crate::values::{known_str, str_list, text, StrList};

/// The group's one inline policy (IAM counts all inline policies of a group
/// against 5,120 characters, so there is exactly one).
pub const POLICY_NAME: &str = "jit-env-access";

/// How long a just-created group may be invisible to PutGroupPolicy.
const IAM_PROPAGATION: Duration = Duration::from_secs(120);

/// Inputs whose change makes a different group.
const REPLACE_ON_CHANGE: [&str; 3] = ["environment", "name_prefix", "role"];

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
pub struct IamEnvGroupResource {
    shared: Shared,
}

impl IamEnvGroupResource {
    /// A resource using the provider's shared context.
    pub fn new(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
        }
    }
}

#[async_trait]
impl Resource for IamEnvGroupResource {
    type State<'a> = EnvGroupState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(
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
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        check(&config)
            .map(|_| ())
            .map_err(|errors| report_all(errors, diags))
            .ok()
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
        match find_group(ctx, text(&state.id)).await {
            Ok(found) => Some((flatten(state, found), private_state)),
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
        let mut planned = proposed_state;
        let policy = check(&planned)
            .map_err(|errors| report_all(errors, diags))
            .ok()?;
        plan_computed(&mut planned, policy.as_ref(), None);
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
        let mut planned = proposed_state;
        let policy = check(&planned)
            .map_err(|errors| report_all(errors, diags))
            .ok()?;
        let replace: Vec<AttributePath> = REPLACE_ON_CHANGE
            .iter()
            .filter(|name| field(&prior_state, name) != field(&planned, name))
            .map(|name| AttributePath::new(*name))
            .collect();
        let keep = replace.is_empty().then_some(&prior_state);
        plan_computed(&mut planned, policy.as_ref(), keep);
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
        let policy = check(&planned_state)
            .map_err(|errors| report_all(errors, diags))
            .ok()??;
        let name = text(&planned_state.name).to_string();
        let created = ctx
            .aws
            .iam
            .create_group()
            .group_name(&name)
            .send()
            .await
            .map_err(|e| aws_error("iam", "CreateGroup", e));
        let arn = match created {
            Ok(output) => output.group.map(|group| group.arn).unwrap_or_default(),
            Err(error) => {
                error.report_at(attr("name_prefix"), diags);
                return None;
            }
        };
        let mut state = planned_state;
        state.arn = Value::Value(arn);
        if let Err(error) = put_policy(ctx, &name, &policy).await {
            // The group exists: keep it in state (tainted) and say what is missing.
            state.policy_json = Value::Null;
            diags.error(
                "Group created without its policy",
                format!("`{name}` was created but its policy could not be attached: {error}. Run apply again to attach it."),
                AttributePath::default(),
            );
            return Some((state, planned_private_state));
        }
        Some((state, planned_private_state))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let policy = check(&planned_state)
            .map_err(|errors| report_all(errors, diags))
            .ok()??;
        if let Err(error) = put_policy(ctx, text(&planned_state.name), &policy).await {
            error.report(diags);
            return Some((prior_state, planned_private_state));
        }
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
        delete_group(ctx, text(&prior_state.id))
            .await
            .map_err(|error| error.report(diags))
            .ok()
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let Some((prefix, environment, role)) = parse_group_name(&id) else {
            diags.root_error(
                "Cannot import this group",
                format!("`{id}` is not a group name of the form `<name_prefix>-<environment>-<role>`, e.g. `hera-prod-infra-manager`."),
            );
            return None;
        };
        let found = match find_group(ctx, &id).await {
            Ok(found) => found,
            Err(error) => {
                error.report(diags);
                return None;
            }
        };
        let conditions = found
            .policy
            .as_ref()
            .and_then(|json| normalize_policy_json(json).ok())
            .map(|normalized| infer_conditions(&normalized))
            .unwrap_or_default();
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
            id: Value::Value(id.clone()),
            name: Value::Value(id),
            name_prefix: Value::Value(prefix),
            require_mfa: Value::Value(conditions.require_mfa),
            role: Value::Value(role.to_string()),
            ..Default::default()
        };
        Some((flatten(state, found), ValueEmpty::default()))
    }
}

/// What AWS has for one group.
struct FoundGroup {
    arn: String,
    policy: Option<String>,
}

/// Validates every input; the policy when all inputs are known.
fn check(state: &EnvGroupState) -> Result<Option<PolicyDocument>, Vec<Error>> {
    let mut errors = Vec::new();
    if let Some(prefix) = known_str(&state.name_prefix) {
        if let Err(problem) = validate_name_prefix(prefix) {
            errors.push(Error::invalid(
                attr("name_prefix"),
                "Invalid name prefix",
                problem.hint(),
            ));
        }
    } else if state.name_prefix.is_null() || state.name_prefix.as_ref_option().is_some() {
        errors.push(Error::invalid(
            attr("name_prefix"),
            "Empty name prefix",
            "Set `name_prefix`, e.g. `hera`.",
        ));
    }
    let policy = EnvAccessInputs {
        environment: &state.environment,
        role: &state.role,
        require_mfa: &state.require_mfa,
        allowed_ip_ranges: &state.allowed_ip_ranges,
        allowed_vpc_endpoint_ids: &state.allowed_vpc_endpoint_ids,
    }
    .policy();
    match policy {
        Ok(policy) if errors.is_empty() => Ok(policy),
        Ok(_) => Err(errors),
        Err(mut policy_errors) => {
            errors.append(&mut policy_errors);
            Err(errors)
        }
    }
}

/// Fills the computed attributes of a plan; `keep` is the prior state when
/// the group stays the same.
fn plan_computed(
    planned: &mut EnvGroupState,
    policy: Option<&PolicyDocument>,
    keep: Option<&EnvGroupState>,
) {
    if planned.require_mfa.is_null() {
        planned.require_mfa = Value::Value(true);
    }
    let name = match (
        known_str(&planned.name_prefix),
        parse_environment(&planned.environment).ok().flatten(),
        parse_role(&planned.role).ok().flatten(),
    ) {
        (Some(prefix), Some(environment), Some(role)) => {
            Value::Value(group_name(prefix, environment, role))
        }
        _ => Value::Unknown,
    };
    planned.id = name.clone();
    planned.name = name;
    planned.arn = keep.map_or(Value::Unknown, |prior| prior.arn.clone());
    planned.policy_json = policy.map_or(Value::Unknown, |policy| Value::Value(policy.to_json()));
}

/// An input attribute by name, for replacement checks.
fn field<'s>(state: &'s EnvGroupState, name: &str) -> &'s Value<String> {
    match name {
        "environment" => &state.environment,
        "name_prefix" => &state.name_prefix,
        _ => &state.role,
    }
}

/// Refreshes `arn` and `policy_json` from AWS. The stored policy keeps its
/// canonical text while AWS's copy means the same; otherwise AWS's copy is
/// stored, so the next plan shows the drift and puts the policy back.
fn flatten(mut state: EnvGroupState, found: FoundGroup) -> EnvGroupState {
    state.arn = Value::Value(found.arn);
    let expected = check(&state).ok().flatten();
    state.policy_json = match (found.policy, expected) {
        (None, _) => Value::Null,
        (Some(actual), Some(expected)) if same_policy(&actual, &expected.to_json()) => {
            Value::Value(expected.to_json())
        }
        (Some(actual), _) => Value::Value(
            normalize_policy_json(&actual)
                .map(|value| value.to_string())
                .unwrap_or(actual),
        ),
    };
    state
}

fn same_policy(left: &str, right: &str) -> bool {
    match (normalize_policy_json(left), normalize_policy_json(right)) {
        (Ok(left), Ok(right)) => left == right,
        _ => false,
    }
}

/// The group and its inline policy, or `Error::NotFound`.
async fn find_group(ctx: &Ctx, name: &str) -> Result<FoundGroup, Error> {
    let group = ctx
        .aws
        .iam
        .get_group()
        .group_name(name)
        .send()
        .await
        .map_err(|e| aws_error("iam", "GetGroup", e))?;
    let arn = group.group.map(|g| g.arn).unwrap_or_default();
    let policy = match ctx
        .aws
        .iam
        .get_group_policy()
        .group_name(name)
        .policy_name(POLICY_NAME)
        .send()
        .await
    {
        Ok(output) => Some(output.policy_document),
        Err(error) => {
            let error = aws_error("iam", "GetGroupPolicy", error);
            if !error.is_not_found() {
                return Err(error);
            }
            None
        }
    };
    Ok(FoundGroup { arn, policy })
}

async fn put_policy(ctx: &Ctx, name: &str, policy: &PolicyDocument) -> Result<(), Error> {
    let document = policy.to_json();
    retry_when(IAM_PROPAGATION, Error::is_not_found, || async {
        ctx.aws
            .iam
            .put_group_policy()
            .group_name(name)
            .policy_name(POLICY_NAME)
            .policy_document(&document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "PutGroupPolicy", e))
    })
    .await
}

/// Deletes the group after what would block it: members, inline policies and
/// attached managed policies. Each step tolerates "already gone".
async fn delete_group(ctx: &Ctx, name: &str) -> Result<(), Error> {
    let iam = &ctx.aws.iam;
    let members = match iam.get_group().group_name(name).send().await {
        Ok(output) => output.users,
        Err(error) => {
            return gone_ok(Err(aws_error("iam", "GetGroup", error)));
        }
    };
    for user in members {
        gone_ok(
            iam.remove_user_from_group()
                .group_name(name)
                .user_name(&user.user_name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error("iam", "RemoveUserFromGroup", e)),
        )?;
    }
    let policies = iam
        .list_group_policies()
        .group_name(name)
        .send()
        .await
        .map(|output| output.policy_names)
        .or_else(|e| gone_ok(Err(aws_error("iam", "ListGroupPolicies", e))).map(|()| Vec::new()))?;
    for policy in policies {
        gone_ok(
            iam.delete_group_policy()
                .group_name(name)
                .policy_name(&policy)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error("iam", "DeleteGroupPolicy", e)),
        )?;
    }
    let attached = iam
        .list_attached_group_policies()
        .group_name(name)
        .send()
        .await
        .map(|output| output.attached_policies.unwrap_or_default())
        .or_else(|e| {
            gone_ok(Err(aws_error("iam", "ListAttachedGroupPolicies", e))).map(|()| Vec::new())
        })?;
    for policy in attached {
        if let Some(arn) = policy.policy_arn {
            gone_ok(
                iam.detach_group_policy()
                    .group_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error("iam", "DetachGroupPolicy", e)),
            )?;
        }
    }
    gone_ok(
        iam.delete_group()
            .group_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "DeleteGroup", e)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value<String> {
        Value::Value(text.into())
    }

    fn state(prefix: &str, environment: &str, role: &str) -> EnvGroupState {
        EnvGroupState {
            name_prefix: s(prefix),
            environment: s(environment),
            role: s(role),
            ..Default::default()
        }
    }

    #[test]
    fn plan_names_the_group_and_defaults_mfa() {
        let mut planned = state("hera", "prod", "infra-manager");
        let policy = check(&planned).unwrap();
        plan_computed(&mut planned, policy.as_ref(), None);
        assert_eq!(planned.name, s("hera-prod-infra-manager"));
        assert_eq!(planned.id, planned.name);
        assert_eq!(planned.require_mfa, Value::Value(true));
        assert!(matches!(planned.arn, Value::Unknown));
        assert!(text(&planned.policy_json).contains("DenyWithoutMfa"));
    }

    #[test]
    fn unknown_inputs_leave_computed_values_unknown() {
        let mut planned = state("hera", "dev", "developer");
        planned.allowed_ip_ranges = Value::Unknown;
        let policy = check(&planned).unwrap();
        assert!(policy.is_none());
        plan_computed(&mut planned, None, None);
        assert_eq!(planned.name, s("hera-dev-developer"));
        assert!(matches!(planned.policy_json, Value::Unknown));
    }

    #[test]
    fn bad_prefix_is_reported_on_name_prefix() {
        let errors = check(&state("he ra", "dev", "developer")).unwrap_err();
        let (summary, _, path) = errors
            .into_iter()
            .next()
            .unwrap()
            .into_parts(AttributePath::default());
        assert_eq!(summary, "Invalid name prefix");
        assert_eq!(path, attr("name_prefix"));
    }

    #[test]
    fn refresh_keeps_canonical_text_for_equal_policies_and_shows_drift() {
        let base = state("hera", "dev", "developer");
        let expected = check(&base).unwrap().unwrap().to_json();
        let encoded: String = expected.bytes().map(|b| format!("%{b:02X}")).collect();
        let same = flatten(
            base.clone(),
            FoundGroup {
                arn: "arn".into(),
                policy: Some(encoded),
            },
        );
        assert_eq!(same.policy_json, Value::Value(expected.clone()));

        let edited = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let drifted = flatten(
            base.clone(),
            FoundGroup {
                arn: "arn".into(),
                policy: Some(edited.into()),
            },
        );
        assert_ne!(drifted.policy_json, Value::Value(expected));

        let missing = flatten(
            base,
            FoundGroup {
                arn: "arn".into(),
                policy: None,
            },
        );
        assert_eq!(missing.policy_json, Value::Null);
    }
}
