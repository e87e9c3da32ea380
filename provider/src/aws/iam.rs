//! IAM calls. Each SDK operation is wrapped once here, with its error
//! mapped by [`aws_error`]; callers see plain Rust types.

use std::time::Duration;

use super::wait::retry_when;
use super::{aws_error, AwsClients};
use crate::error::{gone_ok, Error};

const SERVICE: &str = "iam";

/// How long a just-created IAM entity may be invisible to later calls
/// (IAM is eventually consistent; AWS documents seconds, rarely minutes).
pub const IAM_PROPAGATION: Duration = Duration::from_secs(120);

/// IAM operations over the shared client.
#[derive(Debug, Clone, Copy)]
pub struct Iam<'a> {
    client: &'a aws_sdk_iam::Client,
}

/// A group as IAM describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Immutable group id (`AGPA…`).
    pub id: String,
    /// Group ARN.
    pub arn: String,
    /// User names of the members.
    pub members: Vec<String>,
}

impl AwsClients {
    /// IAM operations.
    pub fn iam(&self) -> Iam<'_> {
        Iam { client: &self.iam }
    }
}

impl Iam<'_> {
    /// Creates a group; returns its ARN.
    pub async fn create_group(&self, name: &str) -> Result<String, Error> {
        let output = self
            .client
            .create_group()
            .group_name(name)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "CreateGroup", e))?;
        Ok(output.group.map(|group| group.arn).unwrap_or_default())
    }

    /// The group and its members, or `Error::NotFound`-like `NoSuchEntity`.
    pub async fn find_group_by_name(&self, name: &str) -> Result<Group, Error> {
        let output = self
            .client
            .get_group()
            .group_name(name)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "GetGroup", e))?;
        let group = output.group;
        Ok(Group {
            name: group
                .as_ref()
                .map_or_else(|| name.to_string(), |g| g.group_name.clone()),
            id: group
                .as_ref()
                .map(|g| g.group_id.clone())
                .unwrap_or_default(),
            arn: group.map(|g| g.arn).unwrap_or_default(),
            members: output
                .users
                .into_iter()
                .map(|user| user.user_name)
                .collect(),
        })
    }

    /// The document of a group's inline policy (as IAM returns it,
    /// URL-encoded), or `None` when the group has no policy of that name.
    pub async fn find_group_policy(
        &self,
        group: &str,
        policy_name: &str,
    ) -> Result<Option<String>, Error> {
        let result = self
            .client
            .get_group_policy()
            .group_name(group)
            .policy_name(policy_name)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "GetGroupPolicy", e));
        match result {
            Ok(output) => Ok(Some(output.policy_document)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
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
            self.client
                .put_group_policy()
                .group_name(group)
                .policy_name(policy_name)
                .policy_document(document)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(SERVICE, "PutGroupPolicy", e))
        })
        .await
    }

    /// Names of a group's inline policies (none when the group is gone).
    pub async fn list_group_policies(&self, group: &str) -> Result<Vec<String>, Error> {
        let result = self
            .client
            .list_group_policies()
            .group_name(group)
            .send()
            .await
            .map(|output| output.policy_names)
            .map_err(|e| aws_error(SERVICE, "ListGroupPolicies", e));
        gone_or_empty(result)
    }

    /// ARNs of the managed policies attached to a group (none when gone).
    pub async fn list_attached_group_policies(&self, group: &str) -> Result<Vec<String>, Error> {
        let result = self
            .client
            .list_attached_group_policies()
            .group_name(group)
            .send()
            .await
            .map(|output| {
                output
                    .attached_policies
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|policy| policy.policy_arn)
                    .collect()
            })
            .map_err(|e| aws_error(SERVICE, "ListAttachedGroupPolicies", e));
        gone_or_empty(result)
    }

    /// Removes a user from a group; already out (or gone) is success.
    pub async fn remove_user_from_group(&self, group: &str, user: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .remove_user_from_group()
                .group_name(group)
                .user_name(user)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(SERVICE, "RemoveUserFromGroup", e)),
        )
    }

    /// Deletes a group's inline policy; already gone is success.
    pub async fn delete_group_policy(&self, group: &str, policy_name: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_group_policy()
                .group_name(group)
                .policy_name(policy_name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(SERVICE, "DeleteGroupPolicy", e)),
        )
    }

    /// Detaches a managed policy from a group; already detached is success.
    pub async fn detach_group_policy(&self, group: &str, policy_arn: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .detach_group_policy()
                .group_name(group)
                .policy_arn(policy_arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(SERVICE, "DetachGroupPolicy", e)),
        )
    }

    /// Deletes a group; already gone is success.
    pub async fn delete_group(&self, group: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_group()
                .group_name(group)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(SERVICE, "DeleteGroup", e)),
        )
    }
}

/// A listing of something that is gone is empty.
fn gone_or_empty<T>(result: Result<Vec<T>, Error>) -> Result<Vec<T>, Error> {
    match result {
        Err(error) if error.is_not_found() => Ok(Vec::new()),
        other => other,
    }
}
