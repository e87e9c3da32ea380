//! Identity Center identity store calls (users, groups, memberships): the
//! one identity-store layer of the provider, used by grants, memberships,
//! users and the lookup data sources. Each SDK operation is wrapped once,
//! its error mapped by [`store_error`]; callers see plain Rust types.
//!
//! The identity store answers synchronously (no status to wait on), so there
//! are no waiters here. [`DirectoryCache`] keeps the answers `jit_grant`
//! needs many times per process.

use aws_sdk_identitystore::error::SdkError;
use aws_sdk_identitystore::types::{
    AlternateIdentifier, AttributeOperation, Email, MemberId, Name, UniqueAttribute,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::Document;

use super::cache::KeyedCache;
use super::{aws_error, AwsClients};
use crate::error::{gone_ok, Error};

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
}

impl User {
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

/// The email list of an `UpdateUser`: AWS replaces the whole multi-valued
/// `emails` attribute, so the full list is sent (lower-case SCIM keys).
fn email_document(email: &str) -> Document {
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

/// A string value of an update; AWS takes null to remove an attribute and
/// refuses empty strings.
fn text_document(value: Option<&str>) -> Document {
    match value.filter(|text| !text.is_empty()) {
        Some(text) => Document::String(text.to_string()),
        None => Document::Null,
    }
}

fn expand_updates(
    operation: &'static str,
    updates: &[AttributeUpdate],
) -> Result<Vec<AttributeOperation>, Error> {
    updates
        .iter()
        .map(|update| {
            let value = match &update.value {
                AttributeValue::Text(text) => text_document(text.as_deref()),
                AttributeValue::PrimaryEmail(email) => email_document(email),
            };
            AttributeOperation::builder()
                .attribute_path(update.path)
                .attribute_value(value)
                .build()
                .map_err(|e| build_error(operation, e))
        })
        .collect()
}

fn unique_attribute(
    operation: &'static str,
    path: &str,
    value: &str,
) -> Result<AlternateIdentifier, Error> {
    UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_string()))
        .build()
        .map(AlternateIdentifier::UniqueAttribute)
        .map_err(|e| build_error(operation, e))
}

impl IdentityStore<'_> {
    /// The id of the user whose unique attribute `path` (`userName` or
    /// `emails.value`) equals `value`; `None` when there is none.
    pub async fn find_user_id_by(
        &self,
        store: &str,
        path: &str,
        value: &str,
    ) -> Result<Option<String>, Error> {
        let result = self
            .client
            .get_user_id()
            .identity_store_id(store)
            .alternate_identifier(unique_attribute("GetUserId", path, value)?)
            .send()
            .await
            .map(|output| output.user_id)
            .map_err(|e| store_error("GetUserId", e));
        found(result)
    }

    /// The user with this id, or a not-found error.
    pub async fn find_user_by_id(&self, store: &str, user_id: &str) -> Result<User, Error> {
        let user = self
            .client
            .describe_user()
            .identity_store_id(store)
            .user_id(user_id)
            .send()
            .await
            .map_err(|e| store_error("DescribeUser", e))?;
        Ok(User::from_parts(
            user.user_id(),
            user.user_name(),
            user.display_name(),
            user.name(),
            user.emails(),
        ))
    }

    /// A user as configuration names it: by id when `reference` has the
    /// shape of one and such a user exists, else by user name. `None` when
    /// neither finds one.
    pub async fn find_user(&self, store: &str, reference: &str) -> Result<Option<User>, Error> {
        if is_identity_id(reference) {
            if let Some(user) = found(self.find_user_by_id(store, reference).await)? {
                return Ok(Some(user));
            }
        }
        match self.find_user_id_by(store, "userName", reference).await? {
            Some(user_id) => found(self.find_user_by_id(store, &user_id).await),
            None => Ok(None),
        }
    }

    /// The id of the group named `name`; `None` when there is none.
    pub async fn find_group_id_by_name(
        &self,
        store: &str,
        name: &str,
    ) -> Result<Option<String>, Error> {
        let result = self
            .client
            .get_group_id()
            .identity_store_id(store)
            .alternate_identifier(unique_attribute("GetGroupId", "displayName", name)?)
            .send()
            .await
            .map(|output| output.group_id)
            .map_err(|e| store_error("GetGroupId", e));
        found(result)
    }

    /// The group with this id, or a not-found error.
    pub async fn find_group_by_id(&self, store: &str, group_id: &str) -> Result<Group, Error> {
        let group = self
            .client
            .describe_group()
            .identity_store_id(store)
            .group_id(group_id)
            .send()
            .await
            .map_err(|e| store_error("DescribeGroup", e))?;
        Ok(Group {
            group_id: group.group_id().to_string(),
            name: group.display_name().unwrap_or_default().to_string(),
            description: group
                .description()
                .filter(|text| !text.is_empty())
                .map(str::to_string),
        })
    }

    /// A group as configuration names it: by id when `reference` has the
    /// shape of one and such a group exists, else by display name.
    pub async fn find_group(&self, store: &str, reference: &str) -> Result<Option<Group>, Error> {
        if is_identity_id(reference) {
            if let Some(group) = found(self.find_group_by_id(store, reference).await)? {
                return Ok(Some(group));
            }
        }
        match self.find_group_id_by_name(store, reference).await? {
            Some(group_id) => found(self.find_group_by_id(store, &group_id).await),
            None => Ok(None),
        }
    }

    /// Every user whose email equals `email` (ignoring case), by listing the
    /// store: `GetUserId` returns at most one user, so it cannot tell "one"
    /// from "several".
    pub async fn list_users_with_email(
        &self,
        store: &str,
        email: &str,
    ) -> Result<Vec<User>, Error> {
        let mut matches = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_users()
                .identity_store_id(store)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| store_error("ListUsers", e))?;
            matches.extend(
                page.users()
                    .iter()
                    .map(|user| {
                        User::from_parts(
                            user.user_id(),
                            user.user_name(),
                            user.display_name(),
                            user.name(),
                            user.emails(),
                        )
                    })
                    .filter(|user| user.has_email(email)),
            );
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(matches),
            }
        }
    }

    /// The user ids of a group's members.
    pub async fn list_member_ids(&self, store: &str, group_id: &str) -> Result<Vec<String>, Error> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_group_memberships()
                .identity_store_id(store)
                .group_id(group_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| store_error("ListGroupMemberships", e))?;
            ids.extend(page.group_memberships().iter().filter_map(|membership| {
                match membership.member_id() {
                    Some(MemberId::UserId(user_id)) => Some(user_id.clone()),
                    _ => None,
                }
            }));
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(ids),
            }
        }
    }

    /// The id of `user_id`'s membership in `group_id`, if any.
    pub async fn find_membership_id(
        &self,
        store: &str,
        group_id: &str,
        user_id: &str,
    ) -> Result<Option<String>, Error> {
        let result = self
            .client
            .get_group_membership_id()
            .identity_store_id(store)
            .group_id(group_id)
            .member_id(MemberId::UserId(user_id.to_string()))
            .send()
            .await
            .map(|output| output.membership_id)
            .map_err(|e| store_error("GetGroupMembershipId", e));
        found(result)
    }

    /// The membership with this id, or a not-found error.
    pub async fn find_membership_by_id(
        &self,
        store: &str,
        membership_id: &str,
    ) -> Result<Membership, Error> {
        let membership = self
            .client
            .describe_group_membership()
            .identity_store_id(store)
            .membership_id(membership_id)
            .send()
            .await
            .map_err(|e| store_error("DescribeGroupMembership", e))?;
        Ok(Membership {
            membership_id: membership.membership_id().to_string(),
            group_id: membership.group_id().to_string(),
            user_id: membership
                .member_id()
                .and_then(|member| member.as_user_id().ok())
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// Creates a user; returns its id.
    pub async fn create_user(&self, store: &str, user: &NewUser<'_>) -> Result<String, Error> {
        let name = Name::builder()
            .given_name(user.given_name)
            .family_name(user.family_name)
            .build();
        let email = Email::builder()
            .value(user.email)
            .r#type(EMAIL_TYPE)
            .primary(true)
            .build();
        self.client
            .create_user()
            .identity_store_id(store)
            .user_name(user.user_name)
            .display_name(user.display_name)
            .name(name)
            .emails(email)
            .send()
            .await
            .map(|output| output.user_id)
            .map_err(|e| store_error("CreateUser", e))
    }

    /// Changes a user's attributes.
    pub async fn update_user(
        &self,
        store: &str,
        user_id: &str,
        updates: &[AttributeUpdate],
    ) -> Result<(), Error> {
        self.client
            .update_user()
            .identity_store_id(store)
            .user_id(user_id)
            .set_operations(Some(expand_updates("UpdateUser", updates)?))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error("UpdateUser", e))
    }

    /// Deletes a user; already gone is success.
    pub async fn delete_user(&self, store: &str, user_id: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_user()
                .identity_store_id(store)
                .user_id(user_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("DeleteUser", e)),
        )
    }

    /// Creates a group; returns its id.
    pub async fn create_group(
        &self,
        store: &str,
        name: &str,
        description: Option<&str>,
    ) -> Result<String, Error> {
        self.client
            .create_group()
            .identity_store_id(store)
            .display_name(name)
            .set_description(description.map(str::to_string))
            .send()
            .await
            .map(|output| output.group_id)
            .map_err(|e| store_error("CreateGroup", e))
    }

    /// Changes a group's attributes.
    pub async fn update_group(
        &self,
        store: &str,
        group_id: &str,
        updates: &[AttributeUpdate],
    ) -> Result<(), Error> {
        self.client
            .update_group()
            .identity_store_id(store)
            .group_id(group_id)
            .set_operations(Some(expand_updates("UpdateGroup", updates)?))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error("UpdateGroup", e))
    }

    /// Deletes a group; already gone is success.
    pub async fn delete_group(&self, store: &str, group_id: &str) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_group()
                .identity_store_id(store)
                .group_id(group_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("DeleteGroup", e)),
        )
    }

    /// Adds a user to a group; returns the membership id.
    pub async fn create_group_membership(
        &self,
        store: &str,
        group_id: &str,
        user_id: &str,
    ) -> Result<String, Error> {
        self.client
            .create_group_membership()
            .identity_store_id(store)
            .group_id(group_id)
            .member_id(MemberId::UserId(user_id.to_string()))
            .send()
            .await
            .map(|output| output.membership_id)
            .map_err(|e| store_error("CreateGroupMembership", e))
    }

    /// Deletes a membership; already gone is success.
    pub async fn delete_group_membership(
        &self,
        store: &str,
        membership_id: &str,
    ) -> Result<(), Error> {
        gone_ok(
            self.client
                .delete_group_membership()
                .identity_store_id(store)
                .membership_id(membership_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("DeleteGroupMembership", e)),
        )
    }
}

/// Per-process cache of the lookups every grant of a plan or apply repeats:
/// principals and the identities of a group's members. Single-flight per
/// key; a principal not found is not kept (it may be created later in the
/// same apply).
#[derive(Debug, Default)]
pub struct DirectoryCache {
    principals: KeyedCache<(String, PrincipalKind, String), Principal>,
    members: KeyedCache<(String, String), Vec<String>>,
}

impl DirectoryCache {
    /// A user (by user name or id) or a group (by display name or id);
    /// `None` when there is none.
    pub async fn principal(
        &self,
        identity_store: IdentityStore<'_>,
        store: &str,
        kind: PrincipalKind,
        input: &str,
    ) -> Result<Option<Principal>, Error> {
        let key = (store.to_string(), kind, input.to_string());
        let result = self
            .principals
            .get_or_try_init(key, || async {
                let (id, names) = match kind {
                    PrincipalKind::User => identity_store
                        .find_user(store, input)
                        .await?
                        .map(|user| (user.user_id.clone(), user.identities())),
                    PrincipalKind::Group => identity_store
                        .find_group(store, input)
                        .await?
                        .map(|group| (group.group_id, vec![group.name])),
                }
                .ok_or_else(|| Error::NotFound {
                    what: format!("{} `{input}`", kind.as_str()),
                })?;
                let mut identities = vec![input.to_string()];
                identities.extend(names.into_iter().filter(|name| !name.is_empty()));
                Ok(Principal { id, identities })
            })
            .await;
        found(result)
    }

    /// User names and emails of a group's members.
    pub async fn member_identities(
        &self,
        identity_store: IdentityStore<'_>,
        store: &str,
        group_id: &str,
    ) -> Result<Vec<String>, Error> {
        let key = (store.to_string(), group_id.to_string());
        self.members
            .get_or_try_init(key, || async {
                let mut identities = Vec::new();
                for user_id in identity_store.list_member_ids(store, group_id).await? {
                    let user = identity_store.find_user_by_id(store, &user_id).await?;
                    identities.extend(user.identities());
                }
                Ok(identities)
            })
            .await
    }
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
            "906700e5-1234-4abc-8def-0123456789ab",
            "9067b2a1c3-906700e5-1234-4abc-8def-0123456789ab",
            "A1B2C3D4-5678-90AB-CDEF-000000011111",
        ] {
            assert!(is_identity_id(id), "{id}");
        }
        for name in [
            "alice",
            "alice@example.com",
            "Oncall",
            "Kiro Pro",
            "",
            "86702138-3ca5-4aff-9bf9-2aefbfaa3bf",
            "86702138-3ca5-4aff-9bf9-2aefbfaa3bf6-x",
            "9067e1c2a-86702138-3ca5-4aff-9bf9-2aefbfaa3bf6",
            "zzzzzzzz-3ca5-4aff-9bf9-2aefbfaa3bf6",
            "906700e5_1234_4abc_8def_0123456789ab",
            "zz67b2a1c3-906700e5-1234-4abc-8def-0123456789ab",
            "906700e5-12345-abc-8def-0123456789ab",
        ] {
            assert!(!is_identity_id(name), "{name}");
        }
    }

    #[test]
    fn principal_kinds_round_trip() {
        for kind in [PrincipalKind::User, PrincipalKind::Group] {
            assert_eq!(PrincipalKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(PrincipalKind::parse("ROLE"), None);
        assert_eq!(PrincipalKind::parse("user"), None);
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
    fn users_are_named_by_user_name_and_emails() {
        let user = User {
            user_name: "ada".into(),
            emails: vec!["Ada@Example.com".into(), "ada@example.org".into()],
            ..Default::default()
        };
        assert!(user.has_email("ada@example.com"));
        assert!(!user.has_email("bob@example.com"));
        assert_eq!(
            user.identities(),
            ["ada", "Ada@Example.com", "ada@example.org"]
        );
        let nameless = User {
            emails: vec!["x@example.com".into()],
            ..Default::default()
        };
        assert_eq!(nameless.identities(), ["x@example.com"]);
    }

    #[test]
    fn updates_send_aws_paths_and_whole_email_lists() {
        let operations = expand_updates(
            "UpdateUser",
            &[
                AttributeUpdate {
                    path: "name.givenName",
                    value: AttributeValue::Text(Some("Augusta".into())),
                },
                AttributeUpdate {
                    path: "description",
                    value: AttributeValue::Text(Some(String::new())),
                },
                AttributeUpdate {
                    path: "emails",
                    value: AttributeValue::PrimaryEmail("a@example.com".into()),
                },
            ],
        )
        .unwrap();
        let paths: Vec<_> = operations.iter().map(|o| o.attribute_path()).collect();
        assert_eq!(paths, ["name.givenName", "description", "emails"]);
        assert_eq!(
            operations[0].attribute_value(),
            Some(&Document::String("Augusta".into()))
        );
        // AWS refuses empty strings: an empty value removes the attribute.
        assert_eq!(operations[1].attribute_value(), Some(&Document::Null));
        // AWS refuses `emails[0].value`: the multi-valued attribute is
        // replaced whole, with lower-case SCIM keys.
        let Some(Document::Array(items)) = operations[2].attribute_value() else {
            panic!("not a list");
        };
        assert_eq!(items.len(), 1);
        let Document::Object(fields) = &items[0] else {
            panic!("not an object");
        };
        assert_eq!(fields["value"], Document::String("a@example.com".into()));
        assert_eq!(fields["type"], Document::String("work".into()));
        assert_eq!(fields["primary"], Document::Bool(true));
        assert_eq!(text_document(None), Document::Null);
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
}
