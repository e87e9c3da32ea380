//! `jit_grant` and `data.jit_revoker_role_policy` end to end. moto never
//! runs schedules, so where AWS would fire a lease the test executes the
//! lease's target input itself, exactly as Scheduler would.

mod four_eyes;
mod sqs;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_identitystore::types::MemberId;
use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use serde_json::{json, Value};

use super::*;
use sqs::sqs;
/// Raw SQS calls, for other areas' fixtures.
pub(crate) use sqs::sqs as sqs_call;
use tests::proxy::{Fault, Match, Proxy, When};

const ACCOUNT: &str = "123456789012";
const REVOKER: &str = "arn:aws:iam::123456789012:role/jit-revoker";
const GROUP: &str = "jit-grants";
const DELETE_TARGET: &str = "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment";
/// The failure reason injected as Identity Center's.
const INJECTED_FAILURE: &str = "Injected by the test: the permission set could not be provisioned";

/// Users, groups and permission sets created in moto for a case.
struct Fixture {
    instance: String,
    users: HashMap<String, String>,
    sets: HashMap<String, String>,
}

impl Fixture {
    fn user(&self, name: &str) -> &str {
        &self.users[name]
    }
    fn set(&self, name: &str) -> &str {
        &self.sets[name]
    }
}

/// Identity Center fixtures: users (each with an email: moto needs one),
/// the group `Oncall` with carol, and permission sets with their session
/// duration (moto stores a number when it is omitted).
fn fixtures(aws: &Aws) -> Fixture {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let store = &aws.clients.identity_store;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = &instances.instances()[0];
        let instance_arn = instance.instance_arn().unwrap().to_string();
        let store_id = instance.identity_store_id().unwrap().to_string();
        let mut users = HashMap::new();
        for name in ["alice", "bob", "carol", "dave", "manager"] {
            let user_name = format!("{name}@example.com");
            let id = aws
                .create_identity_center_user(&store_id, &user_name, name, &user_name)
                .await;
            users.insert(name.to_string(), id);
        }
        let group = store
            .create_group()
            .identity_store_id(&store_id)
            .display_name("Oncall")
            .send()
            .await
            .unwrap()
            .group_id;
        store
            .create_group_membership()
            .identity_store_id(&store_id)
            .group_id(&group)
            .member_id(MemberId::UserId(users["carol"].clone()))
            .send()
            .await
            .unwrap();
        users.insert("Oncall".to_string(), group);
        let mut sets = HashMap::new();
        for (name, session) in [
            ("JIT-S3FullAccess", "PT1H"),
            ("JIT-EmergencyAdmin", "PT1H"),
            ("JIT-ReadOnly", "PT1H"),
            ("JIT-LongSession", "PT12H"),
        ] {
            let arn = sso
                .create_permission_set()
                .instance_arn(&instance_arn)
                .name(name)
                .session_duration(session)
                .send()
                .await
                .unwrap()
                .permission_set()
                .unwrap()
                .permission_set_arn()
                .unwrap()
                .to_string();
            sets.insert(name.to_string(), arn);
        }
        Fixture {
            instance: instance_arn,
            users,
            sets,
        }
    })
}

/// Provider block lines: revoker role and a grant policy with one low-risk
/// and one high-risk permission set (others are high risk by default).
fn policy(extra: &str) -> String {
    format!(
        "  revoker_role_arn = \"{REVOKER}\"\n  grant_policy {{\n    max_duration = \"1h\"\n    permission_set {{\n      name = \"JIT-S3FullAccess\"\n      risk = \"low\"\n    }}\n    permission_set {{\n      name = \"JIT-LongSession\"\n      risk = \"low\"\n    }}\n    permission_set {{\n      name      = \"JIT-EmergencyAdmin\"\n      risk      = \"high\"\n      approvers = [\"manager@example.com\"]\n    }}\n  }}\n{extra}"
    )
}

/// A provider block pointing at another endpoint (the proxy).
fn provider_at(tf: &Tf, endpoint: &str, extra: &str) -> String {
    tf.provider(&policy(extra)).replace(&tf.endpoint, endpoint)
}

/// A grant of `set` to `who@example.com` for `duration`; `extra` lines
/// are added inside the block.
fn grant(name: &str, who: &str, set: &str, duration: &str, extra: &str) -> String {
    format!(
        "\nresource \"jit_grant\" \"{name}\" {{\n  principal      = \"{who}@example.com\"\n  account_id     = \"{ACCOUNT}\"\n  permission_set = \"{set}\"\n  duration       = \"{duration}\"\n  reason         = \"Investigate failing lifecycle rule\"\n  requested_by   = \"{who}@example.com\"\n{extra}\n}}\n"
    )
}

/// Principal ids assigned `set` in the account.
fn assigned(aws: &Aws, fx: &Fixture, set: &str) -> Vec<String> {
    aws.run(
        aws.clients
            .sso_admin
            .list_account_assignments()
            .instance_arn(&fx.instance)
            .account_id(ACCOUNT)
            .permission_set_arn(fx.set(set))
            .send(),
    )
    .unwrap()
    .account_assignments()
    .iter()
    .map(|a| a.principal_id().unwrap().to_string())
    .collect()
}

/// Every schedule of the grants' group, by name.
fn schedules(aws: &Aws) -> HashMap<String, GetScheduleOutput> {
    let scheduler = &aws.clients.scheduler;
    let names: Vec<String> = match aws.run(scheduler.list_schedules().group_name(GROUP).send()) {
        Ok(page) => page
            .schedules()
            .iter()
            .map(|s| s.name().unwrap().to_string())
            .collect(),
        Err(_) => Vec::new(),
    };
    names
        .into_iter()
        .map(|name| {
            let schedule = aws
                .run(
                    scheduler
                        .get_schedule()
                        .group_name(GROUP)
                        .name(&name)
                        .send(),
                )
                .unwrap();
            (name, schedule)
        })
        .collect()
}

fn enabled(schedule: &GetScheduleOutput) -> bool {
    schedule.state().map(|s| s.as_str()) == Some("ENABLED")
}

/// Does what Scheduler does when the lease fires: calls the universal
/// target `ssoadmin:deleteAccountAssignment` with the schedule's input.
fn run_lease(aws: &Aws, name: &str) {
    let schedule = aws
        .run(
            aws.clients
                .scheduler
                .get_schedule()
                .group_name(GROUP)
                .name(name)
                .send(),
        )
        .unwrap();
    let target = schedule.target().unwrap();
    assert_eq!(target.arn(), DELETE_TARGET);
    let input: Value = serde_json::from_str(target.input().unwrap()).unwrap();
    let field = |name: &str| input[name].as_str().unwrap().to_string();
    aws.run(
        aws.clients
            .sso_admin
            .delete_account_assignment()
            .instance_arn(field("InstanceArn"))
            .target_id(field("TargetId"))
            .target_type(field("TargetType").as_str().into())
            .permission_set_arn(field("PermissionSetArn"))
            .principal_type(field("PrincipalType").as_str().into())
            .principal_id(field("PrincipalId"))
            .send(),
    )
    .unwrap();
}

/// Gives `user` `JIT-S3FullAccess` in the account as a standing
/// assignment (no lease), as an administrator would.
fn assign_standing(aws: &Aws, fx: &Fixture, user: &str) {
    aws.run(
        aws.clients
            .sso_admin
            .create_account_assignment()
            .instance_arn(&fx.instance)
            .target_id(ACCOUNT)
            .target_type("AWS_ACCOUNT".into())
            .permission_set_arn(fx.set("JIT-S3FullAccess"))
            .principal_type("USER".into())
            .principal_id(fx.user(user))
            .send(),
    )
    .unwrap();
}

fn refresh(tf: &Tf) -> tests::TfOutput {
    tf.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
}

fn actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["action"].as_str().unwrap(),
                e["result"].as_str().unwrap()
            )
        })
        .collect()
}

fn unix(rfc3339: &str) -> i64 {
    terraform_provider_jit::policy::lease::parse_rfc3339(rfc3339)
        .unwrap()
        .unix_timestamp()
}

fn moto_port(aws: &Aws) -> u16 {
    aws.endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

tftest!(grant_lifecycle, |tf, aws| {
    let fx = fixtures(aws);
    let config = |reason: &str| {
        vec![
            tf.provider(&policy("")),
            grant("s3", "alice", "JIT-S3FullAccess", "1h", "").replace(
                "Investigate failing lifecycle rule",
                reason,
            ),
            format!("\ndata \"jit_revoker_role_policy\" \"r\" {{\n  account_id = \"{ACCOUNT}\"\n}}\n\noutput \"trust\" {{\n  value = data.jit_revoker_role_policy.r.trust_policy_json\n}}\n\noutput \"permissions\" {{\n  value = data.jit_revoker_role_policy.r.permission_policy_json\n}}\n"),
        ]
    };
    let write = |tf: &Tf, reason: &str| {
        let parts = config(reason);
        tf.write_main(&parts.iter().map(String::as_str).collect::<Vec<_>>());
    };

    // 1. Basic: a low-risk grant needs no approver.
    write(tf, "Investigate failing lifecycle rule");
    tf.init();
    let applied = tf.apply();
    assert!(
        applied.all().contains("removes the last assignment"),
        "{}",
        applied.all()
    );
    let state = tf.resource("jit_grant.s3");
    assert_eq!(state["status"], "ACTIVE");
    assert_eq!(state["risk"], "low");
    assert_eq!(state["approval_required"], false);
    assert_eq!(state["required_approvers"], json!([]));
    assert_eq!(state["principal_type"], "USER");
    assert_eq!(state["break_glass"], false);
    assert_eq!(state["principal_id"], fx.user("alice"));
    assert_eq!(state["permission_set_arn"], fx.set("JIT-S3FullAccess"));
    assert_eq!(state["instance_arn"], fx.instance.as_str());
    let name = state["schedule_name"].as_str().unwrap().to_string();
    assert_eq!(state["id"], name.as_str());
    assert!(
        terraform_provider_jit::policy::lease::parse_lease_name(&name).is_some(),
        "{name}"
    );
    let (granted, expires) = (
        state["granted_at"].as_str().unwrap(),
        state["expires_at"].as_str().unwrap(),
    );
    assert_eq!(unix(expires) - unix(granted), 3600);
    assert_eq!(assigned(aws, &fx, "JIT-S3FullAccess"), [fx.user("alice")]);

    // The lease, as AWS would run it.
    let all = schedules(aws);
    assert_eq!(all.len(), 1, "{:?}", all.keys());
    let lease = &all[&name];
    assert_eq!(
        lease.schedule_expression(),
        Some(format!("at({})", expires.trim_end_matches('Z')).as_str())
    );
    assert_eq!(lease.schedule_expression_timezone(), Some("UTC"));
    assert_eq!(
        lease.action_after_completion().map(|a| a.as_str()),
        Some("DELETE")
    );
    assert!(enabled(lease));
    let target = lease.target().unwrap();
    assert_eq!(target.arn(), DELETE_TARGET);
    assert_eq!(target.role_arn(), REVOKER);
    let retry = target.retry_policy().unwrap();
    assert_eq!(retry.maximum_event_age_in_seconds(), Some(86400));
    assert_eq!(retry.maximum_retry_attempts(), Some(185));
    let input: Value = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(
        input,
        json!({
            "InstanceArn": fx.instance,
            "TargetId": ACCOUNT,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": fx.set("JIT-S3FullAccess"),
            "PrincipalType": "USER",
            "PrincipalId": fx.user("alice"),
        })
    );

    // Audit: intent, then success, with the change's facts.
    let events = tf.audit_events();
    assert_eq!(
        actions(&events),
        ["grant.create intent", "grant.create success"]
    );
    let done = &events[1];
    assert_eq!(done["schema"], "jit.audit.v1");
    assert_eq!(done["resourceType"], "jit_grant");
    assert_eq!(done["actor"], "alice@example.com");
    assert_eq!(done["reason"], "Investigate failing lifecycle rule");
    assert_eq!(done["details"]["expires_at"], expires);
    assert!(!done["appliedBy"].as_str().unwrap().is_empty());

    // The revoker role's policies.
    let trust: Value = serde_json::from_str(tf.output("trust").as_str().unwrap()).unwrap();
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceArn"],
        format!("arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule-group/{GROUP}")
    );
    let permissions = tf.output("permissions").as_str().unwrap().to_string();
    assert!(
        permissions.contains("sso:DeleteAccountAssignment"),
        "{permissions}"
    );
    assert!(!permissions.contains("sso:CreateAccountAssignment"));

    // 2. Plan after apply is empty.
    tf.assert_plan_empty();

    // 3. Import from the lease into fresh state: the same grant; reason and
    // the approval facts are then adopted from configuration in place.
    let imported = tf.sibling("import");
    write(&imported, "Investigate failing lifecycle rule");
    imported.init();
    imported.import("jit_grant.s3", &name);
    let mut left = imported.resource("jit_grant.s3");
    let mut right = tf.resource("jit_grant.s3");
    for ignored in [
        "reason",
        "ticket",
        "requested_by",
        "approved_by",
        "audited_status",
    ] {
        left.as_object_mut().unwrap().remove(ignored);
        right.as_object_mut().unwrap().remove(ignored);
    }
    assert_eq!(left, right);
    assert_eq!(
        imported.plan_changes().actions_for("jit_grant.s3"),
        ["update"]
    );
    assert!(
        imported.audit_events().is_empty(),
        "import and plan write nothing"
    );
    imported.apply();
    imported.assert_plan_empty();
    // The apply that adopted the import audited it.
    let import_events = imported.audit_events();
    assert_eq!(actions(&import_events)[0], "grant.import success");
    assert_eq!(import_events[0]["details"]["status"], "ACTIVE");
    let _ = std::fs::remove_dir_all(&imported.dir);

    // `reason` updates in place.
    write(tf, "Investigate failing lifecycle rule on bucket logs");
    assert_eq!(tf.plan_changes().actions_for("jit_grant.s3"), ["update"]);
    tf.apply();
    assert_eq!(tf.resource("jit_grant.s3")["schedule_name"], name.as_str());
    assert_eq!(
        actions(&tf.audit_events()).last().map(String::as_str),
        Some("grant.update success")
    );

    // 4. The lease fires (executed here as Scheduler would): exactly this
    // assignment goes; refresh shows REVOKED (before its expiry) and no
    // re-grant is planned.
    run_lease(aws, &name);
    assert!(assigned(aws, &fx, "JIT-S3FullAccess").is_empty());
    let before = tf.audit_events().len();
    let refreshed = refresh(tf);
    assert!(refreshed.all().contains("was revoked outside this grant"));
    assert_eq!(tf.resource("jit_grant.s3")["status"], "REVOKED");
    // A refresh and a plan write no audit event; the plan shows the update
    // of `audited_status` whose apply writes it.
    let plan = tf.plan_changes();
    assert_eq!(plan.actions_for("jit_grant.s3"), ["update"]);
    assert!(
        plan.text.contains("The next apply records grant"),
        "{}",
        plan.text
    );
    assert_eq!(plan.after("jit_grant.s3")["audited_status"], "REVOKED");
    assert_eq!(tf.audit_events().len(), before);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        actions(&tf.audit_events()[before..]),
        ["grant.revoked_outside success"]
    );

    // 5. An administrator gives alice the same access as a standing
    // assignment after the grant ended. Destroying the REVOKED grant
    // removes only its own leftovers, never that assignment.
    assign_standing(aws, &fx, "alice");
    tf.destroy();
    assert!(schedules(aws).is_empty());
    assert_eq!(
        assigned(aws, &fx, "JIT-S3FullAccess"),
        [fx.user("alice")],
        "the standing assignment made after the grant ended is kept"
    );
    let events = tf.audit_events();
    let revoke = events.last().unwrap();
    assert_eq!(
        actions(&events).last().map(String::as_str),
        Some("grant.revoke success")
    );
    assert_eq!(
        revoke["details"]["assignment"], "not this grant's: left as it is",
        "{revoke}"
    );
});

/// A grant with every field chosen by the caller.
fn grant_of(name: &str, principal: &str, set: &str, requested_by: &str, extra: &str) -> String {
    format!(
        "\nresource \"jit_grant\" \"{name}\" {{\n  principal      = \"{principal}\"\n  account_id     = \"{ACCOUNT}\"\n  permission_set = \"{set}\"\n  duration       = \"1h\"\n  reason         = \"Investigate failing lifecycle rule\"\n  requested_by   = \"{requested_by}\"\n{extra}\n}}\n"
    )
}

/// A grant's attributes straight from the state file (cheaper than
/// `terraform show`).
fn attrs(tf: &Tf, name: &str) -> Value {
    let state: Value = serde_json::from_str(&tf.state_file()).unwrap();
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "jit_grant" && r["name"] == name && r["mode"] == "managed")
        .map(|r| r["instances"][0]["attributes"].clone())
        .unwrap_or_else(|| panic!("jit_grant.{name} not in state"))
}

tftest!(grant_plan_checks, |tf, aws| {
    let fx = fixtures(aws);
    // dave holds JIT-S3FullAccess as a standing assignment (no lease).
    assign_standing(aws, &fx, "dave");
    let provider = tf.provider(&policy(""));

    // Shape errors, found by `validate` before any AWS call.
    tf.write_main(&[
        &provider,
        &grant("malformed", "alice", "JIT-S3FullAccess", "an hour", ""),
        &grant("zero", "alice", "JIT-S3FullAccess", "0s", ""),
        &grant("vague", "alice", "JIT-S3FullAccess", "1h", "")
            .replace("Investigate failing lifecycle rule", "debugging"),
        &grant(
            "glass",
            "alice",
            "JIT-ReadOnly",
            "1h",
            "  break_glass = true",
        ),
        &grant(
            "own",
            "alice",
            "JIT-ReadOnly",
            "1h",
            "  approved_by = [\"alice@example.com\"]",
        ),
    ]);
    tf.init();
    let out = tf.plan_fails();
    for (summary, attribute) in [
        ("Invalid grant duration", "an hour"),
        ("Grant duration must be longer than zero", "0s"),
        ("Grant reason is too short", "debugging"),
        ("Break-glass grant needs a ticket", "break_glass"),
        ("Approver is the requester", "approved_by"),
    ] {
        let diag = out.error(summary);
        assert!(diag.code.contains(attribute), "{summary}: {diag:?}");
    }

    // Policy errors, found at plan with AWS lookups.
    tf.write_main(&[
        &provider,
        &grant("long", "alice", "JIT-S3FullAccess", "2h", ""),
        &grant("unapproved", "alice", "JIT-EmergencyAdmin", "1h", ""),
        // The principal by identity store id; the approver by user name.
        &grant_of(
            "principal",
            fx.user("alice"),
            "JIT-ReadOnly",
            "bob@example.com",
            "  approved_by = [\"alice@example.com\"]",
        ),
        &grant_of(
            "member",
            "Oncall",
            "JIT-ReadOnly",
            "bob@example.com",
            "  principal_type = \"GROUP\"\n  approved_by    = [\"carol@example.com\"]",
        ),
        &grant_of(
            "author",
            "bob@example.com",
            "JIT-ReadOnly",
            "bob@example.com",
            "  approved_by = [\"dave@example.com\"]",
        ),
        &grant_of(
            "outsider",
            "bob@example.com",
            "JIT-EmergencyAdmin",
            "bob@example.com",
            "  approved_by = [\"carol@example.com\"]",
        ),
        &grant("session", "bob", "JIT-LongSession", "1h", ""),
        &grant("standing", "dave", "JIT-S3FullAccess", "1h", ""),
        &grant("nobody", "nobody", "JIT-S3FullAccess", "1h", ""),
    ]);
    let out = tf.run_env(
        &["plan", "-no-color", "-json"],
        &[("JIT_CHANGE_AUTHOR", "dave@example.com")],
    );
    assert!(!out.success(), "{}", out.all());
    for (summary, attribute, detail) in [
        ("Grant duration over the maximum", "duration", "`1h`"),
        (
            "Grant needs an approver",
            "unapproved",
            "`manager@example.com`",
        ),
        (
            "Approver receives the access",
            "approved_by",
            "alice@example.com",
        ),
        (
            "Approver is a member of the granted group",
            "approved_by",
            "`Oncall`",
        ),
        (
            "Approver is the change author",
            "approved_by",
            "JIT_CHANGE_AUTHOR",
        ),
        (
            "Approver not allowed for this permission set",
            "approved_by",
            "`manager@example.com`",
        ),
        (
            "Permission set session duration over the maximum",
            "permission_set",
            "`12h`",
        ),
        (
            "Standing assignment exists",
            "principal",
            "dave@example.com",
        ),
    ] {
        let diag = out.error(summary);
        assert!(diag.code.contains(attribute), "{summary}: {diag:?}");
        assert!(diag.detail.contains(detail), "{summary}: {diag:?}");
    }
    // One problem, one diagnostic: the duration is checked against the
    // maximum once per plan.
    let over_max = out
        .diagnostics()
        .into_iter()
        .filter(|d| d.summary == "Grant duration over the maximum")
        .count();
    assert_eq!(over_max, 1, "{}", out.all());
    // A principal missing at plan may be onboarded in the same apply: the
    // plan warns on `principal`; the apply refuses it if it is still missing
    // (see grant_to_user_onboarded_in_the_same_apply).
    let missing = out.warning("Principal `nobody@example.com` of the grant does not exist yet");
    assert!(missing.code.contains("principal"), "{missing:?}");
    // Nothing was created by a failed plan.
    assert!(schedules(aws).is_empty());

    // Values known only after apply (from another resource) still plan.
    tf.write_main(&[
        &provider,
        &grant("first", "alice", "JIT-S3FullAccess", "1h", ""),
        &grant(
            "second",
            "bob",
            "JIT-S3FullAccess",
            "1h",
            "  ticket = jit_grant.first.schedule_name",
        )
        .replace(
            "Investigate failing lifecycle rule",
            "Follow up on ${jit_grant.first.id} findings",
        ),
    ]);
    let plan = tf.plan_changes();
    assert_eq!(plan.actions_for("jit_grant.second"), ["create"]);
    assert_eq!(plan.after("jit_grant.second")["risk"], "low");
});

/// The grant policy of [`policy`] as the protected JSON file
/// `JIT_GRANT_POLICY_FILE` names.
const POLICY_JSON: &str = r#"{
  "max_duration": "1h",
  "permission_set": [
    { "name": "JIT-S3FullAccess", "risk": "low" },
    { "name": "JIT-LongSession", "risk": "low" },
    { "name": "JIT-EmergencyAdmin", "risk": "high", "approvers": ["manager@example.com"] }
  ]
}
"#;

/// Writes `policy` as the case's protected policy file; returns the
/// working directory with `JIT_GRANT_POLICY_FILE` set for every command.
fn with_policy_file(tf: &Tf, policy: &str) -> Tf {
    let path = tf.dir.with_extension("grant-policy.json");
    std::fs::write(&path, policy).unwrap();
    tf.with_env(&[("JIT_GRANT_POLICY_FILE", path.to_str().unwrap())])
}

/// A provider block without an inline `grant_policy` (the rules come from
/// the policy file).
fn provider_for_file(tf: &Tf, extra: &str) -> String {
    tf.provider(&format!("  revoker_role_arn = \"{REVOKER}\"\n{extra}"))
}

tftest!(grant_high_risk_verified, |tf, aws| {
    let fx = fixtures(aws);
    let tf = &with_policy_file(tf, POLICY_JSON);
    // Audit events and notices go to SNS; an SQS queue subscribed with raw
    // delivery shows what subscribers receive.
    let port = moto_port(aws);
    let queue = sqs(port, "CreateQueue", &json!({"QueueName": "audit"}))["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let topic = aws
        .run(aws.clients.sns.create_topic().name("jit-access").send())
        .unwrap()
        .topic_arn
        .unwrap();
    aws.run(
        aws.clients
            .sns
            .subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:audit"))
            .attributes("RawMessageDelivery", "true")
            .send(),
    )
    .unwrap();
    let dlq = format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:jit-dlq");
    let sinks = format!(
        "  notification_topic_arn       = \"{topic}\"\n  expiry_dead_letter_queue_arn = \"{dlq}\"\n"
    );
    let admin = grant(
        "admin",
        "alice",
        "JIT-EmergencyAdmin",
        "1h",
        "  approved_by = [\"manager@example.com\"]\n  ticket      = \"CHG-7\"\n  change_ref  = \"acme/access#42\"",
    );
    // What the apply job of pull request acme/access#42 exports.
    let ci = [
        (
            "JIT_VERIFIED_APPROVERS",
            "bob@example.com, manager@example.com",
        ),
        ("JIT_CHANGE_REF", "acme/access#42"),
        ("JIT_CHANGE_AUTHOR", "alice@example.com,carol@example.com"),
        ("JIT_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/access"),
        ("GITHUB_RUN_ID", "4711"),
    ];

    // Verification off in configuration: the plan says approvals are not
    // verified; the apply job's JIT_REQUIRE_VERIFIED_APPROVALS=1 turns it on.
    tf.write_main(&[&provider_for_file(tf, &sinks), &admin]);
    tf.init();
    assert!(tf
        .plan_json()
        .warning("is not verified")
        .detail
        .contains("manager@example.com"));
    let out = tf.run_env(
        &["apply", "-auto-approve", "-no-color", "-json"],
        &[("JIT_REQUIRE_VERIFIED_APPROVALS", "1")],
    );
    assert!(!out.success(), "{}", out.all());
    let diag = out.error("Approval not verified");
    assert!(diag.detail.contains("`manager@example.com`"), "{diag:?}");
    // No JIT_CHANGE_REF: this apply is no pull request's merge.
    let diag = out.error("Approvals of another change do not count");
    assert!(
        diag.detail.contains("Written for change `acme/access#42`"),
        "{diag:?}"
    );

    // Verification on in configuration: a pull request's plan (no
    // approvals yet) succeeds with a warning and shows risk and approvers.
    let required = format!("{sinks}  require_verified_approvals = true\n");
    tf.write_main(&[&provider_for_file(tf, &required), &admin]);
    let plan = tf.plan_changes();
    assert!(
        plan.text.contains("will be verified at apply"),
        "{}",
        plan.text
    );
    let after = plan.after("jit_grant.admin");
    assert_eq!(after["risk"], "high");
    assert_eq!(after["approval_required"], true);
    assert_eq!(after["required_approvers"], json!(["manager@example.com"]));
    assert_eq!(after["change_ref"], "acme/access#42");
    // Applied without the approval: refused, nothing created.
    let diag = tf.apply_fails().error("Approval not verified");
    assert!(diag.detail.contains("`manager@example.com`"), "{diag:?}");
    assert!(schedules(aws).is_empty());
    assert!(assigned(aws, &fx, "JIT-EmergencyAdmin").is_empty());
    // Applied after manager approved the pull request.
    let out = tf.run_env(&["apply", "-auto-approve", "-no-color"], &ci);
    assert!(out.success(), "{}", out.all());
    assert_eq!(assigned(aws, &fx, "JIT-EmergencyAdmin"), [fx.user("alice")]);
    let state = attrs(tf, "admin");
    assert_eq!(state["status"], "ACTIVE");
    assert_eq!(state["audited_status"], "ACTIVE");
    let lease = &schedules(aws)[state["schedule_name"].as_str().unwrap()];
    let dead_letter = lease.target().unwrap().dead_letter_config().unwrap();
    assert_eq!(dead_letter.arn(), Some(dlq.as_str()));
    // The expiry notice publishes to the topic at the same time.
    let notices: Vec<GetScheduleOutput> = schedules(aws)
        .into_values()
        .filter(|s| s.name().unwrap().starts_with("jit-notice-"))
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].schedule_expression(),
        lease.schedule_expression()
    );
    let notice_target = notices[0].target().unwrap();
    assert_eq!(notice_target.arn(), topic);
    let notice: Value = serde_json::from_str(notice_target.input().unwrap()).unwrap();
    assert_eq!(notice["action"], "grant.expired");
    assert_eq!(notice["approvers"], json!(["manager@example.com"]));

    // Break-glass: no approver, a ticket, flagged loudly, its own notice.
    tf.write_main(&[
        &provider_for_file(tf, &required),
        &admin,
        &grant(
            "glass",
            "bob",
            "JIT-EmergencyAdmin",
            "30m",
            "  break_glass = true\n  ticket      = \"INC-9\"\n  change_ref  = \"acme/access#42\"",
        ),
    ]);
    let out = tf.run_env(&["apply", "-auto-approve", "-no-color"], &ci);
    assert!(out.success(), "{}", out.all());
    assert!(
        out.all()
            .contains("BREAK-GLASS grant of `JIT-EmergencyAdmin` to `bob@example.com`"),
        "{}",
        out.all()
    );
    assert_eq!(attrs(tf, "glass")["approval_required"], false);

    // The audit log has the refusals, and intent and result of each grant.
    let events = tf.audit_events();
    assert_eq!(
        actions(&events),
        [
            "grant.create refused",
            "grant.create refused",
            "grant.create intent",
            "grant.create success",
            "grant.create intent",
            "grant.create success",
        ]
    );
    assert!(events[0]["error"]
        .as_str()
        .unwrap()
        .contains("manager@example.com"));
    // A refusal records that nothing was verified; the change was unknown.
    assert!(
        events[1].get("verifiedApprovers").is_none(),
        "{}",
        events[1]
    );
    assert!(events[1].get("changeRef").is_none(), "{}", events[1]);
    let admin_done = &events[3];
    assert_eq!(admin_done["approvers"], json!(["manager@example.com"]));
    assert_eq!(admin_done["ticket"], "CHG-7");
    assert_eq!(admin_done["details"]["risk"], "high");
    // Who asked and who approved, as Identity Center ids; the change, the
    // commit and the run.
    assert_eq!(admin_done["actorId"], fx.user("alice"));
    assert_eq!(
        admin_done["verifiedApprovers"],
        json!([{"name": "manager@example.com", "userId": fx.user("manager")}])
    );
    assert_eq!(admin_done["changeRef"], "acme/access#42");
    assert_eq!(admin_done["details"]["change_ref"], "acme/access#42");
    assert_eq!(
        admin_done["commitSha"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        admin_done["ciRun"],
        "https://github.com/acme/access/actions/runs/4711"
    );
    assert_eq!(
        events[2]["verifiedApprovers"],
        admin_done["verifiedApprovers"]
    );
    let glass_done = &events[5];
    assert_eq!(glass_done["breakGlass"], true);
    assert_eq!(glass_done["ticket"], "INC-9");
    assert!(
        glass_done.get("verifiedApprovers").is_none(),
        "{glass_done}"
    );

    // SNS subscribers receive the same events, and one break-glass notice.
    let mut delivered = Vec::new();
    loop {
        let received = sqs(
            port,
            "ReceiveMessage",
            &json!({"QueueUrl": queue, "MaxNumberOfMessages": 10}),
        );
        let messages = received["Messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            delivered
                .push(serde_json::from_str::<Value>(message["Body"].as_str().unwrap()).unwrap());
            sqs(
                port,
                "DeleteMessage",
                &json!({"QueueUrl": queue, "ReceiptHandle": message["ReceiptHandle"]}),
            );
        }
    }
    let (notices, delivered): (Vec<Value>, Vec<Value>) = delivered
        .into_iter()
        .partition(|e| e["action"] == "grant.break_glass");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["result"], "notice");
    assert_eq!(notices[0]["ticket"], "INC-9");
    assert_eq!(notices[0]["actorId"], fx.user("bob"));
    let mut delivered_ids: Vec<&str> = delivered
        .iter()
        .map(|e| e["eventId"].as_str().unwrap())
        .collect();
    let mut logged_ids: Vec<&str> = events
        .iter()
        .map(|e| e["eventId"].as_str().unwrap())
        .collect();
    delivered_ids.sort();
    logged_ids.sort();
    assert_eq!(delivered_ids, logged_ids);
    let glass_sns = delivered
        .iter()
        .find(|e| e["eventId"] == glass_done["eventId"])
        .unwrap();
    assert_eq!(glass_sns, glass_done);

    // Destroyed by an apply of another change: revokes are never refused.
    let out = tf.run_env(
        &["destroy", "-auto-approve", "-no-color"],
        &[("JIT_CHANGE_REF", "acme/access#50")],
    );
    assert!(out.success(), "{}", out.all());
    assert!(assigned(aws, &fx, "JIT-EmergencyAdmin").is_empty());
    assert!(schedules(aws).is_empty());
    let revokes: Vec<Value> = tf
        .audit_events()
        .into_iter()
        .filter(|e| e["action"] == "grant.revoke")
        .collect();
    assert_eq!(revokes.len(), 2);
    assert!(revokes.iter().all(|e| e["changeRef"] == "acme/access#50"));
});

tftest!(grant_overlap, |tf, aws| {
    let fx = fixtures(aws);
    let provider = tf.provider(&policy(""));
    let long = grant("long", "alice", "JIT-S3FullAccess", "1h", "");
    let short = grant("short", "alice", "JIT-S3FullAccess", "30m", "");
    let name = |tf: &Tf, grant: &str| {
        attrs(tf, grant)["schedule_name"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // Two grants of the same access in one apply (created in parallel).
    tf.write_main(&[&provider, &long, &short]);
    tf.init();
    tf.apply();
    let (long_lease, short_lease) = (name(tf, "long"), name(tf, "short"));
    // One assignment (AWS keeps one; moto would store two), both leased,
    // only the latest expiry enabled.
    assert_eq!(assigned(aws, &fx, "JIT-S3FullAccess"), [fx.user("alice")]);
    let leases = schedules(aws);
    assert_eq!(leases.len(), 2);
    assert!(enabled(&leases[&long_lease]) && !enabled(&leases[&short_lease]));

    // The earlier grant ends first: access stays, the later lease rules,
    // and the revoke says so (it does not end the access).
    tf.write_main(&[&provider, &long]);
    let revoked = tf.apply().all().replace('\n', " ");
    assert!(
        revoked.contains(&format!(
            "Access continues after the revoke of grant `{short_lease}`"
        )) && revoked.contains(&format!("`{long_lease}`")),
        "{revoked}"
    );
    assert_eq!(assigned(aws, &fx, "JIT-S3FullAccess"), [fx.user("alice")]);
    let leases = schedules(aws);
    assert_eq!(leases.keys().collect::<Vec<_>>(), [&long_lease]);
    assert!(enabled(&leases[&long_lease]));

    // Another workspace grants the same access: found by lease prefix.
    let other = tf.sibling("second");
    other.write_main(&[&provider, &short]);
    other.init();
    other.apply();
    let other_lease = name(&other, "short");
    assert!(!enabled(&schedules(aws)[&other_lease]));
    assert_eq!(assigned(aws, &fx, "JIT-S3FullAccess"), [fx.user("alice")]);

    // The later grant ends first: access stays, the earlier lease is enabled.
    tf.destroy();
    assert_eq!(assigned(aws, &fx, "JIT-S3FullAccess"), [fx.user("alice")]);
    let leases = schedules(aws);
    assert_eq!(leases.keys().collect::<Vec<_>>(), [&other_lease]);
    assert!(enabled(&leases[&other_lease]));
    other.assert_plan_empty();

    // The last grant ends: access goes, with no such warning.
    let revoked = other.destroy().all();
    assert!(!revoked.contains("Access continues"), "{revoked}");
    assert!(assigned(aws, &fx, "JIT-S3FullAccess").is_empty());
    assert!(schedules(aws).is_empty());
    let _ = std::fs::remove_dir_all(&other.dir);
});

tftest!(grant_replacement, |tf, aws| {
    let fx = fixtures(aws);
    // The provider talks to moto through a proxy that logs each operation.
    let proxy = Proxy::start(moto_port(aws));
    let write = |duration: &str, lifecycle: &str| {
        tf.write_main(&[
            &provider_at(tf, &proxy.endpoint(), ""),
            &grant("g", "alice", "JIT-S3FullAccess", duration, lifecycle),
        ]);
    };
    write("1h", "");
    tf.init();
    tf.apply();
    let old = attrs(tf, "g")["schedule_name"]
        .as_str()
        .unwrap()
        .to_string();

    // Delete-then-create: the old grant hands its lease over, the new one
    // takes the assignment over; it is never removed.
    write("30m", "");
    assert_eq!(
        tf.plan_changes().actions_for("jit_grant.g"),
        ["delete", "create"]
    );
    proxy.clear();
    tf.apply();
    let calls = proxy.operations();
    assert!(
        !calls.iter().any(|c| c == "DeleteAccountAssignment"),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c == "CreateAccountAssignment"),
        "{calls:?}"
    );
    assert_eq!(assigned(aws, &fx, "JIT-S3FullAccess"), [fx.user("alice")]);
    let new = attrs(tf, "g")["schedule_name"]
        .as_str()
        .unwrap()
        .to_string();
    let leases = schedules(aws);
    assert_eq!(
        leases.keys().collect::<Vec<_>>(),
        [&new],
        "{old} must be gone"
    );
    assert!(enabled(&leases[&new]));
    let events = tf.audit_events();
    let revoke = events
        .iter()
        .find(|e| e["action"] == "grant.revoke")
        .unwrap();
    assert!(revoke["details"]["handover"].is_string(), "{revoke}");
    tf.assert_plan_empty();

    // Create-before-destroy: the new lease exists first; the old one goes.
    write(
        "45m",
        "  lifecycle {\n    create_before_destroy = true\n  }",
    );
    assert_eq!(
        tf.plan_changes().actions_for("jit_grant.g"),
        ["create", "delete"]
    );
    proxy.clear();
    tf.apply();
    let calls = proxy.operations();
    assert!(
        !calls.iter().any(|c| c == "DeleteAccountAssignment"),
        "{calls:?}"
    );
    assert_eq!(assigned(aws, &fx, "JIT-S3FullAccess"), [fx.user("alice")]);
    let newest = attrs(tf, "g")["schedule_name"]
        .as_str()
        .unwrap()
        .to_string();
    let leases = schedules(aws);
    assert_eq!(leases.keys().collect::<Vec<_>>(), [&newest]);
    assert!(enabled(&leases[&newest]));

    // A real revoke removes the assignment.
    proxy.clear();
    tf.destroy();
    assert!(proxy.count(&Match::op("DeleteAccountAssignment")) > 0);
    assert!(assigned(aws, &fx, "JIT-S3FullAccess").is_empty());
});

tftest!(grant_expiry, |tf, aws| {
    let fx = fixtures(aws);
    tf.write_main(&[
        &tf.provider(&policy("")),
        &grant("g", "bob", "JIT-S3FullAccess", "2s", ""),
    ]);
    tf.init();
    tf.apply();
    let state = attrs(tf, "g");
    let name = state["schedule_name"].as_str().unwrap().to_string();
    let expires = unix(state["expires_at"].as_str().unwrap());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    std::thread::sleep(Duration::from_secs((expires - now + 1).max(0) as u64));

    // Past expiry and still assigned: the server-side expiry did not run.
    let out = refresh(tf);
    assert!(out.all().contains("is overdue"), "{}", out.all());
    assert_eq!(attrs(tf, "g")["status"], "OVERDUE");

    // The lease runs: EXPIRED, never granted again; recorded once, by the
    // next apply (refreshes and plans write nothing).
    run_lease(aws, &name);
    let out = refresh(tf);
    assert!(out.all().contains("has expired"), "{}", out.all());
    assert_eq!(attrs(tf, "g")["status"], "EXPIRED");
    refresh(tf);
    assert_eq!(
        actions(&tf.audit_events()),
        ["grant.create intent", "grant.create success"]
    );
    assert_eq!(tf.plan_changes().actions_for("jit_grant.g"), ["update"]);
    tf.apply();
    let expired: Vec<Value> = tf
        .audit_events()
        .into_iter()
        .filter(|e| e["action"] == "grant.expired")
        .collect();
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0]["actor"], "bob@example.com");
    assert_eq!(expired[0]["actorId"], fx.user("bob"));
    assert_eq!(expired[0]["details"]["audited_status"], "ACTIVE");
    assert_eq!(attrs(tf, "g")["audited_status"], "EXPIRED");
    tf.assert_plan_empty();
    assert!(assigned(aws, &fx, "JIT-S3FullAccess").is_empty());

    tf.destroy();
    assert!(schedules(aws).is_empty());
});

tftest!(grant_failed_assignment, |tf, aws| {
    let fx = fixtures(aws);
    // Identity Center answers FAILED (injected; moto always succeeds).
    let proxy = Proxy::start(moto_port(aws));
    proxy.inject(
        Match::op("CreateAccountAssignment"),
        When::every(),
        Fault::failed(INJECTED_FAILURE),
    );
    tf.write_main(&[
        &provider_at(tf, &proxy.endpoint(), ""),
        &grant("g", "alice", "JIT-S3FullAccess", "1h", ""),
    ]);
    tf.init();
    let diag = tf
        .apply_fails()
        .error("AWS sso-admin CreateAccountAssignment failed");
    assert!(diag.detail.contains(INJECTED_FAILURE), "{diag:?}");
    assert!(diag.detail.contains("no access was granted"), "{diag:?}");
    // The lease was created first, then removed: no access, no lease.
    let calls = proxy.calls();
    let lease_created = calls
        .iter()
        .position(|c| Match::route("POST", "/schedules/jit-").matches(&c.op));
    let assigned_at = calls
        .iter()
        .position(|c| c.op.name == "CreateAccountAssignment");
    assert!(
        lease_created < assigned_at && lease_created.is_some(),
        "{calls:?}"
    );
    assert!(schedules(aws).is_empty());
    assert!(assigned(aws, &fx, "JIT-S3FullAccess").is_empty());
    assert!(!tf.has_resource("jit_grant.g"));
    let events = tf.audit_events();
    assert_eq!(
        actions(&events),
        ["grant.create intent", "grant.create failure"]
    );
    assert!(events[1]["error"]
        .as_str()
        .unwrap()
        .contains(INJECTED_FAILURE));
});

tftest!(grant_to_user_onboarded_in_the_same_apply, |tf, aws| {
    let fx = fixtures(aws);
    // The user does not exist at plan: the plan warns, the apply resolves
    // the principal after the user is created and grants.
    let onboard = "\nresource \"jit_identity_center_user\" \"erin\" {\n  user_name   = \"erin@example.com\"\n  given_name  = \"Erin\"\n  family_name = \"Example\"\n  email       = \"erin@example.com\"\n}\n";
    let erin_grant = "\nresource \"jit_grant\" \"erin\" {\n  principal      = jit_identity_center_user.erin.user_name\n  account_id     = \"123456789012\"\n  permission_set = \"JIT-S3FullAccess\"\n  duration       = \"1h\"\n  reason         = \"First day: read the onboarding bucket\"\n  requested_by   = \"erin@example.com\"\n}\n";
    tf.write_main(&[&tf.provider(&policy("")), onboard, erin_grant]);
    tf.init();
    let plan = tf.plan_json();
    plan.warning("Principal `erin@example.com` of the grant does not exist yet");
    tf.apply();
    let erin = tf.resource("jit_identity_center_user.erin");
    let state = tf.resource("jit_grant.erin");
    assert_eq!(state["principal_id"], erin["user_id"]);
    assert_eq!(state["status"], "ACTIVE");
    assert!(assigned(aws, &fx, "JIT-S3FullAccess")
        .contains(&erin["user_id"].as_str().unwrap().to_string()));
    tf.assert_plan_empty();

    // A principal that never comes into existence is refused at apply and
    // nothing is granted.
    tf.write_main(&[
        &tf.provider(&policy("")),
        onboard,
        erin_grant,
        &grant("ghost", "ghost", "JIT-S3FullAccess", "1h", ""),
    ]);
    let failed = tf.apply_fails();
    failed.error("Principal not found");
    assert!(!tf.has_resource("jit_grant.ghost"));
    tf.destroy();
    assert!(assigned(aws, &fx, "JIT-S3FullAccess").is_empty());
});
