//! The lab's own client: the demo web app, driven by the `oauth2` crate
//! exactly as a real app would drive it, over loopback HTTP to the embedded
//! servers. `/lab/start` begins an authorization-code grant with PKCE and
//! `/lab/callback` finishes it and calls the API with the token.

use super::{Lab, Settings};
use crate::demo::DEMO_CLIENTS;
use crate::oauth::endpoints::{AUTHORIZE, TOKEN};
use crate::oauth::pages::layout;
use crate::oauth::store::Bounded;
use axum::extract::FromRef;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use parking_lot::Mutex;
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PENDING_TTL: Duration = Duration::from_secs(600);

/// The lab client's memory: the PKCE verifier of each grant in flight and
/// the browser it began in (`binding`), keyed by its `state`, capped and
/// expiring like every store.
pub struct DemoApp {
    pending: Mutex<Bounded<(String, [u8; 32])>>,
}

impl DemoApp {
    pub fn new(max_pending: usize) -> Self {
        Self { pending: Mutex::new(Bounded::new(max_pending)) }
    }

    pub fn sweep(&self, now: Instant) {
        self.pending.lock().sweep(now)
    }
}

pub fn routes<S>() -> Router<S>
where
    Arc<Lab>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/lab/start", get(start))
        .route("/lab/callback", get(callback))
        .route("/lab/spa/callback", get(spa_callback))
}

/// The demo single-page app's redirect URI (client `spa`): a page whose
/// script shows what the authorization server sent back, from the query
/// (a code) or the fragment (the implicit grant's token), as a browser-only
/// app would see it. The server never reads either.
async fn spa_callback() -> Response {
    let nonce = crate::oauth::util::random_token("");
    let script = r#"(() => {
  const out = document.getElementById("out");
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  const rows = [];
  for (const [where, params] of [["query", query], ["fragment", fragment]]) {
    for (const [k, v] of params) rows.push(where + ": " + k + " = " + v);
  }
  out.textContent = rows.length ? rows.join("
") : "Nothing came back: no query and no fragment.";
})();"#;
    let body = view! {
        <p>"The authorization server sent the browser back here. A single-page app has no server to redeem a code on: its script reads what arrived and goes on from there (with PKCE, from the code; in the implicit grant, from the token in the fragment)."</p>
        <pre id="out" data-testid="spa-received"></pre>
        <script nonce=nonce.clone() inner_html=script></script>
        <p><a href="/">"Back to the lab"</a></p>
    };
    let mut res = Html(layout(
        "OAuth2 Lab · the demo single-page app (client spa)",
        "lab-card",
        "Back in the single-page app",
        view! { <h1>"Back in the single-page app"</h1>{body} },
    ))
    .into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(v) =
        HeaderValue::from_str(&format!("default-src 'self'; script-src 'nonce-{nonce}'; frame-ancestors 'self'"))
    {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

fn web_app(
    config: &Settings,
) -> Result<
    oauth2::basic::BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
    String,
> {
    let demo = &DEMO_CLIENTS[0];
    Ok(BasicClient::new(ClientId::new(demo.client_id.to_string()))
        .set_client_secret(ClientSecret::new(demo.secret.unwrap_or_default().to_string()))
        .set_auth_uri(AuthUrl::new(config.url(AUTHORIZE)).map_err(|e| e.to_string())?)
        // The back channel goes over loopback, whatever the public URL.
        .set_token_uri(TokenUrl::new(format!("{}{TOKEN}", config.internal_url)).map_err(|e| e.to_string())?)
        .set_redirect_uri(RedirectUrl::new(config.url(demo.redirect_path)).map_err(|e| e.to_string())?))
}

/// Starts an authorization-code grant with PKCE for the demo web app.
async fn start(State(s): State<Arc<Lab>>, headers: HeaderMap) -> Response {
    let client = match web_app(&s.settings) {
        Ok(c) => c,
        Err(e) => return lab_page(StatusCode::INTERNAL_SERVER_ERROR, "Configuration error", e),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("write".into()))
        .set_pkce_challenge(challenge)
        .url();
    let (browser, set_cookie) = super::binding::browser(&headers, "/lab/callback");
    let saved = s.demo_app.pending.lock().insert(
        Bounded::<String>::key(state.secret()),
        (verifier.secret().clone(), browser),
        Some(Instant::now() + PENDING_TTL),
    );
    if saved.is_err() {
        return lab_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The lab is full",
            "Too many grants are in flight. Try again in a minute.",
        );
    }
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(c) = set_cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The redirect URI: checks `state`, redeems the code with the verifier,
/// and calls the API with the token.
async fn callback(State(s): State<Arc<Lab>>, headers: HeaderMap, Query(cb): Query<Callback>) -> Response {
    // The grant this state began, if it began in this browser; a callback
    // planted in another browser leaves it for its own.
    let verifier = cb.state.as_deref().and_then(|st| {
        let key = Bounded::<String>::key(st);
        let mut pending = s.demo_app.pending.lock();
        let here = pending.get(&key).is_some_and(|(_, b)| super::binding::same_browser(&headers, Some(b)));
        here.then(|| pending.remove(&key)).flatten().map(|(v, _)| v)
    });
    let Some(verifier) = verifier else {
        return lab_page(
            StatusCode::BAD_REQUEST,
            "Unknown state",
            "The state in this callback matches no grant the lab's web app started in this browser, so it is refused: it could be a forged callback (CSRF, RFC 6749 section 10.12, RFC 9700 section 4.7.1).",
        );
    };
    if let Some(error) = cb.error {
        let description = cb.error_description.unwrap_or_default();
        let body = view! {
            <p>"The authorization server sent the user back with "<code>"error="{error}</code>"."</p>
            <p>{description}</p>
        };
        return lab_page(StatusCode::OK, "The grant was refused", body);
    }
    let Some(code) = cb.code else {
        return lab_page(StatusCode::BAD_REQUEST, "No code", "The callback carries neither code nor error.");
    };
    let client = match web_app(&s.settings) {
        Ok(c) => c,
        Err(e) => return lab_page(StatusCode::INTERNAL_SERVER_ERROR, "Configuration error", e),
    };
    let token = match client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&s.http)
        .await
    {
        Ok(t) => t,
        // The token endpoint's refusal is the request's fault (a bad code,
        // say): 400. Only a transport failure is the lab's: 502.
        Err(e @ oauth2::RequestTokenError::ServerResponse(_)) => {
            return lab_page(StatusCode::BAD_REQUEST, "The token request was refused", e.to_string())
        }
        Err(e) => return lab_page(StatusCode::BAD_GATEWAY, "The token request failed", e.to_string()),
    };
    let access = token.access_token().secret().clone();
    let scope =
        token.scopes().map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" ")).unwrap_or_default();
    let api = s
        .http
        .get(format!("{}/api/v1/accounts/verify_credentials", s.settings.internal_url))
        .bearer_auth(&access)
        .send()
        .await;
    let account = match api {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => format!("request failed: {e}"),
    };
    let account = serde_json::from_str::<serde_json::Value>(&account)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(account);
    let token_type = format!("{:?}", token.token_type());
    let expires_in = token.expires_in().map(|d| d.as_secs().to_string()).unwrap_or_default();
    let refresh = token.refresh_token().map(|r| r.secret().clone()).unwrap_or_else(|| "none".into());
    let body = view! {
        <p>"The lab's web app redeemed the code at the token endpoint with its PKCE verifier and got:"</p>
        <dl class="lab-result">
            <dt>"access_token"</dt><dd><code data-testid="access-token">{access}</code></dd>
            <dt>"token_type"</dt><dd><code>{token_type}</code></dd>
            <dt>"expires_in"</dt><dd><code>{expires_in}</code></dd>
            <dt>"scope"</dt><dd><code data-testid="scope">{scope}</code></dd>
            <dt>"refresh_token"</dt><dd><code>{refresh}</code></dd>
        </dl>
        <p>"Then it called "<code>"GET /api/v1/accounts/verify_credentials"</code>" with "<code>"Authorization: Bearer …"</code>":"</p>
        <pre data-testid="account">{account}</pre>
        <p><a href="/">"Back to the lab"</a></p>
    };
    lab_page(StatusCode::OK, "Authorization code grant complete", body)
}

fn lab_page(status: StatusCode, title: &str, body: impl IntoView + 'static) -> Response {
    let heading = title.to_string();
    let html =
        layout("OAuth2 Lab · the demo web app (client web-app)", "lab-card", title, view! { <h1>{heading}</h1>{body} });
    let mut res = (status, Html(html)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
