//! What a grant's checks need from AWS: the permission set and principal
//! (through the per-process caches of the shared context), the policy
//! checks that depend on them, and the plan-time checks and warnings.

use tf_provider::value::Value;

use time::OffsetDateTime;

use super::approval::{review, Review};
use super::lease::Lease;
use super::plan::{env, now, problem_error, standing_assignment, Request};
use super::reads::ReadCache;
use super::{GrantState, Handover, VERIFIED_APPROVERS_ENV};
use crate::aws::identity_store::{Principal, PrincipalKind};
use crate::aws::sso_admin::PermissionSet;
use crate::config::workspace::{started_at, workspace_id};
use crate::config::CHANGE_REF_ENV;
use crate::context::Ctx;
use crate::error::{attr, Error};
use crate::framework::Op;
use crate::policy::grant::{
    check_change_ref_at_plan, check_session_duration, split_verified, ApprovalRule,
};
use crate::policy::grant_policy::{check_end_sessions_principal, Risk};
use crate::policy::lease::{adoptable, rfc3339, AssignmentKey, Claimant};
use crate::values::{is_unknown, known_str, str_list};

/// Everything a grant's key depends on, resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The identity store of the principal.
    pub identity_store_id: String,
    /// The user or group.
    pub principal: Principal,
    /// The permission set.
    pub permission_set: PermissionSet,
    /// The assignment the grant is about.
    pub key: AssignmentKey,
    /// Risk and approvers of the permission set.
    pub rule: ApprovalRule,
}

/// A permission set by ARN or by name, or an error on `permission_set`.
pub async fn find_permission_set(
    ctx: &Ctx,
    instance_arn: &str,
    input: &str,
) -> Result<PermissionSet, Error> {
    let sso = ctx.aws.sso_admin();
    if input.starts_with("arn:") {
        let found = ctx.permission_sets.by_arn(sso, instance_arn, input).await?;
        return found.ok_or_else(|| {
            Error::invalid(
                attr("permission_set"),
                "Permission set not found",
                format!("`{input}` is not a permission set of instance `{instance_arn}`."),
            )
        });
    }
    let found = ctx
        .permission_sets
        .by_name(sso, instance_arn, input)
        .await?;
    found.ok_or_else(|| {
        Error::invalid(
            attr("permission_set"),
            "Permission set not found",
            format!("No permission set named `{input}` in instance `{instance_arn}`. Check the name (it is case-sensitive) or give its ARN."),
        )
    })
}

/// A user (by user name or id) or a group (by display name or id), or an
/// error on `principal`.
async fn find_principal(
    ctx: &Ctx,
    store: &str,
    kind: PrincipalKind,
    input: &str,
) -> Result<Principal, Error> {
    let found = ctx
        .directory
        .principal(ctx.aws.identity_store(), store, kind, input)
        .await?;
    found.ok_or_else(|| {
        let what = match kind {
            PrincipalKind::Group => "group display name",
            PrincipalKind::User => "user name",
        };
        Error::invalid(
            attr("principal"),
            "Principal not found",
            format!("No Identity Center {what} or id `{input}` in identity store `{store}`. Check the spelling and `principal_type`."),
        )
    })
}

/// Resolves the permission set and the principal of a request.
pub async fn resolve(ctx: &Ctx, request: &Request) -> Result<Resolved, Error> {
    let center = ctx.identity_center().await?;
    let permission_set =
        find_permission_set(ctx, &center.instance_arn, &request.permission_set).await?;
    let principal = find_principal(
        ctx,
        &center.identity_store_id,
        request.principal_type,
        &request.principal,
    )
    .await?;
    let key = AssignmentKey::new(
        &center.instance_arn,
        &request.account_id,
        &permission_set.arn,
        request.principal_type.as_str(),
        &principal.id,
    );
    let rule = ApprovalRule::of(&ctx.config.grant_policy, &permission_set.name);
    Ok(Resolved {
        identity_store_id: center.identity_store_id.clone(),
        principal,
        permission_set,
        key,
        rule,
    })
}

/// The session length and the four-eyes rules at plan (the duration
/// maximum is checked once, where the duration is parsed), with the people
/// they were checked against.
async fn policy_problems(
    ctx: &Ctx,
    request: &Request,
    resolved: &Resolved,
) -> Result<(Vec<Error>, Review), Error> {
    let mut errors = Vec::new();
    let policy = &ctx.config.grant_policy;
    if let Err(problem) = check_session_duration(
        &resolved.permission_set.name,
        resolved.permission_set.session_duration.as_deref(),
        policy.max_session_duration,
    ) {
        errors.push(problem_error(problem));
    }
    let review = review(ctx, request, resolved).await?;
    errors.extend(
        review
            .problems(&resolved.permission_set.name, request.break_glass)
            .into_iter()
            .map(problem_error),
    );
    Ok((errors, review))
}

/// Whether the key's principal is among `principals` (`(type, id)` of the
/// assignments of the key's account and permission set).
pub fn is_assigned(principals: &[(String, String)], key: &AssignmentKey) -> bool {
    principals
        .iter()
        .any(|(kind, id)| *kind == key.principal_type && *id == key.principal_id)
}

/// The plan-time checks that need AWS; fills the computed values they make
/// certain. `request` is `None` while an input is unknown. Returns the
/// private state and the problems found.
pub async fn plan_with_aws(
    op: &mut Op<'_>,
    reads: &ReadCache,
    planned: &mut GrantState,
    request: Option<&Request>,
) -> Result<(Value<Handover>, Vec<Error>), Error> {
    let ctx = op.ctx()?;
    let center = ctx.identity_center().await?;
    planned.instance_arn = Value::Value(center.instance_arn.clone());
    let Some(permission_set) = known_str(&planned.permission_set).map(str::to_string) else {
        return Ok((Value::Null, Vec::new()));
    };
    let set = find_permission_set(ctx, &center.instance_arn, &permission_set).await?;
    let rule = ApprovalRule::of(&ctx.config.grant_policy, &set.name);
    planned.permission_set_arn = Value::Value(set.arn.clone());
    planned.risk = Value::Value(rule.risk.as_str().to_string());
    planned.required_approvers = str_list(rule.allowed_names());
    if let Some(break_glass) = planned.break_glass.as_ref_option() {
        planned.approval_required = Value::Value(rule.approval_required(*break_glass));
    }
    // Approvals count for the change they were given on: a high-risk grant
    // created or replaced in a known change must say so.
    let mut problems = Vec::new();
    // `end_sessions_on_revoke` names one user per statement: no groups.
    if let Some(principal_type) = known_str(&planned.principal_type) {
        if let Err(detail) =
            check_end_sessions_principal(&ctx.config.grant_policy, &set.name, principal_type)
        {
            problems.push(Error::invalid(
                attr("principal_type"),
                "Group grants cannot end sessions on revoke",
                detail,
            ));
        }
    }
    if !is_unknown(&planned.change_ref) {
        if let Err(problem) = check_change_ref_at_plan(
            rule.risk,
            known_str(&planned.change_ref),
            env(CHANGE_REF_ENV).as_deref(),
        ) {
            problems.push(problem_error(problem));
        }
    }
    let Some(request) = request else {
        return Ok((Value::Null, problems));
    };
    let resolved = match resolve(ctx, request).await {
        Ok(resolved) => resolved,
        // A principal onboarded in the same change (a
        // `jit_identity_center_user` in this plan) does not exist yet: the
        // principal checks run again at apply, where a missing principal is
        // an error and nothing is granted.
        Err(Error::Invalid { path, hint, .. }) if path == attr("principal") => {
            op.warn(
                format!("Principal `{}` of the grant does not exist yet", request.principal),
                format!("{hint} If it is created in this apply, the grant's principal and approver checks run at apply; otherwise the apply fails and grants nothing."),
                attr("principal"),
            );
            return Ok((Value::Null, problems));
        }
        Err(error) => return Err(error),
    };
    planned.principal_id = Value::Value(resolved.principal.id.clone());
    let (policy_errors, review) = policy_problems(ctx, request, &resolved).await?;
    problems.extend(policy_errors);
    review.warn_unresolved(op);

    let principals = reads.assigned_principals(ctx, &resolved.key).await?;
    let key = &resolved.key;
    if is_assigned(&principals, key) {
        // Lease-governed when some lease will remove it or belongs to a
        // grant that holds it (even switched off outside Terraform: a
        // replacement of that grant sets it right), or when it is this
        // grant's own lease, left by a run that died (taken over below).
        let now = now();
        let leases = reads.leases_of(ctx, key).await?;
        let own = own_leftover(reads, &leases, request, now);
        if own.is_none() && !leases.iter().any(|lease| lease.view.governs(now)) {
            problems.push(standing_assignment(request));
        }
        if let Some(lease) = own {
            warn_leftover(op, lease);
        }
    }
    if principals
        .iter()
        .all(|(kind, id)| *kind == resolved.key.principal_type && *id == resolved.key.principal_id)
    {
        op.warn(
            format!(
                "Expiry of `{}` for `{}` removes the last assignment of the permission set in `{}`",
                request.permission_set, request.principal, request.account_id
            ),
            format!(
                "When this grant ends, `{}` has no assignment left in account `{}`: Identity Center then deprovisions its `AWSReservedSSO_{}_*` role, and resource policies naming that role stop matching (a new role gets a new id). Keep a standing assignment of each JIT permission set to an empty group.",
                resolved.permission_set.name, request.account_id, resolved.permission_set.name
            ),
            attr("permission_set"),
        );
    }
    if request.break_glass {
        op.warn(
            format!(
                "BREAK-GLASS grant of `{}` to `{}`",
                request.permission_set, request.principal
            ),
            format!(
                "No approval is required. The grant is flagged in the audit log (`breakGlass: true`) with ticket `{}`; review it after the incident.",
                request.ticket.as_deref().unwrap_or_default()
            ),
            attr("break_glass"),
        );
        if ctx.config.notification_topic_arn.is_none() {
            op.warn(
                "No notification topic for the break-glass notice",
                "Every break-glass grant publishes an immediate notice to `notification_topic_arn`; none is set, so only the audit log records it. Set `notification_topic_arn` so someone hears of it now.",
                attr("break_glass"),
            );
        }
    }
    if resolved.rule.risk == Risk::High {
        warn_unverified(op, ctx, request, &review);
    }
    let handover = Handover {
        successor_key: resolved.key.hash(),
    };
    Ok((Value::Value(handover), problems))
}

/// The lease an earlier run of this very grant left in AWS, if any: same
/// inputs and workspace ([`adoptable`]), and named by no grant in state that
/// this process has seen.
pub fn own_leftover<'a>(
    reads: &ReadCache,
    leases: &'a [Lease],
    request: &Request,
    now: OffsetDateTime,
) -> Option<&'a Lease> {
    let fp = request.fingerprint();
    let claimant = Claimant {
        fp: &fp,
        ws: workspace_id(),
        started: started_at(),
    };
    leases.iter().find(|lease| {
        adoptable(&lease.meta, &lease.view, claimant, now) && !reads.is_held(&lease.view.name)
    })
}

/// Says at plan that the apply takes `lease` over (the same rule decides
/// at apply, in [`super::create`]).
fn warn_leftover(op: &mut Op<'_>, lease: &Lease) {
    let name = &lease.view.name;
    let state = if lease.view.pending_until.is_some() {
        "unfinished"
    } else {
        "finished, but no state recorded it"
    };
    op.warn(
        format!("Grant takes over lease `{name}` of an interrupted apply"),
        format!(
            "Lease `{name}` (expiring at `{}`) has this grant's inputs and was written from this working directory and Terraform workspace by a run that was cut off ({state}). The apply takes it over as this grant's lease, with this grant's expiry, instead of leaving it to keep the access after a destroy. If another grant with the same inputs, in this state or another state of this working directory, holds that lease, do not apply this plan: the two grants would share one lease.",
            rfc3339(lease.view.expires_at)
        ),
        attr("principal"),
    );
}

/// Warns at plan about approvers of a high-risk grant that are not (yet)
/// verified approvers of the change.
fn warn_unverified(op: &mut Op<'_>, ctx: &Ctx, request: &Request, review: &Review) {
    let (_, unverified) = split_verified(&review.approvers, &review.verified);
    if unverified.is_empty() {
        return;
    }
    let names = unverified
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (summary, detail) = if ctx.config.require_verified_approvals {
        (
            format!("Approval of `{}` for `{}` will be verified at apply", request.permission_set, request.principal),
            format!("{names} must approve this change before it is applied: the apply compares them by Identity Center user id with `{VERIFIED_APPROVERS_ENV}` and grants nothing otherwise."),
        )
    } else {
        (
            format!("Approval of `{}` for `{}` is not verified", request.permission_set, request.principal),
            format!("{names} is taken as written. Set env `JIT_REQUIRE_VERIFIED_APPROVALS=1` in the apply job (or `require_verified_approvals = true`) so approvers are checked against the change's verified approvers in `{VERIFIED_APPROVERS_ENV}`."),
        )
    };
    op.warn(summary, detail, attr("approved_by"));
}
