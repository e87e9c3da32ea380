//! Data sources, one file each.

pub mod access_review;
pub mod ci_role_policy;
pub mod identity_center_group;
pub mod identity_center_user;
pub mod revoker_role_policy;
pub mod role_policy;
