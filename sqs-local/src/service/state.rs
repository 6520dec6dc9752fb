//! The service's state: queues by name, waiters for long polls, recently deleted names, move
//! tasks; and how requests name queues.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use crate::error::ApiError;
use crate::queue::Queue;

/// Seconds after a DeleteQueue during which the name cannot be reused, and after a PurgeQueue
/// during which another purge is refused.
pub(super) const COOLDOWN_MS: u64 = 60_000;

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Who sent a request. The service has one principal, its account: a signature only tells that
/// the sender holds one of the configured key pairs, so messages' `SenderId` names the account
/// (as AWS names the principal), never an access key id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller;

/// The whole service.
#[derive(Debug)]
pub(crate) struct Service {
    pub(crate) base_url: String,
    pub(crate) region: String,
    pub(crate) account: String,
    /// The signature check, when signatures are checked.
    pub(crate) verifier: Option<crate::auth::Verifier>,
    /// What a peer can make the service hold.
    pub(crate) limits: crate::config::Limits,
    pub(crate) state: Mutex<State>,
    /// The data directory's writer, when there is one.
    #[cfg(feature = "data-dir")]
    pub(crate) store: Option<crate::store::Store>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) queues: BTreeMap<String, Queue>,
    /// Woken when a queue gets a message (or goes away).
    pub(crate) waiters: HashMap<String, Arc<Notify>>,
    pub(super) deleted: HashMap<String, u64>,
    pub(crate) tasks: Vec<MoveTask>,
    /// Whether changes are tracked for a data directory.
    pub(crate) persistent: bool,
    /// The id of the queue created last (ids are never given twice in a data directory).
    pub(crate) last_queue_id: u64,
    /// Ids of queues deleted since the data directory last took the changes.
    pub(crate) dropped: Vec<u64>,
    /// Whether a move task started or changed since then.
    pub(crate) tasks_changed: bool,
}

impl State {
    pub(super) fn new_queue_id(&mut self) -> u64 {
        self.last_queue_id += 1;
        self.last_queue_id
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MoveTask {
    pub(crate) handle: String,
    pub(crate) source_arn: String,
    pub(crate) destination_arn: Option<String>,
    pub(crate) rate: Option<i32>,
    /// RUNNING, COMPLETED, CANCELLED or FAILED.
    pub(crate) status: &'static str,
    pub(crate) moved: i64,
    pub(crate) to_move: i64,
    pub(crate) started_ms: u64,
    pub(crate) failure: Option<String>,
}

impl Service {
    pub(crate) fn new(base_url: String, region: String, account: String) -> Self {
        Self {
            base_url,
            region,
            account,
            verifier: None,
            limits: crate::config::Limits::default(),
            state: Mutex::new(State::default()),
            #[cfg(feature = "data-dir")]
            store: None,
        }
    }

    /// Refuses a change that must be durable, before it is made, while the data directory
    /// cannot be written.
    pub(crate) fn writable(&self) -> Result<(), ApiError> {
        #[cfg(feature = "data-dir")]
        if let Some(store) = &self.store {
            return store.writable();
        }
        Ok(())
    }

    /// Waits until the changes made so far are in the data directory (at once without one).
    pub(crate) async fn saved(&self) -> Result<(), ApiError> {
        #[cfg(feature = "data-dir")]
        if let Some(store) = &self.store {
            return store.saved().await;
        }
        Ok(())
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a queue half-changed in a way later
        // requests could not cope with, so a poisoned lock is taken over.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn arn(&self, name: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{name}", self.region, self.account)
    }

    pub(crate) fn url(&self, name: &str) -> String {
        format!("{}/{}/{name}", self.base_url, self.account)
    }

    /// The queue name a queue URL names. Any host is accepted (clients may reach the service
    /// under another name); the account, when present, must be ours.
    pub(crate) fn name_from_url(&self, url: &str) -> Result<String, ApiError> {
        let path = match url.find("://") {
            Some(i) => url[i + 3..].split_once('/').map_or("", |(_, p)| p),
            None => url.trim_start_matches('/'),
        };
        let mut parts = path.trim_end_matches('/').rsplit('/');
        let name = parts.next().filter(|n| !n.is_empty());
        let account = parts.next();
        match (name, account) {
            (Some(n), Some(a)) if a == self.account || a == "queue" => Ok(n.to_owned()),
            (Some(n), None) => Ok(n.to_owned()),
            _ => Err(ApiError::no_queue()),
        }
    }

    pub(super) fn name_from_arn(&self, arn: &str) -> Option<String> {
        let rest = arn.strip_prefix("arn:aws:sqs:")?;
        let mut parts = rest.splitn(3, ':');
        let (_region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
        (account == self.account).then(|| name.to_owned())
    }
}
