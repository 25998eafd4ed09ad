//! Typed configuration, parsed once: command-line flags, then environment variables, then
//! an optional TOML file, then built-in defaults. The server and adminctl share
//! [`GlobalOptions`] so both find the same database and socket the same way.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::accounts::{PasswordPolicy, DEFAULT_MAX_HOST_KEYS_PER_USER, DEFAULT_MIN_PASSWORD_CHARS};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "data";
/// Read when no config file is named: a packaged install keeps its settings here, so the
/// server and adminctl (from a root shell, with no flags) agree on the database and socket.
pub const SYSTEM_CONFIG: &str = "/etc/flashcard-flow/config.toml";
pub const CONTROL_SOCKET_NAME: &str = "control.sock";
/// The official server's default cap (3 x MAX_SYNC_PAYLOAD_MEGS).
pub const DEFAULT_MAX_COLLECTION_MB: u64 = 300;
/// A year: what browsers' preload lists ask for.
pub const DEFAULT_HSTS_MAX_AGE_SECS: u64 = 31_536_000;

/// Where the database and the control socket are: the same flags and environment
/// variables for the server and for adminctl. Its `Debug` hides any password in the URL.
#[derive(Clone, Default, clap::Args)]
pub struct GlobalOptions {
    /// Data directory: the embedded SQLite database, collections, and the control socket
    /// [default: ./data]
    #[arg(
        long,
        env = "FLASHCARD_FLOW_DATA_DIR",
        global = true,
        value_name = "DIR"
    )]
    pub data_dir: Option<PathBuf>,
    /// Account database: sqlite:///path/file.sqlite3 [default: <data-dir>/accounts.sqlite3]
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Control socket of the running server [default: <data-dir>/control.sock]
    #[arg(
        long,
        env = "FLASHCARD_FLOW_CONTROL_SOCKET",
        global = true,
        value_name = "PATH"
    )]
    pub control_socket: Option<PathBuf>,
    /// TOML configuration file; flags and environment variables override it
    #[arg(
        long,
        env = "FLASHCARD_FLOW_CONFIG",
        global = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
}

impl fmt::Debug for GlobalOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GlobalOptions")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("control_socket", &self.control_socket)
            .field("config", &self.config)
            .finish()
    }
}

/// The server's own flags on top of [`GlobalOptions`].
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServerOptions {
    /// Address for HTTP (Anki sync and the web UI) [default: 127.0.0.1:8080]
    #[arg(long, env = "FLASHCARD_FLOW_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Log filter, e.g. `info` or `flashcard_flow_server=debug` [default: info]
    #[arg(long, env = "FLASHCARD_FLOW_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// The address users reach the web UI at; every emailed link is built from it, never
    /// from a request's Host header [default: http://<listen>]
    #[arg(long, env = "FLASHCARD_FLOW_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// HTTPS: the certificate chain, PEM, leaf first (with --tls-key); re-read on SIGHUP
    /// and when it changes on disk
    #[arg(
        long,
        env = "FLASHCARD_FLOW_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// HTTPS: the certificate's private key, PEM (with --tls-cert)
    #[arg(
        long,
        env = "FLASHCARD_FLOW_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    #[command(flatten)]
    pub smtp: SmtpOptions,
}

/// SMTP for password-reset links and notices. `/admin/settings` can override these.
#[derive(Clone, Default, clap::Args)]
pub struct SmtpOptions {
    /// SMTP server host name (no mail is sent without one)
    #[arg(long, env = "FLASHCARD_FLOW_SMTP_HOST", value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port [default: 587 for starttls, 465 for tls, 25 for none]
    #[arg(long, env = "FLASHCARD_FLOW_SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// Connection security: none, starttls or tls [default: starttls]
    #[arg(long, env = "FLASHCARD_FLOW_SMTP_SECURITY", value_name = "MODE")]
    pub smtp_security: Option<String>,
    #[arg(long, env = "FLASHCARD_FLOW_SMTP_USERNAME", value_name = "NAME")]
    pub smtp_username: Option<String>,
    /// Prefer the environment or the config file: a flag shows in `ps`
    #[arg(
        long,
        env = "FLASHCARD_FLOW_SMTP_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// Sender, e.g. `flashcard-flow <noreply@example.org>`
    #[arg(long, env = "FLASHCARD_FLOW_SMTP_FROM", value_name = "MAILBOX")]
    pub smtp_from: Option<String>,
}

impl fmt::Debug for SmtpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpOptions")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_security", &self.smtp_security)
            .field("smtp_username", &self.smtp_username)
            .field("smtp_password", &self.smtp_password.as_ref().map(|_| "***"))
            .field("smtp_from", &self.smtp_from)
            .finish()
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    None,
    StartTls,
    Tls,
}

impl SmtpSecurity {
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Some(SmtpSecurity::None),
            "starttls" => Some(SmtpSecurity::StartTls),
            "tls" | "ssl" | "smtps" => Some(SmtpSecurity::Tls),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::None => "none",
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

/// SMTP settings as configured (file, environment, flags, or the admin page).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_SMTP_FROM: &str = "flashcard-flow <noreply@localhost>";

/// The optional TOML file. Unknown keys are an error, so a typo is not silently ignored.
/// No `Debug`: it may hold a database password.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    control_socket: Option<PathBuf>,
    /// A group whose members may use the control socket (mode 0660 instead of 0600).
    control_socket_group: Option<String>,
    log: Option<String>,
    min_password_length: Option<usize>,
    max_host_keys_per_user: Option<u32>,
    shutdown_timeout_secs: Option<u64>,
    database_wait_secs: Option<u64>,
    max_collection_mb: Option<u64>,
    async_threads: Option<usize>,
    public_url: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_security: Option<String>,
    smtp_username: Option<String>,
    smtp_password: Option<String>,
    smtp_from: Option<String>,
    reset_token_minutes: Option<i64>,
    reset_requests_per_ip: Option<usize>,
    reset_requests_per_email: Option<usize>,
    trusted_proxies: Option<Vec<std::net::IpAddr>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    /// `Strict-Transport-Security: max-age` on HTTPS answers; 0 sends none.
    hsts_max_age_secs: Option<u64>,
    /// Snapshots of the collections (`false`: none, for operators who back up the data
    /// directory at the file-system level).
    backups: Option<bool>,
    backups_keep_replaced: Option<usize>,
    backups_keep_daily: Option<usize>,
    backups_keep_weekly: Option<usize>,
    backups_keep_monthly: Option<usize>,
}

/// A database URL; its `Debug` hides any password in it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// `scheme://user:secret@host/db` -> `scheme://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<DatabaseUrl>,
    pub control_socket: PathBuf,
    pub control_socket_group: Option<String>,
    pub log_filter: String,
    pub password_policy: PasswordPolicy,
    pub max_host_keys_per_user: u32,
    /// How long running requests get to finish after SIGTERM/SIGINT.
    pub shutdown_timeout: Duration,
    /// How long start-up waits for a database that does not answer yet.
    pub database_wait: Duration,
    /// The largest collection accepted by a full upload, decompressed.
    pub max_collection_bytes: u64,
    pub hashing_concurrency: usize,
    /// The numbers of the login limits (SECURITY.md T18); the defaults, tests change them.
    pub login_policy: crate::accounts::LoginPolicy,
    /// Threads of the async runtime. They only parse HTTP and move bytes: database, file,
    /// hashing and large zstd work runs on the blocking pool, which grows as needed. Fewer
    /// async threads than cores means fewer cross-thread wake-ups per request.
    pub async_threads: usize,
    /// Base of every link the server mails, without a trailing slash.
    pub public_url: String,
    /// SMTP from the file, environment or flags (`None`: no host configured).
    pub smtp: Option<SmtpSettings>,
    pub reset_token_ttl_secs: i64,
    /// Reset requests accepted per client address in 15 minutes, and per address asked
    /// about in an hour; past them the answer is unchanged and nothing is sent.
    pub reset_requests_per_ip: usize,
    pub reset_requests_per_email: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (for rate limits).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How many snapshots of each collection are kept; `None`: no snapshots are taken.
    pub backups: Option<crate::collection::snapshots::Retention>,
    /// HTTPS on the main listener; `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
    /// `Strict-Transport-Security: max-age` on HTTPS answers (0: none).
    pub hsts_max_age_secs: u64,
}

/// The certificate chain and key of the HTTPS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cannot determine the current directory: {0}")]
    CurrentDir(std::io::Error),
    #[error("invalid setting {name}: {message}")]
    Invalid { name: &'static str, message: String },
}

impl Config {
    /// Resolves flags and environment (already merged by clap) over the config file over
    /// the defaults. Relative paths are made absolute against the current directory.
    pub fn resolve(global: &GlobalOptions, server: &ServerOptions) -> Result<Config, ConfigError> {
        let file = match &global.config {
            Some(path) => read_config_file(path)?,
            None if Path::new(SYSTEM_CONFIG).exists() => {
                read_config_file(Path::new(SYSTEM_CONFIG))?
            }
            None => ConfigFile::default(),
        };
        // Under systemd, StateDirectory= and RuntimeDirectory= name the data dir and the
        // socket's directory; anything configured explicitly wins.
        let data_dir = absolute(
            &global
                .data_dir
                .clone()
                .or(file.data_dir)
                .or_else(|| systemd_directory("STATE_DIRECTORY"))
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        )?;
        let control_socket = match global.control_socket.clone().or(file.control_socket) {
            Some(path) => absolute(&path)?,
            None => systemd_directory("RUNTIME_DIRECTORY")
                .unwrap_or_else(|| data_dir.clone())
                .join(CONTROL_SOCKET_NAME),
        };
        let default_listen: SocketAddr = DEFAULT_LISTEN
            .parse()
            .expect("the default listen address is a valid socket address");
        let listen = server.listen.or(file.listen).unwrap_or(default_listen);
        let tls = match (
            server.tls_cert.clone().or(file.tls_cert),
            server.tls_key.clone().or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: absolute(&cert)?,
                key: absolute(&key)?,
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "tls_cert",
                    message: "tls_cert and tls_key go together: set both or neither".into(),
                })
            }
        };
        let public_url = resolve_public_url(
            server.public_url.clone().or(file.public_url),
            listen,
            tls.is_some(),
        )?;
        if tls.is_some() && !public_url.starts_with("https://") {
            return Err(ConfigError::Invalid {
                name: "public_url",
                message: format!(
                    "{public_url:?} must be an https:// URL when the server serves HTTPS"
                ),
            });
        }
        let opts = &server.smtp;
        let smtp = match opts
            .smtp_host
            .clone()
            .or(file.smtp_host)
            .filter(|h| !h.trim().is_empty())
        {
            None => None,
            Some(host) => {
                let security = match opts.smtp_security.clone().or(file.smtp_security) {
                    None => SmtpSecurity::StartTls,
                    Some(v) => SmtpSecurity::parse(&v).ok_or_else(|| ConfigError::Invalid {
                        name: "smtp_security",
                        message: format!("{v:?} is not none, starttls or tls"),
                    })?,
                };
                Some(SmtpSettings {
                    host: host.trim().to_string(),
                    port: opts
                        .smtp_port
                        .or(file.smtp_port)
                        .unwrap_or(security.default_port()),
                    security,
                    username: opts
                        .smtp_username
                        .clone()
                        .or(file.smtp_username)
                        .filter(|u| !u.is_empty()),
                    password: opts
                        .smtp_password
                        .clone()
                        .or(file.smtp_password)
                        .filter(|p| !p.is_empty()),
                    from: opts
                        .smtp_from
                        .clone()
                        .or(file.smtp_from)
                        .unwrap_or_else(|| DEFAULT_SMTP_FROM.to_string()),
                })
            }
        };
        Ok(Config {
            public_url,
            smtp,
            reset_token_ttl_secs: file.reset_token_minutes.unwrap_or(30).clamp(5, 24 * 60) * 60,
            reset_requests_per_ip: file.reset_requests_per_ip.unwrap_or(5).max(1),
            reset_requests_per_email: file.reset_requests_per_email.unwrap_or(3).max(1),
            trusted_proxies: file.trusted_proxies.unwrap_or_default(),
            backups: file.backups.unwrap_or(true).then(|| {
                let default = crate::collection::snapshots::Retention::default();
                crate::collection::snapshots::Retention {
                    replaced: file.backups_keep_replaced.unwrap_or(default.replaced),
                    daily: file.backups_keep_daily.unwrap_or(default.daily),
                    weekly: file.backups_keep_weekly.unwrap_or(default.weekly),
                    monthly: file.backups_keep_monthly.unwrap_or(default.monthly),
                }
            }),
            tls,
            hsts_max_age_secs: file.hsts_max_age_secs.unwrap_or(DEFAULT_HSTS_MAX_AGE_SECS),
            listen,
            database_url: global
                .database_url
                .clone()
                .or(file.database_url)
                .filter(|u| !u.is_empty())
                .map(DatabaseUrl),
            control_socket,
            control_socket_group: file.control_socket_group,
            log_filter: server
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            password_policy: PasswordPolicy::with_min_chars(
                file.min_password_length
                    .unwrap_or(DEFAULT_MIN_PASSWORD_CHARS),
            ),
            max_host_keys_per_user: file
                .max_host_keys_per_user
                .unwrap_or(DEFAULT_MAX_HOST_KEYS_PER_USER)
                .max(1),
            shutdown_timeout: Duration::from_secs(file.shutdown_timeout_secs.unwrap_or(30)),
            database_wait: Duration::from_secs(file.database_wait_secs.unwrap_or(60)),
            max_collection_bytes: file
                .max_collection_mb
                .unwrap_or(DEFAULT_MAX_COLLECTION_MB)
                .saturating_mul(1024 * 1024),
            hashing_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            login_policy: Default::default(),
            async_threads: file
                .async_threads
                .unwrap_or_else(default_async_threads)
                .clamp(1, 256),
            data_dir,
        })
    }

    /// A configuration for tests and embedding: everything under `data_dir`, port 0.
    pub fn for_data_dir(data_dir: &Path) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.to_path_buf(),
            database_url: None,
            control_socket: data_dir.join(CONTROL_SOCKET_NAME),
            control_socket_group: None,
            log_filter: "info".into(),
            password_policy: PasswordPolicy::default(),
            max_host_keys_per_user: DEFAULT_MAX_HOST_KEYS_PER_USER,
            shutdown_timeout: Duration::from_secs(30),
            database_wait: Duration::from_secs(60),
            max_collection_bytes: DEFAULT_MAX_COLLECTION_MB * 1024 * 1024,
            hashing_concurrency: 2,
            login_policy: Default::default(),
            async_threads: 1,
            public_url: "http://127.0.0.1:8080".into(),
            smtp: None,
            reset_token_ttl_secs: 30 * 60,
            reset_requests_per_ip: 5,
            reset_requests_per_email: 3,
            trusted_proxies: Vec::new(),
            backups: Some(crate::collection::snapshots::Retention::default()),
            tls: None,
            hsts_max_age_secs: DEFAULT_HSTS_MAX_AGE_SECS,
        }
    }

    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(DatabaseUrl::expose)
    }
}

/// An http(s) URL without a trailing slash; without one configured, the listen address.
fn resolve_public_url(
    configured: Option<String>,
    listen: SocketAddr,
    https: bool,
) -> Result<String, ConfigError> {
    let Some(url) = configured.filter(|u| !u.trim().is_empty()) else {
        let scheme = if https { "https" } else { "http" };
        return Ok(format!("{scheme}://{listen}"));
    };
    let url = url.trim().trim_end_matches('/').to_string();
    let valid = (url.starts_with("http://") || url.starts_with("https://"))
        && !url.contains(char::is_whitespace)
        && !url.contains(['?', '#']);
    if !valid {
        return Err(ConfigError::Invalid {
            name: "public_url",
            message: format!("{url:?} must be an http:// or https:// URL without query"),
        });
    }
    Ok(url)
}

/// Half the cores, at least one: the async threads only shuttle bytes (see `async_threads`).
fn default_async_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// The first of the colon-separated paths systemd puts in `STATE_DIRECTORY` and friends.
fn systemd_directory(variable: &str) -> Option<PathBuf> {
    let value = std::env::var_os(variable)?;
    let first = value.to_str()?.split(':').next()?.to_owned();
    (!first.is_empty()).then(|| PathBuf::from(first))
}

/// Makes a path absolute against the current directory, dropping `.` components.
fn absolute(path: &Path) -> Result<PathBuf, ConfigError> {
    std::path::absolute(path).map_err(ConfigError::CurrentDir)
}

fn read_config_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_sqlite_in_data_and_loopback_8080() {
        let config =
            Config::resolve(&GlobalOptions::default(), &ServerOptions::default()).expect("resolve");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.data_dir.ends_with("data"));
        assert_eq!(config.control_socket, config.data_dir.join("control.sock"));
        assert!(config.database_url.is_none());
    }

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("ff.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/ff\"\nmin_password_length = 10\n",
        )
        .expect("write");
        let global = GlobalOptions {
            config: Some(file),
            data_dir: Some("/override".into()),
            ..Default::default()
        };
        let config = Config::resolve(&global, &ServerOptions::default()).expect("resolve");
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.data_dir, PathBuf::from("/override"));
        assert_eq!(config.password_policy.min_chars, 10);
    }

    #[test]
    fn unknown_keys_in_the_file_are_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("ff.toml");
        std::fs::write(&file, "lisen = \"x\"\n").expect("write");
        let global = GlobalOptions {
            config: Some(file),
            ..Default::default()
        };
        assert!(matches!(
            Config::resolve(&global, &ServerOptions::default()),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn database_url_debug_hides_the_password() {
        let url = DatabaseUrl("postgres://ff:hunter2@db/ff".into());
        assert_eq!(format!("{url:?}"), "postgres://ff:***@db/ff");
        let options = GlobalOptions {
            database_url: Some("postgres://ff:hunter2@db/ff".into()),
            ..Default::default()
        };
        assert!(!format!("{options:?}").contains("hunter2"));
    }
}
