//! Blocking a Cognito user: the flag attribute (the marker), global sign-out,
//! disable; restore enables the user only if it was enabled before and puts
//! the flag back as it was.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::meter::Meter;
use super::plan::{cognito_path, is_marker, CognitoTarget};
use super::record::{Inherited, Observed, Progress, Record, Restored};
use super::MARKER_LEN;
use crate::aws::cognito::{Cognito, SchemaAttribute};
use crate::error::Error;

pub(crate) use crate::aws::cognito::{Lookup, User};

/// How long a passed pool check counts for the create that follows the
/// apply-time plan in the same process.
const POOL_CHECK_FRESH: Duration = Duration::from_secs(60);

/// Pool checks that passed in this process: the apply-time plan checks the
/// pool moments before the create, which then need not ask AWS again.
#[derive(Debug, Default)]
pub(crate) struct PoolChecks(Mutex<HashMap<(String, String), Instant>>);

impl PoolChecks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Instant>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes that `attribute` of `pool_id` passed the checks now.
    pub fn passed(&self, pool_id: &str, attribute: &str) {
        self.lock()
            .insert((pool_id.to_string(), attribute.to_string()), Instant::now());
    }

    /// True when the checks passed within [`POOL_CHECK_FRESH`].
    pub fn fresh(&self, pool_id: &str, attribute: &str) -> bool {
        self.lock()
            .get(&(pool_id.to_string(), attribute.to_string()))
            .is_some_and(|at| at.elapsed() < POOL_CHECK_FRESH)
    }
}

/// Checks that `attribute` can carry the block: in the pool's schema, a
/// mutable String long enough for a marker, and writable by no app client
/// (else a blocked user could clear their own flag). Empty when fine.
pub(crate) async fn check_pool(
    cognito: &Cognito,
    meter: &Meter,
    pool_id: &str,
    attribute: &str,
) -> Vec<Error> {
    let (schema, writers) = tokio::join!(
        schema_problems(cognito, meter, pool_id, attribute),
        writing_clients(cognito, meter, pool_id, attribute)
    );
    let mut errors = Vec::new();
    match schema {
        Ok(Some(problem)) => errors.push(problem),
        Ok(None) => {}
        Err(error) => return vec![error],
    }
    match writers {
        Ok(clients) if clients.is_empty() => {}
        Ok(clients) => errors.push(Error::invalid(
            cognito_path("block_attribute"),
            "App clients may write the block attribute",
            format!(
                "App client(s) {} of pool `{pool_id}` may write `{attribute}`: a blocked user could clear their own block. Remove `{attribute}` from their write attributes (`write_attributes` of `aws_cognito_user_pool_client`).",
                clients.join(", ")
            ),
        )),
        Err(error) => errors.push(error),
    }
    errors
}

/// `Ok(Some(problem))` when the schema cannot carry the flag.
async fn schema_problems(
    cognito: &Cognito,
    meter: &Meter,
    pool_id: &str,
    attribute: &str,
) -> Result<Option<Error>, Error> {
    let attributes = meter
        .call(
            "cognito-idp",
            "DescribeUserPool",
            cognito.describe_schema(pool_id),
        )
        .await
        .map_err(|error| pool_error(error, pool_id))?;
    Ok(schema_problem(&attributes, pool_id, attribute))
}

/// Why the pool's schema cannot carry the flag, if it cannot. AWS names
/// custom attributes `custom:<name>` in `DescribeUserPool`; the short name is
/// accepted too.
pub(crate) fn schema_problem(
    attributes: &[SchemaAttribute],
    pool_id: &str,
    attribute: &str,
) -> Option<Error> {
    let short = attribute.strip_prefix("custom:").unwrap_or(attribute);
    let found = attributes
        .iter()
        .find(|a| matches!(a.name.as_deref(), Some(name) if name == attribute || name == short));
    let path = cognito_path("block_attribute");
    let Some(found) = found else {
        return Some(Error::invalid(
            path,
            "Block attribute not in the pool schema",
            format!(
                "Pool `{pool_id}` has no custom attribute `{attribute}`. Add it as a mutable String, e.g. `aws cognito-idp add-custom-attributes --user-pool-id {pool_id} --custom-attributes Name={short},AttributeDataType=String,Mutable=true` (or a `schema` block in `aws_cognito_user_pool`), and make the app refuse users whose `{attribute}` is set."
            ),
        ));
    };
    if found.data_type.as_deref() != Some("String") {
        return Some(Error::invalid(
            path,
            "Block attribute is not a String",
            format!("`{attribute}` of pool `{pool_id}` must be of type String to hold the block marker; add a String custom attribute and name it here."),
        ));
    }
    if found.mutable == Some(false) {
        return Some(Error::invalid(
            path,
            "Block attribute is immutable",
            format!("`{attribute}` of pool `{pool_id}` cannot be changed after sign-up; add a mutable String custom attribute and name it here."),
        ));
    }
    let bound = |text: &Option<String>| text.as_deref().and_then(|m| m.parse::<usize>().ok());
    let (min, max) = (bound(&found.min_length), bound(&found.max_length));
    if max.is_some_and(|max| max < MARKER_LEN) || min.is_some_and(|min| min > MARKER_LEN) {
        return Some(Error::invalid(
            path,
            "Block attribute too short for the marker",
            format!("`{attribute}` of pool `{pool_id}` must accept values of {MARKER_LEN} characters (the block's marker); widen its length constraints or use another attribute."),
        ));
    }
    None
}

/// Names of the app clients whose write attributes include `attribute`.
async fn writing_clients(
    cognito: &Cognito,
    meter: &Meter,
    pool_id: &str,
    attribute: &str,
) -> Result<Vec<String>, Error> {
    let ids = meter
        .call(
            "cognito-idp",
            "ListUserPoolClients",
            cognito.list_user_pool_client_ids(pool_id),
        )
        .await
        .map_err(|error| pool_error(error, pool_id))?;
    let mut tasks = JoinSet::new();
    for client_id in ids {
        let (cognito, meter, pool_id) = (cognito.clone(), meter.clone(), pool_id.to_string());
        tasks.spawn(async move {
            let call = cognito.find_user_pool_client(&pool_id, &client_id);
            meter
                .call("cognito-idp", "DescribeUserPoolClient", call)
                .await
        });
    }
    let mut writers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Some(client) = joined.map_err(task_error)?? {
            if client.write_attributes.iter().any(|a| a == attribute) {
                writers.push(format!(
                    "`{}` (`{}`)",
                    client.name.as_deref().unwrap_or("unnamed"),
                    client.id
                ));
            }
        }
    }
    writers.sort();
    Ok(writers)
}

/// The user, or why there is none.
pub(crate) async fn find_user(
    cognito: &Cognito,
    meter: &Meter,
    pool_id: &str,
    username: &str,
) -> Result<Lookup, Error> {
    meter
        .call(
            "cognito-idp",
            "AdminGetUser",
            cognito.find_user(pool_id, username),
        )
        .await
}

/// Sets the flag, signs the user out everywhere, disables the user.
pub(crate) async fn block(
    cognito: &Cognito,
    meter: &Meter,
    target: &CognitoTarget,
    marker: &str,
    inherited: Option<&Inherited>,
    pool_checked: bool,
) -> Progress {
    let mut progress = Progress::default();
    let checks = async {
        if pool_checked {
            Vec::new()
        } else {
            check_pool(cognito, meter, &target.pool_id, &target.attribute).await
        }
    };
    let (checks, lookup) = tokio::join!(
        checks,
        find_user(cognito, meter, &target.pool_id, &target.username)
    );
    if !checks.is_empty() {
        progress.errors = checks;
        return progress;
    }
    let user = match lookup {
        Ok(Lookup::Found(user)) => user,
        Ok(missing) => {
            progress.errors.push(missing_user(target, &missing));
            return progress;
        }
        Err(error) => {
            progress.errors.push(error);
            return progress;
        }
    };
    let current = user.attributes.get(&target.attribute).cloned();
    progress.record.user_id = user.sub.clone();
    match inherited.filter(|i| i.record.user_id.is_empty() || i.record.user_id == user.sub) {
        Some(inherited) => {
            progress.record.user_was_enabled = inherited.record.user_was_enabled;
            progress.record.previous_flag_value = inherited.record.previous_flag_value.clone();
        }
        None => {
            if inherited.is_some() {
                progress.warnings.push(("Earlier block record dropped".to_string(), "the earlier block was of a user that no longer exists under this name; its record was dropped".to_string()));
            }
            progress.record.user_was_enabled = Some(user.enabled);
            progress.record.previous_flag_value = current
                .clone()
                .filter(|value| !value.is_empty() && !is_marker(value));
        }
    }
    if let Some(other) = current.as_deref().filter(|v| is_marker(v) && *v != marker) {
        progress.took_over.push(other.to_string());
        if inherited.is_none_or(|i| i.marker != other) {
            progress.warnings.push(("Earlier block taken over".to_string(), format!("the user was already flagged by block `{other}`, which is not in this state; this block took it over. What that block changed (e.g. whether the user was enabled) is not in this block's record: see its `user_block.block` audit event")));
        }
    }

    if current.as_deref() != Some(marker) {
        if let Err(error) = set_flag(cognito, meter, target, marker).await {
            progress.errors.push(error);
            return progress;
        }
        progress
            .done
            .push(format!("set `{}` to `{marker}`", target.attribute));
    }
    progress.marker_placed = true;

    let signed_out = meter
        .call(
            "cognito-idp",
            "AdminUserGlobalSignOut",
            cognito.global_sign_out(&target.pool_id, &target.username),
        )
        .await;
    if let Err(error) = signed_out {
        progress.errors.push(error);
        return progress;
    }
    progress
        .done
        .push("signed the user out everywhere (refresh tokens revoked)".to_string());

    if user.enabled {
        let disabled = meter
            .call(
                "cognito-idp",
                "AdminDisableUser",
                cognito.disable_user(&target.pool_id, &target.username),
            )
            .await;
        if let Err(error) = disabled {
            progress.errors.push(error);
            return progress;
        }
        progress.done.push("disabled the user".to_string());
    }
    progress
}

/// Enables the user if it was enabled before, then puts the flag back
/// (last: while the flag is ours, a failed restore can be run again).
pub(crate) async fn restore(
    cognito: &Cognito,
    meter: &Meter,
    target: &CognitoTarget,
    marker: &str,
    was_enabled: bool,
    previous: Option<&str>,
) -> Restored {
    let mut restored = Restored::default();
    let user = match find_user(cognito, meter, &target.pool_id, &target.username).await {
        Ok(Lookup::Found(user)) => user,
        Ok(_) => {
            restored.warnings.push((
                "Blocked user no longer exists".to_string(),
                format!(
                    "user `{}` no longer exists in pool `{}`: nothing to restore",
                    target.username, target.pool_id
                ),
            ));
            return restored;
        }
        Err(error) => {
            restored.errors.push(error);
            return restored;
        }
    };
    if user.attributes.get(&target.attribute).map(String::as_str) != Some(marker) {
        restored.warnings.push((
            "Block marker not in place".to_string(),
            format!(
                "`{}` no longer holds this block's marker `{marker}` (cleared, or taken over by a newer block): nothing was restored, so the user stays as it is{}",
                target.attribute,
                if was_enabled { "; enable it by hand if it should sign in" } else { "" }
            ),
        ));
        return restored;
    }
    if was_enabled && !user.enabled {
        let enabled = meter
            .call(
                "cognito-idp",
                "AdminEnableUser",
                cognito.enable_user(&target.pool_id, &target.username),
            )
            .await;
        if let Err(error) = enabled {
            restored.errors.push(error);
            return restored;
        }
        restored.done.push("enabled the user".to_string());
    }
    let flag = match previous {
        Some(value) => set_flag(cognito, meter, target, value).await,
        None => {
            clear_flag(
                cognito,
                meter,
                &target.pool_id,
                &target.username,
                &target.attribute,
            )
            .await
        }
    };
    match flag {
        Ok(()) => restored.done.push(match previous {
            Some(value) => format!("set `{}` back to `{value}`", target.attribute),
            None => format!("cleared `{}`", target.attribute),
        }),
        Err(error) => restored.errors.push(error),
    }
    restored
}

/// What AWS shows of the block now. Something of it is left while the
/// flag holds the marker, or while a user that was enabled is disabled.
pub(crate) async fn observe(
    cognito: &Cognito,
    meter: &Meter,
    target: &CognitoTarget,
    marker: &str,
    record: &Record,
) -> Result<Observed, Error> {
    let user = match find_user(cognito, meter, &target.pool_id, &target.username).await? {
        Lookup::Found(user) => user,
        _ => return Ok(Observed::UserGone),
    };
    Ok(observed(&user, &target.attribute, marker, record))
}

/// [`observe`] on a user already read.
pub(crate) fn observed(user: &User, attribute: &str, marker: &str, record: &Record) -> Observed {
    let flag = user.attributes.get(attribute).map(String::as_str);
    let flagged = flag == Some(marker);
    let mut undone = Vec::new();
    match flag {
        _ if flagged => {}
        None | Some("") => undone.push(format!("`{attribute}` was cleared")),
        Some(other) => undone.push(format!("`{attribute}` now holds `{other}`")),
    }
    if user.enabled {
        undone.push("the user was enabled again".to_string());
    }
    let disabled_by_block = record.user_was_enabled != Some(false) && !user.enabled;
    Observed::User {
        user_id: user.sub.clone(),
        undone,
        left: flagged || disabled_by_block,
    }
}

/// Moves the marker from `from` to `target.attribute` (in-place update of
/// `block_attribute`): the new flag is set before the old one is put back,
/// so the user is flagged throughout. Returns the new attribute's value
/// before the block (to put back on restore).
pub(crate) async fn move_flag(
    cognito: &Cognito,
    meter: &Meter,
    target: &CognitoTarget,
    from: &str,
    marker: &str,
    from_previous: Option<&str>,
) -> Result<Option<String>, Vec<Error>> {
    let checks = check_pool(cognito, meter, &target.pool_id, &target.attribute).await;
    if !checks.is_empty() {
        return Err(checks);
    }
    let user = match find_user(cognito, meter, &target.pool_id, &target.username).await {
        Ok(Lookup::Found(user)) => user,
        Ok(missing) => return Err(vec![missing_user(target, &missing)]),
        Err(error) => return Err(vec![error]),
    };
    let previous = user
        .attributes
        .get(&target.attribute)
        .filter(|v| !v.is_empty() && !is_marker(v))
        .cloned();
    set_flag(cognito, meter, target, marker)
        .await
        .map_err(|e| vec![e])?;
    if user.attributes.get(from).map(String::as_str) == Some(marker) {
        let old = CognitoTarget {
            attribute: from.to_string(),
            ..target.clone()
        };
        let put_back = match from_previous {
            Some(value) => set_flag(cognito, meter, &old, value).await,
            None => clear_flag(cognito, meter, &target.pool_id, &target.username, from).await,
        };
        put_back.map_err(|e| vec![e])?;
    }
    Ok(previous)
}

/// For import: the attribute holding a block marker, the marker and the user.
pub(crate) async fn discover(
    cognito: &Cognito,
    meter: &Meter,
    pool_id: &str,
    username: &str,
) -> Result<(String, String, User), Error> {
    let user = match find_user(cognito, meter, pool_id, username).await? {
        Lookup::Found(user) => user,
        _ => {
            return Err(Error::NotFound {
                what: format!("Cognito user `{username}` in pool `{pool_id}`"),
            })
        }
    };
    let mut flagged: Vec<(String, String)> = user
        .attributes
        .iter()
        .filter(|(name, value)| name.starts_with("custom:") && is_marker(value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    flagged.sort();
    match flagged.as_slice() {
        [(attribute, marker)] => Ok((attribute.clone(), marker.clone(), user)),
        [] => Err(Error::NotFound {
            what: format!("a jit block flag on Cognito user `{username}`"),
        }),
        _ => Err(Error::invalid(
            Default::default(),
            "Several block flags",
            format!(
                "User `{username}` carries block markers in {}; restore the extra ones by hand, then import again.",
                flagged
                    .iter()
                    .map(|(name, _)| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

async fn set_flag(
    cognito: &Cognito,
    meter: &Meter,
    target: &CognitoTarget,
    value: &str,
) -> Result<(), Error> {
    let call =
        cognito.set_user_attribute(&target.pool_id, &target.username, &target.attribute, value);
    meter
        .call("cognito-idp", "AdminUpdateUserAttributes", call)
        .await
}

async fn clear_flag(
    cognito: &Cognito,
    meter: &Meter,
    pool_id: &str,
    username: &str,
    attribute: &str,
) -> Result<(), Error> {
    let call = cognito.delete_user_attribute(pool_id, username, attribute);
    meter
        .call("cognito-idp", "AdminDeleteUserAttributes", call)
        .await
}

fn missing_user(target: &CognitoTarget, lookup: &Lookup) -> Error {
    match lookup {
        Lookup::NoPool => Error::invalid(
            cognito_path("user_pool_id"),
            "User pool not found",
            format!(
                "There is no user pool `{}` in this account and region; check `user_pool_id` and the provider's `region`.",
                target.pool_id
            ),
        ),
        _ => Error::invalid(
            cognito_path("username"),
            "User not found",
            format!(
                "Pool `{}` has no user `{}`; check `username` (the sign-in name, case as stored in the pool).",
                target.pool_id, target.username
            ),
        ),
    }
}

fn pool_error(error: Error, pool_id: &str) -> Error {
    if error.is_not_found() {
        Error::invalid(
            cognito_path("user_pool_id"),
            "User pool not found",
            format!("There is no user pool `{pool_id}` in this account and region; check `user_pool_id` and the provider's `region`."),
        )
    } else {
        error
    }
}

fn task_error(error: tokio::task::JoinError) -> Error {
    Error::Aws {
        service: "cognito-idp",
        operation: "DescribeUserPoolClient",
        code: None,
        message: format!("the request task failed: {error}"),
        request_id: None,
    }
}
