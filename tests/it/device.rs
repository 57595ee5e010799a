//! The device authorization grant (RFC 8628) on the wire: codes, the
//! verification page, polling with authorization_pending and slow_down,
//! approval and denial.

use crate::common::*;
use reqwest::header::SET_COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};

const URN: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A public device client registered for the grant.
async fn device_client(lab: &Lab) -> String {
    let r = lab
        .register(json!({
            "client_name": "A TV",
            "grant_types": [URN, "refresh_token"],
            "token_endpoint_auth_method": "none",
            "scope": "read write",
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["client_id"].as_str().unwrap().to_string()
}

async fn codes(lab: &Lab, client_id: &str) -> Value {
    let r = lab.post_form("/oauth/device_authorization", None, &[("client_id", client_id), ("scope", "read")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("cache-control"), "no-store");
    r.json()
}

async fn poll(lab: &Lab, client_id: &str, device_code: &str) -> Reply {
    lab.token(None, &[("grant_type", URN), ("device_code", device_code), ("client_id", client_id)]).await
}

/// The user opens the complete verification URI and decides.
async fn decide(lab: &Lab, user_code: &str, fields: &[(&str, &str)]) -> Reply {
    let page = lab.get(&format!("/oauth/device?user_code={user_code}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let cookie = page.header(SET_COOKIE.as_str()).split(';').next().unwrap().to_string();
    let mut form_fields = vec![("user_code", user_code.to_string()), ("csrf_token", hidden(&page.text, "csrf_token"))];
    form_fields.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let form_fields: Vec<(&str, &str)> = form_fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    lab.post_form_with_cookie("/oauth/device", &cookie, &form_fields).await
}

#[tokio::test]
async fn pending_then_approved_then_spent() {
    let lab = start_with(|c| c.device_interval = std::time::Duration::from_secs(1)).await;
    let meta = lab.get("/.well-known/oauth-authorization-server").await.json();
    assert_eq!(meta["device_authorization_endpoint"], lab.url("/oauth/device_authorization"));
    assert!(meta["grant_types_supported"].as_array().unwrap().iter().any(|g| g == URN));

    let client = device_client(&lab).await;
    let c = codes(&lab, &client).await;
    let user_code = c["user_code"].as_str().unwrap();
    assert!(regex_like_user_code(user_code), "{user_code}");
    let page = lab.get(&format!("/oauth/device?user_code={user_code}")).await;
    assert!(page.text.contains(user_code), "the page shows the code to compare with the device's");
    assert_eq!(c["verification_uri"], lab.url("/oauth/device"));
    assert_eq!(c["verification_uri_complete"], format!("{}?user_code={user_code}", lab.url("/oauth/device")));
    assert_eq!((c["expires_in"].as_u64(), c["interval"].as_u64()), (Some(600), Some(1)));
    let device_code = c["device_code"].as_str().unwrap();

    let r = poll(&lab, &client, device_code).await;
    assert_eq!((r.status, r.error()), (StatusCode::BAD_REQUEST, "authorization_pending".into()));
    // Too soon: slow_down (§3.5), and the interval grows by 5 s.
    let r = poll(&lab, &client, device_code).await;
    assert_eq!(r.error(), "slow_down");

    let approved = decide(&lab, user_code, &approve_as_alice(&["read"])).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert!(approved.text.contains("Device connected"));
    tokio::time::sleep(std::time::Duration::from_millis(6100)).await;
    let r = poll(&lab, &client, device_code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tokens = r.json();
    assert_eq!(tokens["scope"], "read");
    assert!(tokens["refresh_token"].is_string());
    let me = lab
        .get_auth(
            "/api/v1/accounts/verify_credentials",
            &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(me.json()["username"], "alice");
    assert_eq!(poll(&lab, &client, device_code).await.error(), "invalid_grant", "a device code is redeemed once");
}

fn regex_like_user_code(code: &str) -> bool {
    let (a, b) = code.split_once('-').unwrap_or(("", ""));
    [a, b].iter().all(|p| p.len() == 4 && p.bytes().all(|c| b"BCDFGHJKLMNPQRSTVWXZ".contains(&c)))
}

#[tokio::test]
async fn denial_other_clients_and_bad_input() {
    let lab = start().await;
    let client = device_client(&lab).await;
    let c = codes(&lab, &client).await;
    let (user_code, device_code) = (c["user_code"].as_str().unwrap(), c["device_code"].as_str().unwrap());

    let other = device_client(&lab).await;
    assert_eq!(poll(&lab, &other, device_code).await.error(), "invalid_grant", "bound to its client");
    let r = lab.token(None, &[("grant_type", URN), ("client_id", &client)]).await;
    assert_eq!(r.error(), "invalid_request", "device_code missing");

    // The form without its cookie is refused (CSRF).
    let page = lab.get(&format!("/oauth/device?user_code={user_code}")).await;
    let r = lab
        .post_form(
            "/oauth/device",
            None,
            &[("user_code", user_code), ("csrf_token", &hidden(&page.text, "csrf_token")), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A code typed in lower case, without its dash, is the same code.
    let typed = user_code.replace('-', "").to_lowercase();
    let wrong = decide(&lab, &typed, &[("decision", "approve"), ("username", "alice"), ("password", "nope")]).await;
    assert!(wrong.text.contains("Wrong username or password"));
    let denied = decide(&lab, user_code, &[("decision", "deny")]).await;
    assert!(denied.text.contains("Device not connected"));
    assert_eq!(poll(&lab, &client, device_code).await.error(), "access_denied");

    let unknown = lab.get("/oauth/device?user_code=BBBB-BBBB").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(unknown.text.contains("unknown, expired or already used"));

    // A client not registered for the grant.
    let r = lab.post_form("/oauth/device_authorization", Some(&basic("service", "service-secret")), &[]).await;
    assert_eq!(r.error(), "unauthorized_client");
}

#[tokio::test]
async fn a_late_poll_hears_expired_token() {
    let lab = start_with(|c| c.device_ttl = std::time::Duration::from_secs(1)).await;
    let client = device_client(&lab).await;
    let c = codes(&lab, &client).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(poll(&lab, &client, c["device_code"].as_str().unwrap()).await.error(), "expired_token");
    let page = lab.get(&format!("/oauth/device?user_code={}", c["user_code"].as_str().unwrap())).await;
    assert!(page.text.contains("unknown, expired or already used"));
}
