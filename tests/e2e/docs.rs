//! Docs and examples: the generated pages match the schema, everything is
//! described, and every HCL directory is formatted and validates on real
//! Terraform. (The CI workflow example is tested in `workflows`.)

use std::path::Path;

use tests::docgen::{self, schema_md, REGENERATE};
use tests::examples::{self, repo_root};
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
