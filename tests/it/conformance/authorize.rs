//! Lines 4 to 11: the authorization endpoint.

use crate::common::*;
use reqwest::StatusCode;
use std::collections::HashSet;

fn code_request<'a>(lab_cb: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", "web-app"),
        ("redirect_uri", lab_cb),
        ("state", "s1"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

#[tokio::test]
async fn line_04_consent_page_is_plain_html_form_with_csrf_and_no_framing() {
    let lab = start().await;
    let cb = lab.callback();
    let ch = s256(VERIFIER);
    let page = lab.authorize(&code_request(&cb, &ch)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    let html = &page.text;
    assert!(html.contains("<form method=\"post\" action=\"/oauth/authorize\""));
    assert!(html.contains("name=\"username\""));
    assert!(html.contains("name=\"password\""));
    assert!(html.contains("name=\"decision\" value=\"approve\""));
    assert!(html.contains("name=\"decision\" value=\"deny\""));
    assert!(!html.contains("<script"), "works without JavaScript");
    assert!(page.header("content-security-policy").contains("frame-ancestors 'self'"));
    assert_eq!(page.header("x-frame-options"), "SAMEORIGIN");
    let cookie = page.header("set-cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(hidden(html, "csrf_token").len() >= 43);
}

#[tokio::test]
async fn line_04_form_posted_without_the_csrf_token_or_cookie_is_refused() {
    let lab = start().await;
    let cb = lab.callback();
    let ch = s256(VERIFIER);
    let page = lab.authorize(&code_request(&cb, &ch)).await;
    let request_id = hidden(&page.text, "request_id");
    let csrf = hidden(&page.text, "csrf_token");
    let cookie = page.header("set-cookie").split(';').next().unwrap().to_string();
    let login = [("decision", "approve"), ("username", "alice"), ("password", "wonderland"), ("scope", "read")];
    // Right token, no cookie: a cross-site post.
    let mut fields = vec![("request_id", request_id.as_str()), ("csrf_token", csrf.as_str())];
    fields.extend_from_slice(&login);
    let r = lab.post_form("/oauth/authorize", None, &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Cookie, forged token.
    let mut fields = vec![("request_id", request_id.as_str()), ("csrf_token", "forged")];
    fields.extend_from_slice(&login);
    let r = reply(
        lab.http
            .post(lab.url("/oauth/authorize"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &cookie)
            .body(form(&fields))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.header("location").is_empty());
}

#[tokio::test]
async fn line_05_unknown_client_or_unregistered_redirect_shows_page_never_redirects() {
    let lab = start().await;
    let cb = lab.callback();
    let ch = s256(VERIFIER);
    let unknown = lab.authorize(&[("response_type", "code"), ("client_id", "nobody"), ("redirect_uri", &cb)]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.header("location").is_empty());
    assert!(unknown.text.contains("Unknown client"));
    // Exact string match only: suffixes, prefixes, other ports and case fail
    // (the suffix-match hole of go-oauth2/oauth2 issues 105 and 298).
    for evil in [
        format!("{cb}.evil.example"),
        format!("{cb}/../steal"),
        format!("{cb}?x=1"),
        cb.replace("/lab/callback", "/lab/CALLBACK"),
        "https://evil.example/lab/callback".to_string(),
        cb.trim_end_matches("back").to_string(),
    ] {
        let mut req = code_request(&evil, &ch);
        req[1] = ("client_id", "web-app");
        let r = lab.authorize(&req).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{evil}");
        assert!(r.header("location").is_empty(), "{evil} must not redirect");
    }
}

#[tokio::test]
async fn line_06_errors_redirect_with_error_description_and_state() {
    let lab = start().await;
    let cb = lab.callback();
    let ch = s256(VERIFIER);
    let check = |r: &Reply, error: &str| {
        assert_eq!(r.status, StatusCode::FOUND, "{}", r.text);
        assert!(location_is_callback(r, &cb));
        let p = r.location_params();
        assert_eq!(p["error"], error);
        assert!(p["error_description"].len() > 10);
        assert_eq!(p["state"], "s1");
    };
    let base = code_request(&cb, &ch);
    let without_rt: Vec<_> = base.iter().filter(|(k, _)| *k != "response_type").cloned().collect();
    check(&lab.authorize(&without_rt).await, "unsupported_response_type");
    let mut bad_rt = base.clone();
    bad_rt[0] = ("response_type", "id_token");
    check(&lab.authorize(&bad_rt).await, "unsupported_response_type");
    let mut implicit = base.clone();
    implicit[0] = ("response_type", "token");
    let r = lab.authorize(&implicit).await;
    assert_eq!(r.location_params()["error"], "unauthorized_client");
    assert!(r.header("location").contains('#'), "implicit errors go in the fragment");
    let mut scope = base.clone();
    scope.push(("scope", "read admin"));
    check(&lab.authorize(&scope).await, "invalid_scope");
    let denied = lab.consent(&base, &[("decision", "deny")]).await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    let p = denied.location_params();
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "s1");
    assert!(!p["error_description"].is_empty());
    let mut twice = base.clone();
    twice.push(("state", "again"));
    let r = lab.authorize(&twice).await;
    assert_eq!(r.location_params()["error"], "invalid_request");
}

#[tokio::test]
async fn line_07_public_clients_need_s256_pkce_and_plain_is_refused() {
    let lab = start().await;
    let cb = lab.spa_callback();
    let ch = s256(VERIFIER);
    let base = [("response_type", "code"), ("client_id", "spa"), ("redirect_uri", cb.as_str()), ("state", "s")];
    let r = lab.authorize(&base).await;
    let p = r.location_params();
    assert_eq!(p["error"], "invalid_request");
    assert!(p["error_description"].contains("PKCE"));
    let mut plain = base.to_vec();
    plain.extend([("code_challenge", VERIFIER), ("code_challenge_method", "plain")]);
    let p = lab.authorize(&plain).await.location_params();
    assert_eq!(p["error"], "invalid_request");
    assert!(p["error_description"].contains("plain"));
    let mut s256_req = base.to_vec();
    s256_req.extend([("code_challenge", ch.as_str()), ("code_challenge_method", "S256")]);
    assert_eq!(lab.authorize(&s256_req).await.status, StatusCode::OK);
}

#[tokio::test]
async fn line_08_login_post_redirects_with_303() {
    let lab = start().await;
    let cb = lab.callback();
    let ch = s256(VERIFIER);
    let r = lab.consent(&code_request(&cb, &ch), &approve_as_alice(&["read"])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(location_is_callback(&r, &cb));
}

#[tokio::test]
async fn line_09_code_in_query_token_in_fragment_without_refresh_token() {
    let lab = start().await;
    let p = lab.code_for(&[]).await;
    assert!(p["code"].starts_with("code_"));
    assert_eq!(p["state"], "xyz");

    let cb = lab.spa_callback();
    let r = lab
        .consent(
            &[
                ("response_type", "token"),
                ("client_id", "spa"),
                ("redirect_uri", &cb),
                ("state", "st"),
                ("scope", "read"),
            ],
            &approve_as_alice(&["read"]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let loc = url::Url::parse(&r.header("location")).unwrap();
    assert!(loc.query().is_none(), "nothing in the query");
    let p = r.location_params();
    assert!(p["access_token"].starts_with("at_"));
    assert_eq!(p["token_type"], "Bearer");
    assert_eq!(p["expires_in"], "3600");
    assert_eq!(p["scope"], "read");
    assert_eq!(p["state"], "st");
    assert!(!p.contains_key("refresh_token"));
    let me = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {}", p["access_token"])).await;
    assert_eq!(me.json()["username"], "alice");
}

#[tokio::test]
async fn line_10_codes_are_single_use_and_bound() {
    let lab = start().await;
    let cb = lab.callback();
    // Bound to the client: another client cannot redeem it.
    let code = lab.code_for(&[]).await["code"].clone();
    let other = lab
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &cb),
                ("code_verifier", VERIFIER),
                ("client_id", "spa"),
            ],
        )
        .await;
    assert_eq!(other.error(), "invalid_grant", "the code is the web app's, not the spa's");
    // Bound to the redirect URI.
    let wrong_uri = lab
        .token(
            Some(&lab.web_app()),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &lab.url("/other")),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(wrong_uri.error(), "invalid_grant");
    // Bound to the scope and the user: the token says what was approved.
    let ok = lab
        .token(
            Some(&lab.web_app()),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &cb),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let at = ok.json()["access_token"].as_str().unwrap().to_string();
    let intro = lab.post_form("/oauth/introspect", Some(&lab.web_app()), &[("token", &at)]).await.json();
    assert_eq!(intro["username"], "alice");
    assert_eq!(intro["scope"], "read write");
    // Single use.
    let again = lab
        .token(
            Some(&lab.web_app()),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &cb),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(again.error(), "invalid_grant");
}

#[tokio::test]
async fn line_10_codes_expire() {
    let lab = start_with(|c| c.code_ttl = std::time::Duration::from_millis(300)).await;
    let cb = lab.callback();
    let code = lab.code_for(&[]).await["code"].clone();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let r = lab
        .token(
            Some(&lab.web_app()),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &cb),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(r.error(), "invalid_grant");
}

#[tokio::test]
async fn line_11_codes_and_tokens_carry_at_least_128_random_bits() {
    use base64::Engine;
    let lab = start().await;
    let mut seen = HashSet::new();
    for _ in 0..20 {
        let t = lab.service_token("read").await;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.trim_start_matches("at_")).unwrap();
        assert!(raw.len() * 8 >= 128, "{t}");
        assert!(seen.insert(t));
    }
    let code = lab.code_for(&[]).await["code"].clone();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(code.trim_start_matches("code_")).unwrap();
    assert!(raw.len() * 8 >= 128);
}
