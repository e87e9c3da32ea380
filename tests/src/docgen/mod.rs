//! The docs generator: registry-format pages under `docs/` from the
//! provider's own schema, the hand-written templates in `templates/` and the
//! examples in `examples/`.
//!
//! | page | template | example |
//! | --- | --- | --- |
//! | `docs/index.md` | `templates/index.md.tmpl` | `examples/provider/provider.tf` |
//! | `docs/resources/<name>.md` | `templates/resources/<name>.md.tmpl` | `examples/resources/jit_<name>/resource.tf` + `import.sh` |
//! | `docs/data-sources/<name>.md` | `templates/data-sources/<name>.md.tmpl` | `examples/data-sources/jit_<name>/data-source.tf` |
//! | `docs/guides/<file>.md` | `templates/guides/<file>.md` (copied) | |
//! | `docs/guides/permissions.md` | `templates/permissions.md.tmpl` | the action table of `policy/actions` |
//!
//! [`HAND_WRITTEN`] pages (`docs/benchmarks.md`) are left alone.
//!
//! A resource or data source without its template or example is a
//! [`Problem`], so a new resource fails the checks until it is documented.
//! `cargo run -p tests --bin docgen` writes the pages; `--check` compares.

pub mod permissions;
pub mod schema_md;
pub mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use terraform_provider_jit::context::Shared;
use terraform_provider_jit::provider;
use tf_provider::schema::Schema;
use tf_provider::Diagnostics;

use template::{Marker, Template};

/// The command that regenerates the docs.
pub const REGENERATE: &str = "cargo run -p tests --bin docgen";

/// Prefix of every resource and data source type.
const TYPE_PREFIX: &str = "jit_";

/// What a page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The provider block (`docs/index.md`).
    Provider,
    /// A resource.
    Resource,
    /// A data source.
    DataSource,
}

/// One documented object and its schema.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Provider, resource or data source.
    pub kind: Kind,
    /// Name without the `jit_` prefix (`jit` for the provider).
    pub name: String,
    /// Its schema.
    pub schema: Schema,
}

impl Entry {
    /// `jit_grant`, or `jit` for the provider.
    pub fn type_name(&self) -> String {
        match self.kind {
            Kind::Provider => self.name.clone(),
            _ => format!("{TYPE_PREFIX}{}", self.name),
        }
    }

    /// The generated page, relative to the repository root.
    pub fn page(&self) -> PathBuf {
        match self.kind {
            Kind::Provider => PathBuf::from("docs/index.md"),
            Kind::Resource => PathBuf::from(format!("docs/resources/{}.md", self.name)),
            Kind::DataSource => PathBuf::from(format!("docs/data-sources/{}.md", self.name)),
        }
    }

    /// The prose template.
    pub fn template(&self) -> PathBuf {
        match self.kind {
            Kind::Provider => PathBuf::from("templates/index.md.tmpl"),
            Kind::Resource => PathBuf::from(format!("templates/resources/{}.md.tmpl", self.name)),
            Kind::DataSource => {
                PathBuf::from(format!("templates/data-sources/{}.md.tmpl", self.name))
            }
        }
    }

    /// The example embedded in the page.
    pub fn example(&self) -> PathBuf {
        match self.kind {
            Kind::Provider => PathBuf::from("examples/provider/provider.tf"),
            Kind::Resource => PathBuf::from(format!(
                "examples/resources/{}/resource.tf",
                self.type_name()
            )),
            Kind::DataSource => PathBuf::from(format!(
                "examples/data-sources/{}/data-source.tf",
                self.type_name()
            )),
        }
    }

    /// The import script (resources only).
    pub fn import_script(&self) -> Option<PathBuf> {
        (self.kind == Kind::Resource)
            .then(|| PathBuf::from(format!("examples/resources/{}/import.sh", self.type_name())))
    }

    fn markers(&self) -> &'static [Marker] {
        match self.kind {
            Kind::Resource => &[Marker::Example, Marker::Schema, Marker::Import],
            Kind::Provider | Kind::DataSource => &[Marker::Example, Marker::Schema],
        }
    }

    fn heading(&self) -> Option<String> {
        match self.kind {
            Kind::Provider => None,
            Kind::Resource => Some(format!("# {} (Resource)", self.type_name())),
            Kind::DataSource => Some(format!("# {} (Data Source)", self.type_name())),
        }
    }
}

/// Something that keeps the docs from being generated or current.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file concerned, relative to the repository root.
    pub path: PathBuf,
    /// What is wrong and what to do.
    pub message: String,
}

impl Problem {
    fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// The provider, every resource and every data source, with their schemas,
/// sorted by kind and name.
pub fn catalog() -> Result<Vec<Entry>, Vec<Problem>> {
    let shared = Shared::default();
    let mut entries = vec![Entry {
        kind: Kind::Provider,
        name: "jit".into(),
        schema: provider::provider_schema(),
    }];
    let mut problems = Vec::new();
    let mut diags = Diagnostics::default();
    for (name, resource) in provider::resources(&shared) {
        match resource.schema(&mut diags) {
            Some(schema) => entries.push(Entry {
                kind: Kind::Resource,
                name,
                schema,
            }),
            None => problems.push(Problem::new(
                "provider/src/resources",
                format!("resource `{TYPE_PREFIX}{name}` returned no schema"),
            )),
        }
    }
    for (name, data_source) in provider::data_sources(&shared) {
        match data_source.schema(&mut diags) {
            Some(schema) => entries.push(Entry {
                kind: Kind::DataSource,
                name,
                schema,
            }),
            None => problems.push(Problem::new(
                "provider/src/data_sources",
                format!("data source `{TYPE_PREFIX}{name}` returned no schema"),
            )),
        }
    }
    for error in diags.errors {
        problems.push(Problem::new(
            "provider/src",
            format!("schema error: {}: {}", error.summary, error.detail),
        ));
    }
    entries.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// The generated pages (path relative to the root → content), the problems
/// found, and the pages that could not be generated because of them.
#[derive(Debug, Default)]
pub struct Site {
    /// Every page that could be generated.
    pub pages: BTreeMap<PathBuf, String>,
    /// Missing templates or examples, bad markers, undescribed attributes.
    pub problems: Vec<Problem>,
    /// Pages that should exist but failed; never reported as extra.
    pub failed: BTreeSet<PathBuf>,
}

/// Generates every page from the files under `root`.
pub fn generate(root: &Path, entries: &[Entry]) -> Site {
    let mut site = Site::default();
    for entry in entries {
        match render_entry(root, entry) {
            Ok(page) => {
                site.pages.insert(entry.page(), page);
            }
            Err(problems) => {
                site.failed.insert(entry.page());
                site.problems.extend(problems);
            }
        }
    }
    site.problems.extend(orphans(root, entries));
    copy_guides(root, &mut site);
    match permissions::render(root) {
        Ok((path, page)) => {
            site.pages.insert(path, page);
        }
        Err(problem) => {
            site.problems.push(problem);
            site.failed.insert(PathBuf::from(permissions::PAGE));
        }
    }
    site.problems.extend(broken_links(&site));
    site.problems.sort();
    site
}

/// Relative Markdown links between pages that lead nowhere.
fn broken_links(site: &Site) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (page, content) in &site.pages {
        let dir = page.parent().unwrap_or_else(|| Path::new(""));
        for target in relative_links(content) {
            let file = target.split('#').next().unwrap_or_default();
            if file.is_empty() {
                continue;
            }
            let resolved = normalize(&dir.join(file));
            if !site.pages.contains_key(&resolved) && !site.failed.contains(&resolved) {
                problems.push(Problem::new(
                    page.clone(),
                    format!("links to `{target}`, which is not a generated page"),
                ));
            }
        }
    }
    problems
}

/// Targets of `[text](target)` links that are neither absolute URLs nor
/// in-page anchors.
fn relative_links(markdown: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else {
                break;
            };
            let target = after[..end].trim();
            if !target.contains("://") && !target.starts_with('#') && !target.starts_with("mailto:")
            {
                links.push(target.to_string());
            }
            rest = &after[end..];
        }
    }
    links
}

/// Resolves `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(part) => parts.push(part),
            _ => {}
        }
    }
    parts.iter().collect()
}

fn render_entry(root: &Path, entry: &Entry) -> Result<String, Vec<Problem>> {
    let what = match entry.kind {
        Kind::Provider => "the provider".to_string(),
        Kind::Resource => format!("resource `{}`", entry.type_name()),
        Kind::DataSource => format!("data source `{}`", entry.type_name()),
    };
    let mut problems = Vec::new();
    for path in schema_md::undescribed(&entry.schema) {
        problems.push(Problem::new(
            entry.page(),
            format!("{what}: schema attribute or block `{path}` has no description; give it one in the provider's schema"),
        ));
    }
    let template_text = read(root, &entry.template()).map_err(|message| {
        vec![Problem::new(
            entry.template(),
            format!("{message}: every {what} needs a prose template (YAML front matter, `{}`, prose, and the marker lines {})",
                entry.heading().unwrap_or_else(|| "# heading".into()),
                entry.markers().iter().map(|m| format!("`{}`", m.line())).collect::<Vec<_>>().join(", ")),
        )]
    });
    let example = read(root, &entry.example()).map_err(|message| {
        vec![Problem::new(
            entry.example(),
            format!("{message}: every {what} needs an example that the docs embed"),
        )]
    });
    let import = entry.import_script().map(|path| {
        read(root, &path).map_err(|message| {
            vec![Problem::new(
                path.clone(),
                format!("{message}: every {what} needs an import script with a `terraform import {}.NAME ID` line", entry.type_name()),
            )]
        })
    });
    let mut collect = |result: Result<String, Vec<Problem>>| match result {
        Ok(text) => Some(text),
        Err(mut found) => {
            problems.append(&mut found);
            None
        }
    };
    let template_text = collect(template_text);
    let example = collect(example);
    let import = match import {
        Some(result) => collect(result).map(Some),
        None => Some(None),
    };
    let (Some(template_text), Some(example), Some(import), true) =
        (template_text, example, import, problems.is_empty())
    else {
        return Err(problems);
    };

    let parsed = template::parse(&template_text).map_err(|found| {
        found
            .into_iter()
            .map(|m| Problem::new(entry.template(), m))
            .collect::<Vec<_>>()
    })?;
    template::check_heading(&parsed, entry.heading().as_deref())
        .map_err(|m| vec![Problem::new(entry.template(), m)])?;
    let mut page_problems: Vec<Problem> = template::check_front_matter(&parsed)
        .into_iter()
        .map(|m| Problem::new(entry.template(), m))
        .collect();
    for line in template::import_headings(&parsed.body) {
        page_problems.push(Problem::new(
            entry.template(),
            format!("body line {line}: `## Import` is written by the `{}` marker (one per page); put import prose after the marker", Marker::Import.line()),
        ));
    }
    if !page_problems.is_empty() {
        return Err(page_problems);
    }
    let body = template::fill(&parsed, entry.markers(), |marker| match marker {
        Marker::Example => Ok(code_block("terraform", &example)),
        Marker::Schema => Ok(schema_md::render(&entry.schema)),
        Marker::Import => import
            .as_deref()
            .map(|script| render_import(entry, script, &example))
            .unwrap_or_else(|| Err("no import script".to_string())),
    })
    .map_err(|found| {
        found
            .into_iter()
            .map(|m| Problem::new(entry.template(), m))
            .collect::<Vec<_>>()
    })?;
    Ok(assemble(&parsed, &generated_note(entry), &body))
}

fn assemble(template: &Template, note: &str, body: &str) -> String {
    let mut page = format!("{}\n{note}\n", template.front_matter);
    let body = body.trim_start_matches('\n');
    page.push('\n');
    page.push_str(body.trim_end());
    page.push('\n');
    page
}

fn generated_note(entry: &Entry) -> String {
    let mut sources = vec![
        format!("`{}`", entry.template().display()),
        format!("`{}`", entry.example().display()),
    ];
    if let Some(import) = entry.import_script() {
        sources.push(format!("`{}`", import.display()));
    }
    format!(
        "<!-- Generated by `{REGENERATE}` from {} and the provider schema. Edit those, not this file. -->",
        sources.join(", ")
    )
}

fn code_block(language: &str, text: &str) -> String {
    format!("```{language}\n{}\n```\n", text.trim_end())
}

/// The `## Import` section: the CLI form (any Terraform version) and the
/// `import {}` block (Terraform ≥ 1.5).
fn render_import(entry: &Entry, script: &str, example: &str) -> Result<String, String> {
    let path = entry
        .import_script()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let commands = template::import_commands(script).map_err(|m| format!("{path}: {m}"))?;
    let prefix = format!("{}.", entry.type_name());
    let declared: BTreeSet<String> = crate::examples::top_level_blocks(example)
        .into_iter()
        .filter(|block| block.kind == "resource" && block.labels.len() == 2)
        .map(|block| block.labels.join("."))
        .collect();
    // One `import` block per address: import.sh may show alternative ids
    // for one address (by id, by name), and a configuration that imports
    // an address twice fails ("Duplicate import configuration"). The
    // alternatives become comments inside the block.
    let mut blocks: Vec<(String, String, Vec<String>)> = Vec::new();
    for command in &commands {
        if !command.address.starts_with(&prefix) {
            return Err(format!(
                "{path}: imports `{}`; expected an address of `{}` such as `{}example`",
                command.address,
                entry.type_name(),
                prefix
            ));
        }
        let resource = command.address.split('[').next().unwrap_or_default();
        if !declared.contains(resource) {
            return Err(format!(
                "{path}: imports `{}`, which `{}` does not declare; import into a resource of the example",
                command.address,
                entry.example().display()
            ));
        }
        let id = template::hcl_string(&command.id);
        match blocks
            .iter_mut()
            .find(|(address, _, _)| *address == command.address)
        {
            Some((_, _, alternatives)) => alternatives.push(id),
            None => blocks.push((command.address.clone(), id, Vec::new())),
        }
    }
    let blocks: Vec<String> = blocks
        .into_iter()
        .map(|(address, id, alternatives)| {
            let mut block = format!("import {{\n  to = {address}\n  id = {id}");
            for alternative in alternatives {
                block.push_str(&format!("\n  # or: id = {alternative}"));
            }
            block.push_str("\n}");
            block
        })
        .collect();
    Ok(format!(
        "## Import\n\nImport an existing object with `terraform import` (every supported Terraform version):\n\n{}\nIn Terraform 1.5 and later, an `import` block does the same as part of `plan` and `apply`:\n\n{}",
        code_block("shell", script),
        code_block("terraform", &blocks.join("\n\n"))
    ))
}

/// Templates and example directories that match no resource or data source
/// (a typo, or a rename that left them behind).
fn orphans(root: &Path, entries: &[Entry]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let names = |kind: Kind| -> BTreeSet<String> {
        entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.name.clone())
            .collect()
    };
    for (kind, templates, examples, label) in [
        (
            Kind::Resource,
            "templates/resources",
            "examples/resources",
            "resource",
        ),
        (
            Kind::DataSource,
            "templates/data-sources",
            "examples/data-sources",
            "data source",
        ),
    ] {
        let known = names(kind);
        let known_list = known
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        for file in list(root, Path::new(templates)) {
            let Some(name) = file
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".md.tmpl"))
            else {
                problems.push(Problem::new(
                    file.clone(),
                    format!(
                        "unexpected file in `{templates}`: templates are named `<name>.md.tmpl`"
                    ),
                ));
                continue;
            };
            if !known.contains(name) {
                problems.push(Problem::new(
                    file.clone(),
                    format!("no {label} is named `{TYPE_PREFIX}{name}`; templates are named without the `{TYPE_PREFIX}` prefix, one of {known_list}"),
                ));
            }
        }
        for dir in list(root, Path::new(examples)) {
            let name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let known_name = name
                .strip_prefix(TYPE_PREFIX)
                .is_some_and(|n| known.contains(n));
            if !known_name {
                problems.push(Problem::new(
                    dir.clone(),
                    format!("no {label} is named `{name}`; example directories use the full type name (`{TYPE_PREFIX}<name>`) of one of {known_list}"),
                ));
            }
        }
    }
    problems
}

/// Guides are copied verbatim; each needs front matter.
fn copy_guides(root: &Path, site: &mut Site) {
    for file in list(root, Path::new("templates/guides")) {
        let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let target = PathBuf::from("docs/guides").join(name);
        if !name.ends_with(".md") {
            site.problems.push(Problem::new(
                file.clone(),
                "guides are Markdown files named `<name>.md`",
            ));
            continue;
        }
        let text = match read(root, &file) {
            Ok(text) => text,
            Err(message) => {
                site.problems.push(Problem::new(file.clone(), message));
                site.failed.insert(target);
                continue;
            }
        };
        let checked = template::parse(&text)
            .map_err(|found| found.join("; "))
            .and_then(|parsed| {
                template::check_heading(&parsed, None)?;
                let problems = template::check_front_matter(&parsed);
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(problems.join("; "))
                }
            });
        match checked {
            Ok(()) => {
                site.pages.insert(target, text);
            }
            Err(message) => {
                site.problems.push(Problem::new(file.clone(), message));
                site.failed.insert(target);
            }
        }
    }
}

/// Differences between the generated site and `docs/` on disk: missing,
/// stale and extra pages.
pub fn stale(root: &Path, site: &Site) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (path, content) in &site.pages {
        match std::fs::read_to_string(root.join(path)) {
            Ok(on_disk) if &on_disk == content => {}
            Ok(_) => problems.push(Problem::new(
                path.clone(),
                format!("stale: differs from what the schema, template and example give; run `{REGENERATE}`"),
            )),
            Err(_) => problems.push(Problem::new(
                path.clone(),
                format!("missing; run `{REGENERATE}`"),
            )),
        }
    }
    for path in extra_pages(root, site) {
        problems.push(Problem::new(
            path,
            format!("documents nothing that exists (removed or renamed?); run `{REGENERATE}` to delete it"),
        ));
    }
    problems
}

/// Pages under `docs/` written by hand, not generated (and never removed).
pub const HAND_WRITTEN: &[&str] = &["docs/benchmarks.md"];

fn extra_pages(root: &Path, site: &Site) -> Vec<PathBuf> {
    let mut extra = Vec::new();
    let mut stack = vec![PathBuf::from("docs")];
    while let Some(dir) = stack.pop() {
        for path in list(root, &dir) {
            if root.join(&path).is_dir() {
                stack.push(path);
            } else if !site.pages.contains_key(&path)
                && !site.failed.contains(&path)
                && !HAND_WRITTEN.iter().any(|page| path == Path::new(page))
            {
                extra.push(path);
            }
        }
    }
    extra.sort();
    extra
}

/// What [`write`] changed.
#[derive(Debug, Default)]
pub struct Written {
    /// Pages created or rewritten.
    pub updated: Vec<PathBuf>,
    /// Pages deleted because they document nothing that exists.
    pub removed: Vec<PathBuf>,
}

/// Writes every generated page whose content changed and deletes extra ones.
pub fn write(root: &Path, site: &Site) -> std::io::Result<Written> {
    let mut written = Written::default();
    for (path, content) in &site.pages {
        let target = root.join(path);
        if std::fs::read_to_string(&target).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, content)?;
        written.updated.push(path.clone());
    }
    for path in extra_pages(root, site) {
        std::fs::remove_file(root.join(&path))?;
        written.removed.push(path);
    }
    Ok(written)
}

/// Reads a file relative to `root`; the error says "missing" or why.
fn read(root: &Path, path: &Path) -> Result<String, String> {
    std::fs::read_to_string(root.join(path)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "missing".to_string(),
        _ => format!("cannot read: {e}"),
    })
}

/// Entries of a directory relative to `root`, sorted; empty when absent.
fn list(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| dir.join(entry.file_name()))
        .filter(|path| {
            !path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use terraform_provider_jit::schema::*;

    fn entry(kind: Kind, name: &str) -> Entry {
        Entry {
            kind,
            name: name.into(),
            schema: schema(
                0,
                block(
                    "A thing.",
                    [
                        ("id", computed_str("Id.")),
                        ("name", forces_replacement(required_str("Name."))),
                    ],
                    [],
                ),
            ),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("docgen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Every site has the permissions guide; its own tests are in `permissions`.
        put(
            &dir,
            permissions::TEMPLATE,
            &format!(
                "{}\n# Permissions\n\n{}\n",
                guide_front("Permissions"),
                permissions::MARKER
            ),
        );
        dir
    }

    fn put(root: &Path, path: &str, text: &str) {
        let target = root.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }

    const FRONT: &str = "---\npage_title: \"jit_thing Resource - terraform-provider-jit\"\nsubcategory: \"Things\"\ndescription: |-\n  d\n---\n";

    /// Front matter of a guide whose heading is `# {title}`.
    fn guide_front(title: &str) -> String {
        format!("---\npage_title: \"{title} - terraform-provider-jit\"\nsubcategory: \"Guides\"\ndescription: |-\n  d\n---\n")
    }

    fn documented(root: &Path) {
        put(
            root,
            "templates/resources/thing.md.tmpl",
            &format!("{FRONT}\n# jit_thing (Resource)\n\nProse.\n\n## Example Usage\n\n{{{{ .Example }}}}\n\n{{{{ .Schema }}}}\n\n{{{{ .Import }}}}\n"),
        );
        put(
            root,
            "examples/resources/jit_thing/resource.tf",
            "resource \"jit_thing\" \"example\" {\n  name = \"a\"\n}\n",
        );
        put(
            root,
            "examples/resources/jit_thing/import.sh",
            "# By name:\nterraform import jit_thing.example a\n",
        );
    }

    #[test]
    fn a_documented_resource_gets_its_page() {
        let root = scratch("ok");
        documented(&root);
        let site = generate(&root, &[entry(Kind::Resource, "thing")]);
        assert!(site.problems.is_empty(), "{:?}", site.problems);
        let page = &site.pages[Path::new("docs/resources/thing.md")];
        assert!(page.starts_with(FRONT), "{page}");
        assert!(page.contains("<!-- Generated by `cargo run -p tests --bin docgen` from `templates/resources/thing.md.tmpl`"), "{page}");
        assert!(page.contains("## Example Usage\n\n```terraform\nresource \"jit_thing\" \"example\" {\n  name = \"a\"\n}\n```\n"), "{page}");
        assert!(
            page.contains("### Required\n\n- `name` (String, Forces replacement) Name.\n"),
            "{page}"
        );
        assert!(
            page.contains("```shell\n# By name:\nterraform import jit_thing.example a\n```"),
            "{page}"
        );
        assert!(
            page.contains("```terraform\nimport {\n  to = jit_thing.example\n  id = \"a\"\n}\n```"),
            "{page}"
        );
        assert!(
            page.ends_with("```\n") && !page.ends_with("\n\n"),
            "{page:?}"
        );
    }

    #[test]
    fn missing_template_example_and_import_are_each_named() {
        let root = scratch("missing");
        let site = generate(&root, &[entry(Kind::Resource, "thing")]);
        let paths: Vec<String> = site
            .problems
            .iter()
            .map(|p| p.path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            vec![
                "examples/resources/jit_thing/import.sh",
                "examples/resources/jit_thing/resource.tf",
                "templates/resources/thing.md.tmpl",
            ]
        );
        assert!(site.problems[2]
            .message
            .starts_with("missing: every resource `jit_thing` needs a prose template"));
        assert!(!site
            .pages
            .contains_key(Path::new("docs/resources/thing.md")));
        assert!(site.failed.contains(Path::new("docs/resources/thing.md")));
    }

    #[test]
    fn orphans_and_wrong_names_are_reported() {
        let root = scratch("orphans");
        documented(&root);
        put(&root, "templates/data-sources/jit_policy.md.tmpl", FRONT);
        put(&root, "examples/data-sources/policy/data-source.tf", "");
        let site = generate(
            &root,
            &[
                entry(Kind::Resource, "thing"),
                entry(Kind::DataSource, "policy"),
            ],
        );
        let messages: Vec<String> = site.problems.iter().map(|p| p.to_string()).collect();
        assert!(messages.iter().any(|m| m.starts_with("templates/data-sources/jit_policy.md.tmpl: no data source is named `jit_jit_policy`")), "{messages:#?}");
        assert!(
            messages
                .iter()
                .any(|m| m
                    .starts_with("examples/data-sources/policy: no data source is named `policy`")),
            "{messages:#?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("templates/data-sources/policy.md.tmpl: missing")),
            "{messages:#?}"
        );
    }

    #[test]
    fn stale_missing_and_extra_pages_are_found_and_fixed() {
        let root = scratch("stale");
        documented(&root);
        put(
            &root,
            "templates/guides/runbook.md",
            &format!("{}\n# Runbook\n", guide_front("Runbook")),
        );
        put(&root, "docs/resources/gone.md", "old");
        let site = generate(&root, &[entry(Kind::Resource, "thing")]);
        assert!(site.problems.is_empty(), "{:?}", site.problems);
        let found: Vec<String> = stale(&root, &site).iter().map(|p| p.to_string()).collect();
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].starts_with("docs/guides/permissions.md: missing"));
        assert!(found[1].starts_with("docs/guides/runbook.md: missing"));
        assert!(found[2].starts_with("docs/resources/thing.md: missing"));
        assert!(found[3].starts_with("docs/resources/gone.md: documents nothing"));
        let written = write(&root, &site).unwrap();
        assert_eq!(written.updated.len(), 3);
        assert_eq!(
            written.removed,
            vec![PathBuf::from("docs/resources/gone.md")]
        );
        assert!(stale(&root, &site).is_empty());
        put(&root, "docs/resources/thing.md", "edited by hand");
        assert!(stale(&root, &site)[0].message.starts_with("stale"));
    }

    #[test]
    fn broken_relative_links_are_reported() {
        let root = scratch("links");
        documented(&root);
        put(&root, "templates/guides/a.md", &format!("{}\n# A\n\n[b](b.md) [thing](../resources/thing.md#schema) [web](https://example.com/x.md) [top](#a)\n\n```\n[not a link](nowhere.md)\n```\n", guide_front("A")));
        let site = generate(&root, &[entry(Kind::Resource, "thing")]);
        let messages: Vec<String> = site.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            messages,
            vec!["docs/guides/a.md: links to `b.md`, which is not a generated page"]
        );
    }

    #[test]
    fn alternative_ids_of_one_address_share_one_import_block() {
        let root = scratch("alternatives");
        documented(&root);
        put(
            &root,
            "examples/resources/jit_thing/import.sh",
            "# By id:\nterraform import jit_thing.example 123\n\n# Or by name:\nterraform import jit_thing.example \"a b\"\n",
        );
        let site = generate(&root, &[entry(Kind::Resource, "thing")]);
        assert!(site.problems.is_empty(), "{:?}", site.problems);
        let page = &site.pages[Path::new("docs/resources/thing.md")];
        assert!(
            page.contains("```terraform\nimport {\n  to = jit_thing.example\n  id = \"123\"\n  # or: id = \"a b\"\n}\n```"),
            "{page}"
        );
        assert_eq!(page.matches("import {").count(), 1, "{page}");
        assert_eq!(
            template::import_headings(page),
            vec![page.lines().position(|l| l == "## Import").unwrap() + 1]
        );
    }

    #[test]
    fn an_import_heading_in_the_template_and_other_title_forms_are_reported() {
        let root = scratch("headings");
        documented(&root);
        let template = root.join("templates/resources/thing.md.tmpl");
        let text = std::fs::read_to_string(&template).unwrap();
        std::fs::write(
            &template,
            text.replace("{{ .Import }}", "## Import\n\n{{ .Import }}")
                .replace("Resource - terraform-provider-jit", "Resource - jit"),
        )
        .unwrap();
        let site = generate(&root, &[entry(Kind::Resource, "thing")]);
        let messages: Vec<String> = site.problems.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(
            messages[1].contains("page_title is `\"jit_thing Resource - jit\"`"),
            "{messages:#?}"
        );
        assert!(
            messages[0].contains("`## Import` is written by the `{{ .Import }}` marker"),
            "{messages:#?}"
        );
    }

    #[test]
    fn import_must_target_the_resource_type() {
        let root = scratch("import");
        documented(&root);
        put(
            &root,
            "examples/resources/jit_thing/import.sh",
            "terraform import jit_other.x a\n",
        );
        let site = generate(&root, &[entry(Kind::Resource, "thing")]);
        assert_eq!(site.problems.len(), 1);
        assert!(
            site.problems[0]
                .message
                .contains("imports `jit_other.x`; expected an address of `jit_thing`"),
            "{:?}",
            site.problems
        );
    }

    #[test]
    fn the_real_catalog_has_the_provider_and_unique_names() {
        let entries = catalog().unwrap();
        assert_eq!(entries[0].kind, Kind::Provider);
        assert!(entries.iter().any(|e| e.type_name() == "jit_iam_env_group"));
        assert!(entries
            .iter()
            .any(|e| e.kind == Kind::DataSource && e.name == "role_policy"));
        let pages: BTreeSet<PathBuf> = entries.iter().map(Entry::page).collect();
        assert_eq!(pages.len(), entries.len());
    }
}
