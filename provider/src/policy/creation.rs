//! Whether an object found after a create answered "already exists" is the
//! one this very create made: the SDK retries a create whose answer was
//! lost, and the retry then finds the first attempt's object. Pure; the
//! AWS reads are in `aws/`.

/// How far AWS's clock may be behind ours, in seconds, when comparing an
/// object's creation date with the moment a create was sent. Small on
/// purpose: a larger skew makes the create refuse the object, as for any
/// object that existed before (safe, and reported).
pub const CREATION_CLOCK_SKEW_SECONDS: i64 = 5;

/// What IAM says about a group or user found under the name a create used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundAfterCreate {
    /// `CreateDate`, seconds since the epoch (`None`: not given).
    pub created: Option<i64>,
    /// Path (`/` unless someone set another).
    pub path: String,
    /// What hangs on it: members or groups, inline and managed policies,
    /// access keys, a console password.
    pub attached: usize,
    /// Whether it carries exactly what the create sent (a user's tags).
    pub as_sent: bool,
}

/// A create call as this process timed it, in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallWindow {
    /// When the call was sent.
    pub sent: i64,
    /// When its (failed) answer came back.
    pub answered: i64,
}

impl CallWindow {
    /// Whether an object AWS says was created at `created` was made while
    /// the call was under way (within [`CREATION_CLOCK_SKEW_SECONDS`] either
    /// side). No creation date: never.
    pub fn holds(&self, created: Option<i64>) -> bool {
        created.is_some_and(|created| {
            created >= self.sent.saturating_sub(CREATION_CLOCK_SKEW_SECONDS)
                && created <= self.answered.saturating_add(CREATION_CLOCK_SKEW_SECONDS)
        })
    }
}

impl FoundAfterCreate {
    /// Whether it is as a create leaves it: at the path the create used
    /// (`/`), nothing attached yet, exactly what the create sent. With
    /// [`CallWindow::holds`] on its creation date, the test that an object
    /// met by a retried create is that create's own; one that someone else
    /// already uses is never taken over.
    pub fn untouched(&self) -> bool {
        self.path == "/" && self.attached == 0 && self.as_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(found: &FoundAfterCreate, call: CallWindow) -> bool {
        call.holds(found.created) && found.untouched()
    }

    fn fresh(created: i64) -> FoundAfterCreate {
        FoundAfterCreate {
            created: Some(created),
            path: "/".into(),
            attached: 0,
            as_sent: true,
        }
    }

    #[test]
    fn only_an_untouched_object_created_during_the_create_is_its_own() {
        let call = CallWindow {
            sent: 1_000,
            answered: 1_030,
        };
        // Made by the first attempt, whose answer was lost.
        assert!(own(&fresh(1_001), call));
        assert!(own(&fresh(1_030), call));
        // Within the clock skew either side.
        assert!(own(&fresh(995), call));
        assert!(own(&fresh(1_035), call));
        let refused = [
            // Existed before the create was sent.
            fresh(994),
            fresh(0),
            // A date after the answer: not this create's.
            fresh(1_036),
            // No creation date.
            FoundAfterCreate {
                created: None,
                ..fresh(1_001)
            },
            // Someone else's: another path, something attached, other tags.
            FoundAfterCreate {
                path: "/other/".into(),
                ..fresh(1_001)
            },
            FoundAfterCreate {
                attached: 1,
                ..fresh(1_001)
            },
            FoundAfterCreate {
                as_sent: false,
                ..fresh(1_001)
            },
        ];
        for found in refused {
            assert!(!own(&found, call), "{found:?}");
        }
    }
}
