//! The reviewer summary of a grant (see [`crate::framework::summary`]):
//! "alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h
//! (high risk; approval by bob@example.com verified at apply; ticket
//! INC-42)" for a create, "revokes alice@example.com's JIT-ReadOnly on
//! 123456789012" for a destroy. Pure text from the planned state.

use tf_provider::value::Value;

use super::GrantState;
use crate::config::{PolicySource, ProviderConfig};
use crate::framework::summary::{required, written, written_list, UNKNOWN};
use crate::framework::Change;
use crate::policy::grant::{ApprovalRule, Status};
use crate::values::known_str;

/// The summary of a planned change of a grant: creates (replacements
/// included) and destroys only (an update in place changes a reason, a
/// ticket or a timeout, no access).
pub fn summary(change: Change<'_, GrantState>, config: Option<&ProviderConfig>) -> Option<String> {
    match change {
        Change::Create { planned } => Some(created(planned, verified_at_apply(config))),
        Change::Replace { planned, .. } => {
            // The replacement's plan leaves `risk` to the create; the grant
            // policy gives it for a permission set written by name.
            let mut planned = planned.clone();
            if let (Value::Unknown, Some(config), Some(name)) =
                (&planned.risk, config, known_str(&planned.permission_set))
            {
                if !name.starts_with("arn:") {
                    let risk = ApprovalRule::of(&config.grant_policy, name).risk;
                    planned.risk = Value::Value(risk.as_str().to_string());
                }
            }
            Some(created(&planned, verified_at_apply(config)))
        }
        Change::Update { .. } => None,
        Change::Destroy { prior } => Some(revoked(prior)),
    }
}

/// Whether the apply will verify approvers: verification on, or the grant
/// policy from the protected file CI names (the apply job of that set-up
/// turns verification on; the pull request's plan runs without it).
fn verified_at_apply(config: Option<&ProviderConfig>) -> bool {
    config.is_some_and(|config| {
        config.require_verified_approvals
            || matches!(config.grant_policy_source, PolicySource::File(_))
    })
}

/// The principal as written, `group <name>` for a group.
fn principal(state: &GrantState) -> String {
    let name = required(&state.principal);
    match &state.principal_type {
        Value::Value(kind) if kind == "GROUP" => format!("group {name}"),
        _ => name,
    }
}

/// "<principal> gains <permission set> on <account> for <duration> (<details>)".
pub fn created(state: &GrantState, verified_at_apply: bool) -> String {
    let mut details = Vec::new();
    let risk = written(&state.risk);
    details.push(match risk.as_deref() {
        Some(UNKNOWN) | None => format!("risk {UNKNOWN}"),
        Some(risk) => format!("{risk} risk"),
    });
    if state.break_glass == Value::Value(true) {
        details.push("BREAK-GLASS, no approval".to_string());
    } else if risk.as_deref() == Some("low") {
        details.push("no approval needed".to_string());
    } else {
        match written_list(&state.approved_by) {
            Some(names) if verified_at_apply => {
                details.push(format!("approval by {names} verified at apply"));
            }
            Some(names) => details.push(format!("approval by {names}, not verified")),
            None if risk.as_deref() == Some("high") => details.push("no approver".to_string()),
            None => {}
        }
    }
    if let Some(ticket) = written(&state.ticket) {
        details.push(format!("ticket {ticket}"));
    }
    format!(
        "{} gains {} on {} for {} ({})",
        principal(state),
        required(&state.permission_set),
        required(&state.account_id),
        required(&state.duration),
        details.join("; ")
    )
}

/// "revokes <principal>'s <permission set> on <account>", noting a grant
/// that already ended.
pub fn revoked(state: &GrantState) -> String {
    let line = format!(
        "revokes {}'s {} on {}",
        principal(state),
        required(&state.permission_set),
        required(&state.account_id)
    );
    let status = state.status.as_ref_option().and_then(|s| Status::parse(s));
    match status {
        Some(ended @ (Status::Expired | Status::Revoked)) => {
            format!("{line} (already ended: {})", ended.as_str())
        }
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::str_list;

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn grant(set: &str, risk: Value<String>) -> GrantState {
        GrantState {
            principal: s("alice@example.com"),
            principal_type: s("USER"),
            permission_set: s(set),
            account_id: s("123456789012"),
            duration: s("1h"),
            risk,
            break_glass: Value::Value(false),
            ..Default::default()
        }
    }

    #[test]
    fn a_high_risk_grant_names_its_approval_and_ticket() {
        let mut state = grant("JIT-EmergencyAdmin", s("high"));
        state.approved_by = str_list(["bob@example.com".to_string()]);
        state.ticket = s("INC-42");
        assert_eq!(
            created(&state, true),
            "alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h (high risk; approval by bob@example.com verified at apply; ticket INC-42)"
        );
        assert_eq!(
            created(&state, false),
            "alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h (high risk; approval by bob@example.com, not verified; ticket INC-42)"
        );
        state.approved_by = Value::Null;
        state.ticket = Value::Null;
        assert_eq!(
            created(&state, true),
            "alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h (high risk; no approver)"
        );
    }

    #[test]
    fn low_risk_and_break_glass_say_why_no_approval() {
        let mut state = grant("JIT-ReadOnly", s("low"));
        // Approvers of a low-risk grant are not checked: not shown as an approval.
        state.approved_by = str_list(["bob@example.com".to_string()]);
        assert_eq!(
            created(&state, true),
            "alice@example.com gains JIT-ReadOnly on 123456789012 for 1h (low risk; no approval needed)"
        );
        let mut state = grant("JIT-EmergencyAdmin", s("high"));
        state.break_glass = Value::Value(true);
        state.ticket = s("INC-9");
        state.principal = s("oncall");
        state.principal_type = s("GROUP");
        assert_eq!(
            created(&state, true),
            "group oncall gains JIT-EmergencyAdmin on 123456789012 for 1h (high risk; BREAK-GLASS, no approval; ticket INC-9)"
        );
    }

    #[test]
    fn values_unknown_at_plan_print_known_after_apply() {
        let mut state = grant("JIT-ReadOnly", Value::Unknown);
        state.permission_set = Value::Unknown;
        state.account_id = Value::Unknown;
        state.approved_by = Value::Value(vec![Value::Unknown]);
        state.ticket = Value::Unknown;
        assert_eq!(
            created(&state, false),
            "alice@example.com gains (known after apply) on (known after apply) for 1h (risk (known after apply); approval by (known after apply), not verified; ticket (known after apply))"
        );
    }

    #[test]
    fn a_destroy_revokes_and_says_when_the_grant_already_ended() {
        let mut state = grant("JIT-ReadOnly", s("low"));
        state.status = s("ACTIVE");
        assert_eq!(
            revoked(&state),
            "revokes alice@example.com's JIT-ReadOnly on 123456789012"
        );
        state.status = s("EXPIRED");
        assert_eq!(
            revoked(&state),
            "revokes alice@example.com's JIT-ReadOnly on 123456789012 (already ended: EXPIRED)"
        );
    }

    #[test]
    fn approvals_count_as_verified_at_apply_with_verification_or_the_policy_file() {
        assert!(!verified_at_apply(None));
        let mut config = ProviderConfig::default();
        assert!(!verified_at_apply(Some(&config)));
        config.grant_policy_source = PolicySource::File("policy.json".into());
        assert!(verified_at_apply(Some(&config)));
        config.grant_policy_source = PolicySource::Inline;
        config.require_verified_approvals = true;
        assert!(verified_at_apply(Some(&config)));
        let state = grant("JIT-ReadOnly", s("low"));
        let change = Change::Update {
            prior: &state,
            planned: &state,
        };
        assert_eq!(summary(change, Some(&config)), None);
    }

    #[test]
    fn a_replacement_takes_the_risk_from_the_grant_policy() {
        let config = ProviderConfig::default(); // default risk: high
        let prior = grant("JIT-Custom", s("high"));
        let mut planned = grant("JIT-Custom", Value::Unknown);
        planned.duration = s("2h");
        let replace = |planned: &GrantState, config| {
            summary(
                Change::Replace {
                    prior: &prior,
                    planned,
                },
                config,
            )
        };
        assert_eq!(
            replace(&planned, Some(&config)).as_deref(),
            Some("alice@example.com gains JIT-Custom on 123456789012 for 2h (high risk; no approver)")
        );
        assert!(replace(&planned, None)
            .unwrap()
            .contains("risk (known after apply)"));
        planned.permission_set = s("arn:aws:sso:::permissionSet/ssoins-1/ps-1");
        assert!(replace(&planned, Some(&config))
            .unwrap()
            .contains("risk (known after apply)"));
    }
}
