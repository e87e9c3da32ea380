//! STS calls: who the provider acts as.

use super::{aws_error, AwsClients};
use crate::error::Error;

/// STS operations over the shared client.
#[derive(Debug, Clone, Copy)]
pub struct Sts<'a> {
    client: &'a aws_sdk_sts::Client,
}

impl AwsClients {
    /// STS operations.
    pub fn sts(&self) -> Sts<'_> {
        Sts { client: &self.sts }
    }
}

impl Sts<'_> {
    /// The ARN of the caller (`GetCallerIdentity`).
    pub async fn caller_arn(&self) -> Result<String, Error> {
        let identity = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| aws_error("sts", "GetCallerIdentity", e))?;
        Ok(identity.arn().unwrap_or("unknown").to_string())
    }
}
