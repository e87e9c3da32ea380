//! `end_sessions_on_revoke`: after a revoke removed a USER grant's
//! assignment, deny the user's sessions in that account issued before the
//! revoke (a statement of `policy::session_deny` in the permission set's
//! inline policy) and provision the permission set to the account; on every
//! grant and revoke of such a permission set, prune the statements no live
//! session can match any more. The document editing is
//! `policy::session_deny`'s, shared with `jit_user_block`'s Identity Center
//! kind: other statements are kept and the limits are checked.

use std::time::Duration;

use time::OffsetDateTime;

use super::GrantState;
use crate::aws::wait::retry_when;
use crate::context::Ctx;
use crate::error::Error;
use crate::framework::Op;
use crate::policy::grant::parse_iso8601_duration;
use crate::policy::session_deny::{check_limits, EndSessions, InlinePolicy};
use crate::values::text;

/// How long a provisioning refused because another one of the account runs
/// (`ConflictException`) is retried.
const PROVISION_RETRY_FOR: Duration = Duration::from_secs(20);
/// Identity Center's session duration when a permission set names none.
const DEFAULT_SESSION: Duration = Duration::from_secs(3600);

/// What one update did, for the audit event and the messages.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// The statement added, when one was.
    pub added: Option<EndSessions>,
    /// Statements pruned.
    pub pruned: usize,
    /// The inline policy was written.
    pub written: bool,
    /// The permission set was provisioned to the grant's account.
    pub provisioned: bool,
    /// The grant policy does not set `end_sessions_on_revoke` for the
    /// permission set (found by name once its ARN was described): nothing
    /// was read or written beyond that description.
    pub not_configured: bool,
}

impl Done {
    /// One line for the audit event's details.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(added) = &self.added {
            parts.push(format!(
                "sessions of the user in account {} issued before {} denied ({})",
                added.account,
                added.before,
                added.sid()
            ));
        }
        if self.pruned > 0 {
            parts.push(format!(
                "{} expired end-sessions statement(s) pruned",
                self.pruned
            ));
        }
        if self.provisioned {
            parts.push("permission set provisioned to the account".to_string());
        } else if self.written {
            parts.push("goes live with the permission set's next provisioning".to_string());
        }
        if self.not_configured {
            parts.push("`end_sessions_on_revoke` is not set for the permission set".to_string());
        }
        if parts.is_empty() {
            "nothing to change".to_string()
        } else {
            parts.join("; ")
        }
    }
}

/// Whether a grant of `state` may end sessions at its revoke: a USER grant
/// whose permission set is named with the option, or given by ARN while
/// some permission set has it (`update` then checks the name).
pub fn may_apply(ctx: &Ctx, state: &GrantState) -> bool {
    let policy = &ctx.config.grant_policy;
    let set = text(&state.permission_set);
    text(&state.principal_type) == "USER"
        && (policy.ends_sessions(set) || (set.starts_with("arn:") && policy.any_ends_sessions()))
}

/// Prunes the expired statements of the grant's permission set (a grant or
/// a revoke that did not remove an assignment); a failure is a warning:
/// the statements match no live session, they only take room.
pub async fn prune(op: &mut Op<'_>, lock: &tokio::sync::Mutex<()>, state: &GrantState) {
    let Ok(ctx) = op.ctx() else {
        return;
    };
    let _guard = lock.lock().await;
    let mut done = Done::default();
    let now = OffsetDateTime::now_utc();
    if let Err(error) = update(ctx, state, None, now, &mut done).await {
        op.warn(
            format!(
                "Expired end-sessions statements of `{}` not pruned",
                text(&state.permission_set)
            ),
            format!("{error}. They deny only sessions that have ended and are pruned on the next grant or revoke of this permission set; they take room in its inline policy until then."),
            Default::default(),
        );
    }
}

/// Updates the inline policy of the grant's permission set: adds the
/// statement for the grant's user and account when `revoked_at` is given
/// (then provisions the permission set to that account), and prunes the
/// expired statements. `done` tells, also on error, what was done.
pub async fn update(
    ctx: &Ctx,
    state: &GrantState,
    revoked_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    done: &mut Done,
) -> Result<(), Error> {
    let instance = text(&state.instance_arn);
    let arn = text(&state.permission_set_arn);
    let account = text(&state.account_id);
    let user = text(&state.principal_id);
    let sso = ctx.aws.sso_admin();
    let set = sso.find_permission_set_by_arn(instance, arn).await?;
    if !ctx.config.grant_policy.ends_sessions(&set.name) {
        done.not_configured = true;
        return Ok(());
    }
    // The set's duration may have been shortened since a session was
    // issued: a statement lives at least as long as the longest session
    // the grant policy allows.
    let session = set
        .session_duration
        .as_deref()
        .and_then(parse_iso8601_duration)
        .unwrap_or(DEFAULT_SESSION)
        .max(ctx.config.grant_policy.max_session_duration);
    let found = sso.find_inline_policy(instance, arn).await?;
    let policy = InlinePolicy::parse(found.as_deref())
        .map_err(|problem| Error::incomplete("Inline policy not changed", problem.to_string()))?;
    let mut changed = policy.clone();
    if let Some(revoked_at) = revoked_at {
        let entry = EndSessions::at(user, account, revoked_at);
        changed.end_sessions(entry.clone());
        done.added = Some(entry);
    }
    done.pruned = changed.prune_end_sessions(now, session);
    if changed == policy {
        return Ok(());
    }
    match changed.render() {
        Some(document) => {
            check_limits(&document).map_err(|problem| {
                Error::incomplete("Inline policy too large", problem.to_string())
            })?;
            sso.put_inline_policy(instance, arn, &document).await?;
        }
        None => sso.delete_inline_policy(instance, arn).await?,
    }
    done.written = true;
    if revoked_at.is_some() {
        retry_when(
            PROVISION_RETRY_FOR,
            |error| error.aws_code() == Some("ConflictException"),
            || sso.provision_permission_set(instance, arn, account),
        )
        .await?;
        done.provisioned = true;
    }
    Ok(())
}
