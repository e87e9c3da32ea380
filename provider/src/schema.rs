//! Schema constructors, so that every attribute states its type, constraint
//! and markdown description explicitly (tf-provider's defaults are `Any`,
//! optional+computed, described "empty").

use std::collections::HashMap;

use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};

/// Appended to the description of inputs that force replacement; the docs
/// generator reads it to mark them.
pub const FORCES_REPLACEMENT: &str = "Changing this forces a new resource.";

fn attribute(
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    description: &str,
) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(description),
        constraint,
        sensitive: false,
        deprecated: false,
    }
}

/// Required string.
pub fn required_str(description: &str) -> Attribute {
    attribute(
        AttributeType::String,
        AttributeConstraint::Required,
        description,
    )
}
/// Optional string.
pub fn optional_str(description: &str) -> Attribute {
    attribute(
        AttributeType::String,
        AttributeConstraint::Optional,
        description,
    )
}
/// Optional string the provider fills in when omitted (defaults).
pub fn optional_computed_str(description: &str) -> Attribute {
    attribute(
        AttributeType::String,
        AttributeConstraint::OptionalComputed,
        description,
    )
}
/// Read-only string.
pub fn computed_str(description: &str) -> Attribute {
    attribute(
        AttributeType::String,
        AttributeConstraint::Computed,
        description,
    )
}
/// Required bool.
pub fn required_bool(description: &str) -> Attribute {
    attribute(
        AttributeType::Bool,
        AttributeConstraint::Required,
        description,
    )
}
/// Optional bool.
pub fn optional_bool(description: &str) -> Attribute {
    attribute(
        AttributeType::Bool,
        AttributeConstraint::Optional,
        description,
    )
}
/// Optional bool the provider defaults.
pub fn optional_computed_bool(description: &str) -> Attribute {
    attribute(
        AttributeType::Bool,
        AttributeConstraint::OptionalComputed,
        description,
    )
}
/// Read-only bool.
pub fn computed_bool(description: &str) -> Attribute {
    attribute(
        AttributeType::Bool,
        AttributeConstraint::Computed,
        description,
    )
}
/// Read-only number.
pub fn computed_number(description: &str) -> Attribute {
    attribute(
        AttributeType::Number,
        AttributeConstraint::Computed,
        description,
    )
}
/// Optional number.
pub fn optional_number(description: &str) -> Attribute {
    attribute(
        AttributeType::Number,
        AttributeConstraint::Optional,
        description,
    )
}
/// Required list of strings.
pub fn required_str_list(description: &str) -> Attribute {
    attribute(str_list(), AttributeConstraint::Required, description)
}
/// Optional list of strings.
pub fn optional_str_list(description: &str) -> Attribute {
    attribute(str_list(), AttributeConstraint::Optional, description)
}
/// Read-only list of strings.
pub fn computed_str_list(description: &str) -> Attribute {
    attribute(str_list(), AttributeConstraint::Computed, description)
}
/// Optional set of strings.
pub fn optional_str_set(description: &str) -> Attribute {
    attribute(str_set(), AttributeConstraint::Optional, description)
}
/// Required set of strings.
pub fn required_str_set(description: &str) -> Attribute {
    attribute(str_set(), AttributeConstraint::Required, description)
}
/// Read-only set of strings.
pub fn computed_str_set(description: &str) -> Attribute {
    attribute(str_set(), AttributeConstraint::Computed, description)
}
/// Optional map of strings.
pub fn optional_str_map(description: &str) -> Attribute {
    attribute(
        AttributeType::Map(Box::new(AttributeType::String)),
        AttributeConstraint::Optional,
        description,
    )
}
/// Any type and constraint, for the rare attribute the helpers above miss.
pub fn custom(
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    description: &str,
) -> Attribute {
    attribute(attr_type, constraint, description)
}

/// `list(string)`.
pub fn str_list() -> AttributeType {
    AttributeType::List(Box::new(AttributeType::String))
}
/// `set(string)`.
pub fn str_set() -> AttributeType {
    AttributeType::Set(Box::new(AttributeType::String))
}

/// Marks an attribute sensitive (hidden in plan output).
pub fn sensitive(mut attribute: Attribute) -> Attribute {
    attribute.sensitive = true;
    attribute
}

/// Marks an input as forcing replacement, in its description.
pub fn forces_replacement(mut attribute: Attribute) -> Attribute {
    attribute.description.content =
        format!("{} {FORCES_REPLACEMENT}", attribute.description.content);
    attribute
}

/// A block from its attributes and nested blocks.
pub fn block<const A: usize, const B: usize>(
    description: &str,
    attributes: [(&str, Attribute); A],
    blocks: [(&str, NestedBlock); B],
) -> Block {
    Block {
        version: 0,
        attributes: to_map(attributes),
        blocks: to_map(blocks),
        description: Description::markdown(description),
        deprecated: false,
    }
}

/// A top-level schema.
pub fn schema(version: i64, block: Block) -> Schema {
    Schema { version, block }
}

/// A block that may appear at most once (`cognito { … }`).
pub fn optional_block(block: Block) -> NestedBlock {
    NestedBlock::Optional(block)
}

/// A block that may repeat (`permission_set { … }`).
pub fn list_block(block: Block) -> NestedBlock {
    NestedBlock::List(block)
}

fn to_map<T, const N: usize>(items: [(&str, T); N]) -> HashMap<String, T> {
    items
        .into_iter()
        .map(|(name, item)| (name.to_string(), item))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_set_type_constraint_and_markdown() {
        let attr = required_str("The `name`.");
        assert_eq!(attr.attr_type, AttributeType::String);
        assert_eq!(attr.constraint, AttributeConstraint::Required);
        assert_eq!(attr.description.content, "The `name`.");
        assert!(!attr.sensitive);
        assert!(sensitive(computed_str("x")).sensitive);
        assert_eq!(computed_str_set("x").attr_type, str_set());
    }

    #[test]
    fn forces_replacement_is_visible_in_the_description() {
        let attr = forces_replacement(required_str("Account."));
        assert!(attr.description.content.ends_with(FORCES_REPLACEMENT));
    }
}
