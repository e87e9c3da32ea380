//! Leases of `jit_grant`: pure naming, expressions and bookkeeping of the
//! EventBridge Scheduler schedules that remove an assignment at expiry.
//!
//! One lease (a one-time schedule) exists per grant. Its name starts with a
//! hash of the assignment key (instance, principal, account, permission set),
//! so every grant of the same key, from any workspace, is found by listing
//! the schedule group with that prefix. Only the latest-expiring live lease
//! of a key is enabled: its target deletes the assignment when the last grant
//! of the key ends.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Universal target that deletes an account assignment.
pub const DELETE_ASSIGNMENT_TARGET: &str =
    "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment";
/// Time zone of every lease expression.
pub const LEASE_TIMEZONE: &str = "UTC";
/// How long Scheduler keeps retrying a failed expiry (its maximum, 24 h).
pub const RETRY_MAX_EVENT_AGE_SECONDS: i32 = 86_400;
/// How many times Scheduler retries a failed expiry (its maximum).
pub const RETRY_MAX_ATTEMPTS: i32 = 185;
/// Scheduler's limit on a schedule description.
pub const DESCRIPTION_LIMIT: usize = 512;
/// Prefix of every lease and notice description (before its JSON).
const DESCRIPTION_PREFIX: &str = "jit_grant lease ";

/// Everything that identifies one account assignment in Identity Center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssignmentKey {
    /// `arn:aws:sso:::instance/ssoins-…`.
    pub instance_arn: String,
    /// The AWS account (`TargetId`).
    pub target_id: String,
    /// Always `AWS_ACCOUNT`.
    pub target_type: String,
    /// Permission set ARN.
    pub permission_set_arn: String,
    /// `USER` or `GROUP`.
    pub principal_type: String,
    /// Identity store id of the user or group.
    pub principal_id: String,
}

impl AssignmentKey {
    /// The key of an assignment to an AWS account.
    pub fn new(
        instance_arn: &str,
        account_id: &str,
        permission_set_arn: &str,
        principal_type: &str,
        principal_id: &str,
    ) -> Self {
        Self {
            instance_arn: instance_arn.to_string(),
            target_id: account_id.to_string(),
            target_type: "AWS_ACCOUNT".to_string(),
            permission_set_arn: permission_set_arn.to_string(),
            principal_type: principal_type.to_string(),
            principal_id: principal_id.to_string(),
        }
    }

    /// Stable 16-hex-digit hash of the key (FNV-1a, 64 bit): the same in
    /// every process and provider version, because lease names depend on it.
    pub fn hash(&self) -> String {
        let text = [
            self.instance_arn.as_str(),
            &self.target_id,
            &self.target_type,
            &self.permission_set_arn,
            &self.principal_type,
            &self.principal_id,
        ]
        .join("\n");
        format!("{:016x}", fnv1a64(text.as_bytes()))
    }

    /// Name prefix shared by every lease of this key.
    pub fn lease_prefix(&self) -> String {
        format!("jit-{}-", self.hash())
    }

    /// The lease name of one grant of this key.
    pub fn lease_name(&self, grant_id: &str) -> String {
        format!("{}{grant_id}", self.lease_prefix())
    }

    /// The expiry-notice schedule name of one grant (outside the lease prefix).
    pub fn notice_name(&self, grant_id: &str) -> String {
        format!("jit-notice-{}-{grant_id}", self.hash())
    }

    /// The lease target's input: the `DeleteAccountAssignment` request, as
    /// Scheduler sends it.
    pub fn to_input(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a lease target's input back.
    pub fn from_input(input: &str) -> Option<Self> {
        serde_json::from_str(input).ok()
    }
}

/// 64-bit FNV-1a.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// The parts of a lease name `jit-<key hash>-<grant id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseName {
    /// 16 hex digits.
    pub key_hash: String,
    /// 16 hex digits.
    pub grant_id: String,
}

/// Parses `jit-<16 hex>-<16 hex>`; `None` for anything else (notices too).
pub fn parse_lease_name(name: &str) -> Option<LeaseName> {
    let rest = name.strip_prefix("jit-")?;
    let (key_hash, grant_id) = rest.split_once('-')?;
    let is_id = |part: &str| {
        part.len() == 16
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (is_id(key_hash) && is_id(grant_id)).then(|| LeaseName {
        key_hash: key_hash.to_string(),
        grant_id: grant_id.to_string(),
    })
}

/// A one-time schedule expression in UTC: `at(yyyy-mm-ddThh:mm:ss)`.
pub fn at_expression(time: OffsetDateTime) -> String {
    let utc = time.to_offset(time::UtcOffset::UTC);
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    format!("at({})", utc.format(&format).unwrap_or_default())
}

/// Reads `at(yyyy-mm-ddThh:mm:ss)` as a UTC time.
pub fn parse_at_expression(expression: &str) -> Option<OffsetDateTime> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(inner, &format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// RFC 3339 in UTC, whole seconds (`2024-05-01T13:45:00Z`).
pub fn rfc3339(time: OffsetDateTime) -> String {
    time.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(time)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Parses RFC 3339.
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// What a lease remembers about its grant, in the schedule description, so
/// that an import can rebuild the grant's state from the lease alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LeaseMeta {
    /// Grant id (also the name's suffix).
    pub grant: String,
    /// `principal` as written in the configuration.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub principal: String,
    /// `principal_type`.
    pub principal_type: String,
    /// `permission_set` as written in the configuration.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub permission_set: String,
    /// `duration` as written.
    pub duration: String,
    /// Break-glass grant.
    pub break_glass: bool,
    /// RFC 3339.
    pub granted_at: String,
    /// RFC 3339.
    pub expires_at: String,
    /// The grant was destroyed by a replacement and its lease handed over
    /// to the successor, which deletes it once its own lease exists.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
    /// Fingerprint of the grant's inputs that force a replacement
    /// ([`fingerprint`]): a re-run of the same grant finds its own
    /// unfinished lease by it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fp: String,
    /// RFC 3339. Set while the create that wrote the lease has not finished
    /// (cleared as its last step): a lease still pending after this time
    /// was left by a run that died, and owns nothing.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pending_until: String,
    /// The working directory and Terraform workspace of the run that wrote
    /// the lease (`config::workspace`): only a run of the same one takes
    /// the lease over.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ws: String,
}

impl LeaseMeta {
    /// The schedule description: a short prefix and compact JSON, at most
    /// [`DESCRIPTION_LIMIT`] characters (the input forms of principal and
    /// permission set are dropped when they would not fit).
    pub fn to_description(&self) -> String {
        let render = |meta: &LeaseMeta| {
            format!(
                "{DESCRIPTION_PREFIX}{}",
                serde_json::to_string(meta).unwrap_or_default()
            )
        };
        let full = render(self);
        if full.chars().count() <= DESCRIPTION_LIMIT {
            return full;
        }
        let short = LeaseMeta {
            principal: String::new(),
            permission_set: String::new(),
            ..self.clone()
        };
        render(&short)
    }

    /// Reads a description written by [`LeaseMeta::to_description`].
    pub fn from_description(description: &str) -> Option<Self> {
        serde_json::from_str(description.strip_prefix(DESCRIPTION_PREFIX)?).ok()
    }
}

impl LeaseMeta {
    /// When a pending lease stops being "in progress" (`None`: confirmed,
    /// or a date that does not parse, read as confirmed).
    pub fn pending_deadline(&self) -> Option<OffsetDateTime> {
        if self.pending_until.is_empty() {
            return None;
        }
        parse_rfc3339(&self.pending_until)
    }
}

/// One lease as found in the schedule group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseView {
    /// Schedule name.
    pub name: String,
    /// When its target runs.
    pub expires_at: OffsetDateTime,
    /// Schedule state is `ENABLED`.
    pub enabled: bool,
    /// Handed over by a replaced grant.
    pub retired: bool,
    /// Written by a create that has not finished; after this time the run
    /// that wrote it is dead (`None`: confirmed).
    pub pending_until: Option<OffsetDateTime>,
}

impl LeaseView {
    /// Live: the lease of a grant that still holds the access: not
    /// retired, not expired, and not left by a create that died.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        !self.retired && self.expires_at > now && !self.is_abandoned(now)
    }

    /// Left by a create that died before finishing (still pending after
    /// its deadline): no grant in any state holds it.
    pub fn is_abandoned(&self, now: OffsetDateTime) -> bool {
        self.pending_until.is_some_and(|until| until <= now)
    }

    /// Will remove the assignment: enabled, with its expiry ahead. Any such
    /// lease makes an assignment lease-governed rather than standing.
    pub fn guards(&self, now: OffsetDateTime) -> bool {
        self.enabled && self.expires_at > now
    }

    /// Makes the assignment lease-governed, not standing: it guards, or it
    /// is the lease of a grant that holds the access (not expired, not left
    /// by a dead run; a retired lease of a replacement in progress too)
    /// even when it was switched off outside Terraform. Only the leases of
    /// a grant are counted: an assignment with no such lease stays standing.
    pub fn governs(&self, now: OffsetDateTime) -> bool {
        self.guards(now) || (self.expires_at > now && !self.is_abandoned(now))
    }
}

/// Who is asking to take a lease over: a create of a grant with inputs
/// `fp`, in a provider process serving workspace `ws` since `started`.
#[derive(Debug, Clone, Copy)]
pub struct Claimant<'a> {
    /// [`fingerprint`] of the grant's inputs.
    pub fp: &'a str,
    /// `config::workspace::workspace_id`.
    pub ws: &'a str,
    /// When this provider process started.
    pub started: OffsetDateTime,
}

/// Whether `claimant` takes this lease over as its own, left by an earlier
/// run of the same grant that died: the same inputs, not retired, written
/// before this process started (in an earlier run, not by a sibling process
/// of this one: an aliased provider), and either still pending (by this
/// workspace, or before workspaces were recorded) or confirmed, not
/// expired, by this very workspace (a run killed between its last write and
/// Terraform saving the state). A finished lease of another working
/// directory or workspace is another state's grant: never taken.
pub fn adoptable(
    meta: &LeaseMeta,
    view: &LeaseView,
    claimant: Claimant<'_>,
    now: OffsetDateTime,
) -> bool {
    let started = claimant
        .started
        .replace_nanosecond(0)
        .unwrap_or(claimant.started);
    let earlier = parse_rfc3339(&meta.granted_at).is_some_and(|at| at < started);
    if meta.fp != claimant.fp || view.retired || !earlier {
        return false;
    }
    let ws = claimant.ws;
    let same_workspace = !ws.is_empty() && meta.ws == ws;
    if view.pending_until.is_some() {
        return meta.ws.is_empty() || same_workspace;
    }
    same_workspace && view.expires_at > now
}

/// Fingerprint (16 hex digits) of a grant's inputs besides the assignment
/// key in the lease name: the same grant planned again after a run died has
/// the same fingerprint. The reason and ticket count too, so a second grant
/// of the same access (an extension, written with its own reason) never
/// looks like the first one's re-run.
pub fn fingerprint(inputs: &[&str]) -> String {
    format!("{:016x}", fnv1a64(inputs.join("\n").as_bytes()))
}

/// The latest time a one-time schedule can name (`at()` has four year
/// digits).
pub fn latest_schedulable() -> OffsetDateTime {
    time::macros::datetime!(9999-12-31 23:59:59 UTC)
}

/// `start + duration`, or `None` when that cannot be written as a lease
/// expression (past year 9999).
pub fn expiry_after(start: OffsetDateTime, duration: time::Duration) -> Option<OffsetDateTime> {
    start
        .checked_add(duration)
        .filter(|at| *at <= latest_schedulable())
}

/// What is wrong with the enabled leases of an access that is assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseProblem {
    /// No lease will remove the assignment: the access would never end.
    NeverEnds {
        /// The lease that should be enabled.
        latest: String,
    },
    /// An enabled lease other than the latest live one would remove the
    /// assignment at another time than the latest grant's expiry.
    WrongLease {
        /// The lease that should be enabled.
        latest: String,
        /// Its expiry.
        latest_expiry: OffsetDateTime,
        /// The enabled leases that are not it, with their expiry.
        enabled: Vec<(String, OffsetDateTime)>,
    },
}

/// Checks that exactly the latest live lease of an assigned access is
/// enabled (leases not yet expired; retired leases of a replacement in
/// progress are not counted against it). `None` when all is right or no
/// lease is live.
pub fn lease_problem(leases: &[LeaseView], now: OffsetDateTime) -> Option<LeaseProblem> {
    let latest = latest_live(leases, now)?;
    let others: Vec<(String, OffsetDateTime)> = leases
        .iter()
        .filter(|lease| lease.guards(now) && !lease.retired && lease.name != latest.name)
        .map(|lease| (lease.name.clone(), lease.expires_at))
        .collect();
    if latest.enabled && others.is_empty() {
        return None;
    }
    if !latest.enabled && others.is_empty() {
        let retired_guard = leases.iter().any(|l| l.retired && l.guards(now));
        if retired_guard {
            return None;
        }
        return Some(LeaseProblem::NeverEnds {
            latest: latest.name.clone(),
        });
    }
    Some(LeaseProblem::WrongLease {
        latest: latest.name.clone(),
        latest_expiry: latest.expires_at,
        enabled: others,
    })
}

/// The latest-expiring live lease (ties broken by name, so every process
/// picks the same one).
pub fn latest_live(leases: &[LeaseView], now: OffsetDateTime) -> Option<&LeaseView> {
    leases
        .iter()
        .filter(|lease| lease.is_live(now))
        .max_by(|a, b| {
            a.expires_at
                .cmp(&b.expires_at)
                .then_with(|| a.name.cmp(&b.name))
        })
}

/// State changes that leave exactly the latest live lease enabled: enables
/// first (so an expiry always stays scheduled), then disables. Expired and
/// retired leases are left as they are.
pub fn reconcile(leases: &[LeaseView], now: OffsetDateTime) -> Vec<(String, bool)> {
    let Some(latest) = latest_live(leases, now) else {
        return Vec::new();
    };
    let mut changes: Vec<(String, bool)> = Vec::new();
    if !latest.enabled {
        changes.push((latest.name.clone(), true));
    }
    for lease in leases {
        if lease.is_live(now) && lease.enabled && lease.name != latest.name {
            changes.push((lease.name.clone(), false));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn key() -> AssignmentKey {
        AssignmentKey::new(
            "arn:aws:sso:::instance/ssoins-1111111111111111",
            "123456789012",
            "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222",
            "USER",
            "906700e5-1234-4abc-8def-0123456789ab",
        )
    }

    fn lease(name: &str, minute: u8, enabled: bool, retired: bool) -> LeaseView {
        LeaseView {
            name: name.to_string(),
            expires_at: datetime!(2024-05-01 12:00 UTC) + time::Duration::minutes(minute.into()),
            enabled,
            retired,
            pending_until: None,
        }
    }

    #[test]
    fn fnv1a64_matches_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn names_share_the_key_prefix_and_parse_back() {
        let key = key();
        let hash = key.hash();
        assert_eq!(hash.len(), 16);
        let name = key.lease_name("0123456789abcdef");
        assert_eq!(name, format!("jit-{hash}-0123456789abcdef"));
        assert!(name.starts_with(&key.lease_prefix()));
        assert!(name.len() <= 64);
        assert_eq!(
            parse_lease_name(&name),
            Some(LeaseName {
                key_hash: hash.clone(),
                grant_id: "0123456789abcdef".into()
            })
        );
        let notice = key.notice_name("0123456789abcdef");
        assert!(!notice.starts_with(&key.lease_prefix()));
        assert_eq!(parse_lease_name(&notice), None);
    }

    #[test]
    fn the_hash_depends_on_every_part_of_the_key() {
        let base = key();
        let variants = [
            AssignmentKey {
                instance_arn: "arn:aws:sso:::instance/ssoins-9".into(),
                ..base.clone()
            },
            AssignmentKey {
                target_id: "210987654321".into(),
                ..base.clone()
            },
            AssignmentKey {
                permission_set_arn: "x".into(),
                ..base.clone()
            },
            AssignmentKey {
                principal_type: "GROUP".into(),
                ..base.clone()
            },
            AssignmentKey {
                principal_id: "other".into(),
                ..base.clone()
            },
        ];
        for variant in variants {
            assert_ne!(variant.hash(), base.hash(), "{variant:?}");
        }
        // Stable across versions: lease names in AWS depend on it.
        assert_eq!(base.hash(), key().hash());
    }

    #[test]
    fn malformed_lease_names_are_refused() {
        for name in [
            "",
            "jit-",
            "jit-0123456789abcdef",
            "jit-0123456789abcdef-0123456789abcde",
            "jit-0123456789ABCDEF-0123456789abcdef",
            "jot-0123456789abcdef-0123456789abcdef",
            "jit-0123456789abcdef-0123456789abcdef-x",
            "jit-notice-0123456789abcdef-0123456789abcdef",
        ] {
            assert_eq!(parse_lease_name(name), None, "{name}");
        }
    }

    #[test]
    fn the_input_is_the_delete_account_assignment_request() {
        let input = key().to_input();
        assert_eq!(
            input,
            r#"{"InstanceArn":"arn:aws:sso:::instance/ssoins-1111111111111111","TargetId":"123456789012","TargetType":"AWS_ACCOUNT","PermissionSetArn":"arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222","PrincipalType":"USER","PrincipalId":"906700e5-1234-4abc-8def-0123456789ab"}"#
        );
        assert_eq!(AssignmentKey::from_input(&input), Some(key()));
        assert_eq!(AssignmentKey::from_input("{}"), None);
    }

    #[test]
    fn at_expressions_are_utc_whole_seconds() {
        let cases = [
            (
                datetime!(2024-05-01 13:45:00 UTC),
                "at(2024-05-01T13:45:00)",
            ),
            (
                datetime!(2024-12-31 23:59:59.999 UTC),
                "at(2024-12-31T23:59:59)",
            ),
            (
                datetime!(2024-05-01 15:45:07 +02:00),
                "at(2024-05-01T13:45:07)",
            ),
            (
                datetime!(2025-01-01 00:30:00 -01:00),
                "at(2025-01-01T01:30:00)",
            ),
        ];
        for (time, expected) in cases {
            assert_eq!(at_expression(time), expected);
        }
        assert_eq!(
            parse_at_expression("at(2024-05-01T13:45:07)"),
            Some(datetime!(2024-05-01 13:45:07 UTC))
        );
        for bad in [
            "",
            "at()",
            "rate(5 minutes)",
            "at(2024-05-01 13:45:07)",
            "at(2024-05-01T13:45)",
        ] {
            assert_eq!(parse_at_expression(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_is_utc_without_fractions() {
        assert_eq!(
            rfc3339(datetime!(2024-05-01 15:45:07.5 +02:00)),
            "2024-05-01T13:45:07Z"
        );
        assert_eq!(
            parse_rfc3339("2024-05-01T13:45:07Z"),
            Some(datetime!(2024-05-01 13:45:07 UTC))
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn descriptions_round_trip_and_fit_the_limit() {
        let meta = LeaseMeta {
            grant: "0123456789abcdef".into(),
            principal: "alice@example.com".into(),
            principal_type: "USER".into(),
            permission_set: "JIT-S3FullAccess".into(),
            duration: "1h".into(),
            break_glass: false,
            granted_at: "2024-05-01T12:00:00Z".into(),
            expires_at: "2024-05-01T13:00:00Z".into(),
            retired: false,
            ..LeaseMeta::default()
        };
        let description = meta.to_description();
        assert!(description.starts_with("jit_grant lease {"));
        assert!(!description.contains("retired"));
        assert_eq!(
            LeaseMeta::from_description(&description),
            Some(meta.clone())
        );

        let retired = LeaseMeta {
            retired: true,
            ..meta.clone()
        };
        assert_eq!(
            LeaseMeta::from_description(&retired.to_description()),
            Some(retired)
        );

        let long = LeaseMeta {
            principal: "p".repeat(600),
            ..meta
        };
        let description = long.to_description();
        assert!(description.chars().count() <= DESCRIPTION_LIMIT);
        let back = LeaseMeta::from_description(&description).unwrap();
        assert_eq!(back.principal, "");
        assert_eq!(back.grant, "0123456789abcdef");
        assert_eq!(LeaseMeta::from_description("someone else's schedule"), None);
    }

    #[test]
    fn a_switched_off_lease_of_a_grant_still_governs_the_assignment() {
        let now = datetime!(2024-05-01 12:10 UTC);
        // Enabled with its expiry ahead: guards and governs.
        assert!(lease("a", 30, true, false).governs(now));
        // Disabled outside Terraform: no guard, but its grant holds the
        // access, so the assignment is not standing.
        let off = lease("b", 30, false, false);
        assert!(!off.guards(now) && off.governs(now));
        // Retired by a replacement in progress, switched off: governs.
        assert!(lease("c", 30, false, true).governs(now));
        // Expired: governs nothing.
        assert!(!lease("d", 5, false, false).governs(now));
        assert!(!lease("e", 5, true, false).governs(now));
        // Left switched off by a run that died: governs nothing; left
        // enabled it still guards.
        let dead = LeaseView {
            pending_until: Some(datetime!(2024-05-01 12:05 UTC)),
            ..lease("f", 30, false, false)
        };
        assert!(!dead.governs(now));
        assert!(LeaseView {
            enabled: true,
            ..dead.clone()
        }
        .governs(now));
        // Still pending, deadline ahead: its run may still finish.
        let pending = LeaseView {
            pending_until: Some(datetime!(2024-05-01 12:20 UTC)),
            ..dead
        };
        assert!(pending.governs(now));
    }

    #[test]
    fn only_the_same_grant_of_the_same_workspace_is_taken_over() {
        let now = datetime!(2024-05-01 12:00 UTC);
        let started = datetime!(2024-05-01 11:59:30.5 UTC);
        let written = |second: u8| {
            rfc3339(datetime!(2024-05-01 11:59 UTC) + time::Duration::seconds(second.into()))
        };
        let meta = |fp: &str, ws: &str| LeaseMeta {
            fp: fp.to_string(),
            ws: ws.to_string(),
            granted_at: written(10),
            ..LeaseMeta::default()
        };
        let us = |ws| Claimant {
            fp: "f1",
            ws,
            started,
        };
        let confirmed = lease("jit-a", 30, true, false);
        let pending = LeaseView {
            pending_until: Some(now + time::Duration::minutes(5)),
            ..confirmed.clone()
        };
        // A run killed after its last write: confirmed, same inputs, same
        // working directory and workspace, written before this process.
        assert!(adoptable(&meta("f1", "w1"), &confirmed, us("w1"), now));
        // An identical grant of another workspace, or other inputs.
        assert!(!adoptable(&meta("f1", "w2"), &confirmed, us("w1"), now));
        assert!(!adoptable(&meta("f2", "w1"), &confirmed, us("w1"), now));
        // Written since this process started (in the same second too): a
        // sibling process of this run (an aliased provider).
        for second in [30, 31, 45] {
            let sibling = LeaseMeta {
                granted_at: written(second),
                ..meta("f1", "w1")
            };
            assert!(!adoptable(&sibling, &confirmed, us("w1"), now));
            assert!(!adoptable(&sibling, &pending, us("w1"), now));
        }
        // Confirmed without a workspace (an older provider): never.
        assert!(!adoptable(&meta("f1", ""), &confirmed, us("w1"), now));
        assert!(!adoptable(&meta("f1", ""), &confirmed, us(""), now));
        // Expired or retired: never.
        let expired = lease("jit-a", 0, true, false);
        assert!(!adoptable(&meta("f1", "w1"), &expired, us("w1"), now));
        let retired = lease("jit-a", 30, false, true);
        assert!(!adoptable(&meta("f1", "w1"), &retired, us("w1"), now));
        // Pending: this workspace's or an older provider's, not another's.
        assert!(adoptable(&meta("f1", "w1"), &pending, us("w1"), now));
        assert!(adoptable(&meta("f1", ""), &pending, us("w1"), now));
        assert!(!adoptable(&meta("f1", "w2"), &pending, us("w1"), now));
    }

    #[test]
    fn latest_live_ignores_expired_and_retired_leases() {
        let now = datetime!(2024-05-01 12:10 UTC);
        let leases = [
            lease("a", 5, true, false),   // expired
            lease("b", 30, false, false), // live
            lease("c", 90, true, true),   // retired
            lease("d", 60, false, false), // live, latest
        ];
        assert_eq!(
            latest_live(&leases, now).map(|l| l.name.as_str()),
            Some("d")
        );
        assert_eq!(latest_live(&leases[..1], now), None);
        // Equal expiry: the larger name wins, in every process.
        let tied = [lease("x", 60, false, false), lease("y", 60, false, false)];
        assert_eq!(latest_live(&tied, now).map(|l| l.name.as_str()), Some("y"));
    }

    #[test]
    fn reconcile_enables_the_latest_first_then_disables_the_rest() {
        let now = datetime!(2024-05-01 12:10 UTC);
        type Case<'a> = (Vec<LeaseView>, Vec<(&'a str, bool)>);
        let cases: Vec<Case<'_>> = vec![
            // Nothing live: nothing to do.
            (vec![lease("a", 5, true, false)], vec![]),
            // Already right.
            (
                vec![lease("a", 30, false, false), lease("b", 60, true, false)],
                vec![],
            ),
            // A new later lease: enable it, disable the old one.
            (
                vec![lease("a", 30, true, false), lease("b", 60, false, false)],
                vec![("b", true), ("a", false)],
            ),
            // The enabled lease was revoked: the next latest is enabled.
            (vec![lease("a", 30, false, false)], vec![("a", true)]),
            // Expired and retired leases are not touched.
            (
                vec![
                    lease("old", 1, true, false),
                    lease("handed", 120, true, true),
                    lease("b", 60, true, false),
                ],
                vec![],
            ),
        ];
        for (leases, expected) in cases {
            let expected: Vec<(String, bool)> = expected
                .into_iter()
                .map(|(name, enabled)| (name.to_string(), enabled))
                .collect();
            assert_eq!(reconcile(&leases, now), expected, "{leases:?}");
        }
    }
}
