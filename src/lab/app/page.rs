//! The frame of the run's app's pages, and the page of a failed grant.

use crate::lab::Lab;
use crate::oauth::pages::layout;
use crate::run::RunStatus;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::*;

pub fn page(title: &str, body: impl IntoView + 'static) -> Response {
    let heading = title.to_string();
    let mut res =
        Html(layout("The lab's app (the client)", "", title, view! { <h1>{heading}</h1>{body} })).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub fn fail(s: &Lab, run: &str, why: &str) -> Response {
    s.runs.finish(run, RunStatus::Failed(why.to_string()));
    // The grant failed on the learner's input (a wrong password, a replayed
    // callback): 400, never a 5xx.
    let why = why.to_string();
    let mut res = page("The grant failed", view! { <p class="as-error">{why}</p> });
    *res.status_mut() = StatusCode::BAD_REQUEST;
    res
}
