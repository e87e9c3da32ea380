use std::collections::BTreeSet;

use super::*;

/// The IAM prefix of each service as `aws/` names it.
const PREFIXES: &[(&str, &str)] = &[
    ("sso-admin", "sso"),
    ("identitystore", "identitystore"),
    ("scheduler", "scheduler"),
    ("iam", "iam"),
    ("cognito-idp", "cognito-idp"),
    ("sns", "sns"),
    ("sts", "sts"),
    ("s3", "s3"),
];

/// Operations authorized by an action of another name.
const RENAMED: &[(&str, &str, &str)] = &[("s3", "ListObjectsV2", "s3:ListBucket")];

#[test]
fn every_need_names_a_listed_action() {
    for component in COMPONENTS {
        for (step, need) in component.all_needs() {
            assert!(
                action(need.action).is_some(),
                "{} ({}) needs `{}`, which ACTIONS does not list",
                component.name,
                step.name(),
                need.action
            );
        }
    }
}

#[test]
fn every_listed_action_is_needed_by_some_step() {
    let needed: BTreeSet<&str> = COMPONENTS
        .iter()
        .flat_map(|c| c.all_needs())
        .map(|(_, n)| n.action)
        .collect();
    for action in ACTIONS {
        assert!(
            needed.contains(action.name),
            "ACTIONS lists `{}` but no component step needs it",
            action.name
        );
    }
}

#[test]
fn names_and_calls_are_unique() {
    let mut names = BTreeSet::new();
    for action in ACTIONS {
        assert!(names.insert(action.name), "`{}` listed twice", action.name);
    }
    let mut seen = BTreeSet::new();
    for (service, operation, _) in calls() {
        assert!(
            seen.insert((service, operation)),
            "{service} {operation} listed twice"
        );
    }
    let mut components = BTreeSet::new();
    for component in COMPONENTS {
        assert!(components.insert(component.name), "{}", component.name);
    }
}

#[test]
fn calls_are_authorized_by_the_action_of_their_name() {
    for (service, operation, action) in calls() {
        let prefix = PREFIXES
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("no IAM prefix known for service `{service}`"));
        let expected = RENAMED
            .iter()
            .find(|(s, o, _)| *s == service && *o == operation)
            .map(|(_, _, a)| a.to_string())
            .unwrap_or_else(|| format!("{prefix}:{operation}"));
        assert_eq!(action, expected, "{service} {operation}");
        assert_eq!(action_of_call(service, operation), Some(action));
    }
    assert_eq!(action_of_call("sso-admin", "NoSuchCall"), None);
}

#[test]
fn dependent_actions_come_with_what_they_depend_on() {
    for action in ACTIONS {
        for origin in action.origins {
            let Origin::Dependent { of, reference } = origin else {
                continue;
            };
            assert!(!reference.is_empty(), "{}: no reference", action.name);
            for name in *of {
                assert!(
                    super::action(name).is_some(),
                    "{}: of `{name}`",
                    action.name
                );
            }
            // Wherever a step needs an action that is only ever a
            // dependent one, it also needs one of the actions it depends on.
            let also_called = action.origins.iter().any(|o| matches!(o, Origin::Calls(_)));
            if also_called {
                continue;
            }
            for component in COMPONENTS {
                for step in Step::ALL {
                    let needs = component.needs(step);
                    if needs.iter().any(|n| n.action == action.name) {
                        assert!(
                            needs.iter().any(|n| of.contains(&n.action)),
                            "{} ({}) needs `{}` without any of {of:?}",
                            component.name,
                            step.name(),
                            action.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn plans_and_imports_write_nothing() {
    for component in COMPONENTS {
        for step in [Step::Plan, Step::Import] {
            for need in component.needs(step) {
                let access = action(need.action).map(|a| a.access);
                assert_ne!(
                    access,
                    Some(Access::Write),
                    "{} in {} ({})",
                    need.action,
                    component.name,
                    step.name()
                );
            }
        }
    }
}

#[test]
fn the_expiry_target_is_the_action_the_revoker_needs() {
    let target = crate::policy::lease::DELETE_ASSIGNMENT_TARGET;
    // arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment
    let mut parts = target.rsplit(':');
    let operation = parts.next().unwrap();
    let service = parts.next().unwrap();
    assert_eq!(service, "ssoadmin");
    let mut chars = operation.chars();
    let first = chars.next().unwrap().to_ascii_uppercase();
    let action_name = format!("sso:{first}{}", chars.as_str());
    let expiry = component("jit_grant expiry").unwrap();
    let needs: Vec<&str> = expiry
        .needs(Step::Expire)
        .iter()
        .map(|n| n.action)
        .collect();
    assert!(needs.contains(&action_name.as_str()), "{needs:?}");
    let listed = action(&action_name).unwrap();
    assert!(listed.origins.iter().any(|o| matches!(
        o,
        Origin::ScheduleTarget { target: t, .. } if *t == target
    )));
}

#[test]
fn steps_are_named_and_ordered() {
    let names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "plan/read",
            "create",
            "update",
            "delete",
            "import",
            "expire"
        ]
    );
    assert!(Step::Plan.runs_in_plan() && Step::Import.runs_in_plan());
    assert!(!Step::Create.runs_in_plan() && !Step::Expire.runs_in_plan());
    let grant = component("jit_grant").unwrap();
    // Groups shared between steps are not repeated within one step.
    let create = grant.needs(Step::Create);
    let unique: BTreeSet<&str> = create.iter().map(|n| n.action).collect();
    assert_eq!(unique.len(), create.len());
    assert!(component("data.jit_access_review").is_some());
    assert!(component("jit_nothing").is_none());
}
