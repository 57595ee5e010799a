//! The lab binary as a separate process, and the requests the tests that
//! start it make: for restarts and for replicas on one database.

use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The lab binary on `port`, keeping its state in `database`.
pub fn spawn(database: &str, port: u16) -> Child {
    spawn_with(database, port, &[])
}

/// The same, with more flags.
pub fn spawn_with(database: &str, port: u16, flags: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_oauth2-lab"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database", database])
        .args(flags)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub async fn ready(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        let up = http.get(format!("{base}/.well-known/oauth-authorization-server")).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the lab did not start at {base}");
}

/// A client a learner's own program registers (RFC 7591): its id and
/// secret.
pub async fn register_bot(http: &reqwest::Client, base: &str) -> (String, String) {
    let registered: Value = http
        .post(format!("{base}/oauth/register"))
        .json(&serde_json::json!({"client_name": "My bot", "grant_types": ["client_credentials"], "scope": "read"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let field = |k: &str| registered[k].as_str().unwrap().to_string();
    (field("client_id"), field("client_secret"))
}

pub async fn start_run(http: &reqwest::Client, base: &str, mode: &str) -> String {
    let body = format!("grant=AuthorizationCode&mode={mode}&lifecycle=true");
    let (status, view) = server_fn(http, base, "start_run", &body).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    serde_json::from_str::<Value>(&view).unwrap()["id"].as_str().unwrap().to_string()
}

pub async fn server_fn(http: &reqwest::Client, base: &str, name: &str, body: &str) -> (StatusCode, String) {
    let res = http
        .post(format!("{base}/lab/fn/{name}"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The first view a follower of class `id` is sent.
pub async fn first_view(http: &reqwest::Client, base: &str, id: &str) -> String {
    let mut res = http.get(format!("{base}/lab/classes/{id}/events")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut text = String::new();
    while let Ok(Some(chunk)) = tokio::time::timeout(Duration::from_secs(5), res.chunk()).await.unwrap() {
        text.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = text.lines().find(|l| l.starts_with("data:")) {
            return line.trim_start_matches("data:").trim().to_string();
        }
    }
    panic!("no view in {text:?}");
}

pub async fn record(http: &reqwest::Client, base: &str, id: &str) -> (StatusCode, Value) {
    let res = http.get(format!("{base}/lab/runs/{id}")).send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}
