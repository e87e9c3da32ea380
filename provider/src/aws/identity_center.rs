//! The Identity Center instance and identity store the provider works on:
//! from the configuration, else discovered when exactly one instance exists.

use aws_sdk_ssoadmin::Client;

use crate::aws::aws_error;
use crate::error::{attr, Error};

/// The instance ARN and identity store id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCenter {
    /// `arn:aws:sso:::instance/ssoins-…`.
    pub instance_arn: String,
    /// `d-…`.
    pub identity_store_id: String,
}

/// Resolves the instance: configured values win; otherwise `ListInstances`
/// must return exactly one instance.
pub async fn resolve(
    client: &Client,
    instance_arn: Option<&str>,
    identity_store_id: Option<&str>,
) -> Result<IdentityCenter, Error> {
    if let (Some(instance_arn), Some(identity_store_id)) = (instance_arn, identity_store_id) {
        return Ok(IdentityCenter {
            instance_arn: instance_arn.to_string(),
            identity_store_id: identity_store_id.to_string(),
        });
    }
    let instances = client
        .list_instances()
        .send()
        .await
        .map_err(|e| aws_error("sso-admin", "ListInstances", e))?
        .instances
        .unwrap_or_default();
    let matching: Vec<_> = instances
        .into_iter()
        .filter(|instance| instance_arn.is_none_or(|arn| instance.instance_arn() == Some(arn)))
        .collect();
    match matching.as_slice() {
        [only] => Ok(IdentityCenter {
            instance_arn: only.instance_arn().unwrap_or_default().to_string(),
            identity_store_id: identity_store_id
                .or(only.identity_store_id())
                .unwrap_or_default()
                .to_string(),
        }),
        [] => Err(Error::invalid(
            attr("identity_center_instance_arn"),
            "No IAM Identity Center instance found",
            "Enable IAM Identity Center in this account and region, or set `identity_center_instance_arn` and `identity_store_id` in the provider block.",
        )),
        several => Err(Error::invalid(
            attr("identity_center_instance_arn"),
            "Several IAM Identity Center instances found",
            format!(
                "{} instances exist; set `identity_center_instance_arn` and `identity_store_id` in the provider block to pick one.",
                several.len()
            ),
        )),
    }
}
