//! Identity store changes: users, groups and memberships created, updated
//! and deleted ("already gone" is success).

use aws_sdk_identitystore::types::{AttributeOperation, Email, MemberId, Name};
use aws_smithy_types::Document;

use super::{
    build_error, store_error, AttributeUpdate, AttributeValue, IdentityStore, NewUser, EMAIL_TYPE,
};
use crate::aws::attempts::Attempts;
use crate::error::{gone_ok, Error};

/// The email list of an `UpdateUser`: AWS replaces the whole multi-valued
/// `emails` attribute, so the full list is sent (lower-case SCIM keys).
pub(super) fn email_document(email: &str) -> Document {
    Document::Array(vec![Document::Object(
        [
            ("value".to_string(), Document::String(email.to_string())),
            ("type".to_string(), Document::String(EMAIL_TYPE.to_string())),
            ("primary".to_string(), Document::Bool(true)),
        ]
        .into_iter()
        .collect(),
    )])
}

/// A string value of an update; AWS takes null to remove an attribute and
/// refuses empty strings.
pub(super) fn text_document(value: Option<&str>) -> Document {
    match value.filter(|text| !text.is_empty()) {
        Some(text) => Document::String(text.to_string()),
        None => Document::Null,
    }
}

pub(super) fn expand_updates(
    operation: &'static str,
    updates: &[AttributeUpdate],
) -> Result<Vec<AttributeOperation>, Error> {
    updates
        .iter()
        .map(|update| {
            let value = match &update.value {
                AttributeValue::Text(text) => text_document(text.as_deref()),
                AttributeValue::PrimaryEmail(email) => email_document(email),
            };
            AttributeOperation::builder()
                .attribute_path(update.path)
                .attribute_value(value)
                .build()
                .map_err(|e| build_error(operation, e))
        })
        .collect()
}

impl IdentityStore<'_> {
    /// Creates a user; returns its id. `attempts` counts the SDK's tries.
    pub async fn create_user(
        &self,
        store: &str,
        user: &NewUser<'_>,
        attempts: &Attempts,
    ) -> Result<String, Error> {
        let name = Name::builder()
            .given_name(user.given_name)
            .family_name(user.family_name)
            .build();
        let email = Email::builder()
            .value(user.email)
            .r#type(EMAIL_TYPE)
            .primary(true)
            .build();
        self.client
            .create_user()
            .identity_store_id(store)
            .user_name(user.user_name)
            .display_name(user.display_name)
            .name(name)
            .emails(email)
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await
            .map(|output| output.user_id)
            .map_err(|e| store_error("CreateUser", e))
    }

    /// Changes a user's attributes.
    pub async fn update_user(
        &self,
        store: &str,
        user_id: &str,
        updates: &[AttributeUpdate],
    ) -> Result<(), Error> {
        self.client
            .update_user()
            .identity_store_id(store)
            .user_id(user_id)
            .set_operations(Some(expand_updates("UpdateUser", updates)?))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error("UpdateUser", e))
    }

    /// Deletes a user; already gone is success.
    pub async fn delete_user(&self, store: &str, user_id: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_user()
                .identity_store_id(store)
                .user_id(user_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("DeleteUser", e)),
        )
    }

    /// Creates a group; returns its id. `attempts` counts the SDK's tries.
    pub async fn create_group(
        &self,
        store: &str,
        name: &str,
        description: Option<&str>,
        attempts: &Attempts,
    ) -> Result<String, Error> {
        self.client
            .create_group()
            .identity_store_id(store)
            .display_name(name)
            .set_description(description.map(str::to_string))
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await
            .map(|output| output.group_id)
            .map_err(|e| store_error("CreateGroup", e))
    }

    /// Changes a group's attributes.
    pub async fn update_group(
        &self,
        store: &str,
        group_id: &str,
        updates: &[AttributeUpdate],
    ) -> Result<(), Error> {
        self.client
            .update_group()
            .identity_store_id(store)
            .group_id(group_id)
            .set_operations(Some(expand_updates("UpdateGroup", updates)?))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error("UpdateGroup", e))
    }

    /// Deletes a group; already gone is success.
    pub async fn delete_group(&self, store: &str, group_id: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_group()
                .identity_store_id(store)
                .group_id(group_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("DeleteGroup", e)),
        )
    }

    /// Adds a user to a group; returns the membership id. `attempts`
    /// counts the SDK's tries.
    pub async fn create_group_membership(
        &self,
        store: &str,
        group_id: &str,
        user_id: &str,
        attempts: &Attempts,
    ) -> Result<String, Error> {
        self.client
            .create_group_membership()
            .identity_store_id(store)
            .group_id(group_id)
            .member_id(MemberId::UserId(user_id.to_string()))
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await
            .map(|output| output.membership_id)
            .map_err(|e| store_error("CreateGroupMembership", e))
    }

    /// Deletes a membership; already gone is success.
    pub async fn delete_group_membership(
        &self,
        store: &str,
        membership_id: &str,
    ) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_group_membership()
                .identity_store_id(store)
                .membership_id(membership_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("DeleteGroupMembership", e)),
        )
    }
}
