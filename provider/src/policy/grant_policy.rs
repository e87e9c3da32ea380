//! The rules every grant is checked against: risk classes, per permission
//! set rules and the duration maxima. `config` parses the provider block (or
//! the protected policy file) into these types.

use std::time::Duration;

/// Default longest grant and longest permission-set session.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(3600);

/// The largest `grant_policy.max_duration` accepted: 7 days. Just-in-time
/// access is for a task or an on-call shift; a week covers the longest
/// rotation, and anything longer is standing access, which belongs in a
/// reviewed standing assignment. It also keeps every expiry far inside
/// what the time arithmetic and Scheduler's `at()` can represent.
pub const MAX_DURATION_CAP: Duration = Duration::from_secs(7 * 24 * 3600);

/// Checks a configured `max_duration` against [`MAX_DURATION_CAP`]; the
/// error is the hint for the diagnostic.
pub fn check_max_duration_cap(max: Duration) -> Result<Duration, String> {
    if max > MAX_DURATION_CAP {
        return Err(format!(
            "`max_duration` may be at most `168h` (7 days): just-in-time access is for a task or an on-call shift; longer access is standing access and belongs in a reviewed standing assignment. Got {}s.",
            max.as_secs()
        ));
    }
    Ok(max)
}

/// Risk class of a permission set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Risk {
    /// Auto-approved.
    Low,
    /// Needs an approver who is not the requester.
    High,
}

impl Risk {
    /// Parses `low` / `high`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "low" => Some(Self::Low),
            "high" => Some(Self::High),
            _ => None,
        }
    }
    /// `low` / `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::High => "high",
        }
    }
}

/// Validated rules of one permission set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSetRule {
    /// Permission set name.
    pub name: String,
    /// Its risk.
    pub risk: Risk,
    /// Allowed approvers (empty: anyone but the requester).
    pub approvers: Vec<String>,
    /// Whether a break-glass grant (no approver) of this set is allowed.
    pub allow_break_glass: bool,
    /// Whether a manual revoke of a USER grant of this set also denies the
    /// user's sessions issued before the revoke (`policy::session_deny`).
    pub end_sessions_on_revoke: bool,
}

/// Validated `grant_policy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantPolicy {
    /// Longest grant.
    pub max_duration: Duration,
    /// Longest permission-set session duration allowed.
    pub max_session_duration: Duration,
    /// Risk of unlisted permission sets.
    pub default_risk: Risk,
    /// Listed permission sets.
    pub permission_sets: Vec<PermissionSetRule>,
}

impl Default for GrantPolicy {
    fn default() -> Self {
        Self {
            max_duration: DEFAULT_MAX_DURATION,
            max_session_duration: DEFAULT_MAX_DURATION,
            default_risk: Risk::High,
            permission_sets: Vec::new(),
        }
    }
}

impl GrantPolicy {
    /// The rule for a permission set name, if listed.
    pub fn rule(&self, permission_set_name: &str) -> Option<&PermissionSetRule> {
        self.permission_sets
            .iter()
            .find(|rule| rule.name == permission_set_name)
    }

    /// Whether revokes of grants of this permission set end live sessions.
    pub fn ends_sessions(&self, permission_set_name: &str) -> bool {
        self.rule(permission_set_name)
            .is_some_and(|rule| rule.end_sessions_on_revoke)
    }

    /// Whether any permission set ends live sessions on revoke.
    pub fn any_ends_sessions(&self) -> bool {
        self.permission_sets
            .iter()
            .any(|rule| rule.end_sessions_on_revoke)
    }
}

/// Refuses `end_sessions_on_revoke` for a GROUP grant; the error is the
/// diagnostic's detail.
pub fn check_end_sessions_principal(
    policy: &GrantPolicy,
    permission_set_name: &str,
    principal_type: &str,
) -> Result<(), String> {
    if principal_type == "GROUP" && policy.ends_sessions(permission_set_name) {
        return Err(format!(
            "The grant policy sets `end_sessions_on_revoke = true` for `{permission_set_name}`, which works only for USER grants: its deny statement names one user, and a group's members change between grant and revoke, so the provider does not build per-member statements. Grant the users one by one, or remove `end_sessions_on_revoke` for `{permission_set_name}` (then a revoke stops new sign-ins but sessions already issued run until they expire)."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_sessions_is_refused_for_groups_only_when_set() {
        let mut policy = GrantPolicy::default();
        policy.permission_sets.push(PermissionSetRule {
            name: "Ends".into(),
            risk: Risk::Low,
            approvers: Vec::new(),
            allow_break_glass: true,
            end_sessions_on_revoke: true,
        });
        assert!(policy.ends_sessions("Ends") && !policy.ends_sessions("Other"));
        let refused = check_end_sessions_principal(&policy, "Ends", "GROUP").unwrap_err();
        assert!(refused.contains("end_sessions_on_revoke"), "{refused}");
        assert!(refused.contains("members change"), "{refused}");
        assert_eq!(
            check_end_sessions_principal(&policy, "Ends", "USER"),
            Ok(())
        );
        assert_eq!(
            check_end_sessions_principal(&policy, "Other", "GROUP"),
            Ok(())
        );
    }
}
