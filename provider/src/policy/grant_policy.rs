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
}
