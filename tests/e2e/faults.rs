//! The fault harness itself, end to end: each fault of the proxy reaches
//! the real AWS SDK the way AWS's own would (SDK-level cases, no
//! Terraform), the fidelity fixes answer as AWS does, moto's IAM
//! enforcement works for Scheduler reads through the proxy, and Terraform
//! runs on both versions survive throttling, a hung call and an interrupt
//! (cases that hold for today's provider), and applies of 20 grants
//! interrupted at seeded points leave no access without a lease and no
//! orphan lease (`interrupted_grants`). A provider bug found with the proxy
//! is first written here as a failing case, then fixed.

mod grant_steps;
mod grants;
mod identity_center;
mod interrupted_grants;
mod runs;
mod sdk;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_identitystore::types::MemberId;
use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use aws_sdk_ssoadmin::types::{PrincipalType, StatusValues, TargetType};
use terraform_provider_jit::aws::aws_error;
use terraform_provider_jit::error::Error;

use super::*;
use tests::enforce;
use tests::interrupt::{Running, Target as Signalled};
use tests::invariants::{BlockState, IamUserSnapshot, LeaseCheck};
use tests::proxy::{Fault, Key, Match, Proxy, When};
use tests::Moto;

/// SDK clients through `proxy` with quick retries (3 attempts) and, when
/// given, an attempt timeout.
fn sdk(proxy: &Proxy, attempts: u32, attempt_timeout: Option<Duration>) -> Aws {
    Aws::configured(&proxy.endpoint(), |loader| {
        let retry = if attempts <= 1 {
            RetryConfig::disabled()
        } else {
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(20))
        };
        let mut timeouts = TimeoutConfig::builder();
        if let Some(timeout) = attempt_timeout {
            timeouts = timeouts.operation_attempt_timeout(timeout);
        }
        loader.retry_config(retry).timeout_config(timeouts.build())
    })
}

fn code(error: Error) -> String {
    error.aws_code().unwrap_or("no code").to_string()
}

/// `(status, fault)` of every logged call of one operation.
fn outcomes(proxy: &Proxy, operation: &str) -> Vec<(Option<u16>, Option<String>)> {
    proxy
        .calls()
        .into_iter()
        .filter(|c| c.op.name == operation)
        .map(|c| (c.status, c.fault))
        .collect()
}

fn sso_fixture(aws: &Aws) -> (String, String) {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = instances.instances()[0].instance_arn().unwrap().to_string();
        let set = sso
            .create_permission_set()
            .instance_arn(&instance)
            .name("JIT-Faults")
            .session_duration("PT1H")
            .send()
            .await
            .unwrap()
            .permission_set
            .unwrap()
            .permission_set_arn
            .unwrap();
        (instance, set)
    })
}

/// Starts creating (or deleting) the assignment of `principal`; returns
/// `(status, request id, failure reason)`, or the error code.
fn assignment_call(
    aws: &Aws,
    create: bool,
    instance: &str,
    set: &str,
    principal: &str,
) -> Result<(String, String, Option<String>), String> {
    let sso = &aws.clients.sso_admin;
    let status = if create {
        aws.run(
            sso.create_account_assignment()
                .instance_arn(instance)
                .target_id(tests::invariants::DEFAULT_ACCOUNT)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(set)
                .principal_type(PrincipalType::User)
                .principal_id(principal)
                .send(),
        )
        .map(|o| o.account_assignment_creation_status.unwrap())
        .map_err(|e| code(aws_error("sso-admin", "CreateAccountAssignment", e)))?
    } else {
        aws.run(
            sso.delete_account_assignment()
                .instance_arn(instance)
                .target_id(tests::invariants::DEFAULT_ACCOUNT)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(set)
                .principal_type(PrincipalType::User)
                .principal_id(principal)
                .send(),
        )
        .map(|o| o.account_assignment_deletion_status.unwrap())
        .map_err(|e| code(aws_error("sso-admin", "DeleteAccountAssignment", e)))?
    };
    Ok((
        status.status().unwrap().as_str().to_string(),
        status.request_id().unwrap().to_string(),
        status.failure_reason().map(str::to_string),
    ))
}

fn poll(aws: &Aws, create: bool, instance: &str, id: &str) -> (StatusValues, Option<String>) {
    let sso = &aws.clients.sso_admin;
    let status = if create {
        aws.run(
            sso.describe_account_assignment_creation_status()
                .instance_arn(instance)
                .account_assignment_creation_request_id(id)
                .send(),
        )
        .unwrap()
        .account_assignment_creation_status
        .unwrap()
    } else {
        aws.run(
            sso.describe_account_assignment_deletion_status()
                .instance_arn(instance)
                .account_assignment_deletion_request_id(id)
                .send(),
        )
        .unwrap()
        .account_assignment_deletion_status
        .unwrap()
    };
    (
        status.status().unwrap().clone(),
        status.failure_reason().map(str::to_string),
    )
}

fn assigned(aws: &Aws, instance: &str, set: &str) -> Vec<String> {
    aws.run(
        aws.clients
            .sso_admin
            .list_account_assignments()
            .instance_arn(instance)
            .account_id(tests::invariants::DEFAULT_ACCOUNT)
            .permission_set_arn(set)
            .send(),
    )
    .unwrap()
    .account_assignments()
    .iter()
    .map(|a| a.principal_id().unwrap().to_string())
    .collect()
}

/// The provider block of `tf`, pointed at the proxy.
fn provider_via(tf: &Tf, proxy: &Proxy, extra: &str) -> String {
    tf.provider(extra).replace(&tf.endpoint, &proxy.endpoint())
}

fn moto_port(aws: &Aws) -> u16 {
    aws.endpoint.rsplit(':').next().unwrap().parse().unwrap()
}
