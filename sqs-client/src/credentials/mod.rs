//! Credentials and the providers that find them.
//!
//! [`ProvideCredentials`] is the seam: anything that can produce [`Credentials`] asynchronously
//! (environment, shared files, a container or instance endpoint, STS, your own vault) plugs into
//! the client through it. The client asks before every attempt, so refreshed credentials are
//! picked up by retries. This module ships the providers that need no network: fixed keys, the
//! environment, and static keys from the shared config files.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

#[cfg(feature = "aws-config")]
mod aws_sdk;
mod cache;
mod chain;
mod providers;
mod sts;

#[cfg(feature = "aws-config")]
pub use aws_sdk::AwsSdkProvider;
pub use cache::CachedProvider;
pub(crate) use chain::EnvFn;
pub use chain::{DefaultChain, default_provider};
pub use providers::{ContainerProvider, ImdsProvider, ProcessProvider};
pub use sts::{AssumeRoleProvider, WebIdentityProvider};

/// An access key pair, with an optional session token and expiry. `Debug` shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expires_at: Option<SystemTime>,
}

impl Credentials {
    /// Long-lived keys.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
            expires_at: None,
        }
    }
    /// Adds a session token (temporary credentials).
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }
    /// Sets when the credentials stop working.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }
    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// The secret access key.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }
    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
    /// When the credentials expire, if they do.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why no credentials could be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    provider: &'static str,
    message: String,
}

impl CredentialsError {
    /// An error of the provider named `provider`.
    pub fn new(provider: &'static str, message: impl Into<String>) -> Self {
        Self {
            provider,
            message: message.into(),
        }
    }
    /// The provider that failed.
    pub fn provider(&self) -> &'static str {
        self.provider
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.provider, self.message)
    }
}

impl std::error::Error for CredentialsError {}

/// The future a provider returns.
pub type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// Something that produces credentials. Called before every attempt; implementations that
/// fetch over the network should cache (the client does not).
pub trait ProvideCredentials: fmt::Debug + Send + Sync + 'static {
    /// Returns credentials valid for at least the next few minutes.
    fn provide_credentials(&self) -> CredentialsFuture<'_>;
}

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let creds = self.clone();
        Box::pin(async move { Ok(creds) })
    }
}

/// A shared credentials provider.
pub type SharedCredentialsProvider = Arc<dyn ProvideCredentials>;

/// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
pub fn from_environment() -> Result<Credentials, CredentialsError> {
    from_environment_with(|k| std::env::var(k).ok())
}

pub(crate) fn from_environment_with(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, CredentialsError> {
    const P: &str = "environment";
    let non_empty = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    match (
        non_empty("AWS_ACCESS_KEY_ID"),
        non_empty("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(id), Some(secret)) => {
            let creds = Credentials::new(id.trim(), secret.trim());
            Ok(match non_empty("AWS_SESSION_TOKEN") {
                Some(token) => creds.with_session_token(token.trim()),
                None => creds,
            })
        }
        (Some(_), None) => Err(CredentialsError::new(
            P,
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
        )),
        (None, Some(_)) => Err(CredentialsError::new(
            P,
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
        )),
        (None, None) => Err(CredentialsError::new(
            P,
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
        )),
    }
}

/// The shared AWS files: where they are and what a profile says.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedFiles {
    /// `[profile]` -> key -> value from the credentials file, then the config file.
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl SharedFiles {
    /// Loads `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`) and `AWS_CONFIG_FILE`
    /// (default `~/.aws/config`); missing files are simply empty.
    pub(crate) fn load(var: &dyn Fn(&str) -> Option<String>) -> Self {
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from);
        let path = |env: &str, default: &str| {
            var(env)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
        };
        let mut files = SharedFiles::default();
        if let Some(text) = path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
            .and_then(|p| std::fs::read_to_string(p).ok())
        {
            files.parse(&text, false);
        }
        if let Some(text) =
            path("AWS_CONFIG_FILE", "config").and_then(|p| std::fs::read_to_string(p).ok())
        {
            files.parse(&text, true);
        }
        files
    }

    /// Parses INI text. In the config file, sections are `[profile name]` except `[default]`.
    pub(crate) fn parse(&mut self, text: &str, config_file: bool) {
        let mut current: Option<usize> = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let header = header.trim();
                let name = if config_file {
                    match header.strip_prefix("profile ") {
                        Some(n) => n.trim(),
                        None if header == "default" => "default",
                        None => {
                            current = None;
                            continue;
                        }
                    }
                } else {
                    header
                };
                let idx = match self.sections.iter().position(|(n, _)| n == name) {
                    Some(i) => i,
                    None => {
                        self.sections.push((name.to_owned(), Vec::new()));
                        self.sections.len() - 1
                    }
                };
                current = Some(idx);
            } else if let (Some(idx), Some((k, v))) = (current, line.split_once('=')) {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                let entries = &mut self.sections[idx].1;
                // The credentials file is read first and wins.
                if !entries.iter().any(|(existing, _)| *existing == k) {
                    entries.push((k, v));
                }
            }
        }
    }

    pub(crate) fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|(n, _)| n == profile)
            .and_then(|(_, entries)| entries.iter().find(|(k, _)| k == key))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn has_profile(&self, profile: &str) -> bool {
        self.sections.iter().any(|(n, _)| n == profile)
    }

    /// Static keys (and session token) of a profile.
    pub(crate) fn credentials(&self, profile: &str) -> Result<Credentials, CredentialsError> {
        const P: &str = "profile";
        if !self.has_profile(profile) {
            return Err(CredentialsError::new(
                P,
                format!("no profile named {profile:?} in the shared files"),
            ));
        }
        match (
            self.get(profile, "aws_access_key_id"),
            self.get(profile, "aws_secret_access_key"),
        ) {
            (Some(id), Some(secret)) => {
                let creds = Credentials::new(id, secret);
                Ok(match self.get(profile, "aws_session_token") {
                    Some(token) => creds.with_session_token(token),
                    None => creds,
                })
            }
            _ => Err(CredentialsError::new(
                P,
                format!(
                    "profile {profile:?} has no aws_access_key_id / aws_secret_access_key (other credential sources are not supported yet)"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")
            .with_session_token("FwoGZXIvYXdzEXAMPLETOKEN");
        let shown = format!("{c:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(
            !shown.contains("wJalrXUtnFEMI") && !shown.contains("FwoGZXIvYXdz"),
            "{shown}"
        );
    }

    #[test]
    fn environment_needs_both_keys() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = from_environment_with(env(&[
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_SESSION_TOKEN", "t"),
        ]))
        .unwrap();
        assert_eq!(
            (c.access_key_id(), c.secret_access_key(), c.session_token()),
            ("id", "s", Some("t"))
        );
        let e = from_environment_with(env(&[("AWS_ACCESS_KEY_ID", "id")])).unwrap_err();
        assert!(
            e.to_string().contains("AWS_SECRET_ACCESS_KEY is not"),
            "{e}"
        );
    }

    #[test]
    fn profiles_from_both_files() {
        let mut f = SharedFiles::default();
        f.parse("[default]\naws_access_key_id = A\naws_secret_access_key = B\n[dev]\naws_access_key_id=C\naws_secret_access_key=D\naws_session_token=E\n", false);
        f.parse("[default]\nregion = eu-west-1\n[profile dev]\nregion=us-west-2\n[sso-session x]\nregion=nowhere\n", true);
        assert_eq!(f.credentials("default").unwrap().access_key_id(), "A");
        assert_eq!(f.credentials("dev").unwrap().session_token(), Some("E"));
        assert_eq!(f.get("dev", "region"), Some("us-west-2"));
        assert_eq!(f.get("default", "region"), Some("eu-west-1"));
        assert!(
            f.credentials("missing")
                .unwrap_err()
                .to_string()
                .contains("no profile named")
        );
    }
}
