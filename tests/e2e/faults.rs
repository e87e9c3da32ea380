//! The fault harness itself, end to end: each fault of the proxy reaches
//! the real AWS SDK the way AWS's own would (SDK-level cases, no
//! Terraform), the fidelity fixes answer as AWS does, moto's IAM
//! enforcement works for Scheduler reads through the proxy, and Terraform
//! runs on both versions survive throttling, a hung call and an interrupt
//! (cases that hold for today's provider). Cases marked `#[ignore = "issue
//! 12: …"]` reproduce provider bugs found with the proxy; the fix un-ignores
//! them.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_identitystore::types::MemberId;
use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use aws_sdk_ssoadmin::types::{PrincipalType, StatusValues, TargetType};
use terraform_provider_jit::aws::aws_error;
use terraform_provider_jit::error::Error;

use super::*;
use tests::enforce;
use tests::interrupt::{Running, Target as Signalled};
use tests::invariants::{BlockState, IamUserSnapshot, LeaseCheck};
use tests::proxy::{Fault, Key, Match, Proxy, When};
use tests::Moto;

/// SDK clients through `proxy` with quick retries (3 attempts) and, when
/// given, an attempt timeout.
fn sdk(proxy: &Proxy, attempts: u32, attempt_timeout: Option<Duration>) -> Aws {
    Aws::configured(&proxy.endpoint(), |loader| {
        let retry = if attempts <= 1 {
            RetryConfig::disabled()
        } else {
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(20))
        };
        let mut timeouts = TimeoutConfig::builder();
        if let Some(timeout) = attempt_timeout {
            timeouts = timeouts.operation_attempt_timeout(timeout);
        }
        loader.retry_config(retry).timeout_config(timeouts.build())
    })
}

fn code(error: Error) -> String {
    error.aws_code().unwrap_or("no code").to_string()
}

/// `(status, fault)` of every logged call of one operation.
fn outcomes(proxy: &Proxy, operation: &str) -> Vec<(Option<u16>, Option<String>)> {
    proxy
        .calls()
        .into_iter()
        .filter(|c| c.op.name == operation)
        .map(|c| (c.status, c.fault))
        .collect()
}

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
    let aws = sdk(&proxy, 3, Some(Duration::from_secs(2)));
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
fn sso_fixture(aws: &Aws) -> (String, String) {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = instances.instances()[0].instance_arn().unwrap().to_string();
        let set = sso
            .create_permission_set()
            .instance_arn(&instance)
            .name("JIT-Faults")
            .session_duration("PT1H")
            .send()
            .await
            .unwrap()
            .permission_set
            .unwrap()
            .permission_set_arn
            .unwrap();
        (instance, set)
    })
}

/// Starts creating (or deleting) the assignment of `principal`; returns
/// `(status, request id, failure reason)`, or the error code.
fn assignment_call(
    aws: &Aws,
    create: bool,
    instance: &str,
    set: &str,
    principal: &str,
) -> Result<(String, String, Option<String>), String> {
    let sso = &aws.clients.sso_admin;
    let status = if create {
        aws.run(
            sso.create_account_assignment()
                .instance_arn(instance)
                .target_id(tests::invariants::DEFAULT_ACCOUNT)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(set)
                .principal_type(PrincipalType::User)
                .principal_id(principal)
                .send(),
        )
        .map(|o| o.account_assignment_creation_status.unwrap())
        .map_err(|e| code(aws_error("sso-admin", "CreateAccountAssignment", e)))?
    } else {
        aws.run(
            sso.delete_account_assignment()
                .instance_arn(instance)
                .target_id(tests::invariants::DEFAULT_ACCOUNT)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(set)
                .principal_type(PrincipalType::User)
                .principal_id(principal)
                .send(),
        )
        .map(|o| o.account_assignment_deletion_status.unwrap())
        .map_err(|e| code(aws_error("sso-admin", "DeleteAccountAssignment", e)))?
    };
    Ok((
        status.status().unwrap().as_str().to_string(),
        status.request_id().unwrap().to_string(),
        status.failure_reason().map(str::to_string),
    ))
}

fn poll(aws: &Aws, create: bool, instance: &str, id: &str) -> (StatusValues, Option<String>) {
    let sso = &aws.clients.sso_admin;
    let status = if create {
        aws.run(
            sso.describe_account_assignment_creation_status()
                .instance_arn(instance)
                .account_assignment_creation_request_id(id)
                .send(),
        )
        .unwrap()
        .account_assignment_creation_status
        .unwrap()
    } else {
        aws.run(
            sso.describe_account_assignment_deletion_status()
                .instance_arn(instance)
                .account_assignment_deletion_request_id(id)
                .send(),
        )
        .unwrap()
        .account_assignment_deletion_status
        .unwrap()
    };
    (
        status.status().unwrap().clone(),
        status.failure_reason().map(str::to_string),
    )
}

fn assigned(aws: &Aws, instance: &str, set: &str) -> Vec<String> {
    aws.run(
        aws.clients
            .sso_admin
            .list_account_assignments()
            .instance_arn(instance)
            .account_id(tests::invariants::DEFAULT_ACCOUNT)
            .permission_set_arn(set)
            .send(),
    )
    .unwrap()
    .account_assignments()
    .iter()
    .map(|a| a.principal_id().unwrap().to_string())
    .collect()
}

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

    // At most one creation in progress, each held 1.5 s: the second is
    // throttled until the first is done.
    proxy.limit_assignment_creations(1, Duration::from_millis(1500));
    let (status, id, _) = call(true, "u-3").unwrap();
    assert_eq!(status, "IN_PROGRESS");
    assert_eq!(call(true, "u-4").unwrap_err(), "ThrottlingException");
    assert_eq!(poll(&aws, true, &instance, &id).0, StatusValues::InProgress);
    std::thread::sleep(Duration::from_millis(1600));
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

    // At most 2 IAM requests per second: the rest are throttled.
    proxy.rate_limit("iam", 2.0);
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
    assert!(
        ok >= 2 && throttled >= 3 && ok + throttled == 6,
        "{results:?}"
    );
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

// ---------------------------------------------------------------------------
// Terraform runs through the proxy (both versions).

/// The provider block of `tf`, pointed at the proxy.
fn provider_via(tf: &Tf, proxy: &Proxy, extra: &str) -> String {
    tf.provider(extra).replace(&tf.endpoint, &proxy.endpoint())
}

fn moto_port(aws: &Aws) -> u16 {
    aws.endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

fn env_group(tf: &Tf, name: &str, role: &str) -> String {
    format!(
        "\nresource \"jit_iam_env_group\" \"{name}\" {{\n  name_prefix = \"{}\"\n  environment = \"dev\"\n  role        = \"{role}\"\n}}\n",
        tf.prefix
    )
}

fn iam_group_exists(aws: &Aws, name: &str) -> bool {
    aws.run(aws.iam().get_group().group_name(name).send())
        .is_ok()
}

tftest!(
    faults_throttled_iam_calls_are_retried_during_apply,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        tf.write_main(&[
            &provider_via(tf, &proxy, ""),
            &env_group(tf, "g", "developer"),
        ]);
        tf.init();
        proxy.inject(
            Match::op("CreateGroup").in_service("iam"),
            When::first(2),
            Fault::Throttle,
        );
        proxy.inject(
            Match::op("PutGroupPolicy"),
            When::nth(1),
            Fault::ServerError(503),
        );
        tf.apply();
        // The provider's SDK retried: two throttles and a 503 reached it, and
        // each call then succeeded.
        assert_eq!(
            outcomes(&proxy, "CreateGroup"),
            [
                (Some(400), Some("throttle".into())),
                (Some(400), Some("throttle".into())),
                (Some(200), None)
            ]
        );
        let puts = outcomes(&proxy, "PutGroupPolicy");
        assert_eq!(puts[0], (Some(503), Some("http 503".into())));
        assert_eq!(puts.last().unwrap().0, Some(200));
        assert!(iam_group_exists(
            aws,
            &format!("{}-dev-developer", tf.prefix)
        ));
        tf.assert_plan_empty();
        tf.destroy();
    }
);

tftest!(
    faults_hung_call_is_observed_and_the_run_interrupted,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        tf.write_main(&[
            &provider_via(tf, &proxy, ""),
            &env_group(tf, "g", "developer"),
        ]);
        tf.init();
        let create = Match::op("CreateGroup").in_service("iam");
        proxy.inject(create.clone(), When::every(), Fault::Hang);
        let run = Running::apply(tf);
        // The hung call arrives; nothing answers it.
        assert!(proxy.wait_for(&create, 1, Duration::from_secs(120)));
        let hung = proxy
            .calls()
            .into_iter()
            .find(|c| create.matches(&c.op))
            .unwrap();
        assert_eq!((hung.status, hung.fault.as_deref()), (None, Some("hang")));
        run.interrupter().send();
        let outcome = run.finish(Duration::from_secs(10), Duration::from_secs(300));
        assert!(outcome.interrupted, "{outcome:?}");
        assert_ne!(outcome.output.code, 0, "{}", outcome.output.all());
        // The next apply, without the fault, runs and converges.
        proxy.clear_faults();
        tf.apply();
        assert!(iam_group_exists(
            aws,
            &format!("{}-dev-developer", tf.prefix)
        ));
        tf.assert_plan_empty();
    }
);

/// Three standing groups, one per role.
fn three_groups(tf: &Tf, proxy: &Proxy) -> [&'static str; 3] {
    let roles = ["developer", "infra-member", "security-engineer"];
    let mut main = provider_via(tf, proxy, "");
    for (i, role) in roles.iter().enumerate() {
        main.push_str(&env_group(tf, &format!("g{i}"), role));
    }
    tf.write_main(&[&main]);
    roles
}

/// Applies one resource at a time (the same stop point on every run) and
/// interrupts `target` when the second group policy is being written.
fn apply_interrupted(tf: &Tf, proxy: &Proxy, target: Signalled) -> tests::interrupt::Interrupted {
    let run = Running::spawn(
        tf,
        &["apply", "-auto-approve", "-no-color", "-parallelism=1"],
        target,
    );
    run.interrupt_at(proxy, Match::op("PutGroupPolicy"), 2);
    run.finish(Duration::from_secs(30), Duration::from_secs(300))
}

tftest!(
    faults_interrupted_apply_then_the_next_apply_converges,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        let roles = three_groups(tf, &proxy);
        tf.init();
        // SIGINT to Terraform (not its provider): Terraform lets the running
        // create finish, stops, and saves what was made.
        let outcome = apply_interrupted(tf, &proxy, Signalled::Terraform);
        assert!(outcome.interrupted && !outcome.killed, "{outcome:?}");
        assert!(
            outcome.output.all().contains("Interrupt received"),
            "{}",
            outcome.output.all()
        );
        assert_ne!(outcome.output.code, 0);
        let made = |aws: &Aws| {
            roles
                .iter()
                .filter(|role| iam_group_exists(aws, &format!("{}-dev-{role}", tf.prefix)))
                .count()
        };
        assert_eq!(
            made(aws),
            2,
            "the second create finished, the third never started"
        );
        tf.apply();
        assert_eq!(made(aws), 3);
        tf.assert_plan_empty();
    }
);

tftest!(
    #[ignore = "issue 12: the provider dies on SIGINT (Ctrl-C signals the whole process group; go-plugin providers ignore it) and a group created by the killed call blocks the next apply"]
    faults_ctrl_c_in_a_terminal_then_the_next_apply_converges,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        three_groups(tf, &proxy);
        tf.init();
        // Ctrl-C: SIGINT to Terraform and the provider at once.
        let outcome = apply_interrupted(tf, &proxy, Signalled::Group);
        assert!(outcome.interrupted, "{outcome:?}");
        // The next apply converges ...
        let next = tf.run(&["apply", "-auto-approve", "-no-color"]);
        // ... and Terraform stopped gracefully, as with a Go provider.
        assert!(
            !outcome.output.all().contains("Plugin did not respond"),
            "{}",
            outcome.output.all()
        );
        assert!(next.success(), "{}", next.all());
        tf.assert_plan_empty();
    }
);

// ---------------------------------------------------------------------------
// Grants and blocks under faults, with the invariant checks.

const REVOKER: &str = "arn:aws:iam::123456789012:role/jit-revoker";

/// Identity Center users (each with an email) and the low-risk permission
/// set `JIT-S3FullAccess`.
fn grant_fixture(aws: &Aws, users: &[&str]) {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = &instances.instances()[0];
        let store = instance.identity_store_id().unwrap();
        for name in users {
            let user_name = format!("{name}@example.com");
            aws.clients
                .identity_store
                .create_user()
                .identity_store_id(store)
                .user_name(&user_name)
                .display_name(*name)
                .name(
                    aws_sdk_identitystore::types::Name::builder()
                        .given_name(*name)
                        .family_name("Example")
                        .build(),
                )
                .emails(
                    aws_sdk_identitystore::types::Email::builder()
                        .value(&user_name)
                        .primary(true)
                        .build(),
                )
                .send()
                .await
                .unwrap();
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

fn grant_policy() -> String {
    format!(
        "  revoker_role_arn = \"{REVOKER}\"\n  grant_policy {{\n    max_duration = \"1h\"\n    permission_set {{\n      name = \"JIT-S3FullAccess\"\n      risk = \"low\"\n    }}\n  }}\n"
    )
}

fn grant(name: &str, who: &str) -> String {
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
    #[ignore = "issue 12: a lost CreateAccountAssignment response (retried, then ConflictException) makes the grant delete its lease: access without expiry"]
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
    #[ignore = "issue 12: a throttled DescribeAccountAssignmentCreationStatus makes the grant delete its lease while the assignment completes"]
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
