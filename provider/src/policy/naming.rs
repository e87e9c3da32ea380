//! IAM names: groups of the form `<prefix>-<env>-<role>`, user names, and
//! the tags by which a user belongs to one prefix and environment.

use super::{Environment, PolicyError, Role};

/// Tag naming a user's `name_prefix`: the access review finds users by it.
pub const TAG_NAME_PREFIX: &str = "jit:name-prefix";
/// Tag naming a user's environment.
pub const TAG_ENVIRONMENT: &str = "jit:environment";

/// IAM's maximum length of a user name.
const MAX_USER_NAME_LEN: usize = 64;

/// IAM's maximum length of a group name.
const MAX_GROUP_NAME_LEN: usize = 128;

/// Longest `-<env>-<role>` suffix: `-staging-security-engineer`.
const LONGEST_SUFFIX_LEN: usize = 26;

/// Longest prefix for which every group name stays within IAM's 128 characters.
pub(crate) const MAX_NAME_PREFIX_LEN: usize = MAX_GROUP_NAME_LEN - LONGEST_SUFFIX_LEN;

/// The group name for one environment and role, e.g. `hera-prod-infra-manager`.
///
/// Does not validate `prefix`; call [`validate_name_prefix`] first.
pub fn group_name(prefix: &str, environment: Environment, role: Role) -> String {
    format!("{prefix}-{environment}-{role}")
}

/// Splits a group name made by [`group_name`] back into its parts (for
/// `terraform import`). The prefix may itself contain dashes, so the known
/// role and environment are matched from the end.
pub fn parse_group_name(name: &str) -> Option<(String, Environment, Role)> {
    Role::ALL.iter().find_map(|role| {
        let rest = name.strip_suffix(role.as_str())?.strip_suffix('-')?;
        Environment::ALL.iter().find_map(|environment| {
            let prefix = rest.strip_suffix(environment.as_str())?.strip_suffix('-')?;
            (!prefix.is_empty()).then(|| (prefix.to_string(), *environment, *role))
        })
    })
}

/// Checks that `prefix` forms a valid IAM group name with every environment and
/// role: non-empty, only letters, digits and `+=,.@_-`, and short enough that the
/// longest name (`<prefix>-staging-security-engineer`) fits in 128 characters.
pub fn validate_name_prefix(prefix: &str) -> Result<(), PolicyError> {
    let invalid = |reason: String| PolicyError::InvalidNamePrefix {
        value: prefix.to_string(),
        reason,
    };
    if prefix.is_empty() {
        return Err(invalid("it is empty".to_string()));
    }
    if let Some(bad) = prefix.chars().find(|c| !is_group_name_char(*c)) {
        return Err(invalid(format!(
            "the character `{}` is not allowed in IAM group names",
            bad.escape_default()
        )));
    }
    let longest = prefix.len() + LONGEST_SUFFIX_LEN;
    if longest > MAX_GROUP_NAME_LEN {
        return Err(invalid(format!(
            "group names would be up to `{longest}` characters; IAM allows `{MAX_GROUP_NAME_LEN}`"
        )));
    }
    Ok(())
}

/// The roles whose `<prefix>-<environment>-<role>` group is among `groups`,
/// in [`Role::ALL`] order.
pub fn roles_in_groups(prefix: &str, environment: Environment, groups: &[String]) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|role| groups.contains(&group_name(prefix, environment, *role)))
        .collect()
}

/// Why `name` is not an IAM user name (`[\w+=,.@-]{1,64}`), as a hint
/// naming the problem; `None` when it is one.
pub fn user_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("The user name is empty.".to_string());
    }
    if name.len() > MAX_USER_NAME_LEN {
        return Some(format!(
            "`{name}` has `{}` characters; IAM allows `{MAX_USER_NAME_LEN}`.",
            name.len()
        ));
    }
    name.chars().find(|c| !is_group_name_char(*c)).map(|bad| {
        format!(
            "The character `{}` is not allowed in IAM user names; use letters, digits and `+=,.@_-`.",
            bad.escape_default()
        )
    })
}

/// IAM group names allow `[\w+=,.@-]`, with `\w` meaning ASCII letters, digits and `_`.
fn is_group_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn group_names_parse_back_into_their_parts() {
        assert_eq!(
            parse_group_name("hera-prod-infra-manager"),
            Some(("hera".to_string(), Environment::Prod, Role::InfraManager))
        );
        assert_eq!(
            parse_group_name("my-team-staging-security-engineer"),
            Some((
                "my-team".to_string(),
                Environment::Staging,
                Role::SecurityEngineer
            ))
        );
        assert_eq!(parse_group_name("prod-infra-manager"), None);
        assert_eq!(parse_group_name("hera-qa-developer"), None);
        assert_eq!(parse_group_name("hera-dev-admin"), None);
    }

    use super::*;

    #[test]
    fn builds_group_names() {
        let cases = [
            (
                "hera",
                Environment::Prod,
                Role::InfraManager,
                "hera-prod-infra-manager",
            ),
            ("a", Environment::Dev, Role::Developer, "a-dev-developer"),
            (
                "team.x",
                Environment::Staging,
                Role::SecurityEngineer,
                "team.x-staging-security-engineer",
            ),
            (
                "hera",
                Environment::Dev,
                Role::InfraMember,
                "hera-dev-infra-member",
            ),
        ];
        for (prefix, environment, role, name) in cases {
            assert_eq!(group_name(prefix, environment, role), name);
        }
    }

    #[test]
    fn longest_suffix_constant_matches_the_enums() {
        let longest = Environment::ALL
            .iter()
            .flat_map(|e| Role::ALL.iter().map(move |r| group_name("", *e, *r).len()))
            .max();
        assert_eq!(longest, Some(LONGEST_SUFFIX_LEN));
    }

    #[test]
    fn user_names_follow_iam_rules() {
        assert_eq!(user_name_problem("alice.smith+ops@x_y=z,1-2"), None);
        assert_eq!(user_name_problem(&"a".repeat(64)), None);
        assert!(user_name_problem(&"a".repeat(65))
            .unwrap()
            .contains("`65` characters"));
        assert!(user_name_problem("alice smith").unwrap().contains("` `"));
        assert!(user_name_problem("").is_some());
        assert!(user_name_problem("é").is_some());
    }

    #[test]
    fn roles_come_from_the_scopes_groups_only() {
        let groups = [
            "hera-prod-security-engineer",
            "hera-prod-infra-member",
            "hera-dev-developer",
            "herax-prod-infra-manager",
        ]
        .map(String::from);
        assert_eq!(
            roles_in_groups("hera", Environment::Prod, &groups),
            vec![Role::InfraMember, Role::SecurityEngineer]
        );
    }

    #[test]
    fn accepts_valid_prefixes() {
        let at_limit = "p".repeat(MAX_NAME_PREFIX_LEN);
        for prefix in ["hera", "Team_1", "a+b=c,d.e@f-g", at_limit.as_str()] {
            assert_eq!(validate_name_prefix(prefix), Ok(()), "{prefix}");
        }
    }

    #[test]
    fn rejects_invalid_prefixes() {
        let too_long = "p".repeat(MAX_NAME_PREFIX_LEN + 1);
        let cases = [
            ("", "it is empty"),
            ("hera prod", "the character ` ` is not allowed"),
            ("hera/prod", "the character `/` is not allowed"),
            ("héra", "the character `\\u{e9}` is not allowed"),
            ("a:b", "the character `:` is not allowed"),
            (too_long.as_str(), "up to `129` characters"),
        ];
        for (prefix, reason) in cases {
            match validate_name_prefix(prefix) {
                Err(PolicyError::InvalidNamePrefix { value, reason: got }) => {
                    assert_eq!(value, prefix);
                    assert!(got.contains(reason), "{prefix}: {got}");
                }
                other => unreachable!("{prefix}: {other:?}"),
            }
        }
    }
}
