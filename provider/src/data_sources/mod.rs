//! Data sources, one file each.

use std::collections::HashMap;

use tf_provider::DynamicDataSource;

use crate::context::Shared;

/// Every data source, by name without the `jit_` prefix.
pub fn all(shared: &Shared) -> HashMap<String, Box<dyn DynamicDataSource>> {
    let _ = shared;
    HashMap::new()
}
