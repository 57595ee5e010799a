//! Token revocation (RFC 7009 §2).

use crate::oauth::client_auth::ClientRequest;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::store::TokenKind;
use crate::oauth::AuthServer;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// RFC 7009 §2.2: 200, whose body the client ignores; `{}`, as Mastodon
/// answers, so that a Mastodon client reading JSON gets some.
pub async fn revoke(State(s): State<Arc<AuthServer>>, req: ClientRequest) -> OAuthResult<Json<Value>> {
    let token = req
        .params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("The token parameter is missing (RFC 7009 section 2.1)."))?;
    // §2.2: an unknown or already invalid token still gets 200: there is
    // nothing left to revoke, and the client could do nothing with an error.
    let Some(record) = s.tokens.get(token).await else {
        return Ok(Json(json!({})));
    };
    // §2.1: the server checks that the token was issued to this client and
    // refuses it otherwise, with RFC 6749 §5.2's code for a grant "issued
    // to another client".
    if record.client_id != req.client.client_id {
        return Err(OAuthError::invalid_grant(
            "This token was issued to another client; a client may revoke only its own tokens (RFC 7009 section 2.1).",
        ));
    }
    let revoked = match record.kind {
        // §2.1: revoking a refresh token SHOULD also revoke the access
        // tokens of the same grant; this server does.
        TokenKind::Refresh => s.tokens.revoke_family(record.family).await,
        TokenKind::Access => s.tokens.revoke(token).await,
    };
    // §2.2.1: the server could not revoke it now; the client may retry.
    revoked.map_err(|_| OAuthError::unavailable("revocation"))?;
    tracing::info!(client_id = %req.client.client_id, kind = ?record.kind, "token revoked");
    Ok(Json(json!({})))
}
