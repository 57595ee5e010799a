//! Lines 23 to 26: the resource server and RFC 6750.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn line_23_tokens_in_query_or_form_body_are_refused() {
    let lab = start().await;
    let at = lab.password_tokens("read write").await["access_token"].as_str().unwrap().to_string();
    let q = lab.get(&format!("/api/v1/accounts/verify_credentials?access_token={at}")).await;
    assert_eq!(q.status, StatusCode::BAD_REQUEST);
    assert_eq!(q.error(), "invalid_request");
    assert!(q.header("www-authenticate").contains("error=\"invalid_request\""));
    let body = lab
        .post_form("/api/v1/statuses", Some(&format!("Bearer {at}")), &[("status", "hi"), ("access_token", &at)])
        .await;
    assert_eq!(body.status, StatusCode::BAD_REQUEST);
    assert_eq!(body.error(), "invalid_request");
    let only_body = lab.post_form("/api/v1/statuses", None, &[("status", "hi"), ("access_token", &at)]).await;
    assert_eq!(only_body.status, StatusCode::BAD_REQUEST);
    assert_eq!(only_body.error(), "invalid_request");
    let read_only = lab.password_tokens("read").await["access_token"].as_str().unwrap().to_string();
    let r =
        lab.post_form("/api/v1/statuses", Some(&format!("Bearer {read_only}")), &[("access_token", &read_only)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn line_24_no_credentials_is_401_with_bare_bearer_challenge() {
    let lab = start().await;
    for path in ["/api/v1/accounts/verify_credentials", "/api/v1/timelines/home"] {
        let r = lab.get(path).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let challenge = r.header("www-authenticate");
        assert!(challenge.starts_with("Bearer realm=\""), "{challenge}");
        assert!(!challenge.contains("error="), "{challenge}");
    }
}

#[tokio::test]
async fn line_25_invalid_expired_or_revoked_token_is_401_invalid_token() {
    // Expiry is kept in whole seconds, so a two-second token lives more than one second and at most two.
    let lab = start_with(|c| c.access_token_ttl = std::time::Duration::from_secs(2)).await;
    let check = |r: &Reply| {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let c = r.header("www-authenticate");
        assert!(
            c.starts_with("Bearer ") && c.contains("error=\"invalid_token\"") && c.contains("error_description=\""),
            "{c}"
        );
    };
    check(&lab.get_auth("/api/v1/accounts/verify_credentials", "Bearer at_doesnotexist").await);
    let t = lab.password_tokens("read").await;
    let at = t["access_token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {at}");
    assert_eq!(lab.get_auth("/api/v1/accounts/verify_credentials", &bearer).await.status, StatusCode::OK);
    let revoked = lab.password_tokens("read").await["access_token"].as_str().unwrap().to_string();
    lab.post_form(
        "/oauth/revoke",
        None,
        &[("token", &revoked), ("client_id", "first-party"), ("client_secret", "first-party-secret")],
    )
    .await;
    check(&lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {revoked}")).await);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    check(&lab.get_auth("/api/v1/accounts/verify_credentials", &bearer).await);
}

#[tokio::test]
async fn line_26_missing_scope_is_403_insufficient_scope() {
    let lab = start().await;
    let at = lab.password_tokens("read").await["access_token"].as_str().unwrap().to_string();
    let r = lab.post_form("/api/v1/statuses", Some(&format!("Bearer {at}")), &[("status", "hello")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let c = r.header("www-authenticate");
    assert!(c.contains("error=\"insufficient_scope\"") && c.contains("scope=\"write:statuses\""), "{c}");
}

#[tokio::test]
async fn api_posts_statuses_and_lists_them_newest_first() {
    let lab = start().await;
    let at = lab.password_tokens("read write").await["access_token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {at}");
    let first = lab.post_form("/api/v1/statuses", Some(&bearer), &[("status", "first")]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // Mastodon's content is HTML: the text, escaped, in a paragraph.
    assert_eq!(first.json()["content"], "<p>first</p>");
    assert_eq!(first.json()["account"]["username"], "alice");
    let second = reply(
        lab.http
            .post(lab.url("/api/v1/statuses"))
            .header("Authorization", &bearer)
            .json(&serde_json::json!({"status": "second"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK);
    let tl = lab.get_auth("/api/v1/timelines/home", &bearer).await.json();
    assert_eq!(tl[0]["content"], "<p>second</p>");
    assert_eq!(tl[1]["content"], "<p>first</p>");
    let blank = lab.post_form("/api/v1/statuses", Some(&bearer), &[("status", "  ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A client-credentials token speaks for the client.
    let svc = lab.service_token("read write").await;
    let me = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {svc}")).await.json();
    assert_eq!(me["client_id"], "service");
    let r = lab.post_form("/api/v1/statuses", Some(&format!("Bearer {svc}")), &[("status", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let prm = lab.get("/.well-known/oauth-protected-resource").await.json();
    assert_eq!(prm["authorization_servers"][0], lab.base);
    assert_eq!(prm["bearer_methods_supported"], serde_json::json!(["header"]));
}
