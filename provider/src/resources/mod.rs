//! Resources, one file each. Each holds the [`Shared`] context that
//! `configure` fills.

pub mod env_access;
pub mod grant;
pub mod iam_env_group;
pub mod iam_env_user;
pub mod identity_center;
pub mod identity_center_group;
pub mod identity_center_group_membership;
pub mod identity_center_user;
pub mod user_block;

use std::collections::HashMap;

use tf_provider::DynamicResource;

use crate::context::Shared;

/// Every resource, by name without the `jit_` prefix.
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicResource>> {
    let resources: [(&str, Box<dyn DynamicResource>); 7] = [
        ("grant", Box::new(grant::GrantResource::new(shared))),
        (
            "iam_env_group",
            Box::new(iam_env_group::IamEnvGroupResource::new(shared)),
        ),
        (
            "iam_env_user",
            Box::new(iam_env_user::IamEnvUserResource::new(shared)),
        ),
        (
            "identity_center_group",
            Box::new(identity_center_group::IdentityCenterGroupResource::new(
                shared,
            )),
        ),
        (
            "identity_center_group_membership",
            Box::new(
                identity_center_group_membership::IdentityCenterGroupMembershipResource::new(
                    shared,
                ),
            ),
        ),
        (
            "identity_center_user",
            Box::new(identity_center_user::IdentityCenterUserResource::new(
                shared,
            )),
        ),
        (
            "user_block",
            Box::new(user_block::UserBlockResource::new(shared)),
        ),
    ];
    resources
        .into_iter()
        .map(|(name, resource)| (name.to_string(), resource))
        .collect()
}
