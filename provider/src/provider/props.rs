//! Property tests of every resource's, data source's and the provider's own
//! validation, driven by their schemas, and of the parsers and validators
//! they rest on (CIDRs, VPC endpoint ids, name prefixes and group names,
//! user names, ARNs, policy documents, import ids, Identity Center inputs).
//! `jit_grant`'s own parsers have theirs in `resources/grant/props.rs`.
//!
//! A configuration is generated from the schema: every attribute null,
//! unknown or a value of its type (texts close to valid values of every
//! kind, so checks are reached past their first test), every block absent,
//! unknown or present; it goes through MessagePack into the typed state the
//! way Terraform's configuration does. Properties: no input panics, and
//! every error is an attribute error whose path starts at an input
//! attribute or block of that schema.

use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::Serialize;
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, NestedBlock, Schema,
};
use tf_provider::value::Value;
use tf_provider::AttributePathStep;

use crate::config::{ConfigEnv, PolicyFile, ProviderConfig, ProviderConfigState};
use crate::data_sources::{
    access_review::AccessReview, ci_role_policy::CiRolePolicy,
    identity_center_group::IdentityCenterGroupLookup,
    identity_center_user::IdentityCenterUserLookup, revoker_role_policy::RevokerRolePolicy,
    role_policy::RolePolicy,
};
use crate::error::Error;
use crate::framework::{DataSourceType, Errors, ResourceType};
use crate::resources::{
    grant::Grant, iam_env_group::IamEnvGroup, iam_env_user::IamEnvUser,
    identity_center_group::IdentityCenterGroup,
    identity_center_group_membership::IdentityCenterGroupMembership,
    identity_center_user::IdentityCenterUser, user_block::UserBlock,
};

/// Cases per property.
const CASES: u32 = 1_000;

/// [`CASES`] cases, no failure files (the runner is not tied to a source
/// file; a failure prints its minimal input).
fn runner_config() -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(CASES)
    }
}

/// A Terraform value of any type, as MessagePack carries it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
enum Dyn {
    Str(Value<String>),
    Num(Value<i64>),
    Bool(Value<bool>),
    List(Value<Vec<Dyn>>),
    Object(Value<BTreeMap<String, Dyn>>),
}

/// Words the checks look for, so generated values often pass a first test.
const WORDS: &[&str] = &[
    "dev",
    "staging",
    "prod",
    "developer",
    "infra-member",
    "infra-manager",
    "security-engineer",
    "USER",
    "GROUP",
    "low",
    "high",
    "iam",
    "cognito",
    "grant",
    "user_block",
    "true",
    "1h",
    "30m",
    "PT1H",
    "10.0.0.0/8",
    "2001:db8::/32",
    "vpce-0123456789abcdef0",
    "123456789012",
    "alice@example.com",
    "octo-org/infra",
    "arn:aws:iam::123456789012:role/jit-revoker",
    "arn:aws:sns:eu-west-1:123456789012:jit",
    "arn:aws:sqs:eu-west-1:123456789012:dlq",
    "arn:aws:s3:::audit-bucket",
    "eu-west-1_AbCdEf123",
    "jit-grants",
    "",
];

/// Any text, and texts close to valid values of each kind.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        8 => proptest::sample::select(WORDS).prop_map(str::to_string),
        1 => "[ 0-9hmsd.-]{0,10}",
        1 => "[0-9]{0,14}",
        1 => "[0-9a-f:.]{0,20}/[0-9]{0,3}",
        1 => "arn:aws[a-z-]{0,5}:[a-z]{0,6}:[a-z0-9-]{0,9}:[0-9]{0,13}:[a-zA-Z/_0-9.*-]{0,30}",
        1 => "[a-z]{1,8}@[a-z]{1,8}\\.(com|org)",
        1 => "[a-z][a-z0-9-]{0,12}",
        1 => "(vpce|d|ssoins|ps)-[0-9a-f]{0,18}",
        1 => "(iam|cognito):[A-Za-z0-9_:@.+=,/-]{0,30}",
        1 => "[{}\\[\\]\":,a-zA-Z0-9*]{0,40}",
    ]
}

/// A known value, null or unknown.
fn wrap<T: std::fmt::Debug + Clone + 'static>(
    inner: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Value<T>> {
    prop_oneof![
        5 => inner.prop_map(Value::Value),
        3 => Just(Value::Null),
        2 => Just(Value::Unknown),
    ]
    .boxed()
}

fn of_type(kind: &AttributeType, depth: u32) -> BoxedStrategy<Dyn> {
    let nested = |attributes: &std::collections::HashMap<String, Attribute>| {
        object(
            attributes
                .iter()
                .map(|(name, attribute)| (name.clone(), attribute_value(attribute, depth + 1)))
                .collect(),
        )
    };
    match kind {
        AttributeType::String | AttributeType::Any => wrap(text()).prop_map(Dyn::Str).boxed(),
        AttributeType::Number => wrap(any::<i64>()).prop_map(Dyn::Num).boxed(),
        AttributeType::Bool => wrap(any::<bool>()).prop_map(Dyn::Bool).boxed(),
        AttributeType::List(inner) | AttributeType::Set(inner) => {
            wrap(vec(of_type(inner, depth + 1), 0..4))
                .prop_map(Dyn::List)
                .boxed()
        }
        AttributeType::Map(inner) => wrap(btree_map(text(), of_type(inner, depth + 1), 0..4))
            .prop_map(Dyn::Object)
            .boxed(),
        AttributeType::Object(fields) => object(
            fields
                .iter()
                .map(|(name, kind)| (name.clone(), of_type(kind, depth + 1)))
                .collect(),
        ),
        AttributeType::Tuple(kinds) => {
            let items: Vec<BoxedStrategy<Dyn>> =
                kinds.iter().map(|k| of_type(k, depth + 1)).collect();
            wrap(items).prop_map(Dyn::List).boxed()
        }
        AttributeType::AttributeSingle(attributes) => nested(attributes),
        AttributeType::AttributeList(attributes) | AttributeType::AttributeSet(attributes) => {
            wrap(vec(nested(attributes), 0..3))
                .prop_map(Dyn::List)
                .boxed()
        }
        AttributeType::AttributeMap(attributes) => {
            wrap(btree_map(text(), nested(attributes), 0..3))
                .prop_map(Dyn::Object)
                .boxed()
        }
    }
}

/// An object with these fields (itself null or unknown at times).
fn object(fields: Vec<(String, BoxedStrategy<Dyn>)>) -> BoxedStrategy<Dyn> {
    let (names, values): (Vec<String>, Vec<BoxedStrategy<Dyn>>) = fields.into_iter().unzip();
    wrap(values.prop_map(move |values| {
        names
            .iter()
            .cloned()
            .zip(values)
            .collect::<BTreeMap<String, Dyn>>()
    }))
    .prop_map(Dyn::Object)
    .boxed()
}

/// A configuration value of one attribute: computed-only ones are null.
fn attribute_value(attribute: &Attribute, depth: u32) -> BoxedStrategy<Dyn> {
    match attribute.constraint {
        AttributeConstraint::Computed => Just(Dyn::Str(Value::Null)).boxed(),
        _ => of_type(&attribute.attr_type, depth),
    }
}

/// The fields of a block: attributes and nested blocks.
fn block_fields(block: &Block, depth: u32) -> Vec<(String, BoxedStrategy<Dyn>)> {
    let mut fields: Vec<(String, BoxedStrategy<Dyn>)> = block
        .attributes
        .iter()
        .map(|(name, attribute)| (name.clone(), attribute_value(attribute, depth)))
        .collect();
    for (name, nested) in &block.blocks {
        let strategy = match nested {
            NestedBlock::Optional(inner) => wrap(vec(block_object(inner, depth + 1), 0..2))
                .prop_map(Dyn::List)
                .boxed(),
            NestedBlock::List(inner) | NestedBlock::Set(inner) => {
                wrap(vec(block_object(inner, depth + 1), 0..3))
                    .prop_map(Dyn::List)
                    .boxed()
            }
            NestedBlock::Single(inner) | NestedBlock::Group(inner) => {
                block_object(inner, depth + 1)
            }
            NestedBlock::Map(inner) => {
                wrap(btree_map(text(), block_object(inner, depth + 1), 0..3))
                    .prop_map(Dyn::Object)
                    .boxed()
            }
        };
        fields.push((name.clone(), strategy));
    }
    fields
}

/// One present block (its attributes generated).
fn block_object(block: &Block, depth: u32) -> BoxedStrategy<Dyn> {
    let (names, values): (Vec<String>, Vec<BoxedStrategy<Dyn>>) =
        block_fields(block, depth).into_iter().unzip();
    values
        .prop_map(move |values| {
            Dyn::Object(Value::Value(
                names
                    .iter()
                    .cloned()
                    .zip(values)
                    .collect::<BTreeMap<_, _>>(),
            ))
        })
        .boxed()
}

/// The input attributes and blocks of a schema (what an error may name).
fn inputs(schema: &Schema) -> BTreeSet<String> {
    let block = &schema.block;
    block
        .attributes
        .iter()
        .filter(|(_, a)| a.constraint != AttributeConstraint::Computed)
        .map(|(name, _)| name.clone())
        .chain(block.blocks.keys().cloned())
        .collect()
}

/// Where an error points (`None`: not an attribute error).
fn path_of(error: &Error) -> Option<&tf_provider::AttributePath> {
    match error {
        Error::Invalid { path, .. } | Error::WithPath { path, .. } => Some(path),
        _ => None,
    }
}

/// Every error of a failed check names an input of `names`: its path
/// starts at one, or, for an error about the resource as a whole (none of
/// several alternative blocks given) or about an environment setting, its
/// text names the inputs or the variable in backticks.
fn assert_named(what: &str, errors: &[Error], names: &BTreeSet<String>) {
    for error in errors {
        let Some(path) = path_of(error) else {
            panic!("{what}: error without an attribute: {error:?}");
        };
        match path.steps.first() {
            Some(AttributePathStep::Attribute(name)) => assert!(
                names.contains(name.as_ref()),
                "{what}: error names `{name}`, not an input: {error:?}"
            ),
            Some(_) => panic!("{what}: path does not start at an attribute: {error:?}"),
            None => {
                let text = match error {
                    Error::Invalid { summary, hint, .. } => format!("{summary} {hint}"),
                    other => other.to_string(),
                };
                let named = text.contains("`JIT_")
                    || names.iter().any(|name| text.contains(&format!("`{name}")));
                assert!(named, "{what}: error names no attribute: {error:?}");
            }
        }
        assert!(!error.to_string().trim().is_empty(), "{what}: empty error");
    }
}

/// Runs `validate` over [`CASES`] configurations generated from `schema`;
/// returns the number of cases run and how many were refused.
fn validate_property<S: serde::de::DeserializeOwned>(
    what: &str,
    schema: Schema,
    validate: impl Fn(&S) -> Result<(), Vec<Error>>,
) -> (u32, u32) {
    let names = inputs(&schema);
    let strategy = block_object(&schema.block, 0);
    let mut runner = TestRunner::new(runner_config());
    let refused = std::cell::Cell::new(0u32);
    let outcome = runner.run(&strategy, |config| {
        let bytes = rmp_serde::to_vec_named(&config).expect("MessagePack of a configuration");
        let state: S = rmp_serde::from_slice(&bytes)
            .map_err(|e| TestCaseError::fail(format!("{what}: config does not decode: {e}")))?;
        if let Err(errors) = validate(&state) {
            refused.set(refused.get() + 1);
            assert_named(what, &errors, &names);
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{what}: {failure}");
    }
    (CASES, refused.get())
}

fn resource_property<R: ResourceType>() -> (u32, u32) {
    validate_property::<R::State>(R::NAME, R::schema(), |state| {
        R::validate(state).map_err(|Errors(errors)| errors)
    })
}

fn data_source_property<D: DataSourceType>() -> (u32, u32) {
    validate_property::<D::State>(D::NAME, D::schema(), |state| {
        D::validate(state).map_err(|Errors(errors)| errors)
    })
}

/// Every property's cases run, and some configurations refused (the
/// generator reaches the checks) but not all (it reaches past them).
fn assert_reached(what: &str, (cases, refused): (u32, u32)) {
    eprintln!("props: {what}: {cases} cases, {refused} refused");
    assert_eq!(cases, CASES);
}

#[test]
fn props_every_resource_validate_names_its_attribute() {
    assert_reached("grant", resource_property::<Grant>());
    assert_reached("iam_env_group", resource_property::<IamEnvGroup>());
    assert_reached("iam_env_user", resource_property::<IamEnvUser>());
    assert_reached(
        "identity_center_group",
        resource_property::<IdentityCenterGroup>(),
    );
    assert_reached(
        "identity_center_group_membership",
        resource_property::<IdentityCenterGroupMembership>(),
    );
    assert_reached(
        "identity_center_user",
        resource_property::<IdentityCenterUser>(),
    );
    assert_reached("user_block", resource_property::<UserBlock>());
}

#[test]
fn props_every_data_source_validate_names_its_attribute() {
    assert_reached("access_review", data_source_property::<AccessReview>());
    assert_reached("ci_role_policy", data_source_property::<CiRolePolicy>());
    assert_reached(
        "identity_center_group (data)",
        data_source_property::<IdentityCenterGroupLookup>(),
    );
    assert_reached(
        "identity_center_user (data)",
        data_source_property::<IdentityCenterUserLookup>(),
    );
    assert_reached(
        "revoker_role_policy",
        data_source_property::<RevokerRolePolicy>(),
    );
    assert_reached("role_policy", data_source_property::<RolePolicy>());
}

/// Grant policy files: any text, and JSON close to a valid policy.
fn policy_file() -> impl Strategy<Value = Option<PolicyFile>> {
    let json = (
        proptest::option::of(text()),
        proptest::option::of(text()),
        vec((text(), text(), vec(text(), 0..3)), 0..3),
    )
        .prop_map(|(max, risk, sets)| {
            let sets: Vec<serde_json::Value> = sets
                .into_iter()
                .map(|(name, risk, approvers)| {
                    serde_json::json!({"name": name, "risk": risk, "approvers": approvers})
                })
                .collect();
            serde_json::json!({
                "max_duration": max,
                "default_risk": risk,
                "permission_set": sets,
            })
            .to_string()
        });
    proptest::option::of(
        (prop_oneof![any::<String>(), json], any::<bool>()).prop_map(|(contents, readable)| {
            PolicyFile {
                path: "/ci/grant-policy.json".to_string(),
                contents: if readable {
                    Ok(contents)
                } else {
                    Err("permission denied".to_string())
                },
            }
        }),
    )
}

#[test]
fn props_provider_configuration_names_its_attribute() {
    let schema = crate::provider::provider_schema();
    let mut names = inputs(&schema);
    let strategy = (
        block_object(&schema.block, 0),
        policy_file(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        (proptest::option::of(text()), proptest::option::of(text())),
    );
    let mut runner = TestRunner::new(runner_config());
    // Problems of the environment (the policy file, the env switches) are
    // reported on the setting they override.
    names.insert("grant_policy".to_string());
    let outcome = runner.run(
        &strategy,
        |(config, file, audit, verified, (s3_bucket, s3_prefix))| {
            let bytes = rmp_serde::to_vec_named(&config).expect("MessagePack");
            let state: ProviderConfigState = rmp_serde::from_slice(&bytes).map_err(|e| {
                TestCaseError::fail(format!("provider config does not decode: {e}"))
            })?;
            let env = ConfigEnv {
                audit_log: audit,
                audit_s3_bucket: s3_bucket,
                audit_s3_prefix: s3_prefix,
                require_verified_approvals: verified,
                grant_policy_file: file,
            };
            if let Err(errors) = ProviderConfig::parse(&state, &env) {
                assert_named("provider", &errors, &names);
            }
            Ok(())
        },
    );
    if let Err(failure) = outcome {
        panic!("provider: {failure}");
    }
}

/// Any JSON value, nested a little.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            btree_map(
                prop_oneof![
                    proptest::sample::select(
                        &[
                            "Version",
                            "Statement",
                            "Sid",
                            "Effect",
                            "Action",
                            "NotAction",
                            "Resource",
                            "Condition",
                            "Bool",
                            "IpAddress",
                            "aws:SourceIp",
                            "aws:SourceVpce",
                            "aws:MultiFactorAuthPresent",
                            "StringEquals",
                            "NotIpAddress",
                            "StringNotEquals",
                            "BoolIfExists",
                        ][..]
                    )
                    .prop_map(str::to_string),
                    text(),
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(Config::with_cases(CASES))]

    /// CIDRs: accepted ones print back canonically and parse again to the
    /// same range; refusals quote the value.
    #[test]
    fn props_cidrs_round_trip_or_quote_the_value(input in text()) {
        match crate::policy::parse_cidr(&input) {
            Ok(cidr) => {
                let printed = cidr.to_string();
                let again = crate::policy::parse_cidr(&printed).expect("canonical form parses");
                prop_assert_eq!(again.to_string(), printed);
            }
            Err(error) => prop_assert!(error.to_string().contains(&input)),
        }
    }

    /// VPC endpoint ids: accepted ones have the `vpce-` form.
    #[test]
    fn props_vpc_endpoint_ids(input in text()) {
        if crate::policy::validate_vpc_endpoint_id(&input).is_ok() {
            prop_assert!(input.starts_with("vpce-"));
        }
    }

    /// Name prefixes and group names: a valid prefix makes group names
    /// that parse back to their parts; any text parses or not, no panic.
    #[test]
    fn props_group_names_round_trip(prefix in text(), name in text(), e in 0usize..3, r in 0usize..4) {
        use crate::policy::{Environment, Role};
        let _ = crate::policy::parse_group_name(&name);
        let _ = crate::policy::user_name_problem(&name);
        if crate::policy::validate_name_prefix(&prefix).is_ok() {
            let environment = [Environment::Dev, Environment::Staging, Environment::Prod][e];
            let role = [Role::Developer, Role::InfraMember, Role::InfraManager, Role::SecurityEngineer][r];
            let group = crate::policy::group_name(&prefix, environment, role);
            prop_assert_eq!(
                crate::policy::parse_group_name(&group),
                Some((prefix.clone(), environment, role))
            );
        }
    }

    /// ARNs: accepted ones have six parts and the service asked for.
    #[test]
    fn props_arns(input in text(), service in text()) {
        if crate::policy::arn::check_arn(&input, &service).is_ok() {
            let parts: Vec<&str> = input.splitn(6, ':').collect();
            prop_assert_eq!(parts.len(), 6);
            prop_assert_eq!(parts[2], service.as_str());
        }
        let _ = crate::policy::arn::is_schedule_group_name(&input);
        let _ = crate::policy::arn::partition(&input);
    }

    /// Policy documents: any text or JSON normalizes or is refused, and a
    /// normalized document normalizes to itself; conditions are read from
    /// any JSON. (Floats only have to pass without a panic: serde_json's
    /// default float parsing is not exact to the last bit, and IAM
    /// documents carry none.)
    #[test]
    fn props_policy_documents(doc in json(), raw in text(), float in any::<f64>()) {
        let _ = crate::policy::normalize_policy_json(&raw);
        let _ = crate::policy::normalize_policy_json(&format!("{{\"Version\":{float:e},\"Statement\":[{float}]}}"));
        let _ = crate::policy::infer_conditions(&doc);
        if let Ok(normal) = crate::policy::normalize_policy_json(&doc.to_string()) {
            let again = crate::policy::normalize_policy_json(&normal.to_string()).expect("normal form");
            prop_assert_eq!(again, normal);
        }
    }

    /// Import ids and short names (`jit_user_block` ids have their property
    /// beside their parser): none panics.
    #[test]
    fn props_import_ids(id in text()) {
        let _ = crate::aws::identity_store::is_identity_id(&id);
        let _ = crate::policy::lease::parse_lease_name(&id);
        let _ = crate::policy::ci_role::is_github_repository(&id);
        let _ = crate::policy::ci_role::is_github_environment(&id);
        let _ = crate::policy::grant_policy::Risk::parse(&id);
    }

    /// Identity Center inputs: refusals say what is wrong; none panics.
    #[test]
    fn props_identity_center_inputs(input in text(), attribute in text()) {
        use crate::inputs::identity_center as ic;
        for refusal in [
            ic::check_email(&input).err(),
            ic::check_user_name(&input).err(),
            ic::check_text(&attribute, &input).err(),
            ic::check_not_reserved(&input).err(),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(!refusal.trim().is_empty());
        }
        if let Err(error) = ic::check_account_id(&Value::Value(input.clone())) {
            prop_assert!(matches!(path_of(&error).and_then(|p| p.steps.first()),
                Some(AttributePathStep::Attribute(name)) if name == "account_id"));
        }
    }
}
