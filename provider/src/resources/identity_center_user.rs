//! `jit_identity_center_user`: one IAM Identity Center user, never a
//! duplicate: creating a user whose user name or email already exists is an
//! error naming the existing user and the import command that adopts it.

use async_trait::async_trait;
use aws_sdk_identitystore::types::{AttributeOperation, Name};
use aws_smithy_types::Document;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::context::{Ctx, Shared};
use crate::error::{attr, gone_ok, report_all, Error};
use crate::resources::identity_center::{
    audit_event, audit_result, check_email, check_text, check_user_name, default_display_name,
    email_document, expand_email, find_user_by_id, find_user_id_by, identity_store_id, import_hint,
    is_identity_id, store_error, text_document, FoundUser,
};
use crate::schema::*;
use crate::values::{known_str, opt_str, text};

/// The resource type, for messages and audit events.
pub const TYPE_NAME: &str = "jit_identity_center_user";

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct UserState {
    /// Display name; `<given_name> <family_name>` when not set.
    pub display_name: Value<String>,
    /// Primary email.
    pub email: Value<String>,
    /// Family name.
    pub family_name: Value<String>,
    /// Given name.
    pub given_name: Value<String>,
    /// Same as `user_id`.
    pub id: Value<String>,
    /// The identity store holding the user.
    pub identity_store_id: Value<String>,
    /// User id.
    pub user_id: Value<String>,
    /// Unique sign-in name.
    pub user_name: Value<String>,
}

/// The resource.
#[derive(Debug, Default)]
pub struct IdentityCenterUserResource {
    shared: Shared,
}

impl IdentityCenterUserResource {
    /// A resource using the provider's shared context.
    pub fn new(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
        }
    }
}

#[async_trait]
impl Resource for IdentityCenterUserResource {
    type State<'a> = UserState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(
            0,
            block(
                "A user in IAM Identity Center's identity store. The provider refuses to create a second user with the same user name or email: it names the existing user and the `terraform import` command that adopts it instead.",
                [
                    ("display_name", optional_computed_str("Name shown in the AWS access portal and console. Default `<given_name> <family_name>`. Updated in place.")),
                    ("email", required_str("Primary (work) email address, checked for typos. No other user may have it. Updated in place.")),
                    ("family_name", required_str("Family name. Updated in place.")),
                    ("given_name", required_str("Given name. Updated in place.")),
                    ("id", computed_str("Same as `user_id`.")),
                    ("identity_store_id", computed_str("The identity store holding the user (`d-…`): the provider's `identity_store_id`, or the one discovered.")),
                    ("user_id", computed_str("The user's id in the identity store; reference it from `jit_identity_center_group_membership.user`.")),
                    ("user_name", forces_replacement(required_str("Unique sign-in name, e.g. `alice@example.com`: at most 128 characters, no spaces. `Administrator` and `AWSAdministrators` are reserved."))),
                ],
                [],
            ),
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        report_all(check(&config), diags)
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = match self.shared.get() {
            Ok(ctx) => ctx,
            Err(error) => {
                error.report(diags);
                return Some((state, private_state));
            }
        };
        let found = match store_of(ctx, &state).await {
            Ok(store) => find_user_by_id(&ctx.aws.identity_store, &store, text(&state.user_id))
                .await
                .map(|user| (store, user)),
            Err(error) => Err(error),
        };
        match found {
            Ok((store, user)) => Some((flatten(state, &store, user), private_state)),
            Err(error) if error.is_not_found() => None,
            Err(error) => {
                error.report(diags);
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        report_all(check(&proposed_state), diags)?;
        let mut planned = proposed_state;
        plan_display_name(&mut planned, &config_state);
        planned.id = Value::Unknown;
        planned.user_id = Value::Unknown;
        planned.identity_store_id = Value::Unknown;
        // Tell the reviewer now; the same check is an error at apply. It
        // stays a warning here because a plan that replaces a user finds
        // that very user, which is deleted before the new one is created.
        if let Ok(ctx) = self.shared.get() {
            match find_existing(ctx, &planned, None).await {
                Ok(existing) => {
                    for conflict in existing {
                        let (summary, detail, path) = conflict.describe();
                        diags.warning(
                            summary,
                            format!("{detail} This apply will fail unless the plan replaces that very user."),
                            path,
                        );
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "duplicate check skipped at plan");
                }
            }
        }
        Some((planned, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        report_all(check(&proposed_state), diags)?;
        let mut planned = proposed_state;
        plan_display_name(&mut planned, &config_state);
        if planned.user_name != prior_state.user_name {
            planned.id = Value::Unknown;
            planned.user_id = Value::Unknown;
            planned.identity_store_id = Value::Unknown;
            return Some((planned, prior_private_state, vec![attr("user_name")]));
        }
        planned.id = prior_state.id;
        planned.user_id = prior_state.user_id;
        planned.identity_store_id = prior_state.identity_store_id;
        Some((planned, prior_private_state, Vec::new()))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        report_all(check(&planned_state), diags)?;
        let store = identity_store_id(ctx)
            .await
            .map_err(|e| e.report(diags))
            .ok()?;
        match find_existing(ctx, &planned_state, None).await {
            Ok(existing) if !existing.is_empty() => {
                for conflict in existing {
                    let (summary, detail, path) = conflict.describe();
                    diags.error(summary, detail, path);
                }
                return None;
            }
            Ok(_) => {}
            Err(error) => {
                error.report(diags);
                return None;
            }
        }
        let user_name = text(&planned_state.user_name).to_string();
        let created = ctx
            .aws
            .identity_store
            .create_user()
            .identity_store_id(&store)
            .user_name(&user_name)
            .display_name(text(&planned_state.display_name))
            .name(expand_name(&planned_state))
            .emails(expand_email(text(&planned_state.email)))
            .send()
            .await
            .map_err(|e| store_error("CreateUser", e));
        let user_id = match created {
            Ok(output) => output.user_id,
            Err(error) => {
                let event = audit_event("identity_center_user.create", TYPE_NAME, &user_name, &[]);
                audit_result(ctx, diags, event, Some(&error)).await;
                error.report_at(attr("user_name"), diags);
                return None;
            }
        };
        let event = audit_event(
            "identity_center_user.create",
            TYPE_NAME,
            &user_name,
            &[("user_id", &user_id), ("identity_store_id", &store)],
        );
        audit_result(ctx, diags, event, None).await;
        let mut state = planned_state;
        state.id = Value::Value(user_id.clone());
        state.user_id = Value::Value(user_id);
        state.identity_store_id = Value::Value(store);
        Some((state, planned_private_state))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        if report_all(check(&planned_state), diags).is_none() {
            return Some((prior_state, planned_private_state));
        }
        let operations = match expand_update(&prior_state, &planned_state) {
            Ok(operations) => operations,
            Err(error) => {
                error.report(diags);
                return Some((prior_state, planned_private_state));
            }
        };
        if operations.is_empty() {
            return Some((planned_state, planned_private_state));
        }
        let user_id = text(&prior_state.user_id).to_string();
        if planned_state.email != prior_state.email {
            match find_existing(ctx, &planned_state, Some(&user_id)).await {
                Ok(existing) if !existing.is_empty() => {
                    for conflict in existing {
                        let (summary, detail, path) = conflict.describe();
                        diags.error(summary, detail, path);
                    }
                    return Some((prior_state, planned_private_state));
                }
                Ok(_) => {}
                Err(error) => {
                    error.report(diags);
                    return Some((prior_state, planned_private_state));
                }
            }
        }
        let changed: Vec<String> = operations
            .iter()
            .map(|operation| operation.attribute_path().to_string())
            .collect();
        let updated = ctx
            .aws
            .identity_store
            .update_user()
            .identity_store_id(text(&prior_state.identity_store_id))
            .user_id(&user_id)
            .set_operations(Some(operations))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error("UpdateUser", e));
        let event = audit_event(
            "identity_center_user.update",
            TYPE_NAME,
            text(&prior_state.user_name),
            &[("user_id", &user_id), ("changed", &changed.join(","))],
        );
        audit_result(ctx, diags, event, updated.as_ref().err()).await;
        match updated {
            Ok(()) => Some((planned_state, planned_private_state)),
            Err(error) => {
                // Nothing changed in AWS: keep the prior state, so the next
                // plan shows the same update again.
                error.report(diags);
                Some((prior_state, planned_private_state))
            }
        }
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let user_id = text(&prior_state.user_id);
        let deleted = gone_ok(
            ctx.aws
                .identity_store
                .delete_user()
                .identity_store_id(text(&prior_state.identity_store_id))
                .user_id(user_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("DeleteUser", e)),
        );
        let event = audit_event(
            "identity_center_user.delete",
            TYPE_NAME,
            text(&prior_state.user_name),
            &[("user_id", user_id)],
        );
        audit_result(ctx, diags, event, deleted.as_ref().err()).await;
        deleted.map_err(|error| error.report(diags)).ok()
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let store = identity_store_id(ctx)
            .await
            .map_err(|e| e.report(diags))
            .ok()?;
        match find_for_import(ctx, &store, id.trim()).await {
            Ok(user) => Some((
                flatten(UserState::default(), &store, user),
                ValueEmpty::default(),
            )),
            Err(error) => {
                error.report(diags);
                None
            }
        }
    }
}

/// Validates every known input.
fn check(state: &UserState) -> Vec<Error> {
    let mut errors = Vec::new();
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
    errors
}

/// `display_name` defaults to `<given_name> <family_name>` when the
/// configuration leaves it out (unknown while either part is unknown).
fn plan_display_name(planned: &mut UserState, config: &UserState) {
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

/// The identity store of an existing user: from state, else the provider's.
async fn store_of(ctx: &Ctx, state: &UserState) -> Result<String, Error> {
    match known_str(&state.identity_store_id) {
        Some(store) => Ok(store.to_string()),
        None => identity_store_id(ctx).await,
    }
}

/// Refreshes state from AWS.
fn flatten(mut state: UserState, store: &str, user: FoundUser) -> UserState {
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

fn expand_name(state: &UserState) -> Name {
    Name::builder()
        .given_name(text(&state.given_name))
        .family_name(text(&state.family_name))
        .build()
}

/// The `UpdateUser` operations turning `prior` into `planned`: one per
/// changed attribute, with AWS's attribute paths. The email list is
/// replaced whole (AWS refuses partial updates of multi-valued attributes).
fn expand_update(prior: &UserState, planned: &UserState) -> Result<Vec<AttributeOperation>, Error> {
    let mut changes: Vec<(&str, Document)> = Vec::new();
    if planned.display_name != prior.display_name {
        changes.push((
            "displayName",
            text_document(planned.display_name.as_ref_option().map(String::as_str)),
        ));
    }
    if planned.given_name != prior.given_name {
        changes.push((
            "name.givenName",
            text_document(planned.given_name.as_ref_option().map(String::as_str)),
        ));
    }
    if planned.family_name != prior.family_name {
        changes.push((
            "name.familyName",
            text_document(planned.family_name.as_ref_option().map(String::as_str)),
        ));
    }
    if planned.email != prior.email {
        changes.push(("emails", email_document(text(&planned.email))));
    }
    changes
        .into_iter()
        .map(|(path, value)| {
            AttributeOperation::builder()
                .attribute_path(path)
                .attribute_value(value)
                .build()
                .map_err(|e| Error::Aws {
                    service: "identitystore",
                    operation: "UpdateUser",
                    code: None,
                    message: format!("the request could not be built: {e}"),
                    request_id: None,
                })
        })
        .collect()
}

/// An existing user that the planned one would duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Conflict {
    /// Another user has the user name.
    UserName { user_name: String, user_id: String },
    /// Another user has the email.
    Email {
        email: String,
        user_name: String,
        user_id: String,
    },
}

impl Conflict {
    /// Summary, detail and attribute path of the diagnostic.
    fn describe(&self) -> (String, String, AttributePath) {
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

/// Users other than `own_id` that already have the planned user name or
/// email. Emails are looked up as written and in lower case, since mail
/// systems treat them case-insensitively.
async fn find_existing(
    ctx: &Ctx,
    planned: &UserState,
    own_id: Option<&str>,
) -> Result<Vec<Conflict>, Error> {
    let client = &ctx.aws.identity_store;
    let store = identity_store_id(ctx).await?;
    let mut conflicts = Vec::new();
    let is_other = |id: &String| Some(id.as_str()) != own_id;
    if let (Some(user_name), None) = (known_str(&planned.user_name), own_id) {
        if let Some(user_id) = find_user_id_by(client, &store, "userName", user_name)
            .await?
            .filter(is_other)
        {
            conflicts.push(Conflict::UserName {
                user_name: user_name.to_string(),
                user_id,
            });
        }
    }
    if let Some(email) = known_str(&planned.email) {
        let mut variants = vec![email.to_string()];
        if email.to_lowercase() != email {
            variants.push(email.to_lowercase());
        }
        for variant in variants {
            let Some(user_id) = find_user_id_by(client, &store, "emails.value", &variant)
                .await?
                .filter(is_other)
            else {
                continue;
            };
            let user_name = match find_user_by_id(client, &store, &user_id).await {
                Ok(user) => user.user_name,
                Err(error) if error.is_not_found() => continue,
                Err(error) => return Err(error),
            };
            conflicts.push(Conflict::Email {
                email: variant,
                user_name,
                user_id,
            });
            break;
        }
    }
    Ok(conflicts)
}

/// Import by user id, else by user name.
async fn find_for_import(ctx: &Ctx, store: &str, id: &str) -> Result<FoundUser, Error> {
    let client = &ctx.aws.identity_store;
    if is_identity_id(id) {
        match find_user_by_id(client, store, id).await {
            Err(error) if error.is_not_found() => {}
            other => return other,
        }
    }
    match find_user_id_by(client, store, "userName", id).await? {
        Some(user_id) => find_user_by_id(client, store, &user_id).await,
        None => Err(Error::invalid(
            AttributePath::default(),
            "Cannot import this Identity Center user",
            format!("No user has the id or user name `{id}` in identity store `{store}`. Import by user id (`aws identitystore list-users --identity-store-id {store}`) or by user name."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn paths(operations: &[AttributeOperation]) -> Vec<&str> {
        operations.iter().map(|o| o.attribute_path()).collect()
    }

    #[test]
    fn bad_inputs_are_reported_on_their_attribute() {
        let mut state = user();
        state.email = s("ada.example.com");
        state.user_name = s("ada lovelace");
        state.given_name = s(" ");
        let errors = check(&state);
        let parts: Vec<_> = errors
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
        assert!(check(&state).is_empty());
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

    // moto 5.2.5 does not implement UpdateUser (500), so the e2e test can
    // only prove the error path; the requests real AWS receives are checked
    // here.
    #[test]
    fn update_sends_one_operation_per_changed_attribute() {
        let prior = user();
        let mut planned = user();
        assert!(expand_update(&prior, &planned).unwrap().is_empty());

        planned.given_name = s("Augusta");
        planned.display_name = s("Augusta Lovelace");
        let operations = expand_update(&prior, &planned).unwrap();
        assert_eq!(paths(&operations), ["displayName", "name.givenName"]);
        assert_eq!(
            operations[1].attribute_value(),
            Some(&Document::String("Augusta".into()))
        );

        let mut planned = user();
        planned.family_name = s("King");
        planned.email = s("ada.king@example.com");
        let operations = expand_update(&prior, &planned).unwrap();
        assert_eq!(paths(&operations), ["name.familyName", "emails"]);
        assert_eq!(
            operations[1].attribute_value(),
            Some(&email_document("ada.king@example.com"))
        );
    }

    #[test]
    fn refresh_takes_every_attribute_from_aws() {
        let found = FoundUser {
            user_id: "u-2".into(),
            user_name: "ada".into(),
            display_name: Some("Countess".into()),
            given_name: Some("Ada".into()),
            family_name: Some("King".into()),
            email: Some("ada@example.org".into()),
            emails: vec!["ada@example.org".into()],
        };
        let state = flatten(UserState::default(), "d-9", found);
        assert_eq!(state.user_id, s("u-2"));
        assert_eq!(state.id, s("u-2"));
        assert_eq!(state.identity_store_id, s("d-9"));
        assert_eq!(state.display_name, s("Countess"));
        assert_eq!(state.family_name, s("King"));
        assert_eq!(state.email, s("ada@example.org"));

        let bare = flatten(user(), "d-9", FoundUser::default());
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
}
