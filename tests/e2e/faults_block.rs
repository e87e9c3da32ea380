//! Blocks and standing access under faults, through the fault-injecting
//! proxy, on both Terraform versions:
//!
//! - every step of an IAM and a Cognito block and restore, under throttling
//!   past the retries, 5xx, lost responses and hung calls: after the
//!   faulted apply, after a clean re-apply and after destroy, no user is
//!   half-blocked without a diagnostic listing what was done and what was
//!   not, the plan after the clean re-apply is empty, and the restore is
//!   exact (harness snapshots);
//! - interrupted applies of a block and of a restore (SIGINT, then SIGKILL
//!   while the provider is still at work, at several points and seeds), of
//!   IAM, Cognito and Identity Center users: the next apply converges (takes
//!   the cut-off block over) and the restore after it is exact;
//! - `jit_iam_env_group` rolls a group back when its policy fails;
//!   `jit_identity_center_user` lets exactly one of two users with one email
//!   through a parallel apply; `jit_iam_env_user` leaves a blocked user's
//!   memberships alone.

use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, MessageActionType, SchemaAttributeType,
};
use serde_json::Value;
use terraform_provider_jit::policy::block::is_record_tag;

use super::*;
use tests::identity_center::{fixtures as ic_fixtures, IcUserSnapshot};
use tests::interrupt::{seeded_delay, Interrupted, Running, Target as Signalled};
use tests::invariants::{BlockState, CognitoUserSnapshot, IamUserSnapshot, LeaseCheck};
use tests::proxy::{Fault, Match, Proxy, When};
use tests::TfOutput;

const FLAG: &str = "custom:access_revoked";

/// Quick bounds, so a throttled or hung call fails in seconds.
const FAST: &str = "  aws_attempt_timeout   = \"1s\"\n  aws_operation_timeout = \"3s\"\n  aws_max_attempts      = 2";

fn moto_port(aws: &Aws) -> u16 {
    aws.endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

/// The provider block, through the proxy, with quick bounds.
fn provider(tf: &Tf, proxy: &Proxy) -> String {
    tf.provider(FAST).replace(&tf.endpoint, &proxy.endpoint())
}

fn block(target: &str) -> String {
    format!(
        "\nresource \"jit_user_block\" \"b\" {{\n{target}\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n}}\n"
    )
}

fn iam_target(user: &str) -> String {
    format!("  iam {{\n    user_name = \"{user}\"\n  }}")
}

fn cognito_target(pool: &str, user: &str) -> String {
    format!("  cognito {{\n    user_pool_id = \"{pool}\"\n    username     = \"{user}\"\n  }}")
}

/// The faults tried at every step.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Throttled on every attempt (past the retries).
    Throttle,
    /// HTTP 503 on every attempt.
    ServerError,
    /// The call reaches moto, the answer is lost (every attempt).
    LostResponse,
    /// The call is never answered (every attempt times out).
    Hang,
}

impl Kind {
    fn fault(self) -> Fault {
        match self {
            Self::Throttle => Fault::Throttle,
            Self::ServerError => Fault::ServerError(503),
            Self::LostResponse => Fault::LoseResponse,
            Self::Hang => Fault::Hang,
        }
    }
}

// ---------------------------------------------------------------------------
// Fixtures.

/// An IAM user with a console password, an inline policy of its own, two
/// groups, an active and an inactive access key.
fn iam_fixture(aws: &Aws, name: &str) {
    let iam = aws.iam();
    aws.run(iam.create_user().user_name(name).send()).unwrap();
    aws.run(
        iam.create_login_profile()
            .user_name(name)
            .password("Perm-Passw0rd!")
            .send(),
    )
    .unwrap();
    aws.run(
        iam.put_user_policy()
            .user_name(name)
            .policy_name("own")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#)
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
    let mut keys = Vec::new();
    for _ in 0..2 {
        keys.push(
            aws.run(iam.create_access_key().user_name(name).send())
                .unwrap()
                .access_key
                .unwrap()
                .access_key_id,
        );
    }
    aws.run(
        iam.update_access_key()
            .user_name(name)
            .access_key_id(&keys[1])
            .status(aws_sdk_iam::types::StatusType::Inactive)
            .send(),
    )
    .unwrap();
}

/// A pool whose schema has the flag, with one app client that may not
/// write it.
fn cognito_pool(aws: &Aws, name: &str) -> String {
    let c = &aws.clients.cognito;
    let id = aws
        .run(
            c.create_user_pool()
                .pool_name(name)
                .schema(
                    SchemaAttributeType::builder()
                        .name("access_revoked")
                        .attribute_data_type(AttributeDataType::String)
                        .mutable(true)
                        .build(),
                )
                .send(),
        )
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    aws.run(
        c.create_user_pool_client()
            .user_pool_id(&id)
            .client_name("web")
            .send(),
    )
    .unwrap();
    id
}

/// A user with an email; `flag` is a value the application had set.
fn cognito_fixture(aws: &Aws, pool: &str, username: &str, flag: Option<&str>) {
    let c = &aws.clients.cognito;
    let mut create = c
        .admin_create_user()
        .user_pool_id(pool)
        .username(username)
        .temporary_password("Tmp-Passw0rd!")
        .message_action(MessageActionType::Suppress)
        .user_attributes(
            AttributeType::builder()
                .name("email")
                .value(format!("{username}@example.com"))
                .build()
                .unwrap(),
        );
    if let Some(flag) = flag {
        create = create.user_attributes(
            AttributeType::builder()
                .name(FLAG)
                .value(flag)
                .build()
                .unwrap(),
        );
    }
    aws.run(create.send()).unwrap();
}

/// Tag keys of block records on an IAM user.
fn record_tags(aws: &Aws, user: &str) -> Vec<String> {
    aws.run(aws.iam().list_user_tags().user_name(user).send())
        .unwrap()
        .tags
        .into_iter()
        .map(|t| t.key)
        .filter(|k| is_record_tag(k))
        .collect()
}

// ---------------------------------------------------------------------------
// The invariant of a faulted run.

/// A diagnostic listing what was done and what was not, with this summary.
fn listed(out: &TfOutput, summary: &str) -> bool {
    out.diagnostics().iter().any(|d| {
        d.summary.contains(summary) && d.detail.contains("Done:") && d.detail.contains("Not done:")
    })
}

fn block_status(tf: &Tf) -> Option<String> {
    tf.has_resource("jit_user_block.b").then(|| {
        tf.resource("jit_user_block.b")["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    })
}

/// After a faulted block: blocked, untouched with nothing saved (or saved
/// `INCOMPLETE`), or half-blocked, saved `INCOMPLETE`, with a diagnostic
/// listing the steps.
fn assert_block_outcome(tf: &Tf, out: &TfOutput, state: BlockState, point: &str) {
    let status = block_status(tf);
    match state {
        BlockState::Blocked => {}
        BlockState::Untouched => assert!(
            status.is_none() || status.as_deref() == Some("INCOMPLETE"),
            "{point}: untouched user but block in state as {status:?}\n{}",
            out.all()
        ),
        BlockState::Half(wrong) => {
            assert_eq!(
                status.as_deref(),
                Some("INCOMPLETE"),
                "{point}: half-blocked ({wrong:?}) but state says {status:?}\n{}",
                out.all()
            );
            assert!(
                listed(out, "Block incomplete"),
                "{point}: half-blocked ({wrong:?}) without a diagnostic listing the steps\n{}",
                out.all()
            );
        }
    }
    if status.as_deref() == Some("INCOMPLETE") {
        assert!(listed(out, "Block incomplete"), "{point}\n{}", out.all());
    }
}

/// After a faulted restore: still blocked, restored exactly (then the
/// destroy succeeded), or half-restored with an error listing the steps.
fn assert_restore_outcome(out: &TfOutput, state: BlockState, exact: bool, point: &str) {
    match state {
        BlockState::Blocked => {}
        BlockState::Untouched => assert!(exact, "{point}: restored, but not exactly"),
        BlockState::Half(wrong) => assert!(
            !out.success() && listed(out, "Restore incomplete"),
            "{point}: half-restored ({wrong:?}) without an error listing the steps\n{}",
            out.all()
        ),
    }
    if out.success() {
        assert!(
            exact,
            "{point}: destroy succeeded but the restore is not exact\n{}",
            out.all()
        );
    }
}

fn apply_json(tf: &Tf) -> TfOutput {
    tf.run(&["apply", "-auto-approve", "-no-color", "-json"])
}

fn destroy_json(tf: &Tf) -> TfOutput {
    tf.run(&[
        "apply",
        "-destroy",
        "-auto-approve",
        "-no-color",
        "-json",
        "-refresh=false",
    ])
}

// ---------------------------------------------------------------------------
// Every step of block and restore, under each fault.

const IAM_BLOCK_STEPS: [&str; 6] = [
    "GetUser",
    "ListUserTags",
    "TagUser",
    "PutUserPolicy",
    "UpdateAccessKey",
    "RemoveUserFromGroup",
];
const IAM_RESTORE_STEPS: [&str; 6] = [
    "GetUser",
    "GetGroup",
    "UpdateAccessKey",
    "AddUserToGroup",
    "UntagUser",
    "DeleteUserPolicy",
];

/// Blocks and restores a fresh IAM user per step pair, with `kind` on
/// every call of the step's operation. Returns the fault points tried.
fn iam_under(tf: &Tf, aws: &Aws, kind: Kind) -> usize {
    let started = Instant::now();
    let proxy = Proxy::start(moto_port(aws));
    let mut points = 0;
    for (i, (block_op, restore_op)) in IAM_BLOCK_STEPS.iter().zip(IAM_RESTORE_STEPS).enumerate() {
        let user = format!("{}-u{i}", tf.prefix);
        iam_fixture(aws, &user);
        let before = IamUserSnapshot::take(aws, &user).unwrap();
        tf.write_main(&[&provider(tf, &proxy), &block(&iam_target(&user))]);
        if i == 0 {
            tf.init();
        }
        let snapshot = || IamUserSnapshot::take(aws, &user).unwrap();

        let point = format!("{kind:?} on block step {block_op}");
        proxy.inject(
            Match::op(block_op).in_service("iam"),
            When::every(),
            kind.fault(),
        );
        let out = apply_json(tf);
        proxy.clear_faults();
        assert!(
            proxy.count(&Match::op(block_op)) > 0,
            "{point}: never called"
        );
        assert_block_outcome(tf, &out, snapshot().block_state(&before), &point);
        tf.apply();
        assert_eq!(
            snapshot().block_state(&before),
            BlockState::Blocked,
            "{point}"
        );
        tf.assert_plan_empty();

        let point = format!("{kind:?} on restore step {restore_op}");
        proxy.inject(
            Match::op(restore_op).in_service("iam"),
            When::every(),
            kind.fault(),
        );
        let out = destroy_json(tf);
        proxy.clear_faults();
        let now = snapshot();
        assert_restore_outcome(&out, now.block_state(&before), now == before, &point);
        tf.destroy();
        assert_eq!(snapshot(), before, "{point}: restore not exact");
        assert!(record_tags(aws, &user).is_empty(), "{point}: records left");
        proxy.clear();
        points += 2;
    }
    eprintln!(
        "faults_block: IAM, {kind:?}, Terraform {}: {points} fault points in {:.0?}",
        tf.version.as_str(),
        started.elapsed()
    );
    points
}

const COGNITO_BLOCK_STEPS: [&str; 5] = [
    "DescribeUserPool",
    "AdminGetUser",
    "AdminUpdateUserAttributes",
    "AdminUserGlobalSignOut",
    "AdminDisableUser",
];
const COGNITO_RESTORE_STEPS: [&str; 4] = [
    "AdminGetUser",
    "AdminEnableUser",
    "AdminDeleteUserAttributes",
    "AdminUpdateUserAttributes",
];

/// The same for Cognito users; the restore step that writes the flag back
/// gets a user whose application had set a value of its own.
fn cognito_under(tf: &Tf, aws: &Aws, kind: Kind) -> usize {
    let started = Instant::now();
    let proxy = Proxy::start(moto_port(aws));
    let pool = cognito_pool(aws, &format!("{}-pool", tf.prefix));
    let mut points = 0;
    for (i, block_op) in COGNITO_BLOCK_STEPS.iter().enumerate() {
        let restore_op = COGNITO_RESTORE_STEPS.get(i).copied();
        let user = format!("u{i}");
        let earlier = (restore_op == Some("AdminUpdateUserAttributes")).then_some("fraud-review");
        cognito_fixture(aws, &pool, &user, earlier);
        let before = CognitoUserSnapshot::take(aws, &pool, &user).unwrap();
        tf.write_main(&[&provider(tf, &proxy), &block(&cognito_target(&pool, &user))]);
        if i == 0 {
            tf.init();
        }
        let snapshot = || CognitoUserSnapshot::take(aws, &pool, &user).unwrap();

        let point = format!("{kind:?} on block step {block_op}");
        proxy.inject(
            Match::op(block_op).in_service("cognito-idp"),
            When::every(),
            kind.fault(),
        );
        let out = apply_json(tf);
        proxy.clear_faults();
        assert!(
            proxy.count(&Match::op(block_op)) > 0,
            "{point}: never called"
        );
        assert_block_outcome(tf, &out, snapshot().block_state(&before, FLAG), &point);
        tf.apply();
        assert_eq!(
            snapshot().block_state(&before, FLAG),
            BlockState::Blocked,
            "{point}"
        );
        tf.assert_plan_empty();
        points += 1;

        if let Some(restore_op) = restore_op {
            let point = format!("{kind:?} on restore step {restore_op}");
            proxy.inject(
                Match::op(restore_op).in_service("cognito-idp"),
                When::every(),
                kind.fault(),
            );
            let out = destroy_json(tf);
            proxy.clear_faults();
            assert!(
                proxy.count(&Match::op(restore_op)) > 0,
                "{point}: never called"
            );
            let now = snapshot();
            assert_restore_outcome(&out, now.block_state(&before, FLAG), now == before, &point);
            points += 1;
        }
        tf.destroy();
        assert_eq!(
            snapshot(),
            before,
            "{kind:?}, user {user}: restore not exact"
        );
        proxy.clear();
    }
    eprintln!(
        "faults_block: Cognito, {kind:?}, Terraform {}: {points} fault points in {:.0?}",
        tf.version.as_str(),
        started.elapsed()
    );
    points
}

tftest!(faults_block_iam_throttled_past_retries, |tf, aws| {
    assert_eq!(iam_under(tf, aws, Kind::Throttle), 12);
});

tftest!(faults_block_iam_server_errors, |tf, aws| {
    assert_eq!(iam_under(tf, aws, Kind::ServerError), 12);
});

tftest!(faults_block_iam_lost_responses, |tf, aws| {
    assert_eq!(iam_under(tf, aws, Kind::LostResponse), 12);
});

tftest!(faults_block_iam_hung_calls, |tf, aws| {
    assert_eq!(iam_under(tf, aws, Kind::Hang), 12);
});

tftest!(faults_block_cognito_throttled_past_retries, |tf, aws| {
    assert_eq!(cognito_under(tf, aws, Kind::Throttle), 9);
});

tftest!(faults_block_cognito_server_errors, |tf, aws| {
    assert_eq!(cognito_under(tf, aws, Kind::ServerError), 9);
});

tftest!(faults_block_cognito_lost_responses, |tf, aws| {
    assert_eq!(cognito_under(tf, aws, Kind::LostResponse), 9);
});

tftest!(faults_block_cognito_hung_calls, |tf, aws| {
    assert_eq!(cognito_under(tf, aws, Kind::Hang), 9);
});

// ---------------------------------------------------------------------------
// Interrupted applies: SIGINT at a step, SIGKILL while the provider is
// still at work (every call is slowed down), then the next apply.

/// How long every call of an interrupted apply is held by the proxy.
const SLOW: Duration = Duration::from_millis(700);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Block,
    Restore,
}

/// One trial in its own working directory (every call to `services`
/// slowed down): interrupt `phase` when the `nth` call of `op` arrives, kill after a grace drawn from `seed`, then
/// converge and restore exactly.
#[allow(clippy::too_many_arguments)]
fn interrupted_trial(
    tf: &Tf,
    proxy: &Proxy,
    trial: usize,
    services: &[&str],
    target: &str,
    (op, nth): (&str, usize),
    phase: Phase,
    seed: u64,
    check: &dyn Fn() -> (BlockState, bool),
) -> Interrupted {
    let dir = tf.sibling(&format!("t{trial}"));
    dir.write_main(&[&provider(tf, proxy), &block(target)]);
    dir.init();
    if phase == Phase::Restore {
        dir.apply();
        assert_eq!(check().0, BlockState::Blocked);
    }
    for service in services {
        proxy.inject(Match::service(service), When::every(), Fault::Delay(SLOW));
    }
    let signalled = if seed.is_multiple_of(2) {
        Signalled::Group
    } else {
        Signalled::Terraform
    };
    let args: &[&str] = match phase {
        Phase::Block => &["apply", "-auto-approve", "-no-color", "-json"],
        Phase::Restore => &["apply", "-destroy", "-auto-approve", "-no-color", "-json"],
    };
    let run = Running::spawn(&dir, args, signalled);
    let at = match services {
        [service] => Match::op(op).in_service(service),
        _ => Match::op(op),
    };
    run.interrupt_at(proxy, at, nth);
    let grace = seeded_delay(
        seed,
        Duration::from_millis(200),
        Duration::from_millis(1800),
    );
    let outcome = run.finish(grace, Duration::from_secs(300));
    proxy.clear_faults();
    // Calls the stopped apply had sent are still held by the proxy (the one
    // that triggered the interrupt for SETTLE, each for the slow-down) and
    // reach moto after it ended. AWS acts on a call it has received at
    // once, not seconds later when another apply has read the user and
    // taken the block over: let them land first.
    std::thread::sleep(tests::interrupt::SETTLE + SLOW + Duration::from_millis(500));
    let point = format!("{phase:?} interrupted at {op} #{nth}, seed {seed}, {signalled:?}");
    assert!(outcome.interrupted, "{point}: {outcome:?}");
    let (state, _) = check();
    // A run that ended by itself had the provider report what it did.
    if !outcome.killed {
        if let BlockState::Half(wrong) = &state {
            let summary = match phase {
                Phase::Block => "Block incomplete",
                Phase::Restore => "Restore incomplete",
            };
            assert!(
                listed(&outcome.output, summary),
                "{point}: half-blocked ({wrong:?}) without the steps listed\n{}",
                outcome.output.all()
            );
        }
    }
    // The next apply converges; the restore after it is exact.
    if phase == Phase::Block {
        let next = dir.run(&["apply", "-auto-approve", "-no-color"]);
        assert!(next.success(), "{point}: {}", next.all());
        assert_eq!(check().0, BlockState::Blocked, "{point}");
        dir.assert_plan_empty();
    }
    let last = dir.run(&["destroy", "-auto-approve", "-no-color"]);
    assert!(last.success(), "{point}: {}", last.all());
    assert!(check().1, "{point}: not restored exactly\n{}", last.all());
    proxy.clear();
    let _ = std::fs::remove_dir_all(&dir.dir);
    outcome
}

type Point = (Phase, &'static str, usize);

const IAM_INTERRUPTS: [Point; 8] = [
    (Phase::Block, "TagUser", 1),
    (Phase::Block, "PutUserPolicy", 1),
    (Phase::Block, "UpdateAccessKey", 1),
    (Phase::Block, "RemoveUserFromGroup", 1),
    (Phase::Restore, "UpdateAccessKey", 1),
    (Phase::Restore, "AddUserToGroup", 1),
    (Phase::Restore, "UntagUser", 1),
    (Phase::Restore, "DeleteUserPolicy", 1),
];

/// A kill after a new block's last write (the record without its pending
/// mark, with its placed mark) reached AWS, before Terraform saved the
/// state: the finished block is in AWS with no state referring to it. The
/// next apply of the same block from the same working directory takes it
/// over instead of placing a second block beside it, so the last restore
/// is exact.
const IAM_FINAL_WRITE: [Point; 1] = [(Phase::Block, "TagUser", 2)];

const SEEDS: [u64; 2] = [4, 7];

fn iam_trials(tf: &Tf, aws: &Aws, points: &[Point]) {
    let proxy = Proxy::start(moto_port(aws));
    let (mut trials, mut killed) = (0, 0);
    for (point, (phase, op, nth)) in points.iter().enumerate() {
        for seed in SEEDS {
            let user = format!("{}-i{point}s{seed}", tf.prefix);
            iam_fixture(aws, &user);
            let before = IamUserSnapshot::take(aws, &user).unwrap();
            let check = || {
                let now = IamUserSnapshot::take(aws, &user).unwrap();
                let exact = now == before && record_tags(aws, &user).is_empty();
                (now.block_state(&before), exact)
            };
            let outcome = interrupted_trial(
                tf,
                &proxy,
                trials,
                &["iam"],
                &iam_target(&user),
                (op, *nth),
                *phase,
                seed + point as u64,
                &check,
            );
            trials += 1;
            killed += usize::from(outcome.killed);
        }
    }
    eprintln!(
        "faults_block: IAM interrupted trials, Terraform {}: {trials} trials, {killed} ended by SIGKILL",
        tf.version.as_str()
    );
    assert!(killed > 0, "no trial was cut off by SIGKILL");
}

tftest!(faults_block_iam_interrupted_block_and_restore, |tf, aws| {
    iam_trials(tf, aws, &IAM_INTERRUPTS);
});

tftest!(
    faults_block_iam_killed_after_the_last_block_write,
    |tf, aws| {
        iam_trials(tf, aws, &IAM_FINAL_WRITE);
    }
);

const COGNITO_INTERRUPTS: [Point; 5] = [
    (Phase::Block, "AdminUpdateUserAttributes", 1),
    (Phase::Block, "AdminUserGlobalSignOut", 1),
    (Phase::Block, "AdminDisableUser", 1),
    (Phase::Restore, "AdminEnableUser", 1),
    (Phase::Restore, "AdminDeleteUserAttributes", 1),
];

/// As [`IAM_FINAL_WRITE`]: the flag rewritten without its pending mark.
const COGNITO_FINAL_WRITE: [Point; 1] = [(Phase::Block, "AdminUpdateUserAttributes", 2)];

fn cognito_trials(tf: &Tf, aws: &Aws, points: &[Point]) {
    let proxy = Proxy::start(moto_port(aws));
    let pool = cognito_pool(aws, &format!("{}-pool", tf.prefix));
    let (mut trials, mut killed) = (0, 0);
    for (point, (phase, op, nth)) in points.iter().enumerate() {
        for seed in SEEDS {
            let user = format!("i{point}s{seed}");
            cognito_fixture(aws, &pool, &user, None);
            let before = CognitoUserSnapshot::take(aws, &pool, &user).unwrap();
            let check = || {
                let now = CognitoUserSnapshot::take(aws, &pool, &user).unwrap();
                (now.block_state(&before, FLAG), now == before)
            };
            let outcome = interrupted_trial(
                tf,
                &proxy,
                trials,
                &["cognito-idp"],
                &cognito_target(&pool, &user),
                (op, *nth),
                *phase,
                seed + point as u64,
                &check,
            );
            trials += 1;
            killed += usize::from(outcome.killed);
        }
    }
    eprintln!(
        "faults_block: Cognito interrupted trials, Terraform {}: {trials} trials, {killed} ended by SIGKILL",
        tf.version.as_str()
    );
    assert!(killed > 0, "no trial was cut off by SIGKILL");
}

tftest!(
    faults_block_cognito_interrupted_block_and_restore,
    |tf, aws| {
        cognito_trials(tf, aws, &COGNITO_INTERRUPTS);
    }
);

tftest!(
    faults_block_cognito_killed_after_the_last_block_write,
    |tf, aws| {
        cognito_trials(tf, aws, &COGNITO_FINAL_WRITE);
    }
);

/// Interrupt points of an Identity Center block and restore: the deny
/// statement written (with the pending mark), the memberships and the
/// assignments removed; on restore, the memberships and assignments
/// re-created and the user's entries removed from the statement.
const IC_INTERRUPTS: [Point; 6] = [
    (Phase::Block, "PutInlinePolicyToPermissionSet", 1),
    (Phase::Block, "DeleteGroupMembership", 1),
    (Phase::Block, "DeleteAccountAssignment", 1),
    (Phase::Restore, "CreateGroupMembership", 1),
    (Phase::Restore, "CreateAccountAssignment", 1),
    (Phase::Restore, "PutInlinePolicyToPermissionSet", 1),
];

/// As [`IAM_FINAL_WRITE`]: the statement of the second permission set
/// rewritten without the pending mark (the fixture's two sets each get the
/// block's first write, then its last).
const IC_FINAL_WRITE: [Point; 1] = [(Phase::Block, "PutInlinePolicyToPermissionSet", 4)];

fn ic_target(user: &str) -> String {
    format!("  identity_center {{\n    user = \"{user}\"\n  }}")
}

/// A settled block of an Identity Center user has one marker and no
/// pending mark: a second marker is a block of a killed apply that was not
/// taken over (its last restore would leave the user blocked).
fn ic_state(now: &IcUserSnapshot, before: &IcUserSnapshot) -> BlockState {
    let state = now.block_state(before);
    if state != BlockState::Blocked {
        return state;
    }
    let mut wrong = Vec::new();
    for (set, values) in &now.entries {
        let markers = values
            .iter()
            .filter(|v| v.matches('#').count() == 1)
            .count();
        if markers != 1 {
            wrong.push(format!("`{set}` has {markers} markers: {values:?}"));
        }
        if values.iter().any(|v| v.contains("#p.")) {
            wrong.push(format!("`{set}` has a pending mark: {values:?}"));
        }
    }
    if wrong.is_empty() {
        BlockState::Blocked
    } else {
        BlockState::Half(wrong)
    }
}

fn ic_trials(tf: &Tf, aws: &Aws, points: &[Point]) {
    let proxy = Proxy::start(moto_port(aws));
    let mut fx = ic_fixtures(aws);
    let leases = LeaseCheck::before(aws);
    let (mut trials, mut killed) = (0, 0);
    for (point, (phase, op, nth)) in points.iter().enumerate() {
        for seed in SEEDS {
            let user = format!("i{point}s{seed}");
            fx.add_member(aws, &user);
            let leases = LeaseCheck {
                standing: tests::invariants::assignments(aws, &leases.accounts),
                ..leases.clone()
            };
            let before = fx.snapshot(aws, &user);
            assert_eq!(before.assignments.len(), 1);
            assert_eq!(before.groups.len(), 1);
            let check = || {
                let now = fx.snapshot(aws, &user);
                leases.assert_holds(aws, &format!("trial {trials} of `{user}`"));
                (ic_state(&now, &before), now == before)
            };
            let outcome = interrupted_trial(
                tf,
                &proxy,
                trials,
                &["sso-admin", "identitystore"],
                &ic_target(&user),
                (op, *nth),
                *phase,
                seed + point as u64,
                &check,
            );
            trials += 1;
            killed += usize::from(outcome.killed);
        }
    }
    eprintln!(
        "faults_block: Identity Center interrupted trials, Terraform {}: {trials} trials, {killed} ended by SIGKILL",
        tf.version.as_str()
    );
    assert!(killed > 0, "no trial was cut off by SIGKILL");
}

tftest!(
    faults_block_identity_center_interrupted_block_and_restore,
    |tf, aws| {
        ic_trials(tf, aws, &IC_INTERRUPTS);
    }
);

tftest!(
    faults_block_identity_center_killed_after_the_last_block_write,
    |tf, aws| {
        ic_trials(tf, aws, &IC_FINAL_WRITE);
    }
);

// ---------------------------------------------------------------------------
// Standing access.

tftest!(
    faults_block_env_group_rolls_back_a_failed_create,
    |tf, aws| {
        let proxy = Proxy::start(moto_port(aws));
        let name = format!("{}-dev-developer", tf.prefix);
        // Not the quick bounds: the faults here answer at once (500, reset),
        // and a 1 s attempt timeout under load would add a fault this case
        // is not about (a CreateGroup that timed out, retried, then answered
        // EntityAlreadyExists). One attempt: no call is ever sent twice.
        let bounds = "  aws_attempt_timeout   = \"60s\"\n  aws_operation_timeout = \"120s\"\n  aws_max_attempts      = 1";
        tf.write_main(&[
        &tf.provider(bounds).replace(&tf.endpoint, &proxy.endpoint()),
        &format!(
            "\nresource \"jit_iam_env_group\" \"g\" {{\n  name_prefix = \"{}\"\n  environment = \"dev\"\n  role        = \"developer\"\n}}\n",
            tf.prefix
        ),
    ]);
        tf.init();
        let exists = || {
            aws.run(aws.iam().get_group().group_name(&name).send())
                .is_ok()
        };
        // Every PutGroupPolicy fails: the group made a moment before is deleted
        // again, nothing is in state, nothing tainted waits to be replaced.
        proxy.inject(
            Match::op("PutGroupPolicy"),
            When::every(),
            Fault::ServerError(500),
        );
        let out = tf.apply_fails();
        let diag = out.error("Group not created");
        assert!(diag.detail.contains("deleted again"), "{diag:?}");
        assert!(!exists(), "the group without its policy was left behind");
        assert!(!tf.has_resource("jit_iam_env_group.g"));
        // A lost answer (the policy was attached): rolled back all the same.
        proxy.clear_faults();
        proxy.inject(
            Match::op("PutGroupPolicy"),
            When::every(),
            Fault::LoseResponse,
        );
        tf.apply_fails().error("Group not created");
        assert!(!exists());
        proxy.clear_faults();
        tf.apply();
        assert!(exists());
        tf.assert_plan_empty();
    }
);

tftest!(
    faults_block_duplicate_email_in_one_parallel_apply,
    |tf, _aws| {
        // Two users, one email, created in the same apply at once: exactly one
        // passes the duplicate check.
        let user = |label: &str, name: &str| {
            format!(
            "\nresource \"jit_identity_center_user\" \"{label}\" {{\n  user_name   = \"{name}\"\n  given_name  = \"Ada\"\n  family_name = \"Lovelace\"\n  email       = \"ada@example.com\"\n}}\n"
        )
        };
        tf.write_main(&[
            &tf.provider(""),
            &user("one", &format!("{}-one", tf.prefix)),
            &user("two", &format!("{}-two", tf.prefix)),
        ]);
        tf.init();
        let out = tf.apply_fails();
        let conflicts: Vec<_> = out
            .diagnostics()
            .into_iter()
            .filter(|d| d.severity == "error" && d.summary.contains("already belongs to"))
            .collect();
        assert_eq!(conflicts.len(), 1, "{}", out.all());
        let created = ["one", "two"]
            .iter()
            .filter(|label| tf.has_resource(&format!("jit_identity_center_user.{label}")))
            .count();
        assert_eq!(created, 1);
    }
);

tftest!(
    faults_block_env_user_leaves_a_blocked_users_groups_alone,
    |tf, aws| {
        let groups = |roles: &[&str]| {
            roles
            .iter()
            .map(|role| {
                format!(
                    "\nresource \"jit_iam_env_group\" \"{role}\" {{\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  role        = \"{role}\"\n}}\n",
                    p = tf.prefix
                )
            })
            .collect::<String>()
        };
        let name = format!("{}-alice", tf.prefix);
        let user = |role: &str| {
            format!(
            "\nresource \"jit_iam_env_user\" \"u\" {{\n  name        = \"{name}\"\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  roles       = [\"{role}\"]\n  depends_on  = [jit_iam_env_group.infra-member, jit_iam_env_group.infra-manager]\n}}\n",
            p = tf.prefix
        )
        };
        let blocked = "\nresource \"jit_user_block\" \"b\" {\n  iam {\n    user_name = jit_iam_env_user.u.name\n  }\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n}\n".to_string();
        let all_groups = groups(&["infra-member", "infra-manager"]);
        let member = format!("{}-dev-infra-member", tf.prefix);
        let manager = format!("{}-dev-infra-manager", tf.prefix);
        let memberships = || {
            let mut names: Vec<String> = aws
                .run(aws.iam().list_groups_for_user().user_name(&name).send())
                .unwrap()
                .groups
                .into_iter()
                .map(|g| g.group_name)
                .collect();
            names.sort();
            names
        };
        tf.write_main(&[&tf.provider(""), &all_groups, &user("infra-member")]);
        tf.init();
        tf.apply();
        assert_eq!(memberships(), std::slice::from_ref(&member));

        // Blocked: the user leaves its group, and the env user neither adds it
        // back nor shows a diff; the plan says why.
        tf.write_main(&[
            &tf.provider(""),
            &all_groups,
            &user("infra-member"),
            &blocked,
        ]);
        tf.apply();
        assert!(memberships().is_empty());
        let plan = tf.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(plan.code, 0, "{}", plan.all());
        assert!(
            plan.all().contains("group memberships left alone"),
            "{}",
            plan.all()
        );
        // A role change while blocked is recorded, not applied.
        tf.write_main(&[
            &tf.provider(""),
            &all_groups,
            &user("infra-manager"),
            &blocked,
        ]);
        tf.apply();
        assert!(memberships().is_empty());
        tf.assert_plan_empty();

        // Restored: the block puts back what it removed; the next apply then
        // moves the user to its new role group.
        tf.write_main(&[&tf.provider(""), &all_groups, &user("infra-manager")]);
        tf.apply();
        assert_eq!(memberships(), [member]);
        let after: Value = tf.resource("jit_iam_env_user.u")["groups"].clone();
        assert_eq!(after, serde_json::json!([manager.clone()]));
        tf.apply();
        assert_eq!(memberships(), [manager]);
        tf.assert_plan_empty();
    }
);
