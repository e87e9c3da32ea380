//! Errors of the policy library.
//!
//! Each variant's `Display` is the diagnostic summary (values in backticks) and
//! [`PolicyError::hint`] is the detail: one sentence telling the user what to do.

use super::environment::Environment;
use super::role::Role;

/// Why a role policy, a name or a condition value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The environment is not one of `dev`, `staging`, `prod`.
    #[error("unknown environment `{value}`")]
    UnknownEnvironment {
        /// The value as given.
        value: String,
    },
    /// The role is not one of the four standing-access roles.
    #[error("unknown role `{value}`")]
    UnknownRole {
        /// The value as given.
        value: String,
    },
    /// `require_mfa = false` was asked for in `prod`.
    #[error("MFA cannot be switched off in `prod`")]
    MfaRequiredInProd,
    /// Developers get no standing access in `prod`.
    #[error("the `developer` role has no standing access in `prod`")]
    DeveloperInProd,
    /// An entry of `allowed_ip_ranges` is not a canonical CIDR block.
    #[error("invalid CIDR block `{value}`: {reason}")]
    InvalidCidr {
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An entry of `allowed_vpc_endpoint_ids` is not a VPC endpoint ID.
    #[error("invalid VPC endpoint ID `{value}`")]
    InvalidVpcEndpoint {
        /// The value as given.
        value: String,
    },
    /// VPC endpoint IDs were given without any IP range to widen.
    #[error("`allowed_vpc_endpoint_ids` is set but `allowed_ip_ranges` is empty")]
    VpcEndpointsWithoutIpRanges,
    /// The group name prefix cannot form valid IAM group names.
    #[error("invalid name prefix `{value}`: {reason}")]
    InvalidNamePrefix {
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The policy is larger than IAM accepts for a group's inline policies.
    #[error("policy is `{size}` characters, over the limit of `{limit}`")]
    TooLarge {
        /// Characters of the policy, whitespace excluded.
        size: usize,
        /// The limit it exceeds.
        limit: usize,
    },
    /// A policy document could not be read or written as JSON.
    #[error("invalid policy JSON: {reason}")]
    InvalidJson {
        /// The parser's or decoder's explanation.
        reason: String,
    },
}

impl PolicyError {
    /// One actionable sentence for the diagnostic detail: what the user should do next.
    pub fn hint(&self) -> String {
        match self {
            Self::UnknownEnvironment { .. } => format!(
                "Use one of {}.",
                quoted_list(Environment::ALL.iter().map(|e| e.as_str()))
            ),
            Self::UnknownRole { .. } => format!(
                "Use one of {}.",
                quoted_list(Role::ALL.iter().map(|r| r.as_str()))
            ),
            Self::MfaRequiredInProd => {
                "Set `require_mfa = true` (the default); every standing `prod` group must require MFA."
                    .to_string()
            }
            Self::DeveloperInProd => {
                "Developers get no standing prod access; request time-limited access with a `jit_grant` resource instead."
                    .to_string()
            }
            Self::InvalidCidr { .. } => {
                "Write a network address with its prefix length, such as `203.0.113.0/24`, `198.51.100.7/32` or `2001:db8::/32`."
                    .to_string()
            }
            Self::InvalidVpcEndpoint { .. } => {
                "Use the endpoint's ID as shown by `aws ec2 describe-vpc-endpoints`, such as `vpce-0123456789abcdef0`."
                    .to_string()
            }
            Self::VpcEndpointsWithoutIpRanges => {
                "Add the office or VPN ranges to `allowed_ip_ranges`, or remove `allowed_vpc_endpoint_ids`: endpoint IDs only widen a source-IP restriction."
                    .to_string()
            }
            Self::InvalidNamePrefix { .. } => format!(
                "Use letters, digits and `+=,.@_-` only, at most `{}` characters, so that every `<prefix>-<env>-<role>` group name fits IAM's limit.",
                super::naming::MAX_NAME_PREFIX_LEN
            ),
            Self::TooLarge { limit, .. } => format!(
                "A group's inline policies may total `{limit}` characters (whitespace excluded); use fewer or wider `allowed_ip_ranges`."
            ),
            Self::InvalidJson { .. } => {
                "Check that the policy is a JSON object with `Version` and `Statement`; fix the reported position."
                    .to_string()
            }
        }
    }
}

/// Formats values as "`a`, `b` or `c`".
fn quoted_list<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values.map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quote_values() {
        let cases = [
            (
                PolicyError::UnknownEnvironment { value: "qa".into() },
                "unknown environment `qa`",
            ),
            (
                PolicyError::UnknownRole {
                    value: "admin".into(),
                },
                "unknown role `admin`",
            ),
            (
                PolicyError::InvalidCidr {
                    value: "10.0.0.1/8".into(),
                    reason: "host bits are set".into(),
                },
                "invalid CIDR block `10.0.0.1/8`: host bits are set",
            ),
            (
                PolicyError::TooLarge {
                    size: 6000,
                    limit: 5120,
                },
                "policy is `6000` characters, over the limit of `5120`",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn hints_are_actionable() {
        let cases = [
            (
                PolicyError::UnknownEnvironment { value: "x".into() },
                "Use one of `dev`, `staging` or `prod`.",
            ),
            (
                PolicyError::UnknownRole { value: "x".into() },
                "Use one of `infra-manager`, `infra-member`, `developer` or `security-engineer`.",
            ),
            (
                PolicyError::DeveloperInProd,
                "Developers get no standing prod access; request time-limited access with a `jit_grant` resource instead.",
            ),
        ];
        for (error, hint) in cases {
            assert_eq!(error.hint(), hint);
        }
        assert!(PolicyError::MfaRequiredInProd
            .hint()
            .contains("`require_mfa = true`"));
        assert!(PolicyError::InvalidNamePrefix {
            value: String::new(),
            reason: String::new()
        }
        .hint()
        .contains("`102`"));
        assert!(PolicyError::TooLarge {
            size: 1,
            limit: 5120
        }
        .hint()
        .contains("`5120`"));
    }

    #[test]
    fn quoted_list_forms() {
        assert_eq!(quoted_list(["a"].into_iter()), "`a`");
        assert_eq!(quoted_list(["a", "b"].into_iter()), "`a` or `b`");
        assert_eq!(quoted_list(std::iter::empty()), "");
    }
}
