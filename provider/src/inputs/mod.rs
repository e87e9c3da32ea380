//! Terraform inputs parsed into the policy library's types, each problem an
//! [`Error`](crate::error::Error) on its attribute path. Shared by resources
//! and data sources, which must not import each other.

pub mod env_access;
pub mod identity_center;
