use super::*;
use crate::audit::chain::Entry;
use crate::audit::AuditSink;

fn event(action: &str, target: &str, outcome: &str, time: &str) -> AuditEvent {
    let mut event = AuditSink::event(action, "jit_grant", target);
    event.result = outcome.into();
    event.time = time.into();
    event.actor = "alice@example.com".into();
    event.applied_by = "ci".into();
    event
}

fn sourced(events: Vec<AuditEvent>) -> Vec<Sourced> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Sourced {
            event,
            log: "log".into(),
            line: i as u64 + 1,
        })
        .collect()
}

#[test]
fn an_intent_is_folded_into_its_outcome() {
    let rows = rows(&sourced(vec![
        event("grant.create", "A", "intent", "2026-01-01T10:00:00Z"),
        event("grant.create", "B", "intent", "2026-01-01T10:00:01Z"),
        event("grant.create", "B", "success", "2026-01-01T10:00:02Z"),
        event("grant.create", "A", "failure", "2026-01-01T10:00:03Z"),
    ]));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].target, "B");
    assert_eq!(rows[0].outcome, "success");
    assert_eq!(rows[0].intent_line, Some(2));
    assert_eq!(rows[0].date, "2026-01-01T10:00:02Z");
    assert_eq!(rows[1].target, "A");
    assert_eq!(
        rows[1].outcome, "failure",
        "a failure after an intent reached AWS"
    );
    assert!(rows[1].change.starts_with("FAILED grant.create: A"));
}

#[test]
fn refusals_and_interruptions_are_shown_as_such() {
    let mut refused = event("grant.create", "A", "failure", "2026-01-01T10:00:00Z");
    refused.error = "Approval not verified".into();
    let rows = rows(&sourced(vec![
        refused,
        event("grant.revoke", "B", "refused", "2026-01-01T10:00:01Z"),
        event("grant.create", "C", "intent", "2026-01-01T10:00:02Z"),
        event("user_block.block", "D", "failure", "2026-01-01T10:00:03Z"),
    ]));
    let outcomes: Vec<&str> = rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["refused", "refused", "interrupted", "failure"]);
    assert_eq!(
        rows[0].change,
        "REFUSED grant.create: A — Approval not verified"
    );
    assert!(rows[2].change.starts_with("INTERRUPTED grant.create: C"));
}

#[test]
fn only_verified_approvers_are_shown() {
    let mut granted = event("grant.create", "A", "success", "2026-01-01T10:00:00Z");
    granted.approvers = vec!["mallory@example.com".into()];
    let named_only = rows(&sourced(vec![granted.clone()]));
    assert_eq!(cells(&named_only[0])[5], "");
    granted.verified_approvers = vec![Approver {
        name: "bob@example.com".into(),
        user_id: "u-1".into(),
    }];
    granted.change_ref = "#42".into();
    granted.commit_sha = "abc123".into();
    granted.ci_run = "https://ci/run/7".into();
    granted.actor_id = "u-0".into();
    let cells = cells(&rows(&sourced(vec![granted]))[0]);
    assert_eq!(cells[4], "alice@example.com (u-0)");
    assert_eq!(cells[5], "bob@example.com (u-1)");
    assert_eq!(cells[6], "ci via https://ci/run/7");
    assert_eq!(cells[7], "#42 / abc123");
}

#[test]
fn a_grant_shows_duration_expiry_and_break_glass() {
    let mut granted = event("grant.create", "USER a in 1 with P", "success", "t");
    granted.details.insert("duration".into(), "1h".into());
    granted
        .details
        .insert("expires_at".into(), "2026-01-01T11:00:00Z".into());
    granted.break_glass = true;
    assert_eq!(
        rows(&sourced(vec![granted]))[0].change,
        "grant.create: USER a in 1 with P, 1h until 2026-01-01T11:00:00Z (break-glass)"
    );
}

#[test]
fn a_torn_line_record_is_a_lost_row() {
    let mut record = AuditSink::event(BREAK_ACTION, "", "audit.jsonl");
    record.result = "failure".into();
    record.details.insert(TORN_LINE.into(), "7".into());
    let rows = rows(&sourced(vec![record]));
    assert_eq!(rows[0].outcome, "lost");
    assert!(rows[0].change.contains("line 7"), "{}", rows[0].change);
}

#[test]
fn cells_cannot_break_the_table_or_run_as_formulas() {
    let mut granted = event("grant.create", "A", "success", "2026-01-01T10:00:00Z");
    granted.reason = "a | b\nc <script>".into();
    granted.ticket = "=HYPERLINK(\"x\")".into();
    let rows = rows(&sourced(vec![granted]));
    let md = markdown(&rows);
    assert!(md.contains("| a \\| b c &lt;script> |"), "{md}");
    assert_eq!(md.lines().count(), 3);
    let csv = csv(&rows);
    assert!(csv.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{csv}");
    assert!(csv.contains("\"a | b\nc <script>\""), "{csv}");
    let json: serde_json::Value = serde_json::from_str(&json(&rows)).unwrap();
    assert_eq!(json[0]["ticket"], "=HYPERLINK(\"x\")");
    assert_eq!(json[0]["log"], "log");
}

#[test]
fn rows_are_merged_by_date_and_filtered() {
    let a = rows(&sourced(vec![
        event("grant.create", "A1", "success", "2026-01-01T10:00:00Z"),
        event("grant.create", "A2", "success", "2026-01-03T10:00:00Z"),
    ]));
    let b = rows(&sourced(vec![event(
        "grant.create",
        "B1",
        "success",
        "2026-01-02T10:00:00Z",
    )]));
    let merged = merge(vec![a, b]);
    let targets: Vec<&str> = merged.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["A1", "B1", "A2"]);
    let day = |d: &str| OffsetDateTime::parse(d, &Rfc3339).ok();
    let kept = in_range(
        merged,
        day("2026-01-02T00:00:00Z"),
        day("2026-01-03T00:00:00Z"),
    );
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].target, "B1");
}

#[test]
fn lines_that_are_not_events_are_skipped() {
    let good = serde_json::to_string(&event("grant.create", "A", "success", "t")).unwrap();
    let log = Log {
        name: "x".into(),
        entries: ["{\"schema\":\"other\"}", "not json", good.as_str()]
            .iter()
            .enumerate()
            .map(|(i, text)| Entry {
                line: i as u64 + 1,
                bytes: text.as_bytes().to_vec(),
                complete: true,
                location: None,
            })
            .collect(),
        strays: Vec::new(),
    };
    let events = events(&log);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].line, 3);
}

#[test]
fn dates_show_to_the_second_in_utc() {
    assert_eq!(
        display_date("2026-12-04T14:31:31.377618311Z"),
        "2026-12-04T14:31:31Z"
    );
    assert_eq!(
        display_date("2026-12-04T16:31:31+02:00"),
        "2026-12-04T14:31:31Z"
    );
    assert_eq!(display_date("yesterday"), "yesterday");
}
