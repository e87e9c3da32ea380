//! The `jit` provider: its configuration schema, validation and configure,
//! and the registry of resources and data sources.

#[cfg(test)]
mod props;

use std::collections::HashMap;

use async_trait::async_trait;
use tf_provider::schema::Schema;
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

use crate::aws;
use crate::config::{ConfigEnv, ProviderConfig, ProviderConfigState};
use crate::context::{Ctx, Shared};
use crate::data_sources::{
    access_review::AccessReview, ci_role_policy::CiRolePolicy,
    identity_center_group::IdentityCenterGroupLookup,
    identity_center_user::IdentityCenterUserLookup, revoker_role_policy::RevokerRolePolicy,
    role_policy::RolePolicy,
};
use crate::framework::{data_source, resource};
use crate::resources::{
    grant::Grant, iam_env_group::IamEnvGroup, iam_env_user::IamEnvUser,
    identity_center_group::IdentityCenterGroup,
    identity_center_group_membership::IdentityCenterGroupMembership,
    identity_center_user::IdentityCenterUser, user_block::UserBlock,
};
use crate::schema::*;

/// The provider, holding the context its resources share.
#[derive(Default)]
pub struct JitProvider {
    shared: Shared,
}

impl JitProvider {
    /// Validates the block, reporting every problem with its path.
    fn parse(diags: &mut Diagnostics, config: &ProviderConfigState) -> Option<ProviderConfig> {
        match ProviderConfig::parse(config, &ConfigEnv::from_process()) {
            Ok(config) => Some(config),
            Err(errors) => {
                for error in errors {
                    error.report(diags);
                }
                None
            }
        }
    }
}

#[async_trait]
impl Provider for JitProvider {
    type Config<'a> = ProviderConfigState;
    type MetaState<'a> = tf_provider::value::ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(provider_schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        Self::parse(diags, &config).map(|_| ())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        let config = Self::parse(diags, &config)?;
        for warning in &config.warnings {
            diags.warning(
                warning.summary.clone(),
                warning.detail.clone(),
                warning.path.clone(),
            );
        }
        let sdk = aws::load_sdk_config(&config).await;
        if sdk.region().is_none() {
            diags.error(
                "No AWS region",
                "Set `region` in the provider block, or AWS_REGION, or a region in the AWS profile.",
                AttributePath::new("region"),
            );
            return None;
        }
        tracing::debug!(terraform_version, region = ?sdk.region(), "provider configured");
        self.shared.set(Ctx::new(
            config.clone(),
            aws::AwsClients::with_limits(&sdk, &config.aws_limits),
        ));
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(resources(&self.shared))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(data_sources(&self.shared))
    }
}

/// Every resource, by name without the `jit_` prefix.
pub fn resources(shared: &Shared) -> HashMap<String, Box<dyn DynamicResource>> {
    [
        resource::<Grant>(shared),
        resource::<IamEnvGroup>(shared),
        resource::<IamEnvUser>(shared),
        resource::<IdentityCenterGroup>(shared),
        resource::<IdentityCenterGroupMembership>(shared),
        resource::<IdentityCenterUser>(shared),
        resource::<UserBlock>(shared),
    ]
    .into_iter()
    .collect()
}

/// Every data source, by name without the `jit_` prefix.
pub fn data_sources(shared: &Shared) -> HashMap<String, Box<dyn DynamicDataSource>> {
    [
        data_source::<AccessReview>(shared),
        data_source::<CiRolePolicy>(shared),
        data_source::<IdentityCenterGroupLookup>(shared),
        data_source::<IdentityCenterUserLookup>(shared),
        data_source::<RevokerRolePolicy>(shared),
        data_source::<RolePolicy>(shared),
    ]
    .into_iter()
    .collect()
}

/// The provider block's schema.
pub fn provider_schema() -> Schema {
    let permission_set = block(
        "Rules for one permission set.",
        [
            ("allow_break_glass", optional_bool("Whether a `break_glass` grant (no approver) of this permission set is allowed. Default `true`; `false` means every grant of it needs an approver.")),
            ("end_sessions_on_revoke", optional_bool("Whether a manual revoke (destroy) of an active USER grant of this permission set also ends the user's role sessions already issued: the provider adds to the permission set's inline policy a statement (Sid `JitEndSessions…`, one per user and account) denying every action to that user's sessions in the grant's account issued before the revoke (`aws:TokenIssueTime`), and provisions the permission set to that account. A later grant still works. Statements older than the permission set's session duration are pruned on the next grant or revoke of that permission set; other statements of the inline policy are kept. Default `false`. Refused for GROUP grants (a group's members change).")),
            ("approvers", optional_str_list("Identity Center users (user name or email) allowed to approve grants of this permission set, compared by user id. Empty: anyone other than the requester, the principal and the change's authors.")),
            ("name", required_str("Permission set name, e.g. `JIT-S3FullAccess`.")),
            ("risk", required_str("`low` (no approver needed) or `high` (an approver is needed).")),
        ],
        [],
    );
    let grant_policy = block(
        "Rules every `jit_grant` is checked against at plan and apply. Ignored (with a warning) when env `JIT_GRANT_POLICY_FILE` names a policy file, and an error when verified approvals are on: the rules must then come from that file, which the change cannot edit.",
        [
            ("default_risk", optional_str("Risk of permission sets not listed in a `permission_set` block: `low` or `high`. Default `high`.")),
            ("max_duration", optional_str("Longest grant, as a Go-style duration (`1h`, `30m`). Default `1h`.")),
            ("max_session_duration", optional_str("Longest session duration a granted permission set may have. A session outlives the grant by up to this long. Default `1h`.")),
        ],
        [("permission_set", list_block(permission_set))],
    );
    let assume_role = block(
        "Assume this role for every AWS call.",
        [
            (
                "external_id",
                optional_str("External id the role's trust policy requires."),
            ),
            ("role_arn", required_str("ARN of the role to assume.")),
            (
                "session_name",
                optional_str("Session name shown in CloudTrail. Default `terraform-provider-jit`."),
            ),
        ],
        [],
    );
    schema(
        0,
        block(
            "The `jit` provider puts every AWS access change through Terraform plan and apply review.",
            [
                ("audit_log_path", optional_str("JSON lines file that receives one audit event per change, hash-chained (`prevHash`); concurrent provider processes append under a file lock. Default: env `JIT_AUDIT_LOG`, else no file; with verified approvals only the env may name it. Without a file, an S3 bucket or a `notification_topic_arn` every plan warns, and with verified approvals on the configuration is refused.")),
                ("audit_s3_bucket", optional_str("S3 bucket that receives one object per audit event, created with `If-None-Match: *` so nothing is ever overwritten; the hash chain continues across runs. Check it with `terraform-provider-jit audit verify s3://BUCKET/PREFIX`. Use it in CI, where a file dies with the runner. Default: env `JIT_AUDIT_S3_BUCKET`, else no bucket. With verified approvals only the env may name it.")),
                ("audit_s3_prefix", optional_str("Key prefix of the audit objects in `audit_s3_bucket`; a `/` is added at the end when missing. Default: env `JIT_AUDIT_S3_PREFIX`, else `jit-audit/`. With verified approvals only the env may name it.")),
                ("aws_attempt_timeout", optional_str("Longest single AWS request attempt (connect, send, response), as a Go-style duration. Default `20s`; at most `1h`.")),
                ("aws_max_attempts", optional_number("Attempts per AWS operation under adaptive retry (throttling slows the client down). Default `8`; 1 to 100.")),
                ("aws_max_concurrency", optional_number("AWS requests in flight per service in one provider process; the rest wait. Default `8`; 1 to 100.")),
                ("aws_operation_timeout", optional_str("Longest AWS operation, all its retries included. Default `2m`; at least `aws_attempt_timeout`, at most `1h`.")),
                ("endpoint_url", optional_str("Endpoint for every AWS service, e.g. a local emulator `http://127.0.0.1:5055`.")),
                ("expiry_dead_letter_queue_arn", optional_str("SQS queue ARN where expiries that failed are delivered.")),
                ("identity_center_instance_arn", optional_str("IAM Identity Center instance ARN. Discovered when the account has exactly one instance.")),
                ("identity_store_id", optional_str("Identity store id of the instance. Discovered with the instance.")),
                ("notification_topic_arn", optional_str("SNS topic ARN that receives every audit event, the expiry notifications and an immediate notice of every break-glass grant.")),
                ("profile", optional_str("AWS shared-config profile.")),
                ("region", optional_str("AWS region. Default: `AWS_REGION`, else the profile's region.")),
                ("require_verified_approvals", optional_bool("Check at apply that every approver of a high-risk grant is a verified approver of the change (env `JIT_VERIFIED_APPROVERS`) and that the grant was written for the change applied (`change_ref` = env `JIT_CHANGE_REF`). Env `JIT_REQUIRE_VERIFIED_APPROVALS` (`1`, `true`, `yes`, `on`) forces this on whatever the configuration says. When on, the grant policy must come from env `JIT_GRANT_POLICY_FILE` and an audit destination must be set.")),
                ("reviewer_summaries", optional_bool("At plan, one warning per planned change of access saying what it does in one line, e.g. `alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h (high risk; approval by bob@example.com verified at apply; ticket INC-42)`; its detail starts `Reviewer summary.` (the CI plan comment puts these lines first). Default `true`; `false` turns them off. `false` is refused with verified approvals (the change could hide its own summaries).")),
                ("revoker_role_arn", optional_str("IAM role EventBridge Scheduler assumes to remove expired assignments (see data source `jit_revoker_role_policy`).")),
                ("schedule_group", optional_str("EventBridge Scheduler group of grant leases; created when missing. Default `jit-grants`.")),
            ],
            [
                ("assume_role", optional_block(assume_role)),
                ("grant_policy", optional_block(grant_policy)),
            ],
        ),
    )
}
