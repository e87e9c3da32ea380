//! The record of a block (what it changed, so that restore puts back
//! exactly that), the outcome of the block and restore steps, and how the
//! record is stored in state.

use tf_provider::value::Value;

use super::plan::Target;
use super::{status, CognitoBlock, IamBlock, UserBlockState};
use crate::error::Error;
use crate::values::{known_str, known_str_list, str_list, text};

/// What a block changed; restore puts back exactly this.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Record {
    /// IAM user id or Cognito `sub`.
    pub user_id: String,
    /// IAM: keys deactivated.
    pub keys_deactivated: Vec<String>,
    /// IAM: groups left.
    pub groups_removed: Vec<String>,
    /// Cognito: enabled before the block.
    pub user_was_enabled: Option<bool>,
    /// Cognito: the flag's value before the block.
    pub previous_flag_value: Option<String>,
}

/// An earlier block of the same user whose record a new block continues.
#[derive(Debug, Clone)]
pub(crate) struct Inherited {
    /// Its record.
    pub record: Record,
    /// Its marker (replaced by the new block's).
    pub marker: String,
}

/// Outcome of the block steps.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// What is blocked now (merged with any inherited record).
    pub record: Record,
    /// Steps done, in order.
    pub done: Vec<String>,
    /// `(summary, detail)` notes for the operator.
    pub warnings: Vec<(String, String)>,
    /// Failures; empty when every step succeeded.
    pub errors: Vec<Error>,
    /// Whether this block's marker is in place.
    pub marker_placed: bool,
    /// Markers of earlier blocks this block replaced.
    pub took_over: Vec<String>,
}

/// Outcome of the restore steps.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    /// Steps done, in order.
    pub done: Vec<String>,
    /// `(summary, detail)` notes for the operator.
    pub warnings: Vec<(String, String)>,
    /// Failures.
    pub errors: Vec<Error>,
}

/// What AWS shows of a block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Observed {
    /// The user (or its pool) no longer exists.
    UserGone,
    /// The user exists.
    User {
        /// IAM user id or Cognito `sub`.
        user_id: String,
        /// What was undone outside Terraform; empty when fully blocked.
        undone: Vec<String>,
        /// Whether anything of the block is still in place (its marker, a
        /// key it deactivated, a group it removed, the user it disabled).
        left: bool,
    },
}

/// The record a state holds.
pub(crate) fn record_of(state: &UserBlockState) -> Record {
    Record {
        user_id: text(&state.user_id).to_string(),
        keys_deactivated: known_str_list(&state.access_keys_deactivated).unwrap_or_default(),
        groups_removed: known_str_list(&state.groups_removed).unwrap_or_default(),
        user_was_enabled: state.user_was_enabled.as_ref_option().copied(),
        previous_flag_value: known_str(&state.previous_flag_value).map(str::to_string),
    }
}

/// Writes a record into the computed attributes of its kind.
pub(crate) fn flatten_record(state: &mut UserBlockState, target: &Target, record: &Record) {
    state.user_id = Value::Value(record.user_id.clone());
    match target {
        Target::Iam(_) => {
            state.access_keys_deactivated = str_list(record.keys_deactivated.clone());
            state.groups_removed = str_list(record.groups_removed.clone());
            state.user_was_enabled = Value::Null;
            state.previous_flag_value = Value::Null;
        }
        Target::Cognito(_) => {
            state.access_keys_deactivated = Value::Null;
            state.groups_removed = Value::Null;
            state.user_was_enabled = Value::Value(record.user_was_enabled.unwrap_or(false));
            state.previous_flag_value = record
                .previous_flag_value
                .clone()
                .map_or(Value::Null, Value::Value);
        }
    }
}

/// The state of a new block once its steps ran: the marker and the record
/// when the marker was placed, `INCOMPLETE` when a later step failed.
pub(crate) fn placed_state(
    planned: UserBlockState,
    target: &Target,
    marker: &str,
    progress: &Progress,
    now: String,
) -> UserBlockState {
    let mut state = planned;
    if progress.marker_placed {
        state.blocked_at = Value::Value(now);
        state.marker = Value::Value(marker.to_string());
        state.status = Value::Value(if progress.errors.is_empty() {
            status::BLOCKED.into()
        } else {
            status::INCOMPLETE.into()
        });
        flatten_record(&mut state, target, &progress.record);
    }
    state
}

/// A parked block as the base of the block that replaces it.
pub(crate) fn inherited_from(parked: &UserBlockState) -> Option<Inherited> {
    let marker = known_str(&parked.marker)?;
    Some(Inherited {
        record: record_of(parked),
        marker: marker.to_string(),
    })
}

/// A parked (still placed) block, stored under the planned inputs.
pub(crate) fn adopt(parked: UserBlockState, planned: UserBlockState) -> UserBlockState {
    UserBlockState {
        reason: planned.reason,
        ticket: planned.ticket,
        blocked_by: planned.blocked_by,
        ..parked
    }
}

/// The state of an imported block: its target, marker and status, and a
/// record holding only the user id (what the block changed is unknown).
pub(crate) fn imported_state(
    id: &str,
    target: &Target,
    marker: &str,
    blocked: bool,
    user_id: String,
) -> UserBlockState {
    let status = if blocked {
        status::BLOCKED
    } else {
        status::UNBLOCKED
    };
    let mut state = UserBlockState {
        id: Value::Value(id.to_string()),
        marker: Value::Value(marker.to_string()),
        status: Value::Value(status.into()),
        ..Default::default()
    };
    match target {
        Target::Cognito(c) => {
            state.cognito = Value::Value(CognitoBlock {
                block_attribute: Value::Value(c.attribute.clone()),
                user_pool_id: Value::Value(c.pool_id.clone()),
                username: Value::Value(c.username.clone()),
            });
        }
        Target::Iam(user) => {
            state.iam = Value::Value(IamBlock {
                user_name: Value::Value(user.clone()),
            });
        }
    }
    let record = Record {
        user_id,
        user_was_enabled: matches!(target, Target::Cognito(_)).then_some(false),
        ..Default::default()
    };
    flatten_record(&mut state, target, &record);
    state
}
