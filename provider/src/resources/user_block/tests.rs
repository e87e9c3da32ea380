//! Unit tests of the pure parts: validation, ids, planning, the record,
//! drift detection and the schema check.

use std::collections::HashMap;

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::*;
use crate::aws::cognito::SchemaAttribute;
use crate::error::attr;
use crate::policy::block::{is_marker, MARKER_LEN};
use crate::values::str_list;

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}

fn iam_state(user: &str) -> UserBlockState {
    UserBlockState {
        iam: Value::Value(IamBlock { user_name: s(user) }),
        reason: s("Account compromise"),
        blocked_by: s("secops@example.com"),
        ..Default::default()
    }
}

fn cognito_state(pool: &str, user: &str) -> UserBlockState {
    UserBlockState {
        cognito: Value::Value(CognitoBlock {
            block_attribute: Value::Null,
            user_pool_id: s(pool),
            username: s(user),
        }),
        reason: s("Account compromise"),
        blocked_by: s("secops@example.com"),
        ..Default::default()
    }
}

/// (summary, path) of every error `check` reports.
fn problems(state: &UserBlockState) -> Vec<(String, AttributePath)> {
    check(state)
        .1
        .into_iter()
        .map(|e| {
            let (summary, _, path) = e.into_parts(AttributePath::default());
            (summary, path)
        })
        .collect()
}

#[test]
fn a_valid_target_is_returned_with_the_default_flag() {
    let (target, errors) = check(&cognito_state("eu-west-1_AbCdEf123", "mallory"));
    assert!(errors.is_empty());
    assert_eq!(
        target,
        Some(Target::Cognito(CognitoTarget {
            pool_id: "eu-west-1_AbCdEf123".into(),
            username: "mallory".into(),
            attribute: DEFAULT_BLOCK_ATTRIBUTE.into(),
        }))
    );
    let (target, _) = check(&iam_state("mallory"));
    assert_eq!(target.map(|t| t.id()), Some("iam:mallory".to_string()));
}

#[test]
fn exactly_one_target_block_is_required() {
    let mut both = iam_state("mallory");
    both.cognito = cognito_state("eu-west-1_AbCdEf123", "mallory").cognito;
    assert_eq!(
        problems(&both),
        vec![(
            "Choose one of `cognito`, `iam` and `identity_center`".to_string(),
            iam_path("user_name")
        )]
    );
    let mut ic_and_cognito = cognito_state("eu-west-1_AbCdEf123", "mallory");
    ic_and_cognito.identity_center = Value::Value(IdentityCenterBlock {
        user: s("mallory@example.com"),
    });
    assert_eq!(
        problems(&ic_and_cognito)[0].1,
        super::plan::identity_center_path("user")
    );
    let mut ic = iam_state("mallory");
    ic.iam = Value::Null;
    ic.identity_center = Value::Value(IdentityCenterBlock {
        user: s("mallory@example.com"),
    });
    let (target, errors) = check(&ic);
    assert!(errors.is_empty());
    assert_eq!(
        target.map(|t| t.id()),
        Some("identity_center:mallory@example.com".to_string())
    );
    ic.identity_center = Value::Value(IdentityCenterBlock { user: s("a b") });
    assert_eq!(problems(&ic)[0].0, "Invalid Identity Center user");
    let mut neither = iam_state("mallory");
    neither.iam = Value::Null;
    assert_eq!(
        problems(&neither),
        vec![("No user to block".to_string(), AttributePath::default())]
    );
}

#[test]
fn bad_inputs_name_their_attribute() {
    let table: Vec<(UserBlockState, &str, AttributePath)> = vec![
        (
            UserBlockState {
                reason: s("  "),
                ..iam_state("mallory")
            },
            "Empty `reason`",
            attr("reason"),
        ),
        (
            UserBlockState {
                blocked_by: Value::Null,
                ..iam_state("mallory")
            },
            "Empty `blocked_by`",
            attr("blocked_by"),
        ),
        (
            UserBlockState {
                ticket: s(""),
                ..iam_state("mallory")
            },
            "Empty `ticket`",
            attr("ticket"),
        ),
        (
            iam_state("mal lory"),
            "Invalid IAM user name",
            iam_path("user_name"),
        ),
        (
            cognito_state("not-a-pool", "mallory"),
            "Invalid user pool id",
            cognito_path("user_pool_id"),
        ),
        (
            cognito_state("eu-west-1_AbC", "mal lory"),
            "Invalid username",
            cognito_path("username"),
        ),
    ];
    for (state, summary, path) in table {
        assert_eq!(
            problems(&state),
            vec![(summary.to_string(), path)],
            "{summary}"
        );
    }
    for attribute in ["email", "custom:", "custom:a-name-longer-than-twenty"] {
        let mut state = cognito_state("eu-west-1_AbC", "mallory");
        if let Value::Value(c) = &mut state.cognito {
            c.block_attribute = s(attribute);
        }
        assert_eq!(
            problems(&state),
            vec![(
                "Invalid block attribute".to_string(),
                cognito_path("block_attribute")
            )],
            "{attribute}"
        );
    }
}

#[test]
fn unknown_inputs_are_not_errors_and_leave_the_target_unknown() {
    let mut state = iam_state("mallory");
    state.iam = Value::Value(IamBlock {
        user_name: Value::Unknown,
    });
    state.reason = Value::Unknown;
    let (target, errors) = check(&state);
    assert!(target.is_none() && errors.is_empty());
    let mut dynamic = iam_state("mallory");
    dynamic.iam = Value::Unknown;
    let (target, errors) = check(&dynamic);
    assert!(target.is_none() && errors.is_empty());
}

#[test]
fn ids_parse_back_and_bad_ids_say_the_format() {
    let id = |user: &str, pool: Option<&str>, marker: Option<&str>| ImportId {
        user: user.into(),
        pool: pool.map(str::to_string),
        identity_center: false,
        marker: marker.map(str::to_string),
    };
    const M: &str = "jit-user-block-0123456789abcdef";
    assert_eq!(
        parse_id(&format!("identity_center:mallory@example.com/{M}")).unwrap(),
        ImportId {
            identity_center: true,
            ..id("mallory@example.com", None, Some(M))
        }
    );
    assert!(parse_id("identity_center:").is_err());
    assert_eq!(parse_id("iam:mallory").unwrap(), id("mallory", None, None));
    assert_eq!(
        parse_id("cognito:eu-west-1_AbC123:user:with:colons").unwrap(),
        id("user:with:colons", Some("eu-west-1_AbC123"), None)
    );
    assert_eq!(
        parse_id(&format!("iam:mallory/{M}")).unwrap(),
        id("mallory", None, Some(M))
    );
    assert_eq!(
        parse_id(&format!("cognito:eu-west-1_AbC123:a/b/{M}")).unwrap(),
        id("a/b", Some("eu-west-1_AbC123"), Some(M))
    );
    for bad in [
        "mallory",
        "iam:",
        "cognito:eu-west-1_AbC123",
        "cognito:pool:x",
        "iam:mallory/jit-user-block-12",
    ] {
        let (summary, detail, _) = parse_id(bad)
            .unwrap_err()
            .into_parts(AttributePath::default());
        assert_eq!(summary, "Cannot import this block", "{bad}");
        assert!(
            detail.contains("cognito:<user_pool_id>:<username>"),
            "{bad}"
        );
    }
}

#[test]
fn markers_are_recognised_exactly() {
    let marker = new_marker();
    assert_eq!(marker.len(), MARKER_LEN);
    assert!(is_marker(&marker));
    assert_ne!(new_marker(), marker);
    assert!(!is_marker("jit-user-block-"));
    assert!(!is_marker("jit-user-block-0123456789abcdeg"));
    assert!(!is_marker("fraud-review"));
}

/// AWS treats IAM user names as case-insensitive (moto does not), and
/// Cognito pools may be: the same-user key ignores case.
#[test]
fn same_user_key_ignores_case() {
    assert_eq!(
        Target::Iam("Mallory".into()).user_key(),
        Target::Iam("mallory".into()).user_key()
    );
    let cognito = |user: &str| {
        Target::Cognito(CognitoTarget {
            pool_id: "eu-west-1_A".into(),
            username: user.into(),
            attribute: DEFAULT_BLOCK_ATTRIBUTE.into(),
        })
    };
    assert_eq!(cognito("EVE").user_key(), cognito("eve").user_key());
    assert_ne!(
        cognito("eve").user_key(),
        Target::Iam("eve".into()).user_key()
    );
}

#[test]
fn only_a_different_user_replaces() {
    let prior = cognito_state("eu-west-1_A", "mallory");
    let mut moved_flag = prior.clone();
    if let Value::Value(c) = &mut moved_flag.cognito {
        c.block_attribute = s("custom:blocked");
    }
    moved_flag.reason = s("Something else");
    assert!(replacement_paths(&prior, &moved_flag).is_empty());

    let other_user = cognito_state("eu-west-1_A", "eve");
    assert_eq!(
        replacement_paths(&prior, &other_user),
        vec![cognito_path("username")]
    );
    let mut unknown_user = prior.clone();
    if let Value::Value(c) = &mut unknown_user.cognito {
        c.username = Value::Unknown;
    }
    assert_eq!(
        replacement_paths(&prior, &unknown_user),
        vec![cognito_path("username")]
    );
    assert_eq!(
        replacement_paths(&prior, &iam_state("mallory")),
        vec![attr("cognito"), attr("iam")]
    );
    assert!(replacement_paths(&iam_state("a"), &iam_state("a")).is_empty());
    assert_eq!(
        replacement_paths(&iam_state("a"), &iam_state("b")),
        vec![iam_path("user_name")]
    );
}

#[test]
fn a_new_block_plans_only_what_is_certain() {
    let mut planned = iam_state("mallory");
    let target = check(&planned).0;
    plan_new(&mut planned, target.as_ref());
    assert_eq!(planned.id, s("iam:mallory"));
    assert_eq!(planned.status, s(status::BLOCKED));
    assert!(matches!(planned.marker, Value::Unknown));
    assert!(matches!(planned.access_keys_deactivated, Value::Unknown));
    assert_eq!(planned.user_was_enabled, Value::Null);

    let mut planned = cognito_state("eu-west-1_A", "mallory");
    default_attribute(&mut planned);
    plan_new(&mut planned, None);
    assert!(matches!(planned.id, Value::Unknown));
    assert_eq!(planned.groups_removed, Value::Null);
    assert!(matches!(planned.user_was_enabled, Value::Unknown));
    assert_eq!(flag_attribute(&planned), Some(DEFAULT_BLOCK_ATTRIBUTE));
}

fn applied_iam() -> UserBlockState {
    let mut state = iam_state("mallory");
    state.id = s("iam:mallory");
    state.marker = s("jit-user-block-0123456789abcdef");
    state.status = s(status::BLOCKED);
    state.blocked_at = s("2026-11-23T12:00:00Z");
    state.user_id = s("AIDAEXAMPLE");
    state.access_keys_deactivated = str_list(["AKIA1".to_string()]);
    state.groups_removed = str_list(["ops".to_string(), "dev".to_string()]);
    state
}

#[test]
fn an_edit_keeps_every_computed_value() {
    let prior = applied_iam();
    let mut planned = prior.clone();
    planned.reason = s("Left the company");
    let target = check(&planned).0;
    plan_kept(&mut planned, &prior, target.as_ref());
    assert_eq!(
        UserBlockState {
            reason: prior.reason.clone(),
            ..planned
        },
        prior
    );
}

#[test]
fn an_undone_block_is_planned_to_block_again() {
    let mut prior = applied_iam();
    prior.status = s(status::UNBLOCKED);
    let mut planned = prior.clone();
    let target = check(&planned).0;
    plan_kept(&mut planned, &prior, target.as_ref());
    assert_eq!(planned.status, s(status::BLOCKED));
    assert_eq!(planned.marker, prior.marker);
    assert!(matches!(planned.access_keys_deactivated, Value::Unknown));

    let mut prior = cognito_state("eu-west-1_A", "mallory");
    default_attribute(&mut prior);
    prior.status = s(status::BLOCKED);
    prior.previous_flag_value = s("fraud-review");
    let mut planned = prior.clone();
    if let Value::Value(c) = &mut planned.cognito {
        c.block_attribute = s("custom:blocked");
    }
    let target = check(&planned).0;
    plan_kept(&mut planned, &prior, target.as_ref());
    assert!(matches!(planned.previous_flag_value, Value::Unknown));
    assert_eq!(planned.status, s(status::BLOCKED));
}

#[test]
fn the_record_round_trips_through_state() {
    let iam = Target::Iam("mallory".into());
    let record = Record {
        user_id: "AIDA1".into(),
        keys_deactivated: vec!["AKIA1".into()],
        groups_removed: vec!["ops".into()],
        ..Default::default()
    };
    let mut state = iam_state("mallory");
    flatten_record(&mut state, &iam, &record);
    assert_eq!(record_of(&state), record);
    assert_eq!(state.user_was_enabled, Value::Null);

    let cognito = check(&cognito_state("eu-west-1_A", "eve")).0.unwrap();
    let record = Record {
        user_id: "sub-1".into(),
        user_was_enabled: Some(true),
        previous_flag_value: Some("fraud-review".into()),
        ..Default::default()
    };
    let mut state = cognito_state("eu-west-1_A", "eve");
    flatten_record(&mut state, &cognito, &record);
    assert_eq!(record_of(&state), record);
    assert_eq!(state.access_keys_deactivated, Value::Null);
}

#[test]
fn state_survives_terraform_encoding() {
    let mut state = applied_iam();
    state.cognito = Value::Null;
    let bytes = rmp_serde::to_vec_named(&state).unwrap();
    let back: UserBlockState = rmp_serde::from_slice(&bytes).unwrap();
    assert_eq!(back, state);
    let private: Value<BlockPrivate> = Value::Value(BlockPrivate {
        planned_user: Some("iam:mallory".into()),
    });
    let bytes = rmp_serde::to_vec_named(&private).unwrap();
    assert_eq!(
        rmp_serde::from_slice::<Value<BlockPrivate>>(&bytes).unwrap(),
        private
    );
}

#[test]
fn a_parked_block_kept_in_place_takes_the_planned_inputs() {
    let parked = applied_iam();
    let mut planned = iam_state("mallory");
    planned.reason = s("New reason");
    planned.ticket = s("SEC-9");
    let kept = adopt(parked.clone(), planned);
    assert_eq!(kept.reason, s("New reason"));
    assert_eq!(kept.ticket, s("SEC-9"));
    assert_eq!(kept.marker, parked.marker);
    assert_eq!(kept.access_keys_deactivated, parked.access_keys_deactivated);
    assert_eq!(record_of(&parked).groups_removed, vec!["ops", "dev"]);
}

#[test]
fn a_block_failing_part_way_is_stored_as_incomplete_with_its_steps() {
    let planned = iam_state("mallory");
    let target = Target::Iam("mallory".into());
    let marker = "jit-user-block-0123456789abcdef";
    let mut progress = Progress {
        record: Record {
            user_id: "AIDA1".into(),
            keys_deactivated: vec!["AKIA1".into()],
            ..Default::default()
        },
        done: vec![
            format!("attached deny-all policy `{marker}`"),
            "deactivated access key `AKIA1`".into(),
        ],
        marker_placed: true,
        changed: true,
        ..Default::default()
    };
    progress.failed(
        "remove from group `ops`".into(),
        Error::Aws {
            service: "iam",
            operation: "RemoveUserFromGroup",
            code: Some("ServiceFailure".into()),
            message: "try again".into(),
            request_id: None,
        },
    );
    let state = placed_state(planned.clone(), &target, marker, &progress, "now".into());
    assert_eq!(state.status, s(status::INCOMPLETE));
    assert_eq!(state.marker, s(marker));
    assert_eq!(
        state.access_keys_deactivated,
        str_list(["AKIA1".to_string()])
    );
    assert_eq!(state.groups_removed, str_list([]));
    let detail = incomplete_detail(&progress, marker);
    assert!(
        detail.starts_with(&format!(
            "Done: attached deny-all policy `{marker}`; deactivated access key `AKIA1`. Not done: remove from group `ops` (AWS iam RemoveUserFromGroup failed: try again)."
        )),
        "{detail}"
    );
    assert!(detail.contains("next plan finishes it in place"));

    // Every step done: blocked.
    let clean = Progress {
        marker_placed: true,
        changed: true,
        ..Default::default()
    };
    let state = placed_state(planned, &target, marker, &clean, "now".into());
    assert_eq!(state.status, s(status::BLOCKED));
}

#[test]
fn failure_messages_list_what_was_done() {
    assert_eq!(done_text(&[]), "nothing");
    assert_eq!(
        done_text(&[
            "attached deny-all policy `m`".into(),
            "deactivated access key `A`".into()
        ]),
        "attached deny-all policy `m`; deactivated access key `A`"
    );
    assert_eq!(failure_text(&[]), None);
    let failure = failure_text(&[Error::Aws {
        service: "iam",
        operation: "RemoveUserFromGroup",
        code: Some("LimitExceeded".into()),
        message: "slow down".into(),
        request_id: None,
    }])
    .unwrap();
    assert!(failure.contains("RemoveUserFromGroup") && failure.contains("slow down"));
    assert_eq!(
        capitalize("access key `A` is active"),
        "Access key `A` is active"
    );
}

// ---------------------------------------------------------------------------
// Cognito.

fn schema_attribute(name: &str, kind: &str, mutable: bool, max: &str) -> SchemaAttribute {
    SchemaAttribute {
        name: Some(name.into()),
        data_type: Some(kind.into()),
        mutable: Some(mutable),
        min_length: Some("0".into()),
        max_length: Some(max.into()),
    }
}

/// moto accepts undeclared custom attributes (AWS rejects them), so the
/// provider checks the schema itself; AWS lists custom attributes with the
/// `custom:` prefix, and the short form is accepted too.
#[test]
fn the_pool_schema_must_carry_a_mutable_string_flag() {
    let summary = |attributes: &[SchemaAttribute]| {
        cognito::schema_problem(attributes, "eu-west-1_A", "custom:access_revoked")
            .map(|e| e.into_parts(AttributePath::default()).0)
    };
    let ok = schema_attribute("custom:access_revoked", "String", true, "2048");
    assert_eq!(summary(&[ok]), None);
    let short = schema_attribute("access_revoked", "String", true, "2048");
    assert_eq!(summary(&[short]), None);
    let (missing, detail, path) =
        cognito::schema_problem(&[], "eu-west-1_A", "custom:access_revoked")
            .unwrap()
            .into_parts(AttributePath::default());
    assert_eq!(missing, "Block attribute not in the pool schema");
    assert!(detail.contains("add-custom-attributes --user-pool-id eu-west-1_A"));
    assert_eq!(path, cognito_path("block_attribute"));
    let number = schema_attribute("custom:access_revoked", "Number", true, "2048");
    assert_eq!(
        summary(&[number]).as_deref(),
        Some("Block attribute is not a String")
    );
    let fixed = schema_attribute("custom:access_revoked", "String", false, "2048");
    assert_eq!(
        summary(&[fixed]).as_deref(),
        Some("Block attribute is immutable")
    );
    let narrow = schema_attribute("custom:access_revoked", "String", true, "64");
    assert_eq!(
        summary(&[narrow]).as_deref(),
        Some("Block attribute too short for the marker")
    );
}

fn cognito_user(enabled: bool, flag: Option<&str>) -> cognito::User {
    let mut attributes = HashMap::from([("sub".to_string(), "sub-1".to_string())]);
    if let Some(flag) = flag {
        attributes.insert(DEFAULT_BLOCK_ATTRIBUTE.to_string(), flag.to_string());
    }
    cognito::User {
        sub: "sub-1".into(),
        enabled,
        attributes,
    }
}

#[test]
fn cognito_drift_keeps_the_block_while_anything_of_it_is_left() {
    const M: &str = "jit-user-block-0123456789abcdef";
    let was_enabled = Record {
        user_was_enabled: Some(true),
        ..Default::default()
    };
    let look = |user: &cognito::User, record: &Record| match cognito::observed(
        user,
        DEFAULT_BLOCK_ATTRIBUTE,
        M,
        record,
    ) {
        Observed::User { undone, left, .. } => (undone, left),
        Observed::UserGone => panic!("user is there"),
    };
    assert_eq!(
        look(&cognito_user(false, Some(M)), &was_enabled),
        (vec![], true)
    );
    let (undone, left) = look(&cognito_user(true, Some(M)), &was_enabled);
    assert_eq!(undone, vec!["the user was enabled again"]);
    assert!(left);
    // Flag cleared while the user is still disabled by the block.
    let (undone, left) = look(&cognito_user(false, None), &was_enabled);
    assert_eq!(undone, vec!["`custom:access_revoked` was cleared"]);
    assert!(left);
    // Fully undone: flag cleared and the user enabled again.
    assert!(!look(&cognito_user(true, None), &was_enabled).1);
    // A user that was disabled before the block: only the flag counts.
    let was_disabled = Record {
        user_was_enabled: Some(false),
        ..Default::default()
    };
    assert!(!look(&cognito_user(false, Some("other")), &was_disabled).1);
    // Another block's flag: this block's marker is not in it.
    const OTHER: &str = "jit-user-block-fedcba9876543210";
    let (undone, left) = look(&cognito_user(false, Some(OTHER)), &was_enabled);
    assert_eq!(
        undone,
        vec![format!(
            "`custom:access_revoked` no longer holds block `{M}`"
        )]
    );
    assert!(left);
    // The flag with a record and several blocks still holds this one.
    let shared = format!("{OTHER} {M} e=1 h=0a0b0c0d");
    assert_eq!(
        look(&cognito_user(false, Some(&shared)), &was_enabled),
        (vec![], true)
    );
}

// ---------------------------------------------------------------------------
// IAM.

fn iam_user(document: Option<&str>, keys: &[(&str, bool)], groups: &[&str]) -> iam::User {
    iam::User {
        user_id: "AIDA1".into(),
        policies: vec![],
        keys: keys
            .iter()
            .map(|(id, on)| crate::aws::iam::AccessKey {
                id: id.to_string(),
                status: if *on { "Active" } else { "Inactive" }.into(),
                created: 1,
            })
            .collect(),
        groups: groups
            .iter()
            .map(|g| crate::aws::iam::GroupRef {
                name: g.to_string(),
                id: format!("AGPA{g}"),
            })
            .collect(),
        tags: Default::default(),
        marker_document: document.map(str::to_string),
    }
}

/// IAM returns policy documents URL-encoded on the wire (moto too).
#[test]
fn the_deny_policy_is_recognised_in_any_encoding() {
    assert!(iam::denies_all(iam::DENY_ALL));
    let encoded: String = iam::DENY_ALL.bytes().map(|b| format!("%{b:02X}")).collect();
    assert!(iam::denies_all(&encoded));
    assert!(!iam::denies_all(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
    ));
}

#[test]
fn iam_drift_keeps_the_block_while_anything_of_it_is_left() {
    const M: &str = "jit-user-block-0123456789abcdef";
    let record = Record {
        keys_deactivated: vec!["AKIA1".into()],
        groups_removed: vec!["ops".into()],
        ..Default::default()
    };
    let look = |user: &iam::User| match iam::observed(user, M, &record) {
        Observed::User { undone, left, .. } => (undone, left),
        Observed::UserGone => panic!("user is there"),
    };
    let deny = Some(iam::DENY_ALL);
    assert_eq!(
        look(&iam_user(deny, &[("AKIA1", false)], &[])),
        (vec![], true)
    );
    let (undone, left) = look(&iam_user(deny, &[("AKIA1", true)], &["ops"]));
    assert_eq!(
        undone,
        vec!["access key `AKIA1` is active", "the user is in group `ops`"]
    );
    assert!(left);
    // Policy removed, key still off: blocked again in place.
    let (undone, left) = look(&iam_user(None, &[("AKIA1", false)], &["ops"]));
    assert_eq!(undone[0], format!("policy `{M}` was removed"));
    assert!(left);
    // Everything put back by hand: the block is gone.
    assert!(!look(&iam_user(None, &[("AKIA1", true)], &["ops"])).1);
    let (undone, _) = look(&iam_user(Some("{}"), &[], &[]));
    assert_eq!(
        undone,
        vec![format!("policy `{M}` no longer denies everything")]
    );
}
