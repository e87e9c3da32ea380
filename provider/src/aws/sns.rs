//! SNS calls: publishing audit events and notices.

use super::{aws_error, AwsClients};
use crate::error::Error;

/// SNS operations over the shared client.
#[derive(Debug, Clone, Copy)]
pub struct Sns<'a> {
    client: &'a aws_sdk_sns::Client,
}

impl AwsClients {
    /// SNS operations.
    pub fn sns(&self) -> Sns<'_> {
        Sns { client: &self.sns }
    }
}

impl Sns<'_> {
    /// Publishes `message` with a subject and string message attributes
    /// (subscribers filter on them), e.g. `action`.
    pub async fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
        attributes: &[(&str, &str)],
    ) -> Result<(), Error> {
        let mut request = self
            .client
            .publish()
            .topic_arn(topic_arn)
            .subject(subject)
            .message(message);
        for (name, value) in attributes {
            let attribute = aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(*value)
                .build()
                .map_err(|e| Error::Audit(format!("cannot build SNS attribute: {e}")))?;
            request = request.message_attributes(*name, attribute);
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error("sns", "Publish", e))
    }
}
