//! Credentials and the providers that find them.
//!
//! [`ProvideCredentials`] is the seam: anything that can produce [`Credentials`] asynchronously
//! (environment, shared files, a container or instance endpoint, STS, your own vault) plugs into
//! the client through it. The client asks before every attempt, so refreshed credentials are
//! picked up by retries. This module ships the providers that need no network: fixed keys, the
//! environment, and static keys from the shared config files.
//!
//! The parts: `identity` (credentials and the provider seam), `files` (the environment and the
//! shared files), `cache`, `providers` (container, instance metadata, process), `sts` (assume
//! role, web identity), `chain` (the default chain) and, with the `aws-config` feature,
//! `aws_sdk`.

#[cfg(feature = "aws-config")]
mod aws_sdk;
mod cache;
mod chain;
mod files;
mod identity;
mod providers;
mod sts;
#[cfg(test)]
mod tests;

#[cfg(feature = "aws-config")]
pub use aws_sdk::AwsSdkProvider;
pub use cache::CachedProvider;
pub(crate) use chain::EnvFn;
pub use chain::{DefaultChain, default_provider};
pub(crate) use files::SharedFiles;
pub use files::from_environment;
pub(crate) use files::from_environment_with;
pub use identity::{
    Credentials, CredentialsError, CredentialsFuture, ProvideCredentials, SharedCredentialsProvider,
};
pub use providers::{ContainerProvider, ImdsProvider, ProcessProvider};
pub use sts::{AssumeRoleProvider, WebIdentityProvider};
