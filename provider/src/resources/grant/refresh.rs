//! Reading a grant: the assignment (and, after expiry, the other leases of
//! the key) gives the status. A read never writes audit events: a status
//! change is a warning here, and the next apply records it (see
//! `audited_status`). Import reads a lease back into state.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::events::IMPORTED;
use super::lease::{find_schedule, is_own, Lease};
use super::plan::{key_of, now};
use super::reads::ReadCache;
use super::resolve::find_permission_set;
use super::GrantState;
use crate::error::Error;
use crate::framework::Op;
use crate::policy::grant::{derive_status, ApprovalRule, Observation, Status};
use crate::policy::lease::{
    lease_problem, parse_lease_name, parse_rfc3339, rfc3339, LeaseProblem, LeaseView,
};
use crate::values::{known_str, str_list, text};

/// The grant as AWS has it now. The assignments and leases come from the
/// process's read cache, shared with every other grant of this refresh.
pub async fn refresh(
    op: &mut Op<'_>,
    reads: &ReadCache,
    state: &GrantState,
) -> Result<GrantState, Error> {
    let ctx = op.ctx()?;
    let Some(key) = key_of(state) else {
        return Ok(state.clone());
    };
    let Some(expires_at) = known_str(&state.expires_at).and_then(parse_rfc3339) else {
        return Ok(state.clone());
    };
    let name = text(&state.schedule_name).to_string();
    let prior = known_str(&state.status).and_then(Status::parse);
    let now = now();
    let assigned = reads.is_assigned(ctx, &key).await?;
    // The leases matter only while the access is assigned.
    let leases = if assigned {
        reads.leases_of(ctx, &key).await?
    } else {
        Vec::new()
    };
    let own = leases
        .iter()
        .find(|lease| is_own(lease, &name, known_str(&state.granted_at)));
    let covered = assigned
        && now >= expires_at
        && leases
            .iter()
            .any(|lease| lease.view.name != name && lease.view.is_live(now));
    let status = derive_status(
        prior,
        Observation {
            now,
            expires_at,
            assigned,
            covered_by_other_grant: covered,
        },
    );
    let mut fresh = state.clone();
    fresh.status = Value::Value(status.as_str().to_string());
    let label = format!(
        "`{}` for `{}` in `{}`",
        text(&state.permission_set),
        text(&state.principal),
        text(&state.account_id)
    );
    let root = AttributePath::default;
    match status {
        Status::Active => {
            if !own.is_some_and(|lease| lease.matches(&key, expires_at)) {
                // A replacement's plan refuses an assignment no lease of
                // ours governs (it looks standing): then only a destroy
                // and a new grant work.
                let fix = if leases.iter().any(|lease| lease.view.governs(now)) {
                    "Destroy the grant, or replace it (`terraform apply -replace=<address>`) to lease it again."
                } else {
                    "No lease of this access is left, so the assignment looks standing and a replacement (`-replace`) is refused. Destroy the grant (`terraform destroy -target=<address>`), which removes the access; the next apply grants it again with a new lease."
                };
                op.warn(
                    format!("Grant {label} has no valid expiry lease"),
                    format!("Schedule `{name}` in `{}` is missing or was changed outside Terraform, so the access may not end at `{}`. {fix}", ctx.config.schedule_group, text(&state.expires_at)),
                    root(),
                );
            }
        }
        Status::Expired => op.warn(
            format!("Grant {label} has expired"),
            format!("The grant ended at `{}` and is kept in state as `EXPIRED`; it is never granted again by itself. Remove it from the configuration, or write a new grant to renew.", text(&state.expires_at)),
            root(),
        ),
        Status::Revoked => op.warn(
            format!("Grant {label} was revoked outside this grant"),
            "The assignment vanished before expiry. The grant is kept in state as `REVOKED` and is not granted again by itself; remove it from the configuration, or write a new grant.",
            root(),
        ),
        Status::Overdue => {
            // A destroy removes the assignment only while the grant's lease
            // is there (see `revoke.rs`): once the lease ran it was deleted,
            // and an assignment still there is not taken as this grant's.
            let fix = if own.is_some() {
                format!("Destroy the grant to remove it now (its lease `{name}` is still there).")
            } else {
                format!("Its lease `{name}` is gone (it ran), so destroying the grant leaves the assignment as it is: remove it in Identity Center, then remove the grant from the configuration.")
            };
            op.warn(
                format!("Grant {label} is overdue"),
                format!("The access should have ended at `{}` but is still assigned: the server-side expiry has not run yet or failed (check the revoker role and `expiry_dead_letter_queue_arn`). {fix}", text(&state.expires_at)),
                root(),
            )
        }
    }
    if matches!(status, Status::Active | Status::Overdue) {
        let views: Vec<LeaseView> = leases.iter().map(|l| l.view.clone()).collect();
        if let Some(problem) = lease_problem(&views, now) {
            let (summary, detail) = describe_problem(&problem, ctx.config.schedule_group.as_str());
            op.warn(format!("Grant {label}: {summary}"), detail, root());
        }
    }
    if fresh.audited_status != fresh.status {
        let found = match known_str(&fresh.audited_status) {
            Some(IMPORTED) => format!("The grant was imported (status `{}`)", status.as_str()),
            audited => format!(
                "`status` is now `{}`; the audit log last recorded `{}`",
                status.as_str(),
                audited.unwrap_or("nothing")
            ),
        };
        op.warn(
            format!("The next apply records grant {label} in the audit log"),
            format!("{found}. A plan never writes to the audit log: the plan shows an in-place update of `audited_status`, and applying it writes the event."),
            root(),
        );
    }
    Ok(fresh)
}

/// The plan warning of a lease problem: summary and detail.
fn describe_problem(problem: &LeaseProblem, group: &str) -> (String, String) {
    match problem {
        LeaseProblem::NeverEnds { latest } => (
            "no lease will end the access".to_string(),
            format!("No lease of this access in `{group}` is enabled, so nothing removes the assignment: the access would never end. Lease `{latest}` should be enabled. To set it right, replace a grant of this access (`terraform apply -replace=<address>`; it is granted again for its full duration, with every check) or create another grant of it: that apply leaves exactly the latest lease enabled. Or destroy the grant. A change that updates a grant in place does not touch its lease."),
        ),
        LeaseProblem::WrongLease {
            latest,
            latest_expiry,
            enabled,
        } => {
            let listed = enabled
                .iter()
                .map(|(name, at)| format!("`{name}` (at `{}`)", rfc3339(*at)))
                .collect::<Vec<_>>()
                .join(", ");
            let early = enabled.iter().any(|(_, at)| at < latest_expiry);
            (
                format!("the access would end {}", if early { "early" } else { "late" }),
                format!("The latest live lease of this access is `{latest}` (at `{}`), but {listed} is enabled besides or instead of it, so Scheduler removes the assignment at another time than the latest grant's expiry. A lease left by an interrupted apply, or a change outside Terraform, causes this. To set it right, replace (`terraform apply -replace=<address>`) or destroy any grant of this access: that apply leaves exactly the latest live lease enabled. A lease that belongs to no grant in any state can instead be deleted from `{group}`. A change that updates a grant in place does not touch leases.", rfc3339(*latest_expiry)),
            )
        }
    }
}

/// Imports the grant of a lease, by its schedule name.
pub async fn import(op: &mut Op<'_>, reads: &ReadCache, id: &str) -> Result<GrantState, Error> {
    let ctx = op.ctx()?;
    if parse_lease_name(id).is_none() {
        return Err(Error::invalid(
            AttributePath::default(),
            "Cannot import this grant",
            format!("`{id}` is not a lease schedule name of the form `jit-<16 hex digits>-<16 hex digits>`; import with the grant's `schedule_name`."),
        ));
    }
    let group = &ctx.config.schedule_group;
    let schedule = find_schedule(ctx, id).await?.ok_or_else(|| {
        Error::invalid(
            AttributePath::default(),
            "Lease not found",
            format!("No schedule `{id}` in schedule group `{group}`. A lease is deleted after its expiry ran; an ended grant cannot be imported."),
        )
    })?;
    let lease = Lease::from_schedule(schedule).ok_or_else(|| {
        Error::invalid(
            AttributePath::default(),
            "Not a jit_grant lease",
            format!("Schedule `{id}` in `{group}` was not created by `jit_grant`."),
        )
    })?;
    let key = &lease.key;
    let meta = &lease.meta;
    let center = ctx.identity_center().await?;
    let set = find_permission_set(ctx, &center.instance_arn, &key.permission_set_arn).await?;
    let rule = ApprovalRule::of(&ctx.config.grant_policy, &set.name);
    let or = |value: &str, fallback: &str| {
        Value::Value(if value.is_empty() { fallback } else { value }.to_string())
    };
    let state = GrantState {
        account_id: Value::Value(key.target_id.clone()),
        approval_required: Value::Value(rule.approval_required(meta.break_glass)),
        audited_status: Value::Value(IMPORTED.to_string()),
        break_glass: Value::Value(meta.break_glass),
        duration: Value::Value(meta.duration.clone()),
        expires_at: Value::Value(rfc3339(lease.view.expires_at)),
        granted_at: or(&meta.granted_at, &rfc3339(lease.view.expires_at)),
        id: Value::Value(id.to_string()),
        instance_arn: Value::Value(key.instance_arn.clone()),
        permission_set: or(&meta.permission_set, &key.permission_set_arn),
        permission_set_arn: Value::Value(key.permission_set_arn.clone()),
        principal: or(&meta.principal, &key.principal_id),
        principal_id: Value::Value(key.principal_id.clone()),
        principal_type: Value::Value(key.principal_type.clone()),
        required_approvers: str_list(rule.allowed_names()),
        risk: Value::Value(rule.risk.as_str().to_string()),
        schedule_name: Value::Value(id.to_string()),
        status: Value::Value(Status::Active.as_str().to_string()),
        ..GrantState::default()
    };
    refresh(op, reads, &state).await
}
