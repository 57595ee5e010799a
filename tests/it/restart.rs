//! Runs outlive the process: the lab binary, with its SQLite archive in a
//! temporary directory, is killed with SIGKILL while a run is recording and
//! started again on the same file. Every permalink still opens: the
//! finished run whole, the cut-off one marked interrupted with what it had
//! recorded.

use reqwest::StatusCode;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(db: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_oauth2-lab"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database", &format!("sqlite:{}", db.display())])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn ready(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        let up = http.get(format!("{base}/.well-known/oauth-authorization-server")).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the lab did not start at {base}");
}

async fn start_run(http: &reqwest::Client, base: &str, mode: &str) -> String {
    let body = format!("grant=AuthorizationCode&mode={mode}&lifecycle=true");
    let (status, view) = server_fn(http, base, "start_run", &body).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    serde_json::from_str::<Value>(&view).unwrap()["id"].as_str().unwrap().to_string()
}

async fn server_fn(http: &reqwest::Client, base: &str, name: &str, body: &str) -> (StatusCode, String) {
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
async fn first_view(http: &reqwest::Client, base: &str, id: &str) -> String {
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

async fn record(http: &reqwest::Client, base: &str, id: &str) -> (StatusCode, Value) {
    let res = http.get(format!("{base}/lab/runs/{id}")).send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn killed_mid_run_and_restarted_every_permalink_still_opens() {
    let dir = std::env::temp_dir().join(format!("oauth2-lab-restart-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("lab.db");
    let http = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");

    let mut lab = spawn(&db, port);
    ready(&http, &base).await;
    let done = start_run(&http, &base, "Autoplay").await;
    // A guided run waits for the learner: it is still recording when the
    // lab dies.
    let cut = start_run(&http, &base, "Guided").await;
    let (_, before) = record(&http, &base, &done).await;
    assert_eq!(before["status"], "Done");
    let (_, cut_before) = record(&http, &base, &cut).await;
    assert_eq!(cut_before["status"], "Waiting");
    assert!(!cut_before["steps"].as_array().unwrap().is_empty());
    // A class, presenting the finished run.
    let (status, class) = server_fn(&http, &base, "open_class", "").await;
    assert_eq!(status, StatusCode::OK, "{class}");
    let class: Vec<String> = serde_json::from_str(&class).unwrap();
    let (class_id, key) = (&class[0], &class[1]);
    let shown = format!("/grants/authorization-code?run={done}&step=3");
    let enc = |v: &str| -> String { url::form_urlencoded::byte_serialize(v.as_bytes()).collect() };
    let moved = format!("id={class_id}&key={key}&view={}&seq=1", enc(&shown));
    assert_eq!(server_fn(&http, &base, "move_class", &moved).await.0, StatusCode::OK);
    // A client registered by a learner's own program.
    let registered: Value = http
        .post(format!("{base}/oauth/register"))
        .json(&serde_json::json!({"client_name": "My bot", "grant_types": ["client_credentials"], "scope": "read"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (client_id, secret) = (
        registered["client_id"].as_str().unwrap().to_string(),
        registered["client_secret"].as_str().unwrap().to_string(),
    );
    // The archive writes what changed every second.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    lab.kill().unwrap();
    lab.wait().unwrap();

    let mut lab = spawn(&db, port);
    ready(&http, &base).await;
    let (status, after) = record(&http, &base, &done).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after, before, "the finished run, byte for byte");
    let (status, cut_after) = record(&http, &base, &cut).await;
    assert_eq!(status, StatusCode::OK);
    let why = cut_after["status"]["Failed"].as_str().unwrap_or_default();
    assert!(why.starts_with("interrupted"), "{}", cut_after["status"]);
    assert_eq!(cut_after["steps"], cut_before["steps"], "what it had recorded");
    // The pages' server function and the exports open it too.
    let (status, view) = server_fn(&http, &base, "get_run", &format!("id={done}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(view.contains("data-testid=\\\"diagram\\\""));
    let md = http.get(format!("{base}/lab/runs/{done}/export.md")).send().await.unwrap();
    assert_eq!(md.status(), StatusCode::OK);
    let (status, _) = record(&http, &base, "run_never_made").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The registered client still authenticates with its secret.
    let token = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK, "{}", token.text().await.unwrap());
    let wrong = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&client_id, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // The class carries on: a follower joining now gets the presenter's
    // view, and only the presenter's key moves it.
    assert_eq!(first_view(&http, &base, class_id).await, shown);
    let next = format!("/grants/authorization-code?run={done}&step=4");
    let forged = format!("id={class_id}&key=key_wrong&view={}&seq=2", enc(&next));
    assert_eq!(server_fn(&http, &base, "move_class", &forged).await.0, StatusCode::FORBIDDEN);
    let moved = format!("id={class_id}&key={key}&view={}&seq=2", enc(&next));
    assert_eq!(server_fn(&http, &base, "move_class", &moved).await.0, StatusCode::OK);
    assert_eq!(first_view(&http, &base, class_id).await, next);
    lab.kill().unwrap();
    lab.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
