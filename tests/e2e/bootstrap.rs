//! `examples/bootstrap` applied against moto with the pinned hashicorp/aws
//! (see `tests/src/aws_provider.rs`), on Terraform 1.15.5: the files are
//! copied as committed, the providers are pointed at the emulator with a
//! Terraform override file, and after the apply the roles AWS holds must
//! carry exactly the policies the data sources rendered.

use std::path::Path;

use serde_json::Value;
use tests::aws_provider::{aws_provider_mirror, cli_config, lock_file};
use tests::proxy::wire::decode;
use tests::tftest_latest;
use tests::tools::tools;

use super::*;

const INSTANCE_ARN: &str = "arn:aws:sso:::instance/ssoins-1111111111111111";
const REPOSITORY: &str = "example-org/access";

/// Points both providers at the emulator; everything else is the example's.
fn override_file(endpoint: &str) -> String {
    let services = ["iam", "scheduler", "sns", "sqs", "sts"]
        .iter()
        .map(|service| format!("    {service} = \"{endpoint}\"\n"))
        .collect::<String>();
    format!(
        "provider \"aws\" {{\n  access_key                  = \"testing\"\n  secret_key                  = \"testing\"\n  skip_credentials_validation = true\n  skip_metadata_api_check     = true\n  skip_requesting_account_id  = true\n\n  endpoints {{\n{services}  }}\n}}\n\nprovider \"jit\" {{\n  endpoint_url = \"{endpoint}\"\n}}\n"
    )
}

/// A policy document as IAM returns it (URL-encoded on the wire), parsed.
fn document(text: &str) -> Value {
    let text = if text.trim_start().starts_with('{') {
        text.to_string()
    } else {
        decode(text)
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("policy JSON ({e}): {text}"))
}

/// A `*_json` attribute of a data source in state, parsed.
fn rendered(data: &Value, attribute: &str) -> Value {
    let text = data[attribute]
        .as_str()
        .unwrap_or_else(|| panic!("{attribute} is not a string: {data:#}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{attribute} ({e}): {text}"))
}

/// A data source's attributes, from the state file itself (`show -json`
/// would start hashicorp/aws once more, several seconds each time).
fn data_source(state: &Value, kind: &str, name: &str) -> Value {
    state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["mode"] == "data" && r["type"] == kind && r["name"] == name)
        .map(|r| r["instances"][0]["attributes"].clone())
        .unwrap_or_else(|| panic!("data.{kind}.{name} not in state: {state:#}"))
}

/// The trust policy and the one inline policy of a role, as AWS holds them.
fn role_policies(aws: &Aws, role: &str, policy: &str) -> (Value, Value) {
    let got = aws
        .run(aws.iam().get_role().role_name(role).send())
        .unwrap_or_else(|e| panic!("GetRole {role}: {e:?}"));
    let trust = document(
        got.role()
            .and_then(|r| r.assume_role_policy_document())
            .unwrap_or_default(),
    );
    let names = aws
        .run(aws.iam().list_role_policies().role_name(role).send())
        .unwrap_or_else(|e| panic!("ListRolePolicies {role}: {e:?}"));
    assert_eq!(names.policy_names(), [policy], "inline policies of {role}");
    let attached = aws
        .run(
            aws.iam()
                .list_attached_role_policies()
                .role_name(role)
                .send(),
        )
        .unwrap_or_else(|e| panic!("ListAttachedRolePolicies {role}: {e:?}"));
    assert!(
        attached.attached_policies().is_empty(),
        "{role} has managed policies: {attached:?}"
    );
    let inline = aws
        .run(
            aws.iam()
                .get_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send(),
        )
        .unwrap_or_else(|e| panic!("GetRolePolicy {role}/{policy}: {e:?}"));
    (trust, document(inline.policy_document()))
}

fn role_exists(aws: &Aws, role: &str) -> bool {
    aws.run(aws.iam().get_role().role_name(role).send()).is_ok()
}

tftest_latest!(bootstrap_applies_against_moto, |tf, aws| {
    // No registry this project reaches serves hashicorp/aws: on a machine
    // without a copy the case cannot run, and says so instead of failing
    // the whole suite there.
    let mirror = match aws_provider_mirror() {
        Ok(mirror) => mirror,
        Err(why) => {
            eprintln!("bootstrap_applies_against_moto: NOT RUN: {why}");
            return;
        }
    };
    let example = tools().repo.join("examples/bootstrap");
    for entry in std::fs::read_dir(&example).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            tf.write(&name, &std::fs::read_to_string(&path).unwrap());
        }
    }
    tf.write("terraformrc", &cli_config(&mirror));
    tf.write(".terraform.lock.hcl", &lock_file());
    tf.write("moto_override.tf", &override_file(&tf.endpoint));
    tf.write(
        "terraform.tfvars",
        &format!(
            "region                       = \"eu-west-1\"\nidentity_center_instance_arn = \"{INSTANCE_ARN}\"\ngithub_repository            = \"{REPOSITORY}\"\nstate_bucket                 = \"example-org-terraform-state\"\nstate_key                    = \"access/terraform.tfstate\"\ntarget_account_ids           = [\"210987654321\"]\n"
        ),
    );
    let init = tf.init();
    assert!(
        Path::new(&tf.dir)
            .join(".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0")
            .is_dir(),
        "hashicorp/aws 5.100.0 not installed:\n{}",
        init.all()
    );
    tf.apply();

    // What the roles must hold: the data sources' output, as Terraform read it.
    let state: Value = serde_json::from_str(&tf.state_file()).expect("state file is JSON");
    let revoker = data_source(&state, "jit_revoker_role_policy", "this");
    let plan = data_source(&state, "jit_ci_role_policy", "plan");
    let apply = data_source(&state, "jit_ci_role_policy", "apply");
    for (role, policy, data) in [
        ("jit-revoker", "jit-revoker", &revoker),
        ("jit-plan", "jit-plan", &plan),
        ("jit-apply", "jit-apply", &apply),
    ] {
        let (trust, permissions) = role_policies(aws, role, policy);
        assert_eq!(
            trust,
            rendered(data, "trust_policy_json"),
            "trust policy of {role}"
        );
        assert_eq!(
            permissions,
            rendered(data, "permission_policy_json"),
            "permission policy of {role}"
        );
    }

    // The ARNs the policies were rendered with (built from names, so the
    // plan shows the policies in full) are those of what was created.
    let settings = &state["outputs"]["provider_settings"]["value"];
    assert_eq!(
        revoker["notification_topic_arn"], settings["notification_topic_arn"],
        "{settings:#}"
    );
    assert_eq!(
        revoker["expiry_dead_letter_queue_arn"], settings["expiry_dead_letter_queue_arn"],
        "{settings:#}"
    );
    assert_eq!(revoker["id"].as_str().unwrap_or_default(), {
        let group = aws
            .run(
                aws.clients
                    .scheduler
                    .get_schedule_group()
                    .name("jit-grants")
                    .send(),
            )
            .expect("schedule group exists");
        group.arn().unwrap_or_default().to_string()
    });
    let apply_policy = apply["permission_policy_json"].as_str().unwrap_or_default();
    for arn in [
        settings["revoker_role_arn"].as_str().unwrap_or_default(),
        settings["notification_topic_arn"]
            .as_str()
            .unwrap_or_default(),
    ] {
        assert!(
            !arn.is_empty() && apply_policy.contains(arn),
            "apply policy lacks {arn}: {apply_policy}"
        );
    }
    let oidc = &state["outputs"]["github_oidc_provider_arn"]["value"];
    let trust = apply["trust_policy_json"].as_str().unwrap_or_default();
    assert!(
        trust.contains(oidc.as_str().unwrap_or("?"))
            && trust.contains(&format!("repo:{REPOSITORY}:environment:jit-apply")),
        "{trust}"
    );
    let plan_trust = plan["trust_policy_json"].as_str().unwrap_or_default();
    assert!(
        plan_trust.contains(&format!("repo:{REPOSITORY}:pull_request")),
        "{plan_trust}"
    );

    // The policies AWS normalises come back equal: no perpetual diff.
    tf.assert_plan_empty();

    // No refresh: the plan just read everything (saves one start of the
    // 700 MB provider).
    tf.ok(&["destroy", "-auto-approve", "-refresh=false", "-no-color"]);
    for role in ["jit-revoker", "jit-plan", "jit-apply"] {
        assert!(!role_exists(aws, role), "{role} survived destroy");
    }
    let groups = aws
        .run(aws.clients.scheduler.list_schedule_groups().send())
        .expect("ListScheduleGroups");
    assert!(
        groups
            .schedule_groups()
            .iter()
            .all(|g| g.name() != Some("jit-grants")),
        "{groups:?}"
    );
});
