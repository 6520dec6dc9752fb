//! Credentials and the seam every source plugs into.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

/// An access key pair, with an optional session token and expiry. `Debug` shows the key id only.
///
/// Cloning is cheap (one reference count): providers hand out a clone before every attempt.
#[derive(Clone)]
pub struct Credentials {
    keys: Arc<Keys>,
}

#[derive(Clone)]
struct Keys {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expires_at: Option<SystemTime>,
    /// What the signer makes of these keys, made at the first signature and kept for every
    /// later one (see [`crate::auth::SigningKeys`]).
    signing: OnceLock<crate::auth::SigningKeys>,
}

impl Credentials {
    /// Long-lived keys.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            keys: Arc::new(Keys {
                access_key_id: access_key_id.into(),
                secret_access_key: secret_access_key.into(),
                session_token: None,
                expires_at: None,
                signing: OnceLock::new(),
            }),
        }
    }
    /// The keys to change, with what was made of the old ones forgotten.
    fn edit(mut self, change: impl FnOnce(&mut Keys)) -> Self {
        let keys = Arc::make_mut(&mut self.keys);
        change(keys);
        keys.signing = OnceLock::new();
        self
    }
    /// Adds a session token (temporary credentials).
    pub fn with_session_token(self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.edit(|keys| keys.session_token = Some(token))
    }
    /// Sets when the credentials stop working.
    pub fn with_expiry(self, expires_at: SystemTime) -> Self {
        self.edit(|keys| keys.expires_at = Some(expires_at))
    }
    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.keys.access_key_id
    }
    /// The secret access key.
    pub fn secret_access_key(&self) -> &str {
        &self.keys.secret_access_key
    }
    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.keys.session_token.as_deref()
    }
    /// When the credentials expire, if they do.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.keys.expires_at
    }
    /// The signer's form of these keys, made once.
    pub(crate) fn signing_keys(&self) -> &crate::auth::SigningKeys {
        self.keys
            .signing
            .get_or_init(|| crate::auth::SigningKeys::new(self))
    }
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&*self.keys, &*other.keys);
        a.access_key_id == b.access_key_id
            && a.secret_access_key == b.secret_access_key
            && a.session_token == b.session_token
            && a.expires_at == b.expires_at
    }
}

impl Eq for Credentials {}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.keys.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.keys.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expires_at", &self.keys.expires_at)
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
