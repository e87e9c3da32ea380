//! `jit_grant`: time-limited IAM Identity Center access. The grant is an
//! account assignment plus a lease, an EventBridge Scheduler schedule that
//! deletes the assignment at expiry, server-side.
//!
//! Create: audit intent → lease → assignment → wait for `SUCCEEDED`.
//! Overlapping grants of the same assignment share it; only the
//! latest-expiring lease is enabled, and a revoke removes the assignment
//! only when no other live lease remains. Pure rules live in
//! [`crate::policy::grant`] and [`crate::policy::lease`].

mod assignment;
mod directory;
mod schedule;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::audit::{result, AuditEvent, AuditSink};
use crate::context::{Ctx, Shared};
use crate::error::{attr, report_all, Error};
use crate::policy::arn::check_arn;
use crate::policy::grant::{
    check_approvers, check_break_glass, check_duration, check_reason, check_session_duration,
    check_verified, derive_status, unverified_approvers, ApprovalRule, GrantProblem, Observation,
    Parties, Status,
};
use crate::policy::grant_policy::Risk;
use crate::policy::lease::{
    fnv1a64, latest_live, parse_lease_name, parse_rfc3339, reconcile, rfc3339, AssignmentKey,
    LeaseMeta, LeaseView,
};
use crate::schema::*;
use crate::values::{is_unknown, known_str, known_str_list, str_list, text, StrList};

use assignment::{assigned_principals, create_assignment, delete_assignment, is_assigned};
use directory::{Directory, PermissionSet, Principal};
use schedule::{
    create_lease, create_notice, delete_schedule, ensure_group, get_schedule, list_leases,
    update_lease, Lease,
};

/// Resource type name in audit events.
const RESOURCE_TYPE: &str = "jit_grant";
/// Env var CI sets to the pull request's author.
pub const CHANGE_AUTHOR_ENV: &str = "JIT_CHANGE_AUTHOR";
/// Env var CI fills with the approving reviewers of the merged head commit.
pub const VERIFIED_APPROVERS_ENV: &str = "JIT_VERIFIED_APPROVERS";

/// Inputs whose change makes a different grant. `requested_by` and
/// `approved_by` are adopted without replacement right after an import.
const REPLACE_ON_CHANGE: [&str; 8] = [
    "account_id",
    "approved_by",
    "break_glass",
    "duration",
    "permission_set",
    "principal",
    "principal_type",
    "requested_by",
];

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
    /// Emergency grant without approval.
    pub break_glass: Value<bool>,
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
}

/// Planned private state: the assignment key a replacement will create, so
/// that the destroy half of a replacement hands its lease over instead of
/// removing access the successor is about to take over.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub struct Handover {
    /// Hash of the successor's assignment key.
    pub successor_key: String,
}

/// The resource.
#[derive(Debug, Default)]
pub struct GrantResource {
    shared: Shared,
    directory: Directory,
    group_ready: OnceCell<()>,
    /// One lock per assignment key: grants of the same access in one apply
    /// run in parallel, and their lease bookkeeping must not interleave.
    locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl GrantResource {
    /// A resource using the provider's shared context.
    pub fn new(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
            ..Self::default()
        }
    }

    /// The lock of one assignment key in this process.
    fn key_lock(&self, key: &AssignmentKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(key.hash()).or_default())
    }
}

#[async_trait]
impl Resource for GrantResource {
    type State<'a> = GrantState;
    type PrivateState<'a> = Value<Handover>;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(
            0,
            block(
                "Time-limited access to an AWS account through an IAM Identity Center account assignment. At expiry an EventBridge Scheduler schedule (the lease) deletes the assignment server-side, even if nobody runs Terraform again. High-risk permission sets need an approver other than the requester, the principal and the change author. Every grant, revoke and observed expiry is written to the audit log.",
                [
                    ("account_id", forces_replacement(required_str("AWS account id (12 digits) the access is to."))),
                    ("approval_required", computed_bool("Whether this grant needs an approver: `true` for a high-risk permission set unless `break_glass`.")),
                    ("approved_by", forces_replacement(optional_str_list("Identity Center user names (or emails) of the approvers. A high-risk grant needs at least one; none may be `requested_by`, the principal (or a member of the principal group) or the change author (`JIT_CHANGE_AUTHOR`). With verified approvals on, each must be listed in `JIT_VERIFIED_APPROVERS` at apply."))),
                    ("break_glass", forces_replacement(optional_computed_bool("Emergency access without approval. Needs `ticket`; flagged in every plan and in the audit log. Default `false`."))),
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
                    ("requested_by", forces_replacement(required_str("Identity Center user name (or email) of the person asking for the access; recorded as the audit actor."))),
                    ("required_approvers", computed_str_list("Who may approve, from the permission set's `approvers` in `grant_policy`; empty when anyone eligible may.")),
                    ("risk", computed_str("Effective risk of the permission set under `grant_policy`: `low` or `high`.")),
                    ("schedule_name", computed_str("Name of the lease schedule in `schedule_group`.")),
                    ("status", computed_str("`ACTIVE`; `EXPIRED` after expiry; `REVOKED` when the assignment vanished before expiry; `OVERDUE` when still assigned after expiry (server-side expiry failed; destroy removes it). An expired or revoked grant is never granted again by itself.")),
                    ("ticket", optional_str("Change or incident ticket, e.g. `INC-42`. Required with `break_glass`. Updates in place.")),
                ],
                [],
            ),
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        let errors = check_shape(&config);
        let ok = errors.is_empty();
        report_all(errors, diags);
        ok.then_some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        _private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = match self.shared.get() {
            Ok(ctx) => ctx,
            Err(error) => {
                error.report(diags);
                return Some((state, Value::Null));
            }
        };
        match refresh(ctx, &state, diags).await {
            Ok(fresh) => Some((fresh, Value::Null)),
            Err(error) => {
                error.report(diags);
                Some((state, Value::Null))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let mut planned = proposed_state;
        apply_defaults(&mut planned);
        for name in [
            "id",
            "schedule_name",
            "granted_at",
            "expires_at",
            "instance_arn",
            "permission_set_arn",
            "principal_id",
            "risk",
        ] {
            *computed_field(&mut planned, name) = Value::Unknown;
        }
        planned.approval_required = Value::Unknown;
        planned.required_approvers = Value::Unknown;
        planned.status = Value::Value(Status::Active.as_str().to_string());

        let mut errors = Vec::new();
        if let Some(duration) = known_str(&planned.duration) {
            if let Err(problem) =
                check_duration(duration, Some(ctx.config.grant_policy.max_duration))
            {
                errors.push(problem_error(problem));
            }
        }
        if let Err(error) = schedule::revoker_role(ctx) {
            errors.push(error);
        }
        let private = match self.plan_with_aws(ctx, &mut planned, diags).await {
            Ok((private, mut problems)) => {
                errors.append(&mut problems);
                private
            }
            Err(error) => {
                errors.push(error);
                Value::Null
            }
        };
        if !errors.is_empty() {
            report_all(errors, diags);
            return None;
        }
        Some((planned, private))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        let mut planned = proposed_state;
        apply_defaults(&mut planned);
        let replace = replacements(&prior_state, &planned);
        if !replace.is_empty() {
            // Terraform plans the new object again as a create, with every
            // check; this plan only has to say what forces the replacement.
            for name in [
                "id",
                "schedule_name",
                "granted_at",
                "expires_at",
                "instance_arn",
                "permission_set_arn",
                "principal_id",
                "risk",
                "status",
            ] {
                *computed_field(&mut planned, name) = Value::Unknown;
            }
            planned.approval_required = Value::Unknown;
            planned.required_approvers = Value::Unknown;
            return Some((planned, Value::Null, replace));
        }
        copy_computed(&prior_state, &mut planned);
        let errors = check_shape(&planned);
        if !errors.is_empty() {
            report_all(errors, diags);
            return None;
        }
        Some((planned, Value::Null, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        _prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        // A plain destroy: no successor, a real revoke.
        Some(Value::Null)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let Some(request) = Request::from_state(&planned_state) else {
            diags.root_error(
                "Grant inputs unknown at apply",
                "Every input of `jit_grant` must be known when it is created; check the values it depends on.",
            );
            return None;
        };
        match self.grant(ctx, planned_state, &request, diags).await {
            Ok(state) => Some((state, Value::Null)),
            Err(error) => {
                error.report(diags);
                None
            }
        }
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let mut event = audit_event("grant.update", &planned_state, result::SUCCESS);
        let mut changed: Vec<&str> = ["reason", "ticket", "requested_by", "duration"]
            .into_iter()
            .filter(|name| input_field(&prior_state, name) != input_field(&planned_state, name))
            .collect();
        if known_str_list(&prior_state.approved_by) != known_str_list(&planned_state.approved_by) {
            changed.push("approved_by");
        }
        event
            .details
            .insert("changed".to_string(), changed.join(","));
        if let Err(error) = ctx.audit.write(event).await {
            error.report_warning(
                format!(
                    "Audit event for the update of grant `{}` not written",
                    text(&planned_state.id)
                ),
                diags,
            );
        }
        Some((planned_state, Value::Null))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let successor = match planned_private_state {
            Value::Value(handover) => Some(handover.successor_key),
            _ => None,
        };
        let lock = key_of(&prior_state).map(|key| self.key_lock(&key));
        let _guard = match &lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        match revoke(ctx, &prior_state, successor.as_deref(), diags).await {
            Ok(()) => Some(()),
            Err(error) => {
                error.report(diags);
                None
            }
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        match self.import_lease(ctx, &id, diags).await {
            Ok(state) => Some((state, Value::Null)),
            Err(error) => {
                error.report(diags);
                None
            }
        }
    }
}

/// All inputs of a grant, known.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    account_id: String,
    approved_by: Vec<String>,
    break_glass: bool,
    duration: String,
    permission_set: String,
    principal: String,
    principal_type: String,
    reason: String,
    requested_by: String,
    ticket: Option<String>,
}

impl Request {
    /// `None` while any input is unknown.
    fn from_state(state: &GrantState) -> Option<Self> {
        let known = |value: &Value<String>| value.as_ref_option().cloned();
        if is_unknown(&state.ticket) || is_unknown(&state.break_glass) {
            return None;
        }
        Some(Self {
            account_id: known(&state.account_id)?,
            approved_by: known_str_list(&state.approved_by)?,
            break_glass: state.break_glass.as_ref_option().copied().unwrap_or(false),
            duration: known(&state.duration)?,
            permission_set: known(&state.permission_set)?,
            principal: known(&state.principal)?,
            principal_type: known(&state.principal_type).unwrap_or_else(|| "USER".to_string()),
            reason: known(&state.reason)?,
            requested_by: known(&state.requested_by)?,
            ticket: known_str(&state.ticket).map(str::to_string),
        })
    }
}

/// Everything a grant's key depends on, resolved.
#[derive(Debug, Clone)]
struct Resolved {
    identity_store_id: String,
    principal: Principal,
    permission_set: PermissionSet,
    key: AssignmentKey,
    rule: ApprovalRule,
}

impl GrantResource {
    async fn resolve(
        &self,
        ctx: &Ctx,
        principal_type: &str,
        principal: &str,
        account_id: &str,
        permission_set: &str,
    ) -> Result<Resolved, Error> {
        let center = ctx.identity_center().await?;
        let permission_set = self
            .directory
            .permission_set(ctx, &center.instance_arn, permission_set)
            .await?;
        let principal = self
            .directory
            .principal(ctx, &center.identity_store_id, principal_type, principal)
            .await?;
        let key = AssignmentKey::new(
            &center.instance_arn,
            account_id,
            &permission_set.arn,
            principal_type,
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

    /// The four-eyes rules, the session length and the duration maximum.
    async fn policy_problems(
        &self,
        ctx: &Ctx,
        request: &Request,
        resolved: &Resolved,
    ) -> Result<Vec<Error>, Error> {
        let mut errors = Vec::new();
        let policy = &ctx.config.grant_policy;
        if let Err(problem) = check_duration(&request.duration, Some(policy.max_duration)) {
            errors.push(problem_error(problem));
        }
        if let Err(problem) = check_session_duration(
            &resolved.permission_set.name,
            resolved.permission_set.session_duration.as_deref(),
            policy.max_session_duration,
        ) {
            errors.push(problem_error(problem));
        }
        let group = if request.principal_type == "GROUP" && !request.approved_by.is_empty() {
            let members = self
                .directory
                .group_members(ctx, &resolved.identity_store_id, &resolved.principal.id)
                .await?;
            Some((request.principal.clone(), members))
        } else {
            None
        };
        let change_author = env(CHANGE_AUTHOR_ENV);
        let parties = Parties {
            requested_by: &request.requested_by,
            principal: resolved.principal.identities.clone(),
            group,
            change_author: change_author.as_deref(),
        };
        errors.extend(
            check_approvers(
                &resolved.permission_set.name,
                &resolved.rule,
                request.break_glass,
                &request.approved_by,
                &parties,
            )
            .into_iter()
            .map(problem_error),
        );
        Ok(errors)
    }

    /// The plan-time checks that need AWS; fills the computed values they
    /// make certain. Returns the private state and the problems found.
    async fn plan_with_aws(
        &self,
        ctx: &Ctx,
        planned: &mut GrantState,
        diags: &mut Diagnostics,
    ) -> Result<(Value<Handover>, Vec<Error>), Error> {
        let center = ctx.identity_center().await?;
        planned.instance_arn = Value::Value(center.instance_arn.clone());
        let Some(permission_set) = known_str(&planned.permission_set).map(str::to_string) else {
            return Ok((Value::Null, Vec::new()));
        };
        let set = self
            .directory
            .permission_set(ctx, &center.instance_arn, &permission_set)
            .await?;
        let rule = ApprovalRule::of(&ctx.config.grant_policy, &set.name);
        planned.permission_set_arn = Value::Value(set.arn.clone());
        planned.risk = Value::Value(rule.risk.as_str().to_string());
        planned.required_approvers = str_list(rule.allowed.clone());
        if let Some(break_glass) = planned.break_glass.as_ref_option() {
            planned.approval_required = Value::Value(rule.approval_required(*break_glass));
        }
        let Some(request) = Request::from_state(planned) else {
            return Ok((Value::Null, Vec::new()));
        };
        let resolved = match self
            .resolve(
                ctx,
                &request.principal_type,
                &request.principal,
                &request.account_id,
                &request.permission_set,
            )
            .await
        {
            Ok(resolved) => resolved,
            // A principal onboarded in the same change (a
            // `jit_identity_center_user` in this plan) does not exist yet:
            // the principal checks run again at apply, where a missing
            // principal is an error and nothing is granted.
            Err(Error::Invalid { path, hint, .. }) if path == attr("principal") => {
                diags.warning(
                    format!("Principal `{}` of the grant does not exist yet", request.principal),
                    format!("{hint} If it is created in this apply, the grant's principal and approver checks run at apply; otherwise the apply fails and grants nothing."),
                    attr("principal"),
                );
                return Ok((Value::Null, Vec::new()));
            }
            Err(error) => return Err(error),
        };
        planned.principal_id = Value::Value(resolved.principal.id.clone());
        let mut problems = self.policy_problems(ctx, &request, &resolved).await?;

        let principals = assigned_principals(ctx, &resolved.key).await?;
        if is_assigned(&principals, &resolved.key)
            && list_leases(ctx, &resolved.key).await?.is_empty()
        {
            problems.push(standing_assignment(&request));
        }
        if principals.iter().all(|(kind, id)| {
            *kind == resolved.key.principal_type && *id == resolved.key.principal_id
        }) {
            diags.warning(
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
            diags.warning(
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
        }
        if resolved.rule.risk == Risk::High {
            let unverified =
                unverified_approvers(&request.approved_by, env(VERIFIED_APPROVERS_ENV).as_deref());
            if !unverified.is_empty() {
                let names = unverified
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let (summary, detail) = if ctx.config.require_verified_approvals {
                    (
                        format!("Approval of `{}` for `{}` will be verified at apply", request.permission_set, request.principal),
                        format!("{names} must approve the pull request before it is applied: the apply checks `{VERIFIED_APPROVERS_ENV}` and grants nothing otherwise."),
                    )
                } else {
                    (
                        format!("Approval of `{}` for `{}` is not verified", request.permission_set, request.principal),
                        format!("{names} is taken as written. Set `require_verified_approvals = true` (or env `JIT_REQUIRE_VERIFIED_APPROVALS=1` in the apply job) so approvers are checked against the pull request's approving reviews in `{VERIFIED_APPROVERS_ENV}`."),
                    )
                };
                diags.warning(summary, detail, attr("approved_by"));
            }
        }
        let handover = Handover {
            successor_key: resolved.key.hash(),
        };
        Ok((Value::Value(handover), problems))
    }

    /// Create: checks, audit intent, lease, assignment, wait, the other
    /// leases of the key, the expiry notice, audit result.
    async fn grant(
        &self,
        ctx: &Ctx,
        planned: GrantState,
        request: &Request,
        diags: &mut Diagnostics,
    ) -> Result<GrantState, Error> {
        let resolved = self
            .resolve(
                ctx,
                &request.principal_type,
                &request.principal,
                &request.account_id,
                &request.permission_set,
            )
            .await?;
        for (name, planned_value, actual) in [
            ("principal", &planned.principal_id, &resolved.principal.id),
            (
                "permission_set",
                &planned.permission_set_arn,
                &resolved.permission_set.arn,
            ),
        ] {
            if let Some(planned_value) = known_str(planned_value) {
                if planned_value != actual {
                    return Err(Error::invalid(
                        attr(name),
                        "Grant target changed since the plan",
                        format!("`{name}` resolved to `{planned_value}` at plan and to `{actual}` now. Plan again."),
                    ));
                }
            }
        }
        let problems = self.policy_problems(ctx, request, &resolved).await?;
        if let Some(first) = first_error(problems, diags) {
            return Err(first);
        }
        schedule::revoker_role(ctx)?;
        let duration = check_duration(
            &request.duration,
            Some(ctx.config.grant_policy.max_duration),
        )
        .map_err(problem_error)?;

        let grant_id = crate::audit::random_id();
        let name = resolved.key.lease_name(&grant_id);
        let granted_at = now();
        let expires_at = granted_at + whole_seconds(duration);
        let mut state = planned;
        state.id = Value::Value(name.clone());
        state.schedule_name = Value::Value(name.clone());
        state.instance_arn = Value::Value(resolved.key.instance_arn.clone());
        state.permission_set_arn = Value::Value(resolved.permission_set.arn.clone());
        state.principal_id = Value::Value(resolved.principal.id.clone());
        state.risk = Value::Value(resolved.rule.risk.as_str().to_string());
        state.required_approvers = str_list(resolved.rule.allowed.clone());
        state.approval_required =
            Value::Value(resolved.rule.approval_required(request.break_glass));
        state.granted_at = Value::Value(rfc3339(granted_at));
        state.expires_at = Value::Value(rfc3339(expires_at));
        state.status = Value::Value(Status::Active.as_str().to_string());

        if let Err(problem) = check_verified(
            ctx.config.require_verified_approvals,
            &resolved.rule,
            &request.approved_by,
            env(VERIFIED_APPROVERS_ENV).as_deref(),
        ) {
            let mut event = audit_event("grant.create", &state, result::FAILURE);
            event.error = format!("{problem}: {}", problem.hint());
            let error = problem_error(problem);
            warn_audit(ctx, event, "refused grant", diags).await;
            return Err(error);
        }

        let lock = self.key_lock(&resolved.key);
        let _guard = lock.lock().await;
        let principals = assigned_principals(ctx, &resolved.key).await?;
        let assigned = is_assigned(&principals, &resolved.key);
        let others = list_leases(ctx, &resolved.key).await?;
        if assigned && others.is_empty() {
            return Err(standing_assignment(request));
        }

        // Fail closed: nothing is granted without an audit record.
        ctx.audit
            .write(audit_event("grant.create", &state, result::INTENT))
            .await?;

        let fail = |error: Error, done: &str| {
            let mut event = audit_event("grant.create", &state, result::FAILURE);
            event.error = format!("{error} ({done})");
            (error, event)
        };
        if let Err(error) = ensure_group(ctx, &self.group_ready).await {
            let (error, event) = fail(error, "nothing was created");
            warn_audit(ctx, event, "failed grant", diags).await;
            return Err(error);
        }
        let mut views: Vec<LeaseView> = others.iter().map(|l| l.view.clone()).collect();
        let ours = LeaseView {
            name: name.clone(),
            expires_at,
            enabled: true,
            retired: false,
        };
        views.push(ours.clone());
        let enabled = latest_live(&views, granted_at).is_some_and(|latest| latest.name == name);
        let meta = LeaseMeta {
            grant: grant_id.clone(),
            principal: request.principal.clone(),
            principal_type: request.principal_type.clone(),
            permission_set: request.permission_set.clone(),
            duration: request.duration.clone(),
            break_glass: request.break_glass,
            granted_at: rfc3339(granted_at),
            expires_at: rfc3339(expires_at),
            retired: false,
        };
        if let Err(error) =
            create_lease(ctx, &name, &resolved.key, &meta, expires_at, enabled).await
        {
            let (error, event) = fail(error, "nothing was created");
            warn_audit(ctx, event, "failed grant", diags).await;
            return Err(error);
        }
        if let Some(view) = views.last_mut() {
            view.enabled = enabled;
        }
        tracing::debug!(lease = %name, enabled, shared = assigned, "lease created");

        if !assigned {
            if let Err(error) = create_assignment(ctx, &resolved.key).await {
                let cleanup = delete_schedule(ctx, &name).await;
                let done = match &cleanup {
                    Ok(()) => "the lease was removed; no access was granted".to_string(),
                    Err(e) => format!("the lease `{name}` could not be removed ({e}); no access was granted; delete the schedule by hand"),
                };
                let (error, event) = fail(error, &done);
                warn_audit(ctx, event, "failed grant", diags).await;
                return Err(match error {
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
                });
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
                &description,
                message,
                expires_at,
            )
            .await
            {
                error.report_warning(
                    format!("Expiry notification for grant `{name}` not scheduled"),
                    diags,
                );
            }
        }
        let mut event = audit_event("grant.create", &state, result::SUCCESS);
        event.details.insert(
            "assignment".to_string(),
            if assigned { "shared" } else { "created" }.to_string(),
        );
        warn_audit(ctx, event, "grant", diags).await;
        if !follow_up.is_empty() {
            diags.error(
                format!("Grant `{name}` created, but other leases of the same access were not updated"),
                format!(
                    "The access is granted with its lease. Updating the other leases failed: {}. An earlier lease left enabled may end the shared access early; run the apply again (the grant is replaced).",
                    follow_up.join("; ")
                ),
                AttributePath::default(),
            );
        }
        Ok(state)
    }

    async fn import_lease(
        &self,
        ctx: &Ctx,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Result<GrantState, Error> {
        if parse_lease_name(id).is_none() {
            return Err(Error::invalid(
                AttributePath::default(),
                "Cannot import this grant",
                format!("`{id}` is not a lease schedule name of the form `jit-<16 hex digits>-<16 hex digits>`; import with the grant's `schedule_name`."),
            ));
        }
        let group = &ctx.config.schedule_group;
        let schedule = get_schedule(ctx, id).await?.ok_or_else(|| {
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
        let set = self
            .directory
            .permission_set(ctx, &center.instance_arn, &key.permission_set_arn)
            .await?;
        let rule = ApprovalRule::of(&ctx.config.grant_policy, &set.name);
        let or = |value: &str, fallback: &str| {
            Value::Value(if value.is_empty() { fallback } else { value }.to_string())
        };
        let state = GrantState {
            account_id: Value::Value(key.target_id.clone()),
            approval_required: Value::Value(rule.approval_required(meta.break_glass)),
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
            required_approvers: str_list(rule.allowed.clone()),
            risk: Value::Value(rule.risk.as_str().to_string()),
            schedule_name: Value::Value(id.to_string()),
            status: Value::Value(Status::Active.as_str().to_string()),
            ..GrantState::default()
        };
        refresh(ctx, &state, diags).await
    }
}

/// Reads the assignment (and, after expiry, the other leases of the key)
/// and derives the status. Observed expiries and revocations are audited.
async fn refresh(
    ctx: &Ctx,
    state: &GrantState,
    diags: &mut Diagnostics,
) -> Result<GrantState, Error> {
    let Some(key) = key_of(state) else {
        return Ok(state.clone());
    };
    let Some(expires_at) = known_str(&state.expires_at).and_then(parse_rfc3339) else {
        return Ok(state.clone());
    };
    let name = text(&state.schedule_name).to_string();
    let prior = known_str(&state.status).and_then(Status::parse);
    let now = now();
    let assigned = is_assigned(&assigned_principals(ctx, &key).await?, &key);
    let covered = if assigned && now >= expires_at {
        list_leases(ctx, &key)
            .await?
            .iter()
            .any(|lease| lease.view.name != name && lease.view.is_live(now))
    } else {
        false
    };
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
    match status {
        Status::Active => {
            let lease = get_schedule(ctx, &name).await?.and_then(Lease::from_schedule);
            if !lease.is_some_and(|lease| lease.matches(&key, expires_at)) {
                diags.warning(
                    format!("Grant {label} has no valid expiry lease"),
                    format!("Schedule `{name}` in `{}` is missing or was changed outside Terraform, so the access may not end at `{}`. Destroy the grant, or replace it (`terraform apply -replace`) to lease it again.", ctx.config.schedule_group, text(&state.expires_at)),
                    AttributePath::default(),
                );
            }
        }
        Status::Expired => diags.warning(
            format!("Grant {label} has expired"),
            format!("The grant ended at `{}` and is kept in state as `EXPIRED`; it is never granted again by itself. Remove it from the configuration, or write a new grant to renew.", text(&state.expires_at)),
            AttributePath::default(),
        ),
        Status::Revoked => diags.warning(
            format!("Grant {label} was revoked outside this grant"),
            "The assignment vanished before expiry. The grant is kept in state as `REVOKED` and is not granted again by itself; remove it from the configuration, or write a new grant.".to_string(),
            AttributePath::default(),
        ),
        Status::Overdue => diags.warning(
            format!("Grant {label} is overdue"),
            format!("The access should have ended at `{}` but is still assigned: the server-side expiry has not run yet or failed (check the revoker role and `expiry_dead_letter_queue_arn`). Destroy the grant to remove it now.", text(&state.expires_at)),
            AttributePath::default(),
        ),
    }
    let observed = match (prior, status) {
        (Some(Status::Active | Status::Overdue), Status::Expired) => Some("grant.expired"),
        (Some(Status::Active), Status::Revoked) => Some("grant.revoked_outside"),
        _ => None,
    };
    if let Some(action) = observed {
        let mut event = audit_event(action, &fresh, result::SUCCESS);
        // The same observation in several plans is one event.
        event.event_id = format!("{:016x}", fnv1a64(format!("{name}:{action}").as_bytes()));
        event
            .details
            .insert("observed_at".to_string(), rfc3339(now));
        warn_audit(ctx, event, "observed grant change", diags).await;
    }
    Ok(fresh)
}

/// Revoke: the assignment goes only when no other live lease of the key
/// remains; else the next latest lease is enabled. The destroy half of a
/// replacement by a grant of the same key hands its lease over instead.
async fn revoke(
    ctx: &Ctx,
    state: &GrantState,
    successor_key: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<(), Error> {
    let Some(key) = key_of(state) else {
        return Ok(());
    };
    let name = text(&state.schedule_name).to_string();
    let now = now();
    let leases = list_leases(ctx, &key).await?;
    let own = leases.iter().find(|lease| lease.view.name == name);
    let others: Vec<&Lease> = leases.iter().filter(|l| l.view.name != name).collect();
    let other_live = others.iter().any(|l| l.view.is_live(now));
    let notice = parse_lease_name(&name).map(|parsed| key.notice_name(&parsed.grant_id));

    let mut event = audit_event("grant.revoke", state, result::SUCCESS);
    let handover = successor_key == Some(key.hash().as_str()) && !other_live;
    match own.filter(|lease| handover && lease.view.is_live(now)) {
        Some(lease) => {
            // The successor deletes this lease once its own exists; until
            // then the access keeps this lease's expiry.
            let meta = LeaseMeta {
                retired: true,
                ..lease.meta.clone()
            };
            update_lease(ctx, lease, lease.view.enabled, &meta).await?;
            event.details.insert(
                "handover".to_string(),
                "replacement of the same access".to_string(),
            );
        }
        None if !other_live => {
            delete_assignment(ctx, &key).await?;
            delete_schedule(ctx, &name).await?;
            for lease in others.iter().filter(|l| l.view.retired) {
                delete_schedule(ctx, &lease.view.name).await?;
            }
            event
                .details
                .insert("assignment".to_string(), "removed".to_string());
        }
        None => {
            let views: Vec<LeaseView> = others.iter().map(|l| l.view.clone()).collect();
            for (lease_name, enable) in reconcile(&views, now) {
                if let Some(lease) = others.iter().find(|l| l.view.name == lease_name) {
                    update_lease(ctx, lease, enable, &lease.meta).await?;
                }
            }
            delete_schedule(ctx, &name).await?;
            event.details.insert(
                "assignment".to_string(),
                "kept for a later grant".to_string(),
            );
        }
    }
    if let Some(notice) = notice {
        if let Err(error) = delete_schedule(ctx, &notice).await {
            error.report_warning(
                format!("Expiry notice of grant `{name}` not deleted"),
                diags,
            );
        }
    }
    // Revoking never waits on the audit log.
    warn_audit(ctx, event, "revoke", diags).await;
    Ok(())
}

/// The assignment key stored in state.
fn key_of(state: &GrantState) -> Option<AssignmentKey> {
    Some(AssignmentKey::new(
        known_str(&state.instance_arn)?,
        known_str(&state.account_id)?,
        known_str(&state.permission_set_arn)?,
        known_str(&state.principal_type)?,
        known_str(&state.principal_id)?,
    ))
}

/// Shape checks that need no AWS and no provider configuration; unknown
/// values are skipped.
fn check_shape(state: &GrantState) -> Vec<Error> {
    let mut errors = Vec::new();
    for (name, what, example) in [
        ("principal", "principal", "alice@example.com"),
        ("permission_set", "permission set", "JIT-S3FullAccess"),
        ("requested_by", "requester", "alice@example.com"),
    ] {
        let value = input_field(state, name);
        if value.as_ref_option().is_some_and(|v| v.trim().is_empty()) {
            errors.push(Error::invalid(
                attr(name),
                format!("Empty {what}"),
                format!("Set `{name}`, e.g. `{example}`."),
            ));
        }
    }
    if let Some(kind) = known_str(&state.principal_type) {
        if kind != "USER" && kind != "GROUP" {
            errors.push(Error::invalid(
                attr("principal_type"),
                "Unknown principal type",
                format!("`{kind}` is not a principal type; use `USER` or `GROUP`."),
            ));
        }
    }
    if let Some(account) = known_str(&state.account_id) {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(Error::invalid(
                attr("account_id"),
                "Invalid AWS account id",
                format!("`{account}` is not 12 digits, e.g. `123456789012`."),
            ));
        }
    }
    if let Some(set) = known_str(&state.permission_set).filter(|s| s.starts_with("arn:")) {
        if let Err(problem) = check_arn(set, "sso").and_then(|()| {
            if set.contains(":permissionSet/") {
                Ok(())
            } else {
                Err("is not a permission set ARN".to_string())
            }
        }) {
            errors.push(Error::invalid(
                attr("permission_set"),
                "Malformed permission set ARN",
                format!("`{set}` {problem}; expected `arn:aws:sso:::permissionSet/ssoins-…/ps-…` or a permission set name."),
            ));
        }
    }
    if let Some(duration) = state.duration.as_ref_option() {
        if let Err(problem) = check_duration(duration, None) {
            errors.push(problem_error(problem));
        }
    }
    if let Some(reason) = state.reason.as_ref_option() {
        if let Err(problem) = check_reason(reason) {
            errors.push(problem_error(problem));
        }
    }
    if let (Some(break_glass), false) =
        (state.break_glass.as_ref_option(), is_unknown(&state.ticket))
    {
        if let Err(problem) = check_break_glass(*break_glass, known_str(&state.ticket)) {
            errors.push(problem_error(problem));
        }
    }
    if let (Some(approvers), Some(requested_by)) = (
        known_str_list(&state.approved_by),
        state.requested_by.as_ref_option(),
    ) {
        // Only what needs no policy: blanks, duplicates, self-approval.
        let parties = Parties {
            requested_by,
            principal: state
                .principal
                .as_ref_option()
                .cloned()
                .into_iter()
                .collect(),
            group: None,
            change_author: None,
        };
        let rule = ApprovalRule {
            risk: Risk::Low,
            allowed: Vec::new(),
        };
        errors.extend(
            check_approvers("", &rule, false, &approvers, &parties)
                .into_iter()
                .map(problem_error),
        );
    }
    errors
}

/// Defaults of optional inputs the provider fills in.
fn apply_defaults(state: &mut GrantState) {
    if state.principal_type.is_null() {
        state.principal_type = Value::Value("USER".to_string());
    }
    if state.break_glass.is_null() {
        state.break_glass = Value::Value(false);
    }
}

/// The inputs whose change forces a replacement. Right after an import
/// (`requested_by` not yet known), `requested_by` and `approved_by` are
/// adopted from the configuration; a duration written differently but equal
/// (`60m` for `1h`) is not a change.
fn replacements(prior: &GrantState, planned: &GrantState) -> Vec<AttributePath> {
    let adopting = prior.requested_by.is_null();
    REPLACE_ON_CHANGE
        .iter()
        .filter(|name| match **name {
            "requested_by" | "approved_by" if adopting => false,
            "approved_by" => {
                known_str_list(&prior.approved_by).unwrap_or_default()
                    != known_str_list(&planned.approved_by).unwrap_or_default()
                    || is_unknown(&planned.approved_by)
            }
            "break_glass" => prior.break_glass != planned.break_glass,
            "duration" => {
                let parse = |v: &Value<String>| {
                    v.as_ref_option()
                        .and_then(|d| crate::policy::duration::parse_duration(d).ok())
                };
                is_unknown(&planned.duration)
                    || parse(&prior.duration).is_none()
                    || parse(&prior.duration) != parse(&planned.duration)
            }
            name => input_field(prior, name) != input_field(planned, name),
        })
        .map(|name| AttributePath::new(*name))
        .collect()
}

/// Keeps the computed values of a grant that is not replaced.
fn copy_computed(prior: &GrantState, planned: &mut GrantState) {
    for name in [
        "expires_at",
        "granted_at",
        "id",
        "instance_arn",
        "permission_set_arn",
        "principal_id",
        "risk",
        "schedule_name",
        "status",
    ] {
        *computed_field(planned, name) = computed_field_ref(prior, name).clone();
    }
    planned.approval_required = prior.approval_required;
    planned.required_approvers = prior.required_approvers.clone();
}

fn computed_field<'s>(state: &'s mut GrantState, name: &str) -> &'s mut Value<String> {
    match name {
        "expires_at" => &mut state.expires_at,
        "granted_at" => &mut state.granted_at,
        "id" => &mut state.id,
        "instance_arn" => &mut state.instance_arn,
        "permission_set_arn" => &mut state.permission_set_arn,
        "principal_id" => &mut state.principal_id,
        "risk" => &mut state.risk,
        "schedule_name" => &mut state.schedule_name,
        _ => &mut state.status,
    }
}

fn computed_field_ref<'s>(state: &'s GrantState, name: &str) -> &'s Value<String> {
    match name {
        "expires_at" => &state.expires_at,
        "granted_at" => &state.granted_at,
        "id" => &state.id,
        "instance_arn" => &state.instance_arn,
        "permission_set_arn" => &state.permission_set_arn,
        "principal_id" => &state.principal_id,
        "risk" => &state.risk,
        "schedule_name" => &state.schedule_name,
        _ => &state.status,
    }
}

/// A string input by name (for replacement and change checks).
fn input_field<'s>(state: &'s GrantState, name: &str) -> Value<&'s String> {
    match name {
        "account_id" => state.account_id.as_ref(),
        "duration" => state.duration.as_ref(),
        "permission_set" => state.permission_set.as_ref(),
        "principal" => state.principal.as_ref(),
        "principal_type" => state.principal_type.as_ref(),
        "reason" => state.reason.as_ref(),
        "requested_by" => state.requested_by.as_ref(),
        "ticket" => state.ticket.as_ref(),
        _ => Value::Null,
    }
}

fn standing_assignment(request: &Request) -> Error {
    Error::invalid(
        attr("principal"),
        "Standing assignment exists",
        format!(
            "`{}` already has `{}` in account `{}` without any grant's lease. A grant would remove that standing access at expiry; remove the standing assignment first, or do not grant it.",
            request.principal, request.permission_set, request.account_id
        ),
    )
}

fn problem_error(problem: GrantProblem) -> Error {
    let (name, index) = problem.attribute();
    let path = match index {
        Some(index) => attr(name).index(index as i64),
        None => attr(name),
    };
    Error::invalid(path, problem.to_string(), problem.hint())
}

/// Reports all errors but the first, which is returned.
fn first_error(errors: Vec<Error>, diags: &mut Diagnostics) -> Option<Error> {
    let mut errors = errors.into_iter();
    let first = errors.next()?;
    report_all(errors.collect(), diags);
    Some(first)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// A duration rounded up to whole seconds (Scheduler's precision).
fn whole_seconds(duration: Duration) -> time::Duration {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    time::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// The grant's target as the audit log names it.
fn target(state: &GrantState) -> String {
    format!(
        "{} {} in {} with {}",
        text(&state.principal_type),
        text(&state.principal),
        text(&state.account_id),
        text(&state.permission_set)
    )
}

/// An audit event about a grant.
fn audit_event(action: &str, state: &GrantState, outcome: &str) -> AuditEvent {
    let mut event = AuditSink::event(action, RESOURCE_TYPE, target(state));
    event.actor = text(&state.requested_by).to_string();
    event.approvers = known_str_list(&state.approved_by).unwrap_or_default();
    event.reason = text(&state.reason).to_string();
    event.ticket = text(&state.ticket).to_string();
    event.break_glass = state.break_glass.as_ref_option().copied().unwrap_or(false);
    event.result = outcome.to_string();
    let details: HashMap<String, String> = [
        ("account_id", &state.account_id),
        ("duration", &state.duration),
        ("expires_at", &state.expires_at),
        ("granted_at", &state.granted_at),
        ("permission_set_arn", &state.permission_set_arn),
        ("principal_id", &state.principal_id),
        ("risk", &state.risk),
        ("schedule_name", &state.schedule_name),
        ("status", &state.status),
    ]
    .into_iter()
    .filter_map(|(name, value)| known_str(value).map(|v| (name.to_string(), v.to_string())))
    .collect();
    event.details = details;
    event
}

/// The "access expired" message the notice schedule publishes at expiry:
/// an audit event v1, so topic subscribers read one format.
fn notice_message(state: &GrantState, expires_at: OffsetDateTime) -> String {
    let mut event = audit_event("grant.expired", state, "scheduled");
    event.time = rfc3339(expires_at);
    event.applied_by = "eventbridge-scheduler".to_string();
    serde_json::to_string(&event).unwrap_or_default()
}

/// Writes an event; a failure is a warning (for steps that must not fail).
async fn warn_audit(ctx: &Ctx, event: AuditEvent, what: &str, diags: &mut Diagnostics) {
    let target = event.target.clone();
    if let Err(error) = ctx.audit.write(event).await {
        error.report_warning(
            format!("Audit event for {what} of `{target}` not written"),
            diags,
        );
    }
}
