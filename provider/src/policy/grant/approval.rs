//! Who must and who may approve a grant: risk and allowed approvers of a
//! permission set, the four-eyes rules, verified approvals and the change an
//! approval belongs to. Pure.
//!
//! People are [`Identity`] values: the name the change (or CI) wrote and the
//! Identity Center user id it resolved to. Who must be kept apart (the
//! approver from the requester, the principal, the group's members and the
//! change's authors) is compared by id and, as a second net, by every name a
//! person is known by; who counts positively (an allowed approver, a verified
//! approver) only by id, so a name nobody resolved never counts.

use super::GrantProblem;
use crate::policy::grant_policy::{GrantPolicy, Risk};

/// Case- and space-insensitive name comparison.
pub fn same_identity(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The entries of a comma-separated list (`JIT_CHANGE_AUTHOR`,
/// `JIT_VERIFIED_APPROVERS`), trimmed, blanks dropped.
pub fn name_list(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// A person (or group) as written, and the identity store id it resolved to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Identity store id; `None` when not looked up or not found.
    pub id: Option<String>,
    /// Every name it is known by, the one written first (then the user
    /// name and emails, when looked up).
    pub names: Vec<String>,
}

impl Identity {
    /// A name nobody looked up.
    pub fn named(name: &str) -> Self {
        Self {
            id: None,
            names: vec![name.trim().to_string()],
        }
    }

    /// A name and the id it resolved to (`None`: it did not resolve).
    pub fn resolved(name: &str, id: Option<String>) -> Self {
        Self {
            id,
            names: vec![name.trim().to_string()],
        }
    }

    /// The name as written.
    pub fn name(&self) -> &str {
        self.names.first().map_or("", String::as_str)
    }

    /// The same person: the same id, or a name in common. For keeping people
    /// apart, where a false match refuses and a missed one would let someone
    /// approve their own access.
    pub fn is(&self, other: &Identity) -> bool {
        let same_id = matches!((&self.id, &other.id), (Some(a), Some(b)) if a == b);
        same_id
            || self
                .names
                .iter()
                .any(|a| other.names.iter().any(|b| same_identity(a, b)))
    }

    /// The same resolved person: both have an id and the ids are equal. For
    /// what counts positively (allowed or verified approvers).
    pub fn is_by_id(&self, other: &Identity) -> bool {
        matches!((&self.id, &other.id), (Some(a), Some(b)) if a == b)
    }
}

/// Risk, allowed approvers and break-glass rule of a permission set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRule {
    /// Effective risk.
    pub risk: Risk,
    /// Who may approve; empty means anyone eligible. Ids are filled when
    /// the names are looked up.
    pub allowed: Vec<Identity>,
    /// Whether break-glass is allowed for this permission set.
    pub allow_break_glass: bool,
}

impl ApprovalRule {
    /// The rule of a permission set (by name): its own block, else the
    /// default risk with no approver list and break-glass allowed.
    pub fn of(policy: &GrantPolicy, permission_set_name: &str) -> Self {
        match policy.rule(permission_set_name) {
            Some(rule) => Self {
                risk: rule.risk,
                allowed: rule.approvers.iter().map(|a| Identity::named(a)).collect(),
                allow_break_glass: rule.allow_break_glass,
            },
            None => Self {
                risk: policy.default_risk,
                allowed: Vec::new(),
                allow_break_glass: true,
            },
        }
    }

    /// Whether an approval is required: high risk, unless an allowed
    /// break-glass.
    pub fn approval_required(&self, break_glass: bool) -> bool {
        self.risk == Risk::High && !(break_glass && self.allow_break_glass)
    }

    /// The allowed approvers as the policy writes them.
    pub fn allowed_names(&self) -> Vec<String> {
        self.allowed.iter().map(|a| a.name().to_string()).collect()
    }
}

/// Who is involved in a grant, for the four-eyes rules.
#[derive(Debug, Clone, Default)]
pub struct Parties {
    /// `requested_by`.
    pub requester: Identity,
    /// The principal: its id and names (input form, user name, emails; for a
    /// group its display name).
    pub principal: Identity,
    /// For a group principal: its name and its members (by user id).
    pub group: Option<(String, Vec<Identity>)>,
    /// `JIT_CHANGE_AUTHOR`: everyone who wrote or pushed the change.
    pub change_authors: Vec<Identity>,
    /// The approvers were looked up in the identity store: one without an
    /// id does not exist there.
    pub resolved: bool,
}

/// Checks `approved_by` (and break-glass) against the rule and the parties;
/// every problem is returned, in order.
pub fn check_approvers(
    permission_set: &str,
    rule: &ApprovalRule,
    break_glass: bool,
    approvers: &[Identity],
    parties: &Parties,
) -> Vec<GrantProblem> {
    let mut problems = Vec::new();
    if break_glass && !rule.allow_break_glass {
        problems.push(GrantProblem::BreakGlassNotAllowed {
            permission_set: permission_set.to_string(),
        });
    }
    for (index, approver) in approvers.iter().enumerate() {
        let who = approver.name().to_string();
        if who.is_empty() {
            problems.push(GrantProblem::EmptyApprover { index });
            continue;
        }
        if approvers[..index]
            .iter()
            .any(|earlier| earlier.is(approver))
        {
            problems.push(GrantProblem::DuplicateApprover {
                index,
                approver: who,
            });
            continue;
        }
        if parties.resolved && approver.id.is_none() {
            problems.push(GrantProblem::ApproverNotFound {
                index,
                approver: who,
            });
            continue;
        }
        if parties.requester.is(approver) {
            problems.push(GrantProblem::ApproverIsRequester {
                index,
                approver: who,
            });
        } else if parties.principal.is(approver) {
            problems.push(GrantProblem::ApproverIsPrincipal {
                index,
                approver: who,
            });
        } else if let Some((group, _)) = parties
            .group
            .as_ref()
            .filter(|(_, members)| members.iter().any(|m| m.is(approver)))
        {
            problems.push(GrantProblem::ApproverInPrincipalGroup {
                index,
                approver: who,
                group: group.clone(),
            });
        } else if parties.change_authors.iter().any(|a| a.is(approver)) {
            problems.push(GrantProblem::ApproverIsChangeAuthor {
                index,
                approver: who,
            });
        } else if !rule.allowed.is_empty()
            && !rule.allowed.iter().any(|allowed| {
                if parties.resolved {
                    allowed.is_by_id(approver)
                } else {
                    allowed.is(approver)
                }
            })
        {
            problems.push(GrantProblem::ApproverNotAllowed {
                index,
                approver: who,
                permission_set: permission_set.to_string(),
                allowed: rule.allowed_names(),
            });
        }
    }
    if rule.approval_required(break_glass) && approvers.iter().all(|a| a.name().is_empty()) {
        problems.push(GrantProblem::MissingApprover {
            permission_set: permission_set.to_string(),
            allowed: rule.allowed_names(),
            break_glass_allowed: rule.allow_break_glass,
        });
    }
    problems
}

/// Splits the approvers into those in the verified list (by id: an entry of
/// either side that did not resolve never matches) and the names of the
/// others.
pub fn split_verified<'a>(
    approvers: &'a [Identity],
    verified: &[Identity],
) -> (Vec<&'a Identity>, Vec<String>) {
    let mut ok = Vec::new();
    let mut missing = Vec::new();
    for approver in approvers.iter().filter(|a| !a.name().is_empty()) {
        if verified.iter().any(|v| v.is_by_id(approver)) {
            ok.push(approver);
        } else {
            missing.push(approver.name().to_string());
        }
    }
    (ok, missing)
}

/// The apply-time check: with verification on, every approver of a
/// high-risk grant must be a verified approver of the change. Returns the
/// verified approvers (empty when verification is off).
pub fn check_verified<'a>(
    required: bool,
    rule: &ApprovalRule,
    approvers: &'a [Identity],
    verified: &[Identity],
) -> Result<Vec<&'a Identity>, GrantProblem> {
    if !required {
        return Ok(Vec::new());
    }
    let (ok, missing) = split_verified(approvers, verified);
    if rule.risk == Risk::High && !missing.is_empty() {
        return Err(GrantProblem::UnverifiedApprovers { missing });
    }
    Ok(ok)
}

/// The plan-time change check: whenever the change being planned is known
/// (`JIT_CHANGE_REF`), a high-risk grant created or replaced must carry it
/// in `change_ref`, so the approvals of this change are the ones that count.
pub fn check_change_ref_at_plan(
    risk: Risk,
    change_ref: Option<&str>,
    current: Option<&str>,
) -> Result<(), GrantProblem> {
    match current {
        Some(current) if risk == Risk::High && change_ref != Some(current) => {
            Err(GrantProblem::ChangeRefToSet {
                written: change_ref.map(str::to_string),
                current: current.to_string(),
            })
        }
        _ => Ok(()),
    }
}

/// The apply-time change check: with verification on, a high-risk grant is
/// created only by the apply of the change it was written for; approvals of
/// any other change (or of no change) do not count for it.
pub fn check_change_ref_at_apply(
    verifying: bool,
    risk: Risk,
    change_ref: Option<&str>,
    current: Option<&str>,
) -> Result<(), GrantProblem> {
    if !verifying || risk != Risk::High {
        return Ok(());
    }
    match (change_ref, current) {
        (Some(written), Some(current)) if written == current => Ok(()),
        _ => Err(GrantProblem::ChangeRefMismatch {
            written: change_ref.map(str::to_string),
            current: current.map(str::to_string),
        }),
    }
}
