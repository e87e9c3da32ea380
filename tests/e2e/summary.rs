//! Reviewer summaries end to end, on Terraform 1.15.5 and 1.0.3: at plan,
//! one warning per changed instance whose summary says what the change
//! does (the CI contract: severity warning, detail starting
//! "Reviewer summary.", the address set by Terraform), never merged by
//! Terraform, off with `reviewer_summaries = false`. Destroys are
//! summarised by the provider where Terraform asks it to plan them
//! (1.15.5); on 1.0.3 the CI plan comment derives them from the plan, and
//! both versions give the comment the same lines.

use std::process::Command;

use serde_json::Value;
use tests::examples::{repo_root, venv_python};
use tests::{TfOutput, TfVersion};

use super::*;

const ACCOUNT: &str = "123456789012";
const DETAIL: &str = "Reviewer summary.";

/// Users and permission sets in Identity Center, and the IAM user to block
/// (also the world the plan-comment fixtures are recorded in).
pub(crate) fn fixtures(aws: &Aws) {
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let instances = sso.list_instances().send().await.unwrap();
        let instance = &instances.instances()[0];
        let store_id = instance.identity_store_id().unwrap();
        for name in ["alice", "bob", "carol", "manager"] {
            let user_name = format!("{name}@example.com");
            aws.create_identity_center_user(store_id, &user_name, name, &user_name)
                .await;
        }
        for name in ["JIT-ReadOnly", "JIT-EmergencyAdmin"] {
            sso.create_permission_set()
                .instance_arn(instance.instance_arn().unwrap())
                .name(name)
                .session_duration("PT1H")
                .send()
                .await
                .unwrap();
        }
        aws.iam()
            .create_user()
            .user_name("mallory")
            .send()
            .await
            .unwrap();
    });
}

/// The grant policy file CI names in `JIT_GRANT_POLICY_FILE`.
const POLICY_FILE: &str = r#"{
  "max_duration": "2h",
  "permission_set": [
    { "name": "JIT-ReadOnly", "risk": "low" },
    { "name": "JIT-EmergencyAdmin", "risk": "high", "approvers": ["manager@example.com"] }
  ]
}"#;

const PROVIDER_EXTRA: &str =
    "  revoker_role_arn = \"arn:aws:iam::123456789012:role/jit-revoker\"\n";

fn grant(name: &str, who: &str, set: &str, duration: &str, extra: &str) -> String {
    format!(
        "\nresource \"jit_grant\" \"{name}\" {{\n{extra}  principal      = \"{who}@example.com\"\n  account_id     = \"{ACCOUNT}\"\n  permission_set = \"{set}\"\n  duration       = \"{duration}\"\n  reason         = \"Investigate the failing lifecycle rule\"\n  requested_by   = \"{who}@example.com\"\n}}\n"
    )
}

const BLOCK: &str = "\nresource \"jit_user_block\" \"mallory\" {\n  iam {\n    user_name = \"mallory\"\n  }\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n  ticket     = \"SEC-7\"\n}\n";

fn env_access(prefix: &str, roles: &str, ip_ranges: &str) -> String {
    format!(
        "\nresource \"jit_iam_env_group\" \"member\" {{\n  name_prefix = \"{prefix}\"\n  environment = \"dev\"\n  role        = \"infra-member\"\n{ip_ranges}}}\n\nresource \"jit_iam_env_group\" \"manager\" {{\n  name_prefix = \"{prefix}\"\n  environment = \"dev\"\n  role        = \"infra-manager\"\n}}\n\nresource \"jit_iam_env_user\" \"bob\" {{\n  name        = \"bob\"\n  name_prefix = \"{prefix}\"\n  environment = \"dev\"\n  roles       = [{roles}]\n  depends_on  = [jit_iam_env_group.member, jit_iam_env_group.manager]\n}}\n"
    )
}

/// `(address, summary)` of every reviewer summary of a `-json` run, sorted.
fn summaries(out: &TfOutput) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = out
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["type"] == "diagnostic")
        .map(|m| m["diagnostic"].clone())
        .filter(|d| {
            d["severity"] == "warning" && d["detail"].as_str().unwrap_or("").starts_with(DETAIL)
        })
        .map(|d| {
            (
                d["address"].as_str().unwrap_or("").to_string(),
                d["summary"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(a, s)| (a.to_string(), s.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// `plan -json -out=tfplan`, then `show -json tfplan`; both saved in the
/// working directory for `plan-comment.py`.
fn plan(tf: &Tf) -> TfOutput {
    let out = tf.run(&["plan", "-input=false", "-json", "-out=tfplan"]);
    assert_eq!(out.code, 0, "{}", out.all());
    std::fs::write(tf.dir.join("plan.jsonl"), &out.stdout).unwrap();
    let shown = tf.ok(&["show", "-json", "tfplan"]);
    std::fs::write(tf.dir.join("plan.json"), &shown.stdout).unwrap();
    out
}

/// The effect lines the CI plan comment shows for the last [`plan`].
fn comment_lines(tf: &Tf) -> Vec<String> {
    let script = repo_root().join("examples/ci/github-actions/scripts/plan-comment.py");
    let output = Command::new(venv_python())
        .arg("-I")
        .arg(script)
        .args(["--lines", "--log", "plan.jsonl", "--plan", "plan.json"])
        .current_dir(&tf.dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

tftest!(reviewer_summary_says_what_each_change_does, |tf, aws| {
    fixtures(aws);
    tf.write("grant-policy.json", POLICY_FILE);
    // As in the plan job of the CI example: the grant policy from the
    // protected file, so approvals are verified at apply.
    let policy_file = tf.dir.join("grant-policy.json");
    let tf = &tf.with_env(&[("JIT_GRANT_POLICY_FILE", policy_file.to_str().unwrap())]);
    let p = tf.prefix.clone();
    let provider = tf.provider(PROVIDER_EXTRA);
    let emergency = grant(
        "emergency",
        "alice",
        "JIT-EmergencyAdmin",
        "1h",
        "  approved_by    = [\"manager@example.com\"]\n  ticket         = \"INC-42\"\n",
    );
    let twin = grant("twin", "bob", "JIT-ReadOnly", "30m", "  count = 2\n");
    // The ticket is only known once the group exists.
    let later = grant(
        "later",
        "carol",
        "JIT-ReadOnly",
        "1h",
        "  ticket = jit_iam_env_group.member.arn\n",
    );
    tf.write_main(&[
        &provider,
        &emergency,
        &twin,
        &later,
        BLOCK,
        &env_access(&p, "\"infra-member\"", ""),
    ]);
    tf.init();

    let created = plan(tf);
    let readonly =
        "bob@example.com gains JIT-ReadOnly on 123456789012 for 30m (low risk; no approval needed)";
    let mut got = summaries(&created);
    // Identical grants keep a line each: the later one planned is numbered.
    let twins: Vec<String> = got
        .iter()
        .filter(|(a, _)| a.starts_with("jit_grant.twin["))
        .map(|(_, s)| s.clone())
        .collect();
    let mut sorted_twins = twins.clone();
    sorted_twins.sort();
    assert_eq!(
        sorted_twins,
        [
            readonly.to_string(),
            format!("{readonly} (identical change 2)")
        ],
        "{got:?}"
    );
    got.retain(|(a, _)| !a.starts_with("jit_grant.twin["));
    assert_eq!(
        got,
        pairs(&[
            ("jit_grant.emergency", "alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h (high risk; approval by manager@example.com verified at apply; ticket INC-42)"),
            ("jit_grant.later", "carol@example.com gains JIT-ReadOnly on 123456789012 for 1h (low risk; no approval needed; ticket (known after apply))"),
            ("jit_user_block.mallory", "IAM user mallory is blocked (by secops@example.com; ticket SEC-7)"),
            ("jit_iam_env_group.member", &format!("creates group {p}-dev-infra-member with the infra-member policy of dev (MFA required; any source IP)")),
            ("jit_iam_env_group.manager", &format!("creates group {p}-dev-infra-manager with the infra-manager policy of dev (MFA required; any source IP)")),
            ("jit_iam_env_user.bob", &format!("IAM user bob gains {p}-dev-infra-member (new user)")),
        ]),
    );
    // The human-readable plan shows every line: none merged into "and N
    // more similar warnings" (Terraform merges warnings by summary).
    let text = tf.ok(&["show", "-no-color", "tfplan"]);
    let human = tf.ok(&["plan", "-no-color", "-input=false"]);
    for (_, summary) in summaries(&created) {
        assert!(
            human.stdout.contains(&summary),
            "{summary}\n{}",
            human.stdout
        );
    }
    // `show` of a saved plan never carries diagnostics: why CI reads -json.
    assert!(!text.stdout.contains(DETAIL));

    tf.apply();
    tf.assert_plan_empty();

    // Update in place: bob changes role groups, the member group gets a
    // source-IP condition, the emergency grant only a new reason (no line);
    // the twins and the block go.
    let emergency = emergency.replace(
        "Investigate the failing lifecycle rule",
        "Investigate the failing lifecycle rule again",
    );
    tf.write_main(&[
        &provider,
        &emergency,
        &later,
        &env_access(
            &p,
            "\"infra-manager\"",
            "  allowed_ip_ranges = [\"203.0.113.0/24\"]\n",
        ),
    ]);
    let changed = plan(tf);
    let mut expected = vec![
        (
            "jit_iam_env_group.member".to_string(),
            format!("changes the policy of {p}-dev-infra-member (source IP in 203.0.113.0/24 now)"),
        ),
        (
            "jit_iam_env_user.bob".to_string(),
            format!("IAM user bob gains {p}-dev-infra-manager; loses {p}-dev-infra-member"),
        ),
    ];
    let revoke = "revokes bob@example.com's JIT-ReadOnly on 123456789012";
    let restore = "restores IAM user mallory";
    if tf.version == TfVersion::Latest {
        // Terraform ≥ 1.3 asks the provider to plan each destroy, and gives
        // the diagnostic of a resource gone from the configuration no
        // address (the CI comment adds it from the plan). 1.0.3 never asks.
        for summary in [
            restore.to_string(),
            revoke.to_string(),
            format!("{revoke} (identical change 2)"),
        ] {
            expected.push((String::new(), summary));
        }
    }
    expected.sort();
    assert_eq!(summaries(&changed), expected, "{}", tf.version.as_str());

    // The plan comment shows the same lines on both versions: the
    // provider's, and each destroy once, with its address.
    let mut lines = comment_lines(tf);
    lines.sort();
    let mut want = vec![
        format!("{revoke} (jit_grant.twin[0])"),
        format!("{revoke} (jit_grant.twin[1])"),
        format!("{restore} (jit_user_block.mallory)"),
        format!("changes the policy of {p}-dev-infra-member (source IP in 203.0.113.0/24 now) (jit_iam_env_group.member)"),
        format!("IAM user bob gains {p}-dev-infra-manager; loses {p}-dev-infra-member (jit_iam_env_user.bob)"),
    ];
    want.sort();
    assert_eq!(lines, want, "{}", tf.version.as_str());
    tf.apply();

    // The provider setting turns them off; the plan still has its changes.
    let quiet = tf.provider(&format!("{PROVIDER_EXTRA}  reviewer_summaries = false\n"));
    tf.write_main(&[
        &quiet,
        &emergency,
        &later,
        &env_access(&p, "\"infra-member\"", ""),
        BLOCK,
    ]);
    let off = plan(tf);
    assert!(summaries(&off).is_empty(), "{}", off.stdout);
    let shown: Value =
        serde_json::from_str(&std::fs::read_to_string(tf.dir.join("plan.json")).unwrap()).unwrap();
    let block = shown["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "jit_user_block.mallory")
        .unwrap();
    assert_eq!(block["change"]["actions"], serde_json::json!(["create"]));
});
