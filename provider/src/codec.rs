//! Serde codecs for Terraform values that tf-provider's own codecs miss.

/// A block that appears at most once (`NestedBlock::Optional`) arrives as a
/// list of zero or one element. Unlike `tf_provider::value::serde_as_vec`,
/// this codec also accepts an unknown list (a `dynamic` block whose
/// `for_each` is unknown at plan time) and maps it to `Value::Unknown`.
pub mod optional_block {
    use serde::{de::Error, Deserialize, Deserializer, Serialize, Serializer};
    use tf_provider::value::Value;

    /// Writes `Value(x)` as `[x]`, `Null` as `[]`, `Unknown` as unknown.
    pub fn serialize<T, S>(value: &Value<T>, serializer: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: Serialize,
    {
        match value {
            Value::Value(inner) => [inner].serialize(serializer),
            Value::Null => Vec::<T>::new().serialize(serializer),
            Value::Unknown => Value::<Vec<T>>::Unknown.serialize(serializer),
        }
    }

    /// Reads `[]`/null as `Null`, `[x]` as `Value(x)`, unknown as `Unknown`.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Value<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        match Value::<Vec<Value<T>>>::deserialize(deserializer)? {
            Value::Unknown => Ok(Value::Unknown),
            Value::Null => Ok(Value::Null),
            Value::Value(items) => {
                let mut items = items.into_iter();
                match (items.next(), items.next()) {
                    (None, _) => Ok(Value::Null),
                    (Some(item), None) => Ok(item),
                    (Some(_), Some(_)) => Err(D::Error::custom("this block may appear only once")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use tf_provider::value::Value;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Inner {
        name: Value<String>,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Outer {
        #[serde(with = "super::optional_block")]
        block: Value<Inner>,
    }

    fn round_trip(outer: &Outer) -> Outer {
        let bytes = rmp_serde::to_vec_named(outer).unwrap();
        rmp_serde::from_slice(&bytes).unwrap()
    }

    #[test]
    fn known_null_and_unknown_blocks_round_trip() {
        for block in [
            Value::Value(Inner {
                name: Value::Value("x".into()),
            }),
            Value::Null,
            Value::Unknown,
        ] {
            let outer = Outer { block };
            assert_eq!(round_trip(&outer), outer);
        }
    }
}
