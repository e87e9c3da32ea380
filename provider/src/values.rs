//! Small helpers over tf-provider's `Value<T>` (known / null / unknown).

use tf_provider::value::Value;

/// A list of strings as Terraform sends it: each element may be unknown.
pub type StrList = Value<Vec<Value<String>>>;

/// `Some(list)` when the list and every element are known (null list → empty).
pub fn known_str_list(list: &StrList) -> Option<Vec<String>> {
    match list {
        Value::Null => Some(Vec::new()),
        Value::Unknown => None,
        Value::Value(items) => items
            .iter()
            .map(|item| match item {
                Value::Value(text) => Some(text.clone()),
                Value::Null => Some(String::new()),
                Value::Unknown => None,
            })
            .collect(),
    }
}

/// A known list of strings.
pub fn str_list<I: IntoIterator<Item = String>>(items: I) -> StrList {
    Value::Value(items.into_iter().map(Value::Value).collect())
}

/// The known string, if any (empty strings count as unset).
pub fn known_str(value: &Value<String>) -> Option<&str> {
    value
        .as_ref_option()
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The string, or `""` when null or unknown.
pub fn text(value: &Value<String>) -> &str {
    value.as_ref_option().map_or("", String::as_str)
}

/// True when the value is unknown.
pub fn is_unknown<T>(value: &Value<T>) -> bool {
    matches!(value, Value::Unknown)
}

/// A `Value` from an optional string (`None` → null).
pub fn opt_str(value: Option<impl Into<String>>) -> Value<String> {
    value.map(Into::into).map_or(Value::Null, Value::Value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_with_unknown_elements_are_not_known() {
        let list: StrList = Value::Value(vec![Value::Value("a".into()), Value::Unknown]);
        assert_eq!(known_str_list(&list), None);
        assert_eq!(known_str_list(&Value::Unknown), None);
        assert_eq!(known_str_list(&Value::Null), Some(vec![]));
        assert_eq!(
            known_str_list(&str_list(["x".to_string()])),
            Some(vec!["x".to_string()])
        );
    }

    #[test]
    fn empty_strings_are_unset() {
        assert_eq!(known_str(&Value::Value(String::new())), None);
        assert_eq!(known_str(&Value::Value("x".into())), Some("x"));
        assert_eq!(known_str(&Value::Unknown), None);
        assert!(is_unknown(&Value::<bool>::Unknown));
        assert_eq!(opt_str(None::<String>), Value::Null);
    }
}
