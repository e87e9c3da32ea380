//! Pure planning of `jit_iam_env_user`: input checks, the role groups and
//! tags an input resolves to, the console password's plan, and how AWS's
//! view of a user is stored (drift detection and import).

use std::collections::{BTreeMap, BTreeSet};

use tf_provider::value::Value;

use super::password::{parse_pgp_key, RecipientKey};
use super::{EnvUserState, StrMap};
use crate::error::{attr, Error};
use crate::inputs::env_access::{parse_environment, parse_name_prefix};
use crate::policy::block::{is_record_tag, MARKER_PREFIX};
use crate::policy::{
    group_name, parse_group_name, roles_in_groups, user_name_problem, Environment, PolicyError,
    Role, TAG_ENVIRONMENT, TAG_NAME_PREFIX,
};
use crate::values::{known_str, known_str_list, str_list};

/// Tag keys with this prefix belong to the provider.
pub(crate) const RESERVED_TAG_PREFIX: &str = "jit:";

#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// `name_prefix`.
    pub prefix: String,
    /// `environment`.
    pub environment: Environment,
    /// Sorted role group names.
    pub groups: Vec<String>,
}

/// The result of checking every input.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// Known when `name_prefix`, `environment` and `roles` are.
    pub target: Option<Target>,
    /// The parsed `pgp_key`, when known and set.
    pub key: Option<RecipientKey>,
    /// `console_access` (null means false; None when unknown).
    pub console: Option<bool>,
}

impl Checked {
    /// The key the password is encrypted to, when the user gets console access.
    pub fn console_key(&self) -> Option<&RecipientKey> {
        (self.console == Some(true))
            .then_some(self.key.as_ref())
            .flatten()
    }
}

/// Validates every known input; unknown values are skipped.
pub(crate) fn check(state: &EnvUserState) -> Result<Checked, Vec<Error>> {
    let mut errors = Vec::new();
    if let Some(name) = known_str(&state.name) {
        if let Some(hint) = user_name_problem(name) {
            errors.push(Error::invalid(attr("name"), "Invalid user name", hint));
        }
    } else if !matches!(state.name, Value::Unknown) {
        errors.push(Error::invalid(
            attr("name"),
            "Empty user name",
            "Set `name`, e.g. `alice`.",
        ));
    }
    let prefix = parse_name_prefix(&state.name_prefix)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if known_str(&state.name_prefix).is_none() && !matches!(state.name_prefix, Value::Unknown) {
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
            if key.starts_with(RESERVED_TAG_PREFIX) || key.starts_with(MARKER_PREFIX) {
                errors.push(Error::invalid(
                    attr("tags"),
                    "Reserved tag key",
                    format!("Tag keys starting with `{RESERVED_TAG_PREFIX}` or `{MARKER_PREFIX}` belong to the provider; rename `{key}`."),
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

/// The sorted, distinct group names for `roles`.
pub(crate) fn role_groups(prefix: &str, environment: Environment, roles: &[Role]) -> Vec<String> {
    let names: BTreeSet<String> = roles
        .iter()
        .map(|role| group_name(prefix, environment, *role))
        .collect();
    names.into_iter().collect()
}

/// Fills the computed attributes of a plan; `prior` is the state of the same
/// user (an update), `None` for a new one.
pub(crate) fn plan_computed(
    planned: &mut EnvUserState,
    checked: &Checked,
    prior: Option<&EnvUserState>,
) {
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
pub(crate) fn plan_tags_all(planned: &EnvUserState) -> StrMap {
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
pub(crate) enum PasswordChange<'a> {
    /// Nothing.
    Keep,
    /// Delete the login profile.
    Remove,
    /// Generate a password encrypted to `key`; `exists` when a login profile
    /// is already there (then it is reset).
    Set {
        /// The recipient key.
        key: &'a RecipientKey,
        /// Whether a login profile exists.
        exists: bool,
    },
    /// Not known at plan time (`console_access` or `pgp_key` unknown).
    Undecided,
}

/// Decides the password change of an update. A new password is set when
/// console access is turned on, or when the key's fingerprint changes; a key
/// given for the first time after import is adopted without a new password
/// (the existing one is unknown to Terraform).
pub(crate) fn password_change<'a>(
    prior: &EnvUserState,
    checked: &'a Checked,
) -> PasswordChange<'a> {
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
pub(crate) fn console_url(state: &EnvUserState) -> Value<String> {
    if state.console_access != Value::Value(true) {
        return Value::Null;
    }
    match &state.arn {
        Value::Value(arn) => sign_in_url(arn).map_or(Value::Null, Value::Value),
        _ => Value::Unknown,
    }
}

/// `https://<account>.signin.<partition domain>/console` from an IAM ARN.
pub(crate) fn sign_in_url(arn: &str) -> Option<String> {
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

/// Forgets the password: no login profile, nothing encrypted.
pub(crate) fn clear_password(state: &mut EnvUserState) {
    state.encrypted_password = Value::Null;
    state.key_fingerprint = Value::Null;
    state.console_login_url = Value::Null;
}

/// The known entries of a map.
pub(crate) fn known_map(map: &StrMap) -> BTreeMap<String, String> {
    map.as_ref_option()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_ref_option().map(|v| (k.clone(), v.clone())))
        .collect()
}

/// What AWS has for one user.
#[derive(Debug, Default)]
pub(crate) struct FoundUser {
    /// User ARN.
    pub arn: String,
    /// Every tag of the user.
    pub tags: BTreeMap<String, String>,
    /// Every group the user is in (the role groups are picked by `flatten`).
    pub all_groups: Vec<String>,
    /// Whether the user has a login profile.
    pub console_access: bool,
    /// Markers of the `jit_user_block`s on the user (its block policies).
    pub blocks: Vec<String>,
}

/// Refreshes `state` from what AWS has. Only the role groups of the user's
/// own prefix and environment count. While a `jit_user_block` is on the
/// user, its memberships belong to the block (removed now, put back on
/// restore): the groups in state are kept as they are, so there is no
/// diff that would add the user back. The tags of block records belong to
/// the block too and are never part of `tags` or `tags_all`.
pub(crate) fn flatten(mut state: EnvUserState, found: FoundUser) -> EnvUserState {
    state.arn = Value::Value(found.arn);
    if found.blocks.is_empty() || matches!(state.groups, Value::Null | Value::Unknown) {
        state.groups = str_list(role_groups_of(&state, &found.all_groups));
    }
    let found_tags: BTreeMap<String, String> = found
        .tags
        .into_iter()
        .filter(|(key, _)| !is_record_tag(key))
        .collect();
    let own: BTreeMap<String, Value<String>> = found_tags
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
        found_tags
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

/// The role groups (of the state's prefix and environment) among `groups`.
fn role_groups_of(state: &EnvUserState, groups: &[String]) -> BTreeSet<String> {
    match (
        known_str(&state.name_prefix),
        parse_environment(&state.environment).ok().flatten(),
    ) {
        (Some(prefix), Some(environment)) => roles_in_groups(prefix, environment, groups)
            .into_iter()
            .map(|role| group_name(prefix, environment, role))
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// Prefix and environment of an imported user: from its tags, else from the
/// role groups of exactly one environment.
pub(crate) fn import_scope(found: &FoundUser) -> Option<(String, Environment)> {
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
        .filter_map(|group| parse_group_name(group))
        .map(|(prefix, environment, _)| (prefix, environment))
        .collect();
    let mut scopes = scopes.into_iter();
    match (scopes.next(), scopes.next()) {
        (Some(scope), None) => Some(scope),
        _ => None,
    }
}
