use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::plan::{check, flatten, plan_computed};
use super::{EnvGroupState, FoundGroup};
use crate::aws::iam::Group;
use crate::error::attr;
use crate::values::text;

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}

fn state(prefix: &str, environment: &str, role: &str) -> EnvGroupState {
    EnvGroupState {
        name_prefix: s(prefix),
        environment: s(environment),
        role: s(role),
        ..Default::default()
    }
}

fn found(policy: Option<String>) -> FoundGroup {
    FoundGroup {
        group: Group {
            name: "g".into(),
            id: "AGPA".into(),
            arn: "arn".into(),
            members: Vec::new(),
        },
        policy,
    }
}

#[test]
fn plan_names_the_group_and_defaults_mfa() {
    let mut planned = state("hera", "prod", "infra-manager");
    let policy = check(&planned).unwrap();
    plan_computed(&mut planned, policy.as_ref(), None);
    assert_eq!(planned.name, s("hera-prod-infra-manager"));
    assert_eq!(planned.id, planned.name);
    assert_eq!(planned.require_mfa, Value::Value(true));
    assert!(matches!(planned.arn, Value::Unknown));
    assert!(text(&planned.policy_json).contains("DenyWithoutMfa"));
}

#[test]
fn unknown_inputs_leave_computed_values_unknown() {
    let mut planned = state("hera", "dev", "developer");
    planned.allowed_ip_ranges = Value::Unknown;
    let policy = check(&planned).unwrap();
    assert!(policy.is_none());
    plan_computed(&mut planned, None, None);
    assert_eq!(planned.name, s("hera-dev-developer"));
    assert!(matches!(planned.policy_json, Value::Unknown));
}

#[test]
fn bad_prefix_is_reported_on_name_prefix() {
    let errors = check(&state("he ra", "dev", "developer")).unwrap_err();
    let (summary, _, path) = errors
        .0
        .into_iter()
        .next()
        .unwrap()
        .into_parts(AttributePath::default());
    assert_eq!(summary, "Invalid name prefix");
    assert_eq!(path, attr("name_prefix"));
}

#[test]
fn refresh_keeps_canonical_text_for_equal_policies_and_shows_drift() {
    let base = state("hera", "dev", "developer");
    let expected = check(&base).unwrap().unwrap().to_json();
    let encoded: String = expected.bytes().map(|b| format!("%{b:02X}")).collect();
    let same = flatten(base.clone(), found(Some(encoded)));
    assert_eq!(same.policy_json, Value::Value(expected.clone()));

    let edited =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let drifted = flatten(base.clone(), found(Some(edited.into())));
    assert_ne!(drifted.policy_json, Value::Value(expected));

    let missing = flatten(base, found(None));
    assert_eq!(missing.policy_json, Value::Null);
}
