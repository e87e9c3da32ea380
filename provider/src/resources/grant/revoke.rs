//! Revoking a grant: the assignment goes only when no other live lease of
//! the key remains; else the next latest lease is enabled. The destroy half
//! of a replacement by a grant of the same key hands its lease over instead.

use super::events::audit_event;
use super::lease::{delete_schedule, list_leases, update_lease, Lease};
use super::plan::{key_of, now};
use super::GrantState;
use crate::audit::result;
use crate::error::Error;
use crate::framework::Op;
use crate::policy::lease::{parse_lease_name, reconcile, LeaseMeta, LeaseView};
use crate::values::text;

/// Revokes the grant of `state`; `successor_key` is the assignment key hash
/// of the grant replacing it, if any.
pub async fn revoke(
    op: &mut Op<'_>,
    state: &GrantState,
    successor_key: Option<&str>,
) -> Result<(), Error> {
    let ctx = op.ctx()?;
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
            ctx.aws.sso_admin().delete_account_assignment(&key).await?;
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
                op.diags,
            );
        }
    }
    // Revoking never waits on the audit log.
    op.audit_or_warn(event, "revoke").await;
    Ok(())
}
