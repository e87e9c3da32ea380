//! Unit tests of what `jit_grant` adds for four eyes a change cannot get
//! around: `change_ref`, the audit of what a refresh observed (written by
//! the next apply), attested audit events and the break-glass notice.

use tf_provider::value::Value;

use super::approval::Attestation;
use super::events::{
    attest, audit_event, audited_status_after_apply, break_glass_notice, observed_action, IMPORTED,
};
use super::plan::{apply_defaults, check_shape, replacements, Request};
use super::GrantState;
use crate::audit::result;
use crate::audit::v1::Approver;
use crate::error::attr;
use crate::values::str_list;

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}

fn applied() -> GrantState {
    let mut state = GrantState {
        account_id: s("123456789012"),
        duration: s("1h"),
        permission_set: s("JIT-EmergencyAdmin"),
        principal: s("alice@example.com"),
        reason: s("Restore the deleted key policy"),
        requested_by: s("alice@example.com"),
        approved_by: str_list(["manager@example.com".to_string()]),
        change_ref: s("acme/access#42"),
        ..GrantState::default()
    };
    apply_defaults(&mut state);
    state.id = s("jit-0123456789abcdef-fedcba9876543210");
    state.schedule_name = state.id.clone();
    state.status = s("ACTIVE");
    state.audited_status = s("ACTIVE");
    state.risk = s("high");
    state
}

#[test]
fn change_ref_updates_in_place_and_is_compared_exactly() {
    let prior = applied();
    let planned = GrantState {
        change_ref: s("acme/access#43"),
        ..applied()
    };
    assert!(replacements(&prior, &planned, check_shape(&planned).0).is_empty());
    let request = Request::from_state(&planned).unwrap().unwrap();
    assert_eq!(request.change_ref.as_deref(), Some("acme/access#43"));
    let unset = Request::from_state(&GrantState {
        change_ref: Value::Null,
        ..applied()
    })
    .unwrap()
    .unwrap();
    assert_eq!(unset.change_ref, None);
    // Unknown until another resource is applied: no request yet.
    assert!(Request::from_state(&GrantState {
        change_ref: Value::Unknown,
        ..applied()
    })
    .unwrap()
    .is_none());
    for bad in ["", "  ", " acme/access#42", "acme/access#42\n"] {
        let errors = check_shape(&GrantState {
            change_ref: s(bad),
            ..applied()
        })
        .1
         .0;
        assert_eq!(errors.len(), 1, "{bad:?}");
        let (summary, _, path) = errors
            .into_iter()
            .next()
            .unwrap()
            .into_parts(Default::default());
        assert_eq!(
            (summary.as_str(), path),
            ("Blank or padded `change_ref`", attr("change_ref"))
        );
    }
    assert!(check_shape(&applied()).1 .0.is_empty());
}

#[test]
fn observations_and_imports_are_audited_by_the_next_apply() {
    let cases = [
        (Some("ACTIVE"), Some("ACTIVE"), None),
        (Some("ACTIVE"), Some("EXPIRED"), Some("grant.expired")),
        (Some("OVERDUE"), Some("EXPIRED"), Some("grant.expired")),
        (
            Some("ACTIVE"),
            Some("REVOKED"),
            Some("grant.revoked_outside"),
        ),
        (Some("ACTIVE"), Some("OVERDUE"), Some("grant.overdue")),
        (Some(IMPORTED), Some("ACTIVE"), Some("grant.import")),
        (Some(IMPORTED), Some("EXPIRED"), Some("grant.import")),
        (Some("EXPIRED"), Some("EXPIRED"), None),
        (Some("ACTIVE"), None, None),
        (Some("ACTIVE"), Some("bogus"), None),
    ];
    for (audited, status, expected) in cases {
        assert_eq!(
            observed_action(audited, status),
            expected,
            "{audited:?} {status:?}"
        );
    }
    // The plan of an unchanged grant whose refresh found it expired: an
    // in-place update of `audited_status` to what the refresh found.
    let refreshed = GrantState {
        status: s("EXPIRED"),
        ..applied()
    };
    assert_eq!(audited_status_after_apply(&refreshed), s("EXPIRED"));
    assert_eq!(audited_status_after_apply(&applied()), s("ACTIVE"));
    let unknown = GrantState {
        status: Value::Unknown,
        ..applied()
    };
    assert_eq!(audited_status_after_apply(&unknown), s("ACTIVE"));
}

#[test]
fn events_record_who_asked_who_verified_and_the_change() {
    let mut event = audit_event("grant.create", &applied(), result::SUCCESS);
    assert_eq!(event.details["change_ref"], "acme/access#42");
    let attestation = Attestation {
        actor_id: "u-alice".into(),
        verified: vec![Approver {
            name: "manager@example.com".into(),
            user_id: "u-manager".into(),
        }],
    };
    attest(&mut event, &attestation);
    let json: serde_json::Value = serde_json::to_value(&event).unwrap();
    assert_eq!(json["actorId"], "u-alice");
    assert_eq!(json["verifiedApprovers"][0]["name"], "manager@example.com");
    assert_eq!(json["verifiedApprovers"][0]["userId"], "u-manager");
    assert_eq!(json["approvers"][0], "manager@example.com");
}

#[test]
fn the_break_glass_notice_is_its_own_message() {
    let state = GrantState {
        break_glass: Value::Value(true),
        ticket: s("INC-9"),
        approved_by: Value::Null,
        principal: s("bøb@example.com"),
        ..applied()
    };
    let (subject, message) = break_glass_notice(
        &state,
        &Attestation {
            actor_id: "u-bob".into(),
            verified: Vec::new(),
        },
    );
    assert!(
        subject.starts_with(
            "BREAK-GLASS b b@example.com got JIT-EmergencyAdmin in 123456789012 (INC-9)"
        ),
        "{subject}"
    );
    assert!(subject.is_ascii() && subject.len() <= 100);
    let long = GrantState {
        reason: s("x"),
        permission_set: s(&"P".repeat(200)),
        ..state.clone()
    };
    assert_eq!(
        break_glass_notice(&long, &Attestation::default()).0.len(),
        100
    );
    let event: serde_json::Value = serde_json::from_str(&message).unwrap();
    assert_eq!(event["action"], "grant.break_glass");
    assert_eq!(event["result"], "notice");
    assert_eq!(event["breakGlass"], true);
    assert_eq!(event["ticket"], "INC-9");
    assert_eq!(event["actorId"], "u-bob");
}

#[test]
fn a_check_aws_could_not_answer_is_a_failure_not_a_refusal() {
    use super::approval::Refusal;
    use crate::error::Error;
    let throttled = Error::Aws {
        service: "identitystore",
        operation: "ListUsers",
        code: Some("ThrottlingException".into()),
        message: "Rate exceeded".into(),
        request_id: None,
    };
    assert!(Refusal::from(throttled.at(attr("approved_by"))).is_failure());
    let unverified = Error::invalid(
        attr("approved_by"),
        "Approval not verified",
        "`bob@example.com` did not approve this change",
    );
    assert!(!Refusal::from(unverified).is_failure());
}
