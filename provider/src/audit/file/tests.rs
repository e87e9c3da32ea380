use super::*;
use crate::audit::chain::{verify_chain, RecordedBreak};
use crate::audit::{random_id, AuditSink};

fn temp_path() -> std::path::PathBuf {
    std::env::temp_dir()
        .join(format!("jit-audit-file-{}", random_id()))
        .join("audit.jsonl")
}

fn event(n: usize) -> AuditEvent {
    let mut event = AuditSink::event("user_block.block", "jit_user_block", format!("user{n}"));
    event.result = "success".into();
    event.applied_by = "tester".into();
    event
}

fn break_event() -> AuditEvent {
    AuditSink::event(chain::BREAK_ACTION, "", "audit.jsonl")
}

fn verify(path: &Path) -> Result<chain::Chain, chain::Problem> {
    verify_chain(&read_log(path, "audit.jsonl").unwrap())
}

#[test]
fn appends_form_one_chain() {
    let path = temp_path();
    let first = append(&path, &event(0), break_event).unwrap();
    assert!(!first.contains("prevHash"), "first event has no prevHash");
    let second = append(&path, &event(1), break_event).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(parsed["prevHash"], line_hash(first.as_bytes()));
    append(&path, &event(2), break_event).unwrap();
    let chain = verify(&path).unwrap();
    assert_eq!(chain.entries, 3);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn a_torn_last_line_is_recorded_not_chained_over() {
    let path = temp_path();
    let kept = append(&path, &event(0), break_event).unwrap();
    let second = append(&path, &event(1), break_event).unwrap();
    // A crash mid-write: half of a third line, no newline.
    let torn = &second[..second.len() / 2];
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(torn.as_bytes())
        .unwrap();
    // verify sees the torn line before anyone writes again.
    let problem = verify(&path).unwrap_err();
    assert_eq!(problem.line, 3);
    assert!(problem.message.contains("cut short"), "{problem:?}");

    let next = append(&path, &event(2), break_event).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[2], torn, "the torn bytes stay as they were");
    let record: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
    assert_eq!(record["action"], chain::BREAK_ACTION);
    assert_eq!(record["prevHash"], line_hash(torn.as_bytes()));
    assert_eq!(record["details"][chain::TORN_LINE], "3");
    assert_eq!(record["details"][chain::TORN_BYTES], torn.len().to_string());
    assert_eq!(
        record["details"][chain::LAST_COMPLETE_HASH],
        line_hash(second.as_bytes())
    );
    assert_eq!(lines[4], next);
    let chain = verify(&path).unwrap();
    assert_eq!(
        chain.breaks,
        [RecordedBreak {
            torn_line: 3,
            recorded_at: 4
        }]
    );
    assert!(!kept.is_empty());
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn a_torn_first_line_is_recorded_too() {
    let path = temp_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"{\"schema\":\"jit.au").unwrap();
    append(&path, &event(0), break_event).unwrap();
    let chain = verify(&path).unwrap();
    assert_eq!(chain.entries, 3);
    assert_eq!(chain.breaks[0].torn_line, 1);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn long_lines_are_found_across_read_chunks() {
    let path = temp_path();
    let mut big = event(0);
    big.reason = "r".repeat(3 * CHUNK as usize);
    let first = append(&path, &big, break_event).unwrap();
    let second = append(&path, &big, break_event).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(parsed["prevHash"], line_hash(first.as_bytes()));
    assert_eq!(verify(&path).unwrap().entries, 2);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn concurrent_appenders_keep_one_chain() {
    // Each append opens the file itself, as separate provider processes
    // do: flock serialises distinct open files, in one process or many.
    let path = temp_path();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                for n in 0..25 {
                    append(&path, &event(t * 100 + n), break_event).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let chain = verify(&path).unwrap();
    assert_eq!(chain.entries, 200);
    assert!(chain.breaks.is_empty());
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn entries_split_lines_and_mark_a_missing_newline() {
    let complete = entries(b"a\nb\n");
    assert_eq!(complete.len(), 2);
    assert!(complete.iter().all(|e| e.complete));
    assert_eq!(complete[1].bytes, b"b");
    let torn = entries(b"a\nb");
    assert_eq!(torn.len(), 2);
    assert!(!torn[1].complete);
    assert_eq!(torn[1].line, 2);
    assert!(entries(b"").is_empty());
    let blank = entries(b"a\n\n");
    assert_eq!(blank.len(), 2);
    assert!(blank[1].bytes.is_empty() && blank[1].complete);
}
