//! `data "jit_ci_role_policy"`: the permission policy of the CI plan role
//! (read-only, for pull requests) or apply role (the apply job on `main`),
//! rendered from the provider's action table, and the GitHub OIDC trust
//! policy of that role. Pure: no AWS call; defaults come from the provider
//! block.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::Value;

use crate::error::{attr, Error};
use crate::framework::{DataSourceType, Errors, Op};
use crate::inputs::identity_center::check_account_id;
use crate::policy::arn::{check_arn, is_schedule_group_name, partition};
use crate::policy::ci_role::{
    ci_role_actions, ci_role_policy, github_oidc_provider_arn, github_subject, github_trust_policy,
    is_github_environment, is_github_repository, selected_components, CiRole, RoleScope,
    StateBackend, DEFAULT_APPLY_ENVIRONMENT,
};
use crate::schema::*;
use crate::values::{is_unknown, known_str, known_str_list, str_list, StrList};

/// Data source state.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct CiRolePolicyState {
    /// Account of the roles and of everything they reach.
    pub account_id: Value<String>,
    /// The actions granted, sorted.
    pub actions: StrList,
    /// Bucket of the S3 audit log.
    pub audit_s3_bucket: Value<String>,
    /// Key prefix of the S3 audit log.
    pub audit_s3_prefix: Value<String>,
    /// Cognito user pools blocks may target.
    pub cognito_user_pool_ids: StrList,
    /// The apply role may create the schedule group.
    pub create_schedule_group: Value<bool>,
    /// GitHub environment the apply job runs in.
    pub github_environment: Value<String>,
    /// GitHub's OIDC provider in IAM.
    pub github_oidc_provider_arn: Value<String>,
    /// Prefixes of the per-environment IAM groups.
    pub iam_group_name_prefixes: StrList,
    /// `<role>-<account>`.
    pub id: Value<String>,
    /// Identity Center instance.
    pub identity_center_instance_arn: Value<String>,
    /// Identity store of the instance.
    pub identity_store_id: Value<String>,
    /// Grants into the account the provider runs in.
    pub management_account_assignments: Value<bool>,
    /// A permission set ends live sessions on revoke.
    pub end_sessions_on_revoke: Value<bool>,
    /// Notification topic.
    pub notification_topic_arn: Value<String>,
    /// The permission policy.
    pub permission_policy_json: Value<String>,
    /// Region of the schedules and user pools.
    pub region: Value<String>,
    /// `owner/name` of the GitHub repository.
    pub repository: Value<String>,
    /// Resource types and data sources the configuration uses.
    pub resource_types: StrList,
    /// The revoker role, passed to Scheduler.
    pub revoker_role_arn: Value<String>,
    /// `plan` or `apply`.
    pub role: Value<String>,
    /// Schedule group of the leases.
    pub schedule_group: Value<String>,
    /// Characters of the policy, whitespace excluded.
    pub size: Value<i64>,
    /// S3 bucket of the Terraform state.
    pub state_bucket: Value<String>,
    /// Key of the state object.
    pub state_key: Value<String>,
    /// DynamoDB lock table.
    pub state_lock_table: Value<String>,
    /// Accounts grants may target.
    pub target_account_ids: StrList,
    /// The trust policy.
    pub trust_policy_json: Value<String>,
}

/// The data source.
#[derive(Debug, Default)]
pub struct CiRolePolicy;

#[async_trait]
impl DataSourceType for CiRolePolicy {
    type State = CiRolePolicyState;
    const NAME: &'static str = "ci_role_policy";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "The permission policy of the CI **plan** role (read-only: what a pull request's `plan` reads, never a write) or **apply** role (every action every resource and data source of this provider calls, per step), rendered from the provider's own action table, and the role's GitHub OIDC trust policy. Each action is scoped to the narrowest resources the inputs allow. Pure: no AWS call. The full table is in the permissions guide.",
                [
                    ("account_id", required_str("Account id (12 digits) of the Identity Center administration (where the provider runs).")),
                    ("actions", computed_str_list("The actions the permission policy grants, sorted.")),
                    ("audit_s3_bucket", optional_computed_str("Bucket of the S3 audit log: the apply role may list it and read and create objects under `audit_s3_prefix` (never delete or overwrite: objects are created with `If-None-Match: *`). Default: the provider's `audit_s3_bucket`; without one no `s3:` action is granted for the audit log.")),
                    ("audit_s3_prefix", optional_computed_str("Key prefix of the S3 audit log. Default: the provider's `audit_s3_prefix`, else `jit-audit/`.")),
                    ("cognito_user_pool_ids", optional_str_list("Cognito user pools `jit_user_block` may target. Default: every pool of the account.")),
                    ("create_schedule_group", optional_bool("Let the apply role create the schedule group when it is missing (`scheduler:CreateScheduleGroup`). Default `false`: create it once with `examples/bootstrap`.")),
                    ("end_sessions_on_revoke", optional_computed_bool("A permission set of the grant policy has `end_sessions_on_revoke = true`: the apply role may edit permission sets' inline policies (`sso:GetInlinePolicyForPermissionSet`, `PutInlinePolicyToPermissionSet`, `DeleteInlinePolicyFromPermissionSet`) and provision them (`sso:ProvisionPermissionSet`) when a grant is created or revoked. Default: whether the provider's `grant_policy` sets it for any permission set.")),
                    ("github_environment", optional_computed_str("`apply` role: the GitHub environment the apply job runs in; its OIDC subject is `repo:<repository>:environment:<github_environment>`. Default `jit-apply`, as in the example workflow.")),
                    ("github_oidc_provider_arn", optional_computed_str("IAM OIDC provider of `token.actions.githubusercontent.com`. Default: the one of `account_id`.")),
                    ("iam_group_name_prefixes", optional_str_list("`name_prefix`es of the `jit_iam_env_group`s; group actions are limited to `group/<prefix>-*`. Default: every group.")),
                    ("id", computed_str("`<role>-<account_id>`.")),
                    ("identity_center_instance_arn", optional_computed_str("Identity Center instance. Default: the provider's `identity_center_instance_arn`, else every instance.")),
                    ("identity_store_id", optional_computed_str("Identity store of the instance. Default: the provider's `identity_store_id`, else every store of the account.")),
                    ("management_account_assignments", optional_bool("Grants may target the account the provider runs in (the organization's management account): Identity Center then provisions the `AWSReservedSSO_*` role there with the caller's own IAM permissions, which this adds (scoped to `role/aws-reserved/sso.amazonaws.com/*` and `saml-provider/AWSSSO_*`). Default `false`.")),
                    ("notification_topic_arn", optional_computed_str("SNS topic of audit events and expiry notices. Default: the provider's `notification_topic_arn`; without one no `sns:Publish` is granted.")),
                    ("permission_policy_json", computed_str("The permission policy (compact JSON, stable order).")),
                    ("region", optional_computed_str("Region of the schedules and user pools. Default: the provider's region.")),
                    ("repository", optional_str("GitHub repository `owner/name` whose workflows assume the role. Without it `trust_policy_json` is null.")),
                    ("resource_types", optional_str_list("Resource types (`jit_grant`) and data sources (`data.jit_access_review`) the configuration uses. Default: all of them.")),
                    ("revoker_role_arn", optional_computed_str("The revoker role the apply role may pass to EventBridge Scheduler (`iam:PassRole` with `iam:PassedToService = scheduler.amazonaws.com`). Default: the provider's `revoker_role_arn`. Needed for the apply role when `jit_grant` is used.")),
                    ("role", required_str("`plan` (pull requests: read-only) or `apply` (the apply job).")),
                    ("schedule_group", optional_computed_str("Schedule group of the leases. Default: the provider's `schedule_group`.")),
                    ("size", computed_number("Size of `permission_policy_json` in characters, whitespace excluded (IAM allows 10,240 for a role's inline policies).")),
                    ("state_bucket", optional_str("S3 bucket of the Terraform state: adds reading it (and writing it, for `apply`) and the lock. Needs `state_key`.")),
                    ("state_key", optional_str("Key of the state object, e.g. `access/terraform.tfstate`.")),
                    ("state_lock_table", optional_str("DynamoDB lock table, when the backend locks with one instead of the S3 lock file.")),
                    ("target_account_ids", optional_str_list("Accounts grants may target (`sso:` actions on `account/<id>`). Default: every account.")),
                    ("trust_policy_json", computed_str("Trust policy for GitHub Actions: `sts:AssumeRoleWithWebIdentity` from the OIDC provider for exactly one subject, `repo:<repository>:pull_request` (plan) or `repo:<repository>:environment:<github_environment>` (apply). Null without `repository`.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &CiRolePolicyState) -> Result<(), Errors> {
        check(config)
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        mut config: CiRolePolicyState,
    ) -> Result<CiRolePolicyState, Errors> {
        check(&config)?;
        let ctx = op.ctx().ok();
        let provider = ctx.map(|ctx| &ctx.config);
        let default = |value: &Value<String>, fallback: Option<&String>| -> Option<String> {
            known_str(value)
                .map(str::to_string)
                .or_else(|| fallback.cloned())
        };
        let region = default(&config.region, ctx.and_then(|c| c.aws.region.as_ref()));
        let instance_arn = default(
            &config.identity_center_instance_arn,
            provider.and_then(|p| p.identity_center_instance_arn.as_ref()),
        );
        let identity_store_id = default(
            &config.identity_store_id,
            provider.and_then(|p| p.identity_store_id.as_ref()),
        );
        let schedule_group = default(&config.schedule_group, provider.map(|p| &p.schedule_group))
            .unwrap_or_else(|| crate::config::DEFAULT_SCHEDULE_GROUP.to_string());
        let revoker_role_arn = default(
            &config.revoker_role_arn,
            provider.and_then(|p| p.revoker_role_arn.as_ref()),
        );
        let notification_topic_arn = default(
            &config.notification_topic_arn,
            provider.and_then(|p| p.notification_topic_arn.as_ref()),
        );
        config.region = opt(region.clone());
        config.identity_center_instance_arn = opt(instance_arn.clone());
        config.identity_store_id = opt(identity_store_id.clone());
        config.schedule_group = Value::Value(schedule_group.clone());
        config.revoker_role_arn = opt(revoker_role_arn.clone());
        config.notification_topic_arn = opt(notification_topic_arn.clone());
        let provider_s3 = provider.and_then(|p| p.audit_s3.as_ref());
        let audit_s3 =
            default(&config.audit_s3_bucket, provider_s3.map(|t| &t.bucket)).map(|bucket| {
                let prefix = known_str(&config.audit_s3_prefix)
                    .map(str::to_string)
                    .or_else(|| provider_s3.map(|t| t.prefix.clone()))
                    .unwrap_or_else(|| crate::config::DEFAULT_AUDIT_S3_PREFIX.to_string());
                crate::config::AuditS3::new(bucket, &prefix)
            });
        if config.end_sessions_on_revoke.is_null() {
            config.end_sessions_on_revoke =
                Value::Value(provider.is_some_and(|p| p.grant_policy.any_ends_sessions()));
        }
        config.audit_s3_bucket = opt(audit_s3.as_ref().map(|t| t.bucket.clone()));
        config.audit_s3_prefix = opt(audit_s3.as_ref().map(|t| t.prefix.clone()));

        let Some(inputs) = known_inputs(&config) else {
            unknown_outputs(&mut config);
            return Ok(config);
        };
        let Some(role) = CiRole::parse(&inputs.role) else {
            return Err(bad_role(&inputs.role).into());
        };
        let scope = RoleScope {
            account_id: inputs.account_id.clone(),
            region,
            instance_arn,
            identity_store_id,
            target_account_ids: inputs.target_account_ids,
            schedule_group,
            revoker_role_arn,
            notification_topic_arn,
            dead_letter_queue_arn: None,
            audit_s3: audit_s3.map(|t| (t.bucket, t.prefix)),
            iam_group_name_prefixes: inputs.iam_group_name_prefixes,
            user_pool_ids: inputs.user_pool_ids,
            components: inputs.components,
            create_schedule_group: inputs.create_schedule_group,
            management_account_assignments: inputs.management_account_assignments,
            end_sessions_on_revoke: inputs.end_sessions_on_revoke,
            state: inputs.state,
        };
        let path = |error: &crate::policy::ci_role::CiRoleError| match error {
            crate::policy::ci_role::CiRoleError::UnknownComponent { .. } => attr("resource_types"),
            crate::policy::ci_role::CiRoleError::NoRevokerRole => attr("revoker_role_arn"),
            _ => attr("role"),
        };
        let rendered = ci_role_policy(role, &scope)
            .and_then(|document| Ok((document, ci_role_actions(role, &scope)?)))
            .map_err(|error| {
                Error::invalid(
                    path(&error),
                    format!("Cannot render the {} role policy: {error}", role.as_str()),
                    error.hint(),
                )
            })?;
        let (document, actions) = rendered;
        config.permission_policy_json = Value::Value(document.to_json());
        config.size = Value::Value(document.size_without_whitespace() as i64);
        config.actions = str_list(actions.iter().map(|a| a.to_string()));
        config.id = Value::Value(format!("{}-{}", role.as_str(), inputs.account_id));

        let environment = match role {
            CiRole::Apply => Some(
                known_str(&config.github_environment)
                    .unwrap_or(DEFAULT_APPLY_ENVIRONMENT)
                    .to_string(),
            ),
            CiRole::Plan => None,
        };
        config.github_environment = opt(environment.clone());
        let oidc = known_str(&config.github_oidc_provider_arn)
            .map(str::to_string)
            .unwrap_or_else(|| {
                github_oidc_provider_arn(
                    partition(scope.region.as_deref().unwrap_or("")),
                    &inputs.account_id,
                )
            });
        config.github_oidc_provider_arn = Value::Value(oidc.clone());
        config.trust_policy_json = match known_str(&config.repository) {
            Some(repository) => Value::Value(github_trust_policy(
                &oidc,
                &github_subject(role, repository, environment.as_deref().unwrap_or("")),
            )),
            None => Value::Null,
        };
        Ok(config)
    }
}

fn opt(value: Option<String>) -> Value<String> {
    value.map_or(Value::Null, Value::Value)
}

fn unknown_outputs(state: &mut CiRolePolicyState) {
    state.actions = Value::Unknown;
    state.id = Value::Unknown;
    state.permission_policy_json = Value::Unknown;
    state.size = Value::Unknown;
    state.trust_policy_json = Value::Unknown;
    if is_unknown(&state.github_environment) || state.github_environment.is_null() {
        state.github_environment = Value::Unknown;
    }
    if state.github_oidc_provider_arn.is_null() {
        state.github_oidc_provider_arn = Value::Unknown;
    }
}

/// The inputs once every one is known.
struct Inputs {
    role: String,
    account_id: String,
    target_account_ids: Option<Vec<String>>,
    iam_group_name_prefixes: Option<Vec<String>>,
    user_pool_ids: Option<Vec<String>>,
    components: Option<Vec<String>>,
    create_schedule_group: bool,
    management_account_assignments: bool,
    end_sessions_on_revoke: bool,
    state: Option<StateBackend>,
}

fn optional_list(list: &StrList) -> Option<Option<Vec<String>>> {
    if list.is_null() {
        return Some(None);
    }
    known_str_list(list).map(Some)
}

fn known_inputs(state: &CiRolePolicyState) -> Option<Inputs> {
    let strings = [
        &state.role,
        &state.account_id,
        &state.region,
        &state.identity_center_instance_arn,
        &state.identity_store_id,
        &state.schedule_group,
        &state.revoker_role_arn,
        &state.notification_topic_arn,
        &state.audit_s3_bucket,
        &state.audit_s3_prefix,
        &state.repository,
        &state.github_environment,
        &state.github_oidc_provider_arn,
        &state.state_bucket,
        &state.state_key,
        &state.state_lock_table,
    ];
    if strings.iter().any(|v| is_unknown(v))
        || is_unknown(&state.create_schedule_group)
        || is_unknown(&state.management_account_assignments)
        || is_unknown(&state.end_sessions_on_revoke)
    {
        return None;
    }
    let bool_of = |value: &Value<bool>| value.as_ref_option().copied().unwrap_or(false);
    let backend = known_str(&state.state_bucket).map(|bucket| StateBackend {
        bucket: bucket.to_string(),
        key: known_str(&state.state_key).unwrap_or_default().to_string(),
        lock_table: known_str(&state.state_lock_table).map(str::to_string),
    });
    Some(Inputs {
        role: known_str(&state.role)?.to_string(),
        account_id: known_str(&state.account_id)?.to_string(),
        target_account_ids: optional_list(&state.target_account_ids)?,
        iam_group_name_prefixes: optional_list(&state.iam_group_name_prefixes)?,
        user_pool_ids: optional_list(&state.cognito_user_pool_ids)?,
        components: optional_list(&state.resource_types)?,
        create_schedule_group: bool_of(&state.create_schedule_group),
        management_account_assignments: bool_of(&state.management_account_assignments),
        end_sessions_on_revoke: bool_of(&state.end_sessions_on_revoke),
        state: backend,
    })
}

fn bad_role(value: &str) -> Error {
    Error::invalid(
        attr("role"),
        "Unknown CI role",
        format!(
            "`{value}` is neither `plan` (pull requests, read-only) nor `apply` (the apply job)."
        ),
    )
}

/// Shape checks; unknown values are skipped.
fn check(state: &CiRolePolicyState) -> Result<(), Errors> {
    let mut errors = Errors::default();
    if let Some(role) = known_str(&state.role) {
        if CiRole::parse(role).is_none() {
            errors.push(bad_role(role));
        }
    }
    errors.check(check_account_id(&state.account_id));
    if let Some(Some(ids)) = optional_list(&state.target_account_ids) {
        for id in ids {
            errors.check(
                check_account_id(&Value::Value(id.clone()))
                    .map_err(|e| e.at(attr("target_account_ids"))),
            );
        }
    }
    if let Some(group) = known_str(&state.schedule_group) {
        if !is_schedule_group_name(group) {
            errors.push(Error::invalid(
                attr("schedule_group"),
                "Invalid schedule group name",
                format!("`{group}` must be 1 to 64 letters, digits, `-`, `_` or `.`."),
            ));
        }
    }
    for (name, service, value) in [
        (
            "identity_center_instance_arn",
            "sso",
            &state.identity_center_instance_arn,
        ),
        ("revoker_role_arn", "iam", &state.revoker_role_arn),
        (
            "notification_topic_arn",
            "sns",
            &state.notification_topic_arn,
        ),
        (
            "github_oidc_provider_arn",
            "iam",
            &state.github_oidc_provider_arn,
        ),
    ] {
        if let Some(arn) = known_str(value) {
            if let Err(problem) = check_arn(arn, service) {
                errors.push(Error::invalid(
                    attr(name),
                    format!("Malformed ARN in `{name}`"),
                    format!("`{arn}` {problem}."),
                ));
            }
        }
    }
    if let Some(arn) = known_str(&state.revoker_role_arn) {
        if !arn.contains(":role/") || arn.contains('*') {
            errors.push(Error::invalid(
                attr("revoker_role_arn"),
                "Not one role",
                format!("`{arn}` must be the ARN of exactly one IAM role (no wildcard): the apply role may pass only that role to Scheduler."),
            ));
        }
    }
    if let Some(repository) = known_str(&state.repository) {
        if !is_github_repository(repository) {
            errors.push(Error::invalid(
                attr("repository"),
                "Invalid GitHub repository",
                format!("`{repository}` must be `owner/name` (letters, digits, `-`, `_`, `.`; no wildcard)."),
            ));
        }
    }
    if let Some(environment) = known_str(&state.github_environment) {
        if !is_github_environment(environment) {
            errors.push(Error::invalid(
                attr("github_environment"),
                "Invalid GitHub environment",
                format!("`{environment}` must be an environment name without `*`, `?` or `:`, so the trust names exactly one."),
            ));
        }
        if known_str(&state.role) == Some("plan") {
            errors.push(Error::invalid(
                attr("github_environment"),
                "No environment for the plan role",
                "The plan role is assumed by pull requests (`repo:<repository>:pull_request`); remove `github_environment`.",
            ));
        }
    }
    if known_str(&state.state_bucket).is_some() && state.state_key.is_null() {
        errors.push(Error::invalid(
            attr("state_key"),
            "State key missing",
            "Set `state_key` to the key of the state object, e.g. `access/terraform.tfstate`.",
        ));
    }
    if let Some(Some(names)) = optional_list(&state.resource_types) {
        if let Err(error) = selected_components(Some(&names)) {
            errors.push(Error::invalid(
                attr("resource_types"),
                format!("Cannot render the role policy: {error}"),
                error.hint(),
            ));
        }
    }
    errors.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> CiRolePolicyState {
        CiRolePolicyState {
            role: Value::Value("apply".into()),
            account_id: Value::Value("123456789012".into()),
            ..Default::default()
        }
    }

    fn paths(state: &CiRolePolicyState) -> Vec<tf_provider::AttributePath> {
        check(state)
            .err()
            .map(|e| e.0)
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.into_parts(Default::default()).2)
            .collect()
    }

    #[test]
    fn bad_inputs_name_their_attribute() {
        assert!(paths(&state()).is_empty());
        let bad = CiRolePolicyState {
            role: Value::Value("admin".into()),
            account_id: Value::Value("12".into()),
            schedule_group: Value::Value("bad group".into()),
            revoker_role_arn: Value::Value("arn:aws:iam::123456789012:role/*".into()),
            repository: Value::Value("acme".into()),
            github_environment: Value::Value("jit-*".into()),
            state_bucket: Value::Value("b".into()),
            resource_types: str_list(["jit_nothing".to_string()]),
            target_account_ids: str_list(["1".to_string()]),
            ..Default::default()
        };
        assert_eq!(
            paths(&bad),
            [
                attr("role"),
                attr("account_id"),
                attr("target_account_ids"),
                attr("schedule_group"),
                attr("revoker_role_arn"),
                attr("repository"),
                attr("github_environment"),
                attr("state_key"),
                attr("resource_types"),
            ]
        );
        let plan_with_environment = CiRolePolicyState {
            role: Value::Value("plan".into()),
            github_environment: Value::Value("jit-apply".into()),
            ..state()
        };
        assert_eq!(paths(&plan_with_environment), [attr("github_environment")]);
    }

    #[test]
    fn unknown_inputs_give_unknown_outputs() {
        let mut unknown = CiRolePolicyState {
            account_id: Value::Unknown,
            ..state()
        };
        assert!(check(&unknown).is_ok());
        assert!(known_inputs(&unknown).is_none());
        unknown_outputs(&mut unknown);
        assert!(is_unknown(&unknown.permission_policy_json));
        assert!(is_unknown(&unknown.actions));
        let list = CiRolePolicyState {
            resource_types: Value::Value(vec![Value::Unknown]),
            ..state()
        };
        assert!(known_inputs(&list).is_none());
        assert!(known_inputs(&state()).is_some());
    }
}
