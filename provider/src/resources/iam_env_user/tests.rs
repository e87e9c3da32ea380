//! Unit tests of `jit_iam_env_user`: input checks, plans, refresh and the
//! requests moto cannot verify.

use base64::Engine;
use pgp::composed::{
    Deserializable, EncryptionCaps, KeyType, SecretKeyParamsBuilder, SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::ser::Serialize;

use std::collections::BTreeMap;

use tf_provider::AttributePath;

use super::delete::{is_virtual_mfa, Attachments};
use super::password::parse_pgp_key;
use super::plan::*;
use super::*;
use crate::policy::Environment;

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}

fn set(items: &[&str]) -> StrList {
    str_list(items.iter().map(|item| item.to_string()))
}

/// A base64 public key with an encryption subkey, generated for the test.
fn test_key() -> String {
    let mut params = SecretKeyParamsBuilder::default();
    params
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id("Test <test@example.com>".into())
        .subkeys(vec![SubkeyParamsBuilder::default()
            .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
            .can_encrypt(EncryptionCaps::All)
            .build()
            .unwrap()]);
    let secret = params.build().unwrap().generate(rand::rngs::OsRng).unwrap();
    base64::engine::general_purpose::STANDARD.encode(secret.to_public_key().to_bytes().unwrap())
}

fn user(environment: &str, roles: &[&str]) -> EnvUserState {
    EnvUserState {
        name: s("alice"),
        name_prefix: s("hera"),
        environment: s(environment),
        roles: set(roles),
        ..Default::default()
    }
}

fn errors(state: &EnvUserState) -> Vec<(String, String)> {
    check(state)
        .unwrap_err()
        .into_iter()
        .map(|error| {
            let (summary, _, path) = error.into_parts(AttributePath::default());
            (summary, path.to_string())
        })
        .collect()
}

#[test]
fn each_bad_input_points_at_its_attribute() {
    let mut console_without_key = user("dev", &["developer"]);
    console_without_key.console_access = Value::Value(true);
    let mut bad_key = user("dev", &["developer"]);
    bad_key.pgp_key = s("not a key");
    let mut reserved_tag = user("dev", &["developer"]);
    reserved_tag.tags = Value::Value(BTreeMap::from([("jit:environment".to_string(), s("prod"))]));
    let mut bad_name = user("dev", &["developer"]);
    bad_name.name = s("alice smith");
    let mut long_name = user("dev", &["developer"]);
    long_name.name = s(&"a".repeat(65));
    let cases = [
        (
            user("prod", &["developer"]),
            "Developers get no standing prod access",
            "roles",
        ),
        (user("dev", &["admin"]), "Unknown role", "roles"),
        (
            user("qa", &["developer"]),
            "Unknown environment",
            "environment",
        ),
        (
            console_without_key,
            "Console access needs a PGP key",
            "console_access",
        ),
        (bad_key, "Unusable PGP key", "pgp_key"),
        (reserved_tag, "Reserved tag key", "tags"),
        (bad_name, "Invalid user name", "name"),
        (long_name, "Invalid user name", "name"),
    ];
    for (state, summary, path) in cases {
        let found = errors(&state);
        assert!(
            found.contains(&(summary.to_string(), path.to_string())),
            "{summary}: {found:?}"
        );
    }
}

#[test]
fn developer_in_prod_points_to_jit_grant() {
    let error = check(&user("prod", &["infra-member", "developer"]))
        .unwrap_err()
        .remove(0);
    let (_, detail, _) = error.into_parts(AttributePath::default());
    assert!(detail.contains("jit_grant"), "{detail}");
}

#[test]
fn unknown_inputs_are_not_errors_and_leave_computed_values_unknown() {
    let mut state = user("prod", &["infra-member"]);
    state.roles = Value::Unknown;
    state.pgp_key = Value::Unknown;
    state.console_access = Value::Value(true);
    let checked = check(&state).unwrap();
    assert!(checked.target.is_none());
    plan_computed(&mut state, &checked, None);
    assert_eq!(state.groups, Value::Unknown);
    assert_eq!(state.encrypted_password, Value::Unknown);
    assert_eq!(state.key_fingerprint, Value::Unknown);
    // A known developer role is refused even while the environment is unknown
    // only when the environment is known to be prod.
    let mut unknown_env = user("prod", &["developer"]);
    unknown_env.environment = Value::Unknown;
    assert!(check(&unknown_env).is_ok());
}

#[test]
fn plan_create_names_groups_and_plans_the_password() {
    let key = test_key();
    let mut planned = user("staging", &["security-engineer", "developer"]);
    planned.console_access = Value::Value(true);
    planned.pgp_key = s(&key);
    let checked = check(&planned).unwrap();
    let fingerprint = checked.key.as_ref().unwrap().fingerprint.clone();
    plan_computed(&mut planned, &checked, None);
    assert_eq!(
        planned.groups,
        set(&["hera-staging-developer", "hera-staging-security-engineer"])
    );
    assert_eq!(planned.id, s("alice"));
    assert_eq!(planned.force_destroy, Value::Value(false));
    assert_eq!(planned.arn, Value::Unknown);
    assert_eq!(planned.console_login_url, Value::Unknown);
    assert_eq!(planned.encrypted_password, Value::Unknown);
    assert_eq!(planned.key_fingerprint, s(&fingerprint));
    let tags = planned.tags_all.as_ref_option().unwrap();
    assert_eq!(tags.get(TAG_NAME_PREFIX), Some(&s("hera")));
    assert_eq!(tags.get(TAG_ENVIRONMENT), Some(&s("staging")));

    let mut without_console = user("dev", &["developer"]);
    let checked = check(&without_console).unwrap();
    plan_computed(&mut without_console, &checked, None);
    assert_eq!(without_console.console_access, Value::Value(false));
    assert_eq!(without_console.encrypted_password, Value::Null);
    assert_eq!(without_console.key_fingerprint, Value::Null);
    assert_eq!(without_console.console_login_url, Value::Null);
}

/// The state after a create with console access.
fn applied(key: &str, fingerprint: &str) -> EnvUserState {
    let mut state = user("dev", &["infra-member"]);
    state.console_access = Value::Value(true);
    state.pgp_key = s(key);
    state.arn = s("arn:aws:iam::123456789012:user/alice");
    state.encrypted_password = s("c2VjcmV0");
    state.key_fingerprint = s(fingerprint);
    state.force_destroy = Value::Value(false);
    state
}

fn plan_update(prior: &EnvUserState, mut proposed: EnvUserState) -> EnvUserState {
    let checked = check(&proposed).unwrap();
    plan_computed(&mut proposed, &checked, Some(prior));
    proposed
}

#[test]
fn role_change_keeps_the_password_and_key_changes_reset_it() {
    let key = test_key();
    let fingerprint = parse_pgp_key(&key).unwrap().fingerprint;
    let prior = applied(&key, &fingerprint);

    let mut roles = prior.clone();
    roles.roles = set(&["infra-manager"]);
    let planned = plan_update(&prior, roles);
    assert_eq!(planned.groups, set(&["hera-dev-infra-manager"]));
    assert_eq!(planned.encrypted_password, prior.encrypted_password);
    assert_eq!(planned.arn, prior.arn);
    assert_eq!(
        planned.console_login_url,
        s("https://123456789012.signin.aws.amazon.com/console")
    );

    // The same key, armored, is the same key: nothing to do.
    let armored = {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&key)
            .unwrap();
        let public = pgp::composed::SignedPublicKey::from_bytes(bytes.as_slice()).unwrap();
        public.to_armored_string(Default::default()).unwrap()
    };
    let mut same = prior.clone();
    same.pgp_key = s(&armored);
    assert_eq!(
        plan_update(&prior, same).encrypted_password,
        prior.encrypted_password
    );

    let other = test_key();
    let mut rotated = prior.clone();
    rotated.pgp_key = s(&other);
    let planned = plan_update(&prior, rotated);
    assert_eq!(planned.encrypted_password, Value::Unknown);
    assert_ne!(planned.key_fingerprint, prior.key_fingerprint);

    let mut off = prior.clone();
    off.console_access = Value::Value(false);
    let planned = plan_update(&prior, off);
    assert_eq!(planned.encrypted_password, Value::Null);
    assert_eq!(planned.console_login_url, Value::Null);
}

#[test]
fn a_key_after_import_is_adopted_without_a_new_password() {
    let key = test_key();
    let mut imported = applied(&key, "");
    imported.pgp_key = Value::Null;
    imported.encrypted_password = Value::Null;
    imported.key_fingerprint = Value::Null;
    let mut proposed = imported.clone();
    proposed.pgp_key = s(&key);
    let checked = check(&proposed).unwrap();
    assert!(matches!(
        password_change(&imported, &checked),
        PasswordChange::Keep
    ));
    let planned = plan_update(&imported, proposed);
    assert_eq!(planned.encrypted_password, Value::Null);
    assert_eq!(planned.key_fingerprint, Value::Null);
}

#[test]
fn refresh_shows_role_group_drift_and_ignores_other_groups() {
    let key = test_key();
    let prior = applied(&key, "f");
    let found = FoundUser {
        arn: "arn:aws:iam::123456789012:user/alice".into(),
        tags: BTreeMap::from([
            (TAG_NAME_PREFIX.to_string(), "hera".to_string()),
            (TAG_ENVIRONMENT.to_string(), "dev".to_string()),
            ("team".to_string(), "platform".to_string()),
        ]),
        all_groups: vec![
            "hera-dev-infra-manager".into(),
            "hera-prod-infra-manager".into(),
            "billing-readers".into(),
        ],
        console_access: false,
        blocks: vec![],
    };
    let state = flatten(prior.clone(), found);
    // Lost `hera-dev-infra-member`, gained `hera-dev-infra-manager`; the
    // other environment's and unrelated groups are not the user's business.
    assert_eq!(state.groups, set(&["hera-dev-infra-manager"]));
    assert_eq!(state.console_access, Value::Value(false));
    assert_eq!(state.encrypted_password, Value::Null);
    assert_eq!(state.console_login_url, Value::Null);
    let tags = state.tags.as_ref_option().unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags.get("team"), Some(&s("platform")));
    assert_eq!(state.tags_all.as_ref_option().unwrap().len(), 3);

    // Blocked by a `jit_user_block`: the groups in state stay as they were
    // (no diff that would add the user back) and the block's record tags
    // are not the user's.
    let marker = "jit-user-block-0123456789abcdef";
    let blocked = FoundUser {
        arn: "arn:aws:iam::123456789012:user/alice".into(),
        tags: BTreeMap::from([
            (TAG_NAME_PREFIX.to_string(), "hera".to_string()),
            (TAG_ENVIRONMENT.to_string(), "dev".to_string()),
            (
                marker.to_string(),
                "v1 g:AGPA1.hera-dev-infra-member".to_string(),
            ),
            (format!("{marker}.2"), "k:AKIA1.1".to_string()),
        ]),
        all_groups: vec![],
        console_access: false,
        blocks: vec![marker.to_string()],
    };
    let mut prior = prior;
    prior.groups = set(&["hera-dev-infra-member"]);
    let state = flatten(prior.clone(), blocked);
    assert_eq!(state.groups, set(&["hera-dev-infra-member"]));
    assert_eq!(state.tags_all.as_ref_option().unwrap().len(), 2);
}

#[test]
fn block_record_tags_are_reserved() {
    let key = test_key();
    let mut state = applied(&key, "f");
    state.tags = Value::Value(BTreeMap::from([(
        "jit-user-block-0123456789abcdef".to_string(),
        s("x"),
    )]));
    let errors = check(&state).unwrap_err();
    assert!(errors.iter().any(|e| e.to_string() == "Reserved tag key"));
}

#[test]
fn import_scope_comes_from_tags_else_from_one_environment_of_groups() {
    let tagged = FoundUser {
        tags: BTreeMap::from([
            (TAG_NAME_PREFIX.to_string(), "my-team".to_string()),
            (TAG_ENVIRONMENT.to_string(), "staging".to_string()),
        ]),
        ..Default::default()
    };
    assert_eq!(
        import_scope(&tagged),
        Some(("my-team".to_string(), Environment::Staging))
    );
    let grouped = FoundUser {
        all_groups: vec![
            "hera-prod-infra-manager".into(),
            "hera-prod-security-engineer".into(),
            "readers".into(),
        ],
        ..Default::default()
    };
    assert_eq!(
        import_scope(&grouped),
        Some(("hera".to_string(), Environment::Prod))
    );
    let ambiguous = FoundUser {
        all_groups: vec![
            "hera-prod-infra-manager".into(),
            "hera-dev-developer".into(),
        ],
        ..Default::default()
    };
    assert_eq!(import_scope(&ambiguous), None);
    assert_eq!(import_scope(&FoundUser::default()), None);
}

#[test]
fn sign_in_urls_follow_the_partition() {
    let cases = [
        (
            "arn:aws:iam::123456789012:user/alice",
            Some("https://123456789012.signin.aws.amazon.com/console"),
        ),
        (
            "arn:aws-cn:iam::123456789012:user/alice",
            Some("https://123456789012.signin.amazonaws.cn/console"),
        ),
        (
            "arn:aws-us-gov:iam::123456789012:user/a",
            Some("https://123456789012.signin.amazonaws-us-gov.com/console"),
        ),
        ("arn:aws:iam::12345:user/alice", None),
        ("not-an-arn", None),
    ];
    for (arn, url) in cases {
        assert_eq!(sign_in_url(arn).as_deref(), url, "{arn}");
    }
}

#[test]
fn attachments_are_listed_for_the_force_destroy_error() {
    let attachments = Attachments {
        access_keys: vec!["AKIA1".into(), "AKIA2".into()],
        inline_policies: vec!["extra".into()],
        ..Default::default()
    };
    assert!(!attachments.is_empty());
    assert_eq!(
        attachments.describe(),
        "2 access keys (`AKIA1`, `AKIA2`), 1 inline policy (`extra`)"
    );
    assert!(Attachments::default().is_empty());
    assert!(is_virtual_mfa("arn:aws:iam::123456789012:mfa/alice"));
    assert!(!is_virtual_mfa("GAHT12345678"));
}
