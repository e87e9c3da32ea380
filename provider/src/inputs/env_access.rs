//! Inputs shared by the per-environment resources and data sources
//! (`jit_iam_env_group`, `jit_iam_env_user`, `data.jit_role_policy`,
//! `data.jit_access_review`): the name prefix, environment, role and
//! conditions, checked against the policy library with each problem
//! reported on its attribute.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use crate::error::{attr, Error};
use crate::policy::{
    parse_cidr, role_policy, validate_name_prefix, validate_vpc_endpoint_id, Conditions,
    Environment, PolicyDocument, PolicyError, Role,
};
use crate::values::{known_str, known_str_list, StrList};

/// The policy-relevant inputs, as Terraform sends them.
pub struct EnvAccessInputs<'a> {
    /// `environment`.
    pub environment: &'a Value<String>,
    /// `role`.
    pub role: &'a Value<String>,
    /// `require_mfa` (null means true).
    pub require_mfa: &'a Value<bool>,
    /// `allowed_ip_ranges`.
    pub allowed_ip_ranges: &'a StrList,
    /// `allowed_vpc_endpoint_ids`.
    pub allowed_vpc_endpoint_ids: &'a StrList,
}

/// Checks a known, non-empty `name_prefix`, reporting a bad value at its
/// path; `Ok(None)` while it is unknown or unset.
pub fn parse_name_prefix(value: &Value<String>) -> Result<Option<&str>, Error> {
    let Some(prefix) = known_str(value) else {
        return Ok(None);
    };
    validate_name_prefix(prefix)
        .map(|()| Some(prefix))
        .map_err(|problem| {
            Error::invalid(attr("name_prefix"), "Invalid name prefix", problem.hint())
        })
}

/// Parses `environment`, reporting a bad value at its path.
pub fn parse_environment(value: &Value<String>) -> Result<Option<Environment>, Error> {
    let Some(text) = known_str(value) else {
        return Ok(None);
    };
    text.parse().map(Some).map_err(|e: PolicyError| {
        Error::invalid(attr("environment"), "Unknown environment", e.hint())
    })
}

/// Parses `role`, reporting a bad value at its path.
pub fn parse_role(value: &Value<String>) -> Result<Option<Role>, Error> {
    let Some(text) = known_str(value) else {
        return Ok(None);
    };
    text.parse()
        .map(Some)
        .map_err(|e: PolicyError| Error::invalid(attr("role"), "Unknown role", e.hint()))
}

impl EnvAccessInputs<'_> {
    /// Checks every known input. Returns the policy when everything is known
    /// and valid, `Ok(None)` when something is still unknown.
    pub fn policy(&self) -> Result<Option<PolicyDocument>, Vec<Error>> {
        let mut errors = Vec::new();
        let environment = parse_environment(self.environment)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let role = parse_role(self.role)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let ranges = known_str_list(self.allowed_ip_ranges);
        let endpoints = known_str_list(self.allowed_vpc_endpoint_ids);
        for (index, range) in ranges.iter().flatten().enumerate() {
            if let Err(problem) = parse_cidr(range) {
                errors.push(Error::invalid(
                    attr("allowed_ip_ranges").index(index as i64),
                    "Invalid IP range",
                    format!("{problem}. {}", problem.hint()),
                ));
            }
        }
        for (index, endpoint) in endpoints.iter().flatten().enumerate() {
            if let Err(problem) = validate_vpc_endpoint_id(endpoint) {
                errors.push(Error::invalid(
                    attr("allowed_vpc_endpoint_ids").index(index as i64),
                    "Invalid VPC endpoint id",
                    format!("{problem}. {}", problem.hint()),
                ));
            }
        }
        let require_mfa = match self.require_mfa {
            Value::Value(flag) => Some(*flag),
            Value::Null => Some(true),
            Value::Unknown => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(environment), Some(role), Some(require_mfa), Some(ranges), Some(endpoints)) =
            (environment, role, require_mfa, ranges, endpoints)
        else {
            // Early, cheap checks on what is known already.
            if environment == Some(Environment::Prod) {
                if role == Some(Role::Developer) {
                    return Err(vec![policy_error(PolicyError::DeveloperInProd)]);
                }
                if require_mfa == Some(false) {
                    return Err(vec![policy_error(PolicyError::MfaRequiredInProd)]);
                }
            }
            return Ok(None);
        };
        let conditions = Conditions {
            require_mfa,
            allowed_ip_ranges: ranges,
            allowed_vpc_endpoint_ids: endpoints,
        };
        role_policy(environment, role, &conditions)
            .map(Some)
            .map_err(|e| vec![policy_error(e)])
    }
}

/// A whole-policy error on the attribute it is about.
fn policy_error(error: PolicyError) -> Error {
    let (path, summary): (AttributePath, &str) = match &error {
        PolicyError::DeveloperInProd => (attr("role"), "Developers get no standing prod access"),
        PolicyError::MfaRequiredInProd => (attr("require_mfa"), "MFA is mandatory in prod"),
        PolicyError::TooLarge { .. } => (attr("allowed_ip_ranges"), "Group policy too large"),
        PolicyError::VpcEndpointsWithoutIpRanges => (
            attr("allowed_vpc_endpoint_ids"),
            "VPC endpoints without IP ranges",
        ),
        PolicyError::InvalidCidr { .. } => (attr("allowed_ip_ranges"), "Invalid IP range"),
        PolicyError::InvalidVpcEndpoint { .. } => {
            (attr("allowed_vpc_endpoint_ids"), "Invalid VPC endpoint id")
        }
        PolicyError::UnknownEnvironment { .. } => (attr("environment"), "Unknown environment"),
        PolicyError::UnknownRole { .. } => (attr("role"), "Unknown role"),
        PolicyError::InvalidNamePrefix { .. } => (attr("name_prefix"), "Invalid name prefix"),
        PolicyError::InvalidJson { .. } => (AttributePath::default(), "Invalid policy JSON"),
    };
    Error::invalid(path, summary, error.hint())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::str_list;

    fn s(text: &str) -> Value<String> {
        Value::Value(text.into())
    }

    fn check(
        environment: Value<String>,
        role: Value<String>,
        require_mfa: Value<bool>,
        ranges: StrList,
    ) -> Result<Option<PolicyDocument>, Vec<(String, String)>> {
        EnvAccessInputs {
            environment: &environment,
            role: &role,
            require_mfa: &require_mfa,
            allowed_ip_ranges: &ranges,
            allowed_vpc_endpoint_ids: &Value::Null,
        }
        .policy()
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let (summary, _, path) = e.into_parts(AttributePath::default());
                    (summary, path.to_string())
                })
                .collect()
        })
    }

    #[test]
    fn valid_inputs_give_a_policy() {
        let policy = check(
            s("prod"),
            s("infra-manager"),
            Value::Null,
            str_list(["10.0.0.0/8".to_string()]),
        )
        .unwrap()
        .unwrap();
        assert!(policy.to_json().contains("DenyWithoutMfa"));
    }

    #[test]
    fn each_bad_input_points_at_its_attribute() {
        let cases = [
            (
                check(s("prd"), s("developer"), Value::Null, Value::Null),
                ("Unknown environment", "environment"),
            ),
            (
                check(s("dev"), s("admin"), Value::Null, Value::Null),
                ("Unknown role", "role"),
            ),
            (
                check(s("prod"), s("developer"), Value::Null, Value::Null),
                ("Developers get no standing prod access", "role"),
            ),
            (
                check(
                    s("prod"),
                    s("infra-member"),
                    Value::Value(false),
                    Value::Null,
                ),
                ("MFA is mandatory in prod", "require_mfa"),
            ),
            (
                check(
                    s("dev"),
                    s("developer"),
                    Value::Null,
                    str_list(["10.0.0.0/8".to_string(), "10.0.0.300/32".to_string()]),
                ),
                ("Invalid IP range", "allowed_ip_ranges[1]"),
            ),
        ];
        for (result, (summary, path)) in cases {
            let errors = result.unwrap_err();
            assert_eq!(errors[0], (summary.to_string(), path.to_string()));
        }
    }

    #[test]
    fn unknown_inputs_defer_but_known_prod_rules_still_apply() {
        assert!(check(s("dev"), Value::Unknown, Value::Null, Value::Null)
            .unwrap()
            .is_none());
        assert!(check(s("dev"), s("developer"), Value::Null, Value::Unknown)
            .unwrap()
            .is_none());
        let errors = check(s("prod"), s("developer"), Value::Null, Value::Unknown).unwrap_err();
        assert_eq!(errors[0].1, "role");
    }
}
