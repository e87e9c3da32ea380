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
        if parts.is_empty() {
            "nothing to change".to_string()
        } else {
            parts.join("; ")
        }
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
    let session = sso
        .find_permission_set_by_arn(instance, arn)
        .await?
        .session_duration
        .as_deref()
        .and_then(parse_iso8601_duration)
        .unwrap_or(DEFAULT_SESSION);
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
