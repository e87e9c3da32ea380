//! `modules/env-access` and `environments/{dev,staging,prod}` end to end, on
//! Terraform 1.15.5 (the module needs >= 1.3). Each environment is copied
//! into the case directory as it is committed; the provider is pointed at the
//! emulator with a Terraform override file, `provider_override.tf`.

use std::path::Path;

use serde_json::{json, Map, Value};
use tests::tftest_latest;
use tests::tools::tools;

use super::*;

/// The committed module source line of every environment.
const MODULE_SOURCE: &str = "source = \"../../modules/env-access\"";

fn copy_files(from: &Path, to: &Path, rename: impl Fn(&str) -> Option<String>) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if let Some(target) = rename(&name) {
            std::fs::copy(&path, to.join(target)).unwrap();
        }
    }
}

/// The environment's files (with `terraform.tfvars.example` as
/// `terraform.tfvars`) and the module, laid out so that the module source
/// resolves; then init.
fn set_up_environment(tf: &Tf, environment: &str) {
    let repo = &tools().repo;
    copy_files(
        &repo.join("modules/env-access"),
        &tf.dir.join("modules/env-access"),
        |name| name.ends_with(".tf").then(|| name.to_string()),
    );
    copy_files(
        &repo.join("environments").join(environment),
        &tf.dir,
        |name| match name {
            "terraform.tfvars.example" => Some("terraform.tfvars".to_string()),
            _ if name.ends_with(".tf") => Some(name.to_string()),
            _ => None,
        },
    );
    let main = std::fs::read_to_string(tf.dir.join("main.tf")).unwrap();
    assert_eq!(main.matches(MODULE_SOURCE).count(), 1, "module source line");
    tf.write(
        "main.tf",
        &main.replace(MODULE_SOURCE, "source = \"./modules/env-access\""),
    );
    tf.write(
        "provider_override.tf",
        &format!(
            "provider \"jit\" {{\n  endpoint_url = \"{}\"\n}}\n",
            tf.endpoint
        ),
    );
    tf.init();
}

fn user_address(name: &str) -> String {
    format!("module.env_access.jit_iam_env_user.this[\"{name}\"]")
}

/// The `users` variable rebuilt from state: applying it must change nothing.
fn users_from_state(tf: &Tf) -> Map<String, Value> {
    let state = tf.state();
    let mut users = Map::new();
    for module in state["values"]["root_module"]["child_modules"]
        .as_array()
        .unwrap()
    {
        for resource in module["resources"].as_array().unwrap() {
            if resource["type"] != "jit_iam_env_user" {
                continue;
            }
            let values = &resource["values"];
            users.insert(
                values["name"].as_str().unwrap().to_string(),
                json!({
                    "roles": values["roles"],
                    "console_access": values["console_access"],
                    "pgp_key": values["pgp_key"],
                }),
            );
        }
    }
    users
}

fn write_users(tf: &Tf, users: &Map<String, Value>) {
    tf.write(
        "users.auto.tfvars.json",
        &json!({ "users": users }).to_string(),
    );
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

/// Applies the environment's example, checks the outputs, then adds a user,
/// changes its role and removes it: each plan holds only that change.
fn environment_case(tf: &Tf, aws: &Aws, environment: &str, users: &[&str], console: &[&str]) {
    set_up_environment(tf, environment);
    tf.apply();
    tf.assert_plan_empty();

    let roles: Vec<&str> = match environment {
        "prod" => vec!["infra-manager", "infra-member", "security-engineer"],
        _ => vec![
            "developer",
            "infra-manager",
            "infra-member",
            "security-engineer",
        ],
    };
    let group_names = tf.output("group_names");
    let mut got: Vec<&str> = group_names
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    got.sort();
    assert_eq!(got, roles);
    assert_eq!(
        group_names["infra-manager"],
        format!("hera-{environment}-infra-manager").as_str()
    );
    let user_arns = tf.output("user_arns");
    assert_eq!(user_arns.as_object().unwrap().len(), users.len());
    for user in users {
        assert!(user_arns[*user]
            .as_str()
            .unwrap()
            .ends_with(&format!(":user/{user}")));
        assert!(!groups_of(aws, user).is_empty(), "{user} has no group");
    }
    assert_eq!(
        tf.output("console_login_url"),
        "https://123456789012.signin.aws.amazon.com/console"
    );
    let passwords = tf.output("encrypted_passwords");
    let mut with_password: Vec<&str> = passwords
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    with_password.sort();
    assert_eq!(with_password, console);
    for user in console {
        assert!(passwords[*user]["encrypted_password"].is_string());
    }
    // The example users are new: none has MFA yet, and nothing else is wrong.
    let review = tf.output("access_review");
    assert_eq!(review.as_array().unwrap().len(), users.len());
    for entry in review.as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        assert_eq!(
            entry["findings"],
            json!(["NO_MFA: no MFA device"]),
            "{name}"
        );
        assert_eq!(entry["console_access"], console.contains(&name), "{name}");
    }
    eprintln!(
        "access review of {environment}: {}",
        tf.output("access_review_findings")
    );

    // The users map rebuilt from state is the same configuration.
    let mut current = users_from_state(tf);
    write_users(tf, &current);
    tf.assert_plan_empty();

    // Add a user.
    let new_user = format!("{}-new", tf.prefix);
    current.insert(
        new_user.clone(),
        json!({ "roles": ["security-engineer"], "console_access": false }),
    );
    write_users(tf, &current);
    let plan = tf.plan_changes();
    assert_eq!(
        plan.actions(),
        vec![(user_address(&new_user), vec!["create".to_string()])]
    );
    tf.apply();
    assert_eq!(
        groups_of(aws, &new_user),
        vec![format!("hera-{environment}-security-engineer")]
    );
    tf.assert_plan_empty();

    // Change its role.
    current.insert(
        new_user.clone(),
        json!({ "roles": ["infra-member"], "console_access": false }),
    );
    write_users(tf, &current);
    let plan = tf.plan_changes();
    assert_eq!(
        plan.actions(),
        vec![(user_address(&new_user), vec!["update".to_string()])]
    );
    tf.apply();
    assert_eq!(
        groups_of(aws, &new_user),
        vec![format!("hera-{environment}-infra-member")]
    );
    tf.assert_plan_empty();

    // Remove it.
    current.remove(&new_user);
    write_users(tf, &current);
    let plan = tf.plan_changes();
    assert_eq!(
        plan.actions(),
        vec![(user_address(&new_user), vec!["delete".to_string()])]
    );
    tf.apply();
    assert!(aws
        .run(aws.iam().get_user().user_name(&new_user).send())
        .is_err());
    tf.assert_plan_empty();
}

tftest_latest!(env_access_dev, |tf, aws| {
    environment_case(tf, aws, "dev", &["alice", "bob"], &["alice", "bob"]);
});

tftest_latest!(env_access_staging, |tf, aws| {
    environment_case(
        tf,
        aws,
        "staging",
        &["alice", "bob", "sam"],
        &["alice", "bob", "sam"],
    );
});

tftest_latest!(env_access_prod, |tf, aws| {
    environment_case(tf, aws, "prod", &["alice", "sam"], &["alice", "sam"]);

    // Prod refuses developers and missing IP ranges at plan time.
    let mut users = users_from_state(tf);
    users.insert(
        "dev-person".to_string(),
        json!({ "roles": ["developer"], "console_access": false }),
    );
    write_users(tf, &users);
    let out = tf.plan_fails();
    assert!(out.all().contains("jit_grant"), "{}", out.all());
});

/// Every `variable` and `output` block of `text` has a description.
fn undescribed_blocks(text: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if !(line.starts_with("variable \"") || line.starts_with("output \"")) {
            continue;
        }
        let end = lines[start..]
            .iter()
            .position(|l| *l == "}")
            .map_or(lines.len(), |offset| start + offset);
        if !lines[start..end]
            .iter()
            .any(|l| l.trim_start().starts_with("description"))
        {
            missing.push(trimmed.to_string());
        }
    }
    missing
}

tftest_latest!(
    env_access_hcl_is_formatted_valid_and_described,
    |tf, _aws| {
        let repo = &tools().repo;
        let dirs = [
            "modules/env-access",
            "environments",
            "examples/resources/jit_iam_env_user",
            "examples/resources/jit_iam_env_group",
            "examples/data-sources/jit_access_review",
            "examples/data-sources/jit_role_policy",
        ];
        for dir in dirs {
            let path = repo.join(dir);
            let out = tf.run(&[
                "fmt",
                "-check",
                "-recursive",
                "-diff",
                path.to_str().unwrap(),
            ]);
            assert!(out.success(), "{dir} is not formatted:\n{}", out.all());
        }
        for dir in [
            "modules/env-access",
            "environments/dev",
            "environments/staging",
            "environments/prod",
        ] {
            for file in ["variables.tf", "outputs.tf"] {
                let text = std::fs::read_to_string(repo.join(dir).join(file)).unwrap();
                assert_eq!(
                    undescribed_blocks(&text),
                    Vec::<String>::new(),
                    "{dir}/{file}"
                );
            }
        }
        // `terraform validate` of every environment (with the module) and example.
        for environment in ["dev", "staging", "prod"] {
            let case = tf.sibling(environment);
            set_up_environment(&case, environment);
            case.ok(&["validate", "-no-color"]);
            std::fs::remove_dir_all(&case.dir).unwrap();
        }
        for example in [
            "examples/resources/jit_iam_env_user",
            "examples/resources/jit_iam_env_group",
            "examples/data-sources/jit_access_review",
            "examples/data-sources/jit_role_policy",
        ] {
            let case = tf.sibling(&example.replace('/', "-"));
            copy_files(&repo.join(example), &case.dir, |name| {
                name.ends_with(".tf").then(|| name.to_string())
            });
            case.write("provider.tf", &tf.provider(""));
            case.init();
            case.ok(&["validate", "-no-color"]);
            std::fs::remove_dir_all(&case.dir).unwrap();
        }
        let import =
            std::fs::read_to_string(repo.join("examples/resources/jit_iam_env_user/import.sh"))
                .unwrap();
        assert!(import.contains("terraform import jit_iam_env_user.alice alice"));
    }
);
