//! The provider's layering, checked on its source tree so it cannot erode
//! silently: each top-level module imports only modules of a lower layer,
//! resources and data sources never import each other (nor one resource
//! another), `policy/` stays pure, and only `aws/` names AWS SDK items.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Layers, bottom to top. A module imports only modules of lower layers
/// (and itself); modules of one layer never import each other.
const LAYERS: &[&[&str]] = &[
    &["policy"],
    &["error", "values", "codec", "schema", "logging"],
    &["config", "inputs"],
    &["aws"],
    &["audit"],
    &["context"],
    &["framework"],
    &["resources", "data_sources"],
    &["provider"],
    &["plugin", "cli"],
];

/// Crate roots that may import anything.
const ROOTS: &[&str] = &["lib.rs", "main.rs"];

/// Items at the crate root and the module that owns them (`#[macro_export]`
/// macros live at the root but belong to their module's layer).
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("changed_fields", "framework"),
    ("copy_fields", "framework"),
    ("unknown_fields", "framework"),
    ("VERSION", "policy"),
];

/// Identifiers only `aws/` may name.
const SDK_PREFIXES: &[&str] = &[
    "aws_sdk_",
    "aws_smithy_",
    "aws_config",
    "aws_credential_types",
    "aws_types",
];

/// The provider's dependencies `policy/` may use: pure data and formatting.
const POLICY_CRATES: &[&str] = &["serde", "serde_json", "time", "thiserror"];

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../provider/src")
        .canonicalize()
        .expect("provider/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without comments (line comments, doc comments and
/// block comments) and without string literals, so prose and messages
/// that mention a module or an SDK are not counted.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < bytes.len() && bytes[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < bytes.len() && !(bytes[i] == '*' && bytes[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && is_raw_start(&bytes, i) {
            // r"..." or r#"..."#
            let mut hashes = 0;
            let mut j = i + 1;
            while bytes.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            j += 1; // opening quote
            loop {
                if j >= bytes.len() {
                    break;
                }
                if bytes[j] == '"' && (0..hashes).all(|k| bytes.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < bytes.len() && bytes[i] != '"' {
                if bytes[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next.is_some() && bytes.get(i + 2) == Some(&'\'') {
            // a char literal such as '"'
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            // an escaped char literal such as '\n' or '\''
            let mut j = i + 2;
            while j < bytes.len() && bytes[j] != '\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_raw_start(chars: &[char], i: usize) -> bool {
    // `r` must start a token: `for"` would be nonsense, `bar"` cannot occur.
    i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Top-level modules named after `crate::`, including grouped imports
/// (`use crate::{a, b::c}`).
fn crate_imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return index,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `resources/grant/plan.rs` → ("resources", Some("grant")).
fn module_of(relative: &Path) -> (String, Option<String>) {
    let parts: Vec<String> = relative
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    (parts[0].clone(), parts.get(1).cloned())
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Paths `crate::resources::<name>` / `crate::data_sources::<name>` in `code`.
fn sub_imports(code: &str, top: &str) -> BTreeSet<String> {
    let needle = format!("crate::{top}::");
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find(&needle) {
        rest = &rest[at + needle.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        found.insert(name);
    }
    found
}

/// Every violation of the layering in the provider's source tree.
fn violations() -> Vec<String> {
    let root = source_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let dependencies = provider_dependencies();
    let mut problems = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&root).expect("under root").to_path_buf();
        let shown = relative.display().to_string();
        if ROOTS.contains(&shown.as_str()) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).expect("read source"));
        let (top, sub) = module_of(&relative);
        let Some(layer) = layer_of(&top) else {
            problems.push(format!("{shown}: module `{top}` is in no layer of LAYERS"));
            continue;
        };
        for import in crate_imports(&code) {
            let import = ROOT_ITEMS
                .iter()
                .find(|(item, _)| *item == import)
                .map_or(import, |(_, owner)| owner.to_string());
            if import == top {
                continue;
            }
            match layer_of(&import) {
                Some(other) if other < layer => {}
                Some(_) => problems.push(format!(
                    "{shown}: `{top}` imports `crate::{import}`, which is not in a lower layer"
                )),
                None => problems.push(format!(
                    "{shown}: imports `crate::{import}`, which is in no layer"
                )),
            }
        }
        if matches!(top.as_str(), "resources" | "data_sources") {
            let siblings = submodules(&root.join(&top));
            for name in sub_imports(&code, &top) {
                // Items of `resources/mod.rs` itself are shared helpers.
                if siblings.contains(&name) && Some(&name) != sub.as_ref() {
                    problems.push(format!(
                        "{shown}: imports `crate::{top}::{name}`; share through aws/, inputs/ or policy/"
                    ));
                }
            }
        }
        if top != "aws" {
            for prefix in SDK_PREFIXES {
                if contains_ident_prefix(&code, prefix) {
                    problems.push(format!(
                        "{shown}: names `{prefix}…`; only aws/ may use the AWS SDK"
                    ));
                }
            }
        }
        if top == "policy" {
            for krate in &dependencies {
                if !POLICY_CRATES.contains(&krate.as_str())
                    && contains_ident_prefix(&code, &format!("{krate}::"))
                {
                    problems.push(format!(
                        "{shown}: policy/ uses `{krate}`; it must stay pure ({POLICY_CRATES:?})"
                    ));
                }
            }
        }
    }
    problems
}

/// Names of the modules directly under `dir` (files and folders).
fn submodules(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().to_string_lossy().to_string();
            let name = name.strip_suffix(".rs").unwrap_or(&name).to_string();
            (name != "mod").then_some(name)
        })
        .collect()
}

/// The provider's `[dependencies]`, as Rust crate names.
fn provider_dependencies() -> Vec<String> {
    let manifest =
        std::fs::read_to_string(source_root().join("../Cargo.toml")).expect("Cargo.toml");
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                names.push(name.trim().replace('-', "_"));
            }
        }
    }
    assert!(
        names.iter().any(|n| n == "tokio"),
        "no dependencies read from provider/Cargo.toml"
    );
    names
}

fn contains_ident_prefix(code: &str, prefix: &str) -> bool {
    code.match_indices(prefix).any(|(at, _)| {
        !code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn provider_modules_import_only_lower_layers() {
    let problems = violations();
    assert!(
        problems.is_empty(),
        "layering violations (see CONTRIBUTING.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_imports_and_ignores_comments_and_strings() {
    let code = code_of(
        "use crate::{aws::iam, error::{attr, Error}};\n// crate::provider\nlet s = \"crate::plugin aws_sdk_iam\";\n/* crate::cli */ let c = '\"'; let t = crate::values::text;",
    );
    let imports: Vec<String> = crate_imports(&code).into_iter().collect();
    assert_eq!(imports, ["aws", "error", "values"]);
    assert!(!contains_ident_prefix(&code, "aws_sdk_"));
    assert!(contains_ident_prefix(
        "let c: aws_sdk_iam::Client;",
        "aws_sdk_"
    ));
    assert!(!contains_ident_prefix("let my_aws_sdk_x = 1;", "aws_sdk_"));
    assert_eq!(
        sub_imports(
            "use crate::resources::grant::X; crate::resources::user_block::Y",
            "resources"
        ),
        ["grant".to_string(), "user_block".to_string()].into()
    );
}
