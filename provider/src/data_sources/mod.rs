//! Data sources, one file each.

pub mod access_review;
pub mod identity_center_group;
pub mod identity_center_user;
pub mod revoker_role_policy;
pub mod role_policy;

use std::collections::HashMap;

use tf_provider::DynamicDataSource;

use crate::context::Shared;

/// Every data source, by name without the `jit_` prefix.
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicDataSource>> {
    let data_sources: [(&str, Box<dyn DynamicDataSource>); 5] = [
        (
            "access_review",
            Box::new(access_review::AccessReviewDataSource::new(shared)),
        ),
        (
            "identity_center_group",
            Box::new(identity_center_group::IdentityCenterGroupDataSource::new(
                shared,
            )),
        ),
        (
            "identity_center_user",
            Box::new(identity_center_user::IdentityCenterUserDataSource::new(
                shared,
            )),
        ),
        (
            "revoker_role_policy",
            Box::new(revoker_role_policy::RevokerRolePolicyDataSource::new(
                shared,
            )),
        ),
        ("role_policy", Box::new(role_policy::RolePolicyDataSource)),
    ];
    data_sources
        .into_iter()
        .map(|(name, data_source)| (name.to_string(), data_source))
        .collect()
}
