//! IAM groups and their members.

use super::{done_unless_gone, none_if_gone, Iam, IAM_PROPAGATION, SERVICE};
use crate::aws::attempts::Attempts;
use crate::aws::aws_error;
use crate::aws::wait::retry_when;
use crate::error::{gone_ok, Error};
use crate::policy::creation::FoundAfterCreate;

/// A group as IAM describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// Group name.
    pub name: String,
    /// Immutable group id (`AGPA…`).
    pub id: String,
    /// Group ARN.
    pub arn: String,
    /// User names of the members.
    pub members: Vec<String>,
}

/// A group's name and immutable id, e.g. one of a user's groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupRef {
    /// Group name.
    pub name: String,
    /// Immutable group id (`AGPA…`); a group deleted and created again
    /// under the same name has a new one.
    pub id: String,
}

impl Iam {
    /// Creates a group; returns its ARN. `attempts` counts the SDK's tries.
    pub async fn create_group(&self, name: &str, attempts: &Attempts) -> Result<String, Error> {
        let output = send!(
            SERVICE,
            "CreateGroup",
            self.client
                .create_group()
                .group_name(name)
                .customize()
                .interceptor(attempts.clone())
        )?;
        Ok(output.group.map(|group| group.arn).unwrap_or_default())
    }

    /// The group and all its members, or a not-found error.
    pub async fn find_group_by_name(&self, name: &str) -> Result<Group, Error> {
        let mut pages = self
            .client
            .get_group()
            .group_name(name)
            .into_paginator()
            .send();
        let mut found = Group {
            name: name.to_string(),
            id: String::new(),
            arn: String::new(),
            members: Vec::new(),
        };
        let mut first = true;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error(SERVICE, "GetGroup", e))?;
            if let (true, Some(group)) = (first, page.group) {
                found.name = group.group_name;
                found.id = group.group_id;
                found.arn = group.arn;
            }
            first = false;
            found
                .members
                .extend(page.users.into_iter().map(|user| user.user_name));
        }
        Ok(found)
    }

    /// What a create needs to know about a group found under the name it
    /// used (after `CreateGroup` answered `EntityAlreadyExists`): its ARN,
    /// creation date, path, and whether anything is in it; `None` when
    /// there is no such group.
    pub async fn find_group_after_create(
        &self,
        name: &str,
    ) -> Result<Option<(String, FoundAfterCreate)>, Error> {
        let request = self.client.get_group().group_name(name).max_items(1);
        let Some(output) = none_if_gone(send!(SERVICE, "GetGroup", request))? else {
            return Ok(None);
        };
        let Some(group) = output.group else {
            return Ok(None);
        };
        let attached = output.users.len()
            + self.list_group_policies(name).await?.len()
            + self.list_attached_group_policies(name).await?.len();
        let found = FoundAfterCreate {
            created: Some(group.create_date.secs()),
            path: group.path,
            attached,
            as_sent: true,
        };
        Ok(Some((group.arn, found)))
    }

    /// True when the group exists (one small call, members not read).
    pub async fn group_exists(&self, name: &str) -> Result<bool, Error> {
        match send!(
            SERVICE,
            "GetGroup",
            self.client.get_group().group_name(name).max_items(1)
        ) {
            Ok(_) => Ok(true),
            Err(error) if error.is_not_found() => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// The id of the group named `name`, or `None` when there is none (one
    /// small call, members not read).
    pub async fn find_group_id(&self, name: &str) -> Result<Option<String>, Error> {
        let request = self.client.get_group().group_name(name).max_items(1);
        let found = none_if_gone(send!(SERVICE, "GetGroup", request))?;
        Ok(found.and_then(|out| out.group.map(|group| group.group_id)))
    }

    /// Every group `user` is in, with ids (none when the user is gone).
    pub async fn list_user_groups(&self, user: &str) -> Result<Vec<GroupRef>, Error> {
        let groups: Vec<_> = list!(
            "ListGroupsForUser",
            self.client.list_groups_for_user().user_name(user)
        )?;
        Ok(groups
            .into_iter()
            .map(|group| GroupRef {
                name: group.group_name,
                id: group.group_id,
            })
            .collect())
    }

    /// The document of a group's inline policy (as IAM returns it,
    /// URL-encoded), or `None` when the group has no policy of that name.
    pub async fn find_group_policy(
        &self,
        group: &str,
        policy_name: &str,
    ) -> Result<Option<String>, Error> {
        let request = self
            .client
            .get_group_policy()
            .group_name(group)
            .policy_name(policy_name);
        none_if_gone(send!(SERVICE, "GetGroupPolicy", request).map(|out| out.policy_document))
    }

    /// Puts a group's inline policy, retrying while a just-created group is
    /// not yet visible.
    pub async fn put_group_policy(
        &self,
        group: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), Error> {
        retry_when(IAM_PROPAGATION, Error::is_not_found, || async {
            let request = self
                .client
                .put_group_policy()
                .group_name(group)
                .policy_name(policy_name)
                .policy_document(document);
            send!(SERVICE, "PutGroupPolicy", request).map(|_| ())
        })
        .await
    }

    /// Names of a group's inline policies (none when the group is gone).
    pub async fn list_group_policies(&self, group: &str) -> Result<Vec<String>, Error> {
        list!(
            "ListGroupPolicies",
            self.client.list_group_policies().group_name(group)
        )
    }

    /// ARNs of the managed policies attached to a group (none when gone).
    pub async fn list_attached_group_policies(&self, group: &str) -> Result<Vec<String>, Error> {
        let policies: Vec<_> = list!(
            "ListAttachedGroupPolicies",
            self.client.list_attached_group_policies().group_name(group)
        )?;
        Ok(policies.into_iter().filter_map(|p| p.policy_arn).collect())
    }

    /// Adds a user to a group (a missing user or group is an error).
    pub async fn add_user_to_group(&self, group: &str, user: &str) -> Result<(), Error> {
        let request = self
            .client
            .add_user_to_group()
            .group_name(group)
            .user_name(user);
        send!(SERVICE, "AddUserToGroup", request).map(|_| ())
    }

    /// Removes a user from a group: `true` when removed, `false` when the
    /// user was not a member or either is gone.
    pub async fn remove_user_from_group(&self, group: &str, user: &str) -> Result<bool, Error> {
        let request = self
            .client
            .remove_user_from_group()
            .group_name(group)
            .user_name(user);
        done_unless_gone(send!(SERVICE, "RemoveUserFromGroup", request))
    }

    /// Deletes a group's inline policy; already gone is success.
    pub async fn delete_group_policy(&self, group: &str, policy_name: &str) -> Result<(), Error> {
        let request = self
            .client
            .delete_group_policy()
            .group_name(group)
            .policy_name(policy_name);
        gone_ok(send!(SERVICE, "DeleteGroupPolicy", request).map(|_| ()))
    }

    /// Detaches a managed policy from a group; already detached is success.
    pub async fn detach_group_policy(&self, group: &str, policy_arn: &str) -> Result<(), Error> {
        let request = self
            .client
            .detach_group_policy()
            .group_name(group)
            .policy_arn(policy_arn);
        gone_ok(send!(SERVICE, "DetachGroupPolicy", request).map(|_| ()))
    }

    /// Deletes a group; already gone is success.
    pub async fn delete_group(&self, group: &str) -> Result<(), Error> {
        gone_ok(
            send!(
                SERVICE,
                "DeleteGroup",
                self.client.delete_group().group_name(group)
            )
            .map(|_| ()),
        )
    }
}
