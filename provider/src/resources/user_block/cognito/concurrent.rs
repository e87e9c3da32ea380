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
//! write dropped it.

use std::time::Duration;

use rand::Rng;

use super::{find_user, flags, set_flag, Lookup};
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
            let disabled = meter
                .call(
                    "cognito-idp",
                    "AdminDisableUser",
                    cognito.disable_user(&target.pool_id, &target.username),
                )
                .await;
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

/// Live blocks of the user other than `marker`, read now: a restore looks
/// just before lifting the user. `None` when the user cannot be read (the
/// restore goes on with what it read first).
pub(super) async fn other_blocks_now(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
) -> Option<Vec<String>> {
    let found = find_user(cognito, &run.meter, &target.pool_id, &target.username).await;
    let Ok(Lookup::Found(user)) = found else {
        return None;
    };
    Some(
        flags(&user)
            .values()
            .flat_map(|f| f.blocks.iter())
            .filter(|b| b.marker != marker && !run.may_adopt(b.pending.as_ref()))
            .map(|b| b.marker.clone())
            .collect(),
    )
}

/// After the last restore lifted the user: a block that arrived meanwhile
/// keeps it blocked (the user is disabled again).
pub(super) async fn keep_blocked_if_a_block_arrived(
    cognito: &Cognito,
    run: &Run,
    target: &CognitoTarget,
    marker: &str,
    restored: &mut Restored,
) {
    tokio::time::sleep(pause()).await;
    let Some(arrived) = other_blocks_now(cognito, run, target, marker).await else {
        return;
    };
    if arrived.is_empty() {
        return;
    }
    let disabled = run
        .meter
        .call(
            "cognito-idp",
            "AdminDisableUser",
            cognito.disable_user(&target.pool_id, &target.username),
        )
        .await;
    match disabled {
        Ok(()) => restored.done.push(format!(
            "disabled the user again: {} arrived during the restore",
            quoted(&arrived)
        )),
        Err(error) => restored.failed("disable the user again".to_string(), error),
    }
    restored.warnings.push((
        "User stays blocked by other blocks".to_string(),
        format!(
            "{} arrived while user `{}` was being restored: it stays blocked until the last of them is restored",
            quoted(&arrived),
            target.username
        ),
    ));
    restored.others = arrived;
}
