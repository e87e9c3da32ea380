//! Unit tests of the grant rules: durations, reasons, break-glass, risk and
//! approvers, verified approvals, session lengths and status.

use super::*;
use crate::policy::grant_policy::{GrantPolicy, PermissionSetRule, Risk};
use time::macros::datetime;

fn policy() -> GrantPolicy {
    GrantPolicy {
        max_duration: Duration::from_secs(3600),
        max_session_duration: Duration::from_secs(3600),
        default_risk: Risk::High,
        permission_sets: vec![
            PermissionSetRule {
                name: "JIT-S3FullAccess".into(),
                risk: Risk::Low,
                approvers: vec![],
            },
            PermissionSetRule {
                name: "JIT-EmergencyAdmin".into(),
                risk: Risk::High,
                approvers: vec!["manager@example.com".into()],
            },
        ],
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn durations_are_checked_against_the_maximum() {
    let max = Some(Duration::from_secs(3600));
    let cases: Vec<(&str, Result<u64, &str>)> = vec![
        ("1h", Ok(3600)),
        ("30m", Ok(1800)),
        ("59m59s", Ok(3599)),
        ("3s", Ok(3)),
        ("1h1s", Err("Grant duration over the maximum")),
        ("2h", Err("Grant duration over the maximum")),
        ("0", Err("Grant duration must be longer than zero")),
        ("0s", Err("Grant duration must be longer than zero")),
        ("", Err("Invalid grant duration")),
        ("an hour", Err("Invalid grant duration")),
        ("1d", Err("Invalid grant duration")),
    ];
    for (text, expected) in cases {
        let got = check_duration(text, max)
            .map(|d| d.as_secs())
            .map_err(|p| p.to_string());
        assert_eq!(got, expected.map_err(str::to_string), "{text}");
    }
    // Without a known maximum only the shape is checked.
    assert!(check_duration("48h", None).is_ok());
    let hint = check_duration("2h", max).unwrap_err().hint();
    assert!(hint.contains("`2h`") && hint.contains("`1h`"), "{hint}");
    assert_eq!(
        check_duration("2h", max).unwrap_err().attribute(),
        ("duration", None)
    );
}

#[test]
fn reasons_must_say_something() {
    for ok in [
        "Investigate failing lifecycle rule",
        "Fix INC-42 now",
        "  Rotate   the keys ",
    ] {
        assert_eq!(check_reason(ok), Ok(()), "{ok}");
    }
    for bad in ["", "   ", "test", "debugging", "fix it", "n/a n/a"] {
        assert!(
            matches!(check_reason(bad), Err(GrantProblem::ReasonTooShort { .. })),
            "{bad}"
        );
    }
}

#[test]
fn break_glass_needs_a_ticket() {
    assert_eq!(check_break_glass(false, None), Ok(()));
    assert_eq!(check_break_glass(true, Some("INC-1")), Ok(()));
    for ticket in [None, Some(""), Some("  ")] {
        assert_eq!(
            check_break_glass(true, ticket),
            Err(GrantProblem::BreakGlassWithoutTicket)
        );
    }
    assert_eq!(
        GrantProblem::BreakGlassWithoutTicket.attribute(),
        ("break_glass", None)
    );
}

#[test]
fn risk_comes_from_the_permission_set_block_else_the_default() {
    let policy = policy();
    assert_eq!(
        ApprovalRule::of(&policy, "JIT-S3FullAccess"),
        ApprovalRule {
            risk: Risk::Low,
            allowed: vec![]
        }
    );
    assert_eq!(
        ApprovalRule::of(&policy, "JIT-EmergencyAdmin").allowed,
        strings(&["manager@example.com"])
    );
    assert_eq!(ApprovalRule::of(&policy, "Unlisted").risk, Risk::High);
    let low_default = GrantPolicy {
        default_risk: Risk::Low,
        ..policy
    };
    assert_eq!(ApprovalRule::of(&low_default, "Unlisted").risk, Risk::Low);
    assert!(ApprovalRule::of(&low_default, "JIT-EmergencyAdmin").approval_required(false));
    assert!(!ApprovalRule::of(&low_default, "JIT-EmergencyAdmin").approval_required(true));
    assert!(!ApprovalRule::of(&low_default, "JIT-S3FullAccess").approval_required(false));
}

#[test]
fn approver_rules_table() {
    let policy = policy();
    let parties = Parties {
        requested_by: "alice@example.com",
        principal: strings(&["alice", "alice@example.com"]),
        group: None,
        change_author: Some("octocat"),
    };
    let group_parties = Parties {
        requested_by: "alice@example.com",
        principal: strings(&["Oncall"]),
        group: Some(("Oncall".into(), strings(&["carol", "carol@example.com"]))),
        change_author: None,
    };
    type Case<'a> = (
        &'a str,
        &'a str,
        bool,
        Vec<&'a str>,
        &'a Parties<'a>,
        Vec<&'a str>,
    );
    let cases: Vec<Case<'_>> = vec![
        // Low risk: no approver needed.
        (
            "low, none",
            "JIT-S3FullAccess",
            false,
            vec![],
            &parties,
            vec![],
        ),
        // High risk, default rule: anyone eligible.
        (
            "high, bob",
            "Unlisted",
            false,
            vec!["bob@example.com"],
            &parties,
            vec![],
        ),
        (
            "high, none",
            "Unlisted",
            false,
            vec![],
            &parties,
            vec!["Grant needs an approver"],
        ),
        (
            "high, blank",
            "Unlisted",
            false,
            vec![" "],
            &parties,
            vec!["Empty approver", "Grant needs an approver"],
        ),
        (
            "break-glass, none",
            "Unlisted",
            true,
            vec![],
            &parties,
            vec![],
        ),
        (
            "requester",
            "Unlisted",
            false,
            vec!["ALICE@example.com "],
            &parties,
            vec!["Approver is the requester"],
        ),
        (
            "principal by user name",
            "Unlisted",
            false,
            vec!["alice"],
            &parties,
            vec!["Approver receives the access"],
        ),
        (
            "change author",
            "Unlisted",
            false,
            vec!["Octocat"],
            &parties,
            vec!["Approver is the change author"],
        ),
        (
            "group member",
            "Unlisted",
            false,
            vec!["carol@example.com"],
            &group_parties,
            vec!["Approver is a member of the granted group"],
        ),
        (
            "group itself",
            "Unlisted",
            false,
            vec!["oncall"],
            &group_parties,
            vec!["Approver receives the access"],
        ),
        (
            "not member",
            "Unlisted",
            false,
            vec!["bob"],
            &group_parties,
            vec![],
        ),
        // Listed approvers.
        (
            "allowed",
            "JIT-EmergencyAdmin",
            false,
            vec!["Manager@Example.com"],
            &parties,
            vec![],
        ),
        (
            "not allowed",
            "JIT-EmergencyAdmin",
            false,
            vec!["bob@example.com"],
            &parties,
            vec!["Approver not allowed for this permission set"],
        ),
        (
            "low risk, any approver",
            "JIT-S3FullAccess",
            false,
            vec!["bob"],
            &parties,
            vec![],
        ),
        (
            "duplicate",
            "JIT-EmergencyAdmin",
            false,
            vec!["manager@example.com", "MANAGER@example.com"],
            &parties,
            vec!["Duplicate approver"],
        ),
        (
            "two problems",
            "JIT-EmergencyAdmin",
            false,
            vec!["alice@example.com", "bob"],
            &parties,
            vec![
                "Approver is the requester",
                "Approver not allowed for this permission set",
            ],
        ),
    ];
    for (name, permission_set, break_glass, approvers, parties, expected) in cases {
        let rule = ApprovalRule::of(&policy, permission_set);
        let problems = check_approvers(
            permission_set,
            &rule,
            break_glass,
            &strings(&approvers),
            parties,
        );
        let summaries: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(summaries, strings(&expected), "{name}");
    }
}

#[test]
fn approver_problems_point_at_the_entry_and_explain() {
    let policy = policy();
    let rule = ApprovalRule::of(&policy, "JIT-EmergencyAdmin");
    let parties = Parties {
        requested_by: "alice",
        ..Parties::default()
    };
    let problems = check_approvers(
        "JIT-EmergencyAdmin",
        &rule,
        false,
        &strings(&["manager@example.com", "bob"]),
        &parties,
    );
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].attribute(), ("approved_by", Some(1)));
    let hint = problems[0].hint();
    assert!(
        hint.contains("`bob`") && hint.contains("`manager@example.com`"),
        "{hint}"
    );
    let missing = check_approvers("JIT-EmergencyAdmin", &rule, false, &[], &parties);
    assert_eq!(missing[0].attribute(), ("approved_by", None));
    assert!(missing[0].hint().contains("`manager@example.com`"));
}

#[test]
fn verified_approvers_come_from_the_environment_list() {
    let approvers = strings(&["manager@example.com", "bob"]);
    assert_eq!(
        unverified_approvers(&approvers, Some(" Manager@example.com , bob")),
        Vec::<String>::new()
    );
    assert_eq!(
        unverified_approvers(&approvers, Some("bob")),
        strings(&["manager@example.com"])
    );
    assert_eq!(unverified_approvers(&approvers, None), approvers);
    assert_eq!(unverified_approvers(&approvers, Some(",,")), approvers);

    let high = ApprovalRule {
        risk: Risk::High,
        allowed: vec![],
    };
    let low = ApprovalRule {
        risk: Risk::Low,
        allowed: vec![],
    };
    assert_eq!(check_verified(false, &high, &approvers, None), Ok(()));
    assert_eq!(check_verified(true, &low, &approvers, None), Ok(()));
    assert_eq!(check_verified(true, &high, &[], None), Ok(()));
    let error = check_verified(true, &high, &approvers, Some("bob")).unwrap_err();
    assert_eq!(
        error,
        GrantProblem::UnverifiedApprovers {
            missing: strings(&["manager@example.com"])
        }
    );
    assert!(error.hint().contains("`manager@example.com`"));
}

#[test]
fn iso8601_session_durations() {
    let cases = [
        ("PT1H", Some(3600)),
        ("PT30M", Some(1800)),
        ("PT12H", Some(43200)),
        ("PT1H30M", Some(5400)),
        ("PT3600S", Some(3600)),
        ("P1D", Some(86400)),
        ("P1DT1H", Some(90000)),
        ("3600", None),
        ("PT", None),
        ("P", None),
        ("PT1X", None),
        ("PT1", None),
        ("1H", None),
    ];
    for (text, expected) in cases {
        assert_eq!(
            parse_iso8601_duration(text).map(|d| d.as_secs()),
            expected,
            "{text}"
        );
    }
}

#[test]
fn session_duration_against_the_maximum() {
    let max = Duration::from_secs(3600);
    assert_eq!(check_session_duration("PS", Some("PT1H"), max), Ok(()));
    assert_eq!(check_session_duration("PS", Some("PT30M"), max), Ok(()));
    // Not sent: Identity Center's default of one hour.
    assert_eq!(check_session_duration("PS", None, max), Ok(()));
    let error = check_session_duration("PS", Some("PT12H"), max).unwrap_err();
    assert_eq!(error.attribute(), ("permission_set", None));
    assert!(error.hint().contains("`12h`") && error.hint().contains("`1h`"));
    assert!(check_session_duration("PS", None, Duration::from_secs(1800)).is_err());
}

#[test]
fn status_table() {
    let expiry = datetime!(2024-05-01 13:00 UTC);
    let before = datetime!(2024-05-01 12:30 UTC);
    let after = datetime!(2024-05-01 13:30 UTC);
    let seen = |now, assigned, covered| Observation {
        now,
        expires_at: expiry,
        assigned,
        covered_by_other_grant: covered,
    };
    use Status::*;
    let cases = [
        (None, seen(before, true, false), Active),
        (Some(Active), seen(before, true, true), Active),
        (Some(Active), seen(before, false, false), Revoked),
        (Some(Active), seen(after, false, false), Expired),
        (Some(Active), seen(expiry, false, false), Expired),
        (Some(Active), seen(after, true, false), Overdue),
        (Some(Active), seen(after, true, true), Expired),
        (Some(Overdue), seen(after, false, false), Expired),
        (Some(Overdue), seen(after, true, false), Overdue),
        // Final states stay final, even if the access comes back.
        (Some(Revoked), seen(before, true, false), Revoked),
        (Some(Revoked), seen(after, true, false), Revoked),
        (Some(Expired), seen(after, true, false), Expired),
    ];
    for (prior, observation, expected) in cases {
        assert_eq!(
            derive_status(prior, observation),
            expected,
            "{prior:?} {observation:?}"
        );
    }
    for status in [Active, Expired, Revoked, Overdue] {
        assert_eq!(Status::parse(status.as_str()), Some(status));
    }
    assert_eq!(Status::parse("active"), None);
}
