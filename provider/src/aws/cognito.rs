//! Cognito user pool calls (`cognito-idp`): pools, their app clients, and
//! the admin operations on one user. Each SDK operation is wrapped once here,
//! with its error mapped by [`aws_error`](super::aws_error); callers see plain Rust types.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{AttributeType, SchemaAttributeType};

use super::AwsClients;
use crate::error::Error;

const SERVICE: &str = "cognito-idp";

/// Page size of `ListUserPoolClients` (AWS's maximum).
const CLIENTS_PAGE: i32 = 60;

/// Cognito operations over the shared client (cheap to clone into tasks).
#[derive(Debug, Clone)]
pub(crate) struct Cognito {
    client: aws_sdk_cognitoidentityprovider::Client,
}

/// One attribute of a pool's schema. AWS names custom attributes
/// `custom:<name>` here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SchemaAttribute {
    /// Attribute name.
    pub name: Option<String>,
    /// `String`, `Number`, `DateTime` or `Boolean`.
    pub data_type: Option<String>,
    /// Whether the value may change after sign-up.
    pub mutable: Option<bool>,
    /// Shortest String value, when constrained.
    pub min_length: Option<String>,
    /// Longest String value, when constrained.
    pub max_length: Option<String>,
}

/// An app client of a pool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AppClient {
    /// Client id.
    pub id: String,
    /// Client name.
    pub name: Option<String>,
    /// Attributes the client may write.
    pub write_attributes: Vec<String>,
}

/// A user of a pool.
#[derive(Debug, Clone)]
pub(crate) struct User {
    /// The immutable `sub`.
    pub sub: String,
    /// Whether the user may sign in.
    pub enabled: bool,
    /// Attribute values by name.
    pub attributes: HashMap<String, String>,
}

/// Result of looking a user up.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// The user exists.
    Found(User),
    /// The pool exists, the user does not.
    NoUser,
    /// The pool does not exist.
    NoPool,
}

impl AwsClients {
    /// Cognito user pool operations.
    pub(crate) fn cognito(&self) -> Cognito {
        Cognito {
            client: self.cognito.clone(),
        }
    }
}

impl Cognito {
    /// The attributes of a pool's schema (a not-found error when the pool
    /// is gone).
    pub async fn describe_schema(&self, pool_id: &str) -> Result<Vec<SchemaAttribute>, Error> {
        let request = self.client.describe_user_pool().user_pool_id(pool_id);
        let described = send!(SERVICE, "DescribeUserPool", request)?;
        Ok(described
            .user_pool()
            .map(|pool| pool.schema_attributes())
            .unwrap_or_default()
            .iter()
            .map(schema_attribute)
            .collect())
    }

    /// Ids of every app client of a pool.
    pub async fn list_user_pool_client_ids(&self, pool_id: &str) -> Result<Vec<String>, Error> {
        let mut ids = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let request = self
                .client
                .list_user_pool_clients()
                .user_pool_id(pool_id)
                .max_results(CLIENTS_PAGE)
                .set_next_token(next.take());
            let page = send!(SERVICE, "ListUserPoolClients", request)?;
            ids.extend(
                page.user_pool_clients()
                    .iter()
                    .filter_map(|c| c.client_id().map(str::to_string)),
            );
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_string()),
                _ => return Ok(ids),
            }
        }
    }

    /// One app client, `None` when AWS describes none.
    pub async fn find_user_pool_client(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<Option<AppClient>, Error> {
        let request = self
            .client
            .describe_user_pool_client()
            .user_pool_id(pool_id)
            .client_id(client_id);
        let described = send!(SERVICE, "DescribeUserPoolClient", request)?;
        Ok(described.user_pool_client.map(|client| AppClient {
            id: client_id.to_string(),
            name: client.client_name,
            write_attributes: client.write_attributes.unwrap_or_default(),
        }))
    }

    /// The user, or which of user and pool is missing.
    pub async fn find_user(&self, pool_id: &str, username: &str) -> Result<Lookup, Error> {
        let request = self
            .client
            .admin_get_user()
            .user_pool_id(pool_id)
            .username(username);
        match send!(SERVICE, "AdminGetUser", request) {
            Ok(out) => {
                let attributes: HashMap<String, String> = out
                    .user_attributes()
                    .iter()
                    .filter_map(|a| a.value().map(|v| (a.name().to_string(), v.to_string())))
                    .collect();
                Ok(Lookup::Found(User {
                    sub: attributes.get("sub").cloned().unwrap_or_default(),
                    enabled: out.enabled(),
                    attributes,
                }))
            }
            Err(error) if error.aws_code() == Some("UserNotFoundException") => Ok(Lookup::NoUser),
            Err(error) if error.is_not_found() => Ok(Lookup::NoPool),
            Err(error) => Err(error),
        }
    }

    /// Sets one attribute of a user.
    pub async fn set_user_attribute(
        &self,
        pool_id: &str,
        username: &str,
        name: &str,
        value: &str,
    ) -> Result<(), Error> {
        let attribute = AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .map_err(|e| Error::Aws {
                service: SERVICE,
                operation: "AdminUpdateUserAttributes",
                code: None,
                message: format!("the request could not be built: {e}"),
                request_id: None,
            })?;
        let request = self
            .client
            .admin_update_user_attributes()
            .user_pool_id(pool_id)
            .username(username)
            .user_attributes(attribute);
        send!(SERVICE, "AdminUpdateUserAttributes", request).map(|_| ())
    }

    /// Deletes one attribute of a user.
    pub async fn delete_user_attribute(
        &self,
        pool_id: &str,
        username: &str,
        name: &str,
    ) -> Result<(), Error> {
        let request = self
            .client
            .admin_delete_user_attributes()
            .user_pool_id(pool_id)
            .username(username)
            .user_attribute_names(name);
        send!(SERVICE, "AdminDeleteUserAttributes", request).map(|_| ())
    }

    /// Signs the user out everywhere: refresh tokens are revoked and access
    /// tokens stop working against Cognito's own API.
    pub async fn global_sign_out(&self, pool_id: &str, username: &str) -> Result<(), Error> {
        let request = self
            .client
            .admin_user_global_sign_out()
            .user_pool_id(pool_id)
            .username(username);
        send!(SERVICE, "AdminUserGlobalSignOut", request).map(|_| ())
    }

    /// Disables a user (no more sign-in).
    pub async fn disable_user(&self, pool_id: &str, username: &str) -> Result<(), Error> {
        let request = self
            .client
            .admin_disable_user()
            .user_pool_id(pool_id)
            .username(username);
        send!(SERVICE, "AdminDisableUser", request).map(|_| ())
    }

    /// Enables a user.
    pub async fn enable_user(&self, pool_id: &str, username: &str) -> Result<(), Error> {
        let request = self
            .client
            .admin_enable_user()
            .user_pool_id(pool_id)
            .username(username);
        send!(SERVICE, "AdminEnableUser", request).map(|_| ())
    }
}

fn schema_attribute(attribute: &SchemaAttributeType) -> SchemaAttribute {
    let bounds = attribute.string_attribute_constraints();
    SchemaAttribute {
        name: attribute.name().map(str::to_string),
        data_type: attribute
            .attribute_data_type()
            .map(|kind| kind.as_str().to_string()),
        mutable: attribute.mutable(),
        min_length: bounds.and_then(|b| b.min_length()).map(str::to_string),
        max_length: bounds.and_then(|b| b.max_length()).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeDataType, StringAttributeConstraintsType,
    };

    #[test]
    fn schema_attributes_keep_what_the_block_checks() {
        let sdk = SchemaAttributeType::builder()
            .name("custom:access_revoked")
            .attribute_data_type(AttributeDataType::String)
            .mutable(true)
            .string_attribute_constraints(
                StringAttributeConstraintsType::builder()
                    .min_length("0")
                    .max_length("2048")
                    .build(),
            )
            .build();
        assert_eq!(
            schema_attribute(&sdk),
            SchemaAttribute {
                name: Some("custom:access_revoked".into()),
                data_type: Some("String".into()),
                mutable: Some(true),
                min_length: Some("0".into()),
                max_length: Some("2048".into()),
            }
        );
    }
}
