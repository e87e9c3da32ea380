//! `data "jit_role_policy"`: the library policy of one role in one
//! environment, as JSON. Pure: no AWS call.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::Value;

use crate::framework::{DataSourceType, Errors, Op};
use crate::inputs::env_access::EnvAccessInputs;
use crate::schema::*;
use crate::values::{text, StrList};

/// Data source state.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct RolePolicyState {
    /// CIDR ranges requests must come from.
    pub allowed_ip_ranges: StrList,
    /// VPC endpoints whose calls are allowed.
    pub allowed_vpc_endpoint_ids: StrList,
    /// `dev`, `staging` or `prod`.
    pub environment: Value<String>,
    /// `<environment>-<role>`.
    pub id: Value<String>,
    /// The policy document.
    pub json: Value<String>,
    /// Deny without MFA (default true).
    pub require_mfa: Value<bool>,
    /// Role name.
    pub role: Value<String>,
    /// Characters without whitespace (IAM's size measure).
    pub size: Value<i64>,
}

/// The data source.
#[derive(Debug, Default)]
pub struct RolePolicy;

#[async_trait]
impl DataSourceType for RolePolicy {
    type State = RolePolicyState;
    const NAME: &'static str = "role_policy";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "The inline policy the policy library builds for one role in one environment, without calling AWS. Use it to review a policy, or to attach it where `jit_iam_env_group` does not fit.",
                [
                    ("allowed_ip_ranges", optional_str_list("CIDR ranges (IPv4 or IPv6, network address only) requests must come from. Calls made by AWS services on the user's behalf are not restricted.")),
                    ("allowed_vpc_endpoint_ids", optional_str_list("VPC endpoint ids (`vpce-…`) whose calls are allowed although they carry no source IP. Needs `allowed_ip_ranges`.")),
                    ("environment", required_str("`dev`, `staging` or `prod`.")),
                    ("id", computed_str("`<environment>-<role>`.")),
                    ("json", computed_str("The policy document (stable order, so plans never flap).")),
                    ("require_mfa", optional_bool("Deny everything but self-service MFA set-up while signed in without MFA. Default `true`; `false` is an error in prod.")),
                    ("role", required_str("`infra-manager`, `infra-member`, `developer` or `security-engineer`. `developer` has no prod policy.")),
                    ("size", computed_number("Size of `json` in characters, whitespace excluded, as IAM counts it against the 5,120-character group limit.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &RolePolicyState) -> Result<(), Errors> {
        inputs(config).policy().map(|_| ()).map_err(Errors::from)
    }

    async fn read(
        &self,
        _op: &mut Op<'_>,
        mut config: RolePolicyState,
    ) -> Result<RolePolicyState, Errors> {
        match inputs(&config).policy()? {
            Some(policy) => {
                config.id = Value::Value(format!(
                    "{}-{}",
                    text(&config.environment),
                    text(&config.role)
                ));
                config.size = Value::Value(policy.size_without_whitespace() as i64);
                config.json = Value::Value(policy.to_json());
                if config.require_mfa.is_null() {
                    config.require_mfa = Value::Value(true);
                }
            }
            None => {
                config.id = Value::Unknown;
                config.json = Value::Unknown;
                config.size = Value::Unknown;
            }
        }
        Ok(config)
    }
}

fn inputs(state: &RolePolicyState) -> EnvAccessInputs<'_> {
    EnvAccessInputs {
        environment: &state.environment,
        role: &state.role,
        require_mfa: &state.require_mfa,
        allowed_ip_ranges: &state.allowed_ip_ranges,
        allowed_vpc_endpoint_ids: &state.allowed_vpc_endpoint_ids,
    }
}
