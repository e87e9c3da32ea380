//! The AWS side of leases: EventBridge Scheduler schedules in the
//! provider's `schedule_group` (names, expressions and bookkeeping are pure,
//! in [`crate::policy::lease`]).

use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, ScheduleState, Target,
};
use tf_provider::AttributePath;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::aws::aws_error;
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
    schedule: GetScheduleOutput,
}

impl Lease {
    /// Reads a schedule as a lease; `None` when it is not one of ours.
    pub fn from_schedule(schedule: GetScheduleOutput) -> Option<Self> {
        let name = schedule.name()?.to_string();
        let target = schedule.target()?;
        if target.arn() != DELETE_ASSIGNMENT_TARGET {
            return None;
        }
        let key = AssignmentKey::from_input(target.input()?)?;
        let meta = LeaseMeta::from_description(schedule.description()?)?;
        let expires_at = parse_at_expression(schedule.schedule_expression()?)?;
        let enabled = schedule.state() == Some(&ScheduleState::Enabled);
        Some(Self {
            view: LeaseView {
                name,
                expires_at,
                enabled,
                retired: meta.retired,
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
                .schedule_expression_timezone()
                .is_none_or(|tz| tz == LEASE_TIMEZONE)
    }
}

/// Creates the schedule group when it does not exist (once per process).
pub async fn ensure_group(ctx: &Ctx, ready: &OnceCell<()>) -> Result<(), Error> {
    ready
        .get_or_try_init(|| async {
            let group = &ctx.config.schedule_group;
            match ctx
                .aws
                .scheduler
                .get_schedule_group()
                .name(group)
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(error) => {
                    let error = aws_error("scheduler", "GetScheduleGroup", error);
                    if !error.is_not_found() {
                        return Err(error);
                    }
                }
            }
            match ctx
                .aws
                .scheduler
                .create_schedule_group()
                .name(group)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(error) => {
                    let error = aws_error("scheduler", "CreateScheduleGroup", error);
                    // Created meanwhile by another run: fine.
                    if error.aws_code() == Some("ConflictException") {
                        Ok(())
                    } else {
                        Err(error)
                    }
                }
            }
        })
        .await
        .map(|_| ())
}

/// The schedule, or `None` when it does not exist.
pub async fn get_schedule(ctx: &Ctx, name: &str) -> Result<Option<GetScheduleOutput>, Error> {
    match ctx
        .aws
        .scheduler
        .get_schedule()
        .group_name(&ctx.config.schedule_group)
        .name(name)
        .send()
        .await
    {
        Ok(schedule) => Ok(Some(schedule)),
        Err(error) => {
            let error = aws_error("scheduler", "GetSchedule", error);
            if error.is_not_found() {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// Every lease of an assignment key in the schedule group, from any
/// workspace (found by name prefix, confirmed by the target's input).
pub async fn list_leases(ctx: &Ctx, key: &AssignmentKey) -> Result<Vec<Lease>, Error> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = match ctx
            .aws
            .scheduler
            .list_schedules()
            .group_name(&ctx.config.schedule_group)
            .name_prefix(key.lease_prefix())
            .set_next_token(token.take())
            .send()
            .await
        {
            Ok(page) => page,
            Err(error) => {
                let error = aws_error("scheduler", "ListSchedules", error);
                // No group yet: no leases.
                return if error.is_not_found() {
                    Ok(Vec::new())
                } else {
                    Err(error)
                };
            }
        };
        names.extend(
            page.schedules()
                .iter()
                .filter_map(|summary| summary.name())
                .filter(|name| name.starts_with(&key.lease_prefix()))
                .map(str::to_string),
        );
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    let mut leases = Vec::new();
    for name in names {
        if let Some(lease) = get_schedule(ctx, &name)
            .await?
            .and_then(Lease::from_schedule)
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

fn target(ctx: &Ctx, arn: &str, input: String) -> Result<Target, Error> {
    let mut target = Target::builder()
        .arn(arn)
        .role_arn(revoker_role(ctx)?)
        .input(input)
        .retry_policy(
            RetryPolicy::builder()
                .maximum_event_age_in_seconds(RETRY_MAX_EVENT_AGE_SECONDS)
                .maximum_retry_attempts(RETRY_MAX_ATTEMPTS)
                .build(),
        );
    if let Some(queue) = &ctx.config.expiry_dead_letter_queue_arn {
        target = target.dead_letter_config(DeadLetterConfig::builder().arn(queue).build());
    }
    target.build().map_err(|e| build_error("Target", e))
}

fn no_window() -> Result<FlexibleTimeWindow, Error> {
    FlexibleTimeWindow::builder()
        .mode(FlexibleTimeWindowMode::Off)
        .build()
        .map_err(|e| build_error("FlexibleTimeWindow", e))
}

fn build_error(what: &str, error: impl std::fmt::Display) -> Error {
    Error::Aws {
        service: "scheduler",
        operation: "CreateSchedule",
        code: None,
        message: format!("cannot build {what}: {error}"),
        request_id: None,
    }
}

fn state(enabled: bool) -> ScheduleState {
    if enabled {
        ScheduleState::Enabled
    } else {
        ScheduleState::Disabled
    }
}

/// Creates the lease of one grant: at expiry its target deletes the
/// assignment. Deleted by Scheduler after it ran.
pub async fn create_lease(
    ctx: &Ctx,
    name: &str,
    key: &AssignmentKey,
    meta: &LeaseMeta,
    expires_at: OffsetDateTime,
    enabled: bool,
) -> Result<(), Error> {
    ctx.aws
        .scheduler
        .create_schedule()
        .group_name(&ctx.config.schedule_group)
        .name(name)
        .description(meta.to_description())
        .schedule_expression(at_expression(expires_at))
        .schedule_expression_timezone(LEASE_TIMEZONE)
        .flexible_time_window(no_window()?)
        .target(target(ctx, DELETE_ASSIGNMENT_TARGET, key.to_input())?)
        .state(state(enabled))
        .action_after_completion(ActionAfterCompletion::Delete)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("scheduler", "CreateSchedule", e))
}

/// Rewrites a lease with a new state and description. `UpdateSchedule`
/// replaces the whole schedule, so everything else is sent again as read.
pub async fn update_lease(
    ctx: &Ctx,
    lease: &Lease,
    enabled: bool,
    meta: &LeaseMeta,
) -> Result<(), Error> {
    let schedule = &lease.schedule;
    ctx.aws
        .scheduler
        .update_schedule()
        .group_name(&ctx.config.schedule_group)
        .name(&lease.view.name)
        .description(meta.to_description())
        .schedule_expression(schedule.schedule_expression().unwrap_or_default())
        .schedule_expression_timezone(
            schedule
                .schedule_expression_timezone()
                .unwrap_or(LEASE_TIMEZONE),
        )
        .flexible_time_window(match schedule.flexible_time_window() {
            Some(window) => window.clone(),
            None => no_window()?,
        })
        .set_target(schedule.target().cloned())
        .state(state(enabled))
        .action_after_completion(
            schedule
                .action_after_completion()
                .cloned()
                .unwrap_or(ActionAfterCompletion::Delete),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("scheduler", "UpdateSchedule", e))
}

/// Deletes a schedule; one already gone counts as deleted.
pub async fn delete_schedule(ctx: &Ctx, name: &str) -> Result<(), Error> {
    match ctx
        .aws
        .scheduler
        .delete_schedule()
        .group_name(&ctx.config.schedule_group)
        .name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(error) => {
            let error = aws_error("scheduler", "DeleteSchedule", error);
            if error.is_not_found() {
                Ok(())
            } else {
                Err(error)
            }
        }
    }
}

/// The one-time schedule that publishes the "access expired" message to
/// the notification topic at expiry.
pub async fn create_notice(
    ctx: &Ctx,
    name: &str,
    topic_arn: &str,
    description: &str,
    message: String,
    expires_at: OffsetDateTime,
) -> Result<(), Error> {
    ctx.aws
        .scheduler
        .create_schedule()
        .group_name(&ctx.config.schedule_group)
        .name(name)
        .description(description)
        .schedule_expression(at_expression(expires_at))
        .schedule_expression_timezone(LEASE_TIMEZONE)
        .flexible_time_window(no_window()?)
        .target(target(ctx, topic_arn, message)?)
        .state(ScheduleState::Enabled)
        .action_after_completion(ActionAfterCompletion::Delete)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("scheduler", "CreateSchedule", e))
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

    fn schedule(target_arn: &str, description: &str, expression: &str) -> GetScheduleOutput {
        GetScheduleOutput::builder()
            .name(key().lease_name("0123456789abcdef"))
            .description(description)
            .schedule_expression(expression)
            .schedule_expression_timezone("UTC")
            .state(ScheduleState::Disabled)
            .target(
                Target::builder()
                    .arn(target_arn)
                    .role_arn("arn:aws:iam::123456789012:role/r")
                    .input(key().to_input())
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[test]
    fn schedules_are_read_as_leases_only_when_they_are_ours() {
        let meta = LeaseMeta {
            grant: "0123456789abcdef".into(),
            duration: "1h".into(),
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
    }
}
