//! Providers that fetch credentials: the container endpoint (ECS, Fargate, EKS Pod Identity), EC2
//! instance metadata (IMDSv2), and an external `credential_process`.

use std::time::Duration;

use serde::Deserialize;

use super::cache::parse_utc;
use super::identity::{Credentials, CredentialsError, CredentialsFuture, ProvideCredentials};

/// The HTTP client of the credential endpoints (instance metadata, container, STS): one for the
/// whole process, made at first use, so that fetches share its connections; every request it
/// makes has the time limit of its [`EndpointClient`].
fn shared_endpoint_http() -> Result<reqwest::Client, String> {
    static HTTP: std::sync::OnceLock<Result<reqwest::Client, String>> = std::sync::OnceLock::new();
    HTTP.get_or_init(|| {
        crate::tls::install_crypto_provider();
        reqwest::Client::builder()
            // Short, so that looking for instance metadata off EC2 does not stall a laptop.
            .connect_timeout(Duration::from_secs(1))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("HTTP client: {e}"))
    })
    .clone()
}

/// The shared HTTP client of the credential endpoints, with a time limit for each request.
#[derive(Debug, Clone)]
pub(crate) struct EndpointClient {
    http: reqwest::Client,
    timeout: Duration,
}

impl EndpointClient {
    pub(crate) fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.http.get(url).timeout(self.timeout)
    }
    pub(crate) fn put(&self, url: &str) -> reqwest::RequestBuilder {
        self.http.put(url).timeout(self.timeout)
    }
    pub(crate) fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.http.post(url).timeout(self.timeout)
    }
}

/// The client for `provider`'s endpoint, each request limited to `total`.
pub(crate) fn endpoint_client(
    provider: &'static str,
    total: Duration,
) -> Result<EndpointClient, CredentialsError> {
    let http = shared_endpoint_http().map_err(|e| CredentialsError::new(provider, e))?;
    Ok(EndpointClient {
        http,
        timeout: total,
    })
}

/// The JSON the container endpoint and IMDS answer with.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EndpointCredentials {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

fn from_endpoint_json(
    provider: &'static str,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    let parsed: EndpointCredentials = serde_json::from_slice(body).map_err(|e| {
        CredentialsError::new(provider, format!("the answer is not credentials JSON: {e}"))
    })?;
    if let Some(code) = parsed.code.filter(|c| c != "Success") {
        return Err(CredentialsError::new(
            provider,
            format!(
                "the endpoint answered {code}: {}",
                parsed.message.unwrap_or_default()
            ),
        ));
    }
    let (Some(id), Some(secret)) = (parsed.access_key_id, parsed.secret_access_key) else {
        return Err(CredentialsError::new(
            provider,
            "the answer lacks AccessKeyId or SecretAccessKey",
        ));
    };
    let mut creds = Credentials::new(id, secret);
    if let Some(token) = parsed.token {
        creds = creds.with_session_token(token);
    }
    if let Some(at) = parsed.expiration {
        let at = parse_utc(&at).ok_or_else(|| {
            CredentialsError::new(provider, format!("Expiration {at:?} is not a UTC time"))
        })?;
        creds = creds.with_expiry(at);
    }
    Ok(creds)
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Credentials from the container credentials endpoint: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
/// (against 169.254.170.2) or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the authorization token
/// from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every call, as it rotates) or
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`. This covers ECS, Fargate and EKS Pod Identity.
#[derive(Clone)]
pub struct ContainerProvider {
    url: String,
    token: Option<String>,
    token_file: Option<String>,
}

impl std::fmt::Debug for ContainerProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerProvider")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "** redacted **"))
            .field("token_file", &self.token_file)
            .finish()
    }
}

const CONTAINER: &str = "container";

impl ContainerProvider {
    /// Reads the configuration; `None` when the environment names no container endpoint.
    pub fn from_env() -> Option<Result<Self, CredentialsError>> {
        Self::from_env_with(&|k| std::env::var(k).ok())
    }

    /// Reads the configuration from another source of variables than the process environment.
    pub fn from_env_with(
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Result<Self, CredentialsError>> {
        let non_empty = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let url = if let Some(relative) = non_empty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            format!("http://169.254.170.2{}", relative.trim())
        } else {
            let full = non_empty("AWS_CONTAINER_CREDENTIALS_FULL_URI")?;
            if let Err(why) = check_full_uri(full.trim()) {
                return Some(Err(CredentialsError::new(CONTAINER, why)));
            }
            full.trim().to_owned()
        };
        Some(Ok(Self {
            url,
            token: non_empty("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
            token_file: non_empty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
        }))
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let token = match &self.token_file {
            Some(path) => Some(
                tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| {
                        CredentialsError::new(CONTAINER, format!("token file {path}: {e}"))
                    })?
                    .trim()
                    .to_owned(),
            ),
            None => self.token.clone(),
        };
        if token.as_deref().is_some_and(|t| t.contains(['\r', '\n'])) {
            return Err(CredentialsError::new(
                CONTAINER,
                "the authorization token holds a line break",
            ));
        }
        let http = endpoint_client(CONTAINER, Duration::from_secs(5))?;
        let mut request = http.get(&self.url).header("accept", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", token);
        }
        let response = request.send().await.map_err(|e| {
            CredentialsError::new(CONTAINER, format!("{}: {}", self.url, describe(&e)))
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| CredentialsError::new(CONTAINER, describe(&e)))?;
        if !status.is_success() {
            return Err(CredentialsError::new(
                CONTAINER,
                format!(
                    "{} answered HTTP {}: {}",
                    self.url,
                    status.as_u16(),
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ),
            ));
        }
        from_endpoint_json(CONTAINER, &body)
    }
}

/// A full URI must be HTTPS, or HTTP to a loopback or a container-credentials address.
fn check_full_uri(uri: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(uri)
        .map_err(|e| format!("AWS_CONTAINER_CREDENTIALS_FULL_URI {uri:?}: {e}"))?;
    if url.scheme() == "https" {
        return Ok(());
    }
    let allowed = match url.host() {
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback()
                || ip == std::net::Ipv4Addr::new(169, 254, 170, 2)
                || ip == std::net::Ipv4Addr::new(169, 254, 170, 23)
        }
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.segments() == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23]
        }
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if url.scheme() == "http" && allowed {
        Ok(())
    } else {
        Err(format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI {uri:?} must be https, or http to a loopback or container address"
        ))
    }
}

impl ProvideCredentials for ContainerProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}

/// Credentials of the instance role from EC2 instance metadata, with IMDSv2 session tokens.
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves the endpoint; `AWS_EC2_METADATA_DISABLED=true` turns
/// it off. Each request gives up after one second.
#[derive(Debug, Clone)]
pub struct ImdsProvider {
    endpoint: String,
}

const IMDS: &str = "instance metadata";

impl ImdsProvider {
    /// Reads the configuration; `None` when IMDS is disabled.
    pub fn from_env() -> Option<Self> {
        Self::from_env_with(&|k| std::env::var(k).ok())
    }

    /// Instance metadata at another endpoint (`http://127.0.0.1:1338`, an IPv6 address, ...).
    pub fn from_env_with_endpoint(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
        }
    }

    pub(crate) fn from_env_with(var: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        if var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return None;
        }
        let endpoint = var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "http://169.254.169.254".into());
        Some(Self {
            endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
        })
    }

    async fn get(
        &self,
        http: &EndpointClient,
        token: &str,
        path: &str,
    ) -> Result<String, CredentialsError> {
        let url = format!("{}{path}", self.endpoint);
        let response = http
            .get(&url)
            .header("x-aws-ec2-metadata-token", token)
            .send()
            .await
            .map_err(|e| CredentialsError::new(IMDS, format!("{url}: {}", describe(&e))))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| CredentialsError::new(IMDS, describe(&e)))?;
        if !status.is_success() {
            return Err(CredentialsError::new(
                IMDS,
                format!("{url} answered HTTP {}", status.as_u16()),
            ));
        }
        Ok(text)
    }

    async fn token(&self, http: &EndpointClient) -> Result<String, CredentialsError> {
        let url = format!("{}/latest/api/token", self.endpoint);
        let response = http
            .put(&url)
            .header("x-aws-ec2-metadata-token-ttl-seconds", "21600")
            .send()
            .await
            .map_err(|e| CredentialsError::new(IMDS, format!("{url}: {}", describe(&e))))?;
        let status = response.status();
        let token = response
            .text()
            .await
            .map_err(|e| CredentialsError::new(IMDS, describe(&e)))?;
        if !status.is_success() || token.trim().is_empty() {
            return Err(CredentialsError::new(
                IMDS,
                format!("no session token from {url} (HTTP {})", status.as_u16()),
            ));
        }
        Ok(token.trim().to_owned())
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let http = endpoint_client(IMDS, Duration::from_secs(1))?;
        let token = self.token(&http).await?;
        let roles = self
            .get(&http, &token, "/latest/meta-data/iam/security-credentials/")
            .await?;
        let role = roles
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .ok_or_else(|| CredentialsError::new(IMDS, "the instance has no IAM role"))?
            .to_owned();
        let body = self
            .get(
                &http,
                &token,
                &format!("/latest/meta-data/iam/security-credentials/{role}"),
            )
            .await?;
        from_endpoint_json(IMDS, body.as_bytes())
    }

    /// The region the instance runs in.
    pub async fn region(&self) -> Result<String, CredentialsError> {
        let http = endpoint_client(IMDS, Duration::from_secs(1))?;
        let token = self.token(&http).await?;
        let region = self
            .get(&http, &token, "/latest/meta-data/placement/region")
            .await?;
        Ok(region.trim().to_owned())
    }
}

impl ProvideCredentials for ImdsProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}

/// Credentials printed by an external program (`credential_process` in a profile), run through
/// the shell; it must print JSON with `"Version": 1`.
#[derive(Debug, Clone)]
pub struct ProcessProvider {
    command: String,
}

const PROCESS: &str = "credential_process";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput {
    version: Option<u32>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    expiration: Option<String>,
}

impl ProcessProvider {
    /// Runs `command` (a shell command line) when credentials are needed: through `sh -c` on
    /// Unix and `cmd /C` on Windows, as the AWS CLI and SDKs run `credential_process`.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
        }
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let (shell, flag) = if cfg!(windows) {
            ("cmd", "/C")
        } else {
            ("sh", "-c")
        };
        let run = tokio::process::Command::new(shell)
            .arg(flag)
            .arg(&self.command)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .map_err(|_| CredentialsError::new(PROCESS, "the program did not finish within 60 s"))?
            .map_err(|e| CredentialsError::new(PROCESS, format!("could not run it: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(CredentialsError::new(
                PROCESS,
                format!(
                    "the program failed ({}): {}",
                    output.status,
                    stderr.trim().chars().take(300).collect::<String>()
                ),
            ));
        }
        // The output holds secrets: never quote it in errors.
        let parsed: ProcessOutput = serde_json::from_slice(&output.stdout).map_err(|e| {
            CredentialsError::new(
                PROCESS,
                format!(
                    "the program did not print credentials JSON (at line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if parsed.version != Some(1) {
            return Err(CredentialsError::new(
                PROCESS,
                format!("Version must be 1, not {:?}", parsed.version),
            ));
        }
        let (Some(id), Some(secret)) = (parsed.access_key_id, parsed.secret_access_key) else {
            return Err(CredentialsError::new(
                PROCESS,
                "the output lacks AccessKeyId or SecretAccessKey",
            ));
        };
        let mut creds = Credentials::new(id, secret);
        if let Some(token) = parsed.session_token {
            creds = creds.with_session_token(token);
        }
        if let Some(at) = parsed.expiration {
            creds = creds.with_expiry(parse_utc(&at).ok_or_else(|| {
                CredentialsError::new(PROCESS, format!("Expiration {at:?} is not a UTC time"))
            })?);
        }
        Ok(creds)
    }
}

impl ProvideCredentials for ProcessProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container endpoint on 127.0.0.1 that keeps connections open and counts them.
    fn counting_endpoint() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/creds", listener.local_addr().unwrap());
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&accepted);
        std::thread::spawn(move || {
            // Bounded: a few connections, each answering a few requests; the thread ends with
            // the test process.
            for stream in listener.incoming().take(4) {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Ok(mut stream) = stream else { continue };
                std::thread::spawn(move || {
                    let body = r#"{"AccessKeyId":"AKC","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z"}"#;
                    let mut buf = [0u8; 4096];
                    for _ in 0..8 {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if stream.write_all(answer.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (url, accepted)
    }

    #[tokio::test]
    async fn credential_fetches_share_one_http_client_and_its_connections() {
        let (url, accepted) = counting_endpoint();
        let var = |k: &str| (k == "AWS_CONTAINER_CREDENTIALS_FULL_URI").then(|| url.clone());
        let provider = ContainerProvider::from_env_with(&var).unwrap().unwrap();
        for _ in 0..3 {
            let creds = provider.provide_credentials().await.unwrap();
            assert_eq!(creds.access_key_id(), "AKC");
        }
        // A client made per fetch would have opened a connection per fetch.
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn full_uris_must_be_safe() {
        assert!(check_full_uri("http://127.0.0.1:8080/creds").is_ok());
        assert!(check_full_uri("http://169.254.170.23/v1/credentials").is_ok());
        assert!(check_full_uri("http://[fd00:ec2::23]/v1/credentials").is_ok());
        assert!(check_full_uri("https://creds.example.com/x").is_ok());
        assert!(check_full_uri("http://10.0.0.5/creds").is_err());
        assert!(check_full_uri("http://evil.example.com/creds").is_err());
    }

    #[tokio::test]
    async fn process_success_failure_and_bad_json() {
        let ok = ProcessProvider::new(
            r#"printf '{"Version": 1, "AccessKeyId": "AKPROC", "SecretAccessKey": "s3cr3t", "SessionToken": "tok", "Expiration": "2030-01-01T00:00:00Z"}'"#,
        );
        let c = ok.provide_credentials().await.unwrap();
        assert_eq!(
            (c.access_key_id(), c.session_token()),
            ("AKPROC", Some("tok"))
        );
        assert!(c.expires_at().is_some());

        let failing = ProcessProvider::new("echo 'no session' >&2; exit 3");
        let e = failing.provide_credentials().await.unwrap_err().to_string();
        assert!(e.contains("no session") && e.contains('3'), "{e}");

        let garbage = ProcessProvider::new(
            "echo '{\"Version\": 1, \"AccessKeyId\": \"AK\", \"SecretAccessKey\": \"leaked-secret\"'",
        );
        let e = garbage.provide_credentials().await.unwrap_err().to_string();
        assert!(
            e.contains("did not print credentials JSON") && !e.contains("leaked-secret"),
            "{e}"
        );

        let wrong_version = ProcessProvider::new(
            r#"printf '{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "B"}'"#,
        );
        assert!(
            wrong_version
                .provide_credentials()
                .await
                .unwrap_err()
                .to_string()
                .contains("Version must be 1")
        );
    }
}
