//! EventBridge Scheduler calls: the schedule group and one-time schedules,
//! as plain [`Schedule`] values. What a lease schedule says (names,
//! expressions, bookkeeping) is decided in [`crate::policy::lease`]; this
//! file only talks to AWS. Each SDK operation is wrapped once, its error
//! mapped by [`aws_error`].

use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, ScheduleState, Target,
};

use super::{aws_error, AwsClients};
use crate::error::{gone_ok, Error};

const SERVICE: &str = "scheduler";

/// AWS error codes of a request Scheduler refused outright: it made no
/// change. Anything else (throttling, 5xx, timeouts, transport errors, a
/// lost answer) may have taken effect.
const REFUSED_CODES: &[&str] = &[
    "ValidationException",
    "AccessDeniedException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredTokenException",
];

/// True when Scheduler definitely refused the request (nothing changed).
pub fn refused(error: &Error) -> bool {
    error
        .aws_code()
        .is_some_and(|code| REFUSED_CODES.contains(&code))
}

/// True when a create failed because a schedule of that name exists.
pub fn already_exists(error: &Error) -> bool {
    error.aws_code() == Some("ConflictException")
}

/// Scheduler operations over the shared client.
#[derive(Debug, Clone, Copy)]
pub struct Scheduler<'a> {
    client: &'a aws_sdk_scheduler::Client,
}

impl AwsClients {
    /// EventBridge Scheduler operations.
    pub fn scheduler(&self) -> Scheduler<'_> {
        Scheduler {
            client: &self.scheduler,
        }
    }
}

/// What a schedule invokes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleTarget {
    /// Target ARN (a universal target or an SNS topic).
    pub arn: String,
    /// The role Scheduler assumes.
    pub role_arn: String,
    /// The input sent to the target.
    pub input: Option<String>,
    /// How long Scheduler retries a failed invocation, in seconds.
    pub max_event_age_seconds: Option<i32>,
    /// How many times Scheduler retries a failed invocation.
    pub max_retry_attempts: Option<i32>,
    /// SQS queue receiving invocations that failed for good.
    pub dead_letter_arn: Option<String>,
}

/// A schedule as Scheduler stores it (the fields this provider uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    /// Name, unique in its group.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Expression, e.g. `at(2024-05-01T13:00:00)`.
    pub expression: String,
    /// Time zone of the expression (`None`: UTC).
    pub timezone: Option<String>,
    /// Enabled or disabled.
    pub enabled: bool,
    /// What it invokes.
    pub target: ScheduleTarget,
    /// Flexible window in minutes; `None` runs at the exact time.
    pub flexible_window_minutes: Option<i32>,
    /// Deleted by Scheduler once it ran.
    pub delete_after_completion: bool,
}

impl Schedule {
    fn from_output(schedule: GetScheduleOutput) -> Option<Self> {
        let target = schedule.target()?;
        Some(Self {
            name: schedule.name()?.to_string(),
            description: schedule.description().map(str::to_string),
            expression: schedule
                .schedule_expression()
                .unwrap_or_default()
                .to_string(),
            timezone: schedule.schedule_expression_timezone().map(str::to_string),
            enabled: schedule.state() == Some(&ScheduleState::Enabled),
            target: ScheduleTarget {
                arn: target.arn().to_string(),
                role_arn: target.role_arn().to_string(),
                input: target.input().map(str::to_string),
                max_event_age_seconds: target
                    .retry_policy()
                    .and_then(|retry| retry.maximum_event_age_in_seconds()),
                max_retry_attempts: target
                    .retry_policy()
                    .and_then(|retry| retry.maximum_retry_attempts()),
                dead_letter_arn: target
                    .dead_letter_config()
                    .and_then(|config| config.arn())
                    .map(str::to_string),
            },
            flexible_window_minutes: schedule
                .flexible_time_window()
                .filter(|window| window.mode() == &FlexibleTimeWindowMode::Flexible)
                .and_then(|window| window.maximum_window_in_minutes()),
            delete_after_completion: schedule.action_after_completion()
                != Some(&ActionAfterCompletion::None),
        })
    }

    fn expand_target(&self) -> Result<Target, Error> {
        let target = &self.target;
        let mut builder = Target::builder()
            .arn(&target.arn)
            .role_arn(&target.role_arn)
            .set_input(target.input.clone());
        if target.max_event_age_seconds.is_some() || target.max_retry_attempts.is_some() {
            builder = builder.retry_policy(
                RetryPolicy::builder()
                    .set_maximum_event_age_in_seconds(target.max_event_age_seconds)
                    .set_maximum_retry_attempts(target.max_retry_attempts)
                    .build(),
            );
        }
        if let Some(queue) = &target.dead_letter_arn {
            builder = builder.dead_letter_config(DeadLetterConfig::builder().arn(queue).build());
        }
        builder.build().map_err(|e| build_error("Target", e))
    }

    fn expand_window(&self) -> Result<FlexibleTimeWindow, Error> {
        let builder = match self.flexible_window_minutes {
            Some(minutes) => FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Flexible)
                .maximum_window_in_minutes(minutes),
            None => FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off),
        };
        builder
            .build()
            .map_err(|e| build_error("FlexibleTimeWindow", e))
    }

    fn state(&self) -> ScheduleState {
        if self.enabled {
            ScheduleState::Enabled
        } else {
            ScheduleState::Disabled
        }
    }

    fn action_after_completion(&self) -> ActionAfterCompletion {
        if self.delete_after_completion {
            ActionAfterCompletion::Delete
        } else {
            ActionAfterCompletion::None
        }
    }
}

fn build_error(what: &str, error: impl std::fmt::Display) -> Error {
    Error::Aws {
        service: SERVICE,
        operation: "CreateSchedule",
        code: None,
        message: format!("cannot build {what}: {error}"),
        request_id: None,
    }
}

/// Sets every field of `schedule` on a `CreateSchedule` or `UpdateSchedule`
/// request (the two take the same fields; their builders share no trait).
macro_rules! with_schedule {
    ($request:expr, $group:expr, $schedule:expr) => {
        $request
            .group_name($group)
            .name(&$schedule.name)
            .set_description($schedule.description.clone())
            .schedule_expression(&$schedule.expression)
            .set_schedule_expression_timezone($schedule.timezone.clone())
            .flexible_time_window($schedule.expand_window()?)
            .target($schedule.expand_target()?)
            .state($schedule.state())
            .action_after_completion($schedule.action_after_completion())
    };
}

impl Scheduler<'_> {
    /// Creates the schedule group when it does not exist; one created
    /// meanwhile by another run is fine.
    pub async fn ensure_schedule_group(&self, group: &str) -> Result<(), Error> {
        let found = self
            .client
            .get_schedule_group()
            .name(group)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "GetScheduleGroup", e));
        match found {
            Ok(_) => return Ok(()),
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error),
        }
        let created = self
            .client
            .create_schedule_group()
            .name(group)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "CreateScheduleGroup", e));
        match created {
            Err(error) if error.aws_code() != Some("ConflictException") => Err(error),
            _ => Ok(()),
        }
    }

    /// The schedule, or `None` when it does not exist (or is not a schedule
    /// this provider could have written: no name or no target).
    pub async fn find_schedule(&self, group: &str, name: &str) -> Result<Option<Schedule>, Error> {
        let result = self
            .client
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "GetSchedule", e));
        match result {
            Ok(output) => Ok(Schedule::from_output(output)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Names of the schedules in `group` that start with `prefix`; none
    /// when the group does not exist yet.
    pub async fn list_schedule_names(
        &self,
        group: &str,
        prefix: &str,
    ) -> Result<Vec<String>, Error> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let result = self
                .client
                .list_schedules()
                .group_name(group)
                .name_prefix(prefix)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| aws_error(SERVICE, "ListSchedules", e));
            let page = match result {
                Ok(page) => page,
                Err(error) if error.is_not_found() => return Ok(Vec::new()),
                Err(error) => return Err(error),
            };
            names.extend(
                page.schedules()
                    .iter()
                    .filter_map(|summary| summary.name())
                    .filter(|name| name.starts_with(prefix))
                    .map(str::to_string),
            );
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(names),
            }
        }
    }

    /// Creates a schedule in `group`.
    pub async fn create_schedule(&self, group: &str, schedule: &Schedule) -> Result<(), Error> {
        let request = self.client.create_schedule();
        with_schedule!(request, group, schedule)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(SERVICE, "CreateSchedule", e))
    }

    /// Rewrites a schedule. `UpdateSchedule` replaces the whole schedule, so
    /// `schedule` must carry everything, as read and then changed.
    pub async fn update_schedule(&self, group: &str, schedule: &Schedule) -> Result<(), Error> {
        let request = self.client.update_schedule();
        with_schedule!(request, group, schedule)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(SERVICE, "UpdateSchedule", e))
    }

    /// Deletes a schedule; one already gone counts as deleted.
    pub async fn delete_schedule(&self, group: &str, name: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_schedule()
                .group_name(group)
                .name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error(SERVICE, "DeleteSchedule", e)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            name: "jit-0123456789abcdef-fedcba9876543210".into(),
            description: Some("jit_grant lease {}".into()),
            expression: "at(2024-05-01T13:00:00)".into(),
            timezone: Some("UTC".into()),
            enabled: false,
            target: ScheduleTarget {
                arn: "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment".into(),
                role_arn: "arn:aws:iam::123456789012:role/r".into(),
                input: Some("{}".into()),
                max_event_age_seconds: Some(86_400),
                max_retry_attempts: Some(185),
                dead_letter_arn: Some("arn:aws:sqs:eu-west-1:123456789012:dlq".into()),
            },
            flexible_window_minutes: None,
            delete_after_completion: true,
        }
    }

    #[test]
    fn a_schedule_reads_back_as_written() {
        let written = schedule();
        let output = GetScheduleOutput::builder()
            .name(&written.name)
            .set_description(written.description.clone())
            .schedule_expression(&written.expression)
            .set_schedule_expression_timezone(written.timezone.clone())
            .flexible_time_window(written.expand_window().unwrap())
            .target(written.expand_target().unwrap())
            .state(written.state())
            .action_after_completion(written.action_after_completion())
            .build();
        assert_eq!(Schedule::from_output(output), Some(written));
    }

    #[test]
    fn windows_states_and_completion_follow_the_fields() {
        let mut flexible = schedule();
        flexible.flexible_window_minutes = Some(15);
        flexible.enabled = true;
        flexible.delete_after_completion = false;
        let window = flexible.expand_window().unwrap();
        assert_eq!(window.mode(), &FlexibleTimeWindowMode::Flexible);
        assert_eq!(window.maximum_window_in_minutes(), Some(15));
        assert_eq!(flexible.state(), ScheduleState::Enabled);
        assert_eq!(
            flexible.action_after_completion(),
            ActionAfterCompletion::None
        );
        let bare = Schedule {
            target: ScheduleTarget {
                arn: "arn:aws:sns:eu-west-1:123456789012:t".into(),
                role_arn: "arn:aws:iam::123456789012:role/r".into(),
                ..ScheduleTarget::default()
            },
            ..schedule()
        };
        let target = bare.expand_target().unwrap();
        assert!(target.retry_policy().is_none() && target.dead_letter_config().is_none());
        // Without a name or target it is not a schedule we could have written.
        assert_eq!(
            Schedule::from_output(GetScheduleOutput::builder().name("x").build()),
            None
        );
    }
}
