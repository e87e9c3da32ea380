//! Least privilege, proven: the action table (`provider/src/policy/actions`)
//! matches the code, and every resource and data source runs under moto's
//! IAM enforcement with exactly the policies rendered from it.

mod drift;
mod enforced;
mod world;

use super::*;
