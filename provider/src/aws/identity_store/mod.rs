//! Identity Center identity store calls (users, groups, memberships): the
//! one identity-store layer of the provider, used by grants, memberships,
//! users and the lookup data sources. Each SDK operation is wrapped once,
//! its error mapped by [`store_error`]; callers see plain Rust types.
//!
//! The identity store answers synchronously (no status to wait on), so there
//! are no waiters here. Lookups are in `find.rs`, changes in `change.rs`;
//! [`DirectoryCache`] keeps the answers `jit_grant` needs many times per
//! process.

use aws_sdk_identitystore::error::SdkError;
use aws_sdk_identitystore::types::{Email, Name};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::DateTime;

use super::{aws_error, AwsClients};
use crate::error::Error;

mod change;
mod directory;
mod find;
#[cfg(test)]
mod tests;

pub use directory::DirectoryCache;

const SERVICE: &str = "identitystore";

/// The email type the provider writes (one primary `work` address).
pub const EMAIL_TYPE: &str = "work";

/// Identity store operations over the shared client.
#[derive(Debug, Clone, Copy)]
pub struct IdentityStore<'a> {
    client: &'a aws_sdk_identitystore::Client,
}

impl AwsClients {
    /// Identity store operations.
    pub fn identity_store(&self) -> IdentityStore<'_> {
        IdentityStore {
            client: &self.identity_store,
        }
    }
}

/// `USER` or `GROUP`: what an assignment or a grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An Identity Center user.
    User,
    /// An Identity Center group.
    Group,
}

impl PrincipalKind {
    /// Parses `USER` or `GROUP`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "USER" => Some(Self::User),
            "GROUP" => Some(Self::Group),
            _ => None,
        }
    }

    /// `USER` or `GROUP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Group => "GROUP",
        }
    }
}

/// One user as the identity store describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
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
    /// When it was created (`CreatedAt`, seconds since the epoch), where
    /// AWS says.
    pub created_at: Option<i64>,
}

impl User {
    fn from_parts(
        user_id: &str,
        user_name: Option<&str>,
        display_name: Option<&str>,
        name: Option<&Name>,
        emails: &[Email],
        created_at: Option<&DateTime>,
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
            created_at: created_at.map(DateTime::secs),
        }
    }

    /// True when one of the user's emails equals `email`, ignoring case
    /// (mail systems treat addresses case-insensitively in practice).
    pub fn has_email(&self, email: &str) -> bool {
        self.emails
            .iter()
            .any(|candidate| candidate.eq_ignore_ascii_case(email))
    }

    /// How people name the user: the user name, then every email.
    pub fn identities(&self) -> Vec<String> {
        let name = Some(self.user_name.clone()).filter(|name| !name.is_empty());
        name.into_iter()
            .chain(self.emails.iter().cloned())
            .collect()
    }
}

/// One group as the identity store describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    /// Group id.
    pub group_id: String,
    /// Display name (unique).
    pub name: String,
    /// Description, when set.
    pub description: Option<String>,
    /// When it was created (`CreatedAt`, seconds since the epoch), where
    /// AWS says.
    pub created_at: Option<i64>,
}

/// One group membership.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Membership {
    /// Membership id.
    pub membership_id: String,
    /// The group.
    pub group_id: String,
    /// The member user.
    pub user_id: String,
    /// When it was created (`CreatedAt`, seconds since the epoch), where
    /// AWS says.
    pub created_at: Option<i64>,
}

/// A new user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser<'a> {
    /// Unique user name.
    pub user_name: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Given name.
    pub given_name: &'a str,
    /// Family name.
    pub family_name: &'a str,
    /// The one (primary, `work`) email.
    pub email: &'a str,
}

/// The new value of one attribute in an `UpdateUser`/`UpdateGroup` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// A string; `None` (or empty) removes the attribute.
    Text(Option<String>),
    /// The whole email list, replaced by this one primary `work` address.
    PrimaryEmail(String),
}

/// One attribute change, with AWS's attribute path (`displayName`,
/// `name.givenName`, `emails`, `description`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeUpdate {
    /// AWS's attribute path.
    pub path: &'static str,
    /// The new value.
    pub value: AttributeValue,
}

/// A resolved user or group of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Identity store id.
    pub id: String,
    /// How people name it: the input form, then the user name and emails, or
    /// the group's display name.
    pub identities: Vec<String>,
}

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

/// [`aws_error`] for the identity store, naming the HTTP status when the
/// answer carried no error code at all (a bare HTTP 5xx), where AWS's
/// "no message" alone would say nothing.
fn store_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    with_status(aws_error(SERVICE, operation, error), status)
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

fn build_error(operation: &'static str, error: impl std::fmt::Display) -> Error {
    Error::Aws {
        service: SERVICE,
        operation,
        code: None,
        message: format!("the request could not be built: {error}"),
        request_id: None,
    }
}

/// `Ok(None)` for a not-found answer.
fn found<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// The primary email, else the first one with a value.
fn primary_email(emails: &[Email]) -> Option<String> {
    emails
        .iter()
        .find(|email| email.primary() && email.value().is_some())
        .or_else(|| emails.iter().find(|email| email.value().is_some()))
        .and_then(|email| email.value().map(str::to_string))
}
