//! Runs outlive the process: the lab binary, with its SQLite archive in a
//! temporary directory, is killed with SIGKILL while a run is recording and
//! started again on the same file. Every permalink still opens: the
//! finished run whole, the cut-off one marked interrupted with what it had
//! recorded.

use crate::process::{first_view, free_port, ready, record, register_bot, server_fn, spawn, start_run};
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn killed_mid_run_and_restarted_every_permalink_still_opens() {
    let dir = std::env::temp_dir().join(format!("oauth2-lab-restart-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite:{}", dir.join("lab.db").display());
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
    let (client_id, secret) = register_bot(&http, &base).await;
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
    // The pages' view and the exports open it too.
    let view = http.get(format!("{base}/lab/runs/{done}/view")).send().await.unwrap();
    assert_eq!(view.status(), StatusCode::OK);
    assert!(view.text().await.unwrap().contains("data-testid=\\\"diagram\\\""));
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
