//! How the service runs: where, as which account, whose signatures it accepts, and the limits
//! that bound what any peer can make it hold.

use std::net::SocketAddr;
use std::time::Duration;

/// Where and as whom the service runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Address to listen on; `127.0.0.1:0` (a free port on the loopback) by default.
    pub listen: SocketAddr,
    /// Region named in queue ARNs, and the region of the credential scope signed requests
    /// must carry (`us-east-1` by default).
    pub region: String,
    /// Account id in queue URLs and ARNs (`000000000000` by default).
    pub account_id: String,
    /// Host name used in queue URLs instead of the listening address (for a service reached
    /// under another name).
    pub public_host: Option<String>,
    /// Key pairs whose SigV4 signatures are accepted; empty means requests are not checked.
    pub signing_keys: Vec<SigningKey>,
    /// What a peer can make the service hold.
    pub limits: Limits,
    /// Where queues and messages are kept across restarts; `None` (the default) keeps them in
    /// memory only. See [`data_dir`](Self::data_dir).
    #[cfg(feature = "data-dir")]
    pub data_dir: Option<std::path::PathBuf>,
    /// How long a receive or a visibility change may wait to be written to the data directory
    /// when nothing else is (1 s). See [`lazy_sync`](Self::lazy_sync).
    #[cfg(feature = "data-dir")]
    pub lazy_sync: Duration,
}

/// A key pair whose signatures the service accepts.
#[derive(Clone)]
#[non_exhaustive]
pub struct SigningKey {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: String,
    /// The session token of temporary credentials: requests signed with this pair must carry
    /// it. With `None`, a request that carries any token is refused.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Bounds on connections, time and bytes. The defaults suit a development server that may be
/// reached from a network: at most [`max_connections`](Self::max_connections) ×
/// [`max_request_bytes`](Self::max_request_bytes) of request bodies are ever held, and a
/// connection that sends nothing useful is closed within the header or idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Connections served at once (1,024). Beyond it, a new connection is answered `503` and
    /// closed at once.
    pub max_connections: usize,
    /// Largest request body (4 MiB: a 1 MiB batch, form-encoded at up to three bytes per byte,
    /// fits). A declared `Content-Length` above it is refused before the body is read; a
    /// chunked body is counted as it arrives.
    pub max_request_bytes: usize,
    /// Time for a request head to arrive, from its first byte (10 s).
    pub header_timeout: Duration,
    /// Time for a request body to arrive, from the end of its head (30 s).
    pub body_timeout: Duration,
    /// Time a kept-alive connection may wait for its next request (60 s).
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_request_bytes: 4 * 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            public_host: None,
            signing_keys: Vec::new(),
            limits: Limits::default(),
            #[cfg(feature = "data-dir")]
            data_dir: None,
            #[cfg(feature = "data-dir")]
            lazy_sync: Duration::from_secs(1),
        }
    }
}

impl Config {
    /// Listens on this address.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// Names this region in ARNs (and wants it in signed requests' credential scope).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
    /// Uses this account id in URLs and ARNs.
    pub fn account_id(mut self, account: impl Into<String>) -> Self {
        self.account_id = account.into();
        self
    }
    /// Checks every request's SigV4 signature; requests must be signed with this key pair (or
    /// another one given the same way) and carry no session token.
    pub fn verify_signatures(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.signing_keys.push(SigningKey {
            access_key_id: access_key_id.into(),
            secret: secret.into(),
            session_token: None,
        });
        self
    }
    /// Like [`verify_signatures`](Self::verify_signatures), for temporary credentials: requests
    /// signed with this key pair must carry this session token.
    pub fn verify_temporary_signatures(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
        session_token: impl Into<String>,
    ) -> Self {
        self.signing_keys.push(SigningKey {
            access_key_id: access_key_id.into(),
            secret: secret.into(),
            session_token: Some(session_token.into()),
        });
        self
    }
    /// Writes queue URLs with this host (and the listening port).
    pub fn public_host(mut self, host: impl Into<String>) -> Self {
        self.public_host = Some(host.into());
        self
    }
    /// Serves at most this many connections at once.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = max;
        self
    }
    /// Refuses request bodies larger than this.
    pub fn max_request_bytes(mut self, max: usize) -> Self {
        self.limits.max_request_bytes = max;
        self
    }
    /// Closes a connection whose request head takes longer than this to arrive.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_timeout = timeout;
        self
    }
    /// Refuses a request whose body takes longer than this to arrive.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_timeout = timeout;
        self
    }
    /// Closes a kept-alive connection that waits longer than this for its next request.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// Keeps queues and messages in this directory, so they survive a restart or a crash. It is
    /// created if missing; it must be empty or hold an earlier sqs-local's data, and one process
    /// uses it at a time.
    ///
    /// An acknowledged send, delete, queue, attribute or tag change is written and synced before
    /// its answer (requests that arrive together share one sync). Receives and visibility
    /// changes are written with the next sync or within [`lazy_sync`](Self::lazy_sync): after a
    /// crash, a message may be visible again sooner, or show fewer receives, than before it;
    /// nothing acknowledged is lost. A write that fails (a full disk) is answered with a
    /// 500-class error that clients retry.
    #[cfg(feature = "data-dir")]
    pub fn data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Writes receives and visibility changes to the data directory at least this often (1 s by
    /// default) when no durable request makes a write sooner: the longest a crash can take back.
    /// Shorter costs more writes when only receives come in; durable requests never wait for it.
    #[cfg(feature = "data-dir")]
    pub fn lazy_sync(mut self, interval: Duration) -> Self {
        self.lazy_sync = interval;
        self
    }
}
