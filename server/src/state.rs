//! What the server holds, split by domain: the shared core, and the parts only sync, the
//! web or the mail worker use, with the sub-states the HTTP handlers extract.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;

use crate::accounts::HashingLimiter;
use crate::collection::{MetaCache, UserLocks};
use crate::config::Config;
use crate::store::{Store, StoreError};
use crate::sync::HostKeyCache;

/// Everything the server holds, by domain. The HTTP handlers take only their domain's
/// part ([`SyncState`], [`WebState`], through axum's `FromRef`), so a sync handler
/// cannot reach the web's rate limits or the mail worker, and the reverse; the control
/// socket and the mail worker, which serve the whole server, take all of it.
pub struct AppState {
    pub core: Arc<Core>,
    pub sync: Arc<SyncDomain>,
    pub web: Arc<WebDomain>,
    pub mail: Arc<MailDomain>,
}

/// What every domain shares: the configuration, the account store, the credentials
/// cache, and the per-user collection domain (locks, kept files, what is being studied).
pub struct Core {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub host_keys: HostKeyCache,
    pub user_locks: UserLocks,
    /// What `meta` reports about each user's files, kept between syncs.
    pub files_meta: MetaCache,
    /// Each user's media database, kept open between requests.
    pub media_dbs: crate::sync::media::OpenMediaDbs,
    /// Each user's collection connection, kept open between normal syncs.
    pub collections: crate::collection::OpenCollections,
    /// The card each user's study screen shows, and the answer undo would take back.
    pub studying: crate::collection::study::Studying,
    pub hashing: HashingLimiter,
    /// The one login-limit policy of every password check (see [`crate::login_gate`]).
    pub login_limits: crate::accounts::LoginLimits,
    /// The clock of tokens and web sessions (tests move it; see [`crate::clock::Clock`]).
    pub clock: crate::clock::Clock,
    pub started: Instant,
    /// The HTTPS listener's certificate, when it serves HTTPS (SIGHUP reloads it).
    pub tls: std::sync::OnceLock<Arc<crate::http::tls::CertStore>>,
    /// Set once an account is known to exist: until then the sign-in page says how to
    /// create the first admin (and asks the database each time; after that, never).
    pub accounts_exist: std::sync::atomic::AtomicBool,
}

/// The sync protocol's own state.
#[derive(Default)]
pub struct SyncDomain {
    /// Normal syncs in progress (their count is reported by `Status`).
    pub normal_syncs: crate::sync::normal::NormalSyncs,
}

/// The web pages' own state.
#[derive(Default)]
pub struct WebDomain {
    pub limits: crate::web::RateLimits,
}

/// The mail worker and its settings, which the web wakes when it queues a message.
pub struct MailDomain {
    pub mailer: crate::mail::Mailer,
    /// SMTP from the file, environment or flags; SIGHUP replaces it.
    pub smtp_config: std::sync::RwLock<Option<crate::config::SmtpSettings>>,
}

impl MailDomain {
    pub fn smtp_from_config(&self) -> Option<crate::config::SmtpSettings> {
        self.smtp_config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// What a sync handler can reach.
#[derive(Clone)]
pub struct SyncState {
    pub core: Arc<Core>,
    pub sync: Arc<SyncDomain>,
}

/// What a web handler can reach.
#[derive(Clone)]
pub struct WebState {
    pub core: Arc<Core>,
    pub web: Arc<WebDomain>,
    pub mail: Arc<MailDomain>,
}

impl FromRef<Arc<AppState>> for SyncState {
    fn from_ref(app: &Arc<AppState>) -> SyncState {
        SyncState {
            core: Arc::clone(&app.core),
            sync: Arc::clone(&app.sync),
        }
    }
}

impl FromRef<Arc<AppState>> for WebState {
    fn from_ref(app: &Arc<AppState>) -> WebState {
        WebState {
            core: Arc::clone(&app.core),
            web: Arc::clone(&app.web),
            mail: Arc::clone(&app.mail),
        }
    }
}

/// Each state reads the shared core as its own fields (`state.config`, `state.store`).
macro_rules! deref_to_core {
    ($($state:ty),*) => {$(
        impl std::ops::Deref for $state {
            type Target = Core;

            fn deref(&self) -> &Core {
                &self.core
            }
        }
    )*};
}
deref_to_core!(AppState, SyncState, WebState);

#[derive(Debug, thiserror::Error)]
pub enum BlockingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blocking task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl AppState {
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        let mail = MailDomain {
            mailer: Default::default(),
            smtp_config: std::sync::RwLock::new(config.smtp.clone()),
        };
        let core = Core {
            hashing: HashingLimiter::new(config.hashing_concurrency),
            login_limits: crate::accounts::LoginLimits::new(config.login_policy),
            clock: Default::default(),
            config,
            store,
            host_keys: HostKeyCache::default(),
            user_locks: UserLocks::default(),
            files_meta: MetaCache::default(),
            media_dbs: Default::default(),
            collections: Default::default(),
            studying: Default::default(),
            started: Instant::now(),
            accounts_exist: Default::default(),
            tls: Default::default(),
        };
        AppState {
            core: Arc::new(core),
            sync: Default::default(),
            web: Default::default(),
            mail: Arc::new(mail),
        }
    }
}

impl Core {
    /// Whether no account exists yet (a fresh install). Once one does, the answer is
    /// remembered: accounts are never all deleted in the normal course of things, and if
    /// they are, the start-up log still says what to do.
    pub async fn is_first_run(&self) -> bool {
        use std::sync::atomic::Ordering;
        if self.accounts_exist.load(Ordering::Relaxed) {
            return false;
        }
        match self.with_store(|s| s.list_users()).await {
            Ok(users) if users.is_empty() => true,
            Ok(_) => {
                self.accounts_exist.store(true, Ordering::Relaxed);
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot count accounts");
                false
            }
        }
    }

    /// The command that creates the first admin, as the operator would type it.
    pub fn first_admin_command(&self) -> String {
        format!(
            "adminctl --data-dir {} user add --admin NAME EMAIL",
            self.config.data_dir.display()
        )
    }

    /// Runs a store call on the blocking pool, never on an async worker.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, BlockingError>
    where
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let store = Arc::clone(&self.store);
        Ok(tokio::task::spawn_blocking(move || f(&*store)).await??)
    }

    /// Applies a change made elsewhere (or in-process): reloads the user, evicts cached
    /// keys older than `credential_generation` (all of them if the user is gone or
    /// disabled) and forgets the cached file facts. Returns how many keys were evicted.
    pub async fn refresh_user(
        &self,
        user_id: i64,
        credential_generation: i64,
    ) -> Result<u32, BlockingError> {
        self.files_meta.forget(user_id);
        self.studying.forget(user_id);
        // Their files may have been replaced or removed: close what is kept open (closing
        // checkpoints, so on the blocking pool).
        let closing = (
            self.media_dbs.remove(user_id),
            self.collections.remove(user_id),
        );
        tokio::task::spawn_blocking(move || drop(closing)).await?;
        let user = self.with_store(move |s| s.user_by_id(user_id)).await?;
        let keep_from = match user {
            Some(u) if !u.disabled => Some(credential_generation.max(u.credential_generation)),
            _ => None,
        };
        Ok(self.host_keys.evict_user(user_id, keep_from))
    }

    /// The first change of a (UTC) day to a user's collection, by a sync or an answer on
    /// the web, is followed by its daily snapshot (DESIGN §12), off the request path: the
    /// client has its answer already, and the copy waits for the user's lock like any
    /// request.
    pub fn daily_snapshot_after_change(self: &Arc<Self>, user_id: i64) {
        use crate::collection::snapshots;
        let Some(policy) = self.config.backups else {
            return;
        };
        let core = Arc::clone(self);
        tokio::spawn(async move {
            let data_dir = core.config.data_dir.clone();
            let now = core.clock.now();
            // Most changes of a day come after its snapshot: a look at the folder's names,
            // on the blocking pool and without the user's lock, settles those.
            let (dir, at) = (data_dir.clone(), now);
            let due =
                tokio::task::spawn_blocking(move || snapshots::daily_due(&dir, user_id, at)).await;
            if !matches!(due, Ok(Ok(true))) {
                return;
            }
            let serialised = core.user_locks.lock(user_id).await;
            let taken = tokio::task::spawn_blocking(move || {
                let _serialised = serialised;
                // Asked again under the lock: another change's snapshot may have come first.
                if !snapshots::daily_due(&data_dir, user_id, now)? {
                    return Ok(None);
                }
                let taken = snapshots::take(&data_dir, user_id, snapshots::Reason::Daily, now)?;
                snapshots::prune(&data_dir, user_id, &policy)?;
                Ok::<_, snapshots::SnapshotError>(taken)
            })
            .await;
            match taken {
                Ok(Ok(Some(snapshot))) => {
                    tracing::info!(user_id, snapshot = %snapshot.id, "daily snapshot taken")
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::error!(user_id, error = %e, "daily snapshot failed"),
                Err(e) => tracing::error!(user_id, error = %e, "daily snapshot task failed"),
            }
        });
    }
}
