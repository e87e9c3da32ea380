//! Identity Center account assignments of `jit_grant`: list, create and
//! delete, each waiting (bounded) for AWS's asynchronous status.

use std::time::Duration;

use aws_sdk_ssoadmin::types::{PrincipalType, StatusValues, TargetType};

use crate::aws::aws_error;
use crate::aws::wait::{poll_until, Poll};
use crate::context::Ctx;
use crate::error::Error;
use crate::policy::lease::AssignmentKey;

/// How long Identity Center may take to provision or remove an assignment
/// (it creates or deletes the permission set's role in the account).
pub const ASSIGNMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// `(principal type, principal id)` of every assignment of the key's
/// permission set in the key's account.
pub async fn assigned_principals(
    ctx: &Ctx,
    key: &AssignmentKey,
) -> Result<Vec<(String, String)>, Error> {
    let mut principals = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .aws
            .sso_admin
            .list_account_assignments()
            .instance_arn(&key.instance_arn)
            .account_id(&key.target_id)
            .permission_set_arn(&key.permission_set_arn)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| aws_error("sso-admin", "ListAccountAssignments", e))?;
        principals.extend(page.account_assignments().iter().map(|assignment| {
            (
                assignment
                    .principal_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                assignment.principal_id().unwrap_or_default().to_string(),
            )
        }));
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(principals)
}

/// Whether the key's principal is among `principals`.
pub fn is_assigned(principals: &[(String, String)], key: &AssignmentKey) -> bool {
    principals
        .iter()
        .any(|(kind, id)| *kind == key.principal_type && *id == key.principal_id)
}

/// One observation of an assignment operation status.
pub fn poll_of(status: Option<&StatusValues>, failure_reason: Option<&str>) -> Poll<()> {
    match status {
        Some(StatusValues::Succeeded) => Poll::Done(()),
        Some(StatusValues::Failed) => Poll::Failed(
            failure_reason
                .unwrap_or("Identity Center gave no reason")
                .to_string(),
        ),
        Some(other) => Poll::Pending(other.as_str().to_string()),
        None => Poll::Pending("unknown".to_string()),
    }
}

/// Creates the assignment and waits until Identity Center reports
/// `SUCCEEDED`; `FAILED` is an error carrying AWS's reason.
pub async fn create_assignment(ctx: &Ctx, key: &AssignmentKey) -> Result<(), Error> {
    let started = ctx
        .aws
        .sso_admin
        .create_account_assignment()
        .instance_arn(&key.instance_arn)
        .target_id(&key.target_id)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(&key.permission_set_arn)
        .principal_type(PrincipalType::from(key.principal_type.as_str()))
        .principal_id(&key.principal_id)
        .send()
        .await
        .map_err(|e| aws_error("sso-admin", "CreateAccountAssignment", e))?;
    let status = started.account_assignment_creation_status();
    let request_id = status
        .and_then(|s| s.request_id())
        .unwrap_or_default()
        .to_string();
    let mut first = Some(poll_of(
        status.and_then(|s| s.status()),
        status.and_then(|s| s.failure_reason()),
    ));
    let waited = poll_until("account assignment", ASSIGNMENT_TIMEOUT, || {
        let first = first.take();
        let request_id = request_id.clone();
        async move {
            if let Some(first) = first {
                return Ok(first);
            }
            let output = ctx
                .aws
                .sso_admin
                .describe_account_assignment_creation_status()
                .instance_arn(&key.instance_arn)
                .account_assignment_creation_request_id(request_id)
                .send()
                .await
                .map_err(|e| {
                    aws_error("sso-admin", "DescribeAccountAssignmentCreationStatus", e)
                })?;
            let status = output.account_assignment_creation_status();
            Ok(poll_of(
                status.and_then(|s| s.status()),
                status.and_then(|s| s.failure_reason()),
            ))
        }
    })
    .await;
    waited.map_err(|error| as_operation_failure(error, "CreateAccountAssignment"))
}

/// Deletes the assignment and waits for `SUCCEEDED`; an assignment already
/// gone counts as deleted.
pub async fn delete_assignment(ctx: &Ctx, key: &AssignmentKey) -> Result<(), Error> {
    let started = match ctx
        .aws
        .sso_admin
        .delete_account_assignment()
        .instance_arn(&key.instance_arn)
        .target_id(&key.target_id)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(&key.permission_set_arn)
        .principal_type(PrincipalType::from(key.principal_type.as_str()))
        .principal_id(&key.principal_id)
        .send()
        .await
    {
        Ok(started) => started,
        Err(error) => {
            let error = aws_error("sso-admin", "DeleteAccountAssignment", error);
            return if error.is_not_found() {
                Ok(())
            } else {
                Err(error)
            };
        }
    };
    let status = started.account_assignment_deletion_status();
    let request_id = status
        .and_then(|s| s.request_id())
        .unwrap_or_default()
        .to_string();
    let mut first = Some(poll_of(
        status.and_then(|s| s.status()),
        status.and_then(|s| s.failure_reason()),
    ));
    let waited = poll_until(
        "removal of the account assignment",
        ASSIGNMENT_TIMEOUT,
        || {
            let first = first.take();
            let request_id = request_id.clone();
            async move {
                if let Some(first) = first {
                    return Ok(first);
                }
                let output = ctx
                    .aws
                    .sso_admin
                    .describe_account_assignment_deletion_status()
                    .instance_arn(&key.instance_arn)
                    .account_assignment_deletion_request_id(request_id)
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error("sso-admin", "DescribeAccountAssignmentDeletionStatus", e)
                    })?;
                let status = output.account_assignment_deletion_status();
                Ok(poll_of(
                    status.and_then(|s| s.status()),
                    status.and_then(|s| s.failure_reason()),
                ))
            }
        },
    )
    .await;
    waited.map_err(|error| as_operation_failure(error, "DeleteAccountAssignment"))
}

/// A `FAILED` status reported by the wait, named after the operation that
/// started it, with Identity Center's reason.
fn as_operation_failure(error: Error, operation: &'static str) -> Error {
    match error {
        Error::Aws {
            service: "aws",
            operation: "wait",
            code,
            message,
            request_id,
        } => Error::Aws {
            service: "sso-admin",
            operation,
            code,
            message: format!("Identity Center reported `FAILED`: {message}"),
            request_id,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_polls_with_aws_reason() {
        assert!(matches!(
            poll_of(Some(&StatusValues::Succeeded), None),
            Poll::Done(())
        ));
        assert!(matches!(
            poll_of(Some(&StatusValues::InProgress), None),
            Poll::Pending(status) if status == "IN_PROGRESS"
        ));
        assert!(matches!(
            poll_of(Some(&StatusValues::Failed), Some("Permission set not provisioned")),
            Poll::Failed(reason) if reason == "Permission set not provisioned"
        ));
        assert!(matches!(
            poll_of(Some(&StatusValues::Failed), None),
            Poll::Failed(reason) if reason.contains("no reason")
        ));
        assert!(matches!(poll_of(None, None), Poll::Pending(_)));
    }

    #[test]
    fn failed_waits_name_the_operation_and_keep_the_reason() {
        let failed = Error::Aws {
            service: "aws",
            operation: "wait",
            code: None,
            message: "account assignment failed: quota".into(),
            request_id: None,
        };
        let (summary, detail, _) =
            as_operation_failure(failed, "CreateAccountAssignment").into_parts(Default::default());
        assert_eq!(summary, "AWS sso-admin CreateAccountAssignment failed");
        assert!(
            detail.contains("FAILED") && detail.contains("quota"),
            "{detail}"
        );
        let timeout = Error::Timeout {
            what: "x".into(),
            last_status: "IN_PROGRESS".into(),
        };
        assert!(matches!(
            as_operation_failure(timeout, "CreateAccountAssignment"),
            Error::Timeout { .. }
        ));
    }

    #[test]
    fn assignment_membership_matches_type_and_id() {
        let key = AssignmentKey::new("i", "123456789012", "ps", "USER", "u-1");
        let principals = vec![
            ("GROUP".to_string(), "u-1".to_string()),
            ("USER".to_string(), "u-2".to_string()),
        ];
        assert!(!is_assigned(&principals, &key));
        let mut with_user = principals;
        with_user.push(("USER".into(), "u-1".into()));
        assert!(is_assigned(&with_user, &key));
    }
}
