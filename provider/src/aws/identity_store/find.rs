//! Identity store lookups: users, groups and memberships by id or by a
//! unique attribute, and listings.

use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_smithy_types::{DateTime, Document};

use super::{
    build_error, found, is_identity_id, store_error, Group, IdentityStore, Membership, User,
};
use crate::error::Error;

fn unique_attribute(
    operation: &'static str,
    path: &str,
    value: &str,
) -> Result<AlternateIdentifier, Error> {
    UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_string()))
        .build()
        .map(AlternateIdentifier::UniqueAttribute)
        .map_err(|e| build_error(operation, e))
}

impl IdentityStore<'_> {
    /// The id of the user whose unique attribute `path` (`userName` or
    /// `emails.value`) equals `value`; `None` when there is none.
    pub async fn find_user_id_by(
        &self,
        store: &str,
        path: &str,
        value: &str,
    ) -> Result<Option<String>, Error> {
        let result = self
            .client
            .get_user_id()
            .identity_store_id(store)
            .alternate_identifier(unique_attribute("GetUserId", path, value)?)
            .send()
            .await
            .map(|output| output.user_id)
            .map_err(|e| store_error("GetUserId", e));
        found(result)
    }

    /// The user with this id, or a not-found error.
    pub async fn find_user_by_id(&self, store: &str, user_id: &str) -> Result<User, Error> {
        let user = self
            .client
            .describe_user()
            .identity_store_id(store)
            .user_id(user_id)
            .send()
            .await
            .map_err(|e| store_error("DescribeUser", e))?;
        Ok(User::from_parts(
            user.user_id(),
            user.user_name(),
            user.display_name(),
            user.name(),
            user.emails(),
            user.created_at(),
        ))
    }

    /// A user as configuration names it: by id when `reference` has the
    /// shape of one and such a user exists, else by user name. `None` when
    /// neither finds one.
    pub async fn find_user(&self, store: &str, reference: &str) -> Result<Option<User>, Error> {
        if is_identity_id(reference) {
            if let Some(user) = found(self.find_user_by_id(store, reference).await)? {
                return Ok(Some(user));
            }
        }
        match self.find_user_id_by(store, "userName", reference).await? {
            Some(user_id) => found(self.find_user_by_id(store, &user_id).await),
            None => Ok(None),
        }
    }

    /// The id of the group named `name`; `None` when there is none.
    pub async fn find_group_id_by_name(
        &self,
        store: &str,
        name: &str,
    ) -> Result<Option<String>, Error> {
        let result = self
            .client
            .get_group_id()
            .identity_store_id(store)
            .alternate_identifier(unique_attribute("GetGroupId", "displayName", name)?)
            .send()
            .await
            .map(|output| output.group_id)
            .map_err(|e| store_error("GetGroupId", e));
        found(result)
    }

    /// The group with this id, or a not-found error.
    pub async fn find_group_by_id(&self, store: &str, group_id: &str) -> Result<Group, Error> {
        let group = self
            .client
            .describe_group()
            .identity_store_id(store)
            .group_id(group_id)
            .send()
            .await
            .map_err(|e| store_error("DescribeGroup", e))?;
        Ok(Group {
            group_id: group.group_id().to_string(),
            name: group.display_name().unwrap_or_default().to_string(),
            description: group
                .description()
                .filter(|text| !text.is_empty())
                .map(str::to_string),
            created_at: group.created_at().map(DateTime::secs),
        })
    }

    /// A group as configuration names it: by id when `reference` has the
    /// shape of one and such a group exists, else by display name.
    pub async fn find_group(&self, store: &str, reference: &str) -> Result<Option<Group>, Error> {
        if is_identity_id(reference) {
            if let Some(group) = found(self.find_group_by_id(store, reference).await)? {
                return Ok(Some(group));
            }
        }
        match self.find_group_id_by_name(store, reference).await? {
            Some(group_id) => found(self.find_group_by_id(store, &group_id).await),
            None => Ok(None),
        }
    }

    /// Every user whose email equals `email` (ignoring case), by listing the
    /// store: `GetUserId` returns at most one user, so it cannot tell "one"
    /// from "several".
    pub async fn list_users_with_email(
        &self,
        store: &str,
        email: &str,
    ) -> Result<Vec<User>, Error> {
        let mut users = self.list_users(store).await?;
        users.retain(|user| user.has_email(email));
        Ok(users)
    }

    /// Every user of the store.
    pub async fn list_users(&self, store: &str) -> Result<Vec<User>, Error> {
        let mut users = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_users()
                .identity_store_id(store)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| store_error("ListUsers", e))?;
            users.extend(page.users().iter().map(|user| {
                User::from_parts(
                    user.user_id(),
                    user.user_name(),
                    user.display_name(),
                    user.name(),
                    user.emails(),
                    user.created_at(),
                )
            }));
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(users),
            }
        }
    }

    /// The user ids of a group's members.
    pub async fn list_member_ids(&self, store: &str, group_id: &str) -> Result<Vec<String>, Error> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_group_memberships()
                .identity_store_id(store)
                .group_id(group_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| store_error("ListGroupMemberships", e))?;
            ids.extend(page.group_memberships().iter().filter_map(|membership| {
                match membership.member_id() {
                    Some(MemberId::UserId(user_id)) => Some(user_id.clone()),
                    _ => None,
                }
            }));
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(ids),
            }
        }
    }

    /// Every group membership of a user.
    pub async fn list_memberships_of_user(
        &self,
        store: &str,
        user_id: &str,
    ) -> Result<Vec<Membership>, Error> {
        let mut memberships = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_group_memberships_for_member()
                .identity_store_id(store)
                .member_id(MemberId::UserId(user_id.to_string()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| store_error("ListGroupMembershipsForMember", e))?;
            memberships.extend(page.group_memberships().iter().filter_map(|membership| {
                let member = membership.member_id()?.as_user_id().ok()?;
                (member == user_id).then(|| Membership {
                    membership_id: membership.membership_id().to_string(),
                    group_id: membership.group_id().unwrap_or_default().to_string(),
                    user_id: member.clone(),
                    created_at: membership.created_at().map(DateTime::secs),
                })
            }));
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(memberships),
            }
        }
    }

    /// The id of `user_id`'s membership in `group_id`, if any.
    pub async fn find_membership_id(
        &self,
        store: &str,
        group_id: &str,
        user_id: &str,
    ) -> Result<Option<String>, Error> {
        let result = self
            .client
            .get_group_membership_id()
            .identity_store_id(store)
            .group_id(group_id)
            .member_id(MemberId::UserId(user_id.to_string()))
            .send()
            .await
            .map(|output| output.membership_id)
            .map_err(|e| store_error("GetGroupMembershipId", e));
        found(result)
    }

    /// The membership with this id, or a not-found error.
    pub async fn find_membership_by_id(
        &self,
        store: &str,
        membership_id: &str,
    ) -> Result<Membership, Error> {
        let membership = self
            .client
            .describe_group_membership()
            .identity_store_id(store)
            .membership_id(membership_id)
            .send()
            .await
            .map_err(|e| store_error("DescribeGroupMembership", e))?;
        Ok(Membership {
            membership_id: membership.membership_id().to_string(),
            group_id: membership.group_id().to_string(),
            user_id: membership
                .member_id()
                .and_then(|member| member.as_user_id().ok())
                .cloned()
                .unwrap_or_default(),
            created_at: membership.created_at().map(DateTime::secs),
        })
    }
}
