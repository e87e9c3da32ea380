//! Pure planning of `jit_grant`: shape checks (no AWS, no configuration),
//! defaults, the typed [`Request`] parsed once per call, which input
//! changes force a replacement, and the errors of policy problems.

use std::time::Duration;

use tf_provider::value::Value;
use tf_provider::AttributePath;
use time::OffsetDateTime;

use super::{GrantState, Timeouts};
use crate::aws::identity_store::PrincipalKind;
use crate::aws::sso_admin::ASSIGNMENT_TIMEOUT;
use crate::error::{attr, Error};
use crate::framework::Errors;
use crate::inputs::identity_center::check_account_id;
use crate::policy::arn::check_arn;
use crate::policy::duration::parse_duration as parse_go_duration;
use crate::policy::grant::{
    check_approvers, check_break_glass, check_reason, parse_grant_duration, ApprovalRule,
    GrantProblem, Identity, Parties,
};
use crate::policy::grant_policy::Risk;
use crate::policy::lease::{expiry_after, fingerprint, AssignmentKey};
use crate::values::{is_unknown, known_str, known_str_list};

/// All inputs of a grant, known and parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// 12 digits.
    pub account_id: String,
    /// Approvers as written.
    pub approved_by: Vec<String>,
    /// Emergency grant without approval.
    pub break_glass: bool,
    /// The change (pull request) the grant was written for.
    pub change_ref: Option<String>,
    /// How long the access lasts.
    pub duration: Duration,
    /// `duration` as written (kept in the lease's bookkeeping).
    pub duration_text: String,
    /// Permission set name or ARN, as written.
    pub permission_set: String,
    /// User name, group display name or id, as written.
    pub principal: String,
    /// User or group.
    pub principal_type: PrincipalKind,
    /// Why.
    pub reason: String,
    /// Who asked.
    pub requested_by: String,
    /// Change or incident ticket.
    pub ticket: Option<String>,
}

impl Request {
    /// The request of a state whose `duration` parsed to `duration`; `None`
    /// while any other input is unknown.
    pub fn new(state: &GrantState, duration: Duration) -> Option<Self> {
        let known = |value: &Value<String>| value.as_ref_option().cloned();
        if is_unknown(&state.ticket)
            || is_unknown(&state.break_glass)
            || is_unknown(&state.change_ref)
        {
            return None;
        }
        let principal_type = match state.principal_type.as_ref_option() {
            Some(kind) => PrincipalKind::parse(kind)?,
            None if state.principal_type.is_null() => PrincipalKind::User,
            None => return None,
        };
        Some(Self {
            account_id: known(&state.account_id)?,
            approved_by: known_str_list(&state.approved_by)?,
            break_glass: state.break_glass.as_ref_option().copied().unwrap_or(false),
            change_ref: known_str(&state.change_ref).map(str::to_string),
            duration,
            duration_text: known(&state.duration)?,
            permission_set: known(&state.permission_set)?,
            principal: known(&state.principal)?,
            principal_type,
            reason: known(&state.reason)?,
            requested_by: known(&state.requested_by)?,
            ticket: known_str(&state.ticket).map(str::to_string),
        })
    }

    /// [`fingerprint`] of the grant's inputs (besides the assignment key):
    /// the same grant planned again has the same one.
    pub fn fingerprint(&self) -> String {
        let duration = self.duration.as_secs().to_string();
        let approvers = self.approved_by.join("\u{1f}");
        fingerprint(&[
            &self.principal,
            &self.permission_set,
            &duration,
            &self.requested_by,
            &approvers,
            if self.break_glass { "true" } else { "false" },
            &self.reason,
            self.ticket.as_deref().unwrap_or_default(),
        ])
    }

    /// The request of a state, its duration parsed here; `Ok(None)` while
    /// any input is unknown.
    pub fn from_state(state: &GrantState) -> Result<Option<Self>, GrantProblem> {
        match parse_duration(state) {
            Some(duration) => Ok(Self::new(state, duration?)),
            None => Ok(None),
        }
    }
}

/// The grant's `duration`, parsed; `None` while unknown or unset.
pub fn parse_duration(state: &GrantState) -> Option<Result<Duration, GrantProblem>> {
    state
        .duration
        .as_ref_option()
        .map(|text| parse_grant_duration(text))
}

/// Shape checks that need no AWS and no provider configuration; unknown
/// values are skipped. Returns the duration, parsed once, when it is known
/// and valid.
pub fn check_shape(state: &GrantState) -> (Option<Duration>, Errors) {
    let mut errors = Errors::default();
    for (name, value, what, example) in [
        (
            "principal",
            &state.principal,
            "principal",
            "alice@example.com",
        ),
        (
            "permission_set",
            &state.permission_set,
            "permission set",
            "JIT-S3FullAccess",
        ),
        (
            "requested_by",
            &state.requested_by,
            "requester",
            "alice@example.com",
        ),
    ] {
        if value.as_ref_option().is_some_and(|v| v.trim().is_empty()) {
            errors.push(Error::invalid(
                attr(name),
                format!("Empty {what}"),
                format!("Set `{name}`, e.g. `{example}`."),
            ));
        }
    }
    if let Some(kind) = known_str(&state.principal_type) {
        if PrincipalKind::parse(kind).is_none() {
            errors.push(Error::invalid(
                attr("principal_type"),
                "Unknown principal type",
                format!("`{kind}` is not a principal type; use `USER` or `GROUP`."),
            ));
        }
    }
    errors.check(check_account_id(&state.account_id));
    if let Some(set) = known_str(&state.permission_set).filter(|s| s.starts_with("arn:")) {
        if let Err(problem) = check_arn(set, "sso").and_then(|()| {
            if set.contains(":permissionSet/") {
                Ok(())
            } else {
                Err("is not a permission set ARN".to_string())
            }
        }) {
            errors.push(Error::invalid(
                attr("permission_set"),
                "Malformed permission set ARN",
                format!("`{set}` {problem}; expected `arn:aws:sso:::permissionSet/ssoins-…/ps-…` or a permission set name."),
            ));
        }
    }
    let duration =
        parse_duration(state).and_then(|parsed| errors.check(parsed.map_err(problem_error)));
    if let Value::Value(timeouts) = &state.timeouts {
        for (name, value) in [("create", &timeouts.create), ("delete", &timeouts.delete)] {
            if let Some(text) = known_str(value) {
                errors.check(parse_timeout(name, text));
            }
        }
    }
    if let Some(reason) = state.reason.as_ref_option() {
        errors.check(check_reason(reason).map_err(problem_error));
    }
    if let (Some(break_glass), false) =
        (state.break_glass.as_ref_option(), is_unknown(&state.ticket))
    {
        errors.check(
            check_break_glass(*break_glass, known_str(&state.ticket)).map_err(problem_error),
        );
    }
    if let (Some(approvers), Some(requested_by)) = (
        known_str_list(&state.approved_by),
        state.requested_by.as_ref_option(),
    ) {
        // Only what needs no policy: blanks, duplicates, self-approval.
        let parties = Parties {
            requester: Identity::named(requested_by),
            principal: state
                .principal
                .as_ref_option()
                .map(|p| Identity::named(p))
                .unwrap_or_default(),
            ..Parties::default()
        };
        let rule = ApprovalRule {
            risk: Risk::Low,
            allowed: Vec::new(),
            allow_break_glass: true,
        };
        let approvers: Vec<Identity> = approvers.iter().map(|a| Identity::named(a)).collect();
        for problem in check_approvers("", &rule, false, &approvers, &parties) {
            errors.push(problem_error(problem));
        }
    }
    if let Some(change_ref) = state.change_ref.as_ref_option() {
        if change_ref.trim().is_empty() || change_ref.trim() != change_ref {
            errors.push(Error::invalid(
                attr("change_ref"),
                "Blank or padded `change_ref`",
                format!("`{change_ref}` is compared exactly with `JIT_CHANGE_REF`: write the change as CI names it, e.g. `acme/access#42`, or remove `change_ref`."),
            ));
        }
    }
    (duration, errors)
}

/// The longest accepted `timeouts` value.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(2 * 3600);

/// Parses one `timeouts` value: a Go-style duration, longer than zero and
/// at most [`MAX_TIMEOUT`]; errors name `timeouts[0].<name>`.
pub fn parse_timeout(name: &'static str, text: &str) -> Result<Duration, Error> {
    let path = attr("timeouts").index(0).attribute(name);
    match parse_go_duration(text) {
        Ok(parsed) if !parsed.is_zero() && parsed <= MAX_TIMEOUT => Ok(parsed),
        Ok(_) => Err(Error::invalid(
            path,
            format!("Timeout `{name}` out of range"),
            format!("`{text}` must be longer than zero and at most `2h`."),
        )),
        Err(problem) => Err(Error::invalid(
            path,
            format!("Invalid duration in timeout `{name}`"),
            format!("{problem}. Use a Go-style duration such as `5m` or `90s`."),
        )),
    }
}

/// The `timeouts` of a state, defaults for what is unset or invalid.
fn timeouts(state: &GrantState) -> (Duration, Duration) {
    let pick = |name: &'static str, pick: fn(&Timeouts) -> &Value<String>| match &state.timeouts {
        Value::Value(timeouts) => known_str(pick(timeouts))
            .and_then(|text| parse_timeout(name, text).ok())
            .unwrap_or(ASSIGNMENT_TIMEOUT),
        _ => ASSIGNMENT_TIMEOUT,
    };
    (pick("create", |t| &t.create), pick("delete", |t| &t.delete))
}

/// How long a create waits for the assignment (`timeouts.create`).
pub fn create_timeout(state: &GrantState) -> Duration {
    timeouts(state).0
}

/// How long a destroy waits for the assignment's removal
/// (`timeouts.delete`).
pub fn delete_timeout(state: &GrantState) -> Duration {
    timeouts(state).1
}

/// A grant planned now must have an expiry a lease can name: an error on
/// `duration` otherwise (past year 9999).
pub fn check_expiry(state: &GrantState, duration: Duration) -> Result<(), Error> {
    match expiry_after(now(), whole_seconds(duration)) {
        Some(_) => Ok(()),
        None => Err(Error::invalid(
            attr("duration"),
            "Grant expiry out of range",
            format!(
                "`{}` from now is past the year 9999, which no lease can name. Use a shorter duration.",
                known_str(&state.duration).unwrap_or_default()
            ),
        )),
    }
}

/// Defaults of optional inputs the provider fills in.
pub fn apply_defaults(state: &mut GrantState) {
    if state.principal_type.is_null() {
        state.principal_type = Value::Value(PrincipalKind::User.as_str().to_string());
    }
    if state.break_glass.is_null() {
        state.break_glass = Value::Value(false);
    }
}

/// The inputs whose change forces a replacement; `duration` is the planned
/// duration as parsed by [`check_shape`]. Right after an import
/// (`requested_by` not yet known), `requested_by` and `approved_by` are
/// adopted from the configuration; a duration written differently but equal
/// (`60m` for `1h`) is not a change.
pub fn replacements(
    prior: &GrantState,
    planned: &GrantState,
    duration: Option<Duration>,
) -> Vec<AttributePath> {
    let adopting = prior.requested_by.is_null();
    let prior_duration = parse_duration(prior).and_then(Result::ok);
    let approvers = |state: &GrantState| known_str_list(&state.approved_by).unwrap_or_default();
    [
        ("account_id", prior.account_id != planned.account_id),
        (
            "approved_by",
            !adopting
                && (approvers(prior) != approvers(planned) || is_unknown(&planned.approved_by)),
        ),
        ("break_glass", prior.break_glass != planned.break_glass),
        (
            "duration",
            is_unknown(&planned.duration) || prior_duration.is_none() || prior_duration != duration,
        ),
        (
            "permission_set",
            prior.permission_set != planned.permission_set,
        ),
        ("principal", prior.principal != planned.principal),
        (
            "principal_type",
            prior.principal_type != planned.principal_type,
        ),
        (
            "requested_by",
            !adopting && prior.requested_by != planned.requested_by,
        ),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(name, _)| attr(name))
    .collect()
}

/// The assignment key stored in state.
pub fn key_of(state: &GrantState) -> Option<AssignmentKey> {
    Some(AssignmentKey::new(
        known_str(&state.instance_arn)?,
        known_str(&state.account_id)?,
        known_str(&state.permission_set_arn)?,
        known_str(&state.principal_type)?,
        known_str(&state.principal_id)?,
    ))
}

/// A policy problem as an error on its attribute.
pub fn problem_error(problem: GrantProblem) -> Error {
    let (name, index) = problem.attribute();
    let path = match index {
        Some(index) => attr(name).index(index as i64),
        None => attr(name),
    };
    Error::invalid(path, problem.to_string(), problem.hint())
}

/// The access is assigned already, without any grant's lease.
pub fn standing_assignment(request: &Request) -> Error {
    Error::invalid(
        attr("principal"),
        "Standing assignment exists",
        format!(
            "`{}` already has `{}` in account `{}` without any grant's lease. A grant would remove that standing access at expiry; remove the standing assignment first, or do not grant it.",
            request.principal, request.permission_set, request.account_id
        ),
    )
}

/// A non-blank environment variable.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Now, in whole seconds (Scheduler's precision).
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// A duration rounded up to whole seconds (Scheduler's precision).
pub fn whole_seconds(duration: Duration) -> time::Duration {
    let seconds = duration
        .as_secs()
        .saturating_add(u64::from(duration.subsec_nanos() > 0));
    time::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
}
