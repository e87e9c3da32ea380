//! The audit events of `jit_grant`, the "access expired" notice, the
//! break-glass notice, and the events of what a refresh observed (written
//! by the next apply, never by a plan).

use std::collections::HashMap;

use tf_provider::value::Value;
use time::OffsetDateTime;

use super::approval::{actor_id, Attestation};
use super::{Applied, GrantState};
use crate::audit::{attribute, result, AuditEvent, AuditSink};
use crate::error::Error;
use crate::framework::{Failure, Op};
use crate::policy::grant::Status;
use crate::policy::lease::{fnv1a64, rfc3339};
use crate::values::{known_str, known_str_list, text};

/// `audited_status` of a grant imported and not yet audited.
pub const IMPORTED: &str = "IMPORTED";

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
        ("change_ref", &state.change_ref),
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

/// Records who asked (by id) and whose approval was verified.
pub fn attest(event: &mut AuditEvent, attestation: &Attestation) {
    event.actor_id = attestation.actor_id.clone();
    event.verified_approvers = attestation.verified.clone();
}

/// The `audited_status` an apply of `prior` leaves: the status the refresh
/// found, which that apply audits.
pub fn audited_status_after_apply(prior: &GrantState) -> Value<String> {
    match &prior.status {
        Value::Value(status) => Value::Value(status.clone()),
        _ => prior.audited_status.clone(),
    }
}

/// The audit action for a grant whose audited status was `audited` and
/// whose status is now `status`; `None` when there is nothing to record.
pub fn observed_action(audited: Option<&str>, status: Option<&str>) -> Option<&'static str> {
    if audited == status {
        return None;
    }
    if audited == Some(IMPORTED) {
        return Some("grant.import");
    }
    match status.and_then(Status::parse)? {
        Status::Expired => Some("grant.expired"),
        Status::Revoked => Some("grant.revoked_outside"),
        Status::Overdue => Some("grant.overdue"),
        Status::Active => Some("grant.active"),
    }
}

/// Writes the event of what the refresh before this apply observed (the
/// change of `audited_status` planned). A failure fails the update, so the
/// old `audited_status` stays and the next apply tries again.
pub async fn write_observed(
    op: &mut Op<'_>,
    prior: &GrantState,
    planned: &GrantState,
) -> Result<(), Failure<Applied>> {
    if prior.audited_status == planned.audited_status {
        return Ok(());
    }
    let Some(action) = observed_action(
        prior.audited_status.as_ref_option().map(String::as_str),
        planned.audited_status.as_ref_option().map(String::as_str),
    ) else {
        return Ok(());
    };
    let ctx = op.ctx()?;
    let mut event = audit_event(action, planned, result::SUCCESS);
    // One observation is one event, however many applies try to write it.
    event.event_id = format!(
        "{:016x}",
        fnv1a64(format!("{}:{action}", text(&planned.schedule_name)).as_bytes())
    );
    event.actor_id = actor_id(ctx, text(&planned.requested_by)).await;
    if let Some(audited) = known_str(&prior.audited_status) {
        event
            .details
            .insert("audited_status".to_string(), audited.to_string());
    }
    ctx.audit.write(event).await.map_err(|error| {
        Failure::from(Error::incomplete(
            format!(
                "Audit event `{action}` of grant `{}` not written",
                text(&planned.id)
            ),
            format!("{error}. The grant is unchanged; the next apply writes the event again."),
        ))
    })
}

/// Audits a revoke that failed (the grant stays in state).
pub async fn write_failed_revoke(op: &mut Op<'_>, prior: &GrantState, error: &Error) {
    let mut event = audit_event("grant.revoke", prior, result::FAILURE);
    event.error = error.to_string();
    if let Ok(ctx) = op.ctx() {
        event.actor_id = actor_id(ctx, text(&prior.requested_by)).await;
    }
    op.audit_or_warn(event, "failed revoke").await;
}

/// SNS subjects: ASCII, no line breaks, at most 100 characters.
fn subject(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                ' '
            }
        })
        .take(100)
        .collect()
}

/// The immediate notice of a break-glass grant: subject, message (an audit
/// event v1, action `grant.break_glass`) and the message attribute.
pub fn break_glass_notice(state: &GrantState, attestation: &Attestation) -> (String, String) {
    let mut event = audit_event("grant.break_glass", state, "notice");
    attest(&mut event, attestation);
    let subject = subject(&format!(
        "BREAK-GLASS {} got {} in {} ({})",
        text(&state.principal),
        text(&state.permission_set),
        text(&state.account_id),
        text(&state.ticket)
    ));
    (subject, serde_json::to_string(&event).unwrap_or_default())
}

/// Publishes the break-glass notice to the notification topic; a failure
/// is a warning (the grant and its audit events stand).
pub async fn notify_break_glass(op: &mut Op<'_>, state: &GrantState, attestation: &Attestation) {
    let Ok(ctx) = op.ctx() else {
        return;
    };
    let Some(topic) = &ctx.config.notification_topic_arn else {
        return;
    };
    let (subject, message) = break_glass_notice(state, attestation);
    if let Err(error) = ctx
        .aws
        .sns()
        .publish(
            topic,
            &subject,
            &message,
            &[(attribute::ACTION, "grant.break_glass")],
        )
        .await
    {
        error.report_warning(
            format!(
                "Break-glass notice for grant `{}` not published",
                text(&state.id)
            ),
            op.diags,
        );
    }
}
