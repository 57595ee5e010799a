//! Lines 12 to 22: the token endpoint.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn line_12_only_form_posts() {
    let lab = start().await;
    let get = lab.get("/oauth/token").await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.header("allow"), "POST");
    assert_eq!(get.error(), "invalid_request");
    assert!(!get.json()["error_description"].as_str().unwrap().contains("secret"));
    // The go-oauth2 tutorial's request: refused, and told that its secret
    // has leaked.
    let seed = lab
        .get("/oauth/token?grant_type=client_credentials&client_id=service&client_secret=service-secret&scope=read")
        .await;
    assert_eq!(seed.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(seed.error(), "invalid_request");
    let why = seed.json()["error_description"].as_str().unwrap().to_string();
    assert!(why.contains("RFC 6749 section 3.2") && why.contains("section 2.3.1") && why.contains("leaked"), "{why}");
    assert!(seed.json().get("access_token").is_none());
    let body = br#"{"grant_type":"client_credentials"}"#.to_vec();
    let json = lab.post_raw("/oauth/token", "application/json", body, Some(&basic("service", "service-secret"))).await;
    assert_eq!(json.status, StatusCode::BAD_REQUEST);
    assert_eq!(json.error(), "invalid_request");
    let none = lab.post_raw("/oauth/token", "", b"grant_type=client_credentials".to_vec(), None).await;
    assert_eq!(none.error(), "invalid_request");
    let ok = lab
        .post_raw(
            "/oauth/token",
            "application/x-www-form-urlencoded; charset=UTF-8",
            b"grant_type=client_credentials".to_vec(),
            Some(&basic("service", "service-secret")),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn line_13_basic_or_body_auth_never_both_never_in_query() {
    let lab = start().await;
    let cc = [("grant_type", "client_credentials")];
    assert_eq!(lab.token(Some(&basic("service", "service-secret")), &cc).await.status, StatusCode::OK);
    let body = lab
        .token(
            None,
            &[("grant_type", "client_credentials"), ("client_id", "service"), ("client_secret", "service-secret")],
        )
        .await;
    assert_eq!(body.status, StatusCode::OK);
    let both = lab
        .token(
            Some(&basic("service", "service-secret")),
            &[("grant_type", "client_credentials"), ("client_secret", "service-secret")],
        )
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert_eq!(both.error(), "invalid_request");
    let query = reply(
        lab.http
            .post(lab.url("/oauth/token?client_id=service&client_secret=service-secret"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(query.error(), "invalid_request");
    // Basic credentials are form-urlencoded before base64 (§2.3.1): a
    // registered secret full of reserved characters still works.
    let r = lab
        .register(json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"}))
        .await
        .json();
    let (id, secret) = (r["client_id"].as_str().unwrap(), r["client_secret"].as_str().unwrap());
    assert_eq!(lab.token(Some(&basic(id, secret)), &cc).await.status, StatusCode::OK);
    // Percent-encoded characters are decoded: %2D is "-".
    let encoded = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "web%2Dapp:web%2Dapp%2Dsecret")
    );
    let r = lab.token(Some(&encoded), &[("grant_type", "refresh_token"), ("refresh_token", "rt_x")]).await;
    assert_eq!(r.error(), "invalid_grant", "authenticated as web-app, then the refresh token is unknown");
    let twice = reply(
        lab.http
            .post(lab.url("/oauth/token?client_secret=a&client_secret=a"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&client_id=service&client_secret=service-secret")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(twice.error(), "invalid_request");
    let odd = format!("Basic {}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "a%2Bb:c%3Ad"));
    assert_eq!(lab.token(Some(&odd), &cc).await.error(), "invalid_client");
}

#[tokio::test]
async fn line_14_failed_client_auth_is_invalid_client_with_basic_challenge() {
    let lab = start().await;
    let cc = [("grant_type", "client_credentials")];
    let r = lab.token(Some(&basic("service", "wrong")), &cc).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "invalid_client");
    assert!(r.header("www-authenticate").starts_with("Basic realm="), "{}", r.header("www-authenticate"));
    let r = lab.token(Some(&basic("nobody", "x")), &cc).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let body = lab
        .token(None, &[("grant_type", "client_credentials"), ("client_id", "service"), ("client_secret", "wrong")])
        .await;
    assert!(body.status == StatusCode::BAD_REQUEST || body.status == StatusCode::UNAUTHORIZED);
    assert_eq!(body.error(), "invalid_client");
    let missing = lab.token(None, &[("grant_type", "client_credentials"), ("client_id", "service")]).await;
    assert_eq!(missing.error(), "invalid_client");
}

#[tokio::test]
async fn line_15_other_failures_are_400_json_with_description() {
    let lab = start().await;
    let auth = basic("service", "service-secret");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "invalid_request"),
        (vec![("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")], "unsupported_grant_type"),
        (vec![("grant_type", "password"), ("username", "alice"), ("password", "wonderland")], "unauthorized_client"),
        (vec![("grant_type", "client_credentials"), ("scope", "admin")], "invalid_scope"),
        (vec![("grant_type", "client_credentials"), ("grant_type", "client_credentials")], "invalid_request"),
    ];
    for (pairs, error) in cases {
        let r = lab.token(Some(&auth), &pairs).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{pairs:?}");
        assert_eq!(r.error(), error, "{pairs:?}");
        assert!(r.json()["error_description"].as_str().unwrap().len() > 10);
        assert!(r.header("content-type").starts_with("application/json"));
    }
    let r = lab.token(Some(&lab.web_app()), &[("grant_type", "authorization_code"), ("code", "code_nope")]).await;
    assert_eq!(r.error(), "invalid_grant");
}

#[tokio::test]
async fn line_16_success_is_json_with_scope_and_no_store() {
    let lab = start().await;
    let r = lab.token(Some(&basic("service", "service-secret")), &[("grant_type", "client_credentials")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), "no-store");
    assert_eq!(r.header("pragma"), "no-cache");
    let t = r.json();
    assert!(t["access_token"].is_string());
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["scope"], "read write");
    let t = lab.web_app_tokens().await;
    assert!(t["refresh_token"].as_str().unwrap().starts_with("rt_"));
    assert_eq!(t["scope"], "read write");
}

#[tokio::test]
async fn line_17_code_verifier_rules() {
    let lab = start().await;
    let cb = lab.callback();
    let code = lab.code_for(&[]).await["code"].clone();
    let redeem = |verifier: Option<&'static str>, code: String| {
        let lab = &lab;
        let cb = cb.clone();
        async move {
            let mut p =
                vec![("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", cb.as_str())];
            if let Some(v) = verifier {
                p.push(("code_verifier", v));
            }
            lab.token(Some(&lab.web_app()), &p).await
        }
    };
    assert_eq!(redeem(None, code.clone()).await.error(), "invalid_grant");
    assert_eq!(
        redeem(Some("wrong-verifier-wrong-verifier-wrong-verifier-x"), code.clone()).await.error(),
        "invalid_grant"
    );
    // The stolen-code attempts did not burn it: the real client still redeems.
    assert_eq!(redeem(Some(VERIFIER), code).await.status, StatusCode::OK);
    // redirect_uri sent at authorization must be sent again.
    let code = lab.code_for(&[]).await["code"].clone();
    let r = lab
        .token(
            Some(&lab.web_app()),
            &[("grant_type", "authorization_code"), ("code", &code), ("code_verifier", VERIFIER)],
        )
        .await;
    assert_eq!(r.error(), "invalid_grant");
    // A verifier without a challenge (confidential client, no PKCE).
    let page_params =
        [("response_type", "code"), ("client_id", "web-app"), ("redirect_uri", cb.as_str()), ("state", "a")];
    let res = lab.consent(&page_params, &approve_as_alice(&["read"])).await;
    let code = res.location_params()["code"].clone();
    assert_eq!(redeem(Some(VERIFIER), code.clone()).await.error(), "invalid_grant");
    assert_eq!(
        redeem(None, code).await.status,
        StatusCode::OK,
        "no PKCE on either side is allowed for confidential clients"
    );
}

#[tokio::test]
async fn line_18_replayed_code_revokes_its_tokens() {
    let lab = start().await;
    let cb = lab.callback();
    let code = lab.code_for(&[]).await["code"].clone();
    let p = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", cb.as_str()),
        ("code_verifier", VERIFIER),
    ];
    let first = lab.token(Some(&lab.web_app()), &p).await.json();
    let at = first["access_token"].as_str().unwrap();
    let rt = first["refresh_token"].as_str().unwrap();
    let bearer = format!("Bearer {at}");
    assert_eq!(lab.get_auth("/api/v1/accounts/verify_credentials", &bearer).await.status, StatusCode::OK);
    let replay = lab.token(Some(&lab.web_app()), &p).await;
    assert_eq!(replay.error(), "invalid_grant");
    assert_eq!(lab.get_auth("/api/v1/accounts/verify_credentials", &bearer).await.status, StatusCode::UNAUTHORIZED);
    let refresh = lab.token(Some(&lab.web_app()), &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await;
    assert_eq!(refresh.error(), "invalid_grant");
}

#[tokio::test]
async fn line_19_password_grant_wrong_credentials_and_lockout() {
    let lab = start_with(|c| c.lockout = std::time::Duration::from_millis(500)).await;
    let first_party = |user: &'static str, password: &'static str| {
        let lab = &lab;
        async move {
            lab.token(
                None,
                &[
                    ("grant_type", "password"),
                    ("username", user),
                    ("password", password),
                    ("client_id", "first-party"),
                    ("client_secret", "first-party-secret"),
                ],
            )
            .await
        }
    };
    let ok = first_party("bob", "builder").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.json()["refresh_token"].is_string());
    for _ in 0..5 {
        assert_eq!(first_party("alice", "guess").await.error(), "invalid_grant");
    }
    let locked = first_party("alice", "wonderland").await;
    assert_eq!(locked.error(), "invalid_grant");
    assert!(locked.json()["error_description"].as_str().unwrap().contains("locked"));
    assert_eq!(first_party("bob", "builder").await.status, StatusCode::OK, "only alice is locked");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(first_party("alice", "wonderland").await.status, StatusCode::OK);
}

#[tokio::test]
async fn line_20_client_credentials_confidential_only_without_refresh() {
    let lab = start().await;
    let t = lab.token(Some(&basic("service", "service-secret")), &[("grant_type", "client_credentials")]).await.json();
    assert!(t.get("refresh_token").is_none());
    let public = lab.token(None, &[("grant_type", "client_credentials"), ("client_id", "spa")]).await;
    assert_eq!(public.status, StatusCode::BAD_REQUEST);
    assert_eq!(public.error(), "unauthorized_client");
}

#[tokio::test]
async fn line_21_scope_beyond_registration_and_narrower_grants() {
    let lab = start().await;
    let r = lab.register(json!({"grant_types": ["client_credentials"], "scope": "read"})).await.json();
    let auth = basic(r["client_id"].as_str().unwrap(), r["client_secret"].as_str().unwrap());
    let wide = lab.token(Some(&auth), &[("grant_type", "client_credentials"), ("scope", "read write")]).await;
    assert_eq!(wide.error(), "invalid_scope");
    // The user unticks write on the consent page: the grant is narrower
    // than asked, and `scope` says so.
    let cb = lab.callback();
    let ch = s256(VERIFIER);
    let res = lab
        .consent(
            &[
                ("response_type", "code"),
                ("client_id", "web-app"),
                ("redirect_uri", &cb),
                ("scope", "read write"),
                ("code_challenge", &ch),
                ("code_challenge_method", "S256"),
            ],
            &approve_as_alice(&["read"]),
        )
        .await;
    let code = res.location_params()["code"].clone();
    let t = lab
        .token(
            Some(&lab.web_app()),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &cb),
                ("code_verifier", VERIFIER),
            ],
        )
        .await
        .json();
    assert_eq!(t["scope"], "read");
}

#[tokio::test]
async fn line_22_refresh_rotates_and_reuse_revokes_the_family() {
    let lab = start().await;
    let t = lab.web_app_tokens().await;
    let rt1 = t["refresh_token"].as_str().unwrap().to_string();
    // Bound to its client.
    let other = lab
        .token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt1),
                ("client_id", "first-party"),
                ("client_secret", "first-party-secret"),
            ],
        )
        .await;
    assert_eq!(other.error(), "invalid_grant");
    // Scope may narrow, never widen.
    let wider = lab
        .token(
            Some(&lab.web_app()),
            &[("grant_type", "refresh_token"), ("refresh_token", &rt1), ("scope", "read write admin")],
        )
        .await;
    assert_eq!(wider.error(), "invalid_scope");
    let t2 = lab
        .token(Some(&lab.web_app()), &[("grant_type", "refresh_token"), ("refresh_token", &rt1), ("scope", "read")])
        .await;
    assert_eq!(t2.status, StatusCode::OK, "{}", t2.text);
    let t2 = t2.json();
    assert_eq!(t2["scope"], "read");
    let rt2 = t2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2, "rotated");
    let at2 = t2["access_token"].as_str().unwrap().to_string();
    // The narrower refresh kept the original scope on the new refresh
    // token (§6): a refresh without scope gets read write back.
    let t3 = lab.token(Some(&lab.web_app()), &[("grant_type", "refresh_token"), ("refresh_token", &rt2)]).await.json();
    assert_eq!(t3["scope"], "read write");
    let rt3 = t3["refresh_token"].as_str().unwrap().to_string();
    // Reusing an old one revokes everything of the family.
    let reuse = lab.token(Some(&lab.web_app()), &[("grant_type", "refresh_token"), ("refresh_token", &rt1)]).await;
    assert_eq!(reuse.error(), "invalid_grant");
    let after = lab.token(Some(&lab.web_app()), &[("grant_type", "refresh_token"), ("refresh_token", &rt3)]).await;
    assert_eq!(after.error(), "invalid_grant");
    let api = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {at2}")).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}
