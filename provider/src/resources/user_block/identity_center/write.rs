//! Writing the user's entries into the permission sets' inline policies,
//! and provisioning the permission sets that changed.

use std::collections::{BTreeMap, BTreeSet};

use tokio::task::JoinSet;

use super::{futures_join_all, Scan, Subject, PROVISION_RETRY_FOR};
use crate::aws::wait::retry_when;
use crate::error::Error;
use crate::policy::session_deny::{check_limits, permission_set_id, UserEntries};
use crate::resources::user_block::record::Run;

/// Writes `entries` as the user's entries into every permission set whose
/// document changes; returns the ARNs written. Failures are noted.
pub(super) async fn write_entries(
    subject: &Subject<'_>,
    run: &Run,
    scan: &Scan,
    entries: &UserEntries,
    failed: &mut Vec<(String, Error)>,
) -> Vec<String> {
    let mut writes = Vec::new();
    for set in &scan.sets {
        let policy = match &set.policy {
            Ok(policy) => policy,
            Err(problem) => {
                failed.push((
                    format!("update the inline policy of permission set `{}`", set.id()),
                    Error::incomplete("Inline policy not changed", problem.clone()),
                ));
                continue;
            }
        };
        let mut changed = policy.clone();
        changed.set_user(&subject.user_id, entries);
        if changed == *policy && policy.intact() {
            continue;
        }
        let document = changed.render();
        if let Some(document) = &document {
            if let Err(problem) = check_limits(document) {
                failed.push((
                    format!("update the inline policy of permission set `{}`", set.id()),
                    Error::incomplete("Inline policy too large", problem.to_string()),
                ));
                continue;
            }
        }
        writes.push((set.arn.clone(), document));
    }
    let sso = subject.sso();
    let calls = writes.iter().map(|(arn, document)| async move {
        let result = match document {
            Some(document) => {
                run.meter
                    .call(
                        "sso-admin",
                        "PutInlinePolicyToPermissionSet",
                        sso.put_inline_policy(&subject.instance, arn, document),
                    )
                    .await
            }
            None => {
                run.meter
                    .call(
                        "sso-admin",
                        "DeleteInlinePolicyFromPermissionSet",
                        sso.delete_inline_policy(&subject.instance, arn),
                    )
                    .await
            }
        };
        (arn.clone(), result)
    });
    let mut written = Vec::new();
    for (arn, result) in futures_join_all(calls).await {
        match result {
            Ok(()) => written.push(arn),
            Err(error) => failed.push((
                format!(
                    "update the inline policy of permission set `{}`",
                    permission_set_id(&arn)
                ),
                error,
            )),
        }
    }
    written
}

/// Provisions each permission set to its accounts: the accounts run
/// concurrently, the permission sets of one account one after the other
/// (AWS runs one provisioning per account at a time). Returns the
/// `(account, permission set ARN)` pairs started.
pub(super) async fn provision(
    subject: &Subject<'_>,
    run: &Run,
    targets: &BTreeMap<String, BTreeSet<String>>,
    failed: &mut Vec<(String, Error)>,
) -> Vec<(String, String)> {
    let mut by_account: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (arn, accounts) in targets {
        for account in accounts {
            by_account.entry(account).or_default().push(arn);
        }
    }
    let mut tasks = JoinSet::new();
    for (account, arns) in by_account {
        let sso_client = subject.ctx.aws.clone();
        let meter = run.meter.clone();
        let instance = subject.instance.clone();
        let account = account.to_string();
        let arns: Vec<String> = arns.into_iter().map(str::to_string).collect();
        tasks.spawn(async move {
            let sso = sso_client.sso_admin();
            let mut outcomes = Vec::new();
            for arn in arns {
                let result = retry_when(
                    PROVISION_RETRY_FOR,
                    |error| error.aws_code() == Some("ConflictException"),
                    || {
                        meter.call(
                            "sso-admin",
                            "ProvisionPermissionSet",
                            sso.provision_permission_set(&instance, &arn, &account),
                        )
                    },
                )
                .await;
                outcomes.push((account.clone(), arn, result));
            }
            outcomes
        });
    }
    let mut started = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok(outcomes) = joined else {
            failed.push((
                "provision the permission sets".to_string(),
                Error::incomplete("Provisioning task failed", "The provisioning task stopped."),
            ));
            continue;
        };
        for (account, arn, result) in outcomes {
            match result {
                Ok(_) => started.push((account, arn)),
                Err(error) => failed.push((
                    format!(
                        "provision permission set `{}` to account `{account}`",
                        permission_set_id(&arn)
                    ),
                    error,
                )),
            }
        }
    }
    started.sort();
    started
}

/// Where the written permission sets must be provisioned: the accounts
/// they are provisioned to, and those of the given assignments.
pub(super) fn targets_of(
    scan: &Scan,
    written: &[String],
    assignments: &[(String, String)],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut targets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for set in scan.sets.iter().filter(|s| written.contains(&s.arn)) {
        let accounts = targets.entry(set.arn.clone()).or_default();
        accounts.extend(set.accounts.iter().cloned());
        for (account, arn) in assignments {
            if *arn == set.arn {
                accounts.insert(account.clone());
            }
        }
    }
    targets.retain(|_, accounts| !accounts.is_empty());
    targets
}
