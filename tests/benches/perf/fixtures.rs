//! What the apply and refresh sections need in moto, made straight with the
//! SDK, and the Terraform configurations they apply.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_identitystore::types::{Email, Name};
use terraform_provider_jit::aws::aws_error;
use tests::tools::{PROVIDER_NAMESPACE, PROVIDER_TYPE};
use tests::Aws;

/// The revoker role named in the provider block (moto does not check it).
const REVOKER: &str = "arn:aws:iam::123456789012:role/jit-revoker";

/// An SDK result, its error as AWS's code and message.
fn sdk<T, E, R>(operation: &'static str, result: Result<T, SdkError<E, R>>) -> Result<T, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    result.map_err(|error| aws_error("bench", operation, error).to_string())
}

/// Identity Center users and permission sets for grants.
#[derive(Debug, Clone)]
pub struct Grants {
    /// User names.
    pub users: Vec<String>,
    /// Permission set names.
    pub sets: Vec<String>,
    /// Account ids.
    pub accounts: Vec<String>,
}

impl Grants {
    /// Creates `users` users and `sets` permission sets (names start with
    /// `prefix`); grants go to `accounts` made-up account ids.
    pub fn create(
        aws: &Aws,
        prefix: &str,
        users: usize,
        sets: usize,
        accounts: usize,
    ) -> Result<Self, String> {
        aws.run(async {
            let sso = &aws.clients.sso_admin;
            let store = &aws.clients.identity_store;
            let instances = sdk("ListInstances", sso.list_instances().send().await)?;
            let instance = instances
                .instances()
                .first()
                .ok_or("moto has no Identity Center instance")?;
            let instance_arn = instance.instance_arn().unwrap_or_default().to_string();
            let store_id = instance.identity_store_id().unwrap_or_default().to_string();
            let mut names = Vec::new();
            for i in 0..users {
                let name = format!("{prefix}u{i}@example.com");
                sdk(
                    "CreateUser",
                    store
                        .create_user()
                        .identity_store_id(&store_id)
                        .user_name(&name)
                        .display_name(&name)
                        .name(
                            Name::builder()
                                .given_name("Bench")
                                .family_name(format!("U{i}"))
                                .build(),
                        )
                        .emails(Email::builder().value(&name).primary(true).build())
                        .send()
                        .await,
                )?;
                names.push(name);
            }
            let mut set_names = Vec::new();
            for i in 0..sets {
                let name = format!("{prefix}Set{i}");
                sdk(
                    "CreatePermissionSet",
                    sso.create_permission_set()
                        .instance_arn(&instance_arn)
                        .name(&name)
                        .session_duration("PT1H")
                        .send()
                        .await,
                )?;
                set_names.push(name);
            }
            Ok(Self {
                users: names,
                sets: set_names,
                accounts: (0..accounts)
                    .map(|i| format!("{:012}", 100_000_000_000u64 + i as u64))
                    .collect(),
            })
        })
    }

    /// Provider and grant configuration: one grant per user × set × account.
    pub fn config(&self, endpoint: &str) -> String {
        let list = |items: &[String]| {
            items
                .iter()
                .map(|i| format!("\"{i}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let low_risk: String = self
            .sets
            .iter()
            .map(|set| {
                format!(
                    "    permission_set {{\n      name = \"{set}\"\n      risk = \"low\"\n    }}\n"
                )
            })
            .collect();
        format!(
            "{}\nlocals {{\n  users    = [{}]\n  sets     = [{}]\n  accounts = [{}]\n  grants = {{\n    for triple in setproduct(local.users, local.sets, local.accounts) :\n    join(\"/\", triple) => triple\n  }}\n}}\n\nresource \"jit_grant\" \"g\" {{\n  for_each       = local.grants\n  principal      = each.value[0]\n  permission_set = each.value[1]\n  account_id     = each.value[2]\n  duration       = \"1h\"\n  reason         = \"Measure the provider during a benchmark apply\"\n  requested_by   = each.value[0]\n}}\n",
            provider_block(
                endpoint,
                &format!("  revoker_role_arn = \"{REVOKER}\"\n  grant_policy {{\n    max_duration = \"1h\"\n{low_risk}  }}\n"),
            ),
            list(&self.users),
            list(&self.sets),
            list(&self.accounts),
        )
    }
}

/// `terraform {}` and `provider "jit" {}` pointing at `endpoint`.
pub fn provider_block(endpoint: &str, extra: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    jit = {{\n      source = \"{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}\"\n    }}\n  }}\n}}\n\nprovider \"jit\" {{\n  region       = \"eu-west-1\"\n  endpoint_url = \"{endpoint}\"\n{extra}}}\n"
    )
}

/// An IAM user in two groups with two access keys (one inactive): what a
/// user block takes apart.
pub fn iam_user(aws: &Aws, user: &str) -> Result<(), String> {
    let iam = aws.iam();
    aws.run(async {
        sdk("CreateUser", iam.create_user().user_name(user).send().await)?;
        for group in ["ops", "dev"] {
            let group = format!("{user}-{group}");
            sdk(
                "CreateGroup",
                iam.create_group().group_name(&group).send().await,
            )?;
            sdk(
                "AddUserToGroup",
                iam.add_user_to_group()
                    .group_name(&group)
                    .user_name(user)
                    .send()
                    .await,
            )?;
        }
        let mut keys = Vec::new();
        for _ in 0..2 {
            let created = sdk(
                "CreateAccessKey",
                iam.create_access_key().user_name(user).send().await,
            )?;
            keys.extend(created.access_key.map(|k| k.access_key_id));
        }
        let inactive = keys.get(1).ok_or("CreateAccessKey returned no key id")?;
        sdk(
            "UpdateAccessKey",
            iam.update_access_key()
                .user_name(user)
                .access_key_id(inactive)
                .status(aws_sdk_iam::types::StatusType::Inactive)
                .send()
                .await,
        )
        .map(|_| ())
    })
}

/// One user block of an IAM user.
pub fn user_block_config(endpoint: &str, user: &str) -> String {
    format!(
        "{}\nresource \"jit_user_block\" \"b\" {{\n  iam {{\n    user_name = \"{user}\"\n  }}\n  reason     = \"Measure the provider during a benchmark apply\"\n  blocked_by = \"bench@example.com\"\n}}\n",
        provider_block(endpoint, "")
    )
}
