//! `jit_user_block`: immediate revocation of a Cognito or IAM user, with an
//! exact restore on destroy.
//!
//! - Each block has a **marker** `jit-user-block-<16 hex>`: the name of the
//!   IAM user's inline deny-all policy, or the value written to the Cognito
//!   user's flag attribute. It is placed first and removed last; restore
//!   acts only while it is still in place.
//! - The **record** in state says what the block changed (access keys
//!   deactivated, groups removed; whether the Cognito user was enabled and
//!   what the flag held before), so restore puts back exactly that.
//! - **Drift**: marker gone (policy removed, flag cleared or overwritten)
//!   ⇒ the block is gone from state and the next plan creates it again;
//!   marker there but the block partly undone (user enabled again, a key
//!   active, a group re-added, the policy edited) ⇒ `status = "UNBLOCKED"`
//!   and the next plan re-blocks in place, keeping the record.
//! - **Replacement** of a block of the same user never restores first: see
//!   [`handoff`].

mod cognito;
mod handoff;
mod iam;
mod meter;
mod plan;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::audit::{self, AuditEvent, AuditSink};
use crate::context::{Ctx, Shared};
use crate::error::{report_all, Error};
use crate::schema::*;
use crate::values::{known_str, text, StrList};

use handoff::Handoff;
use meter::Meter;
use plan::*;

/// The Cognito flag attribute used when `block_attribute` is not set.
pub const DEFAULT_BLOCK_ATTRIBUTE: &str = "custom:access_revoked";
/// Prefix of every block marker (IAM policy name, Cognito flag value).
pub const MARKER_PREFIX: &str = "jit-user-block-";
/// Length of a marker: the prefix and 16 hex digits.
pub const MARKER_LEN: usize = MARKER_PREFIX.len() + 16;
/// `resource_type` of audit events.
const AUDIT_RESOURCE: &str = "jit_user_block";

/// Values of `status`.
pub mod status {
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
pub struct CognitoBlock {
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
pub struct IamBlock {
    /// IAM user name.
    pub user_name: Value<String>,
}

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct UserBlockState {
    /// IAM: access keys this block deactivated.
    pub access_keys_deactivated: StrList,
    /// When the block was placed (RFC 3339).
    pub blocked_at: Value<String>,
    /// Who asked for the block.
    pub blocked_by: Value<String>,
    /// Cognito target.
    #[serde(with = "crate::codec::optional_block")]
    pub cognito: Value<CognitoBlock>,
    /// IAM: groups this block removed the user from.
    pub groups_removed: StrList,
    /// IAM target.
    #[serde(with = "crate::codec::optional_block")]
    pub iam: Value<IamBlock>,
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
    /// IAM user id or Cognito `sub` of the blocked user.
    pub user_id: Value<String>,
    /// Cognito: whether the user was enabled before the block.
    pub user_was_enabled: Value<bool>,
}

/// Private state. Only `plan_create` sets it: the destroy half of a
/// replacement receives it and so learns which user the create will block.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct BlockPrivate {
    /// [`Target::user_key`] of the planned block.
    pub planned_user: Option<String>,
}

/// The user a block is about, from known, valid inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Cognito user.
    Cognito(CognitoTarget),
    /// An IAM user name.
    Iam(String),
}

/// A Cognito user and its flag attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoTarget {
    /// User pool id.
    pub pool_id: String,
    /// User name.
    pub username: String,
    /// Flag attribute.
    pub attribute: String,
}

impl Target {
    /// The resource id: `iam:<user_name>` or `cognito:<pool>:<username>`.
    pub fn id(&self) -> String {
        match self {
            Self::Cognito(c) => format!("cognito:{}:{}", c.pool_id, c.username),
            Self::Iam(user) => format!("iam:{user}"),
        }
    }

    /// Identifies the user for "same user?" questions: IAM names are
    /// case-insensitive, and Cognito pools may be; a false match only makes
    /// a replacement hand over instead of restoring, and the create then
    /// checks the immutable user id.
    pub fn user_key(&self) -> String {
        match self {
            Self::Cognito(c) => format!("cognito:{}:{}", c.pool_id, c.username.to_lowercase()),
            Self::Iam(user) => format!("iam:{}", user.to_lowercase()),
        }
    }

    /// The input naming the user, for diagnostics.
    fn user_path(&self) -> AttributePath {
        match self {
            Self::Cognito(_) => cognito_path("username"),
            Self::Iam(_) => iam_path("user_name"),
        }
    }
}

/// What a block changed; restore puts back exactly this.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
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
pub struct Inherited {
    /// Its record.
    pub record: Record,
    /// Its marker (replaced by the new block's).
    pub marker: String,
}

/// Outcome of the block steps.
#[derive(Debug, Default)]
pub struct Progress {
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
pub struct Restored {
    /// Steps done, in order.
    pub done: Vec<String>,
    /// `(summary, detail)` notes for the operator.
    pub warnings: Vec<(String, String)>,
    /// Failures.
    pub errors: Vec<Error>,
}

/// What AWS shows of a block.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
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

/// The resource.
#[derive(Debug, Default)]
pub struct UserBlockResource {
    shared: Shared,
    handoff: Handoff<UserBlockState>,
    pool_checks: cognito::PoolChecks,
}

impl UserBlockResource {
    /// A resource using the provider's shared context.
    pub fn new(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
            handoff: Handoff::default(),
            pool_checks: cognito::PoolChecks::default(),
        }
    }
}

type Private = Value<BlockPrivate>;

#[async_trait]
impl Resource for UserBlockResource {
    type State<'a> = UserBlockState;
    type PrivateState<'a> = Private;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
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
        Some(schema(
            0,
            block(
                "Immediately blocks one Cognito or IAM user, records what it changed, and restores exactly that on destroy. Editing `reason`, `ticket` or `blocked_by` never unblocks the user.",
                [
                    ("access_keys_deactivated", computed_str_list("IAM: access key ids that were active and that this block deactivated; restore reactivates exactly these.")),
                    ("blocked_at", computed_str("When the block was placed (RFC 3339, UTC).")),
                    ("blocked_by", required_str("Who asked for the block, e.g. `secops@example.com`. Recorded in the audit log.")),
                    ("groups_removed", computed_str_list("IAM: groups this block removed the user from; restore re-adds exactly these.")),
                    ("id", computed_str("`iam:<user_name>` or `cognito:<user_pool_id>:<username>`.")),
                    ("marker", computed_str("The block's own marker `jit-user-block-<16 hex>`: the name of the IAM inline policy, or the value written to the Cognito flag attribute. Restore acts only while it is in place.")),
                    ("previous_flag_value", computed_str("Cognito: the flag attribute's value before the block, put back on restore (null: it was empty and is cleared).")),
                    ("reason", required_str("Why the user is blocked. Recorded in the audit log; must not be blank.")),
                    ("status", computed_str("`BLOCKED`; `INCOMPLETE` after a block that failed part-way; `UNBLOCKED` when the block was partly undone outside Terraform (the next apply blocks again); `USER_DELETED` when the user no longer exists.")),
                    ("ticket", optional_str("Incident or change ticket, e.g. `SEC-7`. Recorded in the audit log.")),
                    ("user_id", computed_str("Immutable id of the blocked user: the IAM user id, or the Cognito `sub`.")),
                    ("user_was_enabled", computed_bool("Cognito: whether the user was enabled before the block; restore enables it only then.")),
                ],
                [("cognito", optional_block(cognito)), ("iam", optional_block(iam))],
            ),
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        let (_, errors) = check(&config);
        report_all(errors, diags);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let meter = Meter::new();
        let ctx = match self.shared.get() {
            Ok(ctx) => ctx,
            Err(error) => {
                error.report(diags);
                return Some((state, private_state));
            }
        };
        let (Some(target), marker) = (target_of(&state), text(&state.marker).to_string()) else {
            return Some((state, private_state));
        };
        let record = record_of(&state);
        let observed = match &target {
            Target::Cognito(c) => cognito::observe(ctx, &meter, c, &marker, &record).await,
            Target::Iam(user) => iam::observe(ctx, &meter, user, &marker, &record).await,
        };
        meter.log("read");
        let id = target.id();
        let mut state = state;
        match observed {
            Err(error) => {
                error.report(diags);
                Some((state, private_state))
            }
            Ok(Observed::UserGone) => {
                diags.root_warning(
                    format!("Blocked user no longer exists: `{id}`"),
                    "The user was deleted after the block, so there is nothing left to block or restore. Remove the `jit_user_block` from the configuration; destroying it only forgets it.",
                );
                state.status = Value::Value(status::USER_DELETED.into());
                Some((state, private_state))
            }
            Ok(Observed::User { undone, left, .. }) => {
                if !left {
                    tracing::info!(block = %id, %marker, "the block was fully undone outside Terraform");
                    return None;
                }
                let incomplete = text(&state.status) == status::INCOMPLETE;
                if undone.is_empty() {
                    state.status = Value::Value(status::BLOCKED.into());
                } else if !incomplete {
                    diags.root_warning(
                        format!("Block undone outside Terraform: `{id}`"),
                        format!(
                            "{}. The next apply blocks the user again and keeps the record of what the block changed, so that destroy still restores exactly that.",
                            capitalize(&undone.join("; "))
                        ),
                    );
                    state.status = Value::Value(status::UNBLOCKED.into());
                }
                Some((state, private_state))
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
        let meter = Meter::new();
        let mut planned = proposed_state;
        default_attribute(&mut planned);
        let (target, errors) = check(&planned);
        if !errors.is_empty() {
            report_all(errors, diags);
            return None;
        }
        if let (Some(Target::Cognito(c)), Ok(ctx)) = (&target, self.shared.get()) {
            let errors = cognito::check_pool(ctx, &meter, &c.pool_id, &c.attribute).await;
            if !errors.is_empty() {
                report_all(errors, diags);
                return None;
            }
            self.pool_checks.passed(&c.pool_id, &c.attribute);
        }
        plan_new(&mut planned, target.as_ref());
        meter.log("plan_create");
        let private = BlockPrivate {
            planned_user: target.as_ref().map(Target::user_key),
        };
        Some((planned, Value::Value(private)))
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
        let meter = Meter::new();
        let mut planned = proposed_state;
        default_attribute(&mut planned);
        let (target, errors) = check(&planned);
        if !errors.is_empty() {
            report_all(errors, diags);
            return None;
        }
        let replace = replacement_paths(&prior_state, &planned);
        if !replace.is_empty() {
            plan_new(&mut planned, target.as_ref());
            return Some((planned, Value::Null, replace));
        }
        if let (Some(Target::Cognito(c)), Ok(ctx)) = (&target, self.shared.get()) {
            if Some(c.attribute.as_str()) != flag_attribute(&prior_state) {
                let errors = cognito::check_pool(ctx, &meter, &c.pool_id, &c.attribute).await;
                if !errors.is_empty() {
                    report_all(errors, diags);
                    return None;
                }
            }
        }
        plan_kept(&mut planned, &prior_state, target.as_ref());
        meter.log("plan_update");
        Some((planned, Value::Null, vec![]))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        _prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        // A plain destroy carries no planned user, so it restores.
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
        let meter = Meter::new();
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let target = known_target(&planned_state, diags)?;
        let id = target.id();
        let parked = self.handoff.take_for_create(&target.user_key());
        let inherited = parked.as_ref().and_then(inherited_from);
        let marker = new_marker();
        let pool_checked = match &target {
            Target::Cognito(c) => self.pool_checks.fresh(&c.pool_id, &c.attribute),
            Target::Iam(_) => false,
        };
        let progress = run_block(
            ctx,
            &meter,
            &target,
            &marker,
            inherited.as_ref(),
            pool_checked,
        )
        .await;

        let state = placed_state(
            planned_state.clone(),
            &target,
            &marker,
            &progress,
            audit::now_rfc3339(),
        );
        let action = if inherited.is_some() {
            "user_block.handover"
        } else {
            "user_block.block"
        };
        let mut details = block_details(&target, &marker, &progress);
        if let Some(old) = &inherited {
            details.push(("replaced_marker", old.marker.clone()));
        }
        let failure = failure_text(&progress.errors);
        audit_event(ctx, diags, action, &id, &state, failure.as_deref(), details).await;
        report_notes(&progress.warnings, &id, diags);
        meter.log("create");

        if !progress.marker_placed {
            report_all(progress.errors, diags);
            let parked = parked?;
            diags.error(
                format!("Earlier block kept in place: `{id}`"),
                format!("The new block could not be placed, so the block it replaces (marker `{}`) was left in place: the user stays blocked. Fix the error above and run apply again.", text(&parked.marker)),
                target.user_path(),
            );
            return Some((adopt(parked, planned_state), Value::Null));
        }
        if !progress.errors.is_empty() {
            diags.error(
                format!("Block incomplete: `{id}`"),
                incomplete_detail(&progress.done, &failure.unwrap_or_default(), &marker),
                target.user_path(),
            );
        }
        Some((state, Value::Null))
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
        let meter = Meter::new();
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let Some(target) = known_target(&planned_state, diags) else {
            return Some((prior_state, Value::Null));
        };
        let id = target.id();
        let marker = text(&prior_state.marker).to_string();
        let mut record = record_of(&prior_state);
        let mut state = planned_state;

        if let Target::Cognito(c) = &target {
            let from = flag_attribute(&prior_state)
                .unwrap_or(DEFAULT_BLOCK_ATTRIBUTE)
                .to_string();
            if from != c.attribute {
                let previous = known_str(&prior_state.previous_flag_value);
                match cognito::move_flag(ctx, &meter, c, &from, &marker, previous).await {
                    Ok(now_previous) => {
                        state.previous_flag_value =
                            now_previous.clone().map_or(Value::Null, Value::Value);
                        record.previous_flag_value = now_previous;
                    }
                    Err(errors) => {
                        report_all(errors, diags);
                        return Some((prior_state, Value::Null));
                    }
                }
            }
        }

        let reblock = text(&state.status) == status::BLOCKED
            && matches!(
                text(&prior_state.status),
                status::UNBLOCKED | status::INCOMPLETE
            );
        if reblock {
            let inherited = Inherited {
                record,
                marker: marker.clone(),
            };
            let progress = run_block(ctx, &meter, &target, &marker, Some(&inherited), false).await;
            flatten_record(&mut state, &target, &progress.record);
            let failure = failure_text(&progress.errors);
            if failure.is_some() {
                state.status = prior_state.status.clone();
            }
            let details = block_details(&target, &marker, &progress);
            audit_event(
                ctx,
                diags,
                "user_block.block",
                &id,
                &state,
                failure.as_deref(),
                details,
            )
            .await;
            report_notes(&progress.warnings, &id, diags);
            if let Some(failure) = failure {
                diags.error(
                    format!("Block incomplete: `{id}`"),
                    format!(
                        "Done: {}. Failed: {failure}. Marker `{marker}` is in place; run apply again to finish.",
                        done_text(&progress.done)
                    ),
                    target.user_path(),
                );
            }
        } else {
            let details = vec![("marker", marker.clone())];
            audit_event(ctx, diags, "user_block.update", &id, &state, None, details).await;
        }
        meter.log("update");
        Some((state, Value::Null))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let meter = Meter::new();
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let target = target_of(&prior_state)?;
        let id = target.id();
        let user = target.user_key();
        let replaced_by_same_user = planned_private_state
            .as_ref_option()
            .and_then(|p| p.planned_user.as_deref())
            == Some(user.as_str());
        if replaced_by_same_user
            && !self.handoff.created(&user)
            && text(&prior_state.status) != status::USER_DELETED
        {
            tracing::info!(block = %id, "replacement of the same user: handing the block over instead of restoring");
            self.handoff.park(&user, prior_state);
            meter.log("destroy");
            return Some(());
        }

        let marker = text(&prior_state.marker).to_string();
        let record = record_of(&prior_state);
        let restored = match &target {
            Target::Cognito(c) => {
                cognito::restore(
                    ctx,
                    &meter,
                    c,
                    &marker,
                    record.user_was_enabled == Some(true),
                    record.previous_flag_value.as_deref(),
                )
                .await
            }
            Target::Iam(user) => {
                iam::restore(
                    ctx,
                    &meter,
                    user,
                    &marker,
                    &record.keys_deactivated,
                    &record.groups_removed,
                )
                .await
            }
        };
        let failure = failure_text(&restored.errors);
        let mut details = vec![
            ("marker", marker.clone()),
            ("steps_done", restored.done.join("; ")),
        ];
        if !restored.warnings.is_empty() {
            details.push((
                "notes",
                restored
                    .warnings
                    .iter()
                    .map(|(_, detail)| detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        audit_event(
            ctx,
            diags,
            "user_block.restore",
            &id,
            &prior_state,
            failure.as_deref(),
            details,
        )
        .await;
        report_notes(&restored.warnings, &id, diags);
        meter.log("destroy");
        if let Some(failure) = failure {
            diags.error(
                format!("Restore incomplete: `{id}`"),
                format!(
                    "Done: {}. Failed: {failure}. The user stays blocked by marker `{marker}`; run destroy again to finish (restoring is idempotent).",
                    done_text(&restored.done)
                ),
                target.user_path(),
            );
            return None;
        }
        Some(())
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let meter = Meter::new();
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let (user, pool) = parse_id(&id).map_err(|e| e.report(diags)).ok()?;
        let mut state = UserBlockState {
            id: Value::Value(id.clone()),
            ..Default::default()
        };
        let (target, marker, user_id) = match pool {
            Some(pool) => {
                let (attribute, marker, found) = cognito::discover(ctx, &meter, &pool, &user)
                    .await
                    .map_err(|e| e.report(diags))
                    .ok()?;
                state.cognito = Value::Value(CognitoBlock {
                    block_attribute: Value::Value(attribute.clone()),
                    user_pool_id: Value::Value(pool.clone()),
                    username: Value::Value(user.clone()),
                });
                state.status = Value::Value(
                    if found.enabled {
                        status::UNBLOCKED
                    } else {
                        status::BLOCKED
                    }
                    .into(),
                );
                let target = Target::Cognito(CognitoTarget {
                    pool_id: pool,
                    username: user,
                    attribute,
                });
                (target, marker, found.sub)
            }
            None => {
                let (marker, found) = iam::discover(ctx, &meter, &user)
                    .await
                    .map_err(|e| e.report(diags))
                    .ok()?;
                state.iam = Value::Value(IamBlock {
                    user_name: Value::Value(user.clone()),
                });
                let observed = iam::observe(ctx, &meter, &user, &marker, &Record::default())
                    .await
                    .map_err(|e| e.report(diags))
                    .ok()?;
                let blocked =
                    matches!(observed, Observed::User { ref undone, .. } if undone.is_empty());
                state.status = Value::Value(
                    if blocked {
                        status::BLOCKED
                    } else {
                        status::UNBLOCKED
                    }
                    .into(),
                );
                (Target::Iam(user), marker, found.user_id)
            }
        };
        state.marker = Value::Value(marker.clone());
        let record = Record {
            user_id,
            user_was_enabled: matches!(target, Target::Cognito(_)).then_some(false),
            ..Default::default()
        };
        flatten_record(&mut state, &target, &record);
        meter.log("import");
        diags.root_warning(
            format!("Imported block has no restore record: `{id}`"),
            format!("Which keys, groups or enabled state the block `{marker}` changed is known only to the state that created it (and to its `user_block.block` audit event). Destroying this imported block removes the marker only: reactivate keys, re-add groups or enable the user by hand as that event lists."),
        );
        Some((state, Value::Null))
    }
}

// ---------------------------------------------------------------------------
// AWS steps and reporting.

async fn run_block(
    ctx: &Ctx,
    meter: &Meter,
    target: &Target,
    marker: &str,
    inherited: Option<&Inherited>,
    pool_checked: bool,
) -> Progress {
    match target {
        Target::Cognito(c) => cognito::block(ctx, meter, c, marker, inherited, pool_checked).await,
        Target::Iam(user) => iam::block(ctx, meter, user, marker, inherited).await,
    }
}

fn block_details(
    target: &Target,
    marker: &str,
    progress: &Progress,
) -> Vec<(&'static str, String)> {
    let record = &progress.record;
    let mut details = vec![
        ("marker", marker.to_string()),
        ("steps_done", progress.done.join("; ")),
    ];
    match target {
        Target::Iam(_) => {
            details.push(("access_keys_deactivated", record.keys_deactivated.join(",")));
            details.push(("groups_removed", record.groups_removed.join(",")));
        }
        Target::Cognito(c) => {
            details.push(("block_attribute", c.attribute.clone()));
            details.push((
                "user_was_enabled",
                record.user_was_enabled.unwrap_or(false).to_string(),
            ));
            if let Some(previous) = &record.previous_flag_value {
                details.push(("previous_flag_value", previous.clone()));
            }
        }
    }
    if !progress.took_over.is_empty() {
        details.push(("took_over", progress.took_over.join(",")));
    }
    details
}

/// Writes the audit event (file, SNS). A failure is a warning: a block or a
/// restore never waits on the audit log.
async fn audit_event(
    ctx: &Ctx,
    diags: &mut Diagnostics,
    action: &str,
    id: &str,
    state: &UserBlockState,
    failure: Option<&str>,
    details: Vec<(&'static str, String)>,
) {
    let event = AuditEvent {
        actor: text(&state.blocked_by).to_string(),
        reason: text(&state.reason).to_string(),
        ticket: text(&state.ticket).to_string(),
        result: if failure.is_some() {
            audit::result::FAILURE
        } else {
            audit::result::SUCCESS
        }
        .to_string(),
        error: failure.unwrap_or_default().to_string(),
        details: details
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
        ..AuditSink::event(action, AUDIT_RESOURCE, id)
    };
    if let Err(error) = ctx.audit.write(event).await {
        diags.root_warning(
            format!("Audit event not written: `{id}`"),
            format!("{error}. The {action} itself completed; fix `audit_log_path` or `notification_topic_arn` so that later events are kept."),
        );
    }
}

fn report_notes(notes: &[(String, String)], id: &str, diags: &mut Diagnostics) {
    for (summary, detail) in notes {
        diags.root_warning(format!("{summary}: `{id}`"), capitalize(detail));
    }
}
