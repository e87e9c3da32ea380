//! Creating a grant: checks again at apply, audit intent (fail-closed),
//! lease, assignment and its wait, the other leases of the key, the expiry
//! notice, audit result.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::approval::{check_at_apply, refusal_text};
use super::events::{attest, audit_event, notice_message, notify_break_glass};
use super::lease::{
    create_lease, create_notice, delete_schedule, ensure_group, list_leases, update_lease,
};
use super::plan::{now, standing_assignment, whole_seconds, Request};
use super::resolve::{assigned_principals, is_assigned};
use super::{Applied, Grant, GrantState};
use crate::audit::result;
use crate::error::Error;
use crate::framework::{Failure, Op};
use crate::policy::grant::Status;
use crate::policy::lease::{latest_live, reconcile, rfc3339, LeaseMeta, LeaseView};
use crate::values::str_list;

/// Grants the access of `planned`. Before the lease exists a failure leaves
/// nothing behind; after the assignment exists, a failed follow-up step is
/// an error saved with the state.
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
            let mut event = audit_event("grant.create", &planned, result::FAILURE);
            attest(&mut event, &refusal.attestation);
            event.error = format!("refused: {}", refusal_text(&refusal.errors));
            op.audit_or_warn(event, "refused grant").await;
            return Err(refusal.errors.into());
        }
    };
    let resolved = &approved.resolved;
    let audit_event = |action: &str, state: &GrantState, outcome: &str| {
        let mut event = audit_event(action, state, outcome);
        attest(&mut event, &approved.attestation);
        event
    };

    let grant_id = crate::audit::random_id();
    let name = resolved.key.lease_name(&grant_id);
    let granted_at = now();
    let expires_at = granted_at + whole_seconds(request.duration);
    let mut state = planned;
    state.id = Value::Value(name.clone());
    state.schedule_name = Value::Value(name.clone());
    state.instance_arn = Value::Value(resolved.key.instance_arn.clone());
    state.permission_set_arn = Value::Value(resolved.permission_set.arn.clone());
    state.principal_id = Value::Value(resolved.principal.id.clone());
    state.risk = Value::Value(resolved.rule.risk.as_str().to_string());
    state.required_approvers = str_list(resolved.rule.allowed_names());
    state.approval_required = Value::Value(resolved.rule.approval_required(request.break_glass));
    state.granted_at = Value::Value(rfc3339(granted_at));
    state.expires_at = Value::Value(rfc3339(expires_at));
    state.status = Value::Value(Status::Active.as_str().to_string());
    state.audited_status = state.status.clone();

    let lock = resource.key_lock(&resolved.key);
    let _guard = lock.lock().await;
    let principals = assigned_principals(ctx, &resolved.key).await?;
    let assigned = is_assigned(&principals, &resolved.key);
    let others = list_leases(ctx, &resolved.key).await?;
    if assigned && others.is_empty() {
        let error = standing_assignment(request);
        let mut event = audit_event("grant.create", &state, result::FAILURE);
        event.error = format!("refused: {error}: nothing was granted");
        op.audit_or_warn(event, "refused grant").await;
        return Err(error.into());
    }

    // Fail closed: nothing is granted without an audit record.
    op.audit_required(audit_event("grant.create", &state, result::INTENT))
        .await?;

    let failed = |error: &Error, done: &str| {
        let mut event = audit_event("grant.create", &state, result::FAILURE);
        event.error = format!("{error} ({done})");
        event
    };
    if let Err(error) = ensure_group(ctx, &resource.group_ready).await {
        op.audit_or_warn(failed(&error, "nothing was created"), "failed grant")
            .await;
        return Err(error.into());
    }
    let mut views: Vec<LeaseView> = others.iter().map(|l| l.view.clone()).collect();
    views.push(LeaseView {
        name: name.clone(),
        expires_at,
        enabled: true,
        retired: false,
    });
    let enabled = latest_live(&views, granted_at).is_some_and(|latest| latest.name == name);
    let meta = LeaseMeta {
        grant: grant_id.clone(),
        principal: request.principal.clone(),
        principal_type: request.principal_type.as_str().to_string(),
        permission_set: request.permission_set.clone(),
        duration: request.duration_text.clone(),
        break_glass: request.break_glass,
        granted_at: rfc3339(granted_at),
        expires_at: rfc3339(expires_at),
        retired: false,
    };
    if let Err(error) = create_lease(ctx, &name, &resolved.key, &meta, expires_at, enabled).await {
        op.audit_or_warn(failed(&error, "nothing was created"), "failed grant")
            .await;
        return Err(error.into());
    }
    if let Some(view) = views.last_mut() {
        view.enabled = enabled;
    }
    tracing::debug!(lease = %name, enabled, shared = assigned, "lease created");

    if !assigned {
        if let Err(error) = ctx
            .aws
            .sso_admin()
            .create_account_assignment(&resolved.key)
            .await
        {
            let cleanup = delete_schedule(ctx, &name).await;
            let done = match &cleanup {
                Ok(()) => "the lease was removed; no access was granted".to_string(),
                Err(e) => format!("the lease `{name}` could not be removed ({e}); no access was granted; delete the schedule by hand"),
            };
            op.audit_or_warn(failed(&error, &done), "failed grant")
                .await;
            return Err(with_outcome(error, &done).into());
        }
    }

    // Only the latest live lease of the key stays enabled; leases handed
    // over by a replaced grant are deleted now that ours exists.
    let mut follow_up: Vec<String> = Vec::new();
    for (lease_name, enable) in reconcile(&views, granted_at) {
        if let Some(lease) = others.iter().find(|l| l.view.name == lease_name) {
            if let Err(error) = update_lease(ctx, lease, enable, &lease.meta).await {
                follow_up.push(format!("`{lease_name}`: {error}"));
            }
        }
    }
    for lease in others.iter().filter(|l| l.view.retired) {
        if let Err(error) = delete_schedule(ctx, &lease.view.name).await {
            follow_up.push(format!("`{}`: {error}", lease.view.name));
        }
    }
    if let Some(topic) = &ctx.config.notification_topic_arn {
        let message = notice_message(&state, expires_at);
        let description = format!("jit_grant expiry notice for lease {name}");
        if let Err(error) = create_notice(
            ctx,
            &resolved.key.notice_name(&grant_id),
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
    let mut event = audit_event("grant.create", &state, result::SUCCESS);
    event.details.insert(
        "assignment".to_string(),
        if assigned { "shared" } else { "created" }.to_string(),
    );
    op.audit_or_warn(event, "grant").await;
    if request.break_glass {
        notify_break_glass(op, &state, &approved.attestation).await;
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
        other => other,
    }
}
