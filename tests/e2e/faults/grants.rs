//! Grants and IAM blocks under faults, with the invariant checks, and a
//! grant applied under moto's IAM enforcement.

use super::*;

const REVOKER: &str = "arn:aws:iam::123456789012:role/jit-revoker";

/// Identity Center users (each with an email) and the low-risk permission
/// set `JIT-S3FullAccess`.
pub(super) fn grant_fixture(aws: &Aws, users: &[&str]) {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = &instances.instances()[0];
        let store = instance.identity_store_id().unwrap();
        for name in users {
            let user_name = format!("{name}@example.com");
            aws.create_identity_center_user(store, &user_name, name, &user_name)
                .await;
        }
        sso.create_permission_set()
            .instance_arn(instance.instance_arn().unwrap())
            .name("JIT-S3FullAccess")
            .session_duration("PT1H")
            .send()
            .await
            .unwrap();
    });
}

pub(super) fn grant_policy() -> String {
    format!(
        "  revoker_role_arn = \"{REVOKER}\"\n  grant_policy {{\n    max_duration = \"1h\"\n    permission_set {{\n      name = \"JIT-S3FullAccess\"\n      risk = \"low\"\n    }}\n  }}\n"
    )
}

pub(super) fn grant(name: &str, who: &str) -> String {
    format!(
        "\nresource \"jit_grant\" \"{name}\" {{\n  principal      = \"{who}@example.com\"\n  account_id     = \"{}\"\n  permission_set = \"JIT-S3FullAccess\"\n  duration       = \"1h\"\n  reason         = \"Investigate failing lifecycle rule\"\n  requested_by   = \"{who}@example.com\"\n}}\n",
        tests::invariants::DEFAULT_ACCOUNT
    )
}

tftest!(
    faults_grant_survives_throttling_and_slow_assignments,
    |tf, aws| {
        grant_fixture(aws, &["alice"]);
        let check = LeaseCheck::before(aws);
        let proxy = Proxy::start(moto_port(aws));
        tf.write_main(&[
            &provider_via(tf, &proxy, &grant_policy()),
            &grant("g", "alice"),
        ]);
        tf.init();
        let create = Match::op("CreateAccountAssignment");
        proxy.inject(
            Match::route("POST", "/schedules/jit-"),
            When::first(1),
            Fault::Throttle,
        );
        proxy.inject(
            Match::op("ListSchedules"),
            When::first(1),
            Fault::ServerError(503),
        );
        proxy.inject(create.clone(), When::first(1), Fault::Throttle);
        // The retry (second matching call) stays IN_PROGRESS for two polls.
        proxy.inject(
            create.clone(),
            When::nth(2),
            Fault::InProgress { answers: Some(3) },
        );
        tf.apply();
        assert_eq!(
            outcomes(&proxy, "CreateAccountAssignment")
                .into_iter()
                .map(|(status, _)| status)
                .collect::<Vec<_>>(),
            [Some(400), Some(200)]
        );
        // Three answers IN_PROGRESS (the call's and two polls), then moto's.
        let polls = outcomes(&proxy, "DescribeAccountAssignmentCreationStatus");
        let scripted = Some("scripted IN_PROGRESS".to_string());
        assert_eq!(
            polls,
            [
                (Some(200), scripted.clone()),
                (Some(200), scripted),
                (Some(200), None)
            ]
        );
        assert_eq!(tf.resource("jit_grant.g")["status"], "ACTIVE");
        check.assert_holds(aws, "after the faulted apply");
        proxy.clear_faults();
        tf.assert_plan_empty();
        tf.destroy();
        check.assert_holds(aws, "after destroy");
        assert!(tests::invariants::assignments(aws, &check.accounts).is_empty());
    }
);

tftest!(
    faults_grant_assignment_statuses_from_the_proxy,
    |tf, aws| {
        // Several grants, Identity Center limiting concurrent creations: each
        // creation is held IN_PROGRESS for a second and a third one at a time
        // is throttled. The provider's retries get every grant through.
        grant_fixture(aws, &["alice", "bob", "carol"]);
        let check = LeaseCheck::before(aws);
        let proxy = Proxy::start(moto_port(aws));
        tf.write_main(&[
            &provider_via(tf, &proxy, &grant_policy()),
            &grant("a", "alice"),
            &grant("b", "bob"),
            &grant("c", "carol"),
        ]);
        tf.init();
        proxy.limit_assignment_creations(2, Duration::from_secs(1));
        tf.apply();
        check.assert_holds(aws, "after the limited apply");
        let polls = proxy.count(&Match::op("DescribeAccountAssignmentCreationStatus"));
        assert!(
            polls >= 3,
            "every creation was polled while IN_PROGRESS: {polls}"
        );
        proxy.clear_faults();
        tf.assert_plan_empty();
        tf.destroy();
        check.assert_holds(aws, "after destroy");
    }
);

tftest!(
    faults_grant_lost_assignment_response_keeps_the_lease,
    |tf, aws| {
        grant_fixture(aws, &["alice"]);
        let check = LeaseCheck::before(aws);
        let proxy = Proxy::start(moto_port(aws));
        tf.write_main(&[
            &provider_via(tf, &proxy, &grant_policy()),
            &grant("g", "alice"),
        ]);
        tf.init();
        // Identity Center accepts the assignment; its answer is lost.
        proxy.inject(
            Match::op("CreateAccountAssignment"),
            When::nth(1),
            Fault::LoseResponse,
        );
        let _ = tf.run(&["apply", "-auto-approve", "-no-color"]);
        check.assert_holds(aws, "after the apply whose answer was lost");
        proxy.clear_faults();
        tf.apply();
        check.assert_holds(aws, "after the clean re-apply");
        tf.assert_plan_empty();
    }
);

tftest!(
    faults_grant_throttled_status_poll_keeps_the_lease,
    |tf, aws| {
        grant_fixture(aws, &["alice"]);
        let check = LeaseCheck::before(aws);
        let proxy = Proxy::start(moto_port(aws));
        tf.write_main(&[
            &provider_via(tf, &proxy, &grant_policy()),
            &grant("g", "alice"),
        ]);
        tf.init();
        proxy.inject(
            Match::op("CreateAccountAssignment"),
            When::nth(1),
            Fault::InProgress { answers: Some(2) },
        );
        proxy.inject(
            Match::op("DescribeAccountAssignmentCreationStatus"),
            When::every(),
            Fault::Throttle,
        );
        let _ = tf.run(&["apply", "-auto-approve", "-no-color"]);
        check.assert_holds(aws, "after the apply whose status polls were throttled");
        proxy.clear_faults();
        tf.apply();
        check.assert_holds(aws, "after the clean re-apply");
        tf.assert_plan_empty();
    }
);

#[test]
fn invariant_checker_reports_unleased_and_dead_leases() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.endpoint());
    let (instance, set) = sso_fixture(&aws);
    // A standing assignment before the test is fine.
    assignment_call(&aws, true, &instance, &set, "standing").unwrap();
    let check = LeaseCheck::before(&aws);
    assert_eq!(check.standing.len(), 1);
    check.assert_holds(&aws, "with only a standing assignment");
    // One made during the test without a lease is reported.
    assignment_call(&aws, true, &instance, &set, "u-1").unwrap();
    let key = |principal: &str| {
        terraform_provider_jit::policy::lease::AssignmentKey::new(
            &instance,
            tests::invariants::DEFAULT_ACCOUNT,
            &set,
            "USER",
            principal,
        )
    };
    let violations = check.violations(&aws);
    assert!(
        matches!(violations.as_slice(), [tests::invariants::Violation::Unleased(a)] if a.principal_id == "u-1"),
        "{violations:?}"
    );
    // Leases: an enabled one in the future makes it right; a disabled or
    // expired one does not.
    aws.run(
        aws.clients
            .scheduler
            .create_schedule_group()
            .name("jit-grants")
            .send(),
    )
    .unwrap();
    let lease = |principal: &str, grant: &str, at: &str, enabled: bool| {
        let key = key(principal);
        aws.run(
            aws.clients
                .scheduler
                .create_schedule()
                .group_name("jit-grants")
                .name(key.lease_name(grant))
                .schedule_expression(format!("at({at})"))
                .state(if enabled {
                    aws_sdk_scheduler::types::ScheduleState::Enabled
                } else {
                    aws_sdk_scheduler::types::ScheduleState::Disabled
                })
                .flexible_time_window(
                    FlexibleTimeWindow::builder()
                        .mode(FlexibleTimeWindowMode::Off)
                        .build()
                        .unwrap(),
                )
                .target(
                    Target::builder()
                        .arn("arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment")
                        .role_arn(REVOKER)
                        .input(key.to_input())
                        .build()
                        .unwrap(),
                )
                .send(),
        )
        .unwrap();
    };
    lease("u-1", "00000000000000a1", "2099-01-01T00:00:00", true);
    check.assert_holds(&aws, "with a live lease");
    assignment_call(&aws, true, &instance, &set, "u-2").unwrap();
    lease("u-2", "00000000000000b1", "2099-01-01T00:00:00", false);
    lease("u-2", "00000000000000b2", "2001-01-01T00:00:00", true);
    let violations = check.violations(&aws);
    assert!(
        matches!(
            violations.as_slice(),
            [tests::invariants::Violation::NoLiveLease { assignment, leases }]
                if assignment.principal_id == "u-2" && leases.len() == 2
        ),
        "{violations:?}"
    );
    // A lease whose assignment is gone is fine.
    assignment_call(&aws, false, &instance, &set, "u-2").unwrap();
    check.assert_holds(&aws, "after the expired access went");
}

fn iam_user_with_access(aws: &Aws, name: &str) {
    let iam = aws.iam();
    aws.run(iam.create_user().user_name(name).send()).unwrap();
    aws.run(
        iam.create_login_profile()
            .user_name(name)
            .password("Perm-Passw0rd!")
            .send(),
    )
    .unwrap();
    for group in ["ops", "dev"] {
        let group = format!("{name}-{group}");
        aws.run(iam.create_group().group_name(&group).send())
            .unwrap();
        aws.run(
            iam.add_user_to_group()
                .group_name(&group)
                .user_name(name)
                .send(),
        )
        .unwrap();
    }
    aws.run(
        iam.put_user_policy()
            .user_name(name)
            .policy_name("own")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#)
            .send(),
    )
    .unwrap();
    for _ in 0..2 {
        aws.run(iam.create_access_key().user_name(name).send())
            .unwrap();
    }
    let keys = aws
        .run(iam.list_access_keys().user_name(name).send())
        .unwrap()
        .access_key_metadata;
    aws.run(
        iam.update_access_key()
            .user_name(name)
            .access_key_id(keys[1].access_key_id.clone().unwrap())
            .status(aws_sdk_iam::types::StatusType::Inactive)
            .send(),
    )
    .unwrap();
}

tftest!(
    faults_iam_user_block_under_throttling_blocks_and_restores_exactly,
    |tf, aws| {
        let user = format!("{}-mallory", tf.prefix);
        iam_user_with_access(aws, &user);
        let before = IamUserSnapshot::take(aws, &user).unwrap();
        let proxy = Proxy::start(moto_port(aws));
        tf.write_main(&[
        &provider_via(tf, &proxy, ""),
        &format!(
            "\nresource \"jit_user_block\" \"b\" {{\n  iam {{\n    user_name = \"{user}\"\n  }}\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n}}\n"
        ),
    ]);
        tf.init();
        // One throttle (the SDK's adaptive retry then paces every later call:
        // each extra throttle costs the block seconds), and 5xx elsewhere.
        proxy.inject(Match::op("PutUserPolicy"), When::first(1), Fault::Throttle);
        for op in ["UpdateAccessKey", "RemoveUserFromGroup", "AddUserToGroup"] {
            proxy.inject(Match::op(op), When::first(1), Fault::ServerError(503));
        }
        tf.apply();
        let blocked = IamUserSnapshot::take(aws, &user).unwrap();
        assert_eq!(
            blocked.block_state(&before),
            BlockState::Blocked,
            "{blocked:#?}"
        );
        tf.assert_plan_empty();
        tf.destroy();
        let after = IamUserSnapshot::take(aws, &user).unwrap();
        assert_eq!(after, before, "restored exactly");
        assert_eq!(after.block_state(&before), BlockState::Untouched);
        assert!(proxy.faulted().len() >= 4, "{:?}", proxy.faulted());
    }
);

tftest!(
    faults_enforced_iam_grant_apply_through_the_proxy,
    |tf, aws| {
        // The provider signs with a user allowed everything, under moto's IAM
        // enforcement; its Scheduler reads go through the proxy's re-signing.
        grant_fixture(aws, &["alice"]);
        let check = LeaseCheck::before(aws);
        let proxy = Proxy::start(moto_port(aws));
        let terraform = enforce::create_user_with_policy(aws, "terraform", enforce::ALLOW_ALL);
        let enforced = enforce::enable(aws, "admin", Some(&proxy));
        proxy.add_key(terraform.clone());
        let env = [
            ("AWS_ACCESS_KEY_ID", terraform.id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", terraform.secret.as_str()),
        ];
        tf.write_main(&[
            &provider_via(tf, &proxy, &grant_policy()),
            &grant("g", "alice"),
        ]);
        tf.init();
        let applied = tf.run_env(&["apply", "-auto-approve", "-no-color"], &env);
        assert!(applied.success(), "{}", applied.all());
        assert!(
            proxy.calls().iter().any(|c| c.op.name == "ListSchedules"
                && c.fault.as_deref() == Some("re-signed")
                && c.status == Some(200)),
            "{:#?}",
            proxy.calls()
        );
        check.assert_holds(&enforced.aws, "after the enforced apply");
        let plan = tf.run_env(&["plan", "-detailed-exitcode", "-no-color"], &env);
        assert_eq!(plan.code, 0, "{}", plan.all());
        let destroyed = tf.run_env(&["destroy", "-auto-approve", "-no-color"], &env);
        assert!(destroyed.success(), "{}", destroyed.all());
        check.assert_holds(&enforced.aws, "after the enforced destroy");
        // The dummy key is refused: enforcement really was on.
        let refused = tf.run(&["plan", "-no-color"]);
        assert!(!refused.success(), "{}", refused.all());
    }
);
