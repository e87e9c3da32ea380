use super::*;
use crate::audit::AuditSink;

/// The JSON line of event `n` chained to `prev`.
fn line(n: usize, prev: Option<&str>) -> String {
    let mut event = AuditSink::event("grant.create", "jit_grant", format!("target {n}"));
    event.result = "success".into();
    event.prev_hash = prev.unwrap_or_default().to_string();
    serde_json::to_string(&event).unwrap()
}

/// `n` lines, each chained to the one before.
fn chained(n: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for i in 0..n {
        let prev = lines.last().map(|l| line_hash(l.as_bytes()));
        lines.push(line(i, prev.as_deref()));
    }
    lines
}

fn log(lines: &[String]) -> Log {
    Log {
        name: "test.jsonl".into(),
        entries: lines
            .iter()
            .enumerate()
            .map(|(i, l)| Entry {
                line: i as u64 + 1,
                bytes: l.as_bytes().to_vec(),
                complete: true,
                location: None,
            })
            .collect(),
        strays: Vec::new(),
    }
}

fn broken(lines: &[String]) -> Problem {
    verify_chain(&log(lines)).expect_err("tampering goes unnoticed")
}

#[test]
fn hash_is_lowercase_sha256_hex() {
    assert_eq!(
        line_hash(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert!(is_hash(&line_hash(b"")));
    assert!(!is_hash("ABC"));
    assert!(!is_hash(&"A".repeat(64)));
}

#[test]
fn an_intact_chain_verifies_and_names_its_head() {
    let lines = chained(5);
    let chain = verify_chain(&log(&lines)).unwrap();
    assert_eq!(chain.entries, 5);
    assert_eq!(chain.head(), Some(line_hash(lines[4].as_bytes()).as_str()));
    assert!(chain.breaks.is_empty());
    assert_eq!(verify_chain(&log(&[])).unwrap().entries, 0);
}

#[test]
fn an_edited_field_breaks_the_chain_at_the_next_line() {
    let mut lines = chained(6);
    lines[2] = lines[2].replace("target 2", "target X");
    let problem = broken(&lines);
    assert_eq!(problem.line, 4, "{problem:?}");
    assert!(
        problem.message.contains("line 3 was edited"),
        "{}",
        problem.message
    );
}

#[test]
fn a_deleted_line_is_found_where_it_was() {
    let mut lines = chained(6);
    lines.remove(3);
    let problem = broken(&lines);
    assert_eq!(problem.line, 4, "{problem:?}");
    assert!(
        problem.message.contains("lines between them were removed"),
        "{}",
        problem.message
    );
}

#[test]
fn reordered_lines_are_named() {
    let mut lines = chained(6);
    lines.swap(2, 3);
    let problem = broken(&lines);
    assert_eq!(problem.line, 3, "{problem:?}");
    assert!(
        problem
            .message
            .contains("line 3 is out of order: it was written right after line 4"),
        "{}",
        problem.message
    );
}

#[test]
fn a_line_from_another_log_is_found() {
    let mut lines = chained(6);
    let other = chained(4);
    lines.insert(3, other[2].clone());
    let problem = broken(&lines);
    assert_eq!(problem.line, 4, "{problem:?}");
    assert!(
        problem
            .message
            .contains("line 4 does not belong to this log"),
        "{}",
        problem.message
    );
    // Another log's first line (no prevHash) put in front: two chain
    // starts, found at the second one.
    let mut lines = chained(3);
    lines.insert(0, other[0].clone());
    let problem = broken(&lines);
    assert_eq!(problem.line, 2, "{problem:?}");
    assert!(
        problem.message.contains("starts a new chain"),
        "{problem:?}"
    );
    // Another log's later line put in front.
    let mut lines = chained(3);
    lines.insert(0, other[2].clone());
    let problem = broken(&lines);
    assert_eq!(problem.line, 1, "{problem:?}");
    assert!(problem.message.contains("does not belong"), "{problem:?}");
}

#[test]
fn a_log_missing_its_first_lines_is_found() {
    let lines = chained(5);
    let problem = broken(&lines[2..]);
    assert_eq!(problem.line, 1);
    assert!(
        problem.message.contains("lines before it are missing"),
        "{problem:?}"
    );
}

#[test]
fn two_logs_joined_are_found() {
    let mut lines = chained(3);
    lines.extend(chained(2));
    let problem = broken(&lines);
    assert_eq!(problem.line, 4);
    assert!(
        problem.message.contains("starts a new chain"),
        "{problem:?}"
    );
}

#[test]
fn a_partial_last_line_is_found() {
    let lines = chained(4);
    let mut log = log(&lines);
    let last = log.entries.last_mut().unwrap();
    last.bytes.truncate(last.bytes.len() / 2);
    last.complete = false;
    let problem = verify_chain(&log).unwrap_err();
    assert_eq!(problem.line, 4);
    assert!(problem.message.contains("cut short"), "{problem:?}");
}

#[test]
fn a_line_that_is_not_an_event_is_found() {
    let mut lines = chained(3);
    lines[1] = "{\"hello\":1}".into();
    let problem = broken(&lines);
    assert_eq!(problem.line, 2);
    assert!(
        problem.message.contains("not an audit event"),
        "{problem:?}"
    );
}

#[test]
fn a_missing_sequence_number_is_found() {
    let lines = chained(4);
    let mut log = log(&lines);
    log.entries.remove(2);
    let problem = verify_chain(&log).unwrap_err();
    assert_eq!(problem.line, 3);
    assert!(problem.message.contains("line 3 is missing"), "{problem:?}");
}

#[test]
fn a_stray_object_is_found() {
    let mut log = log(&chained(2));
    log.strays.push("jit-audit/readme.txt".into());
    let problem = verify_chain(&log).unwrap_err();
    assert!(problem.message.contains("readme.txt"), "{problem:?}");
}

/// Lines 1-2, a torn line 3, the break event a writer appends (line 4),
/// and one more event (line 5). `pin` says whether the break records the
/// hash of line 2, as writers do.
fn with_recorded_break(pin: bool) -> Vec<String> {
    let mut lines = chained(2);
    let last_complete = line_hash(lines[1].as_bytes());
    let full = line(7, Some(&last_complete));
    let torn = full[..full.len() / 2].to_string();
    lines.push(torn.clone());
    let mut event = AuditSink::event(BREAK_ACTION, "", "test.jsonl");
    event.prev_hash = line_hash(torn.as_bytes());
    event.details.insert(TORN_LINE.into(), "3".into());
    event
        .details
        .insert(TORN_BYTES.into(), torn.len().to_string());
    if pin {
        event
            .details
            .insert(LAST_COMPLETE_HASH.into(), last_complete);
    }
    lines.push(serde_json::to_string(&event).unwrap());
    let prev = line_hash(lines[3].as_bytes());
    lines.push(line(9, Some(&prev)));
    lines
}

#[test]
fn a_recorded_break_verifies_and_is_reported() {
    let lines = with_recorded_break(true);
    let chain = verify_chain(&log(&lines)).unwrap();
    assert_eq!(
        chain.breaks,
        [RecordedBreak {
            torn_line: 3,
            recorded_at: 4
        }]
    );
    assert_eq!(chain.entries, 5);
}

#[test]
fn lines_removed_before_a_torn_line_are_found() {
    // The break pins the last complete line before the torn one, so the
    // torn line cannot hide a removal in front of it.
    let mut lines = with_recorded_break(true);
    lines.remove(1);
    let problem = broken(&lines);
    assert_eq!(problem.line, 2, "{problem:?}");
}

#[test]
fn a_break_record_that_lies_is_found() {
    // It claims no line came before the torn one.
    let lines = with_recorded_break(false);
    let problem = broken(&lines);
    assert_eq!(problem.line, 3, "{problem:?}");
    assert!(
        problem.message.contains("not an audit event"),
        "{problem:?}"
    );
}

#[test]
fn a_published_head_finds_cut_lines() {
    let lines = chained(6);
    let head = line_hash(lines[5].as_bytes());
    let chain = verify_chain(&log(&lines)).unwrap();
    assert_eq!(
        check_head(&chain, &head).unwrap(),
        HeadFound { line: 6, after: 0 }
    );
    // An older head is still in the log: later runs appended after it.
    let older = line_hash(lines[3].as_bytes());
    assert_eq!(
        check_head(&chain, &older).unwrap(),
        HeadFound { line: 4, after: 2 }
    );
    // The last two lines cut: intact chain, but the head is gone.
    let chain = verify_chain(&log(&lines[..4])).unwrap();
    let problem = check_head(&chain, &head).unwrap_err();
    assert_eq!(problem.line, 5);
    assert!(problem.message.contains("ends at line 4"), "{problem:?}");
}
