//! `jit_grant`: time-limited IAM Identity Center access. The grant is an
//! account assignment plus a lease, an EventBridge Scheduler schedule that
//! deletes the assignment at expiry, server-side.
//!
//! Create: audit intent → lease → assignment → wait for `SUCCEEDED`.
//! Overlapping grants of the same assignment share it; only the
//! latest-expiring lease is enabled, and a revoke removes the assignment
//! only when no other live lease remains. Pure rules live in
//! [`crate::policy::grant`] and [`crate::policy::lease`]; AWS calls in
//! `aws::{sso_admin, identity_store, scheduler}`.
//!
//! Files: `plan.rs` (pure checks, typed [`plan::Request`], replacement
//! rules, timeouts), `resolve.rs` (lookups and the plan-time checks that
//! need them), `approval.rs` (people resolved to Identity Center ids, the
//! apply-time gate), `create.rs`, `refresh.rs` (read and import),
//! `revoke.rs`, `lease.rs` (leases in Scheduler), `reads.rs` (the
//! per-process read cache of a refresh), `events.rs` (audit events, the
//! break-glass notice, and what a refresh observed, written by the next
//! apply).
//!
//! Under faults: an AWS answer that does not prove a step failed means the
//! step may have been done. The lease is then kept, the grant is saved in
//! state with an error that says what is known (Terraform taints it), and
//! only a definite answer (`FAILED`, a refused request, not found) lets a
//! create clean up. A lease carries `pending_until` until its create
//! finished, so the next run of the same grant adopts a lease a dead run
//! left (see `create.rs`).
//!
//! A plan never writes audit events. What a refresh observes (expired,
//! revoked outside Terraform, overdue) and an import are recorded by the
//! next apply: `audited_status` holds the status last written to the audit
//! log, and when a refresh changes `status` the plan shows an in-place
//! update of `audited_status` whose apply writes the event.

mod approval;
mod create;
mod end_sessions;
mod events;
#[cfg(test)]
mod four_eyes_tests;
mod lease;
mod plan;
#[cfg(test)]
mod props;
mod reads;
mod refresh;
mod resolve;
mod revoke;
mod summary;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::Value;
use tokio::sync::OnceCell;

use crate::audit::result;
use crate::config::ProviderConfig;
use crate::error::Error;
use crate::framework::{Change, Errors, Failure, Op, Planned, ResourceType};
use crate::policy::grant::Status;
use crate::policy::lease::AssignmentKey;
use crate::schema::*;
use crate::values::{known_str_list, text, StrList};
use crate::{copy_fields, unknown_fields};

use events::audit_event;
use plan::{apply_defaults, check_shape, key_of, problem_error, replacements, Request};

/// Env var CI sets to everyone who wrote or pushed the change
/// (comma-separated Identity Center user names).
pub const CHANGE_AUTHOR_ENV: &str = "JIT_CHANGE_AUTHOR";
/// Env var CI fills with the verified approvers of the change applied
/// (comma-separated Identity Center user names).
pub const VERIFIED_APPROVERS_ENV: &str = "JIT_VERIFIED_APPROVERS";

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct GrantState {
    /// AWS account the access is to.
    pub account_id: Value<String>,
    /// Whether an approver is required.
    pub approval_required: Value<bool>,
    /// Approvers.
    pub approved_by: StrList,
    /// `status` as last written to the audit log (`IMPORTED` until an
    /// imported grant is audited).
    pub audited_status: Value<String>,
    /// Emergency grant without approval.
    pub break_glass: Value<bool>,
    /// The change (pull request) the grant was written for.
    pub change_ref: Value<String>,
    /// Go-style duration.
    pub duration: Value<String>,
    /// RFC 3339 expiry.
    pub expires_at: Value<String>,
    /// RFC 3339 start.
    pub granted_at: Value<String>,
    /// The lease's schedule name.
    pub id: Value<String>,
    /// Identity Center instance.
    pub instance_arn: Value<String>,
    /// Permission set name or ARN, as written.
    pub permission_set: Value<String>,
    /// Permission set ARN.
    pub permission_set_arn: Value<String>,
    /// User name, group display name or id, as written.
    pub principal: Value<String>,
    /// Identity store id of the principal.
    pub principal_id: Value<String>,
    /// `USER` or `GROUP`.
    pub principal_type: Value<String>,
    /// Why.
    pub reason: Value<String>,
    /// Who asked.
    pub requested_by: Value<String>,
    /// Who may approve (empty: anyone eligible).
    pub required_approvers: StrList,
    /// `low` or `high`.
    pub risk: Value<String>,
    /// The lease's schedule name.
    pub schedule_name: Value<String>,
    /// `ACTIVE`, `EXPIRED`, `REVOKED` or `OVERDUE`.
    pub status: Value<String>,
    /// Change or incident ticket.
    pub ticket: Value<String>,
    /// `timeouts { create, delete }`.
    #[serde(with = "crate::codec::optional_block")]
    pub timeouts: Value<Timeouts>,
}

/// The `timeouts` block: how long the waits on Identity Center may take.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct Timeouts {
    /// Longest wait for the assignment to be provisioned.
    pub create: Value<String>,
    /// Longest wait for the assignment to be removed.
    pub delete: Value<String>,
}

/// Planned private state: the assignment key a replacement will create, so
/// that the destroy half of a replacement hands its lease over instead of
/// removing access the successor is about to take over.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub struct Handover {
    /// Hash of the successor's assignment key.
    pub successor_key: String,
}

/// The resource. It keeps, per provider process, whether the schedule group
/// is known to exist and one lock per assignment key; the lookup caches
/// live in the shared context.
#[derive(Debug, Default)]
pub struct Grant {
    group_ready: OnceCell<()>,
    /// What the reads of one refresh share.
    reads: reads::ReadCache,
    /// One lock per assignment key: grants of the same access in one apply
    /// run in parallel, and their lease bookkeeping must not interleave.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Grant {
    /// The lock of one assignment key in this process.
    fn key_lock(&self, key: &AssignmentKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(key.hash()).or_default())
    }

    /// The lock of one permission set's inline policy in this process:
    /// grants of it revoked or created in one apply edit one document.
    /// Taken after a key lock, never before one.
    fn policy_lock(&self, permission_set_arn: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            locks
                .entry(format!("inline-policy {permission_set_arn}"))
                .or_default(),
        )
    }
}

type Applied = (GrantState, Value<Handover>);

#[async_trait]
impl ResourceType for Grant {
    type State = GrantState;
    type Private = Value<Handover>;
    const NAME: &'static str = "grant";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "Time-limited access to an AWS account through an IAM Identity Center account assignment. At expiry an EventBridge Scheduler schedule (the lease) deletes the assignment server-side, even if nobody runs Terraform again. High-risk permission sets need an approver other than the requester, the principal and the change author. Every grant, revoke and observed expiry is written to the audit log.",
                [
                    ("account_id", forces_replacement(required_str("AWS account id (12 digits) the access is to."))),
                    ("approval_required", computed_bool("Whether this grant needs an approver: `true` for a high-risk permission set unless `break_glass`.")),
                    ("approved_by", forces_replacement(optional_str_list("Identity Center users (user name, email or user id) who approve. A high-risk grant needs at least one. Each is looked up at plan and again at apply (one that is no Identity Center user is refused) and compared by user id: none may be `requested_by`, the principal (or a member of the principal group, read at apply) or an author of the change (`JIT_CHANGE_AUTHOR`). With verified approvals on, each must be a verified approver of the change (`JIT_VERIFIED_APPROVERS`) at apply."))),
                    ("audited_status", computed_str("`status` as last written to the audit log; `IMPORTED` after an import. When a refresh finds a new `status` (expired, revoked outside Terraform, overdue), the plan shows an in-place update of this attribute and that apply writes the audit event: a plan never writes to the audit log.")),
                    ("break_glass", forces_replacement(optional_computed_bool("Emergency access without approval. Needs `ticket`; refused when the grant policy sets `allow_break_glass = false` for the permission set; flagged in every plan, in the audit log, and with an immediate notice to `notification_topic_arn`. Default `false`."))),
                    ("change_ref", optional_str("The change (pull request) this grant was written for, as CI names it in `JIT_CHANGE_REF` (e.g. `acme/access#42`); compared exactly. When `JIT_CHANGE_REF` is set, a high-risk grant created or replaced with another value fails the plan, which names the value to set; with verified approvals on, the apply refuses it (approvals of another change do not count). Grants not created or replaced are never checked against it. Updates in place.")),
                    ("duration", forces_replacement(required_str("How long the access lasts, as a Go-style duration (`1h`, `30m`); at most `grant_policy.max_duration`."))),
                    ("expires_at", computed_str("When the lease removes the access (RFC 3339, UTC, whole seconds). A role session started before then stays valid for up to the permission set's session duration.")),
                    ("granted_at", computed_str("When the grant was created (RFC 3339, UTC).")),
                    ("id", computed_str("The lease's schedule name, `jit-<assignment key hash>-<grant id>`; also the import id.")),
                    ("instance_arn", computed_str("ARN of the IAM Identity Center instance.")),
                    ("permission_set", forces_replacement(required_str("Permission set name (e.g. `JIT-S3FullAccess`) or ARN."))),
                    ("permission_set_arn", computed_str("ARN of the permission set.")),
                    ("principal", forces_replacement(required_str("Identity Center user name (for `USER`), group display name (for `GROUP`), or the identity store id of either."))),
                    ("principal_id", computed_str("Identity store id of the principal.")),
                    ("principal_type", forces_replacement(optional_computed_str("`USER` or `GROUP`. Default `USER`."))),
                    ("reason", required_str("Why the access is needed: at least two words and ten characters. Updates in place.")),
                    ("requested_by", forces_replacement(required_str("Identity Center user name (or email) of the person asking for the access; recorded as the audit actor, with the user id it resolves to (`actorId`)."))),
                    ("required_approvers", computed_str_list("Who may approve, from the permission set's `approvers` in `grant_policy`; empty when anyone eligible may.")),
                    ("risk", computed_str("Effective risk of the permission set under `grant_policy`: `low` or `high`.")),
                    ("schedule_name", computed_str("Name of the lease schedule in `schedule_group`.")),
                    ("status", computed_str("`ACTIVE`; `EXPIRED` after expiry; `REVOKED` when the assignment vanished before expiry; `OVERDUE` when still assigned after expiry (server-side expiry failed; destroy removes it while the lease is still there, else remove the assignment in Identity Center). An expired or revoked grant is never granted again by itself.")),
                    ("ticket", optional_str("Change or incident ticket, e.g. `INC-42`. Required with `break_glass`. Updates in place.")),
                ],
                [(
                    "timeouts",
                    optional_block(block(
                        "How long the waits on Identity Center may take. Changing them never replaces the grant and changes nothing in AWS.",
                        [
                            ("create", optional_str("Longest wait for the account assignment to be provisioned, as a Go-style duration. Default `5m`; at most `2h`. When it runs out the grant is saved tainted with its lease (the assignment may still complete), never left without an expiry.")),
                            ("delete", optional_str("Longest wait for the account assignment to be removed on destroy, as a Go-style duration. Default `5m`; at most `2h`. When it runs out the lease is kept and the destroy fails; run it again.")),
                        ],
                        [],
                    )),
                )],
            ),
        )
    }

    fn validate(config: &GrantState) -> Result<(), Errors> {
        check_shape(config).1.into_result()
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        mut state: GrantState,
    ) -> Result<Option<GrantState>, Error> {
        // State written before `audited_status` existed: its status was
        // audited by the refresh that found it.
        if state.audited_status.is_null() {
            state.audited_status = state.status.clone();
        }
        self.reads.hold(text(&state.schedule_name));
        refresh::refresh(op, &self.reads, &state).await.map(Some)
    }

    async fn plan_create(
        &self,
        op: &mut Op<'_>,
        mut planned: GrantState,
        _config: &GrantState,
    ) -> Result<Applied, Errors> {
        let ctx = op.ctx()?;
        apply_defaults(&mut planned);
        unknown_fields!(planned; id, schedule_name, granted_at, expires_at, instance_arn,
            permission_set_arn, principal_id, risk, approval_required, required_approvers);
        planned.status = Value::Value(Status::Active.as_str().to_string());
        planned.audited_status = planned.status.clone();

        let mut errors = Errors::default();
        // The duration is parsed here, once, and checked against the
        // maximum here only: one error per problem.
        let request = match plan::parse_duration(&planned) {
            Some(Ok(duration)) => {
                errors.check(plan::check_expiry(&planned, duration));
                let max = ctx.config.grant_policy.max_duration;
                errors.check(
                    crate::policy::grant::check_max_duration(
                        text(&planned.duration),
                        duration,
                        max,
                    )
                    .map_err(problem_error),
                );
                Request::new(&planned, duration)
            }
            Some(Err(problem)) => {
                errors.push(problem_error(problem));
                None
            }
            None => None,
        };
        errors.check(lease::revoker_role(ctx).map(|_| ()));
        let private =
            match resolve::plan_with_aws(op, &self.reads, &mut planned, request.as_ref()).await {
                Ok((private, problems)) => {
                    errors.0.extend(problems);
                    private
                }
                Err(error) => {
                    errors.push(error);
                    Value::Null
                }
            };
        errors.into_result()?;
        Ok((planned, private))
    }

    async fn plan_update(
        &self,
        _op: &mut Op<'_>,
        prior: &GrantState,
        mut planned: GrantState,
        _config: &GrantState,
        _private: Value<Handover>,
    ) -> Result<Planned<GrantState, Value<Handover>>, Errors> {
        apply_defaults(&mut planned);
        self.reads.hold(text(&prior.schedule_name));
        let (duration, shape_errors) = check_shape(&planned);
        let replace = replacements(prior, &planned, duration);
        if !replace.is_empty() {
            // Terraform plans the new object again as a create, with every
            // check; this plan only has to say what forces the replacement.
            unknown_fields!(planned; id, schedule_name, granted_at, expires_at, instance_arn,
                permission_set_arn, principal_id, risk, status, approval_required,
                required_approvers, audited_status);
            return Ok(Planned {
                state: planned,
                private: Value::Null,
                replace,
            });
        }
        copy_fields!(prior => planned; expires_at, granted_at, id, instance_arn,
            permission_set_arn, principal_id, risk, schedule_name, status, approval_required,
            required_approvers, audited_status);
        // What the refresh observed is audited by this apply.
        planned.audited_status = events::audited_status_after_apply(prior);
        shape_errors.into_result()?;
        Ok(Planned {
            state: planned,
            private: Value::Null,
            replace,
        })
    }

    async fn create(
        &self,
        op: &mut Op<'_>,
        planned: GrantState,
        _private: Value<Handover>,
    ) -> Result<Applied, Failure<Applied>> {
        let request = match Request::from_state(&planned) {
            Ok(Some(request)) => request,
            Ok(None) => {
                return Err(Error::invalid(
                    Default::default(),
                    "Grant inputs unknown at apply",
                    "Every input of `jit_grant` must be known when it is created; check the values it depends on.",
                )
                .into())
            }
            Err(problem) => return Err(problem_error(problem).into()),
        };
        let state = create::grant(self, op, planned, &request).await?;
        // A grant of a permission set with `end_sessions_on_revoke` prunes
        // its expired end-sessions statements (a warning when it cannot).
        if op
            .ctx()
            .is_ok_and(|ctx| end_sessions::may_apply(ctx, &state))
        {
            let lock = self.policy_lock(text(&state.permission_set_arn));
            end_sessions::prune(op, &lock, &state).await;
        }
        Ok((state, Value::Null))
    }

    async fn update(
        &self,
        op: &mut Op<'_>,
        prior: GrantState,
        planned: GrantState,
        _private: Value<Handover>,
    ) -> Result<Applied, Failure<Applied>> {
        // First what a refresh observed (or the import): the apply fails,
        // and `audited_status` stays, until the event is written.
        events::write_observed(op, &prior, &planned).await?;
        let mut changed: Vec<&str> = [
            ("reason", prior.reason != planned.reason),
            ("ticket", prior.ticket != planned.ticket),
            ("change_ref", prior.change_ref != planned.change_ref),
            ("requested_by", prior.requested_by != planned.requested_by),
            ("duration", prior.duration != planned.duration),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name)
        .collect();
        if known_str_list(&prior.approved_by) != known_str_list(&planned.approved_by) {
            changed.push("approved_by");
        }
        if changed.is_empty() {
            // Only `timeouts` or `audited_status` changed: nothing in AWS,
            // and the observation was written above.
            return Ok((planned, Value::Null));
        }
        let mut event = audit_event("grant.update", &planned, result::SUCCESS);
        event
            .details
            .insert("changed".to_string(), changed.join(","));
        let written = match op.ctx() {
            Ok(ctx) => {
                event.actor_id = approval::actor_id(ctx, text(&planned.requested_by)).await;
                ctx.audit.write(event).await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = written {
            error.report_warning(
                format!(
                    "Audit event for the update of grant `{}` not written",
                    text(&planned.id)
                ),
                op.diags,
            );
        }
        Ok((planned, Value::Null))
    }

    async fn destroy(
        &self,
        op: &mut Op<'_>,
        prior: GrantState,
        private: Value<Handover>,
    ) -> Result<(), Error> {
        let successor = match private {
            Value::Value(handover) => Some(handover.successor_key),
            _ => None,
        };
        let key = key_of(&prior);
        let lock = key.as_ref().map(|key| self.key_lock(key));
        let _guard = match &lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        let ends = match op.ctx() {
            Ok(ctx) if end_sessions::may_apply(ctx, &prior) => {
                Some(self.policy_lock(text(&prior.permission_set_arn)))
            }
            Ok(ctx)
                if text(&prior.principal_type) == "GROUP"
                    && ctx
                        .config
                        .grant_policy
                        .ends_sessions(text(&prior.permission_set)) =>
            {
                op.warn(
                    format!(
                        "Live sessions of group grant `{}` are not ended",
                        text(&prior.id)
                    ),
                    "`end_sessions_on_revoke` works for USER grants only (a group's members change); this GROUP grant was made before the option was set. Its revoke stops new sign-ins; sessions already issued run until they expire.",
                    Default::default(),
                );
                None
            }
            _ => None,
        };
        let revoked = revoke::revoke(op, &prior, successor.as_deref(), ends.as_deref()).await;
        if let Some(key) = &key {
            self.reads.forget(key);
        }
        if let Err(error) = &revoked {
            events::write_failed_revoke(op, &prior, error).await;
        }
        revoked
    }

    fn summary(change: Change<'_, GrantState>, config: Option<&ProviderConfig>) -> Option<String> {
        summary::summary(change, config)
    }

    async fn import(&self, op: &mut Op<'_>, id: &str) -> Result<GrantState, Error> {
        refresh::import(op, &self.reads, id).await
    }
}
