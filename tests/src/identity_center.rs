//! An Identity Center world for `jit_user_block` cases: users, a group,
//! two permission sets (one with a third party's inline policy), and
//! snapshots of one user as a block and a restore see it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_identitystore::types::MemberId;
use aws_sdk_ssoadmin::types::{PrincipalType, ProvisionTargetType, TargetType};
use serde_json::Value;

use crate::aws::Aws;
use crate::invariants::{BlockState, DEFAULT_ACCOUNT};

/// Sid of the provider's deny statement.
pub const SID: &str = "JitBlockedUsers";
/// The third party's inline policy of `IC-Admin`.
pub const THEIRS: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"TheirsReadLogs","Effect":"Allow","Action":"logs:Get*","Resource":"*"}]}"#;

/// The instance, its users, group and permission sets.
pub struct Fixture {
    /// Identity Center instance ARN.
    pub instance: String,
    /// Identity store id.
    pub store: String,
    /// User ids by user name.
    pub users: HashMap<String, String>,
    /// Id of group `Oncall`.
    pub group: String,
    /// Permission set ARNs by name.
    pub sets: HashMap<String, String>,
}

/// Users mallory and eve; group `Oncall` with mallory; permission sets
/// `IC-Admin` (with a third party's inline policy, provisioned, and
/// assigned to `Oncall`) and `IC-ReadOnly` (assigned to mallory).
pub fn fixtures(aws: &Aws) -> Fixture {
    let mut fx = aws.run(async {
        let sso = &aws.clients.sso_admin;
        let store = &aws.clients.identity_store;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = instances.instances()[0].instance_arn().unwrap().to_string();
        let store_id = instances.instances()[0]
            .identity_store_id()
            .unwrap()
            .to_string();
        let group = store
            .create_group()
            .identity_store_id(&store_id)
            .display_name("Oncall")
            .send()
            .await
            .unwrap()
            .group_id;
        let mut sets = HashMap::new();
        for name in ["IC-Admin", "IC-ReadOnly"] {
            let arn = sso
                .create_permission_set()
                .instance_arn(&instance)
                .name(name)
                .session_duration("PT1H")
                .send()
                .await
                .unwrap()
                .permission_set()
                .unwrap()
                .permission_set_arn()
                .unwrap()
                .to_string();
            sets.insert(name.to_string(), arn);
        }
        sso.put_inline_policy_to_permission_set()
            .instance_arn(&instance)
            .permission_set_arn(&sets["IC-Admin"])
            .inline_policy(THEIRS)
            .send()
            .await
            .unwrap();
        sso.provision_permission_set()
            .instance_arn(&instance)
            .permission_set_arn(&sets["IC-Admin"])
            .target_type(ProvisionTargetType::AwsAccount)
            .target_id(DEFAULT_ACCOUNT)
            .send()
            .await
            .unwrap();
        sso.create_account_assignment()
            .instance_arn(&instance)
            .target_id(DEFAULT_ACCOUNT)
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(&sets["IC-Admin"])
            .principal_type(PrincipalType::Group)
            .principal_id(&group)
            .send()
            .await
            .unwrap();
        Fixture {
            instance,
            store: store_id,
            users: HashMap::new(),
            group,
            sets,
        }
    });
    fx.add_member(aws, "mallory");
    fx.add_user(aws, "eve");
    fx
}

impl Fixture {
    /// A user `name` (email `<name>@example.com`) with nothing else.
    pub fn add_user(&mut self, aws: &Aws, name: &str) -> String {
        let email = format!("{name}@example.com");
        let id = aws.run(aws.create_identity_center_user(&self.store, name, name, &email));
        self.users.insert(name.to_string(), id.clone());
        id
    }

    /// A user like mallory: in `Oncall`, assigned `IC-ReadOnly`.
    pub fn add_member(&mut self, aws: &Aws, name: &str) -> String {
        let id = self.add_user(aws, name);
        aws.run(async {
            aws.clients
                .identity_store
                .create_group_membership()
                .identity_store_id(&self.store)
                .group_id(&self.group)
                .member_id(MemberId::UserId(id.clone()))
                .send()
                .await
                .unwrap();
            aws.clients
                .sso_admin
                .create_account_assignment()
                .instance_arn(&self.instance)
                .target_id(DEFAULT_ACCOUNT)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(&self.sets["IC-ReadOnly"])
                .principal_type(PrincipalType::User)
                .principal_id(&id)
                .send()
                .await
                .unwrap();
        });
        id
    }

    /// The inline policy of a permission set, parsed (`Null`: none).
    pub fn inline_policy(&self, aws: &Aws, set: &str) -> Value {
        let output = aws
            .run(
                aws.clients
                    .sso_admin
                    .get_inline_policy_for_permission_set()
                    .instance_arn(&self.instance)
                    .permission_set_arn(&self.sets[set])
                    .send(),
            )
            .unwrap();
        match output.inline_policy().map(str::trim) {
            None | Some("") => Value::Null,
            Some(text) => serde_json::from_str(text).unwrap(),
        }
    }

    /// `(account, permission set ARN)` of a user's own assignments.
    pub fn assignments(&self, aws: &Aws, user: &str) -> Vec<(String, String)> {
        aws.run(
            aws.clients
                .sso_admin
                .list_account_assignments_for_principal()
                .instance_arn(&self.instance)
                .principal_type(PrincipalType::User)
                .principal_id(&self.users[user])
                .send(),
        )
        .unwrap()
        .account_assignments()
        .iter()
        .map(|a| {
            (
                a.account_id().unwrap().to_string(),
                a.permission_set_arn().unwrap().to_string(),
            )
        })
        .collect()
    }

    /// Group ids of a user's memberships.
    pub fn groups(&self, aws: &Aws, user: &str) -> Vec<String> {
        aws.run(
            aws.clients
                .identity_store
                .list_group_memberships_for_member()
                .identity_store_id(&self.store)
                .member_id(MemberId::UserId(self.users[user].clone()))
                .send(),
        )
        .unwrap()
        .group_memberships()
        .iter()
        .filter_map(|m| m.group_id().map(str::to_string))
        .collect()
    }

    /// The user as a block and a restore see it.
    pub fn snapshot(&self, aws: &Aws, user: &str) -> IcUserSnapshot {
        let user_id = self.users[user].clone();
        let mut entries = BTreeMap::new();
        let mut rest = BTreeMap::new();
        for set in self.sets.keys() {
            let (mine, others) = split_user(self.inline_policy(aws, set), &user_id);
            entries.insert(set.clone(), mine);
            rest.insert(set.clone(), others);
        }
        IcUserSnapshot {
            entries,
            rest,
            assignments: self.assignments(aws, user).into_iter().collect(),
            groups: self.groups(aws, user).into_iter().collect(),
            user_id,
        }
    }
}

/// An Identity Center user, its assignments and memberships, and every
/// permission set's inline policy split into the user's values in our
/// statement and everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcUserSnapshot {
    /// The user's id.
    pub user_id: String,
    /// By permission set name: the user's values in our statement (its id,
    /// `<id>#…` markers, records, pending marks), sorted.
    pub entries: BTreeMap<String, Vec<String>>,
    /// By permission set name: the document without the user's values
    /// (our statement dropped when no value is left; `Null`: no document).
    pub rest: BTreeMap<String, Value>,
    /// `(account, permission set ARN)` of the user's own assignments.
    pub assignments: BTreeSet<(String, String)>,
    /// Group ids.
    pub groups: BTreeSet<String>,
}

impl IcUserSnapshot {
    /// Compares with the snapshot from before any block: untouched, fully
    /// blocked (every permission set denies the user's id, no assignment,
    /// no membership, the rest of every document as it was), or
    /// half-blocked.
    pub fn block_state(&self, before: &Self) -> BlockState {
        if self == before {
            return BlockState::Untouched;
        }
        let mut wrong = Vec::new();
        for (set, values) in &self.entries {
            if !values.contains(&self.user_id) {
                wrong.push(format!("`{set}` does not deny the user"));
            }
        }
        if self.rest != before.rest {
            wrong.push("other statements changed".into());
        }
        for (account, arn) in &self.assignments {
            wrong.push(format!("still assigned `{arn}` in `{account}`"));
        }
        for group in &self.groups {
            wrong.push(format!("still in group `{group}`"));
        }
        if wrong.is_empty() {
            BlockState::Blocked
        } else {
            BlockState::Half(wrong)
        }
    }
}

/// Splits a document into the values of `user_id` in our statement and
/// the document without them.
fn split_user(mut policy: Value, user_id: &str) -> (Vec<String>, Value) {
    let prefix = format!("{user_id}#");
    let mut mine = Vec::new();
    let Some(statements) = policy.get_mut("Statement").and_then(Value::as_array_mut) else {
        return (mine, policy);
    };
    for statement in statements.iter_mut().filter(|s| s["Sid"] == SID) {
        let Some(Value::Object(operators)) = statement.get_mut("Condition") else {
            continue;
        };
        for keys in operators.values_mut() {
            let Value::Object(keys) = keys else { continue };
            for values in keys.values_mut() {
                let list: Vec<Value> = match values.take() {
                    Value::Array(list) => list,
                    one => vec![one],
                };
                let (user, others): (Vec<Value>, Vec<Value>) = list.into_iter().partition(|v| {
                    v.as_str()
                        .is_some_and(|s| s == user_id || s.starts_with(&prefix))
                });
                mine.extend(user.iter().filter_map(|v| v.as_str().map(str::to_string)));
                *values = Value::Array(others);
            }
        }
    }
    let empty = |s: &Value| {
        s["Sid"] == SID
            && s["Condition"].as_object().is_some_and(|ops| {
                ops.values().all(|keys| {
                    keys.as_object().is_some_and(|k| {
                        k.values().all(|v| v.as_array().is_some_and(Vec::is_empty))
                    })
                })
            })
    };
    statements.retain(|s| !empty(s));
    if statements.is_empty() {
        policy = Value::Null;
    }
    mine.sort();
    (mine, policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_users_values_split_off_the_document() {
        let ours = |values: Value| {
            json!({"Sid": SID, "Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"StringEquals": {"identitystore:UserId": values}}})
        };
        let theirs: Value = serde_json::from_str(THEIRS).unwrap();
        let mut both = theirs.clone();
        both["Statement"]
            .as_array_mut()
            .unwrap()
            .push(ours(json!(["u-1", "u-1#m", "u-2"])));
        let (mine, rest) = split_user(both, "u-1");
        assert_eq!(mine, ["u-1", "u-1#m"]);
        let mut expected = theirs.clone();
        expected["Statement"]
            .as_array_mut()
            .unwrap()
            .push(ours(json!(["u-2"])));
        assert_eq!(rest, expected);
        let alone = json!({"Version": "2012-10-17", "Statement": [ours(json!(["u-1", "u-1#m"]))]});
        assert_eq!(split_user(alone, "u-1").1, Value::Null);
        assert_eq!(split_user(Value::Null, "u-1"), (vec![], Value::Null));
        // `u-10` is another user.
        let (mine, _) = split_user(
            json!({"Statement": [ours(json!(["u-10", "u-10#m"]))]}),
            "u-1",
        );
        assert!(mine.is_empty());
    }
}
