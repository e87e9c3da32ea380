//! terraform-provider-jit: a Terraform provider that puts every AWS access
//! change through plan/apply review.
//!
//! - `jit_grant`: time-limited IAM Identity Center access with server-side
//!   expiry;
//! - `jit_user_block`: immediate revocation of a Cognito or IAM user;
//! - standing per-environment IAM groups and users built from the pure
//!   [`policy`] library.
//!
//! The binary (`main.rs`) is thin: [`plugin::run`] serves [`provider::JitProvider`].

#![deny(missing_docs)]

pub mod audit;
pub mod aws;
pub mod cli;
pub mod codec;
pub mod config;
pub mod context;
pub mod data_sources;
pub mod error;
pub mod framework;
pub mod inputs;
pub mod logging;
pub mod plugin;
pub mod policy;
pub mod provider;
pub mod resources;
pub mod schema;
pub mod values;

/// The provider's version, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
