//! Pure planning of `jit_identity_center_group`: input checks, refresh from
//! AWS, the update a change needs, and the message naming an existing group.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::{GroupState, TYPE_NAME};
use crate::aws::identity_store::{AttributeUpdate, AttributeValue, Group};
use crate::error::{attr, Error};
use crate::framework::Errors;
use crate::inputs::identity_center::{check_not_reserved, check_text, import_hint};
use crate::values::opt_str;

/// Validates every known input.
pub fn check(state: &GroupState) -> Result<(), Errors> {
    let mut errors = Errors::default();
    if let Some(name) = state.name.as_ref_option() {
        if let Err(hint) = check_text("name", name).and_then(|()| check_not_reserved(name)) {
            errors.push(Error::invalid(attr("name"), "Invalid group name", hint));
        }
    }
    if let Some(description) = state.description.as_ref_option() {
        if let Err(hint) = check_text("description", description) {
            errors.push(Error::invalid(
                attr("description"),
                "Invalid group description",
                format!("{hint} Leave `description` out for none."),
            ));
        }
    }
    errors.into_result()
}

/// Refreshes state from AWS.
pub fn flatten(mut state: GroupState, store: &str, group: Group) -> GroupState {
    state.id = Value::Value(group.group_id.clone());
    state.group_id = Value::Value(group.group_id);
    state.identity_store_id = Value::Value(store.to_string());
    state.name = Value::Value(group.name);
    state.description = opt_str(group.description);
    state
}

/// The `UpdateGroup` changes turning `prior` into `planned`; a removed
/// description is sent as null (AWS refuses empty strings).
pub fn expand_update(prior: &GroupState, planned: &GroupState) -> Vec<AttributeUpdate> {
    [
        ("displayName", &prior.name, &planned.name),
        ("description", &prior.description, &planned.description),
    ]
    .into_iter()
    .filter(|(_, before, after)| after != before)
    .map(|(path, _, after)| AttributeUpdate {
        path,
        value: AttributeValue::Text(after.as_ref_option().cloned()),
    })
    .collect()
}

/// Summary, detail and path of the error naming an existing group.
pub fn describe_conflict(name: &str, group_id: &str) -> (String, String, AttributePath) {
    (
        format!("Identity Center group `{name}` already exists"),
        format!(
            "A group named `{name}` already exists (group id `{group_id}`); group names are unique. {} To only add members to it, look it up with `data \"jit_identity_center_group\"` instead.",
            import_hint(TYPE_NAME, group_id)
        ),
        attr("name"),
    )
}
