//! A normal form of policy JSON for drift detection: two documents that IAM
//! treats the same compare equal as [`serde_json::Value`]s.

use serde_json::Value;

use super::PolicyError;

/// Statement fields whose value may be a string or a list and whose order IAM
/// ignores; action names are case-insensitive.
const ACTION_FIELDS: &[&str] = &["Action", "NotAction"];

/// Like [`ACTION_FIELDS`], but case-sensitive.
const RESOURCE_FIELDS: &[&str] = &["Resource", "NotResource"];

/// Principal fields: `"*"` or a map of principal type to string-or-list.
const PRINCIPAL_FIELDS: &[&str] = &["Principal", "NotPrincipal"];

/// Parses a policy document into a normal form for comparison.
///
/// - Input that starts with `%` is URL-decoded first (IAM's `Get*Policy` return
///   documents URL-encoded): `%XX` becomes the byte, `+` a space.
/// - Key order is irrelevant (the map is sorted).
/// - `Statement` as one object becomes a one-element list; statements are sorted
///   and duplicates dropped, as IAM ignores their order.
/// - `Action`/`NotAction`/`Resource`/`NotResource`, principal lists and condition
///   values become sorted, de-duplicated lists whether written as a string or an
///   array; action names are lower-cased, condition key names too (both are
///   case-insensitive in IAM); scalar condition values such as `true` become
///   strings (`"true"`).
///
/// Everything else (`Version`, `Sid`, `Effect`, resource and value case) is kept
/// as it is.
pub fn normalize_policy_json(json: &str) -> Result<Value, PolicyError> {
    let trimmed = json.trim();
    let decoded;
    let text = if trimmed.starts_with('%') {
        decoded = url_decode(trimmed)?;
        decoded.as_str()
    } else {
        trimmed
    };
    let value: Value = serde_json::from_str(text).map_err(|error| PolicyError::InvalidJson {
        reason: error.to_string(),
    })?;
    let Value::Object(mut document) = value else {
        return Err(PolicyError::InvalidJson {
            reason: "a policy document must be a JSON object".to_string(),
        });
    };
    if let Some(statements) = document.remove("Statement") {
        let mut statements: Vec<Value> = one_or_many(statements)
            .into_iter()
            .map(normalize_statement)
            .collect();
        statements.sort_by_cached_key(Value::to_string);
        statements.dedup();
        document.insert("Statement".to_string(), Value::Array(statements));
    }
    Ok(Value::Object(document))
}

/// Normalizes one statement's list-valued fields; non-objects are kept as they are.
fn normalize_statement(mut statement: Value) -> Value {
    let Value::Object(fields) = &mut statement else {
        return statement;
    };
    for (field, value) in fields.iter_mut() {
        let field = field.as_str();
        if ACTION_FIELDS.contains(&field) {
            *value = sorted_list(value.take(), true);
        } else if RESOURCE_FIELDS.contains(&field) {
            *value = sorted_list(value.take(), false);
        } else if PRINCIPAL_FIELDS.contains(&field) {
            if let Value::Object(principals) = value {
                for ids in principals.values_mut() {
                    *ids = sorted_list(ids.take(), false);
                }
            }
        } else if field == "Condition" {
            if let Value::Object(operators) = value {
                for keys in operators.values_mut() {
                    *keys = normalize_condition_keys(keys.take());
                }
            }
        }
    }
    statement
}

/// `{key: value-or-values}` with lower-cased keys and sorted string lists.
fn normalize_condition_keys(keys: Value) -> Value {
    let Value::Object(keys) = keys else {
        return keys;
    };
    let keys = keys
        .into_iter()
        .map(|(key, values)| (key.to_lowercase(), sorted_list(values, false)))
        .collect();
    Value::Object(keys)
}

/// A string, scalar or array as a sorted, de-duplicated array; scalars become
/// strings, and strings are lower-cased when `lowercase` is set.
fn sorted_list(value: Value, lowercase: bool) -> Value {
    let mut items: Vec<Value> = one_or_many(value)
        .into_iter()
        .map(|item| match item {
            Value::String(s) if lowercase => Value::String(s.to_lowercase()),
            Value::Bool(b) => Value::String(b.to_string()),
            Value::Number(n) => Value::String(n.to_string()),
            other => other,
        })
        .collect();
    items.sort_by_cached_key(Value::to_string);
    items.dedup();
    Value::Array(items)
}

/// An array's elements, or the value itself as the only element.
fn one_or_many(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        single => vec![single],
    }
}

/// Decodes `application/x-www-form-urlencoded` text: `%XX` escapes and `+` for a
/// space, then UTF-8.
fn url_decode(text: &str) -> Result<String, PolicyError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let escape = bytes.get(i + 1..i + 3).and_then(|hex| {
                    let hex = std::str::from_utf8(hex).ok()?;
                    u8::from_str_radix(hex, 16).ok()
                });
                let Some(decoded) = escape else {
                    return Err(PolicyError::InvalidJson {
                        reason: format!("malformed percent-encoding at byte {i}"),
                    });
                };
                out.push(decoded);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| PolicyError::InvalidJson {
        reason: "URL-decoded policy is not UTF-8".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Percent-encodes everything but unreserved characters, as IAM does.
    fn url_encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect()
    }

    fn same(a: &str, b: &str) -> bool {
        normalize_policy_json(a).unwrap() == normalize_policy_json(b).unwrap()
    }

    const BASE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;

    #[test]
    fn equal_documents() {
        let cases = [
            (
                "url-encoded",
                url_encode(BASE),
            ),
            (
                "url-encoded with + for spaces",
                url_encode(&BASE.replace(',', ", ")).replace("%20", "+"),
            ),
            (
                "pretty-printed",
                serde_json::to_string_pretty(&serde_json::from_str::<Value>(BASE).unwrap()).unwrap(),
            ),
            (
                "key order and action order",
                r#"{"Statement":[{"Resource":["*"],"Action":["s3:ListBucket","s3:GetObject"],"Effect":"Allow","Sid":"A"}],"Version":"2012-10-17"}"#.to_string(),
            ),
            (
                "action case and duplicates",
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["S3:getobject","s3:ListBucket","s3:GetObject"],"Resource":["*"]}]}"#.to_string(),
            ),
            (
                "statement as a single object",
                r#"{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}}"#.to_string(),
            ),
        ];
        for (name, other) in cases {
            assert!(same(BASE, &other), "{name}: {other}");
        }
    }

    #[test]
    fn string_and_one_element_array_are_equal() {
        assert!(same(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::a","Condition":{"Bool":{"aws:ViaAWSService":false}}}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":["*"],"NotResource":["arn:aws:s3:::a"],"Condition":{"Bool":{"aws:viaawsservice":["false"]}}}]}"#,
        ));
    }

    #[test]
    fn statement_and_condition_value_order_is_ignored() {
        assert!(same(
            r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"a:B","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}}}]}"#,
            r#"{"Statement":[{"Sid":"B","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","10.0.0.0/8"]}}},{"Sid":"A","Effect":"Allow","Action":"a:B","Resource":"*"}]}"#,
        ));
    }

    #[test]
    fn principal_lists_are_normalized() {
        assert!(same(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":["scheduler.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}"#,
        ));
        assert!(same(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"]}]}"#,
        ));
        let value = normalize_policy_json(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#,
        )
        .unwrap();
        assert_eq!(value["Statement"][0]["Principal"], "*");
    }

    #[test]
    fn different_documents_differ() {
        let cases = [
            ("effect", BASE.replace("Allow", "Deny")),
            ("action", BASE.replace("s3:ListBucket", "s3:PutObject")),
            (
                "resource",
                BASE.replace(r#""Resource":"*""#, r#""Resource":"arn:aws:s3:::b""#),
            ),
            ("resource kind", BASE.replace("Resource", "NotResource")),
            ("sid", BASE.replace(r#""Sid":"A""#, r#""Sid":"B""#)),
            ("version", BASE.replace("2012-10-17", "2008-10-17")),
            (
                "resource case",
                BASE.replace(r#""Resource":"*""#, r#""Resource":"arn:aws:s3:::Bucket""#),
            ),
        ];
        let base = normalize_policy_json(BASE).unwrap();
        for (name, other) in cases {
            assert_ne!(normalize_policy_json(&other).unwrap(), base, "{name}");
        }
        assert!(!same(
            &BASE.replace(r#""Resource":"*""#, r#""Resource":"arn:aws:s3:::Bucket""#),
            &BASE.replace(r#""Resource":"*""#, r#""Resource":"arn:aws:s3:::bucket""#),
        ));
    }

    #[test]
    fn plus_in_a_value_decodes_to_space_like_iam_clients() {
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Sid%22%3A%22a+b%22%7D%5D%7D";
        let value = normalize_policy_json(encoded).unwrap();
        assert_eq!(value["Statement"][0]["Sid"], "a b");
    }

    #[test]
    fn invalid_input_is_an_error() {
        let cases = [
            ("{", "EOF"),
            ("[]", "must be a JSON object"),
            ("%7B%2", "malformed percent-encoding at byte 3"),
            ("%7B%ZZ%7D", "malformed percent-encoding at byte 3"),
            ("%FF", "not UTF-8"),
            ("", "EOF"),
        ];
        for (input, reason) in cases {
            match normalize_policy_json(input) {
                Err(PolicyError::InvalidJson { reason: got }) => {
                    assert!(got.contains(reason), "{input}: {got}");
                }
                other => unreachable!("{input}: {other:?}"),
            }
        }
    }
}
