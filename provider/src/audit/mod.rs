//! The audit sink: one event per mutation, as a JSON line in a file, as an
//! object in S3, and as an SNS message, each when configured. The event type
//! is generated from `proto/jit/audit/v1/event.proto`; JSON uses the proto3
//! mapping (lowerCamelCase names).
//!
//! The file and the S3 prefix are each a hash chain ([`chain`]): every line
//! carries the hash of the line before it. The SNS message is the line as
//! stored (the S3 one when both are configured), and its `line_hash`
//! attribute is that line's hash: the head a subscriber keeps, against which
//! `audit verify --head` finds lines cut from the end. [`report`] renders
//! the change log; the `audit` subcommand (`cli`) drives both.

pub mod chain;
pub mod file;
pub mod report;
pub mod s3;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;

use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tokio::sync::{Mutex, OnceCell};

use crate::aws::AwsClients;
use crate::config::AuditS3;
use crate::error::Error;

pub mod ci;

/// Types generated from the audit event v1 contract.
#[allow(missing_docs)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/jit.audit.v1.rs"));
}

pub use v1::AuditEvent;

/// Value of [`AuditEvent::schema`].
pub const SCHEMA: &str = "jit.audit.v1";

/// Environment variables naming who applied a change, first match wins:
/// an explicit override, then the identities CI systems export.
const APPLIED_BY_ENV: &[&str] = &[
    "JIT_APPLIED_BY",
    "GITHUB_ACTOR",
    "GITLAB_USER_LOGIN",
    "BUILDKITE_BUILD_CREATOR_EMAIL",
    "BUILD_REQUESTEDFOREMAIL",
];

/// SNS message attributes of an audit event.
pub mod attribute {
    /// The event's action (subscribers filter on it).
    pub const ACTION: &str = "action";
    /// SHA-256 of the message body, which is byte for byte the line stored
    /// in the log named by [`LOG`]: that log's head after this event.
    pub const LINE_HASH: &str = "line_hash";
    /// The log the message body is stored in: `s3://bucket/prefix`, or
    /// `file:PATH` when there is no S3 sink.
    pub const LOG: &str = "log";
    /// With both a file and S3: the hash of the event's line in the file.
    pub const FILE_LINE_HASH: &str = "file_line_hash";
}

/// Where events go.
#[derive(Debug)]
pub struct AuditSink {
    path: Option<PathBuf>,
    s3: Option<s3::S3Sink>,
    topic_arn: Option<String>,
    aws: AwsClients,
    applied_by: OnceCell<String>,
    file_lock: Mutex<()>,
}

/// Result words used in events.
pub mod result {
    /// Written before the AWS call.
    pub const INTENT: &str = "intent";
    /// The change was made.
    pub const SUCCESS: &str = "success";
    /// The change failed; `error` says why.
    pub const FAILURE: &str = "failure";
    /// A check refused the change before any AWS call; `error` says why.
    pub const REFUSED: &str = "refused";
}

impl AuditSink {
    /// A sink writing to `path` and publishing to `topic_arn`, either optional.
    pub fn new(path: Option<PathBuf>, topic_arn: Option<String>, aws: AwsClients) -> Self {
        Self {
            path,
            s3: None,
            topic_arn,
            aws,
            applied_by: OnceCell::new(),
            file_lock: Mutex::new(()),
        }
    }

    /// The same sink, also writing one object per event to `target`.
    pub fn with_s3(mut self, target: Option<AuditS3>) -> Self {
        self.s3 = target.map(s3::S3Sink::new);
        self
    }

    /// A new event with schema, id, time and the CI context (change, commit,
    /// run) filled in.
    pub fn event(action: &str, resource_type: &str, target: impl Into<String>) -> AuditEvent {
        let ci = ci::CiContext::from_process();
        AuditEvent {
            change_ref: ci.change_ref,
            commit_sha: ci.commit_sha,
            ci_run: ci.ci_run,
            schema: SCHEMA.to_string(),
            event_id: random_id(),
            time: now_rfc3339(),
            action: action.to_string(),
            resource_type: resource_type.to_string(),
            target: target.into(),
            ..AuditEvent::default()
        }
    }

    /// Writes the event to every configured destination: the file and S3
    /// first (each chains it to its own last line), then SNS with the line
    /// as stored. Fills `applied_by` when empty. Fails if any destination
    /// fails, after trying all of them; callers that must not fail
    /// (revoke, block) turn the error into a warning.
    pub async fn write(&self, mut event: AuditEvent) -> Result<(), Error> {
        if event.applied_by.is_empty() {
            event.applied_by = self.applied_by().await;
        }
        event.prev_hash.clear();
        tracing::info!(action = %event.action, target = %event.target, result = %event.result, "audit event");
        let (file, s3) = tokio::join!(self.append(&event), self.put_s3(&event));
        let sns = self.publish(&event, &file, &s3).await;
        let mut errors: Vec<Error> = [file.err(), s3.err(), sns.err()]
            .into_iter()
            .flatten()
            .collect();
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Error::Audit(
                errors
                    .iter()
                    .map(|error| match error {
                        Error::Audit(message) => message.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        }
    }

    /// Appends to the file's chain; the line written, if there is a file.
    async fn append(&self, event: &AuditEvent) -> Result<Option<String>, Error> {
        let Some(path) = self.path.clone() else {
            return Ok(None);
        };
        let shown = path.display().to_string();
        let fail = |e: &dyn std::fmt::Display| Error::Audit(format!("cannot write `{shown}`: {e}"));
        let _guard = self.file_lock.lock().await;
        let event = event.clone();
        let broken = break_event(&event, &shown);
        tokio::task::spawn_blocking(move || file::append(&path, &event, || broken))
            .await
            .map_err(|e| fail(&e))?
            .map(Some)
            .map_err(|e| fail(&e))
    }

    /// Stores in S3's chain; the line stored, if there is an S3 sink.
    async fn put_s3(&self, event: &AuditEvent) -> Result<Option<String>, Error> {
        match &self.s3 {
            Some(sink) => sink.write(&self.aws, event).await.map(Some),
            None => Ok(None),
        }
    }

    /// Publishes the line as stored (S3's, else the file's, else the bare
    /// event) with its hash, so subscribers hold every head.
    async fn publish(
        &self,
        event: &AuditEvent,
        file: &Result<Option<String>, Error>,
        s3: &Result<Option<String>, Error>,
    ) -> Result<(), Error> {
        let Some(topic) = &self.topic_arn else {
            return Ok(());
        };
        let file_line = file.as_ref().ok().cloned().flatten();
        let s3_line = s3.as_ref().ok().cloned().flatten();
        let stored = match (&s3_line, &file_line, &self.s3, &self.path) {
            (Some(line), _, Some(sink), _) => Some((line.clone(), sink.url())),
            (None, Some(line), _, Some(path)) => {
                Some((line.clone(), format!("file:{}", path.display())))
            }
            _ => None,
        };
        let (message, hashes) = match stored {
            Some((line, log)) => {
                let mut hashes = vec![
                    (attribute::LINE_HASH, chain::line_hash(line.as_bytes())),
                    (attribute::LOG, log),
                ];
                if let (Some(_), Some(file_line)) = (&s3_line, &file_line) {
                    hashes.push((
                        attribute::FILE_LINE_HASH,
                        chain::line_hash(file_line.as_bytes()),
                    ));
                }
                (line, hashes)
            }
            None => (
                serde_json::to_string(event)
                    .map_err(|e| Error::Audit(format!("cannot encode event: {e}")))?,
                Vec::new(),
            ),
        };
        let mut attributes = vec![(attribute::ACTION, event.action.as_str())];
        attributes.extend(hashes.iter().map(|(name, value)| (*name, value.as_str())));
        self.aws
            .sns()
            .publish(topic, &subject(event), &message, &attributes)
            .await
            .map_err(|e| Error::Audit(e.to_string()))
    }

    /// Who applied the change: CI identity from the environment, else the
    /// caller's ARN, else `unknown`.
    async fn applied_by(&self) -> String {
        self.applied_by
            .get_or_init(|| async {
                if let Some(ci) = applied_by_from_env(|name| std::env::var(name).ok()) {
                    return ci;
                }
                match self.aws.sts().caller_arn().await {
                    Ok(arn) => arn,
                    Err(error) => {
                        tracing::warn!(%error, "cannot tell who applies");
                        "unknown".to_string()
                    }
                }
            })
            .await
            .clone()
    }
}

/// The first CI identity set in the environment.
pub fn applied_by_from_env(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    APPLIED_BY_ENV
        .iter()
        .find_map(|name| get(name).filter(|value| !value.trim().is_empty()))
}

/// The record a writer appends after a torn line (the chain module fills
/// in what it found).
fn break_event(event: &AuditEvent, log: &str) -> AuditEvent {
    let mut record = AuditSink::event(chain::BREAK_ACTION, "", log);
    record.actor = "terraform-provider-jit".to_string();
    record.applied_by = event.applied_by.clone();
    record.result = result::FAILURE.to_string();
    record.error =
        "the line before this one was cut short by an interrupted write; its event is lost"
            .to_string();
    record
}

/// SNS subjects: ASCII, no line breaks, at most 100 characters.
fn subject(event: &AuditEvent) -> String {
    let raw = format!("jit {} {}: {}", event.action, event.result, event.target);
    raw.chars()
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

/// The current time, RFC 3339 in UTC.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// 16 random hex digits (std's randomly keyed hasher; no extra crate).
pub fn random_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        OffsetDateTime::now_utc()
            .unix_timestamp_nanos()
            .unsigned_abs(),
    );
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_uses_proto3_camel_case_names() {
        let mut event = AuditSink::event("grant.create", "jit_grant", "alice@example.com");
        event.applied_by = "ci".into();
        event.break_glass = true;
        event.approvers = vec!["bob@example.com".into()];
        let json: serde_json::Value = serde_json::to_value(&event).unwrap();
        assert_eq!(json["schema"], SCHEMA);
        assert_eq!(json["appliedBy"], "ci");
        assert_eq!(json["breakGlass"], true);
        assert_eq!(json["resourceType"], "jit_grant");
        assert_eq!(json["approvers"][0], "bob@example.com");
        assert!(json.get("applied_by").is_none());
        let back: AuditEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn fields_added_after_v1_are_left_out_while_empty() {
        let mut event = AuditSink::event("grant.create", "jit_grant", "alice@example.com");
        let json: serde_json::Value = serde_json::to_value(&event).unwrap();
        for name in [
            "verifiedApprovers",
            "changeRef",
            "commitSha",
            "ciRun",
            "actorId",
            "prevHash",
        ] {
            assert!(json.get(name).is_none(), "{name} written while empty");
        }
        event.prev_hash = "ab".repeat(32);
        event.verified_approvers = vec![v1::Approver {
            name: "bob@example.com".into(),
            user_id: "u-1".into(),
        }];
        let json: serde_json::Value = serde_json::to_value(&event).unwrap();
        assert_eq!(json["prevHash"], "ab".repeat(32));
        assert_eq!(json["verifiedApprovers"][0]["userId"], "u-1");
    }

    #[test]
    fn applied_by_prefers_the_override_then_ci() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            applied_by_from_env(env(&[("GITHUB_ACTOR", "octocat")])),
            Some("octocat".into())
        );
        assert_eq!(
            applied_by_from_env(env(&[
                ("GITHUB_ACTOR", "octocat"),
                ("JIT_APPLIED_BY", "ci-bot")
            ])),
            Some("ci-bot".into())
        );
        assert_eq!(applied_by_from_env(env(&[("GITHUB_ACTOR", " ")])), None);
    }

    #[test]
    fn subject_is_ascii_and_short() {
        let mut event = AuditSink::event("grant.create", "jit_grant", "é".repeat(200));
        event.result = "success".into();
        let subject = subject(&event);
        assert!(subject.len() <= 100);
        assert!(subject.is_ascii());
        assert!(subject.starts_with("jit grant.create success"));
    }

    #[test]
    fn ids_differ() {
        assert_ne!(random_id(), random_id());
        assert_eq!(random_id().len(), 16);
    }

    #[tokio::test]
    async fn events_are_appended_as_json_lines() {
        let dir = std::env::temp_dir().join(format!("jit-audit-{}", random_id()));
        let path = dir.join("nested/audit.jsonl");
        let sink = AuditSink::new(Some(path.clone()), None, AwsClients::offline());
        for action in ["user_block.block", "user_block.restore"] {
            let mut event = AuditSink::event(action, "jit_user_block", "mallory");
            event.applied_by = "tester".into();
            sink.write(event).await.unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["action"], "user_block.restore");
        assert!(lines[0].get("prevHash").is_none());
        assert_eq!(
            lines[1]["prevHash"],
            chain::line_hash(text.lines().next().unwrap().as_bytes())
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
