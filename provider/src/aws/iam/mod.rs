//! IAM calls. Each SDK operation is wrapped once here, with its error
//! mapped by [`aws_error`](super::aws_error); callers see plain Rust types.
//!
//! Groups and memberships are in `groups.rs`, users with their tags and
//! inline policies in `users.rs`, credentials (keys, MFA devices, console
//! password) in `credentials.rs`.
//!
//! Listings follow every page. A listing of something that is gone (the
//! user or group answers `NoSuchEntity`) is empty: the lookup beside it says
//! whether the owner exists. Calls that carry a secret run through
//! one muted wrapper (`credentials::muted`), so no SDK log line can ever contain it.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_iam::types::Tag;

use super::AwsClients;
use crate::error::Error;

pub(crate) use credentials::{AccessKey, Password};
pub(crate) use groups::{Group, GroupRef};

const SERVICE: &str = "iam";

/// How long a just-created IAM entity may be invisible to later calls
/// (IAM is eventually consistent; AWS documents seconds, rarely minutes).
pub(crate) const IAM_PROPAGATION: Duration = Duration::from_secs(120);

/// IAM operations over the shared client (cheap to clone into tasks).
#[derive(Debug, Clone)]
pub(crate) struct Iam {
    client: aws_sdk_iam::Client,
}

impl AwsClients {
    /// IAM operations.
    pub(crate) fn iam(&self) -> Iam {
        Iam {
            client: self.iam.clone(),
        }
    }
}

/// Every item of every page; empty when the owner is gone.
macro_rules! list {
    ($op:literal, $request:expr) => {
        $crate::aws::iam::gone_or_empty(
            $request
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| $crate::aws::aws_error($crate::aws::iam::SERVICE, $op, e)),
        )
    };
}

mod credentials;
mod groups;
mod users;

/// Tags as the SDK takes them.
fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok())
        .collect()
}

/// A listing of something that is gone is empty.
fn gone_or_empty<T>(result: Result<Vec<T>, Error>) -> Result<Vec<T>, Error> {
    match result {
        Err(error) if error.is_not_found() => Ok(Vec::new()),
        other => other,
    }
}

/// A lookup of something that is gone is `None`.
fn none_if_gone<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// A removal: `true` when done, `false` when there was nothing to remove.
fn done_unless_gone<T>(result: Result<T, Error>) -> Result<bool, Error> {
    none_if_gone(result).map(|done| done.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gone_means_empty_none_or_nothing_done() {
        let gone = || Error::Aws {
            service: SERVICE,
            operation: "X",
            code: Some("NoSuchEntity".into()),
            message: String::new(),
            request_id: None,
        };
        assert!(gone_or_empty::<u8>(Err(gone())).unwrap().is_empty());
        assert_eq!(none_if_gone::<u8>(Err(gone())).unwrap(), None);
        assert_eq!(none_if_gone(Ok(1)).unwrap(), Some(1));
        assert!(!done_unless_gone::<()>(Err(gone())).unwrap());
        assert!(done_unless_gone(Ok(())).unwrap());
        assert!(none_if_gone::<u8>(Err(Error::NotConfigured)).is_err());
    }
}
