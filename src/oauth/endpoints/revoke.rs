//! Token revocation (RFC 7009 §2).

use crate::oauth::client_auth::ClientRequest;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::store::TokenKind;
use crate::oauth::AuthServer;
use axum::extract::State;
use axum::http::StatusCode;
use std::sync::Arc;

pub async fn revoke(State(s): State<Arc<AuthServer>>, req: ClientRequest) -> OAuthResult<StatusCode> {
    let token = req
        .params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("The token parameter is missing (RFC 7009 section 2.1)."))?;
    // §2.2: unknown tokens, and tokens of other clients, still get 200, so
    // the answer tells an attacker nothing.
    if let Some(record) = s.tokens.get(token).filter(|r| r.client_id == req.client.client_id) {
        match record.kind {
            // §2.1: revoking a refresh token also revokes the access tokens
            // issued with it.
            TokenKind::Refresh => s.tokens.revoke_family(record.family),
            TokenKind::Access => s.tokens.revoke(token),
        }
        tracing::info!(client_id = %req.client.client_id, kind = ?record.kind, "token revoked");
    }
    Ok(StatusCode::OK)
}
