//! One Cognito user blocked or restored by several processes at once (two
//! workspaces, an aliased provider). Cognito changes attributes without
//! compare-and-swap: a block reads the flag, changes it and writes it back,
//! so another process's stale write can drop its marker, and a restore can
//! lift the user while a block arrives. These checks look again after a
//! pause longer than such a write usually takes and put back what was
//! undone. They narrow the race to writes slower than the pause; they do
//! not close it (the next refresh of a block whose marker is gone reports
//! it as undone outside Terraform).
//!
//! Two blocks A and B at once: whichever stale write drops the other's
//! marker, the dropped block finds it missing at its check and writes it
//! back beside what is there; each block also disables the user again if
//! it was enabled. A restore R and a block B: R reads the flag once more
//! just before lifting the user and leaves it blocked when B's marker is
//! there; after lifting, R looks again and disables the user when a block
//! arrived meanwhile, and B's own check puts its marker back if R's last
//! write dropped it. A restore that leaves other blocks looks again too: a
//! stale write of a block can bring its removed marker back, which it then
//! removes again.

use std::time::Duration;

use rand::Rng;

use super::{disable_user, find_user, flags, put_previous, set_flag, Lookup};
use crate::aws::cognito::Cognito;
use crate::policy::block::Flag;
use crate::resources::user_block::plan::CognitoTarget;
use crate::resources::user_block::record::{quoted, Progress, Restored, Run};

/// Rounds of looking again after a block's writes.
const ROUNDS: usize = 3;

/// The pause before each look: longer than a read-change-write of another
/// process usually takes, with jitter so that two processes do not look
/// in step.
fn pause() -> Duration {
    Duration::from_millis(800 + rand::thread_rng().gen_range(0..400))
}

/// After a block's last write: its marker is in the flag and the user is
/// disabled, or they are put back (bounded). `flag` becomes what was read.
pub(super) async fn keep_block_in_place(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
    flag: &mut Flag,
    progress: &mut Progress,
) {
    let meter = &run.meter;
    let attribute = target.attribute.as_str();
    for _ in 0..ROUNDS {
        tokio::time::sleep(pause()).await;
        let user = match find_user(cognito, meter, &target.pool_id, &target.username).await {
            Ok(Lookup::Found(user)) => user,
            // Gone or unreadable: the block's own re-read has said so.
            _ => return,
        };
        let now = user.attributes.get(attribute).and_then(|v| Flag::parse(v));
        let kept = now.as_ref().is_some_and(|f| f.has(marker));
        if kept && !user.enabled {
            if let Some(now) = now {
                *flag = now;
            }
            return;
        }
        if !kept {
            let back = Flag::with_marker_put_back(now, flag, marker);
            let value = back.render().unwrap_or_default();
            match set_flag(cognito, meter, target, &value).await {
                Ok(()) => {
                    progress.done.push(format!(
                        "put `{marker}` back into `{attribute}` after another process's write dropped it"
                    ));
                    *flag = back;
                }
                Err(error) => {
                    progress.marker_placed = false;
                    progress.failed(format!("put `{marker}` back into `{attribute}`"), error);
                    return;
                }
            }
        }
        if user.enabled {
            let disabled = disable_user(cognito, meter, target).await;
            match disabled {
                Ok(()) => progress
                    .done
                    .push("disabled the user again after another process enabled it".to_string()),
                Err(error) => {
                    progress.failed("disable the user again".to_string(), error);
                    return;
                }
            }
        }
    }
    progress.warnings.push((
        "Block contended".to_string(),
        format!("another process kept changing `{attribute}` of user `{}` while this block was placed; the block was put back each time, check the user's blocks", target.username),
    ));
}

/// After a restore removed its marker while other blocks stay: a stale
/// write of another process (a block that read the flag before the
/// removal) can bring the marker back, leaving a block no state holds and
/// the user blocked for good. Look again after a pause and remove it again
/// (bounded).
pub(super) async fn keep_marker_removed(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
    restored: &mut Restored,
) {
    for _ in 0..ROUNDS {
        tokio::time::sleep(pause()).await;
        let Some(now) = blocks_now(cognito, run, target, marker).await else {
            return;
        };
        let Some(mut flag) = now.flag.filter(|f| f.has(marker)) else {
            return;
        };
        flag.remove(marker);
        let written = match flag.render() {
            Some(value) => set_flag(cognito, &run.meter, target, &value).await,
            None => put_previous(cognito, &run.meter, target, flag.previous.as_deref()).await,
        };
        match written {
            Ok(()) => restored.done.push(format!(
                "removed block `{marker}` again after another process's write brought it back"
            )),
            Err(error) => {
                restored.failed(format!("remove block `{marker}` again"), error);
                return;
            }
        }
    }
}

/// The user's blocks as they are now.
pub(super) struct Now {
    /// Live blocks other than this one, in every flag attribute.
    pub others: Vec<String>,
    /// The flag of this block's attribute.
    pub flag: Option<Flag>,
}

/// Reads the user's blocks now; `None` when the user cannot be read (the
/// restore goes on with what it read first).
pub(super) async fn blocks_now(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
) -> Option<Now> {
    let found = find_user(cognito, &run.meter, &target.pool_id, &target.username).await;
    let Ok(Lookup::Found(user)) = found else {
        return None;
    };
    let all = flags(&user);
    let others = all
        .values()
        .flat_map(|f| f.blocks.iter())
        .filter(|b| b.marker != marker && !run.may_adopt(b.pending.as_ref()))
        .map(|b| b.marker.clone())
        .collect();
    Some(Now {
        others,
        flag: all.get(target.attribute.as_str()).cloned(),
    })
}

/// A restore that lifted the user found `now.others` arrived meanwhile:
/// the user is disabled again, and the flag as it is now loses only this
/// block's marker.
pub(super) async fn keep_blocked(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
    now: Now,
    restored: &mut Restored,
) {
    let disabled = disable_user(cognito, &run.meter, target).await;
    match disabled {
        Ok(()) => restored.done.push(format!(
            "disabled the user again: {} arrived during the restore",
            quoted(&now.others)
        )),
        Err(error) => restored.failed("disable the user again".to_string(), error),
    }
    if let Some(mut flag) = now.flag.filter(|f| f.has(marker)) {
        flag.remove(marker);
        let value = flag.render().unwrap_or_default();
        if let Err(error) = set_flag(cognito, &run.meter, target, &value).await {
            restored.failed(
                format!("remove block `{marker}` from `{}`", target.attribute),
                error,
            );
        }
    }
    restored.warnings.push((
        "User stays blocked by other blocks".to_string(),
        format!(
            "{} arrived while user `{}` was being restored: it stays blocked until the last of them is restored",
            quoted(&now.others),
            target.username
        ),
    ));
    restored.others = now.others;
}

/// After the last restore put the flag back: a block that arrived meanwhile
/// (after a pause, so that its writes are done) keeps the user blocked.
pub(super) async fn keep_blocked_if_a_block_arrived(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
    restored: &mut Restored,
) {
    tokio::time::sleep(pause()).await;
    if let Some(now) = blocks_now(cognito, run, target, marker).await {
        if !now.others.is_empty() {
            keep_blocked(cognito, run, target, marker, now, restored).await;
        }
    }
}
