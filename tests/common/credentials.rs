//! What the credential tests share: fake credential answers, temp dirs, isolated chains, an
//! IMDS stand-in.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use sqs_client::credentials::DefaultChain;
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRETKEY";
pub const TOKEN: &str = "IQoJb3JpZ2luX2VjSESSIONTOKENSECRET";

pub fn creds_json(id: &str, expiration: &str) -> String {
    format!(
        r#"{{"Code": "Success", "AccessKeyId": "{id}", "SecretAccessKey": "{SECRET}", "Token": "{TOKEN}", "Expiration": "{expiration}"}}"#
    )
}

pub fn sts_answer(action: &str, id: &str) -> String {
    format!(
        "<{action}Response><{action}Result><Credentials><AccessKeyId>{id}</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></{action}Result></{action}Response>"
    )
}

/// A temp dir removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sqs-creds-{tag}-{}-{}",
            std::process::id(),
            fastrand_u64()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn file(&self, name: &str, contents: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn fastrand_u64() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

pub fn chain(vars: &[(&str, String)]) -> DefaultChain {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    DefaultChain::from_vars(move |k| map.get(k).cloned())
}

/// Variables that keep a chain away from the real machine: no home files, IMDS disabled.
pub fn isolated(dir: &TempDir) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", dir.0.display().to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

pub async fn mount_imds(server: &MockServer, id: &str) {
    Mock::given(method("PUT"))
        .and(path("/latest/api/token"))
        .and(header_exists("x-aws-ec2-metadata-token-ttl-seconds"))
        .respond_with(ResponseTemplate::new(200).set_body_string("imds-token"))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/iam/security-credentials/"))
        .and(header("x-aws-ec2-metadata-token", "imds-token"))
        .respond_with(ResponseTemplate::new(200).set_body_string("app-role\n"))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/iam/security-credentials/app-role"))
        .and(header("x-aws-ec2-metadata-token", "imds-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(creds_json(id, "2030-01-01T00:00:00Z")),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/placement/region"))
        .respond_with(ResponseTemplate::new(200).set_body_string("eu-north-1"))
        .mount(server)
        .await;
}

pub fn humantime(t: SystemTime) -> String {
    // Formats as ISO 8601 UTC (enough for these tests).
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
