//! Pure planning of `jit_identity_center_user`: input checks, the default
//! display name, refresh from AWS, the update a change needs, and the
//! message naming an existing user.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::{UserState, TYPE_NAME};
use crate::aws::identity_store::{AttributeUpdate, AttributeValue, NewUser, User};
use crate::error::{attr, Error};
use crate::framework::Errors;
use crate::inputs::identity_center::{
    check_email, check_text, check_user_name, default_display_name, import_hint,
};
use crate::values::{opt_str, text};

/// Validates every known input.
pub fn check(state: &UserState) -> Result<(), Errors> {
    let mut errors = Errors::default();
    let mut push = |name: &'static str, problem: Result<(), String>, summary: &str| {
        if let Err(hint) = problem {
            errors.push(Error::invalid(attr(name), summary, hint));
        }
    };
    if let Some(user_name) = state.user_name.as_ref_option() {
        push("user_name", check_user_name(user_name), "Invalid user name");
    }
    if let Some(email) = state.email.as_ref_option() {
        push("email", check_email(email), "Invalid email address");
    }
    for (name, value) in [
        ("display_name", &state.display_name),
        ("family_name", &state.family_name),
        ("given_name", &state.given_name),
    ] {
        if let Some(value) = value.as_ref_option() {
            push(name, check_text(name, value), "Invalid name");
        }
    }
    errors.into_result()
}

/// `display_name` defaults to `<given_name> <family_name>` when the
/// configuration leaves it out (unknown while either part is unknown).
pub fn plan_display_name(planned: &mut UserState, config: &UserState) {
    if !config.display_name.is_null() {
        return;
    }
    planned.display_name = match (
        planned.given_name.as_ref_option(),
        planned.family_name.as_ref_option(),
    ) {
        (Some(given), Some(family)) => Value::Value(default_display_name(given, family)),
        _ => Value::Unknown,
    };
}

/// Refreshes state from AWS.
pub fn flatten(mut state: UserState, store: &str, user: User) -> UserState {
    state.id = Value::Value(user.user_id.clone());
    state.user_id = Value::Value(user.user_id);
    state.identity_store_id = Value::Value(store.to_string());
    state.user_name = Value::Value(user.user_name);
    state.display_name = opt_str(user.display_name);
    state.given_name = opt_str(user.given_name);
    state.family_name = opt_str(user.family_name);
    state.email = opt_str(user.email);
    state
}

/// Whether `user` has exactly what `CreateUser` sent as `new`: the test that
/// a user found after a conflicting create may be that create's own.
pub fn is_as_created(user: &User, new: &NewUser) -> bool {
    user.user_name == new.user_name
        && user.display_name.as_deref() == Some(new.display_name)
        && user.given_name.as_deref() == Some(new.given_name)
        && user.family_name.as_deref() == Some(new.family_name)
        && user.emails == [new.email]
}

/// The `UpdateUser` changes turning `prior` into `planned`: one per changed
/// attribute, with AWS's attribute paths. The email list is replaced whole
/// (AWS refuses partial updates of multi-valued attributes).
pub fn expand_update(prior: &UserState, planned: &UserState) -> Vec<AttributeUpdate> {
    let mut updates = Vec::new();
    let text_of = |value: &Value<String>| AttributeValue::Text(value.as_ref_option().cloned());
    for (path, before, after) in [
        ("displayName", &prior.display_name, &planned.display_name),
        ("name.givenName", &prior.given_name, &planned.given_name),
        ("name.familyName", &prior.family_name, &planned.family_name),
    ] {
        if after != before {
            updates.push(AttributeUpdate {
                path,
                value: text_of(after),
            });
        }
    }
    if planned.email != prior.email {
        updates.push(AttributeUpdate {
            path: "emails",
            value: AttributeValue::PrimaryEmail(text(&planned.email).to_string()),
        });
    }
    updates
}

/// An existing user that the planned one would duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Another user has the user name.
    UserName {
        /// The user name.
        user_name: String,
        /// The existing user.
        user_id: String,
    },
    /// Another user has the email.
    Email {
        /// The email, as found.
        email: String,
        /// The existing user's name.
        user_name: String,
        /// The existing user.
        user_id: String,
    },
}

impl Conflict {
    /// Summary, detail and attribute path of the diagnostic.
    pub fn describe(&self) -> (String, String, AttributePath) {
        match self {
            Self::UserName { user_name, user_id } => (
                format!("Identity Center user `{user_name}` already exists"),
                format!(
                    "A user named `{user_name}` already exists (user id `{user_id}`); a second one cannot be created. {}",
                    import_hint(TYPE_NAME, user_id)
                ),
                attr("user_name"),
            ),
            Self::Email {
                email,
                user_name,
                user_id,
            } => (
                format!("Email `{email}` already belongs to Identity Center user `{user_name}`"),
                format!(
                    "User `{user_name}` (user id `{user_id}`) already has the email `{email}`; one person must not get two users. {}",
                    import_hint(TYPE_NAME, user_id)
                ),
                attr("email"),
            ),
        }
    }
}
