//! Pure IAM policy library for standing per-environment access.
//!
//! Builds the inline policy of each `<prefix>-<env>-<role>` group: the role's
//! grants and guard rails, self-service for one's own credentials, mandatory MFA
//! and an optional source-network restriction. It also validates the inputs
//! (CIDR blocks, VPC endpoint IDs, name prefixes) and normalizes policy JSON for
//! drift comparison. Nothing here calls AWS; the same input always gives
//! byte-identical JSON.
//!
//! ```text
//! use crate::policy::{role_policy, Conditions, Environment, Role};
//!
//! let conditions = Conditions {
//!     allowed_ip_ranges: vec!["203.0.113.0/24".into()],
//!     ..Conditions::default()
//! };
//! let document = role_policy(Environment::Prod, Role::InfraMember, &conditions)?;
//! let json = document.to_json();
//! ```

pub mod actions;
pub mod arn;
pub mod block;
pub mod ci_role;
mod cidr;
mod conditions;
pub mod creation;
mod document;
pub mod duration;
mod environment;
mod error;
pub mod grant;
pub mod grant_policy;
mod grants;
pub mod lease;
mod naming;
mod normalize;
mod role;
pub mod session_deny;

#[cfg(test)]
mod tests;

pub use cidr::{parse_cidr, Cidr};
pub use conditions::{infer_conditions, validate_vpc_endpoint_id, Conditions, MFA_EXEMPT_ACTIONS};
pub use document::{
    Actions, Condition, Effect, PolicyDocument, Resources, Statement, GROUP_INLINE_POLICY_LIMIT,
    POLICY_VERSION,
};
pub use environment::Environment;
pub use error::PolicyError;
pub use naming::{
    group_name, parse_group_name, roles_in_groups, user_name_problem, validate_name_prefix,
    TAG_ENVIRONMENT, TAG_NAME_PREFIX,
};
pub use normalize::normalize_policy_json;
pub use role::{role_policy, Role};
