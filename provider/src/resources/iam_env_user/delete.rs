//! Destroy of a `jit_iam_env_user`: everything that would make IAM refuse
//! DeleteUser goes first, each step tolerating "already gone".

use std::time::Duration;

use tf_provider::AttributePath;

use super::{delete_login_profile, remove_from_group};
use crate::aws::{aws_error, wait::retry_when};
use crate::context::Ctx;
use crate::error::gone_ok;
use crate::error::{attr, Error};

/// How long DeleteUser may still see removed memberships or credentials.
const DELETE_CONFLICT_GRACE: Duration = Duration::from_secs(15);

/// What stands in the way of DeleteUser besides groups, password and MFA.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Attachments {
    pub(super) access_keys: Vec<String>,
    pub(super) ssh_keys: Vec<String>,
    pub(super) certificates: Vec<String>,
    pub(super) inline_policies: Vec<String>,
    pub(super) managed_policies: Vec<String>,
}

impl Attachments {
    pub(super) fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// "2 access keys (`AKIA…`, `AKIA…`), 1 inline policy (`x`)".
    pub(super) fn describe(&self) -> String {
        let parts = [
            ("access key", &self.access_keys),
            ("SSH public key", &self.ssh_keys),
            ("signing certificate", &self.certificates),
            ("inline policy", &self.inline_policies),
            ("attached managed policy", &self.managed_policies),
        ];
        parts
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(what, items)| {
                let plural = if items.len() == 1 { "" } else { "s" };
                let names: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
                format!("{} {what}{plural} ({})", items.len(), names.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn list_attachments(ctx: &Ctx, name: &str) -> Result<Attachments, Error> {
    let iam = &ctx.aws.iam;
    let mut found = Attachments::default();
    let mut keys = iam
        .list_access_keys()
        .user_name(name)
        .into_paginator()
        .send();
    while let Some(page) = keys.next().await {
        let page = page.map_err(|e| aws_error("iam", "ListAccessKeys", e))?;
        found.access_keys.extend(
            page.access_key_metadata
                .into_iter()
                .filter_map(|key| key.access_key_id),
        );
    }
    let mut ssh = iam
        .list_ssh_public_keys()
        .user_name(name)
        .into_paginator()
        .send();
    while let Some(page) = ssh.next().await {
        let page = page.map_err(|e| aws_error("iam", "ListSSHPublicKeys", e))?;
        found.ssh_keys.extend(
            page.ssh_public_keys
                .unwrap_or_default()
                .into_iter()
                .map(|key| key.ssh_public_key_id),
        );
    }
    let mut certificates = iam
        .list_signing_certificates()
        .user_name(name)
        .into_paginator()
        .send();
    while let Some(page) = certificates.next().await {
        let page = page.map_err(|e| aws_error("iam", "ListSigningCertificates", e))?;
        found.certificates.extend(
            page.certificates
                .into_iter()
                .map(|certificate| certificate.certificate_id),
        );
    }
    let mut inline = iam
        .list_user_policies()
        .user_name(name)
        .into_paginator()
        .send();
    while let Some(page) = inline.next().await {
        let page = page.map_err(|e| aws_error("iam", "ListUserPolicies", e))?;
        found.inline_policies.extend(page.policy_names);
    }
    let mut attached = iam
        .list_attached_user_policies()
        .user_name(name)
        .into_paginator()
        .send();
    while let Some(page) = attached.next().await {
        let page = page.map_err(|e| aws_error("iam", "ListAttachedUserPolicies", e))?;
        found.managed_policies.extend(
            page.attached_policies
                .unwrap_or_default()
                .into_iter()
                .filter_map(|policy| policy.policy_arn),
        );
    }
    Ok(found)
}

/// Deletes the user after everything that would block it, each step
/// tolerating "already gone". Without `force`, existing credentials or
/// policies stop the destroy before anything is changed. Returns the steps
/// done, also on failure.
pub(super) async fn delete_user(
    ctx: &Ctx,
    name: &str,
    force: bool,
) -> Result<Vec<String>, (Vec<String>, Error)> {
    let iam = &ctx.aws.iam;
    let mut done = Vec::new();
    macro_rules! step {
        ($result:expr) => {
            if let Err(error) = gone_ok($result) {
                return Err((done, error));
            }
        };
    }
    match iam.get_user().user_name(name).send().await {
        Ok(_) => {}
        Err(error) => {
            let error = aws_error("iam", "GetUser", error);
            return if error.is_not_found() {
                Ok(done)
            } else {
                Err((done, error))
            };
        }
    }
    let attachments = match list_attachments(ctx, name).await {
        Ok(found) => found,
        Err(error) if error.is_not_found() => return Ok(done),
        Err(error) => return Err((done, error)),
    };
    if !force && !attachments.is_empty() {
        return Err((
            done,
            Error::invalid(
                attr("force_destroy"),
                format!("User `{name}` still has credentials or policies"),
                format!(
                    "`{name}` has {}, created outside Terraform. Delete them, or set `force_destroy = true` and apply before destroying. Nothing was changed.",
                    attachments.describe()
                ),
            ),
        ));
    }
    step!(delete_login_profile(ctx, name).await);
    done.push("removed the console password".to_string());

    let devices = match iam.list_mfa_devices().user_name(name).send().await {
        Ok(output) => output.mfa_devices,
        Err(error) => {
            step!(Err(aws_error("iam", "ListMFADevices", error)));
            Vec::new()
        }
    };
    for device in devices {
        let serial = device.serial_number;
        step!(iam
            .deactivate_mfa_device()
            .user_name(name)
            .serial_number(&serial)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "DeactivateMFADevice", e)));
        if is_virtual_mfa(&serial) {
            step!(iam
                .delete_virtual_mfa_device()
                .serial_number(&serial)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error("iam", "DeleteVirtualMFADevice", e)));
        }
        done.push(format!("removed MFA device `{serial}`"));
    }

    let mut groups = Vec::new();
    let mut pages = iam
        .list_groups_for_user()
        .user_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => groups.extend(page.groups.into_iter().map(|group| group.group_name)),
            Err(error) => step!(Err(aws_error("iam", "ListGroupsForUser", error))),
        }
    }
    for group in groups {
        step!(remove_from_group(ctx, name, &group).await);
        done.push(format!("removed it from `{group}`"));
    }

    for key in &attachments.access_keys {
        step!(iam
            .delete_access_key()
            .user_name(name)
            .access_key_id(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "DeleteAccessKey", e)));
        done.push(format!("deleted access key `{key}`"));
    }
    for key in &attachments.ssh_keys {
        step!(iam
            .delete_ssh_public_key()
            .user_name(name)
            .ssh_public_key_id(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "DeleteSSHPublicKey", e)));
        done.push(format!("deleted SSH public key `{key}`"));
    }
    for certificate in &attachments.certificates {
        step!(iam
            .delete_signing_certificate()
            .user_name(name)
            .certificate_id(certificate)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "DeleteSigningCertificate", e)));
        done.push(format!("deleted signing certificate `{certificate}`"));
    }
    for policy in &attachments.inline_policies {
        step!(iam
            .delete_user_policy()
            .user_name(name)
            .policy_name(policy)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "DeleteUserPolicy", e)));
        done.push(format!("deleted inline policy `{policy}`"));
    }
    for policy in &attachments.managed_policies {
        step!(iam
            .detach_user_policy()
            .user_name(name)
            .policy_arn(policy)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "DetachUserPolicy", e)));
        done.push(format!("detached `{policy}`"));
    }

    let deleted = retry_when(
        DELETE_CONFLICT_GRACE,
        |error| error.aws_code() == Some("DeleteConflict"),
        || async {
            iam.delete_user()
                .user_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| aws_error("iam", "DeleteUser", e))
        },
    )
    .await;
    match gone_ok(deleted) {
        Ok(()) => {
            done.push(format!("deleted user `{name}`"));
            Ok(done)
        }
        Err(error) if error.aws_code() == Some("DeleteConflict") => Err((
            done,
            Error::invalid(
                AttributePath::default(),
                format!("AWS still refuses to delete user `{name}`"),
                format!("{error}. Something this provider does not remove is still attached, such as service-specific credentials (CodeCommit, Amazon Keyspaces): delete it, then destroy again."),
            ),
        )),
        Err(error) => Err((done, error)),
    }
}

/// Virtual MFA devices are named by ARN (`arn:aws:iam::…:mfa/…`); hardware
/// and FIDO devices by serial number.
pub(super) fn is_virtual_mfa(serial: &str) -> bool {
    serial.starts_with("arn:") && serial.contains(":mfa/")
}
