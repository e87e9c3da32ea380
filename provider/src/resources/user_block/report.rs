//! What a block or restore tells the operator and the audit log: the
//! event details, notes, and the text of a failure part-way.

use tf_provider::AttributePath;

use super::plan::Target;
use super::record::{Progress, Restored};
use super::{UserBlockState, AUDIT_RESOURCE};
use crate::audit::{self, AuditEvent, AuditSink};
use crate::error::Error;
use crate::framework::Op;
use crate::values::text;

/// The detail of a block that failed part-way: what was done, what was
/// not, and that the next apply finishes it in place.
pub(crate) fn incomplete_detail(progress: &Progress, marker: &str) -> String {
    let placed = if progress.marker_placed {
        format!("marker `{marker}` is in place")
    } else {
        format!("marker `{marker}` is not in place yet")
    };
    format!(
        "Done: {}. Not done: {}. The user is blocked as far as listed ({placed}); the block is saved with status `INCOMPLETE`, and the next plan finishes it in place (run apply again), without ever unblocking the user.",
        done_text(&progress.done),
        done_text(&progress.not_done),
    )
}

/// All errors in one line, `None` when there are none.
pub(crate) fn failure_text(errors: &[Error]) -> Option<String> {
    (!errors.is_empty()).then(|| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The steps done, or `nothing`.
pub(crate) fn done_text(done: &[String]) -> String {
    if done.is_empty() {
        "nothing".to_string()
    } else {
        done.join("; ")
    }
}

/// The text with its first letter in upper case.
pub(crate) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Audit details of a block: marker, steps and the record of its kind.
pub(crate) fn block_details(
    target: &Target,
    marker: &str,
    progress: &Progress,
) -> Vec<(&'static str, String)> {
    let record = &progress.record;
    let mut details = vec![
        ("marker", marker.to_string()),
        ("steps_done", progress.done.join("; ")),
    ];
    match target {
        Target::Iam(_) => {
            details.push(("access_keys_deactivated", record.keys_deactivated.join(",")));
            details.push(("groups_removed", record.groups_removed.join(",")));
        }
        Target::IdentityCenter(_) => {
            details.push(("user_id", record.user_id.clone()));
            details.push(("assignments_removed", record.assignments_removed.join(",")));
            details.push(("groups_removed", record.groups_removed.join(",")));
        }
        Target::Cognito(c) => {
            details.push(("block_attribute", c.attribute.clone()));
            details.push((
                "user_was_enabled",
                record.user_was_enabled.unwrap_or(false).to_string(),
            ));
            if let Some(previous) = &record.previous_flag_value {
                details.push(("previous_flag_value", previous.clone()));
            }
        }
    }
    if !progress.adopted.is_empty() {
        details.push(("took_over", progress.adopted.join(",")));
    }
    if !progress.not_done.is_empty() {
        details.push(("steps_not_done", progress.not_done.join("; ")));
    }
    if !progress.others.is_empty() {
        details.push(("other_blocks", progress.others.join(",")));
    }
    details
}

/// Writes the audit event (file, SNS). A failure is a warning: a block or a
/// restore never waits on the audit log.
pub(crate) async fn audit_event(
    op: &mut Op<'_>,
    action: &str,
    id: &str,
    state: &UserBlockState,
    failure: Option<&str>,
    details: Vec<(&'static str, String)>,
) {
    let event = AuditEvent {
        actor: text(&state.blocked_by).to_string(),
        reason: text(&state.reason).to_string(),
        ticket: text(&state.ticket).to_string(),
        result: if failure.is_some() {
            audit::result::FAILURE
        } else {
            audit::result::SUCCESS
        }
        .to_string(),
        error: failure.unwrap_or_default().to_string(),
        details: details
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
        ..AuditSink::event(action, AUDIT_RESOURCE, id)
    };
    let written = match op.ctx() {
        Ok(ctx) => ctx.audit.write(event).await,
        Err(error) => Err(error),
    };
    if let Err(error) = written {
        op.warn(
            format!("Audit event not written: `{id}`"),
            format!("{error}. The {action} itself completed; fix `audit_log_path` or `notification_topic_arn` so that later events are kept."),
            AttributePath::default(),
        );
    }
}

/// Reports the steps' notes as warnings naming the block.
pub(crate) fn report_notes(op: &mut Op<'_>, notes: &[(String, String)], id: &str) {
    for (summary, detail) in notes {
        op.warn(
            format!("{summary}: `{id}`"),
            capitalize(detail),
            AttributePath::default(),
        );
    }
}

/// Notes that other blocks of the user exist (they keep it blocked when
/// this one is restored).
pub(crate) fn report_others(others: &[String], id: &str) {
    if others.is_empty() {
        return;
    }
    tracing::info!(block = %id, others = %others.join(","), "the user has other blocks");
}

/// Audit details of a restore: marker, steps and notes.
pub(crate) fn restore_details(marker: &str, restored: &Restored) -> Vec<(&'static str, String)> {
    let mut details = vec![
        ("marker", marker.to_string()),
        ("steps_done", restored.done.join("; ")),
    ];
    if !restored.not_done.is_empty() {
        details.push(("steps_not_done", restored.not_done.join("; ")));
    }
    if !restored.others.is_empty() {
        details.push(("other_blocks", restored.others.join(",")));
    }
    if !restored.warnings.is_empty() {
        details.push((
            "notes",
            restored
                .warnings
                .iter()
                .map(|(_, detail)| detail.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    details
}
