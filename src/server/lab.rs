//! The lab's own client: the demo web app, driven by the `oauth2` crate
//! exactly as a real app would drive it, over loopback HTTP to the embedded
//! servers. `/lab/start` begins an authorization-code grant with PKCE and
//! `/lab/callback` finishes it and calls the API with the token.

use super::config::Config;
use super::endpoints::pages::layout;
use super::endpoints::{AUTHORIZE, TOKEN};
use super::store::Bounded;
use super::util::html_escape as esc;
use super::{AppState, Servers};
use crate::demo::DEMO_CLIENTS;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
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

/// The lab client's memory: the PKCE verifier of each grant in flight,
/// keyed by its `state`, capped and expiring like every store.
pub struct LabClient {
    pending: Mutex<Bounded<String>>,
}

impl LabClient {
    pub fn new(config: &Config) -> Self {
        Self { pending: Mutex::new(Bounded::new(config.max_pending)) }
    }

    pub fn sweep(&self, now: Instant) {
        self.pending.lock().sweep(now)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/lab/start", get(start)).route("/lab/callback", get(callback))
}

fn web_app(
    config: &Config,
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
async fn start(State(s): State<Arc<Servers>>) -> Response {
    let client = match web_app(&s.config) {
        Ok(c) => c,
        Err(e) => return lab_page(StatusCode::INTERNAL_SERVER_ERROR, "Configuration error", &esc(&e)),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("write".into()))
        .set_pkce_challenge(challenge)
        .url();
    let saved = s.lab.pending.lock().insert(
        Bounded::<String>::key(state.secret()),
        verifier.secret().clone(),
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
async fn callback(State(s): State<Arc<Servers>>, Query(cb): Query<Callback>) -> Response {
    let verifier = cb.state.as_deref().and_then(|st| s.lab.pending.lock().remove(&Bounded::<String>::key(st)));
    let Some(verifier) = verifier else {
        return lab_page(
            StatusCode::BAD_REQUEST,
            "Unknown state",
            "The state in this callback matches no grant the lab's web app started, so it is refused: it could be a forged callback (CSRF, RFC 6749 section 10.12).",
        );
    };
    if let Some(error) = cb.error {
        let body = format!(
            "<p>The authorization server sent the user back with <code>error={}</code>.</p><p>{}</p>",
            esc(&error),
            esc(cb.error_description.as_deref().unwrap_or(""))
        );
        return lab_page(StatusCode::OK, "The grant was refused", &body);
    }
    let Some(code) = cb.code else {
        return lab_page(StatusCode::BAD_REQUEST, "No code", "The callback carries neither code nor error.");
    };
    let client = match web_app(&s.config) {
        Ok(c) => c,
        Err(e) => return lab_page(StatusCode::INTERNAL_SERVER_ERROR, "Configuration error", &esc(&e)),
    };
    let token = match client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&s.lab_http)
        .await
    {
        Ok(t) => t,
        // The token endpoint's refusal is the request's fault (a bad code,
        // say): 400. Only a transport failure is the lab's: 502.
        Err(e @ oauth2::RequestTokenError::ServerResponse(_)) => {
            return lab_page(StatusCode::BAD_REQUEST, "The token request was refused", &esc(&e.to_string()))
        }
        Err(e) => return lab_page(StatusCode::BAD_GATEWAY, "The token request failed", &esc(&e.to_string())),
    };
    let access = token.access_token().secret().clone();
    let scope =
        token.scopes().map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" ")).unwrap_or_default();
    let api = s
        .lab_http
        .get(format!("{}/api/v1/accounts/verify_credentials", s.config.internal_url))
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
    let body = format!(
        r#"<p>The lab's web app redeemed the code at the token endpoint with its PKCE verifier and got:</p>
<dl class="lab-result">
<dt>access_token</dt><dd><code data-testid="access-token">{access}</code></dd>
<dt>token_type</dt><dd><code>{tt:?}</code></dd>
<dt>expires_in</dt><dd><code>{exp}</code></dd>
<dt>scope</dt><dd><code data-testid="scope">{scope}</code></dd>
<dt>refresh_token</dt><dd><code>{rt}</code></dd>
</dl>
<p>Then it called <code>GET /api/v1/accounts/verify_credentials</code> with <code>Authorization: Bearer …</code>:</p>
<pre data-testid="account">{account}</pre>
<p><a href="/">Back to the lab</a></p>"#,
        access = esc(&access),
        tt = token.token_type(),
        exp = token.expires_in().map(|d| d.as_secs().to_string()).unwrap_or_default(),
        scope = esc(&scope),
        rt = token.refresh_token().map(|r| esc(r.secret())).unwrap_or_else(|| "none".into()),
        account = esc(&account),
    );
    lab_page(StatusCode::OK, "Authorization code grant complete", &body)
}

fn lab_page(status: StatusCode, title: &str, body: &str) -> Response {
    let body = format!("<h1>{}</h1>{body}", esc(title));
    let html = layout("OAuth2 Lab · the demo web app (client <code>web-app</code>)", "lab-card", title, &body);
    let mut res = (status, Html(html)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
