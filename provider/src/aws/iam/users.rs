//! IAM users, their tags and their inline and managed policies.

use std::collections::BTreeMap;

use super::{done_unless_gone, none_if_gone, sdk_tags, Iam, SERVICE};
use crate::aws::attempts::Attempts;
use crate::error::{gone_ok, Error};
use crate::policy::creation::FoundAfterCreate;

/// A user as `GetUser` describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct User {
    /// User name.
    pub name: String,
    /// Immutable user id (`AIDA…`).
    pub id: String,
    /// User ARN.
    pub arn: String,
    /// Tags as `GetUser` returns them (moto returns none here; see
    /// [`Iam::list_user_tags`]).
    pub tags: BTreeMap<String, String>,
    /// Last console sign-in, Unix seconds.
    pub password_last_used: Option<i64>,
}

impl Iam {
    /// Creates a user with tags; returns its ARN. An existing user is an
    /// `EntityAlreadyExists` error. `attempts` counts the SDK's tries.
    pub async fn create_user(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
        attempts: &Attempts,
    ) -> Result<String, Error> {
        let request = self
            .client
            .create_user()
            .user_name(name)
            .set_tags(Some(sdk_tags(tags)))
            .customize()
            .interceptor(attempts.clone());
        let output = send!(SERVICE, "CreateUser", request)?;
        Ok(output.user.map(|user| user.arn).unwrap_or_default())
    }

    /// The user named `name` as a create that met it sees it: its ARN,
    /// when it was made, its path, what hangs on it, and whether its tags
    /// are `tags`. `None` when there is no such user.
    pub async fn find_user_after_create(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Option<(String, FoundAfterCreate)>, Error> {
        let request = self.client.get_user().user_name(name);
        let Some(user) = none_if_gone(send!(SERVICE, "GetUser", request))?.and_then(|out| out.user)
        else {
            return Ok(None);
        };
        let attached = self.list_groups_for_user(name).await?.len()
            + self.list_user_policies(name).await?.len()
            + self.list_attached_user_policies(name).await?.len()
            + self.list_access_keys(name).await?.len()
            + usize::from(self.find_login_profile(name).await?.is_some());
        let found = FoundAfterCreate {
            created: Some(user.create_date.secs()),
            path: user.path,
            attached,
            as_sent: self.list_user_tags(name).await? == *tags,
        };
        Ok(Some((user.arn, found)))
    }

    /// The user, or a not-found error.
    pub async fn find_user_by_name(&self, name: &str) -> Result<User, Error> {
        let output = send!(SERVICE, "GetUser", self.client.get_user().user_name(name))?;
        let user = output.user.ok_or_else(|| Error::NotFound {
            what: format!("IAM user `{name}`"),
        })?;
        Ok(User {
            name: user.user_name,
            id: user.user_id,
            arn: user.arn,
            tags: user
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|tag| (tag.key, tag.value))
                .collect(),
            password_last_used: user.password_last_used.map(|date| date.secs()),
        })
    }

    /// Every user name of the account.
    pub async fn list_users(&self) -> Result<Vec<String>, Error> {
        let users: Vec<_> = list!("ListUsers", self.client.list_users())?;
        Ok(users.into_iter().map(|user| user.user_name).collect())
    }

    /// A user's tags (none when the user is gone).
    pub async fn list_user_tags(&self, user: &str) -> Result<BTreeMap<String, String>, Error> {
        let tags: Vec<_> = list!("ListUserTags", self.client.list_user_tags().user_name(user))?;
        Ok(tags.into_iter().map(|tag| (tag.key, tag.value)).collect())
    }

    /// Adds or overwrites tags of a user.
    pub async fn tag_user(&self, user: &str, tags: &BTreeMap<String, String>) -> Result<(), Error> {
        let request = self
            .client
            .tag_user()
            .user_name(user)
            .set_tags(Some(sdk_tags(tags)));
        send!(SERVICE, "TagUser", request).map(|_| ())
    }

    /// Removes tags of a user by key.
    pub async fn untag_user(&self, user: &str, keys: &[String]) -> Result<(), Error> {
        let request = self
            .client
            .untag_user()
            .user_name(user)
            .set_tag_keys(Some(keys.to_vec()));
        send!(SERVICE, "UntagUser", request).map(|_| ())
    }

    /// Names of every group the user is in (none when the user is gone).
    pub async fn list_groups_for_user(&self, user: &str) -> Result<Vec<String>, Error> {
        let groups: Vec<_> = list!(
            "ListGroupsForUser",
            self.client.list_groups_for_user().user_name(user)
        )?;
        Ok(groups.into_iter().map(|group| group.group_name).collect())
    }

    /// Deletes a user; already gone is success. IAM refuses
    /// (`DeleteConflict`) while anything is still attached to it.
    pub async fn delete_user(&self, user: &str) -> Result<(), Error> {
        gone_ok(
            send!(
                SERVICE,
                "DeleteUser",
                self.client.delete_user().user_name(user)
            )
            .map(|_| ()),
        )
    }
}

impl Iam {
    /// The document of a user's inline policy (URL-encoded, as IAM returns
    /// it), or `None` when the policy (or the user) is not there.
    pub async fn find_user_policy(
        &self,
        user: &str,
        policy_name: &str,
    ) -> Result<Option<String>, Error> {
        let request = self
            .client
            .get_user_policy()
            .user_name(user)
            .policy_name(policy_name);
        none_if_gone(send!(SERVICE, "GetUserPolicy", request).map(|out| out.policy_document))
    }

    /// Puts a user's inline policy.
    pub async fn put_user_policy(
        &self,
        user: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), Error> {
        let request = self
            .client
            .put_user_policy()
            .user_name(user)
            .policy_name(policy_name)
            .policy_document(document);
        send!(SERVICE, "PutUserPolicy", request).map(|_| ())
    }

    /// Deletes a user's inline policy: `true` when deleted, `false` when it
    /// was already gone.
    pub async fn delete_user_policy(&self, user: &str, policy_name: &str) -> Result<bool, Error> {
        let request = self
            .client
            .delete_user_policy()
            .user_name(user)
            .policy_name(policy_name);
        done_unless_gone(send!(SERVICE, "DeleteUserPolicy", request))
    }

    /// Names of a user's inline policies.
    pub async fn list_user_policies(&self, user: &str) -> Result<Vec<String>, Error> {
        list!(
            "ListUserPolicies",
            self.client.list_user_policies().user_name(user)
        )
    }

    /// ARNs of the managed policies attached to a user.
    pub async fn list_attached_user_policies(&self, user: &str) -> Result<Vec<String>, Error> {
        let policies: Vec<_> = list!(
            "ListAttachedUserPolicies",
            self.client.list_attached_user_policies().user_name(user)
        )?;
        Ok(policies.into_iter().filter_map(|p| p.policy_arn).collect())
    }

    /// Detaches a managed policy from a user; already detached is success.
    pub async fn detach_user_policy(&self, user: &str, policy_arn: &str) -> Result<(), Error> {
        let request = self
            .client
            .detach_user_policy()
            .user_name(user)
            .policy_arn(policy_arn);
        gone_ok(send!(SERVICE, "DetachUserPolicy", request).map(|_| ()))
    }
}
