//! Who approved a grant, and whether that counts. Every person a decision
//! depends on is looked up as an Identity Center user, at plan and again at
//! apply: the approvers (`approved_by`), the requester, the change's authors
//! (`JIT_CHANGE_AUTHOR`), the verified approvers of the change
//! (`JIT_VERIFIED_APPROVERS`) and the permission set's allowed approvers.
//! The rules themselves are pure, in [`crate::policy::grant`].
//!
//! [`check_at_apply`] is the gate in front of every grant: nothing is
//! granted unless every check passes again at apply, and a refusal is
//! audited ([`Refusal`]).

use tf_provider::AttributePath;

use super::lease::revoker_role;
use super::plan::{env, problem_error, Request};
use super::resolve::{resolve, Resolved};
use super::{GrantState, CHANGE_AUTHOR_ENV, VERIFIED_APPROVERS_ENV};
use crate::audit::v1::Approver;
use crate::aws::identity_store::PrincipalKind;
use crate::config::CHANGE_REF_ENV;
use crate::context::Ctx;
use crate::error::{attr, Error};
use crate::framework::{Errors, Op};
use crate::policy::grant::{
    check_approvers, check_change_ref_at_apply, check_max_duration, check_session_duration,
    check_verified, name_list, split_verified, ApprovalRule, GrantProblem, Identity, Parties,
};
use crate::values::known_str;

/// The people of one grant, resolved.
#[derive(Debug, Clone)]
pub struct Review {
    /// Risk and allowed approvers (with their ids).
    pub rule: ApprovalRule,
    /// Requester, principal, group members, change authors.
    pub parties: Parties,
    /// `approved_by`, resolved.
    pub approvers: Vec<Identity>,
    /// `JIT_VERIFIED_APPROVERS`, resolved; entries that did not resolve are
    /// left out (they never count).
    pub verified: Vec<Identity>,
    /// Entries of `JIT_CHANGE_AUTHOR` and `JIT_VERIFIED_APPROVERS` and of
    /// the policy's `approvers` that are no Identity Center user.
    pub unresolved: Vec<(&'static str, String)>,
}

/// A name as an identity with the user id it resolves to (`None`: nobody).
async fn person(ctx: &Ctx, store: &str, name: &str) -> Result<Identity, Error> {
    let id = ctx
        .directory
        .user_id(ctx.aws.identity_store(), store, name)
        .await?;
    Ok(Identity::resolved(name, id))
}

/// Names as identities, in order.
async fn people(ctx: &Ctx, store: &str, names: &[String]) -> Result<Vec<Identity>, Error> {
    let mut resolved = Vec::with_capacity(names.len());
    for name in names {
        resolved.push(person(ctx, store, name).await?);
    }
    Ok(resolved)
}

/// Looks up everyone the approval of `request` depends on. Group members
/// are read now, never from a cache.
pub async fn review(ctx: &Ctx, request: &Request, resolved: &Resolved) -> Result<Review, Error> {
    let store = &resolved.identity_store_id;
    let mut rule = resolved.rule.clone();
    let mut unresolved = Vec::new();
    for allowed in &mut rule.allowed {
        *allowed = person(ctx, store, allowed.name()).await?;
        if allowed.id.is_none() {
            unresolved.push(("grant policy approver", allowed.name().to_string()));
        }
    }
    let approvers = people(ctx, store, &request.approved_by).await?;
    let group = if request.principal_type == PrincipalKind::Group && !approvers.is_empty() {
        let members = ctx
            .aws
            .identity_store()
            .list_member_ids(store, &resolved.principal.id)
            .await?
            .into_iter()
            .map(|id| Identity {
                id: Some(id),
                names: Vec::new(),
            })
            .collect();
        Some((request.principal.clone(), members))
    } else {
        None
    };
    let authors = people(ctx, store, &name_list(env(CHANGE_AUTHOR_ENV).as_deref())).await?;
    let verified = people(
        ctx,
        store,
        &name_list(env(VERIFIED_APPROVERS_ENV).as_deref()),
    )
    .await?;
    for (what, list) in [
        (CHANGE_AUTHOR_ENV, &authors),
        (VERIFIED_APPROVERS_ENV, &verified),
    ] {
        unresolved.extend(
            list.iter()
                .filter(|p| p.id.is_none())
                .map(|p| (what, p.name().to_string())),
        );
    }
    let parties = Parties {
        requester: person(ctx, store, &request.requested_by).await?,
        principal: Identity {
            id: Some(resolved.principal.id.clone()),
            names: resolved.principal.identities.clone(),
        },
        group,
        change_authors: authors,
        resolved: true,
    };
    Ok(Review {
        rule,
        parties,
        approvers,
        verified: verified.into_iter().filter(|v| v.id.is_some()).collect(),
        unresolved,
    })
}

impl Review {
    /// The four-eyes problems of the request.
    pub fn problems(&self, permission_set: &str, break_glass: bool) -> Vec<GrantProblem> {
        check_approvers(
            permission_set,
            &self.rule,
            break_glass,
            &self.approvers,
            &self.parties,
        )
    }

    /// Warns about names that are no Identity Center user: they are
    /// ignored (an author cannot be told apart by id; a verified entry or a
    /// policy approver counts for nobody).
    pub fn warn_unresolved(&self, op: &mut Op<'_>) {
        for (what, name) in &self.unresolved {
            op.warn(
                format!("`{name}` of `{what}` is no Identity Center user"),
                format!("`{name}` is not a user name, email or user id in the identity store (or the email belongs to several users). It is ignored: it never counts as an approval, and it cannot be compared by user id with the approvers. Fix the name where it is set."),
                attr("approved_by"),
            );
        }
    }

    /// The verified approvers among `approved_by` (empty when none).
    pub fn verified_approvers(&self) -> Vec<&Identity> {
        split_verified(&self.approvers, &self.verified).0
    }
}

/// What the audit events of a grant record about who asked and who
/// approved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attestation {
    /// Identity Center user id of `requested_by` (empty when unknown).
    pub actor_id: String,
    /// The approvers whose approval was verified, with their user ids.
    pub verified: Vec<Approver>,
}

impl Attestation {
    fn of(review: &Review, verified: &[&Identity]) -> Self {
        Self {
            actor_id: review.parties.requester.id.clone().unwrap_or_default(),
            verified: verified
                .iter()
                .map(|approver| Approver {
                    name: approver.name().to_string(),
                    user_id: approver.id.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A grant that passed every check at apply.
#[derive(Debug)]
pub struct Approved {
    /// Key, principal, permission set and rule.
    pub resolved: Resolved,
    /// For the audit events.
    pub attestation: Attestation,
}

/// A grant refused at apply: nothing was granted.
#[derive(Debug)]
pub struct Refusal {
    /// Every reason.
    pub errors: Errors,
    /// As far as it was known.
    pub attestation: Attestation,
}

impl Refusal {
    /// Whether a check could not be made (AWS failed or did not answer in
    /// time) rather than refused the grant: audited as a failure, not a
    /// refusal.
    pub fn is_failure(&self) -> bool {
        self.errors.0.iter().any(|error| {
            let mut error = error;
            while let Error::WithPath { source: inner, .. } = error {
                error = inner;
            }
            matches!(error, Error::Aws { .. } | Error::Timeout { .. })
        })
    }
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        Self {
            errors: error.into(),
            attestation: Attestation::default(),
        }
    }
}

/// Every check again, at apply, with the identity store as it is now: the
/// target is still what the plan resolved, the policy (durations, session
/// length, four eyes, break-glass) holds, the grant was written for the
/// change applied, and every approver is verified. Nothing may be granted
/// on a `Refusal`.
pub async fn check_at_apply(
    ctx: &Ctx,
    planned: &GrantState,
    request: &Request,
) -> Result<Approved, Refusal> {
    let resolved = resolve(ctx, request).await?;
    if request.principal_type == PrincipalKind::User {
        let blocks = ctx
            .aws
            .sso_admin()
            .find_user_blocks(&resolved.key.instance_arn, &resolved.principal.id)
            .await?;
        if !blocks.is_empty() {
            return Err(Error::invalid(
                attr("principal"),
                "Principal is blocked",
                format!(
                    "`{}` is blocked by `jit_user_block` (marker {}): the user's id is in the `JitBlockedUsers` deny statement of the permission sets. Restore the block (destroy the `jit_user_block`) before granting access again.",
                    request.principal,
                    blocks.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .into());
        }
    }
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
                )
                .into());
            }
        }
    }
    let review = review(ctx, request, &resolved).await?;
    let policy = &ctx.config.grant_policy;
    let verifying = ctx.config.require_verified_approvals;
    let mut problems: Vec<GrantProblem> = Vec::new();
    problems.extend(
        check_max_duration(
            &request.duration_text,
            request.duration,
            policy.max_duration,
        )
        .err(),
    );
    problems.extend(
        check_session_duration(
            &resolved.permission_set.name,
            resolved.permission_set.session_duration.as_deref(),
            policy.max_session_duration,
        )
        .err(),
    );
    problems.extend(review.problems(&resolved.permission_set.name, request.break_glass));
    problems.extend(
        check_change_ref_at_apply(
            verifying,
            review.rule.risk,
            request.change_ref.as_deref(),
            env(CHANGE_REF_ENV).as_deref(),
        )
        .err(),
    );
    let verified =
        match check_verified(verifying, &review.rule, &review.approvers, &review.verified) {
            Ok(verified) => verified,
            Err(problem) => {
                problems.push(problem);
                if verifying {
                    review.verified_approvers()
                } else {
                    Vec::new()
                }
            }
        };
    let attestation = Attestation::of(&review, &verified);
    let mut errors = Errors(problems.into_iter().map(problem_error).collect());
    errors.check(revoker_role(ctx).map(|_| ()));
    if let Err(errors) = errors.into_result() {
        return Err(Refusal {
            errors,
            attestation,
        });
    }
    Ok(Approved {
        resolved,
        attestation,
    })
}

/// The text of a refusal for the audit event: each summary with its detail.
pub fn refusal_text(errors: &Errors) -> String {
    errors
        .0
        .iter()
        .map(|error| {
            let (summary, detail, _) = describe(error);
            format!("{summary}: {detail}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Summary, detail and path of an error without consuming it.
fn describe(error: &Error) -> (String, String, AttributePath) {
    match error {
        Error::Invalid {
            path,
            summary,
            hint,
        } => (summary.clone(), hint.clone(), path.clone()),
        other => (other.to_string(), String::new(), AttributePath::root()),
    }
}

/// The requester's user id for events written without a full review
/// (revoke, update, observations); empty when it cannot be told. Never
/// fails: these events must not wait on the identity store.
pub async fn actor_id(ctx: &Ctx, requested_by: &str) -> String {
    let Ok(center) = ctx.identity_center().await else {
        return String::new();
    };
    match ctx
        .directory
        .user_id(
            ctx.aws.identity_store(),
            &center.identity_store_id,
            requested_by,
        )
        .await
    {
        Ok(id) => id.unwrap_or_default(),
        Err(error) => {
            tracing::debug!(%error, "requester not resolved for the audit event");
            String::new()
        }
    }
}
