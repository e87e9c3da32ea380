//! `end_sessions_on_revoke` end to end: a grant of such a permission set
//! prunes our expired statements; its destroy adds exactly one deny
//! statement for the user and account (sessions issued before the revoke)
//! beside a third party's statement, and provisions the permission set; a
//! later grant of the same user applies; a GROUP grant is refused at plan;
//! a failure after the assignment is removed is a warning and is in the
//! audit event. moto does not evaluate `aws:TokenIssueTime`, so the
//! document is asserted exactly.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_identitystore::types::{Email, MemberId, Name};
use serde_json::{json, Value};
use terraform_provider_jit::policy::lease::parse_rfc3339;
use terraform_provider_jit::policy::session_deny::{end_sessions_sid, EndSessions};
use tests::proxy::{Fault, Match, Proxy, When};

use super::*;

const ACCOUNT: &str = "123456789012";
const SET: &str = "JIT-Ends";
const THEIRS: &str =
    r#"{"Sid":"TheirsReadLogs","Effect":"Allow","Action":"logs:Get*","Resource":"*"}"#;

struct Fixture {
    instance: String,
    set_arn: String,
    users: HashMap<String, String>,
}

/// Users alice and bob, group `Ops` (alice), permission set `JIT-Ends`
/// (1 h sessions) whose inline policy holds a third party's statement and
/// an end-sessions statement of bob from 2000 (expired).
fn fixtures(aws: &Aws) -> Fixture {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let store = &aws.clients.identity_store;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = instances.instances()[0].instance_arn().unwrap().to_string();
        let store_id = instances.instances()[0]
            .identity_store_id()
            .unwrap()
            .to_string();
        let mut users = HashMap::new();
        for name in ["alice", "bob"] {
            let user_name = format!("{name}@example.com");
            let id = store
                .create_user()
                .identity_store_id(&store_id)
                .user_name(&user_name)
                .display_name(name)
                .name(Name::builder().given_name(name).family_name("X").build())
                .emails(Email::builder().value(&user_name).primary(true).build())
                .send()
                .await
                .unwrap()
                .user_id;
            users.insert(name.to_string(), id);
        }
        let group = store
            .create_group()
            .identity_store_id(&store_id)
            .display_name("Ops")
            .send()
            .await
            .unwrap()
            .group_id;
        store
            .create_group_membership()
            .identity_store_id(&store_id)
            .group_id(&group)
            .member_id(MemberId::UserId(users["alice"].clone()))
            .send()
            .await
            .unwrap();
        let set_arn = sso
            .create_permission_set()
            .instance_arn(&instance)
            .name(SET)
            .session_duration("PT1H")
            .send()
            .await
            .unwrap()
            .permission_set()
            .unwrap()
            .permission_set_arn()
            .unwrap()
            .to_string();
        let expired = EndSessions::at(
            &users["bob"],
            ACCOUNT,
            parse_rfc3339("2000-01-01T00:00:00Z").unwrap(),
        );
        let document = json!({
            "Version": "2012-10-17",
            "Statement": [serde_json::from_str::<Value>(THEIRS).unwrap(), expired.statement()],
        });
        sso.put_inline_policy_to_permission_set()
            .instance_arn(&instance)
            .permission_set_arn(&set_arn)
            .inline_policy(document.to_string())
            .send()
            .await
            .unwrap();
        Fixture {
            instance,
            set_arn,
            users,
        }
    })
}

fn policy() -> String {
    "  revoker_role_arn = \"arn:aws:iam::123456789012:role/jit-revoker\"\n  grant_policy {\n    max_duration = \"1h\"\n    permission_set {\n      name                   = \"JIT-Ends\"\n      risk                   = \"low\"\n      end_sessions_on_revoke = true\n    }\n  }\n".to_string()
}

fn grant(name: &str, principal: &str, principal_type: &str) -> String {
    format!(
        "\nresource \"jit_grant\" \"{name}\" {{\n  principal      = \"{principal}\"\n  principal_type = \"{principal_type}\"\n  account_id     = \"{ACCOUNT}\"\n  permission_set = \"{SET}\"\n  duration       = \"1h\"\n  reason         = \"Investigate failing lifecycle rule\"\n  requested_by   = \"alice@example.com\"\n}}\n"
    )
}

/// The statements of the permission set's inline policy.
fn statements(aws: &Aws, fx: &Fixture) -> Vec<Value> {
    let output = aws
        .run(
            aws.clients
                .sso_admin
                .get_inline_policy_for_permission_set()
                .instance_arn(&fx.instance)
                .permission_set_arn(&fx.set_arn)
                .send(),
        )
        .unwrap();
    let text = output
        .inline_policy()
        .unwrap_or_default()
        .trim()
        .to_string();
    if text.is_empty() {
        return Vec::new();
    }
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["Version"], "2012-10-17");
    document["Statement"].as_array().cloned().unwrap()
}

/// How often the permission set was provisioned (moto lists it once per
/// `ProvisionPermissionSet`; it ignores the target account).
fn provisioned(aws: &Aws, fx: &Fixture) -> usize {
    aws.run(
        aws.clients
            .sso_admin
            .list_permission_sets_provisioned_to_account()
            .instance_arn(&fx.instance)
            .account_id(ACCOUNT)
            .send(),
    )
    .unwrap()
    .permission_sets()
    .iter()
    .filter(|arn| **arn == fx.set_arn)
    .count()
}

fn assigned(aws: &Aws, fx: &Fixture) -> Vec<String> {
    aws.run(
        aws.clients
            .sso_admin
            .list_account_assignments()
            .instance_arn(&fx.instance)
            .account_id(ACCOUNT)
            .permission_set_arn(&fx.set_arn)
            .send(),
    )
    .unwrap()
    .account_assignments()
    .iter()
    .map(|a| a.principal_id().unwrap().to_string())
    .collect()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn revokes(tf: &Tf) -> Vec<Value> {
    tf.audit_events()
        .into_iter()
        .filter(|e| e["action"] == "grant.revoke")
        .collect()
}

fn moto_port(aws: &Aws) -> u16 {
    aws.endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

tftest!(grant_end_sessions_on_revoke, |tf, aws| {
    let fx = fixtures(aws);
    let alice = fx.users["alice"].clone();
    let theirs: Value = serde_json::from_str(THEIRS).unwrap();
    let proxy = Proxy::start(moto_port(aws));
    let provider = tf
        .provider(&policy())
        .replace(&tf.endpoint, &proxy.endpoint());

    // 1. A grant of the set applies and prunes bob's expired statement;
    //    the third party's statement is kept exactly.
    //    The apply role rendered for grants gets the inline-policy and
    //    provisioning actions because the grant policy sets the option,
    //    and not when told otherwise.
    let roles = format!(
        r#"
data "jit_ci_role_policy" "grants" {{
  role           = "apply"
  account_id     = "{ACCOUNT}"
  resource_types = ["jit_grant"]
}}

data "jit_ci_role_policy" "without" {{
  role                   = "apply"
  account_id             = "{ACCOUNT}"
  resource_types         = ["jit_grant"]
  end_sessions_on_revoke = false
}}

output "grants" {{
  value = data.jit_ci_role_policy.grants
}}

output "without" {{
  value = data.jit_ci_role_policy.without
}}
"#
    );
    tf.write_main(&[&provider, &grant("a", "alice@example.com", "USER"), &roles]);
    tf.init();
    tf.apply();
    assert_eq!(assigned(aws, &fx), std::slice::from_ref(&alice));
    assert_eq!(statements(aws, &fx), std::slice::from_ref(&theirs));
    let (with, without) = (tf.output("grants"), tf.output("without"));
    assert_eq!(with["end_sessions_on_revoke"], true);
    let writes = [
        "sso:PutInlinePolicyToPermissionSet",
        "sso:DeleteInlinePolicyFromPermissionSet",
        "sso:ProvisionPermissionSet",
    ];
    for action in writes
        .iter()
        .chain(&["sso:GetInlinePolicyForPermissionSet"])
    {
        assert!(
            with["actions"].as_array().unwrap().contains(&json!(action)),
            "{action}: {with:#}"
        );
    }
    for action in writes {
        assert!(
            !without["actions"]
                .as_array()
                .unwrap()
                .contains(&json!(action)),
            "{action}: {without:#}"
        );
    }

    // 2. Destroy (manual revoke): the assignment goes, then exactly one
    //    statement for alice in this account, sessions issued before the
    //    revoke denied; the permission set is provisioned.
    let before = provisioned(aws, &fx);
    let revoked_from = unix_now();
    tf.write_main(&[&provider]);
    tf.apply();
    let revoked_to = unix_now();
    assert!(assigned(aws, &fx).is_empty());
    let after = statements(aws, &fx);
    assert_eq!(after.len(), 2, "{after:#?}");
    assert_eq!(after[0], theirs);
    let time = after[1]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        after[1],
        json!({
            "Sid": end_sessions_sid(&alice, ACCOUNT),
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"identitystore:UserId": alice, "aws:PrincipalAccount": ACCOUNT},
                "DateLessThan": {"aws:TokenIssueTime": time},
            },
        })
    );
    assert!(after[1]["Sid"]
        .as_str()
        .unwrap()
        .starts_with("JitEndSessions"));
    let denied_before = parse_rfc3339(&time).unwrap().unix_timestamp();
    assert!(
        denied_before > revoked_from && denied_before <= revoked_to + 1,
        "{time} not after the revoke ({revoked_from}..{revoked_to})"
    );
    assert_eq!(provisioned(aws, &fx), before + 1);
    let revoke = revokes(tf).pop().unwrap();
    assert_eq!(revoke["result"], "success");
    assert_eq!(revoke["details"]["assignment"], "removed");
    let detail = revoke["details"]["end_sessions"].as_str().unwrap();
    assert!(
        detail.contains(&format!("account {ACCOUNT} issued before {time}"))
            && detail.contains("permission set provisioned"),
        "{detail}"
    );
    assert!(
        detail.contains(&end_sessions_sid(&alice, ACCOUNT)),
        "{detail}"
    );

    // 3. A later grant of the same user applies; the statement (not yet
    //    past the session duration) is kept as it was.
    tf.write_main(&[&provider, &grant("b", "alice@example.com", "USER")]);
    tf.apply();
    assert_eq!(assigned(aws, &fx), std::slice::from_ref(&alice));
    assert_eq!(statements(aws, &fx), after);
    tf.assert_plan_empty();

    // 4. A GROUP grant of the set is refused at plan, on `principal_type`.
    tf.write_main(&[
        &provider,
        &grant("b", "alice@example.com", "USER"),
        &grant("g", "Ops", "GROUP"),
    ]);
    let refused = tf.plan_fails();
    let error = refused.error("Group grants cannot end sessions on revoke");
    assert!(error.code.contains("principal_type"), "{error:?}");
    assert!(
        error.detail.contains("end_sessions_on_revoke = true") && error.detail.contains("JIT-Ends"),
        "{error:?}"
    );
    assert_eq!(assigned(aws, &fx), std::slice::from_ref(&alice));

    // 5. The inline policy cannot be written at the next revoke: the
    //    access is removed all the same, the apply warns what was and was
    //    not done, and the audit event records it.
    proxy.inject(
        Match::op("PutInlinePolicyToPermissionSet"),
        When::every(),
        Fault::ServerError(500),
    );
    let provisions = provisioned(aws, &fx);
    tf.write_main(&[&provider]);
    let output = tf.ok(&["apply", "-auto-approve", "-no-color", "-json"]);
    let warning = output.warning("revoked, but its live sessions were not ended");
    assert!(
        warning
            .detail
            .contains("the access is removed (no new sign-in)")
            && warning.detail.contains("PutInlinePolicyToPermissionSet"),
        "{warning:?}"
    );
    assert!(assigned(aws, &fx).is_empty());
    assert_eq!(statements(aws, &fx), after, "nothing written");
    assert_eq!(provisioned(aws, &fx), provisions, "not provisioned");
    let revoke = revokes(tf).pop().unwrap();
    assert_eq!(revoke["result"], "success");
    assert_eq!(revoke["details"]["assignment"], "removed");
    let detail = revoke["details"]["end_sessions"].as_str().unwrap();
    assert!(
        detail.starts_with("FAILED:")
            && detail.contains("role sessions already issued may continue"),
        "{detail}"
    );
});
