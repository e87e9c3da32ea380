//! Each fault of the proxy, its limits and fidelity answers reach the real
//! AWS SDK the way AWS's own would (no Terraform here).

use super::*;

#[test]
fn faults_reach_the_sdk_as_aws_errors() {
    let moto = Moto::start();
    let proxy = Proxy::start(moto.port());
    let aws = sdk(&proxy, 3, None);
    let iam = aws.iam();

    // Throttled twice, then it works: the SDK retried the IAM call.
    proxy.inject(
        Match::op("CreateUser").in_service("iam"),
        When::first(2),
        Fault::Throttle,
    );
    aws.run(iam.create_user().user_name("u1").send()).unwrap();
    let throttle = Some("throttle".to_string());
    assert_eq!(
        outcomes(&proxy, "CreateUser"),
        [
            (Some(400), throttle.clone()),
            (Some(400), throttle.clone()),
            (Some(200), None)
        ]
    );

    // Throttled on every attempt: AWS's code per service reaches the caller.
    proxy.inject(Match::op("ListSchedules"), When::every(), Fault::Throttle);
    let error = aws
        .run(aws.clients.scheduler.list_schedules().send())
        .unwrap_err();
    assert_eq!(
        code(aws_error("scheduler", "ListSchedules", error)),
        "ThrottlingException"
    );
    assert_eq!(proxy.count(&Match::op("ListSchedules")), 3);
    proxy.inject(Match::op("ListUserPools"), When::every(), Fault::Throttle);
    let error = aws
        .run(aws.clients.cognito.list_user_pools().max_results(10).send())
        .unwrap_err();
    assert_eq!(
        code(aws_error("cognito-idp", "ListUserPools", error)),
        "TooManyRequestsException"
    );
    proxy.inject(
        Match::op("ListGroups").in_service("identitystore"),
        When::every(),
        Fault::Throttle,
    );
    let error = aws
        .run(
            aws.clients
                .identity_store
                .list_groups()
                .identity_store_id("d-1")
                .send(),
        )
        .unwrap_err();
    assert_eq!(
        code(aws_error("identitystore", "ListGroups", error)),
        "ThrottlingException"
    );
    proxy.inject(
        Match::op("GetUser").in_service("iam"),
        When::every(),
        Fault::Throttle,
    );
    let error = aws.run(iam.get_user().user_name("u1").send()).unwrap_err();
    assert_eq!(code(aws_error("iam", "GetUser", error)), "Throttling");

    // 503 once, then it works; 500 on every attempt is AWS's InternalFailure.
    proxy.inject(
        Match::op("ListInstances"),
        When::first(1),
        Fault::ServerError(503),
    );
    aws.run(aws.clients.sso_admin.list_instances().send())
        .unwrap();
    assert_eq!(
        outcomes(&proxy, "ListInstances"),
        [(Some(503), Some("http 503".into())), (Some(200), None)]
    );
    proxy.inject(
        Match::op("ListTopics"),
        When::every(),
        Fault::ServerError(500),
    );
    let error = aws.run(aws.clients.sns.list_topics().send()).unwrap_err();
    assert_eq!(
        code(aws_error("sns", "ListTopics", error)),
        "InternalFailure"
    );
    assert_eq!(proxy.count(&Match::op("ListTopics")), 3);

    // Random faults are reproducible from the seed.
    let picks = |seed| {
        let proxy = Proxy::start(moto.port());
        let aws = sdk(&proxy, 1, None);
        proxy.inject(
            Match::op("ListRoles"),
            When::random(0.5, seed),
            Fault::ServerError(500),
        );
        (0..12)
            .map(|_| aws.run(aws.iam().list_roles().send()).is_ok())
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(42), picks(42));
    assert!(picks(42).contains(&true) && picks(42).contains(&false));
}

#[test]
fn lost_late_and_hung_answers_are_ambiguous_to_the_sdk() {
    let moto = Moto::start();
    let direct = Aws::new(&moto.endpoint());
    let proxy = Proxy::start(moto.port());
    // moto builds its IAM backend on the first IAM call: do it now, not
    // inside a timed call.
    direct.run(direct.iam().list_users().send()).unwrap();
    let aws = sdk(&proxy, 3, None);
    let iam = aws.iam();

    // The first answer is lost after IAM made the group: the SDK retries
    // (a reset connection is transient) and the retry finds it made.
    proxy.inject(
        Match::op("CreateGroup").in_service("iam"),
        When::nth(1),
        Fault::LoseResponse,
    );
    let error = aws
        .run(iam.create_group().group_name("g1").send())
        .map(|_| proxy.calls())
        .unwrap_err();
    assert_eq!(
        code(aws_error("iam", "CreateGroup", error)),
        "EntityAlreadyExists"
    );
    assert!(direct
        .run(direct.iam().get_group().group_name("g1").send())
        .is_ok());
    assert_eq!(
        outcomes(&proxy, "CreateGroup"),
        [(None, Some("lost response".into())), (Some(409), None)]
    );

    // Every answer lost: a dispatch failure, though the group exists.
    proxy.clear_faults();
    proxy.inject(
        Match::op("CreateGroup").in_service("iam"),
        When::every(),
        Fault::LoseResponse,
    );
    let error = aws
        .run(iam.create_group().group_name("g2").send())
        .unwrap_err();
    let error = aws_error("iam", "CreateGroup", error);
    assert!(error.to_string().contains("cannot reach AWS"), "{error}");
    assert!(direct
        .run(direct.iam().get_group().group_name("g2").send())
        .is_ok());

    // An answer held past the SDK's attempt timeout: a timeout error, and
    // the user exists.
    proxy.inject(
        Match::op("CreateUser").in_service("iam"),
        When::first(1),
        Fault::SlowResponse(Duration::from_secs(10)),
    );
    let once = sdk(&proxy, 1, Some(Duration::from_secs(1)));
    let error = once
        .run(once.iam().create_user().user_name("late").send())
        .unwrap_err();
    let error = aws_error("iam", "CreateUser", error);
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(direct
        .run(direct.iam().get_user().user_name("late").send())
        .is_ok());

    // A call never answered: the proxy reports it, the SDK times out.
    proxy.inject(
        Match::op("ListUsers").in_service("iam"),
        When::every(),
        Fault::Hang,
    );
    let error = once.run(once.iam().list_users().send()).unwrap_err();
    assert!(aws_error("iam", "ListUsers", error)
        .to_string()
        .contains("timed out"));
    assert!(proxy.wait_for(&Match::op("ListUsers"), 1, Duration::from_secs(5)));
    assert_eq!(outcomes(&proxy, "ListUsers"), [(None, Some("hang".into()))]);

    // A fixed delay per call, for latency benchmarks: the busy time counts it.
    proxy.clear_faults();
    proxy.clear();
    proxy.inject(
        Match::any(),
        When::every(),
        Fault::Delay(Duration::from_millis(300)),
    );
    aws.run(iam.get_user().user_name("late").send()).unwrap();
    let (calls, busy) = proxy.busy();
    assert_eq!(calls, 1);
    assert!(busy >= Duration::from_millis(300), "{busy:?}");
}

/// An instance, a permission set and a user id for assignment calls.

#[test]
fn assignment_statuses_limits_and_fidelity_answer_like_aws() {
    let moto = Moto::start();
    let direct = Aws::new(&moto.endpoint());
    let (instance, set) = sso_fixture(&direct);
    let proxy = Proxy::start(moto.port());
    let aws = sdk(&proxy, 1, None);
    let call = |create, principal: &str| assignment_call(&aws, create, &instance, &set, principal);

    // IN_PROGRESS in two answers (the call's and one poll), then moto's.
    proxy.inject(
        Match::op("CreateAccountAssignment"),
        When::nth(1),
        Fault::InProgress { answers: Some(2) },
    );
    let (status, id, _) = call(true, "u-1").unwrap();
    assert_eq!(status, "IN_PROGRESS", "{:#?}", proxy.calls());
    assert_eq!(poll(&aws, true, &instance, &id).0, StatusValues::InProgress);
    assert_eq!(poll(&aws, true, &instance, &id).0, StatusValues::Succeeded);
    assert_eq!(assigned(&direct, &instance, &set), ["u-1"]);

    // A repeated create of an existing assignment: AWS's conflict, not the
    // second row moto would store.
    assert_eq!(call(true, "u-1").unwrap_err(), "ConflictException");
    assert_eq!(assigned(&direct, &instance, &set), ["u-1"]);

    // FAILED after one IN_PROGRESS: nothing is assigned (AWS changes
    // nothing on a failed request), and the reason comes through.
    proxy.inject(
        Match::op("CreateAccountAssignment"),
        When::nth(1),
        Fault::Failed {
            reason: "Quota exceeded".into(),
            after: 1,
        },
    );
    let (status, id, _) = call(true, "u-2").unwrap();
    assert_eq!(status, "IN_PROGRESS");
    assert_eq!(
        poll(&aws, true, &instance, &id),
        (StatusValues::Failed, Some("Quota exceeded".into()))
    );
    assert_eq!(assigned(&direct, &instance, &set), ["u-1"]);

    // Deletion: FAILED at once keeps the assignment; IN_PROGRESS for ever
    // still deletes it in moto.
    proxy.inject(
        Match::op("DeleteAccountAssignment"),
        When::nth(1),
        Fault::failed("Role in use"),
    );
    let (status, _, reason) = call(false, "u-1").unwrap();
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("FAILED", Some("Role in use"))
    );
    assert_eq!(assigned(&direct, &instance, &set), ["u-1"]);
    proxy.inject(
        Match::op("DeleteAccountAssignment"),
        When::nth(1),
        Fault::InProgress { answers: None },
    );
    let (status, id, _) = call(false, "u-1").unwrap();
    assert_eq!(status, "IN_PROGRESS");
    for _ in 0..3 {
        assert_eq!(
            poll(&aws, false, &instance, &id).0,
            StatusValues::InProgress
        );
    }
    assert!(assigned(&direct, &instance, &set).is_empty());

    // At most one creation in progress, each held 3 s: the second is
    // throttled until the first is done.
    proxy.limit_assignment_creations(1, Duration::from_secs(3));
    let (status, id, _) = call(true, "u-3").unwrap();
    assert_eq!(status, "IN_PROGRESS");
    assert_eq!(call(true, "u-4").unwrap_err(), "ThrottlingException");
    assert_eq!(poll(&aws, true, &instance, &id).0, StatusValues::InProgress);
    std::thread::sleep(Duration::from_millis(3100));
    assert_eq!(poll(&aws, true, &instance, &id).0, StatusValues::Succeeded);
    assert_eq!(call(true, "u-4").unwrap().0, "IN_PROGRESS");
    let mut now = assigned(&direct, &instance, &set);
    now.sort();
    assert_eq!(now, ["u-3", "u-4"]);
    assert!(proxy
        .faulted()
        .iter()
        .any(|c| c.fault.as_deref() == Some("concurrent creation limit")));

    // With the fidelity fixes off, moto's own behaviour shows.
    proxy.clear_faults();
    proxy.fidelity(false);
    assert_eq!(call(true, "u-4").unwrap().0, "SUCCEEDED");
    assert_eq!(
        assigned(&direct, &instance, &set).len(),
        3,
        "moto's second row"
    );
}

#[test]
fn identity_store_scheduler_and_rate_limits_answer_like_aws() {
    let moto = Moto::start();
    let direct = Aws::new(&moto.endpoint());
    let proxy = Proxy::start(moto.port());
    let aws = sdk(&proxy, 1, None);

    // A repeated group membership: AWS's conflict (moto stores two).
    let (store, group, user) = direct.run(async {
        let sso = &direct.clients.sso_admin;
        let instances = sso.list_instances().send().await.unwrap();
        let store = instances.instances()[0]
            .identity_store_id()
            .unwrap()
            .to_string();
        let ids = &direct.clients.identity_store;
        let group = ids
            .create_group()
            .identity_store_id(&store)
            .display_name("Oncall")
            .send()
            .await
            .unwrap()
            .group_id;
        let user = ids
            .create_user()
            .identity_store_id(&store)
            .user_name("ann")
            .display_name("Ann")
            .name(
                aws_sdk_identitystore::types::Name::builder()
                    .given_name("Ann")
                    .family_name("Example")
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .user_id;
        (store, group, user)
    });
    let add = || {
        aws.run(
            aws.clients
                .identity_store
                .create_group_membership()
                .identity_store_id(&store)
                .group_id(&group)
                .member_id(MemberId::UserId(user.clone()))
                .send(),
        )
        .map_err(|e| code(aws_error("identitystore", "CreateGroupMembership", e)))
    };
    add().unwrap();
    assert_eq!(add().unwrap_err(), "ConflictException");
    let members = direct
        .run(
            direct
                .clients
                .identity_store
                .list_group_memberships()
                .identity_store_id(&store)
                .group_id(&group)
                .send(),
        )
        .unwrap();
    assert_eq!(members.group_memberships().len(), 1);

    // A schedule in a missing group: AWS's ResourceNotFoundException
    // (moto alone answers 500).
    let create = |aws: &Aws| {
        aws.run(
            aws.clients
                .scheduler
                .create_schedule()
                .name("s")
                .group_name("missing")
                .schedule_expression("at(2030-01-01T00:00:00)")
                .flexible_time_window(
                    FlexibleTimeWindow::builder()
                        .mode(FlexibleTimeWindowMode::Off)
                        .build()
                        .unwrap(),
                )
                .target(
                    Target::builder()
                        .arn("arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment")
                        .role_arn("arn:aws:iam::123456789012:role/r")
                        .input("{}")
                        .build()
                        .unwrap(),
                )
                .send(),
        )
        .map_err(|e| code(aws_error("scheduler", "CreateSchedule", e)))
    };
    assert_eq!(create(&aws).unwrap_err(), "ResourceNotFoundException");
    assert_ne!(create(&direct).unwrap_err(), "ResourceNotFoundException");

    // At most one IAM request per two seconds: of six quick calls, the
    // first (and at most one more) pass, the rest are throttled.
    direct.run(direct.iam().list_users().send()).unwrap();
    proxy.rate_limit("iam", 0.5);
    let results: Vec<Result<(), String>> = (0..6)
        .map(|_| {
            aws.run(aws.iam().list_users().send())
                .map(|_| ())
                .map_err(|e| code(aws_error("iam", "ListUsers", e)))
        })
        .collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let throttled = results
        .iter()
        .filter(|r| r.as_ref().err().map(String::as_str) == Some("Throttling"))
        .count();
    assert!((1..=2).contains(&ok) && ok + throttled == 6, "{results:?}");
    // Other services are not limited.
    aws.run(aws.clients.sso_admin.list_instances().send())
        .unwrap();
}

#[test]
fn enforced_iam_works_for_scheduler_reads_through_the_proxy() {
    let moto = Moto::start();
    let direct = Aws::new(&moto.endpoint());
    let proxy = Proxy::start(moto.port());
    let all_scheduler = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["scheduler:*","sts:AssumeRole"],"Resource":"*"}]}"#;
    let list_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"scheduler:ListSchedules","Resource":"*"}]}"#;
    let writer = enforce::create_user_with_policy(&direct, "writer", all_scheduler);
    let lister = enforce::create_user_with_policy(&direct, "lister", list_only);
    let role = enforce::create_role_with_policy(
        &direct,
        "scheduler-role",
        all_scheduler,
        enforce::TRUST_ANYONE,
    );
    let enforced = enforce::enable(&direct, "admin", Some(&proxy));
    proxy.add_key(writer.clone());
    proxy.add_key(lister.clone());
    let via = |key: &Key| {
        let credentials = aws_sdk_iam::config::Credentials::new(
            &key.id,
            &key.secret,
            key.token.clone(),
            None,
            "e2e",
        );
        Aws::configured(&proxy.endpoint(), |l| {
            l.credentials_provider(credentials)
                .retry_config(RetryConfig::disabled())
        })
    };
    let list = |aws: &Aws| {
        aws.run(aws.clients.scheduler.list_schedules().send())
            .map(|_| ())
            .map_err(|e| code(aws_error("scheduler", "ListSchedules", e)))
    };

    // The trap: straight to moto, an allowed Scheduler read fails (with
    // an XML error the REST client cannot even read a code from).
    let straight = Aws::with_key(&moto.endpoint(), &writer.id, &writer.secret);
    let error = straight
        .run(straight.clients.scheduler.list_schedules().send())
        .unwrap_err();
    assert!(
        format!("{error:?}").contains("SignatureDoesNotMatch"),
        "{error:?}"
    );
    // Enforcement is on: the dummy key is refused.
    assert!(list(&Aws::new(&moto.endpoint())).is_err());

    // Through the proxy: re-signed, then authorized by moto per action.
    let writes = via(&writer);
    let scheduler = &writes.clients.scheduler;
    writes
        .run(scheduler.create_schedule_group().name("jit-grants").send())
        .unwrap();
    list(&writes).unwrap();
    writes
        .run(scheduler.get_schedule_group().name("jit-grants").send())
        .unwrap();
    assert!(proxy
        .calls()
        .iter()
        .any(|c| c.op.name == "ListSchedules" && c.fault.as_deref() == Some("re-signed")));
    let reads = via(&lister);
    list(&reads).unwrap();
    let denied = reads
        .run(
            reads
                .clients
                .scheduler
                .get_schedule_group()
                .name("jit-grants")
                .send(),
        )
        .unwrap_err();
    assert_eq!(
        code(aws_error("scheduler", "GetScheduleGroup", denied)),
        "AccessDeniedException"
    );
    // A wrong secret is still refused.
    let forged = via(&Key::new(&writer.id, "not-the-secret"));
    assert_eq!(list(&forged).unwrap_err(), "InvalidSignatureException");

    // An assumed role's session (learned from the AssumeRole answer).
    let session = writes
        .run(
            writes
                .clients
                .sts
                .assume_role()
                .role_arn(&role)
                .role_session_name("e2e")
                .send(),
        )
        .unwrap()
        .credentials
        .unwrap();
    let assumed = via(&Key {
        id: session.access_key_id,
        secret: session.secret_access_key,
        token: Some(session.session_token),
    });
    list(&assumed).unwrap();
    writes
        .run(scheduler.delete_schedule_group().name("jit-grants").send())
        .unwrap();
    // The admin's own clients work too.
    enforced
        .aws
        .run(enforced.aws.iam().get_user().user_name("writer").send())
        .unwrap();
}
