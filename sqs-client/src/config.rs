//! Client configuration: region, endpoint, credentials, protocol, retries, timeouts, limits.

use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{self, ProvideCredentials, SharedCredentialsProvider, SharedFiles};
use crate::retry::{RetryConfig, RetryMode};

pub use crate::credentials::Credentials;

/// A region's name (`eu-west-1`), at the path the official SDK gives it;
/// [`ClientBuilder::region`] takes it or a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region(std::borrow::Cow<'static, str>);

impl Region {
    /// A region of this name.
    pub fn new(name: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self(name.into())
    }
    /// A region of this name, in a `const`.
    pub const fn from_static(name: &'static str) -> Self {
        Self(std::borrow::Cow::Borrowed(name))
    }
}

impl AsRef<str> for Region {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Region> for String {
    fn from(region: Region) -> Self {
        region.0.into_owned()
    }
}

/// Which wire protocol requests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// AWS JSON 1.0, what current AWS SDKs send.
    #[default]
    AwsJson1_0,
    /// AWS Query: form-encoded requests, XML responses. For servers that speak only this.
    AwsQuery,
}

/// Time limits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing a connection.
    pub connect: Duration,
    /// One attempt, from sending to the last byte of the answer. A ReceiveMessage attempt is
    /// always given its `WaitTimeSeconds` plus this much.
    pub attempt: Duration,
    /// The whole operation, retries and backoff included; a ReceiveMessage gets its
    /// `WaitTimeSeconds` on top.
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(60),
        }
    }
}

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// An explicit endpoint (`http://127.0.0.1:9324`); overrides the regional one.
    pub url: Option<String>,
    /// FIPS endpoints (`sqs-fips.{region}...`).
    pub use_fips: bool,
    /// Dual-stack (IPv4 and IPv6) endpoints.
    pub use_dual_stack: bool,
    /// Send each request to the scheme, host and port of the queue URL it names.
    pub use_queue_url_host: bool,
}

/// The regional endpoint of SQS.
pub(crate) fn regional_endpoint(region: &str, fips: bool, dual_stack: bool) -> String {
    let china = region.starts_with("cn-");
    let service = if fips { "sqs-fips" } else { "sqs" };
    let suffix = match (china, dual_stack) {
        (false, false) => "amazonaws.com",
        (true, false) => "amazonaws.com.cn",
        (false, true) => "api.aws",
        (true, true) => "api.amazonwebservices.com.cn",
    };
    format!("https://{service}.{region}.{suffix}")
}

/// A complete configuration; made by [`ClientBuilder`].
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) region: String,
    pub(crate) endpoint: EndpointConfig,
    pub(crate) credentials: SharedCredentialsProvider,
    pub(crate) protocol: Protocol,
    pub(crate) retry: RetryConfig,
    pub(crate) timeouts: Timeouts,
    pub(crate) max_message_size: usize,
    pub(crate) verify_checksums: bool,
    /// Largest answer body read (see [`ClientBuilder::max_response_bytes`]).
    pub(crate) max_response_bytes: usize,
}

/// Builds a [`Client`](crate::Client). Everything has a default except the region, which
/// [`ClientBuilder::build`] requires (or an explicit endpoint, with which `us-east-1` is used).
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    region: Option<String>,
    endpoint: EndpointConfig,
    credentials: Option<SharedCredentialsProvider>,
    protocol: Protocol,
    retry: RetryConfig,
    timeouts: Timeouts,
    max_message_size: Option<usize>,
    max_response_bytes: Option<usize>,
    skip_checksums: bool,
    problems: Vec<String>,
    region_error: Option<String>,
}

impl ClientBuilder {
    /// The AWS region (`eu-west-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    /// An explicit endpoint, for SQS-compatible servers and local development.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint.url = Some(url.into());
        self
    }
    /// Use FIPS endpoints.
    pub fn use_fips(mut self, on: bool) -> Self {
        self.endpoint.use_fips = on;
        self
    }
    /// Use dual-stack endpoints.
    pub fn use_dual_stack(mut self, on: bool) -> Self {
        self.endpoint.use_dual_stack = on;
        self
    }
    /// Send each request to the host of the queue URL it names.
    pub fn use_queue_url_host(mut self, on: bool) -> Self {
        self.endpoint.use_queue_url_host = on;
        self
    }
    /// The credentials provider (fixed [`Credentials`] work as one).
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }
    /// An already shared credentials provider.
    pub fn shared_credentials_provider(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }
    /// The wire protocol.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }
    /// Retry settings.
    pub fn retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }
    /// Time limits.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }
    /// Per-attempt time limit.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = timeout;
        self
    }
    /// Whole-operation time limit (a long poll gets its wait time on top).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.operation = timeout;
        self
    }
    /// Connect time limit.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = timeout;
        self
    }
    /// Largest message accepted before sending, body and attributes together (default
    /// 1,048,576; set the queue's `MaximumMessageSize` when it is lower).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = Some(bytes);
        self
    }
    /// Largest answer body the client reads; a larger one (by its `Content-Length`, or counted
    /// as it arrives) fails the attempt with [`ErrorKind::ResponseTooLarge`](crate::ErrorKind)
    /// and is not read further. The default fits the largest legitimate answer of the protocol
    /// in use: ten messages of the maximum message size, written as the protocol may escape
    /// them (three bytes per byte in AWS JSON, six in AWS Query's XML), plus 1 MiB.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }
    /// Turns off MD5 verification of sent and received messages.
    pub fn skip_checksums(mut self, skip: bool) -> Self {
        self.skip_checksums = skip;
        self
    }

    /// Reads the AWS environment conventions into the builder: `AWS_REGION` /
    /// `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL`, `AWS_USE_FIPS_ENDPOINT`,
    /// `AWS_USE_DUALSTACK_ENDPOINT`, `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`; credentials from
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, else from the cached
    /// [default chain](crate::credentials::DefaultChain) (profile `AWS_PROFILE` of the shared
    /// files, which may also give `region` and `endpoint_url`; web identity; the container
    /// endpoint; instance metadata), resolved at the first request. Credentials given to the
    /// builder are never replaced by the environment's; other values set on the builder before
    /// stay unless the environment has one.
    ///
    /// This reads the shared files with blocking calls, once, when the client is made; async
    /// code that would rather not block its thread even that once uses
    /// [`load_env_async`](Self::load_env_async) (as [`Client::load_from_env`](crate::Client::load_from_env) does).
    pub fn load_env(self) -> Self {
        self.load_env_with(|k| std::env::var(k).ok())
    }

    /// [`load_env`](Self::load_env), with the shared files read on tokio's blocking pool.
    pub async fn load_env_async(self) -> Self {
        self.load_env_async_with(|k| std::env::var(k).ok()).await
    }

    pub(crate) async fn load_env_async_with(
        self,
        var: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        let var: credentials::EnvFn = Arc::new(var);
        let files = SharedFiles::load_async(&*var).await;
        self.load_env_from(var, files)
    }

    pub(crate) fn load_env_with(
        self,
        var: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        let var: credentials::EnvFn = Arc::new(var);
        let files = SharedFiles::load(&*var);
        self.load_env_from(var, files)
    }

    fn load_env_from(mut self, var: credentials::EnvFn, files: SharedFiles) -> Self {
        let non_empty = |k: &str| {
            var(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let profile = non_empty("AWS_PROFILE").unwrap_or_else(|| "default".into());
        if let Some(region) = non_empty("AWS_REGION")
            .or_else(|| non_empty("AWS_DEFAULT_REGION"))
            .or_else(|| files.get(&profile, "region").map(str::to_owned))
        {
            self.region = Some(region);
        }
        if let Some(url) = non_empty("AWS_ENDPOINT_URL_SQS")
            .or_else(|| non_empty("AWS_ENDPOINT_URL"))
            .or_else(|| files.get(&profile, "endpoint_url").map(str::to_owned))
        {
            self.endpoint.url = Some(url);
        }
        let flag = |k: &str| non_empty(k).map(|v| v.eq_ignore_ascii_case("true"));
        if let Some(on) = flag("AWS_USE_FIPS_ENDPOINT") {
            self.endpoint.use_fips = on;
        }
        if let Some(on) = flag("AWS_USE_DUALSTACK_ENDPOINT") {
            self.endpoint.use_dual_stack = on;
        }
        if let Some(n) = non_empty("AWS_MAX_ATTEMPTS") {
            match n.parse::<u32>() {
                Ok(n) if n >= 1 => self.retry = self.retry.max_attempts(n),
                _ => self.problems.push(format!(
                    "AWS_MAX_ATTEMPTS={n:?} is not a whole number of at least 1"
                )),
            }
        }
        if let Some(mode) = non_empty("AWS_RETRY_MODE") {
            match mode.parse::<RetryMode>() {
                Ok(mode) => self.retry = self.retry.mode(mode),
                Err(e) => self.problems.push(format!("AWS_RETRY_MODE: {e}")),
            }
        }
        // Credentials given to the builder stay. Otherwise keys in the environment are used as
        // they are; anything else goes through the default chain (shared files, web identity,
        // container, instance metadata), behind a cache, and is resolved at the first request.
        if self.credentials.is_none() {
            self.credentials = Some(match credentials::from_environment_with(&*var) {
                Ok(c) => Arc::new(c),
                Err(_) => Arc::new(credentials::CachedProvider::new(Arc::new(
                    credentials::DefaultChain::with_env(var.clone()),
                ))),
            });
        }
        self
    }

    /// The last step of the region chain: when no region is set yet, asks instance metadata
    /// for the instance's region. A failure leaves the region unset; `build()` then says why.
    pub async fn region_from_imds(mut self, imds: &credentials::ImdsProvider) -> Self {
        if self.region.is_none() {
            match imds.region().await {
                Ok(region) if !region.is_empty() => self.region = Some(region),
                Ok(_) => self.region_error = Some("instance metadata gave an empty region".into()),
                Err(e) => self.region_error = Some(e.to_string()),
            }
        }
        self
    }

    /// Checks the configuration and gives it as data for the client to consume
    /// ([`ClientBuilder::build`] is where the client is made from it).
    pub(crate) fn into_config(self) -> Result<Config, crate::Error> {
        if let Some(problem) = self.problems.first() {
            return Err(crate::Error::config("build", problem.clone()));
        }
        let region = match (self.region, &self.endpoint.url) {
            (Some(r), _) => r,
            (None, Some(_)) => "us-east-1".to_owned(),
            (None, None) => {
                let mut why = String::from(
                    "no region: set one with .region(..) or AWS_REGION, or give an endpoint URL",
                );
                if let Some(imds) = &self.region_error {
                    why.push_str(&format!(" (asking {imds})"));
                }
                return Err(crate::Error::config("build", why));
            }
        };
        if !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
            || region.is_empty()
        {
            return Err(crate::Error::config(
                "build",
                format!("{region:?} is not a region name"),
            ));
        }
        if let Some(url) = &self.endpoint.url {
            reqwest::Url::parse(url)
                .map_err(|e| crate::Error::config("build", format!("endpoint URL {url:?}: {e}")))?;
        }
        let credentials = self.credentials.ok_or_else(|| {
            crate::Error::config(
                "build",
                "no credentials provider: set one, or use load_env()",
            )
        })?;
        let max_message_size = self.max_message_size.unwrap_or(1_048_576);
        Ok(Config {
            region,
            endpoint: self.endpoint,
            credentials,
            protocol: self.protocol,
            retry: self.retry,
            timeouts: self.timeouts,
            max_message_size,
            verify_checksums: !self.skip_checksums,
            max_response_bytes: self.max_response_bytes.unwrap_or_else(|| {
                let escaping = match self.protocol {
                    Protocol::AwsJson1_0 => 3,
                    Protocol::AwsQuery => 6,
                };
                max_message_size
                    .saturating_mul(10 * escaping)
                    .saturating_add(1 << 20)
            }),
        })
    }
}

#[cfg(feature = "aws-config")]
impl ClientBuilder {
    /// Takes what an `aws-config` [`SdkConfig`](aws_types::SdkConfig) holds (feature
    /// `aws-config`), so that a program that already loads one for other services configures
    /// this client with one line: the region, the endpoint URL, the credentials provider (used
    /// as ours through [`AwsSdkProvider`](crate::credentials::AwsSdkProvider)), the retry mode,
    /// attempts and backoff, and the connect, attempt and operation timeouts. What the
    /// `SdkConfig` does not set stays as it is on the builder. (Its app name is not used: this
    /// client sends no user agent of its own.)
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), sqs_client::Error> {
    /// # let sdk_config = aws_types::SdkConfig::builder().build();
    /// // let sdk_config = aws_config::load_from_env().await;
    /// let client = sqs_client::Client::builder().sdk_config(&sdk_config).build()?;
    /// # Ok(()) }
    /// ```
    pub fn sdk_config(mut self, config: &aws_types::SdkConfig) -> Self {
        use aws_smithy_types::retry::RetryMode as SdkRetryMode;

        if let Some(region) = config.region() {
            self.region = Some(region.as_ref().to_owned());
        }
        if let Some(url) = config.endpoint_url() {
            self.endpoint.url = Some(url.to_owned());
        }
        if let Some(provider) = config.credentials_provider() {
            self.credentials = Some(Arc::new(credentials::AwsSdkProvider::new(provider)));
        }
        if let Some(retry) = config.retry_config() {
            let mode = match retry.mode() {
                SdkRetryMode::Adaptive => RetryMode::Adaptive,
                _ => RetryMode::Standard,
            };
            let throttling = self.retry.throttling_backoff;
            self.retry = self
                .retry
                .clone()
                .mode(mode)
                .max_attempts(retry.max_attempts())
                .backoff(retry.initial_backoff(), throttling, retry.max_backoff());
        }
        if let Some(timeouts) = config.timeout_config() {
            if let Some(connect) = timeouts.connect_timeout() {
                self.timeouts.connect = connect;
            }
            if let Some(attempt) = timeouts.operation_attempt_timeout() {
                self.timeouts.attempt = attempt;
            }
            if let Some(operation) = timeouts.operation_timeout() {
                self.timeouts.operation = operation;
            }
        }
        self
    }
}

impl From<Credentials> for SharedCredentialsProvider {
    fn from(c: Credentials) -> Self {
        Arc::new(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_endpoints() {
        assert_eq!(
            regional_endpoint("eu-west-1", false, false),
            "https://sqs.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            regional_endpoint("cn-north-1", false, false),
            "https://sqs.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            regional_endpoint("us-east-1", true, false),
            "https://sqs-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            regional_endpoint("us-east-1", false, true),
            "https://sqs.us-east-1.api.aws"
        );
    }

    #[test]
    fn environment_conventions() {
        let env = |k: &str| {
            match k {
                "AWS_DEFAULT_REGION" => Some("eu-central-1"),
                "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:4566"),
                "AWS_ENDPOINT_URL_SQS" => Some("http://127.0.0.1:9324"),
                "AWS_ACCESS_KEY_ID" => Some("id"),
                "AWS_SECRET_ACCESS_KEY" => Some("secret"),
                "AWS_MAX_ATTEMPTS" => Some("5"),
                "AWS_RETRY_MODE" => Some("adaptive"),
                "HOME" => Some("/nonexistent"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let b = ClientBuilder::default().load_env_with(env);
        assert_eq!(b.region.as_deref(), Some("eu-central-1"));
        assert_eq!(b.endpoint.url.as_deref(), Some("http://127.0.0.1:9324"));
        assert_eq!(b.retry.max_attempts, 5);
        assert_eq!(b.retry.mode, RetryMode::Adaptive);
        assert!(b.problems.is_empty(), "{:?}", b.problems);
    }

    #[tokio::test]
    async fn credentials_given_to_the_builder_win_over_the_environment() {
        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("AKENV".to_owned()),
            "AWS_SECRET_ACCESS_KEY" => Some("env-secret".to_owned()),
            "HOME" => Some("/nonexistent".to_owned()),
            _ => None,
        };
        let explicit = ClientBuilder::default()
            .credentials_provider(Credentials::new("AKEXPLICIT", "s"))
            .load_env_with(env);
        let creds = explicit.credentials.unwrap().provide_credentials().await;
        assert_eq!(creds.unwrap().access_key_id(), "AKEXPLICIT");
        // Without any, the environment's are taken.
        let from_env = ClientBuilder::default().load_env_with(env);
        let creds = from_env.credentials.unwrap().provide_credentials().await;
        assert_eq!(creds.unwrap().access_key_id(), "AKENV");
    }

    #[cfg(feature = "aws-config")]
    #[tokio::test]
    async fn an_sdk_config_sets_what_it_holds() {
        use aws_types::sdk_config::{RetryConfig as SdkRetry, TimeoutConfig};
        let sdk = aws_types::SdkConfig::builder()
            .region(aws_types::region::Region::new("eu-north-1"))
            .endpoint_url("http://127.0.0.1:9324")
            .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("AKSDK", "s", None, None, "test"),
            ))
            .retry_config(SdkRetry::adaptive().with_max_attempts(7))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_millis(1500))
                    .operation_attempt_timeout(Duration::from_secs(4))
                    .build(),
            )
            .build();
        let b = ClientBuilder::default()
            .timeouts(Timeouts {
                operation: Duration::from_secs(99),
                ..Timeouts::default()
            })
            .sdk_config(&sdk);
        assert_eq!(b.region.as_deref(), Some("eu-north-1"));
        assert_eq!(b.endpoint.url.as_deref(), Some("http://127.0.0.1:9324"));
        assert_eq!(
            (b.retry.mode, b.retry.max_attempts),
            (RetryMode::Adaptive, 7)
        );
        assert_eq!(b.timeouts.connect, Duration::from_millis(1500));
        assert_eq!(b.timeouts.attempt, Duration::from_secs(4));
        // Not in the SdkConfig: as the builder had it.
        assert_eq!(b.timeouts.operation, Duration::from_secs(99));
        let creds = b.credentials.clone().unwrap().provide_credentials().await;
        assert_eq!(creds.unwrap().access_key_id(), "AKSDK");
        assert!(b.build().is_ok());
    }

    #[test]
    fn bad_environment_values_fail_the_build() {
        let env = |k: &str| match k {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            "AWS_MAX_ATTEMPTS" => Some("zero".to_owned()),
            "HOME" => Some("/nonexistent".to_owned()),
            _ => None,
        };
        let err = ClientBuilder::default()
            .load_env_with(env)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("AWS_MAX_ATTEMPTS"), "{err}");
    }

    #[tokio::test]
    async fn profile_keys_and_region_from_the_shared_files() {
        let dir = std::env::temp_dir().join(format!("sqs-client-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("credentials"),
            "[work]\naws_access_key_id = AKWORK\naws_secret_access_key = s\n",
        )
        .unwrap();
        std::fs::write(dir.join("config"), "[profile work]\nregion = ap-south-1\n").unwrap();
        let (c, f) = (dir.join("credentials"), dir.join("config"));
        let env = move |k: &str| match k {
            "AWS_PROFILE" => Some("work".to_owned()),
            "AWS_SHARED_CREDENTIALS_FILE" => Some(c.display().to_string()),
            "AWS_CONFIG_FILE" => Some(f.display().to_string()),
            _ => None,
        };
        // Read with blocking calls, and on tokio's blocking pool: the same settings.
        let blocking = ClientBuilder::default().load_env_with(env.clone());
        let pooled = ClientBuilder::default().load_env_async_with(env).await;
        for b in [blocking, pooled] {
            assert_eq!(b.region.as_deref(), Some("ap-south-1"));
            let creds = b.credentials.unwrap().provide_credentials().await.unwrap();
            assert_eq!(creds.access_key_id(), "AKWORK");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
