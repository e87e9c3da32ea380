//! Who must and who may approve a grant: risk and allowed approvers of a
//! permission set, the four-eyes rules, and verified approvals. Pure.

use super::GrantProblem;
use crate::policy::grant_policy::{GrantPolicy, Risk};

/// Case- and space-insensitive identity comparison.
pub fn same_identity(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
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
