//! The API: a small Mastodon-shaped one, for the story of a Mastodon bot:
//! register an app, get a token, post a status.

use super::bearer::{token_in_body, Bearer, BearerRejection};
use super::ResourceServer;
use crate::demo::API_SCOPES;
use crate::oauth::error::OAuthError;
use crate::oauth::util::{media_type, now_secs, Params};
use axum::extract::FromRef;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

pub const MAX_STATUS_CHARS: usize = 500;

pub fn routes<S>() -> Router<S>
where
    Arc<ResourceServer>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/v1/accounts/verify_credentials", get(verify_credentials))
        .route("/api/v1/statuses", post(post_status))
        .route("/api/v1/timelines/home", get(home_timeline))
        .route("/.well-known/oauth-protected-resource", get(protected_resource))
}

#[derive(Clone, Serialize)]
pub struct Status {
    pub id: String,
    pub created_at: String,
    pub content: String,
    pub visibility: &'static str,
    pub account: Value,
    pub application: Value,
}

/// Each user's statuses, newest last, at most `cap` per user (the users are
/// fixed, so the whole store is bounded).
pub struct Statuses {
    cap: usize,
    next_id: AtomicU64,
    by_user: Mutex<HashMap<String, VecDeque<Status>>>,
}

impl Statuses {
    pub fn new(cap: usize) -> Self {
        Self { cap, next_id: AtomicU64::new(1), by_user: Mutex::new(HashMap::new()) }
    }
}

fn account(s: &ResourceServer, username: &str) -> Value {
    let user = s.users.get(username);
    let (id, display) = user.map(|u| (u.id, u.display_name)).unwrap_or_default();
    json!({ "id": id, "username": username, "acct": username, "display_name": display })
}

/// RFC 3339 in UTC, as Mastodon writes `created_at`.
fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

async fn verify_credentials(State(s): State<Arc<ResourceServer>>, bearer: Bearer) -> Result<Json<Value>, OAuthError> {
    bearer.require("read")?;
    let t = &bearer.0;
    Ok(Json(match &t.username {
        Some(u) => account(&s, u),
        // A client-credentials token speaks for the client itself.
        None => {
            let name = s.clients.get(&t.client_id).await.map(|c| c.client_name.clone()).unwrap_or_default();
            json!({ "client_id": t.client_id, "name": name, "kind": "client" })
        }
    }))
}

/// Mastodon answers 422 when an action needs a user and the token has none.
fn needs_user() -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "error": "This method requires an authenticated user: a client-credentials token has no user to act for." })),
    )
        .into_response()
}

/// The token is checked before the body is read: a request with a bad one
/// is answered from its headers alone. Only a request with no credentials
/// at all has its body read, to say so if the token is in it.
async fn post_status(
    State(s): State<Arc<ResourceServer>>,
    bearer: Result<Bearer, BearerRejection>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Response {
    let bearer = match bearer {
        Ok(b) => Ok(b),
        Err(BearerRejection::Missing) => Err(BearerRejection::Missing),
        Err(rejection) => return rejection.into_response(),
    };
    let body = match axum::body::to_bytes(req.into_body(), usize::MAX).await {
        Ok(b) => b,
        Err(_) => return unprocessable("The request body could not be read."),
    };
    let kind = media_type(&headers);
    let (text, body_token) = match kind.as_str() {
        "application/json" => match serde_json::from_slice::<Value>(&body) {
            Ok(v) => (v.get("status").and_then(Value::as_str).map(str::to_string), v.get("access_token").is_some()),
            Err(_) => return unprocessable("The body is not valid JSON."),
        },
        "application/x-www-form-urlencoded" => {
            let p = Params::parse_lenient(&body).0;
            (p.get("status").map(str::to_string), p.contains("access_token"))
        }
        _ => return unprocessable("Send the status as a form (status=...) or as JSON ({\"status\": \"...\"})."),
    };
    // The server's choice (RFC 6750 §2.2 allows it): a token in the body
    // is refused whatever else the request carries.
    if body_token {
        return token_in_body(kind == "application/json").into_response();
    }
    let bearer = match bearer {
        Ok(b) => b,
        Err(rejection) => return rejection.into_response(),
    };
    if let Err(e) = bearer.require("write") {
        return e.into_response();
    }
    let Some(username) = bearer.0.username.clone() else {
        return needs_user();
    };
    let text = text.unwrap_or_default();
    if text.trim().is_empty() {
        return unprocessable("Validation failed: Text can't be blank.");
    }
    if text.chars().count() > MAX_STATUS_CHARS {
        return unprocessable(&format!("Validation failed: Text character limit of {MAX_STATUS_CHARS} exceeded."));
    }
    let app_name = s.clients.get(&bearer.0.client_id).await.map(|c| c.client_name.clone()).unwrap_or_default();
    let status = Status {
        id: s.statuses.next_id.fetch_add(1, Ordering::Relaxed).to_string(),
        created_at: rfc3339(now_secs()),
        content: text,
        visibility: "public",
        account: account(&s, &username),
        application: json!({ "name": app_name }),
    };
    {
        let mut by_user = s.statuses.by_user.lock();
        let list = by_user.entry(username).or_default();
        list.push_back(status.clone());
        while list.len() > s.statuses.cap {
            list.pop_front();
        }
    }
    Json(status).into_response()
}

fn unprocessable(why: &str) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": why }))).into_response()
}

async fn home_timeline(State(s): State<Arc<ResourceServer>>, bearer: Bearer) -> Response {
    if let Err(e) = bearer.require("read") {
        return e.into_response();
    }
    let Some(username) = &bearer.0.username else {
        return needs_user();
    };
    let list: Vec<Status> =
        s.statuses.by_user.lock().get(username).map(|l| l.iter().rev().cloned().collect()).unwrap_or_default();
    Json(list).into_response()
}

/// RFC 9728 §3: protected resource metadata.
async fn protected_resource(State(s): State<Arc<ResourceServer>>) -> Json<Value> {
    Json(json!({
        "resource": s.url("/api/v1"),
        "authorization_servers": [s.issuer],
        "scopes_supported": API_SCOPES,
        "bearer_methods_supported": ["header"],
        "resource_name": "OAuth2 Lab's Mastodon-shaped API",
    }))
}
