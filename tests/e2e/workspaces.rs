//! Two workspaces (two working directories and state files) against one
//! AWS, and one configuration split across an aliased second provider
//! (two provider processes in one apply). DESIGN "Trust under faults and
//! adversaries": safety nets coexist, only remove what you own, the last
//! one out restores exactly. Workspaces apply at the same time where the
//! guarantee is about concurrent owners; the proxy then stands in for AWS
//! (one assignment per key) and delays writes so both runs read before
//! either writes, which makes the race deterministic.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, ExplicitAuthFlowsType, MessageActionType, SchemaAttributeType,
};
use terraform_provider_jit::policy::block::Flag;

use super::*;
use tests::invariants::{
    assignments, leases, BlockState, CognitoUserSnapshot, IamUserSnapshot, Lease, LeaseCheck,
};
use tests::proxy::{Fault, Match, Proxy, When};
use tests::TfOutput;

const ACCOUNT: &str = "123456789012";
const GROUP: &str = "jit-grants";
const SET: &str = "JIT-S3FullAccess";
const FLAG: &str = "custom:access_revoked";

/// Provider block lines: revoker role, `JIT-S3FullAccess` and
/// `JIT-ReadOnly` low risk.
const POLICY: &str = "  revoker_role_arn = \"arn:aws:iam::123456789012:role/jit-revoker\"\n  grant_policy {\n    max_duration = \"1h\"\n    permission_set {\n      name = \"JIT-S3FullAccess\"\n      risk = \"low\"\n    }\n    permission_set {\n      name = \"JIT-ReadOnly\"\n      risk = \"low\"\n    }\n  }\n";

/// Identity Center: alice (a user) and two permission sets exist.
struct Sso {
    alice: String,
}

fn sso(aws: &Aws) -> Sso {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = &instances.instances()[0];
        let instance_arn = instance.instance_arn().unwrap().to_string();
        let store_id = instance.identity_store_id().unwrap().to_string();
        let alice = aws
            .create_identity_center_user(
                &store_id,
                "alice@example.com",
                "alice",
                "alice@example.com",
            )
            .await;
        // The bootstrap makes the group. Two processes creating it at once
        // would each succeed in moto, which then drops the schedules of the
        // first (AWS answers the second `ConflictException`).
        aws.clients
            .scheduler
            .create_schedule_group()
            .name(GROUP)
            .send()
            .await
            .unwrap();
        for set in [SET, "JIT-ReadOnly"] {
            sso.create_permission_set()
                .instance_arn(&instance_arn)
                .name(set)
                .session_duration("PT1H")
                .send()
                .await
                .unwrap();
        }
        Sso { alice }
    })
}

/// A low-risk grant of `JIT-S3FullAccess` to alice; `provider` is the
/// `provider = …` line or empty.
fn grant(name: &str, duration: &str, provider: &str) -> String {
    grant_of(name, SET, duration, provider)
}

/// A low-risk grant of `set` to alice.
fn grant_of(name: &str, set: &str, duration: &str, provider: &str) -> String {
    format!(
        "\nresource \"jit_grant\" \"{name}\" {{\n{provider}\n  principal      = \"alice@example.com\"\n  account_id     = \"{ACCOUNT}\"\n  permission_set = \"{set}\"\n  duration       = \"{duration}\"\n  reason         = \"Investigate failing lifecycle rule\"\n  requested_by   = \"alice@example.com\"\n}}\n"
    )
}

/// A block of `target` (an `iam {}`, `cognito {}` or `identity_center {}`
/// block); `provider` is the `provider = …` line or empty.
fn block(name: &str, target: &str, provider: &str) -> String {
    format!(
        "\nresource \"jit_user_block\" \"{name}\" {{\n{provider}\n{target}\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n}}\n"
    )
}

fn iam_target(user: &str) -> String {
    format!("  iam {{\n    user_name = \"{user}\"\n  }}")
}

fn cognito_target(pool: &str) -> String {
    format!("  cognito {{\n    user_pool_id = \"{pool}\"\n    username     = \"mallory\"\n  }}")
}

/// Principal ids assigned the permission set in the account.
fn assigned(aws: &Aws) -> Vec<String> {
    assignments(aws, &[ACCOUNT.to_string()])
        .into_iter()
        .map(|a| a.principal_id)
        .collect()
}

fn lease_names(leases: &[Lease]) -> BTreeSet<String> {
    leases.iter().map(|l| l.name.clone()).collect()
}

fn enabled_leases(aws: &Aws) -> Vec<String> {
    leases(aws, GROUP)
        .into_iter()
        .filter(|l| l.enabled)
        .map(|l| l.name)
        .collect()
}

fn text(tf: &Tf, address: &str, attribute: &str) -> String {
    tf.resource(address)[attribute]
        .as_str()
        .unwrap_or_else(|| panic!("{address}.{attribute}"))
        .to_string()
}

fn moto_port(aws: &Aws) -> u16 {
    aws.endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

/// `terraform apply` in both workspaces at the same time; both must succeed.
fn apply_together(a: &Tf, b: &Tf) {
    let args = ["apply", "-auto-approve", "-no-color"];
    let (first, second): (TfOutput, TfOutput) = std::thread::scope(|s| {
        let first = s.spawn(|| a.run(&args));
        let second = s.spawn(|| b.run(&args));
        (first.join().unwrap(), second.join().unwrap())
    });
    for output in [first, second] {
        assert!(
            output.success(),
            "`{}` failed:\n{}",
            output.command,
            output.all()
        );
    }
}

/// `terraform-provider-jit audit verify FILE`: exit code and output.
fn audit_verify(log: &std::path::Path) -> (Option<i32>, String) {
    let output = std::process::Command::new(&tests::tools::tools().provider_binary)
        .args(["audit", "verify"])
        .arg(log)
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    (
        output.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

// ---------------------------------------------------------------------------
// Fixtures of the blocked users.

/// An IAM user with a console password, an active key and two groups.
fn iam_user(aws: &Aws, prefix: &str) -> String {
    let iam = aws.iam();
    let name = format!("{prefix}-mallory");
    aws.run(async {
        iam.create_user().user_name(&name).send().await.unwrap();
        iam.create_login_profile()
            .user_name(&name)
            .password("Perm-Passw0rd!")
            .send()
            .await
            .unwrap();
        for group in ["ops", "dev"] {
            let group = format!("{prefix}-{group}");
            iam.create_group().group_name(&group).send().await.unwrap();
            iam.add_user_to_group()
                .group_name(&group)
                .user_name(&name)
                .send()
                .await
                .unwrap();
        }
        iam.create_access_key()
            .user_name(&name)
            .send()
            .await
            .unwrap();
    });
    name
}

/// A pool with the flag in its schema (no app client may write it) and an
/// enabled, confirmed user `mallory`; returns the pool id.
fn cognito_user(aws: &Aws, prefix: &str) -> String {
    let c = &aws.clients.cognito;
    aws.run(async {
        let id = c
            .create_user_pool()
            .pool_name(format!("{prefix}-app"))
            .schema(
                SchemaAttributeType::builder()
                    .name("access_revoked")
                    .attribute_data_type(AttributeDataType::String)
                    .mutable(true)
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .user_pool
            .unwrap()
            .id
            .unwrap();
        c.create_user_pool_client()
            .user_pool_id(&id)
            .client_name("web")
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .unwrap();
        c.admin_create_user()
            .user_pool_id(&id)
            .username("mallory")
            .temporary_password("Tmp-Passw0rd!")
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        c.admin_set_user_password()
            .user_pool_id(&id)
            .username("mallory")
            .password("Perm-Passw0rd!")
            .permanent(true)
            .send()
            .await
            .unwrap();
        id
    })
}

/// Block markers in the Cognito flag, sorted.
fn flag_markers(aws: &Aws, pool: &str) -> Vec<String> {
    let snapshot = CognitoUserSnapshot::take(aws, pool, "mallory").unwrap();
    let mut markers: Vec<String> = snapshot
        .attributes
        .get(FLAG)
        .and_then(|v| Flag::parse(v))
        .map(|f| f.blocks.into_iter().map(|b| b.marker).collect())
        .unwrap_or_default();
    markers.sort();
    markers
}

/// Names of the block deny policies on the IAM user, sorted.
fn deny_policies(aws: &Aws, user: &str) -> Vec<String> {
    let mut names: Vec<String> = IamUserSnapshot::take(aws, user)
        .unwrap()
        .policies
        .into_keys()
        .filter(|p| terraform_provider_jit::policy::block::is_marker(p))
        .collect();
    names.sort();
    names
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

// ---------------------------------------------------------------------------
// Grants.

/// Two workspaces `a` and `b` at the proxy, each with one grant of alice's
/// S3 access; the first two lease writes are delayed 2 s, so runs that
/// overlap both list the leases before either lease exists.
fn two_racing_workspaces(tf: &Tf, proxy: &Proxy, a_duration: &str, b_duration: &str) -> Tf {
    proxy.inject(
        Match::route("POST", "/schedules/jit-"),
        When::first(2),
        Fault::Delay(Duration::from_secs(2)),
    );
    let provider = tf.provider(POLICY).replace(&tf.endpoint, &proxy.endpoint());
    let b = tf.sibling("b");
    tf.write_main(&[&provider, &grant("s3", a_duration, "")]);
    b.write_main(&[&provider, &grant("s3", b_duration, "")]);
    tf.init();
    b.init();
    b
}

tftest!(workspaces_first_grants_of_one_access_at_once, |tf, aws| {
    // Nobody holds the access yet; two workspaces grant it at once. Both
    // find it unassigned, both write a lease and ask for the assignment;
    // AWS keeps one and answers the later request "already exists". That
    // answer is definite and the assignment is there with our lease:
    // the grant shares it, and both applies succeed.
    let fx = sso(aws);
    let proxy = Proxy::start(moto_port(aws));
    let b = two_racing_workspaces(tf, &proxy, "1h", "1h");
    apply_together(tf, &b);
    proxy.clear_faults();
    assert_eq!(assigned(aws), vec![fx.alice.clone()]);
    LeaseCheck::default().assert_holds(aws, "after both applies");
    assert_eq!(enabled_leases(aws).len(), 1, "{:?}", leases(aws, GROUP));
    tf.assert_plan_empty();
    b.assert_plan_empty();
    tf.destroy();
    assert_eq!(assigned(aws), vec![fx.alice.clone()]);
    b.destroy();
    assert!(assigned(aws).is_empty());
    assert!(leases(aws, GROUP).is_empty());
    let _ = std::fs::remove_dir_all(&b.dir);
});

tftest!(workspaces_grant_one_access_at_once, |tf, aws| {
    // A third workspace holds alice's S3 access for 10 minutes; then two
    // workspaces grant it at once for 1h (a) and 30m (b). Each lists the
    // leases before the other's exists. Only the latest expiry (a's) may
    // stay enabled: an enabled 30m lease would end a's 1h access early.
    let fx = sso(aws);
    let c = tf.sibling("c");
    c.write_main(&[&tf.provider(POLICY), &grant("s3", "10m", "")]);
    c.init();
    c.apply();
    let first = text(&c, "jit_grant.s3", "schedule_name");
    let proxy = Proxy::start(moto_port(aws));
    let (a, b) = (tf, two_racing_workspaces(tf, &proxy, "1h", "30m"));
    apply_together(a, &b);
    proxy.clear_faults();

    let (long, short) = (
        text(a, "jit_grant.s3", "schedule_name"),
        text(&b, "jit_grant.s3", "schedule_name"),
    );
    assert_eq!(assigned(aws), vec![fx.alice.clone()]);
    assert_eq!(
        lease_names(&leases(aws, GROUP)),
        BTreeSet::from([first.clone(), long.clone(), short.clone()])
    );
    LeaseCheck::default().assert_holds(aws, "after both applies");
    assert_eq!(
        enabled_leases(aws),
        vec![long.clone()],
        "only the latest-expiring lease may be enabled"
    );
    a.assert_plan_empty();

    // Revoking the later grants keeps the access the others still hold;
    // the next latest lease then ends it.
    a.destroy();
    assert_eq!(assigned(aws), vec![fx.alice.clone()]);
    assert_eq!(enabled_leases(aws), vec![short.clone()]);
    assert_eq!(b.resource("jit_grant.s3")["status"], "ACTIVE");
    b.destroy();
    assert_eq!(assigned(aws), vec![fx.alice.clone()]);
    assert_eq!(enabled_leases(aws), vec![first.clone()]);
    c.assert_plan_empty();

    // The last one out removes the access; nothing is left.
    c.destroy();
    assert!(assigned(aws).is_empty());
    assert!(leases(aws, GROUP).is_empty(), "{:?}", leases(aws, GROUP));
    for dir in [&b.dir, &c.dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
});

tftest!(workspaces_grant_is_never_taken_over, |tf, aws| {
    let fx = sso(aws);
    let provider = tf.provider(POLICY);
    let a = tf;
    let b = tf.sibling("b");
    // The same configuration, word for word, in two workspaces.
    let config = [provider.as_str(), &grant("s3", "1h", "")].concat();
    a.write("main.tf", &config);
    b.write("main.tf", &config);
    a.init();
    b.init();
    a.apply();
    let theirs = text(a, "jit_grant.s3", "schedule_name");
    b.apply();
    let ours = text(&b, "jit_grant.s3", "schedule_name");
    // B never adopts A's finished lease: each workspace owns its own.
    assert_ne!(ours, theirs);
    assert_eq!(assigned(aws), vec![fx.alice.clone()]);
    assert_eq!(
        lease_names(&leases(aws, GROUP)),
        BTreeSet::from([ours.clone(), theirs.clone()])
    );
    assert_eq!(enabled_leases(aws), vec![ours.clone()]);
    a.assert_plan_empty();
    b.assert_plan_empty();

    // B's destroy removes B's lease only: A keeps the access and its lease
    // takes over the expiry.
    b.destroy();
    assert_eq!(assigned(aws), vec![fx.alice.clone()]);
    assert_eq!(enabled_leases(aws), vec![theirs.clone()]);
    LeaseCheck::default().assert_holds(aws, "after B's destroy");
    a.assert_plan_empty();

    // B keeps its leases in another schedule group: it cannot see A's
    // lease, so A's assignment looks standing and B's grant is refused
    // before anything is written (never a second owner that is blind to
    // the first).
    let elsewhere = tf.provider(&format!("{POLICY}  schedule_group = \"team-b\"\n"));
    b.write_main(&[&elsewhere, &grant("s3", "1h", "")]);
    b.apply_fails().error("Standing assignment exists");
    assert!(leases(aws, "team-b").is_empty());
    assert_eq!(enabled_leases(aws), vec![theirs.clone()]);
    assert!(!b.has_resource("jit_grant.s3"));
    b.write("main.tf", &config);

    // B imports A's grant: a read. Adopting the configuration's inputs
    // changes nothing in AWS and nothing A sees.
    let before = leases(aws, GROUP);
    b.import("jit_grant.s3", &theirs);
    assert_eq!(b.resource("jit_grant.s3")["status"], "ACTIVE");
    b.apply();
    b.assert_plan_empty();
    assert_eq!(leases(aws, GROUP), before);
    a.assert_plan_empty();

    // Destroying it from B is a manual revoke (documented): the access
    // goes, and A sees REVOKED and never grants again by itself.
    b.destroy();
    assert!(assigned(aws).is_empty());
    assert!(leases(aws, GROUP).is_empty());
    let refreshed = a.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert!(
        refreshed.all().contains("was revoked outside this grant"),
        "{}",
        refreshed.all()
    );
    assert_eq!(a.resource("jit_grant.s3")["status"], "REVOKED");
    let plan = a.plan_changes();
    assert_eq!(
        plan.actions(),
        [("jit_grant.s3".to_string(), vec!["update".to_string()])]
    );
    a.apply();
    assert!(
        assigned(aws).is_empty(),
        "a REVOKED grant is never re-granted"
    );
    a.destroy();

    // A third workspace blocks alice in Identity Center: B's new grant for
    // her is refused at apply and leaves nothing behind.
    let c = tf.sibling("c");
    c.write_main(&[
        &provider,
        &block(
            "alice",
            "  identity_center {\n    user = \"alice@example.com\"\n  }",
            "",
        ),
    ]);
    c.init();
    c.apply();
    let marker = text(&c, "jit_user_block.alice", "marker");
    b.write_main(&[&provider, &grant("again", "1h", "")]);
    let refused = b.apply_fails();
    let error = refused.error("Principal is blocked");
    assert!(error.detail.contains(&marker), "{}", error.detail);
    assert!(assigned(aws).is_empty());
    assert!(leases(aws, GROUP).is_empty());
    assert!(!b.has_resource("jit_grant.again"));
    c.destroy();
    for dir in [&b.dir, &c.dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
});

// ---------------------------------------------------------------------------
// Blocks.

// Both blocks' markers survive: each Cognito block looks again after its
// writes and puts back what another process's stale write dropped
// (resources/user_block/cognito/concurrent.rs).
tftest!(workspaces_block_one_user_at_once, |tf, aws| {
    // Two workspaces block the same IAM user and the same Cognito user in
    // applies that overlap: both read the user before either writes (the
    // proxy delays the first write of each kind by 2 s).
    let user = iam_user(aws, &tf.prefix);
    let pool = cognito_user(aws, &tf.prefix);
    let iam_before = IamUserSnapshot::take(aws, &user).unwrap();
    let cognito_before = CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap();
    let proxy = Proxy::start(moto_port(aws));
    for op in ["AdminUpdateUserAttributes", "TagUser", "PutUserPolicy"] {
        proxy.inject(
            Match::op(op),
            When::first(2),
            Fault::Delay(Duration::from_secs(2)),
        );
    }
    let provider = tf.provider("").replace(&tf.endpoint, &proxy.endpoint());
    let a = tf;
    let b = tf.sibling("b");
    for ws in [a, &b] {
        ws.write_main(&[
            &provider,
            &block("iam", &iam_target(&user), ""),
            &block("cognito", &cognito_target(&pool), ""),
        ]);
        ws.init();
    }
    apply_together(a, &b);
    proxy.clear_faults();

    let marker = |ws: &Tf, name: &str| text(ws, &format!("jit_user_block.{name}"), "marker");
    assert_eq!(
        deny_policies(aws, &user),
        sorted(vec![marker(a, "iam"), marker(&b, "iam")])
    );
    assert_eq!(
        flag_markers(aws, &pool),
        sorted(vec![marker(a, "cognito"), marker(&b, "cognito")]),
        "both blocks' markers must be in the flag"
    );
    let iam_now = IamUserSnapshot::take(aws, &user).unwrap();
    assert_eq!(
        iam_now.block_state(&iam_before),
        BlockState::Blocked,
        "{iam_now:#?}"
    );
    let cognito_now = CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap();
    assert_eq!(
        cognito_now.block_state(&cognito_before, FLAG),
        BlockState::Blocked,
        "{cognito_now:#?}"
    );
    a.assert_plan_empty();
    b.assert_plan_empty();

    // The first restore leaves both users fully blocked by the other.
    a.destroy();
    assert_eq!(deny_policies(aws, &user), [marker(&b, "iam")]);
    assert_eq!(flag_markers(aws, &pool), [marker(&b, "cognito")]);
    let iam_now = IamUserSnapshot::take(aws, &user).unwrap();
    assert_eq!(
        iam_now.block_state(&iam_before),
        BlockState::Blocked,
        "{iam_now:#?}"
    );
    let cognito_now = CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap();
    assert_eq!(
        cognito_now.block_state(&cognito_before, FLAG),
        BlockState::Blocked,
        "{cognito_now:#?}"
    );
    b.assert_plan_empty();

    // The last restore puts back exactly what was there before.
    b.destroy();
    assert_eq!(IamUserSnapshot::take(aws, &user).unwrap(), iam_before);
    assert_eq!(
        CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap(),
        cognito_before
    );
    let _ = std::fs::remove_dir_all(&b.dir);
});

tftest!(workspaces_restore_and_block_one_user_at_once, |tf, aws| {
    // Workspace a restores its block of a Cognito user while workspace b
    // blocks the same user (the proxy holds a's AdminEnableUser 2 s, so b's
    // marker lands while a's restore is lifting the user). Whatever the
    // order, the user ends blocked by b alone, and b's restore is exact.
    let pool = cognito_user(aws, &tf.prefix);
    let before = CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap();
    let proxy = Proxy::start(moto_port(aws));
    let provider = tf.provider("").replace(&tf.endpoint, &proxy.endpoint());
    let a = tf;
    let b = tf.sibling("b");
    for ws in [a, &b] {
        ws.write_main(&[&provider, &block("cognito", &cognito_target(&pool), "")]);
        ws.init();
    }
    a.apply();
    proxy.inject(
        Match::op("AdminEnableUser"),
        When::first(1),
        Fault::Delay(Duration::from_secs(2)),
    );
    let (restored, blocked) = std::thread::scope(|s| {
        let restore = s.spawn(|| a.run(&["destroy", "-auto-approve", "-no-color"]));
        let block = s.spawn(|| b.run(&["apply", "-auto-approve", "-no-color"]));
        (restore.join().unwrap(), block.join().unwrap())
    });
    proxy.clear_faults();
    assert!(restored.success(), "{}", restored.all());
    assert!(blocked.success(), "{}", blocked.all());
    let marker = text(&b, "jit_user_block.cognito", "marker");
    assert_eq!(flag_markers(aws, &pool), [marker]);
    let now = CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap();
    assert_eq!(
        now.block_state(&before, FLAG),
        BlockState::Blocked,
        "{now:#?}"
    );
    b.assert_plan_empty();

    b.destroy();
    assert_eq!(
        CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap(),
        before
    );
    let _ = std::fs::remove_dir_all(&b.dir);
});

// ---------------------------------------------------------------------------
// An aliased provider.

tftest!(workspaces_aliased_provider_splits_one_apply, |tf, aws| {
    // One configuration, two `jit` provider processes (default and
    // `jit.second`) writing one audit log at once: grants, and blocks of
    // the same IAM user, split across them.
    let fx = sso(aws);
    let user = iam_user(aws, &tf.prefix);
    let pool = cognito_user(aws, &tf.prefix);
    let iam_before = IamUserSnapshot::take(aws, &user).unwrap();
    let cognito_before = CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap();
    let provider = tf.provider(POLICY);
    let second = format!(
        "\nprovider \"jit\" {{\n  alias        = \"second\"\n  region       = \"eu-west-1\"\n  endpoint_url = \"{}\"\n{POLICY}}}\n",
        tf.endpoint
    );
    let on_second = "  provider = jit.second";
    tf.write_main(&[
        &provider,
        &second,
        &grant("s3", "1h", ""),
        &grant_of("read", "JIT-ReadOnly", "30m", on_second),
        &block("iam_a", &iam_target(&user), ""),
        &block("iam_b", &iam_target(&user), on_second),
        &block("cognito", &cognito_target(&pool), on_second),
    ]);
    tf.init();
    tf.apply();
    tf.assert_plan_empty();

    let s3 = text(tf, "jit_grant.s3", "schedule_name");
    let read = text(tf, "jit_grant.read", "schedule_name");
    assert_eq!(assigned(aws), [fx.alice.clone(), fx.alice.clone()]);
    assert_eq!(
        lease_names(&leases(aws, GROUP)),
        BTreeSet::from([s3.clone(), read.clone()])
    );
    LeaseCheck::default().assert_holds(aws, "after the apply");
    let marker = |name: &str| text(tf, &format!("jit_user_block.{name}"), "marker");
    assert_eq!(
        deny_policies(aws, &user),
        sorted(vec![marker("iam_a"), marker("iam_b")])
    );
    let iam_now = IamUserSnapshot::take(aws, &user).unwrap();
    assert_eq!(
        iam_now.block_state(&iam_before),
        BlockState::Blocked,
        "{iam_now:#?}"
    );
    assert_eq!(flag_markers(aws, &pool), [marker("cognito")]);

    let log = tf.dir.join("audit.jsonl");
    let (code, out) = audit_verify(&log);
    assert_eq!(code, Some(0), "{out}");
    let count = |action: &str, result: &str| {
        tf.audit_events()
            .into_iter()
            .filter(|e| e["action"] == action && e["result"] == result)
            .count()
    };
    assert_eq!(count("grant.create", "success"), 2);
    assert_eq!(count("user_block.block", "success"), 3);

    // Moving a block from one alias to the other is no change in AWS.
    tf.write_main(&[
        &provider,
        &second,
        &grant("s3", "1h", ""),
        &grant_of("read", "JIT-ReadOnly", "30m", on_second),
        &block("iam_a", &iam_target(&user), on_second),
        &block("iam_b", &iam_target(&user), ""),
        &block("cognito", &cognito_target(&pool), on_second),
    ]);
    tf.assert_plan_empty();

    // Destroy everything at once: both processes revoke and restore.
    tf.destroy();
    assert!(assigned(aws).is_empty());
    assert!(leases(aws, GROUP).is_empty(), "{:?}", leases(aws, GROUP));
    assert_eq!(IamUserSnapshot::take(aws, &user).unwrap(), iam_before);
    assert_eq!(
        CognitoUserSnapshot::take(aws, &pool, "mallory").unwrap(),
        cognito_before
    );
    let (code, out) = audit_verify(&log);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("intact"), "{out}");
    assert_eq!(count("grant.revoke", "success"), 2);
    assert_eq!(count("user_block.restore", "success"), 3);
});

tftest!(workspaces_block_one_iam_user_at_once, |tf, aws| {
    // The IAM half of the case above: each block owns its deny policy and
    // record tags, so overlapping blocks from two workspaces coexist.
    let user = iam_user(aws, &tf.prefix);
    let before = IamUserSnapshot::take(aws, &user).unwrap();
    let proxy = Proxy::start(moto_port(aws));
    for op in ["TagUser", "PutUserPolicy"] {
        proxy.inject(
            Match::op(op),
            When::first(2),
            Fault::Delay(Duration::from_secs(2)),
        );
    }
    let provider = tf.provider("").replace(&tf.endpoint, &proxy.endpoint());
    let b = tf.sibling("b");
    for ws in [tf, &b] {
        ws.write_main(&[&provider, &block("iam", &iam_target(&user), "")]);
        ws.init();
    }
    apply_together(tf, &b);
    proxy.clear_faults();
    let marker = |ws: &Tf| text(ws, "jit_user_block.iam", "marker");
    assert_eq!(
        deny_policies(aws, &user),
        sorted(vec![marker(tf), marker(&b)])
    );
    let now = IamUserSnapshot::take(aws, &user).unwrap();
    assert_eq!(now.block_state(&before), BlockState::Blocked, "{now:#?}");
    tf.assert_plan_empty();
    b.assert_plan_empty();

    // The first restore leaves the user fully blocked; the last is exact.
    tf.destroy();
    assert_eq!(deny_policies(aws, &user), vec![marker(&b)]);
    let now = IamUserSnapshot::take(aws, &user).unwrap();
    assert_eq!(now.block_state(&before), BlockState::Blocked, "{now:#?}");
    b.assert_plan_empty();
    b.destroy();
    assert_eq!(IamUserSnapshot::take(aws, &user).unwrap(), before);
    let _ = std::fs::remove_dir_all(&b.dir);
});

tftest!(
    workspaces_two_states_of_one_directory_keep_their_blocks,
    |tf, aws| {
        // One working directory, two states: the common CI layout of one
        // root module initialised per environment with a partial backend
        // configuration (`init -backend-config=...`, each in its own
        // `TF_DATA_DIR`), both in workspace `default`. Were the state hash of
        // `config::workspace` only the directory and workspace, the placed
        // mark of A's finished block would look like B's own interrupted
        // block. B's new block must not absorb it: A's state names it.
        let user = iam_user(aws, &tf.prefix);
        let before = IamUserSnapshot::take(aws, &user).unwrap();
        let backend = "\nterraform {\n  backend \"local\" {}\n}\n";
        tf.write_main(&[
            &tf.provider(""),
            backend,
            &block("iam", &iam_target(&user), ""),
        ]);
        let a = tf.with_env(&[("TF_DATA_DIR", ".terraform-a")]);
        let b = tf.with_env(&[("TF_DATA_DIR", ".terraform-b")]);
        a.ok(&["init", "-no-color", "-backend-config=path=a.tfstate"]);
        b.ok(&["init", "-no-color", "-backend-config=path=b.tfstate"]);
        a.apply();
        let theirs = text(&a, "jit_user_block.iam", "marker");
        // B's provider process starts in a later second than A's block.
        std::thread::sleep(Duration::from_millis(1_500));
        b.apply();
        let ours = text(&b, "jit_user_block.iam", "marker");
        assert_ne!(ours, theirs);
        let after_b = deny_policies(aws, &user);

        // B's restore may lift only B's block: A's state still says BLOCKED.
        b.destroy();
        let now = IamUserSnapshot::take(aws, &user).unwrap();
        assert_eq!(
        now.block_state(&before),
        BlockState::Blocked,
        "B's destroy lifted the block A's state holds (deny policies after B's apply: {after_b:?}; A's marker {theirs}): {now:#?}"
    );
        assert_eq!(after_b, sorted(vec![theirs.clone(), ours.clone()]));
        assert_eq!(deny_policies(aws, &user), vec![theirs.clone()]);
        a.assert_plan_empty();
        a.destroy();
        assert_eq!(IamUserSnapshot::take(aws, &user).unwrap(), before);
    }
);
