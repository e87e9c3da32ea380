//! End-to-end tests: real Terraform 1.15.5 and 1.0.3 against moto. One
//! integration binary with a module per area (one link on 2-core machines).

use tests::{tftest, Aws, Tf};

mod audit;
mod bootstrap;
mod docs;
mod docs_copied;
mod env_access;
mod faults;
mod faults_block;
mod grant;
mod grant_end_sessions;
mod iam_env_group;
mod iam_env_user;
mod identity_center;
mod layering;
mod least_privilege;
mod plugin;
mod release;
mod secrets;
mod summary;
mod user_block;
mod user_block_identity_center;
mod workflows;
mod workspaces;
