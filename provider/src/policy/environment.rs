//! The deployment environments that standing IAM access is defined for.

use std::fmt;
use std::str::FromStr;

use super::PolicyError;

/// A deployment environment: the `<env>` part of `<prefix>-<env>-<role>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Environment {
    /// Development: broadest access, developers included.
    Dev,
    /// Staging: developers read and operate, but do not build.
    Staging,
    /// Production: MFA is mandatory and developers have no standing access.
    Prod,
}

impl Environment {
    /// Every environment, in promotion order.
    pub const ALL: [Environment; 3] = [Environment::Dev, Environment::Staging, Environment::Prod];

    /// The lower-case name used in configuration and group names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Staging => "staging",
            Self::Prod => "prod",
        }
    }

    /// Maximum age of an access key before the access review flags it: 60 days in
    /// `prod`, 90 elsewhere.
    pub fn key_rotation_days(self) -> u32 {
        match self {
            Self::Prod => 60,
            Self::Dev | Self::Staging => 90,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = PolicyError;

    /// Parses `dev`, `staging` or `prod` exactly (no case folding, no spaces).
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == value)
            .ok_or_else(|| PolicyError::UnknownEnvironment {
                value: value.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_each_environment() {
        let cases = [
            ("dev", Environment::Dev, 90),
            ("staging", Environment::Staging, 90),
            ("prod", Environment::Prod, 60),
        ];
        for (text, environment, days) in cases {
            assert_eq!(text.parse::<Environment>(), Ok(environment));
            assert_eq!(environment.to_string(), text);
            assert_eq!(environment.key_rotation_days(), days);
        }
        assert_eq!(Environment::ALL.len(), cases.len());
    }

    #[test]
    fn rejects_unknown_environments() {
        for text in ["", "Prod", "production", " dev", "qa"] {
            assert_eq!(
                text.parse::<Environment>(),
                Err(PolicyError::UnknownEnvironment {
                    value: text.to_string()
                })
            );
        }
    }
}
