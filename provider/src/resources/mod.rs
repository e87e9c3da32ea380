//! Resources, one file each. Each holds the [`Shared`] context that
//! `configure` fills.

pub mod grant;
pub mod iam_env_group;
pub mod iam_env_user;
pub mod identity_center;
pub mod identity_center_group;
pub mod identity_center_group_membership;
pub mod identity_center_user;
pub mod user_block;
