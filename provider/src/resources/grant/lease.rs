//! The leases of `jit_grant` in EventBridge Scheduler: reading a schedule
//! as a lease, listing the leases of an assignment key, and writing leases
//! and expiry notices in the provider's `schedule_group`. Names,
//! expressions and bookkeeping are pure, in [`crate::policy::lease`]; the
//! AWS calls are in `aws::scheduler`.

use tf_provider::AttributePath;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::aws::scheduler::{Schedule, ScheduleTarget};
use crate::context::Ctx;
use crate::error::Error;
use crate::policy::lease::{
    at_expression, parse_at_expression, AssignmentKey, LeaseMeta, LeaseView,
    DELETE_ASSIGNMENT_TARGET, LEASE_TIMEZONE, RETRY_MAX_ATTEMPTS, RETRY_MAX_EVENT_AGE_SECONDS,
};

/// One lease as stored in Scheduler.
#[derive(Debug, Clone)]
pub struct Lease {
    /// Name, expiry and state.
    pub view: LeaseView,
    /// What the lease remembers about its grant.
    pub meta: LeaseMeta,
    /// The assignment its target deletes.
    pub key: AssignmentKey,
    schedule: Schedule,
}

impl Lease {
    /// Reads a schedule as a lease; `None` when it is not one of ours.
    pub fn from_schedule(schedule: Schedule) -> Option<Self> {
        if schedule.target.arn != DELETE_ASSIGNMENT_TARGET {
            return None;
        }
        let key = AssignmentKey::from_input(schedule.target.input.as_deref()?)?;
        let meta = LeaseMeta::from_description(schedule.description.as_deref()?)?;
        let expires_at = parse_at_expression(&schedule.expression)?;
        Some(Self {
            view: LeaseView {
                name: schedule.name.clone(),
                expires_at,
                enabled: schedule.enabled,
                retired: meta.retired,
                pending_until: meta.pending_deadline(),
            },
            meta,
            key,
            schedule,
        })
    }

    /// True when the schedule still says what this grant created: the same
    /// assignment and expiry, in UTC.
    pub fn matches(&self, key: &AssignmentKey, expires_at: OffsetDateTime) -> bool {
        self.key == *key
            && self.view.expires_at == expires_at
            && self
                .schedule
                .timezone
                .as_deref()
                .is_none_or(|tz| tz == LEASE_TIMEZONE)
    }
}

/// Whether this lease is the one a grant in state created: the same name
/// and, when both are known, the same grant time (a lease adopted by a
/// later run of the same grant carries that run's time).
pub fn is_own(lease: &Lease, name: &str, granted_at: Option<&str>) -> bool {
    lease.view.name == name
        && match granted_at {
            Some(granted_at) if !lease.meta.granted_at.is_empty() => {
                lease.meta.granted_at == granted_at
            }
            _ => true,
        }
}

/// Creates the schedule group when it does not exist (once per process).
pub async fn ensure_group(ctx: &Ctx, ready: &OnceCell<()>) -> Result<(), Error> {
    ready
        .get_or_try_init(|| async {
            ctx.aws
                .scheduler()
                .ensure_schedule_group(&ctx.config.schedule_group)
                .await
        })
        .await
        .map(|_| ())
}

/// The lease of this name, or `None` when there is no such schedule or it
/// is not a lease.
pub async fn find_lease(ctx: &Ctx, name: &str) -> Result<Option<Lease>, Error> {
    Ok(find_schedule(ctx, name)
        .await?
        .and_then(Lease::from_schedule))
}

/// The schedule of this name in the schedule group.
pub async fn find_schedule(ctx: &Ctx, name: &str) -> Result<Option<Schedule>, Error> {
    ctx.aws
        .scheduler()
        .find_schedule(&ctx.config.schedule_group, name)
        .await
}

/// Every lease of an assignment key in the schedule group, from any
/// workspace (found by name prefix, confirmed by the target's input).
pub async fn list_leases(ctx: &Ctx, key: &AssignmentKey) -> Result<Vec<Lease>, Error> {
    let names = ctx
        .aws
        .scheduler()
        .list_schedule_names(&ctx.config.schedule_group, &key.lease_prefix())
        .await?;
    let mut leases = Vec::new();
    for name in names {
        if let Some(lease) = find_lease(ctx, &name)
            .await?
            .filter(|lease| lease.key == *key)
        {
            leases.push(lease);
        }
    }
    Ok(leases)
}

/// The role Scheduler assumes: `revoker_role_arn`, required for leases.
pub fn revoker_role(ctx: &Ctx) -> Result<&str, Error> {
    ctx.config.revoker_role_arn.as_deref().ok_or_else(|| {
        Error::invalid(
            AttributePath::default(),
            "No revoker role for grant expiry",
            "Set `revoker_role_arn` in the provider block: EventBridge Scheduler assumes this role to remove the assignment at expiry. Data source `jit_revoker_role_policy` gives its least-privilege policies.",
        )
    })
}

/// A one-time schedule at expiry, in UTC, deleted by Scheduler after it ran;
/// its target retries for as long as Scheduler allows.
fn one_time(
    ctx: &Ctx,
    name: &str,
    description: String,
    expires_at: OffsetDateTime,
    target_arn: &str,
    input: String,
    enabled: bool,
) -> Result<Schedule, Error> {
    Ok(Schedule {
        name: name.to_string(),
        description: Some(description),
        expression: at_expression(expires_at),
        timezone: Some(LEASE_TIMEZONE.to_string()),
        enabled,
        target: ScheduleTarget {
            arn: target_arn.to_string(),
            role_arn: revoker_role(ctx)?.to_string(),
            input: Some(input),
            max_event_age_seconds: Some(RETRY_MAX_EVENT_AGE_SECONDS),
            max_retry_attempts: Some(RETRY_MAX_ATTEMPTS),
            dead_letter_arn: ctx.config.expiry_dead_letter_queue_arn.clone(),
        },
        flexible_window_minutes: None,
        delete_after_completion: true,
    })
}

/// The lease schedule of one grant: at expiry its target deletes the
/// assignment.
pub fn lease_schedule(
    ctx: &Ctx,
    name: &str,
    key: &AssignmentKey,
    meta: &LeaseMeta,
    expires_at: OffsetDateTime,
    enabled: bool,
) -> Result<Schedule, Error> {
    one_time(
        ctx,
        name,
        meta.to_description(),
        expires_at,
        DELETE_ASSIGNMENT_TARGET,
        key.to_input(),
        enabled,
    )
}

/// Creates a schedule in the schedule group.
pub async fn create_schedule(ctx: &Ctx, schedule: &Schedule) -> Result<(), Error> {
    ctx.aws
        .scheduler()
        .create_schedule(&ctx.config.schedule_group, schedule)
        .await
}

/// Rewrites a schedule in the schedule group with everything in `schedule`.
pub async fn put_schedule(ctx: &Ctx, schedule: &Schedule) -> Result<(), Error> {
    ctx.aws
        .scheduler()
        .update_schedule(&ctx.config.schedule_group, schedule)
        .await
}

/// Rewrites a lease with a new state and description; everything else is
/// sent again as read.
pub async fn update_lease(
    ctx: &Ctx,
    lease: &Lease,
    enabled: bool,
    meta: &LeaseMeta,
) -> Result<(), Error> {
    let schedule = Schedule {
        description: Some(meta.to_description()),
        enabled,
        ..lease.schedule.clone()
    };
    ctx.aws
        .scheduler()
        .update_schedule(&ctx.config.schedule_group, &schedule)
        .await
}

/// Deletes a schedule; one already gone counts as deleted.
pub async fn delete_schedule(ctx: &Ctx, name: &str) -> Result<(), Error> {
    ctx.aws
        .scheduler()
        .delete_schedule(&ctx.config.schedule_group, name)
        .await
}

/// The one-time schedule that publishes the "access expired" message to
/// the notification topic at expiry. A schedule of that name already there
/// (the answer to an earlier attempt was lost, or an unfinished run of the
/// same grant wrote it) is rewritten with this content.
pub async fn create_notice(
    ctx: &Ctx,
    name: &str,
    topic_arn: &str,
    description: String,
    message: String,
    expires_at: OffsetDateTime,
) -> Result<(), Error> {
    let schedule = one_time(ctx, name, description, expires_at, topic_arn, message, true)?;
    match create_schedule(ctx, &schedule).await {
        Err(error) if crate::aws::scheduler::already_exists(&error) => {
            match find_schedule(ctx, name).await? {
                Some(found) if found == schedule => Ok(()),
                Some(found) if found.target.arn == topic_arn => put_schedule(ctx, &schedule).await,
                _ => Err(error),
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn key() -> AssignmentKey {
        AssignmentKey::new(
            "arn:aws:sso:::instance/ssoins-1",
            "123456789012",
            "ps",
            "USER",
            "u-1",
        )
    }

    fn schedule(target_arn: &str, description: &str, expression: &str) -> Schedule {
        Schedule {
            name: key().lease_name("0123456789abcdef"),
            description: Some(description.to_string()),
            expression: expression.to_string(),
            timezone: Some("UTC".to_string()),
            enabled: false,
            target: ScheduleTarget {
                arn: target_arn.to_string(),
                role_arn: "arn:aws:iam::123456789012:role/r".to_string(),
                input: Some(key().to_input()),
                ..ScheduleTarget::default()
            },
            flexible_window_minutes: None,
            delete_after_completion: true,
        }
    }

    #[test]
    fn schedules_are_read_as_leases_only_when_they_are_ours() {
        let meta = LeaseMeta {
            grant: "0123456789abcdef".into(),
            duration: "1h".into(),
            pending_until: "2024-05-01T12:10:00Z".into(),
            ..LeaseMeta::default()
        };
        let lease = Lease::from_schedule(schedule(
            DELETE_ASSIGNMENT_TARGET,
            &meta.to_description(),
            "at(2024-05-01T13:00:00)",
        ))
        .unwrap();
        assert_eq!(lease.key, key());
        assert_eq!(lease.meta, meta);
        assert!(!lease.view.enabled);
        assert_eq!(lease.view.expires_at, datetime!(2024-05-01 13:00 UTC));
        assert_eq!(
            lease.view.pending_until,
            Some(datetime!(2024-05-01 12:10 UTC))
        );
        assert!(is_own(&lease, &lease.view.name, Some("anything")));
        assert!(lease.matches(&key(), datetime!(2024-05-01 13:00 UTC)));
        assert!(!lease.matches(&key(), datetime!(2024-05-01 13:00:01 UTC)));

        for (arn, description, expression) in [
            (
                "arn:aws:sns:eu-west-1:123456789012:t",
                meta.to_description(),
                "at(2024-05-01T13:00:00)",
            ),
            (
                DELETE_ASSIGNMENT_TARGET,
                "hand-made".to_string(),
                "at(2024-05-01T13:00:00)",
            ),
            (
                DELETE_ASSIGNMENT_TARGET,
                meta.to_description(),
                "rate(1 hour)",
            ),
        ] {
            assert!(Lease::from_schedule(schedule(arn, &description, expression)).is_none());
        }
        // A lease moved to another time zone no longer matches.
        let mut moved = schedule(
            DELETE_ASSIGNMENT_TARGET,
            &meta.to_description(),
            "at(2024-05-01T13:00:00)",
        );
        moved.timezone = Some("Europe/Paris".into());
        let moved = Lease::from_schedule(moved).unwrap();
        assert!(!moved.matches(&key(), datetime!(2024-05-01 13:00 UTC)));
    }
}
