//! Every resource and data source under moto's IAM enforcement, with
//! exactly the policies the provider renders: the plan role
//! (`data "jit_ci_role_policy"`, `role = "plan"`) plans and imports, the
//! apply role creates, updates and destroys, and the revoker role
//! (`data "jit_revoker_role_policy"`) does what the lease targets do. The
//! provider assumes the roles itself (`assume_role`) through the proxy.
//!
//! moto matches no resource ARN (it authorizes every action against `*`),
//! so each rendered statement's `Resource` is widened to `*`; the action
//! lists stay exactly as rendered. The roles' trust policies are created as
//! rendered (GitHub OIDC, Scheduler) and then swapped for one naming the
//! test's CI user, which moto can check.
//!
//! Besides "it works": no AWS call answers `AccessDenied` (some lookups
//! swallow errors), a plan with the plan role warns exactly as one with an
//! allow-all role, and every call each command makes is listed in the
//! action table for that command's steps.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};
use terraform_provider_jit::policy::actions::{self, Kind, Step, COMPONENTS};
use tests::enforce;
use tests::proxy::http::{exchange, Request};
use tests::proxy::sigv4::sign_own;
use tests::proxy::{Fault, Key, Match, Proxy, When};
use tests::TfOutput;

use super::world::{self, configuration, import_ids, port_of, provider, World, ACCOUNT, GROUP};
use super::*;

const CI_USER: &str = "ci";

fn trust_for_ci() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:user/{CI_USER}") },
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// moto authorizes every action against `*`: the statements' resources
/// are widened, never their actions or conditions.
fn widened(policy: &str) -> String {
    let mut document: Value = serde_json::from_str(policy).expect("policy JSON");
    for statement in document["Statement"].as_array_mut().expect("statements") {
        statement["Resource"] = json!("*");
    }
    document.to_string()
}

/// The rendered policies, read through Terraform from the data sources.
struct Rendered {
    plan: String,
    plan_trust: String,
    apply: String,
    apply_trust: String,
    revoker: String,
    revoker_trust: String,
}

fn render(tf: &Tf, world: &World) -> Rendered {
    let dir = tf.sibling("policies");
    let extra = format!(
        "  revoker_role_arn             = \"arn:aws:iam::{ACCOUNT}:role/jit-revoker\"\n  notification_topic_arn       = \"{}\"\n  expiry_dead_letter_queue_arn = \"{}\"\n",
        world.topic, world.queue_arn
    );
    dir.write_main(&[
        &dir.provider(&extra),
        &format!(
            r#"
data "jit_ci_role_policy" "plan" {{
  role       = "plan"
  account_id = "{ACCOUNT}"
  repository = "acme/access"
}}

data "jit_ci_role_policy" "apply" {{
  role                   = "apply"
  account_id             = "{ACCOUNT}"
  repository             = "acme/access"
  end_sessions_on_revoke = true
}}

data "jit_revoker_role_policy" "revoker" {{
  account_id = "{ACCOUNT}"
}}

output "plan" {{
  value = data.jit_ci_role_policy.plan
}}

output "apply" {{
  value = data.jit_ci_role_policy.apply
}}

output "revoker" {{
  value = data.jit_revoker_role_policy.revoker
}}
"#
        ),
    ]);
    dir.init();
    dir.apply();
    let (plan, apply, revoker) = (
        dir.output("plan"),
        dir.output("apply"),
        dir.output("revoker"),
    );
    let text = |v: &Value, k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k}: {v:#}"))
            .to_string()
    };
    assert_eq!(
        apply["trust_policy_json"]
            .as_str()
            .map(|t| t.contains("environment:jit-apply")),
        Some(true)
    );
    Rendered {
        plan: text(&plan, "permission_policy_json"),
        plan_trust: text(&plan, "trust_policy_json"),
        apply: text(&apply, "permission_policy_json"),
        apply_trust: text(&apply, "trust_policy_json"),
        revoker: text(&revoker, "permission_policy_json"),
        revoker_trust: text(&revoker, "trust_policy_json"),
    }
}

/// Creates a role with its rendered trust and widened permissions, then
/// lets the CI user assume it.
fn role(aws: &Aws, name: &str, permissions: &str, rendered_trust: &str) -> String {
    let arn = enforce::create_role_with_policy(aws, name, &widened(permissions), rendered_trust);
    aws.run(
        aws.iam()
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(trust_for_ci())
            .send(),
    )
    .unwrap_or_else(|e| panic!("UpdateAssumeRolePolicy {name}: {e:?}"));
    arn
}

/// The components the configuration uses: every resource and data source.
fn components() -> Vec<&'static actions::Component> {
    COMPONENTS
        .iter()
        .filter(|c| c.kind != Kind::Schedules)
        .collect()
}

/// The table's service name for a SigV4 signing name.
fn table_service(signing: &str) -> &str {
    match signing {
        "sso" => "sso-admin",
        other => other,
    }
}

/// Every call the proxy saw since `clear` is authorized (no 403) and
/// listed in the action table for one of `steps` (data sources are read
/// in every command).
fn check_calls(proxy: &Proxy, steps: &[Step], what: &str) {
    let mut allowed: BTreeSet<&str> = BTreeSet::new();
    for component in components() {
        for step in steps {
            allowed.extend(component.needs(*step).iter().map(|n| n.action));
        }
        if component.kind == Kind::DataSource {
            allowed.extend(component.needs(Step::Plan).iter().map(|n| n.action));
        }
    }
    let calls = proxy.calls();
    assert!(!calls.is_empty(), "{what}: no AWS call seen");
    let mut problems = Vec::new();
    for call in &calls {
        if call.op.service == "sts" && call.op.name == "AssumeRole" {
            continue; // the CI user's own permission, not the role's
        }
        if call.status == Some(403) {
            problems.push(format!("{call}: denied"));
        }
        let service = table_service(&call.op.service);
        match actions::action_of_call(service, &call.op.name) {
            None => problems.push(format!(
                "{call}: {service} `{}` is not in the action table",
                call.op.name
            )),
            Some(action) if !allowed.contains(action) => problems.push(format!(
                "{call}: `{action}` is not listed for steps {:?} of any resource or data source",
                steps.iter().map(|s| s.name()).collect::<Vec<_>>()
            )),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
}

fn warnings(output: &TfOutput) -> Vec<String> {
    let mut found: Vec<String> = output
        .diagnostics()
        .into_iter()
        .filter(|d| d.severity == "warning")
        .map(|d| d.summary)
        .collect();
    found.sort();
    found
}

/// Runs Terraform as the CI user.
fn run(tf: &Tf, ci: &Key, args: &[&str]) -> TfOutput {
    tf.run_env(
        args,
        &[
            ("AWS_ACCESS_KEY_ID", ci.id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", ci.secret.as_str()),
        ],
    )
}

fn ok(output: TfOutput) -> TfOutput {
    assert!(
        output.success(),
        "`{}` failed:\n{}",
        output.command,
        output.all()
    );
    output
}

/// One signed request straight to moto with `key`; `(status, body)`.
fn signed(
    port: u16,
    key: &Key,
    service: &str,
    target: Option<&str>,
    content_type: &str,
    body: &str,
) -> (u16, String) {
    let mut headers = vec![
        ("Host".to_string(), format!("127.0.0.1:{port}")),
        ("Content-Type".to_string(), content_type.to_string()),
    ];
    if let Some(target) = target {
        headers.push(("X-Amz-Target".to_string(), target.to_string()));
    }
    let mut request = Request {
        method: "POST".into(),
        target: "/".into(),
        headers,
        body: body.as_bytes().to_vec(),
    };
    sign_own(&mut request, key, service);
    let response = exchange(port, &request, Duration::from_secs(30)).expect("moto answers");
    (
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    )
}

/// The revoker does what the lease targets do, with its own session:
/// delete the assignment of the oncall grant's lease, publish its expiry
/// notice, deliver a failed expiry to the dead-letter queue; and nothing
/// else (creating an assignment is refused).
fn expire_as_revoker(
    enforced: &enforce::Enforced,
    moto_port: u16,
    ci: &Key,
    world: &World,
    lease: &str,
) {
    let admin = &enforced.aws;
    let schedule = |name: &str| {
        admin
            .run(
                admin
                    .clients
                    .scheduler
                    .get_schedule()
                    .group_name(GROUP)
                    .name(name)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("GetSchedule {name}: {e:?}"))
    };
    let lease_schedule = schedule(lease);
    let target = lease_schedule.target().expect("target");
    assert_eq!(
        target.arn(),
        "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment"
    );
    assert_eq!(
        target.role_arn(),
        format!("arn:aws:iam::{ACCOUNT}:role/jit-revoker")
    );
    assert_eq!(
        target.dead_letter_config().and_then(|d| d.arn()),
        Some(world.queue_arn.as_str())
    );
    // The notice schedule of the same grant: same key hash, `n` suffix
    // replaced; find it by its SNS target.
    let notices: Vec<String> = tests::invariants::leases(admin, GROUP)
        .into_iter()
        .map(|l| l.name)
        .collect();
    let listing = admin
        .run(
            admin
                .clients
                .scheduler
                .list_schedules()
                .group_name(GROUP)
                .send(),
        )
        .expect("ListSchedules");
    let notice = listing
        .schedules()
        .iter()
        .filter_map(|s| s.name())
        .filter(|name| !notices.contains(&name.to_string()))
        .map(schedule)
        .find(|s| s.target().map(|t| t.arn()) == Some(world.topic.as_str()))
        .expect("an expiry notice schedule");

    let ci_aws = Aws::with_key(&format!("http://127.0.0.1:{moto_port}"), &ci.id, &ci.secret);
    let session = ci_aws
        .run(
            ci_aws
                .clients
                .sts
                .assume_role()
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/jit-revoker"))
                .role_session_name("scheduler")
                .send(),
        )
        .expect("the CI user may assume the revoker in the test")
        .credentials
        .expect("credentials");
    let revoker = Key {
        id: session.access_key_id.clone(),
        secret: session.secret_access_key.clone(),
        token: Some(session.session_token.clone()),
    };

    let input = target.input().expect("lease input");
    let (status, body) = signed(
        moto_port,
        &revoker,
        "sso",
        Some("SWBExternalService.DeleteAccountAssignment"),
        "application/x-amz-json-1.1",
        input,
    );
    assert_eq!(status, 200, "revoker DeleteAccountAssignment: {body}");

    let message = notice
        .target()
        .and_then(|t| t.input())
        .expect("notice input");
    let form = format!(
        "Action=Publish&Version=2010-03-31&TopicArn={}&Message={}",
        urlencode(&world.topic),
        urlencode(message)
    );
    let (status, body) = signed(
        moto_port,
        &revoker,
        "sns",
        None,
        "application/x-www-form-urlencoded",
        &form,
    );
    assert_eq!(status, 200, "revoker Publish: {body}");

    let dead_letter =
        json!({"QueueUrl": world.queue_url, "MessageBody": "failed expiry"}).to_string();
    let (status, body) = signed(
        moto_port,
        &revoker,
        "sqs",
        Some("AmazonSQS.SendMessage"),
        "application/x-amz-json-1.0",
        &dead_letter,
    );
    assert_eq!(status, 200, "revoker SendMessage: {body}");

    // Enforcement is on for the revoker: it may not grant.
    let create: Value = serde_json::from_str(input).expect("lease input JSON");
    let (status, body) = signed(
        moto_port,
        &revoker,
        "sso",
        Some("SWBExternalService.CreateAccountAssignment"),
        "application/x-amz-json-1.1",
        &create.to_string(),
    );
    assert!(
        status >= 400 && body.contains("AccessDenied"),
        "the revoker must not create assignments: {status} {body}"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

tftest!(
    least_privilege_every_resource_under_the_generated_roles,
    |tf, aws| {
        let moto_port = port_of(&aws.endpoint);
        let world = world::fixtures(aws, &tf.prefix);
        let iam_before =
            tests::invariants::IamUserSnapshot::take(aws, &world.blocked_user).unwrap();
        let cognito_before =
            tests::invariants::CognitoUserSnapshot::take(aws, &world.pool, &world.cognito_user)
                .unwrap();

        // The roles, from the policies the data sources render.
        let rendered = render(tf, &world);
        let plan_role = role(aws, "jit-plan", &rendered.plan, &rendered.plan_trust);
        let apply_role = role(aws, "jit-apply", &rendered.apply, &rendered.apply_trust);
        role(
            aws,
            "jit-revoker",
            &rendered.revoker,
            &rendered.revoker_trust,
        );
        let everything = role(aws, "everything", enforce::ALLOW_ALL, &trust_for_ci());
        let ci = enforce::create_user_with_policy(
            aws,
            CI_USER,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
        );

        let proxy = Proxy::start(moto_port);
        // Identity Center answers IN_PROGRESS first, as AWS does: the status
        // polls run too.
        proxy.inject(
            Match::ops(&["CreateAccountAssignment", "DeleteAccountAssignment"]),
            When::every(),
            Fault::InProgress { answers: Some(2) },
        );
        let enforced = enforce::enable(aws, "admin", Some(&proxy));
        proxy.add_key(ci.clone());

        let as_role = |role_arn: &str| {
            tf.write(
                "provider.tf",
                &provider(tf, &world, &proxy.endpoint(), role_arn),
            )
        };
        tf.write("main.tf", &configuration(&world, false));
        as_role(&plan_role);
        ok(run(tf, &ci, &["init", "-no-color"]));

        // 1. A pull request's plan of everything, with the plan role; it warns
        //    exactly as with an allow-all role.
        as_role(&everything);
        let baseline = ok(run(tf, &ci, &["plan", "-no-color", "-json"]));
        as_role(&plan_role);
        proxy.clear();
        let planned = ok(run(tf, &ci, &["plan", "-no-color", "-json"]));
        check_calls(&proxy, &[Step::Plan], "plan of new objects (plan role)");
        assert_eq!(warnings(&planned), warnings(&baseline), "{}", planned.all());

        // 2. Apply with the apply role.
        as_role(&apply_role);
        proxy.clear();
        let applied = ok(run(
            tf,
            &ci,
            &["apply", "-auto-approve", "-no-color", "-json"],
        ));
        check_calls(&proxy, &[Step::Plan, Step::Create], "apply (apply role)");
        assert!(
            !warnings(&applied)
                .iter()
                .any(|w| w.contains("not written") || w.contains("not scheduled")),
            "{}",
            applied.all()
        );
        // What the configuration's later steps meet: an access key and a
        // virtual MFA device made outside Terraform (force_destroy removes them).
        let dave = format!("{}-dave", world.prefix);
        enforced_user_extras(&enforced, &dave);

        // 3. The plan role refreshes everything and finds nothing to do.
        as_role(&everything);
        let baseline = run(
            tf,
            &ci,
            &["plan", "-detailed-exitcode", "-no-color", "-json"],
        );
        assert_eq!(baseline.code, 0, "{}", baseline.all());
        as_role(&plan_role);
        proxy.clear();
        let refreshed = run(
            tf,
            &ci,
            &["plan", "-detailed-exitcode", "-no-color", "-json"],
        );
        assert_eq!(refreshed.code, 0, "{}", refreshed.all());
        check_calls(&proxy, &[Step::Plan], "refresh (plan role)");
        assert_eq!(
            warnings(&refreshed),
            warnings(&baseline),
            "{}",
            refreshed.all()
        );

        // 4. In-place updates with the apply role (without refresh: only the
        //    plan and the update run).
        tf.write("main.tf", &configuration(&world, true));
        as_role(&apply_role);
        proxy.clear();
        ok(run(
            tf,
            &ci,
            &[
                "apply",
                "-refresh=false",
                "-auto-approve",
                "-no-color",
                "-json",
            ],
        ));
        check_calls(&proxy, &[Step::Plan, Step::Update], "update (apply role)");
        as_role(&plan_role);
        let after_update = run(tf, &ci, &["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(after_update.code, 0, "{}", after_update.all());

        // 5. Import of every resource with the plan role, into fresh state.
        let imported = tf.sibling("import");
        imported.write("main.tf", &configuration(&world, true));
        imported.write(
            "provider.tf",
            &provider(&imported, &world, &proxy.endpoint(), &plan_role),
        );
        ok(run(&imported, &ci, &["init", "-no-color"]));
        proxy.clear();
        for (address, id) in import_ids(tf, &world) {
            ok(run(&imported, &ci, &["import", "-no-color", &address, &id]));
        }
        check_calls(&proxy, &[Step::Import, Step::Plan], "import (plan role)");

        // 6. Expiry: the revoker role does what the lease targets do.
        let oncall_lease = tf.resource("jit_grant.oncall")["schedule_name"]
            .as_str()
            .unwrap()
            .to_string();
        expire_as_revoker(&enforced, moto_port, &ci, &world, &oncall_lease);

        // The plan role sees the grant revoked: the same warnings as with
        // every permission, and no write (a plan never writes audit events;
        // the next apply records the observation).
        as_role(&everything);
        let baseline = ok(run(tf, &ci, &["plan", "-no-color", "-json"]));
        as_role(&plan_role);
        proxy.clear();
        let observed = ok(run(tf, &ci, &["plan", "-no-color", "-json"]));
        check_calls(
            &proxy,
            &[Step::Plan],
            "plan after the expiry ran (plan role)",
        );
        let revoked = "was revoked outside this grant";
        assert!(
            warnings(&baseline).iter().any(|w| w.contains(revoked)),
            "{}",
            baseline.all()
        );
        assert_eq!(
            warnings(&observed),
            warnings(&baseline),
            "{}",
            observed.all()
        );
        assert!(
            proxy.calls().iter().all(|c| c.op.name != "Publish"),
            "{:#?}",
            proxy.calls()
        );

        // 7. Destroy with the apply role (no refresh: only the deletes run).
        as_role(&apply_role);
        proxy.clear();
        let destroyed = ok(run(
            tf,
            &ci,
            &[
                "destroy",
                "-refresh=false",
                "-auto-approve",
                "-no-color",
                "-json",
            ],
        ));
        check_calls(&proxy, &[Step::Delete], "destroy (apply role)");
        // `end_sessions_on_revoke` of `JIT-S3FullAccess`: the revoke wrote
        // its deny statement and provisioned, with the apply role.
        assert!(
            !warnings(&destroyed)
                .iter()
                .any(|w| w.contains("live sessions were not ended")),
            "{}",
            destroyed.all()
        );
        assert!(proxy.count(&Match::op("PutInlinePolicyToPermissionSet")) > 0);
        assert!(proxy.count(&Match::op("ProvisionPermissionSet")) > 0);

        // Everything is gone or restored exactly.
        let admin = &enforced.aws;
        assert_eq!(
            tests::invariants::IamUserSnapshot::take(admin, &world.blocked_user).as_ref(),
            Some(&iam_before)
        );
        assert_eq!(
            tests::invariants::CognitoUserSnapshot::take(admin, &world.pool, &world.cognito_user)
                .as_ref(),
            Some(&cognito_before)
        );
        assert!(tests::invariants::leases(admin, GROUP).is_empty());
        assert!(tests::invariants::IamUserSnapshot::take(admin, &dave).is_none());
        // Enforcement was on: the CI user's own key may do nothing but assume.
        let ci_direct = Aws::with_key(&format!("http://127.0.0.1:{moto_port}"), &ci.id, &ci.secret);
        assert!(ci_direct.run(ci_direct.iam().list_users().send()).is_err());
    }
);

/// An access key and an enabled virtual MFA device for `user`.
fn enforced_user_extras(enforced: &enforce::Enforced, user: &str) {
    let admin = &enforced.aws;
    admin
        .run(admin.iam().create_access_key().user_name(user).send())
        .expect("CreateAccessKey");
    let device = admin
        .run(
            admin
                .iam()
                .create_virtual_mfa_device()
                .virtual_mfa_device_name(format!("{user}-phone"))
                .send(),
        )
        .expect("CreateVirtualMFADevice")
        .virtual_mfa_device
        .expect("device")
        .serial_number;
    admin
        .run(
            admin
                .iam()
                .enable_mfa_device()
                .user_name(user)
                .serial_number(&device)
                .authentication_code1("123456")
                .authentication_code2("654321")
                .send(),
        )
        .expect("EnableMFADevice");
}
