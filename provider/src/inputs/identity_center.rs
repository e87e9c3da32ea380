//! Inputs of the Identity Center resources and data sources: email, user
//! name and free-text checks against AWS's limits, AWS account ids (the
//! targets of assignments), and the messages that point at `terraform
//! import`. Pure.

use tf_provider::value::Value;

use crate::error::{attr, Error};
use crate::values::known_str;

/// Names AWS reserves for itself: no user or group may take them.
const RESERVED_NAMES: [&str; 2] = ["Administrator", "AWSAdministrators"];

/// AWS limits, in characters.
const MAX_USER_NAME: usize = 128;
const MAX_TEXT: usize = 1024;
const MAX_EMAIL: usize = 254;
const MAX_EMAIL_LOCAL: usize = 64;

/// Checks a known `account_id`: an AWS account id is 12 digits.
pub fn check_account_id(value: &Value<String>) -> Result<(), Error> {
    match known_str(value) {
        Some(account) if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) => {
            Err(Error::invalid(
                attr("account_id"),
                "Invalid AWS account id",
                format!("`{account}` is not 12 digits, e.g. `123456789012`."),
            ))
        }
        _ => Ok(()),
    }
}

/// Checks an email address; the error is a hint naming the problem.
///
/// Deliberately simple (one `@`, a plausible local part and a dotted domain
/// of letters, digits and hyphens): it catches typos such as a missing `@`,
/// a space or a trailing dot, not every corner of RFC 5322.
pub fn check_email(email: &str) -> Result<(), String> {
    let fail = |problem: &str| {
        Err(format!(
            "`{email}` is not a valid email address: {problem}."
        ))
    };
    if email.len() > MAX_EMAIL {
        return fail("it is longer than 254 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail("it contains a space or a control character");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return fail("it has no `@`");
    };
    if domain.contains('@') {
        return fail("it has more than one `@`");
    }
    if local.is_empty() || local.len() > MAX_EMAIL_LOCAL {
        return fail("the part before `@` must have 1 to 64 characters");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return fail(
            "the part before `@` may not start or end with a dot or hold two dots in a row",
        );
    }
    if local.chars().any(|c| {
        matches!(
            c,
            '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | '\\' | ']' | '"'
        )
    }) {
        return fail("the part before `@` holds a character that needs quoting");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return fail("the domain needs a dot, as in `example.com`");
    }
    for label in &labels {
        if label.is_empty() {
            return fail(
                "the domain has an empty part (two dots in a row, or a leading or trailing dot)",
            );
        }
        if label.starts_with('-') || label.ends_with('-') {
            return fail("a domain part may not start or end with `-`");
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return fail("the domain may hold only letters, digits, `-` and dots");
        }
    }
    let top = labels.last().copied().unwrap_or_default();
    if top.chars().count() < 2 || top.chars().all(|c| c.is_ascii_digit()) {
        return fail("the last part of the domain must be a top-level domain such as `com`");
    }
    Ok(())
}

/// Checks a user name: 1 to 128 characters, no spaces, not reserved.
pub fn check_user_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Set `user_name`, e.g. `alice@example.com` or `alice`.".to_string());
    }
    if name.chars().count() > MAX_USER_NAME {
        return Err(format!(
            "`{name}` is longer than {MAX_USER_NAME} characters."
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{name}` contains a space or a control character; Identity Center user names may not."
        ));
    }
    check_not_reserved(name)
}

/// Checks a display name, given name, family name, group name or
/// description: 1 to 1,024 characters, not blank, no control characters
/// other than tab and line breaks.
pub fn check_text(attribute: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("`{attribute}` may not be empty or blank."));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(format!(
            "`{attribute}` is longer than {MAX_TEXT} characters."
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!("`{attribute}` contains a control character."));
    }
    Ok(())
}

/// Rejects the names AWS reserves.
pub fn check_not_reserved(name: &str) -> Result<(), String> {
    if RESERVED_NAMES.contains(&name) {
        return Err(format!(
            "`{name}` is reserved by AWS and cannot name a user or a group."
        ));
    }
    Ok(())
}

/// The display name used when none is configured: `<given> <family>`.
pub fn default_display_name(given_name: &str, family_name: &str) -> String {
    format!("{given_name} {family_name}")
}

/// The CLI and `import {}` forms that adopt an existing object. The
/// provider cannot know the resource's own address, so `<name>` stands for
/// it; Terraform prints the address next to the diagnostic.
pub fn import_hint(resource_type: &str, id: &str) -> String {
    format!(
        "To manage it with this resource instead, import it: `terraform import {resource_type}.<name> {id}`, where `{resource_type}.<name>` is this resource's address shown below (on Terraform ≥ 1.5 an `import` block with `id = \"{id}\"` does the same)."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(check_account_id(&Value::Value("123456789012".into())).is_ok());
        assert!(check_account_id(&Value::Unknown).is_ok());
        for bad in ["1234", "12345678901a", "1234567890123"] {
            let (summary, detail, path) = check_account_id(&Value::Value(bad.into()))
                .unwrap_err()
                .into_parts(Default::default());
            assert_eq!(summary, "Invalid AWS account id");
            assert!(detail.contains(&format!("`{bad}`")), "{detail}");
            assert_eq!(path, attr("account_id"));
        }
    }

    #[test]
    fn emails_are_checked_for_typos() {
        for good in [
            "alice@example.com",
            "a.b+tag@sub.example.co.uk",
            "o'brien@example.ie",
            "jörg@bücher.de",
        ] {
            assert_eq!(check_email(good), Ok(()), "{good}");
        }
        let cases = [
            ("alice.example.com", "no `@`"),
            ("alice@@example.com", "more than one `@`"),
            ("a@b@example.com", "more than one `@`"),
            ("@example.com", "1 to 64"),
            ("alice@example", "needs a dot"),
            ("alice@example.", "empty part"),
            ("alice@.example.com", "empty part"),
            ("alice@exa mple.com", "space"),
            (" alice@example.com", "space"),
            ("alice.@example.com", "dot"),
            ("al..ice@example.com", "dot"),
            ("alice@-example.com", "`-`"),
            ("alice@example.c", "top-level"),
            ("alice@10.0.0.1", "top-level"),
            ("alice@exa_mple.com", "only letters"),
            ("a<b@example.com", "quoting"),
        ];
        for (bad, problem) in cases {
            let hint = check_email(bad).unwrap_err();
            assert!(hint.contains(problem), "{bad}: {hint}");
            assert!(hint.contains(&format!("`{bad}`")), "{hint}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(check_email(&long).unwrap_err().contains("254"));
    }

    #[test]
    fn user_names_and_texts_follow_aws_limits() {
        assert!(check_user_name("alice@example.com").is_ok());
        assert!(check_user_name("").unwrap_err().contains("Set `user_name`"));
        assert!(check_user_name("alice smith")
            .unwrap_err()
            .contains("space"));
        assert!(check_user_name(&"a".repeat(129))
            .unwrap_err()
            .contains("128"));
        assert!(check_user_name("Administrator")
            .unwrap_err()
            .contains("reserved"));
        assert!(check_text("given_name", "Ada").is_ok());
        assert!(check_text("given_name", "  ")
            .unwrap_err()
            .contains("`given_name`"));
        assert!(check_text("description", &"x".repeat(1025))
            .unwrap_err()
            .contains("1024"));
        assert!(check_text("name", "a\u{7}b")
            .unwrap_err()
            .contains("control"));
        assert!(check_text("description", "line one\nline two").is_ok());
        assert!(check_not_reserved("AWSAdministrators").is_err());
    }

    #[test]
    fn import_hint_names_the_command_and_the_id() {
        let hint = import_hint("jit_identity_center_user", "abc");
        assert!(hint.contains("`terraform import jit_identity_center_user.<name> abc`"));
        assert!(hint.contains("id = \"abc\""));
    }
}
