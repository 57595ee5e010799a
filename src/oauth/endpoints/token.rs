//! The token endpoint (RFC 6749 §3.2, §4, §5): authenticate the client,
//! dispatch on `grant_type`, answer with no-store headers.

use crate::oauth::client_auth::ClientRequest;
use crate::oauth::error::{ErrorCode, OAuthError, OAuthResult};
use crate::oauth::grants::{names, token_grants};
use crate::oauth::protocol::GrantType;
use crate::oauth::AuthServer;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

pub async fn token(State(s): State<Arc<AuthServer>>, req: ClientRequest) -> OAuthResult<Response> {
    let grant_type = req
        .params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("The grant_type parameter is missing (RFC 6749 section 4)."))?;
    let wanted = GrantType::parse(grant_type);
    let grant = token_grants().find(|g| Some(g.grant_type()) == wanted).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!(
                "The grant type {grant_type} is not supported at the token endpoint; it supports {}.",
                names(token_grants().map(|g| g.grant_type()))
            ),
        )
    })?;
    let body = grant.exchange(&s, &req.client, &req.params, &req.who.0)?;
    tracing::info!(grant_type, client_id = %req.client.client_id, scope = %body.scope, "token issued");
    Ok(no_store(token_json(&body)))
}

/// The JSON token response, written into one buffer sized for it: axum's
/// `Json` starts at 128 bytes, which a token response outgrows.
fn token_json(body: &crate::oauth::grants::TokenResponse) -> Response {
    let mut buf = Vec::with_capacity(384);
    match serde_json::to_writer(&mut buf, body) {
        Ok(()) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], buf).into_response(),
        Err(_) => Json(body).into_response(),
    }
}

/// §5.1: token responses must not be cached.
pub fn no_store(body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}
