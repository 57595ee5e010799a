//! The app each run registers and plays: its pages at
//! `/lab/runs/{id}/...` and its back-channel calls, made with the `oauth2`
//! crate through `LabHttp`, which tags them with the run.

use super::capture::RUN_HEADER;
use super::RunClient;
use crate::run::{Grant, Mode, RunStatus};
use crate::server::endpoints::pages::layout;
use crate::server::endpoints::{AUTHORIZE, REGISTER, REVOKE, TOKEN};
use crate::server::util::{html_escape as esc, random_token};
use crate::server::{AppState, Servers};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, DeviceAuthorizationUrl, EndpointNotSet, EndpointSet,
    EndpointState, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, ResourceOwnerPassword, ResourceOwnerUsername,
    RevocationUrl, Scope, StandardDeviceAuthorizationResponse, StandardRevocableToken, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub const CLIENT_AGENT: &str = "oauth2-lab-client/0.1 (Rust oauth2 crate)";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lab/runs/{id}", get(record))
        .route("/lab/runs/{id}/export.har", get(export_har))
        .route("/lab/runs/{id}/export.md", get(export_md))
        .route("/lab/runs/{id}/export.sh", get(export_sh))
        .route("/lab/runs/{id}/login", get(login))
        .route("/lab/runs/{id}/callback", get(callback))
        .route("/lab/runs/{id}/password", post(password))
        .route("/lab/runs/{id}/service", post(service))
}

/// The JSON record of a run, for tests and exports.
async fn record(State(s): State<Arc<Servers>>, Path(id): Path<String>) -> Response {
    match s.runs.record(&id) {
        Some(r) => {
            let mut res = Json(r).into_response();
            // The record holds tokens and passwords.
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "There is no such run; runs expire after an hour."})))
            .into_response(),
    }
}

fn download(body: String, content_type: &'static str, name: String) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

fn no_run() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "There is no such run; runs expire after an hour."}))).into_response()
}

/// The run as HAR 1.2, to open in browser devtools.
async fn export_har(State(s): State<Arc<Servers>>, Path(id): Path<String>) -> Response {
    match s.runs.record(&id) {
        Some(r) => download(
            serde_json::to_string_pretty(&super::export::har(&r)).unwrap_or_default(),
            "application/json",
            format!("oauth2-lab-{}.har", r.grant.slug()),
        ),
        None => no_run(),
    }
}

/// The run as a bash script of curl commands that replays it.
async fn export_sh(State(s): State<Arc<Servers>>, Path(id): Path<String>) -> Response {
    match s.runs.record(&id) {
        Some(r) => download(
            super::replay::curl_script(&r, &s.config.public_url),
            "text/x-shellscript; charset=utf-8",
            format!("oauth2-lab-{}.sh", r.grant.slug()),
        ),
        None => no_run(),
    }
}

/// The run as Markdown with a Mermaid sequence diagram.
async fn export_md(State(s): State<Arc<Servers>>, Path(id): Path<String>) -> Response {
    match s.runs.record(&id) {
        Some(r) => download(
            super::export::markdown(&r),
            "text/markdown; charset=utf-8",
            format!("oauth2-lab-{}.md", r.grant.slug()),
        ),
        None => no_run(),
    }
}

/// The run's HTTP client: tags requests with the run and carries
/// `https://127.0.0.1` URLs to the lab's plain loopback port (the oauth2
/// crate insists on https for revocation, as RFC 7009 §2 asks).
pub struct LabHttp {
    http: reqwest::Client,
    run: String,
}

impl LabHttp {
    pub fn new(s: &Servers, run: &str) -> Self {
        Self { http: s.lab_http.clone(), run: run.to_string() }
    }
    pub fn request(&self, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
        self.http.request(method, url).header(RUN_HEADER, &self.run).header(header::USER_AGENT, CLIENT_AGENT)
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for LabHttp {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, mut request: oauth2::HttpRequest) -> Self::Future {
        let uri = request.uri().to_string();
        if uri.starts_with("https://127.0.0.1:") {
            if let Ok(plain) = uri.replacen("https://", "http://", 1).parse() {
                *request.uri_mut() = plain;
            }
        }
        if let Ok(v) = HeaderValue::from_str(&self.run) {
            request.headers_mut().insert(RUN_HEADER, v);
        }
        request.headers_mut().insert(header::USER_AGENT, HeaderValue::from_static(CLIENT_AGENT));
        self.http.call(request)
    }
}

pub(super) type AppClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet, EndpointSet>;
/// The app with the device authorization endpoint set, as a TV app has.
type DeviceClient = BasicClient<EndpointSet, EndpointSet, EndpointNotSet, EndpointSet, EndpointSet>;

fn device_client(s: &Servers, c: &RunClient) -> Result<DeviceClient, String> {
    let url = format!("{}{}", s.config.internal_url, crate::server::endpoints::device::DEVICE_AUTHORIZATION);
    Ok(app_client(s, c)?.set_device_authorization_url(DeviceAuthorizationUrl::new(url).map_err(|e| e.to_string())?))
}

pub(super) fn app_client(s: &Servers, c: &RunClient) -> Result<AppClient, String> {
    let internal = &s.config.internal_url;
    let mut client = BasicClient::new(ClientId::new(c.client_id.clone()))
        .set_auth_uri(AuthUrl::new(s.config.url(AUTHORIZE)).map_err(|e| e.to_string())?)
        .set_token_uri(TokenUrl::new(format!("{internal}{TOKEN}")).map_err(|e| e.to_string())?)
        .set_revocation_url(
            RevocationUrl::new(format!("{internal}{REVOKE}").replacen("http://", "https://", 1))
                .map_err(|e| e.to_string())?,
        )
        .set_redirect_uri(RedirectUrl::new(c.redirect_uri.clone()).map_err(|e| e.to_string())?);
    if let Some(secret) = &c.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.clone()));
    }
    Ok(client)
}

/// Step 0 of every run: the app registers itself (RFC 7591). The oauth2
/// crate has no registration, so this one call is plain reqwest.
pub async fn register(s: &Servers, run: &str, grant: Grant) -> Result<RunClient, String> {
    // A single-page app and a TV app cannot keep a secret: public clients.
    register_as(s, run, grant, matches!(grant, Grant::Implicit | Grant::DeviceCode)).await
}

/// Registers the run's app as a public client (no secret: a native or
/// single-page app) or a confidential one.
pub async fn register_as(s: &Servers, run: &str, grant: Grant, public: bool) -> Result<RunClient, String> {
    let redirect_uri = s.config.url(&format!("/lab/runs/{run}/callback"));
    let mut meta = json!({
        "client_name": format!("Lab run {}", &run[..run.len().min(12)]),
        "grant_types": grant.grant_types(),
        "scope": "read write",
        "token_endpoint_auth_method": if public { "none" } else { "client_secret_basic" },
    });
    if matches!(grant, Grant::AuthorizationCode | Grant::Implicit) {
        meta["redirect_uris"] = json!([redirect_uri]);
    }
    let http = LabHttp::new(s, run);
    let res = http
        .request(reqwest::Method::POST, format!("{}{REGISTER}", s.config.internal_url))
        .json(&meta)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
    if status != reqwest::StatusCode::CREATED {
        return Err(format!("registration failed: {body}"));
    }
    let client = RunClient {
        client_id: body["client_id"].as_str().unwrap_or_default().to_string(),
        client_secret: body["client_secret"].as_str().map(str::to_string),
        redirect_uri,
    };
    s.runs.set_client(run, client.clone());
    Ok(client)
}

fn page(title: &str, body: &str) -> Response {
    let body = format!("<h1>{}</h1>{body}", esc(title));
    let mut res = Html(layout("The lab's app (the client)", "", title, &body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn fail(s: &Servers, run: &str, why: &str) -> Response {
    s.runs.finish(run, RunStatus::Failed(why.to_string()));
    // The grant failed on the learner's input (a wrong password, a replayed
    // callback): 400, never a 5xx.
    let mut res = page("The grant failed", &format!("<p class=\"as-error\">{}</p>", esc(why)));
    *res.status_mut() = StatusCode::BAD_REQUEST;
    res
}

fn run_parts(s: &Servers, run: &str) -> Option<(Grant, Mode, RunClient)> {
    s.runs.with(run, |r| Some((r.record.grant, r.record.mode, r.client.clone()?))).flatten()
}

/// The app's start page: a redirect to the authorization server for the
/// browser grants, a form of its own for the others.
async fn login(State(s): State<Arc<Servers>>, Path(run): Path<String>) -> Response {
    let Some((grant, _, c)) = run_parts(&s, &run) else {
        return (StatusCode::NOT_FOUND, "no such run").into_response();
    };
    match grant {
        Grant::AuthorizationCode | Grant::Implicit => {
            let client = match app_client(&s, &c) {
                Ok(c) => c,
                Err(e) => return fail(&s, &run, &e),
            };
            let mut req = client
                .authorize_url(CsrfToken::new_random)
                .add_scope(Scope::new("read".into()))
                .add_scope(Scope::new("write".into()));
            let mut verifier = None;
            if grant == Grant::Implicit {
                req = req.use_implicit_flow();
            } else {
                let (challenge, v) = PkceCodeChallenge::new_random_sha256();
                req = req.set_pkce_challenge(challenge);
                verifier = Some(v.secret().clone());
            }
            let (url, state) = req.url();
            s.runs.with(&run, |r| {
                r.pkce_verifier = verifier;
                r.state = Some(state.secret().clone());
            });
            let mut res = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(url.as_str()) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
        Grant::DeviceCode => device_screen(s, run, &c).await,
        Grant::Password => page(
            "Sign in to the app",
            &format!(
                r#"<p>This app uses the password grant: it asks for your password itself.</p>
<form method="post" action="/lab/runs/{run}/password" class="as-form">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<div class="as-buttons"><button type="submit" class="as-approve">Sign in</button></div></form>
<p class="as-note">Demo users: <code>alice</code> / <code>wonderland</code>, <code>bob</code> / <code>builder</code>.</p>"#,
                run = esc(&run)
            ),
        ),
        Grant::ClientCredentials => page(
            "Service console",
            &format!(
                r#"<p>This service calls the API for itself, with no user. Start its job:</p>
<form method="post" action="/lab/runs/{run}/service" class="as-form">
<div class="as-buttons"><button type="submit" class="as-approve">Run the job</button></div></form>"#,
                run = esc(&run)
            ),
        ),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(State(s): State<Arc<Servers>>, Path(run): Path<String>, Query(q): Query<CallbackQuery>) -> Response {
    let Some((grant, _, c)) = run_parts(&s, &run) else {
        return (StatusCode::NOT_FOUND, "no such run").into_response();
    };
    if grant == Grant::Implicit {
        return implicit_page(&run);
    }
    let (expected, vulnerable) = s
        .runs
        .with(&run, |r| {
            (
                r.state.clone(),
                r.record.vulnerable && r.record.scenario == Some(crate::run::scenario::Scenario::CsrfState),
            )
        })
        .unwrap_or_default();
    // The lab-only vulnerable switch of the csrf-state scenario: an app
    // that does not check state.
    if !vulnerable && (q.state.is_none() || q.state != expected) {
        return fail(&s, &run, "The state in the callback is not the one this app sent: refused as a possible CSRF (RFC 6749 section 10.12).");
    }
    if let Some(error) = q.error {
        let why = format!("{error}: {}", q.error_description.unwrap_or_default());
        s.runs.finish(&run, RunStatus::Failed(why.clone()));
        return page(
            "The grant was refused",
            &format!("<p>The authorization server said <code>{}</code>.</p>", esc(&why)),
        );
    }
    let Some(code) = q.code else {
        return fail(&s, &run, "The callback carries neither code nor error.");
    };
    let verifier = s.runs.with(&run, |r| r.pkce_verifier.take()).flatten();
    let client = match app_client(&s, &c) {
        Ok(c) => c,
        Err(e) => return fail(&s, &run, &e),
    };
    let http = LabHttp::new(&s, &run);
    let mut exchange = client.exchange_code(AuthorizationCode::new(code));
    if let Some(verifier) = verifier {
        exchange = exchange.set_pkce_verifier(PkceCodeVerifier::new(verifier));
    }
    let token = exchange.request_async(&http).await;
    finish_with_token(&s, &run, &client, token.map_err(|e| e.to_string())).await
}

async fn password(State(s): State<Arc<Servers>>, Path(run): Path<String>, body: Bytes) -> Response {
    let Some((_, _, c)) = run_parts(&s, &run) else {
        return (StatusCode::NOT_FOUND, "no such run").into_response();
    };
    let field = |name: &str| form_urlencoded::parse(&body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let (Some(username), Some(password)) = (field("username"), field("password")) else {
        return page("Sign in to the app", "<p class=\"as-error\">Username and password are needed.</p>");
    };
    let client = match app_client(&s, &c) {
        Ok(c) => c,
        Err(e) => return fail(&s, &run, &e),
    };
    let http = LabHttp::new(&s, &run);
    let token = client
        .exchange_password(&ResourceOwnerUsername::new(username), &ResourceOwnerPassword::new(password))
        .add_scope(Scope::new("read".into()))
        .add_scope(Scope::new("write".into()))
        .request_async(&http)
        .await;
    finish_with_token(&s, &run, &client, token.map_err(|e| e.to_string())).await
}

async fn service(State(s): State<Arc<Servers>>, Path(run): Path<String>) -> Response {
    let Some((_, _, c)) = run_parts(&s, &run) else {
        return (StatusCode::NOT_FOUND, "no such run").into_response();
    };
    let client = match app_client(&s, &c) {
        Ok(c) => c,
        Err(e) => return fail(&s, &run, &e),
    };
    let http = LabHttp::new(&s, &run);
    let token = client.exchange_client_credentials().add_scope(Scope::new("read".into())).request_async(&http).await;
    finish_with_token(&s, &run, &client, token.map_err(|e| e.to_string())).await
}

/// Uses the token as the app would: who am I, post a status; then refresh
/// and revoke when there is a refresh token.
async fn finish_with_token<D: EndpointState>(
    s: &Servers,
    run: &str,
    client: &BasicClient<EndpointSet, D, EndpointNotSet, EndpointSet, EndpointSet>,
    token: Result<BasicTokenResponse, String>,
) -> Response {
    let token = match token {
        Ok(t) => t,
        Err(e) => return fail(s, run, &format!("The token request failed: {e}")),
    };
    let http = LabHttp::new(s, run);
    let base = &s.config.internal_url;
    let at = token.access_token().secret().clone();
    let me = http
        .request(reqwest::Method::GET, format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(&at)
        .send()
        .await;
    let who = match me {
        Ok(r) => r.json::<serde_json::Value>().await.unwrap_or_default(),
        Err(e) => return fail(s, run, &e.to_string()),
    };
    let has_user = who.get("username").is_some();
    if has_user {
        // In the insufficient-scope scenario this is the call that tries
        // the misuse: the token was granted read only.
        let scenario = s.runs.with(run, |r| r.record.scenario).flatten();
        let mut post = http.request(reqwest::Method::POST, format!("{base}/api/v1/statuses"));
        if let Some(scenario) = scenario.filter(|s| *s == crate::run::scenario::Scenario::InsufficientScope) {
            post = post.header(crate::run::scenario::MISUSE_HEADER, scenario.slug());
        }
        let _ = post
            .bearer_auth(&at)
            .json(&json!({ "status": format!("Hello from OAuth2 Lab, run {}", &run[..run.len().min(12)]) }))
            .send()
            .await;
    }
    let lifecycle = s.runs.with(run, |r| r.record.lifecycle).unwrap_or(true);
    if !lifecycle {
        // The learner asked to stop once the token has been used.
    } else if let Some(rt) = token.refresh_token() {
        let fresh = match client.exchange_refresh_token(rt).request_async(&http).await {
            Ok(f) => f,
            Err(e) => return fail(s, run, &format!("The refresh failed: {e}")),
        };
        let latest = fresh.refresh_token().cloned().unwrap_or_else(|| rt.clone());
        if let Ok(req) = client.revoke_token(StandardRevocableToken::RefreshToken(latest)) {
            let _ = req.request_async(&http).await;
        }
        after_revocation(s, run, &http, fresh.access_token().secret()).await;
    } else if let Ok(req) = client.revoke_token(StandardRevocableToken::AccessToken(token.access_token().clone())) {
        let _ = req.request_async(&http).await;
        after_revocation(s, run, &http, &at).await;
    }
    s.runs.finish(run, RunStatus::Done);
    let name = who.get("username").or_else(|| who.get("client_id")).and_then(|v| v.as_str()).unwrap_or("?");
    page(
        "Done",
        &format!(
            "<p>The app got a token and used it as <code>{}</code>. Back in the lab, step through what happened.</p>",
            esc(name)
        ),
    )
}

/// In a run with JWT access tokens: the revoked access token at the API,
/// which checks the JWT alone and still accepts it, and at introspection,
/// which asks the authorization server and says inactive (RFC 9068 §5,
/// RFC 7662). That is the format's trade-off, shown with real traffic.
async fn after_revocation(s: &Servers, run: &str, http: &LabHttp, access_token: &str) {
    let (jwt, client) = s.runs.with(run, |r| (r.record.jwt, r.client.clone())).unwrap_or_default();
    if !jwt {
        return;
    }
    let base = &s.config.internal_url;
    let _ = http
        .request(reqwest::Method::GET, format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(access_token)
        .send()
        .await;
    if let Some(RunClient { client_id, client_secret: Some(secret), .. }) = client {
        let _ = http
            .request(reqwest::Method::POST, format!("{base}{}", crate::server::endpoints::INTROSPECT))
            .basic_auth(client_id, Some(secret))
            .form(&[("token", access_token)])
            .send()
            .await;
    }
}

/// The run's HTTP client that says when its first call has been answered.
struct FirstCall {
    http: LabHttp,
    done: parking_lot::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl<'c> oauth2::AsyncHttpClient<'c> for FirstCall {
    type Error = <LabHttp as oauth2::AsyncHttpClient<'c>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let res = self.http.call(request).await;
            if let Some(tx) = self.done.lock().take() {
                let _ = tx.send(());
            }
            res
        })
    }
}

/// The device's screen (RFC 8628 §3.3): the app asks for a device code,
/// shows the user code and where to enter it, and polls the token endpoint
/// in the background until the user has decided.
async fn device_screen(s: Arc<Servers>, run: String, c: &RunClient) -> Response {
    let shown = s.runs.with(&run, |r| r.device.clone()).flatten();
    let (user_code, uri, complete) = match shown {
        Some(d) => d,
        None => {
            let client = match device_client(&s, c) {
                Ok(c) => c,
                Err(e) => return fail(&s, &run, &e),
            };
            let http = LabHttp::new(&s, &run);
            let details: StandardDeviceAuthorizationResponse = match client
                .exchange_device_code()
                .add_scope(Scope::new("read".into()))
                .add_scope(Scope::new("write".into()))
                .request_async(&http)
                .await
            {
                Ok(d) => d,
                Err(e) => return fail(&s, &run, &format!("The device authorization request failed: {e}")),
            };
            let shown = (
                details.user_code().secret().clone(),
                details.verification_uri().to_string(),
                details.verification_uri_complete().map(|u| u.secret().clone()).unwrap_or_default(),
            );
            s.runs.with(&run, |r| r.device = Some(shown.clone()));
            let (first_poll, polled) = tokio::sync::oneshot::channel();
            let (s, run) = (s.clone(), run.clone());
            tokio::spawn(async move {
                let http = FirstCall { http: LabHttp::new(&s, &run), done: parking_lot::Mutex::new(Some(first_poll)) };
                // The device gives up well before the code's own expiry, so
                // an abandoned guided run stops polling.
                let token = client
                    .exchange_device_access_token(&details)
                    .request_async(&http, tokio::time::sleep, Some(std::time::Duration::from_secs(120)))
                    .await;
                finish_with_token(&s, &run, &client, token.map_err(|e| e.to_string())).await;
            });
            // The screen comes up once the device has polled once, as a
            // device that checks right away would; it also keeps the
            // record's order the same from run to run.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), polled).await;
            shown
        }
    };
    page(
        "A device without a keyboard",
        &format!(
            r#"<p>This app plays a TV: it cannot show a sign-in form, so it shows a code.</p>
<p class="device-code">Code: <strong data-testid="device-user-code">{code}</strong></p>
<p>On your phone or computer, open <code>{uri}</code> and enter the code, or open <a href="{complete}" data-testid="verification-link">the verification page with the code filled in</a>.</p>
<p class="as-note">Meanwhile the device polls the token endpoint every few seconds; it is told <code>authorization_pending</code> until you decide.</p>"#,
            code = esc(&user_code),
            uri = esc(&uri),
            complete = esc(&complete),
        ),
    )
}

/// The implicit grant's redirect URI: a page whose script, like a
/// single-page app's, reads the token from the fragment and calls the API
/// from the browser. The server never sees the token.
fn implicit_page(run: &str) -> Response {
    let nonce = random_token("");
    let script = format!(
        r#"(async () => {{
  const out = document.getElementById("out");
  const p = new URLSearchParams(location.hash.slice(1));
  if (p.get("error")) {{ out.textContent = "The authorization server said: " + p.get("error") + ": " + (p.get("error_description") || ""); return; }}
  const token = p.get("access_token");
  if (!token) {{ out.textContent = "No access token in the fragment."; return; }}
  const h = {{ "Authorization": "Bearer " + token, "{RUN_HEADER}": {run:?} }};
  const me = await (await fetch("/api/v1/accounts/verify_credentials", {{ headers: h }})).json();
  await fetch("/api/v1/statuses", {{ method: "POST", headers: {{ ...h, "Content-Type": "application/json" }}, body: JSON.stringify({{ status: "Hello from a single-page app in OAuth2 Lab" }}) }});
  out.textContent = "Browser code read the token from the fragment and called the API as " + me.username + ".";
}})();"#
    );
    let mut res = page(
        "Single-page app",
        &format!(
            r#"<p id="out">Reading the token from the URL fragment…</p><script nonce="{nonce}">{script}</script>"#
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("script-src 'nonce-{nonce}'; frame-ancestors 'self'")) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}
