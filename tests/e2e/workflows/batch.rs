//! `check-batch.py`: a merge-queue apply whose group creates or replaces
//! high-risk grants of more than one change (or of another change than the
//! one whose approvals it verifies) is refused before anything is applied.
//! Plans are the recorded `terraform show -json` of a real plan, with the
//! grants' planned `risk` and `change_ref` set per case (the provider does
//! not plan `change_ref` yet).

use super::*;

const THIS: &str = "acme/access#42";
const OTHER: &str = "acme/access#7";

/// The recorded plan of Terraform 1.15.5.
fn recorded_plan() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("plan/plan-1.15.5.json")).unwrap())
        .unwrap()
}

/// One grant change: address, actions, planned risk (None: unknown) and
/// change ref (None: unknown, Some(""): absent).
type Grant<'a> = (&'a str, Value, Option<&'a str>, Option<&'a str>);

/// The recorded plan with its `resource_changes` replaced by `grants`, each
/// a copy of the recorded create of `jit_grant.emergency`.
fn plan_with(grants: &[Grant]) -> Value {
    let mut plan = recorded_plan();
    let template = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "jit_grant.emergency")
        .unwrap()
        .clone();
    let changes: Vec<Value> = grants
        .iter()
        .map(|(address, actions, risk, change_ref)| {
            let mut change = template.clone();
            change["address"] = json!(address);
            change["change"]["actions"] = actions.clone();
            match risk {
                Some(risk) => change["change"]["after"]["risk"] = json!(risk),
                None => {
                    change["change"]["after"]
                        .as_object_mut()
                        .unwrap()
                        .remove("risk");
                    change["change"]["after_unknown"]["risk"] = json!(true);
                }
            }
            match change_ref {
                Some("") => {}
                Some(r) => change["change"]["after"]["change_ref"] = json!(r),
                None => change["change"]["after_unknown"]["change_ref"] = json!(true),
            }
            change
        })
        .collect();
    plan["resource_changes"] = json!(changes);
    plan
}

fn check(scratch: &Scratch, plan: &Value, extra: &[&str]) -> Run {
    let path = scratch.put_json("plan.json", plan);
    let mut args = vec!["--plan", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    script("check-batch.py", &args, &scratch.dir)
}

fn queue(scratch: &Scratch, grants: &[Grant]) -> Run {
    check(
        scratch,
        &plan_with(grants),
        &["--merge-group", "--change-ref", THIS],
    )
}

#[test]
fn batch_guard_refuses_a_group_with_high_risk_grants_of_several_changes() {
    let scratch = Scratch::new("batch-several");
    let create = json!(["create"]);
    let run = queue(
        &scratch,
        &[
            ("jit_grant.a", create.clone(), Some("high"), Some(THIS)),
            ("jit_grant.b", create.clone(), Some("high"), Some(OTHER)),
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("::error::check-batch: this apply creates or replaces high-risk grants of 2 changes (acme/access#42, acme/access#7); one JIT_CHANGE_REF"),
        "{}",
        run.stderr
    );
    // A replacement is a creation too, either order.
    for replace in [json!(["delete", "create"]), json!(["create", "delete"])] {
        let run = queue(
            &scratch,
            &[
                ("jit_grant.a", create.clone(), Some("high"), Some(THIS)),
                ("jit_grant.b", replace, Some("high"), Some(OTHER)),
            ],
        );
        assert_eq!(run.code, 1, "{run:?}");
    }
    // Unknown values count as changes of their own: two unknown change refs
    // cannot be shown to be one change, and an unknown risk may be high.
    let run = queue(
        &scratch,
        &[
            ("jit_grant.a", create.clone(), Some("high"), None),
            ("jit_grant.b", create.clone(), Some("high"), None),
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let run = queue(
        &scratch,
        &[
            ("jit_grant.a", create.clone(), Some("high"), Some(THIS)),
            ("jit_grant.b", create, None, Some(OTHER)),
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("jit_grant.b: (known after apply) risk, change_ref acme/access#7"),
        "{}",
        run.stderr
    );
}

#[test]
fn batch_guard_refuses_a_group_whose_grants_belong_to_another_change() {
    let scratch = Scratch::new("batch-other");
    let run = queue(
        &scratch,
        &[("jit_grant.b", json!(["create"]), Some("high"), Some(OTHER))],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("high-risk grants of change acme/access#7, but verifies the approvals of acme/access#42"), "{}", run.stderr);
    // The real recorded plan: a high-risk grant with no change_ref at all.
    let run = check(
        &scratch,
        &recorded_plan(),
        &["--merge-group", "--change-ref", THIS],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("jit_grant.emergency: high risk, change_ref (none)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("grants of change (none), but verifies the approvals of acme/access#42"),
        "{}",
        run.stderr
    );
}

#[test]
fn batch_guard_lets_one_change_and_everything_else_through() {
    let scratch = Scratch::new("batch-ok");
    let create = json!(["create"]);
    // Several high-risk grants of the change itself; low-risk grants and
    // in-place updates of others; a destroy.
    let run = queue(
        &scratch,
        &[
            ("jit_grant.a", create.clone(), Some("high"), Some(THIS)),
            (
                "module.env.jit_grant.b[\"x\"]",
                json!(["delete", "create"]),
                Some("high"),
                Some(THIS),
            ),
            ("jit_grant.c", create, Some("low"), Some(OTHER)),
            ("jit_grant.d", json!(["update"]), Some("high"), Some(OTHER)),
            ("jit_grant.e", json!(["delete"]), Some("high"), Some(OTHER)),
            ("jit_grant.f", json!(["no-op"]), Some("high"), Some("")),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("every high-risk grant created or replaced belongs to acme/access#42"),
        "{}",
        run.stderr
    );
    let run = queue(&scratch, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("no high-risk grant is created or replaced"),
        "{}",
        run.stderr
    );
}

#[test]
fn batch_guard_only_reports_outside_a_merge_queue() {
    let scratch = Scratch::new("batch-push");
    let plan = plan_with(&[
        ("jit_grant.a", json!(["create"]), Some("high"), Some(THIS)),
        ("jit_grant.b", json!(["create"]), Some("high"), Some(OTHER)),
    ]);
    let run = check(&scratch, &plan, &["--change-ref", THIS]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(
            "::notice::check-batch: this apply creates or replaces high-risk grants of 2 changes"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn batch_guard_rejects_bad_input_and_escapes_what_the_change_wrote() {
    let scratch = Scratch::new("batch-bad");
    let run = check(&scratch, &json!(["not", "a", "plan"]), &["--merge-group"]);
    assert_eq!(run.code, 2, "{run:?}");
    scratch.put("broken.json", "{");
    let run = script(
        "check-batch.py",
        &["--plan", "broken.json", "--merge-group"],
        &scratch.dir,
    );
    assert_eq!(run.code, 2, "{run:?}");
    // A change ref is text from the pull request: it cannot start a
    // workflow command on a line of its own.
    let run = queue(
        &scratch,
        &[(
            "jit_grant.a",
            json!(["create"]),
            Some("high"),
            Some("x\n::add-mask::y%0A"),
        )],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        !run.stderr.lines().any(|l| l.starts_with("::add-mask::")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("x%0A::add-mask::y%250A"),
        "{}",
        run.stderr
    );
}
