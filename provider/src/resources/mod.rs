//! Resources, one folder each, on the [`crate::framework`]. Helpers shared
//! by several resources live here; a resource never imports another.

pub mod grant;
pub mod iam_env_group;
pub mod iam_env_user;
pub mod identity_center_group;
pub mod identity_center_group_membership;
pub mod identity_center_user;
pub mod user_block;

use crate::audit::{result, AuditSink};
use crate::error::Error;
use crate::framework::Op;

/// Writes the audit event of an Identity Center change that was made
/// (`failure` is `None`) or that failed. The change is already done, so a
/// failed write is a warning, never an error that would make Terraform
/// forget the object.
pub(crate) async fn audit_change(
    op: &mut Op<'_>,
    action: &str,
    resource_type: &str,
    target: &str,
    details: &[(&str, &str)],
    failure: Option<&Error>,
) {
    let mut event = AuditSink::event(action, resource_type, target);
    event.details = details
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    match failure {
        None => event.result = result::SUCCESS.to_string(),
        Some(error) => {
            event.result = result::FAILURE.to_string();
            event.error = error.to_string();
        }
    }
    op.audit_or_warn(event, action).await;
}
