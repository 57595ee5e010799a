//! The authorization server on its own: its routes alone, with the default
//! hooks (`NoHooks`) and a client and a user of its own, driven through
//! the router as HTTP requests. Nothing of the lab is built.

use super::protocol::{AuthMethod, GrantType, ResponseType};
use super::store::{Client, User};
use super::util::{s256, sha256};
use super::{AuthServer, NoHooks, Settings};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const ISSUER: &str = "https://as.example.test";
const CALLBACK: &str = "https://app.example.test/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn settings() -> Settings {
    Settings {
        public_url: ISSUER.into(),
        code_ttl: Duration::from_secs(60),
        access_token_ttl: Duration::from_secs(3600),
        refresh_token_ttl: Duration::from_secs(86_400),
        client_ttl: Duration::from_secs(86_400),
        pending_ttl: Duration::from_secs(600),
        device_ttl: Duration::from_secs(600),
        device_interval: Duration::from_secs(5),
        max_clients: 10,
        max_codes: 10,
        max_tokens: 100,
        max_tokens_per_client: 10,
        max_clients_per_requester: 3,
        max_pending: 10,
        max_failed_logins: 5,
        lockout: Duration::from_secs(60),
    }
}

fn server() -> Router {
    let app = Client {
        client_id: "app".into(),
        client_name: "An app".into(),
        secret_hash: Some(sha256(b"app-secret")),
        redirect_uris: vec![CALLBACK.into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken, GrantType::ClientCredentials],
        response_types: vec![ResponseType::Code],
        scopes: vec!["read".into(), "write".into()],
        auth_method: AuthMethod::ClientSecretBasic,
        issued_at: 0,
        post_logout_redirect_uris: vec![],
        client_uri: None,
    };
    let carol = User {
        id: "1".into(),
        username: "carol".into(),
        display_name: "Carol".into(),
        email: "carol@example.com".into(),
        password_hash: sha256(b"secret"),
    };
    let auth = AuthServer::new(settings(), vec![app], vec![carol], Arc::new(NoHooks));
    super::endpoints::routes().with_state(auth)
}

struct Answer {
    status: StatusCode,
    location: String,
    cookie: String,
    body: String,
}

async fn send(router: &Router, req: Request<Body>) -> Answer {
    let res = router.clone().oneshot(req).await.expect("the router answers");
    let header = |name| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (status, location, cookie) = (res.status(), header(header::LOCATION), header(header::SET_COOKIE));
    let bytes = res.into_body().collect().await.expect("a body").to_bytes();
    Answer { status, location, cookie, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn token_request(form: &str) -> Request<Body> {
    Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        // base64("app:app-secret")
        .header(header::AUTHORIZATION, "Basic YXBwOmFwcC1zZWNyZXQ=")
        .body(Body::from(form.to_string()))
        .expect("a request")
}

fn json(a: &Answer) -> serde_json::Value {
    serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", a.body))
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_string()
}

/// carol approves `app`'s PKCE code request: the code.
async fn code(router: &Router) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", "app"),
            ("redirect_uri", CALLBACK),
            ("state", "xyz"),
            ("code_challenge", &s256(VERIFIER)),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let page = send(router, Request::get(format!("/oauth/authorize?{query}")).body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("request_id", hidden(&page.body, "request_id").as_str()),
            ("csrf_token", hidden(&page.body, "csrf_token").as_str()),
            ("scope", "read"),
            ("username", "carol"),
            ("password", "secret"),
            ("decision", "approve"),
        ])
        .finish();
    let cookie = page.cookie.split(';').next().unwrap_or_default().to_string();
    let decided = send(
        router,
        Request::post("/oauth/authorize")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(form))
            .unwrap(),
    )
    .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let back = url::Url::parse(&decided.location).expect("a redirect to the callback");
    assert!(decided.location.starts_with(CALLBACK));
    let state = back.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned());
    assert_eq!(state.as_deref(), Some("xyz"));
    back.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code")
}

fn redeem(code: &str) -> Request<Body> {
    token_request(&format!(
        "grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&code_verifier={VERIFIER}"
    ))
}

#[tokio::test]
async fn metadata_names_the_issuer_and_every_registered_grant() {
    let router = server();
    let meta =
        send(&router, Request::get("/.well-known/oauth-authorization-server").body(Body::empty()).unwrap()).await;
    let meta = json(&meta);
    assert_eq!(meta["issuer"], ISSUER);
    assert_eq!(meta["token_endpoint"], format!("{ISSUER}/oauth/token"));
    let grants: Vec<&str> =
        meta["grant_types_supported"].as_array().unwrap().iter().filter_map(|g| g.as_str()).collect();
    for g in super::grants::grant_types() {
        assert!(grants.contains(&g.as_str()), "{g} missing from {grants:?}");
    }
}

#[tokio::test]
async fn code_grant_with_pkce_then_refresh_rotation() {
    let router = server();
    let code = code(&router).await;
    let tokens = send(&router, redeem(&code)).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let tokens = json(&tokens);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "read");
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token").to_string();
    let fresh = send(&router, token_request(&format!("grant_type=refresh_token&refresh_token={refresh}"))).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    // With the default hooks every defence holds: the spent refresh token
    // is a reuse.
    let reused = send(&router, token_request(&format!("grant_type=refresh_token&refresh_token={refresh}"))).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&reused)["error"], "invalid_grant");
}

#[tokio::test]
async fn a_code_works_once_with_the_default_hooks() {
    let router = server();
    let code = code(&router).await;
    assert_eq!(send(&router, redeem(&code)).await.status, StatusCode::OK);
    let again = send(&router, redeem(&code)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&again)["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_a_page_not_a_redirect() {
    let router = server();
    let query = "response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fapp.example.test.evil%2Fcb&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";
    let page = send(&router, Request::get(format!("/oauth/authorize?{query}")).body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.location.is_empty());
    assert!(page.body.contains("Redirect URI not registered"));
}

#[tokio::test]
async fn client_credentials_and_an_unknown_grant_type() {
    let router = server();
    let t = send(&router, token_request("grant_type=client_credentials&scope=read")).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert!(json(&t)["refresh_token"].is_null());
    let unknown = send(&router, token_request("grant_type=urn:example:nothing")).await;
    assert_eq!(json(&unknown)["error"], "unsupported_grant_type");
}
