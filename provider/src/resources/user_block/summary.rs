//! The reviewer summary of a user block (see [`crate::framework::summary`]):
//! "IAM user mallory is blocked (by secops@example.com; ticket SEC-7)" for
//! a create, "restores IAM user mallory" for a destroy. Pure text from the
//! planned state.

use tf_provider::value::Value;

use super::{status, UserBlockState};
use crate::framework::summary::{required, written, UNKNOWN};
use crate::framework::Change;

/// The summary of a planned change of a block: a new block, a block placed
/// again or whose flag moves, a restore. Editing `reason`, `ticket` or
/// `blocked_by` changes nothing for the user: no line.
pub fn summary(change: Change<'_, UserBlockState>) -> Option<String> {
    match change {
        Change::Create { planned } | Change::Replace { planned, .. } => {
            Some(format!("{} is blocked{}", who(planned), by(planned)))
        }
        Change::Update { prior, planned } => updated(prior, planned),
        Change::Destroy { prior } => Some(restored(prior)),
    }
}

/// The user, as the script of the CI plan comment names it too.
pub fn who(state: &UserBlockState) -> String {
    match (&state.cognito, &state.iam) {
        (Value::Value(c), _) => format!(
            "Cognito user {} of pool {}",
            required(&c.username),
            required(&c.user_pool_id)
        ),
        (_, Value::Value(iam)) => format!("IAM user {}", required(&iam.user_name)),
        _ => match &state.identity_center {
            Value::Value(center) => format!("Identity Center user {}", required(&center.user)),
            _ => format!("user {UNKNOWN}"),
        },
    }
}

/// " (by <blocked_by>; ticket <ticket>)".
fn by(state: &UserBlockState) -> String {
    let mut details = vec![format!("by {}", required(&state.blocked_by))];
    if let Some(ticket) = written(&state.ticket) {
        details.push(format!("ticket {ticket}"));
    }
    format!(" ({})", details.join("; "))
}

/// A block placed again, or its Cognito flag moved.
fn updated(prior: &UserBlockState, planned: &UserBlockState) -> Option<String> {
    let again = match prior.status.as_ref_option().map(String::as_str) {
        Some(status::UNBLOCKED) => Some("the block was partly undone outside Terraform"),
        Some(status::INCOMPLETE) => Some("the block failed part-way"),
        _ => None,
    };
    if let Some(why) = again {
        return Some(format!(
            "{} is blocked again ({why}; by {})",
            who(planned),
            required(&planned.blocked_by)
        ));
    }
    let flag = |state: &UserBlockState| match &state.cognito {
        Value::Value(c) => written(&c.block_attribute),
        _ => None,
    };
    let (before, after) = (flag(prior), flag(planned));
    (before.is_some() && after.is_some() && before != after).then(|| {
        format!(
            "{} stays blocked; the flag moves from {} to {}",
            who(planned),
            before.unwrap_or_default(),
            after.unwrap_or_default()
        )
    })
}

/// "restores <user>"; a block whose user was deleted is only forgotten.
fn restored(prior: &UserBlockState) -> String {
    if prior.status.as_ref_option().map(String::as_str) == Some(status::USER_DELETED) {
        format!(
            "forgets the block of {} (the user no longer exists)",
            who(prior)
        )
    } else {
        format!("restores {}", who(prior))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CognitoBlock, IamBlock};
    use super::*;

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    fn iam(user: Value<String>) -> UserBlockState {
        UserBlockState {
            iam: Value::Value(IamBlock { user_name: user }),
            blocked_by: s("secops@example.com"),
            reason: s("Account compromise"),
            status: s(status::BLOCKED),
            ..Default::default()
        }
    }

    fn cognito(attribute: &str) -> UserBlockState {
        UserBlockState {
            cognito: Value::Value(CognitoBlock {
                block_attribute: s(attribute),
                user_pool_id: s("eu-west-1_P"),
                username: s("eve"),
            }),
            blocked_by: s("secops@example.com"),
            ticket: s("SEC-7"),
            status: s(status::BLOCKED),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_block_names_the_user_and_who_asked() {
        let create = |state: &UserBlockState| summary(Change::Create { planned: state });
        assert_eq!(
            create(&iam(s("mallory"))).as_deref(),
            Some("IAM user mallory is blocked (by secops@example.com)")
        );
        assert_eq!(
            create(&cognito("custom:access_revoked")).as_deref(),
            Some("Cognito user eve of pool eu-west-1_P is blocked (by secops@example.com; ticket SEC-7)")
        );
        assert_eq!(
            create(&iam(Value::Unknown)).as_deref(),
            Some("IAM user (known after apply) is blocked (by secops@example.com)")
        );
    }

    #[test]
    fn updates_say_when_the_user_is_blocked_again_or_the_flag_moves() {
        let prior = iam(s("mallory"));
        let mut planned = prior.clone();
        planned.reason = s("Another reason");
        planned.ticket = s("SEC-8");
        let update = |prior: &UserBlockState, planned: &UserBlockState| {
            summary(Change::Update { prior, planned })
        };
        assert_eq!(update(&prior, &planned), None, "only the record changes");
        let mut undone = prior.clone();
        undone.status = s(status::UNBLOCKED);
        assert_eq!(
            update(&undone, &planned).as_deref(),
            Some("IAM user mallory is blocked again (the block was partly undone outside Terraform; by secops@example.com)")
        );
        undone.status = s(status::INCOMPLETE);
        assert!(update(&undone, &planned)
            .unwrap()
            .contains("blocked again (the block failed part-way;"));
        assert_eq!(
            update(&cognito("custom:a"), &cognito("custom:b")).as_deref(),
            Some("Cognito user eve of pool eu-west-1_P stays blocked; the flag moves from custom:a to custom:b")
        );
    }

    #[test]
    fn a_destroy_restores_the_user_or_forgets_a_deleted_one() {
        let mut prior = iam(s("mallory"));
        assert_eq!(
            summary(Change::Destroy { prior: &prior }).as_deref(),
            Some("restores IAM user mallory")
        );
        prior.status = s(status::USER_DELETED);
        assert_eq!(
            summary(Change::Destroy { prior: &prior }).as_deref(),
            Some("forgets the block of IAM user mallory (the user no longer exists)")
        );
    }
}
