//! End-to-end harness: real Terraform (1.15.5 and 1.0.3) drives the freshly
//! built provider against a local moto server.
//!
//! - [`tools`] finds the pinned tools that `scripts/setup.sh` installs and
//!   builds and mirrors the provider once per test binary;
//! - [`moto`] starts one emulator per test case and stops it by PID (and it
//!   exits by itself if the test binary dies);
//! - [`terraform`] runs Terraform in a fresh directory per case;
//! - [`aws`] checks the emulator directly with the real AWS SDK;
//! - [`proxy`] sits between the provider and moto and injects faults
//!   (throttling, 5xx, lost responses, hangs, assignment statuses, limits),
//!   answering as AWS where moto differs;
//! - [`interrupt`] runs Terraform in the background and interrupts it;
//! - [`invariants`] checks leases and user blocks after a faulted run;
//! - [`identity_center`] builds Identity Center users, groups and
//!   permission sets for block cases and snapshots a user;
//! - [`enforce`] switches moto's IAM enforcement on;
//! - [`release`] packages the provider into Terraform Registry release artifacts;
//! - [`tftest!`] runs a body once per Terraform version.

pub mod aws;
pub mod aws_provider;
pub mod docgen;
pub mod enforce;
pub mod examples;
pub mod identity_center;
pub mod interrupt;
pub mod invariants;
pub mod moto;
pub mod proxy;
pub mod release;
pub mod terraform;
pub mod tools;

pub use aws::Aws;
pub use moto::Moto;
pub use terraform::{Diag, Tf, TfOutput, TfVersion};

/// Runs `$body` once per Terraform version, each as its own `#[test]` with
/// its own emulator and working directory. Attributes written before the
/// name (`#[ignore = "why"]`) go on both tests. A body that needs Terraform ≥ 1.3
/// (modules with optional object attributes) uses [`tftest_latest!`].
#[macro_export]
macro_rules! tftest {
    ($(#[$meta:meta])* $name:ident, |$tf:ident, $aws:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($tf: &$crate::Tf, $aws: &$crate::Aws) $body

            $(#[$meta])*
            #[test]
            fn terraform_1_15_5() {
                $crate::terraform::run_case(stringify!($name), $crate::TfVersion::Latest, body);
            }

            $(#[$meta])*
            #[test]
            fn terraform_1_0_3() {
                $crate::terraform::run_case(stringify!($name), $crate::TfVersion::Oldest, body);
            }
        }
    };
}

/// Like [`tftest!`], on Terraform 1.15.5 only (for modules needing ≥ 1.3).
#[macro_export]
macro_rules! tftest_latest {
    ($name:ident, |$tf:ident, $aws:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($tf: &$crate::Tf, $aws: &$crate::Aws) $body

            #[test]
            fn terraform_1_15_5() {
                $crate::terraform::run_case(stringify!($name), $crate::TfVersion::Latest, body);
            }
        }
    };
}
