//! `data "jit_revoker_role_policy"`: the trust and permission policies of
//! the role EventBridge Scheduler assumes to end grants (`revoker_role_arn`),
//! least-privilege by construction: only Scheduler, only for our schedule
//! group, may assume it, and it may only do what the lease schedules' targets
//! do: delete account assignments (plus publish expiry notices to one topic,
//! and deliver failed expiries to the dead-letter queue). The permissions come
//! from the action table ([`crate::policy::actions`]).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tf_provider::schema::Schema;
use tf_provider::value::Value;

use crate::error::{attr, Error};
use crate::framework::{DataSourceType, Errors, Op};
use crate::inputs::identity_center::check_account_id;
use crate::policy::arn::{check_arn, is_schedule_group_name};
use crate::policy::ci_role::{revoker_policy, RoleScope};
use crate::schema::*;
use crate::values::known_str;

/// Data source state.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct RevokerRolePolicyState {
    /// Account that owns the schedule group.
    pub account_id: Value<String>,
    /// Queue failed expiries are delivered to.
    pub expiry_dead_letter_queue_arn: Value<String>,
    /// ARN of the schedule group.
    pub id: Value<String>,
    /// Identity Center instance whose assignments may be deleted.
    pub identity_center_instance_arn: Value<String>,
    /// Topic expiry notices are published to.
    pub notification_topic_arn: Value<String>,
    /// Permission policy JSON.
    pub permission_policy_json: Value<String>,
    /// Region of the schedule group.
    pub region: Value<String>,
    /// Schedule group name.
    pub schedule_group: Value<String>,
    /// Trust policy JSON.
    pub trust_policy_json: Value<String>,
}

/// The data source.
#[derive(Debug, Default)]
pub struct RevokerRolePolicy;

/// Validated inputs of the two policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokerInputs {
    /// 12 digits.
    pub account_id: String,
    /// e.g. `eu-west-1`.
    pub region: String,
    /// Schedule group name.
    pub schedule_group: String,
    /// Instance ARN, or `None` for every instance of the account.
    pub instance_arn: Option<String>,
    /// Notification topic, when expiry notices are scheduled.
    pub topic_arn: Option<String>,
    /// Dead-letter queue of the leases, when set.
    pub dead_letter_queue_arn: Option<String>,
}

#[async_trait]
impl DataSourceType for RevokerRolePolicy {
    type State = RevokerRolePolicyState;
    const NAME: &'static str = "revoker_role_policy";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "The trust policy and permission policy of the revoker role (`revoker_role_arn`) that EventBridge Scheduler assumes to end `jit_grant` access at expiry. Only `scheduler.amazonaws.com` may assume it, and only on behalf of the grants' schedule group (`aws:SourceAccount`, `aws:SourceArn`); it may only delete account assignments, plus publish the expiry notice to the notification topic and deliver failed expiries to the dead-letter queue when those are set. Pure: no AWS call unless the Identity Center instance must be discovered.",
                [
                    ("account_id", required_str("Account id (12 digits) that owns the schedule group.")),
                    ("expiry_dead_letter_queue_arn", optional_computed_str("SQS queue failed expiries are delivered to; adds `sqs:SendMessage` on it (Scheduler delivers with this role). Default: the provider's `expiry_dead_letter_queue_arn`.")),
                    ("id", computed_str("ARN of the schedule group, the `aws:SourceArn` of the trust policy.")),
                    ("identity_center_instance_arn", optional_computed_str("Identity Center instance whose assignments the role may delete. Default: the provider's `identity_center_instance_arn`, else the discovered instance.")),
                    ("notification_topic_arn", optional_computed_str("SNS topic the expiry notices go to; adds `sns:Publish` on it. Default: the provider's `notification_topic_arn`.")),
                    ("permission_policy_json", computed_str("The role's permission policy: `sso:DeleteAccountAssignment` on the instance, its permission sets and the accounts (and `sns:Publish` on the topic, `sqs:SendMessage` on the dead-letter queue).")),
                    ("region", optional_computed_str("Region of the schedule group. Default: the provider's region.")),
                    ("schedule_group", optional_computed_str("Schedule group of the leases. Default: the provider's `schedule_group` (`jit-grants`).")),
                    ("trust_policy_json", computed_str("The role's trust policy: `sts:AssumeRole` for `scheduler.amazonaws.com` with `aws:SourceAccount` and `aws:SourceArn` of the schedule group.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &RevokerRolePolicyState) -> Result<(), Errors> {
        check(config)
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        mut config: RevokerRolePolicyState,
    ) -> Result<RevokerRolePolicyState, Errors> {
        let ctx = op.ctx()?;
        check(&config)?;
        let Some(account_id) = known_str(&config.account_id).map(str::to_string) else {
            config.id = Value::Unknown;
            config.trust_policy_json = Value::Unknown;
            config.permission_policy_json = Value::Unknown;
            return Ok(config);
        };
        let Some(region) = known_str(&config.region)
            .map(str::to_string)
            .or_else(|| ctx.aws.region.clone())
        else {
            return Err(Error::invalid(
                attr("region"),
                "No region for the schedule group",
                "Set `region`, or a region in the provider block.",
            )
            .into());
        };
        let schedule_group = known_str(&config.schedule_group)
            .map(str::to_string)
            .unwrap_or_else(|| ctx.config.schedule_group.clone());
        let instance_arn = match known_str(&config.identity_center_instance_arn) {
            Some(arn) => arn.to_string(),
            None => ctx.identity_center().await?.instance_arn.clone(),
        };
        let topic_arn = known_str(&config.notification_topic_arn)
            .map(str::to_string)
            .or_else(|| ctx.config.notification_topic_arn.clone());
        let dead_letter_queue_arn = known_str(&config.expiry_dead_letter_queue_arn)
            .map(str::to_string)
            .or_else(|| ctx.config.expiry_dead_letter_queue_arn.clone());
        let inputs = RevokerInputs {
            account_id,
            region,
            schedule_group,
            instance_arn: Some(instance_arn),
            topic_arn,
            dead_letter_queue_arn,
        };
        let permission = permission_policy(&inputs)?;
        config.id = Value::Value(schedule_group_arn(&inputs));
        config.trust_policy_json = Value::Value(trust_policy(&inputs));
        config.permission_policy_json = Value::Value(permission);
        config.region = Value::Value(inputs.region);
        config.schedule_group = Value::Value(inputs.schedule_group);
        config.identity_center_instance_arn = inputs.instance_arn.map_or(Value::Null, Value::Value);
        config.notification_topic_arn = inputs.topic_arn.map_or(Value::Null, Value::Value);
        config.expiry_dead_letter_queue_arn = inputs
            .dead_letter_queue_arn
            .map_or(Value::Null, Value::Value);
        Ok(config)
    }
}

fn check(state: &RevokerRolePolicyState) -> Result<(), Errors> {
    let mut errors = Errors::default();
    errors.check(check_account_id(&state.account_id));
    if let Some(group) = known_str(&state.schedule_group) {
        if !is_schedule_group_name(group) {
            errors.push(Error::invalid(
                attr("schedule_group"),
                "Invalid schedule group name",
                format!("`{group}` must be 1 to 64 letters, digits, `-`, `_` or `.`."),
            ));
        }
    }
    for (name, service, value) in [
        (
            "identity_center_instance_arn",
            "sso",
            &state.identity_center_instance_arn,
        ),
        (
            "notification_topic_arn",
            "sns",
            &state.notification_topic_arn,
        ),
        (
            "expiry_dead_letter_queue_arn",
            "sqs",
            &state.expiry_dead_letter_queue_arn,
        ),
    ] {
        if let Some(arn) = known_str(value) {
            if let Err(problem) = check_arn(arn, service) {
                errors.push(Error::invalid(
                    attr(name),
                    format!("Malformed ARN in `{name}`"),
                    format!("`{arn}` {problem}."),
                ));
            }
        }
    }
    errors.into_result()
}

/// The AWS partition of a region.
pub use crate::policy::arn::partition;

/// `arn:<partition>:scheduler:<region>:<account>:schedule-group/<group>`.
pub fn schedule_group_arn(inputs: &RevokerInputs) -> String {
    format!(
        "arn:{}:scheduler:{}:{}:schedule-group/{}",
        partition(&inputs.region),
        inputs.region,
        inputs.account_id,
        inputs.schedule_group
    )
}

/// Only Scheduler, acting for our schedule group in our account.
pub fn trust_policy(inputs: &RevokerInputs) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "SchedulerForJitGrants",
            "Effect": "Allow",
            "Principal": { "Service": "scheduler.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": inputs.account_id,
                    "aws:SourceArn": schedule_group_arn(inputs),
                }
            }
        }]
    })
    .to_string()
}

/// The lease targets' permissions, from the action table: delete
/// assignments of one instance, publish expiry notices to one topic, deliver
/// failed expiries to one queue.
pub fn permission_policy(inputs: &RevokerInputs) -> Result<String, Error> {
    let scope = RoleScope {
        account_id: inputs.account_id.clone(),
        region: Some(inputs.region.clone()),
        instance_arn: inputs.instance_arn.clone(),
        schedule_group: inputs.schedule_group.clone(),
        notification_topic_arn: inputs.topic_arn.clone(),
        dead_letter_queue_arn: inputs.dead_letter_queue_arn.clone(),
        ..RoleScope::default()
    };
    revoker_policy(&scope)
        .map(|document| document.to_json())
        .map_err(|problem| {
            Error::invalid(
                attr("identity_center_instance_arn"),
                "Cannot build the revoker policy",
                problem.hint(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> RevokerInputs {
        RevokerInputs {
            account_id: "123456789012".into(),
            region: "eu-west-1".into(),
            schedule_group: "jit-grants".into(),
            instance_arn: Some("arn:aws:sso:::instance/ssoins-1111111111111111".into()),
            topic_arn: None,
            dead_letter_queue_arn: None,
        }
    }

    #[test]
    fn trust_is_scheduler_for_our_group_only() {
        let trust: serde_json::Value = serde_json::from_str(&trust_policy(&inputs())).unwrap();
        let statements = trust["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        let statement = &statements[0];
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(statement["Action"], "sts:AssumeRole");
        assert_eq!(
            statement["Principal"],
            json!({"Service": "scheduler.amazonaws.com"})
        );
        assert_eq!(
            statement["Condition"]["StringEquals"]["aws:SourceArn"],
            "arn:aws:scheduler:eu-west-1:123456789012:schedule-group/jit-grants"
        );
        assert_eq!(
            statement["Condition"]["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
    }

    #[test]
    fn permissions_are_what_the_lease_targets_do() {
        let policy: serde_json::Value =
            serde_json::from_str(&permission_policy(&inputs()).unwrap()).unwrap();
        let actions: Vec<String> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Action"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(actions, ["sso:DeleteAccountAssignment"]);
        let text = policy.to_string();
        assert!(
            text.contains("permissionSet/ssoins-1111111111111111/*"),
            "{text}"
        );
        assert!(!text.contains("\"*\""), "no wildcard resource: {text}");

        let with_topic = RevokerInputs {
            topic_arn: Some("arn:aws:sns:eu-west-1:123456789012:jit-access".into()),
            instance_arn: None,
            ..inputs()
        };
        let policy = permission_policy(&with_topic).unwrap();
        assert!(policy.contains("sns:Publish"));
        assert!(policy.contains("arn:aws:sns:eu-west-1:123456789012:jit-access"));
        assert!(policy.contains("arn:aws:sso:::instance/*"));
        assert!(!policy.contains("sqs:SendMessage"));
        // A dead-letter queue: Scheduler delivers failed expiries with the
        // role, so it may send to that queue (and only that one).
        let with_queue = RevokerInputs {
            dead_letter_queue_arn: Some("arn:aws:sqs:eu-west-1:123456789012:jit-dlq".into()),
            ..inputs()
        };
        let policy: serde_json::Value =
            serde_json::from_str(&permission_policy(&with_queue).unwrap()).unwrap();
        let queue = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Action"] == "sqs:SendMessage")
            .unwrap();
        assert_eq!(
            queue["Resource"],
            "arn:aws:sqs:eu-west-1:123456789012:jit-dlq"
        );
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        let china = RevokerInputs {
            region: "cn-north-1".into(),
            ..inputs()
        };
        assert!(schedule_group_arn(&china).starts_with("arn:aws-cn:scheduler:cn-north-1:"));
    }

    #[test]
    fn bad_inputs_name_their_attribute() {
        let state = RevokerRolePolicyState {
            account_id: Value::Value("12345".into()),
            schedule_group: Value::Value("bad group".into()),
            notification_topic_arn: Value::Value("arn:aws:sqs:eu-west-1:123456789012:q".into()),
            expiry_dead_letter_queue_arn: Value::Value(
                "arn:aws:sns:eu-west-1:123456789012:t".into(),
            ),
            ..Default::default()
        };
        let paths: Vec<_> = check(&state)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.into_parts(Default::default()).2)
            .collect();
        assert_eq!(
            paths,
            [
                attr("account_id"),
                attr("schedule_group"),
                attr("notification_topic_arn"),
                attr("expiry_dead_letter_queue_arn")
            ]
        );
    }
}
