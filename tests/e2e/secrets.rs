//! Secrets never leave the provider in the clear (issue 12, item 9): every
//! console password `jit_iam_env_user` generates (at create, after a key
//! change and after the password was deleted outside Terraform) and the
//! provider's `assume_role.external_id` are searched for in the state, in
//! `terraform show -json` of every saved plan (`resource_changes`,
//! `planned_values`, `prior_state`: its `configuration` and `variables`
//! echo the literal HCL by Terraform's design), in every command's output
//! at `TF_LOG=trace` (Terraform's and the provider's logs) and in the audit
//! log: zero hits. The passwords are read by decrypting
//! `encrypted_password` with the test's own keys. `iam_env_user_lifecycle`
//! checks the first password against the apply's log; this case covers
//! every path and every place.

use super::iam_env_user::{decrypt, key_pair};
use super::*;
use pgp::composed::SignedSecretKey;
use tests::proxy::{Match, Proxy};
use tests::TfOutput;

/// The console password in state, decrypted with `key`.
fn password_of(tf: &Tf, key: &SignedSecretKey) -> String {
    let state = tf.resource("jit_iam_env_user.u");
    decrypt(key, state["encrypted_password"].as_str().unwrap())
}

/// The parts of a saved plan's JSON that must never hold a secret.
const PLAN_PARTS: [&str; 3] = ["resource_changes", "planned_values", "prior_state"];

/// Everything a secret could leak into, collected as the case runs.
#[derive(Default)]
struct Haystack {
    /// `(where, text)`.
    places: Vec<(String, String)>,
}

impl Haystack {
    fn add(&mut self, place: impl Into<String>, text: impl Into<String>) {
        self.places.push((place.into(), text.into()));
    }

    /// A run at `TF_LOG=trace`, asserting success; its output is searched.
    fn run(&mut self, tf: &Tf, args: &[&str]) -> TfOutput {
        let output = tf.run_env(args, &[("TF_LOG", "trace")]);
        assert!(
            output.success(),
            "`{}` failed:\n{}",
            output.command,
            output.all()
        );
        self.add(format!("output of `{}`", output.command), output.all());
        output
    }

    /// `show -json tfplan`: the plan parts of its JSON (not `configuration`
    /// and `variables`, which echo the HCL) and its log are searched.
    fn show_plan(&mut self, tf: &Tf) -> serde_json::Value {
        let shown = tf.run_env(&["show", "-json", "tfplan"], &[("TF_LOG", "trace")]);
        assert!(
            shown.success(),
            "`{}` failed:\n{}",
            shown.command,
            shown.all()
        );
        self.add(format!("log of `{}`", shown.command), shown.stderr);
        serde_json::from_str(&shown.stdout).unwrap()
    }

    /// `plan -out`, then the plan parts of `show -json`; returns the plan.
    fn plan(&mut self, tf: &Tf, step: &str) -> serde_json::Value {
        self.run(tf, &["plan", "-no-color", "-out=tfplan"]);
        let plan = self.show_plan(tf);
        for part in PLAN_PARTS {
            assert!(
                !plan[part].is_null() || part == "prior_state",
                "{step}: no `{part}` in the plan JSON"
            );
            self.add(format!("plan `{part}` ({step})"), plan[part].to_string());
        }
        plan
    }

    /// The state file, `show -json` of the state, and the audit log.
    fn state_and_audit(&mut self, tf: &Tf, step: &str) {
        self.add(format!("state file ({step})"), tf.state_file());
        let shown = self.run(tf, &["show", "-json"]);
        self.add(format!("`show -json` state ({step})"), shown.stdout);
        let audit = std::fs::read_to_string(tf.dir.join("audit.jsonl")).unwrap_or_default();
        self.add(format!("audit log ({step})"), audit);
    }

    /// Every place `secret` was found in, with the first line holding it
    /// (the secret masked, at most 300 characters).
    fn hits(&self, secret: &str) -> Vec<String> {
        self.places
            .iter()
            .filter_map(|(place, text)| {
                let line = text.lines().find(|line| line.contains(secret))?;
                let masked: String = line.replace(secret, "<SECRET>").chars().take(300).collect();
                Some(format!("{place}: {masked}"))
            })
            .collect()
    }
}

fn groups(tf: &Tf) -> String {
    format!(
        "\nresource \"jit_iam_env_group\" \"member\" {{\n  name_prefix = \"{}\"\n  environment = \"dev\"\n  role        = \"infra-member\"\n}}\n",
        tf.prefix
    )
}

fn user(tf: &Tf, name: &str, public_key: &str) -> String {
    format!(
        "\nresource \"jit_iam_env_user\" \"u\" {{\n  name           = \"{name}\"\n  name_prefix    = \"{}\"\n  environment    = \"dev\"\n  roles          = [\"infra-member\"]\n  console_access = true\n  pgp_key        = \"{public_key}\"\n  depends_on     = [jit_iam_env_group.member]\n}}\n",
        tf.prefix
    )
}

tftest!(secrets_never_in_state_plans_logs_or_audit, |tf, aws| {
    let proxy = Proxy::start(aws.endpoint.rsplit(':').next().unwrap().parse().unwrap());
    // Unique per case, so a hit can only be this provider's doing.
    let external_id = format!("ext-{}-{}", tf.prefix, std::process::id());
    let provider = tf
        .provider(&format!(
            "  assume_role {{\n    role_arn     = \"arn:aws:iam::123456789012:role/platform-apply\"\n    session_name = \"ci-apply\"\n    external_id  = \"{external_id}\"\n  }}"
        ))
        .replace(&tf.endpoint, &proxy.endpoint());
    let name = format!("{}-alice", tf.prefix);
    let (first_key, first_public) = key_pair();
    let (second_key, second_public) = key_pair();
    let mut hay = Haystack::default();
    let mut passwords = Vec::new();

    // 1. Create: the first password (CreateLoginProfile).
    tf.write_main(&[&provider, &groups(tf), &user(tf, &name, &first_public)]);
    tf.init();
    let plan = hay.plan(tf, "create");
    // The provider block's literal external id is in the plan's
    // `configuration` (Terraform's echo of the HCL, not searched): the
    // search would find it anywhere else.
    assert!(plan["configuration"].to_string().contains(&external_id));
    let applied = hay.run(tf, &["apply", "-auto-approve", "-no-color", "tfplan"]);
    assert!(
        applied.stderr.contains("creating console login profile"),
        "provider trace logging was not on"
    );
    passwords.push(password_of(tf, &first_key));
    hay.state_and_audit(tf, "after create");

    // 2. A new key: a new password (UpdateLoginProfile).
    tf.write_main(&[&provider, &groups(tf), &user(tf, &name, &second_public)]);
    hay.plan(tf, "key change");
    hay.run(tf, &["apply", "-auto-approve", "-no-color", "tfplan"]);
    passwords.push(password_of(tf, &second_key));
    hay.state_and_audit(tf, "after the key change");

    // 3. The console password deleted outside Terraform: planned back with
    // another new password (CreateLoginProfile again).
    aws.run(aws.iam().delete_login_profile().user_name(&name).send())
        .unwrap();
    hay.plan(tf, "password deleted outside");
    hay.run(tf, &["apply", "-auto-approve", "-no-color", "tfplan"]);
    passwords.push(password_of(tf, &second_key));
    hay.state_and_audit(tf, "after the password was set again");

    // A plan of the final state (prior_state holds the resources) and the
    // destroy.
    let last = tf.run_env(
        &["plan", "-no-color", "-out=tfplan", "-detailed-exitcode"],
        &[("TF_LOG", "trace")],
    );
    assert_eq!(last.code, 0, "{}", last.all());
    hay.add("output of the last plan", last.all());
    let plan = hay.show_plan(tf);
    for part in PLAN_PARTS {
        hay.add(format!("plan `{part}` (no change)"), plan[part].to_string());
    }
    assert!(plan["prior_state"]
        .to_string()
        .contains("encrypted_password"));
    hay.run(tf, &["destroy", "-auto-approve", "-no-color"]);
    hay.state_and_audit(tf, "after destroy");

    // Every call went through the assumed role, with the external id.
    assert!(
        proxy.count(&Match::op("AssumeRole")) >= 1,
        "{:?}",
        proxy.counts()
    );
    // Three distinct, real passwords, and the audit log recorded the user.
    assert_eq!(passwords.len(), 3);
    assert!(passwords.iter().all(|p| p.len() >= 24), "{passwords:?}");
    assert!(passwords[0] != passwords[1] && passwords[1] != passwords[2]);
    assert!(tf
        .audit_events()
        .iter()
        .any(|e| e["action"] == "iam_env_user.create"));

    let mut leaks = Vec::new();
    for (i, password) in passwords.iter().enumerate() {
        for place in hay.hits(password) {
            leaks.push(format!("password {} in {place}", i + 1));
        }
    }
    for place in hay.hits(&external_id) {
        leaks.push(format!("external id in {place}"));
    }
    eprintln!(
        "secrets: Terraform {}: {} secrets searched in {} places, {} hits",
        tf.version.as_str(),
        passwords.len() + 1,
        hay.places.len(),
        leaks.len()
    );
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
});
