//! The reviewer summary of an environment group (see
//! [`crate::framework::summary`]): "creates group hera-prod-infra-manager
//! with the infra-manager policy of prod (MFA required; any source IP)",
//! "changes the policy of hera-prod-infra-manager (source IP now in
//! 203.0.113.0/24)", "deletes group hera-prod-infra-manager (its members
//! lose the infra-manager policy of prod)". Pure text from the planned
//! state.

use tf_provider::value::Value;

use super::EnvGroupState;
use crate::framework::summary::{required, written_list, UNKNOWN};
use crate::framework::Change;

/// The summary of a planned change of a group: a new group, a policy that
/// changes, a deleted group.
pub fn summary(change: Change<'_, EnvGroupState>) -> Option<String> {
    match change {
        Change::Create { planned } | Change::Replace { planned, .. } => Some(format!(
            "creates group {} with {} ({})",
            required(&planned.name),
            policy(planned),
            conditions(planned).join("; ")
        )),
        Change::Update { prior, planned } => updated(prior, planned),
        Change::Destroy { prior } => Some(format!(
            "deletes group {} (its members lose {})",
            required(&prior.name),
            policy(prior)
        )),
    }
}

/// "the <role> policy of <environment>".
fn policy(state: &EnvGroupState) -> String {
    format!(
        "the {} policy of {}",
        required(&state.role),
        required(&state.environment)
    )
}

fn mfa(state: &EnvGroupState) -> String {
    match state.require_mfa {
        Value::Value(true) => "MFA required".to_string(),
        Value::Value(false) => "no MFA required".to_string(),
        _ => format!("MFA {UNKNOWN}"),
    }
}

fn source_ip(state: &EnvGroupState) -> String {
    match written_list(&state.allowed_ip_ranges) {
        Some(ranges) => format!("source IP in {ranges}"),
        None => "any source IP".to_string(),
    }
}

fn endpoints(state: &EnvGroupState) -> Option<String> {
    written_list(&state.allowed_vpc_endpoint_ids).map(|ids| format!("VPC endpoints {ids}"))
}

/// The conditions the policy puts on every request.
fn conditions(state: &EnvGroupState) -> Vec<String> {
    let mut all = vec![mfa(state), source_ip(state)];
    all.extend(endpoints(state));
    all
}

fn updated(prior: &EnvGroupState, planned: &EnvGroupState) -> Option<String> {
    if prior.policy_json == planned.policy_json && !planned.policy_json.is_unknown() {
        return None;
    }
    let mut what = Vec::new();
    if prior.require_mfa != planned.require_mfa {
        what.push(match planned.require_mfa {
            Value::Value(true) => "MFA now required".to_string(),
            Value::Value(false) => "MFA no longer required".to_string(),
            _ => mfa(planned),
        });
    }
    if written_list(&prior.allowed_ip_ranges) != written_list(&planned.allowed_ip_ranges) {
        what.push(format!("{} now", source_ip(planned)));
    }
    if written_list(&prior.allowed_vpc_endpoint_ids)
        != written_list(&planned.allowed_vpc_endpoint_ids)
    {
        what.push(match endpoints(planned) {
            Some(endpoints) => format!("{endpoints} now"),
            None => "no VPC endpoint exception now".to_string(),
        });
    }
    if what.is_empty() {
        what.push(
            "puts back the policy as the provider writes it: edited outside Terraform, or changed by a provider upgrade"
                .to_string(),
        );
    }
    Some(format!(
        "changes the policy of {} ({})",
        required(&planned.name),
        what.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::str_list;

    fn group(mfa: bool, ranges: &[&str], policy: &str) -> EnvGroupState {
        let list = |items: &[&str]| {
            if items.is_empty() {
                Value::Null
            } else {
                str_list(items.iter().map(|i| i.to_string()))
            }
        };
        EnvGroupState {
            name: Value::Value("hera-prod-infra-manager".into()),
            environment: Value::Value("prod".into()),
            role: Value::Value("infra-manager".into()),
            require_mfa: Value::Value(mfa),
            allowed_ip_ranges: list(ranges),
            policy_json: Value::Value(policy.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_group_names_its_policy_and_conditions() {
        let planned = group(true, &[], "{}");
        assert_eq!(
            summary(Change::Create { planned: &planned }).as_deref(),
            Some("creates group hera-prod-infra-manager with the infra-manager policy of prod (MFA required; any source IP)")
        );
        let mut planned = group(false, &["203.0.113.0/24"], "{}");
        planned.name = Value::Unknown;
        planned.allowed_vpc_endpoint_ids = str_list(["vpce-1".to_string()]);
        assert_eq!(
            summary(Change::Create { planned: &planned }).as_deref(),
            Some("creates group (known after apply) with the infra-manager policy of prod (no MFA required; source IP in 203.0.113.0/24; VPC endpoints vpce-1)")
        );
    }

    #[test]
    fn a_policy_change_says_what_changes() {
        let update = |prior: &EnvGroupState, planned: &EnvGroupState| {
            summary(Change::Update { prior, planned })
        };
        let prior = group(true, &[], "{\"a\":1}");
        assert_eq!(update(&prior, &prior.clone()), None);
        assert_eq!(
            update(&prior, &group(false, &["203.0.113.0/24"], "{\"a\":2}")).as_deref(),
            Some("changes the policy of hera-prod-infra-manager (MFA no longer required; source IP in 203.0.113.0/24 now)")
        );
        assert_eq!(
            update(&group(true, &["10.0.0.0/8"], "{\"a\":2}"), &prior).as_deref(),
            Some("changes the policy of hera-prod-infra-manager (any source IP now)")
        );
        // Same inputs, another policy: AWS's copy drifted.
        assert_eq!(
            update(&group(true, &[], "{\"edited\":1}"), &prior).as_deref(),
            Some("changes the policy of hera-prod-infra-manager (puts back the policy as the provider writes it: edited outside Terraform, or changed by a provider upgrade)")
        );
    }

    #[test]
    fn a_destroy_deletes_the_group() {
        let prior = group(true, &[], "{}");
        assert_eq!(
            summary(Change::Destroy { prior: &prior }).as_deref(),
            Some("deletes group hera-prod-infra-manager (its members lose the infra-manager policy of prod)")
        );
    }
}
