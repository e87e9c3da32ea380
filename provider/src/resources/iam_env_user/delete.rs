//! Destroy of a `jit_iam_env_user`: everything that would make IAM refuse
//! DeleteUser goes first, each step tolerating "already gone".

use std::time::Duration;

use tf_provider::AttributePath;

use crate::aws::iam::Iam;
use crate::aws::wait::retry_when;
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

async fn list_attachments(iam: &Iam, name: &str) -> Result<Attachments, Error> {
    Ok(Attachments {
        access_keys: iam
            .list_access_keys(name)
            .await?
            .into_iter()
            .map(|key| key.id)
            .collect(),
        ssh_keys: iam.list_ssh_public_keys(name).await?,
        certificates: iam.list_signing_certificates(name).await?,
        inline_policies: iam.list_user_policies(name).await?,
        managed_policies: iam.list_attached_user_policies(name).await?,
    })
}

/// Deletes the user after everything that would block it, each step
/// tolerating "already gone". Without `force`, existing credentials or
/// policies stop the destroy before anything is changed. Returns the steps
/// done, also on failure.
pub(super) async fn delete_user(
    iam: &Iam,
    name: &str,
    force: bool,
) -> Result<Vec<String>, (Vec<String>, Error)> {
    let mut done = Vec::new();
    macro_rules! step {
        ($result:expr) => {
            match $result {
                Ok(value) => value,
                Err(error) => return Err((done, error)),
            }
        };
    }
    match iam.find_user_by_name(name).await {
        Ok(_) => {}
        Err(error) if error.is_not_found() => return Ok(done),
        Err(error) => return Err((done, error)),
    }
    let attachments = step!(list_attachments(iam, name).await);
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
    step!(iam.delete_login_profile(name).await);
    done.push("removed the console password".to_string());

    for serial in step!(iam.list_mfa_devices(name).await) {
        step!(iam.deactivate_mfa_device(name, &serial).await);
        if is_virtual_mfa(&serial) {
            step!(iam.delete_virtual_mfa_device(&serial).await);
        }
        done.push(format!("removed MFA device `{serial}`"));
    }
    for group in step!(iam.list_groups_for_user(name).await) {
        step!(iam.remove_user_from_group(&group, name).await);
        done.push(format!("removed it from `{group}`"));
    }
    for key in &attachments.access_keys {
        step!(iam.delete_access_key(name, key).await);
        done.push(format!("deleted access key `{key}`"));
    }
    for key in &attachments.ssh_keys {
        step!(iam.delete_ssh_public_key(name, key).await);
        done.push(format!("deleted SSH public key `{key}`"));
    }
    for certificate in &attachments.certificates {
        step!(iam.delete_signing_certificate(name, certificate).await);
        done.push(format!("deleted signing certificate `{certificate}`"));
    }
    for policy in &attachments.inline_policies {
        step!(iam.delete_user_policy(name, policy).await);
        done.push(format!("deleted inline policy `{policy}`"));
    }
    for policy in &attachments.managed_policies {
        step!(iam.detach_user_policy(name, policy).await);
        done.push(format!("detached `{policy}`"));
    }

    let deleted = retry_when(
        DELETE_CONFLICT_GRACE,
        |error| error.aws_code() == Some("DeleteConflict"),
        || iam.delete_user(name),
    )
    .await;
    match deleted {
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
