//! Docs a user copies work as copied: checks of the generated pages in
//! `docs/` themselves (not of the templates): the `import` examples of each
//! page validate on Terraform 1.15.5 together with the page's example, every
//! page has the one `page_title` form, a `subcategory` and at most one
//! `## Import`, links into the provider's repository lead to files that
//! exist, and every example pins the provider the way the installation
//! guide says.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use tests::examples::{repo_root, top_level_blocks};
use tests::tools::{tools, PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE};

/// The provider's repository, as every page links to it.
const REPOSITORY: &str = "https://github.com/jit-access/terraform-provider-jit";

/// The version constraint the docs and examples use.
const CONSTRAINT: &str = "~> 0.1";

fn fail_with(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what} ({}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every `.md` file under `dir`, sorted, relative to the repository root.
fn markdown_files(dir: &str) -> Vec<PathBuf> {
    let root = repo_root();
    let mut found = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if path.is_dir() && !hidden {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path.strip_prefix(&root).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap()
}

/// The HCL code blocks (```terraform, ```hcl, ```tf) of a Markdown page.
fn hcl_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut current, fence) {
            (None, Some(language)) => {
                if matches!(language.trim(), "terraform" | "hcl" | "tf") {
                    current = Some(String::new());
                } else if !language.trim().is_empty() {
                    current = None;
                }
            }
            (Some(block), Some(_)) => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), None) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// Lines outside code blocks.
fn prose_lines(markdown: &str) -> Vec<&str> {
    let mut in_code = false;
    markdown
        .lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                return false;
            }
            !in_code
        })
        .collect()
}

/// A front matter value, unquoted.
fn front_matter(markdown: &str, key: &str) -> Option<String> {
    let inner = markdown.strip_prefix("---\n")?.split("\n---\n").next()?;
    inner.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?.trim();
        Some(value.trim_matches('"').to_string())
    })
}

// ------------------------------------------------------------ front matter

#[test]
fn every_page_has_the_title_form_a_subcategory_and_at_most_one_import_section() {
    let mut problems = Vec::new();
    let pages = markdown_files("docs");
    assert!(pages.iter().any(|p| p.ends_with("guides/installation.md")));
    for page in &pages {
        let text = read(page);
        let name = page.display();
        let prose = prose_lines(&text);
        let heading = prose
            .iter()
            .find(|l| l.starts_with("# "))
            .map(|l| l[2..].replace(['(', ')'], ""))
            .unwrap_or_default();
        let title = front_matter(&text, "page_title").unwrap_or_default();
        if title != format!("{heading} - terraform-provider-jit") {
            problems.push(format!(
                "{name}: page_title `{title}` is not `<heading> - terraform-provider-jit` (heading `{heading}`)"
            ));
        }
        if front_matter(&text, "subcategory").is_none_or(|s| s.trim().is_empty()) {
            problems.push(format!("{name}: no subcategory"));
        }
        let imports = prose.iter().filter(|l| l.trim_end() == "## Import").count();
        let wanted = usize::from(page.starts_with("docs/resources"));
        if imports != wanted {
            problems.push(format!(
                "{name}: {imports} `## Import` headings, expected {wanted}"
            ));
        }
    }
    fail_with("pages a user reads", &problems);
}

// ---------------------------------------------------------- import blocks

static SCRATCH: AtomicUsize = AtomicUsize::new(0);

/// `init` (filesystem mirror of the built provider) and `validate` on
/// Terraform 1.15.5 of a directory holding `files`; the output on failure.
fn validate(files: &[(String, String)]) -> Result<(), String> {
    let dir = tools().work_root.join(format!(
        "docs-copied-{}-{}",
        std::process::id(),
        SCRATCH.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let address = format!("{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}");
    let cli_config = dir.join("terraformrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{address}\"]\n  }}\n  direct {{\n    exclude = [\"{address}\"]\n  }}\n}}\n",
            tools().mirror.display()
        ),
    )
    .unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let run = |args: &[&str]| {
        let output = Command::new(&tools().terraform_latest)
            .current_dir(&dir)
            .args(args)
            .env_remove("TF_LOG")
            .env_remove("TF_CLI_ARGS")
            .env_remove("TF_DATA_DIR")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .output()
            .unwrap();
        (
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    };
    let (ok, output) = run(&["init", "-backend=false", "-no-color"]);
    if !ok {
        return Err(output);
    }
    let (ok, output) = run(&["validate", "-no-color"]);
    let _ = std::fs::remove_dir_all(&dir);
    if ok {
        Ok(())
    } else {
        Err(output)
    }
}

/// The page's HCL blocks as files, plus the provider's source when no
/// block declares it (a page's example is written for a configuration
/// that has it).
fn page_configuration(blocks: &[String]) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = blocks
        .iter()
        .enumerate()
        .map(|(i, block)| (format!("block_{i}.tf"), block.clone()))
        .collect();
    if !blocks.iter().any(|b| b.contains("required_providers")) {
        files.push((
            "required_providers.tf".into(),
            format!("terraform {{\n  required_providers {{\n    jit = {{\n      source = \"{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}\"\n    }}\n  }}\n}}\n"),
        ));
    }
    files
}

fn has_import_block(block: &str) -> bool {
    top_level_blocks(block).iter().any(|b| b.kind == "import")
}

#[test]
fn import_examples_of_every_page_validate_with_the_page_on_terraform_1_15_5() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for page in markdown_files("docs") {
        let blocks = hcl_blocks(&read(&page));
        if !blocks.iter().any(|b| has_import_block(b)) {
            continue;
        }
        checked += 1;
        if let Err(output) = validate(&page_configuration(&blocks)) {
            problems.push(format!(
                "{}: its HCL blocks together fail `terraform validate` (1.15.5):\n{output}",
                page.display()
            ));
        }
    }
    // Every resource page shows `import` blocks.
    assert_eq!(checked, markdown_files("docs/resources").len());
    fail_with("import examples as copied from the docs", &problems);
}

#[test]
fn the_import_check_catches_two_import_blocks_for_one_address() {
    let page = read(Path::new("docs/resources/identity_center_group.md"));
    let mut blocks = hcl_blocks(&page);
    let import = blocks
        .iter()
        .find(|b| has_import_block(b))
        .cloned()
        .unwrap();
    // What the page showed before: the alternative id as a second block.
    blocks.push(import.replace(
        "9067e1c2a4-1a2b3c4d-5e6f-7890-abcd-ef0123456789",
        "Kiro Pro",
    ));
    let output = validate(&page_configuration(&blocks)).unwrap_err();
    assert!(
        output.contains("Duplicate import configuration"),
        "{output}"
    );
}

// ------------------------------------------------------------------ links

#[test]
fn repository_links_lead_to_files_that_exist() {
    let mut problems = Vec::new();
    let mut pages = markdown_files("docs");
    pages.extend(markdown_files("examples"));
    pages.extend(markdown_files("modules"));
    pages.extend(markdown_files("environments"));
    pages.push(PathBuf::from("README.md"));
    let mut linked = 0;
    for page in &pages {
        let text = read(page);
        for (at, _) in text.match_indices("github.com/jit-access/") {
            let rest = &text[at..];
            let url: String = rest
                .chars()
                .take_while(|c| !matches!(c, ')' | ' ' | '"' | '`' | '>' | '\n'))
                .collect();
            let Some(path) = url
                .strip_prefix(&REPOSITORY["https://".len()..])
                .map(|p| p.trim_start_matches('/'))
            else {
                problems.push(format!("{}: `{url}` is not {REPOSITORY}", page.display()));
                continue;
            };
            linked += 1;
            let file = path
                .strip_prefix("tree/main/")
                .or_else(|| path.strip_prefix("blob/main/"))
                .or_else(|| path.is_empty().then_some(""));
            match file {
                Some(file) if repo_root().join(file).exists() => {}
                _ => problems.push(format!(
                    "{}: `{url}` does not lead to a file of this repository",
                    page.display()
                )),
            }
        }
        // Where a page says "in the provider's repository", it links there.
        for paragraph in text.split("\n\n") {
            if paragraph.contains("provider's repository") && !paragraph.contains(REPOSITORY) {
                problems.push(format!(
                    "{}: says \"provider's repository\" without a link to {REPOSITORY}: {}",
                    page.display(),
                    paragraph.lines().next().unwrap_or_default()
                ));
            }
        }
    }
    assert!(linked > 0);
    fail_with("links into the provider's repository", &problems);
}

// ------------------------------------------------------------ constraints

#[test]
fn examples_and_environments_pin_the_provider_like_the_installation_guide() {
    let mut problems = Vec::new();
    let guide = read(Path::new("docs/guides/installation.md"));
    assert!(guide.contains(&format!("version = \"{CONSTRAINT}\"")));
    let index = read(Path::new("docs/index.md"));
    assert!(
        index.contains(&format!("version = \"{CONSTRAINT}\"")),
        "docs/index.md"
    );
    let root = repo_root();
    let mut roots = 0;
    for dir in tests::examples::hcl_dirs(&root) {
        for entry in std::fs::read_dir(root.join(&dir.path)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "tf") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let Some(at) = text.find("source  = \"jit-access/jit\"") else {
                continue;
            };
            let version = text[at..]
                .lines()
                .nth(1)
                .and_then(|l| l.trim().strip_prefix("version = "))
                .map(|v| v.trim_matches('"').to_string())
                .unwrap_or_default();
            // Modules state a minimum; root configurations pin the series.
            let wanted = if dir.path.starts_with("modules") {
                ">= 0.1.0"
            } else {
                roots += 1;
                CONSTRAINT
            };
            if version != wanted {
                problems.push(format!(
                    "{}: jit version `{version}`, expected `{wanted}`",
                    path.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        roots >= 6,
        "{roots} root configurations declare the provider"
    );
    fail_with("provider version constraints", &problems);
}

#[test]
fn environments_require_the_terraform_their_backend_example_needs() {
    let root = repo_root();
    for environment in ["dev", "staging", "prod"] {
        let dir = root.join("environments").join(environment);
        let backend = std::fs::read_to_string(dir.join("backend.tf.example")).unwrap();
        let versions = std::fs::read_to_string(dir.join("versions.tf")).unwrap();
        let required = top_level_blocks(&versions)
            .into_iter()
            .find(|b| b.kind == "terraform")
            .and_then(|b| b.attribute("required_version").map(str::to_string))
            .unwrap_or_default();
        // The S3 backend's `assume_role = { ... }` block came in Terraform 1.6.
        if backend.contains("assume_role = {") {
            assert_eq!(required, ">= 1.6", "environments/{environment}");
        }
        // People only: role groups deny callers without MFA, so a pipeline's
        // access keys could do nothing (CI uses an OIDC role).
        let users = std::fs::read_to_string(dir.join("terraform.tfvars.example")).unwrap();
        assert!(!users.contains("\"ci-"), "environments/{environment}");
    }
}
