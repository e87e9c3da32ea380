//! Four eyes a pull request cannot get around (issue 13), end to end: each
//! attack of the threat model is its own case, run on both Terraform
//! versions against moto. The apply job's environment is set per command,
//! as the example workflow sets it.

use super::*;

/// A provider block with the alias `loose`; with `permissive`, its inline
/// policy makes every permission set low risk for a day.
fn alias_provider(tf: &Tf, permissive: bool) -> String {
    let policy = if permissive {
        "\n  grant_policy {\n    max_duration = \"24h\"\n    default_risk = \"low\"\n    permission_set {\n      name = \"JIT-EmergencyAdmin\"\n      risk = \"low\"\n    }\n  }\n"
    } else {
        ""
    };
    format!(
        "\nprovider \"jit\" {{\n  alias            = \"loose\"\n  region           = \"eu-west-1\"\n  endpoint_url     = \"{}\"\n  revoker_role_arn = \"{REVOKER}\"\n  require_verified_approvals = false\n{policy}}}\n",
        tf.endpoint
    )
}

/// An override file that merges a permissive policy (and verification
/// off) into the default provider block.
const LOOSE_OVERRIDE: &str = "\nprovider \"jit\" {\n  require_verified_approvals = false\n\n  grant_policy {\n    max_duration = \"24h\"\n    default_risk = \"low\"\n    permission_set {\n      name = \"JIT-EmergencyAdmin\"\n      risk = \"low\"\n    }\n  }\n}\n";

/// A high-risk grant to alice written to get around the policy: a day,
/// nobody approving.
fn sneaky(provider: &str) -> String {
    grant(
        "sneaky",
        "alice",
        "JIT-EmergencyAdmin",
        "24h",
        &format!("  provider   = {provider}\n  change_ref = \"acme/access#42\""),
    )
}

/// Creates an Identity Center user whose user name and email differ;
/// returns its id.
fn user_with_alias(aws: &Aws, user_name: &str, email: &str) -> String {
    aws.run(async {
        let instances = aws.clients.sso_admin.list_instances().send().await.unwrap();
        let store = instances.instances()[0]
            .identity_store_id()
            .unwrap()
            .to_string();
        aws.create_identity_center_user(&store, user_name, user_name, email)
            .await
    })
}

/// `apply -auto-approve -json` with the apply job's environment, expected
/// to fail.
fn apply_fails_with(tf: &Tf, env: &[(&str, &str)]) -> tests::TfOutput {
    let out = tf.run_env(&["apply", "-auto-approve", "-no-color", "-json"], env);
    assert!(!out.success(), "apply should have failed:\n{}", out.all());
    out
}

const VERIFYING: (&str, &str) = ("JIT_REQUIRE_VERIFIED_APPROVALS", "1");

tftest!(
    grant_four_eyes_aliased_provider_cannot_loosen_the_policy,
    |tf, aws| {
        let fx = fixtures(aws);
        let tf = &with_policy_file(tf, POLICY_JSON);
        tf.write_main(&[
            &provider_for_file(tf, ""),
            &alias_provider(tf, true),
            &sneaky("jit.loose"),
        ]);
        tf.init();

        // The plan of the pull request (verification off, policy file set):
        // the alias's policy is ignored with a warning; the file says high risk
        // and at most 1h.
        let out = tf.run(&["plan", "-no-color", "-json"]);
        assert!(!out.success(), "{}", out.all());
        out.warning("Inline `grant_policy` ignored");
        out.error("Grant needs an approver");
        out.error("Grant duration over the maximum");

        // The apply job: verification on; the inline policy is refused outright,
        // and nothing is granted.
        let out = apply_fails_with(tf, &[VERIFYING, ("JIT_CHANGE_REF", "acme/access#42")]);
        let diag = out.error("Inline `grant_policy` not allowed with verified approvals");
        assert!(diag.detail.contains("JIT_GRANT_POLICY_FILE"), "{diag:?}");
        assert!(assigned(aws, &fx, "JIT-EmergencyAdmin").is_empty());
        assert!(schedules(aws).is_empty());

        // Without its inline policy the alias is judged by the file like any
        // provider configuration: an unverified approver grants nothing.
        tf.write_main(&[
        &provider_for_file(tf, ""),
        &alias_provider(tf, false),
        &grant(
            "sneaky",
            "alice",
            "JIT-EmergencyAdmin",
            "1h",
            "  provider    = jit.loose\n  change_ref  = \"acme/access#42\"\n  approved_by = [\"manager@example.com\"]",
        ),
    ]);
        let out = apply_fails_with(tf, &[VERIFYING, ("JIT_CHANGE_REF", "acme/access#42")]);
        out.error("Approval not verified");
        assert!(assigned(aws, &fx, "JIT-EmergencyAdmin").is_empty());
        // The refusal is audited.
        let events = tf.audit_events();
        assert_eq!(actions(&events), ["grant.create refused"]);
        assert!(events[0]["error"]
            .as_str()
            .unwrap()
            .contains("Approval not verified"));
    }
);

tftest!(
    grant_four_eyes_override_file_cannot_loosen_the_policy,
    |tf, aws| {
        let fx = fixtures(aws);
        let tf = &with_policy_file(tf, POLICY_JSON);
        tf.write_main(&[&provider_for_file(tf, ""), &sneaky("jit")]);
        tf.write("jit_override.tf", LOOSE_OVERRIDE);
        tf.init();

        let out = tf.run(&["plan", "-no-color", "-json"]);
        assert!(!out.success(), "{}", out.all());
        out.warning("Inline `grant_policy` ignored");
        out.error("Grant needs an approver");

        // `require_verified_approvals = false` in the override cannot switch
        // the apply job's verification off.
        let out = apply_fails_with(tf, &[VERIFYING, ("JIT_CHANGE_REF", "acme/access#42")]);
        out.error("Inline `grant_policy` not allowed with verified approvals");
        assert!(assigned(aws, &fx, "JIT-EmergencyAdmin").is_empty());
        assert!(schedules(aws).is_empty());
        assert!(!tf.state_file().contains("jit_grant"));
    }
);

tftest!(
    grant_four_eyes_refused_grant_is_not_created_by_a_later_change,
    |tf, aws| {
        let fx = fixtures(aws);
        let tf = &with_policy_file(tf, POLICY_JSON);
        let refused = grant(
            "admin",
            "alice",
            "JIT-EmergencyAdmin",
            "1h",
            "  approved_by = [\"manager@example.com\"]\n  change_ref  = \"acme/access#42\"",
        );
        let unrelated = grant("s3", "bob", "JIT-S3FullAccess", "1h", "");
        tf.write_main(&[&provider_for_file(tf, ""), &refused]);
        tf.init();

        // Change #42 is merged without the manager's approval: refused at apply.
        let out = apply_fails_with(
            tf,
            &[
                VERIFYING,
                ("JIT_CHANGE_REF", "acme/access#42"),
                ("JIT_VERIFIED_APPROVERS", "bob@example.com"),
            ],
        );
        out.error("Approval not verified");
        assert!(assigned(aws, &fx, "JIT-EmergencyAdmin").is_empty());

        // The grant stays in main. Change #43 (an unrelated low-risk grant) is
        // approved by the manager. Its plan names what the stale grant would
        // need: the change_ref of #43, i.e. a review in #43.
        tf.write_main(&[&provider_for_file(tf, ""), &refused, &unrelated]);
        let later = [
            VERIFYING,
            ("JIT_CHANGE_REF", "acme/access#43"),
            ("JIT_VERIFIED_APPROVERS", "manager@example.com"),
        ];
        let out = tf.run_env(&["plan", "-no-color", "-json"], &later);
        assert!(!out.success(), "{}", out.all());
        let diag = out.error("Grant not written for this change");
        assert!(
            diag.detail.contains("`change_ref = \"acme/access#43\"`"),
            "{diag:?}"
        );
        assert!(diag.detail.contains("acme/access#42"), "{diag:?}");

        // Even a plan made without the change (saved, then applied by #43's
        // job) cannot carry #43's approvals over to the grant of #42:
        // Terraform plans each resource again while applying, and that plan
        // refuses it before any AWS call (the apply-time check behind it is
        // never reached, so no audit event: a plan writes none).
        tf.ok(&["plan", "-no-color", "-out=stale.tfplan"]);
        let out = tf.run_env(&["apply", "-no-color", "-json", "stale.tfplan"], &later);
        assert!(!out.success(), "{}", out.all());
        let diag = out.error("Grant not written for this change");
        assert!(diag.detail.contains("acme/access#42"), "{diag:?}");
        assert!(assigned(aws, &fx, "JIT-EmergencyAdmin").is_empty());
        // The unrelated grant went through; the audit log has the refusal of
        // #42's apply and no success for the stale grant.
        assert_eq!(assigned(aws, &fx, "JIT-S3FullAccess"), [fx.user("bob")]);
        let events = tf.audit_events();
        let refusals: Vec<&Value> = events.iter().filter(|e| e["result"] == "refused").collect();
        assert_eq!(refusals.len(), 1, "{refusals:?}");
        assert_eq!(refusals[0]["changeRef"], "acme/access#42");
        assert!(
            !events.iter().any(|e| e["result"] == "success"
                && e["target"]
                    .as_str()
                    .unwrap_or("")
                    .contains("JIT-EmergencyAdmin")),
            "{events:?}"
        );

        // Written again for #44 and approved there: granted.
        let renewed = refused.replace("acme/access#42", "acme/access#44");
        tf.write_main(&[&provider_for_file(tf, ""), &renewed, &unrelated]);
        let out = tf.run_env(
            &["apply", "-auto-approve", "-no-color"],
            &[
                VERIFYING,
                ("JIT_CHANGE_REF", "acme/access#44"),
                ("JIT_VERIFIED_APPROVERS", "manager@example.com"),
            ],
        );
        assert!(out.success(), "{}", out.all());
        assert_eq!(assigned(aws, &fx, "JIT-EmergencyAdmin"), [fx.user("alice")]);
        // Not created or replaced: never checked against the change again.
        let out = tf.run_env(
            &["plan", "-detailed-exitcode", "-no-color"],
            &[VERIFYING, ("JIT_CHANGE_REF", "acme/access#45")],
        );
        assert_eq!(out.code, 0, "{}", out.all());
        tf.destroy();
    }
);

tftest!(grant_four_eyes_earlier_pusher_cannot_approve, |tf, aws| {
    let fx = fixtures(aws);
    let tf = &with_policy_file(tf, POLICY_JSON);
    // frank is `frank` in Identity Center, with the email
    // `frank.pushes@example.com` that CI may name him by.
    user_with_alias(aws, "frank", "frank.pushes@example.com");
    // Bob pushed a commit, Frank another, Carol the last one. The approval
    // script excludes them all; if a verified list still named them, the
    // provider refuses them by id.
    let authors = (
        "JIT_CHANGE_AUTHOR",
        "bob@example.com,frank.pushes@example.com,carol@example.com",
    );
    let env = [
        VERIFYING,
        authors,
        ("JIT_CHANGE_REF", "acme/access#42"),
        (
            "JIT_VERIFIED_APPROVERS",
            "bob@example.com,frank,dave@example.com",
        ),
    ];
    let readonly = |approver: &str| {
        grant(
            "ro",
            "alice",
            "JIT-ReadOnly",
            "1h",
            &format!("  approved_by = [\"{approver}\"]\n  change_ref  = \"acme/access#42\""),
        )
    };
    tf.write_main(&[&provider_for_file(tf, ""), &readonly("bob@example.com")]);
    tf.init();
    // At plan (the pull request's plan sets the authors too).
    let out = tf.run_env(
        &["plan", "-no-color", "-json"],
        &[authors, ("JIT_CHANGE_REF", "acme/access#42")],
    );
    assert!(!out.success(), "{}", out.all());
    let diag = out.error("Approver is the change author");
    assert!(diag.detail.contains("`bob@example.com`"), "{diag:?}");
    // At apply, though bob is in the verified list.
    apply_fails_with(tf, &env).error("Approver is the change author");
    // Another spelling of an author (user name vs email) is the same person.
    tf.write_main(&[&provider_for_file(tf, ""), &readonly("frank")]);
    apply_fails_with(tf, &env).error("Approver is the change author");
    assert!(assigned(aws, &fx, "JIT-ReadOnly").is_empty());
    // Dave wrote nothing: his verified approval counts.
    tf.write_main(&[&provider_for_file(tf, ""), &readonly("dave@example.com")]);
    let out = tf.run_env(&["apply", "-auto-approve", "-no-color"], &env);
    assert!(out.success(), "{}", out.all());
    assert_eq!(assigned(aws, &fx, "JIT-ReadOnly"), [fx.user("alice")]);
    let done = tf.audit_events().pop().unwrap();
    assert_eq!(
        done["verifiedApprovers"],
        json!([{"name": "dave@example.com", "userId": fx.user("dave")}])
    );
    tf.destroy();
});

tftest!(
    grant_four_eyes_alias_of_the_principal_cannot_approve,
    |tf, aws| {
        let fx = fixtures(aws);
        let tf = &with_policy_file(tf, POLICY_JSON);
        let erin = user_with_alias(aws, "erin", "erin.on.call@example.com");
        let readonly = |principal: &str, requested_by: &str, approver: &str| {
            grant_of(
                "ro",
                principal,
                "JIT-ReadOnly",
                requested_by,
                &format!("  approved_by = [\"{approver}\"]\n  change_ref  = \"acme/access#42\""),
            )
        };
        let env = [
            VERIFYING,
            ("JIT_CHANGE_REF", "acme/access#42"),
            (
                "JIT_VERIFIED_APPROVERS",
                "erin.on.call@example.com,erin,bob@example.com",
            ),
        ];
        tf.write_main(&[
            &provider_for_file(tf, ""),
            &readonly("erin", "bob@example.com", &erin),
        ]);
        tf.init();
        // The principal's user id as approver: the same person.
        let out = apply_fails_with(tf, &env);
        let diag = out.error("Approver receives the access");
        assert!(diag.code.contains("approved_by"), "{diag:?}");
        // The requester's email as approver of a grant they asked for.
        tf.write_main(&[
            &provider_for_file(tf, ""),
            &readonly("alice@example.com", "erin", "erin.on.call@example.com"),
        ]);
        let out = apply_fails_with(tf, &env);
        out.error("Approver is the requester");
        // A name that is nobody in Identity Center is refused.
        tf.write_main(&[
            &provider_for_file(tf, ""),
            &readonly("erin", "bob@example.com", "erin.typo@example.com"),
        ]);
        let out = apply_fails_with(tf, &env);
        let diag = out.error("Approver not found");
        assert!(diag.detail.contains("`erin.typo@example.com`"), "{diag:?}");
        assert!(assigned(aws, &fx, "JIT-ReadOnly").is_empty());
        assert!(schedules(aws).is_empty());
        // Someone else, named by email, approves; the event names them by id.
        tf.write_main(&[
            &provider_for_file(tf, ""),
            &readonly("erin", "erin.on.call@example.com", "bob@example.com"),
        ]);
        let out = tf.run_env(&["apply", "-auto-approve", "-no-color"], &env);
        assert!(out.success(), "{}", out.all());
        assert_eq!(assigned(aws, &fx, "JIT-ReadOnly"), [erin.as_str()]);
        let done = tf.audit_events().pop().unwrap();
        assert_eq!(done["actorId"], erin.as_str());
        assert_eq!(done["verifiedApprovers"][0]["userId"], fx.user("bob"));
        tf.destroy();
    }
);

tftest!(grant_four_eyes_verification_flag_fails_closed, |tf, aws| {
    let fx = fixtures(aws);
    let policy_file = POLICY_JSON.replace(
        "\"approvers\": [\"manager@example.com\"] }",
        "\"approvers\": [\"manager@example.com\"], \"allow_break_glass\": false }",
    );
    let tf = &with_policy_file(tf, &policy_file);
    let admin = grant(
        "admin",
        "alice",
        "JIT-EmergencyAdmin",
        "1h",
        "  approved_by = [\"manager@example.com\"]\n  change_ref  = \"acme/access#42\"",
    );
    tf.write_main(&[&provider_for_file(tf, ""), &admin]);
    tf.init();
    let change = ("JIT_CHANGE_REF", "acme/access#42");
    // Anything but on or off stops everything: nothing is planned.
    for value in ["maybe", "2", "enabled"] {
        let out = tf.run_env(
            &["plan", "-no-color", "-json"],
            &[("JIT_REQUIRE_VERIFIED_APPROVALS", value), change],
        );
        assert!(!out.success(), "{value}: {}", out.all());
        let diag = out.error("Invalid `JIT_REQUIRE_VERIFIED_APPROVALS`");
        assert!(diag.detail.contains(&format!("`{value}`")), "{diag:?}");
    }
    // `True` and `on` are on: the unapproved grant is refused at apply.
    for value in ["True", "on"] {
        let out = apply_fails_with(tf, &[("JIT_REQUIRE_VERIFIED_APPROVALS", value), change]);
        out.error("Approval not verified");
    }
    assert!(assigned(aws, &fx, "JIT-EmergencyAdmin").is_empty());
    // On, without the policy file or an audit destination: refused.
    let out = tf.run_env(
        &["plan", "-no-color", "-json"],
        &[
            ("JIT_REQUIRE_VERIFIED_APPROVALS", "yes"),
            ("JIT_GRANT_POLICY_FILE", ""),
        ],
    );
    assert!(!out.success(), "{}", out.all());
    out.error("No grant policy file");
    let out = tf.run_env(
        &["plan", "-no-color", "-json"],
        &[
            ("JIT_REQUIRE_VERIFIED_APPROVALS", "YES"),
            ("JIT_AUDIT_LOG", ""),
        ],
    );
    assert!(!out.success(), "{}", out.all());
    out.error("No audit destination");
    // Off, without an audit destination: a plan warning.
    let out = tf.run_env(
        &["plan", "-no-color", "-json"],
        &[
            ("JIT_REQUIRE_VERIFIED_APPROVALS", "off"),
            ("JIT_AUDIT_LOG", ""),
        ],
    );
    assert!(out.success(), "{}", out.all());
    out.warning("No audit destination");
    // A broken policy file stops everything too.
    std::fs::write(
        tf.dir.with_extension("grant-policy.json"),
        "{\"default_risk\": \"low\", \"permision_set\": []}",
    )
    .unwrap();
    let out = tf.run(&["plan", "-no-color", "-json"]);
    assert!(!out.success(), "{}", out.all());
    let diag = out.error("Invalid grant policy file");
    assert!(
        diag.detail.contains("unknown field `permision_set`"),
        "{diag:?}"
    );
    std::fs::write(tf.dir.with_extension("grant-policy.json"), &policy_file).unwrap();

    // The file forbids break-glass for JIT-EmergencyAdmin.
    tf.write_main(&[
        &provider_for_file(tf, ""),
        &grant(
            "glass",
            "bob",
            "JIT-EmergencyAdmin",
            "30m",
            "  break_glass = true\n  ticket      = \"INC-9\"\n  change_ref  = \"acme/access#42\"",
        ),
    ]);
    let out = tf.plan_fails();
    let diag = out.error("Break-glass not allowed for this permission set");
    assert!(diag.code.contains("break_glass"), "{diag:?}");
    assert!(schedules(aws).is_empty());
});
