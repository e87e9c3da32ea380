//! What resources share once the provider is configured.
//!
//! tf-provider asks for resources before `configure` runs, so each resource
//! holds a [`Shared`] handle that `configure` fills exactly once.

use std::sync::{Arc, OnceLock};

use tokio::sync::OnceCell;

use crate::audit::AuditSink;
use crate::aws::identity_store::DirectoryCache;
use crate::aws::sso_admin::{IdentityCenter, PermissionSetCache};
use crate::aws::AwsClients;
use crate::config::ProviderConfig;
use crate::error::Error;

/// The configured provider.
#[derive(Debug)]
pub struct Ctx {
    /// Validated configuration.
    pub config: ProviderConfig,
    /// AWS clients over one `SdkConfig`.
    pub aws: AwsClients,
    /// Audit destinations.
    pub audit: AuditSink,
    /// Identity-store lookups kept for this process (single-flight per key).
    pub directory: DirectoryCache,
    /// Permission sets kept for this process (single-flight per key).
    pub permission_sets: PermissionSetCache,
    identity_center: OnceCell<IdentityCenter>,
}

impl Ctx {
    /// Builds the context from a validated configuration and its clients.
    pub fn new(config: ProviderConfig, aws: AwsClients) -> Self {
        let audit = AuditSink::new(
            config.audit_log_path.clone(),
            config.notification_topic_arn.clone(),
            aws.clone(),
        )
        .with_s3(config.audit_s3.clone());
        Self {
            config,
            aws,
            audit,
            directory: DirectoryCache::default(),
            permission_sets: PermissionSetCache::default(),
            identity_center: OnceCell::new(),
        }
    }

    /// The Identity Center instance, resolved on first use and cached.
    pub async fn identity_center(&self) -> Result<&IdentityCenter, Error> {
        self.identity_center
            .get_or_try_init(|| async {
                self.aws
                    .sso_admin()
                    .find_instance(
                        self.config.identity_center_instance_arn.as_deref(),
                        self.config.identity_store_id.as_deref(),
                    )
                    .await
            })
            .await
    }
}

/// Handle shared by the provider and every resource.
#[derive(Clone, Default, Debug)]
pub struct Shared(Arc<OnceLock<Ctx>>);

impl Shared {
    /// The configured context, or [`Error::NotConfigured`].
    pub fn get(&self) -> Result<&Ctx, Error> {
        self.0.get().ok_or(Error::NotConfigured)
    }

    /// Stores the context; a second configure in the same process is ignored.
    pub fn set(&self, ctx: Ctx) {
        if self.0.set(ctx).is_err() {
            tracing::debug!("provider configured twice; keeping the first configuration");
        }
    }
}
