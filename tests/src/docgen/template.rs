//! Page templates: YAML front matter, a heading, prose, and marker lines
//! (`{{ .Example }}`, `{{ .Schema }}`, `{{ .Import }}`) that the generator
//! replaces. Also reads `import.sh` into the CLI and `import {}` forms.

use std::collections::BTreeMap;

/// A generated part of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Marker {
    /// The example file in a `terraform` code block.
    Example,
    /// The `## Schema` section.
    Schema,
    /// The `## Import` section.
    Import,
}

impl Marker {
    /// The marker line as written in a template.
    pub fn line(self) -> &'static str {
        match self {
            Self::Example => "{{ .Example }}",
            Self::Schema => "{{ .Schema }}",
            Self::Import => "{{ .Import }}",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Example, Self::Schema, Self::Import]
            .into_iter()
            .find(|m| m.line() == text)
    }
}

/// Front matter keys every page and guide must have.
pub const FRONT_MATTER_KEYS: [&str; 3] = ["page_title", "subcategory", "description"];

/// A template split into front matter and body.
#[derive(Debug, Clone)]
pub struct Template {
    /// The front matter block including both `---` lines.
    pub front_matter: String,
    /// Top-level keys of the front matter and their raw values.
    pub keys: BTreeMap<String, String>,
    /// Everything after the front matter.
    pub body: String,
}

/// Splits off the YAML front matter and checks its keys.
pub fn parse(text: &str) -> Result<Template, Vec<String>> {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.first() != Some(&"---") {
        return Err(vec![
            "does not start with YAML front matter (a `---` line, `page_title:`, `subcategory:`, `description:`, then `---`)".to_string(),
        ]);
    }
    let Some(close) = lines
        .iter()
        .skip(1)
        .position(|line| *line == "---")
        .map(|i| i + 1)
    else {
        return Err(vec![
            "front matter is not closed by a `---` line".to_string()
        ]);
    };
    let inner: String = lines[1..close]
        .iter()
        .map(|line| format!("{line}\n"))
        .collect();
    let after = lines[close + 1..].join("\n");
    let mut keys = BTreeMap::new();
    for line in inner.lines() {
        if line.starts_with(' ') || line.starts_with('\t') || line.trim().is_empty() {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            keys.insert(key.trim().to_string(), value.trim().to_string());
        }
    }
    let missing: Vec<String> = FRONT_MATTER_KEYS
        .iter()
        .filter(|key| !keys.contains_key(**key))
        .map(|key| format!("front matter lacks `{key}:`"))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(Template {
        front_matter: format!("---\n{inner}---\n"),
        keys,
        body: after.to_string(),
    })
}

/// Checks the body's first heading, when one is required.
pub fn check_heading(template: &Template, expected: Option<&str>) -> Result<(), String> {
    let heading = template
        .body
        .lines()
        .find(|line| line.starts_with("# "))
        .map(str::trim_end);
    match (heading, expected) {
        (None, Some(expected)) => Err(format!("has no `{expected}` heading")),
        (None, None) => Err("has no `# ` heading".to_string()),
        (Some(found), Some(expected)) if found != expected => {
            Err(format!("heading is `{found}`; expected `{expected}`"))
        }
        _ => Ok(()),
    }
}

/// What every `page_title` ends with: one form on every page, the page's
/// own heading then this suffix.
pub const TITLE_SUFFIX: &str = " - terraform-provider-jit";

/// The `page_title` a page with this `# ` heading must have: the heading
/// without parentheses (`# jit_grant (Resource)` gives
/// `jit_grant Resource - terraform-provider-jit`).
pub fn expected_page_title(heading: &str) -> String {
    let text: String = heading
        .trim_start_matches('#')
        .trim()
        .chars()
        .filter(|c| *c != '(' && *c != ')')
        .collect();
    format!("{text}{TITLE_SUFFIX}")
}

/// A front matter value without its surrounding double quotes.
fn unquoted(raw: &str) -> &str {
    raw.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(raw)
}

/// Checks `page_title` (see [`expected_page_title`]) and that `subcategory`
/// names the page's group in the Registry's navigation.
pub fn check_front_matter(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(heading) = template.body.lines().find(|line| line.starts_with("# ")) {
        let expected = expected_page_title(heading);
        let found = template
            .keys
            .get("page_title")
            .map(String::as_str)
            .unwrap_or_default();
        if unquoted(found) != expected {
            problems.push(format!(
                "page_title is `{found}`; write `page_title: \"{expected}\"` (every page: its heading, then `{TITLE_SUFFIX}`)"
            ));
        }
    }
    let subcategory = template
        .keys
        .get("subcategory")
        .map(String::as_str)
        .unwrap_or_default();
    if unquoted(subcategory).trim().is_empty() {
        problems.push(
            "subcategory is empty; name the page's group in the Registry's navigation, e.g. `subcategory: \"Time-limited access\"`".to_string(),
        );
    }
    problems
}

/// `## Import` headings of the body outside code blocks, as 1-based line
/// numbers: the `{{ .Import }}` marker writes the page's one `## Import`.
pub fn import_headings(body: &str) -> Vec<usize> {
    let mut in_code = false;
    let mut found = Vec::new();
    for (number, line) in body.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.trim_end() == "## Import" {
            found.push(number + 1);
        }
    }
    found
}

/// Replaces each marker line with its content. `allowed` lists the markers
/// this kind of page must contain, each exactly once.
pub fn fill(
    template: &Template,
    allowed: &[Marker],
    content: impl Fn(Marker) -> Result<String, String>,
) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<Marker, usize> = BTreeMap::new();
    let mut out = String::new();
    for (number, line) in template.body.lines().enumerate() {
        let trimmed = line.trim();
        if !line.contains("{{ .") && !line.contains("{{.") {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let Some(marker) = Marker::parse(trimmed) else {
            problems.push(format!(
                "body line {}: `{trimmed}` is not a marker line; use exactly one of {} alone on its line",
                number + 1,
                allowed.iter().map(|m| format!("`{}`", m.line())).collect::<Vec<_>>().join(", ")
            ));
            continue;
        };
        if !allowed.contains(&marker) {
            problems.push(format!(
                "body line {}: `{}` does not belong on this kind of page",
                number + 1,
                marker.line()
            ));
            continue;
        }
        *seen.entry(marker).or_default() += 1;
        match content(marker) {
            Ok(text) => {
                out.push_str(text.trim_end());
                out.push('\n');
            }
            Err(problem) => problems.push(problem),
        }
    }
    for marker in allowed {
        match seen.get(marker).copied().unwrap_or(0) {
            0 => problems.push(format!("lacks the marker line `{}`", marker.line())),
            1 => {}
            n => problems.push(format!(
                "has the marker line `{}` {n} times; use it once",
                marker.line()
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// One `terraform import ADDRESS ID` command of an `import.sh`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportCommand {
    /// Resource address, e.g. `jit_grant.alice_s3`.
    pub address: String,
    /// The import id as the shell passes it.
    pub id: String,
}

/// The `terraform import` commands of an `import.sh`.
pub fn import_commands(script: &str) -> Result<Vec<ImportCommand>, String> {
    let mut commands = Vec::new();
    for (number, line) in script.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = shell_words(trimmed).map_err(|e| format!("line {}: {e}", number + 1))?;
        if words.first().map(String::as_str) != Some("terraform")
            || words.get(1).map(String::as_str) != Some("import")
        {
            continue;
        }
        let positional: Vec<&String> = words[2..].iter().filter(|w| !w.starts_with('-')).collect();
        match positional.as_slice() {
            [address, id] => commands.push(ImportCommand {
                address: (*address).clone(),
                id: (*id).clone(),
            }),
            _ => {
                return Err(format!(
                    "line {}: expected `terraform import ADDRESS ID`, found `{trimmed}`",
                    number + 1
                ))
            }
        }
    }
    if commands.is_empty() {
        return Err("has no `terraform import ADDRESS ID` line".to_string());
    }
    Ok(commands)
}

/// Splits a shell command line into words (plain, `'single'` and
/// `"double"` quoting with backslash escapes); enough for `import.sh`.
fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => return Err("unclosed `'` quote".to_string()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => current.push(c),
                            Some(c) => {
                                current.push('\\');
                                current.push(c);
                            }
                            None => return Err("unclosed `\"` quote".to_string()),
                        },
                        Some('$') => {
                            return Err(
                                "shell variables in the import id cannot be shown as an `import` block; write the id literally".to_string(),
                            )
                        }
                        Some(c) => current.push(c),
                        None => return Err("unclosed `\"` quote".to_string()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    current.push(c);
                }
            }
            '$' => {
                return Err(
                    "shell variables in the import id cannot be shown as an `import` block; write the id literally".to_string(),
                )
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

/// A string as an HCL quoted template literal.
pub fn hcl_string(value: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "---\npage_title: \"jit_x Resource - terraform-provider-jit\"\nsubcategory: \"Things\"\ndescription: |-\n  A thing.\n---\n\n# jit_x (Resource)\n\nProse.\n\n## Example Usage\n\n{{ .Example }}\n\n{{ .Schema }}\n\n{{ .Import }}\n";

    #[test]
    fn front_matter_and_heading() {
        let template = parse(PAGE).unwrap();
        assert_eq!(
            template.keys["page_title"],
            "\"jit_x Resource - terraform-provider-jit\""
        );
        assert!(check_front_matter(&template).is_empty());
        assert!(template.front_matter.ends_with("  A thing.\n---\n"));
        assert!(template.body.starts_with("\n# jit_x (Resource)"));
        check_heading(&template, Some("# jit_x (Resource)")).unwrap();
        assert!(check_heading(&template, Some("# jit_y (Resource)"))
            .unwrap_err()
            .contains("expected `# jit_y (Resource)`"));
    }

    #[test]
    fn front_matter_problems_are_named() {
        assert!(parse("# no front matter\n").unwrap_err()[0].contains("front matter"));
        assert!(parse("---\npage_title: x\n").unwrap_err()[0].contains("not closed"));
        let missing = parse("---\npage_title: x\n---\n# h\n").unwrap_err();
        assert_eq!(
            missing,
            vec![
                "front matter lacks `subcategory:`",
                "front matter lacks `description:`"
            ]
        );
    }

    #[test]
    fn one_page_title_form_and_a_subcategory() {
        assert_eq!(
            expected_page_title("# jit_grant (Resource)"),
            "jit_grant Resource - terraform-provider-jit"
        );
        assert_eq!(
            expected_page_title("# Installing the provider"),
            "Installing the provider - terraform-provider-jit"
        );
        let other_form =
            parse(&PAGE.replace("Resource - terraform-provider-jit", "Resource - jit")).unwrap();
        let problems = check_front_matter(&other_form);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("page_title: \"jit_x Resource - terraform-provider-jit\""));
        let no_group = parse(&PAGE.replace("\"Things\"", "\"\"")).unwrap();
        let problems = check_front_matter(&no_group);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("subcategory is empty"));
    }

    #[test]
    fn import_headings_outside_code_blocks() {
        assert_eq!(
            import_headings("# t\n## Import\n```md\n## Import\n```\nx\n## Import\n## Imports\n"),
            vec![2, 7]
        );
    }

    #[test]
    fn markers_are_replaced_once_each() {
        let template = parse(PAGE).unwrap();
        let all = [Marker::Example, Marker::Schema, Marker::Import];
        let out = fill(&template, &all, |m| Ok(format!("<{m:?}>\n"))).unwrap();
        assert!(
            out.contains("## Example Usage\n\n<Example>\n\n<Schema>\n\n<Import>\n"),
            "{out}"
        );
    }

    #[test]
    fn marker_problems_are_named() {
        let template = parse(&PAGE.replace("{{ .Import }}", "{{ .Example }}")).unwrap();
        let problems = fill(
            &template,
            &[Marker::Example, Marker::Schema, Marker::Import],
            |_| Ok(String::new()),
        )
        .unwrap_err();
        assert_eq!(
            problems,
            vec![
                "has the marker line `{{ .Example }}` 2 times; use it once",
                "lacks the marker line `{{ .Import }}`"
            ]
        );
        let template = parse(&PAGE.replace("{{ .Schema }}", "See {{ .Schema }} here")).unwrap();
        let problems = fill(&template, &[Marker::Example, Marker::Schema], |_| {
            Ok(String::new())
        })
        .unwrap_err();
        assert!(problems[0].contains("is not a marker line"), "{problems:?}");
        assert!(problems[1].contains("does not belong"), "{problems:?}");
    }

    #[test]
    fn import_commands_are_read_from_the_script() {
        let script = "# By group name:\nterraform import jit_iam_env_group.prod 'hera-prod-infra-manager'\nterraform import -no-color jit_x.y \"a,b \\\"c\\\"\" # trailing\n";
        assert_eq!(
            import_commands(script).unwrap(),
            vec![
                ImportCommand {
                    address: "jit_iam_env_group.prod".into(),
                    id: "hera-prod-infra-manager".into()
                },
                ImportCommand {
                    address: "jit_x.y".into(),
                    id: "a,b \"c\"".into()
                },
            ]
        );
        assert!(import_commands("# nothing\n")
            .unwrap_err()
            .contains("no `terraform import"));
        assert!(import_commands("terraform import jit_x.y\n")
            .unwrap_err()
            .contains("expected `terraform import ADDRESS ID`"));
        assert!(import_commands("terraform import jit_x.y $ID\n")
            .unwrap_err()
            .contains("shell variables"));
    }

    #[test]
    fn hcl_strings_escape_templates() {
        assert_eq!(
            hcl_string("a\"b\\c ${x} %{y} $z"),
            r#""a\"b\\c $${x} %%{y} $z""#
        );
    }
}
