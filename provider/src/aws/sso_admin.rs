//! IAM Identity Center admin calls: the instance the provider works on,
//! permission sets, and account assignments with their bounded waits on
//! AWS's asynchronous creation and deletion status. Each SDK operation is
//! wrapped once here, its error mapped by [`aws_error`].

use std::future::Future;
use std::time::Duration;

use aws_sdk_ssoadmin::types::{
    AccountAssignmentOperationStatus, PrincipalType, ProvisionTargetType, StatusValues, TargetType,
};

use super::cache::KeyedCache;
use super::wait::{poll_until, Poll};
use super::{aws_error, AwsClients};
use crate::error::{attr, Error};
use crate::policy::lease::AssignmentKey;
use crate::policy::session_deny::InlinePolicy;

const SERVICE: &str = "sso-admin";

/// How long Identity Center may take by default to provision or remove an
/// assignment (it creates or deletes the permission set's role in the
/// account); `jit_grant`'s `timeouts` block changes it.
pub const ASSIGNMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// Identity Center admin operations over the shared client.
#[derive(Debug, Clone, Copy)]
pub struct SsoAdmin<'a> {
    client: &'a aws_sdk_ssoadmin::Client,
}

impl AwsClients {
    /// Identity Center admin operations.
    pub fn sso_admin(&self) -> SsoAdmin<'_> {
        SsoAdmin {
            client: &self.sso_admin,
        }
    }
}

/// The instance ARN and identity store id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCenter {
    /// `arn:aws:sso:::instance/ssoins-…`.
    pub instance_arn: String,
    /// `d-…`.
    pub identity_store_id: String,
}

/// A permission set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSet {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// ISO 8601 session duration, e.g. `PT1H`.
    pub session_duration: Option<String>,
}

/// One observation of an assignment operation status.
fn poll_of(status: Option<&StatusValues>, failure_reason: Option<&str>) -> Poll<()> {
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

fn poll_of_status(status: Option<&AccountAssignmentOperationStatus>) -> Poll<()> {
    poll_of(
        status.and_then(|s| s.status()),
        status.and_then(|s| s.failure_reason()),
    )
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
            service: SERVICE,
            operation,
            code,
            message: format!("Identity Center reported `FAILED`: {message}"),
            request_id,
        },
        other => other,
    }
}

/// A started assignment operation: its request id and first status.
struct Started {
    request_id: String,
    first: Poll<()>,
}

impl Started {
    fn of(status: Option<&AccountAssignmentOperationStatus>) -> Self {
        Self {
            request_id: status
                .and_then(|s| s.request_id())
                .unwrap_or_default()
                .to_string(),
            first: poll_of_status(status),
        }
    }
}

/// Sets the assignment of `key` on a `CreateAccountAssignment` or
/// `DeleteAccountAssignment` request (same fields, no shared trait).
macro_rules! with_key {
    ($request:expr, $key:expr) => {
        $request
            .instance_arn(&$key.instance_arn)
            .target_id(&$key.target_id)
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(&$key.permission_set_arn)
            .principal_type(PrincipalType::from($key.principal_type.as_str()))
            .principal_id(&$key.principal_id)
    };
}

impl SsoAdmin<'_> {
    /// Resolves the instance: configured values win; otherwise
    /// `ListInstances` must return exactly one instance.
    pub async fn find_instance(
        &self,
        instance_arn: Option<&str>,
        identity_store_id: Option<&str>,
    ) -> Result<IdentityCenter, Error> {
        if let (Some(instance_arn), Some(identity_store_id)) = (instance_arn, identity_store_id) {
            return Ok(IdentityCenter {
                instance_arn: instance_arn.to_string(),
                identity_store_id: identity_store_id.to_string(),
            });
        }
        let instances = self
            .client
            .list_instances()
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "ListInstances", e))?
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

    /// The permission set with this ARN, or a not-found error.
    pub async fn find_permission_set_by_arn(
        &self,
        instance_arn: &str,
        arn: &str,
    ) -> Result<PermissionSet, Error> {
        let output = self
            .client
            .describe_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "DescribePermissionSet", e))?;
        let set = output.permission_set();
        Ok(PermissionSet {
            arn: arn.to_string(),
            name: set.and_then(|s| s.name()).unwrap_or_default().to_string(),
            session_duration: set.and_then(|s| s.session_duration()).map(str::to_string),
        })
    }

    /// The ARNs of every permission set of the instance.
    pub async fn list_permission_sets(&self, instance_arn: &str) -> Result<Vec<String>, Error> {
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_permission_sets()
                .instance_arn(instance_arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| aws_error(SERVICE, "ListPermissionSets", e))?;
            arns.extend(page.permission_sets().iter().cloned());
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(arns),
            }
        }
    }

    /// `(principal type, principal id)` of every assignment of the key's
    /// permission set in the key's account.
    pub async fn list_account_assignments(
        &self,
        key: &AssignmentKey,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut principals = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_account_assignments()
                .instance_arn(&key.instance_arn)
                .account_id(&key.target_id)
                .permission_set_arn(&key.permission_set_arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| aws_error(SERVICE, "ListAccountAssignments", e))?;
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
                _ => return Ok(principals),
            }
        }
    }

    /// Creates the assignment and waits, for at most `wait`, until Identity
    /// Center reports `SUCCEEDED`. A failure says whether AWS definitely
    /// did not make the assignment ([`AssignmentFailure::Definite`]: a
    /// `FAILED` status or a refused request) or it may have
    /// ([`AssignmentFailure::Ambiguous`]).
    pub async fn create_account_assignment(
        &self,
        key: &AssignmentKey,
        wait: Duration,
    ) -> Result<(), AssignmentFailure> {
        let request = self.client.create_account_assignment();
        let output = with_key!(request, key)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "CreateAccountAssignment", e))
            .map_err(AssignmentFailure::of_call)?;
        let started = Started::of(output.account_assignment_creation_status());
        self.wait_assignment_created(&key.instance_arn, started, wait)
            .await
            .map_err(|error| AssignmentFailure::of_wait(error, "CreateAccountAssignment"))
    }

    /// Deletes the assignment and waits, for at most `wait`, for
    /// `SUCCEEDED`; an assignment already gone counts as deleted.
    pub async fn delete_account_assignment(
        &self,
        key: &AssignmentKey,
        wait: Duration,
    ) -> Result<(), AssignmentFailure> {
        let request = self.client.delete_account_assignment();
        let result = with_key!(request, key)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "DeleteAccountAssignment", e));
        let output = match result {
            Ok(output) => output,
            Err(error) if error.is_not_found() => return Ok(()),
            Err(error) => return Err(AssignmentFailure::of_call(error)),
        };
        let started = Started::of(output.account_assignment_deletion_status());
        self.wait_assignment_deleted(&key.instance_arn, started, wait)
            .await
            .map_err(|error| AssignmentFailure::of_wait(error, "DeleteAccountAssignment"))
    }

    /// `(account id, permission set ARN)` of every account assignment of
    /// one principal (`USER` or `GROUP`).
    pub async fn list_account_assignments_for_principal(
        &self,
        instance_arn: &str,
        principal_type: &str,
        principal_id: &str,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_account_assignments_for_principal()
                .instance_arn(instance_arn)
                .principal_type(PrincipalType::from(principal_type))
                .principal_id(principal_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| aws_error(SERVICE, "ListAccountAssignmentsForPrincipal", e))?;
            found.extend(page.account_assignments().iter().map(|assignment| {
                (
                    assignment.account_id().unwrap_or_default().to_string(),
                    assignment
                        .permission_set_arn()
                        .unwrap_or_default()
                        .to_string(),
                )
            }));
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(found),
            }
        }
    }

    /// The accounts a permission set is provisioned to.
    pub async fn list_accounts_for_provisioned_permission_set(
        &self,
        instance_arn: &str,
        permission_set_arn: &str,
    ) -> Result<Vec<String>, Error> {
        let mut accounts = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_accounts_for_provisioned_permission_set()
                .instance_arn(instance_arn)
                .permission_set_arn(permission_set_arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| aws_error(SERVICE, "ListAccountsForProvisionedPermissionSet", e))?;
            accounts.extend(page.account_ids().iter().cloned());
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(accounts),
            }
        }
    }

    /// The inline policy of a permission set; `None` when it has none.
    pub async fn find_inline_policy(
        &self,
        instance_arn: &str,
        permission_set_arn: &str,
    ) -> Result<Option<String>, Error> {
        let output = self
            .client
            .get_inline_policy_for_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(permission_set_arn)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "GetInlinePolicyForPermissionSet", e))?;
        Ok(output
            .inline_policy()
            .map(str::trim)
            .filter(|policy| !policy.is_empty())
            .map(str::to_string))
    }

    /// Writes the inline policy of a permission set (the whole document).
    pub async fn put_inline_policy(
        &self,
        instance_arn: &str,
        permission_set_arn: &str,
        document: &str,
    ) -> Result<(), Error> {
        self.client
            .put_inline_policy_to_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(permission_set_arn)
            .inline_policy(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(SERVICE, "PutInlinePolicyToPermissionSet", e))
    }

    /// Removes the inline policy of a permission set; already gone is done.
    pub async fn delete_inline_policy(
        &self,
        instance_arn: &str,
        permission_set_arn: &str,
    ) -> Result<(), Error> {
        let result = self
            .client
            .delete_inline_policy_from_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(permission_set_arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(SERVICE, "DeleteInlinePolicyFromPermissionSet", e));
        match result {
            Err(error) if error.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// Starts provisioning a permission set to one account (pushes its
    /// policies to the account's role) and returns the first status
    /// Identity Center reports (`IN_PROGRESS` or `SUCCEEDED`). It does not
    /// wait: the change reaches the role within AWS's propagation time.
    pub async fn provision_permission_set(
        &self,
        instance_arn: &str,
        permission_set_arn: &str,
        account_id: &str,
    ) -> Result<String, Error> {
        let output = self
            .client
            .provision_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(permission_set_arn)
            .target_type(ProvisionTargetType::AwsAccount)
            .target_id(account_id)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "ProvisionPermissionSet", e))?;
        let status = output.permission_set_provisioning_status();
        if let Some(StatusValues::Failed) = status.and_then(|s| s.status()) {
            return Err(Error::Aws {
                service: SERVICE,
                operation: "ProvisionPermissionSet",
                code: None,
                message: format!(
                    "Identity Center reported `FAILED`: {}",
                    status
                        .and_then(|s| s.failure_reason())
                        .unwrap_or("no reason given")
                ),
                request_id: status.and_then(|s| s.request_id()).map(str::to_string),
            });
        }
        Ok(status
            .and_then(|s| s.status())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "UNKNOWN".to_string()))
    }

    /// Whether the key's principal holds the key's assignment now (one
    /// listing of the account and permission set).
    pub async fn is_assigned(&self, key: &AssignmentKey) -> Result<bool, Error> {
        Ok(self
            .list_account_assignments(key)
            .await?
            .iter()
            .any(|(kind, id)| *kind == key.principal_type && *id == key.principal_id))
    }

    /// Polls an assignment creation until it succeeds or fails (bounded).
    async fn wait_assignment_created(
        &self,
        instance_arn: &str,
        started: Started,
        wait: Duration,
    ) -> Result<(), Error> {
        wait_assignment(
            "account assignment",
            started,
            wait,
            |request_id| async move {
                let output = self
                    .client
                    .describe_account_assignment_creation_status()
                    .instance_arn(instance_arn)
                    .account_assignment_creation_request_id(request_id)
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(SERVICE, "DescribeAccountAssignmentCreationStatus", e)
                    })?;
                Ok(poll_of_status(output.account_assignment_creation_status()))
            },
        )
        .await
    }

    /// Polls an assignment deletion until it succeeds or fails (bounded).
    async fn wait_assignment_deleted(
        &self,
        instance_arn: &str,
        started: Started,
        wait: Duration,
    ) -> Result<(), Error> {
        wait_assignment(
            "removal of the account assignment",
            started,
            wait,
            |request_id| async move {
                let output = self
                    .client
                    .describe_account_assignment_deletion_status()
                    .instance_arn(instance_arn)
                    .account_assignment_deletion_request_id(request_id)
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(SERVICE, "DescribeAccountAssignmentDeletionStatus", e)
                    })?;
                Ok(poll_of_status(output.account_assignment_deletion_status()))
            },
        )
        .await
    }
}

impl SsoAdmin<'_> {
    /// The markers of the `jit_user_block`s of an Identity Center user, as
    /// the provider's deny statement in the permission sets' inline
    /// policies lists them (`policy::session_deny`); the user's bare id
    /// alone counts as a block with an unknown marker (`?`). Empty when the
    /// user is blocked nowhere. Unreadable documents are skipped.
    pub async fn find_user_blocks(
        &self,
        instance_arn: &str,
        user_id: &str,
    ) -> Result<Vec<String>, Error> {
        let mut markers = std::collections::BTreeSet::new();
        for arn in self.list_permission_sets(instance_arn).await? {
            let document = match self.find_inline_policy(instance_arn, &arn).await {
                Ok(document) => document,
                Err(error) if error.is_not_found() => continue,
                Err(error) => return Err(error),
            };
            let Ok(policy) = InlinePolicy::parse(document.as_deref()) else {
                continue;
            };
            let entries = policy.user(user_id);
            if entries.denied && entries.markers.is_empty() {
                markers.insert("?".to_string());
            }
            markers.extend(entries.markers);
        }
        if markers.len() > 1 {
            markers.remove("?");
        }
        Ok(markers.into_iter().collect())
    }
}

/// Uses the status the start call returned, then polls `describe` with the
/// request id until `SUCCEEDED` or `FAILED`, for at most `wait`: the
/// deadline also bounds a status call in flight, not only the pauses.
async fn wait_assignment<F, Fut>(
    what: &str,
    started: Started,
    wait: Duration,
    describe: F,
) -> Result<(), Error>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Poll<()>, Error>>,
{
    let mut first = Some(started.first);
    let request_id = started.request_id;
    let polls = poll_until(what, wait, || {
        let first = first.take();
        let next = describe(request_id.clone());
        async move {
            match first {
                Some(first) => Ok(first),
                None => next.await,
            }
        }
    });
    match tokio::time::timeout(wait, polls).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::Timeout {
            what: what.to_string(),
            last_status: "no status before the deadline".to_string(),
        }),
    }
}

/// AWS error codes of a request Identity Center refused outright: it made
/// no change. Anything else (throttling, 5xx, `ConflictException` after a
/// retried request whose first answer was lost, timeouts, transport
/// errors) may have taken effect.
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

/// Why an assignment operation did not report `SUCCEEDED`.
#[derive(Debug)]
pub enum AssignmentFailure {
    /// AWS refused the request or reported `FAILED`: nothing was changed.
    Definite(Error),
    /// The change may have been made: throttled past the retries, a 5xx, a
    /// lost or late answer, or a wait that ran out.
    Ambiguous(Error),
}

impl AssignmentFailure {
    /// The error of the call that starts the operation.
    fn of_call(error: Error) -> Self {
        match error.aws_code() {
            Some(code) if REFUSED_CODES.contains(&code) => Self::Definite(error),
            _ => Self::Ambiguous(error),
        }
    }

    /// The error of the wait: `FAILED` is definite, anything else is not.
    fn of_wait(error: Error, operation: &'static str) -> Self {
        let failed = matches!(
            &error,
            Error::Aws {
                service: "aws",
                operation: "wait",
                ..
            }
        );
        let error = as_operation_failure(error, operation);
        if failed {
            Self::Definite(error)
        } else {
            Self::Ambiguous(error)
        }
    }

    /// True when AWS definitely made no change.
    pub fn is_definite(&self) -> bool {
        matches!(self, Self::Definite(_))
    }

    /// True when AWS refused the call because the assignment exists
    /// (another process made it in between).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Definite(error) | Self::Ambiguous(error)
            if error.aws_code() == Some("ConflictException"))
    }

    /// The underlying error.
    pub fn into_error(self) -> Error {
        match self {
            Self::Definite(error) | Self::Ambiguous(error) => error,
        }
    }
}

/// Per-process cache of permission sets: by ARN, and each instance's full
/// listing for lookups by name (listed and described once). Single-flight
/// per key.
#[derive(Debug, Default)]
pub struct PermissionSetCache {
    by_arn: KeyedCache<(String, String), PermissionSet>,
    listings: KeyedCache<String, Vec<PermissionSet>>,
}

impl PermissionSetCache {
    /// The permission set with this ARN; `None` when the instance has none.
    pub async fn by_arn(
        &self,
        sso: SsoAdmin<'_>,
        instance_arn: &str,
        arn: &str,
    ) -> Result<Option<PermissionSet>, Error> {
        let key = (instance_arn.to_string(), arn.to_string());
        let result = self
            .by_arn
            .get_or_try_init(key, || sso.find_permission_set_by_arn(instance_arn, arn))
            .await;
        match result {
            Ok(set) => Ok(Some(set)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The permission set with this name; `None` when the instance has none.
    pub async fn by_name(
        &self,
        sso: SsoAdmin<'_>,
        instance_arn: &str,
        name: &str,
    ) -> Result<Option<PermissionSet>, Error> {
        let listing = self
            .listings
            .get_or_try_init(instance_arn.to_string(), || async {
                let mut sets = Vec::new();
                for arn in sso.list_permission_sets(instance_arn).await? {
                    if let Some(set) = self.by_arn(sso, instance_arn, &arn).await? {
                        sets.push(set);
                    }
                }
                Ok(sets)
            })
            .await?;
        Ok(listing.into_iter().find(|set| set.name == name))
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
}
