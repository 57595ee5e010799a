//! OpenID Connect against the running lab, with the `openidconnect` crate as
//! the relying party: discovery, the code flow with PKCE and a nonce, every
//! check the crate makes of the ID token (signature against the JWKS, iss,
//! aud, exp, iat, nonce, at_hash), UserInfo, `prompt`, and RP-initiated
//! logout.

use crate::common::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use reqwest::StatusCode;

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs alice in through the crate's authorization URL and returns the
/// code, after checking `state`.
async fn code_for(lab: &Lab, url: &url::Url, state: &CsrfToken) -> String {
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let back = lab.consent(&pairs, &approve_as_alice(&["openid", "profile", "email"])).await;
    let params = back.location_params();
    assert_eq!(&params["state"], state.secret());
    params["code"].clone()
}

#[tokio::test]
async fn line_32_openidconnect_crate_discovers_signs_in_verifies_the_id_token_and_reads_userinfo() {
    let lab = start().await;
    let http = http();
    let issuer = IssuerUrl::new(lab.url("")).unwrap();
    let provider = CoreProviderMetadata::discover_async(issuer, &http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(
        provider,
        ClientId::new("web-app".into()),
        Some(ClientSecret::new("web-app-secret".into())),
    )
    .set_redirect_uri(RedirectUrl::new(lab.callback()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let code = code_for(&lab, &url, &state).await;
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = token.id_token().expect("an ID token with the openid scope");
    let id_verifier = client.id_token_verifier();
    // Signature (JWKS), iss, aud, exp, iat and nonce: the crate checks each.
    let claims: &CoreIdTokenClaims = id_token.claims(&id_verifier, &nonce).expect("a valid ID token");
    assert_eq!(claims.issuer().as_str(), lab.url(""));
    assert_eq!(claims.audiences().iter().map(|a| a.as_str()).collect::<Vec<_>>(), ["web-app"]);
    assert!(claims.auth_time().is_some(), "auth_time is sent");
    let expected = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash binds the access token");
    assert_ne!(claims.subject().as_str(), "alice@example.com", "sub is not the email");

    // The same ID token with another nonce fails the crate's check.
    assert!(id_token.claims(&id_verifier, &Nonce::new("another".into())).is_err());
    // Another client's verifier refuses it (aud).
    let other = CoreClient::from_provider_metadata(
        CoreProviderMetadata::discover_async(IssuerUrl::new(lab.url("")).unwrap(), &http).await.unwrap(),
        ClientId::new("spa".into()),
        None,
    );
    assert!(id_token.claims(&other.id_token_verifier(), &nonce).is_err());

    let info: CoreUserInfoClaims = client
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("UserInfo, its sub the ID token's");
    assert_eq!(info.email().map(|e| e.as_str()), Some("alice@example.com"));
    assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("alice"));
    assert_eq!(info.name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("Alice Liddell"));

    // UserInfo over POST too (Core 1.0 §5.3.1).
    let bearer = format!("Bearer {}", token.access_token().secret());
    let posted = lab.post_form("/oauth/userinfo", Some(&bearer), &[]).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    assert_eq!(posted.json()["sub"], claims.subject().as_str());

    // alg none, and a tampered payload, are refused wherever the lab reads
    // a JWT: at the API and as a logout hint.
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let raw = id_token.to_string();
    let parts: Vec<&str> = raw.split('.').collect();
    let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#), parts[1]);
    let mut payload: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["sub"] = "someone-else".into();
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(payload.to_string()), parts[2]);
    for forged in [&unsigned, &tampered] {
        let api = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {forged}")).await;
        assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.text);
        let hint = lab.get(&format!("/oauth/logout?{}", form(&[("id_token_hint", forged)]))).await;
        assert_eq!(hint.status, StatusCode::BAD_REQUEST, "{}", hint.text);
    }

    // An ID token is no access token: the API refuses it (its typ is JWT).
    let api = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {}", id_token)).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.text);
    assert!(api.header("www-authenticate").contains("invalid_token"));
}

#[tokio::test]
async fn line_31_discovery_names_what_an_openid_provider_must() {
    let lab = start().await;
    let m = lab.get("/.well-known/openid-configuration").await.json();
    assert_eq!(m["issuer"], lab.url(""));
    for field in ["authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint"] {
        assert!(m[field].as_str().is_some_and(|u| u.starts_with(&lab.url("/"))), "{field}: {m}");
    }
    for scope in ["openid", "profile", "email", "read", "write"] {
        assert!(m["scopes_supported"].as_array().unwrap().iter().any(|s| s == scope), "{scope}");
    }
    assert_eq!(m["subject_types_supported"], serde_json::json!(["public"]));
    assert_eq!(m["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    assert_eq!(m["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    for claim in ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email", "name"] {
        assert!(m["claims_supported"].as_array().unwrap().iter().any(|c| c == claim), "{claim}");
    }
    // The key that signs ID tokens is in the JWKS.
    let keys = lab.get("/oauth/jwks").await.json();
    assert_eq!(keys["keys"][0]["alg"], "RS256");
}

#[tokio::test]
async fn line_33_prompt_none_is_login_required_and_bad_prompts_are_invalid_request() {
    let lab = start().await;
    let callback = lab.callback();
    let base = [
        ("response_type", "code"),
        ("client_id", "web-app"),
        ("redirect_uri", callback.as_str()),
        ("scope", "openid"),
        ("state", "s1"),
    ];
    let with = |extra: (&'static str, &'static str)| {
        let mut v = base.to_vec();
        v.push(extra);
        v
    };
    let none = lab.authorize(&with(("prompt", "none"))).await;
    assert_eq!(none.status, StatusCode::FOUND, "{}", none.text);
    let p = none.location_params();
    assert_eq!(p["error"], "login_required");
    assert_eq!(p["state"], "s1");
    let mixed = lab.authorize(&with(("prompt", "none login"))).await.location_params();
    assert_eq!(mixed["error"], "invalid_request");
    let age = lab.authorize(&with(("max_age", "soon"))).await.location_params();
    assert_eq!(age["error"], "invalid_request");
    // prompt=login and a login_hint show the sign-in form, the hint filled in.
    let page = lab.authorize(&[with(("prompt", "login")), vec![("login_hint", "bob")]].concat()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(r#"value="bob""#), "the hint fills the username");
}

#[tokio::test]
async fn line_34_userinfo_needs_a_live_token_with_the_openid_scope() {
    let lab = start().await;
    let missing = lab.get("/oauth/userinfo").await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert!(missing.header("www-authenticate").starts_with("Bearer"));
    let unknown = lab.get_auth("/oauth/userinfo", "Bearer nope").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.header("www-authenticate").contains("invalid_token"));
    // A token for the API only: 403 insufficient_scope.
    let api_only = lab.web_app_tokens().await;
    let r = lab.get_auth("/oauth/userinfo", &format!("Bearer {}", api_only["access_token"].as_str().unwrap())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.header("www-authenticate").contains("insufficient_scope"));
    assert!(api_only.get("id_token").is_none(), "no openid scope, no ID token");
}

#[tokio::test]
async fn line_35_logout_returns_only_to_a_registered_post_logout_redirect_uri() {
    let lab = start().await;
    let http = http();
    let client = CoreClient::from_provider_metadata(
        CoreProviderMetadata::discover_async(IssuerUrl::new(lab.url("")).unwrap(), &http).await.unwrap(),
        ClientId::new("web-app".into()),
        Some(ClientSecret::new("web-app-secret".into())),
    )
    .set_redirect_uri(RedirectUrl::new(lab.callback()).unwrap());
    let (url, state, _nonce) =
        client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random).url();
    let code = code_for(&lab, &url, &state).await;
    let token = client.exchange_code(AuthorizationCode::new(code)).unwrap().request_async(&http).await.unwrap();
    let hint = token.id_token().unwrap().to_string();
    let home = lab.url("/");
    let ok = lab
        .get(&format!(
            "/oauth/logout?{}",
            form(&[("id_token_hint", &hint), ("post_logout_redirect_uri", &home), ("state", "bye")])
        ))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(ok.header("location"), format!("{home}?state=bye"));
    let elsewhere = lab
        .get(&format!(
            "/oauth/logout?{}",
            form(&[("id_token_hint", &hint), ("post_logout_redirect_uri", "https://attacker.example/")])
        ))
        .await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    assert!(elsewhere.header("location").is_empty(), "never redirected to an unregistered URI");
    let tampered = format!("{}x", &hint[..hint.len() - 1]);
    let forged = lab.get(&format!("/oauth/logout?{}", form(&[("id_token_hint", &tampered)]))).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    // Registration takes post_logout_redirect_uris (RP-Initiated Logout
    // §3.1), checked as redirect URIs are, and logout honours them.
    let app = lab
        .register(serde_json::json!({
            "client_name": "An RP",
            "redirect_uris": ["http://127.0.0.1:9/cb"],
            "post_logout_redirect_uris": ["http://127.0.0.1:9/bye"],
        }))
        .await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    assert_eq!(app.json()["post_logout_redirect_uris"], serde_json::json!(["http://127.0.0.1:9/bye"]));
    let id = app.json()["client_id"].as_str().unwrap().to_string();
    let bye = lab
        .get(&format!(
            "/oauth/logout?{}",
            form(&[("client_id", &id), ("post_logout_redirect_uri", "http://127.0.0.1:9/bye")])
        ))
        .await;
    assert_eq!(bye.status, StatusCode::SEE_OTHER, "{}", bye.text);
    assert_eq!(bye.header("location"), "http://127.0.0.1:9/bye");
    let cleartext = lab
        .register(serde_json::json!({
            "redirect_uris": ["http://127.0.0.1:9/cb"],
            "post_logout_redirect_uris": ["http://rp.example/bye"],
        }))
        .await;
    assert_eq!(cleartext.status, StatusCode::BAD_REQUEST);
    assert_eq!(cleartext.json()["error"], "invalid_redirect_uri");

    let bare = lab.get("/oauth/logout").await;
    assert_eq!(bare.status, StatusCode::OK);
    assert!(bare.text.contains("Signed out"));
}
