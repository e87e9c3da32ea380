//! The per-process cache of principals and group members `jit_grant`
//! looks up many times per plan or apply.

use super::super::cache::KeyedCache;
use super::{found, IdentityStore, Principal, PrincipalKind};
use crate::error::Error;

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
