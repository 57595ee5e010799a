//! The token endpoint (RFC 6749 §3.2, §4, §5): authenticate the client,
//! dispatch on `grant_type`, answer with no-store headers.

use crate::oauth::client_auth::{authenticate, ClientRequest};
use crate::oauth::error::{ErrorCode, OAuthError, OAuthResult};
use crate::oauth::grants::{names, token_grants};
use crate::oauth::protocol::GrantType;
use crate::oauth::store::Client;
use crate::oauth::util::Params;
use crate::oauth::{AuthServer, Defence, Requester};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

pub async fn token(State(s): State<Arc<AuthServer>>, req: ClientRequest) -> OAuthResult<Response> {
    issue(&s, &req.client, &req.params, &req.who).await
}

/// GET: refused, since the token endpoint takes POST only (RFC 6749 §3.2)
/// and a GET carries its parameters, the client secret among them, in the
/// URL (§2.3.1). A host may turn that defence off for the client the query
/// names, to show what go-oauth2/oauth2's `SetAllowGetAccessRequest(true)`
/// lets through: then the query is read as the form would be.
pub async fn token_by_get(State(s): State<Arc<AuthServer>>, who: Requester, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse_lenient(query.unwrap_or_default().as_bytes()).0;
    if params.get("client_id").is_some_and(|id| s.defence_off(id, Defence::PostOnlyTokenRequest)) {
        let issued = match authenticate(&s, &params).await {
            Ok(client) => issue(&s, &client, &params, &who).await,
            Err(e) => Err(e),
        };
        return issued.unwrap_or_else(IntoResponse::into_response);
    }
    let leaked = if params.contains("client_secret") {
        " This request put the client secret in the URL, where server and proxy logs keep it, and browser history too when a browser sends it, and a secret must never be sent in the request URI (RFC 6749 section 2.3.1): treat this one as leaked and replace it."
    } else {
        ""
    };
    let mut err = OAuthError::invalid_request(format!(
        "The token endpoint takes POST only, with the parameters in an application/x-www-form-urlencoded body (RFC 6749 section 3.2).{leaked}"
    ));
    err.status = Some(StatusCode::METHOD_NOT_ALLOWED);
    let mut res = err.into_response();
    res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    res
}

/// Dispatches on `grant_type` and answers with the tokens.
async fn issue(s: &AuthServer, client: &Client, params: &Params, who: &Requester) -> OAuthResult<Response> {
    let grant_type = params
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
    let body = grant.exchange(s, client, params, who).await?;
    // The access line says the request was answered; what was issued is
    // for debugging.
    tracing::debug!(grant_type, client_id = %client.client_id, scope = %body.scope, "token issued");
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
