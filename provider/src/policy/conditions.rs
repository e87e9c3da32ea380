//! Conditions that apply to every role: self-service, mandatory MFA and the
//! source-network restriction.
//!
//! # MFA
//!
//! A `Deny` with `NotAction` cannot be scoped by resource, so the exemptions are
//! split in two: [`MFA_EXEMPT_ACTIONS`] only keeps the MFA deny away from the
//! actions a user needs before they have MFA (first sign-in password change,
//! enrolling a virtual MFA device, `sts:GetSessionToken` for CLI users), and
//! separate `Allow` statements grant those actions on the caller's own user
//! (`arn:aws:iam::*:user/${aws:username}`) and own virtual device
//! (`arn:aws:iam::*:mfa/${aws:username}`) only. Exemption is not permission.
//!
//! # Source network
//!
//! One `Deny` of everything whose conditions are ANDed, so a call is denied only
//! when all of these hold:
//!
//! - `NotIpAddress` `aws:SourceIp` outside the ranges (also true when the key is
//!   missing, as for calls through a VPC endpoint);
//! - `Bool` `aws:ViaAWSService` is `false`, so calls that an AWS service such as
//!   CloudFormation makes on the user's behalf (which carry the service's IP)
//!   are spared;
//! - with endpoint IDs: `StringNotEqualsIfExists` `aws:SourceVpce` is none of
//!   them. Calls through a VPC endpoint carry `aws:SourceVpce` but no public
//!   `aws:SourceIp`, so without this key they would always be denied. A negated
//!   operator is true when the key is missing, so a call from the internet
//!   (no `aws:SourceVpce`) is still judged by its IP; `IfExists` says so
//!   explicitly.

use super::cidr::parse_cidr;
use super::document::{strings, Actions, Effect, Resources, Statement};
use super::PolicyError;

/// The caller's own IAM user, via a policy variable.
const OWN_USER_ARN: &str = "arn:aws:iam::*:user/${aws:username}";

/// The caller's own virtual MFA device: the device must be named after the user.
const OWN_MFA_DEVICE_ARN: &str = "arn:aws:iam::*:mfa/${aws:username}";

/// Actions the MFA deny leaves alone, so that a user without MFA can change an
/// initial password, enrol a virtual MFA device and get an MFA session.
///
/// Each is granted (on the user's own resources only) by the self-service
/// statements, except `sts:GetSessionToken`, which needs no permission.
/// `iam:DeleteVirtualMFADevice` is here so that an enrolment abandoned half-way
/// can be retried; it cannot remove a device that is in use (that needs
/// `iam:DeactivateMFADevice`, which is not exempt and not granted).
pub const MFA_EXEMPT_ACTIONS: &[&str] = &[
    "iam:ChangePassword",
    "iam:CreateVirtualMFADevice",
    "iam:DeleteVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetAccountPasswordPolicy",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
];

/// Self-service on the caller's own user; access-key rotation is here too (the
/// access review enforces rotation), but is not MFA-exempt.
const OWN_USER_ACTIONS: &[&str] = &[
    "iam:ChangePassword",
    "iam:CreateAccessKey",
    "iam:DeleteAccessKey",
    "iam:EnableMFADevice",
    "iam:GetAccessKeyLastUsed",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ResyncMFADevice",
    "iam:UpdateAccessKey",
];

/// Self-service actions that IAM does not scope by resource.
const ACCOUNT_INFO_ACTIONS: &[&str] =
    &["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"];

/// Self-service on the caller's own virtual MFA device.
const OWN_MFA_DEVICE_ACTIONS: &[&str] =
    &["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"];

/// Optional conditions of a role policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conditions {
    /// Deny everything but self-service until the user signs in with MFA.
    /// Required in `prod`; [`Conditions::default`] sets it.
    pub require_mfa: bool,
    /// CIDR blocks (IPv4 or IPv6) that calls must come from; empty means no
    /// source-network restriction. Order and duplicates do not matter.
    pub allowed_ip_ranges: Vec<String>,
    /// VPC endpoint IDs (`vpce-…`) whose calls are allowed whatever their IP.
    /// Only meaningful together with `allowed_ip_ranges`.
    pub allowed_vpc_endpoint_ids: Vec<String>,
}

impl Default for Conditions {
    /// MFA required, no network restriction: the safe default.
    fn default() -> Self {
        Self {
            require_mfa: true,
            allowed_ip_ranges: Vec::new(),
            allowed_vpc_endpoint_ids: Vec::new(),
        }
    }
}

/// Checks a VPC endpoint ID: `vpce-` followed by 8 to 17 lower-case hex digits.
pub fn validate_vpc_endpoint_id(value: &str) -> Result<(), PolicyError> {
    let valid = value.strip_prefix("vpce-").is_some_and(|hex| {
        (8..=17).contains(&hex.len())
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if valid {
        Ok(())
    } else {
        Err(PolicyError::InvalidVpcEndpoint {
            value: value.to_string(),
        })
    }
}

/// The statements every role gets so users can manage their own credentials.
pub(crate) fn self_service_statements() -> Vec<Statement> {
    vec![
        Statement::new(
            "SelfServiceAccountInfo",
            Effect::Allow,
            Actions::Action(strings(ACCOUNT_INFO_ACTIONS)),
            Resources::Resource(strings(&["*"])),
        ),
        Statement::new(
            "SelfServiceOwnUser",
            Effect::Allow,
            Actions::Action(strings(OWN_USER_ACTIONS)),
            Resources::Resource(strings(&[OWN_USER_ARN])),
        ),
        Statement::new(
            "SelfServiceOwnMfaDevice",
            Effect::Allow,
            Actions::Action(strings(OWN_MFA_DEVICE_ACTIONS)),
            Resources::Resource(strings(&[OWN_MFA_DEVICE_ARN])),
        ),
    ]
}

/// Reads the conditions back from a group policy this library wrote (for
/// `terraform import`): MFA from the `DenyWithoutMfa` statement, ranges and
/// endpoint ids from `DenyOutsideAllowedNetworks`. Works on the output of
/// [`normalize_policy_json`](super::normalize_policy_json) too, whose keys and
/// operators may be lower-cased.
pub fn infer_conditions(document: &serde_json::Value) -> Conditions {
    let statements = match &document["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        single @ serde_json::Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    let by_sid = |sid: &str| {
        statements
            .iter()
            .find(|statement| statement["Sid"].as_str() == Some(sid))
    };
    let condition_values = |statement: &serde_json::Value, operator: &str, key: &str| {
        let Some(operators) = statement["Condition"].as_object() else {
            return Vec::new();
        };
        operators
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(operator))
            .filter_map(|(_, keys)| keys.as_object())
            .flat_map(|keys| keys.iter())
            .filter(|(name, _)| name.eq_ignore_ascii_case(key))
            .flat_map(|(_, values)| match values {
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect(),
                serde_json::Value::String(value) => vec![value.clone()],
                _ => Vec::new(),
            })
            .collect::<Vec<String>>()
    };
    let network = by_sid("DenyOutsideAllowedNetworks");
    let mut allowed_ip_ranges = network
        .map(|statement| condition_values(statement, "NotIpAddress", "aws:SourceIp"))
        .unwrap_or_default();
    allowed_ip_ranges.sort();
    let mut allowed_vpc_endpoint_ids = network
        .map(|statement| condition_values(statement, "StringNotEqualsIfExists", "aws:SourceVpce"))
        .unwrap_or_default();
    allowed_vpc_endpoint_ids.sort();
    Conditions {
        require_mfa: by_sid("DenyWithoutMfa").is_some(),
        allowed_ip_ranges,
        allowed_vpc_endpoint_ids,
    }
}

/// Denies everything except [`MFA_EXEMPT_ACTIONS`] while the caller has not
/// authenticated with MFA. `BoolIfExists` also catches long-term access keys,
/// whose requests carry no `aws:MultiFactorAuthPresent` at all.
pub(crate) fn mfa_statement() -> Statement {
    Statement::new(
        "DenyWithoutMfa",
        Effect::Deny,
        Actions::NotAction(strings(MFA_EXEMPT_ACTIONS)),
        Resources::Resource(strings(&["*"])),
    )
    .with_condition(
        "BoolIfExists",
        "aws:MultiFactorAuthPresent",
        strings(&["false"]),
    )
}

/// The source-network deny (see the module docs), or `None` without IP ranges.
///
/// Ranges and endpoint IDs are validated, then sorted and de-duplicated so the
/// output does not depend on input order. Endpoint IDs without IP ranges are an
/// error: they can only widen a restriction that does not exist.
pub(crate) fn source_network_statement(
    conditions: &Conditions,
) -> Result<Option<Statement>, PolicyError> {
    let mut ranges = conditions
        .allowed_ip_ranges
        .iter()
        .map(|range| parse_cidr(range))
        .collect::<Result<Vec<_>, _>>()?;
    ranges.sort();
    ranges.dedup();

    let mut endpoints = conditions.allowed_vpc_endpoint_ids.clone();
    for endpoint in &endpoints {
        validate_vpc_endpoint_id(endpoint)?;
    }
    endpoints.sort();
    endpoints.dedup();

    if ranges.is_empty() {
        return if endpoints.is_empty() {
            Ok(None)
        } else {
            Err(PolicyError::VpcEndpointsWithoutIpRanges)
        };
    }
    let mut statement = Statement::new(
        "DenyOutsideAllowedNetworks",
        Effect::Deny,
        Actions::Action(strings(&["*"])),
        Resources::Resource(strings(&["*"])),
    )
    .with_condition(
        "NotIpAddress",
        "aws:SourceIp",
        ranges.iter().map(ToString::to_string).collect(),
    )
    .with_condition("Bool", "aws:ViaAWSService", strings(&["false"]));
    if !endpoints.is_empty() {
        statement =
            statement.with_condition("StringNotEqualsIfExists", "aws:SourceVpce", endpoints);
    }
    Ok(Some(statement))
}

#[cfg(test)]
mod tests {
    #[test]
    fn conditions_are_read_back_from_a_written_policy() {
        use crate::policy::{normalize_policy_json, role_policy, Environment, Role};
        let written = Conditions {
            require_mfa: true,
            allowed_ip_ranges: vec!["203.0.113.0/24".into(), "10.0.0.0/8".into()],
            allowed_vpc_endpoint_ids: vec!["vpce-0123456789abcdef0".into()],
        };
        let json = role_policy(Environment::Prod, Role::InfraMember, &written)
            .unwrap()
            .to_json();
        let expected = Conditions {
            allowed_ip_ranges: vec!["10.0.0.0/8".into(), "203.0.113.0/24".into()],
            ..written
        };
        let raw: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(infer_conditions(&raw), expected);
        assert_eq!(
            infer_conditions(&normalize_policy_json(&json).unwrap()),
            expected
        );

        let open = role_policy(
            Environment::Dev,
            Role::Developer,
            &Conditions {
                require_mfa: false,
                ..Conditions::default()
            },
        )
        .unwrap();
        let inferred = infer_conditions(&serde_json::from_str(&open.to_json()).unwrap());
        assert!(!inferred.require_mfa);
        assert!(inferred.allowed_ip_ranges.is_empty());
    }

    use super::*;

    fn network(ranges: &[&str], endpoints: &[&str]) -> Result<Option<Statement>, PolicyError> {
        source_network_statement(&Conditions {
            require_mfa: true,
            allowed_ip_ranges: strings(ranges),
            allowed_vpc_endpoint_ids: strings(endpoints),
        })
    }

    fn condition_json(statement: &Statement) -> serde_json::Value {
        serde_json::to_value(statement).unwrap()["Condition"].clone()
    }

    #[test]
    fn vpc_endpoint_ids() {
        let cases = [
            ("vpce-0123abcd", true),
            ("vpce-0123456789abcdef0", true),
            ("vpce-0123456789abcdef01", false),
            ("vpce-0123abc", false),
            ("vpce-0123ABCD", false),
            ("vpce-0123abcg", false),
            ("vpc-0123abcd", false),
            ("VPCE-0123abcd", false),
            (" vpce-0123abcd", false),
            ("vpce-", false),
            ("", false),
        ];
        for (value, ok) in cases {
            let expected = if ok {
                Ok(())
            } else {
                Err(PolicyError::InvalidVpcEndpoint {
                    value: value.to_string(),
                })
            };
            assert_eq!(validate_vpc_endpoint_id(value), expected, "{value}");
        }
    }

    #[test]
    fn mfa_statement_exempts_self_service_only() {
        let json = serde_json::to_value(mfa_statement()).unwrap();
        assert_eq!(
            json["Condition"],
            serde_json::json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
        );
        assert_eq!(json["Effect"], "Deny");
        assert_eq!(json["Resource"], "*");
        let exempt: Vec<&str> = json["NotAction"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        for required in [
            "sts:GetSessionToken",
            "iam:ChangePassword",
            "iam:GetAccountPasswordPolicy",
            "iam:GetUser",
            "iam:ListMFADevices",
            "iam:ListVirtualMFADevices",
            "iam:CreateVirtualMFADevice",
            "iam:EnableMFADevice",
            "iam:ResyncMFADevice",
        ] {
            assert!(exempt.contains(&required), "{required} is not exempt");
        }
        for never in ["iam:DeactivateMFADevice", "iam:CreateAccessKey", "*"] {
            assert!(!exempt.contains(&never), "{never} must not be exempt");
        }
    }

    #[test]
    fn every_exempt_iam_action_is_granted_on_own_resources_only() {
        let statements = self_service_statements();
        for action in MFA_EXEMPT_ACTIONS.iter().filter(|a| a.starts_with("iam:")) {
            let granted_on: Vec<&Resources> = statements
                .iter()
                .filter(
                    |s| matches!(&s.action, Actions::Action(a) if a.iter().any(|x| x == action)),
                )
                .map(|s| &s.resource)
                .collect();
            assert!(!granted_on.is_empty(), "{action} is exempt but not granted");
            for resource in granted_on {
                let Resources::Resource(arns) = resource else {
                    unreachable!("self-service uses Resource")
                };
                let scoped = arns
                    .iter()
                    .all(|arn| arn == OWN_USER_ARN || arn == OWN_MFA_DEVICE_ARN);
                let account_wide = ACCOUNT_INFO_ACTIONS.contains(action);
                assert!(scoped || account_wide, "{action} is granted on {arns:?}");
            }
        }
        assert!(statements.iter().all(|s| s.effect == Effect::Allow));
    }

    #[test]
    fn no_ranges_no_statement() {
        assert_eq!(network(&[], &[]), Ok(None));
    }

    #[test]
    fn endpoints_without_ranges_are_refused() {
        assert_eq!(
            network(&[], &["vpce-0123abcd"]),
            Err(PolicyError::VpcEndpointsWithoutIpRanges)
        );
    }

    #[test]
    fn ip_statement_conditions_are_exact() {
        let statement = network(&["203.0.113.0/24"], &[]).unwrap().unwrap();
        assert_eq!(statement.sid, "DenyOutsideAllowedNetworks");
        assert_eq!(statement.effect, Effect::Deny);
        assert_eq!(statement.action, Actions::Action(strings(&["*"])));
        assert_eq!(statement.resource, Resources::Resource(strings(&["*"])));
        assert_eq!(
            condition_json(&statement),
            serde_json::json!({
                "Bool": {"aws:ViaAWSService": "false"},
                "NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}
            })
        );
    }

    #[test]
    fn ip_statement_with_endpoints_spares_them() {
        let statement = network(
            &["2001:db8::/32", "203.0.113.0/24"],
            &["vpce-1111aaaa", "vpce-0000ffff"],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            condition_json(&statement),
            serde_json::json!({
                "Bool": {"aws:ViaAWSService": "false"},
                "NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]},
                "StringNotEqualsIfExists": {"aws:SourceVpce": ["vpce-0000ffff", "vpce-1111aaaa"]}
            })
        );
    }

    #[test]
    fn ranges_and_endpoints_are_sorted_and_deduplicated() {
        let a = network(
            &["10.0.0.0/8", "192.0.2.0/24", "2001:DB8::/32", "10.0.0.0/8"],
            &["vpce-bbbbbbbb", "vpce-aaaaaaaa", "vpce-bbbbbbbb"],
        )
        .unwrap();
        let b = network(
            &["2001:db8::/32", "192.0.2.0/24", "10.0.0.0/8"],
            &["vpce-aaaaaaaa", "vpce-bbbbbbbb"],
        )
        .unwrap();
        assert_eq!(a, b);
        let statement = a.unwrap();
        assert_eq!(
            statement.condition["NotIpAddress"]["aws:SourceIp"],
            ["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"]
        );
    }

    #[test]
    fn invalid_values_are_reported() {
        assert!(matches!(
            network(&["10.0.0.0/8", "10.0.0.1/8"], &[]),
            Err(PolicyError::InvalidCidr { value, .. }) if value == "10.0.0.1/8"
        ));
        assert_eq!(
            network(&["10.0.0.0/8"], &["vpce-nothex!!"]),
            Err(PolicyError::InvalidVpcEndpoint {
                value: "vpce-nothex!!".to_string()
            })
        );
    }

    #[test]
    fn default_requires_mfa() {
        let conditions = Conditions::default();
        assert!(conditions.require_mfa);
        assert!(conditions.allowed_ip_ranges.is_empty());
        assert!(conditions.allowed_vpc_endpoint_ids.is_empty());
    }
}
