//! Unit tests of `jit_identity_center_group_membership`'s pure planning.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::plan::{check, flatten, group_not_found, user_not_found};
use super::MembershipState;
use crate::aws::identity_store::Membership;
use crate::error::attr;
use crate::{changed_fields, unknown_fields};

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}

fn membership() -> MembershipState {
    MembershipState {
        group: s("Kiro Pro"),
        group_id: s("g-1"),
        id: s("m-1"),
        identity_store_id: s("d-1"),
        membership_id: s("m-1"),
        user: s("ada"),
        user_id: s("u-1"),
    }
}

#[test]
fn only_changed_inputs_are_candidates_for_replacement() {
    let prior = membership();
    assert!(changed_fields!(prior, prior; group, user).is_empty());
    let mut planned = membership();
    planned.group = s("g-1");
    assert_eq!(
        changed_fields!(prior, planned; group, user),
        [attr("group")]
    );
    planned.user = Value::Unknown;
    assert_eq!(
        changed_fields!(prior, planned; group, user),
        [attr("group"), attr("user")]
    );
}

#[test]
fn blank_references_are_reported_on_their_attribute() {
    let mut state = membership();
    state.group = s(" ");
    let errors = check(&state).unwrap_err().0;
    assert_eq!(errors.len(), 1);
    let (summary, _, path) = errors
        .into_iter()
        .next()
        .unwrap()
        .into_parts(AttributePath::default());
    assert_eq!(summary, "Invalid `group`");
    assert_eq!(path, attr("group"));
    let mut unknown = membership();
    unknown.user = Value::Unknown;
    assert!(check(&unknown).is_ok());
}

#[test]
fn flatten_keeps_the_written_form_and_fills_ids() {
    let mut state = membership();
    unknown_fields!(state; group_id, user_id, membership_id, id, identity_store_id);
    assert_eq!(state.membership_id, Value::Unknown);
    let state = flatten(
        state,
        "d-2",
        Membership {
            membership_id: "m-2".into(),
            group_id: "g-2".into(),
            user_id: "u-2".into(),
            created_at: None,
        },
    );
    assert_eq!(state.group, s("Kiro Pro"));
    assert_eq!(state.user, s("ada"));
    assert_eq!(state.id, s("m-2"));
    assert_eq!(state.membership_id, s("m-2"));
    assert_eq!(state.group_id, s("g-2"));
    assert_eq!(state.user_id, s("u-2"));
    assert_eq!(state.identity_store_id, s("d-2"));
}

#[test]
fn missing_references_point_at_their_attribute_and_the_fix() {
    let (summary, detail, path) =
        group_not_found("Kiro", "d-1").into_parts(AttributePath::default());
    assert_eq!(summary, "Identity Center group not found");
    assert!(detail.contains("`Kiro`") && detail.contains("group_id"));
    assert_eq!(path, attr("group"));
    let (summary, _, path) = user_not_found("ada", "d-1").into_parts(AttributePath::default());
    assert_eq!(summary, "Identity Center user not found");
    assert_eq!(path, attr("user"));
}
