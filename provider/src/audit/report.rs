//! The change log rendered from audit logs: one row per change with Date,
//! Change, Reason, Ticket, Requested by, Verified approvers, Applied by and
//! Change ref / commit, as Markdown, CSV or JSON.
//!
//! - An `intent` event is folded into the outcome that follows it (same
//!   action, resource type and target in the same log); an intent with no
//!   outcome is shown as `INTERRUPTED`.
//! - Refusals are shown as refusals: result `refused`, or a failed
//!   `grant.create` with no intent before it (a grant writes its intent
//!   before any AWS call, so such a failure never reached AWS).
//! - Approvers count only as verified at apply (`verifiedApprovers`, with
//!   their Identity Center ids); approvers as written in the change are not
//!   evidence and are not shown.
//! - Break records of torn lines are shown, since an event is lost there.
//!
//! Pure: no I/O.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::chain::{Log, BREAK_ACTION, TORN_LINE};
use super::v1::Approver;
use super::{result, AuditEvent};

/// Actions that write an `intent` event before any AWS call.
const INTENT_FIRST: &[&str] = &["grant.create", "identity_center_group_membership.create"];

/// Column titles, in order.
pub const COLUMNS: [&str; 8] = [
    "Date",
    "Change",
    "Reason",
    "Ticket",
    "Requested by",
    "Verified approvers",
    "Applied by",
    "Change ref / commit",
];

/// An event with where it was read.
#[derive(Debug, Clone)]
pub struct Sourced {
    /// The event.
    pub event: AuditEvent,
    /// The log it is in.
    pub log: String,
    /// Its line (sequence number in S3).
    pub line: u64,
}

/// The events of a log, in order; lines that are not events are skipped
/// (`audit verify` names them).
pub fn events(log: &Log) -> Vec<Sourced> {
    log.entries
        .iter()
        .filter_map(|entry| {
            let event: AuditEvent = serde_json::from_slice(&entry.bytes).ok()?;
            (event.schema == super::SCHEMA).then(|| Sourced {
                event,
                log: log.name.clone(),
                line: entry.line,
            })
        })
        .collect()
}

/// One row of the change log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// When the change took effect (the outcome's time; the intent's when
    /// there is no outcome), RFC 3339.
    pub date: String,
    /// What changed, with the outcome when it is not a success.
    pub change: String,
    /// Why, as written in the change.
    pub reason: String,
    /// Change or incident ticket.
    pub ticket: String,
    /// Who asked (with their Identity Center id when known).
    pub requested_by: String,
    /// Approvers verified at apply.
    pub verified_approvers: Vec<Approver>,
    /// Who applied it.
    pub applied_by: String,
    /// The CI run that applied it.
    pub ci_run: String,
    /// The change (pull request) it was applied for.
    pub change_ref: String,
    /// The commit applied.
    pub commit_sha: String,
    /// `success`, `failure`, `refused`, `interrupted`, `lost` (a torn
    /// line), or the event's own result word.
    pub outcome: String,
    /// The event's action.
    pub action: String,
    /// The event's target.
    pub target: String,
    /// The error of a failure or refusal.
    pub error: String,
    /// A break-glass grant.
    pub break_glass: bool,
    /// The log the row comes from.
    pub log: String,
    /// The outcome's line (the intent's when there is no outcome).
    pub line: u64,
    /// The folded intent's line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent_line: Option<u64>,
}

/// Folds one log's events into rows, in log order.
pub fn rows(events: &[Sourced]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut pending: Vec<&Sourced> = Vec::new();
    let same = |a: &AuditEvent, b: &AuditEvent| {
        a.action == b.action && a.resource_type == b.resource_type && a.target == b.target
    };
    for sourced in events {
        let event = &sourced.event;
        if event.result == result::INTENT {
            pending.push(sourced);
            continue;
        }
        let intent = pending
            .iter()
            .rposition(|p| same(&p.event, event))
            .map(|at| pending.remove(at));
        let outcome = if event.action == BREAK_ACTION {
            "lost".to_string()
        } else if event.result == result::REFUSED
            || (event.result == result::FAILURE
                && intent.is_none()
                && INTENT_FIRST.contains(&event.action.as_str()))
        {
            result::REFUSED.to_string()
        } else {
            event.result.clone()
        };
        rows.push(row(sourced, &outcome, intent.map(|i| i.line)));
    }
    for intent in pending {
        rows.push(row(intent, "interrupted", None));
    }
    rows.sort_by_key(|row| row.line);
    rows
}

/// Rows of several logs, merged by date (stable: a log's order is kept
/// among equal times).
pub fn merge(mut per_log: Vec<Vec<Row>>) -> Vec<Row> {
    let mut all: Vec<Row> = per_log.drain(..).flatten().collect();
    all.sort_by_key(|row| parse_time(&row.date));
    all
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Keeps rows dated at or after `since` and before `before`; with either
/// bound set, rows without a readable date are dropped.
pub fn in_range(
    rows: Vec<Row>,
    since: Option<OffsetDateTime>,
    before: Option<OffsetDateTime>,
) -> Vec<Row> {
    if since.is_none() && before.is_none() {
        return rows;
    }
    rows.into_iter()
        .filter(|row| {
            parse_time(&row.date).is_some_and(|t| {
                since.is_none_or(|since| t >= since) && before.is_none_or(|before| t < before)
            })
        })
        .collect()
}

fn row(sourced: &Sourced, outcome: &str, intent_line: Option<u64>) -> Row {
    let event = &sourced.event;
    Row {
        date: event.time.clone(),
        change: change(event, outcome),
        reason: event.reason.clone(),
        ticket: event.ticket.clone(),
        requested_by: with_id(&event.actor, &event.actor_id),
        verified_approvers: event.verified_approvers.clone(),
        applied_by: event.applied_by.clone(),
        ci_run: event.ci_run.clone(),
        change_ref: event.change_ref.clone(),
        commit_sha: event.commit_sha.clone(),
        outcome: outcome.to_string(),
        action: event.action.clone(),
        target: event.target.clone(),
        error: event.error.clone(),
        break_glass: event.break_glass,
        log: sourced.log.clone(),
        line: sourced.line,
        intent_line,
    }
}

fn with_id(name: &str, id: &str) -> String {
    match (name.is_empty(), id.is_empty()) {
        (_, true) => name.to_string(),
        (true, false) => id.to_string(),
        (false, false) => format!("{name} ({id})"),
    }
}

/// The Change cell: action and target, a grant's duration and expiry, the
/// break-glass flag, and the outcome when it is not a success.
fn change(event: &AuditEvent, outcome: &str) -> String {
    if event.action == BREAK_ACTION {
        let line = event.details.get(TORN_LINE).map_or("?", String::as_str);
        return format!(
            "LOST: line {line} of the audit log was cut short by an interrupted write; its event is unreadable"
        );
    }
    let mut text = format!("{}: {}", event.action, event.target);
    if event.resource_type == "jit_grant" && event.action != "grant.revoke" {
        let detail = |name: &str| event.details.get(name).filter(|v| !v.is_empty());
        match (detail("duration"), detail("expires_at")) {
            (Some(duration), Some(expires)) => {
                text.push_str(&format!(", {duration} until {expires}"))
            }
            (Some(duration), None) => text.push_str(&format!(", {duration}")),
            (None, Some(expires)) => text.push_str(&format!(", until {expires}")),
            (None, None) => {}
        }
    }
    if event.break_glass {
        text.push_str(" (break-glass)");
    }
    let error = if event.error.is_empty() {
        String::new()
    } else {
        format!(" — {}", event.error)
    };
    match outcome {
        "success" => text,
        "failure" => format!("FAILED {text}{error}"),
        "refused" => format!("REFUSED {text}{error}"),
        "interrupted" => format!(
            "INTERRUPTED {text} — intent recorded, no outcome: check the resource's state and CloudTrail"
        ),
        other => format!("{} {text}{error}", other.to_uppercase()),
    }
}

/// The cells of a row, in [`COLUMNS`] order.
fn cells(row: &Row) -> [String; 8] {
    let approvers = row
        .verified_approvers
        .iter()
        .map(|a| with_id(&a.name, &a.user_id))
        .collect::<Vec<_>>()
        .join(", ");
    let applied = if row.ci_run.is_empty() {
        row.applied_by.clone()
    } else {
        format!("{} via {}", row.applied_by, row.ci_run)
    };
    let reference = [row.change_ref.as_str(), row.commit_sha.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    [
        display_date(&row.date),
        row.change.clone(),
        row.reason.clone(),
        row.ticket.clone(),
        row.requested_by.clone(),
        approvers,
        applied,
        reference,
    ]
}

/// A date to the second in UTC (`2026-03-02T09:15:01Z`); as written when
/// it is not RFC 3339. JSON keeps the event's own precision.
fn display_date(text: &str) -> String {
    let Some(time) = parse_time(text) else {
        return text.to_string();
    };
    let time = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// A Markdown table (GitHub-flavoured), one row per change.
pub fn markdown(rows: &[Row]) -> String {
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let mut out = line(&COLUMNS.map(str::to_string));
    out.push_str(&line(&COLUMNS.map(|_| "---".to_string())));
    for row in rows {
        out.push_str(&line(&cells(row).map(|cell| markdown_cell(&cell))));
    }
    out
}

/// A cell on one line with `|` escaped; HTML-significant `<` escaped so a
/// value cannot inject markup into a rendered page.
fn markdown_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// CSV (RFC 4180, CRLF line ends) with a header row.
pub fn csv(rows: &[Row]) -> String {
    let line = |cells: &[String]| {
        let mut out = cells
            .iter()
            .map(|cell| csv_cell(cell))
            .collect::<Vec<_>>()
            .join(",");
        out.push_str("\r\n");
        out
    };
    let mut out = line(&COLUMNS.map(str::to_string));
    for row in rows {
        out.push_str(&line(&cells(row)));
    }
    out
}

/// Quotes a cell when needed; a cell a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@` first) gets a leading `'`, since reasons and tickets
/// come from pull requests.
fn csv_cell(text: &str) -> String {
    let mut text = text.to_string();
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        text.insert(0, '\'');
    }
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A JSON array of rows, with where each comes from.
pub fn json(rows: &[Row]) -> String {
    let mut out = serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;
