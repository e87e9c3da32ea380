//! The rules of `jit_grant`, pure: durations against the policy maximum,
//! meaningful reasons, risk and required approvers of a permission set,
//! four-eyes approval rules, verified approvals and grant status.
//!
//! Each refusal is a [`GrantProblem`] whose `Display` is the diagnostic
//! summary, whose [`GrantProblem::hint`] says what to do and whose
//! [`GrantProblem::attribute`] names the input it is about.

use std::time::Duration;

use time::OffsetDateTime;

use super::duration::{format_duration, parse_duration};
use super::grant_policy::{GrantPolicy, Risk};

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
            Self::ApproverIsRequester { index, .. }
            | Self::ApproverIsPrincipal { index, .. }
            | Self::ApproverInPrincipalGroup { index, .. }
            | Self::ApproverIsChangeAuthor { index, .. }
            | Self::ApproverNotAllowed { index, .. }
            | Self::DuplicateApprover { index, .. }
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
            } => {
                if allowed.is_empty() {
                    format!("`{permission_set}` is high risk; add `approved_by` with someone other than `requested_by`, the principal and the change author, or use `break_glass` with a `ticket` in an emergency.")
                } else {
                    format!(
                        "`{permission_set}` is high risk; add `approved_by` with one of {}, or use `break_glass` with a `ticket` in an emergency.",
                        backticked(allowed)
                    )
                }
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
                "{} did not approve the pull request: not in `JIT_VERIFIED_APPROVERS`. Nothing was granted; get the approval and run the apply again.",
                backticked(missing)
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

/// Case- and space-insensitive identity comparison.
pub fn same_identity(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Parses `duration` and checks it against the policy maximum.
pub fn check_duration(text: &str, max: Option<Duration>) -> Result<Duration, GrantProblem> {
    let duration = parse_duration(text).map_err(|e| GrantProblem::MalformedDuration {
        reason: e.to_string(),
    })?;
    if duration.is_zero() {
        return Err(GrantProblem::ZeroDuration);
    }
    if let Some(max) = max {
        if duration > max {
            return Err(GrantProblem::DurationOverMaximum {
                duration: text.trim().to_string(),
                max,
            });
        }
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

/// Risk and allowed approvers of a permission set under the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRule {
    /// Effective risk.
    pub risk: Risk,
    /// Who may approve; empty means anyone eligible.
    pub allowed: Vec<String>,
}

impl ApprovalRule {
    /// The rule of a permission set (by name): its own block, else the
    /// default risk with no approver list.
    pub fn of(policy: &GrantPolicy, permission_set_name: &str) -> Self {
        match policy.rule(permission_set_name) {
            Some(rule) => Self {
                risk: rule.risk,
                allowed: rule.approvers.clone(),
            },
            None => Self {
                risk: policy.default_risk,
                allowed: Vec::new(),
            },
        }
    }

    /// Whether an approval is required (high risk and not break-glass).
    pub fn approval_required(&self, break_glass: bool) -> bool {
        self.risk == Risk::High && !break_glass
    }
}

/// Who is involved in a grant, for the four-eyes rules. Identities are user
/// names or emails; comparison ignores case.
#[derive(Debug, Clone, Default)]
pub struct Parties<'a> {
    /// `requested_by`.
    pub requested_by: &'a str,
    /// Names of the principal: its input form, user name and emails (for a
    /// group: its display name).
    pub principal: Vec<String>,
    /// For a group principal: its name, and the user names and emails of
    /// its members.
    pub group: Option<(String, Vec<String>)>,
    /// `JIT_CHANGE_AUTHOR`, when CI names one.
    pub change_author: Option<&'a str>,
}

/// Checks `approved_by` against the rule and the parties; every problem is
/// returned, in order.
pub fn check_approvers(
    permission_set: &str,
    rule: &ApprovalRule,
    break_glass: bool,
    approvers: &[String],
    parties: &Parties<'_>,
) -> Vec<GrantProblem> {
    let mut problems = Vec::new();
    for (index, approver) in approvers.iter().enumerate() {
        let approver = approver.trim();
        let who = approver.to_string();
        if approver.is_empty() {
            problems.push(GrantProblem::EmptyApprover { index });
            continue;
        }
        if approvers[..index]
            .iter()
            .any(|earlier| same_identity(earlier, approver))
        {
            problems.push(GrantProblem::DuplicateApprover {
                index,
                approver: who,
            });
            continue;
        }
        if same_identity(parties.requested_by, approver) {
            problems.push(GrantProblem::ApproverIsRequester {
                index,
                approver: who,
            });
        } else if parties
            .principal
            .iter()
            .any(|name| same_identity(name, approver))
        {
            problems.push(GrantProblem::ApproverIsPrincipal {
                index,
                approver: who,
            });
        } else if let Some((group, _)) = parties
            .group
            .as_ref()
            .filter(|(_, members)| members.iter().any(|m| same_identity(m, approver)))
        {
            problems.push(GrantProblem::ApproverInPrincipalGroup {
                index,
                approver: who,
                group: group.clone(),
            });
        } else if parties
            .change_author
            .is_some_and(|author| same_identity(author, approver))
        {
            problems.push(GrantProblem::ApproverIsChangeAuthor {
                index,
                approver: who,
            });
        } else if !rule.allowed.is_empty()
            && !rule.allowed.iter().any(|a| same_identity(a, approver))
        {
            problems.push(GrantProblem::ApproverNotAllowed {
                index,
                approver: who,
                permission_set: permission_set.to_string(),
                allowed: rule.allowed.clone(),
            });
        }
    }
    if rule.approval_required(break_glass) && approvers.iter().all(|a| a.trim().is_empty()) {
        problems.push(GrantProblem::MissingApprover {
            permission_set: permission_set.to_string(),
            allowed: rule.allowed.clone(),
        });
    }
    problems
}

/// The approvers not listed in `JIT_VERIFIED_APPROVERS` (comma-separated).
pub fn unverified_approvers(approvers: &[String], verified: Option<&str>) -> Vec<String> {
    let verified: Vec<&str> = verified
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    approvers
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty() && !verified.iter().any(|v| same_identity(v, a)))
        .map(str::to_string)
        .collect()
}

/// The apply-time check: with verification on, every approver of a grant
/// that needs approval must be verified.
pub fn check_verified(
    required: bool,
    rule: &ApprovalRule,
    approvers: &[String],
    verified: Option<&str>,
) -> Result<(), GrantProblem> {
    if !required || rule.risk != Risk::High {
        return Ok(());
    }
    let missing = unverified_approvers(approvers, verified);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(GrantProblem::UnverifiedApprovers { missing })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::grant_policy::PermissionSetRule;
    use time::macros::datetime;

    fn policy() -> GrantPolicy {
        GrantPolicy {
            max_duration: Duration::from_secs(3600),
            max_session_duration: Duration::from_secs(3600),
            default_risk: Risk::High,
            permission_sets: vec![
                PermissionSetRule {
                    name: "JIT-S3FullAccess".into(),
                    risk: Risk::Low,
                    approvers: vec![],
                },
                PermissionSetRule {
                    name: "JIT-EmergencyAdmin".into(),
                    risk: Risk::High,
                    approvers: vec!["manager@example.com".into()],
                },
            ],
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn durations_are_checked_against_the_maximum() {
        let max = Some(Duration::from_secs(3600));
        let cases: Vec<(&str, Result<u64, &str>)> = vec![
            ("1h", Ok(3600)),
            ("30m", Ok(1800)),
            ("59m59s", Ok(3599)),
            ("3s", Ok(3)),
            ("1h1s", Err("Grant duration over the maximum")),
            ("2h", Err("Grant duration over the maximum")),
            ("0", Err("Grant duration must be longer than zero")),
            ("0s", Err("Grant duration must be longer than zero")),
            ("", Err("Invalid grant duration")),
            ("an hour", Err("Invalid grant duration")),
            ("1d", Err("Invalid grant duration")),
        ];
        for (text, expected) in cases {
            let got = check_duration(text, max)
                .map(|d| d.as_secs())
                .map_err(|p| p.to_string());
            assert_eq!(got, expected.map_err(str::to_string), "{text}");
        }
        // Without a known maximum only the shape is checked.
        assert!(check_duration("48h", None).is_ok());
        let hint = check_duration("2h", max).unwrap_err().hint();
        assert!(hint.contains("`2h`") && hint.contains("`1h`"), "{hint}");
        assert_eq!(
            check_duration("2h", max).unwrap_err().attribute(),
            ("duration", None)
        );
    }

    #[test]
    fn reasons_must_say_something() {
        for ok in [
            "Investigate failing lifecycle rule",
            "Fix INC-42 now",
            "  Rotate   the keys ",
        ] {
            assert_eq!(check_reason(ok), Ok(()), "{ok}");
        }
        for bad in ["", "   ", "test", "debugging", "fix it", "n/a n/a"] {
            assert!(
                matches!(check_reason(bad), Err(GrantProblem::ReasonTooShort { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn break_glass_needs_a_ticket() {
        assert_eq!(check_break_glass(false, None), Ok(()));
        assert_eq!(check_break_glass(true, Some("INC-1")), Ok(()));
        for ticket in [None, Some(""), Some("  ")] {
            assert_eq!(
                check_break_glass(true, ticket),
                Err(GrantProblem::BreakGlassWithoutTicket)
            );
        }
        assert_eq!(
            GrantProblem::BreakGlassWithoutTicket.attribute(),
            ("break_glass", None)
        );
    }

    #[test]
    fn risk_comes_from_the_permission_set_block_else_the_default() {
        let policy = policy();
        assert_eq!(
            ApprovalRule::of(&policy, "JIT-S3FullAccess"),
            ApprovalRule {
                risk: Risk::Low,
                allowed: vec![]
            }
        );
        assert_eq!(
            ApprovalRule::of(&policy, "JIT-EmergencyAdmin").allowed,
            strings(&["manager@example.com"])
        );
        assert_eq!(ApprovalRule::of(&policy, "Unlisted").risk, Risk::High);
        let low_default = GrantPolicy {
            default_risk: Risk::Low,
            ..policy
        };
        assert_eq!(ApprovalRule::of(&low_default, "Unlisted").risk, Risk::Low);
        assert!(ApprovalRule::of(&low_default, "JIT-EmergencyAdmin").approval_required(false));
        assert!(!ApprovalRule::of(&low_default, "JIT-EmergencyAdmin").approval_required(true));
        assert!(!ApprovalRule::of(&low_default, "JIT-S3FullAccess").approval_required(false));
    }

    #[test]
    fn approver_rules_table() {
        let policy = policy();
        let parties = Parties {
            requested_by: "alice@example.com",
            principal: strings(&["alice", "alice@example.com"]),
            group: None,
            change_author: Some("octocat"),
        };
        let group_parties = Parties {
            requested_by: "alice@example.com",
            principal: strings(&["Oncall"]),
            group: Some(("Oncall".into(), strings(&["carol", "carol@example.com"]))),
            change_author: None,
        };
        type Case<'a> = (
            &'a str,
            &'a str,
            bool,
            Vec<&'a str>,
            &'a Parties<'a>,
            Vec<&'a str>,
        );
        let cases: Vec<Case<'_>> = vec![
            // Low risk: no approver needed.
            (
                "low, none",
                "JIT-S3FullAccess",
                false,
                vec![],
                &parties,
                vec![],
            ),
            // High risk, default rule: anyone eligible.
            (
                "high, bob",
                "Unlisted",
                false,
                vec!["bob@example.com"],
                &parties,
                vec![],
            ),
            (
                "high, none",
                "Unlisted",
                false,
                vec![],
                &parties,
                vec!["Grant needs an approver"],
            ),
            (
                "high, blank",
                "Unlisted",
                false,
                vec![" "],
                &parties,
                vec!["Empty approver", "Grant needs an approver"],
            ),
            (
                "break-glass, none",
                "Unlisted",
                true,
                vec![],
                &parties,
                vec![],
            ),
            (
                "requester",
                "Unlisted",
                false,
                vec!["ALICE@example.com "],
                &parties,
                vec!["Approver is the requester"],
            ),
            (
                "principal by user name",
                "Unlisted",
                false,
                vec!["alice"],
                &parties,
                vec!["Approver receives the access"],
            ),
            (
                "change author",
                "Unlisted",
                false,
                vec!["Octocat"],
                &parties,
                vec!["Approver is the change author"],
            ),
            (
                "group member",
                "Unlisted",
                false,
                vec!["carol@example.com"],
                &group_parties,
                vec!["Approver is a member of the granted group"],
            ),
            (
                "group itself",
                "Unlisted",
                false,
                vec!["oncall"],
                &group_parties,
                vec!["Approver receives the access"],
            ),
            (
                "not member",
                "Unlisted",
                false,
                vec!["bob"],
                &group_parties,
                vec![],
            ),
            // Listed approvers.
            (
                "allowed",
                "JIT-EmergencyAdmin",
                false,
                vec!["Manager@Example.com"],
                &parties,
                vec![],
            ),
            (
                "not allowed",
                "JIT-EmergencyAdmin",
                false,
                vec!["bob@example.com"],
                &parties,
                vec!["Approver not allowed for this permission set"],
            ),
            (
                "low risk, any approver",
                "JIT-S3FullAccess",
                false,
                vec!["bob"],
                &parties,
                vec![],
            ),
            (
                "duplicate",
                "JIT-EmergencyAdmin",
                false,
                vec!["manager@example.com", "MANAGER@example.com"],
                &parties,
                vec!["Duplicate approver"],
            ),
            (
                "two problems",
                "JIT-EmergencyAdmin",
                false,
                vec!["alice@example.com", "bob"],
                &parties,
                vec![
                    "Approver is the requester",
                    "Approver not allowed for this permission set",
                ],
            ),
        ];
        for (name, permission_set, break_glass, approvers, parties, expected) in cases {
            let rule = ApprovalRule::of(&policy, permission_set);
            let problems = check_approvers(
                permission_set,
                &rule,
                break_glass,
                &strings(&approvers),
                parties,
            );
            let summaries: Vec<String> = problems.iter().map(ToString::to_string).collect();
            assert_eq!(summaries, strings(&expected), "{name}");
        }
    }

    #[test]
    fn approver_problems_point_at_the_entry_and_explain() {
        let policy = policy();
        let rule = ApprovalRule::of(&policy, "JIT-EmergencyAdmin");
        let parties = Parties {
            requested_by: "alice",
            ..Parties::default()
        };
        let problems = check_approvers(
            "JIT-EmergencyAdmin",
            &rule,
            false,
            &strings(&["manager@example.com", "bob"]),
            &parties,
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].attribute(), ("approved_by", Some(1)));
        let hint = problems[0].hint();
        assert!(
            hint.contains("`bob`") && hint.contains("`manager@example.com`"),
            "{hint}"
        );
        let missing = check_approvers("JIT-EmergencyAdmin", &rule, false, &[], &parties);
        assert_eq!(missing[0].attribute(), ("approved_by", None));
        assert!(missing[0].hint().contains("`manager@example.com`"));
    }

    #[test]
    fn verified_approvers_come_from_the_environment_list() {
        let approvers = strings(&["manager@example.com", "bob"]);
        assert_eq!(
            unverified_approvers(&approvers, Some(" Manager@example.com , bob")),
            Vec::<String>::new()
        );
        assert_eq!(
            unverified_approvers(&approvers, Some("bob")),
            strings(&["manager@example.com"])
        );
        assert_eq!(unverified_approvers(&approvers, None), approvers);
        assert_eq!(unverified_approvers(&approvers, Some(",,")), approvers);

        let high = ApprovalRule {
            risk: Risk::High,
            allowed: vec![],
        };
        let low = ApprovalRule {
            risk: Risk::Low,
            allowed: vec![],
        };
        assert_eq!(check_verified(false, &high, &approvers, None), Ok(()));
        assert_eq!(check_verified(true, &low, &approvers, None), Ok(()));
        assert_eq!(check_verified(true, &high, &[], None), Ok(()));
        let error = check_verified(true, &high, &approvers, Some("bob")).unwrap_err();
        assert_eq!(
            error,
            GrantProblem::UnverifiedApprovers {
                missing: strings(&["manager@example.com"])
            }
        );
        assert!(error.hint().contains("`manager@example.com`"));
    }

    #[test]
    fn iso8601_session_durations() {
        let cases = [
            ("PT1H", Some(3600)),
            ("PT30M", Some(1800)),
            ("PT12H", Some(43200)),
            ("PT1H30M", Some(5400)),
            ("PT3600S", Some(3600)),
            ("P1D", Some(86400)),
            ("P1DT1H", Some(90000)),
            ("3600", None),
            ("PT", None),
            ("P", None),
            ("PT1X", None),
            ("PT1", None),
            ("1H", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_iso8601_duration(text).map(|d| d.as_secs()),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn session_duration_against_the_maximum() {
        let max = Duration::from_secs(3600);
        assert_eq!(check_session_duration("PS", Some("PT1H"), max), Ok(()));
        assert_eq!(check_session_duration("PS", Some("PT30M"), max), Ok(()));
        // Not sent: Identity Center's default of one hour.
        assert_eq!(check_session_duration("PS", None, max), Ok(()));
        let error = check_session_duration("PS", Some("PT12H"), max).unwrap_err();
        assert_eq!(error.attribute(), ("permission_set", None));
        assert!(error.hint().contains("`12h`") && error.hint().contains("`1h`"));
        assert!(check_session_duration("PS", None, Duration::from_secs(1800)).is_err());
    }

    #[test]
    fn status_table() {
        let expiry = datetime!(2024-05-01 13:00 UTC);
        let before = datetime!(2024-05-01 12:30 UTC);
        let after = datetime!(2024-05-01 13:30 UTC);
        let seen = |now, assigned, covered| Observation {
            now,
            expires_at: expiry,
            assigned,
            covered_by_other_grant: covered,
        };
        use Status::*;
        let cases = [
            (None, seen(before, true, false), Active),
            (Some(Active), seen(before, true, true), Active),
            (Some(Active), seen(before, false, false), Revoked),
            (Some(Active), seen(after, false, false), Expired),
            (Some(Active), seen(expiry, false, false), Expired),
            (Some(Active), seen(after, true, false), Overdue),
            (Some(Active), seen(after, true, true), Expired),
            (Some(Overdue), seen(after, false, false), Expired),
            (Some(Overdue), seen(after, true, false), Overdue),
            // Final states stay final, even if the access comes back.
            (Some(Revoked), seen(before, true, false), Revoked),
            (Some(Revoked), seen(after, true, false), Revoked),
            (Some(Expired), seen(after, true, false), Expired),
        ];
        for (prior, observation, expected) in cases {
            assert_eq!(
                derive_status(prior, observation),
                expected,
                "{prior:?} {observation:?}"
            );
        }
        for status in [Active, Expired, Revoked, Overdue] {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("active"), None);
    }
}
