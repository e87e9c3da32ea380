//! Credentials of IAM users: access keys, SSH keys, signing certificates,
//! MFA devices and the console password. The password is sent only through
//! [`muted`](crate::aws::muted).

use aws_sdk_iam::operation::create_login_profile::builders::CreateLoginProfileFluentBuilder;
use aws_sdk_iam::operation::update_login_profile::builders::UpdateLoginProfileFluentBuilder;
use aws_sdk_iam::types::StatusType;

use super::{none_if_gone, Iam, SERVICE};
use crate::aws::{aws_error, muted};
use crate::error::{gone_ok, Error};

/// One access key of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccessKey {
    /// Access key id.
    pub id: String,
    /// `Active`, `Inactive`, or `Unknown` when IAM sent none.
    pub status: String,
    /// Creation, Unix seconds (0 when IAM sent none).
    pub created: i64,
}

impl AccessKey {
    /// True for an active key.
    pub fn is_active(&self) -> bool {
        self.status == StatusType::Active.as_str()
    }
}

/// A console password: it has no `Debug` or `Display`, so it cannot reach a
/// log line or a diagnostic by accident, and it is overwritten when dropped.
pub(crate) struct Password(String);

impl Password {
    /// Wraps a generated password.
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// The text, for the one AWS call that sets it or its encryption.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        // Best effort: the SDK keeps its own copy of the request body until
        // it is sent.
        let zeros = "\0".repeat(self.0.len());
        self.0.replace_range(.., &zeros);
    }
}

impl Iam {
    /// A user's access keys.
    pub async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, Error> {
        let keys: Vec<_> = list!(
            "ListAccessKeys",
            self.client.list_access_keys().user_name(user)
        )?;
        Ok(keys
            .into_iter()
            .filter_map(|key| {
                Some(AccessKey {
                    id: key.access_key_id?,
                    status: key
                        .status
                        .map_or_else(|| "Unknown".to_string(), |s| s.as_str().to_string()),
                    created: key.create_date.map_or(0, |date| date.secs()),
                })
            })
            .collect())
    }

    /// Activates or deactivates an access key.
    pub async fn set_access_key_active(
        &self,
        user: &str,
        key: &str,
        active: bool,
    ) -> Result<(), Error> {
        let status = if active {
            StatusType::Active
        } else {
            StatusType::Inactive
        };
        let request = self
            .client
            .update_access_key()
            .user_name(user)
            .access_key_id(key)
            .status(status);
        send!(SERVICE, "UpdateAccessKey", request).map(|_| ())
    }

    /// When an access key was last used (Unix seconds), if ever.
    pub async fn find_access_key_last_used(&self, key: &str) -> Result<Option<i64>, Error> {
        let request = self.client.get_access_key_last_used().access_key_id(key);
        Ok(send!(SERVICE, "GetAccessKeyLastUsed", request)?
            .access_key_last_used
            .and_then(|used| used.last_used_date)
            .map(|date| date.secs()))
    }

    /// Deletes an access key; already gone is success.
    pub async fn delete_access_key(&self, user: &str, key: &str) -> Result<(), Error> {
        let request = self
            .client
            .delete_access_key()
            .user_name(user)
            .access_key_id(key);
        gone_ok(send!(SERVICE, "DeleteAccessKey", request).map(|_| ()))
    }

    /// Ids of a user's SSH public keys.
    pub async fn list_ssh_public_keys(&self, user: &str) -> Result<Vec<String>, Error> {
        let keys: Vec<_> = list!(
            "ListSSHPublicKeys",
            self.client.list_ssh_public_keys().user_name(user)
        )?;
        Ok(keys.into_iter().map(|key| key.ssh_public_key_id).collect())
    }

    /// Deletes an SSH public key; already gone is success.
    pub async fn delete_ssh_public_key(&self, user: &str, key: &str) -> Result<(), Error> {
        let request = self
            .client
            .delete_ssh_public_key()
            .user_name(user)
            .ssh_public_key_id(key);
        gone_ok(send!(SERVICE, "DeleteSSHPublicKey", request).map(|_| ()))
    }

    /// Ids of a user's signing certificates.
    pub async fn list_signing_certificates(&self, user: &str) -> Result<Vec<String>, Error> {
        let certificates: Vec<_> = list!(
            "ListSigningCertificates",
            self.client.list_signing_certificates().user_name(user)
        )?;
        Ok(certificates.into_iter().map(|c| c.certificate_id).collect())
    }

    /// Deletes a signing certificate; already gone is success.
    pub async fn delete_signing_certificate(&self, user: &str, id: &str) -> Result<(), Error> {
        let request = self
            .client
            .delete_signing_certificate()
            .user_name(user)
            .certificate_id(id);
        gone_ok(send!(SERVICE, "DeleteSigningCertificate", request).map(|_| ()))
    }

    /// Serial numbers (virtual devices: ARNs) of a user's MFA devices.
    pub async fn list_mfa_devices(&self, user: &str) -> Result<Vec<String>, Error> {
        let devices: Vec<_> = list!(
            "ListMFADevices",
            self.client.list_mfa_devices().user_name(user)
        )?;
        Ok(devices.into_iter().map(|d| d.serial_number).collect())
    }

    /// Deactivates an MFA device of a user; already gone is success.
    pub async fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), Error> {
        let request = self
            .client
            .deactivate_mfa_device()
            .user_name(user)
            .serial_number(serial);
        gone_ok(send!(SERVICE, "DeactivateMFADevice", request).map(|_| ()))
    }

    /// Deletes a virtual MFA device; already gone is success.
    pub async fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), Error> {
        let request = self
            .client
            .delete_virtual_mfa_device()
            .serial_number(serial);
        gone_ok(send!(SERVICE, "DeleteVirtualMFADevice", request).map(|_| ()))
    }

    /// The account password policy's minimum length (0 without a policy).
    pub async fn find_minimum_password_length(&self) -> Result<usize, Error> {
        let policy = none_if_gone(
            send!(
                SERVICE,
                "GetAccountPasswordPolicy",
                self.client.get_account_password_policy()
            )
            .map(|out| out.password_policy),
        )?;
        Ok(policy
            .flatten()
            .and_then(|policy| policy.minimum_password_length)
            .and_then(|length| usize::try_from(length).ok())
            .unwrap_or(0))
    }

    /// When the user's console password was created (Unix seconds), or
    /// `None` when the user has no login profile.
    pub async fn find_login_profile(&self, user: &str) -> Result<Option<i64>, Error> {
        let request = self.client.get_login_profile().user_name(user);
        let profile =
            none_if_gone(send!(SERVICE, "GetLoginProfile", request).map(|out| out.login_profile))?;
        Ok(profile.map(|p| p.map_or(0, |profile| profile.create_date.secs())))
    }

    /// Gives a user a console password that must be changed at first
    /// sign-in. The password is sent through `muted`.
    pub async fn create_login_profile(&self, user: &str, password: &Password) -> Result<(), Error> {
        muted(self.create_login_profile_request(user, password).send())
            .await
            .map(|_| ())
            .map_err(|e| aws_error(SERVICE, "CreateLoginProfile", e))
    }

    /// Sets a new console password that must be changed at first sign-in.
    /// The password is sent through `muted`.
    pub async fn update_login_profile(&self, user: &str, password: &Password) -> Result<(), Error> {
        muted(self.update_login_profile_request(user, password).send())
            .await
            .map(|_| ())
            .map_err(|e| aws_error(SERVICE, "UpdateLoginProfile", e))
    }

    /// Deletes a user's console password; already gone is success.
    pub async fn delete_login_profile(&self, user: &str) -> Result<(), Error> {
        let request = self.client.delete_login_profile().user_name(user);
        gone_ok(send!(SERVICE, "DeleteLoginProfile", request).map(|_| ()))
    }

    /// CreateLoginProfile, always with `PasswordResetRequired`.
    fn create_login_profile_request(
        &self,
        user: &str,
        password: &Password,
    ) -> CreateLoginProfileFluentBuilder {
        self.client
            .create_login_profile()
            .user_name(user)
            .password(password.expose())
            .password_reset_required(true)
    }

    /// UpdateLoginProfile, always with a password (moto deletes the profile
    /// without one) and `PasswordResetRequired`.
    fn update_login_profile_request(
        &self,
        user: &str,
        password: &Password,
    ) -> UpdateLoginProfileFluentBuilder {
        self.client
            .update_login_profile()
            .user_name(user)
            .password(password.expose())
            .password_reset_required(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsClients;

    #[test]
    fn only_active_keys_are_active() {
        let key = |status: &str| AccessKey {
            id: "AKIA1".into(),
            status: status.into(),
            created: 0,
        };
        assert!(key("Active").is_active());
        assert!(!key("Inactive").is_active());
    }

    /// moto ignores `PasswordResetRequired` (its login profiles never ask
    /// for a new password), so the e2e tests cannot see it: check the
    /// requests themselves ask AWS for a reset at first sign-in.
    #[test]
    fn login_profile_requests_require_a_password_reset() {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .build();
        let iam = AwsClients::new(&sdk).iam();
        let password = Password::new("Secret-123456789".into());
        let create = iam.create_login_profile_request("alice", &password);
        assert_eq!(create.get_password_reset_required(), &Some(true));
        assert_eq!(create.get_user_name().as_deref(), Some("alice"));
        let reset = iam.update_login_profile_request("alice", &password);
        assert_eq!(reset.get_password_reset_required(), &Some(true));
        assert_eq!(
            reset.get_password().as_deref(),
            Some(password.expose()),
            "UpdateLoginProfile must always carry a password (moto deletes the profile without one)"
        );
    }
}
