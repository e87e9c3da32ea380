//! `plan-comment.py` on recorded output of real plans (Terraform 1.15.5 and
//! 1.0.3, the provider against moto): the effect lines come first, destroys
//! are derived from `resource_changes` on both versions, and the comment is
//! safe to post.
//!
//! The fixtures in `fixtures/plan/` are re-recorded with
//!
//! ```sh
//! cargo test -p tests --test e2e -- --ignored workflows::plan_comment::record_plan_fixtures
//! ```
//!
//! which applies a first configuration (two grants, one IAM user block),
//! then plans a second one that revokes a grant, replaces the other, lifts
//! the block and creates a high-risk grant, with the grant policy from
//! `JIT_GRANT_POLICY_FILE` as in the plan job. The streams hold the
//! provider's reviewer summaries: on 1.15.5 also those of the destroys
//! (without an address: the resources left the configuration), on 1.0.3
//! none of them (Terraform 1.0 never asks the provider to plan a destroy).

use super::*;
use tests::{Aws, Tf, TfVersion};

const ACCOUNT: &str = "123456789012";
const VERSIONS: [&str; 2] = ["1.15.5", "1.0.3"];

/// A recorded file of one Terraform version: `plan-<version>.jsonl` (the
/// `plan -json` stream), `.json` (`show -json`) or `.txt` (`show`).
fn recorded(version: &str, extension: &str) -> PathBuf {
    fixture(&format!("plan/plan-{version}.{extension}"))
}

/// The provider's summary of `jit_grant.emergency`.
const EMERGENCY: &str = "alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h (high risk; approval by manager@example.com verified at apply; ticket INC-42)";

fn comment(args: &[&str]) -> Run {
    let run = script("plan-comment.py", args, &repo_root());
    assert_eq!(run.code, 0, "{run:?}");
    run
}

fn lines(args: &[&str]) -> Vec<String> {
    let mut all = vec!["--lines"];
    all.extend_from_slice(args);
    comment(&all).stdout.lines().map(str::to_string).collect()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The effect lines of every recorded plan, in address order: the same on
/// both versions.
const EFFECTS: [&str; 5] = [
    "alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h (high risk; approval by manager@example.com verified at apply; ticket INC-42) (jit_grant.emergency)",
    "revokes alice@example.com's JIT-ReadOnly on 123456789012 (jit_grant.extend)",
    "alice@example.com gains JIT-ReadOnly on 123456789012 for 1h (low risk; no approval needed) (jit_grant.extend)",
    "revokes bob@example.com's JIT-ReadOnly on 123456789012 (jit_grant.old)",
    "restores IAM user mallory (jit_user_block.mallory)",
];

/// `(address, summary)` of the reviewer summaries in a recorded stream.
fn recorded_summaries(version: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_to_string(recorded(version, "jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|m| m["type"] == "diagnostic")
        .map(|m| m["diagnostic"].clone())
        .filter(|d| {
            d["severity"] == "warning"
                && d["detail"]
                    .as_str()
                    .unwrap()
                    .starts_with("Reviewer summary.")
        })
        .map(|d| {
            (
                d["address"].as_str().unwrap_or_default().to_string(),
                d["summary"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn plan_comment_derives_revokes_and_restores_on_both_terraform_versions() {
    for version in VERSIONS {
        let log = recorded(version, "jsonl");
        let plan = recorded(version, "json");
        // The plan really holds those actions (not an edited fixture).
        let show: Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
        let actions: Vec<(String, Value)> = show["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["address"].as_str().unwrap().to_string(),
                    c["change"]["actions"].clone(),
                )
            })
            .collect();
        for (address, expected) in [
            ("jit_grant.emergency", json!(["create"])),
            ("jit_grant.old", json!(["delete"])),
            ("jit_user_block.mallory", json!(["delete"])),
        ] {
            assert!(
                actions.contains(&(address.to_string(), expected.clone())),
                "{version}: {address} {expected} in {actions:?}"
            );
        }
        let replace = actions
            .iter()
            .find(|(a, _)| a == "jit_grant.extend")
            .unwrap();
        assert!(
            replace.1 == json!(["delete", "create"]) || replace.1 == json!(["create", "delete"]),
            "{version}: {replace:?}"
        );

        // What each version's provider said: the creates (a replacement's
        // too) with their address; the destroys only on 1.15.5, without.
        let mut said = vec![
            ("jit_grant.emergency".to_string(), EMERGENCY.to_string()),
            (
                "jit_grant.extend".to_string(),
                "alice@example.com gains JIT-ReadOnly on 123456789012 for 1h (low risk; no approval needed)".to_string(),
            ),
        ];
        if version == "1.15.5" {
            said.push((String::new(), "restores IAM user mallory".to_string()));
            said.push((
                String::new(),
                "revokes bob@example.com's JIT-ReadOnly on 123456789012".to_string(),
            ));
        }
        said.sort();
        assert_eq!(recorded_summaries(version), said, "{version}");

        // The comment's lines are the same on both versions: each destroy
        // once, with its address.
        assert_eq!(
            lines(&["--log", path(&log), "--plan", path(&plan)]),
            EFFECTS,
            "{version}"
        );
    }
}

#[test]
fn plan_comment_puts_the_provider_summaries_first_with_their_address() {
    for version in VERSIONS {
        let log = recorded(version, "jsonl");
        let plan = recorded(version, "json");
        let run = comment(&[
            "--log",
            path(&log),
            "--plan",
            path(&plan),
            "--text",
            path(&recorded(version, "txt")),
            "--head",
            "1111111111111111111111111111111111111111",
            "--change-ref",
            "acme/access#42",
        ]);
        let text = run.stdout;
        assert!(text.starts_with("<!-- jit-plan -->\n### jit plan succeeded for 1111111111111111111111111111111111111111\n"), "{text}");
        let effects = format!("```text\n{}\n```", EFFECTS.join("\n"));
        let summary_at = text.find(&effects).expect(&text);
        let plan_at = text
            .find("<details><summary>terraform plan</summary>")
            .unwrap();
        assert!(summary_at < plan_at, "effects come before the plan");
        assert!(text.contains("`change_ref = \"acme/access#42\"`"), "{text}");
        // The recorded plan text is there, whole.
        let plan_text = std::fs::read_to_string(recorded(version, "txt")).unwrap();
        assert!(text.contains(plan_text.trim_end()), "{version}");
        // The provider's other warnings stay visible, below the effects,
        // and no summary is repeated among them.
        let at = text.find("**Other warnings**").expect(&text);
        assert!(at > summary_at && at < plan_at);
        assert!(text[at..plan_at].contains("Approval of `JIT-EmergencyAdmin`"));
        assert!(!text[at..].contains("Reviewer summary."), "{text}");
    }
}

fn summary(address: &str, text: &str) -> String {
    json!({"@level": "warn", "type": "diagnostic", "diagnostic": {
        "severity": "warning", "summary": text, "detail": "Reviewer summary. One line per change.", "address": address,
    }})
    .to_string()
}

fn change(address: &str, kind: &str, actions: Value, before: Value) -> Value {
    json!({"address": address, "mode": "managed", "type": kind, "name": "x", "change": {"actions": actions, "before": before, "after": null}})
}

#[test]
fn plan_comment_does_not_repeat_what_the_provider_summarised() {
    let scratch = Scratch::new("comment-dedup");
    let grant = json!({"principal": "carol@example.com", "permission_set": "JIT-Admin", "account_id": ACCOUNT});
    scratch.put_json(
        "plan.json",
        &json!({"resource_changes": [
            change("jit_grant.gone", "jit_grant", json!(["delete"]), grant.clone()),
            change("jit_grant.swapped", "jit_grant", json!(["delete", "create"]), grant.clone()),
            change("jit_grant.said", "jit_grant", json!(["create", "delete"]), grant.clone()),
            change("module.env.jit_user_block.b[\"x\"]", "jit_user_block", json!(["delete"]), json!({"cognito": [{"user_pool_id": "eu-west-1_P", "username": "eve"}], "iam": []})),
            change("jit_iam_env_user.u", "jit_iam_env_user", json!(["delete"]), json!({"name": "dan", "groups": ["hera-dev-b", "hera-dev-a"]})),
            change("jit_iam_env_group.g", "jit_iam_env_group", json!(["delete"]), json!({"name": "hera-dev-a", "role": "infra-member", "environment": "dev"})),
            change("jit_grant.ended", "jit_grant", json!(["delete"]), json!({"principal": "Oncall", "principal_type": "GROUP", "permission_set": "JIT-Admin", "account_id": ACCOUNT, "status": "EXPIRED"})),
            change("other_thing.x", "other_thing", json!(["delete"]), json!({})),
            change("jit_grant.kept", "jit_grant", json!(["update"]), grant.clone()),
            change("jit_grant.forgotten", "jit_grant", json!(["forget"]), grant),
            {"address": "data.jit_access_review.r", "mode": "data", "type": "jit_access_review", "change": {"actions": ["read"]}},
        ]}),
    );
    let log = [
        json!({"type": "version", "terraform": "1.15.5"}).to_string(),
        summary("jit_grant.gone", "carol@example.com loses JIT-Admin on 123456789012 now"),
        summary("jit_grant.swapped", "carol@example.com gains JIT-Admin on 123456789012 for 2h"),
        summary("jit_grant.said", "revokes carol@example.com's JIT-Admin on 123456789012, then grants it for 2h"),
        // Terraform may repeat a diagnostic; the comment does not.
        summary("jit_grant.said", "revokes carol@example.com's JIT-Admin on 123456789012, then grants it for 2h"),
        // Not a summary: a warning with another detail.
        json!({"type": "diagnostic", "diagnostic": {"severity": "warning", "summary": "Session outlives the grant", "detail": "x", "address": "jit_grant.swapped"}}).to_string(),
        "not JSON at all".to_string(),
    ]
    .join("\n");
    scratch.put("plan.jsonl", &log);
    let got = lines(&[
        "--log",
        path(&scratch.path("plan.jsonl")),
        "--plan",
        path(&scratch.path("plan.json")),
    ]);
    assert_eq!(
        got,
        [
            "revokes group Oncall's JIT-Admin on 123456789012 (already ended: EXPIRED) (jit_grant.ended)",
            "stops managing jit_grant.forgotten (the object stays)",
            "carol@example.com loses JIT-Admin on 123456789012 now (jit_grant.gone)",
            "revokes carol@example.com's JIT-Admin on 123456789012, then grants it for 2h (jit_grant.said)",
            // A replacement summarised by its create still shows its revoke.
            "revokes carol@example.com's JIT-Admin on 123456789012 (jit_grant.swapped)",
            "carol@example.com gains JIT-Admin on 123456789012 for 2h (jit_grant.swapped)",
            "deletes group hera-dev-a (its members lose the infra-member policy of dev) (jit_iam_env_group.g)",
            "deletes IAM user dan (loses hera-dev-a, hera-dev-b) (jit_iam_env_user.u)",
            "restores Cognito user eve of pool eu-west-1_P (module.env.jit_user_block.b[\"x\"])",
            "destroys other_thing.x",
        ]
    );
}

#[test]
fn plan_comment_is_safe_to_post_and_fits_a_comment() {
    let scratch = Scratch::new("comment-safe");
    // Text the pull request controls, trying to close the code block and
    // mention people or fake a verdict.
    let hostile = "x``` @security-team **approved** <!-- jit-plan -->";
    scratch.put("plan.jsonl", &summary("jit_grant.a", hostile));
    scratch.put_json("plan.json", &json!({"resource_changes": []}));
    scratch.put(
        "plan.txt",
        &format!("{}\n{}", "````` fence", "y".repeat(200_000)),
    );
    let run = comment(&[
        "--log",
        path(&scratch.path("plan.jsonl")),
        "--plan",
        path(&scratch.path("plan.json")),
        "--text",
        path(&scratch.path("plan.txt")),
        "--head",
        "abc\n### forged",
        "--change-ref",
        "acme/access#1\nforged",
    ]);
    let text = run.stdout;
    assert!(text.len() <= 65_536, "{}", text.len());
    assert!(text.contains("(cut: the full plan is in the job log)"));
    // The hostile line sits inside a fence longer than any backtick run in it.
    let at = text.find(hostile).unwrap();
    let fence_line = text[..at].lines().last().unwrap();
    assert!(fence_line.starts_with("````text"), "{fence_line}");
    assert!(text[..at].matches("<!-- jit-plan -->").count() == 1);
    assert!(
        !text.contains("### forged") && !text.contains("forged`"),
        "{text:.400}"
    );
    assert!(
        !text.contains("change_ref ="),
        "an invalid change ref is left out"
    );
    // The plan text is fenced with a fence longer than its own backticks.
    assert!(
        text.contains("``````text\n````` fence"),
        "{:.600}",
        &text[text.find("<details>").unwrap()..]
    );
}

#[test]
fn plan_comment_of_a_failed_plan_shows_its_errors() {
    let scratch = Scratch::new("comment-failed");
    scratch.put(
        "plan.jsonl",
        &[
            json!({"type": "diagnostic", "diagnostic": {"severity": "error", "summary": "Grant needs an approver", "detail": "`JIT-EmergencyAdmin` is high risk.", "address": "jit_grant.e"}}).to_string(),
            summary("jit_grant.a", "alice@example.com gains JIT-ReadOnly on 123456789012 for 1h (low risk)"),
        ]
        .join("\n"),
    );
    let run = comment(&[
        "--log",
        path(&scratch.path("plan.jsonl")),
        "--exit-code",
        "1",
        "--head",
        "2222222222222222222222222222222222222222",
    ]);
    let text = run.stdout;
    assert!(
        text.contains("### jit plan FAILED for 2222222222222222222222222222222222222222"),
        "{text}"
    );
    assert!(text.contains("Error: Grant needs an approver\n  with jit_grant.e\n\n  `JIT-EmergencyAdmin` is high risk."), "{text}");
    assert!(text.contains(
        "alice@example.com gains JIT-ReadOnly on 123456789012 for 1h (low risk) (jit_grant.a)"
    ));
    assert!(text.contains("No plan was saved"));
    assert!(!text.contains("<details>"));
}

// ------------------------------------------------------------ recording

fn grant(name: &str, who: &str, set: &str, duration: &str, extra: &str) -> String {
    format!(
        "\nresource \"jit_grant\" \"{name}\" {{\n  principal      = \"{who}@example.com\"\n  account_id     = \"{ACCOUNT}\"\n  permission_set = \"{set}\"\n  duration       = \"{duration}\"\n  reason         = \"Investigate the failing lifecycle rule\"\n  requested_by   = \"{who}@example.com\"\n{extra}}}\n"
    )
}

const BLOCK: &str = "\nresource \"jit_user_block\" \"mallory\" {\n  iam {\n    user_name = \"mallory\"\n  }\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n}\n";

const REVOKER: &str = "  revoker_role_arn = \"arn:aws:iam::123456789012:role/jit-revoker\"\n";

/// The grant policy, from a file as the plan job takes it.
const POLICY: &str = r#"{"max_duration": "2h", "permission_set": [{"name": "JIT-ReadOnly", "risk": "low"}, {"name": "JIT-EmergencyAdmin", "risk": "high", "approvers": ["manager@example.com"]}]}"#;

fn record(tf: &Tf, aws: &Aws) {
    crate::summary::fixtures(aws);
    tf.write("grant-policy.json", POLICY);
    let file = tf.dir.join("grant-policy.json");
    let tf = &tf.with_env(&[("JIT_GRANT_POLICY_FILE", file.to_str().unwrap())]);
    let provider = tf.provider(REVOKER);
    tf.write_main(&[
        &provider,
        &grant("old", "bob", "JIT-ReadOnly", "1h", ""),
        &grant("extend", "alice", "JIT-ReadOnly", "30m", ""),
        BLOCK,
    ]);
    tf.init();
    tf.apply();
    tf.write_main(&[
        &provider,
        &grant("extend", "alice", "JIT-ReadOnly", "1h", ""),
        &grant(
            "emergency",
            "alice",
            "JIT-EmergencyAdmin",
            "1h",
            "  approved_by    = [\"manager@example.com\"]\n  ticket         = \"INC-42\"\n",
        ),
    ]);
    let version = tf.version.as_str();
    let plan = tf.run(&["plan", "-input=false", "-json", "-out=tfplan"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let show_json = tf.ok(&["show", "-json", "tfplan"]);
    let show_text = tf.ok(&["show", "-no-color", "tfplan"]);
    // Stable bytes: the emulator's port and the case directory vary.
    let stable = |s: &str| {
        s.replace(&tf.endpoint, "http://127.0.0.1:5000")
            .replace(tf.dir.to_str().unwrap(), "/case")
    };
    std::fs::create_dir_all(fixture("plan")).unwrap();
    std::fs::write(recorded(version, "jsonl"), stable(&plan.stdout)).unwrap();
    std::fs::write(recorded(version, "json"), stable(&show_json.stdout)).unwrap();
    std::fs::write(recorded(version, "txt"), stable(&show_text.stdout)).unwrap();
}

#[test]
#[ignore = "re-records fixtures/plan (real Terraform and moto); run by hand"]
fn record_plan_fixtures() {
    for version in [TfVersion::Latest, TfVersion::Oldest] {
        tests::terraform::run_case("record_plan_fixtures", version, record);
    }
}
