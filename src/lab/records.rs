//! A run's record and its exports, over HTTP: `/lab/runs/{id}` (JSON),
//! `export.har`, `export.md` and `export.sh`.

use super::Lab;
use axum::extract::{FromRef, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

pub fn routes<S>() -> Router<S>
where
    Arc<Lab>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/lab/runs/{id}", get(record))
        .route("/lab/runs/{id}/export.har", get(export_har))
        .route("/lab/runs/{id}/export.md", get(export_md))
        .route("/lab/runs/{id}/export.sh", get(export_sh))
}

/// A learner's own program's record, asked for by another browser.
fn private() -> Response {
    let why = "This run records a learner's own program, with its live client secret and tokens: only the browser that registered its client reads its record and exports. Its page shows the steps with the secrets masked.";
    (StatusCode::FORBIDDEN, Json(json!({ "error": why }))).into_response()
}

/// The JSON record of a run, for tests and exports.
async fn record(State(s): State<Arc<Lab>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match s.record_for(&id, &headers).await {
        Some(Err(())) => private(),
        Some(Ok(r)) => {
            let mut res = Json(r).into_response();
            // The record holds tokens and passwords.
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "There is no such run, or the lab no longer keeps it."})))
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

pub(super) fn no_run() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "There is no such run, or the lab no longer keeps it."})))
        .into_response()
}

/// The run as HAR 1.2, to open in browser devtools.
async fn export_har(State(s): State<Arc<Lab>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match s.record_for(&id, &headers).await {
        Some(Err(())) => private(),
        Some(Ok(r)) => download(
            serde_json::to_string_pretty(&super::export::har(&r)).unwrap_or_default(),
            "application/json",
            format!("oauth2-lab-{}.har", r.grant.slug()),
        ),
        None => no_run(),
    }
}

/// The run as a bash script of curl commands that replays it.
async fn export_sh(State(s): State<Arc<Lab>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match s.record_for(&id, &headers).await {
        Some(Err(())) => private(),
        Some(Ok(r)) => download(
            super::replay::curl_script(&r, &s.settings.public_url),
            "text/x-shellscript; charset=utf-8",
            format!("oauth2-lab-{}.sh", r.grant.slug()),
        ),
        None => no_run(),
    }
}

/// The run as Markdown with a Mermaid sequence diagram.
async fn export_md(State(s): State<Arc<Lab>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    match s.record_for(&id, &headers).await {
        Some(Err(())) => private(),
        Some(Ok(r)) => download(
            super::export::markdown(&r),
            "text/markdown; charset=utf-8",
            format!("oauth2-lab-{}.md", r.grant.slug()),
        ),
        None => no_run(),
    }
}
