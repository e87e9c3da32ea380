//! The fixtures and the configuration of the enforced run: every resource
//! and every data source of the provider in one configuration, and what
//! must exist in AWS before it (Identity Center users, a group and
//! permission sets; an IAM user to block, with a key and a group; a Cognito
//! pool and user; the SNS topic, the dead-letter queue and the schedule
//! group that `examples/bootstrap` would create).

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, ExplicitAuthFlowsType, MessageActionType, SchemaAttributeType,
};
use aws_sdk_identitystore::types::MemberId;
use serde_json::json;

use super::super::grant::sqs_call;
use super::*;

/// The account moto answers for.
pub const ACCOUNT: &str = "123456789012";
/// The schedule group (created up front, as the bootstrap does).
pub const GROUP: &str = "jit-grants";

/// What the fixtures made.
#[derive(Debug, Clone)]
pub struct World {
    /// Prefix of this case's names.
    pub prefix: String,
    /// The IAM user the block targets.
    pub blocked_user: String,
    /// Cognito pool and the user the block targets.
    pub pool: String,
    /// Cognito user name.
    pub cognito_user: String,
    /// SNS topic.
    pub topic: String,
    /// Dead-letter queue ARN and URL.
    pub queue_arn: String,
    /// Queue URL.
    pub queue_url: String,
    /// The base64 PGP key for the console password.
    pub pgp_key: String,
}

/// Creates everything the configuration expects to exist.
pub fn fixtures(aws: &Aws, prefix: &str) -> World {
    let (_, pgp_key) = super::super::iam_env_user::key_pair();
    identity_center(aws);
    let blocked_user = format!("{prefix}-mallory");
    aws.run(async {
        let iam = aws.iam();
        iam.create_user()
            .user_name(&blocked_user)
            .send()
            .await
            .unwrap();
        let legacy = format!("{prefix}-legacy");
        iam.create_group().group_name(&legacy).send().await.unwrap();
        iam.add_user_to_group()
            .group_name(&legacy)
            .user_name(&blocked_user)
            .send()
            .await
            .unwrap();
        iam.create_access_key()
            .user_name(&blocked_user)
            .send()
            .await
            .unwrap();
    });
    let (pool, cognito_user) = cognito(aws, prefix);
    let topic = aws
        .run(
            aws.clients
                .sns
                .create_topic()
                .name(format!("{prefix}-jit-access"))
                .send(),
        )
        .unwrap()
        .topic_arn
        .unwrap();
    let port = port_of(&aws.endpoint);
    let queue_url = sqs_call(
        port,
        "CreateQueue",
        &json!({"QueueName": format!("{prefix}-jit-dlq")}),
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    aws.run(
        aws.clients
            .scheduler
            .create_schedule_group()
            .name(GROUP)
            .send(),
    )
    .unwrap();
    World {
        prefix: prefix.to_string(),
        blocked_user,
        pool,
        cognito_user,
        topic,
        queue_arn: format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:{prefix}-jit-dlq"),
        queue_url,
        pgp_key,
    }
}

/// The emulator's port, from an endpoint URL.
pub fn port_of(endpoint: &str) -> u16 {
    endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("endpoint has a port")
}

fn identity_center(aws: &Aws) {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let store = &aws.clients.identity_store;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = &instances.instances()[0];
        let instance_arn = instance.instance_arn().unwrap().to_string();
        let store_id = instance.identity_store_id().unwrap().to_string();
        let mut principals = HashMap::new();
        for name in ["alice", "bob", "carol", "manager"] {
            let user_name = format!("{name}@example.com");
            let id = aws
                .create_identity_center_user(&store_id, &user_name, name, &user_name)
                .await;
            principals.insert(name.to_string(), id);
        }
        let group = store
            .create_group()
            .identity_store_id(&store_id)
            .display_name("Oncall")
            .send()
            .await
            .unwrap()
            .group_id;
        store
            .create_group_membership()
            .identity_store_id(&store_id)
            .group_id(&group)
            .member_id(MemberId::UserId(principals["carol"].clone()))
            .send()
            .await
            .unwrap();
        principals.insert("Oncall".to_string(), group);
        for name in ["JIT-S3FullAccess", "JIT-EmergencyAdmin"] {
            sso.create_permission_set()
                .instance_arn(&instance_arn)
                .name(name)
                .session_duration("PT1H")
                .send()
                .await
                .unwrap();
        }
    })
}

fn cognito(aws: &Aws, prefix: &str) -> (String, String) {
    let c = &aws.clients.cognito;
    let pool = aws
        .run(
            c.create_user_pool()
                .pool_name(format!("{prefix}-app"))
                .schema(
                    SchemaAttributeType::builder()
                        .name("access_revoked")
                        .attribute_data_type(AttributeDataType::String)
                        .mutable(true)
                        .build(),
                )
                .send(),
        )
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    aws.run(
        c.create_user_pool_client()
            .user_pool_id(&pool)
            .client_name("web")
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .send(),
    )
    .unwrap();
    let user = "mallory".to_string();
    aws.run(
        c.admin_create_user()
            .user_pool_id(&pool)
            .username(&user)
            .temporary_password("Tmp-Passw0rd!")
            .message_action(MessageActionType::Suppress)
            .send(),
    )
    .unwrap();
    (pool, user)
}

/// The provider block: through `endpoint` (the proxy), assuming `role_arn`.
pub fn provider(tf: &Tf, world: &World, endpoint: &str, role_arn: &str) -> String {
    let extra = format!(
        "  revoker_role_arn             = \"arn:aws:iam::{ACCOUNT}:role/jit-revoker\"\n  notification_topic_arn       = \"{topic}\"\n  expiry_dead_letter_queue_arn = \"{queue}\"\n  assume_role {{\n    role_arn = \"{role_arn}\"\n  }}\n  grant_policy {{\n    max_duration = \"1h\"\n    permission_set {{\n      name                   = \"JIT-S3FullAccess\"\n      risk                   = \"low\"\n      end_sessions_on_revoke = true\n    }}\n    permission_set {{\n      name      = \"JIT-EmergencyAdmin\"\n      risk      = \"high\"\n      approvers = [\"manager@example.com\"]\n    }}\n  }}\n",
        topic = world.topic,
        queue = world.queue_arn,
    );
    tf.provider(&extra).replace(&tf.endpoint, endpoint)
}

/// Every resource and data source; `changed` edits what updates in place
/// (reasons, tags, a group's IP ranges).
pub fn configuration(world: &World, changed: bool) -> String {
    let p = &world.prefix;
    let reason = if changed {
        "Investigate the failing lifecycle rule again"
    } else {
        "Investigate failing lifecycle rule"
    };
    let team = if changed { "security" } else { "platform" };
    let ranges = if changed {
        "\n  allowed_ip_ranges = [\"203.0.113.0/24\"]"
    } else {
        ""
    };
    format!(
        r#"
resource "jit_iam_env_group" "member" {{
  name_prefix = "{p}"
  environment = "dev"
  role        = "infra-member"{ranges}
}}

resource "jit_iam_env_user" "dave" {{
  name           = "{p}-dave"
  name_prefix    = "{p}"
  environment    = "dev"
  roles          = ["infra-member"]
  console_access = true
  pgp_key        = "{key}"
  force_destroy  = true
  tags           = {{ team = "{team}" }}
  depends_on     = [jit_iam_env_group.member]
}}

resource "jit_identity_center_user" "erin" {{
  user_name   = "erin-{p}@example.com"
  given_name  = "Erin"
  family_name = "Example"
  email       = "erin-{p}@example.com"
}}

resource "jit_identity_center_group" "team" {{
  name        = "{p}-team"
  description = "Team of the least-privilege test"
}}

resource "jit_identity_center_group_membership" "erin_team" {{
  group = jit_identity_center_group.team.group_id
  user  = jit_identity_center_user.erin.user_id
}}

resource "jit_grant" "alice_s3" {{
  principal      = "alice@example.com"
  account_id     = "{ACCOUNT}"
  permission_set = "JIT-S3FullAccess"
  duration       = "1h"
  reason         = "{reason}"
  requested_by   = "alice@example.com"
}}

resource "jit_grant" "alice_s3_short" {{
  principal      = "alice@example.com"
  account_id     = "{ACCOUNT}"
  permission_set = "JIT-S3FullAccess"
  duration       = "30m"
  reason         = "Second look at the same bucket"
  requested_by   = "alice@example.com"
  depends_on     = [jit_grant.alice_s3]
}}

resource "jit_grant" "oncall" {{
  principal      = "Oncall"
  principal_type = "GROUP"
  account_id     = "{ACCOUNT}"
  permission_set = "JIT-EmergencyAdmin"
  duration       = "1h"
  reason         = "Incident response for the payment outage"
  ticket         = "INC-42"
  requested_by   = "bob@example.com"
  approved_by    = ["manager@example.com"]
}}

resource "jit_user_block" "iam" {{
  iam {{
    user_name = "{blocked}"
  }}
  reason     = "{reason}"
  blocked_by = "secops@example.com"
}}

resource "jit_user_block" "cognito" {{
  cognito {{
    user_pool_id = "{pool}"
    username     = "{cognito_user}"
  }}
  reason     = "Account compromise"
  blocked_by = "secops@example.com"
}}

data "jit_access_review" "dev" {{
  name_prefix = "{p}"
  environment = "dev"
  depends_on  = [jit_iam_env_user.dave]
}}

data "jit_identity_center_user" "alice" {{
  user_name = "alice@example.com"
}}

data "jit_identity_center_user" "bob" {{
  email = "bob@example.com"
}}

data "jit_identity_center_group" "oncall" {{
  name = "Oncall"
}}

data "jit_revoker_role_policy" "revoker" {{
  account_id = "{ACCOUNT}"
}}

data "jit_role_policy" "developer" {{
  environment = "dev"
  role        = "developer"
}}

data "jit_ci_role_policy" "plan" {{
  role       = "plan"
  account_id = "{ACCOUNT}"
}}
"#,
        key = world.pgp_key,
        blocked = world.blocked_user,
        pool = world.pool,
        cognito_user = world.cognito_user,
    )
}

/// Addresses and import ids of every resource, from applied state.
pub fn import_ids(tf: &Tf, world: &World) -> Vec<(String, String)> {
    let id = |address: &str, attribute: &str| {
        tf.resource(address)[attribute]
            .as_str()
            .unwrap_or_else(|| panic!("{address}.{attribute}"))
            .to_string()
    };
    vec![
        (
            "jit_iam_env_group.member".into(),
            id("jit_iam_env_group.member", "id"),
        ),
        (
            "jit_iam_env_user.dave".into(),
            id("jit_iam_env_user.dave", "id"),
        ),
        (
            "jit_identity_center_user.erin".into(),
            id("jit_identity_center_user.erin", "user_id"),
        ),
        (
            "jit_identity_center_group.team".into(),
            format!("{}-team", world.prefix),
        ),
        (
            "jit_identity_center_group_membership.erin_team".into(),
            id(
                "jit_identity_center_group_membership.erin_team",
                "membership_id",
            ),
        ),
        ("jit_grant.alice_s3".into(), id("jit_grant.alice_s3", "id")),
        (
            "jit_user_block.iam".into(),
            format!("iam:{}", world.blocked_user),
        ),
        (
            "jit_user_block.cognito".into(),
            format!("cognito:{}:{}", world.pool, world.cognito_user),
        ),
    ]
}
