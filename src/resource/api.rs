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
    // Each path with and without a trailing slash, as Mastodon takes them.
    let both = |router: Router<S>, path: &str, route: axum::routing::MethodRouter<S>| {
        router.route(path, route.clone()).route(&format!("{path}/"), route)
    };
    let mut r = Router::new();
    r = both(r, "/api/v1/accounts/verify_credentials", get(verify_credentials));
    r = both(r, "/api/v1/statuses", post(post_status));
    r = both(r, "/api/v1/statuses/{id}", get(get_status).delete(delete_status));
    r = both(r, "/api/v1/timelines/home", get(home_timeline));
    r = both(r, "/api/v1/apps/verify_credentials", get(app_credentials));
    r = both(r, "/api/v1/instance", get(instance_v1));
    r = both(r, "/api/v2/instance", get(instance_v2));
    r.route("/.well-known/oauth-protected-resource", get(protected_resource))
}

/// The Mastodon version whose API the lab answers as: the last before
/// Mastodon removed the password grant (4.4), which the lab keeps as its
/// lesson on why the grant is deprecated.
pub const MASTODON_VERSION: &str = "4.3.0";

/// Mastodon's Status entity, with the fields a client reads.
#[derive(Clone, Serialize)]
pub struct Status {
    pub id: String,
    pub uri: String,
    pub url: String,
    pub created_at: String,
    pub account: Value,
    /// HTML, as Mastodon sends it: the text, escaped, in a paragraph.
    pub content: String,
    pub visibility: &'static str,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<Value>,
    pub application: Value,
    pub mentions: Vec<Value>,
    pub tags: Vec<Value>,
    pub emojis: Vec<Value>,
    pub reblogs_count: u64,
    pub favourites_count: u64,
    pub replies_count: u64,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Value>,
    pub poll: Option<Value>,
    pub card: Option<Value>,
    pub language: Option<String>,
    pub edited_at: Option<String>,
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    /// The source text: Mastodon returns it only for a deleted status, so
    /// that the client can "delete and redraft".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip)]
    source: String,
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

/// Mastodon's Account entity for `username`.
fn account(s: &ResourceServer, username: &str) -> Value {
    let user = s.users.get(username);
    let (id, display) = user.map(|u| (u.id, u.display_name)).unwrap_or_default();
    let statuses = s.statuses.by_user.lock().get(username).map_or(0, |l| l.len());
    let url = s.url(&format!("/@{username}"));
    let avatar = s.url("/avatars/original/missing.png");
    let header = s.url("/headers/original/missing.png");
    json!({
        "id": id, "username": username, "acct": username, "display_name": display,
        "locked": false, "bot": false, "discoverable": true, "group": false,
        "created_at": rfc3339(0), "note": "", "url": url, "uri": url,
        "avatar": avatar, "avatar_static": avatar, "header": header, "header_static": header,
        "followers_count": 0, "following_count": 0, "statuses_count": statuses,
        "last_status_at": null, "emojis": [], "fields": [],
    })
}

/// The text of a status as Mastodon's `content`: HTML-escaped, so that
/// nothing a learner posts can run as code in a page that shows it.
fn content_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 7);
    out.push_str("<p>");
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out.push_str("</p>");
    out
}

/// RFC 3339 in UTC, as Mastodon writes `created_at`.
fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

async fn verify_credentials(State(s): State<Arc<ResourceServer>>, bearer: Bearer) -> Result<Json<Value>, OAuthError> {
    // Mastodon asks for read:accounts, or profile since 4.3.
    bearer.require_any(&["read:accounts", "profile"])?;
    let t = &bearer.0;
    Ok(Json(match &t.username {
        Some(u) => {
            let mut a = account(&s, u);
            a["source"] = json!({ "privacy": "public", "sensitive": false, "language": null, "note": "", "fields": [], "follow_requests_count": 0 });
            a
        }
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
    if let Err(e) = bearer.require("write:statuses") {
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
    let app = s.clients.get(&bearer.0.client_id).await;
    let app_name = app.as_ref().map(|c| c.client_name.clone()).unwrap_or_default();
    let website = app.as_ref().and_then(|c| c.client_uri.clone());
    let id = s.statuses.next_id.fetch_add(1, Ordering::Relaxed).to_string();
    let url = s.url(&format!("/@{username}/{id}"));
    let status = Status {
        uri: url.clone(),
        url,
        id,
        created_at: rfc3339(now_secs()),
        account: account(&s, &username),
        content: content_html(&text),
        visibility: "public",
        sensitive: false,
        spoiler_text: String::new(),
        media_attachments: vec![],
        application: json!({ "name": app_name, "website": website }),
        mentions: vec![],
        tags: vec![],
        emojis: vec![],
        reblogs_count: 0,
        favourites_count: 0,
        replies_count: 0,
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog: None,
        poll: None,
        card: None,
        language: None,
        edited_at: None,
        favourited: false,
        reblogged: false,
        muted: false,
        bookmarked: false,
        pinned: false,
        text: None,
        source: text,
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
    if let Err(e) = bearer.require("read:statuses") {
        return e.into_response();
    }
    let Some(username) = &bearer.0.username else {
        return needs_user();
    };
    let list: Vec<Status> =
        s.statuses.by_user.lock().get(username).map(|l| l.iter().rev().cloned().collect()).unwrap_or_default();
    Json(list).into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": "Record not found" }))).into_response()
}

/// The status `id` and whose it is.
fn find_status(s: &ResourceServer, id: &str) -> Option<(String, Status)> {
    let by_user = s.statuses.by_user.lock();
    by_user.iter().find_map(|(user, list)| list.iter().find(|st| st.id == id).map(|st| (user.clone(), st.clone())))
}

/// A public status is readable by anyone; a token, when sent, must be good
/// and grant read:statuses, as Mastodon checks.
async fn get_status(
    State(s): State<Arc<ResourceServer>>,
    bearer: Result<Bearer, BearerRejection>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    match bearer {
        Ok(b) => {
            if let Err(e) = b.require("read:statuses") {
                return e.into_response();
            }
        }
        Err(BearerRejection::Missing) => {}
        Err(rejection) => return rejection.into_response(),
    }
    match find_status(&s, &id) {
        Some((_, status)) => Json(status).into_response(),
        None => not_found(),
    }
}

/// Deletes one of the user's own statuses and answers it with its source
/// text; another user's status is, to this user, not found.
async fn delete_status(
    State(s): State<Arc<ResourceServer>>,
    bearer: Bearer,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if let Err(e) = bearer.require("write:statuses") {
        return e.into_response();
    }
    let Some(username) = &bearer.0.username else {
        return needs_user();
    };
    let removed = {
        let mut by_user = s.statuses.by_user.lock();
        by_user.get_mut(username).and_then(|list| {
            let at = list.iter().position(|st| st.id == id)?;
            list.remove(at)
        })
    };
    match removed {
        Some(mut status) => {
            status.text = Some(status.source.clone());
            status.account = account(&s, username);
            Json(status).into_response()
        }
        None => not_found(),
    }
}

/// Mastodon's `GET /api/v1/apps/verify_credentials`: the Application the
/// token was issued to. Any live token will do, a user's or the app's own.
async fn app_credentials(State(s): State<Arc<ResourceServer>>, bearer: Bearer) -> Response {
    let Some(c) = s.clients.get(&bearer.0.client_id).await else {
        return not_found();
    };
    Json(json!({
        "id": c.client_id,
        "name": c.client_name,
        "website": c.client_uri,
        "scopes": c.scopes,
        "redirect_uris": c.redirect_uris,
        "redirect_uri": c.redirect_uris.join("\n"),
    }))
    .into_response()
}

/// The instance's domain, with its port when it has one.
fn domain(s: &ResourceServer) -> String {
    let Ok(u) = url::Url::parse(&s.public_url) else { return String::new() };
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

const INSTANCE_TITLE: &str = "OAuth2 Lab";
const INSTANCE_DESCRIPTION: &str = "A lab for learning OAuth 2.0 and OpenID Connect: a Mastodon-shaped API in front of a real authorization server, with every exchange recorded.";

fn status_limits() -> Value {
    // Mastodon also counts each URL as 23 characters; this server counts
    // every character, so it does not advertise `characters_reserved_per_url`.
    json!({ "max_characters": MAX_STATUS_CHARS, "max_media_attachments": 0 })
}

/// Mastodon's V1::Instance (methods/instance), deprecated in 4.0 and still
/// what many clients read first.
async fn instance_v1(State(s): State<Arc<ResourceServer>>) -> Json<Value> {
    Json(json!({
        "uri": domain(&s),
        "title": INSTANCE_TITLE,
        "short_description": INSTANCE_DESCRIPTION,
        "description": INSTANCE_DESCRIPTION,
        "email": "",
        "version": MASTODON_VERSION,
        "urls": { "streaming_api": null },
        "stats": { "user_count": crate::demo::DEMO_USERS.len(), "status_count": 0, "domain_count": 1 },
        "thumbnail": null,
        "languages": ["en"],
        "registrations": false,
        "approval_required": false,
        "invites_enabled": false,
        "configuration": { "statuses": status_limits() },
        "contact_account": null,
        "rules": [],
        "api_versions": { "mastodon": 2 },
    }))
}

/// Mastodon's Instance entity (methods/instance, `GET /api/v2/instance`).
async fn instance_v2(State(s): State<Arc<ResourceServer>>) -> Json<Value> {
    Json(json!({
        "domain": domain(&s),
        "title": INSTANCE_TITLE,
        "version": MASTODON_VERSION,
        "source_url": "https://github.com/mastodon/mastodon",
        "description": INSTANCE_DESCRIPTION,
        "usage": { "users": { "active_month": crate::demo::DEMO_USERS.len() } },
        "thumbnail": { "url": s.url("/favicon.ico") },
        "languages": ["en"],
        "configuration": {
            "urls": { "streaming": null },
            "accounts": { "max_featured_tags": 0 },
            "statuses": status_limits(),
            "media_attachments": { "supported_mime_types": [] },
            "polls": { "max_options": 0 },
            "translation": { "enabled": false },
        },
        "registrations": { "enabled": false, "approval_required": false, "message": null },
        "contact": { "email": "", "account": null },
        "rules": [],
        "api_versions": { "mastodon": 2 },
    }))
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
