//! Resources, one file each. Each holds the [`Shared`] context that
//! `configure` fills.

pub mod env_access;
pub mod iam_env_group;
pub mod user_block;

use std::collections::HashMap;

use tf_provider::DynamicResource;

use crate::context::Shared;

/// Every resource, by name without the `jit_` prefix.
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicResource>> {
    let mut all: HashMap<String, Box<dyn DynamicResource>> = HashMap::new();
    all.insert(
        "iam_env_group".into(),
        Box::new(iam_env_group::IamEnvGroupResource::new(shared)),
    );
    all.insert(
        "user_block".into(),
        Box::new(user_block::UserBlockResource::new(shared)),
    );
    all
}
