//! Reviewer summaries: after a successful plan, one warning per planned
//! change whose summary says in one line what the change does to access
//! ("alice@example.com gains JIT-EmergencyAdmin on 123456789012 for 1h
//! (high risk; …)"). A resource supplies only the text
//! ([`super::ResourceType::summary`]); the adapter emits it through
//! [`Summaries::emit`], honouring the provider setting
//! `reviewer_summaries`.
//!
//! The contract CI relies on (`examples/ci/github-actions/scripts/plan-comment.py`):
//! severity warning, `summary` = the one-line effect, `detail` starting
//! with exactly [`DETAIL_PREFIX`], no attribute path (Terraform sets the
//! resource address). Terraform merges warnings with the same summary, so
//! the n-th identical text of a process gets a counter and every instance
//! keeps its own line.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::config::ProviderConfig;
use crate::values::StrList;

/// How the `detail` of every reviewer summary starts (the CI contract).
pub const DETAIL_PREFIX: &str = "Reviewer summary.";

/// The whole `detail` of a reviewer summary.
pub const DETAIL: &str = "Reviewer summary. What this change does, in one line, with the values as written in the configuration; a value only known at apply shows as \"(known after apply)\". CI puts these lines at the top of the pull-request comment. Turn them off with `reviewer_summaries = false` in the provider block.";

/// How a value unknown at plan is shown.
pub const UNKNOWN: &str = "(known after apply)";

/// A planned change of one resource instance.
#[derive(Debug)]
pub enum Change<'a, S> {
    /// A new object.
    Create {
        /// The planned state.
        planned: &'a S,
    },
    /// A replacement, summarised by what the new object does: Terraform
    /// keeps only the warnings of this plan, not those of the create it
    /// plans next. `planned` is the state the resource's `plan_update`
    /// returned (computed values it left to the create are unknown); CI
    /// derives the destroy half's line from the plan.
    Replace {
        /// The state before.
        prior: &'a S,
        /// The planned state.
        planned: &'a S,
    },
    /// An in-place update.
    Update {
        /// The state before.
        prior: &'a S,
        /// The planned state.
        planned: &'a S,
    },
    /// A destroy: Terraform ≥ 1.3 asks the provider to plan it, 1.0 never
    /// does (CI then derives the line from the plan's `resource_changes`).
    Destroy {
        /// The state before.
        prior: &'a S,
    },
}

/// A string value as written: the text, [`UNKNOWN`] when unknown, `None`
/// when null or empty.
pub fn written(value: &Value<String>) -> Option<String> {
    match value {
        Value::Value(text) if !text.is_empty() => Some(text.clone()),
        Value::Value(_) | Value::Null => None,
        Value::Unknown => Some(UNKNOWN.to_string()),
    }
}

/// A string value as written, [`UNKNOWN`] also for null (a required value).
pub fn required(value: &Value<String>) -> String {
    written(value).unwrap_or_else(|| UNKNOWN.to_string())
}

/// A list as written, `", "`-joined; [`UNKNOWN`] when the list or an
/// element is unknown; `None` when null or empty.
pub fn written_list(list: &StrList) -> Option<String> {
    match list {
        Value::Null => None,
        Value::Unknown => Some(UNKNOWN.to_string()),
        Value::Value(items) => {
            let mut texts = Vec::new();
            for item in items {
                match item {
                    Value::Value(text) if !text.is_empty() => texts.push(text.as_str()),
                    Value::Value(_) | Value::Null => {}
                    Value::Unknown => return Some(UNKNOWN.to_string()),
                }
            }
            (!texts.is_empty()).then(|| texts.join(", "))
        }
    }
}

/// The summaries one resource type emitted in this provider process.
#[derive(Debug, Default)]
pub struct Summaries {
    seen: Mutex<HashMap<String, u32>>,
}

impl Summaries {
    /// Adds the warning for `text` unless summaries are off in `config`
    /// (unconfigured: on). A text already emitted in this process gets
    /// " (identical change N)" so Terraform shows each instance's line.
    pub fn emit(&self, diags: &mut Diagnostics, config: Option<&ProviderConfig>, text: String) {
        if config.is_some_and(|config| !config.reviewer_summaries) {
            return;
        }
        let line = one_line(&text);
        let count = {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            let count = seen.entry(line.clone()).or_insert(0);
            *count += 1;
            *count
        };
        let summary = if count == 1 {
            line
        } else {
            format!("{line} (identical change {count})")
        };
        diags.warning(summary, DETAIL, AttributePath::default());
    }
}

/// Whitespace (newlines included) collapsed to single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::str_list;

    fn s(text: &str) -> Value<String> {
        Value::Value(text.to_string())
    }

    #[test]
    fn values_show_as_written_or_known_after_apply() {
        assert_eq!(written(&s("alice")), Some("alice".into()));
        assert_eq!(written(&Value::Unknown), Some(UNKNOWN.into()));
        assert_eq!(written(&Value::Null), None);
        assert_eq!(written(&s("")), None);
        assert_eq!(required(&Value::Null), UNKNOWN);
        assert_eq!(required(&s("1h")), "1h");
        assert_eq!(
            written_list(&str_list(["a".to_string(), "b".to_string()])),
            Some("a, b".into())
        );
        assert_eq!(written_list(&Value::Unknown), Some(UNKNOWN.into()));
        assert_eq!(
            written_list(&Value::Value(vec![s("a"), Value::Unknown])),
            Some(UNKNOWN.into())
        );
        assert_eq!(written_list(&Value::Value(vec![])), None);
        assert_eq!(written_list(&Value::Null), None);
    }

    #[test]
    fn each_summary_is_a_warning_with_the_contract_detail_and_no_path() {
        let summaries = Summaries::default();
        let mut diags = Diagnostics::default();
        summaries.emit(&mut diags, None, "alice gains\n X".into());
        assert_eq!(diags.warnings.len(), 1);
        let warning = &diags.warnings[0];
        assert_eq!(warning.summary, "alice gains X");
        assert!(warning.detail.starts_with(DETAIL_PREFIX));
        assert!(warning.attribute.steps.is_empty());
        assert!(diags.errors.is_empty());
    }

    #[test]
    fn identical_texts_stay_distinct_so_terraform_does_not_merge_them() {
        let summaries = Summaries::default();
        let mut diags = Diagnostics::default();
        for text in ["a gains X", "b gains X", "a gains X", "a gains X"] {
            summaries.emit(&mut diags, None, text.into());
        }
        let texts: Vec<&str> = diags.warnings.iter().map(|w| &*w.summary).collect();
        assert_eq!(
            texts,
            [
                "a gains X",
                "b gains X",
                "a gains X (identical change 2)",
                "a gains X (identical change 3)"
            ]
        );
    }

    #[test]
    fn the_provider_setting_turns_them_off() {
        let summaries = Summaries::default();
        let mut diags = Diagnostics::default();
        let mut config = ProviderConfig {
            reviewer_summaries: false,
            ..Default::default()
        };
        summaries.emit(&mut diags, Some(&config), "a gains X".into());
        assert!(diags.warnings.is_empty());
        config.reviewer_summaries = true;
        summaries.emit(&mut diags, Some(&config), "a gains X".into());
        assert_eq!(diags.warnings.len(), 1);
    }
}
