//! What the run's app does once it has a token: use it, then refresh and
//! revoke it, as a real app's lifecycle would.

use super::http::LabHttp;
use super::page::{fail, page};
use crate::lab::runs::RunClient;
use crate::lab::Lab;
use crate::run::RunStatus;
use axum::response::Response;
use leptos::prelude::*;
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{EndpointNotSet, EndpointSet, EndpointState, StandardRevocableToken, TokenResponse};
use serde_json::json;

/// Uses the token as the app would: who am I, post a status; then refresh
/// and revoke when there is a refresh token.
pub async fn finish_with_token<D: EndpointState>(
    s: &Lab,
    run: &str,
    client: &BasicClient<EndpointSet, D, EndpointNotSet, EndpointSet, EndpointSet>,
    token: Result<BasicTokenResponse, String>,
) -> Response {
    let token = match token {
        Ok(t) => t,
        Err(e) => return fail(s, run, &format!("The token request failed: {e}")),
    };
    let http = LabHttp::new(s, run);
    let base = &s.settings.internal_url;
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
    let name = name.to_string();
    page(
        "Done",
        view! { <p>"The app got a token and used it as "<code>{name}</code>". Back in the lab, step through what happened."</p> },
    )
}

/// In a run with JWT access tokens: the revoked access token at the API,
/// which checks the JWT alone and still accepts it, and at introspection,
/// which asks the authorization server and says inactive (RFC 9068 §5,
/// RFC 7662). That is the format's trade-off, shown with real traffic.
pub(super) async fn after_revocation(s: &Lab, run: &str, http: &LabHttp, access_token: &str) {
    let (jwt, client) = s.runs.with(run, |r| (r.record.jwt, r.client.clone())).unwrap_or_default();
    if !jwt {
        return;
    }
    let base = &s.settings.internal_url;
    let _ = http
        .request(reqwest::Method::GET, format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(access_token)
        .send()
        .await;
    if let Some(RunClient { client_id, client_secret: Some(secret), .. }) = client {
        let _ = http
            .request(reqwest::Method::POST, format!("{base}{}", crate::oauth::endpoints::INTROSPECT))
            .basic_auth(client_id, Some(secret))
            .form(&[("token", access_token)])
            .send()
            .await;
    }
}
