//! STS: `AssumeRoleWithWebIdentity` (unsigned; EKS IRSA and other OIDC setups) and `AssumeRole`
//! (signed with source credentials; `role_arn` + `source_profile` in a profile). Both are AWS
//! Query calls whose XML answers are read with the same decoder as SQS's.

use std::time::{Duration, SystemTime};

use super::cache::parse_utc;
use super::identity::{
    Credentials, CredentialsError, CredentialsFuture, ProvideCredentials, SharedCredentialsProvider,
};
use super::providers::endpoint_client;
use crate::auth::{SigningInput, payload_hash, signed_headers};
use sqs_model::wire;

const WEB_IDENTITY: &str = "web identity";
const ASSUME_ROLE: &str = "assume role";

/// The STS endpoint: `AWS_ENDPOINT_URL_STS`, else the regional one (global when no region).
pub(crate) fn sts_endpoint(var: &dyn Fn(&str) -> Option<String>, region: Option<&str>) -> String {
    if let Some(url) = var("AWS_ENDPOINT_URL_STS").filter(|v| !v.trim().is_empty()) {
        return url.trim().trim_end_matches('/').to_owned();
    }
    match region {
        Some(r) if r.starts_with("cn-") => format!("https://sts.{r}.amazonaws.com.cn"),
        Some(r) => format!("https://sts.{r}.amazonaws.com"),
        None => "https://sts.amazonaws.com".to_owned(),
    }
}

fn default_session_name() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("sqs-rs-{secs}")
}

/// Posts a Query call to STS and reads `<Credentials>` out of the answer.
async fn call(
    provider: &'static str,
    endpoint: &str,
    form: String,
    signing: Option<(&Credentials, &str)>,
) -> Result<Credentials, CredentialsError> {
    let http = endpoint_client(provider, Duration::from_secs(10))?;
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let url = reqwest::Url::parse(endpoint)
        .map_err(|e| CredentialsError::new(provider, format!("STS endpoint {endpoint:?}: {e}")))?;
    let mut request = http.post(url.as_str());
    match signing {
        Some((creds, region)) => {
            let payload_hash = payload_hash(form.as_bytes());
            let headers = signed_headers(&SigningInput {
                url: &url,
                content_type,
                target: None,
                query_mode: false,
                payload_hash: &payload_hash,
                region,
                service: "sts",
                credentials: creds,
                now: SystemTime::now(),
            })
            .map_err(|why| CredentialsError::new(provider, why))?;
            request = request.headers(headers);
        }
        None => request = request.header("content-type", content_type),
    }
    let response = request
        .body(form)
        .send()
        .await
        .map_err(|e| CredentialsError::new(provider, format!("{endpoint}: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| CredentialsError::new(provider, e.to_string()))?;
    if !(200..300).contains(&status) {
        let why = match wire::decode_xml_error(&body) {
            Some(e) => format!("{} {}", e.code, e.message.unwrap_or_default()),
            None => format!("HTTP {status}"),
        };
        return Err(CredentialsError::new(
            provider,
            format!("STS refused: {}", why.trim()),
        ));
    }
    let root =
        wire::parse_xml(&body).map_err(|e| CredentialsError::new(provider, e.to_string()))?;
    let creds = root
        .children()
        .iter()
        .find_map(|result| result.child("Credentials"))
        .ok_or_else(|| CredentialsError::new(provider, "the STS answer holds no <Credentials>"))?;
    let field = |name: &str| {
        creds
            .child(name)
            .map(|n| n.text().trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                CredentialsError::new(provider, format!("the STS answer lacks <{name}>"))
            })
    };
    let expiration = field("Expiration")?;
    let expires = parse_utc(&expiration).ok_or_else(|| {
        CredentialsError::new(
            provider,
            format!("Expiration {expiration:?} is not a UTC time"),
        )
    })?;
    Ok(
        Credentials::new(field("AccessKeyId")?, field("SecretAccessKey")?)
            .with_session_token(field("SessionToken")?)
            .with_expiry(expires),
    )
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Exchanges an OIDC token (read from a file on every call, as it rotates) for role credentials.
#[derive(Debug, Clone)]
pub struct WebIdentityProvider {
    token_file: String,
    role_arn: String,
    session_name: String,
    endpoint: String,
}

impl WebIdentityProvider {
    /// A provider for `role_arn`, reading the token from `token_file`, calling STS at `endpoint`.
    pub fn new(
        token_file: impl Into<String>,
        role_arn: impl Into<String>,
        session_name: Option<String>,
        endpoint: impl Into<String>,
    ) -> Self {
        Self {
            token_file: token_file.into(),
            role_arn: role_arn.into(),
            session_name: session_name.unwrap_or_else(default_session_name),
            endpoint: endpoint.into(),
        }
    }

    /// From `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME`; `None` when
    /// not configured.
    pub(crate) fn from_env_with(
        var: &dyn Fn(&str) -> Option<String>,
        region: Option<&str>,
    ) -> Option<Result<Self, CredentialsError>> {
        let non_empty = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let file = non_empty("AWS_WEB_IDENTITY_TOKEN_FILE")?;
        let Some(role) = non_empty("AWS_ROLE_ARN") else {
            return Some(Err(CredentialsError::new(
                WEB_IDENTITY,
                "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not",
            )));
        };
        Some(Ok(Self::new(
            file,
            role,
            non_empty("AWS_ROLE_SESSION_NAME"),
            sts_endpoint(var, region),
        )))
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let token = tokio::fs::read_to_string(&self.token_file)
            .await
            .map_err(|e| {
                CredentialsError::new(WEB_IDENTITY, format!("token file {}: {e}", self.token_file))
            })?;
        let body = form(&[
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", "2011-06-15"),
            ("RoleArn", &self.role_arn),
            ("RoleSessionName", &self.session_name),
            ("WebIdentityToken", token.trim()),
        ]);
        call(WEB_IDENTITY, &self.endpoint, body, None).await
    }
}

impl ProvideCredentials for WebIdentityProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}

/// Assumes a role with credentials from another provider (`role_arn` with `source_profile`).
#[derive(Debug, Clone)]
pub struct AssumeRoleProvider {
    source: SharedCredentialsProvider,
    role_arn: String,
    session_name: String,
    external_id: Option<String>,
    endpoint: String,
    region: String,
}

impl AssumeRoleProvider {
    /// Assumes `role_arn` with the credentials of `source`, calling STS at `endpoint` and signing
    /// for `region`.
    pub fn new(
        source: SharedCredentialsProvider,
        role_arn: impl Into<String>,
        session_name: Option<String>,
        external_id: Option<String>,
        endpoint: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Self {
            source,
            role_arn: role_arn.into(),
            session_name: session_name.unwrap_or_else(default_session_name),
            external_id,
            endpoint: endpoint.into(),
            region: region.into(),
        }
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let source =
            self.source.provide_credentials().await.map_err(|e| {
                CredentialsError::new(ASSUME_ROLE, format!("source credentials: {e}"))
            })?;
        let mut pairs = vec![
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", self.role_arn.as_str()),
            ("RoleSessionName", self.session_name.as_str()),
        ];
        if let Some(id) = &self.external_id {
            pairs.push(("ExternalId", id));
        }
        call(
            ASSUME_ROLE,
            &self.endpoint,
            form(&pairs),
            Some((&source, &self.region)),
        )
        .await
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.fetch())
    }
}
