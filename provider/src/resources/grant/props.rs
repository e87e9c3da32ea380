//! Property tests of every parser and validator of `jit_grant` and its
//! leases: no input panics, and every error names its attribute. Each
//! property runs [`CASES`] generated cases (`cargo test props` prints them
//! as separate tests; 13 properties × [`CASES`] cases in all).

use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use tf_provider::value::Value;
use tf_provider::{AttributePath, AttributePathStep};
use time::OffsetDateTime;

use super::plan::{check_shape, parse_timeout, problem_error, whole_seconds, MAX_TIMEOUT};
use super::{GrantState, Timeouts};
use crate::error::Error;
use crate::policy::duration::{format_duration, parse_duration};
use crate::policy::grant::{
    check_approvers, check_break_glass, check_max_duration, check_reason, parse_grant_duration,
    parse_iso8601_duration, ApprovalRule, Identity, Parties,
};
use crate::policy::grant_policy::{check_max_duration_cap, Risk, MAX_DURATION_CAP};
use crate::policy::lease::{
    at_expression, expiry_after, latest_schedulable, parse_at_expression, parse_lease_name,
    parse_rfc3339, rfc3339, AssignmentKey, LeaseMeta, DESCRIPTION_LIMIT,
};

/// Cases per property.
const CASES: u32 = 1_000;

/// The input attributes of `jit_grant` an error may name.
const ATTRIBUTES: &[&str] = &[
    "account_id",
    "approved_by",
    "break_glass",
    "duration",
    "permission_set",
    "principal",
    "principal_type",
    "reason",
    "requested_by",
    "ticket",
    "timeouts",
];

/// Any text, and texts close to valid values of each kind (so the checks
/// are reached past their first test, not only refused at once).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ 0-9hmsd.µ-]{0,14}",
        "[0-9]{0,14}",
        "arn:aws[a-z-]{0,5}:s[a-z]{0,4}:[a-z0-9-]{0,9}:[0-9]{0,13}:[a-zA-Z/_0-9.-]{0,40}",
        "arn:aws:sso:::permissionSet/ssoins-[0-9a-f]{16}/ps-[0-9a-f]{16}",
        "[a-z]{1,8}@example\\.com",
        "jit-[0-9a-fA-F]{0,17}-[0-9a-f]{0,17}",
        "[A-Za-z ]{0,40}",
        Just(String::new()),
    ]
}

fn value() -> impl Strategy<Value = Value<String>> {
    prop_oneof![
        8 => text().prop_map(Value::Value),
        1 => Just(Value::Null),
        1 => Just(Value::Unknown),
    ]
}

fn bool_value() -> impl Strategy<Value = Value<bool>> {
    prop_oneof![
        any::<bool>().prop_map(Value::Value),
        Just(Value::Null),
        Just(Value::Unknown),
    ]
}

fn approvers() -> impl Strategy<Value = Value<Vec<Value<String>>>> {
    prop_oneof![
        8 => vec(value(), 0..5).prop_map(Value::Value),
        1 => Just(Value::Null),
        1 => Just(Value::Unknown),
    ]
}

fn timeouts() -> impl Strategy<Value = Value<Timeouts>> {
    prop_oneof![
        (value(), value()).prop_map(|(create, delete)| Value::Value(Timeouts { create, delete })),
        Just(Value::Null),
    ]
}

prop_compose! {
    fn grant_config()(
        strings in vec(value(), 9),
        approved_by in approvers(),
        break_glass in bool_value(),
        timeouts in timeouts(),
    ) -> GrantState {
        let mut strings = strings.into_iter();
        let mut next = || strings.next().unwrap_or(Value::Null);
        GrantState {
            account_id: next(),
            duration: next(),
            permission_set: next(),
            principal: next(),
            principal_type: next(),
            reason: next(),
            requested_by: next(),
            ticket: next(),
            id: next(),
            approved_by,
            break_glass,
            timeouts,
            ..GrantState::default()
        }
    }
}

/// The attribute an error is reported on (with [`Error::into_parts`]).
fn path_of(error: Error) -> AttributePath {
    error.into_parts(AttributePath::default()).2
}

/// Panics unless `path` names one of `jit_grant`'s inputs, and an index
/// into `approved_by` or the one `timeouts` block that exists.
fn assert_names_attribute(path: &AttributePath, approvers: usize) {
    let steps = &path.steps;
    let Some(AttributePathStep::Attribute(first)) = steps.first() else {
        panic!("error without an attribute: {path:?}");
    };
    assert!(
        ATTRIBUTES.contains(&first.as_ref()),
        "unknown attribute {first}"
    );
    match (first.as_ref(), &steps[1..]) {
        ("approved_by", []) => {}
        ("approved_by", [AttributePathStep::Index(i)]) => {
            assert!(
                (0..approvers as i64).contains(i),
                "index {i} of {approvers}"
            )
        }
        ("timeouts", [AttributePathStep::Index(0), AttributePathStep::Attribute(name)]) => {
            assert!(name == "create" || name == "delete", "{name}")
        }
        (_, []) => {}
        (name, rest) => panic!("unexpected path below {name}: {rest:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Shape checks (what `terraform validate` runs) on any configuration.
    #[test]
    fn shape_checks_never_panic_and_name_their_attribute(config in grant_config()) {
        let approvers = match &config.approved_by {
            Value::Value(list) => list.len(),
            _ => 0,
        };
        let (duration, errors) = check_shape(&config);
        if duration.is_some() {
            prop_assert!(config.duration.as_ref_option().is_some());
        }
        for error in errors.0 {
            assert_names_attribute(&path_of(error), approvers);
        }
    }

    /// Go-style durations: no panic; a refusal is about `duration`; what
    /// parses is what was written.
    #[test]
    fn durations_parse_or_are_refused_on_duration(
        input in text(),
        hours in 0u64..200,
        minutes in 0u64..60,
        seconds in 0u64..60,
    ) {
        let _ = parse_duration(&input);
        if let Err(problem) = parse_grant_duration(&input) {
            prop_assert_eq!(problem.attribute(), ("duration", None));
            assert_names_attribute(&path_of(problem_error(problem)), 0);
        }
        let written = format!("{hours}h{minutes}m{seconds}s");
        let total = Duration::from_secs(hours * 3600 + minutes * 60 + seconds);
        prop_assert_eq!(parse_duration(&written), Ok(total));
        prop_assert_eq!(parse_duration(&format_duration(total)), Ok(total));
    }

    /// The maximum, capped at 7 days, refuses exactly the longer grants.
    #[test]
    fn the_maximum_is_capped_and_refusals_name_duration(
        duration in 1u64..2_000_000,
        max in 1u64..2_000_000,
    ) {
        let (duration, max) = (Duration::from_secs(duration), Duration::from_secs(max));
        let refused = check_max_duration("d", duration, max);
        prop_assert_eq!(refused.is_err(), duration > max.min(MAX_DURATION_CAP));
        if let Err(problem) = refused {
            prop_assert_eq!(problem.attribute(), ("duration", None));
        }
        prop_assert_eq!(check_max_duration_cap(max).is_ok(), max <= MAX_DURATION_CAP);
    }

    /// `timeouts` values: no panic, refusals name `timeouts[0].<name>`.
    #[test]
    fn timeouts_parse_or_name_their_attribute(input in text(), create in any::<bool>()) {
        let name = if create { "create" } else { "delete" };
        match parse_timeout(name, &input) {
            Ok(parsed) => prop_assert!(!parsed.is_zero() && parsed <= MAX_TIMEOUT),
            Err(error) => {
                let path = path_of(error);
                prop_assert_eq!(path, AttributePath::new("timeouts").index(0).attribute(name));
            }
        }
    }

    /// Reasons and break-glass tickets: refusals name their attribute.
    #[test]
    fn reasons_and_tickets_name_their_attribute(reason in text(), ticket in proptest::option::of(text()), flag in any::<bool>()) {
        if let Err(problem) = check_reason(&reason) {
            prop_assert_eq!(problem.attribute(), ("reason", None));
        }
        if let Err(problem) = check_break_glass(flag, ticket.as_deref()) {
            prop_assert!(flag);
            prop_assert_eq!(problem.attribute(), ("break_glass", None));
        }
    }

    /// Approver lists under any rule: each problem names `approved_by`, with
    /// an index inside the list when it is about one entry (or `break_glass`
    /// when the rule does not allow it).
    #[test]
    fn approver_lists_name_the_entry(
        approvers in vec(text(), 0..6),
        allowed in vec(text(), 0..3),
        requested_by in text(),
        principal in vec(text(), 0..3),
        author in proptest::option::of(text()),
        high in any::<bool>(),
        break_glass in any::<bool>(),
        allow_break_glass in any::<bool>(),
        resolved in any::<bool>(),
    ) {
        let named = |names: &[String]| names.iter().map(|n| Identity::named(n)).collect::<Vec<_>>();
        let rule = ApprovalRule {
            risk: if high { Risk::High } else { Risk::Low },
            allowed: named(&allowed),
            allow_break_glass,
        };
        let parties = Parties {
            requester: Identity::named(&requested_by),
            principal: Identity {
                id: None,
                names: principal,
            },
            group: None,
            change_authors: named(author.as_slice()),
            resolved,
        };
        let approvers = named(&approvers);
        for problem in check_approvers("JIT-X", &rule, break_glass, &approvers, &parties) {
            let (name, index) = problem.attribute();
            if name == "break_glass" {
                // The one problem that is not about the list.
                prop_assert!(break_glass && !allow_break_glass);
                continue;
            }
            prop_assert_eq!(name, "approved_by");
            if let Some(index) = index {
                prop_assert!(index < approvers.len());
            }
            assert_names_attribute(&path_of(problem_error(problem)), approvers.len());
        }
    }

    /// Lease names (the import id): no panic on any input; every name the
    /// provider writes parses back to its parts and fits Scheduler's 64.
    #[test]
    fn lease_names_parse_back(
        input in text(),
        parts in vec(text(), 5),
        grant in "[0-9a-f]{16}",
    ) {
        let _ = parse_lease_name(&input);
        let key = AssignmentKey::new(&parts[0], &parts[1], &parts[2], &parts[3], &parts[4]);
        let name = key.lease_name(&grant);
        prop_assert!(name.len() <= 64);
        let parsed = parse_lease_name(&name).unwrap();
        prop_assert!(parse_lease_name(&key.notice_name(&parsed.grant_id)).is_none());
        prop_assert_eq!(parsed.key_hash, key.hash());
        prop_assert_eq!(parsed.grant_id, grant);
    }

    /// RFC 3339 and `at()` expressions: no panic on any input; every time
    /// a lease can name round-trips through both.
    #[test]
    fn times_round_trip(input in text(), unix in 0i64..=253_402_300_799) {
        let _ = parse_rfc3339(&input);
        let _ = parse_at_expression(&input);
        let at = OffsetDateTime::from_unix_timestamp(unix).unwrap();
        prop_assert_eq!(parse_rfc3339(&rfc3339(at)), Some(at));
        prop_assert_eq!(parse_at_expression(&at_expression(at)), Some(at));
    }

    /// Expiry arithmetic: checked for any start and length; never past
    /// what an `at()` expression can name.
    #[test]
    fn expiries_are_checked(unix in 0i64..=253_402_300_799, seconds in any::<u64>(), nanos in 0u32..1_000_000_000) {
        let start = OffsetDateTime::from_unix_timestamp(unix).unwrap();
        let length = whole_seconds(Duration::new(seconds, nanos));
        prop_assert!(length.whole_seconds() >= 0);
        match expiry_after(start, length) {
            Some(at) => prop_assert!(at >= start && at <= latest_schedulable()),
            None => prop_assert!(start.checked_add(length).is_none_or(|at| at > latest_schedulable())),
        }
    }

    /// What the provider reads back from AWS: no panic on any description,
    /// target input or session duration; descriptions it writes fit.
    #[test]
    fn lease_bookkeeping_reads_any_input(
        input in text(),
        fields in vec(text(), 4),
        retired in any::<bool>(),
    ) {
        let _ = LeaseMeta::from_description(&input);
        let _ = AssignmentKey::from_input(&input);
        let _ = parse_iso8601_duration(&input);
        let meta = LeaseMeta {
            grant: "0123456789abcdef".into(),
            principal: fields[0].clone(),
            permission_set: fields[1].clone(),
            duration: fields[2].clone(),
            granted_at: fields[3].clone(),
            retired,
            ..LeaseMeta::default()
        };
        let description = meta.to_description();
        prop_assert!(description.chars().count() <= DESCRIPTION_LIMIT || fields[2].chars().count() + fields[3].chars().count() > 300);
        let back = LeaseMeta::from_description(&description).unwrap();
        prop_assert_eq!(back.grant, meta.grant);
        prop_assert_eq!(back.retired, retired);
    }
}
