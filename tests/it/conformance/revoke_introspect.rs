//! Lines 27 and 28: revocation (RFC 7009) and introspection (RFC 7662).

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn line_27_revocation_needs_client_auth_is_200_for_unknown_and_cascades() {
    let lab = start().await;
    let t = lab.web_app_tokens().await;
    let (at, rt) = (t["access_token"].as_str().unwrap(), t["refresh_token"].as_str().unwrap());
    let anon = lab.post_form("/oauth/revoke", None, &[("token", rt)]).await;
    assert_eq!(anon.error(), "invalid_client");
    let unknown = lab.post_form("/oauth/revoke", Some(&lab.web_app()), &[("token", "rt_unknown")]).await;
    assert_eq!(unknown.status, StatusCode::OK);
    // §2.1: another client's token is refused, and stays live.
    let theirs = lab.post_form("/oauth/revoke", Some(&basic("service", "service-secret")), &[("token", rt)]).await;
    assert_eq!(theirs.status, StatusCode::BAD_REQUEST);
    assert_eq!(theirs.error(), "invalid_grant");
    let wrong_secret =
        lab.post_form("/oauth/revoke", Some(&basic("web-app", "not-the-secret")), &[("token", rt)]).await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_secret.error(), "invalid_client");
    let api = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {at}")).await;
    assert_eq!(api.status, StatusCode::OK, "another client's revocation left the token alone");
    let ok = lab
        .post_form("/oauth/revoke", Some(&lab.web_app()), &[("token", rt), ("token_type_hint", "refresh_token")])
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let api = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {at}")).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "access token revoked with its refresh token");
    let refresh = lab.token(Some(&lab.web_app()), &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await;
    assert_eq!(refresh.error(), "invalid_grant");
}

#[tokio::test]
async fn line_28_introspection_active_and_inactive() {
    let lab = start().await;
    let t = lab.web_app_tokens().await;
    let at = t["access_token"].as_str().unwrap();
    let anon = lab.post_form("/oauth/introspect", None, &[("token", at)]).await;
    assert_eq!(anon.error(), "invalid_client");
    let public = lab.post_form("/oauth/introspect", None, &[("token", at), ("client_id", "spa")]).await;
    assert_eq!(public.error(), "invalid_client", "a public client cannot authenticate");
    let i = lab.post_form("/oauth/introspect", Some(&lab.web_app()), &[("token", at)]).await.json();
    assert_eq!(i["active"], true);
    assert_eq!(i["scope"], "read write");
    assert_eq!(i["client_id"], "web-app");
    assert_eq!(i["username"], "alice");
    assert_eq!(i["token_type"], "Bearer");
    assert_eq!(i["sub"], "alice");
    assert!(i["exp"].as_u64().unwrap() > i["iat"].as_u64().unwrap());
    let svc = lab.service_token("read").await;
    let i =
        lab.post_form("/oauth/introspect", Some(&basic("service", "service-secret")), &[("token", &svc)]).await.json();
    assert_eq!(i["active"], true);
    assert!(i.get("username").is_none(), "no user in client credentials");
    let unknown = lab.post_form("/oauth/introspect", Some(&lab.web_app()), &[("token", "at_nope")]).await;
    assert_eq!(unknown.text, r#"{"active":false}"#);
    lab.post_form("/oauth/revoke", Some(&lab.web_app()), &[("token", at)]).await;
    let revoked = lab.post_form("/oauth/introspect", Some(&lab.web_app()), &[("token", at)]).await;
    assert_eq!(revoked.json(), json!({"active": false}));
    assert_eq!(revoked.text, r#"{"active":false}"#);
}

#[tokio::test]
async fn line_28_expired_token_is_inactive() {
    let lab = start_with(|c| c.access_token_ttl = std::time::Duration::from_secs(1)).await;
    let svc = lab.service_token("read").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = lab.post_form("/oauth/introspect", Some(&basic("service", "service-secret")), &[("token", &svc)]).await;
    assert_eq!(r.text, r#"{"active":false}"#);
}
