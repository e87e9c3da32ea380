//! `data "jit_identity_center_user"`: one existing Identity Center user, by
//! user name or by email; no match and several matches are errors.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::Value;

use crate::aws::identity_store::User;
use crate::error::{attr, Error};
use crate::framework::{DataSourceType, Errors, Op};
use crate::inputs::identity_center::{check_email, check_user_name};
use crate::schema::*;
use crate::values::{opt_str, text};

/// Data source state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct UserLookupState {
    /// Display name.
    pub display_name: Value<String>,
    /// Email to look up by, or the user's primary email.
    pub email: Value<String>,
    /// Family name.
    pub family_name: Value<String>,
    /// Given name.
    pub given_name: Value<String>,
    /// Same as `user_id`.
    pub id: Value<String>,
    /// The identity store searched.
    pub identity_store_id: Value<String>,
    /// User id.
    pub user_id: Value<String>,
    /// User name to look up by, or the user's user name.
    pub user_name: Value<String>,
}

/// The data source.
#[derive(Debug, Default)]
pub struct IdentityCenterUserLookup;

#[async_trait]
impl DataSourceType for IdentityCenterUserLookup {
    type State = UserLookupState;
    const NAME: &'static str = "identity_center_user";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "One existing IAM Identity Center user, found by `user_name` or by `email` (set exactly one). Finding no user, or several users with the same email, is an error. A lookup by email lists the identity store's users (ignoring case), so it costs one call per 100 users; a lookup by user name costs two calls.",
                [
                    ("display_name", computed_str("Display name.")),
                    ("email", optional_computed_str("Email to look up by (compared ignoring case), or, when looking up by `user_name`, the user's primary email.")),
                    ("family_name", computed_str("Family name.")),
                    ("given_name", computed_str("Given name.")),
                    ("id", computed_str("Same as `user_id`.")),
                    ("identity_store_id", computed_str("The identity store searched (`d-…`).")),
                    ("user_id", computed_str("The user's id; reference it from `jit_identity_center_group_membership.user`.")),
                    ("user_name", optional_computed_str("User name to look up by (exact), or, when looking up by `email`, the user's user name.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &UserLookupState) -> Result<(), Errors> {
        check(config)
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        config: UserLookupState,
    ) -> Result<UserLookupState, Errors> {
        let ctx = op.ctx()?;
        let store = ctx.identity_center().await?.identity_store_id.clone();
        let identity_store = ctx.aws.identity_store();
        let user = if let Some(user_name) = config.user_name.as_ref_option() {
            match identity_store.find_user_id_by(&store, "userName", user_name).await? {
                Some(user_id) => identity_store.find_user_by_id(&store, &user_id).await?,
                None => {
                    return Err(Error::invalid(
                        attr("user_name"),
                        "No Identity Center user found",
                        format!("No user is named `{user_name}` in identity store `{store}`. User names match exactly; look up by `email` if unsure."),
                    )
                    .into())
                }
            }
        } else {
            let email = text(&config.email);
            let users = identity_store.list_users_with_email(&store, email).await?;
            one_by_email(email, &store, users)?
        };
        Ok(flatten(config, &store, user))
    }
}

/// Exactly one of `user_name` and `email`; a known email must look valid.
fn check(config: &UserLookupState) -> Result<(), Errors> {
    let mut errors = Errors::default();
    match (config.user_name.is_null(), config.email.is_null()) {
        (true, true) => errors.push(Error::invalid(
            attr("user_name"),
            "Set `user_name` or `email`",
            "Look the user up by `user_name` or by `email`.",
        )),
        (false, false) => errors.push(Error::invalid(
            attr("email"),
            "Set only one of `user_name` and `email`",
            "Look the user up by `user_name` or by `email`, not both.",
        )),
        _ => {}
    }
    if let Some(email) = config.email.as_ref_option() {
        if let Err(hint) = check_email(email) {
            errors.push(Error::invalid(attr("email"), "Invalid email address", hint));
        }
    }
    if let Some(user_name) = config.user_name.as_ref_option() {
        if let Err(hint) = check_user_name(user_name) {
            errors.push(Error::invalid(attr("user_name"), "Invalid user name", hint));
        }
    }
    errors.into_result()
}

/// The single user with this email; none and several are errors.
fn one_by_email(email: &str, store: &str, mut users: Vec<User>) -> Result<User, Error> {
    match users.len() {
        1 => Ok(users.remove(0)),
        0 => Err(Error::invalid(
            attr("email"),
            "No Identity Center user found",
            format!("No user has the email `{email}` in identity store `{store}`."),
        )),
        _ => {
            users.sort_by(|a, b| a.user_name.cmp(&b.user_name));
            let names: Vec<String> = users
                .iter()
                .map(|user| format!("`{}` (id `{}`)", user.user_name, user.user_id))
                .collect();
            Err(Error::invalid(
                attr("email"),
                "Several Identity Center users have this email",
                format!(
                    "{} users have the email `{email}`: {}. Look the user up by `user_name` instead, and remove the duplicate.",
                    users.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

/// Fills the outputs; the attribute looked up by keeps its configured text.
fn flatten(mut state: UserLookupState, store: &str, user: User) -> UserLookupState {
    state.id = Value::Value(user.user_id.clone());
    state.user_id = Value::Value(user.user_id);
    state.identity_store_id = Value::Value(store.to_string());
    state.display_name = opt_str(user.display_name);
    state.given_name = opt_str(user.given_name);
    state.family_name = opt_str(user.family_name);
    if state.user_name.is_null() {
        state.user_name = Value::Value(user.user_name);
    }
    if state.email.is_null() {
        state.email = opt_str(user.email);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use tf_provider::AttributePath;

    fn user(name: &str, id: &str) -> User {
        User {
            user_id: id.into(),
            user_name: name.into(),
            email: Some("Ada@Example.com".into()),
            emails: vec!["Ada@Example.com".into()],
            ..Default::default()
        }
    }

    fn parts(error: Error) -> (String, String, tf_provider::AttributePath) {
        error.into_parts(AttributePath::default())
    }

    #[test]
    fn exactly_one_lookup_key() {
        let none = UserLookupState::default();
        assert_eq!(
            parts(check(&none).unwrap_err().0.remove(0)).0,
            "Set `user_name` or `email`"
        );
        let both = UserLookupState {
            user_name: Value::Value("ada".into()),
            email: Value::Value("ada@example.com".into()),
            ..Default::default()
        };
        let (summary, _, path) = parts(check(&both).unwrap_err().0.remove(0));
        assert_eq!(summary, "Set only one of `user_name` and `email`");
        assert_eq!(path, attr("email"));
        let unknown = UserLookupState {
            email: Value::Unknown,
            ..Default::default()
        };
        assert!(check(&unknown).is_ok());
        let bad = UserLookupState {
            email: Value::Value("ada".into()),
            ..Default::default()
        };
        assert_eq!(
            parts(check(&bad).unwrap_err().0.remove(0)).0,
            "Invalid email address"
        );
    }

    #[test]
    fn email_lookup_needs_exactly_one_match() {
        let (summary, detail, path) =
            parts(one_by_email("ada@example.com", "d-1", Vec::new()).unwrap_err());
        assert_eq!(summary, "No Identity Center user found");
        assert!(detail.contains("`ada@example.com`") && detail.contains("`d-1`"));
        assert_eq!(path, attr("email"));

        let (summary, detail, _) = parts(
            one_by_email(
                "ada@example.com",
                "d-1",
                vec![user("lovelace", "u-2"), user("ada", "u-1")],
            )
            .unwrap_err(),
        );
        assert_eq!(summary, "Several Identity Center users have this email");
        assert!(
            detail.contains("2 users")
                && detail.contains("`ada` (id `u-1`), `lovelace` (id `u-2`)"),
            "{detail}"
        );

        let one = one_by_email("ada@example.com", "d-1", vec![user("ada", "u-1")]).unwrap();
        assert_eq!(one.user_id, "u-1");
    }

    #[test]
    fn the_lookup_key_keeps_its_configured_text() {
        let by_email = UserLookupState {
            email: Value::Value("ada@example.com".into()),
            ..Default::default()
        };
        let state = flatten(by_email, "d-1", user("ada", "u-1"));
        assert_eq!(state.email, Value::Value("ada@example.com".into()));
        assert_eq!(state.user_name, Value::Value("ada".into()));
        assert_eq!(state.id, Value::Value("u-1".into()));

        let by_name = UserLookupState {
            user_name: Value::Value("ada".into()),
            ..Default::default()
        };
        let state = flatten(by_name, "d-1", user("ada", "u-1"));
        assert_eq!(state.email, Value::Value("Ada@Example.com".into()));
    }
}
