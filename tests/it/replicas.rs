//! Two lab processes on one PostgreSQL database, as two replicas behind a
//! load balancer would be: a run started on A opens on B; a token issued
//! on A works at B's resource server and is revoked through B; a client
//! registered on A authenticates on B; a class presented on A is followed
//! on B, step by step; and B starting up leaves A's run that is still
//! recording as it is (only a gone process's runs are marked interrupted).
//!
//! The PostgreSQL server is `LAB_TEST_POSTGRES` (a `postgres://` URL whose
//! user may create databases) when set, as the test script sets it; else
//! this test starts one of its own with `scripts/postgres.sh`.

use crate::common::postgres_database;
use crate::process::{free_port, ready, record, register_bot, server_fn, spawn_with, start_run};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Child, Command};
use std::time::Duration;

/// A PostgreSQL server for this test, stopped when dropped if the test
/// started it.
struct Postgres {
    url: String,
    own: Option<String>,
}

impl Postgres {
    fn get() -> Self {
        if let Some(url) = std::env::var("LAB_TEST_POSTGRES").ok().filter(|u| !u.is_empty()) {
            return Self { url, own: None };
        }
        let dir = std::env::temp_dir().join(format!("oauth2-lab-pg-{}-{}", std::process::id(), free_port()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/postgres.sh");
        let out = Command::new(script).args(["start", &dir.display().to_string()]).output().unwrap();
        assert!(out.status.success(), "PostgreSQL did not start: {}", String::from_utf8_lossy(&out.stderr));
        Self { url: String::from_utf8(out.stdout).unwrap().trim().to_string(), own: Some(dir.display().to_string()) }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(dir) = &self.own {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/postgres.sh");
            let _ = Command::new(script).args(["stop", dir]).status();
        }
    }
}

/// A lab process, killed when dropped.
struct Replica {
    base: String,
    child: Child,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A replica on a port of its own, known by `public_url`, the address in
/// front of all of them, as behind a load balancer.
async fn replica(http: &reqwest::Client, database: &str, public_url: &str) -> Replica {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = spawn_with(database, port, &["--public-url", public_url]);
    let replica = Replica { base, child };
    ready(http, &replica.base).await;
    replica
}

/// A follower's event stream: the views it is sent, one at a time.
struct Follower(reqwest::Response, String);

impl Follower {
    async fn join(http: &reqwest::Client, base: &str, id: &str) -> Self {
        let res = http.get(format!("{base}/lab/classes/{id}/events")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        Self(res, String::new())
    }

    async fn next_view(&mut self) -> String {
        loop {
            if let Some(end) = self.1.find("\n\n") {
                let event: String = self.1.drain(..end + 2).collect();
                if let Some(line) = event.lines().find(|l| l.starts_with("data:")) {
                    return line.trim_start_matches("data:").trim().to_string();
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.0.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.1.push_str(&String::from_utf8_lossy(&bytes)),
                other => panic!("no view came: {other:?} after {:?}", self.1),
            }
        }
    }
}

async fn token(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> String {
    let res = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
}

async fn api(http: &reqwest::Client, base: &str, token: &str) -> StatusCode {
    http.get(format!("{base}/api/v1/accounts/verify_credentials")).bearer_auth(token).send().await.unwrap().status()
}

#[tokio::test]
async fn two_replicas_on_one_postgres_share_runs_tokens_clients_and_classes() {
    let pg = Postgres::get();
    let database = postgres_database(&pg.url, &format!("lab_replicas_{}", std::process::id())).await;
    let http = reqwest::Client::new();
    // The one address in front of both, as a load balancer's would be;
    // the test reaches each replica directly.
    let front = format!("http://127.0.0.1:{}", free_port());
    let a = replica(&http, &database, &front).await;
    // A guided run waits for its learner: still recording on A when B
    // starts, and written to the database within a second.
    let guided = start_run(&http, &a.base, "Guided").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let b = replica(&http, &database, &front).await;
    let (status, seen) = record(&http, &b.base, &guided).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["status"], "Waiting", "a live replica's run is not taken for interrupted");

    // A run started on A opens on B, once A has written it (every second;
    // a write from while it was still recording may come first).
    let run = start_run(&http, &a.base, "Autoplay").await;
    let (_, on_a) = record(&http, &a.base, &run).await;
    assert_eq!(on_a["status"], "Done");
    let mut on_b = (StatusCode::NOT_FOUND, Value::Null);
    for _ in 0..50 {
        on_b = record(&http, &b.base, &run).await;
        if on_b.0 == StatusCode::OK && on_b.1 == on_a {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(on_b.0, StatusCode::OK, "the run opens on B");
    assert_eq!(on_b.1, on_a, "B serves the run A recorded, as A does");

    // A token issued on A works at B's API, and revoking it through B ends
    // it on both.
    let t = token(&http, &a.base, "service", "service-secret").await;
    assert_eq!(api(&http, &b.base, &t).await, StatusCode::OK);
    let revoked = http
        .post(format!("{}/oauth/revoke", b.base))
        .basic_auth("service", Some("service-secret"))
        .form(&[("token", t.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(api(&http, &b.base, &t).await, StatusCode::UNAUTHORIZED);
    assert_eq!(api(&http, &a.base, &t).await, StatusCode::UNAUTHORIZED, "revoked through B, refused by A");

    // A JWT access token signed on A verifies on B: one signing key for
    // all, kept in the database.
    let (status, view) =
        server_fn(&http, &a.base, "start_run", "grant=ClientCredentials&mode=Autoplay&lifecycle=false&jwt=true").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let jwt_run = serde_json::from_str::<Value>(&view).unwrap()["id"].as_str().unwrap().to_string();
    let (_, jwt_record) = record(&http, &a.base, &jwt_run).await;
    let artifacts = jwt_record["artifacts"].as_array().unwrap();
    let jwt = artifacts.iter().find(|a| a["name"] == "access_token").unwrap()["value"].as_str().unwrap();
    assert_eq!(jwt.matches('.').count(), 2, "a JWT: {jwt}");
    assert_eq!(api(&http, &b.base, jwt).await, StatusCode::OK);
    let jwks = |base: String| {
        let http = http.clone();
        async move { http.get(format!("{base}/oauth/jwks")).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(jwks(a.base.clone()).await, jwks(b.base.clone()).await, "one key in both JWKS");

    // A client registered on A authenticates on B at once.
    let (id, secret) = register_bot(&http, &a.base).await;
    let mine = token(&http, &b.base, &id, &secret).await;
    assert_eq!(api(&http, &a.base, &mine).await, StatusCode::OK);

    // A class presented on A, followed on B: each step arrives.
    let (status, class) = server_fn(&http, &a.base, "open_class", "").await;
    assert_eq!(status, StatusCode::OK, "{class}");
    let class: Vec<String> = serde_json::from_str(&class).unwrap();
    let (class_id, key) = (&class[0], &class[1]);
    let mut follower = Follower::join(&http, &b.base, class_id).await;
    let enc = |v: &str| -> String { url::form_urlencoded::byte_serialize(v.as_bytes()).collect() };
    for step in 1..=3 {
        let shown = format!("/grants/authorization-code?run={run}&step={step}");
        let moved = format!("id={class_id}&key={key}&view={}&seq={step}", enc(&shown));
        assert_eq!(server_fn(&http, &a.base, "move_class", &moved).await.0, StatusCode::OK);
        assert_eq!(follower.next_view().await, shown, "step {step} reaches the follower on B");
    }
    // The presenter's page may reach B instead: the key works there too,
    // and A's followers see that move.
    let mut on_a = Follower::join(&http, &a.base, class_id).await;
    assert!(on_a.next_view().await.ends_with("step=3"));
    let last = format!("/grants/authorization-code?run={run}&step=4");
    let moved = format!("id={class_id}&key={key}&view={}&seq=4", enc(&last));
    assert_eq!(server_fn(&http, &b.base, "move_class", &moved).await.0, StatusCode::OK);
    assert_eq!(on_a.next_view().await, last);
    assert_eq!(follower.next_view().await, last);
    let forged = format!("id={class_id}&key=key_wrong&view={}&seq=5", enc(&last));
    assert_eq!(server_fn(&http, &b.base, "move_class", &forged).await.0, StatusCode::FORBIDDEN);
    drop((a, b));
}
