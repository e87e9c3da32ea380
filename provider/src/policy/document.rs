//! The IAM policy document model and its compact, stable JSON form.
//!
//! Statements serialize in IAM's usual field order (`Sid`, `Effect`,
//! `Action`/`NotAction`, `Resource`/`NotResource`, `Condition`); condition
//! operators and keys are sorted maps, so the same statements always give the
//! same bytes. The types make "exactly one of `Action`/`NotAction`" and "exactly
//! one of `Resource`/`NotResource`" impossible to get wrong.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::PolicyError;

/// The policy language version; policy variables such as `${aws:username}` need it.
pub const POLICY_VERSION: &str = "2012-10-17";

/// Characters (whitespace excluded) that all inline policies of one IAM group may
/// total.
pub const GROUP_INLINE_POLICY_LIMIT: usize = 5120;

/// Whether a statement allows or denies what it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    /// `"Allow"`.
    Allow,
    /// `"Deny"`: wins over any allow.
    Deny,
}

/// The actions a statement matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actions {
    /// `Action`: exactly these actions (wildcards allowed).
    Action(Vec<String>),
    /// `NotAction`: every action except these.
    NotAction(Vec<String>),
}

/// The resources a statement matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resources {
    /// `Resource`: exactly these ARNs (wildcards and policy variables allowed).
    Resource(Vec<String>),
    /// `NotResource`: every resource except these.
    NotResource(Vec<String>),
}

/// A `Condition` block: operator → condition key → accepted values.
///
/// Operators and keys are ANDed; the values of one key are ORed. A key with one
/// value serializes as a string, with several as an array.
pub type Condition = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// One statement of a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Statement ID: letters and digits only.
    pub sid: String,
    /// Allow or deny.
    pub effect: Effect,
    /// `Action` or `NotAction`; its list must not be empty.
    pub action: Actions,
    /// `Resource` or `NotResource`; its list must not be empty.
    pub resource: Resources,
    /// Conditions; an empty map is left out of the JSON.
    pub condition: Condition,
}

impl Statement {
    /// A statement without conditions.
    pub fn new(sid: &str, effect: Effect, action: Actions, resource: Resources) -> Self {
        Self {
            sid: sid.to_string(),
            effect,
            action,
            resource,
            condition: Condition::new(),
        }
    }

    /// Adds `operator: { key: values }` to the statement's conditions.
    pub fn with_condition(mut self, operator: &str, key: &str, values: Vec<String>) -> Self {
        self.condition
            .entry(operator.to_string())
            .or_default()
            .insert(key.to_string(), values);
        self
    }
}

/// Turns a list of string literals into owned strings.
pub(crate) fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Sid", &self.sid)?;
        map.serialize_entry("Effect", &self.effect)?;
        match &self.action {
            Actions::Action(values) => map.serialize_entry("Action", &OneOrMany(values))?,
            Actions::NotAction(values) => map.serialize_entry("NotAction", &OneOrMany(values))?,
        }
        match &self.resource {
            Resources::Resource(values) => map.serialize_entry("Resource", &OneOrMany(values))?,
            Resources::NotResource(values) => {
                map.serialize_entry("NotResource", &OneOrMany(values))?
            }
        }
        if !self.condition.is_empty() {
            let condition: BTreeMap<&String, BTreeMap<&String, OneOrMany<'_>>> = self
                .condition
                .iter()
                .map(|(operator, keys)| {
                    let keys = keys
                        .iter()
                        .map(|(key, values)| (key, OneOrMany(values)))
                        .collect();
                    (operator, keys)
                })
                .collect();
            map.serialize_entry("Condition", &condition)?;
        }
        map.end()
    }
}

/// A list that serializes as a bare string when it has exactly one element,
/// which is valid IAM and keeps documents short.
struct OneOrMany<'a>(&'a [String]);

impl Serialize for OneOrMany<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [single] => serializer.serialize_str(single),
            many => serializer.collect_seq(many),
        }
    }
}

/// A complete policy document with its JSON rendered once at construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    statements: Vec<Statement>,
    json: String,
}

impl PolicyDocument {
    /// A `2012-10-17` document of these statements, in this order.
    ///
    /// The types guarantee one of `Action`/`NotAction` and one of
    /// `Resource`/`NotResource` per statement; non-empty lists and unique `Sid`s
    /// are up to the caller. Rendering errors (none are expected for these types)
    /// are reported as [`PolicyError::InvalidJson`].
    pub fn new(statements: Vec<Statement>) -> Result<Self, PolicyError> {
        let json = serde_json::to_string(&Body {
            statements: &statements,
        })
        .map_err(|error| PolicyError::InvalidJson {
            reason: error.to_string(),
        })?;
        Ok(Self { statements, json })
    }

    /// Compact JSON: no whitespace, fixed key order, byte-stable for equal input.
    pub fn to_json(&self) -> String {
        self.json.clone()
    }

    /// The size IAM counts against [`GROUP_INLINE_POLICY_LIMIT`]: characters
    /// excluding whitespace.
    pub fn size_without_whitespace(&self) -> usize {
        self.json.chars().filter(|c| !c.is_whitespace()).count()
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Body {
            statements: &self.statements,
        }
        .serialize(serializer)
    }
}

/// The serialized shape of a document: `Version` first, then `Statement`.
struct Body<'a> {
    statements: &'a [Statement],
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("Version", POLICY_VERSION)?;
        map.serialize_entry("Statement", self.statements)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Statement> {
        vec![
            Statement::new(
                "One",
                Effect::Allow,
                Actions::Action(strings(&["s3:GetObject"])),
                Resources::Resource(strings(&["*"])),
            ),
            Statement::new(
                "Two",
                Effect::Deny,
                Actions::NotAction(strings(&["iam:GetUser", "sts:GetSessionToken"])),
                Resources::NotResource(strings(&["arn:aws:s3:::a", "arn:aws:s3:::b"])),
            )
            .with_condition("StringEquals", "aws:b", strings(&["x", "y"]))
            .with_condition("Bool", "aws:a", strings(&["false"]))
            .with_condition("StringEquals", "aws:a", strings(&["z"])),
        ]
    }

    #[test]
    fn json_has_iam_field_order_and_compact_form() {
        let document = PolicyDocument::new(sample()).unwrap();
        assert_eq!(
            document.to_json(),
            concat!(
                r#"{"Version":"2012-10-17","Statement":["#,
                r#"{"Sid":"One","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},"#,
                r#"{"Sid":"Two","Effect":"Deny","NotAction":["iam:GetUser","sts:GetSessionToken"],"#,
                r#""NotResource":["arn:aws:s3:::a","arn:aws:s3:::b"],"#,
                r#""Condition":{"Bool":{"aws:a":"false"},"StringEquals":{"aws:a":"z","aws:b":["x","y"]}}}"#,
                "]}"
            )
        );
        assert_eq!(document.statements().len(), 2);
        assert_eq!(
            serde_json::to_string(&document).unwrap(),
            document.to_json()
        );
    }

    #[test]
    fn size_excludes_whitespace() {
        let statement = Statement::new(
            "Spaced",
            Effect::Allow,
            Actions::Action(strings(&["s3:GetObject"])),
            Resources::Resource(strings(&["arn:aws:s3:::my bucket/a b"])),
        );
        let document = PolicyDocument::new(vec![statement]).unwrap();
        assert_eq!(
            document.size_without_whitespace(),
            document.to_json().len() - 2
        );
    }

    #[test]
    fn equal_input_gives_identical_bytes() {
        let a = PolicyDocument::new(sample()).unwrap();
        let b = PolicyDocument::new(sample()).unwrap();
        assert_eq!(a.to_json().as_bytes(), b.to_json().as_bytes());
    }
}
