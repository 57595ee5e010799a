//! The `oauth2` crate drives all four grants, refresh, revocation and
//! introspection against the running app, as a real client would.

use crate::common::*;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    IntrospectionUrl, PkceCodeChallenge, RedirectUrl, RequestTokenError, ResourceOwnerPassword, ResourceOwnerUsername,
    RevocationUrl, Scope, StandardRevocableToken, TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use reqwest::StatusCode;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointSet, EndpointSet, EndpointSet>;

fn client(lab: &Lab, id: &str, secret: Option<&str>, redirect: Option<String>) -> Client {
    let mut c = BasicClient::new(ClientId::new(id.into()))
        .set_auth_uri(AuthUrl::new(lab.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(lab.url("/oauth/token")).unwrap())
        // RFC 7009 §2: clients MUST check that the revocation URL is https,
        // and the crate does; `Loopback` carries it to the lab's plain port.
        .set_revocation_url(RevocationUrl::new(lab.url("/oauth/revoke").replacen("http://", "https://", 1)).unwrap())
        .set_introspection_url(IntrospectionUrl::new(lab.url("/oauth/introspect")).unwrap());
    if let Some(s) = secret {
        c = c.set_client_secret(ClientSecret::new(s.into()));
    }
    if let Some(r) = redirect {
        c = c.set_redirect_uri(RedirectUrl::new(r).unwrap());
    }
    c
}

/// An HTTP client for the crate that sends `https://127.0.0.1...` requests
/// to the same loopback address over plain HTTP, as a TLS-terminating proxy
/// in front of the lab would.
struct Loopback(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Loopback {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = <reqwest::Client as oauth2::AsyncHttpClient<'c>>::Future;

    fn call(&'c self, mut request: oauth2::HttpRequest) -> Self::Future {
        let uri = request.uri().to_string();
        assert!(uri.starts_with("https://127.0.0.1:"), "only the lab's loopback address: {uri}");
        *request.uri_mut() = uri.replacen("https://", "http://", 1).parse().unwrap();
        self.0.call(request)
    }
}

fn query_pairs(url: &url::Url) -> Vec<(String, String)> {
    url.query_pairs().into_owned().collect()
}

/// Plays the browser: shows the consent page for `url` and approves as
/// alice.
async fn approve(lab: &Lab, url: &url::Url, scopes: &[&'static str]) -> Reply {
    let pairs = query_pairs(url);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    lab.consent(&pairs, &approve_as_alice(scopes)).await
}

#[tokio::test]
async fn oauth2_crate_authorization_code_with_pkce_refresh_revoke_introspect() {
    let lab = start().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let web = client(&lab, "web-app", Some("web-app-secret"), Some(lab.callback()));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = web
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("write".into()))
        .set_pkce_challenge(challenge)
        .url();
    let back = approve(&lab, &url, &["read", "write"]).await;
    let params = back.location_params();
    assert_eq!(&params["state"], state.secret(), "state comes back unchanged");
    let token = web
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let scopes: Vec<String> = token.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["read", "write"]);
    let me =
        lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {}", token.access_token().secret())).await;
    assert_eq!(me.json()["username"], "alice");

    let intro = web.introspect(token.access_token()).request_async(&http).await.expect("introspection");
    assert!(intro.active());
    assert_eq!(intro.username(), Some("alice"));

    let refreshed =
        web.exchange_refresh_token(token.refresh_token().unwrap()).request_async(&http).await.expect("refresh");
    assert_ne!(refreshed.refresh_token().unwrap().secret(), token.refresh_token().unwrap().secret());
    // The old refresh token is spent: the crate surfaces the RFC error.
    match web.exchange_refresh_token(token.refresh_token().unwrap()).request_async(&http).await {
        Err(RequestTokenError::ServerResponse(e)) => assert_eq!(*e.error(), BasicErrorResponseType::InvalidGrant),
        other => panic!("expected invalid_grant, got {other:?}"),
    }

    let fresh = lab.web_app_tokens().await;
    let rt = oauth2::RefreshToken::new(fresh["refresh_token"].as_str().unwrap().into());
    let tls = Loopback(http.clone());
    web.revoke_token(StandardRevocableToken::RefreshToken(rt.clone()))
        .unwrap()
        .request_async(&tls)
        .await
        .expect("revocation");
    let at = oauth2::AccessToken::new(fresh["access_token"].as_str().unwrap().into());
    assert!(!web.introspect(&at).request_async(&http).await.unwrap().active());
}

#[tokio::test]
async fn oauth2_crate_wrong_verifier_is_invalid_grant() {
    let lab = start().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let spa = client(&lab, "spa", None, Some(lab.spa_callback()));
    let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = spa.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge).url();
    let code = approve(&lab, &url, &["read", "write"]).await.location_params()["code"].clone();
    let (_, wrong) = PkceCodeChallenge::new_random_sha256();
    let r = spa.exchange_code(AuthorizationCode::new(code)).set_pkce_verifier(wrong).request_async(&http).await;
    match r {
        Err(RequestTokenError::ServerResponse(e)) => assert_eq!(*e.error(), BasicErrorResponseType::InvalidGrant),
        other => panic!("expected invalid_grant, got {other:?}"),
    }
}

#[tokio::test]
async fn oauth2_crate_implicit() {
    let lab = start().await;
    let spa = client(&lab, "spa", None, Some(lab.spa_callback()));
    let (url, state) =
        spa.authorize_url(CsrfToken::new_random).use_implicit_flow().add_scope(Scope::new("read".into())).url();
    assert!(url.as_str().contains("response_type=token"));
    let back = approve(&lab, &url, &["read"]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    let p = back.location_params();
    assert_eq!(&p["state"], state.secret());
    let me = lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {}", p["access_token"])).await;
    assert_eq!(me.json()["username"], "alice");
}

#[tokio::test]
async fn oauth2_crate_client_credentials() {
    let lab = start().await;
    let http = reqwest::Client::new();
    let service = client(&lab, "service", Some("service-secret"), None);
    let t =
        service.exchange_client_credentials().add_scope(Scope::new("read".into())).request_async(&http).await.unwrap();
    assert!(t.refresh_token().is_none());
    let me =
        lab.get_auth("/api/v1/accounts/verify_credentials", &format!("Bearer {}", t.access_token().secret())).await;
    assert_eq!(me.json()["client_id"], "service");
}

#[tokio::test]
async fn oauth2_crate_password_with_body_credentials() {
    let lab = start().await;
    let http = reqwest::Client::new();
    let app = client(&lab, "first-party", Some("first-party-secret"), None).set_auth_type(AuthType::RequestBody);
    let t = app
        .exchange_password(&ResourceOwnerUsername::new("bob".into()), &ResourceOwnerPassword::new("builder".into()))
        .add_scope(Scope::new("write".into()))
        .request_async(&http)
        .await
        .unwrap();
    let scopes: Vec<String> = t.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["write"]);
    let post = lab
        .post_form(
            "/api/v1/statuses",
            Some(&format!("Bearer {}", t.access_token().secret())),
            &[("status", "built it")],
        )
        .await;
    assert_eq!(post.json()["account"]["username"], "bob");
    let refreshed = app.exchange_refresh_token(t.refresh_token().unwrap()).request_async(&http).await.unwrap();
    assert!(refreshed.access_token().secret().starts_with("at_"));
}

#[tokio::test]
async fn lab_client_finishes_a_grant_through_its_callback() {
    let lab = start().await;
    let start = lab.get("/lab/start").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let url = url::Url::parse(&start.header("location")).unwrap();
    let back = approve(&lab, &url, &["read", "write"]).await;
    let loc = back.header("location");
    let path = loc.trim_start_matches(&lab.base);
    // The browser that began the login, with the cookie its state is
    // bound to.
    let browser = start.header("set-cookie").split(';').next().unwrap().to_string();
    let in_browser = |path: &str| lab.http.get(lab.url(path)).header("cookie", browser.clone()).send();
    let done = reply(in_browser(path).await.unwrap()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    // The account as the API answered it, as text (Leptos escapes `<`, `>`
    // and `&` in text; quotes need no escaping there).
    assert!(done.text.contains(r#"<pre data-testid="account">{"#), "{}", done.text);
    assert!(done.text.contains(r#""username": "alice""#), "{}", done.text);
    assert!(done.text.contains("data-testid=\"access-token\">at_"));
    // The same callback again: its state is spent.
    assert_eq!(in_browser(path).await.unwrap().status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn lab_client_callback_with_a_bad_code_is_400_not_5xx() {
    let lab = start().await;
    let start = lab.get("/lab/start").await;
    let url = url::Url::parse(&start.header("location")).unwrap();
    let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let browser = start.header("set-cookie").split(';').next().unwrap().to_string();
    let r = reply(
        lab.http
            .get(lab.url(&format!("/lab/callback?state={state}&code=garbage")))
            .header("cookie", browser)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("The token request was refused"), "{}", r.text);
}
