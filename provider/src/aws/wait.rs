//! Bounded polling for asynchronous AWS operations and short retries for
//! eventual consistency. Every timeout is a named constant at the call site.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::Error;

/// First pause after an immediate first poll; doubled up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(200);
const MAX_DELAY: Duration = Duration::from_secs(5);

/// One observation of an asynchronous operation.
#[derive(Debug)]
pub enum Poll<T> {
    /// Still running; the status is kept for the timeout message.
    Pending(String),
    /// Finished successfully.
    Done(T),
    /// Finished with AWS's reason.
    Failed(String),
}

/// Polls `op` at once, then with back-off, until done, failed or `timeout`.
pub async fn poll_until<T, F, Fut>(what: &str, timeout: Duration, mut op: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, Error>>,
{
    let deadline = Instant::now() + timeout;
    let mut delay = FIRST_DELAY;
    loop {
        match op().await? {
            Poll::Done(value) => return Ok(value),
            Poll::Failed(reason) => {
                return Err(Error::Aws {
                    service: "aws",
                    operation: "wait",
                    code: None,
                    message: format!("{what} failed: {reason}"),
                    request_id: None,
                })
            }
            Poll::Pending(status) => {
                if Instant::now() + delay > deadline {
                    return Err(Error::Timeout {
                        what: what.to_string(),
                        last_status: status,
                    });
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DELAY);
            }
        }
    }
}

/// Retries `op` while `retryable` says its error is transient, for at most
/// `timeout`. Use only for named eventual-consistency codes.
pub async fn retry_when<T, F, Fut, P>(
    timeout: Duration,
    retryable: P,
    mut op: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
    P: Fn(&Error) -> bool,
{
    let deadline = Instant::now() + timeout;
    let mut delay = FIRST_DELAY;
    loop {
        match op().await {
            Err(error) if retryable(&error) && Instant::now() + delay <= deadline => {
                tracing::debug!(%error, "transient AWS error; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DELAY);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn poll_returns_done_after_pending() {
        let calls = AtomicU32::new(0);
        let value = poll_until("assignment", Duration::from_secs(5), || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 1 {
                Ok(Poll::Pending("IN_PROGRESS".into()))
            } else {
                Ok(Poll::Done(7))
            }
        })
        .await
        .unwrap();
        assert_eq!(value, 7);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn poll_reports_failure_reason_and_timeout_status() {
        let failed = poll_until::<(), _, _>("assignment", Duration::from_secs(1), || async {
            Ok(Poll::Failed("permission set not provisioned".into()))
        })
        .await
        .unwrap_err();
        assert!(failed
            .to_string()
            .contains("permission set not provisioned"));

        let timed_out =
            poll_until::<(), _, _>("assignment", Duration::from_millis(100), || async {
                Ok(Poll::Pending("IN_PROGRESS".into()))
            })
            .await
            .unwrap_err();
        assert!(
            matches!(timed_out, Error::Timeout { last_status, .. } if last_status == "IN_PROGRESS")
        );
    }

    #[tokio::test]
    async fn retry_stops_on_non_retryable_errors() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Error> = retry_when(
            Duration::from_secs(5),
            |error| error.aws_code() == Some("Transient"),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Error::NotConfigured)
            },
        )
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
