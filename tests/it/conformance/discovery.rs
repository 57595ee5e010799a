//! Lines 1 to 3: metadata and registration.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn line_01_metadata_lists_endpoints_and_issuer() {
    let lab = start().await;
    let r = lab.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(r.status, StatusCode::OK);
    let m = r.json();
    assert_eq!(m["issuer"], lab.base);
    for (key, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("registration_endpoint", "/oauth/register"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("introspection_endpoint", "/oauth/introspect"),
        ("device_authorization_endpoint", "/oauth/device_authorization"),
    ] {
        assert_eq!(m[key], lab.url(path), "{key}");
    }
    assert_eq!(m["scopes_supported"], json!(["read", "write", "openid", "profile", "email"]));
    assert_eq!(m["response_types_supported"], json!(["code", "token"]));
    assert_eq!(
        m["grant_types_supported"],
        json!([
            "authorization_code",
            "implicit",
            "password",
            "client_credentials",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
}

#[tokio::test]
async fn line_01_issuer_follows_public_url() {
    let lab = start_with(|c| c.public_url = "https://lab.example.test".into()).await;
    let m = lab.get("/.well-known/oauth-authorization-server").await.json();
    assert_eq!(m["issuer"], "https://lab.example.test");
    assert_eq!(m["token_endpoint"], "https://lab.example.test/oauth/token");
}

#[tokio::test]
async fn line_02_registration_of_confidential_and_public_clients() {
    let lab = start().await;
    let cb = lab.url("/cb");
    let r = lab
        .register(json!({
            "client_name": "My app",
            "redirect_uris": [cb],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "read write",
            "token_endpoint_auth_method": "client_secret_basic"
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let c = r.json();
    assert!(c["client_id"].as_str().unwrap().len() > 20);
    assert!(c["client_secret"].as_str().unwrap().len() > 20);
    assert_eq!(c["redirect_uris"], json!([cb]));
    assert_eq!(c["scope"], "read write");

    // The new client works at once: its secret authenticates it.
    let auth = basic(c["client_id"].as_str().unwrap(), c["client_secret"].as_str().unwrap());
    let t = lab.token(Some(&auth), &[("grant_type", "client_credentials")]).await;
    assert_eq!(t.error(), "unauthorized_client", "registered without client_credentials");

    for method in ["client_secret_post", "none"] {
        let r = lab.register(json!({"redirect_uris": [cb], "token_endpoint_auth_method": method})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json()["token_endpoint_auth_method"], method);
        assert_eq!(r.json()["client_secret"].is_string(), method != "none");
    }
}

#[tokio::test]
async fn line_02_bad_metadata_is_400_with_rfc7591_errors() {
    let lab = start().await;
    let cb = lab.url("/cb");
    let cases = [
        (json!({"redirect_uris": ["not a uri"]}), "invalid_redirect_uri"),
        (json!({"grant_types": ["authorization_code"]}), "invalid_redirect_uri"),
        (json!({"redirect_uris": [cb], "grant_types": ["magic"]}), "invalid_client_metadata"),
        (json!({"redirect_uris": [cb], "token_endpoint_auth_method": "private_key_jwt"}), "invalid_client_metadata"),
        (json!({"redirect_uris": [cb], "scope": "admin"}), "invalid_client_metadata"),
        (json!({"redirect_uris": [cb], "response_types": ["token"]}), "invalid_client_metadata"),
        (
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}),
            "invalid_client_metadata",
        ),
        (json!({"redirect_uris": "not-a-list"}), "invalid_client_metadata"),
    ];
    for (meta, error) in cases {
        let r = lab.register(meta.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{meta}");
        assert_eq!(r.error(), error, "{meta}");
        assert!(!r.json()["error_description"].as_str().unwrap().is_empty());
    }
    let r = lab.post_raw("/oauth/register", "application/json", b"{not json".to_vec(), None).await;
    assert_eq!(r.error(), "invalid_client_metadata");
    let r = lab.post_raw("/oauth/register", "text/plain", b"{}".to_vec(), None).await;
    assert_eq!(r.error(), "invalid_client_metadata");
}

#[tokio::test]
async fn line_03_redirect_uris_absolute_no_fragment_https_unless_loopback() {
    let lab = start().await;
    for bad in [
        "/relative/path",
        "http://example.com/cb",
        "https://example.com/cb#frag",
        "javascript:alert(1)",
        "http://10.0.0.1/cb",
    ] {
        let r = lab.register(json!({"redirect_uris": [bad]})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.error(), "invalid_redirect_uri", "{bad}");
    }
    for good in ["https://example.com/cb", "http://127.0.0.1:8080/cb", "http://localhost/cb", "http://[::1]:9000/cb"] {
        let r = lab.register(json!({"redirect_uris": [good]})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{good}: {}", r.text);
    }
}
