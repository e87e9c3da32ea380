//! `jit_iam_env_user`: an IAM user of one environment, placed in its
//! `<prefix>-<env>-<role>` groups, with an optional console password that
//! exists in Terraform only PGP-encrypted.
//!
//! The user carries two tags (`jit:name-prefix`, `jit:environment`) so that
//! `data.jit_access_review` finds it even when it is in no role group.
//! Memberships in groups other than its environment's role groups are never
//! read into state and never touched, except on destroy (AWS refuses to delete
//! a user that is still a member of a group).

mod change;
mod delete;
mod password;
mod plan;
mod summary;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};

use crate::audit::result;
use crate::aws::iam::Iam;
use crate::config::ProviderConfig;
use crate::error::Error;
use crate::framework::{Change, Errors, Failure, Op, Planned, ResourceType};
use crate::policy::block::is_marker;
use crate::policy::{roles_in_groups, TAG_ENVIRONMENT, TAG_NAME_PREFIX};
use crate::schema::*;
use crate::values::{str_list, text, StrList};

use change::{audit, partial};
use plan::{check, flatten, import_scope, plan_computed, FoundUser};

/// A map of strings as Terraform sends it.
pub(crate) type StrMap = Value<BTreeMap<String, Value<String>>>;

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub(crate) struct EnvUserState {
    /// User ARN.
    pub arn: Value<String>,
    /// Whether the user has a console password.
    pub console_access: Value<bool>,
    /// The account's console sign-in URL (null without console access).
    pub console_login_url: Value<String>,
    /// The initial password, PGP-encrypted, base64.
    pub encrypted_password: Value<String>,
    /// `dev` | `staging` | `prod`.
    pub environment: Value<String>,
    /// Delete access keys and other credentials on destroy.
    pub force_destroy: Value<bool>,
    /// The role groups the user is in.
    pub groups: StrList,
    /// The user name.
    pub id: Value<String>,
    /// Fingerprint of the key the password is encrypted to.
    pub key_fingerprint: Value<String>,
    /// IAM user name.
    pub name: Value<String>,
    /// Prefix of the role group names.
    pub name_prefix: Value<String>,
    /// Recipient key of the initial password (base64 binary or armored).
    pub pgp_key: Value<String>,
    /// Roles, i.e. which role groups.
    pub roles: StrList,
    /// The user's own tags.
    pub tags: StrMap,
    /// Every tag on the user, the provider's included.
    pub tags_all: StrMap,
}

/// The resource.
#[derive(Debug, Default)]
pub(crate) struct IamEnvUser;

/// State and private state after an apply.
type Applied = (EnvUserState, ValueEmpty);

#[async_trait]
impl ResourceType for IamEnvUser {
    type State = EnvUserState;
    type Private = ValueEmpty;
    const NAME: &'static str = "iam_env_user";

    fn schema() -> Schema {
        schema(
            0,
            block(
                "An IAM user of one environment, member of its role groups `<name_prefix>-<environment>-<role>` (made with `jit_iam_env_group`). With `console_access`, an initial console password is generated, must be changed at first sign-in, and is stored only encrypted to the user's PGP key.",
                [
                    ("arn", computed_str("ARN of the user.")),
                    ("console_access", optional_computed_bool("Give the user a console password. Needs `pgp_key`. Default `false`. Turning it off deletes the password; a console sign-in profile created or deleted outside Terraform shows in the next plan.")),
                    ("console_login_url", computed_str("The account's console sign-in URL, e.g. `https://123456789012.signin.aws.amazon.com/console`; null without console access.")),
                    ("encrypted_password", computed_str("The initial console password, encrypted to `pgp_key`, as a base64 binary OpenPGP message: `terraform output -raw <name> | base64 -d | gpg --decrypt`. AWS asks for a new password at first sign-in. Null without console access and after import.")),
                    ("environment", required_str("`dev`, `staging` or `prod`. Changing it moves the user to the other environment's role groups in place.")),
                    ("force_destroy", optional_computed_bool("Let destroy delete the user's access keys, SSH keys, signing certificates and policies attached outside Terraform. Default `false`: destroy then fails with the list of what is still there, before changing anything.")),
                    ("groups", computed_str_set("The role groups the user is in. Memberships in other groups are neither shown nor changed.")),
                    ("id", computed_str("The user name.")),
                    ("key_fingerprint", computed_str("Fingerprint (hex, lower case) of the PGP key `encrypted_password` is encrypted to.")),
                    ("name", forces_replacement(required_str("IAM user name: letters, digits and `+=,.@_-`, at most 64 characters. User names are unique per account, not per environment."))),
                    ("name_prefix", required_str("Prefix of the role group names, e.g. `hera` for `hera-prod-infra-manager`.")),
                    ("pgp_key", optional_str("OpenPGP public key the initial password is encrypted to: the binary key in base64 (`gpg --export <key-id> | base64 -w0`) or ASCII-armored. Keybase user names are not supported. A key with another fingerprint sets a new password encrypted to it; the same key in another form changes nothing.")),
                    ("roles", required_str_set("`infra-manager`, `infra-member`, `developer` or `security-engineer`; one group per role. `developer` is refused in `prod`: use `jit_grant` for time-limited access. Changes update the memberships in place.")),
                    ("tags", optional_str_map("Tags of the user. Keys starting with `jit:` are reserved for the provider.")),
                    ("tags_all", custom(AttributeType::Map(Box::new(AttributeType::String)), AttributeConstraint::Computed, "Every tag on the user: `tags` plus `jit:name-prefix` and `jit:environment`, which `jit_access_review` finds users by.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &EnvUserState) -> Result<(), Errors> {
        check(config).map(|_| ()).map_err(Errors::from)
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        state: EnvUserState,
    ) -> Result<Option<EnvUserState>, Error> {
        let iam = op.ctx()?.aws.iam();
        match find_user(&iam, text(&state.id)).await {
            Ok(found) => Ok(Some(flatten(state, found))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn plan_create(
        &self,
        _op: &mut Op<'_>,
        mut planned: EnvUserState,
        _config: &EnvUserState,
    ) -> Result<(EnvUserState, ValueEmpty), Errors> {
        let checked = check(&planned)?;
        plan_computed(&mut planned, &checked, None);
        Ok((planned, ValueEmpty::default()))
    }

    async fn plan_update(
        &self,
        op: &mut Op<'_>,
        prior: &EnvUserState,
        mut planned: EnvUserState,
        _config: &EnvUserState,
        private: ValueEmpty,
    ) -> Result<Planned<EnvUserState, ValueEmpty>, Errors> {
        let checked = check(&planned)?;
        let replace = crate::changed_fields!(prior, planned; name);
        let keep = replace.is_empty().then_some(prior);
        plan_computed(&mut planned, &checked, keep);
        if let (true, Ok(ctx)) = (replace.is_empty(), op.ctx()) {
            let iam = ctx.aws.iam();
            match blocks_on(&iam, text(&prior.id)).await {
                Ok(blocks) if !blocks.is_empty() => blocked_note(op, text(&prior.id), &blocks),
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "block check skipped at plan"),
            }
        }
        Ok(Planned {
            state: planned,
            private,
            replace,
        })
    }

    async fn create(
        &self,
        op: &mut Op<'_>,
        planned: EnvUserState,
        _private: ValueEmpty,
    ) -> Result<Applied, Failure<Applied>> {
        change::create(op, planned).await
    }

    async fn update(
        &self,
        op: &mut Op<'_>,
        prior: EnvUserState,
        planned: EnvUserState,
        _private: ValueEmpty,
    ) -> Result<Applied, Failure<Applied>> {
        change::update(op, prior, planned).await
    }

    async fn destroy(
        &self,
        op: &mut Op<'_>,
        prior: EnvUserState,
        _private: ValueEmpty,
    ) -> Result<(), Error> {
        let iam = op.ctx()?.aws.iam();
        let name = text(&prior.id).to_string();
        let force = prior.force_destroy == Value::Value(true);
        match delete::delete_user(&iam, &name, force).await {
            Ok(done) => {
                if !done.is_empty() {
                    audit(op, "delete", &name, result::SUCCESS, &done).await;
                }
                Ok(())
            }
            Err((done, error)) if done.is_empty() => Err(error),
            Err((done, error)) => {
                audit(op, "delete", &name, result::FAILURE, &done).await;
                Err(partial(&done, error))
            }
        }
    }

    fn summary(change: Change<'_, EnvUserState>, _: Option<&ProviderConfig>) -> Option<String> {
        summary::summary(change)
    }

    async fn import(&self, op: &mut Op<'_>, id: &str) -> Result<EnvUserState, Error> {
        let iam = op.ctx()?.aws.iam();
        let found = find_user(&iam, id).await?;
        let Some((prefix, environment)) = import_scope(&found) else {
            return Err(Error::invalid(
                Default::default(),
                "Cannot tell the user's environment",
                format!("`{id}` has no `{TAG_NAME_PREFIX}`/`{TAG_ENVIRONMENT}` tags and is not in the role groups (`<name_prefix>-<environment>-<role>`) of exactly one environment. Add it to its role group, or tag it with `{TAG_NAME_PREFIX}` and `{TAG_ENVIRONMENT}`, then import again."),
            ));
        };
        let roles = roles_in_groups(&prefix, environment, &found.all_groups);
        let state = EnvUserState {
            environment: Value::Value(environment.to_string()),
            force_destroy: Value::Value(false),
            id: Value::Value(id.to_string()),
            name: Value::Value(id.to_string()),
            name_prefix: Value::Value(prefix),
            roles: str_list(roles.iter().map(ToString::to_string)),
            ..Default::default()
        };
        Ok(flatten(state, found))
    }
}

/// The user, its tags and groups, and whether it has a login profile; a
/// not-found error when the user is gone.
async fn find_user(iam: &Iam, name: &str) -> Result<FoundUser, Error> {
    let user = iam.find_user_by_name(name).await?;
    let tags = if user.tags.is_empty() {
        // GetUser returns tags on AWS; ask explicitly where it does not.
        iam.list_user_tags(name).await?
    } else {
        user.tags
    };
    Ok(FoundUser {
        arn: user.arn,
        tags,
        all_groups: iam.list_groups_for_user(name).await?,
        console_access: iam.find_login_profile(name).await?.is_some(),
        blocks: blocks_on(iam, name).await?,
    })
}

/// Markers of the `jit_user_block`s on the user: the names of its block
/// policies (empty when the user is gone).
pub(crate) async fn blocks_on(iam: &Iam, name: &str) -> Result<Vec<String>, Error> {
    Ok(iam
        .list_user_policies(name)
        .await?
        .into_iter()
        .filter(|policy| is_marker(policy))
        .collect())
}

/// The plan's note for a blocked user.
fn blocked_note(op: &mut Op<'_>, name: &str, blocks: &[String]) {
    let markers = blocks
        .iter()
        .map(|b| format!("`{b}`"))
        .collect::<Vec<_>>()
        .join(", ");
    op.warn(
        format!("User `{name}` is blocked: group memberships left alone"),
        format!("`jit_user_block` {markers} removed `{name}` from its groups and puts them back when it is restored. Until then this resource neither adds the user to its role groups nor removes it from them; a change of `roles` is applied after the restore, by the next apply."),
        tf_provider::AttributePath::new("groups"),
    );
}
