//! What the Identity Center user, group and membership resources and data
//! sources share: input checks (email, names, id shapes), identity store
//! lookups, and the audit and "already gone" conventions.
//!
//! The identity store answers synchronously (no status to wait on), so there
//! are no waiters here.

use aws_sdk_identitystore::error::SdkError;
use aws_sdk_identitystore::types::{
    AlternateIdentifier, Email, MemberId, Name, UniqueAttribute, User,
};
use aws_sdk_identitystore::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::Document;
use tf_provider::{AttributePath, Diagnostics};

use crate::audit::{result, AuditEvent, AuditSink};
use crate::aws::aws_error;
use crate::context::Ctx;
use crate::error::Error;

/// The email type the provider writes (one primary `work` address).
pub const EMAIL_TYPE: &str = "work";

/// Names AWS reserves for itself: no user or group may take them.
const RESERVED_NAMES: [&str; 2] = ["Administrator", "AWSAdministrators"];

/// AWS limits, in characters.
const MAX_USER_NAME: usize = 128;
const MAX_TEXT: usize = 1024;
const MAX_EMAIL: usize = 254;
const MAX_EMAIL_LOCAL: usize = 64;

/// True when `value` has the shape of an identity store id (user, group or
/// membership): a UUID, optionally behind a 10-hex-digit prefix
/// (`9067e1c2a4-…`), as AWS's API patterns define them. Anything else is a
/// name.
pub fn is_identity_id(value: &str) -> bool {
    let uuid = match value.split_once('-') {
        Some((prefix, rest)) if prefix.len() == 10 && is_hex(prefix) => rest,
        _ => value,
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && is_hex(group))
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_hexdigit())
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

/// [`aws_error`] for the identity store, naming the HTTP status when the
/// answer carried no error code at all (a bare HTTP 5xx), where AWS's
/// "no message" alone would say nothing.
pub fn store_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    with_status(aws_error("identitystore", operation, error), status)
}

fn with_status(error: Error, status: Option<u16>) -> Error {
    match (error, status) {
        (
            Error::Aws {
                service,
                operation,
                code: None,
                message,
                request_id,
            },
            Some(status),
        ) => Error::Aws {
            service,
            operation,
            code: None,
            message: format!("HTTP {status} without an error code ({message}): the service failed internally, or the endpoint does not implement `{operation}`."),
            request_id,
        },
        (other, _) => other,
    }
}

/// One user as the identity store describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FoundUser {
    /// User id.
    pub user_id: String,
    /// Unique user name.
    pub user_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// The primary email, else the first one.
    pub email: Option<String>,
    /// Every email address of the user.
    pub emails: Vec<String>,
}

impl FoundUser {
    fn from_parts(
        user_id: &str,
        user_name: Option<&str>,
        display_name: Option<&str>,
        name: Option<&Name>,
        emails: &[Email],
    ) -> Self {
        Self {
            user_id: user_id.to_string(),
            user_name: user_name.unwrap_or_default().to_string(),
            display_name: display_name.map(str::to_string),
            given_name: name.and_then(Name::given_name).map(str::to_string),
            family_name: name.and_then(Name::family_name).map(str::to_string),
            email: primary_email(emails),
            emails: emails
                .iter()
                .filter_map(|email| email.value().map(str::to_string))
                .collect(),
        }
    }

    /// From a `ListUsers` item.
    pub fn from_user(user: &User) -> Self {
        Self::from_parts(
            user.user_id(),
            user.user_name(),
            user.display_name(),
            user.name(),
            user.emails(),
        )
    }

    /// True when one of the user's emails equals `email`, ignoring case
    /// (mail systems treat addresses case-insensitively in practice).
    pub fn has_email(&self, email: &str) -> bool {
        self.emails
            .iter()
            .any(|candidate| candidate.eq_ignore_ascii_case(email))
    }
}

/// The primary email, else the first one with a value.
pub fn primary_email(emails: &[Email]) -> Option<String> {
    emails
        .iter()
        .find(|email| email.primary() && email.value().is_some())
        .or_else(|| emails.iter().find(|email| email.value().is_some()))
        .and_then(|email| email.value().map(str::to_string))
}

/// The one email the provider writes: primary, type `work`.
pub fn expand_email(email: &str) -> Email {
    Email::builder()
        .value(email)
        .r#type(EMAIL_TYPE)
        .primary(true)
        .build()
}

/// The same email as an `UpdateUser` value: AWS replaces the whole
/// multi-valued `emails` attribute, so the full list is sent.
pub fn email_document(email: &str) -> Document {
    Document::Array(vec![Document::Object(
        [
            ("value".to_string(), Document::String(email.to_string())),
            ("type".to_string(), Document::String(EMAIL_TYPE.to_string())),
            ("primary".to_string(), Document::Bool(true)),
        ]
        .into_iter()
        .collect(),
    )])
}

/// The string value of an `UpdateUser`/`UpdateGroup` operation; AWS takes
/// null to remove an attribute and refuses empty strings.
pub fn text_document(value: Option<&str>) -> Document {
    match value.filter(|text| !text.is_empty()) {
        Some(text) => Document::String(text.to_string()),
        None => Document::Null,
    }
}

/// The identity store id the provider works on (configured or discovered).
pub async fn identity_store_id(ctx: &Ctx) -> Result<String, Error> {
    Ok(ctx.identity_center().await?.identity_store_id.clone())
}

fn unique_attribute(path: &str, value: &str) -> Result<AlternateIdentifier, Error> {
    UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_string()))
        .build()
        .map(AlternateIdentifier::UniqueAttribute)
        .map_err(|e| Error::Aws {
            service: "identitystore",
            operation: "GetUserId",
            code: None,
            message: format!("the request could not be built: {e}"),
            request_id: None,
        })
}

/// The id of the user whose unique attribute `path` (`userName` or
/// `emails.value`) equals `value`; `None` when there is none.
pub async fn find_user_id_by(
    client: &Client,
    store: &str,
    path: &str,
    value: &str,
) -> Result<Option<String>, Error> {
    let found = client
        .get_user_id()
        .identity_store_id(store)
        .alternate_identifier(unique_attribute(path, value)?)
        .send()
        .await
        .map_err(|e| store_error("GetUserId", e));
    match found {
        Ok(output) => Ok(Some(output.user_id)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// The id of the group named `name`; `None` when there is none.
pub async fn find_group_id_by_name(
    client: &Client,
    store: &str,
    name: &str,
) -> Result<Option<String>, Error> {
    let found = client
        .get_group_id()
        .identity_store_id(store)
        .alternate_identifier(unique_attribute("displayName", name)?)
        .send()
        .await
        .map_err(|e| store_error("GetGroupId", e));
    match found {
        Ok(output) => Ok(Some(output.group_id)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// The user with this id, or `Error::NotFound`.
pub async fn find_user_by_id(
    client: &Client,
    store: &str,
    user_id: &str,
) -> Result<FoundUser, Error> {
    let user = client
        .describe_user()
        .identity_store_id(store)
        .user_id(user_id)
        .send()
        .await
        .map_err(|e| store_error("DescribeUser", e))?;
    Ok(FoundUser::from_parts(
        user.user_id(),
        user.user_name(),
        user.display_name(),
        user.name(),
        user.emails(),
    ))
}

/// One group as the identity store describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FoundGroup {
    /// Group id.
    pub group_id: String,
    /// Display name (unique).
    pub name: String,
    /// Description, when set.
    pub description: Option<String>,
}

/// The group with this id, or `Error::NotFound`.
pub async fn find_group_by_id(
    client: &Client,
    store: &str,
    group_id: &str,
) -> Result<FoundGroup, Error> {
    let group = client
        .describe_group()
        .identity_store_id(store)
        .group_id(group_id)
        .send()
        .await
        .map_err(|e| store_error("DescribeGroup", e))?;
    Ok(FoundGroup {
        group_id: group.group_id().to_string(),
        name: group.display_name().unwrap_or_default().to_string(),
        description: group
            .description()
            .filter(|text| !text.is_empty())
            .map(str::to_string),
    })
}

/// The membership of `user_id` in `group_id`, if any.
pub async fn find_membership_id(
    client: &Client,
    store: &str,
    group_id: &str,
    user_id: &str,
) -> Result<Option<String>, Error> {
    let found = client
        .get_group_membership_id()
        .identity_store_id(store)
        .group_id(group_id)
        .member_id(MemberId::UserId(user_id.to_string()))
        .send()
        .await
        .map_err(|e| store_error("GetGroupMembershipId", e));
    match found {
        Ok(output) => Ok(Some(output.membership_id)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// Every user whose email equals `email` (ignoring case), by listing the
/// store: `GetUserId` returns at most one user, so it cannot tell "one" from
/// "several".
pub async fn list_users_with_email(
    client: &Client,
    store: &str,
    email: &str,
) -> Result<Vec<FoundUser>, Error> {
    let mut matches = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_users()
            .identity_store_id(store)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| store_error("ListUsers", e))?;
        matches.extend(
            page.users()
                .iter()
                .map(FoundUser::from_user)
                .filter(|user| user.has_email(email)),
        );
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(matches),
        }
    }
}

/// A user reference as written in configuration: an id, or a user name.
pub async fn resolve_user(
    client: &Client,
    store: &str,
    reference: &str,
    path: AttributePath,
) -> Result<String, Error> {
    if is_identity_id(reference) {
        match find_user_by_id(client, store, reference).await {
            Ok(user) => return Ok(user.user_id),
            Err(error) if !error.is_not_found() => return Err(error),
            Err(_) => {}
        }
    }
    find_user_id_by(client, store, "userName", reference)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                path,
                "Identity Center user not found",
                format!("No user has the id or user name `{reference}` in identity store `{store}`. Fix the name, or, when the user is created in this configuration, reference its `user_id` (`jit_identity_center_user.<name>.user_id`) so that Terraform creates it first."),
            )
        })
}

/// A group reference as written in configuration: an id, or a group name.
pub async fn resolve_group(
    client: &Client,
    store: &str,
    reference: &str,
    path: AttributePath,
) -> Result<String, Error> {
    if is_identity_id(reference) {
        match find_group_by_id(client, store, reference).await {
            Ok(group) => return Ok(group.group_id),
            Err(error) if !error.is_not_found() => return Err(error),
            Err(_) => {}
        }
    }
    find_group_id_by_name(client, store, reference)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                path,
                "Identity Center group not found",
                format!("No group has the id or name `{reference}` in identity store `{store}`. Fix the name (it must match exactly), or, when the group is created in this configuration, reference its `group_id` (`jit_identity_center_group.<name>.group_id`) so that Terraform creates it first."),
            )
        })
}

/// Writes the audit event of a change that has been made (`failure` is
/// `None`) or that failed. The
/// change itself is already done, so a failed write is a warning, never an
/// error that would make Terraform forget the object.
pub async fn audit_result(
    ctx: &Ctx,
    diags: &mut Diagnostics,
    mut event: AuditEvent,
    failure: Option<&Error>,
) {
    match failure {
        None => event.result = result::SUCCESS.to_string(),
        Some(error) => {
            event.result = result::FAILURE.to_string();
            event.error = error.to_string();
        }
    }
    let target = event.target.clone();
    if let Err(error) = ctx.audit.write(event).await {
        error.report_warning(format!("Audit event for `{target}` not written"), diags);
    }
}

/// An audit event for an Identity Center change.
pub fn audit_event(
    action: &str,
    resource_type: &str,
    target: impl Into<String>,
    details: &[(&str, &str)],
) -> AuditEvent {
    let mut event = AuditSink::event(action, resource_type, target);
    event.details = details
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_told_from_names() {
        for id in [
            "86702138-3ca5-4aff-9bf9-2aefbfaa3bf6",
            "9067e1c2a4-86702138-3ca5-4aff-9bf9-2aefbfaa3bf6",
            "86702138-3CA5-4AFF-9BF9-2AEFBFAA3BF6",
        ] {
            assert!(is_identity_id(id), "{id}");
        }
        for name in [
            "alice",
            "Kiro Pro",
            "",
            "86702138-3ca5-4aff-9bf9-2aefbfaa3bf",
            "86702138-3ca5-4aff-9bf9-2aefbfaa3bf6-x",
            "9067e1c2a-86702138-3ca5-4aff-9bf9-2aefbfaa3bf6",
            "zzzzzzzz-3ca5-4aff-9bf9-2aefbfaa3bf6",
        ] {
            assert!(!is_identity_id(name), "{name}");
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
    fn primary_email_wins_else_first() {
        let plain = |value: &str| Email::builder().value(value).build();
        let primary = Email::builder()
            .value("b@example.com")
            .primary(true)
            .build();
        assert_eq!(
            primary_email(&[plain("a@example.com"), primary]),
            Some("b@example.com".to_string())
        );
        assert_eq!(
            primary_email(&[Email::builder().build(), plain("a@example.com")]),
            Some("a@example.com".to_string())
        );
        assert_eq!(primary_email(&[]), None);
    }

    #[test]
    fn email_update_replaces_the_whole_list() {
        // AWS refuses `emails[0].value`: the multi-valued attribute is
        // replaced whole, with lower-case SCIM keys.
        let Document::Array(items) = email_document("a@example.com") else {
            panic!("not a list");
        };
        assert_eq!(items.len(), 1);
        let Document::Object(fields) = &items[0] else {
            panic!("not an object");
        };
        assert_eq!(fields["value"], Document::String("a@example.com".into()));
        assert_eq!(fields["type"], Document::String("work".into()));
        assert_eq!(fields["primary"], Document::Bool(true));
        assert_eq!(text_document(Some("")), Document::Null);
        assert_eq!(text_document(None), Document::Null);
        assert_eq!(text_document(Some("x")), Document::String("x".into()));
    }

    #[test]
    fn emails_match_ignoring_case() {
        let user = FoundUser {
            emails: vec!["Alice@Example.com".into()],
            ..Default::default()
        };
        assert!(user.has_email("alice@example.com"));
        assert!(!user.has_email("bob@example.com"));
    }

    #[test]
    fn bare_server_errors_name_their_status() {
        let bare = Error::Aws {
            service: "identitystore",
            operation: "UpdateUser",
            code: None,
            message: "no message".into(),
            request_id: None,
        };
        let message = with_status(bare, Some(500)).to_string();
        assert!(
            message.contains("HTTP 500 without an error code"),
            "{message}"
        );
        assert!(message.contains("`UpdateUser`"), "{message}");
        let coded = Error::Aws {
            service: "identitystore",
            operation: "CreateUser",
            code: Some("ConflictException".into()),
            message: "Duplicate UserName".into(),
            request_id: None,
        };
        assert_eq!(
            with_status(coded, Some(409)).to_string(),
            "AWS identitystore CreateUser failed: Duplicate UserName"
        );
    }

    #[test]
    fn import_hint_names_the_command_and_the_id() {
        let hint = import_hint("jit_identity_center_user", "abc");
        assert!(hint.contains("`terraform import jit_identity_center_user.<name> abc`"));
        assert!(hint.contains("id = \"abc\""));
    }
}
