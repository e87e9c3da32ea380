//! S3 calls for the audit sink: create an object only when its key is free,
//! read an object, list keys. Each SDK operation is wrapped once here, with
//! its error mapped by [`aws_error`]; callers see plain Rust types.

use aws_sdk_s3::primitives::ByteStream;

use super::{aws_error, AwsClients};
use crate::error::Error;

const SERVICE: &str = "s3";

/// Error codes of a conditional create whose key was already taken:
/// `PreconditionFailed` (412) once the other object exists, and
/// `ConditionalRequestConflict` (409) while another create of the same key
/// is still in flight.
const KEY_TAKEN_CODES: &[&str] = &["PreconditionFailed", "ConditionalRequestConflict"];

/// Error codes of an object or bucket that does not exist.
const MISSING_CODES: &[&str] = &["NoSuchKey", "NoSuchBucket", "NotFound"];

/// Most keys one `ListObjectsV2` page returns.
const PAGE_SIZE: i32 = 1000;

/// S3 operations over the shared client.
#[derive(Debug, Clone, Copy)]
pub struct S3<'a> {
    client: &'a aws_sdk_s3::Client,
}

/// What a conditional create did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The object was created with our bytes.
    Yes,
    /// An object with that key already exists; nothing was written.
    KeyTaken,
}

impl AwsClients {
    /// S3 operations.
    pub fn s3(&self) -> S3<'_> {
        S3 { client: &self.s3 }
    }
}

impl S3<'_> {
    /// Creates `key` with `body` only if no object has that key
    /// (`If-None-Match: *`), so nothing is ever overwritten.
    pub async fn create_if_absent(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<Created, Error> {
        let result = self
            .client
            .put_object()
            .bucket(bucket)
            .key(key)
            .if_none_match("*")
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "PutObject", e));
        match result {
            Ok(_) => Ok(Created::Yes),
            Err(error)
                if error
                    .aws_code()
                    .is_some_and(|c| KEY_TAKEN_CODES.contains(&c)) =>
            {
                Ok(Created::KeyTaken)
            }
            Err(error) => Err(error),
        }
    }

    /// The bytes of an object, or [`Error::NotFound`].
    pub async fn find_object_by_key(&self, bucket: &str, key: &str) -> Result<Vec<u8>, Error> {
        let result = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "GetObject", e));
        let output = match result {
            Ok(output) => output,
            Err(error) if error.aws_code().is_some_and(|c| MISSING_CODES.contains(&c)) => {
                return Err(Error::NotFound {
                    what: format!("object `s3://{bucket}/{key}`"),
                })
            }
            Err(error) => return Err(error),
        };
        let bytes = output.body.collect().await.map_err(|e| Error::Aws {
            service: SERVICE,
            operation: "GetObject",
            code: None,
            message: format!("the object's body could not be read: {e}"),
            request_id: None,
        })?;
        Ok(bytes.into_bytes().to_vec())
    }

    /// Keys under `prefix` in S3's (lexicographic) order, page by page,
    /// until `keep_going` returns false for a page or the listing ends.
    /// `page_size` bounds each request (at most 1,000).
    pub async fn list_keys(
        &self,
        bucket: &str,
        prefix: &str,
        page_size: i32,
        mut keep_going: impl FnMut(&[String]) -> bool,
    ) -> Result<(), Error> {
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .max_keys(page_size.clamp(1, PAGE_SIZE))
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| aws_error(SERVICE, "ListObjectsV2", e))?;
            let keys: Vec<String> = output
                .contents()
                .iter()
                .filter_map(|object| object.key().map(str::to_string))
                .collect();
            if !keep_going(&keys) {
                return Ok(());
            }
            match output.next_continuation_token() {
                Some(next) if output.is_truncated().unwrap_or(false) => {
                    token = Some(next.to_string());
                }
                _ => return Ok(()),
            }
        }
    }
}
