//! Direct checks against the emulator with the real AWS SDK.

use std::future::Future;

use terraform_provider_jit::aws::AwsClients;

/// AWS clients pointed at the case's emulator, with a runtime to block on.
#[derive(Debug)]
pub struct Aws {
    /// One client per service.
    pub clients: AwsClients,
    /// Emulator endpoint.
    pub endpoint: String,
    runtime: tokio::runtime::Runtime,
}

impl Aws {
    /// Clients for `endpoint` with the emulator's dummy credentials.
    pub fn new(endpoint: &str) -> Self {
        Self::with_key(endpoint, "testing", "testing")
    }

    /// Clients for `endpoint` signing with this access key (under moto's
    /// IAM enforcement, a key of an IAM user allowed what the test needs).
    pub fn with_key(endpoint: &str, access_key_id: &str, secret: &str) -> Self {
        let credentials =
            aws_sdk_iam::config::Credentials::new(access_key_id, secret, None, None, "e2e");
        Self::configured(endpoint, |loader| loader.credentials_provider(credentials))
    }

    /// Clients for `endpoint` signing with temporary credentials (a role
    /// session from `AssumeRole`).
    pub fn with_session(endpoint: &str, access_key_id: &str, secret: &str, token: &str) -> Self {
        let credentials = aws_sdk_iam::config::Credentials::new(
            access_key_id,
            secret,
            Some(token.to_string()),
            None,
            "e2e",
        );
        Self::configured(endpoint, |loader| loader.credentials_provider(credentials))
    }

    /// Clients for `endpoint` with the dummy credentials, after `configure`
    /// (retries, timeouts, other credentials) has had its say.
    pub fn configured(
        endpoint: &str,
        configure: impl FnOnce(aws_config::ConfigLoader) -> aws_config::ConfigLoader,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .endpoint_url(endpoint)
            .http_client(terraform_provider_jit::aws::http_client())
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "testing", "testing", None, None, "e2e",
            ));
        let sdk = runtime.block_on(configure(loader).load());
        Self {
            clients: AwsClients::new(&sdk),
            endpoint: endpoint.to_string(),
            runtime,
        }
    }

    /// Runs an SDK future to completion.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// IAM client.
    pub fn iam(&self) -> &aws_sdk_iam::Client {
        &self.clients.iam
    }

    /// Creates an Identity Center user with one primary email (display and
    /// given name `display_name`, family name `Example`); returns its id.
    pub async fn create_identity_center_user(
        &self,
        store_id: &str,
        user_name: &str,
        display_name: &str,
        email: &str,
    ) -> String {
        use aws_sdk_identitystore::types::{Email, Name};
        self.clients
            .identity_store
            .create_user()
            .identity_store_id(store_id)
            .user_name(user_name)
            .display_name(display_name)
            .name(
                Name::builder()
                    .given_name(display_name)
                    .family_name("Example")
                    .build(),
            )
            .emails(Email::builder().value(email).primary(true).build())
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateUser {user_name}: {e:?}"))
            .user_id
    }
}
