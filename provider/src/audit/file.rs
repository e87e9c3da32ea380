//! The JSON lines file: appending an event to the chain under an exclusive
//! `flock`, and reading a file back as a [`Log`].
//!
//! Several provider processes of one apply (aliased providers are separate
//! processes) append to the same file. Each append takes an exclusive
//! `flock` on the file, reads the last complete line, hashes it into the
//! new event's `prevHash`, appends the line, fsyncs and unlocks, so the
//! chain stays one chain whatever the interleaving.
//!
//! A file that does not end with a newline was cut short by an interrupted
//! write. The writer never chains over it silently: it ends the torn line
//! with a newline and appends a break event ([`chain::BREAK_ACTION`]) that
//! records the torn line's number and length and the hash of the last
//! complete line before it; the new event follows the break event.
//! `audit verify` accepts a torn line only when such a record follows it,
//! and reports it.
//!
//! Blocking I/O: call from `spawn_blocking`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::chain::{self, line_hash, Entry, Log};
use super::AuditEvent;

/// Bytes read at a time when scanning backwards for a newline.
const CHUNK: u64 = 8 * 1024;

/// The end of the file as the next writer finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tail {
    /// No bytes: the next event is the log's first.
    Empty,
    /// Ends with a newline; the hash of the last line.
    Complete(String),
    /// Ends without a newline: a torn line.
    Torn {
        /// Its line number.
        line: u64,
        /// Its bytes (the part that was written).
        bytes: Vec<u8>,
        /// Hash of the last complete line before it, if any.
        last_complete: Option<String>,
    },
}

/// An exclusive `flock` held until dropped (closing the file releases it
/// too, also when the process dies).
struct Locked<'a>(&'a File);

impl<'a> Locked<'a> {
    fn new(file: &'a File) -> std::io::Result<Self> {
        loop {
            // SAFETY: the descriptor is open for the lifetime of `file`.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(Self(file));
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // SAFETY: as above; unlocking cannot corrupt anything.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Appends `event` to the file at `path` as the next link of its chain.
/// `break_event` builds the record of a torn line when one is found (its
/// `prevHash` and details are filled here). Returns the line written.
pub fn append(
    path: &Path,
    event: &AuditEvent,
    break_event: impl FnOnce() -> AuditEvent,
) -> std::io::Result<String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let lock = Locked::new(&file)?;
    let mut out = Vec::new();
    let prev = match tail(&file)? {
        Tail::Empty => None,
        Tail::Complete(hash) => Some(hash),
        Tail::Torn {
            line,
            bytes,
            last_complete,
        } => {
            tracing::warn!(
                path = %path.display(),
                line,
                "audit log ends with a torn line; recording the break"
            );
            let mut record = break_event();
            record.prev_hash = line_hash(&bytes);
            record
                .details
                .insert(chain::TORN_LINE.to_string(), line.to_string());
            record
                .details
                .insert(chain::TORN_BYTES.to_string(), bytes.len().to_string());
            if let Some(hash) = last_complete {
                record
                    .details
                    .insert(chain::LAST_COMPLETE_HASH.to_string(), hash);
            }
            let record = encode(&record)?;
            out.push(b'\n');
            out.extend_from_slice(record.as_bytes());
            out.push(b'\n');
            Some(line_hash(record.as_bytes()))
        }
    };
    let mut chained = event.clone();
    chained.prev_hash = prev.unwrap_or_default();
    let line = encode(&chained)?;
    out.extend_from_slice(line.as_bytes());
    out.push(b'\n');
    // `&File` writes too, while the lock borrows the file.
    (&file).write_all(&out)?;
    file.sync_data()?;
    drop(lock);
    Ok(line)
}

fn encode(event: &AuditEvent) -> std::io::Result<String> {
    serde_json::to_string(event).map_err(std::io::Error::other)
}

/// Finds how the file ends, reading only its tail (and, for a torn line,
/// counting lines to number it).
fn tail(file: &File) -> std::io::Result<Tail> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(Tail::Empty);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    if last[0] == b'\n' {
        let start = rfind_newline(file, len - 1)?.map_or(0, |at| at + 1);
        let bytes = read_range(file, start, len - 1)?;
        return Ok(Tail::Complete(line_hash(&bytes)));
    }
    let torn_start = rfind_newline(file, len)?.map_or(0, |at| at + 1);
    let bytes = read_range(file, torn_start, len)?;
    let last_complete = match torn_start {
        0 => None,
        _ => {
            let start = rfind_newline(file, torn_start - 1)?.map_or(0, |at| at + 1);
            Some(line_hash(&read_range(file, start, torn_start - 1)?))
        }
    };
    Ok(Tail::Torn {
        line: count_newlines(file, torn_start)? + 1,
        bytes,
        last_complete,
    })
}

/// Position of the last newline before `end`.
fn rfind_newline(file: &File, end: u64) -> std::io::Result<Option<u64>> {
    let mut end = end;
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = read_range(file, start, end)?;
        if let Some(at) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(start + at as u64));
        }
        end = start;
    }
    Ok(None)
}

fn read_range(file: &File, start: u64, end: u64) -> std::io::Result<Vec<u8>> {
    let mut buffer = vec![0u8; usize::try_from(end - start).map_err(std::io::Error::other)?];
    file.read_exact_at(&mut buffer, start)?;
    Ok(buffer)
}

fn count_newlines(file: &File, end: u64) -> std::io::Result<u64> {
    let mut count = 0;
    let mut start = 0;
    while start < end {
        let stop = (start + CHUNK * 8).min(end);
        count += read_range(file, start, stop)?
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        start = stop;
    }
    Ok(count)
}

/// Splits a file's bytes into entries: one per line; a last line without a
/// newline is marked incomplete.
pub fn entries(bytes: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut start = 0;
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let end = start + line.len();
        let complete = end < bytes.len();
        start = end + 1;
        if !complete && line.is_empty() {
            break;
        }
        entries.push(Entry {
            line: index as u64 + 1,
            bytes: line.to_vec(),
            complete,
            location: None,
        });
    }
    entries
}

/// Reads the file at `path` as a log named `name`.
pub fn read_log(path: &Path, name: &str) -> std::io::Result<Log> {
    let bytes = std::fs::read(path)?;
    Ok(Log {
        name: name.to_string(),
        entries: entries(&bytes),
        strays: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
