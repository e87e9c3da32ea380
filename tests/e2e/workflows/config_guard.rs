//! `check-config.py`: the apply job refuses, before any credentials, a
//! configuration that could run anything but the allowed providers. Each
//! refusal kind on its own fixture, the ways a pull request could hide one
//! (override file, JSON syntax with duplicate keys, a module elsewhere, a
//! committed plugin directory), what it cannot read, and clean configs that
//! pass (the repository's own among them). Real Terraform is the oracle for
//! which providers a configuration needs: `terraform providers` must name
//! exactly the providers the script found.

use super::*;

const JIT: &str = "registry.terraform.io/jit-access/jit";
const AWS: &str = "registry.terraform.io/hashicorp/aws";
const BUILTIN: &str = "terraform.io/builtin/terraform";

const REQUIRED: &str = "terraform {\n  required_providers {\n    jit = {\n      source  = \"jit-access/jit\"\n      version = \">= 0.1\"\n    }\n  }\n}\n";

const GRANT: &str = "resource \"jit_grant\" \"g\" {\n  principal      = \"alice@example.com\"\n  account_id     = \"123456789012\"\n  permission_set = \"JIT-ReadOnly\"\n  duration       = \"1h\"\n  reason         = \"Investigate the failing lifecycle rule\"\n  requested_by   = \"alice@example.com\"\n}\n";

/// Which Terraform versions can load a fixture, to compare with the
/// script's findings (`None`: Terraform cannot, or must not, load it).
#[derive(Clone, Copy, PartialEq)]
enum Oracle {
    Both,
    Latest,
    None,
}

struct Case {
    name: &'static str,
    /// Files relative to the repository root; the configuration is `access/`.
    files: Vec<(&'static str, String)>,
    /// Substrings of the problems expected; empty: the configuration passes.
    refused: &'static [&'static str],
    /// Providers the script reports (when it could read everything).
    providers: &'static [&'static str],
    oracle: Oracle,
}

fn case(
    name: &'static str,
    files: &[(&'static str, &str)],
    refused: &'static [&'static str],
    providers: &'static [&'static str],
    oracle: Oracle,
) -> Case {
    Case {
        name,
        files: files.iter().map(|(p, c)| (*p, c.to_string())).collect(),
        refused,
        providers,
        oracle,
    }
}

fn main_tf(body: &str) -> String {
    format!("{REQUIRED}\n{body}")
}

fn cases() -> Vec<Case> {
    let clean = main_tf(&format!(
        "{GRANT}
provider \"jit\" {{
  region = \"eu-west-1\"
}}

provider \"jit\" {{
  alias  = \"secondary\"
  region = \"eu-west-2\"
  grant_policy {{
    max_duration = \"1h\"
  }}
}}

# A comment that names resource \"aws_iam_user\" \"x\" {{}} is only a comment.
/* So is this:
resource \"aws_iam_user\" \"y\" {{
  provisioner \"local-exec\" {{}}
}}
*/

variable \"people\" {{
  description = \"Who gets read-only access.\"
  type        = map(object({{ account = string }}))
  default     = {{}}
  validation {{
    condition     = alltrue([for k, v in var.people : can(regex(\"^[0-9]{{12}}$\", v.account))])
    error_message = \"Accounts are 12 digits.\"
  }}
}}

locals {{
  reason = <<-EOT
    provisioner \"local-exec\" {{ command = \"id\" }} is text in a heredoc
    for ${{length(var.people)}} people, %{{ if true }}always%{{ endif }}
  EOT
  names  = \"${{join(\", \", keys(var.people))}}\"
  odd = {{ \"a\" = [1, 2, {{ b = \"}}\" }}], c = \"$${{not a template}}\" }}
}}

resource \"jit_grant\" \"each\" {{
  for_each       = var.people
  provider       = jit.secondary
  principal      = each.key
  account_id     = each.value.account
  permission_set = \"JIT-ReadOnly\"
  duration       = \"1h\"
  reason         = local.reason
  requested_by   = each.key
  lifecycle {{
    ignore_changes = [reason]
  }}
}}

module \"env\" {{
  source = \"../modules/env\"
  providers = {{
    jit = jit.secondary
  }}
}}

output \"ids\" {{
  description = \"Grant ids.\"
  value       = {{ for k, g in jit_grant.each : k => g.id }}
}}
"
    ));
    let module = format!("{REQUIRED}\nresource \"jit_user_block\" \"b\" {{\n  iam {{\n    user_name = \"mallory\"\n  }}\n  reason     = \"Account compromise\"\n  blocked_by = \"secops@example.com\"\n}}\n");
    // One `required_providers` per module (Terraform refuses two): jit and aws.
    let with_aws = |body: &str| {
        main_tf(body).replace(
            "  required_providers {\n",
            "  required_providers {\n    aws = {\n      source = \"hashicorp/aws\"\n    }\n",
        )
    };
    vec![
        case(
            "clean",
            &[("access/main.tf", &clean), ("access/terraform.tfvars", "people = {}\n"), ("modules/env/main.tf", &module), ("access/policy/grant-policy.json", "{}")],
            &[],
            &[JIT],
            Oracle::Both,
        ),
        case(
            "other_provider_resource",
            &[("access/main.tf", &main_tf(GRANT)), ("access/aws.tf", "resource \"aws_ssoadmin_account_assignment\" \"forever\" {\n  instance_arn = \"x\"\n}\n")],
            &["access/aws.tf:1: provider `registry.terraform.io/hashicorp/aws` is not in the allowlist"],
            &[AWS, JIT],
            Oracle::Both,
        ),
        case(
            "declared_but_unused",
            &[("access/main.tf", &with_aws(GRANT))],
            &["provider `registry.terraform.io/hashicorp/aws` is not in the allowlist"],
            &[AWS, JIT],
            Oracle::Both,
        ),
        case(
            "another_source_under_the_jit_name",
            &[("access/main.tf", &main_tf(GRANT).replace("jit-access/jit", "evil-corp/jit"))],
            &["provider `registry.terraform.io/evil-corp/jit` is not in the allowlist"],
            &["registry.terraform.io/evil-corp/jit"],
            Oracle::Both,
        ),
        case(
            "override_file",
            &[
                ("access/main.tf", &main_tf(GRANT)),
                ("access/jit_override.tf", "terraform {\n  required_providers {\n    jit = {\n      source = \"evil-corp/jit\"\n    }\n  }\n}\n"),
            ],
            &["access/jit_override.tf:3: provider `registry.terraform.io/evil-corp/jit` is not in the allowlist"],
            &["registry.terraform.io/evil-corp/jit", JIT],
            Oracle::None, // Terraform applies the override: only evil-corp/jit (the script refuses either way)
        ),
        case(
            "provider_argument",
            &[("access/main.tf", &with_aws(&GRANT.replace("  principal ", "  provider       = aws.west\n  principal ")))],
            &["provider `registry.terraform.io/hashicorp/aws` is not in the allowlist"],
            &[AWS, JIT],
            Oracle::Both,
        ),
        case(
            "provisioner",
            &[("access/main.tf", &main_tf(&GRANT.replace("}\n", "  provisioner \"local-exec\" {\n    command = \"aws sso-admin create-account-assignment ...\"\n  }\n}\n")))],
            &["access/main.tf:17: a `provisioner` runs commands"],
            &[JIT],
            Oracle::Both,
        ),
        case(
            "dynamic_provisioner",
            &[("access/main.tf", &main_tf(&GRANT.replace("}\n", "  dynamic \"provisioner\" {\n    for_each = []\n    content {}\n  }\n}\n")))],
            &["a `provisioner` runs commands"],
            &[JIT],
            Oracle::None,
        ),
        case(
            "provisioner_in_a_removed_block",
            &[("access/main.tf", &main_tf("removed {\n  from = jit_grant.old\n  provisioner \"local-exec\" {\n    when    = destroy\n    command = \"id\"\n  }\n}\n"))],
            &["a `provisioner` runs commands"],
            &[JIT],
            Oracle::Latest,
        ),
        case(
            "external_data_source",
            &[("access/main.tf", &main_tf(&format!("{GRANT}\ndata \"external\" \"x\" {{\n  program = [\"sh\", \"-c\", \"id\"]\n}}\n")))],
            &["access/main.tf:19: the `external` data source runs any program", "provider `registry.terraform.io/hashicorp/external` is not in the allowlist"],
            &["registry.terraform.io/hashicorp/external", JIT],
            Oracle::Both,
        ),
        case(
            "external_in_a_check_block",
            &[("access/main.tf", &main_tf("check \"c\" {\n  data \"external\" \"x\" {\n    program = [\"id\"]\n  }\n  assert {\n    condition     = length(data.external.x.result) > 0\n    error_message = \"x\"\n  }\n}\n"))],
            &["the `external` data source runs any program"],
            &["registry.terraform.io/hashicorp/external", JIT],
            Oracle::Latest,
        ),
        case(
            "built_in_provider",
            &[("access/main.tf", &main_tf("data \"terraform_remote_state\" \"other\" {\n  backend = \"local\"\n}\n"))],
            &["provider `terraform.io/builtin/terraform` is not in the allowlist"],
            &[JIT, BUILTIN],
            Oracle::Both,
        ),
        case(
            "provider_function",
            &[("access/main.tf", &with_aws("locals {\n  arn = provider::aws::arn_parse(\"arn:aws:iam::123456789012:role/x\")\n}\n"))],
            &["provider `registry.terraform.io/hashicorp/aws` is not in the allowlist"],
            &[AWS, JIT],
            Oracle::Latest,
        ),
        case(
            "json_syntax",
            &[("access/main.tf", &main_tf(GRANT)), ("access/extra.tf.json", r#"{"resource": {"aws_iam_user": {"x": {"name": "x"}}}}"#)],
            &["access/extra.tf.json: provider `registry.terraform.io/hashicorp/aws` is not in the allowlist"],
            &[AWS, JIT],
            Oracle::Both,
        ),
        case(
            "json_duplicate_keys",
            &[
                ("access/main.tf", &main_tf(GRANT)),
                // A parser that keeps the last key only would see the jit block.
                ("access/extra.tf.json", r#"{"resource": {"aws_iam_user": {"x": {"name": "x"}}}, "resource": {"jit_user_block": {"b": {"reason": "r", "blocked_by": "s", "iam": {"user_name": "u"}}}}}"#),
            ],
            &["provider `registry.terraform.io/hashicorp/aws` is not in the allowlist"],
            &[AWS, JIT],
            Oracle::Both,
        ),
        case(
            "json_provisioner",
            &[("access/main.tf", REQUIRED), ("access/grant.tf.json", r#"{"resource": [{"jit_grant": {"g": [{"reason": "r", "provisioner": [{"local-exec": {"command": "id"}}]}]}}]}"#)],
            &["access/grant.tf.json: a `provisioner` runs commands"],
            &[JIT],
            Oracle::Both,
        ),
        case(
            "file_name_case",
            &[("access/main.tf", &main_tf(GRANT)), ("access/EXTRA.TF", "resource \"aws_iam_user\" \"x\" {\n  name = \"x\"\n}\n")],
            &["access/EXTRA.TF:1: provider `registry.terraform.io/hashicorp/aws`"],
            &[AWS, JIT],
            Oracle::None, // Terraform reads only `.tf`: refusing more is fine
        ),
        case(
            "remote_module",
            &[("access/main.tf", &main_tf("module \"m\" {\n  source = \"git::https://example.com/modules.git?ref=v1\"\n}\n"))],
            &["module `m`: source `git::https://example.com/modules.git?ref=v1` is not a local path"],
            &[JIT],
            Oracle::None,
        ),
        case(
            "registry_module",
            &[("access/main.tf", &main_tf("module \"iam\" {\n  source  = \"terraform-aws-modules/iam/aws\"\n  version = \"5.0.0\"\n}\n"))],
            &["is not a local path"],
            &[JIT],
            Oracle::None,
        ),
        case(
            "module_outside_the_repository",
            &[("access/main.tf", &main_tf("module \"m\" {\n  source = \"../../outside\"\n}\n"))],
            &["module `m`: `../../outside` is not a directory inside the repository"],
            &[JIT],
            Oracle::None,
        ),
        case(
            "local_module_with_another_provider",
            &[
                ("access/main.tf", &main_tf("module \"m\" {\n  source = \"../modules/evil\"\n}\n")),
                ("modules/evil/main.tf", "resource \"aws_iam_user\" \"x\" {\n  name = \"x\"\n}\n"),
            ],
            &["modules/evil/main.tf:1: provider `registry.terraform.io/hashicorp/aws` is not in the allowlist"],
            &[AWS, JIT],
            Oracle::Both,
        ),
        case(
            "plugin_directory",
            &[("access/main.tf", &main_tf(GRANT)), ("access/terraform.d/plugins/registry.terraform.io/jit-access/jit/9.9.9/linux_amd64/terraform-provider-jit", "#!/bin/sh\n")],
            &["access/terraform.d: `terraform.d` in the configuration directory could supply provider binaries"],
            &[JIT],
            Oracle::None,
        ),
        case(
            "committed_dot_terraform",
            &[("access/main.tf", &main_tf(GRANT)), ("access/.terraform/providers/registry.terraform.io/jit-access/jit/9.9.9/linux_amd64/terraform-provider-jit", "#!/bin/sh\n")],
            &["`.terraform` in the configuration directory could supply provider binaries"],
            &[JIT],
            Oracle::None,
        ),
        case(
            "heredoc_closed_early",
            // Whether or not Terraform ends this heredoc at the indented
            // marker, the script ends it there and sees the provisioner.
            &[("access/main.tf", &main_tf(&GRANT.replace("}\n", "  ticket = <<EOT\n  EOT\n  provisioner \"local-exec\" {\n    command = \"id\"\n  }\n}\n")))],
            &["a `provisioner` runs commands"],
            &[JIT],
            Oracle::None,
        ),
    ]
}

/// Configurations the script cannot read for certain: refused, never passed.
fn unreadable() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        (
            "template_over_lines.tf",
            b"locals {\n  x = \"${\n  1}\"\n}\n".to_vec(),
            "must close on the line it opens",
        ),
        (
            "open_string.tf",
            b"locals {\n  x = \"abc\n}\n".to_vec(),
            "must close on the line it opens",
        ),
        (
            "open_heredoc.tf",
            b"locals {\n  x = <<EOT\nabc\n}\n".to_vec(),
            "heredoc `EOT` is not closed",
        ),
        (
            "open_block.tf",
            b"resource \"jit_grant\" \"g\" {\n".to_vec(),
            "a block is not closed",
        ),
        (
            "unknown_block.tf",
            b"exploit \"x\" {\n}\n".to_vec(),
            "unknown top-level block `exploit`",
        ),
        (
            "top_level_argument.tf",
            b"x = 1\n".to_vec(),
            "unexpected top-level argument `x`",
        ),
        (
            "not_utf8.tf",
            b"locals {\n  x = \"\xff\"\n}\n".to_vec(),
            "not UTF-8",
        ),
        ("not_json.tf.json", b"{\"resource\": ".to_vec(), "not JSON"),
        (
            "json_array.tf.json",
            b"[]".to_vec(),
            "expected a JSON object",
        ),
        (
            "computed_source.tf",
            b"module \"m\" {\n  source = \"./${var.x}\"\n}\n".to_vec(),
            "a module `source` must be a literal string",
        ),
        (
            "computed_provider.tf",
            b"resource \"jit_grant\" \"g\" {\n  provider = var.p ? jit.a : jit.b\n}\n".to_vec(),
            "cannot tell which provider",
        ),
        (
            "comment_in_template.tf",
            b"locals {\n  x = \"${1 # }\"\n}\n".to_vec(),
            "a comment or heredoc inside a template",
        ),
        (
            "stray_carriage_return.tf",
            b"locals {\n  x = 1\rprovisioner \"local-exec\" {}\n}\n".to_vec(),
            "a carriage return outside a line break",
        ),
        (
            "ambiguous_heredoc_end.tf",
            b"locals {\n  x = <<EOT\nEOT \n  provisioner \"local-exec\" {}\nEOT\n}\n".to_vec(),
            "ambiguous",
        ),
    ]
}

fn check(root: &Path, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["--root", root.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    args.push("access");
    let run = script("check-config.py", &args, root);
    let report: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    (run, report)
}

fn lay_out(scratch: &Scratch, files: &[(&str, String)]) -> PathBuf {
    let root = scratch.path("repo");
    std::fs::create_dir_all(root.join("access")).unwrap();
    std::fs::create_dir_all(scratch.path("outside")).unwrap();
    std::fs::write(scratch.path("outside/main.tf"), "").unwrap();
    for (path, content) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    root
}

#[test]
fn config_guard_refuses_each_kind_and_passes_a_clean_configuration() {
    for case in cases() {
        let scratch = Scratch::new(&format!("guard-{}", case.name));
        let root = lay_out(&scratch, &case.files);
        let (run, report) = check(&root, &[]);
        let problems: Vec<String> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        if case.refused.is_empty() {
            assert_eq!(run.code, 0, "{}: {run:?}", case.name);
            assert!(problems.is_empty(), "{}: {problems:?}", case.name);
        } else {
            assert_eq!(run.code, 1, "{}: {run:?}", case.name);
            for expected in case.refused {
                assert!(
                    problems.iter().any(|p| p.contains(expected)),
                    "{}: no `{expected}` in {problems:#?}",
                    case.name
                );
                // Each problem is a GitHub error annotation too.
                assert!(
                    run.stderr.contains("::error title=check-config::"),
                    "{}",
                    case.name
                );
            }
        }
        assert_eq!(report["providers"], json!(case.providers), "{}", case.name);
    }
}

#[test]
fn config_guard_allowlist_is_configurable() {
    let scratch = Scratch::new("guard-allow");
    let files = [
        ("access/main.tf", main_tf(GRANT)),
        (
            "access/aws.tf",
            "resource \"aws_iam_user\" \"x\" {\n  name = \"x\"\n}\n".to_string(),
        ),
    ];
    let root = lay_out(&scratch, &files);
    assert_eq!(check(&root, &[]).0.code, 1);
    let (run, _) = check(&root, &["--allow", "jit-access/jit,hashicorp/aws"]);
    assert_eq!(run.code, 0, "{run:?}");
    // The allowlist replaces the default: jit itself must be named.
    let (run, report) = check(&root, &["--allow", "hashicorp/aws"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        report["problems"][0]
            .as_str()
            .unwrap()
            .contains("registry.terraform.io/jit-access/jit` is not in the allowlist"),
        "{report}"
    );
}

#[test]
fn config_guard_refuses_what_it_cannot_read() {
    for (name, content, expected) in unreadable() {
        let scratch = Scratch::new(&format!("guard-unreadable-{}", name.replace('.', "-")));
        let root = lay_out(&scratch, &[("access/main.tf", main_tf(GRANT))]);
        std::fs::write(root.join("access").join(name), content).unwrap();
        let (run, report) = check(&root, &[]);
        assert_eq!(run.code, 1, "{name}: {run:?}");
        let problems = report["problems"].to_string();
        assert!(
            problems.contains(expected),
            "{name}: no `{expected}` in {problems}"
        );
    }
    // Windows line breaks are line breaks.
    let scratch = Scratch::new("guard-crlf");
    let root = lay_out(
        &scratch,
        &[("access/main.tf", main_tf(GRANT).replace('\n', "\r\n"))],
    );
    let (run, _) = check(&root, &[]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn config_guard_passes_the_repository_configurations() {
    // Real configurations of this repository, read from its root: the
    // environments call modules/env-access by a local path.
    let root = repo_root();
    for dir in [
        "environments/dev",
        "environments/staging",
        "environments/prod",
        "examples/demo/access",
        "examples/quickstart",
    ] {
        let run = script("check-config.py", &["--root", ".", dir], &root);
        assert_eq!(run.code, 0, "{dir}: {run:?}");
        assert!(
            run.stderr.contains(&format!("{dir} uses only {JIT}")),
            "{dir}: {run:?}"
        );
    }
}

fn terraform(version: &str, args: &[&str], dir: &Path, scratch: &Scratch) -> Run {
    let cli_config = scratch.put("terraformrc", "");
    Run::of(
        Command::new(repo_root().join(format!(".tools/bin/terraform-{version}")))
            .args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_CLI_ARGS"),
    )
}

#[test]
fn config_guard_finds_the_providers_terraform_finds() {
    for version in ["1.15.5", "1.0.3"] {
        for case in cases() {
            if case.oracle == Oracle::None || (case.oracle == Oracle::Latest && version != "1.15.5")
            {
                continue;
            }
            let scratch = Scratch::new(&format!("oracle-{version}-{}", case.name));
            let root = lay_out(&scratch, &case.files);
            let access = root.join("access");
            let get = terraform(version, &["get"], &access, &scratch);
            assert_eq!(get.code, 0, "{version} {}: {get:?}", case.name);
            let providers = terraform(version, &["providers"], &access, &scratch);
            assert_eq!(providers.code, 0, "{version} {}: {providers:?}", case.name);
            scratch.put("providers.txt", &providers.stdout);
            let found: BTreeSet<String> = providers
                .stdout
                .split("provider[")
                .skip(1)
                .filter_map(|s| s.split(']').next())
                .map(str::to_string)
                .collect();
            let expected: BTreeSet<String> = case.providers.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                found, expected,
                "{version} {}: Terraform and the script disagree:\n{}",
                case.name, providers.stdout
            );

            // The apply's second check reads this very output (after `init`).
            let run = script(
                "check-config.py",
                &[
                    "--json",
                    "--terraform-providers",
                    scratch.path("providers.txt").to_str().unwrap(),
                ],
                &root,
            );
            let report: Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(
                run.code,
                if case.providers == [JIT] { 0 } else { 1 },
                "{version} {}: {run:?}",
                case.name
            );
            assert_eq!(
                report["terraform_providers"],
                json!(case.providers),
                "{version} {}",
                case.name
            );
            let refused_by_terraform = report["problems"]
                .to_string()
                .contains("`terraform providers` names");
            assert_eq!(
                refused_by_terraform,
                case.providers != [JIT],
                "{version} {}: {report}",
                case.name
            );
        }
    }
}

#[test]
fn config_guard_refuses_providers_only_the_state_needs() {
    // `terraform providers` also lists what the state needs: a resource
    // removed from the configuration is destroyed by its own provider.
    let scratch = Scratch::new("guard-state");
    let root = lay_out(&scratch, &[("access/main.tf", main_tf(GRANT))]);
    let output = scratch.put(
        "providers.txt",
        "\nProviders required by configuration:\n.\n└── provider[registry.terraform.io/jit-access/jit] >= 0.1\n\nProviders required by state:\n\n    provider[registry.terraform.io/hashicorp/aws]\n\n",
    );
    let terraform_only = |file: &Path| {
        let run = script(
            "check-config.py",
            &["--json", "--terraform-providers", file.to_str().unwrap()],
            &root,
        );
        let report: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
        (run, report)
    };
    let (run, report) = terraform_only(&output);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(report["terraform_providers"], json!([AWS, JIT]));
    assert!(
        report["problems"][0]
            .as_str()
            .unwrap()
            .contains("`terraform providers` names `registry.terraform.io/hashicorp/aws`"),
        "{report}"
    );
    // Anything else than that output is refused.
    let garbage = scratch.put("garbage.txt", "Error: Backend initialization required\n");
    let (run, _) = terraform_only(&garbage);
    assert_eq!(run.code, 1, "{run:?}");
}
