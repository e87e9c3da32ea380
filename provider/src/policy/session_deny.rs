//! The provider's deny statement in the inline policy of Identity Center
//! permission sets, and the restore record of Identity Center user blocks
//! kept in it. Pure: parsing, merging and rendering only.
//!
//! A blocked Identity Center user's live role sessions stop only through a
//! policy of the role they run in: `jit_user_block` adds the user's id to a
//! statement of its own (Sid [`BLOCKED_USERS_SID`]) in the inline policy of
//! every provisioned permission set, denying every action when
//! `identitystore:UserId` is one of the listed values, then re-provisions.
//!
//! The statement's value list holds, per blocked user `<uid>`:
//!
//! - `<uid>`: the value that matches the user's sessions (the deny itself);
//! - `<uid>#<marker>`: one per live block of the user (the block's marker,
//!   `jit-user-block-<16 hex>`); the user's id stays while any is left;
//! - `<uid>#<marker>#a.<account>.<permission set id>[.j]`: an account
//!   assignment the block removed (`.j`: a JIT grant's, re-created only
//!   while its lease still guards it);
//! - `<uid>#<marker>#g.<group id>`: a group membership the block removed;
//! - `<uid>#<marker>#p.<nonce>.<deadline>.<fingerprint>`: the block is
//!   still being placed (`policy::block::Pending`): written with its marker
//!   in one document, removed by the block's last write; a block or restore
//!   of another provider process takes a pending block over when its inputs
//!   are the same or its deadline has passed (an apply killed part-way);
//! - `<uid>#<marker>#w.<workspace>.<time>.<fingerprint>`: written by the
//!   block's last write (`policy::block::Placed`): a later block of the
//!   same inputs from the same workspace takes a finished block no state
//!   names over (an apply killed before Terraform saved the state).
//!
//! The extra values never equal a real user id (ids have no `#`), so they
//! match nothing; they make the record of every block findable in AWS, as
//! the IAM and Cognito kinds keep theirs next to the user (see
//! `policy::block`). The same entries of a user are written to every
//! permission set, so any one of them holds the whole record.
//!
//! A grant whose permission set has `end_sessions_on_revoke` leaves, at its
//! revoke, a statement of a second family (Sid [`END_SESSIONS_SID_PREFIX`]
//! and a hash of user and account, one per pair, so a later revoke of the
//! same pair replaces it): deny every action to sessions of that user in
//! that account issued before the revoke (`aws:TokenIssueTime`). A later
//! grant's sessions are issued after it and keep working. Once the
//! permission set's session duration has passed since that time no session
//! it matches can be alive, and the statement is pruned
//! ([`InlinePolicy::prune_end_sessions`]).
//!
//! Other statements of the document (a policy managed by another tool) are
//! kept exactly; only statements with our Sids are ever rewritten, and the
//! document is checked against the inline-policy limits before writing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::policy::block::{Pending, Placed};
use crate::policy::lease::{fnv1a64, parse_rfc3339, rfc3339};

/// Sid of the provider's statement of blocked users.
pub const BLOCKED_USERS_SID: &str = "JitBlockedUsers";
/// The condition key naming the Identity Center user of a role session.
pub const USER_ID_KEY: &str = "identitystore:UserId";
/// Characters (whitespace excluded) an inline policy of a permission set
/// may have.
pub const INLINE_POLICY_CHAR_LIMIT: usize = 10_240;
/// Bytes an inline policy of a permission set may have in all.
pub const INLINE_POLICY_BYTE_LIMIT: usize = 32_768;

/// Sid prefix of the statements ending a revoked grant's live sessions.
pub const END_SESSIONS_SID_PREFIX: &str = "JitEndSessions";
/// The condition key naming the account of a role session.
pub const PRINCIPAL_ACCOUNT_KEY: &str = "aws:PrincipalAccount";
/// The condition key holding when a session's credentials were issued.
pub const TOKEN_ISSUE_TIME_KEY: &str = "aws:TokenIssueTime";

const SEPARATOR: char = '#';

/// Sessions of one user in one account issued before a time: denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndSessions {
    /// Identity Center user id.
    pub user_id: String,
    /// AWS account id.
    pub account: String,
    /// Sessions issued before this time (RFC 3339, UTC, whole seconds) are
    /// denied.
    pub before: String,
}

impl EndSessions {
    /// Sessions of `user_id` in `account` issued up to `revoked_at`: the
    /// time is rounded up to the next whole second, so a session issued in
    /// the same second as the revoke is denied too.
    pub fn at(user_id: &str, account: &str, revoked_at: OffsetDateTime) -> Self {
        let whole = revoked_at.replace_nanosecond(0).unwrap_or(revoked_at);
        Self {
            user_id: user_id.to_string(),
            account: account.to_string(),
            before: rfc3339(whole + time::Duration::seconds(1)),
        }
    }

    /// The statement's Sid: one per user and account.
    pub fn sid(&self) -> String {
        end_sessions_sid(&self.user_id, &self.account)
    }

    /// The statement (deny `*` on `*` for this user's sessions in this
    /// account issued before the time).
    pub fn statement(&self) -> Value {
        json!({
            "Sid": self.sid(),
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {USER_ID_KEY: self.user_id, PRINCIPAL_ACCOUNT_KEY: self.account},
                "DateLessThan": {TOKEN_ISSUE_TIME_KEY: self.before},
            },
        })
    }

    /// True when no session it denies can still be alive: the session
    /// duration has passed since its time (an unreadable time never
    /// expires).
    pub fn expired(&self, now: OffsetDateTime, session: Duration) -> bool {
        parse_rfc3339(&self.before).is_some_and(|before| before + session <= now)
    }

    /// The statement's fields when it has exactly the shape we write.
    fn parse(statement: &Value) -> Option<Self> {
        let condition = statement.get("Condition")?;
        let equals = condition.get("StringEquals")?;
        let found = Self {
            user_id: equals.get(USER_ID_KEY)?.as_str()?.to_string(),
            account: equals.get(PRINCIPAL_ACCOUNT_KEY)?.as_str()?.to_string(),
            before: condition
                .get("DateLessThan")?
                .get(TOKEN_ISSUE_TIME_KEY)?
                .as_str()?
                .to_string(),
        };
        (*statement == found.statement()).then_some(found)
    }
}

/// The Sid of the end-sessions statement of a user in an account.
pub fn end_sessions_sid(user_id: &str, account: &str) -> String {
    let hash = fnv1a64(format!("{user_id}\n{account}").as_bytes());
    format!("{END_SESSIONS_SID_PREFIX}{hash:016x}")
}

/// An account assignment a block removed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AssignmentFact {
    /// AWS account id.
    pub account: String,
    /// The permission set's id (last part of its ARN, `ps-…`).
    pub permission_set_id: String,
    /// A JIT grant's assignment (a lease of ours governed it).
    pub jit: bool,
}

impl AssignmentFact {
    fn render(&self) -> String {
        let jit = if self.jit { ".j" } else { "" };
        format!("a.{}.{}{jit}", self.account, self.permission_set_id)
    }

    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.strip_prefix("a.")?.split('.');
        let (account, set) = (parts.next()?, parts.next()?);
        let jit = match parts.next() {
            None => false,
            Some("j") => true,
            Some(_) => return None,
        };
        if parts.next().is_some() || account.is_empty() || set.is_empty() {
            return None;
        }
        Some(Self {
            account: account.to_string(),
            permission_set_id: set.to_string(),
            jit,
        })
    }
}

/// What one block of an Identity Center user removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IcRecord {
    /// Set while the block is being placed.
    pub pending: Option<Pending>,
    /// Set by the last write of a new block.
    pub placed: Option<Placed>,
    /// Account assignments removed.
    pub assignments: BTreeSet<AssignmentFact>,
    /// Group ids the user was removed from.
    pub groups: BTreeSet<String>,
}

impl IcRecord {
    /// Adds everything `other` records (its pending mark is not merged).
    pub fn merge(&mut self, other: &IcRecord) {
        self.assignments.extend(other.assignments.iter().cloned());
        self.groups.extend(other.groups.iter().cloned());
    }

    /// True when nothing is recorded (a pending mark is not a change).
    pub fn is_empty(&self) -> bool {
        self.assignments.is_empty() && self.groups.is_empty()
    }

    fn read_fact(&mut self, fact: &str) {
        if let Some(group) = fact.strip_prefix("g.") {
            self.groups.insert(group.to_string());
        } else if let Some(pending) = fact.strip_prefix("p.") {
            // Unreadable: treated as a finished block, which is never
            // taken over (the safe side).
            if let Some(pending) = Pending::parse(pending) {
                self.pending = Some(pending);
            }
        } else if let Some(placed) = fact.strip_prefix("w.") {
            self.placed = Placed::parse(placed);
        } else if let Some(assignment) = AssignmentFact::parse(fact) {
            self.assignments.insert(assignment);
        }
    }
}

/// The entries of one user in the statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserEntries {
    /// The user's id is listed: its sessions are denied.
    pub denied: bool,
    /// Markers of the user's live blocks.
    pub markers: BTreeSet<String>,
    /// Records by marker (they may outlive their marker until the last
    /// block of the user is restored).
    pub records: BTreeMap<String, IcRecord>,
}

impl UserEntries {
    /// Adds everything `other` holds.
    pub fn merge(&mut self, other: &UserEntries) {
        self.denied |= other.denied;
        self.markers.extend(other.markers.iter().cloned());
        for (marker, record) in &other.records {
            let mine = self.records.entry(marker.clone()).or_default();
            mine.merge(record);
            // The same block seen in another permission set: still pending
            // if any copy says so.
            if mine.pending.is_none() {
                mine.pending = record.pending.clone();
            }
            if mine.placed.is_none() {
                mine.placed = record.placed.clone();
            }
        }
    }

    /// Every record, merged.
    pub fn all_records(&self) -> IcRecord {
        let mut all = IcRecord::default();
        for record in self.records.values() {
            all.merge(record);
        }
        all
    }

    /// True when the user has no entry at all.
    pub fn is_empty(&self) -> bool {
        !self.denied && self.markers.is_empty() && self.records.is_empty()
    }

    fn render(&self, user: &str) -> Vec<String> {
        let mut values = Vec::new();
        if self.denied {
            values.push(user.to_string());
        }
        for marker in &self.markers {
            values.push(format!("{user}{SEPARATOR}{marker}"));
        }
        for (marker, record) in &self.records {
            if let Some(pending) = &record.pending {
                values.push(format!(
                    "{user}{SEPARATOR}{marker}{SEPARATOR}p.{}",
                    pending.render()
                ));
            }
            if let Some(placed) = &record.placed {
                values.push(format!(
                    "{user}{SEPARATOR}{marker}{SEPARATOR}w.{}",
                    placed.render()
                ));
            }
            for fact in &record.assignments {
                values.push(format!(
                    "{user}{SEPARATOR}{marker}{SEPARATOR}{}",
                    fact.render()
                ));
            }
            for group in &record.groups {
                values.push(format!("{user}{SEPARATOR}{marker}{SEPARATOR}g.{group}"));
            }
        }
        values
    }
}

/// Why a permission set's inline policy cannot be changed safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyProblem {
    /// The document is not a JSON policy: rewriting it would lose it.
    NotAPolicy(String),
    /// The document would exceed an inline-policy limit.
    TooLarge {
        /// Characters without whitespace.
        chars: usize,
        /// Bytes in all.
        bytes: usize,
    },
}

impl std::fmt::Display for DenyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAPolicy(why) => write!(f, "the inline policy is not a JSON policy document ({why}); fix or remove it first"),
            Self::TooLarge { chars, bytes } => write!(
                f,
                "the inline policy would have {chars} characters without whitespace ({bytes} bytes), over the limit of {INLINE_POLICY_CHAR_LIMIT} ({INLINE_POLICY_BYTE_LIMIT} bytes); shorten the other statements of the inline policy or move them to a customer managed policy"
            ),
        }
    }
}

/// A permission set's inline policy, split into the provider's statement
/// (its values) and everything else (kept verbatim).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InlinePolicy {
    version: Option<Value>,
    extra: Map<String, Value>,
    others: Vec<Value>,
    /// The values of our statement, as found.
    values: BTreeSet<String>,
    /// Our statement was present.
    had_ours: bool,
    /// Our statement is present and has exactly the shape we write.
    intact: bool,
    /// End-sessions statements by Sid (only those of exactly our shape;
    /// anything else with the prefix is kept verbatim in `others`).
    ended: BTreeMap<String, EndSessions>,
}

impl InlinePolicy {
    /// Parses a document; empty or absent means no inline policy.
    pub fn parse(document: Option<&str>) -> Result<Self, DenyProblem> {
        let document = document.map(str::trim).unwrap_or_default();
        if document.is_empty() {
            return Ok(Self::default());
        }
        let parsed: Value =
            serde_json::from_str(document).map_err(|e| DenyProblem::NotAPolicy(e.to_string()))?;
        let Value::Object(mut map) = parsed else {
            return Err(DenyProblem::NotAPolicy("not a JSON object".into()));
        };
        let version = map.remove("Version");
        let statements = match map.remove("Statement") {
            None => Vec::new(),
            Some(Value::Array(list)) => list,
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => return Err(DenyProblem::NotAPolicy("`Statement` is not a list".into())),
        };
        let mut policy = Self {
            version,
            extra: map,
            ..Self::default()
        };
        for statement in statements {
            if statement.get("Sid").and_then(Value::as_str) == Some(BLOCKED_USERS_SID) {
                policy.had_ours = true;
                policy.values.extend(condition_values(&statement));
                policy.intact = statement == our_statement(&policy.values);
            } else if let Some(ended) = EndSessions::parse(&statement) {
                policy.ended.insert(ended.sid(), ended);
            } else {
                policy.others.push(statement);
            }
        }
        Ok(policy)
    }

    /// Every user with entries, with them.
    pub fn users(&self) -> BTreeMap<String, UserEntries> {
        let mut users: BTreeMap<String, UserEntries> = BTreeMap::new();
        for value in &self.values {
            let mut parts = value.splitn(3, SEPARATOR);
            let user = parts.next().unwrap_or_default();
            if user.is_empty() {
                continue;
            }
            let entries = users.entry(user.to_string()).or_default();
            match (parts.next(), parts.next()) {
                (None, _) => entries.denied = true,
                (Some(marker), None) => {
                    entries.markers.insert(marker.to_string());
                }
                (Some(marker), Some(fact)) => {
                    let record = entries.records.entry(marker.to_string()).or_default();
                    record.read_fact(fact);
                }
            }
        }
        users
    }

    /// The entries of one user (empty when none).
    pub fn user(&self, user: &str) -> UserEntries {
        self.users().remove(user).unwrap_or_default()
    }

    /// Replaces every entry of `user` with `entries`.
    pub fn set_user(&mut self, user: &str, entries: &UserEntries) {
        let prefix = format!("{user}{SEPARATOR}");
        self.values
            .retain(|value| value != user && !value.starts_with(&prefix));
        self.values.extend(entries.render(user));
    }

    /// True when our statement is there with exactly the shape we write
    /// (deny `*` on `*` for the listed users), or absent and not needed.
    pub fn intact(&self) -> bool {
        self.intact || (!self.had_ours && self.values.is_empty())
    }

    /// True when the document has our statement.
    pub fn has_ours(&self) -> bool {
        self.had_ours
    }

    /// Statements other than ours.
    pub fn others(&self) -> usize {
        self.others.len()
    }

    /// The end-sessions statements, by Sid.
    pub fn ended(&self) -> &BTreeMap<String, EndSessions> {
        &self.ended
    }

    /// Adds (or replaces, by Sid) the end-sessions statement of a user in
    /// an account. A foreign statement with the same Sid is replaced too:
    /// a document may not repeat a Sid.
    pub fn end_sessions(&mut self, entry: EndSessions) {
        let sid = entry.sid();
        self.others
            .retain(|statement| statement.get("Sid").and_then(Value::as_str) != Some(&sid));
        self.ended.insert(sid, entry);
    }

    /// Removes the end-sessions statements no live session can match any
    /// more (older than `session`, the permission set's session duration);
    /// returns how many. Other statements are never touched.
    pub fn prune_end_sessions(&mut self, now: OffsetDateTime, session: Duration) -> usize {
        let before = self.ended.len();
        self.ended.retain(|_, entry| !entry.expired(now, session));
        before - self.ended.len()
    }

    /// The document to write; `None` when no statement is left (delete the
    /// inline policy instead).
    pub fn render(&self) -> Option<String> {
        let mut statements = self.others.clone();
        if !self.values.is_empty() {
            statements.push(our_statement(&self.values));
        }
        statements.extend(self.ended.values().map(EndSessions::statement));
        if statements.is_empty() {
            return None;
        }
        let mut map = Map::new();
        map.insert(
            "Version".into(),
            self.version.clone().unwrap_or_else(|| json!("2012-10-17")),
        );
        map.insert("Statement".into(), Value::Array(statements));
        for (key, value) in &self.extra {
            map.insert(key.clone(), value.clone());
        }
        Some(Value::Object(map).to_string())
    }
}

/// Checks a document against the inline-policy limits of a permission set.
pub fn check_limits(document: &str) -> Result<(), DenyProblem> {
    let chars = document.chars().filter(|c| !c.is_whitespace()).count();
    let bytes = document.len();
    if chars > INLINE_POLICY_CHAR_LIMIT || bytes > INLINE_POLICY_BYTE_LIMIT {
        return Err(DenyProblem::TooLarge { chars, bytes });
    }
    Ok(())
}

/// The permission set id of a permission set ARN (its last part).
pub fn permission_set_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn our_statement(values: &BTreeSet<String>) -> Value {
    let list: Vec<&String> = values.iter().collect();
    json!({
        "Sid": BLOCKED_USERS_SID,
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringEquals": {USER_ID_KEY: list}},
    })
}

/// The values of the user-id key in any operator of the statement.
fn condition_values(statement: &Value) -> Vec<String> {
    let Some(Value::Object(operators)) = statement.get("Condition") else {
        return Vec::new();
    };
    let mut values = Vec::new();
    for keys in operators.values() {
        let Value::Object(keys) = keys else { continue };
        for (key, value) in keys {
            if !key.eq_ignore_ascii_case(USER_ID_KEY) {
                continue;
            }
            match value {
                Value::String(one) => values.push(one.clone()),
                Value::Array(list) => {
                    values.extend(list.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => {}
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: &str = "jit-user-block-0123456789abcdef";
    const M2: &str = "jit-user-block-fedcba9876543210";

    fn entries(marker: &str, record: IcRecord) -> UserEntries {
        UserEntries {
            denied: true,
            markers: [marker.to_string()].into(),
            records: [(marker.to_string(), record)].into(),
        }
    }

    fn record() -> IcRecord {
        IcRecord {
            pending: None,
            placed: None,
            assignments: [
                AssignmentFact {
                    account: "123456789012".into(),
                    permission_set_id: "ps-1111".into(),
                    jit: false,
                },
                AssignmentFact {
                    account: "123456789012".into(),
                    permission_set_id: "ps-2222".into(),
                    jit: true,
                },
            ]
            .into(),
            groups: ["g-1".to_string()].into(),
        }
    }

    #[test]
    fn entries_round_trip_through_the_document() {
        let mut policy = InlinePolicy::parse(None).unwrap();
        assert!(policy.intact());
        policy.set_user("u-1", &entries(M1, record()));
        let document = policy.render().unwrap();
        let parsed = InlinePolicy::parse(Some(&document)).unwrap();
        assert!(parsed.intact() && parsed.has_ours());
        assert_eq!(parsed.user("u-1"), entries(M1, record()));
        let value: Value = serde_json::from_str(&document).unwrap();
        let statement = &value["Statement"][0];
        assert_eq!(statement["Effect"], "Deny");
        assert_eq!(statement["Action"], "*");
        let listed = &statement["Condition"]["StringEquals"][USER_ID_KEY];
        assert!(listed.as_array().unwrap().contains(&json!("u-1")));
        // Only the bare id can match a session: every other value has `#`.
        let others = listed.as_array().unwrap().iter().filter(|v| *v != "u-1");
        assert!(others
            .into_iter()
            .all(|v| v.as_str().unwrap().contains('#')));
    }

    #[test]
    fn a_pending_mark_round_trips_within_the_limits_and_survives_merging() {
        let pending = Pending {
            nonce: "a1b2c3d4".into(),
            deadline: 1_764_892_800,
            fingerprint: "0badf00d".into(),
        };
        let placing = IcRecord {
            pending: Some(pending.clone()),
            ..record()
        };
        let mut policy = InlinePolicy::default();
        policy.set_user("u-1", &entries(M1, placing.clone()));
        let document = policy.render().unwrap();
        let parsed = InlinePolicy::parse(Some(&document)).unwrap();
        assert!(parsed.intact());
        assert_eq!(parsed.user("u-1").records[M1], placing);
        // One value more, of hex, digits, dots and `#` only.
        let value: Value = serde_json::from_str(&document).unwrap();
        let listed = value["Statement"][0]["Condition"]["StringEquals"][USER_ID_KEY]
            .as_array()
            .unwrap()
            .clone();
        let mark = format!("u-1#{M1}#p.a1b2c3d4.1764892800.0badf00d");
        assert!(listed.contains(&json!(mark)), "{listed:?}");
        assert!(mark
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "#.-".contains(c)));
        // A pending block of the largest user id (64 characters) with 10
        // assignments and 10 groups is still far within the limits.
        let mut big = IcRecord {
            pending: Some(pending.clone()),
            ..IcRecord::default()
        };
        for i in 0..10 {
            big.assignments.insert(AssignmentFact {
                account: format!("1234567890{i:02}"),
                permission_set_id: format!("ps-{i:016x}"),
                jit: i % 2 == 0,
            });
            big.groups
                .insert(format!("{i:08}-aaaa-bbbb-cccc-dddddddddddd"));
        }
        let mut policy = InlinePolicy::default();
        policy.set_user(&"u".repeat(64), &entries(M1, big));
        let document = policy.render().unwrap();
        assert!(check_limits(&document).is_ok());
        assert!(
            document.len() < INLINE_POLICY_CHAR_LIMIT / 2,
            "{}",
            document.len()
        );
        // The same block seen in two permission sets: pending if either
        // copy says so; a plain record merge never copies the mark.
        let mut seen = entries(M1, record());
        seen.merge(&entries(M1, placing.clone()));
        assert_eq!(seen.records[M1].pending, Some(pending));
        let mut plain = record();
        plain.merge(&placing);
        assert_eq!(plain.pending, None);
        // A malformed mark reads as a finished block.
        let forged = InlinePolicy::parse(Some(&document.replace(".0badf00d", ".zz"))).unwrap();
        assert_eq!(forged.user(&"u".repeat(64)).records[M1].pending, None);
    }

    #[test]
    fn a_placed_mark_round_trips_and_survives_merging() {
        let placed = Placed {
            workspace: "5eed0001".into(),
            at: 1_764_892_800,
            fingerprint: "0badf00d".into(),
        };
        let finished = IcRecord {
            placed: Some(placed.clone()),
            ..record()
        };
        let mut policy = InlinePolicy::default();
        policy.set_user("u-1", &entries(M1, finished.clone()));
        let document = policy.render().unwrap();
        assert!(document.contains(&format!("u-1#{M1}#w.5eed0001.1764892800.0badf00d")));
        let parsed = InlinePolicy::parse(Some(&document)).unwrap();
        assert_eq!(parsed.user("u-1").records[M1], finished);
        // Seen in another permission set without it: still placed.
        let mut seen = entries(M1, record());
        seen.merge(&entries(M1, finished));
        assert_eq!(seen.records[M1].placed, Some(placed));
    }

    #[test]
    fn two_users_share_the_statement_and_leave_it_one_by_one() {
        let mut policy = InlinePolicy::default();
        policy.set_user("u-1", &entries(M1, record()));
        policy.set_user("u-2", &entries(M2, IcRecord::default()));
        let parsed = InlinePolicy::parse(policy.render().as_deref()).unwrap();
        assert_eq!(parsed.users().len(), 2);
        let mut parsed = parsed;
        parsed.set_user("u-1", &UserEntries::default());
        assert_eq!(parsed.users().keys().collect::<Vec<_>>(), ["u-2"]);
        parsed.set_user("u-2", &UserEntries::default());
        assert_eq!(
            parsed.render(),
            None,
            "no statement left: delete the policy"
        );
    }

    #[test]
    fn others_statements_are_kept_verbatim() {
        let theirs = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let mut policy = InlinePolicy::parse(Some(theirs)).unwrap();
        assert!(!policy.has_ours() && policy.others() == 1);
        policy.set_user("u-1", &entries(M1, IcRecord::default()));
        let written = policy.render().unwrap();
        let value: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(value["Statement"][0]["Sid"], "Theirs");
        assert_eq!(value["Statement"][1]["Sid"], BLOCKED_USERS_SID);
        let mut back = InlinePolicy::parse(Some(&written)).unwrap();
        back.set_user("u-1", &UserEntries::default());
        let restored: Value = serde_json::from_str(&back.render().unwrap()).unwrap();
        let original: Value = serde_json::from_str(theirs).unwrap();
        assert_eq!(restored, original);
    }

    #[test]
    fn an_edited_statement_is_not_intact_and_a_broken_document_is_refused() {
        let edited = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"{BLOCKED_USERS_SID}","Effect":"Allow","Action":"*","Resource":"*","Condition":{{"StringEquals":{{"identitystore:userid":"u-1"}}}}}}}}"#
        );
        let policy = InlinePolicy::parse(Some(&edited)).unwrap();
        assert!(!policy.intact());
        assert!(policy.user("u-1").denied, "key case does not matter");
        assert!(matches!(
            InlinePolicy::parse(Some("{not json")),
            Err(DenyProblem::NotAPolicy(_))
        ));
        assert!(matches!(
            InlinePolicy::parse(Some("[1]")),
            Err(DenyProblem::NotAPolicy(_))
        ));
    }

    #[test]
    fn limits_count_characters_without_whitespace() {
        let at_limit = "a".repeat(INLINE_POLICY_CHAR_LIMIT);
        assert!(check_limits(&at_limit).is_ok());
        assert!(check_limits(&format!("{at_limit}   \n")).is_ok());
        let over = check_limits(&format!("{at_limit}b")).unwrap_err();
        assert!(over.to_string().contains("10240"), "{over}");
    }

    fn at(text: &str) -> OffsetDateTime {
        parse_rfc3339(text).unwrap()
    }

    #[test]
    fn end_sessions_statement_denies_sessions_issued_before_the_revoke() {
        let entry = EndSessions::at("u-1", "123456789012", at("2026-12-04T18:30:00.250Z"));
        assert_eq!(entry.before, "2026-12-04T18:30:01Z", "rounded up");
        let statement = entry.statement();
        assert_eq!(statement["Effect"], "Deny");
        assert_eq!(statement["Action"], "*");
        assert_eq!(statement["Resource"], "*");
        let condition = &statement["Condition"];
        assert_eq!(condition["StringEquals"][USER_ID_KEY], "u-1");
        assert_eq!(
            condition["StringEquals"][PRINCIPAL_ACCOUNT_KEY],
            "123456789012"
        );
        assert_eq!(
            condition["DateLessThan"][TOKEN_ISSUE_TIME_KEY],
            "2026-12-04T18:30:01Z"
        );
        let sid = statement["Sid"].as_str().unwrap();
        assert!(sid.starts_with(END_SESSIONS_SID_PREFIX));
        assert!(sid.chars().all(|c| c.is_ascii_alphanumeric()), "{sid}");
        assert_ne!(sid, end_sessions_sid("u-1", "210987654321"));
        assert_ne!(sid, end_sessions_sid("u-2", "123456789012"));
    }

    #[test]
    fn end_sessions_merge_by_sid_beside_other_statements() {
        let theirs = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let mut policy = InlinePolicy::parse(Some(theirs)).unwrap();
        policy.set_user("u-9", &entries(M1, IcRecord::default()));
        policy.end_sessions(EndSessions::at(
            "u-1",
            "111111111111",
            at("2026-12-04T10:00:00Z"),
        ));
        policy.end_sessions(EndSessions::at(
            "u-1",
            "222222222222",
            at("2026-12-04T10:00:00Z"),
        ));
        let written = policy.render().unwrap();
        let mut back = InlinePolicy::parse(Some(&written)).unwrap();
        assert_eq!(back.ended().len(), 2);
        assert_eq!(back.others(), 1);
        assert!(back.user("u-9").denied, "the block's statement is kept");
        // A second revoke of the same user and account replaces its time.
        back.end_sessions(EndSessions::at(
            "u-1",
            "111111111111",
            at("2026-12-04T11:00:00Z"),
        ));
        let value: Value = serde_json::from_str(&back.render().unwrap()).unwrap();
        let statements = value["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 4);
        assert_eq!(statements[0]["Sid"], "Theirs");
        let times: Vec<&str> = statements
            .iter()
            .filter_map(|s| s["Condition"]["DateLessThan"][TOKEN_ISSUE_TIME_KEY].as_str())
            .collect();
        assert_eq!(times.len(), 2);
        assert!(times.contains(&"2026-12-04T11:00:01Z"));
        // The user-block code path renders them back unchanged.
        let mut block_only = InlinePolicy::parse(Some(&written)).unwrap();
        block_only.set_user("u-9", &UserEntries::default());
        let after = InlinePolicy::parse(block_only.render().as_deref()).unwrap();
        assert_eq!(after.ended().len(), 2);
    }

    #[test]
    fn pruning_removes_only_our_statements_past_the_session_duration() {
        let edited = format!(
            r#"{{"Sid":"{}","Effect":"Deny","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"2000-01-01T00:00:00Z"}}}}}}"#,
            end_sessions_sid("u-3", "333333333333")
        );
        let theirs = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Theirs","Effect":"Deny","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"2000-01-01T00:00:00Z"}}}}}},{edited}]}}"#
        );
        let mut policy = InlinePolicy::parse(Some(&theirs)).unwrap();
        assert_eq!(policy.others(), 2, "an edited statement is not ours");
        policy.end_sessions(EndSessions::at(
            "u-1",
            "111111111111",
            at("2026-12-04T10:00:00Z"),
        ));
        policy.end_sessions(EndSessions::at(
            "u-2",
            "111111111111",
            at("2026-12-04T11:30:00Z"),
        ));
        let hour = Duration::from_secs(3600);
        // 10:00:01 + 1 h is 11:00:01: not yet at 11:00:00, gone at 11:00:01.
        assert_eq!(
            policy.prune_end_sessions(at("2026-12-04T11:00:00Z"), hour),
            0
        );
        assert_eq!(
            policy.prune_end_sessions(at("2026-12-04T11:00:01Z"), hour),
            1
        );
        let left: Vec<&str> = policy
            .ended()
            .values()
            .map(|e| e.user_id.as_str())
            .collect();
        assert_eq!(left, ["u-2"]);
        assert_eq!(policy.others(), 2, "others' statements are never pruned");
        // A longer session duration keeps them longer.
        assert_eq!(
            policy.prune_end_sessions(at("2026-12-04T13:00:00Z"), Duration::from_secs(12 * 3600)),
            0
        );
        assert_eq!(
            policy.prune_end_sessions(at("2026-12-04T13:00:00Z"), hour),
            1
        );
        let value: Value = serde_json::from_str(&policy.render().unwrap()).unwrap();
        assert_eq!(value["Statement"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn assignment_facts_parse_strictly() {
        for bad in ["a.", "a.1", "a.1.ps.x", "a.1.ps.j.k", "b.1.ps"] {
            assert_eq!(AssignmentFact::parse(bad), None, "{bad}");
        }
        assert_eq!(
            permission_set_id("arn:aws:sso:::permissionSet/ssoins-1/ps-2"),
            "ps-2"
        );
    }
}
