//! Provider configuration: the Terraform-facing state type and the validated
//! configuration every resource reads. Parsed and validated once.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tf_provider::value::Value;
use tf_provider::AttributePath;

use crate::codec;
use crate::error::{attr, Error};
use crate::policy::arn::{check_arn, is_schedule_group_name};
use crate::policy::duration::parse_duration;
use crate::policy::grant_policy::{check_max_duration_cap, GrantPolicy, PermissionSetRule, Risk};

/// Default expiry schedule group.
pub const DEFAULT_SCHEDULE_GROUP: &str = "jit-grants";
/// Default limit of one AWS request attempt.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// Default limit of one AWS operation, all retries included.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(120);
/// Default attempts per AWS operation under adaptive retry.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// Default AWS requests in flight per service in one provider process.
pub const DEFAULT_MAX_CONCURRENCY: u32 = 8;
/// Largest accepted `aws_max_attempts` and `aws_max_concurrency`.
const MAX_LIMIT: i64 = 100;

/// Env var naming the audit log file when `audit_log_path` is not set.
pub const AUDIT_LOG_ENV: &str = "JIT_AUDIT_LOG";
/// Env var naming the S3 audit bucket when `audit_s3_bucket` is not set.
pub const AUDIT_S3_BUCKET_ENV: &str = "JIT_AUDIT_S3_BUCKET";
/// Env var naming the S3 audit key prefix when `audit_s3_prefix` is not set.
pub const AUDIT_S3_PREFIX_ENV: &str = "JIT_AUDIT_S3_PREFIX";
/// Default key prefix of the S3 audit sink.
pub const DEFAULT_AUDIT_S3_PREFIX: &str = "jit-audit/";
/// Env var the apply job sets to force verified approvals on.
pub const REQUIRE_VERIFIED_ENV: &str = "JIT_REQUIRE_VERIFIED_APPROVALS";
/// Env var CI sets to the change (pull request) planned or applied,
/// `<owner>/<repo>#<number>`.
pub const CHANGE_REF_ENV: &str = "JIT_CHANGE_REF";
/// Env var naming the protected grant policy file (JSON).
pub const GRANT_POLICY_FILE_ENV: &str = "JIT_GRANT_POLICY_FILE";

/// The `provider "jit"` block as Terraform sends it.
#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(default)]
pub struct ProviderConfigState {
    /// AWS region.
    pub region: Value<String>,
    /// Shared-config profile.
    pub profile: Value<String>,
    /// Endpoint for every service (emulators).
    pub endpoint_url: Value<String>,
    /// Role to assume for every call.
    #[serde(with = "codec::optional_block")]
    pub assume_role: Value<AssumeRoleState>,
    /// Identity Center instance ARN; discovered when unset.
    pub identity_center_instance_arn: Value<String>,
    /// Identity store id; discovered when unset.
    pub identity_store_id: Value<String>,
    /// Rules for `jit_grant`.
    #[serde(with = "codec::optional_block")]
    pub grant_policy: Value<GrantPolicyState>,
    /// Check approvers against `JIT_VERIFIED_APPROVERS` at apply.
    pub require_verified_approvals: Value<bool>,
    /// One warning per planned change saying what it does (default on).
    pub reviewer_summaries: Value<bool>,
    /// Role EventBridge Scheduler assumes to remove expired assignments.
    pub revoker_role_arn: Value<String>,
    /// Scheduler group of grant leases.
    pub schedule_group: Value<String>,
    /// SQS queue for expiries that failed.
    pub expiry_dead_letter_queue_arn: Value<String>,
    /// SNS topic for notifications and audit events.
    pub notification_topic_arn: Value<String>,
    /// JSON lines audit log file.
    pub audit_log_path: Value<String>,
    /// S3 bucket of the audit log (one object per event).
    pub audit_s3_bucket: Value<String>,
    /// Key prefix of the audit log in `audit_s3_bucket`.
    pub audit_s3_prefix: Value<String>,
    /// Limit of one AWS request attempt.
    pub aws_attempt_timeout: Value<String>,
    /// Limit of one AWS operation with retries.
    pub aws_operation_timeout: Value<String>,
    /// Attempts per AWS operation.
    pub aws_max_attempts: Value<i64>,
    /// AWS requests in flight per service.
    pub aws_max_concurrency: Value<i64>,
}

/// `assume_role { … }`.
#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(default)]
pub struct AssumeRoleState {
    /// Role ARN.
    pub role_arn: Value<String>,
    /// Session name shown in CloudTrail.
    pub session_name: Value<String>,
    /// External id required by the role's trust policy.
    pub external_id: Value<String>,
}

/// `grant_policy { … }`.
#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(default)]
pub struct GrantPolicyState {
    /// Longest grant.
    pub max_duration: Value<String>,
    /// Longest permission-set session.
    pub max_session_duration: Value<String>,
    /// Risk of permission sets not listed.
    pub default_risk: Value<String>,
    /// Per permission set rules.
    pub permission_set: Value<Vec<PermissionSetState>>,
}

/// `permission_set { … }` inside `grant_policy`.
#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(default)]
pub struct PermissionSetState {
    /// Permission set name.
    pub name: Value<String>,
    /// `low` or `high`.
    pub risk: Value<String>,
    /// Allowed approvers; empty means anyone but the requester.
    pub approvers: Value<Vec<Value<String>>>,
    /// Whether break-glass grants of this set are allowed (default true).
    pub allow_break_glass: Value<bool>,
    /// Whether a revoke also ends the user's live sessions (default false).
    pub end_sessions_on_revoke: Value<bool>,
}

/// Validated `assume_role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// Role ARN.
    pub role_arn: String,
    /// Session name.
    pub session_name: Option<String>,
    /// External id.
    pub external_id: Option<String>,
}

/// Where the S3 audit sink writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditS3 {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix: empty, or ending with `/`.
    pub prefix: String,
}

impl AuditS3 {
    /// A target with its prefix normalised: no leading `/`, and a `/` at
    /// the end unless empty.
    pub fn new(bucket: impl Into<String>, prefix: &str) -> Self {
        let prefix = prefix.trim_start_matches('/');
        Self {
            bucket: bucket.into(),
            prefix: if prefix.is_empty() || prefix.ends_with('/') {
                prefix.to_string()
            } else {
                format!("{prefix}/")
            },
        }
    }
}

/// Bounds on every AWS call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsLimits {
    /// One attempt (connect, send, response headers).
    pub attempt_timeout: Duration,
    /// One operation with its retries.
    pub operation_timeout: Duration,
    /// Attempts per operation.
    pub max_attempts: u32,
    /// Requests in flight per service in one provider process.
    pub max_concurrency: u32,
}

impl Default for AwsLimits {
    fn default() -> Self {
        Self {
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
        }
    }
}

/// The validated provider configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderConfig {
    /// AWS region (else the environment / profile).
    pub region: Option<String>,
    /// Shared-config profile.
    pub profile: Option<String>,
    /// Endpoint override for every service.
    pub endpoint_url: Option<String>,
    /// Role to assume.
    pub assume_role: Option<AssumeRole>,
    /// Identity Center instance ARN (else discovered).
    pub identity_center_instance_arn: Option<String>,
    /// Identity store id (else discovered).
    pub identity_store_id: Option<String>,
    /// Grant rules.
    pub grant_policy: GrantPolicy,
    /// Where the grant rules came from.
    pub grant_policy_source: PolicySource,
    /// Verified approvals required at apply.
    pub require_verified_approvals: bool,
    /// Reviewer summaries at plan (`parse` defaults it to on).
    pub reviewer_summaries: bool,
    /// Revoker role for schedules.
    pub revoker_role_arn: Option<String>,
    /// Scheduler group.
    pub schedule_group: String,
    /// Dead-letter queue for failed expiries.
    pub expiry_dead_letter_queue_arn: Option<String>,
    /// Notification topic.
    pub notification_topic_arn: Option<String>,
    /// Audit log file.
    pub audit_log_path: Option<PathBuf>,
    /// Audit log bucket and prefix.
    pub audit_s3: Option<AuditS3>,
    /// Bounds on every AWS call.
    pub aws_limits: AwsLimits,
    /// Problems that do not stop the provider (reported at configure).
    pub warnings: Vec<ConfigWarning>,
}

/// A warning about the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// One-line summary.
    pub summary: String,
    /// What it means and what to do.
    pub detail: String,
    /// The attribute it is about.
    pub path: AttributePath,
}

/// Where the grant policy came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PolicySource {
    /// Neither a block nor a file: the defaults.
    #[default]
    Defaults,
    /// The provider block's `grant_policy`.
    Inline,
    /// `JIT_GRANT_POLICY_FILE`, with its path.
    File(String),
}

/// The file `JIT_GRANT_POLICY_FILE` names, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    /// The path as set.
    pub path: String,
    /// Its text, or why it could not be read.
    pub contents: Result<String, String>,
}

/// Reads the environment the configuration depends on, so parsing stays pure.
#[derive(Debug, Clone, Default)]
pub struct ConfigEnv {
    /// `JIT_AUDIT_LOG`.
    pub audit_log: Option<String>,
    /// `JIT_AUDIT_S3_BUCKET`.
    pub audit_s3_bucket: Option<String>,
    /// `JIT_AUDIT_S3_PREFIX`.
    pub audit_s3_prefix: Option<String>,
    /// `JIT_REQUIRE_VERIFIED_APPROVALS` as set.
    pub require_verified_approvals: Option<String>,
    /// `JIT_GRANT_POLICY_FILE`, read.
    pub grant_policy_file: Option<PolicyFile>,
}

impl ConfigEnv {
    /// From the process environment (reads the policy file).
    pub fn from_process() -> Self {
        let grant_policy_file = std::env::var(GRANT_POLICY_FILE_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|path| PolicyFile {
                contents: std::fs::read_to_string(&path).map_err(|e| e.to_string()),
                path,
            });
        Self {
            audit_log: std::env::var(AUDIT_LOG_ENV).ok().filter(|v| !v.is_empty()),
            audit_s3_bucket: std::env::var(AUDIT_S3_BUCKET_ENV)
                .ok()
                .filter(|v| !v.is_empty()),
            audit_s3_prefix: std::env::var(AUDIT_S3_PREFIX_ENV)
                .ok()
                .filter(|v| !v.is_empty()),
            require_verified_approvals: std::env::var(REQUIRE_VERIFIED_ENV).ok(),
            grant_policy_file,
        }
    }
}

/// A known, non-empty string; unknown and null both give `None`.
fn known(value: &Value<String>) -> Option<String> {
    value.as_ref_option().filter(|v| !v.is_empty()).cloned()
}

impl ProviderConfig {
    /// Validates the provider block. Unknown values are not errors: they are
    /// treated as unset. All problems are returned, each with its path.
    pub fn parse(state: &ProviderConfigState, env: &ConfigEnv) -> Result<Self, Vec<Error>> {
        let mut errors = Vec::new();
        let mut config = Self {
            region: known(&state.region),
            profile: known(&state.profile),
            endpoint_url: known(&state.endpoint_url),
            identity_center_instance_arn: known(&state.identity_center_instance_arn),
            identity_store_id: known(&state.identity_store_id),
            revoker_role_arn: known(&state.revoker_role_arn),
            schedule_group: known(&state.schedule_group)
                .unwrap_or_else(|| DEFAULT_SCHEDULE_GROUP.to_string()),
            expiry_dead_letter_queue_arn: known(&state.expiry_dead_letter_queue_arn),
            notification_topic_arn: known(&state.notification_topic_arn),
            reviewer_summaries: state.reviewer_summaries.as_ref_option() != Some(&false),
            audit_log_path: known(&state.audit_log_path)
                .or_else(|| env.audit_log.clone())
                .map(PathBuf::from),
            ..Self::default()
        };

        if let Some(url) = &config.endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                errors.push(Error::invalid(
                    attr("endpoint_url"),
                    "Endpoint URL is not an http(s) URL",
                    format!("`{url}` must start with `http://` or `https://`, e.g. `http://127.0.0.1:5055`."),
                ));
            }
        }
        let arn_checks: [(&str, &Option<String>, &str, &str); 4] = [
            (
                "identity_center_instance_arn",
                &config.identity_center_instance_arn,
                "sso",
                "arn:aws:sso:::instance/ssoins-0123456789abcdef",
            ),
            (
                "revoker_role_arn",
                &config.revoker_role_arn,
                "iam",
                "arn:aws:iam::123456789012:role/jit-revoker",
            ),
            (
                "expiry_dead_letter_queue_arn",
                &config.expiry_dead_letter_queue_arn,
                "sqs",
                "arn:aws:sqs:eu-west-1:123456789012:jit-expiry-dlq",
            ),
            (
                "notification_topic_arn",
                &config.notification_topic_arn,
                "sns",
                "arn:aws:sns:eu-west-1:123456789012:jit-access",
            ),
        ];
        for (name, value, service, example) in arn_checks {
            if let Some(value) = value {
                if let Err(problem) = check_arn(value, service) {
                    errors.push(Error::invalid(
                        AttributePath::new(name),
                        format!("Malformed ARN in `{name}`"),
                        format!("`{value}` {problem}; expected an ARN like `{example}`."),
                    ));
                }
            }
        }

        if !is_schedule_group_name(&config.schedule_group) {
            errors.push(Error::invalid(
                attr("schedule_group"),
                "Invalid schedule group name",
                format!(
                    "`{}` must be 1 to 64 letters, digits, `-`, `_` or `.`.",
                    config.schedule_group
                ),
            ));
        }

        if let Value::Value(assume_role) = &state.assume_role {
            let path = attr("assume_role").index(0);
            match known(&assume_role.role_arn) {
                Some(role_arn) => {
                    if let Err(problem) = check_arn(&role_arn, "iam") {
                        errors.push(Error::invalid(
                            path.attribute("role_arn"),
                            "Malformed ARN in `assume_role.role_arn`",
                            format!("`{role_arn}` {problem}; expected `arn:aws:iam::123456789012:role/NAME`."),
                        ));
                    }
                    config.assume_role = Some(AssumeRole {
                        role_arn,
                        session_name: known(&assume_role.session_name),
                        external_id: known(&assume_role.external_id),
                    });
                }
                None if assume_role.role_arn.is_null() => errors.push(Error::invalid(
                    path.attribute("role_arn"),
                    "Missing `assume_role.role_arn`",
                    "Set the ARN of the role to assume, or remove the `assume_role` block.",
                )),
                None => {}
            }
        }

        config.aws_limits = parse_aws_limits(state, &mut errors);
        config.audit_s3 = parse_audit_s3(state, env, &mut errors);

        match verification::required(
            env.require_verified_approvals.as_deref(),
            state.require_verified_approvals.as_ref_option().copied(),
        ) {
            Ok(required) => config.require_verified_approvals = required,
            Err(error) => {
                // Fail closed: nothing runs with a value nobody can read.
                config.require_verified_approvals = true;
                errors.push(error);
            }
        }
        verification::grant_policy(state, env, &mut config, &mut errors);
        let s3_bucket_set = !state.audit_s3_bucket.is_null() || env.audit_s3_bucket.is_some();
        verification::settings_of_the_change(state, &config, &mut errors);
        verification::audit_destination(&mut config, env, s3_bucket_set, &mut errors);

        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

/// `audit_s3_bucket` and `audit_s3_prefix`.
fn parse_audit_s3(
    state: &ProviderConfigState,
    env: &ConfigEnv,
    errors: &mut Vec<Error>,
) -> Option<AuditS3> {
    let prefix = known(&state.audit_s3_prefix).or_else(|| env.audit_s3_prefix.clone());
    let Some(bucket) = known(&state.audit_s3_bucket).or_else(|| env.audit_s3_bucket.clone()) else {
        if prefix.is_some() && state.audit_s3_bucket.is_null() {
            errors.push(Error::invalid(
                attr("audit_s3_prefix"),
                "`audit_s3_prefix` without `audit_s3_bucket`",
                "Set `audit_s3_bucket` to the bucket that keeps the audit log, or remove `audit_s3_prefix`.",
            ));
        }
        return None;
    };
    if let Err(problem) = check_bucket_name(&bucket) {
        errors.push(Error::invalid(
            attr("audit_s3_bucket"),
            "Invalid S3 bucket name in `audit_s3_bucket`",
            format!("`{bucket}` {problem}; use the bucket's name, e.g. `example-jit-audit`, not its ARN or URL."),
        ));
    }
    let prefix = prefix.unwrap_or_else(|| DEFAULT_AUDIT_S3_PREFIX.to_string());
    if prefix.len() > 512 || prefix.chars().any(char::is_control) {
        errors.push(Error::invalid(
            attr("audit_s3_prefix"),
            "Invalid key prefix in `audit_s3_prefix`",
            "Use at most 512 characters without control characters, e.g. `jit-audit/prod/`.",
        ));
    }
    Some(AuditS3::new(bucket, &prefix))
}

/// S3's bucket naming rules: 3 to 63 lowercase letters, digits, `.` and
/// `-`, starting and ending with a letter or digit.
fn check_bucket_name(name: &str) -> Result<(), &'static str> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&name.len()) {
        Err("must be 3 to 63 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        Err("may contain only lowercase letters, digits, `.` and `-`")
    } else if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        Err("must start and end with a letter or digit")
    } else {
        Ok(())
    }
}

/// The `aws_*` bounds; each unset or unknown one keeps its default.
fn parse_aws_limits(state: &ProviderConfigState, errors: &mut Vec<Error>) -> AwsLimits {
    let mut limits = AwsLimits::default();
    let mut duration = |name: &'static str, value: &Value<String>, default: Duration| {
        let Some(text) = known(value) else {
            return default;
        };
        match parse_duration(&text) {
            Ok(parsed) if !parsed.is_zero() && parsed <= Duration::from_secs(3600) => parsed,
            Ok(_) => {
                errors.push(Error::invalid(
                    attr(name),
                    format!("`{name}` out of range"),
                    format!("`{text}` must be longer than zero and at most `1h`."),
                ));
                default
            }
            Err(problem) => {
                errors.push(Error::invalid(
                    attr(name),
                    format!("Invalid duration in `{name}`"),
                    format!("{problem}. Use Go-style durations such as `20s` or `2m`."),
                ));
                default
            }
        }
    };
    limits.attempt_timeout = duration(
        "aws_attempt_timeout",
        &state.aws_attempt_timeout,
        limits.attempt_timeout,
    );
    limits.operation_timeout = duration(
        "aws_operation_timeout",
        &state.aws_operation_timeout,
        limits.operation_timeout,
    );
    let mut count = |name: &'static str, value: &Value<i64>, default: u32| match value {
        Value::Value(n) if (1..=MAX_LIMIT).contains(n) => u32::try_from(*n).unwrap_or(default),
        Value::Value(n) => {
            errors.push(Error::invalid(
                attr(name),
                format!("`{name}` out of range"),
                format!("`{n}` must be between 1 and {MAX_LIMIT}."),
            ));
            default
        }
        Value::Null | Value::Unknown => default,
    };
    limits.max_attempts = count(
        "aws_max_attempts",
        &state.aws_max_attempts,
        limits.max_attempts,
    );
    limits.max_concurrency = count(
        "aws_max_concurrency",
        &state.aws_max_concurrency,
        limits.max_concurrency,
    );
    if limits.operation_timeout < limits.attempt_timeout {
        errors.push(Error::invalid(
            attr("aws_operation_timeout"),
            "`aws_operation_timeout` shorter than one attempt",
            "An operation includes its attempts: make `aws_operation_timeout` at least `aws_attempt_timeout`.",
        ));
    }
    limits
}

/// Validates a grant policy; paths of problems start at `path` (the block,
/// or the root of the policy file).
fn parse_grant_policy(
    state: &GrantPolicyState,
    path: AttributePath,
) -> Result<GrantPolicy, Vec<Error>> {
    let mut errors = Vec::new();
    let mut policy = GrantPolicy::default();

    let mut duration = |name: &'static str, value: &Value<String>| -> Option<Duration> {
        let text = known(value)?;
        match parse_duration(&text) {
            Ok(parsed) if parsed.is_zero() => {
                errors.push(Error::invalid(
                    path.clone().attribute(name),
                    format!("`{name}` must be longer than zero"),
                    "Use a duration such as `1h` or `30m`.",
                ));
                None
            }
            Ok(parsed) => Some(parsed),
            Err(problem) => {
                errors.push(Error::invalid(
                    path.clone().attribute(name),
                    format!("Invalid duration in `{name}`"),
                    format!("{problem}. Use Go-style durations such as `1h`, `45m` or `1h30m`."),
                ));
                None
            }
        }
    };
    let max_duration = duration("max_duration", &state.max_duration);
    if let Some(max) = duration("max_session_duration", &state.max_session_duration) {
        policy.max_session_duration = max;
    }
    match max_duration.map(check_max_duration_cap) {
        Some(Ok(max)) => policy.max_duration = max,
        Some(Err(hint)) => errors.push(Error::invalid(
            path.clone().attribute("max_duration"),
            "`max_duration` over the cap",
            hint,
        )),
        None => {}
    }

    let risk =
        |value: &Value<String>, at: AttributePath, errors: &mut Vec<Error>| -> Option<Risk> {
            let text = known(value)?;
            let parsed = Risk::parse(&text);
            if parsed.is_none() {
                errors.push(Error::invalid(
                    at,
                    "Unknown risk",
                    format!("`{text}` is not a risk; use `low` or `high`."),
                ));
            }
            parsed
        };
    if let Some(default_risk) = risk(
        &state.default_risk,
        path.clone().attribute("default_risk"),
        &mut errors,
    ) {
        policy.default_risk = default_risk;
    }

    for (index, set) in state.permission_set.iter().flatten().enumerate() {
        let set_path = path.clone().attribute("permission_set").index(index as i64);
        let Some(name) = known(&set.name) else {
            if set.name.is_null() {
                errors.push(Error::invalid(
                    set_path.attribute("name"),
                    "Permission set name is empty",
                    "Name the permission set, e.g. `JIT-S3FullAccess`.",
                ));
            }
            continue;
        };
        if policy.permission_sets.iter().any(|rule| rule.name == name) {
            errors.push(Error::invalid(
                set_path.clone().attribute("name"),
                "Duplicate permission set in `grant_policy`",
                format!(
                    "`{name}` is listed more than once; keep one `permission_set` block per name."
                ),
            ));
            continue;
        }
        let Some(set_risk) = risk(&set.risk, set_path.clone().attribute("risk"), &mut errors)
        else {
            if set.risk.is_null() {
                errors.push(Error::invalid(
                    set_path.attribute("risk"),
                    "Missing risk",
                    format!("Set `risk = \"low\"` or `\"high\"` for `{name}`."),
                ));
            }
            continue;
        };
        let mut approvers = Vec::new();
        for (approver_index, approver) in set.approvers.iter().flatten().enumerate() {
            match approver {
                Value::Value(text) if text.trim().is_empty() => errors.push(Error::invalid(
                    set_path
                        .clone()
                        .attribute("approvers")
                        .index(approver_index as i64),
                    "Empty approver",
                    "Remove the empty entry or name an Identity Center user.",
                )),
                Value::Value(text) => approvers.push(text.trim().to_string()),
                Value::Null | Value::Unknown => {}
            }
        }
        policy.permission_sets.push(PermissionSetRule {
            name,
            risk: set_risk,
            approvers,
            allow_break_glass: set
                .allow_break_glass
                .as_ref_option()
                .copied()
                .unwrap_or(true),
            end_sessions_on_revoke: set
                .end_sessions_on_revoke
                .as_ref_option()
                .copied()
                .unwrap_or(false),
        });
    }

    if errors.is_empty() {
        Ok(policy)
    } else {
        Err(errors)
    }
}

mod verification;
pub mod workspace;

#[cfg(test)]
mod tests;
