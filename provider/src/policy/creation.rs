//! Whether an object found after a create answered "already exists" is the
//! one this very create made: the SDK retries a create whose answer was
//! lost, and the retry then finds the first attempt's object. Pure; the
//! AWS reads are in `aws/`.

/// How far AWS's clock may be behind ours, in seconds, when comparing an
/// object's creation date with the moment a create was sent. Small on
/// purpose: a larger skew makes the create refuse the object, as for any
/// object that existed before (safe, and reported).
pub const CREATION_CLOCK_SKEW_SECONDS: i64 = 5;

/// What IAM says about a group found under the name a create used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundAfterCreate {
    /// `CreateDate`, seconds since the epoch (`None`: not given).
    pub created: Option<i64>,
    /// Path (`/` unless someone set another).
    pub path: String,
    /// Member user names.
    pub members: usize,
    /// Inline policy names.
    pub inline_policies: usize,
    /// Attached managed policies.
    pub attached_policies: usize,
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

/// Whether a group found after `CreateGroup` answered `EntityAlreadyExists`
/// is the one this create made: created while the create was under way,
/// with the path the create used (`/`), and still empty (no members, no
/// policies). A group that existed before, or that someone else already
/// uses, is never taken over.
pub fn made_by_this_create(found: &FoundAfterCreate, call: CallWindow) -> bool {
    call.holds(found.created)
        && found.path == "/"
        && found.members == 0
        && found.inline_policies == 0
        && found.attached_policies == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(created: i64) -> FoundAfterCreate {
        FoundAfterCreate {
            created: Some(created),
            path: "/".into(),
            members: 0,
            inline_policies: 0,
            attached_policies: 0,
        }
    }

    #[test]
    fn only_an_empty_group_created_during_the_create_is_its_own() {
        let call = CallWindow {
            sent: 1_000,
            answered: 1_030,
        };
        // Made by the first attempt, whose answer was lost.
        assert!(made_by_this_create(&fresh(1_001), call));
        assert!(made_by_this_create(&fresh(1_030), call));
        // Within the clock skew either side.
        assert!(made_by_this_create(&fresh(995), call));
        assert!(made_by_this_create(&fresh(1_035), call));
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
            // Someone else's: another path, members or policies.
            FoundAfterCreate {
                path: "/other/".into(),
                ..fresh(1_001)
            },
            FoundAfterCreate {
                members: 1,
                ..fresh(1_001)
            },
            FoundAfterCreate {
                inline_policies: 1,
                ..fresh(1_001)
            },
            FoundAfterCreate {
                attached_policies: 1,
                ..fresh(1_001)
            },
        ];
        for found in refused {
            assert!(!made_by_this_create(&found, call), "{found:?}");
        }
    }
}
