//! Tests across the whole library: every role in every environment, grammar,
//! stability, size and drift comparison of generated documents.

use serde_json::Value;

use super::*;

fn conditions(require_mfa: bool, ranges: &[&str], endpoints: &[&str]) -> Conditions {
    Conditions {
        require_mfa,
        allowed_ip_ranges: ranges.iter().map(|r| r.to_string()).collect(),
        allowed_vpc_endpoint_ids: endpoints.iter().map(|e| e.to_string()).collect(),
    }
}

fn sids(document: &PolicyDocument) -> Vec<&str> {
    document
        .statements()
        .iter()
        .map(|s| s.sid.as_str())
        .collect()
}

/// `n` distinct IPv4 /32 ranges.
fn ipv4_ranges(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("198.51.{}.{}/32", 100 + i / 250, i % 250))
        .collect()
}

/// Checks the IAM policy grammar on the JSON text: `Version`, a non-empty
/// `Statement` list, and per statement a unique alphanumeric `Sid`, an
/// `Effect`, exactly one of `Action`/`NotAction`, exactly one of
/// `Resource`/`NotResource`, and no other field than `Condition`.
fn assert_iam_grammar(json: &str) {
    let document: Value = serde_json::from_str(json).unwrap();
    let top: Vec<&String> = document.as_object().unwrap().keys().collect();
    assert_eq!(top, ["Statement", "Version"], "{json}");
    assert_eq!(document["Version"], "2012-10-17");
    let statements = document["Statement"].as_array().unwrap();
    assert!(!statements.is_empty());
    let mut seen = Vec::new();
    for statement in statements {
        let fields = statement.as_object().unwrap();
        let has = |k: &str| fields.contains_key(k);
        let sid = statement["Sid"].as_str().unwrap();
        assert!(
            !sid.is_empty() && sid.chars().all(|c| c.is_ascii_alphanumeric()),
            "{sid}"
        );
        assert!(!seen.contains(&sid), "duplicate Sid {sid}");
        seen.push(sid);
        assert!(matches!(
            statement["Effect"].as_str(),
            Some("Allow" | "Deny")
        ));
        assert!(has("Action") ^ has("NotAction"), "{sid}: Action/NotAction");
        assert!(
            has("Resource") ^ has("NotResource"),
            "{sid}: Resource/NotResource"
        );
        for key in fields.keys() {
            assert!(
                [
                    "Sid",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "NotResource",
                    "Condition"
                ]
                .contains(&key.as_str()),
                "{sid}: unexpected {key}"
            );
        }
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            match statement.get(key) {
                None => {}
                Some(Value::String(s)) => assert!(!s.is_empty()),
                Some(Value::Array(items)) => {
                    assert!(
                        items.len() > 1,
                        "{sid}: one-element {key} should be a string"
                    );
                    assert!(items
                        .iter()
                        .all(|i| i.as_str().is_some_and(|s| !s.is_empty())));
                }
                Some(other) => unreachable!("{sid}: {key} is {other}"),
            }
        }
    }
}

#[test]
fn every_role_and_environment() {
    let expected: &[(Role, Environment, &[&str])] = &[
        (
            Role::InfraManager,
            Environment::Dev,
            &["FullAccess", "DenySecurityTampering"],
        ),
        (
            Role::InfraManager,
            Environment::Staging,
            &["FullAccess", "DenySecurityTampering"],
        ),
        (
            Role::InfraManager,
            Environment::Prod,
            &["FullAccess", "DenySecurityTampering"],
        ),
        (
            Role::InfraMember,
            Environment::Dev,
            &[
                "InfraRead",
                "InfraEdit",
                "DenyDestructiveAndAudit",
                "DenyIamWrites",
            ],
        ),
        (
            Role::InfraMember,
            Environment::Staging,
            &[
                "InfraRead",
                "InfraEdit",
                "DenyDestructiveAndAudit",
                "DenyIamWrites",
            ],
        ),
        (
            Role::InfraMember,
            Environment::Prod,
            &[
                "InfraRead",
                "InfraEdit",
                "DenyDestructiveAndAudit",
                "DenyIamWrites",
            ],
        ),
        (
            Role::Developer,
            Environment::Dev,
            &["AppServices", "PlatformRead", "DenyAuditTampering"],
        ),
        (
            Role::Developer,
            Environment::Staging,
            &["AppRead", "AppOperate", "DenyAuditTampering"],
        ),
        (Role::SecurityEngineer, Environment::Dev, &["SecurityRead"]),
        (
            Role::SecurityEngineer,
            Environment::Staging,
            &["SecurityRead"],
        ),
        (Role::SecurityEngineer, Environment::Prod, &["SecurityRead"]),
    ];
    let common = [
        "SelfServiceAccountInfo",
        "SelfServiceOwnUser",
        "SelfServiceOwnMfaDevice",
        "DenyWithoutMfa",
    ];
    for (role, environment, own) in expected {
        let document = role_policy(*environment, *role, &Conditions::default())
            .unwrap_or_else(|e| unreachable!("{role} in {environment}: {e}"));
        let want: Vec<&str> = own.iter().copied().chain(common).collect();
        assert_eq!(sids(&document), want, "{role} in {environment}");
        assert_iam_grammar(&document.to_json());
    }
    let covered = expected.len() + 1; // developer in prod, below
    assert_eq!(covered, Role::ALL.len() * Environment::ALL.len());
}

#[test]
fn developer_has_no_standing_prod_access() {
    for conditions in [
        Conditions::default(),
        conditions(false, &[], &[]),
        conditions(true, &["10.0.0.0/8"], &[]),
    ] {
        assert_eq!(
            role_policy(Environment::Prod, Role::Developer, &conditions),
            Err(PolicyError::DeveloperInProd)
        );
    }
}

#[test]
fn developer_access_narrows_from_dev_to_staging() {
    let actions = |environment| -> Vec<String> {
        role_policy(environment, Role::Developer, &Conditions::default())
            .unwrap()
            .statements()
            .iter()
            .filter(|s| s.effect == Effect::Allow && s.sid.starts_with("App"))
            .flat_map(|s| match &s.action {
                Actions::Action(a) => a.clone(),
                Actions::NotAction(a) => a.clone(),
            })
            .collect()
    };
    let dev = actions(Environment::Dev);
    let staging = actions(Environment::Staging);
    assert!(dev.contains(&"lambda:*".to_string()));
    assert!(!staging.iter().any(|a| a.ends_with(":*")), "{staging:?}");
    assert!(staging.contains(&"lambda:InvokeFunction".to_string()));
}

#[test]
fn mfa_off_is_refused_in_prod_only() {
    for role in [
        Role::InfraManager,
        Role::InfraMember,
        Role::SecurityEngineer,
    ] {
        assert_eq!(
            role_policy(Environment::Prod, role, &conditions(false, &[], &[])),
            Err(PolicyError::MfaRequiredInProd)
        );
        for environment in [Environment::Dev, Environment::Staging] {
            let document = role_policy(environment, role, &conditions(false, &[], &[])).unwrap();
            assert!(
                !sids(&document).contains(&"DenyWithoutMfa"),
                "{role} {environment}"
            );
            assert!(sids(&document).contains(&"SelfServiceOwnUser"));
        }
    }
}

#[test]
fn mfa_statement_is_exact() {
    let document =
        role_policy(Environment::Prod, Role::InfraMember, &Conditions::default()).unwrap();
    let json: Value = serde_json::from_str(&document.to_json()).unwrap();
    let statement = json["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "DenyWithoutMfa")
        .unwrap();
    let mut expected_exempt = vec![
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
    expected_exempt.sort();
    assert_eq!(
        *statement,
        serde_json::json!({
            "Sid": "DenyWithoutMfa",
            "Effect": "Deny",
            "NotAction": expected_exempt,
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
        })
    );
}

#[test]
fn ip_statement_in_a_role_policy() {
    let document = role_policy(
        Environment::Prod,
        Role::SecurityEngineer,
        &conditions(
            true,
            &["192.0.2.0/24", "2001:db8::/48"],
            &["vpce-0123456789abcdef0"],
        ),
    )
    .unwrap();
    assert_eq!(sids(&document).last(), Some(&"DenyOutsideAllowedNetworks"));
    assert!(document.to_json().ends_with(concat!(
        r#"{"Sid":"DenyOutsideAllowedNetworks","Effect":"Deny","Action":"*","Resource":"*","#,
        r#""Condition":{"Bool":{"aws:ViaAWSService":"false"},"#,
        r#""NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/48"]},"#,
        r#""StringNotEqualsIfExists":{"aws:SourceVpce":"vpce-0123456789abcdef0"}}}]}"#
    )));
    assert_iam_grammar(&document.to_json());
}

#[test]
fn invalid_conditions_are_refused() {
    let cases = [
        (
            conditions(true, &["10.0.0.1/8"], &[]),
            "invalid CIDR block `10.0.0.1/8`",
        ),
        (
            conditions(true, &["10.0.0.0/8"], &["vpce-XYZ"]),
            "invalid VPC endpoint ID `vpce-XYZ`",
        ),
        (
            conditions(true, &[], &["vpce-0123abcd"]),
            "`allowed_vpc_endpoint_ids` is set but `allowed_ip_ranges` is empty",
        ),
    ];
    for (conditions, message) in cases {
        let error = role_policy(Environment::Dev, Role::InfraMember, &conditions).unwrap_err();
        assert!(error.to_string().starts_with(message), "{error}");
    }
}

#[test]
fn output_is_byte_stable_regardless_of_input_order() {
    let forward = conditions(
        true,
        &[
            "203.0.113.0/24",
            "10.0.0.0/8",
            "2001:db8::/32",
            "198.51.100.7/32",
        ],
        &["vpce-0000aaaa", "vpce-1111bbbb"],
    );
    let mut shuffled = forward.clone();
    shuffled.allowed_ip_ranges.reverse();
    shuffled.allowed_ip_ranges.push("10.0.0.0/8".to_string());
    shuffled.allowed_ip_ranges.push("2001:DB8::/32".to_string());
    shuffled.allowed_vpc_endpoint_ids.reverse();
    for role in Role::ALL {
        let a = role_policy(Environment::Staging, role, &forward)
            .unwrap()
            .to_json();
        let b = role_policy(Environment::Staging, role, &shuffled)
            .unwrap()
            .to_json();
        let again = role_policy(Environment::Staging, role, &forward)
            .unwrap()
            .to_json();
        assert_eq!(a.as_bytes(), b.as_bytes(), "{role}");
        assert_eq!(a.as_bytes(), again.as_bytes(), "{role}");
    }
}

#[test]
fn built_in_policies_fit_with_mfa_and_twenty_ranges() {
    // Twenty long IPv6 ranges and two endpoints: a generous real-world worst case.
    let ranges: Vec<String> = (0..20)
        .map(|i| format!("2001:db8:aaaa:bbbb:cccc:dddd:eeee:{:x}/128", 0x1000 + i))
        .collect();
    let worst = Conditions {
        require_mfa: true,
        allowed_ip_ranges: ranges,
        allowed_vpc_endpoint_ids: vec![
            "vpce-0123456789abcdef0".into(),
            "vpce-0123456789abcdef1".into(),
        ],
    };
    for role in Role::ALL {
        for environment in Environment::ALL {
            match role_policy(environment, role, &worst) {
                Ok(document) => {
                    let size = document.size_without_whitespace();
                    assert!(
                        size <= GROUP_INLINE_POLICY_LIMIT,
                        "{role} {environment}: {size}"
                    );
                }
                Err(error) => assert_eq!(
                    (role, environment, error),
                    (
                        Role::Developer,
                        Environment::Prod,
                        PolicyError::DeveloperInProd
                    )
                ),
            }
        }
    }
}

#[test]
fn too_many_ranges_trip_the_size_limit() {
    let many = Conditions {
        allowed_ip_ranges: ipv4_ranges(300),
        ..Conditions::default()
    };
    for role in [Role::InfraManager, Role::SecurityEngineer] {
        match role_policy(Environment::Prod, role, &many) {
            Err(PolicyError::TooLarge { size, limit }) => {
                assert_eq!(limit, GROUP_INLINE_POLICY_LIMIT);
                assert!(size > limit, "{size}");
            }
            other => unreachable!("{role}: {other:?}"),
        }
    }
}

#[test]
fn size_limit_is_inclusive() {
    // Find the largest number of ranges that still fits, and check one more fails.
    let fits = |n: usize| {
        role_policy(
            Environment::Dev,
            Role::SecurityEngineer,
            &Conditions {
                allowed_ip_ranges: ipv4_ranges(n),
                ..Conditions::default()
            },
        )
    };
    let largest = (1..300).take_while(|n| fits(*n).is_ok()).last().unwrap();
    assert!(largest >= 20, "{largest}");
    assert!(fits(largest).unwrap().size_without_whitespace() <= GROUP_INLINE_POLICY_LIMIT);
    assert!(matches!(
        fits(largest + 1),
        Err(PolicyError::TooLarge { .. })
    ));
}

#[test]
fn generated_json_normalizes_to_itself_across_encodings() {
    let document = role_policy(
        Environment::Prod,
        Role::InfraManager,
        &conditions(true, &["192.0.2.0/24"], &[]),
    )
    .unwrap();
    let json = document.to_json();
    let encoded: String = json
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&json).unwrap()).unwrap();
    let plain = normalize_policy_json(&json).unwrap();
    assert_eq!(normalize_policy_json(&encoded).unwrap(), plain);
    assert_eq!(normalize_policy_json(&pretty).unwrap(), plain);
    let other = role_policy(Environment::Prod, Role::InfraMember, &Conditions::default()).unwrap();
    assert_ne!(normalize_policy_json(&other.to_json()).unwrap(), plain);
}

#[test]
fn group_names_use_validated_prefixes() {
    assert_eq!(validate_name_prefix("hera"), Ok(()));
    assert_eq!(
        group_name("hera", Environment::Prod, Role::InfraManager),
        "hera-prod-infra-manager"
    );
    assert_eq!(POLICY_VERSION, "2012-10-17");
    assert_eq!(GROUP_INLINE_POLICY_LIMIT, 5120);
    assert!(MFA_EXEMPT_ACTIONS.contains(&"sts:GetSessionToken"));
    assert_eq!(
        parse_cidr("10.0.0.0/8").map(|c| c.to_string()),
        Ok("10.0.0.0/8".to_string())
    );
    assert_eq!(validate_vpc_endpoint_id("vpce-0123abcd"), Ok(()));
}
