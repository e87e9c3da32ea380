//! The S3 sink: one object per event, in one chain that continues across
//! runs and processes.
//!
//! Event number `n` (from 1) is the object
//! `<prefix><9999999999999999 - n>-<n>.jsonl` (both numbers 16 digits),
//! whose body is the event's JSON line and a newline. The first number
//! counts down, so S3's ascending listing shows the newest event first and
//! the head is found with one `ListObjectsV2` of one key; the second is the
//! sequence number people read.
//!
//! Objects are created with `If-None-Match: *`: nothing is ever
//! overwritten. A writer takes the next number after the head it knows; if
//! another writer (another provider process) took that number first, the
//! create fails, and the writer reads the new head, re-chains its event
//! after it and tries the next number. When the create's answer was lost
//! (a timeout after S3 stored the object, then a retry), the object under
//! that number is our own bytes: that counts as written, never as a lost
//! race, so an event is never stored twice.
//!
//! Each event is durable before `write` returns, so a grant's intent event
//! is stored before the grant is made (fail closed), without buffering a
//! run in memory.

use tokio::sync::Mutex;

use super::chain::{line_hash, Entry, Log};
use super::AuditEvent;
use crate::aws::s3::Created;
use crate::aws::AwsClients;
use crate::config::AuditS3;
use crate::error::Error;

/// `9999999999999999`: sequence numbers count down from here in keys.
const SEQ_MAX: u64 = 9_999_999_999_999_999;
/// Digits of each number in a key.
const SEQ_DIGITS: usize = 16;
/// Object key suffix.
const SUFFIX: &str = ".jsonl";
/// Content type of event objects.
const CONTENT_TYPE: &str = "application/x-ndjson";
/// How many lost races one write tolerates before giving up (each one means
/// another writer stored an event meanwhile).
const MAX_LOST_RACES: u32 = 64;
/// Objects read at once by `read_log`.
const READ_BATCH: usize = 16;

/// The key of event `seq` under `prefix` (already normalised).
pub fn key(prefix: &str, seq: u64) -> String {
    format!(
        "{prefix}{:0width$}-{seq:0width$}{SUFFIX}",
        SEQ_MAX - seq,
        width = SEQ_DIGITS
    )
}

/// The sequence number of an event key under `prefix`, or `None` for any
/// other key (both numbers must agree).
pub fn parse_key(prefix: &str, key: &str) -> Option<u64> {
    let name = key.strip_prefix(prefix)?.strip_suffix(SUFFIX)?;
    let (down, up) = name.split_once('-')?;
    let digits = |s: &str| s.len() == SEQ_DIGITS && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(down) || !digits(up) {
        return None;
    }
    let seq: u64 = up.parse().ok()?;
    let down: u64 = down.parse().ok()?;
    ((1..=SEQ_MAX).contains(&seq) && down == SEQ_MAX - seq).then_some(seq)
}

/// `s3://bucket/prefix`.
pub fn url(target: &AuditS3) -> String {
    format!("s3://{}/{}", target.bucket, target.prefix)
}

/// The last event of the chain: its number and the hash of its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    seq: u64,
    hash: String,
}

/// Writes events to one bucket and prefix.
#[derive(Debug)]
pub struct S3Sink {
    target: AuditS3,
    /// The head as this process last knew it; `None` means read it again.
    /// Held for a whole write, so events of one process go out one by one.
    head: Mutex<Option<Head>>,
}

impl S3Sink {
    /// A sink for `target`; the head is read on the first write.
    pub fn new(target: AuditS3) -> Self {
        Self {
            target,
            head: Mutex::new(None),
        }
    }

    /// Where events go, as `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        url(&self.target)
    }

    /// Stores `event` as the next link of the chain; returns its line.
    pub async fn write(&self, aws: &AwsClients, event: &AuditEvent) -> Result<String, Error> {
        let s3 = aws.s3();
        let bucket = &self.target.bucket;
        let mut known = self.head.lock().await;
        for _ in 0..MAX_LOST_RACES {
            let head = match known.clone() {
                Some(head) => Some(head),
                None => find_head(aws, &self.target).await?,
            };
            let seq = head.as_ref().map_or(1, |h| h.seq + 1);
            let mut chained = event.clone();
            chained.prev_hash = head.map(|h| h.hash).unwrap_or_default();
            let line = serde_json::to_string(&chained)
                .map_err(|e| Error::Audit(format!("cannot encode event: {e}")))?;
            let body = format!("{line}\n").into_bytes();
            let key = key(&self.target.prefix, seq);
            let written = match s3
                .create_if_absent(bucket, &key, body.clone(), CONTENT_TYPE)
                .await
            {
                Ok(Created::Yes) => true,
                // Our own object when an earlier attempt's answer was lost.
                Ok(Created::KeyTaken) => match s3.find_object_by_key(bucket, &key).await {
                    Ok(stored) => stored == body,
                    Err(error) if error.is_not_found() => false,
                    Err(error) => {
                        *known = None;
                        return Err(Error::Audit(format!(
                            "cannot tell whether event {seq} is stored in `{}`: {error}",
                            self.url()
                        )));
                    }
                },
                Err(error) => {
                    // Maybe stored: read the head again next time.
                    *known = None;
                    return Err(Error::Audit(format!(
                        "cannot store event {seq} in `{}`: {error}",
                        self.url()
                    )));
                }
            };
            if written {
                *known = Some(Head {
                    seq,
                    hash: line_hash(line.as_bytes()),
                });
                return Ok(line);
            }
            tracing::debug!(
                seq,
                "another writer took this sequence number; re-reading the head"
            );
            *known = None;
        }
        Err(Error::Audit(format!(
            "gave up storing an event in `{}` after {MAX_LOST_RACES} sequence numbers were taken by other writers",
            self.url()
        )))
    }
}

/// The newest event of the chain, or `None` for an empty log.
async fn find_head(aws: &AwsClients, target: &AuditS3) -> Result<Option<Head>, Error> {
    let mut newest = None;
    aws.s3()
        .list_keys(&target.bucket, &target.prefix, 100, |keys| {
            newest = keys
                .iter()
                .find_map(|key| parse_key(&target.prefix, key).map(|seq| (seq, key.clone())));
            newest.is_none()
        })
        .await
        .map_err(|e| Error::Audit(format!("cannot read the head of `{}`: {e}", url(target))))?;
    let Some((seq, key)) = newest else {
        return Ok(None);
    };
    let body = aws
        .s3()
        .find_object_by_key(&target.bucket, &key)
        .await
        .map_err(|e| Error::Audit(format!("cannot read the head of `{}`: {e}", url(target))))?;
    let line = body.strip_suffix(b"\n").unwrap_or(&body);
    Ok(Some(Head {
        seq,
        hash: line_hash(line),
    }))
}

/// Reads every event object under the target's prefix as a log named
/// `name`, ordered by sequence number. Objects whose key is not an event
/// key are listed as strays.
pub async fn read_log(aws: &AwsClients, target: &AuditS3, name: &str) -> Result<Log, Error> {
    let mut keys = Vec::new();
    aws.s3()
        .list_keys(&target.bucket, &target.prefix, 1000, |page| {
            keys.extend_from_slice(page);
            true
        })
        .await?;
    let mut events = Vec::new();
    let mut strays = Vec::new();
    for key in keys {
        match parse_key(&target.prefix, &key) {
            Some(seq) => events.push((seq, key)),
            None => strays.push(key),
        }
    }
    events.sort();
    let mut entries = Vec::with_capacity(events.len());
    for batch in events.chunks(READ_BATCH) {
        let mut reads = tokio::task::JoinSet::new();
        for (index, (_, key)) in batch.iter().enumerate() {
            let aws = aws.clone();
            let bucket = target.bucket.clone();
            let key = key.clone();
            reads.spawn(async move { (index, aws.s3().find_object_by_key(&bucket, &key).await) });
        }
        let mut bodies = vec![Vec::new(); batch.len()];
        while let Some(joined) = reads.join_next().await {
            let (index, body) =
                joined.map_err(|e| Error::Audit(format!("reading an object failed: {e}")))?;
            bodies[index] = body?;
        }
        for ((seq, key), body) in batch.iter().zip(bodies) {
            let (bytes, complete) = match body.strip_suffix(b"\n") {
                Some(line) => (line.to_vec(), true),
                None => (body, false),
            };
            entries.push(Entry {
                line: *seq,
                bytes,
                complete,
                location: Some(key.clone()),
            });
        }
    }
    Ok(Log {
        name: name.to_string(),
        entries,
        strays,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_list_newest_first_and_read_back() {
        let prefix = "jit-audit/";
        assert_eq!(
            key(prefix, 1),
            "jit-audit/9999999999999998-0000000000000001.jsonl"
        );
        let mut keys: Vec<String> = [1, 2, 10, 11, 99, 100, 12345]
            .iter()
            .map(|&n| key(prefix, n))
            .collect();
        keys.sort();
        let order: Vec<u64> = keys.iter().filter_map(|k| parse_key(prefix, k)).collect();
        assert_eq!(order, [12345, 100, 99, 11, 10, 2, 1]);
        assert_eq!(key("", 7), "9999999999999992-0000000000000007.jsonl");
        assert_eq!(parse_key("", &key("", 7)), Some(7));
    }

    #[test]
    fn other_keys_are_not_events() {
        let prefix = "p/";
        for stray in [
            "p/readme.txt",
            "p/9999999999999998-0000000000000002.jsonl",
            "p/9999999999999999-0000000000000000.jsonl",
            "p/999999999999999-000000000000001.jsonl",
            "p/sub/9999999999999998-0000000000000001.jsonl",
            "q/9999999999999998-0000000000000001.jsonl",
            "p/9999999999999998-0000000000000001.json",
        ] {
            assert_eq!(parse_key(prefix, stray), None, "{stray}");
        }
    }
}
