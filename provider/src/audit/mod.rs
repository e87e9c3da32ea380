//! The audit sink: one event per mutation, as a JSON line in a file and as an
//! SNS message when a topic is configured. The event type is generated from
//! `proto/jit/audit/v1/event.proto`; JSON uses the proto3 mapping
//! (lowerCamelCase names).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;

use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Mutex, OnceCell};

use crate::aws::AwsClients;
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

/// Where events go.
#[derive(Debug)]
pub struct AuditSink {
    path: Option<PathBuf>,
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
}

impl AuditSink {
    /// A sink writing to `path` and publishing to `topic_arn`, either optional.
    pub fn new(path: Option<PathBuf>, topic_arn: Option<String>, aws: AwsClients) -> Self {
        Self {
            path,
            topic_arn,
            aws,
            applied_by: OnceCell::new(),
            file_lock: Mutex::new(()),
        }
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

    /// Writes the event to every configured destination. Fills `applied_by`
    /// when empty. Fails if any destination fails; callers that must not
    /// fail (revoke, block) turn the error into a warning.
    pub async fn write(&self, mut event: AuditEvent) -> Result<(), Error> {
        if event.applied_by.is_empty() {
            event.applied_by = self.applied_by().await;
        }
        let line = serde_json::to_string(&event)
            .map_err(|e| Error::Audit(format!("cannot encode event: {e}")))?;
        tracing::info!(action = %event.action, target = %event.target, result = %event.result, "audit event");
        let file = self.append(&line);
        let sns = self.publish(&event, &line);
        let (file, sns) = tokio::join!(file, sns);
        file.and(sns)
    }

    async fn append(&self, line: &str) -> Result<(), Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let fail =
            |e: std::io::Error| Error::Audit(format!("cannot write `{}`: {e}", path.display()));
        let _guard = self.file_lock.lock().await;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(fail)?;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(fail)?;
        file.write_all(format!("{line}\n").as_bytes())
            .await
            .map_err(fail)?;
        file.sync_data().await.map_err(fail)
    }

    async fn publish(&self, event: &AuditEvent, line: &str) -> Result<(), Error> {
        let Some(topic) = &self.topic_arn else {
            return Ok(());
        };
        self.aws
            .sns()
            .publish(topic, &subject(event), line, &event.action)
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
        std::fs::remove_dir_all(dir).unwrap();
    }
}
