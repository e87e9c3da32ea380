//! Renders a provider, resource or data source schema as the `## Schema`
//! section of a registry page, and finds attributes without a description.

use std::collections::HashMap;
use std::fmt::Write;

use terraform_provider_jit::schema::FORCES_REPLACEMENT;
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};

/// tf-provider's default description for `Attribute::default()` and
/// `Block::default()`: as good as none.
const PLACEHOLDER_DESCRIPTION: &str = "empty";

/// The section an item is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Required,
    Optional,
    ReadOnly,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Self::Required => "Required",
            Self::Optional => "Optional",
            Self::ReadOnly => "Read-Only",
        }
    }
}

/// One line of a section: an attribute or a nested block.
struct Item {
    name: String,
    section: Section,
    line: String,
}

/// A nested schema rendered after the top-level sections.
struct Nested {
    anchor: String,
    title: String,
    body: NestedBody,
}

enum NestedBody {
    /// A nested block or nested attributes: items with descriptions.
    Items(Vec<Item>),
    /// An object type: names and types only.
    Object(Vec<(String, String)>),
}

/// The `## Schema` section for `schema`.
pub fn render(schema: &Schema) -> String {
    let mut nested = Vec::new();
    let items = block_items(&schema.block, &[], &mut nested);
    let mut out = String::from("## Schema\n");
    for section in [Section::Required, Section::Optional, Section::ReadOnly] {
        let lines: Vec<&Item> = items.iter().filter(|i| i.section == section).collect();
        if lines.is_empty() {
            continue;
        }
        let _ = write!(out, "\n### {}\n\n", section.title());
        for item in lines {
            out.push_str(&item.line);
            out.push('\n');
        }
    }
    for part in nested {
        let _ = write!(
            out,
            "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`\n",
            part.anchor, part.title
        );
        match part.body {
            NestedBody::Items(items) => {
                for section in [Section::Required, Section::Optional, Section::ReadOnly] {
                    let lines: Vec<&Item> = items.iter().filter(|i| i.section == section).collect();
                    if lines.is_empty() {
                        continue;
                    }
                    let _ = write!(out, "\n{}:\n\n", section.title());
                    for item in lines {
                        out.push_str(&item.line);
                        out.push('\n');
                    }
                }
            }
            NestedBody::Object(fields) => {
                out.push('\n');
                for (name, type_label) in fields {
                    let _ = writeln!(out, "- `{name}` ({type_label})");
                }
            }
        }
    }
    out
}

/// The items of a block (attributes and nested blocks, by name), queuing
/// nested schemas in `nested` in the order they are first linked.
fn block_items(block: &Block, path: &[String], nested: &mut Vec<Nested>) -> Vec<Item> {
    let mut names: Vec<(&String, Option<&Attribute>, Option<&NestedBlock>)> = Vec::new();
    for (name, attribute) in &block.attributes {
        names.push((name, Some(attribute), None));
    }
    for (name, child) in &block.blocks {
        names.push((name, None, Some(child)));
    }
    names.sort_by(|a, b| a.0.cmp(b.0));

    let mut items = Vec::new();
    // Nested schemas of this level, queued after the level's own items so
    // that a page reads top-down.
    let mut later: Vec<Queue<'_>> = Vec::new();
    for (name, attribute, child) in names {
        let mut child_path = path.to_vec();
        child_path.push(name.clone());
        if let Some(attribute) = attribute {
            let (item, queue) = attribute_item(name, attribute, child_path);
            items.push(item);
            if let Some(queue) = queue {
                later.push(queue);
            }
        } else if let Some(child) = child {
            let (kind, section) = block_kind(child);
            let inner = nested_block(child);
            let anchor = anchor("nestedblock", &child_path);
            let mut line = format!("- `{name}` ({kind})");
            push_description(&mut line, &inner.description);
            let _ = write!(line, " (see [below for nested schema](#{anchor}))");
            items.push(Item {
                name: name.clone(),
                section,
                line,
            });
            later.push(Box::new(move |nested: &mut Vec<Nested>| {
                let position = nested.len();
                let inner_items = block_items(inner, &child_path, nested);
                nested.insert(
                    position,
                    Nested {
                        anchor,
                        title: child_path.join("."),
                        body: NestedBody::Items(inner_items),
                    },
                );
            }));
        }
    }
    items.sort_by(|a, b| a.name.cmp(&b.name));
    for queue in later {
        queue(nested);
    }
    items
}

type Queue<'a> = Box<dyn FnOnce(&mut Vec<Nested>) + 'a>;

/// The line of one attribute, and the nested schema it links to, if any.
fn attribute_item<'a>(
    name: &str,
    attribute: &'a Attribute,
    path: Vec<String>,
) -> (Item, Option<Queue<'a>>) {
    let section = match attribute.constraint {
        AttributeConstraint::Required => Section::Required,
        AttributeConstraint::Optional | AttributeConstraint::OptionalComputed => Section::Optional,
        AttributeConstraint::Computed => Section::ReadOnly,
    };
    let mut tags = vec![type_label(&attribute.attr_type)];
    if attribute.sensitive {
        tags.push("Sensitive".to_string());
    }
    if attribute.deprecated {
        tags.push("Deprecated".to_string());
    }
    let forces = attribute.description.content.contains(FORCES_REPLACEMENT);
    if forces {
        tags.push("Forces replacement".to_string());
    }
    let mut line = format!("- `{name}` ({})", tags.join(", "));
    let description = attribute
        .description
        .content
        .replace(FORCES_REPLACEMENT, "")
        .trim()
        .to_string();
    push_text(&mut line, &description);

    let queue: Option<Queue<'a>> = match &attribute.attr_type {
        AttributeType::AttributeSingle(attributes)
        | AttributeType::AttributeList(attributes)
        | AttributeType::AttributeSet(attributes)
        | AttributeType::AttributeMap(attributes) => {
            let anchor = anchor("nestedatt", &path);
            let _ = write!(line, " (see [below for nested schema](#{anchor}))");
            Some(Box::new(move |nested: &mut Vec<Nested>| {
                let position = nested.len();
                let items = nested_attribute_items(attributes, &path, nested);
                nested.insert(
                    position,
                    Nested {
                        anchor,
                        title: path.join("."),
                        body: NestedBody::Items(items),
                    },
                );
            }))
        }
        other => object_of(other).map(|fields| {
            let anchor = anchor("nestedobjatt", &path);
            let _ = write!(line, " (see [below for nested schema](#{anchor}))");
            let queue: Queue<'a> = Box::new(move |nested: &mut Vec<Nested>| {
                let mut sorted: Vec<(&String, &AttributeType)> = fields.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(b.0));
                nested.push(Nested {
                    anchor,
                    title: path.join("."),
                    body: NestedBody::Object(
                        sorted
                            .into_iter()
                            .map(|(n, t)| (n.clone(), type_label(t)))
                            .collect(),
                    ),
                });
            });
            queue
        }),
    };
    (
        Item {
            name: name.to_string(),
            section,
            line,
        },
        queue,
    )
}

fn nested_attribute_items(
    attributes: &HashMap<String, Attribute>,
    path: &[String],
    nested: &mut Vec<Nested>,
) -> Vec<Item> {
    let mut names: Vec<&String> = attributes.keys().collect();
    names.sort();
    let mut items = Vec::new();
    let mut later = Vec::new();
    for name in names {
        let Some(attribute) = attributes.get(name) else {
            continue;
        };
        let mut child_path = path.to_vec();
        child_path.push(name.clone());
        let (item, queue) = attribute_item(name, attribute, child_path);
        items.push(item);
        if let Some(queue) = queue {
            later.push(queue);
        }
    }
    for queue in later {
        queue(nested);
    }
    items
}

/// The fields of the object inside a type (`object`, `list(object)`, ...).
fn object_of(attr_type: &AttributeType) -> Option<&HashMap<String, AttributeType>> {
    match attr_type {
        AttributeType::Object(fields) => Some(fields),
        AttributeType::List(inner) | AttributeType::Set(inner) | AttributeType::Map(inner) => {
            object_of(inner)
        }
        _ => None,
    }
}

/// `String`, `List of String`, `Map of Object`, ...
pub fn type_label(attr_type: &AttributeType) -> String {
    match attr_type {
        AttributeType::String => "String".into(),
        AttributeType::Number => "Number".into(),
        AttributeType::Bool => "Boolean".into(),
        AttributeType::Any => "Dynamic".into(),
        AttributeType::List(inner) => format!("List of {}", type_label(inner)),
        AttributeType::Set(inner) => format!("Set of {}", type_label(inner)),
        AttributeType::Map(inner) => format!("Map of {}", type_label(inner)),
        AttributeType::Object(_) => "Object".into(),
        AttributeType::Tuple(_) => "Tuple".into(),
        AttributeType::AttributeSingle(_) => "Attributes".into(),
        AttributeType::AttributeList(_) => "Attributes List".into(),
        AttributeType::AttributeSet(_) => "Attributes Set".into(),
        AttributeType::AttributeMap(_) => "Attributes Map".into(),
    }
}

/// The label and section of a nested block.
fn block_kind(child: &NestedBlock) -> (&'static str, Section) {
    let inner = nested_block(child);
    let read_only = all_computed(inner);
    let (label, section) = match child {
        NestedBlock::Single(_) => ("Block, Required", Section::Required),
        NestedBlock::Optional(_) | NestedBlock::Group(_) => ("Block, Max: 1", Section::Optional),
        NestedBlock::List(_) => ("Block List", Section::Optional),
        NestedBlock::Set(_) => ("Block Set", Section::Optional),
        NestedBlock::Map(_) => ("Block Map", Section::Optional),
    };
    if read_only && section != Section::Required {
        (label, Section::ReadOnly)
    } else {
        (label, section)
    }
}

fn nested_block(child: &NestedBlock) -> &Block {
    match child {
        NestedBlock::Single(block)
        | NestedBlock::List(block)
        | NestedBlock::Set(block)
        | NestedBlock::Map(block)
        | NestedBlock::Group(block)
        | NestedBlock::Optional(block) => block,
    }
}

/// True when a block holds only computed attributes (it is output only).
fn all_computed(block: &Block) -> bool {
    !block.attributes.is_empty()
        && block
            .attributes
            .values()
            .all(|a| a.constraint == AttributeConstraint::Computed)
        && block.blocks.values().all(|b| all_computed(nested_block(b)))
}

fn anchor(prefix: &str, path: &[String]) -> String {
    format!("{prefix}--{}", path.join("--"))
}

fn push_description(line: &mut String, description: &Description) {
    push_text(line, description.content.trim());
}

/// Appends a description after a list item's head, indenting continuation
/// lines so that Markdown keeps them in the item.
fn push_text(line: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    line.push(' ');
    let mut first = true;
    for part in text.lines() {
        if !first {
            line.push_str("\n  ");
        }
        line.push_str(part.trim_end());
        first = false;
    }
}

/// Every place in a schema without a real description, as a dotted path
/// (`grant_policy.permission_set.name`); the root block is `(root)`.
pub fn undescribed(schema: &Schema) -> Vec<String> {
    let mut missing = Vec::new();
    if is_blank(&schema.block.description) {
        missing.push("(root)".to_string());
    }
    walk_block(&schema.block, "", &mut missing);
    missing.sort();
    missing
}

fn walk_block(block: &Block, prefix: &str, missing: &mut Vec<String>) {
    for (name, attribute) in &block.attributes {
        walk_attribute(&format!("{prefix}{name}"), attribute, missing);
    }
    for (name, child) in &block.blocks {
        let path = format!("{prefix}{name}");
        let inner = nested_block(child);
        if is_blank(&inner.description) {
            missing.push(path.clone());
        }
        walk_block(inner, &format!("{path}."), missing);
    }
}

fn walk_attribute(path: &str, attribute: &Attribute, missing: &mut Vec<String>) {
    if is_blank(&attribute.description) {
        missing.push(path.to_string());
    }
    if let AttributeType::AttributeSingle(attributes)
    | AttributeType::AttributeList(attributes)
    | AttributeType::AttributeSet(attributes)
    | AttributeType::AttributeMap(attributes) = &attribute.attr_type
    {
        for (name, inner) in attributes {
            walk_attribute(&format!("{path}.{name}"), inner, missing);
        }
    }
}

fn is_blank(description: &Description) -> bool {
    let text = description.content.trim();
    text.is_empty() || text.eq_ignore_ascii_case(PLACEHOLDER_DESCRIPTION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use terraform_provider_jit::schema::*;

    fn sample() -> Schema {
        let inner = block(
            "One rule.",
            [
                ("name", required_str("Rule name.")),
                ("risk", optional_str("`low` or `high`.")),
            ],
            [],
        );
        let outer = block(
            "Rules.",
            [("max", optional_str("Longest."))],
            [("rule", list_block(inner))],
        );
        schema(
            0,
            block(
                "A thing.",
                [
                    ("arn", computed_str("ARN.")),
                    (
                        "environment",
                        forces_replacement(required_str("`dev` or `prod`.")),
                    ),
                    (
                        "password",
                        sensitive(computed_str("Encrypted.\nSecond line.")),
                    ),
                    ("tags", optional_str_map("Tags.")),
                ],
                [("policy", optional_block(outer))],
            ),
        )
    }

    #[test]
    fn sections_types_and_markers() {
        let text = render(&sample());
        let expected_top = "## Schema

### Required

- `environment` (String, Forces replacement) `dev` or `prod`.

### Optional

- `policy` (Block, Max: 1) Rules. (see [below for nested schema](#nestedblock--policy))
- `tags` (Map of String) Tags.

### Read-Only

- `arn` (String) ARN.
- `password` (String, Sensitive) Encrypted.
  Second line.
";
        assert!(text.starts_with(expected_top), "{text}");
        assert!(!text.contains(FORCES_REPLACEMENT), "{text}");
    }

    #[test]
    fn nested_blocks_come_in_order_with_anchors() {
        let text = render(&sample());
        let policy = text
            .find("<a id=\"nestedblock--policy\"></a>\n### Nested Schema for `policy`")
            .expect("policy section");
        let rule = text
            .find("<a id=\"nestedblock--policy--rule\"></a>\n### Nested Schema for `policy.rule`")
            .expect("rule section");
        assert!(policy < rule, "{text}");
        assert!(text.contains("Optional:\n\n- `max` (String) Longest.\n- `rule` (Block List) One rule. (see [below for nested schema](#nestedblock--policy--rule))"), "{text}");
        assert!(text.contains("Required:\n\n- `name` (String) Rule name.\n\nOptional:\n\n- `risk` (String) `low` or `high`.\n"), "{text}");
    }

    #[test]
    fn object_types_get_a_field_list() {
        let object = AttributeType::List(Box::new(AttributeType::Object(HashMap::from([
            ("name".to_string(), AttributeType::String),
            ("age".to_string(), AttributeType::Number),
        ]))));
        let s = schema(
            0,
            block(
                "Users.",
                [(
                    "users",
                    custom(object, AttributeConstraint::Computed, "Every user."),
                )],
                [],
            ),
        );
        let text = render(&s);
        assert!(text.contains("- `users` (List of Object) Every user. (see [below for nested schema](#nestedobjatt--users))"), "{text}");
        assert!(
            text.contains("### Nested Schema for `users`\n\n- `age` (Number)\n- `name` (String)\n"),
            "{text}"
        );
    }

    #[test]
    fn undescribed_finds_blank_and_placeholder_descriptions() {
        let mut s = sample();
        s.block
            .attributes
            .insert("blank".into(), optional_str("  "));
        s.block
            .attributes
            .insert("default".into(), tf_provider::schema::Attribute::default());
        if let Some(NestedBlock::Optional(policy)) = s.block.blocks.get_mut("policy") {
            policy.description = Description::plain("");
        }
        assert_eq!(undescribed(&s), vec!["blank", "default", "policy"]);
        assert!(undescribed(&sample()).is_empty());
    }
}
