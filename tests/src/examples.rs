//! Checks of every HCL directory users copy from: `examples/**`,
//! `modules/*` and `environments/*`. Each is formatted (`terraform fmt`),
//! validates after `init` from the filesystem mirror (no AWS needed:
//! `validate` never configures the provider), and describes every variable
//! and output. Also a small HCL scanner for those checks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::aws_provider::{
    aws_provider_mirror, cli_config as aws_cli_config, lock_file, needs_aws_provider,
};
use crate::docgen::template::{hcl_string, import_commands};
use crate::tools::{tools, PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE};
use crate::TfVersion;

/// Top-level directories holding HCL that users copy.
pub const HCL_ROOTS: [&str; 3] = ["examples", "modules", "environments"];

/// Directories whose configurations need Terraform ≥ 1.3 (optional object
/// attributes), so they are validated on 1.15.5 only.
const LATEST_ONLY_ROOTS: [&str; 2] = ["modules", "environments"];

/// The oldest Terraform the tests run.
const OLDEST: (u64, u64, u64) = (1, 0, 3);

/// File written into an example that declares no provider source, so that
/// `init` looks for `jit-access/jit` rather than `hashicorp/jit`.
const PROVIDER_SHIM: &str = "docs_test_required_providers.tf";

/// File holding the `import {}` blocks generated from `import.sh`
/// (validated on Terraform ≥ 1.5 only).
const IMPORT_SHIM: &str = "docs_test_import.tf";

/// Top-level blocks Terraform 1.0 does not know (`moved` came in 1.1,
/// `import` and `check` in 1.5, `removed` in 1.7). A file holding one is
/// validated on 1.15.5 only.
const NEWER_BLOCKS: [&str; 4] = ["check", "import", "moved", "removed"];

/// Environment variables never passed to Terraform here.
const SCRUBBED_ENV: [&str; 8] = [
    "TF_LOG",
    "TF_LOG_PATH",
    "TF_CLI_ARGS",
    "TF_CLI_ARGS_init",
    "TF_CLI_ARGS_validate",
    "TF_DATA_DIR",
    "TF_PLUGIN_CACHE_DIR",
    "TF_WORKSPACE",
];

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The venv's Python (it has PyYAML); `scripts/setup.sh` creates it.
pub fn venv_python() -> PathBuf {
    repo_root().join(".tools/venv/bin/python")
}

/// One directory with `.tf` files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HclDir {
    /// Relative to the repository root.
    pub path: PathBuf,
    /// Needs a Terraform newer than 1.0.3.
    pub latest_only: bool,
}

/// Every directory under [`HCL_ROOTS`] holding at least one `.tf` file,
/// sorted. Hidden directories (`.terraform`) are skipped.
pub fn hcl_dirs(root: &Path) -> Vec<HclDir> {
    let mut found = Vec::new();
    for top in HCL_ROOTS {
        let mut stack = vec![PathBuf::from(top)];
        while let Some(dir) = stack.pop() {
            let mut has_tf = false;
            for entry in sorted_entries(&root.join(&dir)) {
                let name = entry
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                if name.starts_with('.') {
                    continue;
                }
                if entry.is_dir() {
                    stack.push(dir.join(&name));
                } else if name.ends_with(".tf") {
                    has_tf = true;
                }
            }
            if has_tf {
                let latest_only = LATEST_ONLY_ROOTS.iter().any(|r| dir.starts_with(r))
                    || needs_newer_than_oldest(&root.join(&dir));
                found.push(HclDir {
                    path: dir,
                    latest_only,
                });
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    entries
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "tf"))
        .collect()
}

/// True when a `required_version` in the directory excludes 1.0.3.
fn needs_newer_than_oldest(dir: &Path) -> bool {
    tf_files(dir).iter().any(|file| {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        top_level_blocks(&text)
            .iter()
            .filter(|b| b.kind == "terraform")
            .filter_map(|b| b.attribute("required_version"))
            .any(|constraint| lower_bound(constraint).is_some_and(|v| v > OLDEST))
    })
}

/// The lowest version a constraint like `>= 1.3, < 2.0` allows, if stated.
fn lower_bound(constraint: &str) -> Option<(u64, u64, u64)> {
    constraint
        .split(',')
        .filter_map(|part| {
            let part = part.trim();
            let version = part
                .strip_prefix(">=")
                .or_else(|| part.strip_prefix("~>"))
                .or_else(|| part.strip_prefix('='))
                .or_else(|| (!part.starts_with(['<', '>', '!'])).then_some(part))?;
            let mut numbers = version.trim().trim_start_matches('v').split('.');
            let major = numbers.next()?.parse().ok()?;
            let minor = numbers.next().unwrap_or("0").parse().ok()?;
            let patch = numbers
                .next()
                .unwrap_or("0")
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()?;
            Some((major, minor, patch))
        })
        .max()
}

// ---------------------------------------------------------------- HCL scan

/// A top-level block and its direct attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HclBlock {
    /// `variable`, `output`, `resource`, ...
    pub kind: String,
    /// The block's labels.
    pub labels: Vec<String>,
    /// 1-based line of the block's type keyword.
    pub line: usize,
    /// Direct attributes: name and, for a string literal, its text (else `None`).
    pub attributes: Vec<(String, Option<String>)>,
}

impl HclBlock {
    /// A direct attribute's string value.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    fn has_attribute(&self, name: &str) -> bool {
        self.attributes.iter().any(|(n, _)| n == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Splits HCL into identifiers, string literals (quoted or heredoc, with
/// interpolations kept as text) and punctuation, dropping comments. Each
/// token carries its 1-based line.
fn tokenize(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '#' || (c == '/' && next == Some('/')) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 2;
        } else if c == '"' {
            let start_line = line;
            let (value, end) = quoted(&chars, i + 1, &mut line);
            tokens.push((Token::Str(value), start_line));
            i = end;
        } else if c == '<' && next == Some('<') && heredoc_start(&chars, i).is_some() {
            let start_line = line;
            let (marker, body_start) = heredoc_start(&chars, i).unwrap_or_default();
            let (value, end) = heredoc(&chars, body_start, &marker, &mut line);
            tokens.push((Token::Str(value), start_line));
            i = end;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '-')
            {
                i += 1;
            }
            tokens.push((Token::Ident(chars[start..i].iter().collect()), line));
        } else {
            tokens.push((Token::Punct(c), line));
            i += 1;
        }
    }
    tokens
}

/// Reads a quoted string starting after its opening quote; returns its
/// text and the index after the closing quote.
fn quoted(chars: &[char], mut i: usize, line: &mut usize) -> (String, usize) {
    let mut value = String::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => return (value, i + 1),
            '\\' => {
                if let Some(&escaped) = chars.get(i + 1) {
                    value.push(escaped);
                }
                i += 2;
            }
            '$' | '%' if chars.get(i + 1) == Some(&'{') => {
                let end = template_end(chars, i + 2, line);
                value.extend(&chars[i..end.min(chars.len())]);
                i = end;
            }
            '\n' => {
                *line += 1;
                value.push(c);
                i += 1;
            }
            _ => {
                value.push(c);
                i += 1;
            }
        }
    }
    (value, i)
}

/// The index after the `}` closing an interpolation that starts at `i`.
fn template_end(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    let mut depth = 1;
    while i < chars.len() {
        match chars[i] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            '"' => {
                let (_, end) = quoted(chars, i + 1, line);
                i = end;
                continue;
            }
            '\n' => *line += 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// For `<<EOT` or `<<-EOT` at `i`: the marker and where the body starts.
fn heredoc_start(chars: &[char], i: usize) -> Option<(String, usize)> {
    let mut j = i + 2;
    if chars.get(j) == Some(&'-') {
        j += 1;
    }
    let start = j;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        j += 1;
    }
    if j == start || chars.get(j) != Some(&'\n') {
        return None;
    }
    Some((chars[start..j].iter().collect(), j + 1))
}

fn heredoc(chars: &[char], start: usize, marker: &str, line: &mut usize) -> (String, usize) {
    *line += 1;
    let mut i = start;
    let mut body = String::new();
    while i < chars.len() {
        let end = chars[i..]
            .iter()
            .position(|c| *c == '\n')
            .map(|p| i + p)
            .unwrap_or(chars.len());
        let text: String = chars[i..end].iter().collect();
        if text.trim() == marker {
            return (body, end);
        }
        body.push_str(&text);
        body.push('\n');
        *line += 1;
        i = end + 1;
    }
    (body, chars.len())
}

/// The top-level blocks of an HCL file with their direct attributes.
pub fn top_level_blocks(text: &str) -> Vec<HclBlock> {
    let tokens = tokenize(text);
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut current: Option<HclBlock> = None;
    while i < tokens.len() {
        let (token, line) = &tokens[i];
        match token {
            Token::Punct('{') | Token::Punct('[') | Token::Punct('(') => depth += 1,
            Token::Punct('}') | Token::Punct(']') | Token::Punct(')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if let Some(block) = current.take() {
                        blocks.push(block);
                    }
                }
            }
            Token::Ident(name) if depth == 0 => {
                // `kind label... {` starts a block; `name = ...` is a
                // top-level attribute (tfvars), skipped.
                let mut labels = Vec::new();
                let mut j = i + 1;
                while let Some((Token::Str(label) | Token::Ident(label), _)) = tokens.get(j) {
                    labels.push(label.clone());
                    j += 1;
                }
                if let Some((Token::Punct('{'), _)) = tokens.get(j) {
                    current = Some(HclBlock {
                        kind: name.clone(),
                        labels,
                        line: *line,
                        attributes: Vec::new(),
                    });
                    depth = 1;
                    i = j + 1;
                    continue;
                }
            }
            Token::Ident(name) if depth == 1 => {
                if let (Some((Token::Punct('='), _)), Some(block)) =
                    (tokens.get(i + 1), current.as_mut())
                {
                    let value = match tokens.get(i + 2) {
                        Some((Token::Str(text), _)) => Some(text.clone()),
                        _ => None,
                    };
                    block.attributes.push((name.clone(), value));
                }
            }
            _ => {}
        }
        i += 1;
    }
    blocks
}

/// Every `variable` and `output` under [`HCL_ROOTS`] without a non-empty
/// `description`, as `path:line: ...` messages.
pub fn undescribed_variables_and_outputs(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for dir in hcl_dirs(root) {
        for file in tf_files(&root.join(&dir.path)) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let relative = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            for block in top_level_blocks(&text) {
                if block.kind != "variable" && block.kind != "output" {
                    continue;
                }
                let name = block.labels.first().cloned().unwrap_or_default();
                let empty = block
                    .attribute("description")
                    .is_some_and(|d| d.trim().is_empty());
                if !block.has_attribute("description") || empty {
                    problems.push(format!(
                        "{relative}:{}: {} \"{name}\" has no description",
                        block.line, block.kind
                    ));
                }
            }
        }
    }
    problems
}

// ------------------------------------------------------------ Terraform runs

/// Output of one Terraform command.
#[derive(Debug)]
struct Run {
    success: bool,
    output: String,
}

fn terraform(version: TfVersion, dir: &Path, cli_config: &Path, args: &[&str]) -> Run {
    let binary = match version {
        TfVersion::Latest => &tools().terraform_latest,
        TfVersion::Oldest => &tools().terraform_oldest,
    };
    let mut command = Command::new(binary);
    command.current_dir(dir).args(args);
    for key in SCRUBBED_ENV {
        command.env_remove(key);
    }
    command
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0");
    match command.output() {
        Ok(output) => Run {
            success: output.status.success(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        },
        Err(error) => Run {
            success: false,
            output: format!("cannot run `{}`: {error}", binary.display()),
        },
    }
}

/// `terraform fmt -check` (1.15.5) of every HCL directory, and of the
/// `*.tf.example` / `*.tfvars.example` files users rename and use.
pub fn fmt_problems(root: &Path) -> Vec<String> {
    let scratch = scratch_dir("fmt");
    let cli_config = write_cli_config(&scratch);
    let mut problems = Vec::new();
    for dir in hcl_dirs(root) {
        let run = terraform(
            TfVersion::Latest,
            &root.join(&dir.path),
            &cli_config,
            &["fmt", "-check", "-diff", "-no-color", "."],
        );
        if !run.success {
            problems.push(format!(
                "{}: `terraform fmt -check` wants changes:\n{}",
                dir.path.display(),
                run.output
            ));
        }
    }
    let mut copies = 0;
    for top in HCL_ROOTS {
        for file in walk_files(&root.join(top)) {
            let name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let Some(stem) = name
                .strip_suffix(".tf.example")
                .map(|s| format!("{s}.tf"))
                .or_else(|| {
                    name.strip_suffix(".tfvars.example")
                        .map(|s| format!("{s}.tfvars"))
                })
            else {
                continue;
            };
            copies += 1;
            let target = scratch.join(format!("{copies}-{stem}"));
            if std::fs::copy(&file, &target).is_err() {
                continue;
            }
            let run = terraform(
                TfVersion::Latest,
                &scratch,
                &cli_config,
                &[
                    "fmt",
                    "-check",
                    "-diff",
                    "-no-color",
                    &target.display().to_string(),
                ],
            );
            if !run.success {
                problems.push(format!(
                    "{}: `terraform fmt -check` wants changes:\n{}",
                    file.strip_prefix(root).unwrap_or(&file).display(),
                    run.output
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    problems
}

/// `init -backend=false` from the filesystem mirror, then `validate`, of
/// every HCL directory this Terraform version supports. Resource examples
/// also validate the `import {}` blocks the docs show, on Terraform ≥ 1.5.
/// Works on copies, so that nothing is written into the repository.
pub fn validate_problems(root: &Path, version: TfVersion) -> Vec<String> {
    let scratch = scratch_dir(&format!("validate-{}", version.as_str()));
    let cli_config = write_cli_config(&scratch);
    let copy = scratch.join("repo");
    for top in HCL_ROOTS {
        copy_tree(&root.join(top), &copy.join(top));
    }
    let mut problems = Vec::new();
    for dir in hcl_dirs(root) {
        if dir.latest_only && version != TfVersion::Latest {
            continue;
        }
        let work = copy.join(&dir.path);
        if needs_aws_provider(&work) {
            // examples/bootstrap: hashicorp/aws from the pinned mirror only.
            match aws_provider_mirror() {
                Ok(_) => {
                    let _ = std::fs::write(work.join(".terraform.lock.hcl"), lock_file());
                }
                Err(why) => {
                    // Not installable from here (see `aws_provider`): the
                    // check is reported as not run, not failed.
                    eprintln!("{}: NOT VALIDATED: {why}", dir.path.display());
                    continue;
                }
            }
        }
        if let Err(problem) = prepare(&work, &dir.path, version) {
            problems.push(format!("{}: {problem}", dir.path.display()));
            continue;
        }
        let init = terraform(
            version,
            &work,
            &cli_config,
            &["init", "-backend=false", "-input=false", "-no-color"],
        );
        if !init.success {
            problems.push(format!(
                "{}: `terraform init` failed on {}:\n{}",
                dir.path.display(),
                version.as_str(),
                init.output
            ));
            continue;
        }
        let validate = terraform(version, &work, &cli_config, &["validate", "-no-color"]);
        if !validate.success {
            problems.push(format!(
                "{}: `terraform validate` failed on {}:\n{}",
                dir.path.display(),
                version.as_str(),
                validate.output
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    problems
}

/// Adds the provider source when the example declares none, and the
/// `import {}` blocks of a resource example on Terraform ≥ 1.5. On 1.0.3,
/// leaves out files with blocks 1.0 does not know (see [`NEWER_BLOCKS`]).
fn prepare(work: &Path, relative: &Path, version: TfVersion) -> Result<(), String> {
    if version == TfVersion::Oldest {
        for file in tf_files(work) {
            let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
            if top_level_blocks(&text)
                .iter()
                .any(|b| NEWER_BLOCKS.contains(&b.kind.as_str()))
            {
                std::fs::remove_file(&file).map_err(|e| e.to_string())?;
            }
        }
    }
    let declares_source = tf_files(work).iter().any(|file| {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        tokenize(&text)
            .iter()
            .any(|(t, _)| *t == Token::Ident("required_providers".into()))
    });
    if !declares_source {
        let shim = format!(
            "terraform {{\n  required_providers {{\n    {PROVIDER_TYPE} = {{\n      source = \"{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}\"\n    }}\n  }}\n}}\n"
        );
        std::fs::write(work.join(PROVIDER_SHIM), shim).map_err(|e| e.to_string())?;
    }
    let import_script = work.join("import.sh");
    if version == TfVersion::Latest
        && relative.starts_with("examples/resources")
        && import_script.is_file()
    {
        let script = std::fs::read_to_string(&import_script).map_err(|e| e.to_string())?;
        let commands = import_commands(&script).map_err(|e| format!("import.sh {e}"))?;
        // import.sh may show alternative ids for one address (by id, by
        // name); a configuration may import each address only once.
        let mut seen = std::collections::BTreeSet::new();
        let blocks: Vec<String> = commands
            .iter()
            .filter(|c| seen.insert(c.address.clone()))
            .map(|c| {
                format!(
                    "import {{\n  to = {}\n  id = {}\n}}\n",
                    c.address,
                    hcl_string(&c.id)
                )
            })
            .collect();
        std::fs::write(work.join(IMPORT_SHIM), blocks.join("\n")).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A fresh directory per call: checks may run in parallel in one process.
fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = tools().work_root.join(format!(
        "examples-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The CLI configuration of the e2e harness: the provider comes from the
/// filesystem mirror, and so does hashicorp/aws when set-up linked it;
/// everything else from the registry (never needed here).
fn write_cli_config(dir: &Path) -> PathBuf {
    let path = dir.join("terraformrc");
    let text = match aws_provider_mirror() {
        Ok(aws_mirror) => aws_cli_config(&aws_mirror),
        Err(_) => {
            let address = format!("{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}");
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{address}\"]\n  }}\n  direct {{\n    exclude = [\"{address}\"]\n  }}\n}}\n",
                tools().mirror.display()
            )
        }
    };
    let _ = std::fs::write(&path, text);
    path
}

/// Copies a tree, leaving out Terraform's working files.
fn copy_tree(from: &Path, to: &Path) {
    for file in walk_files(from) {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if name == ".terraform.lock.hcl"
            || name.ends_with(".tfstate")
            || name.ends_with(".tfstate.backup")
        {
            continue;
        }
        let Ok(relative) = file.strip_prefix(from) else {
            continue;
        };
        let target = to.join(relative);
        if let Some(parent) = target.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::copy(&file, &target);
    }
}

/// Every file under `dir`, skipping hidden directories such as `.terraform`.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in sorted_entries(&current) {
            let hidden = entry
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if entry.is_dir() {
                if !hidden {
                    stack.push(entry);
                }
            } else {
                files.push(entry);
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    const HCL: &str = r#"
# A comment with variable "fake" {
variable "documented" {
  description = "Region of ${var.x} \"quoted\" {braces}"
  type        = string
  default     = { description = "" }
}

/* block comment
variable "commented_out" {} */
variable "missing" {
  type = string
}

variable "empty" {
  description = ""
}

output "heredoc" {
  description = <<-EOT
    Long text with } and {.
  EOT
  value       = [for x in ["a"] : { y = x }]
}

output "from_expression" {
  description = local.text
  value       = 1
}

terraform {
  required_version = ">= 1.3, < 2.0"
  required_providers {
    jit = {
      source = "jit-access/jit"
    }
  }
}
"#;

    #[test]
    fn top_level_blocks_with_attributes_and_lines() {
        let blocks = top_level_blocks(HCL);
        let names: Vec<(String, String, usize)> = blocks
            .iter()
            .map(|b| (b.kind.clone(), b.labels.join(","), b.line))
            .collect();
        assert_eq!(
            names,
            vec![
                ("variable".into(), "documented".into(), 3),
                ("variable".into(), "missing".into(), 11),
                ("variable".into(), "empty".into(), 15),
                ("output".into(), "heredoc".into(), 19),
                ("output".into(), "from_expression".into(), 26),
                ("terraform".into(), String::new(), 31),
            ]
        );
        assert_eq!(
            blocks[0].attribute("description"),
            Some("Region of ${var.x} \"quoted\" {braces}")
        );
        assert_eq!(
            blocks[3].attribute("description"),
            Some("    Long text with } and {.\n")
        );
        assert!(blocks[4].has_attribute("description"));
        assert_eq!(blocks[4].attribute("description"), None);
        assert_eq!(
            blocks[5].attribute("required_version"),
            Some(">= 1.3, < 2.0")
        );
    }

    #[test]
    fn undescribed_variables_and_outputs_are_reported_with_lines() {
        let root = std::env::temp_dir().join(format!("hcl-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("modules/m")).unwrap();
        std::fs::write(root.join("modules/m/variables.tf"), HCL).unwrap();
        assert_eq!(
            undescribed_variables_and_outputs(&root),
            vec![
                "modules/m/variables.tf:11: variable \"missing\" has no description",
                "modules/m/variables.tf:15: variable \"empty\" has no description",
            ]
        );
        let dirs = hcl_dirs(&root);
        assert_eq!(
            dirs,
            vec![HclDir {
                path: "modules/m".into(),
                latest_only: true
            }]
        );
    }

    #[test]
    fn version_lower_bounds() {
        assert_eq!(lower_bound(">= 1.3, < 2.0"), Some((1, 3, 0)));
        assert_eq!(lower_bound(">= 1.0"), Some((1, 0, 0)));
        assert_eq!(lower_bound("~> 1.5.2"), Some((1, 5, 2)));
        assert_eq!(lower_bound("< 2.0"), None);
        assert!(lower_bound(">= 1.0.3").is_some_and(|v| v <= OLDEST));
    }
}
