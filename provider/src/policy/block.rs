//! Markers and restore records of `jit_user_block`, as they are stored in
//! AWS next to the blocked user. Pure: parsing and rendering only.
//!
//! Several blocks of one user may coexist (in one workspace or in several),
//! so what a block changed must be findable in AWS, not only in the state of
//! the workspace that placed it: a later block of an already-blocked user
//! finds nothing left to change, and the last block restored must put back
//! the state from before the first one.
//!
//! - **Marker** `jit-user-block-<16 hex>`: one per block. It names the IAM
//!   inline deny-all policy of the block, or it is an entry of the Cognito
//!   flag attribute's value. A block is *live* while its marker is there;
//!   removing one marker never weakens another block.
//! - **Record**: what a block changed, with the identity facts a restore
//!   checks (access key ids with their creation time, group ids beside
//!   group names; for Cognito whether the user was enabled, the flag's
//!   earlier value and a digest of the user's other attributes).
//!   - IAM ([`IamRecord`]): user tags keyed by the marker (`<marker>`, then
//!     `<marker>.2`, `<marker>.3` … when one value of 256 characters is not
//!     enough), space-separated fields `v1`, `p:<nonce>.<deadline>.<fp>`,
//!     `k:<key id>.<created>`, `g:<group id>.<group name>` (group names
//!     escaped: `=` → `=3D`, `,` → `=2C`, the characters IAM tag values
//!     refuse). A block with nothing to record still writes `v1`.
//!   - Cognito ([`Flag`]): the flag's value itself: the live markers (each
//!     optionally `~<nonce>.<deadline>.<fp>` while pending), then `e=0|1`
//!     (enabled before the first block), `h=<digest>` (the other attributes
//!     at the first block) and `p=<percent-encoded earlier value>`. The
//!     value always starts with a marker, so "the flag is set" stays the
//!     application's whole check.
//! - **Pending** ([`Pending`]): a block being placed carries the provider
//!   process's nonce, a deadline and a fingerprint of its inputs until its
//!   last step. A pending block whose process died (apply killed) is an
//!   orphan: a later block or restore of the same user adopts it (merges its
//!   record, removes its marker) when it comes from another process and has
//!   the same fingerprint, or when its deadline has passed.
//!
//! The Identity Center kind keeps its markers, records and pending marks in
//! the deny statement of the permission sets' inline policies (see
//! `policy::session_deny`), with the same marker format and pending rules,
//! and checks identity by immutable ids in the same way.

use std::collections::{BTreeMap, BTreeSet};

/// Prefix of every block marker.
pub const MARKER_PREFIX: &str = "jit-user-block-";
/// Length of a marker: the prefix and 16 hex digits.
pub const MARKER_LEN: usize = MARKER_PREFIX.len() + 16;
/// Longest IAM tag value.
pub const TAG_VALUE_LIMIT: usize = 256;
/// Most tags an IAM user may carry.
pub const USER_TAG_LIMIT: usize = 50;
/// How long a block may take to be placed before another process may take
/// over its marker as an orphan (seconds).
pub const PENDING_SECONDS: i64 = 600;

const VERSION: &str = "v1";

/// True for a block marker `jit-user-block-<16 hex>`.
pub fn is_marker(value: &str) -> bool {
    value.strip_prefix(MARKER_PREFIX).is_some_and(|hex| {
        hex.len() == MARKER_LEN - MARKER_PREFIX.len() && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The marker a record tag key belongs to (`<marker>` or `<marker>.<n>`),
/// with the part number (1 for the bare marker).
pub fn record_tag_marker(key: &str) -> Option<(&str, u32)> {
    if is_marker(key) {
        return Some((key, 1));
    }
    let (marker, part) = key.split_at_checked(MARKER_LEN)?;
    let part: u32 = part.strip_prefix('.')?.parse().ok()?;
    (is_marker(marker) && part >= 2).then_some((marker, part))
}

/// True for a tag key of a block record: such tags belong to
/// `jit_user_block`, never to the user's own tags.
pub fn is_record_tag(key: &str) -> bool {
    record_tag_marker(key).is_some()
}

/// A short, stable fingerprint of `parts` (FNV-1a, 32 bits in hex): two
/// blocks with the same inputs have the same fingerprint.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:08x}", ((hash >> 32) ^ hash) as u32)
}

/// A block still being placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Random id of the provider process placing it.
    pub nonce: String,
    /// Unix seconds after which the block counts as cut off.
    pub deadline: i64,
    /// [`fingerprint`] of its inputs.
    pub fingerprint: String,
}

impl Pending {
    /// `<nonce>.<deadline>.<fingerprint>`: hex, digits and dots only, so it
    /// fits an IAM tag value, a Cognito attribute and an IAM condition value
    /// alike.
    pub fn render(&self) -> String {
        format!("{}.{}.{}", self.nonce, self.deadline, self.fingerprint)
    }

    /// Reads [`Pending::render`]; `None` when malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let (nonce, deadline, fingerprint) = parse_mark(text)?;
        Some(Self {
            nonce,
            deadline,
            fingerprint,
        })
    }

    /// True when a block or restore in process `nonce`, with inputs of
    /// fingerprint `fingerprint`, may take this block over at unix time
    /// `now`: the placing process is another one and either the inputs are
    /// the same (the same block, applied again after its run was killed) or
    /// the deadline has passed.
    pub fn adoptable(&self, nonce: &str, fingerprint: &str, now: i64) -> bool {
        self.nonce != nonce && (self.fingerprint == fingerprint || now > self.deadline)
    }
}

/// A finished block: the working directory and Terraform workspace that
/// placed it (`config::workspace`, first 8 hex digits), when (unix
/// seconds), and its inputs' [`fingerprint`]. A run killed between a
/// block's last write and Terraform saving the state leaves a finished
/// block no state names; the next block of the same user with the same
/// inputs from the same workspace, in a later process, takes it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Workspace hash (8 hex digits).
    pub workspace: String,
    /// Unix seconds of the run that placed it.
    pub at: i64,
    /// [`fingerprint`] of its inputs.
    pub fingerprint: String,
}

impl Placed {
    /// `<workspace>.<at>.<fingerprint>`, in the same alphabet as
    /// [`Pending::render`].
    pub fn render(&self) -> String {
        format!("{}.{}.{}", self.workspace, self.at, self.fingerprint)
    }

    /// Reads [`Placed::render`]; `None` when malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let (workspace, at, fingerprint) = parse_mark(text)?;
        Some(Self {
            workspace,
            at,
            fingerprint,
        })
    }

    /// True when a block with inputs `fingerprint`, in a process serving
    /// `workspace` since unix time `started`, takes this block over: the
    /// same inputs and workspace, placed before that process started (by
    /// an earlier run, not a sibling process of the same apply).
    pub fn adoptable(&self, workspace: &str, fingerprint: &str, started: i64) -> bool {
        !workspace.is_empty()
            && self.workspace == workspace
            && self.fingerprint == fingerprint
            && self.at < started
    }
}

/// Reads `<hex>.<integer>.<hex>`.
fn parse_mark(text: &str) -> Option<(String, i64, String)> {
    let mut parts = text.split('.');
    let (id, number, fingerprint) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_hex(id) || !is_hex(fingerprint) {
        return None;
    }
    Some((
        id.to_string(),
        number.parse().ok()?,
        fingerprint.to_string(),
    ))
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An access key a block deactivated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyFact {
    /// Access key id.
    pub id: String,
    /// Creation time, Unix seconds (0: unknown).
    pub created: i64,
}

/// A group a block removed the user from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupFact {
    /// Group name.
    pub name: String,
    /// Immutable group id (empty: unknown, e.g. a record from state only).
    pub id: String,
}

/// What one IAM block changed, as stored in the user's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IamRecord {
    /// Set while the block is being placed.
    pub pending: Option<Pending>,
    /// Set by the last write of a new block.
    pub placed: Option<Placed>,
    /// Access keys deactivated.
    pub keys: BTreeSet<KeyFact>,
    /// Groups left.
    pub groups: BTreeSet<GroupFact>,
}

impl IamRecord {
    /// Adds everything `other` records (pending and placed marks are not
    /// merged).
    pub fn merge(&mut self, other: &IamRecord) {
        for key in &other.keys {
            self.add_key(key.clone());
        }
        for group in &other.groups {
            self.add_group(group.clone());
        }
    }

    /// Adds a key; a key known by id only gets its creation time filled in.
    pub fn add_key(&mut self, key: KeyFact) {
        if let Some(known) = self.keys.iter().find(|k| k.id == key.id).cloned() {
            if known.created != 0 || key.created == 0 {
                return;
            }
            self.keys.remove(&known);
        }
        self.keys.insert(key);
    }

    /// Adds a group; a group known by name only gets its id filled in.
    pub fn add_group(&mut self, group: GroupFact) {
        let same = |g: &GroupFact| {
            g.name == group.name && (g.id == group.id || g.id.is_empty() || group.id.is_empty())
        };
        if let Some(known) = self.groups.iter().find(|g| same(g)).cloned() {
            if !known.id.is_empty() || group.id.is_empty() {
                return;
            }
            self.groups.remove(&known);
        }
        self.groups.insert(group);
    }

    /// The tags holding this record of `marker`: `<marker>` first, then
    /// `<marker>.2` … as needed, each value at most [`TAG_VALUE_LIMIT`].
    pub fn to_tags(&self, marker: &str) -> Vec<(String, String)> {
        let mut fields = vec![VERSION.to_string()];
        if let Some(pending) = &self.pending {
            fields.push(format!("p:{}", pending.render()));
        }
        if let Some(placed) = &self.placed {
            fields.push(format!("w:{}", placed.render()));
        }
        fields.extend(
            self.keys
                .iter()
                .map(|k| format!("k:{}.{}", k.id, k.created)),
        );
        fields.extend(
            self.groups
                .iter()
                .map(|g| format!("g:{}.{}", g.id, escape_group_name(&g.name))),
        );
        let mut values: Vec<String> = Vec::new();
        for field in fields {
            match values.last_mut() {
                Some(value) if value.len() + 1 + field.len() <= TAG_VALUE_LIMIT => {
                    value.push(' ');
                    value.push_str(&field);
                }
                _ => values.push(field),
            }
        }
        values
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                let key = if index == 0 {
                    marker.to_string()
                } else {
                    format!("{marker}.{}", index + 1)
                };
                (key, value)
            })
            .collect()
    }

    /// Every record in a user's tags, by marker. Tags that are not records
    /// are ignored; unreadable fields are skipped.
    pub fn from_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, IamRecord> {
        let mut parts: BTreeMap<&str, BTreeMap<u32, &str>> = BTreeMap::new();
        for (key, value) in tags {
            if let Some((marker, part)) = record_tag_marker(key) {
                parts.entry(marker).or_default().insert(part, value);
            }
        }
        parts
            .into_iter()
            .map(|(marker, values)| {
                let mut record = IamRecord::default();
                for field in values.values().flat_map(|v| v.split(' ')) {
                    record.read_field(field);
                }
                (marker.to_string(), record)
            })
            .collect()
    }

    fn read_field(&mut self, field: &str) {
        if let Some(pending) = field.strip_prefix("p:") {
            self.pending = Pending::parse(pending);
        } else if let Some(placed) = field.strip_prefix("w:") {
            self.placed = Placed::parse(placed);
        } else if let Some(key) = field.strip_prefix("k:") {
            if let Some((id, created)) = key.rsplit_once('.') {
                if let (false, Ok(created)) = (id.is_empty(), created.parse()) {
                    self.add_key(KeyFact {
                        id: id.to_string(),
                        created,
                    });
                }
            }
        } else if let Some(group) = field.strip_prefix("g:") {
            if let Some((id, name)) = group.split_once('.') {
                if let Some(name) = unescape_group_name(name).filter(|n| !n.is_empty()) {
                    self.add_group(GroupFact {
                        name,
                        id: id.to_string(),
                    });
                }
            }
        }
    }
}

/// The tag keys of `marker`'s record among `keys`.
pub fn record_tag_keys<'a>(
    keys: impl IntoIterator<Item = &'a String>,
    marker: &str,
) -> Vec<String> {
    keys.into_iter()
        .filter(|key| record_tag_marker(key).is_some_and(|(m, _)| m == marker))
        .cloned()
        .collect()
}

fn escape_group_name(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

fn unescape_group_name(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3)?;
        out.push(match code {
            "3D" => '=',
            "2C" => ',',
            _ => return None,
        });
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// One block in a Cognito flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagBlock {
    /// Its marker.
    pub marker: String,
    /// Set while it is being placed.
    pub pending: Option<Pending>,
    /// Set by the last write of a new block.
    pub placed: Option<Placed>,
}

/// The value of a Cognito flag attribute holding blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flag {
    /// The live blocks, in the order they were placed.
    pub blocks: Vec<FlagBlock>,
    /// Whether the user was enabled before the first block.
    pub was_enabled: Option<bool>,
    /// The flag's value before the first block.
    pub previous: Option<String>,
    /// [`attributes_digest`] of the user at the first block.
    pub digest: Option<String>,
}

impl Flag {
    /// Reads a flag value; `None` when it holds no block of ours (it is
    /// then the application's own value, to be put back on restore).
    pub fn parse(value: &str) -> Option<Self> {
        let mut tokens = value.split(' ').filter(|t| !t.is_empty());
        let first = parse_flag_block(tokens.next()?)?;
        let mut flag = Flag {
            blocks: vec![first],
            ..Flag::default()
        };
        for token in tokens {
            if let Some(block) = parse_flag_block(token) {
                if !flag.has(&block.marker) {
                    flag.blocks.push(block);
                }
            } else if let Some(enabled) = token.strip_prefix("e=") {
                flag.was_enabled = match enabled {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                };
            } else if let Some(digest) = token.strip_prefix("h=") {
                flag.digest = is_hex(digest).then(|| digest.to_string());
            } else if let Some(previous) = token.strip_prefix("p=") {
                flag.previous = percent_decode(previous).filter(|p| !p.is_empty());
            }
        }
        Some(flag)
    }

    /// The value to write; `None` when no block is left.
    pub fn render(&self) -> Option<String> {
        if self.blocks.is_empty() {
            return None;
        }
        let mut tokens: Vec<String> = self
            .blocks
            .iter()
            .map(|b| match (&b.pending, &b.placed) {
                (Some(pending), _) => format!("{}~{}", b.marker, pending.render()),
                (None, Some(placed)) => format!("{}@{}", b.marker, placed.render()),
                (None, None) => b.marker.clone(),
            })
            .collect();
        if let Some(enabled) = self.was_enabled {
            tokens.push(format!("e={}", u8::from(enabled)));
        }
        if let Some(digest) = &self.digest {
            tokens.push(format!("h={digest}"));
        }
        if let Some(previous) = &self.previous {
            tokens.push(format!("p={}", percent_encode(previous)));
        }
        Some(tokens.join(" "))
    }

    /// True when `marker` is one of the blocks.
    pub fn has(&self, marker: &str) -> bool {
        self.blocks.iter().any(|b| b.marker == marker)
    }

    /// The block of `marker`.
    pub fn block(&self, marker: &str) -> Option<&FlagBlock> {
        self.blocks.iter().find(|b| b.marker == marker)
    }

    /// Adds `marker` (or updates its pending state) at the end; a block
    /// still being placed is not placed yet.
    pub fn put(&mut self, marker: &str, pending: Option<Pending>) {
        let placed = None;
        match self.blocks.iter_mut().find(|b| b.marker == marker) {
            Some(block) => {
                block.pending = pending;
                block.placed = placed;
            }
            None => self.blocks.push(FlagBlock {
                marker: marker.to_string(),
                pending,
                placed,
            }),
        }
    }

    /// Adds or finishes `marker`: no longer pending, with its placed mark
    /// (`None` keeps the one it has).
    pub fn finish(&mut self, marker: &str, placed: Option<Placed>) {
        let kept = self.block(marker).and_then(|b| b.placed.clone());
        self.put(marker, None);
        if let Some(block) = self.blocks.iter_mut().find(|b| b.marker == marker) {
            block.placed = placed.or(kept);
        }
    }

    /// Removes `marker`; true when it was there.
    pub fn remove(&mut self, marker: &str) -> bool {
        let before = self.blocks.len();
        self.blocks.retain(|b| b.marker != marker);
        self.blocks.len() != before
    }

    /// The flag that puts a finished `marker` back after another process's
    /// write dropped it: the flag as it is `now` (other blocks come and go
    /// with their own writes), or, when the flag was cleared (the last
    /// restore of another block), this block's record of what was there
    /// before any block.
    pub fn with_marker_put_back(now: Option<Flag>, ours: &Flag, marker: &str) -> Flag {
        let mut flag = now.unwrap_or_else(|| Flag {
            blocks: Vec::new(),
            was_enabled: ours.was_enabled,
            previous: ours.previous.clone(),
            digest: ours.digest.clone(),
        });
        flag.finish(marker, ours.block(marker).and_then(|b| b.placed.clone()));
        flag
    }
}

fn parse_flag_block(token: &str) -> Option<FlagBlock> {
    let (marker, pending, placed) = if let Some((marker, pending)) = token.split_once('~') {
        (marker, Some(Pending::parse(pending)?), None)
    } else if let Some((marker, placed)) = token.split_once('@') {
        (marker, None, Some(Placed::parse(placed)?))
    } else {
        (token, None, None)
    };
    is_marker(marker).then(|| FlagBlock {
        marker: marker.to_string(),
        pending,
        placed,
    })
}

/// A digest of a Cognito user's attributes other than `flag_attribute` and
/// `sub`, to tell at restore whether someone changed the user meanwhile.
pub fn attributes_digest<'a>(
    attributes: impl IntoIterator<Item = (&'a String, &'a String)>,
    flag_attribute: &str,
) -> String {
    let mut lines: Vec<String> = attributes
        .into_iter()
        .filter(|(name, _)| name.as_str() != flag_attribute && name.as_str() != "sub")
        .filter(|(name, value)| !(name.starts_with("custom:") && Flag::parse(value).is_some()))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    lines.sort();
    let parts: Vec<&str> = lines.iter().map(String::as_str).collect();
    fingerprint(&parts)
}

fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: &str = "jit-user-block-0123456789abcdef";
    const M2: &str = "jit-user-block-fedcba9876543210";

    fn pending() -> Pending {
        Pending {
            nonce: "a1b2c3d4".into(),
            deadline: 1_700_000_600,
            fingerprint: fingerprint(&["iam:mallory", "Account compromise"]),
        }
    }

    #[test]
    fn markers_and_record_tag_keys() {
        assert!(is_marker(M1));
        for bad in [
            "jit-user-block-0123",
            "jit-user-block-0123456789abcdeg",
            "own",
            "",
        ] {
            assert!(!is_marker(bad), "{bad}");
        }
        assert_eq!(record_tag_marker(M1), Some((M1, 1)));
        assert_eq!(record_tag_marker(&format!("{M1}.3")), Some((M1, 3)));
        for bad in [
            format!("{M1}.1"),
            format!("{M1}.x"),
            format!("{M1}3"),
            "jit:environment".to_string(),
            "é".repeat(20),
        ] {
            assert!(!is_record_tag(&bad), "{bad}");
        }
    }

    #[test]
    fn iam_records_round_trip_through_tags_within_aws_limits() {
        let mut record = IamRecord {
            pending: Some(pending()),
            ..IamRecord::default()
        };
        for i in 0..2 {
            record.add_key(KeyFact {
                id: format!("AKIAEXAMPLE00000000{i}"),
                created: 1_690_000_000 + i,
            });
        }
        // Ten groups (IAM's maximum per user) with long names, commas and
        // equals signs, which IAM tag values cannot hold as such.
        for i in 0..10 {
            record.add_group(GroupFact {
                name: format!("{}-team,ops=x{i}", "g".repeat(100)),
                id: format!("AGPAEXAMPLE0000000{i:02}"),
            });
        }
        let tags = record.to_tags(M1);
        // At worst one tag per group (names of up to 128 characters).
        assert!(tags.len() > 1 && tags.len() <= 11, "{}", tags.len());
        assert_eq!(tags[0].0, M1);
        assert_eq!(tags[1].0, format!("{M1}.2"));
        let allowed = |c: char| c.is_alphanumeric() || " _.:/=+-@".contains(c);
        for (key, value) in &tags {
            assert!(key.len() <= 128 && value.len() <= TAG_VALUE_LIMIT, "{key}");
            assert!(value.chars().all(allowed), "{value}");
        }
        let mut all: BTreeMap<String, String> = tags.into_iter().collect();
        all.insert("team".into(), "platform".into());
        let read = IamRecord::from_tags(&all);
        assert_eq!(read.len(), 1);
        assert_eq!(read[M1], record);
    }

    #[test]
    fn an_empty_record_still_has_a_tag_and_unreadable_fields_are_skipped() {
        let empty = IamRecord::default();
        assert_eq!(empty.to_tags(M2), vec![(M2.to_string(), "v1".to_string())]);
        let tags: BTreeMap<String, String> = [(
            M2.to_string(),
            "v1 k:.12 k:AKIA1.x g:AGPA1.bad=ZZ p:zz.1.2 g:AGPA2.ops x:y".to_string(),
        )]
        .into_iter()
        .collect();
        let read = &IamRecord::from_tags(&tags)[M2];
        assert!(read.keys.is_empty() && read.pending.is_none());
        assert_eq!(
            read.groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>(),
            ["ops"]
        );
    }

    #[test]
    fn merging_fills_in_ids_and_never_duplicates() {
        let mut from_state = IamRecord::default();
        from_state.add_key(KeyFact {
            id: "AKIA1".into(),
            created: 0,
        });
        from_state.add_group(GroupFact {
            name: "ops".into(),
            id: String::new(),
        });
        let mut from_tags = IamRecord::default();
        from_tags.add_key(KeyFact {
            id: "AKIA1".into(),
            created: 5,
        });
        from_tags.add_group(GroupFact {
            name: "ops".into(),
            id: "AGPA1".into(),
        });
        from_state.merge(&from_tags);
        assert_eq!(from_state, from_tags);
        // A recreated group (another id, same name) is a different group.
        from_state.add_group(GroupFact {
            name: "ops".into(),
            id: "AGPA2".into(),
        });
        assert_eq!(from_state.groups.len(), 2);
    }

    #[test]
    fn pending_blocks_are_adoptable_only_from_another_process() {
        let p = pending();
        let same = p.fingerprint.clone();
        let now = p.deadline - 10;
        assert!(!p.adoptable("a1b2c3d4", &same, p.deadline + 999));
        assert!(p.adoptable("99999999", &same, now));
        assert!(!p.adoptable("99999999", "00000000", now));
        assert!(p.adoptable("99999999", "00000000", p.deadline + 1));
    }

    #[test]
    fn flags_round_trip_and_keep_the_earlier_value() {
        let mut flag = Flag {
            was_enabled: Some(true),
            previous: Some("fraud review: 50% done".into()),
            digest: Some("0a1b2c3d".into()),
            ..Flag::default()
        };
        assert_eq!(flag.render(), None);
        flag.put(M1, None);
        flag.put(M2, Some(pending()));
        let value = flag.render().unwrap();
        assert!(value.starts_with(M1), "{value}");
        assert!(!value.contains("fraud review"), "{value}");
        assert_eq!(Flag::parse(&value), Some(flag.clone()));
        assert!(flag.remove(M1) && !flag.remove(M1));
        flag.put(M2, None);
        assert_eq!(
            flag.render().unwrap(),
            format!("{M2} e=1 h=0a1b2c3d p=fraud%20review%3A%2050%25%20done")
        );
        // A bare marker (the first design) is a flag without a record.
        assert_eq!(
            Flag::parse(M1).unwrap().blocks,
            vec![FlagBlock {
                marker: M1.into(),
                pending: None,
                placed: None,
            }]
        );
        for foreign in ["fraud-review", "", " ", "jit-user-block-12"] {
            assert_eq!(Flag::parse(foreign), None, "{foreign}");
        }
    }

    fn placed() -> Placed {
        Placed {
            workspace: "5eed0001".into(),
            at: 1_700_000_000,
            fingerprint: "0123abcd".into(),
        }
    }

    #[test]
    fn placed_marks_round_trip_in_tags_and_flags() {
        let record = IamRecord {
            placed: Some(placed()),
            ..IamRecord::default()
        };
        let tags: BTreeMap<String, String> = record.to_tags(M1).into_iter().collect();
        assert_eq!(tags[M1], "v1 w:5eed0001.1700000000.0123abcd");
        assert_eq!(IamRecord::from_tags(&tags)[M1], record);

        let mut flag = Flag::default();
        flag.put(M1, Some(pending()));
        flag.put(M2, None);
        flag.finish(M1, Some(placed()));
        let value = flag.render().unwrap();
        assert_eq!(value, format!("{M1}@5eed0001.1700000000.0123abcd {M2}"));
        assert!(value.starts_with(M1), "the flag still starts with a marker");
        let back = Flag::parse(&value).unwrap();
        assert_eq!(back, flag);
        // Placing again clears the mark; finishing without one keeps it.
        let mut again = back.clone();
        again.finish(M1, None);
        assert_eq!(again.block(M1).unwrap().placed, Some(placed()));
        again.put(M1, Some(pending()));
        assert_eq!(again.block(M1).unwrap().placed, None);
        // A malformed mark makes the token no block of ours.
        assert_eq!(Flag::parse(&format!("{M1}@zz.1.x")), None);
    }

    #[test]
    fn digests_ignore_the_flag_sub_and_other_block_flags() {
        let attributes = |email: &str, flag: &str| -> BTreeMap<String, String> {
            [
                ("sub", "s-1"),
                ("email", email),
                ("custom:access_revoked", flag),
                ("custom:other", M2),
            ]
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
        };
        let digest = |a: &BTreeMap<String, String>| attributes_digest(a, "custom:access_revoked");
        let a = attributes("a@example.com", "");
        let b = attributes("a@example.com", M1);
        let c = attributes("b@example.com", M1);
        assert_eq!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&c));
        assert_eq!(digest(&a).len(), 8);
    }

    #[test]
    fn a_dropped_marker_is_put_back_beside_what_is_there_now() {
        let ours = Flag {
            blocks: vec![FlagBlock {
                marker: M1.into(),
                pending: None,
                placed: Some(placed()),
            }],
            was_enabled: Some(true),
            previous: Some("app".into()),
            digest: Some("d1".into()),
        };
        // Another process's stale write left only its own (pending) block:
        // ours comes back finished, theirs stays as it is.
        let mut theirs = Flag {
            was_enabled: Some(true),
            previous: Some("app".into()),
            ..Flag::default()
        };
        theirs.put(M2, Some(pending()));
        let back = Flag::with_marker_put_back(Some(theirs.clone()), &ours, M1);
        assert_eq!(back.block(M2), theirs.block(M2));
        assert_eq!(back.block(M1).map(|b| b.pending.clone()), Some(None));
        assert_eq!(back.previous.as_deref(), Some("app"));
        // The last restore of another block cleared the flag: our record of
        // the state before any block comes back with the marker.
        let back = Flag::with_marker_put_back(None, &ours, M1);
        assert_eq!(back, ours);
        assert_eq!(Flag::parse(&back.render().unwrap()), Some(ours));
    }
}
