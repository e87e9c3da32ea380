//! The hash chain of an audit log, and its verification.
//!
//! Every event carries `prevHash`: the SHA-256 (lowercase hex) of the
//! previous line's exact bytes without its newline; a log's first event has
//! none. Editing, removing, reordering or inserting a line therefore breaks
//! the chain at a line verification can name. Whole lines cut from the end
//! leave a shorter but intact chain: only a head hash published elsewhere
//! (SNS, the S3 sink) shows them, through [`check_head`].
//!
//! A line cut short by an interrupted write (a crash mid-write) is never
//! chained over silently: the next writer ends it with a newline and first
//! appends a *break* event ([`BREAK_ACTION`]) that records it: the torn
//! line's number, and the hash of the last complete line before it, so
//! nothing before the torn line can be removed unnoticed either.
//!
//! Pure: no I/O.

use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SCHEMA;

/// Action of the event a writer appends after a torn line.
pub const BREAK_ACTION: &str = "audit.break";
/// Break event detail: number of the torn line.
pub const TORN_LINE: &str = "torn_line";
/// Break event detail: length of the torn line in bytes.
pub const TORN_BYTES: &str = "torn_bytes";
/// Break event detail: hash of the last complete line before the torn one
/// (absent when the torn line is the first).
pub const LAST_COMPLETE_HASH: &str = "last_complete_hash";

/// SHA-256 of `bytes`, lowercase hex.
pub fn line_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// True for a well-formed head hash (64 lowercase hex digits).
pub fn is_hash(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One line of a log as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log, from 1: the line number in a file, the sequence
    /// number in S3.
    pub line: u64,
    /// The line's bytes without its newline.
    pub bytes: Vec<u8>,
    /// False when the line has no newline at its end (cut short).
    pub complete: bool,
    /// Where it is stored when that is not just the line number (an S3
    /// object key).
    pub location: Option<String>,
}

/// A log as read: its entries in order, plus anything found beside them
/// that is not an entry (S3 objects whose key is not an event key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Log {
    /// The name given on the command line (a path or `s3://bucket/prefix`).
    pub name: String,
    /// Entries ordered by position.
    pub entries: Vec<Entry>,
    /// Objects that do not belong in the log.
    pub strays: Vec<String>,
}

/// A torn line that a break event recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedBreak {
    /// The torn line.
    pub torn_line: u64,
    /// The break event's line.
    pub recorded_at: u64,
}

/// An intact chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Entries (lines) in the log.
    pub entries: usize,
    /// Hash of each entry, in order, with its position.
    pub hashes: Vec<(u64, String)>,
    /// Torn lines recorded by break events.
    pub breaks: Vec<RecordedBreak>,
}

impl Chain {
    /// Hash of the last entry: the log's head.
    pub fn head(&self) -> Option<&str> {
        self.hashes.last().map(|(_, hash)| hash.as_str())
    }

    /// Position of the entry whose hash is `hash`.
    pub fn position_of(&self, hash: &str) -> Option<u64> {
        self.hashes
            .iter()
            .find(|(_, h)| h == hash)
            .map(|(line, _)| *line)
    }

    /// Position of the last entry (0 for an empty log).
    pub fn last_line(&self) -> u64 {
        self.hashes.last().map_or(0, |(line, _)| *line)
    }
}

/// The first thing wrong with a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Position of the entry the problem is found at (for a missing entry,
    /// the position it should have had); 0 when it is about no position.
    pub line: u64,
    /// What is wrong, naming the lines involved.
    pub message: String,
}

impl Problem {
    fn at(line: u64, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

/// The fields verification reads from a line.
#[derive(Debug, Clone, Default)]
struct Parsed {
    prev_hash: Option<String>,
    action: String,
    details: HashMap<String, String>,
}

/// Reads a line as an audit event, or says why it is not one.
fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("it is not JSON ({e})"))?;
    let Some(object) = value.as_object() else {
        return Err("it is not a JSON object".to_string());
    };
    if object.get("schema").and_then(Value::as_str) != Some(SCHEMA) {
        return Err(format!("its `schema` is not `{SCHEMA}`"));
    }
    let text = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let prev_hash = Some(text("prevHash")).filter(|hash| !hash.is_empty());
    let details = object
        .get("details")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Parsed {
        prev_hash,
        action: text("action"),
        details,
    })
}

/// "line 5" or "line 5 (object `key`)".
fn name(entry: &Entry) -> String {
    match &entry.location {
        Some(location) => format!("line {} (object `{location}`)", entry.line),
        None => format!("line {}", entry.line),
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Verifies a log's chain: every position present, every line an event,
/// every `prevHash` the hash of the line before it, every torn line
/// recorded by a break event. Returns the first problem.
pub fn verify_chain(log: &Log) -> Result<Chain, Problem> {
    if let Some(stray) = log.strays.first() {
        return Err(Problem::at(
            0,
            format!("object `{stray}` is in the log's prefix but is not an audit event object: added by hand, or another log shares the prefix"),
        ));
    }
    let entries = &log.entries;
    for (index, entry) in entries.iter().enumerate() {
        let expected = index as u64 + 1;
        if entry.line != expected {
            let gap = match index {
                0 => format!("the log starts at {}", name(entry)),
                _ => format!("the log goes from line {} to {}", expected - 1, name(entry)),
            };
            return Err(Problem::at(
                expected,
                format!("line {expected} is missing: {gap}"),
            ));
        }
    }
    let hashes: Vec<String> = entries.iter().map(|e| line_hash(&e.bytes)).collect();
    let parsed: Vec<Result<Parsed, String>> = entries.iter().map(|e| parse(&e.bytes)).collect();
    let mut breaks = Vec::new();

    for (i, entry) in entries.iter().enumerate() {
        if !entry.complete {
            return Err(Problem::at(
                entry.line,
                format!("{} is cut short (no newline at its end): a write was interrupted, or the line was truncated", name(entry)),
            ));
        }
        let event = match &parsed[i] {
            Ok(event) => event,
            Err(why) => {
                if recorded_by_next(i, entries, &hashes, &parsed) {
                    breaks.push(RecordedBreak {
                        torn_line: entry.line,
                        recorded_at: entry.line + 1,
                    });
                    continue;
                }
                return Err(Problem::at(
                    entry.line,
                    format!("{} is not an audit event: {why}", name(entry)),
                ));
            }
        };
        let expected = i.checked_sub(1).map(|p| hashes[p].as_str());
        if event.prev_hash.as_deref() != expected {
            return Err(diagnose(i, entries, &hashes, &parsed));
        }
        if event.action == BREAK_ACTION {
            check_break(i, entries, &hashes, event)?;
        }
    }
    Ok(Chain {
        entries: entries.len(),
        hashes: entries
            .iter()
            .zip(hashes)
            .map(|(entry, hash)| (entry.line, hash))
            .collect(),
        breaks,
    })
}

/// True when the entry after `i` is a break event recording entry `i` as
/// torn (so an unreadable entry `i` is accounted for).
fn recorded_by_next(
    i: usize,
    entries: &[Entry],
    hashes: &[String],
    parsed: &[Result<Parsed, String>],
) -> bool {
    let Some(Ok(next)) = parsed.get(i + 1) else {
        return false;
    };
    next.action == BREAK_ACTION
        && next.prev_hash.as_deref() == Some(hashes[i].as_str())
        && check_break(i + 1, entries, hashes, next).is_ok()
}

/// A break event at `i` must name the line before it as torn and pin the
/// last complete line before that.
fn check_break(
    i: usize,
    entries: &[Entry],
    hashes: &[String],
    event: &Parsed,
) -> Result<(), Problem> {
    let entry = &entries[i];
    let wrong = |what: &str| {
        Problem::at(
            entry.line,
            format!(
                "{} is a break record that does not match the log: {what}",
                name(entry)
            ),
        )
    };
    let Some(torn) = i.checked_sub(1) else {
        return Err(wrong(
            "it is the first line, so there is no torn line before it",
        ));
    };
    if event.details.get(TORN_LINE).map(String::as_str)
        != Some(entries[torn].line.to_string().as_str())
    {
        return Err(wrong(&format!(
            "it does not name line {} as the torn line",
            entries[torn].line
        )));
    }
    let before = torn.checked_sub(1).map(|p| hashes[p].as_str());
    if event.details.get(LAST_COMPLETE_HASH).map(String::as_str) != before {
        return Err(wrong(&match before {
            Some(_) => format!(
                "the line before the torn one is not line {} as it was written: it was edited, or lines before the torn line were removed",
                entries[torn - 1].line
            ),
            None => "it says lines came before the torn line, and none do".to_string(),
        }));
    }
    Ok(())
}

/// Explains why entry `i`'s `prevHash` does not match the line before it.
fn diagnose(
    i: usize,
    entries: &[Entry],
    hashes: &[String],
    parsed: &[Result<Parsed, String>],
) -> Problem {
    let entry = &entries[i];
    let this = name(entry);
    let prev_of = |j: usize| parsed[j].as_ref().ok().and_then(|p| p.prev_hash.clone());
    let recorded = prev_of(i);
    let expected = i.checked_sub(1).map(|p| hashes[p].clone());

    // Written right after a line that now comes later: reordered.
    if let Some(recorded) = &recorded {
        if let Some(later) = (i + 1..entries.len()).find(|&j| &hashes[j] == recorded) {
            return Problem::at(
                entry.line,
                format!(
                    "{this} is out of order: it was written right after {}",
                    name(&entries[later])
                ),
            );
        }
    }
    // A later line continues from the line before this one: this one (and
    // any up to that later line) were inserted.
    if let Some(resumes) =
        (i + 1..entries.len()).find(|&j| parsed[j].is_ok() && prev_of(j) == expected)
    {
        let inserted = if resumes == i + 1 {
            format!("{this} does not belong to this log")
        } else {
            format!(
                "lines {} to {} do not belong to this log",
                entry.line,
                entries[resumes - 1].line
            )
        };
        let from = match i.checked_sub(1) {
            Some(p) => format!("from line {}", entries[p].line),
            None => "as the log's first line".to_string(),
        };
        return Problem::at(
            entry.line,
            format!(
                "{inserted} (inserted, e.g. from another log): {} continues the chain {from}",
                name(&entries[resumes])
            ),
        );
    }
    match (i.checked_sub(1), &recorded) {
        (None, Some(hash)) => Problem::at(
            entry.line,
            format!(
                "{this} continues an earlier chain (its prevHash is {}…): the lines before it are missing",
                short(hash)
            ),
        ),
        (Some(_), None) => Problem::at(
            entry.line,
            format!("{this} starts a new chain (no prevHash): two logs were joined, or this line or the lines before it come from another log"),
        ),
        (Some(p), Some(hash)) => {
            if let Some(earlier) = (0..p).find(|&j| &hashes[j] == hash) {
                return Problem::at(
                    entry.line,
                    format!(
                        "{this} was written right after {}, not after line {}: lines {} to {} were inserted or copied",
                        name(&entries[earlier]),
                        entries[p].line,
                        entries[earlier + 1].line,
                        entries[p].line
                    ),
                );
            }
            Problem::at(
                entry.line,
                format!(
                    "{this} does not follow line {}: line {} was edited after {this} was written, or lines between them were removed (prevHash {}…, line {} hashes to {}…)",
                    entries[p].line,
                    entries[p].line,
                    short(hash),
                    entries[p].line,
                    short(&hashes[p])
                ),
            )
        }
        (None, None) => Problem::at(entry.line, format!("{this} does not chain")),
    }
}

/// Where a published head is in a verified log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadFound {
    /// The line whose hash is the head.
    pub line: u64,
    /// Lines written after it (by later runs).
    pub after: u64,
}

/// Checks a published head hash against a verified chain: the line it
/// names must be there. When it is not, lines were cut from the end (or the
/// head belongs to another log).
pub fn check_head(chain: &Chain, head: &str) -> Result<HeadFound, Problem> {
    match chain.position_of(head) {
        Some(line) => Ok(HeadFound {
            line,
            after: chain.last_line() - line,
        }),
        None => {
            let last = chain.last_line();
            Err(Problem::at(
                last + 1,
                format!(
                    "line {} is missing: the published head {}… is not in this log, which ends at line {last}: lines after it were removed (or the head belongs to another log)",
                    last + 1,
                    short(head)
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests;
