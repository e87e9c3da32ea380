//! Resources, one file each. Each holds the [`Shared`] context that
//! `configure` fills.

use std::collections::HashMap;

use tf_provider::DynamicResource;

use crate::context::Shared;

/// Every resource, by name without the `jit_` prefix.
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicResource>> {
    let _ = shared;
    HashMap::new()
}
