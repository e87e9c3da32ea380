//! Unit tests of the grant rules: durations, reasons, break-glass, risk and
//! approvers (by name and by Identity Center id), verified approvals, the
//! change an approval belongs to, session lengths and status.

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
                allow_break_glass: true,
                end_sessions_on_revoke: false,
            },
            PermissionSetRule {
                name: "JIT-EmergencyAdmin".into(),
                risk: Risk::High,
                approvers: vec!["manager@example.com".into()],
                allow_break_glass: true,
                end_sessions_on_revoke: false,
            },
            PermissionSetRule {
                name: "JIT-OrgAdmin".into(),
                risk: Risk::High,
                approvers: vec![],
                allow_break_glass: false,
                end_sessions_on_revoke: false,
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

/// A person named `name` resolved to `id` (`""`: did not resolve), also
/// known by `aliases`.
fn who(name: &str, id: &str, aliases: &[&str]) -> Identity {
    let mut identity = Identity::resolved(name, Some(id.to_string()).filter(|i| !i.is_empty()));
    identity.names.extend(aliases.iter().map(|a| a.to_string()));
    identity
}

fn names(items: &[&str]) -> Vec<Identity> {
    items.iter().map(|name| Identity::named(name)).collect()
}

#[test]
fn risk_comes_from_the_permission_set_block_else_the_default() {
    let policy = policy();
    assert_eq!(
        ApprovalRule::of(&policy, "JIT-S3FullAccess"),
        ApprovalRule {
            risk: Risk::Low,
            allowed: vec![],
            allow_break_glass: true,
        }
    );
    assert_eq!(
        ApprovalRule::of(&policy, "JIT-EmergencyAdmin").allowed_names(),
        strings(&["manager@example.com"])
    );
    assert_eq!(ApprovalRule::of(&policy, "Unlisted").risk, Risk::High);
    assert!(ApprovalRule::of(&policy, "Unlisted").allow_break_glass);
    assert!(!ApprovalRule::of(&policy, "JIT-OrgAdmin").allow_break_glass);
    let low_default = GrantPolicy {
        default_risk: Risk::Low,
        ..policy.clone()
    };
    assert_eq!(ApprovalRule::of(&low_default, "Unlisted").risk, Risk::Low);
    assert!(ApprovalRule::of(&low_default, "JIT-EmergencyAdmin").approval_required(false));
    assert!(!ApprovalRule::of(&low_default, "JIT-EmergencyAdmin").approval_required(true));
    assert!(!ApprovalRule::of(&low_default, "JIT-S3FullAccess").approval_required(false));
    // Break-glass forbidden: an approver is required all the same.
    assert!(ApprovalRule::of(&policy, "JIT-OrgAdmin").approval_required(true));
}

#[test]
fn approver_rules_by_name_table() {
    // Before any lookup (the shape check at validate): names only.
    let policy = policy();
    let parties = Parties {
        requester: Identity::named("alice@example.com"),
        principal: who("alice", "", &["alice@example.com"]),
        change_authors: names(&["octocat", "pusher"]),
        ..Parties::default()
    };
    let group_parties = Parties {
        requester: Identity::named("alice@example.com"),
        principal: Identity::named("Oncall"),
        group: Some((
            "Oncall".into(),
            vec![who("carol", "", &["carol@example.com"])],
        )),
        ..Parties::default()
    };
    type Case<'a> = (
        &'a str,
        &'a str,
        bool,
        Vec<&'a str>,
        &'a Parties,
        Vec<&'a str>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "low, none",
            "JIT-S3FullAccess",
            false,
            vec![],
            &parties,
            vec![],
        ),
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
            "break-glass forbidden",
            "JIT-OrgAdmin",
            true,
            vec![],
            &parties,
            vec![
                "Break-glass not allowed for this permission set",
                "Grant needs an approver",
            ],
        ),
        (
            "break-glass forbidden, approved",
            "JIT-OrgAdmin",
            true,
            vec!["bob"],
            &parties,
            vec!["Break-glass not allowed for this permission set"],
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
            "second change author",
            "Unlisted",
            false,
            vec!["Pusher"],
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
            &names(&approvers),
            parties,
        );
        let summaries: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(summaries, strings(&expected), "{name}");
    }
}

#[test]
fn approvers_are_compared_by_identity_center_id() {
    // After the lookup: alice is user u-alice, named `alice` with email
    // `a.smith@example.com`; frank (u-frank) wrote the change.
    let policy = policy();
    let parties = Parties {
        requester: who("bob", "u-bob", &[]),
        principal: who("alice", "u-alice", &["a.smith@example.com"]),
        change_authors: vec![who("frank", "u-frank", &[]), who("ghost", "", &[])],
        resolved: true,
        ..Parties::default()
    };
    let group = Parties {
        principal: who("Oncall", "g-oncall", &[]),
        group: Some((
            "Oncall".into(),
            vec![Identity {
                id: Some("u-carol".into()),
                names: vec![],
            }],
        )),
        ..parties.clone()
    };
    let mut emergency = ApprovalRule::of(&policy, "JIT-EmergencyAdmin");
    // The policy names the manager by email; the lookup gave its id.
    emergency.allowed = vec![who("manager@example.com", "u-manager", &[])];
    let unlisted = ApprovalRule::of(&policy, "Unlisted");
    let cases: Vec<(&str, &ApprovalRule, Identity, &Parties, Vec<&str>)> = vec![
        // Another spelling of the principal (its id written as approver,
        // or an alias the principal's names do not list).
        (
            "principal by id",
            &unlisted,
            who("u-alice", "u-alice", &[]),
            &parties,
            vec!["Approver receives the access"],
        ),
        (
            "principal by alias",
            &unlisted,
            who("alice.alias@example.com", "u-alice", &[]),
            &parties,
            vec!["Approver receives the access"],
        ),
        (
            "requester by email",
            &unlisted,
            who("bob@example.com", "u-bob", &[]),
            &parties,
            vec!["Approver is the requester"],
        ),
        (
            "author by email",
            &unlisted,
            who("frank@example.com", "u-frank", &[]),
            &parties,
            vec!["Approver is the change author"],
        ),
        (
            "member by email",
            &unlisted,
            who("carol@example.com", "u-carol", &[]),
            &group,
            vec!["Approver is a member of the granted group"],
        ),
        (
            "unknown approver",
            &unlisted,
            who("nobody", "", &[]),
            &parties,
            vec!["Approver not found"],
        ),
        // Allowed by id, whatever the spelling; a name alone never counts.
        (
            "allowed by user name",
            &emergency,
            who("manager", "u-manager", &[]),
            &parties,
            vec![],
        ),
        (
            "allowed name, other id",
            &emergency,
            who("manager@example.com", "u-other", &[]),
            &parties,
            vec!["Approver not allowed for this permission set"],
        ),
        // An author who did not resolve is still kept apart by name.
        (
            "unresolved author by name",
            &unlisted,
            who("ghost", "u-ghost", &[]),
            &parties,
            vec!["Approver is the change author"],
        ),
        (
            "someone else",
            &unlisted,
            who("dave", "u-dave", &[]),
            &parties,
            vec![],
        ),
    ];
    for (name, rule, approver, parties, expected) in cases {
        let problems = check_approvers("PS", rule, false, &[approver], parties);
        let summaries: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(summaries, strings(&expected), "{name}");
    }
    // Two spellings of one person are one approver.
    let twice = [
        who("dave", "u-dave", &[]),
        who("dave@example.com", "u-dave", &[]),
    ];
    let problems = check_approvers("PS", &unlisted, false, &twice, &parties);
    assert_eq!(
        problems,
        vec![GrantProblem::DuplicateApprover {
            index: 1,
            approver: "dave@example.com".into()
        }]
    );
}

#[test]
fn approver_problems_point_at_the_entry_and_explain() {
    let policy = policy();
    let rule = ApprovalRule::of(&policy, "JIT-EmergencyAdmin");
    let parties = Parties {
        requester: Identity::named("alice"),
        ..Parties::default()
    };
    let problems = check_approvers(
        "JIT-EmergencyAdmin",
        &rule,
        false,
        &names(&["manager@example.com", "bob"]),
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
    assert!(missing[0].hint().contains("break_glass"));
    let forbidden = ApprovalRule::of(&policy, "JIT-OrgAdmin");
    let problems = check_approvers("JIT-OrgAdmin", &forbidden, true, &[], &parties);
    assert_eq!(problems[0].attribute(), ("break_glass", None));
    assert!(problems[0].hint().contains("allow_break_glass = false"));
    assert!(problems[1].hint().contains("break-glass is not allowed"));
}

#[test]
fn lists_from_the_environment_are_comma_separated() {
    assert_eq!(
        name_list(Some(" bob , ,carol@example.com,")),
        strings(&["bob", "carol@example.com"])
    );
    assert_eq!(name_list(Some("")), Vec::<String>::new());
    assert_eq!(name_list(None), Vec::<String>::new());
}

#[test]
fn verified_approvers_are_matched_by_id_only() {
    let approvers = vec![
        who("manager@example.com", "u-manager", &[]),
        who("bob", "u-bob", &[]),
    ];
    // The verified list spells them differently; ids decide.
    let verified = vec![who("manager", "u-manager", &[]), who("bob", "", &[])];
    let (ok, missing) = split_verified(&approvers, &verified);
    assert_eq!(ok, vec![&approvers[0]]);
    // `bob` in the list did not resolve: it counts for nobody.
    assert_eq!(missing, strings(&["bob"]));
    // An approver who did not resolve is never verified, even by name.
    let unresolved = vec![who("carol", "", &[])];
    let (ok, missing) = split_verified(&unresolved, &[who("carol", "", &[])]);
    assert!(ok.is_empty());
    assert_eq!(missing, strings(&["carol"]));

    let high = ApprovalRule {
        risk: Risk::High,
        allowed: vec![],
        allow_break_glass: true,
    };
    let low = ApprovalRule {
        risk: Risk::Low,
        ..high.clone()
    };
    assert_eq!(check_verified(false, &high, &approvers, &[]), Ok(vec![]));
    assert_eq!(
        check_verified(true, &low, &approvers, &verified),
        Ok(vec![&approvers[0]])
    );
    assert_eq!(check_verified(true, &high, &[], &[]), Ok(vec![]));
    let error = check_verified(true, &high, &approvers, &verified).unwrap_err();
    assert_eq!(
        error,
        GrantProblem::UnverifiedApprovers {
            missing: strings(&["bob"])
        }
    );
    assert!(error.hint().contains("`bob`"));
    let all = vec![
        who("manager", "u-manager", &[]),
        who("robert", "u-bob", &[]),
    ];
    assert_eq!(
        check_verified(true, &high, &approvers, &all).map(|v| v.len()),
        Ok(2)
    );
}

#[test]
fn approvals_count_only_for_the_change_they_were_given_on() {
    use Risk::*;
    let pr = Some("acme/access#42");
    let other = Some("acme/access#7");
    // At plan, whenever the change is known.
    assert_eq!(check_change_ref_at_plan(High, pr, pr), Ok(()));
    assert_eq!(check_change_ref_at_plan(Low, None, pr), Ok(()));
    assert_eq!(check_change_ref_at_plan(High, None, None), Ok(()));
    assert_eq!(check_change_ref_at_plan(High, other, None), Ok(()));
    let error = check_change_ref_at_plan(High, None, pr).unwrap_err();
    assert_eq!(error.attribute(), ("change_ref", None));
    assert!(
        error.hint().contains("`change_ref = \"acme/access#42\"`"),
        "{}",
        error.hint()
    );
    let error = check_change_ref_at_plan(High, other, pr).unwrap_err();
    assert!(error.hint().contains("acme/access#7"), "{}", error.hint());
    // Compared exactly.
    assert!(check_change_ref_at_plan(High, Some("Acme/access#42"), pr).is_err());
    assert!(check_change_ref_at_plan(High, Some("acme/access#42 "), pr).is_err());

    // At apply, only with verification on, and then always for high risk.
    assert_eq!(check_change_ref_at_apply(false, High, other, pr), Ok(()));
    assert_eq!(check_change_ref_at_apply(true, Low, other, pr), Ok(()));
    assert_eq!(check_change_ref_at_apply(true, High, pr, pr), Ok(()));
    for (written, current) in [(other, pr), (None, pr), (pr, None), (None, None)] {
        let error = check_change_ref_at_apply(true, High, written, current).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Approvals of another change do not count"
        );
        assert!(
            error.hint().starts_with("Written for change"),
            "{}",
            error.hint()
        );
    }
    let hint = check_change_ref_at_apply(true, High, other, pr)
        .unwrap_err()
        .hint();
    assert!(
        hint.contains(
            "Written for change `acme/access#7`; approvals of change `acme/access#42` do not count"
        ),
        "{hint}"
    );
    let hint = check_change_ref_at_apply(true, High, pr, None)
        .unwrap_err()
        .hint();
    assert!(hint.contains("`JIT_CHANGE_REF` is not set"), "{hint}");
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
