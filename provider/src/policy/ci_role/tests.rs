use serde_json::Value;

use super::*;

const ACCOUNT: &str = "123456789012";
const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1111111111111111";

fn scope() -> RoleScope {
    RoleScope {
        account_id: ACCOUNT.into(),
        region: Some("eu-west-1".into()),
        instance_arn: Some(INSTANCE.into()),
        identity_store_id: Some("d-1111111111".into()),
        schedule_group: "jit-grants".into(),
        revoker_role_arn: Some("arn:aws:iam::123456789012:role/jit-revoker".into()),
        ..RoleScope::default()
    }
}

fn statements(document: &PolicyDocument) -> Vec<Value> {
    let json: Value = serde_json::from_str(&document.to_json()).unwrap();
    json["Statement"].as_array().unwrap().clone()
}

fn actions_of(document: &PolicyDocument) -> Vec<String> {
    let mut actions: Vec<String> = statements(document)
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    actions.sort();
    actions
}

fn statement<'a>(statements: &'a [Value], sid: &str) -> &'a Value {
    statements
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid}: {statements:#?}"))
}

#[test]
fn the_plan_role_reads_only() {
    let plan = ci_role_policy(CiRole::Plan, &scope()).unwrap();
    let actions = actions_of(&plan);
    for action in &actions {
        let listed = crate::policy::actions::action(action).unwrap();
        assert_eq!(listed.access, Access::Read, "{action}");
    }
    // The calls the old hand-written guide missed are there.
    for needed in [
        "scheduler:ListSchedules",
        "iam:ListUserPolicies",
        "identitystore:GetGroupMembershipId",
        "identitystore:DescribeGroupMembership",
        "sso:ListAccountAssignments",
    ] {
        if needed == "identitystore:GetGroupMembershipId" {
            // Looked up only when a membership is created.
            assert!(!actions.contains(&needed.to_string()));
            continue;
        }
        assert!(actions.contains(&needed.to_string()), "{needed}");
    }
    assert!(!actions
        .iter()
        .any(|a| a == "sns:Publish" || a == "iam:PassRole"));
    assert!(!actions.iter().any(|a| a == "sts:GetCallerIdentity"));
}

#[test]
fn the_apply_role_has_every_terraform_step_and_no_expiry_only_action() {
    let apply = ci_role_policy(CiRole::Apply, &scope()).unwrap();
    let actions = actions_of(&apply);
    for needed in [
        "sso:CreateAccountAssignment",
        "sso:DeleteAccountAssignment",
        "scheduler:CreateSchedule",
        "iam:PassRole",
        "identitystore:GetGroupMembershipId",
        "cognito-idp:AdminUserGlobalSignOut",
    ] {
        assert!(actions.contains(&needed.to_string()), "{needed}");
    }
    // Gated off by default: the topic, the group creation, the management
    // account, the DLQ (the revoker's).
    for absent in [
        "sns:Publish",
        "scheduler:CreateScheduleGroup",
        "iam:CreateRole",
        "sqs:SendMessage",
    ] {
        assert!(!actions.contains(&absent.to_string()), "{absent}");
    }
    let statements = statements(&apply);
    let pass = statement(&statements, "PassRevokerRoleToScheduler");
    assert_eq!(pass["Action"], "iam:PassRole");
    assert_eq!(
        pass["Resource"],
        "arn:aws:iam::123456789012:role/jit-revoker"
    );
    assert_eq!(
        pass["Condition"]["StringEquals"]["iam:PassedToService"],
        "scheduler.amazonaws.com"
    );
    // ListSchedules supports no resource-level permissions.
    let everything = statement(&statements, "NoResourceLevelPermissions");
    assert_eq!(everything["Resource"], "*");
    assert!(everything["Action"]
        .as_array()
        .unwrap()
        .contains(&Value::from("scheduler:ListSchedules")));
    let schedules = statement(&statements, "LeaseSchedules");
    assert_eq!(
        schedules["Resource"],
        "arn:aws:scheduler:eu-west-1:123456789012:schedule/jit-grants/*"
    );
    let center = statement(&statements, "IdentityCenter");
    assert_eq!(
        center["Resource"],
        serde_json::json!([
            INSTANCE,
            "arn:aws:sso:::permissionSet/ssoins-1111111111111111/*",
            "arn:aws:sso:::account/*"
        ])
    );
}

#[test]
fn gates_open_with_their_inputs() {
    let wide = RoleScope {
        notification_topic_arn: Some("arn:aws:sns:eu-west-1:123456789012:jit-access".into()),
        dead_letter_queue_arn: Some("arn:aws:sqs:eu-west-1:123456789012:jit-dlq".into()),
        create_schedule_group: true,
        management_account_assignments: true,
        target_account_ids: Some(vec!["210987654321".into()]),
        iam_group_name_prefixes: Some(vec!["hera".into()]),
        user_pool_ids: Some(vec!["eu-west-1_AbCdEf".into()]),
        ..scope()
    };
    let apply = ci_role_policy(CiRole::Apply, &wide).unwrap();
    let actions = actions_of(&apply);
    for present in [
        "sns:Publish",
        "scheduler:CreateScheduleGroup",
        "iam:CreateRole",
        "iam:CreateSAMLProvider",
    ] {
        assert!(actions.contains(&present.to_string()), "{present}");
    }
    assert!(!actions.contains(&"sqs:SendMessage".to_string()));
    let statements = statements(&apply);
    assert_eq!(
        statement(&statements, "IdentityCenterRolesInThisAccount")["Resource"],
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"
    );
    assert_eq!(
        statement(&statements, "IamEnvironmentGroups")["Resource"],
        "arn:aws:iam::123456789012:group/hera-*"
    );
    assert_eq!(
        statement(&statements, "IamGroupsOfBlockedUsers")["Resource"],
        "arn:aws:iam::123456789012:group/*"
    );
    assert_eq!(
        statement(&statements, "CognitoUserPools")["Resource"],
        "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf"
    );
    assert!(statement(&statements, "IdentityCenter")["Resource"]
        .as_array()
        .unwrap()
        .contains(&Value::from("arn:aws:sso:::account/210987654321")));
    // The plan role never gets a write, whatever the gates.
    let plan = ci_role_policy(CiRole::Plan, &wide).unwrap();
    assert!(!actions_of(&plan).contains(&"sns:Publish".to_string()));
}

#[test]
fn components_narrow_the_policy() {
    let blocks_only = RoleScope {
        components: Some(vec!["jit_user_block".into()]),
        revoker_role_arn: None,
        ..scope()
    };
    let apply = ci_role_policy(CiRole::Apply, &blocks_only).unwrap();
    let actions = actions_of(&apply);
    assert!(actions.contains(&"iam:PutUserPolicy".to_string()));
    // Blocks reach Identity Center (the `identity_center` kind) and read
    // leases, but never write one or pass the revoker role.
    assert!(actions.contains(&"sso:PutInlinePolicyToPermissionSet".to_string()));
    assert!(!actions.iter().any(|a| matches!(
        a.as_str(),
        "scheduler:CreateSchedule"
            | "scheduler:UpdateSchedule"
            | "scheduler:DeleteSchedule"
            | "iam:PassRole"
    )));
    // Without grants no revoker role is needed; with them it is.
    let grants = RoleScope {
        components: Some(vec!["jit_grant".into()]),
        revoker_role_arn: None,
        ..scope()
    };
    assert_eq!(
        ci_role_policy(CiRole::Apply, &grants).unwrap_err(),
        CiRoleError::NoRevokerRole
    );
    // A plan role needs no revoker role.
    assert!(ci_role_policy(CiRole::Plan, &grants).is_ok());
    let unknown = RoleScope {
        components: Some(vec!["jit_nothing".into()]),
        ..scope()
    };
    let error = ci_role_policy(CiRole::Plan, &unknown).unwrap_err();
    assert!(error.to_string().contains("`jit_nothing`"));
    assert!(error.hint().contains("`data.jit_access_review`"));
    // Data sources with no AWS call need nothing.
    let pure = RoleScope {
        components: Some(vec!["data.jit_role_policy".into()]),
        ..scope()
    };
    assert!(actions_of(&ci_role_policy(CiRole::Apply, &pure).unwrap()).is_empty());
}

#[test]
fn the_revoker_deletes_assignments_and_reaches_its_topic_and_queue() {
    let bare = revoker_policy(&scope()).unwrap();
    assert_eq!(actions_of(&bare), ["sso:DeleteAccountAssignment"]);
    let full = RoleScope {
        notification_topic_arn: Some("arn:aws:sns:eu-west-1:123456789012:jit-access".into()),
        dead_letter_queue_arn: Some("arn:aws:sqs:eu-west-1:123456789012:jit-dlq".into()),
        ..scope()
    };
    let policy = revoker_policy(&full).unwrap();
    assert_eq!(
        actions_of(&policy),
        [
            "sns:Publish",
            "sqs:SendMessage",
            "sso:DeleteAccountAssignment"
        ]
    );
    let statements = statements(&policy);
    assert_eq!(
        statement(&statements, "ExpiryDeadLetterQueue")["Resource"],
        "arn:aws:sqs:eu-west-1:123456789012:jit-dlq"
    );
    assert!(!policy.to_json().contains("\"*\""), "{}", policy.to_json());
}

#[test]
fn state_statements_let_the_plan_role_write_only_the_lock() {
    let with_state = RoleScope {
        state: Some(StateBackend {
            bucket: "tfstate".into(),
            key: "access/terraform.tfstate".into(),
            lock_table: None,
        }),
        ..scope()
    };
    let plan = statements(&ci_role_policy(CiRole::Plan, &with_state).unwrap());
    assert_eq!(statement(&plan, "TerraformState")["Action"], "s3:GetObject");
    assert_eq!(
        statement(&plan, "TerraformStateLockFile")["Resource"],
        "arn:aws:s3:::tfstate/access/terraform.tfstate.tflock"
    );
    let apply = statements(&ci_role_policy(CiRole::Apply, &with_state).unwrap());
    assert_eq!(
        statement(&apply, "TerraformState")["Action"],
        serde_json::json!(["s3:GetObject", "s3:PutObject"])
    );
    let dynamo = RoleScope {
        state: Some(StateBackend {
            bucket: "tfstate".into(),
            key: "k".into(),
            lock_table: Some("locks".into()),
        }),
        ..scope()
    };
    let plan = statements(&ci_role_policy(CiRole::Plan, &dynamo).unwrap());
    assert_eq!(
        statement(&plan, "TerraformStateLockTable")["Resource"],
        "arn:aws:dynamodb:*:*:table/locks"
    );
}

#[test]
fn policies_are_byte_stable_and_fit_a_role() {
    let a = ci_role_policy(CiRole::Apply, &scope()).unwrap();
    let b = ci_role_policy(CiRole::Apply, &scope()).unwrap();
    assert_eq!(a.to_json(), b.to_json());
    assert!(a.size_without_whitespace() <= ROLE_INLINE_POLICY_LIMIT);
    let unknown = RoleScope {
        region: None,
        instance_arn: None,
        identity_store_id: None,
        ..scope()
    };
    let json = ci_role_policy(CiRole::Apply, &unknown).unwrap().to_json();
    assert!(json.contains("arn:aws:sso:::instance/*"), "{json}");
    assert!(json.contains("arn:aws:scheduler:*:123456789012:schedule/jit-grants/*"));
    assert!(json.contains("identitystore::123456789012:identitystore/*"));
}

#[test]
fn github_trust_names_one_subject() {
    assert_eq!(
        github_subject(CiRole::Plan, "acme/access", "ignored"),
        "repo:acme/access:pull_request"
    );
    assert_eq!(
        github_subject(CiRole::Apply, "acme/access", DEFAULT_APPLY_ENVIRONMENT),
        "repo:acme/access:environment:jit-apply"
    );
    let provider = github_oidc_provider_arn("aws", ACCOUNT);
    assert_eq!(
        provider,
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    );
    let trust: Value = serde_json::from_str(&github_trust_policy(
        &provider,
        "repo:acme/access:pull_request",
    ))
    .unwrap();
    let statement = &trust["Statement"][0];
    assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(statement["Principal"]["Federated"], provider);
    assert_eq!(
        statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"],
        "repo:acme/access:pull_request"
    );
    assert_eq!(
        statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"],
        "sts.amazonaws.com"
    );
    assert!(statement["Condition"].get("StringLike").is_none());
}

#[test]
fn repositories_and_environments_are_checked() {
    assert!(is_github_repository("acme/access"));
    assert!(is_github_repository("Acme-1/access.infra_x"));
    for bad in [
        "acme", "acme/", "/access", "acme/a/b", "acme/*", "acme/a b", "",
    ] {
        assert!(!is_github_repository(bad), "{bad}");
    }
    assert!(is_github_environment("jit-apply"));
    for bad in ["", "jit-*", "a:b", "x\ny"] {
        assert!(!is_github_environment(bad), "{bad:?}");
    }
    assert_eq!(CiRole::parse("plan"), Some(CiRole::Plan));
    assert_eq!(CiRole::parse("apply").map(CiRole::as_str), Some("apply"));
    assert_eq!(CiRole::parse("admin"), None);
}

#[test]
fn the_s3_audit_log_is_reached_only_when_set_and_only_under_its_prefix() {
    let without = ci_role_actions(CiRole::Apply, &scope()).unwrap();
    assert!(!without.iter().any(|a| a.starts_with("s3:")), "{without:?}");
    let with = RoleScope {
        audit_s3: Some(("example-jit-audit".into(), "prod/".into())),
        ..scope()
    };
    let actions = ci_role_actions(CiRole::Apply, &with).unwrap();
    for action in ["s3:GetObject", "s3:ListBucket", "s3:PutObject"] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    assert!(!actions.contains(&"s3:DeleteObject"), "{actions:?}");
    let json = ci_role_policy(CiRole::Apply, &with).unwrap().to_json();
    assert!(
        json.contains("arn:aws:s3:::example-jit-audit/prod/*"),
        "{json}"
    );
    // A plan never writes the audit log.
    let plan = ci_role_actions(CiRole::Plan, &with).unwrap();
    assert!(!plan.iter().any(|a| a.starts_with("s3:")), "{plan:?}");
}

#[test]
fn end_sessions_actions_only_with_the_option() {
    let grants = RoleScope {
        components: Some(vec!["jit_grant".into()]),
        ..scope()
    };
    let writes = [
        "sso:PutInlinePolicyToPermissionSet",
        "sso:DeleteInlinePolicyFromPermissionSet",
        "sso:ProvisionPermissionSet",
    ];
    let without = actions_of(&ci_role_policy(CiRole::Apply, &grants).unwrap());
    for action in writes {
        assert!(!without.contains(&action.to_string()), "{action}");
    }
    let ends = RoleScope {
        end_sessions_on_revoke: true,
        ..grants
    };
    let with = actions_of(&ci_role_policy(CiRole::Apply, &ends).unwrap());
    for action in writes
        .iter()
        .chain(&["sso:GetInlinePolicyForPermissionSet"])
    {
        assert!(with.contains(&action.to_string()), "{action}");
    }
    // The plan role never gets a write, with the option or not.
    let plan = actions_of(&ci_role_policy(CiRole::Plan, &ends).unwrap());
    for action in writes {
        assert!(!plan.contains(&action.to_string()), "{action}");
    }
}
