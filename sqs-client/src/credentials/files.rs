//! Credentials and settings from the environment and the shared config and credentials files.

use std::path::PathBuf;

use super::identity::{Credentials, CredentialsError};

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
    /// (default `~/.aws/config`); missing files are simply empty. Blocks while reading: for
    /// building a client, not for async code (see [`load_async`](Self::load_async)).
    pub(crate) fn load(var: &dyn Fn(&str) -> Option<String>) -> Self {
        let (credentials, config) = Self::paths(var);
        let read = |p: Option<PathBuf>| p.and_then(|p| std::fs::read_to_string(p).ok());
        Self::parsed(read(credentials), read(config))
    }

    /// [`load`](Self::load) without blocking the runtime's thread: the files are read on
    /// tokio's blocking pool, so a slow file system (a network home, a pipe) stalls only this
    /// lookup.
    pub(crate) async fn load_async(var: &(dyn Fn(&str) -> Option<String> + Send + Sync)) -> Self {
        let (credentials, config) = Self::paths(var);
        async fn read(p: Option<PathBuf>) -> Option<String> {
            tokio::fs::read_to_string(p?).await.ok()
        }
        let (credentials, config) = (read(credentials).await, read(config).await);
        Self::parsed(credentials, config)
    }

    /// Where the credentials file and the config file are.
    fn paths(var: &dyn Fn(&str) -> Option<String>) -> (Option<PathBuf>, Option<PathBuf>) {
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from);
        let path = |env: &str, default: &str| {
            var(env)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
        };
        (
            path("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            path("AWS_CONFIG_FILE", "config"),
        )
    }

    fn parsed(credentials: Option<String>, config: Option<String>) -> Self {
        let mut files = SharedFiles::default();
        if let Some(text) = credentials {
            files.parse(&text, false);
        }
        if let Some(text) = config {
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
