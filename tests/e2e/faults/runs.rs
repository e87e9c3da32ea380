//! Terraform runs (both versions) through the proxy: throttled calls
//! retried, a hung call observed, interrupted applies.

use super::*;

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
    faults_env_group_create_retried_after_a_lost_answer_takes_its_group,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        tf.write_main(&[
            &provider_via(tf, &proxy, ""),
            &env_group(tf, "g", "developer"),
        ]);
        tf.init();
        // IAM makes the group, its answer is lost: the SDK retries, and the
        // retry answers EntityAlreadyExists for the group the first attempt
        // made. The create takes it (new, empty, at `/`) and attaches its
        // policy: nothing is left behind, nothing fails.
        proxy.inject(
            Match::op("CreateGroup").in_service("iam"),
            When::nth(1),
            Fault::LoseResponse,
        );
        tf.apply();
        assert_eq!(
            outcomes(&proxy, "CreateGroup"),
            [(None, Some("lost response".into())), (Some(409), None)]
        );
        let name = format!("{}-dev-developer", tf.prefix);
        assert!(tf.has_resource("jit_iam_env_group.g"));
        let policy = aws.run(
            aws.iam()
                .get_group_policy()
                .group_name(&name)
                .policy_name("jit-env-access")
                .send(),
        );
        assert!(policy.is_ok(), "policy of {name}: {policy:?}");
        tf.assert_plan_empty();

        // A group of that name made before the create (by anyone) is
        // refused and left as it is, with or without a lost answer.
        let other = format!("{}-dev-infra-member", tf.prefix);
        aws.run(aws.iam().create_group().group_name(&other).send())
            .unwrap();
        std::thread::sleep(Duration::from_secs(7));
        tf.write_main(&[
            &provider_via(tf, &proxy, ""),
            &env_group(tf, "g", "developer"),
            &env_group(tf, "h", "infra-member"),
        ]);
        proxy.clear();
        let failed = tf.apply_fails();
        let diag = failed.error("Group already exists");
        assert!(diag.detail.contains("import"), "{diag:?}");
        assert!(!tf.has_resource("jit_iam_env_group.h"));
        let policies = aws
            .run(aws.iam().list_group_policies().group_name(&other).send())
            .unwrap();
        assert!(policies.policy_names().is_empty(), "{policies:?}");
        tf.write_main(&[
            &provider_via(tf, &proxy, ""),
            &env_group(tf, "g", "developer"),
        ]);
        tf.destroy();
        assert!(!iam_group_exists(aws, &name));
        assert!(iam_group_exists(aws, &other));
    }
);

tftest!(
    faults_env_user_create_retried_after_a_lost_answer_takes_its_user,
    |tf, aws| {
        // IAM makes the user, its answer is lost, the SDK's retry meets it:
        // the create takes it (made during the call, only the tags sent,
        // nothing on it) and goes on to add it to its role group.
        let proxy = Proxy::start(moto_port(aws));
        let name = format!("{}-bob", tf.prefix);
        let user = format!(
            "\nresource \"jit_iam_env_user\" \"u\" {{\n  name        = \"{name}\"\n  name_prefix = \"{}\"\n  environment = \"dev\"\n  roles       = [\"developer\"]\n  depends_on  = [jit_iam_env_group.g]\n}}\n",
            tf.prefix
        );
        tf.write_main(&[
            &provider_via(tf, &proxy, ""),
            &env_group(tf, "g", "developer"),
            &user,
        ]);
        tf.init();
        proxy.inject(
            Match::op("CreateUser").in_service("iam"),
            When::nth(1),
            Fault::LoseResponse,
        );
        tf.apply();
        assert_eq!(
            outcomes(&proxy, "CreateUser"),
            [(None, Some("lost response".into())), (Some(409), None)]
        );
        assert!(tf.has_resource("jit_iam_env_user.u"));
        let groups = aws
            .run(aws.iam().list_groups_for_user().user_name(&name).send())
            .unwrap();
        let groups: Vec<_> = groups.groups().iter().map(|g| g.group_name()).collect();
        assert_eq!(groups, [format!("{}-dev-developer", tf.prefix)]);
        tf.assert_plan_empty();
        tf.destroy();
        assert!(aws
            .run(aws.iam().get_user().user_name(&name).send())
            .is_err());
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
    faults_ctrl_c_in_a_terminal_then_the_next_apply_converges,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        three_groups(tf, &proxy);
        tf.init();
        // Ctrl-C: SIGINT to Terraform and the provider at once.
        let outcome = apply_interrupted(tf, &proxy, Signalled::Group);
        assert!(outcome.interrupted, "{outcome:?}");
        // The provider ignores SIGINT, so the create in flight finishes
        // and its group is saved; the next apply converges. (tf-provider
        // 0.2.2 answers Terraform's StopProvider by shutting its gRPC server
        // down, so a call Terraform makes after Ctrl-C can still end in
        // "Plugin did not respond"; what finished is in state either way.)
        let next = tf.run(&["apply", "-auto-approve", "-no-color"]);
        assert!(next.success(), "{}", next.all());
        tf.assert_plan_empty();
    }
);
