//! Unit tests of `jit_grant`'s pure helpers.

use super::*;

fn s(text: &str) -> Value<String> {
    Value::Value(text.into())
}
