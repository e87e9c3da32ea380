//! Unit tests of `jit_identity_center_group`'s pure planning.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::plan::{check, describe_conflict, expand_update, flatten};
use super::GroupState;
use crate::aws::identity_store::{AttributeValue, Group};
use crate::error::attr;

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}

fn group() -> GroupState {
    GroupState {
        description: s("Developers with a Kiro Pro seat"),
        group_id: s("g-1"),
        id: s("g-1"),
        identity_store_id: s("d-1"),
        name: s("Kiro Pro"),
    }
}

#[test]
fn names_and_descriptions_are_checked() {
    let mut state = group();
    state.name = s("AWSAdministrators");
    state.description = s("");
    let parts: Vec<_> = check(&state)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.into_parts(AttributePath::default()))
        .collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0, "Invalid group name");
    assert!(parts[0].1.contains("reserved"));
    assert_eq!(parts[0].2, attr("name"));
    assert_eq!(parts[1].2, attr("description"));
    assert!(check(&group()).is_ok());
}

// moto 5.2.5 does not implement UpdateGroup (500): the changes real AWS
// receives are checked here (and their encoding in `aws::identity_store`).
#[test]
fn update_renames_and_removes_the_description_with_null() {
    let prior = group();
    assert!(expand_update(&prior, &prior).is_empty());
    let mut planned = group();
    planned.name = s("Kiro Pro Users");
    planned.description = Value::Null;
    let updates = expand_update(&prior, &planned);
    let paths: Vec<_> = updates.iter().map(|update| update.path).collect();
    assert_eq!(paths, ["displayName", "description"]);
    assert_eq!(
        updates[0].value,
        AttributeValue::Text(Some("Kiro Pro Users".into()))
    );
    assert_eq!(updates[1].value, AttributeValue::Text(None));
}

#[test]
fn refresh_takes_name_and_description_from_aws() {
    let state = flatten(
        group(),
        "d-2",
        Group {
            group_id: "g-2".into(),
            name: "Renamed".into(),
            description: None,
            created_at: None,
        },
    );
    assert_eq!(state.name, s("Renamed"));
    assert_eq!(state.description, Value::Null);
    assert_eq!(state.group_id, s("g-2"));
    assert_eq!(state.id, s("g-2"));
    assert_eq!(state.identity_store_id, s("d-2"));
}

#[test]
fn conflict_names_the_group_the_import_and_the_data_source() {
    let (summary, detail, path) = describe_conflict("Kiro Pro", "g-9");
    assert_eq!(summary, "Identity Center group `Kiro Pro` already exists");
    assert!(detail.contains("`terraform import jit_identity_center_group.<name> g-9`"));
    assert!(detail.contains("data \"jit_identity_center_group\""));
    assert_eq!(path, attr("name"));
}
