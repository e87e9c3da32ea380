//! Docs, examples and the CI workflow example: the generated pages match
//! the schema, everything is described, every HCL directory is formatted and
//! validates on real Terraform, and the GitHub Actions wiring and approval
//! script do what the guides say.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use tests::docgen::{self, schema_md, REGENERATE};
use tests::examples::{self, repo_root, venv_python};
use tests::TfVersion;

fn fail_with(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what} ({}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ------------------------------------------------------------------- docs

#[test]
fn docs_are_generated_and_current() {
    let root = repo_root();
    let entries = docgen::catalog().unwrap_or_else(|problems| {
        panic!("cannot read the schema: {problems:?}");
    });
    let site = docgen::generate(&root, &entries);
    let mut problems: Vec<String> = site.problems.iter().map(ToString::to_string).collect();
    problems.extend(docgen::stale(&root, &site).iter().map(ToString::to_string));
    fail_with(
        &format!("docs/ is not generated from the current schema, templates and examples; fix the files named, then run `{REGENERATE}`"),
        &problems,
    );
    // Every object of the provider has its page.
    for entry in &entries {
        assert!(root.join(entry.page()).is_file(), "{:?}", entry.page());
    }
}

#[test]
fn every_schema_attribute_and_block_has_a_description() {
    let entries = docgen::catalog().expect("schema");
    let problems: Vec<String> = entries
        .iter()
        .flat_map(|entry| {
            schema_md::undescribed(&entry.schema)
                .into_iter()
                .map(move |path| format!("{}: `{path}`", entry.type_name()))
        })
        .collect();
    fail_with("schema items without a description", &problems);
}

#[test]
fn every_variable_and_output_has_a_description() {
    fail_with(
        "variables and outputs without a description",
        &examples::undescribed_variables_and_outputs(&repo_root()),
    );
}

// --------------------------------------------------------------- examples

#[test]
fn examples_modules_and_environments_are_formatted() {
    fail_with(
        "`terraform fmt -check` (1.15.5) wants changes",
        &examples::fmt_problems(&repo_root()),
    );
}

#[test]
fn examples_modules_and_environments_validate_on_terraform_1_15_5() {
    let dirs = examples::hcl_dirs(&repo_root());
    assert!(
        dirs.iter()
            .any(|d| d.path == Path::new("examples/provider")),
        "{dirs:?}"
    );
    fail_with(
        "`terraform validate` failed",
        &examples::validate_problems(&repo_root(), TfVersion::Latest),
    );
}

#[test]
fn examples_validate_on_terraform_1_0_3() {
    fail_with(
        "`terraform validate` failed",
        &examples::validate_problems(&repo_root(), TfVersion::Oldest),
    );
}

// ------------------------------------------------------- CI: the workflows

const CI_DIR: &str = "examples/ci/github-actions";

/// A workflow file as JSON, parsed by PyYAML (YAML 1.1 reads the key `on`
/// as `true`: it is put back as `"on"`).
fn workflow(name: &str) -> Value {
    const TO_JSON: &str = r#"
import json, sys, yaml

def fix(o):
    if isinstance(o, dict):
        return {('on' if k is True else str(k)): fix(v) for k, v in o.items()}
    if isinstance(o, list):
        return [fix(v) for v in o]
    return o

print(json.dumps(fix(yaml.safe_load(open(sys.argv[1], encoding='utf-8')))))
"#;
    let path = repo_root().join(CI_DIR).join(name);
    let output = Command::new(venv_python())
        .args(["-c", TO_JSON])
        .arg(&path)
        .output()
        .expect("the venv's python runs (bash scripts/setup.sh)");
    assert!(
        output.status.success(),
        "{name} is not valid YAML:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from PyYAML")
}

fn text(name: &str) -> String {
    std::fs::read_to_string(repo_root().join(CI_DIR).join(name)).expect(name)
}

fn steps(workflow: &Value, job: &str) -> Vec<Value> {
    workflow["jobs"][job]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("job `{job}` has no steps"))
}

/// Index of the first step whose `run` (or `uses`) contains every needle.
fn step_index(steps: &[Value], needles: &[&str]) -> usize {
    steps
        .iter()
        .position(|step| {
            let body = format!(
                "{} {}",
                step["run"].as_str().unwrap_or_default(),
                step["uses"].as_str().unwrap_or_default()
            );
            needles.iter().all(|n| body.contains(n))
        })
        .unwrap_or_else(|| panic!("no step with {needles:?}"))
}

#[test]
fn plan_workflow_plans_pull_requests_read_only_and_posts_the_plan() {
    let plan = workflow("plan.yml");
    let raw = text("plan.yml");
    assert_eq!(
        plan["on"]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["pull_request".to_string()]),
        "{plan:#}"
    );
    assert_eq!(
        plan["permissions"],
        json!({"contents": "read", "pull-requests": "write", "id-token": "write"})
    );
    for forbidden in [
        "JIT_REQUIRE_VERIFIED_APPROVALS",
        "JIT_VERIFIED_APPROVERS",
        "JIT_APPLY_ROLE_ARN",
        "pull_request_target",
    ] {
        assert!(!raw.contains(forbidden), "plan.yml mentions `{forbidden}`");
    }
    let steps = steps(&plan, "plan");
    let credentials = step_index(&steps, &["aws-actions/configure-aws-credentials"]);
    assert!(steps[credentials]["with"]["role-to-assume"]
        .as_str()
        .unwrap_or_default()
        .contains("vars.JIT_PLAN_ROLE_ARN"));
    let author = step_index(
        &steps,
        &["verified-approvers.py", "--author-only", "GITHUB_ENV"],
    );
    let run_plan = step_index(&steps, &["terraform", " plan ", "-out=tfplan"]);
    let post = step_index(&steps, &["gh pr comment", "<!-- jit-plan -->"]);
    let fail = steps
        .iter()
        .position(|s| s["if"] == "steps.plan.outputs.exitcode != '0'")
        .expect("a step fails the job after a failed plan");
    assert!(author < run_plan && credentials < run_plan && run_plan < post && post < fail);
    // The plan step records its exit code instead of failing, so the plan is
    // posted even when it fails.
    assert_eq!(steps[run_plan]["id"], "plan");
    assert!(steps[run_plan]["run"]
        .as_str()
        .unwrap_or_default()
        .contains("set +e"));
    assert!(steps[post].get("if").is_none());
}

#[test]
fn apply_workflow_serialises_verifies_approvals_and_applies_on_main() {
    let apply = workflow("apply.yml");
    let raw = text("apply.yml");
    assert_eq!(apply["on"], json!({"push": {"branches": ["main"]}}));
    assert_eq!(
        apply["permissions"],
        json!({"contents": "read", "pull-requests": "read", "id-token": "write"})
    );
    assert!(apply["concurrency"]["group"]
        .as_str()
        .is_some_and(|g| !g.is_empty()));
    assert_eq!(apply["concurrency"]["cancel-in-progress"], json!(false));
    assert_eq!(
        apply["jobs"]["apply"]["env"]["JIT_REQUIRE_VERIFIED_APPROVALS"],
        "1"
    );
    assert!(apply["jobs"]["apply"]["env"]["JIT_APPLIED_BY"].is_string());
    for forbidden in [
        "JIT_PLAN_ROLE_ARN",
        "pull_request_target",
        "cancel-in-progress: true",
    ] {
        assert!(!raw.contains(forbidden), "apply.yml mentions `{forbidden}`");
    }
    let steps = steps(&apply, "apply");
    let find_pull = step_index(&steps, &["commits/$GITHUB_SHA/pulls", "merge_commit_sha"]);
    let verify = step_index(
        &steps,
        &[
            "pulls/$PR/reviews",
            "--paginate",
            "/activity?ref=refs/heads/",
            "verified-approvers.py",
            "--reviews",
            "--activity",
            "--mapping .github/jit-approvers.json",
            ">> \"$GITHUB_ENV\"",
        ],
    );
    let credentials = step_index(&steps, &["aws-actions/configure-aws-credentials"]);
    assert!(steps[credentials]["with"]["role-to-assume"]
        .as_str()
        .unwrap_or_default()
        .contains("vars.JIT_APPLY_ROLE_ARN"));
    let run_apply = step_index(&steps, &["terraform", " apply ", "-auto-approve"]);
    assert!(find_pull < verify && verify < run_apply && credentials < run_apply);
    // No pull request found: nobody is verified, explicitly.
    assert!(steps[verify]["run"]
        .as_str()
        .unwrap_or_default()
        .contains("JIT_VERIFIED_APPROVERS=\" >> \"$GITHUB_ENV\""));
    let keep_log = step_index(&steps, &["actions/upload-artifact"]);
    assert_eq!(steps[keep_log]["if"], "always()");
}

#[test]
fn codeowners_protect_the_mapping_the_script_and_the_workflows() {
    let owners = text("CODEOWNERS");
    let owned: Vec<&str> = owners
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|o| o.starts_with('@'))
        })
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for path in [
        "/.github/CODEOWNERS",
        "/.github/jit-approvers.json",
        "/.github/scripts/",
        "/.github/workflows/",
    ] {
        assert!(
            owned.contains(&path),
            "CODEOWNERS lacks `{path}`: {owned:?}"
        );
    }
    // The files the workflows read are the ones CODEOWNERS protects.
    for workflow in ["plan.yml", "apply.yml"] {
        let raw = text(workflow);
        assert!(
            raw.contains(".github/scripts/verified-approvers.py"),
            "{workflow}"
        );
        assert!(raw.contains(".github/jit-approvers.json"), "{workflow}");
    }
    let mapping: Value =
        serde_json::from_str(&text("jit-approvers.json")).expect("mapping is JSON");
    let mapping = mapping.as_object().expect("mapping is an object");
    assert!(!mapping.is_empty());
    assert!(mapping.values().all(|v| v
        .as_str()
        .is_some_and(|s| !s.is_empty() && !s.contains(','))));
}

// ------------------------------------------------ CI: the approval script

const HEAD: &str = "1111111111111111111111111111111111111111";
const OLD: &str = "0000000000000000000000000000000000000000";

struct Script {
    dir: PathBuf,
}

impl Script {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("verified-approvers-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let script = Self { dir };
        script.put(
            "mapping.json",
            &json!({
                "Alice": "alice@example.com",
                "bob": "bob@example.com",
                "carol": "carol@example.com",
                "dave": "dave@example.com",
                "erin": "erin@example.com",
                "frank": "frank@example.com",
                "author": "author@example.com",
                "pusher": "pusher@example.com",
                "ci-bot[bot]": "bot@example.com",
            })
            .to_string(),
        );
        script.put("pull.json", &pull().to_string());
        script.put("activity.json", &json!([
            {"activity_type": "push", "after": OLD, "ref": "refs/heads/feature", "actor": {"login": "author"}, "timestamp": "2026-01-01T09:00:00Z"},
            {"activity_type": "push", "after": HEAD, "ref": "refs/heads/feature", "actor": {"login": "Pusher"}, "timestamp": "2026-01-01T10:00:00Z"},
        ]).to_string());
        script
    }

    fn put(&self, name: &str, content: &str) {
        std::fs::write(self.dir.join(name), content).unwrap();
    }

    /// Runs the script; (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = Command::new(venv_python())
            .arg(
                repo_root()
                    .join(CI_DIR)
                    .join("scripts/verified-approvers.py"),
            )
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("python runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn verify(&self, reviews: &Value) -> (i32, String, String) {
        self.put("reviews.json", &reviews.to_string());
        self.run(&[
            "--pull",
            "pull.json",
            "--reviews",
            "reviews.json",
            "--activity",
            "activity.json",
            "--mapping",
            "mapping.json",
        ])
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn pull() -> Value {
    json!({
        "number": 42,
        "user": {"login": "Author", "type": "User"},
        "head": {"sha": HEAD, "ref": "feature"},
        "merged": true,
        "merged_at": "2026-01-01T12:00:00Z",
    })
}

fn review(id: u64, login: &str, state: &str, commit: &str, at: &str) -> Value {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    json!({"id": id, "user": {"login": login, "type": kind}, "state": state, "commit_id": commit, "submitted_at": at})
}

fn approvers(stdout: &str) -> &str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("JIT_VERIFIED_APPROVERS="))
        .unwrap_or_else(|| panic!("no JIT_VERIFIED_APPROVERS in {stdout:?}"))
}

#[test]
fn approval_script_counts_only_latest_approvals_of_the_merged_head_by_others() {
    let script = Script::new("rules");
    let reviews = json!([
        // Latest review wins: alice approved, then requested changes.
        review(1, "alice", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        review(
            2,
            "Alice",
            "CHANGES_REQUESTED",
            HEAD,
            "2026-01-01T10:02:00Z"
        ),
        // bob requested changes, then approved.
        review(3, "bob", "CHANGES_REQUESTED", HEAD, "2026-01-01T10:01:00Z"),
        review(4, "bob", "APPROVED", HEAD, "2026-01-01T10:03:00Z"),
        // A later plain comment leaves carol's approval standing.
        review(5, "carol", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        review(6, "carol", "COMMENTED", HEAD, "2026-01-01T10:05:00Z"),
        // Not approvals.
        review(7, "dave", "COMMENTED", HEAD, "2026-01-01T10:01:00Z"),
        review(8, "erin", "DISMISSED", HEAD, "2026-01-01T10:01:00Z"),
        // An approval of an earlier commit does not cover the merged one.
        review(9, "frank", "APPROVED", OLD, "2026-01-01T09:30:00Z"),
        // The author and the last pusher never count (logins in any case).
        review(10, "AUTHOR", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        review(11, "pusher", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        // Bots and logins missing from the mapping do not count.
        review(12, "ci-bot[bot]", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        review(13, "grace", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
    ]);
    let (code, stdout, stderr) = script.verify(&reviews);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "JIT_VERIFIED_APPROVERS=bob@example.com,carol@example.com\nJIT_CHANGE_AUTHOR=author@example.com\n"
    );
    for explained in [
        "frank approved 000000000000, not the merged head 111111111111",
        "AUTHOR wrote or pushed the change",
        "pusher wrote or pushed the change",
        "ci-bot[bot] is a bot",
        "::warning::grace approved but is not in the approver mapping",
    ] {
        assert!(
            stderr.contains(explained),
            "missing `{explained}` in:\n{stderr}"
        );
    }
}

#[test]
fn approval_script_reads_paginated_reviews_and_an_explicit_last_pusher() {
    let script = Script::new("pages");
    // `gh api --paginate` prints one array per page, back to back.
    let pages = format!(
        "{}\n{}",
        json!([review(1, "alice", "APPROVED", HEAD, "2026-01-01T10:01:00Z")]),
        json!([review(2, "bob", "APPROVED", HEAD, "2026-01-01T10:02:00Z")])
    );
    script.put("reviews.json", &pages);
    let (code, stdout, stderr) = script.run(&[
        "--pull",
        "pull.json",
        "--reviews",
        "reviews.json",
        "--last-pusher",
        "BOB",
        "--mapping",
        "mapping.json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(approvers(&stdout), "alice@example.com");
    assert!(
        stderr.contains("bob wrote or pushed the change"),
        "{stderr}"
    );
}

#[test]
fn approval_script_fails_closed_when_the_last_pusher_is_unknown() {
    let script = Script::new("no-pusher");
    // Only a push of another commit: who pushed the head is unknown.
    script.put("activity.json", &json!([
        {"activity_type": "push", "after": OLD, "ref": "refs/heads/feature", "actor": {"login": "bob"}},
    ]).to_string());
    let (code, stdout, stderr) = script.verify(&json!([review(
        1,
        "alice",
        "APPROVED",
        HEAD,
        "2026-01-01T10:01:00Z"
    )]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(approvers(&stdout), "");
    assert!(
        stderr.contains("::warning::cannot tell who pushed the head commit"),
        "{stderr}"
    );
}

#[test]
fn approval_script_names_the_author_for_plans_from_the_event_payload() {
    let script = Script::new("author");
    script.put(
        "event.json",
        &json!({"action": "synchronize", "pull_request": pull()}).to_string(),
    );
    let (code, stdout, stderr) = script.run(&[
        "--pull",
        "event.json",
        "--mapping",
        "mapping.json",
        "--author-only",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "JIT_CHANGE_AUTHOR=author@example.com\n");
}

#[test]
fn approval_script_rejects_bad_input_with_exit_code_2() {
    let script = Script::new("bad");
    script.put("reviews.json", "[]");
    let mut open = pull();
    open["merged"] = json!(false);
    open["merged_at"] = Value::Null;
    script.put("open.json", &open.to_string());
    let (code, _, stderr) = script.run(&[
        "--pull",
        "open.json",
        "--reviews",
        "reviews.json",
        "--last-pusher",
        "x",
        "--mapping",
        "mapping.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("::error::verified-approvers: the pull request is not merged"),
        "{stderr}"
    );

    script.put(
        "comma.json",
        &json!({"alice": "a@example.com,b@example.com"}).to_string(),
    );
    let (code, _, stderr) = script.run(&[
        "--pull",
        "pull.json",
        "--mapping",
        "comma.json",
        "--author-only",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("may not contain a comma"), "{stderr}");

    script.put("broken.json", "[{");
    let (code, _, stderr) = script.run(&[
        "--pull",
        "pull.json",
        "--reviews",
        "broken.json",
        "--last-pusher",
        "x",
        "--mapping",
        "mapping.json",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("broken.json is not JSON"), "{stderr}");
}

// ------------------------------------------ the checks catch broken examples

#[test]
fn broken_examples_are_reported_by_fmt_and_validate() {
    let root = std::env::temp_dir().join(format!("broken-examples-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let example = root.join("examples/resources/jit_iam_env_group");
    std::fs::create_dir_all(&example).unwrap();
    // Badly aligned, and an argument the schema does not have.
    std::fs::write(
        example.join("resource.tf"),
        "resource \"jit_iam_env_group\" \"g\" {\n  name_prefix = \"hera\"\n  environment = \"prod\"\n  role = \"infra-manager\"\n  colour = \"blue\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        example.join("import.sh"),
        "terraform import jit_iam_env_group.other hera-prod-infra-manager\n",
    )
    .unwrap();

    let fmt = examples::fmt_problems(&root);
    assert_eq!(fmt.len(), 1, "{fmt:#?}");
    assert!(fmt[0]
        .starts_with("examples/resources/jit_iam_env_group: `terraform fmt -check` wants changes"));

    let problems = examples::validate_problems(&root, TfVersion::Latest);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("`terraform validate` failed on 1.15.5"),
        "{}",
        problems[0]
    );
    assert!(problems[0].contains("colour"), "{}", problems[0]);

    // Fixed, plus an `import {}` file: validated on 1.15.5, left out on 1.0.3.
    std::fs::write(
        example.join("resource.tf"),
        "resource \"jit_iam_env_group\" \"g\" {\n  name_prefix = \"hera\"\n  environment = \"prod\"\n  role        = \"infra-manager\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        example.join("import-by-string-id.tf"),
        "import {\n  to = jit_iam_env_group.g\n  id = \"hera-prod-infra-manager\"\n}\n",
    )
    .unwrap();
    for version in [TfVersion::Latest, TfVersion::Oldest] {
        let problems = examples::validate_problems(&root, version);
        assert!(problems.is_empty(), "{}: {problems:#?}", version.as_str());
    }
    let _ = std::fs::remove_dir_all(&root);
}
