//! The reviewer summary of an environment user (see
//! [`crate::framework::summary`]): which role groups it gains and loses,
//! and console access. "IAM user bob gains hera-prod-infra-manager (new
//! user; console access)", "IAM user bob gains hera-dev-developer; loses
//! hera-dev-infra-member", "deletes IAM user bob (loses
//! hera-prod-infra-manager)". Pure text from the planned state.

use std::collections::BTreeSet;

use tf_provider::value::Value;

use super::EnvUserState;
use crate::framework::summary::{required, UNKNOWN};
use crate::framework::Change;
use crate::values::known_str_list;

/// The summary of a planned change of a user: a new user, a change of its
/// role groups or console access, a deleted user. Tags, keys and a new
/// password of the same access get no line.
pub fn summary(change: Change<'_, EnvUserState>) -> Option<String> {
    match change {
        Change::Create { planned } | Change::Replace { planned, .. } => Some(created(planned)),
        Change::Update { prior, planned } => updated(prior, planned),
        Change::Destroy { prior } => Some(deleted(prior)),
    }
}

fn who(state: &EnvUserState) -> String {
    format!("IAM user {}", required(&state.name))
}

/// The role groups, `None` when unknown.
fn groups(state: &EnvUserState) -> Option<BTreeSet<String>> {
    known_str_list(&state.groups).map(|groups| groups.into_iter().collect())
}

fn join(groups: &BTreeSet<String>) -> String {
    groups.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn created(planned: &EnvUserState) -> String {
    let mut details = vec!["new user".to_string()];
    if planned.console_access == Value::Value(true) {
        details.push("console access".to_string());
    }
    let gains = match groups(planned) {
        Some(groups) if groups.is_empty() => "no role group".to_string(),
        Some(groups) => join(&groups),
        None => UNKNOWN.to_string(),
    };
    format!("{} gains {gains} ({})", who(planned), details.join("; "))
}

fn updated(prior: &EnvUserState, planned: &EnvUserState) -> Option<String> {
    let mut parts = Vec::new();
    match (groups(prior), groups(planned)) {
        (Some(before), Some(after)) => {
            let gained: BTreeSet<String> = after.difference(&before).cloned().collect();
            let lost: BTreeSet<String> = before.difference(&after).cloned().collect();
            if !gained.is_empty() {
                parts.push(format!("gains {}", join(&gained)));
            }
            if !lost.is_empty() {
                parts.push(format!("loses {}", join(&lost)));
            }
        }
        (_, None) => parts.push(format!("gets the role groups {UNKNOWN}")),
        (None, Some(_)) => {}
    }
    match (
        prior.console_access.as_ref_option(),
        planned.console_access.as_ref_option(),
    ) {
        (Some(false) | None, Some(true)) => parts.push("gains console access".to_string()),
        (Some(true), Some(false)) => parts.push("loses console access".to_string()),
        _ => {}
    }
    (!parts.is_empty()).then(|| format!("{} {}", who(planned), parts.join("; ")))
}

fn deleted(prior: &EnvUserState) -> String {
    match groups(prior) {
        Some(groups) if !groups.is_empty() => {
            format!("deletes {} (loses {})", who(prior), join(&groups))
        }
        _ => format!("deletes {}", who(prior)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::str_list;

    fn user(groups: &[&str], console: bool) -> EnvUserState {
        EnvUserState {
            name: Value::Value("bob".into()),
            groups: str_list(groups.iter().map(|g| g.to_string())),
            console_access: Value::Value(console),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_user_gains_its_role_groups() {
        let planned = user(
            &["hera-prod-security-engineer", "hera-prod-infra-manager"],
            true,
        );
        assert_eq!(
            summary(Change::Create { planned: &planned }).as_deref(),
            Some("IAM user bob gains hera-prod-infra-manager, hera-prod-security-engineer (new user; console access)")
        );
        let mut planned = user(&[], false);
        planned.groups = Value::Unknown;
        assert_eq!(
            summary(Change::Create { planned: &planned }).as_deref(),
            Some("IAM user bob gains (known after apply) (new user)")
        );
    }

    #[test]
    fn an_update_names_what_is_gained_and_lost() {
        let update = |prior: &EnvUserState, planned: &EnvUserState| {
            summary(Change::Update { prior, planned })
        };
        let prior = user(&["hera-dev-infra-member"], false);
        assert_eq!(update(&prior, &prior.clone()), None);
        assert_eq!(
            update(&prior, &user(&["hera-dev-developer"], true)).as_deref(),
            Some("IAM user bob gains hera-dev-developer; loses hera-dev-infra-member; gains console access")
        );
        // A move to another environment: every group changes.
        assert_eq!(
            update(&prior, &user(&["hera-staging-infra-member"], false)).as_deref(),
            Some("IAM user bob gains hera-staging-infra-member; loses hera-dev-infra-member")
        );
        assert_eq!(
            update(&user(&["hera-dev-infra-member"], true), &prior).as_deref(),
            Some("IAM user bob loses console access")
        );
        let mut unknown = prior.clone();
        unknown.groups = Value::Unknown;
        assert_eq!(
            update(&prior, &unknown).as_deref(),
            Some("IAM user bob gets the role groups (known after apply)")
        );
    }

    #[test]
    fn a_destroy_deletes_the_user_and_its_memberships() {
        let prior = user(&["hera-prod-infra-manager"], false);
        assert_eq!(
            summary(Change::Destroy { prior: &prior }).as_deref(),
            Some("deletes IAM user bob (loses hera-prod-infra-manager)")
        );
        assert_eq!(
            summary(Change::Destroy {
                prior: &user(&[], false)
            })
            .as_deref(),
            Some("deletes IAM user bob")
        );
    }
}
