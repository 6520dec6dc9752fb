//! Any credentials provider of the official AWS SDK, used as ours (feature `aws-config`).
//!
//! ```no_run
//! # fn run(sdk_config: &aws_types::SdkConfig) -> Result<(), Box<dyn std::error::Error>> {
//! // sdk_config: what `aws_config::load_from_env().await` returns
//! let provider = sdk_config.credentials_provider().ok_or("the SDK found no provider")?;
//! let client = sqs_client::Client::builder()
//!     .region("eu-west-1")
//!     .credentials_provider(sqs_client::credentials::AwsSdkProvider::new(provider))
//!     .build()?;
//! # Ok(()) }
//! ```

use aws_credential_types::provider::ProvideCredentials as AwsProvide;

use super::identity::{Credentials, CredentialsError, CredentialsFuture, ProvideCredentials};

/// Wraps a provider from `aws-credential-types` (what `SdkConfig::credentials_provider()`
/// returns). The SDK's providers cache on their own.
#[derive(Debug, Clone)]
pub struct AwsSdkProvider<P> {
    inner: P,
}

impl<P: AwsProvide + 'static> AwsSdkProvider<P> {
    /// Wraps `inner`.
    pub fn new(inner: P) -> Self {
        Self { inner }
    }
}

impl<P: AwsProvide + 'static> ProvideCredentials for AwsSdkProvider<P> {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let c = self
                .inner
                .provide_credentials()
                .await
                .map_err(|e| CredentialsError::new("aws-sdk", e.to_string()))?;
            let mut ours = Credentials::new(c.access_key_id(), c.secret_access_key());
            if let Some(token) = c.session_token() {
                ours = ours.with_session_token(token);
            }
            if let Some(at) = c.expiry() {
                ours = ours.with_expiry(at);
            }
            Ok(ours)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    #[tokio::test]
    async fn sdk_credentials_become_ours() {
        let expiry = SystemTime::now() + Duration::from_secs(900);
        let sdk = aws_credential_types::Credentials::new(
            "AKSDK",
            "sdk-secret",
            Some("sdk-token".into()),
            Some(expiry),
            "test",
        );
        let ours = AwsSdkProvider::new(sdk)
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(
            (
                ours.access_key_id(),
                ours.secret_access_key(),
                ours.session_token()
            ),
            ("AKSDK", "sdk-secret", Some("sdk-token"))
        );
        assert_eq!(ours.expires_at(), Some(expiry));
    }
}
