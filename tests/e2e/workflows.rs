//! The GitHub Actions example (`examples/ci/github-actions`): the workflows
//! are wired as the CI workflow guide says, pass zizmor (offline) and the
//! GitHub workflow schema, and their scripts do what they promise, run
//! offline on fixtures:
//! - [`approvals`]: `verified-approvers.py` (who wrote, pushed and approved);
//! - [`config_guard`]: `check-config.py` (providers, provisioners, `external`),
//!   with real Terraform's `terraform providers` as the oracle;
//! - [`batch`]: `check-batch.py` (merge-queue groups);
//! - [`plan_comment`]: `plan-comment.py` on recorded `plan -json` output of
//!   both Terraform versions.

mod approvals;
mod batch;
mod config_guard;
mod plan_comment;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use tests::docgen::{self, Kind};
use tests::examples::{repo_root, venv_python};
use tf_provider::schema::{Block, NestedBlock};

/// The example, relative to the repository root.
const CI_DIR: &str = "examples/ci/github-actions";

/// Where the example's files go in a repository that uses them.
const INSTALLED: [(&str, &str); 7] = [
    ("plan.yml", ".github/workflows/jit-plan.yml"),
    ("apply.yml", ".github/workflows/jit-apply.yml"),
    ("scripts/", ".github/scripts/"),
    ("jit-approvers.json", ".github/jit-approvers.json"),
    ("CODEOWNERS", ".github/CODEOWNERS"),
    ("grant-policy.json", "access/policy/grant-policy.json"),
    ("README.md", "(documentation)"),
];

fn ci(path: &str) -> PathBuf {
    repo_root().join(CI_DIR).join(path)
}

/// Recorded and hand-written inputs of the script tests.
fn fixture(path: &str) -> PathBuf {
    repo_root().join("tests/e2e/workflows/fixtures").join(path)
}

fn text(name: &str) -> String {
    std::fs::read_to_string(ci(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A scratch directory for one test, removed when the test passes.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("jit-workflows-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn put(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    fn put_json(&self, name: &str, value: &Value) -> PathBuf {
        self.put(name, &value.to_string())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Exit code, stdout and stderr of a process.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(command: &mut Command) -> Self {
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("{command:?} runs (bash scripts/setup.sh): {e}"));
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs one of the example's scripts (standard library only, as on a
/// GitHub runner) with `args`, in `cwd`.
fn script(name: &str, args: &[&str], cwd: &Path) -> Run {
    Run::of(
        Command::new(venv_python())
            .arg("-I") // isolated: no site-packages, so no dependency can sneak in
            .arg(ci(&format!("scripts/{name}")))
            .args(args)
            .current_dir(cwd),
    )
}

// ------------------------------------------------------------- workflows

/// Every workflow under `examples/` (any `*.yml`/`*.yaml` holding `on:` and
/// `jobs:`), relative to the repository root.
fn example_workflows() -> Vec<PathBuf> {
    let root = repo_root();
    let mut found = Vec::new();
    let mut stack = vec![root.join("examples")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".yml") || name.ends_with(".yaml") {
                let parsed = yaml(&path);
                if parsed.get("on").is_some() && parsed.get("jobs").is_some() {
                    found.push(path.strip_prefix(&root).unwrap().to_path_buf());
                }
            }
        }
    }
    found.sort();
    found
}

/// A YAML file as JSON, parsed by PyYAML (YAML 1.1 reads the key `on` as
/// `true`: it is put back as `"on"`).
fn yaml(path: &Path) -> Value {
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
    let run = Run::of(Command::new(venv_python()).args(["-c", TO_JSON]).arg(path));
    assert_eq!(
        run.code,
        0,
        "{} is not valid YAML:\n{}",
        path.display(),
        run.stderr
    );
    serde_json::from_str(&run.stdout).expect("JSON from PyYAML")
}

fn workflow(name: &str) -> Value {
    yaml(&ci(name))
}

fn steps(workflow: &Value, job: &str) -> Vec<Value> {
    workflow["jobs"][job]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("job `{job}` has no steps"))
}

fn body(step: &Value) -> String {
    format!(
        "{} {}",
        step["run"].as_str().unwrap_or_default(),
        step["uses"].as_str().unwrap_or_default()
    )
}

/// Index of the first step whose `run` (or `uses`) contains every needle.
fn step_index(steps: &[Value], needles: &[&str]) -> usize {
    steps
        .iter()
        .position(|step| needles.iter().all(|n| body(step).contains(n)))
        .unwrap_or_else(|| panic!("no step with {needles:?}"))
}

fn step_named<'a>(steps: &'a [Value], name: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step named `{name}`"))
}

fn tool(name: &str) -> PathBuf {
    let path = repo_root().join(".tools/venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `bash scripts/setup.sh`",
        path.display()
    );
    path
}

#[test]
fn plan_workflow_plans_pull_requests_read_only_and_posts_the_effects_first() {
    let plan = workflow("plan.yml");
    let raw = text("plan.yml");
    assert_eq!(
        plan["on"]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["pull_request".to_string()]),
        "{plan:#}"
    );
    assert_eq!(plan["permissions"], json!({}));
    let job = &plan["jobs"]["plan"];
    assert_eq!(
        job["permissions"],
        json!({"contents": "read", "pull-requests": "write", "id-token": "write"})
    );
    assert!(
        job.get("environment").is_none(),
        "the plan job must not reach the apply environment"
    );
    for forbidden in [
        "JIT_REQUIRE_VERIFIED_APPROVALS",
        "JIT_VERIFIED_APPROVERS",
        "JIT_APPLY_ROLE_ARN",
        "jit-apply",
        "pull_request_target",
    ] {
        assert!(!raw.contains(forbidden), "plan.yml mentions `{forbidden}`");
    }
    assert_eq!(
        job["env"]["JIT_COMMIT_SHA"],
        "${{ github.event.pull_request.head.sha }}"
    );
    assert!(job["env"]["JIT_CI_RUN"]
        .as_str()
        .unwrap()
        .ends_with("/actions/runs/${{ github.run_id }}"));

    let steps = steps(&plan, "plan");
    let authors = step_index(
        &steps,
        &[
            "pulls/$PR/commits",
            "--paginate",
            "/activity",
            "verified-approvers.py",
            "--author-only",
            "--commits",
            "--activity",
            "GITHUB_ENV",
        ],
    );
    let policy = step_index(
        &steps,
        &["git show \"$BASE:$GRANT_POLICY\"", "JIT_GRANT_POLICY_FILE="],
    );
    assert_eq!(
        step_named(&steps, "Take the grant policy from the base branch")["env"]["BASE"],
        "${{ github.event.pull_request.base.sha }}"
    );
    let credentials = step_index(&steps, &["aws-actions/configure-aws-credentials"]);
    let with = &steps[credentials]["with"];
    assert_eq!(with["role-to-assume"], "${{ vars.JIT_PLAN_ROLE_ARN }}");
    let session = with["role-session-name"].as_str().unwrap();
    assert!(
        session.contains("${{ github.event.pull_request.number }}")
            && session.contains("${{ github.run_id }}"),
        "{session}"
    );
    let run_plan = step_index(
        &steps,
        &[
            "terraform",
            " plan ",
            "-json",
            "-out=\"$RUNNER_TEMP/tfplan\"",
            "plan.jsonl",
        ],
    );
    let comment = step_index(
        &steps,
        &[
            "plan-comment.py",
            "--log \"$RUNNER_TEMP/plan.jsonl\"",
            "--change-ref",
            "GITHUB_STEP_SUMMARY",
        ],
    );
    let post = step_index(
        &steps,
        &[
            "<!-- jit-plan -->",
            "issues/$PR/comments",
            "-X PATCH",
            "-X POST",
        ],
    );
    let fail = steps
        .iter()
        .position(|s| s["if"] == "steps.plan.outputs.exitcode != '0'")
        .expect("a step fails the job after a failed plan");
    assert!(authors < run_plan && policy < run_plan && credentials < run_plan);
    assert!(run_plan < comment && comment < post && post < fail);
    // The plan step records its exit code instead of failing, so the plan is
    // posted even when it fails; the saved plan gives text and JSON.
    assert_eq!(steps[run_plan]["id"], "plan");
    let plan_run = steps[run_plan]["run"].as_str().unwrap();
    assert!(plan_run.contains("set +e"));
    assert!(plan_run.contains("show -json \"$RUNNER_TEMP/tfplan\" > \"$RUNNER_TEMP/plan.json\""));
    assert!(plan_run.contains("show -no-color \"$RUNNER_TEMP/tfplan\" > \"$RUNNER_TEMP/plan.txt\""));
    assert!(steps[post].get("if").is_none() && steps[comment].get("if").is_none());
}

#[test]
fn apply_workflow_guards_verifies_and_applies_the_checked_plan() {
    let apply = workflow("apply.yml");
    let raw = text("apply.yml");
    assert_eq!(
        apply["on"],
        json!({"push": {"branches": ["main"]}, "merge_group": {"types": ["checks_requested"]}})
    );
    assert_eq!(apply["permissions"], json!({}));
    assert_eq!(
        apply["concurrency"],
        json!({"group": "jit-apply", "cancel-in-progress": false})
    );
    let job = &apply["jobs"]["apply"];
    assert_eq!(
        job["permissions"],
        json!({"contents": "read", "pull-requests": "read", "id-token": "write"})
    );
    assert_eq!(job["environment"], "jit-apply");
    let env = &job["env"];
    assert_eq!(env["JIT_REQUIRE_VERIFIED_APPROVALS"], "1");
    assert_eq!(env["JIT_COMMIT_SHA"], "${{ github.sha }}");
    assert!(env["JIT_CI_RUN"]
        .as_str()
        .unwrap()
        .ends_with("/actions/runs/${{ github.run_id }}"));
    assert!(env["JIT_APPLIED_BY"].is_string());
    for forbidden in [
        "JIT_PLAN_ROLE_ARN",
        "pull_request_target",
        "cancel-in-progress: true",
        "-auto-approve",
    ] {
        assert!(!raw.contains(forbidden), "apply.yml mentions `{forbidden}`");
    }

    let steps = steps(&apply, "apply");
    let guard = step_index(
        &steps,
        &["check-config.py", "--root .", "--allow", "\"$TF_DIR\""],
    );
    assert!(!body(&steps[guard]).contains("--terraform-providers"));
    let find_pull = step_index(
        &steps,
        &[
            "commits/$GITHUB_SHA/pulls",
            "merge_commit_sha",
            "gh-readonly-queue",
        ],
    );
    let verify = step_index(
        &steps,
        &[
            "pulls/$PR/reviews",
            "pulls/$PR/commits",
            "--paginate",
            "/activity",
            "verified-approvers.py",
            "--merge-group",
            "--commits",
            "--reviews",
            "--activity",
            "--mapping .github/jit-approvers.json",
            ">> \"$GITHUB_ENV\"",
        ],
    );
    // No pull request found: nobody is verified, explicitly.
    assert!(body(&steps[verify]).contains("JIT_VERIFIED_APPROVERS=\" >> \"$GITHUB_ENV\""));
    let policy = step_index(
        &steps,
        &[
            "git show \"$BEFORE:$GRANT_POLICY\"",
            "JIT_GRANT_POLICY_FILE=",
        ],
    );
    assert_eq!(
        steps[policy]["env"]["BEFORE"],
        "${{ github.event_name == 'merge_group' && github.event.merge_group.base_sha || github.event.before }}"
    );
    let credentials = step_index(&steps, &["aws-actions/configure-aws-credentials"]);
    let with = &steps[credentials]["with"];
    assert_eq!(with["role-to-assume"], "${{ vars.JIT_APPLY_ROLE_ARN }}");
    let session = with["role-session-name"].as_str().unwrap();
    assert!(
        session.contains("steps.pull.outputs.number") && session.contains("${{ github.run_id }}"),
        "{session}"
    );
    let init = step_index(&steps, &["terraform", " init "]);
    let resolved = step_index(
        &steps,
        &[
            "terraform -chdir=\"$TF_DIR\" providers",
            "check-config.py",
            "--terraform-providers",
        ],
    );
    // After `init`, `.terraform` exists: this check reads Terraform's output only.
    assert!(!body(&steps[resolved]).contains("--root"));
    let run_plan = step_index(
        &steps,
        &[
            "terraform",
            " plan ",
            "-out=\"$RUNNER_TEMP/tfplan\"",
            "show -json",
        ],
    );
    let batch = step_index(
        &steps,
        &[
            "check-batch.py",
            "--merge-group",
            "--plan \"$RUNNER_TEMP/plan.json\"",
            "--change-ref",
        ],
    );
    let run_apply = step_index(&steps, &["terraform", " apply ", "\"$RUNNER_TEMP/tfplan\""]);
    // Nothing the pull request wrote runs before the guard, no credentials
    // before the approvals and the policy are settled, the plan that is
    // applied is the plan that was checked.
    assert!(
        guard < find_pull && guard < credentials,
        "the guard runs before any credentials"
    );
    assert!(find_pull < verify && verify < credentials && policy < credentials);
    assert!(credentials < init && init < resolved && resolved < run_plan);
    assert!(run_plan < batch && batch < run_apply);
    let keep_log = step_index(&steps, &["actions/upload-artifact"]);
    assert_eq!(steps[keep_log]["if"], "always()");
}

/// Runs a step's `run` script with bash, as the runner would, in `cwd`.
fn run_step(step: &Value, cwd: &Path, env: &[(&str, &str)]) -> Run {
    let script = step["run"].as_str().expect("a run step");
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(cwd);
    for (key, value) in env {
        command.env(key, value);
    }
    Run::of(&mut command)
}

#[test]
fn apply_takes_the_grant_policy_from_the_commit_before_the_change() {
    let scratch = Scratch::new("policy");
    let repo = scratch.path("repo");
    std::fs::create_dir_all(repo.join("access/policy")).unwrap();
    let git = |args: &[&str]| {
        let run = Run::of(
            Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@example.com",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(&repo),
        );
        assert_eq!(run.code, 0, "git {args:?}: {}", run.stderr);
        run.stdout.trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "root"]);
    let empty = git(&["rev-parse", "HEAD"]);
    std::fs::write(
        repo.join("access/policy/grant-policy.json"),
        "{\"default_risk\": \"high\"}\n",
    )
    .unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "policy"]);
    let before = git(&["rev-parse", "HEAD"]);
    // The change loosens the policy for its own grants.
    std::fs::write(
        repo.join("access/policy/grant-policy.json"),
        "{\"default_risk\": \"low\"}\n",
    )
    .unwrap();
    git(&["commit", "-q", "-am", "change"]);
    git(&["checkout", "-q", "-b", "elsewhere", &empty]);
    git(&["commit", "-q", "--allow-empty", "-m", "not in main"]);
    let unrelated = git(&["rev-parse", "HEAD"]);
    git(&["checkout", "-q", "main"]);

    let apply = workflow("apply.yml");
    let step = step_named(
        &steps(&apply, "apply"),
        "Take the grant policy from before the change",
    )
    .clone();
    let temp = scratch.path("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let github_env = scratch.path("github-env");
    let run = |before: &str| {
        let _ = std::fs::remove_file(&github_env);
        let _ = std::fs::remove_file(temp.join("grant-policy.json"));
        run_step(
            &step,
            &repo,
            &[
                ("BEFORE", before),
                ("GRANT_POLICY", "access/policy/grant-policy.json"),
                ("RUNNER_TEMP", temp.to_str().unwrap()),
                ("GITHUB_ENV", github_env.to_str().unwrap()),
                ("GITHUB_SHA", "HEAD"),
            ],
        )
    };

    let ok = run(&before);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(
        std::fs::read_to_string(temp.join("grant-policy.json")).unwrap(),
        "{\"default_risk\": \"high\"}\n",
        "the policy before the change, not the change's own"
    );
    assert_eq!(
        std::fs::read_to_string(&github_env).unwrap(),
        format!(
            "JIT_GRANT_POLICY_FILE={}/grant-policy.json\n",
            temp.display()
        )
    );

    // Fail closed: no policy before the change, a commit outside the
    // history, the all-zero `before` of a new branch.
    for (before, message) in [
        (empty.as_str(), "does not exist before this change"),
        (unrelated.as_str(), "is not in the history"),
        (
            "0000000000000000000000000000000000000000",
            "is not in the history",
        ),
        ("", "is not in the history"),
    ] {
        let refused = run(before);
        assert_eq!(refused.code, 1, "{before}: {refused:?}");
        assert!(refused.stdout.contains(message), "{before}: {refused:?}");
        assert!(
            !github_env.exists(),
            "{before}: JIT_GRANT_POLICY_FILE must not be set"
        );
    }
}

#[test]
fn apply_names_the_last_pull_request_of_a_merge_group() {
    let scratch = Scratch::new("queue");
    let apply = workflow("apply.yml");
    let step = step_named(&steps(&apply, "apply"), "Find the pull request").clone();
    let output = scratch.path("github-output");
    let sha = "0123456789abcdef0123456789abcdef01234567";
    for (queue_ref, number) in [
        (
            format!("refs/heads/gh-readonly-queue/main/pr-42-{sha}"),
            "42",
        ),
        (
            format!("refs/heads/gh-readonly-queue/release/v1/pr-7-{sha}"),
            "7",
        ),
        (format!("refs/heads/feature/pr-42-{sha}"), ""),
        ("refs/heads/gh-readonly-queue/main/pr-42".to_string(), ""),
    ] {
        let _ = std::fs::remove_file(&output);
        let run = run_step(
            &step,
            &scratch.dir,
            &[
                ("GITHUB_EVENT_NAME", "merge_group"),
                ("QUEUE_REF", &queue_ref),
                ("GITHUB_OUTPUT", output.to_str().unwrap()),
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            format!("number={number}\n"),
            "{queue_ref}"
        );
    }
}

#[test]
fn every_example_workflow_pins_actions_by_commit_and_drops_checkout_credentials() {
    let workflows = example_workflows();
    for expected in ["plan.yml", "apply.yml"] {
        assert!(
            workflows.contains(&Path::new(CI_DIR).join(expected)),
            "{workflows:?}"
        );
    }
    let pinned = pinned_by_commit();
    for path in &workflows {
        let parsed = yaml(&repo_root().join(path));
        let raw = std::fs::read_to_string(repo_root().join(path)).unwrap();
        for line in raw
            .lines()
            .filter(|l| l.trim_start().trim_start_matches("- ").starts_with("uses:"))
        {
            let uses = line
                .trim_start()
                .trim_start_matches("- ")
                .trim_start_matches("uses:")
                .trim();
            assert!(
                pinned(uses),
                "{}: `{uses}` is not pinned as `owner/repo@<40 hex> # vX.Y.Z`",
                path.display()
            );
        }
        for (job_name, job) in parsed["jobs"].as_object().unwrap() {
            assert!(
                job.get("permissions").is_some() || parsed.get("permissions").is_some(),
                "{}: job `{job_name}` has no permissions",
                path.display()
            );
            for step in job["steps"].as_array().into_iter().flatten() {
                if step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/checkout@"))
                {
                    assert_eq!(
                        step["with"]["persist-credentials"],
                        json!(false),
                        "{}: job `{job_name}` keeps checkout credentials",
                        path.display()
                    );
                }
            }
        }
    }
}

/// `owner/repo[/path]@<40 hex> # v1.2.3` (the release tag, `v4` or
/// `v4.0.1`; a local `./action` is fine too).
fn pinned_by_commit() -> impl Fn(&str) -> bool {
    |uses: &str| {
        if uses.starts_with("./") {
            return true;
        }
        let Some((action, rest)) = uses.split_once('@') else {
            return false;
        };
        let Some((sha, comment)) = rest.split_once(" # ") else {
            return false;
        };
        let Some(version) = comment.trim().strip_prefix('v') else {
            return false;
        };
        action.split('/').count() >= 2
            && sha.len() == 40
            && sha
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
            && version
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    }
}

fn zizmor(paths: &[PathBuf]) -> Vec<Value> {
    let run = Run::of(
        Command::new(tool("zizmor"))
            .args([
                "--offline",
                "--no-config",
                "--format",
                "json",
                "--no-progress",
            ])
            .args(paths)
            .current_dir(repo_root()),
    );
    // Exit codes: 0 clean, 10+ findings; anything else is zizmor failing.
    assert!(run.code == 0 || run.code >= 10, "zizmor failed:\n{run:?}");
    serde_json::from_str::<Vec<Value>>(&run.stdout)
        .unwrap_or_else(|e| panic!("zizmor JSON: {e}\n{run:?}"))
}

#[test]
fn every_example_workflow_has_no_zizmor_finding() {
    let findings = zizmor(&example_workflows());
    let shown: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} ({}): {}",
                f["ident"], f["determinations"]["severity"], f["locations"][0]["symbolic"]["key"]
            )
        })
        .collect();
    assert!(
        findings.is_empty(),
        "zizmor --offline findings:\n{}",
        shown.join("\n")
    );
}

#[test]
fn zizmor_reports_what_the_examples_avoid() {
    // The same shape as the examples with the two classic mistakes: the
    // check would see them, so its silence on the examples means something.
    let scratch = Scratch::new("zizmor");
    let bad = scratch.put(
        "bad.yml",
        "name: bad\non:\n  push:\npermissions:\n  contents: read\njobs:\n  build:\n    name: build\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo \"${{ github.event.head_commit.message }}\"\n",
    );
    let idents: BTreeSet<String> = zizmor(&[bad])
        .iter()
        .map(|f| f["ident"].as_str().unwrap().to_string())
        .collect();
    for expected in ["unpinned-uses", "artipacked", "template-injection"] {
        assert!(idents.contains(expected), "{idents:?}");
    }
}

#[test]
fn every_example_workflow_matches_the_github_workflow_schema() {
    let workflows = example_workflows();
    let run = Run::of(
        Command::new(tool("check-jsonschema"))
            .args(["--builtin-schema", "vendor.github-workflows"])
            .args(&workflows)
            .current_dir(repo_root()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    // A broken workflow is caught.
    let scratch = Scratch::new("schema");
    let bad = scratch.put("bad.yml", "name: bad\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        permissions: write-all\n");
    let run = Run::of(
        Command::new(tool("check-jsonschema"))
            .args(["--builtin-schema", "vendor.github-workflows"])
            .arg(bad),
    );
    assert_ne!(run.code, 0, "{run:?}");
}

#[test]
fn codeowners_protect_everything_the_apply_trusts() {
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
    let protects = |path: &str| owned.iter().any(|o| format!("/{path}").starts_with(o));
    for (from, to) in INSTALLED {
        assert!(ci(from).exists(), "{from}");
        if to.starts_with('.') || to.starts_with("access/") {
            assert!(
                protects(to),
                "CODEOWNERS does not protect `{to}`: {owned:?}"
            );
        }
    }
    // The files the workflows read are the ones CODEOWNERS protects.
    for name in ["plan.yml", "apply.yml"] {
        let raw = text(name);
        let parsed = workflow(name);
        let policy = parsed["env"]["GRANT_POLICY"].as_str().unwrap();
        assert_eq!(policy, "access/policy/grant-policy.json");
        assert!(protects(policy), "{policy}");
        for script in [
            "verified-approvers.py",
            "check-config.py",
            "check-batch.py",
            "plan-comment.py",
        ] {
            if raw.contains(script) {
                assert!(
                    raw.contains(&format!(".github/scripts/{script}")),
                    "{name}: {script}"
                );
                assert!(ci(&format!("scripts/{script}")).is_file(), "{script}");
            }
        }
        assert!(raw.contains(".github/jit-approvers.json"), "{name}");
    }
    let mapping: Value =
        serde_json::from_str(&text("jit-approvers.json")).expect("mapping is JSON");
    let mapping = mapping.as_object().expect("mapping is an object");
    assert!(!mapping.is_empty());
    assert!(mapping.values().all(|v| v
        .as_str()
        .is_some_and(|s| !s.is_empty() && !s.contains(','))));
}

/// Argument names of a block: attributes and nested blocks.
fn argument_names(block: &Block) -> BTreeSet<String> {
    block
        .attributes
        .keys()
        .chain(block.blocks.keys())
        .cloned()
        .collect()
}

fn nested(block: &Block, name: &str) -> Block {
    match block
        .blocks
        .get(name)
        .unwrap_or_else(|| panic!("no block `{name}`"))
    {
        NestedBlock::Single(b)
        | NestedBlock::List(b)
        | NestedBlock::Set(b)
        | NestedBlock::Map(b)
        | NestedBlock::Group(b)
        | NestedBlock::Optional(b) => b.clone(),
    }
}

#[test]
fn grant_policy_example_uses_the_provider_argument_names() {
    let provider = docgen::catalog()
        .expect("schema")
        .into_iter()
        .find(|e| e.kind == Kind::Provider)
        .expect("provider schema");
    let policy_block = nested(&provider.schema.block, "grant_policy");
    let set_block = nested(&policy_block, "permission_set");
    let example: Value =
        serde_json::from_str(&text("grant-policy.json")).expect("the example policy is JSON");
    let keys: BTreeSet<String> = example.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        argument_names(&policy_block),
        "the example should show every argument of `grant_policy`"
    );
    let sets = example["permission_set"]
        .as_array()
        .expect("`permission_set` is an array");
    assert!(sets.iter().any(|s| s["risk"] == "high") && sets.iter().any(|s| s["risk"] == "low"));
    for set in sets {
        let keys: BTreeSet<String> = set
            .as_object()
            .expect("a permission set is an object")
            .keys()
            .cloned()
            .collect();
        assert!(
            keys.is_subset(&argument_names(&set_block)),
            "{keys:?} vs {:?}",
            argument_names(&set_block)
        );
        assert!(keys.contains("name") && keys.contains("risk"), "{set}");
    }
    // The approvers it names can approve: they are in the mapping.
    let mapping: Value = serde_json::from_str(&text("jit-approvers.json")).unwrap();
    let mapped: BTreeSet<&str> = mapping
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_str)
        .collect();
    for approver in sets
        .iter()
        .flat_map(|s| s["approvers"].as_array().cloned().unwrap_or_default())
    {
        assert!(
            mapped.contains(approver.as_str().unwrap()),
            "{approver} is not in jit-approvers.json"
        );
    }
}
