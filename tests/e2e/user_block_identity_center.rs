//! `jit_user_block` with `identity_center { user }` end to end: the deny
//! statement in every permission set's inline policy (shared by two blocked
//! users, beside a third party's statement that survives), assignments and
//! memberships removed and restored exactly, grants and memberships of the
//! blocked user refused, import, drift, and the statement gone at the end.

use aws_sdk_identitystore::types::MemberId;
use serde_json::{json, Value};

use super::*;
use tests::identity_center::{fixtures, Fixture, SID, THEIRS};

const ACCOUNT: &str = tests::invariants::DEFAULT_ACCOUNT;

fn ic_block(name: &str, user: &str) -> String {
    format!(
        "\nresource \"jit_user_block\" \"{name}\" {{\n  identity_center {{\n    user = \"{user}\"\n  }}\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n  ticket     = \"SEC-17\"\n}}\n"
    )
}

/// The values of our statement's condition in a permission set.
fn denied_values(aws: &Aws, fx: &Fixture, set: &str) -> Option<Vec<String>> {
    let policy = fx.inline_policy(aws, set);
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    let ours = statements.iter().find(|s| s["Sid"] == SID)?;
    assert_eq!(ours["Effect"], "Deny");
    assert_eq!(ours["Action"], "*");
    let values = &ours["Condition"]["StringEquals"]["identitystore:UserId"];
    Some(serde_json::from_value(values.clone()).unwrap())
}

fn sids(aws: &Aws, fx: &Fixture, set: &str) -> Vec<String> {
    let policy = fx.inline_policy(aws, set);
    policy["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A grant of `IC-ReadOnly` to `who` (low risk, no approver needed).
fn grant(who: &str) -> String {
    format!(
        "\nresource \"jit_grant\" \"g\" {{\n  principal      = \"{who}\"\n  account_id     = \"{ACCOUNT}\"\n  permission_set = \"IC-ReadOnly\"\n  duration       = \"1h\"\n  reason         = \"Investigate failing lifecycle rule\"\n  requested_by   = \"{who}\"\n}}\n"
    )
}

const GRANT_POLICY: &str = "  revoker_role_arn = \"arn:aws:iam::123456789012:role/jit-revoker\"\n  grant_policy {\n    max_duration = \"1h\"\n    permission_set {\n      name = \"IC-ReadOnly\"\n      risk = \"low\"\n    }\n  }\n";

tftest!(user_block_identity_center, |tf, aws| {
    let fx = fixtures(aws);
    let mallory = fx.users["mallory"].clone();
    let eve = fx.users["eve"].clone();
    let before_assignments = fx.assignments(aws, "mallory");
    assert_eq!(before_assignments.len(), 1);
    assert_eq!(fx.groups(aws, "mallory"), std::slice::from_ref(&fx.group));

    // 1. Block mallory (named by email): the deny statement in every
    //    permission set, the third party's statement kept, assignment and
    //    membership gone, the record in state.
    let provider = tf.provider(GRANT_POLICY);
    tf.write_main(&[&provider, &ic_block("m", "mallory@example.com")]);
    tf.init();
    tf.apply();
    let state = tf.resource("jit_user_block.m");
    assert_eq!(state["id"], "identity_center:mallory@example.com");
    assert_eq!(state["status"], "BLOCKED");
    assert_eq!(state["user_id"], mallory);
    assert_eq!(
        state["assignments_removed"],
        json!([format!("{ACCOUNT}/{}", fx.sets["IC-ReadOnly"])])
    );
    assert_eq!(state["groups_removed"], json!([fx.group]));
    assert!(state["access_keys_deactivated"].is_null() && state["user_was_enabled"].is_null());
    let marker = state["marker"].as_str().unwrap().to_string();
    for set in ["IC-Admin", "IC-ReadOnly"] {
        let values = denied_values(aws, &fx, set).expect("deny statement");
        assert!(values.contains(&mallory), "{set}: {values:?}");
        assert!(
            values.contains(&format!("{mallory}#{marker}")),
            "{values:?}"
        );
    }
    assert_eq!(sids(aws, &fx, "IC-Admin"), ["TheirsReadLogs", SID]);
    assert!(fx.assignments(aws, "mallory").is_empty());
    assert!(fx.groups(aws, "mallory").is_empty());
    let blocked = tf
        .audit_events()
        .into_iter()
        .filter(|e| e["action"] == "user_block.block")
        .count();
    assert_eq!(blocked, 1);

    // 2. Plan after apply is empty.
    tf.assert_plan_empty();

    // 3. A grant to the blocked user is refused, naming the block; so is a
    //    new group membership.
    tf.write_main(&[
        &provider,
        &ic_block("m", "mallory@example.com"),
        &grant("mallory"),
    ]);
    let refused = tf.apply_fails();
    let error = refused.error("Principal is blocked");
    assert!(error.detail.contains(&marker), "{}", error.detail);
    assert!(fx.assignments(aws, "mallory").is_empty());
    let membership = "\nresource \"jit_identity_center_group_membership\" \"x\" {\n  group = \"Oncall\"\n  user  = \"mallory\"\n}\n";
    tf.write_main(&[&provider, &ic_block("m", "mallory@example.com"), membership]);
    let refused = tf.apply_fails();
    refused.error("User is blocked");
    assert!(fx.groups(aws, "mallory").is_empty());

    // 4. A second user blocked: both share the statement.
    tf.write_main(&[
        &provider,
        &ic_block("m", "mallory@example.com"),
        &ic_block("e", &eve),
    ]);
    tf.apply();
    let eve_marker = tf.resource("jit_user_block.e")["marker"]
        .as_str()
        .unwrap()
        .to_string();
    for set in ["IC-Admin", "IC-ReadOnly"] {
        let values = denied_values(aws, &fx, set).unwrap();
        assert!(
            values.contains(&mallory) && values.contains(&eve),
            "{values:?}"
        );
    }
    assert_eq!(sids(aws, &fx, "IC-Admin"), ["TheirsReadLogs", SID]);

    // 5. Drift: someone re-adds mallory to her group; the plan re-blocks.
    aws.run(
        aws.clients
            .identity_store
            .create_group_membership()
            .identity_store_id(&fx.store)
            .group_id(&fx.group)
            .member_id(MemberId::UserId(mallory.clone()))
            .send(),
    )
    .unwrap();
    let refreshed = tf.plan_json();
    refreshed.warning("Block undone outside Terraform: `identity_center:mallory@example.com`");
    tf.apply();
    assert_eq!(tf.resource("jit_user_block.m")["status"], "BLOCKED");
    assert!(fx.groups(aws, "mallory").is_empty());
    tf.assert_plan_empty();

    // 6. Import the block into a fresh state.
    let other = tf.sibling("import");
    other.write_main(&[&provider, &ic_block("m", "mallory@example.com")]);
    other.init();
    other.import(
        "jit_user_block.m",
        &format!("identity_center:mallory@example.com/{marker}"),
    );
    let imported = other.resource("jit_user_block.m");
    assert_eq!(imported["marker"], marker);
    assert_eq!(imported["user_id"], mallory);
    assert_eq!(imported["groups_removed"], json!([fx.group]));
    assert_eq!(imported["status"], "BLOCKED");

    // 7. Restore mallory: assignment and membership back exactly, her id
    //    out of the statement, eve's and the third party's kept.
    tf.write_main(&[&provider, &ic_block("e", &eve)]);
    tf.apply();
    assert_eq!(fx.assignments(aws, "mallory"), before_assignments);
    assert_eq!(fx.groups(aws, "mallory"), std::slice::from_ref(&fx.group));
    for set in ["IC-Admin", "IC-ReadOnly"] {
        let values = denied_values(aws, &fx, set).unwrap();
        assert!(
            !values.iter().any(|v| v.starts_with(&mallory)),
            "{values:?}"
        );
        assert!(
            values.contains(&format!("{eve}#{eve_marker}")),
            "{values:?}"
        );
    }
    assert_eq!(sids(aws, &fx, "IC-Admin"), ["TheirsReadLogs", SID]);

    // 8. Restore eve: no statement left; the third party's policy is as it
    //    was, and a permission set with nothing else has no inline policy.
    tf.write_main(&[&provider]);
    tf.apply();
    assert_eq!(
        fx.inline_policy(aws, "IC-Admin"),
        serde_json::from_str::<Value>(THEIRS).unwrap()
    );
    assert_eq!(fx.inline_policy(aws, "IC-ReadOnly"), Value::Null);
    assert_eq!(fx.assignments(aws, "mallory"), before_assignments);
    let restores = tf
        .audit_events()
        .into_iter()
        .filter(|e| e["action"] == "user_block.restore")
        .count();
    assert_eq!(restores, 2);
});

tftest!(user_block_identity_center_bad_input, |tf, _aws| {
    tf.write_main(&[&tf.provider(""), &ic_block("m", "nobody here")]);
    tf.init();
    let failed = tf.plan_fails();
    failed.error("Invalid Identity Center user");
    tf.write_main(&[&tf.provider(""), &ic_block("m", "nobody@example.com")]);
    let failed = tf.apply_fails();
    failed.error("User not found");
    assert!(!tf.has_resource("jit_user_block.m"));
});
