//! Token introspection (RFC 7662 §2).

use super::token::no_store;
use crate::oauth::client_auth::ClientRequest;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::protocol::{TokenType, TokenTypeHint};
use crate::oauth::store::TokenKind;
use crate::oauth::util::scope_string;
use crate::oauth::AuthServer;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// A confidential client may introspect its own tokens. Of any other
/// token it learns nothing: `{"active": false}`, as for an unknown one, so
/// that no client reads another's user, scope or client. A public client
/// cannot authenticate, so it may not (RFC 7662 §2.1). A client that
/// fails to authenticate gets 401 with a `WWW-Authenticate` challenge
/// (§2.3).
pub async fn introspect(
    State(s): State<Arc<AuthServer>>,
    req: Result<ClientRequest, OAuthError>,
) -> OAuthResult<Response> {
    let req = req.map_err(challenge)?;
    if !req.client.is_confidential() {
        return Err(challenge(OAuthError::invalid_client(
            "This server requires client authentication at introspection (RFC 7662 section 2.1 asks for some form of authorization), and a public client has no secret to authenticate with.",
            true,
        )));
    }
    let token = req
        .params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("The token parameter is missing (RFC 7662 section 2.1)."))?;
    let mine = |r: &crate::oauth::store::TokenRecord| r.client_id == req.client.client_id;
    let Some(r) = s.tokens.get(token).await.filter(|r| mine(r) && r.active(s.now(&r.client_id))) else {
        // §2.2: nothing more, so an inactive or foreign token reveals
        // nothing.
        return Ok(no_store(Json(json!({ "active": false }))));
    };
    let mut body = json!({
        "active": true,
        "scope": scope_string(&r.scopes),
        "client_id": r.client_id,
        "token_type": match r.kind {
            TokenKind::Access => TokenType::Bearer.as_str(),
            TokenKind::Refresh => TokenTypeHint::RefreshToken.as_str(),
        },
        "exp": r.expires_at,
        "iat": r.issued_at,
        "sub": r.username.as_deref().unwrap_or(&r.client_id),
        "iss": s.settings.public_url,
    });
    if let Some(u) = &r.username {
        body["username"] = json!(u);
    }
    Ok(no_store(Json(body)))
}

/// A failed client authentication at this endpoint: 401 with a challenge.
fn challenge(e: OAuthError) -> OAuthError {
    if e.code == crate::oauth::error::ErrorCode::InvalidClient {
        OAuthError::invalid_client(e.description, true)
    } else {
        e
    }
}
