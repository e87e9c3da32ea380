//! The pure part of `jit_user_block`: input validation, the target, ids,
//! markers and planning.

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::{
    status, CognitoBlock, IamBlock, IdentityCenterBlock, UserBlockState, DEFAULT_BLOCK_ATTRIBUTE,
    MARKER_PREFIX,
};
use crate::audit;
use crate::error::{attr, Error};
use crate::framework::Errors;
use crate::policy::block::is_marker;
use crate::policy::user_name_problem;
use crate::values::{known_str, text};

/// An import id: the resource id, optionally with `/<marker>` to pick one
/// of several blocks of the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportId {
    /// IAM user name or Cognito username.
    pub user: String,
    /// Cognito user pool id (`None`: IAM or Identity Center).
    pub pool: Option<String>,
    /// An Identity Center user (user name, email or id).
    pub identity_center: bool,
    /// The block's marker, when given.
    pub marker: Option<String>,
}

/// Parses an import id: `iam:<user_name>`,
/// `cognito:<user_pool_id>:<username>` or `identity_center:<user>`, each
/// optionally followed by `/<marker>`.
pub(crate) fn parse_id(id: &str) -> Result<ImportId, Error> {
    let bad = || {
        Error::invalid(
            AttributePath::default(),
            "Cannot import this block",
            format!("`{id}` is not a block id: use `iam:<user_name>`, `identity_center:<user name, email or id>` or `cognito:<user_pool_id>:<username>`, e.g. `cognito:eu-west-1_AbCdEf123:mallory`, and add `/<marker>` (e.g. `/jit-user-block-0123456789abcdef`) to pick one of several blocks of the user."),
        )
    };
    let (id_part, marker) = match id.rsplit_once('/') {
        Some((rest, marker)) if is_marker(marker) => (rest, Some(marker.to_string())),
        _ => (id, None),
    };
    if let Some(user) = id_part.strip_prefix("iam:") {
        return if valid_iam_name(user) {
            Ok(ImportId {
                user: user.to_string(),
                pool: None,
                identity_center: false,
                marker,
            })
        } else {
            Err(bad())
        };
    }
    if let Some(user) = id_part.strip_prefix("identity_center:") {
        return if valid_ic_user(user) {
            Ok(ImportId {
                user: user.to_string(),
                pool: None,
                identity_center: true,
                marker,
            })
        } else {
            Err(bad())
        };
    }
    let rest = id_part.strip_prefix("cognito:").ok_or_else(bad)?;
    let (pool, username) = rest.split_once(':').ok_or_else(bad)?;
    if valid_pool_id(pool) && valid_username(username) {
        Ok(ImportId {
            user: username.to_string(),
            pool: Some(pool.to_string()),
            identity_center: false,
            marker,
        })
    } else {
        Err(bad())
    }
}

/// Path of an attribute inside the `cognito` block.
pub(crate) fn cognito_path(name: &'static str) -> AttributePath {
    attr("cognito").index(0).attribute(name)
}

/// Path of an attribute inside the `identity_center` block.
pub(crate) fn identity_center_path(name: &'static str) -> AttributePath {
    attr("identity_center").index(0).attribute(name)
}

/// Path of an attribute inside the `iam` block.
pub(crate) fn iam_path(name: &'static str) -> AttributePath {
    attr("iam").index(0).attribute(name)
}

pub(super) fn new_marker() -> String {
    format!("{MARKER_PREFIX}{}", audit::random_id())
}

/// Validates the shape of every known input; the target when all are known.
pub(crate) fn check(state: &UserBlockState) -> (Option<Target>, Vec<Error>) {
    let mut errors = Vec::new();
    for (name, value, example) in [
        ("reason", &state.reason, "Account compromise"),
        ("blocked_by", &state.blocked_by, "secops@example.com"),
    ] {
        if blank(value) {
            errors.push(Error::invalid(
                AttributePath::new(name),
                format!("Empty `{name}`"),
                format!(
                    "Set `{name}`, e.g. `{example}`: every block and restore is audited with it."
                ),
            ));
        }
    }
    if matches!(&state.ticket, Value::Value(ticket) if ticket.trim().is_empty()) {
        errors.push(Error::invalid(
            attr("ticket"),
            "Empty `ticket`",
            "Remove `ticket` or set it to the incident or change id, e.g. `SEC-7`.",
        ));
    }
    let kinds = [
        matches!(state.cognito, Value::Value(_)),
        matches!(state.iam, Value::Value(_)),
        matches!(state.identity_center, Value::Value(_)),
    ];
    let unknown = matches!(state.cognito, Value::Unknown)
        || matches!(state.iam, Value::Unknown)
        || matches!(state.identity_center, Value::Unknown);
    let target = match (
        kinds.iter().filter(|k| **k).count(),
        &state.cognito,
        &state.iam,
        &state.identity_center,
    ) {
        (2.., _, _, _) => {
            errors.push(Error::invalid(
                if kinds[1] { iam_path("user_name") } else { identity_center_path("user") },
                "Choose one of `cognito`, `iam` and `identity_center`",
                "A block is about one user: keep one of the `cognito`, `iam` and `identity_center` blocks, and write a second `jit_user_block` for the other user.",
            ));
            None
        }
        (0, _, _, _) if !unknown => {
            errors.push(Error::invalid(
                AttributePath::default(),
                "No user to block",
                "Add a `cognito { user_pool_id = \"…\", username = \"…\" }` block, an `iam { user_name = \"…\" }` block or an `identity_center { user = \"…\" }` block.",
            ));
            None
        }
        (_, Value::Value(cognito), _, _) => check_cognito(cognito, &mut errors),
        (_, _, Value::Value(iam), _) => check_iam(iam, &mut errors),
        (_, _, _, Value::Value(ic)) => check_identity_center(ic, &mut errors),
        _ => None,
    };
    (target.filter(|_| errors.is_empty()), errors)
}

pub(super) fn check_cognito(block: &CognitoBlock, errors: &mut Vec<Error>) -> Option<Target> {
    let pool = known_str(&block.user_pool_id);
    if pool.is_some_and(|p| !valid_pool_id(p)) || blank(&block.user_pool_id) {
        errors.push(Error::invalid(
            cognito_path("user_pool_id"),
            "Invalid user pool id",
            format!(
                "`{}` is not a user pool id such as `eu-west-1_AbCdEf123`.",
                text(&block.user_pool_id)
            ),
        ));
    }
    let username = known_str(&block.username);
    if username.is_some_and(|u| !valid_username(u)) || blank(&block.username) {
        errors.push(Error::invalid(
            cognito_path("username"),
            "Invalid username",
            format!(
                "`{}` is not a Cognito user name: it must be 1 to 128 characters without spaces.",
                text(&block.username)
            ),
        ));
    }
    let attribute = match &block.block_attribute {
        Value::Null => Some(DEFAULT_BLOCK_ATTRIBUTE),
        other => known_str(other),
    };
    if attribute.is_some_and(|a| !valid_attribute(a))
        || matches!(&block.block_attribute, Value::Value(a) if a.trim().is_empty())
    {
        errors.push(Error::invalid(
            cognito_path("block_attribute"),
            "Invalid block attribute",
            format!("`{}` is not a custom attribute: use `custom:<name>` (name 1 to 20 characters), e.g. `{DEFAULT_BLOCK_ATTRIBUTE}`.", text(&block.block_attribute)),
        ));
    }
    Some(Target::Cognito(CognitoTarget {
        pool_id: pool?.to_string(),
        username: username?.to_string(),
        attribute: attribute?.to_string(),
    }))
}

pub(super) fn check_iam(block: &IamBlock, errors: &mut Vec<Error>) -> Option<Target> {
    let user = known_str(&block.user_name);
    if user.is_some_and(|u| !valid_iam_name(u)) || blank(&block.user_name) {
        errors.push(Error::invalid(
            iam_path("user_name"),
            "Invalid IAM user name",
            format!(
                "`{}` is not an IAM user name: 1 to 64 letters, digits or `+=,.@_-`.",
                text(&block.user_name)
            ),
        ));
    }
    Some(Target::Iam(user?.to_string()))
}

pub(super) fn check_identity_center(
    block: &IdentityCenterBlock,
    errors: &mut Vec<Error>,
) -> Option<Target> {
    let user = known_str(&block.user);
    if user.is_some_and(|u| !valid_ic_user(u)) || blank(&block.user) {
        errors.push(Error::invalid(
            identity_center_path("user"),
            "Invalid Identity Center user",
            format!(
                "`{}` is not an Identity Center user name, email or id: 1 to 128 characters without spaces.",
                text(&block.user)
            ),
        ));
    }
    Some(Target::IdentityCenter(user?.to_string()))
}

/// An Identity Center user name, email or id: 1 to 128 characters, no
/// whitespace, no `/` (it separates a marker in import ids).
pub(super) fn valid_ic_user(user: &str) -> bool {
    (1..=128).contains(&user.chars().count())
        && !user.chars().any(|c| c.is_whitespace() || c == '/')
}

/// Null or whitespace-only (unknown is not blank).
pub(super) fn blank(value: &Value<String>) -> bool {
    match value {
        Value::Null => true,
        Value::Value(text) => text.trim().is_empty(),
        Value::Unknown => false,
    }
}

pub(super) fn valid_pool_id(pool: &str) -> bool {
    pool.split_once('_').is_some_and(|(region, id)| {
        !region.is_empty()
            && !id.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && id.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

pub(super) fn valid_username(name: &str) -> bool {
    (1..=128).contains(&name.chars().count()) && !name.chars().any(char::is_whitespace)
}

pub(super) fn valid_iam_name(name: &str) -> bool {
    user_name_problem(name).is_none()
}

pub(super) fn valid_attribute(attribute: &str) -> bool {
    attribute.strip_prefix("custom:").is_some_and(|name| {
        (1..=20).contains(&name.chars().count()) && !name.chars().any(char::is_whitespace)
    })
}

/// The target of a stored state (inputs are known there).
pub(super) fn target_of(state: &UserBlockState) -> Option<Target> {
    check(state)
        .0
        .or_else(|| match (&state.cognito, &state.iam) {
            // Stored states may carry blank audit inputs (after import).
            (Value::Value(c), _) => Some(Target::Cognito(CognitoTarget {
                pool_id: known_str(&c.user_pool_id)?.to_string(),
                username: known_str(&c.username)?.to_string(),
                attribute: known_str(&c.block_attribute)
                    .unwrap_or(DEFAULT_BLOCK_ATTRIBUTE)
                    .to_string(),
            })),
            (_, Value::Value(i)) => Some(Target::Iam(known_str(&i.user_name)?.to_string())),
            _ => match &state.identity_center {
                Value::Value(ic) => Some(Target::IdentityCenter(known_str(&ic.user)?.to_string())),
                _ => None,
            },
        })
}

/// [`check`] as a result: the target (when known), or every error.
pub(crate) fn checked(state: &UserBlockState) -> Result<Option<Target>, Errors> {
    let (target, errors) = check(state);
    Errors::from(errors).into_result().map(|()| target)
}

/// The target at apply, where every input must be known and valid.
pub(super) fn known_target(state: &UserBlockState) -> Result<Target, Errors> {
    checked(state)?.ok_or_else(|| {
        Error::incomplete(
            "Block target unknown at apply",
            "`cognito`, `iam` or `identity_center` still has unknown values; apply the resources they depend on first.",
        )
        .into()
    })
}

/// The Cognito flag attribute of a state, when it has a `cognito` block.
pub(super) fn flag_attribute(state: &UserBlockState) -> Option<&str> {
    match &state.cognito {
        Value::Value(c) => Some(known_str(&c.block_attribute).unwrap_or(DEFAULT_BLOCK_ATTRIBUTE)),
        _ => None,
    }
}

pub(super) fn default_attribute(state: &mut UserBlockState) {
    if let Value::Value(c) = &mut state.cognito {
        if c.block_attribute.is_null() {
            c.block_attribute = Value::Value(DEFAULT_BLOCK_ATTRIBUTE.into());
        }
    }
}

/// Inputs whose change blocks a different user.
pub(crate) fn replacement_paths(
    prior: &UserBlockState,
    planned: &UserBlockState,
) -> Vec<AttributePath> {
    match (&prior.identity_center, &planned.identity_center) {
        (Value::Value(before), Value::Value(after)) => {
            return if before.user == after.user {
                Vec::new()
            } else {
                vec![identity_center_path("user")]
            };
        }
        (Value::Null, Value::Null) => {}
        _ => return vec![attr("cognito"), attr("iam"), attr("identity_center")],
    }
    match (&prior.cognito, &planned.cognito, &prior.iam, &planned.iam) {
        (Value::Value(before), Value::Value(after), _, _) => {
            let mut paths = Vec::new();
            if before.user_pool_id != after.user_pool_id {
                paths.push(cognito_path("user_pool_id"));
            }
            if before.username != after.username {
                paths.push(cognito_path("username"));
            }
            paths
        }
        (_, _, Value::Value(before), Value::Value(after))
            if before.user_name != after.user_name =>
        {
            vec![iam_path("user_name")]
        }
        (_, _, Value::Value(_), Value::Value(_)) => Vec::new(),
        _ => vec![attr("cognito"), attr("iam")],
    }
}

/// Computed values of a new block: only what is certain.
pub(crate) fn plan_new(planned: &mut UserBlockState, target: Option<&Target>) {
    planned.id = target.map_or(Value::Unknown, |t| Value::Value(t.id()));
    planned.blocked_at = Value::Unknown;
    planned.marker = Value::Unknown;
    planned.user_id = Value::Unknown;
    planned.status = Value::Value(status::BLOCKED.into());
    let (iam, cognito, ic) = match (&planned.cognito, &planned.iam, &planned.identity_center) {
        (Value::Value(_), _, _) => (false, true, false),
        (_, Value::Value(_), _) => (true, false, false),
        (_, _, Value::Value(_)) => (false, false, true),
        _ => (true, true, true),
    };
    planned.access_keys_deactivated = unknown_if(iam);
    planned.groups_removed = unknown_if(iam || ic);
    planned.assignments_removed = unknown_if(ic);
    planned.user_was_enabled = unknown_if(cognito);
    planned.previous_flag_value = unknown_if(cognito);
}

/// Unknown when the block kind needs the attribute, else null.
pub(super) fn unknown_if<T>(needed: bool) -> Value<T> {
    if needed {
        Value::Unknown
    } else {
        Value::Null
    }
}

/// Computed values of a block that stays: the prior ones, except that a
/// partly undone or incomplete block is planned to be blocked again (IAM
/// may record more keys and groups then) and a moved Cognito flag may find
/// another previous value.
pub(crate) fn plan_kept(
    planned: &mut UserBlockState,
    prior: &UserBlockState,
    target: Option<&Target>,
) {
    planned.id = prior.id.clone();
    planned.blocked_at = prior.blocked_at.clone();
    planned.marker = prior.marker.clone();
    planned.user_id = prior.user_id.clone();
    planned.status = prior.status.clone();
    planned.access_keys_deactivated = prior.access_keys_deactivated.clone();
    planned.groups_removed = prior.groups_removed.clone();
    planned.assignments_removed = prior.assignments_removed.clone();
    planned.user_was_enabled = prior.user_was_enabled;
    planned.previous_flag_value = prior.previous_flag_value.clone();
    if matches!(text(&prior.status), status::UNBLOCKED | status::INCOMPLETE) {
        planned.status = Value::Value(status::BLOCKED.into());
        if matches!(target, Some(Target::Iam(_))) {
            planned.access_keys_deactivated = Value::Unknown;
            planned.groups_removed = Value::Unknown;
        }
        if matches!(target, Some(Target::IdentityCenter(_))) {
            planned.assignments_removed = Value::Unknown;
            planned.groups_removed = Value::Unknown;
        }
    }
    if let Some(Target::Cognito(c)) = target {
        if Some(c.attribute.as_str()) != flag_attribute(prior) {
            planned.previous_flag_value = Value::Unknown;
        }
    }
}

/// The user a block is about, from known, valid inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A Cognito user.
    Cognito(CognitoTarget),
    /// An IAM user name.
    Iam(String),
    /// An Identity Center user (user name, email or id).
    IdentityCenter(String),
}

/// A Cognito user and its flag attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CognitoTarget {
    /// User pool id.
    pub pool_id: String,
    /// User name.
    pub username: String,
    /// Flag attribute.
    pub attribute: String,
}

impl Target {
    /// The resource id: `iam:<user_name>` or `cognito:<pool>:<username>`.
    pub fn id(&self) -> String {
        match self {
            Self::Cognito(c) => format!("cognito:{}:{}", c.pool_id, c.username),
            Self::Iam(user) => format!("iam:{user}"),
            Self::IdentityCenter(user) => format!("identity_center:{user}"),
        }
    }

    /// Identifies the user for "same user?" questions: IAM names are
    /// case-insensitive, and Cognito pools may be; a false match only makes
    /// a replacement hand over instead of restoring, and the create then
    /// checks the immutable user id.
    pub fn user_key(&self) -> String {
        match self {
            Self::Cognito(c) => format!("cognito:{}:{}", c.pool_id, c.username.to_lowercase()),
            Self::Iam(user) => format!("iam:{}", user.to_lowercase()),
            Self::IdentityCenter(user) => format!("identity_center:{}", user.to_lowercase()),
        }
    }

    /// The input naming the user, for diagnostics.
    pub fn user_path(&self) -> AttributePath {
        match self {
            Self::Cognito(_) => cognito_path("username"),
            Self::Iam(_) => iam_path("user_name"),
            Self::IdentityCenter(_) => identity_center_path("user"),
        }
    }
}

/// Import ids: any text parses or is refused naming the forms, never a
/// panic; the other parsers are in `provider/props.rs`.
#[cfg(test)]
mod import_id_props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        #[test]
        fn props_block_import_ids(
            id in prop_oneof![
                any::<String>(),
                "(iam|cognito):[A-Za-z0-9_:@.+=,-]{0,30}(/jit-user-block-[0-9a-f]{0,17})?",
            ]
        ) {
            if let Err(error) = super::parse_id(&id) {
                prop_assert_eq!(error.to_string(), "Cannot import this block");
            }
        }
    }
}
