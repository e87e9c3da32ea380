//! `jit_user_block` end to end: a Cognito user and an IAM user blocked at
//! once and restored exactly; in-place edits, import, drift, idempotency,
//! replacement without a gap, and bad input.

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, AuthFlowType, ExplicitAuthFlowsType, MessageActionType,
    SchemaAttributeType,
};
use aws_sdk_iam::types::StatusType;
use serde_json::Value;
use terraform_provider_jit::aws::aws_error;
use terraform_provider_jit::policy::block::Flag;

use super::*;
use tests::invariants::{BlockState, CognitoUserSnapshot, IamUserSnapshot};

const PASSWORD: &str = "Perm-Passw0rd!";
const FLAG: &str = "custom:access_revoked";

fn block(target: &str, extra: &str) -> String {
    format!(
        "\nresource \"jit_user_block\" \"b\" {{\n{target}\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n{extra}\n}}\n"
    )
}

fn iam_target(user: &str) -> String {
    format!("  iam {{\n    user_name = \"{user}\"\n  }}")
}

fn cognito_target(pool: &str, user: &str) -> String {
    format!("  cognito {{\n    user_pool_id = \"{pool}\"\n    username     = \"{user}\"\n  }}")
}

/// Audit events of one action.
fn events(tf: &Tf, action: &str) -> Vec<Value> {
    tf.audit_events()
        .into_iter()
        .filter(|e| e["action"] == action)
        .collect()
}

// ---------------------------------------------------------------------------
// Cognito fixtures: a pool with the flag in its schema, an app client that
// signs in with a password and may not write the flag, one user.

struct Pool {
    id: String,
    client_id: String,
}

fn cognito_pool(aws: &Aws, name: &str, schema: bool, client_writes: &[&str]) -> Pool {
    let c = &aws.clients.cognito;
    let mut create = c.create_user_pool().pool_name(name);
    if schema {
        create = create.schema(
            SchemaAttributeType::builder()
                .name("access_revoked")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .build(),
        );
    }
    let id = aws
        .run(create.send())
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let mut client = c
        .create_user_pool_client()
        .user_pool_id(&id)
        .client_name("web")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth);
    for attribute in client_writes {
        client = client.write_attributes(*attribute);
    }
    let client_id = aws
        .run(client.send())
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    Pool { id, client_id }
}

fn cognito_user(aws: &Aws, pool: &Pool, username: &str) {
    let c = &aws.clients.cognito;
    aws.run(
        c.admin_create_user()
            .user_pool_id(&pool.id)
            .username(username)
            .temporary_password("Tmp-Passw0rd!")
            .message_action(MessageActionType::Suppress)
            .send(),
    )
    .unwrap();
    aws.run(
        c.admin_set_user_password()
            .user_pool_id(&pool.id)
            .username(username)
            .password(PASSWORD)
            .permanent(true)
            .send(),
    )
    .unwrap();
}

/// Password sign-in: the refresh token, or AWS's error code.
fn sign_in(aws: &Aws, pool: &Pool, username: &str) -> Result<String, String> {
    aws.run(
        aws.clients
            .cognito
            .initiate_auth()
            .client_id(&pool.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", PASSWORD)
            .send(),
    )
    .map(|out| out.authentication_result.unwrap().refresh_token.unwrap())
    .map_err(|e| code(aws_error("cognito-idp", "InitiateAuth", e)))
}

/// New tokens from a refresh token, or AWS's error code.
fn refresh(aws: &Aws, pool: &Pool, token: &str) -> Result<(), String> {
    aws.run(
        aws.clients
            .cognito
            .initiate_auth()
            .client_id(&pool.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", token)
            .send(),
    )
    .map(|_| ())
    .map_err(|e| code(aws_error("cognito-idp", "InitiateAuth", e)))
}

fn code(error: terraform_provider_jit::error::Error) -> String {
    error.aws_code().unwrap_or("no code").to_string()
}

/// The block markers a flag value holds (none for the app's own value).
fn markers(flag: Option<&str>) -> Vec<String> {
    flag.and_then(Flag::parse)
        .map(|f| f.blocks.into_iter().map(|b| b.marker).collect())
        .unwrap_or_default()
}

/// (enabled, flag value, sub) of a Cognito user.
fn cognito_user_state(aws: &Aws, pool: &Pool, username: &str) -> (bool, Option<String>, String) {
    let out = aws
        .run(
            aws.clients
                .cognito
                .admin_get_user()
                .user_pool_id(&pool.id)
                .username(username)
                .send(),
        )
        .unwrap();
    let attribute = |name: &str| {
        out.user_attributes()
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value().map(str::to_string))
    };
    (out.enabled(), attribute(FLAG), attribute("sub").unwrap())
}

tftest!(user_block_cognito_lifecycle, |tf, aws| {
    let pool = cognito_pool(aws, &format!("{}-app", tf.prefix), true, &["email"]);
    cognito_user(aws, &pool, "mallory");
    let token = sign_in(aws, &pool, "mallory").expect("signs in before the block");
    refresh(aws, &pool, &token).expect("refresh works before the block");
    let target = cognito_target(&pool.id, "mallory");
    let id = format!("cognito:{}:mallory", pool.id);

    // 1. Basic: required arguments only; every computed attribute, and AWS.
    tf.write_main(&[&tf.provider(""), &block(&target, "")]);
    tf.init();
    tf.apply();
    let state = tf.resource("jit_user_block.b");
    assert_eq!(state["id"], id);
    assert_eq!(state["status"], "BLOCKED");
    assert_eq!(state["cognito"][0]["block_attribute"], FLAG);
    assert_eq!(state["user_was_enabled"], true);
    assert!(state["previous_flag_value"].is_null());
    assert!(state["access_keys_deactivated"].is_null() && state["groups_removed"].is_null());
    assert!(state["blocked_at"].as_str().unwrap().ends_with('Z'));
    let marker = state["marker"].as_str().unwrap().to_string();
    assert!(
        marker.starts_with("jit-user-block-") && marker.len() == 31,
        "{marker}"
    );
    let (enabled, flag, sub) = cognito_user_state(aws, &pool, "mallory");
    assert_eq!(state["user_id"], sub);
    assert!(!enabled);
    assert_eq!(markers(flag.as_deref()), std::slice::from_ref(&marker));
    // The flag carries the record: enabled before, no earlier value.
    let record = Flag::parse(flag.as_deref().unwrap()).unwrap();
    assert_eq!((record.was_enabled, record.previous), (Some(true), None));
    // Refresh tokens stop at once (global sign-out); sign-in fails (disabled).
    assert_eq!(
        refresh(aws, &pool, &token),
        Err("NotAuthorizedException".into())
    );
    assert_eq!(
        sign_in(aws, &pool, "mallory"),
        Err("NotAuthorizedException".into())
    );
    let blocked = events(tf, "user_block.block");
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["target"], id);
    assert_eq!(blocked[0]["actor"], "secops@example.com");
    assert_eq!(blocked[0]["reason"], "Account compromise");
    assert_eq!(blocked[0]["result"], "success");
    assert_eq!(blocked[0]["details"]["user_was_enabled"], "true");
    assert_eq!(blocked[0]["details"]["marker"], marker.as_str());
    // 2. Plan after apply is empty.
    tf.assert_plan_empty();

    // Editing reason and ticket updates in place and never restores.
    let edited = block(&target, "  ticket     = \"SEC-7\"")
        .replace("Account compromise", "Credential stuffing");
    tf.write_main(&[&tf.provider(""), &edited]);
    assert_eq!(
        tf.plan_changes().actions_for("jit_user_block.b"),
        vec!["update"]
    );
    tf.apply();
    let state = tf.resource("jit_user_block.b");
    assert_eq!(state["reason"], "Credential stuffing");
    assert_eq!(state["marker"], marker.as_str());
    assert_eq!(
        markers(cognito_user_state(aws, &pool, "mallory").1.as_deref()),
        std::slice::from_ref(&marker)
    );
    assert!(!cognito_user_state(aws, &pool, "mallory").0);
    assert!(events(tf, "user_block.restore").is_empty());
    assert_eq!(events(tf, "user_block.update")[0]["ticket"], "SEC-7");
    tf.assert_plan_empty();

    // 3. Import into fresh state finds the flag and the marker.
    let imported = tf.sibling("import");
    imported.write_main(&[&tf.provider(""), &edited]);
    imported.init();
    // The record comes from the flag: no warning, and a restore from the
    // imported copy would be exact.
    let out = imported.import("jit_user_block.b", &id);
    assert!(!out.all().contains("no restore record"), "{}", out.all());
    let copy = imported.resource("jit_user_block.b");
    for key in [
        "id",
        "marker",
        "status",
        "user_id",
        "cognito",
        "user_was_enabled",
    ] {
        assert_eq!(copy[key], state[key], "{key}");
    }
    // The imported copy is never destroyed: it would restore the user.
    let _ = std::fs::remove_dir_all(&imported.dir);

    // 4. Drift: a user enabled again outside Terraform is blocked again in
    // place, keeping the record.
    aws.run(
        aws.clients
            .cognito
            .admin_enable_user()
            .user_pool_id(&pool.id)
            .username("mallory")
            .send(),
    )
    .unwrap();
    let changes = tf.plan_changes();
    assert_eq!(changes.actions_for("jit_user_block.b"), vec!["update"]);
    assert!(
        changes.text.contains("Block undone outside Terraform"),
        "{}",
        changes.text
    );
    tf.apply();
    assert!(!cognito_user_state(aws, &pool, "mallory").0);
    assert_eq!(tf.resource("jit_user_block.b")["user_was_enabled"], true);
    tf.assert_plan_empty();

    // Drift: a block fully undone outside Terraform (flag cleared, user
    // enabled) is gone; the next plan creates it and apply blocks again.
    aws.run(
        aws.clients
            .cognito
            .admin_delete_user_attributes()
            .user_pool_id(&pool.id)
            .username("mallory")
            .user_attribute_names(FLAG)
            .send(),
    )
    .unwrap();
    aws.run(
        aws.clients
            .cognito
            .admin_enable_user()
            .user_pool_id(&pool.id)
            .username("mallory")
            .send(),
    )
    .unwrap();
    assert_eq!(
        tf.plan_changes().actions_for("jit_user_block.b"),
        vec!["create"]
    );
    tf.apply();
    let state = tf.resource("jit_user_block.b");
    let new_marker = state["marker"].as_str().unwrap().to_string();
    assert_ne!(new_marker, marker);
    let (enabled, flag, _) = cognito_user_state(aws, &pool, "mallory");
    assert!(!enabled);
    assert_eq!(markers(flag.as_deref()), [new_marker]);
    tf.assert_plan_empty();

    // 5. Destroy restores: flag cleared, user enabled, sign-in works again.
    tf.destroy();
    let (enabled, flag, _) = cognito_user_state(aws, &pool, "mallory");
    assert!(enabled);
    assert_eq!(flag, None);
    sign_in(aws, &pool, "mallory").expect("signs in after the restore");
    let restored = events(tf, "user_block.restore");
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0]["result"], "success");

    // A user deleted after the block: destroy succeeds with a warning.
    tf.apply();
    aws.run(
        aws.clients
            .cognito
            .admin_delete_user()
            .user_pool_id(&pool.id)
            .username("mallory")
            .send(),
    )
    .unwrap();
    let out = tf.destroy();
    assert!(
        out.all().contains("Blocked user no longer exists"),
        "{}",
        out.all()
    );
});

tftest!(
    user_block_cognito_previous_flag_and_moved_attribute,
    |tf, aws| {
        let pool = cognito_pool(aws, &format!("{}-flag", tf.prefix), true, &[]);
        let c = &aws.clients.cognito;
        aws.run(
            c.add_custom_attributes()
                .user_pool_id(&pool.id)
                .custom_attributes(
                    SchemaAttributeType::builder()
                        .name("blocked")
                        .attribute_data_type(AttributeDataType::String)
                        .mutable(true)
                        .build(),
                )
                .send(),
        )
        .unwrap();
        cognito_user(aws, &pool, "eve");
        // The app had flagged and disabled the user itself before the block.
        aws.run(
            c.admin_update_user_attributes()
                .user_pool_id(&pool.id)
                .username("eve")
                .user_attributes(
                    AttributeType::builder()
                        .name(FLAG)
                        .value("fraud-review")
                        .build()
                        .unwrap(),
                )
                .send(),
        )
        .unwrap();
        aws.run(
            c.admin_disable_user()
                .user_pool_id(&pool.id)
                .username("eve")
                .send(),
        )
        .unwrap();
        let target = cognito_target(&pool.id, "eve");
        tf.write_main(&[&tf.provider(""), &block(&target, "")]);
        tf.init();
        tf.apply();
        let state = tf.resource("jit_user_block.b");
        assert_eq!(state["user_was_enabled"], false);
        assert_eq!(state["previous_flag_value"], "fraud-review");

        // Changing block_attribute moves the flag in place: set first, then the
        // old attribute gets its earlier value back.
        let moved = target.replace(
            "    username",
            "    block_attribute = \"custom:blocked\"\n    username",
        );
        tf.write_main(&[&tf.provider(""), &block(&moved, "")]);
        assert_eq!(
            tf.plan_changes().actions_for("jit_user_block.b"),
            vec!["update"]
        );
        tf.apply();
        let out = aws
            .run(
                c.admin_get_user()
                    .user_pool_id(&pool.id)
                    .username("eve")
                    .send(),
            )
            .unwrap();
        let value = |name: &str| {
            out.user_attributes()
                .iter()
                .find(|a| a.name() == name)
                .and_then(|a| a.value().map(str::to_string))
        };
        assert_eq!(
            markers(value("custom:blocked").as_deref()),
            [state["marker"].as_str().unwrap().to_string()]
        );
        assert_eq!(value(FLAG).as_deref(), Some("fraud-review"));
        assert!(tf.resource("jit_user_block.b")["previous_flag_value"].is_null());
        tf.assert_plan_empty();

        // Restore: the user stays disabled (it was before), the flag is cleared.
        tf.destroy();
        let (enabled, flag, _) = cognito_user_state(aws, &pool, "eve");
        assert!(!enabled);
        assert_eq!(flag.as_deref(), Some("fraud-review"));
    }
);

// ---------------------------------------------------------------------------
// IAM fixtures: a user with a console password, two groups and two access
// keys, one of them already inactive.

struct IamUser {
    name: String,
    active_key: String,
    inactive_key: String,
    groups: Vec<String>,
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    keys: Vec<(String, String)>,
    groups: Vec<String>,
    policies: Vec<String>,
    login_profile: bool,
}

fn iam_user(aws: &Aws, prefix: &str) -> IamUser {
    let iam = aws.iam();
    let name = format!("{prefix}-mallory");
    aws.run(iam.create_user().user_name(&name).send()).unwrap();
    aws.run(
        iam.create_login_profile()
            .user_name(&name)
            .password(PASSWORD)
            .send(),
    )
    .unwrap();
    let groups: Vec<String> = ["ops", "dev"]
        .iter()
        .map(|g| format!("{prefix}-{g}"))
        .collect();
    for group in &groups {
        aws.run(iam.create_group().group_name(group).send())
            .unwrap();
        aws.run(
            iam.add_user_to_group()
                .group_name(group)
                .user_name(&name)
                .send(),
        )
        .unwrap();
    }
    let key = || {
        aws.run(iam.create_access_key().user_name(&name).send())
            .unwrap()
            .access_key
            .unwrap()
            .access_key_id
    };
    let (active_key, inactive_key) = (key(), key());
    set_key(aws, &name, &inactive_key, StatusType::Inactive);
    IamUser {
        name,
        active_key,
        inactive_key,
        groups,
    }
}

fn set_key(aws: &Aws, user: &str, key: &str, status: StatusType) {
    aws.run(
        aws.iam()
            .update_access_key()
            .user_name(user)
            .access_key_id(key)
            .status(status)
            .send(),
    )
    .unwrap();
}

fn snapshot(aws: &Aws, user: &str) -> Snapshot {
    let iam = aws.iam();
    let mut keys: Vec<(String, String)> = aws
        .run(iam.list_access_keys().user_name(user).send())
        .unwrap()
        .access_key_metadata
        .into_iter()
        .map(|k| {
            (
                k.access_key_id.unwrap(),
                k.status.unwrap().as_str().to_string(),
            )
        })
        .collect();
    keys.sort();
    let mut groups: Vec<String> = aws
        .run(iam.list_groups_for_user().user_name(user).send())
        .unwrap()
        .groups
        .into_iter()
        .map(|g| g.group_name)
        .collect();
    groups.sort();
    let mut policies = aws
        .run(iam.list_user_policies().user_name(user).send())
        .unwrap()
        .policy_names;
    policies.sort();
    let login_profile = aws
        .run(iam.get_login_profile().user_name(user).send())
        .is_ok();
    Snapshot {
        keys,
        groups,
        policies,
        login_profile,
    }
}

fn assert_blocked(aws: &Aws, user: &IamUser, marker: &str) {
    let now = snapshot(aws, &user.name);
    assert_eq!(now.policies, vec![marker.to_string()]);
    assert!(now.keys.iter().all(|(_, s)| s == "Inactive"), "{now:?}");
    assert!(now.groups.is_empty(), "{now:?}");
    assert!(now.login_profile, "the login profile is kept");
    let document = aws
        .run(
            aws.iam()
                .get_user_policy()
                .user_name(&user.name)
                .policy_name(marker)
                .send(),
        )
        .unwrap()
        .policy_document;
    let normalize = terraform_provider_jit::policy::normalize_policy_json;
    assert_eq!(
        normalize(&document).unwrap(),
        normalize(r#"{"Version":"2012-10-17","Statement":[{"Sid":"JitUserBlock","Effect":"Deny","Action":"*","Resource":"*"}]}"#).unwrap()
    );
}

tftest!(user_block_iam_lifecycle, |tf, aws| {
    let user = iam_user(aws, &tf.prefix);
    let original = snapshot(aws, &user.name);
    let mut groups = user.groups.clone();
    groups.sort();
    assert_eq!(original.groups, groups);
    assert!(original
        .keys
        .contains(&(user.inactive_key.clone(), "Inactive".to_string())));
    let target = iam_target(&user.name);
    let id = format!("iam:{}", user.name);

    // 1. Basic: deny policy, both keys inactive, no groups, profile kept.
    tf.write_main(&[&tf.provider(""), &block(&target, "")]);
    tf.init();
    tf.apply();
    let state = tf.resource("jit_user_block.b");
    assert_eq!(state["id"], id);
    assert_eq!(state["status"], "BLOCKED");
    assert_eq!(
        state["access_keys_deactivated"],
        serde_json::json!([user.active_key])
    );
    let mut removed: Vec<String> = serde_json::from_value(state["groups_removed"].clone()).unwrap();
    removed.sort();
    assert_eq!(removed, groups);
    assert!(state["user_was_enabled"].is_null() && state["previous_flag_value"].is_null());
    let user_id = aws
        .run(aws.iam().get_user().user_name(&user.name).send())
        .unwrap()
        .user
        .unwrap()
        .user_id;
    assert_eq!(state["user_id"], user_id);
    let marker = state["marker"].as_str().unwrap().to_string();
    assert_blocked(aws, &user, &marker);
    let blocked = events(tf, "user_block.block");
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        blocked[0]["details"]["access_keys_deactivated"],
        user.active_key.as_str()
    );
    assert_eq!(blocked[0]["result"], "success");
    // 2. Plan after apply is empty.
    tf.assert_plan_empty();

    // A reason edit is in place: nothing is restored.
    tf.write_main(&[
        &tf.provider(""),
        &block(&target, "").replace("Account compromise", "Left the company"),
    ]);
    assert_eq!(
        tf.plan_changes().actions_for("jit_user_block.b"),
        vec!["update"]
    );
    tf.apply();
    assert_blocked(aws, &user, &marker);
    assert!(events(tf, "user_block.restore").is_empty());
    tf.write_main(&[&tf.provider(""), &block(&target, "")]);
    tf.apply();

    // Blocking an already-blocked user: a forced replacement in the default
    // order hands the block over (no restore in between) and keeps the record.
    tf.ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-replace=jit_user_block.b",
    ]);
    assert!(events(tf, "user_block.restore").is_empty());
    let handover = events(tf, "user_block.handover");
    assert_eq!(handover.len(), 1);
    assert_eq!(handover[0]["details"]["replaced_marker"], marker.as_str());
    let state = tf.resource("jit_user_block.b");
    let marker = state["marker"].as_str().unwrap().to_string();
    assert_ne!(handover[0]["details"]["replaced_marker"], marker.as_str());
    assert_eq!(
        state["access_keys_deactivated"],
        serde_json::json!([user.active_key])
    );
    assert_eq!(state["groups_removed"].as_array().unwrap().len(), 2);
    assert_blocked(aws, &user, &marker);
    tf.assert_plan_empty();

    // 3. Import into fresh state finds the policy.
    let imported = tf.sibling("import");
    imported.write_main(&[&tf.provider(""), &block(&target, "")]);
    imported.init();
    imported.import("jit_user_block.b", &id);
    let copy = imported.resource("jit_user_block.b");
    // The record comes from the user's tags.
    for key in [
        "id",
        "marker",
        "status",
        "user_id",
        "iam",
        "access_keys_deactivated",
        "groups_removed",
    ] {
        assert_eq!(copy[key], state[key], "{key}");
    }
    let _ = std::fs::remove_dir_all(&imported.dir);

    // 4. Drift: a key reactivated, or the policy removed, outside Terraform:
    // the next plan blocks again in place and keeps the record.
    set_key(aws, &user.name, &user.active_key, StatusType::Active);
    assert_eq!(
        tf.plan_changes().actions_for("jit_user_block.b"),
        vec!["update"]
    );
    tf.apply();
    assert_blocked(aws, &user, &marker);
    aws.run(
        aws.iam()
            .delete_user_policy()
            .user_name(&user.name)
            .policy_name(&marker)
            .send(),
    )
    .unwrap();
    assert_eq!(
        tf.plan_changes().actions_for("jit_user_block.b"),
        vec!["update"]
    );
    tf.apply();
    assert_blocked(aws, &user, &marker);
    assert_eq!(
        tf.resource("jit_user_block.b")["access_keys_deactivated"],
        serde_json::json!([user.active_key])
    );
    tf.assert_plan_empty();

    // 5. Destroy puts back exactly the original state.
    tf.destroy();
    assert_eq!(snapshot(aws, &user.name), original);
    assert_eq!(events(tf, "user_block.restore").len(), 1);

    // A block fully undone outside Terraform is gone: the plan creates it.
    tf.apply();
    let marker = tf.resource("jit_user_block.b")["marker"]
        .as_str()
        .unwrap()
        .to_string();
    aws.run(
        aws.iam()
            .delete_user_policy()
            .user_name(&user.name)
            .policy_name(&marker)
            .send(),
    )
    .unwrap();
    set_key(aws, &user.name, &user.active_key, StatusType::Active);
    for group in &user.groups {
        aws.run(
            aws.iam()
                .add_user_to_group()
                .group_name(group)
                .user_name(&user.name)
                .send(),
        )
        .unwrap();
    }
    assert_eq!(snapshot(aws, &user.name), original);
    assert_eq!(
        tf.plan_changes().actions_for("jit_user_block.b"),
        vec!["create"]
    );
    tf.apply();
    let marker = tf.resource("jit_user_block.b")["marker"]
        .as_str()
        .unwrap()
        .to_string();
    assert_blocked(aws, &user, &marker);

    // Restoring an already-restored user succeeds (with a warning).
    aws.run(
        aws.iam()
            .delete_user_policy()
            .user_name(&user.name)
            .policy_name(&marker)
            .send(),
    )
    .unwrap();
    let out = tf.ok(&["destroy", "-auto-approve", "-no-color", "-refresh=false"]);
    assert!(
        out.all().contains("Block marker not in place"),
        "{}",
        out.all()
    );
    assert_eq!(snapshot(aws, &user.name).keys.len(), 2);
    assert!(!tf.has_resource("jit_user_block.b"));
});

tftest!(user_block_create_before_destroy_takes_over, |tf, aws| {
    let user = iam_user(aws, &tf.prefix);
    let original = snapshot(aws, &user.name);
    let lifecycle = "  lifecycle {\n    create_before_destroy = true\n  }";
    tf.write_main(&[&tf.provider(""), &block(&iam_target(&user.name), lifecycle)]);
    tf.init();
    tf.apply();
    let old = tf.resource("jit_user_block.b")["marker"]
        .as_str()
        .unwrap()
        .to_string();
    // The new block is placed before the old one is destroyed, with the
    // same inputs from the same state: at apply that is indistinguishable
    // from a re-run after a killed apply, so the new block takes the old
    // one over (its policy and record), and the old destroy restores
    // nothing. The user is blocked throughout, by one block at the end.
    let out = tf.ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-replace=jit_user_block.b",
    ]);
    let marker = tf.resource("jit_user_block.b")["marker"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(marker, old);
    assert_blocked(aws, &user, &marker);
    assert_eq!(deny_policies(aws, &user.name), vec![marker.clone()]);
    let text = out.all().replace('\n', " ");
    assert!(
        text.contains("Block marker not in place")
            && text.contains(&format!("still blocked by `{marker}`")),
        "{}",
        out.all()
    );
    let restores = events(tf, "user_block.restore");
    assert_eq!(restores.len(), 1);
    assert_eq!(restores[0]["details"]["steps_done"], "", "{}", restores[0]);
    assert!(
        restores[0]["details"]["notes"]
            .as_str()
            .is_some_and(|notes| notes.contains(&marker)),
        "{}",
        restores[0]
    );
    // The record of the first block still counts: destroy is exact.
    tf.destroy();
    assert_eq!(snapshot(aws, &user.name), original);
});

tftest!(user_block_bad_input, |tf, aws| {
    // 6. Bad input fails at plan and names the attribute.
    let both = format!(
        "{}\n{}",
        cognito_target("eu-west-1_AbCdEf123", "mallory"),
        iam_target("mallory")
    );
    tf.write_main(&[&tf.provider(""), &block(&both, "")]);
    tf.init();
    let diag = tf
        .plan_fails()
        .error("Choose one of `cognito`, `iam` and `identity_center`");
    assert!(diag.code.contains("user_name"), "{diag:?}");

    tf.write_main(&[&tf.provider(""), &block("", "")]);
    tf.plan_fails().error("No user to block");

    tf.write_main(&[
        &tf.provider(""),
        &block(&iam_target("mallory"), "").replace("Account compromise", " "),
    ]);
    let diag = tf.plan_fails().error("Empty `reason`");
    assert!(diag.code.contains("reason"), "{diag:?}");

    tf.write_main(&[
        &tf.provider(""),
        &block(&cognito_target("eu-west-1_NoSuchPool1", "mallory"), ""),
    ]);
    let diag = tf.plan_fails().error("User pool not found");
    assert!(diag.code.contains("user_pool_id"), "{diag:?}");

    let bare = cognito_pool(aws, &format!("{}-bare", tf.prefix), false, &[]);
    tf.write_main(&[
        &tf.provider(""),
        &block(&cognito_target(&bare.id, "mallory"), ""),
    ]);
    let diag = tf
        .plan_fails()
        .error("Block attribute not in the pool schema");
    assert!(diag.detail.contains("add-custom-attributes"), "{diag:?}");

    let open = cognito_pool(aws, &format!("{}-open", tf.prefix), true, &[FLAG]);
    tf.write_main(&[
        &tf.provider(""),
        &block(&cognito_target(&open.id, "mallory"), ""),
    ]);
    let diag = tf
        .plan_fails()
        .error("App clients may write the block attribute");
    assert!(diag.detail.contains("`web`"), "{diag:?}");

    tf.write_main(&[
        &tf.provider(""),
        &block(
            &cognito_target("eu-west-1_AbCdEf123", "mallory").replace(
                "    username",
                "    block_attribute = \"email\"\n    username",
            ),
            "",
        ),
    ]);
    let diag = tf.plan_fails().error("Invalid block attribute");
    assert!(diag.code.contains("block_attribute"), "{diag:?}");

    // A user that does not exist is an error at apply, naming the input;
    // nothing is left in state.
    tf.write_main(&[&tf.provider(""), &block(&iam_target("nobody-here"), "")]);
    let diag = tf.apply_fails().error("User not found");
    assert!(diag.code.contains("user_name"), "{diag:?}");
    assert!(!tf.has_resource("jit_user_block.b"));
});

tftest!(user_block_unknown_inputs_and_failing_audit, |tf, aws| {
    // The user name is known only after another resource is applied, and
    // the SNS topic of the audit log does not exist: the block and the
    // restore complete anyway, each with a warning.
    let name = format!("{}-arn", tf.prefix);
    aws.run(aws.iam().create_user().user_name(&name).send())
        .unwrap();
    let provider = tf.provider(
        "  notification_topic_arn = \"arn:aws:sns:eu-west-1:123456789012:missing-topic\"",
    );
    tf.write_main(&[
        &provider,
        &format!(
            "\nresource \"jit_iam_env_group\" \"g\" {{\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  role        = \"developer\"\n}}\n",
            p = tf.prefix
        ),
        &block(
            &iam_target(&format!("{}-${{substr(jit_iam_env_group.g.arn, 0, 3)}}", tf.prefix)),
            "",
        ),
    ]);
    tf.init();
    let plan = tf.plan_changes();
    assert_eq!(plan.actions_for("jit_user_block.b"), vec!["create"]);
    assert_eq!(plan.after("jit_user_block.b")["status"], "BLOCKED");
    let out = tf.apply();
    assert!(
        out.all().contains("Audit event not written"),
        "{}",
        out.all()
    );
    assert_eq!(tf.resource("jit_user_block.b")["id"], format!("iam:{name}"));
    let marker = tf.resource("jit_user_block.b")["marker"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(snapshot(aws, &name).policies, vec![marker]);
    // The file part of the audit log still has the event.
    assert_eq!(events(tf, "user_block.block").len(), 1);
    tf.assert_plan_empty();
    let out = tf.destroy();
    assert!(
        out.all().contains("Audit event not written"),
        "{}",
        out.all()
    );
    assert!(snapshot(aws, &name).policies.is_empty());
});

// ---------------------------------------------------------------------------
// Several blocks of one user: each its own marker, in one workspace or in
// several; the last restore puts back exactly the state before the first.

fn named_block(name: &str, target: &str, reason: &str) -> String {
    format!(
        "\nresource \"jit_user_block\" \"{name}\" {{\n{target}\n  reason     = \"{reason}\"\n  blocked_by = \"secops@example.com\"\n}}\n"
    )
}

fn marker_of(tf: &Tf, address: &str) -> String {
    tf.resource(address)["marker"].as_str().unwrap().to_string()
}

/// Tag keys of block records on an IAM user.
fn record_tags(aws: &Aws, user: &str) -> Vec<String> {
    aws.run(aws.iam().list_user_tags().user_name(user).send())
        .unwrap()
        .tags
        .into_iter()
        .map(|t| t.key)
        .filter(|k| terraform_provider_jit::policy::block::is_record_tag(k))
        .collect()
}

fn deny_policies(aws: &Aws, user: &str) -> Vec<String> {
    let mut names: Vec<String> = snapshot(aws, user)
        .policies
        .into_iter()
        .filter(|p| terraform_provider_jit::policy::block::is_marker(p))
        .collect();
    names.sort();
    names
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

tftest!(user_block_iam_blocks_coexist, |tf, aws| {
    let user = iam_user(aws, &tf.prefix);
    let before = IamUserSnapshot::take(aws, &user.name).unwrap();
    let target = iam_target(&user.name);

    // Two blocks in one workspace, placed in the same apply.
    let both = [
        named_block("a1", &target, "Account compromise"),
        named_block("a2", &target, "Account compromise"),
    ];
    tf.write_main(&[&tf.provider(""), &both[0], &both[1]]);
    tf.init();
    tf.apply();
    let (a1, a2) = (
        marker_of(tf, "jit_user_block.a1"),
        marker_of(tf, "jit_user_block.a2"),
    );
    assert_ne!(a1, a2);
    assert_eq!(
        deny_policies(aws, &user.name),
        sorted(vec![a1.clone(), a2.clone()])
    );
    let now = IamUserSnapshot::take(aws, &user.name).unwrap();
    assert_eq!(now.block_state(&before), BlockState::Blocked, "{now:#?}");
    for address in ["jit_user_block.a1", "jit_user_block.a2"] {
        assert_eq!(tf.resource(address)["status"], "BLOCKED");
    }
    tf.assert_plan_empty();

    // A third block in another workspace finds the user already blocked.
    let other = tf.sibling("other");
    other.write_main(&[
        &tf.provider(""),
        &named_block("b", &target, "Fraud investigation"),
    ]);
    other.init();
    other.apply();
    let b = marker_of(&other, "jit_user_block.b");
    assert_eq!(
        deny_policies(aws, &user.name),
        sorted(vec![a1.clone(), a2.clone(), b.clone()])
    );
    other.assert_plan_empty();
    tf.assert_plan_empty();

    // Destroying one leaves the user fully blocked.
    tf.write_main(&[&tf.provider(""), &both[1]]);
    let out = tf.apply();
    assert!(
        out.all().contains("User stays blocked by other blocks"),
        "{}",
        out.all()
    );
    let now = IamUserSnapshot::take(aws, &user.name).unwrap();
    assert_eq!(now.block_state(&before), BlockState::Blocked, "{now:#?}");
    assert_eq!(
        deny_policies(aws, &user.name),
        sorted(vec![a2.clone(), b.clone()])
    );
    tf.assert_plan_empty();
    other.assert_plan_empty();
    tf.destroy();
    let now = IamUserSnapshot::take(aws, &user.name).unwrap();
    assert_eq!(now.block_state(&before), BlockState::Blocked, "{now:#?}");
    assert_eq!(deny_policies(aws, &user.name), vec![b.clone()]);
    other.assert_plan_empty();

    // The last restore, in the other workspace, puts back exactly what was
    // there before the first block (recorded by the blocks already gone).
    other.destroy();
    assert_eq!(IamUserSnapshot::take(aws, &user.name).unwrap(), before);
    assert!(record_tags(aws, &user.name).is_empty());
    let restore = &events(&other, "user_block.restore")[0];
    let steps = restore["details"]["steps_done"].as_str().unwrap();
    assert!(
        steps.contains(&format!("reactivated access key `{}`", user.active_key)),
        "{steps}"
    );
    for group in &user.groups {
        assert!(
            steps.contains(&format!("re-added to group `{group}`")),
            "{steps}"
        );
    }
    let _ = std::fs::remove_dir_all(&other.dir);
});

tftest!(user_block_cognito_blocks_coexist, |tf, aws| {
    let pool = cognito_pool(aws, &format!("{}-co", tf.prefix), true, &[]);
    cognito_user(aws, &pool, "mallory");
    let before = CognitoUserSnapshot::take(aws, &pool.id, "mallory").unwrap();
    let target = cognito_target(&pool.id, "mallory");
    let both = [
        named_block("a1", &target, "Account compromise"),
        named_block("a2", &target, "Account compromise"),
    ];
    tf.write_main(&[&tf.provider(""), &both[0], &both[1]]);
    tf.init();
    tf.apply();
    let (a1, a2) = (
        marker_of(tf, "jit_user_block.a1"),
        marker_of(tf, "jit_user_block.a2"),
    );
    let flag = || cognito_user_state(aws, &pool, "mallory").1;
    assert_eq!(
        sorted(markers(flag().as_deref())),
        sorted(vec![a1.clone(), a2.clone()])
    );
    let now = CognitoUserSnapshot::take(aws, &pool.id, "mallory").unwrap();
    assert_eq!(
        now.block_state(&before, FLAG),
        BlockState::Blocked,
        "{now:#?}"
    );
    tf.assert_plan_empty();

    let other = tf.sibling("other");
    other.write_main(&[
        &tf.provider(""),
        &named_block("b", &target, "Fraud investigation"),
    ]);
    other.init();
    other.apply();
    let b = marker_of(&other, "jit_user_block.b");
    assert_eq!(markers(flag().as_deref()).len(), 3);
    // The later block found the user disabled, yet the shared record says
    // it was enabled before the first one.
    assert_eq!(other.resource("jit_user_block.b")["user_was_enabled"], true);
    other.assert_plan_empty();

    tf.write_main(&[&tf.provider(""), &both[1]]);
    let out = tf.apply();
    assert!(
        out.all().contains("User stays blocked by other blocks"),
        "{}",
        out.all()
    );
    assert_eq!(
        sorted(markers(flag().as_deref())),
        sorted(vec![a2, b.clone()])
    );
    let now = CognitoUserSnapshot::take(aws, &pool.id, "mallory").unwrap();
    assert_eq!(
        now.block_state(&before, FLAG),
        BlockState::Blocked,
        "{now:#?}"
    );
    tf.assert_plan_empty();
    tf.destroy();
    assert_eq!(markers(flag().as_deref()), vec![b]);
    other.assert_plan_empty();
    other.destroy();
    assert_eq!(
        CognitoUserSnapshot::take(aws, &pool.id, "mallory").unwrap(),
        before
    );
    sign_in(aws, &pool, "mallory").expect("signs in after the last restore");
    let _ = std::fs::remove_dir_all(&other.dir);
});

tftest!(user_block_restore_checks_identity_not_names, |tf, aws| {
    // IAM: a group deleted and created again under its name, and a key
    // deleted, while the user was blocked: neither is put back, each with
    // a warning naming it; everything else is.
    let user = iam_user(aws, &tf.prefix);
    let iam = aws.iam();
    let second = user.inactive_key.clone();
    set_key(aws, &user.name, &second, StatusType::Active);
    let pool = cognito_pool(aws, &format!("{}-id", tf.prefix), true, &[]);
    for name in ["eve", "carol"] {
        cognito_user(aws, &pool, name);
    }
    tf.write_main(&[
        &tf.provider(""),
        &named_block("i", &iam_target(&user.name), "Account compromise"),
        &named_block("e", &cognito_target(&pool.id, "eve"), "Account compromise"),
        &named_block(
            "c",
            &cognito_target(&pool.id, "carol"),
            "Account compromise",
        ),
    ]);
    tf.init();
    tf.apply();
    let (ops, dev) = (&user.groups[0], &user.groups[1]);
    aws.run(iam.delete_group().group_name(ops).send()).unwrap();
    aws.run(iam.create_group().group_name(ops).send()).unwrap();
    aws.run(
        iam.delete_access_key()
            .user_name(&user.name)
            .access_key_id(&second)
            .send(),
    )
    .unwrap();
    // Cognito: eve's email changed by someone else; carol deleted and
    // created again under the same name (another `sub`).
    let c = &aws.clients.cognito;
    aws.run(
        c.admin_update_user_attributes()
            .user_pool_id(&pool.id)
            .username("eve")
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value("eve@attacker.example")
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .unwrap();
    aws.run(
        c.admin_delete_user()
            .user_pool_id(&pool.id)
            .username("carol")
            .send(),
    )
    .unwrap();
    cognito_user(aws, &pool, "carol");
    aws.run(
        c.admin_disable_user()
            .user_pool_id(&pool.id)
            .username("carol")
            .send(),
    )
    .unwrap();

    let out = tf.run(&[
        "destroy",
        "-auto-approve",
        "-no-color",
        "-json",
        "-refresh=false",
    ]);
    assert!(out.success(), "{}", out.all());
    let recreated = out.warning("Group recreated since the block");
    assert!(
        recreated.detail.contains(&format!("`{ops}`")),
        "{recreated:?}"
    );
    let deleted = out.warning("Access key deleted since the block");
    assert!(deleted.detail.contains(&second), "{deleted:?}");
    let modified = out.warning("User modified since the block");
    assert!(modified.detail.contains("`eve`"), "{modified:?}");
    let other_user = out.warning("User recreated since the block");
    assert!(other_user.detail.contains("`carol`"), "{other_user:?}");
    let now = snapshot(aws, &user.name);
    assert_eq!(
        now.groups,
        vec![dev.clone()],
        "not re-added to the new `{ops}`"
    );
    assert!(now.policies.is_empty());
    assert!(now
        .keys
        .contains(&(user.active_key.clone(), "Active".to_string())));
    assert!(record_tags(aws, &user.name).is_empty());
    // eve is restored (reported, not refused); the new carol is left alone.
    assert!(cognito_user_state(aws, &pool, "eve").0);
    let (enabled, flag, _) = cognito_user_state(aws, &pool, "carol");
    assert!(!enabled && flag.is_none());
});
