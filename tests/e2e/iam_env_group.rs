//! `jit_iam_env_group` and `data.jit_role_policy` end to end.

use super::*;

fn group(tf: &Tf, environment: &str, role: &str, extra: &str) -> String {
    format!(
        "\nresource \"jit_iam_env_group\" \"g\" {{\n  name_prefix = \"{}\"\n  environment = \"{environment}\"\n  role        = \"{role}\"\n{extra}\n}}\n",
        tf.prefix
    )
}

fn group_policy(aws: &Aws, name: &str) -> Option<String> {
    aws.run(
        aws.iam()
            .get_group_policy()
            .group_name(name)
            .policy_name("jit-env-access")
            .send(),
    )
    .map_err(|e| eprintln!("GetGroupPolicy: {:?}", e))
    .ok()
    .map(|output| output.policy_document)
}

tftest!(iam_env_group_lifecycle, |tf, aws| {
    let name = format!("{}-prod-infra-member", tf.prefix);
    // 1. Basic: required arguments only; computed attributes and AWS agree.
    tf.write_main(&[&tf.provider(""), &group(tf, "prod", "infra-member", "")]);
    tf.init();
    tf.apply();
    let state = tf.resource("jit_iam_env_group.g");
    assert_eq!(state["name"], name);
    assert_eq!(state["id"], name);
    assert_eq!(state["require_mfa"], true);
    let arn = state["arn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:iam::") && arn.ends_with(&format!(":group/{name}")),
        "{arn}"
    );
    let policy_json = state["policy_json"].as_str().unwrap();
    assert!(policy_json.contains("DenyWithoutMfa"));
    let in_aws = group_policy(aws, &name).expect("policy in IAM");
    assert_eq!(
        terraform_provider_jit::policy::normalize_policy_json(&in_aws).unwrap(),
        terraform_provider_jit::policy::normalize_policy_json(policy_json).unwrap()
    );
    // 2. Plan after apply is empty.
    tf.assert_plan_empty();

    // In-place update of the IP ranges.
    tf.write_main(&[
        &tf.provider(""),
        &group(
            tf,
            "prod",
            "infra-member",
            "  allowed_ip_ranges = [\"203.0.113.0/24\"]",
        ),
    ]);
    let changes = tf.plan_changes();
    assert_eq!(changes.actions_for("jit_iam_env_group.g"), vec!["update"]);
    tf.apply();
    assert!(group_policy(aws, &name).unwrap().contains("203.0.113.0"));
    tf.assert_plan_empty();

    // 3. Import into fresh state matches the applied state.
    let imported = tf.sibling("import");
    imported.write_main(&[
        &tf.provider(""),
        &group(
            tf,
            "prod",
            "infra-member",
            "  allowed_ip_ranges = [\"203.0.113.0/24\"]",
        ),
    ]);
    imported.init();
    imported.import("jit_iam_env_group.g", &name);
    assert_eq!(
        imported.resource("jit_iam_env_group.g"),
        tf.resource("jit_iam_env_group.g")
    );
    imported.assert_plan_empty();

    // 4. Drift: a policy edited outside Terraform shows a diff and is put back.
    aws.run(
        aws.iam()
            .put_group_policy()
            .group_name(&name)
            .policy_name("jit-env-access")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            .send(),
    )
    .unwrap();
    assert_eq!(
        tf.plan_changes().actions_for("jit_iam_env_group.g"),
        vec!["update"]
    );
    tf.apply();
    assert!(group_policy(aws, &name).unwrap().contains("DenyWithoutMfa"));
    tf.assert_plan_empty();

    // A name change replaces the group.
    tf.write_main(&[
        &tf.provider(""),
        &group(tf, "prod", "security-engineer", ""),
    ]);
    assert_eq!(
        tf.plan_changes().actions_for("jit_iam_env_group.g"),
        vec!["delete", "create"]
    );

    // 5. Destroy, then the group is gone; a group deleted outside Terraform
    // is planned for creation again.
    tf.write_main(&[&tf.provider(""), &group(tf, "prod", "infra-member", "")]);
    tf.apply();
    aws.run(
        aws.iam()
            .delete_group_policy()
            .group_name(&name)
            .policy_name("jit-env-access")
            .send(),
    )
    .unwrap();
    aws.run(aws.iam().delete_group().group_name(&name).send())
        .unwrap();
    assert_eq!(
        tf.plan_changes().actions_for("jit_iam_env_group.g"),
        vec!["create"]
    );
    tf.apply();
    tf.destroy();
    assert!(aws
        .run(aws.iam().get_group().group_name(&name).send())
        .is_err());
});

tftest!(iam_env_group_bad_input, |tf, _aws| {
    // 6. Bad input fails at plan and names the attribute.
    tf.write_main(&[
        &tf.provider(""),
        &group(tf, "prod", "infra-member", "  require_mfa = false"),
    ]);
    tf.init();
    let out = tf.plan_fails();
    assert!(out
        .error("MFA is mandatory in prod")
        .code
        .contains("require_mfa"));

    tf.write_main(&[
        &tf.provider(""),
        &group(
            tf,
            "dev",
            "developer",
            "  allowed_ip_ranges = [\"10.0.0.0/8\", \"10.1.2.3/16\"]",
        ),
    ]);
    let out = tf.plan_fails();
    let diag = out.error("Invalid IP range");
    assert!(diag.code.contains("allowed_ip_ranges"), "{diag:?}");
    assert!(diag.detail.contains("10.1.2.3/16"), "{diag:?}");

    tf.write_main(&[&tf.provider(""), &group(tf, "prod", "developer", "")]);
    let out = tf.plan_fails();
    let diag = out.error("Developers get no standing prod access");
    assert!(diag.code.contains("role"));
    assert!(diag.detail.contains("jit_grant"));

    tf.write_main(&[&tf.provider(""), &group(tf, "qa", "developer", "")]);
    assert!(tf
        .plan_fails()
        .error("Unknown environment")
        .code
        .contains("environment"));
});

tftest!(iam_env_group_unknown_inputs_plan, |tf, _aws| {
    // A value known only after another resource is applied still plans.
    tf.write_main(&[
        &tf.provider(""),
        &format!(
            "\nresource \"jit_iam_env_group\" \"first\" {{\n  name_prefix = \"{p}\"\n  environment = \"dev\"\n  role        = \"developer\"\n}}\n\nresource \"jit_iam_env_group\" \"second\" {{\n  name_prefix = \"{p}-${{substr(jit_iam_env_group.first.arn, 0, 3)}}\"\n  environment = \"dev\"\n  role        = \"developer\"\n}}\n",
            p = tf.prefix
        ),
    ]);
    tf.init();
    let plan = tf.plan_changes();
    assert_eq!(plan.actions().len(), 2);
    tf.apply();
    assert_eq!(
        tf.resource("jit_iam_env_group.second")["name"],
        format!("{}-arn-dev-developer", tf.prefix)
    );
    tf.assert_plan_empty();
    tf.destroy();
});

tftest!(role_policy_data_source, |tf, _aws| {
    tf.write_main(&[
        &tf.provider(""),
        "\ndata \"jit_role_policy\" \"p\" {\n  environment       = \"staging\"\n  role              = \"security-engineer\"\n  allowed_ip_ranges = [\"2001:db8::/32\"]\n}\n\noutput \"json\" {\n  value = data.jit_role_policy.p.json\n}\n\noutput \"size\" {\n  value = data.jit_role_policy.p.size\n}\n",
    ]);
    tf.init();
    tf.apply();
    let json: serde_json::Value =
        serde_json::from_str(tf.output("json").as_str().unwrap()).unwrap();
    assert_eq!(json["Version"], "2012-10-17");
    let text = json.to_string();
    assert!(
        text.contains("DenyWithoutMfa") && text.contains("2001:db8::/32"),
        "{text}"
    );
    let size = tf.output("size").as_i64().unwrap();
    assert!(size > 0 && size <= 5120);
    tf.assert_plan_empty();

    tf.write_main(&[
        &tf.provider(""),
        "\ndata \"jit_role_policy\" \"p\" {\n  environment = \"prod\"\n  role        = \"developer\"\n}\n",
    ]);
    assert!(tf
        .plan_fails()
        .error("Developers get no standing prod access")
        .code
        .contains("role"));
});

tftest!(provider_assume_role_is_used_for_every_call, |tf, aws| {
    // The provider assumes the role (STS at the same endpoint), then calls
    // IAM with the role's credentials: the group lands in the account.
    let name = format!("{}-dev-developer", tf.prefix);
    tf.write_main(&[
        &tf.provider("  assume_role {\n    role_arn     = \"arn:aws:iam::123456789012:role/platform-apply\"\n    session_name = \"ci-apply\"\n  }"),
        &group(tf, "dev", "developer", ""),
    ]);
    tf.init();
    tf.apply();
    assert!(aws
        .run(aws.iam().get_group().group_name(&name).send())
        .is_ok());
    tf.assert_plan_empty();
    tf.destroy();

    // A malformed role ARN is a plan error on the attribute inside the block.
    tf.write_main(&[
        &tf.provider("  assume_role {\n    role_arn = \"platform-apply\"\n  }"),
        &group(tf, "dev", "developer", ""),
    ]);
    let out = tf.plan_fails();
    assert!(out
        .error("Malformed ARN in `assume_role.role_arn`")
        .code
        .contains("role_arn"));
});
