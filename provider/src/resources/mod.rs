//! Resources, one file each. Each holds the [`Shared`] context that
//! `configure` fills.

pub mod env_access;
pub mod grant;
pub mod iam_env_group;
pub mod identity_center;
pub mod identity_center_group;
pub mod identity_center_group_membership;
pub mod identity_center_user;

use std::collections::HashMap;

use tf_provider::DynamicResource;

use crate::context::Shared;

/// Every resource, by name without the `jit_` prefix.
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicResource>> {
    let mut all: HashMap<String, Box<dyn DynamicResource>> = HashMap::new();
    all.insert("grant".into(), Box::new(grant::GrantResource::new(shared)));
    all.insert(
        "iam_env_group".into(),
        Box::new(iam_env_group::IamEnvGroupResource::new(shared)),
    );
    all.insert(
        "identity_center_group".into(),
        Box::new(identity_center_group::IdentityCenterGroupResource::new(
            shared,
        )),
    );
    all.insert(
        "identity_center_group_membership".into(),
        Box::new(
            identity_center_group_membership::IdentityCenterGroupMembershipResource::new(shared),
        ),
    );
    all.insert(
        "identity_center_user".into(),
        Box::new(identity_center_user::IdentityCenterUserResource::new(
            shared,
        )),
    );
    all
}
