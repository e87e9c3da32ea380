//! The standing-access roles and the assembly of a role's group policy.

use std::fmt;
use std::str::FromStr;

use super::conditions::{self, Conditions};
use super::document::{PolicyDocument, GROUP_INLINE_POLICY_LIMIT};
use super::{grants, Environment, PolicyError};

/// A standing-access role: the `<role>` part of `<prefix>-<env>-<role>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Full control, minus tampering with audit, organization and security services.
    InfraManager,
    /// Reads and edits common infrastructure; cannot delete clusters, databases or
    /// audit evidence, and cannot write IAM.
    InfraMember,
    /// Application services: broad in `dev`, read-mostly in `staging`, none in `prod`.
    Developer,
    /// Read-only access to security services and IAM.
    SecurityEngineer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [
        Role::InfraManager,
        Role::InfraMember,
        Role::Developer,
        Role::SecurityEngineer,
    ];

    /// The kebab-case name used in configuration and group names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InfraManager => "infra-manager",
            Self::InfraMember => "infra-member",
            Self::Developer => "developer",
            Self::SecurityEngineer => "security-engineer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = PolicyError;

    /// Parses the kebab-case name exactly (no case folding, no spaces).
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| PolicyError::UnknownRole {
                value: value.to_string(),
            })
    }
}

/// Builds the inline policy of the group `<prefix>-<env>-<role>`.
///
/// Statements come in a fixed order: the role's grants and guard rails, the
/// self-service statements every user needs (own password, own access keys, own
/// virtual MFA device), then the MFA deny when `require_mfa` is set and the
/// source-network deny when `allowed_ip_ranges` is not empty. The same input
/// always gives byte-identical JSON.
///
/// Checks, in this order: a developer in `prod` ([`PolicyError::DeveloperInProd`]),
/// MFA off in `prod` ([`PolicyError::MfaRequiredInProd`]), each IP range and VPC
/// endpoint ID, and finally the size against [`GROUP_INLINE_POLICY_LIMIT`]
/// ([`PolicyError::TooLarge`]).
pub fn role_policy(
    environment: Environment,
    role: Role,
    conditions: &Conditions,
) -> Result<PolicyDocument, PolicyError> {
    if role == Role::Developer && environment == Environment::Prod {
        return Err(PolicyError::DeveloperInProd);
    }
    if environment == Environment::Prod && !conditions.require_mfa {
        return Err(PolicyError::MfaRequiredInProd);
    }
    let network = conditions::source_network_statement(conditions)?;

    let mut statements = grants::role_statements(environment, role);
    statements.extend(conditions::self_service_statements());
    if conditions.require_mfa {
        statements.push(conditions::mfa_statement());
    }
    statements.extend(network);

    let document = PolicyDocument::new(statements)?;
    let size = document.size_without_whitespace();
    if size > GROUP_INLINE_POLICY_LIMIT {
        return Err(PolicyError::TooLarge {
            size,
            limit: GROUP_INLINE_POLICY_LIMIT,
        });
    }
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_each_role() {
        let cases = [
            ("infra-manager", Role::InfraManager),
            ("infra-member", Role::InfraMember),
            ("developer", Role::Developer),
            ("security-engineer", Role::SecurityEngineer),
        ];
        for (text, role) in cases {
            assert_eq!(text.parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), text);
        }
        assert_eq!(Role::ALL.len(), cases.len());
    }

    #[test]
    fn rejects_unknown_roles() {
        for text in ["", "admin", "Developer", "infra_manager", "developer "] {
            assert_eq!(
                text.parse::<Role>(),
                Err(PolicyError::UnknownRole {
                    value: text.to_string()
                })
            );
        }
    }
}
