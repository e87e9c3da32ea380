//! The audit events of `jit_grant` and the "access expired" notice.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::GrantState;
use crate::audit::{AuditEvent, AuditSink};
use crate::policy::lease::rfc3339;
use crate::values::{known_str, known_str_list, text};

/// Resource type name in audit events.
const RESOURCE_TYPE: &str = "jit_grant";

/// The grant's target as the audit log names it.
fn target(state: &GrantState) -> String {
    format!(
        "{} {} in {} with {}",
        text(&state.principal_type),
        text(&state.principal),
        text(&state.account_id),
        text(&state.permission_set)
    )
}

/// An audit event about a grant.
pub fn audit_event(action: &str, state: &GrantState, outcome: &str) -> AuditEvent {
    let mut event = AuditSink::event(action, RESOURCE_TYPE, target(state));
    event.actor = text(&state.requested_by).to_string();
    event.approvers = known_str_list(&state.approved_by).unwrap_or_default();
    event.reason = text(&state.reason).to_string();
    event.ticket = text(&state.ticket).to_string();
    event.break_glass = state.break_glass.as_ref_option().copied().unwrap_or(false);
    event.result = outcome.to_string();
    let details: HashMap<String, String> = [
        ("account_id", &state.account_id),
        ("duration", &state.duration),
        ("expires_at", &state.expires_at),
        ("granted_at", &state.granted_at),
        ("permission_set_arn", &state.permission_set_arn),
        ("principal_id", &state.principal_id),
        ("risk", &state.risk),
        ("schedule_name", &state.schedule_name),
        ("status", &state.status),
    ]
    .into_iter()
    .filter_map(|(name, value)| known_str(value).map(|v| (name.to_string(), v.to_string())))
    .collect();
    event.details = details;
    event
}

/// The "access expired" message the notice schedule publishes at expiry:
/// an audit event v1, so topic subscribers read one format.
pub fn notice_message(state: &GrantState, expires_at: OffsetDateTime) -> String {
    let mut event = audit_event("grant.expired", state, "scheduled");
    event.time = rfc3339(expires_at);
    event.applied_by = "eventbridge-scheduler".to_string();
    serde_json::to_string(&event).unwrap_or_default()
}
