//! What AWS shows of an Identity Center block: for read (drift) and import.

use super::{parse_assignment_item, resolve, scan, to_record, Scan};
use crate::context::Ctx;
use crate::error::Error;
use crate::policy::session_deny::permission_set_id;
use crate::resources::user_block::meter::Meter;
use crate::resources::user_block::record::{quoted, Observed, Record};

/// What AWS shows of the block now.
pub(crate) async fn observe(
    ctx: &Ctx,
    meter: &Meter,
    user: &str,
    marker: &str,
    record: &Record,
) -> Result<Observed, Error> {
    let Some(subject) = resolve(ctx, meter, user).await? else {
        return Ok(Observed::UserGone);
    };
    if !record.user_id.is_empty() && record.user_id != subject.user_id {
        return Ok(Observed::UserGone);
    }
    let scan = scan(&subject, meter, true).await?;
    Ok(observed(&subject.user_id, &scan, marker, record))
}

fn observed(user_id: &str, scan: &Scan, marker: &str, record: &Record) -> Observed {
    let mut undone = Vec::new();
    let mut marker_left = false;
    for set in &scan.sets {
        match &set.policy {
            Ok(policy) => {
                let entries = policy.user(user_id);
                marker_left |= entries.markers.contains(marker);
                if !entries.denied || !policy.intact() {
                    undone.push(format!(
                        "permission set `{}` no longer denies the user's sessions",
                        set.id()
                    ));
                }
            }
            Err(problem) => undone.push(format!(
                "the inline policy of permission set `{}` is unreadable: {problem}",
                set.id()
            )),
        }
    }
    undone.extend(scan.assignments.iter().map(|(account, arn)| {
        format!(
            "the user is assigned permission set `{}` in account `{account}`",
            permission_set_id(arn)
        )
    }));
    undone.extend(
        scan.memberships
            .iter()
            .map(|m| format!("the user is in group `{}`", m.group_id)),
    );
    let group_still_left = record
        .groups_removed
        .iter()
        .any(|g| !scan.memberships.iter().any(|m| m.group_id == *g));
    let assignment_still_left = record.assignments_removed.iter().any(|item| {
        parse_assignment_item(item).is_some_and(|(account, arn, _)| {
            !scan
                .assignments
                .iter()
                .any(|(a, p)| *a == account && *p == arn)
        })
    });
    Observed::User {
        user_id: user_id.to_string(),
        undone,
        left: marker_left || group_still_left || assignment_still_left,
    }
}

/// For import: the block's marker and its record in the statement.
pub(crate) async fn discover(
    ctx: &Ctx,
    meter: &Meter,
    user: &str,
    wanted: Option<&str>,
) -> Result<(String, Record, bool), Error> {
    let Some(subject) = resolve(ctx, meter, user).await? else {
        return Err(Error::NotFound {
            what: format!("Identity Center user `{user}`"),
        });
    };
    let scan = scan(&subject, meter, true).await?;
    let entries = scan.entries(&subject.user_id);
    let markers: Vec<String> = entries
        .markers
        .iter()
        .filter(|m| wanted.is_none_or(|w| w == m.as_str()))
        .cloned()
        .collect();
    match markers.as_slice() {
        [marker] => {
            let stored = entries.records.get(marker).cloned().unwrap_or_default();
            let record = to_record(&subject.user_id, &stored, &scan);
            let blocked = matches!(
                observed(&subject.user_id, &scan, marker, &record),
                Observed::User { ref undone, .. } if undone.is_empty()
            );
            Ok((marker.clone(), record, blocked))
        }
        [] => Err(Error::NotFound {
            what: format!("a jit block of Identity Center user `{user}` in the permission sets' deny statement"),
        }),
        _ => Err(Error::invalid(
            Default::default(),
            "Several blocks",
            format!(
                "Identity Center user `{user}` has several blocks ({}). Name the one to import: `identity_center:{user}/<marker>`.",
                quoted(&markers)
            ),
        )),
    }
}
