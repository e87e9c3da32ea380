//! What must come from outside the change: the verified-approvals switch
//! (`JIT_REQUIRE_VERIFIED_APPROVALS`, fail closed), the grant policy from the
//! protected file `JIT_GRANT_POLICY_FILE`, and an audit destination.

use serde::Deserialize;
use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::{
    parse_grant_policy, ConfigEnv, ConfigWarning, GrantPolicyState, PermissionSetState,
    PolicySource, ProviderConfig, ProviderConfigState, AUDIT_LOG_ENV, AUDIT_S3_BUCKET_ENV,
    AUDIT_S3_PREFIX_ENV, GRANT_POLICY_FILE_ENV, REQUIRE_VERIFIED_ENV,
};
use crate::error::{attr, Error};

/// Words that turn verification on (any case).
const ON: &[&str] = &["1", "true", "yes", "on"];
/// Words that leave it off (any case); an empty value is off too.
const OFF: &[&str] = &["0", "false", "no", "off"];

/// Reads `JIT_REQUIRE_VERIFIED_APPROVALS`: `None` when unset.
pub fn parse_flag(value: &str) -> Option<bool> {
    let value = value.trim();
    if value.is_empty() || OFF.iter().any(|w| w.eq_ignore_ascii_case(value)) {
        Some(false)
    } else if ON.iter().any(|w| w.eq_ignore_ascii_case(value)) {
        Some(true)
    } else {
        None
    }
}

/// Whether verified approvals are required: the environment turns them on
/// whatever the configuration says; a value that is neither on nor off is
/// an error (fail closed).
pub fn required(env: Option<&str>, attribute: Option<bool>) -> Result<bool, Error> {
    let from_env = match env {
        None => false,
        Some(value) => parse_flag(value).ok_or_else(|| {
            Error::invalid(
                AttributePath::root(),
                format!("Invalid `{REQUIRE_VERIFIED_ENV}`"),
                format!(
                    "`{value}` is neither on (`1`, `true`, `yes`, `on`) nor off (`0`, `false`, `no`, `off`, empty); any case. Nothing is planned or applied until it is one of these, so a mistyped value cannot switch verification off."
                ),
            )
        })?,
    };
    Ok(from_env || attribute.unwrap_or(false))
}

/// `JIT_GRANT_POLICY_FILE` as JSON: exactly the `grant_policy` block's
/// arguments.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct PolicyJson {
    max_duration: Option<String>,
    max_session_duration: Option<String>,
    default_risk: Option<String>,
    permission_set: Option<Vec<PermissionSetJson>>,
}

/// One `permission_set` object of the policy file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct PermissionSetJson {
    name: Option<String>,
    risk: Option<String>,
    approvers: Option<Vec<String>>,
    allow_break_glass: Option<bool>,
    end_sessions_on_revoke: Option<bool>,
}

fn value<T>(option: Option<T>) -> Value<T> {
    option.map_or(Value::Null, Value::Value)
}

/// The policy file's text as the block's state; the error is serde's
/// (unknown key, wrong type, bad JSON) with its line and column.
pub fn policy_file_state(text: &str) -> Result<GrantPolicyState, String> {
    // serde reads a struct from an array too (fields by position): only
    // objects are accepted, at the top and in `permission_set`.
    let shape: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if !shape.is_object() {
        return Err("the policy is not a JSON object".to_string());
    }
    if let Some(sets) = shape.get("permission_set").and_then(|sets| sets.as_array()) {
        if let Some(index) = sets.iter().position(|set| !set.is_object()) {
            return Err(format!("`permission_set[{index}]` is not a JSON object"));
        }
    }
    let json: PolicyJson = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(GrantPolicyState {
        max_duration: value(json.max_duration),
        max_session_duration: value(json.max_session_duration),
        default_risk: value(json.default_risk),
        permission_set: value(json.permission_set.map(|sets| {
            sets.into_iter()
                .map(|set| PermissionSetState {
                    name: value(set.name),
                    risk: value(set.risk),
                    approvers: value(
                        set.approvers
                            .map(|list| list.into_iter().map(Value::Value).collect()),
                    ),
                    allow_break_glass: value(set.allow_break_glass),
                    end_sessions_on_revoke: value(set.end_sessions_on_revoke),
                })
                .collect()
        })),
    })
}

/// The grant policy: from `JIT_GRANT_POLICY_FILE` when set (an inline block
/// is then ignored with a warning), else from the block. With verification
/// on, only the file counts: no file, or an inline block, is an error.
pub fn grant_policy(
    state: &ProviderConfigState,
    env: &ConfigEnv,
    config: &mut ProviderConfig,
    errors: &mut Vec<Error>,
) {
    let inline = match &state.grant_policy {
        Value::Value(policy) => Some(policy),
        _ => None,
    };
    let verifying = config.require_verified_approvals;
    if verifying && inline.is_some() {
        errors.push(Error::invalid(
            attr("grant_policy"),
            "Inline `grant_policy` not allowed with verified approvals",
            format!("Verified approvals are on, so the grant policy must come from `{GRANT_POLICY_FILE_ENV}`, a file the change cannot edit. A `grant_policy` block is part of the change: any pull request could write its own rules (for example in an aliased provider or a `*_override.tf` file) and make its grants low risk. Remove the block and keep the rules in the protected policy file."),
        ));
    }
    match (&env.grant_policy_file, inline) {
        (Some(file), _) => {
            if let Some(_inline) = inline.filter(|_| !verifying) {
                config.warnings.push(ConfigWarning {
                    summary: "Inline `grant_policy` ignored".to_string(),
                    detail: format!("`{GRANT_POLICY_FILE_ENV}` is set (`{}`): every configuration of this provider, aliases and `*_override.tf` files included, uses the rules in that file. Remove the `grant_policy` block; it has no effect.", file.path),
                    path: attr("grant_policy"),
                });
            }
            match read_policy_file(file) {
                Ok(policy) => {
                    config.grant_policy = policy;
                    config.grant_policy_source = PolicySource::File(file.path.clone());
                }
                Err(mut file_errors) => errors.append(&mut file_errors),
            }
        }
        (None, _) if verifying => errors.push(Error::invalid(
            AttributePath::root(),
            "No grant policy file",
            format!("Verified approvals are on, but `{GRANT_POLICY_FILE_ENV}` is not set: the grant policy must come from a file the change cannot edit. Set `{GRANT_POLICY_FILE_ENV}` to the protected policy (the example apply workflow takes it from the commit before the change)."),
        )),
        (None, Some(policy)) => match parse_grant_policy(policy, attr("grant_policy").index(0)) {
            Ok(policy) => {
                config.grant_policy = policy;
                config.grant_policy_source = PolicySource::Inline;
            }
            Err(mut policy_errors) => errors.append(&mut policy_errors),
        },
        (None, None) => {}
    }
}

/// Reads and validates the policy file; every problem names the file and
/// where in it.
fn read_policy_file(
    file: &super::PolicyFile,
) -> Result<crate::policy::grant_policy::GrantPolicy, Vec<Error>> {
    let path = &file.path;
    let text = file.contents.as_ref().map_err(|problem| {
        vec![Error::invalid(
            AttributePath::root(),
            "Grant policy file unreadable",
            format!("`{GRANT_POLICY_FILE_ENV}` names `{path}`, which cannot be read: {problem}. Nothing is planned or applied without the policy."),
        )]
    })?;
    let state = policy_file_state(text).map_err(|problem| {
        vec![Error::invalid(
            AttributePath::root(),
            "Invalid grant policy file",
            format!("`{path}` (`{GRANT_POLICY_FILE_ENV}`): {problem}. The file is a JSON object whose keys are exactly the `grant_policy` block's arguments (`max_duration`, `max_session_duration`, `default_risk`, `permission_set`); `permission_set` is an array of objects with `name`, `risk`, `approvers`, `allow_break_glass` and `end_sessions_on_revoke`."),
        )]
    })?;
    parse_grant_policy(&state, AttributePath::root()).map_err(|errors| {
        errors
            .into_iter()
            .map(|error| {
                let (summary, hint, at) = error.into_parts(AttributePath::root());
                Error::invalid(
                    AttributePath::root(),
                    format!("{summary} in the grant policy file"),
                    format!("`{at}` in `{path}` (`{GRANT_POLICY_FILE_ENV}`): {hint}"),
                )
            })
            .collect()
    })
}

/// With verification on, the provider block may not set what decides where
/// the evidence goes or what the reviewer sees: the block is part of the
/// change, so an aliased provider or a `*_override.tf` file could send its
/// own grants' audit events nowhere or hide their summaries.
pub fn settings_of_the_change(
    state: &ProviderConfigState,
    config: &ProviderConfig,
    errors: &mut Vec<Error>,
) {
    if !config.require_verified_approvals {
        return;
    }
    for (name, set, instead) in [
        (
            "audit_log_path",
            !state.audit_log_path.is_null(),
            format!("env `{AUDIT_LOG_ENV}`"),
        ),
        (
            "audit_s3_bucket",
            !state.audit_s3_bucket.is_null(),
            format!("env `{AUDIT_S3_BUCKET_ENV}`"),
        ),
        (
            "audit_s3_prefix",
            !state.audit_s3_prefix.is_null(),
            format!("env `{AUDIT_S3_PREFIX_ENV}`"),
        ),
        (
            "reviewer_summaries",
            state.reviewer_summaries.as_ref_option() == Some(&false),
            "nothing: summaries stay on".to_string(),
        ),
    ] {
        if set {
            errors.push(Error::invalid(
                attr(name),
                format!("`{name}` not allowed with verified approvals"),
                format!("Verified approvals are on, so where the audit events go and what the reviewer sees must not come from the change: any pull request could set `{name}` in an aliased provider or a `*_override.tf` file for its own grants. Remove it and use {instead}, set by the protected apply workflow."),
            ));
        }
    }
}

/// Every change leaves an audit record somewhere: without a destination,
/// a warning; with verification on, an error unless the environment names
/// a file or bucket (a topic in the block is part of the change).
/// `s3_bucket_set` also counts a bucket not known until apply.
pub fn audit_destination(
    config: &mut ProviderConfig,
    env: &ConfigEnv,
    s3_bucket_set: bool,
    errors: &mut Vec<Error>,
) {
    if config.require_verified_approvals {
        if env.audit_log.is_none() && env.audit_s3_bucket.is_none() {
            errors.push(Error::invalid(
                AttributePath::root(),
                "No audit destination",
                format!("Verified approvals are on, and every access change must leave an audit record the change cannot redirect: set env `{AUDIT_LOG_ENV}` or `{AUDIT_S3_BUCKET_ENV}` in the protected apply workflow."),
            ));
        }
        return;
    }
    if config.audit_log_path.is_some() || config.notification_topic_arn.is_some() || s3_bucket_set {
        return;
    }
    {
        config.warnings.push(ConfigWarning {
            summary: "No audit destination".to_string(),
            detail: "Neither `audit_log_path` (nor env `JIT_AUDIT_LOG`), `audit_s3_bucket` nor `notification_topic_arn` is set: access changes are made without an audit record. Set one of them.".to_string(),
            path: AttributePath::root(),
        });
    }
}
