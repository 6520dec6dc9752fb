//! The default chain, in the order AWS tools use: environment; shared config and credentials
//! files (static keys, `credential_process`, `role_arn` with `source_profile` or
//! `credential_source`, `web_identity_token_file`); web identity from the environment; the
//! container endpoint; EC2 instance metadata. The first that yields credentials wins; when none
//! does, the error lists each provider tried and why it failed.

use std::sync::Arc;

use super::files::{SharedFiles, from_environment_with};
use super::identity::{
    Credentials, CredentialsError, CredentialsFuture, ProvideCredentials, SharedCredentialsProvider,
};
use super::providers::{ContainerProvider, ImdsProvider, ProcessProvider};
use super::sts::{AssumeRoleProvider, WebIdentityProvider, sts_endpoint};

/// How the chain reads environment variables (the process environment, or a map in tests).
pub(crate) type EnvFn = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The default credentials chain. Wrap it in a [`CachedProvider`](super::cache::CachedProvider) (as
/// [`default_provider`] does) so that it is not walked on every request.
#[derive(Clone)]
pub struct DefaultChain {
    var: EnvFn,
}

impl std::fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DefaultChain")
    }
}

impl Default for DefaultChain {
    fn default() -> Self {
        Self::new()
    }
}

/// The default chain behind a cache: what `Client::from_env()` uses when the environment holds
/// no keys.
pub fn default_provider() -> SharedCredentialsProvider {
    Arc::new(super::cache::CachedProvider::new(Arc::new(
        DefaultChain::new(),
    )))
}

const MAX_PROFILE_HOPS: usize = 4;

impl DefaultChain {
    /// The chain over the process environment.
    pub fn new() -> Self {
        Self {
            var: Arc::new(|k| std::env::var(k).ok()),
        }
    }

    /// The chain over another source of variables than the process environment (a map in
    /// tests, a configuration service, ...).
    pub fn from_vars(var: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self { var: Arc::new(var) }
    }

    pub(crate) fn with_env(var: EnvFn) -> Self {
        Self { var }
    }

    fn region(&self, files: &SharedFiles, profile: &str) -> Option<String> {
        let var = &self.var;
        var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .filter(|r| !r.trim().is_empty())
            .or_else(|| files.get(profile, "region").map(str::to_owned))
    }

    /// What a profile says to use, following `source_profile` up to a few hops.
    fn profile_provider(
        &self,
        files: &SharedFiles,
        name: &str,
        region: Option<&str>,
        hops: usize,
    ) -> Result<SharedCredentialsProvider, CredentialsError> {
        const P: &str = "profile";
        if hops > MAX_PROFILE_HOPS {
            return Err(CredentialsError::new(
                P,
                format!(
                    "profile {name:?}: source_profile chain is longer than {MAX_PROFILE_HOPS} (a cycle?)"
                ),
            ));
        }
        if !files.has_profile(name) {
            return Err(CredentialsError::new(
                P,
                format!("no profile named {name:?} in the shared files"),
            ));
        }
        let endpoint = sts_endpoint(&*self.var, region);
        let signing_region = region.unwrap_or("us-east-1").to_owned();
        if let Some(role) = files.get(name, "role_arn") {
            let session = files.get(name, "role_session_name").map(str::to_owned);
            if let Some(token_file) = files.get(name, "web_identity_token_file") {
                return Ok(Arc::new(WebIdentityProvider::new(
                    token_file, role, session, endpoint,
                )));
            }
            let source: SharedCredentialsProvider = if let Some(source) =
                files.get(name, "source_profile")
            {
                if source == name {
                    // A profile may hold its own keys and assume a role with them.
                    Arc::new(files.credentials(name)?)
                } else {
                    self.profile_provider(files, source, region, hops + 1)?
                }
            } else if let Some(source) = files.get(name, "credential_source") {
                match source {
                    "Environment" => Arc::new(from_environment_with(&*self.var)?),
                    "Ec2InstanceMetadata" => {
                        Arc::new(ImdsProvider::from_env_with(&*self.var).ok_or_else(|| {
                            CredentialsError::new(
                                P,
                                "credential_source Ec2InstanceMetadata, but IMDS is disabled",
                            )
                        })?)
                    }
                    "EcsContainer" => Arc::new(
                        ContainerProvider::from_env_with(&*self.var).ok_or_else(|| {
                            CredentialsError::new(
                                P,
                                "credential_source EcsContainer, but no container endpoint is set",
                            )
                        })??,
                    ),
                    other => {
                        return Err(CredentialsError::new(
                            P,
                            format!("profile {name:?}: unknown credential_source {other:?}"),
                        ));
                    }
                }
            } else {
                return Err(CredentialsError::new(
                    P,
                    format!(
                        "profile {name:?} has role_arn but neither source_profile nor credential_source"
                    ),
                ));
            };
            let external_id = files.get(name, "external_id").map(str::to_owned);
            return Ok(Arc::new(AssumeRoleProvider::new(
                source,
                role,
                session,
                external_id,
                endpoint,
                signing_region,
            )));
        }
        if let Some(command) = files.get(name, "credential_process") {
            return Ok(Arc::new(ProcessProvider::new(command)));
        }
        Ok(Arc::new(files.credentials(name)?))
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let var = &*self.var;
        let mut tried: Vec<String> = Vec::new();
        let attempt = async |result: Result<SharedCredentialsProvider, CredentialsError>,
                             tried: &mut Vec<String>| match result {
            Ok(p) => match p.provide_credentials().await {
                Ok(c) => Some(c),
                Err(e) => {
                    tried.push(e.to_string());
                    None
                }
            },
            Err(e) => {
                tried.push(e.to_string());
                None
            }
        };

        let from_env = from_environment_with(var).map(|c| Arc::new(c) as SharedCredentialsProvider);
        if let Some(c) = attempt(from_env, &mut tried).await {
            return Ok(c);
        }

        let files = SharedFiles::load_async(var).await;
        let profile = var("AWS_PROFILE")
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "default".into());
        let region = self.region(&files, &profile);
        if let Some(c) = attempt(
            self.profile_provider(&files, &profile, region.as_deref(), 0),
            &mut tried,
        )
        .await
        {
            return Ok(c);
        }

        match WebIdentityProvider::from_env_with(var, region.as_deref()) {
            Some(p) => {
                if let Some(c) = attempt(
                    p.map(|p| Arc::new(p) as SharedCredentialsProvider),
                    &mut tried,
                )
                .await
                {
                    return Ok(c);
                }
            }
            None => tried.push("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set".into()),
        }

        match ContainerProvider::from_env_with(var) {
            Some(p) => {
                if let Some(c) = attempt(
                    p.map(|p| Arc::new(p) as SharedCredentialsProvider),
                    &mut tried,
                )
                .await
                {
                    return Ok(c);
                }
            }
            None => tried
                .push("container: no AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI".into()),
        }

        match ImdsProvider::from_env_with(var) {
            Some(p) => {
                if let Some(c) = attempt(Ok(Arc::new(p)), &mut tried).await {
                    return Ok(c);
                }
            }
            None => tried.push("instance metadata: disabled by AWS_EC2_METADATA_DISABLED".into()),
        }

        Err(CredentialsError::new(
            "default chain",
            format!("no credentials found; tried: {}", tried.join("; ")),
        ))
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}
