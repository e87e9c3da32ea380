//! `jit_iam_env_user` and `data.jit_access_review` end to end.

use super::*;

use base64::Engine;
use pgp::composed::{
    EncryptionCaps, KeyType, Message, SecretKeyParamsBuilder, SignedSecretKey, SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::ser::Serialize;
use pgp::types::KeyDetails;

/// A key pair made for this test: the base64 public key for `pgp_key`, and
/// the secret key that decrypts the password.
pub(crate) fn key_pair() -> (SignedSecretKey, String) {
    let mut params = SecretKeyParamsBuilder::default();
    params
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id("E2E <e2e@example.com>".into())
        .subkeys(vec![SubkeyParamsBuilder::default()
            .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
            .can_encrypt(EncryptionCaps::All)
            .build()
            .unwrap()]);
    let secret = params.build().unwrap().generate(rand::rngs::OsRng).unwrap();
    let public = base64::engine::general_purpose::STANDARD
        .encode(secret.to_public_key().to_bytes().unwrap());
    (secret, public)
}

pub(crate) fn decrypt(secret: &SignedSecretKey, encrypted: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encrypted)
        .expect("encrypted_password is base64");
    let mut message = Message::from_bytes(bytes.as_slice())
        .expect("an OpenPGP message")
        .decrypt(&"".into(), secret)
        .expect("decrypts with the test key");
    String::from_utf8(message.as_data_vec().unwrap()).unwrap()
}

/// The two dev role groups the users join.
fn groups(tf: &Tf) -> String {
    format!(
        "\nresource \"jit_iam_env_group\" \"member\" {{\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  role        = \"infra-member\"\n}}\n\nresource \"jit_iam_env_group\" \"manager\" {{\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  role        = \"infra-manager\"\n}}\n",
        p = tf.prefix
    )
}

/// A user in dev; `extra` lines go inside the block.
fn user(tf: &Tf, name: &str, roles: &str, extra: &str) -> String {
    format!(
        "\nresource \"jit_iam_env_user\" \"u\" {{\n  name        = \"{name}\"\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  roles       = [{roles}]\n{extra}\n  depends_on = [jit_iam_env_group.member, jit_iam_env_group.manager]\n}}\n",
        p = tf.prefix
    )
}

fn console(key: &str) -> String {
    format!("  console_access = true\n  pgp_key        = \"{key}\"\n  tags           = {{ team = \"platform\" }}")
}

fn groups_of(aws: &Aws, name: &str) -> Vec<String> {
    let mut groups: Vec<String> = aws
        .run(aws.iam().list_groups_for_user().user_name(name).send())
        .unwrap()
        .groups
        .into_iter()
        .map(|g| g.group_name)
        .collect();
    groups.sort();
    groups
}

fn has_login_profile(aws: &Aws, name: &str) -> bool {
    aws.run(aws.iam().get_login_profile().user_name(name).send())
        .is_ok()
}

tftest!(iam_env_user_lifecycle, |tf, aws| {
    let (secret, public) = key_pair();
    let name = format!("{}-alice", tf.prefix);
    let member = format!("{}-dev-infra-member", tf.prefix);
    let manager = format!("{}-dev-infra-manager", tf.prefix);

    // 1. Create with console access, logging at trace level.
    tf.write_main(&[
        &tf.provider(""),
        &groups(tf),
        &user(tf, &name, "\"infra-member\"", &console(&public)),
    ]);
    tf.init();
    let applied = tf.run_env(
        &["apply", "-auto-approve", "-no-color"],
        &[("TF_LOG", "trace")],
    );
    assert!(applied.success(), "{}", applied.all());
    let state = tf.resource("jit_iam_env_user.u");
    assert_eq!(state["id"], name.as_str());
    assert_eq!(
        state["arn"],
        format!("arn:aws:iam::123456789012:user/{name}").as_str()
    );
    assert_eq!(state["groups"], serde_json::json!([member]));
    assert_eq!(
        state["console_login_url"],
        "https://123456789012.signin.aws.amazon.com/console"
    );
    assert_eq!(state["force_destroy"], false);
    assert_eq!(state["tags"]["team"], "platform");
    assert_eq!(state["tags_all"]["jit:environment"], "dev");
    assert_eq!(state["tags_all"]["jit:name-prefix"], tf.prefix.as_str());
    assert_eq!(
        state["key_fingerprint"],
        format!("{:x}", secret.fingerprint()).as_str()
    );
    let password = decrypt(&secret, state["encrypted_password"].as_str().unwrap());
    assert!(password.len() >= 24, "generated password too short");
    // The password exists only encrypted: not in state, not in any log line.
    assert!(!tf.state_file().contains(&password), "password in state");
    assert!(
        applied.stderr.contains("creating console login profile"),
        "provider trace logging was not on"
    );
    assert!(!applied.all().contains(&password), "password in the logs");
    assert_eq!(groups_of(aws, &name), vec![member.clone()]);
    assert!(has_login_profile(aws, &name));
    let events = tf.audit_events();
    let created = events
        .iter()
        .find(|e| e["action"] == "iam_env_user.create")
        .expect("audit event of the create");
    assert_eq!(created["result"], "success");
    assert_eq!(created["target"], name.as_str());
    assert!(!events.iter().any(|e| e.to_string().contains(&password)));
    // 2. Plan after apply is empty.
    tf.assert_plan_empty();

    // A role change is an in-place membership change; the password stays.
    tf.write_main(&[
        &tf.provider(""),
        &groups(tf),
        &user(tf, &name, "\"infra-manager\"", &console(&public)),
    ]);
    let changes = tf.plan_changes();
    assert_eq!(
        changes.actions(),
        vec![("jit_iam_env_user.u".to_string(), vec!["update".to_string()])]
    );
    tf.apply();
    assert_eq!(groups_of(aws, &name), vec![manager.clone()]);
    assert_eq!(
        tf.resource("jit_iam_env_user.u")["encrypted_password"],
        state["encrypted_password"]
    );
    tf.assert_plan_empty();

    // 3. Import by user name into fresh state.
    let imported = tf.sibling("import");
    imported.write_main(&[
        &tf.provider(""),
        &format!(
            "\nresource \"jit_iam_env_user\" \"u\" {{\n  name        = \"{name}\"\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  roles       = [\"infra-manager\"]\n{c}\n}}\n",
            p = tf.prefix,
            c = console(&public)
        ),
    ]);
    imported.init();
    imported.import("jit_iam_env_user.u", &name);
    let mut from_import = imported.resource("jit_iam_env_user.u");
    let mut applied_state = tf.resource("jit_iam_env_user.u");
    // Input-only, or unknowable after import: the password was never read back.
    for ignored in ["pgp_key", "encrypted_password", "key_fingerprint"] {
        from_import[ignored] = serde_json::Value::Null;
        applied_state[ignored] = serde_json::Value::Null;
    }
    assert_eq!(from_import, applied_state);
    // The key is adopted in place without a new password, then nothing is left.
    assert_eq!(
        imported.plan_changes().actions_for("jit_iam_env_user.u"),
        vec!["update"]
    );
    imported.apply();
    assert!(has_login_profile(aws, &name));
    imported.assert_plan_empty();

    // 4. Drift: role memberships changed outside show in the plan; a
    // membership in an unrelated group is never touched.
    aws.run(aws.iam().create_group().group_name("readers").send())
        .unwrap();
    for group in ["readers", member.as_str()] {
        aws.run(
            aws.iam()
                .add_user_to_group()
                .group_name(group)
                .user_name(&name)
                .send(),
        )
        .unwrap();
    }
    aws.run(
        aws.iam()
            .remove_user_from_group()
            .group_name(&manager)
            .user_name(&name)
            .send(),
    )
    .unwrap();
    assert_eq!(
        tf.plan_changes().actions_for("jit_iam_env_user.u"),
        vec!["update"]
    );
    tf.apply();
    let mut expected = vec![manager.clone(), "readers".to_string()];
    expected.sort();
    assert_eq!(groups_of(aws, &name), expected);
    tf.assert_plan_empty();

    // A console password deleted outside is planned back, with a new password.
    aws.run(aws.iam().delete_login_profile().user_name(&name).send())
        .unwrap();
    assert_eq!(
        tf.plan_changes().actions_for("jit_iam_env_user.u"),
        vec!["update"]
    );
    tf.apply();
    assert!(has_login_profile(aws, &name));
    let renewed = tf.resource("jit_iam_env_user.u");
    assert_ne!(renewed["encrypted_password"], state["encrypted_password"]);
    let second = decrypt(&secret, renewed["encrypted_password"].as_str().unwrap());
    assert_ne!(second, password);
    assert!(!tf.state_file().contains(&second));
    tf.assert_plan_empty();

    // Console access off deletes the password.
    tf.write_main(&[
        &tf.provider(""),
        &groups(tf),
        &user(tf, &name, "\"infra-manager\"", "  console_access = false"),
    ]);
    tf.apply();
    assert!(!has_login_profile(aws, &name));
    let off = tf.resource("jit_iam_env_user.u");
    assert!(off["encrypted_password"].is_null());
    assert!(off["console_login_url"].is_null());
    tf.assert_plan_empty();

    // A rename replaces the user.
    tf.write_main(&[
        &tf.provider(""),
        &groups(tf),
        &user(tf, &format!("{name}2"), "\"infra-manager\"", ""),
    ]);
    let actions = tf.plan_changes().actions_for("jit_iam_env_user.u");
    assert!(
        actions.contains(&"delete".to_string()) && actions.contains(&"create".to_string()),
        "{actions:?}"
    );
});

tftest!(iam_env_user_destroy, |tf, aws| {
    let name = format!("{}-bob", tf.prefix);
    tf.write_main(&[
        &tf.provider(""),
        &groups(tf),
        &user(tf, &name, "\"infra-member\", \"infra-manager\"", ""),
    ]);
    tf.init();
    tf.apply();
    let iam = aws.iam();
    // Credentials the user made for itself (its policy allows it) and an MFA device.
    let key = aws
        .run(iam.create_access_key().user_name(&name).send())
        .unwrap()
        .access_key
        .unwrap()
        .access_key_id;
    let device = aws
        .run(
            iam.create_virtual_mfa_device()
                .virtual_mfa_device_name(&name)
                .send(),
        )
        .unwrap()
        .virtual_mfa_device
        .unwrap()
        .serial_number;
    aws.run(
        iam.enable_mfa_device()
            .user_name(&name)
            .serial_number(&device)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send(),
    )
    .unwrap();

    // Without force_destroy an access key stops the destroy before any change.
    let out = tf.run(&["destroy", "-auto-approve", "-no-color", "-json"]);
    assert!(!out.success(), "{}", out.all());
    let diag = out.error("still has credentials or policies");
    assert!(diag.detail.contains(&key), "{diag:?}");
    assert!(diag.detail.contains("force_destroy"), "{diag:?}");
    assert_eq!(groups_of(aws, &name).len(), 2, "nothing may change");

    // With force_destroy: keys, MFA device and memberships go, then the user.
    tf.write_main(&[
        &tf.provider(""),
        &groups(tf),
        &user(
            tf,
            &name,
            "\"infra-member\", \"infra-manager\"",
            "  force_destroy = true",
        ),
    ]);
    tf.apply();
    tf.destroy();
    assert!(aws.run(iam.get_user().user_name(&name).send()).is_err());
    let devices = aws
        .run(iam.list_virtual_mfa_devices().send())
        .unwrap()
        .virtual_mfa_devices;
    assert!(
        devices.iter().all(|d| d.serial_number != device),
        "virtual MFA device left behind"
    );

    // 5. A user deleted outside Terraform is planned again, and destroying
    // it without a refresh (so the provider really calls delete) succeeds.
    tf.apply();
    for group in groups_of(aws, &name) {
        aws.run(
            iam.remove_user_from_group()
                .group_name(group)
                .user_name(&name)
                .send(),
        )
        .unwrap();
    }
    aws.run(iam.delete_user().user_name(&name).send()).unwrap();
    assert_eq!(
        tf.plan_changes().actions_for("jit_iam_env_user.u"),
        vec!["create"]
    );
    tf.ok(&["destroy", "-auto-approve", "-no-color", "-refresh=false"]);
});

tftest!(iam_env_user_bad_input, |tf, _aws| {
    // 6. Bad input fails at plan and names the attribute.
    let prod_developer = format!(
        "\nresource \"jit_iam_env_user\" \"u\" {{\n  name        = \"carol\"\n  name_prefix = \"{}\"\n  environment = \"prod\"\n  roles       = [\"developer\"]\n}}\n",
        tf.prefix
    );
    tf.write_main(&[&tf.provider(""), &prod_developer]);
    tf.init();
    let out = tf.plan_fails();
    let diag = out.error("Developers get no standing prod access");
    assert!(diag.code.contains("roles"), "{diag:?}");
    assert!(diag.detail.contains("jit_grant"), "{diag:?}");

    let no_key = format!(
        "\nresource \"jit_iam_env_user\" \"u\" {{\n  name           = \"carol\"\n  name_prefix    = \"{}\"\n  environment    = \"dev\"\n  roles          = [\"developer\"]\n  console_access = true\n}}\n",
        tf.prefix
    );
    tf.write_main(&[&tf.provider(""), &no_key]);
    let diag = tf.plan_fails().error("Console access needs a PGP key");
    assert!(diag.code.contains("console_access"), "{diag:?}");

    let bad_key = no_key.replace(
        "  console_access = true\n",
        "  console_access = true\n  pgp_key        = \"aGVsbG8=\"\n",
    );
    tf.write_main(&[&tf.provider(""), &bad_key]);
    let diag = tf.plan_fails().error("Unusable PGP key");
    assert!(diag.code.contains("pgp_key"), "{diag:?}");

    // A missing role group is an apply error naming the resource to add,
    // and nothing is created.
    let missing_group = format!(
        "\nresource \"jit_iam_env_user\" \"u\" {{\n  name        = \"carol\"\n  name_prefix = \"{}\"\n  environment = \"staging\"\n  roles       = [\"security-engineer\"]\n}}\n",
        tf.prefix
    );
    tf.write_main(&[&tf.provider(""), &missing_group]);
    let out = tf.apply_fails();
    let diag = out.error("does not exist");
    assert!(
        diag.summary
            .contains(&format!("{}-staging-security-engineer", tf.prefix)),
        "{diag:?}"
    );
    assert!(diag.detail.contains("jit_iam_env_group"), "{diag:?}");
    assert!(!tf.has_resource("jit_iam_env_user.u"));
});

tftest!(iam_env_user_unknown_inputs_plan, |tf, _aws| {
    // Roles and the key known only after another resource is applied still plan.
    let (_secret, public) = key_pair();
    tf.write_main(&[
        &tf.provider(""),
        &groups(tf),
        &format!(
            "\nresource \"jit_iam_env_user\" \"u\" {{\n  name           = \"dave\"\n  name_prefix    = \"{p}\"\n  environment    = \"dev\"\n  roles          = [jit_iam_env_group.member.arn != \"\" ? \"infra-member\" : \"developer\"]\n  console_access = jit_iam_env_group.member.arn != \"\"\n  pgp_key        = jit_iam_env_group.member.arn != \"\" ? \"{public}\" : \"\"\n}}\n",
            p = tf.prefix
        ),
    ]);
    tf.init();
    assert_eq!(tf.plan_changes().actions().len(), 3);
    tf.apply();
    let state = tf.resource("jit_iam_env_user.u");
    assert_eq!(
        state["groups"],
        serde_json::json!([format!("{}-dev-infra-member", tf.prefix)])
    );
    assert!(state["encrypted_password"].is_string());
    tf.assert_plan_empty();
    tf.destroy();
});

tftest!(access_review_data_source, |tf, aws| {
    let (_secret, public) = key_pair();
    let p = tf.prefix.clone();
    let review = format!(
        "\ndata \"jit_access_review\" \"r\" {{\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  depends_on  = [jit_iam_env_user.alice, jit_iam_env_user.bob]\n}}\n\noutput \"users\" {{\n  value = data.jit_access_review.r.users\n}}\n\noutput \"findings\" {{\n  value = data.jit_access_review.r.findings\n}}\n\noutput \"rotation\" {{\n  value = data.jit_access_review.r.key_rotation_days\n}}\n"
    );
    let users = format!(
        "\nresource \"jit_iam_env_user\" \"alice\" {{\n  name           = \"{p}-alice\"\n  name_prefix    = \"{p}\"\n  environment    = \"dev\"\n  roles          = [\"infra-manager\"]\n  console_access = true\n  pgp_key        = \"{public}\"\n  force_destroy  = true\n  depends_on     = [jit_iam_env_group.manager]\n}}\n\nresource \"jit_iam_env_user\" \"bob\" {{\n  name        = \"{p}-bob\"\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  roles       = []\n}}\n"
    );
    tf.write_main(&[&tf.provider(""), &groups(tf), &users]);
    tf.init();
    tf.apply();
    let iam = aws.iam();
    // alice: MFA and an access key; an untagged user put in a role group by hand.
    let device = aws
        .run(
            iam.create_virtual_mfa_device()
                .virtual_mfa_device_name(format!("{p}-alice"))
                .send(),
        )
        .unwrap()
        .virtual_mfa_device
        .unwrap()
        .serial_number;
    aws.run(
        iam.enable_mfa_device()
            .user_name(format!("{p}-alice"))
            .serial_number(&device)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send(),
    )
    .unwrap();
    let key = aws
        .run(
            iam.create_access_key()
                .user_name(format!("{p}-alice"))
                .send(),
        )
        .unwrap()
        .access_key
        .unwrap()
        .access_key_id;
    aws.run(iam.create_user().user_name(format!("{p}-manual")).send())
        .unwrap();
    aws.run(
        iam.add_user_to_group()
            .group_name(format!("{p}-dev-infra-member"))
            .user_name(format!("{p}-manual"))
            .send(),
    )
    .unwrap();
    // An unrelated user stays out of the review.
    aws.run(iam.create_user().user_name("someone-else").send())
        .unwrap();

    tf.write_main(&[&tf.provider(""), &groups(tf), &users, &review]);
    tf.apply();
    assert_eq!(tf.output("rotation"), 90);
    let reviewed = tf.output("users");
    let names: Vec<&str> = reviewed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            format!("{p}-alice").as_str(),
            format!("{p}-bob").as_str(),
            format!("{p}-manual").as_str()
        ]
    );
    let alice = &reviewed[0];
    assert_eq!(alice["mfa_enabled"], true);
    assert_eq!(alice["console_access"], true);
    assert_eq!(alice["roles"], serde_json::json!(["infra-manager"]));
    assert_eq!(alice["access_keys"][0]["id"], key.as_str());
    assert_eq!(alice["access_keys"][0]["status"], "Active");
    assert_eq!(alice["access_keys"][0]["age_days"], 0);
    assert!(alice["access_keys"][0]["last_used"].is_null());
    assert_eq!(alice["findings"], serde_json::json!([]));
    let bob = &reviewed[1];
    assert_eq!(bob["mfa_enabled"], false);
    assert_eq!(bob["console_access"], false);
    let bob_findings: Vec<&str> = bob["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(bob_findings[0].starts_with("NO_MFA"), "{bob_findings:?}");
    assert!(
        bob_findings[1].starts_with("NO_ROLE_GROUP"),
        "{bob_findings:?}"
    );
    assert_eq!(reviewed[2]["roles"], serde_json::json!(["infra-member"]));
    let findings = tf.output("findings");
    assert_eq!(findings.as_array().unwrap().len(), 3, "{findings}");
    tf.assert_plan_empty();

    // 6. Bad input names the attribute.
    tf.write_main(&[
        &tf.provider(""),
        "\ndata \"jit_access_review\" \"r\" {\n  name_prefix = \"hera\"\n  environment = \"production\"\n}\n",
    ]);
    let diag = tf.plan_fails().error("Unknown environment");
    assert!(diag.code.contains("environment"), "{diag:?}");
});
