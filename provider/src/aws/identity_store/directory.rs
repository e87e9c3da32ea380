//! The per-process cache of principals and people `jit_grant` looks up many
//! times per plan or apply.

use super::super::cache::KeyedCache;
use super::{found, is_identity_id, IdentityStore, Principal, PrincipalKind, User};
use crate::error::Error;

/// Per-process cache of the lookups every grant of a plan or apply repeats:
/// principals, the user ids people are named by, and the store's user list
/// (for emails). Single-flight per key; a name not found is not kept (the
/// user may be created later in the same apply). Group members are not
/// cached: they are read when checked, so a membership added since is seen.
#[derive(Debug, Default)]
pub struct DirectoryCache {
    principals: KeyedCache<(String, PrincipalKind, String), Principal>,
    user_ids: KeyedCache<(String, String), String>,
    users: KeyedCache<String, Vec<User>>,
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

    /// The user id a person is named by: a user id, else a user name, else
    /// the one user with that email. `None` when nobody (or several users)
    /// has it.
    pub async fn user_id(
        &self,
        identity_store: IdentityStore<'_>,
        store: &str,
        name: &str,
    ) -> Result<Option<String>, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(None);
        }
        let key = (store.to_string(), name.to_string());
        let result = self
            .user_ids
            .get_or_try_init(key, || async {
                if is_identity_id(name) {
                    if let Some(user) = found(identity_store.find_user_by_id(store, name).await)? {
                        return Ok(user.user_id);
                    }
                }
                if let Some(id) = identity_store
                    .find_user_id_by(store, "userName", name)
                    .await?
                {
                    return Ok(id);
                }
                let users = self
                    .users
                    .get_or_try_init(store.to_string(), || identity_store.list_users(store))
                    .await?;
                let mut matches = users.iter().filter(|user| user.has_email(name));
                match (matches.next(), matches.next()) {
                    (Some(user), None) => Ok(user.user_id.clone()),
                    (None, _) => Err(Error::NotFound {
                        what: format!("user `{name}`"),
                    }),
                    (Some(_), Some(_)) => {
                        tracing::debug!(name, "email of several users: not resolved");
                        Err(Error::NotFound {
                            what: format!("one user with email `{name}`"),
                        })
                    }
                }
            })
            .await;
        found(result)
    }
}
