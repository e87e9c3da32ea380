//! Invariants every fault test asserts over moto, read straight from the
//! emulator (not through the proxy):
//!
//! - leases: every Identity Center assignment whose key has a lease of ours
//!   (a schedule `jit-<key hash>-<grant id>` in the schedule group) has an
//!   ENABLED lease whose `at(…)` expiry is in the future, or is gone; and
//!   no assignment without any lease exists unless it was standing before
//!   the test ([`LeaseCheck`]);
//! - ownership: every lease belongs to a grant in state, or is disabled, or
//!   is reported by the next plan: the plan names it, or it is the pending
//!   lease of an unfinished run whose grant the next apply creates again
//!   (and adopts it) ([`LeaseCheck::unowned`], [`orphans`]);
//! - users: snapshots of an IAM user and a Cognito user, to assert "restored
//!   exactly" (`==`) and "no half-block" ([`IamUserSnapshot::block_state`],
//!   [`CognitoUserSnapshot::block_state`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use terraform_provider_jit::policy::lease::{
    parse_at_expression, parse_lease_name, AssignmentKey, LeaseMeta,
};
use terraform_provider_jit::policy::normalize_policy_json;

use crate::aws::Aws;

/// The account moto's Identity Center assigns into in tests.
pub const DEFAULT_ACCOUNT: &str = "123456789012";

/// One account assignment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Assignment {
    /// Identity Center instance.
    pub instance_arn: String,
    /// AWS account.
    pub account_id: String,
    /// Permission set.
    pub permission_set_arn: String,
    /// `USER` or `GROUP`.
    pub principal_type: String,
    /// Identity store id.
    pub principal_id: String,
}

impl Assignment {
    fn from_key(key: &AssignmentKey) -> Self {
        Self {
            instance_arn: key.instance_arn.clone(),
            account_id: key.target_id.clone(),
            permission_set_arn: key.permission_set_arn.clone(),
            principal_type: key.principal_type.clone(),
            principal_id: key.principal_id.clone(),
        }
    }

    /// The provider's key of this assignment (its hash names the leases).
    pub fn key(&self) -> AssignmentKey {
        AssignmentKey::new(
            &self.instance_arn,
            &self.account_id,
            &self.permission_set_arn,
            &self.principal_type,
            &self.principal_id,
        )
    }
}

/// One lease as found in the schedule group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Schedule name.
    pub name: String,
    /// The assignment its target deletes (`None`: input unreadable).
    pub assignment: Option<Assignment>,
    /// State `ENABLED`.
    pub enabled: bool,
    /// Expiry, seconds since the epoch (`None`: not an `at(…)`).
    pub expires_at: Option<i64>,
    /// Written by a create that has not finished (`pending_until` set in
    /// its bookkeeping): the run is still going, or died.
    pub pending: bool,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// Assigned, with leases, but none enabled with a future expiry: the
    /// access would never end, or ends with the wrong lease.
    NoLiveLease {
        /// The assignment.
        assignment: Assignment,
        /// Its leases.
        leases: Vec<Lease>,
    },
    /// Assigned with no lease at all, and not standing before the test.
    Unleased(Assignment),
    /// A schedule named like a lease whose target input is not an
    /// assignment, or whose name hash does not match its input.
    MalformedLease(Lease),
}

/// The lease invariant, for one case.
#[derive(Debug, Clone)]
pub struct LeaseCheck {
    /// Schedule group of the leases (provider default `jit-grants`).
    pub group: String,
    /// Accounts whose assignments are listed (plus every account a lease
    /// names).
    pub accounts: Vec<String>,
    /// Assignments that existed before the test (never made by a grant).
    pub standing: BTreeSet<Assignment>,
}

impl Default for LeaseCheck {
    fn default() -> Self {
        Self {
            group: "jit-grants".into(),
            accounts: vec![DEFAULT_ACCOUNT.into()],
            standing: BTreeSet::new(),
        }
    }
}

impl LeaseCheck {
    /// The default check, with today's assignments recorded as standing.
    pub fn before(aws: &Aws) -> Self {
        let check = Self::default();
        let leases = leases(aws, &check.group);
        Self {
            standing: assignments(aws, &check.accounts(&leases)),
            ..check
        }
    }

    fn accounts(&self, leases: &[Lease]) -> Vec<String> {
        let mut accounts: BTreeSet<String> = self.accounts.iter().cloned().collect();
        accounts.extend(
            leases
                .iter()
                .filter_map(|l| l.assignment.as_ref().map(|a| a.account_id.clone())),
        );
        accounts.into_iter().collect()
    }

    /// Every violation, now.
    pub fn violations(&self, aws: &Aws) -> Vec<Violation> {
        let leases = leases(aws, &self.group);
        let assigned = assignments(aws, &self.accounts(&leases));
        let now = unix_now();
        let mut found = Vec::new();
        for lease in &leases {
            let consistent = lease.assignment.as_ref().is_some_and(|a| {
                parse_lease_name(&lease.name).is_some_and(|n| n.key_hash == a.key().hash())
            });
            if !consistent {
                found.push(Violation::MalformedLease(lease.clone()));
            }
        }
        for assignment in &assigned {
            let own: Vec<Lease> = leases
                .iter()
                .filter(|l| l.assignment.as_ref() == Some(assignment))
                .cloned()
                .collect();
            if own.is_empty() {
                if !self.standing.contains(assignment) {
                    found.push(Violation::Unleased(assignment.clone()));
                }
            } else if !own
                .iter()
                .any(|l| l.enabled && l.expires_at.is_some_and(|at| at > now))
            {
                found.push(Violation::NoLiveLease {
                    assignment: assignment.clone(),
                    leases: own,
                });
            }
        }
        found
    }

    /// Panics listing every violation, with `context` (e.g. "after the
    /// interrupted apply").
    pub fn assert_holds(&self, aws: &Aws, context: &str) {
        let violations = self.violations(aws);
        assert!(
            violations.is_empty(),
            "lease invariant broken {context}:\n{}",
            violations
                .iter()
                .map(|v| format!("  {v:?}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// The leases that belong to no grant in state: every lease whose name
    /// is not in `in_state` (the `schedule_name`s of the grants in state).
    pub fn unowned(&self, aws: &Aws, in_state: &BTreeSet<String>) -> Vec<Lease> {
        leases(aws, &self.group)
            .into_iter()
            .filter(|lease| !in_state.contains(&lease.name))
            .collect()
    }
}

/// The orphans among `unowned` leases: enabled, not named by the next plan
/// (`plan_text`, its output), and not the pending lease of an unfinished
/// run whose assignment key (hash) is among `recreated`, the keys of the
/// grants the next plan creates (their create adopts such a lease). A
/// disabled lease removes nothing and is never an orphan.
pub fn orphans(unowned: &[Lease], recreated: &BTreeSet<String>, plan_text: &str) -> Vec<Lease> {
    unowned
        .iter()
        .filter(|lease| lease.enabled)
        .filter(|lease| !plan_text.contains(&lease.name))
        .filter(|lease| {
            let adopted = lease.pending
                && parse_lease_name(&lease.name).is_some_and(|n| recreated.contains(&n.key_hash));
            !adopted
        })
        .cloned()
        .collect()
}

/// The `schedule_name` of every `jit_grant` in a `terraform show -json`
/// state (root module and child modules).
pub fn grant_leases_in_state(state: &serde_json::Value) -> BTreeSet<String> {
    fn walk(module: &serde_json::Value, found: &mut BTreeSet<String>) {
        for resource in module["resources"].as_array().into_iter().flatten() {
            if resource["type"] == "jit_grant" {
                if let Some(name) = resource["values"]["schedule_name"].as_str() {
                    found.insert(name.to_string());
                }
            }
        }
        for child in module["child_modules"].as_array().into_iter().flatten() {
            walk(child, found);
        }
    }
    let mut found = BTreeSet::new();
    walk(&state["values"]["root_module"], &mut found);
    found
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Every lease-named schedule (`jit-<16 hex>-<16 hex>`) in `group`.
pub fn leases(aws: &Aws, group: &str) -> Vec<Lease> {
    let scheduler = &aws.clients.scheduler;
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = match aws.run(
            scheduler
                .list_schedules()
                .group_name(group)
                .set_next_token(token.take())
                .send(),
        ) {
            Ok(page) => page,
            // No group: no leases.
            Err(error) if format!("{error:?}").contains("ResourceNotFound") => break,
            Err(error) => panic!("ListSchedules: {error:?}"),
        };
        names.extend(
            page.schedules()
                .iter()
                .filter_map(|s| s.name())
                .filter(|name| parse_lease_name(name).is_some())
                .map(str::to_string),
        );
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    names
        .into_iter()
        .map(|name| {
            let schedule = aws
                .run(
                    scheduler
                        .get_schedule()
                        .group_name(group)
                        .name(&name)
                        .send(),
                )
                .unwrap_or_else(|e| panic!("GetSchedule {name}: {e:?}"));
            Lease {
                assignment: schedule
                    .target()
                    .and_then(|t| t.input())
                    .and_then(AssignmentKey::from_input)
                    .map(|key| Assignment::from_key(&key)),
                enabled: schedule.state().map(|s| s.as_str()) == Some("ENABLED"),
                expires_at: schedule
                    .schedule_expression()
                    .and_then(parse_at_expression)
                    .map(|at| at.unix_timestamp()),
                pending: schedule
                    .description()
                    .and_then(LeaseMeta::from_description)
                    .is_some_and(|meta| !meta.pending_until.is_empty()),
                name,
            }
        })
        .collect()
}

/// Every account assignment in `accounts`, over every permission set of
/// the first Identity Center instance.
pub fn assignments(aws: &Aws, accounts: &[String]) -> BTreeSet<Assignment> {
    let sso = &aws.clients.sso_admin;
    let instances = aws.run(sso.list_instances().send()).expect("ListInstances");
    let Some(instance) = instances.instances().first().and_then(|i| i.instance_arn()) else {
        return BTreeSet::new();
    };
    let mut sets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .run(
                sso.list_permission_sets()
                    .instance_arn(instance)
                    .set_next_token(token.take())
                    .send(),
            )
            .expect("ListPermissionSets");
        sets.extend(page.permission_sets().iter().cloned());
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    let mut found = BTreeSet::new();
    for account in accounts {
        for set in &sets {
            let mut token: Option<String> = None;
            loop {
                let page = aws
                    .run(
                        sso.list_account_assignments()
                            .instance_arn(instance)
                            .account_id(account)
                            .permission_set_arn(set)
                            .set_next_token(token.take())
                            .send(),
                    )
                    .expect("ListAccountAssignments");
                found.extend(page.account_assignments().iter().map(|a| {
                    Assignment {
                        instance_arn: instance.to_string(),
                        account_id: account.clone(),
                        permission_set_arn: set.clone(),
                        principal_type: a
                            .principal_type()
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_default(),
                        principal_id: a.principal_id().unwrap_or_default().to_string(),
                    }
                }));
                match page.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_string()),
                    _ => break,
                }
            }
        }
    }
    found
}

/// How a user compares with its snapshot from before a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockState {
    /// Exactly as before.
    Untouched,
    /// Every tightening step in place, nothing else changed.
    Blocked,
    /// Anything else: what is out of place.
    Half(Vec<String>),
}

/// An IAM user as a block and a restore see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamUserSnapshot {
    /// `UserId` (a recreated user has a new one).
    pub user_id: String,
    /// Inline policies: name → normalized document.
    pub policies: BTreeMap<String, String>,
    /// Groups: name → `GroupId`.
    pub groups: BTreeMap<String, String>,
    /// Access keys: id → (status, creation time in seconds).
    pub access_keys: BTreeMap<String, (String, i64)>,
    /// Console login profile: creation time in seconds.
    pub login_profile: Option<i64>,
}

fn is_deny_all(document: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(document) else {
        return false;
    };
    value["Statement"].as_array().is_some_and(|statements| {
        statements.iter().any(|s| {
            s["Effect"] == "Deny"
                && s["Action"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "*"))
                && s["Resource"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x == "*"))
        })
    })
}

impl IamUserSnapshot {
    /// Reads the user; `None` when it does not exist.
    pub fn take(aws: &Aws, user: &str) -> Option<Self> {
        let iam = aws.iam();
        let user_id = aws
            .run(iam.get_user().user_name(user).send())
            .ok()?
            .user?
            .user_id;
        let mut policies = BTreeMap::new();
        let names = aws
            .run(iam.list_user_policies().user_name(user).send())
            .expect("ListUserPolicies")
            .policy_names;
        for name in names {
            let document = aws
                .run(
                    iam.get_user_policy()
                        .user_name(user)
                        .policy_name(&name)
                        .send(),
                )
                .expect("GetUserPolicy")
                .policy_document;
            let normal = normalize_policy_json(&document)
                .map(|v| v.to_string())
                .unwrap_or(document);
            policies.insert(name, normal);
        }
        let groups = aws
            .run(iam.list_groups_for_user().user_name(user).send())
            .expect("ListGroupsForUser")
            .groups
            .into_iter()
            .map(|g| (g.group_name, g.group_id))
            .collect();
        let access_keys = aws
            .run(iam.list_access_keys().user_name(user).send())
            .expect("ListAccessKeys")
            .access_key_metadata
            .into_iter()
            .map(|k| {
                (
                    k.access_key_id.unwrap_or_default(),
                    (
                        k.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
                        k.create_date.map(|d| d.secs()).unwrap_or_default(),
                    ),
                )
            })
            .collect();
        let login_profile = aws
            .run(iam.get_login_profile().user_name(user).send())
            .ok()
            .and_then(|p| p.login_profile)
            .map(|p| p.create_date.secs());
        Some(Self {
            user_id,
            policies,
            groups,
            access_keys,
            login_profile,
        })
    }

    /// Compares with the snapshot taken before any block: untouched, fully
    /// blocked (a deny-all inline policy added, every key inactive, no
    /// group, everything else as it was), or half-blocked.
    pub fn block_state(&self, before: &Self) -> BlockState {
        if self == before {
            return BlockState::Untouched;
        }
        let mut wrong = Vec::new();
        if self.user_id != before.user_id {
            wrong.push(format!("user id changed to `{}`", self.user_id));
        }
        let added_deny = self
            .policies
            .iter()
            .any(|(name, doc)| !before.policies.contains_key(name) && is_deny_all(doc));
        if !added_deny {
            wrong.push("no deny-all policy added".into());
        }
        for (name, doc) in &self.policies {
            let ours = !before.policies.contains_key(name) && is_deny_all(doc);
            if !ours && before.policies.get(name) != Some(doc) {
                wrong.push(format!("policy `{name}` added or changed"));
            }
        }
        for name in before.policies.keys() {
            if !self.policies.contains_key(name) {
                wrong.push(format!("policy `{name}` removed"));
            }
        }
        for (key, (status, _)) in &self.access_keys {
            if status == "Active" {
                wrong.push(format!("access key `{key}` active"));
            }
        }
        let keys_now: BTreeSet<&String> = self.access_keys.keys().collect();
        let keys_before: BTreeSet<&String> = before.access_keys.keys().collect();
        if keys_now != keys_before {
            wrong.push(format!("access keys {keys_before:?} became {keys_now:?}"));
        }
        for group in self.groups.keys() {
            wrong.push(format!("still in group `{group}`"));
        }
        if self.login_profile != before.login_profile {
            wrong.push("login profile changed".into());
        }
        if wrong.is_empty() {
            BlockState::Blocked
        } else {
            BlockState::Half(wrong)
        }
    }
}

/// A Cognito user as a block and a restore see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoUserSnapshot {
    /// `Enabled`.
    pub enabled: bool,
    /// `UserStatus`.
    pub status: String,
    /// Every attribute.
    pub attributes: BTreeMap<String, String>,
}

impl CognitoUserSnapshot {
    /// Reads the user; `None` when it does not exist.
    pub fn take(aws: &Aws, pool: &str, username: &str) -> Option<Self> {
        let user = aws
            .run(
                aws.clients
                    .cognito
                    .admin_get_user()
                    .user_pool_id(pool)
                    .username(username)
                    .send(),
            )
            .ok()?;
        Some(Self {
            enabled: user.enabled(),
            status: user
                .user_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            attributes: user
                .user_attributes()
                .iter()
                .map(|a| {
                    (
                        a.name().to_string(),
                        a.value().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        })
    }

    /// Compares with the snapshot from before any block: untouched, fully
    /// blocked (`flag` set, user disabled, other attributes as they were),
    /// or half-blocked.
    pub fn block_state(&self, before: &Self, flag: &str) -> BlockState {
        if self == before {
            return BlockState::Untouched;
        }
        let mut wrong = Vec::new();
        if self.attributes.get(flag).is_none_or(String::is_empty) {
            wrong.push(format!("`{flag}` not set"));
        }
        if self.enabled {
            wrong.push("user enabled".into());
        }
        let others = |s: &Self| {
            s.attributes
                .iter()
                .filter(|(name, _)| name.as_str() != flag)
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        if others(self) != others(before) {
            wrong.push("other attributes changed".into());
        }
        if wrong.is_empty() {
            BlockState::Blocked
        } else {
            BlockState::Half(wrong)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iam(policies: &[(&str, &str)], groups: &[&str], keys: &[(&str, &str)]) -> IamUserSnapshot {
        IamUserSnapshot {
            user_id: "AIDA1".into(),
            policies: policies
                .iter()
                .map(|(n, d)| (n.to_string(), d.to_string()))
                .collect(),
            groups: groups
                .iter()
                .map(|g| (g.to_string(), format!("AGPA{g}")))
                .collect(),
            access_keys: keys
                .iter()
                .map(|(k, s)| (k.to_string(), (s.to_string(), 1)))
                .collect(),
            login_profile: Some(1),
        }
    }

    const DENY: &str = r#"{"Statement":[{"Action":["*"],"Effect":"Deny","Resource":["*"]}]}"#;

    #[test]
    fn iam_users_are_untouched_blocked_or_half_blocked() {
        let before = iam(
            &[("own", "{}")],
            &["ops"],
            &[("K1", "Active"), ("K2", "Inactive")],
        );
        assert_eq!(before.block_state(&before), BlockState::Untouched);
        let blocked = iam(
            &[("own", "{}"), ("jit-block-1", DENY)],
            &[],
            &[("K1", "Inactive"), ("K2", "Inactive")],
        );
        assert_eq!(blocked.block_state(&before), BlockState::Blocked);
        // The deny policy is there but a key is still active.
        let half = iam(
            &[("own", "{}"), ("jit-block-1", DENY)],
            &[],
            &[("K1", "Active"), ("K2", "Inactive")],
        );
        assert_eq!(
            half.block_state(&before),
            BlockState::Half(vec!["access key `K1` active".into()])
        );
        // Groups removed but no deny policy.
        let half = iam(
            &[("own", "{}")],
            &[],
            &[("K1", "Inactive"), ("K2", "Inactive")],
        );
        let BlockState::Half(wrong) = half.block_state(&before) else {
            panic!("half expected");
        };
        assert_eq!(wrong, ["no deny-all policy added"]);
        // A restore that reactivated the wrong key is not "untouched".
        let wrong_restore = iam(
            &[("own", "{}")],
            &["ops"],
            &[("K1", "Active"), ("K2", "Active")],
        );
        assert!(matches!(
            wrong_restore.block_state(&before),
            BlockState::Half(_)
        ));
    }

    #[test]
    fn orphans_are_enabled_unreported_leases_nobody_adopts() {
        let key = AssignmentKey::new("arn:i", "1", "arn:ps", "USER", "u-1");
        let lease = |grant: &str, enabled: bool, pending: bool| Lease {
            name: key.lease_name(grant),
            assignment: Some(Assignment::from_key(&key)),
            enabled,
            expires_at: Some(4_000_000_000),
            pending,
        };
        let unowned = [
            lease("00000000000000a1", false, false),
            lease("00000000000000a2", true, true),
            lease("00000000000000a3", true, false),
            lease("00000000000000a4", true, false),
        ];
        let recreated: BTreeSet<String> = [key.hash()].into();
        let named = format!("Warning: lease `{}` belongs to no grant", unowned[3].name);
        // Disabled: fine. Pending with its grant planned again: adopted. A
        // confirmed lease nobody names: orphan. One the plan names: reported.
        let found = orphans(&unowned, &recreated, &named);
        assert_eq!(found, [unowned[2].clone()]);
        // Without the grant in the next plan, the pending lease is one too.
        let found = orphans(&unowned, &BTreeSet::new(), "");
        assert_eq!(found, unowned[1..].to_vec());
    }

    #[test]
    fn grant_lease_names_are_read_from_every_module() {
        let state = serde_json::json!({"values": {"root_module": {
            "resources": [
                {"type": "jit_grant", "values": {"schedule_name": "jit-a"}},
                {"type": "jit_user_block", "values": {"schedule_name": "jit-x"}}
            ],
            "child_modules": [{"resources": [
                {"type": "jit_grant", "values": {"schedule_name": "jit-b"}}
            ]}]
        }}});
        let names: Vec<String> = grant_leases_in_state(&state).into_iter().collect();
        assert_eq!(names, ["jit-a", "jit-b"]);
    }

    #[test]
    fn cognito_users_are_untouched_blocked_or_half_blocked() {
        let user = |enabled: bool, flag: &str| CognitoUserSnapshot {
            enabled,
            status: "CONFIRMED".into(),
            attributes: [("sub", "s"), ("custom:access_revoked", flag)]
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        };
        let flag = "custom:access_revoked";
        let before = user(true, "");
        assert_eq!(before.block_state(&before, flag), BlockState::Untouched);
        assert_eq!(
            user(false, "jit-1").block_state(&before, flag),
            BlockState::Blocked
        );
        assert_eq!(
            user(true, "jit-1").block_state(&before, flag),
            BlockState::Half(vec!["user enabled".into()])
        );
    }
}
