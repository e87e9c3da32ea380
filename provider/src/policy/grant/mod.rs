//! The rules of `jit_grant`, pure: durations against the policy maximum,
//! meaningful reasons, session lengths and grant status here; risk, required
//! approvers, four-eyes rules, verified approvals and the change an approval
//! belongs to in [`approval`].
//!
//! Each refusal is a [`GrantProblem`] whose `Display` is the diagnostic
//! summary, whose [`GrantProblem::hint`] says what to do and whose
//! [`GrantProblem::attribute`] names the input it is about.

use std::time::Duration;

use time::OffsetDateTime;

use super::duration::{format_duration, parse_duration};

mod approval;
#[cfg(test)]
mod tests;

pub use approval::{
    check_approvers, check_change_ref_at_apply, check_change_ref_at_plan, check_verified,
    name_list, same_identity, split_verified, ApprovalRule, Identity, Parties,
};

/// Shortest accepted `reason`, in characters (whitespace excluded).
pub const MIN_REASON_CHARS: usize = 10;
/// Words a reason needs at least, so it says what and why.
pub const MIN_REASON_WORDS: usize = 2;

/// Why a grant was refused at plan or apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantProblem {
    /// `duration` is not a Go-style duration.
    #[error("Invalid grant duration")]
    MalformedDuration {
        /// The parser's explanation.
        reason: String,
    },
    /// `duration` is zero.
    #[error("Grant duration must be longer than zero")]
    ZeroDuration,
    /// `duration` is over `grant_policy.max_duration`.
    #[error("Grant duration over the maximum")]
    DurationOverMaximum {
        /// As written.
        duration: String,
        /// The policy maximum.
        max: Duration,
    },
    /// `reason` is blank or too short to mean anything.
    #[error("Grant reason is too short")]
    ReasonTooShort {
        /// As written.
        reason: String,
    },
    /// `break_glass = true` without `ticket`.
    #[error("Break-glass grant needs a ticket")]
    BreakGlassWithoutTicket,
    /// A high-risk grant without approvers (and not break-glass).
    #[error("Grant needs an approver")]
    MissingApprover {
        /// Permission set name.
        permission_set: String,
        /// Who may approve (empty: anyone eligible).
        allowed: Vec<String>,
        /// Whether break-glass is an alternative.
        break_glass_allowed: bool,
    },
    /// An approver is the requester.
    #[error("Approver is the requester")]
    ApproverIsRequester {
        /// Index in `approved_by`.
        index: usize,
        /// The approver.
        approver: String,
    },
    /// An approver is the principal receiving the access.
    #[error("Approver receives the access")]
    ApproverIsPrincipal {
        /// Index in `approved_by`.
        index: usize,
        /// The approver.
        approver: String,
    },
    /// An approver is a member of the principal group.
    #[error("Approver is a member of the granted group")]
    ApproverInPrincipalGroup {
        /// Index in `approved_by`.
        index: usize,
        /// The approver.
        approver: String,
        /// The group.
        group: String,
    },
    /// An approver wrote the change (`JIT_CHANGE_AUTHOR`).
    #[error("Approver is the change author")]
    ApproverIsChangeAuthor {
        /// Index in `approved_by`.
        index: usize,
        /// The approver.
        approver: String,
    },
    /// An approver is not in the permission set's `approvers` list.
    #[error("Approver not allowed for this permission set")]
    ApproverNotAllowed {
        /// Index in `approved_by`.
        index: usize,
        /// The approver.
        approver: String,
        /// Permission set name.
        permission_set: String,
        /// The allowed approvers.
        allowed: Vec<String>,
    },
    /// The same approver is listed twice.
    #[error("Duplicate approver")]
    DuplicateApprover {
        /// Index in `approved_by`.
        index: usize,
        /// The approver.
        approver: String,
    },
    /// An approver entry is blank.
    #[error("Empty approver")]
    EmptyApprover {
        /// Index in `approved_by`.
        index: usize,
    },
    /// The permission set's sessions outlive `max_session_duration`.
    #[error("Permission set session duration over the maximum")]
    SessionTooLong {
        /// Permission set name.
        permission_set: String,
        /// Its session duration.
        session: Duration,
        /// The policy maximum.
        max: Duration,
    },
    /// Verified approvals are required and some approvers are not verified.
    #[error("Approval not verified")]
    UnverifiedApprovers {
        /// Approvers missing from `JIT_VERIFIED_APPROVERS`.
        missing: Vec<String>,
    },
    /// `break_glass = true` on a permission set whose policy forbids it.
    #[error("Break-glass not allowed for this permission set")]
    BreakGlassNotAllowed {
        /// Permission set name.
        permission_set: String,
    },
    /// An approver is no Identity Center user (by user name, email or id).
    #[error("Approver not found")]
    ApproverNotFound {
        /// Index in `approved_by`.
        index: usize,
        /// The approver.
        approver: String,
    },
    /// At plan: a high-risk grant of this change does not carry its
    /// `JIT_CHANGE_REF` in `change_ref`.
    #[error("Grant not written for this change")]
    ChangeRefToSet {
        /// `change_ref` as written, if set.
        written: Option<String>,
        /// `JIT_CHANGE_REF`.
        current: String,
    },
    /// At apply, with verification on: the grant was written for another
    /// change than the one applied (or no change is applied).
    #[error("Approvals of another change do not count")]
    ChangeRefMismatch {
        /// `change_ref` as written, if set.
        written: Option<String>,
        /// `JIT_CHANGE_REF`, if set.
        current: Option<String>,
    },
}

impl GrantProblem {
    /// The input attribute the problem is about, and the index in
    /// `approved_by` when it is about one approver.
    pub fn attribute(&self) -> (&'static str, Option<usize>) {
        match self {
            Self::MalformedDuration { .. }
            | Self::ZeroDuration
            | Self::DurationOverMaximum { .. } => ("duration", None),
            Self::ReasonTooShort { .. } => ("reason", None),
            // `ticket` is absent in the configuration: point at the flag.
            Self::BreakGlassWithoutTicket => ("break_glass", None),
            Self::MissingApprover { .. } | Self::UnverifiedApprovers { .. } => {
                ("approved_by", None)
            }
            Self::BreakGlassNotAllowed { .. } => ("break_glass", None),
            Self::ChangeRefToSet { .. } | Self::ChangeRefMismatch { .. } => ("change_ref", None),
            Self::ApproverIsRequester { index, .. }
            | Self::ApproverIsPrincipal { index, .. }
            | Self::ApproverInPrincipalGroup { index, .. }
            | Self::ApproverIsChangeAuthor { index, .. }
            | Self::ApproverNotAllowed { index, .. }
            | Self::DuplicateApprover { index, .. }
            | Self::ApproverNotFound { index, .. }
            | Self::EmptyApprover { index } => ("approved_by", Some(*index)),
            Self::SessionTooLong { .. } => ("permission_set", None),
        }
    }

    /// What to do about it (values in backticks).
    pub fn hint(&self) -> String {
        match self {
            Self::MalformedDuration { reason } => {
                format!("{reason}. Use a Go-style duration such as `1h`, `45m` or `1h30m`.")
            }
            Self::ZeroDuration => "Use a duration such as `30m` or `1h`.".to_string(),
            Self::DurationOverMaximum { duration, max } => format!(
                "`{duration}` is longer than `grant_policy.max_duration` (`{}`). Ask for at most `{}` and renew with a new change if needed.",
                format_duration(*max),
                format_duration(*max)
            ),
            Self::ReasonTooShort { reason } => format!(
                "`{reason}` does not say why access is needed. Write at least {MIN_REASON_WORDS} words and {MIN_REASON_CHARS} characters, e.g. `Investigate failing lifecycle rule on bucket logs`."
            ),
            Self::BreakGlassWithoutTicket => {
                "Break-glass grants skip approval and must name the incident: set `ticket`, e.g. `INC-42`.".to_string()
            }
            Self::MissingApprover {
                permission_set,
                allowed,
                break_glass_allowed,
            } => {
                let who = if allowed.is_empty() {
                    "someone other than `requested_by`, the principal and the change's authors".to_string()
                } else {
                    format!("one of {}", backticked(allowed))
                };
                let emergency = if *break_glass_allowed {
                    ", or use `break_glass` with a `ticket` in an emergency"
                } else {
                    " (break-glass is not allowed for it)"
                };
                format!("`{permission_set}` is high risk; add `approved_by` with {who}{emergency}.")
            }
            Self::ApproverIsRequester { approver, .. } => format!(
                "`{approver}` asked for this grant and cannot approve it (four eyes). Ask someone else to approve."
            ),
            Self::ApproverIsPrincipal { approver, .. } => format!(
                "`{approver}` receives this access and cannot approve it (four eyes). Ask someone else to approve."
            ),
            Self::ApproverInPrincipalGroup {
                approver, group, ..
            } => format!(
                "`{approver}` is a member of `{group}`, which receives this access, and cannot approve it. Ask someone outside the group."
            ),
            Self::ApproverIsChangeAuthor { approver, .. } => format!(
                "`{approver}` wrote this change (`JIT_CHANGE_AUTHOR`) and cannot approve it. Ask a reviewer to approve."
            ),
            Self::ApproverNotAllowed {
                approver,
                permission_set,
                allowed,
                ..
            } => format!(
                "`{approver}` may not approve `{permission_set}`; `grant_policy` allows {}.",
                backticked(allowed)
            ),
            Self::DuplicateApprover { approver, .. } => {
                format!("`{approver}` is listed twice; list each approver once.")
            }
            Self::EmptyApprover { .. } => {
                "Remove the empty entry or name the approving user.".to_string()
            }
            Self::SessionTooLong {
                permission_set,
                session,
                max,
            } => format!(
                "Sessions of `{permission_set}` last `{}`, longer than `grant_policy.max_session_duration` (`{}`): a session started during the grant would outlive it by that long. Shorten the permission set's session duration.",
                format_duration(*session),
                format_duration(*max)
            ),
            Self::UnverifiedApprovers { missing } => format!(
                "{} did not approve this change: not a verified approver in `JIT_VERIFIED_APPROVERS` (compared by Identity Center user id). Nothing was granted; get the approval and run the apply again.",
                backticked(missing)
            ),
            Self::BreakGlassNotAllowed { permission_set } => format!(
                "The grant policy sets `allow_break_glass = false` for `{permission_set}`: it is granted only with an approver. Remove `break_glass` and add `approved_by`."
            ),
            Self::ApproverNotFound { approver, .. } => format!(
                "`{approver}` is not an Identity Center user name, email or user id in the identity store (or the email belongs to several users). Name the approver as Identity Center knows them."
            ),
            Self::ChangeRefToSet { written, current } => {
                let written = match written {
                    Some(written) => format!("It says `change_ref = \"{written}\"`: approvals of `{current}` would not count for it."),
                    None => "It has no `change_ref`.".to_string(),
                };
                format!(
                    "This change is `{current}` (`JIT_CHANGE_REF`) and the grant is high risk. {written} Set `change_ref = \"{current}\"` so that the approvals of this change are the ones that count."
                )
            }
            Self::ChangeRefMismatch { written, current } => format!(
                "Written for change {}; approvals of change {} do not count. Nothing was granted. A high-risk grant is created only by the apply of the change it names in `change_ref`: write it again, with that change's `change_ref`, in a change its approvers approve.",
                written.as_deref().map_or("(none: `change_ref` is not set)".to_string(), |w| format!("`{w}`")),
                current.as_deref().map_or("(none: `JIT_CHANGE_REF` is not set, this apply is no pull request's merge)".to_string(), |c| format!("`{c}`")),
            ),
        }
    }
}

fn backticked(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses `duration`: a Go-style duration longer than zero.
pub fn parse_grant_duration(text: &str) -> Result<Duration, GrantProblem> {
    let duration = parse_duration(text).map_err(|e| GrantProblem::MalformedDuration {
        reason: e.to_string(),
    })?;
    if duration.is_zero() {
        return Err(GrantProblem::ZeroDuration);
    }
    Ok(duration)
}

/// Checks a parsed `duration` (written as `text`) against the policy maximum
/// (never above [`super::grant_policy::MAX_DURATION_CAP`]).
pub fn check_max_duration(
    text: &str,
    duration: Duration,
    max: Duration,
) -> Result<(), GrantProblem> {
    let max = max.min(super::grant_policy::MAX_DURATION_CAP);
    if duration > max {
        return Err(GrantProblem::DurationOverMaximum {
            duration: text.trim().to_string(),
            max,
        });
    }
    Ok(())
}

/// Parses `duration` and checks it against the policy maximum, if known.
pub fn check_duration(text: &str, max: Option<Duration>) -> Result<Duration, GrantProblem> {
    let duration = parse_grant_duration(text)?;
    if let Some(max) = max {
        check_max_duration(text, duration, max)?;
    }
    Ok(duration)
}

/// A reason must say something: [`MIN_REASON_WORDS`] words and
/// [`MIN_REASON_CHARS`] characters without whitespace.
pub fn check_reason(reason: &str) -> Result<(), GrantProblem> {
    let words = reason.split_whitespace().count();
    let chars = reason.chars().filter(|c| !c.is_whitespace()).count();
    if words < MIN_REASON_WORDS || chars < MIN_REASON_CHARS {
        return Err(GrantProblem::ReasonTooShort {
            reason: reason.trim().to_string(),
        });
    }
    Ok(())
}

/// Break-glass needs a ticket.
pub fn check_break_glass(break_glass: bool, ticket: Option<&str>) -> Result<(), GrantProblem> {
    if break_glass && ticket.is_none_or(|t| t.trim().is_empty()) {
        return Err(GrantProblem::BreakGlassWithoutTicket);
    }
    Ok(())
}

/// Checks a permission set's session duration (ISO 8601, e.g. `PT1H`)
/// against `max_session_duration`. A session duration AWS did not send is
/// Identity Center's default, one hour.
pub fn check_session_duration(
    permission_set: &str,
    session_duration: Option<&str>,
    max: Duration,
) -> Result<(), GrantProblem> {
    let session = session_duration
        .and_then(parse_iso8601_duration)
        .unwrap_or(Duration::from_secs(3600));
    if session > max {
        return Err(GrantProblem::SessionTooLong {
            permission_set: permission_set.to_string(),
            session,
            max,
        });
    }
    Ok(())
}

/// Parses the ISO 8601 durations Identity Center uses (`PT1H`, `PT30M`,
/// `PT12H`, `PT1H30M`, `PT3600S`, `P1D`).
pub fn parse_iso8601_duration(text: &str) -> Option<Duration> {
    let rest = text.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut seconds: u64 = 0;
    let mut any = false;
    let mut add = |part: &str, units: &[(char, u64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let (_, factor) = units.iter().find(|(unit, _)| *unit == c)?;
            let value: u64 = number.parse().ok()?;
            seconds = seconds.checked_add(value.checked_mul(*factor)?)?;
            number.clear();
            any = true;
        }
        number.is_empty().then_some(())
    };
    add(date, &[('W', 604_800), ('D', 86_400)])?;
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        add(time, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    any.then(|| Duration::from_secs(seconds))
}

/// What a grant's refresh found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Assigned, before expiry.
    Active,
    /// Over: expired and the assignment is gone (or belongs to a later grant).
    Expired,
    /// The assignment vanished before expiry (revoked outside this grant).
    Revoked,
    /// Still assigned after expiry, with no later grant: server-side expiry
    /// failed; destroy removes it.
    Overdue,
}

impl Status {
    /// `ACTIVE`, `EXPIRED`, `REVOKED`, `OVERDUE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Expired => "EXPIRED",
            Self::Revoked => "REVOKED",
            Self::Overdue => "OVERDUE",
        }
    }

    /// Parses the words of [`Status::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ACTIVE" => Some(Self::Active),
            "EXPIRED" => Some(Self::Expired),
            "REVOKED" => Some(Self::Revoked),
            "OVERDUE" => Some(Self::Overdue),
            _ => None,
        }
    }
}

/// What refresh observed about a grant.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    /// Now.
    pub now: OffsetDateTime,
    /// The grant's expiry.
    pub expires_at: OffsetDateTime,
    /// The assignment exists.
    pub assigned: bool,
    /// Another grant's live lease covers the assignment.
    pub covered_by_other_grant: bool,
}

/// The grant's status. `EXPIRED` and `REVOKED` are final: a grant that
/// ended is never active again by itself, even if the same access is granted
/// again by someone else.
pub fn derive_status(prior: Option<Status>, seen: Observation) -> Status {
    match prior {
        Some(Status::Expired) => return Status::Expired,
        Some(Status::Revoked) => return Status::Revoked,
        _ => {}
    }
    let expired = seen.now >= seen.expires_at;
    match (expired, seen.assigned) {
        (false, true) => Status::Active,
        (false, false) => Status::Revoked,
        (true, false) => Status::Expired,
        (true, true) if seen.covered_by_other_grant => Status::Expired,
        (true, true) => Status::Overdue,
    }
}
