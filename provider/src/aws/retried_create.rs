//! Creates whose answer may have been lost (identity store users, groups
//! and memberships; IAM groups and users). The SDK retries a create whose
//! answer never came, and the retry meets the first attempt's object:
//! `ConflictException` or `EntityAlreadyExists`. That object is this create's own
//! only when the conflict answered a retry (a conflict at the first attempt
//! is someone else's object, e.g. a second workspace creating the same user
//! at once), AWS says it was created while the call was under way, and it
//! is what the configuration describes; anything else stays a conflict.

use std::future::Future;

use time::OffsetDateTime;

use super::attempts::Attempts;
use crate::error::Error;
use crate::policy::creation::{CallWindow, FoundAfterCreate};

/// AWS's answers to a create of an object that exists (identity store,
/// IAM).
const EXISTS: [&str; 2] = ["ConflictException", "EntityAlreadyExists"];

/// What a create found under its unique key after a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The object's id (an ARN for IAM).
    pub id: String,
    /// `CreatedAt`, seconds since the epoch (`None`: AWS did not say).
    pub created_at: Option<i64>,
    /// Whether every attribute the create sent has the value it sent.
    pub as_configured: bool,
}

impl Found {
    /// An IAM object found after its create: its ARN is the id, and it is
    /// as configured while untouched.
    pub fn iam((arn, found): (String, FoundAfterCreate)) -> Self {
        Self {
            id: arn,
            created_at: found.created,
            as_configured: found.untouched(),
        }
    }
}

/// Runs `create` with an attempt counter. On a conflict answered to a
/// retry, `find` reads the object under the same
/// unique key; its id is returned when it is this create's own. Otherwise
/// the error is AWS's (the conflict itself when the object is someone
/// else's: check [`is_conflict`]), or an incomplete-change error when the
/// read failed and the object may be this create's.
pub async fn create_or_own<C, CF, F, FF>(what: &str, create: C, find: F) -> Result<String, Error>
where
    C: FnOnce(Attempts) -> CF,
    CF: Future<Output = Result<String, Error>>,
    F: FnOnce() -> FF,
    FF: Future<Output = Result<Option<Found>, Error>>,
{
    let sent = now();
    let attempts = Attempts::default();
    let conflict = match create(attempts.clone()).await {
        Err(error) if is_conflict(&error) && attempts.retried() => error,
        answered => return answered,
    };
    let call = CallWindow {
        sent,
        answered: now(),
    };
    match find().await {
        Ok(Some(found)) if found.as_configured && call.holds(found.created_at) => {
            tracing::info!(id = %found.id, %conflict, "{what} made by an earlier attempt of this create (its answer was lost); taken");
            Ok(found.id)
        }
        Ok(_) => Err(conflict),
        Err(read) => Err(Error::incomplete(
            format!("The {what} may exist"),
            format!("The create answered {conflict}, and reading the {what} to learn whether an earlier attempt of this create made it failed: {read}. If that {what} exists now and nobody else made it, it is this create's: import it into this resource, or delete it, then run apply again."),
        )),
    }
}

/// Whether AWS refused a create because the object exists.
pub fn is_conflict(error: &Error) -> bool {
    error.aws_code().is_some_and(|code| EXISTS.contains(&code))
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}
