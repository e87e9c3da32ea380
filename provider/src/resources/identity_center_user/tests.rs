//! Unit tests of `jit_identity_center_user`'s pure planning.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::plan::{check, expand_update, flatten, is_as_created, plan_display_name, Conflict};
use super::UserState;
use crate::aws::identity_store::{AttributeUpdate, AttributeValue, NewUser, User};
use crate::error::attr;

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}

fn user() -> UserState {
    UserState {
        display_name: s("Ada Lovelace"),
        email: s("ada@example.com"),
        family_name: s("Lovelace"),
        given_name: s("Ada"),
        id: s("u-1"),
        identity_store_id: s("d-1"),
        user_id: s("u-1"),
        user_name: s("ada"),
    }
}

fn paths(updates: &[AttributeUpdate]) -> Vec<&str> {
    updates.iter().map(|update| update.path).collect()
}

#[test]
fn bad_inputs_are_reported_on_their_attribute() {
    let mut state = user();
    state.email = s("ada.example.com");
    state.user_name = s("ada lovelace");
    state.given_name = s(" ");
    let errors = check(&state).unwrap_err();
    let parts: Vec<_> = errors
        .0
        .into_iter()
        .map(|e| e.into_parts(AttributePath::default()))
        .collect();
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert!(parts.iter().any(|(s, d, p)| s == "Invalid email address"
        && d.contains("no `@`")
        && *p == attr("email")));
    assert!(parts
        .iter()
        .any(|(s, _, p)| s == "Invalid user name" && *p == attr("user_name")));
    assert!(parts.iter().any(|(_, _, p)| *p == attr("given_name")));
}

#[test]
fn unknown_inputs_are_not_checked() {
    let mut state = user();
    state.email = Value::Unknown;
    state.display_name = Value::Null;
    assert!(check(&state).is_ok());
}

#[test]
fn display_name_defaults_from_the_names_only_when_not_configured() {
    let mut planned = user();
    let mut config = user();
    config.display_name = Value::Null;
    plan_display_name(&mut planned, &config);
    assert_eq!(planned.display_name, s("Ada Lovelace"));

    planned.given_name = s("Augusta");
    plan_display_name(&mut planned, &config);
    assert_eq!(planned.display_name, s("Augusta Lovelace"));

    planned.given_name = Value::Unknown;
    plan_display_name(&mut planned, &config);
    assert_eq!(planned.display_name, Value::Unknown);

    let mut configured = user();
    configured.display_name = s("Countess");
    let mut planned = configured.clone();
    plan_display_name(&mut planned, &configured);
    assert_eq!(planned.display_name, s("Countess"));
}

// moto 5.2.5 does not implement UpdateUser (500), so the e2e test can only
// prove the error path; the changes real AWS receives are checked here (and
// their encoding in `aws::identity_store`).
#[test]
fn update_sends_one_operation_per_changed_attribute() {
    let prior = user();
    let mut planned = user();
    assert!(expand_update(&prior, &planned).is_empty());

    planned.given_name = s("Augusta");
    planned.display_name = s("Augusta Lovelace");
    let updates = expand_update(&prior, &planned);
    assert_eq!(paths(&updates), ["displayName", "name.givenName"]);
    assert_eq!(
        updates[1].value,
        AttributeValue::Text(Some("Augusta".into()))
    );

    let mut planned = user();
    planned.family_name = s("King");
    planned.email = s("ada.king@example.com");
    let updates = expand_update(&prior, &planned);
    assert_eq!(paths(&updates), ["name.familyName", "emails"]);
    assert_eq!(
        updates[1].value,
        AttributeValue::PrimaryEmail("ada.king@example.com".into())
    );
}

#[test]
fn refresh_takes_every_attribute_from_aws() {
    let found = User {
        user_id: "u-2".into(),
        user_name: "ada".into(),
        display_name: Some("Countess".into()),
        given_name: Some("Ada".into()),
        family_name: Some("King".into()),
        email: Some("ada@example.org".into()),
        emails: vec!["ada@example.org".into()],
        created_at: None,
    };
    let state = flatten(UserState::default(), "d-9", found);
    assert_eq!(state.user_id, s("u-2"));
    assert_eq!(state.id, s("u-2"));
    assert_eq!(state.identity_store_id, s("d-9"));
    assert_eq!(state.display_name, s("Countess"));
    assert_eq!(state.family_name, s("King"));
    assert_eq!(state.email, s("ada@example.org"));

    let bare = flatten(user(), "d-9", User::default());
    assert_eq!(bare.email, Value::Null);
    assert_eq!(bare.given_name, Value::Null);
}

#[test]
fn conflicts_name_the_existing_user_and_the_import_command() {
    let (summary, detail, path) = Conflict::Email {
        email: "ada@example.com".into(),
        user_name: "countess".into(),
        user_id: "u-7".into(),
    }
    .describe();
    assert_eq!(
        summary,
        "Email `ada@example.com` already belongs to Identity Center user `countess`"
    );
    assert!(detail.contains("`terraform import jit_identity_center_user.<name> u-7`"));
    assert_eq!(path, attr("email"));

    let (summary, detail, path) = Conflict::UserName {
        user_name: "ada".into(),
        user_id: "u-8".into(),
    }
    .describe();
    assert_eq!(summary, "Identity Center user `ada` already exists");
    assert!(detail.contains("u-8"));
    assert_eq!(path, attr("user_name"));
}

#[test]
fn a_user_found_after_a_conflict_is_ours_only_with_every_attribute_sent() {
    let sent = NewUser {
        user_name: "ada",
        display_name: "Ada Lovelace",
        given_name: "Ada",
        family_name: "Lovelace",
        email: "ada@example.com",
    };
    let found = User {
        user_id: "u-1".into(),
        user_name: "ada".into(),
        display_name: Some("Ada Lovelace".into()),
        given_name: Some("Ada".into()),
        family_name: Some("Lovelace".into()),
        email: Some("ada@example.com".into()),
        emails: vec!["ada@example.com".into()],
        created_at: Some(1_000),
    };
    assert!(is_as_created(&found, &sent));
    let others = [
        User {
            display_name: Some("Ada L.".into()),
            ..found.clone()
        },
        User {
            family_name: None,
            ..found.clone()
        },
        User {
            emails: vec!["ada@example.com".into(), "mallory@example.com".into()],
            ..found.clone()
        },
        User {
            emails: vec!["ADA@example.com".into()],
            ..found.clone()
        },
    ];
    for other in others {
        assert!(!is_as_created(&other, &sent), "{other:?}");
    }
}
