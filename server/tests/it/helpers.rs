//! `spawn_app()` and one helper per endpoint.

use std::net::SocketAddr;
use std::sync::Arc;

use flashcard_flow_server::accounts::{self, Actor, NewAccount, PasswordPolicy};
use flashcard_flow_server::config::Config;
use flashcard_flow_server::state::AppState;
use flashcard_flow_server::store::User;
use flashcard_flow_server::Server;
use secrecy::SecretString;
use serde_json::Value;
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub state: Arc<AppState>,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Binds first, then spawns: the returned app is already serving.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with a configuration adjusted by the test.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    adjust(&mut config);
    start(config, dir).await
}

/// Binds a server with `config`, whose data lives in `dir`, and spawns it.
async fn start(config: Config, dir: tempfile::TempDir) -> TestApp {
    let server = Server::bind(config).await.expect("server binds");
    let addr = server.local_addr().expect("addr");
    let state = server.state();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        dir,
        state,
        http: reqwest::Client::new(),
        stop: Some(stop),
        task: Some(task),
    }
}

/// Port 0, everything under `data_dir`, and the engine under test (a fresh PostgreSQL
/// database when `FF_TEST_POSTGRES_URL` is set).
pub fn test_config(data_dir: &std::path::Path) -> Config {
    let mut config = Config::for_data_dir(data_dir);
    config.database_url = flashcard_flow_server::test_support::fresh_database_url()
        .map(flashcard_flow_server::config::DatabaseUrl::new);
    config
}

pub struct SyncReply {
    pub status: u16,
    pub json: Option<Value>,
    /// The decompressed body of a 200 that is not JSON (a downloaded collection).
    pub raw: Option<Vec<u8>>,
}

pub fn sync_header(host_key: &str) -> String {
    serde_json::json!({"v": 11, "k": host_key, "c": "26.09.3,test,linux", "s": "abc"}).to_string()
}

pub fn zstd_json(value: &Value) -> Vec<u8> {
    zstd::bulk::compress(value.to_string().as_bytes(), 3).expect("compress")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn add_user(&self, username: &str, password: &str) -> User {
        let store = Arc::clone(&self.state.store);
        let (username, password) = (username.to_string(), password.to_string());
        tokio::task::spawn_blocking(move || {
            accounts::create_user(
                &*store,
                &PasswordPolicy::default(),
                NewAccount {
                    email: format!("{username}@example.com"),
                    username,
                    is_admin: false,
                    password: SecretString::from(password),
                },
                &Actor::Server,
            )
        })
        .await
        .expect("join")
        .expect("create user")
    }

    /// POSTs raw bytes with a given `anki-sync` header value (None: no header).
    pub async fn post_raw(&self, path: &str, header: Option<String>, body: Vec<u8>) -> SyncReply {
        let mut request = self.http.post(self.url(path)).body(body);
        if let Some(h) = header {
            request = request.header("anki-sync", h);
        }
        read_reply(request.send().await.expect("request sent")).await
    }

    pub async fn sync_call(&self, method: &str, host_key: &str, body: Value) -> SyncReply {
        self.post_raw(
            &format!("/sync/{method}"),
            Some(sync_header(host_key)),
            zstd_json(&body),
        )
        .await
    }

    pub async fn host_key(&self, username: &str, password: &str) -> SyncReply {
        self.sync_call(
            "hostKey",
            "",
            serde_json::json!({"u": username, "p": password}),
        )
        .await
    }

    /// Logs in and returns the key, failing the test otherwise.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let reply = self.host_key(username, password).await;
        assert_eq!(reply.status, 200, "login as {username}");
        reply.json.expect("json")["key"]
            .as_str()
            .expect("key is a string")
            .to_string()
    }

    /// Signs in through `POST /api/login`; returns the cookies to send, as a `Cookie` value.
    pub async fn api_sign_in(&self, login: &str, password: &str) -> String {
        let response = self
            .http
            .post(self.url("/api/login"))
            .json(&serde_json::json!({"login": login, "password": password}))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), 200);
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn meta(&self, host_key: &str) -> SyncReply {
        self.sync_call(
            "meta",
            host_key,
            serde_json::json!({"v": 11, "cv": "anki,26.09.3 (x),linux"}),
        )
        .await
    }

    /// Stops the server and starts a new one on the same data directory and database, as
    /// a restart (or a start after a crash) does.
    pub async fn restart(mut self) -> TestApp {
        self.stop_server().await;
        let config = self.state.config.clone();
        let TestApp { dir, .. } = self;
        start(config, dir).await
    }

    pub async fn shutdown(mut self) {
        self.stop_server().await;
    }

    async fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }
}

pub async fn read_reply(response: reqwest::Response) -> SyncReply {
    let status = response.status().as_u16();
    let original_size = response
        .headers()
        .get("anki-original-size")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = response.bytes().await.expect("body");
    if status != 200 {
        assert_eq!(
            body,
            status.to_string(),
            "error bodies carry only the status"
        );
        return SyncReply {
            status,
            json: None,
            raw: None,
        };
    }
    let plain = zstd::stream::decode_all(&body[..]).expect("one zstd frame");
    assert_eq!(
        Some(plain.len() as u32),
        original_size,
        "anki-original-size"
    );
    SyncReply {
        status,
        json: serde_json::from_slice(&plain).ok(),
        raw: Some(plain),
    }
}
