//! Pure planning of `jit_identity_center_group_membership`: input checks,
//! refresh, and the errors for a group or user that does not exist.

use tf_provider::value::Value;

use super::MembershipState;
use crate::aws::identity_store::Membership;
use crate::error::{attr, Error};
use crate::framework::Errors;
use crate::inputs::identity_center::check_text;

/// Validates every known input.
pub fn check(state: &MembershipState) -> Result<(), Errors> {
    let mut errors = Errors::default();
    for (name, value) in [("group", &state.group), ("user", &state.user)] {
        if let Some(value) = value.as_ref_option() {
            if let Err(hint) = check_text(name, value) {
                errors.push(Error::invalid(
                    attr(name),
                    format!("Invalid `{name}`"),
                    hint,
                ));
            }
        }
    }
    errors.into_result()
}

/// Refreshes the computed attributes; `group` and `user` keep the form the
/// configuration uses.
pub fn flatten(mut state: MembershipState, store: &str, found: Membership) -> MembershipState {
    state.id = Value::Value(found.membership_id.clone());
    state.membership_id = Value::Value(found.membership_id);
    state.group_id = Value::Value(found.group_id);
    state.user_id = Value::Value(found.user_id);
    state.identity_store_id = Value::Value(store.to_string());
    state
}

/// `group` names no group (by id or name).
pub fn group_not_found(reference: &str, store: &str) -> Error {
    Error::invalid(
        attr("group"),
        "Identity Center group not found",
        format!("No group has the id or name `{reference}` in identity store `{store}`. Fix the name (it must match exactly), or, when the group is created in this configuration, reference its `group_id` (`jit_identity_center_group.<name>.group_id`) so that Terraform creates it first."),
    )
}

/// `user` names no user (by id or user name).
pub fn user_not_found(reference: &str, store: &str) -> Error {
    Error::invalid(
        attr("user"),
        "Identity Center user not found",
        format!("No user has the id or user name `{reference}` in identity store `{store}`. Fix the name, or, when the user is created in this configuration, reference its `user_id` (`jit_identity_center_user.<name>.user_id`) so that Terraform creates it first."),
    )
}
