//! Data sources, one file each.

pub mod access_review;
pub mod role_policy;

use std::collections::HashMap;

use tf_provider::DynamicDataSource;

use crate::context::Shared;

/// Every data source, by name without the `jit_` prefix.
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicDataSource>> {
    let mut all: HashMap<String, Box<dyn DynamicDataSource>> = HashMap::new();
    all.insert(
        "access_review".into(),
        Box::new(access_review::AccessReviewDataSource::new(shared)),
    );
    all.insert(
        "role_policy".into(),
        Box::new(role_policy::RolePolicyDataSource),
    );
    all
}
