//! Blocking a Cognito user: the flag attribute (the block's marker, with
//! the shared record: see `policy::block::Flag`), global sign-out, disable,
//! all attempted even when one fails. Several blocks share the flag, each
//! its own marker in it; restore removes its own marker, and the last one
//! enables the user only if it was enabled before the first block and puts
//! the flag back as it was.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::meter::Meter;
use super::plan::{cognito_path, CognitoTarget};
use super::record::{quoted, Observed, Progress, Record, Restored, Run, TAKEN_OVER_OR_REMOVED};
use crate::aws::cognito::{Cognito, SchemaAttribute};
use crate::error::Error;
use crate::policy::block::{attributes_digest, Flag};

mod concurrent;

/// Shortest flag attribute (characters) that holds the markers of several
/// blocks and their record.
pub(crate) const FLAG_MIN_LENGTH: usize = 256;

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
    if max.is_some_and(|max| max < FLAG_MIN_LENGTH) || min.is_some_and(|min| min > 1) {
        return Some(Error::invalid(
            path,
            "Block attribute too short for the marker",
            format!("`{attribute}` of pool `{pool_id}` must accept values of 1 to {FLAG_MIN_LENGTH} characters (the markers of several blocks and their record); widen its length constraints or use another attribute."),
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

/// Every flag of ours on the user, by attribute.
fn flags(user: &User) -> BTreeMap<String, Flag> {
    user.attributes
        .iter()
        .filter(|(name, _)| name.starts_with("custom:"))
        .filter_map(|(name, value)| Flag::parse(value).map(|flag| (name.clone(), flag)))
        .collect()
}

/// The flag of `attribute` as a new block finds it: ours, or a new one
/// that remembers the value the application had there.
fn flag_of(user: &User, attribute: &str) -> Flag {
    let current = user.attributes.get(attribute);
    current
        .and_then(|v| Flag::parse(v))
        .unwrap_or_else(|| Flag {
            previous: current.filter(|v| !v.is_empty()).cloned(),
            ..Flag::default()
        })
}

/// Sets the flag (with the record), signs the user out everywhere and
/// disables it; every step is attempted even when one fails. `own` is the
/// record this block already has; `pending` marks a new block until the
/// flag is rewritten at the end.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn block(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
    own: &Record,
    pending: bool,
    take_over: Option<&str>,
    pool_checked: bool,
) -> Progress {
    let meter = &run.meter;
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
    let same_user = progress.of_user(own, &user.sub);
    let attribute = target.attribute.as_str();
    let all = flags(&user);
    let current = user.attributes.get(attribute).cloned();
    let mut flag = flag_of(&user, attribute);
    let orphans: Vec<String> = flag
        .blocks
        .iter()
        .filter(|b| {
            b.marker != marker
                && (take_over == Some(b.marker.as_str())
                    || run.may_adopt(b.pending.as_ref())
                    || (b.pending.is_none() && run.may_take_placed(b.placed.as_ref())))
        })
        .map(|b| b.marker.clone())
        .collect();
    for orphan in &orphans {
        flag.remove(orphan);
    }
    progress.others = others_of(&all, &flag, attribute, marker, run);
    if flag.was_enabled.is_none() {
        // The first block in this attribute: what was true before any block
        // (another attribute's block, or this block's own record, knows).
        let inherited = all.values().find_map(|f| f.was_enabled);
        let recorded = own.user_was_enabled.filter(|_| same_user);
        flag.was_enabled = Some(recorded.or(inherited).unwrap_or(user.enabled));
        if flag.previous.is_none() && same_user {
            flag.previous = own.previous_flag_value.clone();
        }
    }
    if flag.digest.is_none() {
        flag.digest = Some(attributes_digest(&user.attributes, attribute));
    }
    flag.put(marker, pending.then(|| run.pending()));

    // 1. The flag, with the record.
    let mut ambiguous = false;
    let value = flag.render().unwrap_or_default();
    if current.as_deref() != Some(value.as_str()) {
        match set_flag(cognito, meter, target, &value).await {
            Ok(()) => {
                progress.changed = true;
                progress.marker_placed = true;
                progress
                    .done
                    .push(format!("set `{attribute}` to block `{marker}`"));
            }
            Err(error) => {
                ambiguous = true;
                progress.failed(format!("set `{attribute}` to block `{marker}`"), error);
            }
        }
    } else {
        progress.changed = true;
        progress.marker_placed = true;
    }
    if !orphans.is_empty() && progress.marker_placed {
        progress.adopted = orphans;
        progress.done.push(format!(
            "took over {} of an apply that was cut off",
            quoted(&progress.adopted)
        ));
    }

    // 2. Sign-out, then disable: attempted whatever happened before.
    let signed_out = meter
        .call(
            "cognito-idp",
            "AdminUserGlobalSignOut",
            cognito.global_sign_out(&target.pool_id, &target.username),
        )
        .await;
    match signed_out {
        Ok(()) => progress
            .done
            .push("signed the user out everywhere (refresh tokens revoked)".to_string()),
        Err(error) => {
            ambiguous = true;
            progress.failed("sign the user out everywhere".to_string(), error);
        }
    }
    if user.enabled {
        let disabled = disable_user(cognito, meter, target).await;
        match disabled {
            Ok(()) => {
                progress.changed = true;
                progress.done.push("disabled the user".to_string());
            }
            Err(error) => {
                ambiguous = true;
                progress.failed("disable the user".to_string(), error);
            }
        }
    }

    // 3. What is true now; a pending marker becomes final.
    if ambiguous || pending {
        match find_user(cognito, meter, &target.pool_id, &target.username).await {
            Ok(Lookup::Found(now)) => {
                let disabled_now = !now.enabled;
                let mut now_flag = now.attributes.get(attribute).and_then(|v| Flag::parse(v));
                let placed = now_flag.as_ref().is_some_and(|f| f.has(marker));
                progress.marker_placed = placed;
                if placed || disabled_now && user.enabled {
                    progress.changed = true;
                }
                let needs_write = now_flag
                    .as_ref()
                    .and_then(|f| f.block(marker))
                    .is_none_or(|b| b.pending.is_some());
                if needs_write && (placed || progress.changed) {
                    let mut finished = now_flag.take().unwrap_or_else(|| flag.clone());
                    finished.finish(marker, pending.then(|| run.placed()));
                    let value = finished.render().unwrap_or_default();
                    match set_flag(cognito, meter, target, &value).await {
                        Ok(()) => {
                            progress.marker_placed = true;
                            flag = finished;
                        }
                        Err(error) => {
                            progress.failed(format!("finish the record in `{attribute}`"), error)
                        }
                    }
                } else if let Some(now_flag) = now_flag {
                    flag = now_flag;
                }
            }
            Ok(_) => progress.warnings.push((
                "Blocked user no longer exists".to_string(),
                format!("user `{}` was deleted during the block", target.username),
            )),
            Err(error) => {
                progress.changed = true;
                if pending {
                    progress.failed(format!("finish the record in `{attribute}`"), error);
                } else {
                    progress.warnings.push((
                        "Block state not re-read".to_string(),
                        format!("after a failed step the user could not be read again ({error})"),
                    ));
                }
            }
        }
    }
    // 4. Another process blocking or restoring this user at the same moment
    // may have undone some of it.
    if progress.marker_placed && progress.errors.is_empty() {
        concurrent::keep_block_in_place(cognito, run, target, marker, &mut flag, &mut progress)
            .await;
    }
    progress.record.user_was_enabled = flag.was_enabled;
    progress.record.previous_flag_value = flag.previous.clone();
    progress
}

/// Live blocks of the user other than `marker`: the other markers of
/// `flag` and the markers in the other attributes (orphans excluded).
fn others_of(
    all: &BTreeMap<String, Flag>,
    flag: &Flag,
    attribute: &str,
    marker: &str,
    run: &Run,
) -> Vec<String> {
    let elsewhere = all
        .iter()
        .filter(|(name, _)| name.as_str() != attribute)
        .flat_map(|(_, f)| f.blocks.iter());
    flag.blocks
        .iter()
        .chain(elsewhere)
        .filter(|b| b.marker != marker && !run.may_adopt(b.pending.as_ref()))
        .map(|b| b.marker.clone())
        .collect()
}

/// Removes the block's marker from the flag. While another block is live
/// the user stays as it is; the last restore enables the user only if it
/// was enabled before the first block, then puts the flag back (last: while
/// the flag holds the marker, a failed restore can be run again).
pub(crate) async fn restore(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
    own: &Record,
    incomplete: bool,
) -> Restored {
    restore_looking_again(cognito, run, target, marker, own, incomplete, true).await
}

/// [`restore`]; `look_again` once, just before lifting the user, for a
/// block another process placed since the user was read (then the restore
/// starts over from a fresh read, without looking again).
async fn restore_looking_again(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
    own: &Record,
    incomplete: bool,
    look_again: bool,
) -> Restored {
    let meter = &run.meter;
    let mut restored = Restored::default();
    let attribute = target.attribute.as_str();
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
    if !own.user_id.is_empty() && own.user_id != user.sub {
        restored.warnings.push((
            "User recreated since the block".to_string(),
            format!("user `{}` now has `sub` `{}`, not `{}` as when it was blocked: it is another user, so nothing was restored", target.username, user.sub, own.user_id),
        ));
        return restored;
    }
    let all = flags(&user);
    let Some(mut flag) = all.get(attribute).filter(|f| f.has(marker)).cloned() else {
        let was_enabled = own.user_was_enabled == Some(true);
        let others: Vec<String> = all
            .values()
            .flat_map(|f| f.blocks.iter())
            .filter(|b| !run.may_adopt(b.pending.as_ref()))
            .map(|b| b.marker.clone())
            .collect();
        if incomplete && others.is_empty() && was_enabled && !user.enabled {
            // The flag never got there, but the user was disabled.
            let enabled = meter
                .call(
                    "cognito-idp",
                    "AdminEnableUser",
                    cognito.enable_user(&target.pool_id, &target.username),
                )
                .await;
            match enabled {
                Ok(()) => restored.done.push("enabled the user".to_string()),
                Err(error) => restored.failed("enable the user".to_string(), error),
            }
            return restored;
        }
        restored.warnings.push((
            "Block marker not in place".to_string(),
            format!(
                "`{attribute}` no longer holds this block's marker `{marker}` ({TAKEN_OVER_OR_REMOVED}): nothing was restored, so the user stays as it is{}",
                if was_enabled { "; enable it by hand if it should sign in" } else { "" }
            ),
        ));
        return restored;
    };
    let orphans: Vec<String> = flag
        .blocks
        .iter()
        .filter(|b| b.marker != marker && run.may_adopt(b.pending.as_ref()))
        .map(|b| b.marker.clone())
        .collect();
    for orphan in &orphans {
        flag.remove(orphan);
    }
    let others = others_of(&all, &flag, attribute, marker, run);
    flag.remove(marker);
    // An old flag (a bare marker) has its record only in state.
    let (was_enabled, previous) = match flag.was_enabled {
        Some(enabled) => (enabled, flag.previous.clone()),
        None => (
            own.user_was_enabled == Some(true),
            own.previous_flag_value.clone(),
        ),
    };
    if !others.is_empty() {
        let written = match flag.render() {
            Some(value) => set_flag(cognito, meter, target, &value).await,
            None => put_previous(cognito, meter, target, previous.as_deref()).await,
        };
        if let Err(error) = written {
            restored.failed(format!("remove block `{marker}` from `{attribute}`"), error);
            return restored;
        }
        restored
            .done
            .push(format!("removed block `{marker}` from `{attribute}`"));
        concurrent::keep_marker_removed(cognito, run, target, marker, &mut restored).await;
        restored.warnings.push((
            "User stays blocked by other blocks".to_string(),
            format!(
                "user `{}` is still blocked by {}: it is enabled again when the last of them is restored",
                target.username,
                quoted(&others)
            ),
        ));
        restored.others = others;
        return restored;
    }
    if look_again
        && concurrent::blocks_now(cognito, run, target, marker)
            .await
            .is_some_and(|now| !now.others.is_empty())
    {
        let again = restore_looking_again(cognito, run, target, marker, own, incomplete, false);
        return Box::pin(again).await;
    }
    if let Some(digest) = &flag.digest {
        if *digest != attributes_digest(&user.attributes, attribute) {
            restored.warnings.push((
                "User modified since the block".to_string(),
                format!("attributes of user `{}` other than `{attribute}` were changed by someone else after the block; check them before the user signs in again", target.username),
            ));
        }
    }
    let mut lifted = false;
    if was_enabled && !user.enabled {
        let enabled = meter
            .call(
                "cognito-idp",
                "AdminEnableUser",
                cognito.enable_user(&target.pool_id, &target.username),
            )
            .await;
        if let Err(error) = enabled {
            restored.failed("enable the user".to_string(), error);
            return restored;
        }
        restored.done.push("enabled the user".to_string());
        lifted = true;
    }
    if !orphans.is_empty() {
        restored.done.push(format!(
            "removed {} of an apply that was cut off",
            quoted(&orphans)
        ));
    }
    // A block that arrived while the user was being lifted keeps it blocked
    // and its marker in the flag.
    if lifted {
        if let Some(now) = concurrent::blocks_now(cognito, run, target, marker).await {
            if !now.others.is_empty() {
                concurrent::keep_blocked(cognito, run, target, marker, now, &mut restored).await;
                return restored;
            }
        }
    }
    match put_previous(cognito, meter, target, previous.as_deref()).await {
        Ok(()) => restored.done.push(match &previous {
            Some(value) => format!("set `{attribute}` back to `{value}`"),
            None => format!("cleared `{attribute}`"),
        }),
        Err(error) => restored.failed(format!("put `{attribute}` back"), error),
    }
    if lifted {
        concurrent::keep_blocked_if_a_block_arrived(cognito, run, target, marker, &mut restored)
            .await;
    }
    restored
}

/// Puts the flag's earlier value back, or clears it.
async fn put_previous(
    cognito: &Cognito,
    meter: &Meter,
    target: &CognitoTarget,
    previous: Option<&str>,
) -> Result<(), Error> {
    match previous {
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
    }
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
    let value = user.attributes.get(attribute).map(String::as_str);
    let flagged = value
        .and_then(Flag::parse)
        .is_some_and(|flag| flag.has(marker));
    let mut undone = Vec::new();
    match value {
        _ if flagged => {}
        None | Some("") => undone.push(format!("`{attribute}` was cleared")),
        Some(_) => undone.push(format!("`{attribute}` no longer holds block `{marker}`")),
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
/// `block_attribute`): the new flag is set before the old one loses the
/// marker, so the user is flagged throughout. Returns the new attribute's
/// value before the block (to put back on restore).
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
    let old = user.attributes.get(from).and_then(|v| Flag::parse(v));
    let mut new = flag_of(&user, &target.attribute);
    if new.was_enabled.is_none() {
        new.was_enabled = old.as_ref().and_then(|f| f.was_enabled);
        new.digest = old.as_ref().and_then(|f| f.digest.clone());
    }
    new.put(marker, None);
    let value = new.render().unwrap_or_default();
    set_flag(cognito, meter, target, &value)
        .await
        .map_err(|e| vec![e])?;
    if let Some(mut old) = old.filter(|f| f.has(marker)) {
        old.remove(marker);
        let from_target = CognitoTarget {
            attribute: from.to_string(),
            ..target.clone()
        };
        let put_back = match old.render() {
            Some(value) => set_flag(cognito, meter, &from_target, &value).await,
            None => {
                let previous = old.previous.as_deref().or(from_previous);
                put_previous(cognito, meter, &from_target, previous).await
            }
        };
        put_back.map_err(|e| vec![e])?;
    }
    Ok(new.previous)
}

/// For import: the attribute holding the block, its marker, the user, and
/// the record the flag holds.
pub(crate) async fn discover(
    cognito: &Cognito,
    meter: &Meter,
    pool_id: &str,
    username: &str,
    wanted: Option<&str>,
) -> Result<(String, String, User, Record), Error> {
    let user = match find_user(cognito, meter, pool_id, username).await? {
        Lookup::Found(user) => user,
        _ => {
            return Err(Error::NotFound {
                what: format!("Cognito user `{username}` in pool `{pool_id}`"),
            })
        }
    };
    let all = flags(&user);
    let found: Vec<(&String, &Flag, String)> = all
        .iter()
        .flat_map(|(name, flag)| {
            flag.blocks
                .iter()
                .map(move |b| (name, flag, b.marker.clone()))
        })
        .filter(|(_, _, marker)| wanted.is_none_or(|w| w == marker))
        .collect();
    match found.as_slice() {
        [(attribute, flag, marker)] => {
            let record = Record {
                user_id: user.sub.clone(),
                user_was_enabled: flag.was_enabled,
                previous_flag_value: flag.previous.clone(),
                ..Record::default()
            };
            Ok(((*attribute).clone(), marker.clone(), user.clone(), record))
        }
        [] => Err(Error::NotFound {
            what: format!("a jit block flag on Cognito user `{username}`"),
        }),
        _ => Err(Error::invalid(
            Default::default(),
            "Several blocks",
            format!(
                "User `{username}` carries several blocks ({}), one per `jit_user_block`. Name the one to import: `cognito:{pool_id}:{username}/<marker>`.",
                quoted(&found.iter().map(|(_, _, m)| m.clone()).collect::<Vec<_>>())
            ),
        )),
    }
}

async fn disable_user(
    cognito: &Cognito,
    meter: &Meter,
    target: &CognitoTarget,
) -> Result<(), Error> {
    let call = cognito.disable_user(&target.pool_id, &target.username);
    meter.call("cognito-idp", "AdminDisableUser", call).await
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
