//! `jit_grant` steps the other fault cases leave out: a lost answer of the
//! lease's creation (the retry meets the grant's own schedule), a lease
//! confirmation that keeps failing after the assignment was made, a
//! revoke whose `DeleteAccountAssignment` answer is lost or throttled past
//! the retries, a `timeouts` change (never a replacement), and leases
//! switched on, off, deleted or planted outside Terraform: each plan warning
//! names the right lease, and following its advice sets the access right.
//! Each case checks the lease invariant ([`LeaseCheck`]) after every run.

use std::collections::BTreeSet;

use terraform_provider_jit::policy::lease::{
    at_expression, parse_at_expression, parse_lease_name, LeaseMeta,
};
use tests::invariants::{grant_leases_in_state, leases};

use super::grants::{grant, grant_fixture, grant_policy};
use super::*;

/// The one grant's lease names in AWS.
fn lease_names(aws: &Aws, check: &LeaseCheck) -> BTreeSet<String> {
    leases(aws, &check.group)
        .into_iter()
        .map(|lease| lease.name)
        .collect()
}

/// The applied grant `g` through `proxy` (faults cleared), checked.
fn applied(tf: &Tf, aws: &Aws, proxy: &Proxy, extra: &str) -> LeaseCheck {
    grant_fixture(aws, &["alice"]);
    let check = LeaseCheck::before(aws);
    tf.write_main(&[
        &provider_via(tf, proxy, &grant_policy()),
        &grant("g", "alice").replace("\n}\n", &format!("\n{extra}}}\n")),
    ]);
    tf.init();
    check
}

/// Switches lease `name` on or off outside Terraform (a colleague with
/// Scheduler access), keeping everything else as it is.
fn switch_lease(aws: &Aws, group: &str, name: &str, enabled: bool) {
    let state = if enabled {
        aws_sdk_scheduler::types::ScheduleState::Enabled
    } else {
        aws_sdk_scheduler::types::ScheduleState::Disabled
    };
    aws.run(async {
        let scheduler = &aws.clients.scheduler;
        let lease = scheduler
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
            .unwrap();
        scheduler
            .update_schedule()
            .group_name(group)
            .name(name)
            .schedule_expression(lease.schedule_expression().unwrap())
            .set_schedule_expression_timezone(
                lease.schedule_expression_timezone().map(str::to_string),
            )
            .set_flexible_time_window(lease.flexible_time_window().cloned())
            .set_target(lease.target().cloned())
            .set_description(lease.description().map(str::to_string))
            .state(state)
            .send()
            .await
            .unwrap();
    });
}

/// Writes, outside Terraform, what a run killed after writing its lease
/// leaves: a copy of lease `from` under a new grant id, expiring `later`
/// seconds after it, ENABLED, still marked pending with a deadline long
/// past. No grant in any state owns it. Returns its name.
fn plant_abandoned_lease(aws: &Aws, group: &str, from: &str, later: u64) -> String {
    let parsed = parse_lease_name(from).unwrap();
    let name = format!("jit-{}-00000000deadbeef", parsed.key_hash);
    aws.run(async {
        let scheduler = &aws.clients.scheduler;
        let lease = scheduler
            .get_schedule()
            .group_name(group)
            .name(from)
            .send()
            .await
            .unwrap();
        let at = parse_at_expression(lease.schedule_expression().unwrap()).unwrap()
            + std::time::Duration::from_secs(later);
        let meta = LeaseMeta {
            grant: "00000000deadbeef".into(),
            fp: "0000000000000000".into(),
            pending_until: "2020-01-01T00:00:00Z".into(),
            ..LeaseMeta::from_description(lease.description().unwrap()).unwrap()
        };
        scheduler
            .create_schedule()
            .group_name(group)
            .name(&name)
            .schedule_expression(at_expression(at))
            .schedule_expression_timezone("UTC")
            .set_flexible_time_window(lease.flexible_time_window().cloned())
            .set_target(lease.target().cloned())
            .description(meta.to_description())
            .state(aws_sdk_scheduler::types::ScheduleState::Enabled)
            .send()
            .await
            .unwrap();
    });
    name
}

/// Two grants of one access, `early` (30m) and `late` (1h), applied through
/// `proxy`: the later one's lease is enabled, the earlier one's is not.
/// Returns the check and the two lease names (earlier, later).
fn two_grants(tf: &Tf, aws: &Aws, proxy: &Proxy) -> (LeaseCheck, String, String) {
    grant_fixture(aws, &["alice"]);
    let check = LeaseCheck::before(aws);
    tf.write_main(&[
        &provider_via(tf, proxy, &grant_policy()),
        &grant("early", "alice").replace("duration       = \"1h\"", "duration       = \"30m\""),
        &grant("late", "alice"),
    ]);
    tf.init();
    tf.apply();
    let name = |address: &str| {
        tf.resource(address)["schedule_name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (early, late) = (name("jit_grant.early"), name("jit_grant.late"));
    assert_latest_enabled(tf, aws, &check, "after the two grants");
    (check, early, late)
}

/// The lease invariant of one access shared by the grants in state:
/// exactly the latest-expiring lease of a grant in state is enabled, and no
/// other lease (a grant's or no grant's) is.
fn assert_latest_enabled(tf: &Tf, aws: &Aws, check: &LeaseCheck, context: &str) {
    check.assert_holds(aws, context);
    let in_state = grant_leases_in_state(&tf.state());
    let all = leases(aws, &check.group);
    let latest = all
        .iter()
        .filter(|lease| in_state.contains(&lease.name))
        .max_by_key(|lease| (lease.expires_at, lease.name.clone()))
        .map(|lease| lease.name.clone());
    let enabled: BTreeSet<String> = all
        .iter()
        .filter(|lease| lease.enabled)
        .map(|lease| lease.name.clone())
        .collect();
    assert_eq!(
        enabled,
        latest.into_iter().collect::<BTreeSet<_>>(),
        "{context}: exactly the latest lease in state is enabled: {all:?}"
    );
}

/// The plan warns about no lease (after the advice was followed).
fn assert_no_lease_warning(tf: &Tf) {
    let plan = tf.plan_json();
    let warned: Vec<String> = plan
        .diagnostics()
        .into_iter()
        .filter(|d| d.severity == "warning")
        .filter(|d| d.summary.contains("lease") || d.summary.contains("would end"))
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    assert!(warned.is_empty(), "no lease warning is left: {warned:?}");
}

/// Destroys everything and checks nothing is left: no assignment, no lease.
fn destroy_clean(tf: &Tf, aws: &Aws, check: &LeaseCheck) {
    tf.destroy();
    check.assert_holds(aws, "after destroy");
    assert!(tests::invariants::assignments(aws, &check.accounts).is_empty());
    assert!(
        lease_names(aws, check).is_empty(),
        "destroy removed every lease: {:?}",
        lease_names(aws, check)
    );
}

tftest!(
    faults_grant_lost_lease_creation_answer_is_adopted,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        // Scheduler makes the lease; its answer is lost. The SDK's retry
        // meets ConflictException on the grant's own name.
        proxy.inject(
            Match::op("CreateSchedule"),
            When::nth(1),
            Fault::LoseResponse,
        );
        tf.apply();
        let creates = outcomes(&proxy, "CreateSchedule");
        assert!(
            // moto answers the conflict with 400 where AWS says 409; both
            // carry ConflictException.
            creates.len() == 2 && matches!(creates[1].0, Some(400 | 409)),
            "the retry should have met the lease the lost call made: {creates:?}"
        );
        assert_eq!(tf.resource("jit_grant.g")["status"], "ACTIVE");
        let in_state = grant_leases_in_state(&tf.state());
        assert_eq!(
            lease_names(aws, &check),
            in_state,
            "exactly the lease in state exists (adopted, not doubled)"
        );
        check.assert_holds(aws, "after the apply whose lease answer was lost");
        proxy.clear_faults();
        tf.assert_plan_empty();
        tf.destroy();
        check.assert_holds(aws, "after destroy");
        assert!(tests::invariants::assignments(aws, &check.accounts).is_empty());
        assert!(
            lease_names(aws, &check).is_empty(),
            "destroy removed the lease"
        );
    }
);

tftest!(
    faults_grant_lease_confirmation_failing_keeps_the_access_leased,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        // The assignment is made; every attempt to mark its lease finished
        // is throttled.
        proxy.inject(Match::op("UpdateSchedule"), When::every(), Fault::Throttle);
        let failed = tf.apply_fails();
        assert!(
            failed.all().contains("lease is not marked finished"),
            "the error says what was left: {}",
            failed.all()
        );
        assert!(
            !tests::invariants::assignments(aws, &check.accounts).is_empty(),
            "the assignment was made"
        );
        // The access has its lease (enabled, future expiry) even though
        // the grant's last step failed.
        check.assert_holds(aws, "after the apply whose confirmation failed");
        assert!(
            tf.has_resource("jit_grant.g"),
            "the grant is saved with the error"
        );
        proxy.clear_faults();
        tf.apply();
        check.assert_holds(aws, "after the clean re-apply");
        tf.assert_plan_empty();
        tf.destroy();
        check.assert_holds(aws, "after destroy");
        assert!(tests::invariants::assignments(aws, &check.accounts).is_empty());
    }
);

tftest!(
    faults_grant_revoke_whose_answer_is_lost_finishes,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        tf.apply();
        // Identity Center removes the assignment; the answer is lost. The
        // provider lists again, finds it gone, and the destroy finishes.
        proxy.inject(
            Match::op("DeleteAccountAssignment"),
            When::nth(1),
            Fault::LoseResponse,
        );
        tf.destroy();
        assert_eq!(
            outcomes(&proxy, "DeleteAccountAssignment")
                .first()
                .map(|o| o.0),
            Some(None),
            "the first DeleteAccountAssignment went unanswered"
        );
        assert!(!tf.has_resource("jit_grant.g"));
        assert!(tests::invariants::assignments(aws, &check.accounts).is_empty());
        assert!(
            lease_names(aws, &check).is_empty(),
            "destroy removed the lease"
        );
        check.assert_holds(aws, "after the destroy whose answer was lost");
    }
);

tftest!(
    faults_grant_revoke_throttled_keeps_the_lease_and_the_grant,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        tf.apply();
        let lease = grant_leases_in_state(&tf.state());
        proxy.inject(
            Match::op("DeleteAccountAssignment"),
            When::every(),
            Fault::Throttle,
        );
        let failed = tf.run(&["destroy", "-auto-approve", "-no-color"]);
        assert!(
            !failed.success(),
            "the destroy cannot finish:\n{}",
            failed.all()
        );
        assert!(
            failed.all().contains("not finished"),
            "the error says the revoke is not finished: {}",
            failed.all()
        );
        // Still assigned, still leased, still in state: the lease removes
        // the access at its expiry if nobody runs the destroy again.
        assert!(!tests::invariants::assignments(aws, &check.accounts).is_empty());
        assert_eq!(lease_names(aws, &check), lease);
        assert!(tf.has_resource("jit_grant.g"), "the grant stays in state");
        check.assert_holds(aws, "after the throttled destroy");
        proxy.clear_faults();
        tf.destroy();
        assert!(tests::invariants::assignments(aws, &check.accounts).is_empty());
        assert!(lease_names(aws, &check).is_empty());
        check.assert_holds(aws, "after the second destroy");
    }
);

tftest!(
    faults_grant_timeouts_change_never_replaces_the_grant,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        applied(tf, aws, &proxy, "  timeouts {\n    create = \"5m\"\n  }\n");
        tf.apply();
        let before = tf.resource("jit_grant.g");
        tf.write_main(&[
            &provider_via(tf, &proxy, &grant_policy()),
            &grant("g", "alice").replace(
                "\n}\n",
                "\n  timeouts {\n    create = \"10m\"\n    delete = \"2m\"\n  }\n}\n",
            ),
        ]);
        let changes = tf.plan_changes();
        assert_eq!(
            changes.actions_for("jit_grant.g"),
            ["update"],
            "a timeouts change is an in-place update: {}",
            changes.text
        );
        tf.apply();
        let after = tf.resource("jit_grant.g");
        assert_eq!(after["id"], before["id"], "the same grant");
        assert_eq!(after["schedule_name"], before["schedule_name"]);
        tf.assert_plan_empty();
    }
);

tftest!(
    faults_grant_lease_disabled_outside_terraform_is_reported,
    |tf, aws| {
        // A colleague with Scheduler access switches the lease off to keep
        // the access past its expiry: every plan says so.
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        tf.apply();
        let name = tf.resource("jit_grant.g")["schedule_name"]
            .as_str()
            .unwrap()
            .to_string();
        switch_lease(aws, &check.group, &name, false);
        let violations = check.violations(aws);
        assert!(
            !violations.is_empty(),
            "the invariant checker sees the access without a live lease"
        );
        let plan = tf.run(&["plan", "-no-color", "-json"]);
        let warned = plan.warning("no lease will end the access");
        assert!(warned.detail.contains(&name), "{}", warned.detail);
        // Destroying the grant removes the access and the switched-off lease.
        tf.destroy();
        check.assert_holds(aws, "after destroy");
        assert!(tests::invariants::assignments(aws, &check.accounts).is_empty());
        assert!(lease_names(aws, &check).is_empty());
    }
);

tftest!(
    grant_replaced_with_the_same_inputs_keeps_the_access_leased,
    |tf, aws| {
        // `-replace` keeps every input, so the new grant's fingerprint is
        // the old lease's: with and without create_before_destroy, exactly
        // one enabled lease (the one in state) governs the access after.
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        tf.apply();
        for lifecycle in ["", "  lifecycle {\n    create_before_destroy = true\n  }\n"] {
            tf.write_main(&[
                &provider_via(tf, &proxy, &grant_policy()),
                &grant("g", "alice").replace("\n}\n", &format!("\n{lifecycle}}}\n")),
            ]);
            tf.ok(&[
                "apply",
                "-auto-approve",
                "-no-color",
                "-replace=jit_grant.g",
            ]);
            check.assert_holds(aws, &format!("after -replace ({lifecycle:?})"));
            let in_state = grant_leases_in_state(&tf.state());
            let live: BTreeSet<String> = leases(aws, &check.group)
                .into_iter()
                .filter(|lease| lease.enabled)
                .map(|lease| lease.name)
                .collect();
            assert_eq!(live, in_state, "the enabled lease is the one in state");
            assert!(
                !tests::invariants::assignments(aws, &check.accounts).is_empty(),
                "the access is still granted"
            );
            tf.assert_plan_empty();
        }
        tf.destroy();
        check.assert_holds(aws, "after destroy");
        assert!(tests::invariants::assignments(aws, &check.accounts).is_empty());
        assert!(lease_names(aws, &check).is_empty());
    }
);

tftest!(
    faults_grant_lease_disabled_outside_terraform_is_set_right_by_replace,
    |tf, aws| {
        // The advice of "no lease will end the access": replace the grant.
        // Its own lease, switched off, still makes the assignment the
        // grant's (not standing), so the replacement is planned and
        // applied, in both orders, and leaves exactly its lease enabled.
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        tf.apply();
        for lifecycle in ["", "  lifecycle {\n    create_before_destroy = true\n  }\n"] {
            tf.write_main(&[
                &provider_via(tf, &proxy, &grant_policy()),
                &grant("g", "alice").replace("\n}\n", &format!("\n{lifecycle}}}\n")),
            ]);
            let name = tf.resource("jit_grant.g")["schedule_name"]
                .as_str()
                .unwrap()
                .to_string();
            let granted_at = tf.resource("jit_grant.g")["granted_at"].clone();
            switch_lease(aws, &check.group, &name, false);
            let warned = tf.plan_json().warning("no lease will end the access");
            assert!(warned.detail.contains(&name), "{}", warned.detail);
            assert!(
                warned.detail.contains("-replace"),
                "the advice names the replacement: {}",
                warned.detail
            );
            let replaced = tf.run(&[
                "apply",
                "-auto-approve",
                "-no-color",
                "-replace=jit_grant.g",
            ]);
            assert!(
                replaced.success(),
                "the replacement the warning advises is applied ({lifecycle:?}):\n{}",
                replaced.all()
            );
            let replacement = tf.resource("jit_grant.g");
            if lifecycle.is_empty() {
                assert_ne!(
                    replacement["schedule_name"].as_str(),
                    Some(name.as_str()),
                    "a new grant with a new lease"
                );
            } else {
                // Created first, the replacement (same inputs, same working
                // directory) takes its predecessor's lease over: a new
                // grant time, and the predecessor's destroy leaves it.
                assert_ne!(replacement["granted_at"], granted_at, "a new grant");
            }
            assert_latest_enabled(tf, aws, &check, &format!("after -replace ({lifecycle:?})"));
            assert!(
                !tests::invariants::assignments(aws, &check.accounts).is_empty(),
                "the access is still granted"
            );
            assert_no_lease_warning(tf);
            tf.assert_plan_empty();
        }
        destroy_clean(tf, aws, &check);
    }
);

tftest!(
    faults_grant_standing_assignment_is_still_refused_after_its_lease_is_gone,
    |tf, aws| {
        // The lease deleted outside Terraform: no lease of ours is left, so
        // the assignment cannot be told from a standing one and a
        // replacement is refused, as the warning says; its advice (destroy
        // the grant, apply again) works.
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        tf.apply();
        let name = tf.resource("jit_grant.g")["schedule_name"]
            .as_str()
            .unwrap()
            .to_string();
        aws.run(
            aws.clients
                .scheduler
                .delete_schedule()
                .group_name(&check.group)
                .name(&name)
                .send(),
        )
        .unwrap();
        let warned = tf.plan_json().warning("has no valid expiry lease");
        assert!(warned.detail.contains(&name), "{}", warned.detail);
        assert!(
            warned.detail.contains("`-replace`) is refused")
                && warned.detail.contains("terraform destroy -target="),
            "{}",
            warned.detail
        );
        let refused = tf.run(&["plan", "-no-color", "-json", "-replace=jit_grant.g"]);
        assert!(!refused.success(), "{}", refused.all());
        refused.error("Standing assignment exists");
        tf.ok(&[
            "destroy",
            "-auto-approve",
            "-no-color",
            "-target=jit_grant.g",
        ]);
        assert!(
            tests::invariants::assignments(aws, &check.accounts).is_empty(),
            "the destroy removed the access"
        );
        tf.apply();
        assert_ne!(
            tf.resource("jit_grant.g")["schedule_name"].as_str(),
            Some(name.as_str())
        );
        assert_latest_enabled(tf, aws, &check, "after the grant was made again");
        assert_no_lease_warning(tf);
        destroy_clean(tf, aws, &check);
    }
);

tftest!(
    faults_grant_earlier_lease_enabled_outside_terraform_ends_the_access_early,
    |tf, aws| {
        // Two grants of one access. Outside Terraform the earlier grant's
        // lease is switched on (both enabled), then also the later one's
        // switched off: either way Scheduler would remove the shared access
        // at the earlier expiry. The plan says so and names both leases;
        // replacing a grant of the access, as advised, sets it right.
        let proxy = Proxy::start(moto_port(aws));
        let (check, early, late) = two_grants(tf, aws, &proxy);
        switch_lease(aws, &check.group, &early, true);
        let warned = tf.plan_json().warning("the access would end early");
        assert!(
            warned
                .detail
                .contains(&format!("latest live lease of this access is `{late}`"))
                && warned.detail.contains(&format!("`{early}` (at")),
            "{}",
            warned.detail
        );
        tf.ok(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-replace=jit_grant.early",
        ]);
        assert_latest_enabled(tf, aws, &check, "after replacing the earlier grant");
        assert_eq!(
            tf.resource("jit_grant.late")["schedule_name"].as_str(),
            Some(late.as_str()),
            "the later grant was left as it was"
        );
        assert_no_lease_warning(tf);

        // The later lease switched off as well: the earlier one alone
        // would end the access.
        let early = tf.resource("jit_grant.early")["schedule_name"]
            .as_str()
            .unwrap()
            .to_string();
        switch_lease(aws, &check.group, &early, true);
        switch_lease(aws, &check.group, &late, false);
        let warned = tf.plan_json().warning("the access would end early");
        assert!(
            warned
                .detail
                .contains(&format!("latest live lease of this access is `{late}`"))
                && warned.detail.contains(&format!("`{early}` (at")),
            "{}",
            warned.detail
        );
        tf.ok(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-replace=jit_grant.late",
        ]);
        assert_latest_enabled(tf, aws, &check, "after replacing the later grant");
        assert_no_lease_warning(tf);
        tf.assert_plan_empty();
        destroy_clean(tf, aws, &check);
    }
);

tftest!(
    faults_grant_lease_left_enabled_by_a_dead_run_ends_the_access_late,
    |tf, aws| {
        // A run died after writing an enabled lease that expires after
        // every grant of the access (still pending, deadline past): it
        // would keep the access past the latest grant. The plan names it
        // and the latest lease; replacing any grant of the access, as
        // advised, switches it off.
        let proxy = Proxy::start(moto_port(aws));
        let (check, _early, late) = two_grants(tf, aws, &proxy);
        let dead = plant_abandoned_lease(aws, &check.group, &late, 1800);
        let warned = tf.plan_json().warning("the access would end late");
        assert!(
            warned
                .detail
                .contains(&format!("latest live lease of this access is `{late}`"))
                && warned.detail.contains(&format!("`{dead}` (at")),
            "{}",
            warned.detail
        );
        tf.ok(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-replace=jit_grant.early",
        ]);
        assert_latest_enabled(tf, aws, &check, "after replacing a grant");
        assert!(
            lease_names(aws, &check).contains(&dead),
            "the dead run's lease is switched off, not deleted, while the access is granted"
        );
        assert_no_lease_warning(tf);
        tf.assert_plan_empty();
        destroy_clean(tf, aws, &check);
    }
);

tftest!(
    faults_grant_lease_rewritten_outside_terraform_then_destroy_says_access_continues,
    |tf, aws| {
        // A colleague with Scheduler write access rewrites the grant's
        // lease in place: same name, another `granted_at` (so it looks
        // taken over by a later run of this grant) and a far expiry. The
        // destroy of the grant must either remove the access or say that
        // it continues, and until when; never succeed in silence.
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        tf.apply();
        let name = tf.resource("jit_grant.g")["schedule_name"]
            .as_str()
            .unwrap()
            .to_string();
        aws.run(async {
            let scheduler = &aws.clients.scheduler;
            let lease = scheduler
                .get_schedule()
                .group_name(&check.group)
                .name(&name)
                .send()
                .await
                .unwrap();
            let meta = LeaseMeta {
                granted_at: "2020-01-01T00:00:00Z".into(),
                ..LeaseMeta::from_description(lease.description().unwrap()).unwrap()
            };
            scheduler
                .update_schedule()
                .group_name(&check.group)
                .name(&name)
                .schedule_expression("at(2099-01-01T00:00:00)")
                .schedule_expression_timezone("UTC")
                .set_flexible_time_window(lease.flexible_time_window().cloned())
                .set_target(lease.target().cloned())
                .description(meta.to_description())
                .state(aws_sdk_scheduler::types::ScheduleState::Enabled)
                .send()
                .await
                .unwrap();
        });
        let out = tf.ok(&["destroy", "-auto-approve", "-no-color", "-refresh=false"]);
        let still = tests::invariants::assignments(aws, &check.accounts);
        assert!(
            still.is_empty() || out.all().contains("Access continues"),
            "the destroy kept the access (lease `{name}` now expires in 2099) and said nothing:\n{}",
            out.all()
        );
    }
);

tftest!(
    faults_grant_second_identical_grant_of_one_state_keeps_its_own_lease,
    |tf, aws| {
        // A second grant of the same access (an extension request: the
        // same principal, permission set, duration, requester and
        // approvers; another reason) is added to the state that holds the
        // first. The apply walk's
        // provider process neither refreshes nor plans the unchanged first
        // grant, so its lease is not "held" there: the second grant must
        // still get a lease of its own, not take the first one's over.
        let proxy = Proxy::start(moto_port(aws));
        let check = applied(tf, aws, &proxy, "");
        tf.apply();
        let first = tf.resource("jit_grant.g")["schedule_name"]
            .as_str()
            .unwrap()
            .to_string();
        let second = grant("g2", "alice").replace(
            "Investigate failing lifecycle rule",
            "Extend: the investigation goes on",
        );
        tf.write_main(&[
            &provider_via(tf, &proxy, &grant_policy()),
            &grant("g", "alice"),
            &second,
        ]);
        let out = tf.apply();
        let ours = tf.resource("jit_grant.g2")["schedule_name"]
            .as_str()
            .unwrap()
            .to_string();
        assert_ne!(
            ours,
            first,
            "the second grant took the first grant's lease over:\n{}",
            out.all()
        );
        check.assert_holds(aws, "after the second grant");
        tf.assert_plan_empty();
    }
);
