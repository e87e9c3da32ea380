//! Data sources, one file each.

pub mod identity_center_group;
pub mod identity_center_user;
pub mod revoker_role_policy;
pub mod role_policy;

use std::collections::HashMap;

use tf_provider::DynamicDataSource;

use crate::context::Shared;

/// Every data source, by name without the `jit_` prefix.
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicDataSource>> {
    let mut all: HashMap<String, Box<dyn DynamicDataSource>> = HashMap::new();
    all.insert(
        "revoker_role_policy".into(),
        Box::new(revoker_role_policy::RevokerRolePolicyDataSource::new(
            shared,
        )),
    );
    all.insert(
        "role_policy".into(),
        Box::new(role_policy::RolePolicyDataSource),
    );
    all.insert(
        "identity_center_group".into(),
        Box::new(identity_center_group::IdentityCenterGroupDataSource::new(
            shared,
        )),
    );
    all.insert(
        "identity_center_user".into(),
        Box::new(identity_center_user::IdentityCenterUserDataSource::new(
            shared,
        )),
    );
    all
}
