//! AWS access: one `SdkConfig` shared by a small client per service, the
//! mapping of SDK errors to [`Error::Aws`], and bounded waits.

/// Sends an SDK request and maps its error with [`aws_error`].
macro_rules! send {
    ($service:expr, $operation:literal, $request:expr) => {
        $request
            .send()
            .await
            .map_err(|e| $crate::aws::aws_error($service, $operation, e))
    };
}

pub mod attempts;
pub mod cache;
pub mod cognito;
pub mod iam;
pub mod identity_store;
pub mod limits;
pub mod retried_create;
pub mod s3;
pub mod scheduler;
pub mod sns;
pub mod sso_admin;
pub mod sts;
pub mod wait;

use std::future::Future;
use std::sync::{Arc, OnceLock};

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig as SdkProviderConfig;
use aws_config::{retry::RetryConfig, sts::AssumeRoleProvider, BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_sdk_sts::error::SdkError;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider as TlsProvider};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tracing::instrument::WithSubscriber;

use crate::config::{AwsLimits, ProviderConfig};
use crate::error::Error;

/// One client per AWS service, all built from the same `SdkConfig`.
#[derive(Clone, Debug)]
pub struct AwsClients {
    /// IAM.
    pub iam: aws_sdk_iam::Client,
    /// IAM Identity Center admin (assignments, permission sets).
    pub sso_admin: aws_sdk_ssoadmin::Client,
    /// Identity Center identity store (users, groups).
    pub identity_store: aws_sdk_identitystore::Client,
    /// Cognito user pools.
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    /// S3 (the audit log's bucket).
    pub s3: aws_sdk_s3::Client,
    /// EventBridge Scheduler.
    pub scheduler: aws_sdk_scheduler::Client,
    /// SNS.
    pub sns: aws_sdk_sns::Client,
    /// STS.
    pub sts: aws_sdk_sts::Client,
    /// The region calls go to.
    pub region: Option<String>,
}

/// A client of one service over `sdk`, with its own bound on requests in
/// flight.
macro_rules! bounded_client {
    ($service:ident, $sdk:expr, $limits:expr) => {
        $service::Client::from_conf(
            $service::config::Builder::from($sdk)
                .http_client(limits::bounded($limits, http_client()))
                .build(),
        )
    };
}

impl AwsClients {
    /// Builds every client from one configuration with the default bounds.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self::with_limits(sdk, &AwsLimits::default())
    }

    /// Builds every client from one configuration; each service gets its
    /// own bound on requests in flight.
    pub fn with_limits(sdk: &SdkConfig, limits: &AwsLimits) -> Self {
        Self {
            iam: bounded_client!(aws_sdk_iam, sdk, limits),
            sso_admin: bounded_client!(aws_sdk_ssoadmin, sdk, limits),
            identity_store: bounded_client!(aws_sdk_identitystore, sdk, limits),
            cognito: bounded_client!(aws_sdk_cognitoidentityprovider, sdk, limits),
            // With an endpoint override (an emulator) bucket names cannot be
            // host names: address buckets in the path.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(sdk)
                    .http_client(limits::bounded(limits, http_client()))
                    .force_path_style(sdk.endpoint_url().is_some())
                    .build(),
            ),
            scheduler: bounded_client!(aws_sdk_scheduler, sdk, limits),
            sns: bounded_client!(aws_sdk_sns, sdk, limits),
            sts: bounded_client!(aws_sdk_sts, sdk, limits),
            region: sdk.region().map(|region| region.to_string()),
        }
    }

    /// Clients that never reach AWS (no credentials, no endpoint), for unit
    /// tests of code that holds clients but does not call them.
    #[cfg(test)]
    pub fn offline() -> Self {
        Self::new(
            &SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-1"))
                .build(),
        )
    }
}

/// The one HTTP client: rustls on ring, the crypto stack tonic already uses.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(TlsProvider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Loads the shared `SdkConfig`: the standard credential chain (env, profile,
/// SSO, IMDS), then the provider block's region, profile, endpoint and
/// assumed role; adaptive retry; rustls on ring.
pub async fn load_sdk_config(config: &ProviderConfig) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(limits::timeouts(&config.aws_limits))
        .retry_config(RetryConfig::adaptive().with_max_attempts(config.aws_limits.max_attempts));
    if let Some(region) = &config.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &config.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let credentials = LazyDefaultChain::new(config.profile.clone());
    let region_for_credentials = Arc::clone(&credentials.region);
    let base = loader.credentials_provider(credentials).load().await;
    // The chain is built after configure, with the region the loader found.
    let _ = region_for_credentials.set(base.region().cloned());
    let Some(assume_role) = &config.assume_role else {
        return base;
    };
    let mut provider = AssumeRoleProvider::builder(&assume_role.role_arn)
        .session_name(
            assume_role
                .session_name
                .clone()
                .unwrap_or_else(|| "terraform-provider-jit".to_string()),
        )
        .configure(&base);
    if let Some(external_id) = &assume_role.external_id {
        provider = provider.external_id(external_id);
    }
    let provider = Muted(provider.build().await);
    base.into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

/// Runs a call that carries a secret with tracing muted: the one wrapper
/// every such call goes through (the console password of
/// `iam::create_login_profile`/`update_login_profile`, and `AssumeRole` with
/// the provider's `assume_role.external_id`). The SDK's trace lines print
/// requests with `Debug`; a secret must never reach a log whatever the SDK
/// version prints.
pub(crate) async fn muted<F: Future>(call: F) -> F::Output {
    call.with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
}

/// A credentials provider whose calls (`AssumeRole`, carrying the external
/// id) run through [`muted`]. Its `Debug` hides the inner provider: the
/// SDK's orchestrator logs every client's runtime components (identity
/// resolvers included) at trace level, and the assume-role provider prints
/// its external id.
struct Muted<P>(P);

impl<P> std::fmt::Debug for Muted<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Muted(<credentials provider>)")
    }
}

impl<P: ProvideCredentials> ProvideCredentials for Muted<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(muted(self.0.provide_credentials()))
    }
}

/// The standard credential chain (environment, profile, SSO, web identity,
/// container, IMDS), built on its first use instead of in `configure`:
/// building it makes an STS client for web identity, which reads and parses
/// the system's root certificates (about 20 M instructions, ~5 ms of CPU),
/// and most provider processes Terraform starts never call AWS. Once built,
/// it serves every client of the process (the `SdkConfig`'s identity cache
/// keeps the credentials).
#[derive(Debug)]
struct LazyDefaultChain {
    profile: Option<String>,
    region: Arc<OnceLock<Option<Region>>>,
    chain: tokio::sync::OnceCell<DefaultCredentialsChain>,
}

impl LazyDefaultChain {
    fn new(profile: Option<String>) -> Self {
        Self {
            profile,
            region: Arc::new(OnceLock::new()),
            chain: tokio::sync::OnceCell::new(),
        }
    }

    async fn chain(&self) -> &DefaultCredentialsChain {
        self.chain
            .get_or_init(|| async {
                let region = self.region.get().cloned().flatten();
                let provider_config = SdkProviderConfig::default()
                    .with_http_client(http_client())
                    .with_region(region.clone())
                    .with_behavior_version(Some(BehaviorVersion::latest()));
                let mut builder = DefaultCredentialsChain::builder().configure(provider_config);
                builder.set_region(region);
                if let Some(profile) = &self.profile {
                    builder = builder.profile_name(profile);
                }
                builder.build().await
            })
            .await
    }
}

impl ProvideCredentials for LazyDefaultChain {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(
            async move { self.chain().await.provide_credentials().await },
        )
    }
}

/// Turns an SDK error into [`Error::Aws`] with AWS's code and message. A
/// transport failure becomes "cannot reach AWS", which is what it means.
pub fn aws_error<E, R>(
    service: &'static str,
    operation: &'static str,
    error: SdkError<E, R>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    tracing::debug!(
        service,
        operation,
        error = %aws_smithy_types::error::display::DisplayErrorContext(&error),
        "AWS call failed"
    );
    let (code, message, request_id) = match &error {
        SdkError::ServiceError(service_error) => {
            let err = service_error.err();
            (
                err.code().map(str::to_string),
                err.message().unwrap_or("no message").to_string(),
                err.meta().extra("aws_request_id").map(str::to_string),
            )
        }
        SdkError::DispatchFailure(_) => (
            None,
            "cannot reach AWS: check `endpoint_url`, `region` and the network".to_string(),
            None,
        ),
        SdkError::TimeoutError(_) => (None, "the request to AWS timed out".to_string(), None),
        SdkError::ResponseError(_) => (
            None,
            "AWS sent a response that could not be read".to_string(),
            None,
        ),
        SdkError::ConstructionFailure(_) => (
            None,
            "the request could not be built: check credentials and region".to_string(),
            None,
        ),
        _ => (None, error.to_string(), None),
    };
    Error::Aws {
        service,
        operation,
        code,
        message,
        request_id,
    }
}
