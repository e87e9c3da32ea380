//! The record of a block in state (what it changed, so that restore puts
//! back exactly that), the outcome of the block and restore steps, and what
//! one run needs to recognise blocks cut off by a killed apply.
//!
//! The record in state is this block's own; the records in AWS (user tags,
//! the Cognito flag: see `policy::block`) are what every block of the user
//! shares. Restore uses both.

use std::sync::OnceLock;

use tf_provider::value::Value;

use super::meter::Meter;
use super::plan::Target;
use super::{status, CognitoBlock, IamBlock, IdentityCenterBlock, UserBlockState};
use crate::audit;
use crate::config::workspace::{started_at, workspace_id};
use crate::error::Error;
use crate::policy::block::{fingerprint, Pending, Placed, PENDING_SECONDS};
use crate::values::{known_str, known_str_list, str_list, text};

/// Why a restore finds its block's marker gone: a later block of the same
/// inputs from this state takes over a finished block no state it can see
/// names (`Run::block_orphans`), and cannot tell a replaced one from one
/// a killed apply left.
pub(crate) const TAKEN_OVER_OR_REMOVED: &str = "removed outside Terraform, or taken over by a later block of the same inputs from this state: a create_before_destroy replacement or a re-run after a killed apply";

/// What a block changed, as its state holds it.
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
    /// Identity Center: assignments removed (`<account>/<permission set
    /// ARN>`, `/jit` appended for a JIT grant's).
    pub assignments_removed: Vec<String>,
}

/// What one block or restore needs besides its inputs: the meter, this
/// provider process's nonce, the fingerprint of the block's inputs, and
/// the time.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// Times AWS calls.
    pub meter: Meter,
    /// Random id of this provider process.
    pub nonce: String,
    /// Fingerprint of the block's inputs (user, who, why, ticket).
    pub fingerprint: String,
    /// Unix seconds.
    pub now: i64,
    /// This process's working directory and workspace (8 hex digits).
    pub workspace: String,
    /// Unix seconds when this provider process started.
    pub started: i64,
}

impl Run {
    /// A run for the block `state` of `target`.
    pub fn new(meter: &Meter, target: &Target, state: &UserBlockState) -> Self {
        Self {
            meter: meter.clone(),
            nonce: process_nonce().to_string(),
            fingerprint: fingerprint(&[
                &target.user_key(),
                text(&state.blocked_by),
                text(&state.reason),
                text(&state.ticket),
            ]),
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
            workspace: workspace_id().chars().take(8).collect(),
            started: started_at().unix_timestamp(),
        }
    }

    /// The placed mark of a block this run finishes.
    pub fn placed(&self) -> Placed {
        Placed {
            workspace: self.workspace.clone(),
            at: self.now,
            fingerprint: self.fingerprint.clone(),
        }
    }

    /// True when a finished block no state may name is taken over by this
    /// run's new block ([`Placed::adoptable`]).
    pub fn may_take_placed(&self, placed: Option<&Placed>) -> bool {
        placed.is_some_and(|p| p.adoptable(&self.workspace, &self.fingerprint, self.started))
    }

    /// The pending mark of a block this run is placing.
    pub fn pending(&self) -> Pending {
        Pending {
            nonce: self.nonce.clone(),
            deadline: self.now + PENDING_SECONDS,
            fingerprint: self.fingerprint.clone(),
        }
    }

    /// True when a pending block may be taken over by this run.
    pub fn may_adopt(&self, pending: Option<&Pending>) -> bool {
        pending.is_some_and(|p| p.adoptable(&self.nonce, &self.fingerprint, self.now))
    }

    /// True for a block another run is placing right now: pending, and not
    /// to be taken over by this run (this process's own, or of another
    /// process with other inputs before its deadline).
    pub fn placing_elsewhere(&self, pending: Option<&Pending>) -> bool {
        pending.is_some() && !self.may_adopt(pending)
    }

    /// [`Run::orphans`] of a new block, which also takes over a finished
    /// block of the same inputs that an earlier run from this workspace
    /// left without state ([`Run::may_take_placed`]); a restore never does
    /// (that block may be another state's).
    pub fn block_orphans<'a>(
        &self,
        blocks: impl IntoIterator<Item = (&'a str, Option<&'a Pending>, Option<&'a Placed>)>,
        marker: &str,
        take_over: Option<&str>,
    ) -> Vec<String> {
        let mut settled: Vec<&str> = Vec::new();
        let marked: Vec<(&str, Option<&Pending>)> = blocks
            .into_iter()
            .inspect(|(m, pending, placed)| {
                if pending.is_none() && self.may_take_placed(*placed) {
                    settled.push(m);
                }
            })
            .map(|(m, pending, _)| (m, pending))
            .collect();
        let mut orphans = self.orphans(marked, marker, take_over);
        for m in settled {
            if m != marker && !orphans.iter().any(|o| o == m) {
                orphans.push(m.to_string());
            }
        }
        orphans
    }

    /// The blocks of a user that this run, placing or restoring block
    /// `marker`, takes over: `take_over` (the block a replacement hands
    /// over, listed or not) and every other block of `blocks` (marker and
    /// pending mark) whose placing process is gone ([`Run::may_adopt`]).
    /// Every kind decides with this one rule.
    pub fn orphans<'a>(
        &self,
        blocks: impl IntoIterator<Item = (&'a str, Option<&'a Pending>)>,
        marker: &str,
        take_over: Option<&str>,
    ) -> Vec<String> {
        let mut orphans: Vec<String> = Vec::new();
        let taken = blocks
            .into_iter()
            .filter(|(m, pending)| take_over == Some(*m) || self.may_adopt(*pending))
            .map(|(m, _)| m)
            .chain(take_over);
        for m in taken {
            if m != marker && !orphans.iter().any(|o| o == m) {
                orphans.push(m.to_string());
            }
        }
        orphans
    }
}

/// This provider process's nonce (8 hex digits), the same for every block
/// it places.
pub(crate) fn process_nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| audit::random_id()[..8].to_string())
}

/// Outcome of the block steps.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// What this block changed (merged with any record it continues).
    pub record: Record,
    /// Steps done, in order.
    pub done: Vec<String>,
    /// Steps attempted that did not succeed.
    pub not_done: Vec<String>,
    /// `(summary, detail)` notes for the operator.
    pub warnings: Vec<(String, String)>,
    /// Failures; empty when every step succeeded.
    pub errors: Vec<Error>,
    /// AWS may hold something of this block (its marker, its record, or a
    /// change it made): its state must be kept.
    pub changed: bool,
    /// Whether this block's marker is in place (as far as known).
    pub marker_placed: bool,
    /// Orphaned blocks (of killed applies) this block took over.
    pub adopted: Vec<String>,
    /// Other live blocks of the user.
    pub others: Vec<String>,
}

impl Progress {
    /// Records the id of the user this block is of; false (with a warning)
    /// when `own`, the record the block continues, is of another user that
    /// had the same name, whose record is then dropped.
    pub fn of_user(&mut self, own: &Record, user_id: &str) -> bool {
        self.record.user_id = user_id.to_string();
        let same_user = own.user_id.is_empty() || own.user_id == user_id;
        if !same_user {
            self.warnings.push((
                "Earlier block record dropped".to_string(),
                "the earlier block was of a user that no longer exists under this name; its record was dropped".to_string(),
            ));
        }
        same_user
    }

    /// Notes a failed step: what it was and why.
    pub fn failed(&mut self, step: String, error: Error) {
        self.not_done.push(format!("{step} ({error})"));
        self.errors.push(error);
    }
}

/// Outcome of the restore steps.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    /// Steps done, in order.
    pub done: Vec<String>,
    /// Steps attempted that did not succeed.
    pub not_done: Vec<String>,
    /// `(summary, detail)` notes for the operator.
    pub warnings: Vec<(String, String)>,
    /// Failures.
    pub errors: Vec<Error>,
    /// Other live blocks that keep the user blocked.
    pub others: Vec<String>,
}

impl Restored {
    /// Notes a failed step: what it was and why.
    pub fn failed(&mut self, step: String, error: Error) {
        self.not_done.push(format!("{step} ({error})"));
        self.errors.push(error);
    }
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
        assignments_removed: known_str_list(&state.assignments_removed).unwrap_or_default(),
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
            state.assignments_removed = Value::Null;
        }
        Target::IdentityCenter(_) => {
            state.access_keys_deactivated = Value::Null;
            state.groups_removed = str_list(record.groups_removed.clone());
            state.assignments_removed = str_list(record.assignments_removed.clone());
            state.user_was_enabled = Value::Null;
            state.previous_flag_value = Value::Null;
        }
        Target::Cognito(_) => {
            state.assignments_removed = Value::Null;
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

/// The state of a new block once its steps ran: the marker and the record,
/// `BLOCKED` when every step succeeded, else `INCOMPLETE` (the next plan
/// finishes it in place).
pub(crate) fn placed_state(
    planned: UserBlockState,
    target: &Target,
    marker: &str,
    progress: &Progress,
    now: String,
) -> UserBlockState {
    let mut state = planned;
    state.blocked_at = Value::Value(now);
    state.marker = Value::Value(marker.to_string());
    state.status = Value::Value(if progress.errors.is_empty() {
        status::BLOCKED.into()
    } else {
        status::INCOMPLETE.into()
    });
    flatten_record(&mut state, target, &progress.record);
    state
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
/// record holding only the user id (the shared record in AWS holds the
/// rest, and restore reads it there).
pub(crate) fn imported_state(
    id: &str,
    target: &Target,
    marker: &str,
    blocked: bool,
    record: Record,
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
        Target::IdentityCenter(user) => {
            state.identity_center = Value::Value(IdentityCenterBlock {
                user: Value::Value(user.clone()),
            });
        }
    }
    flatten_record(&mut state, target, &record);
    state
}

/// The items as a list of backquoted names.
pub(crate) fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Ok(false)` when AWS says the object is gone.
pub(crate) fn done_unless_gone(result: Result<(), Error>) -> Result<bool, Error> {
    match result {
        Ok(()) => Ok(true),
        Err(error) if error.is_not_found() => Ok(false),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "0000aaaa";

    fn run() -> Run {
        Run {
            meter: Meter::new(),
            nonce: NONCE.into(),
            fingerprint: "0123abcd".into(),
            now: 1_000,
            workspace: "5eed0001".into(),
            started: 990,
        }
    }

    fn pending(nonce: &str, deadline: i64, fingerprint: &str) -> Pending {
        Pending {
            nonce: nonce.into(),
            deadline,
            fingerprint: fingerprint.into(),
        }
    }

    #[test]
    fn orphans_are_the_handed_over_block_and_pending_blocks_of_gone_processes() {
        let run = run();
        let same_inputs = pending("1111bbbb", 2_000, "0123abcd");
        let other_inputs_live = pending("1111bbbb", 2_000, "ffff0000");
        let other_inputs_late = pending("1111bbbb", 999, "ffff0000");
        let mine = pending(NONCE, 0, "0123abcd");
        let blocks = [
            ("own", Some(&same_inputs)),
            ("a", Some(&same_inputs)),
            ("b", Some(&other_inputs_live)),
            ("c", Some(&other_inputs_late)),
            ("d", Some(&mine)),
            ("e", None),
            ("a", Some(&same_inputs)),
        ];
        assert_eq!(run.orphans(blocks, "own", None), ["a", "c"]);
        // A replacement hands over its block, listed or not, once.
        assert_eq!(run.orphans(blocks, "own", Some("e")), ["a", "c", "e"]);
        assert_eq!(run.orphans(blocks, "own", Some("x")), ["a", "c", "x"]);
        assert_eq!(run.orphans(blocks, "own", Some("own")), ["a", "c"]);
        // Live: this process's own, or other inputs before the deadline.
        assert!(run.placing_elsewhere(Some(&mine)));
        assert!(run.placing_elsewhere(Some(&other_inputs_live)));
        assert!(!run.placing_elsewhere(Some(&other_inputs_late)));
        assert!(!run.placing_elsewhere(None));
    }

    #[test]
    fn a_new_block_takes_over_finished_blocks_of_its_own_earlier_run_only() {
        let run = run();
        let placed = |workspace: &str, at: i64, fingerprint: &str| Placed {
            workspace: workspace.into(),
            at,
            fingerprint: fingerprint.into(),
        };
        let earlier = placed("5eed0001", 900, "0123abcd");
        let other_workspace = placed("5eed0002", 900, "0123abcd");
        let other_inputs = placed("5eed0001", 900, "ffff0000");
        let this_run = placed("5eed0001", 990, "0123abcd");
        let gone = pending("1111bbbb", 999, "ffff0000");
        let blocks = [
            ("a", None, Some(&earlier)),
            ("b", None, Some(&other_workspace)),
            ("c", None, Some(&other_inputs)),
            ("d", None, Some(&this_run)),
            ("e", None, None),
            ("f", Some(&gone), None),
            ("own", None, Some(&earlier)),
        ];
        assert_eq!(run.block_orphans(blocks, "own", None), ["f", "a"]);
        assert_eq!(run.block_orphans(blocks, "own", Some("e")), ["e", "f", "a"]);
        // A restore takes over pending blocks only.
        let pending_only = blocks.map(|(m, p, _)| (m, p));
        assert_eq!(run.orphans(pending_only, "own", None), ["f"]);
        // No workspace known: nothing is taken as this workspace's.
        let blind = Run {
            workspace: String::new(),
            ..run
        };
        assert!(!blind.may_take_placed(Some(&placed("", 900, "0123abcd"))));
    }

    #[test]
    fn the_placed_mark_round_trips() {
        let mark = Placed {
            workspace: "5eed0001".into(),
            at: 1_700_000_000,
            fingerprint: "0123abcd".into(),
        };
        assert_eq!(Placed::parse(&mark.render()), Some(mark));
        for bad in [
            "",
            "5eed0001.x.0123abcd",
            "zz.1.ab",
            "a.1.b.c",
            "5eed0001.1.",
        ] {
            assert_eq!(Placed::parse(bad), None, "{bad}");
        }
    }
}
