//! Lines 29 and 30: malformed input never yields a 5xx, a panic or a hang;
//! state is bounded.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// A small deterministic generator, so a failure is reproducible.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[tokio::test]
async fn line_29_malformed_input_never_yields_5xx() {
    let lab = start_with(|c| c.max_body_bytes = 16 * 1024).await;
    let mut rng = Lcg(29);
    let endpoints = [
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/introspect",
        "/oauth/register",
        "/oauth/authorize",
        "/api/v1/statuses",
    ];
    let content_types =
        ["application/x-www-form-urlencoded", "application/json", "text/plain", "", "multipart/form-data; boundary=x"];
    let authorizations = [
        None,
        Some("Basic"),
        Some("Basic !!!notbase64"),
        Some("Basic Zm9v"),
        Some("Basic /w=="),
        Some("Bearer"),
        Some("Bearer a b c"),
        Some("Digest x"),
        Some("basic OjpA"),
    ];
    let mut bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"grant_type=".to_vec(),
        b"grant_type=password&grant_type=password".to_vec(),
        b"=&&=&%%%".to_vec(),
        vec![0xff, 0xfe, 0xfd],
        b"grant_type=authorization_code&code=%FF%FE".to_vec(),
        b"{\"redirect_uris\": [\"\\u0000\"]}".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
    ];
    for _ in 0..30 {
        let n = (rng.next() % 300) as usize;
        bodies.push(rng.bytes(n));
    }
    for endpoint in endpoints {
        for (i, body) in bodies.iter().enumerate() {
            let ct = content_types[i % content_types.len()];
            let auth = authorizations[i % authorizations.len()];
            let r = lab.post_raw(endpoint, ct, body.clone(), auth).await;
            assert!(r.status.as_u16() < 500, "{endpoint} {ct} {auth:?} {body:?}: {} {}", r.status, r.text);
        }
    }
    // Odd query strings at the GET endpoints.
    for q in [
        "",
        "?",
        "?client_id=",
        "?client_id=web-app&client_id=web-app",
        "?%FF=%FE",
        "?response_type=code&client_id=web-app&redirect_uri=%00",
    ] {
        for path in ["/oauth/authorize", "/api/v1/accounts/verify_credentials", "/lab/callback"] {
            let r = lab.get(&format!("{path}{q}")).await;
            assert!(r.status.as_u16() < 500, "{path}{q}: {}", r.status);
        }
    }
    // A huge body is refused with 413, not read whole.
    let big = vec![b'a'; 1024 * 1024];
    let r = lab.post_raw("/oauth/token", "application/x-www-form-urlencoded", big, None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // The server is still well.
    assert_eq!(lab.get("/.well-known/oauth-authorization-server").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_chunked_body_past_the_limit_is_refused_with_413_in_the_rfc_format() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lab = start().await;
    let addr = lab.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    // No Content-Length, so the limit is met while the body is read.
    s.write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let chunk = vec![b'a'; 16 * 1024];
    for _ in 0..5 {
        // The server may answer and close before the last chunk.
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await.is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    // Read to the end; the server may reset the connection after its
    // answer, since it leaves the rest of the body unread.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        while let Ok(n @ 1..) = s.read(&mut buf).await {
            answer.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read).await.expect("answered");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""error":"invalid_request""#), "{answer}");
    assert!(answer.contains("larger than this server reads"), "{answer}");
}

#[tokio::test]
async fn line_29_a_stalled_request_times_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lab = start_with(|c| c.request_timeout = Duration::from_millis(300)).await;
    let addr = lab.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Promise a body and never send it.
    s.write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.expect("answered before 5 s").unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
}

#[tokio::test]
async fn line_30_stores_are_capped_and_answer_503_with_explanation() {
    let lab = start_with(|c| {
        c.max_clients = 6; // the four demo clients and two more
        c.max_tokens = 3;
        c.max_pending = 2;
    })
    .await;
    let meta = json!({"grant_types": ["client_credentials"]});
    assert_eq!(lab.register(meta.clone()).await.status, StatusCode::CREATED);
    assert_eq!(lab.register(meta.clone()).await.status, StatusCode::CREATED);
    let full = lab.register(meta).await;
    assert_eq!(full.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(full.json()["error_description"].as_str().unwrap().contains("limit"));

    for _ in 0..3 {
        lab.service_token("read").await;
    }
    let r = lab.token(Some(&basic("service", "service-secret")), &[("grant_type", "client_credentials")]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error(), "temporarily_unavailable");

    let cb = lab.callback();
    let q = [("response_type", "code"), ("client_id", "web-app"), ("redirect_uri", cb.as_str())];
    assert_eq!(lab.authorize(&q).await.status, StatusCode::OK);
    assert_eq!(lab.authorize(&q).await.status, StatusCode::OK);
    let r = lab.authorize(&q).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text.contains("limit"));
}

#[tokio::test]
async fn line_30_expired_state_is_swept_and_frees_room() {
    let lab = start_with(|c| {
        c.max_tokens = 2;
        c.access_token_ttl = Duration::from_millis(1000);
    })
    .await;
    lab.service_token("read").await;
    lab.service_token("read").await;
    let r = lab.token(Some(&basic("service", "service-secret")), &[("grant_type", "client_credentials")]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    lab.service_token("read").await;
}
