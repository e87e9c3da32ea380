//! `jit_grant` steps the other fault cases leave out: a lost answer of the
//! lease's creation (the retry meets the grant's own schedule), a lease
//! confirmation that keeps failing after the assignment was made, a
//! revoke whose `DeleteAccountAssignment` answer is lost or throttled past
//! the retries, and a `timeouts` change (never a replacement). Each case
//! checks the lease invariant ([`LeaseCheck`]) after every run.

use std::collections::BTreeSet;

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
        aws.run(async {
            let scheduler = &aws.clients.scheduler;
            let lease = scheduler
                .get_schedule()
                .group_name(&check.group)
                .name(&name)
                .send()
                .await
                .unwrap();
            scheduler
                .update_schedule()
                .group_name(&check.group)
                .name(&name)
                .schedule_expression(lease.schedule_expression().unwrap())
                .set_flexible_time_window(lease.flexible_time_window().cloned())
                .set_target(lease.target().cloned())
                .set_description(lease.description().map(str::to_string))
                .state(aws_sdk_scheduler::types::ScheduleState::Disabled)
                .send()
                .await
                .unwrap();
        });
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
