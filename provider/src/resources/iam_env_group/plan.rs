//! Pure planning of `jit_iam_env_group`: input checks, computed values, and
//! how AWS's copy of the policy is stored (drift detection).

use tf_provider::value::Value;

use super::{EnvGroupState, FoundGroup};
use crate::error::{attr, Error};
use crate::framework::Errors;
use crate::inputs::env_access::{parse_environment, parse_role, EnvAccessInputs};
use crate::policy::{
    group_name, infer_conditions, normalize_policy_json, validate_name_prefix, Conditions,
    PolicyDocument,
};
use crate::values::known_str;

/// The group's one inline policy (IAM counts all inline policies of a group
/// against 5,120 characters, so there is exactly one).
pub const POLICY_NAME: &str = "jit-env-access";

/// Validates every input; the policy when all inputs are known.
pub fn check(state: &EnvGroupState) -> Result<Option<PolicyDocument>, Errors> {
    let mut errors = Errors::default();
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
        Ok(policy) => errors.into_result().map(|()| policy),
        Err(policy_errors) => {
            errors.0.extend(policy_errors);
            Err(errors)
        }
    }
}

/// Fills the computed attributes of a plan; `keep` is the prior state when
/// the group stays the same.
pub fn plan_computed(
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

/// Refreshes `arn` and `policy_json` from AWS. The stored policy keeps its
/// canonical text while AWS's copy means the same; otherwise AWS's copy is
/// stored, so the next plan shows the drift and puts the policy back.
pub fn flatten(mut state: EnvGroupState, found: FoundGroup) -> EnvGroupState {
    state.arn = Value::Value(found.group.arn);
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

/// The MFA and network conditions a policy document carries (import).
pub fn conditions_of(policy: Option<&str>) -> Conditions {
    policy
        .and_then(|json| normalize_policy_json(json).ok())
        .map(|normalized| infer_conditions(&normalized))
        .unwrap_or_default()
}

fn same_policy(left: &str, right: &str) -> bool {
    match (normalize_policy_json(left), normalize_policy_json(right)) {
        (Ok(left), Ok(right)) => left == right,
        _ => false,
    }
}
