//! Identity Center lookups of `jit_grant`: principals (user name, group
//! display name or id) and permission sets (name or ARN), resolved once per
//! provider process and cached, because every grant of a plan or apply
//! needs the same few answers.

use std::collections::HashMap;

use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_smithy_types::Document;
use tokio::sync::Mutex;

use crate::aws::aws_error;
use crate::context::Ctx;
use crate::error::{attr, Error};

/// A resolved user or group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Identity store id.
    pub id: String,
    /// How people name it: the input form, the user name and emails, or the
    /// group's display name.
    pub identities: Vec<String>,
}

/// A resolved permission set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionSet {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// ISO 8601 session duration, e.g. `PT1H`.
    pub session_duration: Option<String>,
}

/// Per-process cache of lookups.
#[derive(Debug, Default)]
pub struct Directory {
    principals: Mutex<HashMap<(String, String), Principal>>,
    members: Mutex<HashMap<String, Vec<String>>>,
    permission_sets: Mutex<PermissionSets>,
}

#[derive(Debug, Default)]
struct PermissionSets {
    listed_for: Option<String>,
    by_arn: HashMap<String, PermissionSet>,
}

/// Identity store ids: a UUID, optionally after a 10-hex-digit store prefix.
pub fn looks_like_identity_store_id(value: &str) -> bool {
    let uuid = match value.len() {
        36 => value,
        47 if value.as_bytes().get(10) == Some(&b'-')
            && value.as_bytes()[..10].iter().all(u8::is_ascii_hexdigit) =>
        {
            value.get(11..).unwrap_or_default()
        }
        _ => return false,
    };
    uuid.split('-').map(str::len).eq([8, 4, 4, 4, 12])
        && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

impl Directory {
    /// A user (by user name or id) or a group (by display name or id).
    pub async fn principal(
        &self,
        ctx: &Ctx,
        identity_store_id: &str,
        principal_type: &str,
        input: &str,
    ) -> Result<Principal, Error> {
        let cache_key = (principal_type.to_string(), input.to_string());
        let mut cache = self.principals.lock().await;
        if let Some(found) = cache.get(&cache_key) {
            return Ok(found.clone());
        }
        let resolved = if principal_type == "GROUP" {
            resolve_group(ctx, identity_store_id, input).await
        } else {
            resolve_user(ctx, identity_store_id, input).await
        };
        let principal = resolved.map_err(|error| {
            if error.is_not_found() {
                let kind = if principal_type == "GROUP" { "group display name" } else { "user name" };
                Error::invalid(
                    attr("principal"),
                    "Principal not found",
                    format!("No Identity Center {} or id `{input}` in identity store `{identity_store_id}`. Check the spelling and `principal_type`.", kind),
                )
            } else {
                error
            }
        })?;
        cache.insert(cache_key, principal.clone());
        Ok(principal)
    }

    /// User names and emails of a group's members.
    pub async fn group_members(
        &self,
        ctx: &Ctx,
        identity_store_id: &str,
        group_id: &str,
    ) -> Result<Vec<String>, Error> {
        let mut cache = self.members.lock().await;
        if let Some(found) = cache.get(group_id) {
            return Ok(found.clone());
        }
        let mut identities = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = ctx
                .aws
                .identity_store
                .list_group_memberships()
                .identity_store_id(identity_store_id)
                .group_id(group_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| aws_error("identitystore", "ListGroupMemberships", e))?;
            for membership in page.group_memberships() {
                if let Some(MemberId::UserId(user_id)) = membership.member_id() {
                    let user = describe_user(ctx, identity_store_id, user_id).await?;
                    identities.extend(user.identities);
                }
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
        cache.insert(group_id.to_string(), identities.clone());
        Ok(identities)
    }

    /// A permission set by ARN or by name. Names need every permission set
    /// of the instance described once; the answers are kept.
    pub async fn permission_set(
        &self,
        ctx: &Ctx,
        instance_arn: &str,
        input: &str,
    ) -> Result<PermissionSet, Error> {
        let mut cache = self.permission_sets.lock().await;
        if input.starts_with("arn:") {
            if let Some(found) = cache.by_arn.get(input) {
                return Ok(found.clone());
            }
            let found = describe_permission_set(ctx, instance_arn, input)
                .await
                .map_err(|error| {
                    if error.is_not_found() {
                        Error::invalid(
                            attr("permission_set"),
                            "Permission set not found",
                            format!(
                                "`{input}` is not a permission set of instance `{instance_arn}`."
                            ),
                        )
                    } else {
                        error
                    }
                })?;
            cache.by_arn.insert(found.arn.clone(), found.clone());
            return Ok(found);
        }
        let by_name =
            |cache: &PermissionSets| cache.by_arn.values().find(|set| set.name == input).cloned();
        if let Some(found) = by_name(&cache) {
            return Ok(found);
        }
        if cache.listed_for.as_deref() != Some(instance_arn) {
            let mut token: Option<String> = None;
            loop {
                let page = ctx
                    .aws
                    .sso_admin
                    .list_permission_sets()
                    .instance_arn(instance_arn)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| aws_error("sso-admin", "ListPermissionSets", e))?;
                for arn in page.permission_sets() {
                    if !cache.by_arn.contains_key(arn) {
                        let set = describe_permission_set(ctx, instance_arn, arn).await?;
                        cache.by_arn.insert(arn.clone(), set);
                    }
                }
                match page.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_string()),
                    _ => break,
                }
            }
            cache.listed_for = Some(instance_arn.to_string());
        }
        by_name(&cache).ok_or_else(|| {
            Error::invalid(
                attr("permission_set"),
                "Permission set not found",
                format!("No permission set named `{input}` in instance `{instance_arn}`. Check the name (it is case-sensitive) or give its ARN."),
            )
        })
    }
}

async fn describe_permission_set(
    ctx: &Ctx,
    instance_arn: &str,
    arn: &str,
) -> Result<PermissionSet, Error> {
    let output = ctx
        .aws
        .sso_admin
        .describe_permission_set()
        .instance_arn(instance_arn)
        .permission_set_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error("sso-admin", "DescribePermissionSet", e))?;
    let set = output.permission_set();
    Ok(PermissionSet {
        arn: arn.to_string(),
        name: set.and_then(|s| s.name()).unwrap_or_default().to_string(),
        session_duration: set.and_then(|s| s.session_duration()).map(str::to_string),
    })
}

fn unique(path: &str, value: &str) -> Result<AlternateIdentifier, Error> {
    UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_string()))
        .build()
        .map(AlternateIdentifier::UniqueAttribute)
        .map_err(|e| Error::invalid(attr("principal"), "Cannot look up principal", e.to_string()))
}

async fn resolve_user(ctx: &Ctx, store: &str, input: &str) -> Result<Principal, Error> {
    let id = if looks_like_identity_store_id(input) {
        input.to_string()
    } else {
        ctx.aws
            .identity_store
            .get_user_id()
            .identity_store_id(store)
            .alternate_identifier(unique("userName", input)?)
            .send()
            .await
            .map_err(|e| aws_error("identitystore", "GetUserId", e))?
            .user_id
    };
    let mut user = describe_user(ctx, store, &id).await?;
    user.identities.insert(0, input.to_string());
    Ok(user)
}

async fn describe_user(ctx: &Ctx, store: &str, user_id: &str) -> Result<Principal, Error> {
    let user = ctx
        .aws
        .identity_store
        .describe_user()
        .identity_store_id(store)
        .user_id(user_id)
        .send()
        .await
        .map_err(|e| aws_error("identitystore", "DescribeUser", e))?;
    let mut identities: Vec<String> = user.user_name().map(str::to_string).into_iter().collect();
    identities.extend(
        user.emails()
            .iter()
            .filter_map(|email| email.value().map(str::to_string)),
    );
    Ok(Principal {
        id: user.user_id().to_string(),
        identities,
    })
}

async fn resolve_group(ctx: &Ctx, store: &str, input: &str) -> Result<Principal, Error> {
    let id = if looks_like_identity_store_id(input) {
        input.to_string()
    } else {
        ctx.aws
            .identity_store
            .get_group_id()
            .identity_store_id(store)
            .alternate_identifier(unique("displayName", input)?)
            .send()
            .await
            .map_err(|e| aws_error("identitystore", "GetGroupId", e))?
            .group_id
    };
    let group = ctx
        .aws
        .identity_store
        .describe_group()
        .identity_store_id(store)
        .group_id(&id)
        .send()
        .await
        .map_err(|e| aws_error("identitystore", "DescribeGroup", e))?;
    let mut identities = vec![input.to_string()];
    identities.extend(group.display_name().map(str::to_string));
    Ok(Principal {
        id: group.group_id().to_string(),
        identities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_store_ids_are_recognised() {
        for id in [
            "906700e5-1234-4abc-8def-0123456789ab",
            "9067b2a1c3-906700e5-1234-4abc-8def-0123456789ab",
            "A1B2C3D4-5678-90AB-CDEF-000000011111",
        ] {
            assert!(looks_like_identity_store_id(id), "{id}");
        }
        for name in [
            "alice@example.com",
            "Oncall",
            "906700e5-1234-4abc-8def-0123456789a",
            "906700e5_1234_4abc_8def_0123456789ab",
            "zz67b2a1c3-906700e5-1234-4abc-8def-0123456789ab",
            "906700e5-12345-abc-8def-0123456789ab",
            "",
        ] {
            assert!(!looks_like_identity_store_id(name), "{name}");
        }
    }
}
