//! `jit_iam_env_user`: an IAM user of one environment, placed in its
//! `<prefix>-<env>-<role>` groups, with an optional console password that
//! exists in Terraform only PGP-encrypted.
//!
//! The user carries two tags (`jit:name-prefix`, `jit:environment`) so that
//! `data.jit_access_review` finds it even when it is in no role group.
//! Memberships in groups other than its environment's role groups are never
//! read into state and never touched, except on destroy (AWS refuses to delete
//! a user that is still a member of a group).

mod delete;
pub mod password;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};
use tracing::instrument::WithSubscriber;

use crate::audit::{result, AuditSink};
use crate::aws::{aws_error, wait::retry_when};
use crate::context::{Ctx, Shared};
use crate::error::{attr, gone_ok, report_all, Error};
use crate::inputs::env_access::parse_environment;
use crate::policy::{group_name, validate_name_prefix, Environment, PolicyError, Role};
use crate::schema::*;
use crate::values::{known_str, known_str_list, str_list, text, StrList};

use password::{generate_password, parse_pgp_key, Password, RecipientKey, DEFAULT_PASSWORD_LENGTH};

/// Tag naming the user's `name_prefix`; the access review finds users by it.
pub const TAG_NAME_PREFIX: &str = "jit:name-prefix";
/// Tag naming the user's environment.
pub const TAG_ENVIRONMENT: &str = "jit:environment";
/// Tag keys with this prefix belong to the provider.
const RESERVED_TAG_PREFIX: &str = "jit:";

/// How long a just-created user may be invisible to other IAM calls.
const IAM_PROPAGATION: Duration = Duration::from_secs(60);

/// IAM's longest user name.
const MAX_USER_NAME_LEN: usize = 64;

/// A map of strings as Terraform sends it.
pub type StrMap = Value<BTreeMap<String, Value<String>>>;

/// Resource state.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct EnvUserState {
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
pub struct IamEnvUserResource {
    shared: Shared,
}

impl IamEnvUserResource {
    /// A resource using the provider's shared context.
    pub fn new(shared: &Shared) -> Self {
        Self {
            shared: shared.clone(),
        }
    }
}

#[async_trait]
impl Resource for IamEnvUserResource {
    type State<'a> = EnvUserState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(
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
        ))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        check(&config)
            .map(|_| ())
            .map_err(|errors| report_all(errors, diags))
            .ok()
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = match self.shared.get() {
            Ok(ctx) => ctx,
            Err(error) => {
                error.report(diags);
                return Some((state, private_state));
            }
        };
        match find_user(ctx, text(&state.id)).await {
            Ok(found) => Some((flatten(state, found), private_state)),
            Err(error) if error.is_not_found() => None,
            Err(error) => {
                error.report(diags);
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let checked = check(&proposed_state)
            .map_err(|errors| report_all(errors, diags))
            .ok()?;
        let mut planned = proposed_state;
        plan_computed(&mut planned, &checked, None);
        Some((planned, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        let checked = check(&proposed_state)
            .map_err(|errors| report_all(errors, diags))
            .ok()?;
        let mut planned = proposed_state;
        let renamed = prior_state.name != planned.name;
        let keep = (!renamed).then_some(&prior_state);
        plan_computed(&mut planned, &checked, keep);
        let replace = if renamed {
            vec![attr("name")]
        } else {
            Vec::new()
        };
        Some((planned, prior_private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let checked = check(&planned_state)
            .map_err(|errors| report_all(errors, diags))
            .ok()?;
        let Some(target) = checked.target.clone() else {
            diags.root_error(
                "Inputs unknown at apply",
                "`name_prefix`, `environment` and `roles` must be known when the user is created.",
            );
            return None;
        };
        let name = text(&planned_state.name).to_string();
        if let Err(error) = require_groups(ctx, &target, &target.groups).await {
            error.report(diags);
            return None;
        }
        // Encrypt before anything exists, so a bad key changes nothing.
        let secret = match checked.console_key() {
            Some(key) => match new_password(ctx, key).await {
                Ok(secret) => Some(secret),
                Err(error) => {
                    error.report(diags);
                    return None;
                }
            },
            None => None,
        };
        let tags_all = known_map(&planned_state.tags_all);
        let created = ctx
            .aws
            .iam
            .create_user()
            .user_name(&name)
            .set_tags(Some(to_sdk_tags(&tags_all)))
            .send()
            .await
            .map_err(|e| aws_error("iam", "CreateUser", e));
        let arn = match created {
            Ok(output) => output.user.map(|user| user.arn).unwrap_or_default(),
            Err(error) if error.aws_code() == Some("EntityAlreadyExists") => {
                diags.error(
                    "User already exists",
                    format!("An IAM user `{name}` already exists in this account. Import it (`terraform import <address> {name}`) or choose another `name`."),
                    attr("name"),
                );
                return None;
            }
            Err(error) => {
                error.report_at(attr("name"), diags);
                return None;
            }
        };
        let mut state = planned_state;
        state.arn = Value::Value(arn);
        state.console_login_url = console_url(&state);
        // From here on the user exists: every failure returns what was done.
        let mut done = vec![format!("created user `{name}`")];
        let mut added = Vec::new();
        for group in &target.groups {
            match add_to_group(ctx, &name, group).await {
                Ok(()) => {
                    added.push(group.clone());
                    done.push(format!("added it to `{group}`"));
                }
                Err(error) => {
                    state.groups = str_list(added);
                    state.console_access = Value::Value(false);
                    clear_password(&mut state);
                    partial_failure(diags, &done, error);
                    audit(ctx, "create", &name, result::FAILURE, &done, diags).await;
                    return Some((state, planned_private_state));
                }
            }
        }
        if let Some((password, encrypted, fingerprint)) = secret {
            match create_login_profile(ctx, &name, &password).await {
                Ok(()) => {
                    done.push("set an initial console password".to_string());
                    state.encrypted_password = Value::Value(encrypted);
                    state.key_fingerprint = Value::Value(fingerprint);
                }
                Err(error) => {
                    state.console_access = Value::Value(false);
                    clear_password(&mut state);
                    partial_failure(diags, &done, error);
                    audit(ctx, "create", &name, result::FAILURE, &done, diags).await;
                    return Some((state, planned_private_state));
                }
            }
        }
        audit(ctx, "create", &name, result::SUCCESS, &done, diags).await;
        Some((state, planned_private_state))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let checked = check(&planned_state)
            .map_err(|errors| report_all(errors, diags))
            .ok()?;
        let Some(target) = checked.target.clone() else {
            diags.root_error(
                "Inputs unknown at apply",
                "`name_prefix`, `environment` and `roles` must be known when the user is updated.",
            );
            return Some((prior_state, planned_private_state));
        };
        let name = text(&planned_state.id).to_string();
        let prior_groups: BTreeSet<String> = known_str_list(&prior_state.groups)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let wanted: BTreeSet<String> = target.groups.iter().cloned().collect();
        let to_add: Vec<String> = wanted.difference(&prior_groups).cloned().collect();
        if let Err(error) = require_groups(ctx, &target, &to_add).await {
            error.report(diags);
            return Some((prior_state, planned_private_state));
        }
        let console = password_change(&prior_state, &checked);
        // Encrypt before changing anything, so a bad key changes nothing.
        let secret = match &console {
            PasswordChange::Set { key, .. } => match new_password(ctx, key).await {
                Ok(secret) => Some(secret),
                Err(error) => {
                    error.report(diags);
                    return Some((prior_state, planned_private_state));
                }
            },
            PasswordChange::Keep | PasswordChange::Remove | PasswordChange::Undecided => None,
        };

        let mut state = prior_state.clone();
        let mut done: Vec<String> = Vec::new();

        if let Err(error) =
            update_tags(ctx, &name, &prior_state.tags_all, &planned_state.tags_all).await
        {
            partial_failure(diags, &done, error);
            audit(ctx, "update", &name, result::FAILURE, &done, diags).await;
            return Some((state, planned_private_state));
        }
        state.tags = planned_state.tags.clone();
        state.tags_all = planned_state.tags_all.clone();
        if prior_state.tags_all != planned_state.tags_all {
            done.push("updated the tags".to_string());
        }
        // Other inputs are recorded as planned; they need no AWS call.
        state.environment = planned_state.environment.clone();
        state.name_prefix = planned_state.name_prefix.clone();
        state.roles = planned_state.roles.clone();
        state.force_destroy = planned_state.force_destroy;
        state.pgp_key = planned_state.pgp_key.clone();

        let mut groups = prior_groups.clone();
        for group in &to_add {
            if let Err(error) = add_to_group(ctx, &name, group).await {
                state.groups = str_list(groups.iter().cloned());
                partial_failure(diags, &done, error);
                audit(ctx, "update", &name, result::FAILURE, &done, diags).await;
                return Some((state, planned_private_state));
            }
            groups.insert(group.clone());
            done.push(format!("added it to `{group}`"));
        }
        for group in prior_groups.difference(&wanted) {
            if let Err(error) = remove_from_group(ctx, &name, group).await {
                state.groups = str_list(groups.iter().cloned());
                partial_failure(diags, &done, error);
                audit(ctx, "update", &name, result::FAILURE, &done, diags).await;
                return Some((state, planned_private_state));
            }
            groups.remove(group);
            done.push(format!("removed it from `{group}`"));
        }
        state.groups = str_list(groups.iter().cloned());

        let console_result = match (&console, secret) {
            (PasswordChange::Set { exists, .. }, Some((password, encrypted, fingerprint))) => {
                let call = if *exists {
                    reset_login_profile(ctx, &name, &password).await
                } else {
                    create_login_profile(ctx, &name, &password).await
                };
                call.map(|()| {
                    done.push(if *exists {
                        "set a new console password".to_string()
                    } else {
                        "gave it a console password".to_string()
                    });
                    state.console_access = Value::Value(true);
                    state.encrypted_password = Value::Value(encrypted);
                    state.key_fingerprint = Value::Value(fingerprint);
                })
            }
            (PasswordChange::Remove, _) => delete_login_profile(ctx, &name).await.map(|()| {
                done.push("removed its console password".to_string());
                state.console_access = Value::Value(false);
                clear_password(&mut state);
            }),
            _ => {
                state.console_access = planned_state.console_access;
                state.encrypted_password = planned_state.encrypted_password.clone();
                state.key_fingerprint = planned_state.key_fingerprint.clone();
                Ok(())
            }
        };
        state.console_login_url = console_url(&state);
        if let Err(error) = console_result {
            partial_failure(diags, &done, error);
            audit(ctx, "update", &name, result::FAILURE, &done, diags).await;
            return Some((state, planned_private_state));
        }
        if !done.is_empty() {
            audit(ctx, "update", &name, result::SUCCESS, &done, diags).await;
        }
        Some((state, planned_private_state))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let name = text(&prior_state.id).to_string();
        let force = prior_state.force_destroy == Value::Value(true);
        match delete::delete_user(ctx, &name, force).await {
            Ok(done) => {
                if !done.is_empty() {
                    audit(ctx, "delete", &name, result::SUCCESS, &done, diags).await;
                }
                Some(())
            }
            Err((done, error)) => {
                if done.is_empty() {
                    error.report(diags);
                } else {
                    partial_failure(diags, &done, error);
                    audit(ctx, "delete", &name, result::FAILURE, &done, diags).await;
                }
                None
            }
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let ctx = self.shared.get().map_err(|e| e.report(diags)).ok()?;
        let found = match find_user(ctx, &id).await {
            Ok(found) => found,
            Err(error) => {
                error.report(diags);
                return None;
            }
        };
        let Some((prefix, environment)) = import_scope(&found) else {
            diags.root_error(
                "Cannot tell the user's environment",
                format!("`{id}` has no `{TAG_NAME_PREFIX}`/`{TAG_ENVIRONMENT}` tags and is not in the role groups (`<name_prefix>-<environment>-<role>`) of exactly one environment. Add it to its role group, or tag it with `{TAG_NAME_PREFIX}` and `{TAG_ENVIRONMENT}`, then import again."),
            );
            return None;
        };
        let roles: Vec<String> = found
            .all_groups
            .iter()
            .filter_map(|group| {
                Role::ALL
                    .into_iter()
                    .find(|role| *group == group_name(&prefix, environment, *role))
                    .map(|role| role.to_string())
            })
            .collect();
        let state = EnvUserState {
            environment: Value::Value(environment.to_string()),
            force_destroy: Value::Value(false),
            id: Value::Value(id.clone()),
            name: Value::Value(id),
            name_prefix: Value::Value(prefix),
            roles: str_list(roles),
            ..Default::default()
        };
        Some((flatten(state, found), ValueEmpty::default()))
    }
}

/// What the inputs resolve to, once known.
#[derive(Debug, Clone)]
struct Target {
    prefix: String,
    environment: Environment,
    /// Sorted role group names.
    groups: Vec<String>,
}

/// The result of checking every input.
#[derive(Debug, Default)]
struct Checked {
    /// Known when `name_prefix`, `environment` and `roles` are.
    target: Option<Target>,
    /// The parsed `pgp_key`, when known and set.
    key: Option<RecipientKey>,
    /// `console_access` (null means false; None when unknown).
    console: Option<bool>,
}

impl Checked {
    /// The key the password is encrypted to, when the user gets console access.
    fn console_key(&self) -> Option<&RecipientKey> {
        (self.console == Some(true))
            .then_some(self.key.as_ref())
            .flatten()
    }
}

/// Validates every known input; unknown values are skipped.
fn check(state: &EnvUserState) -> Result<Checked, Vec<Error>> {
    let mut errors = Vec::new();
    if let Some(name) = known_str(&state.name) {
        if let Err(hint) = validate_user_name(name) {
            errors.push(Error::invalid(attr("name"), "Invalid user name", hint));
        }
    } else if !matches!(state.name, Value::Unknown) {
        errors.push(Error::invalid(
            attr("name"),
            "Empty user name",
            "Set `name`, e.g. `alice`.",
        ));
    }
    let prefix = known_str(&state.name_prefix);
    if let Some(prefix) = prefix {
        if let Err(problem) = validate_name_prefix(prefix) {
            errors.push(Error::invalid(
                attr("name_prefix"),
                "Invalid name prefix",
                problem.hint(),
            ));
        }
    } else if !matches!(state.name_prefix, Value::Unknown) {
        errors.push(Error::invalid(
            attr("name_prefix"),
            "Empty name prefix",
            "Set `name_prefix`, e.g. `hera`.",
        ));
    }
    let environment = parse_environment(&state.environment)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let roles = match known_str_list(&state.roles) {
        Some(texts) => {
            let mut roles = Vec::new();
            for text in texts {
                match text.parse::<Role>() {
                    Ok(role) => roles.push(role),
                    Err(problem) => errors.push(Error::invalid(
                        attr("roles"),
                        "Unknown role",
                        format!("{problem}. {}", problem.hint()),
                    )),
                }
            }
            Some(roles)
        }
        None => None,
    };
    if environment == Some(Environment::Prod)
        && roles.iter().flatten().any(|role| *role == Role::Developer)
    {
        errors.push(Error::invalid(
            attr("roles"),
            "Developers get no standing prod access",
            PolicyError::DeveloperInProd.hint(),
        ));
    }
    let console = match state.console_access {
        Value::Value(flag) => Some(flag),
        Value::Null => Some(false),
        Value::Unknown => None,
    };
    let key = match known_str(&state.pgp_key) {
        Some(text) => match parse_pgp_key(text) {
            Ok(key) => Some(key),
            Err(problem) => {
                errors.push(Error::invalid(
                    attr("pgp_key"),
                    "Unusable PGP key",
                    problem.hint(),
                ));
                None
            }
        },
        None => None,
    };
    let key_missing = matches!(state.pgp_key, Value::Null)
        || matches!(&state.pgp_key, Value::Value(text) if text.trim().is_empty());
    if console == Some(true) && key_missing {
        errors.push(Error::invalid(
            attr("console_access"),
            "Console access needs a PGP key",
            "Set `pgp_key` to the user's OpenPGP public key (`gpg --export <key-id> | base64 -w0`): the initial password is stored only encrypted to it, never in plaintext.",
        ));
    }
    if let Value::Value(tags) = &state.tags {
        for key in tags.keys() {
            if key.starts_with(RESERVED_TAG_PREFIX) {
                errors.push(Error::invalid(
                    attr("tags"),
                    "Reserved tag key",
                    format!("Tag keys starting with `{RESERVED_TAG_PREFIX}` belong to the provider; rename `{key}`."),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let target = match (prefix, environment, roles) {
        (Some(prefix), Some(environment), Some(roles)) => Some(Target {
            prefix: prefix.to_string(),
            environment,
            groups: role_groups(prefix, environment, &roles),
        }),
        _ => None,
    };
    Ok(Checked {
        target,
        key,
        console,
    })
}

/// Checks an IAM user name: `[\w+=,.@-]{1,64}`.
fn validate_user_name(name: &str) -> Result<(), String> {
    if name.len() > MAX_USER_NAME_LEN {
        return Err(format!(
            "`{name}` has `{}` characters; IAM allows `{MAX_USER_NAME_LEN}`.",
            name.len()
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c)))
    {
        Some(bad) => Err(format!(
            "The character `{}` is not allowed in IAM user names; use letters, digits and `+=,.@_-`.",
            bad.escape_default()
        )),
        None => Ok(()),
    }
}

/// The sorted, distinct group names for `roles`.
fn role_groups(prefix: &str, environment: Environment, roles: &[Role]) -> Vec<String> {
    let names: BTreeSet<String> = roles
        .iter()
        .map(|role| group_name(prefix, environment, *role))
        .collect();
    names.into_iter().collect()
}

/// Fills the computed attributes of a plan; `prior` is the state of the same
/// user (an update), `None` for a new one.
fn plan_computed(planned: &mut EnvUserState, checked: &Checked, prior: Option<&EnvUserState>) {
    if planned.console_access.is_null() {
        planned.console_access = Value::Value(false);
    }
    if planned.force_destroy.is_null() {
        planned.force_destroy = Value::Value(false);
    }
    planned.id = planned.name.clone();
    planned.arn = prior.map_or(Value::Unknown, |prior| prior.arn.clone());
    planned.groups = match &checked.target {
        Some(target) => str_list(target.groups.iter().cloned()),
        None => Value::Unknown,
    };
    planned.tags_all = plan_tags_all(planned);
    planned.console_login_url = match checked.console {
        Some(true) => console_url(planned),
        Some(false) => Value::Null,
        None => Value::Unknown,
    };
    let (encrypted, fingerprint) = match prior {
        Some(prior) => match password_change(prior, checked) {
            PasswordChange::Keep => (
                prior.encrypted_password.clone(),
                prior.key_fingerprint.clone(),
            ),
            PasswordChange::Remove => (Value::Null, Value::Null),
            PasswordChange::Set { key, .. } => {
                (Value::Unknown, Value::Value(key.fingerprint.clone()))
            }
            PasswordChange::Undecided => (Value::Unknown, Value::Unknown),
        },
        None => match (checked.console, checked.console_key()) {
            (Some(false), _) => (Value::Null, Value::Null),
            (Some(true), Some(key)) => (Value::Unknown, Value::Value(key.fingerprint.clone())),
            _ => (Value::Unknown, Value::Unknown),
        },
    };
    planned.encrypted_password = encrypted;
    planned.key_fingerprint = fingerprint;
}

/// `tags` plus the provider's two tags, when everything is known.
fn plan_tags_all(planned: &EnvUserState) -> StrMap {
    let (Some(prefix), Some(environment)) = (
        known_str(&planned.name_prefix),
        known_str(&planned.environment),
    ) else {
        return Value::Unknown;
    };
    let mut all = match &planned.tags {
        Value::Unknown => return Value::Unknown,
        Value::Null => BTreeMap::new(),
        Value::Value(tags) => {
            if tags.values().any(|v| matches!(v, Value::Unknown)) {
                return Value::Unknown;
            }
            tags.clone()
        }
    };
    all.insert(
        TAG_NAME_PREFIX.to_string(),
        Value::Value(prefix.to_string()),
    );
    all.insert(
        TAG_ENVIRONMENT.to_string(),
        Value::Value(environment.to_string()),
    );
    Value::Value(all)
}

/// What an update does to the console password.
enum PasswordChange<'a> {
    /// Nothing.
    Keep,
    /// Delete the login profile.
    Remove,
    /// Generate a password encrypted to `key`; `exists` when a login profile
    /// is already there (then it is reset).
    Set { key: &'a RecipientKey, exists: bool },
    /// Not known at plan time (`console_access` or `pgp_key` unknown).
    Undecided,
}

/// Decides the password change of an update. A new password is set when
/// console access is turned on, or when the key's fingerprint changes; a key
/// given for the first time after import is adopted without a new password
/// (the existing one is unknown to Terraform).
fn password_change<'a>(prior: &EnvUserState, checked: &'a Checked) -> PasswordChange<'a> {
    let had_console = prior.console_access == Value::Value(true);
    match checked.console {
        None => PasswordChange::Undecided,
        Some(false) if had_console => PasswordChange::Remove,
        Some(false) => PasswordChange::Keep,
        Some(true) => match checked.console_key() {
            None => PasswordChange::Undecided,
            Some(key) if !had_console => PasswordChange::Set { key, exists: false },
            Some(key) => match prior.key_fingerprint.as_ref_option() {
                Some(fingerprint) if *fingerprint != key.fingerprint => {
                    PasswordChange::Set { key, exists: true }
                }
                _ => PasswordChange::Keep,
            },
        },
    }
}

/// The account's console sign-in URL from the user's ARN, when the user has
/// console access.
fn console_url(state: &EnvUserState) -> Value<String> {
    if state.console_access != Value::Value(true) {
        return Value::Null;
    }
    match &state.arn {
        Value::Value(arn) => sign_in_url(arn).map_or(Value::Null, Value::Value),
        _ => Value::Unknown,
    }
}

/// `https://<account>.signin.<partition domain>/console` from an IAM ARN.
pub fn sign_in_url(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let (_, partition, _, _, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let domain = match partition {
        "aws" => "aws.amazon.com",
        "aws-cn" => "amazonaws.cn",
        "aws-us-gov" => "amazonaws-us-gov.com",
        _ => return None,
    };
    Some(format!("https://{account}.signin.{domain}/console"))
}

fn clear_password(state: &mut EnvUserState) {
    state.encrypted_password = Value::Null;
    state.key_fingerprint = Value::Null;
    state.console_login_url = Value::Null;
}

fn known_map(map: &StrMap) -> BTreeMap<String, String> {
    map.as_ref_option()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_ref_option().map(|v| (k.clone(), v.clone())))
        .collect()
}

fn to_sdk_tags(tags: &BTreeMap<String, String>) -> Vec<aws_sdk_iam::types::Tag> {
    tags.iter()
        .filter_map(|(key, value)| {
            aws_sdk_iam::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .ok()
        })
        .collect()
}

/// What AWS has for one user.
#[derive(Debug, Default)]
struct FoundUser {
    arn: String,
    tags: BTreeMap<String, String>,
    /// Every group the user is in (the role groups are picked by `flatten`).
    all_groups: Vec<String>,
    console_access: bool,
}

/// The user, its groups and whether it has a login profile, or
/// `Error::NotFound` style errors when the user is gone.
async fn find_user(ctx: &Ctx, name: &str) -> Result<FoundUser, Error> {
    let iam = &ctx.aws.iam;
    let user = iam
        .get_user()
        .user_name(name)
        .send()
        .await
        .map_err(|e| aws_error("iam", "GetUser", e))?
        .user
        .ok_or_else(|| Error::NotFound {
            what: format!("IAM user `{name}`"),
        })?;
    let mut tags: BTreeMap<String, String> = user
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|tag| (tag.key, tag.value))
        .collect();
    if tags.is_empty() {
        // GetUser returns tags on AWS; ask explicitly where it does not.
        tags = iam
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .map_err(|e| aws_error("iam", "ListUserTags", e))?
            .tags
            .into_iter()
            .map(|tag| (tag.key, tag.value))
            .collect();
    }
    let mut all_groups = Vec::new();
    let mut pages = iam
        .list_groups_for_user()
        .user_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("iam", "ListGroupsForUser", e))?;
        all_groups.extend(page.groups.into_iter().map(|group| group.group_name));
    }
    let console_access = match iam.get_login_profile().user_name(name).send().await {
        Ok(_) => true,
        Err(error) => {
            let error = aws_error("iam", "GetLoginProfile", error);
            if !error.is_not_found() {
                return Err(error);
            }
            false
        }
    };
    Ok(FoundUser {
        arn: user.arn,
        tags,
        all_groups,
        console_access,
    })
}

/// Refreshes `state` from what AWS has. Only the role groups of the user's
/// own prefix and environment count.
fn flatten(mut state: EnvUserState, found: FoundUser) -> EnvUserState {
    state.arn = Value::Value(found.arn);
    let role_group_names: BTreeSet<String> = match (
        known_str(&state.name_prefix),
        parse_environment(&state.environment).ok().flatten(),
    ) {
        (Some(prefix), Some(environment)) => Role::ALL
            .into_iter()
            .map(|role| group_name(prefix, environment, role))
            .collect(),
        _ => BTreeSet::new(),
    };
    let groups: BTreeSet<String> = found
        .all_groups
        .into_iter()
        .filter(|group| role_group_names.contains(group))
        .collect();
    state.groups = str_list(groups);
    let own: BTreeMap<String, Value<String>> = found
        .tags
        .iter()
        .filter(|(key, _)| !key.starts_with(RESERVED_TAG_PREFIX))
        .map(|(k, v)| (k.clone(), Value::Value(v.clone())))
        .collect();
    state.tags = if !own.is_empty() {
        Value::Value(own)
    } else if matches!(state.tags, Value::Value(_)) {
        // Keep `{}` as written; configured tags removed outside show as drift.
        Value::Value(BTreeMap::new())
    } else {
        Value::Null
    };
    state.tags_all = Value::Value(
        found
            .tags
            .into_iter()
            .map(|(k, v)| (k, Value::Value(v)))
            .collect(),
    );
    if state.console_access == Value::Value(true) && !found.console_access {
        clear_password(&mut state);
    }
    state.console_access = Value::Value(found.console_access);
    state.console_login_url = console_url(&state);
    state
}

/// Prefix and environment of an imported user: from its tags, else from the
/// role groups of exactly one environment.
fn import_scope(found: &FoundUser) -> Option<(String, Environment)> {
    if let (Some(prefix), Some(environment)) = (
        found.tags.get(TAG_NAME_PREFIX),
        found
            .tags
            .get(TAG_ENVIRONMENT)
            .and_then(|e| e.parse::<Environment>().ok()),
    ) {
        return Some((prefix.clone(), environment));
    }
    let scopes: BTreeSet<(String, Environment)> = found
        .all_groups
        .iter()
        .filter_map(|group| crate::policy::parse_group_name(group))
        .map(|(prefix, environment, _)| (prefix, environment))
        .collect();
    let mut scopes = scopes.into_iter();
    match (scopes.next(), scopes.next()) {
        (Some(scope), None) => Some(scope),
        _ => None,
    }
}

/// Fails with an error naming the missing `jit_iam_env_group` when a group
/// the user should join does not exist.
async fn require_groups(ctx: &Ctx, target: &Target, groups: &[String]) -> Result<(), Error> {
    for group in groups {
        match ctx
            .aws
            .iam
            .get_group()
            .group_name(group)
            .max_items(1)
            .send()
            .await
        {
            Ok(_) => {}
            Err(error) => {
                let error = aws_error("iam", "GetGroup", error);
                if !error.is_not_found() {
                    return Err(error);
                }
                let role = Role::ALL
                    .into_iter()
                    .find(|role| *group == group_name(&target.prefix, target.environment, *role))
                    .map_or_else(String::new, |role| role.to_string());
                return Err(Error::invalid(
                    attr("roles"),
                    format!("Role group `{group}` does not exist"),
                    format!(
                        "Add `resource \"jit_iam_env_group\"` with `name_prefix = \"{}\"`, `environment = \"{}\"` and `role = \"{role}\"`, and let this user depend on it (`depends_on`), then apply again. Nothing was changed.",
                        target.prefix, target.environment
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A new password for `key`: the password, its encryption and the key's
/// fingerprint. Its length follows the account password policy when that
/// asks for more than the default.
async fn new_password(ctx: &Ctx, key: &RecipientKey) -> Result<(Password, String, String), Error> {
    let minimum = match ctx.aws.iam.get_account_password_policy().send().await {
        Ok(output) => output
            .password_policy
            .and_then(|policy| policy.minimum_password_length)
            .and_then(|length| usize::try_from(length).ok())
            .unwrap_or(0),
        Err(error) => {
            let error = aws_error("iam", "GetAccountPasswordPolicy", error);
            if !error.is_not_found() {
                return Err(error);
            }
            0
        }
    };
    let password = generate_password(minimum.max(DEFAULT_PASSWORD_LENGTH));
    let encrypted = key
        .encrypt(&password)
        .map_err(|problem| Error::invalid(attr("pgp_key"), "Unusable PGP key", problem.hint()))?;
    Ok((password, encrypted, key.fingerprint.clone()))
}

/// Creates the login profile with a password that must be changed at first
/// sign-in. The call runs with logging off: the SDK's trace line of each
/// request prints the request with `Debug`, which today shows the body only
/// as an opaque box, but an in-memory body would be printed byte for byte,
/// and the password must never reach a log whatever the SDK version.
async fn create_login_profile(ctx: &Ctx, name: &str, password: &Password) -> Result<(), Error> {
    tracing::debug!(user = name, "creating console login profile");
    retry_when(IAM_PROPAGATION, Error::is_not_found, || async {
        create_login_profile_request(ctx, name, password)
            .send()
            .with_subscriber(tracing::subscriber::NoSubscriber::default())
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "CreateLoginProfile", e))
    })
    .await
}

/// The CreateLoginProfile request: always with `PasswordResetRequired`.
fn create_login_profile_request(
    ctx: &Ctx,
    name: &str,
    password: &Password,
) -> aws_sdk_iam::operation::create_login_profile::builders::CreateLoginProfileFluentBuilder {
    ctx.aws
        .iam
        .create_login_profile()
        .user_name(name)
        .password(password.expose())
        .password_reset_required(true)
}

/// Sets a new password on an existing login profile, to be changed at first
/// sign-in (logging off, as for [`create_login_profile`]).
async fn reset_login_profile(ctx: &Ctx, name: &str, password: &Password) -> Result<(), Error> {
    tracing::debug!(user = name, "resetting console password");
    reset_login_profile_request(ctx, name, password)
        .send()
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
        .map(|_| ())
        .map_err(|e| aws_error("iam", "UpdateLoginProfile", e))
}

/// The UpdateLoginProfile request: always with a password (moto deletes the
/// profile without one) and `PasswordResetRequired`.
fn reset_login_profile_request(
    ctx: &Ctx,
    name: &str,
    password: &Password,
) -> aws_sdk_iam::operation::update_login_profile::builders::UpdateLoginProfileFluentBuilder {
    ctx.aws
        .iam
        .update_login_profile()
        .user_name(name)
        .password(password.expose())
        .password_reset_required(true)
}

async fn delete_login_profile(ctx: &Ctx, name: &str) -> Result<(), Error> {
    gone_ok(
        ctx.aws
            .iam
            .delete_login_profile()
            .user_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "DeleteLoginProfile", e)),
    )
}

async fn add_to_group(ctx: &Ctx, name: &str, group: &str) -> Result<(), Error> {
    retry_when(IAM_PROPAGATION, Error::is_not_found, || async {
        ctx.aws
            .iam
            .add_user_to_group()
            .user_name(name)
            .group_name(group)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "AddUserToGroup", e))
    })
    .await
}

async fn remove_from_group(ctx: &Ctx, name: &str, group: &str) -> Result<(), Error> {
    gone_ok(
        ctx.aws
            .iam
            .remove_user_from_group()
            .user_name(name)
            .group_name(group)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("iam", "RemoveUserFromGroup", e)),
    )
}

/// Applies the difference between two `tags_all` maps.
async fn update_tags(ctx: &Ctx, name: &str, prior: &StrMap, planned: &StrMap) -> Result<(), Error> {
    let prior = known_map(prior);
    let planned = known_map(planned);
    let removed: Vec<String> = prior
        .keys()
        .filter(|key| !planned.contains_key(*key))
        .cloned()
        .collect();
    let changed: BTreeMap<String, String> = planned
        .into_iter()
        .filter(|(key, value)| prior.get(key) != Some(value))
        .collect();
    if !removed.is_empty() {
        ctx.aws
            .iam
            .untag_user()
            .user_name(name)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| aws_error("iam", "UntagUser", e))?;
    }
    if !changed.is_empty() {
        ctx.aws
            .iam
            .tag_user()
            .user_name(name)
            .set_tags(Some(to_sdk_tags(&changed)))
            .send()
            .await
            .map_err(|e| aws_error("iam", "TagUser", e))?;
    }
    Ok(())
}

/// An error after some steps succeeded: says what was done.
fn partial_failure(diags: &mut Diagnostics, done: &[String], error: Error) {
    let (summary, detail, path) = error.into_parts(AttributePath::default());
    let done = if done.is_empty() {
        "Nothing was changed.".to_string()
    } else {
        format!(
            "Already done: {}. Run apply again to finish.",
            done.join("; ")
        )
    };
    diags.error(summary, format!("{detail}\n\n{done}"), path);
}

/// Writes the audit event of a change; a failed write is a warning (the IAM
/// change itself is already made and reviewed in the pull request).
async fn audit(
    ctx: &Ctx,
    action: &str,
    name: &str,
    outcome: &str,
    done: &[String],
    diags: &mut Diagnostics,
) {
    let mut event = AuditSink::event(&format!("iam_env_user.{action}"), "jit_iam_env_user", name);
    event.result = outcome.to_string();
    event.details.insert("steps".to_string(), done.join("; "));
    if let Err(error) = ctx.audit.write(event).await {
        error.report_warning(format!("Audit event for `{name}` not written"), diags);
    }
}

#[cfg(test)]
mod tests;
