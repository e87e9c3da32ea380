//! Revoking a grant: the assignment goes only when this grant still owns it
//! (it is ACTIVE or OVERDUE, not EXPIRED or REVOKED) and no other live lease
//! of the key remains; else the next latest lease is enabled. The destroy
//! half of a replacement by a grant of the same key hands its lease over
//! instead. An EXPIRED or REVOKED grant removes only its own leftovers (its
//! lease and notice), never an assignment it does not own.
//!
//! With `end_sessions_on_revoke` for the permission set, a revoke that
//! removed a USER grant's assignment also denies the user's sessions
//! issued before it (`end_sessions`); a failure there is a warning saying
//! what was done (the access is removed either way), and the audit event
//! records it.
//!
//! Ambiguous means maybe done: after a `DeleteAccountAssignment` that did
//! not report success, the assignment is listed again; while it may still
//! be there the lease is kept (it still removes the access at expiry) and
//! the destroy fails, so the grant stays in state for the next try.

use super::end_sessions::{self, Done};
use super::events::audit_event;
use super::lease::{delete_schedule, is_own, list_leases, update_lease, Lease};
use super::plan::{delete_timeout, key_of, now};
use super::GrantState;
use crate::audit::result;
use crate::error::Error;
use crate::framework::Op;
use crate::policy::grant::Status;
use crate::policy::lease::{
    latest_live, parse_lease_name, parse_rfc3339, reconcile, rfc3339, LeaseMeta, LeaseView,
};
use crate::values::{known_str, text};

/// The current time with sub-second precision (the revoke time of an
/// end-sessions statement is rounded up from it).
fn now_precise() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Revokes the grant of `state`; `successor_key` is the assignment key hash
/// of the grant replacing it, if any; `ends` is the permission set's lock
/// when its revokes end live sessions (a USER grant with
/// `end_sessions_on_revoke`).
pub async fn revoke(
    op: &mut Op<'_>,
    state: &GrantState,
    successor_key: Option<&str>,
    ends: Option<&tokio::sync::Mutex<()>>,
) -> Result<(), Error> {
    let ctx = op.ctx()?;
    let Some(key) = key_of(state) else {
        return Ok(());
    };
    let name = text(&state.schedule_name).to_string();
    let now = now();
    let leases = list_leases(ctx, &key).await?;
    let granted_at = known_str(&state.granted_at);
    let own = leases.iter().find(|lease| is_own(lease, &name, granted_at));
    let others: Vec<&Lease> = leases
        .iter()
        .filter(|l| own.is_none_or(|own| own.view.name != l.view.name))
        .collect();
    let other_live = others.iter().any(|l| l.view.is_live(now));
    // A later run of this grant took the lease over (a replacement with
    // `create_before_destroy`, or a re-run after this one was cut off): the
    // lease and the access are that run's now.
    let taken_over = own.is_none() && leases.iter().any(|l| l.view.name == name);
    let notice = parse_lease_name(&name).map(|parsed| key.notice_name(&parsed.grant_id));
    let expired = known_str(&state.expires_at)
        .and_then(parse_rfc3339)
        .is_some_and(|expires_at| now >= expires_at);
    // Whether the assignment, if there, is this grant's: not after the
    // grant ended (EXPIRED, REVOKED), and not after its lease ran (a lease
    // is deleted once it ran, so an expired grant without its lease ended).
    let owns_assignment = match known_str(&state.status).and_then(Status::parse) {
        Some(Status::Expired | Status::Revoked) => false,
        _ => !(expired && own.is_none()),
    };

    let mut event = audit_event("grant.revoke", state, result::SUCCESS);
    let handover = successor_key == Some(key.hash().as_str()) && !other_live && owns_assignment;
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
        None if owns_assignment && !other_live => {
            let sso = ctx.aws.sso_admin();
            if let Err(failure) = sso
                .delete_account_assignment(&key, delete_timeout(state))
                .await
            {
                let error = failure.into_error();
                // Maybe done: only a listing that no longer has it lets the
                // lease go.
                match sso.is_assigned(&key).await {
                    Ok(false) => {
                        tracing::debug!(%error, "assignment gone after an unclear answer");
                    }
                    listed => {
                        let what = match listed {
                            Ok(_) => "is still assigned".to_string(),
                            Err(e) => format!("may still be assigned (listing it failed: {e})"),
                        };
                        let kept = match own {
                            Some(lease) if lease.view.enabled => format!(
                                "its lease `{name}` is kept and still removes it at `{}`",
                                rfc3339(lease.view.expires_at)
                            ),
                            Some(_) => format!("its lease `{name}` is kept"),
                            None => format!("lease `{name}` is already gone"),
                        };
                        let mut failed = audit_event("grant.revoke", state, result::FAILURE);
                        failed.error =
                            format!("{error} (the access {what}; {kept}; nothing was removed)");
                        op.audit_or_warn(failed, "failed revoke").await;
                        return Err(Error::incomplete(
                            format!("Revoke of grant `{name}` not finished"),
                            format!("{error}. The access {what}; {kept}; nothing was removed. Run `terraform destroy` (or the apply) again."),
                        ));
                    }
                }
            }
            if own.is_some() {
                delete_schedule(ctx, &name).await?;
            }
            // Leftovers of the key: leases handed over by a replaced grant
            // and leases of runs that died; with the assignment gone they
            // would only remove a later grant's access early.
            for lease in others
                .iter()
                .filter(|l| l.view.retired || l.view.is_abandoned(now))
            {
                delete_schedule(ctx, &lease.view.name).await?;
            }
            event
                .details
                .insert("assignment".to_string(), "removed".to_string());
            if let Some(lock) = ends {
                let _guard = lock.lock().await;
                let mut done = Done::default();
                let revoked_at = now_precise();
                match end_sessions::update(ctx, state, Some(revoked_at), revoked_at, &mut done)
                    .await
                {
                    Ok(()) if done.not_configured => {}
                    Ok(()) => {
                        event
                            .details
                            .insert("end_sessions".to_string(), done.describe());
                    }
                    Err(error) => {
                        let what = format!(
                            "the access is removed (no new sign-in), but role sessions already issued may continue until they expire; done: {}",
                            done.describe()
                        );
                        event.details.insert(
                            "end_sessions".to_string(),
                            format!("FAILED: {error}; {what}"),
                        );
                        op.warn(
                            format!("Grant `{name}` revoked, but its live sessions were not ended"),
                            format!("{error}. {what}. To end them now, add the deny by hand or re-provision after fixing the cause; see the emergency-revocation guide."),
                            Default::default(),
                        );
                    }
                }
            }
        }
        None => {
            if other_live {
                let views: Vec<LeaseView> = others.iter().map(|l| l.view.clone()).collect();
                for (lease_name, enable) in reconcile(&views, now) {
                    if let Some(lease) = others.iter().find(|l| l.view.name == lease_name) {
                        update_lease(ctx, lease, enable, &lease.meta).await?;
                    }
                }
                for lease in others
                    .iter()
                    .filter(|l| l.view.is_abandoned(now) && l.view.enabled)
                {
                    update_lease(ctx, lease, false, &lease.meta).await?;
                }
            }
            if own.is_some() {
                delete_schedule(ctx, &name).await?;
            }
            let kept = if taken_over {
                "kept: its lease was rewritten since the grant (taken over by a later run of this grant, or changed outside Terraform)"
            } else if !owns_assignment {
                "not this grant's: left as it is"
            } else {
                "kept for a later grant"
            };
            event
                .details
                .insert("assignment".to_string(), kept.to_string());
            let views: Vec<LeaseView> = others.iter().map(|l| l.view.clone()).collect();
            if let Some(latest) = latest_live(&views, now).filter(|_| owns_assignment) {
                // The revoke does not end the access: say until when, and
                // under which lease, so nobody takes it for ended.
                let until = rfc3339(latest.expires_at);
                event.details.insert(
                    "kept_until".to_string(),
                    format!("{until} (lease {})", latest.name),
                );
                let holder = if taken_over {
                    format!("This grant's lease `{name}` was rewritten since the grant was made (granted at `{}` in state): a later run of this grant from this working directory took it over, or it was changed outside Terraform. Lease `{}` keeps the assignment until `{until}`.", granted_at.unwrap_or("?"), latest.name)
                } else {
                    format!("Another live lease of the same access, `{}` in `{}`, keeps the assignment until `{until}`: a grant of the same principal, permission set and account holds it, in this state or another.", latest.name, ctx.config.schedule_group)
                };
                op.warn(
                    format!("Access continues after the revoke of grant `{name}`"),
                    format!("{holder} If no grant in state holds that lease (an apply killed while confirming it, and not re-run from the same working directory, backend and workspace, leaves one), delete that schedule and then the assignment to end the access now."),
                    Default::default(),
                );
            }
            if let Some(lock) = ends {
                end_sessions::prune(op, lock, state).await;
            }
        }
    }
    // The notice shares the lease's grant id: it is this grant's unless a
    // later run of the same grant took the lease over (and with it the id).
    if let Some(notice) = notice.filter(|_| !taken_over) {
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
