//! `jit_user_block`: immediate revocation of a Cognito, IAM or IAM Identity
//! Center user, with an exact restore on destroy.
//!
//! - Each block has a **marker** `jit-user-block-<16 hex>`: the name of the
//!   IAM user's inline deny-all policy, or an entry in the Cognito user's
//!   flag attribute. Restore acts only while it is still in place.
//! - **Several blocks coexist** (one workspace or several): each has its own
//!   marker, and the **record** of what each changed is kept in AWS next to
//!   the markers (IAM user tags keyed by the marker; the Cognito flag value),
//!   as well as in state. Restoring one block while another is live removes
//!   only its marker; the last restore puts back everything every block
//!   recorded, checking identity (key creation times, group ids, the
//!   Cognito `sub` and a digest of its other attributes), never names. The
//!   formats and rules are in `policy::block`.
//! - **Every step is attempted** even when one fails. A new block that
//!   fails part-way is saved untainted with `status = "INCOMPLETE"` and a
//!   warning listing what was done and what was not (a tainted block would
//!   be replaced destroy-first: restore, then block again, an unblocked
//!   window); the next plan finishes it in place. After an ambiguous step
//!   (timeout, lost answer) the user is read again and what is true is
//!   recorded.
//! - **Killed applies**: a new block is marked pending (process nonce,
//!   deadline, fingerprint of its inputs) until its last step; a later block
//!   or restore of the same user takes over a pending block whose process is
//!   gone (see `policy::block::Pending`). The last step leaves a placed
//!   mark (workspace hash, time, fingerprint): a new block of the same
//!   inputs from the same working directory and workspace, in a later
//!   process, takes over a finished block that a run killed before
//!   Terraform saved the state left behind (`policy::block::Placed`).
//! - **Drift**: marker gone (policy removed, flag cleared or overwritten)
//!   ⇒ the block is gone from state and the next plan creates it again;
//!   marker there but the block partly undone (user enabled again, a key
//!   active, a group re-added, the policy edited) ⇒ `status = "UNBLOCKED"`
//!   and the next plan re-blocks in place, keeping the record.
//! - **Replacement** of a block of the same user never restores first: see
//!   `handoff.rs`.
//! - **Identity Center** (`identity_center/`): the marker, the record and
//!   the pending mark live in the provider's deny statement of the
//!   permission sets' inline policies (`policy::session_deny`); killed
//!   applies are taken over by the same rule as the other kinds.

mod cognito;
mod handoff;
mod iam;
mod identity_center;
mod meter;
mod plan;
mod record;
mod report;
mod summary;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::Value;
use tf_provider::AttributePath;

use crate::audit;
use crate::config::ProviderConfig;
use crate::context::Ctx;
use crate::error::Error;
use crate::framework::{Change, Errors, Failure, Op, Planned, ResourceType};
use crate::schema::*;
use crate::values::{known_str, text, StrList};

use handoff::{Handoff, UserLocks};
use meter::Meter;
use plan::*;
use record::*;
use report::*;

pub(crate) use crate::policy::block::MARKER_PREFIX;

/// The Cognito flag attribute used when `block_attribute` is not set.
pub(crate) const DEFAULT_BLOCK_ATTRIBUTE: &str = "custom:access_revoked";
/// `resource_type` of audit events.
pub(crate) const AUDIT_RESOURCE: &str = "jit_user_block";

/// Values of `status`.
pub(crate) mod status {
    /// Every step of the block is in place.
    pub const BLOCKED: &str = "BLOCKED";
    /// The block failed part-way; the next apply finishes it without a gap.
    pub const INCOMPLETE: &str = "INCOMPLETE";
    /// The marker is there but the block was partly undone outside
    /// Terraform; the next apply blocks again.
    pub const UNBLOCKED: &str = "UNBLOCKED";
    /// The user was deleted after the block; destroy only forgets it.
    pub const USER_DELETED: &str = "USER_DELETED";
}

/// The `cognito` block.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub(crate) struct CognitoBlock {
    /// The flag attribute, e.g. `custom:access_revoked`.
    pub block_attribute: Value<String>,
    /// User pool id.
    pub user_pool_id: Value<String>,
    /// User name in the pool.
    pub username: Value<String>,
}

/// The `iam` block.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub(crate) struct IamBlock {
    /// IAM user name.
    pub user_name: Value<String>,
}

/// The `identity_center` block.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub(crate) struct IdentityCenterBlock {
    /// User name, email or id.
    pub user: Value<String>,
}

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub(crate) struct UserBlockState {
    /// IAM: access keys this block deactivated.
    pub access_keys_deactivated: StrList,
    /// Identity Center: account assignments this block removed.
    pub assignments_removed: StrList,
    /// When the block was placed (RFC 3339).
    pub blocked_at: Value<String>,
    /// Who asked for the block.
    pub blocked_by: Value<String>,
    /// Cognito target.
    #[serde(with = "crate::codec::optional_block")]
    pub cognito: Value<CognitoBlock>,
    /// IAM: groups this block removed the user from (Identity Center:
    /// group ids).
    pub groups_removed: StrList,
    /// IAM target.
    #[serde(with = "crate::codec::optional_block")]
    pub iam: Value<IamBlock>,
    /// Identity Center target.
    #[serde(with = "crate::codec::optional_block")]
    pub identity_center: Value<IdentityCenterBlock>,
    /// `iam:<user_name>` or `cognito:<user_pool_id>:<username>`.
    pub id: Value<String>,
    /// The block's marker.
    pub marker: Value<String>,
    /// Cognito: the flag's value before the block (put back on restore).
    pub previous_flag_value: Value<String>,
    /// Why.
    pub reason: Value<String>,
    /// `BLOCKED`, `INCOMPLETE`, `UNBLOCKED` or `USER_DELETED`.
    pub status: Value<String>,
    /// Incident or change ticket.
    pub ticket: Value<String>,
    /// IAM user id, Identity Center user id or Cognito `sub` of the
    /// blocked user.
    pub user_id: Value<String>,
    /// Cognito: whether the user was enabled before the block.
    pub user_was_enabled: Value<bool>,
}

/// Private state. Only `plan_create` sets it: the destroy half of a
/// replacement receives it and so learns which user the create will block.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub(crate) struct BlockPrivate {
    /// `Target::user_key` of the planned block.
    pub planned_user: Option<String>,
}

/// The resource: besides the framework's context, what one provider
/// process remembers between the calls of an apply.
#[derive(Debug, Default)]
pub(crate) struct UserBlock {
    handoff: Handoff<UserBlockState>,
    pool_checks: cognito::PoolChecks,
    users: UserLocks,
}

type Private = Value<BlockPrivate>;
type Applied = (UserBlockState, Private);

#[async_trait]
impl ResourceType for UserBlock {
    type State = UserBlockState;
    type Private = Private;
    const NAME: &'static str = "user_block";

    fn schema() -> Schema {
        let cognito = block(
            "Block a user of a Cognito user pool: set the flag attribute, sign the user out everywhere (`AdminUserGlobalSignOut`), disable the user.",
            [
                ("block_attribute", optional_computed_str("Custom String attribute the application checks server-side; the block writes its marker into it. It must be in the pool's schema, mutable, and writable by no app client. Default `custom:access_revoked`. Changing it moves the flag in place.")),
                ("user_pool_id", forces_replacement(required_str("User pool id, e.g. `eu-west-1_AbCdEf123`."))),
                ("username", forces_replacement(required_str("The user's name in the pool."))),
            ],
            [],
        );
        let iam = block(
            "Block an IAM user: attach an inline deny-all policy, deactivate its active access keys, remove it from its groups. The console password (login profile) is kept.",
            [("user_name", forces_replacement(required_str("IAM user name.")))],
            [],
        );
        let identity_center = block(
            "Block an IAM Identity Center user: deny the user's role sessions in every permission set (statement `JitBlockedUsers` of the inline policy, condition `identitystore:UserId`) and provision the permission sets, so live sessions stop after AWS's propagation; remove the user's account assignments and group memberships. While the block is in place, new `jit_grant`s and `jit_identity_center_group_membership`s of the user are refused.",
            [("user", forces_replacement(required_str("The user's user name, email or id (resolved as `jit_grant` resolves `principal`).")))],
            [],
        );
        schema(
            0,
            block(
                "Immediately blocks one Cognito, IAM or IAM Identity Center user, records what it changed, and restores exactly that on destroy. Editing `reason`, `ticket` or `blocked_by` never unblocks the user.",
                [
                    ("access_keys_deactivated", computed_str_list("IAM: access key ids that were active and that this block deactivated; restore reactivates exactly these.")),
                    ("assignments_removed", computed_str_list("Identity Center: the user's account assignments this block removed, as `<account id>/<permission set ARN>` (`/jit` appended for a JIT grant's assignment); restore re-creates exactly these, except a JIT grant's whose lease has expired or been disabled meanwhile.")),
                    ("blocked_at", computed_str("When the block was placed (RFC 3339, UTC).")),
                    ("blocked_by", required_str("Who asked for the block, e.g. `secops@example.com`. Recorded in the audit log.")),
                    ("groups_removed", computed_str_list("IAM: groups this block removed the user from (Identity Center: group ids); restore re-adds exactly these.")),
                    ("id", computed_str("`iam:<user_name>`, `identity_center:<user>` or `cognito:<user_pool_id>:<username>`.")),
                    ("marker", computed_str("The block's own marker `jit-user-block-<16 hex>`: the name of the IAM inline policy, the value written to the Cognito flag attribute, or an entry of the Identity Center deny statement. Restore acts only while it is in place.")),
                    ("previous_flag_value", computed_str("Cognito: the flag attribute's value before the block, put back on restore (null: it was empty and is cleared).")),
                    ("reason", required_str("Why the user is blocked. Recorded in the audit log; must not be blank.")),
                    ("status", computed_str("`BLOCKED`; `INCOMPLETE` after a block that failed part-way; `UNBLOCKED` when the block was partly undone outside Terraform (the next apply blocks again); `USER_DELETED` when the user no longer exists.")),
                    ("ticket", optional_str("Incident or change ticket, e.g. `SEC-7`. Recorded in the audit log.")),
                    ("user_id", computed_str("Immutable id of the blocked user: the IAM user id, the Identity Center user id, or the Cognito `sub`.")),
                    ("user_was_enabled", computed_bool("Cognito: whether the user was enabled before the block; restore enables it only then.")),
                ],
                [
                    ("cognito", optional_block(cognito)),
                    ("iam", optional_block(iam)),
                    ("identity_center", optional_block(identity_center)),
                ],
            ),
        )
    }

    fn validate(config: &UserBlockState) -> Result<(), Errors> {
        checked(config).map(|_| ())
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        mut state: UserBlockState,
    ) -> Result<Option<UserBlockState>, Error> {
        let meter = Meter::new();
        let ctx = op.ctx()?;
        let aws = &ctx.aws;
        let (Some(target), marker) = (target_of(&state), text(&state.marker).to_string()) else {
            return Ok(Some(state));
        };
        let record = record_of(&state);
        let observed = match &target {
            Target::Cognito(c) => {
                cognito::observe(&aws.cognito(), &meter, c, &marker, &record).await
            }
            Target::Iam(user) => iam::observe(&aws.iam(), &meter, user, &marker, &record).await,
            Target::IdentityCenter(user) => {
                identity_center::observe(ctx, &meter, user, &marker, &record).await
            }
        };
        meter.log("read");
        let id = target.id();
        match observed? {
            Observed::UserGone => {
                op.warn(
                    format!("Blocked user no longer exists: `{id}`"),
                    "The user was deleted after the block, so there is nothing left to block or restore. Remove the `jit_user_block` from the configuration; destroying it only forgets it.",
                    AttributePath::default(),
                );
                state.status = Value::Value(status::USER_DELETED.into());
            }
            Observed::User { undone, left, .. } => {
                if !left {
                    tracing::info!(block = %id, %marker, "the block was fully undone outside Terraform");
                    return Ok(None);
                }
                let incomplete = text(&state.status) == status::INCOMPLETE;
                if undone.is_empty() {
                    state.status = Value::Value(status::BLOCKED.into());
                } else if !incomplete {
                    op.warn(
                        format!("Block undone outside Terraform: `{id}`"),
                        format!(
                            "{}. The next apply blocks the user again and keeps the record of what the block changed, so that destroy still restores exactly that.",
                            capitalize(&undone.join("; "))
                        ),
                        AttributePath::default(),
                    );
                    state.status = Value::Value(status::UNBLOCKED.into());
                }
            }
        }
        Ok(Some(state))
    }

    async fn plan_create(
        &self,
        op: &mut Op<'_>,
        mut planned: UserBlockState,
        _config: &UserBlockState,
    ) -> Result<(UserBlockState, Private), Errors> {
        let meter = Meter::new();
        default_attribute(&mut planned);
        let target = checked(&planned)?;
        if let (Some(Target::Cognito(c)), Ok(ctx)) = (&target, op.ctx()) {
            let cognito = ctx.aws.cognito();
            let errors = cognito::check_pool(&cognito, &meter, &c.pool_id, &c.attribute).await;
            Errors::from(errors).into_result()?;
            self.pool_checks.passed(&c.pool_id, &c.attribute);
        }
        plan_new(&mut planned, target.as_ref());
        meter.log("plan_create");
        let private = BlockPrivate {
            planned_user: target.as_ref().map(Target::user_key),
        };
        Ok((planned, Value::Value(private)))
    }

    async fn plan_update(
        &self,
        op: &mut Op<'_>,
        prior: &UserBlockState,
        mut planned: UserBlockState,
        _config: &UserBlockState,
        _prior_private: Private,
    ) -> Result<Planned<UserBlockState, Private>, Errors> {
        let meter = Meter::new();
        default_attribute(&mut planned);
        let target = checked(&planned)?;
        let replace = replacement_paths(prior, &planned);
        if !replace.is_empty() {
            plan_new(&mut planned, target.as_ref());
            return Ok(Planned {
                state: planned,
                private: Value::Null,
                replace,
            });
        }
        if let (Some(Target::Cognito(c)), Ok(ctx)) = (&target, op.ctx()) {
            if Some(c.attribute.as_str()) != flag_attribute(prior) {
                let cognito = ctx.aws.cognito();
                let errors = cognito::check_pool(&cognito, &meter, &c.pool_id, &c.attribute).await;
                Errors::from(errors).into_result()?;
            }
        }
        plan_kept(&mut planned, prior, target.as_ref());
        meter.log("plan_update");
        Ok(Planned {
            state: planned,
            private: Value::Null,
            replace: Vec::new(),
        })
    }

    async fn plan_destroy(
        &self,
        _op: &mut Op<'_>,
        _prior: &UserBlockState,
    ) -> Result<Private, Errors> {
        // A plain destroy carries no planned user, so it restores.
        Ok(Value::Null)
    }

    async fn create(
        &self,
        op: &mut Op<'_>,
        planned: UserBlockState,
        _private: Private,
    ) -> Result<Applied, Failure<Applied>> {
        let meter = Meter::new();
        let ctx = op.ctx()?;
        let target = known_target(&planned)?;
        let id = target.id();
        let _turn = self.users.lock(&target.user_key()).await;
        let run = Run::new(&meter, &target, &planned);
        let parked = self.handoff.take_for_create(&target.user_key());
        let parked_marker = parked
            .as_ref()
            .and_then(|p| known_str(&p.marker))
            .map(str::to_string);
        let own = parked.as_ref().map(record_of).unwrap_or_default();
        let marker = new_marker();
        let pool_checked = match &target {
            Target::Cognito(c) => self.pool_checks.fresh(&c.pool_id, &c.attribute),
            Target::Iam(_) | Target::IdentityCenter(_) => false,
        };
        let progress = run_block(
            ctx,
            &run,
            &target,
            &marker,
            &own,
            true,
            parked_marker.as_deref(),
            pool_checked,
        )
        .await;
        let now = audit::now_rfc3339();
        let kept_parked = parked.filter(|_| !progress.marker_placed);
        let state = match &kept_parked {
            // The new marker could not be placed: the block it replaces
            // stays, under the new inputs, to be finished in place.
            Some(parked) => {
                let mut state = adopt(parked.clone(), planned.clone());
                flatten_record(&mut state, &target, &progress.record);
                state.status = Value::Value(status::INCOMPLETE.into());
                state
            }
            None => placed_state(planned.clone(), &target, &marker, &progress, now),
        };
        let action = if parked_marker.is_some() {
            "user_block.handover"
        } else {
            "user_block.block"
        };
        let mut details = block_details(&target, &marker, &progress);
        if let Some(old) = &parked_marker {
            details.push(("replaced_marker", old.clone()));
        }
        let failure = failure_text(&progress.errors);
        audit_event(op, action, &id, &state, failure.as_deref(), details).await;
        report_notes(op, &progress.warnings, &id);
        report_others(&progress.others, &id);
        meter.log("create");

        if !progress.changed && kept_parked.is_none() {
            return Err(Failure::Nothing(Errors::from(progress.errors)));
        }
        if failure.is_some() {
            // Saved untainted: the next plan finishes the block in place.
            let kept = text(&state.marker).to_string();
            op.warn(
                format!("Block incomplete: `{id}`"),
                incomplete_detail(&progress, &kept),
                target.user_path(),
            );
        }
        Ok((state, Value::Null))
    }

    async fn update(
        &self,
        op: &mut Op<'_>,
        prior: UserBlockState,
        planned: UserBlockState,
        _private: Private,
    ) -> Result<Applied, Failure<Applied>> {
        let meter = Meter::new();
        let ctx = op.ctx()?;
        let aws = &ctx.aws;
        let target = known_target(&planned)?;
        let id = target.id();
        let _turn = self.users.lock(&target.user_key()).await;
        let run = Run::new(&meter, &target, &planned);
        let marker = text(&prior.marker).to_string();
        let mut record = record_of(&prior);
        let mut state = planned;

        if let Target::Cognito(c) = &target {
            let from = flag_attribute(&prior)
                .unwrap_or(DEFAULT_BLOCK_ATTRIBUTE)
                .to_string();
            if from != c.attribute {
                let previous = known_str(&prior.previous_flag_value);
                let now_previous =
                    cognito::move_flag(&aws.cognito(), &meter, c, &from, &marker, previous)
                        .await
                        .map_err(Errors::from)?;
                state.previous_flag_value = now_previous.clone().map_or(Value::Null, Value::Value);
                record.previous_flag_value = now_previous;
            }
        }

        let reblock = text(&state.status) == status::BLOCKED
            && matches!(text(&prior.status), status::UNBLOCKED | status::INCOMPLETE);
        let mut failed = None;
        if reblock {
            let progress =
                run_block(ctx, &run, &target, &marker, &record, false, None, false).await;
            flatten_record(&mut state, &target, &progress.record);
            let failure = failure_text(&progress.errors);
            if failure.is_some() {
                state.status = Value::Value(status::INCOMPLETE.into());
            }
            let details = block_details(&target, &marker, &progress);
            audit_event(
                op,
                "user_block.block",
                &id,
                &state,
                failure.as_deref(),
                details,
            )
            .await;
            report_notes(op, &progress.warnings, &id);
            failed = failure.map(|_| {
                Error::incomplete(
                    format!("Block incomplete: `{id}`"),
                    incomplete_detail(&progress, &marker),
                )
                .at(target.user_path())
            });
        } else {
            let details = vec![("marker", marker.clone())];
            audit_event(op, "user_block.update", &id, &state, None, details).await;
        }
        meter.log("update");
        match failed {
            Some(error) => Err(Failure::saved((state, Value::Null), error)),
            None => Ok((state, Value::Null)),
        }
    }

    async fn destroy(
        &self,
        op: &mut Op<'_>,
        prior: UserBlockState,
        private: Private,
    ) -> Result<(), Error> {
        let meter = Meter::new();
        let ctx = op.ctx()?;
        let aws = &ctx.aws;
        let Some(target) = target_of(&prior) else {
            return Ok(());
        };
        let id = target.id();
        let user = target.user_key();
        let replaced_by_same_user = private
            .as_ref_option()
            .and_then(|p| p.planned_user.as_deref())
            == Some(user.as_str());
        if replaced_by_same_user
            && !self.handoff.created(&user)
            && text(&prior.status) != status::USER_DELETED
        {
            tracing::info!(block = %id, "replacement of the same user: handing the block over instead of restoring");
            self.handoff.park(&user, prior);
            meter.log("destroy");
            return Ok(());
        }

        let _turn = self.users.lock(&user).await;
        let run = Run::new(&meter, &target, &prior);
        let marker = text(&prior.marker).to_string();
        let record = record_of(&prior);
        let incomplete = text(&prior.status) == status::INCOMPLETE;
        let restored = match &target {
            Target::Cognito(c) => {
                cognito::restore(&aws.cognito(), &run, c, &marker, &record, incomplete).await
            }
            Target::Iam(user) => {
                iam::restore(&aws.iam(), &run, user, &marker, &record, incomplete).await
            }
            Target::IdentityCenter(user) => {
                identity_center::restore(ctx, &run, user, &marker, &record).await
            }
        };
        let failure = failure_text(&restored.errors);
        let details = restore_details(&marker, &restored);
        audit_event(
            op,
            "user_block.restore",
            &id,
            &prior,
            failure.as_deref(),
            details,
        )
        .await;
        report_notes(op, &restored.warnings, &id);
        meter.log("destroy");
        match failure {
            Some(failure) => Err(Error::incomplete(
                format!("Restore incomplete: `{id}`"),
                format!(
                    "Done: {}. Not done: {}. The user stays blocked by marker `{marker}`; run destroy again to finish (restoring is idempotent). Failed: {failure}.",
                    done_text(&restored.done),
                    done_text(&restored.not_done),
                ),
            )
            .at(target.user_path())),
            None => Ok(()),
        }
    }

    fn summary(change: Change<'_, UserBlockState>, _: Option<&ProviderConfig>) -> Option<String> {
        summary::summary(change)
    }

    async fn import(&self, op: &mut Op<'_>, id: &str) -> Result<UserBlockState, Error> {
        let meter = Meter::new();
        let ctx = op.ctx()?;
        let aws = &ctx.aws;
        let ImportId {
            user,
            pool,
            identity_center,
            marker,
        } = parse_id(id)?;
        let wanted = marker.as_deref();
        let (target, marker, blocked, record, recorded) = match pool {
            None if identity_center => {
                let (marker, record, blocked) =
                    identity_center::discover(ctx, &meter, &user, wanted).await?;
                (Target::IdentityCenter(user), marker, blocked, record, true)
            }
            Some(pool) => {
                let (attribute, marker, found, record) =
                    cognito::discover(&aws.cognito(), &meter, &pool, &user, wanted).await?;
                let recorded = record.user_was_enabled.is_some();
                let target = Target::Cognito(CognitoTarget {
                    pool_id: pool,
                    username: user,
                    attribute,
                });
                (target, marker, !found.enabled, record, recorded)
            }
            None => {
                let iam = aws.iam();
                let (marker, found, record) = iam::discover(&iam, &meter, &user, wanted).await?;
                let recorded = IamRecordTags::present(&found, &marker);
                let observed = iam::observed(&found, &marker, &record);
                let blocked =
                    matches!(observed, Observed::User { ref undone, .. } if undone.is_empty());
                (Target::Iam(user), marker, blocked, record, recorded)
            }
        };
        let state = imported_state(&target.id(), &target, &marker, blocked, record);
        meter.log("import");
        if !recorded {
            op.warn(
                format!("Imported block has no restore record: `{id}`"),
                format!("Block `{marker}` was placed by an earlier version of the provider, which kept what it changed (keys, groups, enabled state) only in the state that created it (and in its `user_block.block` audit event). Destroying this imported block removes the marker only: reactivate keys, re-add groups or enable the user by hand as that event lists."),
                AttributePath::default(),
            );
        }
        Ok(state)
    }
}

/// Runs the block steps of the target's kind.
#[allow(clippy::too_many_arguments)]
async fn run_block(
    ctx: &Ctx,
    run: &Run,
    target: &Target,
    marker: &str,
    own: &Record,
    pending: bool,
    take_over: Option<&str>,
    pool_checked: bool,
) -> Progress {
    let aws = &ctx.aws;
    match target {
        Target::Cognito(c) => {
            let cognito = aws.cognito();
            cognito::block(
                &cognito,
                run,
                c,
                marker,
                own,
                pending,
                take_over,
                pool_checked,
            )
            .await
        }
        Target::Iam(user) => {
            iam::block(&aws.iam(), run, user, marker, own, pending, take_over).await
        }
        Target::IdentityCenter(user) => {
            identity_center::block(ctx, run, user, marker, own, pending, take_over).await
        }
    }
}

/// Whether an IAM user carries the record tags of a block.
struct IamRecordTags;

impl IamRecordTags {
    fn present(user: &iam::User, marker: &str) -> bool {
        crate::policy::block::IamRecord::from_tags(&user.tags).contains_key(marker)
    }
}
