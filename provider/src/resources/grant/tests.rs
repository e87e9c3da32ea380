//! Unit tests of `jit_grant`'s pure helpers: shape checks, replacement
//! rules (including adoption after import), defaults, typed requests, audit
//! events.

use std::time::Duration;

use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::events::{audit_event, notice_message};
use super::plan::{
    apply_defaults, check_shape, key_of, parse_duration, problem_error, replacements,
    standing_assignment, whole_seconds, Request,
};
use super::resolve::is_assigned;
use super::GrantState;
use crate::audit::result;
use crate::aws::identity_store::PrincipalKind;
use crate::error::{attr, Error};
use crate::policy::grant::{check_max_duration, GrantProblem};
use crate::policy::lease::AssignmentKey;
use crate::values::{str_list, text};
use crate::{copy_fields, unknown_fields};

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}

/// A complete, valid low-risk grant as the configuration gives it.
fn config() -> GrantState {
    GrantState {
        account_id: s("123456789012"),
        duration: s("1h"),
        permission_set: s("JIT-S3FullAccess"),
        principal: s("alice@example.com"),
        reason: s("Investigate failing lifecycle rule"),
        requested_by: s("alice@example.com"),
        ..GrantState::default()
    }
}

/// The same grant as stored after apply.
fn applied() -> GrantState {
    let mut state = config();
    apply_defaults(&mut state);
    state.approval_required = Value::Value(false);
    state.expires_at = s("2024-05-01T13:00:00Z");
    state.granted_at = s("2024-05-01T12:00:00Z");
    state.id = s("jit-0123456789abcdef-fedcba9876543210");
    state.schedule_name = state.id.clone();
    state.instance_arn = s("arn:aws:sso:::instance/ssoins-1");
    state.permission_set_arn = s("arn:aws:sso:::permissionSet/ssoins-1/ps-1");
    state.principal_id = s("906700e5-1234-4abc-8def-0123456789ab");
    state.required_approvers = str_list([]);
    state.risk = s("low");
    state.status = s("ACTIVE");
    state
}

fn shape_errors(state: &GrantState) -> Vec<Error> {
    check_shape(state).1 .0
}

/// `replacements` as plan_update calls it: the planned duration parsed once.
fn replace(prior: &GrantState, planned: &GrantState) -> Vec<AttributePath> {
    replacements(prior, planned, check_shape(planned).0)
}

fn summaries(errors: Vec<Error>) -> Vec<(String, AttributePath)> {
    errors
        .into_iter()
        .map(|e| {
            let (summary, _, path) = e.into_parts(AttributePath::default());
            (summary, path)
        })
        .collect()
}

#[test]
fn a_valid_grant_has_no_shape_errors_and_unknowns_are_skipped() {
    assert!(shape_errors(&config()).is_empty());
    let unknown = GrantState {
        account_id: Value::Unknown,
        duration: Value::Unknown,
        reason: Value::Unknown,
        approved_by: Value::Unknown,
        break_glass: Value::Value(true),
        ticket: Value::Unknown,
        ..config()
    };
    assert!(shape_errors(&unknown).is_empty());
}

#[test]
fn shape_errors_name_their_attribute() {
    let cases: Vec<(GrantState, &str, AttributePath)> = vec![
        (
            GrantState {
                principal: s(" "),
                ..config()
            },
            "Empty principal",
            attr("principal"),
        ),
        (
            GrantState {
                principal_type: s("ROLE"),
                ..config()
            },
            "Unknown principal type",
            attr("principal_type"),
        ),
        (
            GrantState {
                account_id: s("1234"),
                ..config()
            },
            "Invalid AWS account id",
            attr("account_id"),
        ),
        (
            GrantState {
                permission_set: s("arn:aws:iam::123456789012:role/x"),
                ..config()
            },
            "Malformed permission set ARN",
            attr("permission_set"),
        ),
        (
            GrantState {
                permission_set: s("arn:aws:sso:::instance/ssoins-1"),
                ..config()
            },
            "Malformed permission set ARN",
            attr("permission_set"),
        ),
        (
            GrantState {
                duration: s("1 hour"),
                ..config()
            },
            "Invalid grant duration",
            attr("duration"),
        ),
        (
            GrantState {
                duration: s("0"),
                ..config()
            },
            "Grant duration must be longer than zero",
            attr("duration"),
        ),
        (
            GrantState {
                reason: s("fix"),
                ..config()
            },
            "Grant reason is too short",
            attr("reason"),
        ),
        (
            GrantState {
                requested_by: s(""),
                ..config()
            },
            "Empty requester",
            attr("requested_by"),
        ),
        (
            GrantState {
                break_glass: Value::Value(true),
                ..config()
            },
            "Break-glass grant needs a ticket",
            attr("break_glass"),
        ),
        (
            GrantState {
                approved_by: str_list(["bob".to_string(), " ".to_string()]),
                ..config()
            },
            "Empty approver",
            attr("approved_by").index(1),
        ),
        (
            GrantState {
                approved_by: str_list(["Alice@Example.com".to_string()]),
                ..config()
            },
            "Approver is the requester",
            attr("approved_by").index(0),
        ),
    ];
    for (state, summary, path) in cases {
        let found = summaries(shape_errors(&state));
        assert_eq!(found, vec![(summary.to_string(), path)], "{summary}");
    }
    // An ARN of a permission set is fine.
    let by_arn = GrantState {
        permission_set: s("arn:aws:sso:::permissionSet/ssoins-1/ps-1"),
        ..config()
    };
    assert!(shape_errors(&by_arn).is_empty());
    let glass = GrantState {
        break_glass: Value::Value(true),
        ticket: s("INC-1"),
        ..config()
    };
    assert!(shape_errors(&glass).is_empty());
}

#[test]
fn defaults_fill_type_and_break_glass_only_when_unset() {
    let mut state = config();
    apply_defaults(&mut state);
    assert_eq!(state.principal_type, s("USER"));
    assert_eq!(state.break_glass, Value::Value(false));
    let mut group = GrantState {
        principal_type: s("GROUP"),
        break_glass: Value::Value(true),
        ..config()
    };
    apply_defaults(&mut group);
    assert_eq!(group.principal_type, s("GROUP"));
    assert_eq!(group.break_glass, Value::Value(true));
}

#[test]
fn only_reason_and_ticket_update_in_place() {
    let prior = applied();
    let in_place = [
        GrantState {
            reason: s("Investigate failing lifecycle rule again"),
            ..applied()
        },
        GrantState {
            ticket: s("INC-9"),
            ..applied()
        },
        // Written differently, the same length of time.
        GrantState {
            duration: s("60m"),
            ..applied()
        },
    ];
    for planned in in_place {
        assert!(replace(&prior, &planned).is_empty(), "{planned:?}");
    }
    let replaced: Vec<(GrantState, &str)> = vec![
        (
            GrantState {
                account_id: s("210987654321"),
                ..applied()
            },
            "account_id",
        ),
        (
            GrantState {
                approved_by: str_list(["bob".to_string()]),
                ..applied()
            },
            "approved_by",
        ),
        (
            GrantState {
                break_glass: Value::Value(true),
                ..applied()
            },
            "break_glass",
        ),
        (
            GrantState {
                duration: s("30m"),
                ..applied()
            },
            "duration",
        ),
        (
            GrantState {
                duration: Value::Unknown,
                ..applied()
            },
            "duration",
        ),
        (
            GrantState {
                permission_set: s("JIT-ReadOnly"),
                ..applied()
            },
            "permission_set",
        ),
        (
            GrantState {
                principal: s("bob@example.com"),
                ..applied()
            },
            "principal",
        ),
        (
            GrantState {
                principal_type: s("GROUP"),
                ..applied()
            },
            "principal_type",
        ),
        (
            GrantState {
                requested_by: s("bob@example.com"),
                ..applied()
            },
            "requested_by",
        ),
    ];
    for (planned, name) in replaced {
        assert_eq!(replace(&prior, &planned), vec![attr(name)], "{name}");
    }
}

#[test]
fn after_import_requester_and_approvers_are_adopted_without_replacement() {
    let imported = GrantState {
        requested_by: Value::Null,
        reason: Value::Null,
        approved_by: Value::Null,
        ..applied()
    };
    let configured = GrantState {
        approved_by: str_list(["manager@example.com".to_string()]),
        ..applied()
    };
    assert!(replace(&imported, &configured).is_empty());
    // Anything that names a different grant still replaces.
    let other = GrantState {
        principal: s("bob@example.com"),
        ..configured
    };
    assert_eq!(replace(&imported, &other), vec![attr("principal")]);
}

#[test]
fn in_place_plans_keep_the_computed_values() {
    let prior = applied();
    let mut planned = GrantState {
        reason: s("Investigate failing lifecycle rule again"),
        ..config()
    };
    apply_defaults(&mut planned);
    copy_fields!(prior => planned; expires_at, granted_at, id, instance_arn,
        permission_set_arn, principal_id, risk, schedule_name, status, approval_required,
        required_approvers);
    assert_eq!(
        planned,
        GrantState {
            reason: s("Investigate failing lifecycle rule again"),
            ..prior
        }
    );
}

#[test]
fn requests_need_every_input_known() {
    let request = Request::from_state(&applied()).unwrap().unwrap();
    assert_eq!(request.principal_type, PrincipalKind::User);
    assert_eq!(request.duration, Duration::from_secs(3600));
    assert_eq!(request.duration_text, "1h");
    assert_eq!(request.approved_by, Vec::<String>::new());
    assert_eq!(request.ticket, None);
    assert!(Request::from_state(&GrantState {
        reason: Value::Unknown,
        ..applied()
    })
    .unwrap()
    .is_none());
    assert!(Request::from_state(&GrantState {
        ticket: Value::Unknown,
        ..applied()
    })
    .unwrap()
    .is_none());
    assert!(Request::from_state(&GrantState {
        principal_type: Value::Unknown,
        ..applied()
    })
    .unwrap()
    .is_none());
    assert_eq!(
        Request::from_state(&GrantState {
            duration: s("1 hour"),
            ..applied()
        })
        .unwrap_err()
        .to_string(),
        "Invalid grant duration"
    );
    let with_unknown_approver = GrantState {
        approved_by: Value::Value(vec![Value::Unknown]),
        ..applied()
    };
    assert!(Request::from_state(&with_unknown_approver)
        .unwrap()
        .is_none());
}

#[test]
fn the_key_comes_from_state() {
    let key = key_of(&applied()).unwrap();
    assert_eq!(key.target_id, "123456789012");
    assert_eq!(key.principal_type, "USER");
    assert_eq!(key.target_type, "AWS_ACCOUNT");
    assert!(key_of(&config()).is_none());
}

#[test]
fn audit_events_carry_the_grant_facts() {
    let state = GrantState {
        approved_by: str_list(["manager@example.com".to_string()]),
        ticket: s("CHG-7"),
        break_glass: Value::Value(true),
        ..applied()
    };
    let event = audit_event("grant.create", &state, result::SUCCESS);
    assert_eq!(event.action, "grant.create");
    assert_eq!(event.resource_type, "jit_grant");
    assert_eq!(
        event.target,
        "USER alice@example.com in 123456789012 with JIT-S3FullAccess"
    );
    assert_eq!(event.actor, "alice@example.com");
    assert_eq!(event.approvers, ["manager@example.com"]);
    assert_eq!(event.ticket, "CHG-7");
    assert!(event.break_glass);
    assert_eq!(event.result, "success");
    assert_eq!(event.details["expires_at"], "2024-05-01T13:00:00Z");
    assert_eq!(event.details["schedule_name"], text(&state.id));
    assert!(!event.details.contains_key("reason"));

    let notice: serde_json::Value = serde_json::from_str(&notice_message(
        &state,
        crate::policy::lease::parse_rfc3339("2024-05-01T13:00:00Z").unwrap(),
    ))
    .unwrap();
    assert_eq!(notice["action"], "grant.expired");
    assert_eq!(notice["time"], "2024-05-01T13:00:00Z");
    assert_eq!(notice["result"], "scheduled");
    assert_eq!(notice["breakGlass"], true);
}

#[test]
fn problems_become_errors_on_their_attribute() {
    let (summary, detail, path) = problem_error(GrantProblem::ApproverIsChangeAuthor {
        index: 2,
        approver: "octocat".into(),
    })
    .into_parts(AttributePath::default());
    assert_eq!(summary, "Approver is the change author");
    assert!(detail.contains("`octocat`"));
    assert_eq!(path, attr("approved_by").index(2));
    let (_, _, path) =
        problem_error(GrantProblem::ZeroDuration).into_parts(AttributePath::default());
    assert_eq!(path, attr("duration"));
}

#[test]
fn durations_round_up_to_whole_seconds() {
    assert_eq!(
        whole_seconds(Duration::from_secs(3600)),
        time::Duration::seconds(3600)
    );
    assert_eq!(
        whole_seconds(Duration::from_millis(1500)),
        time::Duration::seconds(2)
    );
    assert_eq!(
        whole_seconds(Duration::from_millis(1)),
        time::Duration::seconds(1)
    );
}

#[test]
fn standing_assignment_error_points_at_the_principal() {
    let request = Request::from_state(&applied()).unwrap().unwrap();
    let (summary, detail, path) =
        standing_assignment(&request).into_parts(AttributePath::default());
    assert_eq!(summary, "Standing assignment exists");
    assert!(detail.contains("`alice@example.com`") && detail.contains("`JIT-S3FullAccess`"));
    assert_eq!(path, attr("principal"));
}

#[test]
fn assignment_membership_matches_type_and_id() {
    let key = AssignmentKey::new("i", "123456789012", "ps", "USER", "u-1");
    let principals = vec![
        ("GROUP".to_string(), "u-1".to_string()),
        ("USER".to_string(), "u-2".to_string()),
    ];
    assert!(!is_assigned(&principals, &key));
    let mut with_user = principals;
    with_user.push(("USER".into(), "u-1".into()));
    assert!(is_assigned(&with_user, &key));
}

/// A 2h grant under a 1h maximum: the duration is parsed once at plan and
/// the maximum is checked once, so plan reports exactly one error (it used
/// to report "Grant duration over the maximum" twice).
#[test]
fn a_duration_over_the_maximum_is_one_error() {
    let state = GrantState {
        duration: s("2h"),
        ..config()
    };
    // Shape checks know no maximum: no error there.
    assert!(shape_errors(&state).is_empty());
    let duration = parse_duration(&state).unwrap().unwrap();
    let problem =
        check_max_duration(text(&state.duration), duration, Duration::from_secs(3600)).unwrap_err();
    let (summary, detail, path) = problem_error(problem).into_parts(AttributePath::default());
    assert_eq!(summary, "Grant duration over the maximum");
    assert!(
        detail.contains("`2h`") && detail.contains("`1h`"),
        "{detail}"
    );
    assert_eq!(path, attr("duration"));
    // The request carries the same parsed duration; nothing parses it again.
    let request = Request::new(&state, duration).unwrap();
    assert_eq!(request.duration, Duration::from_secs(7200));
}

#[test]
fn plans_mark_every_computed_value_unknown() {
    let mut planned = applied();
    unknown_fields!(planned; id, schedule_name, granted_at, expires_at, instance_arn,
        permission_set_arn, principal_id, risk, approval_required, required_approvers);
    assert_eq!(planned.id, Value::Unknown);
    assert_eq!(planned.required_approvers, Value::Unknown);
    assert_eq!(planned.status, s("ACTIVE"));
    assert_eq!(planned.reason, applied().reason);
}
