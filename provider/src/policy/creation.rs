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

/// Whether a group found after `CreateGroup` answered `EntityAlreadyExists`
/// is the one this create made: created while the create was under way
/// (between `sent` and `answered`, seconds since the epoch, within
/// [`CREATION_CLOCK_SKEW_SECONDS`]), with the path the create used (`/`),
/// and still empty (no members, no policies). A group that existed before,
/// or that someone else already uses, is never taken over.
pub fn made_by_this_create(found: &FoundAfterCreate, sent: i64, answered: i64) -> bool {
    let Some(created) = found.created else {
        return false;
    };
    let during = created >= sent.saturating_sub(CREATION_CLOCK_SKEW_SECONDS)
        && created <= answered.saturating_add(CREATION_CLOCK_SKEW_SECONDS);
    during
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
        let (sent, answered) = (1_000, 1_030);
        // Made by the first attempt, whose answer was lost.
        assert!(made_by_this_create(&fresh(1_001), sent, answered));
        assert!(made_by_this_create(&fresh(1_030), sent, answered));
        // Within the clock skew either side.
        assert!(made_by_this_create(&fresh(995), sent, answered));
        assert!(made_by_this_create(&fresh(1_035), sent, answered));
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
            assert!(!made_by_this_create(&found, sent, answered), "{found:?}");
        }
    }
}
