//! Creating a grant: checks again at apply, audit intent (fail-closed),
//! lease, assignment and its wait, the other leases of the key, the lease
//! confirmed, the expiry notice, audit result.
//!
//! Ambiguous means maybe done. The lease is written first and marked
//! pending (`pending_until`); the assignment follows. Only a definite
//! answer (a `FAILED` status or a request AWS refused, with the assignment
//! not listed afterwards) removes the lease again. Any other failure keeps
//! the lease, reads what is true and saves the grant with an error saying
//! so: Terraform taints it, the next apply replaces it and a destroy
//! revokes it. The last step clears `pending_until`; a lease still pending
//! belongs to a run that has not finished or died. The next run of the same
//! grant (same key, fingerprint and workspace; `policy::lease::adoptable`)
//! takes over a lease an earlier run left, pending or finished, instead of
//! leaving it behind.

use std::time::Duration;

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::approval::Attestation;
use super::approval::{check_at_apply, refusal_text};
use super::events::{attest, audit_event, notice_message, notify_break_glass};
use super::lease::{
    create_notice, create_schedule, delete_schedule, ensure_group, lease_schedule, list_leases,
    put_schedule, update_lease, Lease,
};
use super::plan::{create_timeout, now, standing_assignment, whole_seconds, Request};
use super::resolve::Resolved;
use super::{Applied, Grant, GrantState};
use crate::audit::{result, AuditEvent};
use crate::aws::scheduler::{refused, Schedule};
use crate::aws::sso_admin::AssignmentFailure;
use crate::config::workspace::{started_at, workspace_id};
use crate::context::Ctx;
use crate::error::{attr, Error};
use crate::framework::{Failure, Op};
use crate::policy::grant::Status;
use crate::policy::lease::{
    adoptable, expiry_after, latest_live, parse_lease_name, reconcile, rfc3339, Claimant,
    LeaseMeta, LeaseView,
};
use crate::values::str_list;

/// How many AWS operations a create may still make after its assignment
/// wait (reconcile, confirm, notice), each bounded by
/// `aws_operation_timeout`: part of how long a lease stays "in progress".
const STEPS_AFTER_WAIT: u32 = 3;

/// Grants the access of `planned`. Before the lease exists a failure leaves
/// nothing behind; once it may exist, a failure is saved with the state.
pub async fn grant(
    resource: &Grant,
    op: &mut Op<'_>,
    planned: GrantState,
    request: &Request,
) -> Result<GrantState, Failure<Applied>> {
    let ctx = op.ctx()?;
    // Every check again, now; a refusal grants nothing and is audited.
    let approved = match check_at_apply(ctx, &planned, request).await {
        Ok(approved) => approved,
        Err(refusal) => {
            let (outcome, word) = if refusal.is_failure() {
                (result::FAILURE, "not checked")
            } else {
                (result::REFUSED, "refused")
            };
            let mut event = audit_event("grant.create", &planned, outcome);
            attest(&mut event, &refusal.attestation);
            event.error = format!("{word}: {}", refusal_text(&refusal.errors));
            op.audit_or_warn(event, "refused grant").await;
            return Err(refusal.errors.into());
        }
    };
    let resolved = &approved.resolved;

    let mut state = planned;
    state.instance_arn = Value::Value(resolved.key.instance_arn.clone());
    state.permission_set_arn = Value::Value(resolved.permission_set.arn.clone());
    state.principal_id = Value::Value(resolved.principal.id.clone());
    state.risk = Value::Value(resolved.rule.risk.as_str().to_string());
    state.required_approvers = str_list(resolved.rule.allowed_names());
    state.approval_required = Value::Value(resolved.rule.approval_required(request.break_glass));
    state.status = Value::Value(Status::Active.as_str().to_string());
    state.audited_status = state.status.clone();

    let lock = resource.key_lock(&resolved.key);
    let _guard = lock.lock().await;
    let created = Creation {
        resource,
        ctx,
        request,
        resolved,
        attestation: &approved.attestation,
        wait: create_timeout(&state),
    }
    .run(op, state)
    .await;
    resource.reads.forget(&resolved.key);
    created
}

/// One create, under its key's lock.
struct Creation<'a> {
    resource: &'a Grant,
    ctx: &'a Ctx,
    request: &'a Request,
    resolved: &'a Resolved,
    /// Who asked and whose approval was verified, for every event.
    attestation: &'a Attestation,
    /// `timeouts.create`.
    wait: Duration,
}

/// What is known about the assignment after a failed step.
enum Known {
    Listed,
    NotListed,
    Unknown(Error),
}

impl Known {
    fn describe(&self) -> String {
        match self {
            Self::Listed => "the assignment exists (listed after the failure)".to_string(),
            Self::NotListed => "the assignment was not listed after the failure, but Identity Center may still be provisioning it".to_string(),
            Self::Unknown(error) => format!("the assignment may exist (it could not be listed: {error})"),
        }
    }

    fn detail(&self) -> &'static str {
        match self {
            Self::Listed => "exists",
            Self::NotListed => "not listed",
            Self::Unknown(_) => "unknown",
        }
    }
}

impl Creation<'_> {
    /// A `grant.create` event with the attestation of this create.
    fn event(&self, state: &GrantState, outcome: &str) -> AuditEvent {
        let mut event = audit_event("grant.create", state, outcome);
        attest(&mut event, self.attestation);
        event
    }

    /// The event of a failed create; `done` says what is known.
    fn failure_event(&self, state: &GrantState, error: &Error, done: &str) -> AuditEvent {
        let mut event = self.event(state, result::FAILURE);
        event.error = format!("{error} ({done})");
        event
    }

    async fn run(
        &self,
        op: &mut Op<'_>,
        mut state: GrantState,
    ) -> Result<GrantState, Failure<Applied>> {
        let (ctx, key) = (self.ctx, &self.resolved.key);
        let granted_at = now();
        let expires_at = expiry_after(granted_at, whole_seconds(self.request.duration))
            .ok_or_else(|| {
                Error::invalid(
                    attr("duration"),
                    "Grant expiry out of range",
                    format!("`{}` from now is past the year 9999, which no lease can name. Use a shorter duration.", self.request.duration_text),
                )
            })?;
        let pending_until =
            expiry_after(granted_at, whole_seconds(self.pending_window())).unwrap_or(expires_at);

        let assigned = ctx.aws.sso_admin().is_assigned(key).await?;
        let leases = list_leases(ctx, key).await?;
        let fp = self.request.fingerprint();
        let ws = workspace_id();
        // A lease this grant's earlier run left (killed before Terraform
        // saved the state): same key, inputs and workspace, written before
        // this process started; pending, or finished and not expired. The
        // plan warned about it. Taken over, so no run leaves a lease behind.
        let claimant = Claimant {
            fp: &fp,
            ws,
            started: started_at(),
        };
        let adopted = leases
            .iter()
            .find(|lease| adoptable(&lease.meta, &lease.view, claimant, granted_at));
        let others: Vec<&Lease> = leases
            .iter()
            .filter(|lease| adopted.is_none_or(|a| a.view.name != lease.view.name))
            .collect();
        if assigned && adopted.is_none() && !others.iter().any(|l| l.view.governs(granted_at)) {
            let error = standing_assignment(self.request);
            let mut event = self.event(&state, result::REFUSED);
            event.error = format!("refused: {error}: nothing was granted");
            op.audit_or_warn(event, "refused grant").await;
            return Err(error.into());
        }

        let grant_id = adopted
            .and_then(|lease| parse_lease_name(&lease.view.name))
            .map(|name| name.grant_id)
            .unwrap_or_else(crate::audit::random_id);
        let name = key.lease_name(&grant_id);
        state.id = Value::Value(name.clone());
        state.schedule_name = Value::Value(name.clone());
        state.granted_at = Value::Value(rfc3339(granted_at));
        state.expires_at = Value::Value(rfc3339(expires_at));

        // Fail closed: nothing is granted without an audit record.
        op.audit_required(self.event(&state, result::INTENT))
            .await?;
        let fail = |error: &Error, done: &str| self.failure_event(&state, error, done);

        if let Err(error) = ensure_group(ctx, &self.resource.group_ready).await {
            op.audit_or_warn(fail(&error, "nothing was created"), "failed grant")
                .await;
            return Err(error.into());
        }
        let mut views: Vec<LeaseView> = others.iter().map(|l| l.view.clone()).collect();
        views.push(LeaseView {
            name: name.clone(),
            expires_at,
            enabled: true,
            retired: false,
            pending_until: Some(pending_until),
        });
        let enabled = latest_live(&views, granted_at).is_some_and(|latest| latest.name == name);
        if let Some(view) = views.last_mut() {
            view.enabled = enabled;
        }
        let meta = LeaseMeta {
            grant: grant_id.clone(),
            principal: self.request.principal.clone(),
            principal_type: self.request.principal_type.as_str().to_string(),
            permission_set: self.request.permission_set.clone(),
            duration: self.request.duration_text.clone(),
            break_glass: self.request.break_glass,
            granted_at: rfc3339(granted_at),
            expires_at: rfc3339(expires_at),
            retired: false,
            fp,
            pending_until: rfc3339(pending_until),
            ws: ws.to_string(),
        };
        let schedule = lease_schedule(ctx, &name, key, &meta, expires_at, enabled)?;
        let lease = match self.write_lease(&schedule, adopted).await.map_err(|e| *e) {
            Ok(lease) => lease,
            Err(LeaseWrite::Nothing(error, done)) => {
                op.audit_or_warn(fail(&error, &done), "failed grant").await;
                return Err(with_outcome(error, &done).into());
            }
            Err(LeaseWrite::Maybe(error, done)) => {
                op.audit_or_warn(fail(&error, &done), "failed grant").await;
                return Err(Failure::saved(
                    (state, Value::Null),
                    Error::incomplete(
                        format!("Grant `{name}` not made: its lease may exist"),
                        format!("{error}. {done}."),
                    ),
                ));
            }
        };
        tracing::debug!(lease = %name, enabled, shared = assigned, adopted = adopted.is_some(), "lease written");

        let mut assigned = assigned;
        if !assigned {
            let outcome = ctx
                .aws
                .sso_admin()
                .create_account_assignment(key, self.wait)
                .await;
            if let Err(failure) = outcome {
                // Another process (a second workspace, an aliased provider)
                // made the same assignment since the list above: it is
                // shared, as if it had been there, and the leases settle
                // below.
                let shared = failure.is_conflict()
                    && matches!(ctx.aws.sso_admin().is_assigned(key).await, Ok(true));
                if !shared {
                    return Err(self.assignment_failed(op, state, &lease, failure).await);
                }
                assigned = true;
            }
        }

        // Only the latest live lease of the key stays enabled; leases handed
        // over by a replaced grant are deleted now that ours exists, and
        // leases left by dead runs are switched off.
        let mut follow_up: Vec<String> = Vec::new();
        apply_reconcile(ctx, &others, &views, granted_at, &mut follow_up).await;
        for other in &others {
            if other.view.retired {
                if let Err(error) = delete_schedule(ctx, &other.view.name).await {
                    follow_up.push(format!("`{}`: {error}", other.view.name));
                }
            } else if other.view.is_abandoned(granted_at) && other.view.enabled {
                if let Err(error) = update_lease(ctx, other, false, &other.meta).await {
                    follow_up.push(format!("`{}`: {error}", other.view.name));
                }
            }
        }
        // The grant is made: the lease is no longer pending.
        let confirmed = LeaseMeta {
            pending_until: String::new(),
            ..meta
        };
        if let Err(error) = update_lease(ctx, &lease, enabled, &confirmed).await {
            let done = format!("the access is granted and its lease `{name}` (expiring at `{}`) is in place, but the lease could not be marked as finished", rfc3339(expires_at));
            op.audit_or_warn(fail(&error, &done), "failed grant").await;
            return Err(Failure::saved(
                (state, Value::Null),
                Error::incomplete(
                    format!("Grant `{name}` made, but its lease is not marked finished"),
                    format!("{error}. The access is granted and expires at `{}` through lease `{name}`; nothing was removed. The grant is saved tainted: the next apply replaces it, `terraform destroy` revokes it.", rfc3339(expires_at)),
                ),
            ));
        }

        settle(ctx, key, granted_at, &mut follow_up).await;

        if let Some(topic) = &ctx.config.notification_topic_arn {
            let message = notice_message(&state, expires_at);
            let description = format!("jit_grant expiry notice for lease {name}");
            if let Err(error) = create_notice(
                ctx,
                &key.notice_name(&grant_id),
                topic,
                description,
                message,
                expires_at,
            )
            .await
            {
                error.report_warning(
                    format!("Expiry notification for grant `{name}` not scheduled"),
                    op.diags,
                );
            }
        }
        let mut event = self.event(&state, result::SUCCESS);
        event.details.insert(
            "assignment".to_string(),
            if assigned { "shared" } else { "created" }.to_string(),
        );
        if let Some(lease) = adopted {
            event.details.insert(
                "lease".to_string(),
                format!(
                    "taken over from an earlier run of this grant (granted at {})",
                    lease.meta.granted_at
                ),
            );
        }
        op.audit_or_warn(event, "grant").await;
        if self.request.break_glass {
            notify_break_glass(op, &state, self.attestation).await;
        }
        if !follow_up.is_empty() {
            let error = Error::Invalid {
                path: AttributePath::default(),
                summary: format!("Grant `{name}` created, but other leases of the same access were not updated"),
                hint: format!(
                    "The access is granted with its lease. Updating the other leases failed: {}. An earlier lease left enabled may end the shared access early; run the apply again (the grant is replaced).",
                    follow_up.join("; ")
                ),
            };
            return Err(Failure::saved((state, Value::Null), error));
        }
        Ok(state)
    }

    /// How long a lease written now stays "in progress": the assignment
    /// wait plus the operations after it.
    fn pending_window(&self) -> Duration {
        let operation = self.ctx.config.aws_limits.operation_timeout;
        self.wait
            .saturating_add(operation.saturating_mul(STEPS_AFTER_WAIT + 1))
    }

    /// Writes the lease: creates it, or rewrites the lease an unfinished run
    /// of this grant left. Returns it as written.
    async fn write_lease(
        &self,
        schedule: &Schedule,
        adopted: Option<&Lease>,
    ) -> Result<Lease, Box<LeaseWrite>> {
        let ctx = self.ctx;
        let name = &schedule.name;
        let nothing = |error: Error, done: String| Box::new(LeaseWrite::Nothing(error, done));
        let maybe = |error: Error, done: String| Box::new(LeaseWrite::Maybe(error, done));
        let written = || {
            Lease::from_schedule(schedule.clone()).ok_or_else(|| {
                nothing(
                    Error::incomplete("Lease not readable", "the lease written is not a lease"),
                    "nothing was created".to_string(),
                )
            })
        };
        let outcome = match adopted {
            Some(_) => put_schedule(ctx, schedule).await,
            None => create_schedule(ctx, schedule).await,
        };
        let error = match outcome {
            Ok(()) => return written(),
            Err(error) => error,
        };
        if adopted.is_some() {
            return Err(if refused(&error) {
                nothing(error, format!("the lease `{name}` of an earlier, unfinished run was left as it was; no access was granted"))
            } else {
                maybe(error, format!("the lease `{name}` of an earlier, unfinished run may still carry that run's expiry; no assignment was created by this run. The grant is saved so that destroy removes the lease; the next apply replaces it"))
            });
        }
        if refused(&error) {
            return Err(nothing(error, "nothing was created".to_string()));
        }
        // The lease may exist: a lost answer, throttling past the retries,
        // a 5xx, or a conflict with an earlier attempt of this very call
        // (the name carries this run's random id: nobody else writes it).
        match ctx
            .aws
            .scheduler()
            .find_schedule(&ctx.config.schedule_group, name)
            .await
        {
            Ok(Some(found)) if same_lease(&found, schedule) => {
                tracing::debug!(lease = %name, %error, "lease created by an earlier attempt; adopted");
                written()
            }
            Ok(Some(_)) => Err(nothing(
                error,
                format!("a schedule named `{name}` exists that this grant did not write; it was left as it is and nothing was created"),
            )),
            Ok(None) => Err(nothing(error, "nothing was created".to_string())),
            Err(read) => Err(maybe(
                error,
                format!("the lease `{name}` may exist (reading it failed: {read}); no assignment was created. The grant is saved so that destroy removes the lease; the next apply replaces it"),
            )),
        }
    }

    /// The assignment did not report `SUCCEEDED`: clean up only when AWS
    /// definitely made nothing, else keep the lease and save the grant.
    async fn assignment_failed(
        &self,
        op: &mut Op<'_>,
        state: GrantState,
        lease: &Lease,
        failure: AssignmentFailure,
    ) -> Failure<Applied> {
        let ctx = self.ctx;
        let name = lease.view.name.clone();
        let definite = failure.is_definite();
        let error = failure.into_error();
        let known = match ctx.aws.sso_admin().is_assigned(&self.resolved.key).await {
            Ok(true) => Known::Listed,
            Ok(false) => Known::NotListed,
            Err(error) => Known::Unknown(error),
        };
        if definite && matches!(known, Known::NotListed) {
            let done = match delete_schedule(ctx, &name).await {
                Ok(()) => "the lease was removed; no access was granted".to_string(),
                Err(e) => format!("no access was granted; the lease `{name}` could not be removed ({e}) and is kept in state so that destroy removes it"),
            };
            let mut event = self.failure_event(&state, &error, &done);
            event
                .details
                .insert("assignment".to_string(), "not made".to_string());
            op.audit_or_warn(event, "failed grant").await;
            let error = with_outcome(error, &done);
            return if done.starts_with("the lease was removed") {
                error.into()
            } else {
                Failure::saved((state, Value::Null), error)
            };
        }
        // Maybe done. The lease stays; mark it finished, because the grant
        // is now in state (tainted) and owns it.
        let confirmed = LeaseMeta {
            pending_until: String::new(),
            ..lease.meta.clone()
        };
        let lease_note = match update_lease(ctx, lease, lease.view.enabled, &confirmed).await {
            Ok(()) => String::new(),
            Err(e) => format!(" (marking the lease finished failed: {e})"),
        };
        let expires = rfc3339(lease.view.expires_at);
        let lease_state = if lease.view.enabled {
            "is enabled"
        } else {
            "is disabled while a later lease of the same access is enabled"
        };
        let done = format!(
            "{}; its lease `{name}` expires at `{expires}` and {lease_state}{lease_note}; nothing was removed",
            known.describe()
        );
        let mut event = self.failure_event(&state, &error, &done);
        event
            .details
            .insert("assignment".to_string(), known.detail().to_string());
        event
            .details
            .insert("lease".to_string(), "kept".to_string());
        op.audit_or_warn(event, "failed grant").await;
        Failure::saved(
            (state, Value::Null),
            Error::incomplete(
                format!("Grant `{name}` may have been made: the assignment did not report success"),
                format!("{error}. What is known: {done}. The grant is saved in state and marked tainted: the next apply replaces it, `terraform destroy` revokes it."),
            ),
        )
    }
}

/// Why the lease could not be written, and what that leaves.
enum LeaseWrite {
    /// Nothing exists: the error and what was done.
    Nothing(Error, String),
    /// The lease may exist: the error and what is known.
    Maybe(Error, String),
}

/// An AWS error whose message also says what was done about it.
fn with_outcome(error: Error, done: &str) -> Error {
    match error {
        Error::Aws {
            service,
            operation,
            code,
            message,
            request_id,
        } => Error::Aws {
            service,
            operation,
            code,
            message: format!("{message}. {done}."),
            request_id,
        },
        other => Error::incomplete(other.to_string(), format!("{done}.")),
    }
}

/// Whether a schedule found under our lease name is the one this create
/// wrote (what it removes, when, and the lease's bookkeeping).
fn same_lease(found: &Schedule, written: &Schedule) -> bool {
    found.description == written.description
        && found.expression == written.expression
        && found.target.arn == written.target.arn
        && found.target.input == written.target.input
}

/// Lists the leases of the access again, now that ours is confirmed, and
/// leaves exactly the latest live one enabled. Another process (a second
/// workspace, an aliased provider) may have written a lease of the same
/// access since the first list; every run settles on the same lease, so
/// the last one to settle leaves the right one enabled. Failures are added
/// to `follow_up`.
async fn settle(
    ctx: &Ctx,
    key: &crate::policy::lease::AssignmentKey,
    now: time::OffsetDateTime,
    follow_up: &mut Vec<String>,
) {
    let fresh = match list_leases(ctx, key).await {
        Ok(fresh) => fresh,
        Err(error) => {
            follow_up.push(format!("listing the leases again: {error}"));
            return;
        }
    };
    let views: Vec<LeaseView> = fresh.iter().map(|lease| lease.view.clone()).collect();
    let leases: Vec<&Lease> = fresh.iter().collect();
    apply_reconcile(ctx, &leases, &views, now, follow_up).await;
}

/// Enables and disables `leases` as [`reconcile`] decides over `views`
/// (views of a lease not in `leases`, such as the one being written, are
/// weighed but not updated). Failures are added to `follow_up`.
async fn apply_reconcile(
    ctx: &Ctx,
    leases: &[&Lease],
    views: &[LeaseView],
    now: time::OffsetDateTime,
    follow_up: &mut Vec<String>,
) {
    for (name, enable) in reconcile(views, now) {
        if let Some(lease) = leases.iter().find(|lease| lease.view.name == name) {
            if let Err(error) = update_lease(ctx, lease, enable, &lease.meta).await {
                follow_up.push(format!("`{name}`: {error}"));
            }
        }
    }
}
