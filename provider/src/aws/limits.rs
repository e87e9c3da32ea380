//! Bounds on AWS calls, applied once for every client: attempt and
//! operation timeouts, retry attempts, and at most N requests in flight per
//! service in one provider process (Terraform runs up to ten resource
//! operations at once, and AWS throttles bursts; Identity Center allows
//! about 20 requests/s).

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Semaphore;

use crate::config::AwsLimits;

/// Connecting never takes long on a working network.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The SDK's timeout configuration.
pub fn timeouts(limits: &AwsLimits) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(limits.attempt_timeout))
        .operation_attempt_timeout(limits.attempt_timeout)
        .operation_timeout(limits.operation_timeout)
        .build()
}

/// `http` with at most `max_concurrency` requests in flight: one of these
/// per service client.
pub fn bounded(limits: &AwsLimits, http: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(Bounded {
        inner: http,
        permits: Arc::new(Semaphore::new(limits.max_concurrency.max(1) as usize)),
    })
}

/// An HTTP client whose requests wait for a permit.
#[derive(Debug)]
struct Bounded {
    inner: SharedHttpClient,
    permits: Arc<Semaphore>,
}

impl HttpClient for Bounded {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BoundedConnector {
            inner: self.inner.http_connector(settings, components),
            permits: Arc::clone(&self.permits),
        })
    }
}

#[derive(Debug)]
struct BoundedConnector {
    inner: SharedHttpConnector,
    permits: Arc<Semaphore>,
}

impl HttpConnector for BoundedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let permits = Arc::clone(&self.permits);
        HttpConnectorFuture::new(async move {
            // The permit is held until the response headers arrive; AWS
            // responses are small, so the body follows at once.
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|closed| ConnectorError::other(closed.into(), None))?;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    /// A connector that counts how many calls are in flight at once.
    #[derive(Debug, Default)]
    struct Counting {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    #[derive(Debug, Clone)]
    struct CountingConnector(Arc<Counting>);

    impl HttpConnector for CountingConnector {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let counts = Arc::clone(&self.0);
            HttpConnectorFuture::new(async move {
                let now = counts.now.fetch_add(1, Ordering::SeqCst) + 1;
                counts.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                counts.now.fetch_sub(1, Ordering::SeqCst);
                Ok(HttpResponse::new(
                    StatusCode::try_from(200).unwrap(),
                    SdkBody::empty(),
                ))
            })
        }
    }

    #[tokio::test]
    async fn no_more_than_max_concurrency_requests_are_in_flight() {
        let counts = Arc::new(Counting::default());
        let connector = BoundedConnector {
            inner: SharedHttpConnector::new(CountingConnector(Arc::clone(&counts))),
            permits: Arc::new(Semaphore::new(3)),
        };
        let calls = (0..12).map(|_| connector.call(HttpRequest::empty()));
        for result in futures_join_all(calls).await {
            assert!(result.is_ok());
        }
        assert_eq!(counts.most.load(Ordering::SeqCst), 3);
    }

    async fn futures_join_all(
        calls: impl Iterator<Item = HttpConnectorFuture>,
    ) -> Vec<Result<HttpResponse, ConnectorError>> {
        let handles: Vec<_> = calls.map(tokio::spawn).collect();
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.unwrap());
        }
        results
    }

    #[test]
    fn timeouts_carry_the_configured_bounds() {
        let limits = AwsLimits {
            attempt_timeout: Duration::from_secs(3),
            ..AwsLimits::default()
        };
        let timeouts = timeouts(&limits);
        assert_eq!(
            timeouts.operation_attempt_timeout(),
            Some(Duration::from_secs(3))
        );
        assert_eq!(timeouts.operation_timeout(), Some(limits.operation_timeout));
        assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(3)));
    }
}
