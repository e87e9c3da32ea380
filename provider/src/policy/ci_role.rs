//! The CI roles' and the revoker role's policies, rendered from the action
//! table ([`super::actions`]): the plan role gets the read actions of the
//! steps a plan runs, the apply role every action of every step Terraform
//! runs, the revoker role the actions of the lease schedules' targets. One
//! statement per resource scope, its ARNs narrowed by what is known (account,
//! region, instance, schedule group, topic, …); the same input always gives
//! the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::actions::{Access, Component, Gate, Kind, Scope, Step, ACTIONS, COMPONENTS};
use super::{Actions, Effect, PolicyDocument, Resources, Statement};

/// IAM's limit on a role's inline policies (all of them, whitespace
/// excluded).
pub const ROLE_INLINE_POLICY_LIMIT: usize = 10_240;

/// The GitHub Actions OIDC issuer (without `https://`).
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";

/// The GitHub environment the example apply workflow runs in.
pub const DEFAULT_APPLY_ENVIRONMENT: &str = "jit-apply";

/// Which CI role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiRole {
    /// Pull requests' plans: read-only.
    Plan,
    /// The apply job on `main`.
    Apply,
}

impl CiRole {
    /// Parses `plan` or `apply`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "plan" => Some(Self::Plan),
            "apply" => Some(Self::Apply),
            _ => None,
        }
    }

    /// `plan` or `apply`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Apply => "apply",
        }
    }

    /// True when this role may use `need` of `step` (before gates).
    fn takes(self, step: Step, access: Access) -> bool {
        match self {
            Self::Plan => step.runs_in_plan() && access == Access::Read,
            Self::Apply => step != Step::Expire && access != Access::Free,
        }
    }
}

/// Where the Terraform state lives, for the state statements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateBackend {
    /// S3 bucket.
    pub bucket: String,
    /// Object key of the state (e.g. `access/terraform.tfstate`).
    pub key: String,
    /// DynamoDB lock table, when the backend locks with one instead of the
    /// S3 lock file (`use_lockfile`).
    pub lock_table: Option<String>,
}

/// What the policies are scoped to. `None` widens to every resource of
/// the kind (`*` in that ARN part).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleScope {
    /// 12 digits.
    pub account_id: String,
    /// e.g. `eu-west-1`.
    pub region: Option<String>,
    /// `arn:aws:sso:::instance/ssoins-…`.
    pub instance_arn: Option<String>,
    /// `d-…`.
    pub identity_store_id: Option<String>,
    /// Accounts grants may target.
    pub target_account_ids: Option<Vec<String>>,
    /// Schedule group of the leases.
    pub schedule_group: String,
    /// The role Scheduler assumes at expiry.
    pub revoker_role_arn: Option<String>,
    /// Audit events and expiry notices.
    pub notification_topic_arn: Option<String>,
    /// Failed expiries.
    pub dead_letter_queue_arn: Option<String>,
    /// The S3 audit log: bucket and key prefix.
    pub audit_s3: Option<(String, String)>,
    /// `name_prefix`es of the per-environment groups.
    pub iam_group_name_prefixes: Option<Vec<String>>,
    /// Cognito user pools blocks may target.
    pub user_pool_ids: Option<Vec<String>>,
    /// Components the configuration uses (`jit_grant`,
    /// `data.jit_access_review`); `None`: all.
    pub components: Option<Vec<String>>,
    /// The apply role may create the schedule group.
    pub create_schedule_group: bool,
    /// Grants may target the account the provider runs in.
    pub management_account_assignments: bool,
    /// A permission set of the grant policy has `end_sessions_on_revoke`.
    pub end_sessions_on_revoke: bool,
    /// The Terraform state.
    pub state: Option<StateBackend>,
}

/// Why a policy cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CiRoleError {
    /// A component name the table does not know.
    #[error("unknown resource or data source `{value}`")]
    UnknownComponent {
        /// As given.
        value: String,
    },
    /// Grants are managed but no revoker role is known.
    #[error("no revoker role for `iam:PassRole`")]
    NoRevokerRole,
    /// Larger than IAM takes for a role's inline policies.
    #[error(
        "policy is `{size}` characters, over IAM's limit of `{limit}` for a role's inline policies"
    )]
    TooLarge {
        /// Characters, whitespace excluded.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The statements could not be rendered.
    #[error("cannot render the policy: {reason}")]
    Render {
        /// Why.
        reason: String,
    },
}

impl CiRoleError {
    /// What to do.
    pub fn hint(&self) -> String {
        match self {
            Self::UnknownComponent { .. } => format!(
                "Use resource types (`jit_grant`) and data sources (`data.jit_access_review`) of this provider: {}.",
                COMPONENTS
                    .iter()
                    .filter(|c| c.kind != Kind::Schedules)
                    .map(|c| format!("`{}`", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::NoRevokerRole => "Set `revoker_role_arn` (here or in the provider block): the apply role may pass exactly that role to EventBridge Scheduler, never any role.".to_string(),
            Self::TooLarge { .. } => "Narrow `resource_types` to what the configuration uses, or split the role's policy into managed policies.".to_string(),
            Self::Render { .. } => "This is a bug in the provider; please report it with the inputs.".to_string(),
        }
    }
}

/// The components a scope covers: the named ones, or every resource and
/// data source.
pub fn selected_components(
    names: Option<&[String]>,
) -> Result<Vec<&'static Component>, CiRoleError> {
    let Some(names) = names else {
        return Ok(COMPONENTS
            .iter()
            .filter(|c| c.kind != Kind::Schedules)
            .collect());
    };
    names
        .iter()
        .map(|name| {
            COMPONENTS
                .iter()
                .find(|c| c.name == name && c.kind != Kind::Schedules)
                .ok_or_else(|| CiRoleError::UnknownComponent {
                    value: name.clone(),
                })
        })
        .collect()
}

/// True when the gate is open for this scope.
fn gate_open(gate: Gate, scope: &RoleScope) -> bool {
    match gate {
        Gate::Always => true,
        Gate::Topic => scope.notification_topic_arn.is_some(),
        Gate::AuditBucket => scope.audit_s3.is_some(),
        Gate::DeadLetterQueue => scope.dead_letter_queue_arn.is_some(),
        Gate::ScheduleGroupCreation => scope.create_schedule_group,
        Gate::ManagementAccount => scope.management_account_assignments,
        Gate::EndSessions => scope.end_sessions_on_revoke,
    }
}

/// The actions a CI role gets for `scope`, sorted.
pub fn ci_role_actions(role: CiRole, scope: &RoleScope) -> Result<Vec<&'static str>, CiRoleError> {
    let components = selected_components(scope.components.as_deref())?;
    let mut actions = BTreeSet::new();
    for component in components {
        for (step, need) in component.all_needs() {
            let Some(action) = super::actions::action(need.action) else {
                continue;
            };
            if role.takes(step, action.access) && gate_open(need.gate, scope) {
                actions.insert(action.name);
            }
        }
    }
    Ok(actions.into_iter().collect())
}

/// The actions the revoker role gets: those of the lease schedules'
/// targets.
pub fn revoker_actions(scope: &RoleScope) -> Vec<&'static str> {
    let mut actions = BTreeSet::new();
    for component in COMPONENTS.iter().filter(|c| c.kind == Kind::Schedules) {
        for need in component.needs(Step::Expire) {
            if gate_open(need.gate, scope) {
                actions.insert(need.action);
            }
        }
    }
    actions.into_iter().collect()
}

/// The permission policy of a CI role.
pub fn ci_role_policy(role: CiRole, scope: &RoleScope) -> Result<PolicyDocument, CiRoleError> {
    let actions = ci_role_actions(role, scope)?;
    let mut statements = statements_for(&actions, scope)?;
    if let Some(state) = &scope.state {
        statements.extend(state_statements(role, state, &partition(scope)));
    }
    finish(statements)
}

/// The revoker role's permission policy.
pub fn revoker_policy(scope: &RoleScope) -> Result<PolicyDocument, CiRoleError> {
    let actions = revoker_actions(scope);
    finish(statements_for(&actions, scope)?)
}

fn finish(statements: Vec<Statement>) -> Result<PolicyDocument, CiRoleError> {
    let document = PolicyDocument::new(statements).map_err(|e| CiRoleError::Render {
        reason: e.to_string(),
    })?;
    let size = document.size_without_whitespace();
    if size > ROLE_INLINE_POLICY_LIMIT {
        return Err(CiRoleError::TooLarge {
            size,
            limit: ROLE_INLINE_POLICY_LIMIT,
        });
    }
    Ok(document)
}

/// One statement per (scope, condition), in scope order, actions sorted.
fn statements_for(actions: &[&str], scope: &RoleScope) -> Result<Vec<Statement>, CiRoleError> {
    let mut groups: BTreeMap<(Scope, Option<super::actions::Condition>), BTreeSet<&str>> =
        BTreeMap::new();
    for name in actions {
        let Some(action) = ACTIONS.iter().find(|a| a.name == *name) else {
            continue;
        };
        groups
            .entry((action.scope, action.condition))
            .or_default()
            .insert(action.name);
    }
    let mut statements = Vec::new();
    for ((kind, condition), names) in groups {
        let resources = resources(kind, scope)?;
        let mut statement = Statement::new(
            kind.sid(),
            Effect::Allow,
            Actions::Action(names.iter().map(|n| n.to_string()).collect()),
            Resources::Resource(resources),
        );
        if let Some((operator, key, value)) = condition {
            statement = statement.with_condition(operator, key, vec![value.to_string()]);
        }
        statements.push(statement);
    }
    Ok(statements)
}

/// The partition of the scope's region (`aws` when unknown).
fn partition(scope: &RoleScope) -> String {
    super::arn::partition(scope.region.as_deref().unwrap_or("")).to_string()
}

/// The ARNs of one scope.
fn resources(kind: Scope, scope: &RoleScope) -> Result<Vec<String>, CiRoleError> {
    let p = partition(scope);
    let account = &scope.account_id;
    let region = scope.region.as_deref().unwrap_or("*");
    let group = &scope.schedule_group;
    let each = |ids: &Option<Vec<String>>, arn: &dyn Fn(&str) -> String| match ids {
        Some(ids) if !ids.is_empty() => ids.iter().map(|id| arn(id)).collect(),
        _ => vec![arn("*")],
    };
    Ok(match kind {
        Scope::Everything => vec!["*".to_string()],
        Scope::IdentityCenter => {
            let (instance, instance_id) = match &scope.instance_arn {
                Some(arn) => (
                    arn.clone(),
                    arn.rsplit('/').next().unwrap_or("*").to_string(),
                ),
                None => (format!("arn:{p}:sso:::instance/*"), "*".to_string()),
            };
            let mut arns = vec![
                instance,
                format!("arn:{p}:sso:::permissionSet/{instance_id}/*"),
            ];
            arns.extend(each(&scope.target_account_ids, &|id| {
                format!("arn:{p}:sso:::account/{id}")
            }));
            arns
        }
        Scope::IdentityStore => vec![
            format!(
                "arn:{p}:identitystore::{account}:identitystore/{}",
                scope.identity_store_id.as_deref().unwrap_or("*")
            ),
            format!("arn:{p}:identitystore:::group/*"),
            format!("arn:{p}:identitystore:::membership/*"),
            format!("arn:{p}:identitystore:::user/*"),
        ],
        Scope::ScheduleGroup => vec![format!(
            "arn:{p}:scheduler:{region}:{account}:schedule-group/{group}"
        )],
        Scope::Schedules => vec![format!(
            "arn:{p}:scheduler:{region}:{account}:schedule/{group}/*"
        )],
        Scope::IamUsers => vec![format!("arn:{p}:iam::{account}:user/*")],
        Scope::IamEnvGroups => each(&scope.iam_group_name_prefixes, &|prefix| {
            if prefix == "*" {
                format!("arn:{p}:iam::{account}:group/*")
            } else {
                format!("arn:{p}:iam::{account}:group/{prefix}-*")
            }
        }),
        Scope::IamAnyGroup => vec![format!("arn:{p}:iam::{account}:group/*")],
        Scope::IamMfaDevices => vec![format!("arn:{p}:iam::{account}:mfa/*")],
        Scope::UserPools => each(&scope.user_pool_ids, &|id| {
            format!("arn:{p}:cognito-idp:{region}:{account}:userpool/{id}")
        }),
        Scope::NotificationTopic => scope.notification_topic_arn.iter().cloned().collect(),
        Scope::AuditLog => match &scope.audit_s3 {
            Some((bucket, prefix)) => vec![
                format!("arn:{p}:s3:::{bucket}"),
                format!("arn:{p}:s3:::{bucket}/{prefix}*"),
            ],
            None => Vec::new(),
        },
        Scope::RevokerRole => vec![scope
            .revoker_role_arn
            .clone()
            .ok_or(CiRoleError::NoRevokerRole)?],
        Scope::DeadLetterQueue => scope.dead_letter_queue_arn.iter().cloned().collect(),
        Scope::SsoReservedRoles => vec![format!(
            "arn:{p}:iam::{account}:role/aws-reserved/sso.amazonaws.com/*"
        )],
        Scope::SsoSamlProvider => vec![format!("arn:{p}:iam::{account}:saml-provider/AWSSSO_*")],
    })
}

/// Reading the state, and for the plan role writing only the lock.
fn state_statements(role: CiRole, state: &StateBackend, partition: &str) -> Vec<Statement> {
    let bucket = format!("arn:{partition}:s3:::{}", state.bucket);
    let object = format!("{bucket}/{}", state.key);
    let lock_file = format!("{object}.tflock");
    let mut statements = vec![Statement::new(
        "TerraformStateBucket",
        Effect::Allow,
        Actions::Action(vec!["s3:ListBucket".to_string()]),
        Resources::Resource(vec![bucket]),
    )];
    let state_actions = match role {
        CiRole::Plan => vec!["s3:GetObject".to_string()],
        CiRole::Apply => vec!["s3:GetObject".to_string(), "s3:PutObject".to_string()],
    };
    statements.push(Statement::new(
        "TerraformState",
        Effect::Allow,
        Actions::Action(state_actions),
        Resources::Resource(vec![object]),
    ));
    match &state.lock_table {
        Some(table) => statements.push(Statement::new(
            "TerraformStateLockTable",
            Effect::Allow,
            Actions::Action(vec![
                "dynamodb:DeleteItem".to_string(),
                "dynamodb:GetItem".to_string(),
                "dynamodb:PutItem".to_string(),
            ]),
            Resources::Resource(vec![format!("arn:{partition}:dynamodb:*:*:table/{table}")]),
        )),
        None => statements.push(Statement::new(
            "TerraformStateLockFile",
            Effect::Allow,
            Actions::Action(vec![
                "s3:DeleteObject".to_string(),
                "s3:GetObject".to_string(),
                "s3:PutObject".to_string(),
            ]),
            Resources::Resource(vec![lock_file]),
        )),
    }
    statements
}

/// The OIDC subject a role trusts: pull requests for the plan role, the
/// GitHub environment for the apply role.
pub fn github_subject(role: CiRole, repository: &str, environment: &str) -> String {
    match role {
        CiRole::Plan => format!("repo:{repository}:pull_request"),
        CiRole::Apply => format!("repo:{repository}:environment:{environment}"),
    }
}

/// `arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com`.
pub fn github_oidc_provider_arn(partition: &str, account_id: &str) -> String {
    format!("arn:{partition}:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}")
}

/// The trust policy of a CI role: GitHub's OIDC provider, for exactly one
/// subject and the STS audience.
pub fn github_trust_policy(oidc_provider_arn: &str, subject: &str) -> String {
    json!({
        "Version": super::POLICY_VERSION,
        "Statement": [{
            "Sid": "GitHubActions",
            "Effect": "Allow",
            "Principal": { "Federated": oidc_provider_arn },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    format!("{GITHUB_OIDC_HOST}:aud"): "sts.amazonaws.com",
                    format!("{GITHUB_OIDC_HOST}:sub"): subject,
                }
            }
        }]
    })
    .to_string()
}

/// True for `owner/name` as GitHub allows them.
pub fn is_github_repository(value: &str) -> bool {
    let ok = |part: &str| {
        !part.is_empty()
            && part.len() <= 100
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    matches!(value.split_once('/'), Some((owner, name)) if ok(owner) && ok(name) && !name.contains('/'))
}

/// True for a GitHub environment name that cannot widen the trust: no
/// wildcard, no `:`.
pub fn is_github_environment(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 255
        && !value.contains(['*', '?', ':', '\'', '"', '`'])
        && !value.chars().any(char::is_control)
}

#[cfg(test)]
mod tests;
